/*
 * The console's compare view over the recorded fixture history
 * (tests/lib/fixhist.h): it lists, line for line, the text `scaletop diff
 * --format text` prints for the same two frames (the shared formatter);
 * goldens at 80x24, 120x40 and 200x60 (one column, two columns, ASCII,
 * scrolled to the end); scrolling reaches every row exactly once and stops
 * at the ends; long lines wrap at a space and lose nothing; hostile names
 * never reach the canvas as control characters; the a, b and c keys and the
 * view's modality; nothing is drawn outside the rectangle at any size.
 */
#include "backend/diff.h"
#include "backend/escape.h"
#include "backend/store.h"
#include "tests/lib/fixhist.h"
#include "tests/lib/test.h"
#include "tui/compare.h"
#include "tui/keys.h"
#include "tui/layout.h"
#include "tui/view.h"

#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TIME_TEXT "2026-11-27 03:12:00 UTC"

static void utf8_locale(void)
{
    if (!setlocale(LC_CTYPE, "C.UTF-8")) {
        setlocale(LC_CTYPE, "C.utf8");
    }
}

/* A fresh fixture history in a scratch directory; caller cleans up. */
static char *make_history(int hostile)
{
    char tmpl[] = "/tmp/scaletop-compare.XXXXXX";
    char *dir = mkdtemp(tmpl);
    if (!dir) {
        return NULL;
    }
    char *path = malloc(strlen(dir) + 20);
    sprintf(path, "%s/history.db", dir);
    struct err e = {{0}};
    if (fixhist_write(path, hostile, &e) < 0) {
        test_fail(__FILE__, __LINE__, "fixhist_write: %s", e.msg);
    }
    return path;
}

static void remove_history(char *path)
{
    char buf[512];
    snprintf(buf, sizeof buf, "rm -rf '%.*s'", (int)(strrchr(path, '/') - path), path);
    if (system(buf) != 0) {
        test_fail(__FILE__, __LINE__, "cleanup failed");
    }
    free(path);
}

/* A view comparing frames i and j of a fixture history (as the console's
 * c does: both read back with store_snapshot_at), times in UTC; the
 * reference text `scaletop diff` would print in *want (caller frees). */
static void compare_frames(struct view *v, int i, int j, int hostile, char **want)
{
    char *path = make_history(hostile);
    struct err e = {{0}};
    struct store *st = store_open(path, STORE_VIEW, NULL, &e);
    CHECK(st != NULL);
    struct snapshot *a = st ? store_snapshot_at(st, FIXHIST_FRAME(i), &e) : NULL;
    struct snapshot *b = st ? store_snapshot_at(st, FIXHIST_FRAME(j), &e) : NULL;
    CHECK(a && b);
    view_init(v);
    v->ctx.utc = true;
    v->replay = true;
    if (a && b) {
        v->compare.a = a->time;
        v->compare.b = b->time;
        compare_show(&v->compare, a, b, false, false, false, true);
        struct diff *d = diff_snapshots(a, b);
        *want = diff_render(d, DIFF_TEXT, 1);
        diff_free(d);
    } else {
        *want = strdup("");
    }
    snapshot_unref(a);
    snapshot_unref(b);
    store_close(st);
    remove_history(path);
}

/* The frame of v at w x h (view_fit first, as the loop does). */
static struct canvas *frame(struct view *v, int w, int h, bool ascii)
{
    struct canvas *c = canvas_new(w, h, ascii);
    view_fit(v, c);
    view_render(c, canvas_bounds(c), v, NULL, TIME_TEXT);
    return c;
}

/* The text of canvas row y between columns x0 and x1 (exclusive), trailing
 * blanks trimmed, one leading blank (the view's margin) removed. */
static void cell_text(const struct canvas *c, int y, int x0, int x1, char *buf, size_t n)
{
    size_t o = 0;
    for (int x = x0; x < x1 && o + 5 < n; x++) {
        const struct cell *cl = canvas_cell(c, x, y);
        if (!cl || cl->width == 0) {
            continue;
        }
        uint32_t cp = cl->cp;
        if (cp < 0x80) {
            buf[o++] = (char)cp;
        } else if (cp < 0x800) {
            buf[o++] = (char)(0xc0 | (cp >> 6));
            buf[o++] = (char)(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            buf[o++] = (char)(0xe0 | (cp >> 12));
            buf[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
            buf[o++] = (char)(0x80 | (cp & 0x3f));
        } else {
            buf[o++] = '?';
        }
    }
    while (o > 0 && buf[o - 1] == ' ') {
        o--;
    }
    buf[o] = '\0';
    if (buf[0] == ' ') {
        memmove(buf, buf + 1, o);
    }
}

/* The lines the one-column view shows (between the frame's sides), the
 * frame's title and bottom edge left out, joined with newlines. */
static char *shown_lines(const struct canvas *c)
{
    struct strbuf b = {0};
    int w = canvas_width(c), h = canvas_height(c);
    for (int y = 2; y < h - 2; y++) {
        char line[1024];
        cell_text(c, y, 1, w - 1, line, sizeof line);
        strbuf_printf(&b, "%s\n", line);
    }
    return strbuf_take(&b);
}

/* text without the blank lines at its end, for comparing with a screen
 * whose unused rows are blank. */
static void trim_end(char *text)
{
    size_t n = strlen(text);
    while (n > 0 && text[n - 1] == '\n') {
        n--;
    }
    text[n] = '\0';
}

TEST(compare_view_shows_the_diff_text_line_for_line)
{
    utf8_locale();
    struct view v;
    char *want;
    compare_frames(&v, 3, 9, 0, &want);
    /* Tall enough for every line in one column: exactly the diff's text. */
    struct canvas *c = frame(&v, 100, 80, false);
    char *got = shown_lines(c);
    trim_end(got);
    trim_end(want);
    CHECK_STR(got, want);
    CHECK(v.compare.nchanges > 15);
    /* The header names both moments, and so does the frame's title. */
    char *t = canvas_dump_text(c);
    CHECK(strstr(t, "A 03:06:00  B 03:12:00") != NULL);
    CHECK(strstr(t, "Compare  A 2026-11-27 03:06:00 UTC  ->  B 2026-11-27 03:12:00 UTC") != NULL);
    free(t);
    free(got);
    free(want);
    canvas_free(c);
    view_fini(&v);
}

/* Pages through the view at w x h in one column of `rows` rows, keeping each
 * text row once by its position; returns them joined. */
static char *page_through(struct view *v, int w, int h, int rows)
{
    char *seen[400] = {0};
    int n = 0;
    for (int pages = 0; pages < 60; pages++) {
        struct canvas *c = frame(v, w, h, false);
        CHECK_INT(v->compare.page, rows);
        for (int y = 0; y < rows; y++) {
            char line[1024];
            cell_text(c, 2 + y, 1, w - 1, line, sizeof line);
            int at = v->compare.scroll + y;
            if (at < 400 && !seen[at]) {
                seen[at] = strdup(line);
                n = at + 1 > n ? at + 1 : n;
            }
        }
        canvas_free(c);
        if (v->compare.scroll >= v->compare.max_scroll) {
            break;
        }
        CHECK_INT(view_key(v, NULL, KEYS_PAGE_DOWN), VIEW_REDRAW);
    }
    struct strbuf b = {0};
    for (int i = 0; i < 400; i++) {
        if (i < n) {
            strbuf_printf(&b, "%s\n", seen[i] ? seen[i] : "<missing>");
        }
        free(seen[i]);
    }
    return strbuf_take(&b);
}

TEST(compare_view_scrolls_over_every_row_once_and_stops_at_the_ends)
{
    utf8_locale();
    struct view v;
    char *want;
    compare_frames(&v, 3, 9, 0, &want);
    char *got = page_through(&v, 80, 24, 20);
    trim_end(got);
    trim_end(want);
    CHECK_STR(got, want);
    /* At the end: Down and PgDn stay; Home goes to the top; Up at the top
     * stays; End goes to the bottom; k goes back one. */
    int max = v.compare.max_scroll;
    CHECK(max > 0);
    CHECK_INT(v.compare.scroll, max);
    CHECK_INT(view_key(&v, NULL, 'j'), VIEW_REDRAW);
    CHECK_INT(view_key(&v, NULL, KEYS_PAGE_DOWN), VIEW_REDRAW);
    CHECK_INT(v.compare.scroll, max);
    CHECK_INT(view_key(&v, NULL, KEYS_HOME), VIEW_REDRAW);
    CHECK_INT(v.compare.scroll, 0);
    CHECK_INT(view_key(&v, NULL, KEYS_UP), VIEW_REDRAW);
    CHECK_INT(v.compare.scroll, 0);
    CHECK_INT(view_key(&v, NULL, 'G'), VIEW_REDRAW);
    CHECK_INT(v.compare.scroll, max);
    CHECK_INT(view_key(&v, NULL, 'k'), VIEW_REDRAW);
    CHECK_INT(v.compare.scroll, max - 1);
    CHECK_INT(view_key(&v, NULL, KEYS_PAGE_UP), VIEW_REDRAW);
    CHECK_INT(v.compare.scroll, max - 21 > 0 ? max - 21 : 0);
    /* A resize to a taller screen clamps the scroll to what is left. */
    view_key(&v, NULL, KEYS_END);
    struct canvas *c = frame(&v, 80, 60, false);
    CHECK_INT(v.compare.max_scroll, 0);
    CHECK_INT(v.compare.scroll, 0);
    canvas_free(c);
    free(got);
    free(want);
    view_fini(&v);
}

TEST(compare_view_two_columns_when_wide)
{
    utf8_locale();
    struct view v;
    char *want;
    compare_frames(&v, 3, 9, 0, &want);
    /* 200x30: 26 rows a column, two columns; the left column then the right
     * one read as the diff's text. */
    struct canvas *c = frame(&v, 200, 30, false);
    CHECK_INT(v.compare.page, 52);
    struct strbuf b = {0};
    int mid = 1 + (198 - 1) / 2;
    for (int k = 0; k < 2; k++) {
        for (int y = 2; y < 28; y++) {
            char line[1024];
            cell_text(c, y, k == 0 ? 1 : mid + 1, k == 0 ? mid : 199, line, sizeof line);
            strbuf_printf(&b, "%s\n", line);
        }
    }
    char *got = strbuf_take(&b);
    trim_end(got);
    trim_end(want);
    CHECK_STR(got, want);
    /* The separator is drawn between them. */
    const struct cell *sep = canvas_cell(c, mid, 5);
    CHECK(sep && sep->cp == canvas_glyphs(c)->v);
    free(got);
    free(want);
    canvas_free(c);
    view_fini(&v);
}

TEST(compare_view_goldens)
{
    utf8_locale();
    struct view v;
    char *want;
    compare_frames(&v, 3, 9, 0, &want);
    free(want);
    static const struct {
        int w, h;
        bool ascii, end, roles;
        const char *name;
    } g[] = {
        {80, 24, false, false, true, "compare/80x24-utf8"},
        {80, 24, true, true, false, "compare/80x24-ascii-end"},
        {120, 40, false, false, false, "compare/120x40-utf8"},
        {200, 60, false, false, true, "compare/200x60-utf8"},
        {200, 30, true, false, false, "compare/200x30-ascii-two-columns"},
    };
    for (size_t i = 0; i < sizeof g / sizeof *g; i++) {
        v.compare.scroll = 0;
        struct canvas *c = frame(&v, g[i].w, g[i].h, g[i].ascii);
        if (g[i].end) {
            view_key(&v, NULL, KEYS_END);
            canvas_free(c);
            c = frame(&v, g[i].w, g[i].h, g[i].ascii);
        }
        char path[128], *t = canvas_dump_text(c);
        snprintf(path, sizeof path, "%s.txt", g[i].name);
        CHECK_GOLDEN(path, t);
        free(t);
        if (g[i].roles) {
            t = canvas_dump_roles(c);
            snprintf(path, sizeof path, "%s.roles", g[i].name);
            CHECK_GOLDEN(path, t);
            free(t);
        }
        canvas_free(c);
    }
    view_fini(&v);
}

TEST(compare_view_no_changes_and_swapped_title)
{
    utf8_locale();
    struct view v;
    char *want;
    compare_frames(&v, 5, 5, 0, &want);
    struct canvas *c = frame(&v, 80, 24, false);
    char *t = canvas_dump_text(c);
    CHECK(strstr(t, "  no changes") != NULL);
    CHECK(strstr(t, " 0 changes ") != NULL);
    free(t);
    canvas_free(c);
    /* A marked after B: the earlier first, the title says which is which. */
    v.compare.swapped = true;
    c = frame(&v, 80, 24, false);
    t = canvas_dump_text(c);
    CHECK(strstr(t, "Compare  B 2026-11-27 03:08:00 UTC  ->  A 2026-11-27 03:08:00 UTC") != NULL);
    free(t);
    canvas_free(c);
    v.compare.swapped = false;
    v.compare.b_shown = true;
    c = frame(&v, 80, 24, false);
    t = canvas_dump_text(c);
    CHECK(strstr(t, "->  B (shown) 2026-11-27 03:08:00 UTC") != NULL);
    free(t);
    canvas_free(c);
    /* Only B marked, and later than the moment shown: from A (shown) to B. */
    v.compare.b_shown = false;
    v.compare.a_shown = true;
    c = frame(&v, 80, 24, false);
    t = canvas_dump_text(c);
    CHECK(strstr(t, "Compare  A (shown) 2026-11-27 03:08:00 UTC  ->  B 2026") != NULL);
    free(t);
    canvas_free(c);
    /* B unmarked and earlier than A: B (shown) comes first. */
    v.compare.a_shown = false;
    v.compare.b_shown = true;
    v.compare.swapped = true;
    c = frame(&v, 80, 24, false);
    t = canvas_dump_text(c);
    CHECK(strstr(t, "Compare  B (shown) 2026-11-27 03:08:00 UTC  ->  A 2026") != NULL);
    free(t);
    canvas_free(c);
    free(want);
    view_fini(&v);
}

TEST(compare_rows_wrap_at_a_space_and_lose_nothing)
{
    utf8_locale();
    struct canvas *c = canvas_new(10, 10, false);
    const char *text =
        "Changes from x to y\n"
        "\n"
        "servers\n"
        "  changed   coder-1 error: - -> ping coder-0: i/o timeout after 30 seconds\n"
        "  added     an-entity-name-with-no-space-that-is-longer-than-the-line\n";
    char *rows = compare_rows_text(c, text, 40);
    CHECK_STR(rows, "Changes from x to y\n"
                    "\n"
                    "servers\n"
                    "  changed   coder-1 error: - -> ping\n"
                    "              coder-0: i/o timeout after\n"
                    "              30 seconds\n"
                    "  added\n"
                    "              an-entity-name-with-no-spa\n"
                    "              ce-that-is-longer-than-the\n"
                    "              -line\n");
    /* No row is wider than the column. */
    for (char *p = rows; *p;) {
        size_t n = strcspn(p, "\n");
        CHECK(n <= 40);
        p += n + (p[n] ? 1 : 0);
    }
    free(rows);
    /* A width smaller than the indent still makes progress. */
    rows = compare_rows_text(c, "  changed   abcdef\n", 3);
    char joined[64];
    size_t o = 0;
    for (char *p = rows; *p && o + 1 < sizeof joined; p++) {
        if (*p != ' ' && *p != '\n') {
            joined[o++] = *p;
        }
    }
    joined[o] = '\0';
    CHECK_STR(joined, "changedabcdef");
    free(rows);
    canvas_free(c);
}

TEST(compare_view_hostile_names_stay_inert)
{
    utf8_locale();
    struct view v;
    char *want;
    compare_frames(&v, 3, 9, 1, &want);
    CHECK(v.compare.nchanges > 0);
    for (int ascii = 0; ascii < 2; ascii++) {
        struct canvas *c = frame(&v, 120, 60, ascii);
        for (int y = 0; y < canvas_height(c); y++) {
            for (int x = 0; x < canvas_width(c); x++) {
                const struct cell *cl = canvas_cell(c, x, y);
                if (cl->width == 0) {
                    continue;
                }
                CHECK(cl->cp >= 0x20 && cl->cp != 0x7f && !(cl->cp >= 0x80 && cl->cp < 0xa0));
                CHECK(!ascii || cl->cp < 0x80);
            }
        }
        canvas_free(c);
    }
    free(want);
    view_fini(&v);
    /* Strings that did not go through snapshot_str (a bug elsewhere): the
     * canvas writer still removes the escape sequences and controls. */
    view_init(&v);
    struct snapshot *a = snapshot_new(100), *b = snapshot_new(200);
    struct server *sv = snapshot_add_server(b);
    sv->hostname = "evil\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2Jhost\r\n\xc2\x9b"
                   "31m";
    compare_show(&v.compare, a, b, false, false, false, true);
    CHECK(strchr(v.compare.text, 0x1b) != NULL);
    struct canvas *c = frame(&v, 80, 24, false);
    char *t = canvas_dump_text(c);
    CHECK(strstr(t, "joined    evil") != NULL);
    CHECK(strstr(t, "52;c") == NULL);
    CHECK(strchr(t, 0x1b) == NULL && strchr(t, '\r') == NULL && strchr(t, 0x07) == NULL);
    free(t);
    canvas_free(c);
    snapshot_unref(a);
    snapshot_unref(b);
    view_fini(&v);
}

TEST(compare_keys_mark_open_and_close)
{
    struct view v;
    view_init(&v);
    CHECK(isnan(v.compare.a) && isnan(v.compare.b) && !v.compare.open);
    CHECK_INT(view_key(&v, NULL, 'a'), VIEW_SET_A);
    CHECK_INT(view_key(&v, NULL, 'b'), VIEW_SET_B);
    CHECK_INT(view_key(&v, NULL, 'c'), VIEW_COMPARE);
    /* A pane's filter takes the letters first. */
    CHECK_INT(view_key(&v, NULL, '/'), VIEW_REDRAW);
    CHECK_INT(view_key(&v, NULL, 'a'), VIEW_REDRAW);
    CHECK_STR(v.panes[PANE_OVERVIEW].filter, "a");
    CHECK_INT(view_key(&v, NULL, KEYS_ESCAPE), VIEW_REDRAW);
    /* Marks in the header: only those that are set. */
    char buf[64];
    v.compare.a = 1795748580; /* 03:03:00 UTC */
    CHECK_STR(compare_marks_text(&v.compare, true, buf, sizeof buf), "A 03:03:00");
    v.compare.b = 1795749120;
    CHECK_STR(compare_marks_text(&v.compare, true, buf, sizeof buf), "A 03:03:00  B 03:12:00");
    v.compare.a = NAN;
    CHECK_STR(compare_marks_text(&v.compare, true, buf, sizeof buf), "B 03:12:00");

    /* Open, the view is modal: pane keys and time travel do nothing; ? is
     * help; q quits; Esc (or c, Left, Backspace) goes back. */
    struct snapshot *a = snapshot_new(100), *b = snapshot_new(200);
    compare_show(&v.compare, a, b, false, false, false, true);
    CHECK(v.compare.open);
    int focus = v.focus;
    CHECK_INT(view_key(&v, NULL, '3'), VIEW_NONE);
    CHECK_INT(view_key(&v, NULL, '['), VIEW_NONE);
    CHECK_INT(view_key(&v, NULL, 'a'), VIEW_NONE);
    CHECK_INT(v.focus, focus);
    CHECK_INT(view_key(&v, NULL, '?'), VIEW_REDRAW);
    CHECK(v.help);
    CHECK_INT(view_key(&v, NULL, 'x'), VIEW_REDRAW);
    CHECK(!v.help && v.compare.open);
    CHECK_INT(view_key(&v, NULL, 'q'), VIEW_QUIT);
    CHECK_INT(view_key(&v, NULL, KEYS_ESCAPE), VIEW_REDRAW);
    CHECK(!v.compare.open);
    compare_show(&v.compare, a, b, false, false, false, true);
    CHECK_INT(view_key(&v, NULL, 'c'), VIEW_REDRAW);
    CHECK(!v.compare.open);
    /* Closed, Esc does what it did before (nothing to unzoom here). */
    CHECK_INT(view_key(&v, NULL, KEYS_ESCAPE), VIEW_NONE);
    /* The footer says the compare view's keys while it is open. */
    compare_show(&v.compare, a, b, false, false, false, true);
    struct canvas *c = frame(&v, 80, 24, false);
    char *t = canvas_dump_text(c);
    CHECK(strstr(t, "Esc back  j/k scroll") != NULL);
    free(t);
    canvas_free(c);
    snapshot_unref(a);
    snapshot_unref(b);
    view_fini(&v);
}

TEST(compare_view_property_nothing_outside_the_rect)
{
    struct view v;
    char *want;
    compare_frames(&v, 3, 9, 1, &want);
    free(want);
    for (int w = 1; w <= 200; w += 7) {
        for (int h = 1; h <= 60; h += 5) {
            struct canvas *c = canvas_new(w + 4, h + 4, false);
            canvas_fill(c, canvas_bounds(c), '#', ROLE_NORMAL);
            struct rect r = canvas_rect(2, 2, w, h);
            struct layout l;
            layout_compute(&l, r, -1);
            compare_fit(&v.compare, c, l.body);
            view_render(c, r, &v, NULL, TIME_TEXT);
            compare_draw(c, r, &v.compare, true);
            for (int y = 0; y < h + 4; y++) {
                for (int x = 0; x < w + 4; x++) {
                    if (!canvas_rect_contains(r, x, y)) {
                        const struct cell *cl = canvas_cell(c, x, y);
                        if (cl->cp != '#') {
                            test_fail(__FILE__, __LINE__, "%dx%d: drew at %d,%d", w, h, x, y);
                            y = h + 4;
                            break;
                        }
                    }
                }
            }
            canvas_free(c);
        }
    }
    view_fini(&v);
}

TEST(compare_marks_and_plans_say_what_to_do)
{
    struct compare cmp;
    struct compare_plan p;
    char msg[200];
    compare_init(&cmp);
    /* No history file: said plainly, nothing marked, nothing planned. */
    compare_mark(&cmp, true, false, 1000, true, msg, sizeof msg);
    CHECK(strstr(msg, "compare needs a history file") != NULL);
    CHECK(isnan(cmp.a));
    cmp.a = 1000;
    CHECK_INT(compare_plan(&cmp, false, 2000, &p, msg, sizeof msg), -1);
    CHECK(strstr(msg, "compare needs a history file") != NULL);
    cmp.a = NAN;
    /* Nothing shown yet (live, before the first snapshot). */
    compare_mark(&cmp, false, true, NAN, true, msg, sizeof msg);
    CHECK_STR(msg, "nothing shown yet to mark as B");
    CHECK(isnan(cmp.b));
    /* No mark: how to set them. */
    CHECK_INT(compare_plan(&cmp, true, 2000, &p, msg, sizeof msg), -1);
    CHECK(strstr(msg, "press a at one moment and b at another") != NULL);
    /* A only: B is the moment shown. */
    compare_mark(&cmp, true, true, 1795748760, true, msg, sizeof msg);
    CHECK_STR(msg, "A = 2026-11-27 03:06:00 UTC; b marks B (else: the moment shown), c compares");
    CHECK_INT(compare_plan(&cmp, true, 1795749120, &p, msg, sizeof msg), 0);
    CHECK(p.from == 1795748760 && p.to == 1795749120 && !p.swapped && !p.a_shown && p.b_shown);
    /* ... and when nothing is shown, there is nothing to compare with. */
    CHECK_INT(compare_plan(&cmp, true, NAN, &p, msg, sizeof msg), -1);
    CHECK_STR(msg, "compare: nothing shown yet");
    /* The moment shown earlier than A: from it to A. */
    CHECK_INT(compare_plan(&cmp, true, 1795748580, &p, msg, sizeof msg), 0);
    CHECK(p.from == 1795748580 && p.to == 1795748760 && p.swapped && p.b_shown);
    /* Both marked: the moment shown does not matter. */
    compare_mark(&cmp, false, true, 1795749120, true, msg, sizeof msg);
    CHECK_STR(msg, "B = 2026-11-27 03:12:00 UTC; c compares A with B");
    CHECK_INT(compare_plan(&cmp, true, NAN, &p, msg, sizeof msg), 0);
    CHECK(p.from == 1795748760 && p.to == 1795749120 && !p.swapped && !p.a_shown && !p.b_shown);
    /* B only: A is the moment shown. */
    cmp.a = NAN;
    CHECK_INT(compare_plan(&cmp, true, 1795748640, &p, msg, sizeof msg), 0);
    CHECK(p.from == 1795748640 && p.to == 1795749120 && !p.swapped && p.a_shown && !p.b_shown);
    compare_fini(&cmp);
}
