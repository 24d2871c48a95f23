/*
 * scaletop-sim Prometheus expositions: one body per coderd replica and one
 * per external provisioner deployment, with the real metric names, types,
 * labels and bucket boundaries (fixtures/coder/metrics/catalog.tsv and
 * coderd.prom).
 *
 * Invariants: bodies are rendered by the tick thread into immutable blobs and
 * served by reference, so a 30 MB body is never rebuilt per request. A
 * replica body is its own part (API, DB, process, …) followed by the
 * per-workspace part, which is identical on every replica (coderd computes
 * those gauges from the database) and is rebuilt at most once per simulated
 * minute. Every family appears once, all its samples together; histogram
 * buckets are cumulative and _count equals the +Inf bucket.
 */
#include "sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const routes[] = {
    "/api/v2/buildinfo",
    "/api/v2/entitlements",
    "/api/v2/users/me",
    "/api/v2/users/{user}",
    "/api/v2/users",
    "/api/v2/users/{user}/organizations",
    "/api/v2/users/{user}/workspace/{workspacename}",
    "/api/v2/users/{user}/gitsshkey",
    "/api/v2/users/{user}/appearance",
    "/api/v2/users/{user}/keys/tokens",
    "/api/v2/organizations",
    "/api/v2/organizations/{organization}",
    "/api/v2/organizations/{organization}/members",
    "/api/v2/organizations/{organization}/templates",
    "/api/v2/organizations/{organization}/provisionerdaemons",
    "/api/v2/organizations/{organization}/provisionerjobs",
    "/api/v2/organizations/{organization}/groups",
    "/api/v2/organizations/{organization}/members/{user}/workspaces",
    "/api/v2/organizations/{organization}/members/{user}/workspace-quota",
    "/api/v2/templates",
    "/api/v2/templates/{template}",
    "/api/v2/templates/{template}/versions",
    "/api/v2/templates/{template}/daus",
    "/api/v2/templateversions/{templateversion}",
    "/api/v2/templateversions/{templateversion}/parameters",
    "/api/v2/templateversions/{templateversion}/rich-parameters",
    "/api/v2/templateversions/{templateversion}/resources",
    "/api/v2/templateversions/{templateversion}/external-auth",
    "/api/v2/workspaces",
    "/api/v2/workspaces/{workspace}",
    "/api/v2/workspaces/{workspace}/builds",
    "/api/v2/workspaces/{workspace}/timings",
    "/api/v2/workspaces/{workspace}/usage",
    "/api/v2/workspacebuilds/{workspacebuild}",
    "/api/v2/workspacebuilds/{workspacebuild}/logs",
    "/api/v2/workspacebuilds/{workspacebuild}/resources",
    "/api/v2/workspacebuilds/{workspacebuild}/timings",
    "/api/v2/workspaceagents/{workspaceagent}",
    "/api/v2/workspaceagents/{workspaceagent}/listening-ports",
    "/api/v2/workspaceagents/{workspaceagent}/connection",
    "/api/v2/workspaceagents/me/metadata",
    "/api/v2/workspaceagents/me/log-source",
    "/api/v2/workspaceproxies",
    "/api/v2/regions",
    "/api/v2/replicas",
    "/api/v2/deployment/stats",
    "/api/v2/deployment/config",
    "/api/v2/debug/health",
    "/api/v2/appearance",
    "/api/v2/experiments",
    "/api/v2/updatecheck",
    "/api/v2/insights/daus",
    "/api/v2/insights/templates",
    "/api/v2/insights/user-latency",
    "/api/v2/insights/user-activity",
    "/api/v2/insights/user-status-counts",
    "/api/v2/notifications/inbox",
    "/api/v2/licenses",
    "/api/v2/audit",
    "/api/v2/files/{fileID}",
};
#define N_ROUTES ((int)(sizeof routes / sizeof routes[0]))

static const char *const db_queries[] = {
    "GetAPIKeyByID",
    "GetUserByID",
    "GetAuthorizationUserRoles",
    "GetWorkspaces",
    "GetWorkspaceByID",
    "GetWorkspaceAgentByID",
    "GetLatestWorkspaceBuildByWorkspaceID",
    "GetProvisionerJobByID",
    "GetProvisionerDaemonsWithStatusByOrganization",
    "AcquireProvisionerJob",
    "UpdateProvisionerJobByID",
    "InsertWorkspaceAgentStats",
    "UpdateWorkspaceAgentConnectionByID",
    "GetTemplateByID",
    "GetTemplateVersionByID",
    "GetOrganizationByID",
    "UpdateAPIKeyByID",
    "InsertWorkspaceBuild",
    "GetReplicasUpdatedAfter",
    "UpdateReplica",
};
#define N_QUERIES ((int)(sizeof db_queries / sizeof db_queries[0]))

static void fam(struct sim_buf *b, const char *name, const char *type, const char *help)
{
    sim_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void num(struct sim_buf *b, double v)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        sim_buf_printf(b, " %.0f\n", v);
    } else {
        sim_buf_printf(b, " %.10g\n", v);
    }
}

static void le_str(double le, char out[24])
{
    snprintf(out, 24, "%g", le);
}

/* Writes one histogram series, scaled by w; labels may be "" or `a="b",`. */
static void hist_series(struct sim_buf *b, const char *name, const char *labels,
                        const struct sim_hist *h, double w)
{
    char le[24];
    double cnt = floor(h->count * w);
    for (int i = 0; i < h->nb; i++) {
        double v = floor(h->bucket[i] * w);
        if (v > cnt) {
            v = cnt;
        }
        le_str(h->le[i], le);
        sim_buf_printf(b, "%s_bucket{%sle=\"%s\"}", name, labels, le);
        num(b, v);
    }
    sim_buf_printf(b, "%s_bucket{%sle=\"+Inf\"}", name, labels);
    num(b, cnt);
    size_t l = strlen(labels);
    char trimmed[256];
    snprintf(trimmed, sizeof trimmed, "%.*s", (int)(l > 0 ? l - 1 : 0), labels);
    sim_buf_printf(b, "%s_sum%s%s%s", name, l ? "{" : "", trimmed, l ? "}" : "");
    num(b, h->sum * w);
    sim_buf_printf(b, "%s_count%s%s%s", name, l ? "{" : "", trimmed, l ? "}" : "");
    num(b, cnt);
}

static double route_weight(int i)
{
    /* a skewed but fixed traffic mix; weights sum to 1 over GET routes */
    static double total = 0;
    double w = 1.0 / (1.0 + i * 0.35);
    (void)total;
    double sum = 0;
    for (int k = 0; k < N_ROUTES; k++) {
        sum += 1.0 / (1.0 + k * 0.35);
    }
    return w / sum;
}

static void go_process(struct sim_buf *b, double cpu_s, double rss, double start, double fds,
                       double goroutines, double now)
{
    fam(b, "go_gc_duration_seconds", "summary",
        "A summary of the pause duration of garbage collection cycles.");
    const char *qs[] = {"0", "0.25", "0.5", "0.75", "1"};
    double qv[] = {2.8401e-05, 6.0112e-05, 8.9344e-05, 0.000161307, 0.004118226};
    for (int i = 0; i < 5; i++) {
        sim_buf_printf(b, "go_gc_duration_seconds{quantile=\"%s\"}", qs[i]);
        num(b, qv[i]);
    }
    double gcs = floor((now - start) / 3.1);
    sim_buf_puts(b, "go_gc_duration_seconds_sum");
    num(b, gcs * 0.000124);
    sim_buf_puts(b, "go_gc_duration_seconds_count");
    num(b, gcs);
    fam(b, "go_goroutines", "gauge", "Number of goroutines that currently exist.");
    sim_buf_puts(b, "go_goroutines");
    num(b, goroutines);
    fam(b, "go_info", "gauge", "Information about the Go environment.");
    sim_buf_puts(b, "go_info{version=\"go1.24.6\"} 1\n");
    fam(b, "go_memstats_alloc_bytes", "gauge", "Number of bytes allocated and still in use.");
    sim_buf_puts(b, "go_memstats_alloc_bytes");
    num(b, floor(rss * 0.37));
    fam(b, "go_memstats_alloc_bytes_total", "counter",
        "Total number of bytes allocated, even if freed.");
    sim_buf_puts(b, "go_memstats_alloc_bytes_total");
    num(b, floor(cpu_s * 8.4e7));
    fam(b, "go_memstats_heap_inuse_bytes", "gauge", "Number of heap bytes that are in use.");
    sim_buf_puts(b, "go_memstats_heap_inuse_bytes");
    num(b, floor(rss * 0.41));
    fam(b, "go_memstats_sys_bytes", "gauge", "Number of bytes obtained from system.");
    sim_buf_puts(b, "go_memstats_sys_bytes");
    num(b, floor(rss * 1.05));
    fam(b, "go_threads", "gauge", "Number of OS threads created.");
    sim_buf_puts(b, "go_threads 41\n");
    fam(b, "process_cpu_seconds_total", "counter",
        "Total user and system CPU time spent in seconds.");
    sim_buf_puts(b, "process_cpu_seconds_total");
    num(b, floor(cpu_s * 100) / 100);
    fam(b, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
    sim_buf_puts(b, "process_max_fds 1.048576e+06\n");
    fam(b, "process_open_fds", "gauge", "Number of open file descriptors.");
    sim_buf_puts(b, "process_open_fds");
    num(b, fds);
    fam(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    sim_buf_puts(b, "process_resident_memory_bytes");
    num(b, floor(rss));
    fam(b, "process_start_time_seconds", "gauge",
        "Start time of the process since unix epoch in seconds.");
    sim_buf_puts(b, "process_start_time_seconds");
    num(b, floor(start * 100) / 100);
    fam(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
    sim_buf_puts(b, "process_virtual_memory_bytes");
    num(b, floor(rss * 2.9));
    fam(b, "process_virtual_memory_max_bytes", "gauge",
        "Maximum amount of virtual memory available in bytes.");
    sim_buf_puts(b, "process_virtual_memory_max_bytes 1.8446744073709552e+19\n");
}

static void replica_head(struct sim *s, int ri, struct sim_buf *b)
{
    struct sim_replica *r = &s->rep[ri];
    double now = s->sim_now;
    char lab[256];

    fam(b, "coderd_api_concurrent_requests", "gauge", "The number of concurrent API requests.");
    for (int i = 0; i < 6; i++) {
        sim_buf_printf(b, "coderd_api_concurrent_requests{method=\"GET\",path=\"%s\"}", routes[i]);
        num(b, floor(r->req_per_s * route_weight(i) * r->api_p50_ms / 1000 * 4));
    }
    fam(b, "coderd_api_concurrent_websockets", "gauge",
        "The total number of concurrent API websockets.");
    sim_buf_puts(b, "coderd_api_concurrent_websockets{path=\"/api/v2/workspaceagents/me/rpc\"}");
    num(b, floor((double)s->ws_running / s->n_replicas));
    sim_buf_puts(b, "coderd_api_concurrent_websockets{path=\"/api/v2/tailnet/\"}");
    num(b, floor((double)s->ws_running / s->n_replicas / 4));

    fam(b, "coderd_api_request_latencies_seconds", "histogram",
        "Latency distribution of requests in seconds.");
    for (int i = 0; i < N_ROUTES; i++) {
        double w = route_weight(i);
        snprintf(lab, sizeof lab, "method=\"GET\",path=\"%s\",", routes[i]);
        hist_series(b, "coderd_api_request_latencies_seconds", lab, &r->api_hist, w * 0.9);
        if (i % 2 == 0) {
            snprintf(lab, sizeof lab, "method=\"POST\",path=\"%s\",", routes[i]);
            hist_series(b, "coderd_api_request_latencies_seconds", lab, &r->api_hist, w * 0.2);
        }
    }
    fam(b, "coderd_api_requests_processed_total", "counter",
        "The total number of processed API requests");
    for (int i = 0; i < N_ROUTES; i++) {
        double w = route_weight(i);
        sim_buf_printf(
            b, "coderd_api_requests_processed_total{code=\"200\",method=\"GET\",path=\"%s\"}",
            routes[i]);
        num(b, floor(r->api_hist.count * w * 0.9 * 0.995));
        if (i % 4 == 0) {
            sim_buf_printf(
                b, "coderd_api_requests_processed_total{code=\"500\",method=\"GET\",path=\"%s\"}",
                routes[i]);
            num(b, floor(r->api_hist.count * w * 0.9 * 0.005));
        }
    }
    static const double ws_le[] = {0.001, 1, 60, 3600, 54000, 108000};
    struct sim_hist wsh;
    sim_hist_init(&wsh, ws_le, 6);
    sim_hist_observe_dist(&wsh, floor((now - r->created_at) / 120), 300, 3000, 30000);
    fam(b, "coderd_api_websocket_durations_seconds", "histogram",
        "Websocket duration distribution of requests in seconds.");
    hist_series(b, "coderd_api_websocket_durations_seconds",
                "path=\"/api/v2/workspaceagents/me/rpc\",", &wsh, 1);
    fam(b, "coderd_api_active_users_duration_hour", "gauge",
        "The number of users that have been active within the last hour.");
    sim_buf_puts(b, "coderd_api_active_users_duration_hour");
    num(b, floor(s->users_active * 0.4));
    fam(b, "coderd_api_total_user_count", "gauge",
        "The total number of registered users, partitioned by status.");
    sim_buf_puts(b, "coderd_api_total_user_count{status=\"active\"}");
    num(b, (double)s->users_active);
    sim_buf_puts(b, "coderd_api_total_user_count{status=\"dormant\"}");
    num(b, (double)s->users_dormant);
    sim_buf_puts(b, "coderd_api_total_user_count{status=\"suspended\"}");
    num(b, (double)s->users_suspended);
    fam(b, "coderd_api_workspace_latest_build", "gauge",
        "The current number of workspace builds by status for all non-deleted workspaces.");
    sim_buf_puts(b, "coderd_api_workspace_latest_build{status=\"failed\"}");
    num(b, (double)s->ws_failed);
    sim_buf_puts(b, "coderd_api_workspace_latest_build{status=\"pending\"}");
    num(b, (double)s->ws_pending);
    sim_buf_puts(b, "coderd_api_workspace_latest_build{status=\"running\"}");
    num(b, (double)s->ws_starting);
    sim_buf_puts(b, "coderd_api_workspace_latest_build{status=\"succeeded\"}");
    num(b, (double)(s->ws_running + s->ws_stopped));

    /* built-in provisioners report from the coderd process */
    int builtin = 0, busy = 0;
    for (int i = 0; i < s->n_daemons; i++) {
        struct sim_daemon *d = &s->daemons[i];
        if (d->deploy < 0 && strncmp(d->name, r->hostname, strlen(r->hostname)) == 0) {
            builtin++;
            busy += d->current_job >= 0;
        }
    }
    fam(b, "coderd_provisionerd_num_daemons", "gauge", "The number of provisioner daemons.");
    sim_buf_puts(b, "coderd_provisionerd_num_daemons");
    num(b, builtin);
    if (builtin > 0) {
        fam(b, "coderd_provisionerd_jobs_current", "gauge",
            "The number of currently running jobs.");
        sim_buf_puts(b, "coderd_provisionerd_jobs_current{provisioner=\"terraform\"}");
        num(b, busy);
    }

    if (s->o.db_metrics) {
        fam(b, "coderd_db_query_latencies_seconds", "histogram",
            "Latency distribution of queries in seconds.");
        for (int i = 0; i < N_QUERIES; i++) {
            snprintf(lab, sizeof lab, "query=\"%s\",", db_queries[i]);
            hist_series(b, "coderd_db_query_latencies_seconds", lab, &r->dbq_hist,
                        1.0 / (1.0 + i * 0.5) / 3.0);
        }
        fam(b, "coderd_db_query_counts_total", "counter",
            "Total number of queries labelled by HTTP route, method, and query name.");
        for (int i = 0; i < 5; i++) {
            sim_buf_printf(b,
                           "coderd_db_query_counts_total{route=\"/api/v2/workspaces/\","
                           "method=\"GET\",query=\"%s\"}",
                           db_queries[i]);
            num(b, floor(r->db_queries * 0.01 / (1 + i)));
        }
    }
    fam(b, "coderd_db_tx_duration_seconds", "histogram", "Duration of transactions in seconds.");
    hist_series(b, "coderd_db_tx_duration_seconds", "success=\"true\",tx_id=\"unnamed\",",
                &r->tx_hist, 0.98);
    hist_series(b, "coderd_db_tx_duration_seconds", "success=\"false\",tx_id=\"unnamed\",",
                &r->tx_hist, 0.02);
    fam(b, "coderd_db_tx_executions_count", "counter",
        "Total count of transactions executed. 'retries' is expected to be 0 for a successful "
        "transaction.");
    sim_buf_puts(b,
                 "coderd_db_tx_executions_count{success=\"true\",retries=\"0\",tx_id=\"unnamed\"}");
    num(b, floor(r->tx_hist.count * 0.98));
    sim_buf_puts(
        b, "coderd_db_tx_executions_count{success=\"false\",retries=\"0\",tx_id=\"unnamed\"}");
    num(b, floor(r->tx_hist.count * 0.02));

    fam(b, "coder_pubsub_connected", "gauge",
        "Whether we are connected (1) or not connected (0) to postgres");
    sim_buf_puts(b, "coder_pubsub_connected 1\n");
    fam(b, "coder_pubsub_current_subscribers", "gauge",
        "The current number of active pubsub subscribers");
    sim_buf_puts(b, "coder_pubsub_current_subscribers");
    num(b, floor((double)s->ws_running / s->n_replicas * 1.3));
    fam(b, "coder_pubsub_latency_measure_errs_total", "counter",
        "The number of pubsub latency measurement failures");
    sim_buf_puts(b, "coder_pubsub_latency_measure_errs_total 0\n");
    fam(b, "coder_pubsub_messages_total", "counter",
        "Total number of messages received from postgres");
    sim_buf_puts(b, "coder_pubsub_messages_total{size=\"normal\"}");
    num(b, floor(r->pubsub_msgs));
    sim_buf_puts(b, "coder_pubsub_messages_total{size=\"colossal\"} 0\n");
    fam(b, "coder_pubsub_receive_latency_seconds", "gauge",
        "The time taken to receive a message from a pubsub event channel");
    sim_buf_puts(b, "coder_pubsub_receive_latency_seconds");
    num(b, r->db_latency_ms / 1000 * 1.1);
    fam(b, "coder_pubsub_send_latency_seconds", "gauge",
        "The time taken to send a message into a pubsub event channel");
    sim_buf_puts(b, "coder_pubsub_send_latency_seconds");
    num(b, r->db_latency_ms / 1000 * 0.9);

    static const double authz_le[] = {0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.02,
                                      0.035,  0.05,  0.075, 0.1,   0.25,  0.75, 1};
    struct sim_hist az;
    sim_hist_init(&az, authz_le, 14);
    sim_hist_observe_dist(&az, floor(r->requests * 3), 0.0009, 0.004, 0.012);
    fam(b, "coderd_authz_authorize_duration_seconds", "histogram",
        "Duration of the 'Authorize' call in seconds. Only counts calls that succeed.");
    hist_series(b, "coderd_authz_authorize_duration_seconds", "allowed=\"true\",", &az, 0.97);
    hist_series(b, "coderd_authz_authorize_duration_seconds", "allowed=\"false\",", &az, 0.03);

    fam(b, "coderd_license_active_users", "gauge", "The number of active users.");
    sim_buf_puts(b, "coderd_license_active_users");
    num(b, (double)s->users_active);
    fam(b, "coderd_license_limit_users", "gauge",
        "The user seats limit based on the active Coder license.");
    sim_buf_puts(b, "coderd_license_limit_users");
    num(b, (double)s->license_limit);
    fam(b, "coderd_license_user_limit_enabled", "gauge",
        "Returns 1 if the current license enforces the user limit.");
    sim_buf_puts(b, "coderd_license_user_limit_enabled 1\n");

    fam(b, "coderd_proxyhealth_health_check_results", "gauge",
        "This endpoint returns a number to indicate the health status. -3 (unknown), -2 "
        "(Unreachable), -1 (Unhealthy), 0 (Unregistered), 1 (Healthy)");
    for (int i = 0; i < s->n_proxies; i++) {
        const char *st = s->prox[i].status;
        int v = strcmp(st, "ok") == 0            ? 1
                : strcmp(st, "unreachable") == 0 ? -2
                : strcmp(st, "unhealthy") == 0   ? -1
                                                 : 0;
        sim_buf_printf(b, "coderd_proxyhealth_health_check_results{proxy_id=\"%s\"} %d\n",
                       s->prox[i].id, v);
    }
    fam(b, "coderd_build_info", "gauge",
        "Describes the current build/version of the Coder server. Value is always 1.");
    sim_buf_puts(b, "coderd_build_info{version=\"" SIM_VERSION "\",revision=\"3f0c1a7\"} 1\n");
    fam(b, "coderd_insights_templates_active_users", "gauge",
        "The number of active users of the template.");
    sim_buf_puts(b, "coderd_insights_templates_active_users{template_name=\"k8s-dev\","
                    "organization_name=\"coder\"}");
    num(b, floor(s->users_active * 2.0 / 3));
    fam(b, "coder_servertailnet_open_connections", "gauge",
        "Total number of TCP connections currently open to workspace agents.");
    sim_buf_puts(b, "coder_servertailnet_open_connections{network=\"tcp\"}");
    num(b, floor((double)s->ws_running / s->n_replicas / 10));
    fam(b, "promhttp_metric_handler_requests_total", "counter",
        "Total number of scrapes by HTTP status code.");
    sim_buf_puts(b, "promhttp_metric_handler_requests_total{code=\"200\"}");
    num(b, floor((now - r->created_at) / 15));
    sim_buf_puts(b, "promhttp_metric_handler_requests_total{code=\"500\"} 0\n");

    if (!r->derp_expvar_only) {
        sim_derp_metrics(&r->derp, b);
    }
    double rss = 1.1e9 + 2.0e5 * (double)s->ws_running / s->n_replicas;
    go_process(b, r->cpu_seconds, rss, r->created_at, 600 + (double)s->ws_running / s->n_replicas,
               3000 + (double)s->ws_running / s->n_replicas * 4, now);
}

struct ws_params {
    long n, run, users;
    double now;
    bool agent_stats;
};

/* The per-workspace families, identical on every replica; rendered from a
 * copy of the few numbers it needs, so the lock is not held meanwhile. */
static void workspace_part(const struct ws_params *s, struct sim_buf *b)
{
    long n = s->n;
    long run = s->run;
    long users = s->users ? s->users : 1;
    char u[24], w[24];
#define WS_LOOP for (long i = 0; i < n; i++)
#define WS_NAMES                                                                                   \
    snprintf(u, sizeof u, "user%05ld", i % users);                                                 \
    snprintf(w, sizeof w, "ws-%05ld", i)

    fam(b, "coderd_agents_up", "gauge", "The number of active agents per workspace.");
    WS_LOOP
    {
        WS_NAMES;
        sim_buf_printf(b,
                       "coderd_agents_up{username=\"%s\",workspace_name=\"%s\",template_name="
                       "\"k8s-dev\",template_version=\"brave_turing4\"} %d\n",
                       u, w, i < run ? 1 : 0);
    }
    fam(b, "coderd_agents_connections", "gauge", "Agent connections with statuses.");
    WS_LOOP
    {
        WS_NAMES;
        sim_buf_printf(b,
                       "coderd_agents_connections{agent_name=\"main\",username=\"%s\","
                       "workspace_name=\"%s\",status=\"%s\",lifecycle_state=\"%s\","
                       "tailnet_node=\"nodeid:%016lx\"} 1\n",
                       u, w, i < run ? "connected" : "disconnected", i < run ? "ready" : "off",
                       (unsigned long)(i * 2654435761UL + 12345));
    }
    fam(b, "coderd_agents_connection_latencies_seconds", "gauge",
        "Agent connection latencies in seconds.");
    WS_LOOP
    {
        WS_NAMES;
        sim_buf_printf(b,
                       "coderd_agents_connection_latencies_seconds{agent_name=\"main\","
                       "username=\"%s\",workspace_name=\"%s\",derp_region=\"Coder Embedded "
                       "Relay\",preferred=\"true\"} %.6f\n",
                       u, w, 0.002 + (double)(i % 17) * 0.0001);
        sim_buf_printf(b,
                       "coderd_agents_connection_latencies_seconds{agent_name=\"main\","
                       "username=\"%s\",workspace_name=\"%s\",derp_region=\"sydney\","
                       "preferred=\"false\"} %.6f\n",
                       u, w, 0.17 + (double)(i % 13) * 0.001);
    }
    fam(b, "coderd_agents_apps", "gauge", "Agent applications with statuses.");
    WS_LOOP
    {
        WS_NAMES;
        sim_buf_printf(b,
                       "coderd_agents_apps{agent_name=\"main\",username=\"%s\",workspace_name="
                       "\"%s\",app_name=\"code-server\",health=\"healthy\"} 1\n",
                       u, w);
        sim_buf_printf(b,
                       "coderd_agents_apps{agent_name=\"main\",username=\"%s\",workspace_name="
                       "\"%s\",app_name=\"filebrowser\",health=\"healthy\"} 1\n",
                       u, w);
    }
    fam(b, "coderd_workspace_latest_build_status", "gauge",
        "The current workspace statuses by template, transition, and owner for all non-deleted "
        "workspaces.");
    WS_LOOP
    {
        WS_NAMES;
        sim_buf_printf(b,
                       "coderd_workspace_latest_build_status{status=\"succeeded\",template_name="
                       "\"k8s-dev\",template_version=\"brave_turing4\",workspace_owner=\"%s\","
                       "workspace_transition=\"%s\"} 1\n",
                       u, i < run ? "start" : "stop");
        (void)w;
    }
    if (!s->agent_stats) {
        return;
    }
    static const struct {
        const char *name, *help;
    } gauges[] = {
        {"coderd_agentstats_connection_count", "The number of established connections by agent"},
        {"coderd_agentstats_connection_median_latency_seconds",
         "The median agent connection latency in seconds"},
        {"coderd_agentstats_rx_bytes", "Agent Rx bytes"},
        {"coderd_agentstats_tx_bytes", "Agent Tx bytes"},
        {"coderd_agentstats_session_count_jetbrains",
         "The number of session established by JetBrains"},
        {"coderd_agentstats_session_count_reconnecting_pty",
         "The number of session established by reconnecting PTY"},
        {"coderd_agentstats_session_count_ssh", "The number of session established by SSH"},
        {"coderd_agentstats_session_count_vscode", "The number of session established by VSCode"},
    };
    double minute = floor(s->now / 60);
    for (size_t g = 0; g < sizeof gauges / sizeof gauges[0]; g++) {
        fam(b, gauges[g].name, "gauge", gauges[g].help);
        WS_LOOP
        {
            WS_NAMES;
            double v = g == 1   ? 0.0015 + (double)(i % 11) * 0.0001
                       : g == 2 ? fmod(minute * 977 + (double)i * 131, 250000)
                       : g == 3 ? fmod(minute * 811 + (double)i * 97, 200000)
                                : (double)((i + (long)g) % 3 == 0);
            sim_buf_printf(b,
                           "%s{agent_name=\"main\",template_name=\"k8s-dev\",username=\"%s\","
                           "workspace_name=\"%s\"} %.10g\n",
                           gauges[g].name, u, w, i < run ? v : 0);
        }
    }
    fam(b, "coderd_agentstats_currently_reachable_peers", "gauge",
        "The number of peers (e.g. clients) that are currently reachable over the encrypted "
        "network.");
    WS_LOOP
    {
        WS_NAMES;
        sim_buf_printf(b,
                       "coderd_agentstats_currently_reachable_peers{agent_name=\"main\","
                       "template_name=\"k8s-dev\",username=\"%s\",workspace_name=\"%s\","
                       "connection_type=\"derp\"} %d\n",
                       u, w, i < run ? 1 : 0);
        sim_buf_printf(b,
                       "coderd_agentstats_currently_reachable_peers{agent_name=\"main\","
                       "template_name=\"k8s-dev\",username=\"%s\",workspace_name=\"%s\","
                       "connection_type=\"p2p\"} 0\n",
                       u, w);
    }
    fam(b, "coderd_agentstats_startup_script_seconds", "gauge",
        "Amount of time taken to run the startup script in seconds.");
    WS_LOOP
    {
        WS_NAMES;
        sim_buf_printf(b,
                       "coderd_agentstats_startup_script_seconds{agent_name=\"main\","
                       "template_name=\"k8s-dev\",username=\"%s\",workspace_name=\"%s\","
                       "success=\"true\"} %.6f\n",
                       u, w, 30 + (double)(i % 29));
    }
    fam(b, "agent_scripts_executed_total", "counter",
        "Total number of scripts executed by the Coder agent. Includes cron scheduled scripts.");
    WS_LOOP
    {
        WS_NAMES;
        sim_buf_printf(b,
                       "agent_scripts_executed_total{agent_name=\"main\",success=\"true\","
                       "template_name=\"k8s-dev\",username=\"%s\",workspace_name=\"%s\"} %ld\n",
                       u, w, 1 + i % 5);
    }
#undef WS_LOOP
#undef WS_NAMES
}

static void deploy_body(struct sim *s, int di, struct sim_buf *b)
{
    struct sim_deploy *d = &s->dep[di];
    int online = 0, busy = 0;
    for (int i = 0; i < s->n_daemons; i++) {
        if (s->daemons[i].deploy == di && s->daemons[i].online) {
            online++;
            busy += s->daemons[i].current_job >= 0;
        }
    }
    fam(b, "coderd_provisionerd_job_timings_seconds", "histogram",
        "The provisioner job time duration in seconds.");
    hist_series(b, "coderd_provisionerd_job_timings_seconds",
                "provisioner=\"terraform\",status=\"success\",", &d->job_hist_ok, 1);
    hist_series(b, "coderd_provisionerd_job_timings_seconds",
                "provisioner=\"terraform\",status=\"failed\",", &d->job_hist_failed, 1);
    fam(b, "coderd_provisionerd_jobs_current", "gauge", "The number of currently running jobs.");
    sim_buf_puts(b, "coderd_provisionerd_jobs_current{provisioner=\"terraform\"}");
    num(b, busy);
    fam(b, "coderd_provisionerd_num_daemons", "gauge", "The number of provisioner daemons.");
    sim_buf_puts(b, "coderd_provisionerd_num_daemons");
    num(b, online);
    const char *tn = di == 0 ? "k8s-dev" : "docker-gpu";
    const char *tv = di == 0 ? "brave_turing4" : "upbeat_hopper7";
    fam(b, "coderd_provisionerd_workspace_build_timings_seconds", "histogram",
        "The time taken for a workspace to build.");
    const char *tr[] = {"START", "STOP", "DESTROY"};
    const double share[] = {0.65, 0.3, 0.05};
    char lab[256];
    for (int k = 0; k < 3; k++) {
        snprintf(lab, sizeof lab,
                 "template_name=\"%s\",template_version=\"%s\",workspace_transition=\"%s\","
                 "status=\"success\",",
                 tn, tv, tr[k]);
        hist_series(b, "coderd_provisionerd_workspace_build_timings_seconds", lab, &d->job_hist_ok,
                    share[k]);
    }
    fam(b, "coderd_workspace_builds_total", "counter",
        "The number of workspaces started, updated, or deleted.");
    for (int k = 0; k < 20; k++) {
        for (int t = 0; t < 2; t++) {
            sim_buf_printf(b,
                           "coderd_workspace_builds_total{workspace_owner=\"user%05d\","
                           "workspace_name=\"ws-%05d\",template_name=\"%s\",template_version="
                           "\"%s\",workspace_transition=\"%s\",status=\"success\"}",
                           k, k, tn, tv, tr[t]);
            num(b, 1 + floor(d->job_hist_ok.count * share[t] / 20));
        }
    }
    double start = s->o.start_epoch - 36000;
    go_process(b, d->cpu_seconds, 6.2e7 * online, start, 14.0 * online, 61.0 * online, s->sim_now);
}

void sim_metrics_rebuild(struct sim *s, bool force)
{
    /* render without the lock from a snapshot would need a deep copy; the
     * model is small next to the bodies, so render under the lock, part by part */
    double real = sim_mono();
    pthread_mutex_lock(&s->mu);
    bool ws_due = force || !s->ws_body ||
                  (floor(s->sim_now / 60) != floor(s->ws_body_at / 60) &&
                   real - s->ws_body_real >= (s->workspaces_total >= 5000 ? 5.0 : 1.0));
    pthread_mutex_unlock(&s->mu);
    if (ws_due) {
        struct sim_buf b = {0};
        pthread_mutex_lock(&s->mu);
        struct ws_params wp = {s->workspaces_total, s->ws_running, s->users_active, s->sim_now,
                               s->o.agent_stats};
        pthread_mutex_unlock(&s->mu);
        workspace_part(&wp, &b);
        double at = wp.now;
        struct sim_blob *bl = sim_blob_from_buf(&b);
        pthread_mutex_lock(&s->mu);
        struct sim_blob *old = s->ws_body;
        s->ws_body = bl;
        s->ws_body_at = at;
        s->ws_body_real = real;
        pthread_mutex_unlock(&s->mu);
        sim_blob_unref(old);
    }
    for (int i = 0; i < s->n_replicas; i++) {
        struct sim_buf b = {0};
        pthread_mutex_lock(&s->mu);
        replica_head(s, i, &b);
        pthread_mutex_unlock(&s->mu);
        struct sim_blob *bl = sim_blob_from_buf(&b);
        pthread_mutex_lock(&s->mu);
        struct sim_blob *old = s->rep[i].head;
        s->rep[i].head = bl;
        pthread_mutex_unlock(&s->mu);
        sim_blob_unref(old);
    }
    for (int i = 0; i < s->n_deploy; i++) {
        struct sim_buf b = {0};
        pthread_mutex_lock(&s->mu);
        deploy_body(s, i, &b);
        pthread_mutex_unlock(&s->mu);
        struct sim_blob *bl = sim_blob_from_buf(&b);
        pthread_mutex_lock(&s->mu);
        struct sim_blob *old = s->dep[i].body;
        s->dep[i].body = bl;
        pthread_mutex_unlock(&s->mu);
        sim_blob_unref(old);
    }
}

void sim_metrics_reply(struct sim *s, int kind, int index, struct sim_reply *r)
{
    pthread_mutex_lock(&s->mu);
    if (kind == L_METRICS) {
        if (!s->rep[index].present) {
            pthread_mutex_unlock(&s->mu);
            r->status = 0; /* the pod is gone: the connection drops */
            return;
        }
        r->blob = sim_blob_ref(s->rep[index].head);
        r->blob2 = sim_blob_ref(s->ws_body);
    } else {
        r->blob = sim_blob_ref(s->dep[index].body);
    }
    pthread_mutex_unlock(&s->mu);
    r->status = 200;
    r->ctype = "text/plain; version=0.0.4; charset=utf-8";
    if (!r->blob) {
        r->blob = r->blob2;
        r->blob2 = NULL;
    }
    if (!r->blob) {
        sim_buf_puts(&r->body, "");
    }
}
