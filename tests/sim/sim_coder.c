/*
 * scaletop-sim Coder API: the /api/v2 endpoints scaletop reads, with the
 * shapes and quirks of the real coderd (fixtures/coder/api is the ground
 * truth): missing versus null fields, {"regions":[…]}, the error envelope,
 * 401/403/404 by role, 403 for premium features when unlicensed, 400 for
 * unknown query parameters on the provisioner lists, per-endpoint rate
 * limits with X-Ratelimit-* headers, limit/offset pagination and `count`.
 *
 * Invariant: bodies are rendered from the model under sim->mu into the
 * reply's own buffer; nothing here keeps a reference to the model after
 * returning.
 */
#include "sim.h"

#include <ctype.h>
#include <math.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ORG1_ID       "9b1f2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
#define OWNER_ID      "6c1b4a0e-2f4d-4b8e-9a31-7d5e2c9f0a12"
#define MEMBER_ID     "0d8f3e21-5a6b-4c7d-8e9f-1a2b3c4d5e6f"
#define TPL0_ID       "d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a"
#define TPL1_ID       "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e"
#define PREBUILD_USER "c42fdf75-3097-471c-8c33-fb52454d81c0"

enum role { ROLE_NONE, ROLE_BAD, ROLE_MEMBER, ROLE_OWNER };

static const char *const org_ids[SIM_ORGS] = {SIM_DEFAULT_ORG_ID, ORG1_ID};
static const char *const org_names[SIM_ORGS] = {"coder", "platform-eng"};

struct tpl_info {
    const char *id, *name, *display, *icon, *version_name, *version_id;
};
static const struct tpl_info tpls[SIM_ORGS] = {
    {TPL0_ID, "k8s-dev", "Kubernetes Dev", "/icon/k8s.png", "brave_turing4",
     "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8"},
    {TPL1_ID, "docker-gpu", "GPU Workstation", "/icon/nvidia.svg", "upbeat_hopper7",
     "2f3a4b5c-6d7e-4f8a-9b0c-1d2e3f4a5b6c"},
};

static json_t *jtime(double t)
{
    char b[40];
    sim_time_fmt(t, b);
    return json_string(b);
}

static const char *header(struct sim_req *q, const char *k)
{
    return MHD_lookup_connection_value(q->c, MHD_HEADER_KIND, k);
}

static enum role authenticate(struct sim *s, struct sim_req *q, const char **tok_out)
{
    const char *tok = header(q, "Coder-Session-Token");
    if (!tok) {
        tok = MHD_lookup_connection_value(q->c, MHD_COOKIE_KIND, "coder_session_token");
    }
    if (!tok) {
        tok = sim_arg(q, "coder_session_token");
    }
    const char *auth = header(q, "Authorization");
    if (!tok && auth && strncasecmp(auth, "Bearer ", 7) == 0) {
        tok = auth + 7;
    }
    *tok_out = tok;
    if (!tok || !*tok) {
        return ROLE_NONE;
    }
    if (strcmp(tok, s->o.token) == 0) {
        return ROLE_OWNER;
    }
    if (s->o.member_token[0] && strcmp(tok, s->o.member_token) == 0) {
        return ROLE_MEMBER;
    }
    return ROLE_BAD;
}

static void err_401(struct sim_reply *r, bool bad)
{
    sim_reply_error(
        r, 401, "You are signed out or your session has expired. Please sign in again to continue.",
        bad ? "API key is invalid."
            : "Cookie \"coder_session_token\" or query parameter must be provided.");
}

static void err_404(struct sim_reply *r)
{
    sim_reply_error(r, 404, "Resource not found or you do not have access to this resource", NULL);
}

static void err_403_debug(struct sim_reply *r)
{
    sim_reply_error(r, 403, "Forbidden.",
                    "You don't have permission to view this content. If you believe this is a "
                    "mistake, please contact your administrator or try signing in with different "
                    "credentials.");
}

static void err_403_feature(struct sim_reply *r, const char *feature)
{
    char m[128];
    snprintf(m, sizeof m, "%s is a Premium feature. Contact sales!", feature);
    sim_reply_error(r, 403, m, NULL);
}

/* Fixed one-minute windows per (user or address, route pattern), like
 * httprate's per-endpoint keys. Returns false when the request is over. */
static bool rate_limit(struct sim *s, const char *who, const char *route, struct sim_reply *r,
                       bool bypass)
{
    char key[96];
    snprintf(key, sizeof key, "%.40s|%.50s", who, route);
    time_t now = time(NULL), win = now / 60;
    int limit = s->o.rate_limit > 0 ? s->o.rate_limit : 512;
    pthread_mutex_lock(&s->mu);
    struct sim_ratebucket *b = NULL;
    unsigned h = 5381;
    for (const char *p = key; *p; p++) {
        h = h * 33 + (unsigned char)*p;
    }
    for (int i = 0; i < 256; i++) {
        struct sim_ratebucket *x = &s->rb[(h + (unsigned)i) % 256];
        if (strcmp(x->key, key) == 0 || x->key[0] == '\0' || x->window != win) {
            b = x;
            break;
        }
    }
    if (!b) {
        b = &s->rb[h % 256];
    }
    if (strcmp(b->key, key) != 0 || b->window != win) {
        snprintf(b->key, sizeof b->key, "%s", key);
        b->window = win;
        b->count = 0;
    }
    int count = bypass ? b->count : ++b->count;
    pthread_mutex_unlock(&s->mu);
    char v[32];
    snprintf(v, sizeof v, "%d", limit);
    sim_reply_header(r, "X-Ratelimit-Limit", v);
    snprintf(v, sizeof v, "%d", count > limit ? 0 : limit - count);
    sim_reply_header(r, "X-Ratelimit-Remaining", v);
    snprintf(v, sizeof v, "%ld", (long)((win + 1) * 60));
    sim_reply_header(r, "X-Ratelimit-Reset", v);
    return bypass || count <= limit;
}

static int org_lookup(const char *p, size_t n)
{
    for (int i = 0; i < SIM_ORGS; i++) {
        if ((strlen(org_ids[i]) == n && strncmp(p, org_ids[i], n) == 0) ||
            (strlen(org_names[i]) == n && strncmp(p, org_names[i], n) == 0)) {
            return i;
        }
    }
    return -1;
}

static json_t *tags_json(const struct sim_tags *t)
{
    json_t *o = json_object();
    for (int i = 0; i < t->n; i++) {
        json_object_set_new(o, t->k[i], json_string(t->v[i]));
    }
    return o;
}

static json_t *job_brief(struct sim *s, long ji)
{
    if (ji < 0 || ji >= s->n_jobs) {
        return json_null();
    }
    struct sim_job *j = &s->jobs[ji];
    const struct tpl_info *t = &tpls[j->org];
    return json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", j->id, "status", sim_job_status_name(j->status),
                     "template_name", t->name, "template_icon", t->icon, "template_display_name",
                     t->display);
}

static const char *daemon_status(const struct sim_daemon *d)
{
    return !d->online ? "offline" : d->current_job >= 0 ? "busy" : "idle";
}

static json_t *daemon_json(struct sim *s, const struct sim_daemon *d, bool health_item)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(d->id));
    json_object_set_new(o, "organization_id", json_string(org_ids[d->org]));
    json_object_set_new(o, "key_id", json_string(d->key_id));
    json_object_set_new(o, "created_at", jtime(d->created_at));
    json_object_set_new(o, "last_seen_at", jtime(d->last_seen_at));
    json_object_set_new(o, "name", json_string(d->name));
    json_object_set_new(o, "version", json_string(d->version));
    json_object_set_new(o, "api_version", json_string(d->api_version));
    json_object_set_new(o, "provisioners", json_pack("[s]", "terraform"));
    json_object_set_new(o, "tags", tags_json(&s->ts[d->tagset].tags));
    if (health_item) {
        json_object_set_new(o, "key_name", json_null());
        json_object_set_new(o, "status", json_null());
        json_object_set_new(o, "current_job", json_null());
        json_object_set_new(o, "previous_job", json_null());
    } else {
        json_object_set_new(o, "key_name", json_string(d->key_name));
        json_object_set_new(o, "status", json_string(daemon_status(d)));
        json_object_set_new(o, "current_job", job_brief(s, d->current_job));
        json_object_set_new(o, "previous_job", job_brief(s, d->previous_job));
    }
    return o;
}

static bool daemon_matches(struct sim *s, const struct sim_daemon *d, int tagset)
{
    const struct sim_tags *jt = &s->ts[tagset].tags, *dt = &s->ts[d->tagset].tags;
    if (d->org != s->ts[tagset].org) {
        return false;
    }
    for (int i = 0; i < jt->n; i++) {
        bool f = false;
        for (int k = 0; k < dt->n; k++) {
            f |= strcmp(jt->k[i], dt->k[k]) == 0 && strcmp(jt->v[i], dt->v[k]) == 0;
        }
        if (!f) {
            return false;
        }
    }
    return true;
}

static const char *const transitions[] = {"start", "stop", "delete"};

/* global: position among all pending jobs (oldest first); per_daemon: among
 * the pending jobs of its tag set, 0/0 when no eligible daemon is online */
static json_t *job_json(struct sim *s, long ji, bool per_daemon)
{
    struct sim_job *j = &s->jobs[ji];
    const struct tpl_info *t = &tpls[j->org];
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(j->id));
    json_object_set_new(o, "created_at", jtime(j->created_at));
    if (j->status != JOB_PENDING) {
        if (j->started_at > 0) {
            json_object_set_new(o, "started_at", jtime(j->started_at));
        }
        if (j->status >= JOB_SUCCEEDED) {
            json_object_set_new(o, "completed_at", jtime(j->completed_at));
        }
        if (j->status == JOB_CANCELED) {
            json_object_set_new(o, "canceled_at", jtime(j->completed_at - 0.5));
            json_object_set_new(o, "error", json_string("canceled"));
        }
        if (j->status == JOB_FAILED) {
            json_object_set_new(
                o, "error",
                json_string("terraform apply: exit status 1: Error: Waiting for rollout to "
                            "finish: 1 replicas wanted; 0 replicas Ready"));
        }
    }
    json_object_set_new(o, "status", json_string(sim_job_status_name(j->status)));
    if (j->daemon >= 0 && j->status != JOB_PENDING) {
        json_object_set_new(o, "worker_id", json_string(s->daemons[j->daemon].id));
        json_object_set_new(o, "worker_name", json_string(s->daemons[j->daemon].name));
    }
    json_object_set_new(o, "file_id", json_string(j->file_id));
    json_object_set_new(o, "tags", tags_json(&s->ts[j->tagset].tags));
    long pos = 0, size = 0;
    if (j->status == JOB_PENDING) {
        int on = 0;
        if (per_daemon) {
            for (int i = 0; i < s->n_daemons; i++) {
                on += s->daemons[i].online && daemon_matches(s, &s->daemons[i], j->tagset);
            }
        }
        for (long i = 0; i < s->n_jobs; i++) {
            struct sim_job *x = &s->jobs[i];
            if (x->status != JOB_PENDING || (per_daemon && x->tagset != j->tagset)) {
                continue;
            }
            size++;
            if (x->created_at < j->created_at || (x->created_at == j->created_at && i <= ji)) {
                pos++;
            }
        }
        if (per_daemon && on == 0) {
            pos = size = 0;
        }
    }
    json_object_set_new(o, "queue_position", json_integer(pos));
    json_object_set_new(o, "queue_size", json_integer(size));
    json_object_set_new(o, "organization_id", json_string(org_ids[j->org]));
    json_object_set_new(o, "initiator_id", json_string(ji % 7 == 3 ? PREBUILD_USER : j->initiator));
    json_t *in = json_object();
    json_object_set_new(in, j->import ? "template_version_id" : "workspace_build_id",
                        json_string(j->input_id));
    json_object_set_new(o, "input", in);
    json_object_set_new(o, "type",
                        json_string(j->import ? "template_version_import" : "workspace_build"));
    if (j->status == JOB_PENDING) {
        json_t *aw = json_array();
        for (int i = 0; i < s->n_daemons; i++) {
            if (daemon_matches(s, &s->daemons[i], j->tagset)) {
                json_array_append_new(aw, json_string(s->daemons[i].id));
            }
        }
        if (json_array_size(aw) > 0) {
            json_object_set_new(o, "available_workers", aw);
        } else {
            json_decref(aw);
        }
    }
    json_t *md = json_object();
    json_object_set_new(md, "template_version_name", json_string(t->version_name));
    json_object_set_new(md, "template_id", json_string(t->id));
    json_object_set_new(md, "template_name", json_string(t->name));
    json_object_set_new(md, "template_display_name", json_string(t->display));
    json_object_set_new(md, "template_icon", json_string(t->icon));
    if (!j->import) {
        char wn[32];
        snprintf(wn, sizeof wn, "ws-%05d", j->workspace);
        json_object_set_new(md, "workspace_id", json_string(j->workspace_id));
        json_object_set_new(md, "workspace_name", json_string(wn));
        json_object_set_new(md, "workspace_build_transition",
                            json_string(transitions[j->transition]));
    }
    json_object_set_new(o, "metadata", md);
    json_object_set_new(o, "logs_overflowed", json_false());
    return o;
}

struct qparam_ctx {
    const char *const *allowed;
    json_t *validations;
};

static enum MHD_Result qparam_check(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    struct qparam_ctx *c = cls;
    (void)kind;
    (void)value;
    for (int i = 0; c->allowed[i]; i++) {
        if (strcmp(key, c->allowed[i]) == 0) {
            return MHD_YES;
        }
    }
    char d[160];
    snprintf(d, sizeof d, "Query param \"%s\" is not a valid query param", key);
    json_array_append_new(c->validations, json_pack("{s:s,s:s}", "field", key, "detail", d));
    return MHD_YES;
}

/* 400 "Invalid query parameters." for any parameter outside allowed. */
static bool strict_params(struct sim_req *q, struct sim_reply *r, const char *const *allowed)
{
    struct qparam_ctx c = {allowed, json_array()};
    MHD_get_connection_values(q->c, MHD_GET_ARGUMENT_KIND, qparam_check, &c);
    const char *lim = sim_arg(q, "limit");
    if (lim && *lim) {
        char *end;
        strtol(lim, &end, 10);
        if (*end) {
            char d[160];
            snprintf(d, sizeof d, "Query param \"limit\" must be a valid integer: %.40s", lim);
            json_array_append_new(c.validations,
                                  json_pack("{s:s,s:s}", "field", "limit", "detail", d));
        }
    }
    if (json_array_size(c.validations) == 0) {
        json_decref(c.validations);
        return true;
    }
    json_t *j = json_object();
    json_object_set_new(j, "message", json_string("Invalid query parameters."));
    json_object_set_new(j, "validations", c.validations);
    sim_reply_json(r, 400, j);
    return false;
}

struct multi_ctx {
    const char *key;
    char vals[16][24];
    int n;
};

static enum MHD_Result collect_multi(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    struct multi_ctx *m = cls;
    (void)kind;
    if (!value || strcmp(key, m->key) != 0) {
        return MHD_YES;
    }
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", value);
    for (char *sv = NULL, *t = strtok_r(tmp, ",", &sv); t && m->n < 16;
         t = strtok_r(NULL, ",", &sv)) {
        snprintf(m->vals[m->n++], sizeof m->vals[0], "%s", t);
    }
    return MHD_YES;
}

static bool in_multi(const struct multi_ctx *m, const char *v)
{
    for (int i = 0; i < m->n; i++) {
        if (strcmp(m->vals[i], v) == 0) {
            return true;
        }
    }
    return false;
}

static long arg_long(struct sim_req *q, const char *k, long def)
{
    const char *v = sim_arg(q, k);
    if (!v || !*v) {
        return def;
    }
    return strtol(v, NULL, 10);
}

/* tags={"k":"v"}: the daemon's (or job's) tags must include every pair */
static bool tags_filter(const struct sim_tags *have, json_t *want)
{
    if (!want) {
        return true;
    }
    const char *k;
    json_t *v;
    json_object_foreach(want, k, v)
    {
        bool f = false;
        for (int i = 0; i < have->n; i++) {
            f |= strcmp(have->k[i], k) == 0 && json_is_string(v) &&
                 strcmp(have->v[i], json_string_value(v)) == 0;
        }
        if (!f) {
            return false;
        }
    }
    return true;
}

static void h_daemons(struct sim *s, struct sim_req *q, struct sim_reply *r, int org)
{
    static const char *const allowed[] = {"limit",   "ids",     "tags", "status",
                                          "offline", "max_age", NULL};
    if (!strict_params(q, r, allowed)) {
        return;
    }
    long limit = arg_long(q, "limit", 50);
    if (limit <= 0) {
        limit = 50;
    }
    struct multi_ctx st = {.key = "status"}, ids = {.key = "ids"};
    MHD_get_connection_values(q->c, MHD_GET_ARGUMENT_KIND, collect_multi, &st);
    MHD_get_connection_values(q->c, MHD_GET_ARGUMENT_KIND, collect_multi, &ids);
    const char *off = sim_arg(q, "offline");
    bool offline = off && strcmp(off, "true") == 0;
    json_t *want = NULL;
    const char *tg = sim_arg(q, "tags");
    if (tg && *tg) {
        want = json_loads(tg, 0, NULL);
        if (!json_is_object(want)) {
            json_decref(want);
            sim_reply_json(r, 400,
                           json_pack("{s:s,s:[{s:s,s:s}]}", "message", "Invalid query parameters.",
                                     "validations", "field", "tags", "detail",
                                     "Query param \"tags\" must be a valid JSON object"));
            return;
        }
    }
    json_t *arr = json_array();
    pthread_mutex_lock(&s->mu);
    for (int i = s->n_daemons - 1; i >= 0 && (long)json_array_size(arr) < limit; i--) {
        struct sim_daemon *d = &s->daemons[i];
        if (d->org != org) {
            continue;
        }
        const char *stn = daemon_status(d);
        if (st.n > 0 ? !in_multi(&st, stn) : (!d->online && !offline)) {
            continue;
        }
        if (ids.n > 0 && !in_multi(&ids, d->id)) {
            continue;
        }
        if (!tags_filter(&s->ts[d->tagset].tags, want)) {
            continue;
        }
        json_array_append_new(arr, daemon_json(s, d, false));
    }
    pthread_mutex_unlock(&s->mu);
    json_decref(want);
    sim_reply_json(r, 200, arr);
}

static int job_status_code(const char *n)
{
    for (int i = 0; i <= JOB_CANCELED; i++) {
        if (strcmp(sim_job_status_name(i), n) == 0) {
            return i;
        }
    }
    return -1;
}

static void h_jobs(struct sim *s, struct sim_req *q, struct sim_reply *r, int org)
{
    static const char *const allowed[] = {"limit", "ids", "status", "tags", "initiator", NULL};
    if (!strict_params(q, r, allowed)) {
        return;
    }
    long limit = arg_long(q, "limit", 50);
    if (limit <= 0) {
        limit = 50;
    }
    struct multi_ctx st = {.key = "status"}, ids = {.key = "ids"};
    MHD_get_connection_values(q->c, MHD_GET_ARGUMENT_KIND, collect_multi, &st);
    MHD_get_connection_values(q->c, MHD_GET_ARGUMENT_KIND, collect_multi, &ids);
    for (int i = 0; i < st.n; i++) {
        if (job_status_code(st.vals[i]) < 0 && strcmp(st.vals[i], "canceling") != 0 &&
            strcmp(st.vals[i], "unknown") != 0) {
            char d[128];
            snprintf(d, sizeof d, "Query param \"status\" has invalid value \"%s\"", st.vals[i]);
            sim_reply_json(r, 400,
                           json_pack("{s:s,s:[{s:s,s:s}]}", "message", "Invalid query parameters.",
                                     "validations", "field", "status", "detail", d));
            return;
        }
    }
    json_t *want = NULL;
    const char *tg = sim_arg(q, "tags");
    if (tg && *tg) {
        want = json_loads(tg, 0, NULL);
    }
    json_t *arr = json_array();
    pthread_mutex_lock(&s->mu);
    for (long i = s->n_jobs - 1; i >= 0 && (long)json_array_size(arr) < limit; i--) {
        struct sim_job *j = &s->jobs[i];
        if (j->org != org) {
            continue;
        }
        if (st.n > 0 && !in_multi(&st, sim_job_status_name(j->status))) {
            continue;
        }
        if (ids.n > 0 && !in_multi(&ids, j->id)) {
            continue;
        }
        if (!tags_filter(&s->ts[j->tagset].tags, want)) {
            continue;
        }
        json_array_append_new(arr, job_json(s, i, false));
    }
    pthread_mutex_unlock(&s->mu);
    json_decref(want);
    sim_reply_json(r, 200, arr);
}

static void h_job(struct sim *s, struct sim_reply *r, int org, const char *id)
{
    json_t *j = NULL;
    pthread_mutex_lock(&s->mu);
    for (long i = 0; i < s->n_jobs; i++) {
        if (s->jobs[i].org == org && strcmp(s->jobs[i].id, id) == 0) {
            j = job_json(s, i, true);
            break;
        }
    }
    pthread_mutex_unlock(&s->mu);
    if (!j) {
        err_404(r);
        return;
    }
    sim_reply_json(r, 200, j);
}

static json_t *org_json(int i)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(org_ids[i]));
    json_object_set_new(o, "name", json_string(org_names[i]));
    json_object_set_new(o, "display_name", json_string(i == 0 ? "Coder" : "Platform Engineering"));
    json_object_set_new(
        o, "description",
        json_string(i == 0 ? "Builtin default organization." : "GPU and data-platform templates"));
    json_object_set_new(o, "icon", json_string(i == 0 ? "" : "/emojis/1f3d7-fe0f.png"));
    json_object_set_new(o, "created_at", json_string("2024-02-06T18:22:04.118522Z"));
    json_object_set_new(o, "updated_at", json_string("2025-09-30T11:02:47.903114Z"));
    json_object_set_new(o, "is_default", json_boolean(i == 0));
    json_object_set_new(o, "default_org_member_roles", json_array());
    return o;
}

static json_t *region_json(struct sim *s, int i, bool full, const char *api_url)
{
    json_t *o = json_object();
    bool primary = i < 0;
    const struct sim_proxy *x = primary ? NULL : &s->prox[i];
    char url[80];
    if (!primary) {
        snprintf(url, sizeof url, "http://127.0.0.1:%d", x->port);
    }
    bool healthy = primary || strcmp(x->status, "ok") == 0;
    json_object_set_new(o, "id", json_string(primary ? SIM_DEPLOYMENT_ID : x->id));
    json_object_set_new(o, "name", json_string(primary ? "primary" : x->name));
    json_object_set_new(o, "display_name",
                        primary                        ? json_string("Default")
                        : i == 0 && s->hostile_len > 0 ? json_stringn(s->hostile, s->hostile_len)
                                                       : json_string(x->display));
    json_object_set_new(o, "icon_url", json_string(primary ? "/emojis/1f3e1.png" : x->icon));
    json_object_set_new(o, "healthy", json_boolean(healthy));
    json_object_set_new(o, "path_app_url", json_string(primary ? api_url : url));
    json_object_set_new(o, "wildcard_hostname", json_string(""));
    if (!full) {
        return o;
    }
    json_object_set_new(o, "derp_enabled", json_true());
    json_object_set_new(o, "derp_only", json_false());
    json_t *st = json_object();
    json_object_set_new(st, "status", json_string(primary ? "ok" : x->status));
    json_t *rep = json_object();
    if (primary) {
        json_object_set_new(rep, "errors", json_null());
        json_object_set_new(rep, "warnings", json_null());
    } else {
        json_t *errs = json_array();
        if (strcmp(x->status, "unreachable") == 0) {
            char m[200];
            snprintf(m, sizeof m,
                     "request to proxy failed: Get \"%s/healthz-report\": context deadline "
                     "exceeded (Client.Timeout exceeded while awaiting headers)",
                     url);
            json_array_append_new(errs, json_string(m));
        }
        json_object_set_new(rep, "errors", errs);
        json_object_set_new(rep, "warnings", json_array());
    }
    json_object_set_new(st, "report", rep);
    json_object_set_new(st, "checked_at", jtime(floor(s->sim_now / 60) * 60 + 0.118042));
    json_object_set_new(o, "status", st);
    json_object_set_new(o, "created_at",
                        primary ? json_string("0001-01-01T00:00:00Z") : jtime(x->created_at));
    json_object_set_new(o, "updated_at",
                        primary ? json_string("0001-01-01T00:00:00Z") : jtime(x->created_at + 60));
    json_object_set_new(o, "deleted", json_false());
    json_object_set_new(o, "version", json_string(primary ? SIM_VERSION : x->version));
    return o;
}

static json_t *regions_json(struct sim *s, bool full, bool only_primary, const char *api_url)
{
    json_t *arr = json_array();
    json_array_append_new(arr, region_json(s, -1, full, api_url));
    for (int i = 0; !only_primary && i < s->n_proxies; i++) {
        json_array_append_new(arr, region_json(s, i, full, api_url));
    }
    json_t *o = json_object();
    json_object_set_new(o, "regions", arr);
    return o;
}

static void api_url(struct sim *s, char out[64])
{
    snprintf(out, 64, "http://127.0.0.1:%d", s->lis[0].port);
}

static json_t *warn(const char *code, const char *msg)
{
    return json_pack("{s:s,s:s}", "code", code, "message", msg);
}

static const char *sev_max(const char *a, const char *b)
{
    int ra = strcmp(a, "error") == 0 ? 2 : strcmp(a, "warning") == 0 ? 1 : 0;
    int rb = strcmp(b, "error") == 0 ? 2 : strcmp(b, "warning") == 0 ? 1 : 0;
    return ra >= rb ? a : b;
}

static void h_health(struct sim *s, struct sim_reply *r)
{
    json_t *h = json_loads(sim_tpl_health, JSON_PRESERVE_ORDER, NULL);
    if (!h) {
        sim_reply_error(r, 500, "Internal error.", "health template");
        return;
    }
    char au[64];
    api_url(s, au);
    pthread_mutex_lock(&s->mu);
    double now = s->sim_now;
    /* the report is cached for 10 minutes: time is when it was computed */
    json_object_set_new(h, "time", jtime(floor(now / 600) * 600 + 47.203881));
    double dbl = 0;
    int n_present = 0;
    for (int i = 0; i < s->n_replicas; i++) {
        if (s->rep[i].present) {
            dbl += s->rep[i].db_latency_ms;
            n_present++;
        }
    }
    dbl = n_present ? dbl / n_present : 0;
    json_t *db = json_object_get(h, "database");
    char lat[32];
    snprintf(lat, sizeof lat, "%.6fms", dbl);
    json_object_set_new(db, "latency", json_string(lat));
    json_object_set_new(db, "latency_ms", json_integer((long)dbl));
    json_t *dbw = json_array();
    const char *dbsev = "ok";
    if (dbl >= 15) {
        json_array_append_new(dbw, warn("EDB02", "median database ping above threshold"));
        dbsev = "warning";
    }
    json_object_set_new(db, "warnings", dbw);
    json_object_set_new(db, "severity", json_string(dbsev));

    json_t *wp = json_object_get(h, "workspace_proxy");
    json_t *regs = regions_json(s, true, false, au);
    if (s->o.unlicensed) {
        /* without the feature the section is ok and lists no proxy at all */
        json_array_clear(json_object_get(regs, "regions"));
    }
    json_object_set_new(wp, "workspace_proxies", regs);
    json_t *wpw = json_array();
    const char *wpsev = "ok";
    for (int i = 0; i < s->n_proxies && !s->o.unlicensed; i++) {
        if (strcmp(s->prox[i].status, "ok") != 0) {
            char m[200];
            snprintf(m, sizeof m, "%s: proxy is %s", s->prox[i].name, s->prox[i].status);
            json_array_append_new(wpw, warn("EWP04", m));
            wpsev = "warning";
        }
    }
    json_object_set_new(wp, "warnings", wpw);
    json_object_set_new(wp, "severity", json_string(wpsev));

    json_t *pd = json_object_get(h, "provisioner_daemons");
    json_t *items = json_array();
    bool mismatch = false;
    int online = 0;
    for (int i = 0; i < s->n_daemons; i++) {
        struct sim_daemon *d = &s->daemons[i];
        if (!d->online) {
            continue;
        }
        online++;
        json_t *iw = json_array();
        if (strcmp(d->version, SIM_VERSION) != 0) {
            char m[160];
            snprintf(m, sizeof m, "Mismatched version %s", d->version);
            json_array_append_new(iw, warn("EPD02", m));
            mismatch = true;
        }
        json_array_append_new(items, json_pack("{s:o,s:o}", "provisioner_daemon",
                                               daemon_json(s, d, true), "warnings", iw));
    }
    pthread_mutex_unlock(&s->mu);
    json_object_set_new(pd, "items", items);
    json_t *pdw = json_array();
    const char *pdsev = "ok";
    if (online == 0) {
        json_array_append_new(pdw, warn("EPD01", "No active provisioner daemons found!"));
        pdsev = "error";
    } else if (mismatch) {
        json_array_append_new(
            pdw, warn("EPD02", "Some provisioner daemons report mismatched versions."));
        pdsev = "warning";
    }
    json_object_set_new(pd, "warnings", pdw);
    json_object_set_new(pd, "severity", json_string(pdsev));
    pthread_mutex_lock(&s->mu);
    sim_derp_health(s, json_object_get(h, "derp"));
    pthread_mutex_unlock(&s->mu);

    const char *sev = "ok";
    const char *secs[] = {"derp",     "access_url",      "websocket",
                          "database", "workspace_proxy", "provisioner_daemons"};
    for (size_t i = 0; i < sizeof secs / sizeof secs[0]; i++) {
        json_t *sec = json_object_get(h, secs[i]);
        if (json_is_true(json_object_get(sec, "dismissed"))) {
            continue;
        }
        const char *ss = json_string_value(json_object_get(sec, "severity"));
        if (ss) {
            sev = sev_max(sev, ss);
        }
    }
    json_object_set_new(h, "severity", json_string(sev));
    json_object_set_new(h, "healthy", json_boolean(strcmp(sev, "error") != 0));
    json_object_set_new(h, "coder_version", json_string(SIM_VERSION));
    json_t *acc = json_object_get(h, "access_url");
    json_object_set_new(acc, "access_url", json_string(au));
    sim_reply_json(r, 200, h);
}

static json_t *user_json(long i, const char *status, bool owner)
{
    json_t *o = json_object();
    char name[32], email[64];
    if (owner) {
        snprintf(name, sizeof name, "alice");
    } else {
        snprintf(name, sizeof name, "user%05ld", i);
    }
    snprintf(email, sizeof email, "%s@example.com", name);
    char id[40];
    uint64_t seed = (uint64_t)i + 77;
    sim_uuid(&seed, id);
    json_object_set_new(o, "id", json_string(owner ? OWNER_ID : id));
    json_object_set_new(o, "username", json_string(name));
    json_object_set_new(o, "name", json_string(owner ? "Alice Okafor" : name));
    json_object_set_new(o, "email", json_string(email));
    json_object_set_new(o, "created_at", json_string("2024-02-06T18:22:04.228771Z"));
    json_object_set_new(o, "updated_at", json_string("2026-07-14T09:28:16.990012Z"));
    json_object_set_new(o, "last_seen_at", json_string("2026-07-14T09:28:16.990012Z"));
    json_object_set_new(o, "status", json_string(status));
    json_object_set_new(o, "login_type", json_string("oidc"));
    json_object_set_new(o, "avatar_url", json_string(""));
    json_object_set_new(o, "theme_preference", json_string(""));
    json_object_set_new(o, "is_service_account", json_false());
    json_object_set_new(o, "has_ai_seat", json_false());
    json_object_set_new(o, "organization_ids", json_pack("[s]", SIM_DEFAULT_ORG_ID));
    json_t *roles = json_array();
    if (owner) {
        json_array_append_new(roles, json_pack("{s:s,s:s,s:s}", "name", "owner", "display_name",
                                               "Owner", "organization_id", ""));
    }
    json_object_set_new(o, "roles", roles);
    return o;
}

/* Reads key:value pairs of a Coder search query. */
static const char *q_get(const char *q, const char *key, char out[64])
{
    if (!q) {
        return NULL;
    }
    size_t kl = strlen(key);
    for (const char *p = q; *p;) {
        while (*p == ' ' || *p == '+') {
            p++;
        }
        if (strncmp(p, key, kl) == 0 && p[kl] == ':') {
            p += kl + 1;
            size_t n = 0;
            while (p[n] && p[n] != ' ' && n < 63) {
                n++;
            }
            memcpy(out, p, n);
            out[n] = '\0';
            return out;
        }
        while (*p && *p != ' ') {
            p++;
        }
    }
    return NULL;
}

static void h_users(struct sim *s, struct sim_req *q, struct sim_reply *r, enum role role)
{
    char v[64];
    const char *st = q_get(sim_arg(q, "q"), "status", v);
    long count;
    pthread_mutex_lock(&s->mu);
    long a = s->users_active, d = s->users_dormant, su = s->users_suspended;
    pthread_mutex_unlock(&s->mu);
    const char *status = st ? st : "active";
    if (!st) {
        count = a + d + su;
    } else if (strcmp(st, "active") == 0) {
        count = a;
    } else if (strcmp(st, "dormant") == 0) {
        count = d;
    } else if (strcmp(st, "suspended") == 0) {
        count = su;
    } else {
        sim_reply_json(r, 400,
                       json_pack("{s:s,s:[{s:s,s:s}]}", "message", "Invalid user search query.",
                                 "validations", "field", "status", "detail",
                                 "Query param \"status\" has invalid value"));
        return;
    }
    if (role == ROLE_MEMBER) {
        count = 1;
    }
    long limit = arg_long(q, "limit", 0), offset = arg_long(q, "offset", 0);
    if (limit <= 0) {
        limit = 100;
    }
    json_t *users = json_array();
    for (long i = offset; i < count && i < offset + limit; i++) {
        json_array_append_new(
            users,
            user_json(i, status, i == 0 && role == ROLE_OWNER && strcmp(status, "active") == 0));
    }
    json_t *o = json_object();
    json_object_set_new(o, "users", users);
    json_object_set_new(o, "count", json_integer(count));
    sim_reply_json(r, 200, o);
}

static json_t *workspace_json(struct sim *s, long i, const char *status, json_t *tpl, double now,
                              long users)
{
    json_t *w = json_deep_copy(tpl);
    char id[40], name[32], owner[32], bid[40];
    uint64_t seed = (uint64_t)i * 7919 + s->o.seed;
    sim_uuid(&seed, id);
    sim_uuid(&seed, bid);
    snprintf(name, sizeof name, "ws-%05ld", i);
    snprintf(owner, sizeof owner, "user%05ld", i % (users ? users : 1));
    json_object_set_new(w, "id", json_string(id));
    json_object_set_new(w, "name", json_string(name));
    json_object_set_new(w, "owner_name", json_string(owner));
    json_t *lb = json_object_get(w, "latest_build");
    json_object_set_new(lb, "id", json_string(bid));
    json_object_set_new(lb, "workspace_id", json_string(id));
    json_object_set_new(lb, "workspace_name", json_string(name));
    json_object_set_new(lb, "workspace_owner_name", json_string(owner));
    json_object_set_new(lb, "status", json_string(status));
    bool run = strcmp(status, "running") == 0 || strcmp(status, "starting") == 0;
    json_object_set_new(lb, "transition", json_string(run ? "start" : "stop"));
    json_t *job = json_object_get(lb, "job");
    json_object_set_new(job, "status",
                        json_string(strcmp(status, "failed") == 0     ? "failed"
                                    : strcmp(status, "pending") == 0  ? "running"
                                    : strcmp(status, "starting") == 0 ? "running"
                                                                      : "running"));
    json_object_set_new(json_object_get(job, "input"), "workspace_build_id", json_string(bid));
    json_t *md = json_object_get(job, "metadata");
    json_object_set_new(md, "workspace_id", json_string(id));
    json_object_set_new(md, "workspace_name", json_string(name));
    sim_cost_workspace(s, now, users, i, run, w);
    return w;
}

static void h_workspaces(struct sim *s, struct sim_req *q, struct sim_reply *r, enum role role)
{
    char v[64], ov[64];
    const char *qs = sim_arg(q, "q");
    const char *st = q_get(qs, "status", v);
    const char *owner = q_get(qs, "owner", ov);
    pthread_mutex_lock(&s->mu);
    long total = s->workspaces_total, count = total;
    double now = s->sim_now;
    long users = s->users_active;
    struct {
        const char *n;
        long c;
    } by[] = {{"running", s->ws_running},
              {"stopped", s->ws_stopped},
              {"failed", s->ws_failed},
              {"pending", s->ws_pending},
              {"starting", s->ws_starting},
              {"stopping", 0},
              {"canceling", 0},
              {"canceled", 0},
              {"deleting", 0},
              {"deleted", 0}};
    pthread_mutex_unlock(&s->mu);
    if (st) {
        count = -1;
        for (size_t i = 0; i < sizeof by / sizeof by[0]; i++) {
            if (strcmp(by[i].n, st) == 0) {
                count = by[i].c;
            }
        }
        if (count < 0) {
            char d[128];
            snprintf(d, sizeof d, "Query param \"status\" has invalid value: \"%s\"", st);
            sim_reply_json(r, 400,
                           json_pack("{s:s,s:[{s:s,s:s}]}", "message",
                                     "Invalid workspace search query.", "validations", "field",
                                     "status", "detail", d));
            return;
        }
    }
    if (role == ROLE_MEMBER || (owner && strcmp(owner, "me") == 0)) {
        count = count > 2 ? 2 : count;
    }
    long limit = arg_long(q, "limit", 0), offset = arg_long(q, "offset", 0);
    if (limit <= 0 || limit > count) {
        limit = count;
    }
    json_t *tpl = json_loads(sim_tpl_workspace, JSON_PRESERVE_ORDER, NULL);
    json_t *arr = json_array();
    for (long i = offset; tpl && i < count && i < offset + limit; i++) {
        const char *wst = st;
        if (!wst) {
            /* unfiltered: the same order as the metrics, running ones first */
            wst = i < by[0].c ? "running" : i < by[0].c + by[2].c ? "failed" : "stopped";
        }
        json_array_append_new(arr, workspace_json(s, i, wst, tpl, now, users));
    }
    json_decref(tpl);
    json_t *o = json_object();
    json_object_set_new(o, "workspaces", arr);
    json_object_set_new(o, "count", json_integer(count));
    sim_reply_json(r, 200, o);
}

static void h_templates(struct sim *s, struct sim_reply *r, int only_org)
{
    json_t *arr = json_array();
    for (int i = 0; i < SIM_ORGS; i++) {
        if (only_org >= 0 && i != only_org) {
            continue;
        }
        json_t *t = json_loads(sim_tpl_template, JSON_PRESERVE_ORDER, NULL);
        if (!t) {
            continue;
        }
        json_object_set_new(t, "id", json_string(tpls[i].id));
        json_object_set_new(t, "organization_id", json_string(org_ids[i]));
        json_object_set_new(t, "organization_name", json_string(org_names[i]));
        json_object_set_new(t, "organization_display_name",
                            json_string(i == 0 ? "Coder" : "Platform Engineering"));
        json_object_set_new(t, "name", json_string(tpls[i].name));
        json_object_set_new(t, "display_name", json_string(tpls[i].display));
        json_object_set_new(t, "icon", json_string(tpls[i].icon));
        json_object_set_new(t, "active_version_id", json_string(tpls[i].version_id));
        json_object_set_new(t, "active_user_count",
                            json_integer(i == 0 ? s->users_active * 2 / 3 : 17));
        json_array_append_new(arr, t);
    }
    sim_reply_json(r, 200, arr);
}

static void h_groups(struct sim *s, struct sim_reply *r, int org, enum role role)
{
    json_t *arr = json_array();
    json_t *e = json_object();
    json_object_set_new(e, "id", json_string(org_ids[org]));
    json_object_set_new(e, "name", json_string("Everyone"));
    json_object_set_new(e, "display_name", json_string(""));
    json_object_set_new(e, "organization_id", json_string(org_ids[org]));
    json_object_set_new(e, "members", json_array());
    json_object_set_new(e, "total_member_count",
                        json_integer(org == 0 ? s->users_active : s->users_active / 10));
    json_object_set_new(e, "avatar_url", json_string(""));
    json_object_set_new(e, "quota_allowance", json_integer(10));
    json_object_set_new(e, "source", json_string("user"));
    json_object_set_new(e, "organization_name", json_string(org_names[org]));
    json_object_set_new(e, "organization_display_name",
                        json_string(org == 0 ? "Coder" : "Platform Engineering"));
    json_array_append_new(arr, e);
    if (role == ROLE_OWNER) {
        json_t *g = json_deep_copy(e);
        json_object_set_new(g, "id",
                            json_string(org == 0 ? "fbd2116a-8961-4954-87ae-e4575bd29ce0"
                                                 : "0b2c4d6e-8f01-4234-9567-89abcdef0123"));
        json_object_set_new(g, "name", json_string("gpu-users"));
        json_object_set_new(g, "display_name", json_string("GPU Users"));
        /* The default org's gpu-users are users 1..SIM_GPU_MEMBERS (their
         * workspaces cost --gpu-cost credits a day, sim_cost.c). */
        json_t *members = json_array();
        int nm = org == 0 ? SIM_GPU_MEMBERS : 1;
        for (int k = 1; k <= nm; k++) {
            json_t *m = user_json(k, "active", false);
            json_object_del(m, "has_ai_seat");
            json_object_del(m, "organization_ids");
            json_object_del(m, "roles");
            json_array_append_new(members, m);
        }
        json_object_set_new(g, "members", members);
        json_object_set_new(g, "total_member_count", json_integer(nm));
        json_object_set_new(g, "quota_allowance", json_integer(40));
        json_object_set_new(g, "source", json_string("oidc"));
        json_array_append_new(arr, g);
    }
    sim_reply_json(r, 200, arr);
}

static void h_entitlements(struct sim *s, struct sim_reply *r)
{
    static const char *const feats[] = {"user_limit",
                                        "audit_log",
                                        "browser_only",
                                        "scim",
                                        "template_rbac",
                                        "user_role_management",
                                        "high_availability",
                                        "multiple_external_auth",
                                        "external_provisioner_daemons",
                                        "appearance",
                                        "advanced_template_scheduling",
                                        "workspace_proxy",
                                        "external_token_encryption",
                                        "workspace_batch_actions",
                                        "access_control",
                                        "control_shared_ports",
                                        "custom_roles",
                                        "multiple_organizations",
                                        "workspace_prebuilds",
                                        NULL};
    bool lic = !s->o.unlicensed;
    json_t *f = json_object();
    for (int i = 0; feats[i]; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "entitlement", json_string(lic ? "entitled" : "not_entitled"));
        bool en = lic && strcmp(feats[i], "browser_only") != 0 &&
                  strcmp(feats[i], "external_token_encryption") != 0;
        json_object_set_new(o, "enabled", json_boolean(en));
        if (i == 0 && lic) {
            json_object_set_new(o, "limit", json_integer(s->license_limit));
            json_object_set_new(o, "actual", json_integer(s->users_active));
        }
        json_object_set_new(f, feats[i], o);
    }
    json_t *e = json_object();
    json_object_set_new(e, "features", f);
    json_t *warnings = json_array();
    if (lic && s->users_active * 10 >= s->license_limit * 9) {
        char m[160];
        snprintf(m, sizeof m,
                 "Your deployment has %ld active users (%ld%% of your %ld-seat license).",
                 s->users_active, s->users_active * 100 / s->license_limit, s->license_limit);
        json_array_append_new(warnings, json_string(m));
    }
    json_object_set_new(e, "warnings", warnings);
    json_object_set_new(e, "errors", json_array());
    json_object_set_new(e, "has_license", json_boolean(lic));
    json_object_set_new(e, "trial", json_false());
    json_object_set_new(e, "require_telemetry", json_false());
    json_object_set_new(e, "refreshed_at", jtime(floor(s->sim_now / 600) * 600 + 41.118203));
    sim_reply_json(r, 200, e);
}

static void h_stats(struct sim *s, struct sim_reply *r)
{
    pthread_mutex_lock(&s->mu);
    double now = s->sim_now;
    double col = floor(now / 300) * 300 + 12.203114;
    json_t *ws = json_object();
    json_object_set_new(ws, "pending", json_integer(s->ws_pending));
    json_object_set_new(ws, "building", json_integer(s->ws_starting));
    json_object_set_new(ws, "running", json_integer(s->ws_running));
    json_object_set_new(ws, "failed", json_integer(s->ws_failed));
    json_object_set_new(ws, "stopped", json_integer(s->ws_stopped));
    json_object_set_new(ws, "connection_latency_ms",
                        json_pack("{s:f,s:f}", "P50", 31.46, "P95", 118.02));
    json_object_set_new(ws, "rx_bytes", json_integer((json_int_t)(s->ws_running * 26022522)));
    json_object_set_new(ws, "tx_bytes", json_integer((json_int_t)(s->ws_running * 60189188)));
    long run = s->ws_running;
    pthread_mutex_unlock(&s->mu);
    json_t *o = json_object();
    json_object_set_new(o, "aggregated_from", jtime(col - 1500));
    json_object_set_new(o, "collected_at", jtime(col));
    json_object_set_new(o, "next_update_at", jtime(col + 300));
    json_object_set_new(o, "workspaces", ws);
    json_object_set_new(o, "session_count",
                        json_pack("{s:I,s:I,s:I,s:I}", "vscode", (json_int_t)(run * 2 / 9), "ssh",
                                  (json_int_t)(run / 18), "jetbrains", (json_int_t)(run / 120),
                                  "reconnecting_pty", (json_int_t)(run / 40)));
    sim_reply_json(r, 200, o);
}

static void h_buildinfo(struct sim *s, struct sim_reply *r)
{
    char au[64];
    api_url(s, au);
    json_t *o = json_object();
    json_object_set_new(o, "external_url",
                        json_string("https://github.com/coder/coder/commit/3f0c1a7"));
    json_object_set_new(o, "version", json_string(SIM_VERSION));
    json_object_set_new(o, "dashboard_url", json_string(au));
    json_object_set_new(o, "telemetry", json_true());
    json_object_set_new(o, "workspace_proxy", json_false());
    json_object_set_new(o, "agent_api_version", json_string("1.0"));
    json_object_set_new(o, "provisioner_api_version", json_string("1.10"));
    json_object_set_new(o, "upgrade_message", json_string(""));
    json_object_set_new(o, "deployment_id", json_string(SIM_DEPLOYMENT_ID));
    json_object_set_new(o, "webpush_public_key",
                        json_string("BNNL5ZaTfK81qhXOx23-wewhigUeFb632jN6LvRWCFH1ubQr77FE_9qV1Fuo"
                                    "juRmHP42zmf34rXgW80OvUVDgTk"));
    sim_reply_json(r, 200, o);
}

static void h_replicas(struct sim *s, struct sim_reply *r)
{
    json_t *arr = json_array();
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->n_replicas; i++) {
        struct sim_replica *x = &s->rep[i];
        if (!x->present) {
            continue;
        }
        char relay[64];
        snprintf(relay, sizeof relay, "http://%s:%d", x->ip, x->port);
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(x->id));
        bool hostile = i == 0 && s->hostile_len > 0;
        json_object_set_new(o, "hostname",
                            hostile ? json_stringn(s->hostile, s->hostile_len)
                                    : json_string(x->hostname));
        json_object_set_new(o, "created_at", jtime(x->created_at));
        json_object_set_new(o, "relay_address", json_string(relay));
        json_object_set_new(o, "region_id", json_integer(999));
        json_object_set_new(
            o, "error", hostile ? json_stringn(s->hostile, s->hostile_len) : json_string(x->error));
        json_object_set_new(o, "database_latency",
                            json_integer((json_int_t)(x->db_latency_ms * 1000)));
        json_array_append_new(arr, o);
        if (s->o.unlicensed) {
            break;
        }
    }
    pthread_mutex_unlock(&s->mu);
    sim_reply_json(r, 200, arr);
}

static void h_quota(struct sim *s, struct sim_reply *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "credits_consumed", json_integer(38));
    json_object_set_new(o, "budget", json_integer(s->o.unlicensed ? -1 : 50));
    sim_reply_json(r, 200, o);
}

static void h_status_counts(struct sim *s, struct sim_reply *r)
{
    json_t *sc = json_object();
    const char *names[] = {"active", "dormant", "suspended"};
    long vals[] = {s->users_active, s->users_dormant, s->users_suspended};
    double day = floor(s->sim_now / 86400) * 86400;
    for (int k = 0; k < 3; k++) {
        json_t *arr = json_array();
        for (int d = 2; d >= 0; d--) {
            char tb[40];
            time_t t = (time_t)(day - d * 86400);
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(tb, sizeof tb, "%Y-%m-%dT00:00:00Z", &tm);
            json_array_append_new(arr, json_pack("{s:s,s:I}", "date", tb, "count",
                                                 (json_int_t)(vals[k] - d * (k == 0 ? 2 : 0))));
        }
        json_object_set_new(sc, names[k], arr);
    }
    sim_reply_json(r, 200, json_pack("{s:o}", "status_counts", sc));
}

/* Splits "/a/b/c" into segments (at most 8), in place in buf. */
static int split_path(const char *url, char *buf, size_t bl, char *seg[8])
{
    snprintf(buf, bl, "%s", url);
    int n = 0;
    for (char *sv = NULL, *t = strtok_r(buf, "/", &sv); t && n < 8; t = strtok_r(NULL, "/", &sv)) {
        seg[n++] = t;
    }
    return n;
}

void sim_coder_handle(struct sim *s, struct sim_req *q, struct sim_reply *r)
{
    const char *url = q->url;
    if (strcmp(url, "/healthz") == 0) {
        r->status = 200;
        r->ctype = "text/plain; charset=utf-8";
        sim_buf_puts(&r->body, "OK");
        return;
    }
    if (strncmp(url, "/api/v2", 7) != 0) {
        r->status = 404;
        r->ctype = "text/html; charset=utf-8";
        sim_buf_puts(&r->body, "<!doctype html><title>Coder</title><p>404</p>");
        return;
    }
    char buf[512], *seg[8];
    int n = split_path(url, buf, sizeof buf, seg);
    /* route pattern for the rate limiter */
    char route[160] = "";
    for (int i = 0; i < n; i++) {
        const char *p = seg[i];
        bool param = (i == 3 && n > 3 && strcmp(seg[2], "organizations") == 0) ||
                     (i == 5 && n > 5 && strcmp(seg[4], "provisionerjobs") == 0) ||
                     (i == 5 && n > 5 && strcmp(seg[4], "members") == 0) ||
                     (i == 3 && n > 3 && strcmp(seg[2], "workspace-quota") == 0);
        size_t l = strlen(route);
        snprintf(route + l, sizeof route - l, "/%s", param ? "{param}" : p);
    }
    const char *tok;
    enum role role = authenticate(s, q, &tok);
    char who[64];
    snprintf(who, sizeof who, "%s", tok && role >= ROLE_MEMBER ? tok : "127.0.0.1");
    const char *bypass = header(q, "X-Coder-Bypass-Ratelimit");
    bool by = bypass && strcmp(bypass, "true") == 0;
    if (by && role != ROLE_OWNER && role >= ROLE_MEMBER) {
        r->status = 428;
        r->ctype = "text/plain; charset=utf-8";
        sim_buf_puts(&r->body, "\"X-Coder-Bypass-Ratelimit\" provided but user is not owner\n");
        return;
    }
    if (!rate_limit(s, who, route, r, by && role == ROLE_OWNER)) {
        sim_reply_error(
            r, 429, "You've been rate limited for sending more than 512 requests in 1m0s.", NULL);
        if (s->o.rate_limit > 0 && s->o.rate_limit != 512) {
            char m[128];
            snprintf(m, sizeof m,
                     "You've been rate limited for sending more than %d requests in 1m0s.",
                     s->o.rate_limit);
            r->body.len = 0;
            sim_reply_error(r, 429, m, NULL);
        }
        return;
    }
    if (n == 3 && strcmp(seg[2], "buildinfo") == 0) {
        h_buildinfo(s, r);
        return;
    }
    if (n == 3 && strcmp(seg[2], "entitlements") == 0) {
        pthread_mutex_lock(&s->mu);
        h_entitlements(s, r);
        pthread_mutex_unlock(&s->mu);
        return;
    }
    if (role == ROLE_NONE || role == ROLE_BAD) {
        err_401(r, role == ROLE_BAD);
        return;
    }
    bool owner = role == ROLE_OWNER;
    const char *s2 = n > 2 ? seg[2] : "";
    if (n == 3 && strcmp(s2, "organizations") == 0) {
        json_t *arr = json_array();
        for (int i = 0; i < SIM_ORGS; i++) {
            if (owner || i == 0) {
                json_array_append_new(arr, org_json(i));
            }
        }
        sim_reply_json(r, 200, arr);
        return;
    }
    if (n >= 4 && strcmp(s2, "organizations") == 0) {
        int org = org_lookup(seg[3], strlen(seg[3]));
        if (org < 0 || (!owner && org != 0)) {
            err_404(r);
            return;
        }
        if (n == 4) {
            sim_reply_json(r, 200, org_json(org));
            return;
        }
        const char *s4 = seg[4];
        if (n == 5 && strcmp(s4, "provisionerdaemons") == 0) {
            if (!owner) {
                err_404(r);
                return;
            }
            h_daemons(s, q, r, org);
            return;
        }
        if (strcmp(s4, "provisionerjobs") == 0 && (n == 5 || n == 6)) {
            if (!owner) {
                err_404(r);
                return;
            }
            if (n == 5) {
                h_jobs(s, q, r, org);
            } else {
                h_job(s, r, org, seg[5]);
            }
            return;
        }
        if (n == 7 && strcmp(s4, "members") == 0 && strcmp(seg[6], "workspace-quota") == 0) {
            if (!owner && strcmp(seg[5], "me") != 0) {
                err_404(r);
                return;
            }
            h_quota(s, r);
            return;
        }
        if (n == 5 && strcmp(s4, "groups") == 0) {
            if (s->o.unlicensed) {
                err_403_feature(r, "Template RBAC");
                return;
            }
            pthread_mutex_lock(&s->mu);
            h_groups(s, r, org, role);
            pthread_mutex_unlock(&s->mu);
            return;
        }
        if (n == 5 && strcmp(s4, "templates") == 0) {
            pthread_mutex_lock(&s->mu);
            h_templates(s, r, org);
            pthread_mutex_unlock(&s->mu);
            return;
        }
    }
    if (n == 3 && strcmp(s2, "replicas") == 0) {
        if (!owner) {
            err_404(r);
            return;
        }
        h_replicas(s, r);
        return;
    }
    char au[64];
    api_url(s, au);
    if (n == 3 && strcmp(s2, "workspaceproxies") == 0) {
        if (s->o.unlicensed) {
            err_403_feature(r, "Workspace Proxy");
            return;
        }
        pthread_mutex_lock(&s->mu);
        json_t *o = regions_json(s, true, !owner, au);
        pthread_mutex_unlock(&s->mu);
        sim_reply_json(r, 200, o);
        return;
    }
    if (n == 3 && strcmp(s2, "regions") == 0) {
        pthread_mutex_lock(&s->mu);
        json_t *o = regions_json(s, false, s->o.unlicensed, au);
        pthread_mutex_unlock(&s->mu);
        sim_reply_json(r, 200, o);
        return;
    }
    if (n >= 4 && strcmp(s2, "debug") == 0 && strcmp(seg[3], "health") == 0) {
        if (!owner) {
            err_403_debug(r);
            return;
        }
        if (n == 5 && strcmp(seg[4], "settings") == 0) {
            sim_reply_json(r, 200, json_pack("{s:[]}", "dismissed_healthchecks"));
            return;
        }
        pthread_mutex_lock(&s->mu);
        double now = s->sim_now;
        pthread_mutex_unlock(&s->mu);
        if (n == 4) {
            if (s->o.health_compute_s > 0 && now - floor(now / 600) * 600 < s->o.health_compute_s) {
                sim_reply_error(r, 404,
                                "Healthcheck is in progress and did not complete in time. Try "
                                "again in a few seconds.",
                                NULL);
                return;
            }
            h_health(s, r);
            return;
        }
    }
    if (n == 4 && strcmp(s2, "deployment") == 0 && strcmp(seg[3], "stats") == 0) {
        if (!owner) {
            err_403_debug(r);
            return;
        }
        pthread_mutex_lock(&s->mu);
        bool processing = s->sim_now - s->o.start_epoch < s->o.stats_delay_s;
        pthread_mutex_unlock(&s->mu);
        if (processing) {
            sim_reply_error(r, 400, "Deployment stats are still processing!", NULL);
            return;
        }
        h_stats(s, r);
        return;
    }
    if (n == 3 && strcmp(s2, "workspaces") == 0) {
        h_workspaces(s, q, r, role);
        return;
    }
    if (n == 3 && strcmp(s2, "users") == 0) {
        h_users(s, q, r, role);
        return;
    }
    if (n == 4 && strcmp(s2, "users") == 0 && strcmp(seg[3], "me") == 0) {
        sim_reply_json(r, 200, user_json(owner ? 0 : 1, "active", owner));
        return;
    }
    if (n == 4 && strcmp(s2, "insights") == 0 && strcmp(seg[3], "user-status-counts") == 0) {
        if (!owner) {
            err_404(r);
            return;
        }
        pthread_mutex_lock(&s->mu);
        h_status_counts(s, r);
        pthread_mutex_unlock(&s->mu);
        return;
    }
    if (n == 4 && strcmp(s2, "workspace-quota") == 0) {
        h_quota(s, r);
        return;
    }
    if (n == 3 && strcmp(s2, "groups") == 0) {
        if (s->o.unlicensed) {
            err_403_feature(r, "Template RBAC");
            return;
        }
        const char *o = sim_arg(q, "organization");
        int org = o ? org_lookup(o, strlen(o)) : 0;
        if (org < 0) {
            err_404(r);
            return;
        }
        pthread_mutex_lock(&s->mu);
        h_groups(s, r, org, role);
        pthread_mutex_unlock(&s->mu);
        return;
    }
    if (n == 3 && strcmp(s2, "templates") == 0) {
        pthread_mutex_lock(&s->mu);
        h_templates(s, r, -1);
        pthread_mutex_unlock(&s->mu);
        return;
    }
    sim_reply_error(r, 404, "Route not found.", NULL);
}

/* A workspace proxy: /healthz answers OK, /healthz-report its report; an
 * unreachable proxy drops the connection, an unhealthy one reports errors. */
void sim_proxy_handle(struct sim *s, int index, struct sim_req *q, struct sim_reply *r)
{
    pthread_mutex_lock(&s->mu);
    char status[16];
    snprintf(status, sizeof status, "%s", s->prox[index].status);
    int slow = s->prox[index].slow_ms;
    pthread_mutex_unlock(&s->mu);
    if (slow > 0) {
        usleep((useconds_t)slow * 1000);
    }
    if (strcmp(status, "unreachable") == 0) {
        r->status = 0;
        return;
    }
    if (strcmp(q->url, "/healthz-report") == 0) {
        json_t *o = json_object();
        json_t *errs = json_array();
        if (strcmp(status, "unhealthy") == 0) {
            json_array_append_new(errs, json_string("derp mesh: failed to connect to peer"));
        }
        json_object_set_new(o, "errors", errs);
        json_object_set_new(o, "warnings", json_array());
        sim_reply_json(r, 200, o);
        return;
    }
    if (strcmp(q->url, "/metrics") == 0) {
        /* wsproxy's own Prometheus endpoint (--prometheus-enable); a real proxy
         * serves it on a separate, usually internal, address */
        pthread_mutex_lock(&s->mu);
        sim_derp_metrics(&s->prox[index].derp, &r->body);
        pthread_mutex_unlock(&s->mu);
        r->status = 200;
        r->ctype = "text/plain; version=0.0.4; charset=utf-8";
        return;
    }
    if (strcmp(q->url, "/api/v2/buildinfo") == 0) {
        sim_reply_json(r, 200,
                       json_pack("{s:s,s:s,s:b}", "version", s->prox[index].version,
                                 "dashboard_url", "", "workspace_proxy", 1));
        return;
    }
    r->status = 200;
    r->ctype = "text/plain; charset=utf-8";
    sim_buf_puts(&r->body, "OK");
}
