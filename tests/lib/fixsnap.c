/* Fixture snapshots (see fixsnap.h). Values are chosen so every pane has
 * something to show in each state: ok, warn, crit, unknown, disabled. */
#include "tests/lib/fixsnap.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define HOSTILE_HOST "coder-2\x1b]52;c;cm0gLXJmIH4=\x07\x1b[31m<b>|x|</b>\xe2\x80\xae\"q\""

static void source(struct snapshot *s, const char *name, const char *kind, enum source_status st,
                   double age, double latency, const char *error, const char *hint)
{
    struct source_state *src = snapshot_add_source(s, name, kind);
    src->status = st;
    src->last_ok = isnan(age) ? NAN : s->time - age;
    src->latency_ms = latency;
    src->error = snapshot_str(s, error);
    src->hint = snapshot_str(s, hint);
    if (st == SOURCE_DISABLED) {
        src->reason = REASON_NOT_CONFIGURED;
    }
}

static void build(struct snapshot *s, int incident, int hostile)
{
    source(s, "coder-api", "coder", SOURCE_OK, 2, 14, NULL, NULL);
    source(s, "coder-replicas", "coder", SOURCE_OK, 2, 9, NULL, NULL);
    source(s, "coder-provisioners", "coder", SOURCE_OK, 2, 31, NULL, NULL);
    source(s, "coder-proxies", "coder", SOURCE_OK, 2, 8, NULL, NULL);
    source(s, "metrics 10.0.1.11:2112", "metrics", SOURCE_OK, 2, 120, NULL, NULL);
    source(s, "postgres", "postgres", SOURCE_OK, 2, 0.4, NULL, NULL);
    if (incident) {
        source(s, "kubernetes", "kubernetes", SOURCE_STALE, 95, NAN,
               "GET /api/v1/pods: timeout after 10s", NULL);
    } else {
        source(s, "kubernetes", "kubernetes", SOURCE_OK, 2, 60, NULL, NULL);
    }
    source(s, "prometheus", "prometheus", SOURCE_DISABLED, NAN, NAN, NULL,
           "set --prometheus URL to enable");

    struct deployment *d = &s->deployment;
    d->coder_url = snapshot_str(s, "https://coder.example.com");
    d->version = snapshot_str(s, "v2.24.1+a1b2c3d");
    d->premium = TRI_TRUE;
    d->users_total = 1012;
    d->users_active = 640;
    d->workspaces_total = 1450;
    d->workspaces_running = 598;
    d->health_severity = snapshot_str(s, incident ? "warning" : "ok");
    d->builtin_provisioners = TRI_FALSE;
    d->db_metrics_collected = TRI_TRUE;
    d->agent_stats_full = TRI_FALSE;
    d->builds_failed_per_h = incident ? 18 : 1;
    /* the network: STUN fails in the incident, so sessions relay */
    d->stun_healthy = incident ? TRI_FALSE : TRI_TRUE;
    d->derp_healthy = TRI_TRUE;

    static const char *const hosts[] = {"coder-0", "coder-1", "coder-2"};
    for (int i = 0; i < 3; i++) {
        struct server *sv = snapshot_add_server(s);
        const char *h = hostile && i == 2 ? HOSTILE_HOST : hosts[i];
        sv->id = snapshot_str(s, hosts[i]);
        sv->hostname = snapshot_str(s, h);
        char relay[64];
        snprintf(relay, sizeof relay, "http://10.0.1.1%d:8080", i);
        sv->relay_address = snapshot_str(s, relay);
        sv->version = snapshot_str(s, "v2.24.1+a1b2c3d");
        sv->region_id = 999;
        sv->started_at = s->time - (incident && i == 1 ? 240 : 86400 * 3 + i * 600);
        sv->db_latency_ms = incident ? 14.5 + i : 1.1 + 0.2 * i;
        sv->api_p50_ms = 12 + i;
        sv->api_p95_ms = incident ? 640 + 100 * i : 85 + i;
        sv->api_p99_ms = incident ? 1900 : 240;
        sv->requests_per_s = 41.5 + i;
        sv->concurrent_requests = 7;
        sv->db_query_p95_ms = incident ? 120 : 6;
        sv->cpu_cores = incident ? 3.5 : 0.8;
        sv->cpu_cores_available = 4;
        sv->rss_bytes = 2.1e9;
        sv->memory_available_bytes = 12884901888.0;
        sv->open_fds = 812;
        sv->max_fds = 1048576;
        sv->goroutines = 4200;
        sv->derp_clients = 270 + i;
        sv->derp_connections = 272 + i;
        sv->derp_bytes_per_s = incident ? (i == 1 ? 6.4e6 : 1.6e6) : 110e3 + 400 * i;
        sv->derp_packets_forwarded_per_s = incident ? 970 : 67;
        sv->derp_packets_dropped_per_s = incident ? 5.9 : 0.06;
        sv->derp_source = snapshot_str(s, i == 2 ? "expvar" : "metrics");
        d->derp_clients = (i ? d->derp_clients : 0) + sv->derp_clients;
        d->derp_bytes_per_s = (i ? d->derp_bytes_per_s : 0) + sv->derp_bytes_per_s;
        if (incident && i == 1) {
            sv->error = snapshot_str(s, hostile ? "ping \x1b[2Jcoder-0: <i/o> timeout|x"
                                                : "ping coder-0: i/o timeout");
        }
    }
    /* A metrics target that matches no replica. */
    struct server *orphan = snapshot_add_server(s);
    orphan->hostname = snapshot_str(s, "10.0.9.9");
    orphan->metrics_target = snapshot_str(s, "10.0.9.9:2112");
    orphan->api_p95_ms = 30;

    struct tag org_tags[] = {{"scope", "organization"}, {"owner", ""}};
    struct tag gpu_tags[] = {{"scope", "organization"}, {"gpu", hostile ? "a100|<h1>x" : "a100"}};
    struct tag arm_tags[] = {{"arch", "arm64"}, {"scope", "organization"}};
    for (int i = 0; i < 6; i++) {
        struct daemon *dm = snapshot_add_daemon(s);
        char name[32];
        snprintf(name, sizeof name, "prov-%c%d", i < 4 ? 'a' : 'g', i);
        dm->id = snapshot_str(s, name);
        dm->name = snapshot_str(s, name);
        dm->organization = snapshot_str(s, "coder");
        dm->tags = i < 4 ? snapshot_tagset(s, org_tags, 2) : snapshot_tagset(s, gpu_tags, 2);
        dm->version = snapshot_str(s, i == 5 ? "v2.23.0" : "v2.24.1");
        dm->last_seen_at = s->time - 3;
        dm->status = i < 4 ? DAEMON_BUSY : DAEMON_IDLE;
        if (incident && i == 3) {
            dm->status = DAEMON_OFFLINE;
            dm->last_seen_at = s->time - 900;
        }
        if (dm->status == DAEMON_BUSY) {
            snprintf(name, sizeof name, "job-%d", 100 + i);
            dm->current_job = snapshot_str(s, name);
        }
    }
    struct queue *q = snapshot_add_queue(s);
    q->organization = snapshot_str(s, "coder");
    q->tags = snapshot_tagset(s, org_tags, 2);
    q->pending = incident ? 23 : 0;
    q->running = 3;
    q->daemons = 3;
    q->idle = 0;
    q->offline = incident ? 1 : 0;
    q->oldest_pending_s = incident ? 540 : NAN;
    q->wait_p95_s = incident ? 410 : 4;
    q->build_p95_s = 95;
    /* sizing: the incident's demand needs twice the daemons there are */
    q->wait_p95_1h_s = incident ? 380 : 6;
    q->wait_p95_1d_s = incident ? 420 : 9;
    q->peak_running_1h = 3;
    q->peak_running_1d = 3;
    q->sizing_window_s = 3600;
    q->arrivals_per_s = incident ? 0.05 : 0.01;
    q->build_mean_s = 84;
    q->load = q->arrivals_per_s * q->build_mean_s;
    q->daemons_needed = incident ? 7 : 3;
    q = snapshot_add_queue(s);
    q->organization = snapshot_str(s, "coder");
    q->tags = snapshot_tagset(s, gpu_tags, 2);
    q->pending = 0;
    q->running = 0;
    q->daemons = 2;
    q->idle = 2;
    q->offline = 0;
    q->oldest_pending_s = NAN;
    if (incident) {
        struct stopped_daemon *sd = snapshot_add_stopped_daemon(s);
        sd->id = snapshot_str(s, "provisioner-3");
        sd->name = snapshot_str(s, "provisioner-3");
        sd->organization = snapshot_str(s, "coder");
        sd->tags = snapshot_tagset(s, org_tags, 2);
        sd->job = snapshot_str(s, "job-103");
        sd->how = snapshot_str(s, "offline");
        sd->detected_at = s->time - 840;
        sd->last_seen_at = s->time - 900;
    }
    if (incident) {
        struct job *j = snapshot_add_unrunnable(s);
        j->id = snapshot_str(s, "5e1d7c2a-9f3b-4c1e-8a2d-0b6f4e3c2a11");
        j->organization = snapshot_str(s, "coder");
        j->tags = snapshot_tagset(s, arm_tags, 2);
        j->status = snapshot_str(s, "pending");
        j->age_s = 1260;
        j->reason = snapshot_str(s, "no_matching_daemon");
    }

    struct postgres *pg = &s->postgres;
    pg->up = TRI_TRUE;
    pg->version = snapshot_str(s, "15.18");
    pg->server_version_num = 150018;
    pg->in_recovery = TRI_FALSE;
    pg->stats_visible = TRI_TRUE;
    pg->rtt_ms = 0.42;
    pg->connections.used = incident ? 83 : 41;
    pg->connections.max = 97;
    pg->connections.active = incident ? 31 : 6;
    pg->connections.idle = incident ? 49 : 35;
    pg->connections.idle_in_transaction = incident ? 2 : 0;
    pg->connections.waiting = incident ? 1 : 0;
    pg->tps = 812.4;
    pg->cache_hit_ratio = 0.9987;
    pg->deadlocks_per_s = 0;
    pg->oldest_xact_s = incident ? 1420 : 2;
    pg->oldest_query_s = incident ? 95 : 0.3;
    pg->notify_queue_usage = incident ? 0.62 : 0.0001;
    pg->db_size_bytes = 18.4e9;
    pg->xid_age = 210e6;
    struct pg_replication *r = snapshot_add_pg_replication(s);
    r->name = snapshot_str(s, "pg-standby-1");
    r->state = snapshot_str(s, "streaming");
    r->replay_lag_s = incident ? 42 : 0.2;
    r->lag_bytes = incident ? 48e6 : 4096;
    if (incident) {
        struct pg_lock_wait *w = snapshot_add_pg_lock_wait(s);
        w->pid = 41872;
        w->blocked_by = 40110;
        w->wait_s = 37;
        w->query =
            snapshot_str(s, hostile ? "UPDATE workspaces SET \x1b[8m-- hidden"
                                    : "UPDATE workspace_builds SET job_id = $1 WHERE id = $2");
    }

    static const char *const pnames[] = {"primary", "eu-west", "ap-south"};
    for (int i = 0; i < 3; i++) {
        struct proxy *x = snapshot_add_proxy(s);
        char url[128];
        x->name =
            snapshot_str(s, hostile && i == 1 ? "eu-west<script>alert(1)</script>" : pnames[i]);
        x->display_name = snapshot_str(s, i == 0 ? "Default" : i == 1 ? "Frankfurt" : "Mumbai");
        snprintf(url, sizeof url, "https://%s.coder.example.com", pnames[i]);
        x->url = snapshot_str(s, url);
        x->primary = i == 0;
        x->status = PROXY_OK;
        x->healthy = TRI_TRUE;
        x->version = snapshot_str(s, "v2.24.1");
        x->rtt_ms = 4 + 40 * i;
        x->derp_enabled = TRI_TRUE;
        x->derp_only = TRI_FALSE;
        if (i == 1) {
            x->metrics_target = snapshot_str(s, "10.8.0.7:2112");
            x->derp_clients = 89;
            x->derp_connections = 89;
            x->derp_bytes_per_s = incident ? 540e3 : 37e3;
            x->derp_packets_forwarded_per_s = 0;
            x->derp_packets_dropped_per_s = incident ? 2 : 0.02;
            s->deployment.derp_clients += x->derp_clients;
            s->deployment.derp_bytes_per_s += x->derp_bytes_per_s;
        }
        if (incident && i == 2) {
            x->status = PROXY_UNREACHABLE;
            x->healthy = TRI_FALSE;
            x->rtt_ms = NAN;
            x->errors = snapshot_alloc(s, sizeof(char *));
            x->errors[0] = snapshot_str(s, "GET /healthz: connection refused");
            x->nerrors = 1;
        }
    }

    struct capacity *c = &s->capacity;
    c->cluster.nodes = 42;
    c->cluster.cpu_allocatable_cores = 640;
    c->cluster.cpu_requested_cores = incident ? 566 : 310;
    c->cluster.memory_allocatable_bytes = 2.4e12;
    c->cluster.memory_requested_bytes = incident ? 1.9e12 : 1.1e12;
    c->cluster.pods_allocatable = 4620;
    c->cluster.pods = 1811;
    struct namespace_quota *ns = snapshot_add_namespace(s);
    ns->name = snapshot_str(s, "coder-workspaces");
    ns->nresources = 3;
    ns->resources = snapshot_alloc(s, 3 * sizeof *ns->resources);
    ns->resources[0] =
        (struct quantity_pair){snapshot_str(s, "requests.cpu"), incident ? 395 : 250, 400};
    ns->resources[1] = (struct quantity_pair){snapshot_str(s, "requests.memory"), 1.2e12, 1.6e12};
    ns->resources[2] = (struct quantity_pair){snapshot_str(s, "pods"), 598, 1000};
    struct coder_quota *cq = snapshot_add_coder_quota(s);
    cq->user = snapshot_str(s, "alice");
    cq->organization = snapshot_str(s, "coder");
    cq->credits_consumed = incident ? 48 : 12;
    cq->budget = 50;
    struct soft_limit *sl = snapshot_add_soft_limit(s);
    sl->name = snapshot_str(s, "aws vCPU (us-east-1)");
    sl->used = 620;
    sl->limit = 768;
    /* Workspaces per node, most loaded first: in the incident one node is
     * packed to 94 % of its memory with a coderd replica beside the
     * workspaces, and the metrics API is gone. */
    c->metrics_api = incident ? TRI_FALSE : TRI_TRUE;
    static const struct {
        const char *name;
        double ws, cpu, mem_gi, coderd, pg, prov;
    } nodes[] = {
        {"ip-10-0-12-7.ec2.internal", 14, 12.5, 56, 1, 0, 1},
        {"ip-10-0-12-31.ec2.internal", 11, 10, 44, 0, 0, 1},
        {"ip-10-0-13-2.ec2.internal", 9, 8.5, 36, 0, 0, 2},
        {"ip-10-0-13-40.ec2.internal", 8, 7, 30, 0, 0, 0},
        {"ip-10-0-1-5.ec2.internal", 0, 0, 0, 1, 1, 0},
    };
    for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++) {
        struct node_load *n = snapshot_add_node_load(s);
        n->name = snapshot_str(s, hostile && i == 0 ? HOSTILE_HOST ".internal" : nodes[i].name);
        n->ready = TRI_TRUE;
        n->schedulable = i == 3 ? TRI_FALSE : TRI_TRUE;
        double scale = incident || i > 0 ? 1 : 0.85;
        n->workspaces = floor(nodes[i].ws * scale);
        n->pods = n->workspaces + 3 + nodes[i].coderd + nodes[i].pg + nodes[i].prov;
        n->cpu_allocatable_cores = 15.89;
        n->memory_allocatable_bytes = 63163121664;
        n->workspace_cpu_requested_cores = nodes[i].cpu * scale;
        n->workspace_memory_requested_bytes = nodes[i].mem_gi * scale * 1073741824.0;
        n->cpu_requested_cores = n->workspace_cpu_requested_cores + 0.6 + 2 * nodes[i].coderd +
                                 2 * nodes[i].pg + nodes[i].prov;
        n->memory_requested_bytes = n->workspace_memory_requested_bytes + 1073741824.0;
        if (!incident) {
            n->workspace_cpu_usage_cores = n->workspace_cpu_requested_cores * 0.4;
            n->workspace_memory_usage_bytes = n->workspace_memory_requested_bytes * 0.6;
            n->cpu_usage_cores = n->workspace_cpu_usage_cores + 0.4 + nodes[i].coderd;
            n->memory_usage_bytes = n->workspace_memory_usage_bytes + 1.5e9;
        }
        n->coderd = incident || i > 0 ? nodes[i].coderd : 0;
        n->postgres = nodes[i].pg;
        n->proxies = 0;
        n->provisioners = nodes[i].prov;
    }
    /* Cost control: the running list from 4 minutes ago; in the incident
     * the gpu-users pool is nearly used up. */
    struct cost *k = &s->cost;
    k->listed_at = s->time - 240;
    k->groups_at = s->time - 240;
    k->workspaces_running = 598;
    k->running_off_peak = incident ? 241 : 112;
    k->without_autostop = 151;
    k->daily_cost_credits = 1560;
    struct cost_group *g = snapshot_add_cost_group(s);
    g->organization = snapshot_str(s, "coder");
    g->name = snapshot_str(s, "Everyone");
    g->members = 930;
    g->allowance_credits = 10;
    g->budget_credits = 9300;
    g->consumed_credits = 1560;
    g = snapshot_add_cost_group(s);
    g->organization = snapshot_str(s, "coder");
    g->name = snapshot_str(s, "gpu-users");
    g->members = 4;
    g->allowance_credits = 40;
    g->budget_credits = 160;
    g->consumed_credits = incident ? 154 : 48;

    if (incident) {
        struct finding *f = snapshot_add_finding(s);
        f->rule = snapshot_str(s, "provisioners.unrunnable");
        f->severity = SEV_CRIT;
        f->entity = snapshot_str(s, "job/5e1d7c2a-9f3b-4c1e-8a2d-0b6f4e3c2a11");
        f->message =
            snapshot_str(s, "No provisioner daemon has these tags: this job will wait forever");
        f->evidence = snapshot_str(s, "tags=arch=arm64,scope=organization age_s=1260");
        f->since = s->time - 1260;
        f = snapshot_add_finding(s);
        f->rule = snapshot_str(s, "proxies.unhealthy");
        f->severity = SEV_CRIT;
        f->entity = snapshot_str(s, "proxy/ap-south");
        f->message = snapshot_str(s, "Users of this region lose their near proxy: check the proxy");
        f->evidence = snapshot_str(s, "status=unreachable");
        f->since = s->time - 300;
        f = snapshot_add_finding(s);
        f->rule = snapshot_str(s, "network.stun_failing");
        f->severity = SEV_WARN;
        f->entity = snapshot_str(s, "deployment");
        f->message = snapshot_str(s, "STUN is failing: clients cannot learn their public address, "
                                     "so connections relay through coderd and the proxies");
        f->evidence = snapshot_str(s, "codes=ESTUN01 relayed_bytes_per_s=10140000");
        f->since = s->time - 360;
        f = snapshot_add_finding(s);
        f->rule = snapshot_str(s, "coderd.db_latency");
        f->severity = SEV_WARN;
        f->entity = snapshot_str(s, hostile ? "server/" HOSTILE_HOST : "server/coder-2");
        f->message = snapshot_str(s, "Move coderd closer to PostgreSQL or relieve the database");
        f->evidence = snapshot_str(s, "db_latency_ms=16.5 threshold=10");
        f->since = s->time - 480;
        f = snapshot_add_finding(s);
        f->rule = snapshot_str(s, "provisioners.queue_starved");
        f->severity = SEV_WARN;
        f->entity = snapshot_str(s, "queue/coder/owner=,scope=organization");
        f->message = snapshot_str(s, "Builds are queueing: add provisioner daemons for these tags");
        f->evidence = snapshot_str(s, "pending=23 idle=0 daemons=3 oldest_pending_s=540");
        f->since = s->time - 420;
        struct event *e = snapshot_add_event(s);
        e->time = s->time - 1260;
        e->kind = snapshot_str(s, "finding-start");
        e->entity = snapshot_str(s, "job/5e1d7c2a-9f3b-4c1e-8a2d-0b6f4e3c2a11");
        e->message = snapshot_str(s, "No provisioner daemon has these tags");
        e = snapshot_add_event(s);
        e->time = s->time - 240;
        e->kind = snapshot_str(s, "replica-joined");
        e->entity = snapshot_str(s, "coder-1");
        e->message = snapshot_str(s, "coder-1 restarted");
        e = snapshot_add_event(s);
        e->time = s->time - 60;
        e->kind = snapshot_str(s, "marker");
        e->entity = snapshot_str(s, "");
        e->message = snapshot_str(s, hostile ? "paged \x1b]0;pwned\x07 team | <b>db</b>"
                                             : "paged the database team");
    }
}

struct snapshot *fixsnap_incident(int hostile)
{
    struct snapshot *s = snapshot_new(FIXSNAP_TIME);
    build(s, 1, hostile);
    return s;
}

struct snapshot *fixsnap_make(double t, int incident, int hostile)
{
    struct snapshot *s = snapshot_new(t);
    build(s, incident, hostile);
    return s;
}

struct snapshot *fixsnap_steady(void)
{
    struct snapshot *s = snapshot_new(FIXSNAP_TIME);
    build(s, 0, 0);
    return s;
}
