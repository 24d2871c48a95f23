/*
 * Snapshot comparison. Entities are matched by a stable key (replica
 * hostname, daemon id, proxy name, organization plus tag set, namespace,
 * finding rule plus entity); numbers are compared only when both sides know
 * them, so an unknown value never shows up as a change to or from zero.
 * Changes come out grouped by section in a fixed order, then by entity.
 */
#include "backend/diff.h"

#include "backend/escape.h"
#include "backend/timespec.h"
#include "backend/xalloc.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void add_change(struct diff *d, const char *section, enum change_kind kind,
                       const char *entity, const char *field, const char *from, const char *to,
                       double delta)
{
    d->changes = xgrow(d->changes, &d->cap, d->n + 1, sizeof *d->changes);
    struct change *c = &d->changes[d->n++];
    c->section = section;
    c->kind = kind;
    c->entity = xstrdup(entity ? entity : "");
    c->field = xstrdup(field);
    c->from = xstrdup(from);
    c->to = xstrdup(to);
    c->delta = delta;
}

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void cmp_str(struct diff *d, const char *section, const char *entity, const char *field,
                    const char *a, const char *b)
{
    if (!same_str(a, b)) {
        add_change(d, section, CHANGE_CHANGED, entity, field, a ? a : "-", b ? b : "-", NAN);
    }
}

static void fmt_num(char *buf, size_t n, double v)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, n, "%.0f", v);
    } else {
        snprintf(buf, n, "%.3g", v);
    }
}

/* A numeric change, when both values are known and they differ. */
static void cmp_num(struct diff *d, const char *section, const char *entity, const char *field,
                    double a, double b)
{
    if (isnan(a) || isnan(b) || a == b) {
        return;
    }
    char fa[32], fb[32];
    fmt_num(fa, sizeof fa, a);
    fmt_num(fb, sizeof fb, b);
    if (strcmp(fa, fb) == 0) {
        return; /* below the precision anyone reads */
    }
    add_change(d, section, CHANGE_CHANGED, entity, field, fa, fb, b - a);
}

/* Generic keyed comparison: for each entity of a and b by key, report
 * added/removed, and call `fields` for pairs present in both. */
typedef void (*key_fn)(const void *item, char *buf, size_t n);
typedef void (*fields_fn)(struct diff *d, const char *key, const void *x, const void *y);

static void cmp_lists(struct diff *d, const char *section, const void *a, size_t na, const void *b,
                      size_t nb, size_t size, key_fn key, fields_fn fields)
{
    char ka[512], kb[512];
    for (size_t i = 0; i < na; i++) {
        const void *x = (const char *)a + i * size;
        key(x, ka, sizeof ka);
        const void *y = NULL;
        for (size_t j = 0; j < nb && !y; j++) {
            key((const char *)b + j * size, kb, sizeof kb);
            if (strcmp(ka, kb) == 0) {
                y = (const char *)b + j * size;
            }
        }
        if (!y) {
            add_change(d, section, CHANGE_REMOVED, ka, NULL, NULL, NULL, NAN);
        } else if (fields) {
            fields(d, ka, x, y);
        }
    }
    for (size_t j = 0; j < nb; j++) {
        key((const char *)b + j * size, kb, sizeof kb);
        int found = 0;
        for (size_t i = 0; i < na && !found; i++) {
            key((const char *)a + i * size, ka, sizeof ka);
            found = strcmp(ka, kb) == 0;
        }
        if (!found) {
            add_change(d, section, CHANGE_ADDED, kb, NULL, NULL, NULL, NAN);
        }
    }
}

static void server_key(const void *p, char *buf, size_t n)
{
    const struct server *s = p;
    snprintf(buf, n, "%s", s->hostname ? s->hostname : s->metrics_target ? s->metrics_target : "?");
}

static void server_fields(struct diff *d, const char *k, const void *x, const void *y)
{
    const struct server *a = x, *b = y;
    char ta[TIMESPEC_BUF], tb[TIMESPEC_BUF];
    cmp_str(d, "servers", k, "version", a->version, b->version);
    cmp_str(d, "servers", k, "error", a->error, b->error);
    if (!isnan(a->started_at) && !isnan(b->started_at) && a->started_at != b->started_at) {
        /* Start times as times: an epoch in %g notation said nothing. */
        timespec_format_rfc3339(a->started_at, ta, sizeof ta);
        timespec_format_rfc3339(b->started_at, tb, sizeof tb);
        add_change(d, "servers", CHANGE_CHANGED, k, "restarted", ta, tb, NAN);
    }
    cmp_num(d, "servers", k, "db_latency_ms", a->db_latency_ms, b->db_latency_ms);
    cmp_num(d, "servers", k, "api_p95_ms", a->api_p95_ms, b->api_p95_ms);
}

static void daemon_key(const void *p, char *buf, size_t n)
{
    const struct daemon *dm = p;
    snprintf(buf, n, "%s", dm->name ? dm->name : dm->id ? dm->id : "?");
}

static void daemon_fields(struct diff *d, const char *k, const void *x, const void *y)
{
    const struct daemon *a = x, *b = y;
    if (a->status != b->status) {
        cmp_str(d, "daemons", k, "status", daemon_status_name(a->status),
                daemon_status_name(b->status));
    }
    cmp_str(d, "daemons", k, "version", a->version, b->version);
}

static void queue_key(const void *p, char *buf, size_t n)
{
    const struct queue *q = p;
    char tags[400];
    tagset_format(tags, sizeof tags, &q->tags, ",", "");
    snprintf(buf, n, "%s/%s", q->organization ? q->organization : "?", tags[0] ? tags : "untagged");
}

static void queue_fields(struct diff *d, const char *k, const void *x, const void *y)
{
    const struct queue *a = x, *b = y;
    cmp_num(d, "queues", k, "pending", a->pending, b->pending);
    cmp_num(d, "queues", k, "running", a->running, b->running);
    cmp_num(d, "queues", k, "daemons", a->daemons, b->daemons);
    cmp_num(d, "queues", k, "idle", a->idle, b->idle);
}

static void proxy_key(const void *p, char *buf, size_t n)
{
    const struct proxy *x = p;
    snprintf(buf, n, "%s", x->name ? x->name : "?");
}

static void proxy_fields(struct diff *d, const char *k, const void *x, const void *y)
{
    const struct proxy *a = x, *b = y;
    if (a->status != b->status) {
        cmp_str(d, "proxies", k, "status", proxy_status_name(a->status),
                proxy_status_name(b->status));
    }
    cmp_str(d, "proxies", k, "version", a->version, b->version);
}

static void ns_key(const void *p, char *buf, size_t n)
{
    const struct namespace_quota *ns = p;
    snprintf(buf, n, "%s", ns->name ? ns->name : "?");
}

static void ns_fields(struct diff *d, const char *k, const void *x, const void *y)
{
    const struct namespace_quota *a = x, *b = y;
    for (size_t i = 0; i < b->nresources; i++) {
        for (size_t j = 0; j < a->nresources; j++) {
            if (same_str(a->resources[j].resource, b->resources[i].resource)) {
                char field[200];
                snprintf(field, sizeof field, "%s used", b->resources[i].resource);
                cmp_num(d, "capacity", k, field, a->resources[j].used, b->resources[i].used);
                snprintf(field, sizeof field, "%s hard", b->resources[i].resource);
                cmp_num(d, "capacity", k, field, a->resources[j].hard, b->resources[i].hard);
            }
        }
    }
}

static void finding_key(const void *p, char *buf, size_t n)
{
    const struct finding *f = p;
    snprintf(buf, n, "%s %s", f->rule, f->entity ? f->entity : "");
}

static void finding_fields(struct diff *d, const char *k, const void *x, const void *y)
{
    const struct finding *a = x, *b = y;
    if (a->severity != b->severity) {
        cmp_str(d, "findings", k, "severity", severity_name(a->severity),
                severity_name(b->severity));
    }
}

static void source_key(const void *p, char *buf, size_t n)
{
    const struct source_state *s = p;
    snprintf(buf, n, "%s", s->name ? s->name : "?");
}

static void source_fields(struct diff *d, const char *k, const void *x, const void *y)
{
    const struct source_state *a = x, *b = y;
    if (a->status != b->status) {
        cmp_str(d, "sources", k, "status", source_status_name(a->status),
                source_status_name(b->status));
    }
}

struct diff *diff_snapshots(const struct snapshot *a, const struct snapshot *b)
{
    struct diff *d = xcalloc(1, sizeof *d);
    d->from_time = a->time;
    d->to_time = b->time;
    cmp_lists(d, "sources", a->sources, a->nsources, b->sources, b->nsources, sizeof *a->sources,
              source_key, source_fields);
    cmp_lists(d, "servers", a->servers, a->nservers, b->servers, b->nservers, sizeof *a->servers,
              server_key, server_fields);
    const struct provisioners *pa = &a->provisioners, *pb = &b->provisioners;
    cmp_lists(d, "daemons", pa->daemons, pa->ndaemons, pb->daemons, pb->ndaemons,
              sizeof *pa->daemons, daemon_key, daemon_fields);
    cmp_lists(d, "queues", pa->queues, pa->nqueues, pb->queues, pb->nqueues, sizeof *pa->queues,
              queue_key, queue_fields);

    const struct postgres *ga = &a->postgres, *gb = &b->postgres;
    if (ga->up != gb->up) {
        cmp_str(d, "postgres", "postgres", "up", tri_name(ga->up), tri_name(gb->up));
    }
    cmp_str(d, "postgres", "postgres", "version", ga->version, gb->version);
    if (ga->in_recovery != gb->in_recovery) {
        cmp_str(d, "postgres", "postgres", "in_recovery", tri_name(ga->in_recovery),
                tri_name(gb->in_recovery));
    }
    cmp_num(d, "postgres", "postgres", "connections used", ga->connections.used,
            gb->connections.used);
    cmp_num(d, "postgres", "postgres", "connections waiting", ga->connections.waiting,
            gb->connections.waiting);
    cmp_num(d, "postgres", "postgres", "notify_queue_usage", ga->notify_queue_usage,
            gb->notify_queue_usage);

    cmp_lists(d, "proxies", a->proxies, a->nproxies, b->proxies, b->nproxies, sizeof *a->proxies,
              proxy_key, proxy_fields);
    const struct capacity *ca = &a->capacity, *cb = &b->capacity;
    cmp_num(d, "capacity", "cluster", "cpu requested cores", ca->cluster.cpu_requested_cores,
            cb->cluster.cpu_requested_cores);
    cmp_num(d, "capacity", "cluster", "pods", ca->cluster.pods, cb->cluster.pods);
    cmp_lists(d, "capacity", ca->namespaces, ca->nnamespaces, cb->namespaces, cb->nnamespaces,
              sizeof *ca->namespaces, ns_key, ns_fields);
    cmp_lists(d, "findings", a->findings, a->nfindings, b->findings, b->nfindings,
              sizeof *a->findings, finding_key, finding_fields);
    return d;
}

void diff_free(struct diff *d)
{
    if (!d) {
        return;
    }
    for (size_t i = 0; i < d->n; i++) {
        free(d->changes[i].entity);
        free(d->changes[i].field);
        free(d->changes[i].from);
        free(d->changes[i].to);
    }
    free(d->changes);
    free(d);
}

const char *change_kind_name(enum change_kind k)
{
    return k == CHANGE_ADDED ? "added" : k == CHANGE_REMOVED ? "removed" : "changed";
}

static void fmt_time(char *buf, size_t n, double t, int utc)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (utc) {
        gmtime_r(&tt, &tm);
        strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
    } else {
        localtime_r(&tt, &tm);
        strftime(buf, n, "%Y-%m-%d %H:%M:%S %Z", &tm);
    }
}

/* What a finding change means in words ("started", "ended"). */
static const char *verb(const struct change *c)
{
    if (strcmp(c->section, "findings") == 0) {
        return c->kind == CHANGE_ADDED     ? "started"
               : c->kind == CHANGE_REMOVED ? "ended"
                                           : "changed";
    }
    if (strcmp(c->section, "servers") == 0) {
        return c->kind == CHANGE_ADDED ? "joined" : c->kind == CHANGE_REMOVED ? "left" : "changed";
    }
    return change_kind_name(c->kind);
}

static char *render_json(const struct diff *d)
{
    char ft[64], tt[64];
    fmt_time(ft, sizeof ft, d->from_time, 1);
    fmt_time(tt, sizeof tt, d->to_time, 1);
    json_t *root = json_object();
    json_object_set_new(root, "from", json_string(ft));
    json_object_set_new(root, "to", json_string(tt));
    json_t *arr = json_array();
    for (size_t i = 0; i < d->n; i++) {
        const struct change *c = &d->changes[i];
        json_t *o = json_object();
        json_object_set_new(o, "section", json_string(c->section));
        json_object_set_new(o, "kind", json_string(change_kind_name(c->kind)));
        json_object_set_new(o, "entity", json_string(c->entity));
        json_object_set_new(o, "field", c->field ? json_string(c->field) : json_null());
        json_object_set_new(o, "from", c->from ? json_string(c->from) : json_null());
        json_object_set_new(o, "to", c->to ? json_string(c->to) : json_null());
        json_object_set_new(o, "delta", isnan(c->delta) ? json_null() : json_real(c->delta));
        json_array_append_new(arr, o);
    }
    json_object_set_new(root, "changes", arr);
    char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    char *out = xasprintf("%s\n", s ? s : "{}");
    free(s);
    return out;
}

char *diff_render(const struct diff *d, enum diff_format fmt, int utc)
{
    if (fmt == DIFF_JSON) {
        return render_json(d);
    }
    struct strbuf b = {0};
    char ft[64], tt[64];
    fmt_time(ft, sizeof ft, d->from_time, utc);
    fmt_time(tt, sizeof tt, d->to_time, utc);
    if (fmt == DIFF_MD) {
        strbuf_printf(&b, "## Changes from %s to %s\n\n", ft, tt);
    } else {
        strbuf_printf(&b, "Changes from %s to %s\n", ft, tt);
    }
    if (d->n == 0) {
        strbuf_puts(&b, fmt == DIFF_MD ? "No changes.\n" : "  no changes\n");
        return strbuf_take(&b);
    }
    const char *section = NULL;
    for (size_t i = 0; i < d->n; i++) {
        const struct change *c = &d->changes[i];
        if (!section || strcmp(section, c->section) != 0) {
            section = c->section;
            if (fmt == DIFF_MD) {
                strbuf_printf(&b,
                              "%s### %s\n\n| entity | change | from | to |\n|---|---|---|---|\n",
                              i ? "\n" : "", section);
            } else {
                strbuf_printf(&b, "\n%s\n", section);
            }
        }
        if (fmt == DIFF_MD) {
            strbuf_puts(&b, "| ");
            escape_md(&b, c->entity);
            strbuf_puts(&b, " | ");
            strbuf_puts(&b, verb(c));
            if (c->field) {
                strbuf_puts(&b, " ");
                escape_md(&b, c->field);
            }
            strbuf_puts(&b, " | ");
            escape_md(&b, c->from ? c->from : "");
            strbuf_puts(&b, " | ");
            escape_md(&b, c->to ? c->to : "");
            strbuf_puts(&b, " |\n");
        } else if (c->field) {
            strbuf_printf(&b, "  %-9s %s %s: %s -> %s", verb(c), c->entity, c->field, c->from,
                          c->to);
            if (!isnan(c->delta)) {
                strbuf_printf(&b, " (%+.3g)", c->delta);
            }
            strbuf_puts(&b, "\n");
        } else {
            strbuf_printf(&b, "  %-9s %s\n", verb(c), c->entity);
        }
    }
    return strbuf_take(&b);
}
