/*
 * A snapshot as plain text: every pane in its full (not compact) view,
 * each at the given width and as tall as its rows need, stacked. What
 * `scaletop snapshot --format text` prints; no escape codes, ever.
 */
#ifndef SCALETOP_TEXTRENDER_H
#define SCALETOP_TEXTRENDER_H

#include "backend/series.h"
#include "backend/snapshot.h"

#include <stdbool.h>

/* Renders every pane of s at width columns (at least 20); series may be
 * NULL (no sparklines). Times in UTC when utc. ASCII only when ascii.
 * Caller frees; never fails (aborts on OOM). */
char *textrender_snapshot(const struct snapshot *s, const struct series_source *series, int width,
                          bool ascii, bool utc);

#endif
