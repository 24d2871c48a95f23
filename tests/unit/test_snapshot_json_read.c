/*
 * The snapshot JSON reader against a hand-written document of the DESIGN.md
 * §6 contract (tests/data/snapshot_full.json), and the writer/reader round
 * trip over synthetic snapshots that use every field.
 */
#include "backend/snapshot_json.h"
#include "tests/lib/snapgen.h"
#include "tests/lib/test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

TEST(snapshot_json_reads_contract_document)
{
    size_t len;
    char *text = test_read_file("tests/data/snapshot_full.json", &len);
    CHECK(text != NULL);
    if (!text) {
        return;
    }
    struct err e = {""};
    struct snapshot *s = snapshot_json_parse(text, len, &e);
    free(text);
    CHECK(s != NULL);
    if (!s) {
        return;
    }
    CHECK_NEAR(s->time, 1795749125.25, 1e-6);
    CHECK_INT(s->nsources, 4);
    CHECK_INT(s->sources[0].status, SOURCE_OK);
    CHECK_NEAR(s->sources[0].last_ok, 1795749125.25, 1e-6);
    CHECK_NEAR(s->sources[1].last_ok, 1795749095.0, 1e-6); /* +02:00 offset */
    CHECK_INT(s->sources[1].reason, REASON_TIMEOUT);
    CHECK(isnan(s->sources[1].latency_ms));
    CHECK(strchr(s->sources[1].error, '\x1b') == NULL); /* cleaned */
    CHECK_INT(s->sources[2].status, SOURCE_DISABLED);
    CHECK_STR(s->sources[2].hint, "--kubeconfig FILE");
    CHECK_INT(s->sources[3].status, SOURCE_ERROR); /* unknown status */
    CHECK_INT(s->deployment.premium, TRI_TRUE);
    CHECK_INT(s->deployment.nhealth_codes, 2);
    CHECK_STR(s->deployment.health_codes[1], "EDERP01");
    CHECK_INT(s->deployment.builtin_provisioners, TRI_FALSE);
    CHECK_INT(s->nservers, 2);
    CHECK_NEAR(s->servers[0].api_p95_ms, 95.5, 1e-12);
    CHECK_NEAR(s->servers[0].started_at, 1795651200, 1e-6);
    CHECK(isnan(s->servers[1].api_p95_ms));
    CHECK_INT(s->provisioners.ndaemons, 2);
    CHECK_INT(s->provisioners.daemons[0].status, DAEMON_BUSY);
    CHECK_INT(s->provisioners.daemons[0].tags.n, 2);
    CHECK_STR(s->provisioners.daemons[0].tags.tags[0].key, "owner"); /* sorted */
    CHECK_STR(s->provisioners.daemons[0].current_job, "job-9");
    CHECK(s->provisioners.daemons[1].current_job == NULL);
    CHECK_INT(s->provisioners.daemons[1].status, DAEMON_UNKNOWN);
    CHECK_NEAR(s->provisioners.queues[0].oldest_pending_s, 612, 0);
    CHECK_INT(s->provisioners.nunrunnable, 1);
    CHECK_STR(s->provisioners.unrunnable[0].reason, "no_matching_daemon");
    CHECK_INT(s->postgres.up, TRI_TRUE);
    CHECK_NEAR(s->postgres.connections.max, 497, 0);
    CHECK_INT(s->postgres.nreplication, 1);
    CHECK_INT(s->nproxies, 1);
    CHECK_INT(s->proxies[0].status, PROXY_UNREACHABLE);
    CHECK_INT(s->proxies[0].healthy, TRI_FALSE);
    CHECK_INT(s->proxies[0].nerrors, 1);
    CHECK_NEAR(s->capacity.cluster.memory_requested_bytes, 2.5e12, 0);
    CHECK_INT(s->capacity.nnamespaces, 1);
    CHECK_INT(s->capacity.namespaces[0].nresources, 2);
    CHECK_NEAR(s->capacity.namespaces[0].resources[0].used, 95, 0);
    CHECK_INT(s->capacity.ncoder_quota, 1);
    CHECK_NEAR(s->cost.listed_at, 1795748700, 0);
    CHECK_NEAR(s->cost.workspaces_running, 598, 0);
    CHECK_NEAR(s->cost.running_off_peak, 112, 0);
    CHECK(isnan(s->cost.without_autostop)); /* null stays unknown */
    CHECK_INT(s->cost.ngroups, 1);
    CHECK_STR(s->cost.groups[0].name, "gpu-users");
    CHECK_NEAR(s->cost.groups[0].consumed_credits, 48, 0);
    CHECK_NEAR(s->cost.groups[0].budget_credits, 160, 0);
    CHECK_INT(s->nfindings, 1);
    CHECK_INT(s->findings[0].severity, SEV_WARN);
    CHECK_INT(s->nevents, 1);
    CHECK_NEAR(s->events[0].time, 1795748999.75 + 0.25, 1e-6);
    /* written and read again, nothing changes */
    char *a = snapshot_json_dump(s, 1);
    struct snapshot *s2 = snapshot_json_parse(a, strlen(a), &e);
    char *b = s2 ? snapshot_json_dump(s2, 1) : NULL;
    CHECK(b && strcmp(a, b) == 0);
    free(a);
    free(b);
    snapshot_unref(s2);
    snapshot_unref(s);
}

TEST(snapshot_json_round_trip_synthetic)
{
    struct snapgen_shape sh = snapgen_preset(3);
    for (unsigned i = 0; i < 60; i += 7) {
        struct snapshot *s = snapgen_make(&sh, 1767225600.5 + 10 * i, i, 9);
        char *a = snapshot_json_dump(s, 0);
        struct err e = {""};
        struct snapshot *s2 = snapshot_json_parse(a, strlen(a), &e);
        CHECK(s2 != NULL);
        char *b = s2 ? snapshot_json_dump(s2, 0) : NULL;
        CHECK(b && strcmp(a, b) == 0);
        if (s2) {
            /* The writer keeps 15 significant digits: what a person reads,
             * and a stable text for dump -> parse -> dump (checked above). */
            CHECK_NEAR(s2->servers[0].api_p95_ms, s->servers[0].api_p95_ms,
                       1e-12 * s->servers[0].api_p95_ms);
            CHECK_INT(s2->provisioners.ndaemons, s->provisioners.ndaemons);
        }
        free(a);
        free(b);
        snapshot_unref(s);
        snapshot_unref(s2);
    }
}

/* Fields the reader once dropped, so replay and imports lost them. */
TEST(snapshot_json_reads_deployment_latencies_and_capacity_extras)
{
    struct snapshot *s = snapshot_new(1795749120.0);
    s->deployment.api_p50_ms = 12.5;
    s->deployment.api_p95_ms = 92.25;
    s->deployment.api_p99_ms = 301;
    s->deployment.requests_per_s = 3815.5;
    s->deployment.db_query_p95_ms = 4.5;
    s->deployment.queue_wait_p95_s = 7;
    s->deployment.build_p95_s = 288;
    s->capacity.cluster.pods_unschedulable = 3;
    struct namespace_quota *ns = snapshot_add_namespace(s);
    ns->name = snapshot_str(s, "coder-ws");
    ns->limitrange_defaults = TRI_TRUE;
    char *a = snapshot_json_dump(s, 0);
    struct err e = {""};
    struct snapshot *t = snapshot_json_parse(a, strlen(a), &e);
    CHECK(t != NULL);
    if (t) {
        CHECK_NEAR(t->deployment.api_p50_ms, 12.5, 1e-9);
        CHECK_NEAR(t->deployment.api_p95_ms, 92.25, 1e-9);
        CHECK_NEAR(t->deployment.api_p99_ms, 301, 1e-9);
        CHECK_NEAR(t->deployment.requests_per_s, 3815.5, 1e-9);
        CHECK_NEAR(t->deployment.db_query_p95_ms, 4.5, 1e-9);
        CHECK_NEAR(t->deployment.queue_wait_p95_s, 7, 1e-9);
        CHECK_NEAR(t->deployment.build_p95_s, 288, 1e-9);
        CHECK_NEAR(t->capacity.cluster.pods_unschedulable, 3, 1e-9);
        CHECK_INT(t->capacity.nnamespaces, 1);
        CHECK_INT(t->capacity.nnamespaces ? (int)t->capacity.namespaces[0].limitrange_defaults : -1,
                  (int)TRI_TRUE);
    }
    free(a);
    snapshot_unref(t);
    snapshot_unref(s);
}

TEST(snapshot_json_rejects_malformed)
{
    struct err e = {""};
    CHECK(snapshot_json_parse("{\"scaletop_snapshot\": 1,", 24, &e) == NULL);
    CHECK(strstr(e.msg, "snapshot JSON") != NULL);
    CHECK(snapshot_json_parse("[1,2]", 5, &e) == NULL);
    CHECK(snapshot_json_parse("{\"time\": 5}", 11, &e) == NULL);
    CHECK(strstr(e.msg, "not a scaletop snapshot") != NULL);
    /* wrong types become unknowns, not crashes */
    const char *odd = "{\"scaletop_snapshot\":1,\"time\":\"yesterday\",\"servers\":{\"a\":1},"
                      "\"postgres\":[1],\"sources\":[1,\"x\",{\"name\":5}]}";
    struct snapshot *s = snapshot_json_parse(odd, strlen(odd), &e);
    CHECK(s != NULL);
    if (s) {
        CHECK(isnan(s->time));
        CHECK_INT(s->nservers, 0);
        CHECK(isnan(s->postgres.tps));
        CHECK_INT(s->nsources, 1);
    }
    snapshot_unref(s);
}
