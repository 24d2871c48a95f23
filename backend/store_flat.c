/*
 * Snapshot <-> (series, entity state), see store_flat.h and docs/history.md.
 *
 * Walks the snapshot JSON. Arrays listed in entity_arrays[] hold entities:
 * each element becomes its own state document under a stable key
 * ("server/HOST") and the array keeps only the keys. Every number outside
 * the other ("inline") arrays — findings, events, lock waits, string lists —
 * becomes a sample of the series "ENTITY/PATH" and leaves the document; so
 * does a time string (last_ok, *_at), with unit "rfc3339", and every null
 * (a missing field reads back as unknown). PATH segments are %-escaped so a
 * key may hold "/" ("nvidia.com/gpu"). Joining is the inverse: every series
 * named "ENTITY/..." with a value at the frame is put back at its path.
 * Invariant: build then join gives a document that parses to the same
 * snapshot (tests/unit/test_store.c checks it field by field).
 */
#include "backend/store_flat.h"

#include "backend/snapshot_json.h"
#include "backend/timespec.h"
#include "backend/xalloc.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Key order is the writer's, which is deterministic: no sorting needed. */
#define JFLAGS (JSON_COMPACT | JSON_REAL_PRECISION(17))

struct entity_array {
    const char *path, *prefix, *k1, *k2;
    int composite; /* key is k1/k2; otherwise k1, else k2 */
    int transient; /* short-lived entities: numbers stay in the document */
};

static const struct entity_array entity_arrays[] = {
    {"sources", "source", "name", NULL, 0},
    {"servers", "server", "hostname", "id", 0},
    {"provisioners/daemons", "daemon", "name", "id", 0},
    {"provisioners/queues", "queue", "organization", "tags", 1},
    {"provisioners/jobs", "job", "id", NULL, 0, 1},
    {"provisioners/unrunnable_jobs", "unrunnable", "id", NULL, 0, 1},
    {"postgres/replication", "pg_replica", "name", NULL, 0},
    {"proxies", "proxy", "name", "id", 0},
    {"capacity/namespaces", "namespace", "name", NULL, 0},
    {"capacity/coder_quota", "coder_quota", "organization", "user", 1},
    {"capacity/soft_limits", "soft_limit", "name", NULL, 0},
    {"capacity/nodes", "node", "name", NULL, 0},
    {"cost/groups", "cost_group", "organization", "name", 1},
};

static const struct entity_array *entity_array_of(const char *path)
{
    for (size_t i = 0; i < sizeof entity_arrays / sizeof *entity_arrays; i++) {
        if (strcmp(entity_arrays[i].path, path) == 0) {
            return &entity_arrays[i];
        }
    }
    return NULL;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int is_time_key(const char *k)
{
    return strcmp(k, "last_ok") == 0 || ends_with(k, "_at");
}

static const char *unit_of(const char *k)
{
    if (is_time_key(k)) {
        return "time";
    }
    if (ends_with(k, "_per_s")) {
        return "1/s";
    }
    if (ends_with(k, "_ms")) {
        return "ms";
    }
    if (ends_with(k, "_bytes")) {
        return "bytes";
    }
    if (ends_with(k, "_s")) {
        return "s";
    }
    if (ends_with(k, "_cores") || strcmp(k, "cpu_cores") == 0) {
        return "cores";
    }
    if (ends_with(k, "_ratio") || ends_with(k, "_usage")) {
        return "ratio";
    }
    return "";
}

int store_flat_unit_is_time(const char *unit)
{
    return unit && (strcmp(unit, "time") == 0 || strcmp(unit, "rfc3339") == 0);
}

double store_flat_parse_time(const char *s)
{
    return timespec_parse_rfc3339(s);
}

static json_t *format_time(double t)
{
    long long ms = llround(t * 1000.0);
    time_t sec = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
    int frac = (int)(ms - (long long)sec * 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    char buf[64];
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof buf - n, frac ? ".%03dZ" : "Z", frac);
    return json_string(buf);
}

static char *join_path(const char *a, const char *b)
{
    return a && *a ? xasprintf("%s/%s", a, b) : xstrdup(b);
}

static void unescape_in_place(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        unsigned v;
        if (*r == '%' && sscanf(r + 1, "%2x", &v) == 1) {
            *w++ = (char)v;
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = 0;
}

static void add_sample(struct store_flat *f, const char *entity, const char *rel, const char *unit,
                       double v)
{
    f->samples = xgrow(f->samples, &f->cap_samples, f->nsamples + 1, sizeof *f->samples);
    struct store_flat_sample *x = &f->samples[f->nsamples++];
    x->name = join_path(entity, rel);
    x->entity = xstrdup(entity);
    x->unit = unit;
    x->v = v;
}

static void add_state(struct store_flat *f, const char *key, json_t *doc)
{
    f->states = xgrow(f->states, &f->cap_states, f->nstates + 1, sizeof *f->states);
    struct store_flat_state *x = &f->states[f->nstates++];
    x->key = xstrdup(key);
    x->data = json_dumps(doc, JFLAGS);
    if (!x->data) {
        x->data = xstrdup("null");
    }
}

static void split_entities(struct store_flat *f, json_t *arr, const struct entity_array *ea);

#define PATH_MAX_BYTES 1024

/* A path being built in place: append a segment, recurse, cut back. */
struct pathbuf {
    char buf[PATH_MAX_BYTES];
    size_t len;
};

static size_t path_push(struct pathbuf *p, const char *seg, int escape)
{
    size_t old = p->len;
    if (p->len && p->len + 1 < PATH_MAX_BYTES) {
        p->buf[p->len++] = '/';
    }
    for (; *seg && p->len + 4 < PATH_MAX_BYTES; seg++) {
        if (escape && (*seg == '%' || *seg == '/')) {
            p->len += (size_t)snprintf(p->buf + p->len, 4, "%%%02X", (unsigned char)*seg);
        } else {
            p->buf[p->len++] = *seg;
        }
    }
    p->buf[p->len] = 0;
    return old;
}

static void path_pop(struct pathbuf *p, size_t old)
{
    p->len = old;
    p->buf[old] = 0;
}

static void split_walk(struct store_flat *f, json_t *obj, struct pathbuf *abs, const char *entity,
                       struct pathbuf *rel)
{
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(obj, tmp, k, v)
    {
        size_t rold = path_push(rel, k, 1), aold = path_push(abs, k, 0);
        if (json_is_number(v)) {
            add_sample(f, entity, rel->buf, unit_of(k), json_number_value(v));
            json_object_del(obj, k);
        } else if (json_is_null(v)) {
            json_object_del(obj, k);
        } else if (json_is_string(v) && is_time_key(k) &&
                   isfinite(store_flat_parse_time(json_string_value(v)))) {
            add_sample(f, entity, rel->buf, "rfc3339", store_flat_parse_time(json_string_value(v)));
            json_object_del(obj, k);
        } else if (json_is_object(v)) {
            split_walk(f, v, abs, entity, rel);
        } else if (json_is_array(v)) {
            const struct entity_array *ea = entity_array_of(abs->buf);
            if (ea) { /* a nested list is its own document: it rarely changes */
                split_entities(f, v, ea);
                char *lk = xasprintf("@list/%s", abs->buf);
                add_state(f, lk, v);
                json_object_set_new(obj, k, json_string(lk));
                free(lk);
            }
        }
        path_pop(rel, rold);
        path_pop(abs, aold);
    }
}

static void split_object(struct store_flat *f, json_t *obj, const char *abspath, const char *entity)
{
    struct pathbuf abs, rel;
    abs.len = rel.len = 0;
    abs.buf[0] = rel.buf[0] = 0;
    path_push(&abs, abspath, 0);
    split_walk(f, obj, &abs, entity, &rel);
}

static char *tags_key(json_t *tags)
{
    size_t n = json_object_size(tags), i = 0;
    const char **keys = xcalloc(n + 1, sizeof *keys);
    const char *k;
    json_t *v;
    json_object_foreach(tags, k, v)
    {
        keys[i++] = k;
    }
    for (size_t a = 1; a < n; a++) {
        for (size_t b = a; b > 0 && strcmp(keys[b - 1], keys[b]) > 0; b--) {
            const char *t = keys[b];
            keys[b] = keys[b - 1];
            keys[b - 1] = t;
        }
    }
    char *out = xstrdup("");
    for (i = 0; i < n; i++) {
        json_t *val = json_object_get(tags, keys[i]);
        char *next = xasprintf("%s%s%s=%s", out, i ? "," : "", keys[i],
                               json_is_string(val) ? json_string_value(val) : "");
        free(out);
        out = next;
    }
    free(keys);
    return out;
}

static char *field_key(json_t *el, const char *name)
{
    json_t *v = json_object_get(el, name);
    if (json_is_string(v)) {
        return xstrdup(json_string_value(v));
    }
    if (json_is_object(v)) {
        return tags_key(v);
    }
    return NULL;
}

/* A transient entity (a job: minutes long, thousands a day) keeps its numbers
 * in its document rather than minting series that outlive it. Its age, which
 * ticks every cycle, is stored as the moment it implies ("age_s@": frame time
 * minus age) when that gives the same age back exactly, so the document only
 * changes when the job does. Nulls are dropped. */
static void keep_inline(struct store_flat *f, json_t *el)
{
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(el, tmp, k, v)
    {
        if (json_is_null(v)) {
            json_object_del(el, k);
        }
    }
    json_t *age = json_object_get(el, "age_s");
    if (json_is_number(age)) {
        double a = json_number_value(age), anchor = f->t - a;
        if (f->t - anchor == a) {
            json_object_del(el, "age_s");
            json_object_set_new(el, "age_s@", json_real(anchor));
        }
    }
}

static void split_entities(struct store_flat *f, json_t *arr, const struct entity_array *ea)
{
    size_t i;
    json_t *el;
    char **keys = xcalloc(json_array_size(arr) + 1, sizeof *keys);
    json_array_foreach(arr, i, el)
    {
        if (!json_is_object(el)) {
            continue;
        }
        char *a = field_key(el, ea->k1), *b = ea->k2 ? field_key(el, ea->k2) : NULL;
        char *id;
        if (ea->composite) {
            id = xasprintf("%s/%s/%s", ea->prefix, a ? a : "", b ? b : "");
        } else if (a || b) {
            id = xasprintf("%s/%s", ea->prefix, a ? a : b);
        } else {
            id = xasprintf("%s/#%zu", ea->prefix, i);
        }
        free(a);
        free(b);
        for (int dup = 2;; dup++) { /* duplicates keep their order: KEY, KEY#2, ... */
            int seen = 0;
            for (size_t j = 0; j < i && !seen; j++) {
                seen = keys[j] && strcmp(keys[j], id) == 0;
            }
            if (!seen) {
                break;
            }
            char *base = xstrdup(id);
            char *hash = strrchr(base, '#');
            if (dup > 2 && hash) {
                *hash = 0;
            }
            free(id);
            id = xasprintf("%s#%d", base, dup);
            free(base);
        }
        keys[i] = id;
        if (ea->transient) {
            keep_inline(f, el);
        } else {
            split_object(f, el, ea->path, id);
        }
        add_state(f, id, el);
        json_array_set_new(arr, i, json_string(id));
    }
    for (i = 0; i < json_array_size(arr); i++) {
        free(keys[i]);
    }
    free(keys);
}

static int is_frame_key(const char *k)
{
    return strcmp(k, "scaletop_snapshot") == 0 || strcmp(k, "time") == 0 ||
           strcmp(k, "replay") == 0;
}

int store_flat_build(const struct snapshot *s, struct store_flat *f, struct err *e)
{
    f->t = (double)llround(s->time * 1000.0) / 1000.0; /* the frame time as stored */
    char *text = snapshot_json_dump(s, 0);
    json_error_t je;
    json_t *root = json_loads(text, 0, &je);
    free(text);
    if (!json_is_object(root)) {
        json_decref(root);
        return err_set(e, "snapshot cannot be serialised: %s", je.text);
    }
    json_t *parts = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v)
    {
        if (is_frame_key(k)) {
            continue;
        }
        json_array_append_new(parts, json_string(k));
        if (json_is_object(v)) {
            split_object(f, v, k, k);
        } else if (json_is_array(v) && entity_array_of(k)) {
            split_entities(f, v, entity_array_of(k));
        }
        add_state(f, k, v);
    }
    add_state(f, "@parts", parts);
    json_decref(parts);
    json_decref(root);
    return 0;
}

void store_flat_fini(struct store_flat *f)
{
    for (size_t i = 0; i < f->nsamples; i++) {
        free(f->samples[i].name);
        free(f->samples[i].entity);
    }
    for (size_t i = 0; i < f->nstates; i++) {
        free(f->states[i].key);
        free(f->states[i].data);
    }
    free(f->samples);
    free(f->states);
    memset(f, 0, sizeof *f);
}

struct joiner {
    double t;
    store_flat_state_fn state;
    store_flat_values_fn values;
    void *ctx;
};

static json_t *load_doc(struct joiner *j, const char *key)
{
    const char *text = j->state(j->ctx, key);
    return text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
}

/* Sets doc[a][b][c] = value for rel "a/b/c", creating objects on the way. */
static void put_value(void *jctx, const char *rel, double v, const char *unit)
{
    json_t *obj = jctx;
    char *path = xstrdup(rel), *save = NULL;
    char *seg = strtok_r(path, "/", &save);
    while (seg && json_is_object(obj)) {
        char *next = strtok_r(NULL, "/", &save);
        unescape_in_place(seg);
        if (!next) {
            if (isfinite(v)) {
                json_object_set_new(obj, seg,
                                    strcmp(unit, "rfc3339") == 0 ? format_time(v) : json_real(v));
            }
            break;
        }
        json_t *child = json_object_get(obj, seg);
        if (!json_is_object(child)) {
            child = json_object();
            json_object_set_new(obj, seg, child);
        }
        obj = child;
        seg = next;
    }
    free(path);
}

static void fill(struct joiner *j, json_t *doc, const char *entity)
{
    char *prefix = xasprintf("%s/", entity);
    j->values(j->ctx, prefix, put_value, doc);
    free(prefix);
}

static void join_entities(struct joiner *j, json_t *arr, const struct entity_array *ea);

/* Expands the entity arrays found below obj (their items are keys). */
static void join_object(struct joiner *j, json_t *obj, const char *abspath)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        char *abs2 = join_path(abspath, k);
        if (json_is_object(v)) {
            join_object(j, v, abs2);
        } else if (json_is_string(v) && strncmp(json_string_value(v), "@list/", 6) == 0) {
            const struct entity_array *ea = entity_array_of(abs2);
            json_t *list = ea ? load_doc(j, json_string_value(v)) : NULL;
            if (json_is_array(list)) {
                join_entities(j, list, ea);
                json_object_set_new(obj, k, list);
            } else {
                json_decref(list);
                json_object_set_new(obj, k, json_array());
            }
        }
        free(abs2);
    }
}

static void join_entities(struct joiner *j, json_t *arr, const struct entity_array *ea)
{
    size_t i;
    json_t *el;
    json_array_foreach(arr, i, el)
    {
        if (!json_is_string(el)) {
            continue;
        }
        char *id = xstrdup(json_string_value(el));
        json_t *doc = load_doc(j, id);
        if (json_is_object(doc)) {
            json_t *anchor = json_object_get(doc, "age_s@");
            if (ea->transient && json_is_number(anchor)) {
                json_object_set_new(doc, "age_s", json_real(j->t - json_number_value(anchor)));
                json_object_del(doc, "age_s@");
            }
            join_object(j, doc, ea->path);
            fill(j, doc, id);
            json_array_set_new(arr, i, doc);
        } else {
            json_decref(doc);
            json_array_set_new(arr, i, json_null());
        }
        free(id);
    }
}

char *store_flat_join(double t, store_flat_state_fn state, store_flat_values_fn values, void *ctx,
                      struct err *e)
{
    struct joiner j = {t, state, values, ctx};
    json_t *parts = load_doc(&j, "@parts");
    if (!json_is_array(parts)) {
        json_decref(parts);
        err_set(e, "history: no entity state recorded at this time");
        return NULL;
    }
    json_t *root = json_object();
    json_object_set_new(root, "scaletop_snapshot", json_integer(1));
    json_object_set_new(root, "time", json_real(t));
    json_object_set_new(root, "replay", json_true());
    size_t i;
    json_t *p;
    json_array_foreach(parts, i, p)
    {
        if (!json_is_string(p)) {
            continue;
        }
        const char *k = json_string_value(p);
        json_t *doc = load_doc(&j, k);
        if (!doc) {
            continue;
        }
        if (json_is_object(doc)) {
            join_object(&j, doc, k);
            fill(&j, doc, k);
        } else if (json_is_array(doc) && entity_array_of(k)) {
            join_entities(&j, doc, entity_array_of(k));
        }
        json_object_set_new(root, k, doc);
    }
    json_decref(parts);
    char *text = json_dumps(root, JFLAGS);
    json_decref(root);
    if (!text) {
        err_set(e, "history: cannot serialise the rebuilt snapshot");
    }
    return text;
}

static json_t *merge_diff(json_t *old, json_t *new)
{
    json_t *patch = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(new, k, v)
    {
        json_t *ov = json_object_get(old, k);
        if (ov && json_equal(ov, v)) {
            continue;
        }
        if (json_is_object(ov) && json_is_object(v)) {
            json_object_set_new(patch, k, merge_diff(ov, v));
        } else {
            json_object_set(patch, k, v);
        }
    }
    json_object_foreach(old, k, v)
    {
        if (!json_object_get(new, k)) {
            json_object_set_new(patch, k, json_null());
        }
    }
    return patch;
}

static void merge_apply(json_t *target, json_t *patch)
{
    const char *k;
    json_t *v;
    json_object_foreach(patch, k, v)
    {
        json_t *tv = json_object_get(target, k);
        if (json_is_null(v)) {
            json_object_del(target, k);
        } else if (json_is_object(v) && json_is_object(tv)) {
            merge_apply(tv, v);
        } else {
            json_object_set_new(target, k, json_deep_copy(v));
        }
    }
}

char *store_flat_diff(const char *old_doc, const char *new_doc)
{
    json_t *a = json_loads(old_doc, 0, NULL), *b = json_loads(new_doc, 0, NULL);
    char *out = NULL;
    if (json_is_object(a) && json_is_object(b)) {
        json_t *patch = merge_diff(a, b);
        out = json_dumps(patch, JFLAGS);
        json_decref(patch);
        if (out && strlen(out) >= strlen(new_doc)) {
            free(out);
            out = NULL;
        }
    }
    json_decref(a);
    json_decref(b);
    return out;
}

void *store_flat_doc_parse(const char *doc)
{
    json_t *d = json_loads(doc, 0, NULL);
    if (!json_is_object(d)) {
        json_decref(d);
        return NULL;
    }
    return d;
}

void store_flat_doc_patch(void *doc, const char *patch)
{
    json_t *p = json_loads(patch, 0, NULL);
    if (json_is_object(p)) {
        merge_apply(doc, p);
    }
    json_decref(p);
}

char *store_flat_doc_dump(void *doc)
{
    return json_dumps(doc, JFLAGS);
}

void store_flat_doc_free(void *doc)
{
    json_decref(doc);
}
