/*
 * The screen flush, on a real ncurses writing into a file: the first frame
 * draws everything, an unchanged frame writes nothing, a one-line change
 * writes a little, and an invalidation (resize, Ctrl-L) repaints it all.
 * These are byte counts, not timings.
 */
#include "tui/screen.h"
#include "tui/view.h"
#include "tests/lib/test.h"

#include <locale.h>
#include <stdlib.h>

static long bytes_of_flush(struct screen *s, const struct canvas *c, FILE *out)
{
    fflush(out);
    long before = ftell(out);
    screen_flush(s, c);
    fflush(out);
    return ftell(out) - before;
}

TEST(screen_flush_writes_only_what_changed)
{
    if (!setlocale(LC_CTYPE, "C.UTF-8")) {
        setlocale(LC_CTYPE, "C.utf8");
    }
    setenv("COLUMNS", "80", 1);
    setenv("LINES", "24", 1);
    unsetenv("NO_COLOR");
    FILE *out = tmpfile();
    FILE *in = fopen("/dev/null", "r");
    struct err e = {{0}};
    struct screen *s = screen_new_stream(in, out, "xterm-256color", false, &e);
    CHECK(s != NULL);
    if (!s) {
        printf("# %s\n", e.msg);
        fclose(out);
        fclose(in);
        return;
    }
    CHECK(screen_color(s));
    struct canvas *c = canvas_new(80, 24, false);
    struct view v;
    view_init(&v);
    view_render(c, canvas_bounds(c), &v, NULL, "2026-11-27 03:12:00 UTC");

    long first = bytes_of_flush(s, c, out);
    CHECK(first > 80 * 20); /* every cell */
    CHECK_INT(bytes_of_flush(s, c, out), 0);

    /* The clock's second changes in the header: a few bytes, within the
     * 80x24 budget of DESIGN.md §9 (600 B a refresh). */
    view_render(c, canvas_bounds(c), &v, NULL, "2026-11-27 03:12:01 UTC");
    long tick = bytes_of_flush(s, c, out);
    printf("# first %ld tick %ld\n", first, tick);
    CHECK(tick > 0);
    CHECK(tick <= 600);
    CHECK_INT(bytes_of_flush(s, c, out), 0);

    /* Moving the focus redraws two frames' worth of rows, still not all. */
    view_key(&v, NULL, KEYS_TAB);
    view_render(c, canvas_bounds(c), &v, NULL, "2026-11-27 03:12:01 UTC");
    long focus = bytes_of_flush(s, c, out);
    CHECK(focus > 0 && focus < first);

    /* Ctrl-L: everything again. */
    screen_invalidate(s);
    CHECK(bytes_of_flush(s, c, out) > 80 * 20);
    CHECK_INT(bytes_of_flush(s, c, out), 0);

    canvas_free(c);
    screen_free(s);
    fclose(out);
    fclose(in);
}

TEST(screen_flush_200x60_tick_within_budget)
{
    setenv("COLUMNS", "200", 1);
    setenv("LINES", "60", 1);
    FILE *out = tmpfile();
    FILE *in = fopen("/dev/null", "r");
    struct err e = {{0}};
    struct screen *s = screen_new_stream(in, out, "xterm-256color", true, &e);
    CHECK(s != NULL);
    if (!s) {
        fclose(out);
        fclose(in);
        return;
    }
    CHECK(!screen_color(s)); /* no_color asked */
    struct canvas *c = canvas_new(200, 60, false);
    struct view v;
    view_init(&v);
    view_render(c, canvas_bounds(c), &v, NULL, "2026-11-27 03:12:59 UTC");
    long first = bytes_of_flush(s, c, out);
    CHECK(first > 6 * 2 * 60 * 3); /* at least the frames top and bottom lines */
    view_render(c, canvas_bounds(c), &v, NULL, "2026-11-27 03:13:00 UTC");
    long tick = bytes_of_flush(s, c, out);
    printf("# 200x60: first %ld tick %ld\n", first, tick);
    CHECK(tick > 0 && tick <= 2048); /* DESIGN.md §9: <= 2 KB a refresh at 200x60 */
    CHECK_INT(bytes_of_flush(s, c, out), 0);
    canvas_free(c);
    screen_free(s);
    fclose(out);
    fclose(in);
}
