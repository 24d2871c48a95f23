/*
 * scaletop-sim DERP relays: the embedded DERP server of every coderd replica
 * and every workspace proxy, as its coder_derp_server_* metrics (newer
 * builds), its expvar document (older builds: /api/v2/debug/expvar, key
 * "derp", tailscale's field names), and the health report's DERP and STUN
 * findings, all driven by one network state that the control API switches.
 *
 * The model: every running agent and every connected client keeps a home
 * DERP connection whether or not its traffic goes direct, so clients follow
 * the running workspaces; what DERP carries is small while peers go direct
 * and grows relay_factor-fold when they cannot (STUN failing forces every
 * connection through the relays). Replicas mesh, so a relayed packet whose
 * peer is homed on another replica is forwarded once in and once out.
 *
 * Invariants: counters only grow (a replica restart zeroes them with the
 * rest of the process); the truth reports the same targets the counters are
 * advanced with, so a client's rate over any window equals the truth while
 * the network state is unchanged.
 */
#include "sim.h"

#include <math.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A relay carries this much per connected client while peers go direct
 * (disco pings, the occasional relayed packet before the direct path). */
#define DIRECT_BYTES_PER_CLIENT_S 300.0
/* Relayed bytes when everything relays, per client (an interactive session). */
#define RELAYED_BYTES_PER_CLIENT_S 6000.0
#define PACKET_BYTES               1100.0
/* Drops: a relay under load drops a small share of what it carries. */
#define DROP_SHARE_DIRECT  0.0005
#define DROP_SHARE_RELAYED 0.004

static double relay_share(struct sim *s)
{
    double f = s->relay_factor > 0 ? s->relay_factor : 1.0;
    if (s->stun_failing) {
        return 1.0;
    }
    double share = 0.02 * f; /* 2 % of sessions relay on a healthy network */
    return share > 1 ? 1 : share;
}

static void set_target(struct sim_derp *d, double clients, double mesh_peers, double share)
{
    d->clients = clients;
    d->conns = clients + mesh_peers;
    double per_client = DIRECT_BYTES_PER_CLIENT_S +
                        share * (RELAYED_BYTES_PER_CLIENT_S - DIRECT_BYTES_PER_CLIENT_S);
    d->bytes_per_s = clients * per_client;
    double pkts = d->bytes_per_s / PACKET_BYTES;
    /* with n replicas a peer is homed elsewhere (n-1)/n of the time */
    d->fwd_per_s = mesh_peers > 0 ? pkts * mesh_peers / (mesh_peers + 1) : 0;
    d->drop_per_s = pkts * (DROP_SHARE_DIRECT + share * (DROP_SHARE_RELAYED - DROP_SHARE_DIRECT));
}

void sim_derp_targets(struct sim *s)
{
    double share = relay_share(s);
    int present = 0;
    for (int i = 0; i < s->n_replicas; i++) {
        present += s->rep[i].present;
    }
    /* agents and clients split over the replicas and the proxies' relays */
    double homes = (double)s->ws_running * 1.5;
    double proxy_part = s->n_proxies > 0 ? 0.1 : 0;
    double per_replica = present ? floor(homes * (1 - proxy_part * s->n_proxies) / present) : 0;
    double total_local = 0;
    for (int i = 0; i < s->n_replicas; i++) {
        struct sim_replica *r = &s->rep[i];
        double c = r->present ? per_replica + i : 0;
        set_target(&r->derp, c, present > 1 ? present - 1 : 0, share);
        total_local += c;
    }
    for (int i = 0; i < s->n_replicas; i++) {
        s->rep[i].derp.clients_remote = total_local - s->rep[i].derp.clients;
    }
    for (int i = 0; i < s->n_proxies; i++) {
        struct sim_proxy *x = &s->prox[i];
        bool up = strcmp(x->status, "unreachable") != 0;
        set_target(&x->derp, up ? floor(homes * proxy_part) + 3 * i : 0, 0, share);
        x->derp.clients_remote = 0;
    }
}

static void step_one(struct sim_derp *d, double dt)
{
    double pkts = d->bytes_per_s / PACKET_BYTES * dt;
    d->bytes_rx += d->bytes_per_s / 2 * dt;
    d->bytes_tx += d->bytes_per_s / 2 * dt;
    d->pkts_rx += pkts / 2;
    d->pkts_tx += pkts / 2;
    d->fwd_in += d->fwd_per_s / 2 * dt;
    d->fwd_out += d->fwd_per_s / 2 * dt;
    d->dropped += d->drop_per_s * dt;
    d->accepts += d->clients / 600.0 * dt; /* a home connection lives ~10 min */
}

void sim_derp_step(struct sim *s, double dt)
{
    for (int i = 0; i < s->n_replicas; i++) {
        if (s->rep[i].present) {
            step_one(&s->rep[i].derp, dt);
        }
    }
    for (int i = 0; i < s->n_proxies; i++) {
        step_one(&s->prox[i].derp, dt);
    }
}

static void fam(struct sim_buf *b, const char *name, const char *type, const char *help, double v)
{
    sim_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %.0f\n", name, help, name, type, name,
                   floor(v));
}

void sim_derp_metrics(const struct sim_derp *d, struct sim_buf *b)
{
    fam(b, "coder_derp_server_accepts_total", "counter", "Total number of accepted connections.",
        d->accepts);
    fam(b, "coder_derp_server_bytes_received_total", "counter", "Total bytes received.",
        d->bytes_rx);
    fam(b, "coder_derp_server_bytes_sent_total", "counter", "Total bytes sent.", d->bytes_tx);
    fam(b, "coder_derp_server_clients", "gauge", "Number of clients.",
        d->clients + d->clients_remote);
    fam(b, "coder_derp_server_clients_local", "gauge", "Number of local clients.", d->clients);
    fam(b, "coder_derp_server_clients_remote", "gauge", "Number of remote (mesh) clients.",
        d->clients_remote);
    fam(b, "coder_derp_server_connections", "gauge", "Number of current connections.", d->conns);
    fam(b, "coder_derp_server_packets_dropped_total", "counter", "Total packets dropped.",
        d->dropped);
    sim_buf_puts(b, "# HELP coder_derp_server_packets_dropped_reason_total Packets dropped by "
                    "reason.\n# TYPE coder_derp_server_packets_dropped_reason_total counter\n");
    sim_buf_printf(b,
                   "coder_derp_server_packets_dropped_reason_total{reason=\"queue_head\"} %.0f\n"
                   "coder_derp_server_packets_dropped_reason_total{reason=\"unknown_dest\"} %.0f\n",
                   floor(d->dropped * 0.7), floor(d->dropped) - floor(d->dropped * 0.7));
    fam(b, "coder_derp_server_packets_forwarded_in_total", "counter",
        "Total packets forwarded in from mesh peers.", d->fwd_in);
    fam(b, "coder_derp_server_packets_forwarded_out_total", "counter",
        "Total packets forwarded out to mesh peers.", d->fwd_out);
    fam(b, "coder_derp_server_packets_received_total", "counter", "Total packets received.",
        d->pkts_rx);
    fam(b, "coder_derp_server_packets_sent_total", "counter", "Total packets sent.", d->pkts_tx);
}

json_t *sim_derp_expvar(struct sim *s, const struct sim_derp *d)
{
    json_t *dv = json_object();
#define IV(k, v) json_object_set_new(dv, k, json_integer((json_int_t)floor(v)))
    IV("gauge_current_connections", d->conns);
    IV("gauge_current_home_connections", d->clients);
    IV("gauge_clients_total", d->clients + d->clients_remote);
    IV("gauge_clients_local", d->clients);
    IV("gauge_clients_remote", d->clients_remote);
    IV("gauge_watchers", s->n_replicas > 1 ? s->n_replicas - 1 : 0);
    IV("accepts", d->accepts);
    IV("bytes_received", d->bytes_rx);
    IV("bytes_sent", d->bytes_tx);
    IV("packets_dropped", d->dropped);
    IV("packets_sent", d->pkts_tx);
    IV("packets_received", d->pkts_rx);
    IV("packets_forwarded_in", d->fwd_in);
    IV("packets_forwarded_out", d->fwd_out);
    IV("unknown_frames", 0);
#undef IV
    json_object_set_new(dv, "counter_packets_dropped_reason",
                        json_pack("{s:I,s:I}", "queue_head", (json_int_t)floor(d->dropped * 0.7),
                                  "unknown_dest",
                                  (json_int_t)(floor(d->dropped) - floor(d->dropped * 0.7))));
    json_object_set_new(dv, "average_queue_duration_ms", json_real(0.42));
    json_object_set_new(dv, "version", json_string("1.80.3-t3c6d7e1f"));
    json_t *o = json_object();
    json_object_set_new(o, "cmdline", json_pack("[s,s]", "/opt/coder", "server"));
    json_object_set_new(o, "derp", dv);
    json_object_set_new(
        o, "memstats",
        json_pack("{s:I,s:I}", "Alloc", (json_int_t)412000000, "NumGC", (json_int_t)1733));
    return o;
}

json_t *sim_derp_truth(const struct sim_derp *d, const char *source)
{
    json_t *o = json_object();
    json_object_set_new(o, "source", json_string(source));
    json_object_set_new(o, "clients", json_integer((json_int_t)floor(d->clients)));
    json_object_set_new(o, "connections", json_integer((json_int_t)floor(d->conns)));
    json_object_set_new(o, "bytes_per_s", json_real(d->bytes_per_s));
    json_object_set_new(o, "packets_forwarded_per_s", json_real(d->fwd_per_s));
    json_object_set_new(o, "packets_dropped_per_s", json_real(d->drop_per_s));
    return o;
}

static json_t *warning(const char *code, const char *text)
{
    char m[256];
    snprintf(m, sizeof m, "%s: %s", code, text);
    return json_pack("{s:s,s:s}", "code", code, "message", m);
}

void sim_derp_health(struct sim *s, json_t *sec)
{
    if (!json_is_object(sec)) {
        return;
    }
    json_t *w = json_array();
    if (s->stun_failing) {
        json_array_append_new(w, warning("ESTUN01", "No STUN servers are available."));
    }
    if (s->derp_websocket) {
        json_array_append_new(
            w, warning("EDERP01", "Node uses websockets because the \"Upgrade: DERP\" header may "
                                  "be blocked on the load balancer."));
    }
    const char *sev = json_array_size(w) ? "warning" : "ok";
    json_t *regions = json_object_get(sec, "regions");
    const char *key;
    json_t *reg;
    json_object_foreach(regions, key, reg)
    {
        json_object_set_new(reg, "severity", json_string(sev));
        json_object_set(reg, "warnings", w);
        size_t i;
        json_t *nr;
        json_array_foreach(json_object_get(reg, "node_reports"), i, nr)
        {
            json_t *stun = json_object_get(nr, "stun");
            if (json_is_true(json_object_get(stun, "Enabled"))) {
                json_object_set_new(stun, "CanSTUN", json_boolean(!s->stun_failing));
                json_object_set_new(stun, "Error",
                                    s->stun_failing
                                        ? json_string("STUN probe timed out: no response from "
                                                      "stun.l.google.com:19302")
                                        : json_null());
            } else {
                json_object_set_new(nr, "uses_websocket", json_boolean(s->derp_websocket));
            }
        }
    }
    json_t *nc = json_object_get(sec, "netcheck");
    if (json_is_object(nc)) {
        json_object_set_new(nc, "UDP", json_boolean(!s->stun_failing));
    }
    json_object_set_new(sec, "warnings", w);
    json_object_set_new(sec, "severity", json_string(sev));
    json_object_set_new(sec, "healthy", json_true()); /* warnings keep the section healthy */
}

void sim_derp_control(struct sim *s, struct sim_req *q, struct sim_reply *r)
{
    if (strcmp(q->method, "POST") == 0) {
        json_error_t e;
        json_t *j = q->body ? json_loadb(q->body, q->body_len, 0, &e) : NULL;
        if (!json_is_object(j)) {
            json_decref(j);
            sim_reply_error(r, 400, "Invalid JSON body.",
                            "expected {stun_failing, derp_websocket, relay_factor}");
            return;
        }
        json_t *sf = json_object_get(j, "stun_failing"), *ws = json_object_get(j, "derp_websocket"),
               *rf = json_object_get(j, "relay_factor");
        pthread_mutex_lock(&s->mu);
        if (json_is_boolean(sf)) {
            s->stun_failing = json_is_true(sf);
        }
        if (json_is_boolean(ws)) {
            s->derp_websocket = json_is_true(ws);
        }
        if (json_is_number(rf) && json_number_value(rf) > 0) {
            s->relay_factor = json_number_value(rf);
        }
        sim_derp_targets(s);
        pthread_mutex_unlock(&s->mu);
        json_decref(j);
    }
    pthread_mutex_lock(&s->mu);
    json_t *o =
        json_pack("{s:b,s:b,s:f}", "stun_failing", s->stun_failing, "derp_websocket",
                  s->derp_websocket, "relay_factor", s->relay_factor > 0 ? s->relay_factor : 1.0);
    pthread_mutex_unlock(&s->mu);
    sim_reply_json(r, 200, o);
}

void sim_derp_expvar_reply(struct sim *s, int index, struct sim_req *q, struct sim_reply *r)
{
    const char *tok = MHD_lookup_connection_value(q->c, MHD_HEADER_KIND, "Coder-Session-Token");
    if (!tok) {
        sim_reply_error(r, 401, "You must be logged in to access this resource.", NULL);
        return;
    }
    if (strcmp(tok, s->o.token) != 0) {
        /* a member (or an unknown token): the debug routes are owner-only */
        bool member = strcmp(tok, s->o.member_token) == 0;
        sim_reply_error(r, member ? 403 : 401,
                        member ? "Forbidden." : "API key is invalid or expired.", NULL);
        return;
    }
    pthread_mutex_lock(&s->mu);
    if (!s->rep[index].present) {
        pthread_mutex_unlock(&s->mu);
        r->status = 0;
        return;
    }
    json_t *o = sim_derp_expvar(s, &s->rep[index].derp);
    pthread_mutex_unlock(&s->mu);
    sim_reply_json(r, 200, o);
}
