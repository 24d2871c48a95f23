/*
 * DERP relay statistics of older coderd builds, which expose them only in Go's
 * expvar document (GET /api/v2/debug/expvar, owner-only, key "derp": the
 * field names of tailscale's derp server, docs/derp.md). The poller
 * (derpvar_source_ops, opt-in with --derp-expvar) reads it from each
 * replica's own relay address, since through the load balancer the answer
 * would come from whichever replica took the request.
 */
#ifndef SCALETOP_DERPVAR_H
#define SCALETOP_DERPVAR_H

#include "backend/err.h"

#include <stddef.h>

/* One reading of a relay's expvar counters and gauges; NAN when absent. */
struct derpvar_sample {
    double clients;     /* gauge_clients_local, else gauge_clients_total */
    double connections; /* gauge_current_connections */
    double bytes;       /* bytes_received + bytes_sent */
    double forwarded;   /* packets_forwarded_in + packets_forwarded_out */
    double dropped;     /* packets_dropped */
};

/* Parses an expvar document into out; -1 with a message in e when the body
 * is not JSON or has no "derp" object (a build without the embedded relay). */
int derpvar_parse(const char *body, size_t len, struct derpvar_sample *out,
                  struct err *e) WARN_UNUSED;

struct source_ops;
/* The expvar poller: fills DERP figures of replicas whose metrics had none. */
extern const struct source_ops derpvar_source_ops;

#endif
