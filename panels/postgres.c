/*
 * The Postgres pane: up, version, role, round trip, connections by state
 * against the usable maximum, lock waits, oldest transaction and query,
 * TPS, cache hit, NOTIFY queue, size, wraparound and replication, each
 * number with its sparkline and coloured by the advisor's thresholds. Enter
 * (zoomed) opens the detail: connections by state, lock waits with their
 * blockers, replication per standby. Draws only inside its rectangle.
 */
#include "panels/panel.h"
#include "panels/ptab.h"

#include "backend/fmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const help[] = {
    "Postgres: connections, locks, transactions, replication, NOTIFY queue.",
    "Postgres: Enter (zoomed) connections, lock waits, replication",
    NULL,
};

enum { R_NAME, R_STATE, R_LAG, R_BYTES, R_NCOLS };
static const struct ptab_col rcols[R_NCOLS] = {
    [R_NAME] = {"standby", 14, 30, false, 0, false},
    [R_STATE] = {"state", 10, 0, false, 1, false},
    [R_LAG] = {"replay lag", 10, 0, true, 0, false},
    [R_BYTES] = {"behind", 9, 0, true, 2, false},
};

enum { L_PID, L_BLOCKER, L_WAIT, L_QUERY, L_NCOLS };
static const struct ptab_col lcols[L_NCOLS] = {
    [L_PID] = {"pid", 7, 0, true, 0, false},
    [L_BLOCKER] = {"blocked by", 10, 0, true, 0, false},
    [L_WAIT] = {"waiting", 8, 0, true, 0, false},
    [L_QUERY] = {"query", 10, 200, false, 0, false},
};

static const char *tri_yes(enum tri t, const char *yes, const char *no)
{
    return t == TRI_TRUE ? yes : t == TRI_FALSE ? no : FMT_UNKNOWN;
}

static bool key(struct pane_view *v, const struct snapshot *s, int k)
{
    if (!v->detail && !v->filtering && (k == KEYS_ENTER || k == KEYS_RIGHT) && s) {
        snprintf(v->detail_key, sizeof v->detail_key, "postgres");
        v->detail = true;
        return true;
    }
    return panel_key_rows(v, s, k, 0, 1, NULL);
}

static int tables(struct canvas *c, struct rect r, const struct snapshot *s,
                  const struct pane_view *v, const struct pane_ctx *ctx,
                  const struct advisor_thresholds *th, bool stale)
{
    char b[64];
    const struct postgres *pg = &s->postgres;
    int y = r.y, bottom = r.y + r.h;
    struct ptab t;
    ptab_init(&t, rcols, R_NCOLS);
    t.stale = stale;
    for (size_t i = 0; i < pg->nreplication; i++) {
        const struct pg_replication *rp = &pg->replication[i];
        struct ptab_row *row = ptab_add(&t, rp->name, (int)i);
        if (!row) {
            break;
        }
        ptab_set(row, R_NAME, ROLE_NORMAL, rp->name, NAN);
        ptab_set(row, R_STATE, ROLE_NORMAL, rp->state, NAN);
        ptab_set(row, R_LAG,
                 panel_role_above(rp->replay_lag_s, th->replication_lag_warn_s,
                                  th->replication_lag_crit_s),
                 fmt_duration(b, sizeof b, rp->replay_lag_s), rp->replay_lag_s);
        ptab_set(row, R_BYTES, ROLE_NORMAL, fmt_bytes(b, sizeof b, rp->lag_bytes), rp->lag_bytes);
    }
    ptab_apply(&t, v->filter, 0);
    if (t.n && y + 1 < bottom) {
        y++;
        y += ptab_draw(c, canvas_rect(r.x, y, r.w, bottom - y), &t, 0, -1, false, ctx, s,
                       panel_window(ctx));
    }
    ptab_fini(&t);
    ptab_init(&t, lcols, L_NCOLS);
    t.stale = stale;
    for (size_t i = 0; i < pg->nlock_waits; i++) {
        const struct pg_lock_wait *w = &pg->lock_waits[i];
        struct ptab_row *row = ptab_add(&t, w->query, (int)i);
        if (!row) {
            break;
        }
        ptab_set(row, L_PID, ROLE_NORMAL, fmt_num(b, sizeof b, w->pid, 0), w->pid);
        ptab_set(row, L_BLOCKER, ROLE_WARN, fmt_num(b, sizeof b, w->blocked_by, 0), w->blocked_by);
        ptab_set(row, L_WAIT, ROLE_NORMAL, fmt_duration(b, sizeof b, w->wait_s), w->wait_s);
        ptab_set(row, L_QUERY, ROLE_DIM, w->query ? w->query : "", NAN);
    }
    ptab_apply(&t, v->filter, 0);
    if (t.n && y + 1 < bottom) {
        y++;
        y += ptab_draw(c, canvas_rect(r.x, y, r.w, bottom - y), &t, 0, -1, false, ctx, s,
                       panel_window(ctx));
    }
    ptab_fini(&t);
    return y - r.y;
}

static void full(struct canvas *c, struct rect r, const struct snapshot *s,
                 const struct pane_view *v, const struct pane_ctx *ctx,
                 const struct advisor_thresholds *th, bool stale)
{
    char b[64], b2[64], line[160];
    const struct postgres *pg = &s->postgres;
    enum role n = stale ? ROLE_STALE : ROLE_NORMAL;
    int y = r.y, sw = 30;
    panel_kv(c, r, y++, 20, "up",
             pg->up == TRI_TRUE    ? ROLE_OK
             : pg->up == TRI_FALSE ? ROLE_CRIT
                                   : ROLE_DIM,
             tri_yes(pg->up, "yes", "NO"), 14, ctx, s, NULL, 0);
    snprintf(line, sizeof line, "%s, %s", pg->version ? pg->version : FMT_UNKNOWN,
             tri_yes(pg->in_recovery, "standby", "primary"));
    panel_kv(c, r, y++, 20, "version", n, line, 20, ctx, s, NULL, 0);
    panel_kv(c, r, y++, 20, "round trip", n, fmt_ms(b, sizeof b, pg->rtt_ms), 14, ctx, s,
             "postgres/rtt_ms", sw);
    /* coderd's own view: the slowest replica's database_latency. */
    double coderd = NAN;
    for (size_t i = 0; i < s->nservers; i++) {
        double l = s->servers[i].db_latency_ms;
        coderd = isnan(coderd) || l > coderd ? l : coderd;
    }
    panel_kv(c, r, y++, 20, "from coderd (worst)",
             panel_role_ratio(coderd, th->db_latency_warn_ms, th->db_latency_crit_ms,
                              isnan(coderd) ? ROLE_DIM : n),
             fmt_ms(b, sizeof b, coderd), 14, ctx, s, NULL, 0);
    if (isnan(pg->connections.max)) {
        fmt_num(line, sizeof line, pg->connections.used, 0);
    } else {
        snprintf(line, sizeof line, "%s of %s", fmt_num(b, sizeof b, pg->connections.used, 0),
                 fmt_num(b2, sizeof b2, pg->connections.max, 0));
    }
    panel_kv(c, r, y++, 20, "connections",
             panel_role_above(pg->connections.used / pg->connections.max, th->pg_connections_warn,
                              th->pg_connections_crit),
             line, 14, ctx, s, "postgres/connections/used", sw);
    char b3[32];
    snprintf(line, sizeof line, "%s active, %s idle, %s idle in xact",
             fmt_num(b, sizeof b, pg->connections.active, 0),
             fmt_num(b2, sizeof b2, pg->connections.idle, 0),
             fmt_num(b3, sizeof b3, pg->connections.idle_in_transaction, 0));
    panel_kv(c, r, y++, 20, "  by state", n, line, 44, ctx, s, NULL, 0);
    panel_kv(c, r, y++, 20, "waiting on locks", pg->connections.waiting > 0 ? ROLE_WARN : n,
             fmt_num(b, sizeof b, pg->connections.waiting, 0), 14, ctx, s,
             "postgres/connections/waiting", sw);
    panel_kv(c, r, y++, 20, "oldest transaction",
             panel_role_above(pg->oldest_xact_s, th->long_xact_warn_s, th->long_xact_crit_s),
             fmt_duration(b, sizeof b, pg->oldest_xact_s), 14, ctx, s, "postgres/oldest_xact_s",
             sw);
    panel_kv(c, r, y++, 20, "oldest query", n, fmt_duration(b, sizeof b, pg->oldest_query_s), 14,
             ctx, s, "postgres/oldest_query_s", sw);
    panel_kv(c, r, y++, 20, "transactions/s", n, fmt_num(b, sizeof b, pg->tps, 1), 14, ctx, s,
             "postgres/tps", sw);
    panel_kv(c, r, y++, 20, "cache hit", n, fmt_pct(b, sizeof b, pg->cache_hit_ratio), 14, ctx, s,
             "postgres/cache_hit_ratio", sw);
    panel_kv(c, r, y++, 20, "NOTIFY queue",
             panel_role_above(pg->notify_queue_usage, th->notify_queue_warn, th->notify_queue_crit),
             fmt_pct(b, sizeof b, pg->notify_queue_usage), 14, ctx, s,
             "postgres/notify_queue_usage", sw);
    panel_kv(c, r, y++, 20, "database size", n, fmt_bytes(b, sizeof b, pg->db_size_bytes), 14, ctx,
             s, "postgres/db_size_bytes", sw);
    panel_kv(c, r, y++, 20, "xid age (wraparound)",
             panel_role_above(pg->xid_age, th->xid_age_warn, th->xid_age_crit),
             fmt_num(b, sizeof b, pg->xid_age, 0), 14, ctx, s, "postgres/xid_age", sw);
    panel_kv(c, r, y++, 20, "deadlocks/s", pg->deadlocks_per_s > 0 ? ROLE_WARN : n,
             fmt_num(b, sizeof b, pg->deadlocks_per_s, 2), 14, ctx, s, NULL, 0);
    snprintf(line, sizeof line, "%s/s", fmt_bytes(b, sizeof b, pg->temp_bytes_per_s));
    panel_kv(c, r, y++, 20, "temp files", n, isnan(pg->temp_bytes_per_s) ? FMT_UNKNOWN : line, 14,
             ctx, s, NULL, 0);
    panel_kv(c, r, y++, 20, "forced checkpoints", n,
             fmt_pct(b, sizeof b, pg->checkpoints_req_ratio), 14, ctx, s, NULL, 0);
    if (pg->stats_visible == TRI_FALSE) {
        panel_kv(c, r, y++, 20, "statistics", ROLE_WARN,
                 "not visible: GRANT pg_monitor TO the scaletop role", 52, ctx, s, NULL, 0);
    }
    tables(c, canvas_rect(r.x, y, r.w, r.y + r.h - y), s, v, ctx, th, stale);
}

/* One "label  n  ████░░" bar line of the connections by state. */
static void bar(struct canvas *c, struct rect r, int y, const char *label, double v, double max,
                enum role role)
{
    char b[32];
    panel_kv(c, r, y, 20, label, role, fmt_num(b, sizeof b, v, 0), 6, NULL, NULL, NULL, 0);
    if (isnan(v) || isnan(max) || max <= 0) {
        return;
    }
    int w = r.w - 30 < 50 ? r.w - 30 : 50;
    int n = (int)(v / max * w + 0.5);
    n = n > w ? w : n;
    const struct glyphs *g = canvas_glyphs(c);
    for (int i = 0; i < w; i++) {
        canvas_put_glyph(c, r, r.x + 29 + i, y, i < n ? role : ROLE_DIM,
                         i < n ? g->spark[GLYPHS_SPARK_LEVELS - 1] : g->spark[0]);
    }
}

static void detail(struct canvas *c, struct rect r, const struct snapshot *s,
                   const struct pane_view *v, const struct pane_ctx *ctx,
                   const struct advisor_thresholds *th, bool stale)
{
    const struct postgres *pg = &s->postgres;
    enum role n = stale ? ROLE_STALE : ROLE_NORMAL;
    int y = r.y;
    canvas_put_text(c, r, r.x + 1, y++, ROLE_TITLE, "Postgres: connections by state");
    double max = pg->connections.max;
    bar(c, r, y++, "used", pg->connections.used, max,
        panel_role_ratio(pg->connections.used / max, th->pg_connections_warn,
                         th->pg_connections_crit, n));
    bar(c, r, y++, "active", pg->connections.active, max, n);
    bar(c, r, y++, "idle", pg->connections.idle, max, n);
    bar(c, r, y++, "idle in transaction", pg->connections.idle_in_transaction, max,
        pg->connections.idle_in_transaction > 0 ? ROLE_WARN : n);
    bar(c, r, y++, "waiting on locks", pg->connections.waiting, max,
        pg->connections.waiting > 0 ? ROLE_WARN : n);
    char b[32];
    panel_kv(c, r, y++, 20, "usable maximum", n, fmt_num(b, sizeof b, max, 0), 6, ctx, s, NULL, 0);
    panel_kv(c, r, y++, 20, "used, trend", n, "", 0, ctx, s, "postgres/connections/used", 60);
    int used = tables(c, canvas_rect(r.x, y, r.w, r.y + r.h - y), s, v, ctx, th, stale);
    y += used;
    if (!pg->nreplication && y + 1 < r.y + r.h) {
        canvas_put_text(c, r, r.x + 1, ++y, ROLE_DIM, "no standbys replicating from this server");
    }
    if (!pg->nlock_waits && y + 1 < r.y + r.h) {
        canvas_put_text(c, r, r.x + 1, ++y, ROLE_DIM, "no session waits on a lock");
    }
}

static void compact(struct canvas *c, struct rect in, const struct snapshot *s,
                    const struct panel_fresh *f, const struct advisor_thresholds *th)
{
    char b[64], b2[64];
    const struct postgres *pg = &s->postgres;
    struct rect r = canvas_rect(in.x + 1, in.y, in.w - 1, in.h);
    if (!f->show_numbers) {
        panel_wrap(c, r, r.x, r.y, f->role, f->text);
        return;
    }
    int x = canvas_put_text(c, r, r.x, r.y,
                            pg->up == TRI_TRUE    ? ROLE_OK
                            : pg->up == TRI_FALSE ? ROLE_CRIT
                                                  : ROLE_DIM,
                            pg->up == TRI_TRUE    ? "up"
                            : pg->up == TRI_FALSE ? "DOWN"
                                                  : "-");
    x = canvas_put_text(c, r, x + 1, r.y, ROLE_NORMAL,
                        tri_yes(pg->in_recovery, "standby", "primary"));
    const char *sh = panel_fresh_short(f);
    if (sh) {
        canvas_put_text(c, r, x + 1, r.y, f->role, sh);
    }
    x = canvas_put_text(c, r, r.x, r.y + 1, ROLE_DIM, "conn ");
    canvas_printf(c, r, x, r.y + 1,
                  panel_role_above(pg->connections.used / pg->connections.max,
                                   th->pg_connections_warn, th->pg_connections_crit),
                  "%s/%s", fmt_num(b, sizeof b, pg->connections.used, 0),
                  fmt_num(b2, sizeof b2, pg->connections.max, 0));
    x = canvas_put_text(c, r, r.x, r.y + 2, ROLE_DIM, "notify ");
    canvas_put_text(
        c, r, x, r.y + 2,
        panel_role_above(pg->notify_queue_usage, th->notify_queue_warn, th->notify_queue_crit),
        fmt_pct(b, sizeof b, pg->notify_queue_usage));
}

static void draw(struct canvas *c, struct rect r, const struct snapshot *s,
                 const struct pane_view *v, const struct pane_ctx *ctx)
{
    struct rect in = panel_frame(c, r, &pane_postgres, v);
    if (!s) {
        panel_no_data(c, in, s);
        return;
    }
    struct advisor_thresholds thd;
    const struct advisor_thresholds *th = panel_thresholds(ctx, &thd);
    struct panel_fresh f;
    panel_freshness(s, "postgres", &f);
    if (v->compact) {
        compact(c, in, s, &f, th);
        return;
    }
    int y = in.y + panel_fresh_line(c, in, &f, f.show_numbers ? 2 : in.h);
    if (!f.show_numbers) {
        return;
    }
    struct rect body = canvas_rect(in.x, y, in.w, in.y + in.h - y);
    if (v->detail) {
        detail(c, body, s, v, ctx, th, f.status == SOURCE_STALE);
    } else {
        full(c, body, s, v, ctx, th, f.status == SOURCE_STALE);
    }
    panel_view_badge(c, r, v, NULL);
}

const struct pane_ops pane_postgres = {
    .name = "postgres",
    .title = "Postgres",
    .hotkey = '4',
    .min_w = 50,
    .min_h = 8,
    .draw = draw,
    .key = key,
    .help = help,
};
