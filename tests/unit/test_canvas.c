/*
 * The canvas writer: clipping, wide characters, the truncation mark and
 * sanitising, checked as golden text and role layers and as properties
 * (nothing outside the rectangle, no control byte in any dump).
 */
#include "tui/canvas.h"
#include "tests/lib/test.h"

#include <locale.h>
#include <stdint.h>
#include <stdlib.h>

static void utf8_locale(void)
{
    /* Widths come from wcwidth(): pin the locale so goldens do not drift. */
    if (!setlocale(LC_CTYPE, "C.UTF-8")) {
        setlocale(LC_CTYPE, "C.utf8");
    }
}

/* Every line the writer and the box are asked to draw, in one picture. */
static void draw_sampler(struct canvas *c)
{
    struct rect all = canvas_bounds(c);
    canvas_put_text(c, all, 0, 0, ROLE_HEADER, "plain: coder-7f9c-2 eu-west");
    /* Clipped to 12 columns from x=2: mark in the last column. */
    canvas_put_text(c, canvas_rect(2, 1, 12, 1), 2, 1, ROLE_NORMAL, "The quick brown fox");
    /* Exactly fits: no mark. */
    canvas_put_text(c, canvas_rect(2, 2, 9, 1), 2, 2, ROLE_OK, "fits-here");
    /* One over: mark replaces the last character. */
    canvas_put_text(c, canvas_rect(2, 3, 9, 1), 2, 3, ROLE_WARN, "fits-here!");
    /* Wide characters: 7 columns take 日本語 and the mark... */
    canvas_put_text(c, canvas_rect(0, 4, 7, 1), 0, 4, ROLE_NORMAL, "日本語テキスト");
    /* ...8 columns: テ does not fit before the mark and becomes a space. */
    canvas_put_text(c, canvas_rect(10, 4, 8, 1), 10, 4, ROLE_NORMAL, "日本語テキスト");
    /* Starts left of the clip: the right half of 本 shows as a space. */
    canvas_put_text(c, canvas_rect(21, 4, 10, 1), 18, 4, ROLE_NORMAL, "日本語ok");
    /* Escapes and controls: never reach the grid. */
    canvas_put_text(c, all, 0, 5, ROLE_CRIT, "csi:host\x1b[31;1mRED\x1b[0m|bel:\x07|");
    canvas_put_text(c, all, 0, 6, ROLE_CRIT,
                    "osc52:a\x1b]52;c;ZWNobyBwd25lZA==\x07"
                    "b|title:\x1b]0;pwn\x1b\\c|");
    canvas_put_text(c, all, 0, 7, ROLE_CRIT,
                    "c1:x\xc2\x9b"
                    "31my\xc2\x85z|tab:a\tb|nl:a\nb");
    canvas_put_text(c, all, 0, 8, ROLE_CRIT,
                    "bidi:\xe2\x80\xae"
                    "evil\xe2\x80\xac|lri:\xe2\x81\xa6x\xe2\x81\xa9|bad:\xff\xfe|");
    canvas_box(c, canvas_rect(0, 9, 20, 4), "Servers", false);
    canvas_box(c, canvas_rect(20, 9, 12, 4), "Provisioners", true);
    canvas_box(c, canvas_rect(32, 9, 4, 3), "X", false);
}

TEST(canvas_golden_utf8)
{
    utf8_locale();
    struct canvas *c = canvas_new(40, 13, false);
    draw_sampler(c);
    char *t = canvas_dump_text(c);
    char *r = canvas_dump_roles(c);
    CHECK_GOLDEN("canvas/sampler-utf8.txt", t);
    CHECK_GOLDEN("canvas/sampler-utf8.roles", r);
    free(t);
    free(r);
    canvas_free(c);
}

TEST(canvas_golden_ascii)
{
    utf8_locale();
    struct canvas *c = canvas_new(40, 13, true);
    draw_sampler(c);
    char *t = canvas_dump_text(c);
    CHECK_GOLDEN("canvas/sampler-ascii.txt", t);
    for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
        if (*p >= 0x7f || (*p < 0x20 && *p != '\n')) {
            test_fail(__FILE__, __LINE__, "ASCII dump holds byte 0x%02x", *p);
            break;
        }
    }
    free(t);
    canvas_free(c);
}

/* No byte or sequence that could drive a terminal, in any dump. */
static void check_harmless(const char *file, int line, const char *t)
{
    const unsigned char *p = (const unsigned char *)t;
    for (size_t i = 0; p[i]; i++) {
        if ((p[i] < 0x20 && p[i] != '\n') || p[i] == 0x7f) {
            test_fail(file, line, "control byte 0x%02x at %zu", p[i], i);
            return;
        }
        if (p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) {
            test_fail(file, line, "C1 control at %zu", i);
            return;
        }
        /* U+202A..U+202E and U+2066..U+2069: bidi embeddings, overrides, isolates */
        if (p[i] == 0xe2 && ((p[i + 1] == 0x80 && p[i + 2] >= 0xaa && p[i + 2] <= 0xae) ||
                             (p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9))) {
            test_fail(file, line, "bidi control at %zu", i);
            return;
        }
    }
}

TEST(canvas_sanitises_escapes)
{
    utf8_locale();
    struct canvas *c = canvas_new(40, 13, false);
    draw_sampler(c);
    char *t = canvas_dump_text(c);
    check_harmless(__FILE__, __LINE__, t);
    /* Sequences go whole: their parameters do not show up as text either. */
    CHECK(strstr(t, "csi:hostRED|bel:|") != NULL);
    CHECK(strstr(t, "osc52:ab|title:c|") != NULL);
    CHECK(strstr(t, "ZWNo") == NULL);
    CHECK(strstr(t, "31m") == NULL);
    CHECK(strstr(t, "c1:xyz|tab:a b|nl:a b") != NULL);
    CHECK(strstr(t, "bidi:evil|lri:x|bad:\xef\xbf\xbd\xef\xbf\xbd|") != NULL);
    free(t);
    canvas_free(c);
}

TEST(canvas_truncation_mark_and_return)
{
    utf8_locale();
    struct canvas *c = canvas_new(10, 1, false);
    int x = canvas_put_text(c, canvas_bounds(c), 0, 0, ROLE_NORMAL, "abc");
    CHECK_INT(x, 3);
    x = canvas_put_text(c, canvas_bounds(c), 3, 0, ROLE_NORMAL, "defghijklmn");
    CHECK_INT(x, 10);
    char *t = canvas_dump_text(c);
    CHECK_STR(t, "abcdefghi\xe2\x80\xa6\n");
    free(t);
    /* One column left: just the mark. */
    canvas_clear(c);
    x = canvas_put_text(c, canvas_rect(0, 0, 5, 1), 4, 0, ROLE_NORMAL, "xyz");
    CHECK_INT(x, 5);
    t = canvas_dump_text(c);
    CHECK_STR(t, "    \xe2\x80\xa6\n");
    free(t);
    /* Outside the clip: nothing, and the position comes back unchanged. */
    CHECK_INT(canvas_put_text(c, canvas_rect(0, 0, 5, 1), 5, 0, ROLE_NORMAL, "q"), 5);
    CHECK_INT(canvas_put_text(c, canvas_rect(0, 0, 5, 1), 0, 1, ROLE_NORMAL, "q"), 0);
    CHECK_INT(canvas_text_width(c, "日本x\x1b[1m"), 5);
    canvas_free(c);

    c = canvas_new(10, 1, true);
    canvas_put_text(c, canvas_bounds(c), 0, 0, ROLE_NORMAL, "0123456789abc");
    t = canvas_dump_text(c);
    CHECK_STR(t, "012345678~\n");
    free(t);
    canvas_free(c);
}

/* Every width-2 cell is followed by a width-0 cell and vice versa. */
static int wide_pairs_ok(const struct canvas *c)
{
    for (int y = 0; y < canvas_height(c); y++) {
        for (int x = 0; x < canvas_width(c); x++) {
            const struct cell *k = canvas_cell(c, x, y);
            const struct cell *n = canvas_cell(c, x + 1, y);
            const struct cell *p = canvas_cell(c, x - 1, y);
            if (k->width == 2 && (!n || n->width != 0)) {
                return 0;
            }
            if (k->width == 0 && (!p || p->width != 2)) {
                return 0;
            }
        }
    }
    return 1;
}

TEST(canvas_overwriting_half_a_wide_char)
{
    utf8_locale();
    struct canvas *c = canvas_new(6, 1, false);
    struct rect all = canvas_bounds(c);
    canvas_put_text(c, all, 0, 0, ROLE_NORMAL, "日本語");
    canvas_put_text(c, all, 1, 0, ROLE_NORMAL, "x"); /* right half of 日 */
    canvas_put_text(c, all, 2, 0, ROLE_NORMAL, "y"); /* left half of 本 */
    CHECK(wide_pairs_ok(c));
    char *t = canvas_dump_text(c);
    CHECK_STR(t, " xy 語\n");
    free(t);
    /* A wide character never lands half outside the canvas. */
    canvas_clear(c);
    canvas_put_text(c, all, 5, 0, ROLE_NORMAL, "日");
    CHECK(wide_pairs_ok(c));
    t = canvas_dump_text(c);
    CHECK_STR(t, "     \xe2\x80\xa6\n");
    free(t);
    canvas_free(c);
}

/* A small deterministic generator for the property tests. */
static uint32_t rng(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static const char *const pieces[] = {
    "a",
    "host-1",
    " ",
    "日",
    "語",
    "é",
    "\x1b[31m",
    "\x1b]52;c;AAAA\x07",
    "\x07",
    "\xc2\x9b",
    "\xe2\x80\xae",
    "\xff",
    "\t",
    "\n",
    "\x1b",
    "\xe2\x80\xa6",
    "\xcc\x81",
    "🙂",
    "\x7f",
    "\x9b",
};

static void random_text(uint32_t *s, char *buf, size_t cap)
{
    size_t n = rng(s) % 12, len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *p = pieces[rng(s) % (sizeof pieces / sizeof *pieces)];
        size_t pl = strlen(p);
        if (len + pl + 1 >= cap) {
            break;
        }
        memcpy(buf + len, p, pl + 1);
        len += pl;
    }
}

#define SENTINEL '@' /* nothing in these tests draws it, in either glyph set */

/* Cells outside r must still hold the sentinel. */
static int sentinel_intact(const struct canvas *c, struct rect r)
{
    for (int y = 0; y < canvas_height(c); y++) {
        for (int x = 0; x < canvas_width(c); x++) {
            if (canvas_rect_contains(r, x, y)) {
                continue;
            }
            const struct cell *k = canvas_cell(c, x, y);
            if (k->cp != SENTINEL || k->width != 1 || k->role != ROLE_STALE) {
                return 0;
            }
        }
    }
    return 1;
}

TEST(canvas_property_never_outside_the_rect)
{
    utf8_locale();
    uint32_t seed = 0x5ca1e;
    char buf[256];
    for (int ascii = 0; ascii <= 1; ascii++) {
        struct canvas *c = canvas_new(30, 8, ascii);
        for (int iter = 0; iter < 4000; iter++) {
            canvas_fill(c, canvas_bounds(c), SENTINEL, ROLE_STALE);
            struct rect r = canvas_rect((int)(rng(&seed) % 12), (int)(rng(&seed) % 4),
                                        (int)(rng(&seed) % 16), (int)(rng(&seed) % 5));
            canvas_fill(c, r, ' ', ROLE_NORMAL);
            for (int k = 0; k < 4; k++) {
                random_text(&seed, buf, sizeof buf);
                int x = r.x - 3 + (int)(rng(&seed) % (unsigned)(r.w + 6));
                int y = r.y - 1 + (int)(rng(&seed) % (unsigned)(r.h + 2));
                canvas_put_text(c, r, x, y, ROLE_NORMAL, buf);
            }
            canvas_box(c, r, buf, iter % 2);
            if (!sentinel_intact(c, r)) {
                test_fail(__FILE__, __LINE__, "wrote outside %d,%d %dx%d (text '%s')", r.x, r.y,
                          r.w, r.h, buf);
                break;
            }
            if (!wide_pairs_ok(c)) {
                test_fail(__FILE__, __LINE__, "split wide character in %d,%d %dx%d", r.x, r.y, r.w,
                          r.h);
                break;
            }
            char *t = canvas_dump_text(c);
            check_harmless(__FILE__, __LINE__, t);
            if (ascii) {
                for (int y = 0; y < canvas_height(c); y++) {
                    for (int x = 0; x < canvas_width(c); x++) {
                        uint32_t cp = canvas_cell(c, x, y)->cp;
                        if (canvas_rect_contains(r, x, y) && (cp < 0x20 || cp > 0x7e)) {
                            test_fail(__FILE__, __LINE__, "non-ASCII U+%04X in ASCII mode",
                                      (unsigned)cp);
                            x = canvas_width(c);
                            y = canvas_height(c);
                        }
                    }
                }
            }
            free(t);
        }
        canvas_free(c);
    }
}

TEST(canvas_rect_helpers)
{
    struct rect a = canvas_rect(0, 0, 10, 5), b = canvas_rect(8, 3, 10, 10);
    struct rect i = canvas_rect_intersect(a, b);
    CHECK_INT(i.x, 8);
    CHECK_INT(i.y, 3);
    CHECK_INT(i.w, 2);
    CHECK_INT(i.h, 2);
    CHECK(canvas_rect_empty(canvas_rect_intersect(a, canvas_rect(20, 0, 3, 3))));
    CHECK(canvas_rect_empty(canvas_rect_inset(canvas_rect(0, 0, 2, 9), 1)));
    CHECK(!canvas_rect_contains(a, 10, 0));
    CHECK(canvas_rect_contains(a, 9, 4));
    CHECK_INT(canvas_rect(0, 0, -3, 2).w, 0);
}
