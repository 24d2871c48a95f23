/* backend/seriescache and the history origin: Prometheus range reads
 * through the console's asynchronous cache against a real loopback server
 * that answers only when the test lets it (so "never waits" is shown
 * without timing anything), the tally of where a pane's history came from,
 * and the "history: ..." label in a rendered snapshot. */
#include "backend/promapi.h"
#include "backend/series.h"
#include "backend/seriescache.h"
#include "tests/lib/fixsnap.h"
#include "tests/lib/loopsrv.h"
#include "tests/lib/test.h"
#include "tui/textrender.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- a Prometheus that answers when the gate opens ---- */

struct gate {
    pthread_mutex_t mu;
    bool open;
    int inside;   /* requests being held */
    int answered; /* range requests answered */
};

static bool gate_get(struct gate *g, bool *open, int *inside, int *answered)
{
    pthread_mutex_lock(&g->mu);
    if (open) {
        *open = g->open;
    }
    if (inside) {
        *inside = g->inside;
    }
    if (answered) {
        *answered = g->answered;
    }
    pthread_mutex_unlock(&g->mu);
    return true;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void gated_fn(void *ctx, const struct loopsrv_req *rq, struct loopsrv_resp *out)
{
    struct gate *g = ctx;
    pthread_mutex_lock(&g->mu);
    g->inside++;
    pthread_mutex_unlock(&g->mu);
    /* bounded: 30 s at most, whatever the test does */
    for (int i = 0; i < 3000; i++) {
        bool open;
        gate_get(g, &open, NULL, NULL);
        if (open) {
            break;
        }
        nap_ms(10);
    }
    pthread_mutex_lock(&g->mu);
    g->inside--;
    g->answered++;
    pthread_mutex_unlock(&g->mu);
    out->status = 200;
    out->content_type = "application/json";
    if (strcmp(rq->path, "/api/v1/query_range") != 0) {
        out->body = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}";
        return;
    }
    /* points at 1005 .. 1055: columns of 20 s over [1000, 1100] read 2, 6, 9 */
    out->body = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{"
                "\"metric\":{\"instance\":\"127.0.0.1:9100\"},\"values\":[[1005,\"1\"],"
                "[1015,\"3\"],[1025,\"5\"],[1035,\"7\"],[1045,\"NaN\"],[1055,\"9\"]]}]}}";
}

static void gate_open(struct gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->open = true;
    pthread_mutex_unlock(&g->mu);
}

/* Waits (bounded: 20 s) until cond(g) holds. */
static bool wait_until(bool (*cond)(void *), void *arg)
{
    for (int i = 0; i < 2000; i++) {
        if (cond(arg)) {
            return true;
        }
        nap_ms(10);
    }
    return cond(arg);
}

static bool held(void *arg)
{
    int inside;
    gate_get(arg, NULL, &inside, NULL);
    return inside > 0;
}

static bool idle(void *arg)
{
    return seriescache_pending(arg) == 0;
}

struct wakes {
    pthread_mutex_t mu;
    int n;
};

static void on_wake(void *ctx)
{
    struct wakes *w = ctx;
    pthread_mutex_lock(&w->mu);
    w->n++;
    pthread_mutex_unlock(&w->mu);
}

static int wakes_get(struct wakes *w)
{
    pthread_mutex_lock(&w->mu);
    int n = w->n;
    pthread_mutex_unlock(&w->mu);
    return n;
}

struct freed {
    pthread_mutex_t mu;
    bool done;
};

static struct freed freed_flag = {PTHREAD_MUTEX_INITIALIZER, false};

static void free_range(void *pr)
{
    promapi_range_free(pr);
    pthread_mutex_lock(&freed_flag.mu);
    freed_flag.done = true;
    pthread_mutex_unlock(&freed_flag.mu);
}

static bool range_freed(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&freed_flag.mu);
    bool d = freed_flag.done;
    pthread_mutex_unlock(&freed_flag.mu);
    return d;
}

static char url_buf[128];

static struct promapi_range *range_for(const char *url)
{
    struct config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.connect_timeout_s = 1;
    cfg.request_timeout_s = 30;
    snprintf(url_buf, sizeof url_buf, "%s", url);
    cfg.prometheus_url = url_buf;
    struct promapi_range *pr = promapi_range_new(&cfg);
    struct snapshot *snap = snapshot_new(1000);
    struct server *sv = snapshot_add_server(snap);
    sv->hostname = snapshot_str(snap, "coder-1");
    sv->metrics_target = snapshot_str(snap, "127.0.0.1:9100");
    promapi_range_learn(pr, snap);
    snapshot_unref(snap);
    return pr;
}

TEST(cache_answers_at_once_and_fetches_once)
{
    struct gate g = {PTHREAD_MUTEX_INITIALIZER, false, 0, 0};
    struct wakes w = {PTHREAD_MUTEX_INITIALIZER, 0};
    struct loopsrv *s = loopsrv_start(gated_fn, &g);
    CHECK(s != NULL);
    if (!s) {
        return;
    }
    struct promapi_range *pr = range_for(loopsrv_url(s));
    struct series_source slow = promapi_range_source(pr);
    struct err e = {{0}};
    struct seriescache *c = seriescache_new(&slow, free_range, on_wake, &w, &e);
    CHECK(c != NULL);
    struct series_source src = seriescache_source(c);
    const char *name = "server/coder-1/api_p95_ms";
    double v[10];

    /* Nothing cached: an answer at once, with nothing in it, and one read queued. */
    CHECK_INT(src.range(src.ctx, name, 1000, 1100, 5, v), 0);
    CHECK(isnan(v[0]));
    CHECK_INT(seriescache_pending(c), 1);
    /* While Prometheus holds the request, reads still answer (they would
     * hang here otherwise) and the same window is not asked twice. */
    CHECK(wait_until(held, &g));
    CHECK_INT(src.range(src.ctx, name, 1000, 1100, 5, v), 0);
    CHECK_INT(src.range(src.ctx, name, 1001, 1101, 5, v), 0); /* within half a column */
    CHECK_INT(seriescache_pending(c), 1);
    CHECK_INT(wakes_get(&w), 0);

    gate_open(&g);
    CHECK(wait_until(idle, c));
    CHECK(wakes_get(&w) >= 1); /* the UI is told to draw again */
    CHECK_INT(src.range(src.ctx, name, 1000, 1100, 5, v), 5);
    CHECK_NEAR(v[0], 2, 0);
    CHECK_NEAR(v[1], 6, 0);
    CHECK_NEAR(v[2], 9, 0);
    CHECK(isnan(v[3]));
    /* from the cache: no new request */
    CHECK_INT(src.range(src.ctx, name, 1000, 1100, 5, v), 5);
    CHECK_INT(seriescache_pending(c), 0);
    CHECK_INT(seriescache_fetches(c), 1);
    int answered;
    gate_get(&g, NULL, NULL, &answered);
    CHECK_INT(answered, 1);

    /* The window moved by a column: the old result, re-binned, at once,
     * and one fetch for the new window. */
    CHECK_INT(src.range(src.ctx, name, 1020, 1120, 5, v), 5);
    CHECK_NEAR(v[0], 6, 0);
    CHECK_NEAR(v[1], 9, 0);
    CHECK(isnan(v[4]));
    CHECK(wait_until(idle, c));
    CHECK_INT(seriescache_fetches(c), 2);
    /* A different column count is a different read. */
    CHECK_INT(src.range(src.ctx, name, 1000, 1100, 10, v), 0);
    CHECK(wait_until(idle, c));
    CHECK_INT(seriescache_fetches(c), 3);
    /* Two charts of one series over different spans (a sparkline and a
     * peak) keep a result each: drawn again and again, nothing is fetched
     * again (else every frame would refetch and wake the next). */
    src.range(src.ctx, name, 1020, 1120, 5, v);
    src.range(src.ctx, name, 620, 1120, 5, v);
    CHECK(wait_until(idle, c));
    unsigned long f = seriescache_fetches(c);
    for (int i = 0; i < 3; i++) {
        src.range(src.ctx, name, 1020, 1120, 5, v);
        src.range(src.ctx, name, 620, 1120, 5, v);
    }
    CHECK_INT(seriescache_pending(c), 0);
    CHECK_INT(seriescache_fetches(c), f);
    CHECK_INT(src.range(src.ctx, name, 1020, 1120, 5, v), 5);
    CHECK_NEAR(v[0], 6, 0); /* still this window's own result */

    seriescache_free(c);
    CHECK(wait_until(range_freed, NULL)); /* the client went with the worker */
    loopsrv_stop(s);
}

TEST(cache_free_does_not_wait_for_a_hanging_read)
{
    struct gate g = {PTHREAD_MUTEX_INITIALIZER, false, 0, 0};
    struct wakes w = {PTHREAD_MUTEX_INITIALIZER, 0};
    struct loopsrv *s = loopsrv_start(gated_fn, &g);
    CHECK(s != NULL);
    if (!s) {
        return;
    }
    pthread_mutex_lock(&freed_flag.mu);
    freed_flag.done = false;
    pthread_mutex_unlock(&freed_flag.mu);
    struct promapi_range *pr = range_for(loopsrv_url(s));
    struct series_source slow = promapi_range_source(pr);
    struct err e = {{0}};
    struct seriescache *c = seriescache_new(&slow, free_range, on_wake, &w, &e);
    struct series_source src = seriescache_source(c);
    double v[5];
    CHECK_INT(src.range(src.ctx, "server/coder-1/cpu_cores", 1000, 1100, 5, v), 0);
    CHECK(wait_until(held, &g));
    seriescache_free(c);
    /* free returned while Prometheus still holds the request */
    CHECK(held(&g));
    CHECK(!range_freed(NULL));
    gate_open(&g);
    CHECK(wait_until(range_freed, NULL));
    CHECK_INT(wakes_get(&w), 0); /* never after free */
    loopsrv_stop(s);
}

/* ---- where a pane's history came from ---- */

/* The "file": values in the newer half of any window. */
static size_t half_local(void *ctx, const char *series, double from, double to, size_t n,
                         double *out)
{
    (void)ctx;
    (void)series;
    (void)from;
    (void)to;
    for (size_t i = 0; i < n; i++) {
        out[i] = i >= n / 2 ? 50 : NAN;
    }
    return n;
}

/* "Prometheus": values everywhere. */
static size_t all_remote(void *ctx, const char *series, double from, double to, size_t n,
                         double *out)
{
    (void)ctx;
    (void)from;
    (void)to;
    bool known = strncmp(series, "server/", 7) == 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = known ? 10 : NAN;
    }
    return known ? n : 0;
}

TEST(tally_combines_origins)
{
    struct series_source local = {NULL, half_local}, remote = {NULL, all_remote}, none = {0};
    struct series_source *fb = series_source_fallback(&local, &remote);
    struct series_tally t;
    series_tally_init(&t, fb);
    double v[8];
    CHECK_INT(series_tally_take(&t), SERIES_ORIGIN_NONE);
    CHECK_INT(t.self.range(t.self.ctx, "server/a/api_p95_ms", 0, 80, 8, v), 8);
    CHECK_NEAR(v[0], 10, 0); /* older than the file: Prometheus */
    CHECK_NEAR(v[7], 50, 0);
    CHECK_INT(series_tally_take(&t), SERIES_ORIGIN_MIXED);
    CHECK_INT(series_tally_take(&t), SERIES_ORIGIN_NONE); /* taken: a new tally */
    /* a series Prometheus does not have: local only */
    CHECK_INT(t.self.range(t.self.ctx, "postgres/connections/used", 0, 80, 8, v), 8);
    CHECK_INT(series_tally_take(&t), SERIES_ORIGIN_LOCAL);
    series_source_fallback_free(fb);

    /* no history file: Prometheus alone */
    fb = series_source_fallback(&none, &remote);
    series_tally_init(&t, fb);
    CHECK_INT(t.self.range(t.self.ctx, "server/a/cpu_cores", 0, 80, 8, v), 8);
    enum series_origin o;
    /* a tally under series_range_origin reports its source's origin */
    CHECK_INT(series_range_origin(&t.self, "server/a/cpu_cores", 0, 80, 8, v, &o, NULL), 8);
    CHECK_INT(o, SERIES_ORIGIN_REMOTE);
    CHECK_INT(series_tally_take(&t), SERIES_ORIGIN_REMOTE);
    series_source_fallback_free(fb);
}

/* The line of text holding needle, "" if none. */
static const char *line_with(const char *text, const char *needle, char *buf, size_t n)
{
    const char *p = strstr(text, needle);
    buf[0] = '\0';
    if (!p) {
        return buf;
    }
    const char *b = p;
    while (b > text && b[-1] != '\n') {
        b--;
    }
    const char *e = strchr(p, '\n');
    size_t len = e ? (size_t)(e - b) : strlen(b);
    snprintf(buf, n, "%.*s", (int)(len < n ? len : n - 1), b);
    return buf;
}

TEST(rendered_pane_says_where_its_history_came_from)
{
    struct snapshot *s = fixsnap_steady();
    struct series_source local = {NULL, half_local}, remote = {NULL, all_remote}, none = {0};
    char line[400];

    /* local only: no label, as before */
    char *t = textrender_snapshot(s, &local, 120, true, true);
    CHECK(strstr(t, "history:") == NULL);
    free(t);

    struct series_source *fb = series_source_fallback(&local, &remote);
    t = textrender_snapshot(s, fb, 120, true, true);
    /* on the Servers pane's bottom edge, right after its row */
    CHECK(strstr(line_with(t, "history: local+prometheus", line, sizeof line), "+-") != NULL);
    CHECK(strstr(t, "history: prometheus") == NULL);
    free(t);
    series_source_fallback_free(fb);

    fb = series_source_fallback(&none, &remote);
    t = textrender_snapshot(s, fb, 120, true, true);
    CHECK(strstr(t, "history: prometheus ") != NULL);
    free(t);
    series_source_fallback_free(fb);
    snapshot_unref(s);
}
