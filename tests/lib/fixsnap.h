/*
 * Fixture snapshots for golden tests of panes and writers: a deployment in
 * the middle of an incident, with every section populated, and a variant
 * whose deployment strings are hostile (escape sequences, markup, pipes,
 * quotes, bidi overrides, very long values).
 */
#ifndef SCALETOP_FIXSNAP_H
#define SCALETOP_FIXSNAP_H

#include "backend/snapshot.h"

/* 2026-11-27 03:12:00 UTC: the moment the fixture describes. */
#define FIXSNAP_TIME 1795749120.0

/* A new snapshot of the incident (refcount 1); hostile selects the variant
 * with hostile strings. */
struct snapshot *fixsnap_incident(int hostile);

/* A new snapshot of a healthy 1k-user deployment (refcount 1). */
struct snapshot *fixsnap_steady(void);

/* The incident (or, with incident 0, the steady) deployment as seen at time
 * t, every relative time counted from t; refcount 1. For recorded histories. */
struct snapshot *fixsnap_make(double t, int incident, int hostile);

#endif
