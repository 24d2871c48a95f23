/*
 * What changed between two snapshots: replicas that joined or left, daemons
 * and proxies whose state changed, queues and Postgres numbers with their
 * deltas, findings that started or ended. Used by `scaletop diff` and the
 * console's compare view.
 */
#ifndef SCALETOP_DIFF_H
#define SCALETOP_DIFF_H

#include "backend/snapshot.h"

#include <stddef.h>

enum change_kind { CHANGE_ADDED, CHANGE_REMOVED, CHANGE_CHANGED };

struct change {
    const char *section; /* "servers", "daemons", "queues", "postgres", "proxies",
                            "capacity", "findings", "sources" (static strings) */
    enum change_kind kind;
    char *entity; /* e.g. "coder-1", "coder/scope=organization" */
    char *field;  /* what changed, NULL for added/removed */
    char *from;   /* old value as text, NULL if none */
    char *to;     /* new value as text, NULL if none */
    double delta; /* to - from for numbers, NAN otherwise */
};

struct diff {
    double from_time, to_time;
    struct change *changes;
    size_t n, cap;
};

enum diff_format { DIFF_TEXT, DIFF_MD, DIFF_JSON };

/* Compares a (earlier) with b (later); caller frees with diff_free. */
struct diff *diff_snapshots(const struct snapshot *a, const struct snapshot *b);
void diff_free(struct diff *d);

/* Renders the diff; caller frees. Times are shown in UTC when utc is set,
 * else in local time. */
char *diff_render(const struct diff *d, enum diff_format fmt, int utc);

/* Name of a change kind: "added", "removed", "changed". */
const char *change_kind_name(enum change_kind k);

#endif
