/*
 * The PostgreSQL poller: one persistent libpq session, read-only, bounded in
 * time, that turns the statistics views into snapshot->postgres.
 *
 * Invariants:
 * - The session is read-only (default_transaction_read_only=on) and every
 *   statement runs in its own autocommit transaction, so statistics are fresh
 *   on each poll and nothing can be changed or left open.
 * - A poll never outlives its deadline: connecting and every query go through
 *   poll(2) on libpq's socket with the remaining time; on a missed deadline the
 *   session is dropped (and reconnected on the next poll). The server also cuts
 *   us off first with statement_timeout and lock_timeout.
 * - Failures are data: the source gets a status, a reason and a message; a
 *   number that cannot be known stays NAN, never 0. Without pg_read_all_stats
 *   (pg_monitor) the per-session numbers are hidden by the server, so they stay
 *   NAN and stats_visible is false, with a message saying which GRANT fixes it.
 * - The password (from the conninfo, a URI's user info or PGPASSWORD) lives
 *   only in this state; every message from libpq is scrubbed of it before it is
 *   stored, and libpq's notices are swallowed (they would print to stderr).
 * - Every PGresult is cleared on every path.
 */
#include "backend/pgprobe.h"

#include "backend/err.h"
#include "backend/source.h"
#include "backend/xalloc.h"

#include <libpq-fe.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define PG_SOURCE_NAME    "postgres"
#define PG_MAX_SECRETS    4
#define PG_MAX_LOCK_WAITS 50
#define PG_MAX_STANDBYS   32
#define PG_RTT_PROBES     3
#define PG_BACKOFF_MIN_S  1.0
#define PG_BACKOFF_MAX_S  60.0
#define PG_SIZE_EVERY_S   60.0
#define PG_CKPT_WINDOW_S  1800.0 /* the checkpoint ratio covers 30 to 60 minutes */
#define PG_QUERY_TEXT_MAX 200

struct pg_counters {
    bool valid;
    double t; /* server clock, seconds */
    double xacts, blks_hit, blks_read, deadlocks, temp_bytes, stats_reset;
};

struct pg_ckpt {
    bool valid;
    double t, timed, req;
};

struct pgprobe {
    char *conninfo; /* NULL: libpq's environment; may hold a password */
    char *secrets[PG_MAX_SECRETS];
    size_t nsecrets;
    double connect_timeout_s, request_timeout_s;
    int statement_timeout_ms, lock_timeout_ms, idle_xact_timeout_ms;

    PGconn *conn;
    int version_num;
    bool lost;        /* the session broke during this poll */
    bool timed_out;   /* ... because the server did not answer in time */
    double retry_at;  /* Unix time before which we do not reconnect */
    double backoff_s; /* next delay after a failed connect */
    double last_ok;   /* Unix time of the last good poll, NAN if none */
    char last_error[ERR_MSG_MAX];
    enum source_reason last_reason;

    struct pg_counters prev;
    struct pg_ckpt ckpt_base, ckpt_next;
    double size_at, size_bytes;
};

/* What one poll learned before the snapshot is filled. */
struct pg_poll_ctx {
    struct pgprobe *p;
    struct snapshot *snap;
    double deadline;           /* monotonic seconds */
    char partial[ERR_MSG_MAX]; /* first non-fatal query failure */
    char user[64];             /* current_user, for messages */
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void notice_ignore(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

struct scrub_out {
    char *buf;
    size_t size, len;
    bool space; /* a space is pending before the next visible character */
};

static void scrub_put(struct scrub_out *o, const char *s, size_t n)
{
    if (o->space && o->len + 1 < o->size) {
        o->buf[o->len++] = ' ';
    }
    o->space = false;
    for (size_t i = 0; i < n && o->len + 1 < o->size; i++) {
        o->buf[o->len++] = s[i];
    }
    o->buf[o->len] = '\0';
}

void pgprobe_scrub(const char *msg, const char *const *secrets, size_t n, int redact_quoted,
                   char *out, size_t outsz)
{
    struct scrub_out o = {.buf = out, .size = outsz};
    bool quoted = false;
    if (outsz == 0) {
        return;
    }
    out[0] = '\0';
    for (const char *s = msg ? msg : ""; *s && o.len + 1 < outsz;) {
        size_t match = 0;
        for (size_t i = 0; i < n; i++) {
            size_t len = secrets[i] ? strlen(secrets[i]) : 0;
            if (len > 0 && strncmp(s, secrets[i], len) == 0) {
                match = len;
                break;
            }
        }
        if (match > 0) {
            if (!(quoted && redact_quoted)) {
                scrub_put(&o, "***", 3);
            }
            s += match;
            continue;
        }
        char c = *s++;
        if (redact_quoted && c == '"') {
            scrub_put(&o, quoted ? "\"" : "\"***", quoted ? 1 : 4);
            quoted = !quoted;
        } else if (quoted && redact_quoted) {
            continue;
        } else if (isspace((unsigned char)c)) {
            o.space = o.len > 0;
        } else {
            scrub_put(&o, &c, 1);
        }
    }
}

static void add_secret(struct pgprobe *p, const char *s, size_t len)
{
    if (!s || len == 0 || p->nsecrets >= PG_MAX_SECRETS) {
        return;
    }
    p->secrets[p->nsecrets++] = xstrndup(s, len);
}

/* The raw (possibly percent-encoded) password of a postgres:// URI's user info. */
static void add_uri_secret(struct pgprobe *p, const char *uri)
{
    const char *rest = NULL;
    if (strncmp(uri, "postgresql://", 13) == 0) {
        rest = uri + 13;
    } else if (strncmp(uri, "postgres://", 11) == 0) {
        rest = uri + 11;
    }
    if (!rest) {
        return;
    }
    size_t auth = strcspn(rest, "/?");
    const char *at = NULL;
    for (size_t i = 0; i < auth; i++) {
        if (rest[i] == '@') {
            at = rest + i;
        }
    }
    if (!at) {
        return;
    }
    const char *colon = memchr(rest, ':', (size_t)(at - rest));
    if (colon) {
        add_secret(p, colon + 1, (size_t)(at - colon - 1));
    }
}

/* Whether libpq reads s as a connection string rather than a bare database
 * name (the rule of expand_dbname: a URI prefix or an '='). */
static bool is_conninfo(const char *s)
{
    return strchr(s, '=') || strncmp(s, "postgresql://", 13) == 0 ||
           strncmp(s, "postgres://", 11) == 0;
}

static void collect_secrets(struct pgprobe *p)
{
    if (p->conninfo && is_conninfo(p->conninfo)) {
        char *errmsg = NULL;
        PQconninfoOption *opts = PQconninfoParse(p->conninfo, &errmsg);
        if (opts) {
            for (PQconninfoOption *o = opts; o->keyword; o++) {
                if (strcmp(o->keyword, "password") == 0 && o->val) {
                    add_secret(p, o->val, strlen(o->val));
                }
            }
            PQconninfoFree(opts);
        }
        PQfreemem(errmsg);
        add_uri_secret(p, p->conninfo);
    }
    const char *env = getenv("PGPASSWORD");
    if (env) {
        add_secret(p, env, strlen(env));
    }
}

static void scrub_into(const struct pgprobe *p, const char *msg, int redact_quoted, char *out,
                       size_t outsz)
{
    pgprobe_scrub(msg, (const char *const *)p->secrets, p->nsecrets, redact_quoted, out, outsz);
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

struct pgprobe *pgprobe_new(const char *conninfo, const struct config *cfg)
{
    struct pgprobe *p = xcalloc(1, sizeof *p);
    p->conninfo = conninfo && *conninfo ? xstrdup(conninfo) : NULL;
    double ct = cfg && cfg->connect_timeout_s > 0 ? cfg->connect_timeout_s : 5.0;
    double rt = cfg && cfg->request_timeout_s > 0 ? cfg->request_timeout_s : 10.0;
    p->connect_timeout_s = clampd(ct, 1.0, 60.0);
    p->request_timeout_s = clampd(rt, 1.0, 120.0);
    /* The server cuts a slow statement well before our own deadline drops the session. */
    double stmt_s = clampd(p->request_timeout_s / 2, 0.5, 5.0);
    p->statement_timeout_ms = (int)(stmt_s * 1000);
    p->lock_timeout_ms = (int)(clampd(stmt_s / 4, 0.1, 1.0) * 1000);
    p->idle_xact_timeout_ms = 10000;
    p->retry_at = -INFINITY;
    p->backoff_s = PG_BACKOFF_MIN_S;
    p->last_ok = NAN;
    p->size_bytes = NAN;
    p->size_at = -INFINITY;
    collect_secrets(p);
    return p;
}

static void drop_conn(struct pgprobe *p)
{
    if (p->conn) {
        PQfinish(p->conn);
        p->conn = NULL;
    }
}

void pgprobe_free(struct pgprobe *p)
{
    if (!p) {
        return;
    }
    drop_conn(p);
    for (size_t i = 0; i < p->nsecrets; i++) {
        explicit_bzero(p->secrets[i], strlen(p->secrets[i]));
        free(p->secrets[i]);
    }
    if (p->conninfo) {
        explicit_bzero(p->conninfo, strlen(p->conninfo));
        free(p->conninfo);
    }
    free(p);
}

int pgprobe_backend_pid(const struct pgprobe *p)
{
    return p && p->conn && PQstatus(p->conn) == CONNECTION_OK ? PQbackendPID(p->conn) : 0;
}

/* Waits until libpq's socket is ready for `events` or the deadline passes. */
static int wait_socket(PGconn *conn, short events, double deadline)
{
    int fd = PQsocket(conn);
    if (fd < 0) {
        return -1;
    }
    for (;;) {
        double left = deadline - mono_now();
        if (left <= 0) {
            return 0;
        }
        struct pollfd pfd = {.fd = fd, .events = events};
        int ms = (int)ceil(left * 1000);
        int rc = poll(&pfd, 1, ms);
        if (rc > 0) {
            return 1;
        }
        if (rc == 0) {
            return 0;
        }
        if (errno != EINTR) {
            return -1;
        }
    }
}

static enum source_reason classify_connect_error(const char *msg)
{
    if (strstr(msg, "authentication failed") || strstr(msg, "no pg_hba.conf entry") ||
        strstr(msg, "password is required") || strstr(msg, "no password supplied")) {
        return REASON_UNAUTHORIZED;
    }
    if (strstr(msg, "permission denied") || strstr(msg, "not permitted to log in")) {
        return REASON_NO_PERMISSION;
    }
    return REASON_UNREACHABLE;
}

static int fail_with(struct pgprobe *p, enum source_reason reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_with(struct pgprobe *p, enum source_reason reason, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->last_error, sizeof p->last_error, fmt, ap);
    va_end(ap);
    p->last_reason = reason;
    return -1;
}

/* Runs one statement and returns its (first) result, or NULL with the message
 * in e. Sets p->lost when the session is unusable afterwards. */
static PGresult *run(struct pgprobe *p, const char *sql, double deadline, struct err *e)
{
    char msg[ERR_MSG_MAX];
    if (!PQsendQuery(p->conn, sql)) {
        scrub_into(p, PQerrorMessage(p->conn), 0, msg, sizeof msg);
        p->lost = true;
        err_set(e, "%s", msg);
        return NULL;
    }
    PGresult *first = NULL;
    for (;;) {
        while (PQisBusy(p->conn)) {
            int w = wait_socket(p->conn, POLLIN, deadline);
            if (w == 0) {
                PQclear(first);
                p->lost = true;
                p->timed_out = true;
                err_set(e, "no answer within %.0f s (session dropped)", p->request_timeout_s);
                return NULL;
            }
            if (w < 0 || !PQconsumeInput(p->conn)) {
                scrub_into(p, PQerrorMessage(p->conn), 0, msg, sizeof msg);
                PQclear(first);
                p->lost = true;
                err_set(e, "connection lost: %s", msg);
                return NULL;
            }
        }
        PGresult *r = PQgetResult(p->conn);
        if (!r) {
            break;
        }
        if (!first) {
            first = r;
        } else {
            PQclear(r);
        }
    }
    if (!first) {
        p->lost = true;
        return err_set(e, "no result"), NULL;
    }
    ExecStatusType st = PQresultStatus(first);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && st != PGRES_EMPTY_QUERY) {
        scrub_into(p, PQresultErrorMessage(first), 0, msg, sizeof msg);
        if (PQstatus(p->conn) != CONNECTION_OK) {
            p->lost = true;
        }
        err_set(e, "%s", msg);
        PQclear(first);
        return NULL;
    }
    return first;
}

static double num(const PGresult *r, int row, int col)
{
    if (row >= PQntuples(r) || col >= PQnfields(r) || PQgetisnull(r, row, col)) {
        return NAN;
    }
    char *end;
    const char *s = PQgetvalue(r, row, col);
    double v = strtod(s, &end);
    return end == s ? NAN : v;
}

static enum tri boolean(const PGresult *r, int row, int col)
{
    if (row >= PQntuples(r) || col >= PQnfields(r) || PQgetisnull(r, row, col)) {
        return TRI_UNKNOWN;
    }
    return PQgetvalue(r, row, col)[0] == 't' ? TRI_TRUE : TRI_FALSE;
}

static int connect_session(struct pgprobe *p, double deadline)
{
    char timeout[32], user_timeout[32];
    snprintf(timeout, sizeof timeout, "%d", (int)ceil(p->connect_timeout_s));
    snprintf(user_timeout, sizeof user_timeout, "%d", (int)(p->request_timeout_s * 1000));
    /* The conninfo comes first, expanded; what follows overrides it, except
     * application_name, which the operator may set. */
    const char *keys[12], *vals[12];
    int k = 0;
    if (p->conninfo) {
        keys[k] = "dbname";
        vals[k++] = p->conninfo;
    }
    keys[k] = "fallback_application_name";
    vals[k++] = "scaletop";
    keys[k] = "connect_timeout";
    vals[k++] = timeout;
    keys[k] = "keepalives";
    vals[k++] = "1";
    keys[k] = "keepalives_idle";
    vals[k++] = "10";
    keys[k] = "keepalives_interval";
    vals[k++] = "5";
    keys[k] = "keepalives_count";
    vals[k++] = "3";
    keys[k] = "tcp_user_timeout";
    vals[k++] = user_timeout;
    keys[k] = NULL;
    vals[k] = NULL;

    char msg[ERR_MSG_MAX];
    if (p->conninfo && is_conninfo(p->conninfo)) {
        char *perr = NULL;
        PQconninfoOption *opts = PQconninfoParse(p->conninfo, &perr);
        if (!opts) {
            scrub_into(p, perr ? perr : "out of memory", 1, msg, sizeof msg);
            PQfreemem(perr);
            return fail_with(p, REASON_NOT_CONFIGURED, "invalid PostgreSQL connection string: %s",
                             msg);
        }
        PQconninfoFree(opts);
    }

    PGconn *conn = PQconnectStartParams(keys, vals, 1);
    if (!conn) {
        return fail_with(p, REASON_UNREACHABLE, "PostgreSQL: out of memory");
    }
    PQsetNoticeProcessor(conn, notice_ignore, NULL);
    if (PQstatus(conn) == CONNECTION_BAD) {
        /* Failed at once: either an option value libpq rejects ("invalid integer
         * value "…" for connection option "port"", quoting what may be a
         * fragment of the password), or a connection that failed synchronously
         * (a missing Unix socket, an unknown host name). */
        const char *m = PQerrorMessage(conn);
        bool invalid = strncmp(m, "invalid ", 8) == 0 || strstr(m, "could not match") != NULL;
        scrub_into(p, m, invalid, msg, sizeof msg);
        PQfinish(conn);
        if (invalid) {
            return fail_with(p, REASON_NOT_CONFIGURED, "invalid PostgreSQL connection string: %s",
                             msg);
        }
        return fail_with(p, classify_connect_error(msg), "cannot connect to PostgreSQL: %s", msg);
    }
    double budget_s = deadline - mono_now();
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (PQstatus(conn) != CONNECTION_BAD) {
        if (st == PGRES_POLLING_OK) {
            break;
        }
        if (st == PGRES_POLLING_FAILED) {
            break;
        }
        int w = wait_socket(conn, st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline);
        if (w == 0) {
            PQfinish(conn);
            return fail_with(p, REASON_TIMEOUT,
                             "cannot connect to PostgreSQL: no answer within %.0f s",
                             ceil(budget_s - 0.05));
        }
        st = PQconnectPoll(conn);
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        scrub_into(p, PQerrorMessage(conn), 0, msg, sizeof msg);
        PQfinish(conn);
        return fail_with(p, classify_connect_error(msg), "cannot connect to PostgreSQL: %s", msg);
    }
    p->conn = conn;
    p->lost = false;

    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT set_config('statement_timeout', '%d', false),"
             " set_config('lock_timeout', '%d', false),"
             " set_config('idle_in_transaction_session_timeout', '%d', false),"
             " set_config('default_transaction_read_only', 'on', false),"
             " current_setting('server_version_num')::int",
             p->statement_timeout_ms, p->lock_timeout_ms, p->idle_xact_timeout_ms);
    struct err e = {{0}};
    PGresult *r = run(p, sql, deadline, &e);
    if (!r) {
        drop_conn(p);
        return fail_with(p, REASON_BAD_RESPONSE, "PostgreSQL session set-up failed: %s", e.msg);
    }
    p->version_num = (int)num(r, 0, 4);
    PQclear(r);
    return 0;
}

/* Records a failed query that does not end the session. */
static void note_partial(struct pg_poll_ctx *c, const char *what, const struct err *e)
{
    if (!c->partial[0]) {
        snprintf(c->partial, sizeof c->partial, "%s: %s", what, e->msg);
    }
}

static int q_rtt(struct pg_poll_ctx *c)
{
    double t[PG_RTT_PROBES];
    struct err e = {{0}};
    for (int i = 0; i < PG_RTT_PROBES; i++) {
        double t0 = mono_now();
        PGresult *r = run(c->p, "", c->deadline, &e);
        t[i] = (mono_now() - t0) * 1000;
        if (!r) {
            return fail_with(c->p, c->p->timed_out ? REASON_TIMEOUT : REASON_UNREACHABLE,
                             "PostgreSQL: %s", e.msg);
        }
        PQclear(r);
    }
    /* median of three */
    double a = t[0], b = t[1], d = t[2];
    double med = a > b ? (b > d ? b : (a > d ? d : a)) : (a > d ? a : (b > d ? d : b));
    c->snap->postgres.rtt_ms = med;
    return 0;
}

/* Server facts and cheap cluster-wide numbers; its failure fails the poll. */
static int q_server(struct pg_poll_ctx *c, bool *can_read_all)
{
    struct postgres *pg = &c->snap->postgres;
    const char *sql = c->p->version_num >= 160000
                          ? "SELECT current_setting('server_version_num')::int, "
                            "current_setting('server_version'),"
                            " pg_is_in_recovery(), current_setting('max_connections')::int,"
                            " current_setting('superuser_reserved_connections')::int,"
                            " current_setting('reserved_connections')::int,"
                            " pg_has_role(current_user, 'pg_read_all_stats', 'USAGE'),"
                            " pg_notification_queue_usage(),"
                            " (SELECT max(age(datfrozenxid)) FROM pg_database), current_user"
                          : "SELECT current_setting('server_version_num')::int, "
                            "current_setting('server_version'),"
                            " pg_is_in_recovery(), current_setting('max_connections')::int,"
                            " current_setting('superuser_reserved_connections')::int, 0,"
                            " pg_has_role(current_user, 'pg_read_all_stats', 'USAGE'),"
                            " pg_notification_queue_usage(),"
                            " (SELECT max(age(datfrozenxid)) FROM pg_database), current_user";
    struct err e = {{0}};
    PGresult *r = run(c->p, sql, c->deadline, &e);
    if (!r) {
        return fail_with(c->p,
                         c->p->timed_out ? REASON_TIMEOUT
                         : c->p->lost    ? REASON_UNREACHABLE
                                         : REASON_BAD_RESPONSE,
                         "PostgreSQL: %s", e.msg);
    }
    pg->server_version_num = num(r, 0, 0);
    pg->version = snapshot_str(c->snap, PQgetisnull(r, 0, 1) ? NULL : PQgetvalue(r, 0, 1));
    pg->in_recovery = boolean(r, 0, 2);
    double max = num(r, 0, 3), su = num(r, 0, 4), reserved = num(r, 0, 5);
    pg->connections.max = max - su - reserved;
    *can_read_all = boolean(r, 0, 6) == TRI_TRUE;
    pg->notify_queue_usage = num(r, 0, 7);
    pg->xid_age = num(r, 0, 8);
    if (!PQgetisnull(r, 0, 9)) {
        snprintf(c->user, sizeof c->user, "%s", PQgetvalue(r, 0, 9));
    }
    if (isfinite(pg->server_version_num)) {
        c->p->version_num = (int)pg->server_version_num;
    }
    PQclear(r);
    return 0;
}

/* Sessions by state. Returns whether other sessions are visible. */
static bool q_activity(struct pg_poll_ctx *c, bool can_read_all)
{
    struct postgres *pg = &c->snap->postgres;
    const char *sql =
        "SELECT count(*) FILTER (WHERE backend_type = 'client backend'),"
        " count(*) FILTER (WHERE backend_type = 'client backend' AND state = 'active'),"
        " count(*) FILTER (WHERE backend_type = 'client backend' AND state = 'idle'),"
        " count(*) FILTER (WHERE backend_type = 'client backend'"
        "   AND state IN ('idle in transaction', 'idle in transaction (aborted)')),"
        " count(*) FILTER (WHERE wait_event_type = 'Lock'),"
        " count(*) FILTER (WHERE query = '<insufficient privilege>'),"
        " count(*) FILTER (WHERE datid IS NOT NULL),"
        " max(extract(epoch FROM clock_timestamp() - xact_start))"
        "   FILTER (WHERE backend_type = 'client backend'),"
        " max(extract(epoch FROM clock_timestamp() - query_start))"
        "   FILTER (WHERE backend_type = 'client backend' AND state = 'active')"
        " FROM pg_stat_activity WHERE pid <> pg_backend_pid()";
    struct err e = {{0}};
    PGresult *r = run(c->p, sql, c->deadline, &e);
    if (!r) {
        note_partial(c, "sessions", &e);
        return can_read_all;
    }
    double hidden = num(r, 0, 5);
    bool visible = can_read_all && hidden == 0;
    if (visible) {
        pg->connections.used = num(r, 0, 0);
        pg->connections.active = num(r, 0, 1);
        pg->connections.idle = num(r, 0, 2);
        pg->connections.idle_in_transaction = num(r, 0, 3);
        pg->connections.waiting = num(r, 0, 4);
        double x = num(r, 0, 7), q = num(r, 0, 8);
        /* No open transaction or running query: the oldest is 0 s old, not unknown. */
        pg->oldest_xact_s = isnan(x) ? 0 : x;
        pg->oldest_query_s = isnan(q) ? 0 : q;
    } else {
        /* The server hides other sessions' state but not their database: every
         * session attached to a database is counted (autovacuum workers too). */
        pg->connections.used = num(r, 0, 6);
    }
    PQclear(r);
    return visible;
}

/* Strips anything that follows a PASSWORD keyword from a query text. */
static void redact_query(char *q, size_t size)
{
    for (char *s = q; *s; s++) {
        if (strncasecmp(s, "password", 8) == 0) {
            snprintf(s, size - (size_t)(s - q), "password [redacted]");
            return;
        }
    }
}

static void q_lock_waits(struct pg_poll_ctx *c)
{
    /* pg_locks.waitstart (14+) is when the wait began; before, the query start. */
    const char *sql =
        c->p->version_num >= 140000
            ? "SELECT a.pid, (pg_blocking_pids(a.pid))[1],"
              " extract(epoch FROM clock_timestamp() - coalesce(l.waitstart, a.query_start)),"
              " left(a.query, 200)"
              " FROM pg_stat_activity a LEFT JOIN LATERAL (SELECT min(waitstart) AS waitstart"
              "   FROM pg_locks WHERE pid = a.pid AND NOT granted) l ON true"
              " WHERE a.wait_event_type = 'Lock' AND a.pid <> pg_backend_pid()"
              " ORDER BY 3 DESC NULLS LAST LIMIT 50"
            : "SELECT a.pid, (pg_blocking_pids(a.pid))[1],"
              " extract(epoch FROM clock_timestamp() - a.query_start), left(a.query, 200)"
              " FROM pg_stat_activity a"
              " WHERE a.wait_event_type = 'Lock' AND a.pid <> pg_backend_pid()"
              " ORDER BY 3 DESC NULLS LAST LIMIT 50";
    struct err e = {{0}};
    PGresult *r = run(c->p, sql, c->deadline, &e);
    if (!r) {
        note_partial(c, "lock waits", &e);
        return;
    }
    int n = PQntuples(r);
    for (int i = 0; i < n && i < PG_MAX_LOCK_WAITS; i++) {
        struct pg_lock_wait *w = snapshot_add_pg_lock_wait(c->snap);
        w->pid = num(r, i, 0);
        w->blocked_by = num(r, i, 1);
        w->wait_s = num(r, i, 2);
        if (!PQgetisnull(r, i, 3)) {
            char q[PG_QUERY_TEXT_MAX * 4 + 32], clean[sizeof q];
            snprintf(q, sizeof q, "%s", PQgetvalue(r, i, 3));
            redact_query(q, sizeof q);
            scrub_into(c->p, q, 0, clean, sizeof clean);
            w->query = snapshot_str(c->snap, clean);
        }
    }
    PQclear(r);
}

/* Cumulative per-database counters, summed over the cluster; rates from deltas. */
static void q_counters(struct pg_poll_ctx *c)
{
    struct pgprobe *p = c->p;
    struct postgres *pg = &c->snap->postgres;
    const char *sql = "SELECT sum(xact_commit + xact_rollback), sum(blks_hit), sum(blks_read),"
                      " sum(deadlocks), sum(temp_bytes),"
                      " coalesce(max(extract(epoch FROM stats_reset)), 0),"
                      " extract(epoch FROM clock_timestamp())"
                      " FROM pg_stat_database WHERE datname IS NOT NULL";
    struct err e = {{0}};
    PGresult *r = run(p, sql, c->deadline, &e);
    if (!r) {
        note_partial(c, "database counters", &e);
        p->prev.valid = false;
        return;
    }
    struct pg_counters now = {
        .valid = true,
        .xacts = num(r, 0, 0),
        .blks_hit = num(r, 0, 1),
        .blks_read = num(r, 0, 2),
        .deadlocks = num(r, 0, 3),
        .temp_bytes = num(r, 0, 4),
        .stats_reset = num(r, 0, 5),
        .t = num(r, 0, 6),
    };
    PQclear(r);
    struct pg_counters *o = &p->prev;
    double dt = now.t - o->t;
    /* A counter that went down or a stats reset makes the interval meaningless. */
    if (o->valid && dt > 0 && now.stats_reset == o->stats_reset && now.xacts >= o->xacts &&
        now.blks_hit >= o->blks_hit && now.blks_read >= o->blks_read &&
        now.deadlocks >= o->deadlocks && now.temp_bytes >= o->temp_bytes) {
        pg->tps = (now.xacts - o->xacts) / dt;
        pg->deadlocks_per_s = (now.deadlocks - o->deadlocks) / dt;
        pg->temp_bytes_per_s = (now.temp_bytes - o->temp_bytes) / dt;
        double hit = now.blks_hit - o->blks_hit, rd = now.blks_read - o->blks_read;
        pg->cache_hit_ratio = hit + rd > 0 ? hit / (hit + rd) : NAN;
    }
    *o = now;
}

static void q_checkpoints(struct pg_poll_ctx *c)
{
    struct pgprobe *p = c->p;
    const char *sql = p->version_num >= 170000
                          ? "SELECT num_timed, num_requested, extract(epoch FROM clock_timestamp())"
                            " FROM pg_stat_checkpointer"
                          : "SELECT checkpoints_timed, checkpoints_req,"
                            " extract(epoch FROM clock_timestamp()) FROM pg_stat_bgwriter";
    struct err e = {{0}};
    PGresult *r = run(p, sql, c->deadline, &e);
    if (!r) {
        note_partial(c, "checkpoints", &e);
        return;
    }
    struct pg_ckpt now = {
        .valid = true, .timed = num(r, 0, 0), .req = num(r, 0, 1), .t = num(r, 0, 2)};
    PQclear(r);
    if (!p->ckpt_base.valid || now.timed < p->ckpt_base.timed || now.req < p->ckpt_base.req) {
        p->ckpt_base = p->ckpt_next = now;
    }
    double total = (now.timed - p->ckpt_base.timed) + (now.req - p->ckpt_base.req);
    c->snap->postgres.checkpoints_req_ratio =
        total > 0 ? (now.req - p->ckpt_base.req) / total : NAN;
    /* Slide the window: the base is 30 to 60 minutes old once warmed up. */
    if (now.t - p->ckpt_next.t >= PG_CKPT_WINDOW_S) {
        p->ckpt_base = p->ckpt_next;
        p->ckpt_next = now;
    }
}

static void q_size(struct pg_poll_ctx *c, double now)
{
    struct pgprobe *p = c->p;
    if (now - p->size_at >= PG_SIZE_EVERY_S || isnan(p->size_bytes)) {
        struct err e = {{0}};
        PGresult *r = run(p, "SELECT pg_database_size(current_database())", c->deadline, &e);
        if (!r) {
            note_partial(c, "database size", &e);
            p->size_bytes = NAN;
        } else {
            p->size_bytes = num(r, 0, 0);
            PQclear(r);
        }
        p->size_at = now;
    }
    c->snap->postgres.db_size_bytes = p->size_bytes;
}

static void q_replication(struct pg_poll_ctx *c)
{
    const char *sql =
        "SELECT application_name, state, extract(epoch FROM replay_lag),"
        " pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn()"
        "   ELSE pg_current_wal_lsn() END, replay_lsn)"
        " FROM pg_stat_replication ORDER BY application_name, pid LIMIT 32";
    struct err e = {{0}};
    PGresult *r = run(c->p, sql, c->deadline, &e);
    if (!r) {
        note_partial(c, "replication", &e);
        return;
    }
    int n = PQntuples(r);
    for (int i = 0; i < n && i < PG_MAX_STANDBYS; i++) {
        struct pg_replication *s = snapshot_add_pg_replication(c->snap);
        s->name = snapshot_str(c->snap, PQgetisnull(r, i, 0) ? NULL : PQgetvalue(r, i, 0));
        s->state = snapshot_str(c->snap, PQgetisnull(r, i, 1) ? NULL : PQgetvalue(r, i, 1));
        s->lag_bytes = num(r, i, 3);
        s->replay_lag_s = num(r, i, 2);
        /* replay_lag is NULL once an idle standby has caught up. */
        if (isnan(s->replay_lag_s) && s->lag_bytes == 0) {
            s->replay_lag_s = 0;
        }
    }
    PQclear(r);
}

static void set_error(struct pgprobe *p, struct source_state *src, struct snapshot *snap,
                      double retry_in_s)
{
    char msg[ERR_MSG_MAX];
    if (retry_in_s > 0) {
        snprintf(msg, sizeof msg, "%s (retrying in %.0f s)", p->last_error, ceil(retry_in_s));
    } else {
        snprintf(msg, sizeof msg, "%s", p->last_error);
    }
    src->status = SOURCE_ERROR;
    src->reason = p->last_reason;
    src->error = snapshot_str(snap, msg);
    src->last_ok = p->last_ok;
    snap->postgres.up = TRI_FALSE;
}

void pgprobe_poll(struct pgprobe *p, struct snapshot *snap, double now)
{
    struct source_state *src = snapshot_add_source(snap, PG_SOURCE_NAME, "postgres");
    double t0 = mono_now();
    /* The whole poll, reconnecting included, fits in the request timeout: the
     * collector abandons a group that takes longer. */
    double end = t0 + p->request_timeout_s;
    struct pg_poll_ctx c = {.p = p, .snap = snap};

    if (p->conn && PQstatus(p->conn) != CONNECTION_OK) {
        drop_conn(p);
    }
    bool reused = p->conn != NULL;
    bool ok = false;
    for (int attempt = 0; attempt < 2 && !ok; attempt++) {
        if (!p->conn) {
            if (now < p->retry_at) {
                set_error(p, src, snap, p->retry_at - now);
                src->latency_ms = (mono_now() - t0) * 1000;
                return;
            }
            c.deadline = fmin(mono_now() + p->connect_timeout_s, end);
            if (connect_session(p, c.deadline) < 0) {
                p->retry_at = now + p->backoff_s;
                p->backoff_s = fmin(p->backoff_s * 2, PG_BACKOFF_MAX_S);
                break;
            }
        }
        c.deadline = end;
        p->lost = false;
        p->timed_out = false;
        bool can_read_all = false;
        if (q_rtt(&c) == 0 && q_server(&c, &can_read_all) == 0) {
            ok = true;
            snap->postgres.stats_visible = q_activity(&c, can_read_all) ? TRI_TRUE : TRI_FALSE;
            /* Lock waits only when someone waits (or the count is unknown). */
            if (!p->lost && snap->postgres.stats_visible == TRI_TRUE &&
                !(snap->postgres.connections.waiting == 0)) {
                q_lock_waits(&c);
            }
            if (!p->lost) {
                q_counters(&c);
            }
            if (!p->lost) {
                q_checkpoints(&c);
            }
            if (!p->lost) {
                q_replication(&c);
            }
            if (!p->lost) {
                q_size(&c, now);
            }
        }
        if (p->lost) {
            drop_conn(p);
            if (!ok && reused && attempt == 0 && !p->timed_out && end - mono_now() > 0.5) {
                /* A session that broke since the last poll (a restart, a
                 * failover): try a fresh one at once before reporting. */
                snap->postgres.rtt_ms = NAN;
                continue;
            }
        }
        break;
    }

    src->latency_ms = (mono_now() - t0) * 1000;
    if (!ok) {
        snap->postgres.rtt_ms = NAN; /* nothing from a failed poll passes for data */
        set_error(p, src, snap, 0);
        return;
    }
    p->backoff_s = PG_BACKOFF_MIN_S;
    p->retry_at = -INFINITY;
    p->last_ok = now;
    src->last_ok = now;
    src->status = SOURCE_OK;
    snap->postgres.up = TRI_TRUE;
    char msg[ERR_MSG_MAX];
    msg[0] = '\0';
    if (snap->postgres.stats_visible == TRI_FALSE) {
        const char *user = c.user[0] ? c.user : "the role";
        src->reason = REASON_NO_PERMISSION;
        snprintf(msg, sizeof msg,
                 "role %s cannot see other sessions (needs pg_read_all_stats): connection "
                 "states, lock waits and oldest transaction are unknown; "
                 "run GRANT pg_monitor TO %s",
                 user, user);
    }
    if (c.partial[0]) {
        if (src->reason == REASON_NONE) {
            src->reason = REASON_BAD_RESPONSE;
        }
        size_t len = strlen(msg);
        snprintf(msg + len, sizeof msg - len, "%s%s", len ? "; " : "", c.partial);
    }
    if (p->lost) {
        /* The session broke after the core numbers were in: reconnect next time. */
        drop_conn(p);
    }
    if (msg[0]) {
        char clean[ERR_MSG_MAX];
        scrub_into(p, msg, 0, clean, sizeof clean);
        src->error = snapshot_str(snap, clean);
    }
}

static void *pg_create(const struct config *cfg)
{
    const char *conninfo = cfg ? cfg->pg_conninfo : NULL;
    /* config_load already turns libpq's environment into "" (DESIGN.md §6);
     * the same rule here serves callers that build a config by hand. */
    if (!conninfo && !getenv("PGHOST") && !getenv("PGHOSTADDR") && !getenv("PGSERVICE") &&
        !getenv("PGDATABASE")) {
        return NULL;
    }
    return pgprobe_new(conninfo, cfg);
}

static void pg_poll_op(void *state, struct snapshot *snap, double now)
{
    pgprobe_poll(state, snap, now);
}

static void pg_add_disabled(struct snapshot *snap)
{
    struct source_state *src = snapshot_add_source(snap, PG_SOURCE_NAME, "postgres");
    src->status = SOURCE_DISABLED;
    src->reason = REASON_NOT_CONFIGURED;
    src->hint = snapshot_str(snap, "set --pg CONNINFO (or PGHOST / PGSERVICE) for a role "
                                   "granted pg_monitor");
}

static void pg_destroy(void *state)
{
    pgprobe_free(state);
}

const struct source_ops postgres_source_ops = {
    .kind = "postgres",
    .create = pg_create,
    .poll = pg_poll_op,
    .add_disabled = pg_add_disabled,
    .destroy = pg_destroy,
};
