/*
 * The pane interface. A pane is one file exporting one const ops table; it
 * draws a snapshot into a rectangle of a canvas and nothing else: no curses,
 * no network, no clock (the snapshot carries `now`). All panes are listed
 * once, in panels/panes.c, indexed by enum pane_id.
 */
#ifndef SCALETOP_PANEL_H
#define SCALETOP_PANEL_H

#include "backend/advisor.h"
#include "backend/series.h"
#include "backend/snapshot.h"
#include "tui/canvas.h"
#include "tui/keys.h"

#include <stdbool.h>
#include <stddef.h>

#define PANE_FILTER_MAX 64
#define PANE_KEY_MAX    160

enum pane_id {
    PANE_OVERVIEW = 0,
    PANE_SERVERS,
    PANE_PROVISIONERS,
    PANE_POSTGRES,
    PANE_PROXIES,
    PANE_CAPACITY,
    PANE_COUNT
};

/* What the console remembers about a pane between frames. */
struct pane_view {
    bool focused; /* keys go to this pane; its frame is highlighted */
    bool compact; /* drawn as a small summary box (narrow terminals) */
    bool zoomed;  /* the pane has the whole body of the screen */
    int scroll;   /* first row shown */
    int selected; /* selected row, -1 for none */
    /* Appended for the panes' own keys. */
    int sort;                      /* sort key index (0: the pane's natural order), cycled by 's' */
    char filter[PANE_FILTER_MAX];  /* rows must contain this (case-insensitive); "" for all */
    bool filtering;                /* the filter is being typed: keys go to the pane */
    bool detail;                   /* the detail view of the row detail_key */
    char detail_key[PANE_KEY_MAX]; /* which row: the row's stable id (hostname, name, ...) */
};

/* What a pane reads besides the snapshot: the history for sparklines, the
 * thresholds that colour cells. A NULL context means no history and the
 * advisor's default thresholds. */
struct pane_ctx {
    const struct series_source *series;          /* NULL when there is no history */
    double window_s;                             /* sparklines show [time - window_s, time] */
    const struct advisor_thresholds *thresholds; /* NULL: the advisor's defaults */
    bool utc;                                    /* times shown in UTC */
};

/* Draws snapshot s (NULL before the first poll) into r, touching no cell
 * outside r; ctx may be NULL. Called on the UI thread only. */
typedef void (*pane_draw_fn)(struct canvas *c, struct rect r, const struct snapshot *s,
                             const struct pane_view *v, const struct pane_ctx *ctx);

/* Handles key (enum keys_code or a code point) for the focused pane;
 * returns true if it used the key (and the screen needs a redraw). */
typedef bool (*pane_key_fn)(struct pane_view *v, const struct snapshot *s, int key);

struct pane_ops {
    const char *name;  /* "servers": stable, used in config and reports */
    const char *title; /* "Servers": shown in the frame */
    int hotkey;        /* the key that focuses it: '1'..'6' */
    int min_w, min_h;  /* smallest rect in which the full (not compact) view reads well */
    pane_draw_fn draw;
    pane_key_fn key;         /* NULL when the pane takes no keys */
    const char *const *help; /* NULL-terminated help lines */
};

extern const struct pane_ops pane_overview;
extern const struct pane_ops pane_servers;
extern const struct pane_ops pane_provisioners;
extern const struct pane_ops pane_postgres;
extern const struct pane_ops pane_proxies;
extern const struct pane_ops pane_capacity;

/* The pane with this id (0 <= id < PANE_COUNT); static, never NULL. */
const struct pane_ops *panes_get(enum pane_id id);

/* Finds a pane by name; returns its id or -1. */
int panes_find(const char *name);

/* Draws a pane's frame with its title (highlighted when focused) on the
 * border of r and returns the rectangle inside it. */
struct rect panel_frame(struct canvas *c, struct rect r, const struct pane_ops *ops,
                        const struct pane_view *v);

/* Writes the "no data yet" line (or "no data for this moment" in replay)
 * on the first row of inner. */
void panel_no_data(struct canvas *c, struct rect inner, const struct snapshot *s);

/* Writes text word-wrapped from (x, y) within clip (continuation lines
 * start at x); returns the number of lines used (at least 1 when anything
 * was drawn, 0 when clip has no room). */
int panel_wrap(struct canvas *c, struct rect clip, int x, int y, enum role role, const char *text);

/* The role of a severity (SEV_OK: normal) and of a value judged against a
 * threshold pair (unknown: dim). */
enum role panel_role_of(enum severity sev);
enum role panel_role_above(double v, double warn, double crit);
/* Like panel_role_above, but `otherwise` for an unknown value and for one
 * below the warning (a ratio whose value is shown elsewhere). */
enum role panel_role_ratio(double v, double warn, double crit, enum role otherwise);

/* The thresholds of ctx, or the advisor's defaults copied into storage. */
const struct advisor_thresholds *panel_thresholds(const struct pane_ctx *ctx,
                                                  struct advisor_thresholds *storage);

/* The freshness of a pane's section, judged from the snapshot's sources
 * exactly as the reports judge it (backend/judge.h). */
struct panel_fresh {
    enum source_status status;
    bool show_numbers; /* false when every source is disabled: show the hint only */
    enum role role;    /* the role of the freshness line */
    char text[640];
};
void panel_freshness(const struct snapshot *s, const char *section, struct panel_fresh *f);

/* Draws the freshness line (wrapped over up to max_lines lines) at the top
 * of inner; returns the lines used. */
int panel_fresh_line(struct canvas *c, struct rect inner, const struct panel_fresh *f,
                     int max_lines);

/* The short form of a freshness for compact boxes ("stale 1m35s", "disabled",
 * "error", "no permission"); NULL when the data is fresh. */
const char *panel_fresh_short(const struct panel_fresh *f);

/* Fetches n points of series name for the context's window ending at s->time
 * into out; returns false (out untouched) when there is no history. */
bool panel_series(const struct pane_ctx *ctx, const struct snapshot *s, const char *name,
                  double window_s, size_t n, double *out);

/* Draws the sparkline of series name in w columns at (x, y); draws nothing
 * without history. Returns the columns drawn. */
int panel_spark(struct canvas *c, struct rect clip, int x, int y, int w, const struct pane_ctx *ctx,
                const struct snapshot *s, const char *name, double window_s);

/* The largest recorded value of series name over the last window_s seconds
 * before s->time; NAN without history. */
double panel_peak(const struct pane_ctx *ctx, const struct snapshot *s, const char *name,
                  double window_s);

/* True when hay contains needle, ignoring ASCII case; an empty needle
 * matches everything. */
bool panel_match(const char *hay, const char *needle);

/* "k=v k=v" for a tag set, "(untagged)" when empty. */
const char *panel_tags(char *buf, size_t n, const struct tagset *ts);

/* The keys every pane with rows shares: Up/Down/PageUp/PageDown/Home/End
 * move the selection among nrows rows, '/' starts the filter (typed keys
 * then edit it, Enter keeps it, Esc clears it), 's' cycles nsort sort keys,
 * Enter opens the detail of the selected row (its id from id_of), Esc
 * closes it. Returns true when the view changed. */
typedef const char *(*panel_row_id_fn)(const struct snapshot *s, const struct pane_view *v, int row,
                                       char *buf, size_t n);
bool panel_key_rows(struct pane_view *v, const struct snapshot *s, int key, int nrows, int nsort,
                    panel_row_id_fn id_of);

/* Writes "history: NAME" (series_origin_name) on the left of the bottom
 * edge of a pane's frame r when its sparklines were not purely local
 * (REMOTE or MIXED); draws nothing otherwise. The caller learns the origin
 * (series_tally): a pane never asks. */
void panel_history_badge(struct canvas *c, struct rect r, enum series_origin o);

#define PANEL_WINDOW_S 3600.0 /* sparkline window when the context gives none */

/* The sparkline window of ctx (PANEL_WINDOW_S when unset). */
double panel_window(const struct pane_ctx *ctx);

/* Draws one "label  value  sparkline" line at row y of r: the label in lw
 * cells, the value in vw cells, then the series' sparkline (up to spark_w
 * cells, none without history or when series is NULL). */
void panel_kv(struct canvas *c, struct rect r, int y, int lw, const char *label, enum role role,
              const char *value, int vw, const struct pane_ctx *ctx, const struct snapshot *s,
              const char *series, int spark_w);

/* The first row of rows shown in `visible` lines so that the selection
 * stays in view. */
int panel_first_row(const struct pane_view *v, int nrows, int visible);

/* The "filter: x  sort: y" line state, drawn right-aligned on the frame's
 * bottom edge of r when set. */
void panel_view_badge(struct canvas *c, struct rect r, const struct pane_view *v,
                      const char *sort_name);

#endif
