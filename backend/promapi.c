/*
 * The Prometheus query API client, its response parser, the "prometheus"
 * poller and the range-query series source (see promapi.h and
 * docs/prometheus.md).
 *
 * The poller issues a fixed list of instant queries per poll, each grouped
 * by instance; histograms are fetched as per-bucket rates
 * (sum by (instance, le) (rate(X_bucket[5m]))) and their quantiles computed
 * with derive_hist_quantile, which is histogram_quantile's interpolation: one
 * query gives p50, p95 and p99 per replica, the deployment-wide quantile (the
 * buckets summed over replicas) and the per-queue build p95 (the buckets of
 * the daemons serving the queue). Instances are matched to replicas with
 * metrics_match_server, the rule direct scraping uses, so the panes cannot
 * tell the two apart.
 *
 * Invariants:
 * - A poll stops at the first query that fails and then fills no numbers:
 *   the source state says why (Prometheus's errorType and error, a timeout,
 *   an HTTP status); warnings of a good response keep the status ok and are
 *   shown as its error text.
 * - The whole poll is bounded by the request timeout (each query gets what
 *   is left of it).
 * - Credentials are sent only to the configured origin (no redirects are
 *   followed) and never reach a snapshot or a message.
 * - Strings from the server reach the snapshot only through snapshot_str.
 */
#include "backend/promapi.h"

#include "backend/derive.h"
#include "backend/http.h"
#include "backend/metrics.h"
#include "backend/xalloc.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define HOST_MAX 256

/* ---- parsing -------------------------------------------------------------- */

static void copy_str(char *dst, size_t n, const char *s)
{
    snprintf(dst, n, "%s", s ? s : "");
}

static int parse_value(json_t *pair, struct promapi_point *pt)
{
    json_t *t = json_array_get(pair, 0), *v = json_array_get(pair, 1);
    if (!json_is_array(pair) || !json_is_number(t) || !json_is_string(v)) {
        return -1;
    }
    const char *s = json_string_value(v);
    char *end = NULL;
    pt->t = json_number_value(t);
    pt->v = strtod(s, &end);
    if (end == s || *end) {
        return -1;
    }
    return 0;
}

static int parse_series(json_t *item, bool matrix, struct promapi_series *s)
{
    memset(s, 0, sizeof *s);
    json_t *metric = json_object_get(item, "metric");
    if (metric && !json_is_object(metric)) {
        return -1;
    }
    size_t nl = json_object_size(metric);
    s->label_names = xcalloc(nl ? nl : 1, sizeof *s->label_names);
    s->label_values = xcalloc(nl ? nl : 1, sizeof *s->label_values);
    const char *k;
    json_t *v;
    json_object_foreach(metric, k, v)
    {
        if (!json_is_string(v)) {
            continue;
        }
        s->label_names[s->nlabels] = xstrdup(k);
        s->label_values[s->nlabels] = xstrdup(json_string_value(v));
        s->nlabels++;
    }
    if (!matrix) {
        s->pts = xcalloc(1, sizeof *s->pts);
        if (parse_value(json_object_get(item, "value"), &s->pts[0]) != 0) {
            return -1;
        }
        s->npts = 1;
        return 0;
    }
    json_t *vals = json_object_get(item, "values");
    if (!json_is_array(vals)) {
        return -1;
    }
    size_t n = json_array_size(vals);
    s->pts = xcalloc(n ? n : 1, sizeof *s->pts);
    for (size_t i = 0; i < n; i++) {
        if (parse_value(json_array_get(vals, i), &s->pts[i]) != 0) {
            return -1;
        }
    }
    s->npts = n;
    return 0;
}

static void series_fini(struct promapi_series *s)
{
    for (size_t i = 0; i < s->nlabels; i++) {
        free(s->label_names[i]);
        free(s->label_values[i]);
    }
    free(s->label_names);
    free(s->label_values);
    free(s->pts);
}

static enum source_reason reason_of_status(long status)
{
    return status >= 500                    ? REASON_SERVER_ERROR
           : status == 401                  ? REASON_UNAUTHORIZED
           : status == 403 || status == 404 ? REASON_NO_PERMISSION
           : status == 429                  ? REASON_RATE_LIMITED
                                            : REASON_BAD_RESPONSE;
}

static void join_warnings(struct promapi_result *r, json_t *arr)
{
    size_t i;
    json_t *w;
    json_array_foreach(arr, i, w)
    {
        const char *s = json_string_value(w);
        if (!s) {
            continue;
        }
        size_t l = strlen(r->error);
        snprintf(r->error + l, sizeof r->error - l, "%s%s", l ? "; " : "", s);
    }
}

static int fail(struct promapi_result *r, enum source_reason reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct promapi_result *r, enum source_reason reason, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
    r->ok = false;
    r->reason = reason;
    return -1;
}

int promapi_parse(const char *body, size_t len, long http_status, struct promapi_result *r)
{
    memset(r, 0, sizeof *r);
    json_error_t je;
    json_t *root = body && len ? json_loadb(body, len, 0, &je) : NULL;
    const char *status = json_string_value(json_object_get(root, "status"));
    int rc = 0;
    if (!root || !status) {
        if (http_status != 200) {
            rc = fail(r, reason_of_status(http_status), "HTTP %ld", http_status);
        } else {
            rc = fail(r, REASON_BAD_RESPONSE, "not a Prometheus API response%s%s", root ? "" : ": ",
                      root ? "" : je.text);
        }
        goto out;
    }
    if (strcmp(status, "success") != 0) {
        const char *et = json_string_value(json_object_get(root, "errorType"));
        const char *msg = json_string_value(json_object_get(root, "error"));
        copy_str(r->error_type, sizeof r->error_type, et);
        enum source_reason reason =
            et && (!strcmp(et, "timeout") || !strcmp(et, "canceled"))     ? REASON_TIMEOUT
            : http_status >= 500 && (!et || strcmp(et, "execution") != 0) ? REASON_SERVER_ERROR
            : http_status != 200 && http_status != 400 && http_status != 422
                ? reason_of_status(http_status)
                : REASON_BAD_RESPONSE;
        rc = fail(r, reason, "%s: %s", et ? et : status, msg ? msg : "(no message)");
        goto out;
    }
    json_t *data = json_object_get(root, "data");
    const char *rt = json_string_value(json_object_get(data, "resultType"));
    json_t *result = json_object_get(data, "result");
    if (!rt || !result) {
        rc = fail(r, REASON_BAD_RESPONSE, "Prometheus response without data.resultType/result");
        goto out;
    }
    copy_str(r->result_type, sizeof r->result_type, rt);
    if (!strcmp(rt, "scalar") || !strcmp(rt, "string")) {
        r->series = xcalloc(1, sizeof *r->series);
        r->nseries = 1;
        r->series[0].label_names = xcalloc(1, sizeof(char *));
        r->series[0].label_values = xcalloc(1, sizeof(char *));
        r->series[0].pts = xcalloc(1, sizeof *r->series[0].pts);
        r->series[0].npts = 1;
        if (!strcmp(rt, "scalar") && parse_value(result, &r->series[0].pts[0]) != 0) {
            rc = fail(r, REASON_BAD_RESPONSE, "malformed scalar in Prometheus response");
            goto out;
        }
        if (!strcmp(rt, "string")) {
            r->series[0].pts[0].t = json_number_value(json_array_get(result, 0));
            r->series[0].pts[0].v = NAN;
        }
    } else if (!strcmp(rt, "vector") || !strcmp(rt, "matrix")) {
        if (!json_is_array(result)) {
            rc = fail(r, REASON_BAD_RESPONSE, "Prometheus %s result is not an array", rt);
            goto out;
        }
        size_t n = json_array_size(result);
        size_t keep = n > PROMAPI_MAX_SERIES ? PROMAPI_MAX_SERIES : n;
        r->series = xcalloc(keep ? keep : 1, sizeof *r->series);
        r->dropped = n - keep;
        for (size_t i = 0; i < keep; i++) {
            int bad = parse_series(json_array_get(result, i), rt[0] == 'm', &r->series[i]);
            r->nseries++;
            if (bad) {
                rc = fail(r, REASON_BAD_RESPONSE, "malformed series %zu in Prometheus %s result", i,
                          rt);
                goto out;
            }
        }
    } else {
        rc = fail(r, REASON_BAD_RESPONSE, "unknown Prometheus resultType");
        goto out;
    }
    r->ok = true;
    join_warnings(r, json_object_get(root, "warnings"));
out:
    json_decref(root);
    return rc;
}

void promapi_result_fini(struct promapi_result *r)
{
    for (size_t i = 0; i < r->nseries; i++) {
        series_fini(&r->series[i]);
    }
    free(r->series);
    r->series = NULL;
    r->nseries = 0;
}

const char *promapi_label(const struct promapi_series *s, const char *name)
{
    for (size_t i = 0; i < s->nlabels; i++) {
        if (strcmp(s->label_names[i], name) == 0) {
            return s->label_values[i];
        }
    }
    return NULL;
}

/* ---- the client ----------------------------------------------------------- */

struct promapi {
    char *base; /* the URL without a trailing slash */
    char server[HOST_MAX];
    struct http_client *http;
    char *auth; /* "Authorization" value, or NULL */
    double timeout_s;
};

static char *base64(const char *s)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s);
    char *out = xmalloc(4 * ((n + 2) / 3) + 1), *o = out;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)s[i] << 16;
        if (i + 1 < n) {
            v |= (unsigned char)s[i + 1] << 8;
        }
        if (i + 2 < n) {
            v |= (unsigned char)s[i + 2];
        }
        *o++ = tab[(v >> 18) & 63];
        *o++ = tab[(v >> 12) & 63];
        *o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        *o++ = i + 2 < n ? tab[v & 63] : '=';
    }
    *o = 0;
    return out;
}

static void wipe_free(char *s)
{
    if (s) {
        volatile char *p = s;
        while (*p) {
            *p++ = 0;
        }
        free(s);
    }
}

struct promapi *promapi_new(const struct config *cfg)
{
    if (!cfg->prometheus_url || !*cfg->prometheus_url) {
        return NULL;
    }
    struct promapi *p = xcalloc(1, sizeof *p);
    p->base = xstrdup(cfg->prometheus_url);
    size_t l = strlen(p->base);
    while (l > 0 && p->base[l - 1] == '/') {
        p->base[--l] = 0;
    }
    char host[HOST_MAX];
    if (metrics_url_host(p->base, host, sizeof host, p->server, sizeof p->server) != 0) {
        copy_str(p->server, sizeof p->server, "?");
    }
    struct http_options o;
    http_options_from_config(&o, cfg);
    o.max_body_bytes = PROMAPI_MAX_BODY;
    p->http = http_client_new(&o);
    p->timeout_s = cfg->request_timeout_s > 0 ? cfg->request_timeout_s : HTTP_DEFAULT_TIMEOUT_S;
    if (cfg->prometheus_bearer_token && *cfg->prometheus_bearer_token) {
        p->auth = xasprintf("Bearer %s", cfg->prometheus_bearer_token);
    } else if (cfg->prometheus_basic_auth && *cfg->prometheus_basic_auth) {
        char *b = base64(cfg->prometheus_basic_auth);
        p->auth = xasprintf("Basic %s", b);
        wipe_free(b);
    }
    return p;
}

void promapi_free(struct promapi *p)
{
    if (!p) {
        return;
    }
    http_client_free(p->http);
    wipe_free(p->auth);
    free(p->base);
    free(p);
}

const char *promapi_server(const struct promapi *p)
{
    return p->server;
}

/* Appends s percent-encoded (RFC 3986 unreserved kept) to buf at *len. */
static void url_escape(char **buf, size_t *len, size_t *cap, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        *buf = xgrow(*buf, cap, *len + 4, 1);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            (*buf)[(*len)++] = (char)c;
        } else {
            (*buf)[(*len)++] = '%';
            (*buf)[(*len)++] = hex[c >> 4];
            (*buf)[(*len)++] = hex[c & 15];
        }
        (*buf)[*len] = 0;
    }
}

static void append(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    *buf = xgrow(*buf, cap, *len + n + 1, 1);
    memcpy(*buf + *len, s, n + 1);
    *len += n;
}

static int request(struct promapi *p, const char *path, const char *promql, const char *params,
                   double timeout_s, struct promapi_result *r)
{
    if (!(timeout_s > 0)) {
        timeout_s = p->timeout_s;
    }
    char *url = NULL, num[96];
    size_t len = 0, cap = 0;
    append(&url, &len, &cap, p->base);
    append(&url, &len, &cap, path);
    append(&url, &len, &cap, "?query=");
    url_escape(&url, &len, &cap, promql);
    append(&url, &len, &cap, params);
    snprintf(num, sizeof num, "&timeout=%ldms", (long)ceil(timeout_s * 1000));
    append(&url, &len, &cap, num);

    struct http_header h[2] = {{"Accept", "application/json"}, {"Authorization", p->auth}};
    struct http_request rq = {
        .url = url, .headers = h, .nheaders = p->auth ? 2 : 1, .timeout_s = timeout_s};
    struct http_result res;
    int rc = http_get(p->http, &rq, &res);
    free(url);
    if (rc != 0) {
        memset(r, 0, sizeof *r);
        r->latency_ms = res.latency_ms;
        enum source_reason reason = res.kind == HTTP_ERR_TIMEOUT       ? REASON_TIMEOUT
                                    : res.kind == HTTP_ERR_UNREACHABLE ? REASON_UNREACHABLE
                                                                       : REASON_BAD_RESPONSE;
        fail(r, reason, "%s: %s", p->server, res.error);
        http_result_fini(&res);
        return -1;
    }
    rc = promapi_parse(res.body, res.body_len, res.status, r);
    r->latency_ms = res.latency_ms;
    if (rc != 0 && !r->error_type[0]) {
        char msg[ERR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s from %s", r->error, p->server);
        copy_str(r->error, sizeof r->error, msg);
    }
    http_result_fini(&res);
    return rc;
}

int promapi_query(struct promapi *p, const char *promql, double time, double timeout_s,
                  struct promapi_result *r)
{
    char params[64] = "";
    if (!isnan(time)) {
        snprintf(params, sizeof params, "&time=%.3f", time);
    }
    return request(p, "/api/v1/query", promql, params, timeout_s, r);
}

int promapi_query_range(struct promapi *p, const char *promql, double start, double end,
                        double step_s, double timeout_s, struct promapi_result *r)
{
    char params[128];
    snprintf(params, sizeof params, "&start=%.3f&end=%.3f&step=%.3f", start, end, step_s);
    return request(p, "/api/v1/query_range", promql, params, timeout_s, r);
}

/* ---- the poller ------------------------------------------------------------ */

enum q_id {
    Q_API,
    Q_DB,
    Q_QWAIT,
    Q_JOBS,
    Q_REQ,
    Q_CPU,
    Q_BUILDS,
    Q_DERP,
    Q_DERP_FWD,
    Q_DERP_DROP,
    Q_GAUGES,
    Q_AGENT_SERIES,
    Q_PROBE,
    Q_PROBE_FULL,
    Q_COUNT
};

#define W  "[%s]"   /* the rate window, filled in by prom_create */
#define W1 "[%1$s]" /* the same, for a query that needs it more than once */
static const char *const queries[Q_COUNT] = {
    [Q_API] = ("sum by (instance, le) (rate(coderd_api_request_latencies_seconds_bucket" W "))"),
    [Q_DB] = ("sum by (instance, le) (rate(coderd_db_query_latencies_seconds_bucket" W "))"),
    [Q_QWAIT] =
        ("sum by (instance, le) (rate(coderd_provisioner_job_queue_wait_seconds_bucket" W "))"),
    [Q_JOBS] =
        ("sum by (instance, le) (rate(coderd_provisionerd_job_timings_seconds_bucket" W "))"),
    [Q_REQ] = ("sum by (instance) (rate(coderd_api_requests_processed_total" W "))"),
    [Q_CPU] = ("sum by (instance) (rate(process_cpu_seconds_total" W "))"),
    [Q_BUILDS] = ("sum by (instance, status) (rate(coderd_workspace_builds_total" W "))"),
    /* rate() drops the metric name, so one regex selector over two counters
     * would give two series with the same labels (an error before
     * Prometheus 3): each counter is summed on its own, then added */
    [Q_DERP] = ("sum by (instance) (rate(coder_derp_server_bytes_received_total" W1 ")) + on "
                "(instance) sum by (instance) (rate(coder_derp_server_bytes_sent_total" W1 "))"),
    [Q_DERP_FWD] = ("sum by (instance) (rate(coder_derp_server_packets_forwarded_in_total" W1
                    ")) + on (instance) sum by (instance) "
                    "(rate(coder_derp_server_packets_forwarded_out_total" W1 "))"),
    [Q_DERP_DROP] = ("sum by (instance) (rate(coder_derp_server_packets_dropped_total" W "))"),
    [Q_GAUGES] = ("sum by (__name__, instance) ({__name__=~\"process_resident_memory_bytes|"
                  "process_open_fds|process_max_fds|go_goroutines|coderd_api_concurrent_requests|"
                  "coderd_provisionerd_num_daemons|coderd_provisionerd_jobs_current|"
                  "coder_derp_server_clients|coder_derp_server_clients_local|"
                  "coder_derp_server_connections\"})"),
    [Q_AGENT_SERIES] = ("count by (instance) ({__name__=~\"coderd_agentstats_.+|agent_.+\"})"),
    [Q_PROBE] = ("count by (instance) (coderd_agentstats_connection_count)"),
    [Q_PROBE_FULL] = ("count by (instance) (coderd_agentstats_connection_count{agent_name!=\"\","
                      "template_name!=\"\",username!=\"\",workspace_name!=\"\"})"),
};
#undef W
#undef W1

/* What the queries say about one instance. */
struct inst {
    char *instance;
    char host[HOST_MAX];
    struct derive_hist api, db, qwait, jobs;
    double req, cpu, builds, builds_failed, derp_bytes;
    double rss, open_fds, max_fds, goroutines, concurrent, derp_clients;
    double num_daemons, jobs_current, agent_series, probe, probe_full;
    bool coderd, provisioner, db_seen, cpu_seen, builds_seen, derp_seen;
    double derp_fwd, derp_drop, derp_conns, derp_clients_local;
};

struct prom_poller {
    struct promapi *api;
    char *q[Q_COUNT]; /* the queries with the configured rate window */
    double timeout_s;
    bool coderd_direct, prov_direct; /* families left to direct scraping */
    double last_ok;
    struct inst *insts;
    size_t ninsts, cap;
};

static struct inst *inst_get(struct prom_poller *pp, const char *instance)
{
    if (!instance) {
        instance = "";
    }
    for (size_t i = pp->ninsts; i-- > 0;) {
        if (strcmp(pp->insts[i].instance, instance) == 0) {
            return &pp->insts[i];
        }
    }
    pp->insts = xgrow(pp->insts, &pp->cap, pp->ninsts + 1, sizeof *pp->insts);
    struct inst *in = &pp->insts[pp->ninsts++];
    memset(in, 0, sizeof *in);
    in->instance = xstrdup(instance);
    char hp[HOST_MAX];
    if (metrics_url_host(instance, in->host, sizeof in->host, hp, sizeof hp) != 0) {
        copy_str(in->host, sizeof in->host, instance);
    }
    derive_hist_init(&in->api);
    derive_hist_init(&in->db);
    derive_hist_init(&in->qwait);
    derive_hist_init(&in->jobs);
    in->req = in->cpu = in->builds = in->builds_failed = in->derp_bytes = NAN;
    in->rss = in->open_fds = in->max_fds = in->goroutines = in->concurrent = NAN;
    in->derp_clients = in->num_daemons = in->jobs_current = NAN;
    in->agent_series = in->probe = in->probe_full = NAN;
    in->derp_fwd = in->derp_drop = in->derp_conns = in->derp_clients_local = NAN;
    return in;
}

static void insts_clear(struct prom_poller *pp)
{
    for (size_t i = 0; i < pp->ninsts; i++) {
        free(pp->insts[i].instance);
    }
    pp->ninsts = 0;
}

static void addv(double *acc, double v)
{
    if (!isnan(v)) {
        *acc = isnan(*acc) ? v : *acc + v;
    }
}

static double ms(double s)
{
    return s * 1000.0;
}

/* Folds one query's result into the instances. */
static void absorb(struct prom_poller *pp, enum q_id q, const struct promapi_result *r)
{
    for (size_t i = 0; i < r->nseries; i++) {
        const struct promapi_series *s = &r->series[i];
        if (s->npts == 0) {
            continue;
        }
        double v = s->pts[0].v;
        struct inst *in = inst_get(pp, promapi_label(s, "instance"));
        const char *le = promapi_label(s, "le");
        double bound = NAN;
        if (le) {
            char *end;
            bound = strtod(le, &end);
            if (end == le || *end) {
                bound = NAN;
            }
        }
        switch (q) {
        case Q_API:
        case Q_DB:
        case Q_QWAIT:
        case Q_JOBS: {
            if (isnan(bound) || isnan(v)) {
                break;
            }
            struct derive_hist *h = q == Q_API     ? &in->api
                                    : q == Q_DB    ? &in->db
                                    : q == Q_QWAIT ? &in->qwait
                                                   : &in->jobs;
            derive_hist_add(h, bound, v);
            if (isinf(bound)) {
                h->count += v;
            }
            in->coderd = in->coderd || q == Q_API || q == Q_DB;
            in->db_seen = in->db_seen || q == Q_DB;
            in->provisioner = in->provisioner || q == Q_JOBS;
            break;
        }
        case Q_REQ:
            addv(&in->req, v);
            in->coderd = true;
            break;
        case Q_CPU:
            addv(&in->cpu, v);
            in->cpu_seen = true;
            break;
        case Q_BUILDS: {
            const char *st = promapi_label(s, "status");
            in->builds_seen = true;
            addv(&in->builds, v);
            if (st && strcmp(st, "failed") == 0) {
                addv(&in->builds_failed, v);
            } else if (isnan(in->builds_failed)) {
                in->builds_failed = 0;
            }
            break;
        }
        case Q_DERP:
            in->derp_seen = true;
            addv(&in->derp_bytes, v);
            break;
        case Q_DERP_FWD:
            addv(&in->derp_fwd, v);
            break;
        case Q_DERP_DROP:
            addv(&in->derp_drop, v);
            break;
        case Q_GAUGES: {
            const char *n = promapi_label(s, "__name__");
            if (!n) {
                break;
            }
            double *dst = !strcmp(n, "process_resident_memory_bytes")      ? &in->rss
                          : !strcmp(n, "process_open_fds")                 ? &in->open_fds
                          : !strcmp(n, "process_max_fds")                  ? &in->max_fds
                          : !strcmp(n, "go_goroutines")                    ? &in->goroutines
                          : !strcmp(n, "coderd_api_concurrent_requests")   ? &in->concurrent
                          : !strcmp(n, "coderd_provisionerd_num_daemons")  ? &in->num_daemons
                          : !strcmp(n, "coderd_provisionerd_jobs_current") ? &in->jobs_current
                          : !strcmp(n, "coder_derp_server_clients")        ? &in->derp_clients
                          : !strcmp(n, "coder_derp_server_clients_local")  ? &in->derp_clients_local
                          : !strcmp(n, "coder_derp_server_connections")    ? &in->derp_conns
                                                                           : NULL;
            if (dst) {
                addv(dst, v);
            }
            if (!strcmp(n, "coderd_api_concurrent_requests")) {
                in->coderd = true;
            } else if (!strncmp(n, "coder_derp_server_", 18)) {
                in->derp_seen = true;
            } else if (!strcmp(n, "coderd_provisionerd_jobs_current")) {
                in->provisioner = true;
            }
            break;
        }
        case Q_AGENT_SERIES:
            addv(&in->agent_series, v);
            break;
        case Q_PROBE:
            addv(&in->probe, v);
            break;
        case Q_PROBE_FULL:
            addv(&in->probe_full, v);
            break;
        case Q_COUNT:
            break;
        }
    }
}

static double hist_ms(const struct derive_hist *h, double q)
{
    return ms(derive_hist_quantile(h, q));
}

/* Writes the coderd figures (servers and deployment), like metrics_poll. */
static void fill_coderd(struct prom_poller *pp, struct snapshot *snap)
{
    struct deployment *d = &snap->deployment;
    struct derive_hist api, db, qwait;
    derive_hist_init(&api);
    derive_hist_init(&db);
    derive_hist_init(&qwait);
    double req = NAN, builds = NAN, failed = NAN, agent_series = NAN;
    bool any = false, db_seen = false, probe_seen = false, probe_full = false;
    bool builtin = false, builtin_known = false;
    for (size_t i = 0; i < pp->ninsts; i++) {
        struct inst *in = &pp->insts[i];
        if (!in->coderd) {
            continue;
        }
        any = true;
        size_t si = metrics_match_server(snap, in->host);
        struct server *sv = &snap->servers[si];
        sv->metrics_target = snapshot_str(snap, in->instance);
        sv->api_p50_ms = hist_ms(&in->api, 0.50);
        sv->api_p95_ms = hist_ms(&in->api, 0.95);
        sv->api_p99_ms = hist_ms(&in->api, 0.99);
        sv->requests_per_s = isnan(in->req) ? 0 : in->req;
        sv->db_query_p95_ms = in->db_seen ? hist_ms(&in->db, 0.95) : NAN;
        sv->cpu_cores = in->cpu;
        sv->derp_bytes_per_s = in->derp_seen ? (isnan(in->derp_bytes) ? 0 : in->derp_bytes) : NAN;
        sv->concurrent_requests = in->concurrent;
        sv->rss_bytes = in->rss;
        sv->open_fds = in->open_fds;
        sv->max_fds = in->max_fds;
        sv->goroutines = in->goroutines;
        sv->derp_clients =
            isnan(in->derp_clients_local) ? in->derp_clients : in->derp_clients_local;
        if (in->derp_seen) {
            /* a rate Prometheus has no sample for yet is 0, like the bytes */
            sv->derp_connections = in->derp_conns;
            sv->derp_packets_forwarded_per_s = isnan(in->derp_fwd) ? 0 : in->derp_fwd;
            sv->derp_packets_dropped_per_s = isnan(in->derp_drop) ? 0 : in->derp_drop;
            sv->derp_source = snapshot_str(snap, "metrics");
        }
        metrics_add_derp_totals(d, sv->derp_clients, sv->derp_bytes_per_s);
        derive_hist_merge(&api, &in->api);
        derive_hist_merge(&db, &in->db);
        derive_hist_merge(&qwait, &in->qwait);
        req = (isnan(req) ? 0 : req) + sv->requests_per_s;
        if (in->builds_seen) {
            builds = (isnan(builds) ? 0 : builds) + in->builds * 3600;
            failed = (isnan(failed) ? 0 : failed) +
                     (isnan(in->builds_failed) ? 0 : in->builds_failed) * 3600;
        }
        db_seen = db_seen || in->db_seen;
        if (!isnan(in->probe)) {
            bool full = in->probe_full > 0;
            probe_full = probe_seen ? (probe_full || full) : full;
            probe_seen = true;
        }
        double as = isnan(in->agent_series) ? 0 : in->agent_series;
        agent_series = isnan(agent_series) || as > agent_series ? as : agent_series;
        if (!isnan(in->num_daemons)) {
            builtin_known = true;
            builtin = builtin || in->num_daemons > 0;
        }
    }
    if (!any) {
        return;
    }
    metrics_set_deployment_flags(d, db_seen, probe_seen, probe_full, agent_series, builtin_known,
                                 builtin);
    d->api_p50_ms = hist_ms(&api, 0.50);
    d->api_p95_ms = hist_ms(&api, 0.95);
    d->api_p99_ms = hist_ms(&api, 0.99);
    d->requests_per_s = req;
    d->db_query_p95_ms = db_seen ? hist_ms(&db, 0.95) : NAN;
    d->queue_wait_p95_s = derive_hist_quantile(&qwait, 0.95);
    if (snap->provisioners.nqueues == 1) {
        snap->provisioners.queues[0].wait_p95_s = d->queue_wait_p95_s;
    }
    d->builds_total_per_h = builds;
    d->builds_failed_per_h = failed;
}

/* Writes the provisioner figures, like provmetrics_poll. */
static void fill_provisioners(struct prom_poller *pp, struct snapshot *snap)
{
    struct derive_hist all;
    derive_hist_init(&all);
    double builds = NAN, failed = NAN;
    bool any = false;
    const struct daemon **owner = xcalloc(pp->ninsts ? pp->ninsts : 1, sizeof *owner);
    for (size_t i = 0; i < pp->ninsts; i++) {
        struct inst *in = &pp->insts[i];
        if (in->coderd || !in->provisioner) {
            continue;
        }
        any = true;
        owner[i] = metrics_match_daemon(snap, in->host);
        derive_hist_merge(&all, &in->jobs);
        if (in->builds_seen) {
            builds = (isnan(builds) ? 0 : builds) + in->builds * 3600;
            failed = (isnan(failed) ? 0 : failed) +
                     (isnan(in->builds_failed) ? 0 : in->builds_failed) * 3600;
        }
    }
    if (any) {
        const struct derive_hist **hists = xcalloc(pp->ninsts ? pp->ninsts : 1, sizeof *hists);
        for (size_t i = 0; i < pp->ninsts; i++) {
            hists[i] = &pp->insts[i].jobs;
        }
        metrics_fold_builds(snap, &all, builds, failed, owner, hists, pp->ninsts);
        free(hists);
    }
    free(owner);
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void prom_poll(void *state, struct snapshot *snap, double now)
{
    struct prom_poller *pp = state;
    struct source_state *src = snapshot_add_source(snap, "prometheus", "prometheus");
    char name[HOST_MAX + 16];
    snprintf(name, sizeof name, "prometheus %s", promapi_server(pp->api));
    src->last_ok = pp->last_ok;
    if (pp->coderd_direct && pp->prov_direct) {
        src->status = SOURCE_DISABLED;
        src->reason = REASON_NOT_CONFIGURED;
        src->error = snapshot_str(snap, "not used: direct scraping is preferred (--metrics and "
                                        "--provisioner-metrics given)");
        src->hint = snapshot_str(
            snap, "drop --metrics and --provisioner-metrics to read metrics from Prometheus");
        return;
    }
    double t0 = mono_s(), deadline = t0 + pp->timeout_s;
    insts_clear(pp);
    char note[ERR_MSG_MAX] = "";
    struct promapi_result r;
    for (int q = 0; q < Q_COUNT; q++) {
        bool coderd_q = q != Q_JOBS;
        if (pp->coderd_direct && coderd_q && q != Q_BUILDS && q != Q_GAUGES && q != Q_CPU) {
            continue;
        }
        double left = deadline - mono_s();
        if (left < 0.05) {
            left = 0.05;
        }
        int rc = promapi_query(pp->api, pp->q[q], NAN, left, &r);
        if (rc != 0) {
            src->status = isnan(pp->last_ok) ? SOURCE_ERROR : SOURCE_STALE;
            src->reason = r.reason;
            src->error = snapshot_str(snap, r.error);
            src->latency_ms = (mono_s() - t0) * 1000.0;
            promapi_result_fini(&r);
            return;
        }
        if (r.error[0] && !note[0]) {
            snprintf(note, sizeof note, "warning: %s", r.error);
        }
        absorb(pp, (enum q_id)q, &r);
        promapi_result_fini(&r);
    }
    src->latency_ms = (mono_s() - t0) * 1000.0;
    if (!pp->coderd_direct) {
        fill_coderd(pp, snap);
    }
    if (!pp->prov_direct) {
        fill_provisioners(pp, snap);
    }
    src->status = SOURCE_OK;
    pp->last_ok = now;
    src->last_ok = now;
    if (pp->coderd_direct && !note[0]) {
        snprintf(note, sizeof note,
                 "coderd metrics from direct scraping (--metrics preferred); "
                 "provisioner metrics from Prometheus");
    } else if (pp->prov_direct && !note[0]) {
        snprintf(note, sizeof note,
                 "provisioner metrics from direct scraping "
                 "(--provisioner-metrics preferred); coderd metrics from "
                 "Prometheus");
    }
    if (note[0]) {
        src->error = snapshot_str(snap, note);
    }
}

static void *prom_create(const struct config *cfg)
{
    struct promapi *api = promapi_new(cfg);
    if (!api) {
        return NULL;
    }
    struct prom_poller *pp = xcalloc(1, sizeof *pp);
    pp->api = api;
    pp->timeout_s = cfg->request_timeout_s > 0 ? cfg->request_timeout_s : HTTP_DEFAULT_TIMEOUT_S;
    pp->coderd_direct = cfg->nmetrics_urls > 0;
    pp->prov_direct = cfg->nprovisioner_metrics_urls > 0;
    pp->last_ok = NAN;
    double w = cfg->prometheus_rate_window_s > 0 ? cfg->prometheus_rate_window_s : 300;
    char win[32];
    snprintf(win, sizeof win, "%.0fs", ceil(w));
    for (int q = 0; q < Q_COUNT; q++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
        pp->q[q] = xasprintf(queries[q], win);
#pragma GCC diagnostic pop
    }
    return pp;
}

static void prom_destroy(void *state)
{
    struct prom_poller *pp = state;
    if (!pp) {
        return;
    }
    insts_clear(pp);
    free(pp->insts);
    for (int q = 0; q < Q_COUNT; q++) {
        free(pp->q[q]);
    }
    promapi_free(pp->api);
    free(pp);
}

static void prom_add_disabled(struct snapshot *snap)
{
    struct source_state *s = snapshot_add_source(snap, "prometheus", "prometheus");
    s->status = SOURCE_DISABLED;
    s->reason = REASON_NOT_CONFIGURED;
    s->hint = snapshot_str(snap, "--prometheus http://PROMETHEUS:9090 (read replica and "
                                 "provisioner metrics from Prometheus instead of scraping)");
}

const struct source_ops prometheus_source_ops = {
    .kind = "prometheus",
    .create = prom_create,
    .poll = prom_poll,
    .add_disabled = prom_add_disabled,
    .destroy = prom_destroy,
};

/* ---- the range source ----------------------------------------------------- */

#define RANGE_MAX_HOSTS 256

struct promapi_range {
    struct promapi *api;
    pthread_mutex_t mu;
    char *hostname[RANGE_MAX_HOSTS], *instance[RANGE_MAX_HOSTS];
    size_t nhosts;
};

static const struct {
    const char *field;
    const char *fmt; /* %1$s: selector, %2$s: window */
} series_map[] = {
    {"api_p50_ms", ("1000 * histogram_quantile(0.5, sum by (instance, le) "
                    "(rate(coderd_api_request_latencies_seconds_bucket{%1$s}[%2$s])))")},
    {"api_p95_ms", ("1000 * histogram_quantile(0.95, sum by (instance, le) "
                    "(rate(coderd_api_request_latencies_seconds_bucket{%1$s}[%2$s])))")},
    {"api_p99_ms", ("1000 * histogram_quantile(0.99, sum by (instance, le) "
                    "(rate(coderd_api_request_latencies_seconds_bucket{%1$s}[%2$s])))")},
    {"db_query_p95_ms", ("1000 * histogram_quantile(0.95, sum by (instance, le) "
                         "(rate(coderd_db_query_latencies_seconds_bucket{%1$s}[%2$s])))")},
    {"requests_per_s", "sum by (instance) (rate(coderd_api_requests_processed_total{%1$s}[%2$s]))"},
    {"cpu_cores", "sum by (instance) (rate(process_cpu_seconds_total{%1$s}[%2$s]))"},
    {"rss_bytes", "sum by (instance) (process_resident_memory_bytes{%1$s})"},
    {"open_fds", "sum by (instance) (process_open_fds{%1$s})"},
    {"max_fds", "sum by (instance) (process_max_fds{%1$s})"},
    {"goroutines", "sum by (instance) (go_goroutines{%1$s})"},
    {"concurrent_requests", "sum by (instance) (coderd_api_concurrent_requests{%1$s})"},
    {"derp_clients", ("sum by (instance) (coder_derp_server_clients_local{%1$s}) or "
                      "sum by (instance) (coder_derp_server_clients{%1$s})")},
    {"derp_connections", "sum by (instance) (coder_derp_server_connections{%1$s})"},
    {"derp_bytes_per_s",
     ("sum by (instance) (rate(coder_derp_server_bytes_received_total{%1$s}[%2$s])) + on "
      "(instance) sum by (instance) (rate(coder_derp_server_bytes_sent_total{%1$s}[%2$s]))")},
    {"derp_packets_forwarded_per_s",
     ("sum by (instance) (rate(coder_derp_server_packets_forwarded_in_total{%1$s}[%2$s])) + on "
      "(instance) sum by (instance) "
      "(rate(coder_derp_server_packets_forwarded_out_total{%1$s}[%2$s]))")},
    {"derp_packets_dropped_per_s",
     "sum by (instance) (rate(coder_derp_server_packets_dropped_total{%1$s}[%2$s]))"},
};

int promapi_series_promql(const char *series, const char *selector, double window_s, char *buf,
                          size_t bufsz)
{
    if (strncmp(series, "server/", 7) != 0) {
        return -1;
    }
    const char *field = strrchr(series + 7, '/');
    if (!field || field == series + 7) {
        return -1;
    }
    field++;
    for (size_t i = 0; i < sizeof series_map / sizeof *series_map; i++) {
        if (strcmp(series_map[i].field, field) == 0) {
            char win[32];
            snprintf(win, sizeof win, "%.0fs", window_s < 1 ? 1 : ceil(window_s));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
            int n = snprintf(buf, bufsz, series_map[i].fmt, selector, win);
#pragma GCC diagnostic pop
            return n > 0 && (size_t)n < bufsz ? 0 : -1;
        }
    }
    return -1;
}

struct promapi_range *promapi_range_new(const struct config *cfg)
{
    struct promapi *api = promapi_new(cfg);
    if (!api) {
        return NULL;
    }
    struct promapi_range *pr = xcalloc(1, sizeof *pr);
    pr->api = api;
    pthread_mutex_init(&pr->mu, NULL);
    return pr;
}

void promapi_range_free(struct promapi_range *pr)
{
    if (!pr) {
        return;
    }
    for (size_t i = 0; i < pr->nhosts; i++) {
        free(pr->hostname[i]);
        free(pr->instance[i]);
    }
    pthread_mutex_destroy(&pr->mu);
    promapi_free(pr->api);
    free(pr);
}

void promapi_range_learn(struct promapi_range *pr, const struct snapshot *snap)
{
    pthread_mutex_lock(&pr->mu);
    for (size_t i = 0; i < snap->nservers; i++) {
        const struct server *sv = &snap->servers[i];
        if (!sv->hostname || !sv->metrics_target) {
            continue;
        }
        size_t j = 0;
        while (j < pr->nhosts && strcmp(pr->hostname[j], sv->hostname) != 0) {
            j++;
        }
        if (j == pr->nhosts) {
            if (pr->nhosts >= RANGE_MAX_HOSTS) {
                continue;
            }
            pr->hostname[j] = xstrdup(sv->hostname);
            pr->instance[j] = NULL;
            pr->nhosts++;
        }
        if (!pr->instance[j] || strcmp(pr->instance[j], sv->metrics_target) != 0) {
            free(pr->instance[j]);
            pr->instance[j] = xstrdup(sv->metrics_target);
        }
    }
    pthread_mutex_unlock(&pr->mu);
}

/* Host names and addresses only: what may go into a selector unquoted. */
static bool plain_host(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!(c == '.' || c == '-' || c == ':' || c == '_' || (c >= '0' && c <= '9') ||
              (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
            return false;
        }
    }
    return n > 0 && n < HOST_MAX;
}

/* The instance selector for the host named in series ("server/HOST/..."). */
static int selector_for(struct promapi_range *pr, const char *series, char *sel, size_t n)
{
    const char *h = series + 7;
    const char *e = strrchr(h, '/');
    size_t hl = (size_t)(e - h);
    if (!plain_host(h, hl)) {
        return -1;
    }
    char host[HOST_MAX];
    memcpy(host, h, hl);
    host[hl] = 0;
    int rc = -1;
    pthread_mutex_lock(&pr->mu);
    for (size_t i = 0; i < pr->nhosts; i++) {
        if (strcmp(pr->hostname[i], host) == 0 && pr->instance[i] &&
            plain_host(pr->instance[i], strlen(pr->instance[i]))) {
            snprintf(sel, n, "instance=\"%s\"", pr->instance[i]);
            rc = 0;
        }
    }
    pthread_mutex_unlock(&pr->mu);
    if (rc == 0) {
        return 0;
    }
    /* no replica learnt: the host itself, any port (dots escaped) */
    size_t o = (size_t)snprintf(sel, n, "instance=~\"");
    for (size_t i = 0; i < hl && o + 8 < n; i++) {
        if (host[i] == '.') {
            sel[o++] = '\\';
            sel[o++] = '\\';
        }
        sel[o++] = host[i];
    }
    snprintf(sel + o, n - o, "(:[0-9]+)?\"");
    return 0;
}

static size_t range_read(void *ctx, const char *series, double from, double to, size_t n,
                         double *out)
{
    struct promapi_range *pr = ctx;
    for (size_t i = 0; i < n; i++) {
        out[i] = NAN;
    }
    if (n == 0 || !(to > from) || strncmp(series, "server/", 7) != 0) {
        return 0;
    }
    char sel[HOST_MAX * 2 + 32], promql[1024];
    double width = (to - from) / (double)n, step = width / 2;
    if (step < 1) {
        step = 1;
    }
    double window = 2 * width > 60 ? 2 * width : 60;
    if (selector_for(pr, series, sel, sizeof sel) != 0 ||
        promapi_series_promql(series, sel, window, promql, sizeof promql) != 0) {
        return 0;
    }
    struct promapi_result r;
    /* Evaluated at the right edge of each half column, up to `to` itself: a
     * rate at t covers the window ending at t, and the newest column shows
     * the newest value (with no file, that column is all there may be). */
    if (promapi_query_range(pr->api, promql, from + step, to, step, 0, &r) != 0 || r.nseries == 0) {
        promapi_result_fini(&r);
        return 0;
    }
    double *sum = xcalloc(n, sizeof *sum), *cnt = xcalloc(n, sizeof *cnt);
    for (size_t k = 0; k < r.series[0].npts; k++) {
        const struct promapi_point *p = &r.series[0].pts[k];
        if (!isfinite(p->v) || !(p->t > from)) {
            continue;
        }
        /* columns are (left, right]; Prometheus keeps times to the ms */
        double col = ceil((p->t - from) / width - 1e-3) - 1;
        size_t i = col >= 0 ? (size_t)col : n;
        if (i < n) {
            sum[i] += p->v;
            cnt[i] += 1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (cnt[i] > 0) {
            out[i] = sum[i] / cnt[i];
        }
    }
    free(sum);
    free(cnt);
    promapi_result_fini(&r);
    return n;
}

struct series_source promapi_range_source(struct promapi_range *pr)
{
    struct series_source s = {pr, range_read};
    return s;
}
