/*
 * Layout arithmetic. Invariants: every rectangle lies inside the screen
 * rectangle it was computed from; pane rectangles never overlap each other,
 * the header or the footer; a pane that is shown is at least 4 rows high
 * and 20 columns wide, so its frame, title and one line always fit. Sizes
 * are split evenly, the remainder going to the first parts, so that the
 * same size always gives the same picture.
 */
#include "tui/layout.h"

#include <stdio.h>
#include <string.h>

/* The start of part i when total is split into n parts. */
static int split_at(int start, int total, int n, int i)
{
    int base = total / n, rem = total % n;
    return start + i * base + (i < rem ? i : rem);
}

static int split_len(int total, int n, int i)
{
    return total / n + (i < total % n ? 1 : 0);
}

/* Places panes ids[0..ncols-1] side by side in one row. */
static void place_row(struct layout *l, const enum pane_id *ids, int ncols, int x, int y, int w,
                      int h)
{
    for (int i = 0; i < ncols; i++) {
        l->pane[ids[i]] = canvas_rect(split_at(x, w, ncols, i), y, split_len(w, ncols, i), h);
    }
}

void layout_compute(struct layout *l, struct rect screen, int zoom)
{
    memset(l, 0, sizeof *l);
    l->screen = screen;
    for (int i = 0; i < PANE_COUNT; i++) {
        l->pane[i] = canvas_rect(screen.x, screen.y, 0, 0);
    }
    if (screen.w < LAYOUT_MIN_W || screen.h < LAYOUT_MIN_H) {
        l->kind = LAYOUT_TOO_SMALL;
        l->header = l->footer = l->body = canvas_rect(screen.x, screen.y, 0, 0);
        return;
    }
    l->header = canvas_rect(screen.x, screen.y, screen.w, 1);
    l->footer = canvas_rect(screen.x, screen.y + screen.h - 1, screen.w, 1);
    l->body = canvas_rect(screen.x, screen.y + 1, screen.w, screen.h - 2);
    struct rect b = l->body;

    if (zoom >= 0 && zoom < PANE_COUNT) {
        l->kind = LAYOUT_ZOOM;
        l->pane[zoom] = b;
        return;
    }
    if (screen.w >= LAYOUT_GRID3_W) {
        static const enum pane_id top[] = {PANE_OVERVIEW, PANE_SERVERS, PANE_PROVISIONERS};
        static const enum pane_id bottom[] = {PANE_POSTGRES, PANE_PROXIES, PANE_CAPACITY};
        l->kind = LAYOUT_GRID3;
        place_row(l, top, 3, b.x, b.y, b.w, split_len(b.h, 2, 0));
        place_row(l, bottom, 3, b.x, split_at(b.y, b.h, 2, 1), b.w, split_len(b.h, 2, 1));
        return;
    }
    if (screen.w >= LAYOUT_GRID2_W) {
        static const enum pane_id rows[3][2] = {{PANE_OVERVIEW, PANE_SERVERS},
                                                {PANE_PROVISIONERS, PANE_POSTGRES},
                                                {PANE_PROXIES, PANE_CAPACITY}};
        l->kind = LAYOUT_GRID2;
        for (int i = 0; i < 3; i++) {
            place_row(l, rows[i], 2, b.x, split_at(b.y, b.h, 3, i), b.w, split_len(b.h, 3, i));
        }
        return;
    }
    /* Narrow: the Overview gets what the two rows of compact boxes leave. */
    static const enum pane_id row1[] = {PANE_SERVERS, PANE_PROVISIONERS, PANE_POSTGRES};
    static const enum pane_id row2[] = {PANE_PROXIES, PANE_CAPACITY};
    int ch = b.h / 4;
    ch = ch < 4 ? 4 : ch > 10 ? 10 : ch;
    int oh = b.h - 2 * ch;
    l->kind = LAYOUT_NARROW;
    l->pane[PANE_OVERVIEW] = canvas_rect(b.x, b.y, b.w, oh);
    place_row(l, row1, 3, b.x, b.y + oh, b.w, ch);
    place_row(l, row2, 2, b.x, b.y + oh + ch, b.w, ch);
    for (int i = 0; i < PANE_COUNT; i++) {
        l->compact[i] = i != PANE_OVERVIEW;
    }
}

const char *layout_kind_name(enum layout_kind k)
{
    switch (k) {
    case LAYOUT_TOO_SMALL:
        return "too-small";
    case LAYOUT_NARROW:
        return "narrow";
    case LAYOUT_GRID2:
        return "grid2";
    case LAYOUT_GRID3:
        return "grid3";
    case LAYOUT_ZOOM:
        return "zoom";
    }
    return "?";
}

void layout_draw_header(struct canvas *c, struct rect r, const struct layout_header *h)
{
    if (canvas_rect_empty(r)) {
        return;
    }
    r.h = 1;
    canvas_fill(c, r, ' ', ROLE_HEADER);
    int x = canvas_put_text(c, r, r.x + 1, r.y, ROLE_HEADER, "scaletop");
    x = canvas_put_text(c, r, x + 1, r.y, h->replay ? ROLE_REPLAY : ROLE_LIVE,
                        h->replay ? " REPLAY " : " LIVE ");
    if (h->time_text) {
        x = canvas_put_text(c, r, x + 1, r.y, ROLE_HEADER, h->time_text);
    }
    if (h->marks_text && *h->marks_text) {
        x = canvas_put_text(c, r, x + 2, r.y, ROLE_KEY, h->marks_text);
    }
    if (h->right_text) {
        /* Right-aligned, but never over what is already on the left. */
        int w = canvas_text_width(c, h->right_text);
        int rx = r.x + r.w - 1 - w;
        if (rx < x + 2) {
            rx = x + 2;
        }
        canvas_put_text(c, canvas_rect(r.x, r.y, r.w - 1, 1), rx, r.y, ROLE_HEADER, h->right_text);
    }
}

void layout_draw_footer(struct canvas *c, struct rect r, const struct layout_hint *hints, size_t n)
{
    if (canvas_rect_empty(r)) {
        return;
    }
    r.h = 1;
    int x = r.x;
    for (size_t i = 0; i < n; i++) {
        int need = canvas_text_width(c, hints[i].key) + 1 + canvas_text_width(c, hints[i].label);
        if (x + need > r.x + r.w) {
            break;
        }
        x = canvas_put_text(c, r, x, r.y, ROLE_KEY, hints[i].key);
        x = canvas_put_text(c, r, x + 1, r.y, ROLE_NORMAL, hints[i].label);
        x += 2;
    }
}

void layout_draw_too_small(struct canvas *c, struct rect r)
{
    char have[64], need[64];
    snprintf(have, sizeof have, "Terminal too small: %dx%d", r.w, r.h);
    snprintf(need, sizeof need, "scaletop needs %dx%d", LAYOUT_MIN_W, LAYOUT_MIN_H);
    const char *lines[3] = {have, need, "q quits"};
    int top = r.y + (r.h - 3) / 2;
    if (top < r.y) {
        top = r.y;
    }
    for (int i = 0; i < 3; i++) {
        int w = canvas_text_width(c, lines[i]);
        int x = r.x + (r.w - w) / 2;
        if (x < r.x) {
            x = r.x;
        }
        canvas_put_text(c, r, x, top + i, i == 0 ? ROLE_WARN : ROLE_NORMAL, lines[i]);
    }
}
