/*
 * scaletop-sim utilities: growable text buffers, reference-counted immutable
 * bodies, a seeded PRNG (splitmix64, so a seed always gives the same
 * deployment), UUIDs and RFC 3339 times.
 *
 * Invariant: a sim_blob is never modified after creation; it is freed when the
 * last reference (cache slot or in-flight response) is dropped.
 */
#include "sim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *sim_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fprintf(stderr, "scaletop-sim: out of memory\n");
        abort();
    }
    return q;
}

void sim_buf_add(struct sim_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 4096;
        while (c < b->len + n + 1) {
            c *= 2;
        }
        b->p = sim_xrealloc(b->p, c);
        b->cap = c;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void sim_buf_puts(struct sim_buf *b, const char *s)
{
    sim_buf_add(b, s, strlen(s));
}

void sim_buf_printf(struct sim_buf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    if ((size_t)n < sizeof tmp) {
        sim_buf_add(b, tmp, (size_t)n);
        return;
    }
    char *big = sim_xrealloc(NULL, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sim_buf_add(b, big, (size_t)n);
    free(big);
}

struct sim_blob *sim_blob_from_buf(struct sim_buf *b)
{
    struct sim_blob *bl = sim_xrealloc(NULL, sizeof *bl + b->len + 1);
    bl->refs = 1;
    bl->len = b->len;
    if (b->len) {
        memcpy(bl->data, b->p, b->len);
    }
    bl->data[b->len] = '\0';
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    return bl;
}

struct sim_blob *sim_blob_ref(struct sim_blob *bl)
{
    if (bl) {
        __atomic_add_fetch(&bl->refs, 1, __ATOMIC_SEQ_CST);
    }
    return bl;
}

void sim_blob_unref(struct sim_blob *bl)
{
    if (bl && __atomic_sub_fetch(&bl->refs, 1, __ATOMIC_SEQ_CST) == 0) {
        free(bl);
    }
}

uint64_t sim_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double sim_randf(uint64_t *s)
{
    return (double)(sim_rand(s) >> 11) / 9007199254740992.0;
}

void sim_uuid(uint64_t *s, char out[40])
{
    uint64_t a = sim_rand(s), b = sim_rand(s);
    snprintf(out, 40, "%08x-%04x-4%03x-%x%03x-%012llx", (unsigned)(a >> 32),
             (unsigned)((a >> 16) & 0xffff), (unsigned)(a & 0xfff), (unsigned)(8 + (b >> 62)),
             (unsigned)((b >> 48) & 0xfff), (unsigned long long)(b & 0xffffffffffffULL));
}

void sim_time_fmt(double t, char out[40])
{
    time_t sec = (time_t)t;
    long us = (long)((t - (double)sec) * 1e6);
    if (us < 0) {
        us = 0;
    }
    struct tm tm;
    gmtime_r(&sec, &tm);
    snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us);
}

double sim_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
