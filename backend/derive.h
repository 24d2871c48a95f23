/*
 * Derivations from scraped counters and histograms: rates across scrapes
 * with counter resets handled as Prometheus does, and histogram_quantile
 * with Prometheus's semantics, computed on bucket increases between two
 * scrapes (windowed, like rate()) per target and summed across targets.
 */
#ifndef SCALETOP_DERIVE_H
#define SCALETOP_DERIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DERIVE_MAX_BUCKETS 64

/* Increase of a counter from prev to cur: cur - prev, or cur when the
 * counter went down (a restart: it counted up from zero again). NAN when
 * either is unknown. */
double derive_increase(double prev, double cur);

/* Per-second rate of a counter over dt_s seconds; NAN when dt_s <= 0 or a
 * value is unknown. */
double derive_rate(double prev, double cur, double dt_s);

struct derive_bucket {
    double le;    /* upper bound; +Inf for the last */
    double count; /* cumulative */
};

/* Prometheus histogram_quantile over cumulative buckets (any order; sorted,
 * merged by equal le and made monotonic in place). NAN without a +Inf
 * bucket, with fewer than two buckets, or with no observations; -Inf/+Inf
 * for q < 0 / q > 1. Interpolates linearly inside the bucket; a rank in the
 * +Inf bucket gives the highest finite bound. */
double derive_histogram_quantile(double q, struct derive_bucket *b, size_t n);

/* A histogram (increase or absolute) accumulated by le. */
struct derive_hist {
    struct derive_bucket b[DERIVE_MAX_BUCKETS];
    size_t n;
    double sum, count;
    bool overflow; /* more distinct le values than fit: quantile is NAN */
};

/* Empties h. */
void derive_hist_init(struct derive_hist *h);

/* Adds `count` to the bucket with upper bound le (creating it). NAN counts
 * are ignored. */
void derive_hist_add(struct derive_hist *h, double le, double count);

/* Adds every bucket of src into dst (sum by le: aggregation across targets). */
void derive_hist_merge(struct derive_hist *dst, const struct derive_hist *src);

/* histogram_quantile(q) of h (h is not modified); NAN when empty. */
double derive_hist_quantile(const struct derive_hist *h, double q);

/* A 64-bit hash of bytes (FNV-1a), chainable through `seed`. */
uint64_t derive_hash(const void *data, size_t len, uint64_t seed);

#define DERIVE_HASH_SEED 0xcbf29ce484222325ULL

/* Previous counter values per series, across two scrapes of one target.
 * Values are recorded into the current generation; derive_series_commit
 * makes them the previous one. Fixed maximum of series (excess ignored). */
struct derive_series;

/* New table holding at most max_series series per generation. */
struct derive_series *derive_series_new(size_t max_series);

/* Frees t; NULL allowed. */
void derive_series_free(struct derive_series *t);

/* Records `cur` for `key` and returns the increase since the previous
 * generation (reset-aware). A series absent from a previous generation that
 * exists counts from zero (it was created since: Coder's build counters
 * start at 1); with no previous generation the result is NAN. */
double derive_series_increase(struct derive_series *t, uint64_t key, double cur);

/* The current generation becomes the previous one (after a good scrape). */
void derive_series_commit(struct derive_series *t);

/* Drops the current generation (after a failed scrape); keeps the previous. */
void derive_series_abort(struct derive_series *t);

/* True when a previous generation exists. */
bool derive_series_has_prev(const struct derive_series *t);

#endif
