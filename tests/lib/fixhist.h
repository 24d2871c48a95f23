/*
 * A recorded fixture history for export, diff and snapshot --at tests: ten
 * frames a minute apart ending at FIXSNAP_TIME (03:03 to 03:12 UTC), four of
 * a steady deployment then six of the incident, with numbers that move from
 * frame to frame, two events, findings that start (and one that ends) and two
 * markers. Deterministic: the same file content for the same arguments.
 */
#ifndef SCALETOP_FIXHIST_H
#define SCALETOP_FIXHIST_H

#include "backend/err.h"

/* Time of frame i (0..FIXHIST_FRAMES-1). */
#define FIXHIST_FRAMES   10
#define FIXHIST_T0       (1795749120.0 - 540.0)
#define FIXHIST_FRAME(i) (FIXHIST_T0 + 60.0 * (i))
/* The two markers: after the deploy, and when the database team was paged. */
#define FIXHIST_MARK1 (FIXHIST_T0 + 210.0)
#define FIXHIST_MARK2 (FIXHIST_T0 + 450.0)

/* Writes the history to a new file at path (which must not exist); hostile
 * puts hostile strings in names, events and marker notes. -1 and e on error. */
int fixhist_write(const char *path, int hostile, struct err *e);

#endif
