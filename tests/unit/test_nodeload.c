/* Workspaces per node (issue 12): label selectors, which pods are Coder's,
 * per-node load with and without the metrics API, and the snapshot JSON of
 * capacity.nodes. Pods carry the labels Coder's templates and Helm charts
 * really put on them (docs/kubernetes.md). */
#include "backend/config.h"
#include "backend/k8s.h"
#include "backend/labelsel.h"
#include "backend/snapshot.h"
#include "backend/snapshot_json.h"
#include "panels/panel.h"
#include "tests/lib/test.h"
#include "tui/canvas.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GI (1024.0 * 1024.0 * 1024.0)

struct kv {
    const char *k, *v;
};

struct kvs {
    const struct kv *list;
};

static const char *kv_get(void *ctx, const char *key)
{
    for (const struct kv *p = ((struct kvs *)ctx)->list; p->k; p++) {
        if (strcmp(p->k, key) == 0) {
            return p->v;
        }
    }
    return NULL;
}

static bool sel_match(const char *text, const struct kv *labels)
{
    struct labelsel s;
    struct err e;
    if (labelsel_parse(&s, text, &e) != 0) {
        test_fail(__FILE__, __LINE__, "'%s' rejected: %s", text, e.msg);
        return false;
    }
    struct kvs ctx = {labels};
    bool m = labelsel_match(&s, kv_get, &ctx);
    labelsel_fini(&s);
    return m;
}

TEST(labelsel_operators)
{
    const struct kv ws[] = {{"app.kubernetes.io/name", "coder-workspace"},
                            {"com.coder.workspace.id", "8f1c"},
                            {"tier", "gold"},
                            {NULL, NULL}};
    CHECK(sel_match("com.coder.workspace.id", ws));
    CHECK(sel_match("app.kubernetes.io/name=coder-workspace", ws));
    CHECK(sel_match("app.kubernetes.io/name == coder-workspace , tier", ws));
    CHECK(!sel_match("app.kubernetes.io/name=coder", ws));
    CHECK(sel_match("app.kubernetes.io/name!=coder", ws));
    CHECK(!sel_match("!com.coder.workspace.id", ws));
    CHECK(sel_match("!app.kubernetes.io/component", ws));
    /* != and notin hold when the key is absent, as in Kubernetes */
    CHECK(sel_match("app.kubernetes.io/component!=wsproxy", ws));
    CHECK(sel_match("zone notin (a,b)", ws));
    CHECK(sel_match("tier in (silver, gold)", ws));
    CHECK(!sel_match("tier notin (silver,gold)", ws));
    CHECK(!sel_match("tier in (silver)", ws));
    CHECK(!sel_match("zone in (a)", ws));
    /* a key named like the operators is still a key */
    const struct kv odd[] = {{"index", "1"}, {"notinuse", "x"}, {NULL, NULL}};
    CHECK(sel_match("index,notinuse", odd));
    CHECK(sel_match("index in (1)", odd));
}

TEST(labelsel_none_and_errors)
{
    const struct kv any[] = {{"a", "b"}, {NULL, NULL}};
    CHECK(!sel_match("", any));
    CHECK(!sel_match("none", any));
    static const char *const bad[] = {
        "a=b,",    "=b",         "a in b", "a in (b",   "a b",    "a=\"b\"", "a=b c", "a==b==c",
        "a=b;c=d", "a=\x1b[31m", "!",      "a notin b", "tier>3", ",a",      "a,,b",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct labelsel s;
        struct err e = {{0}};
        if (labelsel_parse(&s, bad[i], &e) == 0) {
            test_fail(__FILE__, __LINE__, "'%s' accepted", bad[i]);
            labelsel_fini(&s);
        } else {
            CHECK(strstr(e.msg, "label selector") != NULL);
            CHECK(s.n == 0);
        }
    }
}

/* A pod object with the given labels and annotations (JSON object text),
 * one container's requests, on node (NULL: unscheduled). */
static char *pod(const char *ns, const char *name, const char *node, const char *labels,
                 const char *annotations, const char *cpu, const char *mem)
{
    char nodef[128] = "";
    if (node) {
        snprintf(nodef, sizeof nodef, "\"nodeName\":\"%s\",", node);
    }
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    fprintf(f,
            "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\",\"labels\":%s,"
            "\"annotations\":%s},\"spec\":{%s\"containers\":[{\"name\":\"c\",\"resources\":"
            "{\"requests\":{\"cpu\":\"%s\",\"memory\":\"%s\"}}}]},\"status\":{\"phase\":"
            "\"Running\"}}",
            name, ns, labels, annotations ? annotations : "{}", nodef, cpu, mem);
    fclose(f);
    return s;
}

static const char WS_LABELS[] =
    "{\"app.kubernetes.io/name\":\"coder-workspace\",\"app.kubernetes.io/instance\":"
    "\"coder-workspace-alice-dev\",\"app.kubernetes.io/part-of\":\"coder\","
    "\"com.coder.resource\":\"true\",\"com.coder.workspace.id\":"
    "\"6a4e0c1f-2b1d-4f7e-9c3a-1d2e3f4a5b6c\",\"com.coder.workspace.name\":\"dev\","
    "\"com.coder.user.username\":\"alice\"}";
static const char CODER_LABELS[] =
    "{\"app.kubernetes.io/name\":\"coder\",\"app.kubernetes.io/instance\":\"coder\","
    "\"app.kubernetes.io/part-of\":\"coder\",\"helm.sh/chart\":\"coder-2.18.0\"}";
static const char PROV_LABELS[] =
    "{\"app.kubernetes.io/name\":\"coder-provisioner\",\"app.kubernetes.io/instance\":"
    "\"coder-provisioner\"}";
static const char PG_LABELS[] =
    "{\"app.kubernetes.io/name\":\"postgresql\",\"app.kubernetes.io/instance\":\"coder-db\","
    "\"app.kubernetes.io/component\":\"primary\"}";

static enum k8s_role role_of(const struct k8s_roles *r, const char *json)
{
    struct k8s_pod p;
    struct err e = {{0}};
    if (k8s_pod_parse_roles(json, strlen(json), r, &p, &e) != 0) {
        test_fail(__FILE__, __LINE__, "pod rejected: %s", e.msg);
    }
    enum k8s_role role = p.role;
    k8s_pod_fini(&p);
    return role;
}

TEST(k8s_roles_from_the_charts_and_templates)
{
    struct k8s_roles r;
    struct err e = {{0}};
    CHECK(k8s_roles_init(&r, NULL, &e) == 0);
    char *p;
    p = pod("coder", "ws", "n1", WS_LABELS, NULL, "1", "4Gi");
    CHECK_INT(role_of(&r, p), K8S_ROLE_WORKSPACE);
    free(p);
    /* coderd: the chart's labels, the component in the annotations */
    p = pod("coder", "coder-7d9f", "n1", CODER_LABELS,
            "{\"app.kubernetes.io/component\":\"coderd\"}", "2", "4Gi");
    CHECK_INT(role_of(&r, p), K8S_ROLE_CODERD);
    free(p);
    /* an older chart without the annotation is coderd too */
    p = pod("coder", "coder-old", "n1", CODER_LABELS, NULL, "2", "4Gi");
    CHECK_INT(role_of(&r, p), K8S_ROLE_CODERD);
    free(p);
    p = pod("coder-proxy", "coder-proxy-1", "n1", CODER_LABELS,
            "{\"app.kubernetes.io/component\":\"wsproxy\"}", "1", "1Gi");
    CHECK_INT(role_of(&r, p), K8S_ROLE_PROXY);
    free(p);
    p = pod("coder", "coder-provisioner-1", "n1", PROV_LABELS,
            "{\"app.kubernetes.io/component\":\"provisionerd\"}", "1", "1Gi");
    CHECK_INT(role_of(&r, p), K8S_ROLE_PROVISIONER);
    free(p);
    p = pod("coder", "coder-db-postgresql-0", "n1", PG_LABELS, NULL, "2", "8Gi");
    CHECK_INT(role_of(&r, p), K8S_ROLE_POSTGRES);
    free(p);
    p = pod("kube-system", "coredns", "n1", "{\"k8s-app\":\"kube-dns\"}", NULL, "100m", "70Mi");
    CHECK_INT(role_of(&r, p), K8S_ROLE_OTHER);
    free(p);
    /* no labels at all, or labels of the wrong type */
    p = pod("x", "y", "n1", "null", "[]", "1", "1Gi");
    CHECK_INT(role_of(&r, p), K8S_ROLE_OTHER);
    free(p);
    p = pod("x", "y", "n1", "{\"com.coder.workspace.id\":7}", NULL, "1", "1Gi");
    CHECK_INT(role_of(&r, p), K8S_ROLE_OTHER);
    free(p);
    k8s_roles_fini(&r);
}

TEST(k8s_roles_from_the_config)
{
    struct config cfg;
    config_defaults(&cfg);
    char ws[] = "app.kubernetes.io/name=coder-workspace", pg[] = "cnpg.io/cluster", none[] = "none";
    cfg.workspace_label_selector = ws;
    cfg.postgres_label_selector = pg;
    cfg.provisioner_label_selector = none;
    CHECK_STR(k8s_role_selector(&cfg, K8S_ROLE_WORKSPACE), ws);
    CHECK_STR(k8s_role_selector(&cfg, K8S_ROLE_CODERD), K8S_DEFAULT_CODERD_SELECTOR);
    struct k8s_roles r;
    struct err e = {{0}};
    CHECK(k8s_roles_init(&r, &cfg, &e) == 0);
    char *p = pod("db", "coder-db-1", "n1", "{\"cnpg.io/cluster\":\"coder-db\"}", NULL, "2", "8Gi");
    CHECK_INT(role_of(&r, p), K8S_ROLE_POSTGRES);
    free(p);
    p = pod("coder", "coder-provisioner-1", "n1", PROV_LABELS, NULL, "1", "1Gi");
    CHECK_INT(role_of(&r, p), K8S_ROLE_OTHER);
    free(p);
    /* the homelab template names the pod after the workspace: not matched here */
    p = pod("coder", "ws", "n1",
            "{\"app.kubernetes.io/name\":\"dev\",\"com.coder.workspace.id\":\"x\"}", NULL, "1",
            "1Gi");
    CHECK_INT(role_of(&r, p), K8S_ROLE_OTHER);
    free(p);
    k8s_roles_fini(&r);
    char bad[] = "app.kubernetes.io/name in (coder";
    cfg.coderd_label_selector = bad;
    CHECK(k8s_roles_init(&r, &cfg, &e) != 0);
    CHECK(strstr(e.msg, "expected") != NULL);
    memset(&cfg, 0, sizeof cfg); /* the strings above are not cfg's to free */
}

static void add_node(struct k8s_capacity *c, const char *name, bool cordoned)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"metadata\":{\"name\":\"%s\"},\"spec\":{%s},\"status\":{\"allocatable\":"
             "{\"cpu\":\"15890m\",\"memory\":\"61680112Ki\",\"pods\":\"110\"},\"conditions\":"
             "[{\"type\":\"Ready\",\"status\":\"True\"}]}}",
             name, cordoned ? "\"unschedulable\":true" : "");
    struct k8s_node n;
    struct err e = {{0}};
    CHECK(k8s_node_parse(json, strlen(json), &n, &e) == 0);
    k8s_capacity_add_node(c, &n);
    k8s_node_fini(&n);
}

static void add_pod(struct k8s_capacity *c, const struct k8s_roles *r, char *json)
{
    struct k8s_pod p;
    struct err e = {{0}};
    CHECK(k8s_pod_parse_roles(json, strlen(json), r, &p, &e) == 0);
    k8s_capacity_add_pod(c, &p);
    k8s_pod_fini(&p);
    free(json);
}

/* Two workspace nodes and a system node: ws-a holds three workspaces and
 * (wrongly) a coderd replica, ws-b one workspace and a provisioner, the
 * cordoned ws-c one workspace that keeps it from scaling down. */
static struct k8s_capacity *cluster(void)
{
    struct k8s_roles r;
    struct err e = {{0}};
    CHECK(k8s_roles_init(&r, NULL, &e) == 0);
    struct k8s_capacity *c = k8s_capacity_new();
    add_node(c, "ws-b", false);
    add_node(c, "system", false);
    add_node(c, "ws-a", false);
    add_node(c, "ws-c", true);
    add_pod(c, &r, pod("ws", "w1", "ws-a", WS_LABELS, NULL, "4", "16Gi"));
    add_pod(c, &r, pod("ws", "w2", "ws-a", WS_LABELS, NULL, "4000m", "16Gi"));
    add_pod(c, &r, pod("ws", "w3", "ws-a", WS_LABELS, NULL, "4e0", "17179869184"));
    add_pod(c, &r,
            pod("coder", "coder-1", "ws-a", CODER_LABELS,
                "{\"app.kubernetes.io/component\":\"coderd\"}", "2", "4Gi"));
    add_pod(c, &r, pod("ws", "w4", "ws-b", WS_LABELS, NULL, "500m", "2Gi"));
    add_pod(c, &r, pod("coder", "prov-1", "ws-b", PROV_LABELS, NULL, "1", "1Gi"));
    add_pod(c, &r, pod("ws", "w5", "ws-c", WS_LABELS, NULL, "1", "4Gi"));
    add_pod(c, &r, pod("coder", "coder-0", "system", CODER_LABELS, NULL, "2", "4Gi"));
    add_pod(c, &r, pod("coder", "db-0", "system", PG_LABELS, NULL, "2", "8Gi"));
    add_pod(c, &r, pod("ws", "w6", NULL, WS_LABELS, NULL, "1", "4Gi"));   /* pending */
    add_pod(c, &r, pod("ws", "w7", "gone", WS_LABELS, NULL, "1", "4Gi")); /* node not listed */
    k8s_roles_fini(&r);
    return c;
}

static const struct node_load *node(const struct snapshot *s, const char *name)
{
    for (size_t i = 0; i < s->capacity.nnodes; i++) {
        if (strcmp(s->capacity.nodes[i].name, name) == 0) {
            return &s->capacity.nodes[i];
        }
    }
    test_fail(__FILE__, __LINE__, "no node %s", name);
    return NULL;
}

TEST(k8s_node_load_without_metrics_api)
{
    struct k8s_capacity *c = cluster();
    struct snapshot *s = snapshot_new(1000);
    k8s_capacity_fill(c, NULL, s);
    CHECK_INT(s->capacity.nnodes, 4);
    CHECK_INT(s->capacity.metrics_api, TRI_UNKNOWN); /* not asked */
    /* most loaded first: ws-a (12 of 15.89 cores), ws-c, ws-b, system */
    CHECK_STR(s->capacity.nodes[0].name, "ws-a");
    CHECK_STR(s->capacity.nodes[1].name, "ws-c");
    CHECK_STR(s->capacity.nodes[2].name, "ws-b");
    CHECK_STR(s->capacity.nodes[3].name, "system");
    const struct node_load *a = node(s, "ws-a");
    if (a) {
        CHECK(a->workspaces == 3);
        CHECK(a->pods == 4);
        CHECK(a->cpu_allocatable_cores == 15.89);
        CHECK(a->memory_allocatable_bytes == 61680112.0 * 1024);
        CHECK(a->workspace_cpu_requested_cores == 12);
        CHECK(a->workspace_memory_requested_bytes == 48 * GI);
        CHECK(a->cpu_requested_cores == 14);
        CHECK(a->memory_requested_bytes == 52 * GI);
        CHECK(a->coderd == 1 && a->postgres == 0 && a->proxies == 0 && a->provisioners == 0);
        CHECK(a->ready == TRI_TRUE && a->schedulable == TRI_TRUE);
        CHECK(isnan(a->cpu_usage_cores) && isnan(a->memory_usage_bytes));
        CHECK(isnan(a->workspace_cpu_usage_cores) && isnan(a->workspace_memory_usage_bytes));
    }
    const struct node_load *cn = node(s, "ws-c");
    if (cn) {
        CHECK(cn->schedulable == TRI_FALSE);
        CHECK(cn->workspaces == 1);
    }
    const struct node_load *sys = node(s, "system");
    if (sys) {
        CHECK(sys->workspaces == 0 && sys->coderd == 1 && sys->postgres == 1);
        CHECK(sys->workspace_cpu_requested_cores == 0);
    }
    /* the cluster totals still leave the cordoned node out */
    CHECK_NEAR(s->capacity.cluster.cpu_requested_cores, 14 + 1.5 + 4, 1e-9);
    snapshot_unref(s);
    k8s_capacity_free(c);
}

static void metrics(struct k8s_capacity *c, bool node, const char *json)
{
    struct err e = {{0}};
    int rc = node ? k8s_capacity_add_node_metrics_json(c, json, strlen(json), &e)
                  : k8s_capacity_add_pod_metrics_json(c, json, strlen(json), &e);
    if (rc != 0) {
        test_fail(__FILE__, __LINE__, "metrics rejected: %s", e.msg);
    }
}

TEST(k8s_node_load_with_metrics_api)
{
    struct k8s_capacity *c = cluster();
    metrics(
        c, true,
        "{\"metadata\":{\"name\":\"ws-a\"},\"timestamp\":\"2026-11-27T03:12:00Z\","
        "\"window\":\"20.029s\",\"usage\":{\"cpu\":\"9523000000n\",\"memory\":\"41943040Ki\"}}");
    metrics(c, true,
            "{\"metadata\":{\"name\":\"ws-b\"},\"usage\":{\"cpu\":\"1250m\",\"memory\":\"3Gi\"}}");
    metrics(c, true,
            "{\"metadata\":{\"name\":\"ws-new\"},\"usage\":{\"cpu\":\"1\"}}"); /* unknown */
    /* workspace pods: two of ws-a's three have metrics; ws-b's has none yet */
    metrics(c, false,
            "{\"metadata\":{\"name\":\"w1\",\"namespace\":\"ws\"},\"containers\":["
            "{\"name\":\"dev\",\"usage\":{\"cpu\":\"2500000000n\",\"memory\":\"8Gi\"}},"
            "{\"name\":\"side\",\"usage\":{\"cpu\":\"500m\",\"memory\":\"1048576Ki\"}}]}");
    metrics(c, false,
            "{\"metadata\":{\"name\":\"w2\",\"namespace\":\"ws\"},\"containers\":["
            "{\"name\":\"dev\",\"usage\":{\"cpu\":\"1\",\"memory\":\"4Gi\"}}]}");
    /* not a workspace of the pod list: ignored */
    metrics(c, false,
            "{\"metadata\":{\"name\":\"coder-1\",\"namespace\":\"coder\"},\"containers\":["
            "{\"name\":\"coder\",\"usage\":{\"cpu\":\"3\",\"memory\":\"4Gi\"}}]}");
    k8s_capacity_set_metrics(c, true, true);
    struct snapshot *s = snapshot_new(1000);
    k8s_capacity_fill(c, NULL, s);
    CHECK_INT(s->capacity.metrics_api, TRI_TRUE);
    const struct node_load *a = node(s, "ws-a"), *b = node(s, "ws-b"), *sys = node(s, "system");
    if (a && b && sys) {
        CHECK_NEAR(a->cpu_usage_cores, 9.523, 1e-12);
        CHECK(a->memory_usage_bytes == 40 * GI);
        CHECK_NEAR(a->workspace_cpu_usage_cores, 4, 1e-12);
        CHECK(a->workspace_memory_usage_bytes == 13 * GI);
        CHECK(b->cpu_usage_cores == 1.25);
        /* a workspace with no metrics yet: unknown, not zero */
        CHECK(isnan(b->workspace_cpu_usage_cores));
        /* no metrics item for the node: unknown; no workspaces: zero of them */
        CHECK(isnan(sys->cpu_usage_cores));
        CHECK(sys->workspace_cpu_usage_cores == 0);
    }
    snapshot_unref(s);

    /* The metrics API answered nodes but the pod list failed. */
    k8s_capacity_set_metrics(c, true, false);
    s = snapshot_new(1000);
    k8s_capacity_fill(c, NULL, s);
    a = node(s, "ws-a");
    CHECK(a && !isnan(a->cpu_usage_cores) && isnan(a->workspace_cpu_usage_cores));
    snapshot_unref(s);
    /* ... or it is absent (404): every usage unknown, and said so. */
    k8s_capacity_set_metrics(c, false, false);
    s = snapshot_new(1000);
    k8s_capacity_fill(c, NULL, s);
    CHECK_INT(s->capacity.metrics_api, TRI_FALSE);
    a = node(s, "ws-a");
    CHECK(a && isnan(a->cpu_usage_cores) && isnan(a->workspace_memory_usage_bytes));
    snapshot_unref(s);
    k8s_capacity_free(c);
}

TEST(k8s_metrics_items_malformed)
{
    struct k8s_capacity *c = cluster();
    struct err e = {{0}};
    const char *bad = "{\"metadata\":{\"name\":\"ws-a\"},\"usage\":{\"cpu\":\"lots\"}}";
    CHECK(k8s_capacity_add_node_metrics_json(c, bad, strlen(bad), &e) != 0);
    CHECK(strstr(e.msg, "ws-a") != NULL);
    CHECK(k8s_capacity_add_node_metrics_json(c, "[1]", 3, &e) != 0);
    CHECK(k8s_capacity_add_pod_metrics_json(c, "{oops", 5, &e) != 0);
    const char *odd = "{\"metadata\":{\"name\":\"w1\",\"namespace\":\"ws\"},\"containers\":7}";
    CHECK(k8s_capacity_add_pod_metrics_json(c, odd, strlen(odd), &e) == 0);
    k8s_capacity_free(c);
}

TEST(snapshot_json_node_loads_round_trip)
{
    struct snapshot *s = snapshot_new(1795749120.0);
    s->capacity.metrics_api = TRI_FALSE;
    struct node_load *n = snapshot_add_node_load(s);
    n->name = snapshot_str(s, "ip-10-0-1-7.ec2.internal\x1b[31m");
    n->ready = TRI_TRUE;
    n->schedulable = TRI_FALSE;
    n->workspaces = 14;
    n->cpu_allocatable_cores = 15.89;
    n->workspace_cpu_requested_cores = 13.5;
    n->coderd = 1;
    n->postgres = 0;
    char *text = snapshot_json_dump(s, 0);
    CHECK(strstr(text, "\"workspaces\":14") != NULL);
    CHECK(strstr(text, "\"cpu_usage_cores\":null") != NULL);
    CHECK(strstr(text, "\"metrics_api\":false") != NULL);
    CHECK(strstr(text, "\"control_plane\":{\"coderd\":1,\"postgres\":0,\"proxies\":null") != NULL);
    CHECK(strstr(text, "\x1b") == NULL);
    struct err e = {{0}};
    struct snapshot *r = snapshot_json_parse(text, strlen(text), &e);
    CHECK(r != NULL);
    if (r) {
        CHECK_INT(r->capacity.nnodes, 1);
        CHECK_INT(r->capacity.metrics_api, TRI_FALSE);
        const struct node_load *m = &r->capacity.nodes[0];
        CHECK_STR(m->name, s->capacity.nodes[0].name);
        CHECK(m->schedulable == TRI_FALSE && m->ready == TRI_TRUE);
        CHECK(m->workspaces == 14 && m->cpu_allocatable_cores == 15.89);
        CHECK(isnan(m->memory_usage_bytes) && isnan(m->proxies));
        CHECK(m->coderd == 1 && m->postgres == 0);
        char *again = snapshot_json_dump(r, 0);
        CHECK_STR(again, text);
        free(again);
        snapshot_unref(r);
    }
    free(text);
    snapshot_unref(s);
}

/* Loads a config file holding text; returns config_load's result. */
static int load_cfg(struct config *cfg, const char *text, struct err *e)
{
    char dir[] = "/tmp/scaletop-nodeload-XXXXXX";
    if (!mkdtemp(dir)) {
        return err_set(e, "mkdtemp");
    }
    char path[128];
    snprintf(path, sizeof path, "%s/config", dir);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    char a0[] = "scaletop", a1[] = "--config";
    char *argv[] = {a0, a1, path, NULL};
    char **rest = NULL;
    int nrest = 0;
    config_defaults(cfg);
    int rc = config_load(cfg, 3, argv, NULL, &rest, &nrest, e);
    free(rest);
    unlink(path);
    rmdir(dir);
    return rc;
}

TEST(config_label_selectors)
{
    struct config cfg;
    struct err e = {{0}};
    CHECK(load_cfg(&cfg,
                   "[kubernetes]\n"
                   "workspace_label_selector = app.kubernetes.io/name=coder-workspace\n"
                   "coderd_label_selector = app.kubernetes.io/instance in (coder, coder-eu)\n"
                   "postgres_label_selector = cnpg.io/cluster\n"
                   "proxy_label_selector = none\n"
                   "provisioner_label_selector = app=provisioner,!canary\n",
                   &e) == 0);
    CHECK_STR(cfg.workspace_label_selector, "app.kubernetes.io/name=coder-workspace");
    CHECK_STR(k8s_role_selector(&cfg, K8S_ROLE_CODERD),
              "app.kubernetes.io/instance in (coder, coder-eu)");
    CHECK_STR(k8s_role_selector(&cfg, K8S_ROLE_POSTGRES), "cnpg.io/cluster");
    CHECK_STR(k8s_role_selector(&cfg, K8S_ROLE_PROXY), "none");
    CHECK_STR(k8s_role_selector(&cfg, K8S_ROLE_PROVISIONER), "app=provisioner,!canary");
    config_fini(&cfg);
    /* a selector that does not parse is the config's error, with its line */
    CHECK(load_cfg(&cfg, "[kubernetes]\nnamespace = coder\ncoderd_label_selector = app in coder\n",
                   &e) != 0);
    CHECK(strstr(e.msg, ":3:") != NULL);
    CHECK(strstr(e.msg, "coderd_label_selector") != NULL);
    config_fini(&cfg);
    CHECK(load_cfg(&cfg, "[kubernetes]\npods_label_selector = a=b\n", &e) != 0);
    CHECK(strstr(e.msg, "unknown key") != NULL);
    config_fini(&cfg);
}

/* A snapshot with n nodes, node i holding n - i workspaces; node 0 also
 * runs coderd beside them. */
static struct snapshot *many_nodes(int n)
{
    struct snapshot *s = snapshot_new(1795749120.0);
    struct source_state *src = snapshot_add_source(s, "kubernetes", "kubernetes");
    src->status = SOURCE_OK;
    src->last_ok = s->time;
    s->capacity.metrics_api = TRI_FALSE;
    for (int i = 0; i < n; i++) {
        struct node_load *l = snapshot_add_node_load(s);
        char name[32];
        snprintf(name, sizeof name, "node-%02d", i);
        l->name = snapshot_str(s, name);
        l->ready = l->schedulable = TRI_TRUE;
        l->workspaces = n - i;
        l->cpu_allocatable_cores = 16;
        l->memory_allocatable_bytes = 64 * GI;
        l->workspace_cpu_requested_cores = 0.5 * (n - i);
        l->workspace_memory_requested_bytes = 2 * GI * (n - i);
        l->coderd = i == 0;
        l->postgres = l->proxies = l->provisioners = 0;
    }
    return s;
}

static char *render(const struct snapshot *s, const struct pane_view *v, int w, int h)
{
    struct canvas *c = canvas_new(w, h, true);
    panes_get(PANE_CAPACITY)->draw(c, canvas_bounds(c), s, v, NULL);
    char *text = canvas_dump_text(c);
    canvas_free(c);
    return text;
}

TEST(capacity_pane_nodes_view_keys_and_scroll)
{
    struct snapshot *s = many_nodes(30);
    struct pane_view v = {.focused = true, .zoomed = true, .selected = -1};
    char *main = render(s, &v, 100, 30);
    /* the main view: the co-location, the top nodes, a pointer to the rest */
    CHECK(strstr(main, "coderd beside 30 workspaces on node-00") != NULL);
    CHECK(strstr(main, "node-02") != NULL);
    CHECK(strstr(main, "node-03") == NULL);
    CHECK(strstr(main, "27 more nodes: n lists them all") != NULL);
    free(main);
    const struct pane_ops *ops = panes_get(PANE_CAPACITY);
    CHECK(ops->key(&v, s, 'n'));
    CHECK(v.detail);
    char *det = render(s, &v, 100, 30);
    CHECK(strstr(det, "Nodes: 30, 465 workspaces; usage unknown: no metrics API") != NULL);
    CHECK(strstr(det, "11 crowded, 1 with coderd/PostgreSQL/proxies beside workspaces") != NULL);
    CHECK(strstr(det, "node-00") != NULL);
    CHECK(strstr(det, "node-29") == NULL); /* below the fold */
    free(det);
    CHECK(ops->key(&v, s, KEYS_END));
    det = render(s, &v, 100, 30);
    CHECK(strstr(det, "node-29") != NULL);
    CHECK(strstr(det, "node-00") == NULL);
    free(det);
    CHECK(ops->key(&v, s, KEYS_HOME));
    CHECK(ops->key(&v, s, KEYS_DOWN));
    CHECK_INT(v.scroll, 1);
    CHECK(ops->key(&v, s, KEYS_UP) && ops->key(&v, s, KEYS_UP));
    CHECK_INT(v.scroll, 0);
    /* Esc closes it; the namespace keys work again */
    CHECK(ops->key(&v, s, KEYS_ESCAPE));
    CHECK(!v.detail);
    snapshot_unref(s);
    /* a snapshot without nodes: the view says so */
    s = snapshot_new(1795749120.0);
    struct source_state *src = snapshot_add_source(s, "kubernetes", "kubernetes");
    src->status = SOURCE_OK;
    src->last_ok = s->time;
    v.detail = true;
    snprintf(v.detail_key, sizeof v.detail_key, ":nodes");
    det = render(s, &v, 80, 24);
    CHECK(strstr(det, "no nodes in this snapshot") != NULL);
    free(det);
    snapshot_unref(s);
}
