/*
 * Loopback test server (see loopsrv.h). Bound to 127.0.0.1 only; one internal
 * polling thread; the request log is guarded by a mutex because the handler
 * runs on the server's thread while the test reads from its own.
 */
#include "tests/lib/loopsrv.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct loopsrv {
    struct MHD_Daemon *d;
    loopsrv_fn fn;
    void *ctx;
    char url[64];
    pthread_mutex_t mu;
    struct loopsrv_req log[LOOPSRV_MAX_LOG];
    size_t nlog;
};

struct query_ctx {
    char *buf;
    size_t size, used;
};

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    (void)kind;
    struct query_ctx *q = cls;
    int n = snprintf(q->buf + q->used, q->size - q->used, "%s%s=%s", q->used ? "&" : "", key,
                     value ? value : "");
    if (n > 0 && (size_t)n < q->size - q->used) {
        q->used += (size_t)n;
    }
    return MHD_YES;
}

static void copy_header(struct MHD_Connection *c, const char *name, char *out, size_t outsz)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    snprintf(out, outsz, "%s", v ? v : "");
}

struct chunk_state {
    char *data;
    size_t len;
};

static ssize_t chunk_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct chunk_state *st = cls;
    if (pos >= st->len) {
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    size_t n = st->len - (size_t)pos;
    if (n > max) {
        n = max;
    }
    if (n > 4096) {
        n = 4096;
    }
    memcpy(buf, st->data + pos, n);
    return (ssize_t)n;
}

static void chunk_free(void *cls)
{
    struct chunk_state *st = cls;
    free(st->data);
    free(st);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)method;
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    struct loopsrv *s = cls;
    /* First call: headers only. Answering here makes MHD close the
     * connection; answering on the second call keeps it alive. */
    static int marker;
    if (*con_cls == NULL) {
        *con_cls = &marker;
        return MHD_YES;
    }
    struct loopsrv_req rq;
    memset(&rq, 0, sizeof rq);
    snprintf(rq.path, sizeof rq.path, "%s", url);
    struct query_ctx q = {rq.query, sizeof rq.query, 0};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_arg, &q);
    copy_header(conn, "Coder-Session-Token", rq.token, sizeof rq.token);
    copy_header(conn, "Accept-Encoding", rq.accept_encoding, sizeof rq.accept_encoding);
    copy_header(conn, "User-Agent", rq.user_agent, sizeof rq.user_agent);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET) {
        rq.client_port = ntohs(((const struct sockaddr_in *)ci->client_addr)->sin_port);
    }
    pthread_mutex_lock(&s->mu);
    if (s->nlog < LOOPSRV_MAX_LOG) {
        s->log[s->nlog++] = rq;
    }
    pthread_mutex_unlock(&s->mu);

    struct loopsrv_resp out;
    memset(&out, 0, sizeof out);
    out.status = 404;
    out.body = "{\"message\":\"Route not found.\"}";
    s->fn(s->ctx, &rq, &out);
    if (out.delay_ms > 0) {
        usleep((useconds_t)out.delay_ms * 1000u);
    }
    size_t len = out.len ? out.len : (out.body ? strlen(out.body) : 0);
    struct MHD_Response *r;
    if (out.chunked) {
        struct chunk_state *st = malloc(sizeof *st);
        st->data = malloc(len ? len : 1);
        memcpy(st->data, out.body ? out.body : "", len);
        st->len = len;
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, chunk_reader, st, chunk_free);
    } else {
        r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)(out.body ? out.body : ""),
                                            MHD_RESPMEM_MUST_COPY);
    }
    if (!r) {
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type",
                            out.content_type ? out.content_type : "application/json");
    if (out.content_encoding) {
        MHD_add_response_header(r, "Content-Encoding", out.content_encoding);
    }
    for (int i = 0; i < 4; i++) {
        if (out.hdr_name[i]) {
            MHD_add_response_header(r, out.hdr_name[i], out.hdr_value[i]);
        }
    }
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)out.status, r);
    MHD_destroy_response(r);
    return ret;
}

static struct loopsrv *start(loopsrv_fn fn, void *ctx, const char *cert_pem, const char *key_pem);

struct loopsrv *loopsrv_start(loopsrv_fn fn, void *ctx)
{
    return start(fn, ctx, NULL, NULL);
}

struct loopsrv *loopsrv_start_tls(loopsrv_fn fn, void *ctx, const char *cert_pem,
                                  const char *key_pem)
{
    return start(fn, ctx, cert_pem, key_pem);
}

static struct loopsrv *start(loopsrv_fn fn, void *ctx, const char *cert_pem, const char *key_pem)
{
    struct loopsrv *s = calloc(1, sizeof *s);
    if (!s) {
        return NULL;
    }
    s->fn = fn;
    s->ctx = ctx;
    pthread_mutex_init(&s->mu, NULL);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    if (cert_pem) {
        s->d =
            MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, 0, NULL, NULL,
                             on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                             MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_HTTPS_MEM_CERT,
                             cert_pem, MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_END);
    } else {
        s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request, s,
                                MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    }
    if (!s->d) {
        pthread_mutex_destroy(&s->mu);
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(s->url, sizeof s->url, "%s://127.0.0.1:%u", cert_pem ? "https" : "http",
             di ? (unsigned)di->port : 0u);
    return s;
}

const char *loopsrv_url(const struct loopsrv *s)
{
    return s->url;
}

size_t loopsrv_count(struct loopsrv *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->nlog;
    pthread_mutex_unlock(&s->mu);
    return n;
}

int loopsrv_get(struct loopsrv *s, size_t i, struct loopsrv_req *out)
{
    pthread_mutex_lock(&s->mu);
    int rc = -1;
    if (i < s->nlog) {
        *out = s->log[i];
        rc = 0;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void loopsrv_reset(struct loopsrv *s)
{
    pthread_mutex_lock(&s->mu);
    s->nlog = 0;
    pthread_mutex_unlock(&s->mu);
}

void loopsrv_stop(struct loopsrv *s)
{
    if (!s) {
        return;
    }
    MHD_stop_daemon(s->d);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

int loopsrv_silent(unsigned *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 8) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(sa.sin_port);
    return fd;
}
