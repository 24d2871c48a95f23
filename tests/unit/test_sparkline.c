/*
 * Sparklines: levels, gaps (a missing sample is not a zero), scaling, the
 * newest samples when the row is short, UTF-8 and ASCII, as goldens.
 */
#include "tui/sparkline.h"
#include "tests/lib/test.h"

#include <locale.h>
#include <math.h>
#include <stdlib.h>

static void utf8_locale(void)
{
    if (!setlocale(LC_CTYPE, "C.UTF-8")) {
        setlocale(LC_CTYPE, "C.utf8");
    }
}

TEST(sparkline_levels)
{
    CHECK_INT(sparkline_level(NAN, 0, 10), -1);
    CHECK_INT(sparkline_level(INFINITY, 0, 10), -1);
    CHECK_INT(sparkline_level(0, 0, 10), 0);
    CHECK_INT(sparkline_level(10, 0, 10), 7);
    CHECK_INT(sparkline_level(5, 0, 10), 4);
    CHECK_INT(sparkline_level(1.24, 0, 10), 0);
    CHECK_INT(sparkline_level(1.26, 0, 10), 1);
    CHECK_INT(sparkline_level(-5, 0, 10), 0);  /* clamped */
    CHECK_INT(sparkline_level(500, 0, 10), 7); /* clamped */
    CHECK_INT(sparkline_level(3, 3, 3), 0);    /* flat scale */
}

/* Draws the sample rows into a canvas and returns its text dump. */
static char *render(bool ascii)
{
    static const double ramp[] = {0, 1, 2, 3, 4, 5, 6, 7};
    static const double gaps[] = {0, 0, NAN, NAN, 0, 7, NAN, 3.5, 7, NAN};
    static const double latency[] = {12, 14, 13, 80, 250, 240, 60, 20, 15, 14, 13, 12};
    static const double none[] = {NAN, NAN, NAN};
    static const double flat[] = {5, 5, 5, 5};
    double many[40];
    for (int i = 0; i < 40; i++) {
        many[i] = i;
    }
    struct canvas *c = canvas_new(32, 7, ascii);
    struct rect all = canvas_bounds(c);
    canvas_put_text(c, all, 0, 0, ROLE_DIM, "ramp");
    sparkline_draw(c, all, 10, 0, ramp, 8, 0, 7, ROLE_SPARKLINE);
    canvas_put_text(c, all, 0, 1, ROLE_DIM, "gaps");
    sparkline_draw(c, all, 10, 1, gaps, 10, 0, 7, ROLE_SPARKLINE);
    canvas_put_text(c, all, 0, 2, ROLE_DIM, "auto");
    sparkline_draw(c, all, 10, 2, latency, 12, NAN, NAN, ROLE_SPARKLINE);
    canvas_put_text(c, all, 0, 3, ROLE_DIM, "zero-base");
    sparkline_draw(c, all, 10, 3, latency, 12, 0, NAN, ROLE_SPARKLINE);
    canvas_put_text(c, all, 0, 4, ROLE_DIM, "none");
    sparkline_draw(c, all, 10, 4, none, 3, NAN, NAN, ROLE_SPARKLINE);
    canvas_put_text(c, all, 15, 4, ROLE_DIM, "flat");
    sparkline_draw(c, all, 20, 4, flat, 4, NAN, NAN, ROLE_SPARKLINE);
    canvas_put_text(c, all, 0, 5, ROLE_DIM, "newest");
    /* 40 samples into 8 columns: samples 32..39, scaled on what is shown. */
    sparkline_draw(c, canvas_rect(10, 5, 8, 1), 10, 5, many, 40, NAN, NAN, ROLE_SPARKLINE);
    canvas_put_text(c, all, 0, 6, ROLE_DIM, "clipped");
    sparkline_draw(c, canvas_rect(12, 6, 4, 1), 10, 6, ramp, 8, 0, 7, ROLE_SPARKLINE);
    char *t = canvas_dump_text(c);
    canvas_free(c);
    return t;
}

TEST(sparkline_golden_utf8)
{
    utf8_locale();
    char *t = render(false);
    CHECK_GOLDEN("sparkline/rows-utf8.txt", t);
    /* A gap is blank, a zero is the lowest block: they never look alike. */
    CHECK(strstr(t, "gaps      \xe2\x96\x81\xe2\x96\x81  \xe2\x96\x81\xe2\x96\x88") != NULL);
    free(t);
}

TEST(sparkline_golden_ascii)
{
    utf8_locale();
    char *t = render(true);
    CHECK_GOLDEN("sparkline/rows-ascii.txt", t);
    CHECK(strstr(t, "gaps      __  _#") != NULL);
    free(t);
}

TEST(sparkline_returns_columns_drawn)
{
    utf8_locale();
    static const double v[] = {1, 2, NAN, 4, 5};
    struct canvas *c = canvas_new(10, 2, false);
    CHECK_INT(sparkline_draw(c, canvas_bounds(c), 0, 0, v, 5, NAN, NAN, ROLE_SPARKLINE), 5);
    CHECK_INT(sparkline_draw(c, canvas_bounds(c), 7, 0, v, 5, NAN, NAN, ROLE_SPARKLINE), 3);
    CHECK_INT(sparkline_draw(c, canvas_bounds(c), 0, 2, v, 5, NAN, NAN, ROLE_SPARKLINE), 0);
    CHECK_INT(sparkline_draw(c, canvas_bounds(c), 0, 1, v, 0, NAN, NAN, ROLE_SPARKLINE), 0);
    /* The gap cell is blank but drawn (role set), so stale content cannot show through. */
    const struct cell *gap = canvas_cell(c, 2, 0);
    CHECK_INT(gap->cp, ' ');
    CHECK_INT(gap->role, ROLE_SPARKLINE);
    canvas_free(c);
}
