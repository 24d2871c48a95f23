/*
 * Read access to recorded series, for sparklines and charts. The history
 * store provides one (and a Prometheus range-query source, for windows older
 * than the local file); panes and writers consume it without knowing which.
 *
 * Series names are "KIND/ENTITY/FIELD" with the snapshot's units, e.g.
 * "server/coder-1/api_p95_ms", "queue/coder/scope=organization/pending",
 * "postgres/connections/used", "proxy/eu-west/rtt_ms",
 * "capacity/cluster/cpu_requested_cores", "namespace/NS/RESOURCE/used".
 */
#ifndef SCALETOP_SERIES_H
#define SCALETOP_SERIES_H

#include "backend/snapshot.h"

#include <stddef.h>

/* Values of a recorded series in [from, to] as n evenly spaced points, NAN
 * for gaps; returns how many points were filled (0: no such series). */
struct series_source {
    void *ctx;
    size_t (*range)(void *ctx, const char *series, double from, double to, size_t n, double *out);
};

/* The name of a queue's series: "queue/ORG/k=v,k=v/FIELD"; returns buf. */
const char *series_queue(char *buf, size_t n, const char *org, const struct tagset *tags,
                         const char *field);

#endif
