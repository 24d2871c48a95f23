/* Provisioner sizing: the M/M/c model against values worked by hand, the
 * tracker against a deterministic queue polled on a clock that runs at a
 * different speed from the deployment's, the stopped-mid-build detection,
 * and the two advisor rules that act on them. */
#include "backend/advisor.h"
#include "backend/coder.h"
#include "backend/provq.h"
#include "backend/provsize.h"
#include "backend/snapshot_json.h"
#include "tests/lib/test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TEST(provsize_erlang_c_known_values)
{
    /* M/M/1: the chance to wait is the utilisation. */
    CHECK_NEAR(provsize_erlang_c(1, 0.5), 0.5, 1e-12);
    /* M/M/2 with 1 Erlang: C = 1/3. */
    CHECK_NEAR(provsize_erlang_c(2, 1), 1.0 / 3.0, 1e-12);
    /* Overloaded or no load. */
    CHECK_NEAR(provsize_erlang_c(3, 4.5), 1, 0);
    CHECK_NEAR(provsize_erlang_c(3, 0), 0, 0);
    /* M/M/1, rho 0.5, mean service 60 s: P(W > 60) = 0.5 e^-0.5. */
    CHECK_NEAR(provsize_wait_exceeds(1, 0.5, 60, 60), 0.5 * exp(-0.5), 1e-12);
}

TEST(provsize_daemons_needed_values)
{
    /* The simulator's undersized pool: 0.075 jobs/s x 60 s = 4.5 Erlangs. */
    CHECK(provsize_daemons_needed(4.5, 60, 30, 0.95) == 8);
    /* 7 daemons would leave more than 5 % waiting over 30 s, 8 do not. */
    CHECK(provsize_wait_exceeds(7, 4.5, 60, 30) > 0.05);
    CHECK(provsize_wait_exceeds(8, 4.5, 60, 30) <= 0.05);
    /* The steady prod pool (21.2 Erlangs, 90 s builds) and gpu pool. */
    CHECK(provsize_daemons_needed(21.2, 90, 30, 0.95) == 26);
    CHECK(provsize_daemons_needed(1.8, 200, 30, 0.95) == 5);
    /* A longer target needs fewer, never fewer than the load. */
    CHECK(provsize_daemons_needed(4.5, 60, 600, 0.95) == 5);
    CHECK(provsize_daemons_needed(0, 60, 30, 0.95) == 0);
    CHECK(isnan(provsize_daemons_needed(NAN, 60, 30, 0.95)));
    CHECK(isnan(provsize_daemons_needed(4.5, NAN, 30, 0.95)));
}

/* ---- a deterministic pool --------------------------------------------------- */

#define POOL_JOBS 1000

struct pool {
    int ndaemons;
    double interarrival_s, build_s;
    double created[POOL_JOBS], started[POOL_JOBS];
    int daemon[POOL_JOBS]; /* -1 pending or not yet arrived */
    bool done[POOL_JOBS];
    int busy[8]; /* job index per daemon, -1 idle */
    bool offline[8];
    int prev[8]; /* the last job it ran, -1 none */
    const char *prev_status[8];
    int narrived;
    double now;
};

static void pool_init(struct pool *p, int ndaemons, double interarrival_s, double build_s,
                      double t0)
{
    memset(p, 0, sizeof *p);
    p->ndaemons = ndaemons;
    p->interarrival_s = interarrival_s;
    p->build_s = build_s;
    p->now = t0;
    for (int i = 0; i < POOL_JOBS; i++) {
        p->daemon[i] = -1;
        p->created[i] = t0 + 5 + interarrival_s * i;
    }
    for (int d = 0; d < 8; d++) {
        p->busy[d] = p->prev[d] = -1;
    }
}

/* Advances the pool to t in 1 s steps: arrivals, completions, FIFO starts. */
static void pool_run(struct pool *p, double t)
{
    while (p->now < t) {
        p->now += 1;
        while (p->narrived < POOL_JOBS && p->created[p->narrived] <= p->now) {
            p->narrived++;
        }
        for (int d = 0; d < p->ndaemons; d++) {
            int j = p->busy[d];
            if (j >= 0 && p->now >= p->started[j] + p->build_s) {
                p->done[j] = true;
                p->busy[d] = -1;
                p->prev[d] = j;
                p->prev_status[d] = "succeeded";
            }
        }
        int next = 0;
        for (int d = 0; d < p->ndaemons; d++) {
            if (p->busy[d] >= 0 || p->offline[d]) {
                continue;
            }
            while (next < p->narrived && (p->daemon[next] >= 0 || p->done[next])) {
                next++;
            }
            if (next < p->narrived) {
                p->daemon[next] = d;
                p->started[next] = p->now;
                p->busy[d] = next;
            }
        }
    }
}

static const struct tag pool_tags[2] = {{"cluster", "burst"}, {"scope", "organization"}};

/* The snapshot a poll at snapshot time st would build: the listed jobs,
 * the daemons, the derived queues. */
static struct snapshot *pool_snapshot(const struct pool *p, double st, bool list_ok)
{
    struct snapshot *s = snapshot_new(st);
    snapshot_add_source(s, CODER_SRC_PROVISIONERS, "coder")->status =
        list_ok ? SOURCE_OK : SOURCE_ERROR;
    if (!list_ok) {
        return s;
    }
    char buf[64];
    for (int d = 0; d < p->ndaemons; d++) {
        struct daemon *dm = snapshot_add_daemon(s);
        snprintf(buf, sizeof buf, "daemon-%d", d);
        dm->id = snapshot_str(s, buf);
        dm->name = snapshot_str(s, buf);
        dm->organization = snapshot_str(s, "coder");
        dm->tags = snapshot_tagset(s, pool_tags, 2);
        dm->status = p->offline[d] ? DAEMON_OFFLINE : p->busy[d] >= 0 ? DAEMON_BUSY : DAEMON_IDLE;
        dm->status_raw = snapshot_str(s, daemon_status_name(dm->status));
        dm->last_seen_at = st;
        if (p->busy[d] >= 0 && !p->offline[d]) {
            snprintf(buf, sizeof buf, "job-%04d", p->busy[d]);
            dm->current_job = snapshot_str(s, buf);
        }
        if (p->prev[d] >= 0) {
            snprintf(buf, sizeof buf, "job-%04d", p->prev[d]);
            dm->previous_job = snapshot_str(s, buf);
            dm->previous_job_status = snapshot_str(s, p->prev_status[d]);
        }
    }
    for (int j = 0; j < p->narrived; j++) {
        if (p->done[j]) {
            continue;
        }
        struct job *jb = snapshot_add_job(s);
        snprintf(buf, sizeof buf, "job-%04d", j);
        jb->id = snapshot_str(s, buf);
        jb->organization = snapshot_str(s, "coder");
        jb->tags = snapshot_tagset(s, pool_tags, 2);
        jb->status = snapshot_str(s, p->daemon[j] >= 0 ? "running" : "pending");
        jb->created_at = p->created[j];
        jb->started_at = p->daemon[j] >= 0 ? p->started[j] : NAN;
    }
    provq_derive(s, st);
    return s;
}

TEST(provsize_tracker_sizes_an_overloaded_pool)
{
    /* 3 daemons, a job every 13.33 s, 60 s builds: 4.5 Erlangs offered to
     * 3 daemons. The deployment's clock starts at T0; scaletop's runs at a
     * twentieth of its speed from another origin, like the simulator's
     * --speed: rates must come out in deployment seconds all the same. */
    static struct pool p;
    const double t0 = 1.7e9;
    pool_init(&p, 3, 40.0 / 3.0, 60, t0);
    struct provsize *t = provsize_new();
    struct snapshot *s = NULL;
    int early_checked = 0;
    for (int k = 1; k <= 200; k++) {
        double api = t0 + 10.0 * k;
        pool_run(&p, api);
        snapshot_unref(s);
        s = pool_snapshot(&p, 1.8e9 + 0.5 * k, true);
        provsize_update(t, s, NULL, 30);
        const struct queue *q = &s->provisioners.queues[0];
        if (k == 40) { /* 400 s watched: too short to size */
            CHECK(q->sizing_window_s < PROVSIZE_MIN_WINDOW_S);
            CHECK(isnan(q->daemons_needed));
            CHECK(isnan(q->arrivals_per_s));
            early_checked = 1;
        }
    }
    CHECK(early_checked);
    CHECK_INT((int)s->provisioners.nqueues, 1);
    const struct queue *q = &s->provisioners.queues[0];
    CHECK(q->sizing_window_s > 1900 && q->sizing_window_s <= 2000);
    CHECK_NEAR(q->arrivals_per_s, 0.075, 0.075 * 0.03);
    CHECK_NEAR(q->build_mean_s, 60, 6);
    CHECK_NEAR(q->load, 4.5, 0.45);
    CHECK(q->daemons_needed >= 7 && q->daemons_needed <= 9);
    CHECK_NEAR(q->peak_running_1h, 3, 0);
    CHECK_NEAR(q->peak_running_1d, 3, 0);
    /* The backlog grows: the queue wait is many minutes, the day's covers the hour. */
    CHECK(q->wait_p95_1h_s > 300);
    CHECK(q->wait_p95_1d_s >= q->wait_p95_1h_s - 1e-9);
    CHECK_INT((int)s->provisioners.nstopped, 0);

    /* The advisor asks for more daemons, critical since the load alone
     * exceeds the daemons there are. */
    struct advisor_thresholds th;
    advisor_thresholds_default(&th);
    CHECK_NEAR(th.provisioner_queue_wait_target_s, 30, 0);
    struct advisor *a = advisor_new(&th);
    advisor_evaluate(a, s, NULL);
    const struct finding *f = NULL;
    for (size_t i = 0; i < s->nfindings; i++) {
        if (strcmp(s->findings[i].rule, "provisioners.daemons_short") == 0) {
            f = &s->findings[i];
        }
    }
    CHECK(f != NULL);
    if (f) {
        CHECK_INT(f->severity, SEV_CRIT);
        CHECK_STR(f->entity, "queue/coder/cluster=burst,scope=organization");
        CHECK(strstr(f->evidence, "daemons=3") != NULL);
    }
    advisor_free(a);
    snapshot_unref(s);
    provsize_free(t);
}

TEST(provsize_tracker_quiet_pool_needs_what_it_has)
{
    /* 4 daemons, a job every 60 s, 60 s builds: 1 Erlang, no queue. */
    static struct pool p;
    const double t0 = 1.7e9;
    pool_init(&p, 4, 60, 60, t0);
    struct provsize *t = provsize_new();
    struct snapshot *s = NULL;
    for (int k = 1; k <= 360; k++) {
        pool_run(&p, t0 + 10.0 * k);
        snapshot_unref(s);
        s = pool_snapshot(&p, 1.8e9 + 10.0 * k, true);
        provsize_update(t, s, NULL, 30);
    }
    const struct queue *q = &s->provisioners.queues[0];
    CHECK_NEAR(q->arrivals_per_s, 1.0 / 60, 0.0005);
    CHECK_NEAR(q->build_mean_s, 60, 6);
    CHECK_NEAR(q->load, 1, 0.1);
    /* M/M/c for 1 Erlang, 60 s builds, p95 wait <= 30 s: 3 daemons. */
    CHECK_NEAR(q->daemons_needed, provsize_daemons_needed(1, 60, 30, 0.95), 0);
    CHECK(q->daemons_needed <= q->daemons);
    CHECK(q->wait_p95_1h_s < 2);
    struct advisor_thresholds th;
    advisor_thresholds_default(&th);
    struct advisor *a = advisor_new(&th);
    advisor_evaluate(a, s, NULL);
    for (size_t i = 0; i < s->nfindings; i++) {
        CHECK(strcmp(s->findings[i].rule, "provisioners.daemons_short") != 0);
    }
    advisor_free(a);
    snapshot_unref(s);
    provsize_free(t);
}

TEST(provsize_stopped_mid_build)
{
    static struct pool p;
    const double t0 = 1.7e9;
    pool_init(&p, 3, 20, 60, t0);
    struct provsize *t = provsize_new();
    double st = 1.8e9;
    struct snapshot *s = NULL;
    for (int k = 1; k <= 10; k++) {
        pool_run(&p, t0 + 10.0 * k);
        snapshot_unref(s);
        s = pool_snapshot(&p, st += 10, true);
        provsize_update(t, s, NULL, 30);
    }
    CHECK_INT((int)s->provisioners.nstopped, 0);
    CHECK(p.busy[1] >= 0);
    int job = p.busy[1];

    /* daemon-1 goes offline with its build (SIGINT): the build fails. */
    p.offline[1] = true;
    p.done[job] = true;
    p.busy[1] = -1;
    p.prev[1] = job;
    p.prev_status[1] = "failed";
    pool_run(&p, t0 + 110);
    snapshot_unref(s);
    s = pool_snapshot(&p, st += 10, true);
    provsize_update(t, s, NULL, 30);
    CHECK_INT((int)s->provisioners.nstopped, 1);
    char want[32];
    snprintf(want, sizeof want, "job-%04d", job);
    if (s->provisioners.nstopped == 1) {
        const struct stopped_daemon *d = &s->provisioners.stopped[0];
        CHECK_STR(d->name, "daemon-1");
        CHECK_STR(d->organization, "coder");
        CHECK_STR(d->job, want);
        CHECK_STR(d->how, "offline");
        CHECK_STR(d->job_status, "failed"); /* the daemon's previous_job says */
        CHECK_NEAR(d->detected_at, st, 0);
        CHECK_INT((int)d->tags.n, 2);
    }
    struct advisor_thresholds th;
    advisor_thresholds_default(&th);
    struct advisor *a = advisor_new(&th);
    advisor_evaluate(a, s, NULL);
    int fired = 0;
    for (size_t i = 0; i < s->nfindings; i++) {
        const struct finding *f = &s->findings[i];
        if (strcmp(f->rule, "provisioners.stopped_mid_build") == 0) {
            fired++;
            CHECK_STR(f->entity, "daemon/daemon-1");
            CHECK_INT(f->severity, SEV_WARN);
            CHECK(strstr(f->evidence, want) != NULL);
        }
    }
    CHECK_INT(fired, 1);
    advisor_free(a);

    /* Listed once, kept for an hour, not counted again. */
    for (int k = 12; k <= 20; k++) {
        pool_run(&p, t0 + 10.0 * k);
        snapshot_unref(s);
        s = pool_snapshot(&p, st += 10, true);
        provsize_update(t, s, NULL, 30);
    }
    CHECK_INT((int)s->provisioners.nstopped, 1);
    snapshot_unref(s);
    s = pool_snapshot(&p, st += PROVSIZE_STOPPED_KEEP_S, true);
    provsize_update(t, s, NULL, 30);
    CHECK_INT((int)s->provisioners.nstopped, 0);
    snapshot_unref(s);
    provsize_free(t);
}

TEST(provsize_no_verdict_across_a_failed_poll)
{
    /* A busy daemon missing after a poll that failed is not "stopped": the
     * list was not read, and the comparison starts again from the next. */
    static struct pool p;
    const double t0 = 1.7e9;
    pool_init(&p, 2, 20, 60, t0);
    struct provsize *t = provsize_new();
    pool_run(&p, t0 + 30);
    struct snapshot *s = pool_snapshot(&p, 1.8e9, true);
    provsize_update(t, s, NULL, 30);
    snapshot_unref(s);
    CHECK(p.busy[0] >= 0);
    s = pool_snapshot(&p, 1.8e9 + 10, false);
    provsize_update(t, s, NULL, 30);
    CHECK_INT((int)s->provisioners.nstopped, 0);
    snapshot_unref(s);
    p.offline[0] = true;
    p.done[p.busy[0]] = true;
    p.busy[0] = -1;
    s = pool_snapshot(&p, 1.8e9 + 20, true);
    provsize_update(t, s, NULL, 30);
    CHECK_INT((int)s->provisioners.nstopped, 0);
    snapshot_unref(s);
    provsize_free(t);
}

TEST(provsize_fields_survive_json)
{
    /* What the recorder stores and replay reads back goes through the JSON
     * contract: every sizing number and the stopped list come back. */
    struct snapshot *s = snapshot_new(1.8e9);
    struct queue *q = snapshot_add_queue(s);
    q->organization = snapshot_str(s, "coder");
    q->tags = snapshot_tagset(s, pool_tags, 2);
    q->wait_p95_1h_s = 301.5;
    q->wait_p95_1d_s = 420;
    q->peak_running_1h = 3;
    q->peak_running_1d = 4;
    q->arrivals_per_s = 0.075;
    q->build_mean_s = 60.25;
    q->load = 4.51875;
    q->sizing_window_s = 1234;
    q->daemons_needed = 8;
    struct queue *q2 = snapshot_add_queue(s); /* all unknown: stays null */
    q2->organization = snapshot_str(s, "platform");
    struct stopped_daemon *d = snapshot_add_stopped_daemon(s);
    d->id = snapshot_str(s, "d-1");
    d->name = snapshot_str(s, "daemon-1");
    d->organization = snapshot_str(s, "coder");
    d->tags = snapshot_tagset(s, pool_tags, 2);
    d->job = snapshot_str(s, "job-0042");
    d->job_status = snapshot_str(s, "running");
    d->how = snapshot_str(s, "gone");
    d->detected_at = 1.8e9 - 30;
    d->last_seen_at = 1.8e9 - 95;
    char *text = snapshot_json_dump(s, 0);
    struct err e;
    struct snapshot *r = snapshot_json_parse(text, strlen(text), &e);
    CHECK(r != NULL);
    if (r) {
        CHECK_INT((int)r->provisioners.nqueues, 2);
        const struct queue *a = &r->provisioners.queues[0];
        CHECK_NEAR(a->wait_p95_1h_s, 301.5, 0);
        CHECK_NEAR(a->wait_p95_1d_s, 420, 0);
        CHECK_NEAR(a->peak_running_1h, 3, 0);
        CHECK_NEAR(a->peak_running_1d, 4, 0);
        CHECK_NEAR(a->arrivals_per_s, 0.075, 0);
        CHECK_NEAR(a->build_mean_s, 60.25, 0);
        CHECK_NEAR(a->load, 4.51875, 0);
        CHECK_NEAR(a->sizing_window_s, 1234, 0);
        CHECK_NEAR(a->daemons_needed, 8, 0);
        const struct queue *b = &r->provisioners.queues[1];
        CHECK(isnan(b->daemons_needed) && isnan(b->load) && isnan(b->wait_p95_1h_s));
        CHECK_INT((int)r->provisioners.nstopped, 1);
        const struct stopped_daemon *x = &r->provisioners.stopped[0];
        CHECK_STR(x->name, "daemon-1");
        CHECK_STR(x->id, "d-1");
        CHECK_STR(x->job, "job-0042");
        CHECK_STR(x->job_status, "running");
        CHECK_STR(x->how, "gone");
        CHECK_INT((int)x->tags.n, 2);
        CHECK_NEAR(x->detected_at, 1.8e9 - 30, 1e-3);
        CHECK_NEAR(x->last_seen_at, 1.8e9 - 95, 1e-3);
        char *again = snapshot_json_dump(r, 0);
        CHECK_STR(again, text);
        free(again);
    }
    free(text);
    snapshot_unref(r);
    snapshot_unref(s);
}

TEST(provsize_stopped_with_a_job_taken_since_the_last_poll)
{
    /* Between two polls daemon-0 finishes the job we saw, takes another and
     * is killed with it: the entry names the second job, from the daemon's
     * previous_job. daemon-1 finishes its job and then stops (SIGHUP): its
     * last job succeeded, so it is not listed. */
    static struct pool p;
    const double t0 = 1.7e9;
    pool_init(&p, 2, 1000, 60, t0);
    p.narrived = 2;
    pool_run(&p, t0 + 10);
    CHECK(p.busy[0] == 0 && p.busy[1] == 1);
    struct provsize *t = provsize_new();
    struct snapshot *s = pool_snapshot(&p, 1.8e9, true);
    provsize_update(t, s, NULL, 30);
    snapshot_unref(s);
    p.done[0] = p.done[1] = true;
    p.busy[0] = p.busy[1] = -1;
    p.prev[0] = 7; /* another job, canceled with the daemon */
    p.prev_status[0] = "canceled";
    p.prev[1] = 1;
    p.prev_status[1] = "succeeded";
    p.offline[0] = p.offline[1] = true;
    s = pool_snapshot(&p, 1.8e9 + 10, true);
    provsize_update(t, s, NULL, 30);
    CHECK_INT((int)s->provisioners.nstopped, 1);
    if (s->provisioners.nstopped == 1) {
        CHECK_STR(s->provisioners.stopped[0].name, "daemon-0");
        CHECK_STR(s->provisioners.stopped[0].job, "job-0007");
        CHECK_STR(s->provisioners.stopped[0].job_status, "canceled");
    }
    snapshot_unref(s);
    provsize_free(t);
}

TEST(provsize_daemon_previous_job_parsed)
{
    /* The CLI's JSON of a daemon list (same shape as the API's) names the
     * last job a daemon ran and its status. */
    size_t len = 0;
    char *body = test_read_file(test_shared_path("fixtures/coder/golden/73bd08da/cli/testdata/"
                                                 "coder_provisioner_list_--output_json.golden"),
                                &len);
    CHECK(body != NULL);
    if (!body) {
        return;
    }
    struct snapshot *s = snapshot_new(1.8e9);
    struct err e;
    CHECK(coder_parse_daemons(s, "coder", body, len, &e) == 0);
    CHECK_INT((int)s->provisioners.ndaemons, 1);
    if (s->provisioners.ndaemons == 1) {
        const struct daemon *d = &s->provisioners.daemons[0];
        CHECK(d->current_job == NULL);
        CHECK_STR(d->previous_job, "======[workspace build job ID]======");
        CHECK_STR(d->previous_job_status, "succeeded");
    }
    snapshot_unref(s);
    free(body);
}

TEST(provsize_rule_severities)
{
    /* Short but keeping up: warn. Short and overloaded: crit. Unknown or
     * enough: quiet. */
    static const struct {
        double daemons, load, needed;
        int want; /* -1: no finding */
    } cases[] = {
        {5, 4.5, 8, SEV_WARN}, {3, 4.5, 8, SEV_CRIT},   {8, 4.5, 8, -1},
        {5, NAN, NAN, -1},     {NAN, 0.5, 2, SEV_CRIT},
    };
    struct advisor_thresholds th;
    advisor_thresholds_default(&th);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct snapshot *s = snapshot_new(1.8e9);
        struct queue *q = snapshot_add_queue(s);
        q->organization = snapshot_str(s, "coder");
        q->tags = snapshot_tagset(s, pool_tags, 2);
        q->daemons = cases[i].daemons;
        q->load = cases[i].load;
        q->daemons_needed = cases[i].needed;
        struct advisor *a = advisor_new(&th);
        advisor_evaluate(a, s, NULL);
        int got = -1;
        for (size_t k = 0; k < s->nfindings; k++) {
            if (strcmp(s->findings[k].rule, "provisioners.daemons_short") == 0) {
                got = (int)s->findings[k].severity;
            }
        }
        if (got != cases[i].want) {
            test_fail(__FILE__, __LINE__, "case %zu: severity %d, want %d", i, got, cases[i].want);
        }
        advisor_free(a);
        snapshot_unref(s);
    }
}
