/*
 * Snapshot storage. Strings and fixed arrays live in a chunked arena freed in
 * one go; the top-level growable arrays are realloc'd while a poller builds
 * the snapshot. After publication nothing is written, so sharing needs only
 * the atomic reference count.
 */
#include "backend/snapshot.h"

#include "backend/text.h"
#include "backend/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK 16384

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, size;
    max_align_t data[];
};

struct arena {
    struct arena_chunk *head;
};

static void *arena_alloc(struct arena *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    struct arena_chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        c = xmalloc(sizeof *c + size);
        c->next = a->head;
        c->used = 0;
        c->size = size;
        a->head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

static void arena_free(struct arena *a)
{
    struct arena_chunk *c = a ? a->head : NULL;
    while (c) {
        struct arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

struct snapshot *snapshot_new(double time)
{
    struct snapshot *s = xcalloc(1, sizeof *s);
    s->refs = 1;
    s->time = time;
    s->arena = xcalloc(1, sizeof *s->arena);

    struct deployment *d = &s->deployment;
    d->users_total = d->users_active = NAN;
    d->workspaces_total = d->workspaces_running = d->workspaces_failed = NAN;
    d->agent_stats_series = d->builds_failed_per_h = d->builds_total_per_h = NAN;
    d->api_p50_ms = d->api_p95_ms = d->api_p99_ms = d->requests_per_s = NAN;
    d->db_query_p95_ms = d->queue_wait_p95_s = d->build_p95_s = NAN;
    d->derp_clients = d->derp_bytes_per_s = NAN;

    struct postgres *p = &s->postgres;
    p->server_version_num = p->rtt_ms = NAN;
    p->connections.used = p->connections.max = p->connections.active = NAN;
    p->connections.idle = p->connections.idle_in_transaction = p->connections.waiting = NAN;
    p->tps = p->cache_hit_ratio = p->deadlocks_per_s = p->temp_bytes_per_s = NAN;
    p->oldest_xact_s = p->oldest_query_s = p->notify_queue_usage = NAN;
    p->db_size_bytes = p->xid_age = p->checkpoints_req_ratio = NAN;

    struct capacity *c = &s->capacity;
    c->cluster.cpu_allocatable_cores = c->cluster.cpu_requested_cores = NAN;
    c->cluster.memory_allocatable_bytes = c->cluster.memory_requested_bytes = NAN;
    c->cluster.pods_allocatable = c->cluster.pods = c->cluster.nodes = NAN;
    c->cluster.pods_unschedulable = NAN;

    struct cost *k = &s->cost;
    k->listed_at = k->workspaces_running = k->running_off_peak = NAN;
    k->without_autostop = k->daily_cost_credits = k->groups_at = NAN;
    return s;
}

struct snapshot *snapshot_ref(struct snapshot *s)
{
    __atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
    return s;
}

void snapshot_unref(struct snapshot *s)
{
    if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0) {
        return;
    }
    free(s->sources);
    free(s->servers);
    free(s->provisioners.daemons);
    free(s->provisioners.queues);
    free(s->provisioners.jobs);
    free(s->provisioners.unrunnable);
    free(s->provisioners.stopped);
    free(s->postgres.replication);
    free(s->postgres.lock_waits);
    free(s->proxies);
    free(s->capacity.namespaces);
    free(s->capacity.coder_quota);
    free(s->capacity.soft_limits);
    free(s->capacity.nodes);
    free(s->findings);
    free(s->events);
    free(s->cost.groups);
    arena_free(s->arena);
    free(s);
}

const char *snapshot_strn(struct snapshot *s, const char *str, size_t len)
{
    if (!str) {
        return NULL;
    }
    char *clean = text_clean(str, len);
    size_t n = strlen(clean) + 1;
    char *p = arena_alloc(s->arena, n);
    memcpy(p, clean, n);
    free(clean);
    return p;
}

const char *snapshot_str(struct snapshot *s, const char *str)
{
    return str ? snapshot_strn(s, str, strlen(str)) : NULL;
}

void *snapshot_alloc(struct snapshot *s, size_t size)
{
    return arena_alloc(s->arena, size);
}

#define APPEND(s, arr, count, cap)                                                                 \
    ((arr) = xgrow((arr), &(cap), (count) + 1, sizeof *(arr)),                                     \
     memset(&(arr)[(count)], 0, sizeof *(arr)), &(arr)[(count)++])

struct source_state *snapshot_add_source(struct snapshot *s, const char *name, const char *kind)
{
    struct source_state *src = APPEND(s, s->sources, s->nsources, s->cap_sources);
    src->name = snapshot_str(s, name);
    src->kind = snapshot_str(s, kind);
    src->last_ok = src->latency_ms = NAN;
    return src;
}

struct server *snapshot_add_server(struct snapshot *s)
{
    struct server *v = APPEND(s, s->servers, s->nservers, s->cap_servers);
    v->region_id = v->started_at = v->updated_at = NAN;
    v->db_latency_ms = v->api_p50_ms = v->api_p95_ms = v->api_p99_ms = NAN;
    v->requests_per_s = v->concurrent_requests = v->db_query_p95_ms = NAN;
    v->cpu_cores = v->cpu_cores_available = v->rss_bytes = v->memory_available_bytes = NAN;
    v->open_fds = v->max_fds = v->goroutines = NAN;
    v->derp_clients = v->derp_bytes_per_s = NAN;
    v->derp_connections = v->derp_packets_forwarded_per_s = v->derp_packets_dropped_per_s = NAN;
    return v;
}

struct daemon *snapshot_add_daemon(struct snapshot *s)
{
    struct provisioners *p = &s->provisioners;
    struct daemon *d = APPEND(s, p->daemons, p->ndaemons, s->cap_daemons);
    d->created_at = d->last_seen_at = NAN;
    return d;
}

struct queue *snapshot_add_queue(struct snapshot *s)
{
    struct provisioners *p = &s->provisioners;
    struct queue *q = APPEND(s, p->queues, p->nqueues, s->cap_queues);
    q->pending = q->running = q->daemons = q->idle = q->offline = NAN;
    q->oldest_pending_s = q->wait_p95_s = q->build_p95_s = NAN;
    q->wait_p95_1h_s = q->wait_p95_1d_s = q->peak_running_1h = q->peak_running_1d = NAN;
    q->arrivals_per_s = q->build_mean_s = q->load = q->sizing_window_s = q->daemons_needed = NAN;
    return q;
}

static void job_init(struct job *j)
{
    j->created_at = j->started_at = j->age_s = j->queue_position = NAN;
}

struct job *snapshot_add_job(struct snapshot *s)
{
    struct provisioners *p = &s->provisioners;
    struct job *j = APPEND(s, p->jobs, p->njobs, s->cap_jobs);
    job_init(j);
    return j;
}

struct job *snapshot_add_unrunnable(struct snapshot *s)
{
    struct provisioners *p = &s->provisioners;
    struct job *j = APPEND(s, p->unrunnable, p->nunrunnable, s->cap_unrunnable);
    job_init(j);
    return j;
}

struct proxy *snapshot_add_proxy(struct snapshot *s)
{
    struct proxy *x = APPEND(s, s->proxies, s->nproxies, s->cap_proxies);
    x->rtt_ms = x->updated_at = NAN;
    x->derp_clients = x->derp_connections = x->derp_bytes_per_s = NAN;
    x->derp_packets_forwarded_per_s = x->derp_packets_dropped_per_s = NAN;
    return x;
}

struct namespace_quota *snapshot_add_namespace(struct snapshot *s)
{
    struct capacity *c = &s->capacity;
    return APPEND(s, c->namespaces, c->nnamespaces, s->cap_namespaces);
}

struct coder_quota *snapshot_add_coder_quota(struct snapshot *s)
{
    struct capacity *c = &s->capacity;
    struct coder_quota *q = APPEND(s, c->coder_quota, c->ncoder_quota, s->cap_coder_quota);
    q->credits_consumed = q->budget = NAN;
    return q;
}

struct soft_limit *snapshot_add_soft_limit(struct snapshot *s)
{
    struct capacity *c = &s->capacity;
    struct soft_limit *l = APPEND(s, c->soft_limits, c->nsoft_limits, s->cap_soft_limits);
    l->used = l->limit = NAN;
    return l;
}

struct cost_group *snapshot_add_cost_group(struct snapshot *s)
{
    struct cost *c = &s->cost;
    struct cost_group *g = APPEND(s, c->groups, c->ngroups, s->cap_cost_groups);
    g->members = g->allowance_credits = g->budget_credits = g->consumed_credits = NAN;
    return g;
}

struct finding *snapshot_add_finding(struct snapshot *s)
{
    struct finding *f = APPEND(s, s->findings, s->nfindings, s->cap_findings);
    f->since = NAN;
    return f;
}

struct event *snapshot_add_event(struct snapshot *s)
{
    struct event *e = APPEND(s, s->events, s->nevents, s->cap_events);
    e->time = NAN;
    return e;
}

struct pg_replication *snapshot_add_pg_replication(struct snapshot *s)
{
    struct postgres *p = &s->postgres;
    struct pg_replication *r = APPEND(s, p->replication, p->nreplication, s->cap_replication);
    r->replay_lag_s = r->lag_bytes = NAN;
    return r;
}

struct pg_lock_wait *snapshot_add_pg_lock_wait(struct snapshot *s)
{
    struct postgres *p = &s->postgres;
    struct pg_lock_wait *w = APPEND(s, p->lock_waits, p->nlock_waits, s->cap_lock_waits);
    w->pid = w->blocked_by = w->wait_s = NAN;
    return w;
}

struct node_load *snapshot_add_node_load(struct snapshot *s)
{
    struct capacity *c = &s->capacity;
    struct node_load *n = APPEND(s, c->nodes, c->nnodes, s->cap_node_loads);
    n->workspaces = n->pods = NAN;
    n->cpu_allocatable_cores = n->memory_allocatable_bytes = NAN;
    n->cpu_requested_cores = n->memory_requested_bytes = NAN;
    n->workspace_cpu_requested_cores = n->workspace_memory_requested_bytes = NAN;
    n->cpu_usage_cores = n->memory_usage_bytes = NAN;
    n->workspace_cpu_usage_cores = n->workspace_memory_usage_bytes = NAN;
    n->coderd = n->postgres = n->proxies = n->provisioners = NAN;
    return n;
}

struct stopped_daemon *snapshot_add_stopped_daemon(struct snapshot *s)
{
    struct provisioners *p = &s->provisioners;
    struct stopped_daemon *d = APPEND(s, p->stopped, p->nstopped, s->cap_stopped);
    d->detected_at = d->last_seen_at = NAN;
    return d;
}

struct source_state *snapshot_find_source(const struct snapshot *s, const char *name)
{
    for (size_t i = 0; i < s->nsources; i++) {
        if (s->sources[i].name && strcmp(s->sources[i].name, name) == 0) {
            return &s->sources[i];
        }
    }
    return NULL;
}

static int tag_cmp(const void *a, const void *b)
{
    const struct tag *x = a, *y = b;
    int c = strcmp(x->key ? x->key : "", y->key ? y->key : "");
    return c ? c : strcmp(x->value ? x->value : "", y->value ? y->value : "");
}

struct tagset snapshot_tagset(struct snapshot *s, const struct tag *tags, size_t n)
{
    struct tagset ts = {NULL, n};
    if (n == 0) {
        return ts;
    }
    ts.tags = snapshot_alloc(s, n * sizeof *ts.tags);
    for (size_t i = 0; i < n; i++) {
        ts.tags[i].key = snapshot_str(s, tags[i].key);
        ts.tags[i].value = snapshot_str(s, tags[i].value ? tags[i].value : "");
    }
    qsort(ts.tags, n, sizeof *ts.tags, tag_cmp);
    return ts;
}

const char *tagset_format(char *buf, size_t n, const struct tagset *ts, const char *sep,
                          const char *empty)
{
    size_t o = 0;
    if (n == 0) {
        return buf;
    }
    buf[0] = '\0';
    for (size_t i = 0; i < ts->n && o < n; i++) {
        int k = snprintf(buf + o, n - o, "%s%s=%s", i ? sep : "",
                         ts->tags[i].key ? ts->tags[i].key : "",
                         ts->tags[i].value ? ts->tags[i].value : "");
        o += k > 0 ? (size_t)k : 0;
    }
    if (ts->n == 0) {
        snprintf(buf, n, "%s", empty);
    }
    return buf;
}

const char *source_status_name(enum source_status st)
{
    static const char *const names[] = {"never", "ok", "stale", "error", "disabled"};
    return (unsigned)st < sizeof names / sizeof *names ? names[st] : "error";
}

const char *daemon_status_name(enum daemon_status st)
{
    static const char *const names[] = {"unknown", "idle", "busy", "offline"};
    return (unsigned)st < sizeof names / sizeof *names ? names[st] : "unknown";
}

const char *proxy_status_name(enum proxy_status st)
{
    static const char *const names[] = {"unknown", "ok", "unreachable", "unhealthy",
                                        "unregistered"};
    return (unsigned)st < sizeof names / sizeof *names ? names[st] : "unknown";
}

const char *severity_name(enum severity sev)
{
    static const char *const names[] = {"ok", "info", "warn", "crit"};
    return (unsigned)sev < sizeof names / sizeof *names ? names[sev] : "crit";
}

const char *tri_name(enum tri t)
{
    return t == TRI_TRUE ? "true" : t == TRI_FALSE ? "false" : "null";
}
