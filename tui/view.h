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
#include "tui/compare.h"
#include "tui/prompt.h"

#include <stdbool.h>

struct view {
    int focus; /* enum pane_id */
    int zoom;  /* enum pane_id shown alone, or -1 */
    bool replay;
    struct pane_view panes[PANE_COUNT];
    bool help;              /* the help overlay is shown; any key closes it */
    struct pane_ctx ctx;    /* history, window and thresholds handed to every pane */
    struct prompt prompt;   /* the footer's prompt ("go to time", "mark"), kind NONE if closed */
    char message[200];      /* a one-line answer in the footer until the next key; "" for none */
    struct compare compare; /* marks A and B and the compare view (owns its text) */
};

enum view_action {
    VIEW_NONE = 0, /* key not used */
    VIEW_REDRAW,   /* state changed: render again */
    VIEW_REPAINT,  /* render and repaint the whole terminal (Ctrl-L) */
    VIEW_QUIT,
    /* Console actions the loop carries out (they need the store or the collector). */
    VIEW_STEP_BACK,    /* [ : one recorded frame back */
    VIEW_STEP_FORWARD, /* ] : one frame forward (past the newest: live) */
    VIEW_JUMP_BACK,    /* { : ten frames back */
    VIEW_JUMP_FORWARD, /* } : ten frames forward */
    VIEW_GOTO,         /* the "go to time" prompt was answered: prompt.text */
    VIEW_LIVE,         /* G or L: back to live */
    VIEW_MARK,         /* the "mark" prompt was answered: prompt.text */
    VIEW_WRITE,        /* w : write a snapshot file */
    VIEW_REFRESH,      /* r : poll now */
    VIEW_SET_A,        /* a : mark the moment shown as A */
    VIEW_SET_B,        /* b : mark the moment shown as B */
    VIEW_COMPARE,      /* c : open the compare view of A and B */
};

/* The initial state: Overview focused, nothing zoomed, no marks. */
void view_init(struct view *v);

/* Frees what the view owns (the compare text); view_init may follow. */
void view_fini(struct view *v);

/* Measures what depends on the screen size (the compare view's rows and
 * pages) for a frame of c; call after keys and before rendering. */
void view_fit(struct view *v, const struct canvas *c);

/* The console's own keys and what they do, for the help overlay and the
 * man page; NULL-terminated pairs {key, what}. Static. */
extern const char *const view_console_keys[][2];

/* Applies one key (enum keys_code or a code point); the focused pane gets
 * the keys the console itself does not use. An open prompt gets every key;
 * answering it returns VIEW_GOTO or VIEW_MARK with the text in v->prompt
 * (the caller closes it). Any key clears the footer message. */
enum view_action view_key(struct view *v, const struct snapshot *s, int key);

/* Renders a full frame of snapshot s (NULL before the first poll) into
 * screen (normally the whole canvas), touching nothing outside it; time_text
 * is the time shown in the header (NULL for none). */
void view_render(struct canvas *c, struct rect screen, const struct view *v,
                 const struct snapshot *s, const char *time_text);

#endif
