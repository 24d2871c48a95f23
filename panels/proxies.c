/*
 * The Proxies pane: workspace proxies with their status, version, DERP
 * mode and latency from the bastion (with its sparkline); Enter opens a
 * proxy's detail with its errors and warnings. A network line says whether
 * clients can go direct (STUN, DERP from the health report) and how much the
 * relays carry in all; the relay columns show each proxy's share (from its
 * own metrics, --proxy-metrics). Draws only inside its rectangle.
 */
#include "panels/panel.h"
#include "panels/ptab.h"

#include "backend/fmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const help[] = {
    "Proxies: workspace proxies: status, version and latency from the bastion.",
    "Proxies: select a proxy, Enter its detail, / filter, s sort",
    NULL,
};

enum {
    C_NAME,
    C_DISPLAY,
    C_URL,
    C_STATUS,
    C_VERSION,
    C_RTT,
    C_TREND,
    C_DERP,
    C_RELAY,
    C_DERPCL,
    C_ERROR,
    NCOLS
};
static const struct ptab_col cols[NCOLS] = {
    [C_NAME] = {"proxy", 10, 24, false, 0, false},
    [C_DISPLAY] = {"region", 10, 0, false, 3, false},
    [C_URL] = {"url", 24, 0, false, 5, false},
    [C_STATUS] = {"status", 11, 0, false, 0, false},
    [C_VERSION] = {"version", 8, 0, false, 2, false},
    [C_RTT] = {"latency", 7, 0, true, 0, false},
    [C_TREND] = {"latency trend", 13, 0, false, 1, true},
    [C_DERP] = {"derp", 4, 0, false, 4, false},
    [C_ERROR] = {"errors", 12, 60, false, 6, false},
    [C_RELAY] = {"relay", 9, 0, true, 7, false},
    [C_DERPCL] = {"derp cl", 7, 0, true, 8, false},
};

static enum role status_role(const struct proxy *x)
{
    return x->status == PROXY_OK            ? ROLE_OK
           : x->status == PROXY_UNREACHABLE ? ROLE_CRIT
           : x->status == PROXY_UNKNOWN     ? ROLE_DIM
                                            : ROLE_WARN;
}

static const char *status_text(const struct proxy *x)
{
    return x->status == PROXY_UNKNOWN && x->status_raw ? x->status_raw
                                                       : proxy_status_name(x->status);
}

static const char *derp(const struct proxy *x)
{
    return x->derp_only == TRI_TRUE       ? "only"
           : x->derp_enabled == TRI_TRUE  ? "on"
           : x->derp_enabled == TRI_FALSE ? "off"
                                          : FMT_UNKNOWN;
}

static void build(struct ptab *t, const struct snapshot *s, const struct pane_view *v,
                  const struct advisor_thresholds *th, bool stale)
{
    char b[64];
    ptab_init(t, cols, NCOLS);
    t->stale = stale;
    for (size_t i = 0; i < s->nproxies; i++) {
        const struct proxy *x = &s->proxies[i];
        struct ptab_row *r = ptab_add(t, x->name ? x->name : "?", (int)i);
        if (!r) {
            break;
        }
        snprintf(r->series, sizeof r->series, "proxy/%s/rtt_ms", x->name ? x->name : "?");
        ptab_setf(r, C_NAME, ROLE_NORMAL, NAN, "%s%s", x->name ? x->name : "?",
                  x->primary ? " *" : "");
        ptab_set(r, C_DISPLAY, ROLE_NORMAL, x->display_name, NAN);
        ptab_set(r, C_URL, ROLE_DIM, x->url, NAN);
        ptab_set(r, C_STATUS, status_role(x), status_text(x), x->status);
        ptab_set(r, C_VERSION, ROLE_NORMAL, x->version, NAN);
        ptab_set(r, C_RTT, isnan(x->rtt_ms) ? ROLE_DIM : ROLE_NORMAL,
                 fmt_ms(b, sizeof b, x->rtt_ms), x->rtt_ms);
        ptab_set(r, C_DERP, ROLE_NORMAL, derp(x), NAN);
        ptab_set(r, C_ERROR,
                 x->nerrors     ? ROLE_CRIT
                 : x->nwarnings ? ROLE_WARN
                                : ROLE_NORMAL,
                 x->nerrors     ? x->errors[0]
                 : x->nwarnings ? x->warnings[0]
                                : "",
                 (double)(x->nerrors + x->nwarnings));
        ptab_set(r, C_RELAY,
                 panel_role_above(x->derp_bytes_per_s, th->derp_relay_warn_bytes_per_s,
                                  th->derp_relay_crit_bytes_per_s),
                 fmt_bytes_rate(b, sizeof b, x->derp_bytes_per_s), x->derp_bytes_per_s);
        ptab_set(r, C_DERPCL, ROLE_NORMAL, fmt_num(b, sizeof b, x->derp_clients, 0),
                 x->derp_clients);
    }
    ptab_apply(t, v->filter, v->sort);
}

static const char *row_id(const struct snapshot *s, const struct pane_view *v, int row, char *buf,
                          size_t n)
{
    struct ptab t;
    struct advisor_thresholds th;
    advisor_thresholds_default(&th);
    build(&t, s, v, &th, false);
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
        build(&t, s, v, &th, false);
        n = (int)t.n;
        ptab_fini(&t);
    }
    return panel_key_rows(v, s, k, n, NCOLS + 1, row_id);
}

static void detail(struct canvas *c, struct rect r, const struct snapshot *s,
                   const struct pane_view *v, const struct pane_ctx *ctx, bool stale)
{
    char b[64], series[PANE_KEY_MAX];
    const struct proxy *x = NULL;
    for (size_t i = 0; i < s->nproxies && !x; i++) {
        if (strcmp(s->proxies[i].name ? s->proxies[i].name : "?", v->detail_key) == 0) {
            x = &s->proxies[i];
        }
    }
    int y = r.y;
    canvas_printf(c, r, r.x + 1, y++, ROLE_TITLE, "Proxy %s", v->detail_key);
    if (!x) {
        canvas_put_text(c, r, r.x + 1, y, ROLE_DIM, "not in this snapshot (Esc: back)");
        return;
    }
    enum role n = stale ? ROLE_STALE : ROLE_NORMAL;
    panel_kv(c, r, y++, 16, "id", n, x->id, 40, ctx, s, NULL, 0);
    panel_kv(c, r, y++, 16, "display name", n, x->display_name, 40, ctx, s, NULL, 0);
    panel_kv(c, r, y++, 16, "url", n, x->url, 60, ctx, s, NULL, 0);
    panel_kv(c, r, y++, 16, "wildcard host", n, x->wildcard_hostname, 60, ctx, s, NULL, 0);
    panel_kv(c, r, y++, 16, "status", status_role(x), status_text(x), 16, ctx, s, NULL, 0);
    panel_kv(c, r, y++, 16, "healthy", n,
             x->healthy == TRI_TRUE    ? "yes"
             : x->healthy == TRI_FALSE ? "no"
                                       : FMT_UNKNOWN,
             16, ctx, s, NULL, 0);
    panel_kv(c, r, y++, 16, "version", n, x->version, 16, ctx, s, NULL, 0);
    snprintf(series, sizeof series, "proxy/%s/rtt_ms", x->name ? x->name : "?");
    panel_kv(c, r, y++, 16, "latency", isnan(x->rtt_ms) ? ROLE_DIM : n,
             fmt_ms(b, sizeof b, x->rtt_ms), 10, ctx, s, series, 60);
    panel_kv(c, r, y++, 16, "derp", n, derp(x), 16, ctx, s, NULL, 0);
    snprintf(series, sizeof series, "proxy/%s/derp_bytes_per_s", x->name ? x->name : "?");
    panel_kv(c, r, y++, 16, "derp relayed", n, fmt_bytes_rate(b, sizeof b, x->derp_bytes_per_s), 10,
             ctx, s, series, 60);
    char line[96], b2[32], b3[32];
    snprintf(line, sizeof line, "%s clients, %s conns, %s dropped/s",
             fmt_num(b, sizeof b, x->derp_clients, 0),
             fmt_num(b2, sizeof b2, x->derp_connections, 0),
             fmt_num(b3, sizeof b3, x->derp_packets_dropped_per_s, 2));
    panel_kv(c, r, y++, 16, "derp load", n, line, 60, ctx, s, NULL, 0);
    panel_kv(c, r, y++, 16, "metrics", n,
             x->metrics_target ? x->metrics_target
             : x->primary      ? "coderd's own relay: see the Servers pane"
                               : "not scraped (--proxy-metrics NAME=URL)",
             60, ctx, s, NULL, 0);
    panel_kv(c, r, y++, 16, "role", n, x->primary ? "primary (coderd itself)" : "workspace proxy",
             30, ctx, s, NULL, 0);
    for (size_t i = 0; i < x->nerrors && y < r.y + r.h; i++) {
        canvas_put_text(c, r, r.x + 1, y, ROLE_DIM, "error");
        y += panel_wrap(c, r, r.x + 18, y, ROLE_CRIT, x->errors[i]);
    }
    for (size_t i = 0; i < x->nwarnings && y < r.y + r.h; i++) {
        canvas_put_text(c, r, r.x + 1, y, ROLE_DIM, "warning");
        y += panel_wrap(c, r, r.x + 18, y, ROLE_WARN, x->warnings[i]);
    }
    if (!x->nerrors && !x->nwarnings) {
        panel_kv(c, r, y, 16, "errors", n, "none", 16, ctx, s, NULL, 0);
    }
}

static void compact(struct canvas *c, struct rect in, const struct snapshot *s,
                    const struct panel_fresh *f)
{
    struct rect r = canvas_rect(in.x + 1, in.y, in.w - 1, in.h);
    if (!f->show_numbers) {
        panel_wrap(c, r, r.x, r.y, f->role, f->text);
        return;
    }
    size_t ok = 0;
    for (size_t i = 0; i < s->nproxies; i++) {
        ok += s->proxies[i].status == PROXY_OK;
    }
    int x = canvas_printf(c, r, r.x, r.y, ok == s->nproxies ? ROLE_OK : ROLE_CRIT, "%zu/%zu ok", ok,
                          s->nproxies);
    const char *sh = panel_fresh_short(f);
    if (sh) {
        canvas_put_text(c, r, x + 1, r.y, f->role, sh);
    }
    int y = r.y + 1;
    for (size_t i = 0; i < s->nproxies && y < r.y + r.h; i++) {
        const struct proxy *p = &s->proxies[i];
        if (p->status != PROXY_OK) {
            x = canvas_put_text(c, r, r.x, y, ROLE_NORMAL, p->name);
            canvas_put_text(c, r, x + 1, y++, status_role(p), status_text(p));
        }
    }
}

static enum role tri_role(enum tri t)
{
    return t == TRI_TRUE ? ROLE_OK : t == TRI_FALSE ? ROLE_WARN : ROLE_DIM;
}

/* "direct: STUN ok  DERP ok  relayed 1.2 MiB/s by 450 clients" when any of
 * it is known; returns the rows used (0 or 1). */
static int network_line(struct canvas *c, struct rect r, const struct snapshot *s)
{
    const struct deployment *d = &s->deployment;
    if (r.h < 3 || (d->stun_healthy == TRI_UNKNOWN && d->derp_healthy == TRI_UNKNOWN &&
                    isnan(d->derp_bytes_per_s))) {
        return 0;
    }
    char b[64], b2[32];
    int x = canvas_put_text(c, r, r.x + 1, r.y, ROLE_DIM, "network  STUN ");
    x = canvas_put_text(c, r, x, r.y, tri_role(d->stun_healthy),
                        fmt_tri(d->stun_healthy, "ok", "FAILING (no direct paths)"));
    x = canvas_put_text(c, r, x + 2, r.y, ROLE_DIM, "DERP ");
    x = canvas_put_text(c, r, x, r.y, tri_role(d->derp_healthy),
                        fmt_tri(d->derp_healthy, "ok", "degraded"));
    x = canvas_put_text(c, r, x + 2, r.y, ROLE_DIM, "relayed ");
    canvas_printf(c, r, x, r.y, ROLE_NORMAL, "%s by %s clients (all relays)",
                  fmt_bytes_rate(b, sizeof b, d->derp_bytes_per_s),
                  fmt_num(b2, sizeof b2, d->derp_clients, 0));
    return 1;
}

static void draw(struct canvas *c, struct rect r, const struct snapshot *s,
                 const struct pane_view *v, const struct pane_ctx *ctx)
{
    struct rect in = panel_frame(c, r, &pane_proxies, v);
    if (!s) {
        panel_no_data(c, in, s);
        return;
    }
    struct panel_fresh f;
    panel_freshness(s, "proxies", &f);
    if (v->compact) {
        compact(c, in, s, &f);
        return;
    }
    int y = in.y + panel_fresh_line(c, in, &f, f.show_numbers ? 2 : in.h);
    if (!f.show_numbers) {
        return;
    }
    struct rect body = canvas_rect(in.x, y, in.w, in.y + in.h - y);
    if (v->detail) {
        detail(c, body, s, v, ctx, f.status == SOURCE_STALE);
        return;
    }
    y += network_line(c, canvas_rect(in.x, y, in.w, in.y + in.h - y), s);
    body = canvas_rect(in.x, y, in.w, in.y + in.h - y);
    struct advisor_thresholds thd;
    const struct advisor_thresholds *th = panel_thresholds(ctx, &thd);
    struct ptab t;
    build(&t, s, v, th, f.status == SOURCE_STALE);
    if (t.n == 0) {
        canvas_put_text(c, body, body.x + 1, body.y, ROLE_DIM,
                        v->filter[0] ? "no proxy matches the filter" : "no workspace proxies");
    } else {
        int first = panel_first_row(v, (int)t.n, body.h - 1);
        ptab_draw(c, body, &t, first, v->selected, v->focused, ctx, s, panel_window(ctx));
    }
    ptab_fini(&t);
    panel_view_badge(c, r, v, v->sort > 0 && v->sort <= NCOLS ? cols[v->sort - 1].name : NULL);
}

const struct pane_ops pane_proxies = {
    .name = "proxies",
    .title = "Proxies",
    .hotkey = '5',
    .min_w = 50,
    .min_h = 5,
    .draw = draw,
    .key = key,
    .help = help,
};
