/*
 * Settings: where the deployment is and how to poll it. Loaded from flags,
 * then the environment, then the config file (INI, parsed with libinih),
 * then the conventions of the tools operators already use (DESIGN.md §6).
 * A plain value type: pollers read it, nobody writes it after loading.
 * Secrets (the token, passwords inside a conninfo) live only here and in the
 * pollers' request headers; they never enter a snapshot, the store or a log.
 */
#ifndef SCALETOP_CONFIG_H
#define SCALETOP_CONFIG_H

#include "backend/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CONFIG_MAX_URLS 64

struct threshold_config; /* advisor thresholds, owned by the advisor module */

/* A `key = value` line of a section the config module passes through
 * uninterpreted ([thresholds], [advisor]) for the module that owns it. */
struct config_entry {
    char *section, *key, *value;
    char *file; /* for "FILE:LINE: what" messages */
    int line;
};

struct config {
    /* Coder API */
    char *coder_url;  /* NULL: source disabled */
    char *token;      /* session token; never printed */
    char *token_file; /* where it came from, for messages */
    /* Metrics */
    char *metrics_urls[CONFIG_MAX_URLS];
    size_t nmetrics_urls;
    char *provisioner_metrics_urls[CONFIG_MAX_URLS];
    size_t nprovisioner_metrics_urls;
    char *prometheus_url;
    char *prometheus_bearer_token; /* from a file */
    char *prometheus_basic_auth;   /* "user:password", from a file */
    /* PostgreSQL */
    char *pg_conninfo; /* NULL: use PG* environment if PGHOST/PGSERVICE set, else disabled */
    /* Kubernetes */
    char *kubeconfig;
    char *k8s_namespace; /* coder's namespace, for discovery */
    char *workspace_label_selector;
    bool k8s_in_cluster;
    /* History */
    char *db_path;
    double raw_retention_s, minute_retention_s, hour_retention_s;
    double db_max_bytes;
    /* TLS */
    char *ca_file;
    bool insecure_skip_verify; /* --insecure-skip-tls-verify, named for the risk */
    /* Cadence and limits */
    double interval_s; /* base cadence */
    double window_s;   /* one-shot snapshot/check: seconds between two polls */
    double connect_timeout_s, request_timeout_s;
    size_t max_body_bytes;
    /* Soft limits declared by the operator: "name = used_query/limit" */
    struct {
        char *name;
        char *resource; /* "cpu", "memory", "pods", ... */
        double limit;
    } soft_limits[16];
    size_t nsoft_limits;
    /* Presentation */
    bool utc, ascii, no_color;
    char *config_path; /* file read, for messages */
    /* Where some settings came from, for messages and config_describe(). */
    char *token_origin; /* "CODER_SESSION_TOKEN" or the token file's path */
    char *pg_origin;    /* "--pg", "FILE:LINE", "PG* environment"; conninfo "" = environment */
    /* Pass-through sections in file order. */
    struct config_entry *entries;
    size_t nentries;
    /* Prometheus: the range of rate() and of histogram rates in the
     * poller's queries (default 300 s, like rate(...[5m])) */
    double prometheus_rate_window_s;
    /* [kubernetes] label selectors of Coder's control-plane pods (issue 12);
     * NULL: the defaults of backend/k8s.h (the Helm charts' labels). */
    char *coderd_label_selector, *postgres_label_selector, *proxy_label_selector,
        *provisioner_label_selector;
    /* Workspace proxies' own /metrics (wsproxy --prometheus-enable), each
     * "NAME=URL" (matched to the proxy of that name) or a bare URL (matched
     * by the host of the proxy's URL). */
    char *proxy_metrics_urls[CONFIG_MAX_URLS];
    size_t nproxy_metrics_urls;
    /* Read older replicas' DERP stats from /api/v2/debug/expvar at each
     * replica's relay address (sends the owner token there): opt-in. */
    bool derp_expvar;
    /* Cost control ([cost], docs/config.md): how often the running
     * workspaces are listed (default 900 s; never faster than the base
     * interval), and the off-peak hours in local time: [start, end) wrapping
     * midnight (default 19-7; start == end: none), plus whole weekends. */
    double cost_interval_s;
    int off_peak_start_h, off_peak_end_h;
    bool off_peak_weekends;
};

/* Fills cfg with defaults (no source configured, default cadences). */
void config_defaults(struct config *cfg);

/* Loads settings in the order flag > environment > file > conventions.
 * argv is the command's own argument vector; recognised options are consumed
 * and the rest (positional arguments and command-specific options listed in
 * `extra`, each like "--at=" for one taking a value or "--redact" for a
 * switch) are left in *rest (caller frees the array, not the strings).
 * On error (unknown flag, bad value, config file line) fills e with a message
 * naming the flag or "FILE:LINE" and returns -1. */
int config_load(struct config *cfg, int argc, char **argv, const char *const *extra, char ***rest,
                int *nrest, struct err *e) WARN_UNUSED;

/* Prints the effective settings (one per line, with their origin) to f;
 * secrets never appear: the token shows as "(set, from ORIGIN)", a conninfo
 * as its origin only, URL credentials as "***". */
void config_describe(const struct config *cfg, FILE *f);

/* The value of `key` in pass-through `section` (last one wins); NULL if absent. */
const struct config_entry *config_entry_get(const struct config *cfg, const char *section,
                                            const char *key);

/* Frees every string cfg owns; cfg may then be reused after config_defaults. */
void config_fini(struct config *cfg);

#endif
