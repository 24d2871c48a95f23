/*
 * Document writers: Markdown that pastes well into an incident document,
 * and one self-contained HTML page (no network, no scripts) with inline SVG
 * sparklines. Both escape every cell for their format.
 */
#ifndef SCALETOP_WRITERS_H
#define SCALETOP_WRITERS_H

#include "backend/escape.h"
#include "backend/series.h"
#include "tui/doc.h"

#include <stdbool.h>
#include <stddef.h>

/* Appends the document as Markdown (headings and tables). */
void write_md(struct strbuf *b, const struct doc *d);

/* Appends the document as HTML body content (sections and tables); cells
 * with a series get a sparkline of the `window_s` seconds before the
 * document's time when src is given. */
void write_html_body(struct strbuf *b, const struct doc *d, const struct series_source *src,
                     double window_s);

/* Opens and closes a complete HTML page with scaletop's inline stylesheet. */
void write_html_open(struct strbuf *b, const char *title);
void write_html_close(struct strbuf *b);

/* An inline SVG polyline of n values (NAN breaks the line), w x h pixels,
 * with optional vertical marker lines at fractions 0..1 of the width. */
void write_svg_sparkline(struct strbuf *b, const double *v, size_t n, int w, int h,
                         const double *markers, size_t nmarkers);

/* One line of a chart: a label and values at the chart's n times. */
struct write_chart_line {
    const char *label;
    const double *v; /* n values, NAN for gaps */
};

/* A report chart: lines over times t[n] in [from, to], marker times drawn
 * as numbered vertical lines (M1, M2, ...), times labelled in UTC if utc. */
struct write_chart {
    const char *title, *unit;
    const struct write_chart_line *lines;
    size_t nlines, n;
    const double *t;
    double from, to;
    const double *markers;
    size_t nmarkers;
    bool utc;
    int width, height; /* pixels of the plot area with its axes; legend below */
};

/* Appends an inline SVG line chart with min/max labels on the value axis,
 * start/middle/end labels on the time axis, markers and a legend; every
 * label escaped. */
void write_svg_chart(struct strbuf *b, const struct write_chart *c);

#endif
