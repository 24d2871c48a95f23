/*
 * Snapshot JSON reader: the document of DESIGN.md §6 (plus the extra fields
 * of snapshot.h under their C names) back into a struct snapshot. Used by the
 * store to rebuild frames and by tests. Tolerant by design: unknown fields are
 * ignored, a missing or mistyped value stays unknown (NAN, NULL, TRI_UNKNOWN),
 * times may be RFC 3339 strings or Unix seconds. Every string goes through
 * snapshot_str() and is cleaned. The jansson tree never outlives the parse.
 */
#include "backend/snapshot_json.h"
#include "backend/timespec.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Parses RFC 3339 ("2026-11-27T22:47:35.123Z", "+02:00" offsets, a space for
 * the T); NAN if it is not one. */

static double num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static double tim(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (json_is_number(v)) {
        return json_number_value(v);
    }
    return json_is_string(v) ? timespec_parse_rfc3339(json_string_value(v)) : NAN;
}

static const char *str(struct snapshot *s, json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? snapshot_strn(s, json_string_value(v), json_string_length(v)) : NULL;
}

static enum tri tri(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_true(v) ? TRI_TRUE : json_is_false(v) ? TRI_FALSE : TRI_UNKNOWN;
}

static int enum_of(json_t *o, const char *key, const char *const *names, size_t n, int dflt)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v)) {
        return dflt;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(json_string_value(v), names[i]) == 0) {
            return (int)i;
        }
    }
    return dflt;
}

#define ENUM_OF(o, key, names, dflt)                                                               \
    enum_of((o), (key), (names), sizeof(names) / sizeof *(names), (dflt))

static const char *const status_names[] = {"never", "ok", "stale", "error", "disabled"};
static const char *const reason_names[] = {
    "none",         "not_configured", "no_permission", "needs_premium", "unauthorized",
    "rate_limited", "timeout",        "unreachable",   "bad_response",  "server_error"};
static const char *const daemon_names[] = {"unknown", "idle", "busy", "offline"};
static const char *const proxy_names[] = {"unknown", "ok", "unreachable", "unhealthy",
                                          "unregistered"};
static const char *const severity_names[] = {"ok", "info", "warn", "crit"};

static struct tagset tags(struct snapshot *s, json_t *o)
{
    json_t *t = json_object_get(o, "tags");
    struct tagset ts = {NULL, 0};
    if (!json_is_object(t) || json_object_size(t) == 0) {
        return ts;
    }
    size_t n = json_object_size(t), i = 0;
    struct tag *tmp = calloc(n, sizeof *tmp);
    if (!tmp) {
        return ts;
    }
    const char *k;
    json_t *v;
    json_object_foreach(t, k, v)
    {
        tmp[i].key = k;
        tmp[i].value = json_is_string(v) ? json_string_value(v) : "";
        i++;
    }
    ts = snapshot_tagset(s, tmp, i);
    free(tmp);
    return ts;
}

static const char **strs(struct snapshot *s, json_t *a, size_t *n)
{
    *n = 0;
    if (!json_is_array(a) || json_array_size(a) == 0) {
        return NULL;
    }
    const char **v = snapshot_alloc(s, json_array_size(a) * sizeof *v);
    size_t i;
    json_t *x;
    json_array_foreach(a, i, x)
    {
        if (json_is_string(x)) {
            v[(*n)++] = snapshot_str(s, json_string_value(x));
        }
    }
    return v;
}

static void read_job(struct snapshot *s, struct job *j, json_t *o)
{
    j->id = str(s, o, "id");
    j->organization = str(s, o, "organization");
    j->tags = tags(s, o);
    j->status = str(s, o, "status");
    j->type = str(s, o, "type");
    j->created_at = tim(o, "created_at");
    j->started_at = tim(o, "started_at");
    j->age_s = num(o, "age_s");
    j->queue_position = num(o, "queue_position");
    j->worker_id = str(s, o, "worker_id");
    j->reason = str(s, o, "reason");
}

static void read_servers(struct snapshot *s, json_t *a)
{
    size_t i;
    json_t *o;
    json_array_foreach(a, i, o)
    {
        if (!json_is_object(o)) {
            continue;
        }
        struct server *v = snapshot_add_server(s);
        v->id = str(s, o, "id");
        v->hostname = str(s, o, "hostname");
        v->relay_address = str(s, o, "relay_address");
        v->version = str(s, o, "version");
        v->region_id = num(o, "region_id");
        v->error = str(s, o, "error");
        v->started_at = tim(o, "started_at");
        v->updated_at = tim(o, "updated_at");
        v->metrics_target = str(s, o, "metrics_target");
        v->db_latency_ms = num(o, "db_latency_ms");
        v->api_p50_ms = num(o, "api_p50_ms");
        v->api_p95_ms = num(o, "api_p95_ms");
        v->api_p99_ms = num(o, "api_p99_ms");
        v->requests_per_s = num(o, "requests_per_s");
        v->concurrent_requests = num(o, "concurrent_requests");
        v->db_query_p95_ms = num(o, "db_query_p95_ms");
        v->cpu_cores = num(o, "cpu_cores");
        v->cpu_cores_available = num(o, "cpu_cores_available");
        v->rss_bytes = num(o, "rss_bytes");
        v->memory_available_bytes = num(o, "memory_available_bytes");
        v->open_fds = num(o, "open_fds");
        v->max_fds = num(o, "max_fds");
        v->goroutines = num(o, "goroutines");
        v->derp_clients = num(o, "derp_clients");
        v->derp_bytes_per_s = num(o, "derp_bytes_per_s");
        v->derp_connections = num(o, "derp_connections");
        v->derp_packets_forwarded_per_s = num(o, "derp_packets_forwarded_per_s");
        v->derp_packets_dropped_per_s = num(o, "derp_packets_dropped_per_s");
        v->derp_source = str(s, o, "derp_source");
    }
}

static void read_provisioners(struct snapshot *s, json_t *p)
{
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(p, "daemons"), i, o)
    {
        if (!json_is_object(o)) {
            continue;
        }
        struct daemon *d = snapshot_add_daemon(s);
        d->id = str(s, o, "id");
        d->name = str(s, o, "name");
        d->organization = str(s, o, "organization");
        d->tags = tags(s, o);
        d->status = (enum daemon_status)ENUM_OF(o, "status", daemon_names, DAEMON_UNKNOWN);
        d->status_raw = str(s, o, "status_raw");
        d->version = str(s, o, "version");
        d->api_version = str(s, o, "api_version");
        d->current_job = str(s, o, "current_job");
        d->previous_job = str(s, o, "previous_job");
        d->previous_job_status = str(s, o, "previous_job_status");
        d->created_at = tim(o, "created_at");
        d->last_seen_at = tim(o, "last_seen_at");
        d->builtin = json_is_true(json_object_get(o, "builtin"));
    }
    json_array_foreach(json_object_get(p, "queues"), i, o)
    {
        if (!json_is_object(o)) {
            continue;
        }
        struct queue *q = snapshot_add_queue(s);
        q->organization = str(s, o, "organization");
        q->tags = tags(s, o);
        q->pending = num(o, "pending");
        q->running = num(o, "running");
        q->daemons = num(o, "daemons");
        q->idle = num(o, "idle");
        q->offline = num(o, "offline");
        q->oldest_pending_s = num(o, "oldest_pending_s");
        q->wait_p95_s = num(o, "wait_p95_s");
        q->build_p95_s = num(o, "build_p95_s");
        q->wait_p95_1h_s = num(o, "wait_p95_1h_s");
        q->wait_p95_1d_s = num(o, "wait_p95_1d_s");
        q->peak_running_1h = num(o, "peak_running_1h");
        q->peak_running_1d = num(o, "peak_running_1d");
        q->arrivals_per_s = num(o, "arrivals_per_s");
        q->build_mean_s = num(o, "build_mean_s");
        q->load = num(o, "load");
        q->sizing_window_s = num(o, "sizing_window_s");
        q->daemons_needed = num(o, "daemons_needed");
    }
    json_array_foreach(json_object_get(p, "jobs"), i, o)
    {
        if (!json_is_object(o)) {
            continue;
        }
        read_job(s, snapshot_add_job(s), o);
    }
    json_array_foreach(json_object_get(p, "unrunnable_jobs"), i, o)
    {
        if (!json_is_object(o)) {
            continue;
        }
        read_job(s, snapshot_add_unrunnable(s), o);
    }
    json_array_foreach(json_object_get(p, "stopped_mid_build"), i, o)
    {
        if (!json_is_object(o)) {
            continue;
        }
        struct stopped_daemon *d = snapshot_add_stopped_daemon(s);
        d->id = str(s, o, "id");
        d->name = str(s, o, "name");
        d->organization = str(s, o, "organization");
        d->tags = tags(s, o);
        d->job = str(s, o, "job");
        d->job_status = str(s, o, "job_status");
        d->how = str(s, o, "how");
        d->detected_at = tim(o, "detected_at");
        d->last_seen_at = tim(o, "last_seen_at");
    }
}

static void read_postgres(struct snapshot *s, json_t *o)
{
    struct postgres *p = &s->postgres;
    p->up = tri(o, "up");
    p->version = str(s, o, "version");
    p->server_version_num = num(o, "server_version_num");
    p->in_recovery = tri(o, "in_recovery");
    p->stats_visible = tri(o, "stats_visible");
    p->rtt_ms = num(o, "rtt_ms");
    json_t *c = json_object_get(o, "connections");
    p->connections.used = num(c, "used");
    p->connections.max = num(c, "max");
    p->connections.active = num(c, "active");
    p->connections.idle = num(c, "idle");
    p->connections.idle_in_transaction = num(c, "idle_in_transaction");
    p->connections.waiting = num(c, "waiting");
    p->tps = num(o, "tps");
    p->cache_hit_ratio = num(o, "cache_hit_ratio");
    p->deadlocks_per_s = num(o, "deadlocks_per_s");
    p->temp_bytes_per_s = num(o, "temp_bytes_per_s");
    p->oldest_xact_s = num(o, "oldest_xact_s");
    p->oldest_query_s = num(o, "oldest_query_s");
    p->notify_queue_usage = num(o, "notify_queue_usage");
    p->db_size_bytes = num(o, "db_size_bytes");
    p->xid_age = num(o, "xid_age");
    p->checkpoints_req_ratio = num(o, "checkpoints_req_ratio");
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(o, "replication"), i, x)
    {
        if (!json_is_object(x)) {
            continue;
        }
        struct pg_replication *r = snapshot_add_pg_replication(s);
        r->name = str(s, x, "name");
        r->state = str(s, x, "state");
        r->replay_lag_s = num(x, "replay_lag_s");
        r->lag_bytes = num(x, "lag_bytes");
    }
    json_array_foreach(json_object_get(o, "lock_waits"), i, x)
    {
        if (!json_is_object(x)) {
            continue;
        }
        struct pg_lock_wait *w = snapshot_add_pg_lock_wait(s);
        w->pid = num(x, "pid");
        w->blocked_by = num(x, "blocked_by");
        w->wait_s = num(x, "wait_s");
        w->query = str(s, x, "query");
    }
}

static void read_proxies(struct snapshot *s, json_t *a)
{
    size_t i;
    json_t *o;
    json_array_foreach(a, i, o)
    {
        if (!json_is_object(o)) {
            continue;
        }
        struct proxy *x = snapshot_add_proxy(s);
        x->id = str(s, o, "id");
        x->name = str(s, o, "name");
        x->display_name = str(s, o, "display_name");
        x->url = str(s, o, "url");
        x->wildcard_hostname = str(s, o, "wildcard_hostname");
        x->status = (enum proxy_status)ENUM_OF(o, "status", proxy_names, PROXY_UNKNOWN);
        x->status_raw = str(s, o, "status_raw");
        x->healthy = tri(o, "healthy");
        x->version = str(s, o, "version");
        x->rtt_ms = num(o, "rtt_ms");
        x->derp_enabled = tri(o, "derp_enabled");
        x->derp_only = tri(o, "derp_only");
        x->errors = strs(s, json_object_get(o, "errors"), &x->nerrors);
        x->warnings = strs(s, json_object_get(o, "warnings"), &x->nwarnings);
        x->updated_at = tim(o, "updated_at");
        x->primary = json_is_true(json_object_get(o, "primary"));
        x->metrics_target = str(s, o, "metrics_target");
        x->derp_clients = num(o, "derp_clients");
        x->derp_connections = num(o, "derp_connections");
        x->derp_bytes_per_s = num(o, "derp_bytes_per_s");
        x->derp_packets_forwarded_per_s = num(o, "derp_packets_forwarded_per_s");
        x->derp_packets_dropped_per_s = num(o, "derp_packets_dropped_per_s");
    }
}

static void read_capacity(struct snapshot *s, json_t *o)
{
    struct capacity *c = &s->capacity;
    json_t *cl = json_object_get(o, "cluster");
    c->cluster.cpu_allocatable_cores = num(cl, "cpu_allocatable_cores");
    c->cluster.cpu_requested_cores = num(cl, "cpu_requested_cores");
    c->cluster.memory_allocatable_bytes = num(cl, "memory_allocatable_bytes");
    c->cluster.memory_requested_bytes = num(cl, "memory_requested_bytes");
    c->cluster.pods_allocatable = num(cl, "pods_allocatable");
    c->cluster.pods = num(cl, "pods");
    c->cluster.nodes = num(cl, "nodes");
    c->cluster.pods_unschedulable = num(cl, "pods_unschedulable");
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(o, "namespaces"), i, x)
    {
        if (!json_is_object(x)) {
            continue;
        }
        struct namespace_quota *n = snapshot_add_namespace(s);
        n->name = str(s, x, "name");
        json_t *res = json_object_get(x, "resources");
        if (json_is_object(res) && json_object_size(res) > 0) {
            n->resources = snapshot_alloc(s, json_object_size(res) * sizeof *n->resources);
            const char *k;
            json_t *v;
            json_object_foreach(res, k, v)
            {
                struct quantity_pair *q = &n->resources[n->nresources++];
                q->resource = snapshot_str(s, k);
                q->used = num(v, "used");
                q->hard = num(v, "hard");
            }
        }
        n->limitrange_defaults = tri(x, "limitrange_defaults");
    }
    json_array_foreach(json_object_get(o, "coder_quota"), i, x)
    {
        if (!json_is_object(x)) {
            continue;
        }
        struct coder_quota *q = snapshot_add_coder_quota(s);
        q->user = str(s, x, "user");
        q->organization = str(s, x, "organization");
        q->credits_consumed = num(x, "credits_consumed");
        q->budget = num(x, "budget");
    }
    json_array_foreach(json_object_get(o, "soft_limits"), i, x)
    {
        if (!json_is_object(x)) {
            continue;
        }
        struct soft_limit *l = snapshot_add_soft_limit(s);
        l->name = str(s, x, "name");
        l->used = num(x, "used");
        l->limit = num(x, "limit");
    }
    json_array_foreach(json_object_get(o, "nodes"), i, x)
    {
        if (!json_is_object(x)) {
            continue;
        }
        struct node_load *n = snapshot_add_node_load(s);
        n->name = str(s, x, "name");
        n->ready = tri(x, "ready");
        n->schedulable = tri(x, "schedulable");
        n->workspaces = num(x, "workspaces");
        n->pods = num(x, "pods");
        n->cpu_allocatable_cores = num(x, "cpu_allocatable_cores");
        n->memory_allocatable_bytes = num(x, "memory_allocatable_bytes");
        n->cpu_requested_cores = num(x, "cpu_requested_cores");
        n->memory_requested_bytes = num(x, "memory_requested_bytes");
        n->workspace_cpu_requested_cores = num(x, "workspace_cpu_requested_cores");
        n->workspace_memory_requested_bytes = num(x, "workspace_memory_requested_bytes");
        n->cpu_usage_cores = num(x, "cpu_usage_cores");
        n->memory_usage_bytes = num(x, "memory_usage_bytes");
        n->workspace_cpu_usage_cores = num(x, "workspace_cpu_usage_cores");
        n->workspace_memory_usage_bytes = num(x, "workspace_memory_usage_bytes");
        json_t *cp = json_object_get(x, "control_plane");
        n->coderd = num(cp, "coderd");
        n->postgres = num(cp, "postgres");
        n->proxies = num(cp, "proxies");
        n->provisioners = num(cp, "provisioners");
    }
    c->metrics_api = tri(o, "metrics_api");
}

static void read_cost(struct snapshot *s, json_t *o)
{
    if (!json_is_object(o)) {
        return;
    }
    struct cost *c = &s->cost;
    c->listed_at = tim(o, "listed_at");
    c->workspaces_running = num(o, "workspaces_running");
    c->running_off_peak = num(o, "running_off_peak");
    c->without_autostop = num(o, "without_autostop");
    c->daily_cost_credits = num(o, "daily_cost_credits");
    c->groups_at = tim(o, "groups_at");
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(o, "groups"), i, x)
    {
        if (!json_is_object(x)) {
            continue;
        }
        struct cost_group *g = snapshot_add_cost_group(s);
        g->organization = str(s, x, "organization");
        g->name = str(s, x, "name");
        g->members = num(x, "members");
        g->allowance_credits = num(x, "allowance_credits");
        g->budget_credits = num(x, "budget_credits");
        g->consumed_credits = num(x, "consumed_credits");
    }
}

static void read_deployment(struct snapshot *s, json_t *o)
{
    struct deployment *d = &s->deployment;
    d->coder_url = str(s, o, "coder_url");
    d->version = str(s, o, "version");
    d->dashboard_url = str(s, o, "dashboard_url");
    d->deployment_id = str(s, o, "deployment_id");
    d->premium = tri(o, "premium");
    d->users_total = num(o, "users_total");
    d->users_active = num(o, "users_active");
    d->workspaces_total = num(o, "workspaces_total");
    d->workspaces_running = num(o, "workspaces_running");
    d->workspaces_failed = num(o, "workspaces_failed");
    d->health_severity = str(s, o, "health_severity");
    d->health_codes = strs(s, json_object_get(o, "health_codes"), &d->nhealth_codes);
    d->builtin_provisioners = tri(o, "builtin_provisioners");
    d->db_metrics_collected = tri(o, "db_metrics_collected");
    d->agent_stats_full = tri(o, "agent_stats_full");
    d->agent_stats_series = num(o, "agent_stats_series");
    d->builds_failed_per_h = num(o, "builds_failed_per_h");
    d->builds_total_per_h = num(o, "builds_total_per_h");
    d->api_p50_ms = num(o, "api_p50_ms");
    d->api_p95_ms = num(o, "api_p95_ms");
    d->api_p99_ms = num(o, "api_p99_ms");
    d->requests_per_s = num(o, "requests_per_s");
    d->db_query_p95_ms = num(o, "db_query_p95_ms");
    d->queue_wait_p95_s = num(o, "queue_wait_p95_s");
    d->build_p95_s = num(o, "build_p95_s");
    d->derp_healthy = tri(o, "derp_healthy");
    d->stun_healthy = tri(o, "stun_healthy");
    d->derp_clients = num(o, "derp_clients");
    d->derp_bytes_per_s = num(o, "derp_bytes_per_s");
}

struct snapshot *snapshot_json_parse(const char *text, size_t len, struct err *e)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_DECODE_ANY, &je);
    if (!root) {
        err_set(e, "snapshot JSON: line %d: %s", je.line, je.text);
        return NULL;
    }
    if (!json_is_object(root) || !json_is_integer(json_object_get(root, "scaletop_snapshot"))) {
        json_decref(root);
        err_set(e, "snapshot JSON: not a scaletop snapshot (no \"scaletop_snapshot\" field)");
        return NULL;
    }
    struct snapshot *s = snapshot_new(tim(root, "time"));
    s->replay = json_is_true(json_object_get(root, "replay"));
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(root, "sources"), i, o)
    {
        if (!json_is_object(o)) {
            continue;
        }
        json_t *name = json_object_get(o, "name");
        struct source_state *src =
            snapshot_add_source(s, json_is_string(name) ? json_string_value(name) : NULL, NULL);
        src->kind = str(s, o, "kind");
        src->status = (enum source_status)ENUM_OF(o, "status", status_names, SOURCE_ERROR);
        src->reason = (enum source_reason)ENUM_OF(o, "reason", reason_names, REASON_NONE);
        src->last_ok = tim(o, "last_ok");
        src->latency_ms = num(o, "latency_ms");
        src->error = str(s, o, "error");
        src->hint = str(s, o, "hint");
    }
    read_deployment(s, json_object_get(root, "deployment"));
    read_servers(s, json_object_get(root, "servers"));
    read_provisioners(s, json_object_get(root, "provisioners"));
    read_postgres(s, json_object_get(root, "postgres"));
    read_proxies(s, json_object_get(root, "proxies"));
    read_capacity(s, json_object_get(root, "capacity"));
    read_cost(s, json_object_get(root, "cost"));
    json_array_foreach(json_object_get(root, "findings"), i, o)
    {
        if (!json_is_object(o)) {
            continue;
        }
        struct finding *f = snapshot_add_finding(s);
        f->rule = str(s, o, "rule");
        f->severity = (enum severity)ENUM_OF(o, "severity", severity_names, SEV_INFO);
        f->entity = str(s, o, "entity");
        f->message = str(s, o, "message");
        f->evidence = str(s, o, "evidence");
        f->since = tim(o, "since");
    }
    json_array_foreach(json_object_get(root, "events"), i, o)
    {
        if (!json_is_object(o)) {
            continue;
        }
        struct event *ev = snapshot_add_event(s);
        ev->time = tim(o, "time");
        ev->kind = str(s, o, "kind");
        ev->entity = str(s, o, "entity");
        ev->message = str(s, o, "message");
    }
    json_decref(root);
    return s;
}
