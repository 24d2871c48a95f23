/*
 * Kubernetes label selectors, as `kubectl get -l` takes them: requirements
 * joined by commas, each `key`, `!key`, `key=value`, `key==value`,
 * `key!=value`, `key in (a,b)` or `key notin (a,b)`. All must hold. As in
 * Kubernetes, `!=` and `notin` also hold when the key is absent. Used to
 * tell Coder's pods (workspaces, coderd, PostgreSQL, proxies, provisioners)
 * apart in the one pod list the Kubernetes poller already reads.
 */
#ifndef SCALETOP_LABELSEL_H
#define SCALETOP_LABELSEL_H

#include "backend/err.h"

#include <stdbool.h>
#include <stddef.h>

#define LABELSEL_MAX_REQS   16
#define LABELSEL_MAX_VALUES 16

enum labelsel_op {
    LABELSEL_EXISTS,
    LABELSEL_NOT_EXISTS,
    LABELSEL_IN,     /* also `=` and `==` (one value) */
    LABELSEL_NOT_IN, /* also `!=` */
};

struct labelsel_req {
    char *key;
    enum labelsel_op op;
    char *values[LABELSEL_MAX_VALUES];
    size_t nvalues;
};

/* A parsed selector. An empty text (or "none") parses to one that matches
 * nothing: a pod kind the operator does not want recognised. */
struct labelsel {
    struct labelsel_req reqs[LABELSEL_MAX_REQS];
    size_t n;
    bool none;
};

/* Parses text into s (zeroed first). 0, or -1 with e naming the problem (s
 * is then empty and needs no fini). Caller labelsel_fini()s. */
int labelsel_parse(struct labelsel *s, const char *text, struct err *e) WARN_UNUSED;

/* Frees what s holds; s may then be parsed again. */
void labelsel_fini(struct labelsel *s);

/* Looks up a label of the object being matched: its value, or NULL when
 * the object has no such label. */
typedef const char *(*labelsel_get_fn)(void *ctx, const char *key);

/* True when every requirement of s holds for the object behind get/ctx. */
bool labelsel_match(const struct labelsel *s, labelsel_get_fn get, void *ctx);

#endif
