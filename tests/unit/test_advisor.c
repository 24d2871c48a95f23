/* The advisor: each rule fires on its condition with the right entity and
 * evidence, and stays quiet on a healthy deployment. */
#include "backend/advisor.h"
#include "tests/lib/test.h"

#include <math.h>
#include <stdlib.h>

/* A deployment that follows the guide: 3 replicas in one region, low
 * latencies, external provisioners with idle capacity, healthy Postgres,
 * healthy proxies, plenty of headroom. */
static struct snapshot *steady(void)
{
    struct snapshot *s = snapshot_new(1.8e9);
    struct source_state *src = snapshot_add_source(s, "coder-replicas", "coder");
    src->status = SOURCE_OK;
    s->deployment.version = snapshot_str(s, "v2.24.1+abc");
    s->deployment.db_metrics_collected = TRI_TRUE;
    s->deployment.agent_stats_full = TRI_FALSE;
    s->deployment.builtin_provisioners = TRI_FALSE;
    s->deployment.health_severity = snapshot_str(s, "ok");
    s->deployment.builds_failed_per_h = 0;
    for (int i = 0; i < 3; i++) {
        struct server *sv = snapshot_add_server(s);
        char host[32];
        snprintf(host, sizeof host, "coder-%d", i);
        sv->id = snapshot_str(s, host);
        sv->hostname = snapshot_str(s, host);
        sv->version = snapshot_str(s, "v2.24.1+abc");
        sv->region_id = 999;
        sv->db_latency_ms = 1.2;
        sv->api_p95_ms = 40;
        sv->db_query_p95_ms = 5;
        sv->cpu_cores = 0.5;
        sv->cpu_cores_available = 4;
        sv->rss_bytes = 1e9;
        sv->memory_available_bytes = 12e9;
    }
    struct tag tg = {"scope", "organization"};
    struct daemon *d = snapshot_add_daemon(s);
    d->id = snapshot_str(s, "d1");
    d->status = DAEMON_IDLE;
    d->version = snapshot_str(s, "v2.24.1");
    d->tags = snapshot_tagset(s, &tg, 1);
    struct queue *q = snapshot_add_queue(s);
    q->organization = snapshot_str(s, "coder");
    q->tags = snapshot_tagset(s, &tg, 1);
    q->pending = 0;
    q->running = 3;
    q->daemons = 10;
    q->idle = 7;
    s->postgres.up = TRI_TRUE;
    s->postgres.stats_visible = TRI_TRUE;
    s->postgres.connections.used = 40;
    s->postgres.connections.max = 97;
    s->postgres.notify_queue_usage = 0.0;
    s->postgres.xid_age = 2e6;
    s->postgres.oldest_xact_s = 1;
    struct proxy *x = snapshot_add_proxy(s);
    x->name = snapshot_str(s, "eu");
    x->status = PROXY_OK;
    s->capacity.cluster.cpu_allocatable_cores = 100;
    s->capacity.cluster.cpu_requested_cores = 40;
    s->capacity.cluster.memory_allocatable_bytes = 400e9;
    s->capacity.cluster.memory_requested_bytes = 100e9;
    s->capacity.cluster.pods = 300;
    s->capacity.cluster.pods_allocatable = 1100;
    /* A system node with coderd, a workspace node packed to 60 % with a
     * provisioner beside the workspaces (the guide's advice): quiet. */
    struct node_load *n = snapshot_add_node_load(s);
    n->name = snapshot_str(s, "system-0");
    n->workspaces = 0;
    n->cpu_allocatable_cores = 16;
    n->memory_allocatable_bytes = 64e9;
    n->workspace_cpu_requested_cores = 0;
    n->workspace_memory_requested_bytes = 0;
    n->coderd = 1;
    n->postgres = n->proxies = n->provisioners = 0;
    n = snapshot_add_node_load(s);
    n->name = snapshot_str(s, "ws-0");
    n->workspaces = 10;
    n->cpu_allocatable_cores = 16;
    n->memory_allocatable_bytes = 64e9;
    n->workspace_cpu_requested_cores = 9.6;
    n->workspace_memory_requested_bytes = 38.4e9;
    n->coderd = n->postgres = n->proxies = 0;
    n->provisioners = 1;
    return s;
}

/* The workspace node of steady(). */
static struct node_load *ws_node(struct snapshot *s)
{
    return &s->capacity.nodes[1];
}

static struct advisor *fresh(void)
{
    struct advisor_thresholds t;
    advisor_thresholds_default(&t);
    return advisor_new(&t);
}

static const struct finding *find(const struct snapshot *s, const char *rule, const char *entity)
{
    for (size_t i = 0; i < s->nfindings; i++) {
        if (strcmp(s->findings[i].rule, rule) == 0 &&
            (!entity || strcmp(s->findings[i].entity, entity) == 0)) {
            return &s->findings[i];
        }
    }
    return NULL;
}

/* Evaluates, checks that `rule` fired on `entity` with severity `sev` and
 * evidence containing `evidence`, and returns the snapshot's finding count. */
static size_t expect(struct snapshot *s, const char *rule, const char *entity, enum severity sev,
                     const char *evidence)
{
    struct advisor *a = fresh();
    advisor_evaluate(a, s, NULL);
    const struct finding *f = find(s, rule, entity);
    if (!f) {
        test_fail(__FILE__, __LINE__, "rule %s did not fire on %s", rule, entity);
    } else {
        if (f->severity != sev) {
            test_fail(__FILE__, __LINE__, "rule %s severity %s, expected %s", rule,
                      severity_name(f->severity), severity_name(sev));
        }
        if (!f->evidence || !strstr(f->evidence, evidence)) {
            test_fail(__FILE__, __LINE__, "rule %s evidence '%s' lacks '%s'", rule,
                      f->evidence ? f->evidence : "(none)", evidence);
        }
        if (!f->message || strlen(f->message) < 10) {
            test_fail(__FILE__, __LINE__, "rule %s has no advice", rule);
        }
    }
    size_t n = s->nfindings;
    advisor_free(a);
    snapshot_unref(s);
    return n;
}

TEST(advisor_quiet_on_steady)
{
    struct snapshot *s = steady();
    struct advisor *a = fresh();
    advisor_evaluate(a, s, NULL);
    for (size_t i = 0; i < s->nfindings; i++) {
        test_fail(__FILE__, __LINE__, "steady fired %s on %s: %s", s->findings[i].rule,
                  s->findings[i].entity, s->findings[i].message);
    }
    CHECK_INT(advisor_worst(s), SEV_OK);
    advisor_free(a);
    snapshot_unref(s);
}

TEST(advisor_replica_count)
{
    struct snapshot *s = steady();
    s->nservers = 2;
    expect(s, "coderd.replicas.min", "deployment", SEV_WARN, "replicas=2");
    s = steady();
    for (int i = 0; i < 9; i++) {
        struct server *sv = snapshot_add_server(s);
        sv->id = snapshot_str(s, "x");
        sv->hostname = snapshot_str(s, "x");
    }
    expect(s, "coderd.replicas.max", "deployment", SEV_INFO, "replicas=12");
}

TEST(advisor_replica_count_unknown_without_replicas_list)
{
    /* No permission to list replicas: the count is unknown, not zero. */
    struct snapshot *s = steady();
    s->sources[0].status = SOURCE_DISABLED;
    s->nservers = 0;
    struct advisor *a = fresh();
    advisor_evaluate(a, s, NULL);
    CHECK(find(s, "coderd.replicas.min", NULL) == NULL);
    advisor_free(a);
    snapshot_unref(s);
}

TEST(advisor_regions_and_versions)
{
    struct snapshot *s = steady();
    s->servers[2].region_id = 1000;
    expect(s, "coderd.regions", "deployment", SEV_WARN, "regions");
    s = steady();
    s->servers[1].version = snapshot_str(s, "v2.23.0");
    expect(s, "coderd.versions", "deployment", SEV_WARN, "v2.");
}

TEST(advisor_db_latency)
{
    struct snapshot *s = steady();
    s->servers[1].db_latency_ms = 14.5;
    expect(s, "coderd.db_latency", "server/coder-1", SEV_WARN, "db_latency_ms=14.5");
    s = steady();
    s->servers[0].db_latency_ms = 80;
    expect(s, "coderd.db_latency", "server/coder-0", SEV_CRIT, "db_latency_ms=80.0");
}

TEST(advisor_replica_error_and_latencies)
{
    struct snapshot *s = steady();
    s->servers[2].error = snapshot_str(s, "dial tcp 10.0.0.3:8080: i/o timeout");
    expect(s, "coderd.replica_error", "server/coder-2", SEV_WARN, "i/o timeout");
    s = steady();
    s->servers[0].api_p95_ms = 2500;
    expect(s, "coderd.api_latency", "server/coder-0", SEV_CRIT, "api_p95_ms=2500");
    s = steady();
    s->servers[0].db_query_p95_ms = 150;
    expect(s, "coderd.db_query_latency", "server/coder-0", SEV_WARN, "db_query_p95_ms=150");
}

TEST(advisor_metrics_settings)
{
    struct snapshot *s = steady();
    s->deployment.db_metrics_collected = TRI_FALSE;
    expect(s, "coderd.db_metrics_off", "deployment", SEV_INFO, "absent");
    s = steady();
    s->deployment.agent_stats_full = TRI_TRUE;
    s->deployment.agent_stats_series = 24000;
    expect(s, "coderd.agent_stats_cardinality", "deployment", SEV_WARN, "series=24000");
}

TEST(advisor_utilisation)
{
    struct snapshot *s = steady();
    s->servers[1].cpu_cores = 3.8;
    expect(s, "coderd.utilisation", "server/coder-1", SEV_CRIT, "cpu=3.80 of 4.00");
}

TEST(advisor_health_report)
{
    struct snapshot *s = steady();
    s->deployment.health_severity = snapshot_str(s, "error");
    s->deployment.health_codes = snapshot_alloc(s, sizeof(char *));
    s->deployment.health_codes[0] = snapshot_str(s, "EDB01");
    s->deployment.nhealth_codes = 1;
    expect(s, "coderd.health", "deployment", SEV_CRIT, "EDB01");
}

TEST(advisor_provisioners)
{
    struct snapshot *s = steady();
    s->deployment.builtin_provisioners = TRI_TRUE;
    expect(s, "provisioners.builtin", "deployment", SEV_WARN, "built-in");

    s = steady();
    struct queue *q = &s->provisioners.queues[0];
    q->pending = 12;
    q->idle = 0;
    q->oldest_pending_s = 420;
    expect(s, "provisioners.queue_starved", "queue/coder/scope=organization", SEV_WARN,
           "pending=12 idle=0");

    s = steady();
    q = &s->provisioners.queues[0];
    q->pending = 3;
    q->idle = 2; /* idle daemons: the queue is draining, no finding */
    q->oldest_pending_s = 4000;
    struct advisor *a = fresh();
    advisor_evaluate(a, s, NULL);
    CHECK(find(s, "provisioners.queue_starved", NULL) == NULL);
    advisor_free(a);
    snapshot_unref(s);

    s = steady();
    struct job *j = snapshot_add_unrunnable(s);
    struct tag gpu = {"gpu", "a100"};
    j->id = snapshot_str(s, "job-42");
    j->tags = snapshot_tagset(s, &gpu, 1);
    j->age_s = 600;
    j->reason = snapshot_str(s, "no_matching_daemon");
    expect(s, "provisioners.unrunnable", "job/job-42", SEV_CRIT, "gpu=a100");

    s = steady();
    s->provisioners.daemons[0].version = snapshot_str(s, "v2.20.0");
    expect(s, "provisioners.version", "provisioners", SEV_WARN, "v2.20.0");

    s = steady();
    s->deployment.builds_failed_per_h = 42; /* 7 per 10 minutes */
    expect(s, "provisioners.build_failures", "deployment", SEV_WARN, "7.0");
}

TEST(advisor_postgres)
{
    struct snapshot *s = steady();
    s->postgres.up = TRI_FALSE;
    expect(s, "postgres.down", "postgres", SEV_CRIT, "up=false");
    s = steady();
    s->postgres.connections.used = 90;
    expect(s, "postgres.connections", "postgres", SEV_CRIT, "used=90 max=97");
    s = steady();
    s->postgres.notify_queue_usage = 0.6;
    expect(s, "postgres.notify_queue", "postgres", SEV_WARN, "usage=60%");
    s = steady();
    struct pg_replication *r = snapshot_add_pg_replication(s);
    r->name = snapshot_str(s, "standby-a");
    r->replay_lag_s = 45;
    expect(s, "postgres.replication_lag", "postgres/standby/standby-a", SEV_WARN,
           "replay_lag_s=45");
    s = steady();
    s->postgres.xid_age = 1.7e9;
    expect(s, "postgres.wraparound", "postgres", SEV_CRIT, "xid_age=1700000000");
    s = steady();
    s->postgres.oldest_xact_s = 900;
    expect(s, "postgres.long_transaction", "postgres", SEV_WARN, "oldest_xact_s=900");
    s = steady();
    s->postgres.stats_visible = TRI_FALSE;
    expect(s, "postgres.stats_hidden", "postgres", SEV_INFO, "stats_visible=false");
}

TEST(advisor_proxies)
{
    struct snapshot *s = steady();
    s->proxies[0].status = PROXY_UNREACHABLE;
    expect(s, "proxies.unhealthy", "proxy/eu", SEV_CRIT, "status=unreachable");
}

TEST(advisor_capacity_headroom)
{
    struct snapshot *s = steady();
    s->capacity.cluster.cpu_requested_cores = 85;
    expect(s, "capacity.headroom", "cluster", SEV_WARN, "15% left");
    s = steady();
    struct namespace_quota *ns = snapshot_add_namespace(s);
    ns->name = snapshot_str(s, "coder-ws");
    ns->resources = snapshot_alloc(s, sizeof *ns->resources);
    ns->resources[0].resource = snapshot_str(s, "requests.cpu");
    ns->resources[0].used = 98;
    ns->resources[0].hard = 100;
    ns->nresources = 1;
    expect(s, "capacity.headroom", "namespace/coder-ws", SEV_CRIT, "used=98 of 100");
}

/* A fake history in which cluster CPU requests grew 40 -> 70 cores over
 * three days: at that rate the last 30 of 100 cores go in three days. */
static int fake_stats(void *ctx, const char *series, double from, double to,
                      struct advisor_series_stats *out)
{
    (void)ctx;
    (void)from;
    if (strcmp(series, "capacity/cluster/cpu_requested_cores") != 0) {
        return -1;
    }
    out->first = 40;
    out->last = 70;
    out->first_t = to - 3 * 86400.0;
    out->last_t = to;
    out->min = 40;
    out->max = 70;
    out->avg = 55;
    out->n = 1000;
    return 0;
}

TEST(advisor_node_crowded_by_share_and_count)
{
    struct snapshot *s = steady();
    ws_node(s)->workspace_memory_requested_bytes = 57.6e9; /* 90 % */
    expect(s, "capacity.node_crowded", "node/ws-0", SEV_WARN, "memory_requests=90%");
    s = steady();
    ws_node(s)->workspace_cpu_requested_cores = 13.6; /* 85 %: at the threshold */
    expect(s, "capacity.node_crowded", "node/ws-0", SEV_WARN, "cpu_requests=85%");
    s = steady();
    ws_node(s)->workspaces = 20; /* small workspaces, many of them */
    expect(s, "capacity.node_crowded", "node/ws-0", SEV_WARN, "workspaces=20");
    s = steady();
    ws_node(s)->workspace_cpu_usage_cores = 12;
    ws_node(s)->workspaces = 25;
    expect(s, "capacity.node_crowded", "node/ws-0", SEV_WARN, "cpu_used=75%");
    s = steady();
    ws_node(s)->workspaces = 30;
    ws_node(s)->memory_allocatable_bytes = NAN; /* unknown: said so, not "nan%" */
    expect(s, "capacity.node_crowded", "node/ws-0", SEV_WARN, "memory_requests=?");
}

TEST(advisor_node_below_thresholds_or_unknown_is_quiet)
{
    struct advisor_thresholds t;
    advisor_thresholds_default(&t);
    struct snapshot *s = steady();
    struct node_load *n = ws_node(s);
    n->workspaces = 19;
    n->workspace_cpu_requested_cores = 13.5;      /* 84 % */
    n->workspace_memory_requested_bytes = 54.3e9; /* 84.8 % */
    CHECK_INT(advisor_node_crowded(&t, n), SEV_OK);
    /* Unknown requests or allocatable never fire. */
    n->cpu_allocatable_cores = NAN;
    n->workspace_memory_requested_bytes = NAN;
    CHECK_INT(advisor_node_crowded(&t, n), SEV_OK);
    n->workspaces = NAN;
    n->workspace_cpu_requested_cores = 16;
    CHECK_INT(advisor_node_crowded(&t, n), SEV_OK);
    struct advisor *a = fresh();
    advisor_evaluate(a, s, NULL);
    CHECK(find(s, "capacity.node_crowded", NULL) == NULL);
    advisor_free(a);
    snapshot_unref(s);
    /* A configured count threshold. */
    struct err e;
    CHECK_INT(advisor_thresholds_set(&t, "node_workspaces_warn", "8", &e), 0);
    s = steady();
    CHECK_INT(advisor_node_crowded(&t, ws_node(s)), SEV_WARN);
    snapshot_unref(s);
}

TEST(advisor_control_plane_colocated)
{
    struct snapshot *s = steady();
    ws_node(s)->coderd = 1;
    struct advisor *a = fresh();
    advisor_evaluate(a, s, NULL);
    const struct finding *f = find(s, "capacity.control_plane_colocated", "node/ws-0");
    CHECK(f != NULL);
    if (f) {
        CHECK_INT(f->severity, SEV_WARN);
        CHECK(strstr(f->message, "coderd") != NULL);
        CHECK(strstr(f->evidence, "workspaces=10 coderd=1") != NULL);
    }
    /* The system node's coderd beside no workspace does not fire. */
    CHECK(find(s, "capacity.control_plane_colocated", "node/system-0") == NULL);
    advisor_free(a);
    snapshot_unref(s);
    s = steady();
    ws_node(s)->postgres = 1;
    ws_node(s)->proxies = 2;
    a = fresh();
    advisor_evaluate(a, s, NULL);
    f = find(s, "capacity.control_plane_colocated", "node/ws-0");
    CHECK(f && strstr(f->message, "PostgreSQL, proxy") != NULL);
    advisor_free(a);
    snapshot_unref(s);
    /* Provisioners alone (steady() has one) and unknown counts stay quiet. */
    s = steady();
    ws_node(s)->provisioners = 3;
    ws_node(s)->coderd = NAN;
    CHECK(!advisor_node_colocated(ws_node(s)));
    snapshot_unref(s);
}

TEST(advisor_forecast_from_history)
{
    struct snapshot *s = steady();
    s->capacity.cluster.cpu_requested_cores = 70;
    struct advisor_history h = {NULL, fake_stats};
    struct advisor *a = fresh();
    advisor_evaluate(a, s, &h);
    const struct finding *f = find(s, "capacity.forecast", "cluster");
    CHECK(f != NULL);
    if (f) {
        CHECK_INT(f->severity, SEV_WARN);
        CHECK(strstr(f->message, "3.0 days") != NULL);
    }
    advisor_free(a);
    snapshot_unref(s);
}

/* Network: STUN/DERP verdicts and relay load fire, at their thresholds and
 * not below; unknown (NAN / TRI_UNKNOWN) never fires. */
TEST(advisor_network_stun_and_derp)
{
    struct snapshot *s = steady();
    s->deployment.stun_healthy = TRI_TRUE;
    s->deployment.derp_healthy = TRI_TRUE;
    struct advisor *a = fresh();
    advisor_evaluate(a, s, NULL);
    CHECK(find(s, "network.stun_failing", NULL) == NULL);
    CHECK(find(s, "network.derp_degraded", NULL) == NULL);
    advisor_free(a);
    snapshot_unref(s);

    s = steady();
    static const char *codes[] = {"ESTUN01", "EDB02"};
    s->deployment.health_codes = codes;
    s->deployment.nhealth_codes = 2;
    s->deployment.stun_healthy = TRI_FALSE;
    s->deployment.derp_healthy = TRI_TRUE;
    s->deployment.derp_bytes_per_s = 1234;
    expect(s, "network.stun_failing", "deployment", SEV_WARN, "codes=ESTUN01 ");

    s = steady();
    static const char *dcodes[] = {"EDERP01"};
    s->deployment.health_codes = dcodes;
    s->deployment.nhealth_codes = 1;
    s->deployment.derp_healthy = TRI_FALSE;
    s->deployment.stun_healthy = TRI_TRUE;
    CHECK_INT(expect(s, "network.derp_degraded", "deployment", SEV_WARN, "codes=EDERP01"), 1);
}

TEST(advisor_network_relay_load)
{
    struct snapshot *s = steady();
    s->servers[1].derp_bytes_per_s = 4.9e6; /* just under the 5 MB/s default */
    s->servers[1].derp_clients = 200;
    s->proxies[0].derp_bytes_per_s = 4.9e6;
    struct advisor *a = fresh();
    advisor_evaluate(a, s, NULL);
    CHECK(find(s, "network.relay_load", NULL) == NULL);
    advisor_free(a);
    snapshot_unref(s);

    s = steady();
    s->servers[1].derp_bytes_per_s = 6e6;
    s->servers[1].derp_clients = 200;
    expect(s, "network.relay_load", "server/coder-1", SEV_WARN, "derp_bytes_per_s=6000000");
    s = steady();
    s->proxies[0].derp_bytes_per_s = 30e6;
    expect(s, "network.relay_load", "proxy/eu", SEV_CRIT, "derp_bytes_per_s=30000000");
}

/* A week of relayed traffic averaging 400 kB/s over 5 days. */
static int relay_stats(void *ctx, const char *series, double from, double to,
                       struct advisor_series_stats *out)
{
    const double *span_h = ctx;
    (void)from;
    if (strcmp(series, "deployment/derp_bytes_per_s") != 0) {
        return -1;
    }
    out->first = out->last = out->min = out->max = out->avg = 400e3;
    out->first_t = to - *span_h * 3600;
    out->last_t = to;
    out->n = 500;
    return 0;
}

TEST(advisor_network_relay_growth)
{
    double span_h = 120;
    struct advisor_history h = {&span_h, relay_stats};
    /* 1.1 MB/s: 2.75x the average, under the 3x default: quiet */
    struct snapshot *s = steady();
    s->deployment.derp_bytes_per_s = 1.1e6;
    struct advisor *a = fresh();
    advisor_evaluate(a, s, &h);
    CHECK(find(s, "network.relay_growth", NULL) == NULL);
    snapshot_unref(s);
    /* 1.6 MB/s: 4x: fires, with the ratio in the message */
    s = steady();
    s->deployment.derp_bytes_per_s = 1.6e6;
    advisor_evaluate(a, s, &h);
    const struct finding *f = find(s, "network.relay_growth", "deployment");
    CHECK(f != NULL);
    if (f) {
        CHECK_INT(f->severity, SEV_WARN);
        CHECK(strstr(f->message, "4.0x") != NULL);
        CHECK(strstr(f->evidence, "avg=400000") != NULL);
    }
    snapshot_unref(s);
    /* the same jump with only 30 minutes of history: no baseline, quiet */
    span_h = 0.5;
    s = steady();
    s->deployment.derp_bytes_per_s = 1.6e6;
    advisor_evaluate(a, s, &h);
    CHECK(find(s, "network.relay_growth", NULL) == NULL);
    snapshot_unref(s);
    advisor_free(a);
}

TEST(advisor_since_and_events)
{
    struct advisor *a = fresh();
    struct snapshot *s1 = steady();
    s1->postgres.notify_queue_usage = 0.7;
    advisor_evaluate(a, s1, NULL);
    CHECK_INT(s1->nevents, 1);
    CHECK_STR(s1->events[0].kind, "finding-start");
    struct snapshot *s2 = steady();
    s2->time += 60;
    s2->postgres.notify_queue_usage = 0.7;
    advisor_evaluate(a, s2, NULL);
    CHECK_INT(s2->nevents, 0);
    const struct finding *f = find(s2, "postgres.notify_queue", NULL);
    CHECK(f && f->since == s1->time);
    struct snapshot *s3 = steady();
    s3->time += 120;
    advisor_evaluate(a, s3, NULL);
    CHECK_INT(s3->nfindings, 0);
    CHECK_INT(s3->nevents, 1);
    if (s3->nevents) {
        CHECK_STR(s3->events[0].kind, "finding-end");
        CHECK_STR(s3->events[0].entity, "postgres");
    }
    snapshot_unref(s1);
    snapshot_unref(s2);
    snapshot_unref(s3);
    advisor_free(a);
}

TEST(advisor_thresholds_from_config)
{
    struct advisor_thresholds t;
    struct err e = {{0}};
    advisor_thresholds_default(&t);
    CHECK_NEAR(t.db_latency_warn_ms, 10, 0);
    CHECK_INT(advisor_thresholds_set(&t, "db_latency_warn_ms", "25", &e), 0);
    CHECK_NEAR(t.db_latency_warn_ms, 25, 0);
    CHECK_INT(advisor_thresholds_set(&t, "db_latency_warn_ms", "fast", &e), -1);
    CHECK(strstr(e.msg, "db_latency_warn_ms") != NULL);
    CHECK_INT(advisor_thresholds_set(&t, "no_such", "1", &e), -1);
    CHECK(strstr(e.msg, "no_such") != NULL);
    size_t n;
    const struct advisor_threshold_info *tab = advisor_threshold_table(&n);
    CHECK(n >= 20);
    CHECK_STR(tab[0].key, "replicas_min");
}

TEST(advisor_findings_sorted_worst_first)
{
    struct snapshot *s = steady();
    s->deployment.db_metrics_collected = TRI_FALSE; /* info */
    s->postgres.up = TRI_FALSE;                     /* crit */
    struct advisor *a = fresh();
    advisor_evaluate(a, s, NULL);
    CHECK(s->nfindings >= 2);
    CHECK_INT(s->findings[0].severity, SEV_CRIT);
    CHECK_INT(advisor_worst(s), SEV_CRIT);
    advisor_free(a);
    snapshot_unref(s);
}

TEST(advisor_every_rule_and_threshold_documented)
{
    char *doc = test_read_file("docs/rules.md", NULL);
    CHECK(doc != NULL);
    if (!doc) {
        return;
    }
    size_t n;
    const struct advisor_rule_info *r = advisor_rule_table(&n);
    for (size_t i = 0; i < n; i++) {
        char want[128];
        snprintf(want, sizeof want, "`%s`", r[i].id);
        if (!strstr(doc, want)) {
            test_fail(__FILE__, __LINE__, "docs/rules.md lacks rule %s", r[i].id);
        }
    }
    const struct advisor_threshold_info *t = advisor_threshold_table(&n);
    for (size_t i = 0; i < n; i++) {
        char want[128];
        snprintf(want, sizeof want, "`%s`", t[i].key);
        if (!strstr(doc, want)) {
            test_fail(__FILE__, __LINE__, "docs/rules.md lacks threshold %s", t[i].key);
        }
    }
    free(doc);
}

/* A cost section that follows the guide: most running workspaces stop on
 * their own, few run through the night, quota pools half used. */
static struct snapshot *steady_cost(void)
{
    struct snapshot *s = steady();
    s->deployment.workspaces_total = 1000;
    s->cost.listed_at = s->time - 60;
    s->cost.workspaces_running = 400;
    s->cost.without_autostop = 40;
    s->cost.running_off_peak = 100;
    s->cost.daily_cost_credits = 900;
    struct cost_group *g = snapshot_add_cost_group(s);
    g->organization = snapshot_str(s, "coder");
    g->name = snapshot_str(s, "gpu-users");
    g->members = 4;
    g->allowance_credits = 40;
    g->budget_credits = 160;
    g->consumed_credits = 80;
    return s;
}

TEST(advisor_cost_quiet_when_healthy_or_unknown)
{
    struct snapshot *s = steady_cost();
    struct advisor *a = fresh();
    advisor_evaluate(a, s, NULL);
    CHECK_INT(s->nfindings, 0);
    advisor_free(a);
    snapshot_unref(s);

    /* Unknown shares and consumption never fire. */
    s = steady_cost();
    s->cost.without_autostop = NAN;
    s->cost.running_off_peak = NAN;
    s->cost.groups[0].consumed_credits = NAN;
    a = fresh();
    advisor_evaluate(a, s, NULL);
    CHECK_INT(s->nfindings, 0);
    advisor_free(a);
    snapshot_unref(s);

    /* Too few running workspaces to judge a share: 3 of 5 without autostop. */
    s = steady_cost();
    s->cost.workspaces_running = 5;
    s->cost.without_autostop = 3;
    s->cost.running_off_peak = 5;
    s->deployment.workspaces_total = 6;
    a = fresh();
    advisor_evaluate(a, s, NULL);
    CHECK(find(s, "cost.no_autostop", NULL) == NULL);
    CHECK(find(s, "cost.off_peak", NULL) == NULL);
    advisor_free(a);
    snapshot_unref(s);
}

TEST(advisor_cost_no_autostop)
{
    struct snapshot *s = steady_cost();
    s->cost.without_autostop = 120; /* 30 % of 400 */
    expect(s, "cost.no_autostop", "workspaces", SEV_INFO, "without_autostop=120 of 400");
}

TEST(advisor_cost_off_peak_share_of_all_workspaces)
{
    struct snapshot *s = steady_cost();
    s->cost.running_off_peak = 350; /* 35 % of 1000 workspaces */
    expect(s, "cost.off_peak", "workspaces", SEV_INFO, "running_off_peak=350 of 1000");
    /* Without the total, the running list is the denominator. */
    s = steady_cost();
    s->deployment.workspaces_total = NAN;
    s->cost.running_off_peak = 130; /* 32 % of 400 running */
    expect(s, "cost.off_peak", "workspaces", SEV_INFO, "running_off_peak=130 of 400");
}

TEST(advisor_cost_quota_group)
{
    struct snapshot *s = steady_cost();
    s->cost.groups[0].consumed_credits = 136; /* 85 % */
    expect(s, "cost.quota_group", "quota_group/coder/gpu-users", SEV_WARN, "consumed=136 of 160");
    s = steady_cost();
    s->cost.groups[0].consumed_credits = 170; /* over budget */
    expect(s, "cost.quota_group", "quota_group/coder/gpu-users", SEV_CRIT, "consumed=170 of 160");
    /* A pool of zero (no members) is not judged. */
    s = steady_cost();
    s->cost.groups[0].budget_credits = 0;
    s->cost.groups[0].consumed_credits = 5;
    struct advisor *a = fresh();
    advisor_evaluate(a, s, NULL);
    CHECK(find(s, "cost.quota_group", NULL) == NULL);
    advisor_free(a);
    snapshot_unref(s);
}

TEST(advisor_cost_thresholds_configurable)
{
    struct advisor_thresholds t;
    advisor_thresholds_default(&t);
    struct err e;
    CHECK_INT(advisor_thresholds_set(&t, "cost_no_autostop_info", "0.05", &e), 0);
    CHECK_INT(advisor_thresholds_set(&t, "quota_group_warn", "0.4", &e), 0);
    struct snapshot *s = steady_cost(); /* 10 % without autostop, group at 50 % */
    struct advisor *a = advisor_new(&t);
    advisor_evaluate(a, s, NULL);
    CHECK(find(s, "cost.no_autostop", "workspaces") != NULL);
    const struct finding *f = find(s, "cost.quota_group", NULL);
    CHECK(f != NULL && f->severity == SEV_WARN);
    advisor_free(a);
    snapshot_unref(s);
}
