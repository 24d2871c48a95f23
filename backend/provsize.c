/*
 * Provisioner sizing and stopped-mid-build detection (see provsize.h and
 * docs/provisioners.md for the method and its assumptions).
 *
 * Invariants: every time in the per-minute ring is deployment time (a job's
 * created_at or started_at, or the tracker's estimate of the deployment's
 * "now": the newest such time seen); a job is counted as an arrival once,
 * when first seen, and only if it was created after the tracker's anchor
 * (the newest time of the first poll that listed jobs), since jobs that came
 * and went before that were never seen; a start is counted once, when a job
 * is first seen running, under the same rule. Memory is bounded: at most
 * PS_MAX_QUEUES rings, PS_MAX_STOPPED stopped daemons; the job and busy
 * daemon sets hold what one poll listed.
 */
#include "backend/provsize.h"

#include "backend/coder.h"
#include "backend/series.h"
#include "backend/xalloc.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PS_SLOTS       1441 /* one per minute: a day, and the minute in progress */
#define PS_MAX_QUEUES  32
#define PS_MAX_STOPPED 16
#define PS_MIN_WAITS   5 /* observations before a wait quantile is given */

/* Upper bounds (s) of the wait histogram; a last bucket holds the rest. */
static const double wait_le[] = {1,   2,   5,   10,  20,  30,   45,   60,  90,
                                 120, 180, 300, 600, 900, 1800, 3600, 7200};
#define PS_NB (sizeof wait_le / sizeof *wait_le + 1)

struct slot {
    long minute; /* deployment minute this slot holds; another value: empty */
    uint32_t arrivals, starts, ends, polls;
    float running_sum;
    uint16_t running_max;
    uint16_t wait[PS_NB];
};

struct qtrack {
    char *key; /* "ORG\x1fk=v,k=v" */
    struct slot slots[PS_SLOTS];
};

struct seen_job {
    char *id;
    bool started;
    struct qtrack *q; /* its queue (NULL past PS_MAX_QUEUES); rings live as long as t */
};

struct daemon_rec {
    char *id, *name, *org, *job, *job_status, *how;
    char **keys, **values; /* the tag set */
    size_t ntags;
    double detected_at, last_seen_at;
};

struct provsize {
    struct qtrack *q[PS_MAX_QUEUES];
    size_t nq;
    bool anchored;
    double t_start, t_end; /* deployment time: anchor, and newest seen */
    struct seen_job *seen; /* previous poll's jobs, sorted by id */
    size_t nseen;
    struct daemon_rec *busy; /* previous poll's busy daemons */
    size_t nbusy;
    bool have_busy;
    struct daemon_rec stopped[PS_MAX_STOPPED];
    size_t nstopped;
};

struct provsize *provsize_new(void)
{
    return xcalloc(1, sizeof(struct provsize));
}

static void seen_free(struct seen_job *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].id);
    }
    free(v);
}

static void rec_fini(struct daemon_rec *r)
{
    free(r->id);
    free(r->name);
    free(r->org);
    free(r->job);
    free(r->job_status);
    free(r->how);
    for (size_t i = 0; i < r->ntags; i++) {
        free(r->keys[i]);
        free(r->values[i]);
    }
    free(r->keys);
    free(r->values);
    memset(r, 0, sizeof *r);
}

static void busy_free(struct provsize *t)
{
    for (size_t i = 0; i < t->nbusy; i++) {
        rec_fini(&t->busy[i]);
    }
    free(t->busy);
    t->busy = NULL;
    t->nbusy = 0;
}

void provsize_free(struct provsize *t)
{
    if (!t) {
        return;
    }
    for (size_t i = 0; i < t->nq; i++) {
        free(t->q[i]->key);
        free(t->q[i]);
    }
    seen_free(t->seen, t->nseen);
    busy_free(t);
    for (size_t i = 0; i < t->nstopped; i++) {
        rec_fini(&t->stopped[i]);
    }
    free(t);
}

/* ---- the queueing model ---------------------------------------------------- */

double provsize_erlang_c(double c, double load)
{
    if (!(load > 0)) {
        return 0;
    }
    if (!(c > load)) {
        return 1;
    }
    /* Erlang B by its recurrence, stable for any c. */
    double b = 1;
    for (long k = 1; k <= (long)c; k++) {
        b = load * b / ((double)k + load * b);
    }
    return c * b / (c - load * (1 - b));
}

double provsize_wait_exceeds(double c, double load, double build_s, double wait_s)
{
    if (!(load > 0)) {
        return 0;
    }
    if (!(c > load)) {
        return 1;
    }
    return provsize_erlang_c(c, load) * exp(-(c - load) * wait_s / build_s);
}

double provsize_daemons_needed(double load, double build_s, double target_wait_s, double quantile)
{
    if (isnan(load) || isnan(build_s) || isnan(target_wait_s) || !(build_s > 0) || load < 0) {
        return NAN;
    }
    if (load == 0) {
        return 0;
    }
    double c = floor(load) + 1;
    for (int i = 0; i < 100000; i++, c++) {
        if (provsize_wait_exceeds(c, load, build_s, target_wait_s) <= 1 - quantile + 1e-12) {
            return c;
        }
    }
    return NAN;
}

/* ---- per-minute ring --------------------------------------------------------- */

static struct slot *slot_at(struct qtrack *q, double t)
{
    long minute = (long)floor(t / 60.0);
    struct slot *s = &q->slots[((minute % PS_SLOTS) + PS_SLOTS) % PS_SLOTS];
    if (s->minute != minute) {
        memset(s, 0, sizeof *s);
        s->minute = minute;
    }
    return s;
}

static size_t wait_bucket(double w)
{
    size_t b = 0;
    while (b < PS_NB - 1 && w > wait_le[b]) {
        b++;
    }
    return b;
}

/* The q-quantile of histogram counts h (linear inside a bucket). */
static double hist_quantile(const double *h, double q)
{
    double total = 0;
    for (size_t i = 0; i < PS_NB; i++) {
        total += h[i];
    }
    if (total < PS_MIN_WAITS) {
        return NAN;
    }
    double rank = q * total, cum = 0;
    for (size_t i = 0; i < PS_NB; i++) {
        if (h[i] > 0 && cum + h[i] >= rank) {
            if (i == PS_NB - 1) {
                return wait_le[PS_NB - 2]; /* beyond the last bound: a lower bound */
            }
            double lo = i ? wait_le[i - 1] : 0;
            return lo + (wait_le[i] - lo) * (rank - cum) / h[i];
        }
        cum += h[i];
    }
    return wait_le[PS_NB - 2];
}

static char *queue_key(const char *org, const struct tagset *tags)
{
    char tb[512];
    tagset_format(tb, sizeof tb, tags, ",", "");
    return xasprintf("%s\x1f%s", org ? org : "", tb);
}

static struct qtrack *track_for(struct provsize *t, const char *org, const struct tagset *tags)
{
    char *key = queue_key(org, tags);
    for (size_t i = 0; i < t->nq; i++) {
        if (strcmp(t->q[i]->key, key) == 0) {
            free(key);
            return t->q[i];
        }
    }
    if (t->nq == PS_MAX_QUEUES) {
        free(key);
        return NULL;
    }
    struct qtrack *q = xcalloc(1, sizeof *q);
    for (size_t i = 0; i < PS_SLOTS; i++) {
        q->slots[i].minute = LONG_MIN;
    }
    q->key = key;
    t->q[t->nq++] = q;
    return q;
}

static int seen_cmp(const void *a, const void *b)
{
    return strcmp(((const struct seen_job *)a)->id, ((const struct seen_job *)b)->id);
}

static int seen_key_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct seen_job *)elem)->id);
}

static const struct seen_job *seen_find(const struct provsize *t, const char *id)
{
    if (!t->nseen) {
        return NULL;
    }
    return bsearch(id, t->seen, t->nseen, sizeof *t->seen, seen_key_cmp);
}

static bool is(const char *a, const char *b)
{
    return a && strcmp(a, b) == 0;
}

/* ---- jobs -------------------------------------------------------------------- */

static void observe_jobs(struct provsize *t, const struct snapshot *snap)
{
    const struct provisioners *p = &snap->provisioners;
    double newest = -INFINITY;
    for (size_t i = 0; i < p->njobs; i++) {
        const struct job *j = &p->jobs[i];
        if (isfinite(j->created_at) && j->created_at > newest) {
            newest = j->created_at;
        }
        if (isfinite(j->started_at) && j->started_at > newest) {
            newest = j->started_at;
        }
    }
    bool first = !t->anchored;
    if (first) {
        if (!isfinite(newest)) {
            return; /* nothing listed yet: no anchor */
        }
        t->anchored = true;
        t->t_start = t->t_end = newest;
    } else if (newest > t->t_end) {
        t->t_end = newest;
    }

    struct seen_job *next = p->njobs ? xcalloc(p->njobs, sizeof *next) : NULL;
    size_t nnext = 0;
    for (size_t i = 0; i < p->njobs; i++) {
        const struct job *j = &p->jobs[i];
        bool running = is(j->status, "running"), pending = is(j->status, "pending");
        if (!j->id || (!running && !pending)) {
            continue;
        }
        const struct seen_job *prev = first ? NULL : seen_find(t, j->id);
        struct qtrack *q = track_for(t, j->organization, &j->tags);
        if (!first && q) {
            if (!prev && j->created_at > t->t_start && j->created_at > t->t_end - 86400) {
                slot_at(q, j->created_at)->arrivals++;
            }
            if (running && !(prev && prev->started) && j->started_at > t->t_start &&
                j->started_at > t->t_end - 86400) {
                struct slot *s = slot_at(q, j->started_at);
                s->starts++;
                double w = j->started_at - j->created_at;
                uint16_t *c = &s->wait[wait_bucket(w > 0 ? w : 0)];
                *c = *c < UINT16_MAX ? *c + 1 : *c;
            }
        }
        next[nnext].id = xstrdup(j->id);
        next[nnext].started = running || (prev && prev->started);
        next[nnext].q = q;
        nnext++;
    }
    if (nnext > 1) {
        qsort(next, nnext, sizeof *next, seen_cmp);
    }
    /* A job listed before and not now has left the system: a build ended
     * (or, rarely, a pending job was canceled) at some time since. */
    for (size_t i = 0; !first && i < t->nseen; i++) {
        if (t->seen[i].q &&
            !(nnext && bsearch(t->seen[i].id, next, nnext, sizeof *next, seen_key_cmp))) {
            slot_at(t->seen[i].q, t->t_end)->ends++;
        }
    }
    seen_free(t->seen, t->nseen);
    t->seen = next;
    t->nseen = nnext;

    /* Running builds, sampled once per poll at the deployment's "now". */
    for (size_t i = 0; i < p->nqueues; i++) {
        const struct queue *qu = &p->queues[i];
        struct qtrack *q = track_for(t, qu->organization, &qu->tags);
        if (!q || isnan(qu->running)) {
            continue;
        }
        struct slot *s = slot_at(q, t->t_end);
        s->polls++;
        s->running_sum += (float)qu->running;
        if (qu->running > s->running_max) {
            s->running_max = qu->running > UINT16_MAX ? UINT16_MAX : (uint16_t)qu->running;
        }
    }
}

struct window {
    double span_s;
    double arrivals, starts, ends, polls, running_sum, running_max;
    double wait[PS_NB];
};

static void window_sum(const struct provsize *t, const struct qtrack *q, double len_s,
                       struct window *w)
{
    memset(w, 0, sizeof *w);
    w->running_max = NAN;
    double from = fmax(t->t_start, t->t_end - len_s);
    w->span_s = t->t_end - from;
    long m0 = (long)floor(from / 60.0), m1 = (long)floor(t->t_end / 60.0);
    bool any_poll = false;
    for (long m = m0; m <= m1; m++) {
        const struct slot *s = &q->slots[((m % PS_SLOTS) + PS_SLOTS) % PS_SLOTS];
        if (s->minute != m) {
            continue;
        }
        w->arrivals += s->arrivals;
        w->starts += s->starts;
        w->ends += s->ends;
        w->polls += s->polls;
        w->running_sum += s->running_sum;
        if (s->polls) {
            w->running_max = any_poll ? fmax(w->running_max, s->running_max) : s->running_max;
            any_poll = true;
        }
        for (size_t b = 0; b < PS_NB; b++) {
            w->wait[b] += s->wait[b];
        }
    }
}

/* The recorded peak of a queue's running builds over the last len_s. */
static double history_peak(const struct advisor_history *h, const struct snapshot *snap,
                           const struct queue *qu, double len_s)
{
    char name[600];
    struct advisor_series_stats st;
    if (!h || !h->stats) {
        return NAN;
    }
    series_queue(name, sizeof name, qu->organization, &qu->tags, "running");
    if (h->stats(h->ctx, name, snap->time - len_s, snap->time, &st) != 0 || st.n == 0) {
        return NAN;
    }
    return st.max;
}

static void estimate(struct provsize *t, struct snapshot *snap, const struct advisor_history *hist,
                     double target_wait_s)
{
    struct provisioners *p = &snap->provisioners;
    struct {
        char *key;
        size_t bucket;
    } *pending = p->njobs ? xcalloc(p->njobs, sizeof *pending) : NULL;
    size_t npending = 0;
    for (size_t j = 0; t->anchored && j < p->njobs; j++) {
        const struct job *jb = &p->jobs[j];
        if (is(jb->status, "pending") && isfinite(jb->created_at)) {
            pending[npending].key = queue_key(jb->organization, &jb->tags);
            pending[npending++].bucket = wait_bucket(fmax(0, t->t_end - jb->created_at));
        }
    }
    for (size_t i = 0; i < p->nqueues; i++) {
        struct queue *qu = &p->queues[i];
        struct qtrack *q = t->anchored ? track_for(t, qu->organization, &qu->tags) : NULL;
        double peak_h = history_peak(hist, snap, qu, 3600),
               peak_d = history_peak(hist, snap, qu, 86400);
        if (!q) {
            qu->peak_running_1h = fmax(peak_h, qu->running); /* fmax ignores a NAN */
            qu->peak_running_1d = fmax(peak_d, qu->running);
            continue;
        }
        /* Jobs still pending count as waits of at least their age so far. */
        double pend[PS_NB] = {0};
        for (size_t j = 0; j < npending; j++) {
            if (strcmp(pending[j].key, q->key) == 0) {
                pend[pending[j].bucket] += 1;
            }
        }
        struct window h, d;
        window_sum(t, q, 3600, &h);
        window_sum(t, q, 86400, &d);
        for (size_t b = 0; b < PS_NB; b++) {
            h.wait[b] += pend[b];
            d.wait[b] += pend[b];
        }
        qu->wait_p95_1h_s = hist_quantile(h.wait, PROVSIZE_QUANTILE);
        qu->wait_p95_1d_s = hist_quantile(d.wait, PROVSIZE_QUANTILE);
        qu->peak_running_1h = fmax(fmax(peak_h, h.running_max), qu->running);
        qu->peak_running_1d = fmax(fmax(peak_d, d.running_max), qu->running);
        qu->sizing_window_s = h.span_s;
        if (h.span_s < PROVSIZE_MIN_WINDOW_S || h.polls < 2) {
            continue; /* not enough history */
        }
        qu->arrivals_per_s = h.arrivals / h.span_s;
        if (h.ends < PROVSIZE_MIN_BUILDS) {
            continue;
        }
        /* Little's law on the builds: mean running = throughput x build time,
         * the throughput being the jobs that left the list. */
        double running_mean = h.running_sum / h.polls;
        qu->build_mean_s = running_mean / (h.ends / h.span_s);
        qu->load = qu->arrivals_per_s * qu->build_mean_s;
        qu->daemons_needed =
            provsize_daemons_needed(qu->load, qu->build_mean_s, target_wait_s, PROVSIZE_QUANTILE);
    }
    for (size_t j = 0; j < npending; j++) {
        free(pending[j].key);
    }
    free(pending);
}

/* ---- stopped mid-build ------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void rec_fill(struct daemon_rec *r, const struct daemon *d)
{
    r->id = dup_or_null(d->id);
    r->name = dup_or_null(d->name);
    r->org = dup_or_null(d->organization);
    r->job = dup_or_null(d->current_job);
    r->last_seen_at = d->last_seen_at;
    r->ntags = d->tags.n;
    r->keys = r->ntags ? xcalloc(r->ntags, sizeof *r->keys) : NULL;
    r->values = r->ntags ? xcalloc(r->ntags, sizeof *r->values) : NULL;
    for (size_t i = 0; i < r->ntags; i++) {
        r->keys[i] = dup_or_null(d->tags.tags[i].key);
        r->values[i] = dup_or_null(d->tags.tags[i].value);
    }
}

static void add_stopped(struct provsize *t, struct daemon_rec *r)
{
    if (t->nstopped == PS_MAX_STOPPED) {
        rec_fini(&t->stopped[0]); /* the oldest gives way */
        memmove(&t->stopped[0], &t->stopped[1], (PS_MAX_STOPPED - 1) * sizeof *t->stopped);
        t->nstopped--;
    }
    t->stopped[t->nstopped++] = *r;
    memset(r, 0, sizeof *r);
}

static void observe_daemons(struct provsize *t, const struct snapshot *snap)
{
    const struct provisioners *p = &snap->provisioners;
    for (size_t i = 0; t->have_busy && i < t->nbusy; i++) {
        struct daemon_rec *b = &t->busy[i];
        const struct daemon *now = NULL;
        for (size_t k = 0; k < p->ndaemons && !now; k++) {
            if (is(p->daemons[k].id, b->id)) {
                now = &p->daemons[k];
            }
        }
        if (now && now->status != DAEMON_OFFLINE) {
            continue;
        }
        /* The job it went away with: still its current one, else the last it
         * ran (it may have finished ours and taken another since the last
         * poll), else the one we saw. A last job that succeeded means it
         * finished its build and then stopped (SIGHUP): not mid-build. */
        const char *status = NULL;
        if (now && now->current_job) {
            free(b->job);
            b->job = xstrdup(now->current_job);
        } else if (now && now->previous_job) {
            if (is(now->previous_job_status, "succeeded")) {
                continue;
            }
            free(b->job);
            b->job = xstrdup(now->previous_job);
            status = now->previous_job_status;
        }
        for (size_t k = 0; k < p->njobs; k++) {
            if (is(p->jobs[k].id, b->job)) {
                status = p->jobs[k].status; /* still listed: pending or running */
            }
        }
        b->job_status = dup_or_null(status);
        b->how = xstrdup(now ? "offline" : "gone");
        b->detected_at = snap->time;
        if (now && isfinite(now->last_seen_at)) {
            b->last_seen_at = now->last_seen_at;
        }
        add_stopped(t, b);
    }
    busy_free(t);
    t->busy = p->ndaemons ? xcalloc(p->ndaemons, sizeof *t->busy) : NULL;
    for (size_t i = 0; i < p->ndaemons; i++) {
        const struct daemon *d = &p->daemons[i];
        if (d->id && d->current_job && d->status != DAEMON_OFFLINE) {
            rec_fill(&t->busy[t->nbusy++], d);
        }
    }
    t->have_busy = true;
}

static void emit_stopped(struct provsize *t, struct snapshot *snap)
{
    size_t kept = 0;
    for (size_t i = 0; i < t->nstopped; i++) {
        if (snap->time - t->stopped[i].detected_at > PROVSIZE_STOPPED_KEEP_S) {
            rec_fini(&t->stopped[i]);
        } else {
            t->stopped[kept++] = t->stopped[i];
        }
    }
    t->nstopped = kept;
    for (size_t i = 0; i < t->nstopped; i++) {
        const struct daemon_rec *r = &t->stopped[i];
        struct stopped_daemon *o = snapshot_add_stopped_daemon(snap);
        o->id = snapshot_str(snap, r->id);
        o->name = snapshot_str(snap, r->name);
        o->organization = snapshot_str(snap, r->org);
        struct tag tg[16];
        size_t n = r->ntags < 16 ? r->ntags : 16;
        for (size_t k = 0; k < n; k++) {
            tg[k].key = r->keys[k];
            tg[k].value = r->values[k];
        }
        o->tags = snapshot_tagset(snap, tg, n);
        o->job = snapshot_str(snap, r->job);
        o->job_status = snapshot_str(snap, r->job_status);
        o->how = snapshot_str(snap, r->how);
        o->detected_at = r->detected_at;
        o->last_seen_at = r->last_seen_at;
    }
}

void provsize_update(struct provsize *t, struct snapshot *snap, const struct advisor_history *hist,
                     double target_wait_s)
{
    const struct source_state *src = snapshot_find_source(snap, CODER_SRC_PROVISIONERS);
    if (src && src->status == SOURCE_OK) {
        observe_jobs(t, snap);
        observe_daemons(t, snap);
    } else {
        t->have_busy = false; /* a gap: nothing to compare the next poll with */
    }
    estimate(t, snap, hist, target_wait_s);
    emit_stopped(t, snap);
}
