/*
 * scaletop-sim HTTP plumbing on libmicrohttpd: one daemon per listener (the
 * Coder API, each replica's and each provisioner deployment's /metrics, each
 * proxy, the Kubernetes API), request logging, and the injected faults
 * (latency, status codes, truncated, malformed or huge bodies, hanging).
 *
 * Invariants: every listener binds a loopback address only; a connection
 * thread never holds sim->mu while it sleeps, sends or waits; a held
 * ("hang") connection gives up when the fault is cleared, its bound passes,
 * or the sim stops.
 */
#include "sim.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct conn_state {
    struct sim_buf body;
};

void sim_reply_json(struct sim_reply *r, int status, json_t *j)
{
    r->status = status;
    r->ctype = "application/json";
    char *txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (txt) {
        sim_buf_puts(&r->body, txt);
        free(txt);
    }
    json_decref(j);
}

void sim_reply_error(struct sim_reply *r, int status, const char *msg, const char *detail)
{
    json_t *j = json_object();
    json_object_set_new(j, "message", json_string(msg));
    if (detail) {
        json_object_set_new(j, "detail", json_string(detail));
    }
    sim_reply_json(r, status, j);
}

void sim_reply_header(struct sim_reply *r, const char *k, const char *v)
{
    if (r->n_hdr < 4) {
        snprintf(r->hdr[r->n_hdr][0], sizeof r->hdr[0][0], "%s", k);
        snprintf(r->hdr[r->n_hdr][1], sizeof r->hdr[0][1], "%s", v);
        r->n_hdr++;
    }
}

const char *sim_arg(struct sim_req *q, const char *key)
{
    return MHD_lookup_connection_value(q->c, MHD_GET_ARGUMENT_KIND, key);
}

static void sleep_ms_interruptible(struct sim *s, long ms, int fault_id)
{
    double end = sim_mono() + ms / 1000.0;
    while (!__atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE) && sim_mono() < end) {
        usleep(20000);
        if (fault_id > 0) {
            bool still = false;
            pthread_mutex_lock(&s->mu);
            for (int i = 0; i < s->n_faults; i++) {
                still |= s->faults[i].id == fault_id;
            }
            pthread_mutex_unlock(&s->mu);
            if (!still) {
                return;
            }
        }
    }
}

static bool fault_matches(const struct sim_fault *f, const char *lname, const char *url)
{
    if (strcmp(f->listener, "*") != 0 && strcmp(f->listener, lname) != 0) {
        return false;
    }
    return strncmp(url, f->prefix, strlen(f->prefix)) == 0;
}

struct query_buf {
    char *p;
    size_t n, used;
};

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    struct query_buf *q = cls;
    (void)kind;
    if (q->used < q->n) {
        int w = snprintf(q->p + q->used, q->n - q->used, "%s%s=%s", q->used ? "&" : "", key,
                         value ? value : "");
        q->used += w > 0 ? (size_t)w : 0;
    }
    return MHD_YES;
}

static void log_request(struct sim *s, struct MHD_Connection *c, const char *lname,
                        const char *method, const char *url, int status)
{
    char query[160] = "";
    struct query_buf qb = {query, sizeof query, 0};
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_arg, &qb);
    pthread_mutex_lock(&s->mu);
    struct sim_reqlog *l = &s->reqlog[s->reqlog_n % SIM_MAX_REQLOG];
    s->reqlog_n++;
    l->t = sim_mono() - s->real_start;
    snprintf(l->listener, sizeof l->listener, "%s", lname);
    snprintf(l->method, sizeof l->method, "%s", method);
    snprintf(l->path, sizeof l->path, "%s", url);
    l->status = status;
    snprintf(l->query, sizeof l->query, "%s", query);
    pthread_mutex_unlock(&s->mu);
}

struct stream {
    struct sim_blob *blob[2]; /* source bytes, in order; either may be NULL */
    size_t cut;               /* truncate: stop with an error after this many bytes */
    long huge;                /* filler bytes to send after the blobs */
    bool metrics;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *st = cls;
    size_t l0 = st->blob[0] ? st->blob[0]->len : 0, l1 = st->blob[1] ? st->blob[1]->len : 0;
    size_t blen = l0 + l1;
    if (st->cut && pos >= st->cut) {
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    if (pos < blen) {
        const struct sim_blob *b = pos < l0 ? st->blob[0] : st->blob[1];
        size_t off = pos < l0 ? (size_t)pos : (size_t)pos - l0;
        size_t n = b->len - off;
        if (n > max) {
            n = max;
        }
        if (st->cut && pos + n > st->cut) {
            n = st->cut - (size_t)pos;
        }
        memcpy(buf, b->data + off, n);
        return (ssize_t)n;
    }
    uint64_t hp = pos - blen;
    if ((long)hp >= st->huge) {
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    static const char jline[] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n";
    static const char mline[] = "# padding padding padding padding padding padding padding pad\n";
    const char *line = st->metrics ? mline : jline;
    size_t ll = sizeof jline - 1;
    size_t n = 0;
    while (n < max && (long)(hp + n) < st->huge) {
        buf[n] = line[(hp + n) % ll];
        n++;
    }
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct stream *st = cls;
    sim_blob_unref(st->blob[0]);
    sim_blob_unref(st->blob[1]);
    free(st);
}

static void status_reply(struct sim_listener *l, struct sim_reply *r, int status)
{
    if (l->kind == L_API) {
        const char *msg = "An internal server error occurred.";
        const char *detail = NULL;
        switch (status) {
        case 401:
            msg = "You are signed out or your session has expired. Please sign in again to "
                  "continue.";
            detail = "API key is invalid.";
            break;
        case 403:
            msg = "Forbidden.";
            detail = "You don't have permission to view this content. If you believe this is a "
                     "mistake, please contact your administrator or try signing in with "
                     "different credentials.";
            break;
        case 404:
            msg = "Resource not found or you do not have access to this resource";
            break;
        case 429:
            msg = "You've been rate limited for sending more than 512 requests in 1m0s.";
            sim_reply_header(r, "X-Ratelimit-Limit", "512");
            sim_reply_header(r, "X-Ratelimit-Remaining", "0");
            {
                char reset[24];
                snprintf(reset, sizeof reset, "%ld", (long)time(NULL) + 60);
                sim_reply_header(r, "X-Ratelimit-Reset", reset);
            }
            break;
        case 502:
        case 503:
        case 504:
            msg = "Bad gateway or service unavailable.";
            break;
        default:
            break;
        }
        /* hostile text (control API) rides in the error's detail */
        char *hostile = NULL;
        pthread_mutex_lock(&l->sim->mu);
        if (l->sim->hostile_len > 0) {
            hostile = strndup(l->sim->hostile, l->sim->hostile_len);
        }
        pthread_mutex_unlock(&l->sim->mu);
        sim_reply_error(r, status, msg, hostile ? hostile : detail);
        free(hostile);
    } else if (l->kind == L_K8S) {
        json_t *j =
            json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:i}", "kind", "Status", "apiVersion", "v1",
                      "metadata", "status", "Failure", "message", "injected fault", "reason",
                      status == 401   ? "Unauthorized"
                      : status == 403 ? "Forbidden"
                      : status == 404 ? "NotFound"
                      : status == 429 ? "TooManyRequests"
                                      : "InternalError",
                      "code", status);
        sim_reply_json(r, status, j);
    } else {
        r->status = status;
        r->ctype = "text/plain; charset=utf-8";
        sim_buf_printf(&r->body, "%d %s\n", status, "injected fault");
    }
}

static void malform(struct sim_reply *r, bool metrics)
{
    struct sim_buf nb = {0};
    if (r->blob2) {
        struct sim_buf m = {0};
        sim_buf_add(&m, r->blob->data, r->blob->len);
        sim_buf_add(&m, r->blob2->data, r->blob2->len);
        sim_blob_unref(r->blob);
        sim_blob_unref(r->blob2);
        r->blob2 = NULL;
        r->blob = sim_blob_from_buf(&m);
    }
    const char *src = r->blob ? r->blob->data : r->body.p;
    size_t len = r->blob ? r->blob->len : r->body.len;
    if (metrics) {
        size_t half = len / 2;
        while (half > 0 && src && src[half - 1] != '\n') {
            half--;
        }
        if (src) {
            sim_buf_add(&nb, src, half);
        }
        sim_buf_puts(&nb, "coderd_api_requests_processed_total{code=\"200\",method=\"GET\" 12 x\n"
                          "# TYPE broken\n\"bad line\n");
        if (src) {
            sim_buf_add(&nb, src + half, len - half);
        }
    } else {
        size_t keep = len * 2 / 3;
        if (src) {
            sim_buf_add(&nb, src, keep);
        }
        sim_buf_puts(&nb, ",,\"\\u12\":[tru}");
    }
    free(r->body.p);
    r->body = nb;
    sim_blob_unref(r->blob);
    r->blob = NULL;
}

static enum MHD_Result send_reply(struct sim *s, struct MHD_Connection *c, struct sim_listener *l,
                                  struct sim_reply *r, const struct sim_fault *f)
{
    struct MHD_Response *resp;
    struct stream *st = calloc(1, sizeof *st);
    if (!st) {
        return MHD_NO;
    }
    if (r->blob) {
        st->blob[0] = r->blob;
        st->blob[1] = r->blob2;
        r->blob = r->blob2 = NULL;
    } else {
        st->blob[0] = sim_blob_from_buf(&r->body);
    }
    st->metrics = l->kind == L_METRICS || l->kind == L_PROV;
    uint64_t size = st->blob[0]->len + (st->blob[1] ? st->blob[1]->len : 0);
    if (f && strcmp(f->kind, "truncate") == 0) {
        st->cut = (size_t)size / 2;
    } else if (f && strcmp(f->kind, "huge") == 0) {
        st->huge = f->huge_bytes > 0 ? f->huge_bytes : 64L << 20;
        if (!st->metrics) {
            /* a huge JSON string value, never terminated: the body is too big, not short */
            struct sim_buf b = {0};
            sim_buf_puts(&b, "{\"padding\":\"");
            sim_blob_unref(st->blob[0]);
            sim_blob_unref(st->blob[1]);
            st->blob[1] = NULL;
            st->blob[0] = sim_blob_from_buf(&b);
        }
        size = st->blob[0]->len + (st->blob[1] ? st->blob[1]->len : 0) + (uint64_t)st->huge;
    }
    resp = MHD_create_response_from_callback(size, 64 * 1024, stream_read, st, stream_free);
    if (!resp) {
        stream_free(st);
        return MHD_NO;
    }
    if (r->ctype) {
        MHD_add_response_header(resp, "Content-Type", r->ctype);
    }
    if (l->kind == L_API) {
        MHD_add_response_header(resp, "X-Coder-Build-Version", SIM_VERSION);
    }
    for (int i = 0; i < r->n_hdr; i++) {
        MHD_add_response_header(resp, r->hdr[i][0], r->hdr[i][1]);
    }
    (void)s;
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    struct sim_listener *l = cls;
    struct sim *s = l->sim;
    (void)version;
    if (*con_cls == NULL) {
        struct conn_state *cs = calloc(1, sizeof *cs);
        if (!cs) {
            return MHD_NO;
        }
        *con_cls = cs;
        return MHD_YES;
    }
    struct conn_state *cs = *con_cls;
    if (*upload_size) {
        if (cs->body.len < (1 << 20)) {
            sim_buf_add(&cs->body, upload, *upload_size);
        }
        *upload_size = 0;
        return MHD_YES;
    }

    struct sim_req q = {.method = method, .url = url, .c = c};
    q.body = cs->body.p;
    q.body_len = cs->body.len;
    struct sim_reply r = {.status = 200};
    bool control = l->kind == L_API && strncmp(url, "/__sim/", 7) == 0;

    /* find a fault for this request */
    struct sim_fault f = {0};
    bool faulted = false;
    if (!control) {
        pthread_mutex_lock(&s->mu);
        for (int i = 0; i < s->n_faults; i++) {
            struct sim_fault *x = &s->faults[i];
            if (fault_matches(x, l->name, url)) {
                f = *x;
                faulted = true;
                if (x->remaining > 0 && --x->remaining == 0) {
                    s->faults[i] = s->faults[--s->n_faults];
                }
                break;
            }
        }
        pthread_mutex_unlock(&s->mu);
    }
    if (faulted && strcmp(f.kind, "hang") == 0) {
        log_request(s, c, l->name, method, url, 0);
        long hold = f.max_hold_ms > 0 ? f.max_hold_ms : 60000;
        if (hold > 600000) {
            hold = 600000;
        }
        sleep_ms_interruptible(s, hold, f.id);
        return MHD_NO;
    }
    if (faulted && strcmp(f.kind, "latency") == 0) {
        sleep_ms_interruptible(s, f.latency_ms, 0);
    }
    if (faulted && strcmp(f.kind, "status") == 0) {
        status_reply(l, &r, f.status ? f.status : 500);
    } else {
        switch (l->kind) {
        case L_API:
            if (control) {
                sim_control_handle(s, &q, &r);
            } else {
                sim_coder_handle(s, &q, &r);
            }
            break;
        case L_METRICS:
            if (strcmp(url, "/api/v2/debug/expvar") == 0) {
                sim_derp_expvar_reply(s, l->index, &q, &r);
                break;
            }
            sim_metrics_reply(s, l->kind, l->index, &r);
            break;
        case L_PROV:
            sim_metrics_reply(s, l->kind, l->index, &r);
            break;
        case L_PROXY:
            sim_proxy_handle(s, l->index, &q, &r);
            break;
        case L_K8S:
            sim_k8s_handle(s, &q, &r);
            break;
        }
    }
    if (r.status == 0) {
        /* the handler asked to drop the connection without an answer */
        if (!control) {
            log_request(s, c, l->name, method, url, 0);
        }
        free(r.body.p);
        sim_blob_unref(r.blob);
        sim_blob_unref(r.blob2);
        return MHD_NO;
    }
    if (faulted && strcmp(f.kind, "malformed") == 0) {
        malform(&r, l->kind == L_METRICS || l->kind == L_PROV);
    }
    if (!control) {
        log_request(s, c, l->name, method, url, r.status);
    }
    enum MHD_Result ret = send_reply(s, c, l, &r, faulted ? &f : NULL);
    free(r.body.p);
    sim_blob_unref(r.blob);
    sim_blob_unref(r.blob2);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct conn_state *cs = *con_cls;
    if (cs) {
        free(cs->body.p);
        free(cs);
        *con_cls = NULL;
    }
}

static int start_listener(struct sim *s, enum sim_kind kind, int index, const char *name,
                          const char *ip)
{
    struct sim_listener *l = &s->lis[s->n_listeners];
    memset(l, 0, sizeof *l);
    l->sim = s;
    l->kind = kind;
    l->index = index;
    snprintf(l->name, sizeof l->name, "%s", name);
    for (int attempt = 0; attempt < 2; attempt++) {
        snprintf(l->ip, sizeof l->ip, "%s", attempt == 0 ? ip : "127.0.0.1");
        struct sockaddr_in sa;
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)(s->o.port_base ? s->o.port_base + s->n_listeners : 0));
        inet_pton(AF_INET, l->ip, &sa.sin_addr);
        l->d = MHD_start_daemon(
            MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL, 0, NULL,
            NULL, handler, l, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
            MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
            (unsigned)120, MHD_OPTION_CONNECTION_LIMIT, (unsigned)512, MHD_OPTION_END);
        if (l->d) {
            break;
        }
    }
    if (!l->d) {
        fprintf(stderr, "scaletop-sim: cannot listen for %s\n", name);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_BIND_PORT);
    l->port = info ? info->port : 0;
    s->n_listeners++;
    return l->port;
}

int sim_http_start(struct sim *s)
{
    char name[32];
    if (start_listener(s, L_API, 0, "api", "127.0.0.1") < 0) {
        return -1;
    }
    for (int i = 0; i < s->n_replicas; i++) {
        snprintf(name, sizeof name, "metrics:%d", i);
        int p = start_listener(s, L_METRICS, i, name, s->rep[i].ip);
        if (p < 0) {
            return -1;
        }
        s->rep[i].port = p;
        snprintf(s->rep[i].ip, sizeof s->rep[i].ip, "%s", s->lis[s->n_listeners - 1].ip);
    }
    for (int i = 0; i < s->n_deploy; i++) {
        snprintf(name, sizeof name, "prov:%d", i);
        int p = start_listener(s, L_PROV, i, name, "127.0.0.1");
        if (p < 0) {
            return -1;
        }
        s->dep[i].port = p;
    }
    for (int i = 0; i < s->n_proxies; i++) {
        snprintf(name, sizeof name, "proxy:%s", s->prox[i].name);
        int p = start_listener(s, L_PROXY, i, name, "127.0.0.1");
        if (p < 0) {
            return -1;
        }
        s->prox[i].port = p;
    }
    if (start_listener(s, L_K8S, 0, "k8s", "127.0.0.1") < 0) {
        return -1;
    }
    return 0;
}

void sim_http_stop(struct sim *s)
{
    for (int i = 0; i < s->n_listeners; i++) {
        if (s->lis[i].d) {
            MHD_stop_daemon(s->lis[i].d);
            s->lis[i].d = NULL;
        }
    }
}
