/*
 * scaletop-sim internals: the simulated Coder deployment shared by the sim's
 * modules (model, HTTP plumbing, Coder API, metrics, Kubernetes, control).
 *
 * One struct sim holds everything. Its mutable state is guarded by sim->mu;
 * HTTP handlers run on libmicrohttpd connection threads and take the lock only
 * while they read the model or render a body into their own buffer. The tick
 * thread advances the simulated clock and the model and re-renders the cached
 * metrics bodies.
 */
#ifndef SCALETOP_SIM_H
#define SCALETOP_SIM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#define SIM_MAX_REPLICAS   16
#define SIM_MAX_PROXIES    8
#define SIM_MAX_DEPLOY     4
#define SIM_MAX_NS         8
#define SIM_MAX_TAGS       4
#define SIM_MAX_TAGSETS    8
#define SIM_MAX_FAULTS     64
#define SIM_MAX_REQLOG     4096
#define SIM_MAX_LISTENERS  (SIM_MAX_REPLICAS + SIM_MAX_DEPLOY + SIM_MAX_PROXIES + 4)
#define SIM_ORGS           2
#define SIM_VERSION        "v2.38.5+3f0c1a7"
#define SIM_VERSION_OLD    "v2.37.2+9a41be0"
#define SIM_DEPLOYMENT_ID  "f2a6c1d4-8b3e-4c7a-9d25-6e0b1a7c3f48"
#define SIM_DEFAULT_ORG_ID "3e5a8c8b-7b6e-4d6a-9c53-2f0d6a1b9e11"

struct sim_buf {
    char *p;
    size_t len, cap;
};

/* A reference-counted immutable body shared by concurrent responses. */
struct sim_blob {
    int refs;
    size_t len;
    char data[];
};

struct sim_opts {
    char preset[8];
    uint64_t seed;
    char scenario[16];
    double speed;
    char manifest[512];
    char token[64];
    char member_token[64];
    char k8s_token[64];
    bool agent_stats, db_metrics, unlicensed, single_ip;
    int builtin_provisioners;
    int port_base;
    int rate_limit;
    double stats_delay_s;    /* deployment stats answer 400 this long after start */
    double health_compute_s; /* /debug/health is 404 this long into each 10 min window */
    double start_epoch;      /* sim time at start, unix seconds */
    bool no_metrics_api;     /* metrics.k8s.io absent: 404, as without metrics-server */
    bool colocate_coderd;    /* one coderd replica runs on the most crowded workspace node */
    bool packed_nodes;       /* the crowded workspace nodes are packed to 97 %, not 84 % */
    int derp_expvar_only;    /* the last N replicas expose DERP stats only via expvar */
    /* Cost control (tests/sim/sim_cost.c). */
    double off_peak_share;    /* running workspaces left on since before the last off-peak */
    double no_autostop_share; /* workspaces with no TTL and no deadline */
    int off_peak_start_h, off_peak_end_h; /* UTC hours [start, end) plus weekends */
    int gpu_cost;                         /* daily_cost of a gpu-users member's workspace */
    bool no_ws_drift;                     /* running count stays at the preset's */
    bool off_peak_weekdays_only;          /* weekends are not off-peak */
};

struct sim_tags {
    int n;
    char k[SIM_MAX_TAGS][24];
    char v[SIM_MAX_TAGS][24];
};

/* A latency histogram accumulated in doubles (cumulative per bucket). */
struct sim_hist {
    int nb;
    const double *le;
    double bucket[16];
    double count, sum;
};

/* One embedded DERP relay (a coderd replica's or a workspace proxy's): its
 * targets, set by the model, and its counters, advanced by sim_derp_step. */
struct sim_derp {
    double clients, clients_remote, conns;     /* gauges */
    double bytes_per_s, fwd_per_s, drop_per_s; /* targets */
    double accepts, bytes_rx, bytes_tx, pkts_rx, pkts_tx, fwd_in, fwd_out, dropped;
};

struct sim_replica {
    char id[40], hostname[64], ip[20];
    double created_at;
    bool present;
    int generation;
    double db_latency_ms, api_p50_ms, api_p95_ms, api_p99_ms;
    double req_per_s, cpu_cores;
    char error[256];
    /* accumulated counters */
    double requests, cpu_seconds, pubsub_msgs, db_queries;
    struct sim_hist api_hist, dbq_hist, tx_hist;
    int port;
    struct sim_blob *head; /* cached replica-specific part of /metrics */
    struct sim_derp derp;
    bool derp_expvar_only; /* an older build: DERP stats only in /api/v2/debug/expvar */
};

struct sim_daemon {
    char id[40], name[64], key_id[40], key_name[32], version[24], api_version[8];
    int org, deploy; /* deploy -1 = built-in */
    int tagset;
    bool online;
    double created_at, last_seen_at;
    long current_job, previous_job; /* index into jobs, -1 none */
};

enum sim_job_status { JOB_PENDING, JOB_RUNNING, JOB_SUCCEEDED, JOB_FAILED, JOB_CANCELED };

struct sim_job {
    char id[40], file_id[40], input_id[40], workspace_id[40], initiator[40];
    int org, tagset;
    int status;
    int daemon;     /* -1 */
    int transition; /* 0 start 1 stop 2 delete */
    bool import;    /* template_version_import */
    double created_at, started_at, completed_at, duration_s;
    int workspace; /* index used for names */
};

struct sim_tagset {
    int org;
    struct sim_tags tags;
    double arrival_per_s; /* base arrival rate */
    double build_s;       /* mean build duration */
    double carry;         /* fractional arrivals */
    bool from_start;      /* no arrivals before the scenario starts (undersized) */
};

/* A daemon stopped mid-build through the control API (POST /__sim/daemons/stop). */
struct sim_stopped {
    char daemon_id[40], name[64], job_id[40];
    double at;
};
#define SIM_MAX_STOPPED 16

struct sim_deploy {
    char name[48];
    int tagset;
    int port;
    double jobs_ok, jobs_failed, sum_ok, sum_failed;
    struct sim_hist job_hist_ok, job_hist_failed;
    double cpu_seconds;
    struct sim_blob *body;
};

struct sim_proxy {
    char id[40], name[32], display[48], icon[40], version[24];
    char status[16]; /* ok unreachable unhealthy unregistered */
    int slow_ms;     /* /healthz answers this late */
    int port;
    double created_at;
    struct sim_derp derp;
};

struct sim_ns {
    char name[48];
    bool has_quota;
    double cpu_hard, cpu_used, mem_hard, mem_used, pods_hard, pods_used;
    double lim_cpu_hard, lim_cpu_used;
};

struct sim_fault {
    int id;
    char listener[32]; /* "api", "k8s", "metrics:0", "prov:1", "proxy:sydney", "*" */
    char prefix[128];  /* path prefix, "" = all */
    char kind[16];     /* latency status truncate malformed huge hang */
    int status;
    int latency_ms;
    int max_hold_ms;
    long huge_bytes;
    int remaining; /* -1 unlimited */
};

struct sim_reqlog {
    double t;
    char listener[24];
    char method[8];
    char path[160];
    int status;
    char query[160]; /* decoded "k=v&k=v", in request order; "" if none */
};

struct sim_ratebucket {
    char key[96];
    time_t window;
    int count;
};

enum sim_kind { L_API, L_METRICS, L_PROV, L_PROXY, L_K8S };

struct sim_listener {
    struct sim *sim;
    enum sim_kind kind;
    int index;
    char name[32];
    char ip[20];
    int port;
    struct MHD_Daemon *d;
};

struct sim {
    struct sim_opts o;
    pthread_mutex_t mu;
    int stopping;      /* read and written with __atomic builtins */
    double real_start; /* monotonic seconds */
    double sim_now;    /* unix seconds, simulated */
    uint64_t rng;

    int n_replicas, n_proxies, n_deploy, n_tagsets, n_ns;
    struct sim_replica rep[SIM_MAX_REPLICAS];
    struct sim_proxy prox[SIM_MAX_PROXIES];
    struct sim_deploy dep[SIM_MAX_DEPLOY];
    struct sim_tagset ts[SIM_MAX_TAGSETS];
    struct sim_ns ns[SIM_MAX_NS];

    struct sim_daemon *daemons;
    int n_daemons;
    struct sim_job *jobs;
    long n_jobs, cap_jobs;

    long ws_minute;
    long workspaces_total, ws_running, ws_stopped, ws_failed, ws_pending, ws_starting;
    long users_active, users_dormant, users_suspended, license_limit;
    int unrunnable_tagset; /* tagset index with no daemon */
    long unrunnable_job;   /* -1 */
    char phase[256];

    /* shared per-workspace metrics part, identical on every replica */
    struct sim_blob *ws_body;
    double ws_body_at, ws_body_real;

    struct sim_fault faults[SIM_MAX_FAULTS];
    int n_faults, next_fault_id;
    struct sim_reqlog *reqlog;
    long reqlog_n;
    int k8s_generation;
    struct sim_ratebucket rb[256];

    int n_listeners;
    struct sim_listener lis[SIM_MAX_LISTENERS];

    /* Hostile text (control API /hostile): when set, the first replica's
     * hostname and error and the first proxy's display name carry it. */
    char hostile[8192];
    size_t hostile_len;

    /* Kubernetes placement of the workspace pods for one world (sim_k8s.c),
     * recomputed when the world's counts change; guarded by mu. */
    int *pl_node;
    long pl_cap, pl_nws;
    int pl_nodes, pl_prov, pl_rep;
    /* The network as the health report's DERP/STUN probes see it (control
     * API /network): STUN failing forces relaying (relay_factor applies). */
    bool stun_failing, derp_websocket;
    double relay_factor;
    struct sim_stopped stopped[SIM_MAX_STOPPED];
    int n_stopped;
};

/* Appends n bytes to b, growing it (aborts on out of memory). */
void sim_buf_add(struct sim_buf *b, const char *s, size_t n);
/* Appends printf-formatted text to b. */
void sim_buf_printf(struct sim_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends a NUL-terminated string to b. */
void sim_buf_puts(struct sim_buf *b, const char *s);
/* Moves b's bytes into a new blob with one reference; b is left empty. */
struct sim_blob *sim_blob_from_buf(struct sim_buf *b);
/* Takes one more reference (any thread); NULL passes through. */
struct sim_blob *sim_blob_ref(struct sim_blob *bl);
/* Drops one reference, freeing the blob with the last (any thread; NULL ok). */
void sim_blob_unref(struct sim_blob *bl);
/* Next value of the seeded generator in *s (splitmix64). */
uint64_t sim_rand(uint64_t *s);
/* A uniform double in [0, 1) from the generator in *s. */
double sim_randf(uint64_t *s);
/* A v4-looking UUID drawn from the generator in *s. */
void sim_uuid(uint64_t *s, char out[40]);
/* Formats unix seconds as RFC 3339 UTC with microseconds, Go style. */
void sim_time_fmt(double t, char out[40]);
/* Monotonic clock in seconds. */
double sim_mono(void);

/* Builds the deployment from s->o and runs an hour of warm-up history. */
void sim_model_init(struct sim *s);
/* Advances the model to simulated time `to` (caller holds s->mu). */
void sim_model_advance(struct sim *s, double to);
/* The simulated time that corresponds to now, given --speed. */
double sim_clock_now(struct sim *s);
/* Counts daemons able to take tag set ts; returns online + offline (holds s->mu). */
int sim_tagset_daemons(struct sim *s, int ts, int *online, int *idle, int *offline);
/* Empties h over the nb bucket bounds le (le must outlive h). */
void sim_hist_init(struct sim_hist *h, const double *le, int nb);
/* Adds n observations whose quantiles histogram_quantile() will give back. */
void sim_hist_observe_dist(struct sim_hist *h, double n, double p50, double p95, double p99);
/* The ProvisionerJobStatus string of a job status. */
const char *sim_job_status_name(int st);
/* The truth object (caller owns it; caller holds s->mu). */
json_t *sim_truth(struct sim *s);
/* Stops a daemon as SIGINT does (its job fails as canceled, the daemon goes
 * offline): the one named, or else the first busy external prod daemon.
 * Caller holds s->mu. Returns the daemon index, -1 if none is busy. */
int sim_stop_daemon(struct sim *s, const char *name);
/* Erlang C sizing: the fewest daemons keeping P(wait > target_s) <= 1 - q
 * for an M/M/c queue with arrival rate lambda and mean build build_s. */
int sim_daemons_needed(double lambda, double build_s, double target_s, double q);

/* Starts every listener; 0 on success, -1 if one cannot listen. */
int sim_http_start(struct sim *s);
/* Stops every listener, waiting for its connection threads. */
void sim_http_stop(struct sim *s);

/* handlers: each fills status, content type and body; caller holds no lock */
struct sim_reply {
    int status;
    const char *ctype;
    struct sim_buf body;
    struct sim_blob *blob;  /* alternative body, already referenced */
    struct sim_blob *blob2; /* appended after blob (shared metrics part) */
    char hdr[4][2][80];
    int n_hdr;
};
struct sim_req {
    const char *method, *url, *query_raw;
    struct MHD_Connection *c;
    const char *body;
    size_t body_len;
};
/* Sets a JSON reply, consuming the reference to j. */
void sim_reply_json(struct sim_reply *r, int status, json_t *j);
/* Sets a Coder error envelope {message[, detail]}. */
void sim_reply_error(struct sim_reply *r, int status, const char *msg, const char *detail);
/* Adds a response header (at most 4). */
void sim_reply_header(struct sim_reply *r, const char *k, const char *v);
/* A query parameter of the request, or NULL (borrowed from libmicrohttpd). */
const char *sim_arg(struct sim_req *q, const char *key);

/* Answers a Coder API request (connection thread; takes s->mu itself). */
void sim_coder_handle(struct sim *s, struct sim_req *q, struct sim_reply *r);
/* Answers a Kubernetes API request (connection thread). */
void sim_k8s_handle(struct sim *s, struct sim_req *q, struct sim_reply *r);
/* Cluster totals for the truth endpoint (caller holds sim->mu). */
json_t *sim_k8s_cluster_truth(struct sim *s);
/* Per-node load (workspaces, requests, usage, control-plane pods) for the
 * truth endpoint, in node order (caller holds sim->mu). */
json_t *sim_k8s_nodes_truth(struct sim *s);
/* Answers a /__sim/ control request (connection thread). */
void sim_control_handle(struct sim *s, struct sim_req *q, struct sim_reply *r);
/* The manifest object (URLs, tokens, preset); caller owns the reference. */
json_t *sim_manifest(struct sim *s);
/* Re-renders the cached /metrics bodies (tick thread). */
void sim_metrics_rebuild(struct sim *s, bool force);
/* Serves a cached body by reference; status 0 drops the connection. */
void sim_metrics_reply(struct sim *s, int kind, int index, struct sim_reply *r);
/* Answers a workspace proxy request (/healthz, /healthz-report, buildinfo). */
void sim_proxy_handle(struct sim *s, int index, struct sim_req *q, struct sim_reply *r);

/* Sets the DERP targets of every replica and proxy from the model (holds s->mu). */
void sim_derp_targets(struct sim *s);
/* Advances every DERP counter by dt simulated seconds (holds s->mu). */
void sim_derp_step(struct sim *s, double dt);
/* Appends the coder_derp_server_* families of d to b. */
void sim_derp_metrics(const struct sim_derp *d, struct sim_buf *b);
/* The expvar document of a replica's process, DERP under "derp" (holds s->mu). */
json_t *sim_derp_expvar(struct sim *s, const struct sim_derp *d);
/* The truth of one relay: the rates and gauges scaletop should report. */
json_t *sim_derp_truth(const struct sim_derp *d, const char *source);
/* The health report's derp section, patched to the network state (holds s->mu). */
void sim_derp_health(struct sim *s, json_t *derp_section);
/* Answers /__sim/network (GET the state, POST {stun_failing, derp_websocket, relay_factor}). */
void sim_derp_control(struct sim *s, struct sim_req *q, struct sim_reply *r);

/* Answers GET /api/v2/debug/expvar on replica `index`'s own address (the
 * pod's HTTP port in a real deployment; owner token required). */
void sim_derp_expvar_reply(struct sim *s, int index, struct sim_req *q, struct sim_reply *r);

/* JSON skeletons from the fixtures (sim_templates.c, generated). */
extern const char sim_tpl_workspace[];
extern const char sim_tpl_template[];
extern const char sim_tpl_health[];

/* Cost control: how many members the gpu-users group of the default org has
 * (users 1..SIM_GPU_MEMBERS). */
#define SIM_GPU_MEMBERS 4

/* Patches workspace i (its JSON w, a copy of the template) with its owner,
 * autostop settings, build start and daily cost, as of simulated time now
 * with `users` active users; running says whether it is listed as running.
 * Reads only s's immutable options: no lock needed. */
void sim_cost_workspace(const struct sim *s, double now, long users, long i, bool running,
                        json_t *w);
/* The cost section of /__sim/truth (caller holds s->mu). */
json_t *sim_cost_truth(struct sim *s);
/* The id of simulated user u (what /users and group members say). */
void sim_user_id(long u, char out[40]);

#endif
