/*
 * Full-screen render benchmark (DESIGN.md §9: a full 200x60 screen of
 * 6-month sparklines <= 30 ms). A synthetic 10k-preset snapshot
 * (tests/lib/snapgen) is rendered by view_render, every pane with its
 * sparklines, into a 200x60 canvas whose panes read their series from the
 * history store (store_series_source) with a 6-month window.
 *
 * The history is generated: one render through a recording series source
 * learns which series the screen asks for; each of them then gets 6 months
 * of 1-hour rollup rows (the tier a 6-month sparkline reads), written
 * time-major as the recorder writes them. Then the screen is rendered from
 * the store RUNS times; the figure is the median, with the number of
 * sparklines per frame. A frame without history is timed too, to show what
 * the sparklines themselves cost.
 */
#include "backend/series.h"
#include "backend/snapshot.h"
#include "backend/store.h"
#include "backend/store_views.h"
#include "tests/lib/snapgen.h"
#include "tests/lib/test.h"
#include "tui/canvas.h"
#include "tui/view.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RUNS     21
#define MAX_SEEN 4096
#define HOURS    (183 * 24)
#define T_END    1767225600.0 /* the snapshot's time; history runs back 6 months */

struct seen {
    char *names[MAX_SEEN];
    size_t n, calls;
    struct series_source inner; /* counted calls are forwarded here when set */
};

static size_t seen_range(void *ctx, const char *series, double from, double to, size_t n,
                         double *out)
{
    struct seen *s = ctx;
    s->calls++;
    if (s->inner.range) {
        return s->inner.range(s->inner.ctx, series, from, to, n, out);
    }
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->names[i], series) == 0) {
            return 0;
        }
    }
    if (s->n < MAX_SEEN) {
        s->names[s->n++] = strdup(series);
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median milliseconds of RUNS renders of s through ctx at w x h. */
static double time_render(int w, int h, const struct snapshot *s, struct view *v)
{
    struct canvas *c = canvas_new(w, h, false);
    double t[RUNS];
    for (int r = 0; r < RUNS; r++) {
        double a = now_s();
        canvas_clear(c);
        view_render(c, canvas_bounds(c), v, s, "2026-01-01 00:00:00");
        t[r] = (now_s() - a) * 1000;
    }
    canvas_free(c);
    qsort(t, RUNS, sizeof t[0], cmp_double);
    return t[RUNS / 2];
}

/* Writes 6 months of hourly rollups for every name into a new store at path. */
static int make_history(const char *path, char *const *names, size_t n)
{
    struct err e = {""};
    /* Hour rows are written into a version-2 file (the last one without the
     * 6-hour tier); opening it as a recorder then derives the 6-hour rows
     * through the real migration, as for any upgraded history. */
    if (store_create_at_version(path, 2, &e) < 0) {
        printf("bench: 6-month history could not be made: %s\n", e.msg);
        return -1;
    }
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        return -1;
    }
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    sqlite3_stmt *s1, *s2;
    sqlite3_prepare_v2(db, "INSERT INTO series(id, name, entity, unit) VALUES(?, ?, 'bench', '')",
                       -1, &s1, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO rollup_1h VALUES(?,?,?,?,?,?,360)", -1, &s2, NULL);
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(s1);
        sqlite3_bind_int64(s1, 1, (sqlite3_int64)i + 1);
        sqlite3_bind_text(s1, 2, names[i], -1, SQLITE_STATIC);
        sqlite3_step(s1);
    }
    double t0 = T_END - 3600.0 * HOURS;
    for (int h = 0; h < HOURS; h++) {
        for (size_t i = 0; i < n; i++) {
            double v = 50 + 30 * sin(h / 24.0 + (double)i) + (double)(i % 7);
            sqlite3_reset(s2);
            sqlite3_bind_int64(s2, 1, (sqlite3_int64)i + 1);
            sqlite3_bind_int64(s2, 2, (sqlite3_int64)(t0 + 3600.0 * h));
            sqlite3_bind_double(s2, 3, v - 5);
            sqlite3_bind_double(s2, 4, v + 5);
            sqlite3_bind_double(s2, 5, v);
            sqlite3_bind_double(s2, 6, v + 1);
            sqlite3_step(s2);
        }
    }
    sqlite3_finalize(s1);
    sqlite3_finalize(s2);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
    struct store *up = store_open(path, STORE_RECORD, NULL, &e);
    if (!up) {
        printf("bench: 6-month history could not be upgraded: %s\n", e.msg);
        return -1;
    }
    store_close(up);
    return 0;
}

TEST(render)
{
    struct snapgen_shape sh = snapgen_preset(10);
    struct snapshot *s = snapgen_make(&sh, T_END, 100, 11);
    struct seen seen = {0};
    struct series_source rec = {&seen, seen_range};
    struct view v;
    view_init(&v);
    v.ctx.series = &rec;
    v.ctx.window_s = 3600.0 * HOURS;

    /* which series the screen asks for */
    struct canvas *c = canvas_new(200, 60, false);
    view_render(c, canvas_bounds(c), &v, s, "2026-01-01 00:00:00");
    canvas_free(c);

    char dir[] = "build/bench-render.XXXXXX";
    if (!mkdtemp(dir)) {
        test_fail(__FILE__, __LINE__, "mkdtemp");
        snapshot_unref(s);
        return;
    }
    char path[256];
    snprintf(path, sizeof path, "%s/h.db", dir);
    if (seen.n == 0) {
        printf("bench: 200x60 screen of sparklines: the panes asked for no series\n");
    } else if (make_history(path, seen.names, seen.n) == 0) {
        struct err e = {""};
        struct store *st = store_open(path, STORE_VIEW, NULL, &e);
        if (st) {
            seen.inner = store_series_source(st);
            seen.calls = 0;
            double with = time_render(200, 60, s, &v);
            size_t per_frame = seen.calls / RUNS;
            v.ctx.series = NULL;
            double without = time_render(200, 60, s, &v);
            printf("bench: full 200x60 screen of 6-month sparklines = %.1f ms (goal <= 30 ms)   "
                   "[view_render of every pane, 10k preset, %zu sparklines per frame read from "
                   "the history store (%zu series x %d hours, read as 6-hour rows), median of %d; "
                   "%.2f ms "
                   "without history]\n",
                   with, per_frame, seen.n, HOURS, RUNS, without);
            v.ctx.series = &rec;
            seen.calls = 0;
            double small = time_render(80, 24, s, &v);
            printf("bench: full 80x24 screen of 6-month sparklines = %.2f ms   [%zu sparklines per "
                   "frame]\n",
                   small, seen.calls / RUNS);
            store_close(st);
        } else {
            printf("bench: 200x60 screen of sparklines could not run: %s\n", e.msg);
        }
    }
    const char *sfx[] = {"", "-wal", "-shm", ".lock"};
    for (int i = 0; i < 4; i++) {
        char p[300];
        snprintf(p, sizeof p, "%s%s", path, sfx[i]);
        unlink(p);
    }
    rmdir(dir);
    for (size_t i = 0; i < seen.n; i++) {
        free(seen.names[i]);
    }
    snapshot_unref(s);
}
