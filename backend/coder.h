/*
 * The Coder API poller (coder_source_ops in backend/source.h) and the
 * converters from Coder's JSON bodies to the snapshot. The converters are
 * exported so tests can feed them fixture bodies directly; each parses,
 * converts and frees its JSON in one call.
 */
#ifndef SCALETOP_CODER_H
#define SCALETOP_CODER_H

#include "backend/cost.h"
#include "backend/err.h"
#include "backend/snapshot.h"
#include "backend/source.h"

#include <stddef.h>

/* Source names, one per endpoint group, so a pane can say "no permission"
 * for just its part. */
#define CODER_SRC_API          "coder-api"          /* buildinfo, entitlements, organizations */
#define CODER_SRC_REPLICAS     "coder-replicas"     /* /replicas */
#define CODER_SRC_PROVISIONERS "coder-provisioners" /* daemons and jobs per org */
#define CODER_SRC_PROXIES      "coder-proxies"      /* /workspaceproxies or /regions */
#define CODER_SRC_HEALTH       "coder-health"       /* /debug/health */
#define CODER_SRC_STATS        "coder-stats"        /* deployment stats, user/workspace counts */
#define CODER_SRC_QUOTA        "coder-quota"        /* workspace quota per org */
#define CODER_SRC_COST         "coder-cost"         /* running workspaces, slow paginated list */
#define CODER_SRC_GROUPS       "coder-groups"       /* groups' quota allowances (premium) */

/* Cost control (CODER_SRC_COST, CODER_SRC_GROUPS) as a source of its own,
 * polled on its own thread beside the chain (docs/cost.md). */
extern const struct source_ops coder_cost_source_ops;

/* Parses an RFC 3339 time ("2026-07-14T09:30:09.551870Z", "+02:00" offsets)
 * into Unix seconds; NAN for NULL, garbage, or Go's zero time (year 1). */
double coder_parse_time(const char *s);

/* Parses a Coder version ("v2.38.5+3f0c1a7", "2.9.0-rc.1") into
 * major*10000 + minor*100 + patch (capped at 99 each); -1 if unparseable
 * (v0.0.0-devel gives 0). */
long coder_version_num(const char *v);

/* Maps an error response to a reason and a one-line message (the body's
 * "message" and "detail" when it is Coder's error envelope). Handles 401,
 * 403 (licence vs permission), 404 (no permission vs not on this build vs
 * health check in progress), 429, 400 and 5xx. */
enum source_reason coder_error_reason(long status, const char *body, size_t len, char *msg,
                                      size_t msgsz);

/* Returns the name of the first query parameter a 400 "Invalid query
 * parameters." body rejects (validations[0].field) into out; -1 if none. */
int coder_rejected_param(const char *body, size_t len, char *out, size_t outsz);

/* An organization, as the poller keeps it between cycles. */
struct coder_org {
    char id[64];
    char name[128];
    int is_default;
};

/* buildinfo: version, dashboard URL, deployment id into s->deployment. */
int coder_parse_buildinfo(struct snapshot *s, const char *body, size_t len,
                          struct err *e) WARN_UNUSED;

/* entitlements: *premium = licence present; *proxies_entitled,
 * *ha_entitled = feature state (TRI_UNKNOWN when the key is absent). */
int coder_parse_entitlements(const char *body, size_t len, enum tri *premium,
                             enum tri *proxies_entitled, enum tri *ha_entitled,
                             struct err *e) WARN_UNUSED;

/* organizations: up to `max` into orgs; *n the count. */
int coder_parse_organizations(const char *body, size_t len, struct coder_org *orgs, size_t max,
                              size_t *n, struct err *e) WARN_UNUSED;

/* replicas: one server per replica; database_latency µs -> db_latency_ms. */
int coder_parse_replicas(struct snapshot *s, const char *body, size_t len,
                         struct err *e) WARN_UNUSED;

/* workspaceproxies or regions: {"regions":[…]} (a bare array is accepted
 * too); status from status.status, or from healthy/URL for regions. */
int coder_parse_proxies(struct snapshot *s, const char *body, size_t len,
                        struct err *e) WARN_UNUSED;

/* provisionerdaemons of organization `org` (name). Built-in daemons are
 * recognised by key (or by a replica hostname among s->servers). */
int coder_parse_daemons(struct snapshot *s, const char *org, const char *body, size_t len,
                        struct err *e) WARN_UNUSED;

/* provisionerjobs of `org`: pending and running jobs into s->provisioners.jobs
 * (at most `max`); *nlisted counts all entries of the list (for truncation). */
int coder_parse_jobs(struct snapshot *s, const char *org, const char *body, size_t len, double now,
                     size_t max, size_t *nlisted, struct err *e) WARN_UNUSED;

/* debug/health: severity, codes of non-dismissed sections; *report_time is
 * the report's own "time" (the server caches it). */
int coder_parse_health(struct snapshot *s, const char *body, size_t len, double *report_time,
                       struct err *e) WARN_UNUSED;

/* deployment/stats: workspace counts by state. */
int coder_parse_deployment_stats(struct snapshot *s, const char *body, size_t len,
                                 struct err *e) WARN_UNUSED;

/* {"users":[…],"count":N} or {"workspaces":[…],"count":N}: N. */
int coder_parse_count(const char *body, size_t len, double *count, struct err *e) WARN_UNUSED;

/* workspace-quota of `user` in `org`: budget -1 (not licensed) becomes NAN. */
int coder_parse_quota(struct snapshot *s, const char *user, const char *org, const char *body,
                      size_t len, struct err *e) WARN_UNUSED;

/* One page of GET /api/v2/workspaces?q=status:running: adds each workspace
 * whose latest build is running to t (run start = latest_build.created_at;
 * autostop = a build deadline or max_deadline, or a ttl_ms > 0; daily cost
 * = latest_build.daily_cost); *nlisted counts the page's entries, *count
 * the server's total of matches (NAN when absent). */
int coder_parse_running_page(const char *body, size_t len, double off_peak_end,
                             struct cost_tally *t, size_t *nlisted, double *count,
                             struct err *e) WARN_UNUSED;

/* Groups of organization `org` (name): one s->cost.groups entry per group
 * with a quota_allowance > 0, at most `max`; consumption from t (finished),
 * or NAN without a tally. */
int coder_parse_cost_groups(struct snapshot *s, const char *org, const char *body, size_t len,
                            const struct cost_tally *t, size_t max, struct err *e) WARN_UNUSED;

#endif
