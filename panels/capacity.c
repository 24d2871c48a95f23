/*
 * The Capacity pane: cluster CPU, memory and pods requested against
 * allocatable with the headroom left, workspaces per node (the most crowded
 * nodes, and every node where coderd, PostgreSQL or a proxy runs beside
 * workspaces; n lists every node), namespace quotas (the tightest resource
 * of each; Enter lists every resource used/hard), the soft limits declared
 * in the config and Coder quota budgets. Coloured by the advisor's
 * thresholds. Below them, the cost control block: running workspaces, those
 * running through the off-peak hours and those with no autostop, as of the
 * last (slow) running list, with 7-day sparklines, and each quota group's
 * pool used by its members. Draws only inside its rectangle.
 */
#include "panels/panel.h"
#include "panels/ptab.h"

#include "backend/fmt.h"
#include "backend/judge.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *const help[] = {
    "Capacity: cluster and quota headroom, and when it runs out.",
    "Capacity: select a namespace, Enter its quota resources, / s",
    "Capacity: n every node's workspaces, requests, usage, control plane",
    NULL,
};

/* The detail key of the all-nodes view; no namespace name holds a colon. */
#define NODES_KEY ":nodes"
#define TOP_NODES 3 /* most crowded nodes on the main view */

enum { L_NAME, L_WS, L_CPU, L_MEM, L_USE, L_WSUSE, L_CP, L_NCOLS };
static const struct ptab_col lcols[L_NCOLS] = {
    [L_NAME] = {"node", 16, 40, false, 0, false},       [L_WS] = {"ws", 4, 0, true, 0, false},
    [L_CPU] = {"ws cpu", 6, 0, true, 0, false},         [L_MEM] = {"ws mem", 6, 0, true, 1, false},
    [L_USE] = {"cpu used", 8, 0, true, 3, false},       [L_WSUSE] = {"by ws", 5, 0, true, 4, false},
    [L_CP] = {"control plane", 13, 0, false, 2, false},
};

enum { N_NAME, N_TIGHT, N_USED, N_PCT, N_TREND, N_COUNT, N_NCOLS };
static const struct ptab_col ncols[N_NCOLS] = {
    [N_NAME] = {"namespace", 14, 36, false, 0, false},
    [N_TIGHT] = {"tightest", 15, 0, false, 1, false},
    [N_USED] = {"used/hard", 15, 0, true, 2, false},
    [N_PCT] = {"used", 5, 0, true, 0, false},
    [N_TREND] = {"trend", 12, 0, false, 3, true},
    [N_COUNT] = {"quotas", 6, 0, true, 4, false},
};

enum { Q_USER, Q_ORG, Q_USED, Q_BUDGET, Q_PCT, Q_NCOLS };
static const struct ptab_col qcols[Q_NCOLS] = {
    [Q_USER] = {"coder quota: user", 18, 30, false, 0, false},
    [Q_ORG] = {"org", 10, 0, false, 2, false},
    [Q_USED] = {"consumed", 8, 0, true, 0, false},
    [Q_BUDGET] = {"budget", 8, 0, true, 0, false},
    [Q_PCT] = {"used", 5, 0, true, 1, false},
};

enum { G_NAME, G_ORG, G_USED, G_POOL, G_PCT, G_TREND, G_NCOLS };
static const struct ptab_col gcols[G_NCOLS] = {
    [G_NAME] = {"quota group", 16, 30, false, 0, false},
    [G_ORG] = {"org", 10, 0, false, 2, false},
    [G_USED] = {"used", 7, 0, true, 0, false},
    [G_POOL] = {"pool", 7, 0, true, 1, false},
    [G_PCT] = {"used", 5, 0, true, 0, false},
    [G_TREND] = {"7 days", 14, 0, false, 3, true},
};

#define COST_TREND_S (7 * 86400.0) /* the weekly change of the cost numbers */

static bool is_bytes(const char *resource)
{
    return resource && (strstr(resource, "memory") || strstr(resource, "storage"));
}

static const char *amount(char *buf, size_t n, const char *resource, double v)
{
    return is_bytes(resource) ? fmt_bytes(buf, n, v) : fmt_num(buf, n, v, 1);
}

static enum role head_role(const struct advisor_thresholds *th, double used, double total)
{
    if (isnan(used) || isnan(total)) {
        return ROLE_DIM;
    }
    return panel_role_of(judge_headroom(th, used, total));
}

static void build_ns(struct ptab *t, const struct snapshot *s, const struct pane_view *v,
                     const struct advisor_thresholds *th, bool stale)
{
    char b[64], b2[64], b3[64];
    const struct capacity *cap = &s->capacity;
    ptab_init(t, ncols, N_NCOLS);
    t->stale = stale;
    for (size_t i = 0; i < cap->nnamespaces; i++) {
        const struct namespace_quota *ns = &cap->namespaces[i];
        struct ptab_row *r = ptab_add(t, ns->name ? ns->name : "?", (int)i);
        if (!r) {
            break;
        }
        const struct quantity_pair *tight = NULL;
        for (size_t j = 0; j < ns->nresources; j++) {
            const struct quantity_pair *q = &ns->resources[j];
            if (!isnan(q->used / q->hard) &&
                (!tight || q->used / q->hard > tight->used / tight->hard)) {
                tight = q;
            }
        }
        ptab_set(r, N_NAME, ROLE_NORMAL, ns->name, NAN);
        ptab_setf(r, N_COUNT, ROLE_NORMAL, (double)ns->nresources, "%zu", ns->nresources);
        if (!tight) {
            ptab_set(r, N_TIGHT, ROLE_DIM, FMT_UNKNOWN, NAN);
            ptab_set(r, N_USED, ROLE_DIM, FMT_UNKNOWN, NAN);
            ptab_set(r, N_PCT, ROLE_DIM, FMT_UNKNOWN, NAN);
            continue;
        }
        snprintf(r->series, sizeof r->series, "namespace/%s/resources/%s/used",
                 ns->name ? ns->name : "?", tight->resource ? tight->resource : "?");
        ptab_set(r, N_TIGHT, ROLE_NORMAL, tight->resource, NAN);
        ptab_setf(r, N_USED, ROLE_NORMAL, tight->used, "%s/%s",
                  amount(b, sizeof b, tight->resource, tight->used),
                  amount(b2, sizeof b2, tight->resource, tight->hard));
        double f = tight->used / tight->hard;
        ptab_set(r, N_PCT, head_role(th, tight->used, tight->hard), fmt_pct(b3, sizeof b3, f), f);
    }
    ptab_apply(t, v->filter, v->sort);
}

static void build_quota(struct ptab *t, const struct snapshot *s, const struct pane_view *v,
                        const struct advisor_thresholds *th)
{
    char b[64];
    const struct capacity *cap = &s->capacity;
    ptab_init(t, qcols, Q_NCOLS);
    for (size_t i = 0; i < cap->ncoder_quota; i++) {
        const struct coder_quota *q = &cap->coder_quota[i];
        struct ptab_row *r = ptab_add(t, q->user, (int)i);
        if (!r) {
            break;
        }
        double f = q->credits_consumed / q->budget;
        ptab_set(r, Q_USER, ROLE_NORMAL, q->user, NAN);
        ptab_set(r, Q_ORG, ROLE_NORMAL, q->organization, NAN);
        ptab_set(r, Q_USED, head_role(th, q->credits_consumed, q->budget),
                 fmt_num(b, sizeof b, q->credits_consumed, 0), q->credits_consumed);
        ptab_set(r, Q_BUDGET, ROLE_NORMAL, fmt_num(b, sizeof b, q->budget, 0), q->budget);
        ptab_set(r, Q_PCT, head_role(th, q->credits_consumed, q->budget), fmt_pct(b, sizeof b, f),
                 f);
    }
    /* Nearest to exhaustion first. */
    ptab_apply(t, v->filter, Q_PCT + 1);
}

/* "coderd, pg, 2 prov" for the control-plane pods on a node (provisioners
 * only when prov); "" for none. */
static const char *cp_kinds(char *buf, size_t n, const struct node_load *l, bool prov)
{
    const struct {
        const char *name;
        double v;
    } k[] = {{"coderd", l->coderd},
             {"pg", l->postgres},
             {"proxy", l->proxies},
             {"prov", prov ? l->provisioners : NAN}};
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof k / sizeof *k && o < n; i++) {
        if (!(k[i].v > 0)) {
            continue;
        }
        int w = k[i].v > 1 ? snprintf(buf + o, n - o, "%s%.0f %s", o ? ", " : "", k[i].v, k[i].name)
                           : snprintf(buf + o, n - o, "%s%s", o ? ", " : "", k[i].name);
        o += w > 0 ? (size_t)w : 0;
    }
    return buf;
}

static void set_pct(struct ptab_row *r, int col, enum role role, double f)
{
    char b[16];
    ptab_set(r, col, isnan(f) ? ROLE_DIM : role, fmt_pct(b, sizeof b, f), f);
}

/* Every node (at most `max`), most loaded first as the poller sorted them;
 * crowded and co-located cells in the advisor's warning colour. */
static void build_nodes(struct ptab *t, const struct snapshot *s,
                        const struct advisor_thresholds *th, bool stale, size_t max)
{
    char b[64];
    const struct capacity *cap = &s->capacity;
    ptab_init(t, lcols, L_NCOLS);
    t->stale = stale;
    for (size_t i = 0; i < cap->nnodes && i < max; i++) {
        const struct node_load *l = &cap->nodes[i];
        struct ptab_row *r = ptab_add(t, l->name ? l->name : "?", (int)i);
        if (!r) {
            break;
        }
        enum role crowd = advisor_node_crowded(th, l) ? ROLE_WARN : ROLE_NORMAL;
        snprintf(r->series, sizeof r->series, "node/%s/workspaces", l->name ? l->name : "?");
        ptab_set(r, L_NAME, l->schedulable == TRI_FALSE ? ROLE_DIM : ROLE_NORMAL, l->name, NAN);
        ptab_set(r, L_WS, isnan(l->workspaces) ? ROLE_DIM : crowd,
                 fmt_num(b, sizeof b, l->workspaces, 0), l->workspaces);
        set_pct(r, L_CPU, crowd, l->workspace_cpu_requested_cores / l->cpu_allocatable_cores);
        set_pct(r, L_MEM, crowd, l->workspace_memory_requested_bytes / l->memory_allocatable_bytes);
        set_pct(r, L_USE, ROLE_NORMAL, l->cpu_usage_cores / l->cpu_allocatable_cores);
        set_pct(r, L_WSUSE, ROLE_NORMAL, l->workspace_cpu_usage_cores / l->cpu_usage_cores);
        cp_kinds(b, sizeof b, l, true);
        ptab_set(r, L_CP, advisor_node_colocated(l) ? ROLE_WARN : ROLE_NORMAL, b[0] ? b : "", NAN);
    }
}

/* The all-nodes view: a summary line, then every node, scrolled by v->scroll. */
static void nodes_detail(struct canvas *c, struct rect r, const struct snapshot *s,
                         const struct pane_view *v, const struct pane_ctx *ctx,
                         const struct advisor_thresholds *th, enum role n)
{
    const struct capacity *cap = &s->capacity;
    int y = r.y, bottom = r.y + r.h;
    size_t crowded = 0, colocated = 0;
    double ws = 0;
    for (size_t i = 0; i < cap->nnodes; i++) {
        crowded += advisor_node_crowded(th, &cap->nodes[i]) != SEV_OK;
        colocated += advisor_node_colocated(&cap->nodes[i]);
        ws += isnan(cap->nodes[i].workspaces) ? 0 : cap->nodes[i].workspaces;
    }
    canvas_printf(c, r, r.x + 1, y++, ROLE_TITLE, "Nodes: %zu, %.0f workspaces%s", cap->nnodes, ws,
                  cap->metrics_api == TRI_FALSE ? "; usage unknown: no metrics API" : "");
    if (y < bottom) {
        canvas_printf(c, r, r.x + 1, y++, crowded || colocated ? ROLE_WARN : n,
                      "%zu crowded, %zu with coderd/PostgreSQL/proxies beside workspaces", crowded,
                      colocated);
    }
    if (!cap->nnodes) {
        if (y < bottom) {
            canvas_put_text(c, r, r.x + 1, y, ROLE_DIM, "no nodes in this snapshot (Esc: back)");
        }
        return;
    }
    struct ptab t;
    build_nodes(&t, s, th, n == ROLE_STALE, SIZE_MAX);
    if (y < bottom) {
        int h = bottom - y;
        int first = v->scroll < (int)t.n ? v->scroll : (int)t.n - 1;
        ptab_draw(c, canvas_rect(r.x, y, r.w, h), &t, first > 0 ? first : 0, -1, false, ctx, s,
                  panel_window(ctx));
    }
    ptab_fini(&t);
}

static void build_groups(struct ptab *t, const struct snapshot *s, const struct pane_view *v,
                         const struct advisor_thresholds *th, bool stale)
{
    char b[64], b2[64];
    const struct cost *k = &s->cost;
    ptab_init(t, gcols, G_NCOLS);
    t->stale = stale;
    for (size_t i = 0; i < k->ngroups; i++) {
        const struct cost_group *g = &k->groups[i];
        const char *org = g->organization ? g->organization : "?";
        const char *name = g->name ? g->name : "?";
        snprintf(b, sizeof b, "%s/%s", org, name);
        struct ptab_row *r = ptab_add(t, b, (int)i);
        if (!r) {
            break;
        }
        snprintf(r->series, sizeof r->series, "cost_group/%s/%s/consumed_credits", org, name);
        double f = g->consumed_credits / g->budget_credits;
        enum role role = panel_role_ratio(f, th->quota_group_warn, th->quota_group_crit,
                                          isnan(f) ? ROLE_DIM : ROLE_NORMAL);
        ptab_set(r, G_NAME, ROLE_NORMAL, name, NAN);
        ptab_set(r, G_ORG, ROLE_NORMAL, org, NAN);
        ptab_set(r, G_USED, role, fmt_num(b, sizeof b, g->consumed_credits, 0),
                 g->consumed_credits);
        ptab_setf(r, G_POOL, ROLE_NORMAL, g->budget_credits, "%s",
                  fmt_num(b2, sizeof b2, g->budget_credits, 0));
        ptab_set(r, G_PCT, role, fmt_pct(b, sizeof b, f), f);
    }
    /* Nearest to exhaustion first. */
    ptab_apply(t, v->filter, G_PCT + 1);
}

/* "label  value  7-day sparkline" */
static void cost_line(struct canvas *c, struct rect r, int y, const char *label, enum role role,
                      const char *value, const struct pane_ctx *ctx, const struct snapshot *s,
                      const char *series)
{
    panel_kv(c, r, y, 14, label, role, value, 24, ctx, s, NULL, 0);
    int x = r.x + 3 + 14 + 24;
    int w = r.x + r.w - 1 - x;
    if (w > 28) {
        w = 28;
    }
    if (w > 0) {
        panel_spark(c, r, x, y, w, ctx, s, series, COST_TREND_S);
    }
}

/* "150  25% of running" */
static const char *share(char *buf, size_t n, double part, double whole)
{
    char a[32], p[16];
    if (isnan(part)) {
        return FMT_UNKNOWN;
    }
    snprintf(buf, n, "%s  %s of running", fmt_num(a, sizeof a, part, 0),
             fmt_pct(p, sizeof p, part / whole));
    return buf;
}

/* The cost control block from y; returns the next free line. */
static int draw_cost(struct canvas *c, struct rect in, int y, const struct snapshot *s,
                     const struct pane_view *v, const struct pane_ctx *ctx,
                     const struct advisor_thresholds *th)
{
    const struct source_state *src = snapshot_find_source(s, "coder-cost");
    const struct source_state *grp = snapshot_find_source(s, "coder-groups");
    const struct cost *k = &s->cost;
    int bottom = in.y + in.h;
    if ((!src && isnan(k->listed_at) && k->ngroups == 0) || y + 1 >= bottom) {
        return y; /* no Coder API, or a recording from before cost control */
    }
    y++;
    char b[96], b2[64];
    int x = canvas_put_text(c, in, in.x + 1, y, ROLE_HEADER, "cost control");
    enum role fr = ROLE_DIM;
    enum source_status st = src ? src->status : SOURCE_NEVER;
    if (!isnan(k->listed_at) && isfinite(s->time)) {
        snprintf(b, sizeof b, "running list %s ago",
                 fmt_duration(b2, sizeof b2, s->time - k->listed_at));
    } else if (st == SOURCE_NEVER) {
        snprintf(b, sizeof b, "first running list pending");
    } else {
        snprintf(b, sizeof b, "no running list");
    }
    if (st == SOURCE_STALE || st == SOURCE_ERROR) {
        fr = ROLE_STALE;
        size_t l = strlen(b);
        snprintf(b + l, sizeof b - l, ", %s: %s", source_status_name(st),
                 src->error ? src->error : "?");
    } else if (st == SOURCE_DISABLED) {
        fr = ROLE_WARN;
        snprintf(b, sizeof b, "running list: %s", src->error ? src->error : "disabled");
    }
    canvas_put_text(c, in, x + 2, y++, fr, b);
    enum role n = st == SOURCE_STALE ? ROLE_STALE : ROLE_NORMAL;
    double run = k->workspaces_running;
    if (y < bottom) {
        cost_line(c, in, y++, "running", isnan(run) ? ROLE_DIM : n, fmt_num(b2, sizeof b2, run, 0),
                  ctx, s, "cost/workspaces_running");
    }
    if (y < bottom) {
        double f = k->running_off_peak / run;
        cost_line(c, in, y++, "off-peak", isnan(f) ? ROLE_DIM : n,
                  share(b, sizeof b, k->running_off_peak, run), ctx, s, "cost/running_off_peak");
    }
    if (y < bottom) {
        double f = k->without_autostop / run;
        enum role role = isnan(f) ? ROLE_DIM : f >= th->cost_no_autostop_info ? ROLE_INFO : n;
        cost_line(c, in, y++, "no autostop", role, share(b, sizeof b, k->without_autostop, run),
                  ctx, s, "cost/without_autostop");
    }
    if (y < bottom) {
        double d = k->daily_cost_credits;
        if (!isnan(d)) {
            snprintf(b, sizeof b, "%s credits/day", fmt_num(b2, sizeof b2, d, 0));
        }
        cost_line(c, in, y++, "daily cost", isnan(d) ? ROLE_DIM : n, isnan(d) ? FMT_UNKNOWN : b,
                  ctx, s, "cost/daily_cost_credits");
    }
    if (grp && grp->status == SOURCE_DISABLED && y < bottom) {
        panel_kv(c, in, y++, 14, "quota groups", ROLE_DIM,
                 grp->reason == REASON_NEEDS_PREMIUM ? "needs Premium (template RBAC)"
                 : grp->error                        ? grp->error
                                                     : "disabled",
                 60, ctx, s, NULL, 0);
        return y;
    }
    struct ptab t;
    build_groups(&t, s, v, th, grp && grp->status == SOURCE_STALE);
    if (t.n && y + 1 < bottom) {
        int want = (int)t.n + 1;
        int h = want < bottom - y ? want : bottom - y;
        y += ptab_draw(c, canvas_rect(in.x, y, in.w, h), &t, 0, -1, false, ctx, s, COST_TREND_S);
    }
    ptab_fini(&t);
    return y;
}

static const char *row_id(const struct snapshot *s, const struct pane_view *v, int row, char *buf,
                          size_t n)
{
    struct ptab t;
    struct advisor_thresholds th;
    advisor_thresholds_default(&th);
    build_ns(&t, s, v, &th, false);
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
    if (!v->filtering && !v->detail && k == 'n') {
        v->detail = true;
        v->scroll = 0;
        snprintf(v->detail_key, sizeof v->detail_key, "%s", NODES_KEY);
        return true;
    }
    if (v->detail && strcmp(v->detail_key, NODES_KEY) == 0) {
        int last = s && s->capacity.nnodes ? (int)s->capacity.nnodes - 1 : 0;
        int to = v->scroll;
        switch (k) {
        case KEYS_DOWN:
        case 'j':
            to++;
            break;
        case KEYS_UP:
        case 'k':
            to--;
            break;
        case KEYS_PAGE_DOWN:
            to += 10;
            break;
        case KEYS_PAGE_UP:
            to -= 10;
            break;
        case KEYS_HOME:
        case 'g':
            to = 0;
            break;
        case KEYS_END:
        case 'G':
            to = last;
            break;
        default:
            if (k == KEYS_ESCAPE || k == KEYS_BACKSPACE || k == KEYS_LEFT) {
                v->scroll = 0;
            }
            return panel_key_rows(v, s, k, 0, 1, row_id);
        }
        v->scroll = to < 0 ? 0 : to > last ? last : to;
        return true;
    }
    int n = 0;
    if (s) {
        struct ptab t;
        struct advisor_thresholds th;
        advisor_thresholds_default(&th);
        build_ns(&t, s, v, &th, false);
        n = (int)t.n;
        ptab_fini(&t);
    }
    return panel_key_rows(v, s, k, n, N_NCOLS + 1, row_id);
}

/* "566 of 640 cores  88%  12% left" with the series' sparkline. */
static void used_line(struct canvas *c, struct rect r, int y, int lw, const char *label,
                      double used, double total, bool bytes, const char *unit,
                      const struct pane_ctx *ctx, const struct snapshot *s,
                      const struct advisor_thresholds *th, const char *series, enum role normal)
{
    char u[32], h[32], p[16], left[16], line[128];
    if (bytes) {
        fmt_bytes(u, sizeof u, used);
        fmt_bytes(h, sizeof h, total);
    } else {
        fmt_num(u, sizeof u, used, 1);
        fmt_num(h, sizeof h, total, 1);
    }
    fmt_pct(p, sizeof p, used / total);
    fmt_pct(left, sizeof left, 1 - used / total);
    snprintf(line, sizeof line, "%s of %s%s%s  %s, %s left", u, h, unit ? " " : "",
             unit ? unit : "", p, left);
    enum role role = head_role(th, used, total);
    panel_kv(c, r, y, lw, label, role == ROLE_NORMAL ? normal : role, line, 36, ctx, s, series, 30);
}

static void detail(struct canvas *c, struct rect r, const struct snapshot *s,
                   const struct pane_view *v, const struct pane_ctx *ctx,
                   const struct advisor_thresholds *th, enum role n)
{
    const struct namespace_quota *ns = NULL;
    for (size_t i = 0; i < s->capacity.nnamespaces && !ns; i++) {
        const char *name = s->capacity.namespaces[i].name;
        if (strcmp(name ? name : "?", v->detail_key) == 0) {
            ns = &s->capacity.namespaces[i];
        }
    }
    if (strcmp(v->detail_key, NODES_KEY) == 0) {
        nodes_detail(c, r, s, v, ctx, th, n);
        return;
    }
    int y = r.y;
    canvas_printf(c, r, r.x + 1, y++, ROLE_TITLE, "Namespace %s", v->detail_key);
    if (!ns) {
        canvas_put_text(c, r, r.x + 1, y, ROLE_DIM, "not in this snapshot (Esc: back)");
        return;
    }
    panel_kv(c, r, y++, 22, "limit range defaults",
             ns->limitrange_defaults == TRI_FALSE ? ROLE_WARN : n,
             ns->limitrange_defaults == TRI_TRUE    ? "yes"
             : ns->limitrange_defaults == TRI_FALSE ? "none: pods without requests are rejected"
                                                    : FMT_UNKNOWN,
             44, ctx, s, NULL, 0);
    for (size_t j = 0; j < ns->nresources && y < r.y + r.h; j++) {
        const struct quantity_pair *q = &ns->resources[j];
        char series[PANE_KEY_MAX];
        snprintf(series, sizeof series, "namespace/%s/resources/%s/used", ns->name ? ns->name : "?",
                 q->resource ? q->resource : "?");
        used_line(c, r, y++, 22, q->resource ? q->resource : "?", q->used, q->hard,
                  is_bytes(q->resource), NULL, ctx, s, th, series, n);
    }
}

static void compact(struct canvas *c, struct rect in, const struct snapshot *s,
                    const struct panel_fresh *f, const struct advisor_thresholds *th)
{
    char b[16];
    const struct capacity *cap = &s->capacity;
    struct rect r = canvas_rect(in.x + 1, in.y, in.w - 1, in.h);
    if (!f->show_numbers) {
        panel_wrap(c, r, r.x, r.y, f->role, f->text);
        return;
    }
    enum role n = f->status == SOURCE_STALE ? ROLE_STALE : ROLE_NORMAL;
    int x = canvas_put_text(c, r, r.x, r.y, ROLE_DIM, "cpu ");
    enum role role =
        head_role(th, cap->cluster.cpu_requested_cores, cap->cluster.cpu_allocatable_cores);
    x = canvas_put_text(
        c, r, x, r.y, role == ROLE_NORMAL ? n : role,
        fmt_pct(b, sizeof b,
                cap->cluster.cpu_requested_cores / cap->cluster.cpu_allocatable_cores));
    x = canvas_put_text(c, r, x + 1, r.y, ROLE_DIM, "mem ");
    role =
        head_role(th, cap->cluster.memory_requested_bytes, cap->cluster.memory_allocatable_bytes);
    canvas_put_text(
        c, r, x, r.y, role == ROLE_NORMAL ? n : role,
        fmt_pct(b, sizeof b,
                cap->cluster.memory_requested_bytes / cap->cluster.memory_allocatable_bytes));
    const char *sh = panel_fresh_short(f);
    if (sh) {
        canvas_put_text(c, r, r.x, r.y + 1, f->role, sh);
    }
    struct pane_view v = {.selected = -1};
    struct ptab t;
    build_ns(&t, s, &v, th, false);
    ptab_apply(&t, "", N_PCT + 1);
    if (t.n) {
        x = canvas_put_text(c, r, r.x, r.y + 2, ROLE_DIM, "ns ");
        x = canvas_put_text(c, r, x, r.y + 2, t.rows[0].c[N_PCT].role, t.rows[0].c[N_PCT].text);
        canvas_put_text(c, r, x + 1, r.y + 2, ROLE_NORMAL, t.rows[0].id);
    }
    ptab_fini(&t);
}

/* Every co-location of the control plane with workspaces (the guide: keep
 * them apart), then the most crowded nodes if `reserve` rows are still left
 * below them, from row y; returns the next row. */
static int crowded_nodes(struct canvas *c, struct rect in, int y, int bottom, int reserve,
                         const struct snapshot *s, const struct pane_ctx *ctx,
                         const struct advisor_thresholds *th, enum role n)
{
    const struct capacity *cap = &s->capacity;
    if (!cap->nnodes) {
        return y;
    }
    char b[64];
    for (size_t i = 0; i < cap->nnodes && y < bottom; i++) {
        const struct node_load *l = &cap->nodes[i];
        if (!advisor_node_colocated(l)) {
            continue;
        }
        canvas_printf(c, in, in.x + 1, y++, ROLE_WARN, "%s beside %.0f workspaces on %s",
                      cp_kinds(b, sizeof b, l, false), l->workspaces, l->name ? l->name : "?");
    }
    bottom -= reserve;
    if (y + 1 >= bottom) {
        return y;
    }
    struct ptab t;
    build_nodes(&t, s, th, n == ROLE_STALE, TOP_NODES);
    int h = (int)t.n + 1 < bottom - y ? (int)t.n + 1 : bottom - y;
    y += ptab_draw(c, canvas_rect(in.x, y, in.w, h), &t, 0, -1, false, ctx, s, panel_window(ctx));
    ptab_fini(&t);
    if (cap->nnodes > TOP_NODES && y < bottom) {
        canvas_printf(c, in, in.x + 1, y++, ROLE_DIM, "%zu more nodes: n lists them all",
                      cap->nnodes - TOP_NODES);
    }
    return y;
}

static void draw(struct canvas *c, struct rect r, const struct snapshot *s,
                 const struct pane_view *v, const struct pane_ctx *ctx)
{
    char b[64];
    struct rect in = panel_frame(c, r, &pane_capacity, v);
    if (!s) {
        panel_no_data(c, in, s);
        return;
    }
    struct advisor_thresholds thd;
    const struct advisor_thresholds *th = panel_thresholds(ctx, &thd);
    struct panel_fresh f;
    panel_freshness(s, "capacity", &f);
    if (v->compact) {
        compact(c, in, s, &f, th);
        return;
    }
    int y = in.y + panel_fresh_line(c, in, &f, f.show_numbers ? 2 : in.h);
    enum role n = f.status == SOURCE_STALE ? ROLE_STALE : ROLE_NORMAL;
    const struct capacity *cap = &s->capacity;
    int bottom = in.y + in.h;
    if (f.show_numbers) {
        struct rect body = canvas_rect(in.x, y, in.w, bottom - y);
        if (v->detail) {
            detail(c, body, s, v, ctx, th, n);
            return;
        }
        used_line(c, in, y++, 14, "cpu requested", cap->cluster.cpu_requested_cores,
                  cap->cluster.cpu_allocatable_cores, false, "cores", ctx, s, th,
                  "capacity/cluster/cpu_requested_cores", n);
        used_line(c, in, y++, 14, "memory", cap->cluster.memory_requested_bytes,
                  cap->cluster.memory_allocatable_bytes, true, NULL, ctx, s, th,
                  "capacity/cluster/memory_requested_bytes", n);
        used_line(c, in, y++, 14, "pods", cap->cluster.pods, cap->cluster.pods_allocatable, false,
                  NULL, ctx, s, th, "capacity/cluster/pods", n);
        char line[96], b2[32];
        snprintf(line, sizeof line, "%s nodes, %s pods unschedulable",
                 fmt_num(b, sizeof b, cap->cluster.nodes, 0),
                 fmt_num(b2, sizeof b2, cap->cluster.pods_unschedulable, 0));
        panel_kv(c, in, y++, 14, "nodes", cap->cluster.pods_unschedulable > 0 ? ROLE_WARN : n, line,
                 40, ctx, s, NULL, 0);
        struct ptab t;
        build_ns(&t, s, v, th, f.status == SOURCE_STALE);
        y = crowded_nodes(c, in, y, bottom, t.n ? (int)t.n + 2 : 0, s, ctx, th, n);
        if (t.n && y + 1 < bottom) {
            y++;
            int want = (int)t.n + 1;
            int h = want < bottom - y ? want : bottom - y;
            int first = panel_first_row(v, (int)t.n, h - 1);
            y += ptab_draw(c, canvas_rect(in.x, y, in.w, h), &t, first, v->selected, v->focused,
                           ctx, s, panel_window(ctx));
        }
        ptab_fini(&t);
    }
    /* Declared limits and Coder quotas come from the config and the Coder
     * API, not from Kubernetes: shown whatever the cluster source says. */
    if (cap->nsoft_limits && y + 1 < bottom) {
        y++;
        canvas_put_text(c, in, in.x + 1, y++, ROLE_HEADER, "declared limits");
        for (size_t i = 0; i < cap->nsoft_limits && y < bottom; i++) {
            const struct soft_limit *l = &cap->soft_limits[i];
            char series[PANE_KEY_MAX];
            snprintf(series, sizeof series, "soft_limit/%s/used", l->name ? l->name : "?");
            used_line(c, in, y++, 22, l->name ? l->name : "?", l->used, l->limit, false, NULL, ctx,
                      s, th, series, ROLE_NORMAL);
        }
    }
    struct ptab q;
    build_quota(&q, s, v, th);
    if (q.n && y + 1 < bottom) {
        y++;
        int want = (int)q.n + 1;
        int h = want < bottom - y ? want : bottom - y;
        y += ptab_draw(c, canvas_rect(in.x, y, in.w, h), &q, 0, -1, false, ctx, s,
                       panel_window(ctx));
    }
    ptab_fini(&q);
    draw_cost(c, in, y, s, v, ctx, th);
    panel_view_badge(c, r, v, v->sort > 0 && v->sort <= N_NCOLS ? ncols[v->sort - 1].name : NULL);
}

const struct pane_ops pane_capacity = {
    .name = "capacity",
    .title = "Capacity",
    .hotkey = '6',
    .min_w = 50,
    .min_h = 6,
    .draw = draw,
    .key = key,
    .help = help,
};
