/*
 * The history store end to end on real SQLite files: round trip of whole
 * snapshots, rollup tiers and range reads, retention and the size cap,
 * migrations, the one-recorder lock, file modes, corrupt files, readers
 * during writes, and recorders killed with SIGKILL.
 */
#include "backend/snapshot_json.h"
#include "backend/store.h"
#include "tests/lib/snapgen.h"
#include "tests/lib/test.h"

#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define T0 1767225600.0 /* 2026-01-01T00:00:00Z */

static char *tmpdir(void)
{
    char tmpl[] = "/tmp/scaletop-store.XXXXXX";
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

static void rmdir_all(char *dir)
{
    char cmd[512];
    if (getenv("SCALETOP_KEEP_TMP")) {
        fprintf(stderr, "kept %s\n", dir);
        free(dir);
        return;
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot remove %s\n", dir);
    }
    free(dir);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static const struct snapgen_shape small = {3, 8, 3, 2, 2, 1, 3};

/* Equal when both serialise to the same JSON (replay flag aside). */
static int same_snapshot(struct snapshot *want, struct snapshot *got, const char *what)
{
    if (!got) {
        test_fail(__FILE__, __LINE__, "%s: no snapshot", what);
        return 0;
    }
    want->replay = got->replay;
    char *a = snapshot_json_dump(want, 0), *b = snapshot_json_dump(got, 0);
    int ok = strcmp(a, b) == 0;
    if (!ok) {
        size_t i = 0;
        while (a[i] && a[i] == b[i]) {
            i++;
        }
        size_t from = i > 80 ? i - 80 : 0;
        test_fail(__FILE__, __LINE__, "%s differs at %zu:\n want ...%.160s\n got  ...%.160s", what,
                  i, a + from, b + from);
    }
    free(a);
    free(b);
    return ok;
}

static struct store *open_rec(const char *path, unsigned maxframes)
{
    struct store_options o;
    store_options_defaults(&o);
    o.window_max_frames = maxframes;
    struct err e = {""};
    struct store *st = store_open(path, STORE_RECORD, &o, &e);
    if (!st) {
        test_fail(__FILE__, __LINE__, "open: %s", e.msg);
    }
    return st;
}

static int append_i(struct store *st, const struct snapgen_shape *sh, unsigned i)
{
    struct snapshot *s = snapgen_make(sh, T0 + 10.0 * i + 0.125, i, 7);
    struct err e = {""};
    int rc = store_append(st, s, &e);
    if (rc < 0) {
        test_fail(__FILE__, __LINE__, "append %u: %s", i, e.msg);
    }
    snapshot_unref(s);
    return rc;
}

static int64_t sql_int(const char *path, const char *sql)
{
    sqlite3 *db;
    int64_t v = -1;
    /* Read-write, as the next recorder or viewer opens it: after a SIGKILL
     * a WAL file may need its -shm rebuilt, which a read-only open cannot. */
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
            if (sqlite3_step(s) == SQLITE_ROW) {
                v = sqlite3_column_int64(s, 0);
            }
            sqlite3_finalize(s);
        }
    }
    sqlite3_close(db);
    return v;
}

static char *sql_text(const char *path, const char *sql)
{
    sqlite3 *db;
    char *v = NULL;
    /* Read-write for the same reason as sql_int: a file killed in its first
     * moments (schema half made, WAL without -shm) cannot be opened
     * read-only, and integrity_check would read as NULL. */
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
            if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0)) {
                v = strdup((const char *)sqlite3_column_text(s, 0));
            }
            sqlite3_finalize(s);
        }
    }
    sqlite3_close(db);
    return v;
}

TEST(store_round_trip_every_frame)
{
    char *dir = tmpdir(), *path = join(dir, "h.db");
    struct store *st = open_rec(path, 40);
    const unsigned n = 500; /* 5000 s: two hour windows and capped windows */
    for (unsigned i = 0; st && i < n; i++) {
        if (i == 300) { /* a restart in the middle of a window */
            store_close(st);
            st = open_rec(path, 40);
        }
        if (st && append_i(st, &small, i) < 0) {
            break;
        }
    }
    CHECK(sql_int(path, "SELECT count(*) FROM chunk_window") >= 3);
    CHECK(sql_int(path, "SELECT count(*) FROM journal") > 0);
    struct store_options o;
    store_options_defaults(&o);
    struct err e = {""};
    struct store *view = store_open(path, STORE_VIEW, NULL, &e);
    CHECK(view != NULL);
    int bad = 0;
    for (unsigned i = 0; view && i < n && bad < 3; i += (i < 20 || i > 470) ? 1 : 7) {
        struct snapshot *want = snapgen_make(&small, T0 + 10.0 * i + 0.125, i, 7);
        /* any time inside the frame's interval gives that frame */
        struct snapshot *got = store_snapshot_at(view, T0 + 10.0 * i + 3, &e);
        char what[64];
        snprintf(what, sizeof what, "frame %u", i);
        bad += !same_snapshot(want, got, what);
        if (got) {
            CHECK(got->replay);
        }
        snapshot_unref(want);
        snapshot_unref(got);
    }
    struct snapshot *none = store_snapshot_at(view, T0 - 1, &e);
    CHECK(none == NULL);
    CHECK(strstr(e.msg, "nothing recorded") != NULL);
    double *times = NULL, prev = 0;
    size_t nt = 0;
    CHECK(store_frame_times(view, T0, T0 + 10.0 * n, &times, &nt, &e) == 0);
    CHECK_INT(nt, n);
    CHECK(store_frame_step(view, T0 + 10.0 * 5 + 0.125, -1, &prev, &e) == 0);
    CHECK_NEAR(prev, T0 + 40.125, 1e-6);
    CHECK(store_frame_step(view, T0 + 10.0 * 5 + 0.125, 1, &prev, &e) == 0);
    CHECK_NEAR(prev, T0 + 60.125, 1e-6);
    CHECK(store_frame_step(view, T0 + 10.0 * (n - 1) + 0.125, 1, &prev, &e) < 0);
    free(times);
    store_close(view);
    store_close(st);
    free(path);
    rmdir_all(dir);
}

/* A snapshot whose postgres.tps is exactly `v`, for checking rollups. */
static struct snapshot *valued(double t, double v)
{
    static const struct snapgen_shape tiny = {1, 1, 1, 0, 0, 0, 0};
    struct snapshot *s = snapgen_make(&tiny, t, 0, 1);
    s->postgres.tps = v;
    return s;
}

TEST(store_rollups_and_tier_choice)
{
    char *dir = tmpdir(), *path = join(dir, "h.db");
    struct store *st = open_rec(path, 720);
    struct err e = {""};
    const unsigned n = 3 * 360 + 30; /* three hours and a bit at 10 s */
    for (unsigned i = 0; st && i < n; i++) {
        struct snapshot *s = valued(T0 + 10.0 * i, (double)(i % 97));
        CHECK(store_append(st, s, &e) == 0);
        snapshot_unref(s);
    }
    /* minute 7 holds i = 42..47 */
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT min || ',' || max || ',' || avg || ',' || last || ',' || count FROM rollup_1m "
             "WHERE series_id = (SELECT id FROM series WHERE name = 'postgres/tps') AND t = %.0f",
             T0 + 420);
    char *row = sql_text(path, sql);
    CHECK_STR(row, "42.0,47.0,44.5,47.0,6");
    free(row);
    /* hour 1 holds i = 360..719: values i % 97 */
    double sum = 0, mn = INFINITY, mx = -INFINITY;
    for (unsigned i = 360; i < 720; i++) {
        double v = i % 97;
        sum += v;
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
    }
    snprintf(sql, sizeof sql,
             "SELECT avg FROM rollup_1h WHERE series_id = (SELECT id FROM series WHERE name = "
             "'postgres/tps') AND t = %.0f",
             T0 + 3600);
    char *avg = sql_text(path, sql);
    CHECK(avg && fabs(atof(avg) - sum / 360) < 1e-9);
    free(avg);
    snprintf(sql, sizeof sql,
             "SELECT count FROM rollup_1h WHERE series_id = (SELECT id FROM series WHERE name = "
             "'postgres/tps') AND t = %.0f",
             T0 + 3600);
    CHECK_INT(sql_int(path, sql), 360);
    /* 10 minutes over 60 columns: raw, each column one sample */
    double out[200];
    enum store_tier tier = STORE_TIER_1H;
    CHECK(store_series_range(st, "postgres/tps", T0 + 3600, T0 + 4200, 60, out, &tier, &e) == 0);
    CHECK_INT(tier, STORE_TIER_RAW);
    CHECK_NEAR(out[0], 360 % 97, 1e-9);
    CHECK_NEAR(out[59], 419 % 97, 1e-9);
    /* 10 minutes over 120 columns: raw, gaps between samples held */
    CHECK(store_series_range(st, "postgres/tps", T0 + 3600, T0 + 4200, 120, out, &tier, &e) == 0);
    CHECK_NEAR(out[1], 360 % 97, 1e-9);
    /* 3 hours over 100 columns: 1-minute rows (180 rows, <= 2 per column) */
    CHECK(store_series_range(st, "postgres/tps", T0, T0 + 3 * 3600, 100, out, &tier, &e) == 0);
    CHECK_INT(tier, STORE_TIER_1M);
    CHECK(isfinite(out[0]) && isfinite(out[99]));
    /* 15 days over 200 columns: hour rows; the recorded hours only */
    CHECK(store_series_range(st, "postgres/tps", T0, T0 + 15 * 86400, 200, out, &tier, &e) == 0);
    CHECK_INT(tier, STORE_TIER_1H);
    CHECK(isfinite(out[0]));
    CHECK(isnan(out[100]));
    /* the 6-hour row over the three closed hours: their counts, the
     * count-weighted average, the extremes and the last hour's last value */
    snprintf(sql, sizeof sql,
             "SELECT (SELECT count FROM rollup_6h WHERE t = %.0f AND series_id = id) * 100000 +"
             " (SELECT count(*) FROM rollup_6h WHERE series_id = id)"
             " FROM (SELECT id FROM series WHERE name = 'postgres/tps')",
             T0);
    CHECK_INT(sql_int(path, sql), 1080 * 100000 + 1); /* 3 hours x 360 samples, one row */
    char sql6[1024];
    snprintf(sql6, sizeof sql6,
             "SELECT (r6.avg - (SELECT sum(avg * count) / sum(count) FROM rollup_1h r1"
             "  WHERE r1.series_id = id)) * 1e9 + (r6.min - (SELECT min(min) FROM rollup_1h r1"
             "  WHERE r1.series_id = id)) + (r6.max - (SELECT max(max) FROM rollup_1h r1"
             "  WHERE r1.series_id = id)) + (r6.last - (SELECT last FROM rollup_1h r1"
             "  WHERE r1.series_id = id ORDER BY t DESC LIMIT 1))"
             " FROM rollup_6h r6, (SELECT id FROM series WHERE name = 'postgres/tps')"
             " WHERE r6.series_id = id AND r6.t = %.0f",
             T0);
    CHECK_INT(sql_int(path, sql6), 0);
    /* a year over 200 columns: 6-hour rows (the hour tier would give 44
     * rows per column) */
    CHECK(store_series_range(st, "postgres/tps", T0, T0 + 365 * 86400, 200, out, &tier, &e) == 0);
    CHECK_INT(tier, STORE_TIER_6H);
    CHECK(isfinite(out[0]));
    /* column 0 (1.8 days) holds the 6-hour row, weighted by its count, and
     * the open window's raw samples: the mean of every sample recorded */
    double all = 0;
    for (unsigned i = 0; i < n; i++) {
        all += i % 97;
    }
    CHECK_NEAR(out[0], all / n, 1e-9);
    CHECK(isnan(out[100]));
    /* the open window (journal only) reads the same way */
    double tl = T0 + 10.0 * (n - 1);
    CHECK(store_series_range(st, "postgres/tps", tl - 290, tl + 10, 30, out, &tier, &e) == 0);
    CHECK_INT(tier, STORE_TIER_RAW);
    CHECK_NEAR(out[0], (n - 30) % 97, 1e-9);
    CHECK_NEAR(out[29], (n - 1) % 97, 1e-9);
    /* time must move forward */
    struct snapshot *back = valued(tl - 5, 1);
    CHECK(store_append(st, back, &e) < 0);
    CHECK(strstr(e.msg, "not after the last frame") != NULL);
    snapshot_unref(back);
    /* an unknown series reads as all gaps */
    CHECK(store_series_range(st, "nope", T0, T0 + 600, 10, out, &tier, &e) == 0);
    CHECK(isnan(out[0]));
    store_close(st);
    free(path);
    rmdir_all(dir);
}

TEST(store_retention_and_size_cap)
{
    char *dir = tmpdir(), *path = join(dir, "h.db");
    struct store_options o;
    store_options_defaults(&o);
    o.raw_retention_s = 2 * 3600;
    o.minute_retention_s = 5 * 3600;
    o.hour_retention_s = 8 * 3600;
    struct err e = {""};
    struct store *st = store_open(path, STORE_RECORD, &o, &e);
    CHECK(st != NULL);
    const unsigned n = 12 * 60; /* 12 hours at 60 s */
    static const struct snapgen_shape tiny = {2, 2, 1, 1, 1, 0, 0};
    for (unsigned i = 0; st && i < n; i++) {
        struct snapshot *s = snapgen_make(&tiny, T0 + 60.0 * i, i, 3);
        CHECK(store_append(st, s, &e) == 0);
        snapshot_unref(s);
    }
    double last = T0 + 60.0 * (n - 1);
    int64_t oldest_frame = sql_int(path, "SELECT min(t) FROM frame");
    CHECK(oldest_frame >= (int64_t)((last - 4 * 3600) * 1000)); /* whole hour windows */
    CHECK(oldest_frame <= (int64_t)((last - 2 * 3600) * 1000));
    int64_t oldest_1m = sql_int(path, "SELECT min(t) FROM rollup_1m");
    CHECK(oldest_1m >= (int64_t)(last - 7 * 3600) && oldest_1m <= (int64_t)(last - 5 * 3600));
    int64_t oldest_1h = sql_int(path, "SELECT min(t) FROM rollup_1h");
    CHECK(oldest_1h >= (int64_t)(last - 10 * 3600) && oldest_1h <= (int64_t)(last - 7 * 3600));
    /* the state needed for the oldest raw frame survived */
    struct snapshot *old = store_snapshot_at(st, (double)oldest_frame / 1000.0, &e);
    CHECK(old != NULL && old->nservers > 0);
    snapshot_unref(old);
    /* older than raw, within the minute tier: rebuilt from minute rows */
    unsigned i_old = (unsigned)((oldest_frame / 1000 - (int64_t)T0) / 60) - 90;
    old = store_snapshot_at(st, T0 + 60.0 * i_old + 30, &e);
    CHECK(old != NULL);
    if (old) {
        struct snapshot *want = snapgen_make(&tiny, T0 + 60.0 * i_old, i_old, 3);
        CHECK_NEAR(old->time, T0 + 60.0 * i_old, 1e-9);
        CHECK_INT(old->nservers, want->nservers);
        CHECK_NEAR(old->postgres.tps, want->postgres.tps, 1e-9);
        CHECK_NEAR(old->servers[0].api_p95_ms, want->servers[0].api_p95_ms, 1e-9);
        CHECK(old->replay);
        snapshot_unref(want);
    }
    snapshot_unref(old);
    store_close(st);

    /* size cap: a small cap keeps the file's live pages under it, newest kept */
    o.raw_retention_s = 48 * 3600;
    o.minute_retention_s = 90 * 86400;
    o.hour_retention_s = 400 * 86400;
    o.max_bytes = 256 * 1024;
    st = store_open(path, STORE_RECORD, &o, &e);
    CHECK(st != NULL);
    for (unsigned i = n; st && i < n + 6 * 60; i++) {
        struct snapshot *s = snapgen_make(&tiny, T0 + 60.0 * i, i, 3);
        CHECK(store_append(st, s, &e) == 0);
        snapshot_unref(s);
    }
    int64_t live = sql_int(path, "SELECT (SELECT page_count FROM pragma_page_count) - "
                                 "(SELECT freelist_count FROM pragma_freelist_count)") *
                   4096;
    if (live > 256 * 1024 + 64 * 1024) { /* the open window comes on top */
        test_fail(__FILE__, __LINE__, "%lld live bytes over a 256 KiB cap", (long long)live);
    }
    struct snapshot *newest = store_snapshot_at(st, T0 + 60.0 * (n + 6 * 60 - 1), &e);
    CHECK(newest != NULL);
    snapshot_unref(newest);
    store_close(st);
    free(path);
    rmdir_all(dir);
}

TEST(store_migrates_v1_file)
{
    char *dir = tmpdir(), *path = join(dir, "h.db");
    struct err e = {""};
    CHECK(store_create_at_version(path, 1, &e) == 0);
    CHECK_INT(sql_int(path, "PRAGMA user_version"), 1);
    struct store *view = store_open(path, STORE_VIEW, NULL, &e);
    CHECK(view == NULL);
    CHECK(strstr(e.msg, "old schema version 1") != NULL);
    struct store *st = open_rec(path, 720);
    CHECK(st != NULL);
    if (st) {
        CHECK_INT(store_schema_version(st), STORE_SCHEMA_VERSION);
        struct snapshot *s = snapgen_make(&small, T0 + 200, 20, 7);
        s->findings[0].evidence = snapshot_str(s, "pending 40 for 600 s");
        CHECK(store_append(st, s, &e) == 0);
        snapshot_unref(s);
        struct store_finding *f = NULL;
        size_t nf = 0;
        CHECK(store_findings(st, T0, T0 + 1000, &f, &nf, &e) == 0);
        CHECK_INT(nf, 1);
        if (nf) {
            CHECK_STR(f[0].evidence, "pending 40 for 600 s");
        }
        store_findings_free(f, nf);
    }
    CHECK_INT(sql_int(path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    store_close(st);
    free(path);
    rmdir_all(dir);
}

/* A version-2 file (no 6-hour tier) gains 6-hour rows derived from its hour
 * rows when a recorder opens it, so months-long sparklines of old history
 * stay cheap. */
TEST(store_migrates_v2_file_to_6h_tier)
{
    char *dir = tmpdir(), *path = join(dir, "h.db");
    struct err e = {""};
    CHECK(store_create_at_version(path, 2, &e) == 0);
    char sql[256];
    for (int h = 0; h < 8; h++) { /* hours 0..7: two 6-hour rows */
        snprintf(sql, sizeof sql, "INSERT INTO rollup_1h VALUES(7, %.0f, %d, %d, %d, %d, 360)",
                 T0 + 3600.0 * h, h, h + 10, h + 5, h + 9);
        sql_int(path, sql);
    }
    CHECK_INT(sql_int(path, "SELECT count(*) FROM rollup_1h"), 8);
    struct store *st = open_rec(path, 720);
    CHECK(st != NULL);
    store_close(st);
    CHECK_INT(sql_int(path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    CHECK_INT(sql_int(path, "SELECT count(*) FROM rollup_6h WHERE series_id = 7"), 2);
    snprintf(sql, sizeof sql,
             "SELECT min || ',' || max || ',' || avg || ',' || last || ',' || count"
             " FROM rollup_6h WHERE t = %.0f",
             T0);
    char *row = sql_text(path, sql);
    CHECK_STR(row, "0.0,15.0,7.5,14.0,2160"); /* hours 0..5: avg of 5..10 */
    free(row);
    snprintf(sql, sizeof sql,
             "SELECT min || ',' || max || ',' || avg || ',' || last || ',' || count"
             " FROM rollup_6h WHERE t = %.0f",
             T0 + 6 * 3600);
    row = sql_text(path, sql);
    CHECK_STR(row, "6.0,17.0,11.5,16.0,720");
    free(row);
    CHECK_INT(sql_int(path, "SELECT value FROM meta WHERE key = 'oldest_6h'"), (int64_t)T0);
    free(path);
    rmdir_all(dir);
}

TEST(store_one_recorder_many_viewers)
{
    char *dir = tmpdir(), *path = join(dir, "h.db");
    struct store *st = open_rec(path, 720);
    CHECK(st && append_i(st, &small, 0) == 0);
    struct err e = {""};
    struct store *second = store_open(path, STORE_RECORD, NULL, &e);
    CHECK(second == NULL);
    CHECK(strstr(e.msg, "already being recorded") != NULL);
    char pid[32];
    snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
    CHECK(strstr(e.msg, pid) != NULL);
    store_close(second);
    struct store *v1 = store_open(path, STORE_VIEW, NULL, &e);
    struct store *v2 = store_open(path, STORE_VIEW, NULL, &e);
    CHECK(v1 && v2);
    double t = 0;
    CHECK(v1 && store_latest_time(v1, &t, &e) == 0);
    CHECK_NEAR(t, T0 + 0.125, 1e-9);
    /* a viewer may mark while the recorder owns the file */
    CHECK(v2 && store_mark(v2, T0 + 5, "failover\x1b[31m started", &e) == 0);
    struct store_marker *m = NULL;
    size_t nm = 0;
    CHECK(store_markers(st, T0, T0 + 10, &m, &nm, &e) == 0);
    CHECK_INT(nm, 1);
    if (nm) {
        CHECK_NEAR(m[0].time, T0 + 5, 1e-9);
        CHECK(strchr(m[0].note, '\x1b') == NULL);
    }
    store_markers_free(m, nm);
    store_close(v1);
    store_close(v2);
    store_close(st);
    /* once the recorder is gone, another may take over */
    st = open_rec(path, 720);
    CHECK(st != NULL);
    store_close(st);
    free(path);
    rmdir_all(dir);
}

TEST(store_files_are_0600)
{
    char *dir = tmpdir(), *path = join(dir, "h.db");
    mode_t old = umask(0);
    struct store *st = open_rec(path, 720);
    umask(old);
    CHECK(st && append_i(st, &small, 0) == 0);
    const char *suffixes[] = {"", "-wal", "-shm", ".lock"};
    for (int i = 0; i < 4; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
        struct stat sb;
        CHECK(stat(p, &sb) == 0);
        if ((sb.st_mode & 0777) != 0600) {
            test_fail(__FILE__, __LINE__, "%s has mode %o", p, sb.st_mode & 0777);
        }
    }
    store_close(st);
    free(path);
    rmdir_all(dir);
}

TEST(store_corrupt_file_moved_aside)
{
    char *dir = tmpdir(), *path = join(dir, "h.db");
    FILE *f = fopen(path, "w");
    for (int i = 0; f && i < 400; i++) {
        fputs("this is not an SQLite file at all\n", f);
    }
    if (f) {
        fclose(f);
    }
    struct err e = {""};
    struct store *view = store_open(path, STORE_VIEW, NULL, &e);
    CHECK(view == NULL);
    CHECK(strstr(e.msg, "corrupt") != NULL);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && sb.st_size == 400 * 34);
    struct store *st = open_rec(path, 720);
    CHECK(st != NULL);
    const char *notice = store_notice(st);
    CHECK(notice && strstr(notice, "moved it aside to") != NULL);
    const char *aside = notice ? strstr(notice, "aside to ") : NULL;
    if (aside) {
        char p[512];
        snprintf(p, sizeof p, "%.*s", (int)strcspn(aside + 9, " "), aside + 9);
        CHECK(stat(p, &sb) == 0 && sb.st_size == 400 * 34);
    }
    CHECK(st && append_i(st, &small, 1) == 0);
    store_close(st);
    st = open_rec(path, 720);
    CHECK(st && store_notice(st) == NULL);
    store_close(st);
    free(path);
    rmdir_all(dir);
}

TEST(store_reader_never_sees_locked)
{
    char *dir = tmpdir(), *path = join(dir, "h.db");
    struct store *st = open_rec(path, 30);
    CHECK(st && append_i(st, &small, 0) == 0);
    store_close(st);
    pid_t pid = fork();
    if (pid == 0) {
        struct store *w = open_rec(path, 30);
        for (unsigned i = 1; w && i < 400; i++) {
            if (append_i(w, &small, i) < 0) {
                _exit(3);
            }
        }
        store_close(w);
        _exit(0);
    }
    struct err e = {""};
    struct store *v = store_open(path, STORE_VIEW, NULL, &e);
    CHECK(v != NULL);
    int reads = 0, errors = 0, status = 0;
    double out[50];
    for (int round = 0; v && round < 100000; round++) {
        double t;
        if (store_latest_time(v, &t, &e) < 0 ||
            store_series_range(v, "postgres/tps", t - 600, t, 50, out, NULL, &e) < 0) {
            errors++;
            test_fail(__FILE__, __LINE__, "read: %s", e.msg);
        } else {
            struct snapshot *s = store_snapshot_at(v, t, &e);
            if (!s) {
                errors++;
                test_fail(__FILE__, __LINE__, "rebuild: %s", e.msg);
            }
            snapshot_unref(s);
        }
        reads++;
        if (errors > 3 || waitpid(pid, &status, WNOHANG) == pid) {
            pid = -1;
            break;
        }
    }
    if (pid > 0) {
        waitpid(pid, &status, 0);
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(reads > 10);
    CHECK_INT(errors, 0);
    store_close(v);
    free(path);
    rmdir_all(dir);
}

TEST(store_survives_sigkill)
{
    char *dir = tmpdir(), *path = join(dir, "h.db");
    srand(12345);
    int64_t base = 0;
    for (int round = 0; round < 30; round++) {
        int fds[2];
        if (pipe(fds) < 0) {
            break;
        }
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            struct store *w = open_rec(path, 12);
            if (!w) {
                _exit(3);
            }
            double t;
            struct err e;
            unsigned i = store_latest_time(w, &t, &e) == 0 ? (unsigned)((t - T0) / 10) + 1 : 0;
            for (;; i++) {
                if (append_i(w, &small, i) < 0) {
                    _exit(4);
                }
                if (write(fds[1], "x", 1) != 1) {
                    _exit(5);
                }
            }
        }
        close(fds[1]);
        struct timespec ts = {0, (long)(20 + rand() % 120) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        int64_t acked = 0;
        char buf[256];
        ssize_t r;
        while ((r = read(fds[0], buf, sizeof buf)) > 0) {
            acked += r;
        }
        close(fds[0]);
        if (acked == 0 && access(path, F_OK) != 0) {
            continue; /* killed before it created the file: nothing to check */
        }
        char *ic = sql_text(path, "PRAGMA integrity_check");
        if (!ic || strcmp(ic, "ok") != 0) {
            test_fail(__FILE__, __LINE__, "round %d: integrity_check = %s", round, ic);
        }
        free(ic);
        int64_t frames = sql_int(path, "SELECT count(*) FROM frame");
        if (frames < 0 && acked == 0 && base == 0) {
            frames = 0; /* killed while creating the schema: the next open redoes it */
        }
        if (frames - base < acked || frames - base > acked + 1) {
            test_fail(__FILE__, __LINE__, "round %d: %lld frames, %lld acknowledged", round,
                      (long long)(frames - base), (long long)acked);
        }
        base = frames;
    }
    /* every surviving frame rebuilds to what was written */
    struct store *st = open_rec(path, 12);
    CHECK(st != NULL);
    double *times = NULL;
    size_t nt = 0;
    struct err e = {""};
    CHECK(st && store_frame_times(st, T0, T0 + 1e6, &times, &nt, &e) == 0);
    CHECK((int64_t)nt == base);
    for (size_t k = 0; k < nt; k += 1 + nt / 25) {
        unsigned i = (unsigned)((times[k] - T0) / 10);
        struct snapshot *want = snapgen_make(&small, T0 + 10.0 * i + 0.125, i, 7);
        struct snapshot *got = store_snapshot_at(st, times[k], &e);
        same_snapshot(want, got, "after kills");
        snapshot_unref(want);
        snapshot_unref(got);
    }
    free(times);
    store_close(st);
    free(path);
    rmdir_all(dir);
}

TEST(store_events_and_findings)
{
    char *dir = tmpdir(), *path = join(dir, "h.db");
    struct store *st = open_rec(path, 720);
    for (unsigned i = 0; st && i < 70; i++) {
        append_i(st, &small, i);
    }
    struct err e = {""};
    struct store_event *ev = NULL;
    size_t nev = 0;
    CHECK(store_events(st, T0, T0 + 1000, &ev, &nev, &e) == 0);
    CHECK_INT(nev, 1); /* repeated in 40 snapshots, stored once */
    if (nev) {
        CHECK_STR(ev[0].kind, "replica_left");
        CHECK_NEAR(ev[0].time, T0 + 300.125, 1e-9);
    }
    store_events_free(ev, nev);
    struct store_finding *f = NULL;
    size_t nf = 0;
    CHECK(store_findings(st, T0, T0 + 1000, &f, &nf, &e) == 0);
    CHECK_INT(nf, 2); /* active in cycles 20..39 and 60..69 */
    if (nf == 2) {
        CHECK_NEAR(f[0].start, T0 + 200.125, 1e-9);
        CHECK_NEAR(f[0].end, T0 + 400.125, 1e-9);
        CHECK(isnan(f[1].end));
        CHECK_STR(f[1].severity, "warn");
    }
    store_findings_free(f, nf);
    CHECK(store_findings(st, T0 + 410, T0 + 590, &f, &nf, &e) == 0);
    CHECK_INT(nf, 0);
    store_findings_free(f, nf);
    store_close(st);
    free(path);
    rmdir_all(dir);
}
