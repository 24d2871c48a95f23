/*
 * The history store (DESIGN.md §4, docs/history.md): one SQLite file holding
 * numeric series (Gorilla chunks per hour window plus 1-minute and 1-hour
 * rollup rows), the entity state of every source, events, findings and
 * markers, from which any recorded snapshot can be rebuilt.
 * A struct store owns one connection and is used by one thread at a time:
 * the recorder's writer on the poller thread, viewers on their own thread.
 * One recorder per file (an flock on FILE.lock); any number of viewers.
 */
#ifndef SCALETOP_STORE_H
#define SCALETOP_STORE_H

#include "backend/err.h"
#include "backend/snapshot.h"

#include <stddef.h>

#define STORE_SCHEMA_VERSION 3

struct store;

enum store_mode {
    STORE_VIEW,   /* reads (and markers); never creates the file; never refused */
    STORE_RECORD, /* the one recorder: creates, migrates, appends, enforces retention */
};

struct store_options {
    double raw_retention_s;     /* chunks and frames; default 48 h */
    double minute_retention_s;  /* 1-minute rollups and entity state; default 90 d */
    double hour_retention_s;    /* 1-hour and 6-hour rollups, events, findings, markers; 400 d */
    double max_bytes;           /* size cap, oldest data dropped first; default 1 GiB */
    unsigned window_max_frames; /* a window also closes (at a minute edge) after this many */
};

enum store_tier { STORE_TIER_RAW = 0, STORE_TIER_1M, STORE_TIER_1H, STORE_TIER_6H };

struct store_event {
    double time;
    char *kind, *entity, *message;
};

struct store_finding {
    double start, end; /* end NAN while still active */
    char *rule, *severity, *entity, *message, *evidence;
};

struct store_marker {
    double time;
    char *note;
};

/* Fills o with the defaults above. */
void store_options_defaults(struct store_options *o);

/* Opens (STORE_RECORD: creates 0600, migrates, takes the recorder lock) the
 * history file at path; opt NULL means defaults. A corrupt file is moved aside
 * by a recorder (see store_notice) and refused by a viewer. NULL and e filled
 * on failure, e.g. a second recorder on the same file. Caller frees with
 * store_close. */
struct store *store_open(const char *path, enum store_mode mode, const struct store_options *opt,
                         struct err *e);

/* A one-line message about something the open did on the user's behalf
 * (a corrupt file moved aside), or NULL. Owned by the store. */
const char *store_notice(const struct store *st);

/* Closes the file; the open window stays in the journal and is resumed by
 * the next recorder. NULL allowed. */
void store_close(struct store *st);

/* The schema version of the open file (PRAGMA user_version). */
int store_schema_version(struct store *st);

/* Appends one snapshot in one transaction (recorder only, poller thread):
 * samples, entity state that changed, events, findings; closes the hour
 * window, writes rollups and enforces retention when due. -1 and e on error. */
int store_append(struct store *st, const struct snapshot *s, struct err *e) WARN_UNUSED;

/* Rebuilds the snapshot of the latest frame at or before t (refcount 1,
 * replay set); for a time whose raw samples have expired, the entity state
 * of that time with the numbers of its minute (else hour) rollup row. NULL
 * and e filled when nothing was recorded by then. */
struct snapshot *store_snapshot_at(struct store *st, double t, struct err *e);

/* Time of the newest frame (Unix seconds) into *t; -1 and e if none. */
int store_latest_time(struct store *st, double *t, struct err *e) WARN_UNUSED;

/* The frame times in [from, to], ascending; *times malloc'd (caller frees). */
int store_frame_times(struct store *st, double from, double to, double **times, size_t *n,
                      struct err *e) WARN_UNUSED;

/* The frame just before (dir < 0) or after (dir > 0) time t into *out;
 * -1 with e when there is none. */
int store_frame_step(struct store *st, double t, int dir, double *out, struct err *e) WARN_UNUSED;

/* Reads series `name` over [from, to] into out[npoints] (column averages,
 * NAN for gaps), from the tier giving one or two points per column; the tier
 * used goes to *tier if not NULL. -1 and e on error; unknown name: all NAN. */
int store_series_range(struct store *st, const char *name, double from, double to, size_t npoints,
                       double *out, enum store_tier *tier, struct err *e) WARN_UNUSED;

/* Stores a marker (note cleaned with text_clean) at time t; works in both
 * modes, waiting for the recorder's transaction if needed. */
int store_mark(struct store *st, double t, const char *note, struct err *e) WARN_UNUSED;

/* Range queries for exports; arrays are malloc'd, free with the _free calls. */
int store_markers(struct store *st, double from, double to, struct store_marker **out, size_t *n,
                  struct err *e) WARN_UNUSED;
int store_events(struct store *st, double from, double to, struct store_event **out, size_t *n,
                 struct err *e) WARN_UNUSED;
/* Findings active at any moment of [from, to]. */
int store_findings(struct store *st, double from, double to, struct store_finding **out, size_t *n,
                   struct err *e) WARN_UNUSED;
void store_markers_free(struct store_marker *m, size_t n);
void store_events_free(struct store_event *v, size_t n);
void store_findings_free(struct store_finding *f, size_t n);

/* The default history path: $SCALETOP_DB, else $XDG_STATE_HOME/scaletop/
 * history.db, else ~/.local/state/scaletop/history.db; caller frees. */
char *store_default_path(void);

/* Creates the directory that will hold path (mode 0700, parents too). */
int store_prepare_dir(const char *path, struct err *e) WARN_UNUSED;

/* Creates a new file at path with schema `version` (1..current) and nothing
 * else: for migration tests and tooling. */
int store_create_at_version(const char *path, int version, struct err *e) WARN_UNUSED;

#endif
