/*
 * The UI loop. Invariants: only this thread touches curses; the loop never
 * blocks anywhere but poll(); after each wake-up every pending key is read
 * (until there is none) before the next poll; a frame is rendered and
 * flushed only when something changed (a key, a resize, a wake-up, or the
 * clock's second in the header).
 *
 * Signal handlers cannot be handed a struct, so the signal that arrived and
 * the wake-up pipe's write end live in one file-scope struct: the only
 * mutable state here, written before the handlers are installed.
 */
#include "tui/app.h"

#include "backend/store_views.h"
#include "backend/timespec.h"
#include "backend/xalloc.h"
#include "tui/canvas.h"
#include "tui/glyphs.h"
#include "tui/input.h"
#include "tui/keys.h"
#include "tui/outfile.h"
#include "tui/screen.h"
#include "tui/textrender.h"
#include "tui/timetravel.h"
#include "tui/view.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct app {
    struct app_opts opts;
    int wake[2]; /* read end, write end; non-blocking, close-on-exec */
    int signal;
};

static struct {
    volatile sig_atomic_t sig;
    volatile sig_atomic_t fd;
} sigstate = {0, -1};

static const int quit_signals[] = {SIGTERM, SIGINT, SIGHUP};
static const int crash_signals[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};

struct app *app_new(const struct app_opts *o)
{
    struct app *a = xcalloc(1, sizeof *a);
    a->opts = *o;
    if (pipe2(a->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        fprintf(stderr, "scaletop: cannot create a pipe: %s\n", strerror(errno));
        abort();
    }
    return a;
}

void app_free(struct app *a)
{
    if (!a) {
        return;
    }
    close(a->wake[0]);
    close(a->wake[1]);
    free(a);
}

void app_wake(struct app *a)
{
    char b = 'w';
    /* A full pipe already means "wake up": the error is the answer. */
    ssize_t n = write(a->wake[1], &b, 1);
    (void)n;
}

int app_signal(const struct app *a)
{
    return a->signal;
}

static void on_quit_signal(int sig)
{
    int saved = errno;
    sigstate.sig = sig;
    if (sigstate.fd >= 0) {
        char b = 's';
        ssize_t n = write(sigstate.fd, &b, 1);
        (void)n;
    }
    errno = saved;
}

static void on_crash_signal(int sig)
{
    /* SA_RESETHAND restored the default action: give the terminal back and
     * let the signal do what it would have done (core, exit status). */
    screen_emergency_restore();
    raise(sig);
}

static void install_handlers(struct sigaction *old_quit, struct sigaction *old_crash)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_quit_signal;
    for (size_t i = 0; i < sizeof quit_signals / sizeof *quit_signals; i++) {
        sigaction(quit_signals[i], &sa, &old_quit[i]);
    }
    sa.sa_handler = on_crash_signal;
    sa.sa_flags = (int)(SA_RESETHAND | SA_NODEFER);
    for (size_t i = 0; i < sizeof crash_signals / sizeof *crash_signals; i++) {
        sigaction(crash_signals[i], &sa, &old_crash[i]);
    }
}

static void restore_handlers(const struct sigaction *old_quit, const struct sigaction *old_crash)
{
    for (size_t i = 0; i < sizeof quit_signals / sizeof *quit_signals; i++) {
        sigaction(quit_signals[i], &old_quit[i], NULL);
    }
    for (size_t i = 0; i < sizeof crash_signals / sizeof *crash_signals; i++) {
        sigaction(crash_signals[i], &old_crash[i], NULL);
    }
}

static void drain(int fd)
{
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0) {
    }
}

static double now_real(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What the loop shows and where it is in time. */
struct shown {
    struct snapshot *snap; /* owned reference, NULL before the first */
    struct timetravel tt;
    double store_newest; /* newest frame read from the history (viewer: when to reload) */
    double oldest;       /* oldest recorded frame, NAN if none (sparkline span) */
};

static int step_store(void *ctx, double t, int dir, double *out)
{
    struct err e = {{0}};
    return store_frame_step(ctx, t, dir, out, &e);
}

static void set_snap(struct shown *sh, struct snapshot *s)
{
    snapshot_unref(sh->snap);
    sh->snap = s;
}

static void refresh_newest(struct app *a, struct shown *sh)
{
    struct err e = {{0}};
    double t;
    if (a->opts.history && store_latest_time(a->opts.history, &t, &e) == 0) {
        sh->tt.newest = t;
    }
    if (a->opts.history && !isfinite(sh->oldest) &&
        store_frame_step(a->opts.history, 0, 1, &t, &e) == 0) {
        sh->oldest = t;
    }
}

/* The sparkline span: the configured one, else as much history as there is,
 * from two minutes up to an hour, so a fresh history file already draws. */
static double spark_window(const struct app *a, const struct shown *sh)
{
    if (a->opts.window_s > 0) {
        return a->opts.window_s;
    }
    double span = sh->snap && isfinite(sh->oldest) ? sh->snap->time - sh->oldest : 0;
    return span < 120 ? 120 : span > 3600 ? 3600 : span;
}

/* Loads the snapshot the state asks for; a message in v when it cannot.
 * Returns true when what is shown changed. */
static bool load(struct app *a, struct shown *sh, struct view *v, bool force)
{
    struct err e = {{0}};
    if (sh->tt.replay) {
        if (!a->opts.history || !isfinite(sh->tt.t)) {
            return false;
        }
        if (!force && sh->snap && sh->snap->time == sh->tt.t) {
            return false;
        }
        struct snapshot *s = store_snapshot_at(a->opts.history, sh->tt.t, &e);
        if (!s) {
            snprintf(v->message, sizeof v->message, "%s", e.msg);
            return true;
        }
        set_snap(sh, s);
        return true;
    }
    if (a->opts.collect) {
        struct snapshot *s = collect_latest(a->opts.collect);
        if (!s || s == sh->snap) {
            snapshot_unref(s);
            return false;
        }
        set_snap(sh, s);
        return true;
    }
    /* A viewer: LIVE is the recorder's newest frame. */
    double before = sh->store_newest;
    refresh_newest(a, sh);
    if (!isfinite(sh->tt.newest) || (!force && sh->tt.newest == before && sh->snap)) {
        return false;
    }
    sh->store_newest = sh->tt.newest;
    struct snapshot *s = store_snapshot_at(a->opts.history, sh->tt.newest, &e);
    if (!s) {
        return false;
    }
    set_snap(sh, s);
    return true;
}

/* The file a 'w' writes: in the current directory when it is writable,
 * else $XDG_STATE_HOME/scaletop (or ~/.local/state/scaletop). */
static void snapshot_path(char *buf, size_t n)
{
    char name[64], dir[512];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(name, sizeof name, "scaletop-%Y%m%d-%H%M%S.txt", &tm);
    if (access(".", W_OK) == 0 && getcwd(dir, sizeof dir)) {
        snprintf(buf, n, "%s/%s", dir, name);
        return;
    }
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    if (xdg && xdg[0] == '/') {
        snprintf(dir, sizeof dir, "%s/scaletop", xdg);
    } else {
        snprintf(dir, sizeof dir, "%s/.local/state/scaletop", home ? home : "/tmp");
    }
    snprintf(buf, n, "%s/%s", dir, name);
}

static void write_snapshot(struct app *a, struct shown *sh, struct view *v, int width)
{
    if (!sh->snap) {
        snprintf(v->message, sizeof v->message, "nothing to write yet: no snapshot");
        return;
    }
    char path[700];
    snapshot_path(path, sizeof path);
    struct err e = {{0}};
    if (store_prepare_dir(path, &e) < 0) {
        snprintf(v->message, sizeof v->message, "cannot write a snapshot: %s", e.msg);
        return;
    }
    width = width < 80 ? 80 : width > 200 ? 200 : width;
    char *text = textrender_snapshot(sh->snap, v->ctx.series, width, a->opts.ascii, a->opts.utc);
    if (outfile_write(path, text, strlen(text), &e) < 0) {
        snprintf(v->message, sizeof v->message, "cannot write a snapshot: %s", e.msg);
    } else {
        snprintf(v->message, sizeof v->message, "snapshot written to %s", path);
    }
    free(text);
}

static void mark(struct app *a, struct shown *sh, struct view *v)
{
    struct err e = {{0}};
    char when[TIMESPEC_BUF];
    double t = sh->tt.replay ? sh->tt.t : sh->snap ? sh->snap->time : now_real();
    if (!v->prompt.text[0]) {
        snprintf(v->message, sizeof v->message, "no mark: the note was empty");
    } else if (!a->opts.history) {
        snprintf(v->message, sizeof v->message, "no mark: there is no history file");
    } else if (store_mark(a->opts.history, t, v->prompt.text, &e) < 0) {
        snprintf(v->message, sizeof v->message, "no mark: %s", e.msg);
    } else {
        snprintf(v->message, sizeof v->message, "marked %s: %s",
                 timespec_format_short(t, a->opts.utc, when, sizeof when), v->prompt.text);
    }
    prompt_close(&v->prompt);
}

static void go_to(struct app *a, struct shown *sh, struct view *v)
{
    struct err e = {{0}};
    double t;
    if (!a->opts.history) {
        snprintf(v->message, sizeof v->message, "no time travel: there is no history file");
    } else if (timespec_parse(v->prompt.text, now_real(), a->opts.utc, &t, &e) < 0) {
        snprintf(v->message, sizeof v->message, "%s", e.msg);
    } else {
        refresh_newest(a, sh);
        struct timetravel before = sh->tt;
        timetravel_goto(&sh->tt, t);
        if (sh->tt.replay) {
            struct snapshot *s = store_snapshot_at(a->opts.history, sh->tt.t, &e);
            if (!s) {
                sh->tt = before;
                snprintf(v->message, sizeof v->message, "%s", e.msg);
            } else {
                set_snap(sh, s);
                sh->tt.t = s->time; /* the frame actually shown */
            }
        } else {
            load(a, sh, v, true);
        }
    }
    prompt_close(&v->prompt);
}

/* The moment shown: the replayed frame, else the live snapshot's time;
 * NAN before the first snapshot. */
static double shown_time(const struct shown *sh)
{
    return sh->tt.replay ? sh->tt.t : sh->snap ? sh->snap->time : NAN;
}

/* a / b: marks the moment shown as A or B for the compare view. */
static void set_mark(struct app *a, struct shown *sh, struct view *v, bool is_a)
{
    compare_mark(&v->compare, is_a, a->opts.history != NULL, shown_time(sh), a->opts.utc,
                 v->message, sizeof v->message);
}

/* c: opens the compare view of A and B, both read back from the history
 * file as `scaletop diff` reads them (the latest frame at or before each
 * time); an unmarked side is the moment shown. */
static void open_compare(struct app *a, struct shown *sh, struct view *v)
{
    struct err e = {{0}};
    struct compare_plan p;
    if (compare_plan(&v->compare, a->opts.history != NULL, shown_time(sh), &p, v->message,
                     sizeof v->message) < 0) {
        return;
    }
    struct snapshot *sa = store_snapshot_at(a->opts.history, p.from, &e), *sb = NULL;
    if (sa) {
        sb = store_snapshot_at(a->opts.history, p.to, &e);
    }
    if (!sa || !sb) {
        /* Which side could not be read, named as the user marked it. */
        bool is_a = !sa ? !p.swapped : p.swapped;
        char when[TIMESPEC_BUF];
        timespec_format_short(!sa ? p.from : p.to, a->opts.utc, when, sizeof when);
        snprintf(v->message, sizeof v->message, "compare: %s (%s): %s", is_a ? "A" : "B", when,
                 e.msg);
    } else {
        compare_show(&v->compare, sa, sb, p.swapped, p.a_shown, p.b_shown, a->opts.utc);
    }
    snapshot_unref(sa);
    snapshot_unref(sb);
}

/* Carries out a console action; returns true when the frame changed. */
static bool act(struct app *a, struct shown *sh, struct view *v, enum view_action action, int width)
{
    int n = 0;
    switch (action) {
    case VIEW_STEP_BACK:
        n = -1;
        break;
    case VIEW_STEP_FORWARD:
        n = 1;
        break;
    case VIEW_JUMP_BACK:
        n = -10;
        break;
    case VIEW_JUMP_FORWARD:
        n = 10;
        break;
    case VIEW_GOTO:
        go_to(a, sh, v);
        return true;
    case VIEW_MARK:
        mark(a, sh, v);
        return true;
    case VIEW_WRITE:
        write_snapshot(a, sh, v, width);
        return true;
    case VIEW_SET_A:
    case VIEW_SET_B:
        set_mark(a, sh, v, action == VIEW_SET_A);
        return true;
    case VIEW_COMPARE:
        open_compare(a, sh, v);
        return true;
    case VIEW_LIVE:
        refresh_newest(a, sh);
        if (timetravel_live(&sh->tt) == TIMETRAVEL_EDGE) {
            snprintf(v->message, sizeof v->message, "%s",
                     sh->tt.can_live ? "already live" : "nothing recorded");
        }
        load(a, sh, v, true);
        return true;
    case VIEW_REFRESH:
        if (a->opts.collect) {
            collect_poke(a->opts.collect);
            snprintf(v->message, sizeof v->message, "refreshing: polling every source now");
        } else {
            load(a, sh, v, true);
            snprintf(v->message, sizeof v->message, "re-read the history file");
        }
        return true;
    default:
        return false;
    }
    if (!a->opts.history) {
        snprintf(v->message, sizeof v->message, "no time travel: there is no history file");
        return true;
    }
    double live_time = sh->snap ? sh->snap->time : now_real();
    if (timetravel_step(&sh->tt, n, live_time, step_store, a->opts.history) == TIMETRAVEL_EDGE) {
        snprintf(v->message, sizeof v->message, "%s",
                 n < 0           ? "no earlier frame recorded"
                 : sh->tt.replay ? "this is the newest frame"
                                 : "already live");
        return true;
    }
    load(a, sh, v, true);
    return true;
}

static int loop(struct app *a, struct screen *scr)
{
    struct view view;
    int w, h;
    char when[TIMESPEC_BUF];
    bool dirty = true;
    struct shown sh = {.snap = NULL, .store_newest = NAN, .oldest = NAN};
    struct series_source series;
    view_init(&view);
    timetravel_init(&sh.tt, !a->opts.replay_only);
    view.ctx.thresholds = a->opts.thresholds;
    view.ctx.utc = a->opts.utc;
    if (a->opts.history) {
        series = store_series_source(a->opts.history);
        view.ctx.series = &series;
        refresh_newest(a, &sh);
    }
    if (a->opts.replay_only) {
        if (isfinite(a->opts.start_at)) {
            timetravel_goto(&sh.tt, a->opts.start_at);
        } else {
            timetravel_live(&sh.tt);
        }
    }
    load(a, &sh, &view, true);
    screen_size(scr, &w, &h);
    struct canvas *c = canvas_new(w, h, a->opts.ascii);
    int cfd = a->opts.collect ? collect_wake_fd(a->opts.collect) : -1;
    int rc = 0;
    while (!sigstate.sig) {
        if (dirty) {
            view.replay = sh.tt.replay;
            if (!isfinite(sh.oldest)) {
                refresh_newest(a, &sh);
            }
            view.ctx.window_s = spark_window(a, &sh);
            view_fit(&view, c);
            timespec_format_short(sh.snap ? sh.snap->time : now_real(), a->opts.utc, when,
                                  sizeof when);
            view_render(c, canvas_bounds(c), &view, sh.snap, when);
            screen_flush(scr, c);
            dirty = false;
        }
        struct pollfd p[3] = {{.fd = STDIN_FILENO, .events = POLLIN},
                              {.fd = a->wake[0], .events = POLLIN},
                              {.fd = cfd, .events = POLLIN}};
        /* Without a collector the history file is looked at every second. */
        int n = poll(p, cfd >= 0 ? 3 : 2, cfd >= 0 ? -1 : 1000);
        if (n < 0 && errno != EINTR) {
            rc = -1;
            break;
        }
        if (n > 0 && p[1].revents) {
            drain(a->wake[0]);
            dirty = true;
        }
        if (cfd >= 0 && n > 0 && p[2].revents) {
            drain(cfd);
            if (!sh.tt.replay) {
                dirty = load(a, &sh, &view, false) || dirty;
            }
        }
        if (cfd < 0 && n == 0 && a->opts.history && !sh.tt.replay) {
            dirty = load(a, &sh, &view, false) || dirty;
        }
        /* Drain the keys even after EINTR: a SIGWINCH leaves KEY_RESIZE. */
        int k;
        bool quit = false;
        while ((k = input_next()) != KEYS_NONE) {
            if (k == KEYS_RESIZE) {
                screen_size(scr, &w, &h);
                canvas_resize(c, w, h);
            }
            enum view_action action = view_key(&view, sh.snap, k);
            if (action == VIEW_QUIT) {
                quit = true;
                break;
            }
            if (action == VIEW_REPAINT) {
                screen_invalidate(scr);
            }
            if (action >= VIEW_STEP_BACK) {
                act(a, &sh, &view, action, w);
            }
            /* A key that follows in the same read scrolls what is shown. */
            view_fit(&view, c);
            dirty = dirty || action != VIEW_NONE;
        }
        if (quit) {
            break;
        }
        if (n > 0 && (p[0].revents & (POLLHUP | POLLERR | POLLNVAL))) {
            break; /* the terminal went away */
        }
    }
    canvas_free(c);
    snapshot_unref(sh.snap);
    view_fini(&view);
    return rc;
}

int app_run(struct app *a, struct err *e)
{
    struct sigaction old_quit[3], old_crash[5];
    sigstate.sig = 0;
    sigstate.fd = a->wake[1];
    /* Before curses starts, so that ncurses leaves SIGINT/SIGTERM to us. */
    install_handlers(old_quit, old_crash);
    xalloc_set_fatal_hook(screen_emergency_restore);
    struct screen *scr = screen_new(a->opts.no_color, e);
    if (!scr) {
        restore_handlers(old_quit, old_crash);
        xalloc_set_fatal_hook(NULL);
        sigstate.fd = -1;
        return -1;
    }
    input_init();
    int rc = loop(a, scr);
    screen_free(scr);
    xalloc_set_fatal_hook(NULL);
    restore_handlers(old_quit, old_crash);
    a->signal = sigstate.sig;
    sigstate.fd = -1;
    if (rc < 0) {
        return err_set(e, "waiting for input failed: %s", strerror(errno));
    }
    return 0;
}
