/*
 * Sparkline rendering. Invariants: a gap (a non-finite sample) is drawn with
 * the gap glyph (a blank), the lowest level is reserved for values at the
 * bottom of the scale, so "zero" and "no data" never look the same; only the
 * cells of one row inside the clip are touched.
 */
#include "tui/sparkline.h"

#include <math.h>

int sparkline_level(double v, double min, double max)
{
    if (!isfinite(v)) {
        return -1;
    }
    if (!(max > min)) {
        return 0;
    }
    double f = (v - min) / (max - min);
    int l = (int)floor(f * GLYPHS_SPARK_LEVELS);
    if (l < 0) {
        l = 0;
    }
    if (l >= GLYPHS_SPARK_LEVELS) {
        l = GLYPHS_SPARK_LEVELS - 1;
    }
    return l;
}

int sparkline_draw(struct canvas *c, struct rect clip, int x, int y, const double *v, size_t n,
                   double min, double max, enum role role)
{
    struct rect r = canvas_rect_intersect(clip, canvas_bounds(c));
    if (canvas_rect_empty(r) || y < r.y || y >= r.y + r.h || x >= r.x + r.w || n == 0) {
        return 0;
    }
    size_t cols = (size_t)(r.x + r.w - x);
    size_t first = n > cols ? n - cols : 0;
    if (isnan(min) || isnan(max)) {
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = first; i < n; i++) {
            if (isfinite(v[i])) {
                lo = v[i] < lo ? v[i] : lo;
                hi = v[i] > hi ? v[i] : hi;
            }
        }
        min = isnan(min) ? lo : min;
        max = isnan(max) ? hi : max;
    }
    const struct glyphs *g = canvas_glyphs(c);
    int drawn = 0;
    for (size_t i = first; i < n; i++) {
        int l = sparkline_level(v[i], min, max);
        int col = x + (int)(i - first);
        drawn += canvas_put_glyph(c, r, col, y, role, l < 0 ? g->spark_gap : g->spark[l]);
    }
    return drawn;
}
