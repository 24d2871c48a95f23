/*
 * Series names that need more than a printf, and the fallback combinator
 * (see series.h): a range read through it takes the local store's values
 * and fills the columns before the store's first value for that series
 * (history older than the file) from a secondary source such as Prometheus
 * range queries. Columns after the first local value are never replaced:
 * a gap the store recorded stays a gap. A tally (series_tally) reads
 * through any source and remembers whether what it read was local, remote
 * or both, for a pane's "history: ..." label.
 */
#include "backend/series.h"

#include "backend/xalloc.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

const char *series_queue(char *buf, size_t n, const char *org, const struct tagset *tags,
                         const char *field)
{
    char t[512];
    tagset_format(t, sizeof t, tags, ",", "");
    snprintf(buf, n, "queue/%s/%s/%s", org ? org : "", t, field);
    return buf;
}

/* ---- the fallback combinator ---- */

struct fallback {
    struct series_source self; /* first: the pointer handed out */
    struct series_source primary, secondary;
    enum series_origin last;
};

static size_t fallback_read(const struct fallback *fb, const char *series, double from, double to,
                            size_t n, double *out, enum series_origin *origin, size_t *remote)
{
    size_t got =
        fb->primary.range ? fb->primary.range(fb->primary.ctx, series, from, to, n, out) : 0;
    if (got == 0) {
        for (size_t i = 0; i < n; i++) {
            out[i] = NAN;
        }
    }
    size_t first = 0;
    while (first < n && isnan(out[first])) {
        first++;
    }
    size_t nremote = 0;
    if (first > 0 && fb->secondary.range) {
        double *tmp = xcalloc(n, sizeof *tmp);
        size_t got2 = fb->secondary.range(fb->secondary.ctx, series, from, to, n, tmp);
        for (size_t i = 0; got2 && i < first; i++) {
            if (!isnan(tmp[i])) {
                out[i] = tmp[i];
                nremote++;
            }
        }
        free(tmp);
    }
    bool local = first < n;
    *origin = nremote && local ? SERIES_ORIGIN_MIXED
              : nremote        ? SERIES_ORIGIN_REMOTE
              : local          ? SERIES_ORIGIN_LOCAL
                               : SERIES_ORIGIN_NONE;
    *remote = nremote;
    return nremote || got ? n : 0;
}

static size_t fallback_range(void *ctx, const char *series, double from, double to, size_t n,
                             double *out)
{
    struct fallback *fb = ctx;
    size_t remote;
    return fallback_read(fb, series, from, to, n, out, &fb->last, &remote);
}

struct series_source *series_source_fallback(const struct series_source *primary,
                                             const struct series_source *secondary)
{
    struct fallback *fb = xcalloc(1, sizeof *fb);
    fb->primary = *primary;
    if (secondary) {
        fb->secondary = *secondary;
    }
    fb->self.ctx = fb;
    fb->self.range = fallback_range;
    return &fb->self;
}

void series_source_fallback_free(struct series_source *s)
{
    if (s) {
        assert(s->range == fallback_range);
        free(s->ctx);
    }
}

static size_t tally_range(void *ctx, const char *series, double from, double to, size_t n,
                          double *out);

size_t series_range_origin(const struct series_source *s, const char *series, double from,
                           double to, size_t n, double *out, enum series_origin *origin,
                           size_t *remote_columns)
{
    enum series_origin o;
    size_t remote = 0, got;
    if (s->range == tally_range) {
        struct series_tally *t = s->ctx;
        got = series_range_origin(&t->inner, series, from, to, n, out, &o, &remote);
        t->local = t->local || o == SERIES_ORIGIN_LOCAL || o == SERIES_ORIGIN_MIXED;
        t->remote = t->remote || o == SERIES_ORIGIN_REMOTE || o == SERIES_ORIGIN_MIXED;
    } else if (s->range == fallback_range) {
        got = fallback_read(s->ctx, series, from, to, n, out, &o, &remote);
    } else {
        got = s->range(s->ctx, series, from, to, n, out);
        bool any = false;
        for (size_t i = 0; got && i < n && !any; i++) {
            any = !isnan(out[i]);
        }
        o = any ? SERIES_ORIGIN_LOCAL : SERIES_ORIGIN_NONE;
    }
    if (origin) {
        *origin = o;
    }
    if (remote_columns) {
        *remote_columns = remote;
    }
    return got;
}

enum series_origin series_source_origin(const struct series_source *s)
{
    if (s->range == tally_range) {
        return series_source_origin(&((const struct series_tally *)s->ctx)->inner);
    }
    if (s->range == fallback_range) {
        return ((const struct fallback *)s->ctx)->last;
    }
    return SERIES_ORIGIN_LOCAL;
}

const char *series_origin_name(enum series_origin o)
{
    switch (o) {
    case SERIES_ORIGIN_LOCAL:
        return "local";
    case SERIES_ORIGIN_REMOTE:
        return "prometheus";
    case SERIES_ORIGIN_MIXED:
        return "local+prometheus";
    case SERIES_ORIGIN_NONE:
        break;
    }
    return "none";
}

/* ---- the tally ---- */

static size_t tally_range(void *ctx, const char *series, double from, double to, size_t n,
                          double *out)
{
    struct series_tally *t = ctx;
    return series_range_origin(&t->self, series, from, to, n, out, NULL, NULL);
}

void series_tally_init(struct series_tally *t, const struct series_source *inner)
{
    t->inner = *inner;
    t->self.ctx = t;
    t->self.range = tally_range;
    t->local = t->remote = false;
}

enum series_origin series_tally_take(struct series_tally *t)
{
    enum series_origin o = t->local && t->remote ? SERIES_ORIGIN_MIXED
                           : t->remote           ? SERIES_ORIGIN_REMOTE
                           : t->local            ? SERIES_ORIGIN_LOCAL
                                                 : SERIES_ORIGIN_NONE;
    t->local = t->remote = false;
    return o;
}
