/*
 * The coderd and provisioner /metrics pollers (metrics_source_ops and
 * provmetrics_source_ops in backend/source.h). This header exposes the
 * family filters they install on the parser, so that the benchmark measures
 * exactly what the pollers do.
 */
#ifndef SCALETOP_METRICS_H
#define SCALETOP_METRICS_H

#include "backend/promtext.h"
#include "backend/derive.h"
#include "backend/snapshot.h"

#include <stdbool.h>
#include <stddef.h>

/* Filter entry indexes whose counts the coderd poller reads. */
struct metrics_filter_ids {
    int agentstats;       /* coderd_agentstats_* lines (counted, not parsed) */
    int agentstats_probe; /* coderd_agentstats_connection_count (parsed: label set) */
    int agent_pushed;     /* agent_* re-exported by coderd's aggregator (counted) */
};

/* Installs on p the families the coderd poller parses (API, DB, process,
 * builds, DERP, queue wait) and counts (agent stats); everything else is
 * skipped. Fills ids. */
void metrics_coderd_filter(struct promtext *p, struct metrics_filter_ids *ids);

/* Installs on p the families the provisioner poller parses. */
void metrics_provisioner_filter(struct promtext *p);

/* Installs on p the families the proxy poller parses (the DERP relay). */
void metrics_proxy_filter(struct promtext *p);

/* Adds one relay's clients and bytes/s to the deployment's totals (NAN adds
 * nothing; the first known value replaces NAN). */
void metrics_add_derp_totals(struct deployment *d, double clients, double bytes_per_s);

struct source_ops;
/* The workspace proxies' /metrics poller (--proxy-metrics). */
extern const struct source_ops proxymetrics_source_ops;

/* The host of a URL ("http://h:1/x" -> "h", "[::1]" -> "::1") and host:port
 * into the given buffers; returns -1 when the URL has no host. */
int metrics_url_host(const char *url, char *host, size_t hostsz, char *hostport, size_t hpsz);

/* Index of the server a metrics target on host target_host belongs to, the
 * one rule direct scraping and Prometheus share: the first server not yet
 * matched (metrics_target NULL) whose relay address's host, else hostname,
 * equals target_host (case-insensitive); else a new server entry named
 * after the host. The caller sets metrics_target on the result. */
size_t metrics_match_server(struct snapshot *snap, const char *target_host);

/* The daemon a provisioner target on target_host runs: its name equals the
 * host or the host's first DNS label (pod names); NULL if none. */
const struct daemon *metrics_match_daemon(const struct snapshot *snap, const char *target_host);

/* True when every tag the queue's jobs ask for is offered by the daemon
 * (Coder's rule for non-scope tags; scope/owner are carried as tags too). */
bool metrics_daemon_serves(const struct daemon *dm, const struct queue *q);

/* The deployment's settings as every target's metrics tell them: database
 * metrics seen, agent stats at full cardinality (the probe family when
 * present, else unknown while per-agent series exist), built-in provisioner
 * daemons (true wins; false only where nothing said otherwise). Shared by
 * direct scraping and the Prometheus source. */
void metrics_set_deployment_flags(struct deployment *d, bool db_seen, bool probe_seen,
                                  bool probe_full, double agent_series, bool builtin_known,
                                  bool builtin);

/* Folds the provisioner build figures of n targets into the snapshot: the
 * deployment's build p95 from `all`, the build rates per hour added to the
 * deployment's (NAN rates add nothing), and each queue's build p95 from the
 * histograms of the targets whose daemon (owner[i], NULL when unmatched)
 * serves it — or, when no target matched a daemon and there is one queue,
 * the deployment's figure. Shared by direct scraping and Prometheus. */
void metrics_fold_builds(struct snapshot *snap, const struct derive_hist *all, double builds_per_h,
                         double failed_per_h, const struct daemon *const *owner,
                         const struct derive_hist *const *hists, size_t n);

#endif
