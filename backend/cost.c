/*
 * Cost control helpers: off-peak hours and the running-workspace tally (see
 * cost.h). Local time is the process's (TZ), as for every time the console
 * shows. Invariant: a tally's counts are sums over the workspaces added, and
 * its owner table is sorted and unique once finished.
 */
#include "backend/cost.h"

#include "backend/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool hour_off_peak(const struct cost_hours *h, const struct tm *tm)
{
    if (h->weekends && (tm->tm_wday == 0 || tm->tm_wday == 6)) {
        return true;
    }
    if (h->start_h == h->end_h) {
        return false;
    }
    if (h->start_h < h->end_h) {
        return tm->tm_hour >= h->start_h && tm->tm_hour < h->end_h;
    }
    return tm->tm_hour >= h->start_h || tm->tm_hour < h->end_h;
}

bool cost_is_off_peak(const struct cost_hours *h, double t)
{
    if (!isfinite(t)) {
        return false;
    }
    time_t tt = (time_t)floor(t);
    struct tm tm;
    localtime_r(&tt, &tm);
    return hour_off_peak(h, &tm);
}

double cost_last_off_peak(const struct cost_hours *h, double now)
{
    if (!isfinite(now)) {
        return NAN;
    }
    if (cost_is_off_peak(h, now)) {
        return now;
    }
    /* Walk back one local hour at a time: the hour start of each peak hour,
     * until the hour before it is off-peak. 8 days covers any weekly rule. */
    double t = floor(now);
    for (int i = 0; i < 8 * 24 + 2; i++) {
        time_t tt = (time_t)t;
        struct tm tm;
        localtime_r(&tt, &tm);
        double hour_start = t - tm.tm_min * 60 - tm.tm_sec;
        if (cost_is_off_peak(h, hour_start - 1)) {
            return hour_start;
        }
        t = hour_start - 1;
    }
    return NAN;
}

void cost_tally_init(struct cost_tally *t, double off_peak_end)
{
    memset(t, 0, sizeof *t);
    t->off_peak = isfinite(off_peak_end) ? 0 : NAN;
}

void cost_tally_add(struct cost_tally *t, double run_start, double off_peak_end, bool autostop,
                    double daily_cost, const char *org, const char *owner)
{
    t->running++;
    if (isfinite(t->off_peak) && isfinite(run_start) && run_start < off_peak_end) {
        t->off_peak++;
    }
    if (!autostop) {
        t->without_autostop++;
    }
    if (!isfinite(daily_cost)) {
        return;
    }
    t->cost_seen++;
    if (daily_cost <= 0) {
        return;
    }
    t->daily_cost += daily_cost;
    if (!org || !owner || strlen(org) >= sizeof t->owners->org ||
        strlen(owner) >= sizeof t->owners->owner) {
        return;
    }
    t->owners = xgrow(t->owners, &t->cap_owners, t->nowners + 1, sizeof *t->owners);
    struct cost_owner *o = &t->owners[t->nowners++];
    snprintf(o->org, sizeof o->org, "%s", org);
    snprintf(o->owner, sizeof o->owner, "%s", owner);
    o->daily_cost = daily_cost;
}

static int owner_cmp(const void *a, const void *b)
{
    const struct cost_owner *x = a, *y = b;
    int c = strcmp(x->org, y->org);
    return c ? c : strcmp(x->owner, y->owner);
}

void cost_tally_finish(struct cost_tally *t)
{
    if (t->nowners == 0) {
        return;
    }
    qsort(t->owners, t->nowners, sizeof *t->owners, owner_cmp);
    size_t w = 0;
    for (size_t r = 1; r < t->nowners; r++) {
        if (owner_cmp(&t->owners[w], &t->owners[r]) == 0) {
            t->owners[w].daily_cost += t->owners[r].daily_cost;
        } else {
            t->owners[++w] = t->owners[r];
        }
    }
    t->nowners = w + 1;
}

double cost_tally_owner(const struct cost_tally *t, const char *org, const char *owner)
{
    struct cost_owner key;
    if (!org || !owner || strlen(org) >= sizeof key.org || strlen(owner) >= sizeof key.owner) {
        return 0;
    }
    snprintf(key.org, sizeof key.org, "%s", org);
    snprintf(key.owner, sizeof key.owner, "%s", owner);
    const struct cost_owner *o =
        t->nowners ? bsearch(&key, t->owners, t->nowners, sizeof *t->owners, owner_cmp) : NULL;
    return o ? o->daily_cost : 0;
}

double cost_tally_org(const struct cost_tally *t, const char *org)
{
    double sum = 0;
    for (size_t i = 0; org && i < t->nowners; i++) {
        if (strcmp(t->owners[i].org, org) == 0) {
            sum += t->owners[i].daily_cost;
        }
    }
    return sum;
}

void cost_tally_move(struct cost_tally *dst, struct cost_tally *src)
{
    cost_tally_fini(dst);
    *dst = *src;
    memset(src, 0, sizeof *src);
}

void cost_tally_fini(struct cost_tally *t)
{
    free(t->owners);
    t->owners = NULL;
    t->nowners = t->cap_owners = 0;
}

void cost_tally_emit(const struct cost_tally *t, struct snapshot *s, double listed_at)
{
    struct cost *c = &s->cost;
    c->listed_at = listed_at;
    c->workspaces_running = t->running;
    c->running_off_peak = t->off_peak;
    c->without_autostop = t->without_autostop;
    /* Older servers without daily_cost: unknown, not free. */
    c->daily_cost_credits = t->running > 0 && t->cost_seen == 0 ? NAN : t->daily_cost;
}
