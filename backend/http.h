/*
 * The HTTP client every poller uses: libcurl with hard connect and total
 * timeouts, a cap on the body, keep-alive (one easy handle per target, so the
 * connection is reused), gzip accepted, TLS verification on unless the
 * operator named --insecure-skip-tls-verify, no redirects followed (a
 * redirect could carry a caller's secret header to another host), and the
 * response headers scaletop cares about collected into a result.
 */
#ifndef SCALETOP_HTTP_H
#define SCALETOP_HTTP_H

#include "backend/config.h"
#include "backend/err.h"

#include <stdbool.h>
#include <stddef.h>

#define HTTP_DEFAULT_CONNECT_TIMEOUT_S 5.0
#define HTTP_DEFAULT_TIMEOUT_S         10.0
#define HTTP_DEFAULT_MAX_BODY          (8u * 1024u * 1024u)

struct http_options {
    double connect_timeout_s; /* <= 0: default */
    double timeout_s;         /* whole transfer; <= 0: default */
    size_t max_body_bytes;    /* 0: default */
    const char *ca_file;      /* NULL: system store */
    bool insecure_skip_verify;
    bool gzip; /* send Accept-Encoding (every encoding libcurl can decode) */
};

/* Fills o from the settings (timeouts, body cap, CA file, TLS switch). */
void http_options_from_config(struct http_options *o, const struct config *cfg);

struct http_header {
    const char *name;
    const char *value;
};

/* Streaming sink: receives a 2xx body in pieces (any other status's body is
 * kept, up to 4 KB, in the result for the message instead); return 0 to go
 * on, -1 to abort (the result then says "aborted by the reader"). */
typedef int (*http_sink_fn)(void *ctx, const char *data, size_t len);

struct http_request {
    const char *url;
    const struct http_header *headers; /* extra headers, may be NULL */
    size_t nheaders;
    http_sink_fn sink; /* NULL: buffer the body into the result */
    void *sink_ctx;
    double timeout_s;      /* > 0 overrides the client's total timeout */
    size_t max_body_bytes; /* > 0 overrides the client's cap */
};

enum http_error {
    HTTP_OK = 0,          /* a response arrived (any status) */
    HTTP_ERR_TIMEOUT,     /* connect or total timeout */
    HTTP_ERR_UNREACHABLE, /* resolve or connect failed */
    HTTP_ERR_TLS,         /* handshake or verification */
    HTTP_ERR_TOO_BIG,     /* body over the cap */
    HTTP_ERR_ABORTED,     /* the sink asked to stop */
    HTTP_ERR_OTHER,
};

struct http_result {
    long status; /* 0 when no response */
    char *body;  /* buffered mode: NUL-terminated; owned, see http_result_fini */
    size_t body_len;
    size_t body_bytes;       /* bytes received (both modes) */
    char build_version[128]; /* X-Coder-Build-Version, "" if absent */
    char content_type[128];
    char location[512];         /* Location of a redirect that was not followed */
    double ratelimit_reset;     /* X-Ratelimit-Reset as sent (Unix seconds), NAN */
    double ratelimit_remaining; /* NAN if absent */
    double retry_after_s;       /* Retry-After in seconds, NAN if absent */
    double latency_ms;
    enum http_error kind;
    char error[ERR_MSG_MAX]; /* "" when kind == HTTP_OK */
};

struct http_client;

/* A client for one target (keeps one connection alive); never NULL.
 * The options are copied. Use from one thread at a time. */
struct http_client *http_client_new(const struct http_options *o);

/* Frees the client and closes its connection; NULL allowed. */
void http_client_free(struct http_client *c);

/* Performs a GET. Always fills res (call http_result_fini afterwards);
 * returns 0 when a response arrived (check res->status), -1 with res->kind
 * and res->error set when none did or the body broke a limit. */
int http_get(struct http_client *c, const struct http_request *rq,
             struct http_result *res) WARN_UNUSED;

/* Frees the body; res may be reused. */
void http_result_fini(struct http_result *res);

/* True when two URLs share scheme, host and port (case-insensitive host,
 * default ports filled in). Used to keep secrets on their own origin. */
bool http_same_origin(const char *a, const char *b);

/* Copies url into out without any user:password@ part (for display). */
void http_url_redact(const char *url, char *out, size_t outsz);

/* Exponential backoff with a cap, reset on success. Times are Unix seconds. */
struct http_backoff {
    double base_s, cap_s;
    double delay_s; /* next delay after a failure; 0 after success */
    double next_s;  /* earliest next attempt */
    unsigned failures;
};

/* Starts with no delay; base_s is the first delay, cap_s the largest. */
void http_backoff_init(struct http_backoff *b, double base_s, double cap_s);
/* True when an attempt is allowed at `now`. */
bool http_backoff_ready(const struct http_backoff *b, double now);
/* A success clears the delay. */
void http_backoff_success(struct http_backoff *b);
/* A failure at `now` doubles the delay (up to the cap); returns the delay. */
double http_backoff_failure(struct http_backoff *b, double now);
/* A 429 at `now`: wait until X-Ratelimit-Reset (absolute Unix seconds, or a
 * delta when small), else Retry-After, else like a failure; never longer
 * than the cap. Returns the delay. */
double http_backoff_rate_limited(struct http_backoff *b, double now, const struct http_result *r);

#endif
