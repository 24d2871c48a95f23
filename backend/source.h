/*
 * The poller interface. Each kind of source (Coder API, coderd metrics,
 * provisioner metrics, proxy health, PostgreSQL, Kubernetes, Prometheus)
 * implements one const struct source_ops. The collector (backend/collect.c)
 * creates the configured ones, and on each cycle calls poll() in a fixed order
 * on a poller thread, handing every poller the snapshot under construction:
 * later pollers may read what earlier ones wrote (metrics match replicas by
 * host; proxy health needs the proxy list). poll() adds its own source_state
 * entries and its data; failures become data (status, reason, error), never
 * a crash or an exit. Pollers keep what they need across cycles (previous
 * counters for rates, connections) in their own opaque state.
 */
#ifndef SCALETOP_SOURCE_H
#define SCALETOP_SOURCE_H

#include "backend/config.h"
#include "backend/snapshot.h"

struct source_ops {
    const char *kind; /* as in source_state.kind */
    /* Creates the poller's state; NULL when the config does not enable it
     * (then add_disabled() describes it). Called once, any thread. */
    void *(*create)(const struct config *cfg);
    /* One poll into `snap` at time `now` (Unix seconds). Poller thread only.
     * Must return within the configured timeouts whatever the source does. */
    void (*poll)(void *state, struct snapshot *snap, double now);
    /* Adds this kind's source_state as DISABLED with the hint that enables it. */
    void (*add_disabled)(struct snapshot *snap);
    /* Frees the state; NULL allowed. */
    void (*destroy)(void *state);
};

extern const struct source_ops coder_source_ops;
extern const struct source_ops metrics_source_ops;     /* coderd /metrics */
extern const struct source_ops provmetrics_source_ops; /* provisioner /metrics */
extern const struct source_ops proxyhealth_source_ops; /* each proxy's /healthz */
extern const struct source_ops postgres_source_ops;
extern const struct source_ops kubernetes_source_ops;

#endif
