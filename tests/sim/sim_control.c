/*
 * scaletop-sim control API, under /__sim/ on the Coder API port and guarded
 * by the owner token: inject and clear faults, read the scenario's truth and
 * the request log, expire Kubernetes continue tokens, read the manifest, and
 * set hostile text (escape sequences, bidi controls, very long strings) that
 * the first replica and the first proxy then serve in their names.
 *
 * Invariant: control requests are neither logged nor subject to faults, so a
 * test's own bookkeeping never shows up in what it asserts about scaletop.
 */
#include "sim.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

json_t *sim_manifest(struct sim *s)
{
    char u[128];
    json_t *m = json_object();
    snprintf(u, sizeof u, "http://127.0.0.1:%d", s->lis[0].port);
    json_object_set_new(m, "coder_url", json_string(u));
    json_object_set_new(m, "token", json_string(s->o.token));
    json_object_set_new(m, "member_token", json_string(s->o.member_token));
    json_t *mu = json_array(), *pu = json_array(), *px = json_array();
    for (int i = 0; i < s->n_replicas; i++) {
        snprintf(u, sizeof u, "http://%s:%d/metrics", s->rep[i].ip, s->rep[i].port);
        json_array_append_new(mu, json_string(u));
    }
    for (int i = 0; i < s->n_deploy; i++) {
        snprintf(u, sizeof u, "http://127.0.0.1:%d/metrics", s->dep[i].port);
        json_array_append_new(pu, json_string(u));
    }
    for (int i = 0; i < s->n_proxies; i++) {
        snprintf(u, sizeof u, "http://127.0.0.1:%d", s->prox[i].port);
        char mu2[128];
        snprintf(mu2, sizeof mu2, "%s/metrics", u);
        json_array_append_new(
            px, json_pack("{s:s,s:s,s:s}", "name", s->prox[i].name, "url", u, "metrics_url", mu2));
    }
    json_object_set_new(m, "metrics_urls", mu);
    json_object_set_new(m, "provisioner_metrics_urls", pu);
    json_object_set_new(m, "proxies", px);
    snprintf(u, sizeof u, "http://127.0.0.1:%d", s->lis[s->n_listeners - 1].port);
    json_object_set_new(m, "kubernetes",
                        json_pack("{s:s,s:s}", "server", u, "token", s->o.k8s_token));
    snprintf(u, sizeof u, "http://127.0.0.1:%d/__sim", s->lis[0].port);
    json_object_set_new(m, "control_url", json_string(u));
    json_object_set_new(m, "preset", json_string(s->o.preset));
    json_object_set_new(m, "scenario", json_string(s->o.scenario));
    json_object_set_new(m, "seed", json_integer((json_int_t)s->o.seed));
    json_object_set_new(m, "speed", json_real(s->o.speed));
    json_object_set_new(m, "pid", json_integer(getpid()));
    return m;
}

static json_t *fault_json(const struct sim_fault *f)
{
    return json_pack("{s:i,s:s,s:s,s:s,s:i,s:i,s:i,s:I,s:i}", "id", f->id, "listener", f->listener,
                     "path_prefix", f->prefix, "kind", f->kind, "status", f->status, "latency_ms",
                     f->latency_ms, "max_hold_ms", f->max_hold_ms, "huge_bytes",
                     (json_int_t)f->huge_bytes, "remaining", f->remaining);
}

static bool kind_ok(const char *k)
{
    static const char *const kinds[] = {"latency", "status", "truncate", "malformed",
                                        "huge",    "hang",   NULL};
    for (int i = 0; kinds[i]; i++) {
        if (strcmp(k, kinds[i]) == 0) {
            return true;
        }
    }
    return false;
}

static void add_fault(struct sim *s, struct sim_req *q, struct sim_reply *r)
{
    json_error_t e;
    json_t *j = q->body ? json_loadb(q->body, q->body_len, 0, &e) : NULL;
    if (!json_is_object(j)) {
        json_decref(j);
        sim_reply_error(r, 400, "Invalid JSON body.", "expected a fault object");
        return;
    }
    struct sim_fault f = {0};
    const char *kind = json_string_value(json_object_get(j, "kind"));
    const char *lis = json_string_value(json_object_get(j, "listener"));
    const char *pre = json_string_value(json_object_get(j, "path_prefix"));
    snprintf(f.kind, sizeof f.kind, "%s", kind ? kind : "");
    snprintf(f.listener, sizeof f.listener, "%s", lis ? lis : "api");
    snprintf(f.prefix, sizeof f.prefix, "%s", pre ? pre : "");
    f.status = (int)json_integer_value(json_object_get(j, "status"));
    f.latency_ms = (int)json_integer_value(json_object_get(j, "latency_ms"));
    f.max_hold_ms = (int)json_integer_value(json_object_get(j, "max_hold_ms"));
    f.huge_bytes = (long)json_integer_value(json_object_get(j, "huge_bytes"));
    json_t *cnt = json_object_get(j, "count");
    f.remaining = json_is_integer(cnt) ? (int)json_integer_value(cnt) : -1;
    json_decref(j);
    if (!kind_ok(f.kind)) {
        sim_reply_error(r, 400, "Unknown fault kind.",
                        "kind must be latency, status, truncate, malformed, huge or hang");
        return;
    }
    if (strcmp(f.kind, "status") == 0 && (f.status < 100 || f.status > 599)) {
        sim_reply_error(r, 400, "A status fault needs a status code.", NULL);
        return;
    }
    pthread_mutex_lock(&s->mu);
    if (s->n_faults == SIM_MAX_FAULTS) {
        pthread_mutex_unlock(&s->mu);
        sim_reply_error(r, 400, "Too many faults.", NULL);
        return;
    }
    f.id = ++s->next_fault_id;
    s->faults[s->n_faults++] = f;
    pthread_mutex_unlock(&s->mu);
    sim_reply_json(r, 201, fault_json(&f));
}

static void list_requests(struct sim *s, struct sim_req *q, struct sim_reply *r)
{
    const char *since = sim_arg(q, "since");
    long from = since ? strtol(since, NULL, 10) : 0;
    json_t *arr = json_array();
    pthread_mutex_lock(&s->mu);
    long n = s->reqlog_n;
    long start = n > SIM_MAX_REQLOG ? n - SIM_MAX_REQLOG : 0;
    if (from > start) {
        start = from;
    }
    for (long i = start; i < n; i++) {
        struct sim_reqlog *l = &s->reqlog[i % SIM_MAX_REQLOG];
        json_array_append_new(arr,
                              json_pack("{s:I,s:f,s:s,s:s,s:s,s:i,s:s}", "seq", (json_int_t)i, "t",
                                        l->t, "listener", l->listener, "method", l->method, "path",
                                        l->path, "status", l->status, "query", l->query));
    }
    pthread_mutex_unlock(&s->mu);
    sim_reply_json(r, 200, json_pack("{s:I,s:o}", "total", (json_int_t)n, "requests", arr));
}

void sim_control_handle(struct sim *s, struct sim_req *q, struct sim_reply *r)
{
    const char *tok = MHD_lookup_connection_value(q->c, MHD_HEADER_KIND, "Coder-Session-Token");
    const char *auth = MHD_lookup_connection_value(q->c, MHD_HEADER_KIND, "Authorization");
    if (!tok && auth && strncmp(auth, "Bearer ", 7) == 0) {
        tok = auth + 7;
    }
    if (!tok || strcmp(tok, s->o.token) != 0) {
        sim_reply_error(r, 401, "The control API needs the sim's owner token.", NULL);
        return;
    }
    const char *u = q->url + 6; /* after "/__sim" */
    bool get = strcmp(q->method, "GET") == 0, post = strcmp(q->method, "POST") == 0,
         del = strcmp(q->method, "DELETE") == 0;
    if (strcmp(u, "/truth") == 0 && get) {
        pthread_mutex_lock(&s->mu);
        json_t *t = sim_truth(s);
        pthread_mutex_unlock(&s->mu);
        sim_reply_json(r, 200, t);
        return;
    }
    if (strcmp(u, "/manifest") == 0 && get) {
        sim_reply_json(r, 200, sim_manifest(s));
        return;
    }
    if (strcmp(u, "/faults") == 0) {
        if (post) {
            add_fault(s, q, r);
            return;
        }
        if (get || del) {
            json_t *arr = json_array();
            pthread_mutex_lock(&s->mu);
            for (int i = 0; i < s->n_faults; i++) {
                json_array_append_new(arr, fault_json(&s->faults[i]));
            }
            if (del) {
                s->n_faults = 0;
            }
            pthread_mutex_unlock(&s->mu);
            sim_reply_json(r, 200, json_pack("{s:o}", "faults", arr));
            return;
        }
    }
    if (strncmp(u, "/faults/", 8) == 0 && del) {
        int id = atoi(u + 8);
        bool found = false;
        pthread_mutex_lock(&s->mu);
        for (int i = 0; i < s->n_faults; i++) {
            if (s->faults[i].id == id) {
                s->faults[i] = s->faults[--s->n_faults];
                found = true;
                break;
            }
        }
        pthread_mutex_unlock(&s->mu);
        if (!found) {
            sim_reply_error(r, 404, "No such fault.", NULL);
            return;
        }
        sim_reply_json(r, 200, json_pack("{s:i}", "deleted", id));
        return;
    }
    if (strcmp(u, "/requests") == 0 && (get || del)) {
        if (del) {
            pthread_mutex_lock(&s->mu);
            s->reqlog_n = 0;
            pthread_mutex_unlock(&s->mu);
        }
        list_requests(s, q, r);
        return;
    }
    if (strcmp(u, "/hostile") == 0 && (post || del)) {
        /* the body is the text itself (any bytes valid as JSON text: UTF-8) */
        pthread_mutex_lock(&s->mu);
        size_t n = post && q->body ? q->body_len : 0;
        if (n >= sizeof s->hostile) {
            n = sizeof s->hostile - 1;
        }
        memcpy(s->hostile, post && q->body ? q->body : "", n);
        s->hostile[n] = '\0';
        s->hostile_len = n;
        pthread_mutex_unlock(&s->mu);
        sim_reply_json(r, 200, json_pack("{s:I}", "hostile_bytes", (json_int_t)n));
        return;
    }
    if (strcmp(u, "/network") == 0 && (get || post)) {
        sim_derp_control(s, q, r);
        return;
    }
    if (strcmp(u, "/daemons/stop") == 0 && post) {
        json_t *j = q->body ? json_loadb(q->body, q->body_len, 0, NULL) : NULL;
        const char *name = j ? json_string_value(json_object_get(j, "name")) : NULL;
        pthread_mutex_lock(&s->mu);
        int i = sim_stop_daemon(s, name);
        json_t *out =
            i < 0 ? NULL
                  : json_pack("{s:s,s:s,s:s}", "daemon_id", s->daemons[i].id, "name",
                              s->daemons[i].name, "job_id", s->stopped[s->n_stopped - 1].job_id);
        pthread_mutex_unlock(&s->mu);
        json_decref(j);
        if (!out) {
            sim_reply_error(r, 409, "No such daemon is running a build.", NULL);
            return;
        }
        sim_reply_json(r, 200, out);
        return;
    }
    if (strcmp(u, "/k8s/expire") == 0 && post) {
        pthread_mutex_lock(&s->mu);
        int g = ++s->k8s_generation;
        pthread_mutex_unlock(&s->mu);
        sim_reply_json(r, 200, json_pack("{s:i}", "generation", g));
        return;
    }
    sim_reply_error(r, 404, "Unknown control endpoint.",
                    "GET truth|manifest|faults|requests|network, "
                    "POST faults|k8s/expire|hostile|network|daemons/stop, "
                    "DELETE faults[/ID]|requests|hostile");
}
