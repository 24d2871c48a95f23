/*
 * The UTF-8 and ASCII glyph tables. Invariant: every code point of the ASCII
 * table is printable ASCII (0x20..0x7e), and every entry of the UTF-8 table
 * is one column wide, so swapping tables never changes a layout.
 */
#include "tui/glyphs.h"

#include <langinfo.h>
#include <string.h>
#include <strings.h>

static const struct glyphs utf8_glyphs = {
    .ascii = false,
    .h = 0x2500, /* ─ */
    .v = 0x2502, /* │ */
    .tl = 0x250c,
    .tr = 0x2510,
    .bl = 0x2514,
    .br = 0x2518,
    .fh = 0x2550, /* ═ */
    .fv = 0x2551, /* ║ */
    .ftl = 0x2554,
    .ftr = 0x2557,
    .fbl = 0x255a,
    .fbr = 0x255d,
    .spark = {0x2581, 0x2582, 0x2583, 0x2584, 0x2585, 0x2586, 0x2587, 0x2588}, /* ▁..█ */
    .spark_gap = ' ',
    .ellipsis = 0x2026, /* … */
    .up = 0x2191,
    .down = 0x2193,
    .left = 0x2190,
    .right = 0x2192,
    .bullet = 0x2022,
    .replacement = 0xfffd,
};

static const struct glyphs ascii_glyphs = {
    .ascii = true,
    .h = '-',
    .v = '|',
    .tl = '+',
    .tr = '+',
    .bl = '+',
    .br = '+',
    .fh = '=',
    .fv = '#',
    .ftl = '#',
    .ftr = '#',
    .fbl = '#',
    .fbr = '#',
    .spark = {'_', '.', '-', '~', '=', '+', '*', '#'},
    .spark_gap = ' ',
    .ellipsis = '~',
    .up = '^',
    .down = 'v',
    .left = '<',
    .right = '>',
    .bullet = '*',
    .replacement = '?',
};

const struct glyphs *glyphs_get(bool ascii)
{
    return ascii ? &ascii_glyphs : &utf8_glyphs;
}

bool glyphs_locale_is_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
}
