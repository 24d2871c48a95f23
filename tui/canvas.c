/*
 * The canvas and its one text writer.
 *
 * Invariants: a cell of width 2 is always followed, on the same row, by a
 * cell of width 0, and a width-0 cell always follows a width-2 cell; every
 * stored code point is printable (never a control character, an escape, a
 * bidi override or a lone surrogate), and in ASCII mode is 0x20..0x7e.
 * Nothing is ever written outside the rectangle a caller passes in, except
 * the one case where a write splits a wide character that already straddled
 * that rectangle's edge, whose other half becomes a space to keep the grid
 * consistent.
 *
 * Widths come from wcwidth() in the current locale, the same answer ncurses
 * uses, so the canvas and the terminal agree on where each character lands.
 * Zero-width (combining) characters are dropped: a cell holds one code point.
 */
#include "tui/canvas.h"

#include "backend/text.h"
#include "backend/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

struct canvas {
    int w, h;
    bool ascii;
    const struct glyphs *glyphs;
    struct cell *cells;
};

static const struct cell blank = {' ', 1, ROLE_NORMAL};

struct canvas *canvas_new(int w, int h, bool ascii)
{
    struct canvas *c = xcalloc(1, sizeof *c);
    c->ascii = ascii;
    c->glyphs = glyphs_get(ascii);
    canvas_resize(c, w, h);
    return c;
}

void canvas_free(struct canvas *c)
{
    if (!c) {
        return;
    }
    free(c->cells);
    free(c);
}

void canvas_resize(struct canvas *c, int w, int h)
{
    c->w = w > 0 ? w : 0;
    c->h = h > 0 ? h : 0;
    free(c->cells);
    c->cells = xmalloc((size_t)c->w * (size_t)c->h * sizeof *c->cells + 1);
    canvas_clear(c);
}

void canvas_clear(struct canvas *c)
{
    size_t n = (size_t)c->w * (size_t)c->h;
    for (size_t i = 0; i < n; i++) {
        c->cells[i] = blank;
    }
}

int canvas_width(const struct canvas *c)
{
    return c->w;
}

int canvas_height(const struct canvas *c)
{
    return c->h;
}

bool canvas_ascii(const struct canvas *c)
{
    return c->ascii;
}

const struct glyphs *canvas_glyphs(const struct canvas *c)
{
    return c->glyphs;
}

struct rect canvas_bounds(const struct canvas *c)
{
    return canvas_rect(0, 0, c->w, c->h);
}

const struct cell *canvas_cell(const struct canvas *c, int x, int y)
{
    if (x < 0 || y < 0 || x >= c->w || y >= c->h) {
        return NULL;
    }
    return &c->cells[(size_t)y * (size_t)c->w + (size_t)x];
}

const struct cell *canvas_row(const struct canvas *c, int y)
{
    if (y < 0 || y >= c->h || c->w == 0) {
        return NULL;
    }
    return &c->cells[(size_t)y * (size_t)c->w];
}

struct rect canvas_rect(int x, int y, int w, int h)
{
    struct rect r = {x, y, w > 0 ? w : 0, h > 0 ? h : 0};
    return r;
}

static int imax(int a, int b)
{
    return a > b ? a : b;
}

static int imin(int a, int b)
{
    return a < b ? a : b;
}

struct rect canvas_rect_intersect(struct rect a, struct rect b)
{
    if (canvas_rect_empty(a) || canvas_rect_empty(b)) {
        return canvas_rect(imax(a.x, b.x), imax(a.y, b.y), 0, 0);
    }
    int x0 = imax(a.x, b.x), y0 = imax(a.y, b.y);
    int x1 = imin(a.x + a.w, b.x + b.w), y1 = imin(a.y + a.h, b.y + b.h);
    return canvas_rect(x0, y0, x1 - x0, y1 - y0);
}

struct rect canvas_rect_inset(struct rect r, int n)
{
    return canvas_rect(r.x + n, r.y + n, r.w - 2 * n, r.h - 2 * n);
}

bool canvas_rect_empty(struct rect r)
{
    return r.w <= 0 || r.h <= 0;
}

bool canvas_rect_contains(struct rect r, int x, int y)
{
    return !canvas_rect_empty(r) && x >= r.x && y >= r.y && x < r.x + r.w && y < r.y + r.h;
}

/* Sanitises one code point for display and returns its width (1 or 2), or
 * 0 when it takes no cell and is dropped (combining marks). */
static int glyph_width(const struct canvas *c, uint32_t *cp)
{
    if (text_is_unsafe(*cp) || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff)) {
        *cp = c->glyphs->replacement;
        return 1;
    }
    if (c->ascii) {
        if (*cp >= 0x7f) {
            *cp = c->glyphs->replacement;
        }
        return 1;
    }
    if (*cp < 0x7f) {
        return 1;
    }
    int w = wcwidth((wchar_t)*cp);
    if (w < 0) {
        /* Unassigned, or the locale cannot say: show that something is there. */
        *cp = c->glyphs->replacement;
        return 1;
    }
    return w > 2 ? 1 : w;
}

static struct cell *cell_at(struct canvas *c, int x, int y)
{
    return &c->cells[(size_t)y * (size_t)c->w + (size_t)x];
}

/* Stores a glyph of width w at (x, y), both halves inside the canvas,
 * repairing any wide character the write cuts in half. */
static void store(struct canvas *c, int x, int y, uint32_t cp, int w, enum role role)
{
    for (int i = 0; i < w; i++) {
        struct cell *k = cell_at(c, x + i, y);
        if (k->width == 0 && x + i > 0) {
            struct cell *left = cell_at(c, x + i - 1, y);
            if (left->width == 2 && i == 0) {
                left->cp = ' ';
                left->width = 1;
            }
        }
        if (k->width == 2 && x + i + 1 < c->w && i == w - 1) {
            struct cell *right = cell_at(c, x + i + 1, y);
            right->cp = ' ';
            right->width = 1;
        }
    }
    struct cell *k = cell_at(c, x, y);
    k->cp = cp;
    k->width = (uint8_t)w;
    k->role = (uint8_t)role;
    if (w == 2) {
        k[1].cp = ' ';
        k[1].width = 0;
        k[1].role = (uint8_t)role;
    }
}

/* True when the bytes need text_clean: anything but printable ASCII. */
static bool needs_clean(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x20 || b >= 0x7f) {
            return true;
        }
    }
    return false;
}

/* The sanitised form of s: s itself when it is plain ASCII, else a cleaned
 * copy stored in *owned (caller frees). */
static const char *sanitised(const char *s, size_t *len, char **owned)
{
    *owned = NULL;
    if (!needs_clean(s, *len)) {
        return s;
    }
    *owned = text_clean(s, *len);
    *len = strlen(*owned);
    return *owned;
}

static int width_of(const struct canvas *c, const char *t, size_t len)
{
    int total = 0;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        i += text_utf8_decode((const unsigned char *)t + i, len - i, &cp);
        total += glyph_width(c, &cp);
    }
    return total;
}

int canvas_put_textn(struct canvas *c, struct rect clip, int x, int y, enum role role,
                     const char *s, size_t len)
{
    struct rect r = canvas_rect_intersect(clip, canvas_bounds(c));
    if (!s || canvas_rect_empty(r) || y < r.y || y >= r.y + r.h || x >= r.x + r.w) {
        return x;
    }
    char *owned;
    const char *t = sanitised(s, &len, &owned);
    int right = r.x + r.w;
    int total = width_of(c, t, len);
    bool trunc = x + total > right;
    int limit = trunc ? right - 1 : right; /* the mark takes the last column */
    int col = x, last = x;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        i += text_utf8_decode((const unsigned char *)t + i, len - i, &cp);
        int w = glyph_width(c, &cp);
        if (w == 0) {
            continue;
        }
        if (col + w > limit) {
            break;
        }
        if (col < r.x) {
            /* Left of the clip: only a wide character's right half can show. */
            if (w == 2 && col + 1 == r.x) {
                store(c, r.x, y, ' ', 1, role);
                last = r.x + 1;
            }
            col += w;
            continue;
        }
        store(c, col, y, cp, w, role);
        col += w;
        last = col;
    }
    if (trunc) {
        /* Pad a wide character that did not fit, then the mark. */
        for (; col < limit; col++) {
            if (col >= r.x) {
                store(c, col, y, ' ', 1, role);
            }
        }
        if (limit >= r.x && limit >= x) {
            store(c, limit, y, c->glyphs->ellipsis, 1, role);
            last = limit + 1;
        }
    }
    free(owned);
    return last;
}

int canvas_put_text(struct canvas *c, struct rect clip, int x, int y, enum role role, const char *s)
{
    if (!s) {
        return x;
    }
    return canvas_put_textn(c, clip, x, y, role, s, strlen(s));
}

int canvas_printf(struct canvas *c, struct rect clip, int x, int y, enum role role, const char *fmt,
                  ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return x;
    }
    size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
    return canvas_put_textn(c, clip, x, y, role, buf, len);
}

int canvas_text_width(const struct canvas *c, const char *s)
{
    if (!s) {
        return 0;
    }
    size_t len = strlen(s);
    char *owned;
    const char *t = sanitised(s, &len, &owned);
    int w = width_of(c, t, len);
    free(owned);
    return w;
}

int canvas_put_glyph(struct canvas *c, struct rect clip, int x, int y, enum role role, uint32_t cp)
{
    struct rect r = canvas_rect_intersect(clip, canvas_bounds(c));
    int w = glyph_width(c, &cp);
    if (w == 0 || !canvas_rect_contains(r, x, y) || !canvas_rect_contains(r, x + w - 1, y)) {
        return 0;
    }
    store(c, x, y, cp, w, role);
    return w;
}

void canvas_fill(struct canvas *c, struct rect r, uint32_t cp, enum role role)
{
    r = canvas_rect_intersect(r, canvas_bounds(c));
    if (glyph_width(c, &cp) != 1) {
        cp = ' ';
    }
    for (int y = r.y; y < r.y + r.h; y++) {
        for (int x = r.x; x < r.x + r.w; x++) {
            store(c, x, y, cp, 1, role);
        }
    }
}

void canvas_set_role(struct canvas *c, struct rect r, enum role role)
{
    r = canvas_rect_intersect(r, canvas_bounds(c));
    for (int y = r.y; y < r.y + r.h; y++) {
        for (int x = r.x; x < r.x + r.w; x++) {
            cell_at(c, x, y)->role = (uint8_t)role;
        }
    }
}

void canvas_box(struct canvas *c, struct rect r, const char *title, bool focus)
{
    const struct glyphs *g = c->glyphs;
    enum role fr = focus ? ROLE_FOCUS : ROLE_FRAME;
    uint32_t h = focus ? g->fh : g->h, v = focus ? g->fv : g->v;
    if (canvas_rect_empty(r)) {
        return;
    }
    if (r.w < 2 || r.h < 2) {
        canvas_fill(c, r, r.h == 1 ? h : v, fr);
        return;
    }
    int x1 = r.x + r.w - 1, y1 = r.y + r.h - 1;
    canvas_fill(c, canvas_rect(r.x + 1, r.y, r.w - 2, 1), h, fr);
    canvas_fill(c, canvas_rect(r.x + 1, y1, r.w - 2, 1), h, fr);
    canvas_fill(c, canvas_rect(r.x, r.y + 1, 1, r.h - 2), v, fr);
    canvas_fill(c, canvas_rect(x1, r.y + 1, 1, r.h - 2), v, fr);
    canvas_put_glyph(c, r, r.x, r.y, fr, focus ? g->ftl : g->tl);
    canvas_put_glyph(c, r, x1, r.y, fr, focus ? g->ftr : g->tr);
    canvas_put_glyph(c, r, r.x, y1, fr, focus ? g->fbl : g->bl);
    canvas_put_glyph(c, r, x1, y1, fr, focus ? g->fbr : g->br);
    if (title && *title && r.w >= 5) {
        /* " Title " from the third column, never over the right corner. */
        struct rect tclip = canvas_rect(r.x + 1, r.y, r.w - 2, 1);
        int tx = canvas_put_text(c, tclip, r.x + 1, r.y, fr, " ");
        tx = canvas_put_text(c, canvas_rect(r.x + 1, r.y, r.w - 3, 1), tx, r.y, ROLE_TITLE, title);
        canvas_put_text(c, tclip, tx, r.y, fr, " ");
    }
}

static void append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    *buf = xgrow(*buf, cap, *len + n + 1, 1);
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
}

char *canvas_dump_text(const struct canvas *c)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    append(&buf, &len, &cap, "", 0);
    for (int y = 0; y < c->h; y++) {
        size_t keep = len;
        for (int x = 0; x < c->w; x++) {
            const struct cell *k = canvas_cell(c, x, y);
            if (k->width == 0) {
                continue;
            }
            char enc[4];
            size_t n = text_utf8_encode(k->cp, enc);
            append(&buf, &len, &cap, enc, n);
            if (k->cp != ' ') {
                keep = len;
            }
        }
        len = keep;
        append(&buf, &len, &cap, "\n", 1);
    }
    return buf;
}

char *canvas_dump_roles(const struct canvas *c)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    append(&buf, &len, &cap, "", 0);
    for (int y = 0; y < c->h; y++) {
        size_t keep = len;
        for (int x = 0; x < c->w; x++) {
            const struct cell *k = canvas_cell(c, x, y);
            char l = theme_role_letter((enum role)k->role);
            append(&buf, &len, &cap, &l, 1);
            if (l != '.') {
                keep = len;
            }
        }
        len = keep;
        append(&buf, &len, &cap, "\n", 1);
    }
    return buf;
}
