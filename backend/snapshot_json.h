/*
 * The snapshot JSON of DESIGN.md §6 ("scaletop_snapshot": 1): written for
 * `snapshot --format json` and exports, read back by the store and by tests.
 * Unknown numbers are null; every string was cleaned on the way in.
 */
#ifndef SCALETOP_SNAPSHOT_JSON_H
#define SCALETOP_SNAPSHOT_JSON_H

#include "backend/err.h"
#include "backend/snapshot.h"

#include <stdio.h>

/* Serialises s as one JSON document; caller frees. `pretty` indents. */
char *snapshot_json_dump(const struct snapshot *s, int pretty);

/* Writes the same to f; returns -1 and fills e on a write error. */
int snapshot_json_write(const struct snapshot *s, FILE *f, int pretty, struct err *e) WARN_UNUSED;

/* Parses a document written by snapshot_json_dump back into a new snapshot
 * (refcount 1). Unknown fields are ignored, missing ones stay unknown.
 * NULL and e filled on malformed input. */
struct snapshot *snapshot_json_parse(const char *text, size_t len, struct err *e);

#endif
