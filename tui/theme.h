/*
 * Semantic roles and what they look like. A cell on the canvas carries a
 * role (ok, warn, header, ...), never a colour; this module maps each role
 * to abstract attributes through a colour table or a monochrome table, and
 * tui/screen.c turns those into curses attributes. No curses here.
 */
#ifndef SCALETOP_THEME_H
#define SCALETOP_THEME_H

#include <stdbool.h>

enum role {
    ROLE_NORMAL = 0,
    ROLE_DIM,       /* secondary text, units, labels */
    ROLE_HEADER,    /* the top line and table headers */
    ROLE_TITLE,     /* a pane's title in its frame */
    ROLE_FRAME,     /* pane frames */
    ROLE_FOCUS,     /* the frame of the pane with the focus */
    ROLE_SELECTION, /* the selected row */
    ROLE_OK,
    ROLE_INFO,
    ROLE_WARN,
    ROLE_CRIT,
    ROLE_STALE, /* data older than expected, or a source not answering */
    ROLE_SPARKLINE,
    ROLE_KEY,    /* a key in the footer's hints */
    ROLE_LIVE,   /* the LIVE badge */
    ROLE_REPLAY, /* the REPLAY badge */
    ROLE_COUNT
};

/* Colours in the order of the eight ANSI colours (curses' COLOR_* numbers). */
enum theme_color {
    THEME_DEFAULT = -1,
    THEME_BLACK = 0,
    THEME_RED,
    THEME_GREEN,
    THEME_YELLOW,
    THEME_BLUE,
    THEME_MAGENTA,
    THEME_CYAN,
    THEME_WHITE,
};

#define THEME_BOLD      0x1u
#define THEME_REVERSE   0x2u
#define THEME_UNDERLINE 0x4u
#define THEME_DIMMED    0x8u

struct theme_attr {
    short fg, bg;   /* enum theme_color; THEME_DEFAULT in monochrome */
    unsigned flags; /* THEME_BOLD | THEME_REVERSE | ... */
};

struct theme {
    bool color;
    struct theme_attr attr[ROLE_COUNT];
};

/* Fills t with the colour table (color true) or the monochrome table. */
void theme_init(struct theme *t, bool color);

/* Decides colour or monochrome: false when --no-color was given, when
 * no_color_env (the NO_COLOR variable, NULL if unset) is set and not empty,
 * or when the terminal has fewer than 8 colours. */
bool theme_want_color(bool no_color_flag, const char *no_color_env, int terminal_colors);

/* The role's one-letter name for golden role layers ('.' for normal). */
char theme_role_letter(enum role r);

/* The role's name, e.g. "warn"; "?" for an out-of-range value. */
const char *theme_role_name(enum role r);

#endif
