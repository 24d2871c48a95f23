/*
 * The store's raw encodings: Gorilla chunks and journal rows must give back
 * exactly the bits they were given (NaN payloads, infinities, -0, subnormals)
 * at exactly the frame indices, over steady cadences, gaps and random data.
 */
#include "backend/store_codec.h"
#include "tests/lib/test.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t bits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Encodes (k, v) and checks the decode is bit-exact; returns encoded bytes. */
static size_t round_trip(const uint32_t *k, const double *v, size_t n, const char *what)
{
    struct chunk_enc c;
    chunk_enc_init(&c);
    for (size_t i = 0; i < n; i++) {
        chunk_enc_add(&c, k[i], v[i]);
    }
    uint32_t *k2 = calloc(n + 1, sizeof *k2);
    double *v2 = calloc(n + 1, sizeof *v2);
    size_t got = chunk_decode(c.buf, chunk_enc_bytes(&c), c.n, k2, v2, n);
    if (got != n) {
        test_fail(__FILE__, __LINE__, "%s: decoded %zu of %zu", what, got, n);
    }
    for (size_t i = 0; i < got; i++) {
        if (k2[i] != k[i] || bits(v2[i]) != bits(v[i])) {
            test_fail(__FILE__, __LINE__, "%s: sample %zu: (%u, %.17g) != (%u, %.17g)", what, i,
                      k2[i], v2[i], k[i], v[i]);
            break;
        }
    }
    size_t bytes = chunk_enc_bytes(&c);
    chunk_enc_fini(&c);
    free(k2);
    free(v2);
    return bytes;
}

TEST(chunk_special_values_and_gaps)
{
    double nan_payload;
    uint64_t nb = 0x7ff8000000000123ull;
    memcpy(&nan_payload, &nb, sizeof nb);
    double v[] = {1.5,         NAN,  INFINITY, -INFINITY, -0.0, 0.0, 5e-324, 1.7976931348623157e308,
                  nan_payload, -NAN, 1e308,    -1e-308,   3.0,  3.0, 3.0};
    uint32_t k[] = {0, 1, 2, 5, 6, 7, 100, 101, 102, 1000, 1001, 70000, 70001, 70002, 4000000000u};
    round_trip(k, v, sizeof v / sizeof *v, "specials");
    uint32_t k1[] = {7};
    double v1[] = {NAN};
    round_trip(k1, v1, 1, "single");
}

TEST(chunk_steady_series_is_tiny)
{
    uint32_t k[720];
    double v[720];
    for (int i = 0; i < 720; i++) {
        k[i] = (uint32_t)i;
        v[i] = 42;
    }
    size_t b = round_trip(k, v, 720, "constant");
    /* 12 bytes for the first sample, then 2 bits a sample */
    CHECK(b <= 12 + 720 / 4 + 1);
    for (int i = 0; i < 720; i++) {
        v[i] = (double)(1000 + i / 10); /* a slow counter */
    }
    b = round_trip(k, v, 720, "slow counter");
    CHECK(b < 720 * 2);
}

TEST(chunk_fuzz_random)
{
    for (int round = 0; round < 300; round++) {
        size_t n = 1 + rng() % 1500;
        uint32_t *k = malloc(n * sizeof *k);
        double *v = malloc(n * sizeof *v);
        uint32_t kk = (uint32_t)(rng() % 1000);
        double level = (double)(rng() % 1000);
        for (size_t i = 0; i < n; i++) {
            int kind = (int)(rng() % 8);
            kk += (rng() % 10 == 0) ? 1 + (uint32_t)(rng() % (round % 3 ? 50 : 100000)) : 1;
            k[i] = kk;
            if (kind == 0) {
                uint64_t b = rng();
                memcpy(&v[i], &b, sizeof b); /* any bit pattern at all */
            } else if (kind < 3) {
                level += (double)(rng() % 100) / 7.0;
                v[i] = level;
            } else if (kind < 5) {
                v[i] = (double)(rng() % 3);
            } else {
                v[i] = v[i ? i - 1 : 0];
            }
        }
        char what[32];
        snprintf(what, sizeof what, "random %d", round);
        round_trip(k, v, n, what);
        free(k);
        free(v);
    }
}

TEST(chunk_decode_truncated_is_safe)
{
    struct chunk_enc c;
    chunk_enc_init(&c);
    for (uint32_t i = 0; i < 200; i++) {
        chunk_enc_add(&c, i, (double)(rng() % 1000) / 3.0);
    }
    uint32_t k[200];
    double v[200];
    size_t full = chunk_enc_bytes(&c);
    for (size_t len = 0; len < full; len += 7) {
        size_t got = chunk_decode(c.buf, len, c.n, k, v, 200);
        CHECK(got < 200);
    }
    /* a count larger than the data stops at the data */
    CHECK(chunk_decode(c.buf, full, 100000, k, v, 200) == 200);
    chunk_enc_fini(&c);
}

TEST(journal_round_trip)
{
    const size_t nser = 500;
    uint64_t *enc_prev = calloc(nser, sizeof *enc_prev);
    uint64_t *dec_prev = calloc(nser, sizeof *dec_prev);
    struct journal_entry *in = malloc(nser * sizeof *in), *out = malloc(nser * sizeof *out);
    size_t total = 0, samples = 0;
    for (int cycle = 0; cycle < 200; cycle++) {
        size_t n = 0;
        for (uint32_t sid = 1; sid < nser; sid++) {
            if (rng() % 20 == 0) {
                continue; /* a gap */
            }
            in[n].sid = sid;
            in[n].v = sid % 5 == 0   ? (double)(rng() % 1000) / 9.0
                      : sid % 7 == 0 ? NAN
                                     : (double)(sid * 10 + cycle / 50);
            n++;
        }
        size_t len;
        uint8_t *row = journal_encode(in, n, enc_prev, nser, &len);
        size_t got = journal_decode(row, len, dec_prev, nser, out, nser);
        CHECK_INT(got, n);
        for (size_t i = 0; i < n && i < got; i++) {
            if (out[i].sid != in[i].sid || bits(out[i].v) != bits(in[i].v)) {
                test_fail(__FILE__, __LINE__, "cycle %d entry %zu", cycle, i);
                break;
            }
        }
        /* malformed rows are refused, never read past the end */
        if (len > 3) {
            size_t bad = journal_decode(row, len - 1, dec_prev, 0, out, nser);
            (void)bad;
        }
        total += len;
        samples += n;
        free(row);
    }
    /* steady values cost about two bytes (id step + "same" tag) */
    CHECK((double)total / (double)samples < 3.5);
    uint8_t junk[] = {0x01, 0x7f, 0xff};
    CHECK(journal_decode(junk, sizeof junk, dec_prev, nser, out, nser) == (size_t)-1);
    /* An empty row, as SQLite hands it over (NULL): no entries, no UB. */
    CHECK(journal_decode(NULL, 0, dec_prev, nser, out, nser) == 0);
    free(enc_prev);
    free(dec_prev);
    free(in);
    free(out);
}
