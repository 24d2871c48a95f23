/*
 * The console's event loop: one UI thread waiting in poll() on the terminal
 * and a wake-up pipe (which pollers write to when a new snapshot is ready),
 * rendering a frame whenever something changed. The terminal is given back
 * on every way out: 'q', SIGTERM/SIGINT/SIGHUP, out of memory, and crash
 * signals (restored, then re-raised).
 */
#ifndef SCALETOP_APP_H
#define SCALETOP_APP_H

#include "backend/err.h"

#include <stdbool.h>

struct app_opts {
    bool ascii;    /* ASCII glyphs (also when the locale is not UTF-8) */
    bool no_color; /* --no-color */
};

struct app;

/* A new console with its wake-up pipe; does not touch the terminal yet.
 * Caller frees with app_free; never fails (aborts on OOM or no pipe). */
struct app *app_new(const struct app_opts *o);

/* Frees a; NULL is allowed. */
void app_free(struct app *a);

/* Wakes the loop to render again (a new snapshot); any thread,
 * async-signal-safe, never blocks. */
void app_wake(struct app *a);

/* Runs the console until the user quits or a terminating signal arrives;
 * the terminal is restored when it returns. Returns 0, or -1 with a message
 * in e (no terminal, unknown TERM). UI thread only. */
int app_run(struct app *a, struct err *e) WARN_UNUSED;

/* The terminating signal that ended app_run (SIGTERM, SIGINT, SIGHUP), or
 * 0 when the user quit; the caller re-raises it after cleaning up. */
int app_signal(const struct app *a);

#endif
