/*
 * Layout and whole-frame rendering: goldens of the skeleton console at
 * 80x24, 120x40 and 200x60 (text and roles), ASCII, a zoomed pane and the
 * too-small screen; rectangle invariants for every size up to 300x100; and
 * the property that nothing is drawn outside the given rectangle for every
 * size from 1x1 to 200x60.
 */
#include "tui/layout.h"
#include "tui/sparkline.h"
#include "tui/view.h"
#include "tests/lib/test.h"

#include <locale.h>
#include <math.h>
#include <stdlib.h>

#define TIME_TEXT "2026-11-27 03:12:00 UTC"

static void utf8_locale(void)
{
    if (!setlocale(LC_CTYPE, "C.UTF-8")) {
        setlocale(LC_CTYPE, "C.utf8");
    }
}

static void golden_frame(const char *name, int w, int h, bool ascii, const struct view *v,
                         bool roles)
{
    char path[128];
    struct canvas *c = canvas_new(w, h, ascii);
    view_render(c, canvas_bounds(c), v, NULL, TIME_TEXT);
    char *t = canvas_dump_text(c);
    snprintf(path, sizeof path, "layout/%s.txt", name);
    CHECK_GOLDEN(path, t);
    free(t);
    if (roles) {
        t = canvas_dump_roles(c);
        snprintf(path, sizeof path, "layout/%s.roles", name);
        CHECK_GOLDEN(path, t);
        free(t);
    }
    canvas_free(c);
}

TEST(layout_golden_80x24)
{
    utf8_locale();
    struct view v;
    view_init(&v);
    golden_frame("80x24-utf8", 80, 24, false, &v, true);
    golden_frame("80x24-ascii", 80, 24, true, &v, false);
}

TEST(layout_golden_120x40)
{
    utf8_locale();
    struct view v;
    view_init(&v);
    golden_frame("120x40-utf8", 120, 40, false, &v, true);
}

TEST(layout_golden_200x60)
{
    utf8_locale();
    struct view v;
    view_init(&v);
    golden_frame("200x60-utf8", 200, 60, false, &v, true);
    golden_frame("200x60-ascii", 200, 60, true, &v, false);
}

TEST(layout_golden_zoom_and_too_small)
{
    utf8_locale();
    struct view v;
    view_init(&v);
    CHECK_INT(view_key(&v, NULL, '4'), VIEW_REDRAW);
    CHECK_INT(view_key(&v, NULL, 'z'), VIEW_REDRAW);
    golden_frame("80x24-zoom-postgres", 80, 24, false, &v, true);
    view_init(&v);
    golden_frame("59x16-too-small", 59, 16, false, &v, true);
}

TEST(layout_kinds_by_size)
{
    struct layout l;
    layout_compute(&l, canvas_rect(0, 0, 80, 24), -1);
    CHECK_STR(layout_kind_name(l.kind), "narrow");
    CHECK(l.compact[PANE_SERVERS] && !l.compact[PANE_OVERVIEW]);
    layout_compute(&l, canvas_rect(0, 0, 80, 23), -1); /* tmux with its status line */
    CHECK_STR(layout_kind_name(l.kind), "narrow");
    layout_compute(&l, canvas_rect(0, 0, 120, 40), -1);
    CHECK_STR(layout_kind_name(l.kind), "grid2");
    layout_compute(&l, canvas_rect(0, 0, 200, 60), -1);
    CHECK_STR(layout_kind_name(l.kind), "grid3");
    layout_compute(&l, canvas_rect(0, 0, 200, 60), PANE_CAPACITY);
    CHECK_STR(layout_kind_name(l.kind), "zoom");
    CHECK_INT(l.pane[PANE_CAPACITY].w, 200);
    CHECK_INT(l.pane[PANE_CAPACITY].h, 58);
    CHECK(canvas_rect_empty(l.pane[PANE_OVERVIEW]));
    layout_compute(&l, canvas_rect(0, 0, LAYOUT_MIN_W - 1, 40), -1);
    CHECK_STR(layout_kind_name(l.kind), "too-small");
    layout_compute(&l, canvas_rect(0, 0, 200, LAYOUT_MIN_H - 1), -1);
    CHECK_STR(layout_kind_name(l.kind), "too-small");
}

static bool inside(struct rect in, struct rect out)
{
    return in.x >= out.x && in.y >= out.y && in.x + in.w <= out.x + out.w &&
           in.y + in.h <= out.y + out.h;
}

static bool overlap(struct rect a, struct rect b)
{
    return !canvas_rect_empty(canvas_rect_intersect(a, b));
}

TEST(layout_rects_tile_every_size)
{
    struct layout l;
    for (int zoom = -1; zoom < PANE_COUNT; zoom += 3) {
        for (int h = 1; h <= 100; h++) {
            for (int w = 1; w <= 300; w++) {
                struct rect s = canvas_rect(3, 2, w, h);
                layout_compute(&l, s, zoom);
                if (l.kind == LAYOUT_TOO_SMALL) {
                    if (w >= LAYOUT_MIN_W && h >= LAYOUT_MIN_H) {
                        test_fail(__FILE__, __LINE__, "%dx%d called too small", w, h);
                        return;
                    }
                    continue;
                }
                long area = (long)l.header.w * l.header.h + (long)l.footer.w * l.footer.h;
                int shown = 0;
                for (int i = 0; i < PANE_COUNT; i++) {
                    struct rect p = l.pane[i];
                    if (canvas_rect_empty(p)) {
                        continue;
                    }
                    shown++;
                    area += (long)p.w * p.h;
                    bool bad = !inside(p, l.body) || p.w < 20 || p.h < 4 || overlap(p, l.header) ||
                               overlap(p, l.footer);
                    for (int j = i + 1; j < PANE_COUNT; j++) {
                        bad = bad || overlap(p, l.pane[j]);
                    }
                    if (bad) {
                        test_fail(__FILE__, __LINE__, "%dx%d zoom %d: pane %d at %d,%d %dx%d", w, h,
                                  zoom, i, p.x, p.y, p.w, p.h);
                        return;
                    }
                }
                /* Panes, header and footer cover the whole screen, nothing left over. */
                if (area != (long)w * h || shown != (zoom >= 0 ? 1 : PANE_COUNT)) {
                    test_fail(__FILE__, __LINE__, "%dx%d zoom %d: %d panes cover %ld of %d", w, h,
                              zoom, shown, area, w * h);
                    return;
                }
            }
        }
    }
}

#define SENTINEL '@'

/* Draws everything the console draws (the full frame, each pane alone,
 * sparklines and long text) into r, then checks the margin around r. */
TEST(layout_property_nothing_outside_the_rect)
{
    utf8_locale();
    static const double series[] = {1, NAN, 3, 9, 2, NAN, 7};
    enum { M = 2 };
    for (int ascii = 0; ascii <= 1; ascii++) {
        struct canvas *c = canvas_new(200 + 2 * M, 60 + 2 * M, ascii);
        for (int h = 1; h <= 60; h++) {
            for (int w = 1; w <= 200; w++) {
                struct rect r = canvas_rect(M, M, w, h);
                struct rect around = canvas_rect(0, 0, w + 2 * M, h + 2 * M);
                canvas_fill(c, around, SENTINEL, ROLE_STALE);
                struct view v;
                view_init(&v);
                v.zoom = (w + h) % 7 == 0 ? (w % PANE_COUNT) : -1;
                v.focus = v.zoom >= 0 ? v.zoom : PANE_OVERVIEW;
                view_render(c, r, &v, NULL, TIME_TEXT);
                struct pane_view pv = {.focused = (w & 1) != 0, .compact = (h & 1) != 0};
                for (int i = 0; i < PANE_COUNT; i++) {
                    panes_get((enum pane_id)i)->draw(c, r, NULL, &pv, NULL);
                }
                canvas_put_text(c, r, M - 1, M + h - 1, ROLE_NORMAL,
                                "日本語 wide text \x1b[2J that is longer than anything…");
                sparkline_draw(c, r, M - 2, M, series, 7, NAN, NAN, ROLE_SPARKLINE);
                for (int y = 0; y < h + 2 * M; y++) {
                    for (int x = 0; x < w + 2 * M; x++) {
                        if (canvas_rect_contains(r, x, y)) {
                            continue;
                        }
                        const struct cell *k = canvas_cell(c, x, y);
                        if (k->cp != SENTINEL || k->role != ROLE_STALE || k->width != 1) {
                            test_fail(__FILE__, __LINE__,
                                      "%dx%d (%s): cell %d,%d outside the rect was written", w, h,
                                      ascii ? "ascii" : "utf8", x - M, y - M);
                            canvas_free(c);
                            return;
                        }
                    }
                }
            }
        }
        canvas_free(c);
    }
}

TEST(view_keys)
{
    struct view v;
    view_init(&v);
    CHECK_INT(v.focus, PANE_OVERVIEW);
    CHECK_INT(view_key(&v, NULL, KEYS_TAB), VIEW_REDRAW);
    CHECK_INT(v.focus, PANE_SERVERS);
    CHECK_INT(view_key(&v, NULL, KEYS_BACKTAB), VIEW_REDRAW);
    CHECK_INT(view_key(&v, NULL, KEYS_BACKTAB), VIEW_REDRAW);
    CHECK_INT(v.focus, PANE_CAPACITY);
    CHECK_INT(view_key(&v, NULL, '3'), VIEW_REDRAW);
    CHECK_INT(v.focus, PANE_PROVISIONERS);
    CHECK_INT(v.zoom, -1);
    CHECK_INT(view_key(&v, NULL, 'z'), VIEW_REDRAW);
    CHECK_INT(v.zoom, PANE_PROVISIONERS);
    CHECK_INT(view_key(&v, NULL, KEYS_TAB), VIEW_REDRAW); /* zoom follows focus */
    CHECK_INT(v.zoom, PANE_POSTGRES);
    CHECK_INT(view_key(&v, NULL, KEYS_ESCAPE), VIEW_REDRAW);
    CHECK_INT(v.zoom, -1);
    CHECK_INT(view_key(&v, NULL, KEYS_ESCAPE), VIEW_NONE);
    CHECK_INT(view_key(&v, NULL, KEYS_CTRL('l')), VIEW_REPAINT);
    CHECK_INT(view_key(&v, NULL, 'x'), VIEW_NONE);
    CHECK_INT(view_key(&v, NULL, 'q'), VIEW_QUIT);
}

TEST(panes_listed_once)
{
    for (int i = 0; i < PANE_COUNT; i++) {
        const struct pane_ops *p = panes_get((enum pane_id)i);
        CHECK(p->name && p->title && p->draw && p->help && p->help[0]);
        CHECK_INT(panes_find(p->name), i);
        CHECK_INT(p->hotkey, '1' + i);
    }
    CHECK_INT(panes_find("nope"), -1);
}

TEST(layout_header_and_footer_lines)
{
    utf8_locale();
    struct canvas *c = canvas_new(80, 4, false);
    struct layout_header live = {.time_text = TIME_TEXT, .right_text = "https://coder.example"};
    struct layout_header replay = {
        .replay = true,
        .time_text = TIME_TEXT,
        .right_text = "https://a-very-long-deployment-name.example.com/with/a/path"};
    static const struct layout_hint hints[] = {
        {"q", "quit"}, {"Tab", "next pane"}, {"z", "zoom"}, {"^L", "redraw"}, {"?", "help me"}};
    layout_draw_header(c, canvas_rect(0, 0, 80, 1), &live);
    layout_draw_header(c, canvas_rect(0, 1, 60, 1), &replay);
    layout_draw_footer(c, canvas_rect(0, 2, 60, 1), hints, 5);
    layout_draw_footer(c, canvas_rect(0, 3, 30, 1), hints, 5);
    char *t = canvas_dump_text(c), *r = canvas_dump_roles(c);
    /* The URL is right-aligned when it fits, truncated after the time when not;
     * a hint that does not fit whole is left out. */
    CHECK_GOLDEN("layout/header-footer.txt", t);
    CHECK_GOLDEN("layout/header-footer.roles", r);
    free(t);
    free(r);
    canvas_free(c);
}
