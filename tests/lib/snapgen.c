/*
 * Synthetic snapshot generator (see snapgen.h). Deterministic: a value is a
 * function of (entity, field, cycle, seed) through a small hash, so the same
 * call always gives the same snapshot and tests can rebuild what they wrote.
 */
#include "tests/lib/snapgen.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* Uniform [0,1) from the inputs. */
static double rnd(unsigned seed, unsigned a, unsigned b, unsigned c)
{
    uint64_t h = mix(((uint64_t)seed << 40) ^ ((uint64_t)a << 24) ^ ((uint64_t)b << 12) ^ c);
    return (double)(h >> 11) / 9007199254740992.0;
}

/* A slowly moving level: changes every `every` cycles. */
static double level(unsigned seed, unsigned a, unsigned b, unsigned i, unsigned every)
{
    return rnd(seed, a, b, i / every);
}

struct snapgen_shape snapgen_preset(int users_k)
{
    struct snapgen_shape s = {3, 60, 4, 0, 3, 1, 20};
    if (users_k >= 10) {
        s = (struct snapgen_shape){10, 600, 12, 30, 8, 2, 100};
    } else if (users_k >= 3) {
        s = (struct snapgen_shape){4, 180, 6, 4, 4, 1, 40};
    }
    return s;
}

struct snapshot *snapgen_make(const struct snapgen_shape *sh, double t, unsigned i, unsigned seed)
{
    struct snapshot *s = snapshot_new(t);
    char buf[128];
    const char *kinds[] = {"coder", "metrics", "postgres", "kubernetes", "proxy-health"};
    for (unsigned k = 0; k < 5; k++) {
        struct source_state *src = snapshot_add_source(s, kinds[k], kinds[k]);
        int failing = k == 2 && (i / 7) % 5 == 3;
        src->status = failing ? SOURCE_STALE : SOURCE_OK;
        src->reason = failing ? REASON_TIMEOUT : REASON_NONE;
        src->last_ok = failing ? t - 10.0 * (i % 7 + 1) : t;
        src->latency_ms = round(rnd(seed, 1, k, i) * 40000) / 1000;
        src->error = failing ? snapshot_str(s, "timeout after 2 s") : NULL;
    }
    struct deployment *d = &s->deployment;
    d->coder_url = snapshot_str(s, "https://coder.example.com");
    d->version = snapshot_str(s, "v2.18.1");
    d->premium = TRI_TRUE;
    d->users_total = 10000;
    d->users_active = 6000 + floor(level(seed, 2, 0, i, 30) * 100);
    d->workspaces_running = 5900 + floor(level(seed, 2, 1, i, 6) * 200);
    d->health_severity = snapshot_str(s, (i / 50) % 3 == 1 ? "warning" : "ok");
    d->builtin_provisioners = TRI_FALSE;
    d->db_metrics_collected = TRI_TRUE;
    for (int k = 0; k < sh->servers; k++) {
        if (k == 1 && (i / 40) % 4 == 2) {
            continue; /* a replica restarts: gone for a while */
        }
        struct server *v = snapshot_add_server(s);
        snprintf(buf, sizeof buf, "coderd-%d", k);
        v->hostname = snapshot_str(s, buf);
        snprintf(buf, sizeof buf, "0b9c-%04d", k);
        v->id = snapshot_str(s, buf);
        v->version = snapshot_str(s, (k == 2 && i > 100) ? "v2.18.2" : "v2.18.1");
        v->region_id = 999;
        v->started_at = 1700000000 + 3600.0 * k;
        v->db_latency_ms = 1 + rnd(seed, 3, k, i) * 4;
        v->api_p50_ms = 5 + rnd(seed, 4, k, i) * 10;
        v->api_p95_ms = 40 + rnd(seed, 5, k, i) * 60;
        v->api_p99_ms = 120 + rnd(seed, 6, k, i) * 200;
        v->requests_per_s = 30 + rnd(seed, 7, k, i) * 10;
        v->concurrent_requests = floor(rnd(seed, 8, k, i) * 20);
        v->cpu_cores = 0.5 + rnd(seed, 9, k, i);
        v->cpu_cores_available = 4;
        v->rss_bytes = 1.5e9 + floor(level(seed, 10, k, i, 5) * 1e8);
        v->open_fds = 200 + floor(level(seed, 11, k, i, 3) * 50);
        v->max_fds = 1048576;
        v->goroutines = 3000 + floor(level(seed, 12, k, i, 2) * 500);
        /* the embedded DERP relay (newer builds) */
        v->derp_clients = 600 + floor(level(seed, 40, k, i, 6) * 30);
        v->derp_connections = v->derp_clients + 9;
        v->derp_bytes_per_s = floor(2e5 + rnd(seed, 41, k, i) * 5e4);
        v->derp_packets_forwarded_per_s = floor(rnd(seed, 42, k, i) * 200) / 4;
        v->derp_packets_dropped_per_s = floor(rnd(seed, 43, k, i) * 8) / 8;
        v->derp_source = snapshot_str(s, "metrics");
    }
    for (int k = 0; k < sh->daemons; k++) {
        struct daemon *dm = snapshot_add_daemon(s);
        snprintf(buf, sizeof buf, "provisioner-%d", k);
        dm->name = snapshot_str(s, buf);
        snprintf(buf, sizeof buf, "d-%05d", k);
        dm->id = snapshot_str(s, buf);
        dm->organization = snapshot_str(s, "coder");
        struct tag tags[2] = {{"scope", "organization"}, {"region", k % 3 ? "eu" : "us"}};
        dm->tags = snapshot_tagset(s, tags, 2);
        double r = level(seed, 13, (unsigned)k, i, 12);
        dm->status = r < 0.05 ? DAEMON_OFFLINE : r < 0.35 ? DAEMON_BUSY : DAEMON_IDLE;
        dm->version = snapshot_str(s, "v2.18.1");
        dm->created_at = 1700000000;
        dm->last_seen_at = dm->status == DAEMON_OFFLINE ? 1700000000 + 60.0 * (i / 12) : floor(t);
    }
    for (int k = 0; k < sh->queues; k++) {
        struct queue *q = snapshot_add_queue(s);
        q->organization = snapshot_str(s, "coder");
        snprintf(buf, sizeof buf, "pool-%d", k);
        struct tag tags[1] = {{"pool", buf}};
        q->tags = snapshot_tagset(s, tags, 1);
        q->pending = floor(level(seed, 14, k, i, 4) * (k == 0 && i > 60 ? 40 : 3));
        q->running = floor(level(seed, 15, k, i, 4) * 10);
        q->daemons = 50;
        q->idle = 50 - q->running;
        q->offline = floor(level(seed, 16, k, i, 20) * 3);
        q->oldest_pending_s = q->pending > 0 ? 5.0 * (i % 30) : NAN;
        if (k == 0) { /* sizing (backend/provsize.h): known after a while */
            q->wait_p95_1h_s = 12.5 + (i % 7);
            q->wait_p95_1d_s = 30.0 + (i % 5);
            q->peak_running_1h = 10;
            q->peak_running_1d = 12;
            q->sizing_window_s = 60.0 * i;
            if (i > 10) {
                q->arrivals_per_s = 0.05 + 0.001 * (i % 3);
                q->build_mean_s = 90;
                q->load = q->arrivals_per_s * q->build_mean_s;
                q->daemons_needed = 7 + (i % 2);
            }
        }
    }
    if (sh->daemons > 0 && i % 7 < 3) {
        struct stopped_daemon *sd = snapshot_add_stopped_daemon(s);
        sd->id = snapshot_str(s, "d-00000");
        sd->name = snapshot_str(s, "provisioner-0");
        sd->organization = snapshot_str(s, "coder");
        struct tag tags[2] = {{"scope", "organization"}, {"region", "us"}};
        sd->tags = snapshot_tagset(s, tags, 2);
        snprintf(buf, sizeof buf, "job-stopped-%u", i / 7);
        sd->job = snapshot_str(s, buf);
        sd->job_status = i % 7 == 2 ? snapshot_str(s, "running") : NULL;
        sd->how = snapshot_str(s, i % 2 ? "offline" : "gone");
        sd->detected_at = floor(t) - 5;
        sd->last_seen_at = floor(t) - 40;
    }
    for (int k = 0; k < sh->jobs && i % 9 < 4; k++) {
        struct job *j = snapshot_add_unrunnable(s);
        snprintf(buf, sizeof buf, "job-%u-%d", i / 9, k);
        j->id = snapshot_str(s, buf);
        j->organization = snapshot_str(s, "coder");
        j->status = snapshot_str(s, "pending");
        j->age_s = 10.0 * (i % 9);
        j->reason = snapshot_str(s, "no_matching_daemon");
    }
    struct postgres *p = &s->postgres;
    p->up = TRI_TRUE;
    p->version = snapshot_str(s, "16.4");
    p->in_recovery = TRI_FALSE;
    p->rtt_ms = 0.3 + rnd(seed, 17, 0, i);
    p->connections.used = 80 + floor(level(seed, 18, 0, i, 2) * 40);
    p->connections.max = 497;
    p->connections.active = floor(rnd(seed, 19, 0, i) * 30);
    p->tps = 400 + rnd(seed, 20, 0, i) * 100;
    p->cache_hit_ratio = 0.99 + rnd(seed, 21, 0, i) * 0.009;
    p->notify_queue_usage = 0;
    p->db_size_bytes = 5e10 + 4096.0 * (i / 10);
    for (int k = 0; k < sh->replicas; k++) {
        struct pg_replication *r = snapshot_add_pg_replication(s);
        snprintf(buf, sizeof buf, "standby-%d", k);
        r->name = snapshot_str(s, buf);
        r->state = snapshot_str(s, "streaming");
        r->replay_lag_s = rnd(seed, 22, k, i) * 0.5;
        r->lag_bytes = floor(rnd(seed, 23, k, i) * 1e6);
    }
    if (i % 13 == 5) {
        struct pg_lock_wait *w = snapshot_add_pg_lock_wait(s);
        w->pid = 4242;
        w->blocked_by = 4141;
        w->wait_s = 1.5;
        w->query = snapshot_str(s, "UPDATE workspace_builds SET ...");
    }
    for (int k = 0; k < sh->proxies; k++) {
        struct proxy *x = snapshot_add_proxy(s);
        snprintf(buf, sizeof buf, "proxy-%d", k);
        x->name = snapshot_str(s, buf);
        x->url = snapshot_str(s, "https://eu.coder.example.com");
        int down = k == 0 && (i / 25) % 3 == 1;
        x->status = down ? PROXY_UNREACHABLE : PROXY_OK;
        x->healthy = down ? TRI_FALSE : TRI_TRUE;
        x->rtt_ms = down ? NAN : 20 + rnd(seed, 24, k, i) * 5;
        x->metrics_target = snapshot_str(s, "10.8.0.7:2112");
        x->derp_clients = down ? NAN : 90 + floor(level(seed, 44, k, i, 6) * 10);
        x->derp_connections = x->derp_clients;
        x->derp_bytes_per_s = down ? NAN : floor(3e4 + rnd(seed, 45, k, i) * 1e4);
        x->derp_packets_forwarded_per_s = down ? NAN : 0;
        x->derp_packets_dropped_per_s = down ? NAN : floor(rnd(seed, 46, k, i) * 4) / 8;
    }
    s->deployment.stun_healthy = (i / 60) % 4 == 3 ? TRI_FALSE : TRI_TRUE;
    s->deployment.derp_healthy = TRI_TRUE;
    s->deployment.derp_clients = 1000 + floor(level(seed, 47, 0, i, 6) * 100);
    s->deployment.derp_bytes_per_s = floor(6e5 + rnd(seed, 48, 0, i) * 1e5);
    struct capacity *c = &s->capacity;
    c->cluster.cpu_allocatable_cores = 960;
    c->cluster.cpu_requested_cores = 600 + floor(level(seed, 25, 0, i, 3) * 100);
    c->cluster.memory_allocatable_bytes = 4e12;
    c->cluster.memory_requested_bytes = 2.5e12 + floor(level(seed, 26, 0, i, 3) * 1e11);
    c->cluster.pods = 6100 + floor(level(seed, 27, 0, i, 3) * 100);
    c->cluster.pods_allocatable = 11000;
    for (int k = 0; k < sh->namespaces; k++) {
        struct namespace_quota *n = snapshot_add_namespace(s);
        snprintf(buf, sizeof buf, "coder-ws-%d", k);
        n->name = snapshot_str(s, buf);
        n->nresources = 3;
        n->resources = snapshot_alloc(s, 3 * sizeof *n->resources);
        n->resources[2].resource = snapshot_str(s, "requests.nvidia.com/gpu%");
        n->resources[2].used = floor(level(seed, 30, k, i, 5) * 8);
        n->resources[2].hard = 8;
        n->resources[0].resource = snapshot_str(s, "requests.cpu");
        n->resources[0].used = 50 + floor(level(seed, 28, k, i, 3) * 40);
        n->resources[0].hard = 100;
        n->resources[1].resource = snapshot_str(s, "requests.memory");
        n->resources[1].used = 1e11 + floor(level(seed, 29, k, i, 3) * 1e10);
        n->resources[1].hard = 2e11;
    }
    /* Nodes: one more than namespaces; the last one is replaced now and
     * then (a node pool scaling), and usage is unknown for a while (the
     * metrics API away). */
    bool metrics = (i / 40) % 4 != 3;
    c->metrics_api = metrics ? TRI_TRUE : TRI_FALSE;
    for (int k = 0; k <= sh->namespaces; k++) {
        struct node_load *n = snapshot_add_node_load(s);
        int gen = k == sh->namespaces ? (int)(i / 60) : 0;
        snprintf(buf, sizeof buf, "ip-10-0-%d-%d.ec2.internal", k, gen);
        n->name = snapshot_str(s, buf);
        n->ready = TRI_TRUE;
        n->schedulable = k == 1 && (i / 30) % 2 ? TRI_FALSE : TRI_TRUE;
        n->workspaces = floor(level(seed, 31, k, i, 5) * 12);
        n->pods = n->workspaces + 4;
        n->cpu_allocatable_cores = 15.89;
        n->memory_allocatable_bytes = 63163121664;
        n->workspace_cpu_requested_cores = n->workspaces * 0.5;
        n->workspace_memory_requested_bytes = n->workspaces * 2147483648.0;
        n->cpu_requested_cores = n->workspace_cpu_requested_cores + 1.25;
        n->memory_requested_bytes = n->workspace_memory_requested_bytes + 1073741824.0;
        if (metrics) {
            n->workspace_cpu_usage_cores = floor(level(seed, 32, k, i, 2) * 4000) / 1000;
            n->workspace_memory_usage_bytes = floor(level(seed, 33, k, i, 2) * 16) * 1048576.0;
            n->cpu_usage_cores = n->workspace_cpu_usage_cores + 0.5;
            n->memory_usage_bytes = n->workspace_memory_usage_bytes + 536870912.0;
        }
        n->coderd = k == 0 ? 1 : 0;
        n->postgres = 0;
        n->proxies = 0;
        n->provisioners = k % 2;
    }
    /* Cost control: a slow list (new numbers every 90 cycles, its time
     * carried between), and quota groups, a second one in some windows. */
    struct cost *ct = &s->cost;
    unsigned list = i / 90;
    ct->listed_at = t - 10.0 * (i % 90);
    ct->groups_at = ct->listed_at;
    ct->workspaces_running = 500 + floor(level(seed, 31, 0, list, 1) * 100);
    ct->running_off_peak = floor(ct->workspaces_running * 0.3);
    ct->without_autostop = list % 2 ? NAN : floor(ct->workspaces_running * 0.2);
    ct->daily_cost_credits = ct->workspaces_running * 3;
    for (unsigned k = 0; k < 1 + list % 2; k++) {
        struct cost_group *g = snapshot_add_cost_group(s);
        g->organization = snapshot_str(s, "coder");
        g->name = snapshot_str(s, k ? "gpu-users" : "Everyone");
        g->members = k ? 4 : 930;
        g->allowance_credits = k ? 40 : 10;
        g->budget_credits = g->members * g->allowance_credits;
        g->consumed_credits = k ? 48 : ct->daily_cost_credits;
    }
    if ((i / 20) % 2 == 1) {
        struct finding *f = snapshot_add_finding(s);
        f->rule = snapshot_str(s, "provisioner.queue_backlog");
        f->severity = SEV_WARN;
        f->entity = snapshot_str(s, "queue coder pool-0");
        f->message = snapshot_str(s, "pending jobs with no idle daemon");
    }
    if (i >= 30) {
        struct event *ev = snapshot_add_event(s);
        ev->time = t - 10.0 * (i - 30);
        ev->kind = snapshot_str(s, "replica_left");
        ev->entity = snapshot_str(s, "coderd-1");
        ev->message = snapshot_str(s, "replica coderd-1 left");
    }
    return s;
}
