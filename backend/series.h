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

#include <stdbool.h>
#include <stddef.h>

/* Values of a recorded series in [from, to] as n evenly spaced points, NAN
 * for gaps; returns how many points were filled (0: no such series). */
struct series_source {
    void *ctx;
    size_t (*range)(void *ctx, const char *series, double from, double to, size_t n, double *out);
};

/* Where the values of a range read came from. */
enum series_origin {
    SERIES_ORIGIN_NONE = 0, /* no values at all */
    SERIES_ORIGIN_LOCAL,    /* the history file only */
    SERIES_ORIGIN_REMOTE,   /* the secondary (Prometheus) only */
    SERIES_ORIGIN_MIXED,    /* older columns remote, newer local */
};

/* A source that reads `primary` (the local store) first and fills the
 * columns before its first value (history older than the file) from
 * `secondary` (e.g. promapi_range_source); both are copied. Never NULL;
 * free with series_source_fallback_free. Its range() may be called from one
 * thread at a time (it records the origin of the last read). */
struct series_source *series_source_fallback(const struct series_source *primary,
                                             const struct series_source *secondary);

/* Frees a source made by series_source_fallback; NULL allowed. */
void series_source_fallback_free(struct series_source *s);

/* Reads like s->range and says where the values came from in *origin and
 * how many columns came from the secondary in *remote_columns (either may be
 * NULL). Any series_source works: a tally reports (and tallies) what its
 * inner source says; another that is not a fallback reports LOCAL (or NONE
 * when nothing was filled). Reentrant for a given fallback s. */
size_t series_range_origin(const struct series_source *s, const char *series, double from,
                           double to, size_t n, double *out, enum series_origin *origin,
                           size_t *remote_columns);

/* The origin of the last range() call made through s (a fallback source;
 * other sources: LOCAL); for panes that only hold a series_source. */
enum series_origin series_source_origin(const struct series_source *s);

/* "local", "prometheus", "local+prometheus" or "none", for a pane's label. */
const char *series_origin_name(enum series_origin o);

/* A source that reads through another and tallies where the values of its
 * reads came from, so that whoever draws with it (a pane) can be labelled
 * afterwards without knowing what it read. Embedded by its owner; one
 * thread. */
struct series_tally {
    struct series_source self; /* hand out &t->self */
    struct series_source inner;
    bool local, remote; /* since the last series_tally_take */
};

/* Makes t read through inner (copied); t->self is valid while t lives. */
void series_tally_init(struct series_tally *t, const struct series_source *inner);

/* The combined origin of the reads since the last call (LOCAL, REMOTE,
 * MIXED when both or a mixed read happened, NONE when nothing was
 * filled), and starts a new tally. */
enum series_origin series_tally_take(struct series_tally *t);

/* The name of a queue's series: "queue/ORG/k=v,k=v/FIELD"; returns buf. */
const char *series_queue(char *buf, size_t n, const char *org, const struct tagset *tags,
                         const char *field);

#endif
