/* The Coder API: converters fed the fixtures and the real CLI goldens, and
 * the poller against a loopback coderd that serves those fixtures. */
#include "backend/coder.h"
#include "backend/provq.h"
#include "tests/lib/loopsrv.h"
#include "tests/lib/test.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TOKEN "abcdefghij-0123456789012345678901"
#define ORG1  "3e5a8c8b-7b6e-4d6a-9c53-2f0d6a1b9e11"
#define ORG2  "9b1f2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"

static char *fixture(const char *name, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "fixtures/coder/%s", name);
    char *b = test_read_file(test_shared_path(rel), len);
    if (!b) {
        test_fail(__FILE__, __LINE__, "cannot read %s", rel);
    }
    return b;
}

/* ---- converters ---- */

TEST(coder_time_parsing)
{
    CHECK_NEAR(coder_parse_time("1970-01-01T00:00:00Z"), 0, 1e-9);
    CHECK_NEAR(coder_parse_time("2026-07-14T09:30:09.551870Z"), 1784021409.55187, 1e-5);
    CHECK_NEAR(coder_parse_time("2026-07-14T11:30:09.5+02:00"), 1784021409.5, 1e-6);
    CHECK_NEAR(coder_parse_time("2026-07-14T04:00:09-05:30"), 1784021409, 1e-6);
    CHECK(isnan(coder_parse_time("0001-01-01T00:00:00Z"))); /* Go zero time */
    CHECK(isnan(coder_parse_time("====[timestamp]====="))); /* CLI golden placeholder */
    CHECK(isnan(coder_parse_time("2026-07-14 09:30:09")));
    CHECK(isnan(coder_parse_time("2026-07-14T09:30:09")));
    CHECK(isnan(coder_parse_time("2026-07-14T09:30:09Zjunk")));
    CHECK(isnan(coder_parse_time(NULL)));
    CHECK(isnan(coder_parse_time("")));
}

TEST(coder_version_numbers)
{
    CHECK_INT(coder_version_num("v2.38.5+3f0c1a7"), 23805);
    CHECK_INT(coder_version_num("2.9.0-rc.1"), 20900);
    CHECK_INT(coder_version_num("v0.0.0-devel"), 0);
    CHECK_INT(coder_version_num("devel"), -1);
    CHECK_INT(coder_version_num(NULL), -1);
    CHECK_INT(coder_version_num("v2"), -1);
}

TEST(coder_buildinfo_fixture)
{
    size_t n;
    char *b = fixture("api/buildinfo.json", &n);
    struct snapshot *s = snapshot_new(0);
    struct err e;
    CHECK_INT(coder_parse_buildinfo(s, b, n, &e), 0);
    CHECK_STR(s->deployment.version, "v2.38.5+3f0c1a7");
    CHECK_STR(s->deployment.dashboard_url, "https://coder.example.com");
    CHECK_STR(s->deployment.deployment_id, "f2a6c1d4-8b3e-4c7a-9d25-6e0b1a7c3f48");
    snapshot_unref(s);
    free(b);
}

TEST(coder_replicas_latency_microseconds)
{
    size_t n;
    char *b = fixture("api/replicas.json", &n);
    struct snapshot *s = snapshot_new(0);
    struct err e;
    CHECK_INT(coder_parse_replicas(s, b, n, &e), 0);
    CHECK_INT(s->nservers, 3);
    if (s->nservers == 3) {
        CHECK_STR(s->servers[0].hostname, "coder-7d9f6c5b8-2kq7x");
        CHECK_NEAR(s->servers[0].db_latency_ms, 1.874, 1e-9); /* 1874 µs */
        CHECK_NEAR(s->servers[1].db_latency_ms, 2.310, 1e-9);
        CHECK_NEAR(s->servers[2].db_latency_ms, 48.213, 1e-9);
        CHECK(s->servers[0].error == NULL); /* "" means healthy */
        CHECK(s->servers[2].error && strstr(s->servers[2].error, "Failed to dial peers"));
        CHECK_NEAR(s->servers[0].region_id, 999, 0);
        CHECK_STR(s->servers[1].relay_address, "http://10.42.2.23:8080");
        CHECK_NEAR(s->servers[2].started_at, coder_parse_time("2026-07-14T09:12:58.002219Z"), 1e-6);
    }
    snapshot_unref(s);
    free(b);
}

static const struct proxy *proxy_named(const struct snapshot *s, const char *name)
{
    for (size_t i = 0; i < s->nproxies; i++) {
        if (s->proxies[i].name && strcmp(s->proxies[i].name, name) == 0) {
            return &s->proxies[i];
        }
    }
    return NULL;
}

TEST(coder_workspaceproxies_envelope)
{
    size_t n;
    char *b = fixture("api/workspaceproxies.json", &n);
    struct snapshot *s = snapshot_new(0);
    s->deployment.deployment_id = "f2a6c1d4-8b3e-4c7a-9d25-6e0b1a7c3f48";
    struct err e;
    CHECK_INT(coder_parse_proxies(s, b, n, &e), 0);
    CHECK_INT(s->nproxies, 4);
    const struct proxy *pri = proxy_named(s, "primary"), *syd = proxy_named(s, "sydney");
    const struct proxy *fra = proxy_named(s, "frankfurt"), *sao = proxy_named(s, "sao-paulo");
    CHECK(pri && syd && fra && sao);
    if (pri && syd && fra && sao) {
        CHECK(pri->primary && !syd->primary);
        CHECK_INT(pri->status, PROXY_OK);
        CHECK_INT(pri->nerrors, 0);    /* "errors": null */
        CHECK(isnan(pri->updated_at)); /* 0001-01-01: unknown */
        CHECK_INT(fra->status, PROXY_UNREACHABLE);
        CHECK_INT(fra->healthy, TRI_FALSE);
        CHECK_INT(fra->nerrors, 1);
        CHECK(fra->nerrors && strstr(fra->errors[0], "context deadline exceeded"));
        CHECK_STR(fra->version, "v2.37.2+9a41be0");
        CHECK_INT(sao->status, PROXY_UNREGISTERED);
        CHECK(sao->url == NULL && sao->version == NULL);
        CHECK_STR(syd->url, "https://sydney.coder.example.com");
        CHECK_INT(syd->derp_enabled, TRI_TRUE);
        CHECK_INT(syd->derp_only, TRI_FALSE);
    }
    snapshot_unref(s);
    free(b);
}

TEST(coder_regions_envelope_and_agpl)
{
    size_t n;
    char *b = fixture("api/regions.json", &n);
    struct snapshot *s = snapshot_new(0);
    struct err e;
    CHECK_INT(coder_parse_proxies(s, b, n, &e), 0);
    CHECK_INT(s->nproxies, 4);
    const struct proxy *fra = proxy_named(s, "frankfurt"), *sao = proxy_named(s, "sao-paulo");
    if (fra && sao) {
        /* /regions only says healthy:false: not guessed as unreachable. */
        CHECK_INT(fra->status, PROXY_UNKNOWN);
        CHECK(fra->status_raw == NULL);
        CHECK_INT(sao->status, PROXY_UNREGISTERED);
    }
    CHECK(proxy_named(s, "primary") && proxy_named(s, "primary")->status == PROXY_OK);
    snapshot_unref(s);
    free(b);

    b = fixture("api/regions_agpl.json", &n);
    s = snapshot_new(0);
    CHECK_INT(coder_parse_proxies(s, b, n, &e), 0);
    CHECK_INT(s->nproxies, 1);
    CHECK(s->nproxies == 1 && s->proxies[0].primary);
    snapshot_unref(s);
    free(b);
}

TEST(coder_proxy_unknown_status_kept)
{
    const char *body = "{\"regions\":[{\"id\":\"x\",\"name\":\"mars\",\"healthy\":false,"
                       "\"status\":{\"status\":\"degraded\",\"report\":{\"errors\":null,"
                       "\"warnings\":[\"slow\"]}}}]}";
    struct snapshot *s = snapshot_new(0);
    struct err e;
    CHECK_INT(coder_parse_proxies(s, body, strlen(body), &e), 0);
    CHECK_INT(s->nproxies, 1);
    CHECK_INT(s->proxies[0].status, PROXY_UNKNOWN);
    CHECK_STR(s->proxies[0].status_raw, "degraded");
    CHECK_INT(s->proxies[0].nwarnings, 1);
    snapshot_unref(s);
}

static const struct daemon *daemon_named(const struct snapshot *s, const char *name)
{
    for (size_t i = 0; i < s->provisioners.ndaemons; i++) {
        if (strcmp(s->provisioners.daemons[i].name, name) == 0) {
            return &s->provisioners.daemons[i];
        }
    }
    return NULL;
}

TEST(coder_daemons_fixture)
{
    size_t n;
    char *b = fixture("api/provisionerdaemons.json", &n);
    struct snapshot *s = snapshot_new(0);
    struct err e;
    CHECK_INT(coder_parse_daemons(s, "coder", b, n, &e), 0);
    CHECK_INT(s->provisioners.ndaemons, 4);
    const struct daemon *a = daemon_named(s, "coder-provisioner-6f7b9d8c5d-4xk2p");
    const struct daemon *off = daemon_named(s, "coder-provisioner-5c8d7b6a4f-lm3pd");
    const struct daemon *gpu = daemon_named(s, "gpu-provisioner-0");
    CHECK(a && off && gpu);
    if (a && off && gpu) {
        CHECK_INT(a->status, DAEMON_BUSY);
        CHECK_STR(a->status_raw, "busy");
        CHECK_STR(a->current_job, "5d0e7a21-3c4b-4f6e-9a8d-1b2c3d4e5f60");
        CHECK_STR(a->organization, "coder");
        CHECK_INT(a->tags.n, 3);
        CHECK_STR(a->tags.tags[0].key, "cluster"); /* sorted by key */
        CHECK_STR(a->tags.tags[1].key, "owner");
        CHECK_STR(a->tags.tags[1].value, "");
        CHECK_INT(off->status, DAEMON_OFFLINE);
        CHECK(off->current_job == NULL);
        CHECK_NEAR(off->last_seen_at, coder_parse_time("2026-07-13T22:39:51.300071Z"), 1e-6);
        CHECK_STR(gpu->version, "v2.37.2+9a41be0");
        CHECK_STR(gpu->api_version, "1.9");
        CHECK(!a->builtin && !gpu->builtin);
    }
    snapshot_unref(s);
    free(b);
}

TEST(coder_daemons_null_vs_missing_and_unknown_status)
{
    /* last_seen_at null vs absent, status null vs absent vs unknown. */
    const char *body =
        "[{\"id\":\"1\",\"name\":\"n1\",\"tags\":{\"scope\":\"organization\",\"owner\":\"\"},"
        "\"last_seen_at\":null,\"status\":null,\"key_name\":null,\"current_job\":null},"
        "{\"id\":\"2\",\"name\":\"n2\",\"tags\":{}},"
        "{\"id\":\"3\",\"name\":\"n3\",\"status\":\"draining\",\"tags\":null,"
        "\"last_seen_at\":\"2026-07-14T09:30:00Z\",\"current_job\":{\"id\":\"j\"}}]";
    struct snapshot *s = snapshot_new(0);
    struct err e;
    CHECK_INT(coder_parse_daemons(s, "org", body, strlen(body), &e), 0);
    CHECK_INT(s->provisioners.ndaemons, 3);
    const struct daemon *d = s->provisioners.daemons;
    CHECK(isnan(d[0].last_seen_at) && isnan(d[1].last_seen_at));
    CHECK(d[0].status_raw == NULL && d[1].status_raw == NULL);
    CHECK_INT(d[0].status, DAEMON_UNKNOWN);
    CHECK_STR(d[2].status_raw, "draining");
    CHECK_INT(d[2].status, DAEMON_UNKNOWN);
    CHECK_INT(d[1].tags.n, 0);
    CHECK_INT(d[2].tags.n, 0);
    CHECK_STR(d[2].current_job, "j");
    /* Derivation fills in null/missing statuses only. */
    provq_derive(s, coder_parse_time("2026-07-14T09:30:10Z"));
    CHECK_INT(d[0].status, DAEMON_OFFLINE); /* never seen */
    CHECK_INT(d[2].status, DAEMON_UNKNOWN); /* kept as the server said */
    snapshot_unref(s);
}

TEST(coder_jobs_fixture_absent_fields)
{
    size_t n;
    char *b = fixture("api/provisionerjobs.json", &n);
    double now = coder_parse_time("2026-07-14T09:30:30Z");
    struct snapshot *s = snapshot_new(now);
    struct err e;
    size_t listed = 0;
    CHECK_INT(coder_parse_jobs(s, "coder", b, n, now, 100, &listed, &e), 0);
    CHECK_INT(listed, 8);
    CHECK_INT(s->provisioners.njobs, 4); /* 3 pending + 1 running */
    if (s->provisioners.njobs == 4) {
        const struct job *p = &s->provisioners.jobs[0], *r = &s->provisioners.jobs[2];
        CHECK_STR(p->status, "pending");
        CHECK(isnan(p->started_at)); /* omitempty: absent while pending */
        CHECK(p->worker_id == NULL);
        CHECK_NEAR(p->queue_position, 3, 0);
        CHECK_NEAR(p->age_s, 30 - 51.771204 + 60, 1e-5);
        CHECK_STR(r->status, "running");
        CHECK_STR(r->worker_id, "b4c5d6e7-f8a9-4b0c-9d1e-2f3a4b5c6d7e");
        CHECK_NEAR(r->started_at, coder_parse_time("2026-07-14T09:28:17.402518Z"), 1e-6);
        CHECK_STR(r->type, "workspace_build");
    }
    snapshot_unref(s);
    /* A cap on kept jobs holds. */
    s = snapshot_new(now);
    CHECK_INT(coder_parse_jobs(s, "coder", b, n, now, 2, &listed, &e), 0);
    CHECK_INT(s->provisioners.njobs, 2);
    snapshot_unref(s);
    free(b);
}

TEST(coder_jobs_unknown_status_shown)
{
    const char *body = "[{\"id\":\"q\",\"status\":\"queued_v3\",\"tags\":{},"
                       "\"created_at\":\"2026-07-14T09:00:00Z\"},"
                       "{\"id\":\"s\",\"status\":\"succeeded\",\"tags\":{}}]";
    struct snapshot *s = snapshot_new(0);
    struct err e;
    size_t listed;
    CHECK_INT(coder_parse_jobs(s, "o", body, strlen(body), 0, 10, &listed, &e), 0);
    CHECK_INT(s->provisioners.njobs, 1);
    CHECK_STR(s->provisioners.jobs[0].status, "queued_v3");
    provq_derive(s, 0); /* neither pending nor running: no queue row, no crash */
    CHECK_INT(s->provisioners.nqueues, 0);
    snapshot_unref(s);
}

TEST(coder_cli_golden_provisioner_list)
{
    const char *files[] = {
        "golden/73bd08da/cli/testdata/coder_provisioner_list_--output_json.golden",
        "golden/0f505dec/cli/testdata/coder_provisioner_list_--output_json.golden"};
    for (size_t f = 0; f < 2; f++) {
        size_t n;
        char *b = fixture(files[f], &n);
        struct snapshot *s = snapshot_new(0);
        struct err e;
        /* org NULL: the CLI's own organization_name is used */
        CHECK_INT(coder_parse_daemons(s, NULL, b, n, &e), 0);
        CHECK_INT(s->provisioners.ndaemons, 1);
        if (s->provisioners.ndaemons == 1) {
            const struct daemon *d = &s->provisioners.daemons[0];
            CHECK_STR(d->name, "test");
            CHECK_STR(d->organization, "Coder");
            CHECK(d->builtin); /* key_id ...0001, key_name built-in */
            CHECK_INT(d->status, DAEMON_IDLE);
            CHECK(isnan(d->created_at)); /* "====[timestamp]=====" placeholder */
            CHECK_STR(d->version, "v0.0.0-devel");
        }
        provq_derive(s, 0);
        CHECK_INT(s->deployment.builtin_provisioners, TRI_TRUE);
        snapshot_unref(s);
        free(b);
    }
}

TEST(coder_cli_golden_jobs_list)
{
    const char *files[] = {
        "golden/6db6aa4d/cli/testdata/coder_provisioner_jobs_list_--output_json.golden",
        "golden/0f505dec/cli/testdata/coder_provisioner_jobs_list_--output_json.golden"};
    for (size_t f = 0; f < 2; f++) {
        size_t n, listed;
        char *b = fixture(files[f], &n);
        struct snapshot *s = snapshot_new(0);
        struct err e;
        CHECK_INT(coder_parse_jobs(s, NULL, b, n, 0, 100, &listed, &e), 0);
        CHECK(listed >= 2);
        CHECK_INT(s->provisioners.njobs, 0); /* all finished */
        snapshot_unref(s);
        free(b);
    }
}

TEST(coder_cli_golden_workspace_list_is_not_a_count)
{
    /* `coder list -o json` is a bare array: the count reader refuses it. */
    size_t n;
    char *b = fixture("golden/0f380ab4/cli/testdata/coder_list_--output_json.golden", &n);
    double c = 0;
    struct err e;
    CHECK_INT(coder_parse_count(b, n, &c, &e), -1);
    CHECK(isnan(c));
    CHECK(strstr(e.msg, "count") != NULL);
    free(b);
}

static int has_code(const struct snapshot *s, const char *code)
{
    for (size_t i = 0; i < s->deployment.nhealth_codes; i++) {
        if (strcmp(s->deployment.health_codes[i], code) == 0) {
            return 1;
        }
    }
    return 0;
}

TEST(coder_health_fixtures)
{
    size_t n;
    char *b = fixture("api/debug_health.json", &n);
    struct snapshot *s = snapshot_new(0);
    struct err e;
    double t;
    CHECK_INT(coder_parse_health(s, b, n, &t, &e), 0);
    CHECK_STR(s->deployment.health_severity, "warning");
    CHECK_INT(s->deployment.nhealth_codes, 2);
    CHECK(has_code(s, "EWP04") && has_code(s, "EPD02"));
    CHECK_NEAR(t, coder_parse_time("2026-07-14T09:25:47.203881Z"), 1e-6);
    snapshot_unref(s);
    free(b);

    b = fixture("api/debug_health_failing.json", &n);
    s = snapshot_new(0);
    CHECK_INT(coder_parse_health(s, b, n, &t, &e), 0);
    CHECK_STR(s->deployment.health_severity, "error");
    CHECK(has_code(s, "EDB02") && has_code(s, "EPD01") && has_code(s, "EWP04"));
    snapshot_unref(s);
    free(b);

    /* A dismissed section does not contribute; an error string's code does. */
    const char *body = "{\"time\":\"2026-07-14T09:00:00Z\",\"severity\":\"error\","
                       "\"database\":{\"severity\":\"error\",\"dismissed\":false,\"warnings\":[],"
                       "\"error\":\"EDB01: ping failed\"},"
                       "\"derp\":{\"severity\":\"warning\",\"dismissed\":true,"
                       "\"warnings\":[{\"code\":\"EDERP01\",\"message\":\"x\"}]}}";
    s = snapshot_new(0);
    CHECK_INT(coder_parse_health(s, body, strlen(body), &t, &e), 0);
    CHECK(has_code(s, "EDB01"));
    CHECK(!has_code(s, "EDERP01"));
    /* a dismissed derp section says nothing about STUN or DERP */
    CHECK_INT(s->deployment.stun_healthy, TRI_UNKNOWN);
    CHECK_INT(s->deployment.derp_healthy, TRI_UNKNOWN);
    snapshot_unref(s);
}

/* The derp section's verdicts: the real report (all ok), ESTUN (clients
 * cannot go direct), EDERP (relays degraded), older plain-string warnings,
 * and a report without the section. */
TEST(coder_health_stun_and_derp_verdicts)
{
    size_t n;
    double t;
    struct err e;
    char *b = fixture("api/debug_health.json", &n);
    struct snapshot *s = snapshot_new(0);
    CHECK_INT(coder_parse_health(s, b, n, &t, &e), 0);
    CHECK_INT(s->deployment.stun_healthy, TRI_TRUE);
    CHECK_INT(s->deployment.derp_healthy, TRI_TRUE);
    snapshot_unref(s);
    free(b);
    static const struct {
        const char *derp;
        enum tri stun, relay;
    } cases[] = {
        {"{\"severity\":\"warning\",\"dismissed\":false,\"error\":null,\"warnings\":[{\"code\":"
         "\"ESTUN01\",\"message\":\"ESTUN01: No STUN servers are available.\"}]}",
         TRI_FALSE, TRI_TRUE},
        {"{\"severity\":\"warning\",\"warnings\":[{\"code\":\"EDERP01\",\"message\":\"x\"},"
         "{\"code\":\"ESTUN02\",\"message\":\"y\"}]}",
         TRI_FALSE, TRI_FALSE},
        {"{\"severity\":\"warning\",\"warnings\":[\"EDERP02: Region is operational, but one "
         "node is unhealthy\"]}",
         TRI_TRUE, TRI_FALSE},
        {"{\"severity\":\"error\",\"warnings\":[],\"error\":\"netcheck: context deadline\"}",
         TRI_TRUE, TRI_FALSE},
        {"{\"severity\":\"ok\",\"warnings\":[]}", TRI_TRUE, TRI_TRUE},
        {NULL, TRI_UNKNOWN, TRI_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[512];
        snprintf(body, sizeof body, "{\"severity\":\"warning\"%s%s}",
                 cases[i].derp ? ",\"derp\":" : "", cases[i].derp ? cases[i].derp : "");
        s = snapshot_new(0);
        CHECK_INT(coder_parse_health(s, body, strlen(body), &t, &e), 0);
        if (s->deployment.stun_healthy != cases[i].stun ||
            s->deployment.derp_healthy != cases[i].relay) {
            test_fail(__FILE__, __LINE__, "case %zu: stun %s derp %s", i,
                      tri_name(s->deployment.stun_healthy), tri_name(s->deployment.derp_healthy));
        }
        snapshot_unref(s);
    }
}

TEST(coder_stats_counts_entitlements_quota)
{
    size_t n;
    struct err e;
    char *b = fixture("api/deployment_stats.json", &n);
    struct snapshot *s = snapshot_new(0);
    CHECK_INT(coder_parse_deployment_stats(s, b, n, &e), 0);
    CHECK_NEAR(s->deployment.workspaces_total, 607, 0);
    CHECK_NEAR(s->deployment.workspaces_running, 184, 0);
    CHECK_NEAR(s->deployment.workspaces_failed, 7, 0);
    free(b);

    double c;
    b = fixture("api/users_limit1.json", &n);
    CHECK_INT(coder_parse_count(b, n, &c, &e), 0);
    CHECK_NEAR(c, 463, 0);
    free(b);

    enum tri prem, prox, ha;
    b = fixture("api/entitlements.json", &n);
    CHECK_INT(coder_parse_entitlements(b, n, &prem, &prox, &ha, &e), 0);
    CHECK_INT(prem, TRI_TRUE);
    CHECK_INT(prox, TRI_TRUE);
    CHECK_INT(ha, TRI_TRUE);
    free(b);
    b = fixture("api/entitlements_agpl.json", &n);
    CHECK_INT(coder_parse_entitlements(b, n, &prem, &prox, &ha, &e), 0);
    CHECK_INT(prem, TRI_FALSE);
    CHECK_INT(prox, TRI_FALSE);
    free(b);

    b = fixture("api/workspace_quota.json", &n);
    CHECK_INT(coder_parse_quota(s, "me", "coder", b, n, &e), 0);
    free(b);
    b = fixture("api/workspace_quota_unlicensed.json", &n);
    CHECK_INT(coder_parse_quota(s, "me", "coder", b, n, &e), 0);
    free(b);
    CHECK_INT(s->capacity.ncoder_quota, 2);
    CHECK_NEAR(s->capacity.coder_quota[0].budget, 50, 0);
    CHECK_NEAR(s->capacity.coder_quota[0].credits_consumed, 38, 0);
    CHECK(isnan(s->capacity.coder_quota[1].budget)); /* -1: not licensed, not "-1 credits" */

    struct coder_org orgs[4];
    size_t no;
    b = fixture("api/organizations.json", &n);
    CHECK_INT(coder_parse_organizations(b, n, orgs, 4, &no, &e), 0);
    CHECK_INT(no, 2);
    CHECK_STR(orgs[0].name, "coder");
    CHECK_STR(orgs[1].id, ORG2);
    CHECK_INT(orgs[0].is_default, 1);
    free(b);
    snapshot_unref(s);
}

TEST(coder_error_fixtures)
{
    static const struct {
        const char *file;
        long status;
        enum source_reason reason;
        const char *in_msg;
    } cases[] = {
        {"api/error_401.json", 401, REASON_UNAUTHORIZED, "signed out"},
        {"api/error_403_debug.json", 403, REASON_NO_PERMISSION, "Forbidden."},
        {"api/error_403_feature.json", 403, REASON_NEEDS_PREMIUM, "Premium feature"},
        {"api/error_404_resource.json", 404, REASON_NO_PERMISSION, "Resource not found"},
        {"api/error_404_health_in_progress.json", 404, REASON_TIMEOUT, "in progress"},
        {"api/error_429_ratelimit.json", 429, REASON_RATE_LIMITED, "rate limited"},
        {"api/error_400_query.json", 400, REASON_BAD_RESPONSE, "Invalid query"},
        {"api/error_400_deployment_stats_processing.json", 400, REASON_BAD_RESPONSE,
         "still processing"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n;
        char *b = fixture(cases[i].file, &n);
        char msg[ERR_MSG_MAX];
        enum source_reason r = coder_error_reason(cases[i].status, b, n, msg, sizeof msg);
        if (r != cases[i].reason || !strstr(msg, cases[i].in_msg)) {
            test_fail(__FILE__, __LINE__, "%s: reason %d msg \"%s\"", cases[i].file, (int)r, msg);
        }
        free(b);
    }
    char msg[ERR_MSG_MAX];
    CHECK_INT(coder_error_reason(404, "404 page not found", 18, msg, sizeof msg),
              REASON_NEEDS_PREMIUM); /* route absent on this build */
    CHECK_INT(coder_error_reason(502, "<html>bad gateway</html>", 24, msg, sizeof msg),
              REASON_SERVER_ERROR);
    CHECK(strstr(msg, "bad gateway") != NULL);
    size_t n;
    char *b = fixture("api/error_400_query.json", &n);
    char field[32];
    CHECK_INT(coder_rejected_param(b, n, field, sizeof field), 0);
    CHECK_STR(field, "foo");
    free(b);
}

TEST(coder_malformed_and_wrong_shapes)
{
    struct snapshot *s = snapshot_new(0);
    struct err e;
    size_t listed;
    double t;
    CHECK_INT(coder_parse_replicas(s, "[{\"id\":", 7, &e), -1);
    CHECK(strstr(e.msg, "malformed JSON") != NULL);
    CHECK_INT(coder_parse_replicas(s, "{\"replicas\":[]}", 15, &e), -1);
    CHECK_INT(coder_parse_proxies(s, "[1,2]", 5, &e), 0); /* bare array, junk items skipped */
    CHECK_INT(s->nproxies, 0);
    CHECK_INT(coder_parse_proxies(s, "{\"regions\":5}", 13, &e), -1);
    CHECK_INT(coder_parse_daemons(s, "o", "{}", 2, &e), -1);
    CHECK_INT(coder_parse_jobs(s, "o", "null", 4, 0, 10, &listed, &e), -1);
    CHECK_INT(coder_parse_health(s, "{\"x\":1}", 7, &t, &e), -1);
    CHECK_INT(coder_parse_buildinfo(s, "", 0, &e), -1);
    /* wrong types inside are unknown, not zero */
    const char *body = "[{\"id\":7,\"hostname\":[\"x\"],\"database_latency\":\"fast\","
                       "\"error\":null,\"region_id\":null}]";
    CHECK_INT(coder_parse_replicas(s, body, strlen(body), &e), 0);
    CHECK_INT(s->nservers, 1);
    CHECK(s->servers[0].id == NULL && s->servers[0].hostname == NULL);
    CHECK(isnan(s->servers[0].db_latency_ms) && isnan(s->servers[0].region_id));
    /* control characters from the deployment never reach the snapshot */
    const char *evil = "[{\"hostname\":\"a\\u001b[31mb\",\"error\":\"x\\u0007y\"}]";
    CHECK_INT(coder_parse_replicas(s, evil, strlen(evil), &e), 0);
    CHECK_STR(s->servers[1].hostname, "ab");
    CHECK_STR(s->servers[1].error, "xy");
    snapshot_unref(s);
}

/* ---- the poller against a loopback coderd ---- */

struct fake {
    char *files[32];
    size_t lens[32];
    const char *names[32];
    size_t nfiles;
    int replicas_mode; /* 0 ok, 1 404 resource, 2 500, 3 429, 4 redirect */
    int proxies_mode;  /* 0 ok, 1 403 feature */
    int reject_offline;
    int health_mode;     /* 0 ok, 1 in progress */
    int no_jobs;         /* an old build without the org job list */
    int slow_ms;         /* delay for replicas and provisioner lists */
    int no_daemons;      /* daemon lists answer 404 resource-not-found */
    const char *version; /* X-Coder-Build-Version, default v2.38.5+3f0c1a7 */
    char redirect_to[128];
    char reset[32];
};

static void fake_load(struct fake *f)
{
    static const char *names[] = {"buildinfo",
                                  "entitlements",
                                  "organizations",
                                  "replicas",
                                  "workspaceproxies",
                                  "regions",
                                  "provisionerdaemons",
                                  "provisionerjobs",
                                  "debug_health",
                                  "deployment_stats",
                                  "users_limit1",
                                  "workspace_quota",
                                  "error_404_resource",
                                  "error_403_feature",
                                  "error_400_query",
                                  "error_429_ratelimit",
                                  "error_404_health_in_progress",
                                  "error_401"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "api/%s.json", names[i]);
        f->names[i] = names[i];
        f->files[i] = fixture(rel, &f->lens[i]);
    }
    f->nfiles = sizeof names / sizeof *names;
}

static void fake_free(struct fake *f)
{
    for (size_t i = 0; i < f->nfiles; i++) {
        free(f->files[i]);
    }
}

static void serve(struct fake *f, struct loopsrv_resp *out, int status, const char *name)
{
    for (size_t i = 0; i < f->nfiles; i++) {
        if (strcmp(f->names[i], name) == 0) {
            out->status = status;
            out->body = f->files[i];
            out->len = f->lens[i];
            return;
        }
    }
}

static void fake_handler(void *ctx, const struct loopsrv_req *rq, struct loopsrv_resp *out)
{
    struct fake *f = ctx;
    const char *p = rq->path;
    out->hdr_name[0] = "X-Coder-Build-Version";
    out->hdr_value[0] = f->version ? f->version : "v2.38.5+3f0c1a7";
    if (f->slow_ms && (strstr(p, "/replicas") || strstr(p, "/provisioner"))) {
        out->delay_ms = f->slow_ms;
    }
    if (strcmp(p, "/api/v2/buildinfo") == 0) {
        serve(f, out, 200, "buildinfo");
        return;
    }
    if (strcmp(rq->token, TOKEN) != 0) {
        serve(f, out, 401, "error_401");
        return;
    }
    if (f->no_daemons && strstr(p, "/provisionerdaemons")) {
        serve(f, out, 404, "error_404_resource");
    } else if (strcmp(p, "/api/v2/entitlements") == 0) {
        serve(f, out, 200, "entitlements");
    } else if (strcmp(p, "/api/v2/organizations") == 0) {
        serve(f, out, 200, "organizations");
    } else if (strcmp(p, "/api/v2/replicas") == 0) {
        switch (f->replicas_mode) {
        case 1:
            serve(f, out, 404, "error_404_resource");
            break;
        case 2:
            out->status = 500;
            out->body = "{\"message\":\"Internal error.\"}";
            break;
        case 3:
            serve(f, out, 429, "error_429_ratelimit");
            out->hdr_name[1] = "X-Ratelimit-Reset";
            out->hdr_value[1] = f->reset;
            break;
        case 4:
            out->status = 302;
            out->body = "";
            out->hdr_name[1] = "Location";
            out->hdr_value[1] = f->redirect_to;
            break;
        default:
            serve(f, out, 200, "replicas");
        }
    } else if (strcmp(p, "/api/v2/workspaceproxies") == 0) {
        if (f->proxies_mode == 1) {
            serve(f, out, 403, "error_403_feature");
        } else {
            serve(f, out, 200, "workspaceproxies");
        }
    } else if (strcmp(p, "/api/v2/regions") == 0) {
        serve(f, out, 200, "regions");
    } else if (strcmp(p, "/api/v2/organizations/" ORG1 "/provisionerdaemons") == 0) {
        if (f->reject_offline && strstr(rq->query, "offline=")) {
            out->status = 400;
            out->body = "{\"message\":\"Invalid query parameters.\",\"validations\":[{\"field\":"
                        "\"offline\",\"detail\":\"Query param \\\"offline\\\" is not a valid "
                        "query param\"}]}";
        } else {
            serve(f, out, 200, "provisionerdaemons");
        }
    } else if (f->no_jobs && strstr(p, "/provisionerjobs")) {
        out->status = 404;
        out->body = "{\"message\":\"Route not found.\"}";
    } else if (strcmp(p, "/api/v2/organizations/" ORG1 "/provisionerjobs") == 0) {
        serve(f, out, 200, "provisionerjobs");
    } else if (strcmp(p, "/api/v2/organizations/" ORG2 "/provisionerdaemons") == 0 ||
               strcmp(p, "/api/v2/organizations/" ORG2 "/provisionerjobs") == 0) {
        out->status = 200;
        out->body = "[]";
    } else if (strcmp(p, "/api/v2/debug/health") == 0) {
        if (f->health_mode == 1) {
            serve(f, out, 404, "error_404_health_in_progress");
        } else {
            serve(f, out, 200, "debug_health");
        }
    } else if (strcmp(p, "/api/v2/deployment/stats") == 0) {
        serve(f, out, 200, "deployment_stats");
    } else if (strcmp(p, "/api/v2/users") == 0) {
        serve(f, out, 200, "users_limit1");
    } else if (strcmp(p, "/api/v2/workspaces") == 0) {
        out->status = 200;
        out->body = "{\"workspaces\":[],\"count\":603}";
    } else if (strstr(p, "/members/me/workspace-quota")) {
        serve(f, out, 200, "workspace_quota");
    }
}

static struct config fake_config(const char *url, const char *token, double timeout_s)
{
    struct config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.coder_url = (char *)(uintptr_t)url;
    cfg.token = (char *)(uintptr_t)token;
    cfg.interval_s = 15;
    cfg.connect_timeout_s = 1;
    cfg.request_timeout_s = timeout_s;
    return cfg;
}

static const struct source_state *src(const struct snapshot *s, const char *name)
{
    return snapshot_find_source(s, name);
}

static size_t count_path(struct loopsrv *srv, const char *path_part)
{
    size_t n = 0, total = loopsrv_count(srv);
    for (size_t i = 0; i < total; i++) {
        struct loopsrv_req rq;
        if (loopsrv_get(srv, i, &rq) == 0 && strstr(rq.path, path_part)) {
            n++;
        }
    }
    return n;
}

static struct snapshot *poll_once(void *st, double now)
{
    struct snapshot *s = snapshot_new(now);
    coder_source_ops.poll(st, s, now);
    return s;
}

TEST(coder_poller_full_cycle)
{
    struct fake f = {0};
    fake_load(&f);
    struct loopsrv *srv = loopsrv_start(fake_handler, &f);
    CHECK(srv != NULL);
    char base[160];
    snprintf(base, sizeof base, "%s/", loopsrv_url(srv)); /* trailing slash tolerated */
    struct config cfg = fake_config(base, TOKEN, 5);
    void *st = coder_source_ops.create(&cfg);
    CHECK(st != NULL);
    double now = coder_parse_time("2026-07-14T09:30:30Z");
    struct snapshot *s = poll_once(st, now);

    static const char *const names[] = {
        CODER_SRC_API,    CODER_SRC_REPLICAS, CODER_SRC_PROVISIONERS, CODER_SRC_PROXIES,
        CODER_SRC_HEALTH, CODER_SRC_STATS,    CODER_SRC_QUOTA};
    for (size_t i = 0; i < 7; i++) {
        const struct source_state *ss = src(s, names[i]);
        CHECK(ss != NULL);
        if (ss && ss->status != SOURCE_OK) {
            test_fail(__FILE__, __LINE__, "%s: %s (%s)", names[i], source_status_name(ss->status),
                      ss->error ? ss->error : "");
        }
    }
    CHECK_STR(s->deployment.version, "v2.38.5+3f0c1a7");
    CHECK_INT(s->deployment.premium, TRI_TRUE);
    CHECK_STR(s->deployment.coder_url, loopsrv_url(srv));
    CHECK_INT(s->nservers, 3);
    CHECK_INT(s->provisioners.ndaemons, 4);
    CHECK_INT(s->provisioners.njobs, 4);
    CHECK_INT(s->provisioners.nqueues, 2);
    CHECK_INT(s->provisioners.nunrunnable, 0);
    CHECK_INT(s->deployment.builtin_provisioners, TRI_FALSE);
    CHECK_INT(s->nproxies, 4);
    CHECK_STR(s->deployment.health_severity, "warning");
    CHECK_NEAR(s->deployment.workspaces_total, 603, 0); /* live count */
    CHECK_NEAR(s->deployment.workspaces_running, 184, 0);
    CHECK_NEAR(s->deployment.users_active, 463, 0);
    CHECK_INT(s->capacity.ncoder_quota, 2);
    CHECK(s->provisioners.ndaemons &&
          strcmp(s->provisioners.daemons[0].organization, "coder") == 0);

    /* What went over the wire: the token on every request, lists bounded,
     * workspaces only ever counted. */
    size_t total = loopsrv_count(srv);
    CHECK(total >= 15);
    for (size_t i = 0; i < total; i++) {
        struct loopsrv_req rq;
        CHECK_INT(loopsrv_get(srv, i, &rq), 0);
        if (strcmp(rq.token, TOKEN) != 0) {
            test_fail(__FILE__, __LINE__, "no token on %s", rq.path);
        }
        /* Workspaces: counted (limit=1), or the cost control list of running
         * ones in pages of 100; never listed whole. */
        if (strstr(rq.path, "/workspaces") && !strstr(rq.query, "limit=1&") &&
            !(strlen(rq.query) >= 7 && strcmp(rq.query + strlen(rq.query) - 7, "limit=1") == 0) &&
            !(strstr(rq.query, "q=status:running") && strstr(rq.query, "limit=100&offset="))) {
            test_fail(__FILE__, __LINE__, "workspaces listed unfiltered: %s", rq.query);
        }
        if (strstr(rq.path, "provisionerdaemons") &&
            (!strstr(rq.query, "limit=1000") || !strstr(rq.query, "offline=true"))) {
            test_fail(__FILE__, __LINE__, "daemons query: %s", rq.query);
        }
        if (strstr(rq.path, "provisionerjobs") &&
            (!strstr(rq.query, "limit=500") || !strstr(rq.query, "status=pending,running"))) {
            test_fail(__FILE__, __LINE__, "jobs query: %s", rq.query);
        }
    }
    /* The token never lands in the snapshot. */
    for (size_t i = 0; i < s->nsources; i++) {
        CHECK(!s->sources[i].error || !strstr(s->sources[i].error, TOKEN));
    }
    snapshot_unref(s);

    /* 15 s later only the fast groups are due; the rest carry forward. */
    loopsrv_reset(srv);
    s = poll_once(st, now + 15);
    CHECK_INT(count_path(srv, "/buildinfo"), 1);
    CHECK_INT(count_path(srv, "/replicas"), 1);
    CHECK_INT(count_path(srv, "/provisionerdaemons"), 2);
    CHECK_INT(count_path(srv, "/debug/health"), 0);
    CHECK_INT(count_path(srv, "/deployment/stats"), 0);
    CHECK_INT(count_path(srv, "/workspace-quota"), 0);
    CHECK_INT(count_path(srv, "/workspaceproxies"), 0);
    CHECK_INT(count_path(srv, "/organizations"), 4); /* only the per-org lists */
    CHECK_STR(s->deployment.health_severity, "warning");
    CHECK_INT(src(s, CODER_SRC_HEALTH)->status, SOURCE_OK);
    CHECK_INT(s->nproxies, 4);
    CHECK_NEAR(s->deployment.users_active, 463, 0);
    snapshot_unref(s);

    /* A failing endpoint keeps its last data, marked stale. */
    f.replicas_mode = 2;
    s = poll_once(st, now + 30);
    CHECK_INT(s->nservers, 3);
    CHECK_INT(src(s, CODER_SRC_REPLICAS)->status, SOURCE_STALE);
    CHECK_INT(src(s, CODER_SRC_REPLICAS)->reason, REASON_SERVER_ERROR);
    CHECK(strstr(src(s, CODER_SRC_REPLICAS)->error, "500") != NULL);
    CHECK_INT(src(s, CODER_SRC_PROVISIONERS)->status, SOURCE_OK);
    snapshot_unref(s);

    coder_source_ops.destroy(st);
    loopsrv_stop(srv);
    fake_free(&f);
}

TEST(coder_poller_permission_and_licence_states)
{
    struct fake f = {0};
    fake_load(&f);
    f.replicas_mode = 1; /* 404 resource: the token cannot read replicas */
    f.proxies_mode = 1;  /* 403: no workspace proxy feature */
    struct loopsrv *srv = loopsrv_start(fake_handler, &f);
    struct config cfg = fake_config(loopsrv_url(srv), TOKEN, 5);
    void *st = coder_source_ops.create(&cfg);
    double now = 1784021430;
    struct snapshot *s = poll_once(st, now);
    const struct source_state *r = src(s, CODER_SRC_REPLICAS);
    CHECK_INT(r->status, SOURCE_DISABLED);
    CHECK_INT(r->reason, REASON_NO_PERMISSION);
    CHECK(strncmp(r->error, "no permission", 13) == 0);
    CHECK(r->hint != NULL);
    CHECK_INT(s->nservers, 0);
    /* Proxies fall back to /regions, still OK. */
    CHECK_INT(src(s, CODER_SRC_PROXIES)->status, SOURCE_OK);
    CHECK_INT(s->nproxies, 4);
    CHECK_INT(count_path(srv, "/regions"), 1);
    CHECK_INT(src(s, CODER_SRC_PROVISIONERS)->status, SOURCE_OK);
    snapshot_unref(s);
    /* Not an error loop: the disabled group is not asked again soon. */
    loopsrv_reset(srv);
    s = poll_once(st, now + 15);
    CHECK_INT(count_path(srv, "/replicas"), 0);
    CHECK_INT(src(s, CODER_SRC_REPLICAS)->status, SOURCE_DISABLED);
    snapshot_unref(s);
    coder_source_ops.destroy(st);
    loopsrv_stop(srv);
    fake_free(&f);
}

TEST(coder_poller_drops_rejected_query_param)
{
    struct fake f = {0};
    fake_load(&f);
    f.reject_offline = 1; /* an older server without ?offline= */
    struct loopsrv *srv = loopsrv_start(fake_handler, &f);
    struct config cfg = fake_config(loopsrv_url(srv), TOKEN, 5);
    void *st = coder_source_ops.create(&cfg);
    double now = 1784021430;
    struct snapshot *s = poll_once(st, now);
    CHECK_INT(src(s, CODER_SRC_PROVISIONERS)->status, SOURCE_OK);
    CHECK_INT(s->provisioners.ndaemons, 4);
    snapshot_unref(s);
    loopsrv_reset(srv);
    s = poll_once(st, now + 15);
    size_t total = loopsrv_count(srv);
    for (size_t i = 0; i < total; i++) {
        struct loopsrv_req rq;
        CHECK_INT(loopsrv_get(srv, i, &rq), 0);
        CHECK(!strstr(rq.query, "offline="));
    }
    CHECK_INT(count_path(srv, "/provisionerdaemons"), 2); /* no failed first try any more */
    snapshot_unref(s);
    /* After an upgrade the parameter is tried again. */
    f.reject_offline = 0;
    f.version = "v2.39.0+aaaaaaa";
    loopsrv_reset(srv);
    s = poll_once(st, now + 30);
    CHECK_STR(s->deployment.version, "v2.39.0+aaaaaaa");
    size_t with_offline = 0;
    total = loopsrv_count(srv);
    for (size_t i = 0; i < total; i++) {
        struct loopsrv_req rq;
        CHECK_INT(loopsrv_get(srv, i, &rq), 0);
        with_offline += strstr(rq.query, "offline=true") != NULL;
    }
    CHECK_INT(with_offline, 2);
    snapshot_unref(s);
    coder_source_ops.destroy(st);
    loopsrv_stop(srv);
    fake_free(&f);
}

TEST(coder_poller_redirect_keeps_token_home)
{
    struct fake f = {0};
    fake_load(&f);
    struct fake other = {0};
    fake_load(&other);
    struct loopsrv *elsewhere = loopsrv_start(fake_handler, &other);
    snprintf(f.redirect_to, sizeof f.redirect_to, "%s/api/v2/replicas", loopsrv_url(elsewhere));
    f.replicas_mode = 4;
    struct loopsrv *srv = loopsrv_start(fake_handler, &f);
    struct config cfg = fake_config(loopsrv_url(srv), TOKEN, 5);
    void *st = coder_source_ops.create(&cfg);
    struct snapshot *s = poll_once(st, 1784021430);
    CHECK_INT(loopsrv_count(elsewhere), 0);
    const struct source_state *r = src(s, CODER_SRC_REPLICAS);
    CHECK_INT(r->status, SOURCE_ERROR);
    CHECK(r->error && strstr(r->error, "redirect") != NULL);
    snapshot_unref(s);
    coder_source_ops.destroy(st);
    loopsrv_stop(srv);
    loopsrv_stop(elsewhere);
    fake_free(&f);
    fake_free(&other);
}

TEST(coder_poller_rate_limit_waits_for_reset)
{
    struct fake f = {0};
    fake_load(&f);
    double now = (double)time(NULL);
    snprintf(f.reset, sizeof f.reset, "%.0f", now + 60);
    f.replicas_mode = 3;
    struct loopsrv *srv = loopsrv_start(fake_handler, &f);
    struct config cfg = fake_config(loopsrv_url(srv), TOKEN, 5);
    void *st = coder_source_ops.create(&cfg);
    struct snapshot *s = poll_once(st, now);
    CHECK_INT(src(s, CODER_SRC_REPLICAS)->reason, REASON_RATE_LIMITED);
    CHECK_INT(src(s, CODER_SRC_REPLICAS)->status, SOURCE_ERROR);
    snapshot_unref(s);
    f.replicas_mode = 0;
    loopsrv_reset(srv);
    s = poll_once(st, now + 15);
    CHECK_INT(count_path(srv, "/replicas"), 0); /* still inside the window */
    snapshot_unref(s);
    s = poll_once(st, now + 62);
    CHECK_INT(count_path(srv, "/replicas"), 1);
    CHECK_INT(src(s, CODER_SRC_REPLICAS)->status, SOURCE_OK);
    CHECK_INT(s->nservers, 3);
    snapshot_unref(s);
    coder_source_ops.destroy(st);
    loopsrv_stop(srv);
    fake_free(&f);
}

TEST(coder_poller_health_in_progress_and_no_token)
{
    struct fake f = {0};
    fake_load(&f);
    f.health_mode = 1;
    struct loopsrv *srv = loopsrv_start(fake_handler, &f);
    struct config cfg = fake_config(loopsrv_url(srv), TOKEN, 5);
    void *st = coder_source_ops.create(&cfg);
    double now = 1784021430;
    struct snapshot *s = poll_once(st, now);
    const struct source_state *h = src(s, CODER_SRC_HEALTH);
    CHECK_INT(h->status, SOURCE_NEVER); /* computing: not an error */
    CHECK(h->error && strstr(h->error, "in progress"));
    snapshot_unref(s);
    f.health_mode = 0;
    s = poll_once(st, now + 15); /* asked again on the next cycle */
    CHECK_INT(src(s, CODER_SRC_HEALTH)->status, SOURCE_OK);
    CHECK_STR(s->deployment.health_severity, "warning");
    snapshot_unref(s);
    coder_source_ops.destroy(st);

    /* Without a token: buildinfo still tells the version; the rest says 401. */
    cfg = fake_config(loopsrv_url(srv), NULL, 5);
    st = coder_source_ops.create(&cfg);
    s = poll_once(st, now);
    CHECK_STR(s->deployment.version, "v2.38.5+3f0c1a7");
    const struct source_state *a = src(s, CODER_SRC_API);
    CHECK_INT(a->status, SOURCE_ERROR);
    CHECK_INT(a->reason, REASON_UNAUTHORIZED);
    CHECK(a->hint && strstr(a->hint, "token"));
    snapshot_unref(s);
    coder_source_ops.destroy(st);
    loopsrv_stop(srv);
    fake_free(&f);
}

TEST(coder_poller_dead_server_bounded)
{
    unsigned port = 0;
    int fd = loopsrv_silent(&port);
    char u[64];
    snprintf(u, sizeof u, "http://127.0.0.1:%u", port);
    struct config cfg = fake_config(u, TOKEN, 1);
    void *st = coder_source_ops.create(&cfg);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct snapshot *s = poll_once(st, 1784021430);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(took < 2.5); /* one timeout, the other groups not tried */
    const struct source_state *a = src(s, CODER_SRC_API);
    CHECK_INT(a->status, SOURCE_ERROR);
    CHECK_INT(a->reason, REASON_TIMEOUT);
    const struct source_state *p = src(s, CODER_SRC_PROVISIONERS);
    CHECK_INT(p->status, SOURCE_ERROR);
    CHECK(p->error && strstr(p->error, "not polled"));
    snapshot_unref(s);
    coder_source_ops.destroy(st);
    close(fd);
}

TEST(coder_disabled_without_url)
{
    struct config cfg;
    memset(&cfg, 0, sizeof cfg);
    CHECK(coder_source_ops.create(&cfg) == NULL);
    struct snapshot *s = snapshot_new(0);
    coder_source_ops.add_disabled(s);
    const struct source_state *a = src(s, CODER_SRC_API);
    CHECK(a && a->status == SOURCE_DISABLED && a->reason == REASON_NOT_CONFIGURED);
    CHECK(a && a->hint && strstr(a->hint, "--coder-url"));
    snapshot_unref(s);
}

TEST(coder_poller_old_build_without_job_list)
{
    struct fake f = {0};
    fake_load(&f);
    f.no_jobs = 1;
    struct loopsrv *srv = loopsrv_start(fake_handler, &f);
    struct config cfg = fake_config(loopsrv_url(srv), TOKEN, 5);
    void *st = coder_source_ops.create(&cfg);
    double now = coder_parse_time("2026-07-14T09:30:30Z");
    struct snapshot *s = poll_once(st, now);
    const struct source_state *p = src(s, CODER_SRC_PROVISIONERS);
    CHECK_INT(p->status, SOURCE_OK);
    CHECK(p->error && strstr(p->error, "no provisioner job list"));
    CHECK_INT(s->provisioners.ndaemons, 4);
    CHECK_INT(s->provisioners.nqueues, 2);
    for (size_t i = 0; i < s->provisioners.nqueues; i++) {
        CHECK(isnan(s->provisioners.queues[i].pending)); /* unknown, not 0 */
        CHECK(s->provisioners.queues[i].daemons >= 1);
    }
    snapshot_unref(s);
    loopsrv_reset(srv);
    s = poll_once(st, now + 15);
    CHECK_INT(count_path(srv, "/provisionerjobs"), 0); /* not asked every cycle */
    snapshot_unref(s);
    coder_source_ops.destroy(st);
    loopsrv_stop(srv);
    fake_free(&f);
}

TEST(coder_poller_slow_endpoints_stay_in_budget)
{
    struct fake f = {0};
    fake_load(&f);
    f.slow_ms = 1500;
    struct loopsrv *srv = loopsrv_start(fake_handler, &f);
    struct config cfg = fake_config(loopsrv_url(srv), TOKEN, 1);
    void *st = coder_source_ops.create(&cfg);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct snapshot *s = poll_once(st, 1784021430);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(took < 3.0); /* two request timeouts, not one per request */
    CHECK_INT(src(s, CODER_SRC_API)->status, SOURCE_OK);
    CHECK_INT(src(s, CODER_SRC_REPLICAS)->reason, REASON_TIMEOUT);
    const struct source_state *h = src(s, CODER_SRC_HEALTH);
    CHECK_INT(h->status, SOURCE_ERROR);
    CHECK(h->error && strstr(h->error, "budget"));
    snapshot_unref(s);
    coder_source_ops.destroy(st);
    loopsrv_stop(srv);
    fake_free(&f);
}

TEST(coder_poller_jobs_without_daemon_list)
{
    struct fake f = {0};
    fake_load(&f);
    f.no_daemons = 1;
    struct loopsrv *srv = loopsrv_start(fake_handler, &f);
    struct config cfg = fake_config(loopsrv_url(srv), TOKEN, 5);
    void *st = coder_source_ops.create(&cfg);
    double now = coder_parse_time("2026-07-14T09:30:30Z");
    struct snapshot *s = poll_once(st, now);
    const struct source_state *p = src(s, CODER_SRC_PROVISIONERS);
    CHECK_INT(p->reason, REASON_NO_PERMISSION);
    CHECK_INT(p->status, SOURCE_OK);
    CHECK(p->error && strncmp(p->error, "partial: no permission", 22) == 0);
    CHECK_INT(s->provisioners.ndaemons, 0);
    CHECK_INT(s->provisioners.nqueues, 2);
    for (size_t i = 0; i < s->provisioners.nqueues; i++) {
        CHECK(s->provisioners.queues[i].pending >= 1);
        CHECK(isnan(s->provisioners.queues[i].daemons)); /* unknown, not "no daemon" */
    }
    CHECK_INT(s->provisioners.nunrunnable, 0);
    CHECK_INT(s->deployment.builtin_provisioners, TRI_UNKNOWN);
    snapshot_unref(s);
    coder_source_ops.destroy(st);
    loopsrv_stop(srv);
    fake_free(&f);
}

/* Every converter on truncated and byte-flipped fixtures: errors or data,
 * never a crash or a leak (this runs under ASan in `make test`). */
TEST(coder_converters_survive_mutations)
{
    static const char *const files[] = {"api/replicas.json",           "api/workspaceproxies.json",
                                        "api/provisionerdaemons.json", "api/provisionerjobs.json",
                                        "api/debug_health.json",       "api/deployment_stats.json",
                                        "api/entitlements.json",       "api/organizations.json",
                                        "api/buildinfo.json",          "api/workspace_quota.json"};
    unsigned seed = 12345;
    size_t accepted = 0, rejected = 0;
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        size_t n;
        char *orig = fixture(files[f], &n);
        if (!orig) {
            continue;
        }
        char *buf = malloc(n + 1);
        for (int iter = 0; iter < 150; iter++) {
            memcpy(buf, orig, n);
            size_t len = n;
            seed = seed * 1103515245u + 12345u;
            if (iter % 3 == 0) {
                len = (seed >> 8) % (n + 1); /* truncate */
            } else {
                for (int k = 0; k < 1 + iter % 4; k++) {
                    seed = seed * 1103515245u + 12345u;
                    buf[(seed >> 8) % n] = (char)(seed >> 3);
                }
            }
            buf[len] = '\0';
            struct snapshot *s = snapshot_new(0);
            struct err e;
            size_t listed;
            double t, c;
            enum tri a, b, d;
            struct coder_org orgs[4];
            size_t no;
            int rc = 0;
            rc |= coder_parse_replicas(s, buf, len, &e);
            rc |= coder_parse_proxies(s, buf, len, &e);
            rc |= coder_parse_daemons(s, "o", buf, len, &e);
            rc |= coder_parse_jobs(s, "o", buf, len, 0, 100, &listed, &e);
            rc |= coder_parse_health(s, buf, len, &t, &e);
            rc |= coder_parse_deployment_stats(s, buf, len, &e);
            rc |= coder_parse_entitlements(buf, len, &a, &b, &d, &e);
            rc |= coder_parse_organizations(buf, len, orgs, 4, &no, &e);
            rc |= coder_parse_buildinfo(s, buf, len, &e);
            rc |= coder_parse_quota(s, "me", "o", buf, len, &e);
            rc |= coder_parse_count(buf, len, &c, &e);
            provq_derive(s, 0);
            rc ? rejected++ : accepted++;
            snapshot_unref(s);
        }
        free(buf);
        free(orig);
    }
    CHECK(rejected > 0);
}
