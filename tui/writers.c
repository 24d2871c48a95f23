/*
 * Markdown and HTML rendering of a document. Every string from a snapshot
 * passes through escape_md or escape_html; the HTML page has no script, no
 * external resource and a restrictive Content-Security-Policy, so it opens
 * the same on an air-gapped laptop as in a browser with scripts disabled.
 */
#include "tui/writers.h"

#include "backend/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *role_class(enum doc_role r)
{
    static const char *const names[] = {"", "ok", "info", "warn", "crit", "dim"};
    return (unsigned)r < sizeof names / sizeof *names ? names[r] : "";
}

static void md_table(struct strbuf *b, const struct doc_table *t)
{
    if (t->title) {
        strbuf_puts(b, "### ");
        escape_md(b, t->title);
        strbuf_puts(b, "\n\n");
    }
    if (t->nrows == 0) {
        strbuf_puts(b, "_none_\n\n");
        return;
    }
    strbuf_puts(b, "|");
    for (size_t c = 0; c < t->ncols; c++) {
        strbuf_puts(b, " ");
        escape_md(b, t->header[c]);
        strbuf_puts(b, " |");
    }
    strbuf_puts(b, "\n|");
    for (size_t c = 0; c < t->ncols; c++) {
        strbuf_puts(b, "---|");
    }
    strbuf_puts(b, "\n");
    for (size_t r = 0; r < t->nrows; r++) {
        strbuf_puts(b, "|");
        for (size_t c = 0; c < t->ncols; c++) {
            const struct doc_cell *cell = &t->cells[r * t->ncols + c];
            strbuf_puts(b, " ");
            int bold = cell->role == DOC_CRIT || cell->role == DOC_WARN;
            if (bold && cell->text[0]) {
                strbuf_puts(b, "**");
            }
            escape_md(b, cell->text);
            if (bold && cell->text[0]) {
                strbuf_puts(b, "**");
            }
            strbuf_puts(b, " |");
        }
        strbuf_puts(b, "\n");
    }
    strbuf_puts(b, "\n");
}

void write_md(struct strbuf *b, const struct doc *d)
{
    strbuf_puts(b, "# ");
    escape_md(b, d->title);
    strbuf_puts(b, d->replay ? " (replay)\n\n" : "\n\n");
    for (size_t i = 0; i < d->nsections; i++) {
        const struct doc_section *s = &d->sections[i];
        strbuf_puts(b, "## ");
        escape_md(b, s->title);
        strbuf_puts(b, "\n\n");
        if (s->status) {
            strbuf_puts(b, "_Data: ");
            escape_md(b, s->status);
            strbuf_puts(b, "_\n\n");
        }
        for (size_t j = 0; j < s->ntables; j++) {
            md_table(b, &s->tables[j]);
        }
    }
}

void write_svg_sparkline(struct strbuf *b, const double *v, size_t n, int w, int h,
                         const double *markers, size_t nmarkers)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!isnan(v[i]) && !isinf(v[i])) {
            lo = v[i] < lo ? v[i] : lo;
            hi = v[i] > hi ? v[i] : hi;
        }
    }
    strbuf_printf(b,
                  "<svg class=\"spark\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                  "role=\"img\" aria-label=\"trend\">",
                  w, h, w, h);
    for (size_t m = 0; m < nmarkers; m++) {
        double x = markers[m] * w;
        strbuf_printf(b, "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%d\" class=\"marker\"/>", x,
                      x, h);
    }
    if (lo <= hi && n > 0) {
        double span = hi - lo > 0 ? hi - lo : 1;
        int open = 0;
        for (size_t i = 0; i < n; i++) {
            if (isnan(v[i]) || isinf(v[i])) {
                if (open) {
                    strbuf_puts(b, "\"/>");
                    open = 0;
                }
                continue;
            }
            double x = n > 1 ? (double)i * (w - 2) / (double)(n - 1) + 1 : w / 2.0;
            double y = (h - 2) - (v[i] - lo) / span * (h - 4) + 1;
            if (!open) {
                strbuf_puts(b, "<polyline points=\"");
                open = 1;
            } else {
                strbuf_puts(b, " ");
            }
            strbuf_printf(b, "%.1f,%.1f", x, y);
        }
        if (open) {
            strbuf_puts(b, "\"/>");
        }
    }
    strbuf_puts(b, "</svg>");
}

void write_html_open(struct strbuf *b, const char *title)
{
    strbuf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                   "style-src 'unsafe-inline'; img-src data:\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                   "<title>");
    escape_html(b, title);
    strbuf_puts(b, "</title>\n<style>\n"
                   "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em;"
                   "color:#1d2329;background:#fff}\n"
                   "h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccd;"
                   "padding-bottom:.2em;margin-top:2em}h3{font-size:1em;color:#445}\n"
                   "table{border-collapse:collapse;margin:.5em 0 1.2em}\n"
                   "th,td{border:1px solid #dde;padding:.25em .6em;text-align:left;"
                   "vertical-align:top;font-variant-numeric:tabular-nums}\n"
                   "th{background:#f3f4f8}\n"
                   ".ok{color:#17733a}.info{color:#1f5fa8}.warn{color:#8a5a00;font-weight:600}"
                   ".crit{color:#b3261e;font-weight:700}.dim{color:#8a8f98}\n"
                   ".status{font-style:italic;color:#556}\n"
                   "svg.spark{vertical-align:middle;margin-left:.4em}"
                   "svg.spark polyline{fill:none;stroke:#3567b5;stroke-width:1.2}"
                   "svg.spark line.marker{stroke:#c0392b;stroke-width:1;stroke-dasharray:2,2}\n"
                   "svg.chart polyline{fill:none;stroke:#3567b5;stroke-width:1.5}"
                   "svg.chart line.marker{stroke:#c0392b;stroke-width:1;stroke-dasharray:3,3}\n"
                   "</style>\n</head>\n<body>\n");
}

void write_html_close(struct strbuf *b)
{
    strbuf_puts(b, "</body>\n</html>\n");
}

void write_html_body(struct strbuf *b, const struct doc *d, const struct series_source *src,
                     double window_s)
{
    strbuf_puts(b, "<h1>");
    escape_html(b, d->title);
    strbuf_puts(b, d->replay ? " (replay)</h1>\n" : "</h1>\n");
    double vals[60];
    for (size_t i = 0; i < d->nsections; i++) {
        const struct doc_section *s = &d->sections[i];
        strbuf_puts(b, "<section>\n<h2>");
        escape_html(b, s->title);
        strbuf_puts(b, "</h2>\n");
        if (s->status) {
            strbuf_printf(b, "<p class=\"status %s\">Data: ", role_class(s->status_role));
            escape_html(b, s->status);
            strbuf_puts(b, "</p>\n");
        }
        for (size_t j = 0; j < s->ntables; j++) {
            const struct doc_table *t = &s->tables[j];
            if (t->title) {
                strbuf_puts(b, "<h3>");
                escape_html(b, t->title);
                strbuf_puts(b, "</h3>\n");
            }
            if (t->nrows == 0) {
                strbuf_puts(b, "<p class=\"dim\">none</p>\n");
                continue;
            }
            strbuf_puts(b, "<table>\n<thead><tr>");
            for (size_t c = 0; c < t->ncols; c++) {
                strbuf_puts(b, "<th>");
                escape_html(b, t->header[c]);
                strbuf_puts(b, "</th>");
            }
            strbuf_puts(b, "</tr></thead>\n<tbody>\n");
            for (size_t r = 0; r < t->nrows; r++) {
                strbuf_puts(b, "<tr>");
                for (size_t c = 0; c < t->ncols; c++) {
                    const struct doc_cell *cell = &t->cells[r * t->ncols + c];
                    const char *cls = role_class(cell->role);
                    if (*cls) {
                        strbuf_printf(b, "<td class=\"%s\">", cls);
                    } else {
                        strbuf_puts(b, "<td>");
                    }
                    escape_html(b, cell->text);
                    if (cell->series && src && src->range) {
                        size_t n = src->range(src->ctx, cell->series, d->time - window_s, d->time,
                                              sizeof vals / sizeof *vals, vals);
                        if (n > 1) {
                            write_svg_sparkline(b, vals, n, 90, 18, NULL, 0);
                        }
                    }
                    strbuf_puts(b, "</td>");
                }
                strbuf_puts(b, "</tr>\n");
            }
            strbuf_puts(b, "</tbody>\n</table>\n");
        }
        strbuf_puts(b, "</section>\n");
    }
}

/* Line colours of a chart, distinguishable in print and for most colour
 * vision deficiencies; lines beyond the palette reuse it. */
static const char *const chart_palette[] = {"#3567b5", "#d9822b", "#2e8b57", "#8e44ad",
                                            "#c0392b", "#16a085", "#7f8c8d", "#b7950b"};

static void chart_time_label(char *buf, size_t n, double t, bool utc)
{
    time_t sec = (time_t)floor(t);
    struct tm tm;
    if (utc) {
        gmtime_r(&sec, &tm);
    } else {
        localtime_r(&sec, &tm);
    }
    strftime(buf, n, "%H:%M:%S", &tm);
}

void write_svg_chart(struct strbuf *b, const struct write_chart *c)
{
    const int left = 70, right = 16, top = 22, bottom = 28, legend_row = 18;
    int w = c->width > left + right + 100 ? c->width : left + right + 100;
    int ph = c->height > top + bottom + 40 ? c->height - top - bottom : 40;
    int pw = w - left - right;
    int h = top + ph + bottom + legend_row * (int)c->nlines + 4;
    double span_t = c->to > c->from ? c->to - c->from : 1;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t l = 0; l < c->nlines; l++) {
        for (size_t i = 0; i < c->n; i++) {
            double v = c->lines[l].v[i];
            if (isfinite(v)) {
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
        }
    }
    if (!(lo <= hi)) {
        lo = 0;
        hi = 1;
    } else if (hi - lo < 1e-9) {
        lo = lo > 0 && lo < 1 ? 0 : lo - 1;
        hi = hi + 1;
    }
    strbuf_printf(b,
                  "<svg class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                  "role=\"img\" aria-label=\"",
                  w, h, w, h);
    escape_html(b, c->title);
    strbuf_puts(b, "\">");
    strbuf_printf(b,
                  "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                  "style=\"fill:#fafbfd;stroke:#ccd\"/>",
                  left, top, pw, ph);
    /* Y axis: max at the top, min at the bottom. */
    char num[64];
    snprintf(num, sizeof num, "%.4g", hi);
    strbuf_printf(b,
                  "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" "
                  "style=\"font-size:11px;fill:#445\">%s",
                  left - 6, top + 10, num);
    if (c->unit && *c->unit) {
        strbuf_puts(b, " ");
        escape_html(b, c->unit);
    }
    strbuf_puts(b, "</text>");
    snprintf(num, sizeof num, "%.4g", lo);
    strbuf_printf(b,
                  "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" "
                  "style=\"font-size:11px;fill:#445\">%s",
                  left - 6, top + ph, num);
    if (c->unit && *c->unit) {
        strbuf_puts(b, " ");
        escape_html(b, c->unit);
    }
    strbuf_puts(b, "</text>");
    /* X axis: the window's start, middle and end. */
    static const char *const anchors[] = {"start", "middle", "end"};
    for (int k = 0; k < 3; k++) {
        char tl[32];
        chart_time_label(tl, sizeof tl, c->from + span_t * k / 2.0, c->utc);
        strbuf_printf(b,
                      "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\" "
                      "style=\"font-size:11px;fill:#445\">%s</text>",
                      left + pw * k / 2.0, top + ph + 16, anchors[k], tl);
    }
    for (size_t m = 0; m < c->nmarkers; m++) {
        double f = (c->markers[m] - c->from) / span_t;
        if (!(f >= 0 && f <= 1)) {
            continue;
        }
        double x = left + f * pw;
        strbuf_printf(b,
                      "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"marker\"/>"
                      "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
                      "style=\"font-size:11px;fill:#c0392b\">M%zu</text>",
                      x, top, x, top + ph, x, top - 6, m + 1);
    }
    for (size_t l = 0; l < c->nlines; l++) {
        const char *colour = chart_palette[l % (sizeof chart_palette / sizeof *chart_palette)];
        int open = 0;
        for (size_t i = 0; i < c->n; i++) {
            double v = c->lines[l].v[i];
            if (!isfinite(v) || !isfinite(c->t[i])) {
                if (open) {
                    strbuf_puts(b, "\"/>");
                    open = 0;
                }
                continue;
            }
            double x = left + (c->t[i] - c->from) / span_t * pw;
            double y = top + ph - (v - lo) / (hi - lo) * ph;
            if (!open) {
                strbuf_printf(b, "<polyline style=\"stroke:%s\" points=\"", colour);
                open = 1;
            } else {
                strbuf_puts(b, " ");
            }
            strbuf_printf(b, "%.1f,%.1f", x, y);
        }
        if (open) {
            strbuf_puts(b, "\"/>");
        }
        int ly = top + ph + bottom + legend_row * (int)l + 10;
        strbuf_printf(b,
                      "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"4\" style=\"fill:%s\"/>"
                      "<text x=\"%d\" y=\"%d\" style=\"font-size:12px;fill:#1d2329\">",
                      left, ly - 4, colour, left + 18, ly);
        escape_html(b, c->lines[l].label);
        strbuf_puts(b, "</text>");
    }
    strbuf_puts(b, "</svg>");
}
