/*
 * Plain-text snapshots. Each pane is drawn once into a tall canvas to learn
 * how many rows it uses, then again into a box exactly that tall, and the
 * canvases are dumped as text (canvas_dump_text: the writer already removed
 * every escape and control character from deployment strings). Sparklines
 * read through a tally, so a pane whose history came (partly) from
 * Prometheus says so on its bottom edge, as in the console.
 */
#include "tui/textrender.h"

#include "backend/fmt.h"
#include "backend/xalloc.h"
#include "panels/panel.h"
#include "tui/canvas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXTRENDER_MAX_H 4000

/* The last row of r that has any non-blank cell, or r.y - 1. */
static int last_used_row(const struct canvas *c, struct rect r)
{
    for (int y = r.y + r.h - 1; y >= r.y; y--) {
        for (int x = r.x; x < r.x + r.w; x++) {
            const struct cell *k = canvas_cell(c, x, y);
            if (k && k->width && k->cp != ' ') {
                return y;
            }
        }
    }
    return r.y - 1;
}

char *textrender_snapshot(const struct snapshot *s, const struct series_source *series, int width,
                          bool ascii, bool utc)
{
    char tb[64];
    width = width < 20 ? 20 : width > 1000 ? 1000 : width;
    struct series_tally tally;
    if (series) {
        series_tally_init(&tally, series);
    }
    struct pane_ctx ctx = {.series = series ? &tally.self : NULL, .utc = utc};
    struct pane_view pv = {.selected = -1, .zoomed = true};
    size_t cap = 0, len = 0;
    char *out = NULL;
    char head[160];
    snprintf(head, sizeof head, "scaletop snapshot %s%s%s\n\n",
             s ? fmt_time(tb, sizeof tb, s->time, utc, 0) : "(no data)", s && utc ? " UTC" : "",
             s && s->replay ? " (replay)" : "");
    out = xgrow(out, &cap, strlen(head) + 1, 1);
    memcpy(out, head, strlen(head) + 1);
    len = strlen(head);
    struct canvas *c = canvas_new(width, TEXTRENDER_MAX_H, ascii);
    for (int i = 0; i < PANE_COUNT; i++) {
        const struct pane_ops *ops = panes_get((enum pane_id)i);
        canvas_clear(c);
        struct rect tall = canvas_rect(0, 0, width, TEXTRENDER_MAX_H);
        ops->draw(c, tall, s, &pv, &ctx);
        int last = last_used_row(c, canvas_rect(1, 1, width - 2, TEXTRENDER_MAX_H - 2));
        int h = last + 2 < 3 ? 3 : last + 2;
        canvas_resize(c, width, h);
        if (series) {
            series_tally_take(&tally);
        }
        ops->draw(c, canvas_rect(0, 0, width, h), s, &pv, &ctx);
        if (series) {
            panel_history_badge(c, canvas_rect(0, 0, width, h), series_tally_take(&tally));
        }
        char *t = canvas_dump_text(c);
        size_t tl = strlen(t);
        out = xgrow(out, &cap, len + tl + 2, 1);
        memcpy(out + len, t, tl);
        len += tl;
        if (len && out[len - 1] != '\n') {
            out[len++] = '\n';
        }
        out[len++] = '\n';
        out[len] = '\0';
        free(t);
        canvas_resize(c, width, TEXTRENDER_MAX_H);
    }
    canvas_free(c);
    return out;
}
