/*
 * The console's compare view: two marked moments, A and B, and what changed
 * between them, drawn from the very text `scaletop diff --format text`
 * prints (backend/diff.h's one formatter), so the two cannot disagree.
 * Pure: snapshots in, text and cells out; the loop (tui/app.c) reads the
 * two frames from the history file and hands them over.
 */
#ifndef SCALETOP_COMPARE_H
#define SCALETOP_COMPARE_H

#include "backend/snapshot.h"
#include "tui/canvas.h"

#include <stdbool.h>
#include <stddef.h>

/* From this body width the change list flows over two columns. */
#define COMPARE_TWO_COLUMNS_W 120

struct compare {
    double a, b; /* the marked moments (frame times), NAN when not set */
    bool open;   /* the compare view is shown */
    /* The comparison last computed (compare_show): */
    char *text;          /* diff_render(DIFF_TEXT) of it; owned, NULL before the first */
    double from_t, to_t; /* the frames compared, earlier first */
    bool swapped;        /* A was later than B: shown from B to A */
    bool a_shown;        /* A was not marked: it is the moment shown when c was pressed */
    bool b_shown;        /* B was not marked: likewise */
    size_t nchanges;
    /* Scrolling: the first row shown, and what the last compare_fit measured. */
    int scroll;
    int max_scroll; /* the largest useful scroll */
    int page;       /* rows on one screen (both columns) */
};

/* No marks, nothing computed, closed. */
void compare_init(struct compare *cmp);

/* Frees the text; the struct can be initialised again. NULL is allowed. */
void compare_fini(struct compare *cmp);

/* Compares from (the earlier frame) with to and opens the view at the top;
 * swapped (A is the later one), a_shown and b_shown (that side was the
 * moment shown, not a mark) only change the title. The text is
 * diff_render(diff_snapshots(from, to), DIFF_TEXT, utc). */
void compare_show(struct compare *cmp, const struct snapshot *from, const struct snapshot *to,
                  bool swapped, bool a_shown, bool b_shown, bool utc);

enum compare_result {
    COMPARE_UNUSED = 0, /* not a compare-view key */
    COMPARE_REDRAW,     /* scrolled (or swallowed at an edge) */
    COMPARE_CLOSED,     /* Esc, c, Left or Backspace: back to the panes */
};

/* Applies one key to the open view: Up/Down j/k one row, PgUp/PgDn (and
 * Space) a page, Home/End g/G the top and the bottom; Esc, c, Left or
 * Backspace close it. Scrolling is clamped to the last compare_fit. */
enum compare_result compare_key(struct compare *cmp, int key);

/* Measures the rows the text takes when drawn in body on c (wrapping, one or
 * two columns) and clamps the scroll to them; call before drawing and after
 * a resize. */
void compare_fit(struct compare *cmp, const struct canvas *c, struct rect body);

/* Draws the view into body (a frame naming A and B, the change list from
 * the scroll position, the rows shown out of how many), touching nothing
 * outside it. */
void compare_draw(struct canvas *c, struct rect body, const struct compare *cmp, bool utc);

/* "A 03:06:00  B 03:07:00" (the marks that are set) for the header, "" when
 * none is; returns buf. */
char *compare_marks_text(const struct compare *cmp, bool utc, char *buf, size_t n);

/* The rows of the text as drawn width columns wide, one per line, for
 * tests: every line of the text in order, a long line wrapped at a space
 * with its continuation rows indented. Caller frees. */
char *compare_rows_text(const struct canvas *c, const char *text, int width);

#endif
