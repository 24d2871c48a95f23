/*
 * The coderd and provisioner /metrics pollers (metrics_source_ops and
 * provmetrics_source_ops in backend/source.h). This header exposes the
 * family filters they install on the parser, so that the benchmark measures
 * exactly what the pollers do.
 */
#ifndef SCALETOP_METRICS_H
#define SCALETOP_METRICS_H

#include "backend/promtext.h"

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

/* The host of a URL ("http://h:1/x" -> "h", "[::1]" -> "::1") and host:port
 * into the given buffers; returns -1 when the URL has no host. */
int metrics_url_host(const char *url, char *host, size_t hostsz, char *hostport, size_t hpsz);

#endif
