/*
 * Snapshot -> document. Every number goes through backend/fmt so that the
 * report and the console agree; every unknown prints as "-". Sections carry
 * the status of the sources they are built from, so a report never passes
 * old or missing data off as current.
 */
#include "tui/doc.h"

#include "backend/fmt.h"
#include "backend/series.h"
#include "backend/judge.h"
#include "backend/xalloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOC_MAX_ROWS 500

enum doc_role doc_role_of_severity(enum severity sev)
{
    switch (sev) {
    case SEV_CRIT:
        return DOC_CRIT;
    case SEV_WARN:
        return DOC_WARN;
    case SEV_INFO:
        return DOC_INFO;
    default:
        return DOC_OK;
    }
}

static struct doc_section *section(struct doc *d, const char *title)
{
    d->sections = xrealloc(d->sections, (d->nsections + 1) * sizeof *d->sections);
    struct doc_section *s = &d->sections[d->nsections++];
    memset(s, 0, sizeof *s);
    s->title = xstrdup(title);
    return s;
}

static struct doc_table *table(struct doc_section *s, const char *title, const char *const *cols)
{
    s->tables = xrealloc(s->tables, (s->ntables + 1) * sizeof *s->tables);
    struct doc_table *t = &s->tables[s->ntables++];
    memset(t, 0, sizeof *t);
    t->title = xstrdup(title);
    while (cols[t->ncols]) {
        t->ncols++;
    }
    t->header = xcalloc(t->ncols, sizeof *t->header);
    for (size_t i = 0; i < t->ncols; i++) {
        t->header[i] = xstrdup(cols[i]);
    }
    return t;
}

/* Starts a row; returns its first cell. Rows past the cap are dropped by
 * the caller checking nrows. */
static struct doc_cell *row(struct doc_table *t)
{
    t->cells = xgrow(t->cells, &t->cap, (t->nrows + 1) * t->ncols, sizeof *t->cells);
    struct doc_cell *c = &t->cells[t->nrows * t->ncols];
    memset(c, 0, t->ncols * sizeof *c);
    t->nrows++;
    return c;
}

static void cell(struct doc_cell *c, enum doc_role role, const char *text)
{
    c->text = xstrdup(text ? text : FMT_UNKNOWN);
    c->role = role;
}

__attribute__((format(printf, 3, 4))) static void cellf(struct doc_cell *c, enum doc_role role,
                                                        const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cell(c, role, buf);
}

static void series(struct doc_cell *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void series(struct doc_cell *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    c->series = xstrdup(buf);
}

static void kv(struct doc_table *t, const char *key, enum doc_role role, const char *value)
{
    struct doc_cell *c = row(t);
    cell(&c[0], DOC_NORMAL, key);
    cell(&c[1], role, value);
}

static enum doc_role status_role(enum source_status st)
{
    switch (st) {
    case SOURCE_OK:
        return DOC_OK;
    case SOURCE_STALE:
        return DOC_WARN;
    case SOURCE_ERROR:
        return DOC_CRIT;
    default:
        return DOC_DIM;
    }
}

/* The section's freshness line, judged as the console's panes judge it. */
static void section_status(struct doc_section *sec, const struct snapshot *s, const char *section)
{
    struct judge_freshness f;
    judge_sources(s, judge_section_prefixes(section), &f);
    sec->status = xstrdup(f.text);
    sec->status_role = f.none ? DOC_DIM : status_role(f.status);
}

static void overview(struct doc *d, const struct snapshot *s, int utc)
{
    char b1[64], b2[64];
    struct doc_section *sec = section(d, "Overview");
    struct doc_table *t =
        table(sec, "Sources",
              (const char *const[]){"source", "status", "last ok", "latency", "detail", NULL});
    for (size_t i = 0; i < s->nsources; i++) {
        const struct source_state *src = &s->sources[i];
        struct doc_cell *c = row(t);
        cell(&c[0], DOC_NORMAL, src->name);
        cell(&c[1], status_role(src->status), source_status_name(src->status));
        cell(&c[2], DOC_NORMAL,
             isnan(src->last_ok) ? FMT_UNKNOWN : fmt_time(b1, sizeof b1, src->last_ok, utc, 0));
        cell(&c[3], DOC_NORMAL, fmt_ms(b2, sizeof b2, src->latency_ms));
        cell(&c[4], DOC_NORMAL, src->error ? src->error : src->hint ? src->hint : "");
    }
    t = table(
        sec, "Findings",
        (const char *const[]){"severity", "rule", "entity", "advice", "evidence", "since", NULL});
    for (size_t i = 0; i < s->nfindings; i++) {
        const struct finding *f = &s->findings[i];
        struct doc_cell *c = row(t);
        cell(&c[0], doc_role_of_severity(f->severity), severity_name(f->severity));
        cell(&c[1], DOC_NORMAL, f->rule);
        cell(&c[2], DOC_NORMAL, f->entity);
        cell(&c[3], DOC_NORMAL, f->message);
        cell(&c[4], DOC_DIM, f->evidence ? f->evidence : "");
        cell(&c[5], DOC_NORMAL,
             isnan(f->since) ? FMT_UNKNOWN : fmt_time(b1, sizeof b1, f->since, utc, 0));
    }
    t = table(sec, "Events", (const char *const[]){"time", "kind", "entity", "message", NULL});
    size_t first = s->nevents > 50 ? s->nevents - 50 : 0;
    for (size_t i = first; i < s->nevents; i++) {
        const struct event *e = &s->events[i];
        struct doc_cell *c = row(t);
        cell(&c[0], DOC_NORMAL, fmt_time(b1, sizeof b1, e->time, utc, 0));
        cell(&c[1], DOC_NORMAL, e->kind);
        cell(&c[2], DOC_NORMAL, e->entity);
        cell(&c[3], DOC_NORMAL, e->message);
    }
}

/* The role of a value judged against a threshold pair of the advisor;
 * unknown values are dim. */
static enum doc_role above(double v, double warn, double crit)
{
    if (isnan(v)) {
        return DOC_DIM;
    }
    enum severity sev = judge_level(v, warn, crit);
    return sev == SEV_OK ? DOC_NORMAL : doc_role_of_severity(sev);
}

static enum doc_role headroom(const struct advisor_thresholds *t, double used, double total)
{
    if (isnan(used) || isnan(total)) {
        return DOC_DIM;
    }
    enum severity sev = judge_headroom(t, used, total);
    return sev == SEV_OK ? DOC_NORMAL : doc_role_of_severity(sev);
}

static void servers(struct doc *d, const struct snapshot *s, const struct advisor_thresholds *th)
{
    char b[64], b2[64];
    struct doc_section *sec = section(d, "Servers");
    section_status(sec, s, "servers");
    struct doc_table *t =
        table(sec, NULL,
              (const char *const[]){"replica", "region", "version", "up for", "db latency",
                                    "api p50", "api p95", "api p99", "req/s", "db query p95", "cpu",
                                    "rss", "fds", "relay", "error", NULL});
    for (size_t i = 0; i < s->nservers; i++) {
        const struct server *sv = &s->servers[i];
        const char *h = sv->hostname ? sv->hostname : "?";
        struct doc_cell *c = row(t);
        cell(&c[0], sv->id ? DOC_NORMAL : DOC_DIM, h);
        cell(&c[1], DOC_NORMAL, fmt_num(b, sizeof b, sv->region_id, 0));
        cell(&c[2], DOC_NORMAL, sv->version);
        cell(&c[3], DOC_NORMAL, fmt_duration(b, sizeof b, s->time - sv->started_at));
        cell(&c[4], above(sv->db_latency_ms, th->db_latency_warn_ms, th->db_latency_crit_ms),
             fmt_ms(b, sizeof b, sv->db_latency_ms));
        series(&c[4], "server/%s/db_latency_ms", h);
        cell(&c[5], DOC_NORMAL, fmt_ms(b, sizeof b, sv->api_p50_ms));
        cell(&c[6], above(sv->api_p95_ms, th->api_p95_warn_ms, th->api_p95_crit_ms),
             fmt_ms(b, sizeof b, sv->api_p95_ms));
        series(&c[6], "server/%s/api_p95_ms", h);
        cell(&c[7], DOC_NORMAL, fmt_ms(b, sizeof b, sv->api_p99_ms));
        cell(&c[8], DOC_NORMAL, fmt_num(b, sizeof b, sv->requests_per_s, 1));
        series(&c[8], "server/%s/requests_per_s", h);
        cell(&c[9], above(sv->db_query_p95_ms, th->db_query_p95_warn_ms, th->db_query_p95_crit_ms),
             fmt_ms(b, sizeof b, sv->db_query_p95_ms));
        if (isnan(sv->cpu_cores_available)) {
            cell(&c[10], DOC_NORMAL, fmt_num(b, sizeof b, sv->cpu_cores, 2));
        } else {
            cellf(&c[10],
                  above(sv->cpu_cores / sv->cpu_cores_available, th->utilisation_warn,
                        th->utilisation_crit),
                  "%s/%s", fmt_num(b, sizeof b, sv->cpu_cores, 2),
                  fmt_num(b2, sizeof b2, sv->cpu_cores_available, 1));
        }
        series(&c[10], "server/%s/cpu_cores", h);
        cell(&c[11], DOC_NORMAL, fmt_bytes(b, sizeof b, sv->rss_bytes));
        if (isnan(sv->max_fds)) {
            cell(&c[12], DOC_NORMAL, fmt_num(b, sizeof b, sv->open_fds, 0));
        } else {
            cellf(&c[12],
                  above(sv->open_fds / sv->max_fds, th->utilisation_warn, th->utilisation_crit),
                  "%s/%s", fmt_num(b, sizeof b, sv->open_fds, 0),
                  fmt_num(b2, sizeof b2, sv->max_fds, 0));
        }
        cell(&c[13],
             above(sv->derp_bytes_per_s, th->derp_relay_warn_bytes_per_s,
                   th->derp_relay_crit_bytes_per_s),
             fmt_bytes_rate(b, sizeof b, sv->derp_bytes_per_s));
        series(&c[13], "server/%s/derp_bytes_per_s", h);
        cell(&c[14], sv->error ? DOC_WARN : DOC_NORMAL, sv->error ? sv->error : "");
    }
}

static void provisioners(struct doc *d, const struct snapshot *s,
                         const struct advisor_thresholds *th)
{
    char b[64], tags[400];
    const struct provisioners *p = &s->provisioners;
    struct doc_section *sec = section(d, "Provisioners");
    section_status(sec, s, "provisioners");
    struct doc_table *t =
        table(sec, "Queues by tag set",
              (const char *const[]){"organization", "tags", "pending", "running", "daemons", "idle",
                                    "offline", "oldest pending", "wait p95", NULL});
    for (size_t i = 0; i < p->nqueues; i++) {
        const struct queue *q = &p->queues[i];
        tagset_format(tags, sizeof tags, &q->tags, " ", "(untagged)");
        struct doc_cell *c = row(t);
        cell(&c[0], DOC_NORMAL, q->organization);
        cell(&c[1], DOC_NORMAL, tags);
        cell(&c[2], q->pending > 0 && !(q->idle > 0) ? DOC_WARN : DOC_NORMAL,
             fmt_num(b, sizeof b, q->pending, 0));
        char qs[600];
        c[2].series = xstrdup(series_queue(qs, sizeof qs, q->organization, &q->tags, "pending"));
        cell(&c[3], DOC_NORMAL, fmt_num(b, sizeof b, q->running, 0));
        cell(&c[4], q->daemons == 0 ? DOC_CRIT : DOC_NORMAL, fmt_num(b, sizeof b, q->daemons, 0));
        cell(&c[5], DOC_NORMAL, fmt_num(b, sizeof b, q->idle, 0));
        cell(&c[6], q->offline > 0 ? DOC_WARN : DOC_NORMAL, fmt_num(b, sizeof b, q->offline, 0));
        cell(&c[7], above(q->oldest_pending_s, th->queue_wait_warn_s, th->queue_wait_crit_s),
             isnan(q->oldest_pending_s) ? "none pending"
                                        : fmt_duration(b, sizeof b, q->oldest_pending_s));
        cell(&c[8], DOC_NORMAL, fmt_duration(b, sizeof b, q->wait_p95_s));
    }
    t = table(sec, "Sizing by tag set (docs/provisioners.md)",
              (const char *const[]){"organization", "tags", "daemons", "needed", "load", "builds/h",
                                    "mean build", "wait p95 1h", "wait p95 1d",
                                    "peak running 1h/1d", NULL});
    for (size_t i = 0; i < p->nqueues; i++) {
        const struct queue *q = &p->queues[i];
        tagset_format(tags, sizeof tags, &q->tags, " ", "(untagged)");
        struct doc_cell *c = row(t);
        bool short_of = q->daemons_needed > (isnan(q->daemons) ? 0 : q->daemons);
        cell(&c[0], DOC_NORMAL, q->organization);
        cell(&c[1], DOC_NORMAL, tags);
        cell(&c[2], DOC_NORMAL, fmt_num(b, sizeof b, q->daemons, 0));
        if (isnan(q->daemons_needed)) {
            cell(&c[3], DOC_DIM, "not enough history");
        } else {
            cell(&c[3],
                 !short_of               ? DOC_OK
                 : q->load >= q->daemons ? DOC_CRIT
                                         : DOC_WARN,
                 fmt_num(b, sizeof b, q->daemons_needed, 0));
        }
        cell(&c[4], DOC_NORMAL, fmt_num(b, sizeof b, q->load, 1));
        cell(&c[5], DOC_NORMAL, fmt_num(b, sizeof b, q->arrivals_per_s * 3600, 1));
        cell(&c[6], DOC_NORMAL, fmt_duration(b, sizeof b, q->build_mean_s));
        cell(&c[7], DOC_NORMAL, fmt_duration(b, sizeof b, q->wait_p95_1h_s));
        cell(&c[8], DOC_NORMAL, fmt_duration(b, sizeof b, q->wait_p95_1d_s));
        char b2[32];
        cellf(&c[9], DOC_NORMAL, "%s / %s", fmt_num(b, sizeof b, q->peak_running_1h, 0),
              fmt_num(b2, sizeof b2, q->peak_running_1d, 0));
    }
    t = table(sec, "Daemons stopped mid-build (last hour)",
              (const char *const[]){"name", "organization", "tags", "job", "how", "seen", NULL});
    for (size_t i = 0; i < p->nstopped; i++) {
        const struct stopped_daemon *sd = &p->stopped[i];
        tagset_format(tags, sizeof tags, &sd->tags, " ", "(untagged)");
        struct doc_cell *c = row(t);
        cell(&c[0], DOC_WARN, sd->name ? sd->name : sd->id);
        cell(&c[1], DOC_NORMAL, sd->organization);
        cell(&c[2], DOC_NORMAL, tags);
        cell(&c[3], DOC_NORMAL, sd->job);
        cellf(&c[4], DOC_NORMAL, "%s, job %s", sd->how ? sd->how : "?",
              sd->job_status ? sd->job_status : "ended");
        cell(&c[5], DOC_NORMAL, fmt_duration(b, sizeof b, s->time - sd->detected_at));
    }
    t = table(sec, "Jobs no online daemon can take",
              (const char *const[]){"job", "organization", "tags", "waiting", "why", NULL});
    for (size_t i = 0; i < p->nunrunnable; i++) {
        const struct job *j = &p->unrunnable[i];
        int never = j->reason && strcmp(j->reason, "no_matching_daemon") == 0;
        tagset_format(tags, sizeof tags, &j->tags, " ", "(untagged)");
        struct doc_cell *c = row(t);
        cell(&c[0], DOC_NORMAL, j->id);
        cell(&c[1], DOC_NORMAL, j->organization);
        cell(&c[2], DOC_NORMAL, tags);
        cell(&c[3], DOC_NORMAL, fmt_duration(b, sizeof b, j->age_s));
        cell(&c[4], never ? DOC_CRIT : DOC_WARN,
             never ? "no daemon has these tags" : "matching daemons offline");
    }
    t = table(sec, "Daemons",
              (const char *const[]){"name", "organization", "tags", "status", "version",
                                    "current job", "last seen", NULL});
    for (size_t i = 0; i < p->ndaemons && t->nrows < DOC_MAX_ROWS; i++) {
        const struct daemon *dm = &p->daemons[i];
        tagset_format(tags, sizeof tags, &dm->tags, " ", "(untagged)");
        struct doc_cell *c = row(t);
        cell(&c[0], DOC_NORMAL, dm->name);
        cell(&c[1], DOC_NORMAL, dm->organization);
        cell(&c[2], DOC_NORMAL, tags);
        cell(&c[3], dm->status == DAEMON_OFFLINE ? DOC_WARN : DOC_NORMAL,
             dm->status == DAEMON_UNKNOWN && dm->status_raw ? dm->status_raw
                                                            : daemon_status_name(dm->status));
        cell(&c[4], DOC_NORMAL, dm->version);
        cell(&c[5], DOC_NORMAL, dm->current_job ? dm->current_job : "");
        cell(&c[6], DOC_NORMAL,
             isnan(dm->last_seen_at) ? FMT_UNKNOWN
                                     : fmt_duration(b, sizeof b, s->time - dm->last_seen_at));
    }
}

static void postgres(struct doc *d, const struct snapshot *s, const struct advisor_thresholds *th)
{
    char b[64], b2[64];
    const struct postgres *pg = &s->postgres;
    struct doc_section *sec = section(d, "Postgres");
    section_status(sec, s, "postgres");
    struct doc_table *t = table(sec, NULL, (const char *const[]){"measure", "value", NULL});
    kv(t, "up",
       pg->up == TRI_TRUE    ? DOC_OK
       : pg->up == TRI_FALSE ? DOC_CRIT
                             : DOC_DIM,
       pg->up == TRI_TRUE    ? "yes"
       : pg->up == TRI_FALSE ? "no"
                             : FMT_UNKNOWN);
    kv(t, "version", DOC_NORMAL, pg->version);
    kv(t, "role", DOC_NORMAL,
       pg->in_recovery == TRI_TRUE    ? "standby"
       : pg->in_recovery == TRI_FALSE ? "primary"
                                      : FMT_UNKNOWN);
    kv(t, "round trip from here", DOC_NORMAL, fmt_ms(b, sizeof b, pg->rtt_ms));
    fmt_num(b, sizeof b, pg->connections.used, 0);
    if (isnan(pg->connections.max)) {
        snprintf(b2, sizeof b2, "%s", b);
    } else {
        char m[32];
        snprintf(b2, sizeof b2, "%s of %s usable", b, fmt_num(m, sizeof m, pg->connections.max, 0));
    }
    kv(t, "connections",
       above(pg->connections.used / pg->connections.max, th->pg_connections_warn,
             th->pg_connections_crit),
       b2);
    t->cells[(t->nrows - 1) * 2 + 1].series = xstrdup("postgres/connections/used");
    kv(t, "active", DOC_NORMAL, fmt_num(b, sizeof b, pg->connections.active, 0));
    kv(t, "idle in transaction", DOC_NORMAL,
       fmt_num(b, sizeof b, pg->connections.idle_in_transaction, 0));
    kv(t, "waiting on locks", pg->connections.waiting > 0 ? DOC_WARN : DOC_NORMAL,
       fmt_num(b, sizeof b, pg->connections.waiting, 0));
    kv(t, "transactions/s", DOC_NORMAL, fmt_num(b, sizeof b, pg->tps, 1));
    kv(t, "cache hit", DOC_NORMAL, fmt_pct(b, sizeof b, pg->cache_hit_ratio));
    kv(t, "oldest transaction",
       above(pg->oldest_xact_s, th->long_xact_warn_s, th->long_xact_crit_s),
       fmt_duration(b, sizeof b, pg->oldest_xact_s));
    kv(t, "oldest query", DOC_NORMAL, fmt_duration(b, sizeof b, pg->oldest_query_s));
    kv(t, "NOTIFY queue",
       above(pg->notify_queue_usage, th->notify_queue_warn, th->notify_queue_crit),
       fmt_pct(b, sizeof b, pg->notify_queue_usage));
    kv(t, "database size", DOC_NORMAL, fmt_bytes(b, sizeof b, pg->db_size_bytes));
    kv(t, "wraparound (xid age)", above(pg->xid_age, th->xid_age_warn, th->xid_age_crit),
       fmt_num(b, sizeof b, pg->xid_age, 0));
    kv(t, "deadlocks/s", DOC_NORMAL, fmt_num(b, sizeof b, pg->deadlocks_per_s, 2));
    kv(t, "statistics visible", pg->stats_visible == TRI_FALSE ? DOC_WARN : DOC_NORMAL,
       pg->stats_visible == TRI_FALSE  ? "no: GRANT pg_monitor"
       : pg->stats_visible == TRI_TRUE ? "yes"
                                       : FMT_UNKNOWN);
    if (pg->nreplication) {
        t = table(sec, "Replication",
                  (const char *const[]){"standby", "state", "replay lag", "lag", NULL});
        for (size_t i = 0; i < pg->nreplication; i++) {
            const struct pg_replication *r = &pg->replication[i];
            struct doc_cell *c = row(t);
            cell(&c[0], DOC_NORMAL, r->name);
            cell(&c[1], DOC_NORMAL, r->state);
            cell(&c[2],
                 above(r->replay_lag_s, th->replication_lag_warn_s, th->replication_lag_crit_s),
                 fmt_duration(b, sizeof b, r->replay_lag_s));
            cell(&c[3], DOC_NORMAL, fmt_bytes(b, sizeof b, r->lag_bytes));
        }
    }
    if (pg->nlock_waits) {
        t = table(sec, "Lock waits",
                  (const char *const[]){"pid", "blocked by", "waiting", "query", NULL});
        for (size_t i = 0; i < pg->nlock_waits; i++) {
            const struct pg_lock_wait *w = &pg->lock_waits[i];
            struct doc_cell *c = row(t);
            cell(&c[0], DOC_NORMAL, fmt_num(b, sizeof b, w->pid, 0));
            cell(&c[1], DOC_WARN, fmt_num(b, sizeof b, w->blocked_by, 0));
            cell(&c[2], DOC_NORMAL, fmt_duration(b, sizeof b, w->wait_s));
            cell(&c[3], DOC_DIM, w->query ? w->query : "");
        }
    }
}

static void proxies(struct doc *d, const struct snapshot *s, const struct advisor_thresholds *th)
{
    char b[64];
    struct doc_section *sec = section(d, "Proxies");
    section_status(sec, s, "proxies");
    const struct deployment *dp = &s->deployment;
    if (dp->stun_healthy != TRI_UNKNOWN || dp->derp_healthy != TRI_UNKNOWN ||
        !isnan(dp->derp_bytes_per_s)) {
        /* Direct connections: STUN lets clients go peer to peer; what the
         * relays carry is what did not. */
        struct doc_table *n =
            table(sec, "Direct connections", (const char *const[]){"measure", "value", NULL});
        kv(n, "STUN", dp->stun_healthy == TRI_FALSE ? DOC_WARN : DOC_NORMAL,
           fmt_tri(dp->stun_healthy, "ok", "failing"));
        kv(n, "DERP", dp->derp_healthy == TRI_FALSE ? DOC_WARN : DOC_NORMAL,
           fmt_tri(dp->derp_healthy, "ok", "degraded"));
        kv(n, "relayed (all relays)", DOC_NORMAL,
           fmt_bytes_rate(b, sizeof b, dp->derp_bytes_per_s));
        kv(n, "relay clients", DOC_NORMAL, fmt_num(b, sizeof b, dp->derp_clients, 0));
    }
    struct doc_table *t =
        table(sec, NULL,
              (const char *const[]){"proxy", "display name", "url", "status", "version", "latency",
                                    "derp", "relay", "errors", NULL});
    for (size_t i = 0; i < s->nproxies; i++) {
        const struct proxy *x = &s->proxies[i];
        struct doc_cell *c = row(t);
        enum doc_role role = x->status == PROXY_OK            ? DOC_OK
                             : x->status == PROXY_UNREACHABLE ? DOC_CRIT
                             : x->status == PROXY_UNKNOWN     ? DOC_DIM
                                                              : DOC_WARN;
        cell(&c[0], DOC_NORMAL, x->name);
        cell(&c[1], DOC_NORMAL, x->display_name);
        cell(&c[2], DOC_NORMAL, x->url);
        cell(&c[3], role,
             x->status == PROXY_UNKNOWN && x->status_raw ? x->status_raw
                                                         : proxy_status_name(x->status));
        cell(&c[4], DOC_NORMAL, x->version);
        cell(&c[5], DOC_NORMAL, fmt_ms(b, sizeof b, x->rtt_ms));
        series(&c[5], "proxy/%s/rtt_ms", x->name ? x->name : "?");
        cell(&c[6], DOC_NORMAL,
             x->derp_only == TRI_TRUE       ? "only"
             : x->derp_enabled == TRI_TRUE  ? "on"
             : x->derp_enabled == TRI_FALSE ? "off"
                                            : FMT_UNKNOWN);
        cell(&c[7],
             above(x->derp_bytes_per_s, th->derp_relay_warn_bytes_per_s,
                   th->derp_relay_crit_bytes_per_s),
             fmt_bytes_rate(b, sizeof b, x->derp_bytes_per_s));
        series(&c[7], "proxy/%s/derp_bytes_per_s", x->name ? x->name : "?");
        cell(&c[8], x->nerrors ? DOC_WARN : DOC_NORMAL, x->nerrors ? x->errors[0] : "");
    }
}

static void used_of(struct doc_table *t, const struct advisor_thresholds *th, const char *what,
                    double used, double total, int bytes, const char *series_name)
{
    char u[32], h[32], p[16], line[128];
    if (bytes) {
        fmt_bytes(u, sizeof u, used);
        fmt_bytes(h, sizeof h, total);
    } else {
        fmt_num(u, sizeof u, used, 1);
        fmt_num(h, sizeof h, total, 1);
    }
    snprintf(line, sizeof line, "%s of %s (%s)", u, h, fmt_pct(p, sizeof p, used / total));
    kv(t, what, headroom(th, used, total), line);
    t->cells[(t->nrows - 1) * 2 + 1].series = xstrdup(series_name);
}

/* "151 (25 % of running)" */
static const char *of_running(char *buf, size_t n, double part, double running)
{
    char a[32], p[16];
    if (isnan(part)) {
        return NULL;
    }
    snprintf(buf, n, "%s (%s of running)", fmt_num(a, sizeof a, part, 0),
             fmt_pct(p, sizeof p, part / running));
    return buf;
}

/* Cost control (docs/cost.md): the last running list and the quota groups. */
static void cost(struct doc_section *sec, const struct snapshot *s,
                 const struct advisor_thresholds *th)
{
    char b[96], b2[64];
    const struct cost *k = &s->cost;
    if (isnan(k->listed_at) && k->ngroups == 0) {
        return;
    }
    struct doc_table *t =
        table(sec, "Cost control", (const char *const[]){"workspaces", "value", NULL});
    struct doc_cell *c = row(t);
    cell(&c[0], DOC_NORMAL, "running list taken");
    if (isnan(k->listed_at)) {
        cell(&c[1], DOC_DIM, NULL);
    } else {
        cellf(&c[1], DOC_DIM, "%s ago", fmt_duration(b2, sizeof b2, s->time - k->listed_at));
    }
    c = row(t);
    cell(&c[0], DOC_NORMAL, "running");
    cell(&c[1], DOC_NORMAL, fmt_num(b, sizeof b, k->workspaces_running, 0));
    series(&c[1], "cost/workspaces_running");
    c = row(t);
    cell(&c[0], DOC_NORMAL, "running through off-peak hours");
    cell(&c[1], DOC_NORMAL, of_running(b, sizeof b, k->running_off_peak, k->workspaces_running));
    series(&c[1], "cost/running_off_peak");
    c = row(t);
    cell(&c[0], DOC_NORMAL, "without autostop");
    cell(&c[1],
         k->without_autostop / k->workspaces_running >= th->cost_no_autostop_info ? DOC_INFO
                                                                                  : DOC_NORMAL,
         of_running(b, sizeof b, k->without_autostop, k->workspaces_running));
    series(&c[1], "cost/without_autostop");
    c = row(t);
    cell(&c[0], DOC_NORMAL, "daily cost (credits)");
    cell(&c[1], DOC_NORMAL, fmt_num(b, sizeof b, k->daily_cost_credits, 0));
    series(&c[1], "cost/daily_cost_credits");
    if (k->ngroups == 0) {
        return;
    }
    t = table(
        sec, "Quota groups",
        (const char *const[]){"group", "organization", "members", "used", "pool", "used %", NULL});
    for (size_t i = 0; i < k->ngroups && t->nrows < DOC_MAX_ROWS; i++) {
        const struct cost_group *g = &k->groups[i];
        double f = g->consumed_credits / g->budget_credits;
        enum doc_role role = f >= th->quota_group_crit   ? DOC_CRIT
                             : f >= th->quota_group_warn ? DOC_WARN
                                                         : DOC_NORMAL;
        c = row(t);
        cell(&c[0], DOC_NORMAL, g->name);
        cell(&c[1], DOC_NORMAL, g->organization);
        cell(&c[2], DOC_NORMAL, fmt_num(b, sizeof b, g->members, 0));
        cell(&c[3], role, fmt_num(b, sizeof b, g->consumed_credits, 0));
        cell(&c[4], DOC_NORMAL, fmt_num(b, sizeof b, g->budget_credits, 0));
        cell(&c[5], role, fmt_pct(b, sizeof b, f));
        series(&c[5], "cost_group/%s/%s/consumed_credits", g->organization ? g->organization : "?",
               g->name ? g->name : "?");
    }
}

static void capacity(struct doc *d, const struct snapshot *s, const struct advisor_thresholds *th)
{
    char b[64], b2[64];
    const struct capacity *cap = &s->capacity;
    struct doc_section *sec = section(d, "Capacity");
    section_status(sec, s, "capacity");
    struct doc_table *t =
        table(sec, "Cluster", (const char *const[]){"resource", "requested", NULL});
    used_of(t, th, "cpu (cores)", cap->cluster.cpu_requested_cores,
            cap->cluster.cpu_allocatable_cores, 0, "capacity/cluster/cpu_requested_cores");
    used_of(t, th, "memory", cap->cluster.memory_requested_bytes,
            cap->cluster.memory_allocatable_bytes, 1, "capacity/cluster/memory_requested_bytes");
    used_of(t, th, "pods", cap->cluster.pods, cap->cluster.pods_allocatable, 0,
            "capacity/cluster/pods");
    kv(t, "nodes", DOC_NORMAL, fmt_num(b, sizeof b, cap->cluster.nodes, 0));
    if (cap->nnamespaces) {
        t = table(sec, "Namespace quotas",
                  (const char *const[]){"namespace", "resource", "used", "hard", "used %", NULL});
        for (size_t i = 0; i < cap->nnamespaces; i++) {
            const struct namespace_quota *ns = &cap->namespaces[i];
            for (size_t j = 0; j < ns->nresources; j++) {
                const struct quantity_pair *q = &ns->resources[j];
                struct doc_cell *c = row(t);
                cell(&c[0], DOC_NORMAL, ns->name);
                cell(&c[1], DOC_NORMAL, q->resource);
                cell(&c[2], DOC_NORMAL, fmt_num(b, sizeof b, q->used, 2));
                cell(&c[3], DOC_NORMAL, fmt_num(b2, sizeof b2, q->hard, 2));
                cell(&c[4], headroom(th, q->used, q->hard),
                     fmt_pct(b, sizeof b, q->used / q->hard));
                series(&c[4], "namespace/%s/resources/%s/used", ns->name ? ns->name : "?",
                       q->resource ? q->resource : "?");
            }
        }
    }
    if (cap->nnodes) {
        /* Most loaded first, as the poller sorted them. */
        t = table(sec, "Workspaces per node",
                  (const char *const[]){"node", "workspaces", "ws cpu", "ws memory", "cpu used",
                                        "control plane", NULL});
        for (size_t i = 0; i < cap->nnodes && t->nrows < DOC_MAX_ROWS; i++) {
            const struct node_load *l = &cap->nodes[i];
            enum doc_role crowd = advisor_node_crowded(th, l) ? DOC_WARN : DOC_NORMAL;
            struct doc_cell *c = row(t);
            cell(&c[0], l->schedulable == TRI_FALSE ? DOC_DIM : DOC_NORMAL, l->name);
            cell(&c[1], crowd, fmt_num(b, sizeof b, l->workspaces, 0));
            series(&c[1], "node/%s/workspaces", l->name ? l->name : "?");
            cell(&c[2], crowd,
                 fmt_pct(b, sizeof b, l->workspace_cpu_requested_cores / l->cpu_allocatable_cores));
            cell(&c[3], crowd,
                 fmt_pct(b, sizeof b,
                         l->workspace_memory_requested_bytes / l->memory_allocatable_bytes));
            cell(&c[4], DOC_NORMAL,
                 fmt_pct(b, sizeof b, l->cpu_usage_cores / l->cpu_allocatable_cores));
            b2[0] = '\0';
            const struct {
                const char *name;
                double v;
            } k[] = {{"coderd", l->coderd},
                     {"postgres", l->postgres},
                     {"proxy", l->proxies},
                     {"provisioner", l->provisioners}};
            size_t o = 0;
            for (size_t j = 0; j < 4 && o < sizeof b2; j++) {
                if (k[j].v > 0) {
                    int w = k[j].v > 1
                                ? snprintf(b2 + o, sizeof b2 - o, "%s%s x%.0f", o ? ", " : "",
                                           k[j].name, k[j].v)
                                : snprintf(b2 + o, sizeof b2 - o, "%s%s", o ? ", " : "", k[j].name);
                    o += w > 0 ? (size_t)w : 0;
                }
            }
            cell(&c[5], advisor_node_colocated(l) ? DOC_WARN : DOC_NORMAL, b2);
        }
    }
    if (cap->nsoft_limits) {
        t = table(sec, "Declared limits", (const char *const[]){"limit", "used", NULL});
        for (size_t i = 0; i < cap->nsoft_limits; i++) {
            const struct soft_limit *l = &cap->soft_limits[i];
            char sn[300];
            snprintf(sn, sizeof sn, "soft_limit/%s/used", l->name ? l->name : "?");
            used_of(t, th, l->name ? l->name : "?", l->used, l->limit, 0, sn);
        }
    }
    if (cap->ncoder_quota) {
        t = table(sec, "Coder quota budgets",
                  (const char *const[]){"user", "organization", "consumed", "budget", NULL});
        for (size_t i = 0; i < cap->ncoder_quota && t->nrows < DOC_MAX_ROWS; i++) {
            const struct coder_quota *q = &cap->coder_quota[i];
            struct doc_cell *c = row(t);
            cell(&c[0], DOC_NORMAL, q->user);
            cell(&c[1], DOC_NORMAL, q->organization);
            cell(&c[2], headroom(th, q->credits_consumed, q->budget),
                 fmt_num(b, sizeof b, q->credits_consumed, 0));
            cell(&c[3], DOC_NORMAL, fmt_num(b, sizeof b, q->budget, 0));
        }
    }
    cost(sec, s, th);
}

struct doc *doc_from_snapshot(const struct snapshot *s, int utc)
{
    char tb[64];
    struct doc *d = xcalloc(1, sizeof *d);
    d->time = s->time;
    d->replay = s->replay;
    d->title = xasprintf("scaletop snapshot %s%s", fmt_time(tb, sizeof tb, s->time, utc, 0),
                         utc ? " UTC" : "");
    struct advisor_thresholds th;
    advisor_thresholds_default(&th);
    overview(d, s, utc);
    servers(d, s, &th);
    provisioners(d, s, &th);
    postgres(d, s, &th);
    proxies(d, s, &th);
    capacity(d, s, &th);
    return d;
}

void doc_free(struct doc *d)
{
    if (!d) {
        return;
    }
    for (size_t i = 0; i < d->nsections; i++) {
        struct doc_section *sec = &d->sections[i];
        for (size_t j = 0; j < sec->ntables; j++) {
            struct doc_table *t = &sec->tables[j];
            for (size_t k = 0; k < t->nrows * t->ncols; k++) {
                free(t->cells[k].text);
                free(t->cells[k].series);
            }
            for (size_t k = 0; k < t->ncols; k++) {
                free(t->header[k]);
            }
            free(t->header);
            free(t->cells);
            free(t->title);
        }
        free(sec->tables);
        free(sec->title);
        free(sec->status);
    }
    free(d->sections);
    free(d->title);
    free(d);
}
