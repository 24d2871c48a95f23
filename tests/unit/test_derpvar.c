/* The DERP expvar reader for older builds: the document's field names
 * (tailscale's derp server under "derp"), and the poller asking only the
 * replicas whose metrics had no DERP figures, at their own relay address,
 * with the token, turning counters into rates and failures into a source
 * state while numbers stay unknown. */
#include "backend/config.h"
#include "backend/derpvar.h"
#include "backend/source.h"
#include "tests/lib/loopsrv.h"
#include "tests/lib/test.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char doc0[] =
    "{\"cmdline\":[\"/opt/coder\",\"server\"],\"derp\":{\"accepts\":1610,"
    "\"bytes_received\":200000,\"bytes_sent\":100000,\"gauge_clients_local\":269,"
    "\"gauge_clients_total\":810,\"gauge_current_connections\":271,\"packets_dropped\":207,"
    "\"packets_forwarded_in\":1000,\"packets_forwarded_out\":1200,"
    "\"counter_packets_dropped_reason\":{\"queue_head\":145},\"version\":\"1.80\"},"
    "\"memstats\":{\"Alloc\":1}}";
static const char doc1[] =
    "{\"derp\":{\"bytes_received\":230000,\"bytes_sent\":130000,\"gauge_clients_local\":270,"
    "\"gauge_current_connections\":272,\"packets_dropped\":213,\"packets_forwarded_in\":1100,"
    "\"packets_forwarded_out\":1300}}";

TEST(derpvar_parse_fields)
{
    struct derpvar_sample d;
    struct err e = {{0}};
    CHECK_INT(derpvar_parse(doc0, strlen(doc0), &d, &e), 0);
    CHECK_NEAR(d.clients, 269, 0); /* local, not the mesh-wide total */
    CHECK_NEAR(d.connections, 271, 0);
    CHECK_NEAR(d.bytes, 300000, 0);
    CHECK_NEAR(d.forwarded, 2200, 0);
    CHECK_NEAR(d.dropped, 207, 0);
    /* a build without gauge_clients_local: the total; a missing counter: unknown */
    const char *b = "{\"derp\":{\"gauge_clients_total\":5,\"bytes_sent\":9}}";
    CHECK_INT(derpvar_parse(b, strlen(b), &d, &e), 0);
    CHECK_NEAR(d.clients, 5, 0);
    CHECK(isnan(d.bytes) && isnan(d.connections) && isnan(d.dropped));
    /* no relay in the process, or not JSON: an error that says so */
    const char *n = "{\"cmdline\":[],\"memstats\":{}}";
    CHECK_INT(derpvar_parse(n, strlen(n), &d, &e), -1);
    CHECK(strstr(e.msg, "derp") != NULL);
    CHECK(isnan(d.clients));
    CHECK_INT(derpvar_parse("<html>", 6, &d, &e), -1);
    CHECK(strstr(e.msg, "not JSON") != NULL);
}

struct replica {
    pthread_mutex_t mu;
    const char *doc;
    int status;
};

static void serve(void *ctx, const struct loopsrv_req *rq, struct loopsrv_resp *out)
{
    struct replica *r = ctx;
    pthread_mutex_lock(&r->mu);
    if (strcmp(rq->path, "/api/v2/debug/expvar") != 0) {
        out->status = 404;
        out->body = "{\"message\":\"Route not found.\"}";
    } else if (strcmp(rq->token, "owner-token") != 0) {
        out->status = 401;
        out->body = "{\"message\":\"unauthorized\"}";
    } else {
        out->status = r->status;
        out->body = r->doc;
    }
    out->content_type = "application/json";
    pthread_mutex_unlock(&r->mu);
}

TEST(derpvar_poller_reads_replicas_without_derp_metrics)
{
    struct replica r = {PTHREAD_MUTEX_INITIALIZER, doc0, 200};
    struct loopsrv *srv = loopsrv_start(serve, &r);
    CHECK(srv != NULL);
    if (!srv) {
        return;
    }
    struct config cfg;
    config_defaults(&cfg);
    CHECK(derpvar_source_ops.create(&cfg) == NULL); /* opt-in only */
    cfg.derp_expvar = true;
    char url[] = "http://127.0.0.1:1", tok[] = "owner-token";
    cfg.coder_url = url;
    cfg.token = tok;
    cfg.request_timeout_s = 3;
    cfg.connect_timeout_s = 2;
    void *st = derpvar_source_ops.create(&cfg);
    CHECK(st != NULL);
    struct snapshot *snap = NULL;
    for (int round = 0; round < 2 && st; round++) {
        pthread_mutex_lock(&r.mu);
        r.doc = round ? doc1 : doc0;
        pthread_mutex_unlock(&r.mu);
        snapshot_unref(snap);
        snap = snapshot_new(500 + 10 * round);
        struct server *old = snapshot_add_server(snap); /* an older build */
        old->id = snapshot_str(snap, "r-old");
        old->relay_address = snapshot_str(snap, loopsrv_url(srv));
        struct server *newer = snapshot_add_server(snap); /* metrics already had DERP */
        newer->id = snapshot_str(snap, "r-new");
        newer->relay_address = snapshot_str(snap, loopsrv_url(srv));
        newer->derp_source = snapshot_str(snap, "metrics");
        newer->derp_clients = 3;
        derpvar_source_ops.poll(st, snap, 500 + 10 * round);
    }
    if (snap) {
        const struct server *o = &snap->servers[0];
        CHECK_STR(o->derp_source, "expvar");
        CHECK_NEAR(o->derp_clients, 270, 0);
        CHECK_NEAR(o->derp_connections, 272, 0);
        CHECK_NEAR(o->derp_bytes_per_s, (360000 - 300000) / 10.0, 1e-9);
        CHECK_NEAR(o->derp_packets_forwarded_per_s, (2400 - 2200) / 10.0, 1e-9);
        CHECK_NEAR(o->derp_packets_dropped_per_s, 0.6, 1e-9);
        CHECK_NEAR(snap->servers[1].derp_clients, 3, 0); /* left alone */
        CHECK_STR(snap->servers[1].derp_source, "metrics");
        CHECK_NEAR(snap->deployment.derp_bytes_per_s, 6000, 1e-9);
        const struct source_state *src = snapshot_find_source(snap, "derp-expvar");
        CHECK(src && src->status == SOURCE_OK);
    }
    /* only the older replica was asked, once per poll, with the token */
    CHECK_INT((int)loopsrv_count(srv), 2);
    struct loopsrv_req rq;
    CHECK_INT(loopsrv_get(srv, 0, &rq), 0);
    CHECK_STR(rq.path, "/api/v2/debug/expvar");
    CHECK_STR(rq.token, "owner-token");
    snapshot_unref(snap);

    /* a member token (403): the numbers stay unknown and the source says why */
    pthread_mutex_lock(&r.mu);
    r.status = 403;
    pthread_mutex_unlock(&r.mu);
    snap = snapshot_new(530);
    struct server *old = snapshot_add_server(snap);
    old->id = snapshot_str(snap, "r-old");
    old->relay_address = snapshot_str(snap, loopsrv_url(srv));
    derpvar_source_ops.poll(st, snap, 530);
    CHECK(isnan(snap->servers[0].derp_clients) && isnan(snap->servers[0].derp_bytes_per_s));
    CHECK(snap->servers[0].derp_source == NULL);
    const struct source_state *src = snapshot_find_source(snap, "derp-expvar");
    CHECK(src && src->status == SOURCE_ERROR && src->reason == REASON_NO_PERMISSION);
    CHECK(src && src->error && strstr(src->error, "owner") != NULL);
    snapshot_unref(snap);
    derpvar_source_ops.destroy(st);
    loopsrv_stop(srv);
}
