/*
 * The Kubernetes poller (DESIGN.md §3 Capacity; reference/postgres-k8s.md §B).
 *
 * Each poll re-reads the bearer token (service-account tokens rotate), then
 * lists nodes, non-terminal pods, resource quotas and limit ranges with
 * `limit`/`continue`, restarting a list from scratch when the continue token
 * has expired (410 Gone), within a fixed page count and a time budget. Every
 * page is parsed, converted into plain numbers and released before the next
 * one is fetched, so memory is bounded by one page plus per-node sums. The
 * whole poll fits in one request timeout, as the collector expects.
 *
 * Headroom: allocatable is summed over nodes that are Ready and schedulable;
 * requested is the effective requests (init containers, sidecars, pod-level
 * resources, overhead) of non-terminal pods bound to those nodes, so the two
 * sides describe the same machines. Quotas are reported per namespace in base
 * units; where two quotas constrain one key the tighter one is shown.
 *
 * Failures become the "kubernetes" source's status: 401 unauthorized, 403 no
 * permission (naming the verb and resource to grant), timeouts, bad bodies.
 * Nodes and pods are required; quotas and limit ranges are optional, and a
 * failure there only adds to the source's error text.
 * Invariant: the token is only ever in the Authorization header.
 */
#include "backend/k8s.h"

#include "backend/quantity.h"
#include "backend/source.h"
#include "backend/xalloc.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define K8S_MIN_BODY_BYTES (32u << 20)
#define K8S_MSG_MAX        512

/* --- parsing objects ------------------------------------------------------ */

struct k8s_res {
    double cpu, mem;
};

static const char *k8s_jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s && *s ? s : NULL;
}

/* Reads one quantity that may be a JSON string or number. */
static int k8s_qty(json_t *v, double *out, struct err *e)
{
    if (json_is_string(v)) {
        return quantity_parsen(json_string_value(v), json_string_length(v), out, e);
    }
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 0;
    }
    return err_set(e, "quantity is not a string or a number");
}

/* Reads `key` of a resource list into *out (left alone when absent).
 * Returns -1 and keeps the first message in e on a malformed value. */
static int k8s_list_qty(json_t *list, const char *key, double *out, struct err *e, int *bad)
{
    json_t *v = json_object_get(list, key);
    if (!v) {
        return 0;
    }
    struct err tmp;
    if (k8s_qty(v, out, &tmp) != 0) {
        if (!*bad) {
            err_set(e, "%s: %s", key, tmp.msg);
        }
        *bad = 1;
        return -1;
    }
    return 0;
}

static struct k8s_res k8s_res_of(json_t *list, struct err *e, int *bad)
{
    struct k8s_res r = {0, 0};
    (void)k8s_list_qty(list, "cpu", &r.cpu, e, bad);
    (void)k8s_list_qty(list, "memory", &r.mem, e, bad);
    return r;
}

static void k8s_res_add(struct k8s_res *a, struct k8s_res b)
{
    a->cpu += b.cpu;
    a->mem += b.mem;
}

static void k8s_res_max(struct k8s_res *a, struct k8s_res b)
{
    a->cpu = fmax(a->cpu, b.cpu);
    a->mem = fmax(a->mem, b.mem);
}

static char *k8s_dup(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static int k8s_node_from_json(json_t *o, struct k8s_node *n, struct err *e)
{
    memset(n, 0, sizeof *n);
    n->cpu_allocatable_cores = n->memory_allocatable_bytes = n->pods_allocatable = NAN;
    n->cpu_capacity_cores = n->memory_capacity_bytes = NAN;
    if (!json_is_object(o)) {
        return err_set(e, "node is not a JSON object");
    }
    n->name = k8s_dup(k8s_jstr(json_object_get(o, "metadata"), "name"));
    json_t *spec = json_object_get(o, "spec"), *status = json_object_get(o, "status");
    n->unschedulable = json_is_true(json_object_get(spec, "unschedulable"));
    size_t i;
    json_t *cond;
    json_array_foreach(json_object_get(status, "conditions"), i, cond)
    {
        const char *type = k8s_jstr(cond, "type"), *st = k8s_jstr(cond, "status");
        if (type && strcmp(type, "Ready") == 0) {
            n->ready = st && strcmp(st, "True") == 0;
        }
    }
    int bad = 0;
    json_t *capa = json_object_get(status, "capacity"),
           *alloc = json_object_get(status, "allocatable");
    (void)k8s_list_qty(capa, "cpu", &n->cpu_capacity_cores, e, &bad);
    (void)k8s_list_qty(capa, "memory", &n->memory_capacity_bytes, e, &bad);
    double cap_pods = NAN;
    (void)k8s_list_qty(capa, "pods", &cap_pods, e, &bad);
    /* kubectl falls back to capacity when allocatable is missing. */
    n->cpu_allocatable_cores = n->cpu_capacity_cores;
    n->memory_allocatable_bytes = n->memory_capacity_bytes;
    n->pods_allocatable = cap_pods;
    (void)k8s_list_qty(alloc, "cpu", &n->cpu_allocatable_cores, e, &bad);
    (void)k8s_list_qty(alloc, "memory", &n->memory_allocatable_bytes, e, &bad);
    (void)k8s_list_qty(alloc, "pods", &n->pods_allocatable, e, &bad);
    if (bad) {
        return err_prefix(e, "node %s", n->name ? n->name : "?");
    }
    return 0;
}

const char *k8s_role_selector(const struct config *cfg, enum k8s_role role)
{
    const char *v = NULL, *d = NULL;
    switch (role) {
    case K8S_ROLE_WORKSPACE:
        v = cfg ? cfg->workspace_label_selector : NULL;
        d = K8S_DEFAULT_WORKSPACE_SELECTOR;
        break;
    case K8S_ROLE_PROXY:
        v = cfg ? cfg->proxy_label_selector : NULL;
        d = K8S_DEFAULT_PROXY_SELECTOR;
        break;
    case K8S_ROLE_CODERD:
        v = cfg ? cfg->coderd_label_selector : NULL;
        d = K8S_DEFAULT_CODERD_SELECTOR;
        break;
    case K8S_ROLE_PROVISIONER:
        v = cfg ? cfg->provisioner_label_selector : NULL;
        d = K8S_DEFAULT_PROVISIONER_SELECTOR;
        break;
    case K8S_ROLE_POSTGRES:
        v = cfg ? cfg->postgres_label_selector : NULL;
        d = K8S_DEFAULT_POSTGRES_SELECTOR;
        break;
    default:
        return "none";
    }
    return v ? v : d;
}

int k8s_roles_init(struct k8s_roles *r, const struct config *cfg, struct err *e)
{
    memset(r, 0, sizeof *r);
    r->sel[K8S_ROLE_OTHER].none = true;
    for (int k = K8S_ROLE_WORKSPACE; k < K8S_NROLES; k++) {
        if (labelsel_parse(&r->sel[k], k8s_role_selector(cfg, (enum k8s_role)k), e) != 0) {
            k8s_roles_fini(r);
            return -1;
        }
    }
    return 0;
}

void k8s_roles_fini(struct k8s_roles *r)
{
    for (int k = 0; k < K8S_NROLES; k++) {
        labelsel_fini(&r->sel[k]);
    }
}

struct k8s_labels {
    json_t *labels, *annotations;
};

/* A pod's label; for app.kubernetes.io/component, which Coder's charts put
 * in the annotations, the annotation when there is no such label. */
static const char *k8s_label_get(void *ctx, const char *key)
{
    struct k8s_labels *l = ctx;
    json_t *v = json_object_get(l->labels, key);
    if (!v && strcmp(key, "app.kubernetes.io/component") == 0) {
        v = json_object_get(l->annotations, key);
    }
    return json_string_value(v);
}

static enum k8s_role k8s_classify(json_t *meta, const struct k8s_roles *roles)
{
    if (!roles) {
        return K8S_ROLE_OTHER;
    }
    struct k8s_labels l = {json_object_get(meta, "labels"), json_object_get(meta, "annotations")};
    for (int k = K8S_ROLE_WORKSPACE; k < K8S_NROLES; k++) {
        if (labelsel_match(&roles->sel[k], k8s_label_get, &l)) {
            return (enum k8s_role)k;
        }
    }
    return K8S_ROLE_OTHER;
}

static int k8s_pod_from_json(json_t *o, const struct k8s_roles *roles, struct k8s_pod *p,
                             struct err *e)
{
    memset(p, 0, sizeof *p);
    if (!json_is_object(o)) {
        return err_set(e, "pod is not a JSON object");
    }
    json_t *meta = json_object_get(o, "metadata"), *spec = json_object_get(o, "spec"),
           *status = json_object_get(o, "status");
    p->role = k8s_classify(meta, roles);
    p->name = k8s_dup(k8s_jstr(meta, "name"));
    p->namespace_name = k8s_dup(k8s_jstr(meta, "namespace"));
    p->node_name = k8s_dup(k8s_jstr(spec, "nodeName"));
    p->phase = k8s_dup(k8s_jstr(status, "phase"));
    p->terminal =
        p->phase && (strcmp(p->phase, "Succeeded") == 0 || strcmp(p->phase, "Failed") == 0);
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(status, "conditions"), i, x)
    {
        const char *type = k8s_jstr(x, "type"), *st = k8s_jstr(x, "status"),
                   *reason = k8s_jstr(x, "reason");
        if (type && strcmp(type, "PodScheduled") == 0 && st && strcmp(st, "False") == 0 && reason &&
            strcmp(reason, "Unschedulable") == 0) {
            p->unschedulable = true;
        }
    }

    int bad = 0;
    struct k8s_res req = {0, 0}, lim = {0, 0};
    json_array_foreach(json_object_get(spec, "containers"), i, x)
    {
        json_t *res = json_object_get(x, "resources");
        k8s_res_add(&req, k8s_res_of(json_object_get(res, "requests"), e, &bad));
        k8s_res_add(&lim, k8s_res_of(json_object_get(res, "limits"), e, &bad));
    }
    /* Init containers run one at a time before the app containers; sidecars
     * (restartPolicy Always) start in order and keep running, so each later
     * init container runs next to the sidecars declared before it. */
    struct k8s_res side_req = {0, 0}, side_lim = {0, 0}, init_req = {0, 0}, init_lim = {0, 0};
    json_array_foreach(json_object_get(spec, "initContainers"), i, x)
    {
        json_t *res = json_object_get(x, "resources");
        struct k8s_res r = k8s_res_of(json_object_get(res, "requests"), e, &bad);
        struct k8s_res l = k8s_res_of(json_object_get(res, "limits"), e, &bad);
        const char *rp = k8s_jstr(x, "restartPolicy");
        struct k8s_res phase_r, phase_l;
        if (rp && strcmp(rp, "Always") == 0) {
            k8s_res_add(&req, r);
            k8s_res_add(&lim, l);
            k8s_res_add(&side_req, r);
            k8s_res_add(&side_lim, l);
            phase_r = side_req;
            phase_l = side_lim;
        } else {
            phase_r = r;
            phase_l = l;
            k8s_res_add(&phase_r, side_req);
            k8s_res_add(&phase_l, side_lim);
        }
        k8s_res_max(&init_req, phase_r);
        k8s_res_max(&init_lim, phase_l);
    }
    k8s_res_max(&req, init_req);
    k8s_res_max(&lim, init_lim);
    /* Pod-level resources, where set, replace the per-container figure. */
    json_t *podres = json_object_get(spec, "resources");
    (void)k8s_list_qty(json_object_get(podres, "requests"), "cpu", &req.cpu, e, &bad);
    (void)k8s_list_qty(json_object_get(podres, "requests"), "memory", &req.mem, e, &bad);
    (void)k8s_list_qty(json_object_get(podres, "limits"), "cpu", &lim.cpu, e, &bad);
    (void)k8s_list_qty(json_object_get(podres, "limits"), "memory", &lim.mem, e, &bad);
    /* Overhead: always on requests, on limits only where a limit exists. */
    struct k8s_res ovh = k8s_res_of(json_object_get(spec, "overhead"), e, &bad);
    k8s_res_add(&req, ovh);
    if (lim.cpu > 0) {
        lim.cpu += ovh.cpu;
    }
    if (lim.mem > 0) {
        lim.mem += ovh.mem;
    }
    p->cpu_request_cores = req.cpu;
    p->memory_request_bytes = req.mem;
    p->cpu_limit_cores = lim.cpu;
    p->memory_limit_bytes = lim.mem;
    if (bad) {
        return err_prefix(e, "pod %s/%s", p->namespace_name ? p->namespace_name : "?",
                          p->name ? p->name : "?");
    }
    return 0;
}

static json_t *k8s_load(const char *json, size_t len, struct err *e)
{
    json_error_t je;
    json_t *o = json_loadb(json, len, 0, &je);
    if (!o) {
        err_set(e, "malformed JSON at line %d: %s", je.line, je.text);
    }
    return o;
}

int k8s_node_parse(const char *json, size_t len, struct k8s_node *n, struct err *e)
{
    json_t *o = k8s_load(json, len, e);
    if (!o) {
        memset(n, 0, sizeof *n);
        return -1;
    }
    int rc = k8s_node_from_json(o, n, e);
    json_decref(o);
    return rc;
}

void k8s_node_fini(struct k8s_node *n)
{
    if (n) {
        free(n->name);
        memset(n, 0, sizeof *n);
    }
}

int k8s_pod_parse_roles(const char *json, size_t len, const struct k8s_roles *roles,
                        struct k8s_pod *p, struct err *e)
{
    json_t *o = k8s_load(json, len, e);
    if (!o) {
        memset(p, 0, sizeof *p);
        return -1;
    }
    int rc = k8s_pod_from_json(o, roles, p, e);
    json_decref(o);
    return rc;
}

int k8s_pod_parse(const char *json, size_t len, struct k8s_pod *p, struct err *e)
{
    return k8s_pod_parse_roles(json, len, NULL, p, e);
}

void k8s_pod_fini(struct k8s_pod *p)
{
    if (p) {
        free(p->name);
        free(p->namespace_name);
        free(p->node_name);
        free(p->phase);
        memset(p, 0, sizeof *p);
    }
}

/* --- the headroom accumulator ---------------------------------------------- */

struct k8s_cap_node {
    char *name;
    bool counted, ready, unschedulable;
    double cpu_alloc, mem_alloc;
    double pods, cpu_req, mem_req;
    double ws, ws_cpu_req, ws_mem_req;
    double role_pods[K8S_NROLES];
    double cpu_use, mem_use; /* NAN until the node's metrics arrive */
    double ws_cpu_use, ws_mem_use, ws_with_use;
};

/* A workspace pod's "namespace/name" and the index of its node, for joining
 * the pod metrics (which carry no node name) to nodes. */
struct k8s_ws_pod {
    char *key;
    size_t node;
};

struct k8s_quota_entry {
    char *ns, *resource;
    double used, hard;
};

struct k8s_capacity {
    struct k8s_cap_node *nodes;
    size_t nnodes, cap_nodes;
    bool sorted;
    double nodes_counted, nodes_total;
    double cpu_alloc, mem_alloc, pods_alloc;
    double node_cpu_capacity, node_mem_capacity;
    double cpu_req, mem_req, pods;
    double pods_unschedulable;
    struct k8s_quota_entry *quotas;
    size_t nquotas, cap_quotas;
    char **lr_ns; /* namespaces whose LimitRanges give container defaults */
    size_t nlr, cap_lr;
    bool limitranges_listed;
    struct k8s_ws_pod *ws_pods;
    size_t nws_pods, cap_ws_pods;
    bool ws_sorted;
    bool metrics_asked;             /* k8s_capacity_set_metrics was called */
    bool node_metrics, pod_metrics; /* the metrics API answered these lists */
};

struct k8s_capacity *k8s_capacity_new(void)
{
    return xcalloc(1, sizeof(struct k8s_capacity));
}

static void k8s_capacity_reset_nodes(struct k8s_capacity *c)
{
    for (size_t i = 0; i < c->nnodes; i++) {
        free(c->nodes[i].name);
    }
    c->nnodes = 0;
    c->sorted = false;
    c->nodes_counted = c->nodes_total = 0;
    c->cpu_alloc = c->mem_alloc = c->pods_alloc = 0;
    c->node_cpu_capacity = c->node_mem_capacity = 0;
}

static void k8s_capacity_reset_ws_pods(struct k8s_capacity *c)
{
    for (size_t i = 0; i < c->nws_pods; i++) {
        free(c->ws_pods[i].key);
    }
    c->nws_pods = 0;
    c->ws_sorted = false;
}

static void k8s_capacity_reset_pods(struct k8s_capacity *c)
{
    c->cpu_req = c->mem_req = c->pods = 0;
    c->pods_unschedulable = 0;
    for (size_t i = 0; i < c->nnodes; i++) {
        struct k8s_cap_node *n = &c->nodes[i];
        n->pods = n->cpu_req = n->mem_req = 0;
        n->ws = n->ws_cpu_req = n->ws_mem_req = 0;
        memset(n->role_pods, 0, sizeof n->role_pods);
    }
    k8s_capacity_reset_ws_pods(c);
}

static void k8s_capacity_reset_quotas(struct k8s_capacity *c)
{
    for (size_t i = 0; i < c->nquotas; i++) {
        free(c->quotas[i].ns);
        free(c->quotas[i].resource);
    }
    c->nquotas = 0;
}

static void k8s_capacity_reset_limitranges(struct k8s_capacity *c)
{
    for (size_t i = 0; i < c->nlr; i++) {
        free(c->lr_ns[i]);
    }
    c->nlr = 0;
}

void k8s_capacity_free(struct k8s_capacity *c)
{
    if (!c) {
        return;
    }
    k8s_capacity_reset_nodes(c);
    k8s_capacity_reset_quotas(c);
    k8s_capacity_reset_limitranges(c);
    k8s_capacity_reset_ws_pods(c);
    free(c->ws_pods);
    free(c->nodes);
    free(c->quotas);
    free(c->lr_ns);
    free(c);
}

static double k8s_num(double v)
{
    return isfinite(v) ? v : 0;
}

void k8s_capacity_add_node(struct k8s_capacity *c, const struct k8s_node *n)
{
    c->nodes = xgrow(c->nodes, &c->cap_nodes, c->nnodes + 1, sizeof *c->nodes);
    struct k8s_cap_node *cn = &c->nodes[c->nnodes++];
    memset(cn, 0, sizeof *cn);
    cn->name = xstrdup(n->name ? n->name : "");
    cn->counted = n->ready && !n->unschedulable;
    cn->ready = n->ready;
    cn->unschedulable = n->unschedulable;
    cn->cpu_alloc = n->cpu_allocatable_cores;
    cn->mem_alloc = n->memory_allocatable_bytes;
    cn->cpu_use = cn->mem_use = NAN;
    c->sorted = false;
    c->nodes_total++;
    c->node_cpu_capacity += k8s_num(n->cpu_capacity_cores);
    c->node_mem_capacity += k8s_num(n->memory_capacity_bytes);
    if (cn->counted) {
        c->nodes_counted++;
        c->cpu_alloc += k8s_num(n->cpu_allocatable_cores);
        c->mem_alloc += k8s_num(n->memory_allocatable_bytes);
        c->pods_alloc += k8s_num(n->pods_allocatable);
    }
}

static int k8s_cap_node_cmp(const void *a, const void *b)
{
    return strcmp(((const struct k8s_cap_node *)a)->name, ((const struct k8s_cap_node *)b)->name);
}

/* The node called name, or NULL; sorts the nodes on first use. */
static struct k8s_cap_node *k8s_capacity_node(struct k8s_capacity *c, const char *name)
{
    if (!c->sorted) {
        if (c->nnodes > 1) {
            qsort(c->nodes, c->nnodes, sizeof *c->nodes, k8s_cap_node_cmp);
        }
        c->sorted = true;
    }
    size_t lo = 0, hi = c->nnodes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(name, c->nodes[mid].name);
        if (r == 0) {
            return &c->nodes[mid];
        }
        if (r < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return NULL;
}

void k8s_capacity_add_pod(struct k8s_capacity *c, const struct k8s_pod *p)
{
    if (!p->terminal && p->unschedulable) {
        c->pods_unschedulable++;
    }
    if (p->terminal || !p->node_name) {
        return;
    }
    struct k8s_cap_node *n = k8s_capacity_node(c, p->node_name);
    if (!n) {
        return;
    }
    /* Per node, whatever its state: a cordoned node still holds the
     * workspaces that keep it from scaling down. */
    n->pods++;
    n->cpu_req += p->cpu_request_cores;
    n->mem_req += p->memory_request_bytes;
    n->role_pods[p->role]++;
    if (p->role == K8S_ROLE_WORKSPACE) {
        n->ws++;
        n->ws_cpu_req += p->cpu_request_cores;
        n->ws_mem_req += p->memory_request_bytes;
        c->ws_pods = xgrow(c->ws_pods, &c->cap_ws_pods, c->nws_pods + 1, sizeof *c->ws_pods);
        c->ws_pods[c->nws_pods].key =
            xasprintf("%s/%s", p->namespace_name ? p->namespace_name : "", p->name ? p->name : "");
        c->ws_pods[c->nws_pods++].node = (size_t)(n - c->nodes);
        c->ws_sorted = false;
    }
    if (!n->counted) {
        return;
    }
    c->cpu_req += p->cpu_request_cores;
    c->mem_req += p->memory_request_bytes;
    c->pods++;
}

static void k8s_quota_push(struct k8s_capacity *c, const char *ns, const char *res, double used,
                           double hard)
{
    c->quotas = xgrow(c->quotas, &c->cap_quotas, c->nquotas + 1, sizeof *c->quotas);
    struct k8s_quota_entry *q = &c->quotas[c->nquotas++];
    q->ns = xstrdup(ns);
    q->resource = xstrdup(res);
    q->used = used;
    q->hard = hard;
}

static int k8s_quota_from_json(struct k8s_capacity *c, json_t *o, struct err *e)
{
    if (!json_is_object(o)) {
        return err_set(e, "resourcequota is not a JSON object");
    }
    json_t *meta = json_object_get(o, "metadata");
    const char *ns = k8s_jstr(meta, "namespace"), *name = k8s_jstr(meta, "name");
    json_t *status = json_object_get(o, "status");
    /* status.hard is the enforced copy; a brand-new quota has only spec. */
    json_t *hard = json_object_get(status, "hard");
    if (!json_is_object(hard)) {
        hard = json_object_get(json_object_get(o, "spec"), "hard");
    }
    json_t *used = json_object_get(status, "used");
    const char *key;
    json_t *v;
    int bad = 0;
    json_object_foreach(hard, key, v)
    {
        double h = NAN, u = NAN;
        struct err tmp;
        if (k8s_qty(v, &h, &tmp) != 0) {
            h = NAN;
            if (!bad) {
                err_set(e, "hard %s: %s", key, tmp.msg);
            }
            bad = 1;
        }
        json_t *uv = json_object_get(used, key);
        if (uv && k8s_qty(uv, &u, &tmp) != 0) {
            u = NAN;
            if (!bad) {
                err_set(e, "used %s: %s", key, tmp.msg);
            }
            bad = 1;
        }
        k8s_quota_push(c, ns ? ns : "", key, u, h);
    }
    if (bad) {
        return err_prefix(e, "resourcequota %s/%s", ns ? ns : "?", name ? name : "?");
    }
    return 0;
}

static int k8s_limitrange_from_json(struct k8s_capacity *c, json_t *o, struct err *e)
{
    if (!json_is_object(o)) {
        return err_set(e, "limitrange is not a JSON object");
    }
    const char *ns = k8s_jstr(json_object_get(o, "metadata"), "namespace");
    size_t i;
    json_t *l;
    bool defaults = false;
    json_array_foreach(json_object_get(json_object_get(o, "spec"), "limits"), i, l)
    {
        const char *type = k8s_jstr(l, "type");
        /* A default limit also becomes the request when none is set. */
        if (type && strcmp(type, "Container") == 0 &&
            (json_object_size(json_object_get(l, "defaultRequest")) > 0 ||
             json_object_size(json_object_get(l, "default")) > 0)) {
            defaults = true;
        }
    }
    if (defaults && ns) {
        c->lr_ns = xgrow(c->lr_ns, &c->cap_lr, c->nlr + 1, sizeof *c->lr_ns);
        c->lr_ns[c->nlr++] = xstrdup(ns);
    }
    return 0;
}

int k8s_capacity_add_quota_json(struct k8s_capacity *c, const char *json, size_t len, struct err *e)
{
    json_t *o = k8s_load(json, len, e);
    if (!o) {
        return -1;
    }
    int rc = k8s_quota_from_json(c, o, e);
    json_decref(o);
    return rc;
}

int k8s_capacity_add_limitrange_json(struct k8s_capacity *c, const char *json, size_t len,
                                     struct err *e)
{
    json_t *o = k8s_load(json, len, e);
    if (!o) {
        return -1;
    }
    int rc = k8s_limitrange_from_json(c, o, e);
    c->limitranges_listed = true;
    json_decref(o);
    return rc;
}

static double k8s_round_nano(double v);

static int k8s_ws_pod_cmp(const void *a, const void *b)
{
    return strcmp(((const struct k8s_ws_pod *)a)->key, ((const struct k8s_ws_pod *)b)->key);
}

static int k8s_node_metrics_from_json(struct k8s_capacity *c, json_t *o, struct err *e)
{
    if (!json_is_object(o)) {
        return err_set(e, "node metrics item is not a JSON object");
    }
    const char *name = k8s_jstr(json_object_get(o, "metadata"), "name");
    struct k8s_cap_node *n = name ? k8s_capacity_node(c, name) : NULL;
    if (!n) {
        return 0; /* a node that left since the node list */
    }
    int bad = 0;
    double cpu = NAN, mem = NAN;
    json_t *usage = json_object_get(o, "usage");
    (void)k8s_list_qty(usage, "cpu", &cpu, e, &bad);
    (void)k8s_list_qty(usage, "memory", &mem, e, &bad);
    n->cpu_use = cpu;
    n->mem_use = mem;
    return bad ? err_prefix(e, "node metrics %s", name) : 0;
}

static int k8s_pod_metrics_from_json(struct k8s_capacity *c, json_t *o, struct err *e)
{
    if (!json_is_object(o)) {
        return err_set(e, "pod metrics item is not a JSON object");
    }
    json_t *meta = json_object_get(o, "metadata");
    const char *ns = k8s_jstr(meta, "namespace"), *name = k8s_jstr(meta, "name");
    if (!c->nws_pods || !name) {
        return 0;
    }
    if (!c->ws_sorted) {
        qsort(c->ws_pods, c->nws_pods, sizeof *c->ws_pods, k8s_ws_pod_cmp);
        c->ws_sorted = true;
    }
    char *key = xasprintf("%s/%s", ns ? ns : "", name);
    struct k8s_ws_pod k = {key, 0};
    const struct k8s_ws_pod *w =
        bsearch(&k, c->ws_pods, c->nws_pods, sizeof *c->ws_pods, k8s_ws_pod_cmp);
    free(key);
    if (!w) {
        return 0; /* not a workspace pod of the pod list */
    }
    int bad = 0;
    size_t i;
    json_t *ct;
    double cpu = 0, mem = 0;
    json_array_foreach(json_object_get(o, "containers"), i, ct)
    {
        struct k8s_res r = k8s_res_of(json_object_get(ct, "usage"), e, &bad);
        cpu += r.cpu;
        mem += r.mem;
    }
    if (bad) {
        return err_prefix(e, "pod metrics %s/%s", ns ? ns : "?", name);
    }
    struct k8s_cap_node *n = &c->nodes[w->node];
    n->ws_cpu_use += cpu;
    n->ws_mem_use += mem;
    n->ws_with_use++;
    return 0;
}

int k8s_capacity_add_node_metrics_json(struct k8s_capacity *c, const char *json, size_t len,
                                       struct err *e)
{
    json_t *o = k8s_load(json, len, e);
    if (!o) {
        return -1;
    }
    int rc = k8s_node_metrics_from_json(c, o, e);
    json_decref(o);
    return rc;
}

int k8s_capacity_add_pod_metrics_json(struct k8s_capacity *c, const char *json, size_t len,
                                      struct err *e)
{
    json_t *o = k8s_load(json, len, e);
    if (!o) {
        return -1;
    }
    int rc = k8s_pod_metrics_from_json(c, o, e);
    json_decref(o);
    return rc;
}

void k8s_capacity_set_metrics(struct k8s_capacity *c, bool nodes_listed, bool pods_listed)
{
    c->metrics_asked = true;
    c->node_metrics = nodes_listed;
    c->pod_metrics = pods_listed;
}

static void k8s_reset_node_metrics(struct k8s_capacity *c)
{
    for (size_t i = 0; i < c->nnodes; i++) {
        c->nodes[i].cpu_use = c->nodes[i].mem_use = NAN;
    }
}

static void k8s_reset_pod_metrics(struct k8s_capacity *c)
{
    for (size_t i = 0; i < c->nnodes; i++) {
        c->nodes[i].ws_cpu_use = c->nodes[i].ws_mem_use = c->nodes[i].ws_with_use = 0;
    }
}

/* Most loaded first: the workspaces' share of the node's CPU, then their
 * count, then the name. */
static double k8s_ws_share(const struct k8s_cap_node *n)
{
    double f = n->ws_cpu_req / n->cpu_alloc;
    return isfinite(f) ? f : 0;
}

static int k8s_load_cmp(const void *a, const void *b)
{
    const struct k8s_cap_node *x = *(struct k8s_cap_node *const *)a,
                              *y = *(struct k8s_cap_node *const *)b;
    double fx = k8s_ws_share(x), fy = k8s_ws_share(y);
    if (fx != fy) {
        return fx > fy ? -1 : 1;
    }
    if (x->ws != y->ws) {
        return x->ws > y->ws ? -1 : 1;
    }
    return strcmp(x->name, y->name);
}

static void k8s_fill_nodes(struct k8s_capacity *c, struct snapshot *snap)
{
    struct capacity *cap = &snap->capacity;
    cap->metrics_api = !c->metrics_asked ? TRI_UNKNOWN : c->node_metrics ? TRI_TRUE : TRI_FALSE;
    if (!c->nnodes) {
        return;
    }
    struct k8s_cap_node **order = xcalloc(c->nnodes, sizeof *order);
    for (size_t i = 0; i < c->nnodes; i++) {
        order[i] = &c->nodes[i];
    }
    qsort(order, c->nnodes, sizeof *order, k8s_load_cmp);
    for (size_t i = 0; i < c->nnodes && i < K8S_MAX_NODE_LOADS; i++) {
        const struct k8s_cap_node *n = order[i];
        struct node_load *l = snapshot_add_node_load(snap);
        l->name = snapshot_str(snap, n->name);
        l->ready = n->ready ? TRI_TRUE : TRI_FALSE;
        l->schedulable = n->unschedulable ? TRI_FALSE : TRI_TRUE;
        l->workspaces = n->ws;
        l->pods = n->pods;
        l->cpu_allocatable_cores = k8s_round_nano(n->cpu_alloc);
        l->memory_allocatable_bytes = n->mem_alloc;
        l->cpu_requested_cores = k8s_round_nano(n->cpu_req);
        l->memory_requested_bytes = n->mem_req;
        l->workspace_cpu_requested_cores = k8s_round_nano(n->ws_cpu_req);
        l->workspace_memory_requested_bytes = n->ws_mem_req;
        if (c->node_metrics) {
            l->cpu_usage_cores = k8s_round_nano(n->cpu_use);
            l->memory_usage_bytes = n->mem_use;
        }
        /* Without any workspace's metrics the sum is unknown, not zero;
         * a pod too new for metrics-server is left out of the sum. */
        if (c->pod_metrics && (n->ws == 0 || n->ws_with_use > 0)) {
            l->workspace_cpu_usage_cores = k8s_round_nano(n->ws_cpu_use);
            l->workspace_memory_usage_bytes = n->ws_mem_use;
        }
        l->coderd = n->role_pods[K8S_ROLE_CODERD];
        l->postgres = n->role_pods[K8S_ROLE_POSTGRES];
        l->proxies = n->role_pods[K8S_ROLE_PROXY];
        l->provisioners = n->role_pods[K8S_ROLE_PROVISIONER];
    }
    free(order);
}

double k8s_capacity_usage(const struct k8s_capacity *c, const char *resource)
{
    if (!resource) {
        return NAN;
    }
    /* A soft limit is the cloud account's: it counts the machines provisioned,
     * so plain cpu/memory are the capacity of every node. */
    if (!strcmp(resource, "cpu") || !strcmp(resource, "node-cpu") || !strcmp(resource, "vcpu")) {
        return c->node_cpu_capacity;
    }
    if (!strcmp(resource, "memory") || !strcmp(resource, "node-memory")) {
        return c->node_mem_capacity;
    }
    if (!strcmp(resource, "nodes")) {
        return c->nodes_total;
    }
    if (!strcmp(resource, "requests.cpu")) {
        return c->cpu_req;
    }
    if (!strcmp(resource, "requests.memory")) {
        return c->mem_req;
    }
    if (!strcmp(resource, "pods")) {
        return c->pods;
    }
    return NAN;
}

/* Sums of many "15890m" pick up binary rounding noise (921.619999…); every
 * quantity is a multiple of 1e-9, so the sum is too. */
static double k8s_round_nano(double v)
{
    return fabs(v) < 1e9 ? round(v * 1e9) / 1e9 : v;
}

static int k8s_quota_cmp(const void *a, const void *b)
{
    const struct k8s_quota_entry *x = a, *y = b;
    int r = strcmp(x->ns, y->ns);
    return r ? r : strcmp(x->resource, y->resource);
}

/* Headroom of a quota entry for picking the tightest; unknown sorts last. */
static double k8s_quota_room(const struct k8s_quota_entry *q)
{
    double r = q->hard - q->used;
    return isnan(r) ? INFINITY : r;
}

void k8s_capacity_fill(struct k8s_capacity *c, const struct config *cfg, struct snapshot *snap)
{
    struct capacity *cap = &snap->capacity;
    cap->cluster.cpu_allocatable_cores = k8s_round_nano(c->cpu_alloc);
    cap->cluster.memory_allocatable_bytes = c->mem_alloc;
    cap->cluster.pods_allocatable = c->pods_alloc;
    cap->cluster.cpu_requested_cores = k8s_round_nano(c->cpu_req);
    cap->cluster.memory_requested_bytes = c->mem_req;
    cap->cluster.pods = c->pods;
    cap->cluster.nodes = c->nodes_counted;
    cap->cluster.pods_unschedulable = c->pods_unschedulable;
    k8s_fill_nodes(c, snap);

    if (c->nquotas > 1) {
        qsort(c->quotas, c->nquotas, sizeof *c->quotas, k8s_quota_cmp);
    }
    for (size_t i = 0; i < c->nquotas;) {
        size_t j = i;
        while (j < c->nquotas && strcmp(c->quotas[j].ns, c->quotas[i].ns) == 0) {
            j++;
        }
        /* Distinct resources in [i, j), keeping the tightest duplicate. */
        struct quantity_pair *res = snapshot_alloc(snap, (j - i) * sizeof *res);
        size_t nres = 0;
        for (size_t k = i; k < j; k++) {
            const struct k8s_quota_entry *q = &c->quotas[k];
            if (nres > 0 && strcmp(res[nres - 1].resource, q->resource) == 0) {
                struct k8s_quota_entry prev = {NULL, NULL, res[nres - 1].used, res[nres - 1].hard};
                if (k8s_quota_room(q) < k8s_quota_room(&prev)) {
                    res[nres - 1].used = q->used;
                    res[nres - 1].hard = q->hard;
                }
                continue;
            }
            res[nres].resource = snapshot_str(snap, q->resource);
            res[nres].used = q->used;
            res[nres].hard = q->hard;
            nres++;
        }
        struct namespace_quota *nq = snapshot_add_namespace(snap);
        nq->name = snapshot_str(snap, c->quotas[i].ns);
        nq->resources = res;
        nq->nresources = nres;
        nq->limitrange_defaults = TRI_UNKNOWN;
        if (c->limitranges_listed) {
            nq->limitrange_defaults = TRI_FALSE;
            for (size_t k = 0; k < c->nlr; k++) {
                if (strcmp(c->lr_ns[k], c->quotas[i].ns) == 0) {
                    nq->limitrange_defaults = TRI_TRUE;
                }
            }
        }
        i = j;
    }

    for (size_t i = 0; cfg && i < cfg->nsoft_limits && i < 16; i++) {
        struct soft_limit *sl = snapshot_add_soft_limit(snap);
        sl->name = snapshot_str(snap, cfg->soft_limits[i].name);
        sl->limit = cfg->soft_limits[i].limit;
        sl->used = k8s_capacity_usage(c, cfg->soft_limits[i].resource);
    }
}

/* --- HTTP ------------------------------------------------------------------ */

struct k8s_client {
    struct kubeconfig_auth auth;
    CURL *curl;
    long connect_timeout_ms, request_timeout_ms;
    double budget_s; /* one whole poll */
    size_t max_body;
    int max_pages;      /* per list */
    double last_ok;     /* NAN until a poll succeeds */
    double retry_after; /* seconds from the last answer's Retry-After, 0 if none */
    double not_before;  /* monotonic time before which a 429 asked us not to poll */
    char curl_err[CURL_ERROR_SIZE];
};

struct k8s_body {
    char *data;
    size_t len, cap, max;
    bool over;
};

static double k8s_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t k8s_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct k8s_body *b = userdata;
    size_t n = size * nmemb;
    if (b->len + n > b->max) {
        b->over = true;
        return 0;
    }
    if (b->len + n + 1 > b->cap) {
        size_t want = b->cap ? b->cap : 65536;
        while (want < b->len + n + 1) {
            want *= 2;
        }
        b->data = xrealloc(b->data, want);
        b->cap = want;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

/* Keeps a Retry-After given in seconds (429 and 503 answers carry one). */
static size_t k8s_header_cb(char *buf, size_t size, size_t nitems, void *userdata)
{
    struct k8s_client *c = userdata;
    size_t n = size * nitems;
    static const char name[] = "retry-after:";
    if (n > sizeof name - 1 && strncasecmp(buf, name, sizeof name - 1) == 0) {
        char val[32];
        size_t vl = n - (sizeof name - 1) < sizeof val - 1 ? n - (sizeof name - 1) : sizeof val - 1;
        memcpy(val, buf + sizeof name - 1, vl);
        val[vl] = '\0';
        double v = strtod(val, NULL);
        c->retry_after = v > 0 && v < 3600 ? v : 0;
    }
    return n;
}

struct k8s_client *k8s_client_new(struct kubeconfig_auth *auth, const struct config *cfg)
{
    struct k8s_client *c = xcalloc(1, sizeof *c);
    c->auth = *auth;
    memset(auth, 0, sizeof *auth);
    double ct = cfg && cfg->connect_timeout_s > 0 ? cfg->connect_timeout_s : 5;
    double rt = cfg && cfg->request_timeout_s > 0 ? cfg->request_timeout_s : 10;
    c->connect_timeout_ms = (long)(ct * 1000);
    c->request_timeout_ms = (long)(rt * 1000);
    c->budget_s = rt; /* the collector abandons a group after about one timeout */
    c->max_body =
        cfg && cfg->max_body_bytes > K8S_MIN_BODY_BYTES ? cfg->max_body_bytes : K8S_MIN_BODY_BYTES;
    c->max_pages = K8S_MAX_PAGES;
    c->last_ok = NAN;
    c->curl = curl_easy_init();
    if (!c->curl) {
        return c; /* every request then fails with a message */
    }
    CURL *h = c->curl;
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->curl_err);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "scaletop/" SCALETOP_VERSION);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, k8s_write_cb);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, k8s_header_cb);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
    struct kubeconfig_auth *a = &c->auth;
    if (a->ca_data) {
        struct curl_blob blob = {a->ca_data, a->ca_data_len, CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    } else if (a->ca_file) {
        curl_easy_setopt(h, CURLOPT_CAINFO, a->ca_file);
    }
    if (a->proxy_url) {
        curl_easy_setopt(h, CURLOPT_PROXY, a->proxy_url);
    }
    if (a->insecure_skip_verify) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (a->cert_data) {
        struct curl_blob blob = {a->cert_data, a->cert_data_len, CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &blob);
        curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
    } else if (a->cert_file) {
        curl_easy_setopt(h, CURLOPT_SSLCERT, a->cert_file);
    }
    if (a->key_data) {
        struct curl_blob blob = {a->key_data, a->key_data_len, CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &blob);
        curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    } else if (a->key_file) {
        curl_easy_setopt(h, CURLOPT_SSLKEY, a->key_file);
    }
    return c;
}

int k8s_client_open(const struct config *cfg, struct k8s_client **out, struct err *e)
{
    struct kubeconfig_opts o;
    struct kubeconfig_auth a = {0};
    kubeconfig_opts_from_env(&o, cfg ? cfg->kubeconfig : NULL, cfg && cfg->k8s_in_cluster);
    *out = NULL;
    int rc = kubeconfig_resolve(&o, &a, e);
    if (rc <= 0) {
        return rc;
    }
    *out = k8s_client_new(&a, cfg);
    return 1;
}

void k8s_client_free(struct k8s_client *c)
{
    if (!c) {
        return;
    }
    if (c->curl) {
        curl_easy_cleanup(c->curl);
    }
    kubeconfig_fini(&c->auth);
    free(c);
}

void k8s_client_set_max_pages(struct k8s_client *c, int max_pages)
{
    c->max_pages = max_pages > 0 ? max_pages : K8S_MAX_PAGES;
}

const char *k8s_client_namespace(const struct k8s_client *c)
{
    return c->auth.namespace;
}

/* The outcome of one request or list, as the source status will show it. */
struct k8s_fail {
    enum source_reason reason;
    long status;
    char msg[K8S_MSG_MAX];
};

/* The `message` of a Kubernetes Status body, cleaned to printable ASCII. */
static void k8s_status_message(const struct k8s_body *b, char *out, size_t cap)
{
    out[0] = '\0';
    json_t *o = b->data ? json_loadb(b->data, b->len, 0, NULL) : NULL;
    const char *m = json_string_value(json_object_get(o, "message"));
    size_t n = 0;
    for (; m && *m && n + 1 < cap && n < 200; m++) {
        unsigned char ch = (unsigned char)*m;
        out[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
    }
    out[n] = '\0';
    json_decref(o);
}

/* Turns an HTTP status other than 200 into a failure naming what to grant. */
static void k8s_http_fail(struct k8s_client *c, long status, const struct k8s_body *b,
                          const char *verb, const char *resource, const char *ns,
                          struct k8s_fail *f)
{
    char detail[256], scope[160];
    k8s_status_message(b, detail, sizeof detail);
    if (ns) {
        snprintf(scope, sizeof scope, "in namespace %s", ns);
    } else {
        snprintf(scope, sizeof scope, "at the cluster scope");
    }
    f->status = status;
    const char *sep = detail[0] ? ": " : "";
    switch (status) {
    case 401:
        f->reason = REASON_UNAUTHORIZED;
        snprintf(f->msg, sizeof f->msg,
                 "unauthorized (401) to %s %s: the token or certificate of %s is missing, "
                 "invalid or expired%s%s",
                 verb, resource, c->auth.origin ? c->auth.origin : "the kubeconfig", sep, detail);
        break;
    case 403:
        f->reason = REASON_NO_PERMISSION;
        snprintf(f->msg, sizeof f->msg,
                 "no permission: cannot %s \"%s\" %s (403 Forbidden); grant verb \"%s\" on "
                 "resource \"%s\" (see docs/kubernetes.md)%s%s",
                 verb, resource, scope, verb, resource, sep, detail);
        break;
    case 404:
        f->reason = REASON_BAD_RESPONSE;
        snprintf(f->msg, sizeof f->msg, "404 Not Found to %s %s %s: is %s a Kubernetes API?%s%s",
                 verb, resource, scope, c->auth.server ? c->auth.server : "the server", sep,
                 detail);
        break;
    case 429:
        f->reason = REASON_RATE_LIMITED;
        snprintf(f->msg, sizeof f->msg, "rate limited (429) to %s %s; retry after %.0f s%s%s", verb,
                 resource, c->retry_after > 0 ? c->retry_after : 1, sep, detail);
        c->not_before = k8s_mono() + (c->retry_after > 0 ? c->retry_after : 1);
        break;
    default:
        f->reason = status >= 500 ? REASON_SERVER_ERROR : REASON_BAD_RESPONSE;
        snprintf(f->msg, sizeof f->msg, "HTTP %ld to %s %s%s%s", status, verb, resource, sep,
                 detail);
        break;
    }
}

/* One GET of `path` (already escaped) into b; 0 with *status, or -1 with f
 * for a transport failure. Bounded by the deadline and the body cap. */
static int k8s_get(struct k8s_client *c, const char *token, const char *path, double deadline,
                   struct k8s_body *b, long *status, struct k8s_fail *f)
{
    b->len = 0;
    b->over = false;
    b->max = c->max_body;
    if (b->data) {
        b->data[0] = '\0';
    }
    if (!c->curl) {
        f->reason = REASON_UNREACHABLE;
        snprintf(f->msg, sizeof f->msg, "cannot initialise libcurl");
        return -1;
    }
    double left_ms = (deadline - k8s_mono()) * 1000;
    if (left_ms < 1) {
        f->reason = REASON_TIMEOUT;
        snprintf(f->msg, sizeof f->msg, "poll took longer than its %.0f s budget", c->budget_s);
        return -1;
    }
    long timeout_ms = c->request_timeout_ms < (long)left_ms ? c->request_timeout_ms : (long)left_ms;
    char *url = xasprintf("%s%s", c->auth.server, path);
    struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/json");
    if (token) {
        char *auth = xasprintf("Authorization: Bearer %s", token);
        hdrs = curl_slist_append(hdrs, auth);
        explicit_bzero(auth, strlen(auth));
        free(auth);
    }
    CURL *h = c->curl;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
    c->curl_err[0] = '\0';
    c->retry_after = 0;
    CURLcode rc = curl_easy_perform(h);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    free(url);
    if (rc != CURLE_OK) {
        const char *why = c->curl_err[0] ? c->curl_err : curl_easy_strerror(rc);
        if (b->over) {
            f->reason = REASON_BAD_RESPONSE;
            snprintf(f->msg, sizeof f->msg, "response larger than %zu bytes", c->max_body);
        } else if (rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CACERT_BADFILE) {
            f->reason = REASON_NONE; /* our own credentials, not the server */
            snprintf(f->msg, sizeof f->msg,
                     "TLS set-up failed: %s (check the client certificate, key and CA of %s)", why,
                     c->auth.origin ? c->auth.origin : "the kubeconfig");
        } else if (rc == CURLE_PEER_FAILED_VERIFICATION) {
            f->reason = REASON_UNREACHABLE;
            snprintf(f->msg, sizeof f->msg,
                     "TLS verification of %s failed: %s (is certificate-authority the cluster's "
                     "CA?)",
                     c->auth.server, why);
        } else if (rc == CURLE_OPERATION_TIMEDOUT) {
            f->reason = REASON_TIMEOUT;
            snprintf(f->msg, sizeof f->msg, "timeout after %ld ms: %s", timeout_ms, why);
        } else {
            f->reason = REASON_UNREACHABLE;
            snprintf(f->msg, sizeof f->msg, "%s unreachable: %s", c->auth.server, why);
        }
        return -1;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    return 0;
}

typedef int (*k8s_item_fn)(void *ctx, json_t *item);
typedef void (*k8s_reset_fn)(void *ctx);

/* Lists a collection page by page, handing every item to fn. On 410 Gone
 * with a continue token the list starts over (reset() first). 0 or -1 with f. */
static int k8s_list(struct k8s_client *c, const char *token, const char *path, const char *query,
                    int page_limit, const char *resource, const char *ns, double deadline,
                    k8s_item_fn fn, k8s_reset_fn reset, void *ctx, struct k8s_fail *f)
{
    struct k8s_body body = {0};
    char *cont = NULL;
    int restarts = 0, rc = -1;
    for (int page = 0;; page++) {
        if (page >= c->max_pages) {
            f->reason = REASON_BAD_RESPONSE;
            snprintf(f->msg, sizeof f->msg, "list %s: more than %d pages; giving up", resource,
                     c->max_pages);
            goto out;
        }
        char *esc = NULL;
        if (cont) {
            esc = curl_easy_escape(c->curl, cont, 0);
        }
        char *url = xasprintf("%s?limit=%d%s%s%s%s", path, page_limit, query ? "&" : "",
                              query ? query : "", esc ? "&continue=" : "", esc ? esc : "");
        curl_free(esc);
        long status = 0;
        int grc = k8s_get(c, token, url, deadline, &body, &status, f);
        free(url);
        if (grc != 0) {
            goto out;
        }
        if (status == 410 && cont) {
            if (restarts++ >= K8S_MAX_RESTARTS) {
                f->reason = REASON_BAD_RESPONSE;
                snprintf(f->msg, sizeof f->msg,
                         "list %s: continue token expired (410 Gone) %d times in a row", resource,
                         restarts);
                goto out;
            }
            free(cont);
            cont = NULL;
            reset(ctx);
            continue;
        }
        if (status != 200) {
            k8s_http_fail(c, status, &body, "list", resource, ns, f);
            goto out;
        }
        json_error_t je;
        json_t *doc = json_loadb(body.data ? body.data : "", body.len, 0, &je);
        json_t *items = json_object_get(doc, "items");
        if (!doc || !(json_is_array(items) || json_is_null(items))) {
            f->reason = REASON_BAD_RESPONSE;
            snprintf(f->msg, sizeof f->msg, "list %s: %s", resource,
                     doc ? "no \"items\" array in the answer" : je.text);
            json_decref(doc);
            goto out;
        }
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it)
        {
            (void)fn(ctx, it);
        }
        const char *next = k8s_jstr(json_object_get(doc, "metadata"), "continue");
        free(cont);
        cont = next ? xstrdup(next) : NULL;
        json_decref(doc);
        if (!cont) {
            break;
        }
    }
    rc = 0;
out:
    free(cont);
    free(body.data);
    return rc;
}

/* --- the poll ---------------------------------------------------------------- */

struct k8s_poll_ctx {
    struct k8s_capacity *cap;
    char warn[K8S_MSG_MAX]; /* first malformed object, kept for the source error */
    const struct k8s_roles *roles;
};

static void k8s_warn(struct k8s_poll_ctx *x, const struct err *e)
{
    if (!x->warn[0]) {
        snprintf(x->warn, sizeof x->warn, "%s", e->msg);
    }
}

static int k8s_on_node(void *ctx, json_t *item)
{
    struct k8s_poll_ctx *x = ctx;
    struct k8s_node n;
    struct err e;
    if (k8s_node_from_json(item, &n, &e) != 0) {
        k8s_warn(x, &e);
    }
    k8s_capacity_add_node(x->cap, &n);
    k8s_node_fini(&n);
    return 0;
}

static int k8s_on_pod(void *ctx, json_t *item)
{
    struct k8s_poll_ctx *x = ctx;
    struct k8s_pod p;
    struct err e;
    if (k8s_pod_from_json(item, x->roles, &p, &e) != 0) {
        k8s_warn(x, &e);
    }
    k8s_capacity_add_pod(x->cap, &p);
    k8s_pod_fini(&p);
    return 0;
}

static int k8s_on_quota(void *ctx, json_t *item)
{
    struct k8s_poll_ctx *x = ctx;
    struct err e;
    if (k8s_quota_from_json(x->cap, item, &e) != 0) {
        k8s_warn(x, &e);
    }
    return 0;
}

static int k8s_on_limitrange(void *ctx, json_t *item)
{
    struct k8s_poll_ctx *x = ctx;
    struct err e;
    if (k8s_limitrange_from_json(x->cap, item, &e) != 0) {
        k8s_warn(x, &e);
    }
    return 0;
}

static void k8s_append(char *buf, size_t cap, const char *msg);

static int k8s_on_node_metrics(void *ctx, json_t *item)
{
    struct k8s_poll_ctx *x = ctx;
    struct err e;
    if (k8s_node_metrics_from_json(x->cap, item, &e) != 0) {
        k8s_warn(x, &e);
    }
    return 0;
}

static int k8s_on_pod_metrics(void *ctx, json_t *item)
{
    struct k8s_poll_ctx *x = ctx;
    struct err e;
    if (k8s_pod_metrics_from_json(x->cap, item, &e) != 0) {
        k8s_warn(x, &e);
    }
    return 0;
}

static void k8s_reset_node_metrics_cb(void *ctx)
{
    k8s_reset_node_metrics(((struct k8s_poll_ctx *)ctx)->cap);
}

static void k8s_reset_pod_metrics_cb(void *ctx)
{
    k8s_reset_pod_metrics(((struct k8s_poll_ctx *)ctx)->cap);
}

/* Node and workspace usage from the metrics API. Its absence (404: no
 * metrics-server; 403: not granted; 503: the APIService is registered but
 * its backend is down) leaves usage unknown and is said in the source's
 * error text only when it is not simply missing. */
static void k8s_poll_metrics(struct k8s_client *c, const char *token, const struct config *cfg,
                             double deadline, struct k8s_poll_ctx *x, char *errors, size_t cap)
{
    struct k8s_fail f = {REASON_NONE, 0, ""};
    bool nodes = k8s_list(c, token, "/apis/metrics.k8s.io/v1beta1/nodes", NULL, K8S_PAGE_LIMIT,
                          "nodes.metrics.k8s.io", NULL, deadline, k8s_on_node_metrics,
                          k8s_reset_node_metrics_cb, x, &f) == 0;
    if (!nodes) {
        k8s_reset_node_metrics(x->cap);
        if (f.status != 404) {
            k8s_append(errors, cap, f.msg);
        }
    }
    bool pods = false;
    const char *sel = k8s_role_selector(cfg, K8S_ROLE_WORKSPACE);
    if (nodes && !x->roles->sel[K8S_ROLE_WORKSPACE].none) {
        char *esc = curl_easy_escape(c->curl, sel, 0);
        char *query = xasprintf("labelSelector=%s", esc ? esc : "");
        curl_free(esc);
        f.msg[0] = '\0';
        pods = k8s_list(c, token, "/apis/metrics.k8s.io/v1beta1/pods", query, K8S_POD_PAGE_LIMIT,
                        "pods.metrics.k8s.io", NULL, deadline, k8s_on_pod_metrics,
                        k8s_reset_pod_metrics_cb, x, &f) == 0;
        free(query);
        if (!pods) {
            k8s_reset_pod_metrics(x->cap);
            k8s_append(errors, cap, f.msg);
        }
    }
    k8s_capacity_set_metrics(x->cap, nodes, pods);
}

static void k8s_reset_nodes_cb(void *ctx)
{
    k8s_capacity_reset_nodes(((struct k8s_poll_ctx *)ctx)->cap);
}

static void k8s_reset_pods_cb(void *ctx)
{
    k8s_capacity_reset_pods(((struct k8s_poll_ctx *)ctx)->cap);
}

static void k8s_reset_quotas_cb(void *ctx)
{
    k8s_capacity_reset_quotas(((struct k8s_poll_ctx *)ctx)->cap);
}

static void k8s_reset_limitranges_cb(void *ctx)
{
    k8s_capacity_reset_limitranges(((struct k8s_poll_ctx *)ctx)->cap);
}

static void k8s_append(char *buf, size_t cap, const char *msg)
{
    size_t n = strlen(buf);
    snprintf(buf + n, cap - n, "%s%s", n ? "; " : "", msg);
}

static void k8s_source(struct snapshot *snap, enum source_status st, enum source_reason reason,
                       double last_ok, double latency_ms, const char *error, const char *hint)
{
    struct source_state *s = snapshot_add_source(snap, "kubernetes", "kubernetes");
    s->status = st;
    s->reason = reason;
    s->last_ok = last_ok;
    s->latency_ms = latency_ms;
    s->error = error && *error ? snapshot_str(snap, error) : NULL;
    s->hint = hint ? snapshot_str(snap, hint) : NULL;
}

void k8s_poll(struct k8s_client *c, const struct config *cfg, struct snapshot *snap, double now)
{
    double t0 = k8s_mono(), deadline = t0 + c->budget_s;
    struct k8s_fail f = {REASON_NONE, 0, ""};
    struct k8s_poll_ctx x = {k8s_capacity_new(), "", NULL};
    char errors[1024] = "";
    char *token = NULL;
    struct err e;
    int failed = 0;
    struct k8s_roles roles;
    if (k8s_roles_init(&roles, cfg, &e) != 0) {
        /* The config checked every selector: only a hand-built config gets here. */
        if (k8s_roles_init(&roles, NULL, &e) != 0) {
            for (int k = 0; k < K8S_NROLES; k++) {
                roles.sel[k].none = true;
            }
        }
        k8s_append(errors, sizeof errors, "bad label selector; using the defaults");
    }
    x.roles = &roles;

    if (t0 < c->not_before) {
        f.reason = REASON_RATE_LIMITED;
        snprintf(f.msg, sizeof f.msg, "rate limited by the API server; next attempt in %.0f s",
                 ceil(c->not_before - t0));
        failed = 1;
    } else if (kubeconfig_token(&c->auth, &token, &e) != 0) {
        f.reason = REASON_UNAUTHORIZED;
        snprintf(f.msg, sizeof f.msg, "%s", e.msg);
        failed = 1;
    }
    if (!failed && k8s_list(c, token, "/api/v1/nodes", NULL, K8S_PAGE_LIMIT, "nodes", NULL,
                            deadline, k8s_on_node, k8s_reset_nodes_cb, &x, &f) != 0) {
        failed = 1;
    }
    if (!failed && k8s_list(c, token, "/api/v1/pods",
                            "fieldSelector=status.phase%21%3DSucceeded%2Cstatus.phase%21%3DFailed",
                            K8S_POD_PAGE_LIMIT, "pods", NULL, deadline, k8s_on_pod,
                            k8s_reset_pods_cb, &x, &f) != 0) {
        failed = 1;
    }
    if (!failed) {
        struct k8s_fail of = {REASON_NONE, 0, ""};
        if (k8s_list(c, token, "/api/v1/resourcequotas", NULL, K8S_PAGE_LIMIT, "resourcequotas",
                     NULL, deadline, k8s_on_quota, k8s_reset_quotas_cb, &x, &of) != 0) {
            k8s_reset_quotas_cb(&x);
            k8s_append(errors, sizeof errors, of.msg);
        }
        of.msg[0] = '\0';
        if (k8s_list(c, token, "/api/v1/limitranges", NULL, K8S_PAGE_LIMIT, "limitranges", NULL,
                     deadline, k8s_on_limitrange, k8s_reset_limitranges_cb, &x, &of) != 0) {
            k8s_reset_limitranges_cb(&x);
            k8s_append(errors, sizeof errors, of.msg);
        } else {
            x.cap->limitranges_listed = true;
        }
        k8s_poll_metrics(c, token, cfg, deadline, &x, errors, sizeof errors);
    }
    if (token) {
        explicit_bzero(token, strlen(token));
        free(token);
    }
    double latency_ms = (k8s_mono() - t0) * 1000;
    if (failed) {
        enum source_status st = isnan(c->last_ok) ? SOURCE_ERROR : SOURCE_STALE;
        const char *hint = NULL;
        if (f.reason == REASON_NO_PERMISSION) {
            st = SOURCE_DISABLED;
            hint = "grant the read-only ClusterRole of docs/kubernetes.md to scaletop's identity";
        }
        k8s_source(snap, st, f.reason, c->last_ok, latency_ms, f.msg, hint);
        /* The declared limits are still listed; their usage is unknown. */
        for (size_t i = 0; cfg && i < cfg->nsoft_limits && i < 16; i++) {
            struct soft_limit *sl = snapshot_add_soft_limit(snap);
            sl->name = snapshot_str(snap, cfg->soft_limits[i].name);
            sl->limit = cfg->soft_limits[i].limit;
            sl->used = NAN;
        }
    } else {
        k8s_capacity_fill(x.cap, cfg, snap);
        if (x.warn[0]) {
            k8s_append(errors, sizeof errors, x.warn);
        }
        c->last_ok = now;
        k8s_source(snap, SOURCE_OK, REASON_NONE, now, latency_ms, errors, NULL);
    }
    k8s_capacity_free(x.cap);
    k8s_roles_fini(&roles);
}

/* --- discovery of coderd's metrics endpoints ---------------------------------- */

struct k8s_disc_ctx {
    char **urls;
    size_t n, cap;
    int port;
};

static void k8s_disc_add(struct k8s_disc_ctx *d, const char *ip, int port)
{
    if (!ip || !*ip || d->n >= CONFIG_MAX_URLS || strlen(ip) > 255) {
        return;
    }
    for (const char *p = ip; *p; p++) {
        /* An address, not arbitrary text: hex digits, dots, colons, letters of
         * a host name and dashes only. */
        if (!(*p == '.' || *p == ':' || *p == '-' || (*p >= '0' && *p <= '9') ||
              (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) {
            return;
        }
    }
    char *url = strchr(ip, ':') ? xasprintf("http://[%s]:%d/metrics", ip, port)
                                : xasprintf("http://%s:%d/metrics", ip, port);
    for (size_t i = 0; i < d->n; i++) {
        if (strcmp(d->urls[i], url) == 0) {
            free(url);
            return;
        }
    }
    d->urls = xgrow(d->urls, &d->cap, d->n + 1, sizeof *d->urls);
    d->urls[d->n++] = url;
}

/* The metrics port a slice or subset names ("prometheus-http" in Coder's
 * chart, or "metrics"/"prometheus"), else the default: the chart's coder
 * service exposes only http, and coderd serves metrics on its own port. */
static int k8s_disc_port(json_t *ports, int dflt)
{
    size_t i;
    json_t *p;
    json_array_foreach(ports, i, p)
    {
        const char *name = k8s_jstr(p, "name");
        json_int_t port = json_integer_value(json_object_get(p, "port"));
        if (name && port > 0 && port < 65536 &&
            (!strcmp(name, "prometheus-http") || !strcmp(name, "metrics") ||
             !strcmp(name, "prometheus"))) {
            return (int)port;
        }
    }
    return dflt;
}

static int k8s_on_slice(void *ctx, json_t *item)
{
    struct k8s_disc_ctx *d = ctx;
    size_t i, j;
    json_t *ep, *addr;
    int port = k8s_disc_port(json_object_get(item, "ports"), d->port);
    json_array_foreach(json_object_get(item, "endpoints"), i, ep)
    {
        json_t *ready = json_object_get(json_object_get(ep, "conditions"), "ready");
        if (json_is_false(ready)) {
            continue; /* absent means ready, per the API's documentation */
        }
        json_array_foreach(json_object_get(ep, "addresses"), j, addr)
        {
            k8s_disc_add(d, json_string_value(addr), port);
        }
    }
    return 0;
}

static void k8s_disc_reset(void *ctx)
{
    struct k8s_disc_ctx *d = ctx;
    for (size_t i = 0; i < d->n; i++) {
        free(d->urls[i]);
    }
    d->n = 0;
}

static int k8s_url_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int k8s_discover_metrics(struct k8s_client *c, const char *ns, const char *service, int port,
                         char ***urls, size_t *nurls, struct err *e)
{
    *urls = NULL;
    *nurls = 0;
    if (!ns || !*ns) {
        ns = c->auth.namespace ? c->auth.namespace : "coder";
    }
    if (!service || !*service) {
        service = K8S_DEFAULT_SERVICE;
    }
    struct k8s_disc_ctx d = {NULL, 0, 0, port > 0 ? port : K8S_METRICS_PORT};
    char *token = NULL;
    if (kubeconfig_token(&c->auth, &token, e) != 0) {
        return -1;
    }
    char *ens = curl_easy_escape(c->curl, ns, 0), *esvc = curl_easy_escape(c->curl, service, 0);
    char *path = xasprintf("/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices", ens);
    char *query = xasprintf("labelSelector=kubernetes.io%%2Fservice-name%%3D%s", esvc);
    double deadline = k8s_mono() + c->budget_s;
    struct k8s_fail f = {REASON_NONE, 0, ""};
    int rc = k8s_list(c, token, path, query, K8S_PAGE_LIMIT, "endpointslices", ns, deadline,
                      k8s_on_slice, k8s_disc_reset, &d, &f);
    if (rc != 0 && (f.status == 403 || f.status == 404)) {
        /* Older clusters, or a role that may read only Endpoints. */
        char first[K8S_MSG_MAX];
        snprintf(first, sizeof first, "%s", f.msg);
        free(path);
        path = xasprintf("/api/v1/namespaces/%s/endpoints/%s", ens, esvc);
        struct k8s_body body = {0};
        long status = 0;
        k8s_disc_reset(&d);
        if (k8s_get(c, token, path, deadline, &body, &status, &f) == 0) {
            if (status == 200) {
                json_t *o = json_loadb(body.data ? body.data : "", body.len, 0, NULL);
                size_t i, j;
                json_t *sub, *addr;
                json_array_foreach(json_object_get(o, "subsets"), i, sub)
                {
                    int sport = k8s_disc_port(json_object_get(sub, "ports"), d.port);
                    json_array_foreach(json_object_get(sub, "addresses"), j, addr)
                    {
                        k8s_disc_add(&d, k8s_jstr(addr, "ip"), sport);
                    }
                }
                rc = o ? 0 : -1;
                if (!o) {
                    snprintf(f.msg, sizeof f.msg, "endpoints %s/%s: malformed JSON", ns, service);
                }
                json_decref(o);
            } else {
                k8s_http_fail(c, status, &body, "get", "endpoints", ns, &f);
                char both[K8S_MSG_MAX];
                snprintf(both, sizeof both, "%.200s; %.280s", first, f.msg);
                snprintf(f.msg, sizeof f.msg, "%s", both);
            }
        }
        free(body.data);
    }
    curl_free(ens);
    curl_free(esvc);
    free(path);
    free(query);
    if (token) {
        explicit_bzero(token, strlen(token));
        free(token);
    }
    if (rc != 0) {
        k8s_disc_reset(&d);
        free(d.urls);
        return err_set(e, "discovering %s metrics in namespace %s: %s", service, ns, f.msg);
    }
    if (d.n > 1) {
        qsort(d.urls, d.n, sizeof *d.urls, k8s_url_cmp);
    }
    *urls = d.urls;
    *nurls = d.n;
    return 0;
}

/* --- the source ops ------------------------------------------------------------ */

struct k8s_source_state {
    const struct config *cfg;
    struct k8s_client *client;
    char *error; /* configuration error found at create time */
};

static void *k8s_src_create(const struct config *cfg)
{
    struct k8s_client *client = NULL;
    struct err e = {{0}};
    int rc = k8s_client_open(cfg, &client, &e);
    if (rc == 0) {
        return NULL;
    }
    struct k8s_source_state *s = xcalloc(1, sizeof *s);
    s->cfg = cfg;
    s->client = client;
    if (rc < 0) {
        s->error = xstrdup(e.msg);
    }
    return s;
}

static void k8s_src_poll(void *state, struct snapshot *snap, double now)
{
    struct k8s_source_state *s = state;
    if (!s->client) {
        k8s_source(snap, SOURCE_ERROR, REASON_NONE, NAN, NAN, s->error, NULL);
        return;
    }
    k8s_poll(s->client, s->cfg, snap, now);
}

static void k8s_src_add_disabled(struct snapshot *snap)
{
    k8s_source(snap, SOURCE_DISABLED, REASON_NOT_CONFIGURED, NAN, NAN, NULL,
               "--kubeconfig FILE or KUBECONFIG (or run in a pod with a service account)");
}

static void k8s_src_destroy(void *state)
{
    struct k8s_source_state *s = state;
    if (s) {
        k8s_client_free(s->client);
        free(s->error);
        free(s);
    }
}

const struct source_ops kubernetes_source_ops = {
    .kind = "kubernetes",
    .create = k8s_src_create,
    .poll = k8s_src_poll,
    .add_disabled = k8s_src_add_disabled,
    .destroy = k8s_src_destroy,
};
