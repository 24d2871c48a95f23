/* promtext: the streaming Prometheus/OpenMetrics text parser. */
#include "backend/metrics.h"
#include "backend/promtext.h"
#include "tests/lib/test.h"

#include <math.h>
#include <stdlib.h>

/* Every emitted sample, serialised one per line, so that runs can be
 * compared byte for byte. */
struct rec {
    char *text;
    size_t len, cap;
    size_t n;
};

static void rec_put(struct rec *r, const char *s, size_t n)
{
    if (r->len + n + 1 > r->cap) {
        r->cap = (r->len + n + 1) * 2;
        r->text = realloc(r->text, r->cap);
    }
    memcpy(r->text + r->len, s, n);
    r->len += n;
    r->text[r->len] = 0;
}

static void on_sample(void *ud, const struct promtext_sample *s)
{
    struct rec *r = ud;
    char buf[256];
    rec_put(r, s->family, s->family_len);
    rec_put(r, "|", 1);
    rec_put(r, s->name, s->name_len);
    int n = snprintf(buf, sizeof buf, "|t%d|", (int)s->type);
    rec_put(r, buf, (size_t)n);
    for (size_t i = 0; i < s->nlabels; i++) {
        rec_put(r, s->labels[i].name, s->labels[i].name_len);
        rec_put(r, "=", 1);
        rec_put(r, s->labels[i].value, s->labels[i].value_len);
        rec_put(r, ";", 1);
    }
    n = snprintf(buf, sizeof buf, "|%.17g", s->value);
    rec_put(r, buf, (size_t)n);
    if (s->has_timestamp) {
        n = snprintf(buf, sizeof buf, "@%.17g", s->timestamp_ms);
        rec_put(r, buf, (size_t)n);
    }
    rec_put(r, "\n", 1);
    r->n++;
}

/* Parses text in chunks of `chunk` bytes (0: one chunk). */
static struct promtext *parse(const char *text, size_t len, size_t chunk, struct rec *r, bool om,
                              size_t max_line)
{
    struct promtext *p = promtext_new(max_line, on_sample, r);
    promtext_set_openmetrics(p, om);
    if (chunk == 0) {
        chunk = len ? len : 1;
    }
    for (size_t off = 0; off < len; off += chunk) {
        promtext_feed(p, text + off, len - off < chunk ? len - off : chunk);
    }
    promtext_finish(p);
    return p;
}

static struct promtext *parse_str(const char *text, struct rec *r)
{
    return parse(text, strlen(text), 0, r, false, 0);
}

static int has(const struct rec *r, const char *line)
{
    return r->text && strstr(r->text, line) != NULL;
}

#define CHECK_HAS(r, line)                                                                         \
    do {                                                                                           \
        if (!has((r), (line)))                                                                     \
            test_fail(__FILE__, __LINE__, "missing sample \"%s\" in:\n%.300s", (line),             \
                      (r)->text ? (r)->text : "(none)");                                           \
    } while (0)

TEST(promtext_fixture_coderd_exact_counts)
{
    size_t len;
    char *t = test_read_file(test_shared_path("fixtures/coder/metrics/coderd.prom"), &len);
    CHECK(t != NULL);
    if (!t) {
        return;
    }
    struct rec r = {0};
    struct promtext *p = parse(t, len, 0, &r, false, 0);
    const struct promtext_stats *st = promtext_stats(p);
    CHECK_INT(st->samples, 894);
    CHECK_INT(st->lines, 1110);
    CHECK_INT(st->errors, 0);
    CHECK_INT(r.n, 894);
    /* a histogram bucket belongs to its family, typed */
    CHECK_HAS(&r, "coderd_api_request_latencies_seconds|coderd_api_request_latencies_seconds_"
                  "bucket|t3|method=GET;path=/api/v2/buildinfo;le=+Inf;|2870\n");
    CHECK_HAS(
        &r,
        "go_gc_duration_seconds|go_gc_duration_seconds|t4|quantile=0.5;|8.9344000000000004e-05\n");
    CHECK_HAS(&r, "go_gc_duration_seconds|go_gc_duration_seconds_count|t4||11342\n");
    CHECK_HAS(&r, "process_max_fds|process_max_fds|t2||1048576\n");
    CHECK_HAS(&r, "process_virtual_memory_max_bytes|process_virtual_memory_max_bytes|t2||"
                  "1.8446744073709552e+19\n");
    CHECK_HAS(&r, "coderd_api_requests_processed_total|coderd_api_requests_processed_total|t1|"
                  "code=401;method=GET;path=/api/v2/users/{user}/;|14\n");
    promtext_free(p);
    free(r.text);
    free(t);
}

TEST(promtext_fixture_provisionerd_exact_counts)
{
    size_t len;
    char *t = test_read_file(test_shared_path("fixtures/coder/metrics/provisionerd.prom"), &len);
    CHECK(t != NULL);
    if (!t) {
        return;
    }
    struct rec r = {0};
    struct promtext *p = parse(t, len, 0, &r, false, 0);
    CHECK_INT(promtext_stats(p)->samples, 118);
    CHECK_INT(promtext_stats(p)->errors, 0);
    CHECK_HAS(&r, "coderd_workspace_builds_total|coderd_workspace_builds_total|t1|workspace_owner="
                  "bob;workspace_name=api-dev;template_name=k8s-dev;template_version=brave_turing4;"
                  "workspace_transition=START;status=failed;|2\n");
    promtext_free(p);
    free(r.text);
    free(t);
}

TEST(promtext_fixture_one_byte_chunks_same_samples)
{
    size_t len;
    char *t = test_read_file(test_shared_path("fixtures/coder/metrics/coderd.prom"), &len);
    CHECK(t != NULL);
    if (!t) {
        return;
    }
    struct rec whole = {0}, bytes = {0}, odd = {0};
    struct promtext *p1 = parse(t, len, 0, &whole, false, 0);
    struct promtext *p2 = parse(t, len, 1, &bytes, false, 0);
    struct promtext *p3 = parse(t, len, 4093, &odd, false, 0);
    CHECK_INT(whole.n, 894);
    CHECK(whole.len == bytes.len && memcmp(whole.text, bytes.text, whole.len) == 0);
    CHECK(whole.len == odd.len && memcmp(whole.text, odd.text, whole.len) == 0);
    promtext_free(p1);
    promtext_free(p2);
    promtext_free(p3);
    free(whole.text);
    free(bytes.text);
    free(odd.text);
    free(t);
}

/* A document with one instance of every gotcha of performance.md §2.3. */
static const char gotchas[] =
    "# HELP esc_total Escapes in HELP: \\\\ and \\n, and a raw \" quote.\n"
    "# TYPE esc_total counter\n"
    "esc_total{path=\"C:\\\\dir\",msg=\"say \\\"hi\\\"\",nl=\"a\\nb\"} 1\n"
    "\n"
    "# a plain comment\r\n"
    "crlf_metric{a=\"1\"} 2\r\n"
    "trailing_comma{a=\"1\",} 3\n"
    "space_after_comma{template_name=\"docker\", username=\"bob\"} 4\n"
    "tabs\t{a=\"x\"}\t5\t1700000000000\n"
    "derp{derp_region=\"Coder Embedded Relay\"} 6\n"
    "special{v=\"nan\"} NaN\n"
    "special{v=\"pinf\"} +Inf\n"
    "special{v=\"minf\"} -Inf\n"
    "expo 1.152103e+06\n"
    "with_ts 7 1395066363000\n"
    "negative_ts 8 -1\n"
    "# TYPE h histogram\n"
    "h_bucket{le=\"1e+06\"} 1\n"
    "h_bucket{le=\"+Inf\"} 2\n"
    "h_sum 3.5\n"
    "h_count 2\n"
    "# TYPE s summary\n"
    "s{quantile=\"0.99\"} 0.3\n"
    "s_sum 10\n"
    "s_count 20\n"
    "untyped_thing 9\n"
    "lenient{a=\"back\\qslash\"} 10\n"
    "{\"my.dotted.metric\",\"label.x\"=\"v\"} 11\n"
    "no_newline_at_end 12";

TEST(promtext_gotchas_each_parsed)
{
    struct rec r = {0};
    struct promtext *p = parse_str(gotchas, &r);
    const struct promtext_stats *st = promtext_stats(p);
    CHECK_INT(st->errors, 0);
    CHECK_INT(st->samples, 23);
    /* escapes in label values: \\ -> \, \" -> ", \n -> newline */
    CHECK_HAS(&r, "esc_total|esc_total|t1|path=C:\\dir;msg=say \"hi\";nl=a\nb;|1\n");
    CHECK_HAS(&r, "crlf_metric|crlf_metric|t0|a=1;|2\n");
    CHECK_HAS(&r, "trailing_comma|trailing_comma|t0|a=1;|3\n");
    CHECK_HAS(&r, "space_after_comma|space_after_comma|t0|template_name=docker;username=bob;|4\n");
    CHECK_HAS(&r, "tabs|tabs|t0|a=x;|5@1700000000000\n");
    CHECK_HAS(&r, "derp|derp|t0|derp_region=Coder Embedded Relay;|6\n");
    CHECK_HAS(&r, "special|special|t0|v=nan;|nan\n");
    CHECK_HAS(&r, "special|special|t0|v=pinf;|inf\n");
    CHECK_HAS(&r, "special|special|t0|v=minf;|-inf\n");
    CHECK_HAS(&r, "expo|expo|t0||1152103\n");
    CHECK_HAS(&r, "with_ts|with_ts|t0||7@1395066363000\n");
    CHECK_HAS(&r, "negative_ts|negative_ts|t0||8@-1\n");
    CHECK_HAS(&r, "h|h_bucket|t3|le=1e+06;|1\n");
    CHECK_HAS(&r, "h|h_sum|t3||3.5\n");
    CHECK_HAS(&r, "h|h_count|t3||2\n");
    CHECK_HAS(&r, "s|s|t4|quantile=0.99;|0.29999999999999999\n");
    CHECK_HAS(&r, "s|s_count|t4||20\n");
    CHECK_HAS(&r, "untyped_thing|untyped_thing|t0||9\n");
    /* unknown escape kept as written */
    CHECK_HAS(&r, "lenient|lenient|t0|a=back\\qslash;|10\n");
    /* UTF-8 quoted metric name inside the braces */
    CHECK_HAS(&r, "my.dotted.metric|my.dotted.metric|t0|label.x=v;|11\n");
    /* the last line has no newline: parsed at finish */
    CHECK_HAS(&r, "no_newline_at_end|no_newline_at_end|t0||12\n");
    promtext_free(p);
    free(r.text);
}

TEST(promtext_gotchas_every_split_position_same_samples)
{
    size_t len = strlen(gotchas);
    struct rec whole = {0};
    struct promtext *p = parse(gotchas, len, 0, &whole, false, 0);
    promtext_free(p);
    for (size_t k = 0; k <= len; k++) {
        struct rec r = {0};
        struct promtext *q = promtext_new(0, on_sample, &r);
        promtext_feed(q, gotchas, k);
        promtext_feed(q, gotchas + k, len - k);
        promtext_finish(q);
        if (r.len != whole.len || memcmp(r.text, whole.text, whole.len) != 0) {
            test_fail(__FILE__, __LINE__, "split at byte %zu changes the samples", k);
            promtext_free(q);
            free(r.text);
            break;
        }
        promtext_free(q);
        free(r.text);
    }
    free(whole.text);
}

TEST(promtext_openmetrics_counter_created_exemplar_eof)
{
    const char *om = "# TYPE req counter\n"
                     "# HELP req Requests.\n"
                     "req_total{code=\"200\"} 5 1700000000.5 # {trace_id=\"abc\"} 1.0 1700000000\n"
                     "req_created{code=\"200\"} 1700000000\n"
                     "# TYPE info_thing info\n"
                     "info_thing_info{version=\"1\"} 1\n"
                     "# EOF\n";
    struct rec r = {0};
    struct promtext *p = parse(om, strlen(om), 0, &r, true, 0);
    const struct promtext_stats *st = promtext_stats(p);
    CHECK_INT(st->errors, 0);
    CHECK(st->eof_seen);
    CHECK_INT(r.n, 2); /* _created is metadata, not a sample */
    /* float seconds become milliseconds; the exemplar is ignored */
    CHECK_HAS(&r, "req|req_total|t1|code=200;|5@1700000000500\n");
    CHECK_HAS(&r, "info_thing|info_thing_info|t6|version=1;|1\n");
    promtext_free(p);
    free(r.text);
}

TEST(promtext_content_after_eof_is_an_error)
{
    struct rec r = {0};
    struct promtext *p = parse_str("a 1\n# EOF\nb 2\n", &r);
    CHECK_INT(r.n, 1);
    CHECK_INT(promtext_stats(p)->errors, 1);
    CHECK_STR(promtext_stats(p)->first_error, "line 3: content after # EOF");
    promtext_free(p);
    free(r.text);
}

TEST(promtext_malformed_lines_counted_with_line_numbers)
{
    const char *bad = "good 1\n"
                      "bad{a=\"unterminated} 2\n"
                      "bad2{a=1} 3\n"
                      "bad3 notanumber\n"
                      "bad4\n"
                      "bad5 1 2 3\n"
                      "9starts_with_digit 1\n"
                      "# TYPE x nonsense\n"
                      "good 2\n";
    struct rec r = {0};
    struct promtext *p = parse_str(bad, &r);
    const struct promtext_stats *st = promtext_stats(p);
    CHECK_INT(r.n, 2);
    CHECK_INT(st->errors, 7);
    CHECK_INT(st->first_error_line, 2);
    CHECK(strncmp(st->first_error, "line 2: ", 8) == 0);
    CHECK_HAS(&r, "good|good|t0||2\n");
    promtext_free(p);
    free(r.text);
}

TEST(promtext_overlong_line_skipped_with_error)
{
    char *doc = malloc(3000);
    strcpy(doc, "before 1\nlong{a=\"");
    size_t n = strlen(doc);
    memset(doc + n, 'x', 2000);
    strcpy(doc + n + 2000, "\"} 1\nafter 2\n");
    size_t len = strlen(doc);
    for (size_t chunk = 0; chunk <= 7; chunk += 7) {
        struct rec r = {0};
        struct promtext *p = parse(doc, len, chunk, &r, false, 256);
        CHECK_INT(r.n, 2);
        CHECK_INT(promtext_stats(p)->errors, 1);
        CHECK_INT(promtext_stats(p)->first_error_line, 2);
        CHECK_HAS(&r, "after|after|t0||2\n");
        promtext_free(p);
        free(r.text);
    }
    free(doc);
}

TEST(promtext_duplicate_type_counted)
{
    struct rec r = {0};
    struct promtext *p = parse_str("# TYPE a gauge\na 1\n# TYPE a gauge\na 2\n", &r);
    CHECK_INT(r.n, 2);
    CHECK_INT(promtext_stats(p)->errors, 1);
    promtext_free(p);
    free(r.text);
}

TEST(promtext_filter_exact_prefix_count_skip)
{
    const char *doc = "# TYPE keep histogram\n"
                      "keep_bucket{le=\"+Inf\"} 1\n"
                      "keep_sum 1\n"
                      "keep_count 1\n"
                      "keeper 5\n" /* not keep's family: name continues */
                      "agent_a{x=\"1\"} 1\n"
                      "agent_a{x=\"2\"} 1\n"
                      "agent_b 1\n"
                      "agent_probe{u=\"z\"} 1\n"
                      "other 1\n";
    struct rec r = {0};
    struct promtext *p = promtext_new(0, on_sample, &r);
    int keep = promtext_filter_add(p, "keep", false, PROMTEXT_PARSE);
    int agents = promtext_filter_add(p, "agent_", true, PROMTEXT_COUNT);
    int probe = promtext_filter_add(p, "agent_probe", false, PROMTEXT_PARSE);
    promtext_feed(p, doc, strlen(doc));
    promtext_finish(p);
    CHECK_INT(r.n, 4);
    CHECK_INT(promtext_count(p, keep), 3);
    CHECK_INT(promtext_count(p, agents), 3);
    CHECK_INT(promtext_count(p, probe), 1);
    CHECK_HAS(&r, "agent_probe|agent_probe|t0|u=z;|1\n");
    CHECK(!has(&r, "keeper"));
    CHECK(!has(&r, "other"));
    CHECK_INT(promtext_stats(p)->skipped_lines, 5);
    /* reset keeps the filter and clears the counts */
    promtext_reset(p);
    CHECK_INT(promtext_count(p, agents), 0);
    promtext_feed(p, doc, strlen(doc));
    promtext_finish(p);
    CHECK_INT(promtext_count(p, agents), 3);
    promtext_free(p);
    free(r.text);
}

TEST(promtext_filter_otherwise_parse)
{
    struct rec r = {0};
    struct promtext *p = promtext_new(0, on_sample, &r);
    (void)promtext_filter_add(p, "drop_", true, PROMTEXT_SKIP);
    promtext_filter_otherwise(p, PROMTEXT_PARSE);
    const char *doc = "drop_me 1\nkeep_me 2\n";
    promtext_feed(p, doc, strlen(doc));
    promtext_finish(p);
    CHECK_INT(r.n, 1);
    CHECK_HAS(&r, "keep_me|keep_me|t0||2\n");
    promtext_free(p);
    free(r.text);
}

TEST(promtext_parse_double_go_syntax)
{
    double v;
    CHECK(promtext_parse_double("1.152103e+06", 12, &v) == 0 && v == 1152103.0);
    CHECK(promtext_parse_double("1e+06", 5, &v) == 0 && v == 1e6);
    CHECK(promtext_parse_double("1000000", 7, &v) == 0 && v == 1e6);
    CHECK(promtext_parse_double("0.1", 3, &v) == 0 && v == 0.1);
    CHECK(promtext_parse_double("1.8446744073709552e+19", 22, &v) == 0 &&
          v == 1.8446744073709552e+19);
    CHECK(promtext_parse_double("2.8401e-05", 10, &v) == 0 && v == 2.8401e-05);
    CHECK(promtext_parse_double("+Inf", 4, &v) == 0 && isinf(v) && v > 0);
    CHECK(promtext_parse_double("-Inf", 4, &v) == 0 && isinf(v) && v < 0);
    CHECK(promtext_parse_double("NaN", 3, &v) == 0 && isnan(v));
    CHECK(promtext_parse_double("12345678901234567890123", 23, &v) == 0 &&
          v == 12345678901234567890123.0);
    CHECK(promtext_parse_double("", 0, &v) != 0);
    CHECK(promtext_parse_double("1,5", 3, &v) != 0);
    CHECK(promtext_parse_double("1e", 2, &v) != 0);
    CHECK(promtext_parse_double("abc", 3, &v) != 0);
}

/* Keeps only the samples of the families the coderd poller parses. */
static void on_sample_wanted(void *ud, const struct promtext_sample *s)
{
    static const char *const wanted[] = {
        "coderd_api_request_latencies_seconds",
        "coderd_api_requests_processed_total",
        "coderd_api_concurrent_requests",
        "coderd_db_query_latencies_seconds",
        "coderd_provisioner_job_queue_wait_seconds",
        "coderd_provisionerd_num_daemons",
        "coderd_workspace_builds_total",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_max_fds",
        "go_goroutines",
        "coder_derp_server_clients",
        "coder_derp_server_bytes_received_total",
        "coder_derp_server_bytes_sent_total",
        "coderd_agentstats_connection_count",
    };
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        if (strlen(wanted[i]) == s->family_len &&
            memcmp(wanted[i], s->family, s->family_len) == 0) {
            on_sample(ud, s);
            return;
        }
    }
}

/* Skipping at memchr speed loses nothing the poller wants: the filtered
 * parse equals a full parse filtered afterwards, in any chunking. */
TEST(promtext_filter_skipping_equals_full_parse_then_filter)
{
    size_t len;
    char *t = test_read_file(test_shared_path("fixtures/coder/metrics/coderd.prom"), &len);
    CHECK(t != NULL);
    if (!t) {
        return;
    }
    struct rec full = {0};
    struct promtext *p = promtext_new(0, on_sample_wanted, &full);
    promtext_feed(p, t, len);
    promtext_finish(p);
    promtext_free(p);
    CHECK(full.n > 300);
    size_t chunks[] = {len, 1, 97};
    for (size_t c = 0; c < 3; c++) {
        struct rec r = {0};
        struct metrics_filter_ids ids;
        p = promtext_new(0, on_sample, &r);
        metrics_coderd_filter(p, &ids);
        for (size_t off = 0; off < len; off += chunks[c]) {
            promtext_feed(p, t + off, len - off < chunks[c] ? len - off : chunks[c]);
        }
        promtext_finish(p);
        CHECK_INT(r.n, full.n);
        CHECK(r.len == full.len && memcmp(r.text, full.text, full.len) == 0);
        /* 2 probe series parsed + the other agent stats and agent_* counted */
        CHECK_INT(promtext_count(p, ids.agentstats_probe), 2);
        CHECK_INT(promtext_count(p, ids.agentstats) + promtext_count(p, ids.agent_pushed), 17);
        CHECK(promtext_stats(p)->skipped_lines > 300);
        promtext_free(p);
        free(r.text);
    }
    free(full.text);
    free(t);
}

/* One case per gotcha of reference/performance.md §2.3: a small document,
 * the samples and errors it must give, and one sample it must contain. */
static void gotcha(const char *doc, bool om, size_t want_samples, size_t want_errors,
                   const char *want_line, int line)
{
    struct rec r = {0};
    struct promtext *p = parse(doc, strlen(doc), 0, &r, om, 0);
    if (r.n != want_samples || promtext_stats(p)->errors != want_errors) {
        test_fail(__FILE__, line, "%zu samples / %zu errors, expected %zu / %zu (%s)", r.n,
                  promtext_stats(p)->errors, want_samples, want_errors,
                  promtext_stats(p)->first_error);
    }
    if (want_line && !has(&r, want_line)) {
        test_fail(__FILE__, line, "missing \"%s\" in:\n%.300s", want_line, r.text ? r.text : "");
    }
    promtext_free(p);
    free(r.text);
}

#define GOTCHA(name, doc, om, n, errs, want)                                                       \
    TEST(promtext_gotcha_##name)                                                                   \
    {                                                                                              \
        gotcha((doc), (om), (n), (errs), (want), __LINE__);                                        \
    }

GOTCHA(crlf_stripped, "a 1\r\nb 2\r\n", false, 2, 0, "b|b|t0||2\n")
GOTCHA(empty_lines_ignored, "\n\na 1\n\n\n", false, 1, 0, "a|a|t0||1\n")
GOTCHA(comments_ignored, "# just words\n#\n# HELP\na 1\n", false, 1, 0, "a|a|t0||1\n")
GOTCHA(label_escapes, "a{v=\"q\\\"b\\\\s\\nn\"} 1\n", false, 1, 0, "a|a|t0|v=q\"b\\s\nn;|1\n")
GOTCHA(help_raw_quote_and_escapes, "# HELP a it's \"quoted\" \\\\ \\n\n# TYPE a gauge\na 1\n",
       false, 1, 0, "a|a|t2||1\n")
GOTCHA(unknown_escape_lenient, "a{v=\"\\d\"} 1\n", false, 1, 0, "a|a|t0|v=\\d;|1\n")
GOTCHA(value_with_spaces, "d{r=\"Coder Embedded Relay\"} 1\n", false, 1, 0,
       "d|d|t0|r=Coder Embedded Relay;|1\n")
GOTCHA(tabs_separate, "a\t{x=\"1\"}\t2\n", false, 1, 0, "a|a|t0|x=1;|2\n")
GOTCHA(trailing_comma, "a{x=\"1\",} 2\n", false, 1, 0, "a|a|t0|x=1;|2\n")
GOTCHA(space_after_comma, "a{x=\"1\", y=\"2\"} 3\n", false, 1, 0, "a|a|t0|x=1;y=2;|3\n")
GOTCHA(nan, "a NaN\n", false, 1, 0, "a|a|t0||nan\n")
GOTCHA(plus_inf, "a +Inf\n", false, 1, 0, "a|a|t0||inf\n")
GOTCHA(minus_inf, "a -Inf\n", false, 1, 0, "a|a|t0||-inf\n")
GOTCHA(exponent_counter, "a 1.152103e+06\n", false, 1, 0, "a|a|t0||1152103\n")
GOTCHA(le_as_float_kept_verbatim, "h_bucket{le=\"1e+06\"} 1\n", false, 1, 0,
       "h_bucket|h_bucket|t0|le=1e+06;|1\n")
GOTCHA(timestamp_ms, "a 1 1395066363000\n", false, 1, 0, "a|a|t0||1@1395066363000\n")
GOTCHA(timestamp_om_seconds, "a 1 1395066363.25\n# EOF\n", true, 1, 0, "a|a|t0||1@1395066363250\n")
GOTCHA(untyped_without_type, "a 1\n", false, 1, 0, "a|a|t0||1\n")
GOTCHA(unknown_type_is_untyped, "# TYPE a unknown\na 1\n", true, 1, 0, "a|a|t0||1\n")
GOTCHA(type_after_family_mismatch_does_not_type, "# TYPE a gauge\nb 1\n", false, 1, 0,
       "b|b|t0||1\n")
GOTCHA(histogram_family, "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n", false,
       3, 0, "h|h_count|t3||2\n")
GOTCHA(summary_family, "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 1\ns_count 2\n", false, 3, 0,
       "s|s|t4|quantile=0.5;|1\n")
GOTCHA(om_counter_total, "# TYPE c counter\nc_total 4\n# EOF\n", true, 1, 0, "c|c_total|t1||4\n")
GOTCHA(om_created_is_metadata, "# TYPE c counter\nc_total 4\nc_created 1.7e9\n# EOF\n", true, 1, 0,
       "c|c_total|t1||4\n")
GOTCHA(om_exemplar_stripped, "# TYPE c counter\nc_total 4 # {trace_id=\"abc\"} 1.0 17\n# EOF\n",
       true, 1, 0, "c|c_total|t1||4\n")
GOTCHA(om_eof_then_content, "a 1\n# EOF\nb 2\n", true, 1, 1, "a|a|t0||1\n")
GOTCHA(utf8_quoted_name, "{\"a.b\",\"c.d\"=\"e\"} 1\n", false, 1, 0, "a.b|a.b|t0|c.d=e;|1\n")
GOTCHA(utf8_quoted_type, "# TYPE \"a.b\" gauge\n{\"a.b\"} 1\n", false, 1, 0, "a.b|a.b|t2||1\n")
GOTCHA(last_line_without_newline, "a 1\nb 2", false, 2, 0, "b|b|t0||2\n")
GOTCHA(duplicate_type_is_error, "# TYPE a gauge\n# TYPE a gauge\na 1\n", false, 1, 1, "a|a|t2||1\n")
