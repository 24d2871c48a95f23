/*
 * The Kubernetes poller: lists nodes, pods, resource quotas and limit ranges
 * (paginated, restarting on 410 Gone) and derives the cluster headroom of the
 * Capacity pane; also discovers coderd's metrics endpoints (issue 11).
 * The object parsers and the headroom arithmetic are exported so that tests
 * can feed them the fixtures without a server.
 */
#ifndef SCALETOP_K8S_H
#define SCALETOP_K8S_H

#include "backend/config.h"
#include "backend/err.h"
#include "backend/kubeconfig.h"
#include "backend/labelsel.h"
#include "backend/snapshot.h"

#include <stdbool.h>
#include <stddef.h>

#define K8S_PAGE_LIMIT      500  /* items per list page */
#define K8S_POD_PAGE_LIMIT  200  /* pods carry whole specs: smaller pages, less memory */
#define K8S_MAX_PAGES       2000 /* per list, whatever continue says */
#define K8S_MAX_RESTARTS    3    /* list restarts after 410 Gone */
#define K8S_METRICS_PORT    2112 /* coderd's Prometheus port in the Helm chart */
#define K8S_DEFAULT_SERVICE "coder"

/* Default label selectors of Coder's pods (docs/kubernetes.md "Workspaces
 * per node"). Workspaces: Coder's Kubernetes templates label every
 * workspace pod com.coder.workspace.id (also com.coder.resource=true and,
 * in most, app.kubernetes.io/name=coder-workspace). coderd and workspace
 * proxies: the coder Helm chart labels both app.kubernetes.io/name=coder and
 * tells them apart by app.kubernetes.io/component (coderd|wsproxy), which it
 * puts in the pod's annotations: for that key an annotation stands in for a
 * missing label. Provisioners: the coder-provisioner chart. PostgreSQL: the
 * Bitnami chart that Coder's install guide uses. */
#define K8S_DEFAULT_WORKSPACE_SELECTOR "com.coder.workspace.id"
#define K8S_DEFAULT_CODERD_SELECTOR                                                                \
    "app.kubernetes.io/name=coder,app.kubernetes.io/component!=wsproxy"
#define K8S_DEFAULT_PROXY_SELECTOR                                                                 \
    "app.kubernetes.io/name=coder,app.kubernetes.io/component=wsproxy"
#define K8S_DEFAULT_PROVISIONER_SELECTOR "app.kubernetes.io/name=coder-provisioner"
#define K8S_DEFAULT_POSTGRES_SELECTOR    "app.kubernetes.io/name=postgresql"
#define K8S_MAX_NODE_LOADS               2000 /* nodes listed in capacity.nodes, most loaded first */

/* What a pod is to Coder, by the first selector (in this order) it matches. */
enum k8s_role {
    K8S_ROLE_OTHER = 0,
    K8S_ROLE_WORKSPACE,
    K8S_ROLE_PROXY,
    K8S_ROLE_CODERD,
    K8S_ROLE_PROVISIONER,
    K8S_ROLE_POSTGRES,
    K8S_NROLES
};

/* The compiled selectors of every role (sel[K8S_ROLE_OTHER] is unused). */
struct k8s_roles {
    struct labelsel sel[K8S_NROLES];
};

/* The selector text in effect for role: the config's, else the default. */
const char *k8s_role_selector(const struct config *cfg, enum k8s_role role);

/* Compiles the selectors of cfg (NULL: the defaults). 0, or -1 with e (r is
 * then empty). Caller k8s_roles_fini()s. */
int k8s_roles_init(struct k8s_roles *r, const struct config *cfg, struct err *e) WARN_UNUSED;
void k8s_roles_fini(struct k8s_roles *r);

/* One node, as the headroom needs it. Numbers NAN when absent. */
struct k8s_node {
    char *name;
    bool ready;         /* condition Ready=True */
    bool unschedulable; /* spec.unschedulable (cordoned) */
    double cpu_allocatable_cores, memory_allocatable_bytes, pods_allocatable;
    double cpu_capacity_cores, memory_capacity_bytes;
};

/* One pod with its effective requests and limits (component-helpers
 * PodRequests: max of app containers plus sidecars and each init phase,
 * pod-level resources override, overhead added). Unset counts as 0. */
struct k8s_pod {
    char *name, *namespace_name, *node_name; /* node_name NULL when unscheduled */
    char *phase;
    bool terminal;      /* phase Succeeded or Failed */
    bool unschedulable; /* PodScheduled=False, reason Unschedulable */
    double cpu_request_cores, memory_request_bytes;
    double cpu_limit_cores, memory_limit_bytes;
    enum k8s_role role; /* K8S_ROLE_OTHER unless parsed with roles */
};

/* Parses a Node object (JSON text). 0, or -1 with e; on a malformed
 * quantity the rest is still filled and e names it. Caller k8s_node_fini()s. */
int k8s_node_parse(const char *json, size_t len, struct k8s_node *n, struct err *e) WARN_UNUSED;
void k8s_node_fini(struct k8s_node *n);

/* Parses a Pod object the same way. Caller k8s_pod_fini()s. */
int k8s_pod_parse(const char *json, size_t len, struct k8s_pod *p, struct err *e) WARN_UNUSED;
/* The same, also setting p->role from the pod's labels (roles may be NULL). */
int k8s_pod_parse_roles(const char *json, size_t len, const struct k8s_roles *roles,
                        struct k8s_pod *p, struct err *e) WARN_UNUSED;
void k8s_pod_fini(struct k8s_pod *p);

/* Accumulates one poll's objects into cluster headroom and quota figures. */
struct k8s_capacity;

/* A new, empty accumulator; caller frees with k8s_capacity_free. */
struct k8s_capacity *k8s_capacity_new(void);
void k8s_capacity_free(struct k8s_capacity *c);

/* Adds a node (copied). Nodes that are Ready and schedulable count. */
void k8s_capacity_add_node(struct k8s_capacity *c, const struct k8s_node *n);

/* Adds a pod (its figures are copied): non-terminal pods bound to a counted
 * node add their effective requests and one pod to the cluster totals;
 * non-terminal unschedulable ones are counted in pods_unschedulable. */
void k8s_capacity_add_pod(struct k8s_capacity *c, const struct k8s_pod *p);

/* Adds a ResourceQuota / LimitRange object (JSON text). 0, or -1 with e when
 * the JSON is not such an object or a quantity is malformed (the others are
 * kept, the bad one becomes unknown). */
int k8s_capacity_add_quota_json(struct k8s_capacity *c, const char *json, size_t len,
                                struct err *e) WARN_UNUSED;
int k8s_capacity_add_limitrange_json(struct k8s_capacity *c, const char *json, size_t len,
                                     struct err *e) WARN_UNUSED;

/* Adds one item of metrics.k8s.io's NodeMetricsList / PodMetricsList (JSON
 * text): a node's usage, or a pod's (its containers summed) counted toward
 * the workspace usage of its node when the pod list said it is a workspace.
 * 0, or -1 with e when the item is not such an object or a quantity is bad. */
int k8s_capacity_add_node_metrics_json(struct k8s_capacity *c, const char *json, size_t len,
                                       struct err *e) WARN_UNUSED;
int k8s_capacity_add_pod_metrics_json(struct k8s_capacity *c, const char *json, size_t len,
                                      struct err *e) WARN_UNUSED;

/* Says whether the metrics API answered: node usage (and, with pods, the
 * workspaces' usage) is then known; otherwise it stays NAN. */
void k8s_capacity_set_metrics(struct k8s_capacity *c, bool nodes_listed, bool pods_listed);

/* Writes capacity.cluster, capacity.namespaces (sorted by name, resources by
 * key; with several quotas on one key the tightest wins) and the config's
 * soft limits compared with usage into snap. Sorts c's quota entries. */
void k8s_capacity_fill(struct k8s_capacity *c, const struct config *cfg, struct snapshot *snap);

/* Usage that a soft limit on `resource` is compared with, NAN for an unknown
 * resource: cpu|memory (alias node-cpu, vcpu, node-memory) is the capacity of
 * every node, what a cloud account's quota counts; nodes; requests.cpu,
 * requests.memory and pods are what running pods request. */
double k8s_capacity_usage(const struct k8s_capacity *c, const char *resource);

/* --- the API client ------------------------------------------------------ */

/* A connection to one API server (a keep-alive libcurl handle and the
 * credentials); not shared between threads. */
struct k8s_client;

/* Finds credentials (cfg->kubeconfig, $KUBECONFIG, in-cluster, ~/.kube/config)
 * and opens a client. 1 and *out set; 0 when nothing is configured; -1 with e
 * when the configuration is broken. Caller k8s_client_free()s. */
int k8s_client_open(const struct config *cfg, struct k8s_client **out, struct err *e) WARN_UNUSED;

/* A client for the given credentials (taken: *auth is zeroed) and cfg's
 * timeouts and body cap. Never fails. */
struct k8s_client *k8s_client_new(struct kubeconfig_auth *auth, const struct config *cfg);
void k8s_client_free(struct k8s_client *c);

/* Lowers (or restores, with 0) the page bound of every list; for tests. */
void k8s_client_set_max_pages(struct k8s_client *c, int max_pages);

/* The namespace to use when none is configured: the context's or the
 * service account's, else NULL. Borrowed. */
const char *k8s_client_namespace(const struct k8s_client *c);

/* Polls every list once into snap (source "kubernetes" plus capacity,
 * capacity.nodes among it; the metrics API is asked for node usage and for
 * the workspace pods' usage, and its absence is not an error).
 * Poller thread; returns within the client's time budget. */
void k8s_poll(struct k8s_client *c, const struct config *cfg, struct snapshot *snap, double now);

/* Lists the EndpointSlices of `service` in `ns` (falling back to the
 * Endpoints object) and returns http://IP:PORT/metrics for each ready
 * address, sorted and unique, at most CONFIG_MAX_URLS. *urls is a malloc'd
 * array of malloc'd strings (caller frees both). 0, or -1 with e.
 * A client is used by one thread at a time: call this from the thread that
 * polls with it, or open a client of its own (k8s_client_open). */
int k8s_discover_metrics(struct k8s_client *c, const char *ns, const char *service, int port,
                         char ***urls, size_t *nurls, struct err *e) WARN_UNUSED;

#endif
