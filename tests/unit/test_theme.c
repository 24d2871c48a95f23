/*
 * Theme and glyph choices: when the console goes monochrome, what the
 * monochrome table looks like, and that the ASCII glyphs are ASCII.
 */
#include "tui/glyphs.h"
#include "tui/theme.h"
#include "tests/lib/test.h"

#include <locale.h>

TEST(theme_mono_when_asked_or_unable)
{
    CHECK(theme_want_color(false, NULL, 256));
    CHECK(theme_want_color(false, "", 8)); /* NO_COLOR set but empty: ignored */
    CHECK(!theme_want_color(false, "1", 256));
    CHECK(!theme_want_color(true, NULL, 256));
    CHECK(!theme_want_color(false, NULL, 2)); /* vt100 */
    CHECK(!theme_want_color(false, NULL, 0));
}

TEST(theme_mono_table_stands_out_without_colour)
{
    struct theme t;
    theme_init(&t, false);
    CHECK(!t.color);
    for (int r = 0; r < ROLE_COUNT; r++) {
        CHECK_INT(t.attr[r].fg, THEME_DEFAULT);
        CHECK_INT(t.attr[r].bg, THEME_DEFAULT);
    }
    /* What must be noticed at 3 a.m. is noticed on a vt100 too. */
    CHECK(t.attr[ROLE_CRIT].flags & THEME_REVERSE);
    CHECK(t.attr[ROLE_WARN].flags & THEME_BOLD);
    CHECK(t.attr[ROLE_SELECTION].flags & THEME_REVERSE);
    CHECK(t.attr[ROLE_FOCUS].flags != 0);
    theme_init(&t, true);
    CHECK(t.color);
    CHECK(t.attr[ROLE_CRIT].bg == THEME_RED);
}

TEST(theme_role_letters_distinct)
{
    for (int a = 0; a < ROLE_COUNT; a++) {
        CHECK(theme_role_letter((enum role)a) != '?');
        CHECK(theme_role_name((enum role)a)[0] != '?');
        for (int b = a + 1; b < ROLE_COUNT; b++) {
            CHECK(theme_role_letter((enum role)a) != theme_role_letter((enum role)b));
        }
    }
    CHECK_INT(theme_role_letter(ROLE_NORMAL), '.');
    CHECK_INT(theme_role_letter(ROLE_COUNT), '?');
}

TEST(glyphs_ascii_table_is_ascii)
{
    const struct glyphs *g = glyphs_get(true);
    const uint32_t all[] = {g->h,    g->v,     g->tl,       g->tr,          g->bl,
                            g->br,   g->fh,    g->fv,       g->ftl,         g->ftr,
                            g->fbl,  g->fbr,   g->ellipsis, g->up,          g->down,
                            g->left, g->right, g->bullet,   g->replacement, g->spark_gap};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        CHECK(all[i] >= 0x20 && all[i] < 0x7f);
    }
    for (int i = 0; i < GLYPHS_SPARK_LEVELS; i++) {
        CHECK(g->spark[i] >= 0x20 && g->spark[i] < 0x7f);
        /* a gap never looks like a level */
        CHECK(g->spark[i] != g->spark_gap);
        CHECK(glyphs_get(false)->spark[i] != glyphs_get(false)->spark_gap);
    }
    CHECK(g->ascii);
    CHECK(!glyphs_get(false)->ascii);
    CHECK_INT(glyphs_get(false)->ellipsis, 0x2026);
}

TEST(glyphs_locale_detection)
{
    if (setlocale(LC_CTYPE, "C.UTF-8") || setlocale(LC_CTYPE, "C.utf8")) {
        CHECK(glyphs_locale_is_utf8());
    }
    setlocale(LC_CTYPE, "C");
    CHECK(!glyphs_locale_is_utf8());
}
