/*
 * Sparklines: a series of numbers as one row of block glyphs (▁▂▃▄▅▆▇█, or
 * an ASCII ramp), one column per sample. A missing sample (NAN) is a gap,
 * never drawn as a zero.
 */
#ifndef SCALETOP_SPARKLINE_H
#define SCALETOP_SPARKLINE_H

#include "tui/canvas.h"

#include <stddef.h>

/* The level (0..GLYPHS_SPARK_LEVELS-1) of v on the scale [min, max], or -1
 * for a gap (v not finite). Values outside the scale are clamped; a scale
 * with max <= min puts every value on the lowest level. */
int sparkline_level(double v, double min, double max);

/* Draws values v[0..n-1] (oldest first) from (x, y) to the right, clipped to
 * clip; when more samples than columns fit, the newest are shown. min or max
 * may be NAN, meaning the lowest or highest finite value of the series.
 * Returns the number of columns drawn. */
int sparkline_draw(struct canvas *c, struct rect clip, int x, int y, const double *v, size_t n,
                   double min, double max, enum role role);

#endif
