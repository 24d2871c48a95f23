/*
 * History store benchmark (DESIGN.md §9, reference/performance.md §3).
 * Records the synthetic 10k preset at the default cadence for a few hours of
 * simulated time and reports bytes stored per raw sample, bytes written per
 * sample (write() bytes from /proc/self/io: WAL plus checkpoints), MB per
 * day, against a naive one-row-per-sample table fed the same samples in the
 * same run; then reads 6-month sparklines from a generated 6-month history.
 * Built on the unit-test runner (the bench is one TEST), so it links with the
 * shared test library. BENCH_HOURS overrides the recorded span (default 4).
 */
#include "backend/snapshot.h"
#include "backend/store.h"
#include "backend/store_flat.h"
#include "tests/lib/snapgen.h"
#include "tests/lib/test.h"

#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define T0        1767225600.0
#define CADENCE_S 10.0 /* the base cadence the budget names (performance.md §7 goal 10) */

static long long io_field(const char *name)
{
    FILE *f = fopen("/proc/self/io", "r");
    char line[128];
    long long v = -1;
    size_t n = strlen(name);
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, name, n) == 0 && line[n] == ':') {
            v = atoll(line + n + 1);
        }
    }
    if (f) {
        fclose(f);
    }
    return v;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static sqlite3 *open_ro(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static double q(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s;
    double v = NAN;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW) {
            v = sqlite3_column_double(s, 0);
        }
        sqlite3_finalize(s);
    }
    return v;
}

struct sizes {
    double live, r1m, r1h, raw, state;
};

/* Bytes in use now, by part (dbstat), read through a separate connection. */
static struct sizes measure(const char *path)
{
    sqlite3 *db = open_ro(path);
    struct sizes z;
    z.live = q(db, "SELECT (SELECT page_count FROM pragma_page_count) - (SELECT "
                   "freelist_count FROM pragma_freelist_count)") *
             4096;
    z.r1m = q(db, "SELECT sum(pgsize) FROM dbstat WHERE name = 'rollup_1m'");
    z.r1h = q(db, "SELECT sum(pgsize) FROM dbstat WHERE name = 'rollup_1h'");
    z.raw = q(db, "SELECT sum(pgsize) FROM dbstat WHERE name IN ('chunk', 'frame', "
                  "'chunk_window')");
    z.state = q(db, "SELECT sum(pgsize) FROM dbstat WHERE name IN ('state', 'keyframe')");
    sqlite3_close(db);
    return z;
}

static void rm_db(const char *path)
{
    const char *sfx[] = {"", "-wal", "-shm", ".lock"};
    for (int i = 0; i < 4; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s%s", path, sfx[i]);
        unlink(p);
    }
}

/* The naive layout of performance.md §3.2: one row per sample, series-major,
 * committed every poll. Returns write() bytes per sample; *stored gets bytes
 * on disk per sample. */
static double naive_run(const char *path, const struct snapgen_shape *sh, unsigned cycles,
                        double *stored)
{
    rm_db(path);
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                 "CREATE TABLE series(id INTEGER PRIMARY KEY, name TEXT UNIQUE);"
                 "CREATE TABLE sample(series_id INTEGER, t INTEGER, v REAL,"
                 " PRIMARY KEY(series_id, t)) WITHOUT ROWID;",
                 NULL, NULL, NULL);
    sqlite3_stmt *ins, *ser;
    sqlite3_prepare_v2(db, "INSERT INTO sample VALUES(?,?,?)", -1, &ins, NULL);
    sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO series(name) VALUES(?)", -1, &ser, NULL);
    long long w0 = io_field("wchar");
    long long samples = 0;
    for (unsigned i = 0; i < cycles; i++) {
        struct snapshot *s = snapgen_make(sh, T0 + CADENCE_S * i, i, 11);
        struct store_flat f = {0};
        if (store_flat_build(s, &f, NULL) == 0) {
            sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
            for (size_t k = 0; k < f.nsamples; k++) {
                if (i == 0) {
                    sqlite3_reset(ser);
                    sqlite3_bind_text(ser, 1, f.samples[k].name, -1, SQLITE_STATIC);
                    sqlite3_step(ser);
                }
                sqlite3_reset(ins);
                sqlite3_bind_int64(ins, 1, (int64_t)k + 1);
                sqlite3_bind_int64(ins, 2, (int64_t)((T0 + CADENCE_S * i) * 1000));
                sqlite3_bind_double(ins, 3, f.samples[k].v);
                sqlite3_step(ins);
                samples++;
            }
            sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        }
        store_flat_fini(&f);
        snapshot_unref(s);
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(ser);
    sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    double written = (double)(io_field("wchar") - w0) / (double)samples;
    *stored = q(db, "SELECT sum(pgsize) FROM dbstat WHERE name IN ('sample')") / (double)samples;
    sqlite3_close(db);
    rm_db(path);
    return written;
}

static void sparkline_bench(const char *path)
{
    rm_db(path);
    struct err e = {""};
    /* Hour rows are written into a version-2 file (the last one without the
     * 6-hour tier); opening it as a recorder then derives the 6-hour rows
     * through the real migration, as for any upgraded history. */
    if (store_create_at_version(path, 2, &e) < 0) {
        printf("bench: 6-month history could not be made: %s\n", e.msg);
        return;
    }
    sqlite3 *db;
    sqlite3_open(path, &db);
    const int nseries = 500, hours = 183 * 24;
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    sqlite3_stmt *s1, *s2;
    sqlite3_prepare_v2(db, "INSERT INTO series(id, name, entity, unit) VALUES(?, ?, 'bench', 'ms')",
                       -1, &s1, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO rollup_1h VALUES(?,?,?,?,?,?,240)", -1, &s2, NULL);
    for (int sid = 1; sid <= nseries; sid++) {
        char name[64];
        snprintf(name, sizeof name, "server/coderd-%d/api_p95_ms", sid);
        sqlite3_reset(s1);
        sqlite3_bind_int(s1, 1, sid);
        sqlite3_bind_text(s1, 2, name, -1, SQLITE_TRANSIENT);
        sqlite3_step(s1);
    }
    /* time-major insertion order, as the recorder writes them hour by hour */
    for (int h = 0; h < hours; h++) {
        for (int sid = 1; sid <= nseries; sid++) {
            double v = 50 + 30 * sin(h / 24.0) + sid % 7;
            sqlite3_reset(s2);
            sqlite3_bind_int(s2, 1, sid);
            sqlite3_bind_int64(s2, 2, (int64_t)T0 + 3600LL * h);
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
        return;
    }
    store_close(up);

    struct store *v = store_open(path, STORE_VIEW, NULL, &e);
    double out[200];
    enum store_tier tier = STORE_TIER_RAW;
    double from = T0, to = T0 + 3600.0 * hours;
    if (!v || store_series_range(v, "server/coderd-1/api_p95_ms", from, to, 200, out, &tier, &e)) {
        printf("bench: 6-month sparkline read failed: %s\n", e.msg);
        store_close(v);
        return;
    }
    const int reads = 100;
    double times[100];
    for (int i = 0; i < reads; i++) {
        char name[64];
        snprintf(name, sizeof name, "server/coderd-%d/api_p95_ms", 1 + (i * 37) % nseries);
        double t = now_s();
        if (store_series_range(v, name, from, to, 200, out, &tier, &e) < 0) {
            break;
        }
        times[i] = (now_s() - t) * 1000.0;
    }
    for (int a = 1; a < reads; a++) { /* median */
        for (int b = a; b > 0 && times[b - 1] > times[b]; b--) {
            double x = times[b];
            times[b] = times[b - 1];
            times[b - 1] = x;
        }
    }
    printf("bench: 6-month sparkline read = %.2f ms (goal <= 2 ms)   "
           "[200 columns, tier %s, %d hours of history, %d series in file, median of %d; max %.2f "
           "ms]\n",
           times[reads / 2],
           tier == STORE_TIER_6H   ? "6h"
           : tier == STORE_TIER_1H ? "1h"
           : tier == STORE_TIER_1M ? "1m"
                                   : "raw",
           hours, nseries, reads, times[reads - 1]);
    store_close(v);
    rm_db(path);
}

/* Average append time over n cycles starting at cycle `first`. */
static double append_avg_ms(const char *path, const struct snapgen_shape *sh, unsigned first,
                            unsigned n)
{
    struct err e = {""};
    struct store *st = store_open(path, STORE_RECORD, NULL, &e);
    double total = 0;
    for (unsigned i = first; st && i < first + n; i++) {
        struct snapshot *s = snapgen_make(sh, T0 + CADENCE_S * i, i, 11);
        double a = now_s();
        if (store_append(st, s, &e) < 0) {
            printf("bench: append failed: %s\n", e.msg);
        }
        total += now_s() - a;
        snapshot_unref(s);
    }
    store_close(st);
    return total / n * 1000.0;
}

/* The recorder's append time alone, then with a viewer process rebuilding the
 * newest frame and reading a sparkline every 100 ms (ten times a console's
 * refresh): one recorder, many viewers. */
static void viewer_bench(const char *path, const struct snapgen_shape *sh, unsigned next)
{
    const unsigned n = 60;
    struct err e0 = {""};
    struct store *v0 = store_open(path, STORE_VIEW, NULL, &e0);
    double best = INFINITY, latest = 0;
    for (int k = 0; v0 && k < 5 && store_latest_time(v0, &latest, &e0) == 0; k++) {
        double a = now_s();
        struct snapshot *s = store_snapshot_at(v0, latest - 1800, &e0); /* mid-window */
        double dt = (now_s() - a) * 1000.0;
        best = s && dt < best ? dt : best;
        snapshot_unref(s);
    }
    store_close(v0);
    printf("bench: rebuild one 10k-preset frame from history = %.1f ms   [replay step; best of 5, "
           "half an hour into the open window]\n",
           best);
    double alone = append_avg_ms(path, sh, next, n);
    pid_t pid = fork();
    if (pid == 0) {
        struct err e;
        struct store *v = store_open(path, STORE_VIEW, NULL, &e);
        double out[200];
        for (int k = 0; v && k < 100000; k++) {
            double t;
            if (store_latest_time(v, &t, &e) == 0) {
                struct snapshot *s = store_snapshot_at(v, t, &e);
                snapshot_unref(s);
                if (store_series_range(v, "server/coderd-0/api_p95_ms", t - 3600, t, 200, out, NULL,
                                       &e) < 0) {
                    _exit(1);
                }
            }
            struct timespec ts = {0, 100 * 1000000L};
            nanosleep(&ts, NULL);
        }
        _exit(0);
    }
    double with = append_avg_ms(path, sh, next + n, n);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    printf("bench: append with a viewer reading = %.2f ms (goal <= 20 ms)   [ratio vs no "
           "viewer = %.2f; %.2f ms alone, 10k preset, the viewer rebuilding the newest frame "
           "and a sparkline every 100 ms]\n",
           with, with / alone, alone);
}

TEST(bench_store)
{
    const char *h = getenv("BENCH_HOURS");
    double hours = h ? atof(h) : 2.1;
    if (hours < 2.01) {
        hours = 2.01; /* growth is measured between two window closes an hour apart */
    }
    unsigned cycles = (unsigned)(hours * 3600 / CADENCE_S);
    struct snapgen_shape sh = snapgen_preset(10);
    char dir[] = "build/bench-store.XXXXXX";
    if (!mkdtemp(dir)) {
        test_fail(__FILE__, __LINE__, "mkdtemp");
        return;
    }
    char path[256], naive[256], spark[256];
    snprintf(path, sizeof path, "%s/h.db", dir);
    snprintf(naive, sizeof naive, "%s/naive.db", dir);
    snprintf(spark, sizeof spark, "%s/spark.db", dir);

    struct snapshot *s0 = snapgen_make(&sh, T0, 0, 11);
    struct store_flat f0 = {0};
    size_t nseries = store_flat_build(s0, &f0, NULL) == 0 ? f0.nsamples : 0;
    store_flat_fini(&f0);
    snapshot_unref(s0);

    struct err e = {""};
    struct store *st = store_open(path, STORE_RECORD, NULL, &e);
    if (!st) {
        test_fail(__FILE__, __LINE__, "%s", e.msg);
        return;
    }
    long long w0 = io_field("wchar"), wb0 = io_field("write_bytes");
    double t0 = now_s(), worst = 0;
    long long samples = 0;
    struct sizes at1 = {0}, at2 = {0};
    unsigned per_hour = (unsigned)(3600 / CADENCE_S);
    for (unsigned i = 0; i < cycles; i++) {
        if (i == per_hour + 1) {
            at1 = measure(path);
        } else if (i == 2 * per_hour + 1) {
            at2 = measure(path);
        }
        struct snapshot *s = snapgen_make(&sh, T0 + CADENCE_S * i, i, 11);
        double a = now_s();
        if (store_append(st, s, &e) < 0) {
            test_fail(__FILE__, __LINE__, "append: %s", e.msg);
            snapshot_unref(s);
            break;
        }
        double dt = now_s() - a;
        worst = dt > worst ? dt : worst;
        samples += (long long)nseries;
        snapshot_unref(s);
    }
    double elapsed = now_s() - t0;
    store_close(st);
    long long wchar = io_field("wchar") - w0, wbytes = io_field("write_bytes") - wb0;

    sqlite3 *db = open_ro(path);
    double raw_samples = q(db, "SELECT sum(n) FROM chunk");
    double chunk_bytes = q(db, "SELECT sum(pgsize) FROM dbstat WHERE name = 'chunk'");
    double payload = q(db, "SELECT sum(length(data)) FROM chunk");
    double frame_bytes = q(db, "SELECT sum(pgsize) FROM dbstat WHERE name = 'frame'");
    double live = q(db, "SELECT (SELECT page_count FROM pragma_page_count) - (SELECT "
                        "freelist_count FROM pragma_freelist_count)") *
                  4096;
    double r1m = q(db, "SELECT sum(pgsize) FROM dbstat WHERE name = 'rollup_1m'");
    double r1h = q(db, "SELECT sum(pgsize) FROM dbstat WHERE name = 'rollup_1h'");
    double state = q(db, "SELECT sum(pgsize) FROM dbstat WHERE name = 'state'");
    double closed_frames = q(db, "SELECT sum(nframes) FROM chunk_window");
    sqlite3_close(db);

    double per_sample =
        (chunk_bytes + frame_bytes * (closed_frames / (double)cycles)) / raw_samples;
    double naive_stored = 0;
    unsigned naive_cycles = cycles < 120 ? cycles : 120;
    double naive_written = naive_run(naive, &sh, naive_cycles, &naive_stored);

    printf("bench: history bytes per raw sample = %.2f B (goal <= 4 B)   [ratio vs naive table = "
           "%.1f]   [%zu series (10k preset), chunk payload %.2f B/sample, %.0f samples in "
           "closed windows]\n",
           per_sample, naive_stored / per_sample, nseries, payload / raw_samples, raw_samples);
    double written = (double)wchar / (double)samples;
    printf("bench: bytes written per sample = %.1f B (goal <= 64 B)   [ratio vs naive table = "
           "%.1f]   [write() bytes incl. WAL and checkpoints; block-layer write_bytes %.1f B; "
           "naive table %.0f B over %u polls]\n",
           written, naive_written / written, (double)wbytes / (double)samples, naive_written,
           naive_cycles);
    double per_day = (at2.live - at1.live) * 24 / 1e6;
    printf("bench: history growth = %.1f MB/day (goal <= 100 MB/day)   [10k preset, %.0f s "
           "cadence, steady growth over one hour, all tiers and state; raw %.1f, 1-min %.1f, "
           "1-h %.1f, entity state %.1f MB/day]\n",
           per_day, CADENCE_S, (at2.raw - at1.raw) * 24 / 1e6, (at2.r1m - at1.r1m) * 24 / 1e6,
           (at2.r1h - at1.r1h) * 24 / 1e6, (at2.state - at1.state) * 24 / 1e6);
    /* Six months at the default retention: raw chunks and frames for their
     * 48 h, 1-minute rollups and entity state for 90 days, 1-hour rollups for
     * all 183 days (before the size cap drops anything). */
    struct store_options so;
    store_options_defaults(&so);
    double days = 183, rd = fmin(days, so.raw_retention_s / 86400),
           md = fmin(days, so.minute_retention_s / 86400),
           hd = fmin(days, so.hour_retention_s / 86400);
    double six = ((at2.raw - at1.raw) * rd + (at2.r1m - at1.r1m) * md + (at2.r1h - at1.r1h) * hd +
                  (at2.state - at1.state) * md) *
                 24 / 1e6;
    printf("bench: 6 months of tiered history, 10k preset = %.0f MB (goal <= 1024 MB)   "
           "[projected from the growth above at the default retention: raw %.0f d, 1-min and "
           "entity state %.0f d, 1-h %.0f d; the %.0f MB size cap then drops the oldest]\n",
           six, rd, md, hd, so.max_bytes / 1048576);
    (void)live;
    (void)r1m;
    (void)r1h;
    (void)state;
    printf("bench: append per poll (10k preset) = %.2f ms avg, %.1f ms worst (goal <= 20 ms)\n",
           elapsed / cycles * 1000.0, worst * 1000.0);
    viewer_bench(path, &sh, cycles);
    sparkline_bench(spark);
    if (!getenv("BENCH_KEEP")) {
        rm_db(path);
        rmdir(dir);
    }
}
