/*
 * scaletop-sim cost control: per-workspace autostop settings, build start
 * times and daily costs, the gpu-users quota group, and the truth that
 * scaletop's cost section must match.
 *
 * Every attribute of workspace i is a pure function of (seed, i) and the
 * simulated clock, so a list page and /__sim/truth agree without storing
 * anything: a share of the running workspaces (--off-peak-share) has been
 * running for eight days (so through the last off-peak hours, whatever they
 * are), the rest started after the last off-peak stretch ended; a share
 * (--no-autostop-share) has no TTL, no autostart and no build deadline.
 * Off-peak hours are UTC ([start, end), plus weekends unless
 * --off-peak-weekends off), like scaletop's defaults when it runs with TZ=UTC.
 */
#include "sim.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define EIGHT_DAYS_S (8 * 86400.0)

struct ws_cost {
    long owner;
    bool left_on, autostop;
    int daily_cost;
};

void sim_user_id(long u, char out[40])
{
    uint64_t seed = (uint64_t)u + 77;
    sim_uuid(&seed, out);
}

static void ws_cost(const struct sim *s, long users, long i, struct ws_cost *c)
{
    uint64_t h = s->o.seed * 0x9E3779B97F4A7C15ULL + (uint64_t)i * 0xBF58476D1CE4E5B9ULL + 13;
    double u1 = sim_randf(&h), u2 = sim_randf(&h);
    c->owner = i % (users > 0 ? users : 1);
    c->left_on = u1 < s->o.off_peak_share;
    c->autostop = !(u2 < s->o.no_autostop_share);
    c->daily_cost = 1 + (int)(sim_rand(&h) % 4);
    if (c->owner >= 1 && c->owner <= SIM_GPU_MEMBERS) {
        c->daily_cost = s->o.gpu_cost;
    }
}

static bool off_peak(const struct sim *s, double t)
{
    time_t tt = (time_t)floor(t);
    struct tm tm;
    gmtime_r(&tt, &tm);
    if (!s->o.off_peak_weekdays_only && (tm.tm_wday == 0 || tm.tm_wday == 6)) {
        return true;
    }
    int a = s->o.off_peak_start_h, b = s->o.off_peak_end_h;
    if (a == b) {
        return false;
    }
    return a < b ? tm.tm_hour >= a && tm.tm_hour < b : tm.tm_hour >= a || tm.tm_hour < b;
}

/* The end of the last off-peak stretch at or before now (now when off-peak). */
static double last_off_peak(const struct sim *s, double now)
{
    if (off_peak(s, now)) {
        return now;
    }
    double hour = floor(now / 3600) * 3600;
    for (int k = 0; k < 8 * 24 + 2 && !off_peak(s, hour - 1); k++) {
        hour -= 3600;
    }
    return hour;
}

static double run_start(const struct sim *s, double now, long i, const struct ws_cost *c)
{
    if (c->left_on) {
        return now - EIGHT_DAYS_S - (double)(i % 600);
    }
    double end = last_off_peak(s, now);
    double t = now - 600;
    return t > end + 1 ? t : fmin(end + 1, now);
}

void sim_cost_workspace(const struct sim *s, double now, long users, long i, bool running,
                        json_t *w)
{
    struct ws_cost c;
    ws_cost(s, users, i, &c);
    char uid[40], tb[40];
    sim_user_id(c.owner, uid);
    json_object_set_new(w, "owner_id", json_string(uid));
    json_t *lb = json_object_get(w, "latest_build");
    json_object_set_new(lb, "workspace_owner_id", json_string(uid));
    json_object_set_new(lb, "daily_cost", json_integer(c.daily_cost));
    double start = running ? run_start(s, now, i, &c) : now - 86400;
    sim_time_fmt(start, tb);
    json_object_set_new(lb, "created_at", json_string(tb));
    json_object_set_new(lb, "max_deadline", json_null());
    if (!c.autostop) {
        json_object_set_new(w, "ttl_ms", json_null());
        json_object_set_new(w, "autostart_schedule", json_null());
        json_object_set_new(lb, "deadline", json_null());
        return;
    }
    json_object_set_new(w, "ttl_ms", json_integer(8 * 3600 * 1000));
    json_object_set_new(w, "autostart_schedule", json_string("CRON_TZ=UTC 30 8 * * 1-5"));
    if (running) {
        /* Activity bumps the deadline: an hour ahead if 8 h have passed. */
        double dl = start + 8 * 3600;
        sim_time_fmt(dl > now ? dl : now + 3600, tb);
        json_object_set_new(lb, "deadline", json_string(tb));
    } else {
        json_object_set_new(lb, "deadline", json_null());
    }
}

static json_t *group(const char *org, const char *name, long members, int allowance,
                     double consumed)
{
    return json_pack("{s:s,s:s,s:I,s:i,s:I,s:f}", "organization", org, "name", name, "members",
                     (json_int_t)members, "allowance_credits", allowance, "budget_credits",
                     (json_int_t)(members * allowance), "consumed_credits", consumed);
}

json_t *sim_cost_truth(struct sim *s)
{
    long running = s->ws_running, off = 0, no_stop = 0;
    double cost = 0, gpu = 0;
    double end = last_off_peak(s, s->sim_now);
    for (long i = 0; i < running; i++) {
        struct ws_cost c;
        ws_cost(s, s->users_active, i, &c);
        off += run_start(s, s->sim_now, i, &c) < end;
        no_stop += !c.autostop;
        cost += c.daily_cost;
        if (c.owner >= 1 && c.owner <= SIM_GPU_MEMBERS) {
            gpu += c.daily_cost;
        }
    }
    char tb[40];
    sim_time_fmt(end, tb);
    json_t *t = json_object();
    json_object_set_new(t, "off_peak_now", json_boolean(off_peak(s, s->sim_now)));
    json_object_set_new(t, "last_off_peak_end", json_string(tb));
    json_object_set_new(t, "workspaces_running", json_integer(running));
    json_object_set_new(t, "running_off_peak", json_integer(off));
    json_object_set_new(t, "without_autostop", json_integer(no_stop));
    json_object_set_new(t, "daily_cost_credits", json_real(cost));
    json_t *g = json_array();
    if (!s->o.unlicensed) {
        /* Org names as sim_coder.c serves them; all workspaces are in "coder". */
        long gpu_members = s->users_active > SIM_GPU_MEMBERS ? SIM_GPU_MEMBERS : 1;
        json_array_append_new(g, group("coder", "Everyone", s->users_active, 10, cost));
        json_array_append_new(g, group("coder", "gpu-users", gpu_members, 40, gpu));
        json_array_append_new(g, group("platform-eng", "Everyone", s->users_active / 10, 10, 0));
        json_array_append_new(g, group("platform-eng", "gpu-users", 1, 40, 0));
    }
    json_object_set_new(t, "groups", g);
    return t;
}
