/*
 * The collector (DESIGN.md §2 "Threads"). Pollers are grouped: the chain
 * (coder, metrics, provisioner-metrics, proxy-health, prometheus: they read
 * the replica and proxy lists the Coder API wrote) runs in list order on one
 * worker; each other kind is a group of its own. Every group polls into its
 * own scratch snapshot on its own thread, so no snapshot is ever written by
 * two threads; the cycle then merges the scratches (deep copies) into a fresh
 * snapshot. A group that misses the cycle deadline is abandoned for that
 * cycle (its sources show "timeout") and skipped while it is still running.
 *
 * Shared state and its locks:
 *  - c->mu guards every group's run state (busy, done, abandoned, out);
 *  - c->pub_mu guards only c->latest, touched by exchange() alone: the one
 *    small function through which snapshots cross threads;
 *  - c->stop_mu guards the background thread's stop flag.
 * A group's ops and states are read by its worker only while busy; they are
 * destroyed only after every worker has finished.
 */
#include "backend/collect.h"

#include "backend/advisor.h"
#include "backend/provsize.h"

#include "backend/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_GROUPS     16
#define MAX_REMEMBERED 256

struct group {
    struct collect *c;
    const struct source_ops *ops[MAX_GROUPS];
    void *state[MAX_GROUPS];
    size_t n;
    /* run state, under c->mu */
    bool busy, done, abandoned;
    double now;
    struct snapshot *out;
};

struct remembered {
    char *name;
    char *kind;
    double last_ok;
    int group;
};

struct collect {
    const struct config *cfg;
    const struct source_ops *const *ops;
    size_t nops;
    void **states; /* per op; NULL when disabled */
    struct group groups[MAX_GROUPS];
    size_t ngroups;
    double deadline_s;

    pthread_mutex_t mu;
    pthread_cond_t cond;

    struct remembered seen[MAX_REMEMBERED];
    size_t nseen;

    pthread_mutex_t pub_mu;
    struct snapshot *latest;
    int wake[2];
    unsigned long published;

    pthread_mutex_t stop_mu;
    pthread_cond_t stop_cond;
    bool stop, running;
    bool poke; /* collect_poke: start the next cycle now */
    double interval_s;
    pthread_t thread;
    collect_sink_fn sink;
    void *sink_ctx;
    struct advisor *advisor; /* findings on every cycle; poller thread only */
    struct advisor_history history;
    struct provsize *provsize; /* sizing and stopped daemons; poller thread only */
    double queue_wait_target_s;
};

/* Kinds that read what the Coder API poller wrote: polled in order, together. */
static bool in_chain(const char *kind)
{
    static const char *const chain[] = {"coder",        "metrics",    "provisioner-metrics",
                                        "proxy-health", "prometheus", "proxy-metrics",
                                        "derp-expvar"};
    for (size_t i = 0; i < sizeof chain / sizeof *chain; i++) {
        if (strcmp(kind, chain[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* Every kind DESIGN.md §3 knows: what enables it, and the hint when off.
 * Used for kinds not linked into this build, so `sources` is always full. */
static const struct known_kind {
    const char *kind, *name, *hint;
} known_kinds[] = {
    {"coder", "coder-api",
     "set --coder-url URL or CODER_URL (or run `coder login`) and a token to enable"},
    {"metrics", "metrics",
     "set --metrics URL (coderd's Prometheus endpoint, CODER_PROMETHEUS_ENABLE=true) to enable"},
    {"provisioner-metrics", "provisioner-metrics",
     "set --provisioner-metrics URL (a provisioner daemon's Prometheus endpoint) to enable"},
    {"proxy-health", "proxy-health", "set --coder-url URL to enable (proxies come from the API)"},
    {"prometheus", "prometheus", "set --prometheus URL to read metrics from Prometheus"},
    {"postgres", "postgres", "set --pg CONNINFO or PGHOST to enable"},
    {"kubernetes", "kubernetes", "set --kubeconfig FILE or KUBECONFIG to enable"},
};

static bool kind_configured(const struct config *cfg, const char *kind)
{
    if (strcmp(kind, "coder") == 0 || strcmp(kind, "proxy-health") == 0) {
        return cfg->coder_url != NULL;
    }
    if (strcmp(kind, "metrics") == 0) {
        return cfg->nmetrics_urls > 0;
    }
    if (strcmp(kind, "provisioner-metrics") == 0) {
        return cfg->nprovisioner_metrics_urls > 0;
    }
    if (strcmp(kind, "prometheus") == 0) {
        return cfg->prometheus_url != NULL;
    }
    if (strcmp(kind, "postgres") == 0) {
        return cfg->pg_conninfo != NULL;
    }
    if (strcmp(kind, "kubernetes") == 0) {
        return cfg->kubeconfig != NULL || cfg->k8s_in_cluster;
    }
    return false;
}

static double clock_real(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct timespec abs_deadline(double seconds)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double whole = floor(seconds);
    ts.tv_sec += (time_t)whole;
    ts.tv_nsec += (long)((seconds - whole) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static void cond_init_monotonic(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
}

struct collect *collect_new(const struct config *cfg, const struct source_ops *const *ops,
                            size_t nops)
{
    struct collect *c = xcalloc(1, sizeof *c);
    c->cfg = cfg;
    c->ops = ops;
    c->nops = nops;
    struct advisor_thresholds t;
    struct err terr;
    /* Commands validate the thresholds up front; here a bad one keeps its
     * default rather than stopping the poller. */
    if (advisor_thresholds_from_config(&t, cfg, &terr) < 0) {
        advisor_thresholds_default(&t);
    }
    c->advisor = advisor_new(&t);
    c->provsize = provsize_new();
    c->queue_wait_target_s = t.provisioner_queue_wait_target_s;
    c->states = xcalloc(nops ? nops : 1, sizeof *c->states);
    pthread_mutex_init(&c->mu, NULL);
    cond_init_monotonic(&c->cond);
    pthread_mutex_init(&c->pub_mu, NULL);
    pthread_mutex_init(&c->stop_mu, NULL);
    cond_init_monotonic(&c->stop_cond);
    if (pipe2(c->wake, O_NONBLOCK | O_CLOEXEC) < 0) {
        c->wake[0] = c->wake[1] = -1;
    }

    int chain = -1;
    size_t longest = 1;
    for (size_t i = 0; i < nops; i++) {
        c->states[i] = ops[i]->create ? ops[i]->create(cfg) : NULL;
        if (!c->states[i]) {
            continue;
        }
        struct group *g;
        if (in_chain(ops[i]->kind) && chain >= 0) {
            g = &c->groups[chain];
        } else {
            if (c->ngroups == MAX_GROUPS) {
                continue; /* cannot happen with the kinds we have; never crash over it */
            }
            if (in_chain(ops[i]->kind)) {
                chain = (int)c->ngroups;
            }
            g = &c->groups[c->ngroups++];
            g->c = c;
        }
        if (g->n < MAX_GROUPS) {
            g->ops[g->n] = ops[i];
            g->state[g->n] = c->states[i];
            g->n++;
            longest = g->n > longest ? g->n : longest;
        }
    }
    c->deadline_s = cfg->request_timeout_s * (double)longest + 1.0;
    return c;
}

void collect_set_deadline(struct collect *c, double seconds)
{
    c->deadline_s = seconds;
}

/* Publishes `in` (non-NULL: returns the previous snapshot, whose reference
 * the caller now owns) or reads (NULL: returns the latest with a reference
 * taken). The only place a snapshot crosses from the poller to readers. */
static struct snapshot *exchange(struct collect *c, struct snapshot *in)
{
    pthread_mutex_lock(&c->pub_mu);
    struct snapshot *out = c->latest;
    if (in) {
        c->latest = in;
        c->published++;
    } else if (out) {
        snapshot_ref(out);
    }
    pthread_mutex_unlock(&c->pub_mu);
    return out;
}

struct snapshot *collect_latest(struct collect *c)
{
    return exchange(c, NULL);
}

unsigned long collect_published(struct collect *c)
{
    pthread_mutex_lock(&c->pub_mu);
    unsigned long n = c->published;
    pthread_mutex_unlock(&c->pub_mu);
    return n;
}

int collect_wake_fd(const struct collect *c)
{
    return c->wake[0];
}

/* ---- one group's worker ------------------------------------------------ */

static void *group_main(void *arg)
{
    struct group *g = arg;
    struct collect *c = g->c;
    pthread_mutex_lock(&c->mu);
    double now = g->now;
    pthread_mutex_unlock(&c->mu);

    struct snapshot *scratch = snapshot_new(now);
    for (size_t i = 0; i < g->n; i++) {
        g->ops[i]->poll(g->state[i], scratch, now);
    }

    pthread_mutex_lock(&c->mu);
    if (g->abandoned) {
        snapshot_unref(scratch);
        scratch = NULL;
    }
    g->out = scratch;
    g->done = true;
    g->busy = false;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* ---- merging a scratch snapshot into the cycle's snapshot --------------- */

#define S(x) snapshot_str(d, (x))
#define NUM(dst, src)                                                                              \
    do {                                                                                           \
        if (!isnan(src)) {                                                                         \
            (dst) = (src);                                                                         \
        }                                                                                          \
    } while (0)
#define STR(dst, src)                                                                              \
    do {                                                                                           \
        if (src) {                                                                                 \
            (dst) = S(src);                                                                        \
        }                                                                                          \
    } while (0)
#define TRI(dst, src)                                                                              \
    do {                                                                                           \
        if ((src) != TRI_UNKNOWN) {                                                                \
            (dst) = (src);                                                                         \
        }                                                                                          \
    } while (0)

static const char **copy_strs(struct snapshot *d, const char *const *src, size_t n)
{
    if (n == 0) {
        return NULL;
    }
    const char **out = snapshot_alloc(d, n * sizeof *out);
    for (size_t i = 0; i < n; i++) {
        out[i] = S(src[i]);
    }
    return out;
}

static void copy_job(struct snapshot *d, struct job *t, const struct job *j)
{
    t->id = S(j->id);
    t->organization = S(j->organization);
    t->tags = snapshot_tagset(d, j->tags.tags, j->tags.n);
    t->status = S(j->status);
    t->type = S(j->type);
    t->created_at = j->created_at;
    t->started_at = j->started_at;
    t->age_s = j->age_s;
    t->queue_position = j->queue_position;
    t->worker_id = S(j->worker_id);
    t->reason = S(j->reason);
}

static void merge_deployment(struct snapshot *d, const struct deployment *s)
{
    struct deployment *t = &d->deployment;
    STR(t->coder_url, s->coder_url);
    STR(t->version, s->version);
    STR(t->dashboard_url, s->dashboard_url);
    STR(t->deployment_id, s->deployment_id);
    TRI(t->premium, s->premium);
    NUM(t->users_total, s->users_total);
    NUM(t->users_active, s->users_active);
    NUM(t->workspaces_total, s->workspaces_total);
    NUM(t->workspaces_running, s->workspaces_running);
    NUM(t->workspaces_failed, s->workspaces_failed);
    STR(t->health_severity, s->health_severity);
    if (s->nhealth_codes) {
        t->health_codes = copy_strs(d, s->health_codes, s->nhealth_codes);
        t->nhealth_codes = s->nhealth_codes;
    }
    TRI(t->builtin_provisioners, s->builtin_provisioners);
    TRI(t->db_metrics_collected, s->db_metrics_collected);
    TRI(t->agent_stats_full, s->agent_stats_full);
    NUM(t->agent_stats_series, s->agent_stats_series);
    NUM(t->builds_failed_per_h, s->builds_failed_per_h);
    NUM(t->builds_total_per_h, s->builds_total_per_h);
    NUM(t->api_p50_ms, s->api_p50_ms);
    NUM(t->api_p95_ms, s->api_p95_ms);
    NUM(t->api_p99_ms, s->api_p99_ms);
    NUM(t->requests_per_s, s->requests_per_s);
    NUM(t->db_query_p95_ms, s->db_query_p95_ms);
    NUM(t->queue_wait_p95_s, s->queue_wait_p95_s);
    NUM(t->build_p95_s, s->build_p95_s);
    TRI(t->derp_healthy, s->derp_healthy);
    TRI(t->stun_healthy, s->stun_healthy);
    NUM(t->derp_clients, s->derp_clients);
    NUM(t->derp_bytes_per_s, s->derp_bytes_per_s);
}

static void merge_provisioners(struct snapshot *d, const struct provisioners *p)
{
    for (size_t i = 0; i < p->ndaemons; i++) {
        const struct daemon *s = &p->daemons[i];
        struct daemon *t = snapshot_add_daemon(d);
        *t = *s;
        t->id = S(s->id);
        t->name = S(s->name);
        t->organization = S(s->organization);
        t->tags = snapshot_tagset(d, s->tags.tags, s->tags.n);
        t->status_raw = S(s->status_raw);
        t->version = S(s->version);
        t->api_version = S(s->api_version);
        t->current_job = S(s->current_job);
        t->previous_job = S(s->previous_job);
        t->previous_job_status = S(s->previous_job_status);
    }
    for (size_t i = 0; i < p->nqueues; i++) {
        const struct queue *s = &p->queues[i];
        struct queue *t = snapshot_add_queue(d);
        *t = *s;
        t->organization = S(s->organization);
        t->tags = snapshot_tagset(d, s->tags.tags, s->tags.n);
    }
    for (size_t i = 0; i < p->njobs; i++) {
        copy_job(d, snapshot_add_job(d), &p->jobs[i]);
    }
    for (size_t i = 0; i < p->nunrunnable; i++) {
        copy_job(d, snapshot_add_unrunnable(d), &p->unrunnable[i]);
    }
}

static void merge_postgres(struct snapshot *d, const struct postgres *s)
{
    struct postgres *t = &d->postgres;
    TRI(t->up, s->up);
    STR(t->version, s->version);
    NUM(t->server_version_num, s->server_version_num);
    TRI(t->in_recovery, s->in_recovery);
    TRI(t->stats_visible, s->stats_visible);
    NUM(t->rtt_ms, s->rtt_ms);
    NUM(t->connections.used, s->connections.used);
    NUM(t->connections.max, s->connections.max);
    NUM(t->connections.active, s->connections.active);
    NUM(t->connections.idle, s->connections.idle);
    NUM(t->connections.idle_in_transaction, s->connections.idle_in_transaction);
    NUM(t->connections.waiting, s->connections.waiting);
    NUM(t->tps, s->tps);
    NUM(t->cache_hit_ratio, s->cache_hit_ratio);
    NUM(t->deadlocks_per_s, s->deadlocks_per_s);
    NUM(t->temp_bytes_per_s, s->temp_bytes_per_s);
    NUM(t->oldest_xact_s, s->oldest_xact_s);
    NUM(t->oldest_query_s, s->oldest_query_s);
    NUM(t->notify_queue_usage, s->notify_queue_usage);
    NUM(t->db_size_bytes, s->db_size_bytes);
    NUM(t->xid_age, s->xid_age);
    NUM(t->checkpoints_req_ratio, s->checkpoints_req_ratio);
    for (size_t i = 0; i < s->nreplication; i++) {
        struct pg_replication *r = snapshot_add_pg_replication(d);
        *r = s->replication[i];
        r->name = S(s->replication[i].name);
        r->state = S(s->replication[i].state);
    }
    for (size_t i = 0; i < s->nlock_waits; i++) {
        struct pg_lock_wait *w = snapshot_add_pg_lock_wait(d);
        *w = s->lock_waits[i];
        w->query = S(s->lock_waits[i].query);
    }
}

static void merge_capacity(struct snapshot *d, const struct capacity *s)
{
    struct capacity *t = &d->capacity;
    NUM(t->cluster.cpu_allocatable_cores, s->cluster.cpu_allocatable_cores);
    NUM(t->cluster.cpu_requested_cores, s->cluster.cpu_requested_cores);
    NUM(t->cluster.memory_allocatable_bytes, s->cluster.memory_allocatable_bytes);
    NUM(t->cluster.memory_requested_bytes, s->cluster.memory_requested_bytes);
    NUM(t->cluster.pods_allocatable, s->cluster.pods_allocatable);
    NUM(t->cluster.pods, s->cluster.pods);
    NUM(t->cluster.nodes, s->cluster.nodes);
    NUM(t->cluster.pods_unschedulable, s->cluster.pods_unschedulable);
    for (size_t i = 0; i < s->nnamespaces; i++) {
        const struct namespace_quota *ns = &s->namespaces[i];
        struct namespace_quota *q = snapshot_add_namespace(d);
        q->name = S(ns->name);
        q->limitrange_defaults = ns->limitrange_defaults;
        q->nresources = ns->nresources;
        if (ns->nresources) {
            q->resources = snapshot_alloc(d, ns->nresources * sizeof *q->resources);
            for (size_t r = 0; r < ns->nresources; r++) {
                q->resources[r] = ns->resources[r];
                q->resources[r].resource = S(ns->resources[r].resource);
            }
        }
    }
    for (size_t i = 0; i < s->ncoder_quota; i++) {
        struct coder_quota *q = snapshot_add_coder_quota(d);
        *q = s->coder_quota[i];
        q->user = S(s->coder_quota[i].user);
        q->organization = S(s->coder_quota[i].organization);
    }
    for (size_t i = 0; i < s->nsoft_limits; i++) {
        struct soft_limit *l = snapshot_add_soft_limit(d);
        *l = s->soft_limits[i];
        l->name = S(s->soft_limits[i].name);
    }
    for (size_t i = 0; i < s->nnodes; i++) {
        struct node_load *n = snapshot_add_node_load(d);
        *n = s->nodes[i];
        n->name = S(s->nodes[i].name);
    }
    if (s->metrics_api != TRI_UNKNOWN) {
        t->metrics_api = s->metrics_api;
    }
}

static void merge_cost(struct snapshot *d, const struct cost *s)
{
    struct cost *t = &d->cost;
    NUM(t->listed_at, s->listed_at);
    NUM(t->workspaces_running, s->workspaces_running);
    NUM(t->running_off_peak, s->running_off_peak);
    NUM(t->without_autostop, s->without_autostop);
    NUM(t->daily_cost_credits, s->daily_cost_credits);
    NUM(t->groups_at, s->groups_at);
    for (size_t i = 0; i < s->ngroups; i++) {
        struct cost_group *g = snapshot_add_cost_group(d);
        *g = s->groups[i];
        g->organization = S(s->groups[i].organization);
        g->name = S(s->groups[i].name);
    }
}

static void merge(struct snapshot *d, const struct snapshot *s)
{
    for (size_t i = 0; i < s->nsources; i++) {
        const struct source_state *src = &s->sources[i];
        struct source_state *t = snapshot_add_source(d, src->name, src->kind);
        t->status = src->status;
        t->reason = src->reason;
        t->last_ok = src->last_ok;
        t->latency_ms = src->latency_ms;
        t->error = S(src->error);
        t->hint = S(src->hint);
    }
    merge_deployment(d, &s->deployment);
    for (size_t i = 0; i < s->nservers; i++) {
        const struct server *v = &s->servers[i];
        struct server *t = snapshot_add_server(d);
        *t = *v;
        t->id = S(v->id);
        t->hostname = S(v->hostname);
        t->relay_address = S(v->relay_address);
        t->version = S(v->version);
        t->error = S(v->error);
        t->metrics_target = S(v->metrics_target);
        t->derp_source = S(v->derp_source);
    }
    merge_provisioners(d, &s->provisioners);
    merge_postgres(d, &s->postgres);
    for (size_t i = 0; i < s->nproxies; i++) {
        const struct proxy *p = &s->proxies[i];
        struct proxy *t = snapshot_add_proxy(d);
        *t = *p;
        t->id = S(p->id);
        t->name = S(p->name);
        t->display_name = S(p->display_name);
        t->url = S(p->url);
        t->wildcard_hostname = S(p->wildcard_hostname);
        t->status_raw = S(p->status_raw);
        t->version = S(p->version);
        t->errors = copy_strs(d, p->errors, p->nerrors);
        t->warnings = copy_strs(d, p->warnings, p->nwarnings);
        t->metrics_target = S(p->metrics_target);
    }
    merge_capacity(d, &s->capacity);
    merge_cost(d, &s->cost);
    for (size_t i = 0; i < s->nfindings; i++) {
        const struct finding *f = &s->findings[i];
        struct finding *t = snapshot_add_finding(d);
        *t = *f;
        t->rule = S(f->rule);
        t->entity = S(f->entity);
        t->message = S(f->message);
        t->evidence = S(f->evidence);
    }
    for (size_t i = 0; i < s->nevents; i++) {
        const struct event *ev = &s->events[i];
        struct event *t = snapshot_add_event(d);
        t->time = ev->time;
        t->kind = S(ev->kind);
        t->entity = S(ev->entity);
        t->message = S(ev->message);
    }
}

#undef S

/* ---- a cycle ------------------------------------------------------------ */

static struct remembered *remember_find(struct collect *c, const char *name)
{
    for (size_t i = 0; i < c->nseen; i++) {
        if (strcmp(c->seen[i].name, name) == 0) {
            return &c->seen[i];
        }
    }
    return NULL;
}

/* A group that did not report this cycle: its sources, as last seen (or one
 * per kind before any), marked timed out; stale if they ever answered. */
static void add_missing(struct collect *c, struct snapshot *snap, int gi, bool still_busy)
{
    const struct group *g = &c->groups[gi];
    char msg[160];
    if (still_busy) {
        snprintf(msg, sizeof msg, "previous poll still running (longer than %.0f s)",
                 c->deadline_s);
    } else {
        snprintf(msg, sizeof msg, "poll did not finish within %.1f s", c->deadline_s);
    }
    size_t added = 0;
    for (size_t i = 0; i < c->nseen; i++) {
        if (c->seen[i].group != gi) {
            continue;
        }
        struct source_state *s = snapshot_add_source(snap, c->seen[i].name, c->seen[i].kind);
        s->status = isnan(c->seen[i].last_ok) ? SOURCE_ERROR : SOURCE_STALE;
        s->reason = REASON_TIMEOUT;
        s->last_ok = c->seen[i].last_ok;
        s->error = snapshot_str(snap, msg);
        added++;
    }
    for (size_t i = 0; added == 0 && i < g->n; i++) {
        struct source_state *s = snapshot_add_source(snap, g->ops[i]->kind, g->ops[i]->kind);
        s->status = SOURCE_ERROR;
        s->reason = REASON_TIMEOUT;
        s->error = snapshot_str(snap, msg);
    }
}

/* Fills last_ok from earlier cycles and remembers each source's group. */
static void track_sources(struct collect *c, struct snapshot *snap, size_t from, int gi)
{
    for (size_t i = from; i < snap->nsources; i++) {
        struct source_state *s = &snap->sources[i];
        if (!s->name) {
            continue;
        }
        if (s->status == SOURCE_OK && isnan(s->last_ok)) {
            s->last_ok = snap->time;
        }
        struct remembered *r = remember_find(c, s->name);
        if (!r && c->nseen < MAX_REMEMBERED) {
            r = &c->seen[c->nseen++];
            r->name = xstrdup(s->name);
            r->kind = xstrdup(s->kind ? s->kind : "");
            r->last_ok = NAN;
        }
        if (!r) {
            continue;
        }
        r->group = gi;
        if (isnan(s->last_ok) && !isnan(r->last_ok) && s->status != SOURCE_DISABLED) {
            s->last_ok = r->last_ok;
        }
        if (!isnan(s->last_ok)) {
            r->last_ok = s->last_ok;
        }
    }
}

static void add_disabled(struct collect *c, struct snapshot *snap)
{
    for (size_t i = 0; i < c->nops; i++) {
        if (!c->states[i] && c->ops[i]->add_disabled) {
            c->ops[i]->add_disabled(snap);
        }
    }
    for (size_t k = 0; k < sizeof known_kinds / sizeof *known_kinds; k++) {
        const struct known_kind *kk = &known_kinds[k];
        bool linked = false;
        for (size_t i = 0; i < c->nops; i++) {
            /* a linked kind reports itself: polled, or through its add_disabled */
            linked |=
                strcmp(c->ops[i]->kind, kk->kind) == 0 && (c->states[i] || c->ops[i]->add_disabled);
        }
        if (linked) {
            continue;
        }
        struct source_state *s = snapshot_add_source(snap, kk->name, kk->kind);
        s->status = SOURCE_DISABLED;
        if (kind_configured(c->cfg, kk->kind)) {
            s->reason = REASON_NONE;
            s->error = snapshot_str(snap, "configured, but this build has no poller for it yet");
        } else {
            s->reason = REASON_NOT_CONFIGURED;
            s->hint = snapshot_str(snap, kk->hint);
        }
    }
}

struct snapshot *collect_cycle(struct collect *c)
{
    double now = clock_real();
    bool started[MAX_GROUPS] = {false}, skipped[MAX_GROUPS] = {false};

    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->ngroups; i++) {
        struct group *g = &c->groups[i];
        if (g->busy) {
            skipped[i] = true;
            continue;
        }
        g->busy = true;
        g->done = false;
        g->abandoned = false;
        g->out = NULL;
        g->now = now;
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, group_main, g) != 0) {
            g->busy = false;
            skipped[i] = true;
        } else {
            started[i] = true;
        }
        pthread_attr_destroy(&attr);
    }
    struct timespec deadline = abs_deadline(c->deadline_s);
    for (;;) {
        bool waiting = false;
        for (size_t i = 0; i < c->ngroups; i++) {
            waiting |= started[i] && !c->groups[i].done;
        }
        if (!waiting || pthread_cond_timedwait(&c->cond, &c->mu, &deadline) == ETIMEDOUT) {
            break;
        }
    }

    struct snapshot *snap = snapshot_new(now);
    struct snapshot *outs[MAX_GROUPS] = {NULL};
    bool missing[MAX_GROUPS] = {false};
    for (size_t i = 0; i < c->ngroups; i++) {
        struct group *g = &c->groups[i];
        if (started[i] && g->done) {
            outs[i] = g->out;
            g->out = NULL;
        } else if (started[i]) {
            g->abandoned = true; /* the worker frees its scratch when it returns */
            missing[i] = true;
        }
    }
    pthread_mutex_unlock(&c->mu);

    for (size_t i = 0; i < c->ngroups; i++) {
        size_t from = snap->nsources;
        if (outs[i]) {
            merge(snap, outs[i]);
            snapshot_unref(outs[i]);
        } else if (missing[i] || skipped[i]) {
            add_missing(c, snap, (int)i, skipped[i]);
        }
        track_sources(c, snap, from, (int)i);
    }
    add_disabled(c, snap);
    provsize_update(c->provsize, snap, c->history.stats ? &c->history : NULL,
                    c->queue_wait_target_s);
    advisor_evaluate(c->advisor, snap, c->history.stats ? &c->history : NULL);
    return snap;
}

static void sleep_s(double s)
{
    if (s <= 0) {
        return;
    }
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

struct snapshot *collect_once(struct collect *c, double window_s)
{
    if (c->ngroups == 0) {
        return collect_cycle(c); /* nothing enabled: no rates to wait for */
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    snapshot_unref(collect_cycle(c));
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double spent = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    sleep_s(window_s - spent);
    return collect_cycle(c);
}

/* ---- background mode ----------------------------------------------------- */

void collect_set_history(struct collect *c, const struct advisor_history *h)
{
    c->history = *h;
}

void collect_set_sink(struct collect *c, collect_sink_fn fn, void *ctx)
{
    c->sink = fn;
    c->sink_ctx = ctx;
}

static void publish(struct collect *c, struct snapshot *snap)
{
    snapshot_unref(exchange(c, snap));
    if (c->wake[1] >= 0) {
        char b = 1;
        ssize_t w = write(c->wake[1], &b, 1); /* full pipe: a wake-up is already pending */
        (void)w;
    }
}

/* The snapshot before any answer: enabled sources "never", the rest disabled. */
static struct snapshot *initial_snapshot(struct collect *c)
{
    struct snapshot *snap = snapshot_new(clock_real());
    for (size_t i = 0; i < c->nops; i++) {
        if (!c->states[i]) {
            continue;
        }
        const char *name = c->ops[i]->kind;
        for (size_t k = 0; k < sizeof known_kinds / sizeof *known_kinds; k++) {
            if (strcmp(known_kinds[k].kind, name) == 0) {
                name = known_kinds[k].name;
            }
        }
        snapshot_add_source(snap, name, c->ops[i]->kind)->status = SOURCE_NEVER;
    }
    add_disabled(c, snap);
    advisor_evaluate(c->advisor, snap, c->history.stats ? &c->history : NULL);
    return snap;
}

static void *background_main(void *arg)
{
    struct collect *c = arg;
    for (;;) {
        struct snapshot *snap = collect_cycle(c);
        if (c->sink) {
            c->sink(c->sink_ctx, snap);
        }
        publish(c, snap);
        pthread_mutex_lock(&c->stop_mu);
        struct timespec next = abs_deadline(c->interval_s);
        while (!c->stop && !c->poke &&
               pthread_cond_timedwait(&c->stop_cond, &c->stop_mu, &next) != ETIMEDOUT) {
        }
        c->poke = false;
        bool stop = c->stop;
        pthread_mutex_unlock(&c->stop_mu);
        if (stop) {
            break;
        }
    }
    return NULL;
}

int collect_start(struct collect *c, double interval_s, struct err *e)
{
    if (c->running) {
        return err_set(e, "collector already running");
    }
    if (!(interval_s > 0)) {
        return err_set(e, "poll interval must be positive");
    }
    c->interval_s = interval_s;
    c->stop = false;
    publish(c, initial_snapshot(c));
    if (pthread_create(&c->thread, NULL, background_main, c) != 0) {
        return err_set(e, "cannot start the poller thread: %s", strerror(errno));
    }
    c->running = true;
    return 0;
}

void collect_poke(struct collect *c)
{
    if (!c) {
        return;
    }
    pthread_mutex_lock(&c->stop_mu);
    c->poke = true;
    pthread_cond_broadcast(&c->stop_cond);
    pthread_mutex_unlock(&c->stop_mu);
}

void collect_stop(struct collect *c)
{
    if (!c || !c->running) {
        return;
    }
    pthread_mutex_lock(&c->stop_mu);
    c->stop = true;
    pthread_cond_broadcast(&c->stop_cond);
    pthread_mutex_unlock(&c->stop_mu);
    pthread_join(c->thread, NULL);
    c->running = false;
}

void collect_free(struct collect *c)
{
    if (!c) {
        return;
    }
    collect_stop(c);
    pthread_mutex_lock(&c->mu);
    for (;;) {
        bool busy = false;
        for (size_t i = 0; i < c->ngroups; i++) {
            busy |= c->groups[i].busy;
        }
        if (!busy) {
            break;
        }
        pthread_cond_wait(&c->cond, &c->mu);
    }
    for (size_t i = 0; i < c->ngroups; i++) {
        snapshot_unref(c->groups[i].out);
    }
    pthread_mutex_unlock(&c->mu);
    for (size_t i = 0; i < c->nops; i++) {
        if (c->states[i] && c->ops[i]->destroy) {
            c->ops[i]->destroy(c->states[i]);
        }
    }
    for (size_t i = 0; i < c->nseen; i++) {
        free(c->seen[i].name);
        free(c->seen[i].kind);
    }
    advisor_free(c->advisor);
    provsize_free(c->provsize);
    snapshot_unref(c->latest);
    if (c->wake[0] >= 0) {
        close(c->wake[0]);
        close(c->wake[1]);
    }
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->pub_mu);
    pthread_mutex_destroy(&c->stop_mu);
    pthread_cond_destroy(&c->stop_cond);
    free(c->states);
    free(c);
}
