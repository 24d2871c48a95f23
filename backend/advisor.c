/*
 * Advisor rules. Each rule reads the snapshot (and, for trends, the history)
 * and calls add() for every entity that breaks it. Rules are stateless; the
 * advisor's only state is the set of findings active at the previous
 * evaluation, from which `since` and the start/end events are derived.
 * Unknown numbers (NAN) never fire a rule: a rule fires on evidence only.
 */
#include "backend/advisor.h"

#include "backend/config.h"
#include "backend/xalloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T(field) offsetof(struct advisor_thresholds, field)

struct threshold_row {
    struct advisor_threshold_info info;
    size_t offset;
};

static const struct threshold_row thresholds[] = {
    {{"replicas_min", 3, "replicas", "fewer coderd replicas than this is a warning (availability)"},
     T(replicas_min)},
    {{"replicas_max", 10, "replicas", "more replicas than this: prefer vertical scaling"},
     T(replicas_max)},
    {{"db_latency_warn_ms", 10, "ms", "coderd to PostgreSQL latency, warning"},
     T(db_latency_warn_ms)},
    {{"db_latency_crit_ms", 50, "ms", "coderd to PostgreSQL latency, critical"},
     T(db_latency_crit_ms)},
    {{"api_p95_warn_ms", 500, "ms", "API request p95 latency of a replica, warning"},
     T(api_p95_warn_ms)},
    {{"api_p95_crit_ms", 2000, "ms", "API request p95 latency of a replica, critical"},
     T(api_p95_crit_ms)},
    {{"db_query_p95_warn_ms", 100, "ms", "database query p95 latency of a replica, warning"},
     T(db_query_p95_warn_ms)},
    {{"db_query_p95_crit_ms", 500, "ms", "database query p95 latency of a replica, critical"},
     T(db_query_p95_crit_ms)},
    {{"agent_series_warn", 1000, "series", "per-agent metric series counted as full cardinality"},
     T(agent_series_warn)},
    {{"queue_wait_warn_s", 300, "s", "pending jobs with no idle daemon for this long, warning"},
     T(queue_wait_warn_s)},
    {{"queue_wait_crit_s", 900, "s", "pending jobs with no idle daemon for this long, critical"},
     T(queue_wait_crit_s)},
    {{"build_failures_info", 2, "per 10 min", "failed workspace builds, notice"},
     T(build_failures_info)},
    {{"build_failures_warn", 5, "per 10 min", "failed workspace builds, warning"},
     T(build_failures_warn)},
    {{"build_failures_crit", 10, "per 10 min", "failed workspace builds, critical"},
     T(build_failures_crit)},
    {{"pg_connections_warn", 0.8, "fraction", "PostgreSQL connections of the usable maximum"},
     T(pg_connections_warn)},
    {{"pg_connections_crit", 0.9, "fraction", "PostgreSQL connections, critical"},
     T(pg_connections_crit)},
    {{"notify_queue_warn", 0.5, "fraction", "LISTEN/NOTIFY queue usage, warning"},
     T(notify_queue_warn)},
    {{"notify_queue_crit", 0.9, "fraction", "LISTEN/NOTIFY queue usage, critical"},
     T(notify_queue_crit)},
    {{"replication_lag_warn_s", 30, "s", "standby replay lag, warning"}, T(replication_lag_warn_s)},
    {{"replication_lag_crit_s", 300, "s", "standby replay lag, critical"},
     T(replication_lag_crit_s)},
    {{"xid_age_warn", 1.0e9, "transactions", "wraparound: oldest unfrozen XID age, warning"},
     T(xid_age_warn)},
    {{"xid_age_crit", 1.6e9, "transactions", "wraparound: oldest unfrozen XID age, critical"},
     T(xid_age_crit)},
    {{"long_xact_warn_s", 300, "s", "oldest open transaction, warning"}, T(long_xact_warn_s)},
    {{"long_xact_crit_s", 3600, "s", "oldest open transaction, critical"}, T(long_xact_crit_s)},
    {{"headroom_warn", 0.2, "fraction", "capacity left below which a warning fires"},
     T(headroom_warn)},
    {{"headroom_crit", 0.05, "fraction", "capacity left below which it is critical"},
     T(headroom_crit)},
    {{"forecast_warn_days", 7, "days", "capacity forecast to run out within, warning"},
     T(forecast_warn_days)},
    {{"forecast_crit_days", 1, "days", "capacity forecast to run out within, critical"},
     T(forecast_crit_days)},
    {{"utilisation_warn", 0.8, "fraction", "coderd CPU or memory used of available, warning"},
     T(utilisation_warn)},
    {{"utilisation_crit", 0.9, "fraction", "coderd CPU or memory used of available, critical"},
     T(utilisation_crit)},
    {{"node_workspaces_warn", 20, "workspaces",
      "workspaces on one node at which it is a noisy-neighbour risk"},
     T(node_workspaces_warn)},
    {{"node_share_warn", 0.85, "fraction",
      "workspaces' requests of a node's allocatable CPU or memory: noisy-neighbour risk"},
     T(node_share_warn)},
    {{"derp_relay_warn_bytes_per_s", 5e6, "bytes/s",
      "traffic one replica's or proxy's DERP relay carries, warning"},
     T(derp_relay_warn_bytes_per_s)},
    {{"derp_relay_crit_bytes_per_s", 25e6, "bytes/s",
      "traffic one replica's or proxy's DERP relay carries, critical"},
     T(derp_relay_crit_bytes_per_s)},
    {{"derp_relay_growth_factor", 3, "x 7-day average",
      "relayed traffic (all relays) this many times its 7-day average, warning"},
     T(derp_relay_growth_factor)},
    {{"derp_relay_growth_min_bytes_per_s", 1e6, "bytes/s",
      "relayed traffic below which growth is not reported"},
     T(derp_relay_growth_min_bytes_per_s)},
    {{"provisioner_queue_wait_target_s", 30, "s",
      "p95 queue wait that daemons_needed is sized for (docs/provisioners.md)"},
     T(provisioner_queue_wait_target_s)},
    {{"cost_min_running", 10, "workspaces", "cost shares are judged only from this many running"},
     T(cost_min_running)},
    {{"cost_no_autostop_info", 0.2, "fraction",
      "running workspaces with no TTL and no deadline, notice"},
     T(cost_no_autostop_info)},
    {{"cost_off_peak_info", 0.3, "fraction",
      "workspaces running through the off-peak hours ([cost]), notice"},
     T(cost_off_peak_info)},
    {{"quota_group_warn", 0.8, "fraction", "a group's quota pool used by its members, warning"},
     T(quota_group_warn)},
    {{"quota_group_crit", 0.95, "fraction", "a group's quota pool used by its members, critical"},
     T(quota_group_crit)},
};

#define NTHRESHOLDS (sizeof thresholds / sizeof *thresholds)

static const struct advisor_rule_info rules[] = {
    {"coderd.replicas.min", "Too few coderd replicas for availability",
     "Guide: \"deploy at least three instances of Coder Server\"; alert CoderdReplicas"},
    {"coderd.replicas.max", "Many coderd replicas: prefer vertical scale",
     "Guide: \"preferably under ten instances, and opt for vertical scale over horizontal\""},
    {"coderd.regions", "coderd replicas in more than one region",
     "Guide: \"Do not deploy in different geographic regions.\""},
    {"coderd.db_latency", "coderd to PostgreSQL latency",
     "Guide: \"Low-latency communication (under 10ms) with Postgres is essential\""},
    {"coderd.replica_error", "A replica reports an error (inter-replica mesh)",
     "Guide: \"Coder Servers need to be able to communicate with one another directly\""},
    {"coderd.api_latency", "API tail latency",
     "Guide: \"Tail latency of Coder Server API "
     "requests\" (coderd_api_request_latencies_seconds)"},
    {"coderd.db_query_latency", "Database query tail latency",
     "Guide: \"Tail latency of database queries\" (coderd_db_query_latencies_seconds)"},
    {"coderd.db_metrics_off", "Database metrics not collected",
     "Guide: \"Enable database metrics: CODER_PROMETHEUS_COLLECT_DB_METRICS=true\""},
    {"coderd.agent_stats_cardinality", "Agent stats at full cardinality",
     "Guide: \"configure agent stats to avoid large cardinality or disable them\""},
    {"coderd.utilisation", "coderd CPU or memory near its capacity",
     "Guide: \"Monitor the utilization as a fraction of the available resources\"; alerts "
     "CoderdCPUUsage, CoderdMemoryUsage"},
    {"coderd.peak_utilisation", "Daily or weekly peak utilisation near capacity",
     "Guide: \"pay special attention to the daily and weekly peak utilization\""},
    {"coderd.versions", "coderd replicas run different versions",
     "Upgrades should finish within a maintenance window"},
    {"coderd.health", "The deployment health report is not healthy",
     "coderd /api/v2/debug/health (the dashboard's Health page)"},
    {"provisioners.builtin", "Built-in provisioner daemons are running inside coderd",
     "Guide: \"disable provisioner daemons within your Coder Server: "
     "CODER_PROVISIONER_DAEMONS=0\""},
    {"provisioners.queue_starved", "Jobs pending with no idle daemon for their tags",
     "Guide: \"If users experience unacceptably long queues ... increase the number of "
     "provisioner daemon instances\""},
    {"provisioners.unrunnable", "A job that no online daemon can take",
     "Guide: \"use template tags to select the correct set of provisioner daemons\""},
    {"provisioners.version", "Provisioner daemon version differs from coderd",
     "Daemons should run the coderd version"},
    {"provisioners.build_failures", "Workspace build failures",
     "Alert CoderdWorkspaceBuildFailures (>2 notify, >5 warning, >10 critical in 10 min)"},
    {"provisioners.daemons_short", "A tag set needs more provisioner daemons than it has",
     "Guide: \"the maximum number of simultaneous builds ... is equal to the number of "
     "provisioner daemon instances within a tagged deployment\""},
    {"provisioners.stopped_mid_build", "A provisioner daemon stopped while running a build",
     "Guide: \"SIGINT will cancel the current job, which will result in a failed build\""},
    {"postgres.down", "PostgreSQL is down", "Alert PostgresDown"},
    {"postgres.connections", "PostgreSQL connections near the usable maximum",
     "Alert PostgresConnectionsRunningLow"},
    {"postgres.notify_queue", "LISTEN/NOTIFY queue filling up",
     "Guide: \"We also use LISTEN and NOTIFY to coordinate\"; alert "
     "PostgresNotificationQueueFillingUp"},
    {"postgres.replication_lag", "Standby replication lag",
     "Guide: \"multiple PostgreSQL replicas ... must also be low-latency\""},
    {"postgres.wraparound", "Transaction ID wraparound approaching",
     "PostgreSQL: autovacuum must freeze before 2^31 transactions"},
    {"postgres.long_transaction", "Long-running transaction",
     "Runbook: a long transaction blocks NOTIFY consumption and vacuum"},
    {"postgres.stats_hidden", "PostgreSQL statistics not visible to scaletop's role",
     "GRANT pg_monitor to the monitoring role"},
    {"proxies.unhealthy", "Workspace proxy unhealthy or unreachable",
     "Guide: \"each geographic cluster of workspaces have an associated deployment of "
     "workspace proxies\""},
    {"network.stun_failing", "STUN failing: clients cannot go direct",
     "Guide: \"Set up your network so that most users can get direct, peer-to-peer "
     "connections\"; health codes ESTUN01/ESTUN02"},
    {"network.derp_degraded", "DERP relays degraded (websocket fallback or a node unhealthy)",
     "Health codes EDERP01/EDERP02 (coderd /api/v2/debug/health, derp section)"},
    {"network.relay_load", "A DERP relay carries a lot of traffic",
     "Guide: direct connections \"drastically reduce the load on Coder Server and workspace "
     "proxy instances\" (coder_derp_server_bytes_*_total)"},
    {"network.relay_growth", "Relayed traffic grew well above its weekly average",
     "Guide: \"most users can get direct, peer-to-peer connections\": a jump in relayed "
     "bytes means peers lost their direct path"},
    {"capacity.headroom", "Cluster or quota headroom low",
     "Guide: \"monitor Coder workspace resource utilization against the limits\""},
    {"capacity.forecast", "Capacity forecast to run out",
     "Guide: \"As you approach soft limits, you can request limit increases\""},
    {"capacity.node_crowded", "Many workspaces packed on one node",
     "Guide: \"Noisy neighbor issues: Users share the node's CPU and memory resources\"; "
     "\"it can sometimes be a challenge to effectively autoscale down\""},
    {"capacity.control_plane_colocated", "Control plane shares a node with workspaces",
     "Guide: \"schedule Coder control plane (Coder Server, PostgreSQL, workspace proxies) "
     "components on a different node pool\""},
    {"cost.no_autostop", "Running workspaces without autostop",
     "Guide: \"Use autostop requirements to bring off-peak utilization down.\""},
    {"cost.off_peak", "Many workspaces running off-peak",
     "Guide: \"using autostop policies to stop more workspaces during off-peak hours\""},
    {"cost.quota_group", "A group's members near its Coder quota",
     "Guide: \"Use quotas to discourage users from creating many workspaces they don't need "
     "simultaneously\"; builds over budget fail with INSUFFICIENT_QUOTA"},
};

#define NRULES (sizeof rules / sizeof *rules)

void advisor_thresholds_default(struct advisor_thresholds *t)
{
    for (size_t i = 0; i < NTHRESHOLDS; i++) {
        *(double *)((char *)t + thresholds[i].offset) = thresholds[i].info.default_value;
    }
}

int advisor_thresholds_set(struct advisor_thresholds *t, const char *key, const char *value,
                           struct err *e)
{
    for (size_t i = 0; i < NTHRESHOLDS; i++) {
        if (strcmp(thresholds[i].info.key, key) == 0) {
            char *end;
            double v = strtod(value, &end);
            while (*end == ' ' || *end == '\t') {
                end++;
            }
            if (end == value || *end != '\0' || !isfinite(v)) {
                return err_set(e, "threshold %s: '%s' is not a number", key, value);
            }
            *(double *)((char *)t + thresholds[i].offset) = v;
            return 0;
        }
    }
    return err_set(e, "unknown threshold '%s'", key);
}

int advisor_thresholds_from_config(struct advisor_thresholds *t, const struct config *cfg,
                                   struct err *e)
{
    advisor_thresholds_default(t);
    for (size_t i = 0; i < cfg->nentries; i++) {
        const struct config_entry *ce = &cfg->entries[i];
        if (strcmp(ce->section, "thresholds") != 0 && strcmp(ce->section, "advisor") != 0) {
            continue;
        }
        if (advisor_thresholds_set(t, ce->key, ce->value, e) < 0) {
            return err_prefix(e, "%s:%d", ce->file ? ce->file : "config", ce->line);
        }
    }
    return 0;
}

const struct advisor_threshold_info *advisor_threshold_table(size_t *n)
{
    static struct advisor_threshold_info table[NTHRESHOLDS];
    for (size_t i = 0; i < NTHRESHOLDS; i++) {
        table[i] = thresholds[i].info;
    }
    *n = NTHRESHOLDS;
    return table;
}

const struct advisor_rule_info *advisor_rule_table(size_t *n)
{
    *n = NRULES;
    return rules;
}

/* --- evaluation ---------------------------------------------------------- */

struct active {
    char *key; /* "rule\x1fentity" */
    double since;
    enum severity severity;
    int seen; /* in the current evaluation */
};

struct advisor {
    struct advisor_thresholds t;
    struct active *active;
    size_t nactive, cap;
};

struct eval {
    struct advisor *a;
    struct snapshot *s;
    const struct advisor_history *hist;
};

struct advisor *advisor_new(const struct advisor_thresholds *t)
{
    struct advisor *a = xcalloc(1, sizeof *a);
    a->t = *t;
    return a;
}

void advisor_free(struct advisor *a)
{
    if (!a) {
        return;
    }
    for (size_t i = 0; i < a->nactive; i++) {
        free(a->active[i].key);
    }
    free(a->active);
    free(a);
}

__attribute__((format(printf, 5, 6))) static void
add(struct eval *ev, const char *rule, enum severity sev, const char *entity, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* The evidence follows " | " in the message; split it out. */
    char *bar = strstr(msg, " | ");
    const char *evidence = NULL;
    if (bar) {
        *bar = '\0';
        evidence = bar + 3;
    }
    struct finding *f = snapshot_add_finding(ev->s);
    f->rule = snapshot_str(ev->s, rule);
    f->severity = sev;
    f->entity = snapshot_str(ev->s, entity);
    f->message = snapshot_str(ev->s, msg);
    f->evidence = snapshot_str(ev->s, evidence);
}

/* Severity of value against warn/crit thresholds, higher is worse. */
static enum severity level(double v, double warn, double crit)
{
    if (isnan(v)) {
        return SEV_OK;
    }
    if (v >= crit) {
        return SEV_CRIT;
    }
    if (v >= warn) {
        return SEV_WARN;
    }
    return SEV_OK;
}

static const char *host_of(const struct server *sv)
{
    return sv->hostname ? sv->hostname : sv->metrics_target ? sv->metrics_target : "?";
}

static void rules_servers(struct eval *ev)
{
    const struct advisor_thresholds *t = &ev->a->t;
    struct snapshot *s = ev->s;
    size_t replicas = 0;
    double region = NAN;
    int multi_region = 0;
    const char *version = NULL;
    int versions_differ = 0;
    for (size_t i = 0; i < s->nservers; i++) {
        const struct server *sv = &s->servers[i];
        if (!sv->id) {
            continue; /* a metrics target, not a registered replica */
        }
        replicas++;
        if (!isnan(sv->region_id)) {
            if (!isnan(region) && sv->region_id != region) {
                multi_region = 1;
            }
            region = sv->region_id;
        }
        if (sv->version) {
            if (version && strcmp(version, sv->version) != 0) {
                versions_differ = 1;
            }
            version = sv->version;
        }
    }
    /* Replica counts are known only when the replicas list was read. */
    const struct source_state *rs = snapshot_find_source(s, "coder-replicas");
    if (rs && rs->status == SOURCE_OK) {
        if ((double)replicas < t->replicas_min) {
            add(ev, "coderd.replicas.min", replicas == 0 ? SEV_CRIT : SEV_WARN, "deployment",
                "Run at least %.0f coderd replicas for availability | replicas=%zu min=%.0f",
                t->replicas_min, replicas, t->replicas_min);
        }
        if ((double)replicas > t->replicas_max) {
            add(ev, "coderd.replicas.max", SEV_INFO, "deployment",
                "Prefer bigger coderd replicas to more of them | replicas=%zu max=%.0f", replicas,
                t->replicas_max);
        }
    }
    if (multi_region) {
        add(ev, "coderd.regions", SEV_WARN, "deployment",
            "Keep coderd replicas in one region, close to PostgreSQL | replicas span regions");
    }
    if (versions_differ) {
        add(ev, "coderd.versions", SEV_WARN, "deployment",
            "coderd replicas run different versions: finish the upgrade | e.g. %s", version);
    }

    for (size_t i = 0; i < s->nservers; i++) {
        const struct server *sv = &s->servers[i];
        char entity[300];
        snprintf(entity, sizeof entity, "server/%s", host_of(sv));
        enum severity sev = level(sv->db_latency_ms, t->db_latency_warn_ms, t->db_latency_crit_ms);
        if (sev) {
            add(ev, "coderd.db_latency", sev, entity,
                "Move coderd closer to PostgreSQL or relieve the database | "
                "db_latency_ms=%.1f threshold=%.0f",
                sv->db_latency_ms, t->db_latency_warn_ms);
        }
        if (sv->error && *sv->error) {
            add(ev, "coderd.replica_error", SEV_WARN, entity,
                "Replica cannot reach its peers: check the inter-replica network | error=%s",
                sv->error);
        }
        sev = level(sv->api_p95_ms, t->api_p95_warn_ms, t->api_p95_crit_ms);
        if (sev) {
            add(ev, "coderd.api_latency", sev, entity,
                "API tail latency is high: coderd or PostgreSQL may be underprovisioned | "
                "api_p95_ms=%.0f threshold=%.0f",
                sv->api_p95_ms, t->api_p95_warn_ms);
        }
        sev = level(sv->db_query_p95_ms, t->db_query_p95_warn_ms, t->db_query_p95_crit_ms);
        if (sev) {
            add(ev, "coderd.db_query_latency", sev, entity,
                "Database query tail latency is high: PostgreSQL may be low on resources | "
                "db_query_p95_ms=%.0f threshold=%.0f",
                sv->db_query_p95_ms, t->db_query_p95_warn_ms);
        }
        double cpu = sv->cpu_cores / sv->cpu_cores_available;
        double mem = sv->rss_bytes / sv->memory_available_bytes;
        sev = level(cpu, t->utilisation_warn, t->utilisation_crit);
        if (sev) {
            add(ev, "coderd.utilisation", sev, entity,
                "coderd CPU near its limit: scale the replica up | cpu=%.2f of %.2f cores",
                sv->cpu_cores, sv->cpu_cores_available);
        }
        sev = level(mem, t->utilisation_warn, t->utilisation_crit);
        if (sev) {
            add(ev, "coderd.utilisation", sev, entity,
                "coderd memory near its limit: scale the replica up | rss=%.0f of %.0f bytes",
                sv->rss_bytes, sv->memory_available_bytes);
        }
    }

    const struct deployment *d = &s->deployment;
    if (d->db_metrics_collected == TRI_FALSE) {
        add(ev, "coderd.db_metrics_off", SEV_INFO, "deployment",
            "Set CODER_PROMETHEUS_COLLECT_DB_METRICS=true to see database query latency | "
            "coderd_db_query_latencies_seconds absent");
    }
    if (d->agent_stats_full == TRI_TRUE) {
        enum severity sev = d->agent_stats_series >= t->agent_series_warn ? SEV_WARN : SEV_INFO;
        add(ev, "coderd.agent_stats_cardinality", sev, "deployment",
            "Set CODER_PROMETHEUS_AGGREGATE_AGENT_STATS_BY=agent_name or disable agent stats | "
            "per-agent series=%.0f",
            d->agent_stats_series);
    }
    if (d->health_severity && strcmp(d->health_severity, "ok") != 0) {
        char codes[256] = "";
        size_t o = 0;
        for (size_t i = 0; i < d->nhealth_codes && o < sizeof codes; i++) {
            int k = snprintf(codes + o, sizeof codes - o, "%s%s", i ? " " : "", d->health_codes[i]);
            o += k > 0 ? (size_t)k : 0;
        }
        add(ev, "coderd.health", strcmp(d->health_severity, "error") == 0 ? SEV_CRIT : SEV_WARN,
            "deployment", "The health report says %s: open it for the failing sections | codes=%s",
            d->health_severity, codes[0] ? codes : "none");
    }
}

/* Tag sets whose estimated need exceeds their online daemons, and daemons
 * that went away in the middle of a build (backend/provsize.h). */
static void rules_sizing(struct eval *ev)
{
    const struct advisor_thresholds *t = &ev->a->t;
    const struct provisioners *p = &ev->s->provisioners;
    char tags[256], entity[400];
    for (size_t i = 0; i < p->nqueues; i++) {
        const struct queue *q = &p->queues[i];
        double have = isnan(q->daemons) ? 0 : q->daemons;
        if (isnan(q->daemons_needed) || !(q->daemons_needed > have)) {
            continue;
        }
        tagset_format(tags, sizeof tags, &q->tags, ",", "untagged");
        snprintf(entity, sizeof entity, "queue/%s/%s", q->organization ? q->organization : "?",
                 tags);
        /* At or past the load the daemons can carry, the queue grows without end. */
        enum severity sev = q->load >= have ? SEV_CRIT : SEV_WARN;
        add(ev, "provisioners.daemons_short", sev, entity,
            "Run %.0f provisioner daemons for these tags (have %.0f) to keep the p95 queue wait "
            "under %.0f s | needed=%.0f daemons=%.0f load=%.2f arrivals_per_h=%.1f "
            "build_mean_s=%.0f window_s=%.0f",
            q->daemons_needed, have, t->provisioner_queue_wait_target_s, q->daemons_needed, have,
            q->load, q->arrivals_per_s * 3600, q->build_mean_s, q->sizing_window_s);
    }
    for (size_t i = 0; i < p->nstopped; i++) {
        const struct stopped_daemon *d = &p->stopped[i];
        snprintf(entity, sizeof entity, "daemon/%s", d->name ? d->name : d->id ? d->id : "?");
        add(ev, "provisioners.stopped_mid_build", SEV_WARN, entity,
            "A daemon stopped during a build: stop daemons with SIGHUP and let the autoscaler "
            "wait for builds to finish | job=%s how=%s job_now=%s",
            d->job ? d->job : "?", d->how ? d->how : "?", d->job_status ? d->job_status : "ended");
    }
}

static void rules_provisioners(struct eval *ev)
{
    const struct advisor_thresholds *t = &ev->a->t;
    struct snapshot *s = ev->s;
    const struct deployment *d = &s->deployment;
    const struct provisioners *p = &s->provisioners;
    char tags[256], entity[400];

    if (d->builtin_provisioners == TRI_TRUE) {
        add(ev, "provisioners.builtin", SEV_WARN, "deployment",
            "Run provisioners externally and set CODER_PROVISIONER_DAEMONS=0 | "
            "built-in daemons are registered");
    }
    for (size_t i = 0; i < p->nqueues; i++) {
        const struct queue *q = &p->queues[i];
        if (!(q->pending > 0) || q->idle > 0 || isnan(q->oldest_pending_s)) {
            continue;
        }
        enum severity sev = level(q->oldest_pending_s, t->queue_wait_warn_s, t->queue_wait_crit_s);
        if (!sev) {
            continue;
        }
        tagset_format(tags, sizeof tags, &q->tags, ",", "untagged");
        snprintf(entity, sizeof entity, "queue/%s/%s", q->organization ? q->organization : "?",
                 tags);
        add(ev, "provisioners.queue_starved", sev, entity,
            "Builds are queueing: add provisioner daemons for these tags | "
            "pending=%.0f idle=0 daemons=%.0f oldest_pending_s=%.0f",
            q->pending, isnan(q->daemons) ? 0 : q->daemons, q->oldest_pending_s);
    }
    for (size_t i = 0; i < p->nunrunnable; i++) {
        const struct job *j = &p->unrunnable[i];
        int never = j->reason && strcmp(j->reason, "no_matching_daemon") == 0;
        tagset_format(tags, sizeof tags, &j->tags, ",", "untagged");
        snprintf(entity, sizeof entity, "job/%s", j->id ? j->id : "?");
        if (never) {
            add(ev, "provisioners.unrunnable", SEV_CRIT, entity,
                "No provisioner daemon has these tags: this job will wait forever | "
                "tags=%s age_s=%.0f",
                tags, j->age_s);
        } else {
            add(ev, "provisioners.unrunnable", SEV_WARN, entity,
                "Every daemon that can take this job is offline | tags=%s age_s=%.0f", tags,
                j->age_s);
        }
    }
    /* Daemons whose version differs from coderd's (major.minor.patch). */
    if (d->version) {
        size_t differ = 0;
        const char *example = NULL;
        char want[64];
        snprintf(want, sizeof want, "%s", d->version);
        want[strcspn(want, "+-")] = '\0';
        for (size_t i = 0; i < p->ndaemons; i++) {
            const struct daemon *dm = &p->daemons[i];
            if (!dm->version || dm->status == DAEMON_OFFLINE) {
                continue;
            }
            char have[64];
            snprintf(have, sizeof have, "%s", dm->version);
            have[strcspn(have, "+-")] = '\0';
            if (strcmp(have, want) != 0) {
                differ++;
                example = dm->version;
            }
        }
        if (differ) {
            add(ev, "provisioners.version", SEV_WARN, "provisioners",
                "Upgrade provisioner daemons to the coderd version | "
                "%zu daemons differ (e.g. %s) from coderd %s",
                differ, example, d->version);
        }
    }
    rules_sizing(ev);
    double failed_10m = d->builds_failed_per_h / 6.0;
    enum severity sev = level(failed_10m, t->build_failures_warn, t->build_failures_crit);
    if (!sev && failed_10m > t->build_failures_info) {
        sev = SEV_INFO;
    }
    if (sev) {
        add(ev, "provisioners.build_failures", sev, "deployment",
            "Workspace builds are failing: check provisioner logs and templates | "
            "failed per 10 min=%.1f",
            failed_10m);
    }
}

static void rules_postgres(struct eval *ev)
{
    const struct advisor_thresholds *t = &ev->a->t;
    struct snapshot *s = ev->s;
    const struct postgres *pg = &s->postgres;
    if (pg->up == TRI_FALSE) {
        add(ev, "postgres.down", SEV_CRIT, "postgres",
            "PostgreSQL is not answering: every coderd replica depends on it | up=false");
        return;
    }
    if (pg->up != TRI_TRUE) {
        return;
    }
    double used = pg->connections.used / pg->connections.max;
    enum severity sev = level(used, t->pg_connections_warn, t->pg_connections_crit);
    if (sev) {
        add(ev, "postgres.connections", sev, "postgres",
            "Connections near the usable maximum: raise max_connections or pool | "
            "used=%.0f max=%.0f",
            pg->connections.used, pg->connections.max);
    }
    sev = level(pg->notify_queue_usage, t->notify_queue_warn, t->notify_queue_crit);
    if (sev) {
        add(ev, "postgres.notify_queue", sev, "postgres",
            "NOTIFY queue filling: look for old idle-in-transaction sessions | usage=%.0f%%",
            pg->notify_queue_usage * 100);
    }
    for (size_t i = 0; i < pg->nreplication; i++) {
        const struct pg_replication *r = &pg->replication[i];
        sev = level(r->replay_lag_s, t->replication_lag_warn_s, t->replication_lag_crit_s);
        if (sev) {
            char entity[300];
            snprintf(entity, sizeof entity, "postgres/standby/%s", r->name ? r->name : "?");
            add(ev, "postgres.replication_lag", sev, entity,
                "Standby is behind the primary | replay_lag_s=%.0f", r->replay_lag_s);
        }
    }
    sev = level(pg->xid_age, t->xid_age_warn, t->xid_age_crit);
    if (sev) {
        add(ev, "postgres.wraparound", sev, "postgres",
            "Transaction ID wraparound approaching: check autovacuum | xid_age=%.0f", pg->xid_age);
    }
    sev = level(pg->oldest_xact_s, t->long_xact_warn_s, t->long_xact_crit_s);
    if (sev) {
        add(ev, "postgres.long_transaction", sev, "postgres",
            "A long transaction holds back vacuum and NOTIFY: find and end it | "
            "oldest_xact_s=%.0f",
            pg->oldest_xact_s);
    }
    if (pg->stats_visible == TRI_FALSE) {
        add(ev, "postgres.stats_hidden", SEV_INFO, "postgres",
            "GRANT pg_monitor to scaletop's role: other sessions are hidden | "
            "stats_visible=false");
    }
}

static void rules_proxies(struct eval *ev)
{
    struct snapshot *s = ev->s;
    for (size_t i = 0; i < s->nproxies; i++) {
        const struct proxy *x = &s->proxies[i];
        if (x->status != PROXY_UNHEALTHY && x->status != PROXY_UNREACHABLE) {
            continue;
        }
        char entity[300];
        snprintf(entity, sizeof entity, "proxy/%s", x->name ? x->name : "?");
        add(ev, "proxies.unhealthy", x->status == PROXY_UNREACHABLE ? SEV_CRIT : SEV_WARN, entity,
            "Users of this region lose their near proxy: check the proxy | status=%s%s%s",
            proxy_status_name(x->status), x->nerrors ? " error=" : "",
            x->nerrors ? x->errors[0] : "");
    }
}

static void relay_load(struct eval *ev, const char *kind, const char *name, double bytes_per_s,
                       double clients)
{
    const struct advisor_thresholds *t = &ev->a->t;
    enum severity sev =
        level(bytes_per_s, t->derp_relay_warn_bytes_per_s, t->derp_relay_crit_bytes_per_s);
    if (!sev) {
        return;
    }
    char entity[300];
    snprintf(entity, sizeof entity, "%s/%s", kind, name ? name : "?");
    add(ev, "network.relay_load", sev, entity,
        "DERP relays %.1f MB/s: sessions are not going direct; check UDP/STUN reachability "
        "between clients and workspaces | derp_bytes_per_s=%.0f clients=%.0f",
        bytes_per_s / 1e6, bytes_per_s, clients);
}

/* Direct connections (the guide's Networking item): STUN and DERP health,
 * the load each relay carries, and relayed traffic against its own week. */
static void rules_network(struct eval *ev)
{
    const struct advisor_thresholds *t = &ev->a->t;
    struct snapshot *s = ev->s;
    const struct deployment *d = &s->deployment;
    char codes[160] = "";
    size_t o = 0;
    for (size_t i = 0; i < d->nhealth_codes && o < sizeof codes; i++) {
        const char *c = d->health_codes[i];
        if (c && (strncmp(c, "ESTUN", 5) == 0 || strncmp(c, "EDERP", 5) == 0)) {
            int k = snprintf(codes + o, sizeof codes - o, "%s%s", o ? "," : "", c);
            o += k > 0 ? (size_t)k : 0;
        }
    }
    if (d->stun_healthy == TRI_FALSE) {
        add(ev, "network.stun_failing", SEV_WARN, "deployment",
            "STUN is failing: clients cannot learn their public address, so connections relay "
            "through coderd and the proxies; allow UDP to the STUN servers | codes=%s "
            "relayed_bytes_per_s=%.0f",
            codes[0] ? codes : "?", d->derp_bytes_per_s);
    }
    if (d->derp_healthy == TRI_FALSE) {
        add(ev, "network.derp_degraded", SEV_WARN, "deployment",
            "DERP relays are degraded: check that the load balancer passes \"Upgrade: DERP\" "
            "and that every relay node answers | codes=%s",
            codes[0] ? codes : "?");
    }
    for (size_t i = 0; i < s->nservers; i++) {
        const struct server *sv = &s->servers[i];
        relay_load(ev, "server", host_of(sv), sv->derp_bytes_per_s, sv->derp_clients);
    }
    for (size_t i = 0; i < s->nproxies; i++) {
        const struct proxy *x = &s->proxies[i];
        relay_load(ev, "proxy", x->name, x->derp_bytes_per_s, x->derp_clients);
    }
    const struct advisor_history *h = ev->hist;
    struct advisor_series_stats st;
    double now = d->derp_bytes_per_s;
    if (!h || !h->stats || isnan(now) || now < t->derp_relay_growth_min_bytes_per_s ||
        h->stats(h->ctx, "deployment/derp_bytes_per_s", s->time - 7 * 86400.0, s->time - 1, &st) !=
            0) {
        return;
    }
    /* a baseline needs an hour of history; a zero one says nothing about growth */
    if (st.n < 2 || st.last_t - st.first_t < 3600 || !(st.avg > 0)) {
        return;
    }
    if (now >= t->derp_relay_growth_factor * st.avg) {
        add(ev, "network.relay_growth", SEV_WARN, "deployment",
            "Relayed traffic is %.1fx its 7-day average: peers are losing their direct path "
            "(STUN/UDP blocked, a new firewall or NAT) | now=%.0f B/s avg=%.0f B/s over %.1f h",
            now / st.avg, now, st.avg, (st.last_t - st.first_t) / 3600.0);
    }
}

static void headroom(struct eval *ev, const char *entity, const char *what, double used,
                     double total)
{
    const struct advisor_thresholds *t = &ev->a->t;
    if (isnan(used) || isnan(total) || total <= 0) {
        return;
    }
    double left = 1.0 - used / total;
    enum severity sev = left <= t->headroom_crit   ? SEV_CRIT
                        : left <= t->headroom_warn ? SEV_WARN
                                                   : SEV_OK;
    if (sev) {
        add(ev, "capacity.headroom", sev, entity,
            "%s headroom low: raise the limit or add capacity | used=%.6g of %.6g (%.0f%% left)",
            what, used, total, left * 100);
    }
}

/* Days until `used` reaches `total` at the trend recorded over the last week. */
static void forecast(struct eval *ev, const char *entity, const char *what, const char *series,
                     double total)
{
    const struct advisor_thresholds *t = &ev->a->t;
    const struct advisor_history *h = ev->hist;
    struct advisor_series_stats st;
    if (!h || !h->stats || isnan(total) ||
        h->stats(h->ctx, series, ev->s->time - 7 * 86400.0, ev->s->time, &st) != 0) {
        return;
    }
    double span = st.last_t - st.first_t;
    if (st.n < 2 || span < 3600 || !(st.last > st.first)) {
        return;
    }
    double slope = (st.last - st.first) / span;
    double days = (total - st.last) / slope / 86400.0;
    if (days < 0) {
        days = 0;
    }
    enum severity sev = days <= t->forecast_crit_days   ? SEV_CRIT
                        : days <= t->forecast_warn_days ? SEV_WARN
                                                        : SEV_OK;
    if (sev) {
        add(ev, "capacity.forecast", sev, entity,
            "At the current growth %s runs out in %.1f days | used=%.6g of %.6g, +%.3g/day", what,
            days, st.last, total, slope * 86400.0);
    }
}

static void rules_capacity(struct eval *ev)
{
    struct snapshot *s = ev->s;
    const struct capacity *c = &s->capacity;
    headroom(ev, "cluster", "Cluster CPU", c->cluster.cpu_requested_cores,
             c->cluster.cpu_allocatable_cores);
    headroom(ev, "cluster", "Cluster memory", c->cluster.memory_requested_bytes,
             c->cluster.memory_allocatable_bytes);
    headroom(ev, "cluster", "Cluster pods", c->cluster.pods, c->cluster.pods_allocatable);
    forecast(ev, "cluster", "cluster CPU", "capacity/cluster/cpu_requested_cores",
             c->cluster.cpu_allocatable_cores);
    forecast(ev, "cluster", "cluster memory", "capacity/cluster/memory_requested_bytes",
             c->cluster.memory_allocatable_bytes);
    forecast(ev, "cluster", "cluster pods", "capacity/cluster/pods", c->cluster.pods_allocatable);
    for (size_t i = 0; i < c->nnamespaces; i++) {
        const struct namespace_quota *ns = &c->namespaces[i];
        for (size_t j = 0; j < ns->nresources; j++) {
            const struct quantity_pair *q = &ns->resources[j];
            char entity[300], what[300], series[400];
            snprintf(entity, sizeof entity, "namespace/%s", ns->name ? ns->name : "?");
            snprintf(what, sizeof what, "Quota %s", q->resource ? q->resource : "?");
            headroom(ev, entity, what, q->used, q->hard);
            snprintf(series, sizeof series, "namespace/%s/resources/%s/used",
                     ns->name ? ns->name : "?", q->resource ? q->resource : "?");
            forecast(ev, entity, what, series, q->hard);
        }
    }
    for (size_t i = 0; i < c->nsoft_limits; i++) {
        const struct soft_limit *l = &c->soft_limits[i];
        char entity[300];
        snprintf(entity, sizeof entity, "limit/%s", l->name ? l->name : "?");
        headroom(ev, entity, l->name ? l->name : "Soft limit", l->used, l->limit);
    }
}

enum severity advisor_node_crowded(const struct advisor_thresholds *t, const struct node_load *n)
{
    if (!(n->workspaces > 0)) {
        return SEV_OK;
    }
    double cpu = n->workspace_cpu_requested_cores / n->cpu_allocatable_cores;
    double mem = n->workspace_memory_requested_bytes / n->memory_allocatable_bytes;
    if (n->workspaces >= t->node_workspaces_warn || cpu >= t->node_share_warn ||
        mem >= t->node_share_warn) {
        return SEV_WARN;
    }
    return SEV_OK;
}

bool advisor_node_colocated(const struct node_load *n)
{
    return n->workspaces > 0 && (n->coderd > 0 || n->postgres > 0 || n->proxies > 0);
}

static double share_or_nan(double part, double whole)
{
    return whole > 0 ? part / whole : NAN;
}

/* Workspaces per node: packing past the thresholds, and the control plane
 * beside workspaces. Provisioners are shown on the Capacity pane but do not
 * fire: the guide wants them in the workspaces' cluster. */
static void rules_nodes(struct eval *ev)
{
    const struct advisor_thresholds *t = &ev->a->t;
    const struct capacity *c = &ev->s->capacity;
    for (size_t i = 0; i < c->nnodes; i++) {
        const struct node_load *n = &c->nodes[i];
        char entity[300], usage[96] = "";
        snprintf(entity, sizeof entity, "node/%s", n->name ? n->name : "?");
        double wu = share_or_nan(n->workspace_cpu_usage_cores, n->cpu_allocatable_cores);
        if (!isnan(wu)) {
            snprintf(usage, sizeof usage, " cpu_used=%.0f%%", wu * 100);
        }
        if (advisor_node_crowded(t, n) != SEV_OK) {
            char cpu[16] = "?", mem[16] = "?";
            double fc = share_or_nan(n->workspace_cpu_requested_cores, n->cpu_allocatable_cores);
            double fm =
                share_or_nan(n->workspace_memory_requested_bytes, n->memory_allocatable_bytes);
            if (!isnan(fc)) {
                snprintf(cpu, sizeof cpu, "%.0f%%", fc * 100);
            }
            if (!isnan(fm)) {
                snprintf(mem, sizeof mem, "%.0f%%", fm * 100);
            }
            add(ev, "capacity.node_crowded", SEV_WARN, entity,
                "Noisy-neighbour risk and a node that cannot scale down: spread workspaces or "
                "lower workspaces per node | workspaces=%.0f cpu_requests=%s memory_requests=%s%s",
                n->workspaces, cpu, mem, usage);
        }
        if (advisor_node_colocated(n)) {
            char kinds[64] = "";
            size_t o = 0;
            const struct {
                const char *name;
                double v;
            } k[] = {{"coderd", n->coderd}, {"PostgreSQL", n->postgres}, {"proxy", n->proxies}};
            for (size_t j = 0; j < 3; j++) {
                if (k[j].v > 0 && o < sizeof kinds) {
                    int w = snprintf(kinds + o, sizeof kinds - o, "%s%s", o ? ", " : "", k[j].name);
                    o += w > 0 ? (size_t)w : 0;
                }
            }
            add(ev, "capacity.control_plane_colocated", SEV_WARN, entity,
                "%s shares a node with workspaces: schedule the control plane on its own node "
                "pool | workspaces=%.0f coderd=%.0f postgres=%.0f proxies=%.0f",
                kinds, n->workspaces, isnan(n->coderd) ? 0 : n->coderd,
                isnan(n->postgres) ? 0 : n->postgres, isnan(n->proxies) ? 0 : n->proxies);
        }
    }
}

/* Cost control: shares of the last running-workspace list, and each quota
 * group's consumption of its pool. */
static void rules_cost(struct eval *ev)
{
    const struct advisor_thresholds *t = &ev->a->t;
    struct snapshot *s = ev->s;
    const struct cost *c = &s->cost;
    double run = c->workspaces_running;
    if (run >= t->cost_min_running && run > 0) {
        double f = c->without_autostop / run;
        if (f >= t->cost_no_autostop_info) {
            add(ev, "cost.no_autostop", SEV_INFO, "workspaces",
                "Running workspaces never stop on their own: set a template autostop "
                "requirement or a default TTL | without_autostop=%.0f of %.0f running (%.0f%%)",
                c->without_autostop, run, f * 100);
        }
        double all = s->deployment.workspaces_total;
        double g = c->running_off_peak / (all >= run ? all : run);
        if (g >= t->cost_off_peak_info) {
            add(ev, "cost.off_peak", SEV_INFO, "workspaces",
                "Many workspaces run through the off-peak hours: use autostop to stop them | "
                "running_off_peak=%.0f of %.0f workspaces (%.0f%%)",
                c->running_off_peak, all >= run ? all : run, g * 100);
        }
    }
    for (size_t i = 0; i < c->ngroups; i++) {
        const struct cost_group *q = &c->groups[i];
        if (!(q->budget_credits > 0)) {
            continue;
        }
        double f = q->consumed_credits / q->budget_credits;
        enum severity sev = level(f, t->quota_group_warn, t->quota_group_crit);
        if (sev) {
            char entity[300];
            snprintf(entity, sizeof entity, "quota_group/%s/%s",
                     q->organization ? q->organization : "?", q->name ? q->name : "?");
            add(ev, "cost.quota_group", sev, entity,
                "Members of this group are near their quota: new builds will fail with "
                "INSUFFICIENT_QUOTA; raise quota_allowance or stop workspaces | "
                "consumed=%.0f of %.0f credits (%.0f%%)",
                q->consumed_credits, q->budget_credits, f * 100);
        }
    }
}

/* Daily and weekly peaks of coderd CPU and memory against what is available. */
static void rules_peaks(struct eval *ev)
{
    const struct advisor_thresholds *t = &ev->a->t;
    const struct advisor_history *h = ev->hist;
    struct snapshot *s = ev->s;
    if (!h || !h->stats) {
        return;
    }
    static const struct {
        const char *label;
        double window_s;
    } windows[] = {{"daily", 86400.0}, {"weekly", 7 * 86400.0}};
    for (size_t i = 0; i < s->nservers; i++) {
        const struct server *sv = &s->servers[i];
        if (isnan(sv->cpu_cores_available) || !sv->hostname) {
            continue;
        }
        for (size_t w = 0; w < 2; w++) {
            char series[300], entity[300];
            struct advisor_series_stats st;
            snprintf(series, sizeof series, "server/%s/cpu_cores", sv->hostname);
            if (h->stats(h->ctx, series, s->time - windows[w].window_s, s->time, &st) != 0) {
                continue;
            }
            enum severity sev =
                level(st.max / sv->cpu_cores_available, t->utilisation_warn, t->utilisation_crit);
            if (sev) {
                snprintf(entity, sizeof entity, "server/%s", sv->hostname);
                add(ev, "coderd.peak_utilisation", sev == SEV_CRIT ? SEV_WARN : SEV_INFO, entity,
                    "The %s CPU peak nears capacity: size coderd for the weekly peak | "
                    "peak=%.2f of %.2f cores",
                    windows[w].label, st.max, sv->cpu_cores_available);
                break;
            }
        }
    }
}

static struct active *find_active(struct advisor *a, const char *key)
{
    for (size_t i = 0; i < a->nactive; i++) {
        if (strcmp(a->active[i].key, key) == 0) {
            return &a->active[i];
        }
    }
    return NULL;
}

/* Sets `since` on each finding, and turns appearances and disappearances
 * since the previous evaluation into events. */
static void track(struct advisor *a, struct snapshot *s)
{
    for (size_t i = 0; i < a->nactive; i++) {
        a->active[i].seen = 0;
    }
    for (size_t i = 0; i < s->nfindings; i++) {
        struct finding *f = &s->findings[i];
        char *key = xasprintf("%s\x1f%s", f->rule, f->entity ? f->entity : "");
        struct active *act = find_active(a, key);
        if (!act) {
            a->active = xgrow(a->active, &a->cap, a->nactive + 1, sizeof *a->active);
            act = &a->active[a->nactive++];
            act->key = key;
            act->since = s->time;
            act->severity = f->severity;
            struct event *e = snapshot_add_event(s);
            e->time = s->time;
            e->kind = snapshot_str(s, "finding-start");
            e->entity = f->entity;
            e->message = snapshot_str(s, f->message);
        } else {
            free(key);
        }
        act->seen = 1;
        f->since = act->since;
    }
    size_t kept = 0;
    for (size_t i = 0; i < a->nactive; i++) {
        struct active *act = &a->active[i];
        if (act->seen) {
            a->active[kept++] = *act;
            continue;
        }
        char *sep = strchr(act->key, '\x1f');
        struct event *e = snapshot_add_event(s);
        e->time = s->time;
        e->kind = snapshot_str(s, "finding-end");
        e->entity = snapshot_str(s, sep ? sep + 1 : "");
        *sep = '\0';
        char *msg = xasprintf("%s resolved", act->key);
        e->message = snapshot_str(s, msg);
        free(msg);
        free(act->key);
    }
    a->nactive = kept;
}

static int finding_cmp(const void *x, const void *y)
{
    const struct finding *a = x, *b = y;
    if (a->severity != b->severity) {
        return a->severity > b->severity ? -1 : 1;
    }
    int c = strcmp(a->rule, b->rule);
    return c ? c : strcmp(a->entity ? a->entity : "", b->entity ? b->entity : "");
}

void advisor_evaluate(struct advisor *a, struct snapshot *snap, const struct advisor_history *hist)
{
    struct eval ev = {a, snap, hist};
    rules_servers(&ev);
    rules_provisioners(&ev);
    rules_postgres(&ev);
    rules_proxies(&ev);
    rules_network(&ev);
    rules_capacity(&ev);
    rules_nodes(&ev);
    rules_peaks(&ev);
    rules_cost(&ev);
    if (snap->nfindings > 1) {
        qsort(snap->findings, snap->nfindings, sizeof *snap->findings, finding_cmp);
    }
    track(a, snap);
}

enum severity advisor_worst(const struct snapshot *snap)
{
    enum severity worst = SEV_OK;
    for (size_t i = 0; i < snap->nfindings; i++) {
        if (snap->findings[i].severity > worst) {
            worst = snap->findings[i].severity;
        }
    }
    return worst;
}
