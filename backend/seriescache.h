/*
 * A caching, asynchronous view of a slow series source (Prometheus range
 * queries, promapi_range_source) for a thread that must never wait on the
 * network: the console's UI thread. A read answers at once from what is
 * cached and queues the fetch the window still needs; one worker thread
 * fetches, newest request first, and calls a wake-up function when a
 * result arrives so the caller draws again. See docs/prometheus.md.
 */
#ifndef SCALETOP_SERIESCACHE_H
#define SCALETOP_SERIESCACHE_H

#include "backend/err.h"
#include "backend/series.h"

#include <stddef.h>

/* At most this many results are kept, and this many reads wait (older
 * waiting reads are dropped first: nobody looks at them any more). */
#define SERIESCACHE_MAX_ENTRIES 1024
#define SERIESCACHE_MAX_PENDING 256

typedef void (*seriescache_fn)(void *ctx);

struct seriescache;

/* A cache over slow (copied). The cache owns slow.ctx from now on and calls
 * free_slow(slow.ctx) (when not NULL) once its worker is done with it;
 * wake(wake_ctx) (may be NULL) is called from the worker thread after each
 * completed read and must not block (app_wake). Returns NULL with a message
 * in e when the worker thread cannot start (then slow is not taken). */
struct seriescache *seriescache_new(const struct series_source *slow, seriescache_fn free_slow,
                                    seriescache_fn wake, void *wake_ctx, struct err *e) WARN_UNUSED;

/* Stops the cache without waiting for a read in flight (the worker frees
 * what is left when that read ends; wake is never called after this
 * returns); NULL allowed. */
void seriescache_free(struct seriescache *c);

/* The series_source view (ctx is c). Its range() never waits on slow: it
 * copies the cached result for that window (else the newest for that
 * series and column count, re-binned to the asked window; columns it does
 * not cover are NAN), and queues a fetch
 * unless the cached window is within half a column of the asked one; it
 * returns 0 when nothing is cached yet. Any thread. */
struct series_source seriescache_source(struct seriescache *c);

/* Reads queued or in flight; for tests and for "fetching" hints. */
size_t seriescache_pending(struct seriescache *c);

/* Completed reads of slow so far (each one request at most). */
unsigned long seriescache_fetches(struct seriescache *c);

#endif
