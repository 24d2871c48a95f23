/* The Kubernetes poller against a real HTTP server on loopback
 * (libmicrohttpd): paginated lists with continue tokens (one page empty),
 * a 410 Gone mid-list, the bearer token checked on every request, 401/403,
 * a server that never answers, and EndpointSlice discovery. */
#include "backend/k8s.h"
#include "backend/snapshot.h"
#include "tests/lib/test.h"

#include <arpa/inet.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define GI (1024.0 * 1024.0 * 1024.0)
#define MI (1024.0 * 1024.0)

struct fake {
    struct MHD_Daemon *d;
    int port;
    char token[64];    /* the bearer token the server accepts */
    int forbid_nodes;  /* 403 on nodes */
    int forbid_quotas; /* 403 on resourcequotas */
    int gone;          /* 1: 410 once on the last pods page; 2: always */
    int slices_404;    /* EndpointSlices API absent */
    int endless_nodes; /* a continue token on every nodes page */
    int garbage_pods;  /* pods answer 200 with a truncated body */
    int throttle;      /* 429 with Retry-After: 1 on nodes */
    int node_requests;
    int gone_sent; /* counters, written by the server thread */
    int pod_requests;
    int unauthorized;
    char field_selector[128];
};

static const char *node_page[] = {
    "{\"metadata\":{\"name\":\"n1\"},\"status\":{\"allocatable\":{\"cpu\":\"4\",\"memory\":"
    "\"16Gi\","
    "\"pods\":\"110\"},\"capacity\":{\"cpu\":\"4\",\"memory\":\"16Gi\",\"pods\":\"110\"},"
    "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}",
    "{\"metadata\":{\"name\":\"n2\"},\"status\":{\"allocatable\":{\"cpu\":\"3500m\",\"memory\":"
    "\"8Gi\","
    "\"pods\":\"110\"},\"capacity\":{\"cpu\":\"4\",\"memory\":\"8Gi\"},"
    "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}",
    "{\"metadata\":{\"name\":\"n3\"},\"spec\":{\"unschedulable\":true},\"status\":{\"allocatable\":"
    "{\"cpu\":\"8\",\"memory\":\"32Gi\",\"pods\":\"110\"},\"capacity\":{\"cpu\":\"8\"},"
    "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}",
};

#define POD(name, node, phase, cpu, mem)                                                           \
    "{\"metadata\":{\"name\":\"" name "\",\"namespace\":\"coder\"},\"spec\":{" node                \
    "\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"" cpu "\",\"memory\":\"" mem          \
    "\"}}}]},\"status\":{\"phase\":\"" phase "\"}}"

static const char *pods[] = {
    POD("p0", "\"nodeName\":\"n1\",", "Running", "1", "1Gi"),
    POD("p1", "\"nodeName\":\"n1\",", "Running", "500m", "512Mi"),
    POD("p2", "\"nodeName\":\"n2\",", "Running", "250m", "256Mi"),
    POD("p3", "\"nodeName\":\"n3\",", "Running", "2", "2Gi"),
    POD("p4", "", "Pending", "8", "8Gi"),
    POD("p5", "\"nodeName\":\"n2\",", "Succeeded", "4", "4Gi"), /* filtered by the selector */
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body)
{
    size_t len = strlen(body);
    char *copy = malloc(len + 1);
    memcpy(copy, body, len + 1);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, copy, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result status_reply(struct MHD_Connection *c, unsigned code, const char *reason,
                                    const char *message)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
             "\"message\":\"%s\",\"reason\":\"%s\",\"code\":%u}",
             message, reason, code);
    return reply(c, code, body);
}

/* A list body from items[from, to) with an optional continue token. */
static enum MHD_Result list_reply(struct MHD_Connection *c, const char **items, int from, int to,
                                  const char *cont)
{
    char body[8192];
    size_t n = (size_t)snprintf(body, sizeof body,
                                "{\"kind\":\"List\",\"apiVersion\":\"v1\",\"metadata\":{"
                                "\"resourceVersion\":\"42\"%s%s%s},\"items\":[",
                                cont ? ",\"continue\":\"" : "", cont ? cont : "", cont ? "\"" : "");
    for (int i = from; i < to; i++) {
        n += (size_t)snprintf(body + n, sizeof body - n, "%s%s", i > from ? "," : "", items[i]);
    }
    snprintf(body + n, sizeof body - n, "]}");
    return reply(c, 200, body);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    (void)method, (void)version, (void)upload, (void)upload_size, (void)con_cls;
    struct fake *f = cls;
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    char want[96];
    snprintf(want, sizeof want, "Bearer %s", f->token);
    if (!auth || strcmp(auth, want) != 0) {
        __atomic_add_fetch(&f->unauthorized, 1, __ATOMIC_SEQ_CST);
        return status_reply(c, 401, "Unauthorized", "Unauthorized");
    }
    if (strcmp(url, "/api/v1/namespaces/coder/endpoints/coder") == 0) {
        return reply(c, 200,
                     "{\"kind\":\"Endpoints\",\"subsets\":[{\"addresses\":[{\"ip\":\"10.1.0.2\"},"
                     "{\"ip\":\"10.1.0.1\"}],\"notReadyAddresses\":[{\"ip\":\"10.1.0.3\"}]}]}");
    }
    const char *cont = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "continue");
    const char *limit = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
    if (!limit || atoi(limit) <= 0) {
        return status_reply(c, 400, "BadRequest", "limit missing");
    }
    if (strcmp(url, "/api/v1/nodes") == 0) {
        if (f->forbid_nodes) {
            return status_reply(
                c, 403, "Forbidden",
                "nodes is forbidden: User \\\"system:serviceaccount:coder:scaletop\\\" "
                "cannot list resource \\\"nodes\\\" in API group \\\"\\\" at the "
                "cluster scope");
        }
        __atomic_add_fetch(&f->node_requests, 1, __ATOMIC_SEQ_CST);
        if (f->throttle) {
            struct MHD_Response *r =
                MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
            MHD_add_response_header(r, "Retry-After", "1");
            enum MHD_Result ret = MHD_queue_response(c, 429, r);
            MHD_destroy_response(r);
            return ret;
        }
        if (f->endless_nodes) {
            return list_reply(c, node_page, 0, 0, "again");
        }
        int off = cont ? atoi(cont + 2) : 0; /* "n:OFF", one node per page */
        char next[16];
        snprintf(next, sizeof next, "n:%d", off + 1);
        return list_reply(c, node_page, off, off + 1, off + 1 < 3 ? next : NULL);
    }
    if (strcmp(url, "/api/v1/pods") == 0) {
        __atomic_add_fetch(&f->pod_requests, 1, __ATOMIC_SEQ_CST);
        if (f->garbage_pods) {
            return reply(c, 200, "{\"kind\":\"PodList\",\"items\":[{\"metadata\":");
        }
        const char *fs = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "fieldSelector");
        snprintf(f->field_selector, sizeof f->field_selector, "%s", fs ? fs : "");
        int filtered = fs && strcmp(fs, "status.phase!=Succeeded,status.phase!=Failed") == 0;
        int total = filtered ? 5 : 6;
        if (!cont) {
            return list_reply(c, pods, 0, 2, "p:2");
        }
        if (strcmp(cont, "p:2") == 0) {
            return list_reply(c, pods, 2, 4, "empty:4");
        }
        if (strcmp(cont, "empty:4") == 0) {
            return list_reply(c, pods, 0, 0, "p:4"); /* a page may be empty */
        }
        if (strcmp(cont, "p:4") == 0) {
            if (f->gone == 2 || (f->gone == 1 && !f->gone_sent)) {
                __atomic_store_n(&f->gone_sent, 1, __ATOMIC_SEQ_CST);
                return status_reply(c, 410, "Expired",
                                    "The provided continue parameter is too old to display a "
                                    "consistent list result.");
            }
            return list_reply(c, pods, 4, total, NULL);
        }
        return status_reply(c, 400, "BadRequest", "bad continue");
    }
    if (strcmp(url, "/api/v1/resourcequotas") == 0) {
        if (f->forbid_quotas) {
            return status_reply(c, 403, "Forbidden", "resourcequotas is forbidden");
        }
        static const char *q[] = {
            "{\"metadata\":{\"name\":\"ws\",\"namespace\":\"coder\"},\"status\":{\"hard\":"
            "{\"requests.cpu\":\"10\",\"requests.memory\":\"64Gi\"},\"used\":{\"requests.cpu\":"
            "\"1750m\",\"requests.memory\":\"1792Mi\"}}}"};
        return list_reply(c, q, 0, 1, NULL);
    }
    if (strcmp(url, "/api/v1/limitranges") == 0) {
        return list_reply(c, NULL, 0, 0, NULL);
    }
    if (strcmp(url, "/apis/discovery.k8s.io/v1/namespaces/coder/endpointslices") == 0) {
        if (f->slices_404) {
            return status_reply(c, 404, "NotFound",
                                "the server could not find the requested resource");
        }
        const char *sel = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "labelSelector");
        if (!sel || strcmp(sel, "kubernetes.io/service-name=coder") != 0) {
            return list_reply(c, NULL, 0, 0, NULL);
        }
        static const char *s[] = {
            "{\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":[\"10.0.0.5\"],\"conditions\":"
            "{\"ready\":true}},{\"addresses\":[\"10.0.0.6\"],\"conditions\":{\"ready\":false}}]}",
            "{\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":[\"10.0.0.4\"]},{"
            "\"addresses\":"
            "[\"10.0.0.5\"]},{\"addresses\":[\"fd00::7\"]},{\"addresses\":[\"x;rm -rf\"]}]}"};
        return cont ? list_reply(c, s, 1, 2, NULL) : list_reply(c, s, 0, 1, "s:1");
    }
    return status_reply(c, 404, "NotFound", "not found");
}

/* Starts the fake API on 127.0.0.1 (an ephemeral port), over TLS when a
 * key and certificate are given. */
static void fake_start_tls(struct fake *f, const char *token, const char *key, const char *cert)
{
    memset(f, 0, sizeof *f);
    snprintf(f->token, sizeof f->token, "%s", token);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (key) {
        f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, 0, NULL, NULL,
                                handler, f, MHD_OPTION_SOCK_ADDR, &sin, MHD_OPTION_HTTPS_MEM_KEY,
                                key, MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_END);
    } else {
        f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, f,
                                MHD_OPTION_SOCK_ADDR, &sin, MHD_OPTION_END);
    }
    if (!f->d) {
        test_fail(__FILE__, __LINE__, "cannot start the loopback server");
        return;
    }
    f->port = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT)->port;
}

static void fake_start(struct fake *f, const char *token)
{
    fake_start_tls(f, token, NULL, NULL);
}

static void fake_stop(struct fake *f)
{
    if (f->d) {
        MHD_stop_daemon(f->d);
    }
}

static struct k8s_client *client_for(int port, const char *token, const char *token_file,
                                     struct config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    /* Generous: the suite also runs under valgrind. */
    cfg->connect_timeout_s = 20;
    cfg->request_timeout_s = 20;
    struct kubeconfig_auth a;
    memset(&a, 0, sizeof a);
    a.server = malloc(64);
    snprintf(a.server, 64, "http://127.0.0.1:%d", port);
    a.token = token ? strdup(token) : NULL;
    a.token_file = token_file ? strdup(token_file) : NULL;
    a.origin = strdup("test kubeconfig");
    return k8s_client_new(&a, cfg);
}

/* A client with cfg as given (client_for sets the defaults first). */
static struct k8s_client *client_with_cfg(int port, struct config *cfg)
{
    struct kubeconfig_auth a;
    memset(&a, 0, sizeof a);
    a.server = malloc(64);
    snprintf(a.server, 64, "http://127.0.0.1:%d", port);
    a.token = strdup("t");
    return k8s_client_new(&a, cfg);
}

static const struct source_state *k8s_src(const struct snapshot *s)
{
    const struct source_state *src = snapshot_find_source(s, "kubernetes");
    if (!src) {
        test_fail(__FILE__, __LINE__, "no kubernetes source in the snapshot");
    }
    return src;
}

static void check_full_cluster(const struct snapshot *s)
{
    /* n1 + n2 (n3 is cordoned); p0 + p1 + p2 (p3 on n3, p4 unscheduled, p5 done). */
    CHECK(s->capacity.cluster.nodes == 2);
    CHECK(s->capacity.cluster.cpu_allocatable_cores == 7.5);
    CHECK(s->capacity.cluster.memory_allocatable_bytes == 24 * GI);
    CHECK(s->capacity.cluster.pods_allocatable == 220);
    CHECK(s->capacity.cluster.cpu_requested_cores == 1.75);
    CHECK(s->capacity.cluster.memory_requested_bytes == 1792 * MI);
    CHECK(s->capacity.cluster.pods == 3);
}

TEST(k8s_http_paginated_poll)
{
    struct fake f;
    fake_start(&f, "sekrit-token");
    struct config cfg;
    struct k8s_client *c = client_for(f.port, "sekrit-token", NULL, &cfg);
    struct snapshot *s = snapshot_new(1000);
    k8s_poll(c, &cfg, s, 1000);
    const struct source_state *src = k8s_src(s);
    if (src) {
        CHECK_INT(src->status, SOURCE_OK);
        CHECK(src->error == NULL);
        CHECK(src->last_ok == 1000);
        CHECK(src->latency_ms >= 0);
    }
    check_full_cluster(s);
    CHECK_STR(f.field_selector, "status.phase!=Succeeded,status.phase!=Failed");
    CHECK_INT(f.pod_requests, 4); /* 3 pages and an empty one */
    CHECK_INT(s->capacity.nnamespaces, 1);
    if (s->capacity.nnamespaces == 1) {
        CHECK_STR(s->capacity.namespaces[0].name, "coder");
        CHECK_INT(s->capacity.namespaces[0].nresources, 2);
        CHECK(s->capacity.namespaces[0].resources[0].used == 1.75);
        CHECK(s->capacity.namespaces[0].resources[0].hard == 10);
        CHECK(s->capacity.namespaces[0].limitrange_defaults == TRI_FALSE);
    }
    snapshot_unref(s);
    k8s_client_free(c);
    fake_stop(&f);
}

TEST(k8s_http_410_gone_restarts_the_list)
{
    struct fake f;
    fake_start(&f, "t");
    f.gone = 1;
    struct config cfg;
    struct k8s_client *c = client_for(f.port, "t", NULL, &cfg);
    struct snapshot *s = snapshot_new(1000);
    k8s_poll(c, &cfg, s, 1000);
    const struct source_state *src = k8s_src(s);
    CHECK(src && src->status == SOURCE_OK);
    CHECK(f.gone_sent == 1);
    CHECK_INT(f.pod_requests, 4 + 4); /* the 410 and the full list again */
    check_full_cluster(s);            /* nothing counted twice */
    snapshot_unref(s);
    k8s_client_free(c);
    fake_stop(&f);
}

TEST(k8s_http_410_forever_is_bounded)
{
    struct fake f;
    fake_start(&f, "t");
    f.gone = 2;
    struct config cfg;
    struct k8s_client *c = client_for(f.port, "t", NULL, &cfg);
    struct snapshot *s = snapshot_new(1000);
    k8s_poll(c, &cfg, s, 1000);
    const struct source_state *src = k8s_src(s);
    if (src) {
        CHECK_INT(src->status, SOURCE_ERROR);
        CHECK(src->error && strstr(src->error, "410 Gone"));
    }
    CHECK(f.pod_requests <= 4 * (K8S_MAX_RESTARTS + 1));
    CHECK(isnan(s->capacity.cluster.cpu_allocatable_cores)); /* no half-made numbers */
    snapshot_unref(s);
    k8s_client_free(c);
    fake_stop(&f);
}

TEST(k8s_http_403_is_no_permission_naming_verb_and_resource)
{
    struct fake f;
    fake_start(&f, "t");
    f.forbid_nodes = 1;
    struct config cfg;
    struct k8s_client *c = client_for(f.port, "t", NULL, &cfg);
    char name[] = "aws vCPU", res[] = "node-cpu";
    cfg.soft_limits[0].name = name;
    cfg.soft_limits[0].resource = res;
    cfg.soft_limits[0].limit = 64;
    cfg.nsoft_limits = 1;
    struct snapshot *s = snapshot_new(1000);
    k8s_poll(c, &cfg, s, 1000);
    CHECK_INT(s->capacity.nsoft_limits, 1); /* still listed, usage unknown */
    CHECK(s->capacity.nsoft_limits == 1 && s->capacity.soft_limits[0].limit == 64 &&
          isnan(s->capacity.soft_limits[0].used));
    const struct source_state *src = k8s_src(s);
    if (src) {
        CHECK_INT(src->status, SOURCE_DISABLED);
        CHECK_INT(src->reason, REASON_NO_PERMISSION);
        CHECK(src->error && strstr(src->error, "no permission") &&
              strstr(src->error, "verb \"list\"") && strstr(src->error, "resource \"nodes\"") &&
              strstr(src->error, "cluster scope"));
        CHECK(src->hint && strstr(src->hint, "docs/kubernetes.md"));
    }
    snapshot_unref(s);
    k8s_client_free(c);
    fake_stop(&f);
}

TEST(k8s_http_403_on_quotas_keeps_the_cluster)
{
    struct fake f;
    fake_start(&f, "t");
    f.forbid_quotas = 1;
    struct config cfg;
    struct k8s_client *c = client_for(f.port, "t", NULL, &cfg);
    struct snapshot *s = snapshot_new(1000);
    k8s_poll(c, &cfg, s, 1000);
    const struct source_state *src = k8s_src(s);
    if (src) {
        CHECK_INT(src->status, SOURCE_OK);
        CHECK(src->error && strstr(src->error, "resource \"resourcequotas\""));
    }
    check_full_cluster(s);
    CHECK_INT(s->capacity.nnamespaces, 0);
    snapshot_unref(s);
    k8s_client_free(c);
    fake_stop(&f);
}

TEST(k8s_http_401_wrong_token_never_echoed)
{
    struct fake f;
    fake_start(&f, "right");
    struct config cfg;
    struct k8s_client *c = client_for(f.port, "wrong-secret-value", NULL, &cfg);
    struct snapshot *s = snapshot_new(1000);
    k8s_poll(c, &cfg, s, 1000);
    const struct source_state *src = k8s_src(s);
    if (src) {
        CHECK_INT(src->status, SOURCE_ERROR);
        CHECK_INT(src->reason, REASON_UNAUTHORIZED);
        CHECK(src->error && strstr(src->error, "401") && !strstr(src->error, "wrong-secret"));
    }
    CHECK(f.unauthorized == 1);
    snapshot_unref(s);

    /* After one success a failure is "stale", with the last success time. */
    snprintf(f.token, sizeof f.token, "wrong-secret-value");
    s = snapshot_new(1010);
    k8s_poll(c, &cfg, s, 1010);
    snapshot_unref(s);
    snprintf(f.token, sizeof f.token, "right");
    s = snapshot_new(1020);
    k8s_poll(c, &cfg, s, 1020);
    src = k8s_src(s);
    CHECK(src && src->status == SOURCE_STALE && src->last_ok == 1010);
    snapshot_unref(s);
    k8s_client_free(c);
    fake_stop(&f);
}

TEST(k8s_http_rotated_token_file_reread_each_poll)
{
    char path[] = "/tmp/scaletop-k8s-token-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK(write(fd, "first\n", 6) == 6);
    close(fd);
    struct fake f;
    fake_start(&f, "first");
    struct config cfg;
    struct k8s_client *c = client_for(f.port, NULL, path, &cfg);
    struct snapshot *s = snapshot_new(1000);
    k8s_poll(c, &cfg, s, 1000);
    CHECK(k8s_src(s) && k8s_src(s)->status == SOURCE_OK);
    snapshot_unref(s);

    snprintf(f.token, sizeof f.token, "second"); /* the kubelet rotated it */
    FILE *tf = fopen(path, "w");
    if (tf) {
        fputs("second\n", tf);
        fclose(tf);
    }
    s = snapshot_new(1010);
    k8s_poll(c, &cfg, s, 1010);
    CHECK(k8s_src(s) && k8s_src(s)->status == SOURCE_OK);
    check_full_cluster(s);
    snapshot_unref(s);

    unlink(path);
    s = snapshot_new(1020);
    k8s_poll(c, &cfg, s, 1020);
    const struct source_state *src = k8s_src(s);
    CHECK(src && src->status == SOURCE_STALE && src->reason == REASON_UNAUTHORIZED && src->error &&
          strstr(src->error, path));
    snapshot_unref(s);
    k8s_client_free(c);
    fake_stop(&f);
}

TEST(k8s_http_silent_server_times_out)
{
    /* Accepts connections (the kernel does) but never answers. */
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sin;
    CHECK(bind(ls, (struct sockaddr *)&sin, sizeof sin) == 0);
    CHECK(listen(ls, 8) == 0);
    CHECK(getsockname(ls, (struct sockaddr *)&sin, &sl) == 0);
    struct config cfg;
    struct k8s_client *c = client_for(ntohs(sin.sin_port), "t", NULL, &cfg);
    cfg.request_timeout_s = 1;
    k8s_client_free(c);
    c = client_with_cfg(ntohs(sin.sin_port), &cfg);
    struct snapshot *s = snapshot_new(1000);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    k8s_poll(c, &cfg, s, 1000);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    const struct source_state *src = k8s_src(s);
    CHECK(src && src->status == SOURCE_ERROR && src->reason == REASON_TIMEOUT);
    CHECK(took < 10); /* bounded by the 1 s request timeout, not hanging */
    snapshot_unref(s);
    k8s_client_free(c);
    close(ls);
}

TEST(k8s_http_endless_continue_is_bounded)
{
    struct fake f;
    fake_start(&f, "t");
    f.endless_nodes = 1;
    struct config cfg;
    struct k8s_client *c = client_for(f.port, "t", NULL, &cfg);
    k8s_client_set_max_pages(c, 50);
    struct snapshot *s = snapshot_new(1000);
    k8s_poll(c, &cfg, s, 1000);
    const struct source_state *src = k8s_src(s);
    CHECK(src && src->status == SOURCE_ERROR && src->reason == REASON_BAD_RESPONSE);
    CHECK(src && src->error && strstr(src->error, "more than 50 pages"));
    snapshot_unref(s);
    k8s_client_free(c);
    fake_stop(&f);
}

TEST(k8s_http_truncated_body_is_a_bad_response)
{
    struct fake f;
    fake_start(&f, "t");
    f.garbage_pods = 1;
    struct config cfg;
    struct k8s_client *c = client_for(f.port, "t", NULL, &cfg);
    struct snapshot *s = snapshot_new(1000);
    k8s_poll(c, &cfg, s, 1000);
    const struct source_state *src = k8s_src(s);
    CHECK(src && src->status == SOURCE_ERROR && src->reason == REASON_BAD_RESPONSE);
    CHECK(src && src->error && strstr(src->error, "list pods"));
    CHECK(isnan(s->capacity.cluster.cpu_allocatable_cores));
    snapshot_unref(s);
    k8s_client_free(c);
    fake_stop(&f);
}

TEST(k8s_http_429_retry_after_is_honoured)
{
    struct fake f;
    fake_start(&f, "t");
    f.throttle = 1;
    struct config cfg;
    struct k8s_client *c = client_for(f.port, "t", NULL, &cfg);
    struct snapshot *s = snapshot_new(1000);
    k8s_poll(c, &cfg, s, 1000);
    const struct source_state *src = k8s_src(s);
    CHECK(src && src->status == SOURCE_ERROR && src->reason == REASON_RATE_LIMITED);
    CHECK(src && src->error && strstr(src->error, "retry after 1 s"));
    snapshot_unref(s);
    /* Polled again at once: no request is sent until the second is over. */
    s = snapshot_new(1000.1);
    k8s_poll(c, &cfg, s, 1000.1);
    src = k8s_src(s);
    CHECK(src && src->reason == REASON_RATE_LIMITED && src->error &&
          strstr(src->error, "next attempt in 1 s"));
    CHECK_INT(f.node_requests, 1);
    snapshot_unref(s);
    k8s_client_free(c);
    fake_stop(&f);
}

TEST(k8s_http_discovery_endpointslices)
{
    struct fake f;
    fake_start(&f, "t");
    struct config cfg;
    struct k8s_client *c = client_for(f.port, "t", NULL, &cfg);
    char **urls = NULL;
    size_t n = 0;
    struct err e = {{0}};
    CHECK(k8s_discover_metrics(c, "coder", NULL, 0, &urls, &n, &e) == 0);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(urls[0], "http://10.0.0.4:2112/metrics");
        CHECK_STR(urls[1], "http://10.0.0.5:2112/metrics");
        CHECK_STR(urls[2], "http://[fd00::7]:2112/metrics");
    }
    for (size_t i = 0; i < n; i++) {
        free(urls[i]);
    }
    free(urls);

    f.slices_404 = 1; /* an old cluster: fall back to the Endpoints object */
    CHECK(k8s_discover_metrics(c, "coder", "coder", 9100, &urls, &n, &e) == 0);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(urls[0], "http://10.1.0.1:9100/metrics");
        CHECK_STR(urls[1], "http://10.1.0.2:9100/metrics");
    }
    for (size_t i = 0; i < n; i++) {
        free(urls[i]);
    }
    free(urls);

    CHECK(k8s_discover_metrics(c, "coder", "other", 0, &urls, &n, &e) != 0);
    CHECK(strstr(e.msg, "other") && strstr(e.msg, "404"));
    k8s_client_free(c);
    fake_stop(&f);
}

/* --- TLS: the kubeconfig's CA data and client certificate data reach libcurl */

struct pki {
    char dir[64];
    char *ca_b64, *cert_b64, *key_b64, *other_ca_b64;
    char *srv_key, *srv_cert;
};

static char *pki_read(const struct pki *p, const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", p->dir, name);
    char *t = test_read_file(path, NULL);
    if (t && t[0] != '-') {
        t[strcspn(t, "\n")] = '\0'; /* one base64 line */
    }
    return t;
}

/* A CA, a server certificate for 127.0.0.1 and a client certificate, made
 * with the openssl command line; a second, unrelated CA. */
static int pki_make(struct pki *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->dir, sizeof p->dir, "/tmp/scaletop-pki-XXXXXX");
    if (!mkdtemp(p->dir)) {
        return -1;
    }
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd %s && { "
             "EC='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'; "
             "openssl req -x509 $EC -keyout ca.key -out ca.crt -days 2 -subj /CN=test-ca && "
             "openssl req -x509 $EC -keyout ca2.key -out ca2.crt -days 2 -subj /CN=other-ca && "
             "printf 'subjectAltName=IP:127.0.0.1\\n' > san && "
             "openssl req $EC -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 && "
             "openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
             "-out srv.crt -days 2 -extfile san && "
             "openssl req $EC -keyout cli.key -out cli.csr -subj /CN=scaletop && "
             "openssl x509 -req -in cli.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
             "-out cli.crt -days 2 && "
             "openssl base64 -A -in ca.crt > ca.b64 && openssl base64 -A -in ca2.crt > ca2.b64 && "
             "openssl base64 -A -in cli.crt > cli.b64 && openssl base64 -A -in cli.key > key.b64; "
             "} >/dev/null 2>&1",
             p->dir);
    if (system(cmd) != 0) {
        return -1;
    }
    p->ca_b64 = pki_read(p, "ca.b64");
    p->other_ca_b64 = pki_read(p, "ca2.b64");
    p->cert_b64 = pki_read(p, "cli.b64");
    p->key_b64 = pki_read(p, "key.b64");
    p->srv_key = pki_read(p, "srv.key");
    p->srv_cert = pki_read(p, "srv.crt");
    return p->ca_b64 && p->other_ca_b64 && p->cert_b64 && p->key_b64 && p->srv_key && p->srv_cert
               ? 0
               : -1;
}

static void pki_free(struct pki *p)
{
    free(p->ca_b64);
    free(p->other_ca_b64);
    free(p->cert_b64);
    free(p->key_b64);
    free(p->srv_key);
    free(p->srv_cert);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", p->dir);
    if (p->dir[0] && system(cmd) != 0) {
        test_fail(__FILE__, __LINE__, "cannot remove %s", p->dir);
    }
}

/* Writes a kubeconfig for https://127.0.0.1:port into the PKI directory. */
static void pki_kubeconfig(const struct pki *p, int port, const char *ca_b64, const char *key_b64,
                           char *path, size_t cap)
{
    snprintf(path, cap, "%s/kubeconfig", p->dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        return;
    }
    fprintf(f,
            "apiVersion: v1\nkind: Config\ncurrent-context: tls\n"
            "clusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:%d\n"
            "    certificate-authority-data: %s\n"
            "contexts:\n- name: tls\n  context: {cluster: c, user: u, namespace: coder}\n"
            "users:\n- name: u\n  user:\n    token: tls-token\n"
            "    client-certificate-data: %s\n    client-key-data: %s\n",
            port, ca_b64, p->cert_b64, key_b64);
    fclose(f);
}

static const struct source_state *poll_kubeconfig(const char *path, struct snapshot *s)
{
    struct kubeconfig_auth a;
    struct err e = {{0}};
    if (kubeconfig_load(path, NULL, &a, &e) != 0) {
        test_fail(__FILE__, __LINE__, "kubeconfig: %s", e.msg);
        return NULL;
    }
    struct config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.connect_timeout_s = 20;
    cfg.request_timeout_s = 20;
    struct k8s_client *c = k8s_client_new(&a, &cfg);
    CHECK_STR(k8s_client_namespace(c), "coder");
    k8s_poll(c, &cfg, s, 1000);
    k8s_client_free(c);
    return k8s_src(s);
}

TEST(k8s_https_kubeconfig_ca_and_client_cert_data)
{
    struct pki p;
    if (pki_make(&p) != 0) {
        test_fail(__FILE__, __LINE__, "cannot make test certificates with openssl");
        pki_free(&p);
        return;
    }
    struct fake f;
    fake_start_tls(&f, "tls-token", p.srv_key, p.srv_cert);
    char path[128];

    pki_kubeconfig(&p, f.port, p.ca_b64, p.key_b64, path, sizeof path);
    struct snapshot *s = snapshot_new(1000);
    const struct source_state *src = poll_kubeconfig(path, s);
    CHECK(src && src->status == SOURCE_OK);
    if (src && src->status != SOURCE_OK) {
        test_fail(__FILE__, __LINE__, "error: %s", src->error ? src->error : "");
    }
    check_full_cluster(s);
    snapshot_unref(s);

    /* A CA that did not sign the server's certificate: verification fails. */
    pki_kubeconfig(&p, f.port, p.other_ca_b64, p.key_b64, path, sizeof path);
    s = snapshot_new(1000);
    src = poll_kubeconfig(path, s);
    CHECK(src && src->status == SOURCE_ERROR && src->reason == REASON_UNREACHABLE);
    CHECK(src && src->error && strstr(src->error, "TLS verification of https://127.0.0.1"));
    snapshot_unref(s);

    /* A client key that does not belong to the certificate is refused. */
    pki_kubeconfig(&p, f.port, p.ca_b64, p.other_ca_b64, path, sizeof path);
    s = snapshot_new(1000);
    src = poll_kubeconfig(path, s);
    CHECK(src && src->status == SOURCE_ERROR && src->error &&
          strstr(src->error, "TLS set-up failed") && strstr(src->error, "private key"));
    snapshot_unref(s);

    fake_stop(&f);
    pki_free(&p);
}

TEST(k8s_https_in_cluster_service_account)
{
    struct pki p;
    if (pki_make(&p) != 0) {
        test_fail(__FILE__, __LINE__, "cannot make test certificates with openssl");
        pki_free(&p);
        return;
    }
    /* The service-account directory: ca.crt, a token the kubelet rotates,
     * the namespace. */
    char path[160], cmd[400];
    snprintf(cmd, sizeof cmd,
             "cd %s && mkdir sa && cp ca.crt sa/ca.crt && printf sa-token-1 > sa/token && "
             "printf coder > sa/namespace",
             p.dir);
    CHECK(system(cmd) == 0);
    snprintf(path, sizeof path, "%s/sa", p.dir);
    struct fake f;
    fake_start_tls(&f, "sa-token-1", p.srv_key, p.srv_cert);
    char port[16];
    snprintf(port, sizeof port, "%d", f.port);
    struct kubeconfig_opts o;
    memset(&o, 0, sizeof o);
    o.service_host = "127.0.0.1";
    o.service_port = port;
    o.sa_dir = path;
    struct kubeconfig_auth a;
    struct err e = {{0}};
    CHECK_INT(kubeconfig_resolve(&o, &a, &e), 1);
    struct config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.connect_timeout_s = 20;
    cfg.request_timeout_s = 20;
    struct k8s_client *c = k8s_client_new(&a, &cfg);
    CHECK_STR(k8s_client_namespace(c), "coder");
    struct snapshot *s = snapshot_new(1000);
    k8s_poll(c, &cfg, s, 1000);
    const struct source_state *src = k8s_src(s);
    CHECK(src && src->status == SOURCE_OK);
    check_full_cluster(s);
    snapshot_unref(s);

    /* Rotation: the next poll sends the new token. */
    snprintf(f.token, sizeof f.token, "sa-token-2");
    snprintf(cmd, sizeof cmd, "printf sa-token-2 > %s/sa/token", p.dir);
    CHECK(system(cmd) == 0);
    s = snapshot_new(1010);
    k8s_poll(c, &cfg, s, 1010);
    src = k8s_src(s);
    CHECK(src && src->status == SOURCE_OK && src->last_ok == 1010);
    snapshot_unref(s);
    k8s_client_free(c);
    fake_stop(&f);
    pki_free(&p);
}
