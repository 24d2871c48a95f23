/*
 * The Overview pane: one line that says how bad things are and how fresh
 * the sources are, the advisor's findings worst first with how long each
 * has lasted, the event timeline (newest first) and every source's status.
 * Draws only inside its rectangle.
 */
#include "panels/panel.h"
#include "panels/ptab.h"

#include "backend/fmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const help[] = {
    "Overview: source statuses, the advisor's findings and the event timeline.",
    "Overview: Up/Down select a finding, / filter, s sort",
    NULL,
};

enum { F_SEV, F_SINCE, F_RULE, F_ENTITY, F_MESSAGE, F_NCOLS };
static const struct ptab_col fcols[F_NCOLS] = {
    [F_SEV] = {"sev", 4, 0, false, 0, false},
    [F_SINCE] = {"for", 6, 0, true, 0, false},
    [F_RULE] = {"rule", 24, 0, false, 3, false},
    [F_ENTITY] = {"entity", 18, 0, false, 2, false},
    [F_MESSAGE] = {"finding", 20, 200, false, 0, false},
};

enum { E_TIME, E_KIND, E_ENTITY, E_MESSAGE, E_NCOLS };
static const struct ptab_col ecols[E_NCOLS] = {
    [E_TIME] = {"time", 8, 0, false, 0, false},
    [E_KIND] = {"event", 14, 0, false, 1, false},
    [E_ENTITY] = {"entity", 16, 0, false, 2, false},
    [E_MESSAGE] = {"message", 20, 200, false, 0, false},
};

enum { S_NAME, S_STATUS, S_AGE, S_LAT, S_DETAIL, S_NCOLS };
static const struct ptab_col scols[S_NCOLS] = {
    [S_NAME] = {"source", 22, 0, false, 0, false},
    [S_STATUS] = {"status", 8, 0, false, 0, false},
    [S_AGE] = {"last ok", 8, 0, true, 2, false},
    [S_LAT] = {"latency", 8, 0, true, 3, false},
    [S_DETAIL] = {"detail", 10, 200, false, 1, false},
};

static enum role status_role(enum source_status st)
{
    switch (st) {
    case SOURCE_OK:
        return ROLE_OK;
    case SOURCE_STALE:
        return ROLE_STALE;
    case SOURCE_ERROR:
        return ROLE_CRIT;
    default:
        return ROLE_DIM;
    }
}

static const char *short_sev(enum severity sev)
{
    switch (sev) {
    case SEV_CRIT:
        return "CRIT";
    case SEV_WARN:
        return "WARN";
    case SEV_INFO:
        return "info";
    default:
        return "ok";
    }
}

static void build_findings(struct ptab *t, const struct snapshot *s, const struct pane_view *v)
{
    char b[64];
    ptab_init(t, fcols, F_NCOLS);
    /* Worst first; within a severity the longest-lasting first. */
    for (int sev = SEV_CRIT; sev >= SEV_OK; sev--) {
        size_t start = t->n;
        for (size_t i = 0; i < s->nfindings; i++) {
            const struct finding *f = &s->findings[i];
            if ((int)f->severity != sev) {
                continue;
            }
            char id[PANE_KEY_MAX];
            snprintf(id, sizeof id, "%s %s", f->rule ? f->rule : "", f->entity ? f->entity : "");
            struct ptab_row *r = ptab_add(t, id, (int)i);
            if (!r) {
                break;
            }
            double age = s->time - f->since;
            ptab_set(r, F_SEV, panel_role_of(f->severity), short_sev(f->severity), f->severity);
            ptab_set(r, F_SINCE, ROLE_NORMAL, fmt_duration(b, sizeof b, age), age);
            ptab_set(r, F_RULE, ROLE_DIM, f->rule, NAN);
            ptab_set(r, F_ENTITY, ROLE_NORMAL, f->entity, NAN);
            ptab_set(r, F_MESSAGE, ROLE_NORMAL, f->message, NAN);
        }
        /* Longest first inside one severity: stable insertion by age. */
        for (size_t i = start + 1; i < t->n; i++) {
            for (size_t j = i;
                 j > start && t->rows[j].c[F_SINCE].key > t->rows[j - 1].c[F_SINCE].key; j--) {
                struct ptab_row tmp = t->rows[j];
                t->rows[j] = t->rows[j - 1];
                t->rows[j - 1] = tmp;
            }
        }
    }
    ptab_apply(t, v->filter, v->sort);
}

static void build_events(struct ptab *t, const struct snapshot *s, const struct pane_view *v,
                         bool utc)
{
    char b[64];
    ptab_init(t, ecols, E_NCOLS);
    for (size_t k = s->nevents; k-- > 0;) {
        const struct event *e = &s->events[k];
        struct ptab_row *r = ptab_add(t, e->kind, (int)k);
        if (!r) {
            break;
        }
        fmt_time(b, sizeof b, e->time, utc, 0);
        ptab_set(r, E_TIME, ROLE_DIM, strlen(b) > 11 ? b + 11 : b, e->time);
        ptab_set(r, E_KIND, ROLE_NORMAL, e->kind, NAN);
        ptab_set(r, E_ENTITY, ROLE_NORMAL, e->entity, NAN);
        ptab_set(r, E_MESSAGE, ROLE_NORMAL, e->message, NAN);
    }
    ptab_apply(t, v->filter, 0);
}

static void build_sources(struct ptab *t, const struct snapshot *s, const struct pane_view *v)
{
    char b[64];
    ptab_init(t, scols, S_NCOLS);
    for (size_t i = 0; i < s->nsources; i++) {
        const struct source_state *src = &s->sources[i];
        struct ptab_row *r = ptab_add(t, src->name, (int)i);
        if (!r) {
            break;
        }
        ptab_set(r, S_NAME, ROLE_NORMAL, src->name, NAN);
        ptab_set(r, S_STATUS, status_role(src->status), source_status_name(src->status), NAN);
        ptab_set(r, S_AGE, ROLE_NORMAL,
                 isnan(src->last_ok) ? FMT_UNKNOWN
                                     : fmt_duration(b, sizeof b, s->time - src->last_ok),
                 NAN);
        ptab_set(r, S_LAT, ROLE_NORMAL, fmt_ms(b, sizeof b, src->latency_ms), NAN);
        ptab_set(r, S_DETAIL, src->error ? status_role(src->status) : ROLE_DIM,
                 src->error  ? src->error
                 : src->hint ? src->hint
                             : "",
                 NAN);
    }
    ptab_apply(t, v->filter, 0);
}

static bool key(struct pane_view *v, const struct snapshot *s, int k)
{
    int n = 0;
    if (s) {
        struct ptab t;
        build_findings(&t, s, v);
        n = (int)t.n;
        ptab_fini(&t);
    }
    return panel_key_rows(v, s, k, n, F_NCOLS + 1, NULL);
}

/* "2 crit, 2 warn · sources: 6 ok, 1 stale, 1 disabled" */
static int summary(struct canvas *c, struct rect r, int y, const struct snapshot *s)
{
    size_t sev[4] = {0}, st[5] = {0};
    for (size_t i = 0; i < s->nfindings; i++) {
        sev[s->findings[i].severity & 3]++;
    }
    for (size_t i = 0; i < s->nsources; i++) {
        st[s->sources[i].status <= SOURCE_DISABLED ? s->sources[i].status : 0]++;
    }
    int x = r.x + 1;
    if (!s->nfindings) {
        x = canvas_put_text(c, r, x, y, ROLE_OK, "no findings");
    }
    static const enum severity order[] = {SEV_CRIT, SEV_WARN, SEV_INFO};
    static const char *const names[] = {"crit", "warn", "info"};
    for (int i = 0; i < 3; i++) {
        if (sev[order[i]]) {
            x = canvas_printf(c, r, x, y, panel_role_of(order[i]), "%zu %s  ", sev[order[i]],
                              names[i]);
        }
    }
    x = canvas_put_text(c, r, x + (s->nfindings ? 0 : 2), y, ROLE_DIM, "sources: ");
    static const enum source_status sorder[] = {SOURCE_OK, SOURCE_STALE, SOURCE_ERROR, SOURCE_NEVER,
                                                SOURCE_DISABLED};
    bool first = true;
    for (int i = 0; i < 5; i++) {
        if (st[sorder[i]]) {
            x = canvas_printf(c, r, x, y, status_role(sorder[i]), "%s%zu %s", first ? "" : ", ",
                              st[sorder[i]], source_status_name(sorder[i]));
            first = false;
        }
    }
    return 1;
}

static void draw(struct canvas *c, struct rect r, const struct snapshot *s,
                 const struct pane_view *v, const struct pane_ctx *ctx)
{
    struct rect in = panel_frame(c, r, &pane_overview, v);
    if (!s) {
        panel_no_data(c, in, s);
        return;
    }
    int y = in.y + summary(c, in, in.y, s);
    if (v->compact) {
        return;
    }
    struct ptab f, e, src;
    build_findings(&f, s, v);
    build_events(&e, s, v, ctx && ctx->utc);
    build_sources(&src, s, v);
    int bottom = in.y + in.h;
    if (f.n) {
        /* Findings first; keep room for a few events below when there are any. */
        int room = bottom - y;
        int want = (int)f.n + 1;
        int keep = e.n ? (room > 10 ? 4 : room > 6 ? 2 : 0) : 0;
        int h = want < room - keep ? want : room - keep;
        int first = panel_first_row(v, (int)f.n, h - 1);
        y += ptab_draw(c, canvas_rect(in.x, y, in.w, h), &f, first, v->selected, v->focused, ctx, s,
                       panel_window(ctx));
        y++;
    }
    if (e.n && y < bottom) {
        int want = (int)e.n + 1;
        int h = want < bottom - y ? want : bottom - y;
        y += ptab_draw(c, canvas_rect(in.x, y, in.w, h), &e, 0, -1, false, ctx, s,
                       panel_window(ctx));
        y++;
    }
    if (src.n && y < bottom) {
        ptab_draw(c, canvas_rect(in.x, y, in.w, bottom - y), &src, 0, -1, false, ctx, s,
                  panel_window(ctx));
    }
    ptab_fini(&f);
    ptab_fini(&e);
    ptab_fini(&src);
    panel_view_badge(c, r, v, v->sort > 0 && v->sort <= F_NCOLS ? fcols[v->sort - 1].name : NULL);
}

const struct pane_ops pane_overview = {
    .name = "overview",
    .title = "Overview",
    .hotkey = '1',
    .min_w = 40,
    .min_h = 8,
    .draw = draw,
    .key = key,
    .help = help,
};
