/*
 * Kubernetes resource quantities ("500m", "64Gi", "2e3", "1.5", "100Mi") in
 * the full grammar of apimachinery's resource.Quantity, turned into plain
 * numbers in base units (cores, bytes, counts).
 */
#ifndef SCALETOP_QUANTITY_H
#define SCALETOP_QUANTITY_H

#include "backend/err.h"

#include <stddef.h>

/* Longest quantity string accepted; the API server never emits more. */
#define QUANTITY_MAX_LEN 128

/* Parses `len` bytes of `s` (need not be NUL-terminated) as a quantity into
 * *out in base units. Like the API server, non-zero values are rounded away
 * from zero to a multiple of 1e-9 for decimal notations. Returns 0, or -1 with
 * e naming the input and what is wrong (empty, bad number, unknown suffix,
 * out of range). Any thread. */
int quantity_parsen(const char *s, size_t len, double *out, struct err *e) WARN_UNUSED;

/* Same for a NUL-terminated string. */
int quantity_parse(const char *s, double *out, struct err *e) WARN_UNUSED;

#endif
