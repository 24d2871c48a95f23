/*
 * Raw-sample codecs of the history store.
 *
 * Chunk (one series, one window), MSB-first bit stream:
 *   first sample: k (32 bits), value bits (64 bits);
 *   then per sample: delta-of-delta of k: '0' (same step), '10'+6 bits
 *   zigzag, '11'+36 bits zigzag; value XOR previous: '0' (same), '10' + the
 *   bits inside the previous meaningful window, '11' + 6 bits leading zeros
 *   + 6 bits (length-1) + the meaningful bits.
 * k is the frame index inside the window, not a wall-clock time, so a steady
 * cadence costs one bit per timestamp whatever the clock jitter. Values are
 * float bit patterns: NaN payloads and infinities survive exactly.
 *
 * Journal row (one cycle, all series): per entry varint(sid - previous sid),
 * then one byte: 0 for "same bits as this series' previous journal value",
 * else 1 + 8*lead_bytes + trail_bytes followed by the middle bytes of the XOR.
 */
#include "backend/store_codec.h"

#include "backend/xalloc.h"

#include <stdlib.h>
#include <string.h>

static uint64_t dbits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static double bitsd(uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

static void put_bits(struct chunk_enc *c, uint64_t value, int nbits)
{
    size_t need = (size_t)((c->nbits + (uint64_t)nbits + 7) / 8);
    if (need > c->cap) {
        c->buf = xgrow(c->buf, &c->cap, need + 64, 1);
    }
    for (int i = nbits - 1; i >= 0; i--) {
        size_t byte = (size_t)(c->nbits >> 3);
        int bit = 7 - (int)(c->nbits & 7);
        if (bit == 7) {
            c->buf[byte] = 0;
        }
        if ((value >> i) & 1) {
            c->buf[byte] |= (uint8_t)(1u << bit);
        }
        c->nbits++;
    }
}

void chunk_enc_init(struct chunk_enc *c)
{
    memset(c, 0, sizeof *c);
}

void chunk_enc_fini(struct chunk_enc *c)
{
    free(c->buf);
    memset(c, 0, sizeof *c);
}

size_t chunk_enc_bytes(const struct chunk_enc *c)
{
    return (size_t)((c->nbits + 7) / 8);
}

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

void chunk_enc_add(struct chunk_enc *c, uint32_t k, double v)
{
    uint64_t b = dbits(v);
    if (c->n == 0) {
        put_bits(c, k, 32);
        put_bits(c, b, 64);
        c->delta_prev = 1;
    } else {
        int64_t delta = (int64_t)k - (int64_t)c->k_prev;
        int64_t dod = delta - c->delta_prev;
        uint64_t zz = zigzag(dod);
        if (dod == 0) {
            put_bits(c, 0, 1);
        } else if (zz < 64) {
            put_bits(c, 2, 2);
            put_bits(c, zz, 6);
        } else {
            put_bits(c, 3, 2);
            put_bits(c, zz, 36);
        }
        c->delta_prev = delta;
        uint64_t x = b ^ c->v_prev;
        if (x == 0) {
            put_bits(c, 0, 1);
        } else {
            int lead = __builtin_clzll(x), trail = __builtin_ctzll(x);
            if (c->len_prev > 0 && lead >= c->lead_prev &&
                64 - trail <= c->lead_prev + c->len_prev) {
                put_bits(c, 2, 2);
                put_bits(c, x >> (64 - c->lead_prev - c->len_prev), c->len_prev);
            } else {
                int len = 64 - lead - trail;
                put_bits(c, 3, 2);
                put_bits(c, (uint64_t)lead, 6);
                put_bits(c, (uint64_t)(len - 1), 6);
                put_bits(c, x >> trail, len);
                c->lead_prev = lead;
                c->len_prev = len;
            }
        }
    }
    c->v_prev = b;
    c->k_prev = k;
    c->n++;
}

struct bitreader {
    const uint8_t *buf;
    uint64_t nbits, pos;
};

/* Reads nbits; returns 0 and sets *ok = 0 past the end. */
static uint64_t get_bits(struct bitreader *r, int nbits, int *ok)
{
    if (r->pos + (uint64_t)nbits > r->nbits) {
        *ok = 0;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < nbits; i++) {
        size_t byte = (size_t)(r->pos >> 3);
        int bit = 7 - (int)(r->pos & 7);
        v = (v << 1) | ((r->buf[byte] >> bit) & 1);
        r->pos++;
    }
    return v;
}

size_t chunk_decode(const uint8_t *buf, size_t len, uint32_t n, uint32_t *k, double *v, size_t max)
{
    struct bitreader r = {buf, (uint64_t)len * 8, 0};
    int ok = 1;
    size_t out = 0;
    uint64_t vprev = 0;
    int64_t kprev = 0, delta = 1;
    int lead = 0, mlen = 0;
    for (uint32_t i = 0; i < n && out < max; i++) {
        if (i == 0) {
            kprev = (int64_t)get_bits(&r, 32, &ok);
            vprev = get_bits(&r, 64, &ok);
        } else {
            if (get_bits(&r, 1, &ok)) {
                uint64_t zz = get_bits(&r, 1, &ok) ? get_bits(&r, 36, &ok) : get_bits(&r, 6, &ok);
                delta += unzigzag(zz);
            }
            kprev += delta;
            if (get_bits(&r, 1, &ok)) {
                if (get_bits(&r, 1, &ok)) {
                    lead = (int)get_bits(&r, 6, &ok);
                    mlen = (int)get_bits(&r, 6, &ok) + 1;
                    if (lead + mlen > 64) {
                        return out;
                    }
                } else if (mlen == 0) {
                    return out;
                }
                vprev ^= get_bits(&r, mlen, &ok) << (64 - lead - mlen);
            }
        }
        if (!ok || kprev < 0 || kprev > UINT32_MAX) {
            return out;
        }
        k[out] = (uint32_t)kprev;
        v[out] = bitsd(vprev);
        out++;
    }
    return out;
}

static void put_varint(uint8_t **p, uint64_t v)
{
    while (v >= 0x80) {
        *(*p)++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *(*p)++ = (uint8_t)v;
}

static int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end) {
            return -1;
        }
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            return 0;
        }
    }
    return -1;
}

uint8_t *journal_encode(const struct journal_entry *e, size_t n, uint64_t *prev_bits, size_t nprev,
                        size_t *len)
{
    uint8_t *buf = xmalloc(n * 15 + 16), *p = buf;
    uint32_t last = 0;
    for (size_t i = 0; i < n; i++) {
        put_varint(&p, (uint64_t)(e[i].sid - last));
        last = e[i].sid;
        uint64_t b = dbits(e[i].v);
        uint64_t x = e[i].sid < nprev ? b ^ prev_bits[e[i].sid] : b;
        if (e[i].sid < nprev) {
            prev_bits[e[i].sid] = b;
        }
        if (x == 0) {
            *p++ = 0;
            continue;
        }
        int lead = __builtin_clzll(x) / 8, trail = __builtin_ctzll(x) / 8;
        *p++ = (uint8_t)(1 + 8 * lead + trail);
        for (int byte = 7 - lead; byte >= trail; byte--) {
            *p++ = (uint8_t)(x >> (8 * byte));
        }
    }
    *len = (size_t)(p - buf);
    return buf;
}

size_t journal_decode(const uint8_t *buf, size_t len, uint64_t *prev_bits, size_t nprev,
                      struct journal_entry *out, size_t max)
{
    if (len == 0) {
        return 0; /* SQLite hands an empty blob over as NULL: NULL + 0 is undefined */
    }
    const uint8_t *p = buf, *end = buf + len;
    size_t n = 0;
    uint64_t sid = 0;
    while (p < end) {
        uint64_t d;
        if (get_varint(&p, end, &d) < 0 || p >= end || n >= max) {
            return (size_t)-1;
        }
        sid += d;
        if (sid > UINT32_MAX) {
            return (size_t)-1;
        }
        uint8_t tag = *p++;
        uint64_t x = 0;
        if (tag) {
            int lead = (tag - 1) / 8, trail = (tag - 1) % 8;
            if (tag > 64 || lead + trail > 7) {
                return (size_t)-1;
            }
            for (int byte = 7 - lead; byte >= trail; byte--) {
                if (p >= end) {
                    return (size_t)-1;
                }
                x |= (uint64_t)*p++ << (8 * byte);
            }
        }
        uint64_t b = x ^ (sid < nprev ? prev_bits[sid] : 0);
        if (sid < nprev) {
            prev_bits[sid] = b;
        }
        out[n].sid = (uint32_t)sid;
        out[n].v = bitsd(b);
        n++;
    }
    return n;
}
