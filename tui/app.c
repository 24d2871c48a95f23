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

#include "backend/xalloc.h"
#include "tui/canvas.h"
#include "tui/glyphs.h"
#include "tui/input.h"
#include "tui/keys.h"
#include "tui/screen.h"
#include "tui/view.h"

#include <errno.h>
#include <fcntl.h>
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

/* Milliseconds until the next second of the wall clock (the header's time). */
static int ms_to_next_second(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return 1000 - (int)(ts.tv_nsec / 1000000);
}

static void format_now(time_t now, char *buf, size_t n)
{
    struct tm tm;
    localtime_r(&now, &tm);
    if (strftime(buf, n, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0) {
        buf[0] = '\0';
    }
}

static int loop(struct app *a, struct screen *scr)
{
    struct view view;
    int w, h;
    char when[64];
    time_t shown = 0;
    bool dirty = true;
    view_init(&view);
    screen_size(scr, &w, &h);
    struct canvas *c = canvas_new(w, h, a->opts.ascii);
    int rc = 0;
    while (!sigstate.sig) {
        time_t now = time(NULL);
        if (dirty || now != shown) {
            format_now(now, when, sizeof when);
            view_render(c, canvas_bounds(c), &view, NULL, when);
            screen_flush(scr, c);
            dirty = false;
            shown = now;
        }
        struct pollfd p[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
                              {.fd = a->wake[0], .events = POLLIN}};
        int n = poll(p, 2, ms_to_next_second());
        if (n < 0 && errno != EINTR) {
            rc = -1;
            break;
        }
        if (n > 0 && p[1].revents) {
            drain(a->wake[0]);
            dirty = true;
        }
        /* Drain the keys even after EINTR: a SIGWINCH leaves KEY_RESIZE. */
        int k;
        bool quit = false;
        while ((k = input_next()) != KEYS_NONE) {
            if (k == KEYS_RESIZE) {
                screen_size(scr, &w, &h);
                canvas_resize(c, w, h);
            }
            enum view_action act = view_key(&view, NULL, k);
            if (act == VIEW_QUIT) {
                quit = true;
                break;
            }
            if (act == VIEW_REPAINT) {
                screen_invalidate(scr);
            }
            dirty = dirty || act != VIEW_NONE;
        }
        if (quit) {
            break;
        }
        if (n > 0 && (p[0].revents & (POLLHUP | POLLERR | POLLNVAL))) {
            break; /* the terminal went away */
        }
    }
    canvas_free(c);
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
