/*
 * The Prometheus HTTP query API (DESIGN.md §4 "Scale-out path"): instant
 * and range queries against Prometheus or a compatible store (Thanos, Mimir,
 * VictoriaMetrics), the JSON response parser, the "prometheus" poller
 * (prometheus_source_ops) that fills the same snapshot fields as direct
 * scraping, and a series source backed by range queries for history older
 * than the local file. See docs/prometheus.md.
 */
#ifndef SCALETOP_PROMAPI_H
#define SCALETOP_PROMAPI_H

#include "backend/config.h"
#include "backend/err.h"
#include "backend/series.h"
#include "backend/snapshot.h"
#include "backend/source.h"

#include <stdbool.h>
#include <stddef.h>

/* At most this many series are kept from one response (the rest counted). */
#define PROMAPI_MAX_SERIES 100000
/* Response bodies larger than this are refused (bytes). */
#define PROMAPI_MAX_BODY (64u * 1024u * 1024u)

struct promapi_point {
    double t; /* Unix seconds */
    double v; /* NAN, +-INFINITY as Prometheus wrote them */
};

/* One series of a result: its labels and its points (one for a vector or a
 * scalar, several for a matrix). Strings are owned by the result. */
struct promapi_series {
    char **label_names, **label_values;
    size_t nlabels;
    struct promapi_point *pts;
    size_t npts;
};

struct promapi_result {
    bool ok;                   /* status "success" */
    enum source_reason reason; /* when !ok */
    char error[ERR_MSG_MAX];   /* !ok: why; ok: the warnings joined with "; ", "" if none */
    char error_type[32];       /* Prometheus's errorType ("bad_data", "timeout", ...) or "" */
    char result_type[16];      /* "vector", "matrix", "scalar", "string" or "" */
    struct promapi_series *series;
    size_t nseries;
    size_t dropped; /* series past PROMAPI_MAX_SERIES */
    double latency_ms;
};

/* Parses a query API response body that came with HTTP status http_status
 * into r (which it initialises; call promapi_result_fini). Returns 0 when
 * the body is a "success" (r->ok, warnings in r->error), -1 otherwise with
 * r->reason and r->error: Prometheus's own "errorType: error" for an error
 * envelope, else what was wrong with the body or the HTTP status. Any
 * thread; never fails on malformed input. */
int promapi_parse(const char *body, size_t len, long http_status, struct promapi_result *r);

/* Frees what r holds; r may be parsed into again. */
void promapi_result_fini(struct promapi_result *r);

/* The value of label `name` of s, NULL if absent. Borrowed. */
const char *promapi_label(const struct promapi_series *s, const char *name);

/* --- the client ----------------------------------------------------------- */

struct promapi;

/* A client for cfg->prometheus_url with cfg's timeouts, TLS settings and
 * credentials (bearer token or basic auth, sent only to that origin); NULL
 * when no URL is configured. One thread at a time. Caller promapi_free()s. */
struct promapi *promapi_new(const struct config *cfg);

/* Frees the client and forgets its credentials; NULL allowed. */
void promapi_free(struct promapi *p);

/* The server as host:port without credentials, for messages. Borrowed. */
const char *promapi_server(const struct promapi *p);

/* An instant query (/api/v1/query) evaluated at `time` (NAN: the server's
 * now), bounded by timeout_s (also passed to Prometheus as its timeout).
 * Always fills r (call promapi_result_fini); returns 0 when r->ok. */
int promapi_query(struct promapi *p, const char *promql, double time, double timeout_s,
                  struct promapi_result *r);

/* A range query (/api/v1/query_range) over [start, end] every step_s
 * seconds, like promapi_query otherwise. */
int promapi_query_range(struct promapi *p, const char *promql, double start, double end,
                        double step_s, double timeout_s, struct promapi_result *r);

/* --- the poller ------------------------------------------------------------ */

/* Kind "prometheus": replica, provisioner and proxy metrics from the query
 * API when --prometheus is set; direct scraping is preferred per family
 * when --metrics / --provisioner-metrics are also given. */
extern const struct source_ops prometheus_source_ops;

/* --- history older than the local file ------------------------------------- */

/* A series source answering range reads with /api/v1/query_range. */
struct promapi_range;

/* A range source for cfg->prometheus_url; NULL when none is configured.
 * Its range() may be called from one thread at a time. */
struct promapi_range *promapi_range_new(const struct config *cfg);

/* Frees it; NULL allowed. */
void promapi_range_free(struct promapi_range *pr);

/* The series_source view of pr (ctx is pr; valid while pr lives). */
struct series_source promapi_range_source(struct promapi_range *pr);

/* Learns from a snapshot which Prometheus instance (the server's
 * metrics_target) serves each replica hostname, so that a series named
 * after the hostname finds its instance; any thread (locked). */
void promapi_range_learn(struct promapi_range *pr, const struct snapshot *snap);

/* The PromQL for scaletop series `series` with rate window window_s and
 * instance selector `selector` (e.g. instance="10.0.0.1:2112"); writes it
 * into buf and returns 0, or -1 when Prometheus does not have the series
 * (server/HOST/db_latency_ms, non-server kinds). For tests and docs. */
int promapi_series_promql(const char *series, const char *selector, double window_s, char *buf,
                          size_t bufsz);

#endif
