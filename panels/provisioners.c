/*
 * The Provisioners pane: the build queue of each tag set (pending, running,
 * daemons that can take it, the daemons its demand needs, idle, offline,
 * oldest pending, wait p95), the jobs no online daemon can take and why,
 * the daemons that stopped mid-build, a warning when provisioners run
 * inside coderd, and the daemons. Rows of the queue table and the daemon
 * table are selectable, in that order; Enter opens a queue's or a daemon's
 * detail. Draws only inside its rectangle.
 */
#include "panels/panel.h"

#include "backend/series.h"
#include "panels/ptab.h"

#include "backend/fmt.h"
#include "backend/provsize.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const help[] = {
    "Provisioners: queues and daemons needed per tag set, stuck jobs, daemons.",
    "Provisioners: select a queue or daemon, Enter its detail, / s",
    NULL,
};

enum {
    Q_TAGS,
    Q_ORG,
    Q_PENDING,
    Q_RUNNING,
    Q_DAEMONS,
    Q_NEEDED,
    Q_IDLE,
    Q_OFFLINE,
    Q_OLDEST,
    Q_WAIT,
    Q_TREND,
    Q_NCOLS
};
static const struct ptab_col qcols[Q_NCOLS] = {
    [Q_TAGS] = {"queue (tags)", 16, 40, false, 0, false},
    [Q_ORG] = {"org", 8, 0, false, 5, false},
    [Q_PENDING] = {"pending", 7, 0, true, 0, false},
    [Q_RUNNING] = {"running", 7, 0, true, 3, false},
    [Q_DAEMONS] = {"daemons", 7, 0, true, 0, false},
    [Q_NEEDED] = {"needed", 6, 0, true, 1, false},
    [Q_IDLE] = {"idle", 4, 0, true, 1, false},
    [Q_OFFLINE] = {"offline", 7, 0, true, 4, false},
    [Q_OLDEST] = {"oldest", 7, 0, true, 0, false},
    [Q_WAIT] = {"wait p95", 8, 0, true, 3, false},
    [Q_TREND] = {"pending trend", 13, 0, false, 2, true},
};

enum { U_JOB, U_TAGS, U_AGE, U_WHY, U_NCOLS };
static const struct ptab_col ucols[U_NCOLS] = {
    [U_JOB] = {"job", 12, 36, false, 0, false},
    [U_TAGS] = {"tags", 16, 0, false, 2, false},
    [U_AGE] = {"waiting", 7, 0, true, 0, false},
    [U_WHY] = {"why", 24, 0, false, 0, false},
};

enum { S_NAME, S_TAGS, S_JOB, S_HOW, S_AGO, S_NCOLS };
static const struct ptab_col scols[S_NCOLS] = {
    [S_NAME] = {"stopped mid-build", 17, 30, false, 0, false},
    [S_TAGS] = {"tags", 16, 0, false, 3, false},
    [S_JOB] = {"its job", 12, 36, false, 1, false},
    [S_HOW] = {"how", 18, 0, false, 2, false},
    [S_AGO] = {"seen", 6, 0, true, 0, false},
};

enum { D_NAME, D_ORG, D_TAGS, D_STATUS, D_VERSION, D_JOB, D_SEEN, D_NCOLS };
static const struct ptab_col dcols[D_NCOLS] = {
    [D_NAME] = {"daemon", 10, 30, false, 0, false},
    [D_ORG] = {"org", 8, 0, false, 5, false},
    [D_TAGS] = {"tags", 18, 0, false, 3, false},
    [D_STATUS] = {"status", 7, 0, false, 0, false},
    [D_VERSION] = {"version", 8, 0, false, 2, false},
    [D_JOB] = {"current job", 12, 0, false, 1, false},
    [D_SEEN] = {"seen", 6, 0, true, 4, false},
};

static const char *why(const struct job *j)
{
    bool never = j->reason && strcmp(j->reason, "no_matching_daemon") == 0;
    return never ? "no daemon has these tags" : "matching daemons offline";
}

static const char *daemon_status(const struct daemon *d)
{
    return d->status == DAEMON_UNKNOWN && d->status_raw ? d->status_raw
                                                        : daemon_status_name(d->status);
}

static void queue_id(char *buf, size_t n, const struct queue *q)
{
    char tags[PANE_KEY_MAX];
    snprintf(buf, n, "q:%s/%s", q->organization ? q->organization : "?",
             panel_tags(tags, sizeof tags, &q->tags));
}

static void build_queues(struct ptab *t, const struct snapshot *s, const struct pane_view *v,
                         const struct advisor_thresholds *th, bool stale)
{
    char b[64], id[PANE_KEY_MAX], tags[PANE_KEY_MAX];
    const struct provisioners *p = &s->provisioners;
    ptab_init(t, qcols, Q_NCOLS);
    t->stale = stale;
    for (size_t i = 0; i < p->nqueues; i++) {
        const struct queue *q = &p->queues[i];
        queue_id(id, sizeof id, q);
        struct ptab_row *r = ptab_add(t, id, (int)i);
        if (!r) {
            break;
        }
        panel_tags(tags, sizeof tags, &q->tags);
        series_queue(r->series, sizeof r->series, q->organization, &q->tags, "pending");
        ptab_set(r, Q_TAGS, ROLE_NORMAL, tags, NAN);
        ptab_set(r, Q_ORG, ROLE_NORMAL, q->organization, NAN);
        ptab_set(r, Q_PENDING, q->pending > 0 && !(q->idle > 0) ? ROLE_WARN : ROLE_NORMAL,
                 fmt_num(b, sizeof b, q->pending, 0), q->pending);
        ptab_set(r, Q_RUNNING, ROLE_NORMAL, fmt_num(b, sizeof b, q->running, 0), q->running);
        ptab_set(r, Q_DAEMONS, q->daemons == 0 ? ROLE_CRIT : ROLE_NORMAL,
                 fmt_num(b, sizeof b, q->daemons, 0), q->daemons);
        /* Coloured as provisioners.daemons_short judges it. */
        bool short_of = q->daemons_needed > (isnan(q->daemons) ? 0 : q->daemons);
        ptab_set(r, Q_NEEDED,
                 isnan(q->daemons_needed) ? ROLE_DIM
                 : !short_of              ? ROLE_OK
                 : q->load >= q->daemons  ? ROLE_CRIT
                                          : ROLE_WARN,
                 fmt_num(b, sizeof b, q->daemons_needed, 0), q->daemons_needed);
        ptab_set(r, Q_IDLE, ROLE_NORMAL, fmt_num(b, sizeof b, q->idle, 0), q->idle);
        ptab_set(r, Q_OFFLINE, q->offline > 0 ? ROLE_WARN : ROLE_NORMAL,
                 fmt_num(b, sizeof b, q->offline, 0), q->offline);
        /* Coloured as the advisor judges a starved queue: pending, no idle daemon. */
        enum role orole = q->idle > 0 ? ROLE_NORMAL
                                      : panel_role_above(q->oldest_pending_s, th->queue_wait_warn_s,
                                                         th->queue_wait_crit_s);
        ptab_set(r, Q_OLDEST, isnan(q->oldest_pending_s) ? ROLE_DIM : orole,
                 isnan(q->oldest_pending_s) ? "none"
                                            : fmt_duration(b, sizeof b, q->oldest_pending_s),
                 q->oldest_pending_s);
        ptab_set(r, Q_WAIT, ROLE_NORMAL, fmt_duration(b, sizeof b, q->wait_p95_s), q->wait_p95_s);
    }
    ptab_apply(t, v->filter, v->sort);
}

static void build_daemons(struct ptab *t, const struct snapshot *s, const struct pane_view *v,
                          bool stale)
{
    char b[64], id[PANE_KEY_MAX], tags[PANE_KEY_MAX];
    const struct provisioners *p = &s->provisioners;
    ptab_init(t, dcols, D_NCOLS);
    t->stale = stale;
    for (size_t i = 0; i < p->ndaemons; i++) {
        const struct daemon *d = &p->daemons[i];
        snprintf(id, sizeof id, "d:%s", d->id ? d->id : d->name ? d->name : "?");
        struct ptab_row *r = ptab_add(t, id, (int)i);
        if (!r) {
            break;
        }
        ptab_setf(r, D_NAME, ROLE_NORMAL, NAN, "%s%s", d->name ? d->name : "?",
                  d->builtin ? " (built-in)" : "");
        ptab_set(r, D_ORG, ROLE_NORMAL, d->organization, NAN);
        ptab_set(r, D_TAGS, ROLE_DIM, panel_tags(tags, sizeof tags, &d->tags), NAN);
        ptab_set(r, D_STATUS,
                 d->status == DAEMON_OFFLINE   ? ROLE_WARN
                 : d->status == DAEMON_BUSY    ? ROLE_NORMAL
                 : d->status == DAEMON_UNKNOWN ? ROLE_DIM
                                               : ROLE_OK,
                 daemon_status(d), d->status);
        ptab_set(r, D_VERSION, ROLE_NORMAL, d->version, NAN);
        ptab_set(r, D_JOB, ROLE_NORMAL, d->current_job ? d->current_job : "", NAN);
        double seen = s->time - d->last_seen_at;
        ptab_set(r, D_SEEN, ROLE_NORMAL, fmt_duration(b, sizeof b, seen), seen);
    }
    /* The sort key names a queue column: daemons keep their order. */
    ptab_apply(t, v->filter, 0);
}

static void build_unrunnable(struct ptab *t, const struct snapshot *s, const struct pane_view *v)
{
    char b[64], tags[PANE_KEY_MAX];
    const struct provisioners *p = &s->provisioners;
    ptab_init(t, ucols, U_NCOLS);
    for (size_t i = 0; i < p->nunrunnable; i++) {
        const struct job *j = &p->unrunnable[i];
        struct ptab_row *r = ptab_add(t, j->id, (int)i);
        if (!r) {
            break;
        }
        bool never = j->reason && strcmp(j->reason, "no_matching_daemon") == 0;
        ptab_set(r, U_JOB, ROLE_NORMAL, j->id, NAN);
        ptab_set(r, U_TAGS, ROLE_NORMAL, panel_tags(tags, sizeof tags, &j->tags), NAN);
        ptab_set(r, U_AGE, ROLE_NORMAL, fmt_duration(b, sizeof b, j->age_s), j->age_s);
        ptab_set(r, U_WHY, never ? ROLE_CRIT : ROLE_WARN, why(j), NAN);
    }
    ptab_apply(t, v->filter, 0);
}

static void build_stopped(struct ptab *t, const struct snapshot *s, const struct pane_view *v)
{
    char b[64], tags[PANE_KEY_MAX];
    const struct provisioners *p = &s->provisioners;
    ptab_init(t, scols, S_NCOLS);
    for (size_t i = 0; i < p->nstopped; i++) {
        const struct stopped_daemon *d = &p->stopped[i];
        struct ptab_row *r = ptab_add(t, d->id ? d->id : d->name ? d->name : "?", (int)i);
        if (!r) {
            break;
        }
        ptab_set(r, S_NAME, ROLE_WARN, d->name ? d->name : d->id, NAN);
        ptab_set(r, S_TAGS, ROLE_DIM, panel_tags(tags, sizeof tags, &d->tags), NAN);
        ptab_set(r, S_JOB, ROLE_NORMAL, d->job, NAN);
        ptab_setf(r, S_HOW, ROLE_NORMAL, NAN, "%s, job %s",
                  d->how && strcmp(d->how, "gone") == 0 ? "gone" : "offline",
                  d->job_status ? d->job_status : "ended");
        double ago = s->time - d->detected_at;
        ptab_set(r, S_AGO, ROLE_NORMAL, fmt_duration(b, sizeof b, ago), ago);
    }
    ptab_apply(t, v->filter, 0);
}

static int count_rows(const struct snapshot *s, const struct pane_view *v, struct ptab *q,
                      struct ptab *d)
{
    struct advisor_thresholds th;
    advisor_thresholds_default(&th);
    build_queues(q, s, v, &th, false);
    build_daemons(d, s, v, false);
    return (int)(q->n + d->n);
}

static const char *row_id(const struct snapshot *s, const struct pane_view *v, int row, char *buf,
                          size_t n)
{
    struct ptab q, d;
    int total = count_rows(s, v, &q, &d);
    const char *id = NULL;
    if (row >= 0 && row < total) {
        snprintf(buf, n, "%s", (size_t)row < q.n ? q.rows[row].id : d.rows[row - (int)q.n].id);
        id = buf;
    }
    ptab_fini(&q);
    ptab_fini(&d);
    return id;
}

static bool key(struct pane_view *v, const struct snapshot *s, int k)
{
    int n = 0;
    if (s) {
        struct ptab q, d;
        n = count_rows(s, v, &q, &d);
        ptab_fini(&q);
        ptab_fini(&d);
    }
    return panel_key_rows(v, s, k, n, Q_NCOLS + 1, row_id);
}

static bool builtin(const struct snapshot *s)
{
    if (s->deployment.builtin_provisioners == TRI_TRUE) {
        return true;
    }
    for (size_t i = 0; i < s->provisioners.ndaemons; i++) {
        if (s->provisioners.daemons[i].builtin) {
            return true;
        }
    }
    return false;
}

/* Can a daemon take jobs with tag set want? Every wanted tag must be one of
 * the daemon's, in the same organization. */
static bool can_take(const struct daemon *d, const char *org, const struct tagset *want)
{
    if (org && d->organization && strcmp(org, d->organization) != 0) {
        return false;
    }
    for (size_t i = 0; i < want->n; i++) {
        bool found = false;
        for (size_t j = 0; j < d->tags.n && !found; j++) {
            found = d->tags.tags[j].key && want->tags[i].key &&
                    strcmp(d->tags.tags[j].key, want->tags[i].key) == 0 &&
                    strcmp(d->tags.tags[j].value ? d->tags.tags[j].value : "",
                           want->tags[i].value ? want->tags[i].value : "") == 0;
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

static bool same_tags(const struct tagset *a, const struct tagset *b)
{
    if (a->n != b->n) {
        return false;
    }
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->tags[i].key ? a->tags[i].key : "", b->tags[i].key ? b->tags[i].key : "") ||
            strcmp(a->tags[i].value ? a->tags[i].value : "",
                   b->tags[i].value ? b->tags[i].value : "")) {
            return false;
        }
    }
    return true;
}

/* The sizing estimate (backend/provsize.h) of a queue, from its line y;
 * returns the next free line. */
static int sizing_lines(struct canvas *c, struct rect in, int y, const struct queue *q,
                        const struct advisor_thresholds *th, const struct pane_ctx *ctx,
                        const struct snapshot *s, enum role n)
{
    char b[64], b2[64], b3[32], line[160];
    snprintf(line, sizeof line, "%s / %s", fmt_duration(b, sizeof b, q->wait_p95_1h_s),
             fmt_duration(b2, sizeof b2, q->wait_p95_1d_s));
    panel_kv(c, in, y++, 16, "wait p95 1h/1d", n, line, 40, ctx, s, NULL, 0);
    snprintf(line, sizeof line, "%s / %s of %s daemons",
             fmt_num(b, sizeof b, q->peak_running_1h, 0),
             fmt_num(b2, sizeof b2, q->peak_running_1d, 0), fmt_num(b3, sizeof b3, q->daemons, 0));
    panel_kv(c, in, y++, 16, "peak run 1h/1d", n, line, 40, ctx, s, NULL, 0);
    if (isnan(q->build_mean_s)) {
        snprintf(line, sizeof line, "not enough history (%s watched; needs %.0fm and %d builds)",
                 fmt_duration(b, sizeof b, q->sizing_window_s), PROVSIZE_MIN_WINDOW_S / 60,
                 PROVSIZE_MIN_BUILDS);
        panel_kv(c, in, y++, 16, "daemons needed", ROLE_DIM, line, 70, ctx, s, NULL, 0);
        return y;
    }
    snprintf(line, sizeof line, "%s builds/h x %s mean build = %s busy",
             fmt_num(b, sizeof b, q->arrivals_per_s * 3600, 1),
             fmt_duration(b2, sizeof b2, q->build_mean_s), fmt_num(b3, sizeof b3, q->load, 1));
    panel_kv(c, in, y++, 16, "demand (1 h)", n, line, 70, ctx, s, NULL, 0);
    bool short_of = q->daemons_needed > (isnan(q->daemons) ? 0 : q->daemons);
    snprintf(line, sizeof line, "%s for a p95 wait under %s (have %s)",
             fmt_num(b, sizeof b, q->daemons_needed, 0),
             fmt_duration(b2, sizeof b2, th->provisioner_queue_wait_target_s),
             fmt_num(b3, sizeof b3, q->daemons, 0));
    panel_kv(c, in, y++, 16, "daemons needed",
             !short_of               ? ROLE_OK
             : q->load >= q->daemons ? ROLE_CRIT
                                     : ROLE_WARN,
             line, 70, ctx, s, NULL, 0);
    return y;
}

static void queue_detail(struct canvas *c, struct rect in, const struct snapshot *s,
                         const struct queue *q, const struct pane_ctx *ctx,
                         const struct advisor_thresholds *th, enum role n)
{
    char b[64], b2[64], tags[PANE_KEY_MAX], series[PANE_KEY_MAX];
    const struct provisioners *p = &s->provisioners;
    int y = in.y;
    panel_tags(tags, sizeof tags, &q->tags);
    canvas_printf(c, in, in.x + 1, y++, ROLE_TITLE, "Queue %s / %s",
                  q->organization ? q->organization : "?", tags);
    series_queue(series, sizeof series, q->organization, &q->tags, "pending");
    panel_kv(c, in, y++, 16, "pending", q->pending > 0 && !(q->idle > 0) ? ROLE_WARN : n,
             fmt_num(b, sizeof b, q->pending, 0), 10, ctx, s, series, 60);
    series_queue(series, sizeof series, q->organization, &q->tags, "running");
    panel_kv(c, in, y++, 16, "running", n, fmt_num(b, sizeof b, q->running, 0), 10, ctx, s, series,
             60);
    char b3[32], b4[32], line[128];
    snprintf(line, sizeof line, "%s online, %s idle, %s offline",
             fmt_num(b2, sizeof b2, q->daemons, 0), fmt_num(b3, sizeof b3, q->idle, 0),
             fmt_num(b4, sizeof b4, q->offline, 0));
    panel_kv(c, in, y++, 16, "daemons", q->daemons == 0 ? ROLE_CRIT : n, line, 40, ctx, s, NULL, 0);
    panel_kv(c, in, y++, 16, "oldest pending",
             q->idle > 0 ? n
                         : panel_role_above(q->oldest_pending_s, th->queue_wait_warn_s,
                                            th->queue_wait_crit_s),
             isnan(q->oldest_pending_s) ? "none pending"
                                        : fmt_duration(b, sizeof b, q->oldest_pending_s),
             14, ctx, s, NULL, 0);
    panel_kv(c, in, y++, 16, "wait p95", n, fmt_duration(b, sizeof b, q->wait_p95_s), 14, ctx, s,
             NULL, 0);
    panel_kv(c, in, y++, 16, "build p95", n, fmt_duration(b, sizeof b, q->build_p95_s), 14, ctx, s,
             NULL, 0);
    y = sizing_lines(c, in, y, q, th, ctx, s, n);
    y++;
    canvas_put_text(c, in, in.x + 1, y++, ROLE_HEADER,
                    "pending jobs                            waiting  pos   why");
    const char *wait_why = q->daemons == 0 ? "no online daemon has these tags"
                           : q->idle > 0   ? "about to be picked up"
                                           : "every matching daemon is busy";
    int shown = 0;
    for (size_t i = 0; i < p->njobs && y < in.y + in.h; i++) {
        const struct job *j = &p->jobs[i];
        if (!j->status || strcmp(j->status, "pending") != 0 || !same_tags(&j->tags, &q->tags)) {
            continue;
        }
        char pos[32];
        canvas_printf(c, in, in.x + 2, y++, n, "%-36.36s %8s  #%-4s %s", j->id ? j->id : "?",
                      fmt_duration(b, sizeof b, j->age_s),
                      fmt_num(pos, sizeof pos, j->queue_position, 0), wait_why);
        shown++;
    }
    for (size_t i = 0; i < p->nunrunnable && y < in.y + in.h; i++) {
        const struct job *j = &p->unrunnable[i];
        if (!same_tags(&j->tags, &q->tags)) {
            continue;
        }
        canvas_printf(c, in, in.x + 2, y++, ROLE_CRIT, "%-36.36s %8s  %-5s %s", j->id ? j->id : "?",
                      fmt_duration(b, sizeof b, j->age_s), "", why(j));
        shown++;
    }
    if (!shown && y < in.y + in.h) {
        canvas_put_text(c, in, in.x + 2, y++, ROLE_DIM,
                        q->pending > 0 ? "pending jobs not listed (job list capped or off)"
                                       : "none");
    }
    y++;
    canvas_put_text(c, in, in.x + 1, y++, ROLE_HEADER, "daemons that can take it");
    shown = 0;
    for (size_t i = 0; i < p->ndaemons && y < in.y + in.h; i++) {
        const struct daemon *d = &p->daemons[i];
        if (!can_take(d, q->organization, &q->tags)) {
            continue;
        }
        canvas_printf(c, in, in.x + 2, y++, d->status == DAEMON_OFFLINE ? ROLE_WARN : n,
                      "%-20.20s %-8s %-10.10s %s", d->name ? d->name : "?", daemon_status(d),
                      d->version ? d->version : FMT_UNKNOWN, d->current_job ? d->current_job : "");
        shown++;
    }
    if (!shown && y < in.y + in.h) {
        canvas_put_text(c, in, in.x + 2, y, ROLE_CRIT, "none: jobs with these tags wait forever");
    }
}

static void daemon_detail(struct canvas *c, struct rect in, const struct snapshot *s,
                          const struct daemon *d, const struct pane_ctx *ctx, enum role n)
{
    char b[64], tags[PANE_KEY_MAX];
    int y = in.y;
    canvas_printf(c, in, in.x + 1, y++, ROLE_TITLE, "Daemon %s", d->name ? d->name : "?");
    panel_kv(c, in, y++, 14, "id", n, d->id, 40, ctx, s, NULL, 0);
    panel_kv(c, in, y++, 14, "organization", n, d->organization, 40, ctx, s, NULL, 0);
    panel_kv(c, in, y++, 14, "tags", n, panel_tags(tags, sizeof tags, &d->tags), 60, ctx, s, NULL,
             0);
    panel_kv(c, in, y++, 14, "status", d->status == DAEMON_OFFLINE ? ROLE_WARN : n,
             daemon_status(d), 20, ctx, s, NULL, 0);
    panel_kv(c, in, y++, 14, "version", n, d->version, 20, ctx, s, NULL, 0);
    panel_kv(c, in, y++, 14, "api version", n, d->api_version, 20, ctx, s, NULL, 0);
    panel_kv(c, in, y++, 14, "current job", n, d->current_job ? d->current_job : "none", 40, ctx, s,
             NULL, 0);
    panel_kv(c, in, y++, 14, "created", n, fmt_duration(b, sizeof b, s->time - d->created_at), 20,
             ctx, s, NULL, 0);
    panel_kv(c, in, y++, 14, "last seen", n, fmt_duration(b, sizeof b, s->time - d->last_seen_at),
             20, ctx, s, NULL, 0);
    panel_kv(c, in, y++, 14, "runs", d->builtin ? ROLE_WARN : n,
             d->builtin ? "inside coderd (run provisioners externally)" : "externally", 50, ctx, s,
             NULL, 0);
}

static void detail(struct canvas *c, struct rect in, const struct snapshot *s,
                   const struct pane_view *v, const struct pane_ctx *ctx,
                   const struct advisor_thresholds *th, bool stale)
{
    char id[PANE_KEY_MAX];
    enum role n = stale ? ROLE_STALE : ROLE_NORMAL;
    const struct provisioners *p = &s->provisioners;
    for (size_t i = 0; i < p->nqueues; i++) {
        queue_id(id, sizeof id, &p->queues[i]);
        if (strcmp(id, v->detail_key) == 0) {
            queue_detail(c, in, s, &p->queues[i], ctx, th, n);
            return;
        }
    }
    for (size_t i = 0; i < p->ndaemons; i++) {
        const struct daemon *d = &p->daemons[i];
        snprintf(id, sizeof id, "d:%s", d->id ? d->id : d->name ? d->name : "?");
        if (strcmp(id, v->detail_key) == 0) {
            daemon_detail(c, in, s, d, ctx, n);
            return;
        }
    }
    canvas_put_text(c, in, in.x + 1, in.y, ROLE_DIM, "not in this snapshot (Esc: back)");
}

static void compact(struct canvas *c, struct rect in, const struct snapshot *s,
                    const struct panel_fresh *f)
{
    struct rect r = canvas_rect(in.x + 1, in.y, in.w - 1, in.h);
    const struct provisioners *p = &s->provisioners;
    if (!f->show_numbers) {
        panel_wrap(c, r, r.x, r.y, f->role, f->text);
        return;
    }
    double pending = 0, idle = 0;
    bool known = false;
    for (size_t i = 0; i < p->nqueues; i++) {
        if (!isnan(p->queues[i].pending)) {
            pending += p->queues[i].pending;
            known = true;
        }
        idle += isnan(p->queues[i].idle) ? 0 : p->queues[i].idle;
    }
    size_t offline = 0;
    for (size_t i = 0; i < p->ndaemons; i++) {
        offline += p->daemons[i].status == DAEMON_OFFLINE;
    }
    char b[32];
    int x = canvas_put_text(c, r, r.x, r.y, ROLE_DIM, "pending ");
    x = canvas_put_text(c, r, x, r.y, pending > 0 && idle == 0 ? ROLE_WARN : ROLE_NORMAL,
                        known ? fmt_num(b, sizeof b, pending, 0) : FMT_UNKNOWN);
    const char *sh = panel_fresh_short(f);
    if (sh) {
        canvas_put_text(c, r, x + 1, r.y, f->role, sh);
    }
    canvas_printf(c, r, r.x, r.y + 1, offline ? ROLE_WARN : ROLE_NORMAL, "%zu daemons, %zu off",
                  p->ndaemons, offline);
    double more = 0; /* daemons the sizing estimate asks for, all tag sets */
    for (size_t i = 0; i < p->nqueues; i++) {
        const struct queue *q = &p->queues[i];
        double have = isnan(q->daemons) ? 0 : q->daemons;
        more += q->daemons_needed > have ? q->daemons_needed - have : 0;
    }
    if (p->nunrunnable) {
        canvas_printf(c, r, r.x, r.y + 2, ROLE_CRIT, "%zu job%s stuck", p->nunrunnable,
                      p->nunrunnable == 1 ? "" : "s");
    } else if (more > 0) {
        canvas_printf(c, r, r.x, r.y + 2, ROLE_WARN, "needs %.0f more daemon%s", more,
                      more == 1 ? "" : "s");
    } else if (p->nstopped) {
        canvas_printf(c, r, r.x, r.y + 2, ROLE_WARN, "%zu stopped mid-build", p->nstopped);
    } else if (builtin(s)) {
        canvas_put_text(c, r, r.x, r.y + 2, ROLE_WARN, "built-in daemons");
    }
}

static void draw(struct canvas *c, struct rect r, const struct snapshot *s,
                 const struct pane_view *v, const struct pane_ctx *ctx)
{
    struct rect in = panel_frame(c, r, &pane_provisioners, v);
    if (!s) {
        panel_no_data(c, in, s);
        return;
    }
    struct advisor_thresholds thd;
    const struct advisor_thresholds *th = panel_thresholds(ctx, &thd);
    struct panel_fresh f;
    panel_freshness(s, "provisioners", &f);
    if (v->compact) {
        compact(c, in, s, &f);
        return;
    }
    int y = in.y + panel_fresh_line(c, in, &f, f.show_numbers ? 2 : in.h);
    if (!f.show_numbers) {
        return;
    }
    bool stale = f.status == SOURCE_STALE;
    if (v->detail) {
        detail(c, canvas_rect(in.x, y, in.w, in.y + in.h - y), s, v, ctx, th, stale);
        return;
    }
    int bottom = in.y + in.h;
    if (builtin(s)) {
        y += panel_wrap(c, canvas_rect(in.x, y, in.w, bottom - y), in.x + 1, y, ROLE_WARN,
                        "Provisioners run inside coderd: run them as external daemons "
                        "(CODER_PROVISIONER_DAEMONS=0)");
    }
    struct ptab q, u, st, d;
    build_queues(&q, s, v, th, stale);
    build_unrunnable(&u, s, v);
    build_stopped(&st, s, v);
    build_daemons(&d, s, v, stale);
    int nsel = (int)(q.n + d.n);
    int sel = v->selected < nsel ? v->selected : nsel - 1;
    if (y < bottom) {
        int want = (int)q.n + 1;
        int h = want < bottom - y ? want : bottom - y;
        int first = sel < (int)q.n ? panel_first_row(v, (int)q.n, h - 1) : 0;
        y += ptab_draw(c, canvas_rect(in.x, y, in.w, h), &q, first, sel, v->focused, ctx, s,
                       panel_window(ctx));
        if (q.n == 0 && y < bottom) {
            canvas_put_text(c, in, in.x + 1, y++, ROLE_DIM, "no queues");
        }
    }
    if (u.n && y + 1 < bottom) {
        y++;
        int want = (int)u.n + 1;
        int h = want < bottom - y ? want : bottom - y;
        y += ptab_draw(c, canvas_rect(in.x, y, in.w, h), &u, 0, -1, false, ctx, s,
                       panel_window(ctx));
    }
    if (st.n && y + 1 < bottom) {
        y++;
        int want = (int)st.n + 1;
        int h = want < bottom - y ? want : bottom - y;
        y += ptab_draw(c, canvas_rect(in.x, y, in.w, h), &st, 0, -1, false, ctx, s,
                       panel_window(ctx));
    }
    if (d.n && y + 1 < bottom) {
        y++;
        int h = bottom - y;
        struct pane_view dv = *v;
        dv.selected = sel >= (int)q.n ? sel - (int)q.n : -1;
        dv.scroll = 0;
        int first = panel_first_row(&dv, (int)d.n, h - 1);
        ptab_draw(c, canvas_rect(in.x, y, in.w, h), &d, first, dv.selected, v->focused, ctx, s,
                  panel_window(ctx));
    }
    ptab_fini(&q);
    ptab_fini(&u);
    ptab_fini(&st);
    ptab_fini(&d);
    panel_view_badge(c, r, v, v->sort > 0 && v->sort <= Q_NCOLS ? qcols[v->sort - 1].name : NULL);
}

const struct pane_ops pane_provisioners = {
    .name = "provisioners",
    .title = "Provisioners",
    .hotkey = '3',
    .min_w = 60,
    .min_h = 6,
    .draw = draw,
    .key = key,
    .help = help,
};
