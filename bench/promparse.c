/*
 * Benchmark of the Prometheus text parser (DESIGN.md §9: >= 400 MB/s full
 * parse, >= 2 GB/s effective when skipping unneeded families).
 *
 * Input: a file given as argv[1], or scrapes generated from the fixture
 * coderd.prom by multiplying its per-workspace families (coderd_agents_*,
 * coderd_agentstats_*, agent_*, coderd_workspace_latest_build_status) with
 * new user and workspace label values until the body reaches ~11 MB (agent
 * stats aggregated) and ~30 MB (agent stats at full cardinality), the sizes
 * of reference/performance.md §1.5. The body is fed in 16 KiB chunks, as
 * libcurl delivers it. Each figure is the median of several runs.
 *
 * PROMPARSE_WRITE makes it write a generated scrape instead (bench/run.sh
 * hands the same file to promtool).
 */
#include "backend/metrics.h"
#include "backend/promtext.h"
#include "tests/lib/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS  9
#define CHUNK 16384

struct buf {
    char *p;
    size_t len, cap;
};

static void buf_put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) {
            abort();
        }
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static int per_workspace(const char *line, int with_stats)
{
    if (strncmp(line, "coderd_agents_", 14) == 0 ||
        strncmp(line, "coderd_workspace_latest_build_status", 36) == 0) {
        return 1;
    }
    return with_stats &&
           (strncmp(line, "coderd_agentstats_", 18) == 0 || strncmp(line, "agent_", 6) == 0);
}

/* Copies `line` with every `username="` value prefixed by "wN-". */
static void put_variant(struct buf *b, const char *line, size_t n, unsigned i)
{
    const char *key = "username=\"";
    const char *hit = NULL;
    for (const char *q = line; q + 10 <= line + n; q++) {
        if (memcmp(q, key, 10) == 0) {
            hit = q + 10;
            break;
        }
    }
    if (!hit) {
        hit = NULL;
        for (const char *q = line; q + 16 <= line + n; q++) {
            if (memcmp(q, "workspace_owner=\"", 16) == 0) {
                hit = q + 17;
                break;
            }
        }
    }
    if (!hit) {
        if (i == 0) {
            buf_put(b, line, n);
        }
        return;
    }
    char pre[32];
    int k = snprintf(pre, sizeof pre, "w%u-", i);
    buf_put(b, line, (size_t)(hit - line));
    buf_put(b, pre, (size_t)k);
    buf_put(b, hit, (size_t)(line + n - hit));
}

/* Generates a scrape of about target_mb from the fixture. */
static char *generate(const char *fix, size_t fixlen, double target_mb, int with_stats,
                      size_t *out_len)
{
    /* size of the fixed part and of one copy of the per-workspace part */
    size_t fixed = 0, per = 0;
    for (const char *l = fix; l < fix + fixlen;) {
        const char *nl = memchr(l, '\n', (size_t)(fix + fixlen - l));
        size_t n = (size_t)((nl ? nl + 1 : fix + fixlen) - l);
        if (per_workspace(l, with_stats)) {
            per += n + 4;
        } else {
            fixed += n;
        }
        l += n;
    }
    double want = target_mb * 1e6;
    unsigned copies = per ? (unsigned)((want - (double)fixed) / (double)per) : 1;
    if (copies < 1) {
        copies = 1;
    }
    struct buf b = {0};
    const char *l = fix;
    while (l < fix + fixlen) {
        const char *nl = memchr(l, '\n', (size_t)(fix + fixlen - l));
        size_t n = (size_t)((nl ? nl + 1 : fix + fixlen) - l);
        if (!per_workspace(l, with_stats)) {
            buf_put(&b, l, n);
            l += n;
            continue;
        }
        /* one family group: all consecutive per-workspace lines of one name */
        const char *g = l;
        size_t glen = 0;
        while (l < fix + fixlen && per_workspace(l, with_stats)) {
            const char *nl2 = memchr(l, '\n', (size_t)(fix + fixlen - l));
            size_t n2 = (size_t)((nl2 ? nl2 + 1 : fix + fixlen) - l);
            l += n2;
            glen += n2;
        }
        for (unsigned i = 0; i < copies; i++) {
            for (const char *x = g; x < g + glen;) {
                const char *nl3 = memchr(x, '\n', (size_t)(g + glen - x));
                size_t n3 = (size_t)(nl3 + 1 - x);
                put_variant(&b, x, n3, i);
                x += n3;
            }
        }
    }
    *out_len = b.len;
    return b.p;
}

struct sink {
    double sum;
    size_t n;
};

static void on_sample(void *ud, const struct promtext_sample *s)
{
    struct sink *k = ud;
    k->sum += s->value + (double)s->nlabels;
    k->n++;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median seconds of RUNS parses; *samples gets the samples of one parse. */
static double run(const char *body, size_t len, int filtered, size_t *samples)
{
    double t[RUNS];
    struct sink k = {0};
    struct promtext *p = promtext_new(0, on_sample, &k);
    if (filtered) {
        struct metrics_filter_ids ids;
        metrics_coderd_filter(p, &ids);
    }
    for (int r = 0; r < RUNS; r++) {
        promtext_reset(p);
        k.n = 0;
        double t0 = now_s();
        for (size_t off = 0; off < len; off += CHUNK) {
            promtext_feed(p, body + off, len - off < CHUNK ? len - off : CHUNK);
        }
        promtext_finish(p);
        t[r] = now_s() - t0;
    }
    *samples = promtext_stats(p)->samples;
    if (promtext_stats(p)->errors) {
        fprintf(stderr, "promparse: %zu parse errors (%s)\n", promtext_stats(p)->errors,
                promtext_stats(p)->first_error);
    }
    promtext_free(p);
    qsort(t, RUNS, sizeof t[0], cmp_double);
    return t[RUNS / 2];
}

static void report(const char *label, const char *body, size_t len)
{
    size_t samples, kept;
    double full = run(body, len, 0, &samples);
    double skip = run(body, len, 1, &kept);
    double mb = (double)len / 1e6;
    printf("bench: prometheus text parse, %s (%.1f MB, %zu samples) = %.0f MB/s "
           "(goal >= 400 MB/s)\n",
           label, mb, samples, mb / full);
    printf("bench: prometheus text parse samples/s, %s = %.2f M samples/s\n", label,
           (double)samples / full / 1e6);
    printf("bench: prometheus text parse with family skipping, %s (%zu samples kept) = %.0f MB/s "
           "(goal >= 2000 MB/s)\n",
           label, kept, mb / skip);
}

/* The harness (tests/lib/test.c) owns main(), so the bench is one case and
 * takes its options from the environment:
 *   PROMPARSE_INPUT=FILE        parse FILE instead of generated scrapes
 *   PROMPARSE_LABEL=TEXT        what FILE is, for the report lines
 *   PROMPARSE_WRITE=FILE PROMPARSE_MB=N   write a generated N MB scrape and stop */
TEST(promparse)
{
    const char *in = getenv("PROMPARSE_INPUT");
    const char *out = getenv("PROMPARSE_WRITE");
    size_t fl, len;
    if (in && *in) {
        char *body = test_read_file(in, &len);
        CHECK(body != NULL);
        if (body) {
            const char *label = getenv("PROMPARSE_LABEL");
            report(label && *label ? label : in, body, len);
        }
        free(body);
        return;
    }
    char *fix = test_read_file(test_shared_path("fixtures/coder/metrics/coderd.prom"), &fl);
    CHECK(fix != NULL);
    if (!fix) {
        return;
    }
    if (out && *out) {
        const char *mbs = getenv("PROMPARSE_MB");
        double mb = mbs ? atof(mbs) : 30.2;
        char *body = generate(fix, fl, mb, mb > 20, &len);
        FILE *f = fopen(out, "wb");
        CHECK(f != NULL);
        if (f) {
            CHECK(fwrite(body, 1, len, f) == len);
            CHECK(fclose(f) == 0);
        }
        free(body);
        free(fix);
        return;
    }
    size_t l1, l2;
    char *b1 = generate(fix, fl, 11.1, 0, &l1);
    char *b2 = generate(fix, fl, 30.2, 1, &l2);
    report("10k workspaces, agent stats aggregated", b1, l1);
    report("10k workspaces, agent stats at full cardinality", b2, l2);
    free(b1);
    free(b2);
    free(fix);
}
