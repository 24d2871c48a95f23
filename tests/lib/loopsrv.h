/*
 * A tiny HTTP server for tests (libmicrohttpd), on 127.0.0.1 and an
 * ephemeral port only. A handler decides each response; the server records
 * what every request carried (path, query, a few headers, client port) so a
 * test can assert what the client sent. Also a "silent" listener that
 * accepts connections into its backlog and never answers.
 */
#ifndef SCALETOP_LOOPSRV_H
#define SCALETOP_LOOPSRV_H

#include <stddef.h>

#define LOOPSRV_MAX_LOG 256

struct loopsrv_req {
    char path[256];
    char query[512]; /* "k=v&k=v" as decoded by the server, "" if none */
    char token[128]; /* Coder-Session-Token, "" if absent */
    char accept_encoding[64];
    char user_agent[64];
    unsigned client_port;
};

struct loopsrv_resp {
    int status;
    const char *body; /* copied */
    size_t len;       /* 0: strlen(body) */
    const char *content_type;
    const char *content_encoding;
    const char *hdr_name[4]; /* extra headers */
    const char *hdr_value[4];
    int chunked;  /* no Content-Length */
    int delay_ms; /* sleep before answering (blocks the whole test server) */
};

typedef void (*loopsrv_fn)(void *ctx, const struct loopsrv_req *rq, struct loopsrv_resp *out);

struct loopsrv;

/* Starts a server on 127.0.0.1:0 calling fn for every request (from the
 * server's thread); NULL if it cannot start. */
struct loopsrv *loopsrv_start(loopsrv_fn fn, void *ctx);
/* The same over TLS with the given PEM certificate and key. */
struct loopsrv *loopsrv_start_tls(loopsrv_fn fn, void *ctx, const char *cert_pem,
                                  const char *key_pem);
/* "http://127.0.0.1:PORT" (https for a TLS server) */
const char *loopsrv_url(const struct loopsrv *s);
/* Number of requests served so far, and a copy of request i. */
size_t loopsrv_count(struct loopsrv *s);
int loopsrv_get(struct loopsrv *s, size_t i, struct loopsrv_req *out);
/* Forgets the recorded requests. */
void loopsrv_reset(struct loopsrv *s);
/* Stops the server and frees it; NULL allowed. */
void loopsrv_stop(struct loopsrv *s);

/* A socket listening on 127.0.0.1 that never accepts: connections complete in
 * the kernel backlog and then hang. Returns the fd (close it) and the port. */
int loopsrv_silent(unsigned *port);

#endif
