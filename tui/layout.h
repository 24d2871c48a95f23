/*
 * Where everything goes on the screen: the header line, the panes and the
 * footer line for any terminal size. Narrow terminals (80 columns) get the
 * Overview plus the other panes as compact boxes; wide ones a grid with
 * every pane at full size; a zoomed pane takes the whole body; below the
 * minimum size the console shows a "terminal too small" screen instead of
 * garbage.
 */
#ifndef SCALETOP_LAYOUT_H
#define SCALETOP_LAYOUT_H

#include "panels/panel.h"
#include "tui/canvas.h"

#include <stdbool.h>
#include <stddef.h>

#define LAYOUT_MIN_W   60 /* below this: the too-small screen */
#define LAYOUT_MIN_H   16
#define LAYOUT_GRID2_W 120 /* from this width: every pane at full size, 2 columns */
#define LAYOUT_GRID3_W 180 /* from this width: 3 columns */

enum layout_kind {
    LAYOUT_TOO_SMALL = 0,
    LAYOUT_NARROW, /* Overview on top, the other panes compact below */
    LAYOUT_GRID2,  /* 3 rows of 2 panes */
    LAYOUT_GRID3,  /* 2 rows of 3 panes */
    LAYOUT_ZOOM,   /* one pane has the body */
};

struct layout {
    enum layout_kind kind;
    struct rect screen, header, footer, body;
    struct rect pane[PANE_COUNT]; /* empty when the pane is not shown */
    bool compact[PANE_COUNT];
};

/* Computes the layout of screen (usually the whole canvas); zoom is the pane
 * id shown alone, or -1. Rectangles never overlap and stay inside screen. */
void layout_compute(struct layout *l, struct rect screen, int zoom);

/* "narrow", "grid2", ...: for tests and logs. */
const char *layout_kind_name(enum layout_kind k);

struct layout_header {
    bool replay;            /* REPLAY badge instead of LIVE */
    const char *time_text;  /* the snapshot's time as shown, NULL if none */
    const char *right_text; /* e.g. the deployment URL, right-aligned; NULL for none */
    const char *marks_text; /* the compare marks ("A 03:06:00  B 03:07:00"), NULL for none */
};

/* Draws the header line into r (its first row). */
void layout_draw_header(struct canvas *c, struct rect r, const struct layout_header *h);

struct layout_hint {
    const char *key;   /* "q" */
    const char *label; /* "quit" */
};

/* Draws the key hints into r (its first row), as many as fit whole. */
void layout_draw_footer(struct canvas *c, struct rect r, const struct layout_hint *hints, size_t n);

/* Draws the "terminal too small" screen into r, saying the size it has and
 * the size it needs. */
void layout_draw_too_small(struct canvas *c, struct rect r);

#endif
