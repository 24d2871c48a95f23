/*
 * The coderd and provisioner Prometheus pollers.
 *
 * Each configured URL is one target with its own libcurl easy handle (kept
 * for keep-alive), its own streaming parser and its own series table for
 * counter increases. A poll fetches all targets of a kind in parallel
 * through one multi handle, so the whole poll is bounded by the request
 * timeout whatever the targets do; the body is parsed in libcurl's write
 * callback as it arrives, never copied whole, and capped.
 *
 * Invariants:
 * - Rates and windowed quantiles use the increase of each series since the
 *   previous good scrape of the same target (resets handled), summed by le
 *   afterwards; after a first scrape or a failure they are unknown (NAN).
 * - A failed target yields no numbers, a source state saying why, and leaves
 *   every other target and source untouched.
 * - Strings from targets reach the snapshot only through snapshot_str.
 * - No HTTP client module existed on main when this was written, so the fetch
 *   is a small static piece here (see fetch_all).
 * - With no coderd URL configured (and no Prometheus), the coderd poller
 *   lists the coder service's endpoints in Kubernetes every few minutes
 *   (k8s_discover_metrics) and scrapes what it finds; a target that stays
 *   keeps its rate state across rediscoveries.
 */
#include "backend/metrics.h"

#include "backend/derive.h"
#include "backend/k8s.h"
#include "backend/source.h"
#include "backend/xalloc.h"

#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DEFAULT_BODY_CAP (256u * 1024 * 1024)
#define MAX_SERIES       (256 * 1024)
#define HOST_MAX         256

/* Kubernetes discovery of coderd's endpoints: how often, and how soon
 * again after a failure (seconds). */
#define DISCOVERY_PERIOD_S 180.0
#define DISCOVERY_RETRY_S  30.0

/* Windowed quantiles rest on at least QUANTILE_MIN_OBS requests, reaching
 * back over earlier scrapes (at most QUANTILE_MAX_AGE_S, like a dashboard's
 * rate(...[5m])) when the last interval was quiet; with fewer than
 * QUANTILE_FLOOR_OBS in all that time the quantile is unknown, not a guess. */
#define QUANTILE_MIN_OBS   500.0
#define QUANTILE_MAX_AGE_S 300.0
#define QUANTILE_FLOOR_OBS 200.0

enum target_kind { KIND_CODERD, KIND_PROVISIONER, KIND_PROXY };

/* What one scrape of one target yields. Increases are NAN-free sums; the
 * `rates_known` flag says whether a previous scrape existed. */
struct scrape {
    struct derive_hist api, db, qwait, jobs;
    double req_inc, cpu_inc, builds_inc, builds_failed_inc, derp_bytes_inc;
    double concurrent, rss, open_fds, max_fds, goroutines, derp_clients;
    double num_daemons, jobs_current;
    bool db_seen, probe_seen, probe_full, builds_seen, derp_seen, cpu_seen;
    /* the DERP relay beyond clients and bytes (newer builds) */
    double derp_fwd_inc, derp_drop_inc, derp_conns, derp_clients_local;
};

struct target {
    enum target_kind kind;
    char *url;
    char *proxy_name; /* KIND_PROXY given as NAME=URL; NULL: match by host */
    char host[HOST_MAX];
    char hostport[HOST_MAX];
    char *source_name;
    CURL *easy;
    struct curl_slist *headers;
    struct promtext *parser;
    struct metrics_filter_ids ids;
    struct derive_series *series;
    struct scrape acc;
    size_t body_bytes, cap;
    bool over_cap, headers_seen, feeding;
    long http_code;
    CURLcode result;
    bool done;
    struct derive_window *win_api, *win_db; /* recent increases, for quantiles */
    double prev_time;                       /* time of the previous good scrape, NAN if none */
    double last_ok;
    double dt; /* seconds since the previous good scrape (rates) */
    char errbuf[CURL_ERROR_SIZE];
};

struct poller {
    enum target_kind kind;
    struct target *targets;
    size_t ntargets;
    CURLM *multi;
    double connect_timeout_s, request_timeout_s;
    size_t body_cap;
    char *ca_file;
    bool insecure;
    /* discovery (coderd only, when no URL is configured) */
    struct k8s_client *k8s;
    char *k8s_ns;
    double next_discovery;
    char disc_error[ERR_MSG_MAX];
};

/* ---- filters ---- */

void metrics_coderd_filter(struct promtext *p, struct metrics_filter_ids *ids)
{
    static const char *const parse[] = {
        "coderd_api_request_latencies_seconds",
        "coderd_api_requests_processed_total",
        "coderd_api_concurrent_requests",
        "coderd_db_query_latencies_seconds",
        "coderd_provisioner_job_queue_wait_seconds",
        "coderd_provisionerd_num_daemons",
        "coderd_workspace_builds_total",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_max_fds",
        "go_goroutines",
        "coder_derp_server_clients",
        "coder_derp_server_bytes_received_total",
        "coder_derp_server_bytes_sent_total",
        "coder_derp_server_clients_local",
        "coder_derp_server_connections",
        "coder_derp_server_packets_forwarded_in_total",
        "coder_derp_server_packets_forwarded_out_total",
        "coder_derp_server_packets_dropped_total",
        "coderd_agentstats_connection_count", /* last: its id is the probe's */
    };
    for (size_t i = 0; i < sizeof parse / sizeof parse[0]; i++) {
        int id = promtext_filter_add(p, parse[i], false, PROMTEXT_PARSE);
        if (i == sizeof parse / sizeof parse[0] - 1) {
            ids->agentstats_probe = id;
        }
    }
    ids->agentstats = promtext_filter_add(p, "coderd_agentstats_", true, PROMTEXT_COUNT);
    ids->agent_pushed = promtext_filter_add(p, "agent_", true, PROMTEXT_COUNT);
    promtext_filter_otherwise(p, PROMTEXT_SKIP);
}

void metrics_provisioner_filter(struct promtext *p)
{
    static const char *const parse[] = {
        "coderd_provisionerd_job_timings_seconds",
        "coderd_provisionerd_jobs_current",
        "coderd_provisionerd_num_daemons",
        "coderd_workspace_builds_total",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
    };
    for (size_t i = 0; i < sizeof parse / sizeof parse[0]; i++) {
        (void)promtext_filter_add(p, parse[i], false, PROMTEXT_PARSE);
    }
    promtext_filter_otherwise(p, PROMTEXT_SKIP);
}

void metrics_proxy_filter(struct promtext *p)
{
    static const char *const parse[] = {
        "coder_derp_server_clients",
        "coder_derp_server_clients_local",
        "coder_derp_server_connections",
        "coder_derp_server_bytes_received_total",
        "coder_derp_server_bytes_sent_total",
        "coder_derp_server_packets_forwarded_in_total",
        "coder_derp_server_packets_forwarded_out_total",
        "coder_derp_server_packets_dropped_total",
    };
    for (size_t i = 0; i < sizeof parse / sizeof parse[0]; i++) {
        (void)promtext_filter_add(p, parse[i], false, PROMTEXT_PARSE);
    }
    promtext_filter_otherwise(p, PROMTEXT_SKIP);
}

int metrics_url_host(const char *url, char *host, size_t hostsz, char *hostport, size_t hpsz)
{
    const char *s = strstr(url, "://");
    s = s ? s + 3 : url;
    size_t n = strcspn(s, "/?#");
    const char *at = memchr(s, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - s);
        s = at + 1;
    }
    const char *h = s, *he;
    if (n && *s == '[') {
        h = s + 1;
        he = memchr(h, ']', n - 1);
        if (!he) {
            return -1;
        }
    } else {
        he = memchr(s, ':', n);
        if (!he) {
            he = s + n;
        }
    }
    size_t hl = (size_t)(he - h);
    if (hl == 0 || hl >= hostsz || n >= hpsz) {
        return -1;
    }
    memcpy(host, h, hl);
    host[hl] = 0;
    memcpy(hostport, s, n);
    hostport[n] = 0;
    return 0;
}

/* ---- samples ---- */

static bool eq(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n == l && memcmp(s, lit, l) == 0;
}

static const struct promtext_label *label(const struct promtext_sample *s, const char *name)
{
    for (size_t i = 0; i < s->nlabels; i++) {
        if (eq(s->labels[i].name, s->labels[i].name_len, name)) {
            return &s->labels[i];
        }
    }
    return NULL;
}

static uint64_t series_key(const struct promtext_sample *s)
{
    uint64_t h = derive_hash(s->name, s->name_len, DERIVE_HASH_SEED);
    for (size_t i = 0; i < s->nlabels; i++) {
        h = derive_hash(s->labels[i].name, s->labels[i].name_len, h);
        h = derive_hash("=", 1, h);
        h = derive_hash(s->labels[i].value, s->labels[i].value_len, h);
        h = derive_hash(",", 1, h);
    }
    return h;
}

static double increase(struct target *t, const struct promtext_sample *s)
{
    return derive_series_increase(t->series, series_key(s), s->value);
}

static void add(double *acc, double v)
{
    if (!isnan(v)) {
        *acc += v;
    }
}

static void set_gauge(double *acc, double v)
{
    *acc = isnan(*acc) ? v : *acc + v;
}

/* A histogram family: bucket increases go into h by le. */
static void hist_sample(struct target *t, const struct promtext_sample *s, size_t base_len,
                        struct derive_hist *h)
{
    const char *suf = s->name + base_len;
    size_t sl = s->name_len - base_len;
    if (eq(suf, sl, "_bucket")) {
        const struct promtext_label *le = label(s, "le");
        double bound;
        if (!le || promtext_parse_double(le->value, le->value_len, &bound) != 0) {
            return;
        }
        double inc = increase(t, s);
        derive_hist_add(h, bound, isnan(inc) ? 0 : inc);
    } else if (eq(suf, sl, "_count")) {
        add(&h->count, increase(t, s));
    }
}

/* The histogram family a sample belongs to, tolerating expositions without
 * TYPE lines (then the family is the bare name). */
static bool hist_family(const struct promtext_sample *s, const char *fam)
{
    size_t fl = strlen(fam);
    if (s->name_len < fl || memcmp(s->name, fam, fl) != 0) {
        return false;
    }
    const char *suf = s->name + fl;
    size_t sl = s->name_len - fl;
    return eq(suf, sl, "_bucket") || eq(suf, sl, "_count") || eq(suf, sl, "_sum");
}

static void on_sample(void *ud, const struct promtext_sample *s)
{
    struct target *t = ud;
    struct scrape *a = &t->acc;
    const char *n = s->name;
    size_t nl = s->name_len;

#define HIST(fam, field)                                                                           \
    if (hist_family(s, fam)) {                                                                     \
        hist_sample(t, s, sizeof(fam) - 1, &a->field);                                             \
        return;                                                                                    \
    }
    HIST("coderd_api_request_latencies_seconds", api);
    if (hist_family(s, "coderd_db_query_latencies_seconds")) {
        a->db_seen = true;
        hist_sample(t, s, sizeof("coderd_db_query_latencies_seconds") - 1, &a->db);
        return;
    }
    HIST("coderd_provisioner_job_queue_wait_seconds", qwait);
    HIST("coderd_provisionerd_job_timings_seconds", jobs);
#undef HIST
    if (eq(n, nl, "coderd_api_requests_processed_total")) {
        add(&a->req_inc, increase(t, s));
    } else if (eq(n, nl, "coderd_api_concurrent_requests")) {
        set_gauge(&a->concurrent, s->value);
    } else if (eq(n, nl, "process_cpu_seconds_total")) {
        a->cpu_seen = true;
        add(&a->cpu_inc, increase(t, s));
    } else if (eq(n, nl, "process_resident_memory_bytes")) {
        a->rss = s->value;
    } else if (eq(n, nl, "process_open_fds")) {
        a->open_fds = s->value;
    } else if (eq(n, nl, "process_max_fds")) {
        a->max_fds = s->value;
    } else if (eq(n, nl, "go_goroutines")) {
        a->goroutines = s->value;
    } else if (eq(n, nl, "coderd_provisionerd_num_daemons")) {
        set_gauge(&a->num_daemons, s->value);
    } else if (eq(n, nl, "coderd_provisionerd_jobs_current")) {
        set_gauge(&a->jobs_current, s->value);
    } else if (eq(n, nl, "coderd_workspace_builds_total")) {
        double inc = increase(t, s);
        const struct promtext_label *st = label(s, "status");
        a->builds_seen = true;
        add(&a->builds_inc, inc);
        if (st && eq(st->value, st->value_len, "failed")) {
            add(&a->builds_failed_inc, inc);
        }
    } else if (eq(n, nl, "coder_derp_server_clients")) {
        a->derp_seen = true;
        set_gauge(&a->derp_clients, s->value);
    } else if (eq(n, nl, "coder_derp_server_bytes_received_total") ||
               eq(n, nl, "coder_derp_server_bytes_sent_total")) {
        a->derp_seen = true;
        add(&a->derp_bytes_inc, increase(t, s));
    } else if (eq(n, nl, "coder_derp_server_clients_local")) {
        a->derp_seen = true;
        set_gauge(&a->derp_clients_local, s->value);
    } else if (eq(n, nl, "coder_derp_server_connections")) {
        a->derp_seen = true;
        set_gauge(&a->derp_conns, s->value);
    } else if (eq(n, nl, "coder_derp_server_packets_forwarded_in_total") ||
               eq(n, nl, "coder_derp_server_packets_forwarded_out_total")) {
        a->derp_seen = true;
        add(&a->derp_fwd_inc, increase(t, s));
    } else if (eq(n, nl, "coder_derp_server_packets_dropped_total")) {
        a->derp_seen = true;
        add(&a->derp_drop_inc, increase(t, s));
    } else if (eq(n, nl, "coderd_agentstats_connection_count")) {
        /* default aggregation keeps all four labels: full cardinality */
        bool full = label(s, "agent_name") && label(s, "template_name") && label(s, "username") &&
                    label(s, "workspace_name");
        a->probe_full = a->probe_seen ? (a->probe_full || full) : full;
        a->probe_seen = true;
    }
}

static void scrape_init(struct scrape *a)
{
    memset(a, 0, sizeof *a);
    derive_hist_init(&a->api);
    derive_hist_init(&a->db);
    derive_hist_init(&a->qwait);
    derive_hist_init(&a->jobs);
    a->concurrent = a->rss = a->open_fds = a->max_fds = a->goroutines = NAN;
    a->derp_clients = a->num_daemons = a->jobs_current = NAN;
    a->derp_conns = a->derp_clients_local = NAN;
}

/* ---- fetching ---- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct target *t = ud;
    size_t n = size * nmemb;
    if (!t->headers_seen) {
        t->headers_seen = true;
        long code = 0;
        char *ct = NULL;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_getinfo(t->easy, CURLINFO_CONTENT_TYPE, &ct);
        t->feeding = code == 200;
        promtext_set_openmetrics(t->parser, ct && strstr(ct, "application/openmetrics-text"));
    }
    if (t->body_bytes + n > t->cap) {
        t->over_cap = true;
        return 0;
    }
    t->body_bytes += n;
    if (t->feeding) {
        promtext_feed(t->parser, ptr, n);
    }
    return n;
}

static void target_setup(struct poller *pl, struct target *t)
{
    if (!t->easy) {
        t->easy = curl_easy_init();
        if (!t->easy) {
            return;
        }
    }
    CURL *e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, t->url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(pl->connect_timeout_s * 1000));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(pl->request_timeout_s * 1000));
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "gzip");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "scaletop/" SCALETOP_VERSION);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!t->headers) {
        t->headers = curl_slist_append(NULL, "Accept: text/plain;version=0.0.4;q=1,*/*;q=0.1");
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    if (pl->ca_file) {
        curl_easy_setopt(e, CURLOPT_CAINFO, pl->ca_file);
    }
    if (pl->insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    t->errbuf[0] = 0;
    t->body_bytes = 0;
    t->cap = pl->body_cap;
    t->over_cap = t->headers_seen = t->feeding = false;
    t->http_code = 0;
    t->result = CURLE_OK;
    t->done = false;
    promtext_reset(t->parser);
    scrape_init(&t->acc);
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Fetches every target in parallel; bounded by the request timeout, which
 * libcurl enforces per transfer, with a quarter second of backstop (the
 * collector's deadline for a chain of pollers is timeout x n + 1 s). */
static void fetch_all(struct poller *pl)
{
    if (!pl->multi) {
        pl->multi = curl_multi_init();
    }
    for (size_t i = 0; i < pl->ntargets; i++) {
        struct target *t = &pl->targets[i];
        target_setup(pl, t);
        if (!t->easy || curl_multi_add_handle(pl->multi, t->easy) != CURLM_OK) {
            t->result = CURLE_FAILED_INIT;
            t->done = true;
        }
    }
    double deadline = mono_s() + pl->request_timeout_s + 0.25;
    int running = 1;
    while (running && mono_s() < deadline) {
        if (curl_multi_perform(pl->multi, &running) != CURLM_OK) {
            break;
        }
        int left;
        CURLMsg *m;
        while ((m = curl_multi_info_read(pl->multi, &left))) {
            if (m->msg != CURLMSG_DONE) {
                continue;
            }
            for (size_t i = 0; i < pl->ntargets; i++) {
                struct target *t = &pl->targets[i];
                if (t->easy == m->easy_handle) {
                    t->result = m->data.result;
                    t->done = true;
                    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->http_code);
                }
            }
        }
        if (running) {
            (void)curl_multi_poll(pl->multi, NULL, 0, 200, NULL);
        }
    }
    for (size_t i = 0; i < pl->ntargets; i++) {
        struct target *t = &pl->targets[i];
        if (t->easy) {
            curl_multi_remove_handle(pl->multi, t->easy);
        }
        if (!t->done) {
            t->result = CURLE_OPERATION_TIMEDOUT;
            t->done = true;
        }
        promtext_finish(t->parser);
    }
}

/* ---- poller lifecycle ---- */

static void target_bind(struct target *t)
{
    t->parser = promtext_new(0, on_sample, t);
    if (t->kind == KIND_CODERD) {
        metrics_coderd_filter(t->parser, &t->ids);
    } else if (t->kind == KIND_PROXY) {
        metrics_proxy_filter(t->parser);
    } else {
        metrics_provisioner_filter(t->parser);
    }
}

static void target_init(struct target *t, enum target_kind kind, const char *u)
{
    memset(t, 0, sizeof *t);
    const char *sch = strstr(u, "://");
    const char *eqs = strchr(u, '=');
    if (kind == KIND_PROXY && eqs && sch && eqs < sch) {
        t->proxy_name = xstrndup(u, (size_t)(eqs - u));
        u = eqs + 1;
    }
    const char *path = strchr(sch ? sch + 3 : u, '/');
    /* coderd serves metrics on any path; default to the conventional one */
    t->url = path && path[1]
                 ? xstrdup(u)
                 : xasprintf("%s%s%s", sch ? "" : "http://", u, path ? "metrics" : "/metrics");
    if (metrics_url_host(t->url, t->host, sizeof t->host, t->hostport, sizeof t->hostport) != 0) {
        snprintf(t->host, sizeof t->host, "%s", "?");
        snprintf(t->hostport, sizeof t->hostport, "%.200s", u);
    }
    t->kind = kind;
    t->source_name =
        kind == KIND_PROXY
            ? xasprintf("proxy-metrics %s", t->proxy_name ? t->proxy_name : t->hostport)
            : xasprintf("%s %s", kind == KIND_CODERD ? "metrics" : "provisioner-metrics",
                        t->hostport);
    target_bind(t);
    t->series = derive_series_new(MAX_SERIES);
    t->win_api = xcalloc(1, sizeof *t->win_api);
    t->win_db = xcalloc(1, sizeof *t->win_db);
    t->prev_time = NAN;
    t->last_ok = NAN;
}

static void target_fini(struct target *t)
{
    if (t->easy) {
        curl_easy_cleanup(t->easy);
    }
    curl_slist_free_all(t->headers);
    promtext_free(t->parser);
    derive_series_free(t->series);
    free(t->win_api);
    free(t->win_db);
    free(t->url);
    free(t->proxy_name);
    free(t->source_name);
}

static struct poller *poller_alloc(const struct config *cfg, enum target_kind kind)
{
    struct poller *pl = xcalloc(1, sizeof *pl);
    pl->kind = kind;
    pl->connect_timeout_s = cfg->connect_timeout_s > 0 ? cfg->connect_timeout_s : 3;
    pl->request_timeout_s = cfg->request_timeout_s > 0 ? cfg->request_timeout_s : 10;
    pl->body_cap = cfg->max_body_bytes ? cfg->max_body_bytes : DEFAULT_BODY_CAP;
    pl->ca_file = xstrdup(cfg->ca_file);
    pl->insecure = cfg->insecure_skip_verify;
    return pl;
}

/* Replaces the targets with urls, keeping the state (rates, windows, the
 * connection) of every target whose URL is still there. */
static void poller_set_targets(struct poller *pl, char *const *urls, size_t nurls)
{
    struct target *nt = xcalloc(nurls ? nurls : 1, sizeof *nt);
    size_t n = 0;
    for (size_t i = 0; i < nurls; i++) {
        const char *u = urls[i];
        if (!u || !*u) {
            continue;
        }
        struct target *old = NULL;
        for (size_t j = 0; j < pl->ntargets && !old; j++) {
            if (pl->targets[j].url && strcmp(pl->targets[j].url, u) == 0) {
                old = &pl->targets[j];
            }
        }
        if (old) {
            /* the parser's callback holds the target's address: a new one */
            nt[n] = *old;
            promtext_free(nt[n].parser);
            target_bind(&nt[n]);
            memset(old, 0, sizeof *old);
        } else {
            target_init(&nt[n], pl->kind, u);
        }
        n++;
    }
    for (size_t j = 0; j < pl->ntargets; j++) {
        if (pl->targets[j].url) {
            target_fini(&pl->targets[j]);
        }
    }
    free(pl->targets);
    pl->targets = nt;
    pl->ntargets = n;
}

static struct poller *poller_new(const struct config *cfg, enum target_kind kind, char *const *urls,
                                 size_t nurls)
{
    if (nurls == 0) {
        return NULL;
    }
    struct poller *pl = poller_alloc(cfg, kind);
    poller_set_targets(pl, urls, nurls);
    return pl;
}

static void poller_free(void *state)
{
    struct poller *pl = state;
    if (!pl) {
        return;
    }
    for (size_t i = 0; i < pl->ntargets; i++) {
        target_fini(&pl->targets[i]);
    }
    if (pl->multi) {
        curl_multi_cleanup(pl->multi);
    }
    k8s_client_free(pl->k8s);
    free(pl->k8s_ns);
    free(pl->targets);
    free(pl->ca_file);
    free(pl);
}

/* Asks Kubernetes for the coder service's ready endpoints when due; a
 * failure keeps the previous targets and is retried sooner. */
static void discover(struct poller *pl, double now)
{
    if (!pl->k8s || now < pl->next_discovery) {
        return;
    }
    char **urls = NULL;
    size_t n = 0;
    struct err e = {{0}};
    if (k8s_discover_metrics(pl->k8s, pl->k8s_ns, K8S_DEFAULT_SERVICE, K8S_METRICS_PORT, &urls, &n,
                             &e) != 0) {
        snprintf(pl->disc_error, sizeof pl->disc_error, "Kubernetes discovery: %s", e.msg);
        pl->next_discovery = now + DISCOVERY_RETRY_S;
        return;
    }
    pl->disc_error[0] = 0;
    if (n == 0) {
        snprintf(pl->disc_error, sizeof pl->disc_error,
                 "Kubernetes discovery: no ready endpoints of service %s in namespace %s",
                 K8S_DEFAULT_SERVICE, pl->k8s_ns);
    }
    poller_set_targets(pl, urls, n);
    for (size_t i = 0; i < n; i++) {
        free(urls[i]);
    }
    free(urls);
    pl->next_discovery = now + (n ? DISCOVERY_PERIOD_S : DISCOVERY_RETRY_S);
}

/* Fills the source state of t; returns true when the scrape is usable. */
static bool judge(struct snapshot *snap, struct target *t, double latency_ms, double now)
{
    struct source_state *src = snapshot_add_source(snap, t->source_name,
                                                   t->kind == KIND_CODERD  ? "metrics"
                                                   : t->kind == KIND_PROXY ? "proxy-metrics"
                                                                           : "provisioner-metrics");
    const struct promtext_stats *st = promtext_stats(t->parser);
    char msg[320];
    src->latency_ms = latency_ms;
    src->last_ok = t->last_ok;
    msg[0] = 0;
    enum source_reason reason = REASON_NONE;
    if (t->over_cap) {
        reason = REASON_BAD_RESPONSE;
        snprintf(msg, sizeof msg, "body larger than the cap of %zu bytes", t->cap);
    } else if (t->result != CURLE_OK) {
        reason = t->result == CURLE_OPERATION_TIMEDOUT ? REASON_TIMEOUT
                 : t->result == CURLE_COULDNT_CONNECT || t->result == CURLE_COULDNT_RESOLVE_HOST
                     ? REASON_UNREACHABLE
                     : REASON_BAD_RESPONSE;
        snprintf(msg, sizeof msg, "%s", t->errbuf[0] ? t->errbuf : curl_easy_strerror(t->result));
    } else if (t->http_code != 200) {
        reason = t->http_code >= 500                          ? REASON_SERVER_ERROR
                 : t->http_code == 401                        ? REASON_UNAUTHORIZED
                 : t->http_code == 403 || t->http_code == 404 ? REASON_NO_PERMISSION
                 : t->http_code == 429                        ? REASON_RATE_LIMITED
                                                              : REASON_BAD_RESPONSE;
        snprintf(msg, sizeof msg, "HTTP %ld from %s", t->http_code, t->hostport);
    } else if (st->samples == 0 && st->lines - st->skipped_lines > 0 && st->errors > 0) {
        reason = REASON_BAD_RESPONSE;
        snprintf(msg, sizeof msg, "not a Prometheus exposition: %zu malformed lines (%s)",
                 st->errors, st->first_error);
    } else if (st->lines == 0) {
        reason = REASON_BAD_RESPONSE;
        snprintf(msg, sizeof msg, "empty body");
    }
    if (reason != REASON_NONE) {
        src->status = SOURCE_ERROR;
        src->reason = reason;
        src->error = snapshot_str(snap, msg);
        derive_series_abort(t->series);
        return false;
    }
    src->status = SOURCE_OK;
    if (st->errors) {
        snprintf(msg, sizeof msg, "%zu malformed lines skipped (%s)", st->errors, st->first_error);
        src->error = snapshot_str(snap, msg);
    }
    t->dt = isnan(t->prev_time) ? NAN : now - t->prev_time;
    if (!(t->dt > 0)) {
        t->dt = NAN;
    }
    t->prev_time = now;
    t->last_ok = now;
    src->last_ok = now;
    derive_series_commit(t->series);
    return true;
}

static double per_s(const struct target *t, double inc)
{
    return isnan(t->dt) ? NAN : inc / t->dt;
}

static double ms(double s)
{
    return s * 1000.0;
}

size_t metrics_match_server(struct snapshot *snap, const char *target_host)
{
    for (size_t i = 0; i < snap->nservers; i++) {
        struct server *sv = &snap->servers[i];
        char host[HOST_MAX], hp[HOST_MAX];
        const char *h = NULL;
        if (sv->metrics_target) {
            continue;
        }
        if (sv->relay_address && *sv->relay_address &&
            metrics_url_host(sv->relay_address, host, sizeof host, hp, sizeof hp) == 0) {
            h = host;
        } else {
            h = sv->hostname;
        }
        if (h && strcasecmp(h, target_host) == 0) {
            return i;
        }
    }
    struct server *sv = snapshot_add_server(snap);
    sv->hostname = snapshot_str(snap, target_host);
    return snap->nservers - 1;
}

static double hist_ms(const struct derive_hist *h, double q)
{
    return ms(derive_hist_quantile(h, q));
}

static void metrics_poll(void *state, struct snapshot *snap, double now)
{
    struct poller *pl = state;
    discover(pl, now);
    if (pl->k8s && pl->ntargets == 0) {
        struct source_state *src = snapshot_add_source(snap, "metrics", "metrics");
        src->status = SOURCE_ERROR;
        src->reason = REASON_UNREACHABLE;
        src->error = snapshot_str(snap, pl->disc_error[0] ? pl->disc_error
                                                          : "Kubernetes discovery: no endpoints");
        src->hint = snapshot_str(snap, "--metrics http://CODERD-POD:2112/metrics, or let the "
                                       "coder service's endpoints be listed");
        return;
    }
    double t0 = mono_s();
    fetch_all(pl);
    double latency_ms = (mono_s() - t0) * 1000.0;
    struct deployment *d = &snap->deployment;
    struct derive_hist api, db, qwait;
    derive_hist_init(&api);
    derive_hist_init(&db);
    derive_hist_init(&qwait);
    double req = NAN, builds = NAN, failed = NAN, agent_series = NAN;
    bool any_ok = false, db_seen = false, probe_seen = false, probe_full = false;
    bool all_rates = true, builtin = false, builtin_known = false;

    for (size_t i = 0; i < pl->ntargets; i++) {
        struct target *t = &pl->targets[i];
        if (!judge(snap, t, latency_ms, now)) {
            all_rates = false;
            continue;
        }
        any_ok = true;
        struct scrape *a = &t->acc;
        size_t si = metrics_match_server(snap, t->host);
        struct server *sv = &snap->servers[si];
        sv->metrics_target = snapshot_str(snap, t->hostport);
        bool rates = !isnan(t->dt);
        all_rates = all_rates && rates;
        if (rates) {
            struct derive_hist wapi, wdb;
            derive_window_push(t->win_api, &a->api, now);
            derive_window_push(t->win_db, &a->db, now);
            derive_window_collect(t->win_api, now, QUANTILE_MIN_OBS, QUANTILE_MAX_AGE_S,
                                  QUANTILE_FLOOR_OBS, &wapi);
            derive_window_collect(t->win_db, now, QUANTILE_MIN_OBS, QUANTILE_MAX_AGE_S,
                                  QUANTILE_FLOOR_OBS, &wdb);
            sv->api_p50_ms = hist_ms(&wapi, 0.50);
            sv->api_p95_ms = hist_ms(&wapi, 0.95);
            sv->api_p99_ms = hist_ms(&wapi, 0.99);
            sv->requests_per_s = per_s(t, a->req_inc);
            sv->db_query_p95_ms = a->db_seen ? hist_ms(&wdb, 0.95) : NAN;
            sv->cpu_cores = a->cpu_seen ? per_s(t, a->cpu_inc) : NAN;
            sv->derp_bytes_per_s = a->derp_seen ? per_s(t, a->derp_bytes_inc) : NAN;
            sv->derp_packets_forwarded_per_s = a->derp_seen ? per_s(t, a->derp_fwd_inc) : NAN;
            sv->derp_packets_dropped_per_s = a->derp_seen ? per_s(t, a->derp_drop_inc) : NAN;
            derive_hist_merge(&api, &a->api);
            derive_hist_merge(&db, &a->db);
            derive_hist_merge(&qwait, &a->qwait);
            req = (isnan(req) ? 0 : req) + sv->requests_per_s;
            if (a->builds_seen) {
                builds = (isnan(builds) ? 0 : builds) + per_s(t, a->builds_inc) * 3600;
                failed = (isnan(failed) ? 0 : failed) + per_s(t, a->builds_failed_inc) * 3600;
            }
        }
        sv->concurrent_requests = a->concurrent;
        sv->rss_bytes = a->rss;
        sv->open_fds = a->open_fds;
        sv->max_fds = a->max_fds;
        sv->goroutines = a->goroutines;
        sv->derp_clients = isnan(a->derp_clients_local) ? a->derp_clients : a->derp_clients_local;
        sv->derp_connections = a->derp_conns;
        sv->derp_source = a->derp_seen ? snapshot_str(snap, "metrics") : NULL;
        metrics_add_derp_totals(d, sv->derp_clients, sv->derp_bytes_per_s);
        db_seen = db_seen || a->db_seen;
        if (a->probe_seen) {
            probe_full = probe_seen ? (probe_full || a->probe_full) : a->probe_full;
            probe_seen = true;
        }
        double series = (double)(promtext_count(t->parser, t->ids.agentstats) +
                                 promtext_count(t->parser, t->ids.agentstats_probe) +
                                 promtext_count(t->parser, t->ids.agent_pushed));
        agent_series = isnan(agent_series) || series > agent_series ? series : agent_series;
        if (!isnan(a->num_daemons)) {
            builtin_known = true;
            builtin = builtin || a->num_daemons > 0;
        }
    }
    if (!any_ok) {
        return;
    }
    metrics_set_deployment_flags(d, db_seen, probe_seen, probe_full, agent_series, builtin_known,
                                 builtin);
    if (!all_rates) {
        return; /* a total over some replicas only would pass for the whole */
    }
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

bool metrics_daemon_serves(const struct daemon *dm, const struct queue *q)
{
    if (!dm->organization || !q->organization || strcmp(dm->organization, q->organization)) {
        return false;
    }
    for (size_t i = 0; i < q->tags.n; i++) {
        bool ok = false;
        for (size_t j = 0; j < dm->tags.n; j++) {
            if (!strcmp(q->tags.tags[i].key, dm->tags.tags[j].key) &&
                !strcmp(q->tags.tags[i].value, dm->tags.tags[j].value)) {
                ok = true;
                break;
            }
        }
        if (!ok) {
            return false;
        }
    }
    return true;
}

const struct daemon *metrics_match_daemon(const struct snapshot *snap, const char *target_host)
{
    size_t l1 = strcspn(target_host, ".");
    for (size_t i = 0; i < snap->provisioners.ndaemons; i++) {
        const struct daemon *dm = &snap->provisioners.daemons[i];
        if (!dm->name) {
            continue;
        }
        if (strcasecmp(dm->name, target_host) == 0 ||
            (strlen(dm->name) == l1 && strncasecmp(dm->name, target_host, l1) == 0)) {
            return dm;
        }
    }
    return NULL;
}

void metrics_set_deployment_flags(struct deployment *d, bool db_seen, bool probe_seen,
                                  bool probe_full, double agent_series, bool builtin_known,
                                  bool builtin)
{
    d->db_metrics_collected = db_seen ? TRI_TRUE : TRI_FALSE;
    d->agent_stats_series = agent_series;
    if (probe_seen) {
        d->agent_stats_full = probe_full ? TRI_TRUE : TRI_FALSE;
    } else {
        d->agent_stats_full = agent_series > 0 ? TRI_UNKNOWN : TRI_FALSE;
    }
    if (builtin_known && (builtin || d->builtin_provisioners == TRI_UNKNOWN)) {
        d->builtin_provisioners = builtin ? TRI_TRUE : TRI_FALSE;
    }
}

void metrics_fold_builds(struct snapshot *snap, const struct derive_hist *all, double builds_per_h,
                         double failed_per_h, const struct daemon *const *owner,
                         const struct derive_hist *const *hists, size_t n)
{
    struct deployment *d = &snap->deployment;
    bool any_matched = false;
    for (size_t i = 0; i < n; i++) {
        any_matched = any_matched || owner[i];
    }
    d->build_p95_s = derive_hist_quantile(all, 0.95);
    if (!isnan(builds_per_h)) {
        d->builds_total_per_h =
            (isnan(d->builds_total_per_h) ? 0 : d->builds_total_per_h) + builds_per_h;
        d->builds_failed_per_h =
            (isnan(d->builds_failed_per_h) ? 0 : d->builds_failed_per_h) + failed_per_h;
    }
    for (size_t qi = 0; qi < snap->provisioners.nqueues; qi++) {
        struct queue *q = &snap->provisioners.queues[qi];
        if (!any_matched) {
            if (snap->provisioners.nqueues == 1) {
                q->build_p95_s = d->build_p95_s;
            }
            continue;
        }
        struct derive_hist h;
        derive_hist_init(&h);
        bool some = false;
        for (size_t i = 0; i < n; i++) {
            if (owner[i] && hists[i] && metrics_daemon_serves(owner[i], q)) {
                derive_hist_merge(&h, hists[i]);
                some = true;
            }
        }
        if (some) {
            q->build_p95_s = derive_hist_quantile(&h, 0.95);
        }
    }
}

static void provmetrics_poll(void *state, struct snapshot *snap, double now)
{
    struct poller *pl = state;
    double t0 = mono_s();
    fetch_all(pl);
    double latency_ms = (mono_s() - t0) * 1000.0;
    struct derive_hist all;
    derive_hist_init(&all);
    double builds = NAN, failed = NAN;
    bool all_rates = true, any_ok = false;
    const struct daemon **owner = xcalloc(pl->ntargets, sizeof *owner);
    bool *usable = xcalloc(pl->ntargets, sizeof *usable);

    for (size_t i = 0; i < pl->ntargets; i++) {
        struct target *t = &pl->targets[i];
        if (!judge(snap, t, latency_ms, now)) {
            all_rates = false;
            continue;
        }
        any_ok = true;
        if (isnan(t->dt)) {
            all_rates = false;
            continue;
        }
        usable[i] = true;
        owner[i] = metrics_match_daemon(snap, t->host);
        derive_hist_merge(&all, &t->acc.jobs);
        if (t->acc.builds_seen) {
            builds = (isnan(builds) ? 0 : builds) + per_s(t, t->acc.builds_inc) * 3600;
            failed = (isnan(failed) ? 0 : failed) + per_s(t, t->acc.builds_failed_inc) * 3600;
        }
    }
    if (any_ok && all_rates) {
        const struct derive_hist **hists = xcalloc(pl->ntargets ? pl->ntargets : 1, sizeof *hists);
        for (size_t i = 0; i < pl->ntargets; i++) {
            if (usable[i]) {
                hists[i] = &pl->targets[i].acc.jobs;
            } else {
                owner[i] = NULL;
            }
        }
        metrics_fold_builds(snap, &all, builds, failed, owner, hists, pl->ntargets);
        free(hists);
    }
    free(owner);
    free(usable);
}

static void *metrics_create(const struct config *cfg)
{
    if (cfg->nmetrics_urls > 0) {
        return poller_new(cfg, KIND_CODERD, cfg->metrics_urls, cfg->nmetrics_urls);
    }
    /* No URL: discover the endpoints in Kubernetes, unless Prometheus is
     * configured to serve these metrics. */
    if (cfg->prometheus_url || (!cfg->kubeconfig && !cfg->k8s_in_cluster)) {
        return NULL;
    }
    struct k8s_client *kc = NULL;
    struct err e = {{0}};
    if (k8s_client_open(cfg, &kc, &e) != 1) {
        return NULL; /* the kubernetes source reports a broken configuration */
    }
    struct poller *pl = poller_alloc(cfg, KIND_CODERD);
    pl->k8s = kc;
    pl->k8s_ns = xstrdup(cfg->k8s_namespace && *cfg->k8s_namespace ? cfg->k8s_namespace : "coder");
    pl->targets = xcalloc(1, sizeof *pl->targets);
    return pl;
}

static void *provmetrics_create(const struct config *cfg)
{
    return poller_new(cfg, KIND_PROVISIONER, cfg->provisioner_metrics_urls,
                      cfg->nprovisioner_metrics_urls);
}

static void metrics_add_disabled(struct snapshot *snap)
{
    struct source_state *s = snapshot_add_source(snap, "metrics", "metrics");
    s->status = SOURCE_DISABLED;
    s->reason = REASON_NOT_CONFIGURED;
    s->hint = snapshot_str(snap, "--metrics http://CODERD-POD:2112/metrics (one per replica; "
                                 "coderd needs CODER_PROMETHEUS_ENABLE=true)");
}

static void provmetrics_add_disabled(struct snapshot *snap)
{
    struct source_state *s =
        snapshot_add_source(snap, "provisioner-metrics", "provisioner-metrics");
    s->status = SOURCE_DISABLED;
    s->reason = REASON_NOT_CONFIGURED;
    s->hint = snapshot_str(snap, "--provisioner-metrics http://PROVISIONER-POD:2112/metrics "
                                 "(coder provisioner start --prometheus-enable)");
}

const struct source_ops metrics_source_ops = {
    .kind = "metrics",
    .create = metrics_create,
    .poll = metrics_poll,
    .add_disabled = metrics_add_disabled,
    .destroy = poller_free,
};

const struct source_ops provmetrics_source_ops = {
    .kind = "provisioner-metrics",
    .create = provmetrics_create,
    .poll = provmetrics_poll,
    .add_disabled = provmetrics_add_disabled,
    .destroy = poller_free,
};

void metrics_add_derp_totals(struct deployment *d, double clients, double bytes_per_s)
{
    if (!isnan(clients)) {
        d->derp_clients = (isnan(d->derp_clients) ? 0 : d->derp_clients) + clients;
    }
    if (!isnan(bytes_per_s)) {
        d->derp_bytes_per_s = (isnan(d->derp_bytes_per_s) ? 0 : d->derp_bytes_per_s) + bytes_per_s;
    }
}

/* Each configured proxy target's relay figures onto its proxy: by NAME=
 * when given, else by the host of the proxy's URL; an unmatched target
 * becomes its own entry, like a coderd target matching no replica. */
static void proxymetrics_poll(void *state, struct snapshot *snap, double now)
{
    struct poller *pl = state;
    double t0 = mono_s();
    fetch_all(pl);
    double latency_ms = (mono_s() - t0) * 1000.0;
    for (size_t i = 0; i < pl->ntargets; i++) {
        struct target *t = &pl->targets[i];
        if (!judge(snap, t, latency_ms, now)) {
            continue;
        }
        struct proxy *x = NULL;
        for (size_t j = 0; j < snap->nproxies && !x; j++) {
            struct proxy *p = &snap->proxies[j];
            char host[HOST_MAX], hp[HOST_MAX];
            if (p->primary || p->metrics_target) {
                continue;
            }
            if (t->proxy_name
                    ? p->name && strcmp(p->name, t->proxy_name) == 0
                    : p->url && metrics_url_host(p->url, host, sizeof host, hp, sizeof hp) == 0 &&
                          strcasecmp(host, t->host) == 0) {
                x = p;
            }
        }
        if (!x) {
            x = snapshot_add_proxy(snap);
            x->name = snapshot_str(snap, t->proxy_name ? t->proxy_name : t->host);
        }
        struct scrape *a = &t->acc;
        x->metrics_target = snapshot_str(snap, t->hostport);
        if (!a->derp_seen) {
            continue; /* a proxy started with --derp-server-enable=false, or not a proxy */
        }
        x->derp_clients = isnan(a->derp_clients_local) ? a->derp_clients : a->derp_clients_local;
        x->derp_connections = a->derp_conns;
        x->derp_bytes_per_s = per_s(t, a->derp_bytes_inc);
        x->derp_packets_forwarded_per_s = per_s(t, a->derp_fwd_inc);
        x->derp_packets_dropped_per_s = per_s(t, a->derp_drop_inc);
        metrics_add_derp_totals(&snap->deployment, x->derp_clients, x->derp_bytes_per_s);
    }
}

static void *proxymetrics_create(const struct config *cfg)
{
    return poller_new(cfg, KIND_PROXY, cfg->proxy_metrics_urls, cfg->nproxy_metrics_urls);
}

static void proxymetrics_add_disabled(struct snapshot *snap)
{
    struct source_state *s = snapshot_add_source(snap, "proxy-metrics", "proxy-metrics");
    s->status = SOURCE_DISABLED;
    s->reason = REASON_NOT_CONFIGURED;
    s->hint = snapshot_str(snap, "--proxy-metrics NAME=http://PROXY-POD:2112/metrics (relay load "
                                 "of each proxy; coder wsproxy server --prometheus-enable)");
}

const struct source_ops proxymetrics_source_ops = {
    .kind = "proxy-metrics",
    .create = proxymetrics_create,
    .poll = proxymetrics_poll,
    .add_disabled = proxymetrics_add_disabled,
    .destroy = poller_free,
};
