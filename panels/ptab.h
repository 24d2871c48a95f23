/*
 * Pane tables: rows of already-formatted cells that panes fill from a
 * snapshot, then filter (pane_view.filter), sort (pane_view.sort) and draw
 * with a header, a selection bar and an optional sparkline column. Columns
 * that do not fit the width are dropped by priority, so the same table
 * reads at 40 and at 200 columns.
 */
#ifndef SCALETOP_PTAB_H
#define SCALETOP_PTAB_H

#include "panels/panel.h"

#include <stdbool.h>
#include <stddef.h>

#define PTAB_COLS     20
#define PTAB_CELL     72
#define PTAB_MAX_ROWS 2000

struct ptab_col {
    const char *name;
    int width;  /* cells */
    int maxw;   /* > 0: the first such shown column takes what is left, up to maxw */
    bool right; /* right-aligned */
    int prio;   /* 0: always shown; higher numbers are dropped first */
    bool spark; /* the row's series as a sparkline (dropped without history) */
    bool hist;  /* a value read from the history: dropped without history */
};

struct ptab_cell {
    char text[PTAB_CELL];
    enum role role;
    double key; /* numeric sort key; NAN sorts by text */
};

struct ptab_row {
    struct ptab_cell c[PTAB_COLS];
    char id[PANE_KEY_MAX];
    char series[PANE_KEY_MAX];
    int src; /* index of the entity in the snapshot */
};

struct ptab {
    const struct ptab_col *cols;
    int ncols;
    struct ptab_row *rows;
    size_t n, cap;
    size_t dropped; /* rows over PTAB_MAX_ROWS */
    bool stale;     /* normal cells are drawn as stale */
};

/* Starts an empty table of ncols columns (borrowed; must outlive t). */
void ptab_init(struct ptab *t, const struct ptab_col *cols, int ncols);
/* Frees the rows. */
void ptab_fini(struct ptab *t);

/* Appends a row with the given stable id; NULL past PTAB_MAX_ROWS. */
struct ptab_row *ptab_add(struct ptab *t, const char *id, int src);

/* Sets cell col of row to text (NULL shows "-") with a role and sort key. */
void ptab_set(struct ptab_row *r, int col, enum role role, const char *text, double key);
void ptab_setf(struct ptab_row *r, int col, enum role role, double key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Keeps the rows matching filter (any cell or the id), then sorts them by
 * sort key k: 0 keeps the order, k >= 1 sorts by column k-1 (numbers
 * largest first, text A to Z), ties in the original order. */
void ptab_apply(struct ptab *t, const char *filter, int sort);

/* Draws the header and rows first.. into r (no frame); the row at index
 * sel (if any) gets the selection bar when show_sel. Returns the lines used.
 * Sparkline cells come from ctx's history over window_s. */
int ptab_draw(struct canvas *c, struct rect r, const struct ptab *t, int first, int sel,
              bool show_sel, const struct pane_ctx *ctx, const struct snapshot *s, double window_s);

/* The index of the row with this id, or -1. */
int ptab_find(const struct ptab *t, const char *id);

#endif
