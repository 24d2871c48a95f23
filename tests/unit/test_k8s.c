/* Kubernetes objects from ../shared/fixtures/k8s through the parsers and the
 * headroom arithmetic: what the Capacity pane would show for them. */
#include "backend/k8s.h"
#include "backend/snapshot.h"
#include "backend/source.h"
#include "tests/lib/test.h"

#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define MI (1024.0 * 1024.0)

static char *fixture(const char *rel, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "fixtures/k8s/%s", rel);
    char *text = test_read_file(test_shared_path(path), len);
    if (!text) {
        test_fail(__FILE__, __LINE__, "cannot read %s", test_shared_path(path));
    }
    return text;
}

static int load_node(const char *rel, struct k8s_node *n)
{
    size_t len;
    char *t = fixture(rel, &len);
    struct err e = {{0}};
    int rc = t ? k8s_node_parse(t, len, n, &e) : -1;
    if (rc != 0) {
        test_fail(__FILE__, __LINE__, "%s: %s", rel, e.msg);
    }
    free(t);
    return rc;
}

static int load_pod(const char *rel, struct k8s_pod *p)
{
    size_t len;
    char *t = fixture(rel, &len);
    struct err e = {{0}};
    int rc = t ? k8s_pod_parse(t, len, p, &e) : -1;
    if (rc != 0) {
        test_fail(__FILE__, __LINE__, "%s: %s", rel, e.msg);
    }
    free(t);
    return rc;
}

TEST(k8s_node_minikube_allocatable)
{
    struct k8s_node n;
    if (load_node("k9s-testdata/node-minikube-render-no.json", &n) != 0) {
        return;
    }
    CHECK_STR(n.name, "minikube");
    CHECK(n.ready && !n.unschedulable);
    CHECK(n.cpu_allocatable_cores == 4.0);
    CHECK(n.memory_allocatable_bytes == 8256671744.0);
    CHECK(n.pods_allocatable == 110.0);
    CHECK(n.memory_capacity_bytes == 8165556.0 * 1024);
    k8s_node_fini(&n);

    CHECK(load_node("k9s-testdata/node-minikube-dao-n1.json", &n) == 0);
    CHECK(n.memory_allocatable_bytes == 8359612416.0);
    k8s_node_fini(&n);
}

TEST(k8s_node_api_testdata_cordoned_not_ready)
{
    struct k8s_node n;
    if (load_node("api-testdata-HEAD/core.v1.Node.json", &n) != 0) {
        return;
    }
    CHECK(n.unschedulable);
    CHECK(!n.ready);                       /* its only condition is "typeValue" */
    CHECK(isnan(n.cpu_allocatable_cores)); /* only "allocatableKey" */
    k8s_node_fini(&n);
}

TEST(k8s_pod_plain_and_init)
{
    struct k8s_pod p;
    if (load_pod("k9s-testdata/pod-po.json", &p) != 0) {
        return;
    }
    CHECK_STR(p.node_name, "minikube");
    CHECK_STR(p.namespace_name, "default");
    CHECK(!p.terminal);
    CHECK_NEAR(p.cpu_request_cores, 0.1, 1e-12);
    CHECK(p.memory_request_bytes == 70 * MI);
    CHECK(p.memory_limit_bytes == 170 * MI);
    CHECK(p.cpu_limit_cores == 0); /* unset limit adds nothing */
    k8s_pod_fini(&p);

    CHECK(load_pod("k9s-testdata/pod-po_init.json", &p) == 0);
    CHECK_NEAR(p.cpu_request_cores, 0.1, 1e-12); /* max with the init container, not sum */
    CHECK(p.memory_request_bytes == 70 * MI);
    k8s_pod_fini(&p);
}

TEST(k8s_pod_sidecar_effective_requests_333)
{
    struct k8s_pod p;
    if (load_pod("k9s-testdata/pod-po_sidecar.json", &p) != 0) {
        return;
    }
    CHECK_STR(p.node_name, "kind-control-plane");
    CHECK_NEAR(p.cpu_request_cores, 0.333, 1e-12);
    CHECK(p.memory_request_bytes == 333 * MI);
    CHECK_NEAR(p.cpu_limit_cores, 0.333, 1e-12);
    CHECK(p.memory_limit_bytes == 333 * MI);
    k8s_pod_fini(&p);
}

TEST(k8s_pod_api_testdata_tolerated)
{
    struct k8s_pod p;
    if (load_pod("api-testdata-HEAD/core.v1.Pod.json", &p) != 0) {
        return;
    }
    CHECK_STR(p.node_name, "nodeNameValue");
    CHECK(p.cpu_request_cores == 0 && p.memory_request_bytes == 0);
    CHECK(!p.terminal);
    k8s_pod_fini(&p);
}

TEST(k8s_pod_sidecar_before_init_counts_in_init_phase)
{
    /* sidecar (100m) declared before a regular init (500m): the init phase
     * needs 600m; app 200m + sidecar 100m = 300m; effective 600m. Pod
     * overhead 50m / 10Mi is added on top. */
    const char *json =
        "{\"metadata\":{\"name\":\"w\",\"namespace\":\"coder\"},"
        "\"spec\":{\"nodeName\":\"n\",\"overhead\":{\"cpu\":\"50m\",\"memory\":\"10Mi\"},"
        "\"initContainers\":["
        "{\"name\":\"s\",\"restartPolicy\":\"Always\",\"resources\":{\"requests\":{\"cpu\":"
        "\"100m\",\"memory\":\"1Gi\"}}},"
        "{\"name\":\"i\",\"resources\":{\"requests\":{\"cpu\":\"500m\",\"memory\":\"64Mi\"}}}],"
        "\"containers\":[{\"name\":\"a\",\"resources\":{\"requests\":{\"cpu\":0.2,\"memory\":"
        "\"2Gi\"}}}]},"
        "\"status\":{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"PodScheduled\",\"status\":"
        "\"False\",\"reason\":\"Unschedulable\"}]}}";
    struct k8s_pod p;
    struct err e = {{0}};
    CHECK(k8s_pod_parse(json, strlen(json), &p, &e) == 0);
    CHECK_NEAR(p.cpu_request_cores, 0.65, 1e-12);
    CHECK(p.memory_request_bytes == 3.0 * 1024 * MI + 10 * MI);
    CHECK(p.unschedulable);
    struct k8s_capacity *c = k8s_capacity_new();
    k8s_capacity_add_pod(c, &p); /* bound to an unknown node: not requested */
    free(p.node_name);
    p.node_name = NULL; /* the usual case: Pending with no node */
    k8s_capacity_add_pod(c, &p);
    struct snapshot *s = snapshot_new(1000);
    CHECK(isnan(s->capacity.cluster.pods_unschedulable));
    k8s_capacity_fill(c, NULL, s);
    CHECK(s->capacity.cluster.pods_unschedulable == 2);
    CHECK(s->capacity.cluster.pods == 0 && s->capacity.cluster.cpu_requested_cores == 0);
    snapshot_unref(s);
    k8s_capacity_free(c);
    k8s_pod_fini(&p);
}

TEST(k8s_pod_level_resources_override)
{
    const char *json =
        "{\"metadata\":{\"name\":\"w\",\"namespace\":\"coder\"},"
        "\"spec\":{\"nodeName\":\"n\",\"resources\":{\"requests\":{\"cpu\":\"2\"}},"
        "\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}}]},"
        "\"status\":{\"phase\":\"Running\"}}";
    struct k8s_pod p;
    struct err e = {{0}};
    CHECK(k8s_pod_parse(json, strlen(json), &p, &e) == 0);
    CHECK(p.cpu_request_cores == 2.0);
    CHECK(p.memory_request_bytes == 1024 * MI);
    k8s_pod_fini(&p);
}

TEST(k8s_pod_malformed_quantity_named)
{
    const char *json = "{\"metadata\":{\"name\":\"bad\",\"namespace\":\"ws\"},"
                       "\"spec\":{\"nodeName\":\"n\",\"containers\":[{\"resources\":{\"requests\":{"
                       "\"cpu\":\"1K\",\"memory\":\"1Gi\"}}}]},"
                       "\"status\":{\"phase\":\"Running\"}}";
    struct k8s_pod p;
    struct err e = {{0}};
    CHECK(k8s_pod_parse(json, strlen(json), &p, &e) != 0);
    CHECK(strstr(e.msg, "pod ws/bad") && strstr(e.msg, "cpu") &&
          strstr(e.msg, "malformed quantity"));
    CHECK(p.memory_request_bytes == 1024 * MI); /* the rest is kept */
    k8s_pod_fini(&p);
    CHECK(k8s_pod_parse("{not json", 9, &p, &e) != 0);
    CHECK(strstr(e.msg, "malformed JSON") != NULL);
}

static void add_node_named(struct k8s_capacity *c, const char *rel, const char *name)
{
    struct k8s_node n;
    if (load_node(rel, &n) != 0) {
        return;
    }
    free(n.name);
    n.name = strdup(name);
    k8s_capacity_add_node(c, &n);
    k8s_node_fini(&n);
}

static void add_pod_fixture(struct k8s_capacity *c, const char *rel, const char *phase,
                            const char *node)
{
    struct k8s_pod p;
    if (load_pod(rel, &p) != 0) {
        return;
    }
    if (phase) {
        free(p.phase);
        p.phase = strdup(phase);
        p.terminal = strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0;
    }
    if (node) {
        free(p.node_name);
        p.node_name = *node ? strdup(node) : NULL;
    }
    k8s_capacity_add_pod(c, &p);
    k8s_pod_fini(&p);
}

TEST(k8s_cluster_headroom_from_fixtures)
{
    struct k8s_capacity *c = k8s_capacity_new();
    add_node_named(c, "k9s-testdata/node-minikube-render-no.json", "minikube");
    add_node_named(c, "k9s-testdata/node-minikube-dao-n1.json", "kind-control-plane");
    add_node_named(c, "api-testdata-HEAD/core.v1.Node.json", "cordoned"); /* not counted */
    add_pod_fixture(c, "k9s-testdata/pod-po.json", NULL, NULL);
    add_pod_fixture(c, "k9s-testdata/pod-po_init.json", NULL, NULL);
    add_pod_fixture(c, "k9s-testdata/pod-po_sidecar.json", NULL, NULL);
    add_pod_fixture(c, "k9s-testdata/pod-po.json", "Succeeded", NULL); /* terminal */
    add_pod_fixture(c, "k9s-testdata/pod-po.json", "Failed", NULL);    /* terminal */
    add_pod_fixture(c, "k9s-testdata/pod-po.json", "Pending", "");     /* unscheduled */
    add_pod_fixture(c, "k9s-testdata/pod-po.json", NULL, "cordoned");  /* on a cordoned node */
    add_pod_fixture(c, "k9s-testdata/pod-po.json", NULL, "vanished");  /* node not listed */

    struct config cfg;
    memset(&cfg, 0, sizeof cfg);
    char n0[] = "aws vCPU", r0[] = "cpu", n1[] = "pod budget", r1[] = "pods", n2[] = "gpus",
         r2[] = "nvidia.com/gpu", n3[] = "requested", r3[] = "requests.memory", n4[] = "ram",
         r4[] = "memory";
    cfg.soft_limits[0].name = n0;
    cfg.soft_limits[0].resource = r0;
    cfg.soft_limits[0].limit = 32;
    cfg.soft_limits[1].name = n1;
    cfg.soft_limits[1].resource = r1;
    cfg.soft_limits[1].limit = 100;
    cfg.soft_limits[2].name = n2;
    cfg.soft_limits[2].resource = r2;
    cfg.soft_limits[2].limit = 4;
    cfg.soft_limits[3].name = n3;
    cfg.soft_limits[3].resource = r3;
    cfg.soft_limits[3].limit = 1e12;
    cfg.soft_limits[4].name = n4;
    cfg.soft_limits[4].resource = r4;
    cfg.soft_limits[4].limit = 1e12;
    cfg.nsoft_limits = 5;

    struct snapshot *s = snapshot_new(1000);
    k8s_capacity_fill(c, &cfg, s);
    CHECK(s->capacity.cluster.nodes == 2);
    CHECK(s->capacity.cluster.cpu_allocatable_cores == 8.0);
    CHECK(s->capacity.cluster.memory_allocatable_bytes == 8256671744.0 + 8359612416.0);
    CHECK(s->capacity.cluster.pods_allocatable == 220);
    CHECK_NEAR(s->capacity.cluster.cpu_requested_cores, 0.1 + 0.1 + 0.333, 1e-9);
    CHECK(s->capacity.cluster.memory_requested_bytes == (70 + 70 + 333) * MI);
    CHECK(s->capacity.cluster.pods == 3);
    CHECK(s->capacity.cluster.pods_unschedulable == 0);
    CHECK_INT(s->capacity.nsoft_limits, 5);
    CHECK_STR(s->capacity.soft_limits[0].name, "aws vCPU");
    CHECK(s->capacity.soft_limits[0].used == 8.0); /* every node's capacity, cordoned has none */
    CHECK(s->capacity.soft_limits[0].limit == 32);
    CHECK(s->capacity.soft_limits[1].used == 3);
    CHECK(isnan(s->capacity.soft_limits[2].used));
    CHECK(s->capacity.soft_limits[3].used == (70 + 70 + 333) * MI);
    /* capacity of all three nodes; the api-testdata node has none for memory */
    CHECK(s->capacity.soft_limits[4].used == 8165556.0 * 1024 + 8359612416.0);
    CHECK_INT(s->capacity.nnamespaces, 0);
    snapshot_unref(s);
    k8s_capacity_free(c);
}

static void add_quota(struct k8s_capacity *c, const char *json)
{
    struct err e = {{0}};
    if (k8s_capacity_add_quota_json(c, json, strlen(json), &e) != 0) {
        test_fail(__FILE__, __LINE__, "quota rejected: %s", e.msg);
    }
}

static const struct quantity_pair *find_res(const struct namespace_quota *nq, const char *name)
{
    for (size_t i = 0; i < nq->nresources; i++) {
        if (strcmp(nq->resources[i].resource, name) == 0) {
            return &nq->resources[i];
        }
    }
    test_fail(__FILE__, __LINE__, "no resource %s in %s", name, nq->name);
    return NULL;
}

TEST(k8s_cpu_sums_free_of_rounding_noise)
{
    struct k8s_capacity *c = k8s_capacity_new();
    for (int i = 0; i < 58; i++) {
        char name[16];
        snprintf(name, sizeof name, "n%02d", i);
        struct k8s_node n = {name, true, false, 15.89, 64e9, 110, 16, 64e9};
        k8s_capacity_add_node(c, &n);
    }
    struct snapshot *s = snapshot_new(1000);
    k8s_capacity_fill(c, NULL, s);
    CHECK(s->capacity.cluster.cpu_allocatable_cores == 921.62); /* the double nearest */
    snapshot_unref(s);
    k8s_capacity_free(c);
}

TEST(k8s_quotas_per_namespace_in_base_units)
{
    struct k8s_capacity *c = k8s_capacity_new();
    add_quota(
        c, "{\"metadata\":{\"name\":\"compute\",\"namespace\":\"coder-ws\"},"
           "\"spec\":{\"hard\":{\"requests.cpu\":\"8\"}},"
           "\"status\":{\"hard\":{\"requests.cpu\":\"8\",\"requests.memory\":\"16Gi\","
           "\"pods\":\"2e3\",\"limits.cpu\":\"16000m\"},"
           "\"used\":{\"requests.cpu\":\"500m\",\"requests.memory\":\"1536Mi\",\"pods\":\"12\"}}}");
    add_quota(c, "{\"metadata\":{\"name\":\"pods\",\"namespace\":\"coder-ws\"},"
                 "\"status\":{\"hard\":{\"pods\":\"20\"},\"used\":{\"pods\":\"12\"}}}");
    add_quota(c, "{\"metadata\":{\"name\":\"fresh\",\"namespace\":\"a-new\"},"
                 "\"spec\":{\"hard\":{\"count/persistentvolumeclaims\":\"10\"}}}");
    size_t len;
    char *t = fixture("api-testdata-HEAD/core.v1.ResourceQuota.json", &len);
    struct err e = {{0}};
    CHECK(t && k8s_capacity_add_quota_json(c, t, len, &e) == 0);
    free(t);
    t = fixture("api-testdata-HEAD/core.v1.LimitRange.json", &len);
    CHECK(t && k8s_capacity_add_limitrange_json(c, t, len, &e) == 0);
    free(t);
    const char *lr =
        "{\"metadata\":{\"name\":\"d\",\"namespace\":\"coder-ws\"},\"spec\":{\"limits\":"
        "[{\"type\":\"Container\",\"defaultRequest\":{\"cpu\":\"100m\"}}]}}";
    CHECK(k8s_capacity_add_limitrange_json(c, lr, strlen(lr), &e) == 0);

    struct snapshot *s = snapshot_new(1000);
    k8s_capacity_fill(c, NULL, s);
    CHECK_INT(s->capacity.nnamespaces, 3);
    if (s->capacity.nnamespaces == 3) {
        const struct namespace_quota *a = &s->capacity.namespaces[0];
        const struct namespace_quota *w = &s->capacity.namespaces[1];
        const struct namespace_quota *v = &s->capacity.namespaces[2];
        CHECK_STR(a->name, "a-new");
        CHECK_STR(w->name, "coder-ws");
        CHECK_STR(v->name, "namespaceValue");
        const struct quantity_pair *q = find_res(a, "count/persistentvolumeclaims");
        CHECK(q && q->hard == 10 && isnan(q->used)); /* no status yet */
        CHECK(a->limitrange_defaults == TRI_FALSE);
        CHECK(w->limitrange_defaults == TRI_TRUE);
        CHECK_INT(w->nresources, 4);
        q = find_res(w, "requests.cpu");
        CHECK(q && q->used == 0.5 && q->hard == 8);
        q = find_res(w, "requests.memory");
        CHECK(q && q->used == 1536 * MI && q->hard == 16 * 1024 * MI);
        q = find_res(w, "limits.cpu");
        CHECK(q && q->hard == 16 && isnan(q->used));
        q = find_res(w, "pods");
        CHECK(q && q->hard == 20 && q->used == 12); /* the tighter of 2e3 and 20 */
        q = find_res(v, "hardKey");
        CHECK(q && q->hard == 0 && isnan(q->used));
    }
    snapshot_unref(s);
    k8s_capacity_free(c);
}

TEST(k8s_quota_malformed_quantity_kept_unknown)
{
    struct k8s_capacity *c = k8s_capacity_new();
    const char *json =
        "{\"metadata\":{\"name\":\"q\",\"namespace\":\"ns\"},"
        "\"status\":{\"hard\":{\"cpu\":\"4x\",\"memory\":\"1Gi\"},\"used\":{\"cpu\":\"1\"}}}";
    struct err e = {{0}};
    CHECK(k8s_capacity_add_quota_json(c, json, strlen(json), &e) != 0);
    CHECK(strstr(e.msg, "resourcequota ns/q") && strstr(e.msg, "malformed quantity"));
    struct snapshot *s = snapshot_new(1000);
    k8s_capacity_fill(c, NULL, s);
    CHECK_INT(s->capacity.nnamespaces, 1);
    if (s->capacity.nnamespaces == 1) {
        const struct quantity_pair *q = find_res(&s->capacity.namespaces[0], "cpu");
        CHECK(q && isnan(q->hard) && q->used == 1);
        q = find_res(&s->capacity.namespaces[0], "memory");
        CHECK(q && q->hard == 1024 * MI);
        CHECK(s->capacity.namespaces[0].limitrange_defaults == TRI_UNKNOWN);
    }
    snapshot_unref(s);
    k8s_capacity_free(c);
}

TEST(k8s_unexpected_shapes_do_not_crash)
{
    static const char *odd[] = {
        "[]",
        "{}",
        "{\"spec\":{\"containers\":\"x\",\"initContainers\":{}}}",
        "{\"spec\":{\"containers\":[{\"resources\":{\"requests\":\"cpu\"}}]}}",
        "{\"spec\":{\"containers\":[null,1,{\"resources\":null}]},\"status\":[]}",
        "{\"metadata\":[],\"spec\":{\"nodeName\":5},\"status\":{\"phase\":7}}",
    };
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        struct k8s_pod p;
        struct k8s_node n;
        struct err e = {{0}};
        int rc = k8s_pod_parse(odd[i], strlen(odd[i]), &p, &e);
        CHECK(rc == (i == 0 ? -1 : 0));
        CHECK(i == 0 || (p.cpu_request_cores == 0 && p.node_name == NULL && !p.terminal));
        k8s_pod_fini(&p);
        rc = k8s_node_parse(odd[i], strlen(odd[i]), &n, &e);
        CHECK(rc == (i == 0 ? -1 : 0));
        CHECK(i == 0 || (!n.ready && isnan(n.cpu_allocatable_cores)));
        k8s_node_fini(&n);
    }
    const char *obj =
        "{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\"},\"spec\":{\"containers\":"
        "[{\"resources\":{\"requests\":{\"cpu\":{\"v\":1},\"memory\":1073741824}}}]}}";
    struct k8s_pod p;
    struct err e = {{0}};
    CHECK(k8s_pod_parse(obj, strlen(obj), &p, &e) != 0);
    CHECK(strstr(e.msg, "not a string or a number") != NULL);
    CHECK(p.memory_request_bytes == 1073741824.0); /* a bare JSON number parses */
    k8s_pod_fini(&p);
}

TEST(k8s_source_ops_disabled_broken_and_configured)
{
    char home[] = "/tmp/scaletop-k8s-home-XXXXXX";
    CHECK(mkdtemp(home) != NULL);
    setenv("HOME", home, 1);
    unsetenv("KUBECONFIG");
    unsetenv("KUBERNETES_SERVICE_HOST");
    struct config cfg;
    memset(&cfg, 0, sizeof cfg);

    /* Nothing configured: no state, and the disabled entry carries the hint. */
    CHECK(kubernetes_source_ops.create(&cfg) == NULL);
    struct snapshot *s = snapshot_new(1000);
    kubernetes_source_ops.add_disabled(s);
    const struct source_state *src = snapshot_find_source(s, "kubernetes");
    CHECK(src && src->status == SOURCE_DISABLED && src->reason == REASON_NOT_CONFIGURED &&
          src->hint && strstr(src->hint, "--kubeconfig"));
    snapshot_unref(s);

    /* A kubeconfig that cannot be used: an error naming the file, every poll. */
    char path[96];
    snprintf(path, sizeof path, "%s/kc", home);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs("current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
              "clusters: [{name: c, cluster: {server: 'https://k'}}]\n"
              "users: [{name: u, user: {exec: {command: gke-gcloud-auth-plugin}}}]\n",
              f);
        fclose(f);
    }
    cfg.kubeconfig = path;
    void *st = kubernetes_source_ops.create(&cfg);
    CHECK(st != NULL);
    s = snapshot_new(1000);
    kubernetes_source_ops.poll(st, s, 1000);
    src = snapshot_find_source(s, "kubernetes");
    CHECK(src && src->status == SOURCE_ERROR && src->error && strstr(src->error, path) &&
          strstr(src->error, "gke-gcloud-auth-plugin"));
    snapshot_unref(s);
    kubernetes_source_ops.destroy(st);

    /* ~/.kube/config is found as the last resort. */
    char dir[96], conf[128];
    snprintf(dir, sizeof dir, "%s/.kube", home);
    snprintf(conf, sizeof conf, "%s/config", dir);
    mkdir(dir, 0700);
    f = fopen(conf, "w");
    if (f) {
        fputs("current-context: x\ncontexts: [{name: x, context: {cluster: c, namespace: ws}}]\n"
              "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:1'}}]\n",
              f);
        fclose(f);
    }
    cfg.kubeconfig = NULL;
    struct k8s_client *c = NULL;
    struct err e = {{0}};
    CHECK_INT(k8s_client_open(&cfg, &c, &e), 1);
    CHECK(c && k8s_client_namespace(c) && strcmp(k8s_client_namespace(c), "ws") == 0);
    k8s_client_free(c);
    unlink(conf);
    rmdir(dir);
    unlink(path);
    rmdir(home);
}
