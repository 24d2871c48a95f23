/*
 * scaletop-sim Kubernetes API subset: nodes, pods, namespaces,
 * resourcequotas, limitranges, and the endpoints / endpointslices of the
 * coder service, with bearer-token auth, limit/continue pagination (410
 * Expired for a stale continue token) and quantities written in every
 * notation the apimachinery grammar allows (m, Ki/Mi/Gi, k/M/G, e-notation,
 * plain numbers). Shapes follow fixtures/k8s.
 *
 * Invariants: objects are generated on demand from the model, in a fixed
 * order (namespace, then name), so pages are consistent; the quota `used`
 * of coder-workspaces equals the sum of the listed workspace pods' requests.
 */
#include "sim.h"

#include <math.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODE_CPU_M  15890LL
#define NODE_MEM_KI 61680112LL
#define NODE_PODS   110

static const long long ws_cpu_m[4] = {500, 1000, 1000, 1500};
static const long long ws_mem_gi[4] = {2, 4, 4, 6};

/* CPU millicores in one of several notations, all exact. */
static void q_cpu(long long m, int style, char out[32])
{
    switch (style % 4) {
    case 0:
        snprintf(out, 32, "%lldm", m);
        break;
    case 1:
        if (m % 1000 == 0) {
            snprintf(out, 32, "%lld", m / 1000);
        } else {
            snprintf(out, 32, "%lld.%03lld", m / 1000, m % 1000);
            /* trim trailing zeros: "1.500" -> "1.5" */
            size_t l = strlen(out);
            while (out[l - 1] == '0') {
                out[--l] = '\0';
            }
        }
        break;
    case 2:
        snprintf(out, 32, "%llde-3", m);
        break;
    default:
        if (m % 1000 == 0) {
            snprintf(out, 32, "%lld", m / 1000);
        } else {
            snprintf(out, 32, "%lldm", m);
        }
        break;
    }
}

/* Bytes in one of several notations, all exact. */
static void q_mem(long long bytes, int style, char out[32])
{
    const long long Gi = 1LL << 30, Mi = 1LL << 20, Ki = 1LL << 10;
    switch (style % 6) {
    case 0:
        if (bytes % Gi == 0) {
            snprintf(out, 32, "%lldGi", bytes / Gi);
            return;
        }
        break;
    case 1:
        if (bytes % Mi == 0) {
            snprintf(out, 32, "%lldMi", bytes / Mi);
            return;
        }
        break;
    case 2:
        snprintf(out, 32, "%lld", bytes);
        return;
    case 3:
        if (bytes % 1000000000LL == 0) {
            snprintf(out, 32, "%lldG", bytes / 1000000000LL);
            return;
        }
        if (bytes % 1000 == 0) {
            snprintf(out, 32, "%lldk", bytes / 1000);
            return;
        }
        break;
    case 4:
        if (bytes % 1000000 == 0) {
            snprintf(out, 32, "%llde6", bytes / 1000000);
            return;
        }
        break;
    default:
        break;
    }
    if (bytes % Ki == 0) {
        snprintf(out, 32, "%lldKi", bytes / Ki);
    } else {
        snprintf(out, 32, "%lld", bytes);
    }
}

static void q_count(long long n, int style, char out[32])
{
    if (style % 3 == 2 && n % 1000 == 0 && n > 0) {
        snprintf(out, 32, "%lldk", n / 1000);
    } else if (style % 3 == 1 && n % 100 == 0 && n > 0) {
        snprintf(out, 32, "%llde2", n / 100);
    } else {
        snprintf(out, 32, "%lld", n);
    }
}

static json_t *qs(const char *s)
{
    return json_string(s);
}

static void status_err(struct sim_reply *r, int code, const char *reason, const char *msg)
{
    json_t *j = json_object();
    json_object_set_new(j, "kind", qs("Status"));
    json_object_set_new(j, "apiVersion", qs("v1"));
    json_object_set_new(j, "metadata", json_object());
    json_object_set_new(j, "status", qs("Failure"));
    json_object_set_new(j, "message", qs(msg));
    json_object_set_new(j, "reason", qs(reason));
    json_object_set_new(j, "code", json_integer(code));
    sim_reply_json(r, code, j);
}

static json_t *meta(const char *name, const char *ns, long rv, double created, uint64_t seed)
{
    json_t *m = json_object();
    char uid[40], tb[40];
    sim_uuid(&seed, uid);
    json_object_set_new(m, "name", qs(name));
    if (ns) {
        json_object_set_new(m, "namespace", qs(ns));
    }
    json_object_set_new(m, "uid", qs(uid));
    char rvs[24];
    snprintf(rvs, sizeof rvs, "%ld", rv);
    json_object_set_new(m, "resourceVersion", qs(rvs));
    sim_time_fmt(created, tb);
    tb[19] = 'Z';
    tb[20] = '\0';
    json_object_set_new(m, "creationTimestamp", qs(tb));
    return m;
}

struct world {
    int n_nodes;
    long n_ws;
    int n_rep, n_prov;
    long rv;
    double now;
};

static void world_get(struct sim *s, struct world *w)
{
    w->n_ws = s->ws_running;
    w->n_rep = 0;
    for (int i = 0; i < s->n_replicas; i++) {
        w->n_rep += s->rep[i].present;
    }
    w->n_prov = 0;
    for (int i = 0; i < s->n_daemons; i++) {
        w->n_prov += s->daemons[i].online && s->daemons[i].deploy >= 0;
    }
    /* Enough nodes for 75 % of CPU and 70 % of memory (workspaces average
     * 1 core and 4 GiB, provisioners 1 core and 1 GB), plus the system pool. */
    double cpu = (double)w->n_ws * 1.0 + w->n_prov + w->n_rep * 4.0;
    double mem = ((double)w->n_ws * 4.0 * 1073741824.0 + w->n_prov * 1e9) / 1024.0;
    int by_cpu = (int)ceil(cpu / (NODE_CPU_M / 1000.0 * 0.75));
    int by_mem = (int)ceil(mem / (NODE_MEM_KI * 0.70));
    w->n_nodes = (by_cpu > by_mem ? by_cpu : by_mem) + 3;
    w->rv = 100000 + (long)((s->sim_now - s->o.start_epoch) / 5);
    w->now = s->sim_now;
}

static json_t *node_json(struct sim *s, const struct world *w, int i)
{
    char name[48], v[32];
    snprintf(name, sizeof name, "gke-coder-pool-%s-%04d", i < 3 ? "system" : "ws", i);
    json_t *n = json_object();
    json_t *m = meta(name, NULL, w->rv - i, s->o.start_epoch - 86400 * 20, (uint64_t)i + 1000);
    json_object_set_new(m, "labels",
                        json_pack("{s:s,s:s,s:s}", "kubernetes.io/hostname", name,
                                  "kubernetes.io/os", "linux", "cloud.google.com/gke-nodepool",
                                  i < 3 ? "system" : "workspaces"));
    json_object_set_new(n, "metadata", m);
    json_t *spec = json_object();
    if (i == w->n_nodes - 1 && w->n_nodes > 4) {
        /* one cordoned node */
        json_object_set_new(spec, "unschedulable", json_true());
        json_object_set_new(spec, "taints",
                            json_pack("[{s:s,s:s,s:s}]", "key", "node.kubernetes.io/unschedulable",
                                      "effect", "NoSchedule", "timeAdded", "2026-07-14T08:00:00Z"));
    }
    json_object_set_new(n, "spec", spec);
    json_t *st = json_object();
    json_t *cap = json_object(), *alloc = json_object();
    q_cpu(16000, i, v);
    json_object_set_new(cap, "cpu", qs(i % 2 ? "16" : v));
    q_mem(65842032LL * 1024, i, v);
    json_object_set_new(cap, "memory", qs(v));
    json_object_set_new(cap, "pods", qs("110"));
    json_object_set_new(cap, "ephemeral-storage", qs("101203048Ki"));
    q_cpu(NODE_CPU_M, i + 1, v);
    json_object_set_new(alloc, "cpu", qs(v));
    q_mem(NODE_MEM_KI * 1024, i + 2, v);
    json_object_set_new(alloc, "memory", qs(v));
    q_count(NODE_PODS, 0, v);
    json_object_set_new(alloc, "pods", qs(v));
    json_object_set_new(alloc, "ephemeral-storage", qs("93247953078"));
    json_object_set_new(alloc, "hugepages-2Mi", qs("0"));
    json_object_set_new(st, "capacity", cap);
    json_object_set_new(st, "allocatable", alloc);
    json_t *conds = json_array();
    const char *types[] = {"MemoryPressure", "DiskPressure", "PIDPressure", "Ready"};
    for (int k = 0; k < 4; k++) {
        json_array_append_new(
            conds, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", types[k], "status",
                             k == 3 ? "True" : "False", "lastHeartbeatTime", "2026-07-14T09:29:11Z",
                             "lastTransitionTime", "2026-06-24T10:02:06Z", "reason",
                             k == 3 ? "KubeletReady" : "KubeletHasSufficientMemory", "message",
                             k == 3 ? "kubelet is posting ready status"
                                    : "kubelet has sufficient resources"));
    }
    json_object_set_new(st, "conditions", conds);
    char ip[20];
    snprintf(ip, sizeof ip, "10.128.%d.%d", i / 250, i % 250 + 2);
    json_object_set_new(st, "addresses",
                        json_pack("[{s:s,s:s},{s:s,s:s}]", "type", "InternalIP", "address", ip,
                                  "type", "Hostname", "address", name));
    json_object_set_new(st, "daemonEndpoints",
                        json_pack("{s:{s:i}}", "kubeletEndpoint", "Port", 10250));
    json_object_set_new(st, "nodeInfo",
                        json_pack("{s:s,s:s,s:s,s:s,s:s}", "kubeletVersion", "v1.30.5-gke.1014001",
                                  "kubeProxyVersion", "v1.30.5-gke.1014001", "operatingSystem",
                                  "linux", "architecture", "amd64", "containerRuntimeVersion",
                                  "containerd://1.7.22"));
    json_object_set_new(n, "status", st);
    return n;
}

/* The pod index space, in namespace order: coder (the replicas, then the
 * PostgreSQL pod), coder-provisioners, coder-workspaces, kube-system. */
static long pods_total(const struct world *w)
{
    return w->n_rep + 1 + w->n_prov + w->n_ws + 2;
}

enum { ROLE_OTHER, ROLE_WS, ROLE_CODERD, ROLE_PROV, ROLE_PG };

/* One pod as the placement, the JSON and the truth see it. Requests in
 * millicores and bytes; usage in nanocores and KiB, as metrics-server
 * writes them, all integers so the truth is exact. */
struct simpod {
    const char *ns;
    char name[80], ip[20];
    int node, role;
    long k; /* index within its kind */
    long long cpu_m, mem_b;
    long long use_n, use_ki;
    const char *container;
};

#define WS_NODE0          3           /* first workspace node; the last node is cordoned */
#define CROWD_FILL        0.84        /* crowded nodes are packed up to this share of allocatable */
#define CROWD_FILL_PACKED 0.97        /* ... with --packed-nodes: past the advisor's 0.85 */
#define SYS_USE_N         250000000LL /* kubelet and system daemons on every node */
#define SYS_USE_KI        1572864LL

static int ws_nodes(const struct world *w)
{
    return w->n_nodes - 4 > 0 ? w->n_nodes - 4 : 1;
}

static int prov_node(const struct world *w, long k)
{
    return WS_NODE0 + (int)(k % ws_nodes(w));
}

static bool colocated(struct sim *s, const struct world *w)
{
    return s->o.colocate_coderd && w->n_nodes > 4 && w->n_rep > 0;
}

/* Places the workspace pods of world w, as a scheduler with a bin-packing
 * score for part of the pool would: the first sixth of the workspace nodes
 * (at least one) is filled up to CROWD_FILL of allocatable CPU and memory
 * (CROWD_FILL_PACKED with --packed-nodes),
 * and the rest is spread over the least requested nodes. Deterministic in
 * (n_ws, n_nodes, n_prov, n_rep, --colocate-coderd); cached in s. */
static void place(struct sim *s, const struct world *w)
{
    if (s->pl_node && s->pl_nws == w->n_ws && s->pl_nodes == w->n_nodes &&
        s->pl_prov == w->n_prov && s->pl_rep == w->n_rep) {
        return;
    }
    int nw = ws_nodes(w);
    long long *cpu = calloc((size_t)nw, sizeof *cpu), *mem = calloc((size_t)nw, sizeof *mem);
    if (w->n_ws > s->pl_cap) {
        free(s->pl_node);
        s->pl_cap = w->n_ws + 64;
        s->pl_node = malloc((size_t)s->pl_cap * sizeof *s->pl_node);
    }
    if (!cpu || !mem || !s->pl_node) {
        abort();
    }
    for (long k = 0; k < w->n_prov; k++) {
        cpu[prov_node(w, k) - WS_NODE0] += 1000;
        mem[prov_node(w, k) - WS_NODE0] += 1000000000LL;
    }
    if (colocated(s, w)) {
        cpu[0] += 4000;
        mem[0] += 12LL << 30;
    }
    const long long acpu = NODE_CPU_M, amem = NODE_MEM_KI * 1024;
    const double fill = s->o.packed_nodes ? CROWD_FILL_PACKED : CROWD_FILL;
    int crowd = nw / 6 > 1 ? nw / 6 : 1, next = 0;
    for (long k = 0; k < w->n_ws; k++) {
        long long c = ws_cpu_m[k % 4], m = ws_mem_gi[k % 4] << 30;
        int at = -1;
        for (int t = 0; t < crowd && at < 0; t++) {
            int j = (next + t) % crowd;
            if (cpu[j] + c <= acpu * fill && mem[j] + m <= amem * fill) {
                at = j;
                next = (j + 1) % crowd;
            }
        }
        if (at < 0) {
            int best = -1;
            /* least allocated: the smallest of the larger of the two fractions */
            double best_f = 0;
            for (int j = crowd < nw ? crowd : 0; j < nw; j++) {
                double fc = (double)cpu[j] / (double)acpu, fm = (double)mem[j] / (double)amem;
                double f = fc > fm ? fc : fm;
                if (best < 0 || f < best_f) {
                    best = j;
                    best_f = f;
                }
            }
            at = best;
        }
        s->pl_node[k] = WS_NODE0 + at;
        cpu[at] += c;
        mem[at] += m;
    }
    free(cpu);
    free(mem);
    s->pl_nws = w->n_ws;
    s->pl_nodes = w->n_nodes;
    s->pl_prov = w->n_prov;
    s->pl_rep = w->n_rep;
}

static void pod_info(struct sim *s, const struct world *w, long i, struct simpod *p)
{
    long k = i;
    memset(p, 0, sizeof *p);
    place(s, w);
    if (k < w->n_rep) {
        int ri = 0, seen = 0;
        for (ri = 0; ri < s->n_replicas; ri++) {
            if (s->rep[ri].present && seen++ == k) {
                break;
            }
        }
        p->ns = "coder";
        p->role = ROLE_CODERD;
        p->container = "coder";
        snprintf(p->name, sizeof p->name, "%s", s->rep[ri].hostname);
        snprintf(p->ip, sizeof p->ip, "%s", s->rep[ri].ip);
        p->cpu_m = 4000;
        p->mem_b = 12LL << 30;
        p->node = colocated(s, w) && k == w->n_rep - 1 ? WS_NODE0 : (int)(k % 3);
        p->use_n = 1200000000LL + 100000000LL * k;
        p->use_ki = 3LL << 20;
    } else if ((k -= w->n_rep) < 1) {
        p->ns = "coder";
        p->role = ROLE_PG;
        p->container = "postgresql";
        snprintf(p->name, sizeof p->name, "coder-db-postgresql-0");
        snprintf(p->ip, sizeof p->ip, "10.60.250.9");
        p->cpu_m = 2000;
        p->mem_b = 8LL << 30;
        p->node = 2;
        p->use_n = 800000000LL;
        p->use_ki = 6LL << 20;
    } else if ((k -= 1) < w->n_prov) {
        int di = 0, seen = 0;
        for (di = 0; di < s->n_daemons; di++) {
            if (s->daemons[di].online && s->daemons[di].deploy >= 0 && seen++ == k) {
                break;
            }
        }
        p->ns = "coder-provisioners";
        p->role = ROLE_PROV;
        p->container = "provisioner";
        snprintf(p->name, sizeof p->name, "%s", s->daemons[di].name);
        snprintf(p->ip, sizeof p->ip, "10.60.%ld.%ld", k / 250, k % 250 + 2);
        p->cpu_m = 1000;
        p->mem_b = 1000000000LL;
        /* never on the cordoned last node: it has been drained */
        p->node = prov_node(w, k);
        p->use_n = 100000000LL;
        p->use_ki = 204800;
    } else if ((k -= w->n_prov) < w->n_ws) {
        p->ns = "coder-workspaces";
        p->role = ROLE_WS;
        p->container = "dev";
        snprintf(p->name, sizeof p->name, "coder-ws-%05ld", k);
        snprintf(p->ip, sizeof p->ip, "10.64.%ld.%ld", k / 250, k % 250 + 2);
        p->cpu_m = ws_cpu_m[k % 4];
        p->mem_b = ws_mem_gi[k % 4] << 30;
        p->node = s->pl_node[k];
        /* spiky: 15 % to 75 % of the request; memory 5/16 to 12/16 of it */
        p->use_n = p->cpu_m * (15 + 10 * (k % 7)) * 10000LL;
        p->use_ki = (p->mem_b / 1024) * (5 + k % 8) / 16;
    } else {
        k -= w->n_ws;
        p->ns = "kube-system";
        p->container = "coredns";
        snprintf(p->name, sizeof p->name, "coredns-5d78c9869d-%s", k == 0 ? "7xk2p" : "q9wzt");
        snprintf(p->ip, sizeof p->ip, "10.0.0.%ld", k + 10);
        p->cpu_m = 100;
        p->mem_b = 70LL << 20;
        p->node = (int)k;
        p->use_n = 5000000LL;
        p->use_ki = 20480;
    }
    p->k = k;
}

static void node_name(int i, char out[48])
{
    snprintf(out, 48, "gke-coder-pool-%s-%04d", i < 3 ? "system" : "ws", i);
}

static json_t *container(const char *name, const char *image, const char *cpu, const char *mem,
                         const char *lcpu, const char *lmem)
{
    json_t *req = json_pack("{s:s,s:s}", "cpu", cpu, "memory", mem);
    json_t *lim = json_object();
    if (lcpu) {
        json_object_set_new(lim, "cpu", qs(lcpu));
    }
    if (lmem) {
        json_object_set_new(lim, "memory", qs(lmem));
    }
    return json_pack("{s:s,s:s,s:{s:o,s:o},s:s}", "name", name, "image", image, "resources",
                     "requests", req, "limits", lim, "imagePullPolicy", "IfNotPresent");
}

/* A pod's labels as Coder's charts and templates set them; *annotations
 * (when asked for) gets the annotations, or NULL. */
static json_t *pod_labels(const struct simpod *p, json_t **annotations)
{
    json_t *labels = json_object();
    const char *component = NULL;
    char id[40];
    switch (p->role) {
    case ROLE_CODERD:
        json_object_set_new(labels, "app.kubernetes.io/name", qs("coder"));
        json_object_set_new(labels, "app.kubernetes.io/instance", qs("coder"));
        json_object_set_new(labels, "app.kubernetes.io/part-of", qs("coder"));
        /* the chart puts the component in the annotations, not the labels */
        component = "coderd";
        break;
    case ROLE_PG:
        json_object_set_new(labels, "app.kubernetes.io/name", qs("postgresql"));
        json_object_set_new(labels, "app.kubernetes.io/instance", qs("coder-db"));
        json_object_set_new(labels, "app.kubernetes.io/component", qs("primary"));
        break;
    case ROLE_PROV:
        json_object_set_new(labels, "app.kubernetes.io/name", qs("coder-provisioner"));
        component = "provisionerd";
        break;
    case ROLE_WS: {
        uint64_t seed = (uint64_t)p->k * 7919 + 17;
        sim_uuid(&seed, id);
        json_object_set_new(labels, "app.kubernetes.io/name", qs("coder-workspace"));
        json_object_set_new(labels, "app.kubernetes.io/part-of", qs("coder"));
        json_object_set_new(labels, "com.coder.resource", qs("true"));
        json_object_set_new(labels, "com.coder.workspace.id", qs(id));
        json_object_set_new(labels, "com.coder.workspace.name", qs(p->name + 9));
        break;
    }
    default:
        json_object_set_new(labels, "k8s-app", qs("kube-dns"));
        break;
    }
    if (annotations) {
        *annotations =
            component ? json_pack("{s:s}", "app.kubernetes.io/component", component) : NULL;
    }
    return labels;
}

static json_t *pod_json(struct sim *s, const struct world *w, long i, char ns_out[48])
{
    char node[48], v1[32], v2[32], v3[32], v4[32];
    json_t *c, *annotations = NULL;
    struct simpod p;
    pod_info(s, w, i, &p);
    long k = p.k;
    json_t *labels = pod_labels(&p, &annotations);
    switch (p.role) {
    case ROLE_CODERD:
        c = container("coder", "ghcr.io/coder/coder:v2.38.5", "4", "12Gi", "4", "12Gi");
        break;
    case ROLE_PG:
        c = container("postgresql", "docker.io/bitnami/postgresql:16.4.0", "2", "8Gi", NULL,
                      "16Gi");
        break;
    case ROLE_PROV:
        q_cpu(1000, (int)k, v1);
        q_mem(1000000000LL, (int)k, v2);
        c = container("provisioner", "ghcr.io/coder/coder:v2.38.5", v1, v2, NULL, "2Gi");
        break;
    case ROLE_WS:
        q_cpu(ws_cpu_m[k % 4], (int)(k / 4), v1);
        q_mem(ws_mem_gi[k % 4] << 30, (int)(k / 4), v2);
        q_cpu(ws_cpu_m[k % 4] * 2, (int)(k / 4) + 1, v3);
        q_mem((ws_mem_gi[k % 4] << 30) * 2, (int)(k / 4) + 1, v4);
        c = container("dev", "codercom/enterprise-base:ubuntu", v1, v2, v3, v4);
        break;
    default:
        c = container("coredns", "registry.k8s.io/coredns/coredns:v1.11.1", "100m", "70Mi", NULL,
                      "170Mi");
        break;
    }
    snprintf(ns_out, 48, "%s", p.ns);
    node_name(p.node, node);
    json_t *o = json_object();
    json_t *m = meta(p.name, p.ns, w->rv - (i % 1000), s->o.start_epoch - 3600, (uint64_t)i + 99);
    json_object_set_new(m, "labels", labels);
    if (annotations) {
        json_object_set_new(m, "annotations", annotations);
    }
    json_object_set_new(o, "metadata", m);
    json_t *spec = json_object();
    json_object_set_new(spec, "containers", json_pack("[o]", c));
    json_object_set_new(spec, "nodeName", qs(node));
    json_object_set_new(spec, "restartPolicy", qs("Always"));
    json_object_set_new(spec, "schedulerName", qs("default-scheduler"));
    json_object_set_new(spec, "serviceAccountName", qs("default"));
    json_object_set_new(o, "spec", spec);
    json_t *st = json_object();
    json_object_set_new(st, "phase", qs("Running"));
    json_object_set_new(st, "podIP", qs(p.ip));
    json_object_set_new(st, "conditions",
                        json_pack("[{s:s,s:s},{s:s,s:s}]", "type", "PodScheduled", "status", "True",
                                  "type", "Ready", "status", "True"));
    json_object_set_new(o, "status", st);
    return o;
}

static json_t *quota_json(struct sim *s, const struct sim_ns *ns, long rv, int idx)
{
    char name[64], v[32];
    snprintf(name, sizeof name, "%s-quota", ns->name);
    json_t *q = json_object();
    json_object_set_new(
        q, "metadata",
        meta(name, ns->name, rv, s->o.start_epoch - 86400 * 90, (uint64_t)idx + 5000));
    json_t *hard = json_object(), *shard = json_object(), *used = json_object();
    int st = idx;
    q_cpu((long long)llround(ns->cpu_hard * 1000), st + 1, v);
    json_object_set_new(hard, "requests.cpu", qs(v));
    json_object_set_new(shard, "requests.cpu", qs(v));
    q_cpu((long long)llround(ns->cpu_used * 1000), st, v);
    json_object_set_new(used, "requests.cpu", qs(v));
    q_mem((long long)llround(ns->mem_hard), st + 2, v);
    json_object_set_new(hard, "requests.memory", qs(v));
    json_object_set_new(shard, "requests.memory", qs(v));
    q_mem((long long)llround(ns->mem_used), st + 4, v);
    json_object_set_new(used, "requests.memory", qs(v));
    q_count((long long)ns->pods_hard, st + 1, v);
    json_object_set_new(hard, "pods", qs(v));
    json_object_set_new(shard, "pods", qs(v));
    q_count((long long)ns->pods_used, 0, v);
    json_object_set_new(used, "pods", qs(v));
    if (ns->lim_cpu_hard > 0) {
        q_cpu((long long)llround(ns->lim_cpu_hard * 1000), st + 3, v);
        json_object_set_new(hard, "limits.cpu", qs(v));
        json_object_set_new(shard, "limits.cpu", qs(v));
        q_cpu((long long)llround(ns->lim_cpu_used * 1000), st + 2, v);
        json_object_set_new(used, "limits.cpu", qs(v));
    }
    json_object_set_new(q, "spec", json_pack("{s:o}", "hard", hard));
    json_object_set_new(q, "status", json_pack("{s:o,s:o}", "hard", shard, "used", used));
    return q;
}

static json_t *limitrange_json(struct sim *s, long rv)
{
    json_t *l = json_object();
    json_object_set_new(
        l, "metadata",
        meta("workspace-limits", "coder-workspaces", rv, s->o.start_epoch - 86400 * 90, 7000));
    json_object_set_new(l, "spec",
                        json_pack("{s:[{s:s,s:{s:s,s:s},s:{s:s,s:s},s:{s:s,s:s},s:{s:s,s:s}}]}",
                                  "limits", "type", "Container", "max", "cpu", "4", "memory",
                                  "16Gi", "min", "cpu", "100m", "memory", "128Mi", "default", "cpu",
                                  "1", "memory", "4Gi", "defaultRequest", "cpu", "500m", "memory",
                                  "2Gi"));
    return l;
}

static json_t *namespace_json(struct sim *s, const char *name, long rv, int i)
{
    json_t *n = json_object();
    json_object_set_new(n, "metadata",
                        meta(name, NULL, rv, s->o.start_epoch - 86400 * 120, (uint64_t)i + 9000));
    json_object_set_new(n, "spec", json_pack("{s:[s]}", "finalizers", "kubernetes"));
    json_object_set_new(n, "status", json_pack("{s:s}", "phase", "Active"));
    return n;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64enc(const char *in, char *out, size_t outl)
{
    size_t n = strlen(in), o = 0;
    for (size_t i = 0; i < n && o + 5 < outl; i += 3) {
        unsigned v = (unsigned char)in[i] << 16;
        if (i + 1 < n) {
            v |= (unsigned char)in[i + 1] << 8;
        }
        if (i + 2 < n) {
            v |= (unsigned char)in[i + 2];
        }
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    out[o] = '\0';
}

static int b64dec(const char *in, char *out, size_t outl)
{
    size_t o = 0;
    unsigned v = 0;
    int bits = 0;
    for (const char *p = in; *p && *p != '='; p++) {
        const char *q = strchr(b64, *p);
        if (!q) {
            return -1;
        }
        v = (v << 6) | (unsigned)(q - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o + 1 >= outl) {
                return -1;
            }
            out[o++] = (char)((v >> bits) & 0xff);
        }
    }
    out[o] = '\0';
    return 0;
}

/* A label selector of requirements joined by commas: `k`, `!k`, `k=v`,
 * `k==v`, `k!=v` (absent keys satisfy `!=`, as in Kubernetes). */
static bool match_label(json_t *obj, const char *sel)
{
    if (!sel || !*sel) {
        return true;
    }
    json_t *lab = json_object_get(json_object_get(obj, "metadata"), "labels");
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", sel);
    for (char *sv = NULL, *t = strtok_r(tmp, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
        while (*t == ' ') {
            t++;
        }
        bool not = *t == '!' && t[1] != '=';
        if (not ) {
            t++;
        }
        char *ne = strstr(t, "!="), *eq = strchr(t, '=');
        const char *val = NULL;
        if (ne) {
            *ne = '\0';
            val = ne + 2;
        } else if (eq) {
            *eq = '\0';
            val = eq + (eq[1] == '=' ? 2 : 1);
        }
        const char *have = json_string_value(json_object_get(lab, t));
        if (!val) {
            if ((have != NULL) == not ) {
                return false;
            }
        } else if (ne) {
            if (have && strcmp(have, val) == 0) {
                return false;
            }
        } else if (!have || strcmp(have, val) != 0) {
            return false;
        }
    }
    return true;
}

static bool match_field(json_t *obj, const char *sel)
{
    if (!sel || !*sel) {
        return true;
    }
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", sel);
    for (char *sv = NULL, *t = strtok_r(tmp, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
        bool neg = strstr(t, "!=") != NULL;
        char *eq = strstr(t, neg ? "!=" : "=");
        if (!eq) {
            continue;
        }
        *eq = '\0';
        const char *val = eq + (neg ? 2 : (eq[1] == '=' ? 2 : 1));
        const char *have = NULL;
        if (strcmp(t, "spec.nodeName") == 0) {
            have = json_string_value(json_object_get(json_object_get(obj, "spec"), "nodeName"));
        } else if (strcmp(t, "status.phase") == 0) {
            have = json_string_value(json_object_get(json_object_get(obj, "status"), "phase"));
        } else if (strcmp(t, "metadata.name") == 0) {
            have = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
        } else if (strcmp(t, "metadata.namespace") == 0) {
            have =
                json_string_value(json_object_get(json_object_get(obj, "metadata"), "namespace"));
        }
        bool same = have && strcmp(have, val) == 0;
        if (neg == same) {
            return false;
        }
    }
    return true;
}

enum kres { K_NODES, K_PODS, K_NS, K_QUOTA, K_LIMIT };

static void list(struct sim *s, struct sim_req *q, struct sim_reply *r, enum kres kind,
                 const char *only_ns)
{
    static const char *const kinds[] = {"NodeList", "PodList", "NamespaceList", "ResourceQuotaList",
                                        "LimitRangeList"};
    long limit = 0, offset = 0;
    const char *ls = sim_arg(q, "limit");
    if (ls) {
        limit = strtol(ls, NULL, 10);
    }
    const char *cont = sim_arg(q, "continue");
    pthread_mutex_lock(&s->mu);
    struct world w;
    world_get(s, &w);
    int gen = s->k8s_generation;
    pthread_mutex_unlock(&s->mu);
    double real = sim_mono() - s->real_start;
    /* a continued list reads the world as it was on its first page */
    struct world snap = {0};
    bool have_snap = false;
    if (cont && *cont) {
        char dec[256];
        long rv = 0, off = 0, nws = 0;
        int g = -1, nrep = 0, nprov = 0, nnodes = 0;
        double issued = 0;
        if (b64dec(cont, dec, sizeof dec) != 0 ||
            sscanf(dec,
                   "{\"v\":\"meta.k8s.io/v1\",\"rv\":%ld,\"start\":\"%ld\",\"g\":%d,\"t\":%lf,"
                   "\"w\":[%ld,%d,%d,%d]",
                   &rv, &off, &g, &issued, &nws, &nrep, &nprov, &nnodes) != 8) {
            status_err(r, 400, "BadRequest", "continue key is not valid: illegal base64 data");
            return;
        }
        if (g != gen || real - issued > 300) {
            status_err(r, 410, "Expired",
                       "The provided continue parameter is too old to display a consistent list "
                       "result. You can start a new list without the continue parameter, or use "
                       "the continue token in this response to retrieve the remainder of the "
                       "results. Continuing with the provided token results in an inconsistent "
                       "list - objects that were created, modified, or deleted between the time "
                       "the first chunk was returned and now may show up in the list.");
            return;
        }
        offset = off;
        snap.rv = rv;
        snap.n_ws = nws;
        snap.n_rep = nrep;
        snap.n_prov = nprov;
        snap.n_nodes = nnodes;
        have_snap = true;
    }
    const char *lsel = sim_arg(q, "labelSelector");
    const char *fsel = sim_arg(q, "fieldSelector");
    json_t *items = json_array();
    long total = 0;
    pthread_mutex_lock(&s->mu);
    world_get(s, &w);
    if (have_snap) {
        snap.now = w.now;
        w = snap;
    }
    switch (kind) {
    case K_NODES:
        total = w.n_nodes;
        break;
    case K_PODS:
        total = pods_total(&w);
        break;
    case K_NS:
        total = s->n_ns;
        break;
    case K_QUOTA:
        total = s->n_ns;
        break;
    case K_LIMIT:
        total = 1;
        break;
    }
    long i = offset, emitted = 0;
    for (; i < total && (limit <= 0 || emitted < limit); i++) {
        json_t *o = NULL;
        char ns[48] = "";
        switch (kind) {
        case K_NODES:
            o = node_json(s, &w, (int)i);
            break;
        case K_PODS:
            o = pod_json(s, &w, i, ns);
            break;
        case K_NS:
            o = namespace_json(s, s->ns[i].name, w.rv, (int)i);
            snprintf(ns, sizeof ns, "%s", s->ns[i].name);
            if (only_ns) {
                ns[0] = '\0';
            }
            break;
        case K_QUOTA:
            if (s->ns[i].has_quota) {
                o = quota_json(s, &s->ns[i], w.rv, (int)i);
            }
            snprintf(ns, sizeof ns, "%s", s->ns[i].name);
            break;
        case K_LIMIT:
            o = limitrange_json(s, w.rv);
            snprintf(ns, sizeof ns, "coder-workspaces");
            break;
        }
        if (!o) {
            continue;
        }
        if ((only_ns && strcmp(ns, only_ns) != 0) || !match_label(o, lsel) ||
            !match_field(o, fsel)) {
            json_decref(o);
            continue;
        }
        json_array_append_new(items, o);
        emitted++;
    }
    pthread_mutex_unlock(&s->mu);
    json_t *md = json_object();
    char rvs[24];
    snprintf(rvs, sizeof rvs, "%ld", w.rv);
    json_object_set_new(md, "resourceVersion", qs(rvs));
    if (i < total) {
        char raw[256], enc[400];
        snprintf(raw, sizeof raw,
                 "{\"v\":\"meta.k8s.io/v1\",\"rv\":%ld,\"start\":\"%ld\",\"g\":%d,\"t\":%.3f,"
                 "\"w\":[%ld,%d,%d,%d]}",
                 w.rv, i, gen, real, w.n_ws, w.n_rep, w.n_prov, w.n_nodes);
        b64enc(raw, enc, sizeof enc);
        json_object_set_new(md, "continue", qs(enc));
        if (!lsel && !fsel && !only_ns) {
            json_object_set_new(md, "remainingItemCount", json_integer(total - i));
        }
    }
    json_t *out = json_object();
    json_object_set_new(out, "kind", qs(kinds[kind]));
    json_object_set_new(out, "apiVersion", qs("v1"));
    json_object_set_new(out, "metadata", md);
    json_object_set_new(out, "items", items);
    sim_reply_json(r, 200, out);
}

static void endpoints(struct sim *s, struct sim_reply *r, bool slices)
{
    json_t *out;
    pthread_mutex_lock(&s->mu);
    if (!slices) {
        json_t *subsets = json_array();
        for (int i = 0; i < s->n_replicas; i++) {
            if (!s->rep[i].present) {
                continue;
            }
            json_array_append_new(
                subsets,
                json_pack("{s:[{s:s,s:s,s:{s:s,s:s,s:s}}],s:[{s:s,s:i,s:s}]}", "addresses", "ip",
                          s->rep[i].ip, "nodeName", "gke-coder-pool-system-0000", "targetRef",
                          "kind", "Pod", "name", s->rep[i].hostname, "namespace", "coder", "ports",
                          "name", "prometheus-http", "port", s->rep[i].port, "protocol", "TCP"));
        }
        out = json_object();
        json_object_set_new(out, "kind", qs("Endpoints"));
        json_object_set_new(out, "apiVersion", qs("v1"));
        json_object_set_new(out, "metadata",
                            meta("coder", "coder", 100000, s->o.start_epoch - 86400, 4242));
        json_object_set_new(out, "subsets", subsets);
    } else {
        json_t *items = json_array();
        for (int i = 0; i < s->n_replicas; i++) {
            if (!s->rep[i].present) {
                continue;
            }
            char name[64];
            snprintf(name, sizeof name, "coder-%c%c%c%c%c", 'a' + i, 'k', 'q', '7', 'x');
            json_t *m =
                meta(name, "coder", 100000 + i, s->o.start_epoch - 86400, 4300u + (unsigned)i);
            json_object_set_new(m, "labels",
                                json_pack("{s:s}", "kubernetes.io/service-name", "coder"));
            json_array_append_new(
                items, json_pack("{s:o,s:s,s:[{s:[s],s:{s:b},s:{s:s,s:s,s:s}}],s:[{s:s,s:i,s:s}]}",
                                 "metadata", m, "addressType", "IPv4", "endpoints", "addresses",
                                 s->rep[i].ip, "conditions", "ready", 1, "targetRef", "kind", "Pod",
                                 "name", s->rep[i].hostname, "namespace", "coder", "ports", "name",
                                 "prometheus-http", "port", s->rep[i].port, "protocol", "TCP"));
        }
        out = json_object();
        json_object_set_new(out, "kind", qs("EndpointSliceList"));
        json_object_set_new(out, "apiVersion", qs("discovery.k8s.io/v1"));
        json_object_set_new(out, "metadata", json_pack("{s:s}", "resourceVersion", "100000"));
        json_object_set_new(out, "items", items);
    }
    pthread_mutex_unlock(&s->mu);
    sim_reply_json(r, 200, out);
}

/* Per-node sums over every pod of world w. */
struct nodesum {
    long long cpu_m, mem_b, use_n, use_ki;
    long long ws_cpu_m, ws_mem_b, ws_use_n, ws_use_ki;
    long ws, pods;
    int role[5];
};

static struct nodesum *node_sums(struct sim *s, const struct world *w)
{
    struct nodesum *ns = calloc((size_t)w->n_nodes, sizeof *ns);
    if (!ns) {
        abort();
    }
    long total = pods_total(w);
    for (long i = 0; i < total; i++) {
        struct simpod p;
        pod_info(s, w, i, &p);
        if (p.node < 0 || p.node >= w->n_nodes) {
            continue;
        }
        struct nodesum *n = &ns[p.node];
        n->pods++;
        n->cpu_m += p.cpu_m;
        n->mem_b += p.mem_b;
        n->use_n += p.use_n;
        n->use_ki += p.use_ki;
        n->role[p.role]++;
        if (p.role == ROLE_WS) {
            n->ws++;
            n->ws_cpu_m += p.cpu_m;
            n->ws_mem_b += p.mem_b;
            n->ws_use_n += p.use_n;
            n->ws_use_ki += p.use_ki;
        }
    }
    for (int i = 0; i < w->n_nodes; i++) {
        ns[i].use_n += SYS_USE_N;
        ns[i].use_ki += SYS_USE_KI;
    }
    return ns;
}

json_t *sim_k8s_nodes_truth(struct sim *s)
{
    struct world w;
    world_get(s, &w);
    struct nodesum *ns = node_sums(s, &w);
    bool m = !s->o.no_metrics_api;
    json_t *a = json_array();
    for (int i = 0; i < w.n_nodes; i++) {
        char name[48];
        node_name(i, name);
        const struct nodesum *n = &ns[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", qs(name));
        json_object_set_new(o, "schedulable", json_boolean(!(i == w.n_nodes - 1 && w.n_nodes > 4)));
        json_object_set_new(o, "workspaces", json_integer(n->ws));
        json_object_set_new(o, "pods", json_integer(n->pods));
        json_object_set_new(o, "cpu_allocatable_cores", json_real(NODE_CPU_M / 1000.0));
        json_object_set_new(o, "memory_allocatable_bytes",
                            json_integer((json_int_t)NODE_MEM_KI * 1024));
        json_object_set_new(o, "cpu_requested_cores", json_real(n->cpu_m / 1000.0));
        json_object_set_new(o, "memory_requested_bytes", json_integer(n->mem_b));
        json_object_set_new(o, "workspace_cpu_requested_cores", json_real(n->ws_cpu_m / 1000.0));
        json_object_set_new(o, "workspace_memory_requested_bytes", json_integer(n->ws_mem_b));
        json_object_set_new(o, "cpu_usage_cores", m ? json_real(n->use_n / 1e9) : json_null());
        json_object_set_new(o, "memory_usage_bytes",
                            m ? json_integer(n->use_ki * 1024) : json_null());
        json_object_set_new(o, "workspace_cpu_usage_cores",
                            m ? json_real(n->ws_use_n / 1e9) : json_null());
        json_object_set_new(o, "workspace_memory_usage_bytes",
                            m ? json_integer(n->ws_use_ki * 1024) : json_null());
        json_object_set_new(o, "coderd", json_integer(n->role[ROLE_CODERD]));
        json_object_set_new(o, "postgres", json_integer(n->role[ROLE_PG]));
        json_object_set_new(o, "proxies", json_integer(0));
        json_object_set_new(o, "provisioners", json_integer(n->role[ROLE_PROV]));
        json_array_append_new(a, o);
    }
    free(ns);
    return a;
}

static json_t *usage_json(long long n, long long ki)
{
    char c[32], m[32];
    snprintf(c, sizeof c, "%lldn", n);
    snprintf(m, sizeof m, "%lldKi", ki);
    return json_pack("{s:s,s:s}", "cpu", c, "memory", m);
}

/* metrics.k8s.io NodeMetricsList / PodMetricsList, as metrics-server serves
 * them: every item at once (no pagination), usage in nanocores and KiB. */
static void metrics_list(struct sim *s, struct sim_req *q, struct sim_reply *r, bool pods,
                         const char *only_ns)
{
    const char *lsel = sim_arg(q, "labelSelector");
    char ts[40];
    json_t *items = json_array();
    pthread_mutex_lock(&s->mu);
    struct world w;
    world_get(s, &w);
    sim_time_fmt(w.now - 15, ts);
    ts[19] = 'Z';
    ts[20] = '\0';
    if (!pods) {
        struct nodesum *ns = node_sums(s, &w);
        for (int i = 0; i < w.n_nodes; i++) {
            char name[48];
            node_name(i, name);
            json_t *o = json_object();
            json_object_set_new(o, "metadata",
                                json_pack("{s:s,s:s,s:{s:s}}", "name", name, "creationTimestamp",
                                          ts, "labels", "kubernetes.io/hostname", name));
            json_object_set_new(o, "timestamp", qs(ts));
            json_object_set_new(o, "window", qs("20.029s"));
            json_object_set_new(o, "usage", usage_json(ns[i].use_n, ns[i].use_ki));
            if (match_label(o, lsel)) {
                json_array_append_new(items, o);
            } else {
                json_decref(o);
            }
        }
        free(ns);
    } else {
        long total = pods_total(&w);
        for (long i = 0; i < total; i++) {
            struct simpod p;
            pod_info(s, &w, i, &p);
            if (only_ns && strcmp(p.ns, only_ns) != 0) {
                continue;
            }
            json_t *o = json_object();
            json_t *m = json_pack("{s:s,s:s,s:s}", "name", p.name, "namespace", p.ns,
                                  "creationTimestamp", ts);
            json_object_set_new(m, "labels", pod_labels(&p, NULL));
            json_object_set_new(o, "metadata", m);
            if (!match_label(o, lsel)) {
                json_decref(o);
                continue;
            }
            json_object_set_new(o, "timestamp", qs(ts));
            json_object_set_new(o, "window", qs("18.112s"));
            json_object_set_new(o, "containers",
                                json_pack("[{s:s,s:o}]", "name", p.container, "usage",
                                          usage_json(p.use_n, p.use_ki)));
            json_array_append_new(items, o);
        }
    }
    pthread_mutex_unlock(&s->mu);
    json_t *out = json_object();
    json_object_set_new(out, "kind", qs(pods ? "PodMetricsList" : "NodeMetricsList"));
    json_object_set_new(out, "apiVersion", qs("metrics.k8s.io/v1beta1"));
    json_object_set_new(out, "metadata", json_object());
    json_object_set_new(out, "items", items);
    sim_reply_json(r, 200, out);
}

void sim_k8s_handle(struct sim *s, struct sim_req *q, struct sim_reply *r)
{
    const char *auth = MHD_lookup_connection_value(q->c, MHD_HEADER_KIND, "Authorization");
    if (!auth || strncmp(auth, "Bearer ", 7) != 0 || strcmp(auth + 7, s->o.k8s_token) != 0) {
        status_err(r, 401, "Unauthorized", "Unauthorized");
        return;
    }
    if (strcmp(q->method, "GET") != 0) {
        status_err(r, 405, "MethodNotAllowed", "the server does not allow this method");
        return;
    }
    char buf[256], *seg[8];
    snprintf(buf, sizeof buf, "%s", q->url);
    int n = 0;
    for (char *sv = NULL, *t = strtok_r(buf, "/", &sv); t && n < 8; t = strtok_r(NULL, "/", &sv)) {
        seg[n++] = t;
    }
    if (n >= 2 && strcmp(seg[0], "api") == 0 && strcmp(seg[1], "v1") == 0) {
        if (n == 3) {
            if (strcmp(seg[2], "nodes") == 0) {
                list(s, q, r, K_NODES, NULL);
                return;
            }
            if (strcmp(seg[2], "pods") == 0) {
                list(s, q, r, K_PODS, NULL);
                return;
            }
            if (strcmp(seg[2], "namespaces") == 0) {
                list(s, q, r, K_NS, NULL);
                return;
            }
            if (strcmp(seg[2], "resourcequotas") == 0) {
                list(s, q, r, K_QUOTA, NULL);
                return;
            }
            if (strcmp(seg[2], "limitranges") == 0) {
                list(s, q, r, K_LIMIT, NULL);
                return;
            }
        }
        if (n == 5 && strcmp(seg[2], "namespaces") == 0) {
            const char *ns = seg[3];
            if (strcmp(seg[4], "pods") == 0) {
                list(s, q, r, K_PODS, ns);
                return;
            }
            if (strcmp(seg[4], "resourcequotas") == 0) {
                list(s, q, r, K_QUOTA, ns);
                return;
            }
            if (strcmp(seg[4], "limitranges") == 0) {
                list(s, q, r, K_LIMIT, ns);
                return;
            }
            if (strcmp(seg[4], "endpoints") == 0 && strcmp(ns, "coder") == 0) {
                endpoints(s, r, false);
                return;
            }
        }
        if (n == 6 && strcmp(seg[2], "namespaces") == 0 && strcmp(seg[4], "endpoints") == 0 &&
            strcmp(seg[3], "coder") == 0 && strcmp(seg[5], "coder") == 0) {
            endpoints(s, r, false);
            return;
        }
    }
    if (n >= 4 && strcmp(seg[0], "apis") == 0 && strcmp(seg[1], "metrics.k8s.io") == 0 &&
        strcmp(seg[2], "v1beta1") == 0 && !s->o.no_metrics_api) {
        if (n == 4 && (strcmp(seg[3], "nodes") == 0 || strcmp(seg[3], "pods") == 0)) {
            metrics_list(s, q, r, strcmp(seg[3], "pods") == 0, NULL);
            return;
        }
        if (n == 6 && strcmp(seg[3], "namespaces") == 0 && strcmp(seg[5], "pods") == 0) {
            metrics_list(s, q, r, true, seg[4]);
            return;
        }
    }
    if (n == 6 && strcmp(seg[0], "apis") == 0 && strcmp(seg[1], "discovery.k8s.io") == 0 &&
        strcmp(seg[3], "namespaces") == 0 && strcmp(seg[4], "coder") == 0 &&
        strcmp(seg[5], "endpointslices") == 0) {
        endpoints(s, r, true);
        return;
    }
    status_err(r, 404, "NotFound", "the server could not find the requested resource");
}

json_t *sim_k8s_cluster_truth(struct sim *s)
{
    struct world w;
    world_get(s, &w);
    /* replicas, the PostgreSQL pod, provisioners, coredns; workspaces below */
    double cpu_req = w.n_rep * 4.0 + 2.0 + w.n_prov * 1.0 + 0.2, mem_req = 0;
    mem_req =
        w.n_rep * 12.0 * 1073741824.0 + 8.0 * 1073741824.0 + w.n_prov * 1e9 + 2 * 70.0 * 1048576;
    for (int k = 0; k < 4; k++) {
        long cnt = w.n_ws / 4 + (k < w.n_ws % 4 ? 1 : 0);
        cpu_req += cnt * ws_cpu_m[k] / 1000.0;
        mem_req += (double)cnt * (double)(ws_mem_gi[k] << 30);
    }
    /* Headroom counts the nodes that can take new pods: the cordoned (and
     * drained) last node is left out, as scaletop leaves it out. */
    int schedulable = w.n_nodes > 4 ? w.n_nodes - 1 : w.n_nodes;
    json_t *c = json_object();
    json_object_set_new(c, "nodes", json_integer(schedulable));
    json_object_set_new(c, "nodes_total", json_integer(w.n_nodes));
    json_object_set_new(c, "cpu_allocatable_cores", json_real(schedulable * NODE_CPU_M / 1000.0));
    json_object_set_new(c, "cpu_requested_cores", json_real(cpu_req));
    json_object_set_new(c, "memory_allocatable_bytes",
                        json_integer((json_int_t)schedulable * NODE_MEM_KI * 1024));
    json_object_set_new(c, "memory_requested_bytes", json_integer((json_int_t)llround(mem_req)));
    json_object_set_new(c, "pods_allocatable", json_integer((json_int_t)schedulable * NODE_PODS));
    json_object_set_new(c, "pods", json_integer(pods_total(&w)));
    return c;
}
