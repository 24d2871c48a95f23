/*
 * The Servers pane: coderd replicas, their latency, load and resources,
 * coloured by the advisor's thresholds, with trend sparklines and peaks from
 * the history; the detail of one replica lists every metric with a longer
 * sparkline and its error text. The relay columns show what the replica's
 * embedded DERP server carries (traffic that did not go peer-to-peer).
 * Draws only inside its rectangle.
 */
#include "panels/panel.h"
#include "panels/ptab.h"

#include "backend/fmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const help[] = {
    "Servers: coderd replicas, their latency, load and resources.",
    "Servers: select a replica, Enter its detail, / filter, s sort",
    NULL,
};

enum {
    C_HOST,
    C_REGION,
    C_VERSION,
    C_UP,
    C_DBLAT,
    C_P50,
    C_P95,
    C_P99,
    C_RPS,
    C_CONC,
    C_DBQ,
    C_CPU,
    C_PEAK,
    C_RSS,
    C_FDS,
    C_RELAY,
    C_DERPCL,
    C_TREND,
    C_ERROR,
    NCOLS
};

static const struct ptab_col cols[NCOLS] = {
    [C_HOST] = {"replica", 10, 28, false, 0, false},
    [C_REGION] = {"region", 6, 0, true, 7, false},
    [C_VERSION] = {"version", 8, 0, false, 6, false},
    [C_UP] = {"up", 6, 0, true, 5, false},
    [C_DBLAT] = {"db lat", 7, 0, true, 0, false},
    [C_P50] = {"p50", 6, 0, true, 6, false},
    [C_P95] = {"p95", 6, 0, true, 0, false},
    [C_P99] = {"p99", 6, 0, true, 4, false},
    [C_RPS] = {"req/s", 6, 0, true, 3, false},
    [C_CONC] = {"conc", 4, 0, true, 7, false},
    [C_DBQ] = {"dbq p95", 7, 0, true, 3, false},
    [C_CPU] = {"cpu", 8, 0, true, 1, false},
    [C_PEAK] = {"cpu 24h pk", 10, 0, true, 4, false, true},
    [C_RSS] = {"rss", 8, 0, true, 4, false},
    [C_FDS] = {"fds", 9, 0, true, 8, false},
    [C_RELAY] = {"relay", 9, 0, true, 6, false},
    [C_DERPCL] = {"derp cl", 7, 0, true, 8, false},
    [C_TREND] = {"p95 trend", 12, 0, false, 2, true},
    [C_ERROR] = {"error", 12, 0, false, 5, false},
};

static const char *host(const struct server *sv)
{
    return sv->hostname ? sv->hostname : sv->metrics_target ? sv->metrics_target : "?";
}

static void build(struct ptab *t, const struct snapshot *s, const struct pane_view *v,
                  const struct pane_ctx *ctx, const struct advisor_thresholds *th, bool stale)
{
    char b[64], b2[64];
    ptab_init(t, cols, NCOLS);
    t->stale = stale;
    bool dbq_off = s->deployment.db_metrics_collected == TRI_FALSE;
    for (size_t i = 0; i < s->nservers; i++) {
        const struct server *sv = &s->servers[i];
        struct ptab_row *r = ptab_add(t, host(sv), (int)i);
        if (!r) {
            break;
        }
        snprintf(r->series, sizeof r->series, "server/%s/api_p95_ms", host(sv));
        ptab_set(r, C_HOST, sv->id ? ROLE_NORMAL : ROLE_DIM, host(sv), NAN);
        ptab_set(r, C_REGION, ROLE_NORMAL, fmt_num(b, sizeof b, sv->region_id, 0), sv->region_id);
        ptab_set(r, C_VERSION, ROLE_NORMAL, sv->version, NAN);
        double up = s->time - sv->started_at;
        ptab_set(r, C_UP, ROLE_NORMAL, fmt_duration(b, sizeof b, up), up);
        ptab_set(
            r, C_DBLAT,
            panel_role_above(sv->db_latency_ms, th->db_latency_warn_ms, th->db_latency_crit_ms),
            fmt_ms(b, sizeof b, sv->db_latency_ms), sv->db_latency_ms);
        ptab_set(r, C_P50, ROLE_NORMAL, fmt_ms(b, sizeof b, sv->api_p50_ms), sv->api_p50_ms);
        ptab_set(r, C_P95,
                 panel_role_above(sv->api_p95_ms, th->api_p95_warn_ms, th->api_p95_crit_ms),
                 fmt_ms(b, sizeof b, sv->api_p95_ms), sv->api_p95_ms);
        ptab_set(r, C_P99, ROLE_NORMAL, fmt_ms(b, sizeof b, sv->api_p99_ms), sv->api_p99_ms);
        ptab_set(r, C_RPS, ROLE_NORMAL, fmt_num(b, sizeof b, sv->requests_per_s, 1),
                 sv->requests_per_s);
        ptab_set(r, C_CONC, ROLE_NORMAL, fmt_num(b, sizeof b, sv->concurrent_requests, 0),
                 sv->concurrent_requests);
        if (dbq_off && isnan(sv->db_query_p95_ms)) {
            ptab_set(r, C_DBQ, ROLE_DIM, "off", NAN);
        } else {
            ptab_set(r, C_DBQ,
                     panel_role_above(sv->db_query_p95_ms, th->db_query_p95_warn_ms,
                                      th->db_query_p95_crit_ms),
                     fmt_ms(b, sizeof b, sv->db_query_p95_ms), sv->db_query_p95_ms);
        }
        double util = sv->cpu_cores / sv->cpu_cores_available;
        if (isnan(sv->cpu_cores_available)) {
            ptab_set(r, C_CPU, isnan(sv->cpu_cores) ? ROLE_DIM : ROLE_NORMAL,
                     fmt_num(b, sizeof b, sv->cpu_cores, 2), sv->cpu_cores);
        } else {
            ptab_setf(r, C_CPU, panel_role_above(util, th->utilisation_warn, th->utilisation_crit),
                      util, "%s/%s", fmt_num(b, sizeof b, sv->cpu_cores, 1),
                      fmt_num(b2, sizeof b2, sv->cpu_cores_available, 0));
        }
        /* The day's peak, judged like the advisor's peak rule. */
        char series[PANE_KEY_MAX];
        snprintf(series, sizeof series, "server/%s/cpu_cores", host(sv));
        double peak = panel_peak(ctx, s, series, 86400);
        ptab_set(r, C_PEAK,
                 isnan(peak)
                     ? ROLE_DIM
                     : panel_role_ratio(peak / sv->cpu_cores_available, th->utilisation_warn,
                                        th->utilisation_crit, ROLE_NORMAL),
                 fmt_num(b, sizeof b, peak, 1), peak);
        ptab_set(r, C_RSS,
                 panel_role_ratio(sv->rss_bytes / sv->memory_available_bytes, th->utilisation_warn,
                                  th->utilisation_crit, ROLE_NORMAL),
                 fmt_bytes(b, sizeof b, sv->rss_bytes), sv->rss_bytes);
        if (isnan(sv->max_fds)) {
            ptab_set(r, C_FDS, ROLE_NORMAL, fmt_num(b, sizeof b, sv->open_fds, 0), sv->open_fds);
        } else {
            double f = sv->open_fds / sv->max_fds;
            ptab_setf(r, C_FDS, panel_role_above(f, th->utilisation_warn, th->utilisation_crit), f,
                      "%s/%s", fmt_num(b, sizeof b, sv->open_fds, 0),
                      fmt_num(b2, sizeof b2, sv->max_fds, 0));
        }
        ptab_set(r, C_RELAY,
                 panel_role_above(sv->derp_bytes_per_s, th->derp_relay_warn_bytes_per_s,
                                  th->derp_relay_crit_bytes_per_s),
                 fmt_bytes_rate(b, sizeof b, sv->derp_bytes_per_s), sv->derp_bytes_per_s);
        ptab_set(r, C_DERPCL, ROLE_NORMAL, fmt_num(b, sizeof b, sv->derp_clients, 0),
                 sv->derp_clients);
        ptab_set(r, C_ERROR, sv->error ? ROLE_CRIT : ROLE_NORMAL, sv->error ? sv->error : "",
                 sv->error ? 1 : 0);
    }
    ptab_apply(t, v->filter, v->sort);
}

static const char *row_id(const struct snapshot *s, const struct pane_view *v, int row, char *buf,
                          size_t n)
{
    struct ptab t;
    struct advisor_thresholds th;
    advisor_thresholds_default(&th);
    build(&t, s, v, NULL, &th, false);
    const char *id = NULL;
    if (row >= 0 && (size_t)row < t.n) {
        snprintf(buf, n, "%s", t.rows[row].id);
        id = buf;
    }
    ptab_fini(&t);
    return id;
}

static bool key(struct pane_view *v, const struct snapshot *s, int k)
{
    int n = 0;
    if (s) {
        struct ptab t;
        struct advisor_thresholds th;
        advisor_thresholds_default(&th);
        build(&t, s, v, NULL, &th, false);
        n = (int)t.n;
        ptab_fini(&t);
    }
    return panel_key_rows(v, s, k, n, NCOLS + 1, row_id);
}

static void compact(struct canvas *c, struct rect in, const struct snapshot *s,
                    const struct panel_fresh *f, const struct advisor_thresholds *th)
{
    char b[64], b2[64];
    struct rect r = canvas_rect(in.x + 1, in.y, in.w - 1, in.h);
    int y = r.y;
    const char *sh = panel_fresh_short(f);
    if (!f->show_numbers) {
        panel_wrap(c, r, r.x, y, f->role, f->text);
        return;
    }
    size_t nrep = 0, nerr = 0;
    double p95 = NAN, db = NAN, util = NAN;
    for (size_t i = 0; i < s->nservers; i++) {
        const struct server *sv = &s->servers[i];
        nrep += sv->id != NULL;
        nerr += sv->error != NULL;
        p95 = isnan(p95) || sv->api_p95_ms > p95 ? sv->api_p95_ms : p95;
        db = isnan(db) || sv->db_latency_ms > db ? sv->db_latency_ms : db;
        double u = sv->cpu_cores / sv->cpu_cores_available;
        util = isnan(util) || u > util ? u : util;
    }
    int x = canvas_printf(c, r, r.x, y, nerr ? ROLE_CRIT : ROLE_NORMAL, "%zu replicas", nrep);
    if (nerr) {
        x = canvas_printf(c, r, x, y, ROLE_CRIT, ", %zu err", nerr);
    }
    if (sh) {
        canvas_put_text(c, r, x + 1, y, f->role, sh);
    }
    y++;
    x = canvas_put_text(c, r, r.x, y, ROLE_DIM, "p95 ");
    x = canvas_put_text(c, r, x, y, panel_role_above(p95, th->api_p95_warn_ms, th->api_p95_crit_ms),
                        fmt_ms(b, sizeof b, p95));
    x = canvas_put_text(c, r, x + 1, y, ROLE_DIM, "db ");
    canvas_put_text(c, r, x, y,
                    panel_role_above(db, th->db_latency_warn_ms, th->db_latency_crit_ms),
                    fmt_ms(b2, sizeof b2, db));
    y++;
    x = canvas_put_text(c, r, r.x, y, ROLE_DIM, "cpu ");
    canvas_put_text(c, r, x, y, panel_role_above(util, th->utilisation_warn, th->utilisation_crit),
                    fmt_pct(b, sizeof b, util));
}

typedef const char *(*unit_fn)(char *buf, size_t n, double v);

static const char *num2(char *buf, size_t n, double v)
{
    return fmt_num(buf, n, v, 2);
}

/* One metric line: value, a long sparkline and the 24 h and 7 d peaks in
 * the metric's own unit. */
static void metric(struct canvas *c, struct rect r, int *y, const char *label, enum role role,
                   const char *value, const struct pane_ctx *ctx, const struct snapshot *s,
                   const char *h, const char *field, unit_fn unit)
{
    char series[PANE_KEY_MAX], pk[64], pk7[64], line[160];
    snprintf(series, sizeof series, "server/%s/%s", h, field);
    panel_kv(c, r, *y, 18, label, role, value, 18, ctx, s, series, 50);
    if (ctx && ctx->series) {
        double p24 = panel_peak(ctx, s, series, 86400), p7 = panel_peak(ctx, s, series, 7 * 86400);
        if (!isnan(p24) || !isnan(p7)) {
            snprintf(line, sizeof line, "peak 24h %s, 7d %s", unit(pk, sizeof pk, p24),
                     unit(pk7, sizeof pk7, p7));
            canvas_put_text(c, r, r.x + 3 + 18 + 18 + 51, *y, ROLE_DIM, line);
        }
    }
    (*y)++;
}

static void detail(struct canvas *c, struct rect in, const struct snapshot *s,
                   const struct pane_view *v, const struct pane_ctx *ctx,
                   const struct advisor_thresholds *th, bool stale)
{
    char b[64], b2[64];
    const struct server *sv = NULL;
    for (size_t i = 0; i < s->nservers && !sv; i++) {
        if (strcmp(host(&s->servers[i]), v->detail_key) == 0) {
            sv = &s->servers[i];
        }
    }
    int y = in.y;
    canvas_put_text(c, in, in.x + 1, y, ROLE_TITLE, "Replica ");
    canvas_put_text(c, in, in.x + 9, y++, ROLE_TITLE, v->detail_key);
    if (!sv) {
        canvas_put_text(c, in, in.x + 1, y, ROLE_DIM, "not in this snapshot (Esc: back)");
        return;
    }
    const char *h = host(sv);
    enum role n = stale ? ROLE_STALE : ROLE_NORMAL;
    panel_kv(c, in, y++, 18, "replica id", n, sv->id ? sv->id : "(metrics target only)", 40, ctx, s,
             NULL, 0);
    panel_kv(c, in, y++, 18, "relay address", n, sv->relay_address, 40, ctx, s, NULL, 0);
    panel_kv(c, in, y++, 18, "metrics target", n, sv->metrics_target, 40, ctx, s, NULL, 0);
    panel_kv(c, in, y++, 18, "region", n, fmt_num(b, sizeof b, sv->region_id, 0), 40, ctx, s, NULL,
             0);
    panel_kv(c, in, y++, 18, "version", n, sv->version, 40, ctx, s, NULL, 0);
    panel_kv(c, in, y++, 18, "up for", n, fmt_duration(b, sizeof b, s->time - sv->started_at), 40,
             ctx, s, NULL, 0);
    if (sv->error) {
        canvas_put_text(c, in, in.x + 1, y, ROLE_DIM, "error");
        y += panel_wrap(c, in, in.x + 20, y, ROLE_CRIT, sv->error);
    } else {
        panel_kv(c, in, y++, 18, "error", n, "none", 40, ctx, s, NULL, 0);
    }
    y++;
    metric(c, in, &y, "db latency",
           panel_role_above(sv->db_latency_ms, th->db_latency_warn_ms, th->db_latency_crit_ms),
           fmt_ms(b, sizeof b, sv->db_latency_ms), ctx, s, h, "db_latency_ms", fmt_ms);
    metric(c, in, &y, "api p50", n, fmt_ms(b, sizeof b, sv->api_p50_ms), ctx, s, h, "api_p50_ms",
           fmt_ms);
    metric(c, in, &y, "api p95",
           panel_role_above(sv->api_p95_ms, th->api_p95_warn_ms, th->api_p95_crit_ms),
           fmt_ms(b, sizeof b, sv->api_p95_ms), ctx, s, h, "api_p95_ms", fmt_ms);
    metric(c, in, &y, "api p99", n, fmt_ms(b, sizeof b, sv->api_p99_ms), ctx, s, h, "api_p99_ms",
           fmt_ms);
    metric(c, in, &y, "requests/s", n, fmt_num(b, sizeof b, sv->requests_per_s, 1), ctx, s, h,
           "requests_per_s", num2);
    metric(c, in, &y, "concurrent", n, fmt_num(b, sizeof b, sv->concurrent_requests, 0), ctx, s, h,
           "concurrent_requests", num2);
    if (s->deployment.db_metrics_collected == TRI_FALSE && isnan(sv->db_query_p95_ms)) {
        panel_kv(c, in, y++, 18, "db query p95", ROLE_INFO,
                 "enable CODER_PROMETHEUS_COLLECT_DB_METRICS", 50, ctx, s, NULL, 0);
    } else {
        metric(c, in, &y, "db query p95",
               panel_role_above(sv->db_query_p95_ms, th->db_query_p95_warn_ms,
                                th->db_query_p95_crit_ms),
               fmt_ms(b, sizeof b, sv->db_query_p95_ms), ctx, s, h, "db_query_p95_ms", fmt_ms);
    }
    char cpu[64];
    snprintf(cpu, sizeof cpu, "%s of %s", fmt_num(b, sizeof b, sv->cpu_cores, 2),
             fmt_num(b2, sizeof b2, sv->cpu_cores_available, 1));
    metric(c, in, &y, "cpu cores",
           panel_role_above(sv->cpu_cores / sv->cpu_cores_available, th->utilisation_warn,
                            th->utilisation_crit),
           cpu, ctx, s, h, "cpu_cores", num2);
    snprintf(cpu, sizeof cpu, "%s of %s", fmt_bytes(b, sizeof b, sv->rss_bytes),
             fmt_bytes(b2, sizeof b2, sv->memory_available_bytes));
    metric(c, in, &y, "memory (rss)", n, cpu, ctx, s, h, "rss_bytes", fmt_bytes);
    snprintf(cpu, sizeof cpu, "%s of %s", fmt_num(b, sizeof b, sv->open_fds, 0),
             fmt_num(b2, sizeof b2, sv->max_fds, 0));
    metric(c, in, &y, "open fds",
           panel_role_above(sv->open_fds / sv->max_fds, th->utilisation_warn, th->utilisation_crit),
           cpu, ctx, s, h, "open_fds", num2);
    metric(c, in, &y, "goroutines", n, fmt_num(b, sizeof b, sv->goroutines, 0), ctx, s, h,
           "goroutines", num2);
    y++;
    metric(c, in, &y, "derp relayed",
           panel_role_above(sv->derp_bytes_per_s, th->derp_relay_warn_bytes_per_s,
                            th->derp_relay_crit_bytes_per_s),
           fmt_bytes_rate(b, sizeof b, sv->derp_bytes_per_s), ctx, s, h, "derp_bytes_per_s",
           fmt_bytes_rate);
    snprintf(cpu, sizeof cpu, "%s (%s conns)", fmt_num(b, sizeof b, sv->derp_clients, 0),
             fmt_num(b2, sizeof b2, sv->derp_connections, 0));
    metric(c, in, &y, "derp clients", n, cpu, ctx, s, h, "derp_clients", num2);
    metric(c, in, &y, "derp mesh fwd/s", n,
           fmt_num(b, sizeof b, sv->derp_packets_forwarded_per_s, 1), ctx, s, h,
           "derp_packets_forwarded_per_s", num2);
    metric(c, in, &y, "derp dropped/s", n, fmt_num(b, sizeof b, sv->derp_packets_dropped_per_s, 2),
           ctx, s, h, "derp_packets_dropped_per_s", num2);
    panel_kv(c, in, y++, 18, "derp stats from", n,
             sv->derp_source ? sv->derp_source
                             : "none (no coder_derp_server_* metrics; older builds: --derp-expvar)",
             66, ctx, s, NULL, 0);
}

static void draw(struct canvas *c, struct rect r, const struct snapshot *s,
                 const struct pane_view *v, const struct pane_ctx *ctx)
{
    struct rect in = panel_frame(c, r, &pane_servers, v);
    if (!s) {
        panel_no_data(c, in, s);
        return;
    }
    struct advisor_thresholds thd;
    const struct advisor_thresholds *th = panel_thresholds(ctx, &thd);
    struct panel_fresh f;
    panel_freshness(s, "servers", &f);
    if (v->compact) {
        compact(c, in, s, &f, th);
        return;
    }
    int y = in.y + panel_fresh_line(c, in, &f, f.show_numbers ? 2 : in.h);
    if (!f.show_numbers) {
        return;
    }
    if (v->detail) {
        detail(c, canvas_rect(in.x, y, in.w, in.y + in.h - y), s, v, ctx, th,
               f.status == SOURCE_STALE);
        return;
    }
    if (s->deployment.db_metrics_collected == TRI_FALSE) {
        y += panel_wrap(c, in, in.x + 1, y, ROLE_INFO,
                        "db query p95: enable CODER_PROMETHEUS_COLLECT_DB_METRICS");
    }
    struct ptab t;
    build(&t, s, v, ctx, th, f.status == SOURCE_STALE);
    struct rect tr = canvas_rect(in.x, y, in.w, in.y + in.h - y);
    if (t.n == 0) {
        canvas_put_text(c, tr, tr.x + 1, tr.y, ROLE_DIM,
                        v->filter[0] ? "no replica matches the filter" : "no replicas known");
    } else {
        int first = panel_first_row(v, (int)t.n, tr.h - 1);
        ptab_draw(c, tr, &t, first, v->selected, v->focused, ctx, s, panel_window(ctx));
    }
    ptab_fini(&t);
    panel_view_badge(c, r, v, v->sort > 0 && v->sort <= NCOLS ? cols[v->sort - 1].name : NULL);
}

const struct pane_ops pane_servers = {
    .name = "servers",
    .title = "Servers",
    .hotkey = '2',
    .min_w = 60,
    .min_h = 6,
    .draw = draw,
    .key = key,
    .help = help,
};
