/*
 * The history store: schema, migrations, the recorder's append path,
 * retention, and the readers (rebuild at T, series ranges, frames, markers,
 * events, findings). Layout and encodings are documented in docs/history.md.
 *
 * Invariants:
 * - Every append is one transaction. The open window lives in the journal
 *   (one row per cycle) and in memory; a crash loses at most the cycle whose
 *   transaction had not committed, and the next recorder replays the journal.
 * - A window is one clock hour (or window_max_frames frames, then it closes at
 *   the next minute edge): at close its chunks, 1-minute rows and the hours
 *   it touched are written, the journal is emptied and retention runs. The
 *   rollups therefore derive only from durable raw data.
 * - Entity state rows are appended (time-major, so a change costs its own
 *   bytes, not a page per entity) when a document changes, and all of them at
 *   each window start (key frame). A rebuild reads from the key frame before T
 *   up to T; deleting rows older than a key frame never loses a later state.
 * - One recorder per file (flock on FILE.lock); viewers only read, plus
 *   markers. busy_timeout covers the writer's short transactions.
 */
#include "backend/store.h"

#include "backend/snapshot_json.h"
#include "backend/store_codec.h"
#include "backend/store_flat.h"
#include "backend/text.h"
#include "backend/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SID_BITS        24
#define MAX_SERIES      ((1u << SID_BITS) - 1)
#define BUSY_TIMEOUT_MS 10000

/* ---- a small string map (open addressing) ---- */

struct strmap_ent {
    char *key;
    char *str;
    int64_t num;
    void *doc; /* a parsed document being patched (load_docs), else NULL */
};

struct strmap {
    struct strmap_ent *ents;
    size_t cap, n;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    }
    return h;
}

static struct strmap_ent *strmap_find(struct strmap *m, const char *key, int create)
{
    if (create && (m->n + 1) * 2 > m->cap) {
        struct strmap old = *m;
        m->cap = old.cap ? old.cap * 2 : 64;
        m->ents = xcalloc(m->cap, sizeof *m->ents);
        m->n = 0;
        for (size_t i = 0; i < old.cap; i++) {
            if (old.ents[i].key) {
                struct strmap_ent *e = strmap_find(m, old.ents[i].key, 1);
                *e = old.ents[i];
                m->n++;
            }
        }
        free(old.ents);
    }
    if (!m->cap) {
        return NULL;
    }
    for (size_t i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->ents[i].key) {
            return create ? &m->ents[i] : NULL;
        }
        if (strcmp(m->ents[i].key, key) == 0) {
            return &m->ents[i];
        }
    }
}

static void strmap_clear(struct strmap *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        free(m->ents[i].key);
        free(m->ents[i].str);
    }
    free(m->ents);
    memset(m, 0, sizeof *m);
}

/* ---- the store ---- */

struct sseries {
    char *name;
    char *unit;
    struct chunk_enc enc;
};

struct active_finding {
    char *key;
    int64_t id;
    int seen;
};

struct store {
    sqlite3 *db;
    char *path;
    enum store_mode mode;
    struct store_options opt;
    int lockfd;
    char *notice;

    struct sseries *series; /* indexed by series id; [0] unused */
    size_t nseries, cap_series;
    struct strmap names; /* name -> id */

    /* recorder: the open window */
    int window_open;
    int64_t *wframes; /* frame times (ms) of the open window */
    size_t nwframes, cap_wframes;
    uint64_t *jprev; /* per series: last journal value bits */
    size_t cap_jprev;
    int64_t last_t;
    int keyframe_due;
    struct strmap state_last; /* key -> last document written */
    struct strmap state_keys; /* key -> state_key.id */
    struct active_finding *active;
    size_t nactive, cap_active;
};

void store_options_defaults(struct store_options *o)
{
    o->raw_retention_s = 48 * 3600.0;
    o->minute_retention_s = 90 * 86400.0;
    o->hour_retention_s = 400 * 86400.0;
    o->max_bytes = 1024.0 * 1024 * 1024;
    o->window_max_frames = 720;
}

static int sql_err(struct store *st, struct err *e, const char *what)
{
    return err_set(e, "history %s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

static int exec(struct store *st, const char *sql, struct err *e)
{
    char *msg = NULL;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        err_set(e, "history %s: %s", st->path, msg ? msg : sqlite3_errmsg(st->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static sqlite3_stmt *prep(struct store *st, const char *sql, struct err *e)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
        sql_err(st, e, "prepare");
        sqlite3_finalize(s);
        return NULL;
    }
    return s;
}

/* Runs a statement without results, binding int64 parameters. */
static int exec_i(struct store *st, struct err *e, const char *sql, int n, ...)
{
    sqlite3_stmt *s = prep(st, sql, e);
    if (!s) {
        return -1;
    }
    va_list ap;
    va_start(ap, n);
    for (int i = 1; i <= n; i++) {
        sqlite3_bind_int64(s, i, va_arg(ap, int64_t));
    }
    va_end(ap);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sql_err(st, e, "write");
}

/* One int64 from a query with int64 parameters; dflt when no row or NULL. */
static int64_t query_i(struct store *st, int64_t dflt, const char *sql, int n, ...)
{
    sqlite3_stmt *s = prep(st, sql, NULL);
    if (!s) {
        return dflt;
    }
    va_list ap;
    va_start(ap, n);
    for (int i = 1; i <= n; i++) {
        sqlite3_bind_int64(s, i, va_arg(ap, int64_t));
    }
    va_end(ap);
    int64_t v = dflt;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
        v = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    return v;
}

/* ---- schema ---- */

/* 6-hour rows from the hour rows selected by the WHERE clause that follows
 * (a GROUP BY series_id, q ends it): count-weighted average, the last hour's
 * last value. */
#define SQL_6H_FROM_1H                                                                             \
    "INSERT OR REPLACE INTO rollup_6h "                                                            \
    "SELECT series_id, (t / 21600) * 21600 AS q, min(min), max(max),"                              \
    " sum(avg * count) / sum(count),"                                                              \
    " (SELECT r2.last FROM rollup_1h r2 WHERE r2.series_id = r.series_id"                          \
    "  AND r2.t >= (r.t / 21600) * 21600 AND r2.t < (r.t / 21600) * 21600 + 21600"                 \
    "  ORDER BY r2.t DESC LIMIT 1),"                                                               \
    " sum(count) FROM rollup_1h r"

static const char *const migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
    "CREATE TABLE series(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, entity TEXT,"
    " unit TEXT);"
    "CREATE TABLE frame(t INTEGER PRIMARY KEY);"
    "CREATE TABLE journal(t INTEGER PRIMARY KEY, data BLOB NOT NULL);"
    "CREATE TABLE chunk_window(id INTEGER PRIMARY KEY, t0 INTEGER NOT NULL, t1 INTEGER NOT NULL,"
    " nframes INTEGER NOT NULL);"
    "CREATE TABLE chunk(key INTEGER PRIMARY KEY, n INTEGER NOT NULL, data BLOB NOT NULL);"
    "CREATE VIEW chunk_v AS SELECT key >> 24 AS window_id, key & 16777215 AS series_id, n,"
    " length(data) AS bytes FROM chunk;"
    "CREATE TABLE rollup_1m(series_id INTEGER NOT NULL, t INTEGER NOT NULL, min REAL, max REAL,"
    " avg REAL, last REAL, count INTEGER NOT NULL, PRIMARY KEY(series_id, t)) WITHOUT ROWID;"
    "CREATE TABLE rollup_1h(series_id INTEGER NOT NULL, t INTEGER NOT NULL, min REAL, max REAL,"
    " avg REAL, last REAL, count INTEGER NOT NULL, PRIMARY KEY(series_id, t)) WITHOUT ROWID;"
    "CREATE TABLE state_key(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);"
    "CREATE TABLE state(id INTEGER PRIMARY KEY, t INTEGER NOT NULL, key_id INTEGER NOT NULL,"
    " data TEXT NOT NULL, patch INTEGER NOT NULL DEFAULT 0);"
    "CREATE VIEW state_v AS SELECT s.id, s.t, k.key, s.data, s.patch FROM state s"
    " JOIN state_key k ON k.id = s.key_id;"
    "CREATE TABLE keyframe(t INTEGER PRIMARY KEY, state_id INTEGER NOT NULL);"
    "CREATE TABLE event(id INTEGER PRIMARY KEY, t INTEGER NOT NULL, kind TEXT, entity TEXT,"
    " message TEXT, UNIQUE(t, kind, entity, message));"
    "CREATE TABLE finding(id INTEGER PRIMARY KEY, rule TEXT, severity TEXT, entity TEXT,"
    " message TEXT, start INTEGER NOT NULL, end INTEGER);"
    "CREATE TABLE marker(id INTEGER PRIMARY KEY, t INTEGER NOT NULL, note TEXT NOT NULL);"
    "CREATE INDEX marker_t ON marker(t);",
    /* 1 -> 2: findings keep their evidence; findings are looked up by time */
    "ALTER TABLE finding ADD COLUMN evidence TEXT;"
    "CREATE INDEX finding_start ON finding(start);",
    /* 2 -> 3: a 6-hour tier, so a sparkline over months reads a few hundred
     * rows per series instead of thousands; derived from the hour rows */
    "CREATE TABLE rollup_6h(series_id INTEGER NOT NULL, t INTEGER NOT NULL, min REAL, max REAL,"
    " avg REAL, last REAL, count INTEGER NOT NULL, PRIMARY KEY(series_id, t)) WITHOUT "
    "ROWID;" SQL_6H_FROM_1H " WHERE 1 GROUP BY series_id, q;"
    "INSERT INTO meta SELECT 'oldest_6h', (min(t) / 21600) * 21600 FROM rollup_1h"
    " HAVING count(*) > 0;",
};

static int user_version(struct store *st)
{
    return (int)query_i(st, -1, "PRAGMA user_version", 0);
}

/* Applies migrations from the file's version up to `target`, each in its own
 * transaction with the version bump. */
static int migrate(struct store *st, int target, struct err *e)
{
    int v = user_version(st);
    while (v < target) {
        char bump[64];
        snprintf(bump, sizeof bump, "PRAGMA user_version=%d;", v + 1);
        if (exec(st, "BEGIN IMMEDIATE", e) < 0) {
            return -1;
        }
        if (exec(st, migrations[v], e) < 0 || exec(st, bump, e) < 0) {
            exec(st, "ROLLBACK", NULL);
            return err_prefix(e, "migrating the schema from version %d", v);
        }
        if (exec(st, "COMMIT", e) < 0) {
            return -1;
        }
        v++;
    }
    return 0;
}

/* ---- opening ---- */

static int take_lock(struct store *st, struct err *e)
{
    char *lp = xasprintf("%s.lock", st->path);
    st->lockfd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (st->lockfd < 0) {
        err_set(e, "history %s: cannot open lock file %s: %s", st->path, lp, strerror(errno));
        free(lp);
        return -1;
    }
    if (flock(st->lockfd, LOCK_EX | LOCK_NB) < 0) {
        char pid[32] = "";
        ssize_t n = pread(st->lockfd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        err_set(e,
                "history %s is already being recorded by another scaletop (pid %s); only one "
                "recorder per file — open it with the console or `snapshot --at` to view it",
                st->path, *pid ? pid : "unknown");
        close(st->lockfd);
        st->lockfd = -1;
        free(lp);
        return -1;
    }
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (ftruncate(st->lockfd, 0) < 0 || pwrite(st->lockfd, buf, (size_t)len, 0) < 0) {
        /* the pid is only for the message; the lock itself holds */
    }
    free(lp);
    return 0;
}

/* Renames a corrupt file (and its WAL) aside, never over an existing file. */
static int move_aside(struct store *st, struct err *e)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    char *dest = NULL;
    for (int i = 0; i < 1000; i++) {
        free(dest);
        dest = i ? xasprintf("%s.corrupt-%s.%d", st->path, stamp, i)
                 : xasprintf("%s.corrupt-%s", st->path, stamp);
        if (access(dest, F_OK) != 0) {
            break;
        }
    }
    if (link(st->path, dest) < 0 || unlink(st->path) < 0) {
        err_set(e, "history %s is corrupt and cannot be moved aside to %s: %s", st->path, dest,
                strerror(errno));
        free(dest);
        return -1;
    }
    const char *sfx[] = {"-wal", "-shm"};
    for (int i = 0; i < 2; i++) {
        char *a = xasprintf("%s%s", st->path, sfx[i]), *b = xasprintf("%s%s", dest, sfx[i]);
        if (access(a, F_OK) == 0 && rename(a, b) < 0) {
            unlink(a);
        }
        free(a);
        free(b);
    }
    free(st->notice);
    st->notice = xasprintf("history %s was corrupt: moved it aside to %s and started a new one",
                           st->path, dest);
    free(dest);
    return 0;
}

static int open_db(struct store *st, struct err *e)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (st->mode == STORE_RECORD) {
        int fd = open(st->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) {
            return err_set(e, "history %s: cannot create: %s", st->path, strerror(errno));
        }
        close(fd);
    } else if (access(st->path, F_OK) != 0) {
        return err_set(e, "history %s: no such file (is `scaletop record` running?)", st->path);
    }
    if (sqlite3_open_v2(st->path, &st->db, flags, NULL) != SQLITE_OK) {
        return sql_err(st, e, "open");
    }
    sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(st->db, 1);
    return 0;
}

/* Checks that the file is a database we can read; 1 if it is corrupt. */
static int looks_corrupt(struct store *st)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, "SELECT count(*) FROM sqlite_master", -1, &s, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
    }
    sqlite3_finalize(s);
    rc &= 0xff;
    return rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT;
}

static int load_series(struct store *st, struct err *e)
{
    sqlite3_stmt *s = prep(st, "SELECT id, name, unit FROM series WHERE id > ? ORDER BY id", e);
    if (!s) {
        return -1;
    }
    sqlite3_bind_int64(s, 1, (int64_t)(st->nseries ? st->nseries - 1 : 0));
    while (sqlite3_step(s) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(s, 0);
        const char *name = (const char *)sqlite3_column_text(s, 1);
        const char *unit = (const char *)sqlite3_column_text(s, 2);
        if (id <= 0 || id > (int64_t)MAX_SERIES || !name) {
            continue;
        }
        st->series = xgrow(st->series, &st->cap_series, (size_t)id + 1, sizeof *st->series);
        for (size_t i = st->nseries; i <= (size_t)id; i++) {
            memset(&st->series[i], 0, sizeof st->series[i]);
        }
        if ((size_t)id + 1 > st->nseries) {
            st->nseries = (size_t)id + 1;
        }
        struct sseries *x = &st->series[id];
        free(x->name);
        free(x->unit);
        x->name = xstrdup(name);
        x->unit = xstrdup(unit ? unit : "");
        struct strmap_ent *m = strmap_find(&st->names, name, 1);
        if (!m->key) {
            m->key = xstrdup(name);
            st->names.n++;
        }
        m->num = id;
    }
    sqlite3_finalize(s);
    if (st->nseries == 0) {
        st->nseries = 1;
        st->series = xgrow(st->series, &st->cap_series, 1, sizeof *st->series);
        memset(&st->series[0], 0, sizeof st->series[0]);
    }
    return 0;
}

static int recover_window(struct store *st, struct err *e);

struct store *store_open(const char *path, enum store_mode mode, const struct store_options *opt,
                         struct err *e)
{
    struct store *st = xcalloc(1, sizeof *st);
    st->path = xstrdup(path);
    st->mode = mode;
    st->lockfd = -1;
    if (opt) {
        st->opt = *opt;
    } else {
        store_options_defaults(&st->opt);
    }
    if (st->opt.window_max_frames < 2) {
        st->opt.window_max_frames = 2;
    }
    if (mode == STORE_RECORD && take_lock(st, e) < 0) {
        goto fail;
    }
    if (open_db(st, e) < 0) {
        goto fail;
    }
    if (looks_corrupt(st)) {
        if (mode != STORE_RECORD) {
            err_set(e, "history %s is not a readable history file (corrupt?)", path);
            goto fail;
        }
        sqlite3_close(st->db);
        st->db = NULL;
        if (move_aside(st, e) < 0 || open_db(st, e) < 0) {
            goto fail;
        }
    }
    int v = user_version(st);
    if (v > STORE_SCHEMA_VERSION) {
        err_set(e, "history %s has schema version %d, newer than this scaletop (%d)", path, v,
                STORE_SCHEMA_VERSION);
        goto fail;
    }
    if (mode == STORE_RECORD) {
        if (v == 0 && exec(st, "PRAGMA page_size=4096; PRAGMA auto_vacuum=INCREMENTAL;", e) < 0) {
            goto fail;
        }
        if (exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", e) < 0 ||
            migrate(st, STORE_SCHEMA_VERSION, e) < 0) {
            goto fail;
        }
    } else {
        if (v < 1) {
            err_set(e, "history %s is empty (no recorder has written to it yet)", path);
            goto fail;
        }
        if (v < STORE_SCHEMA_VERSION) {
            err_set(e,
                    "history %s has the old schema version %d; run `scaletop record` once to "
                    "upgrade it",
                    path, v);
            goto fail;
        }
        exec(st, "PRAGMA query_only=1", NULL);
    }
    if (exec(st, "PRAGMA cache_size=-8192", e) < 0 || load_series(st, e) < 0) {
        goto fail;
    }
    if (mode == STORE_RECORD && recover_window(st, e) < 0) {
        goto fail;
    }
    return st;
fail:
    store_close(st);
    return NULL;
}

const char *store_notice(const struct store *st)
{
    return st ? st->notice : NULL;
}

int store_schema_version(struct store *st)
{
    return user_version(st);
}

void store_close(struct store *st)
{
    if (!st) {
        return;
    }
    for (size_t i = 0; i < st->nseries; i++) {
        free(st->series[i].name);
        free(st->series[i].unit);
        chunk_enc_fini(&st->series[i].enc);
    }
    free(st->series);
    strmap_clear(&st->names);
    strmap_clear(&st->state_last);
    strmap_clear(&st->state_keys);
    for (size_t i = 0; i < st->nactive; i++) {
        free(st->active[i].key);
    }
    free(st->active);
    free(st->wframes);
    free(st->jprev);
    if (st->db) {
        sqlite3_close(st->db);
    }
    if (st->lockfd >= 0) {
        close(st->lockfd);
    }
    free(st->notice);
    free(st->path);
    free(st);
}

int store_create_at_version(const char *path, int version, struct err *e)
{
    if (version < 1 || version > STORE_SCHEMA_VERSION) {
        return err_set(e, "no schema version %d", version);
    }
    struct store tmp = {0};
    tmp.path = (char *)(uintptr_t)path;
    tmp.mode = STORE_RECORD;
    int rc = open_db(&tmp, e);
    if (rc == 0) {
        rc = exec(&tmp,
                  "PRAGMA page_size=4096; PRAGMA auto_vacuum=INCREMENTAL;"
                  "PRAGMA journal_mode=WAL;",
                  e);
    }
    if (rc == 0) {
        rc = migrate(&tmp, version, e);
    }
    sqlite3_close(tmp.db);
    return rc;
}

/* ---- recorder: series, window, journal ---- */

static int64_t to_ms(double t)
{
    return (int64_t)llround(t * 1000.0);
}

static int series_id(struct store *st, const char *name, const char *entity, const char *unit,
                     struct err *e)
{
    struct strmap_ent *m = strmap_find(&st->names, name, 0);
    if (m) {
        return (int)m->num;
    }
    if (st->nseries >= MAX_SERIES) {
        return 0; /* over the cap: not recorded */
    }
    sqlite3_stmt *s = prep(st, "INSERT INTO series(name, entity, unit) VALUES(?,?,?)", e);
    if (!s) {
        return -1;
    }
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, entity, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, unit, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        return sql_err(st, e, "new series");
    }
    int64_t id = sqlite3_last_insert_rowid(st->db);
    if (id <= 0 || id > (int64_t)MAX_SERIES) {
        return 0;
    }
    st->series = xgrow(st->series, &st->cap_series, (size_t)id + 1, sizeof *st->series);
    for (size_t i = st->nseries; i <= (size_t)id; i++) {
        memset(&st->series[i], 0, sizeof st->series[i]);
    }
    if ((size_t)id + 1 > st->nseries) {
        st->nseries = (size_t)id + 1;
    }
    st->series[id].name = xstrdup(name);
    st->series[id].unit = xstrdup(unit);
    m = strmap_find(&st->names, name, 1);
    if (!m->key) {
        m->key = xstrdup(name);
        st->names.n++;
    }
    m->num = id;
    return (int)id;
}

static void jprev_fit(struct store *st)
{
    if (st->cap_jprev < st->nseries) {
        size_t old = st->cap_jprev;
        st->jprev = xgrow(st->jprev, &st->cap_jprev, st->nseries, sizeof *st->jprev);
        memset(st->jprev + old, 0, (st->cap_jprev - old) * sizeof *st->jprev);
    }
}

static void window_reset(struct store *st)
{
    for (size_t i = 0; i < st->nseries; i++) {
        chunk_enc_fini(&st->series[i].enc);
    }
    if (st->jprev) {
        memset(st->jprev, 0, st->cap_jprev * sizeof *st->jprev);
    }
    st->nwframes = 0;
    st->window_open = 0;
}

static void window_add_frame(struct store *st, int64_t t)
{
    st->wframes = xgrow(st->wframes, &st->cap_wframes, st->nwframes + 1, sizeof *st->wframes);
    st->wframes[st->nwframes++] = t;
    st->window_open = 1;
}

/* Replays the journal (the open window) into the chunk encoders, and loads
 * what the change detection needs: last state documents, active findings. */
static int recover_window(struct store *st, struct err *e)
{
    window_reset(st);
    for (size_t i = 0; i < st->nactive; i++) {
        free(st->active[i].key);
    }
    st->nactive = 0;
    st->last_t = query_i(st, INT64_MIN, "SELECT max(t) FROM frame", 0);
    sqlite3_stmt *s = prep(st, "SELECT t, data FROM journal ORDER BY t", e);
    if (!s) {
        return -1;
    }
    jprev_fit(st);
    size_t max = st->nseries + 1;
    struct journal_entry *ents = xmalloc(max * sizeof *ents);
    while (sqlite3_step(s) == SQLITE_ROW) {
        int64_t t = sqlite3_column_int64(s, 0);
        const uint8_t *data = sqlite3_column_blob(s, 1);
        size_t len = (size_t)sqlite3_column_bytes(s, 1);
        size_t n = journal_decode(data, len, st->jprev, st->cap_jprev, ents, max);
        if (n == (size_t)-1) {
            continue; /* a damaged cycle is skipped, the rest of the window survives */
        }
        for (size_t i = 0; i < n; i++) {
            if (ents[i].sid > 0 && ents[i].sid < st->nseries) {
                chunk_enc_add(&st->series[ents[i].sid].enc, (uint32_t)st->nwframes, ents[i].v);
            }
        }
        window_add_frame(st, t);
    }
    sqlite3_finalize(s);
    free(ents);
    st->keyframe_due = 1;
    s = prep(st, "SELECT id, rule, entity FROM finding WHERE end IS NULL", e);
    if (!s) {
        return -1;
    }
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(s, 1);
        const char *en = (const char *)sqlite3_column_text(s, 2);
        st->active = xgrow(st->active, &st->cap_active, st->nactive + 1, sizeof *st->active);
        st->active[st->nactive].key = xasprintf("%s\x1f%s", r ? r : "", en ? en : "");
        st->active[st->nactive].id = sqlite3_column_int64(s, 0);
        st->active[st->nactive].seen = 0;
        st->nactive++;
    }
    sqlite3_finalize(s);
    return 0;
}

/* ---- window close: chunks, rollups, retention ---- */

struct agg {
    double min, max, sum, last;
    int64_t count;
};

static void agg_add(struct agg *a, double v)
{
    if (isnan(v)) {
        return;
    }
    if (a->count == 0 || v < a->min) {
        a->min = v;
    }
    if (a->count == 0 || v > a->max) {
        a->max = v;
    }
    a->sum += v;
    a->last = v;
    a->count++;
}

static void bind_real(sqlite3_stmt *s, int i, double v)
{
    if (isfinite(v)) {
        sqlite3_bind_double(s, i, v);
    } else {
        sqlite3_bind_null(s, i);
    }
}

static int write_minute(sqlite3_stmt *ins, int64_t sid, int64_t minute, const struct agg *a)
{
    sqlite3_reset(ins);
    sqlite3_bind_int64(ins, 1, sid);
    sqlite3_bind_int64(ins, 2, minute * 60);
    bind_real(ins, 3, a->min);
    bind_real(ins, 4, a->max);
    bind_real(ins, 5, a->sum / (double)a->count);
    bind_real(ins, 6, a->last);
    sqlite3_bind_int64(ins, 7, a->count);
    return sqlite3_step(ins) == SQLITE_DONE ? 0 : -1;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static int retention(struct store *st, struct err *e);

static int close_window(struct store *st, struct err *e)
{
    if (!st->window_open || st->nwframes == 0) {
        window_reset(st);
        return 0;
    }
    int64_t t0 = st->wframes[0], t1 = st->wframes[st->nwframes - 1];
    if (exec_i(st, e, "INSERT INTO chunk_window(t0, t1, nframes) VALUES(?,?,?)", 3, t0, t1,
               (int64_t)st->nwframes) < 0) {
        return -1;
    }
    int64_t wid = sqlite3_last_insert_rowid(st->db);
    sqlite3_stmt *ins = prep(st, "INSERT OR REPLACE INTO chunk(key, n, data) VALUES(?,?,?)", e);
    sqlite3_stmt *r1 = prep(st, "INSERT OR REPLACE INTO rollup_1m VALUES(?,?,?,?,?,?,?)", e);
    if (!ins || !r1) {
        sqlite3_finalize(ins);
        sqlite3_finalize(r1);
        return -1;
    }
    int rc = 0;
    uint32_t *ks = xmalloc(st->nwframes * sizeof *ks);
    double *vs = xmalloc(st->nwframes * sizeof *vs);
    for (size_t sid = 1; sid < st->nseries && rc == 0; sid++) {
        struct chunk_enc *c = &st->series[sid].enc;
        if (c->n == 0) {
            continue;
        }
        sqlite3_reset(ins);
        sqlite3_bind_int64(ins, 1, (wid << SID_BITS) | (int64_t)sid);
        sqlite3_bind_int64(ins, 2, c->n);
        sqlite3_bind_blob(ins, 3, c->buf, (int)chunk_enc_bytes(c), SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            rc = sql_err(st, e, "chunk");
            break;
        }
        if (store_flat_unit_is_time(st->series[sid].unit)) {
            continue;
        }
        size_t n = chunk_decode(c->buf, chunk_enc_bytes(c), c->n, ks, vs, st->nwframes);
        struct agg a = {0};
        int64_t minute = INT64_MIN;
        for (size_t i = 0; i < n && rc == 0; i++) {
            if (ks[i] >= st->nwframes) {
                continue;
            }
            int64_t m = floor_div(st->wframes[ks[i]], 60000);
            if (m != minute && a.count > 0 && write_minute(r1, (int64_t)sid, minute, &a) < 0) {
                rc = sql_err(st, e, "rollup");
            }
            if (m != minute) {
                memset(&a, 0, sizeof a);
                minute = m;
            }
            agg_add(&a, vs[i]);
        }
        if (rc == 0 && a.count > 0 && write_minute(r1, (int64_t)sid, minute, &a) < 0) {
            rc = sql_err(st, e, "rollup");
        }
    }
    free(ks);
    free(vs);
    sqlite3_finalize(ins);
    sqlite3_finalize(r1);
    if (rc < 0) {
        return -1;
    }
    /* the hours this window touched, from their minute rows */
    int64_t h0 = floor_div(t0, 3600000) * 3600, h1 = floor_div(t1, 3600000) * 3600 + 3600;
    if (exec_i(st, e,
               "INSERT OR REPLACE INTO rollup_1h "
               "SELECT series_id, (t / 3600) * 3600 AS h, min(min), max(max),"
               " sum(avg * count) / sum(count),"
               " (SELECT r2.last FROM rollup_1m r2 WHERE r2.series_id = r.series_id"
               "  AND r2.t >= (r.t / 3600) * 3600 AND r2.t < (r.t / 3600) * 3600 + 3600"
               "  ORDER BY r2.t DESC LIMIT 1),"
               " sum(count) FROM rollup_1m r WHERE t >= ? AND t < ?"
               " AND series_id IN (SELECT key & 16777215 FROM chunk"
               "  WHERE key >= ? AND key < ?)"
               " GROUP BY series_id, h",
               4, h0, h1, wid << SID_BITS, (wid + 1) << SID_BITS) < 0) {
        return -1;
    }
    /* the 6-hour rows over those hours, from their hour rows */
    int64_t q0 = floor_div(t0, 21600000) * 21600, q1 = floor_div(t1, 21600000) * 21600 + 21600;
    if (exec_i(st, e,
               SQL_6H_FROM_1H " WHERE t >= ? AND t < ?"
                              " AND series_id IN (SELECT key & 16777215 FROM chunk"
                              "  WHERE key >= ? AND key < ?)"
                              " GROUP BY series_id, q",
               4, q0, q1, wid << SID_BITS, (wid + 1) << SID_BITS) < 0 ||
        exec(st, "DELETE FROM journal", e) < 0) {
        return -1;
    }
    if (exec_i(st, e,
               "INSERT OR REPLACE INTO meta VALUES('oldest_1m',"
               " coalesce((SELECT value FROM meta WHERE key = 'oldest_1m'), ?))",
               1, floor_div(t0, 60000) * 60) < 0 ||
        exec_i(st, e,
               "INSERT OR REPLACE INTO meta VALUES('oldest_1h',"
               " coalesce((SELECT value FROM meta WHERE key = 'oldest_1h'), ?))",
               1, h0) < 0 ||
        exec_i(st, e,
               "INSERT OR REPLACE INTO meta VALUES('oldest_6h',"
               " coalesce((SELECT value FROM meta WHERE key = 'oldest_6h'), ?))",
               1, q0) < 0) {
        return -1;
    }
    window_reset(st);
    return retention(st, e);
}

static int delete_series_before(struct store *st, const char *table, int64_t cutoff_s,
                                struct err *e)
{
    char sql[128];
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE series_id = ? AND t < ?", table);
    sqlite3_stmt *s = prep(st, sql, e);
    if (!s) {
        return -1;
    }
    for (size_t sid = 1; sid < st->nseries; sid++) {
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, (int64_t)sid);
        sqlite3_bind_int64(s, 2, cutoff_s);
        if (sqlite3_step(s) != SQLITE_DONE) {
            sqlite3_finalize(s);
            return sql_err(st, e, "retention");
        }
    }
    sqlite3_finalize(s);
    return 0;
}

/* Deletes raw data (windows, chunks, frames) ending (or, for the size cap,
 * starting) before cutoff_ms: windows go whole. */
static int delete_raw_before(struct store *st, int64_t cutoff_ms, int by_start, struct err *e)
{
    int64_t wmax = query_i(st, -1,
                           by_start ? "SELECT max(id) FROM chunk_window WHERE t0 < ?"
                                    : "SELECT max(id) FROM chunk_window WHERE t1 < ?",
                           1, cutoff_ms);
    if (wmax < 0) {
        return 0;
    }
    int64_t tmax = query_i(st, INT64_MIN, "SELECT t1 FROM chunk_window WHERE id = ?", 1, wmax);
    if (exec_i(st, e, "DELETE FROM chunk WHERE key < ?", 1, (wmax + 1) << SID_BITS) < 0 ||
        exec_i(st, e, "DELETE FROM chunk_window WHERE id <= ?", 1, wmax) < 0 ||
        exec_i(st, e, "DELETE FROM frame WHERE t <= ?", 1, tmax) < 0) {
        return -1;
    }
    return 0;
}

static int delete_state_before(struct store *st, int64_t cutoff_ms, struct err *e)
{
    int64_t kf = query_i(st, INT64_MIN, "SELECT max(t) FROM keyframe WHERE t <= ?", 1, cutoff_ms);
    if (kf == INT64_MIN) {
        return 0;
    }
    int64_t id = query_i(st, INT64_MIN, "SELECT state_id FROM keyframe WHERE t = ?", 1, kf);
    return exec_i(st, e, "DELETE FROM state WHERE id < ?", 1, id) < 0 ||
                   exec_i(st, e, "DELETE FROM keyframe WHERE t < ?", 1, kf) < 0
               ? -1
               : 0;
}

static int64_t used_bytes(struct store *st)
{
    int64_t pages = query_i(st, 0, "PRAGMA page_count", 0);
    int64_t freep = query_i(st, 0, "PRAGMA freelist_count", 0);
    int64_t size = query_i(st, 4096, "PRAGMA page_size", 0);
    return (pages - freep) * size;
}

static int retention(struct store *st, struct err *e)
{
    int64_t now = st->last_t;
    int64_t raw_cut = now - to_ms(st->opt.raw_retention_s);
    int64_t min_cut = now - to_ms(st->opt.minute_retention_s);
    int64_t hour_cut = now - to_ms(st->opt.hour_retention_s);
    if (delete_raw_before(st, raw_cut, 0, e) < 0 || delete_state_before(st, min_cut, e) < 0) {
        return -1;
    }
    int64_t oldest_1m = query_i(st, INT64_MAX, "SELECT value FROM meta WHERE key='oldest_1m'", 0);
    if (oldest_1m != INT64_MAX && oldest_1m * 1000 < min_cut) {
        if (delete_series_before(st, "rollup_1m", min_cut / 1000, e) < 0 ||
            exec_i(st, e, "UPDATE meta SET value = ? WHERE key = 'oldest_1m'", 1, min_cut / 1000) <
                0) {
            return -1;
        }
    }
    int64_t oldest_1h = query_i(st, INT64_MAX, "SELECT value FROM meta WHERE key='oldest_1h'", 0);
    if (oldest_1h != INT64_MAX && oldest_1h * 1000 < hour_cut) {
        if (delete_series_before(st, "rollup_1h", hour_cut / 1000, e) < 0 ||
            exec_i(st, e, "UPDATE meta SET value = ? WHERE key = 'oldest_1h'", 1, hour_cut / 1000) <
                0) {
            return -1;
        }
    }
    int64_t oldest_6h = query_i(st, INT64_MAX, "SELECT value FROM meta WHERE key='oldest_6h'", 0);
    if (oldest_6h != INT64_MAX && (oldest_6h + 21600) * 1000 <= hour_cut) {
        /* whole 6-hour rows only: one that still holds kept hours stays */
        int64_t cut6 = floor_div(hour_cut, 21600000) * 21600;
        if (delete_series_before(st, "rollup_6h", cut6, e) < 0 ||
            exec_i(st, e, "UPDATE meta SET value = ? WHERE key = 'oldest_6h'", 1, cut6) < 0) {
            return -1;
        }
    }
    if (exec_i(st, e, "DELETE FROM event WHERE t < ?", 1, hour_cut) < 0 ||
        exec_i(st, e, "DELETE FROM finding WHERE end IS NOT NULL AND end < ?", 1, hour_cut) < 0 ||
        exec_i(st, e, "DELETE FROM marker WHERE t < ?", 1, hour_cut) < 0) {
        return -1;
    }
    /* the size cap: drop the oldest data of every tier, a slice at a time */
    for (int round = 0; round < 64 && used_bytes(st) > (int64_t)st->opt.max_bytes; round++) {
        int64_t o_raw = query_i(st, INT64_MAX, "SELECT min(t) FROM frame", 0);
        int64_t o_1m =
            query_i(st, INT64_MAX, "SELECT value * 1000 FROM meta WHERE key='oldest_1m'", 0);
        int64_t o_1h =
            query_i(st, INT64_MAX, "SELECT value * 1000 FROM meta WHERE key='oldest_1h'", 0);
        int64_t oldest = o_raw < o_1m ? o_raw : o_1m;
        oldest = o_1h < oldest ? o_1h : oldest;
        if (oldest == INT64_MAX || oldest >= now) {
            break;
        }
        int64_t cut = oldest + (now - oldest) / 8 + 1;
        if (delete_raw_before(st, cut, 1, e) < 0 || delete_state_before(st, cut, e) < 0 ||
            delete_series_before(st, "rollup_1m", cut / 1000, e) < 0 ||
            delete_series_before(st, "rollup_1h", cut / 1000, e) < 0 ||
            delete_series_before(st, "rollup_6h", cut / 1000, e) < 0 ||
            exec_i(st, e,
                   "UPDATE meta SET value = max(value, ?) WHERE key IN ('oldest_1m',"
                   " 'oldest_1h', 'oldest_6h')",
                   1, cut / 1000) < 0 ||
            exec_i(st, e, "DELETE FROM event WHERE t < ?", 1, cut) < 0 ||
            exec_i(st, e, "DELETE FROM marker WHERE t < ?", 1, cut) < 0) {
            return -1;
        }
    }
    return exec(st, "PRAGMA incremental_vacuum(256)", e);
}

/* ---- append ---- */

static int cmp_entry(const void *a, const void *b)
{
    const struct journal_entry *x = a, *y = b;
    return x->sid < y->sid ? -1 : x->sid > y->sid;
}

/* The id of a state key, creating it on first use; -1 on error. */
static int64_t state_key_id(struct store *st, const char *key, struct err *e)
{
    struct strmap_ent *m = strmap_find(&st->state_keys, key, 0);
    if (m) {
        return m->num;
    }
    int64_t id = -1;
    sqlite3_stmt *s = prep(st, "SELECT id FROM state_key WHERE key = ?", e);
    if (!s) {
        return -1;
    }
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) {
        id = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    if (id < 0) {
        s = prep(st, "INSERT INTO state_key(key) VALUES(?)", e);
        if (!s) {
            return -1;
        }
        sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE) {
            return sql_err(st, e, "state key");
        }
        id = sqlite3_last_insert_rowid(st->db);
    }
    m = strmap_find(&st->state_keys, key, 1);
    m->key = xstrdup(key);
    m->num = id;
    st->state_keys.n++;
    return id;
}

static int write_states(struct store *st, const struct store_flat *f, int64_t t, struct err *e)
{
    sqlite3_stmt *s = prep(st, "INSERT INTO state(t, key_id, data, patch) VALUES(?,?,?,?)", e);
    if (!s) {
        return -1;
    }
    if (st->keyframe_due) {
        strmap_clear(&st->state_last); /* a key frame writes every document */
    }
    int rc = 0;
    int64_t first_id = -1;
    for (size_t i = 0; i < f->nstates && rc == 0; i++) {
        struct strmap_ent *m = strmap_find(&st->state_last, f->states[i].key, 1);
        if (m->key && strcmp(m->str, f->states[i].data) == 0) {
            continue;
        }
        /* a changed document is stored as the merge patch from the last one */
        int64_t kid = state_key_id(st, f->states[i].key, e);
        if (kid < 0) {
            rc = -1;
            break;
        }
        char *patch = m->key ? store_flat_diff(m->str, f->states[i].data) : NULL;
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, t);
        sqlite3_bind_int64(s, 2, kid);
        sqlite3_bind_text(s, 3, patch ? patch : f->states[i].data, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 4, patch != NULL);
        int step = sqlite3_step(s);
        free(patch);
        if (step != SQLITE_DONE) {
            rc = sql_err(st, e, "state");
            break;
        }
        if (first_id < 0) {
            first_id = sqlite3_last_insert_rowid(st->db);
        }
        if (!m->key) {
            m->key = xstrdup(f->states[i].key);
            st->state_last.n++;
        }
        free(m->str);
        m->str = xstrdup(f->states[i].data);
    }
    sqlite3_finalize(s);
    if (rc == 0 && st->keyframe_due && first_id >= 0) {
        rc = exec_i(st, e, "INSERT OR REPLACE INTO keyframe(t, state_id) VALUES(?,?)", 2, t,
                    first_id);
        st->keyframe_due = 0;
    }
    return rc;
}

static int write_events(struct store *st, const struct snapshot *s, int64_t t, struct err *e)
{
    if (s->nevents == 0 && s->nfindings == 0 && st->nactive == 0) {
        return 0;
    }
    sqlite3_stmt *ev = prep(st,
                            "INSERT OR IGNORE INTO event(t, kind, entity, message) "
                            "VALUES(?,?,?,?)",
                            e);
    if (!ev) {
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < s->nevents && rc == 0; i++) {
        const struct event *x = &s->events[i];
        sqlite3_reset(ev);
        sqlite3_bind_int64(ev, 1, isfinite(x->time) ? to_ms(x->time) : t);
        sqlite3_bind_text(ev, 2, x->kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(ev, 3, x->entity, -1, SQLITE_STATIC);
        sqlite3_bind_text(ev, 4, x->message, -1, SQLITE_STATIC);
        if (sqlite3_step(ev) != SQLITE_DONE) {
            rc = sql_err(st, e, "event");
        }
    }
    sqlite3_finalize(ev);
    for (size_t i = 0; i < st->nactive; i++) {
        st->active[i].seen = 0;
    }
    sqlite3_stmt *fi = prep(st,
                            "INSERT INTO finding(rule, severity, entity, message, evidence,"
                            " start) VALUES(?,?,?,?,?,?)",
                            e);
    if (!fi) {
        return -1;
    }
    for (size_t i = 0; i < s->nfindings && rc == 0; i++) {
        const struct finding *x = &s->findings[i];
        char *key = xasprintf("%s\x1f%s", x->rule ? x->rule : "", x->entity ? x->entity : "");
        size_t j = 0;
        while (j < st->nactive && strcmp(st->active[j].key, key) != 0) {
            j++;
        }
        if (j < st->nactive) {
            st->active[j].seen = 1;
            free(key);
            continue;
        }
        sqlite3_reset(fi);
        sqlite3_bind_text(fi, 1, x->rule, -1, SQLITE_STATIC);
        sqlite3_bind_text(fi, 2, severity_name(x->severity), -1, SQLITE_STATIC);
        sqlite3_bind_text(fi, 3, x->entity, -1, SQLITE_STATIC);
        sqlite3_bind_text(fi, 4, x->message, -1, SQLITE_STATIC);
        sqlite3_bind_text(fi, 5, x->evidence, -1, SQLITE_STATIC);
        sqlite3_bind_int64(fi, 6, isfinite(x->since) && to_ms(x->since) <= t ? to_ms(x->since) : t);
        if (sqlite3_step(fi) != SQLITE_DONE) {
            rc = sql_err(st, e, "finding");
            free(key);
            break;
        }
        st->active = xgrow(st->active, &st->cap_active, st->nactive + 1, sizeof *st->active);
        st->active[st->nactive].key = key;
        st->active[st->nactive].id = sqlite3_last_insert_rowid(st->db);
        st->active[st->nactive].seen = 1;
        st->nactive++;
    }
    sqlite3_finalize(fi);
    for (size_t i = 0; i < st->nactive && rc == 0;) {
        if (st->active[i].seen) {
            i++;
            continue;
        }
        rc = exec_i(st, e, "UPDATE finding SET end = ? WHERE id = ?", 2, t, st->active[i].id);
        free(st->active[i].key);
        st->active[i] = st->active[--st->nactive];
    }
    return rc;
}

/* Whether the open window must close before a frame at t joins it. */
static int window_due(const struct store *st, int64_t t)
{
    if (!st->window_open || st->nwframes == 0) {
        return 0;
    }
    int64_t last = st->wframes[st->nwframes - 1];
    if (floor_div(t, 3600000) != floor_div(st->wframes[0], 3600000)) {
        return 1;
    }
    return st->nwframes >= st->opt.window_max_frames &&
           floor_div(t, 60000) != floor_div(last, 60000);
}

int store_append(struct store *st, const struct snapshot *s, struct err *e)
{
    if (st->mode != STORE_RECORD) {
        return err_set(e, "history %s: opened for viewing, not recording", st->path);
    }
    int64_t t = to_ms(s->time);
    if (!isfinite(s->time)) {
        return err_set(e, "history: snapshot without a time");
    }
    if (st->last_t != INT64_MIN && t <= st->last_t) {
        return err_set(e,
                       "history: snapshot time %.3f is not after the last frame %.3f; clock "
                       "went backwards?",
                       s->time, (double)st->last_t / 1000.0);
    }
    struct store_flat f = {0};
    if (store_flat_build(s, &f, e) < 0) {
        return -1;
    }
    int rc = exec(st, "BEGIN IMMEDIATE", e);
    if (rc < 0) {
        store_flat_fini(&f);
        return -1;
    }
    int64_t saved_last = st->last_t;
    if (window_due(st, t)) {
        st->last_t = st->wframes[st->nwframes - 1];
        rc = close_window(st, e);
        st->keyframe_due = 1;
    }
    st->last_t = t;
    struct journal_entry *ents = xmalloc((f.nsamples + 1) * sizeof *ents);
    size_t n = 0;
    for (size_t i = 0; i < f.nsamples && rc == 0; i++) {
        int id = series_id(st, f.samples[i].name, f.samples[i].entity, f.samples[i].unit, e);
        if (id < 0) {
            rc = -1;
        } else if (id > 0) {
            ents[n].sid = (uint32_t)id;
            ents[n].v = f.samples[i].v;
            n++;
        }
    }
    qsort(ents, n, sizeof *ents, cmp_entry);
    /* one value per series and frame: a duplicate name keeps its first value */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m == 0 || ents[m - 1].sid != ents[i].sid) {
            ents[m++] = ents[i];
        }
    }
    n = m;
    jprev_fit(st);
    uint64_t *jprev_saved = xmalloc(st->cap_jprev * sizeof *jprev_saved);
    memcpy(jprev_saved, st->jprev, st->cap_jprev * sizeof *jprev_saved);
    if (rc == 0) {
        rc = exec_i(st, e, "INSERT INTO frame(t) VALUES(?)", 1, t);
    }
    if (rc == 0) {
        size_t len;
        uint8_t *blob = journal_encode(ents, n, st->jprev, st->cap_jprev, &len);
        sqlite3_stmt *js = prep(st, "INSERT INTO journal(t, data) VALUES(?,?)", e);
        if (!js) {
            rc = -1;
        } else {
            sqlite3_bind_int64(js, 1, t);
            sqlite3_bind_blob(js, 2, blob, (int)len, SQLITE_STATIC);
            if (sqlite3_step(js) != SQLITE_DONE) {
                rc = sql_err(st, e, "journal");
            }
            sqlite3_finalize(js);
        }
        free(blob);
    }
    if (rc == 0) {
        rc = write_states(st, &f, t, e);
    }
    if (rc == 0) {
        rc = write_events(st, s, t, e);
    }
    if (rc == 0) {
        rc = exec(st, "COMMIT", e);
    }
    if (rc == 0) {
        for (size_t i = 0; i < n; i++) {
            chunk_enc_add(&st->series[ents[i].sid].enc, (uint32_t)st->nwframes, ents[i].v);
        }
        window_add_frame(st, t);
    } else {
        /* nothing of this cycle reached the file: rebuild memory from it */
        exec(st, "ROLLBACK", NULL);
        memcpy(st->jprev, jprev_saved, st->cap_jprev * sizeof *jprev_saved);
        st->last_t = saved_last;
        strmap_clear(&st->state_last);
        strmap_clear(&st->state_keys);
        struct err ignore;
        recover_window(st, &ignore);
        st->last_t = saved_last;
    }
    free(jprev_saved);
    free(ents);
    store_flat_fini(&f);
    return rc;
}

/* ---- readers ---- */

/* Values of every series at one frame: a dense array by series id. */
struct frame_values {
    double *v;
    unsigned char *has;
    size_t n;
};

static void fv_set(struct frame_values *fv, uint32_t sid, double v)
{
    if (sid < fv->n) {
        fv->v[sid] = v;
        fv->has[sid] = 1;
    }
}

/* Decodes the values at frame time ft, from the journal or a closed window. */
static int values_at(struct store *st, int64_t ft, struct frame_values *fv, struct err *e)
{
    if (query_i(st, 0, "SELECT count(*) FROM journal WHERE t = ?", 1, ft) > 0) {
        sqlite3_stmt *s = prep(st, "SELECT data FROM journal WHERE t <= ? ORDER BY t", e);
        if (!s) {
            return -1;
        }
        sqlite3_bind_int64(s, 1, ft);
        uint64_t *prev = xcalloc(fv->n, sizeof *prev);
        struct journal_entry *ents = xmalloc(fv->n * sizeof *ents);
        size_t n = 0;
        while (sqlite3_step(s) == SQLITE_ROW) {
            n = journal_decode(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), prev,
                               fv->n, ents, fv->n);
        }
        sqlite3_finalize(s);
        for (size_t i = 0; n != (size_t)-1 && i < n; i++) {
            fv_set(fv, ents[i].sid, ents[i].v);
        }
        free(prev);
        free(ents);
        return 0;
    }
    sqlite3_stmt *w = prep(st, "SELECT id, t0 FROM chunk_window WHERE t0 <= ? AND t1 >= ?", e);
    if (!w) {
        return -1;
    }
    sqlite3_bind_int64(w, 1, ft);
    sqlite3_bind_int64(w, 2, ft);
    int64_t wid = -1, t0 = 0;
    if (sqlite3_step(w) == SQLITE_ROW) {
        wid = sqlite3_column_int64(w, 0);
        t0 = sqlite3_column_int64(w, 1);
    }
    sqlite3_finalize(w);
    if (wid < 0) {
        return 0; /* frame without samples (pruned or empty cycle) */
    }
    int64_t k = query_i(st, 0, "SELECT count(*) FROM frame WHERE t >= ? AND t < ?", 2, t0, ft);
    sqlite3_stmt *s = prep(st, "SELECT key, n, data FROM chunk WHERE key >= ? AND key < ?", e);
    if (!s) {
        return -1;
    }
    sqlite3_bind_int64(s, 1, wid << SID_BITS);
    sqlite3_bind_int64(s, 2, (wid + 1) << SID_BITS);
    size_t cap = 0;
    uint32_t *ks = NULL;
    double *vs = NULL;
    while (sqlite3_step(s) == SQLITE_ROW) {
        uint32_t sid = (uint32_t)(sqlite3_column_int64(s, 0) & MAX_SERIES);
        uint32_t n = (uint32_t)sqlite3_column_int64(s, 1);
        if (n > cap) {
            cap = n;
            ks = xrealloc(ks, cap * sizeof *ks);
            vs = xrealloc(vs, cap * sizeof *vs);
        }
        size_t got = chunk_decode(sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2), n,
                                  ks, vs, n);
        for (size_t i = 0; i < got; i++) {
            if (ks[i] == (uint32_t)k) {
                fv_set(fv, sid, vs[i]);
                break;
            }
        }
    }
    sqlite3_finalize(s);
    free(ks);
    free(vs);
    return 0;
}

/* Values at minute-aligned ft from the rollups' last values, for times
 * whose raw samples have expired: the minute row, else the hour row. */
static int values_from_rollups(struct store *st, int64_t ft, struct frame_values *fv, struct err *e)
{
    sqlite3_stmt *m = prep(st, "SELECT last FROM rollup_1m WHERE series_id = ? AND t = ?", e);
    sqlite3_stmt *h = prep(st, "SELECT last FROM rollup_1h WHERE series_id = ? AND t = ?", e);
    if (!m || !h) {
        sqlite3_finalize(m);
        sqlite3_finalize(h);
        return -1;
    }
    for (size_t sid = 1; sid < fv->n; sid++) {
        sqlite3_stmt *s = m;
        sqlite3_reset(m);
        sqlite3_bind_int64(m, 1, (int64_t)sid);
        sqlite3_bind_int64(m, 2, ft / 1000);
        if (sqlite3_step(m) != SQLITE_ROW) {
            s = h;
            sqlite3_reset(h);
            sqlite3_bind_int64(h, 1, (int64_t)sid);
            sqlite3_bind_int64(h, 2, floor_div(ft, 3600000) * 3600);
            if (sqlite3_step(h) != SQLITE_ROW) {
                continue;
            }
        }
        if (sqlite3_column_type(s, 0) != SQLITE_NULL) {
            fv_set(fv, (uint32_t)sid, sqlite3_column_double(s, 0));
        }
    }
    sqlite3_finalize(m);
    sqlite3_finalize(h);
    return 0;
}

struct rebuild {
    struct store *st;
    int64_t ft;
    struct frame_values fv;
    struct strmap docs; /* state key -> document as of the frame */
    uint32_t *by_name;  /* series ids sorted by name */
    size_t nby_name;
};

static const char *rebuild_state(void *ctx, const char *key)
{
    struct rebuild *r = ctx;
    struct strmap_ent *m = strmap_find(&r->docs, key, 0);
    return m ? m->str : NULL;
}

static void rebuild_values(void *ctx, const char *prefix, store_flat_put_fn put, void *jctx)
{
    struct rebuild *r = ctx;
    size_t plen = strlen(prefix), lo = 0, hi = r->nby_name;
    while (lo < hi) { /* first name >= prefix */
        size_t mid = (lo + hi) / 2;
        if (strcmp(r->st->series[r->by_name[mid]].name, prefix) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    for (size_t i = lo; i < r->nby_name; i++) {
        uint32_t sid = r->by_name[i];
        const char *name = r->st->series[sid].name;
        if (strncmp(name, prefix, plen) != 0) {
            break;
        }
        if (sid < r->fv.n && r->fv.has[sid]) {
            put(jctx, name + plen, r->fv.v[sid], r->st->series[sid].unit);
        }
    }
}

static int cmp_name(const void *a, const void *b, void *arg)
{
    const struct store *st = arg;
    return strcmp(st->series[*(const uint32_t *)a].name, st->series[*(const uint32_t *)b].name);
}

/* Loads every state document in force at frame ft: from the key frame at or
 * before it, later rows overriding earlier ones. */
static int load_docs(struct store *st, int64_t ft, struct strmap *docs, struct err *e)
{
    int64_t kf = query_i(st, INT64_MIN, "SELECT max(t) FROM keyframe WHERE t <= ?", 1, ft);
    int64_t id =
        kf == INT64_MIN ? 0 : query_i(st, 0, "SELECT state_id FROM keyframe WHERE t = ?", 1, kf);
    sqlite3_stmt *s = prep(st,
                           "SELECT s.t, k.key, s.data, s.patch FROM state s JOIN state_key k"
                           " ON k.id = s.key_id WHERE s.id >= ? ORDER BY s.id",
                           e);
    if (!s) {
        return -1;
    }
    sqlite3_bind_int64(s, 1, id);
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (sqlite3_column_int64(s, 0) > ft) {
            break;
        }
        const char *key = (const char *)sqlite3_column_text(s, 1);
        const char *data = (const char *)sqlite3_column_text(s, 2);
        if (!key || !data) {
            continue;
        }
        struct strmap_ent *m = strmap_find(docs, key, 1);
        if (!m->key) {
            m->key = xstrdup(key);
            docs->n++;
        }
        if (sqlite3_column_int(s, 3)) {
            /* patches apply to the parsed document, serialised once at the end */
            if (!m->doc && m->str) {
                m->doc = store_flat_doc_parse(m->str);
            }
            if (m->doc) {
                store_flat_doc_patch(m->doc, data);
            }
        } else {
            store_flat_doc_free(m->doc);
            m->doc = NULL;
            free(m->str);
            m->str = xstrdup(data);
        }
    }
    sqlite3_finalize(s);
    for (size_t i = 0; i < docs->cap; i++) {
        struct strmap_ent *m = &docs->ents[i];
        if (m->key && m->doc) {
            char *text = store_flat_doc_dump(m->doc);
            if (text) {
                free(m->str);
                m->str = text;
            }
            store_flat_doc_free(m->doc);
            m->doc = NULL;
        }
    }
    return 0;
}

struct snapshot *store_snapshot_at(struct store *st, double t, struct err *e)
{
    if (load_series(st, e) < 0 || exec(st, "BEGIN", e) < 0) {
        return NULL;
    }
    struct snapshot *snap = NULL;
    struct rebuild r;
    memset(&r, 0, sizeof r);
    r.st = st;
    r.ft = query_i(st, INT64_MIN, "SELECT max(t) FROM frame WHERE t <= ?", 1, to_ms(t));
    int64_t oldest_frame = query_i(st, INT64_MAX, "SELECT min(t) FROM frame", 0);
    int from_rollups = 0;
    if (to_ms(t) < oldest_frame &&
        query_i(st, INT64_MIN, "SELECT max(t) FROM keyframe WHERE t <= ?", 1, to_ms(t)) !=
            INT64_MIN) {
        /* raw samples expired: the minute (else hour) the time falls in */
        from_rollups = 1;
        r.ft = floor_div(to_ms(t), 60000) * 60000;
    } else if (r.ft == INT64_MIN) {
        err_set(e, "history %s: nothing recorded at or before that time", st->path);
        goto out;
    }
    r.fv.n = st->nseries;
    r.fv.v = xcalloc(r.fv.n, sizeof *r.fv.v);
    r.fv.has = xcalloc(r.fv.n, 1);
    if ((from_rollups ? values_from_rollups(st, r.ft, &r.fv, e) : values_at(st, r.ft, &r.fv, e)) <
            0 ||
        load_docs(st, r.ft, &r.docs, e) < 0) {
        goto out;
    }
    r.by_name = xmalloc(st->nseries * sizeof *r.by_name);
    for (size_t i = 1; i < st->nseries; i++) {
        if (st->series[i].name) {
            r.by_name[r.nby_name++] = (uint32_t)i;
        }
    }
    qsort_r(r.by_name, r.nby_name, sizeof *r.by_name, cmp_name, st);
    char *text = store_flat_join((double)r.ft / 1000.0, rebuild_state, rebuild_values, &r, e);
    if (text) {
        snap = snapshot_json_parse(text, strlen(text), e);
        if (snap) {
            snap->replay = true;
        }
        free(text);
    }
out:
    strmap_clear(&r.docs);
    free(r.by_name);
    free(r.fv.v);
    free(r.fv.has);
    exec(st, "COMMIT", NULL);
    return snap;
}

int store_latest_time(struct store *st, double *t, struct err *e)
{
    int64_t v = query_i(st, INT64_MIN, "SELECT max(t) FROM frame", 0);
    if (v == INT64_MIN) {
        return err_set(e, "history %s: no frame recorded yet", st->path);
    }
    *t = (double)v / 1000.0;
    return 0;
}

int store_frame_times(struct store *st, double from, double to, double **times, size_t *n,
                      struct err *e)
{
    sqlite3_stmt *s = prep(st, "SELECT t FROM frame WHERE t >= ? AND t <= ? ORDER BY t", e);
    if (!s) {
        return -1;
    }
    sqlite3_bind_int64(s, 1, to_ms(from));
    sqlite3_bind_int64(s, 2, to_ms(to));
    size_t cap = 0;
    *times = NULL;
    *n = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        *times = xgrow(*times, &cap, *n + 1, sizeof **times);
        (*times)[(*n)++] = (double)sqlite3_column_int64(s, 0) / 1000.0;
    }
    sqlite3_finalize(s);
    return 0;
}

int store_frame_step(struct store *st, double t, int dir, double *out, struct err *e)
{
    int64_t v = dir < 0
                    ? query_i(st, INT64_MIN, "SELECT max(t) FROM frame WHERE t < ?", 1, to_ms(t))
                    : query_i(st, INT64_MIN, "SELECT min(t) FROM frame WHERE t > ?", 1, to_ms(t));
    if (v == INT64_MIN) {
        return err_set(e, dir < 0 ? "no earlier frame" : "no later frame");
    }
    *out = (double)v / 1000.0;
    return 0;
}

/* Typical frame spacing (ms) from the newest frames. */
static double cadence_ms(struct store *st)
{
    int64_t hi = query_i(st, 0, "SELECT max(t) FROM frame", 0);
    int64_t lo = query_i(st, 0,
                         "SELECT min(t) FROM (SELECT t FROM frame ORDER BY t DESC "
                         "LIMIT 64)",
                         0);
    int64_t n = query_i(st, 0,
                        "SELECT count(*) FROM (SELECT t FROM frame ORDER BY t DESC "
                        "LIMIT 64)",
                        0);
    return n > 1 ? (double)(hi - lo) / (double)(n - 1) : 10000.0;
}

struct buckets {
    double from, width;
    size_t n;
    double *sum, *wt;
};

static void bucket_add(struct buckets *b, double t, double v, double w)
{
    if (!isfinite(v) || t < b->from) {
        return;
    }
    size_t i = (size_t)((t - b->from) / b->width);
    if (i < b->n) {
        b->sum[i] += v * w;
        b->wt[i] += w;
    }
}

/* Raw samples of one series in [from, to] (ms), from chunks and the journal. */
static int raw_read(struct store *st, uint32_t sid, int64_t from, int64_t to, struct buckets *b,
                    struct err *e)
{
    sqlite3_stmt *w = prep(st,
                           "SELECT id, t0, t1 FROM chunk_window WHERE t1 >= ? AND t0 <= ? "
                           "ORDER BY id",
                           e);
    sqlite3_stmt *c = prep(st, "SELECT n, data FROM chunk WHERE key = ?", e);
    sqlite3_stmt *fr = prep(st, "SELECT t FROM frame WHERE t >= ? AND t <= ? ORDER BY t", e);
    if (!w || !c || !fr) {
        sqlite3_finalize(w);
        sqlite3_finalize(c);
        sqlite3_finalize(fr);
        return -1;
    }
    sqlite3_bind_int64(w, 1, from);
    sqlite3_bind_int64(w, 2, to);
    int64_t *ft = NULL;
    size_t cap = 0, capk = 0;
    uint32_t *ks = NULL;
    double *vs = NULL;
    while (sqlite3_step(w) == SQLITE_ROW) {
        int64_t wid = sqlite3_column_int64(w, 0);
        sqlite3_reset(c);
        sqlite3_bind_int64(c, 1, (wid << SID_BITS) | sid);
        if (sqlite3_step(c) != SQLITE_ROW) {
            continue;
        }
        uint32_t n = (uint32_t)sqlite3_column_int64(c, 0);
        size_t nf = 0;
        sqlite3_reset(fr);
        sqlite3_bind_int64(fr, 1, sqlite3_column_int64(w, 1));
        sqlite3_bind_int64(fr, 2, sqlite3_column_int64(w, 2));
        while (sqlite3_step(fr) == SQLITE_ROW) {
            ft = xgrow(ft, &cap, nf + 1, sizeof *ft);
            ft[nf++] = sqlite3_column_int64(fr, 0);
        }
        if (n > capk) {
            capk = n;
            ks = xrealloc(ks, capk * sizeof *ks);
            vs = xrealloc(vs, capk * sizeof *vs);
        }
        size_t got = chunk_decode(sqlite3_column_blob(c, 1), (size_t)sqlite3_column_bytes(c, 1), n,
                                  ks, vs, n);
        for (size_t i = 0; i < got; i++) {
            if (ks[i] >= nf || ft[ks[i]] < from || ft[ks[i]] > to) {
                continue;
            }
            double tt = (double)ft[ks[i]];
            bucket_add(b, tt, vs[i], 1);
        }
    }
    sqlite3_finalize(w);
    sqlite3_finalize(c);
    sqlite3_finalize(fr);
    free(ft);
    free(ks);
    free(vs);
    /* the open window */
    sqlite3_stmt *j = prep(st, "SELECT t, data FROM journal ORDER BY t", e);
    if (!j) {
        return -1;
    }
    size_t nprev = st->nseries;
    uint64_t *prev = xcalloc(nprev, sizeof *prev);
    struct journal_entry *ents = xmalloc(nprev * sizeof *ents);
    while (sqlite3_step(j) == SQLITE_ROW) {
        int64_t t = sqlite3_column_int64(j, 0);
        size_t n = journal_decode(sqlite3_column_blob(j, 1), (size_t)sqlite3_column_bytes(j, 1),
                                  prev, nprev, ents, nprev);
        if (n == (size_t)-1 || t < from || t > to) {
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            if (ents[i].sid == sid) {
                bucket_add(b, (double)t, ents[i].v, 1);
            }
        }
    }
    sqlite3_finalize(j);
    free(prev);
    free(ents);
    return 0;
}

static int rollup_read(struct store *st, const char *table, uint32_t sid, int64_t from_s,
                       int64_t to_s, struct buckets *b, struct err *e)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT t, avg, count FROM %s WHERE series_id = ? AND t >= ? AND t <= ?", table);
    sqlite3_stmt *s = prep(st, sql, e);
    if (!s) {
        return -1;
    }
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, from_s);
    sqlite3_bind_int64(s, 3, to_s);
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (sqlite3_column_type(s, 1) == SQLITE_NULL) {
            continue;
        }
        bucket_add(b, (double)sqlite3_column_int64(s, 0) * 1000.0, sqlite3_column_double(s, 1),
                   (double)sqlite3_column_int64(s, 2));
    }
    sqlite3_finalize(s);
    return 0;
}

int store_series_range(struct store *st, const char *name, double from, double to, size_t npoints,
                       double *out, enum store_tier *tier, struct err *e)
{
    for (size_t i = 0; i < npoints; i++) {
        out[i] = NAN;
    }
    if (npoints == 0 || !(to > from)) {
        return 0;
    }
    struct strmap_ent *m = strmap_find(&st->names, name, 0);
    if (!m) {
        if (load_series(st, e) < 0) {
            return -1;
        }
        m = strmap_find(&st->names, name, 0);
    }
    if (!m) {
        return 0;
    }
    uint32_t sid = (uint32_t)m->num;
    int64_t f = to_ms(from), t = to_ms(to);
    double span = (double)(t - f);
    double cad = cadence_ms(st);
    int64_t oldest_raw = query_i(st, INT64_MAX, "SELECT min(t) FROM frame", 0);
    enum store_tier chosen;
    if (span / cad <= 2.0 * (double)npoints && f + (int64_t)cad >= oldest_raw) {
        chosen = STORE_TIER_RAW;
    } else if (span / 60000.0 <= 2.0 * (double)npoints) {
        chosen = STORE_TIER_1M;
    } else if (span / 3600000.0 <= 2.0 * (double)npoints) {
        chosen = STORE_TIER_1H;
    } else {
        chosen = STORE_TIER_6H;
    }
    if (tier) {
        *tier = chosen;
    }
    struct buckets b = {(double)f, span / (double)npoints, npoints, NULL, NULL};
    b.sum = xcalloc(npoints, sizeof *b.sum);
    b.wt = xcalloc(npoints, sizeof *b.wt);
    int rc = exec(st, "BEGIN", e);
    if (rc == 0) {
        rc = chosen == STORE_TIER_RAW ? raw_read(st, sid, f, t, &b, e)
             : chosen == STORE_TIER_1M
                 ? rollup_read(st, "rollup_1m", sid, floor_div(f, 60000) * 60, t / 1000, &b, e)
             : chosen == STORE_TIER_1H
                 ? rollup_read(st, "rollup_1h", sid, floor_div(f, 3600000) * 3600, t / 1000, &b, e)
                 : rollup_read(st, "rollup_6h", sid, floor_div(f, 21600000) * 21600, t / 1000, &b,
                               e);
        /* Rollups are written when a window closes (hourly): the open window
         * exists only as raw frames. Read those too, or the newest part of
         * every long sparkline would be empty until the hour ends. */
        int64_t closed = query_i(st, INT64_MIN, "SELECT max(t1) FROM chunk_window", 0);
        if (rc == 0 && chosen != STORE_TIER_RAW && closed < t) {
            int64_t rf = closed > f ? closed + 1 : f;
            rc = raw_read(st, sid, rf, t, &b, e);
        }
        exec(st, "COMMIT", NULL);
    }
    /* raw points sparser than the columns: hold the last value across the
     * columns up to the next sample, unless a real gap (> 2 frames) */
    double hold = NAN, hold_t = -INFINITY;
    double tier_step = chosen == STORE_TIER_RAW  ? cad
                       : chosen == STORE_TIER_1M ? 60000.0
                       : chosen == STORE_TIER_1H ? 3600000.0
                                                 : 21600000.0;
    for (size_t i = 0; i < npoints; i++) {
        double col_t = b.from + b.width * (double)i;
        if (b.wt[i] > 0) {
            out[i] = b.sum[i] / b.wt[i];
            hold = out[i];
            hold_t = col_t + b.width;
        } else if (isfinite(hold) && col_t - hold_t < 2.0 * tier_step - b.width) {
            out[i] = hold;
        }
    }
    free(b.sum);
    free(b.wt);
    return rc;
}

/* ---- markers, events, findings ---- */

int store_mark(struct store *st, double t, const char *note, struct err *e)
{
    char *clean = text_clean(note ? note : "", note ? strlen(note) : 0);
    if (st->mode == STORE_VIEW) {
        exec(st, "PRAGMA query_only=0", NULL);
    }
    sqlite3_stmt *s = prep(st, "INSERT INTO marker(t, note) VALUES(?,?)", e);
    int rc = -1;
    if (s) {
        sqlite3_bind_int64(s, 1, to_ms(t));
        sqlite3_bind_text(s, 2, clean, -1, SQLITE_STATIC);
        rc = sqlite3_step(s) == SQLITE_DONE ? 0 : sql_err(st, e, "marker");
        sqlite3_finalize(s);
    }
    if (st->mode == STORE_VIEW) {
        exec(st, "PRAGMA query_only=1", NULL);
    }
    free(clean);
    return rc;
}

static char *col_dup(sqlite3_stmt *s, int i)
{
    const char *v = (const char *)sqlite3_column_text(s, i);
    return v ? xstrdup(v) : NULL;
}

/* Rows of `sql` (two int64 parameters, b1 and b2) into a new array of
 * elements of `size` bytes, each filled from its row by fill. */
static int window_rows(struct store *st, const char *sql, int64_t b1, int64_t b2, void **out,
                       size_t *n, size_t size, void (*fill)(sqlite3_stmt *s, void *elem),
                       struct err *e)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = prep(st, sql, e);
    if (!s) {
        return -1;
    }
    sqlite3_bind_int64(s, 1, b1);
    sqlite3_bind_int64(s, 2, b2);
    size_t cap = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        *out = xgrow(*out, &cap, *n + 1, size);
        fill(s, (char *)*out + size * (*n)++);
    }
    sqlite3_finalize(s);
    return 0;
}

static double col_time(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN
                                                    : (double)sqlite3_column_int64(s, i) / 1000.0;
}

static void fill_marker(sqlite3_stmt *s, void *elem)
{
    struct store_marker *x = elem;
    x->time = col_time(s, 0);
    x->note = col_dup(s, 1);
}

static void fill_event(sqlite3_stmt *s, void *elem)
{
    struct store_event *x = elem;
    x->time = col_time(s, 0);
    x->kind = col_dup(s, 1);
    x->entity = col_dup(s, 2);
    x->message = col_dup(s, 3);
}

static void fill_finding(sqlite3_stmt *s, void *elem)
{
    struct store_finding *x = elem;
    x->start = col_time(s, 0);
    x->end = col_time(s, 1);
    x->rule = col_dup(s, 2);
    x->severity = col_dup(s, 3);
    x->entity = col_dup(s, 4);
    x->message = col_dup(s, 5);
    x->evidence = col_dup(s, 6);
}

int store_markers(struct store *st, double from, double to, struct store_marker **out, size_t *n,
                  struct err *e)
{
    return window_rows(st, "SELECT t, note FROM marker WHERE t >= ? AND t <= ? ORDER BY t",
                       to_ms(from), to_ms(to), (void **)out, n, sizeof **out, fill_marker, e);
}

int store_events(struct store *st, double from, double to, struct store_event **out, size_t *n,
                 struct err *e)
{
    return window_rows(st,
                       "SELECT t, kind, entity, message FROM event WHERE t >= ? AND t <= ? "
                       "ORDER BY t, id",
                       to_ms(from), to_ms(to), (void **)out, n, sizeof **out, fill_event, e);
}

int store_findings(struct store *st, double from, double to, struct store_finding **out, size_t *n,
                   struct err *e)
{
    /* episodes overlapping the window: begun by its end, not ended before it */
    return window_rows(st,
                       "SELECT start, end, rule, severity, entity, message, evidence "
                       "FROM finding WHERE start <= ? AND (end IS NULL OR end >= ?) "
                       "ORDER BY start, id",
                       to_ms(to), to_ms(from), (void **)out, n, sizeof **out, fill_finding, e);
}

void store_markers_free(struct store_marker *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(m[i].note);
    }
    free(m);
}

void store_events_free(struct store_event *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].kind);
        free(v[i].entity);
        free(v[i].message);
    }
    free(v);
}

void store_findings_free(struct store_finding *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(f[i].rule);
        free(f[i].severity);
        free(f[i].entity);
        free(f[i].message);
        free(f[i].evidence);
    }
    free(f);
}

char *store_default_path(void)
{
    const char *env = getenv("SCALETOP_DB");
    if (env && *env) {
        return xstrdup(env);
    }
    const char *state = getenv("XDG_STATE_HOME");
    if (state && *state == '/') {
        return xasprintf("%s/scaletop/history.db", state);
    }
    const char *home = getenv("HOME");
    return xasprintf("%s/.local/state/scaletop/history.db", home && *home ? home : ".");
}

int store_prepare_dir(const char *path, struct err *e)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) {
        free(dir);
        return 0;
    }
    *slash = 0;
    for (char *p = dir + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
                err_set(e, "cannot create directory %s: %s", dir, strerror(errno));
                free(dir);
                return -1;
            }
            *p = c;
            if (!c) {
                break;
            }
        }
    }
    free(dir);
    return 0;
}
