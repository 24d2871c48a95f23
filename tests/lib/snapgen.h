/*
 * Synthetic snapshots for store tests and benchmarks: every section of the
 * model filled, values that move like real ones (integer counters, fractional
 * latencies and rates), entity lists that change over time (a replica
 * restarts, daemons go busy/offline, findings start and end).
 */
#ifndef SCALETOP_SNAPGEN_H
#define SCALETOP_SNAPGEN_H

#include "backend/snapshot.h"

struct snapgen_shape {
    int servers, daemons, queues, proxies, namespaces, replicas, jobs;
};

/* The shape of the 1k and 10k presets (reference/performance.md §1.1). */
struct snapgen_shape snapgen_preset(int users_k);

/* The snapshot of cycle i at time t; deterministic in (shape, i, t, seed). */
struct snapshot *snapgen_make(const struct snapgen_shape *shape, double t, unsigned i,
                              unsigned seed);

#endif
