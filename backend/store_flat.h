/*
 * Splitting a snapshot into what the history store keeps: numeric series
 * (every number that changes over time, named stably, e.g.
 * "server/HOST/api_p95_ms") and entity-state documents (one per source part
 * and one per entity, numbers and nulls removed), and joining them back. Works on the
 * snapshot JSON so that a field added to the writer is recorded with no
 * change here. Pure functions; any thread.
 */
#ifndef SCALETOP_STORE_FLAT_H
#define SCALETOP_STORE_FLAT_H

#include "backend/err.h"
#include "backend/snapshot.h"

#include <stddef.h>

struct store_flat_sample {
    char *name;       /* series name */
    char *entity;     /* "server/HOST", "postgres", ... */
    const char *unit; /* static: "ms", "s", "bytes", "1/s", "time", "rfc3339", "" */
    double v;
};

struct store_flat_state {
    char *key;  /* "@parts", a part ("servers") or an entity ("server/HOST") */
    char *data; /* compact JSON, numbers replaced by null */
};

struct store_flat {
    struct store_flat_sample *samples;
    size_t nsamples, cap_samples;
    struct store_flat_state *states;
    size_t nstates, cap_states;
    double t; /* the frame time, ms-rounded as stored */
};

/* Splits s into f (zeroed by the caller); -1 and e if s cannot be serialised. */
int store_flat_build(const struct snapshot *s, struct store_flat *f, struct err *e) WARN_UNUSED;

/* Frees what f holds and zeroes it. */
void store_flat_fini(struct store_flat *f);

/* Returns the state document stored under key as of the frame (borrowed until
 * the next call), or NULL. */
typedef const char *(*store_flat_state_fn)(void *ctx, const char *key);
/* Receives one value for the document being joined: rel is the path below
 * the entity ("connections/used", segments %-escaped). */
typedef void (*store_flat_put_fn)(void *jctx, const char *rel, double v, const char *unit);
/* Calls put for every series named PREFIX... that has a value at the frame. */
typedef void (*store_flat_values_fn)(void *ctx, const char *prefix, store_flat_put_fn put,
                                     void *jctx);

/* Joins state and values back into a snapshot JSON document for time t
 * (Unix seconds); caller frees. NULL and e if "@parts" is missing. */
char *store_flat_join(double t, store_flat_state_fn state, store_flat_values_fn values, void *ctx,
                      struct err *e);

/* The JSON merge patch (RFC 7386) turning document old into new, when it is
 * shorter than new; NULL otherwise (store new whole). Caller frees. */
char *store_flat_diff(const char *old_doc, const char *new_doc);

/* An opaque parsed document for applying many patches in a row: parse
 * (NULL if not an object), patch in place, dump (caller frees), free. */
void *store_flat_doc_parse(const char *doc);
void store_flat_doc_patch(void *doc, const char *patch);
char *store_flat_doc_dump(void *doc);
void store_flat_doc_free(void *doc);

/* True when a series of this unit is kept raw only (times are not rolled up). */
int store_flat_unit_is_time(const char *unit);

/* Parses RFC 3339 into Unix seconds (ms precision); NAN if it is not one. */
double store_flat_parse_time(const char *s);

#endif
