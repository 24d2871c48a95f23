/*
 * Fan-out: run one blocking probe per item on threads of its own and wait
 * for all of them (a poller's per-target requests, bounded by the poll's
 * own timeouts).
 */
#ifndef SCALETOP_FANOUT_H
#define SCALETOP_FANOUT_H

#include <stddef.h>

/* Calls fn(item) for each of the n items of `size` bytes at `items`, each on
 * its own thread, and returns when all have returned. An item whose thread
 * cannot be started runs on the calling thread instead, so every item is
 * probed. n may be 0. */
void fanout_run(void *items, size_t n, size_t size, void *(*fn)(void *item));

#endif
