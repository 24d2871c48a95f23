/*
 * The snapshot JSON writer: the contract of DESIGN.md §6 plus the extra
 * fields of snapshot.h, documented in docs/snapshot-json.md. The reader is
 * backend/snapshot_json_read.c (another module owns it).
 * Invariants: an unknown number (NAN, ±Inf) is null, never a sentinel; an
 * absent string is null; integral numbers print as integers; enums print as
 * their contract names; times are RFC 3339 UTC strings or null; the document
 * is built and freed inside one call, no json_t escapes.
 */
#include "backend/snapshot_json.h"

#include "backend/text.h"
#include "backend/timespec.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static json_t *num(double v)
{
    if (isnan(v) || isinf(v)) {
        return json_null();
    }
    if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        return json_integer((json_int_t)v);
    }
    return json_real(v);
}

static json_t *str(const char *s)
{
    if (!s) {
        return json_null();
    }
    json_t *j = json_string(s);
    if (!j) { /* not valid UTF-8: should not happen after snapshot_str, but never emit it */
        char *clean = text_clean(s, strlen(s));
        j = json_string(clean);
        free(clean);
    }
    return j ? j : json_null();
}

static json_t *timev(double t)
{
    char buf[TIMESPEC_BUF];
    if (isnan(t) || isinf(t)) {
        return json_null();
    }
    return json_string(timespec_format_rfc3339(t, buf, sizeof buf));
}

static json_t *tri(enum tri t)
{
    return t == TRI_TRUE ? json_true() : t == TRI_FALSE ? json_false() : json_null();
}

static json_t *tags(const struct tagset *ts)
{
    json_t *o = json_object();
    for (size_t i = 0; i < ts->n; i++) {
        if (ts->tags[i].key) {
            json_object_set_new(o, ts->tags[i].key,
                                str(ts->tags[i].value ? ts->tags[i].value : ""));
        }
    }
    return o;
}

static json_t *strlist(const char *const *list, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(a, str(list[i]));
    }
    return a;
}

static const char *reason_name(enum source_reason r)
{
    static const char *const names[] = {
        NULL,           "not_configured", "no_permission", "needs_premium", "unauthorized",
        "rate_limited", "timeout",        "unreachable",   "bad_response",  "server_error",
    };
    return (unsigned)r < sizeof names / sizeof *names ? names[r] : NULL;
}

#define SET(o, k, v) json_object_set_new((o), (k), (v))

static json_t *sources(const struct snapshot *s)
{
    json_t *a = json_array();
    for (size_t i = 0; i < s->nsources; i++) {
        const struct source_state *src = &s->sources[i];
        json_t *o = json_object();
        SET(o, "name", str(src->name));
        SET(o, "kind", str(src->kind));
        SET(o, "status", json_string(source_status_name(src->status)));
        SET(o, "reason", str(reason_name(src->reason)));
        SET(o, "last_ok", timev(src->last_ok));
        SET(o, "latency_ms", num(src->latency_ms));
        SET(o, "error", str(src->error));
        SET(o, "hint", str(src->hint));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *deployment(const struct deployment *d)
{
    json_t *o = json_object();
    SET(o, "coder_url", str(d->coder_url));
    SET(o, "version", str(d->version));
    SET(o, "dashboard_url", str(d->dashboard_url));
    SET(o, "deployment_id", str(d->deployment_id));
    SET(o, "premium", tri(d->premium));
    SET(o, "users_total", num(d->users_total));
    SET(o, "users_active", num(d->users_active));
    SET(o, "workspaces_total", num(d->workspaces_total));
    SET(o, "workspaces_running", num(d->workspaces_running));
    SET(o, "workspaces_failed", num(d->workspaces_failed));
    SET(o, "health_severity", str(d->health_severity));
    SET(o, "health_codes", strlist(d->health_codes, d->nhealth_codes));
    SET(o, "builtin_provisioners", tri(d->builtin_provisioners));
    SET(o, "db_metrics_collected", tri(d->db_metrics_collected));
    SET(o, "agent_stats_full", tri(d->agent_stats_full));
    SET(o, "agent_stats_series", num(d->agent_stats_series));
    SET(o, "builds_failed_per_h", num(d->builds_failed_per_h));
    SET(o, "builds_total_per_h", num(d->builds_total_per_h));
    SET(o, "api_p50_ms", num(d->api_p50_ms));
    SET(o, "api_p95_ms", num(d->api_p95_ms));
    SET(o, "api_p99_ms", num(d->api_p99_ms));
    SET(o, "requests_per_s", num(d->requests_per_s));
    SET(o, "db_query_p95_ms", num(d->db_query_p95_ms));
    SET(o, "queue_wait_p95_s", num(d->queue_wait_p95_s));
    SET(o, "build_p95_s", num(d->build_p95_s));
    SET(o, "derp_healthy", tri(d->derp_healthy));
    SET(o, "stun_healthy", tri(d->stun_healthy));
    SET(o, "derp_clients", num(d->derp_clients));
    SET(o, "derp_bytes_per_s", num(d->derp_bytes_per_s));
    return o;
}

static json_t *servers(const struct snapshot *s)
{
    json_t *a = json_array();
    for (size_t i = 0; i < s->nservers; i++) {
        const struct server *v = &s->servers[i];
        json_t *o = json_object();
        SET(o, "id", str(v->id));
        SET(o, "hostname", str(v->hostname));
        SET(o, "relay_address", str(v->relay_address));
        SET(o, "version", str(v->version));
        SET(o, "region_id", num(v->region_id));
        SET(o, "error", str(v->error));
        SET(o, "started_at", timev(v->started_at));
        SET(o, "updated_at", timev(v->updated_at));
        SET(o, "metrics_target", str(v->metrics_target));
        SET(o, "db_latency_ms", num(v->db_latency_ms));
        SET(o, "api_p50_ms", num(v->api_p50_ms));
        SET(o, "api_p95_ms", num(v->api_p95_ms));
        SET(o, "api_p99_ms", num(v->api_p99_ms));
        SET(o, "requests_per_s", num(v->requests_per_s));
        SET(o, "concurrent_requests", num(v->concurrent_requests));
        SET(o, "db_query_p95_ms", num(v->db_query_p95_ms));
        SET(o, "cpu_cores", num(v->cpu_cores));
        SET(o, "cpu_cores_available", num(v->cpu_cores_available));
        SET(o, "rss_bytes", num(v->rss_bytes));
        SET(o, "memory_available_bytes", num(v->memory_available_bytes));
        SET(o, "open_fds", num(v->open_fds));
        SET(o, "max_fds", num(v->max_fds));
        SET(o, "goroutines", num(v->goroutines));
        SET(o, "derp_clients", num(v->derp_clients));
        SET(o, "derp_bytes_per_s", num(v->derp_bytes_per_s));
        SET(o, "derp_connections", num(v->derp_connections));
        SET(o, "derp_packets_forwarded_per_s", num(v->derp_packets_forwarded_per_s));
        SET(o, "derp_packets_dropped_per_s", num(v->derp_packets_dropped_per_s));
        SET(o, "derp_source", str(v->derp_source));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *job(const struct job *j)
{
    json_t *o = json_object();
    SET(o, "id", str(j->id));
    SET(o, "organization", str(j->organization));
    SET(o, "tags", tags(&j->tags));
    SET(o, "age_s", num(j->age_s));
    SET(o, "reason", str(j->reason));
    SET(o, "status", str(j->status));
    SET(o, "type", str(j->type));
    SET(o, "created_at", timev(j->created_at));
    SET(o, "started_at", timev(j->started_at));
    SET(o, "queue_position", num(j->queue_position));
    SET(o, "worker_id", str(j->worker_id));
    return o;
}

static json_t *provisioners(const struct provisioners *p)
{
    json_t *o = json_object();
    json_t *a = json_array();
    for (size_t i = 0; i < p->ndaemons; i++) {
        const struct daemon *d = &p->daemons[i];
        json_t *x = json_object();
        SET(x, "id", str(d->id));
        SET(x, "name", str(d->name));
        SET(x, "organization", str(d->organization));
        SET(x, "tags", tags(&d->tags));
        SET(x, "status", json_string(daemon_status_name(d->status)));
        SET(x, "status_raw", str(d->status_raw));
        SET(x, "version", str(d->version));
        SET(x, "api_version", str(d->api_version));
        SET(x, "current_job", str(d->current_job));
        SET(x, "previous_job", str(d->previous_job));
        SET(x, "previous_job_status", str(d->previous_job_status));
        SET(x, "created_at", timev(d->created_at));
        SET(x, "last_seen_at", timev(d->last_seen_at));
        SET(x, "builtin", json_boolean(d->builtin));
        json_array_append_new(a, x);
    }
    SET(o, "daemons", a);
    a = json_array();
    for (size_t i = 0; i < p->nqueues; i++) {
        const struct queue *q = &p->queues[i];
        json_t *x = json_object();
        SET(x, "organization", str(q->organization));
        SET(x, "tags", tags(&q->tags));
        SET(x, "pending", num(q->pending));
        SET(x, "running", num(q->running));
        SET(x, "daemons", num(q->daemons));
        SET(x, "idle", num(q->idle));
        SET(x, "offline", num(q->offline));
        SET(x, "oldest_pending_s", num(q->oldest_pending_s));
        SET(x, "wait_p95_s", num(q->wait_p95_s));
        SET(x, "build_p95_s", num(q->build_p95_s));
        SET(x, "wait_p95_1h_s", num(q->wait_p95_1h_s));
        SET(x, "wait_p95_1d_s", num(q->wait_p95_1d_s));
        SET(x, "peak_running_1h", num(q->peak_running_1h));
        SET(x, "peak_running_1d", num(q->peak_running_1d));
        SET(x, "arrivals_per_s", num(q->arrivals_per_s));
        SET(x, "build_mean_s", num(q->build_mean_s));
        SET(x, "load", num(q->load));
        SET(x, "sizing_window_s", num(q->sizing_window_s));
        SET(x, "daemons_needed", num(q->daemons_needed));
        json_array_append_new(a, x);
    }
    SET(o, "queues", a);
    a = json_array();
    for (size_t i = 0; i < p->nunrunnable; i++) {
        json_array_append_new(a, job(&p->unrunnable[i]));
    }
    SET(o, "unrunnable_jobs", a);
    a = json_array();
    for (size_t i = 0; i < p->njobs; i++) {
        json_array_append_new(a, job(&p->jobs[i]));
    }
    SET(o, "jobs", a);
    a = json_array();
    for (size_t i = 0; i < p->nstopped; i++) {
        const struct stopped_daemon *d = &p->stopped[i];
        json_t *x = json_object();
        SET(x, "id", str(d->id));
        SET(x, "name", str(d->name));
        SET(x, "organization", str(d->organization));
        SET(x, "tags", tags(&d->tags));
        SET(x, "job", str(d->job));
        SET(x, "job_status", str(d->job_status));
        SET(x, "how", str(d->how));
        SET(x, "detected_at", timev(d->detected_at));
        SET(x, "last_seen_at", timev(d->last_seen_at));
        json_array_append_new(a, x);
    }
    SET(o, "stopped_mid_build", a);
    return o;
}

static json_t *postgres(const struct postgres *p)
{
    json_t *o = json_object();
    SET(o, "up", tri(p->up));
    SET(o, "version", str(p->version));
    SET(o, "server_version_num", num(p->server_version_num));
    SET(o, "in_recovery", tri(p->in_recovery));
    SET(o, "stats_visible", tri(p->stats_visible));
    SET(o, "rtt_ms", num(p->rtt_ms));
    json_t *c = json_object();
    SET(c, "used", num(p->connections.used));
    SET(c, "max", num(p->connections.max));
    SET(c, "active", num(p->connections.active));
    SET(c, "idle", num(p->connections.idle));
    SET(c, "idle_in_transaction", num(p->connections.idle_in_transaction));
    SET(c, "waiting", num(p->connections.waiting));
    SET(o, "connections", c);
    SET(o, "tps", num(p->tps));
    SET(o, "cache_hit_ratio", num(p->cache_hit_ratio));
    SET(o, "deadlocks_per_s", num(p->deadlocks_per_s));
    SET(o, "temp_bytes_per_s", num(p->temp_bytes_per_s));
    SET(o, "oldest_xact_s", num(p->oldest_xact_s));
    SET(o, "oldest_query_s", num(p->oldest_query_s));
    SET(o, "notify_queue_usage", num(p->notify_queue_usage));
    SET(o, "db_size_bytes", num(p->db_size_bytes));
    SET(o, "xid_age", num(p->xid_age));
    SET(o, "checkpoints_req_ratio", num(p->checkpoints_req_ratio));
    json_t *a = json_array();
    for (size_t i = 0; i < p->nreplication; i++) {
        const struct pg_replication *r = &p->replication[i];
        json_t *x = json_object();
        SET(x, "name", str(r->name));
        SET(x, "state", str(r->state));
        SET(x, "replay_lag_s", num(r->replay_lag_s));
        SET(x, "lag_bytes", num(r->lag_bytes));
        json_array_append_new(a, x);
    }
    SET(o, "replication", a);
    a = json_array();
    for (size_t i = 0; i < p->nlock_waits; i++) {
        const struct pg_lock_wait *w = &p->lock_waits[i];
        json_t *x = json_object();
        SET(x, "pid", num(w->pid));
        SET(x, "blocked_by", num(w->blocked_by));
        SET(x, "wait_s", num(w->wait_s));
        SET(x, "query", str(w->query));
        json_array_append_new(a, x);
    }
    SET(o, "lock_waits", a);
    return o;
}

static json_t *proxies(const struct snapshot *s)
{
    json_t *a = json_array();
    for (size_t i = 0; i < s->nproxies; i++) {
        const struct proxy *p = &s->proxies[i];
        json_t *o = json_object();
        SET(o, "id", str(p->id));
        SET(o, "name", str(p->name));
        SET(o, "display_name", str(p->display_name));
        SET(o, "url", str(p->url));
        SET(o, "wildcard_hostname", str(p->wildcard_hostname));
        SET(o, "status", json_string(proxy_status_name(p->status)));
        SET(o, "status_raw", str(p->status_raw));
        SET(o, "healthy", tri(p->healthy));
        SET(o, "version", str(p->version));
        SET(o, "rtt_ms", num(p->rtt_ms));
        SET(o, "derp_enabled", tri(p->derp_enabled));
        SET(o, "derp_only", tri(p->derp_only));
        SET(o, "errors", strlist(p->errors, p->nerrors));
        SET(o, "warnings", strlist(p->warnings, p->nwarnings));
        SET(o, "updated_at", timev(p->updated_at));
        SET(o, "primary", json_boolean(p->primary));
        SET(o, "metrics_target", str(p->metrics_target));
        SET(o, "derp_clients", num(p->derp_clients));
        SET(o, "derp_connections", num(p->derp_connections));
        SET(o, "derp_bytes_per_s", num(p->derp_bytes_per_s));
        SET(o, "derp_packets_forwarded_per_s", num(p->derp_packets_forwarded_per_s));
        SET(o, "derp_packets_dropped_per_s", num(p->derp_packets_dropped_per_s));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *capacity(const struct capacity *c)
{
    json_t *o = json_object();
    json_t *cl = json_object();
    SET(cl, "cpu_allocatable_cores", num(c->cluster.cpu_allocatable_cores));
    SET(cl, "cpu_requested_cores", num(c->cluster.cpu_requested_cores));
    SET(cl, "memory_allocatable_bytes", num(c->cluster.memory_allocatable_bytes));
    SET(cl, "memory_requested_bytes", num(c->cluster.memory_requested_bytes));
    SET(cl, "pods_allocatable", num(c->cluster.pods_allocatable));
    SET(cl, "pods", num(c->cluster.pods));
    SET(cl, "nodes", num(c->cluster.nodes));
    SET(cl, "pods_unschedulable", num(c->cluster.pods_unschedulable));
    SET(o, "cluster", cl);
    json_t *a = json_array();
    for (size_t i = 0; i < c->nnamespaces; i++) {
        const struct namespace_quota *ns = &c->namespaces[i];
        json_t *x = json_object(), *res = json_object();
        SET(x, "name", str(ns->name));
        for (size_t r = 0; r < ns->nresources; r++) {
            const struct quantity_pair *q = &ns->resources[r];
            if (!q->resource) {
                continue;
            }
            json_t *pair = json_object();
            SET(pair, "used", num(q->used));
            SET(pair, "hard", num(q->hard));
            SET(res, q->resource, pair);
        }
        SET(x, "resources", res);
        SET(x, "limitrange_defaults", tri(ns->limitrange_defaults));
        json_array_append_new(a, x);
    }
    SET(o, "namespaces", a);
    a = json_array();
    for (size_t i = 0; i < c->ncoder_quota; i++) {
        const struct coder_quota *q = &c->coder_quota[i];
        json_t *x = json_object();
        SET(x, "user", str(q->user));
        SET(x, "organization", str(q->organization));
        SET(x, "credits_consumed", num(q->credits_consumed));
        SET(x, "budget", num(q->budget));
        json_array_append_new(a, x);
    }
    SET(o, "coder_quota", a);
    a = json_array();
    for (size_t i = 0; i < c->nsoft_limits; i++) {
        const struct soft_limit *l = &c->soft_limits[i];
        json_t *x = json_object();
        SET(x, "name", str(l->name));
        SET(x, "used", num(l->used));
        SET(x, "limit", num(l->limit));
        json_array_append_new(a, x);
    }
    SET(o, "soft_limits", a);
    a = json_array();
    for (size_t i = 0; i < c->nnodes; i++) {
        const struct node_load *n = &c->nodes[i];
        json_t *x = json_object();
        SET(x, "name", str(n->name));
        SET(x, "ready", tri(n->ready));
        SET(x, "schedulable", tri(n->schedulable));
        SET(x, "workspaces", num(n->workspaces));
        SET(x, "pods", num(n->pods));
        SET(x, "cpu_allocatable_cores", num(n->cpu_allocatable_cores));
        SET(x, "memory_allocatable_bytes", num(n->memory_allocatable_bytes));
        SET(x, "cpu_requested_cores", num(n->cpu_requested_cores));
        SET(x, "memory_requested_bytes", num(n->memory_requested_bytes));
        SET(x, "workspace_cpu_requested_cores", num(n->workspace_cpu_requested_cores));
        SET(x, "workspace_memory_requested_bytes", num(n->workspace_memory_requested_bytes));
        SET(x, "cpu_usage_cores", num(n->cpu_usage_cores));
        SET(x, "memory_usage_bytes", num(n->memory_usage_bytes));
        SET(x, "workspace_cpu_usage_cores", num(n->workspace_cpu_usage_cores));
        SET(x, "workspace_memory_usage_bytes", num(n->workspace_memory_usage_bytes));
        json_t *cp = json_object();
        SET(cp, "coderd", num(n->coderd));
        SET(cp, "postgres", num(n->postgres));
        SET(cp, "proxies", num(n->proxies));
        SET(cp, "provisioners", num(n->provisioners));
        SET(x, "control_plane", cp);
        json_array_append_new(a, x);
    }
    SET(o, "nodes", a);
    SET(o, "metrics_api", tri(c->metrics_api));
    return o;
}

static json_t *cost(const struct cost *c)
{
    json_t *o = json_object();
    SET(o, "listed_at", timev(c->listed_at));
    SET(o, "workspaces_running", num(c->workspaces_running));
    SET(o, "running_off_peak", num(c->running_off_peak));
    SET(o, "without_autostop", num(c->without_autostop));
    SET(o, "daily_cost_credits", num(c->daily_cost_credits));
    SET(o, "groups_at", timev(c->groups_at));
    json_t *a = json_array();
    for (size_t i = 0; i < c->ngroups; i++) {
        const struct cost_group *g = &c->groups[i];
        json_t *x = json_object();
        SET(x, "organization", str(g->organization));
        SET(x, "name", str(g->name));
        SET(x, "members", num(g->members));
        SET(x, "allowance_credits", num(g->allowance_credits));
        SET(x, "budget_credits", num(g->budget_credits));
        SET(x, "consumed_credits", num(g->consumed_credits));
        json_array_append_new(a, x);
    }
    SET(o, "groups", a);
    return o;
}

static json_t *findings(const struct snapshot *s)
{
    json_t *a = json_array();
    for (size_t i = 0; i < s->nfindings; i++) {
        const struct finding *f = &s->findings[i];
        json_t *o = json_object();
        SET(o, "rule", str(f->rule));
        SET(o, "severity", json_string(severity_name(f->severity)));
        SET(o, "entity", str(f->entity));
        SET(o, "message", str(f->message));
        SET(o, "evidence", str(f->evidence));
        SET(o, "since", timev(f->since));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *events(const struct snapshot *s)
{
    json_t *a = json_array();
    for (size_t i = 0; i < s->nevents; i++) {
        const struct event *ev = &s->events[i];
        json_t *o = json_object();
        SET(o, "time", timev(ev->time));
        SET(o, "kind", str(ev->kind));
        SET(o, "entity", str(ev->entity));
        SET(o, "message", str(ev->message));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *build(const struct snapshot *s)
{
    json_t *o = json_object();
    SET(o, "scaletop_snapshot", json_integer(1));
    SET(o, "time", timev(s->time));
    SET(o, "replay", json_boolean(s->replay));
    SET(o, "deployment", deployment(&s->deployment));
    SET(o, "sources", sources(s));
    SET(o, "servers", servers(s));
    SET(o, "provisioners", provisioners(&s->provisioners));
    SET(o, "postgres", postgres(&s->postgres));
    SET(o, "proxies", proxies(s));
    SET(o, "capacity", capacity(&s->capacity));
    SET(o, "findings", findings(s));
    SET(o, "events", events(s));
    SET(o, "cost", cost(&s->cost));
    return o;
}

char *snapshot_json_dump(const struct snapshot *s, int pretty)
{
    json_t *doc = build(s);
    size_t flags =
        JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15) | (pretty ? JSON_INDENT(2) : JSON_COMPACT);
    char *text = json_dumps(doc, flags);
    json_decref(doc);
    if (!text) {
        abort(); /* jansson fails only on allocation failure here */
    }
    return text;
}

int snapshot_json_write(const struct snapshot *s, FILE *f, int pretty, struct err *e)
{
    char *text = snapshot_json_dump(s, pretty);
    size_t len = strlen(text);
    size_t n = fwrite(text, 1, len, f);
    int bad = n != len || fputc('\n', f) == EOF || fflush(f) != 0;
    int saved = errno;
    free(text);
    if (bad) {
        return err_set(e, "writing snapshot JSON: %s", strerror(saved));
    }
    return 0;
}
