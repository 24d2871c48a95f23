/*
 * The two role tables. Invariants: every role has an entry in both tables;
 * the monochrome table uses only bold, reverse, underline and dim, so it
 * reads on a vt100 and with NO_COLOR; roles that must stand out in colour
 * (warn, crit, selection, focus) also stand out in monochrome.
 */
#include "tui/theme.h"

#include <stddef.h>

static const struct theme_attr color_table[ROLE_COUNT] = {
    [ROLE_NORMAL] = {THEME_DEFAULT, THEME_DEFAULT, 0},
    [ROLE_DIM] = {THEME_DEFAULT, THEME_DEFAULT, THEME_DIMMED},
    [ROLE_HEADER] = {THEME_BLACK, THEME_CYAN, 0},
    [ROLE_TITLE] = {THEME_CYAN, THEME_DEFAULT, THEME_BOLD},
    [ROLE_FRAME] = {THEME_BLUE, THEME_DEFAULT, 0},
    [ROLE_FOCUS] = {THEME_CYAN, THEME_DEFAULT, THEME_BOLD},
    [ROLE_SELECTION] = {THEME_BLACK, THEME_CYAN, 0},
    [ROLE_OK] = {THEME_GREEN, THEME_DEFAULT, 0},
    [ROLE_INFO] = {THEME_BLUE, THEME_DEFAULT, THEME_BOLD},
    [ROLE_WARN] = {THEME_YELLOW, THEME_DEFAULT, THEME_BOLD},
    [ROLE_CRIT] = {THEME_WHITE, THEME_RED, THEME_BOLD},
    [ROLE_STALE] = {THEME_MAGENTA, THEME_DEFAULT, 0},
    [ROLE_SPARKLINE] = {THEME_CYAN, THEME_DEFAULT, 0},
    [ROLE_KEY] = {THEME_BLACK, THEME_CYAN, 0},
    [ROLE_LIVE] = {THEME_BLACK, THEME_GREEN, THEME_BOLD},
    [ROLE_REPLAY] = {THEME_BLACK, THEME_YELLOW, THEME_BOLD},
};

static const struct theme_attr mono_table[ROLE_COUNT] = {
    [ROLE_NORMAL] = {THEME_DEFAULT, THEME_DEFAULT, 0},
    [ROLE_DIM] = {THEME_DEFAULT, THEME_DEFAULT, THEME_DIMMED},
    [ROLE_HEADER] = {THEME_DEFAULT, THEME_DEFAULT, THEME_REVERSE},
    [ROLE_TITLE] = {THEME_DEFAULT, THEME_DEFAULT, THEME_BOLD},
    [ROLE_FRAME] = {THEME_DEFAULT, THEME_DEFAULT, 0},
    [ROLE_FOCUS] = {THEME_DEFAULT, THEME_DEFAULT, THEME_BOLD},
    [ROLE_SELECTION] = {THEME_DEFAULT, THEME_DEFAULT, THEME_REVERSE},
    [ROLE_OK] = {THEME_DEFAULT, THEME_DEFAULT, 0},
    [ROLE_INFO] = {THEME_DEFAULT, THEME_DEFAULT, 0},
    [ROLE_WARN] = {THEME_DEFAULT, THEME_DEFAULT, THEME_BOLD},
    [ROLE_CRIT] = {THEME_DEFAULT, THEME_DEFAULT, THEME_BOLD | THEME_REVERSE},
    [ROLE_STALE] = {THEME_DEFAULT, THEME_DEFAULT, THEME_UNDERLINE},
    [ROLE_SPARKLINE] = {THEME_DEFAULT, THEME_DEFAULT, 0},
    [ROLE_KEY] = {THEME_DEFAULT, THEME_DEFAULT, THEME_REVERSE},
    [ROLE_LIVE] = {THEME_DEFAULT, THEME_DEFAULT, THEME_BOLD | THEME_REVERSE},
    [ROLE_REPLAY] = {THEME_DEFAULT, THEME_DEFAULT, THEME_BOLD | THEME_REVERSE},
};

/* One letter per role for golden role layers; kept distinct. */
static const char role_letters[ROLE_COUNT] = {
    [ROLE_NORMAL] = '.',    [ROLE_DIM] = 'd',   [ROLE_HEADER] = 'h',    [ROLE_TITLE] = 't',
    [ROLE_FRAME] = 'f',     [ROLE_FOCUS] = 'F', [ROLE_SELECTION] = 's', [ROLE_OK] = 'o',
    [ROLE_INFO] = 'i',      [ROLE_WARN] = 'w',  [ROLE_CRIT] = 'c',      [ROLE_STALE] = 'x',
    [ROLE_SPARKLINE] = 'k', [ROLE_KEY] = 'K',   [ROLE_LIVE] = 'L',      [ROLE_REPLAY] = 'R',
};

static const char *const role_names[ROLE_COUNT] = {
    [ROLE_NORMAL] = "normal",       [ROLE_DIM] = "dim",     [ROLE_HEADER] = "header",
    [ROLE_TITLE] = "title",         [ROLE_FRAME] = "frame", [ROLE_FOCUS] = "focus",
    [ROLE_SELECTION] = "selection", [ROLE_OK] = "ok",       [ROLE_INFO] = "info",
    [ROLE_WARN] = "warn",           [ROLE_CRIT] = "crit",   [ROLE_STALE] = "stale",
    [ROLE_SPARKLINE] = "sparkline", [ROLE_KEY] = "key",     [ROLE_LIVE] = "live",
    [ROLE_REPLAY] = "replay",
};

void theme_init(struct theme *t, bool color)
{
    const struct theme_attr *src = color ? color_table : mono_table;
    t->color = color;
    for (int i = 0; i < ROLE_COUNT; i++) {
        t->attr[i] = src[i];
    }
}

bool theme_want_color(bool no_color_flag, const char *no_color_env, int terminal_colors)
{
    if (no_color_flag) {
        return false;
    }
    /* no-color.org: set and not empty means no colour. */
    if (no_color_env && no_color_env[0] != '\0') {
        return false;
    }
    return terminal_colors >= 8;
}

char theme_role_letter(enum role r)
{
    if ((int)r < 0 || r >= ROLE_COUNT) {
        return '?';
    }
    return role_letters[r];
}

const char *theme_role_name(enum role r)
{
    if ((int)r < 0 || r >= ROLE_COUNT) {
        return "?";
    }
    return role_names[r];
}
