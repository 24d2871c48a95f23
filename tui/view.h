/*
 * The console's view state (focus, zoom, per-pane scroll and selection) and
 * the one function that renders a whole frame: header, panes and footer,
 * or the too-small screen. Pure: a canvas in, a canvas out; the loop in
 * tui/app.c owns the terminal.
 */
#ifndef SCALETOP_VIEW_H
#define SCALETOP_VIEW_H

#include "backend/snapshot.h"
#include "panels/panel.h"
#include "tui/canvas.h"

#include <stdbool.h>

struct view {
    int focus; /* enum pane_id */
    int zoom;  /* enum pane_id shown alone, or -1 */
    bool replay;
    struct pane_view panes[PANE_COUNT];
    bool help;           /* the help overlay is shown; any key closes it */
    struct pane_ctx ctx; /* history, window and thresholds handed to every pane */
};

enum view_action {
    VIEW_NONE = 0, /* key not used */
    VIEW_REDRAW,   /* state changed: render again */
    VIEW_REPAINT,  /* render and repaint the whole terminal (Ctrl-L) */
    VIEW_QUIT,
};

/* The initial state: Overview focused, nothing zoomed. */
void view_init(struct view *v);

/* The console's own keys and what they do, for the help overlay and the
 * man page; NULL-terminated pairs {key, what}. Static. */
extern const char *const view_console_keys[][2];

/* Applies one key (enum keys_code or a code point); the focused pane gets
 * the keys the console itself does not use. */
enum view_action view_key(struct view *v, const struct snapshot *s, int key);

/* Renders a full frame of snapshot s (NULL before the first poll) into
 * screen (normally the whole canvas), touching nothing outside it; time_text
 * is the time shown in the header (NULL for none). */
void view_render(struct canvas *c, struct rect screen, const struct view *v,
                 const struct snapshot *s, const char *time_text);

#endif
