/*
 * The collector: runs the configured pollers (backend/source.h) and turns
 * each cycle into one immutable snapshot. Pollers that read each other's
 * results (Coder API, then metrics, provisioner metrics, proxy health) run
 * one after another on one worker thread; every other kind (PostgreSQL,
 * Kubernetes, ...) runs on its own thread, so a slow source delays no other
 * beyond its own timeout. A cycle never waits longer than its deadline: a
 * poller that overruns is reported as timed out and skipped until it returns.
 *
 * Every cycle's snapshot carries the advisor's findings (backend/advisor.h),
 * evaluated with the thresholds of the config's [thresholds] section.
 *
 * One-shot mode (snapshot, check) polls twice `window` seconds apart; the
 * background mode (console, recorder) polls at a cadence and publishes each
 * snapshot by pointer swap, then writes a byte to a wake-up pipe.
 */
#ifndef SCALETOP_COLLECT_H
#define SCALETOP_COLLECT_H

#include "backend/config.h"
#include "backend/err.h"
#include "backend/snapshot.h"
#include "backend/source.h"

struct collect;

/* Creates a collector for cfg (borrowed: must outlive the collector) over
 * ops[0..nops) in poll order, calling each create(); kinds that cfg does not
 * enable are reported as disabled in every snapshot. Any thread. */
struct collect *collect_new(const struct config *cfg, const struct source_ops *const *ops,
                            size_t nops);

/* Stops the background thread if running, waits for pollers still running
 * (each bounded by its own timeout), destroys their states; NULL allowed. */
void collect_free(struct collect *c);

/* Sets the longest a cycle waits for its pollers (default: the request
 * timeout times the longest chain, plus one second). Before start only. */
void collect_set_deadline(struct collect *c, double seconds);

/* Runs one poll cycle now and returns its snapshot (refcount 1, caller
 * unrefs). Not while the background thread runs. */
struct snapshot *collect_cycle(struct collect *c);

/* One-shot: two cycles `window_s` apart (rates need two polls); returns the
 * second snapshot (caller unrefs). Not while the background thread runs. */
struct snapshot *collect_once(struct collect *c, double window_s);

/* Called on the poller thread with each new snapshot before it is
 * published (borrowed: take a reference to keep it), e.g. the recorder's
 * append to the history store. */
typedef void (*collect_sink_fn)(void *ctx, struct snapshot *snap);

/* Gives the advisor's trend rules (forecast, peaks) access to the history;
 * before the first cycle only. Copied. */
struct advisor_history;
void collect_set_history(struct collect *c, const struct advisor_history *h);

/* Sets the sink for the background mode; before collect_start only. */
void collect_set_sink(struct collect *c, collect_sink_fn fn, void *ctx);

/* Starts polling every interval_s on a background thread; each snapshot is
 * published (collect_latest) and announced on collect_wake_fd. A first
 * snapshot, with every enabled source "never" polled, is published at once
 * so that a console can draw before any source answers. */
int collect_start(struct collect *c, double interval_s, struct err *e) WARN_UNUSED;

/* Asks the background thread to start its next cycle now instead of at the
 * cadence (the console's refresh key); a cycle in progress is not cut short.
 * Any thread, never blocks for long; NULL allowed. */
void collect_poke(struct collect *c);

/* Stops the background thread and waits for it; safe if not started. */
void collect_stop(struct collect *c);

/* The newest published snapshot with a reference taken (caller unrefs), or
 * NULL before the first one. Any thread. */
struct snapshot *collect_latest(struct collect *c);

/* A non-blocking fd that becomes readable after each publication; the reader
 * drains it. Owned by the collector. */
int collect_wake_fd(const struct collect *c);

/* Number of cycles published so far by the background thread. Any thread. */
unsigned long collect_published(struct collect *c);

#endif
