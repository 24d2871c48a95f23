/*
 * The snapshot: everything scaletop knows about a deployment at one moment.
 * Pollers build one, publish it, and never touch it again; readers (panes,
 * writers, the advisor, the store) share it by reference. Replay rebuilds the
 * same structure from history, so nothing downstream can tell the two apart.
 *
 * Conventions: a number that is unknown is NAN (JSON null), never a sentinel;
 * times are Unix seconds (double); strings are owned by the snapshot's arena,
 * are valid UTF-8 with control characters removed (text_clean), and NULL means
 * absent. Tri-state booleans use enum tri.
 */
#ifndef SCALETOP_SNAPSHOT_H
#define SCALETOP_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

enum tri { TRI_UNKNOWN = 0, TRI_FALSE, TRI_TRUE };

enum source_status {
    SOURCE_NEVER = 0, /* configured, no answer yet */
    SOURCE_OK,
    SOURCE_STALE,    /* last poll failed, or data older than expected */
    SOURCE_ERROR,    /* failing, no usable data */
    SOURCE_DISABLED, /* not configured, or needs a licence / permission */
};

/* Why a source is not OK, beyond the status: lets panes say the truth. */
enum source_reason {
    REASON_NONE = 0,
    REASON_NOT_CONFIGURED, /* hint says how to enable it */
    REASON_NO_PERMISSION,  /* 403/404 for the token's role */
    REASON_NEEDS_PREMIUM,  /* feature not licensed */
    REASON_UNAUTHORIZED,   /* 401: token missing or expired */
    REASON_RATE_LIMITED,
    REASON_TIMEOUT,
    REASON_UNREACHABLE,
    REASON_BAD_RESPONSE, /* malformed body, wrong type, over the cap */
    REASON_SERVER_ERROR, /* 5xx */
};

struct source_state {
    const char *name; /* "coder-api", "metrics HOST:PORT", "postgres", "kubernetes", ... */
    const char *kind; /* "coder", "metrics", "provisioner-metrics", "postgres", "kubernetes",
                         "proxy-health", "prometheus" */
    enum source_status status;
    enum source_reason reason;
    double last_ok;    /* NAN if never */
    double latency_ms; /* last poll, NAN if none */
    const char *error; /* last error text, NULL if none */
    const char *hint;  /* for DISABLED: what would enable it */
};

struct tag {
    const char *key;
    const char *value;
};

/* A provisioner tag set, sorted by key. */
struct tagset {
    struct tag *tags;
    size_t n;
};

struct deployment {
    const char *coder_url; /* never carries a token */
    const char *version;   /* X-Coder-Build-Version or buildinfo */
    const char *dashboard_url;
    const char *deployment_id;
    enum tri premium; /* licensed features present */
    double users_total, users_active;
    double workspaces_total, workspaces_running, workspaces_failed;
    const char *health_severity; /* "ok"|"warning"|"error", NULL if unknown */
    const char **health_codes;   /* e.g. "EDB01", "EDERP01" */
    size_t nhealth_codes;
    enum tri builtin_provisioners; /* daemons running inside coderd */
    enum tri db_metrics_collected; /* CODER_PROMETHEUS_COLLECT_DB_METRICS seen */
    enum tri agent_stats_full;     /* per-agent series at full cardinality */
    double agent_stats_series;     /* number of per-agent series seen */
    double builds_failed_per_h;    /* from coderd_workspace_builds_total */
    double builds_total_per_h;
    /* Across all coderd metrics targets (buckets summed by le, rates summed). */
    double api_p50_ms, api_p95_ms, api_p99_ms;
    double requests_per_s;
    double db_query_p95_ms;
    double queue_wait_p95_s; /* coderd_provisioner_job_queue_wait_seconds */
    double build_p95_s;      /* coderd_provisionerd_job_timings_seconds, all targets */
    /* DERP and STUN from the health report's derp section: FALSE when it
     * carries EDERP* (relays degraded) or ESTUN* (clients cannot learn their
     * public address, so they cannot go direct) warnings. */
    enum tri derp_healthy, stun_healthy;
    /* Relay load summed over every coderd replica and proxy that reports it. */
    double derp_clients, derp_bytes_per_s;
};

struct server {
    const char *id; /* replica id; NULL for a metrics target matching no replica */
    const char *hostname;
    const char *relay_address;
    const char *version;
    double region_id;
    const char *error; /* replica's own error text, NULL if none */
    double started_at;
    double updated_at;
    const char *metrics_target; /* host:port scraped, NULL if none */
    double db_latency_ms;       /* replica's database_latency (µs in the API) */
    double api_p50_ms, api_p95_ms, api_p99_ms;
    double requests_per_s;
    double concurrent_requests;
    double db_query_p95_ms;
    double cpu_cores;           /* used: rate of process_cpu_seconds_total */
    double cpu_cores_available; /* limit or host cores, NAN if unknown */
    double rss_bytes;
    double memory_available_bytes;
    double open_fds, max_fds;
    double goroutines;
    double derp_clients, derp_bytes_per_s;
    /* The replica's embedded DERP relay: connections (clients plus mesh
     * peers), packets forwarded to/from mesh peers and dropped, per second;
     * derp_source is "metrics" or "expvar" (older builds), NULL if unknown. */
    double derp_connections, derp_packets_forwarded_per_s, derp_packets_dropped_per_s;
    const char *derp_source;
};

enum daemon_status { DAEMON_UNKNOWN = 0, DAEMON_IDLE, DAEMON_BUSY, DAEMON_OFFLINE };

struct daemon {
    const char *id;
    const char *name;
    const char *organization;
    struct tagset tags;
    enum daemon_status status;
    const char *status_raw; /* as the API said it; kept for unknown values */
    const char *version;
    const char *api_version;
    const char *current_job; /* job id or NULL */
    double created_at, last_seen_at;
    bool builtin;                    /* runs inside coderd */
    const char *previous_job;        /* the last job it ran, NULL if none or not reported */
    const char *previous_job_status; /* that job's status as the API said it */
};

struct queue {
    const char *organization;
    struct tagset tags;
    double pending, running;
    double daemons; /* online daemons that can take this tag set */
    double idle;
    double offline;
    double oldest_pending_s; /* NAN when nothing pending */
    double wait_p95_s, build_p95_s;
    /* Sizing (backend/provsize.h, docs/provisioners.md), NAN when unknown
     * ("not enough history"): queue wait p95 over the last hour and day,
     * peak running builds, the arrival rate, mean build time and offered
     * load over the last hour, the seconds of it actually observed, and
     * the daemons that would keep the p95 wait under the target. */
    double wait_p95_1h_s, wait_p95_1d_s;
    double peak_running_1h, peak_running_1d;
    double arrivals_per_s, build_mean_s, load;
    double sizing_window_s;
    double daemons_needed;
};

struct job {
    const char *id;
    const char *organization;
    struct tagset tags;
    const char *status; /* pending, running, ... */
    const char *type;
    double created_at, started_at;
    double age_s;
    double queue_position;
    const char *worker_id;
    const char *reason; /* for unrunnable jobs: "no_matching_daemon" | "matching_daemons_offline" */
};

/* A daemon seen busy that went offline or vanished by the next poll. */
struct stopped_daemon {
    const char *id;
    const char *name;
    const char *organization;
    struct tagset tags;
    const char *job;        /* the job it was running */
    const char *job_status; /* that job: "running"/"pending" if still listed, else what the
                               daemon's previous_job says ("failed", "canceled"), else NULL */
    const char *how;        /* "offline" | "gone" */
    double detected_at;     /* snapshot time of the poll that saw it */
    double last_seen_at;
};

struct provisioners {
    struct daemon *daemons;
    size_t ndaemons;
    struct queue *queues;
    size_t nqueues;
    struct job *jobs; /* pending and running, capped */
    size_t njobs;
    struct job *unrunnable;
    size_t nunrunnable;
    struct stopped_daemon *stopped; /* stopped mid-build within the last hour */
    size_t nstopped;
};

struct pg_replication {
    const char *name;
    const char *state;
    double replay_lag_s;
    double lag_bytes;
};

struct pg_lock_wait {
    double pid;
    double blocked_by; /* first blocker pid */
    double wait_s;
    const char *query; /* truncated, cleaned */
};

struct postgres {
    enum tri up;
    const char *version;
    double server_version_num;
    enum tri in_recovery;
    enum tri stats_visible; /* pg_read_all_stats / pg_monitor granted */
    double rtt_ms;
    struct {
        double used, max, active, idle, idle_in_transaction, waiting;
    } connections;
    double tps;
    double cache_hit_ratio;
    double deadlocks_per_s;
    double temp_bytes_per_s;
    double oldest_xact_s, oldest_query_s;
    double notify_queue_usage; /* 0..1 */
    double db_size_bytes;
    double xid_age; /* wraparound: age(datfrozenxid) max */
    double checkpoints_req_ratio;
    struct pg_replication *replication;
    size_t nreplication;
    struct pg_lock_wait *lock_waits;
    size_t nlock_waits;
};

enum proxy_status {
    PROXY_UNKNOWN = 0,
    PROXY_OK,
    PROXY_UNREACHABLE,
    PROXY_UNHEALTHY,
    PROXY_UNREGISTERED,
};

struct proxy {
    const char *id;
    const char *name;
    const char *display_name;
    const char *url;
    const char *wildcard_hostname;
    enum proxy_status status;
    const char *status_raw;
    enum tri healthy;
    const char *version;
    double rtt_ms; /* /healthz from the bastion */
    enum tri derp_enabled, derp_only;
    const char **errors;
    size_t nerrors;
    const char **warnings;
    size_t nwarnings;
    double updated_at;
    bool primary; /* the coderd itself (regions list) */
    /* The proxy's embedded DERP relay, from its own /metrics (--proxy-metrics). */
    const char *metrics_target;
    double derp_clients, derp_connections, derp_bytes_per_s;
    double derp_packets_forwarded_per_s, derp_packets_dropped_per_s;
};

struct quantity_pair {
    const char *resource; /* "cpu", "requests.memory", "pods", ... */
    double used, hard;    /* base units: cores, bytes, counts */
};

struct namespace_quota {
    const char *name;
    struct quantity_pair *resources;
    size_t nresources;
    /* TRI_TRUE when a LimitRange in the namespace gives containers default
     * requests/limits; without one, a quota on requests.* or limits.* rejects
     * pods that set none. TRI_UNKNOWN when limit ranges were not listed. */
    enum tri limitrange_defaults;
};

struct coder_quota {
    const char *user;
    const char *organization;
    double credits_consumed, budget;
};

struct soft_limit {
    const char *name; /* from the config, e.g. "aws vCPU" */
    double used, limit;
};

/* One node's load (the guide's "Workspaces per node"): how many workspaces
 * are packed on it, their share of what it offers and of what it uses, and
 * the Coder control-plane pods beside them. Requests count non-terminal pods
 * bound to the node; usage comes from the metrics API (NAN without it). */
struct node_load {
    const char *name;
    enum tri ready;       /* condition Ready=True */
    enum tri schedulable; /* not cordoned */
    double workspaces;    /* workspace pods bound to the node */
    double pods;          /* every non-terminal pod bound to it */
    double cpu_allocatable_cores, memory_allocatable_bytes;
    double cpu_requested_cores, memory_requested_bytes; /* every pod */
    double workspace_cpu_requested_cores, workspace_memory_requested_bytes;
    double cpu_usage_cores, memory_usage_bytes; /* the node's, from metrics.k8s.io */
    double workspace_cpu_usage_cores, workspace_memory_usage_bytes;
    /* Control-plane pods on the node, by kind (label selectors of the config). */
    double coderd, postgres, proxies, provisioners;
};

struct capacity {
    struct {
        double cpu_allocatable_cores, cpu_requested_cores;
        double memory_allocatable_bytes, memory_requested_bytes;
        double pods_allocatable, pods;
        double nodes;
        /* Pending pods the scheduler could not place (PodScheduled=False,
         * reason Unschedulable): the early sign of builds about to fail. */
        double pods_unschedulable;
    } cluster;
    struct namespace_quota *namespaces;
    size_t nnamespaces;
    struct coder_quota *coder_quota;
    size_t ncoder_quota;
    struct soft_limit *soft_limits;
    size_t nsoft_limits;
    /* Per node, most loaded first (workspace CPU share of allocatable). */
    struct node_load *nodes;
    size_t nnodes;
    enum tri metrics_api; /* metrics.k8s.io answered; TRI_FALSE: absent (404) or refused */
};

enum severity { SEV_OK = 0, SEV_INFO, SEV_WARN, SEV_CRIT };

struct finding {
    const char *rule;
    enum severity severity;
    const char *entity;
    const char *message;
    const char *evidence;
    double since; /* when it began, NAN if unknown */
};

struct event {
    double time;
    const char *kind;
    const char *entity;
    const char *message;
};

/* Cost control (the guide's "Cost control"): one group's Coder quota
 * pool. Coder budgets are per user (the sum of quota_allowance over the
 * user's groups); a group's pool is its allowance times its members, and
 * its consumption is the daily_cost of the running workspaces its members
 * own (the Everyone group, whose id is the organization's: all of them). */
struct cost_group {
    const char *organization;
    const char *name;
    double members;           /* total_member_count */
    double allowance_credits; /* quota_allowance, per member */
    double budget_credits;    /* allowance x members */
    double consumed_credits;  /* daily_cost of the members' running workspaces */
};

/* Running workspaces as seen by the slow, filtered, paginated list
 * (q=status:running), carried between lists; listed_at says how old. */
struct cost {
    double listed_at;          /* when the running list was read; NAN never */
    double workspaces_running; /* in that list */
    double running_off_peak;   /* of those, running during the last off-peak hours */
    double without_autostop;   /* of those, with no deadline and no TTL */
    double daily_cost_credits; /* sum of latest_build.daily_cost of those */
    double groups_at;          /* when the groups were read; NAN never */
    struct cost_group *groups;
    size_t ngroups;
};

struct snapshot {
    int refs; /* atomic; use snapshot_ref/unref */
    double time;
    bool replay;
    struct arena *arena;

    struct source_state *sources;
    size_t nsources;
    struct deployment deployment;
    struct server *servers;
    size_t nservers;
    struct provisioners provisioners;
    struct postgres postgres;
    struct proxy *proxies;
    size_t nproxies;
    struct capacity capacity;
    struct finding *findings;
    size_t nfindings;
    struct event *events;
    size_t nevents;

    /* growth capacities of the arrays above (builders only) */
    size_t cap_sources, cap_servers, cap_daemons, cap_queues, cap_jobs, cap_unrunnable, cap_proxies,
        cap_namespaces, cap_coder_quota, cap_soft_limits, cap_findings, cap_events, cap_replication,
        cap_lock_waits;
    size_t cap_node_loads;
    size_t cap_stopped;

    struct cost cost;
    size_t cap_cost_groups;
};

/* A new, empty snapshot at `time` with every number unknown; refcount 1.
 * Any thread; never fails (aborts on OOM). */
struct snapshot *snapshot_new(double time);

/* Takes another reference; any thread. Returns s. */
struct snapshot *snapshot_ref(struct snapshot *s);

/* Drops a reference, freeing everything at zero; NULL is allowed. */
void snapshot_unref(struct snapshot *s);

/* Copies a string into the snapshot's arena after text_clean(); NULL stays NULL. */
const char *snapshot_str(struct snapshot *s, const char *str);
/* Same for a string of known length (need not be NUL-terminated). */
const char *snapshot_strn(struct snapshot *s, const char *str, size_t len);
/* Zeroed memory owned by the snapshot; lives until the snapshot is freed. */
void *snapshot_alloc(struct snapshot *s, size_t size);

/* Appenders: return a new zeroed element with numbers set to NAN; the pointer
 * is valid until the next append to the same array. Builders only. */
struct source_state *snapshot_add_source(struct snapshot *s, const char *name, const char *kind);
struct server *snapshot_add_server(struct snapshot *s);
struct daemon *snapshot_add_daemon(struct snapshot *s);
struct queue *snapshot_add_queue(struct snapshot *s);
struct job *snapshot_add_job(struct snapshot *s);
struct job *snapshot_add_unrunnable(struct snapshot *s);
struct proxy *snapshot_add_proxy(struct snapshot *s);
struct namespace_quota *snapshot_add_namespace(struct snapshot *s);
struct coder_quota *snapshot_add_coder_quota(struct snapshot *s);
struct soft_limit *snapshot_add_soft_limit(struct snapshot *s);
struct finding *snapshot_add_finding(struct snapshot *s);
struct event *snapshot_add_event(struct snapshot *s);
struct pg_replication *snapshot_add_pg_replication(struct snapshot *s);
struct pg_lock_wait *snapshot_add_pg_lock_wait(struct snapshot *s);
struct node_load *snapshot_add_node_load(struct snapshot *s);
struct stopped_daemon *snapshot_add_stopped_daemon(struct snapshot *s);
struct cost_group *snapshot_add_cost_group(struct snapshot *s);

/* Finds a source by name; NULL if absent. */
struct source_state *snapshot_find_source(const struct snapshot *s, const char *name);

/* Copies a tag set into the snapshot, sorted by key. */
struct tagset snapshot_tagset(struct snapshot *s, const struct tag *tags, size_t n);

/* Writes a tag set as "k=v" pairs joined by sep (keys in order), or `empty`
 * for no tags; returns buf. The one formatting of tags for screens, reports
 * and series names. */
const char *tagset_format(char *buf, size_t n, const struct tagset *ts, const char *sep,
                          const char *empty);

/* Names for enums, as they appear in the JSON contract. */
const char *source_status_name(enum source_status st);
const char *daemon_status_name(enum daemon_status st);
const char *proxy_status_name(enum proxy_status st);
const char *severity_name(enum severity sev);
const char *tri_name(enum tri t); /* "true", "false", "null" */

#endif
