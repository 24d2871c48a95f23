/*
 * Adapters from the store to series_source and advisor_history. Statistics
 * for the advisor are computed over the points a range read returns (one
 * per minute over a day, per hour over a week): enough for a peak or a
 * straight-line trend, and bounded in cost whatever the window.
 */
#include "backend/store_views.h"

#include <math.h>

#define STATS_POINTS 400

static size_t range(void *ctx, const char *series, double from, double to, size_t n, double *out)
{
    struct err e;
    if (n == 0 || store_series_range(ctx, series, from, to, n, out, NULL, &e) < 0) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isnan(out[i])) {
            return n;
        }
    }
    return 0; /* nothing recorded: no sparkline rather than an empty one */
}

struct series_source store_series_source(struct store *st)
{
    struct series_source s = {st, range};
    return s;
}

static int stats(void *ctx, const char *series, double from, double to,
                 struct advisor_series_stats *out)
{
    double v[STATS_POINTS];
    if (range(ctx, series, from, to, STATS_POINTS, v) == 0) {
        return -1;
    }
    double step = (to - from) / STATS_POINTS, sum = 0;
    out->n = 0;
    out->min = INFINITY;
    out->max = -INFINITY;
    for (size_t i = 0; i < STATS_POINTS; i++) {
        if (isnan(v[i])) {
            continue;
        }
        double t = from + step * ((double)i + 0.5);
        if (out->n == 0) {
            out->first = v[i];
            out->first_t = t;
        }
        out->last = v[i];
        out->last_t = t;
        out->min = v[i] < out->min ? v[i] : out->min;
        out->max = v[i] > out->max ? v[i] : out->max;
        sum += v[i];
        out->n++;
    }
    out->avg = sum / (double)out->n;
    return 0;
}

struct advisor_history store_advisor_history(struct store *st)
{
    struct advisor_history h = {st, stats};
    return h;
}
