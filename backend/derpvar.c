/*
 * The DERP expvar poller (older coderd builds; see derpvar.h). It runs in
 * the chain after the metrics and Prometheus pollers, so it only asks the
 * replicas that still have no DERP figures (derp_source NULL), all in
 * parallel (a dead replica costs one timeout), at "<relay_address>/api/v2/
 * debug/expvar" with the session token. Rates come from the previous
 * reading of the same relay address; a counter that went down is a restart
 * and counts from zero.
 *
 * Invariants: opt-in only (the token goes to each replica's relay address,
 * often plain HTTP inside the cluster); numbers stay NAN unless read; a
 * replica that fails leaves the others untouched and the source says why.
 */
#include "backend/derpvar.h"

#include "backend/fanout.h"
#include "backend/http.h"
#include "backend/metrics.h"
#include "backend/source.h"
#include "backend/xalloc.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DERPVAR_MAX       64
#define DERPVAR_TIMEOUT_S 5.0
#define DERPVAR_BODY_MAX  (4u * 1024 * 1024) /* memstats' PauseNs alone is ~5 KB */

struct target {
    char *url; /* the replica's relay address: the key across polls */
    struct http_client *client;
    struct derpvar_sample prev;
    double prev_time; /* NAN: no previous reading */
    int seen;
};

struct derpvar {
    struct http_options opts;
    char *token;
    struct target targets[DERPVAR_MAX];
    size_t ntargets;
};

struct probe {
    struct target *t;
    const char *token;
    struct derpvar_sample cur;
    long status;
    double latency_ms;
    char error[ERR_MSG_MAX];
};

static double field(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static double sum2(double a, double b)
{
    return isnan(a) || isnan(b) ? NAN : a + b;
}

int derpvar_parse(const char *body, size_t len, struct derpvar_sample *out, struct err *e)
{
    json_error_t je;
    out->clients = out->connections = out->bytes = out->forwarded = out->dropped = NAN;
    json_t *j = json_loadb(body, len, 0, &je);
    if (!j) {
        return err_set(e, "expvar: not JSON (%s)", je.text);
    }
    json_t *d = json_object_get(j, "derp");
    if (!json_is_object(d)) {
        json_decref(j);
        return err_set(e, "expvar: no \"derp\" object (no embedded DERP server?)");
    }
    out->clients = field(d, "gauge_clients_local");
    if (isnan(out->clients)) {
        out->clients = field(d, "gauge_clients_total");
    }
    out->connections = field(d, "gauge_current_connections");
    out->bytes = sum2(field(d, "bytes_received"), field(d, "bytes_sent"));
    out->forwarded = sum2(field(d, "packets_forwarded_in"), field(d, "packets_forwarded_out"));
    out->dropped = field(d, "packets_dropped");
    json_decref(j);
    return 0;
}

static void *derpvar_create(const struct config *cfg)
{
    if (!cfg->derp_expvar || !cfg->coder_url || !cfg->token) {
        return NULL;
    }
    struct derpvar *p = xcalloc(1, sizeof *p);
    http_options_from_config(&p->opts, cfg);
    if (p->opts.timeout_s <= 0 || p->opts.timeout_s > DERPVAR_TIMEOUT_S) {
        p->opts.timeout_s = DERPVAR_TIMEOUT_S;
    }
    p->opts.max_body_bytes = DERPVAR_BODY_MAX;
    p->token = xstrdup(cfg->token);
    return p;
}

static void target_drop(struct target *t)
{
    free(t->url);
    http_client_free(t->client);
}

static void derpvar_destroy(void *state)
{
    struct derpvar *p = state;
    if (!p) {
        return;
    }
    for (size_t i = 0; i < p->ntargets; i++) {
        target_drop(&p->targets[i]);
    }
    if (p->token) {
        explicit_bzero(p->token, strlen(p->token));
    }
    free(p->token);
    free(p);
}

static struct target *target_for(struct derpvar *p, const char *url)
{
    for (size_t i = 0; i < p->ntargets; i++) {
        if (strcmp(p->targets[i].url, url) == 0) {
            return &p->targets[i];
        }
    }
    if (p->ntargets == DERPVAR_MAX) {
        return NULL;
    }
    struct target *t = &p->targets[p->ntargets++];
    memset(t, 0, sizeof *t);
    t->url = xstrdup(url);
    t->client = http_client_new(&p->opts);
    t->prev_time = NAN;
    return t;
}

static void *probe_main(void *arg)
{
    struct probe *pr = arg;
    char url[1100];
    size_t n = strlen(pr->t->url);
    snprintf(url, sizeof url, "%.*s/api/v2/debug/expvar",
             (int)(n && pr->t->url[n - 1] == '/' ? n - 1 : n), pr->t->url);
    struct http_header h = {"Coder-Session-Token", pr->token};
    struct http_request rq = {.url = url, .headers = &h, .nheaders = 1};
    struct http_result res;
    struct err e = {{0}};
    if (http_get(pr->t->client, &rq, &res) < 0) {
        snprintf(pr->error, sizeof pr->error, "expvar at %s: %s", pr->t->url, res.error);
    } else if (res.status == 401 || res.status == 403 || res.status == 404) {
        snprintf(pr->error, sizeof pr->error,
                 "expvar at %s: HTTP %ld (the debug routes need an owner token)", pr->t->url,
                 res.status);
    } else if (res.status != 200) {
        snprintf(pr->error, sizeof pr->error, "expvar at %s: HTTP %ld", pr->t->url, res.status);
    } else if (derpvar_parse(res.body, res.body_len, &pr->cur, &e) < 0) {
        snprintf(pr->error, sizeof pr->error, "%s at %s", e.msg, pr->t->url);
    }
    pr->status = res.status;
    pr->latency_ms = res.latency_ms;
    http_result_fini(&res);
    return NULL;
}

/* The per-second increase of a counter since the previous reading. */
static double rate(double cur, double prev, double dt)
{
    if (isnan(cur) || isnan(prev) || !(dt > 0)) {
        return NAN;
    }
    return (cur >= prev ? cur - prev : cur) / dt;
}

static void derpvar_poll(void *state, struct snapshot *s, double now)
{
    struct derpvar *p = state;
    struct probe probes[DERPVAR_MAX];
    size_t owner[DERPVAR_MAX];
    size_t np = 0;
    struct source_state *src = snapshot_add_source(s, "derp-expvar", "derp-expvar");

    for (size_t i = 0; i < p->ntargets; i++) {
        p->targets[i].seen = 0;
    }
    for (size_t i = 0; i < s->nservers && np < DERPVAR_MAX; i++) {
        const struct server *sv = &s->servers[i];
        if (!sv->id || sv->derp_source || !sv->relay_address ||
            strncmp(sv->relay_address, "http", 4) != 0) {
            continue;
        }
        struct target *t = target_for(p, sv->relay_address);
        if (!t) {
            continue;
        }
        t->seen = 1;
        memset(&probes[np], 0, sizeof probes[np]);
        probes[np].t = t;
        probes[np].token = p->token;
        probes[np].latency_ms = NAN;
        owner[np] = i;
        np++;
    }
    fanout_run(probes, np, sizeof *probes, probe_main);

    size_t failed = 0;
    double worst_ms = NAN;
    const char *first_error = NULL;
    for (size_t i = 0; i < np; i++) {
        struct probe *pr = &probes[i];
        struct target *t = pr->t;
        if (pr->error[0]) {
            failed++;
            first_error = first_error ? first_error : snapshot_str(s, pr->error);
            t->prev_time = NAN;
            continue;
        }
        worst_ms = isnan(worst_ms) || pr->latency_ms > worst_ms ? pr->latency_ms : worst_ms;
        struct server *sv = &s->servers[owner[i]];
        double dt = isnan(t->prev_time) ? NAN : now - t->prev_time;
        sv->derp_source = snapshot_str(s, "expvar");
        sv->derp_clients = pr->cur.clients;
        sv->derp_connections = pr->cur.connections;
        sv->derp_bytes_per_s = rate(pr->cur.bytes, t->prev.bytes, dt);
        sv->derp_packets_forwarded_per_s = rate(pr->cur.forwarded, t->prev.forwarded, dt);
        sv->derp_packets_dropped_per_s = rate(pr->cur.dropped, t->prev.dropped, dt);
        metrics_add_derp_totals(&s->deployment, sv->derp_clients, sv->derp_bytes_per_s);
        t->prev = pr->cur;
        t->prev_time = now;
    }
    src->latency_ms = worst_ms;
    if (np == 0 || failed < np) {
        src->status = SOURCE_OK;
        src->last_ok = now;
    } else {
        src->status = SOURCE_ERROR;
        src->reason = probes[0].status == 401 || probes[0].status == 403 ? REASON_NO_PERMISSION
                      : probes[0].status == 0                            ? REASON_UNREACHABLE
                                                                         : REASON_BAD_RESPONSE;
    }
    if (failed) {
        char msg[ERR_MSG_MAX];
        snprintf(msg, sizeof msg, "%zu of %zu replicas unread (%s)", failed, np,
                 first_error ? first_error : "");
        src->error = snapshot_str(s, msg);
    }
    /* Forget replicas that left, so their connections close. */
    size_t kept = 0;
    for (size_t i = 0; i < p->ntargets; i++) {
        if (p->targets[i].seen) {
            p->targets[kept++] = p->targets[i];
        } else {
            target_drop(&p->targets[i]);
        }
    }
    p->ntargets = kept;
}

static void derpvar_add_disabled(struct snapshot *s)
{
    struct source_state *src = snapshot_add_source(s, "derp-expvar", "derp-expvar");
    src->status = SOURCE_DISABLED;
    src->reason = REASON_NOT_CONFIGURED;
    src->hint = snapshot_str(s, "--derp-expvar: read older replicas' DERP relay stats from "
                                "/api/v2/debug/expvar at each relay address (sends the token)");
}

const struct source_ops derpvar_source_ops = {
    .kind = "derp-expvar",
    .create = derpvar_create,
    .poll = derpvar_poll,
    .add_disabled = derpvar_add_disabled,
    .destroy = derpvar_destroy,
};
