/*
 * The advisor: the Scale Coder guide's recommendations, and Coder's own
 * alert thresholds, as rules evaluated on every snapshot (DESIGN.md §5).
 * Each rule has a stable id; a rule that fires adds a finding (severity,
 * entity, one-line advice, evidence) to the snapshot being built. An advisor
 * object remembers when each finding began, so findings carry `since` and
 * their start and end become events in the history.
 */
#ifndef SCALETOP_ADVISOR_H
#define SCALETOP_ADVISOR_H

#include "backend/err.h"
#include "backend/snapshot.h"

#include <stdbool.h>
#include <stddef.h>

/* Thresholds, all configurable under [thresholds] in the config file. */
struct advisor_thresholds {
    double replicas_min;       /* availability: at least this many coderd replicas */
    double replicas_max;       /* prefer vertical scaling past this many */
    double db_latency_warn_ms; /* coderd <-> Postgres */
    double db_latency_crit_ms;
    double api_p95_warn_ms;
    double api_p95_crit_ms;
    double db_query_p95_warn_ms;
    double db_query_p95_crit_ms;
    double agent_series_warn; /* per-agent series counted as "full cardinality" */
    double queue_wait_warn_s; /* pending with no idle daemon for this long */
    double queue_wait_crit_s;
    double build_failures_info; /* failed builds per 10 minutes (Coder's alert) */
    double build_failures_warn;
    double build_failures_crit;
    double pg_connections_warn; /* fraction of the usable maximum */
    double pg_connections_crit;
    double notify_queue_warn; /* fraction of the LISTEN/NOTIFY queue */
    double notify_queue_crit;
    double replication_lag_warn_s;
    double replication_lag_crit_s;
    double xid_age_warn; /* wraparound: age(datfrozenxid) */
    double xid_age_crit;
    double long_xact_warn_s;
    double long_xact_crit_s;
    double headroom_warn; /* fraction left below which capacity warns */
    double headroom_crit;
    double forecast_warn_days; /* at the recorded trend, runs out within */
    double forecast_crit_days;
    double utilisation_warn; /* coderd CPU/memory used / available */
    double utilisation_crit;
    double node_workspaces_warn; /* workspaces on one node: noisy-neighbour risk */
    double node_share_warn;      /* workspaces' requests / a node's allocatable (CPU or memory) */
    /* DERP relay load of one coderd replica or proxy (bytes/s relayed) */
    double derp_relay_warn_bytes_per_s;
    double derp_relay_crit_bytes_per_s;
    /* relayed traffic now vs its 7-day average (deployment total) */
    double derp_relay_growth_factor;
    double derp_relay_growth_min_bytes_per_s; /* below this, growth is noise */
    double provisioner_queue_wait_target_s;   /* p95 queue wait the daemons should keep */
    /* Cost control (rules cost.*) */
    double cost_min_running;      /* cost shares are judged from this many running workspaces */
    double cost_no_autostop_info; /* share of running workspaces without any autostop */
    double cost_off_peak_info;    /* share of all workspaces running through off-peak hours */
    double quota_group_warn;      /* a group's members' consumption of its quota pool */
    double quota_group_crit;
};

/* One threshold's name, default and description, for docs and --help. */
struct advisor_threshold_info {
    const char *key;
    double default_value;
    const char *unit;
    const char *doc;
};

/* Fills t with the defaults of the guide and of Coder's alerts. */
void advisor_thresholds_default(struct advisor_thresholds *t);

/* Sets one threshold from its config key and textual value; -1 and a message
 * naming the key on an unknown key or a value that is not a number. */
int advisor_thresholds_set(struct advisor_thresholds *t, const char *key, const char *value,
                           struct err *e) WARN_UNUSED;

struct config;

/* Defaults, then every [thresholds] entry of cfg; on a bad entry fills e
 * with "FILE:LINE: ..." and returns -1 (t then holds what was valid). */
int advisor_thresholds_from_config(struct advisor_thresholds *t, const struct config *cfg,
                                   struct err *e) WARN_UNUSED;

/* The table of every threshold (static storage); *n receives its length. */
const struct advisor_threshold_info *advisor_threshold_table(size_t *n);

/* One rule's id, title and the sentence of the guide or alert behind it. */
struct advisor_rule_info {
    const char *id;
    const char *title;
    const char *source;
};

/* The table of every rule (static storage); *n receives its length. */
const struct advisor_rule_info *advisor_rule_table(size_t *n);

/* Summary statistics of one recorded series over a window. */
struct advisor_series_stats {
    double min, max, avg;
    double first, last;     /* values at the ends of the window */
    double first_t, last_t; /* their times */
    size_t n;
};

/* Access to the history for trend rules (forecast, daily/weekly peaks).
 * stats() returns 0 and fills out when the series has data in [from, to]. */
struct advisor_history {
    void *ctx;
    int (*stats)(void *ctx, const char *series, double from, double to,
                 struct advisor_series_stats *out);
};

struct advisor;

/* A new advisor with thresholds copied from t; caller frees with advisor_free. */
struct advisor *advisor_new(const struct advisor_thresholds *t);
void advisor_free(struct advisor *a);

/* Evaluates every rule on snap (still being built: call before publishing)
 * and appends findings, plus "finding-start"/"finding-end" events for the
 * changes since the previous call. hist may be NULL (trend rules then stay
 * quiet). Poller thread; never fails. */
void advisor_evaluate(struct advisor *a, struct snapshot *snap, const struct advisor_history *hist);

/* The advisor's judgement of one node's packing (rule capacity.node_crowded):
 * SEV_WARN when its workspaces reach node_workspaces_warn or their requests
 * reach node_share_warn of its allocatable CPU or memory; else SEV_OK. */
enum severity advisor_node_crowded(const struct advisor_thresholds *t, const struct node_load *n);

/* True when control-plane pods (coderd, PostgreSQL, workspace proxies) run on
 * a node that also runs workspaces (rule capacity.control_plane_colocated). */
bool advisor_node_colocated(const struct node_load *n);

/* The highest severity among snap's findings (SEV_OK when none). */
enum severity advisor_worst(const struct snapshot *snap);

#endif
