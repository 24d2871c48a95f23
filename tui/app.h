/*
 * The console's event loop: one UI thread waiting in poll() on the terminal
 * and a wake-up pipe (which pollers write to when a new snapshot is ready),
 * rendering a frame whenever something changed. The terminal is given back
 * on every way out: 'q', SIGTERM/SIGINT/SIGHUP, out of memory, and crash
 * signals (restored, then re-raised). The loop also carries out the
 * console's actions: time travel over the history store, marks, snapshot
 * files, refresh and the compare view of two moments (tui/view.h VIEW_*
 * actions).
 */
#ifndef SCALETOP_APP_H
#define SCALETOP_APP_H

#include "backend/advisor.h"
#include "backend/collect.h"
#include "backend/err.h"
#include "backend/store.h"

#include <stdbool.h>

struct app_opts {
    bool ascii;    /* ASCII glyphs (also when the locale is not UTF-8) */
    bool no_color; /* --no-color */
    /* What is shown (all borrowed, NULL/false/0 for none): */
    struct collect *collect; /* the live source (started); NULL: no polling from here */
    struct store *history;   /* a STORE_VIEW connection the UI thread alone uses: time
                                travel, sparklines, marks; without a collector, LIVE
                                follows its newest frame (a viewer beside a recorder) */
    bool replay_only;        /* `scaletop replay`: no LIVE, start at start_at or the newest */
    double start_at;         /* replay: the time to start at; NAN: the newest frame */
    const struct advisor_thresholds *thresholds; /* NULL: the advisor's defaults */
    bool utc;                                    /* times in UTC */
    double window_s;                             /* sparkline span; 0: one hour */
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
