/*
 * The canvas: an in-memory grid of cells that panes draw into and that
 * tui/screen.c flushes to the terminal (or the tests dump as text). A cell is
 * a code point, a display width (0 for the right half of a wide character)
 * and a role. All text enters through one width-aware writer that removes
 * escape sequences and control characters, clips to a rectangle and marks
 * truncation, so nothing from a deployment can drive the terminal.
 */
#ifndef SCALETOP_CANVAS_H
#define SCALETOP_CANVAS_H

#include "tui/glyphs.h"
#include "tui/theme.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A rectangle of cells; w or h <= 0 is empty. */
struct rect {
    int x, y, w, h;
};

struct cell {
    uint32_t cp;   /* code point; ' ' when blank; unused when width is 0 */
    uint8_t width; /* 1, 2 (first half of a wide char) or 0 (its right half) */
    uint8_t role;  /* enum role */
};

struct canvas;

/* A new blank canvas of w x h cells (negative sizes count as 0); ascii
 * selects the ASCII glyph table and replaces every non-ASCII character.
 * Caller frees with canvas_free; never fails (aborts on OOM). */
struct canvas *canvas_new(int w, int h, bool ascii);

/* Frees the canvas; NULL is allowed. */
void canvas_free(struct canvas *c);

/* Resizes to w x h and blanks every cell. */
void canvas_resize(struct canvas *c, int w, int h);

/* Blanks every cell (a space, role normal). */
void canvas_clear(struct canvas *c);

/* The canvas's width in cells. */
int canvas_width(const struct canvas *c);
/* The canvas's height in cells. */
int canvas_height(const struct canvas *c);
/* True when the canvas draws ASCII only (--ascii or a non-UTF-8 locale). */
bool canvas_ascii(const struct canvas *c);
/* The glyph table the canvas draws with; never NULL. */
const struct glyphs *canvas_glyphs(const struct canvas *c);
/* The whole canvas as a rectangle. */
struct rect canvas_bounds(const struct canvas *c);

/* The cell at (x, y), or NULL outside the canvas; borrowed. */
const struct cell *canvas_cell(const struct canvas *c, int x, int y);
/* Row y (canvas_width cells), or NULL outside; borrowed. */
const struct cell *canvas_row(const struct canvas *c, int y);

/* A rectangle; negative sizes become 0 (empty). */
struct rect canvas_rect(int x, int y, int w, int h);
/* The overlap of a and b (empty if none). */
struct rect canvas_rect_intersect(struct rect a, struct rect b);
/* r shrunk by n cells on every side (empty if nothing is left). */
struct rect canvas_rect_inset(struct rect r, int n);
/* True when r has no cell. */
bool canvas_rect_empty(struct rect r);
/* True when (x, y) is a cell of r. */
bool canvas_rect_contains(struct rect r, int x, int y);

/* Writes len bytes of UTF-8 text at (x, y), clipped to clip and the canvas.
 * Escape sequences and control characters are removed, invalid UTF-8 shows
 * as a replacement character, and in ASCII mode every non-ASCII character as
 * '?'. Text wider than the room left before clip's right edge ends in the
 * truncation mark ("…" or "~") in the last column; a wide character that does
 * not fit becomes a space. Returns the column after the last cell written
 * (x when nothing was written). */
int canvas_put_textn(struct canvas *c, struct rect clip, int x, int y, enum role role,
                     const char *s, size_t len);

/* canvas_put_textn for a NUL-terminated string (NULL draws nothing). */
int canvas_put_text(struct canvas *c, struct rect clip, int x, int y, enum role role,
                    const char *s);

/* printf into the writer (output capped at 1 KiB); same return. */
int canvas_printf(struct canvas *c, struct rect clip, int x, int y, enum role role, const char *fmt,
                  ...) __attribute__((format(printf, 6, 7)));

/* Display width of s as the writer would draw it, unclipped. */
int canvas_text_width(const struct canvas *c, const char *s);

/* Puts one glyph (one code point, sanitised like text) at (x, y) if it fits
 * in clip; returns its width, or 0 if nothing was drawn. */
int canvas_put_glyph(struct canvas *c, struct rect clip, int x, int y, enum role role, uint32_t cp);

/* Fills r (clipped to the canvas) with cp. */
void canvas_fill(struct canvas *c, struct rect r, uint32_t cp, enum role role);

/* Sets the role of every cell in r, keeping the characters (a selection bar). */
void canvas_set_role(struct canvas *c, struct rect r, enum role role);

/* Draws a frame on the border of r with an optional title in its top edge;
 * focus selects the focused frame glyphs and role. Draws only inside r. */
void canvas_box(struct canvas *c, struct rect r, const char *title, bool focus);

/* The characters as text, one line per row, trailing blanks trimmed; caller
 * frees. */
char *canvas_dump_text(const struct canvas *c);

/* The roles, one letter per cell (theme_role_letter), one line per row,
 * trailing normal cells trimmed; caller frees. */
char *canvas_dump_roles(const struct canvas *c);

#endif
