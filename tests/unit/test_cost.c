/* Cost control: off-peak hours, the running-list and groups converters fed
 * the fixtures, and the poller's cadence and pagination against a loopback
 * coderd that serves a running list of known shape. */
#include "backend/coder.h"
#include "backend/config.h"
#include "backend/cost.h"
#include "backend/snapshot_json.h"
#include "tests/lib/loopsrv.h"
#include "tests/lib/test.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOKEN "abcdefghij-0123456789012345678901"
#define ORG1  "3e5a8c8b-7b6e-4d6a-9c53-2f0d6a1b9e11"
#define CAROL "a7e2c9b4-1d3f-4e5a-8b6c-9d0e1f2a3b4c"
#define BOB   "0d8f3e21-5a6b-4c7d-8e9f-1a2b3c4d5e6f"

static void utc(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
}

static char *fixture(const char *name, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "fixtures/coder/api/%s", name);
    char *b = test_read_file(test_shared_path(rel), len);
    if (!b) {
        test_fail(__FILE__, __LINE__, "cannot read %s", rel);
    }
    return b;
}

static double at(const char *rfc3339)
{
    return coder_parse_time(rfc3339);
}

TEST(cost_off_peak_hours)
{
    utc();
    struct cost_hours h = {19, 7, true};
    /* Tuesday 2026-07-14 */
    CHECK(!cost_is_off_peak(&h, at("2026-07-14T09:30:00Z")));
    CHECK(cost_is_off_peak(&h, at("2026-07-14T19:00:00Z")));
    CHECK(cost_is_off_peak(&h, at("2026-07-14T06:59:59Z")));
    CHECK(!cost_is_off_peak(&h, at("2026-07-14T07:00:00Z")));
    CHECK(cost_is_off_peak(&h, at("2026-07-18T12:00:00Z"))); /* Saturday */
    /* During the day: the last off-peak stretch ended at 07:00 today. */
    CHECK_NEAR(cost_last_off_peak(&h, at("2026-07-14T09:30:30Z")), at("2026-07-14T07:00:00Z"), 0);
    /* Off-peak now: now. */
    CHECK_NEAR(cost_last_off_peak(&h, at("2026-07-14T23:10:00Z")), at("2026-07-14T23:10:00Z"), 0);
    /* Monday morning: the weekend ran into the night before, ending 07:00. */
    CHECK_NEAR(cost_last_off_peak(&h, at("2026-07-20T08:00:00Z")), at("2026-07-20T07:00:00Z"), 0);
    /* Weekdays only, a window inside the day (12-13): yesterday's if before. */
    struct cost_hours lunch = {12, 13, false};
    CHECK_NEAR(cost_last_off_peak(&lunch, at("2026-07-14T11:00:00Z")), at("2026-07-13T13:00:00Z"),
               0);
    /* Weekends only: Monday noon looks back to Monday 00:00. */
    struct cost_hours wk = {0, 0, true};
    CHECK_NEAR(cost_last_off_peak(&wk, at("2026-07-20T12:00:00Z")), at("2026-07-20T00:00:00Z"), 0);
    /* None at all: unknown. */
    struct cost_hours none = {0, 0, false};
    CHECK(isnan(cost_last_off_peak(&none, at("2026-07-14T09:30:00Z"))));
    /* Local time: in Berlin (UTC+2 in July) 19-7 ends at 05:00 UTC. */
    setenv("TZ", "Europe/Berlin", 1);
    tzset();
    CHECK_NEAR(cost_last_off_peak(&h, at("2026-07-14T09:30:30Z")), at("2026-07-14T05:00:00Z"), 0);
    utc();
}

TEST(cost_running_page_from_fixture)
{
    utc();
    size_t n;
    char *b = fixture("workspaces.json", &n);
    struct cost_tally t;
    double end = at("2026-07-14T07:00:00Z");
    cost_tally_init(&t, end);
    size_t listed = 0;
    double count = 0;
    struct err e;
    CHECK_INT(coder_parse_running_page(b, n, end, &t, &listed, &count, &e), 0);
    CHECK_INT(listed, 4);
    CHECK_NEAR(count, 603, 0);
    /* Only the entries whose latest build is running count. */
    json_t *j = json_loadb(b, n, 0, NULL);
    size_t i, running = 0, no_stop = 0, off = 0;
    double cost = 0;
    json_t *w;
    json_array_foreach(json_object_get(j, "workspaces"), i, w)
    {
        json_t *lb = json_object_get(w, "latest_build");
        if (strcmp(json_string_value(json_object_get(lb, "status")), "running") != 0) {
            continue;
        }
        running++;
        json_t *ttl = json_object_get(w, "ttl_ms");
        no_stop += json_is_null(json_object_get(lb, "deadline")) &&
                   json_is_null(json_object_get(lb, "max_deadline")) &&
                   (!json_is_integer(ttl) || json_integer_value(ttl) == 0);
        off += coder_parse_time(json_string_value(json_object_get(lb, "created_at"))) < end;
        cost += json_number_value(json_object_get(lb, "daily_cost"));
    }
    json_decref(j);
    CHECK(running > 0);
    CHECK_NEAR(t.running, (double)running, 0);
    CHECK_NEAR(t.without_autostop, (double)no_stop, 0);
    CHECK_NEAR(t.off_peak, (double)off, 0);
    CHECK_NEAR(t.daily_cost, cost, 0);
    cost_tally_fini(&t);
    free(b);

    /* Malformed and wrong-shaped bodies are errors, not crashes. */
    cost_tally_init(&t, end);
    CHECK_INT(coder_parse_running_page("{\"workspaces\":", 14, end, &t, &listed, &count, &e), -1);
    CHECK_INT(coder_parse_running_page("[]", 2, end, &t, &listed, &count, &e), -1);
    CHECK(strstr(e.msg, "workspaces") != NULL);
    CHECK_NEAR(t.running, 0, 0);
    cost_tally_fini(&t);
}

/* One synthetic running workspace, as JSON. */
static void ws_json(char *buf, size_t n, int i, double now)
{
    char created[40], deadline[48];
    time_t c = (time_t)(i % 3 == 0 ? now - 8 * 86400 : now - 600);
    struct tm tm;
    gmtime_r(&c, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    time_t d = (time_t)(now + 3600);
    gmtime_r(&d, &tm);
    strftime(deadline, sizeof deadline, "\"%Y-%m-%dT%H:%M:%SZ\"", &tm);
    bool stop = i % 4 != 0;
    const char *owner = i == 0 ? CAROL : i == 1 ? BOB : "11111111-2222-4333-8444-555555555555";
    snprintf(buf, n,
             "{\"id\":\"w%d\",\"owner_id\":\"%s\",\"organization_id\":\"" ORG1 "\","
             "\"ttl_ms\":%s,\"autostart_schedule\":null,\"latest_build\":{\"status\":\"running\","
             "\"created_at\":\"%s\",\"deadline\":%s,\"max_deadline\":\"0001-01-01T00:00:00Z\","
             "\"daily_cost\":%d}}",
             i, owner, stop ? "28800000" : "null", created, stop ? deadline : "null",
             i < 2 ? 10 : 2);
}

struct fake {
    int nrunning;
    int groups_status; /* 200, or 403 (no licence) */
    int fail_offset;   /* a page at this offset answers 500 (-1: none) */
    int page_delay_ms; /* each list page answers this late */
    double now;
    char *orgs, *groups, *buildinfo, *entitlements;
    size_t orgs_len, groups_len, buildinfo_len, entitlements_len;
    char body[1 << 20];
};

static long qnum(const char *query, const char *key, long dflt)
{
    const char *p = strstr(query, key);
    return p ? strtol(p + strlen(key), NULL, 10) : dflt;
}

static void handler(void *ctx, const struct loopsrv_req *rq, struct loopsrv_resp *out)
{
    struct fake *f = ctx;
    const char *p = rq->path;
    out->status = 404;
    out->body = "{\"message\":\"Route not found.\"}";
    if (strcmp(p, "/api/v2/buildinfo") == 0) {
        out->status = 200;
        out->body = f->buildinfo;
        out->len = f->buildinfo_len;
    } else if (strcmp(p, "/api/v2/entitlements") == 0) {
        out->status = 200;
        out->body = f->entitlements;
        out->len = f->entitlements_len;
    } else if (strcmp(p, "/api/v2/organizations") == 0) {
        out->status = 200;
        out->body = f->orgs;
        out->len = f->orgs_len;
    } else if (strcmp(p, "/api/v2/organizations/" ORG1 "/groups") == 0) {
        if (f->groups_status == 403) {
            out->status = 403;
            out->body = "{\"message\":\"Template RBAC is a Premium feature. Contact sales!\"}";
        } else {
            out->status = 200;
            out->body = f->groups;
            out->len = f->groups_len;
        }
    } else if (strstr(p, "/groups")) {
        out->status = f->groups_status == 403 ? 403 : 200;
        out->body = f->groups_status == 403
                        ? "{\"message\":\"Template RBAC is a Premium feature. Contact sales!\"}"
                        : "[]";
    } else if (strcmp(p, "/api/v2/workspaces") == 0) {
        long limit = qnum(rq->query, "limit=", 0), offset = qnum(rq->query, "offset=", 0);
        if (limit == 1) {
            snprintf(f->body, sizeof f->body, "{\"workspaces\":[],\"count\":%d}", f->nrunning);
        } else if (offset == f->fail_offset) {
            out->status = 500;
            out->body = "{\"message\":\"Internal error.\"}";
            return;
        } else {
            size_t used = (size_t)snprintf(f->body, sizeof f->body, "{\"workspaces\":[");
            for (long i = offset; i < f->nrunning && i < offset + limit; i++) {
                char w[1024];
                ws_json(w, sizeof w, (int)i, f->now);
                used += (size_t)snprintf(f->body + used, sizeof f->body - used, "%s%s",
                                         i > offset ? "," : "", w);
            }
            snprintf(f->body + used, sizeof f->body - used, "],\"count\":%d}", f->nrunning);
            out->delay_ms = f->page_delay_ms;
        }
        out->status = 200;
        out->body = f->body;
    }
}

static void fake_init(struct fake *f, int nrunning, double now)
{
    memset(f, 0, sizeof *f);
    f->nrunning = nrunning;
    f->groups_status = 200;
    f->fail_offset = -1;
    f->now = now;
    f->orgs = fixture("organizations.json", &f->orgs_len);
    f->groups = fixture("groups.json", &f->groups_len);
    f->buildinfo = fixture("buildinfo.json", &f->buildinfo_len);
    f->entitlements = fixture("entitlements.json", &f->entitlements_len);
}

static void fake_fini(struct fake *f)
{
    free(f->orgs);
    free(f->groups);
    free(f->buildinfo);
    free(f->entitlements);
}

static struct config cfg_for(const char *url)
{
    struct config cfg;
    config_defaults(&cfg);
    cfg.coder_url = (char *)(uintptr_t)url;
    cfg.token = (char *)(uintptr_t)TOKEN;
    cfg.interval_s = 15;
    cfg.connect_timeout_s = 1;
    cfg.request_timeout_s = 5;
    cfg.cost_interval_s = 900;
    return cfg;
}

/* Running-list pages seen since the last reset, and whether each asked for
 * running workspaces in pages of 100 (every other /workspaces is a count). */
static size_t list_pages(struct loopsrv *srv, size_t *bad)
{
    size_t n = 0, total = loopsrv_count(srv);
    for (size_t i = 0; i < total; i++) {
        struct loopsrv_req rq;
        if (loopsrv_get(srv, i, &rq) != 0 || strcmp(rq.path, "/api/v2/workspaces") != 0) {
            continue;
        }
        if (qnum(rq.query, "limit=", 0) == 1) {
            continue;
        }
        n++;
        if (!strstr(rq.query, "q=status:running") || qnum(rq.query, "limit=", 0) != 100) {
            (*bad)++;
        }
    }
    return n;
}

static struct snapshot *poll_at(void *st, double now)
{
    struct snapshot *s = snapshot_new(now);
    coder_cost_source_ops.poll(st, s, now);
    return s;
}

static const struct cost_group *group(const struct snapshot *s, const char *name)
{
    for (size_t i = 0; i < s->cost.ngroups; i++) {
        if (strcmp(s->cost.groups[i].name, name) == 0) {
            return &s->cost.groups[i];
        }
    }
    return NULL;
}

TEST(cost_poller_pages_cadence_and_groups)
{
    utc();
    double now = at("2026-07-14T09:30:30Z");
    static struct fake f;
    fake_init(&f, 250, now);
    struct loopsrv *srv = loopsrv_start(handler, &f);
    CHECK(srv != NULL);
    struct config cfg = cfg_for(loopsrv_url(srv));
    void *st = coder_cost_source_ops.create(&cfg);
    struct snapshot *s = poll_at(st, now);
    size_t bad = 0;
    CHECK_INT(list_pages(srv, &bad), 3); /* 250 running: offsets 0, 100, 200 */
    CHECK_INT(bad, 0);
    const struct source_state *cs = snapshot_find_source(s, CODER_SRC_COST);
    CHECK(cs && cs->status == SOURCE_OK);
    CHECK_NEAR(s->cost.listed_at, now, 0);
    CHECK_NEAR(s->cost.workspaces_running, 250, 0);
    CHECK_NEAR(s->cost.running_off_peak, 84, 0); /* i % 3 == 0 started 8 days ago */
    CHECK_NEAR(s->cost.without_autostop, 63, 0); /* i % 4 == 0: no TTL, no deadline */
    CHECK_NEAR(s->cost.daily_cost_credits, 2 * 10 + 248 * 2, 0);
    /* Groups: Everyone (10 x 463) has every running workspace of the org;
     * gpu-users (40 x 2) has carol's and bob's. */
    const struct cost_group *ev = group(s, "Everyone"), *gpu = group(s, "gpu-users");
    CHECK(ev && gpu);
    if (ev && gpu) {
        CHECK_STR(ev->organization, "coder");
        CHECK_NEAR(ev->budget_credits, 4630, 0);
        CHECK_NEAR(ev->consumed_credits, 516, 0);
        CHECK_NEAR(gpu->members, 2, 0);
        CHECK_NEAR(gpu->budget_credits, 80, 0);
        CHECK_NEAR(gpu->consumed_credits, 20, 0);
    }
    CHECK_INT(snapshot_find_source(s, CODER_SRC_GROUPS)->status, SOURCE_OK);
    snapshot_unref(s);

    /* Every poll until the cadence is up: no list, the numbers carried. */
    loopsrv_reset(srv);
    for (int k = 1; k < 60; k++) {
        s = poll_at(st, now + 15.0 * k);
        if (k == 59) {
            CHECK_NEAR(s->cost.workspaces_running, 250, 0);
            CHECK_NEAR(s->cost.listed_at, now, 0);
            CHECK_INT(snapshot_find_source(s, CODER_SRC_COST)->status, SOURCE_OK);
        }
        snapshot_unref(s);
    }
    bad = 0;
    CHECK_INT(list_pages(srv, &bad), 0);
    /* 900 s after the first: the next list. */
    f.nrunning = 120;
    s = poll_at(st, now + 900);
    CHECK_INT(list_pages(srv, &bad), 2);
    CHECK_INT(bad, 0);
    CHECK_NEAR(s->cost.workspaces_running, 120, 0);
    CHECK_NEAR(s->cost.listed_at, now + 900, 0);
    snapshot_unref(s);

    /* A page that fails: the last list stays, marked stale once it is old,
     * and no new list starts before the cadence. */
    loopsrv_reset(srv);
    f.fail_offset = 100;
    s = poll_at(st, now + 1800);
    CHECK_INT(snapshot_find_source(s, CODER_SRC_COST)->status, SOURCE_STALE);
    CHECK_NEAR(s->cost.workspaces_running, 120, 0);
    CHECK_NEAR(s->cost.listed_at, now + 900, 0);
    snapshot_unref(s);
    s = poll_at(st, now + 1815);
    CHECK_INT(list_pages(srv, &bad), 2); /* offset 0 and the failed 100, then nothing */
    snapshot_unref(s);
    coder_cost_source_ops.destroy(st);
    loopsrv_stop(srv);
    fake_fini(&f);
}

TEST(cost_main_coder_source_never_lists)
{
    /* The chain's Coder poller counts workspaces but never lists them and
     * says nothing about cost: that is the cost source's, on its own thread. */
    utc();
    double now = at("2026-07-14T09:30:30Z");
    static struct fake f;
    fake_init(&f, 250, now);
    struct loopsrv *srv = loopsrv_start(handler, &f);
    struct config cfg = cfg_for(loopsrv_url(srv));
    void *st = coder_source_ops.create(&cfg);
    struct snapshot *s = snapshot_new(now);
    coder_source_ops.poll(st, s, now);
    size_t bad = 0;
    CHECK_INT(list_pages(srv, &bad), 0);
    CHECK(snapshot_find_source(s, CODER_SRC_COST) == NULL);
    CHECK(snapshot_find_source(s, CODER_SRC_GROUPS) == NULL);
    CHECK(snapshot_find_source(s, CODER_SRC_API) != NULL);
    CHECK(isnan(s->cost.listed_at));
    snapshot_unref(s);
    coder_source_ops.destroy(st);
    /* The cost source reports only its two parts. */
    st = coder_cost_source_ops.create(&cfg);
    s = snapshot_new(now);
    coder_cost_source_ops.poll(st, s, now);
    CHECK_INT(s->nsources, 2);
    CHECK(snapshot_find_source(s, CODER_SRC_API) == NULL);
    snapshot_unref(s);
    coder_cost_source_ops.destroy(st);
    loopsrv_stop(srv);
    fake_fini(&f);
}

TEST(cost_poller_list_spans_polls_within_budget)
{
    /* A slow server: 2500 running workspaces, pages of 100 taking 200 ms,
     * a 3 s request timeout (the cost poll's whole budget). The list spreads
     * over several polls, resuming where it stopped, and ends with the exact
     * numbers; until then the source says "never" (no data yet), not error. */
    utc();
    double now = at("2026-07-14T09:30:30Z");
    static struct fake f;
    fake_init(&f, 2500, now);
    f.page_delay_ms = 200;
    struct loopsrv *srv = loopsrv_start(handler, &f);
    struct config cfg = cfg_for(loopsrv_url(srv));
    cfg.request_timeout_s = 3;
    void *st = coder_cost_source_ops.create(&cfg);
    struct snapshot *s = NULL;
    int polls = 0, bad_status = 0;
    for (; polls < 60; polls++) {
        snapshot_unref(s);
        s = poll_at(st, now + 15.0 * polls);
        if (!isnan(s->cost.listed_at)) {
            break;
        }
        bad_status += snapshot_find_source(s, CODER_SRC_COST)->status != SOURCE_NEVER;
    }
    CHECK(polls >= 1); /* 25 pages of 200 ms (at least) do not fit in one 3 s poll */
    CHECK(polls < 60);
    CHECK_INT(bad_status, 0);
    CHECK_NEAR(s->cost.workspaces_running, 2500, 0);
    CHECK_NEAR(s->cost.listed_at, now, 0); /* the list's start */
    CHECK_INT(snapshot_find_source(s, CODER_SRC_COST)->status, SOURCE_OK);
    size_t bad = 0, pages = list_pages(srv, &bad);
    CHECK_INT(bad, 0);
    /* Each page once, but for at most one cut short per poll. */
    CHECK(pages >= 25 && pages <= 25 + (size_t)polls + 1);
    snapshot_unref(s);
    coder_cost_source_ops.destroy(st);
    loopsrv_stop(srv);
    fake_fini(&f);
}

TEST(cost_cadence_holds_across_processes)
{
    /* A second scaletop (a cron `check`) with the same history directory
     * does not list again within the interval: it says why, and lists once
     * the interval is up. */
    utc();
    double now = at("2026-07-14T09:30:30Z");
    static struct fake f;
    fake_init(&f, 150, now);
    struct loopsrv *srv = loopsrv_start(handler, &f);
    char dir[] = "/tmp/scaletop-cost-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char db[128];
    snprintf(db, sizeof db, "%s/history.db", dir);
    struct config cfg = cfg_for(loopsrv_url(srv));
    cfg.db_path = db;
    void *first = coder_cost_source_ops.create(&cfg);
    struct snapshot *s = poll_at(first, now);
    size_t bad = 0;
    CHECK_INT(list_pages(srv, &bad), 2);
    CHECK_NEAR(s->cost.workspaces_running, 150, 0);
    snapshot_unref(s);
    coder_cost_source_ops.destroy(first);

    loopsrv_reset(srv);
    void *second = coder_cost_source_ops.create(&cfg);
    s = poll_at(second, now + 60);
    CHECK_INT(list_pages(srv, &bad), 0);
    const struct source_state *cs = snapshot_find_source(s, CODER_SRC_COST);
    CHECK(cs && cs->status == SOURCE_DISABLED && cs->reason == REASON_RATE_LIMITED);
    CHECK(cs && cs->error && strstr(cs->error, "60 s ago by another scaletop") != NULL);
    CHECK(isnan(s->cost.workspaces_running));
    snapshot_unref(s);
    s = poll_at(second, now + 900);
    CHECK_INT(list_pages(srv, &bad), 2);
    CHECK_INT(snapshot_find_source(s, CODER_SRC_COST)->status, SOURCE_OK);
    CHECK_NEAR(s->cost.workspaces_running, 150, 0);
    snapshot_unref(s);
    coder_cost_source_ops.destroy(second);
    /* Another Coder URL has its own stamp (a trailing slash is the same). */
    char other[200];
    snprintf(other, sizeof other, "%s/", loopsrv_url(srv));
    cfg.coder_url = other;
    void *same = coder_cost_source_ops.create(&cfg);
    loopsrv_reset(srv);
    s = poll_at(same, now + 960);
    CHECK_INT(list_pages(srv, &bad), 0);
    snapshot_unref(s);
    coder_cost_source_ops.destroy(same);
    snprintf(other, sizeof other, "http://localhost:%s", strrchr(loopsrv_url(srv), ':') + 1);
    cfg.coder_url = other;
    void *third = coder_cost_source_ops.create(&cfg);
    loopsrv_reset(srv);
    s = poll_at(third, now + 960);
    CHECK_INT(list_pages(srv, &bad), 2);
    snapshot_unref(s);
    coder_cost_source_ops.destroy(third);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_INT(system(cmd), 0);
    loopsrv_stop(srv);
    fake_fini(&f);
}

TEST(cost_poller_groups_need_premium)
{
    utc();
    double now = at("2026-07-14T09:30:30Z");
    static struct fake f;
    fake_init(&f, 30, now);
    f.groups_status = 403;
    struct loopsrv *srv = loopsrv_start(handler, &f);
    struct config cfg = cfg_for(loopsrv_url(srv));
    void *st = coder_cost_source_ops.create(&cfg);
    struct snapshot *s = poll_at(st, now);
    const struct source_state *g = snapshot_find_source(s, CODER_SRC_GROUPS);
    CHECK(g != NULL);
    if (g) {
        CHECK_INT(g->status, SOURCE_DISABLED);
        CHECK_INT(g->reason, REASON_NEEDS_PREMIUM);
        CHECK(g->error && strstr(g->error, "Premium") != NULL);
    }
    CHECK_INT(s->cost.ngroups, 0);
    CHECK(isnan(s->cost.groups_at));
    /* The running list is in every tier. */
    CHECK_INT(snapshot_find_source(s, CODER_SRC_COST)->status, SOURCE_OK);
    CHECK_NEAR(s->cost.workspaces_running, 30, 0);
    snapshot_unref(s);
    coder_cost_source_ops.destroy(st);
    loopsrv_stop(srv);
    fake_fini(&f);
}

TEST(cost_unknown_before_the_first_list)
{
    struct snapshot *s = snapshot_new(1.8e9);
    CHECK(isnan(s->cost.listed_at));
    CHECK(isnan(s->cost.workspaces_running));
    CHECK(isnan(s->cost.running_off_peak));
    CHECK(isnan(s->cost.without_autostop));
    char *j = snapshot_json_dump(s, 0);
    CHECK(strstr(j, "\"cost\":{\"listed_at\":null,\"workspaces_running\":null,"
                    "\"running_off_peak\":null,\"without_autostop\":null,"
                    "\"daily_cost_credits\":null,\"groups_at\":null,\"groups\":[]}") != NULL);
    free(j);
    snapshot_unref(s);
    /* No off-peak hours: the off-peak count is unknown, not zero. */
    struct cost_tally t;
    cost_tally_init(&t, NAN);
    cost_tally_add(&t, 1.7e9, NAN, false, NAN, NULL, NULL);
    s = snapshot_new(1.8e9);
    cost_tally_emit(&t, s, 1.8e9 - 1);
    CHECK_NEAR(s->cost.workspaces_running, 1, 0);
    CHECK(isnan(s->cost.running_off_peak));
    CHECK(isnan(s->cost.daily_cost_credits)); /* no workspace reported a cost */
    snapshot_unref(s);
    cost_tally_fini(&t);
}
