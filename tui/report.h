/*
 * Exports of a recorded time window (`scaletop export`): the series as CSV or
 * JSON, and an incident report in Markdown or HTML with the timeline of
 * events, findings and markers, charts of the key series with the markers on
 * them, and the full snapshot at each marker. Everything is read from the
 * history store once (report_load) and rendered from memory, so one
 * redactor covers the whole export and a name gets one pseudonym throughout.
 */
#ifndef SCALETOP_REPORT_H
#define SCALETOP_REPORT_H

#include "backend/err.h"
#include "backend/series.h"
#include "backend/store.h"

#include <stdbool.h>
#include <stddef.h>

/* At most this many frames are read by report_load; a longer window is
 * sampled evenly. */
#define REPORT_MAX_FRAMES 2000

enum report_format { REPORT_CSV, REPORT_JSON, REPORT_MD, REPORT_HTML };

struct report;

/* Reads the window [from, to] of st (borrowed; used only during the call):
 * frames, series, events, findings, markers and the snapshot at each marker;
 * with redact, names become pseudonyms everywhere. NULL and e when the store
 * cannot be read or holds no frame in the window. Caller frees. */
struct report *report_load(struct store *st, double from, double to, bool redact, struct err *e);
void report_free(struct report *r);

/* report_load reading at most max_frames (>= 2) frames: a longer window is
 * sampled evenly, its first and last frames always kept. */
struct report *report_load_sampled(struct store *st, double from, double to, bool redact,
                                   size_t max_frames, struct err *e);

/* The number of frames read, and the time of frame i (NAN past the end). */
size_t report_frames(const struct report *r);
double report_frame_time(const struct report *r, size_t i);

/* Renders the report; width is the HTML chart width in pixels (0: default
 * 900). Times in UTC when utc. Caller frees; never fails. */
char *report_render(const struct report *r, enum report_format fmt, bool utc, int width);

/* Parses "csv", "json", "md", "html"; -1 if none. */
int report_format_parse(const char *s);

/* Opens the history file at path (NULL: the default path) for reading; NULL
 * and e ("no history file at PATH ...") when it does not exist or cannot be
 * read. Caller closes with store_close. */
struct store *report_open_history(const char *path, struct err *e);

/* Parses the TIME given to option `opt` (e.g. "--from") against the clock;
 * -1 and e ("--from: cannot read '25:99': ...") on error. */
int report_parse_time(const char *opt, const char *s, bool utc, double *out,
                      struct err *e) WARN_UNUSED;

/* The --from/--to window of export and diff: both given, both readable,
 * from not after to; -1 and e (a message without the command's name) if not. */
int report_parse_window(const char *from_s, const char *to_s, bool utc, double *from, double *to,
                        struct err *e) WARN_UNUSED;

/* One snapshot as `scaletop snapshot` writes it: format "text" (every pane
 * at width columns, ASCII glyphs if ascii; sparklines from series if not
 * NULL), "json", "md" or "html". Caller frees; never fails. */
char *report_snapshot_render(const struct snapshot *snap, const char *format, bool utc, int width,
                             bool ascii, const struct series_source *series);

#endif
