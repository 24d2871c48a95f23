/* The recorded fixture history (see fixhist.h): fixsnap deployments at fixed
 * times, appended through the real store as the recorder would. Frame i
 * moves: replica k's API p95 by 20*i ms, Postgres connections by i, the
 * first queue's pending jobs by 5 a frame during the incident; in the last
 * frame the ap-south proxy recovers and its finding ends. */
#include "tests/lib/fixhist.h"

#include "backend/store.h"
#include "tests/lib/fixsnap.h"

#include <math.h>
#include <string.h>

static struct snapshot *frame(int i, int hostile)
{
    double t = FIXHIST_FRAME(i);
    int incident = i >= 4;
    struct snapshot *s = fixsnap_make(t, incident, hostile);
    for (size_t k = 0; k < 3 && k < s->nservers; k++) {
        s->servers[k].api_p95_ms += 20.0 * i + 5.0 * (double)k;
    }
    /* Replicas start at fixed moments: coder-1 restarts at T0+170. */
    for (size_t k = 0; k < 3 && k < s->nservers; k++) {
        s->servers[k].started_at =
            k == 1 && t >= FIXHIST_T0 + 170 ? FIXHIST_T0 + 170 : FIXHIST_T0 - 86400 * 3 + k * 600;
    }
    s->postgres.connections.used += i;
    if (incident && s->provisioners.nqueues > 0) {
        s->provisioners.queues[0].pending = 5.0 * (i - 3);
    }
    /* Events at fixed times: each frame repeats the recent ones, as a poller
     * would, and the store keeps one of each. */
    s->nevents = 0;
    if (i >= 3) {
        struct event *ev = snapshot_add_event(s);
        ev->time = FIXHIST_T0 + 170;
        ev->kind = snapshot_str(s, "replica-joined");
        ev->entity = snapshot_str(s, "coder-1");
        ev->message = snapshot_str(s, "coder-1 restarted");
    }
    if (i >= 7) {
        struct event *ev = snapshot_add_event(s);
        ev->time = FIXHIST_T0 + 400;
        ev->kind = snapshot_str(s, "proxy-unreachable");
        ev->entity =
            snapshot_str(s, hostile ? "proxy/eu-west<script>alert(1)</script>" : "proxy/ap-south");
        ev->message =
            snapshot_str(s, hostile ? "GET /healthz \x1b[31m| =HYPERLINK(\"x\") \"q\", <b>"
                                    : "GET /healthz: connection refused");
    }
    if (i == FIXHIST_FRAMES - 1) {
        /* ap-south is back; its finding ends with this frame. */
        for (size_t k = 0; k < s->nproxies; k++) {
            if (s->proxies[k].status == PROXY_UNREACHABLE) {
                s->proxies[k].status = PROXY_OK;
                s->proxies[k].healthy = TRI_TRUE;
                s->proxies[k].rtt_ms = 84;
                s->proxies[k].nerrors = 0;
            }
        }
        size_t w = 0;
        for (size_t k = 0; k < s->nfindings; k++) {
            const char *rule = s->findings[k].rule;
            if (!rule || strncmp(rule, "proxies.", 8) != 0) {
                s->findings[w++] = s->findings[k];
            }
        }
        s->nfindings = w;
    }
    return s;
}

int fixhist_write(const char *path, int hostile, struct err *e)
{
    struct store *st = store_open(path, STORE_RECORD, NULL, e);
    if (!st) {
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < FIXHIST_FRAMES && rc == 0; i++) {
        struct snapshot *s = frame(i, hostile);
        rc = store_append(st, s, e);
        snapshot_unref(s);
    }
    if (rc == 0) {
        rc = store_mark(st, FIXHIST_MARK1, "deploy v2.24.1 rolled out", e);
    }
    if (rc == 0) {
        rc = store_mark(st, FIXHIST_MARK2,
                        hostile ? "paged \x1b]0;pwned\x07 team | <b>db</b> =cmd|' /C calc'!A0"
                                : "paged the database team",
                        e);
    }
    store_close(st);
    return rc;
}
