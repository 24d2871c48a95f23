/*
 * The recorder loop behind `scaletop record` and the console's own
 * recording: takes snapshots from a callback (the collector, or a test),
 * appends each to the history store in one transaction, paces the cycles,
 * logs to a stream with timestamps, and stops cleanly on SIGTERM/SIGINT.
 * Runs on the calling (poller) thread; never touches a terminal.
 */
#ifndef SCALETOP_RECORDER_H
#define SCALETOP_RECORDER_H

#include "backend/err.h"
#include "backend/snapshot.h"
#include "backend/store.h"

#include <stdio.h>

/* Returns the next snapshot (caller takes the reference), or NULL when the
 * source has no more (end of input). Called on the recorder's thread. */
typedef struct snapshot *(*recorder_next_fn)(void *ctx);

struct recorder_options {
    const char *db_path;
    struct store_options store;
    double interval_s;  /* pacing between cycles; 0 = as fast as the source gives */
    long max_cycles;    /* 0 = until the source ends or a signal */
    int handle_signals; /* block SIGTERM/SIGINT and stop on them (exit status 0) */
    int progress_every; /* log a progress line every N frames; 0 = never */
    FILE *log;          /* timestamped log lines; NULL = silent */
    /* Called once with the open store before the first cycle, on the
     * recorder's thread (e.g. to give the collector's advisor the history);
     * the store is borrowed until recorder_run returns. NULL = none. */
    void (*opened)(void *ctx, struct store *st);
};

/* Fills o with defaults: 15 s cadence, signals handled, progress hourly-ish. */
void recorder_options_defaults(struct recorder_options *o);

/* Records until the source ends, max_cycles, or SIGTERM/SIGINT. Returns 0 on
 * a clean stop; -1 with e filled when the history cannot be opened (another
 * recorder, unwritable path). Append errors are logged and retried next cycle. */
int recorder_run(const struct recorder_options *o, recorder_next_fn next, void *ctx,
                 struct err *e) WARN_UNUSED;

/* Writes one log line "2026-11-27T03:12:05Z scaletop record: MESSAGE". */
void recorder_log(FILE *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
