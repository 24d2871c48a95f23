/* backend/promapi: the query API's JSON responses (hand-written), the
 * series mapping, the fallback combinator, and the poller against a real
 * loopback server (answers, error envelopes, warnings, timeouts). */
#include "backend/promapi.h"
#include "backend/series.h"
#include "backend/store.h"
#include "backend/store_views.h"
#include "tests/lib/loopsrv.h"
#include "tests/lib/test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int parse(const char *body, long status, struct promapi_result *r)
{
    return promapi_parse(body, strlen(body), status, r);
}

TEST(parse_vector)
{
    struct promapi_result r;
    const char *b =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
        "{\"metric\":{\"instance\":\"10.0.0.1:2112\",\"le\":\"0.5\"},"
        "\"value\":[1700000000.5,\"12.25\"]},"
        "{\"metric\":{\"instance\":\"10.0.0.2:2112\"},\"value\":[1700000000.5,\"NaN\"]},"
        "{\"metric\":{},\"value\":[1700000000.5,\"+Inf\"]}]}}";
    CHECK_INT(parse(b, 200, &r), 0);
    CHECK(r.ok);
    CHECK_STR(r.result_type, "vector");
    CHECK_STR(r.error, "");
    CHECK_INT(r.nseries, 3);
    CHECK_STR(promapi_label(&r.series[0], "instance"), "10.0.0.1:2112");
    CHECK_STR(promapi_label(&r.series[0], "le"), "0.5");
    CHECK(promapi_label(&r.series[0], "job") == NULL);
    CHECK_INT(r.series[0].npts, 1);
    CHECK_NEAR(r.series[0].pts[0].t, 1700000000.5, 1e-6);
    CHECK_NEAR(r.series[0].pts[0].v, 12.25, 0);
    CHECK(isnan(r.series[1].pts[0].v));
    CHECK(isinf(r.series[2].pts[0].v));
    promapi_result_fini(&r);
}

TEST(parse_matrix)
{
    struct promapi_result r;
    const char *b = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
                    "{\"metric\":{\"instance\":\"a:1\"},\"values\":[[100,\"1\"],[115,\"2\"],"
                    "[130,\"4.5\"]]},{\"metric\":{\"instance\":\"b:1\"},\"values\":[]}]}}";
    CHECK_INT(parse(b, 200, &r), 0);
    CHECK_STR(r.result_type, "matrix");
    CHECK_INT(r.nseries, 2);
    CHECK_INT(r.series[0].npts, 3);
    CHECK_NEAR(r.series[0].pts[2].t, 130, 0);
    CHECK_NEAR(r.series[0].pts[2].v, 4.5, 0);
    CHECK_INT(r.series[1].npts, 0);
    promapi_result_fini(&r);
}

TEST(parse_scalar)
{
    struct promapi_result r;
    CHECK_INT(parse("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\","
                    "\"result\":[5,\"42\"]}}",
                    200, &r),
              0);
    CHECK_INT(r.nseries, 1);
    CHECK_NEAR(r.series[0].pts[0].v, 42, 0);
    promapi_result_fini(&r);
}

TEST(parse_error_envelopes)
{
    struct promapi_result r;
    CHECK_INT(parse("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"1:5: parse "
                    "error: unexpected right parenthesis ')'\"}",
                    400, &r),
              -1);
    CHECK(!r.ok);
    CHECK_INT(r.reason, REASON_BAD_RESPONSE);
    CHECK_STR(r.error_type, "bad_data");
    CHECK_STR(r.error, "bad_data: 1:5: parse error: unexpected right parenthesis ')'");
    promapi_result_fini(&r);

    CHECK_INT(parse("{\"status\":\"error\",\"errorType\":\"timeout\",\"error\":\"query timed "
                    "out in expression evaluation\"}",
                    503, &r),
              -1);
    CHECK_INT(r.reason, REASON_TIMEOUT);
    CHECK(strstr(r.error, "timeout: query timed out") == r.error);
    promapi_result_fini(&r);

    CHECK_INT(parse("{\"status\":\"error\",\"errorType\":\"execution\",\"error\":\"many-to-"
                    "many matching not allowed\"}",
                    422, &r),
              -1);
    CHECK_INT(r.reason, REASON_BAD_RESPONSE);
    promapi_result_fini(&r);

    CHECK_INT(
        parse("{\"status\":\"error\",\"errorType\":\"unavailable\",\"error\":\"x\"}", 503, &r), -1);
    CHECK_INT(r.reason, REASON_SERVER_ERROR);
    promapi_result_fini(&r);
}

TEST(parse_warnings_keep_ok)
{
    struct promapi_result r;
    const char *b = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]},"
                    "\"warnings\":[\"partial response: store eu-1 unreachable\",\"second\"]}";
    CHECK_INT(parse(b, 200, &r), 0);
    CHECK(r.ok);
    CHECK_INT(r.nseries, 0);
    CHECK_STR(r.error, "partial response: store eu-1 unreachable; second");
    promapi_result_fini(&r);
}

TEST(parse_not_prometheus)
{
    struct promapi_result r;
    CHECK_INT(parse("<html>Bad Gateway</html>", 502, &r), -1);
    CHECK_INT(r.reason, REASON_SERVER_ERROR);
    CHECK_STR(r.error, "HTTP 502");
    promapi_result_fini(&r);
    CHECK_INT(parse("unauthorized", 401, &r), -1);
    CHECK_INT(r.reason, REASON_UNAUTHORIZED);
    promapi_result_fini(&r);
    CHECK_INT(parse("{\"hello\":1}", 200, &r), -1);
    CHECK_INT(r.reason, REASON_BAD_RESPONSE);
    promapi_result_fini(&r);
    CHECK_INT(parse("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
                    "[{\"metric\":{},\"value\":[1,2]}]}}",
                    200, &r),
              -1);
    CHECK_INT(r.reason, REASON_BAD_RESPONSE);
    promapi_result_fini(&r);
    CHECK_INT(promapi_parse("", 0, 200, &r), -1);
    promapi_result_fini(&r);
}

TEST(series_promql_mapping)
{
    char q[512];
    CHECK_INT(
        promapi_series_promql("server/coder-1/api_p95_ms", "instance=\"a:1\"", 60, q, sizeof q), 0);
    CHECK_STR(q, "1000 * histogram_quantile(0.95, sum by (instance, le) "
                 "(rate(coderd_api_request_latencies_seconds_bucket{instance=\"a:1\"}[60s])))");
    CHECK_INT(
        promapi_series_promql("server/coder-1/cpu_cores", "instance=\"a:1\"", 30.2, q, sizeof q),
        0);
    CHECK_STR(q, "sum by (instance) (rate(process_cpu_seconds_total{instance=\"a:1\"}[31s]))");
    /* the replica's own database ping is not a Prometheus metric */
    CHECK_INT(promapi_series_promql("server/coder-1/db_latency_ms", "", 60, q, sizeof q), -1);
    /* the relay's bytes: both counters, each in its own rate() (a regex over
     * names inside rate() gives duplicate label sets) */
    CHECK_INT(promapi_series_promql("server/coder-1/derp_bytes_per_s", "instance=\"a:1\"", 60, q,
                                    sizeof q),
              0);
    CHECK_STR(q, "sum by (instance) (rate(coder_derp_server_bytes_received_total{instance=\"a:1\"}"
                 "[60s])) + on (instance) sum by (instance) "
                 "(rate(coder_derp_server_bytes_sent_total{instance=\"a:1\"}[60s]))");
    CHECK_INT(promapi_series_promql("queue/coder//pending", "", 60, q, sizeof q), -1);
    CHECK_INT(promapi_series_promql("server/api_p95_ms", "", 60, q, sizeof q), -1);
}

/* ---- the fallback combinator ---- */

/* A "store" with values from column 6 on, and a gap at column 8. */
static size_t local_range(void *ctx, const char *series, double from, double to, size_t n,
                          double *out)
{
    (void)ctx;
    (void)from;
    (void)to;
    if (strcmp(series, "server/a/api_p95_ms") != 0) {
        for (size_t i = 0; i < n; i++) {
            out[i] = NAN;
        }
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = i >= 6 && i != 8 ? 100.0 + (double)i : NAN;
    }
    return n;
}

/* "Prometheus": values everywhere but column 0. */
static size_t remote_range(void *ctx, const char *series, double from, double to, size_t n,
                           double *out)
{
    int *calls = ctx;
    (*calls)++;
    (void)series;
    (void)from;
    (void)to;
    for (size_t i = 0; i < n; i++) {
        out[i] = i == 0 ? NAN : 1.0 + (double)i;
    }
    return n;
}

static size_t full_range(void *ctx, const char *series, double from, double to, size_t n,
                         double *out)
{
    (void)ctx;
    (void)series;
    (void)from;
    (void)to;
    for (size_t i = 0; i < n; i++) {
        out[i] = 7;
    }
    return n;
}

TEST(fallback_fills_only_older_columns)
{
    int calls = 0;
    struct series_source local = {NULL, local_range}, remote = {&calls, remote_range};
    struct series_source *fb = series_source_fallback(&local, &remote);
    double v[10];
    enum series_origin o;
    size_t nremote = 99;
    CHECK_INT(series_range_origin(fb, "server/a/api_p95_ms", 0, 100, 10, v, &o, &nremote), 10);
    CHECK_INT(o, SERIES_ORIGIN_MIXED);
    CHECK_INT(nremote, 5); /* columns 1..5; column 0 is empty in both */
    CHECK(isnan(v[0]));
    CHECK_NEAR(v[1], 2, 0);
    CHECK_NEAR(v[5], 6, 0);
    CHECK_NEAR(v[6], 106, 0);
    CHECK(isnan(v[8])); /* a gap the store recorded stays a gap */
    CHECK_STR(series_origin_name(o), "local+prometheus");

    /* a series the store never had: all from the secondary */
    CHECK_INT(fb->range(fb->ctx, "server/b/api_p95_ms", 0, 100, 10, v), 10);
    CHECK_INT(series_source_origin(fb), SERIES_ORIGIN_REMOTE);
    CHECK_NEAR(v[9], 10, 0);

    /* local data from the first column: the secondary is not asked */
    calls = 0;
    struct series_source full = {NULL, full_range};
    struct series_source *fb2 = series_source_fallback(&full, &remote);
    CHECK_INT(series_range_origin(fb2, "x", 0, 100, 10, v, &o, NULL), 10);
    CHECK_INT(calls, 0);
    CHECK_INT(o, SERIES_ORIGIN_LOCAL);
    series_source_fallback_free(fb2);

    /* a plain source reports local */
    CHECK_INT(series_range_origin(&local, "server/a/api_p95_ms", 0, 100, 10, v, &o, NULL), 10);
    CHECK_INT(o, SERIES_ORIGIN_LOCAL);
    CHECK_INT(series_range_origin(&local, "nope", 0, 100, 10, v, &o, NULL), 0);
    CHECK_INT(o, SERIES_ORIGIN_NONE);
    series_source_fallback_free(fb);
}

/* ---- the poller against a loopback server ---- */

struct fake {
    const char *mode; /* "good", "bad_data", "warn" */
};

static const char *vec(const char *items)
{
    static char buf[4096];
    snprintf(buf, sizeof buf,
             "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[%s]}}",
             items);
    return buf;
}

static void fake_fn(void *ctx, const struct loopsrv_req *rq, struct loopsrv_resp *out)
{
    struct fake *f = ctx;
    out->status = 200;
    out->content_type = "application/json";
    if (strcmp(f->mode, "bad_data") == 0) {
        out->status = 400;
        out->body = "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid "
                    "parameter \\\"query\\\": 1:1: parse error\"}";
        return;
    }
    if (strcmp(f->mode, "warn") == 0) {
        out->body = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]},"
                    "\"warnings\":[\"partial response: 1 of 3 stores down\"]}";
        return;
    }
    const char *q = rq->query;
    if (strstr(q, "coderd_api_request_latencies_seconds_bucket")) {
        /* 100 req/s in (0.01, 0.05], none slower: p95 = 10 + 40 * 0.95 ms */
        out->body = vec("{\"metric\":{\"instance\":\"127.0.0.1:9100\",\"le\":\"0.01\"},"
                        "\"value\":[1,\"0\"]},"
                        "{\"metric\":{\"instance\":\"127.0.0.1:9100\",\"le\":\"0.05\"},"
                        "\"value\":[1,\"100\"]},"
                        "{\"metric\":{\"instance\":\"127.0.0.1:9100\",\"le\":\"+Inf\"},"
                        "\"value\":[1,\"100\"]}");
    } else if (strstr(q, "coderd_api_requests_processed_total")) {
        out->body = vec("{\"metric\":{\"instance\":\"127.0.0.1:9100\"},\"value\":[1,\"100\"]}");
    } else if (strstr(q, "process_cpu_seconds_total")) {
        out->body = vec("{\"metric\":{\"instance\":\"127.0.0.1:9100\"},\"value\":[1,\"1.5\"]},"
                        "{\"metric\":{\"instance\":\"10.9.9.9:2112\"},\"value\":[1,\"0.25\"]}");
    } else if (strstr(q, "process_resident_memory_bytes")) {
        out->body = vec("{\"metric\":{\"__name__\":\"process_resident_memory_bytes\","
                        "\"instance\":\"127.0.0.1:9100\"},\"value\":[1,\"2048\"]},"
                        "{\"metric\":{\"__name__\":\"process_open_fds\","
                        "\"instance\":\"127.0.0.1:9100\"},\"value\":[1,\"77\"]}");
    } else {
        out->body = vec("");
    }
}

static char url_buf[128];

static void cfg_for(struct config *cfg, const char *url)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->connect_timeout_s = 1;
    cfg->request_timeout_s = 2;
    snprintf(url_buf, sizeof url_buf, "%s", url);
    cfg->prometheus_url = url_buf;
}

static struct snapshot *poll_once(const struct config *cfg, const struct source_state **src)
{
    void *st = prometheus_source_ops.create(cfg);
    CHECK(st != NULL);
    struct snapshot *snap = snapshot_new(1000);
    struct server *sv = snapshot_add_server(snap);
    sv->hostname = snapshot_str(snap, "coder-1");
    sv->relay_address = snapshot_str(snap, "http://127.0.0.1:8080");
    prometheus_source_ops.poll(st, snap, 1000);
    prometheus_source_ops.destroy(st);
    *src = NULL;
    for (size_t i = 0; i < snap->nsources; i++) {
        if (strcmp(snap->sources[i].kind, "prometheus") == 0) {
            *src = &snap->sources[i];
        }
    }
    CHECK(*src != NULL);
    return snap;
}

TEST(poller_fills_replica_fields)
{
    struct fake f = {"good"};
    struct loopsrv *s = loopsrv_start(fake_fn, &f);
    CHECK(s != NULL);
    struct config cfg;
    cfg_for(&cfg, loopsrv_url(s));
    const struct source_state *src;
    struct snapshot *snap = poll_once(&cfg, &src);
    CHECK_INT(src->status, SOURCE_OK);
    CHECK(src->error == NULL);
    /* the instance joined the replica by host, like direct scraping; the
     * instance with only process metrics (not coderd) added no server */
    CHECK_INT(snap->nservers, 1);
    CHECK_STR(snap->servers[0].metrics_target, "127.0.0.1:9100");
    CHECK_NEAR(snap->servers[0].api_p95_ms, 48.0, 1e-9);
    CHECK_NEAR(snap->servers[0].api_p50_ms, 30.0, 1e-9);
    CHECK_NEAR(snap->servers[0].requests_per_s, 100, 0);
    CHECK_NEAR(snap->servers[0].cpu_cores, 1.5, 0);
    CHECK_NEAR(snap->servers[0].rss_bytes, 2048, 0);
    CHECK_NEAR(snap->servers[0].open_fds, 77, 0);
    CHECK(isnan(snap->servers[0].db_query_p95_ms));
    CHECK_NEAR(snap->deployment.api_p95_ms, 48.0, 1e-9);
    CHECK_NEAR(snap->deployment.requests_per_s, 100, 0);
    CHECK_INT(snap->deployment.db_metrics_collected, TRI_FALSE);
    snapshot_unref(snap);
    /* one query per figure family, each an instant query with a timeout */
    CHECK(loopsrv_count(s) >= 10);
    struct loopsrv_req rq;
    CHECK_INT(loopsrv_get(s, 0, &rq), 0);
    CHECK_STR(rq.path, "/api/v1/query");
    CHECK(strstr(rq.query, "timeout=") != NULL);
    loopsrv_stop(s);
}

TEST(poller_bad_data_is_a_status)
{
    struct fake f = {"bad_data"};
    struct loopsrv *s = loopsrv_start(fake_fn, &f);
    struct config cfg;
    cfg_for(&cfg, loopsrv_url(s));
    const struct source_state *src;
    struct snapshot *snap = poll_once(&cfg, &src);
    CHECK_INT(src->status, SOURCE_ERROR);
    CHECK_INT(src->reason, REASON_BAD_RESPONSE);
    CHECK_STR(src->error, "bad_data: invalid parameter \"query\": 1:1: parse error");
    CHECK(isnan(snap->servers[0].api_p95_ms));
    CHECK(snap->servers[0].metrics_target == NULL);
    /* stops at the first failing query */
    CHECK_INT(loopsrv_count(s), 1);
    snapshot_unref(snap);
    loopsrv_stop(s);
}

TEST(poller_warnings_keep_ok)
{
    struct fake f = {"warn"};
    struct loopsrv *s = loopsrv_start(fake_fn, &f);
    struct config cfg;
    cfg_for(&cfg, loopsrv_url(s));
    const struct source_state *src;
    struct snapshot *snap = poll_once(&cfg, &src);
    CHECK_INT(src->status, SOURCE_OK);
    CHECK_STR(src->error, "warning: partial response: 1 of 3 stores down");
    snapshot_unref(snap);
    loopsrv_stop(s);
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

TEST(poller_timeout_and_unreachable)
{
    unsigned port;
    int fd = loopsrv_silent(&port);
    CHECK(fd >= 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
    struct config cfg;
    cfg_for(&cfg, url);
    cfg.request_timeout_s = 0.5;
    const struct source_state *src;
    double t0 = mono();
    struct snapshot *snap = poll_once(&cfg, &src);
    /* the whole poll is bounded by the request timeout, not one per query */
    CHECK(mono() - t0 < 3.0);
    CHECK_INT(src->status, SOURCE_ERROR);
    CHECK_INT(src->reason, REASON_TIMEOUT);
    snapshot_unref(snap);
    close(fd);

    /* a port nobody listens on (the silent one, now closed) */
    snap = poll_once(&cfg, &src);
    CHECK_INT(src->status, SOURCE_ERROR);
    CHECK_INT(src->reason, REASON_UNREACHABLE);
    CHECK(strstr(src->error, url + 7) != NULL);
    snapshot_unref(snap);
}

TEST(poller_prefers_direct)
{
    struct fake f = {"good"};
    struct loopsrv *s = loopsrv_start(fake_fn, &f);
    struct config cfg;
    cfg_for(&cfg, loopsrv_url(s));
    char m[] = "http://127.0.0.1:1/metrics";
    cfg.metrics_urls[0] = m;
    cfg.nmetrics_urls = 1;
    cfg.provisioner_metrics_urls[0] = m;
    cfg.nprovisioner_metrics_urls = 1;
    const struct source_state *src;
    struct snapshot *snap = poll_once(&cfg, &src);
    CHECK_INT(src->status, SOURCE_DISABLED);
    CHECK(strstr(src->error, "direct scraping is preferred") != NULL);
    CHECK_INT(loopsrv_count(s), 0);
    snapshot_unref(snap);

    /* only coderd direct: provisioner figures from Prometheus, said so */
    cfg.nprovisioner_metrics_urls = 0;
    snap = poll_once(&cfg, &src);
    CHECK_INT(src->status, SOURCE_OK);
    CHECK(strstr(src->error, "coderd metrics from direct scraping") != NULL);
    CHECK(snap->servers[0].metrics_target == NULL); /* left to the metrics poller */
    snapshot_unref(snap);
    loopsrv_stop(s);
}

/* ---- the range source over loopback ---- */

static void range_fn(void *ctx, const struct loopsrv_req *rq, struct loopsrv_resp *out)
{
    (void)ctx;
    out->status = 200;
    out->content_type = "application/json";
    if (strcmp(rq->path, "/api/v1/query_range") != 0 ||
        !strstr(rq->query, "instance=\"127.0.0.1:9100\"")) {
        out->body = vec("");
        return;
    }
    /* points at 1005, 1015, ... 1055 (step 10 over [1000, 1100], 5 columns of 20 s) */
    out->body = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{"
                "\"metric\":{\"instance\":\"127.0.0.1:9100\"},\"values\":[[1005,\"1\"],"
                "[1015,\"3\"],[1025,\"5\"],[1035,\"7\"],[1045,\"NaN\"],[1055,\"9\"]]}]}}";
}

TEST(range_source_columns)
{
    struct loopsrv *s = loopsrv_start(range_fn, NULL);
    struct config cfg;
    cfg_for(&cfg, loopsrv_url(s));
    struct promapi_range *pr = promapi_range_new(&cfg);
    CHECK(pr != NULL);
    struct snapshot *snap = snapshot_new(1000);
    struct server *sv = snapshot_add_server(snap);
    sv->hostname = snapshot_str(snap, "coder-1");
    sv->metrics_target = snapshot_str(snap, "127.0.0.1:9100");
    promapi_range_learn(pr, snap);
    snapshot_unref(snap);
    struct series_source src = promapi_range_source(pr);
    double v[5];
    CHECK_INT(src.range(src.ctx, "server/coder-1/api_p95_ms", 1000, 1100, 5, v), 5);
    CHECK_NEAR(v[0], 2, 0); /* mean of the two points in the column */
    CHECK_NEAR(v[1], 6, 0);
    CHECK_NEAR(v[2], 9, 0); /* NaN points are skipped */
    CHECK(isnan(v[3]));
    struct loopsrv_req rq;
    CHECK_INT(loopsrv_get(s, 0, &rq), 0);
    CHECK(strstr(rq.query, "step=10.000") != NULL);
    /* not in Prometheus: no request, no points */
    size_t before = loopsrv_count(s);
    CHECK_INT(src.range(src.ctx, "server/coder-1/db_latency_ms", 1000, 1100, 5, v), 0);
    CHECK_INT(loopsrv_count(s), before);
    /* an unknown host: a selector by host, any port */
    CHECK_INT(src.range(src.ctx, "server/10.1.2.3/cpu_cores", 1000, 1100, 5, v), 0);
    CHECK_INT(loopsrv_get(s, loopsrv_count(s) - 1, &rq), 0);
    CHECK(strstr(rq.query, "instance=~\"10\\\\.1\\\\.2\\\\.3(:[0-9]+)?\"") != NULL);
    promapi_range_free(pr);
    loopsrv_stop(s);
}

/* ---- live: a real Prometheus (tests/integration/prometheus.sh) ---- */

/* History older than the local file comes from Prometheus: the script runs
 * this case with SCALETOP_TEST_PROMETHEUS (a Prometheus that has scraped the
 * simulator for a while) and SCALETOP_TEST_INSTANCE (one replica's metrics
 * host:port); without them there is nothing to run against. */
TEST(live_range_fills_history_older_than_the_file)
{
    const char *url = getenv("SCALETOP_TEST_PROMETHEUS");
    const char *inst = getenv("SCALETOP_TEST_INSTANCE");
    if (!url || !inst) {
        return;
    }
    char dir[] = "/tmp/scaletop-promrange.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/h.db", dir);
    struct err e = {{0}};
    struct store *st = store_open(path, STORE_RECORD, NULL, &e);
    CHECK(st != NULL);
    if (!st) {
        return;
    }
    /* the local file holds only the last 9 seconds, with values Prometheus
     * cannot have (5 s p95, 77 cores) */
    double now = floor((double)time(NULL));
    struct snapshot *last = NULL;
    for (int i = 0; i < 10; i++) {
        struct snapshot *s = snapshot_new(now - 9 + i);
        struct server *sv = snapshot_add_server(s);
        sv->hostname = snapshot_str(s, "coder-live");
        sv->metrics_target = snapshot_str(s, inst);
        sv->api_p95_ms = 5000;
        sv->cpu_cores = 77;
        CHECK_INT(store_append(st, s, &e), 0);
        if (last) {
            snapshot_unref(last);
        }
        last = s;
    }
    struct config cfg;
    cfg_for(&cfg, url);
    struct promapi_range *pr = promapi_range_new(&cfg);
    promapi_range_learn(pr, last);
    snapshot_unref(last);
    struct series_source local = store_series_source(st);
    struct series_source remote = promapi_range_source(pr);
    struct series_source *fb = series_source_fallback(&local, &remote);

    const char *names[] = {"server/coder-live/api_p95_ms", "server/coder-live/cpu_cores"};
    for (size_t k = 0; k < 2; k++) {
        double v[30];
        enum series_origin o = SERIES_ORIGIN_NONE;
        size_t nremote = 0;
        CHECK_INT(series_range_origin(fb, names[k], now - 60, now, 30, v, &o, &nremote), 30);
        CHECK_INT(o, SERIES_ORIGIN_MIXED);
        CHECK(nremote >= 5);
        double mine = k == 0 ? 5000 : 77;
        for (size_t i = 26; i < 30; i++) {
            CHECK_NEAR(v[i], mine, 1e-6); /* the file's own columns are kept */
        }
        size_t filled = 0;
        for (size_t i = 0; i < 25; i++) {
            if (!isnan(v[i])) {
                filled++;
                CHECK(v[i] > 0 && v[i] < mine / 2); /* Prometheus's figures */
            }
        }
        CHECK_INT(filled, nremote);
    }
    series_source_fallback_free(fb);
    promapi_range_free(pr);
    store_close(st);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
}
