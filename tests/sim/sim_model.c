/*
 * scaletop-sim model: the deployment (replicas, provisioner daemons and their
 * jobs, proxies, namespaces, workspaces) built from a scale preset and a seed,
 * and the scenario timeline that moves it along the simulated clock.
 *
 * Invariants: everything is a function of (preset, seed, scenario, sim time)
 * and is advanced only by sim_model_advance() under sim->mu. Job placement
 * follows Coder's rule (a daemon of the same organization whose tags include
 * every tag of the job), so the truth derived here is what a correct client
 * would compute from the API.
 */
#include "sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double api_le[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 10, 30};
static const double def_le[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
static const double job_le[] = {1, 10, 30, 60, 300, 600, 1800, 3600};

struct preset {
    const char *name;
    int replicas, provisioners, proxies;
    long running, workspaces, users;
};

static const struct preset presets[] = {
    {"1k", 3, 60, 1, 600, 1000, 1000},
    {"2k", 3, 120, 2, 1200, 2000, 2000},
    {"3k", 4, 180, 2, 1800, 3000, 3000},
    {"10k", 10, 600, 2, 6000, 10000, 10000},
};

static const char *const proxy_names[][3] = {
    {"sydney", "Sydney", "/emojis/1f1e6-1f1fa.png"},
    {"frankfurt", "Europe (Frankfurt)", "/emojis/1f1e9-1f1ea.png"},
    {"tokyo", "Asia (Tokyo)", "/emojis/1f1ef-1f1f5.png"},
};

const char *sim_job_status_name(int st)
{
    static const char *const n[] = {"pending", "running", "succeeded", "failed", "canceled"};
    return n[st];
}

void sim_hist_init(struct sim_hist *h, const double *le, int nb)
{
    memset(h, 0, sizeof *h);
    h->le = le;
    h->nb = nb;
}

/* Cumulative bucket fractions F(le[i]) for a latency distribution with the
 * given p50/p95/p99, chosen so that linear interpolation inside buckets (what
 * histogram_quantile() does) gives back each quantile exactly whenever the
 * three fall in different buckets: every bucket holding a quantile gets a
 * chord through that point, and the other boundaries are filled monotonically. */
static void dist_fractions(const double *le, int nb, double p50, double p95, double p99,
                           double *out)
{
    const double xs[3] = {p50, p95, p99}, ys[3] = {0.5, 0.95, 0.99};
    bool fixed[16] = {false};
    int bucket_of[3];
    for (int k = 0; k < 3; k++) {
        bucket_of[k] = -1;
        for (int i = 0; i < nb; i++) {
            if (xs[k] <= le[i]) {
                bucket_of[k] = i;
                break;
            }
        }
    }
    /* right to left, so a knot's chord can end where the next one's begins */
    double next_lower = 1.0;
    for (int k = 2; k >= 0; k--) {
        int bi = bucket_of[k];
        if (bi < 0 || (k < 2 && bi == bucket_of[k + 1])) {
            continue;
        }
        double lo = bi > 0 ? le[bi - 1] : 0, hi = le[bi];
        double t = (xs[k] - lo) / (hi - lo), y = ys[k];
        double flo, fhi;
        if (fixed[bi]) {
            fhi = out[bi];
            flo = bi > 0 && t < 1 ? (y - fhi * t) / (1 - t) : 0;
            double floor_y = k > 0 ? ys[k - 1] : 0;
            if (flo < floor_y) {
                flo = floor_y + (y - floor_y) * 0.1;
            }
        } else {
            double above = (next_lower - y) * 0.9;
            double below = k == 0 ? y : (y - ys[k - 1]) / 2;
            double d = 1e9;
            if (t > 0) {
                d = below / t;
            }
            if (t < 1 && above / (1 - t) < d) {
                d = above / (1 - t);
            }
            flo = y - d * t;
            fhi = y + d * (1 - t);
            if (bi == 0) {
                flo = 0;
                fhi = t > 0 ? y / t : y;
                if (fhi > y + above) {
                    fhi = y + above;
                }
            }
        }
        out[bi] = fhi;
        fixed[bi] = true;
        if (bi > 0) {
            out[bi - 1] = flo;
            fixed[bi - 1] = true;
        }
        next_lower = flo;
    }
    double xend = p99 * 4 > le[nb - 1] ? p99 * 4 : le[nb - 1];
    for (int i = 0; i < nb; i++) {
        if (fixed[i]) {
            continue;
        }
        double x0 = 0, y0 = 0, x1 = xend, y1 = 1;
        for (int j = i - 1; j >= 0; j--) {
            if (fixed[j]) {
                x0 = le[j];
                y0 = out[j];
                break;
            }
        }
        for (int j = i + 1; j < nb; j++) {
            if (fixed[j]) {
                x1 = le[j];
                y1 = out[j];
                break;
            }
        }
        out[i] = le[i] >= x1 ? y1 : y0 + (y1 - y0) * (le[i] - x0) / (x1 - x0);
    }
}

static double dist_mean(double p50, double p95, double p99)
{
    return 0.5 * (p50 / 2) + 0.45 * (p50 + p95) / 2 + 0.04 * (p95 + p99) / 2 + 0.01 * (p99 * 2.5);
}

void sim_hist_observe_dist(struct sim_hist *h, double n, double p50, double p95, double p99)
{
    if (n <= 0) {
        return;
    }
    double f[16];
    dist_fractions(h->le, h->nb, p50, p95, p99, f);
    for (int i = 0; i < h->nb; i++) {
        h->bucket[i] += n * f[i];
    }
    h->count += n;
    h->sum += n * dist_mean(p50, p95, p99);
}

static void hist_observe_one(struct sim_hist *h, double v)
{
    for (int i = 0; i < h->nb; i++) {
        if (v <= h->le[i]) {
            h->bucket[i] += 1;
        }
    }
    h->count += 1;
    h->sum += v;
}

static void tags_set(struct sim_tags *t, const char *k, const char *v)
{
    snprintf(t->k[t->n], sizeof t->k[0], "%s", k);
    snprintf(t->v[t->n], sizeof t->v[0], "%s", v);
    t->n++;
}

static bool tags_subset(const struct sim_tags *job, const struct sim_tags *d)
{
    for (int i = 0; i < job->n; i++) {
        bool found = false;
        for (int j = 0; j < d->n; j++) {
            if (strcmp(job->k[i], d->k[j]) == 0 && strcmp(job->v[i], d->v[j]) == 0) {
                found = true;
            }
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

static bool daemon_can_take(struct sim *s, const struct sim_daemon *d, int tagset)
{
    return d->org == s->ts[tagset].org && tags_subset(&s->ts[tagset].tags, &s->ts[d->tagset].tags);
}

int sim_tagset_daemons(struct sim *s, int ts, int *online, int *idle, int *offline)
{
    int on = 0, id = 0, off = 0;
    for (int i = 0; i < s->n_daemons; i++) {
        struct sim_daemon *d = &s->daemons[i];
        if (!daemon_can_take(s, d, ts)) {
            continue;
        }
        if (!d->online) {
            off++;
        } else {
            on++;
            if (d->current_job < 0) {
                id++;
            }
        }
    }
    *online = on;
    *idle = id;
    *offline = off;
    return on + off;
}

static double since_min(struct sim *s)
{
    return (s->sim_now - s->o.start_epoch) / 60.0;
}

static bool incident(struct sim *s)
{
    return strcmp(s->o.scenario, "incident") == 0;
}

static bool in(double t, double a, double b)
{
    return t >= a && t < b;
}

static void replica_new_identity(struct sim *s, struct sim_replica *r, double created)
{
    sim_uuid(&s->rng, r->id);
    r->created_at = created;
    r->generation++;
    r->requests = r->cpu_seconds = r->pubsub_msgs = r->db_queries = 0;
    memset(&r->derp, 0, sizeof r->derp); /* a new process: its relay counters start at 0 */
    sim_hist_init(&r->api_hist, api_le, 11);
    sim_hist_init(&r->dbq_hist, def_le, 11);
    sim_hist_init(&r->tx_hist, def_le, 11);
}

static struct sim_job *job_new(struct sim *s, int tagset)
{
    if (s->n_jobs == s->cap_jobs) {
        s->cap_jobs = s->cap_jobs ? s->cap_jobs * 2 : 1024;
        s->jobs = realloc(s->jobs, (size_t)s->cap_jobs * sizeof *s->jobs);
        if (!s->jobs) {
            abort();
        }
    }
    struct sim_job *j = &s->jobs[s->n_jobs++];
    memset(j, 0, sizeof *j);
    sim_uuid(&s->rng, j->id);
    sim_uuid(&s->rng, j->file_id);
    sim_uuid(&s->rng, j->input_id);
    sim_uuid(&s->rng, j->workspace_id);
    sim_uuid(&s->rng, j->initiator);
    j->org = s->ts[tagset].org;
    j->tagset = tagset;
    j->status = JOB_PENDING;
    j->daemon = -1;
    j->created_at = s->sim_now;
    j->workspace =
        (int)(sim_rand(&s->rng) % (uint64_t)(s->workspaces_total ? s->workspaces_total : 1));
    uint64_t r = sim_rand(&s->rng) % 20;
    j->import = r == 0;
    j->transition = r < 13 ? 0 : r < 19 ? 1 : 2;
    j->duration_s = s->ts[tagset].build_s * (0.4 + 1.2 * sim_randf(&s->rng));
    return j;
}

/* Drops old finished jobs, keeping indices held by daemons valid. */
static void jobs_compact(struct sim *s)
{
    if (s->n_jobs < 4000) {
        return;
    }
    long *map = malloc((size_t)s->n_jobs * sizeof *map);
    bool *keep = calloc((size_t)s->n_jobs, 1);
    if (!map || !keep) {
        abort();
    }
    long finished = 0;
    for (long i = s->n_jobs - 1; i >= 0; i--) {
        struct sim_job *j = &s->jobs[i];
        if (j->status == JOB_PENDING || j->status == JOB_RUNNING) {
            keep[i] = true;
        } else if (finished < 1500) {
            keep[i] = true;
            finished++;
        }
    }
    for (int i = 0; i < s->n_daemons; i++) {
        if (s->daemons[i].previous_job >= 0) {
            keep[s->daemons[i].previous_job] = true;
        }
    }
    if (s->unrunnable_job >= 0) {
        keep[s->unrunnable_job] = true;
    }
    long n = 0;
    for (long i = 0; i < s->n_jobs; i++) {
        map[i] = keep[i] ? n : -1;
        if (keep[i]) {
            s->jobs[n++] = s->jobs[i];
        }
    }
    for (int i = 0; i < s->n_daemons; i++) {
        struct sim_daemon *d = &s->daemons[i];
        if (d->current_job >= 0) {
            d->current_job = map[d->current_job];
        }
        if (d->previous_job >= 0) {
            d->previous_job = map[d->previous_job];
        }
    }
    for (long i = 0; i < n; i++) {
        if (s->jobs[i].daemon >= 0 && s->jobs[i].status != JOB_RUNNING) {
            continue;
        }
    }
    if (s->unrunnable_job >= 0) {
        s->unrunnable_job = map[s->unrunnable_job];
    }
    s->n_jobs = n;
    free(map);
    free(keep);
}

static void job_finish(struct sim *s, struct sim_job *j, long idx, int status)
{
    j->status = status;
    j->completed_at = s->sim_now;
    if (j->daemon >= 0) {
        struct sim_daemon *d = &s->daemons[j->daemon];
        d->current_job = -1;
        d->previous_job = idx;
        if (d->deploy >= 0) {
            struct sim_deploy *dp = &s->dep[d->deploy];
            double dur = j->completed_at - j->started_at;
            if (status == JOB_SUCCEEDED) {
                hist_observe_one(&dp->job_hist_ok, dur);
            } else {
                hist_observe_one(&dp->job_hist_failed, dur);
            }
        }
    }
}

/* One step of dt simulated seconds of the provisioning model. */
static void step_jobs(struct sim *s, double dt)
{
    double t = since_min(s);
    for (int k = 0; k < s->n_tagsets; k++) {
        struct sim_tagset *ts = &s->ts[k];
        double rate = ts->arrival_per_s;
        if (ts->from_start && s->sim_now < s->o.start_epoch) {
            rate = 0;
        }
        if (incident(s) && k == 0) {
            int on, idle, off;
            sim_tagset_daemons(s, 0, &on, &idle, &off);
            double cap = on / ts->build_s;
            if (in(t, 5, 30)) {
                rate = 1.5 * cap;
            } else if (in(t, 30, 55)) {
                rate = 0.2 * cap;
            }
        }
        ts->carry += rate * dt;
        while (ts->carry >= 1.0) {
            ts->carry -= 1.0;
            job_new(s, k);
        }
    }
    /* completions */
    for (long i = 0; i < s->n_jobs; i++) {
        struct sim_job *j = &s->jobs[i];
        if (j->status == JOB_RUNNING && s->sim_now >= j->started_at + j->duration_s) {
            job_finish(s, j, i, sim_randf(&s->rng) < 0.03 ? JOB_FAILED : JOB_SUCCEEDED);
        }
    }
    /* acquisition: each idle online daemon takes the oldest job it can run */
    long first_pending = -1;
    for (long i = 0; i < s->n_jobs; i++) {
        if (s->jobs[i].status == JOB_PENDING) {
            first_pending = i;
            break;
        }
    }
    if (first_pending < 0) {
        return;
    }
    long cursor[SIM_MAX_TAGSETS];
    for (int k = 0; k < SIM_MAX_TAGSETS; k++) {
        cursor[k] = first_pending;
    }
    for (int di = 0; di < s->n_daemons; di++) {
        struct sim_daemon *d = &s->daemons[di];
        if (!d->online || d->current_job >= 0) {
            continue;
        }
        long best = -1;
        for (int k = 0; k < s->n_tagsets; k++) {
            if (!daemon_can_take(s, d, k)) {
                continue;
            }
            while (cursor[k] < s->n_jobs &&
                   !(s->jobs[cursor[k]].status == JOB_PENDING && s->jobs[cursor[k]].tagset == k)) {
                cursor[k]++;
            }
            if (cursor[k] < s->n_jobs && (best < 0 || cursor[k] < best)) {
                best = cursor[k];
            }
        }
        if (best >= 0) {
            struct sim_job *j = &s->jobs[best];
            j->status = JOB_RUNNING;
            j->daemon = di;
            j->started_at = s->sim_now;
            d->current_job = best;
        }
    }
}

static void set_replica_targets(struct sim *s)
{
    double t = since_min(s);
    bool spike = incident(s) && in(t, 10, 30);
    for (int i = 0; i < s->n_replicas; i++) {
        struct sim_replica *r = &s->rep[i];
        double base_db = 1.4 + 0.3 * i;
        r->db_latency_ms = spike ? 22.0 + 2.5 * i : base_db;
        double f = spike ? 4.0 : 1.0;
        r->api_p50_ms = (12.0 + i) * f;
        r->api_p95_ms = (85.0 + 5 * i) * f;
        r->api_p99_ms = (240.0 + 10 * i) * f;
        r->req_per_s = 40.0 + 2.0 * s->n_daemons / s->n_replicas * 0.1 + 3 * i;
        r->cpu_cores = (spike ? 2.6 : 1.1) + 0.1 * i;
    }
    /* the replica restart: the last replica leaves at 15 min and rejoins at 18 */
    if (incident(s) && s->n_replicas > 1) {
        struct sim_replica *r = &s->rep[s->n_replicas - 1];
        bool gone = in(t, 15, 18);
        if (gone && r->present) {
            r->present = false;
        } else if (!gone && !r->present) {
            r->present = true;
            replica_new_identity(s, r, s->sim_now);
        }
        struct sim_replica *r0 = &s->rep[0];
        if (gone) {
            snprintf(r0->error, sizeof r0->error,
                     "Failed to dial peers: http://%s:%d (Get \"http://%s:%d/derp/latency-check\": "
                     "context deadline exceeded)",
                     r->ip, r->port, r->ip, r->port);
        } else {
            r0->error[0] = '\0';
        }
    }
}

static void set_world(struct sim *s)
{
    double t = since_min(s);
    bool inc = incident(s);
    /* proxies */
    for (int i = 0; i < s->n_proxies; i++) {
        snprintf(s->prox[i].status, sizeof s->prox[i].status, "ok");
        s->prox[i].slow_ms = 0;
    }
    /* the proxy first turns slow, then unreachable */
    if (inc && s->n_proxies > 0 && in(t, 18, 20)) {
        s->prox[s->n_proxies - 1].slow_ms = 1500;
    }
    if (inc && s->n_proxies > 0 && in(t, 20, 40)) {
        snprintf(s->prox[s->n_proxies - 1].status, sizeof s->prox[0].status, "unreachable");
    }
    /* workspace counts drift a little around the preset */
    long minute = (long)floor(s->sim_now / 60);
    if (minute != s->ws_minute && !s->o.no_ws_drift) {
        s->ws_minute = minute;
        long target = (long)(s->workspaces_total * 0.6);
        s->ws_running += (long)(sim_rand(&s->rng) % 5) - 2;
        if (labs(s->ws_running - target) > target / 50 + 2) {
            s->ws_running = target;
        }
    }
    s->ws_failed = s->workspaces_total / 150;
    long starting = 0, pending = 0;
    for (long i = 0; i < s->n_jobs; i++) {
        if (s->jobs[i].import) {
            continue;
        }
        if (s->jobs[i].status == JOB_RUNNING && s->jobs[i].transition == 0) {
            starting++;
        } else if (s->jobs[i].status == JOB_PENDING) {
            pending++;
        }
    }
    s->ws_starting = starting;
    s->ws_pending = pending;
    s->ws_stopped = s->workspaces_total - s->ws_running - s->ws_failed - starting - pending;
    if (s->ws_stopped < 0) {
        s->ws_stopped = 0;
    }
    /* namespace usage follows the running workspaces (see sim_k8s.c: pod i requests
     * cpu {500m,1,1,1.5}[i%4] and memory {2,4,4,6}Gi[i%4]) */
    long n = s->ws_running;
    double cpu = 0, mem = 0;
    static const double pc[4] = {0.5, 1, 1, 1.5}, pm[4] = {2, 4, 4, 6};
    for (int k = 0; k < 4; k++) {
        long cnt = n / 4 + (k < n % 4 ? 1 : 0);
        cpu += cnt * pc[k];
        mem += cnt * pm[k] * 1073741824.0;
    }
    for (int i = 0; i < s->n_ns; i++) {
        struct sim_ns *ns = &s->ns[i];
        if (strcmp(ns->name, "coder-workspaces") == 0) {
            ns->cpu_used = cpu;
            ns->mem_used = mem;
            ns->pods_used = (double)n;
            ns->lim_cpu_used = cpu * 2;
            double hard = ceil((double)s->workspaces_total * 0.6 * 1.0 * 1.5);
            if (inc && in(t, 25, 45)) {
                hard = ceil(cpu / 0.97);
            }
            ns->cpu_hard = hard;
        } else if (strcmp(ns->name, "coder-provisioners") == 0) {
            int online = 0;
            for (int d = 0; d < s->n_daemons; d++) {
                online += s->daemons[d].online && s->daemons[d].deploy >= 0;
            }
            ns->cpu_used = online;
            ns->mem_used = online * 1e9;
            ns->pods_used = online;
        } else if (strcmp(ns->name, "coder") == 0) {
            int present = 0;
            for (int r = 0; r < s->n_replicas; r++) {
                present += s->rep[r].present;
            }
            /* the replicas and the PostgreSQL pod (2 cores, 8 GiB) */
            ns->cpu_used = present * 4 + 2;
            ns->mem_used = present * 12.0 * 1073741824.0 + 8.0 * 1073741824.0;
            ns->pods_used = present + 1;
        }
    }
    /* the job that no daemon can take: queued at 30 min, canceled at 50 */
    if (inc) {
        if (in(t, 30, 50) && s->unrunnable_job < 0) {
            struct sim_job *j = job_new(s, s->unrunnable_tagset);
            j->created_at = s->o.start_epoch + 30 * 60;
            s->unrunnable_job = s->n_jobs - 1;
        } else if (!in(t, 30, 50) && s->unrunnable_job >= 0) {
            struct sim_job *j = &s->jobs[s->unrunnable_job];
            j->status = JOB_CANCELED;
            j->completed_at = s->sim_now;
            s->unrunnable_job = -1;
        }
    }
    /* phase names */
    s->phase[0] = '\0';
    if (inc) {
        struct {
            double a, b;
            const char *n;
        } ph[] = {{5, 30, "backlog_building"},  {30, 55, "backlog_draining"},
                  {10, 30, "db_latency_spike"}, {15, 18, "replica_restart"},
                  {18, 20, "proxy_slow"},       {20, 40, "proxy_unreachable"},
                  {25, 45, "quota_squeeze"},    {30, 50, "unrunnable_job"}};
        for (size_t i = 0; i < sizeof ph / sizeof ph[0]; i++) {
            if (in(t, ph[i].a, ph[i].b)) {
                size_t l = strlen(s->phase);
                snprintf(s->phase + l, sizeof s->phase - l, "%s%s", l ? "," : "", ph[i].n);
            }
        }
    }
}

static void step_counters(struct sim *s, double dt)
{
    for (int i = 0; i < s->n_replicas; i++) {
        struct sim_replica *r = &s->rep[i];
        if (!r->present) {
            continue;
        }
        double n = r->req_per_s * dt;
        r->requests += n;
        sim_hist_observe_dist(&r->api_hist, n, r->api_p50_ms / 1000, r->api_p95_ms / 1000,
                              r->api_p99_ms / 1000);
        double q = n * 6;
        r->db_queries += q;
        double db = r->db_latency_ms / 1000;
        sim_hist_observe_dist(&r->dbq_hist, q, db * 1.3, db * 4, db * 8);
        sim_hist_observe_dist(&r->tx_hist, n * 0.3, db * 3, db * 9, db * 16);
        r->cpu_seconds += r->cpu_cores * dt;
        r->pubsub_msgs += 30 * dt;
    }
    for (int i = 0; i < s->n_deploy; i++) {
        s->dep[i].cpu_seconds += 0.35 * dt;
    }
    sim_derp_step(s, dt);
}

void sim_model_advance(struct sim *s, double to)
{
    if (to <= s->sim_now) {
        return;
    }
    double total = to - s->sim_now;
    int steps = (int)ceil(total / 1.0);
    if (steps > 300) {
        steps = 300;
    }
    double dt = total / steps;
    for (int k = 0; k < steps; k++) {
        s->sim_now += dt;
        set_replica_targets(s);
        set_world(s);
        sim_derp_targets(s);
        for (int i = 0; i < s->n_daemons; i++) {
            if (s->daemons[i].online) {
                s->daemons[i].last_seen_at = s->sim_now - fmod((double)i * 3.7, 10.0);
            }
        }
        step_jobs(s, dt);
        step_counters(s, dt);
    }
    s->sim_now = to;
    jobs_compact(s);
}

double sim_clock_now(struct sim *s)
{
    return s->o.start_epoch + (sim_mono() - s->real_start) * s->o.speed;
}

static void add_daemon(struct sim *s, int org, int deploy, int tagset, const char *name,
                       const char *key_name, const char *version, bool online)
{
    struct sim_daemon *d = &s->daemons[s->n_daemons++];
    memset(d, 0, sizeof *d);
    sim_uuid(&s->rng, d->id);
    snprintf(d->name, sizeof d->name, "%s", name);
    snprintf(d->key_name, sizeof d->key_name, "%s", key_name);
    snprintf(d->version, sizeof d->version, "%s", version);
    snprintf(d->api_version, sizeof d->api_version, "%s",
             strcmp(version, SIM_VERSION) == 0 ? "1.10" : "1.9");
    if (strcmp(key_name, "built-in") == 0) {
        snprintf(d->key_id, sizeof d->key_id, "00000000-0000-0000-0000-000000000001");
    } else {
        snprintf(d->key_id, sizeof d->key_id, "%s",
                 tagset == 0 ? "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b"
                             : "2a3b4c5d-6e7f-4809-9a1b-2c3d4e5f6a7b");
    }
    d->org = org;
    d->deploy = deploy;
    d->tagset = tagset;
    d->online = online;
    d->created_at = s->o.start_epoch - 36000 - 60 * (double)(sim_rand(&s->rng) % 600);
    d->last_seen_at = online ? s->o.start_epoch : s->o.start_epoch - 11 * 3600;
    d->current_job = d->previous_job = -1;
}

static void pod_suffix(uint64_t *rng, char out[8])
{
    static const char al[] = "bcdfghjklmnpqrstvwxz2456789";
    for (int i = 0; i < 5; i++) {
        out[i] = al[sim_rand(rng) % (sizeof al - 1)];
    }
    out[5] = '\0';
}

void sim_model_init(struct sim *s)
{
    const struct preset *p = &presets[0];
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        if (strcmp(presets[i].name, s->o.preset) == 0) {
            p = &presets[i];
        }
    }
    s->rng = s->o.seed * 0x2545F4914F6CDD1DULL + 1;
    s->sim_now = s->o.start_epoch;
    s->unrunnable_job = -1;
    s->workspaces_total = p->workspaces;
    s->ws_running = p->running;
    s->users_active = p->users * 93 / 100;
    s->users_dormant = p->users * 5 / 100;
    s->users_suspended = p->users * 2 / 100;
    s->license_limit = p->users + p->users / 10;

    char rs[8], ps[8];
    pod_suffix(&s->rng, rs);
    s->n_replicas = p->replicas;
    for (int i = 0; i < s->n_replicas; i++) {
        struct sim_replica *r = &s->rep[i];
        char sfx[8];
        pod_suffix(&s->rng, sfx);
        snprintf(r->hostname, sizeof r->hostname, "coder-7d9f6c5b8-%s", sfx);
        snprintf(r->ip, sizeof r->ip, "%s", s->o.single_ip ? "127.0.0.1" : "");
        if (!s->o.single_ip) {
            snprintf(r->ip, sizeof r->ip, "127.0.0.%d", 11 + i);
        }
        r->present = true;
        replica_new_identity(s, r, s->o.start_epoch - 3600 * (10 + i) - 37.0 * i);
        r->derp_expvar_only = i >= s->n_replicas - s->o.derp_expvar_only;
    }
    s->relay_factor = 1.0;

    /* tag sets: prod (default org), gpu (second org), staging (no daemon ever),
     * and the default tags for built-in daemons */
    s->n_tagsets = 0;
    struct sim_tagset *t0 = &s->ts[s->n_tagsets++];
    t0->org = 0;
    tags_set(&t0->tags, "owner", "");
    tags_set(&t0->tags, "scope", "organization");
    tags_set(&t0->tags, "cluster", "prod");
    t0->build_s = 90;
    struct sim_tagset *t1 = &s->ts[s->n_tagsets++];
    t1->org = 1;
    tags_set(&t1->tags, "owner", "");
    tags_set(&t1->tags, "scope", "organization");
    tags_set(&t1->tags, "gpu", "true");
    t1->build_s = 200;
    struct sim_tagset *t2 = &s->ts[s->n_tagsets++];
    t2->org = 0;
    tags_set(&t2->tags, "owner", "");
    tags_set(&t2->tags, "scope", "organization");
    tags_set(&t2->tags, "cluster", "staging");
    t2->build_s = 90;
    s->unrunnable_tagset = 2;
    int builtin_ts = -1;
    if (s->o.builtin_provisioners > 0) {
        builtin_ts = s->n_tagsets;
        struct sim_tagset *t3 = &s->ts[s->n_tagsets++];
        t3->org = 0;
        tags_set(&t3->tags, "owner", "");
        tags_set(&t3->tags, "scope", "organization");
        t3->build_s = 60;
    }

    /* undersized: a burst pool of 3 daemons offered 1.5x what they can build */
    int burst_ts = -1;
    if (strcmp(s->o.scenario, "undersized") == 0) {
        burst_ts = s->n_tagsets;
        struct sim_tagset *t4 = &s->ts[s->n_tagsets++];
        t4->org = 0;
        tags_set(&t4->tags, "owner", "");
        tags_set(&t4->tags, "scope", "organization");
        tags_set(&t4->tags, "cluster", "burst");
        t4->build_s = 60;
        t4->from_start = true;
    }

    int n_gpu = p->provisioners / 10;
    int n_prod = p->provisioners - n_gpu;
    int n_builtin = s->o.builtin_provisioners * s->n_replicas;
    s->daemons = calloc((size_t)(p->provisioners + n_builtin + 8), sizeof *s->daemons);
    if (!s->daemons) {
        abort();
    }
    s->n_deploy = 2;
    snprintf(s->dep[0].name, sizeof s->dep[0].name, "coder-provisioner");
    s->dep[0].tagset = 0;
    snprintf(s->dep[1].name, sizeof s->dep[1].name, "gpu-provisioner");
    s->dep[1].tagset = 1;
    for (int i = 0; i < 2; i++) {
        sim_hist_init(&s->dep[i].job_hist_ok, job_le, 8);
        sim_hist_init(&s->dep[i].job_hist_failed, job_le, 8);
    }
    pod_suffix(&s->rng, ps);
    /* A deployment mid-upgrade (daemons one version behind) is part of the
     * incident; the steady deployment runs one version everywhere. */
    const char *old = strcmp(s->o.scenario, "incident") == 0 ? SIM_VERSION_OLD : SIM_VERSION;
    for (int i = 0; i < n_prod; i++) {
        char name[64], sfx[8];
        pod_suffix(&s->rng, sfx);
        bool last = i == n_prod - 1;
        snprintf(name, sizeof name, "coder-provisioner-6f7b9d8c5d-%s", sfx);
        add_daemon(s, 0, 0, 0, name, "k8s-prod", last ? old : SIM_VERSION, !last);
    }
    for (int i = 0; i < n_gpu; i++) {
        char name[64];
        snprintf(name, sizeof name, "gpu-provisioner-%d", i);
        add_daemon(s, 1, 1, 1, name, "gpu-pool", i == 0 ? old : SIM_VERSION, true);
    }
    if (burst_ts >= 0) {
        s->n_deploy = 3;
        snprintf(s->dep[2].name, sizeof s->dep[2].name, "burst-provisioner");
        s->dep[2].tagset = burst_ts;
        sim_hist_init(&s->dep[2].job_hist_ok, job_le, 8);
        sim_hist_init(&s->dep[2].job_hist_failed, job_le, 8);
        for (int i = 0; i < 3; i++) {
            char name[64];
            snprintf(name, sizeof name, "burst-provisioner-%d", i);
            add_daemon(s, 0, 2, burst_ts, name, "burst-pool", SIM_VERSION, true);
        }
        s->ts[burst_ts].arrival_per_s = 1.5 * 3 / s->ts[burst_ts].build_s;
    }
    for (int r = 0; r < s->n_replicas; r++) {
        for (int i = 0; i < s->o.builtin_provisioners; i++) {
            char name[80];
            snprintf(name, sizeof name, "%s-%d", s->rep[r].hostname, i);
            add_daemon(s, 0, -1, builtin_ts, name, "built-in", SIM_VERSION, true);
        }
    }
    t0->arrival_per_s = 0.4 * (n_prod - 1) / t0->build_s;
    t1->arrival_per_s = 0.3 * n_gpu / t1->build_s;
    if (builtin_ts >= 0) {
        s->ts[builtin_ts].arrival_per_s = 0.2 * n_builtin / s->ts[builtin_ts].build_s;
    }

    s->n_proxies = p->proxies;
    for (int i = 0; i < s->n_proxies; i++) {
        struct sim_proxy *x = &s->prox[i];
        sim_uuid(&s->rng, x->id);
        snprintf(x->name, sizeof x->name, "%s", proxy_names[i][0]);
        snprintf(x->display, sizeof x->display, "%s", proxy_names[i][1]);
        snprintf(x->icon, sizeof x->icon, "%s", proxy_names[i][2]);
        snprintf(x->version, sizeof x->version, "%s", SIM_VERSION);
        snprintf(x->status, sizeof x->status, "ok");
        x->created_at = s->o.start_epoch - 86400 * 60;
    }

    const char *nsn[] = {"coder", "coder-provisioners", "coder-workspaces", "kube-system",
                         "default"};
    s->n_ns = 5;
    for (int i = 0; i < s->n_ns; i++) {
        struct sim_ns *ns = &s->ns[i];
        snprintf(ns->name, sizeof ns->name, "%s", nsn[i]);
        ns->has_quota = i < 3;
    }
    s->ns[0].cpu_hard = 64;
    s->ns[0].mem_hard = 256.0 * 1073741824.0;
    s->ns[0].pods_hard = 50;
    s->ns[1].cpu_hard = ceil(p->provisioners * 1.25);
    s->ns[1].mem_hard = ceil(p->provisioners * 1.25) * 1073741824.0;
    s->ns[1].pods_hard = ceil(p->provisioners * 1.25);
    s->ns[2].mem_hard = (double)p->workspaces * 0.6 * 4 * 1.5 * 1073741824.0;
    s->ns[2].pods_hard = (double)p->workspaces;
    s->ns[2].lim_cpu_hard = (double)p->workspaces * 0.6 * 2 * 1.5;

    set_replica_targets(s);
    set_world(s);
    /* warm up: an hour of history before the start so counters and queues look lived-in */
    double start = s->o.start_epoch;
    s->sim_now = start - 3600;
    bool was_incident = incident(s);
    char sc[16];
    snprintf(sc, sizeof sc, "%s", s->o.scenario);
    snprintf(s->o.scenario, sizeof s->o.scenario, "steady");
    sim_model_advance(s, start);
    snprintf(s->o.scenario, sizeof s->o.scenario, "%s", sc);
    (void)was_incident;
    set_replica_targets(s);
    set_world(s);
    sim_derp_targets(s);
}

/* Whole numbers (bytes, counts) as JSON integers so they stay exact. */
static json_t *jnum(double v)
{
    if (v == floor(v) && fabs(v) < 9e15) {
        return json_integer((json_int_t)v);
    }
    return json_real(v);
}

static json_t *tags_json(const struct sim_tags *t)
{
    json_t *o = json_object();
    for (int i = 0; i < t->n; i++) {
        json_object_set_new(o, t->k[i], json_string(t->v[i]));
    }
    return o;
}

static const char *org_name(int org)
{
    return org == 0 ? "coder" : "platform-eng";
}

json_t *sim_truth(struct sim *s)
{
    char tb[40];
    json_t *t = json_object();
    sim_time_fmt(s->sim_now, tb);
    json_object_set_new(t, "sim_time", json_string(tb));
    json_object_set_new(t, "sim_unix", json_real(s->sim_now));
    json_object_set_new(t, "sim_elapsed_s", json_real(s->sim_now - s->o.start_epoch));
    json_object_set_new(t, "speed", json_real(s->o.speed));
    json_object_set_new(t, "preset", json_string(s->o.preset));
    json_object_set_new(t, "scenario", json_string(s->o.scenario));
    json_t *ph = json_array();
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", s->phase);
    for (char *save = NULL, *tok = strtok_r(tmp, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        json_array_append_new(ph, json_string(tok));
    }
    json_object_set_new(t, "phases", ph);

    json_t *reps = json_array();
    double relayed = 0;
    for (int i = 0; i < s->n_replicas; i++) {
        struct sim_replica *r = &s->rep[i];
        json_t *o = json_object();
        char url[80];
        json_object_set_new(o, "index", json_integer(i));
        json_object_set_new(o, "id", json_string(r->id));
        json_object_set_new(o, "hostname", json_string(r->hostname));
        json_object_set_new(o, "present", json_boolean(r->present));
        sim_time_fmt(r->created_at, tb);
        json_object_set_new(o, "created_at", json_string(tb));
        snprintf(url, sizeof url, "http://%s:%d", r->ip, r->port);
        json_object_set_new(o, "relay_address", json_string(url));
        snprintf(url, sizeof url, "http://%s:%d/metrics", r->ip, r->port);
        json_object_set_new(o, "metrics_url", json_string(url));
        json_object_set_new(o, "db_latency_ms", json_real(r->db_latency_ms));
        json_object_set_new(o, "api_p50_ms", json_real(r->api_p50_ms));
        json_object_set_new(o, "api_p95_ms", json_real(r->api_p95_ms));
        json_object_set_new(o, "api_p99_ms", json_real(r->api_p99_ms));
        /* the DB query histogram's configured quantiles (see step_counters) */
        json_object_set_new(o, "db_query_p50_ms", json_real(r->db_latency_ms * 1.3));
        json_object_set_new(o, "db_query_p95_ms", json_real(r->db_latency_ms * 4));
        json_object_set_new(o, "db_query_p99_ms", json_real(r->db_latency_ms * 8));
        json_object_set_new(o, "requests_per_s", json_real(r->req_per_s));
        json_object_set_new(o, "cpu_cores", json_real(r->cpu_cores));
        json_object_set_new(o, "error", json_string(r->error));
        json_object_set_new(o, "derp",
                            sim_derp_truth(&r->derp, r->derp_expvar_only ? "expvar" : "metrics"));
        relayed += r->present ? r->derp.bytes_per_s : 0;
        json_array_append_new(reps, o);
    }
    json_object_set_new(t, "replicas", reps);

    json_t *qs = json_array();
    for (int k = 0; k < s->n_tagsets; k++) {
        long pending = 0, running = 0;
        double oldest = -1;
        for (long i = 0; i < s->n_jobs; i++) {
            struct sim_job *j = &s->jobs[i];
            if (j->tagset != k) {
                continue;
            }
            if (j->status == JOB_PENDING) {
                pending++;
                if (oldest < 0 || j->created_at < oldest) {
                    oldest = j->created_at;
                }
            } else if (j->status == JOB_RUNNING) {
                running++;
            }
        }
        int on, idle, off;
        sim_tagset_daemons(s, k, &on, &idle, &off);
        json_t *o = json_object();
        json_object_set_new(o, "organization", json_string(org_name(s->ts[k].org)));
        json_object_set_new(o, "tags", tags_json(&s->ts[k].tags));
        json_object_set_new(o, "pending", json_integer(pending));
        json_object_set_new(o, "running", json_integer(running));
        json_object_set_new(o, "daemons", json_integer(on));
        json_object_set_new(o, "idle", json_integer(idle));
        json_object_set_new(o, "offline", json_integer(off));
        json_object_set_new(o, "oldest_pending_s",
                            oldest < 0 ? json_null() : json_real(s->sim_now - oldest));
        /* the demand as configured: arrivals, mean build (durations are
         * uniform in 0.4..1.6 x build_s), and the M/M/c sizing for a p95
         * wait of 30 s, the same model scaletop applies to what it sees */
        double rate = s->ts[k].arrival_per_s;
        if (s->ts[k].from_start && s->sim_now < s->o.start_epoch) {
            rate = 0;
        }
        json_object_set_new(o, "arrival_per_s", json_real(rate));
        json_object_set_new(o, "build_mean_s", json_real(s->ts[k].build_s));
        json_object_set_new(o, "load", json_real(rate * s->ts[k].build_s));
        json_object_set_new(o, "daemons_needed_p95_30s",
                            json_integer(sim_daemons_needed(rate, s->ts[k].build_s, 30, 0.95)));
        json_array_append_new(qs, o);
    }
    json_object_set_new(t, "queues", qs);

    int online = 0, busy = 0;
    for (int i = 0; i < s->n_daemons; i++) {
        online += s->daemons[i].online;
        busy += s->daemons[i].online && s->daemons[i].current_job >= 0;
    }
    json_t *dm = json_object();
    json_object_set_new(dm, "total", json_integer(s->n_daemons));
    json_object_set_new(dm, "online", json_integer(online));
    json_object_set_new(dm, "busy", json_integer(busy));
    json_object_set_new(dm, "builtin", json_integer(s->o.builtin_provisioners * s->n_replicas));
    json_object_set_new(t, "daemons", dm);

    json_t *un = json_array();
    for (long i = 0; i < s->n_jobs; i++) {
        struct sim_job *j = &s->jobs[i];
        if (j->status != JOB_PENDING) {
            continue;
        }
        int on, idle, off;
        int all = sim_tagset_daemons(s, j->tagset, &on, &idle, &off);
        if (on > 0) {
            continue;
        }
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(j->id));
        json_object_set_new(o, "organization", json_string(org_name(j->org)));
        json_object_set_new(o, "tags", tags_json(&s->ts[j->tagset].tags));
        json_object_set_new(o, "age_s", json_real(s->sim_now - j->created_at));
        json_object_set_new(
            o, "reason", json_string(all == 0 ? "no_matching_daemon" : "matching_daemons_offline"));
        json_array_append_new(un, o);
    }
    json_object_set_new(t, "unrunnable_jobs", un);

    json_t *st = json_array();
    for (int i = 0; i < s->n_stopped; i++) {
        const struct sim_stopped *x = &s->stopped[i];
        sim_time_fmt(x->at, tb);
        json_array_append_new(st, json_pack("{s:s,s:s,s:s,s:s,s:s}", "daemon_id", x->daemon_id,
                                            "name", x->name, "job_id", x->job_id, "job_status",
                                            "failed", "at", tb));
    }
    json_object_set_new(t, "stopped_mid_build", st);

    json_t *px = json_array();
    for (int i = 0; i < s->n_proxies; i++) {
        struct sim_proxy *x = &s->prox[i];
        json_t *o = json_object();
        char url[80];
        json_object_set_new(o, "name", json_string(x->name));
        json_object_set_new(o, "status", json_string(x->status));
        json_object_set_new(o, "healthy", json_boolean(strcmp(x->status, "ok") == 0));
        json_object_set_new(o, "healthz_delay_ms", json_integer(x->slow_ms));
        snprintf(url, sizeof url, "http://127.0.0.1:%d", x->port);
        json_object_set_new(o, "url", json_string(url));
        snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", x->port);
        json_object_set_new(o, "metrics_url", json_string(url));
        json_object_set_new(o, "derp", sim_derp_truth(&x->derp, "metrics"));
        relayed += x->derp.bytes_per_s;
        json_array_append_new(px, o);
    }
    json_object_set_new(t, "proxies", px);
    json_t *codes = json_array();
    if (s->stun_failing) {
        json_array_append_new(codes, json_string("ESTUN01"));
    }
    if (s->derp_websocket) {
        json_array_append_new(codes, json_string("EDERP01"));
    }
    json_object_set_new(t, "network",
                        json_pack("{s:b,s:b,s:f,s:o,s:f}", "stun_failing", s->stun_failing,
                                  "derp_websocket", s->derp_websocket, "relay_factor",
                                  s->relay_factor, "health_codes", codes, "relayed_bytes_per_s",
                                  relayed));

    json_t *nss = json_array();
    for (int i = 0; i < s->n_ns; i++) {
        struct sim_ns *ns = &s->ns[i];
        json_t *o = json_object(), *res = json_object();
        json_object_set_new(o, "name", json_string(ns->name));
        if (ns->has_quota) {
            struct {
                const char *k;
                double u, h;
            } kv[] = {{"requests.cpu", ns->cpu_used, ns->cpu_hard},
                      {"requests.memory", ns->mem_used, ns->mem_hard},
                      {"pods", ns->pods_used, ns->pods_hard},
                      {"limits.cpu", ns->lim_cpu_used, ns->lim_cpu_hard}};
            for (int k = 0; k < 4; k++) {
                if (kv[k].h <= 0) {
                    continue;
                }
                json_t *r = json_object();
                json_object_set_new(r, "used", jnum(kv[k].u));
                json_object_set_new(r, "hard", jnum(kv[k].h));
                json_object_set_new(res, kv[k].k, r);
            }
        }
        json_object_set_new(o, "resources", res);
        json_array_append_new(nss, o);
    }
    json_object_set_new(t, "namespaces", nss);
    json_object_set_new(t, "cluster", sim_k8s_cluster_truth(s));
    json_object_set_new(t, "nodes", sim_k8s_nodes_truth(s));
    json_object_set_new(t, "metrics_api", json_boolean(!s->o.no_metrics_api));

    json_t *ws = json_object();
    json_object_set_new(ws, "total", json_integer(s->workspaces_total));
    json_object_set_new(ws, "running", json_integer(s->ws_running));
    json_object_set_new(ws, "stopped", json_integer(s->ws_stopped));
    json_object_set_new(ws, "failed", json_integer(s->ws_failed));
    json_object_set_new(ws, "pending", json_integer(s->ws_pending));
    json_object_set_new(ws, "starting", json_integer(s->ws_starting));
    json_object_set_new(t, "workspaces", ws);
    json_t *us = json_object();
    json_object_set_new(us, "active", json_integer(s->users_active));
    json_object_set_new(us, "dormant", json_integer(s->users_dormant));
    json_object_set_new(us, "suspended", json_integer(s->users_suspended));
    json_object_set_new(t, "users", us);
    json_object_set_new(t, "cost", sim_cost_truth(s));
    return t;
}

int sim_daemons_needed(double lambda, double build_s, double target_s, double q)
{
    double a = lambda * build_s;
    if (!(a > 0)) {
        return 0;
    }
    for (int c = (int)floor(a) + 1; c < 100000; c++) {
        double b = 1;
        for (int k = 1; k <= c; k++) {
            b = a * b / (k + a * b);
        }
        double erlang_c = c * b / (c - a * (1 - b));
        if (erlang_c * exp(-(c - a) * target_s / build_s) <= 1 - q + 1e-12) {
            return c;
        }
    }
    return -1;
}

int sim_stop_daemon(struct sim *s, const char *name)
{
    int pick = -1;
    for (int i = 0; i < s->n_daemons && pick < 0; i++) {
        struct sim_daemon *d = &s->daemons[i];
        bool match = name && *name ? strcmp(d->name, name) == 0 : d->deploy == 0 && d->tagset == 0;
        if (match && d->online && d->current_job >= 0) {
            pick = i;
        }
    }
    if (pick < 0) {
        return -1;
    }
    struct sim_daemon *d = &s->daemons[pick];
    long idx = d->current_job;
    struct sim_job *j = &s->jobs[idx];
    if (s->n_stopped < SIM_MAX_STOPPED) {
        struct sim_stopped *x = &s->stopped[s->n_stopped++];
        snprintf(x->daemon_id, sizeof x->daemon_id, "%s", d->id);
        snprintf(x->name, sizeof x->name, "%s", d->name);
        snprintf(x->job_id, sizeof x->job_id, "%s", j->id);
        x->at = s->sim_now;
    }
    /* SIGINT: provisionerd cancels the job (a failed build) and exits */
    job_finish(s, j, idx, JOB_FAILED);
    d->online = false;
    return pick;
}
