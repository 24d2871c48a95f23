/*
 * Rates and histogram quantiles, Prometheus-compatible.
 *
 * Invariants:
 * - derive_histogram_quantile follows promql's bucketQuantile: sort by le,
 *   merge equal bounds, force monotonic cumulative counts, require a +Inf
 *   bucket, interpolate linearly, and answer the highest finite bound for a
 *   rank that falls into the +Inf bucket.
 * - Counter increases treat any decrease as a restart (the new value is the
 *   increase). Windowed quantiles are computed on per-series bucket
 *   increases, summed by le afterwards, never on differences of sums (a
 *   reset of one series must not cancel the growth of the others).
 * - The series table is two open-addressing hash tables (previous and
 *   current generation) that grow with the series seen, up to a fixed
 *   maximum of series; beyond it new series are ignored.
 */
#include "backend/derive.h"

#include "backend/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double derive_increase(double prev, double cur)
{
    if (isnan(prev) || isnan(cur)) {
        return NAN;
    }
    return cur < prev ? cur : cur - prev;
}

double derive_rate(double prev, double cur, double dt_s)
{
    if (!(dt_s > 0)) {
        return NAN;
    }
    return derive_increase(prev, cur) / dt_s;
}

static int cmp_bucket(const void *a, const void *b)
{
    double x = ((const struct derive_bucket *)a)->le, y = ((const struct derive_bucket *)b)->le;
    return (x > y) - (x < y);
}

double derive_histogram_quantile(double q, struct derive_bucket *b, size_t n)
{
    if (isnan(q)) {
        return NAN;
    }
    if (q < 0) {
        return -INFINITY;
    }
    if (q > 1) {
        return INFINITY;
    }
    if (n == 0) {
        return NAN;
    }
    qsort(b, n, sizeof *b, cmp_bucket);
    if (!isinf(b[n - 1].le) || b[n - 1].le < 0) {
        return NAN;
    }
    /* merge equal bounds */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && b[m - 1].le == b[i].le) {
            b[m - 1].count += b[i].count;
        } else {
            b[m++] = b[i];
        }
    }
    n = m;
    /* cumulative counts never decrease */
    double max = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (b[i].count > max) {
            max = b[i].count;
        } else {
            b[i].count = max;
        }
    }
    if (n < 2) {
        return NAN;
    }
    double observations = b[n - 1].count;
    if (!(observations > 0)) {
        return NAN;
    }
    double rank = q * observations;
    size_t i = 0;
    while (i < n - 1 && b[i].count < rank) {
        i++;
    }
    if (i == n - 1) {
        return b[n - 2].le;
    }
    if (i == 0 && b[0].le <= 0) {
        return b[0].le;
    }
    double start = 0, end = b[i].le, count = b[i].count;
    if (i > 0) {
        start = b[i - 1].le;
        count -= b[i - 1].count;
        rank -= b[i - 1].count;
    }
    if (!(count > 0)) {
        return end;
    }
    return start + (end - start) * (rank / count);
}

void derive_hist_init(struct derive_hist *h)
{
    h->n = 0;
    h->sum = 0;
    h->count = 0;
    h->overflow = false;
}

void derive_hist_add(struct derive_hist *h, double le, double count)
{
    if (isnan(count) || isnan(le)) {
        return;
    }
    for (size_t i = 0; i < h->n; i++) {
        if (h->b[i].le == le) {
            h->b[i].count += count;
            return;
        }
    }
    if (h->n >= DERIVE_MAX_BUCKETS) {
        h->overflow = true;
        return;
    }
    h->b[h->n].le = le;
    h->b[h->n].count = count;
    h->n++;
}

void derive_hist_merge(struct derive_hist *dst, const struct derive_hist *src)
{
    for (size_t i = 0; i < src->n; i++) {
        derive_hist_add(dst, src->b[i].le, src->b[i].count);
    }
    dst->sum += src->sum;
    dst->count += src->count;
    dst->overflow = dst->overflow || src->overflow;
}

double derive_hist_quantile(const struct derive_hist *h, double q)
{
    if (h->overflow || h->n == 0) {
        return NAN;
    }
    struct derive_bucket tmp[DERIVE_MAX_BUCKETS];
    memcpy(tmp, h->b, h->n * sizeof tmp[0]);
    return derive_histogram_quantile(q, tmp, h->n);
}

uint64_t derive_hash(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = seed;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

struct gen {
    uint64_t *keys; /* 0 = empty */
    double *vals;
    size_t used;
    size_t cap; /* slots, a power of two, at most twice the maximum */
};

struct derive_series {
    struct gen g[2];
    int cur; /* index of the current generation */
    size_t max;
    bool has_prev;
};

#define GEN_MIN_SLOTS 256

static void gen_alloc(struct gen *g, size_t cap)
{
    g->keys = xcalloc(cap, sizeof(uint64_t));
    g->vals = xcalloc(cap, sizeof(double));
    g->cap = cap;
    g->used = 0;
}

struct derive_series *derive_series_new(size_t max_series)
{
    struct derive_series *t = xcalloc(1, sizeof *t);
    t->max = max_series;
    gen_alloc(&t->g[0], GEN_MIN_SLOTS);
    gen_alloc(&t->g[1], GEN_MIN_SLOTS);
    return t;
}

void derive_series_free(struct derive_series *t)
{
    if (!t) {
        return;
    }
    for (int i = 0; i < 2; i++) {
        free(t->g[i].keys);
        free(t->g[i].vals);
    }
    free(t);
}

static size_t slot(const struct gen *g, uint64_t key, bool *found)
{
    size_t mask = g->cap - 1;
    size_t i = (size_t)(key ^ (key >> 29)) & mask;
    for (;;) {
        if (g->keys[i] == key) {
            *found = true;
            return i;
        }
        if (g->keys[i] == 0) {
            *found = false;
            return i;
        }
        i = (i + 1) & mask;
    }
}

/* Doubles a generation's table (load stays <= 1/2), up to the maximum. */
static void gen_grow(struct gen *g)
{
    struct gen n;
    gen_alloc(&n, g->cap * 2);
    for (size_t i = 0; i < g->cap; i++) {
        if (g->keys[i]) {
            bool found;
            size_t j = slot(&n, g->keys[i], &found);
            n.keys[j] = g->keys[i];
            n.vals[j] = g->vals[i];
            n.used++;
        }
    }
    free(g->keys);
    free(g->vals);
    *g = n;
}

double derive_series_increase(struct derive_series *t, uint64_t key, double cur)
{
    if (key == 0) {
        key = 1;
    }
    struct gen *c = &t->g[t->cur], *p = &t->g[!t->cur];
    bool found;
    size_t i = slot(c, key, &found);
    if (!found) {
        if (c->used >= t->max) {
            return NAN;
        }
        if ((c->used + 1) * 2 > c->cap) {
            gen_grow(c);
            i = slot(c, key, &found);
        }
        c->keys[i] = key;
        c->used++;
    }
    c->vals[i] = cur;
    if (!t->has_prev) {
        return NAN;
    }
    size_t j = slot(p, key, &found);
    if (!found) {
        return isnan(cur) ? NAN : cur;
    }
    return derive_increase(p->vals[j], cur);
}

void derive_series_commit(struct derive_series *t)
{
    struct gen *p = &t->g[!t->cur];
    memset(p->keys, 0, p->cap * sizeof(uint64_t));
    p->used = 0;
    t->cur = !t->cur;
    t->has_prev = true;
}

void derive_series_abort(struct derive_series *t)
{
    struct gen *c = &t->g[t->cur];
    memset(c->keys, 0, c->cap * sizeof(uint64_t));
    c->used = 0;
}

bool derive_series_has_prev(const struct derive_series *t)
{
    return t->has_prev;
}
