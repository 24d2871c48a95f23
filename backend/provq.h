/*
 * Provisioner queue derivation: from the daemons and the pending/running jobs
 * in a snapshot, the per-organization, per-tag-set queues, the jobs that no
 * online daemon can take, daemon status on servers too old to report it, and
 * whether built-in (in-coderd) daemons are running.
 */
#ifndef SCALETOP_PROVQ_H
#define SCALETOP_PROVQ_H

#include "backend/snapshot.h"

#include <stdbool.h>

/* coderd's provisionerdserver.StaleInterval: a daemon silent longer is offline. */
#define PROVQ_STALE_S 90.0

/* The key id coderd gives its built-in daemons. */
#define PROVQ_BUILTIN_KEY_ID "00000000-0000-0000-0000-000000000001"

/* Coder's provisioner_tagset_contains(daemon_tags, job_tags): a job tagged
 * exactly {"owner":"","scope":"organization"} runs only on a daemon with
 * exactly those tags; any other job runs on a daemon whose tags contain all
 * of the job's tags with equal values. Pure; any thread. */
bool provq_tags_match(const struct tagset *daemon, const struct tagset *job);

/* True when the daemon can take jobs now: status idle/busy, or, when the
 * status is unknown, seen within PROVQ_STALE_S of `now`. */
bool provq_daemon_online(const struct daemon *d, double now);

/* True for a daemon running inside coderd: key id ...0001, key name
 * "built-in", or (servers that report no key) a name "<hostname>-<digits>"
 * for one of the replica hostnames. Any argument but name may be NULL. */
bool provq_is_builtin(const char *key_id, const char *key_name, const char *name,
                      const char *const *hostnames, size_t nhostnames);

/* Fills s->provisioners.queues and .unrunnable from .daemons and .jobs,
 * derives the status of daemons whose status_raw is NULL (older servers:
 * offline when last seen over PROVQ_STALE_S before `now` or never, busy when
 * a running job names it as worker or it has a current job, else idle), and
 * sets deployment.builtin_provisioners from the online daemons. Queues are
 * ordered by organization then tag set; unrunnable jobs oldest first.
 * Builder thread only. */
void provq_derive(struct snapshot *s, double now);

/* Formats a tag set as "k=v k=v" (sorted as stored) into out. */
void provq_tagset_format(const struct tagset *t, char *out, size_t outsz);

#endif
