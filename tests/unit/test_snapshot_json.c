/* The snapshot JSON writer against the contract of DESIGN.md §6: a snapshot
 * built by hand, written, read back with jansson, and every contract field
 * checked for its name, type, unit and null-ness. */
#include "backend/snapshot_json.h"
#include "tests/lib/test.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>

/* 2026-11-27T22:47:31Z */
#define T0 1795819651.0

static struct snapshot *build(void)
{
    struct snapshot *s = snapshot_new(T0);

    struct source_state *src = snapshot_add_source(s, "coder-api", "coder");
    src->status = SOURCE_OK;
    src->last_ok = T0;
    src->latency_ms = 12.5;
    src = snapshot_add_source(s, "metrics 10.0.0.2:2112", "metrics");
    src->status = SOURCE_STALE;
    src->reason = REASON_TIMEOUT;
    src->last_ok = T0 - 30;
    src->latency_ms = 3000;
    src->error = snapshot_str(s, "timed out after 3 s\x1b[31m");
    src = snapshot_add_source(s, "postgres", "postgres");
    src->status = SOURCE_DISABLED;
    src->reason = REASON_NOT_CONFIGURED;
    src->hint = snapshot_str(s, "set --pg CONNINFO or PGHOST to enable");

    struct server *v = snapshot_add_server(s);
    v->id = snapshot_str(s, "7c4b");
    v->hostname = snapshot_str(s, "coder-0");
    v->version = snapshot_str(s, "v2.18.0");
    v->region_id = 999;
    v->db_latency_ms = 1.204;
    v->api_p50_ms = 4;
    v->api_p95_ms = 37.5;
    v->api_p99_ms = 120;
    v->requests_per_s = 41.25;
    v->cpu_cores = 0.75;
    v->rss_bytes = 512.0 * 1048576;
    v->open_fds = 230;
    v->max_fds = 1048576;
    v = snapshot_add_server(s); /* a metrics target matching no replica: all unknown */
    v->hostname = snapshot_str(s, "10.0.0.9");

    struct tag tags[] = {{"scope", "organization"}, {"owner", ""}, {"gpu", "true"}};
    struct daemon *d = snapshot_add_daemon(s);
    d->id = snapshot_str(s, "d-1");
    d->name = snapshot_str(s, "prov-a");
    d->organization = snapshot_str(s, "coder");
    d->tags = snapshot_tagset(s, tags, 3);
    d->status = DAEMON_BUSY;
    d->version = snapshot_str(s, "v2.18.0");
    d->current_job = snapshot_str(s, "job-42");
    d = snapshot_add_daemon(s);
    d->name = snapshot_str(s, "prov-b");
    d->status = DAEMON_OFFLINE;

    struct queue *q = snapshot_add_queue(s);
    q->organization = snapshot_str(s, "coder");
    q->tags = snapshot_tagset(s, tags, 1);
    q->pending = 0;
    q->running = 2;
    q->daemons = 3;
    q->idle = 1;
    q->offline = 1;
    struct job *j = snapshot_add_unrunnable(s);
    j->id = snapshot_str(s, "job-7");
    j->organization = snapshot_str(s, "coder");
    j->tags = snapshot_tagset(s, tags + 2, 1);
    j->age_s = 641;
    j->reason = snapshot_str(s, "no_matching_daemon");

    struct postgres *p = &s->postgres;
    p->up = TRI_TRUE;
    p->version = snapshot_str(s, "15.5");
    p->in_recovery = TRI_FALSE;
    p->rtt_ms = 0.4;
    p->connections.used = 57;
    p->connections.max = 97;
    p->connections.active = 3;
    p->connections.idle_in_transaction = 0;
    p->tps = 812.5;
    p->cache_hit_ratio = 0.998;
    p->notify_queue_usage = 0;
    p->db_size_bytes = 7.5e9;
    struct pg_replication *r = snapshot_add_pg_replication(s);
    r->name = snapshot_str(s, "standby-1");
    r->replay_lag_s = 0.25;

    struct proxy *x = snapshot_add_proxy(s);
    x->name = snapshot_str(s, "sydney");
    x->display_name = snapshot_str(s, "Sydney");
    x->url = snapshot_str(s, "https://syd.coder.example");
    x->status = PROXY_UNREACHABLE;
    x->healthy = TRI_FALSE;
    static const char *errs[] = {"dial tcp: i/o timeout"};
    x->errors = errs; /* static storage outlives the test snapshot */
    x->nerrors = 1;

    s->capacity.cluster.cpu_allocatable_cores = 96;
    s->capacity.cluster.cpu_requested_cores = 71.333;
    s->capacity.cluster.memory_allocatable_bytes = 384.0 * 1073741824;
    struct namespace_quota *ns = snapshot_add_namespace(s);
    ns->name = snapshot_str(s, "coder-workspaces");
    ns->nresources = 2;
    ns->resources = snapshot_alloc(s, 2 * sizeof *ns->resources);
    ns->resources[0] = (struct quantity_pair){snapshot_str(s, "requests.cpu"), 0.5, 64};
    ns->resources[1] =
        (struct quantity_pair){snapshot_str(s, "requests.memory"), 68719476736.0, NAN};
    struct coder_quota *cq = snapshot_add_coder_quota(s);
    cq->user = snapshot_str(s, "alice");
    cq->organization = snapshot_str(s, "coder");
    cq->credits_consumed = 90;
    cq->budget = 100;

    struct finding *f = snapshot_add_finding(s);
    f->rule = snapshot_str(s, "replicas.min");
    f->severity = SEV_WARN;
    f->entity = snapshot_str(s, "coderd");
    f->message = snapshot_str(s, "2 replicas; the guide recommends at least 3");
    struct event *ev = snapshot_add_event(s);
    ev->time = T0 - 60;
    ev->kind = snapshot_str(s, "replica_joined");
    ev->entity = snapshot_str(s, "coder-0");
    ev->message = snapshot_str(s, "replica coder-0 joined");
    return s;
}

static json_t *dump_and_load(const struct snapshot *s, int pretty)
{
    char *text = snapshot_json_dump(s, pretty);
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    if (!doc) {
        test_fail(__FILE__, __LINE__, "invalid JSON: %s", jerr.text);
    }
    CHECK(strchr(text, '\x1b') == NULL);
    free(text);
    return doc;
}

/* Follows "a.b.0.c" through objects and arrays. */
static json_t *at(json_t *doc, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = doc;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save)) {
        if (json_is_array(cur)) {
            cur = json_array_get(cur, (size_t)atoi(tok));
        } else {
            cur = json_object_get(cur, tok);
        }
    }
    return cur;
}

#define CHECK_PATH_NULL(doc, path)                                                                 \
    do {                                                                                           \
        json_t *v_ = at((doc), (path));                                                            \
        if (!v_ || !json_is_null(v_))                                                              \
            test_fail(__FILE__, __LINE__, "%s: %s, expected null", (path),                         \
                      v_ ? "not null" : "missing");                                                \
    } while (0)
#define CHECK_PATH_STR(doc, path, want)                                                            \
    do {                                                                                           \
        json_t *v_ = at((doc), (path));                                                            \
        CHECK_STR(json_is_string(v_) ? json_string_value(v_) : "(not a string)", (want));          \
    } while (0)
#define CHECK_PATH_NUM(doc, path, want)                                                            \
    do {                                                                                           \
        json_t *v_ = at((doc), (path));                                                            \
        if (!json_is_number(v_))                                                                   \
            test_fail(__FILE__, __LINE__, "%s is not a number", (path));                           \
        else                                                                                       \
            CHECK_NEAR(json_number_value(v_), (want), 1e-9 * fabs((double)(want)));                \
    } while (0)

/* Every key the contract names exists in `obj`. */
static void check_keys(json_t *obj, const char *where, const char *const *keys)
{
    if (!json_is_object(obj)) {
        test_fail(__FILE__, __LINE__, "%s is not an object", where);
        return;
    }
    for (size_t i = 0; keys[i]; i++) {
        if (!json_object_get(obj, keys[i])) {
            test_fail(__FILE__, __LINE__, "%s lacks \"%s\"", where, keys[i]);
        }
    }
}

TEST(contract_field_names_exist)
{
    struct snapshot *s = build();
    json_t *doc = dump_and_load(s, 0);
    check_keys(doc, "top",
               (const char *[]){"scaletop_snapshot", "time", "sources", "servers", "provisioners",
                                "postgres", "proxies", "capacity", "findings", "events", NULL});
    check_keys(at(doc, "sources.0"), "sources[]",
               (const char *[]){"name", "status", "last_ok", "latency_ms", "error", NULL});
    check_keys(at(doc, "servers.0"), "servers[]",
               (const char *[]){"hostname", "version", "region_id", "error", "db_latency_ms",
                                "api_p50_ms", "api_p95_ms", "api_p99_ms", "requests_per_s",
                                "cpu_cores", "rss_bytes", "open_fds", "max_fds", NULL});
    check_keys(at(doc, "provisioners"), "provisioners",
               (const char *[]){"daemons", "queues", "unrunnable_jobs", NULL});
    check_keys(at(doc, "provisioners.daemons.0"), "daemons[]",
               (const char *[]){"id", "name", "organization", "tags", "status", "version",
                                "current_job", NULL});
    check_keys(at(doc, "provisioners.queues.0"), "queues[]",
               (const char *[]){"organization", "tags", "pending", "running", "daemons", "idle",
                                "oldest_pending_s", "offline", NULL});
    check_keys(at(doc, "provisioners.unrunnable_jobs.0"), "unrunnable_jobs[]",
               (const char *[]){"id", "organization", "tags", "age_s", "reason", NULL});
    check_keys(at(doc, "postgres"), "postgres",
               (const char *[]){"up", "version", "in_recovery", "rtt_ms", "connections", "tps",
                                "cache_hit_ratio", "oldest_xact_s", "notify_queue_usage",
                                "db_size_bytes", "replication", NULL});
    check_keys(at(doc, "postgres.connections"), "connections",
               (const char *[]){"used", "max", "active", "idle_in_transaction", "waiting", NULL});
    check_keys(at(doc, "postgres.replication.0"), "replication[]",
               (const char *[]){"name", "replay_lag_s", "lag_bytes", NULL});
    check_keys(at(doc, "proxies.0"), "proxies[]",
               (const char *[]){"name", "display_name", "url", "status", "healthy", "version",
                                "rtt_ms", NULL});
    check_keys(at(doc, "capacity"), "capacity",
               (const char *[]){"cluster", "namespaces", "coder_quota", NULL});
    check_keys(at(doc, "capacity.cluster"), "cluster",
               (const char *[]){"cpu_allocatable_cores", "cpu_requested_cores",
                                "memory_allocatable_bytes", "memory_requested_bytes",
                                "pods_allocatable", "pods", NULL});
    check_keys(at(doc, "capacity.namespaces.0"), "namespaces[]",
               (const char *[]){"name", "resources", NULL});
    check_keys(at(doc, "capacity.coder_quota.0"), "coder_quota[]",
               (const char *[]){"user", "organization", "credits_consumed", "budget", NULL});
    check_keys(at(doc, "findings.0"), "findings[]",
               (const char *[]){"rule", "severity", "entity", "message", NULL});
    check_keys(at(doc, "events.0"), "events[]",
               (const char *[]){"time", "kind", "entity", "message", NULL});
    json_decref(doc);
    snapshot_unref(s);
}

TEST(values_units_enums_and_nulls)
{
    struct snapshot *s = build();
    json_t *doc = dump_and_load(s, 1);
    json_t *ver = at(doc, "scaletop_snapshot");
    CHECK(json_is_integer(ver) && json_integer_value(ver) == 1);
    CHECK_PATH_STR(doc, "time", "2026-11-27T22:47:31Z");

    CHECK_PATH_STR(doc, "sources.0.status", "ok");
    CHECK_PATH_STR(doc, "sources.0.last_ok", "2026-11-27T22:47:31Z");
    CHECK_PATH_NUM(doc, "sources.0.latency_ms", 12.5);
    CHECK_PATH_NULL(doc, "sources.0.error");
    CHECK_PATH_STR(doc, "sources.1.status", "stale");
    CHECK_PATH_STR(doc, "sources.1.last_ok", "2026-11-27T22:47:01Z");
    CHECK_PATH_STR(doc, "sources.1.error", "timed out after 3 s"); /* escape removed */
    CHECK_PATH_STR(doc, "sources.1.reason", "timeout");
    CHECK_PATH_STR(doc, "sources.2.status", "disabled");
    CHECK_PATH_NULL(doc, "sources.2.last_ok");
    CHECK_PATH_NULL(doc, "sources.2.latency_ms");
    CHECK_PATH_STR(doc, "sources.2.hint", "set --pg CONNINFO or PGHOST to enable");

    CHECK_PATH_NUM(doc, "servers.0.db_latency_ms", 1.204);
    CHECK_PATH_NUM(doc, "servers.0.api_p95_ms", 37.5);
    CHECK_PATH_NUM(doc, "servers.0.cpu_cores", 0.75);
    CHECK_PATH_NUM(doc, "servers.0.rss_bytes", 536870912);
    CHECK(json_is_integer(at(doc, "servers.0.rss_bytes"))); /* integral prints as an integer */
    CHECK(json_is_integer(at(doc, "servers.0.region_id")));
    CHECK(json_is_real(at(doc, "servers.0.requests_per_s")));
    CHECK_PATH_NULL(doc, "servers.0.error");
    CHECK_PATH_STR(doc, "servers.1.hostname", "10.0.0.9");
    const char *unknown[] = {"version",    "region_id",  "db_latency_ms",  "api_p50_ms",
                             "api_p95_ms", "api_p99_ms", "requests_per_s", "cpu_cores",
                             "rss_bytes",  "open_fds",   "max_fds",        NULL};
    for (size_t i = 0; unknown[i]; i++) {
        char path[64];
        snprintf(path, sizeof path, "servers.1.%s", unknown[i]);
        CHECK_PATH_NULL(doc, path);
    }

    CHECK_PATH_STR(doc, "provisioners.daemons.0.status", "busy");
    CHECK_PATH_STR(doc, "provisioners.daemons.0.current_job", "job-42");
    CHECK_PATH_STR(doc, "provisioners.daemons.0.tags.gpu", "true");
    CHECK_PATH_STR(doc, "provisioners.daemons.0.tags.owner", "");
    CHECK_PATH_STR(doc, "provisioners.daemons.0.tags.scope", "organization");
    CHECK(json_object_size(at(doc, "provisioners.daemons.0.tags")) == 3);
    CHECK_PATH_STR(doc, "provisioners.daemons.1.status", "offline");
    CHECK_PATH_NULL(doc, "provisioners.daemons.1.current_job");
    CHECK(json_is_object(at(doc, "provisioners.daemons.1.tags")));
    CHECK_PATH_NUM(doc, "provisioners.queues.0.pending", 0);
    CHECK_PATH_NUM(doc, "provisioners.queues.0.daemons", 3);
    CHECK_PATH_NUM(doc, "provisioners.queues.0.offline", 1);
    CHECK_PATH_NULL(doc, "provisioners.queues.0.oldest_pending_s");
    CHECK_PATH_STR(doc, "provisioners.unrunnable_jobs.0.reason", "no_matching_daemon");
    CHECK_PATH_NUM(doc, "provisioners.unrunnable_jobs.0.age_s", 641);

    CHECK(json_is_true(at(doc, "postgres.up")));
    CHECK(json_is_false(at(doc, "postgres.in_recovery")));
    CHECK_PATH_NUM(doc, "postgres.connections.max", 97);
    CHECK_PATH_NUM(doc, "postgres.connections.idle_in_transaction", 0);
    CHECK_PATH_NULL(doc, "postgres.connections.waiting");
    CHECK_PATH_NULL(doc, "postgres.oldest_xact_s");
    CHECK_PATH_NUM(doc, "postgres.cache_hit_ratio", 0.998);
    CHECK_PATH_NUM(doc, "postgres.db_size_bytes", 7.5e9);
    CHECK_PATH_NUM(doc, "postgres.replication.0.replay_lag_s", 0.25);
    CHECK_PATH_NULL(doc, "postgres.replication.0.lag_bytes");

    CHECK_PATH_STR(doc, "proxies.0.status", "unreachable");
    CHECK(json_is_false(at(doc, "proxies.0.healthy")));
    CHECK_PATH_NULL(doc, "proxies.0.version");
    CHECK_PATH_NULL(doc, "proxies.0.rtt_ms");
    CHECK_PATH_STR(doc, "proxies.0.errors.0", "dial tcp: i/o timeout");

    CHECK_PATH_NUM(doc, "capacity.cluster.cpu_allocatable_cores", 96);
    CHECK_PATH_NUM(doc, "capacity.cluster.cpu_requested_cores", 71.333);
    CHECK_PATH_NULL(doc, "capacity.cluster.pods");
    json_t *res = at(doc, "capacity.namespaces.0.resources");
    json_t *mem = json_object_get(res, "requests.memory");
    CHECK(mem && json_number_value(json_object_get(mem, "used")) == 68719476736.0);
    CHECK(mem && json_is_null(json_object_get(mem, "hard")));
    json_t *cpu = json_object_get(res, "requests.cpu");
    CHECK(cpu && json_number_value(json_object_get(cpu, "hard")) == 64);
    CHECK(cpu && json_number_value(json_object_get(cpu, "used")) == 0.5);
    CHECK_PATH_NUM(doc, "capacity.coder_quota.0.budget", 100);

    CHECK_PATH_STR(doc, "findings.0.severity", "warn");
    CHECK_PATH_STR(doc, "findings.0.rule", "replicas.min");
    CHECK_PATH_STR(doc, "events.0.time", "2026-11-27T22:46:31Z");
    CHECK_PATH_STR(doc, "events.0.kind", "replica_joined");
    json_decref(doc);
    snapshot_unref(s);
}

TEST(empty_snapshot_has_every_section)
{
    struct snapshot *s = snapshot_new(T0 + 0.5);
    json_t *doc = dump_and_load(s, 0);
    CHECK_PATH_STR(doc, "time", "2026-11-27T22:47:31.500Z");
    CHECK(json_is_array(at(doc, "sources")) && json_array_size(at(doc, "sources")) == 0);
    CHECK(json_is_array(at(doc, "servers")));
    CHECK(json_is_array(at(doc, "provisioners.daemons")));
    CHECK(json_is_array(at(doc, "provisioners.unrunnable_jobs")));
    CHECK_PATH_NULL(doc, "postgres.up");
    CHECK_PATH_NULL(doc, "postgres.connections.max");
    CHECK_PATH_NULL(doc, "capacity.cluster.cpu_allocatable_cores");
    CHECK(json_is_array(at(doc, "findings")));
    CHECK(json_is_array(at(doc, "events")));
    json_decref(doc);
    snapshot_unref(s);
}

TEST(write_to_file_and_fail_cleanly)
{
    struct snapshot *s = build();
    struct err e = {{0}};
    FILE *f = tmpfile();
    CHECK(snapshot_json_write(s, f, 1, &e) == 0);
    long len = ftell(f);
    char *text = snapshot_json_dump(s, 1);
    CHECK_INT(len, (long)strlen(text) + 1); /* the document and a newline */
    free(text);
    fclose(f);
    f = fopen("/dev/full", "w");
    if (f) {
        CHECK(snapshot_json_write(s, f, 0, &e) == -1);
        CHECK(strstr(e.msg, "snapshot JSON") != NULL);
        fclose(f);
    }
    snapshot_unref(s);
}
