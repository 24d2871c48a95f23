/*
 * The terminal: the only module that draws with curses. It takes over the
 * terminal, flushes a canvas to it (only the rows that changed since the
 * last frame, one doupdate() per frame) and gives the terminal back, also
 * from a crash handler.
 */
#ifndef SCALETOP_SCREEN_H
#define SCALETOP_SCREEN_H

#include "backend/err.h"
#include "tui/canvas.h"

#include <stdbool.h>
#include <stdio.h>

struct screen;

/* Takes over the terminal on stdin/stdout (alternate screen, no echo,
 * hidden cursor, colours unless no_color, NO_COLOR or a mono terminal).
 * Returns NULL with a message in e when stdin/stdout is not a terminal or
 * TERM is unknown. UI thread only; one screen at a time. */
struct screen *screen_new(bool no_color, struct err *e);

/* Like screen_new on given streams and terminal type (NULL: $TERM), with
 * no terminal check: for tests that count the bytes a flush writes. The
 * crash-restore path is not armed. Returns NULL with a message in e when
 * the terminal type is unknown. */
struct screen *screen_new_stream(FILE *in, FILE *out, const char *term, bool no_color,
                                 struct err *e);

/* Gives the terminal back as it was and frees s; NULL is allowed. */
void screen_free(struct screen *s);

/* The terminal's size in cells (after a KEY_RESIZE, the new one). */
void screen_size(const struct screen *s, int *w, int *h);

/* True when roles are drawn in colour. */
bool screen_color(const struct screen *s);

/* Makes the next flush repaint the whole terminal (resize, Ctrl-L). */
void screen_invalidate(struct screen *s);

/* Draws canvas c: rows that differ from the last flushed frame (all rows
 * after screen_invalidate or a size change), then one doupdate(). */
void screen_flush(struct screen *s, const struct canvas *c);

/* Restores the terminal from a crash or out-of-memory path: writes the
 * terminal's exit sequences and the saved tty modes with async-signal-safe
 * calls only. Does nothing when no screen is active. Any thread. */
void screen_emergency_restore(void);

#endif
