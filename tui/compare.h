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

/* a or b: marks the moment shown (shown; NAN when nothing is) as A
 * (is_a) or B, and writes the footer's answer into msg: how to go on, or
 * why nothing was marked (no history file, nothing shown yet). */
void compare_mark(struct compare *cmp, bool is_a, bool have_history, double shown, bool utc,
                  char *msg, size_t n);

/* The two frames c compares: times to read (earlier first) and the title's
 * flags for compare_show. */
struct compare_plan {
    double from, to;
    bool swapped, a_shown, b_shown;
};

/* Decides what c compares from the marks and the moment shown (NAN: none):
 * an unmarked side is the moment shown. Returns 0 and fills p, or -1 with
 * the footer's answer in msg (no history file, no mark, nothing shown). */
int compare_plan(const struct compare *cmp, bool have_history, double shown, struct compare_plan *p,
                 char *msg, size_t n);

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
