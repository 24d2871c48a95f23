/*
 * libcurl wrapper shared by every HTTP poller.
 *
 * Invariants:
 * - every transfer has a connect timeout and a total timeout, so a source that
 *   accepts and never answers costs at most the timeout;
 * - the body is capped after decompression (a gzip bomb stops at the cap),
 *   and a Content-Length over the cap aborts before any byte is read;
 * - redirects are never followed: a caller's headers (the Coder session
 *   token) must not travel to whatever host a Location names;
 * - HTTP/2 only through TLS ALPN (Debian 12's libcurl 7.88 breaks h2c on
 *   reused connections), HTTP/1.1 keep-alive otherwise;
 * - the easy handle is kept between requests for connection reuse; per
 *   request options (header list, sink) are cleared before returning.
 */
#include "backend/http.h"

#include "backend/xalloc.h"

#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct http_client {
    CURL *curl;
    struct http_options opt;
    char *ca_file;
};

/* curl_global_init is not guaranteed thread-safe on every libcurl build, so
 * it runs exactly once; the once-flag is synchronisation, not program state. */
static pthread_once_t http_once = PTHREAD_ONCE_INIT;

static void http_global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void http_options_from_config(struct http_options *o, const struct config *cfg)
{
    memset(o, 0, sizeof *o);
    o->connect_timeout_s = cfg->connect_timeout_s;
    o->timeout_s = cfg->request_timeout_s;
    o->max_body_bytes = cfg->max_body_bytes;
    o->ca_file = cfg->ca_file;
    o->insecure_skip_verify = cfg->insecure_skip_verify;
    o->gzip = true;
}

struct http_client *http_client_new(const struct http_options *o)
{
    pthread_once(&http_once, http_global_init);
    struct http_client *c = xcalloc(1, sizeof *c);
    c->opt = *o;
    if (c->opt.connect_timeout_s <= 0) {
        c->opt.connect_timeout_s = HTTP_DEFAULT_CONNECT_TIMEOUT_S;
    }
    if (c->opt.timeout_s <= 0) {
        c->opt.timeout_s = HTTP_DEFAULT_TIMEOUT_S;
    }
    if (c->opt.max_body_bytes == 0) {
        c->opt.max_body_bytes = HTTP_DEFAULT_MAX_BODY;
    }
    c->ca_file = xstrdup(o->ca_file);
    c->opt.ca_file = c->ca_file;
    c->curl = curl_easy_init();
    if (!c->curl) {
        abort(); /* only fails when out of memory */
    }
    /* TLS settings are per target and fixed: set once. The CA file replaces
     * the system store only when the operator names one. */
    curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, c->opt.insecure_skip_verify ? 0L : 1L);
    curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, c->opt.insecure_skip_verify ? 0L : 2L);
    if (c->ca_file) {
        curl_easy_setopt(c->curl, CURLOPT_CAINFO, c->ca_file);
    }
    return c;
}

void http_client_free(struct http_client *c)
{
    if (!c) {
        return;
    }
    curl_easy_cleanup(c->curl);
    free(c->ca_file);
    free(c);
}

void http_result_fini(struct http_result *res)
{
    free(res->body);
    res->body = NULL;
    res->body_len = 0;
}

/* An error body in streaming mode is kept (up to this much) for the message
 * instead of being fed to the sink. */
#define HTTP_ERROR_BODY_MAX 4096

struct xfer {
    const struct http_request *rq;
    struct http_result *res;
    CURL *h;
    size_t cap;
    size_t alloc;
    int to_sink; /* -1 not decided yet, 1 sink (2xx), 0 buffer */
    bool too_big, aborted;
};

static void buffer_append(struct xfer *x, const char *data, size_t n)
{
    struct http_result *r = x->res;
    if (r->body_len + n + 1 > x->alloc) {
        size_t want = x->alloc ? x->alloc * 2 : 16384;
        while (want < r->body_len + n + 1) {
            want *= 2;
        }
        r->body = xrealloc(r->body, want);
        x->alloc = want;
    }
    memcpy(r->body + r->body_len, data, n);
    r->body_len += n;
    r->body[r->body_len] = 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t n = size * nmemb;
    if (x->res->body_bytes + n > x->cap) {
        x->too_big = true;
        return 0;
    }
    x->res->body_bytes += n;
    if (x->rq->sink && x->to_sink < 0) {
        long status = 0;
        curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
        x->to_sink = status >= 200 && status < 300;
    }
    if (x->rq->sink && x->to_sink) {
        if (x->rq->sink(x->rq->sink_ctx, data, n) != 0) {
            x->aborted = true;
            return 0;
        }
        return n;
    }
    if (x->rq->sink) {
        /* An error page: keep its start for the message, never parse it. */
        size_t room = HTTP_ERROR_BODY_MAX - x->res->body_len;
        buffer_append(x, data, n < room ? n : room);
        return n;
    }
    buffer_append(x, data, n);
    return n;
}

/* Copies a header value (trimmed) into out if `line` is "name: value". */
static bool header_value(const char *line, size_t len, const char *name, char *out, size_t outsz)
{
    size_t nl = strlen(name);
    if (len <= nl || line[nl] != ':' || strncasecmp(line, name, nl) != 0) {
        return false;
    }
    const char *v = line + nl + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t')) {
        v++;
    }
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) {
        end--;
    }
    size_t n = (size_t)(end - v);
    if (n >= outsz) {
        n = outsz - 1;
    }
    memcpy(out, v, n);
    out[n] = '\0';
    return true;
}

static double parse_number(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    return end == s ? NAN : v;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    struct http_result *r = x->res;
    size_t n = size * nmemb;
    char tmp[128];
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* A new response (after a 100 Continue, say): forget the old headers. */
        r->build_version[0] = r->content_type[0] = r->location[0] = '\0';
        r->ratelimit_reset = r->ratelimit_remaining = r->retry_after_s = NAN;
        return n;
    }
    if (header_value(data, n, "X-Coder-Build-Version", r->build_version, sizeof r->build_version) ||
        header_value(data, n, "Content-Type", r->content_type, sizeof r->content_type) ||
        header_value(data, n, "Location", r->location, sizeof r->location)) {
        return n;
    }
    if (header_value(data, n, "X-Ratelimit-Reset", tmp, sizeof tmp)) {
        r->ratelimit_reset = parse_number(tmp);
    } else if (header_value(data, n, "X-Ratelimit-Remaining", tmp, sizeof tmp)) {
        r->ratelimit_remaining = parse_number(tmp);
    } else if (header_value(data, n, "Retry-After", tmp, sizeof tmp)) {
        r->retry_after_s = parse_number(tmp);
    }
    return n;
}

static void result_reset(struct http_result *res)
{
    memset(res, 0, sizeof *res);
    res->ratelimit_reset = res->ratelimit_remaining = res->retry_after_s = NAN;
    res->latency_ms = NAN;
}

static int fail(struct http_result *res, enum http_error kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct http_result *res, enum http_error kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->error, sizeof res->error, fmt, ap);
    va_end(ap);
    res->kind = kind;
    return -1;
}

int http_get(struct http_client *c, const struct http_request *rq, struct http_result *res)
{
    result_reset(res);
    CURL *h = c->curl;
    double timeout_s = rq->timeout_s > 0 ? rq->timeout_s : c->opt.timeout_s;
    double connect_s = c->opt.connect_timeout_s < timeout_s ? c->opt.connect_timeout_s : timeout_s;
    struct xfer x = {.rq = rq,
                     .h = h,
                     .to_sink = -1,
                     .res = res,
                     .cap = rq->max_body_bytes ? rq->max_body_bytes : c->opt.max_body_bytes};
    char errbuf[CURL_ERROR_SIZE] = "";

    struct curl_slist *hdrs = NULL;
    for (size_t i = 0; i < rq->nheaders; i++) {
        char *line = xasprintf("%s: %s", rq->headers[i].name, rq->headers[i].value);
        struct curl_slist *n = curl_slist_append(hdrs, line);
        /* The header may hold a secret: wipe our copy (curl keeps its own). */
        memset(line, 0, strlen(line));
        free(line);
        if (!n) {
            curl_slist_free_all(hdrs);
            return fail(res, HTTP_ERR_OTHER, "out of memory building headers");
        }
        hdrs = n;
    }

    curl_easy_setopt(h, CURLOPT_URL, rq->url);
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(connect_s * 1000.0));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000.0));
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x.cap);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, c->opt.gzip ? "" : NULL);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "scaletop/" SCALETOP_VERSION);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);

    CURLcode rc = curl_easy_perform(h);

    curl_off_t total_us = 0;
    if (curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total_us) == CURLE_OK) {
        res->latency_ms = (double)total_us / 1000.0;
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);

    /* Nothing of this request may linger in the reused handle. */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, NULL);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, NULL);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all(hdrs);

    if (rc == CURLE_OK) {
        res->status = status;
        res->kind = HTTP_OK;
        if (!res->body && (!rq->sink || x.to_sink != 1)) {
            res->body = xstrdup("");
        }
        return 0;
    }
    http_result_fini(res);
    res->status = status;
    const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    if (x.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
        return fail(res, HTTP_ERR_TOO_BIG, "body over %zu bytes", x.cap);
    }
    if (x.aborted) {
        return fail(res, HTTP_ERR_ABORTED, "aborted by the reader");
    }
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return fail(res, HTTP_ERR_TIMEOUT, "timed out after %.3g s (%s)", timeout_s, detail);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return fail(res, HTTP_ERR_UNREACHABLE, "unreachable: %s", detail);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
        return fail(res, HTTP_ERR_TLS, "TLS: %s", detail);
    default:
        return fail(res, HTTP_ERR_OTHER, "%s", detail);
    }
}

/* Splits a URL into lower-case scheme, host and port (defaults filled in). */
static bool url_origin(const char *url, char *scheme, size_t ssz, char *host, size_t hsz,
                       long *port)
{
    const char *p = strstr(url, "://");
    if (!p || (size_t)(p - url) >= ssz) {
        return false;
    }
    size_t sl = (size_t)(p - url);
    for (size_t i = 0; i < sl; i++) {
        char ch = url[i];
        scheme[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    scheme[sl] = '\0';
    const char *a = p + 3;
    const char *end = a + strcspn(a, "/?#");
    const char *at = memchr(a, '@', (size_t)(end - a));
    if (at) {
        a = at + 1;
    }
    const char *colon = NULL;
    if (*a == '[') {
        const char *rb = memchr(a, ']', (size_t)(end - a));
        if (!rb) {
            return false;
        }
        colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = memchr(a, ':', (size_t)(end - a));
    }
    const char *hend = colon ? colon : end;
    size_t hl = (size_t)(hend - a);
    if (hl == 0 || hl >= hsz) {
        return false;
    }
    for (size_t i = 0; i < hl; i++) {
        char ch = a[i];
        host[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    host[hl] = '\0';
    if (colon && colon + 1 < end) {
        *port = strtol(colon + 1, NULL, 10);
    } else if (strcmp(scheme, "https") == 0) {
        *port = 443;
    } else if (strcmp(scheme, "http") == 0) {
        *port = 80;
    } else {
        *port = 0;
    }
    return true;
}

bool http_same_origin(const char *a, const char *b)
{
    char sa[16], sb[16], ha[256], hb[256];
    long pa, pb;
    if (!a || !b || !url_origin(a, sa, sizeof sa, ha, sizeof ha, &pa) ||
        !url_origin(b, sb, sizeof sb, hb, sizeof hb, &pb)) {
        return false;
    }
    return strcmp(sa, sb) == 0 && strcmp(ha, hb) == 0 && pa == pb;
}

void http_url_redact(const char *url, char *out, size_t outsz)
{
    if (!outsz) {
        return;
    }
    const char *p = url ? strstr(url, "://") : NULL;
    const char *end = p ? p + 3 + strcspn(p + 3, "/?#") : NULL;
    const char *at = p ? memchr(p + 3, '@', (size_t)(end - (p + 3))) : NULL;
    if (!at) {
        snprintf(out, outsz, "%s", url ? url : "");
        return;
    }
    snprintf(out, outsz, "%.*s%s", (int)(p + 3 - url), url, at + 1);
}

void http_backoff_init(struct http_backoff *b, double base_s, double cap_s)
{
    b->base_s = base_s > 0 ? base_s : 1;
    b->cap_s = cap_s >= b->base_s ? cap_s : b->base_s;
    b->delay_s = 0;
    b->next_s = 0;
    b->failures = 0;
}

bool http_backoff_ready(const struct http_backoff *b, double now)
{
    return now >= b->next_s;
}

void http_backoff_success(struct http_backoff *b)
{
    b->delay_s = 0;
    b->next_s = 0;
    b->failures = 0;
}

double http_backoff_failure(struct http_backoff *b, double now)
{
    b->delay_s = b->delay_s <= 0 ? b->base_s : b->delay_s * 2;
    if (b->delay_s > b->cap_s) {
        b->delay_s = b->cap_s;
    }
    b->failures++;
    b->next_s = now + b->delay_s;
    return b->delay_s;
}

double http_backoff_rate_limited(struct http_backoff *b, double now, const struct http_result *r)
{
    double wait = NAN;
    if (r && isfinite(r->ratelimit_reset) && r->ratelimit_reset >= 0) {
        /* go-chi/httprate sends the Unix time of the window's end; accept a
         * delta in seconds too (anything before 2001 cannot be a timestamp). */
        wait = r->ratelimit_reset > 1e9 ? r->ratelimit_reset - now : r->ratelimit_reset;
        if (wait < 1) {
            wait = 1;
        }
    } else if (r && isfinite(r->retry_after_s) && r->retry_after_s >= 0) {
        wait = r->retry_after_s < 1 ? 1 : r->retry_after_s;
    }
    if (!isfinite(wait)) {
        return http_backoff_failure(b, now);
    }
    if (wait > b->cap_s) {
        wait = b->cap_s;
    }
    b->failures++;
    b->delay_s = wait;
    b->next_s = now + wait;
    return wait;
}
