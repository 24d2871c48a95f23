/*
 * Exports of a recorded window (see report.h). report_load reads every frame
 * of the window (at most REPORT_MAX_FRAMES, sampled evenly) through
 * store_snapshot_at, redacts it when asked, and splits it with
 * store_flat_build into the same series the store keeps, so the CSV columns
 * are the store's own names. Invariants: after report_load nothing refers to
 * the store; with redaction on, every string the renderers see has passed
 * through the one redactor (snapshots via redact_snapshot, free text via
 * redact_text after all snapshots taught it their names); every string is
 * escaped for its format at the moment it is written.
 */
#include "tui/report.h"

#include "backend/escape.h"
#include "backend/redact.h"
#include "backend/snapshot_json.h"
#include "backend/store_flat.h"
#include "backend/timespec.h"
#include "backend/xalloc.h"
#include "backend/text.h"
#include "tui/doc.h"
#include "tui/textrender.h"
#include "tui/writers.h"

#include <assert.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct rseries {
    char *name, *entity, *field, *unit;
    double *v; /* one per frame, NAN when absent */
};

struct report {
    double from, to;
    bool redacted;
    double *t;
    size_t n;
    struct rseries *s;
    size_t ns, caps;
    size_t *slot; /* open addressing: index + 1 into s, 0 empty */
    size_t nslot;
    char **frame_json; /* the snapshot JSON of each frame */
    struct store_event *ev;
    size_t nev;
    struct store_finding *fi;
    size_t nfi;
    struct store_marker *mk;
    size_t nmk;
    struct snapshot **msnap; /* snapshot at each marker, NULL if none */
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    }
    return h;
}

static void rehash(struct report *r)
{
    free(r->slot);
    r->nslot = r->nslot ? r->nslot * 2 : 256;
    r->slot = xcalloc(r->nslot, sizeof *r->slot);
    for (size_t i = 0; i < r->ns; i++) {
        size_t k = hash_str(r->s[i].name) & (r->nslot - 1);
        while (r->slot[k]) {
            k = (k + 1) & (r->nslot - 1);
        }
        r->slot[k] = i + 1;
    }
}

/* The series called name, created (all NAN) if new. */
static struct rseries *series_get(struct report *r, const char *name, const char *entity,
                                  const char *unit)
{
    if ((r->ns + 1) * 2 > r->nslot) {
        rehash(r);
    }
    size_t k = hash_str(name) & (r->nslot - 1);
    while (r->slot[k]) {
        struct rseries *s = &r->s[r->slot[k] - 1];
        if (strcmp(s->name, name) == 0) {
            return s;
        }
        k = (k + 1) & (r->nslot - 1);
    }
    r->s = xgrow(r->s, &r->caps, r->ns + 1, sizeof *r->s);
    struct rseries *s = &r->s[r->ns];
    s->name = xstrdup(name);
    s->entity = xstrdup(entity ? entity : "");
    size_t el = strlen(s->entity);
    s->field =
        xstrdup(el && strncmp(name, s->entity, el) == 0 && name[el] == '/' ? name + el + 1 : name);
    s->unit = xstrdup(unit ? unit : "");
    s->v = xmalloc(r->n * sizeof *s->v);
    for (size_t i = 0; i < r->n; i++) {
        s->v[i] = NAN;
    }
    r->slot[k] = ++r->ns;
    return s;
}

static int add_frame(struct report *r, size_t i, const struct snapshot *snap, struct err *e)
{
    struct store_flat f = {0};
    if (store_flat_build(snap, &f, e) < 0) {
        return -1;
    }
    for (size_t k = 0; k < f.nsamples; k++) {
        const struct store_flat_sample *x = &f.samples[k];
        if (store_flat_unit_is_time(x->unit)) {
            continue; /* timestamps are not series anyone charts */
        }
        series_get(r, x->name, x->entity, x->unit)->v[i] = x->v;
    }
    store_flat_fini(&f);
    /* Proxy status as a number, so it can be charted: 1 ok, 0 anything else. */
    for (size_t k = 0; k < snap->nproxies; k++) {
        char *entity = xasprintf("proxy/%s", snap->proxies[k].name ? snap->proxies[k].name : "");
        char *name = xasprintf("%s/status_ok", entity);
        series_get(r, name, entity, "")->v[i] = snap->proxies[k].status == PROXY_OK ? 1 : 0;
        free(name);
        free(entity);
    }
    r->frame_json[i] = snapshot_json_dump(snap, 0);
    return 0;
}

static void redact_in_place(struct redact *red, char **s)
{
    if (red && *s) {
        char *x = redact_text(red, *s);
        free(*s);
        *s = x;
    }
}

struct report *report_load(struct store *st, double from, double to, bool redact, struct err *e)
{
    return report_load_sampled(st, from, to, redact, REPORT_MAX_FRAMES, e);
}

struct report *report_load_sampled(struct store *st, double from, double to, bool redact,
                                   size_t max_frames, struct err *e)
{
    assert(max_frames >= 2);
    double *all = NULL;
    size_t nall = 0;
    if (store_frame_times(st, from, to, &all, &nall, e) < 0) {
        return NULL;
    }
    if (nall == 0) {
        char a[TIMESPEC_BUF], b[TIMESPEC_BUF];
        err_set(e, "nothing was recorded between %s and %s",
                timespec_format_rfc3339(from, a, sizeof a),
                timespec_format_rfc3339(to, b, sizeof b));
        free(all);
        return NULL;
    }
    struct report *r = xcalloc(1, sizeof *r);
    r->from = from;
    r->to = to;
    r->redacted = redact;
    r->n = nall > max_frames ? max_frames : nall;
    r->t = xmalloc(r->n * sizeof *r->t);
    for (size_t i = 0; i < r->n; i++) {
        r->t[i] = r->n == nall ? all[i] : all[i * (nall - 1) / (r->n - 1)];
    }
    free(all);
    r->frame_json = xcalloc(r->n, sizeof *r->frame_json);
    struct redact *red = redact ? redact_new() : NULL;
    int rc = 0;
    for (size_t i = 0; i < r->n && rc == 0; i++) {
        struct snapshot *snap = store_snapshot_at(st, r->t[i], e);
        if (!snap) {
            rc = -1;
            break;
        }
        if (red) {
            redact_snapshot(red, snap);
        }
        rc = add_frame(r, i, snap, e);
        snapshot_unref(snap);
    }
    if (rc == 0) {
        rc = store_markers(st, from, to, &r->mk, &r->nmk, e);
    }
    if (rc == 0) {
        rc = store_events(st, from, to, &r->ev, &r->nev, e);
    }
    if (rc == 0) {
        rc = store_findings(st, from, to, &r->fi, &r->nfi, e);
    }
    if (rc == 0) {
        r->msnap = xcalloc(r->nmk ? r->nmk : 1, sizeof *r->msnap);
        for (size_t i = 0; i < r->nmk; i++) {
            struct err ignore = {{0}};
            r->msnap[i] = store_snapshot_at(st, r->mk[i].time, &ignore);
            if (r->msnap[i] && red) {
                redact_snapshot(red, r->msnap[i]);
            }
        }
        /* Free text last: the redactor now knows every name of the window. */
        for (size_t i = 0; i < r->nmk; i++) {
            redact_in_place(red, &r->mk[i].note);
        }
        for (size_t i = 0; i < r->nev; i++) {
            redact_in_place(red, &r->ev[i].kind);
            redact_in_place(red, &r->ev[i].entity);
            redact_in_place(red, &r->ev[i].message);
        }
        for (size_t i = 0; i < r->nfi; i++) {
            redact_in_place(red, &r->fi[i].entity);
            redact_in_place(red, &r->fi[i].message);
            redact_in_place(red, &r->fi[i].evidence);
        }
    }
    redact_free(red);
    if (rc < 0) {
        report_free(r);
        return NULL;
    }
    return r;
}

void report_free(struct report *r)
{
    if (!r) {
        return;
    }
    for (size_t i = 0; i < r->ns; i++) {
        free(r->s[i].name);
        free(r->s[i].entity);
        free(r->s[i].field);
        free(r->s[i].unit);
        free(r->s[i].v);
    }
    free(r->s);
    free(r->slot);
    for (size_t i = 0; i < r->n; i++) {
        free(r->frame_json[i]);
    }
    free(r->frame_json);
    free(r->t);
    store_events_free(r->ev, r->nev);
    store_findings_free(r->fi, r->nfi);
    for (size_t i = 0; i < r->nmk && r->msnap; i++) {
        snapshot_unref(r->msnap[i]);
    }
    free(r->msnap);
    store_markers_free(r->mk, r->nmk);
    free(r);
}

size_t report_frames(const struct report *r)
{
    return r->n;
}

double report_frame_time(const struct report *r, size_t i)
{
    return i < r->n ? r->t[i] : NAN;
}

int report_format_parse(const char *s)
{
    static const char *const names[] = {"csv", "json", "md", "html"};
    for (int i = 0; i < 4; i++) {
        if (s && strcmp(s, names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

/* ---- CSV and JSON: the series ---- */

static void render_csv(struct strbuf *b, const struct report *r)
{
    strbuf_puts(b, "time,series,entity,field,unit,value\r\n");
    char ts[TIMESPEC_BUF];
    for (size_t i = 0; i < r->n; i++) {
        timespec_format_rfc3339(r->t[i], ts, sizeof ts);
        for (size_t k = 0; k < r->ns; k++) {
            const struct rseries *s = &r->s[k];
            if (!isfinite(s->v[i])) {
                continue;
            }
            strbuf_puts(b, ts);
            strbuf_puts(b, ",");
            escape_csv(b, s->name);
            strbuf_puts(b, ",");
            escape_csv(b, s->entity);
            strbuf_puts(b, ",");
            escape_csv(b, s->field);
            strbuf_puts(b, ",");
            escape_csv(b, s->unit);
            strbuf_printf(b, ",%.10g\r\n", s->v[i]);
        }
    }
}

static json_t *jtime(double t)
{
    char ts[TIMESPEC_BUF];
    return isfinite(t) ? json_string(timespec_format_rfc3339(t, ts, sizeof ts)) : json_null();
}

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

static void render_json(struct strbuf *b, const struct report *r)
{
    json_t *root = json_object();
    json_object_set_new(root, "scaletop_export", json_integer(1));
    json_object_set_new(root, "from", jtime(r->from));
    json_object_set_new(root, "to", jtime(r->to));
    json_object_set_new(root, "redacted", json_boolean(r->redacted));
    json_t *times = json_array();
    for (size_t i = 0; i < r->n; i++) {
        json_array_append_new(times, jtime(r->t[i]));
    }
    json_object_set_new(root, "times", times);
    json_t *series = json_array();
    for (size_t k = 0; k < r->ns; k++) {
        const struct rseries *s = &r->s[k];
        json_t *o = json_object(), *v = json_array();
        json_object_set_new(o, "series", json_string(s->name));
        json_object_set_new(o, "entity", json_string(s->entity));
        json_object_set_new(o, "field", json_string(s->field));
        json_object_set_new(o, "unit", json_string(s->unit));
        for (size_t i = 0; i < r->n; i++) {
            json_array_append_new(v, isfinite(s->v[i]) ? json_real(s->v[i]) : json_null());
        }
        json_object_set_new(o, "values", v);
        json_array_append_new(series, o);
    }
    json_object_set_new(root, "series", series);
    json_t *mk = json_array();
    for (size_t i = 0; i < r->nmk; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "time", jtime(r->mk[i].time));
        json_object_set_new(o, "note", jstr(r->mk[i].note));
        json_array_append_new(mk, o);
    }
    json_object_set_new(root, "markers", mk);
    json_t *ev = json_array();
    for (size_t i = 0; i < r->nev; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "time", jtime(r->ev[i].time));
        json_object_set_new(o, "kind", jstr(r->ev[i].kind));
        json_object_set_new(o, "entity", jstr(r->ev[i].entity));
        json_object_set_new(o, "message", jstr(r->ev[i].message));
        json_array_append_new(ev, o);
    }
    json_object_set_new(root, "events", ev);
    json_t *fi = json_array();
    for (size_t i = 0; i < r->nfi; i++) {
        const struct store_finding *f = &r->fi[i];
        json_t *o = json_object();
        json_object_set_new(o, "rule", jstr(f->rule));
        json_object_set_new(o, "severity", jstr(f->severity));
        json_object_set_new(o, "entity", jstr(f->entity));
        json_object_set_new(o, "message", jstr(f->message));
        json_object_set_new(o, "evidence", jstr(f->evidence));
        json_object_set_new(o, "start", jtime(f->start));
        json_object_set_new(o, "end", jtime(f->end));
        json_array_append_new(fi, o);
    }
    json_object_set_new(root, "findings", fi);
    json_t *frames = json_array();
    for (size_t i = 0; i < r->n; i++) {
        json_t *snap = json_loads(r->frame_json[i], 0, NULL);
        json_array_append_new(frames, snap ? snap : json_null());
    }
    json_object_set_new(root, "frames", frames);
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(root);
    strbuf_puts(b, text ? text : "{}");
    strbuf_puts(b, "\n");
    free(text);
}

/* ---- Markdown and HTML: the incident report ---- */

enum item_kind { IT_MARKER, IT_EVENT, IT_FSTART, IT_FEND };

struct item {
    double t;
    enum item_kind kind;
    size_t idx;
};

static int item_cmp(const void *pa, const void *pb)
{
    const struct item *a = pa, *b = pb;
    if (a->t != b->t) {
        return a->t < b->t ? -1 : 1;
    }
    if (a->kind != b->kind) {
        return (int)a->kind - (int)b->kind;
    }
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* The timeline, ordered by time: markers, events, finding starts and ends. */
static struct item *timeline(const struct report *r, size_t *n)
{
    struct item *it = xmalloc((r->nmk + r->nev + 2 * r->nfi + 1) * sizeof *it);
    size_t k = 0;
    for (size_t i = 0; i < r->nmk; i++) {
        it[k++] = (struct item){r->mk[i].time, IT_MARKER, i};
    }
    for (size_t i = 0; i < r->nev; i++) {
        it[k++] = (struct item){r->ev[i].time, IT_EVENT, i};
    }
    for (size_t i = 0; i < r->nfi; i++) {
        it[k++] = (struct item){r->fi[i].start, IT_FSTART, i};
        if (isfinite(r->fi[i].end)) {
            it[k++] = (struct item){r->fi[i].end, IT_FEND, i};
        }
    }
    qsort(it, k, sizeof *it, item_cmp);
    *n = k;
    return it;
}

/* The four cells of a timeline row (what, entity, detail; role). */
static void item_cells(const struct report *r, const struct item *it, char **what,
                       const char **entity, const char **detail, enum doc_role *role)
{
    *role = DOC_NORMAL;
    switch (it->kind) {
    case IT_MARKER:
        *what = xasprintf("marker M%zu", it->idx + 1);
        *entity = "";
        *detail = r->mk[it->idx].note;
        *role = DOC_INFO;
        break;
    case IT_EVENT:
        *what = xasprintf("event %s", r->ev[it->idx].kind ? r->ev[it->idx].kind : "");
        *entity = r->ev[it->idx].entity;
        *detail = r->ev[it->idx].message;
        break;
    case IT_FSTART:
    case IT_FEND: {
        const struct store_finding *f = &r->fi[it->idx];
        *what = xasprintf("%s %s %s", f->severity ? f->severity : "", f->rule ? f->rule : "",
                          it->kind == IT_FSTART ? "started" : "ended");
        *entity = f->entity;
        *detail = f->message;
        if (it->kind == IT_FSTART) {
            *role = f->severity && strcmp(f->severity, "crit") == 0   ? DOC_CRIT
                    : f->severity && strcmp(f->severity, "warn") == 0 ? DOC_WARN
                                                                      : DOC_INFO;
        } else {
            *role = DOC_OK;
        }
        break;
    }
    }
}

struct chart_pat {
    const char *prefix, *suffix;
};

struct chart_def {
    const char *title, *unit;
    struct chart_pat pats[2];
};

static const struct chart_def chart_defs[] = {
    {"API p95 per replica", "ms", {{"server/", "/api_p95_ms"}}},
    {"Database latency per replica", "ms", {{"server/", "/db_latency_ms"}}},
    {"Provisioner jobs pending per tag set", "jobs", {{"queue/", "/pending"}}},
    {"Postgres connections: used of usable maximum",
     "",
     {{"postgres/connections/used", ""}, {"postgres/connections/max", ""}}},
    {"Proxy status (1 ok, 0 not ok)", "", {{"proxy/", "/status_ok"}}},
    {"Proxy round trip", "ms", {{"proxy/", "/rtt_ms"}}},
    {"Cluster CPU: requested vs allocatable",
     "cores",
     {{"capacity/cluster/cpu_requested_cores", ""},
      {"capacity/cluster/cpu_allocatable_cores", ""}}},
};

/* The series of chart d, with their labels (the name between prefix and
 * suffix, or the last segment); caller frees both arrays and the labels. */
static size_t chart_series(const struct report *r, const struct chart_def *d,
                           const struct rseries ***out, char ***labels)
{
    size_t n = 0;
    *out = xmalloc((r->ns + 1) * sizeof **out);
    *labels = xmalloc((r->ns + 1) * sizeof **labels);
    for (size_t p = 0; p < 2 && d->pats[p].prefix; p++) {
        const struct chart_pat *pat = &d->pats[p];
        size_t pl = strlen(pat->prefix), sl = strlen(pat->suffix);
        for (size_t k = 0; k < r->ns; k++) {
            const char *name = r->s[k].name;
            size_t nl = strlen(name);
            if (nl < pl + sl || strncmp(name, pat->prefix, pl) != 0 ||
                strcmp(name + nl - sl, pat->suffix) != 0) {
                continue;
            }
            if (sl == 0 && nl != pl) {
                continue; /* an exact name */
            }
            (*out)[n] = &r->s[k];
            if (nl > pl + sl) {
                (*labels)[n] = xstrndup(name + pl, nl - pl - sl);
            } else {
                const char *slash = strrchr(name, '/');
                (*labels)[n] = xstrdup(slash ? slash + 1 : name);
            }
            n++;
        }
    }
    return n;
}

static void free_labels(char **labels, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(labels[i]);
    }
    free(labels);
}

/* A text sparkline of v[n] in `cols` block characters (averaged columns). */
static void md_trend(struct strbuf *b, const double *v, size_t n, size_t cols)
{
    static const char *const blocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (isfinite(v[i])) {
            lo = v[i] < lo ? v[i] : lo;
            hi = v[i] > hi ? v[i] : hi;
        }
    }
    cols = n < cols ? n : cols;
    for (size_t c = 0; c < cols && lo <= hi; c++) {
        size_t a = c * n / cols, z = (c + 1) * n / cols;
        double sum = 0;
        size_t cnt = 0;
        for (size_t i = a; i < z; i++) {
            if (isfinite(v[i])) {
                sum += v[i];
                cnt++;
            }
        }
        if (!cnt) {
            strbuf_puts(b, " ");
            continue;
        }
        int level = hi > lo ? (int)((sum / cnt - lo) / (hi - lo) * 7.0 + 0.5) : 0;
        strbuf_puts(b, blocks[level < 0 ? 0 : level > 7 ? 7 : level]);
    }
}

static void stats(const double *v, size_t n, double *lo, double *hi, double *last)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    *last = NAN;
    for (size_t i = 0; i < n; i++) {
        if (isfinite(v[i])) {
            *lo = v[i] < *lo ? v[i] : *lo;
            *hi = v[i] > *hi ? v[i] : *hi;
            *last = v[i];
        }
    }
}

static const char *num(char *buf, size_t n, double v)
{
    if (!isfinite(v)) {
        return "-";
    }
    snprintf(buf, n, "%.4g", v);
    return buf;
}

static char *report_title(const struct report *r, bool utc)
{
    char a[TIMESPEC_BUF], b[TIMESPEC_BUF];
    return xasprintf("Incident report: %s to %s", timespec_format_short(r->from, utc, a, sizeof a),
                     timespec_format_short(r->to, utc, b, sizeof b));
}

/* Appends text with every line that starts a Markdown heading pushed down
 * two levels, so an embedded snapshot nests under the report's headings. */
static void md_demoted(struct strbuf *b, const char *text)
{
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (*p == '#') {
            strbuf_puts(b, "##");
        }
        strbuf_add(b, p, len);
        p += len;
    }
}

static void render_md(struct strbuf *b, const struct report *r, bool utc)
{
    char ts[TIMESPEC_BUF], n1[32], n2[32], n3[32];
    char *title = report_title(r, utc);
    strbuf_puts(b, "# ");
    strbuf_puts(b, title);
    strbuf_printf(b, "\n\n_%zu recorded frames, %zu markers, %zu events, %zu findings%s._\n\n",
                  r->n, r->nmk, r->nev, r->nfi,
                  r->redacted ? "; names replaced by pseudonyms (--redact)" : "");
    free(title);

    strbuf_puts(b, "## Timeline\n\n");
    size_t nit;
    struct item *it = timeline(r, &nit);
    if (nit == 0) {
        strbuf_puts(b, "Nothing happened in this window.\n\n");
    } else {
        strbuf_puts(b, "| Time | What | Entity | Detail |\n|---|---|---|---|\n");
        for (size_t i = 0; i < nit; i++) {
            char *what;
            const char *entity, *detail;
            enum doc_role role;
            item_cells(r, &it[i], &what, &entity, &detail, &role);
            strbuf_printf(b, "| %s | ", timespec_format_short(it[i].t, utc, ts, sizeof ts));
            if (role == DOC_CRIT || role == DOC_WARN || it[i].kind == IT_MARKER) {
                strbuf_puts(b, "**");
                escape_md(b, what);
                strbuf_puts(b, "**");
            } else {
                escape_md(b, what);
            }
            strbuf_puts(b, " | ");
            escape_md(b, entity);
            strbuf_puts(b, " | ");
            escape_md(b, detail);
            strbuf_puts(b, " |\n");
            free(what);
        }
        strbuf_puts(b, "\n");
    }
    free(it);

    strbuf_puts(b, "## Key series\n\n");
    if (r->nmk) {
        strbuf_puts(b, "Markers: ");
        for (size_t m = 0; m < r->nmk; m++) {
            strbuf_printf(b, "%sM%zu at %s", m ? "; " : "", m + 1,
                          timespec_format_short(r->mk[m].time, utc, ts, sizeof ts));
        }
        strbuf_puts(b, ".\n\n");
    }
    for (size_t c = 0; c < sizeof chart_defs / sizeof *chart_defs; c++) {
        const struct chart_def *d = &chart_defs[c];
        const struct rseries **ss;
        char **labels;
        size_t ns = chart_series(r, d, &ss, &labels);
        if (ns > 0) {
            strbuf_printf(b, "### %s%s%s%s\n\n", d->title, *d->unit ? " (" : "", d->unit,
                          *d->unit ? ")" : "");
            strbuf_puts(b, "| Series | Min | Max | Last | Trend |\n|---|---:|---:|---:|---|\n");
            for (size_t k = 0; k < ns; k++) {
                double lo, hi, last;
                stats(ss[k]->v, r->n, &lo, &hi, &last);
                strbuf_puts(b, "| ");
                escape_md(b, labels[k]);
                strbuf_printf(b, " | %s | %s | %s | `", num(n1, sizeof n1, lo),
                              num(n2, sizeof n2, hi), num(n3, sizeof n3, last));
                md_trend(b, ss[k]->v, r->n, 40);
                strbuf_puts(b, "` |\n");
            }
            strbuf_puts(b, "\n");
        }
        free(ss);
        free_labels(labels, ns);
    }

    for (size_t m = 0; m < r->nmk; m++) {
        strbuf_printf(b, "## Snapshot at marker M%zu, %s: ", m + 1,
                      timespec_format_short(r->mk[m].time, utc, ts, sizeof ts));
        escape_md(b, r->mk[m].note);
        strbuf_puts(b, "\n\n");
        if (!r->msnap[m]) {
            strbuf_puts(b, "Nothing was recorded by then.\n\n");
            continue;
        }
        struct doc *d = doc_from_snapshot(r->msnap[m], utc);
        struct strbuf sb = {0};
        write_md(&sb, d);
        doc_free(d);
        char *text = strbuf_take(&sb);
        md_demoted(b, text);
        free(text);
    }
}

/* Appends html with its headings pushed down two levels (h1 to h3, ...):
 * every heading tag in it is scaletop's own, data being escaped. */
static void html_demoted(struct strbuf *b, const char *html)
{
    for (const char *p = html; *p;) {
        if (p[0] == '<' && (p[1] == 'h' || (p[1] == '/' && p[2] == 'h'))) {
            const char *d = p[1] == '/' ? p + 3 : p + 2;
            if (*d >= '1' && *d <= '4' && d[1] == '>') {
                strbuf_add(b, p, (size_t)(d - p));
                strbuf_printf(b, "%c>", *d + 2);
                p = d + 2;
                continue;
            }
        }
        strbuf_add(b, p, 1);
        p++;
    }
}

static const char *role_class(enum doc_role r)
{
    static const char *const names[] = {"", "ok", "info", "warn", "crit", "dim"};
    return names[r];
}

static void render_html(struct strbuf *b, const struct report *r, bool utc, int width)
{
    char ts[TIMESPEC_BUF];
    char *title = report_title(r, utc);
    write_html_open(b, title);
    strbuf_puts(b, "<h1>");
    escape_html(b, title);
    strbuf_puts(b, "</h1>\n");
    strbuf_printf(b,
                  "<p class=\"status\">%zu recorded frames, %zu markers, %zu events, "
                  "%zu findings%s.</p>\n",
                  r->n, r->nmk, r->nev, r->nfi,
                  r->redacted ? "; names replaced by pseudonyms (--redact)" : "");
    free(title);

    strbuf_puts(b, "<section>\n<h2>Timeline</h2>\n");
    size_t nit;
    struct item *it = timeline(r, &nit);
    if (nit == 0) {
        strbuf_puts(b, "<p class=\"dim\">Nothing happened in this window.</p>\n");
    } else {
        strbuf_puts(b, "<table>\n<thead><tr><th>Time</th><th>What</th><th>Entity</th>"
                       "<th>Detail</th></tr></thead>\n<tbody>\n");
        for (size_t i = 0; i < nit; i++) {
            char *what;
            const char *entity, *detail;
            enum doc_role role;
            item_cells(r, &it[i], &what, &entity, &detail, &role);
            strbuf_printf(b, "<tr><td>%s</td>", timespec_format_short(it[i].t, utc, ts, sizeof ts));
            if (*role_class(role)) {
                strbuf_printf(b, "<td class=\"%s\">", role_class(role));
            } else {
                strbuf_puts(b, "<td>");
            }
            escape_html(b, what);
            strbuf_puts(b, "</td><td>");
            escape_html(b, entity);
            strbuf_puts(b, "</td><td>");
            escape_html(b, detail);
            strbuf_puts(b, "</td></tr>\n");
            free(what);
        }
        strbuf_puts(b, "</tbody>\n</table>\n");
    }
    free(it);
    strbuf_puts(b, "</section>\n");

    strbuf_puts(b, "<section>\n<h2>Key series</h2>\n");
    if (r->nmk) {
        strbuf_puts(b, "<p>Markers (dashed lines): ");
        for (size_t m = 0; m < r->nmk; m++) {
            strbuf_printf(b, "%s<b>M%zu</b> %s", m ? "; " : "", m + 1,
                          timespec_format_short(r->mk[m].time, utc, ts, sizeof ts));
        }
        strbuf_puts(b, ".</p>\n");
    }
    double *mt = xmalloc((r->nmk + 1) * sizeof *mt);
    for (size_t m = 0; m < r->nmk; m++) {
        mt[m] = r->mk[m].time;
    }
    for (size_t c = 0; c < sizeof chart_defs / sizeof *chart_defs; c++) {
        const struct chart_def *d = &chart_defs[c];
        const struct rseries **ss;
        char **labels;
        size_t ns = chart_series(r, d, &ss, &labels);
        if (ns > 0) {
            struct write_chart_line *lines = xmalloc(ns * sizeof *lines);
            for (size_t k = 0; k < ns; k++) {
                lines[k] = (struct write_chart_line){labels[k], ss[k]->v};
            }
            strbuf_puts(b, "<figure>\n<figcaption>");
            escape_html(b, d->title);
            strbuf_puts(b, "</figcaption>\n");
            struct write_chart ch = {d->title, d->unit, lines,  ns,  r->n,  r->t, r->from,
                                     r->to,    mt,      r->nmk, utc, width, 260};
            write_svg_chart(b, &ch);
            strbuf_puts(b, "\n</figure>\n");
            free(lines);
        }
        free(ss);
        free_labels(labels, ns);
    }
    free(mt);
    strbuf_puts(b, "</section>\n");

    for (size_t m = 0; m < r->nmk; m++) {
        strbuf_printf(b, "<section>\n<h2>Snapshot at marker M%zu, %s: ", m + 1,
                      timespec_format_short(r->mk[m].time, utc, ts, sizeof ts));
        escape_html(b, r->mk[m].note);
        strbuf_puts(b, "</h2>\n");
        if (!r->msnap[m]) {
            strbuf_puts(b, "<p class=\"dim\">Nothing was recorded by then.</p>\n");
        } else {
            struct doc *d = doc_from_snapshot(r->msnap[m], utc);
            struct strbuf sb = {0};
            write_html_body(&sb, d, NULL, 0);
            doc_free(d);
            char *text = strbuf_take(&sb);
            html_demoted(b, text);
            free(text);
        }
        strbuf_puts(b, "</section>\n");
    }
    write_html_close(b);
}

char *report_render(const struct report *r, enum report_format fmt, bool utc, int width)
{
    struct strbuf b = {0};
    switch (fmt) {
    case REPORT_CSV:
        render_csv(&b, r);
        break;
    case REPORT_JSON:
        render_json(&b, r);
        break;
    case REPORT_MD:
        render_md(&b, r, utc);
        break;
    case REPORT_HTML:
        render_html(&b, r, utc, width > 0 ? width : 900);
        break;
    }
    return strbuf_take(&b);
}

struct store *report_open_history(const char *path, struct err *e)
{
    char *def = path ? NULL : store_default_path();
    const char *p = path ? path : def;
    struct store *st = NULL;
    if (access(p, F_OK) != 0) {
        err_set(e, "no history file at %s: record one with 'scaletop record' (or give --db FILE)",
                p);
    } else {
        st = store_open(p, STORE_VIEW, NULL, e);
        if (!st) {
            err_prefix(e, "history file %s", p);
        }
    }
    free(def);
    return st;
}

int report_parse_time(const char *opt, const char *s, bool utc, double *out, struct err *e)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (!s) {
        return err_set(e, "%s needs a TIME", opt);
    }
    if (timespec_parse(s, (double)now.tv_sec + now.tv_nsec / 1e9, utc, out, e) < 0) {
        char why[sizeof e->msg];
        snprintf(why, sizeof why, "%s", e->msg);
        err_set(e, "%s: cannot read the time '%s': %s", opt, s, why);
        return -1;
    }
    return 0;
}

int report_parse_window(const char *from_s, const char *to_s, bool utc, double *from, double *to,
                        struct err *e)
{
    if (!from_s || !to_s) {
        return err_set(e, "needs --from TIME and --to TIME, e.g. --from -1h --to now");
    }
    if (report_parse_time("--from", from_s, utc, from, e) < 0 ||
        report_parse_time("--to", to_s, utc, to, e) < 0) {
        return -1;
    }
    if (*from > *to) {
        return err_set(e, "--from '%s' is after --to '%s'", from_s, to_s);
    }
    return 0;
}

char *report_snapshot_render(const struct snapshot *snap, const char *format, bool utc, int width,
                             bool ascii, const struct series_source *series)
{
    struct strbuf b = {0};
    if (strcmp(format, "text") == 0) {
        return textrender_snapshot(snap, series, width, ascii, utc);
    }
    if (strcmp(format, "json") == 0) {
        char *json = snapshot_json_dump(snap, 1);
        strbuf_puts(&b, json);
        strbuf_puts(&b, "\n");
        free(json);
    } else {
        struct doc *d = doc_from_snapshot(snap, utc);
        if (strcmp(format, "html") == 0) {
            write_html_open(&b, d->title);
            write_html_body(&b, d, NULL, 0);
            write_html_close(&b);
        } else {
            write_md(&b, d);
        }
        doc_free(d);
    }
    return strbuf_take(&b);
}
