/*
 * Canvas to ncurses. Invariants: curses is called from the UI thread only;
 * a row reaches curses only when it differs from the same row of the last
 * frame (kept in `prev`), or after an invalidation; each flush ends in
 * exactly one doupdate().
 *
 * The one piece of process-wide state is what a crash handler needs to
 * give the terminal back (the tty modes saved before curses started and the
 * terminal's exit strings): a signal handler cannot be handed a struct.
 */
#include "tui/screen.h"

#include "backend/xalloc.h"

#include <curses.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

struct screen {
    SCREEN *term;
    bool color;
    struct theme theme;
    attr_t attr[ROLE_COUNT];
    short pair[ROLE_COUNT];
    struct cell *prev; /* the last frame flushed */
    int pw, ph;
    bool full;
};

#define EXIT_SEQ_MAX 512

static struct {
    volatile sig_atomic_t active;
    struct termios tty;
    char exit_seq[EXIT_SEQ_MAX];
    size_t exit_len;
} emergency;

static void add_exit_cap(const char *cap)
{
    char *s = tigetstr(cap);
    if (!s || s == (char *)-1) {
        return;
    }
    size_t n = strlen(s);
    if (emergency.exit_len + n < EXIT_SEQ_MAX) {
        memcpy(emergency.exit_seq + emergency.exit_len, s, n);
        emergency.exit_len += n;
    }
}

static short curses_color(short c)
{
    return c == THEME_DEFAULT ? -1 : c;
}

static void init_roles(struct screen *s, bool default_colors)
{
    for (int r = 0; r < ROLE_COUNT; r++) {
        const struct theme_attr *a = &s->theme.attr[r];
        attr_t at = A_NORMAL;
        at |= (a->flags & THEME_BOLD) ? A_BOLD : 0;
        at |= (a->flags & THEME_REVERSE) ? A_REVERSE : 0;
        at |= (a->flags & THEME_UNDERLINE) ? A_UNDERLINE : 0;
        at |= (a->flags & THEME_DIMMED) ? A_DIM : 0;
        s->attr[r] = at;
        s->pair[r] = 0;
        if (s->color) {
            short fg = curses_color(a->fg), bg = curses_color(a->bg);
            if (!default_colors) {
                fg = fg < 0 ? COLOR_WHITE : fg;
                bg = bg < 0 ? COLOR_BLACK : bg;
            }
            if (init_pair((short)(r + 1), fg, bg) == OK) {
                s->pair[r] = (short)(r + 1);
            }
        }
    }
}

/* Starts curses on the given streams and sets up modes and colours. */
static struct screen *start(FILE *in, FILE *out, const char *termname, bool no_color, struct err *e)
{
    SCREEN *term = newterm(termname, out, in);
    if (!term) {
        const char *t = termname ? termname : getenv("TERM");
        err_set(e, "cannot use terminal type '%s' (check TERM)", t ? t : "");
        return NULL;
    }
    set_term(term);
    struct screen *s = xcalloc(1, sizeof *s);
    s->term = term;
    cbreak();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    curs_set(0);
    leaveok(stdscr, TRUE);

    bool default_colors = false;
    if (has_colors() && start_color() == OK) {
        default_colors = use_default_colors() == OK;
    }
    s->color = theme_want_color(no_color, getenv("NO_COLOR"), has_colors() ? COLORS : 0);
    theme_init(&s->theme, s->color);
    init_roles(s, default_colors);
    s->full = true;
    return s;
}

struct screen *screen_new(bool no_color, struct err *e)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        err_set(e, "the console needs a terminal (for a report, try 'scaletop snapshot')");
        return NULL;
    }
    struct termios tty;
    if (tcgetattr(STDIN_FILENO, &tty) != 0) {
        err_set(e, "cannot read the terminal's settings");
        return NULL;
    }
    struct screen *s = start(stdin, stdout, NULL, no_color, e);
    if (!s) {
        return NULL;
    }
    emergency.tty = tty;
    emergency.exit_len = 0;
    add_exit_cap("sgr0");
    add_exit_cap("cnorm");
    add_exit_cap("rmkx");
    add_exit_cap("rmcup");
    if (emergency.exit_len + 2 < EXIT_SEQ_MAX) {
        memcpy(emergency.exit_seq + emergency.exit_len, "\r\n", 2);
        emergency.exit_len += 2;
    }
    emergency.active = 1;
    return s;
}

struct screen *screen_new_stream(FILE *in, FILE *out, const char *term, bool no_color,
                                 struct err *e)
{
    return start(in, out, term, no_color, e);
}

void screen_free(struct screen *s)
{
    if (!s) {
        return;
    }
    emergency.active = 0;
    char *smcup = tigetstr("smcup");
    if (!smcup || smcup == (char *)-1) {
        /* No alternate screen to go back to: leave a clean one, not our last frame. */
        werase(stdscr);
        wnoutrefresh(stdscr);
        doupdate();
    }
    curs_set(1);
    endwin();
    delscreen(s->term);
    free(s->prev);
    free(s);
}

void screen_size(const struct screen *s, int *w, int *h)
{
    (void)s;
    *w = COLS;
    *h = LINES;
}

bool screen_color(const struct screen *s)
{
    return s->color;
}

void screen_invalidate(struct screen *s)
{
    s->full = true;
}

static bool same_row(const struct cell *a, const struct cell *b, int w)
{
    for (int x = 0; x < w; x++) {
        if (a[x].cp != b[x].cp || a[x].width != b[x].width || a[x].role != b[x].role) {
            return false;
        }
    }
    return true;
}

void screen_flush(struct screen *s, const struct canvas *c)
{
    int w = canvas_width(c), h = canvas_height(c);
    if (w != s->pw || h != s->ph || !s->prev) {
        free(s->prev);
        s->prev = xcalloc((size_t)w * (size_t)h + 1, sizeof *s->prev);
        s->pw = w;
        s->ph = h;
        s->full = true;
    }
    if (s->full) {
        /* Resize and Ctrl-L: forget what curses thinks is on the terminal. */
        clearok(curscr, TRUE);
    }
    for (int y = 0; y < h; y++) {
        const struct cell *row = canvas_row(c, y);
        struct cell *old = s->prev + (size_t)y * (size_t)w;
        if (!row || (!s->full && same_row(row, old, w))) {
            continue;
        }
        for (int x = 0; x < w; x++) {
            if (row[x].width == 0) {
                continue;
            }
            wchar_t wc[2] = {(wchar_t)row[x].cp, L'\0'};
            cchar_t cc;
            int role = row[x].role < ROLE_COUNT ? row[x].role : ROLE_NORMAL;
            if (setcchar(&cc, wc, s->attr[role], s->pair[role], NULL) == OK) {
                /* The bottom-right cell returns ERR yet is drawn; nothing to do. */
                (void)mvwadd_wch(stdscr, y, x, &cc);
            }
        }
        memcpy(old, row, (size_t)w * sizeof *row);
    }
    s->full = false;
    wnoutrefresh(stdscr);
    doupdate();
}

void screen_emergency_restore(void)
{
    if (!emergency.active) {
        return;
    }
    emergency.active = 0;
    const char *p = emergency.exit_seq;
    size_t left = emergency.exit_len;
    while (left > 0) {
        ssize_t n = write(STDOUT_FILENO, p, left);
        if (n <= 0) {
            break;
        }
        p += n;
        left -= (size_t)n;
    }
    tcsetattr(STDIN_FILENO, TCSANOW, &emergency.tty);
}
