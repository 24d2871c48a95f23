/* The collector with test-only sources: one that answers, one that fails,
 * ones that hang for their own timeout, one that ignores it, one disabled,
 * and a Coder/metrics pair that must run in order on one snapshot. Checks
 * what a user would see: the cycle comes back on time, every source carries
 * the right status, and published snapshots are handed over safely to
 * concurrent readers. */
#include "backend/collect.h"
#include "tests/lib/test.h"

#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct fake {
    const struct config *cfg;
    int polls; /* poller thread only */
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nap(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    nanosleep(&ts, NULL);
}

static void *fake_create(const struct config *cfg)
{
    struct fake *f = calloc(1, sizeof *f);
    f->cfg = cfg;
    return f;
}

static void *fake_create_never(const struct config *cfg)
{
    (void)cfg;
    return NULL;
}

static void fake_destroy(void *state)
{
    free(state);
}

static void ok_poll(void *state, struct snapshot *snap, double now)
{
    struct fake *f = state;
    struct source_state *s = snapshot_add_source(snap, "fake-ok", "fake-ok");
    s->status = SOURCE_OK;
    s->last_ok = now;
    s->latency_ms = 1;
    struct server *v = snapshot_add_server(snap);
    v->hostname = snapshot_str(snap, "ok-host");
    v->requests_per_s = ++f->polls; /* which poll this snapshot came from */
}

static void fail_poll(void *state, struct snapshot *snap, double now)
{
    (void)state;
    (void)now;
    struct source_state *s = snapshot_add_source(snap, "fake-fail", "fake-fail");
    s->status = SOURCE_ERROR;
    s->reason = REASON_UNREACHABLE;
    s->error = snapshot_str(snap, "connect: connection refused");
}

/* Hangs, but gives up at its own timeout, as every poller must. */
static void hang_poll(void *state, struct snapshot *snap, double now)
{
    struct fake *f = state;
    (void)now;
    nap(f->cfg->request_timeout_s);
    struct source_state *s = snapshot_add_source(snap, "fake-hang", "fake-hang");
    s->status = SOURCE_ERROR;
    s->reason = REASON_TIMEOUT;
    s->error = snapshot_str(snap, "no answer within the timeout");
}

static void hang2_poll(void *state, struct snapshot *snap, double now)
{
    hang_poll(state, snap, now);
    snap->sources[snap->nsources - 1].name = snapshot_str(snap, "fake-hang2");
}

/* A broken poller that ignores its timeout. */
static void stuck_poll(void *state, struct snapshot *snap, double now)
{
    (void)state;
    (void)now;
    nap(1.2);
    struct source_state *s = snapshot_add_source(snap, "fake-stuck", "fake-stuck");
    s->status = SOURCE_OK;
}

/* Answers once, then fails. */
static void flip_poll(void *state, struct snapshot *snap, double now)
{
    struct fake *f = state;
    struct source_state *s = snapshot_add_source(snap, "fake-flip", "fake-flip");
    if (f->polls++ == 0) {
        s->status = SOURCE_OK;
        s->last_ok = now;
    } else {
        s->status = SOURCE_STALE;
        s->reason = REASON_SERVER_ERROR;
        s->error = snapshot_str(snap, "HTTP 503");
    }
}

static void coder_poll(void *state, struct snapshot *snap, double now)
{
    (void)state;
    struct source_state *s = snapshot_add_source(snap, "coder-api", "coder");
    s->status = SOURCE_OK;
    s->last_ok = now;
    nap(0.05); /* metrics must still see the replicas: it runs after this returns */
    snapshot_add_server(snap)->hostname = snapshot_str(snap, "coder-0");
    snapshot_add_server(snap)->hostname = snapshot_str(snap, "coder-1");
}

/* Reads what the Coder poller wrote into the same snapshot. */
static void metrics_poll(void *state, struct snapshot *snap, double now)
{
    (void)state;
    struct source_state *s = snapshot_add_source(snap, "metrics", "metrics");
    for (size_t i = 0; i < snap->nservers; i++) {
        snap->servers[i].cpu_cores = 0.5;
    }
    s->status = snap->nservers ? SOURCE_OK : SOURCE_ERROR;
    s->last_ok = snap->nservers ? now : NAN;
    s->error = snap->nservers ? NULL : snapshot_str(snap, "no replicas to match");
}

static void pg_disabled(struct snapshot *snap)
{
    struct source_state *s = snapshot_add_source(snap, "postgres", "postgres");
    s->status = SOURCE_DISABLED;
    s->reason = REASON_NOT_CONFIGURED;
    s->hint = snapshot_str(snap, "set --pg CONNINFO or PGHOST to enable");
}

static void never_poll(void *state, struct snapshot *snap, double now)
{
    (void)state;
    (void)snap;
    (void)now;
    test_fail(__FILE__, __LINE__, "a disabled source was polled");
}

static const struct source_ops ok_ops = {"fake-ok", fake_create, ok_poll, NULL, fake_destroy};
static const struct source_ops fail_ops = {"fake-fail", fake_create, fail_poll, NULL, fake_destroy};
static const struct source_ops hang_ops = {"fake-hang", fake_create, hang_poll, NULL, fake_destroy};
static const struct source_ops hang2_ops = {"fake-hang2", fake_create, hang2_poll, NULL,
                                            fake_destroy};
static const struct source_ops stuck_ops = {"fake-stuck", fake_create, stuck_poll, NULL,
                                            fake_destroy};
static const struct source_ops flip_ops = {"fake-flip", fake_create, flip_poll, NULL, fake_destroy};
static const struct source_ops coder_ops = {"coder", fake_create, coder_poll, NULL, fake_destroy};
static const struct source_ops metrics_ops = {"metrics", fake_create, metrics_poll, NULL,
                                              fake_destroy};
static const struct source_ops pg_ops = {"postgres", fake_create_never, never_poll, pg_disabled,
                                         fake_destroy};

static const struct source_ops k8s_bare_ops = {"kubernetes", fake_create_never, never_poll, NULL,
                                               fake_destroy};

static void test_config(struct config *cfg, double timeout_s)
{
    config_defaults(cfg);
    cfg->request_timeout_s = timeout_s;
    cfg->connect_timeout_s = timeout_s;
}

static const struct source_state *find(const struct snapshot *s, const char *name)
{
    const struct source_state *src = snapshot_find_source(s, name);
    if (!src) {
        test_fail(__FILE__, __LINE__, "no source '%s' in the snapshot", name);
    }
    return src;
}

static int count_named(const struct snapshot *s, const char *name)
{
    int n = 0;
    for (size_t i = 0; i < s->nsources; i++) {
        n += s->sources[i].name && strcmp(s->sources[i].name, name) == 0;
    }
    return n;
}

TEST(ok_fail_hang_statuses_and_on_time)
{
    struct config cfg;
    test_config(&cfg, 0.4);
    const struct source_ops *ops[] = {&ok_ops, &fail_ops, &hang_ops};
    struct collect *c = collect_new(&cfg, ops, 3);
    double t0 = mono();
    struct snapshot *s = collect_cycle(c);
    double took = mono() - t0;
    /* The hang bounds the cycle; nothing else adds to it. */
    CHECK(took >= 0.35);
    CHECK(took < 1.4);
    const struct source_state *ok = find(s, "fake-ok");
    const struct source_state *fail = find(s, "fake-fail");
    const struct source_state *hang = find(s, "fake-hang");
    if (ok && fail && hang) {
        CHECK_INT(ok->status, SOURCE_OK);
        CHECK(!isnan(ok->last_ok));
        CHECK_INT(fail->status, SOURCE_ERROR);
        CHECK_STR(fail->error, "connect: connection refused");
        CHECK(isnan(fail->last_ok));
        CHECK_INT(hang->status, SOURCE_ERROR);
        CHECK_INT(hang->reason, REASON_TIMEOUT);
    }
    CHECK_INT(s->nservers, 1);
    /* Kinds with no poller linked still appear, disabled, with their hint. */
    const struct source_state *pg = find(s, "postgres");
    if (pg) {
        CHECK_INT(pg->status, SOURCE_DISABLED);
        CHECK(pg->hint && strstr(pg->hint, "--pg") != NULL);
    }
    const struct source_state *coder = find(s, "coder-api");
    if (coder) {
        CHECK_INT(coder->status, SOURCE_DISABLED);
        CHECK(coder->hint && strstr(coder->hint, "--coder-url") != NULL);
    }
    CHECK(find(s, "kubernetes") != NULL);
    snapshot_unref(s);
    collect_free(c);
}

TEST(independent_sources_poll_concurrently)
{
    struct config cfg;
    test_config(&cfg, 0.6);
    const struct source_ops *ops[] = {&hang_ops, &hang2_ops, &ok_ops};
    struct collect *c = collect_new(&cfg, ops, 3);
    double t0 = mono();
    struct snapshot *s = collect_cycle(c);
    double took = mono() - t0;
    /* Two 0.6 s hangs one after the other would take 1.2 s. */
    CHECK(took < 1.1);
    CHECK(find(s, "fake-hang") && find(s, "fake-hang2") && find(s, "fake-ok"));
    snapshot_unref(s);
    collect_free(c);
}

TEST(overrunning_poller_is_abandoned_and_reported)
{
    struct config cfg;
    test_config(&cfg, 0.2);
    const struct source_ops *ops[] = {&stuck_ops, &ok_ops};
    struct collect *c = collect_new(&cfg, ops, 2);
    collect_set_deadline(c, 0.3);
    double t0 = mono();
    struct snapshot *s = collect_cycle(c);
    double took = mono() - t0;
    CHECK(took < 1.0); /* the stuck poller sleeps 1.2 s */
    const struct source_state *st = find(s, "fake-stuck");
    if (st) {
        CHECK_INT(st->status, SOURCE_ERROR);
        CHECK_INT(st->reason, REASON_TIMEOUT);
        CHECK(st->error && strstr(st->error, "did not finish") != NULL);
    }
    const struct source_state *ok = find(s, "fake-ok");
    CHECK(ok && ok->status == SOURCE_OK);
    snapshot_unref(s);
    /* Still running: skipped, said so, and the other source is unaffected. */
    s = collect_cycle(c);
    st = find(s, "fake-stuck");
    if (st) {
        CHECK(st->error && strstr(st->error, "still running") != NULL);
    }
    ok = find(s, "fake-ok");
    CHECK(ok && ok->status == SOURCE_OK);
    snapshot_unref(s);
    collect_free(c); /* waits for the stuck poller */
}

TEST(chain_runs_in_order_on_one_snapshot)
{
    struct config cfg;
    test_config(&cfg, 1);
    /* The list order is the poll order: metrics must see coder's replicas. */
    const struct source_ops *ops[] = {&coder_ops, &metrics_ops, &pg_ops, &k8s_bare_ops};
    struct collect *c = collect_new(&cfg, ops, 4);
    struct snapshot *s = collect_cycle(c);
    CHECK_INT(s->nservers, 2);
    for (size_t i = 0; i < s->nservers; i++) {
        CHECK_NEAR(s->servers[i].cpu_cores, 0.5, 0);
    }
    const struct source_state *m = find(s, "metrics");
    CHECK(m && m->status == SOURCE_OK);
    /* The linked postgres kind reports itself, once, through add_disabled. */
    CHECK_INT(count_named(s, "postgres"), 1);
    CHECK_INT(count_named(s, "coder-api"), 1);
    const struct source_state *pg = find(s, "postgres");
    CHECK(pg && pg->status == SOURCE_DISABLED && pg->hint);
    /* A linked kind with no add_disabled still shows, with the built-in hint. */
    CHECK_INT(count_named(s, "kubernetes"), 1);
    const struct source_state *k = find(s, "kubernetes");
    CHECK(k && k->status == SOURCE_DISABLED && k->hint && strstr(k->hint, "--kubeconfig"));
    snapshot_unref(s);
    collect_free(c);
}

TEST(one_shot_polls_twice_window_apart)
{
    struct config cfg;
    test_config(&cfg, 1);
    const struct source_ops *ops[] = {&ok_ops};
    struct collect *c = collect_new(&cfg, ops, 1);
    double t0 = mono();
    struct snapshot *s = collect_once(c, 0.3);
    double took = mono() - t0;
    CHECK(took >= 0.29);
    CHECK_INT(s->nservers, 1);
    if (s->nservers == 1) {
        CHECK_NEAR(s->servers[0].requests_per_s, 2, 0); /* the second poll's snapshot */
    }
    snapshot_unref(s);
    collect_free(c);
}

TEST(last_ok_survives_a_failure)
{
    struct config cfg;
    test_config(&cfg, 1);
    const struct source_ops *ops[] = {&flip_ops};
    struct collect *c = collect_new(&cfg, ops, 1);
    struct snapshot *a = collect_cycle(c);
    nap(0.02);
    struct snapshot *b = collect_cycle(c);
    const struct source_state *sa = find(a, "fake-flip"), *sb = find(b, "fake-flip");
    if (sa && sb) {
        CHECK_INT(sa->status, SOURCE_OK);
        CHECK_INT(sb->status, SOURCE_STALE);
        CHECK_NEAR(sb->last_ok, sa->last_ok, 0);
        CHECK(b->time > sb->last_ok);
    }
    snapshot_unref(a);
    snapshot_unref(b);
    collect_free(c);
}

struct reader {
    struct collect *c;
    int seen, errors;
};

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    double last = 0;
    for (int i = 0; i < 2000; i++) {
        struct snapshot *s = collect_latest(r->c);
        if (s) {
            r->seen++;
            const struct source_state *ok = snapshot_find_source(s, "fake-ok");
            if (s->nservers == 0) {
                /* the initial snapshot, published before any answer */
                r->errors += !ok || ok->status != SOURCE_NEVER || last > 0;
            } else {
                double poll = s->servers[0].requests_per_s;
                r->errors += !ok || ok->status != SOURCE_OK || poll < last;
                last = poll;
            }
            snapshot_unref(s);
        }
        if (i % 50 == 0) {
            nap(0.001);
        }
    }
    return NULL;
}

static void count_sink(void *ctx, struct snapshot *snap)
{
    int *n = ctx;
    (*n)++;
    CHECK(snap->nservers == 1);
}

TEST(background_first_snapshot_is_immediate_and_sink_sees_each)
{
    struct config cfg;
    test_config(&cfg, 1);
    const struct source_ops *ops[] = {&hang_ops, &pg_ops};
    struct collect *c = collect_new(&cfg, ops, 2);
    struct err e;
    CHECK(collect_start(c, 10, &e) == 0);
    /* The hang takes 1 s; the console must not wait for it to draw. */
    struct snapshot *s = collect_latest(c);
    CHECK(s != NULL);
    if (s) {
        const struct source_state *h = find(s, "fake-hang");
        CHECK(h && h->status == SOURCE_NEVER);
        const struct source_state *pg = find(s, "postgres");
        CHECK(pg && pg->status == SOURCE_DISABLED && pg->hint);
        CHECK(find(s, "coder-api") != NULL);
        snapshot_unref(s);
    }
    collect_stop(c);
    collect_free(c);

    int n = 0;
    const struct source_ops *ok[] = {&ok_ops};
    c = collect_new(&cfg, ok, 1);
    collect_set_sink(c, count_sink, &n);
    CHECK(collect_start(c, 0.01, &e) == 0);
    for (int i = 0; i < 500 && collect_published(c) < 4; i++) {
        nap(0.01);
    }
    collect_stop(c);
    /* Every published snapshot but the initial one went through the sink. */
    CHECK_INT(n, (long long)collect_published(c) - 1);
    CHECK(n >= 3);
    collect_free(c);
}

TEST(background_publish_and_latest_under_concurrency)
{
    struct config cfg;
    test_config(&cfg, 1);
    const struct source_ops *ops[] = {&ok_ops};
    struct collect *c = collect_new(&cfg, ops, 1);
    CHECK(collect_latest(c) == NULL);
    struct err e;
    CHECK(collect_start(c, 0.005, &e) == 0);
    CHECK(collect_start(c, 0.005, &e) == -1);
    struct reader readers[3];
    pthread_t threads[3];
    for (int i = 0; i < 3; i++) {
        readers[i] = (struct reader){c, 0, 0};
        pthread_create(&threads[i], NULL, reader_main, &readers[i]);
    }
    /* The console's loop: wait on the wake-up pipe, drain, read latest. */
    int wakeups = 0;
    double deadline = mono() + 5;
    while (wakeups < 5 && mono() < deadline) {
        struct pollfd pfd = {collect_wake_fd(c), POLLIN, 0};
        if (poll(&pfd, 1, 200) > 0) {
            char buf[64];
            while (read(pfd.fd, buf, sizeof buf) > 0) {
            }
            wakeups++;
            struct snapshot *s = collect_latest(c);
            CHECK(s != NULL);
            snapshot_unref(s);
        }
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(threads[i], NULL);
        CHECK_INT(readers[i].errors, 0);
    }
    collect_stop(c);
    CHECK(wakeups >= 5);
    CHECK(collect_published(c) >= 5);
    struct snapshot *s = collect_latest(c);
    CHECK(s != NULL);
    snapshot_unref(s);
    collect_stop(c);
    collect_free(c);
}

TEST(nothing_linked_everything_disabled_with_hints)
{
    struct config cfg;
    test_config(&cfg, 1);
    char conninfo[] = "host=db";
    cfg.pg_conninfo = conninfo; /* configured, but no poller in this list */
    struct collect *c = collect_new(&cfg, NULL, 0);
    struct snapshot *s = collect_once(c, 3); /* no source: returns without waiting */
    CHECK(s->nsources >= 6);
    for (size_t i = 0; i < s->nsources; i++) {
        CHECK_INT(s->sources[i].status, SOURCE_DISABLED);
        if (strcmp(s->sources[i].name, "postgres") == 0) {
            CHECK(s->sources[i].error != NULL);
        } else {
            CHECK(s->sources[i].hint != NULL);
        }
    }
    snapshot_unref(s);
    collect_free(c);
}
