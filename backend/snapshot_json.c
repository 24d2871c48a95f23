/*
 * Snapshot JSON writer (DESIGN.md §6), a minimal version written with the
 * store so that its round trip can be tested before the collector's writer
 * lands; the lead replaces this file with that one at merge time.
 * Invariants: every field of struct snapshot is written (contract names, the
 * rest under their C names), unknown numbers are null, times are RFC 3339 UTC
 * with milliseconds when they have a fraction, reals keep 17 digits so that
 * snapshot_json_parse() gives back the same doubles.
 */
#include "backend/snapshot_json.h"

#include "backend/xalloc.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *jtri(enum tri t)
{
    return t == TRI_TRUE ? json_true() : t == TRI_FALSE ? json_false() : json_null();
}

static json_t *jtime(double t)
{
    if (!isfinite(t)) {
        return json_null();
    }
    long long ms = llround(t * 1000.0);
    time_t sec = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
    int frac = (int)(ms - (long long)sec * 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    char buf[64];
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    if (frac) {
        snprintf(buf + n, sizeof buf - n, ".%03dZ", frac);
    } else {
        snprintf(buf + n, sizeof buf - n, "Z");
    }
    return json_string(buf);
}

static const char *reason_name(enum source_reason r)
{
    static const char *const names[] = {
        "none",         "not_configured", "no_permission", "needs_premium", "unauthorized",
        "rate_limited", "timeout",        "unreachable",   "bad_response",  "server_error"};
    return (unsigned)r < sizeof names / sizeof *names ? names[r] : "none";
}

static json_t *jtags(const struct tagset *ts)
{
    json_t *o = json_object();
    for (size_t i = 0; i < ts->n; i++) {
        json_object_set_new(o, ts->tags[i].key ? ts->tags[i].key : "",
                            jstr(ts->tags[i].value ? ts->tags[i].value : ""));
    }
    return o;
}

static json_t *jstrs(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(a, jstr(v[i]));
    }
    return a;
}

static json_t *jjob(const struct job *j)
{
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id", jstr(j->id),
                     "organization", jstr(j->organization), "tags", jtags(&j->tags), "status",
                     jstr(j->status), "type", jstr(j->type), "created_at", jnum(j->created_at),
                     "started_at", jnum(j->started_at), "age_s", jnum(j->age_s), "queue_position",
                     jnum(j->queue_position), "worker_id", jstr(j->worker_id), "reason",
                     jstr(j->reason));
}

static json_t *dump_sources(const struct snapshot *s)
{
    json_t *a = json_array();
    for (size_t i = 0; i < s->nsources; i++) {
        const struct source_state *x = &s->sources[i];
        json_array_append_new(
            a, json_pack("{s:o,s:o,s:s,s:s,s:o,s:o,s:o,s:o}", "name", jstr(x->name), "kind",
                         jstr(x->kind), "status", source_status_name(x->status), "reason",
                         reason_name(x->reason), "last_ok", jtime(x->last_ok), "latency_ms",
                         jnum(x->latency_ms), "error", jstr(x->error), "hint", jstr(x->hint)));
    }
    return a;
}

static json_t *dump_deployment(const struct deployment *d)
{
    json_t *o = json_pack("{s:o,s:o,s:o,s:o,s:o}", "coder_url", jstr(d->coder_url), "version",
                          jstr(d->version), "dashboard_url", jstr(d->dashboard_url),
                          "deployment_id", jstr(d->deployment_id), "premium", jtri(d->premium));
    json_object_set_new(o, "users_total", jnum(d->users_total));
    json_object_set_new(o, "users_active", jnum(d->users_active));
    json_object_set_new(o, "workspaces_total", jnum(d->workspaces_total));
    json_object_set_new(o, "workspaces_running", jnum(d->workspaces_running));
    json_object_set_new(o, "workspaces_failed", jnum(d->workspaces_failed));
    json_object_set_new(o, "health_severity", jstr(d->health_severity));
    json_object_set_new(o, "health_codes", jstrs(d->health_codes, d->nhealth_codes));
    json_object_set_new(o, "builtin_provisioners", jtri(d->builtin_provisioners));
    json_object_set_new(o, "db_metrics_collected", jtri(d->db_metrics_collected));
    json_object_set_new(o, "agent_stats_full", jtri(d->agent_stats_full));
    json_object_set_new(o, "agent_stats_series", jnum(d->agent_stats_series));
    json_object_set_new(o, "builds_failed_per_h", jnum(d->builds_failed_per_h));
    json_object_set_new(o, "builds_total_per_h", jnum(d->builds_total_per_h));
    return o;
}

static json_t *dump_servers(const struct snapshot *s)
{
    json_t *a = json_array();
    for (size_t i = 0; i < s->nservers; i++) {
        const struct server *v = &s->servers[i];
        json_t *o =
            json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "id", jstr(v->id), "hostname", jstr(v->hostname),
                      "relay_address", jstr(v->relay_address), "version", jstr(v->version),
                      "region_id", jnum(v->region_id), "error", jstr(v->error));
        json_object_set_new(o, "started_at", jnum(v->started_at));
        json_object_set_new(o, "updated_at", jnum(v->updated_at));
        json_object_set_new(o, "metrics_target", jstr(v->metrics_target));
        json_object_set_new(o, "db_latency_ms", jnum(v->db_latency_ms));
        json_object_set_new(o, "api_p50_ms", jnum(v->api_p50_ms));
        json_object_set_new(o, "api_p95_ms", jnum(v->api_p95_ms));
        json_object_set_new(o, "api_p99_ms", jnum(v->api_p99_ms));
        json_object_set_new(o, "requests_per_s", jnum(v->requests_per_s));
        json_object_set_new(o, "concurrent_requests", jnum(v->concurrent_requests));
        json_object_set_new(o, "db_query_p95_ms", jnum(v->db_query_p95_ms));
        json_object_set_new(o, "cpu_cores", jnum(v->cpu_cores));
        json_object_set_new(o, "cpu_cores_available", jnum(v->cpu_cores_available));
        json_object_set_new(o, "rss_bytes", jnum(v->rss_bytes));
        json_object_set_new(o, "memory_available_bytes", jnum(v->memory_available_bytes));
        json_object_set_new(o, "open_fds", jnum(v->open_fds));
        json_object_set_new(o, "max_fds", jnum(v->max_fds));
        json_object_set_new(o, "goroutines", jnum(v->goroutines));
        json_object_set_new(o, "derp_clients", jnum(v->derp_clients));
        json_object_set_new(o, "derp_bytes_per_s", jnum(v->derp_bytes_per_s));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *dump_provisioners(const struct provisioners *p)
{
    json_t *daemons = json_array(), *queues = json_array(), *jobs = json_array(),
           *unrun = json_array();
    for (size_t i = 0; i < p->ndaemons; i++) {
        const struct daemon *d = &p->daemons[i];
        json_t *o = json_pack("{s:o,s:o,s:o,s:o,s:s,s:o,s:o}", "id", jstr(d->id), "name",
                              jstr(d->name), "organization", jstr(d->organization), "tags",
                              jtags(&d->tags), "status", daemon_status_name(d->status),
                              "status_raw", jstr(d->status_raw), "version", jstr(d->version));
        json_object_set_new(o, "api_version", jstr(d->api_version));
        json_object_set_new(o, "current_job", jstr(d->current_job));
        json_object_set_new(o, "created_at", jnum(d->created_at));
        json_object_set_new(o, "last_seen_at", jnum(d->last_seen_at));
        json_object_set_new(o, "builtin", json_boolean(d->builtin));
        json_array_append_new(daemons, o);
    }
    for (size_t i = 0; i < p->nqueues; i++) {
        const struct queue *q = &p->queues[i];
        json_t *o = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "organization",
                              jstr(q->organization), "tags", jtags(&q->tags), "pending",
                              jnum(q->pending), "running", jnum(q->running), "daemons",
                              jnum(q->daemons), "idle", jnum(q->idle), "offline", jnum(q->offline));
        json_object_set_new(o, "oldest_pending_s", jnum(q->oldest_pending_s));
        json_object_set_new(o, "wait_p95_s", jnum(q->wait_p95_s));
        json_object_set_new(o, "build_p95_s", jnum(q->build_p95_s));
        json_array_append_new(queues, o);
    }
    for (size_t i = 0; i < p->njobs; i++) {
        json_array_append_new(jobs, jjob(&p->jobs[i]));
    }
    for (size_t i = 0; i < p->nunrunnable; i++) {
        json_array_append_new(unrun, jjob(&p->unrunnable[i]));
    }
    return json_pack("{s:o,s:o,s:o,s:o}", "daemons", daemons, "queues", queues, "jobs", jobs,
                     "unrunnable_jobs", unrun);
}

static json_t *dump_postgres(const struct postgres *p)
{
    json_t *o = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "up", jtri(p->up), "version",
                          jstr(p->version), "server_version_num", jnum(p->server_version_num),
                          "in_recovery", jtri(p->in_recovery), "stats_visible",
                          jtri(p->stats_visible), "rtt_ms", jnum(p->rtt_ms));
    json_object_set_new(o, "connections",
                        json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "used", jnum(p->connections.used),
                                  "max", jnum(p->connections.max), "active",
                                  jnum(p->connections.active), "idle", jnum(p->connections.idle),
                                  "idle_in_transaction", jnum(p->connections.idle_in_transaction),
                                  "waiting", jnum(p->connections.waiting)));
    json_object_set_new(o, "tps", jnum(p->tps));
    json_object_set_new(o, "cache_hit_ratio", jnum(p->cache_hit_ratio));
    json_object_set_new(o, "deadlocks_per_s", jnum(p->deadlocks_per_s));
    json_object_set_new(o, "temp_bytes_per_s", jnum(p->temp_bytes_per_s));
    json_object_set_new(o, "oldest_xact_s", jnum(p->oldest_xact_s));
    json_object_set_new(o, "oldest_query_s", jnum(p->oldest_query_s));
    json_object_set_new(o, "notify_queue_usage", jnum(p->notify_queue_usage));
    json_object_set_new(o, "db_size_bytes", jnum(p->db_size_bytes));
    json_object_set_new(o, "xid_age", jnum(p->xid_age));
    json_object_set_new(o, "checkpoints_req_ratio", jnum(p->checkpoints_req_ratio));
    json_t *rep = json_array(), *waits = json_array();
    for (size_t i = 0; i < p->nreplication; i++) {
        const struct pg_replication *r = &p->replication[i];
        json_array_append_new(rep, json_pack("{s:o,s:o,s:o,s:o}", "name", jstr(r->name), "state",
                                             jstr(r->state), "replay_lag_s", jnum(r->replay_lag_s),
                                             "lag_bytes", jnum(r->lag_bytes)));
    }
    for (size_t i = 0; i < p->nlock_waits; i++) {
        const struct pg_lock_wait *w = &p->lock_waits[i];
        json_array_append_new(waits, json_pack("{s:o,s:o,s:o,s:o}", "pid", jnum(w->pid),
                                               "blocked_by", jnum(w->blocked_by), "wait_s",
                                               jnum(w->wait_s), "query", jstr(w->query)));
    }
    json_object_set_new(o, "replication", rep);
    json_object_set_new(o, "lock_waits", waits);
    return o;
}

static json_t *dump_proxies(const struct snapshot *s)
{
    json_t *a = json_array();
    for (size_t i = 0; i < s->nproxies; i++) {
        const struct proxy *x = &s->proxies[i];
        json_t *o =
            json_pack("{s:o,s:o,s:o,s:o,s:o,s:s,s:o}", "id", jstr(x->id), "name", jstr(x->name),
                      "display_name", jstr(x->display_name), "url", jstr(x->url),
                      "wildcard_hostname", jstr(x->wildcard_hostname), "status",
                      proxy_status_name(x->status), "status_raw", jstr(x->status_raw));
        json_object_set_new(o, "healthy", jtri(x->healthy));
        json_object_set_new(o, "version", jstr(x->version));
        json_object_set_new(o, "rtt_ms", jnum(x->rtt_ms));
        json_object_set_new(o, "derp_enabled", jtri(x->derp_enabled));
        json_object_set_new(o, "derp_only", jtri(x->derp_only));
        json_object_set_new(o, "errors", jstrs(x->errors, x->nerrors));
        json_object_set_new(o, "warnings", jstrs(x->warnings, x->nwarnings));
        json_object_set_new(o, "updated_at", jnum(x->updated_at));
        json_object_set_new(o, "primary", json_boolean(x->primary));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *dump_capacity(const struct capacity *c)
{
    json_t *cl = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "cpu_allocatable_cores",
                           jnum(c->cluster.cpu_allocatable_cores), "cpu_requested_cores",
                           jnum(c->cluster.cpu_requested_cores), "memory_allocatable_bytes",
                           jnum(c->cluster.memory_allocatable_bytes), "memory_requested_bytes",
                           jnum(c->cluster.memory_requested_bytes), "pods_allocatable",
                           jnum(c->cluster.pods_allocatable), "pods", jnum(c->cluster.pods),
                           "nodes", jnum(c->cluster.nodes));
    json_t *ns = json_array(), *cq = json_array(), *sl = json_array();
    for (size_t i = 0; i < c->nnamespaces; i++) {
        const struct namespace_quota *n = &c->namespaces[i];
        json_t *res = json_object();
        for (size_t k = 0; k < n->nresources; k++) {
            const struct quantity_pair *q = &n->resources[k];
            json_object_set_new(
                res, q->resource ? q->resource : "",
                json_pack("{s:o,s:o}", "used", jnum(q->used), "hard", jnum(q->hard)));
        }
        json_array_append_new(ns, json_pack("{s:o,s:o}", "name", jstr(n->name), "resources", res));
    }
    for (size_t i = 0; i < c->ncoder_quota; i++) {
        const struct coder_quota *q = &c->coder_quota[i];
        json_array_append_new(cq,
                              json_pack("{s:o,s:o,s:o,s:o}", "user", jstr(q->user), "organization",
                                        jstr(q->organization), "credits_consumed",
                                        jnum(q->credits_consumed), "budget", jnum(q->budget)));
    }
    for (size_t i = 0; i < c->nsoft_limits; i++) {
        const struct soft_limit *l = &c->soft_limits[i];
        json_array_append_new(sl, json_pack("{s:o,s:o,s:o}", "name", jstr(l->name), "used",
                                            jnum(l->used), "limit", jnum(l->limit)));
    }
    return json_pack("{s:o,s:o,s:o,s:o}", "cluster", cl, "namespaces", ns, "coder_quota", cq,
                     "soft_limits", sl);
}

static json_t *dump_all(const struct snapshot *s)
{
    json_t *root = json_object();
    json_object_set_new(root, "scaletop_snapshot", json_integer(1));
    json_object_set_new(root, "time", jtime(s->time));
    json_object_set_new(root, "replay", json_boolean(s->replay));
    json_object_set_new(root, "sources", dump_sources(s));
    json_object_set_new(root, "deployment", dump_deployment(&s->deployment));
    json_object_set_new(root, "servers", dump_servers(s));
    json_object_set_new(root, "provisioners", dump_provisioners(&s->provisioners));
    json_object_set_new(root, "postgres", dump_postgres(&s->postgres));
    json_object_set_new(root, "proxies", dump_proxies(s));
    json_object_set_new(root, "capacity", dump_capacity(&s->capacity));
    json_t *fa = json_array(), *ea = json_array();
    for (size_t i = 0; i < s->nfindings; i++) {
        const struct finding *f = &s->findings[i];
        json_array_append_new(fa,
                              json_pack("{s:o,s:s,s:o,s:o,s:o,s:o}", "rule", jstr(f->rule),
                                        "severity", severity_name(f->severity), "entity",
                                        jstr(f->entity), "message", jstr(f->message), "evidence",
                                        jstr(f->evidence), "since", jtime(f->since)));
    }
    for (size_t i = 0; i < s->nevents; i++) {
        const struct event *e = &s->events[i];
        json_array_append_new(ea, json_pack("{s:o,s:o,s:o,s:o}", "time", jtime(e->time), "kind",
                                            jstr(e->kind), "entity", jstr(e->entity), "message",
                                            jstr(e->message)));
    }
    json_object_set_new(root, "findings", fa);
    json_object_set_new(root, "events", ea);
    return root;
}

char *snapshot_json_dump(const struct snapshot *s, int pretty)
{
    json_t *root = dump_all(s);
    size_t flags = JSON_REAL_PRECISION(17) | (pretty ? JSON_INDENT(2) : JSON_COMPACT);
    char *text = json_dumps(root, flags);
    json_decref(root);
    if (!text) {
        text = xstrdup("{}");
    }
    return text;
}

int snapshot_json_write(const struct snapshot *s, FILE *f, int pretty, struct err *e)
{
    char *text = snapshot_json_dump(s, pretty);
    int rc = 0;
    if (fputs(text, f) == EOF || fputc('\n', f) == EOF || fflush(f) != 0) {
        rc = err_set(e, "cannot write the snapshot JSON");
    }
    free(text);
    return rc;
}
