/*
 * Cost control helpers (the guide's "Cost control"): off-peak hours in local
 * time, and the tally of one listing of running workspaces, from which the
 * snapshot's cost section and the per-group quota consumption are derived.
 * Plain value types; no I/O.
 */
#ifndef SCALETOP_COST_H
#define SCALETOP_COST_H

#include "backend/snapshot.h"

#include <stdbool.h>
#include <stddef.h>

/* Off-peak hours: local hours [start_h, end_h), wrapping midnight when
 * start_h > end_h, none when they are equal; plus all of Saturday and Sunday
 * when weekends is set. */
struct cost_hours {
    int start_h, end_h;
    bool weekends;
};

/* True when local time t falls in the off-peak hours. */
bool cost_is_off_peak(const struct cost_hours *h, double t);

/* The end of the most recent off-peak stretch at or before now: now itself
 * when now is off-peak, else the start of the current peak stretch. A run
 * that began before this moment and is still going has run off-peak. NAN
 * when no hour of the past 8 days was off-peak (no off-peak hours set). */
double cost_last_off_peak(const struct cost_hours *h, double now);

/* Daily cost of running workspaces per (organization id, owner id). */
struct cost_owner {
    char org[40];
    char owner[40];
    double daily_cost;
};

/* One listing of running workspaces, accumulated page by page. */
struct cost_tally {
    double running, off_peak, without_autostop, daily_cost;
    size_t cost_seen;          /* workspaces that reported a daily_cost */
    struct cost_owner *owners; /* sorted by (org, owner) after cost_tally_finish */
    size_t nowners, cap_owners;
};

/* An empty tally (every count 0, off_peak NAN when off_peak_end is NAN). */
void cost_tally_init(struct cost_tally *t, double off_peak_end);

/* Adds one running workspace: its run's start (NAN unknown), whether it has
 * an autostop, its daily cost (NAN unknown), its org and owner ids (NULL
 * unknown); off_peak_end from cost_last_off_peak. */
void cost_tally_add(struct cost_tally *t, double run_start, double off_peak_end, bool autostop,
                    double daily_cost, const char *org, const char *owner);

/* Sorts and merges the owner table so that cost_tally_owner works. */
void cost_tally_finish(struct cost_tally *t);

/* Daily cost of owner's running workspaces in org (0 when none). */
double cost_tally_owner(const struct cost_tally *t, const char *org, const char *owner);

/* Daily cost of every running workspace in org. */
double cost_tally_org(const struct cost_tally *t, const char *org);

/* Moves src into dst (freeing dst's table); src is left empty. */
void cost_tally_move(struct cost_tally *dst, struct cost_tally *src);

/* Frees the owner table. */
void cost_tally_fini(struct cost_tally *t);

/* Writes the tally's counts into s->cost with listed_at. */
void cost_tally_emit(const struct cost_tally *t, struct snapshot *s, double listed_at);

#endif
