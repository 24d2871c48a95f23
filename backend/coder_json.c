/*
 * Converters from Coder API bodies to the snapshot (declared in coder.h).
 *
 * Invariants: every function parses, converts and json_decref()s in one
 * call, so no json_t outlives its parser; a field that is absent and a field
 * that is null both become "unknown" (NAN, NULL, TRI_UNKNOWN), never zero;
 * strings enter the snapshot only through snapshot_str (cleaned); enum
 * values scaletop does not know are kept verbatim in *_raw fields; a body of
 * the wrong shape is an error with a message, never a crash.
 */
#include "backend/coder.h"

#include "backend/provq.h"
#include "backend/xalloc.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CODER_MAX_CODES 64

static json_t *load(const char *body, size_t len, struct err *e)
{
    json_error_t je;
    json_t *j = json_loadb(body ? body : "", body ? len : 0, 0, &je);
    if (!j) {
        err_set(e, "malformed JSON (line %d: %s)", je.line, je.text);
    }
    return j;
}

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_is_object(o) ? json_object_get(o, k) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static double jnum(json_t *o, const char *k)
{
    json_t *v = json_is_object(o) ? json_object_get(o, k) : NULL;
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static enum tri jbool(json_t *o, const char *k)
{
    json_t *v = json_is_object(o) ? json_object_get(o, k) : NULL;
    return json_is_true(v) ? TRI_TRUE : json_is_false(v) ? TRI_FALSE : TRI_UNKNOWN;
}

static const char *sstr(struct snapshot *s, json_t *o, const char *k)
{
    return snapshot_str(s, jstr(o, k));
}

/* Tags: an object of strings; non-string values (should not happen) are
 * skipped rather than invented. */
static struct tagset jtags(struct snapshot *s, json_t *o)
{
    struct tagset none = {NULL, 0};
    json_t *t = json_is_object(o) ? json_object_get(o, "tags") : NULL;
    size_t n = json_is_object(t) ? json_object_size(t) : 0;
    if (n == 0) {
        return none;
    }
    struct tag *tmp = xcalloc(n, sizeof *tmp);
    size_t k = 0;
    const char *key;
    json_t *val;
    json_object_foreach(t, key, val)
    {
        if (json_is_string(val) && k < n) {
            tmp[k].key = key;
            tmp[k].value = json_string_value(val);
            k++;
        }
    }
    struct tagset ts = snapshot_tagset(s, tmp, k);
    free(tmp);
    return ts;
}

double coder_parse_time(const char *str)
{
    if (!str) {
        return NAN;
    }
    int Y, M, D, h, m, sec, used = 0;
    if (sscanf(str, "%4d-%2d-%2dT%2d:%2d:%2d%n", &Y, &M, &D, &h, &m, &sec, &used) != 6 ||
        used < 19) {
        return NAN;
    }
    if (Y <= 1 || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60) {
        return NAN; /* Go's zero time leaks through some structs: unknown */
    }
    const char *p = str + used;
    double frac = 0;
    if (*p == '.') {
        double scale = 0.1;
        p++;
        if (*p < '0' || *p > '9') {
            return NAN;
        }
        while (*p >= '0' && *p <= '9') {
            frac += (*p - '0') * scale;
            scale /= 10;
            p++;
        }
    }
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om, n2 = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n2) != 2 || n2 != 5) {
            return NAN;
        }
        offset = (oh * 3600L + om * 60L) * (*p == '-' ? -1 : 1);
        p += 1 + n2;
    } else {
        return NAN;
    }
    if (*p) {
        return NAN;
    }
    struct tm tm = {0};
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    return (double)t - (double)offset + frac;
}

long coder_version_num(const char *v)
{
    if (!v) {
        return -1;
    }
    if (*v == 'v' || *v == 'V') {
        v++;
    }
    long part[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (*v < '0' || *v > '9') {
            return i == 0 ? -1 : -1;
        }
        char *end;
        long x = strtol(v, &end, 10);
        part[i] = x > 99 ? 99 : x;
        v = end;
        if (i < 2) {
            if (*v != '.') {
                return -1;
            }
            v++;
        }
    }
    return part[0] * 10000 + part[1] * 100 + part[2];
}

static void envelope(const char *body, size_t len, char *msg, size_t msgsz, const char *prefix)
{
    json_error_t je;
    json_t *j = body && len ? json_loadb(body, len, 0, &je) : NULL;
    const char *m = jstr(j, "message");
    const char *d = jstr(j, "detail");
    if (m && d && d[0]) {
        snprintf(msg, msgsz, "%s: %s (%s)", prefix, m, d);
    } else if (m) {
        snprintf(msg, msgsz, "%s: %s", prefix, m);
    } else if (body && len && !j) {
        /* Not JSON (a proxy's HTML page, plain text): the first line. */
        size_t n = 0;
        while (n < len && n < 120 && body[n] != '\r' && body[n] != '\n' && body[n] != '\0') {
            n++;
        }
        snprintf(msg, msgsz, "%s: %.*s", prefix, (int)n, body);
    } else {
        snprintf(msg, msgsz, "%s", prefix);
    }
    json_decref(j);
}

/* True when body[0..len) contains needle (the body need not be NUL-terminated). */
static bool has(const char *body, size_t len, const char *needle)
{
    return body && memmem(body, len, needle, strlen(needle)) != NULL;
}

enum source_reason coder_error_reason(long status, const char *body, size_t len, char *msg,
                                      size_t msgsz)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "HTTP %ld", status);
    envelope(body, len, msg, msgsz, prefix);
    if (status == 401) {
        return REASON_UNAUTHORIZED;
    }
    if (status == 403) {
        if (has(body, len, "Premium feature") || has(body, len, "Enterprise feature") ||
            has(body, len, "premium feature") || has(body, len, "enterprise feature")) {
            return REASON_NEEDS_PREMIUM;
        }
        return REASON_NO_PERMISSION;
    }
    if (status == 404) {
        if (has(body, len, "Healthcheck is in progress")) {
            return REASON_TIMEOUT;
        }
        if (has(body, len, "Resource not found")) {
            return REASON_NO_PERMISSION;
        }
        return REASON_NEEDS_PREMIUM; /* route absent: AGPL build or older version */
    }
    if (status == 429) {
        return REASON_RATE_LIMITED;
    }
    if (status >= 500) {
        return REASON_SERVER_ERROR;
    }
    return REASON_BAD_RESPONSE;
}

int coder_rejected_param(const char *body, size_t len, char *out, size_t outsz)
{
    json_error_t je;
    json_t *j = body && len ? json_loadb(body, len, 0, &je) : NULL;
    json_t *v = json_is_object(j) ? json_object_get(j, "validations") : NULL;
    const char *field = json_is_array(v) ? jstr(json_array_get(v, 0), "field") : NULL;
    int rc = -1;
    if (field && field[0]) {
        snprintf(out, outsz, "%s", field);
        rc = 0;
    }
    json_decref(j);
    return rc;
}

int coder_parse_buildinfo(struct snapshot *s, const char *body, size_t len, struct err *e)
{
    json_t *j = load(body, len, e);
    if (!j) {
        return -1;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        return err_set(e, "buildinfo: expected an object");
    }
    struct deployment *d = &s->deployment;
    if (!d->version) {
        d->version = sstr(s, j, "version");
    }
    d->dashboard_url = sstr(s, j, "dashboard_url");
    d->deployment_id = sstr(s, j, "deployment_id");
    json_decref(j);
    return 0;
}

static enum tri feature_entitled(json_t *features, const char *name)
{
    json_t *f = json_is_object(features) ? json_object_get(features, name) : NULL;
    const char *ent = jstr(f, "entitlement");
    if (!ent) {
        return TRI_UNKNOWN;
    }
    return strcmp(ent, "not_entitled") == 0 ? TRI_FALSE : TRI_TRUE;
}

int coder_parse_entitlements(const char *body, size_t len, enum tri *premium,
                             enum tri *proxies_entitled, enum tri *ha_entitled, struct err *e)
{
    json_t *j = load(body, len, e);
    if (!j) {
        return -1;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        return err_set(e, "entitlements: expected an object");
    }
    json_t *features = json_object_get(j, "features");
    *premium = jbool(j, "has_license");
    *proxies_entitled = feature_entitled(features, "workspace_proxy");
    *ha_entitled = feature_entitled(features, "high_availability");
    json_decref(j);
    return 0;
}

int coder_parse_organizations(const char *body, size_t len, struct coder_org *orgs, size_t max,
                              size_t *n, struct err *e)
{
    *n = 0;
    json_t *j = load(body, len, e);
    if (!j) {
        return -1;
    }
    if (!json_is_array(j)) {
        json_decref(j);
        return err_set(e, "organizations: expected an array");
    }
    size_t i;
    json_t *o;
    json_array_foreach(j, i, o)
    {
        const char *id = jstr(o, "id");
        if (!id || *n >= max) {
            continue;
        }
        const char *name = jstr(o, "name");
        struct coder_org *g = &orgs[(*n)++];
        snprintf(g->id, sizeof g->id, "%s", id);
        snprintf(g->name, sizeof g->name, "%s", name ? name : id);
        g->is_default = jbool(o, "is_default") == TRI_TRUE;
    }
    json_decref(j);
    return 0;
}

int coder_parse_replicas(struct snapshot *s, const char *body, size_t len, struct err *e)
{
    json_t *j = load(body, len, e);
    if (!j) {
        return -1;
    }
    if (!json_is_array(j)) {
        json_decref(j);
        return err_set(e, "replicas: expected an array");
    }
    size_t i;
    json_t *o;
    json_array_foreach(j, i, o)
    {
        if (!json_is_object(o)) {
            continue;
        }
        struct server *v = snapshot_add_server(s);
        v->id = sstr(s, o, "id");
        v->hostname = sstr(s, o, "hostname");
        v->relay_address = sstr(s, o, "relay_address");
        if (v->relay_address && !v->relay_address[0]) {
            v->relay_address = NULL;
        }
        v->region_id = jnum(o, "region_id");
        v->started_at = coder_parse_time(jstr(o, "created_at"));
        const char *err = jstr(o, "error");
        v->error = err && err[0] ? snapshot_str(s, err) : NULL; /* "" means healthy */
        double us = jnum(o, "database_latency");
        v->db_latency_ms = isfinite(us) ? us / 1000.0 : NAN; /* microseconds on the wire */
    }
    json_decref(j);
    return 0;
}

static enum proxy_status proxy_status_of(const char *st)
{
    if (!st) {
        return PROXY_UNKNOWN;
    }
    if (strcmp(st, "ok") == 0) {
        return PROXY_OK;
    }
    if (strcmp(st, "unreachable") == 0) {
        return PROXY_UNREACHABLE;
    }
    if (strcmp(st, "unhealthy") == 0) {
        return PROXY_UNHEALTHY;
    }
    if (strcmp(st, "unregistered") == 0) {
        return PROXY_UNREGISTERED;
    }
    return PROXY_UNKNOWN;
}

/* An array of strings (null allowed) into the arena. */
static const char **jstrings(struct snapshot *s, json_t *a, size_t *n)
{
    *n = 0;
    if (!json_is_array(a) || json_array_size(a) == 0) {
        return NULL;
    }
    const char **out = snapshot_alloc(s, json_array_size(a) * sizeof *out);
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (json_is_string(v)) {
            out[(*n)++] = snapshot_str(s, json_string_value(v));
        }
    }
    return out;
}

int coder_parse_proxies(struct snapshot *s, const char *body, size_t len, struct err *e)
{
    json_t *j = load(body, len, e);
    if (!j) {
        return -1;
    }
    /* The wire shape is {"regions":[…]} (swagger's bare array is wrong, but
     * accept it in case a build ever sends it). */
    json_t *list = json_is_object(j) ? json_object_get(j, "regions") : j;
    if (!json_is_array(list)) {
        json_decref(j);
        return err_set(e, "proxies: expected {\"regions\":[…]}");
    }
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o)
    {
        if (!json_is_object(o) || jbool(o, "deleted") == TRI_TRUE) {
            continue;
        }
        struct proxy *x = snapshot_add_proxy(s);
        x->id = sstr(s, o, "id");
        x->name = sstr(s, o, "name");
        x->display_name = sstr(s, o, "display_name");
        const char *url = jstr(o, "path_app_url");
        x->url = url && url[0] ? snapshot_str(s, url) : NULL;
        const char *wild = jstr(o, "wildcard_hostname");
        x->wildcard_hostname = wild && wild[0] ? snapshot_str(s, wild) : NULL;
        x->healthy = jbool(o, "healthy");
        const char *ver = jstr(o, "version");
        x->version = ver && ver[0] ? snapshot_str(s, ver) : NULL;
        x->derp_enabled = jbool(o, "derp_enabled");
        x->derp_only = jbool(o, "derp_only");
        x->updated_at = coder_parse_time(jstr(o, "updated_at"));
        const char *did = s->deployment.deployment_id;
        x->primary = (x->name && strcmp(x->name, "primary") == 0) ||
                     (did && x->id && strcmp(did, x->id) == 0);
        json_t *st = json_object_get(o, "status");
        if (json_is_object(st)) {
            const char *raw = jstr(st, "status");
            x->status_raw = snapshot_str(s, raw);
            x->status = proxy_status_of(raw);
            json_t *rep = json_object_get(st, "report");
            x->errors = jstrings(s, json_object_get(rep, "errors"), &x->nerrors);
            x->warnings = jstrings(s, json_object_get(rep, "warnings"), &x->nwarnings);
        } else if (x->healthy == TRI_TRUE) {
            x->status = PROXY_OK; /* /regions: only "healthy" is known */
        } else if (x->healthy == TRI_FALSE && !x->url) {
            x->status = PROXY_UNREGISTERED;
        }
    }
    json_decref(j);
    return 0;
}

static enum daemon_status daemon_status_of(const char *st)
{
    if (!st) {
        return DAEMON_UNKNOWN;
    }
    if (strcmp(st, "idle") == 0) {
        return DAEMON_IDLE;
    }
    if (strcmp(st, "busy") == 0) {
        return DAEMON_BUSY;
    }
    if (strcmp(st, "offline") == 0) {
        return DAEMON_OFFLINE;
    }
    return DAEMON_UNKNOWN;
}

int coder_parse_daemons(struct snapshot *s, const char *org, const char *body, size_t len,
                        struct err *e)
{
    json_t *j = load(body, len, e);
    if (!j) {
        return -1;
    }
    if (!json_is_array(j)) {
        json_decref(j);
        return err_set(e, "provisioner daemons: expected an array");
    }
    const char **hosts = NULL;
    size_t nhosts = 0;
    if (s->nservers) {
        hosts = xcalloc(s->nservers, sizeof *hosts);
        for (size_t i = 0; i < s->nservers; i++) {
            if (s->servers[i].hostname) {
                hosts[nhosts++] = s->servers[i].hostname;
            }
        }
    }
    size_t i;
    json_t *o;
    json_array_foreach(j, i, o)
    {
        if (!json_is_object(o)) {
            continue;
        }
        struct daemon *d = snapshot_add_daemon(s);
        d->id = sstr(s, o, "id");
        d->name = sstr(s, o, "name");
        const char *oname = org ? org : jstr(o, "organization_name");
        d->organization = snapshot_str(s, oname ? oname : jstr(o, "organization_id"));
        d->tags = jtags(s, o);
        const char *st = jstr(o, "status"); /* null on builds before it existed */
        d->status_raw = snapshot_str(s, st);
        d->status = daemon_status_of(st);
        d->version = sstr(s, o, "version");
        d->api_version = sstr(s, o, "api_version");
        json_t *cj = json_object_get(o, "current_job");
        d->current_job = json_is_object(cj) ? sstr(s, cj, "id") : NULL;
        json_t *pj = json_object_get(o, "previous_job");
        d->previous_job = json_is_object(pj) ? sstr(s, pj, "id") : NULL;
        d->previous_job_status = json_is_object(pj) ? sstr(s, pj, "status") : NULL;
        d->created_at = coder_parse_time(jstr(o, "created_at"));
        d->last_seen_at = coder_parse_time(jstr(o, "last_seen_at"));
        d->builtin = provq_is_builtin(jstr(o, "key_id"), jstr(o, "key_name"), jstr(o, "name"),
                                      hosts, nhosts);
    }
    free(hosts);
    json_decref(j);
    return 0;
}

static bool job_status_terminal(const char *st)
{
    static const char *const done[] = {"succeeded", "canceling", "canceled", "failed"};
    for (size_t i = 0; i < sizeof done / sizeof *done; i++) {
        if (strcmp(st, done[i]) == 0) {
            return true;
        }
    }
    return false;
}

int coder_parse_jobs(struct snapshot *s, const char *org, const char *body, size_t len, double now,
                     size_t max, size_t *nlisted, struct err *e)
{
    *nlisted = 0;
    json_t *j = load(body, len, e);
    if (!j) {
        return -1;
    }
    if (!json_is_array(j)) {
        json_decref(j);
        return err_set(e, "provisioner jobs: expected an array");
    }
    *nlisted = json_array_size(j);
    size_t kept = 0;
    size_t i;
    json_t *o;
    json_array_foreach(j, i, o)
    {
        const char *st = jstr(o, "status");
        /* Pending and running jobs, plus any status this build of scaletop
         * does not know (shown as is rather than dropped). */
        if (!st || job_status_terminal(st) || kept >= max) {
            continue;
        }
        kept++;
        struct job *jb = snapshot_add_job(s);
        jb->id = sstr(s, o, "id");
        const char *oname = org ? org : jstr(o, "organization_name");
        jb->organization = snapshot_str(s, oname ? oname : jstr(o, "organization_id"));
        jb->tags = jtags(s, o);
        jb->status = snapshot_str(s, st);
        jb->type = sstr(s, o, "type");
        jb->created_at = coder_parse_time(jstr(o, "created_at"));
        jb->started_at = coder_parse_time(jstr(o, "started_at")); /* absent while pending */
        jb->age_s = isfinite(jb->created_at) ? fmax(0, now - jb->created_at) : NAN;
        jb->queue_position = jnum(o, "queue_position");
        jb->worker_id = sstr(s, o, "worker_id");
    }
    json_decref(j);
    return 0;
}

/* "EDB02: Database latency…" -> "EDB02" (an upper-case code before a colon). */
static size_t code_prefix(const char *msg)
{
    size_t n = 0;
    if (!msg || msg[0] != 'E') {
        return 0;
    }
    while ((msg[n] >= 'A' && msg[n] <= 'Z') || (msg[n] >= '0' && msg[n] <= '9')) {
        n++;
    }
    return msg[n] == ':' && n >= 3 && n < 16 ? n : 0;
}

static void add_code(struct snapshot *s, const char **codes, size_t *n, const char *code,
                     size_t len)
{
    if (!code || !len || *n >= CODER_MAX_CODES) {
        return;
    }
    for (size_t i = 0; i < *n; i++) {
        if (strlen(codes[i]) == len && strncmp(codes[i], code, len) == 0) {
            return;
        }
    }
    codes[(*n)++] = snapshot_strn(s, code, len);
}

/* The code of a health warning item ({code,message} or an older "CODE: text"
 * string) into buf; "" when it has none. */
static void item_code(json_t *item, char *buf, size_t n)
{
    const char *code = jstr(item, "code");
    size_t l = code ? strlen(code) : 0;
    if (!code && json_is_string(item)) {
        code = json_string_value(item);
        l = code_prefix(code);
    }
    snprintf(buf, n, "%.*s", (int)(l < n ? l : 0), code ? code : "");
}

/* DERP and STUN verdicts from the report's derp section (DESIGN.md §3,
 * reference §"health"): an ESTUN* code means clients cannot learn their
 * public address, so they cannot go direct; an EDERP* code or a section
 * error means the relays themselves are degraded. A dismissed or missing
 * section leaves both unknown. */
static void derp_verdicts(struct snapshot *s, json_t *report)
{
    json_t *sec = json_object_get(report, "derp");
    if (!json_is_object(sec) || !json_object_get(sec, "severity") ||
        jbool(sec, "dismissed") == TRI_TRUE) {
        return;
    }
    bool stun_bad = false, derp_bad = false;
    size_t i;
    json_t *item;
    char code[16];
    json_array_foreach(json_object_get(sec, "warnings"), i, item)
    {
        item_code(item, code, sizeof code);
        stun_bad = stun_bad || strncmp(code, "ESTUN", 5) == 0;
        derp_bad = derp_bad || strncmp(code, "EDERP", 5) == 0;
    }
    const char *err = jstr(sec, "error");
    const char *sev = jstr(sec, "severity");
    derp_bad = derp_bad || (err && *err) || (sev && strcmp(sev, "error") == 0);
    s->deployment.stun_healthy = stun_bad ? TRI_FALSE : TRI_TRUE;
    s->deployment.derp_healthy = derp_bad ? TRI_FALSE : TRI_TRUE;
}

int coder_parse_health(struct snapshot *s, const char *body, size_t len, double *report_time,
                       struct err *e)
{
    *report_time = NAN;
    json_t *j = load(body, len, e);
    if (!j) {
        return -1;
    }
    if (!json_is_object(j) || !json_object_get(j, "severity")) {
        json_decref(j);
        return err_set(e, "health: expected a report object with a severity");
    }
    *report_time = coder_parse_time(jstr(j, "time"));
    s->deployment.health_severity = sstr(s, j, "severity");
    const char **codes = snapshot_alloc(s, CODER_MAX_CODES * sizeof *codes);
    size_t n = 0;
    const char *key;
    json_t *sec;
    json_object_foreach(j, key, sec)
    {
        if (!json_is_object(sec) || !json_object_get(sec, "severity") ||
            jbool(sec, "dismissed") == TRI_TRUE) {
            continue;
        }
        json_t *w = json_object_get(sec, "warnings");
        size_t i;
        json_t *item;
        json_array_foreach(w, i, item)
        {
            const char *code = jstr(item, "code");
            if (code) {
                add_code(s, codes, &n, code, strlen(code));
            } else if (json_is_string(item)) {
                /* Older builds sent warnings as plain "CODE: text" strings. */
                const char *m = json_string_value(item);
                add_code(s, codes, &n, m, code_prefix(m));
            }
        }
        const char *err = jstr(sec, "error");
        add_code(s, codes, &n, err, code_prefix(err));
    }
    s->deployment.health_codes = codes;
    s->deployment.nhealth_codes = n;
    derp_verdicts(s, j);
    json_decref(j);
    return 0;
}

int coder_parse_deployment_stats(struct snapshot *s, const char *body, size_t len, struct err *e)
{
    json_t *j = load(body, len, e);
    if (!j) {
        return -1;
    }
    json_t *w = json_is_object(j) ? json_object_get(j, "workspaces") : NULL;
    if (!json_is_object(w)) {
        json_decref(j);
        return err_set(e, "deployment stats: no \"workspaces\" object");
    }
    double total = 0;
    static const char *const states[] = {"pending", "building", "running", "failed", "stopped"};
    for (size_t i = 0; i < sizeof states / sizeof *states; i++) {
        double v = jnum(w, states[i]);
        total = isfinite(v) && isfinite(total) ? total + v : NAN;
    }
    struct deployment *d = &s->deployment;
    d->workspaces_total = total;
    d->workspaces_running = jnum(w, "running");
    d->workspaces_failed = jnum(w, "failed");
    json_decref(j);
    return 0;
}

int coder_parse_count(const char *body, size_t len, double *count, struct err *e)
{
    *count = NAN;
    json_t *j = load(body, len, e);
    if (!j) {
        return -1;
    }
    double c = jnum(j, "count");
    json_decref(j);
    if (!isfinite(c)) {
        return err_set(e, "no \"count\" in the list response");
    }
    *count = c;
    return 0;
}

int coder_parse_quota(struct snapshot *s, const char *user, const char *org, const char *body,
                      size_t len, struct err *e)
{
    json_t *j = load(body, len, e);
    if (!j) {
        return -1;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        return err_set(e, "workspace quota: expected an object");
    }
    struct coder_quota *q = snapshot_add_coder_quota(s);
    q->user = snapshot_str(s, user);
    q->organization = snapshot_str(s, org);
    q->credits_consumed = jnum(j, "credits_consumed");
    double budget = jnum(j, "budget");
    q->budget = budget < 0 ? NAN : budget; /* -1: quotas not licensed */
    json_decref(j);
    return 0;
}

/* A build time that is set: Go's zero time ("0001-01-01T00:00:00Z") and
 * null both mean "none". */
static bool time_set(json_t *o, const char *k)
{
    return isfinite(coder_parse_time(jstr(o, k)));
}

int coder_parse_running_page(const char *body, size_t len, double off_peak_end,
                             struct cost_tally *t, size_t *nlisted, double *count, struct err *e)
{
    *nlisted = 0;
    *count = NAN;
    json_t *j = load(body, len, e);
    if (!j) {
        return -1;
    }
    json_t *ws = json_is_object(j) ? json_object_get(j, "workspaces") : NULL;
    if (!json_is_array(ws)) {
        json_decref(j);
        return err_set(e, "workspaces: expected {\"workspaces\":[...]}");
    }
    *count = jnum(j, "count");
    size_t i;
    json_t *w;
    json_array_foreach(ws, i, w)
    {
        (*nlisted)++;
        json_t *lb = json_is_object(w) ? json_object_get(w, "latest_build") : NULL;
        const char *st = jstr(lb, "status");
        if (!st || strcmp(st, "running") != 0) {
            continue; /* changed state between the filter and the page */
        }
        double ttl = jnum(w, "ttl_ms");
        bool autostop =
            time_set(lb, "deadline") || time_set(lb, "max_deadline") || (isfinite(ttl) && ttl > 0);
        cost_tally_add(t, coder_parse_time(jstr(lb, "created_at")), off_peak_end, autostop,
                       jnum(lb, "daily_cost"), jstr(w, "organization_id"), jstr(w, "owner_id"));
    }
    json_decref(j);
    return 0;
}

int coder_parse_cost_groups(struct snapshot *s, const char *org, const char *body, size_t len,
                            const struct cost_tally *t, size_t max, struct err *e)
{
    json_t *j = load(body, len, e);
    if (!j) {
        return -1;
    }
    if (!json_is_array(j)) {
        json_decref(j);
        return err_set(e, "groups: expected an array");
    }
    size_t i, added = 0;
    json_t *g;
    json_array_foreach(j, i, g)
    {
        double allowance = jnum(g, "quota_allowance");
        if (!(allowance > 0) || added >= max) {
            continue; /* a group without an allowance adds nothing to any budget */
        }
        added++;
        json_t *members = json_object_get(g, "members");
        double n = jnum(g, "total_member_count");
        if (!isfinite(n) && json_is_array(members)) {
            n = (double)json_array_size(members);
        }
        struct cost_group *cg = snapshot_add_cost_group(s);
        cg->organization = snapshot_str(s, org);
        cg->name = sstr(s, g, "name");
        cg->members = n;
        cg->allowance_credits = allowance;
        cg->budget_credits = allowance * n;
        if (!t) {
            continue;
        }
        const char *gid = jstr(g, "id"), *oid = jstr(g, "organization_id");
        if (gid && oid && strcmp(gid, oid) == 0) {
            /* Everyone: every member of the organization. */
            cg->consumed_credits = cost_tally_org(t, oid);
            continue;
        }
        if (!json_is_array(members) || (isfinite(n) && json_array_size(members) < n)) {
            continue; /* members not listed: consumption unknown */
        }
        double sum = 0;
        size_t k;
        json_t *m;
        json_array_foreach(members, k, m)
        {
            sum += cost_tally_owner(t, oid, jstr(m, "id"));
        }
        cg->consumed_credits = sum;
    }
    json_decref(j);
    return 0;
}
