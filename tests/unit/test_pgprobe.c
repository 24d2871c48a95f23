/*
 * The PostgreSQL poller against a real throwaway cluster (tests/pg.sh) with
 * real load: every number is compared with what PostgreSQL itself reports
 * through psql as superuser, taken just before and just after the poll.
 *
 * The cluster is the one described by the env file in SCALETOP_PG_ENV when
 * set; otherwise the first case starts one with tests/pg.sh (from the source
 * tree, SCALETOP_SRC or the current directory) and atexit() stops it. Cases
 * run in order and share it; the last one stops and restarts the server.
 */
#include "backend/pgprobe.h"
#include "backend/source.h"
#include "tests/lib/test.h"

#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct pg_fixture {
    bool tried, ok, own, load;
    char dir[128];
    char pg_sh[512];
    char pgbin[512], port[16], super[512], conninfo[512], password[128];
};

static struct pg_fixture fx;

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Appends s to buf in single quotes for sh. */
static void sh_quote(char *buf, size_t size, const char *s)
{
    size_t o = strlen(buf);
    if (o + 1 < size) {
        buf[o++] = '\'';
    }
    for (; *s && o + 5 < size; s++) {
        if (*s == '\'') {
            memcpy(buf + o, "'\\''", 4);
            o += 4;
        } else {
            buf[o++] = *s;
        }
    }
    if (o + 1 < size) {
        buf[o++] = '\'';
    }
    buf[o] = '\0';
}

/* Runs a shell command; returns its whole stdout+stderr (caller frees) and exit status. */
static char *sh_run(const char *cmd, int *status)
{
    FILE *f = popen(cmd, "r");
    if (!f) {
        *status = -1;
        return strdup("");
    }
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    size_t n;
    while ((n = fread(out + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            out = realloc(out, cap);
        }
    }
    out[len] = '\0';
    int st = pclose(f);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' ')) {
        out[--len] = '\0';
    }
    return out;
}

/* Runs SQL as the superuser; returns unaligned, tuples-only output (caller frees), NULL on error.
 */
static char *psql(const char *sql)
{
    char cmd[8192] = "";
    snprintf(cmd, sizeof cmd, "%s/psql -X -A -t -q -v ON_ERROR_STOP=1 -d ", fx.pgbin);
    sh_quote(cmd, sizeof cmd, fx.super);
    strncat(cmd, " -c ", sizeof cmd - strlen(cmd) - 1);
    sh_quote(cmd, sizeof cmd, sql);
    strncat(cmd, " 2>&1", sizeof cmd - strlen(cmd) - 1);
    int st;
    char *out = sh_run(cmd, &st);
    if (st != 0) {
        printf("# psql failed (%d): %s\n", st, out);
        free(out);
        return NULL;
    }
    return out;
}

static bool psql_ok(const char *sql)
{
    char *out = psql(sql);
    free(out);
    return out != NULL;
}

static double psql_num(const char *sql)
{
    char *out = psql(sql);
    double v = NAN;
    if (out && *out) {
        char *end;
        v = strtod(out, &end);
        if (end == out) {
            v = NAN;
        }
    }
    free(out);
    return v;
}

static void read_env_value(const char *text, const char *key, char *out, size_t size)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\n%s='", key);
    char *t = malloc(strlen(text) + 2);
    t[0] = '\n';
    strcpy(t + 1, text);
    const char *p = strstr(t, pat);
    out[0] = '\0';
    if (p) {
        p += strlen(pat);
        const char *q = strchr(p, '\'');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if (n >= size) {
            n = size - 1;
        }
        memcpy(out, p, n);
        out[n] = '\0';
    }
    free(t);
}

static void fixture_stop(void)
{
    if (fx.own && fx.ok) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "sh %s stop %s >/dev/null 2>&1", fx.pg_sh, fx.dir);
        if (system(cmd) != 0) {
            printf("# pg.sh stop failed\n");
        }
        fx.ok = false;
    }
}

/* The shared cluster; records a failure and returns false when it cannot be had. */
static bool need_pg(void)
{
    if (fx.tried) {
        if (!fx.ok) {
            test_fail(__FILE__, __LINE__, "no PostgreSQL cluster (see the first failure)");
        }
        return fx.ok;
    }
    fx.tried = true;
    const char *src = getenv("SCALETOP_SRC");
    snprintf(fx.pg_sh, sizeof fx.pg_sh, "%s/tests/pg.sh", src && *src ? src : ".");
    const char *env = getenv("SCALETOP_PG_ENV");
    char envpath[512];
    if (env && *env) {
        snprintf(envpath, sizeof envpath, "%s", env);
        snprintf(fx.dir, sizeof fx.dir, "%.*s",
                 (int)(strrchr(env, '/') ? strrchr(env, '/') - env : 0), env);
    } else {
        snprintf(fx.dir, sizeof fx.dir, "/tmp/scaletop-pgprobe.XXXXXX");
        if (!mkdtemp(fx.dir)) {
            test_fail(__FILE__, __LINE__, "mkdtemp failed");
            return false;
        }
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "PG_LIFETIME=600 sh %s start %s 2>&1", fx.pg_sh, fx.dir);
        int st;
        char *out = sh_run(cmd, &st);
        if (st != 0) {
            test_fail(__FILE__, __LINE__, "tests/pg.sh start failed: %s", out);
            free(out);
            rmdir(fx.dir);
            return false;
        }
        free(out);
        fx.own = true;
        fx.ok = true; /* so that atexit stops it even if reading env fails */
        atexit(fixture_stop);
        snprintf(envpath, sizeof envpath, "%s/env", fx.dir);
    }
    char *text = test_read_file(envpath, NULL);
    if (!text) {
        test_fail(__FILE__, __LINE__, "cannot read %s", envpath);
        fx.ok = false;
        fixture_stop();
        return false;
    }
    read_env_value(text, "PGBIN", fx.pgbin, sizeof fx.pgbin);
    read_env_value(text, "PGPORT", fx.port, sizeof fx.port);
    read_env_value(text, "PG_SUPER_CONNINFO", fx.super, sizeof fx.super);
    read_env_value(text, "SCALETOP_PG_CONNINFO", fx.conninfo, sizeof fx.conninfo);
    read_env_value(text, "SCALETOP_PG_PASSWORD", fx.password, sizeof fx.password);
    free(text);
    fx.ok = fx.pgbin[0] && fx.port[0] && fx.super[0] && fx.conninfo[0] && fx.password[0];
    if (!fx.ok) {
        test_fail(__FILE__, __LINE__, "incomplete env file %s", envpath);
        fx.ok = true;
        fixture_stop();
        return false;
    }
    return true;
}

static bool need_load(void)
{
    if (!need_pg()) {
        return false;
    }
    if (!fx.load) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "sh %s load %s 240 2>&1", fx.pg_sh, fx.dir);
        int st;
        char *out = sh_run(cmd, &st);
        if (st != 0) {
            test_fail(__FILE__, __LINE__, "tests/pg.sh load failed: %s", out);
        }
        free(out);
        fx.load = st == 0;
    }
    return fx.load;
}

static struct config test_config(void)
{
    struct config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.connect_timeout_s = 3;
    cfg.request_timeout_s = 4;
    return cfg;
}

/* A fresh snapshot polled by p at the current time (caller unrefs). */
static struct snapshot *poll_once(struct pgprobe *p, double now)
{
    struct snapshot *s = snapshot_new(now);
    pgprobe_poll(p, s, now);
    return s;
}

static const struct source_state *pg_source(const struct snapshot *s)
{
    const struct source_state *src = snapshot_find_source(s, "postgres");
    if (!src) {
        test_fail(__FILE__, __LINE__, "no postgres source in the snapshot");
    }
    return src;
}

static bool contains(const char *hay, const char *needle)
{
    return hay && needle && strstr(hay, needle) != NULL;
}

/* The query psql uses to count what the probe counts: client sessions other
 * than psql's own and the probe's. */
static double count_sessions(int probe_pid, const char *filter)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
             " AND pid <> pg_backend_pid() AND pid <> %d %s",
             probe_pid, filter);
    return psql_num(sql);
}

#define CHECK_BETWEEN(v, lo, hi)                                                                   \
    do {                                                                                           \
        double v_ = (v), lo_ = (lo), hi_ = (hi);                                                   \
        if (!(v_ >= lo_ && v_ <= hi_))                                                             \
            test_fail(__FILE__, __LINE__, "%s == %.9g, expected within [%.9g, %.9g]", #v, v_, lo_, \
                      hi_);                                                                        \
    } while (0)

TEST(pgprobe_scrub_hides_secrets_and_quoted_fragments)
{
    const char *secrets[] = {"s3cret", "p%40ss"};
    char out[128];
    pgprobe_scrub("FATAL:  password s3cret\n\trejected\n", secrets, 2, 0, out, sizeof out);
    CHECK_STR(out, "FATAL: password *** rejected");
    pgprobe_scrub("missing \"=\" after \"hunter2\" in connection info string", secrets, 2, 1, out,
                  sizeof out);
    CHECK_STR(out, "missing \"***\" after \"***\" in connection info string");
    CHECK(!contains(out, "hunter2"));
    pgprobe_scrub("bad URI \"postgresql://u:p%40ss@h/db\"", secrets, 2, 0, out, sizeof out);
    CHECK_STR(out, "bad URI \"postgresql://u:***@h/db\"");
    pgprobe_scrub("x s3cret y", secrets, 2, 0, out, 6);
    CHECK(!contains(out, "s3c"));
    CHECK(strlen(out) <= 5);
}

TEST(pgprobe_not_configured_is_disabled_with_hint)
{
    unsetenv("PGHOST");
    unsetenv("PGHOSTADDR");
    unsetenv("PGSERVICE");
    unsetenv("PGDATABASE");
    struct config cfg = test_config();
    CHECK(postgres_source_ops.create(&cfg) == NULL);
    struct snapshot *s = snapshot_new(1000);
    postgres_source_ops.add_disabled(s);
    const struct source_state *src = pg_source(s);
    if (src) {
        CHECK_INT(src->status, SOURCE_DISABLED);
        CHECK(contains(src->hint, "--pg"));
        CHECK(contains(src->hint, "pg_monitor"));
    }
    snapshot_unref(s);
    postgres_source_ops.destroy(NULL);
}

TEST(pgprobe_idle_cluster_matches_server)
{
    if (!need_pg()) {
        return;
    }
    struct config cfg = test_config();
    cfg.pg_conninfo = fx.conninfo;
    void *state = postgres_source_ops.create(&cfg);
    CHECK(state != NULL);
    if (!state) {
        return;
    }
    struct pgprobe *p = state;
    double t = wall_now();
    struct snapshot *s = poll_once(p, t);
    const struct source_state *src = pg_source(s);
    const struct postgres *pg = &s->postgres;
    int pid = pgprobe_backend_pid(p);
    CHECK(pid > 0);
    if (src) {
        CHECK_INT(src->status, SOURCE_OK);
        CHECK(src->error == NULL);
        CHECK_NEAR(src->last_ok, t, 1e-6);
        CHECK(src->latency_ms > 0 && src->latency_ms < 4000);
    }
    CHECK_INT(pg->up, TRI_TRUE);
    CHECK_INT(pg->stats_visible, TRI_TRUE);
    CHECK_INT(pg->in_recovery, psql_num("SELECT pg_is_in_recovery()::int") ? TRI_TRUE : TRI_FALSE);
    CHECK_INT(pg->in_recovery, TRI_FALSE);
    CHECK_NEAR(pg->server_version_num, psql_num("SELECT current_setting('server_version_num')"), 0);
    char *ver = psql("SHOW server_version");
    CHECK_STR(pg->version, ver);
    free(ver);
    /* pg.sh sets max_connections 40 and superuser_reserved_connections 3. */
    CHECK_NEAR(pg->connections.max,
               psql_num("SELECT current_setting('max_connections')::int"
                        " - current_setting('superuser_reserved_connections')::int"
                        " - coalesce(current_setting('reserved_connections', true), '0')::int"),
               0);
    CHECK_NEAR(pg->connections.max, 37, 0);
    /* The probe's own session is identified and read-only. */
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM pg_stat_activity WHERE pid = %d"
             " AND application_name = 'scaletop' AND usename = 'scaletop'",
             pid);
    CHECK_NEAR(psql_num(sql), 1, 0);
    CHECK_NEAR(pg->connections.used, count_sessions(pid, ""), 0);
    CHECK_NEAR(pg->connections.active, count_sessions(pid, "AND state = 'active'"), 0);
    CHECK_NEAR(pg->connections.idle_in_transaction,
               count_sessions(pid, "AND state LIKE 'idle in transaction%'"), 0);
    CHECK(pg->rtt_ms > 0 && pg->rtt_ms < 1000);
    CHECK_INT(s->postgres.nreplication, 0);
    CHECK_NEAR(psql_num("SELECT count(*) FROM pg_stat_replication"), 0, 0);
    CHECK_NEAR(pg->notify_queue_usage, psql_num("SELECT pg_notification_queue_usage()"), 0);
    CHECK_NEAR(pg->db_size_bytes, psql_num("SELECT pg_database_size('coder')"), 1 << 20);
    CHECK(pg->xid_age > 0 &&
          pg->xid_age <= psql_num("SELECT max(age(datfrozenxid)) FROM pg_database"));
    /* Rates need two polls: unknown on the first, never a made-up 0. */
    CHECK(isnan(pg->tps));
    CHECK(isnan(pg->deadlocks_per_s));
    snapshot_unref(s);

    sleep_s(1.1);
    s = poll_once(p, t + 1.1);
    CHECK(isfinite(s->postgres.tps) && s->postgres.tps >= 0);
    CHECK_NEAR(s->postgres.deadlocks_per_s, 0, 0);
    CHECK_INT(pgprobe_backend_pid(p), pid); /* the same persistent session */
    snapshot_unref(s);
    postgres_source_ops.destroy(state);
}

struct load_pids {
    int holder, waiter, idle, listener;
};

static struct load_pids load_pids(void)
{
    struct load_pids l;
    l.holder = (int)psql_num("SELECT pid FROM pg_stat_activity"
                             " WHERE application_name = 'scaletop-load-holder'");
    l.waiter = (int)psql_num("SELECT pid FROM pg_stat_activity"
                             " WHERE application_name = 'scaletop-load-waiter'");
    l.idle = (int)psql_num("SELECT pid FROM pg_stat_activity"
                           " WHERE application_name = 'scaletop-load-idle'");
    l.listener = (int)psql_num("SELECT pid FROM pg_stat_activity"
                               " WHERE application_name = 'scaletop-load-listener'");
    return l;
}

/* Polls psql until SQL returns 1, at most 10 s. */
static bool wait_true(const char *sql)
{
    for (int i = 0; i < 100; i++) {
        if (psql_num(sql) == 1) {
            return true;
        }
        sleep_s(0.1);
    }
    return false;
}

TEST(pgprobe_under_load_matches_server)
{
    if (!need_load()) {
        return;
    }
    struct load_pids l = load_pids();
    CHECK(l.holder > 0 && l.waiter > 0 && l.idle > 0 && l.listener > 0);
    struct config cfg = test_config();
    struct pgprobe *p = pgprobe_new(fx.conninfo, &cfg);
    double t = wall_now();

    /* Before and after readings bracket what the probe saw. */
    const char *xact_sql = "SELECT max(extract(epoch FROM clock_timestamp() - xact_start))"
                           " FROM pg_stat_activity WHERE backend_type = 'client backend'"
                           " AND pid <> pg_backend_pid() AND application_name <> 'scaletop'";
    const char *ckpt_sql =
        "SELECT checkpoints_timed || ' ' || checkpoints_req FROM pg_stat_bgwriter";
    double xact0 = psql_num(xact_sql);
    double notify0 = psql_num("SELECT pg_notification_queue_usage()");
    double used0 = count_sessions(0, "AND application_name <> 'scaletop'");
    char *ck0 = psql(ckpt_sql);
    struct snapshot *s = poll_once(p, t);
    double xact1 = psql_num(xact_sql);
    double notify1 = psql_num("SELECT pg_notification_queue_usage()");
    double used1 = count_sessions(0, "AND application_name <> 'scaletop'");
    int pid = pgprobe_backend_pid(p);
    const struct postgres *pg = &s->postgres;
    const struct source_state *src = pg_source(s);
    if (src) {
        CHECK_INT(src->status, SOURCE_OK);
        CHECK(src->error == NULL);
    }

    CHECK_BETWEEN(pg->connections.used, fmin(used0, used1), fmax(used0, used1));
    /* holder, idle-in-transaction session and the listener; pgbench's four
     * clients may be between two statements of a transaction. */
    CHECK_BETWEEN(pg->connections.idle_in_transaction, 3, 3 + 4);
    CHECK(pg->connections.waiting >= 1);
    CHECK_BETWEEN(pg->oldest_xact_s, xact0, xact1);
    CHECK(pg->oldest_xact_s > 0.1);
    CHECK(pg->notify_queue_usage > 0);
    CHECK_BETWEEN(pg->notify_queue_usage, notify0, notify1);

    /* The lock wait and its blocker, as pg_blocking_pids says. */
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT (pg_blocking_pids(%d))[1]", l.waiter);
    CHECK_NEAR(psql_num(sql), l.holder, 0);
    bool found = false;
    for (size_t i = 0; i < pg->nlock_waits; i++) {
        const struct pg_lock_wait *w = &pg->lock_waits[i];
        if ((int)w->pid == l.waiter) {
            found = true;
            CHECK_NEAR(w->blocked_by, l.holder, 0);
            CHECK(w->wait_s > 0);
            CHECK(contains(w->query, "UPDATE scaletop_lock"));
        }
    }
    CHECK(found);
    snapshot_unref(s);

    /* Between two polls: a deadlock, a query that spills to temp files and a
     * requested checkpoint, each confirmed by the server before polling again. */
    double dl0 = psql_num("SELECT sum(deadlocks) FROM pg_stat_database");
    double tb0 = psql_num("SELECT sum(temp_bytes) FROM pg_stat_database");
    CHECK(psql_ok("CREATE TABLE IF NOT EXISTS scaletop_dl (id int PRIMARY KEY, v int);"
                  " INSERT INTO scaletop_dl VALUES (1, 0), (2, 0) ON CONFLICT DO NOTHING"));
    char cmd[4096] = "";
    char a[1024], b[1024];
    snprintf(
        a, sizeof a,
        "%s/psql -X -q -d '%s' -c 'BEGIN' -c 'UPDATE scaletop_dl SET v = 1 WHERE id = 1'"
        " -c 'SELECT pg_sleep(0.5)' -c 'UPDATE scaletop_dl SET v = 1 WHERE id = 2' -c 'COMMIT'",
        fx.pgbin, fx.super);
    snprintf(
        b, sizeof b,
        "%s/psql -X -q -d '%s' -c 'BEGIN' -c 'UPDATE scaletop_dl SET v = 2 WHERE id = 2'"
        " -c 'SELECT pg_sleep(0.5)' -c 'UPDATE scaletop_dl SET v = 2 WHERE id = 1' -c 'COMMIT'",
        fx.pgbin, fx.super);
    snprintf(cmd, sizeof cmd, "(%s & %s & wait) >/dev/null 2>&1", a, b);
    CHECK(system(cmd) == 0);
    char *spill = psql("SET work_mem = '64kB'; SELECT count(*) FROM (SELECT g FROM"
                       " generate_series(1, 200000) g ORDER BY g DESC) s");
    free(spill);
    CHECK(psql_ok("CHECKPOINT"));
    snprintf(sql, sizeof sql, "SELECT (sum(deadlocks) > %.0f)::int FROM pg_stat_database", dl0);
    CHECK(wait_true(sql));
    snprintf(sql, sizeof sql, "SELECT (sum(temp_bytes) > %.0f)::int FROM pg_stat_database", tb0);
    CHECK(wait_true(sql));
    sleep_s(0.5);

    double t2 = wall_now();
    s = poll_once(p, t + (t2 - t));
    char *ck1 = psql(ckpt_sql);
    pg = &s->postgres;
    CHECK_INT(pgprobe_backend_pid(p), pid);
    /* pgbench runs at about 50 transactions/s; the sessions of this test add a few. */
    CHECK_BETWEEN(pg->tps, 5, 2000);
    CHECK(pg->deadlocks_per_s > 0);
    CHECK(pg->temp_bytes_per_s > 0);
    CHECK_BETWEEN(pg->cache_hit_ratio, 0, 1);
    double timed0 = 0, req0 = 0, timed1 = 0, req1 = 0;
    if (ck0 && ck1 && sscanf(ck0, "%lf %lf", &timed0, &req0) == 2 &&
        sscanf(ck1, "%lf %lf", &timed1, &req1) == 2) {
        CHECK(req1 > req0);
        CHECK_NEAR(pg->checkpoints_req_ratio, (req1 - req0) / ((req1 - req0) + (timed1 - timed0)),
                   1e-9);
    } else {
        CHECK(!"reading pg_stat_bgwriter");
    }
    free(ck0);
    free(ck1);
    CHECK_NEAR(pg->db_size_bytes, psql_num("SELECT pg_database_size('coder')"), 4 << 20);
    snapshot_unref(s);
    pgprobe_free(p);
}

TEST(pgprobe_without_pg_monitor_says_numbers_are_hidden)
{
    if (!need_load()) {
        return;
    }
    free(psql("DROP ROLE IF EXISTS scaletop_nomon"));
    CHECK(psql_ok("CREATE ROLE scaletop_nomon LOGIN PASSWORD 'nomon-pw-5150'"));
    char conninfo[512];
    snprintf(conninfo, sizeof conninfo,
             "host=127.0.0.1 port=%s dbname=coder user=scaletop_nomon password=nomon-pw-5150",
             fx.port);
    struct config cfg = test_config();
    struct pgprobe *p = pgprobe_new(conninfo, &cfg);
    struct snapshot *s = poll_once(p, wall_now());
    const struct source_state *src = pg_source(s);
    const struct postgres *pg = &s->postgres;
    if (src) {
        CHECK_INT(src->status, SOURCE_OK);
        CHECK_INT(src->reason, REASON_NO_PERMISSION);
        CHECK(contains(src->error, "GRANT pg_monitor TO scaletop_nomon"));
        CHECK(!contains(src->error, "nomon-pw-5150"));
    }
    CHECK_INT(pg->up, TRI_TRUE);
    CHECK_INT(pg->stats_visible, TRI_FALSE);
    /* Unknown, not zero. */
    CHECK(isnan(pg->connections.active));
    CHECK(isnan(pg->connections.idle_in_transaction));
    CHECK(isnan(pg->connections.waiting));
    CHECK(isnan(pg->oldest_xact_s));
    CHECK_INT(pg->nlock_waits, 0);
    /* Still known: sessions attached to a database, the limit, the queue. */
    CHECK(pg->connections.used >= 9);
    CHECK_NEAR(pg->connections.max, 37, 0);
    CHECK(pg->notify_queue_usage > 0);
    snapshot_unref(s);
    pgprobe_free(p);
    free(psql("DROP ROLE IF EXISTS scaletop_nomon"));
}

/* True when no string the snapshot carries for postgres contains needle. */
static bool snapshot_clean_of(const struct snapshot *s, const char *needle)
{
    for (size_t i = 0; i < s->nsources; i++) {
        const struct source_state *src = &s->sources[i];
        if (contains(src->error, needle) || contains(src->hint, needle) ||
            contains(src->name, needle)) {
            return false;
        }
    }
    if (contains(s->postgres.version, needle)) {
        return false;
    }
    for (size_t i = 0; i < s->postgres.nlock_waits; i++) {
        if (contains(s->postgres.lock_waits[i].query, needle)) {
            return false;
        }
    }
    for (size_t i = 0; i < s->postgres.nreplication; i++) {
        if (contains(s->postgres.replication[i].name, needle) ||
            contains(s->postgres.replication[i].state, needle)) {
            return false;
        }
    }
    return true;
}

static void check_error_without(const char *conninfo, const char *secret, const char *want,
                                enum source_reason reason)
{
    struct config cfg = test_config();
    struct pgprobe *p = pgprobe_new(conninfo, &cfg);
    double t0 = mono();
    struct snapshot *s = poll_once(p, wall_now());
    CHECK(mono() - t0 < 8);
    const struct source_state *src = pg_source(s);
    if (src) {
        CHECK_INT(src->status, SOURCE_ERROR);
        CHECK_INT(src->reason, reason);
        if (!contains(src->error, want)) {
            test_fail(__FILE__, __LINE__, "error \"%s\" lacks \"%s\"",
                      src->error ? src->error : "(null)", want);
        }
    }
    CHECK_INT(s->postgres.up, TRI_FALSE);
    CHECK(snapshot_clean_of(s, secret));
    snapshot_unref(s);
    pgprobe_free(p);
}

TEST(pgprobe_password_never_reaches_the_snapshot)
{
    if (!need_load()) {
        return;
    }
    char conninfo[512];
    snprintf(conninfo, sizeof conninfo,
             "host=127.0.0.1 port=%s dbname=coder user=scaletop password=Wr0ng-secret-9931",
             fx.port);
    check_error_without(conninfo, "Wr0ng-secret-9931", "password authentication failed",
                        REASON_UNAUTHORIZED);
    check_error_without("host=127.0.0.1 password leak-me-7781 port=1", "leak-me-7781",
                        "invalid PostgreSQL connection string", REASON_NOT_CONFIGURED);
    check_error_without("host=127.0.0.1 password='leak me-7782", "leak me-7782",
                        "invalid PostgreSQL connection string", REASON_NOT_CONFIGURED);
    check_error_without("host=/nonexistent-scaletop port=5 password=sock-secret-44",
                        "sock-secret-44", "/nonexistent-scaletop/.s.PGSQL.5", REASON_UNREACHABLE);
    check_error_without("postgresql://scaletop:uri-secret-42@127.0.0.1:1/coder", "uri-secret-42",
                        "cannot connect to PostgreSQL", REASON_UNREACHABLE);
    check_error_without("postgresql://scaletop:uri-secret-43@127.0.0.1:notaport/coder",
                        "uri-secret-43", "invalid", REASON_NOT_CONFIGURED);
    check_error_without("postgresql://scaletop:uri%2Dsecret@[::1/coder", "uri%2Dsecret",
                        "invalid PostgreSQL connection string", REASON_NOT_CONFIGURED);

    /* A working probe whose password shows up in another session's query text:
     * a statement blocked behind the load's lock holder. */
    char cmd[2048], sqltext[512];
    snprintf(sqltext, sizeof sqltext,
             "UPDATE scaletop_lock SET v = v + 1 WHERE id = 1 AND '%s' <> ''"
             " /* password hunter2-kw */",
             fx.password);
    snprintf(cmd, sizeof cmd,
             "%s/psql -X -q -d '%s application_name=scaletop-test-secret' -c \"%s\""
             " >/dev/null 2>&1 &",
             fx.pgbin, fx.super, sqltext);
    CHECK(system(cmd) == 0);
    CHECK(wait_true("SELECT count(*) FROM pg_stat_activity WHERE application_name ="
                    " 'scaletop-test-secret' AND wait_event_type = 'Lock'"));
    struct config cfg = test_config();
    struct pgprobe *p = pgprobe_new(fx.conninfo, &cfg);
    struct snapshot *s = poll_once(p, wall_now());
    CHECK_INT(pg_source(s) ? pg_source(s)->status : SOURCE_NEVER, SOURCE_OK);
    bool seen = false;
    for (size_t i = 0; i < s->postgres.nlock_waits; i++) {
        const char *q = s->postgres.lock_waits[i].query;
        if (contains(q, "AND '***' <> ''")) {
            seen = true;
            CHECK(contains(q, "password [redacted]"));
        }
    }
    CHECK(seen);
    CHECK(snapshot_clean_of(s, fx.password));
    CHECK(snapshot_clean_of(s, "hunter2-kw"));
    snapshot_unref(s);
    pgprobe_free(p);
    free(psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
              " WHERE application_name = 'scaletop-test-secret'"));
}

TEST(pgprobe_uses_libpq_environment_and_hides_its_password)
{
    if (!need_pg()) {
        return;
    }
    struct config cfg = test_config();
    setenv("PGHOST", "127.0.0.1", 1);
    setenv("PGPORT", fx.port, 1);
    setenv("PGUSER", "scaletop", 1);
    setenv("PGDATABASE", "coder", 1);
    setenv("PGPASSWORD", fx.password, 1);
    void *state = postgres_source_ops.create(&cfg); /* no --pg: PGHOST enables it */
    CHECK(state != NULL);
    struct snapshot *s = state ? poll_once(state, wall_now()) : snapshot_new(0);
    CHECK(pg_source(s) && pg_source(s)->status == SOURCE_OK);
    CHECK_INT(s->postgres.up, TRI_TRUE);
    CHECK_INT(s->postgres.stats_visible, TRI_TRUE);
    snapshot_unref(s);
    postgres_source_ops.destroy(state);

    /* A wrong PGPASSWORD: refused, and the message does not repeat it. */
    setenv("PGPASSWORD", "env-secret-7419", 1);
    state = postgres_source_ops.create(&cfg);
    s = state ? poll_once(state, wall_now()) : snapshot_new(0);
    const struct source_state *src = pg_source(s);
    CHECK(src && src->status == SOURCE_ERROR && src->reason == REASON_UNAUTHORIZED);
    CHECK(snapshot_clean_of(s, "env-secret-7419"));
    snapshot_unref(s);
    postgres_source_ops.destroy(state);

    /* A bare database name is what libpq takes it for, not a malformed string. */
    setenv("PGPASSWORD", fx.password, 1);
    char dbname[] = "coder";
    cfg.pg_conninfo = dbname;
    state = postgres_source_ops.create(&cfg);
    s = state ? poll_once(state, wall_now()) : snapshot_new(0);
    CHECK(pg_source(s) && pg_source(s)->status == SOURCE_OK);
    snapshot_unref(s);
    postgres_source_ops.destroy(state);

    unsetenv("PGHOST");
    unsetenv("PGPORT");
    unsetenv("PGUSER");
    unsetenv("PGDATABASE");
    unsetenv("PGPASSWORD");
}

TEST(pgprobe_blocked_statement_is_cut_by_lock_timeout)
{
    if (!need_pg()) {
        return;
    }
    struct config cfg = test_config(); /* statement_timeout 2 s, lock_timeout 0.5 s */
    struct pgprobe *p = pgprobe_new(fx.conninfo, &cfg);
    double t = wall_now();
    struct snapshot *s = poll_once(p, t);
    CHECK_INT(pg_source(s) ? pg_source(s)->status : SOURCE_NEVER, SOURCE_OK);
    snapshot_unref(s);

    /* A superuser session holds an exclusive lock on a view the probe reads. */
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "%s/psql -X -q -d '%s application_name=scaletop-test-locker'"
             " -c 'BEGIN' -c 'LOCK TABLE pg_stat_bgwriter IN ACCESS EXCLUSIVE MODE'"
             " -c 'SELECT pg_sleep(6)' -c 'COMMIT' >/dev/null 2>&1 &",
             fx.pgbin, fx.super);
    CHECK(system(cmd) == 0);
    CHECK(wait_true("SELECT count(*) FROM pg_locks WHERE relation = 'pg_stat_bgwriter'::regclass"
                    " AND mode = 'AccessExclusiveLock' AND granted"));
    double t0 = mono();
    s = poll_once(p, t + 1);
    double took = mono() - t0;
    const struct source_state *src = pg_source(s);
    /* Cut by lock_timeout (0.5 s), not by statement_timeout (2 s) nor by the 4 s deadline,
     * and certainly not left waiting for the 6 s lock. */
    CHECK(took < 4.5);
    if (src) {
        CHECK_INT(src->status, SOURCE_OK);
        CHECK(contains(src->error, "checkpoints"));
        CHECK(contains(src->error, "lock timeout"));
        CHECK(!contains(src->error, "statement timeout"));
    }
    CHECK(isnan(s->postgres.checkpoints_req_ratio));
    CHECK_INT(s->postgres.up, TRI_TRUE);
    CHECK(isfinite(s->postgres.connections.used)); /* the rest of the poll went on */
    CHECK(pgprobe_backend_pid(p) > 0);
    snapshot_unref(s);
    free(psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
              " WHERE application_name = 'scaletop-test-locker'"));
    s = poll_once(p, t + 2);
    CHECK(pg_source(s) && pg_source(s)->error == NULL);
    snapshot_unref(s);
    pgprobe_free(p);
}

static int run_pg_sh(const char *what);

TEST(pgprobe_server_that_never_answers_times_out)
{
    /* A listener that never accepts: the kernel completes the TCP handshake,
     * then nothing ever answers libpq's first packet. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 8) == 0 &&
          getsockname(fd, (struct sockaddr *)&a, &alen) == 0);
    char conninfo[256];
    snprintf(conninfo, sizeof conninfo,
             "host=127.0.0.1 port=%d dbname=coder user=scaletop password=blackhole-pw-1",
             ntohs(a.sin_port));
    struct config cfg = test_config(); /* connect timeout 3 s */
    struct pgprobe *p = pgprobe_new(conninfo, &cfg);
    double t0 = mono();
    struct snapshot *s = poll_once(p, wall_now());
    double took = mono() - t0;
    CHECK(took >= 2.5 && took < 5.0);
    const struct source_state *src = pg_source(s);
    if (src) {
        CHECK_INT(src->status, SOURCE_ERROR);
        CHECK_INT(src->reason, REASON_TIMEOUT);
        CHECK(contains(src->error, "no answer within 3 s"));
    }
    CHECK_INT(s->postgres.up, TRI_FALSE);
    CHECK(snapshot_clean_of(s, "blackhole-pw-1"));
    snapshot_unref(s);
    pgprobe_free(p);
    close(fd);
}

TEST(pgprobe_hung_session_is_dropped_then_replaced)
{
    if (!need_pg()) {
        return;
    }
    struct config cfg = test_config(); /* request timeout 4 s */
    struct pgprobe *p = pgprobe_new(fx.conninfo, &cfg);
    double t = wall_now();
    struct snapshot *s = poll_once(p, t);
    CHECK(pg_source(s) && pg_source(s)->status == SOURCE_OK);
    snapshot_unref(s);
    int pid = pgprobe_backend_pid(p);
    CHECK(pid > 0);
    if (pid <= 0) {
        pgprobe_free(p);
        return;
    }
    /* The probe's server process stops answering (as on a hung host). */
    CHECK(kill(pid, SIGSTOP) == 0);
    double t0 = mono();
    s = poll_once(p, t + 5);
    double took = mono() - t0;
    kill(pid, SIGCONT);
    /* The client-side deadline drops the hung session within the request timeout. */
    CHECK(took >= 3.5 && took < 4.5);
    const struct source_state *src = pg_source(s);
    if (src) {
        CHECK_INT(src->status, SOURCE_ERROR);
        CHECK_INT(src->reason, REASON_TIMEOUT);
        if (!contains(src->error, "no answer within 4 s")) {
            test_fail(__FILE__, __LINE__, "error: %s", src->error ? src->error : "(null)");
        }
    }
    CHECK_INT(s->postgres.up, TRI_FALSE);
    CHECK_INT(pgprobe_backend_pid(p), 0);
    snapshot_unref(s);
    /* The next poll opens a new session at once. */
    s = poll_once(p, t + 10);
    src = pg_source(s);
    CHECK(src && src->status == SOURCE_OK);
    CHECK_INT(s->postgres.up, TRI_TRUE);
    int pid2 = pgprobe_backend_pid(p);
    CHECK(pid2 > 0 && pid2 != pid);
    snapshot_unref(s);
    pgprobe_free(p);
}

TEST(pgprobe_sees_a_standby_from_both_sides)
{
    if (!need_load()) {
        return;
    }
    if (run_pg_sh("standby") != 0) {
        test_fail(__FILE__, __LINE__, "tests/pg.sh standby failed");
        return;
    }
    char envpath[256], sport[16], sconninfo[512], ssuper[512];
    snprintf(envpath, sizeof envpath, "%s/env", fx.dir);
    char *text = test_read_file(envpath, NULL);
    CHECK(text != NULL);
    read_env_value(text ? text : "", "STANDBY_PORT", sport, sizeof sport);
    read_env_value(text ? text : "", "SCALETOP_PG_STANDBY_CONNINFO", sconninfo, sizeof sconninfo);
    read_env_value(text ? text : "", "PG_STANDBY_SUPER_CONNINFO", ssuper, sizeof ssuper);
    free(text);
    CHECK(sport[0] && sconninfo[0] && ssuper[0]);

    /* From the primary: one standby, streaming, with its lag. */
    struct config cfg = test_config();
    struct pgprobe *p = pgprobe_new(fx.conninfo, &cfg);
    struct snapshot *s = poll_once(p, wall_now());
    /* replay_lag is NULL until the standby's first timed reply after it
     * caught up: on a loaded machine that can trail "streaming" by a moment,
     * so wait for it (bounded) rather than read the first poll. */
    for (int i = 0; i < 40 && !(s->postgres.nreplication == 1 &&
                                isfinite(s->postgres.replication[0].replay_lag_s));
         i++) {
        snapshot_unref(s);
        sleep_s(0.25);
        s = poll_once(p, wall_now());
    }
    double after =
        psql_num("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)"
                 " FROM pg_stat_replication WHERE application_name = 'scaletop-standby'");
    CHECK_INT(s->postgres.in_recovery, TRI_FALSE);
    CHECK_INT(s->postgres.nreplication, 1);
    if (s->postgres.nreplication == 1) {
        const struct pg_replication *r = &s->postgres.replication[0];
        CHECK_STR(r->name, "scaletop-standby");
        CHECK_STR(r->state, "streaming");
        /* WAL only moves forward, so the probe's lag is at most what the primary has
         * written since the standby replayed; it is never negative. */
        CHECK(r->lag_bytes >= 0);
        CHECK(isfinite(after) && r->lag_bytes <= after + (64 << 20));
        CHECK(isfinite(r->replay_lag_s) && r->replay_lag_s >= 0 && r->replay_lag_s < 30);
    }
    snapshot_unref(s);
    pgprobe_free(p);

    /* On the standby itself: in recovery, no standbys of its own, numbers still there. */
    p = pgprobe_new(sconninfo, &cfg);
    double t = wall_now();
    s = poll_once(p, t);
    const struct source_state *src = pg_source(s);
    if (src) {
        CHECK_INT(src->status, SOURCE_OK);
        CHECK(src->error == NULL);
    }
    CHECK_INT(s->postgres.up, TRI_TRUE);
    CHECK_INT(s->postgres.in_recovery, TRI_TRUE);
    CHECK_INT(s->postgres.stats_visible, TRI_TRUE);
    CHECK_INT(s->postgres.nreplication, 0);
    CHECK_NEAR(s->postgres.connections.max, 37, 0);
    CHECK(isfinite(s->postgres.xid_age));
    CHECK(isfinite(s->postgres.db_size_bytes));
    snapshot_unref(s);
    sleep_s(0.5);
    s = poll_once(p, t + 0.5);
    CHECK(isfinite(s->postgres.tps)); /* read-only transactions happen on a standby too */
    snapshot_unref(s);
    pgprobe_free(p);
}

static int run_pg_sh(const char *what)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "sh %s %s %s 2>&1", fx.pg_sh, what, fx.dir);
    int st;
    char *out = sh_run(cmd, &st);
    if (st != 0) {
        printf("# pg.sh %s: %s\n", what, out);
    }
    free(out);
    return st;
}

TEST(pgprobe_server_down_then_recovers)
{
    if (!need_pg()) {
        return;
    }
    struct config cfg = test_config();
    struct pgprobe *p = pgprobe_new(fx.conninfo, &cfg);
    double t = wall_now();
    struct snapshot *s = poll_once(p, t);
    CHECK_INT(pg_source(s) ? pg_source(s)->status : SOURCE_NEVER, SOURCE_OK);
    snapshot_unref(s);

    CHECK_INT(run_pg_sh("server-stop"), 0);
    fx.load = false;
    double t0 = mono();
    s = poll_once(p, t + 10);
    CHECK(mono() - t0 < 8);
    const struct source_state *src = pg_source(s);
    if (src) {
        CHECK_INT(src->status, SOURCE_ERROR);
        CHECK_INT(src->reason, REASON_UNREACHABLE);
        CHECK(contains(src->error, "cannot connect to PostgreSQL"));
        CHECK(contains(src->error, "127.0.0.1"));
        CHECK_NEAR(src->last_ok, t, 1e-6);
        CHECK(snapshot_clean_of(s, fx.password));
    }
    CHECK_INT(s->postgres.up, TRI_FALSE);
    CHECK(isnan(s->postgres.connections.used));
    CHECK(isnan(s->postgres.rtt_ms));
    CHECK_INT(pgprobe_backend_pid(p), 0);
    snapshot_unref(s);

    /* Within the back-off no new attempt is made, and the message says when. */
    s = poll_once(p, t + 10.2);
    src = pg_source(s);
    CHECK(src && src->status == SOURCE_ERROR && contains(src->error, "retrying in"));
    snapshot_unref(s);

    CHECK_INT(run_pg_sh("server-start"), 0);
    s = poll_once(p, t + 10.4); /* still backing off: not yet */
    CHECK(pg_source(s) && pg_source(s)->status == SOURCE_ERROR);
    snapshot_unref(s);
    s = poll_once(p, t + 200);
    src = pg_source(s);
    if (src) {
        CHECK_INT(src->status, SOURCE_OK);
        CHECK_NEAR(src->last_ok, t + 200, 1e-6);
    }
    CHECK_INT(s->postgres.up, TRI_TRUE);
    CHECK_INT(s->postgres.in_recovery, TRI_FALSE);
    CHECK(pgprobe_backend_pid(p) > 0);
    snapshot_unref(s);
    pgprobe_free(p);
}
