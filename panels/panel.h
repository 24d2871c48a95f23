/*
 * The pane interface. A pane is one file exporting one const ops table; it
 * draws a snapshot into a rectangle of a canvas and nothing else: no curses,
 * no network, no clock (the snapshot carries `now`). All panes are listed
 * once, in panels/panes.c, indexed by enum pane_id.
 */
#ifndef SCALETOP_PANEL_H
#define SCALETOP_PANEL_H

#include "backend/snapshot.h"
#include "tui/canvas.h"
#include "tui/keys.h"

#include <stdbool.h>

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
};

/* Draws snapshot s (NULL before the first poll) into r, touching no cell
 * outside r. Called on the UI thread only. */
typedef void (*pane_draw_fn)(struct canvas *c, struct rect r, const struct snapshot *s,
                             const struct pane_view *v);

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

#endif
