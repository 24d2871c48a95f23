/*
 * The recorder loop (see recorder.h). Signals are not caught by a handler:
 * SIGTERM and SIGINT are blocked on this thread and collected with
 * sigtimedwait() while pacing, or with sigpending() between cycles, so no
 * global flag is needed and a signal never interrupts a transaction. Every
 * append commits on its own, so stopping has nothing left to flush but the
 * close.
 */
#include "backend/recorder.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void recorder_options_defaults(struct recorder_options *o)
{
    o->db_path = NULL;
    store_options_defaults(&o->store);
    o->interval_s = 15;
    o->max_cycles = 0;
    o->handle_signals = 1;
    o->progress_every = 240;
    o->log = stderr;
    o->opened = NULL;
}

void recorder_log(FILE *log, const char *fmt, ...)
{
    if (!log) {
        return;
    }
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(log, "%s scaletop record: ", stamp);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log, fmt, ap);
    va_end(ap);
    fputc('\n', log);
    fflush(log);
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits up to `seconds` (0: just checks); returns the signal that arrived, or 0. */
static int wait_signal(const sigset_t *set, double seconds)
{
    if (seconds <= 0) {
        sigset_t pending;
        sigpending(&pending);
        for (int sig = 1; sig < 32; sig++) {
            if (sigismember(set, sig) && sigismember(&pending, sig)) {
                return sigwaitinfo(set, NULL);
            }
        }
        return 0;
    }
    struct timespec ts = {(time_t)seconds, (long)((seconds - floor(seconds)) * 1e9)};
    for (;;) {
        int sig = sigtimedwait(set, NULL, &ts);
        if (sig > 0) {
            return sig;
        }
        if (errno != EINTR) {
            return 0;
        }
    }
}

int recorder_run(const struct recorder_options *o, recorder_next_fn next, void *ctx, struct err *e)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (o->handle_signals) {
        pthread_sigmask(SIG_BLOCK, &set, &old);
    }
    struct store *st = store_open(o->db_path, STORE_RECORD, &o->store, e);
    if (!st) {
        if (o->handle_signals) {
            pthread_sigmask(SIG_SETMASK, &old, NULL);
        }
        return -1;
    }
    if (store_notice(st)) {
        recorder_log(o->log, "%s", store_notice(st));
    }
    recorder_log(o->log, "recording into %s (schema %d, every %g s)", o->db_path,
                 store_schema_version(st), o->interval_s);
    if (o->opened) {
        o->opened(ctx, st);
    }
    long cycles = 0, failures = 0, failing = 0;
    char last_error[ERR_MSG_MAX] = "";
    int sig = 0;
    const char *why = "end of input";
    double next_tick = mono_now();
    while (o->max_cycles == 0 || cycles < o->max_cycles) {
        if (o->handle_signals && (sig = wait_signal(&set, 0)) > 0) {
            break;
        }
        struct snapshot *s = next(ctx);
        if (!s) {
            break;
        }
        double t0 = mono_now();
        struct err ae = {""};
        if (store_append(st, s, &ae) < 0) {
            failures++;
            failing++;
            /* a full disk fails every cycle: say it once, count the rest */
            if (strcmp(ae.msg, last_error) != 0) {
                recorder_log(o->log, "frame at %.3f not recorded: %s%s", s->time, ae.msg,
                             failing == 1 ? " (retrying each cycle; repeats are counted)" : "");
                snprintf(last_error, sizeof last_error, "%s", ae.msg);
            }
        } else {
            if (failing > 0) {
                recorder_log(o->log, "recording again after %ld failed cycles", failing);
                failing = 0;
                last_error[0] = '\0';
            }
            cycles++;
            if (o->progress_every > 0 && cycles % o->progress_every == 0) {
                recorder_log(o->log, "%ld frames recorded (last append %.1f ms, %ld failed)",
                             cycles, (mono_now() - t0) * 1000.0, failures);
            }
        }
        snapshot_unref(s);
        if (o->interval_s > 0) {
            next_tick += o->interval_s;
            double wait = next_tick - mono_now();
            if (wait < 0) {
                next_tick = mono_now(); /* a slow cycle: do not try to catch up */
                wait = 0;
            }
            if (o->handle_signals && wait > 0 && (sig = wait_signal(&set, wait)) > 0) {
                break;
            }
            if (!o->handle_signals && wait > 0) {
                struct timespec ts = {(time_t)wait, (long)((wait - floor(wait)) * 1e9)};
                nanosleep(&ts, NULL);
            }
        }
    }
    if (sig <= 0 && o->handle_signals) {
        sig = wait_signal(&set, 0); /* arrived while the source was blocked */
    }
    if (sig > 0) {
        why = sig == SIGTERM ? "SIGTERM" : "SIGINT";
    } else if (o->max_cycles && cycles >= o->max_cycles) {
        why = "cycle limit";
    }
    store_close(st);
    recorder_log(o->log, "stopped (%s): %ld frames recorded, %ld failed; history closed", why,
                 cycles, failures);
    if (o->handle_signals) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    return 0;
}
