/*
 * The proxy-health poller: times each workspace proxy's /healthz from where
 * scaletop runs, in parallel (a dead proxy costs one timeout, not one per
 * proxy), and folds the answer into the proxy's status: a registered proxy
 * whose /healthz does not answer 200 is "unreachable" from here, whatever
 * the API last heard from it. Proxies come from the Coder API poller, which
 * runs before this one in the same chain.
 */
#include "backend/fanout.h"
#include "backend/http.h"
#include "backend/source.h"
#include "backend/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROXYHEALTH_MAX       64
#define PROXYHEALTH_TIMEOUT_S 5.0

struct target {
    char *url; /* the proxy's base URL; the key across polls */
    struct http_client *client;
    int seen;
};

struct proxyhealth {
    struct http_options opts;
    struct target targets[PROXYHEALTH_MAX];
    size_t ntargets;
};

struct probe {
    struct target *t;
    long status;
    double latency_ms;
    char error[ERR_MSG_MAX];
};

static void *proxyhealth_create(const struct config *cfg)
{
    if (!cfg->coder_url) {
        return NULL;
    }
    struct proxyhealth *p = xcalloc(1, sizeof *p);
    http_options_from_config(&p->opts, cfg);
    if (p->opts.timeout_s <= 0 || p->opts.timeout_s > PROXYHEALTH_TIMEOUT_S) {
        p->opts.timeout_s = PROXYHEALTH_TIMEOUT_S;
    }
    p->opts.max_body_bytes = 64 * 1024; /* "OK" */
    return p;
}

static void proxyhealth_destroy(void *state)
{
    struct proxyhealth *p = state;
    if (!p) {
        return;
    }
    for (size_t i = 0; i < p->ntargets; i++) {
        free(p->targets[i].url);
        http_client_free(p->targets[i].client);
    }
    free(p);
}

static struct target *target_for(struct proxyhealth *p, const char *url)
{
    for (size_t i = 0; i < p->ntargets; i++) {
        if (strcmp(p->targets[i].url, url) == 0) {
            return &p->targets[i];
        }
    }
    if (p->ntargets == PROXYHEALTH_MAX) {
        return NULL;
    }
    struct target *t = &p->targets[p->ntargets++];
    t->url = xstrdup(url);
    t->client = http_client_new(&p->opts);
    return t;
}

static void *probe_main(void *arg)
{
    struct probe *pr = arg;
    char url[1100];
    size_t n = strlen(pr->t->url);
    snprintf(url, sizeof url, "%s%shealthz", pr->t->url, n && pr->t->url[n - 1] == '/' ? "" : "/");
    struct http_request rq = {.url = url};
    struct http_result res;
    if (http_get(pr->t->client, &rq, &res) < 0) {
        snprintf(pr->error, sizeof pr->error, "GET /healthz: %s", res.error);
    } else if (res.status != 200) {
        snprintf(pr->error, sizeof pr->error, "GET /healthz: HTTP %ld", res.status);
    }
    pr->status = res.status;
    pr->latency_ms = res.latency_ms;
    http_result_fini(&res);
    return NULL;
}

/* Prepends msg to the proxy's errors (arena-owned arrays are immutable, so
 * a new array is made). */
static void add_error(struct snapshot *s, struct proxy *x, const char *msg)
{
    const char **errs = snapshot_alloc(s, (x->nerrors + 1) * sizeof *errs);
    errs[0] = snapshot_str(s, msg);
    for (size_t i = 0; i < x->nerrors; i++) {
        errs[i + 1] = x->errors[i];
    }
    x->errors = errs;
    x->nerrors++;
}

static void proxyhealth_poll(void *state, struct snapshot *s, double now)
{
    struct proxyhealth *p = state;
    struct probe probes[PROXYHEALTH_MAX];
    size_t np = 0;
    struct source_state *src = snapshot_add_source(s, "proxy-health", "proxy-health");

    for (size_t i = 0; i < p->ntargets; i++) {
        p->targets[i].seen = 0;
    }
    for (size_t i = 0; i < s->nproxies && np < PROXYHEALTH_MAX; i++) {
        const struct proxy *x = &s->proxies[i];
        if (!x->url || !*x->url || x->status == PROXY_UNREGISTERED) {
            continue;
        }
        struct target *t = target_for(p, x->url);
        if (!t) {
            continue;
        }
        t->seen = 1;
        memset(&probes[np], 0, sizeof probes[np]);
        probes[np].t = t;
        probes[np].latency_ms = NAN;
        np++;
    }
    fanout_run(probes, np, sizeof *probes, probe_main);

    size_t failed = 0;
    double worst_ms = NAN;
    const char *first_error = NULL;
    for (size_t i = 0; i < s->nproxies; i++) {
        struct proxy *x = &s->proxies[i];
        for (size_t j = 0; j < np; j++) {
            if (!x->url || strcmp(probes[j].t->url, x->url) != 0) {
                continue;
            }
            if (probes[j].error[0]) {
                failed++;
                x->status = PROXY_UNREACHABLE;
                x->rtt_ms = NAN;
                add_error(s, x, probes[j].error);
                if (!first_error) {
                    first_error = x->errors[0];
                }
            } else {
                x->rtt_ms = probes[j].latency_ms;
                worst_ms = isnan(worst_ms) || x->rtt_ms > worst_ms ? x->rtt_ms : worst_ms;
            }
            break;
        }
    }
    src->latency_ms = worst_ms;
    if (np == 0 || failed < np) {
        src->status = SOURCE_OK;
        src->last_ok = now;
    } else {
        src->status = SOURCE_ERROR;
        src->reason = REASON_UNREACHABLE;
    }
    if (failed) {
        char msg[ERR_MSG_MAX];
        snprintf(msg, sizeof msg, "%zu of %zu proxies unreachable (%s)", failed, np,
                 first_error ? first_error : "");
        src->error = snapshot_str(s, msg);
    }

    /* Forget proxies that left the list, so their connections close. */
    size_t kept = 0;
    for (size_t i = 0; i < p->ntargets; i++) {
        if (p->targets[i].seen) {
            p->targets[kept++] = p->targets[i];
        } else {
            free(p->targets[i].url);
            http_client_free(p->targets[i].client);
        }
    }
    p->ntargets = kept;
}

static void proxyhealth_add_disabled(struct snapshot *s)
{
    struct source_state *src = snapshot_add_source(s, "proxy-health", "proxy-health");
    src->status = SOURCE_DISABLED;
    src->reason = REASON_NOT_CONFIGURED;
    src->hint = snapshot_str(s, "set --coder-url URL to enable (proxies come from the API)");
}

const struct source_ops proxyhealth_source_ops = {
    .kind = "proxy-health",
    .create = proxyhealth_create,
    .poll = proxyhealth_poll,
    .add_disabled = proxyhealth_add_disabled,
    .destroy = proxyhealth_destroy,
};
