/*
 * libFuzzer target for the Prometheus text parser. The first input byte
 * picks the mode (OpenMetrics or not, a family filter or not, a small or the
 * default line cap) and the chunk size; the rest is the body. Besides
 * crashes and sanitizer reports, it checks the parser's own promise: the
 * same body fed whole or in chunks yields the same samples and errors.
 */
#include "backend/promtext.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct acc {
    uint64_t h;
    size_t n;
};

static void mix(struct acc *a, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        a->h = (a->h ^ b[i]) * 0x100000001b3ULL;
    }
}

static void on_sample(void *ud, const struct promtext_sample *s)
{
    struct acc *a = ud;
    mix(a, s->family, s->family_len);
    mix(a, s->name, s->name_len);
    for (size_t i = 0; i < s->nlabels; i++) {
        mix(a, s->labels[i].name, s->labels[i].name_len);
        mix(a, s->labels[i].value, s->labels[i].value_len);
    }
    if (s->value == s->value) { /* NaN payloads may differ */
        mix(a, &s->value, sizeof s->value);
    }
    mix(a, &s->type, sizeof s->type);
    a->n++;
}

static void run(const uint8_t *data, size_t len, uint8_t mode, size_t chunk, struct acc *a,
                size_t *errors)
{
    struct promtext *p = promtext_new(mode & 4 ? 64 : 0, on_sample, a);
    promtext_set_openmetrics(p, mode & 1);
    if (mode & 2) {
        (void)promtext_filter_add(p, "a", false, PROMTEXT_PARSE);
        (void)promtext_filter_add(p, "b_", true, PROMTEXT_COUNT);
        (void)promtext_filter_add(p, "c", true, PROMTEXT_PARSE);
    }
    for (size_t off = 0; off < len; off += chunk) {
        promtext_feed(p, (const char *)data + off, len - off < chunk ? len - off : chunk);
    }
    promtext_finish(p);
    *errors = promtext_stats(p)->errors;
    promtext_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    uint8_t mode = data[0];
    data++;
    size--;
    struct acc whole = {0xcbf29ce484222325ULL, 0}, parts = {0xcbf29ce484222325ULL, 0};
    size_t e1, e2;
    run(data, size, mode, size ? size : 1, &whole, &e1);
    run(data, size, mode, (size_t)(mode >> 3) + 1, &parts, &e2);
    if (whole.h != parts.h || whole.n != parts.n || e1 != e2) {
        abort(); /* chunking changed the result */
    }
    double v;
    (void)promtext_parse_double((const char *)data, size < 64 ? size : 64, &v);
    return 0;
}
