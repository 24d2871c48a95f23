/*
 * The asynchronous series cache (seriescache.h). Invariants: every field
 * is guarded by mu; only the worker calls slow.range, and never with mu
 * held; a reader never waits for anything but mu. For each (series, column
 * count, window length within 10 %) at most one result is kept (the newest
 * fetched; a window that moved is answered by re-binning it until the new
 * fetch lands), plus the windows waiting to be fetched. The worker is
 * detached and holds one reference: seriescache_free drops the owner's and
 * returns at once, so quitting never waits for a request that is hanging
 * until its timeout.
 */
#include "backend/seriescache.h"

#include "backend/xalloc.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    char *name;
    size_t n;
    double from, to;
    double *v; /* n values once ready, else NULL */
    bool inflight;
    unsigned long used;    /* the clock when last asked for */
    unsigned long id;      /* when it was asked for first */
    unsigned long fetched; /* when its result arrived (0: not yet) */
};

struct seriescache {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct series_source slow;
    seriescache_fn free_slow, wake;
    void *wake_ctx;
    struct entry e[SERIESCACHE_MAX_ENTRIES];
    size_t ne;
    unsigned long clock, next_id, fetches;
    int refs; /* the owner and the worker */
    bool stop;
};

static void entry_drop(struct seriescache *c, size_t i)
{
    free(c->e[i].name);
    free(c->e[i].v);
    c->e[i] = c->e[--c->ne];
}

static void destroy(struct seriescache *c)
{
    while (c->ne) {
        entry_drop(c, c->ne - 1);
    }
    seriescache_fn free_slow = c->free_slow;
    void *slow = c->slow.ctx;
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
    if (free_slow) {
        free_slow(slow);
    }
}

/* Drops one reference (mu held, released here); frees c on the last. */
static void unref_unlock(struct seriescache *c)
{
    bool last = --c->refs == 0;
    pthread_mutex_unlock(&c->mu);
    if (last) {
        destroy(c);
    }
}

static bool same_window(const struct entry *x, double from, double to, size_t n)
{
    double half = (to - from) / (double)n / 2;
    return fabs(x->from - from) < half && fabs(x->to - to) < half;
}

/* Room for one more waiting read: the least recently asked waiting read
 * goes when too many wait, the least recently used result when full. */
static void make_room(struct seriescache *c)
{
    size_t waiting = 0, oldest_wait = SIZE_MAX, oldest_ready = SIZE_MAX;
    for (size_t i = 0; i < c->ne; i++) {
        const struct entry *x = &c->e[i];
        if (!x->v && !x->inflight) {
            waiting++;
            if (oldest_wait == SIZE_MAX || x->used < c->e[oldest_wait].used) {
                oldest_wait = i;
            }
        } else if (x->v && (oldest_ready == SIZE_MAX || x->used < c->e[oldest_ready].used)) {
            oldest_ready = i;
        }
    }
    if (waiting >= SERIESCACHE_MAX_PENDING && oldest_wait != SIZE_MAX) {
        entry_drop(c, oldest_wait);
    } else if (c->ne >= SERIESCACHE_MAX_ENTRIES) {
        entry_drop(c, oldest_ready != SIZE_MAX ? oldest_ready : oldest_wait);
    }
}

static size_t cache_range(void *ctx, const char *series, double from, double to, size_t n,
                          double *out)
{
    struct seriescache *c = ctx;
    for (size_t i = 0; i < n; i++) {
        out[i] = NAN;
    }
    if (n == 0 || !(to > from)) {
        return 0;
    }
    double w = (to - from) / (double)n;
    size_t filled = 0;
    bool fresh = false, queued = false;
    struct entry *best = NULL;
    pthread_mutex_lock(&c->mu);
    c->clock++;
    /* The result for this very window, else the newest for this series
     * and column count; and whether this window is already queued. */
    for (size_t i = 0; i < c->ne; i++) {
        struct entry *x = &c->e[i];
        if (x->n != n || strcmp(x->name, series) != 0) {
            continue;
        }
        bool same = same_window(x, from, to, n);
        if (!x->v) {
            if (same) {
                x->used = c->clock;
                queued = true;
            }
        } else if (same && !fresh) {
            best = x;
            fresh = true;
        } else if (!fresh && (!best || x->fetched > best->fetched)) {
            best = x;
        }
    }
    if (best) {
        best->used = c->clock;
        double bw = (best->to - best->from) / (double)best->n;
        for (size_t k = 0; k < n; k++) {
            double j = floor((from + ((double)k + 0.5) * w - best->from) / bw);
            if (j >= 0 && j < (double)best->n && !isnan(best->v[(size_t)j])) {
                out[k] = best->v[(size_t)j];
                filled++;
            }
        }
    }
    if (!fresh && !queued && !c->stop) {
        make_room(c);
        struct entry *x = &c->e[c->ne++];
        memset(x, 0, sizeof *x);
        x->name = xstrdup(series);
        x->n = n;
        x->from = from;
        x->to = to;
        x->used = c->clock;
        x->id = ++c->next_id;
        pthread_cond_signal(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    return filled ? n : 0;
}

static void *worker(void *arg)
{
    struct seriescache *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        size_t pick = SIZE_MAX;
        for (size_t i = 0; i < c->ne; i++) {
            const struct entry *x = &c->e[i];
            if (!x->v && !x->inflight && (pick == SIZE_MAX || x->used > c->e[pick].used)) {
                pick = i;
            }
        }
        if (c->stop) {
            break;
        }
        if (pick == SIZE_MAX) {
            pthread_cond_wait(&c->cv, &c->mu);
            continue;
        }
        struct entry *x = &c->e[pick];
        x->inflight = true;
        char *name = xstrdup(x->name);
        size_t n = x->n;
        double from = x->from, to = x->to;
        unsigned long id = x->id;
        pthread_mutex_unlock(&c->mu);

        double *v = xcalloc(n, sizeof *v);
        for (size_t i = 0; i < n; i++) {
            v[i] = NAN;
        }
        if (c->slow.range && c->slow.range(c->slow.ctx, name, from, to, n, v) == 0) {
            for (size_t i = 0; i < n; i++) {
                v[i] = NAN;
            }
        }

        pthread_mutex_lock(&c->mu);
        c->fetches++;
        /* The newest result replaces those of a window of about the same
         * length (the same chart, moved on); a chart of the same series
         * over another span (a 24 h peak beside a 1 h sparkline) keeps its
         * own, so two charts never evict each other frame after frame. */
        double span = to - from;
        for (size_t i = 0; i < c->ne;) {
            const struct entry *old = &c->e[i];
            if (old->v && old->n == n && strcmp(old->name, name) == 0 &&
                fabs((old->to - old->from) - span) <= span / 10) {
                entry_drop(c, i);
            } else {
                i++;
            }
        }
        for (size_t i = 0; i < c->ne; i++) {
            if (c->e[i].id == id) {
                c->e[i].v = v;
                c->e[i].inflight = false;
                c->e[i].fetched = c->fetches;
                v = NULL;
            }
        }
        free(v);
        free(name);
        if (c->wake && !c->stop) {
            c->wake(c->wake_ctx); /* under mu: free cannot return in between */
        }
    }
    unref_unlock(c);
    return NULL;
}

struct seriescache *seriescache_new(const struct series_source *slow, seriescache_fn free_slow,
                                    seriescache_fn wake, void *wake_ctx, struct err *e)
{
    struct seriescache *c = xcalloc(1, sizeof *c);
    c->slow = *slow;
    c->free_slow = free_slow;
    c->wake = wake;
    c->wake_ctx = wake_ctx;
    c->refs = 2;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, worker, c);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        c->free_slow = NULL;
        destroy(c);
        err_set(e, "cannot start the history reader thread");
        return NULL;
    }
    return c;
}

void seriescache_free(struct seriescache *c)
{
    if (!c) {
        return;
    }
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    c->wake = NULL;
    pthread_cond_signal(&c->cv);
    unref_unlock(c);
}

struct series_source seriescache_source(struct seriescache *c)
{
    struct series_source s = {c, cache_range};
    return s;
}

size_t seriescache_pending(struct seriescache *c)
{
    size_t n = 0;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->ne; i++) {
        n += c->e[i].v == NULL;
    }
    pthread_mutex_unlock(&c->mu);
    return n;
}

unsigned long seriescache_fetches(struct seriescache *c)
{
    pthread_mutex_lock(&c->mu);
    unsigned long n = c->fetches;
    pthread_mutex_unlock(&c->mu);
    return n;
}
