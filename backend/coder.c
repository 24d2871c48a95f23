/*
 * The Coder API poller (coder_source_ops).
 *
 * Each poll walks the endpoint groups (coder.h's CODER_SRC_*), fetching a
 * group only when its cadence (a multiple of the base interval, never faster
 * than coderd refreshes the data) and its backoff allow, then converts the
 * newest good body of every group into the snapshot. So a group that was not
 * due, or failed this time, still shows its last good data, marked stale once
 * it is older than its cadence allows.
 *
 * Invariants:
 * - the session token goes only to the Coder URL's own origin (checked per
 *   request) and never into a snapshot, an error text or a log; redirects
 *   are not followed (backend/http.c);
 * - a whole poll stays inside a time budget of two request timeouts: each
 *   request gets what is left, and groups that do not fit are skipped;
 * - 403/404 for a licence or a permission make a group DISABLED with the
 *   reason, re-checked slowly, not an error loop; 429 waits for the reset;
 * - query parameters a server rejects (400 naming the field) are dropped
 *   and the request retried once; the drop is remembered;
 * - list requests are bounded by `limit` and workspaces/users are counted
 *   with limit=1; the one workspace list (cost control) asks only for
 *   running workspaces (q=status:running), page by page, at the slow cost
 *   cadence ([cost] interval, default 15 min), and a sweep that outlasts a
 *   poll's time budget resumes on the next poll instead of starting over.
 *
 * Cost control (groups CODER_SRC_COST and CODER_SRC_GROUPS) is a second
 * source, coder_cost_source_ops: the same module with its own state, polled
 * on its own thread, so that a long list never delays the chain of fast
 * pollers (a metrics scrape taken late skews the rates computed from it).
 */
#include "backend/coder.h"

#include "backend/http.h"
#include "backend/provq.h"
#include "backend/xalloc.h"

#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CODER_MAX_ORGS      32
#define CODER_JOB_LIMIT     500
#define CODER_DAEMON_LIMIT  1000
#define CODER_JOBS_KEPT     2000
#define RECHECK_DISABLED_S  600.0
#define HEALTH_REFRESH_S    600.0 /* CODER_HEALTH_CHECK_REFRESH default */
#define HEALTH_STALE_S      1800.0
#define BACKOFF_CAP_S       300.0
#define COST_PAGE           100    /* workspaces per page of the running list */
#define COST_PAGES_PER_POLL 100    /* pages per poll (and the time budget): long lists span polls */
#define COST_MAX_LISTED     100000 /* a sweep stops here (numbers are lower bounds) */
#define COST_MAX_GROUPS     256    /* quota groups kept per organization */

enum group_id {
    G_API,
    G_REPLICAS,
    G_PROV,
    G_PROXIES,
    G_HEALTH,
    G_STATS,
    G_QUOTA,
    G_COST,
    G_GROUPS,
    G_N
};

static const char *const group_names[G_N] = {
    CODER_SRC_API,     CODER_SRC_REPLICAS, CODER_SRC_PROVISIONERS,
    CODER_SRC_PROXIES, CODER_SRC_HEALTH,   CODER_SRC_STATS,
    CODER_SRC_QUOTA,   CODER_SRC_COST,     CODER_SRC_GROUPS,
};

struct body {
    char *text;
    size_t len;
};

struct group {
    double every_s;
    double next_due;
    struct http_backoff bo;
    enum source_status status;
    enum source_reason reason;
    char error[ERR_MSG_MAX];
    const char *hint;
    double last_ok;
    double latency_ms;
    bool have_data;
};

struct org_state {
    struct coder_org org;
    struct body daemons, jobs, quota, groups;
    size_t jobs_listed;
};

/* The running-workspace list in progress and the last complete one. */
struct cost_sweep {
    bool active;
    size_t offset;         /* next page starts here */
    double started;        /* wall time the sweep began */
    double off_peak_end;   /* cost_last_off_peak at the start */
    struct cost_tally cur; /* being filled */
    struct cost_tally done;
    double done_at; /* start of the sweep that filled `done`; NAN none */
    bool truncated;
};

struct coder {
    char *base; /* Coder URL without a trailing slash */
    char *token;
    char display_url[512];
    struct http_client *http;
    double interval_s, timeout_s, deadline;
    struct group g[G_N];
    /* what this server accepts */
    bool daemons_limit_param, daemons_offline_param, jobs_limit_param, jobs_status_param;
    bool use_regions;
    char version[128];
    enum tri premium, proxies_entitled, ha_entitled;
    /* newest good data */
    struct body buildinfo, replicas, proxies, health, stats;
    double health_time;
    double users_total, users_active, ws_total, ws_running, ws_failed;
    struct org_state orgs[CODER_MAX_ORGS];
    size_t norgs;
    double entitlements_next;
    double jobs_missing_until; /* no job list on this build: ask again after this */
    struct cost_hours hours;
    struct cost_sweep sweep;
    bool cost_only;   /* coder_cost_source_ops: only G_COST and G_GROUPS */
    char stamp[1024]; /* when any scaletop here last listed this URL's workspaces; "" none */
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void body_set(struct body *b, struct http_result *r)
{
    free(b->text);
    b->text = r->body;
    b->len = r->body_len;
    r->body = NULL;
    r->body_len = 0;
}

static void body_clear(struct body *b)
{
    free(b->text);
    b->text = NULL;
    b->len = 0;
}

/* One request outcome, reduced to what a group needs. */
struct outcome {
    int ok; /* 1: 2xx with a body in res */
    long status;
    enum source_reason reason;
    char msg[ERR_MSG_MAX];
    struct http_result res;
};

static void outcome_fini(struct outcome *o)
{
    http_result_fini(&o->res);
}

static void coder_get(struct coder *c, const char *path, struct outcome *o)
{
    memset(o, 0, sizeof *o);
    double left = c->deadline - mono_now();
    if (left < 0.2) {
        o->reason = REASON_TIMEOUT;
        snprintf(o->msg, sizeof o->msg, "skipped: poll time budget (%.0f s) used up",
                 2 * c->timeout_s);
        o->res.latency_ms = NAN;
        return;
    }
    char *url = xasprintf("%s%s", c->base, path);
    struct http_header hdrs[2];
    size_t nh = 0;
    hdrs[nh++] = (struct http_header){"Accept", "application/json"};
    /* The guard that matters: the token only ever goes to the Coder origin. */
    if (c->token && c->token[0] && http_same_origin(url, c->base)) {
        hdrs[nh++] = (struct http_header){"Coder-Session-Token", c->token};
    }
    struct http_request rq = {.url = url,
                              .headers = hdrs,
                              .nheaders = nh,
                              .timeout_s = left < c->timeout_s ? left : c->timeout_s};
    int rc = http_get(c->http, &rq, &o->res);
    free(url);
    if (o->res.build_version[0]) {
        if (c->version[0] && strcmp(c->version, o->res.build_version) != 0) {
            /* An upgrade (or a replica on another version): what this server
             * accepts may have changed, so learn it again. */
            c->daemons_limit_param = c->daemons_offline_param = true;
            c->jobs_limit_param = c->jobs_status_param = true;
            c->use_regions = false;
            c->jobs_missing_until = 0;
        }
        snprintf(c->version, sizeof c->version, "%s", o->res.build_version);
    }
    if (rc != 0) {
        switch (o->res.kind) {
        case HTTP_ERR_TIMEOUT:
            o->reason = REASON_TIMEOUT;
            break;
        case HTTP_ERR_UNREACHABLE:
        case HTTP_ERR_TLS:
            o->reason = REASON_UNREACHABLE;
            break;
        default:
            o->reason = REASON_BAD_RESPONSE;
            break;
        }
        snprintf(o->msg, sizeof o->msg, "%s", o->res.error);
        return;
    }
    o->status = o->res.status;
    if (o->status >= 200 && o->status < 300) {
        o->ok = 1;
        return;
    }
    if (o->status >= 300 && o->status < 400) {
        o->reason = REASON_BAD_RESPONSE;
        char where[256];
        http_url_redact(o->res.location, where, sizeof where);
        snprintf(o->msg, sizeof o->msg,
                 "HTTP %ld redirect to %s not followed (set --coder-url to the final URL)",
                 o->status, where[0] ? where : "?");
        return;
    }
    o->reason = coder_error_reason(o->status, o->res.body, o->res.body_len, o->msg, sizeof o->msg);
}

/* GET with query parameters that may be unknown to this server: on a 400
 * naming one of them, clear its flag and retry once without it. */
struct param {
    const char *name;
    const char *value;
    bool *enabled;
};

static void coder_get_params(struct coder *c, const char *path, struct param *ps, size_t n,
                             struct outcome *o)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        char buf[1024];
        size_t used = (size_t)snprintf(buf, sizeof buf, "%s", path);
        char sep = '?';
        for (size_t i = 0; i < n && used < sizeof buf; i++) {
            if (*ps[i].enabled) {
                used += (size_t)snprintf(buf + used, sizeof buf - used, "%c%s=%s", sep, ps[i].name,
                                         ps[i].value);
                sep = '&';
            }
        }
        coder_get(c, buf, o);
        if (o->ok || o->status != 400) {
            return;
        }
        char field[64];
        if (coder_rejected_param(o->res.body, o->res.body_len, field, sizeof field) != 0) {
            return;
        }
        bool dropped = false;
        for (size_t i = 0; i < n; i++) {
            if (*ps[i].enabled && strcmp(ps[i].name, field) == 0) {
                *ps[i].enabled = false;
                dropped = true;
            }
        }
        if (!dropped) {
            return;
        }
        outcome_fini(o);
    }
}

static bool group_due(const struct group *g, double now)
{
    return now >= g->next_due && http_backoff_ready(&g->bo, now);
}

static void group_ok(struct coder *c, struct group *g, double now, double latency_ms)
{
    (void)c;
    http_backoff_success(&g->bo);
    g->next_due = now + g->every_s;
    g->status = SOURCE_OK;
    g->reason = REASON_NONE;
    g->error[0] = '\0';
    g->hint = NULL;
    g->last_ok = now;
    g->latency_ms = latency_ms;
    g->have_data = true;
}

static const char *hint_for(enum source_reason r)
{
    switch (r) {
    case REASON_UNAUTHORIZED:
        return "set a valid token: --token-file FILE or CODER_SESSION_TOKEN";
    case REASON_NO_PERMISSION:
        return "needs an Owner token (or Auditor + Template Admin for provisioners)";
    case REASON_NEEDS_PREMIUM:
        return "needs a Coder Premium licence or a newer Coder version";
    default:
        return NULL;
    }
}

/* Records a failure: DISABLED (dropping the data) for licence or permission,
 * otherwise STALE over the last good data, or ERROR without any. */
static void group_fail(struct group *g, double now, const struct outcome *o)
{
    g->reason = o->reason;
    g->latency_ms = o->res.latency_ms;
    g->hint = hint_for(o->reason);
    if (o->reason == REASON_NO_PERMISSION || o->reason == REASON_NEEDS_PREMIUM) {
        g->status = SOURCE_DISABLED;
        snprintf(g->error, sizeof g->error, "%s: %s",
                 o->reason == REASON_NEEDS_PREMIUM ? "disabled (needs Premium)" : "no permission",
                 o->msg);
        g->have_data = false;
        g->next_due = now + fmax(g->every_s, RECHECK_DISABLED_S);
        return;
    }
    snprintf(g->error, sizeof g->error, "%s", o->msg);
    if (o->reason == REASON_RATE_LIMITED) {
        http_backoff_rate_limited(&g->bo, now, &o->res);
    } else {
        http_backoff_failure(&g->bo, now);
    }
    g->status = g->have_data ? SOURCE_STALE : SOURCE_ERROR;
}

/* When coderd itself does not answer, the other groups are not tried this
 * cycle; they keep their data, marked stale, with the same reason. */
static void group_skip(struct group *g, const struct outcome *o)
{
    g->reason = o->reason;
    snprintf(g->error, sizeof g->error, "not polled: %s", o->msg);
    if (g->status != SOURCE_DISABLED) {
        g->status = g->have_data ? SOURCE_STALE : SOURCE_ERROR;
    }
}

/* Reads the organizations, keeping the cached bodies of those still there;
 * false with the failed request in *o (the caller finishes it). */
static bool load_orgs(struct coder *c, struct outcome *o)
{
    coder_get(c, "/api/v2/organizations", o);
    if (!o->ok) {
        return false;
    }
    struct coder_org orgs[CODER_MAX_ORGS];
    size_t n = 0;
    struct err e;
    if (coder_parse_organizations(o->res.body, o->res.body_len, orgs, CODER_MAX_ORGS, &n, &e) !=
        0) {
        o->ok = 0;
        o->reason = REASON_BAD_RESPONSE;
        snprintf(o->msg, sizeof o->msg, "organizations: %s", e.msg);
        return false;
    }
    outcome_fini(o);
    /* Keep the cached bodies of organizations that are still there. */
    struct org_state next[CODER_MAX_ORGS];
    memset(next, 0, sizeof next);
    for (size_t i = 0; i < n; i++) {
        next[i].org = orgs[i];
        for (size_t k = 0; k < c->norgs; k++) {
            if (strcmp(c->orgs[k].org.id, orgs[i].id) == 0) {
                next[i] = c->orgs[k];
                next[i].org = orgs[i];
                memset(&c->orgs[k], 0, sizeof c->orgs[k]);
            }
        }
    }
    for (size_t k = 0; k < c->norgs; k++) {
        body_clear(&c->orgs[k].daemons);
        body_clear(&c->orgs[k].jobs);
        body_clear(&c->orgs[k].quota);
        body_clear(&c->orgs[k].groups);
    }
    memcpy(c->orgs, next, sizeof next);
    c->norgs = n;
    return true;
}

static void poll_api(struct coder *c, double now)
{
    struct group *g = &c->g[G_API];
    struct outcome o;
    coder_get(c, "/api/v2/buildinfo", &o);
    if (!o.ok) {
        group_fail(g, now, &o);
        for (int i = 0; i < G_N; i++) {
            if (i != G_API && (o.reason == REASON_TIMEOUT || o.reason == REASON_UNREACHABLE)) {
                group_skip(&c->g[i], &o);
            }
        }
        outcome_fini(&o);
        return;
    }
    double latency = o.res.latency_ms;
    body_set(&c->buildinfo, &o.res);
    outcome_fini(&o);

    if (now >= c->entitlements_next || c->norgs == 0) {
        c->entitlements_next = now + fmax(4 * c->interval_s, 60);
        coder_get(c, "/api/v2/entitlements", &o);
        if (o.ok) {
            struct err e;
            enum tri prem, prox, ha;
            if (coder_parse_entitlements(o.res.body, o.res.body_len, &prem, &prox, &ha, &e) == 0) {
                c->premium = prem;
                c->proxies_entitled = prox;
                c->ha_entitled = ha;
            }
        }
        outcome_fini(&o);

        if (!load_orgs(c, &o)) {
            group_fail(g, now, &o);
            outcome_fini(&o);
            return;
        }
    }
    group_ok(c, g, now, latency);
}

/* Converts a body into a scratch snapshot to check it before it replaces the
 * last good one. */
typedef int (*check_fn)(struct snapshot *s, const char *body, size_t len, struct err *e);

static int check_replicas(struct snapshot *s, const char *b, size_t n, struct err *e)
{
    return coder_parse_replicas(s, b, n, e);
}

static int check_proxies(struct snapshot *s, const char *b, size_t n, struct err *e)
{
    return coder_parse_proxies(s, b, n, e);
}

static int check_daemons(struct snapshot *s, const char *b, size_t n, struct err *e)
{
    return coder_parse_daemons(s, "", b, n, e);
}

static int check_health(struct snapshot *s, const char *b, size_t n, struct err *e)
{
    double t;
    return coder_parse_health(s, b, n, &t, e);
}

static int check_stats(struct snapshot *s, const char *b, size_t n, struct err *e)
{
    return coder_parse_deployment_stats(s, b, n, e);
}

static int check_quota(struct snapshot *s, const char *b, size_t n, struct err *e)
{
    return coder_parse_quota(s, "me", "", b, n, e);
}

static bool body_valid(check_fn fn, struct outcome *o, const char *what)
{
    struct snapshot *scratch = snapshot_new(0);
    struct err e;
    int rc = fn(scratch, o->res.body, o->res.body_len, &e);
    snapshot_unref(scratch);
    if (rc != 0) {
        o->ok = 0;
        o->reason = REASON_BAD_RESPONSE;
        snprintf(o->msg, sizeof o->msg, "%s: %s", what, e.msg);
        return false;
    }
    return true;
}

static void poll_simple(struct coder *c, enum group_id gi, const char *path, struct body *dst,
                        check_fn check, double now)
{
    struct group *g = &c->g[gi];
    struct outcome o;
    coder_get(c, path, &o);
    if (o.ok && body_valid(check, &o, path)) {
        body_set(dst, &o.res);
        group_ok(c, g, now, o.res.latency_ms);
    } else {
        group_fail(g, now, &o);
        if (g->status == SOURCE_DISABLED) {
            body_clear(dst);
        }
    }
    outcome_fini(&o);
}

static void poll_proxies(struct coder *c, double now)
{
    struct group *g = &c->g[G_PROXIES];
    struct outcome o;
    if (!c->use_regions && c->proxies_entitled != TRI_FALSE) {
        coder_get(c, "/api/v2/workspaceproxies", &o);
        if (o.ok && body_valid(check_proxies, &o, "workspaceproxies")) {
            body_set(&c->proxies, &o.res);
            group_ok(c, g, now, o.res.latency_ms);
            outcome_fini(&o);
            return;
        }
        if (o.reason != REASON_NEEDS_PREMIUM && o.reason != REASON_NO_PERMISSION) {
            group_fail(g, now, &o);
            outcome_fini(&o);
            return;
        }
        c->use_regions = true; /* no proxies feature: the primary region still answers */
        outcome_fini(&o);
    }
    poll_simple(c, G_PROXIES, "/api/v2/regions", &c->proxies, check_proxies, now);
}

static void poll_provisioners(struct coder *c, double now)
{
    struct group *g = &c->g[G_PROV];
    if (c->norgs == 0) {
        return; /* G_API says why */
    }
    char lim_d[16], lim_j[16];
    snprintf(lim_d, sizeof lim_d, "%d", CODER_DAEMON_LIMIT);
    snprintf(lim_j, sizeof lim_j, "%d", CODER_JOB_LIMIT);
    int failures = 0, disabled = 0;
    struct outcome last = {0};
    double latency = 0;
    char truncated[ERR_MSG_MAX] = "";
    for (size_t i = 0; i < c->norgs; i++) {
        struct org_state *os = &c->orgs[i];
        char path[256];
        struct outcome o;

        snprintf(path, sizeof path, "/api/v2/organizations/%s/provisionerdaemons", os->org.id);
        struct param dp[] = {{"limit", lim_d, &c->daemons_limit_param},
                             {"offline", "true", &c->daemons_offline_param}};
        coder_get_params(c, path, dp, 2, &o);
        if (o.ok && body_valid(check_daemons, &o, "provisionerdaemons")) {
            body_set(&os->daemons, &o.res);
            latency += o.res.latency_ms;
        } else {
            failures++;
            disabled += o.reason == REASON_NO_PERMISSION || o.reason == REASON_NEEDS_PREMIUM;
            outcome_fini(&last);
            last = o;
            memset(&o.res, 0, sizeof o.res);
        }
        outcome_fini(&o);

        if (now < c->jobs_missing_until) {
            body_clear(&os->jobs);
            continue;
        }
        snprintf(path, sizeof path, "/api/v2/organizations/%s/provisionerjobs", os->org.id);
        struct param jp[] = {{"limit", lim_j, &c->jobs_limit_param},
                             {"status", "pending,running", &c->jobs_status_param}};
        coder_get_params(c, path, jp, 2, &o);
        if (!o.ok && o.status == 404 && o.reason == REASON_NEEDS_PREMIUM) {
            /* Builds before the org job list (~v2.19): daemons only. */
            c->jobs_missing_until = now + RECHECK_DISABLED_S;
            body_clear(&os->jobs);
            outcome_fini(&o);
            continue;
        }
        if (o.ok) {
            struct snapshot *scratch = snapshot_new(now);
            struct err e;
            size_t listed = 0;
            int rc = coder_parse_jobs(scratch, "", o.res.body, o.res.body_len, now, CODER_JOBS_KEPT,
                                      &listed, &e);
            snapshot_unref(scratch);
            if (rc == 0) {
                os->jobs_listed = listed;
                body_set(&os->jobs, &o.res);
                latency += o.res.latency_ms;
                if (c->jobs_limit_param && listed >= CODER_JOB_LIMIT) {
                    snprintf(truncated, sizeof truncated,
                             "job list of %s truncated at %d: counts are lower bounds",
                             os->org.name, CODER_JOB_LIMIT);
                }
            } else {
                o.ok = 0;
                o.reason = REASON_BAD_RESPONSE;
                snprintf(o.msg, sizeof o.msg, "provisionerjobs: %s", e.msg);
            }
        }
        if (!o.ok) {
            failures++;
            /* Builds before ~v2.19 have no job list: say so, keep daemons. */
            disabled += o.reason == REASON_NO_PERMISSION || o.reason == REASON_NEEDS_PREMIUM;
            outcome_fini(&last);
            last = o;
            memset(&o.res, 0, sizeof o.res);
        }
        outcome_fini(&o);
    }
    if (failures == 0) {
        group_ok(c, g, now, latency);
        if (now < c->jobs_missing_until) {
            snprintf(g->error, sizeof g->error,
                     "this Coder version has no provisioner job list: queue depths unknown");
        } else {
            snprintf(g->error, sizeof g->error, "%s", truncated);
        }
    } else if (disabled == failures && failures == (int)(2 * c->norgs)) {
        group_fail(g, now, &last);
    } else {
        bool some_data = false;
        for (size_t i = 0; i < c->norgs; i++) {
            some_data |= c->orgs[i].daemons.text != NULL || c->orgs[i].jobs.text != NULL;
        }
        g->have_data = some_data;
        group_fail(g, now, &last);
        if (some_data &&
            (last.reason == REASON_NO_PERMISSION || last.reason == REASON_NEEDS_PREMIUM)) {
            /* Part of it is readable (say jobs but not daemons, or one org
             * of several): fresh data, with the missing part named. */
            char why[ERR_MSG_MAX];
            snprintf(why, sizeof why, "%s", g->error);
            g->status = SOURCE_OK;
            g->have_data = true;
            g->last_ok = now;
            g->next_due = now + g->every_s;
            http_backoff_success(&g->bo);
            snprintf(g->error, sizeof g->error, "partial: %s", why);
        }
    }
    outcome_fini(&last);
}

static void poll_health(struct coder *c, double now)
{
    struct group *g = &c->g[G_HEALTH];
    struct outcome o;
    coder_get(c, "/api/v2/debug/health", &o);
    if (!o.ok && o.status == 404 && o.reason == REASON_TIMEOUT) {
        /* The server is computing a fresh report: keep the last, ask again
         * next cycle. */
        snprintf(g->error, sizeof g->error, "%s", o.msg);
        g->next_due = now + c->interval_s;
        outcome_fini(&o);
        return;
    }
    if (o.ok && body_valid(check_health, &o, "debug/health")) {
        body_set(&c->health, &o.res);
        group_ok(c, g, now, o.res.latency_ms);
    } else {
        group_fail(g, now, &o);
        if (g->status == SOURCE_DISABLED) {
            body_clear(&c->health);
        }
    }
    outcome_fini(&o);
}

static void count_into(struct coder *c, const char *path, double *dst, int *ok, int *fail,
                       struct outcome *last)
{
    struct outcome o;
    coder_get(c, path, &o);
    double n;
    struct err e;
    if (o.ok && coder_parse_count(o.res.body, o.res.body_len, &n, &e) == 0) {
        *dst = n;
        (*ok)++;
    } else {
        if (o.ok) {
            o.reason = REASON_BAD_RESPONSE;
            snprintf(o.msg, sizeof o.msg, "%s: %s", path, e.msg);
        }
        (*fail)++;
        outcome_fini(last);
        *last = o;
        memset(&o.res, 0, sizeof o.res);
    }
    outcome_fini(&o);
}

static void poll_stats(struct coder *c, double now)
{
    struct group *g = &c->g[G_STATS];
    int ok = 0, fail = 0;
    struct outcome last = {0}, o;
    coder_get(c, "/api/v2/deployment/stats", &o);
    bool stats_ok = o.ok && body_valid(check_stats, &o, "deployment/stats");
    if (stats_ok) {
        body_set(&c->stats, &o.res);
        ok++;
    } else if (o.status == 400 && c->stats.text) {
        ok++; /* "still processing": keep the previous aggregate */
    }
    outcome_fini(&o);
    count_into(c, "/api/v2/users?q=status%3Aactive&limit=1", &c->users_active, &ok, &fail, &last);
    count_into(c, "/api/v2/users?limit=1", &c->users_total, &ok, &fail, &last);
    count_into(c, "/api/v2/workspaces?limit=1", &c->ws_total, &ok, &fail, &last);
    if (!stats_ok) {
        count_into(c, "/api/v2/workspaces?q=status%3Arunning&limit=1", &c->ws_running, &ok, &fail,
                   &last);
        count_into(c, "/api/v2/workspaces?q=status%3Afailed&limit=1", &c->ws_failed, &ok, &fail,
                   &last);
    }
    if (fail == 0) {
        group_ok(c, g, now, NAN);
    } else if (ok > 0) {
        group_ok(c, g, now, NAN);
        snprintf(g->error, sizeof g->error, "partial: %s", last.msg);
    } else {
        group_fail(g, now, &last);
    }
    outcome_fini(&last);
}

/* GETs /api/v2/organizations/{id}/SUFFIX for every organization into the
 * body at `field` of its org_state; the group is ok when all answered.
 * Returns true when they did. */
static bool poll_each_org(struct coder *c, struct group *g, const char *suffix, size_t field,
                          check_fn check, const char *what, double now)
{
    int ok = 0;
    struct outcome last = {0};
    for (size_t i = 0; i < c->norgs; i++) {
        char path[256];
        snprintf(path, sizeof path, "/api/v2/organizations/%s/%s", c->orgs[i].org.id, suffix);
        struct outcome o;
        coder_get(c, path, &o);
        if (o.ok && body_valid(check, &o, what)) {
            body_set((struct body *)((char *)&c->orgs[i] + field), &o.res);
            ok++;
        } else {
            outcome_fini(&last);
            last = o;
            memset(&o.res, 0, sizeof o.res);
        }
        outcome_fini(&o);
    }
    bool all = c->norgs && ok == (int)c->norgs;
    if (all) {
        group_ok(c, g, now, NAN);
    } else if (c->norgs) {
        group_fail(g, now, &last);
    }
    outcome_fini(&last);
    return all;
}

static void poll_quota(struct coder *c, double now)
{
    poll_each_org(c, &c->g[G_QUOTA], "members/me/workspace-quota",
                  offsetof(struct org_state, quota), check_quota, "workspace-quota", now);
}

/* The time in a list stamp (NAN if none or unreadable). Every scaletop on
 * this host that shares the history directory shares it, so one-shot
 * commands run from cron (a `check` every minute) do not each list every
 * running workspace: the cadence holds across processes. */
static double stamp_read(const char *path)
{
    double t = NAN;
    FILE *f = path[0] ? fopen(path, "r") : NULL;
    if (f) {
        if (fscanf(f, "%lf", &t) != 1) {
            t = NAN;
        }
        fclose(f);
    }
    return t;
}

/* Writes the stamp atomically (a temporary file renamed), 0600; best effort. */
static void stamp_write(const char *path, double t)
{
    if (!path[0]) {
        return;
    }
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return;
    }
    int ok = dprintf(fd, "%.3f\n", t) > 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
    }
}

/* Lists running workspaces page by page. A sweep starts when the group is
 * due (its next start is one cadence later, whatever happens) and goes on
 * over as many polls as it needs, at most COST_PAGES_PER_POLL pages each. */
static void poll_cost(struct coder *c, double now)
{
    struct group *g = &c->g[G_COST];
    struct cost_sweep *sw = &c->sweep;
    if (!sw->active) {
        if (!group_due(g, now)) {
            return;
        }
        double last = stamp_read(c->stamp);
        if (isfinite(last) && now - last < g->every_s && last < now + 60) {
            /* Another scaletop listed them a moment ago. */
            g->next_due = last + g->every_s;
            if (!g->have_data) {
                g->status = SOURCE_DISABLED;
                g->reason = REASON_RATE_LIMITED;
                g->hint = "a `scaletop record` on this host keeps the cost numbers in its history";
                snprintf(g->error, sizeof g->error,
                         "running list taken %.0f s ago by another scaletop; the next in %.0f s "
                         "([cost] interval)",
                         now - last, last + g->every_s - now);
            }
            return;
        }
        stamp_write(c->stamp, now);
        sw->active = true;
        sw->offset = 0;
        sw->started = now;
        sw->truncated = false;
        sw->off_peak_end = cost_last_off_peak(&c->hours, now);
        cost_tally_fini(&sw->cur);
        cost_tally_init(&sw->cur, sw->off_peak_end);
        g->next_due = now + g->every_s;
    }
    double latency = 0;
    for (int page = 0; page < COST_PAGES_PER_POLL; page++) {
        double left = c->deadline - mono_now();
        if (left < 0.5) {
            return; /* out of this poll's budget: resume next poll */
        }
        char path[160];
        snprintf(path, sizeof path, "/api/v2/workspaces?q=status%%3Arunning&limit=%d&offset=%zu",
                 COST_PAGE, sw->offset);
        struct outcome o;
        coder_get(c, path, &o);
        if (!o.ok && o.reason == REASON_TIMEOUT && left < c->timeout_s / 2) {
            /* Cut short by this poll's budget (it had less than half the
             * request timeout), not by the server: the same page next poll. */
            outcome_fini(&o);
            return;
        }
        size_t listed = 0;
        double count = NAN;
        struct err e;
        if (o.ok && coder_parse_running_page(o.res.body, o.res.body_len, sw->off_peak_end, &sw->cur,
                                             &listed, &count, &e) != 0) {
            o.ok = 0;
            o.reason = REASON_BAD_RESPONSE;
            snprintf(o.msg, sizeof o.msg, "workspaces: %s", e.msg);
        }
        if (!o.ok) {
            /* Start over later: the cadence already set, or the backoff
             * for a first list. */
            sw->active = false;
            double due = g->next_due;
            group_fail(g, now, &o);
            if (g->status != SOURCE_DISABLED) {
                g->next_due = g->have_data ? due : now;
            }
            outcome_fini(&o);
            return;
        }
        latency += o.res.latency_ms;
        outcome_fini(&o);
        sw->offset += listed;
        bool end = listed < COST_PAGE || (isfinite(count) && (double)sw->offset >= count);
        if (!end && sw->offset >= COST_MAX_LISTED) {
            sw->truncated = true;
            end = true;
        }
        if (end) {
            sw->active = false;
            cost_tally_finish(&sw->cur);
            cost_tally_move(&sw->done, &sw->cur);
            sw->done_at = sw->started;
            double due = g->next_due;
            group_ok(c, g, now, latency);
            g->next_due = due;
            if (sw->truncated) {
                snprintf(g->error, sizeof g->error,
                         "running list stopped at %d workspaces: counts are lower bounds",
                         COST_MAX_LISTED);
            }
            return;
        }
    }
}

static int check_groups(struct snapshot *s, const char *b, size_t n, struct err *e)
{
    return coder_parse_cost_groups(s, "", b, n, NULL, COST_MAX_GROUPS, e);
}

/* Groups with their quota allowances, per organization (premium). */
static void poll_groups(struct coder *c, double now)
{
    struct group *g = &c->g[G_GROUPS];
    if (!poll_each_org(c, g, "groups", offsetof(struct org_state, groups), check_groups, "groups",
                       now) &&
        c->norgs && g->status == SOURCE_DISABLED) {
        for (size_t i = 0; i < c->norgs; i++) {
            body_clear(&c->orgs[i].groups); /* unlicensed: no stale allowances */
        }
    }
}

/* ---- the snapshot ---- */

/* The groups the cost source polls; the main source polls the others. */
static bool group_mine(const struct coder *c, int gi)
{
    return (gi == G_COST || gi == G_GROUPS) == c->cost_only;
}

static void emit_sources(struct coder *c, struct snapshot *s, double now)
{
    for (int i = 0; i < G_N; i++) {
        struct group *g = &c->g[i];
        if (!group_mine(c, i)) {
            continue;
        }
        struct source_state *st = snapshot_add_source(s, group_names[i], "coder");
        enum source_status status = g->status;
        char buf[ERR_MSG_MAX];
        snprintf(buf, sizeof buf, "%s", g->error);
        /* Data kept past its cadence (budget skips, backoff) is stale. */
        if (status == SOURCE_OK && isfinite(g->last_ok) &&
            now - g->last_ok > 2 * g->every_s + c->interval_s) {
            status = SOURCE_STALE;
            snprintf(buf, sizeof buf, "no fresh data for %.0f s", now - g->last_ok);
        }
        if (i == G_HEALTH && status == SOURCE_OK && isfinite(c->health_time) &&
            now - c->health_time > HEALTH_STALE_S) {
            status = SOURCE_STALE;
            snprintf(buf, sizeof buf, "health report computed %.0f min ago",
                     (now - c->health_time) / 60);
        }
        st->status = status;
        st->reason = g->reason;
        st->last_ok = g->last_ok;
        st->latency_ms = g->latency_ms;
        st->error = buf[0] ? snapshot_str(s, buf) : NULL;
        st->hint = g->hint;
    }
}

static void mark_bad(struct coder *c, enum group_id gi, const char *what, const struct err *e)
{
    struct group *g = &c->g[gi];
    g->status = SOURCE_ERROR;
    g->reason = REASON_BAD_RESPONSE;
    snprintf(g->error, sizeof g->error, "%s: %s", what, e->msg);
}

static void emit_data(struct coder *c, struct snapshot *s, double now)
{
    struct err e;
    struct deployment *d = &s->deployment;
    d->coder_url = snapshot_str(s, c->display_url);
    if (c->version[0]) {
        d->version = snapshot_str(s, c->version);
    }
    d->premium = c->premium;
    if (c->buildinfo.text && coder_parse_buildinfo(s, c->buildinfo.text, c->buildinfo.len, &e)) {
        mark_bad(c, G_API, "buildinfo", &e);
    }
    if (c->g[G_REPLICAS].have_data && c->replicas.text &&
        coder_parse_replicas(s, c->replicas.text, c->replicas.len, &e)) {
        mark_bad(c, G_REPLICAS, "replicas", &e);
    }
    if (c->g[G_PROV].have_data) {
        bool any = false;
        for (size_t i = 0; i < c->norgs; i++) {
            struct org_state *os = &c->orgs[i];
            if (os->daemons.text) {
                any = true;
                if (coder_parse_daemons(s, os->org.name, os->daemons.text, os->daemons.len, &e)) {
                    mark_bad(c, G_PROV, "provisionerdaemons", &e);
                }
            }
        }
        for (size_t i = 0; i < c->norgs; i++) {
            struct org_state *os = &c->orgs[i];
            size_t listed;
            size_t room = CODER_JOBS_KEPT > s->provisioners.njobs
                              ? CODER_JOBS_KEPT - s->provisioners.njobs
                              : 0;
            if (os->jobs.text && coder_parse_jobs(s, os->org.name, os->jobs.text, os->jobs.len, now,
                                                  room, &listed, &e)) {
                mark_bad(c, G_PROV, "provisionerjobs", &e);
            }
        }
        bool jobs_known = false;
        for (size_t i = 0; i < c->norgs; i++) {
            jobs_known |= c->orgs[i].jobs.text != NULL;
        }
        if (any) {
            d->builtin_provisioners = TRI_FALSE;
        }
        if (any || jobs_known) {
            provq_derive(s, now);
        }
        if (!any) {
            /* Jobs without the daemon list: capacity unknown, and no job can
             * be called unrunnable. */
            for (size_t i = 0; i < s->provisioners.nqueues; i++) {
                struct queue *q = &s->provisioners.queues[i];
                q->daemons = q->idle = q->offline = NAN;
            }
            s->provisioners.nunrunnable = 0;
        }
        if (!jobs_known) {
            /* Without a job list the queue depths are unknown, not zero. */
            for (size_t i = 0; i < s->provisioners.nqueues; i++) {
                struct queue *q = &s->provisioners.queues[i];
                q->pending = q->running = q->oldest_pending_s = NAN;
            }
            s->provisioners.nunrunnable = 0;
        }
    }
    if (c->g[G_PROXIES].have_data && c->proxies.text &&
        coder_parse_proxies(s, c->proxies.text, c->proxies.len, &e)) {
        mark_bad(c, G_PROXIES, "proxies", &e);
    }
    if (c->g[G_HEALTH].have_data && c->health.text) {
        if (coder_parse_health(s, c->health.text, c->health.len, &c->health_time, &e)) {
            mark_bad(c, G_HEALTH, "debug/health", &e);
        }
    }
    if (c->g[G_STATS].have_data) {
        if (c->stats.text) {
            if (coder_parse_deployment_stats(s, c->stats.text, c->stats.len, &e)) {
                mark_bad(c, G_STATS, "deployment/stats", &e);
            }
        } else {
            d->workspaces_running = c->ws_running;
            d->workspaces_failed = c->ws_failed;
        }
        if (isfinite(c->ws_total)) {
            d->workspaces_total = c->ws_total; /* live count beats the 5-min aggregate */
        }
        d->users_total = c->users_total;
        d->users_active = c->users_active;
    }
    if (c->g[G_QUOTA].have_data) {
        for (size_t i = 0; i < c->norgs; i++) {
            struct org_state *os = &c->orgs[i];
            if (os->quota.text &&
                coder_parse_quota(s, "me", os->org.name, os->quota.text, os->quota.len, &e)) {
                mark_bad(c, G_QUOTA, "workspace-quota", &e);
            }
        }
    }
}

static void emit_cost(struct coder *c, struct snapshot *s)
{
    struct err e;
    bool have_list = c->g[G_COST].have_data && isfinite(c->sweep.done_at);
    if (have_list) {
        cost_tally_emit(&c->sweep.done, s, c->sweep.done_at);
    }
    if (!c->g[G_GROUPS].have_data) {
        return;
    }
    s->cost.groups_at = c->g[G_GROUPS].last_ok;
    for (size_t i = 0; i < c->norgs; i++) {
        struct org_state *os = &c->orgs[i];
        if (os->groups.text &&
            coder_parse_cost_groups(s, os->org.name, os->groups.text, os->groups.len,
                                    have_list ? &c->sweep.done : NULL, COST_MAX_GROUPS, &e)) {
            mark_bad(c, G_GROUPS, "groups", &e);
        }
    }
}

/* The cost source's poll: with the groups when they are due, the
 * organizations (when unknown, or every RECHECK_DISABLED_S), then the
 * running list; within one request timeout so that the collector never
 * abandons it. */
static void cost_poll(struct coder *c, struct snapshot *s, double now)
{
    c->deadline = mono_now() + c->timeout_s;
    struct group *g = &c->g[G_GROUPS];
    if (group_due(g, now)) {
        bool orgs = c->norgs > 0;
        if (!orgs || now >= c->entitlements_next) {
            struct outcome o;
            orgs = load_orgs(c, &o);
            if (orgs) {
                c->entitlements_next = now + RECHECK_DISABLED_S;
            } else {
                group_fail(g, now, &o); /* backs off: not asked again every poll */
                outcome_fini(&o);
            }
        }
        if (orgs && c->norgs) {
            poll_groups(c, now);
        }
    }
    poll_cost(c, now);
    emit_cost(c, s);
    emit_sources(c, s, now);
}

static void coder_poll(void *state, struct snapshot *s, double now)
{
    struct coder *c = state;
    if (c->cost_only) {
        cost_poll(c, s, now);
        return;
    }
    c->deadline = mono_now() + 2 * c->timeout_s;
    struct group *api = &c->g[G_API];
    if (group_due(api, now)) {
        poll_api(c, now);
    }
    bool reachable = api->status == SOURCE_OK ||
                     (api->reason != REASON_TIMEOUT && api->reason != REASON_UNREACHABLE);
    if (reachable) {
        if (group_due(&c->g[G_REPLICAS], now)) {
            poll_simple(c, G_REPLICAS, "/api/v2/replicas", &c->replicas, check_replicas, now);
        }
        if (group_due(&c->g[G_PROV], now)) {
            poll_provisioners(c, now);
        }
        if (group_due(&c->g[G_PROXIES], now)) {
            poll_proxies(c, now);
        }
        if (group_due(&c->g[G_HEALTH], now)) {
            poll_health(c, now);
        }
        if (group_due(&c->g[G_STATS], now)) {
            poll_stats(c, now);
        }
        if (group_due(&c->g[G_QUOTA], now)) {
            poll_quota(c, now);
        }
    }
    emit_data(c, s, now);
    emit_sources(c, s, now);
}

static void *coder_new(const struct config *cfg, bool cost_only);

static void *coder_create(const struct config *cfg)
{
    return coder_new(cfg, false);
}

static void *coder_cost_create(const struct config *cfg)
{
    return coder_new(cfg, true);
}

static void *coder_new(const struct config *cfg, bool cost_only)
{
    if (!cfg->coder_url || !cfg->coder_url[0]) {
        return NULL;
    }
    struct coder *c = xcalloc(1, sizeof *c);
    c->cost_only = cost_only;

    c->base = xstrdup(cfg->coder_url);
    size_t n = strlen(c->base);
    while (n > 0 && c->base[n - 1] == '/') {
        c->base[--n] = '\0';
    }
    c->token = xstrdup(cfg->token);
    if (c->token) {
        /* A token read from a file may end in a newline; inside a header it
         * would split the request. */
        c->token[strcspn(c->token, "\r\n\t ")] = '\0';
    }
    http_url_redact(c->base, c->display_url, sizeof c->display_url);
    if (cost_only && cfg->db_path && strrchr(cfg->db_path, '/')) {
        /* Beside the history file, one per Coder URL (FNV-1a of it). */
        unsigned long long h = 1469598103934665603ULL;
        for (const char *p = c->base; *p; p++) {
            h = (h ^ (unsigned char)*p) * 1099511628211ULL;
        }
        int dir = (int)(strrchr(cfg->db_path, '/') - cfg->db_path);
        snprintf(c->stamp, sizeof c->stamp, "%.*s/cost-list-%016llx.stamp", dir, cfg->db_path, h);
    }
    struct http_options o;
    http_options_from_config(&o, cfg);
    c->http = http_client_new(&o);
    c->interval_s = cfg->interval_s > 0 ? cfg->interval_s : 15;
    c->timeout_s = cfg->request_timeout_s > 0 ? cfg->request_timeout_s : HTTP_DEFAULT_TIMEOUT_S;
    double base = c->interval_s;
    double every[G_N] = {
        [G_API] = base,
        [G_REPLICAS] = base,
        [G_PROV] = base,
        [G_PROXIES] = fmax(base, 60),              /* coderd probes proxies every 1 min */
        [G_HEALTH] = fmax(base, HEALTH_REFRESH_S), /* cached server-side for 10 min */
        [G_STATS] = fmax(base, 300),               /* deployment stats refresh every ~5 min */
        [G_QUOTA] = fmax(base, 900),
        [G_COST] = fmax(base, cfg->cost_interval_s > 0 ? cfg->cost_interval_s : 900),
        [G_GROUPS] = fmax(base, cfg->cost_interval_s > 0 ? cfg->cost_interval_s : 900),
    };
    for (int i = 0; i < G_N; i++) {
        struct group *g = &c->g[i];
        /* Round the cadence up to a whole multiple of the base interval. */
        g->every_s = ceil(every[i] / base - 1e-9) * base;
        g->status = SOURCE_NEVER;
        g->last_ok = g->latency_ms = NAN;
        http_backoff_init(&g->bo, base, BACKOFF_CAP_S);
    }
    c->daemons_limit_param = c->jobs_limit_param = c->jobs_status_param = true;
    c->daemons_offline_param = true;
    c->premium = c->proxies_entitled = c->ha_entitled = TRI_UNKNOWN;
    c->health_time = NAN;
    c->hours =
        (struct cost_hours){cfg->off_peak_start_h, cfg->off_peak_end_h, cfg->off_peak_weekends};
    c->sweep.done_at = NAN;
    c->users_total = c->users_active = c->ws_total = c->ws_running = c->ws_failed = NAN;
    return c;
}

static void coder_add_disabled(struct snapshot *s)
{
    struct source_state *st = snapshot_add_source(s, CODER_SRC_API, "coder");
    st->status = SOURCE_DISABLED;
    st->reason = REASON_NOT_CONFIGURED;
    st->hint = "set --coder-url URL (or CODER_URL) and a token (--token-file FILE or "
               "CODER_SESSION_TOKEN)";
}

static void coder_destroy(void *state)
{
    struct coder *c = state;
    if (!c) {
        return;
    }
    body_clear(&c->buildinfo);
    body_clear(&c->replicas);
    body_clear(&c->proxies);
    body_clear(&c->health);
    body_clear(&c->stats);
    for (size_t i = 0; i < c->norgs; i++) {
        body_clear(&c->orgs[i].daemons);
        body_clear(&c->orgs[i].jobs);
        body_clear(&c->orgs[i].quota);
        body_clear(&c->orgs[i].groups);
    }
    cost_tally_fini(&c->sweep.cur);
    cost_tally_fini(&c->sweep.done);
    http_client_free(c->http);
    if (c->token) {
        memset(c->token, 0, strlen(c->token));
    }
    free(c->token);
    free(c->base);
    free(c);
}

const struct source_ops coder_source_ops = {
    .kind = "coder",
    .create = coder_create,
    .poll = coder_poll,
    .add_disabled = coder_add_disabled,
    .destroy = coder_destroy,
};

/* Without a Coder URL the main source's "coder-api" says how to enable it. */
const struct source_ops coder_cost_source_ops = {
    .kind = "coder-cost",
    .create = coder_cost_create,
    .poll = coder_poll,
    .add_disabled = NULL,
    .destroy = coder_destroy,
};
