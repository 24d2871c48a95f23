/*
 * The coderd and provisioner metrics pollers against real HTTP on loopback:
 * a tiny server thread in this test serves the fixture expositions, then the
 * same with grown counters, and the snapshot's derived numbers are checked
 * against values computed by hand from the growth.
 */
#include "backend/config.h"
#include "backend/metrics.h"
#include "backend/snapshot.h"
#include "backend/source.h"
#include "tests/lib/loopsrv.h"
#include "tests/lib/test.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct srv {
    int fd;
    int port;
    pthread_t th;
    pthread_mutex_t mu;
    char *body;
    size_t len;
    int stop;
    int hang; /* accept nothing: connections sit in the backlog */
};

static void *srv_main(void *arg)
{
    struct srv *s = arg;
    for (int iter = 0; iter < 100000; iter++) {
        pthread_mutex_lock(&s->mu);
        int stop = s->stop, hang = s->hang;
        pthread_mutex_unlock(&s->mu);
        if (stop) {
            break;
        }
        struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
        if (hang || poll(&pfd, 1, 50) <= 0) {
            if (hang) {
                usleep(50000);
            }
            continue;
        }
        int c = accept(s->fd, NULL, NULL);
        if (c < 0) {
            continue;
        }
        char req[8192];
        size_t got = 0;
        for (int i = 0; i < 100 && got < sizeof req - 1; i++) {
            struct pollfd cp = {.fd = c, .events = POLLIN};
            if (poll(&cp, 1, 100) <= 0) {
                continue;
            }
            ssize_t n = read(c, req + got, sizeof req - 1 - got);
            if (n <= 0) {
                break;
            }
            got += (size_t)n;
            req[got] = 0;
            if (strstr(req, "\r\n\r\n")) {
                break;
            }
        }
        pthread_mutex_lock(&s->mu);
        char head[256];
        int hl = snprintf(head, sizeof head,
                          "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; "
                          "charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                          s->len);
        ssize_t w = write(c, head, (size_t)hl);
        for (size_t off = 0; w >= 0 && off < s->len; off += (size_t)w) {
            w = write(c, s->body + off, s->len - off);
        }
        pthread_mutex_unlock(&s->mu);
        close(c);
    }
    return NULL;
}

static void srv_start(struct srv *s, int hang)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    s->hang = hang;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    CHECK(bind(s->fd, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(listen(s->fd, 16) == 0);
    CHECK(getsockname(s->fd, (struct sockaddr *)&a, &al) == 0);
    s->port = ntohs(a.sin_port);
    pthread_create(&s->th, NULL, srv_main, s);
}

static void srv_set_body(struct srv *s, const char *body)
{
    pthread_mutex_lock(&s->mu);
    free(s->body);
    s->body = strdup(body);
    s->len = strlen(body);
    pthread_mutex_unlock(&s->mu);
}

static void srv_stop(struct srv *s)
{
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->th, NULL);
    close(s->fd);
    free(s->body);
    pthread_mutex_destroy(&s->mu);
}

/* ---- growing an exposition ---- */

struct out {
    char *p;
    size_t len, cap;
};

static void out_put(struct out *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        o->cap = (o->len + n + 1) * 2;
        o->p = realloc(o->p, o->cap);
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = 0;
}

/* Adds `delta` to the value of every line that starts with `prefix` and,
 * for histogram buckets, whose le is >= from_le. Returns a new string. */
static char *grow(const char *text, const char *prefix, double from_le, double delta)
{
    struct out o = {0};
    size_t pl = strlen(prefix);
    for (const char *l = text; *l;) {
        const char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) : strlen(l);
        int hit = strncmp(l, prefix, pl) == 0;
        if (hit) {
            const char *le = strstr(l, "le=\"");
            if (le && le < l + n) {
                double b = strncmp(le + 4, "+Inf", 4) == 0 ? INFINITY : atof(le + 4);
                hit = b >= from_le;
            }
        }
        if (hit) {
            const char *sp = l + n;
            while (sp > l && sp[-1] != ' ') {
                sp--;
            }
            char num[64];
            snprintf(num, sizeof num, "%.17g", atof(sp) + delta);
            out_put(&o, l, (size_t)(sp - l));
            out_put(&o, num, strlen(num));
        } else {
            out_put(&o, l, n);
        }
        out_put(&o, "\n", 1);
        l += n + (nl ? 1 : 0);
    }
    return o.p;
}

static char *grow_coderd(const char *base)
{
    /* 1000 buildinfo requests in (0.01, 0.025] */
    char *a = grow(base,
                   "coderd_api_request_latencies_seconds_bucket{method=\"GET\",path=\"/api/v2/"
                   "buildinfo\"",
                   0.025, 1000);
    char *b = grow(a,
                   "coderd_api_request_latencies_seconds_count{method=\"GET\",path=\"/api/v2/"
                   "buildinfo\"}",
                   0, 1000);
    /* 400 GetAPIKeyByID queries in (0.05, 0.1]: enough for a windowed quantile */
    char *c = grow(b, "coderd_db_query_latencies_seconds_bucket{query=\"GetAPIKeyByID\"", 0.1, 400);
    char *d = grow(c, "coderd_db_query_latencies_seconds_count{query=\"GetAPIKeyByID\"}", 0, 400);
    /* 500 health checks, 20 s of CPU */
    char *e = grow(
        d, "coderd_api_requests_processed_total{code=\"200\",method=\"GET\",path=\"/healthz\"}", 0,
        500);
    char *f = grow(e, "process_cpu_seconds_total ", 0, 20);
    free(a);
    free(b);
    free(c);
    free(d);
    free(e);
    return f;
}

static void cfg_init(struct config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->connect_timeout_s = 2;
    cfg->request_timeout_s = 2;
}

static char *url_for(const struct srv *s, const char *host)
{
    char *u = malloc(128);
    snprintf(u, 128, "http://%s:%d/metrics", host, s->port);
    return u;
}

static struct server *add_replica(struct snapshot *snap, const char *name, const char *relay)
{
    struct server *sv = snapshot_add_server(snap);
    sv->hostname = snapshot_str(snap, name);
    sv->relay_address = snapshot_str(snap, relay);
    sv->id = snapshot_str(snap, name);
    return sv;
}

static size_t count_lines_with_prefix(const char *text, const char *a, const char *b)
{
    size_t n = 0;
    for (const char *l = text; *l;) {
        if (strncmp(l, a, strlen(a)) == 0 || strncmp(l, b, strlen(b)) == 0) {
            n++;
        }
        const char *nl = strchr(l, '\n');
        if (!nl) {
            break;
        }
        l = nl + 1;
    }
    return n;
}

TEST(metrics_two_replicas_rates_quantiles_over_real_http)
{
    char *base = test_read_file(test_shared_path("fixtures/coder/metrics/coderd.prom"), NULL);
    CHECK(base != NULL);
    if (!base) {
        return;
    }
    char *grown = grow_coderd(base);
    struct srv s1, s2;
    srv_start(&s1, 0);
    srv_start(&s2, 0);
    srv_set_body(&s1, base);
    srv_set_body(&s2, base);

    struct config cfg;
    cfg_init(&cfg);
    cfg.metrics_urls[0] = url_for(&s1, "127.0.0.1");
    cfg.metrics_urls[1] = url_for(&s2, "127.0.0.1");
    cfg.nmetrics_urls = 2;
    void *st = metrics_source_ops.create(&cfg);
    CHECK(st != NULL);

    /* first poll: gauges yes, rates unknown */
    struct snapshot *snap = snapshot_new(1000);
    add_replica(snap, "coder-1", "http://127.0.0.1:8080");
    add_replica(snap, "coder-2", "http://127.0.0.1:8080");
    metrics_source_ops.poll(st, snap, 1000);
    CHECK_INT(snap->nservers, 2);
    CHECK_NEAR(snap->servers[0].rss_bytes, 1.04830976e+09, 0);
    CHECK(isnan(snap->servers[0].api_p95_ms));
    CHECK(isnan(snap->servers[0].cpu_cores));
    CHECK(isnan(snap->deployment.requests_per_s));
    snapshot_unref(snap);

    /* second poll 10 s later with grown counters */
    srv_set_body(&s1, grown);
    srv_set_body(&s2, grown);
    snap = snapshot_new(1010);
    add_replica(snap, "coder-1", "http://127.0.0.1:8080");
    add_replica(snap, "coder-2", "http://127.0.0.1:8080");
    metrics_source_ops.poll(st, snap, 1010);
    CHECK_INT(snap->nservers, 2);
    for (size_t i = 0; i < 2; i++) {
        const struct server *sv = &snap->servers[i];
        CHECK(sv->metrics_target != NULL);
        /* 1000 requests in (0.01, 0.025]: 10 ms + 15 ms * q */
        CHECK_NEAR(sv->api_p50_ms, 17.5, 1e-9);
        CHECK_NEAR(sv->api_p95_ms, 24.25, 1e-9);
        CHECK_NEAR(sv->api_p99_ms, 24.85, 1e-9);
        CHECK_NEAR(sv->requests_per_s, 50, 1e-9);
        /* 40 queries in (0.05, 0.1]: 50 ms + 50 ms * 38/40 */
        CHECK_NEAR(sv->db_query_p95_ms, 97.5, 1e-9);
        CHECK_NEAR(sv->cpu_cores, 2.0, 1e-9);
        CHECK_NEAR(sv->rss_bytes, 1.04830976e+09, 0);
        CHECK_NEAR(sv->open_fds, 611, 0);
        CHECK_NEAR(sv->max_fds, 1048576, 0);
        CHECK_NEAR(sv->goroutines, 4213, 0);
        CHECK_NEAR(sv->concurrent_requests, 3, 0);
    }
    /* each target went to its own replica, in order */
    char want[64];
    snprintf(want, sizeof want, "127.0.0.1:%d", s1.port);
    CHECK_STR(snap->servers[0].metrics_target, want);
    snprintf(want, sizeof want, "127.0.0.1:%d", s2.port);
    CHECK_STR(snap->servers[1].metrics_target, want);
    const struct deployment *d = &snap->deployment;
    CHECK_NEAR(d->requests_per_s, 100, 1e-9);
    CHECK_NEAR(d->api_p95_ms, 24.25, 1e-9);
    CHECK_NEAR(d->db_query_p95_ms, 97.5, 1e-9);
    CHECK_INT(d->db_metrics_collected, TRI_TRUE);
    CHECK_INT(d->agent_stats_full, TRI_TRUE);
    CHECK_NEAR(d->agent_stats_series,
               (double)count_lines_with_prefix(base, "coderd_agentstats_", "agent_"), 0);
    CHECK_INT(d->builtin_provisioners, TRI_FALSE); /* coderd_provisionerd_num_daemons 0 */
    /* queue wait p95 from coderd_provisioner_job_queue_wait_seconds: no growth */
    CHECK(isnan(d->queue_wait_p95_s));
    snprintf(want, sizeof want, "metrics 127.0.0.1:%d", s1.port);
    const struct source_state *src = snapshot_find_source(snap, want);
    CHECK(src != NULL);
    if (src) {
        CHECK_INT(src->status, SOURCE_OK);
        CHECK_NEAR(src->last_ok, 1010, 0);
        CHECK(src->latency_ms >= 0);
        CHECK(src->error == NULL);
    }
    snapshot_unref(snap);
    metrics_source_ops.destroy(st);
    srv_stop(&s1);
    srv_stop(&s2);
    free(cfg.metrics_urls[0]);
    free(cfg.metrics_urls[1]);
    free(base);
    free(grown);
}

TEST(metrics_counter_reset_counts_new_value)
{
    char *base = test_read_file(test_shared_path("fixtures/coder/metrics/coderd.prom"), NULL);
    CHECK(base != NULL);
    if (!base) {
        return;
    }
    /* newest builds export DERP server metrics */
    const char *derp = "# TYPE coder_derp_server_clients gauge\n"
                       "coder_derp_server_clients 12\n"
                       "# TYPE coder_derp_server_bytes_sent_total counter\n"
                       "coder_derp_server_bytes_sent_total 1000\n";
    size_t bl = strlen(base);
    base = realloc(base, bl + strlen(derp) + 1);
    strcpy(base + bl, derp);
    /* after a restart the CPU counter reads 6 s: 6 s of CPU in 3 s = 2 cores */
    char *restarted0 = grow(base, "process_cpu_seconds_total ", 0, 6 - 4180.44);
    char *restarted = grow(restarted0, "coder_derp_server_bytes_sent_total ", 0, 1500);
    free(restarted0);
    struct srv s;
    srv_start(&s, 0);
    srv_set_body(&s, base);
    struct config cfg;
    cfg_init(&cfg);
    cfg.metrics_urls[0] = url_for(&s, "127.0.0.1");
    cfg.nmetrics_urls = 1;
    void *st = metrics_source_ops.create(&cfg);
    struct snapshot *snap = snapshot_new(100);
    metrics_source_ops.poll(st, snap, 100);
    snapshot_unref(snap);
    srv_set_body(&s, restarted);
    snap = snapshot_new(103);
    metrics_source_ops.poll(st, snap, 103);
    CHECK_INT(snap->nservers, 1); /* no replica known: the target is its own entry */
    CHECK_STR(snap->servers[0].hostname, "127.0.0.1");
    CHECK(snap->servers[0].id == NULL);
    CHECK_NEAR(snap->servers[0].cpu_cores, 2.0, 1e-9);
    CHECK_NEAR(snap->servers[0].requests_per_s, 0, 0);
    CHECK(isnan(snap->servers[0].api_p95_ms)); /* no requests in the window */
    CHECK_NEAR(snap->servers[0].derp_clients, 12, 0);
    CHECK_NEAR(snap->servers[0].derp_bytes_per_s, 500, 1e-9);
    snapshot_unref(snap);
    metrics_source_ops.destroy(st);
    srv_stop(&s);
    free(cfg.metrics_urls[0]);
    free(base);
    free(restarted);
}

TEST(metrics_unmatched_target_and_failures_are_data)
{
    char *prov = test_read_file(test_shared_path("fixtures/coder/metrics/provisionerd.prom"), NULL);
    CHECK(prov != NULL);
    if (!prov) {
        return;
    }
    struct srv ok, hang;
    srv_start(&ok, 0);
    srv_start(&hang, 1);
    srv_set_body(&ok, prov);
    /* a port with nothing listening */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(getsockname(fd, (struct sockaddr *)&a, &al) == 0);
    int dead_port = ntohs(a.sin_port);
    close(fd);

    struct config cfg;
    cfg_init(&cfg);
    cfg.request_timeout_s = 1;
    cfg.metrics_urls[0] = url_for(&ok, "localhost");
    cfg.metrics_urls[1] = url_for(&hang, "127.0.0.1");
    cfg.metrics_urls[2] = malloc(64);
    snprintf(cfg.metrics_urls[2], 64, "127.0.0.1:%d", dead_port); /* no scheme, no path */
    cfg.nmetrics_urls = 3;
    void *st = metrics_source_ops.create(&cfg);
    struct snapshot *snap = snapshot_new(50);
    add_replica(snap, "coder-1", "http://127.0.0.1:8080");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    metrics_source_ops.poll(st, snap, 50);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(took < 3.5); /* bounded by the request timeout, in parallel */
    /* "localhost" matches no replica: its own entry; failures add none */
    CHECK_INT(snap->nservers, 2);
    CHECK_STR(snap->servers[1].hostname, "localhost");
    CHECK(snap->servers[0].metrics_target == NULL);
    CHECK_NEAR(snap->servers[1].rss_bytes, 1.4680064e+08, 0);
    /* a provisioner's exposition has no DB histogram nor agent stats */
    CHECK_INT(snap->deployment.db_metrics_collected, TRI_FALSE);
    CHECK_INT(snap->deployment.agent_stats_full, TRI_FALSE);
    char name[64];
    snprintf(name, sizeof name, "metrics 127.0.0.1:%d", hang.port);
    const struct source_state *src = snapshot_find_source(snap, name);
    CHECK(src && src->status == SOURCE_ERROR && src->reason == REASON_TIMEOUT && src->error);
    snprintf(name, sizeof name, "metrics 127.0.0.1:%d", dead_port);
    src = snapshot_find_source(snap, name);
    CHECK(src && src->status == SOURCE_ERROR && src->reason == REASON_UNREACHABLE);
    CHECK(src && isnan(src->last_ok));
    snprintf(name, sizeof name, "metrics localhost:%d", ok.port);
    src = snapshot_find_source(snap, name);
    CHECK(src && src->status == SOURCE_OK);
    snapshot_unref(snap);
    metrics_source_ops.destroy(st);
    srv_stop(&ok);
    srv_stop(&hang);
    for (int i = 0; i < 3; i++) {
        free(cfg.metrics_urls[i]);
    }
    free(prov);
}

TEST(metrics_body_cap_and_garbage)
{
    struct srv s;
    srv_start(&s, 0);
    char *big = malloc(5001);
    memset(big, 'a', 5000);
    big[5000] = 0;
    srv_set_body(&s, big);
    struct config cfg;
    cfg_init(&cfg);
    cfg.max_body_bytes = 1000;
    cfg.metrics_urls[0] = url_for(&s, "127.0.0.1");
    cfg.nmetrics_urls = 1;
    void *st = metrics_source_ops.create(&cfg);
    struct snapshot *snap = snapshot_new(1);
    metrics_source_ops.poll(st, snap, 1);
    CHECK_INT(snap->nsources, 1);
    CHECK_INT(snap->sources[0].status, SOURCE_ERROR);
    CHECK_INT(snap->sources[0].reason, REASON_BAD_RESPONSE);
    CHECK(snap->sources[0].error && strstr(snap->sources[0].error, "cap"));
    snapshot_unref(snap);
    /* under the cap but not an exposition */
    srv_set_body(&s, "<html>\x1b[31mnot metrics</html>\n");
    snap = snapshot_new(2);
    metrics_source_ops.poll(st, snap, 2);
    CHECK_INT(snap->sources[0].status, SOURCE_ERROR);
    CHECK_INT(snap->sources[0].reason, REASON_BAD_RESPONSE);
    CHECK(snap->sources[0].error && !strchr(snap->sources[0].error, '\x1b'));
    CHECK_INT(snap->nservers, 0);
    snapshot_unref(snap);
    metrics_source_ops.destroy(st);
    srv_stop(&s);
    free(cfg.metrics_urls[0]);
    free(big);
}

TEST(metrics_disabled_says_how_to_enable)
{
    struct config cfg;
    cfg_init(&cfg);
    CHECK(metrics_source_ops.create(&cfg) == NULL);
    CHECK(provmetrics_source_ops.create(&cfg) == NULL);
    struct snapshot *snap = snapshot_new(1);
    metrics_source_ops.add_disabled(snap);
    provmetrics_source_ops.add_disabled(snap);
    CHECK_INT(snap->nsources, 2);
    CHECK_INT(snap->sources[0].status, SOURCE_DISABLED);
    CHECK(snap->sources[0].hint && strstr(snap->sources[0].hint, "--metrics"));
    CHECK(snap->sources[1].hint && strstr(snap->sources[1].hint, "--provisioner-metrics"));
    snapshot_unref(snap);
}

TEST(provmetrics_build_p95_and_build_rates)
{
    char *base = test_read_file(test_shared_path("fixtures/coder/metrics/provisionerd.prom"), NULL);
    CHECK(base != NULL);
    if (!base) {
        return;
    }
    /* 20 successful jobs in (30, 60] s and 2 new failed builds, over 60 s */
    char *a = grow(base,
                   "coderd_provisionerd_job_timings_seconds_bucket{provisioner=\"terraform\","
                   "status=\"success\"",
                   60, 20);
    char *b = grow(a,
                   "coderd_workspace_builds_total{workspace_owner=\"bob\",workspace_name=\"api-"
                   "dev\",template_name=\"k8s-dev\",template_version=\"brave_turing4\","
                   "workspace_transition=\"START\",status=\"failed\"}",
                   0, 2);
    struct srv s;
    srv_start(&s, 0);
    srv_set_body(&s, base);
    struct config cfg;
    cfg_init(&cfg);
    cfg.provisioner_metrics_urls[0] = url_for(&s, "127.0.0.1");
    cfg.nprovisioner_metrics_urls = 1;
    void *st = provmetrics_source_ops.create(&cfg);
    struct snapshot *snap = snapshot_new(0);
    provmetrics_source_ops.poll(st, snap, 0);
    CHECK(isnan(snap->deployment.build_p95_s));
    snapshot_unref(snap);
    srv_set_body(&s, b);
    snap = snapshot_new(60);
    struct queue *q = snapshot_add_queue(snap);
    q->organization = snapshot_str(snap, "coder");
    provmetrics_source_ops.poll(st, snap, 60);
    /* rank 19 of 20 in (30, 60]: 30 + 30 * 19/20 */
    CHECK_NEAR(snap->deployment.build_p95_s, 58.5, 1e-9);
    CHECK_NEAR(snap->provisioners.queues[0].build_p95_s, 58.5, 1e-9);
    CHECK_NEAR(snap->deployment.builds_failed_per_h, 120, 1e-9);
    CHECK_NEAR(snap->deployment.builds_total_per_h, 120, 1e-9);
    char name[64];
    snprintf(name, sizeof name, "provisioner-metrics 127.0.0.1:%d", s.port);
    const struct source_state *src = snapshot_find_source(snap, name);
    CHECK(src && src->status == SOURCE_OK && src->kind &&
          !strcmp(src->kind, "provisioner-metrics"));
    snapshot_unref(snap);
    provmetrics_source_ops.destroy(st);
    srv_stop(&s);
    free(cfg.provisioner_metrics_urls[0]);
    free(a);
    free(b);
    free(base);
}

TEST(metrics_url_host_forms)
{
    char h[64], hp[64];
    CHECK(metrics_url_host("http://10.0.0.5:2112/metrics", h, sizeof h, hp, sizeof hp) == 0);
    CHECK_STR(h, "10.0.0.5");
    CHECK_STR(hp, "10.0.0.5:2112");
    CHECK(metrics_url_host("https://user:pw@coder-0.coder:2112", h, sizeof h, hp, sizeof hp) == 0);
    CHECK_STR(h, "coder-0.coder");
    CHECK_STR(hp, "coder-0.coder:2112");
    CHECK(metrics_url_host("http://[::1]:2112/", h, sizeof h, hp, sizeof hp) == 0);
    CHECK_STR(h, "::1");
    CHECK(metrics_url_host("coder-1:8080", h, sizeof h, hp, sizeof hp) == 0);
    CHECK_STR(h, "coder-1");
    CHECK(metrics_url_host("http:///x", h, sizeof h, hp, sizeof hp) != 0);
}

TEST(provmetrics_build_p95_goes_to_the_queues_its_daemon_serves)
{
    char *base = test_read_file(test_shared_path("fixtures/coder/metrics/provisionerd.prom"), NULL);
    CHECK(base != NULL);
    if (!base) {
        return;
    }
    char *grown = grow(base,
                       "coderd_provisionerd_job_timings_seconds_bucket{provisioner=\"terraform\","
                       "status=\"success\"",
                       60, 20);
    struct srv s;
    srv_start(&s, 0);
    srv_set_body(&s, base);
    struct config cfg;
    cfg_init(&cfg);
    cfg.provisioner_metrics_urls[0] = url_for(&s, "localhost");
    cfg.nprovisioner_metrics_urls = 1;
    void *st = provmetrics_source_ops.create(&cfg);
    struct snapshot *snap = snapshot_new(0);
    provmetrics_source_ops.poll(st, snap, 0);
    snapshot_unref(snap);
    srv_set_body(&s, grown);
    snap = snapshot_new(60);
    const struct tag dtags[] = {{"owner", ""}, {"scope", "organization"}};
    const struct tag qa[] = {{"scope", "organization"}};
    const struct tag qb[] = {{"gpu", "true"}, {"scope", "organization"}};
    struct daemon *dm = snapshot_add_daemon(snap);
    dm->name = snapshot_str(snap, "localhost"); /* the pod the target runs in */
    dm->organization = snapshot_str(snap, "coder");
    dm->tags = snapshot_tagset(snap, dtags, 2);
    struct queue *q = snapshot_add_queue(snap);
    q->organization = snapshot_str(snap, "coder");
    q->tags = snapshot_tagset(snap, qa, 1);
    q = snapshot_add_queue(snap);
    q->organization = snapshot_str(snap, "coder");
    q->tags = snapshot_tagset(snap, qb, 2);
    q = snapshot_add_queue(snap);
    q->organization = snapshot_str(snap, "other-org");
    q->tags = snapshot_tagset(snap, qa, 1);
    provmetrics_source_ops.poll(st, snap, 60);
    CHECK_NEAR(snap->provisioners.queues[0].build_p95_s, 58.5, 1e-9);
    CHECK(isnan(snap->provisioners.queues[1].build_p95_s)); /* needs gpu=true */
    CHECK(isnan(snap->provisioners.queues[2].build_p95_s)); /* another organization */
    CHECK_NEAR(snap->deployment.build_p95_s, 58.5, 1e-9);
    snapshot_unref(snap);
    provmetrics_source_ops.destroy(st);
    srv_stop(&s);
    free(cfg.provisioner_metrics_urls[0]);
    free(grown);
    free(base);
}

TEST(metrics_no_deployment_total_when_a_target_fails)
{
    char *base = test_read_file(test_shared_path("fixtures/coder/metrics/coderd.prom"), NULL);
    CHECK(base != NULL);
    if (!base) {
        return;
    }
    char *grown = grow_coderd(base);
    struct srv s;
    srv_start(&s, 0);
    srv_set_body(&s, base);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(getsockname(fd, (struct sockaddr *)&a, &al) == 0);
    close(fd);
    struct config cfg;
    cfg_init(&cfg);
    cfg.metrics_urls[0] = url_for(&s, "127.0.0.1");
    cfg.metrics_urls[1] = malloc(64);
    snprintf(cfg.metrics_urls[1], 64, "http://127.0.0.1:%d/metrics", ntohs(a.sin_port));
    cfg.nmetrics_urls = 2;
    void *st = metrics_source_ops.create(&cfg);
    struct snapshot *snap = snapshot_new(0);
    metrics_source_ops.poll(st, snap, 0);
    snapshot_unref(snap);
    srv_set_body(&s, grown);
    snap = snapshot_new(10);
    metrics_source_ops.poll(st, snap, 10);
    CHECK_INT(snap->nservers, 1);
    CHECK_NEAR(snap->servers[0].requests_per_s, 50, 1e-9); /* the good replica has its rate */
    CHECK(isnan(snap->deployment.requests_per_s));         /* but no deployment total */
    CHECK(isnan(snap->deployment.api_p95_ms));
    CHECK_INT(snap->deployment.db_metrics_collected, TRI_TRUE);
    snapshot_unref(snap);
    metrics_source_ops.destroy(st);
    srv_stop(&s);
    free(cfg.metrics_urls[0]);
    free(cfg.metrics_urls[1]);
    free(grown);
    free(base);
}

/* ---- Kubernetes discovery of coderd's endpoints ---- */

struct disc_srv {
    struct loopsrv *s;
    int requests;
};

static void disc_fn(void *ctx, const struct loopsrv_req *rq, struct loopsrv_resp *out)
{
    struct disc_srv *d = ctx;
    static char body[1024];
    out->status = 200;
    if (strcmp(rq->path, "/apis/discovery.k8s.io/v1/namespaces/coder/endpointslices") == 0) {
        const char *u = loopsrv_url(d->s);
        snprintf(body, sizeof body,
                 "{\"kind\":\"EndpointSliceList\",\"apiVersion\":\"discovery.k8s.io/v1\","
                 "\"metadata\":{},\"items\":[{\"addressType\":\"IPv4\",\"endpoints\":[{"
                 "\"addresses\":[\"127.0.0.1\"],\"conditions\":{\"ready\":true}}],\"ports\":["
                 "{\"name\":\"http\",\"port\":8080},{\"name\":\"prometheus-http\",\"port\":%s}]}]}",
                 strrchr(u, ':') + 1);
        out->body = body;
        out->content_type = "application/json";
        return;
    }
    if (strcmp(rq->path, "/metrics") == 0) {
        d->requests++;
        snprintf(body, sizeof body,
                 "coderd_api_requests_processed_total{code=\"200\",method=\"GET\",path=\"/\"} "
                 "%d\nprocess_resident_memory_bytes 4096\n",
                 1000 * d->requests);
        out->body = body;
        out->content_type = "text/plain; version=0.0.4";
        return;
    }
    out->status = 404;
    out->body = "{\"kind\":\"Status\",\"code\":404}";
}

TEST(discovery_when_no_metrics_url)
{
    struct disc_srv d = {0};
    d.s = loopsrv_start(disc_fn, &d);
    CHECK(d.s != NULL);
    char dir[] = "/tmp/scaletop-disc.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char kc[256];
    snprintf(kc, sizeof kc, "%s/kubeconfig", dir);
    FILE *f = fopen(kc, "w");
    CHECK(f != NULL);
    fprintf(f,
            "apiVersion: v1\nkind: Config\nclusters: [{name: t, cluster: {server: \"%s\"}}]\n"
            "users: [{name: t, user: {token: \"tok\"}}]\n"
            "contexts: [{name: t, context: {cluster: t, user: t}}]\ncurrent-context: t\n",
            loopsrv_url(d.s));
    fclose(f);
    struct config cfg;
    cfg_init(&cfg);
    cfg.kubeconfig = kc;
    void *st = metrics_source_ops.create(&cfg);
    CHECK(st != NULL);
    double t = 1000;
    for (int i = 0; i < 3; i++) {
        struct snapshot *snap = snapshot_new(t);
        add_replica(snap, "coder-1", "http://127.0.0.1:8080");
        metrics_source_ops.poll(st, snap, t);
        CHECK_INT(snap->nservers, 1);
        CHECK(snap->servers[0].metrics_target != NULL &&
              strrchr(snap->servers[0].metrics_target, ':') &&
              strcmp(strrchr(snap->servers[0].metrics_target, ':'),
                     strrchr(loopsrv_url(d.s), ':')) == 0);
        CHECK_NEAR(snap->servers[0].rss_bytes, 4096, 0);
        if (i == 0) {
            CHECK(isnan(snap->servers[0].requests_per_s));
        } else {
            /* the target kept its counters across the rediscovery at i == 2 */
            CHECK_NEAR(snap->servers[0].requests_per_s, 1000.0 / (i == 1 ? 10 : 300), 1e-9);
        }
        snapshot_unref(snap);
        t += i == 0 ? 10 : 300; /* past the rediscovery period */
    }
    metrics_source_ops.destroy(st);
    /* with Prometheus configured, no discovery */
    char pu[] = "http://127.0.0.1:9";
    cfg.prometheus_url = pu;
    CHECK(metrics_source_ops.create(&cfg) == NULL);
    loopsrv_stop(d.s);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
}

/* The DERP relay of a newer replica and of a workspace proxy: per-replica
 * local clients (not the mesh-wide total), connections, mesh forwarding and
 * drops as rates, the source named, the deployment's totals; a replica whose
 * exposition lacks the families (an older build) stays unknown, not 0. */
static const char derp_t0[] = "# TYPE coder_derp_server_clients gauge\n"
                              "coder_derp_server_clients 810\n"
                              "coder_derp_server_clients_local 270\n"
                              "coder_derp_server_connections 272\n"
                              "coder_derp_server_bytes_received_total 5000\n"
                              "coder_derp_server_bytes_sent_total 5000\n"
                              "coder_derp_server_packets_forwarded_in_total 100\n"
                              "coder_derp_server_packets_forwarded_out_total 100\n"
                              "coder_derp_server_packets_dropped_total 7\n";
static const char derp_t1[] = "# TYPE coder_derp_server_clients gauge\n"
                              "coder_derp_server_clients 812\n"
                              "coder_derp_server_clients_local 271\n"
                              "coder_derp_server_connections 273\n"
                              "coder_derp_server_bytes_received_total 8000\n"
                              "coder_derp_server_bytes_sent_total 11000\n"
                              "coder_derp_server_packets_forwarded_in_total 130\n"
                              "coder_derp_server_packets_forwarded_out_total 160\n"
                              "coder_derp_server_packets_dropped_total 13\n";

TEST(metrics_derp_relay_of_replicas_and_proxies)
{
    struct srv a, old, px, px2;
    srv_start(&a, 0);
    srv_start(&old, 0);
    srv_start(&px, 0);
    srv_start(&px2, 0);
    srv_set_body(&a, derp_t0);
    srv_set_body(&old, "# TYPE go_goroutines gauge\ngo_goroutines 10\n");
    srv_set_body(&px, derp_t0);
    srv_set_body(&px2, derp_t0);
    struct config cfg;
    cfg_init(&cfg);
    cfg.metrics_urls[0] = url_for(&a, "127.0.0.1");
    cfg.metrics_urls[1] = url_for(&old, "localhost"); /* another host, same listener */
    cfg.nmetrics_urls = 2;
    char *pu = url_for(&px, "127.0.0.1");
    cfg.proxy_metrics_urls[0] = malloc(160);
    snprintf(cfg.proxy_metrics_urls[0], 160, "sydney=%s", pu);
    cfg.proxy_metrics_urls[1] = url_for(&px2, "localhost"); /* bare: by the proxy URL's host */
    cfg.nproxy_metrics_urls = 2;
    void *ms = metrics_source_ops.create(&cfg);
    void *ps = proxymetrics_source_ops.create(&cfg);
    CHECK(ms != NULL && ps != NULL);
    struct snapshot *snap = NULL;
    for (int round = 0; round < 2 && ms && ps; round++) {
        if (round == 1) {
            srv_set_body(&a, derp_t1);
            srv_set_body(&px, derp_t1);
            srv_set_body(&px2, derp_t1);
        }
        snapshot_unref(snap);
        snap = snapshot_new(200 + 3 * round);
        struct proxy *x = snapshot_add_proxy(snap);
        x->name = snapshot_str(snap, "sydney");
        x->url = snapshot_str(snap, "https://sydney.example.com");
        x = snapshot_add_proxy(snap);
        x->name = snapshot_str(snap, "tokyo");
        x->url = snapshot_str(snap, "http://localhost:1234");
        metrics_source_ops.poll(ms, snap, 200 + 3 * round);
        proxymetrics_source_ops.poll(ps, snap, 200 + 3 * round);
    }
    if (snap) {
        CHECK_INT(snap->nservers, 2);
        const struct server *sv = &snap->servers[0];
        CHECK_NEAR(sv->derp_clients, 271, 0); /* local, not the mesh-wide 812 */
        CHECK_NEAR(sv->derp_connections, 273, 0);
        CHECK_NEAR(sv->derp_bytes_per_s, (19000 - 10000) / 3.0, 1e-9);
        CHECK_NEAR(sv->derp_packets_forwarded_per_s, (290 - 200) / 3.0, 1e-9);
        CHECK_NEAR(sv->derp_packets_dropped_per_s, 2, 1e-9);
        CHECK_STR(sv->derp_source, "metrics");
        const struct server *o = &snap->servers[1];
        CHECK_STR(o->hostname, "localhost");
        CHECK_NEAR(o->goroutines, 10, 0); /* its scrape worked: only DERP is missing */
        CHECK(isnan(o->derp_clients) && isnan(o->derp_bytes_per_s) && isnan(o->derp_connections));
        CHECK(o->derp_source == NULL);
        CHECK_INT(snap->nproxies, 2);
        for (size_t i = 0; i < 2; i++) {
            const struct proxy *x = &snap->proxies[i];
            CHECK_NEAR(x->derp_clients, 271, 0);
            CHECK_NEAR(x->derp_bytes_per_s, 3000, 1e-9);
            CHECK_NEAR(x->derp_packets_dropped_per_s, 2, 1e-9);
            CHECK(x->metrics_target != NULL);
        }
        CHECK_NEAR(snap->deployment.derp_clients, 3 * 271, 0);
        CHECK_NEAR(snap->deployment.derp_bytes_per_s, 3 * 3000, 1e-9);
        CHECK(snapshot_find_source(snap, "proxy-metrics sydney") != NULL);
    }
    snapshot_unref(snap);
    metrics_source_ops.destroy(ms);
    proxymetrics_source_ops.destroy(ps);
    srv_stop(&a);
    srv_stop(&old);
    srv_stop(&px);
    srv_stop(&px2);
    free(cfg.metrics_urls[0]);
    free(cfg.metrics_urls[1]);
    free(cfg.proxy_metrics_urls[0]);
    free(cfg.proxy_metrics_urls[1]);
    free(pu);
}
