/*
 * Provisioner sizing (docs/provisioners.md): from the provisioner jobs and
 * daemons the Coder API lists on each poll, per tag set the queue wait over
 * the last hour and day, peak running builds, the arrival rate, mean build
 * time and offered load, and the number of daemons that an M/M/c queue says
 * would keep the p95 queue wait under a target; and the daemons that went
 * offline or vanished while running a job ("stopped mid-build").
 *
 * A tracker remembers, between polls, the jobs and busy daemons it saw and
 * per-minute counts for the last day, all keyed on the deployment's own
 * clock (the jobs' created_at/started_at), so a skewed or simulated clock
 * does not bias the rates. It covers what this process has watched: until
 * PROVSIZE_MIN_WINDOW_S of it and PROVSIZE_MIN_BUILDS ended builds, the sizing
 * fields stay unknown ("not enough history").
 */
#ifndef SCALETOP_PROVSIZE_H
#define SCALETOP_PROVSIZE_H

#include "backend/advisor.h"
#include "backend/snapshot.h"

/* Least deployment time watched before a rate or a size is given. */
#define PROVSIZE_MIN_WINDOW_S 600.0
/* Least builds ended in the window before a build time is given. */
#define PROVSIZE_MIN_BUILDS 20
/* How long a stopped-mid-build daemon stays listed after it was seen. */
#define PROVSIZE_STOPPED_KEEP_S 3600.0
/* The quantile of the queue wait that the target bounds. */
#define PROVSIZE_QUANTILE 0.95

struct provsize;

/* A new, empty tracker; caller frees with provsize_free. */
struct provsize *provsize_new(void);

/* Frees a tracker; NULL allowed. */
void provsize_free(struct provsize *t);

/* Observes snap (after provq_derive: jobs, daemons, queues) and fills each
 * queue's sizing fields and the stopped-mid-build list, with daemons_needed
 * for a p95 wait of at most target_wait_s. hist (may be NULL) supplies the
 * recorded peaks of running builds. Jobs and daemons are only compared
 * with the previous poll when the coder-provisioners source is OK. Poller
 * thread; never fails. */
void provsize_update(struct provsize *t, struct snapshot *snap, const struct advisor_history *hist,
                     double target_wait_s);

/* Erlang C: the probability that a job waits at all in an M/M/c queue with
 * c servers and offered load `load` (Erlangs); 1 when load >= c. Pure. */
double provsize_erlang_c(double c, double load);

/* P(wait > wait_s) for M/M/c with mean service time build_s. Pure. */
double provsize_wait_exceeds(double c, double load, double build_s, double wait_s);

/* The fewest daemons for which P(wait > target_wait_s) <= 1 - quantile,
 * with offered load `load` and mean build time build_s; 0 for no load, NAN
 * for an unknown input. Pure. */
double provsize_daemons_needed(double load, double build_s, double target_wait_s, double quantile);

#endif
