/* backend/http against a real loopback server: limits, headers, secrets. */
#include "backend/http.h"
#include "tests/lib/loopsrv.h"
#include "tests/lib/test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/gzip_bomb.inc"

static const unsigned char hello_gz[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48,
    0xcd, 0xc9, 0xc9, 0x57, 0x48, 0xaf, 0xca, 0x2c, 0x50, 0xc8, 0xc0, 0xc6,
    0x04, 0x00, 0x88, 0x75, 0x05, 0x10, 0x20, 0x00, 0x00, 0x00}; /* "hello gzip" x3 */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct big {
    char *data;
    size_t len;
};

static void handler(void *ctx, const struct loopsrv_req *rq, struct loopsrv_resp *out)
{
    struct big *big = ctx;
    if (strcmp(rq->path, "/ok") == 0) {
        out->status = 200;
        out->body = "{\"hello\":\"world\"}";
        out->hdr_name[0] = "X-Coder-Build-Version";
        out->hdr_value[0] = "v2.38.5+3f0c1a7";
    } else if (strcmp(rq->path, "/big") == 0) {
        out->status = 200;
        out->body = big->data;
        out->len = big->len;
    } else if (strcmp(rq->path, "/big-chunked") == 0) {
        out->status = 200;
        out->body = big->data;
        out->len = big->len;
        out->chunked = 1;
    } else if (strcmp(rq->path, "/gzip") == 0) {
        out->status = 200;
        out->body = (const char *)hello_gz;
        out->len = sizeof hello_gz;
        out->content_type = "text/plain";
        out->content_encoding = "gzip";
    } else if (strcmp(rq->path, "/bomb") == 0) {
        out->status = 200;
        out->body = (const char *)gzip_bomb;
        out->len = sizeof gzip_bomb;
        out->content_encoding = "gzip";
    } else if (strcmp(rq->path, "/limited") == 0) {
        static char reset[32];
        snprintf(reset, sizeof reset, "%.0f", (double)time(NULL) + 30);
        out->status = 429;
        out->body = "{\"message\":\"You've been rate limited for sending more than 512 requests "
                    "in 1m0s.\"}";
        out->hdr_name[0] = "X-Ratelimit-Reset";
        out->hdr_value[0] = reset;
        out->hdr_name[1] = "X-Ratelimit-Remaining";
        out->hdr_value[1] = "0";
    } else if (strncmp(rq->path, "/redirect", 9) == 0) {
        out->status = 302;
        out->body = "";
        out->hdr_name[0] = "Location";
        out->hdr_value[0] = big->data ? "http://127.0.0.2:9/elsewhere" : "/";
    }
}

static struct loopsrv *start(struct big *big)
{
    big->len = 100000;
    big->data = malloc(big->len);
    memset(big->data, 'x', big->len);
    struct loopsrv *s = loopsrv_start(handler, big);
    CHECK(s != NULL);
    return s;
}

static char *url(struct loopsrv *s, const char *path)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "%s%s", loopsrv_url(s), path);
    return buf;
}

static struct http_client *client(double timeout_s, size_t cap)
{
    struct http_options o = {
        .connect_timeout_s = 1, .timeout_s = timeout_s, .max_body_bytes = cap, .gzip = true};
    return http_client_new(&o);
}

TEST(http_ok_headers_and_user_agent)
{
    struct big big;
    struct loopsrv *s = start(&big);
    struct http_client *c = client(2, 0);
    struct http_result r;
    struct http_request rq = {.url = url(s, "/ok")};
    CHECK_INT(http_get(c, &rq, &r), 0);
    CHECK_INT(r.status, 200);
    CHECK_STR(r.body, "{\"hello\":\"world\"}");
    CHECK_STR(r.build_version, "v2.38.5+3f0c1a7");
    CHECK_STR(r.content_type, "application/json");
    CHECK(isfinite(r.latency_ms) && r.latency_ms >= 0);
    CHECK(isnan(r.ratelimit_reset));
    http_result_fini(&r);
    struct loopsrv_req got;
    CHECK_INT(loopsrv_get(s, 0, &got), 0);
    CHECK_STR(got.user_agent, "scaletop/" SCALETOP_VERSION);
    http_client_free(c);
    loopsrv_stop(s);
    free(big.data);
}

TEST(http_keepalive_reuses_connection)
{
    struct big big;
    struct loopsrv *s = start(&big);
    struct http_client *c = client(2, 0);
    for (int i = 0; i < 3; i++) {
        struct http_result r;
        struct http_request rq = {.url = url(s, "/ok")};
        CHECK_INT(http_get(c, &rq, &r), 0);
        http_result_fini(&r);
    }
    struct loopsrv_req a, b;
    CHECK_INT(loopsrv_get(s, 0, &a), 0);
    CHECK_INT(loopsrv_get(s, 2, &b), 0);
    CHECK(a.client_port != 0);
    CHECK_INT(a.client_port, b.client_port); /* same TCP connection */
    http_client_free(c);
    loopsrv_stop(s);
    free(big.data);
}

TEST(http_timeout_on_server_that_never_answers)
{
    unsigned port = 0;
    int fd = loopsrv_silent(&port);
    CHECK(fd >= 0);
    char u[64];
    snprintf(u, sizeof u, "http://127.0.0.1:%u/api/v2/buildinfo", port);
    struct http_client *c = client(1, 0);
    struct http_result r;
    struct http_request rq = {.url = u};
    double t0 = now_s();
    CHECK_INT(http_get(c, &rq, &r), -1);
    double took = now_s() - t0;
    CHECK_INT(r.kind, HTTP_ERR_TIMEOUT);
    CHECK_INT(r.status, 0);
    CHECK(strstr(r.error, "timed out") != NULL);
    CHECK(took >= 0.9 && took < 2.5);
    http_client_free(c);
    close(fd);
}

TEST(http_request_timeout_overrides_client)
{
    unsigned port = 0;
    int fd = loopsrv_silent(&port);
    char u[64];
    snprintf(u, sizeof u, "http://127.0.0.1:%u/", port);
    struct http_client *c = client(30, 0);
    struct http_result r;
    struct http_request rq = {.url = u, .timeout_s = 0.5};
    double t0 = now_s();
    CHECK_INT(http_get(c, &rq, &r), -1);
    CHECK_INT(r.kind, HTTP_ERR_TIMEOUT);
    CHECK(now_s() - t0 < 2);
    http_client_free(c);
    close(fd);
}

TEST(http_unreachable_port)
{
    unsigned port = 0;
    int fd = loopsrv_silent(&port);
    close(fd); /* nothing listens there now */
    char u[64];
    snprintf(u, sizeof u, "http://127.0.0.1:%u/", port);
    struct http_client *c = client(2, 0);
    struct http_result r;
    struct http_request rq = {.url = u};
    CHECK_INT(http_get(c, &rq, &r), -1);
    CHECK_INT(r.kind, HTTP_ERR_UNREACHABLE);
    CHECK(r.body == NULL);
    http_client_free(c);
}

TEST(http_body_cap_with_content_length)
{
    struct big big;
    struct loopsrv *s = start(&big);
    struct http_client *c = client(2, 10240);
    struct http_result r;
    struct http_request rq = {.url = url(s, "/big")};
    CHECK_INT(http_get(c, &rq, &r), -1);
    CHECK_INT(r.kind, HTTP_ERR_TOO_BIG);
    CHECK_STR(r.error, "body over 10240 bytes");
    CHECK(r.body == NULL);
    /* Under the cap the same body arrives whole. */
    struct http_request rq2 = {.url = url(s, "/big"), .max_body_bytes = 200000};
    CHECK_INT(http_get(c, &rq2, &r), 0);
    CHECK_INT(r.body_len, 100000);
    http_result_fini(&r);
    http_client_free(c);
    loopsrv_stop(s);
    free(big.data);
}

TEST(http_body_cap_chunked)
{
    struct big big;
    struct loopsrv *s = start(&big);
    struct http_client *c = client(2, 10240);
    struct http_result r;
    struct http_request rq = {.url = url(s, "/big-chunked")};
    CHECK_INT(http_get(c, &rq, &r), -1);
    CHECK_INT(r.kind, HTTP_ERR_TOO_BIG);
    CHECK_STR(r.error, "body over 10240 bytes");
    CHECK(r.body_bytes <= 10240);
    http_client_free(c);
    loopsrv_stop(s);
    free(big.data);
}

TEST(http_gzip_accepted_and_decoded)
{
    struct big big;
    struct loopsrv *s = start(&big);
    struct http_client *c = client(2, 0);
    struct http_result r;
    struct http_request rq = {.url = url(s, "/gzip")};
    CHECK_INT(http_get(c, &rq, &r), 0);
    CHECK_STR(r.body, "hello gzip hello gzip hello gzip");
    http_result_fini(&r);
    struct loopsrv_req got;
    CHECK_INT(loopsrv_get(s, 0, &got), 0);
    CHECK(strstr(got.accept_encoding, "gzip") != NULL);
    http_client_free(c);
    loopsrv_stop(s);
    free(big.data);
}

TEST(http_gzip_bomb_stops_at_cap)
{
    struct big big;
    struct loopsrv *s = start(&big);
    struct http_client *c = client(2, 65536);
    struct http_result r;
    struct http_request rq = {.url = url(s, "/bomb")};
    CHECK_INT(http_get(c, &rq, &r), -1);
    CHECK_INT(r.kind, HTTP_ERR_TOO_BIG);
    CHECK_STR(r.error, "body over 65536 bytes");
    http_client_free(c);
    loopsrv_stop(s);
    free(big.data);
}

struct sink_ctx {
    size_t bytes, calls, stop_after;
};

static int sink(void *ctx, const char *data, size_t len)
{
    struct sink_ctx *k = ctx;
    (void)data;
    k->bytes += len;
    k->calls++;
    return k->stop_after && k->bytes >= k->stop_after ? -1 : 0;
}

TEST(http_streaming_sink)
{
    struct big big;
    struct loopsrv *s = start(&big);
    struct http_client *c = client(2, 0);
    struct sink_ctx k = {0};
    struct http_result r;
    struct http_request rq = {.url = url(s, "/big-chunked"), .sink = sink, .sink_ctx = &k};
    CHECK_INT(http_get(c, &rq, &r), 0);
    CHECK_INT(k.bytes, 100000);
    CHECK(r.body == NULL); /* streamed, not buffered */
    CHECK_INT(r.body_bytes, 100000);
    /* An error answer goes to the result, not to the sink. */
    struct sink_ctx k3 = {0};
    char limited[256]; /* url() returns a shared buffer that rq still points to */
    snprintf(limited, sizeof limited, "%s/limited", loopsrv_url(s));
    struct http_request rq3 = {.url = limited, .sink = sink, .sink_ctx = &k3};
    CHECK_INT(http_get(c, &rq3, &r), 0);
    CHECK_INT(r.status, 429);
    CHECK_INT(k3.calls, 0);
    CHECK(r.body && strstr(r.body, "rate limited") != NULL);
    http_result_fini(&r);
    struct sink_ctx k2 = {.stop_after = 1};
    rq.sink_ctx = &k2;
    CHECK_INT(http_get(c, &rq, &r), -1);
    CHECK_INT(r.kind, HTTP_ERR_ABORTED);
    http_client_free(c);
    loopsrv_stop(s);
    free(big.data);
}

TEST(http_429_reset_header_drives_backoff)
{
    struct big big;
    struct loopsrv *s = start(&big);
    struct http_client *c = client(2, 0);
    struct http_result r;
    struct http_request rq = {.url = url(s, "/limited")};
    CHECK_INT(http_get(c, &rq, &r), 0);
    CHECK_INT(r.status, 429);
    double now = (double)time(NULL);
    CHECK(fabs(r.ratelimit_reset - (now + 30)) <= 2);
    CHECK_INT(r.ratelimit_remaining, 0);
    struct http_backoff b;
    http_backoff_init(&b, 15, 300);
    double wait = http_backoff_rate_limited(&b, now, &r);
    CHECK(wait >= 28 && wait <= 32);
    CHECK(!http_backoff_ready(&b, now + 20));
    CHECK(http_backoff_ready(&b, now + 33));
    http_result_fini(&r);
    http_client_free(c);
    loopsrv_stop(s);
    free(big.data);
}

TEST(http_backoff_exponential_capped_and_reset)
{
    struct http_backoff b;
    http_backoff_init(&b, 10, 60);
    CHECK(http_backoff_ready(&b, 0));
    CHECK_NEAR(http_backoff_failure(&b, 100), 10, 1e-9);
    CHECK(!http_backoff_ready(&b, 105));
    CHECK(http_backoff_ready(&b, 110));
    CHECK_NEAR(http_backoff_failure(&b, 110), 20, 1e-9);
    CHECK_NEAR(http_backoff_failure(&b, 130), 40, 1e-9);
    CHECK_NEAR(http_backoff_failure(&b, 170), 60, 1e-9);
    CHECK_NEAR(http_backoff_failure(&b, 230), 60, 1e-9);
    http_backoff_success(&b);
    CHECK(http_backoff_ready(&b, 231));
    CHECK_NEAR(http_backoff_failure(&b, 231), 10, 1e-9);
    /* A small reset value is a delta; no header at all falls back. */
    struct http_result r = {.ratelimit_reset = 7, .retry_after_s = NAN};
    CHECK_NEAR(http_backoff_rate_limited(&b, 1000, &r), 7, 1e-9);
    r.ratelimit_reset = 1e10; /* far future: capped */
    CHECK_NEAR(http_backoff_rate_limited(&b, 1000, &r), 60, 1e-9);
    r.ratelimit_reset = NAN;
    r.retry_after_s = 3;
    CHECK_NEAR(http_backoff_rate_limited(&b, 1000, &r), 3, 1e-9);
}

TEST(http_redirect_not_followed_with_secret)
{
    /* Two servers: the first redirects to the second; the secret header must
     * never reach the second. */
    struct big big;
    struct loopsrv *a = start(&big);
    struct big none = {0};
    struct loopsrv *b = loopsrv_start(handler, &none);
    char target[256];
    snprintf(target, sizeof target, "%s/ok", loopsrv_url(b));
    struct http_client *c = client(2, 0);
    struct http_header h[] = {{"Coder-Session-Token", "abcdefghij-0123456789012345678901"}};
    struct http_result r;
    struct http_request rq = {.url = url(a, "/redirect"), .headers = h, .nheaders = 1};
    CHECK_INT(http_get(c, &rq, &r), 0);
    CHECK_INT(r.status, 302);
    CHECK_INT(loopsrv_count(b), 0);
    CHECK(strcmp(r.location, "http://127.0.0.2:9/elsewhere") == 0);
    http_result_fini(&r);
    struct loopsrv_req got;
    CHECK_INT(loopsrv_get(a, 0, &got), 0);
    CHECK_STR(got.token, "abcdefghij-0123456789012345678901");
    /* The next request without the header carries no leftover of it. */
    struct http_request rq2 = {.url = url(a, "/ok")};
    CHECK_INT(http_get(c, &rq2, &r), 0);
    http_result_fini(&r);
    CHECK_INT(loopsrv_get(a, 1, &got), 0);
    CHECK_STR(got.token, "");
    (void)target;
    http_client_free(c);
    loopsrv_stop(a);
    loopsrv_stop(b);
    free(big.data);
}

TEST(http_same_origin_rules)
{
    CHECK(http_same_origin("https://coder.example.com", "https://coder.example.com/api/v2/x"));
    CHECK(http_same_origin("https://Coder.Example.com:443/", "https://coder.example.com/a"));
    CHECK(http_same_origin("http://127.0.0.1:8080/x", "http://127.0.0.1:8080"));
    CHECK(!http_same_origin("https://coder.example.com", "http://coder.example.com"));
    CHECK(!http_same_origin("https://coder.example.com", "https://coder.example.com.evil.io"));
    CHECK(!http_same_origin("https://coder.example.com", "https://evil.io/coder.example.com"));
    CHECK(!http_same_origin("http://127.0.0.1:8080", "http://127.0.0.1:8081"));
    CHECK(!http_same_origin("https://coder.example.com", "https://x@evil.io"));
    CHECK(http_same_origin("http://[::1]:3000/a", "http://[::1]:3000/b"));
    CHECK(!http_same_origin("nonsense", "nonsense"));
    char out[128];
    http_url_redact("https://user:secret@coder.example.com/x", out, sizeof out);
    CHECK_STR(out, "https://coder.example.com/x");
    http_url_redact("https://coder.example.com", out, sizeof out);
    CHECK_STR(out, "https://coder.example.com");
}

/* A self-signed certificate for 127.0.0.1, made for this test only
 * (openssl req -x509 -newkey ec, 100 years); trusted nowhere. */
static const char test_cert[] = "-----BEGIN CERTIFICATE-----\n"
                                "MIIBkTCCATagAwIBAgIUR2hRESaXT801G9vKRlq3gjwWh2UwCgYIKoZIzj0EAwIw\n"
                                "FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyNzIyNTYwMVoYDzIxMjYxMTAz\n"
                                "MjI1NjAxWjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO\n"
                                "PQMBBwNCAAQo7DtpYYdweurAmWVQbFFZXDpP2Six+eI8MzPAZ6LZYNT2kiuYzkh3\n"
                                "roYOhfjiBnYp3HfjL2FtLAY88rRLL6/Io2QwYjAdBgNVHQ4EFgQUOXUfzBavLCFV\n"
                                "DNYh3AOVj8kMXzAwHwYDVR0jBBgwFoAUOXUfzBavLCFVDNYh3AOVj8kMXzAwDwYD\n"
                                "VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0kAMEYC\n"
                                "IQDb+oVAZ+NRB3Z06OWIFoD5wNCazUwQ6SY1EONRm2AhxwIhAPAzExDYkipAgUr2\n"
                                "a0irvcX8pu0ANh8FV+CSr1cZ4qlK\n"
                                "-----END CERTIFICATE-----\n";
static const char test_key[] = "-----BEGIN PRIVATE KEY-----\n"
                               "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgLkUFNgGt9fzR3hga\n"
                               "OpAWhWDZiB7QFcBXjk338WD/b06hRANCAAQo7DtpYYdweurAmWVQbFFZXDpP2Six\n"
                               "+eI8MzPAZ6LZYNT2kiuYzkh3roYOhfjiBnYp3HfjL2FtLAY88rRLL6/I\n"
                               "-----END PRIVATE KEY-----\n";

TEST(http_tls_verified_by_default)
{
    struct big big = {0};
    struct loopsrv *s = loopsrv_start_tls(handler, &big, test_cert, test_key);
    CHECK(s != NULL);
    if (!s) {
        return;
    }
    char u[128];
    snprintf(u, sizeof u, "%s/ok", loopsrv_url(s));
    CHECK(strncmp(u, "https://", 8) == 0);
    struct http_result r;
    struct http_request rq = {.url = u};

    /* Default: the self-signed certificate is refused. */
    struct http_client *c = client(2, 0);
    CHECK_INT(http_get(c, &rq, &r), -1);
    CHECK_INT(r.kind, HTTP_ERR_TLS);
    CHECK_INT(loopsrv_count(s), 0);
    http_client_free(c);

    /* With the certificate as the CA file it verifies. */
    char path[] = "/tmp/scaletop-test-ca-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK(write(fd, test_cert, strlen(test_cert)) == (ssize_t)strlen(test_cert));
    close(fd);
    struct http_options o = {.connect_timeout_s = 1, .timeout_s = 2, .ca_file = path};
    c = http_client_new(&o);
    CHECK_INT(http_get(c, &rq, &r), 0);
    CHECK_INT(r.status, 200);
    http_result_fini(&r);
    http_client_free(c);
    unlink(path);

    /* Only the named switch turns verification off. */
    struct http_options o2 = {.connect_timeout_s = 1, .timeout_s = 2, .insecure_skip_verify = true};
    c = http_client_new(&o2);
    CHECK_INT(http_get(c, &rq, &r), 0);
    CHECK_INT(r.status, 200);
    http_result_fini(&r);
    http_client_free(c);
    loopsrv_stop(s);
}
