/*
 * Wires the console: config -> thresholds, the history file, the collector
 * and the UI loop (tui/app.h). Invariants: one recorder per history file
 * (DESIGN.md §4): this process records (STORE_RECORD, appended to from the
 * collector's sink on the poller thread) only when it could take the
 * recorder lock; otherwise it is a viewer and polls nothing. The UI thread
 * has its own STORE_VIEW connection (SQLite: one connection per thread).
 * Nothing is printed while the terminal belongs to the console.
 */
#include "tui/console.h"

#include "backend/advisor.h"
#include "backend/collect.h"
#include "backend/promapi.h"
#include "backend/sources.h"
#include "backend/store.h"
#include "backend/store_views.h"
#include "tui/app.h"
#include "tui/glyphs.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The recorder's side of the collector: the poller thread appends each
 * snapshot; the first error is kept for after the terminal is back. */
struct rec_sink {
    struct store *st;
    pthread_mutex_t mu;
    unsigned long failures;
    char first_error[256];
};

static void sink_append(void *ctx, struct snapshot *snap)
{
    struct rec_sink *r = ctx;
    struct err e = {{0}};
    if (store_append(r->st, snap, &e) < 0) {
        pthread_mutex_lock(&r->mu);
        if (r->failures++ == 0) {
            snprintf(r->first_error, sizeof r->first_error, "%s", e.msg);
        }
        pthread_mutex_unlock(&r->mu);
    }
}

static struct store_options store_opts(const struct config *cfg)
{
    struct store_options so;
    store_options_defaults(&so);
    if (cfg->raw_retention_s > 0) {
        so.raw_retention_s = cfg->raw_retention_s;
    }
    if (cfg->minute_retention_s > 0) {
        so.minute_retention_s = cfg->minute_retention_s;
    }
    if (cfg->hour_retention_s > 0) {
        so.hour_retention_s = cfg->hour_retention_s;
    }
    if (cfg->db_max_bytes > 0) {
        so.max_bytes = cfg->db_max_bytes;
    }
    return so;
}

void console_reraise(int sig)
{
    if (sig) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

int console_run(const struct config *cfg, const struct console_opts *o, int *sig)
{
    struct advisor_thresholds th;
    struct err e = {{0}};
    struct rec_sink rec = {.st = NULL, .failures = 0, .first_error = ""};
    struct collect *col = NULL;
    struct store *view = NULL;
    int status = 0;
    *sig = 0;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        /* Before the history file is touched or anything polled. */
        fprintf(stderr, "scaletop: the console needs a terminal (for a report, try "
                        "'scaletop snapshot')\n");
        return 1;
    }
    pthread_mutex_init(&rec.mu, NULL);
    if (advisor_thresholds_from_config(&th, cfg, &e) < 0) {
        fprintf(stderr, "scaletop: %s\n", e.msg);
        pthread_mutex_destroy(&rec.mu);
        return 2;
    }
    char *db = cfg->db_path ? strdup(cfg->db_path) : store_default_path();
    struct store_options so = store_opts(cfg);
    if (!o->replay) {
        if (store_prepare_dir(db, &e) < 0) {
            fprintf(stderr, "scaletop: cannot keep history in %s: %s\n", db, e.msg);
            status = 1;
            goto out;
        }
        rec.st = store_open(db, STORE_RECORD, &so, &e);
        if (!rec.st && !strstr(e.msg, "already being recorded")) {
            fprintf(stderr, "scaletop: %s\n", e.msg);
            status = 1;
            goto out;
        }
        if (rec.st && store_notice(rec.st)) {
            fprintf(stderr, "scaletop: %s\n", store_notice(rec.st));
        }
    }
    e.msg[0] = '\0';
    view = store_open(db, STORE_VIEW, &so, &e);
    if (!view && (o->replay || !rec.st)) {
        fprintf(stderr, "scaletop: %s\n", e.msg);
        status = 1;
        goto out;
    }
    if (rec.st) {
        col = collect_new(cfg, sources_list, sources_count());
        struct advisor_history h = store_advisor_history(rec.st);
        collect_set_history(col, &h);
        collect_set_sink(col, sink_append, &rec);
        double interval = cfg->interval_s > 0 ? cfg->interval_s : 5;
        if (collect_start(col, interval, &e) < 0) {
            fprintf(stderr, "scaletop: %s\n", e.msg);
            status = 1;
            goto out;
        }
    }

    /* Only the character type: numbers and times keep the C conventions. */
    setlocale(LC_CTYPE, "");
    struct app_opts ao = {
        .ascii = cfg->ascii || !glyphs_locale_is_utf8(),
        .no_color = cfg->no_color,
        .collect = col,
        .history = view,
        .replay_only = o->replay,
        .start_at = o->start_at,
        .thresholds = &th,
        .utc = cfg->utc,
        .window_s = o->window_s,
        .prometheus = promapi_range_new(cfg),
    };
    struct app *a = app_new(&ao);
    if (app_run(a, &e) < 0) {
        fprintf(stderr, "scaletop: %s\n", e.msg);
        status = 1;
    }
    *sig = app_signal(a);
    app_free(a);
out:
    collect_free(col); /* stops the poller thread before its store closes */
    if (rec.failures) {
        fprintf(stderr, "scaletop: %lu snapshot(s) not recorded in %s: %s\n", rec.failures, db,
                rec.first_error);
    }
    store_close(rec.st);
    store_close(view);
    pthread_mutex_destroy(&rec.mu);
    free(db);
    return status;
}
