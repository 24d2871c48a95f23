/*
 * The raw-sample encodings of the history store (docs/history.md):
 * a Gorilla-style chunk (delta-of-delta frame indices, XOR'd float bits) per
 * series per window, and the per-cycle journal row that makes the open
 * window durable. Pure functions over byte buffers; any thread.
 */
#ifndef SCALETOP_STORE_CODEC_H
#define SCALETOP_STORE_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* An open chunk being appended to; samples are (frame index k, value). */
struct chunk_enc {
    uint8_t *buf;
    size_t cap;
    uint64_t nbits;
    uint32_t n;
    uint32_t k_prev;
    int64_t delta_prev;
    uint64_t v_prev;
    int lead_prev, len_prev; /* meaningful-bit window of the previous XOR */
};

/* Starts an empty chunk (buffer allocated lazily). */
void chunk_enc_init(struct chunk_enc *c);
/* Releases the buffer; c may be reused after chunk_enc_init. */
void chunk_enc_fini(struct chunk_enc *c);
/* Appends a sample; k must be greater than the previous k. Never fails. */
void chunk_enc_add(struct chunk_enc *c, uint32_t k, double v);
/* Bytes of the encoded chunk so far (the buffer is c->buf). */
size_t chunk_enc_bytes(const struct chunk_enc *c);

/* Decodes up to `max` of the `n` samples of a chunk into k[] and v[];
 * returns how many were decoded, fewer only when the blob is truncated. */
size_t chunk_decode(const uint8_t *buf, size_t len, uint32_t n, uint32_t *k, double *v, size_t max);

/* One journal entry: a series id and its value in this cycle. */
struct journal_entry {
    uint32_t sid;
    double v;
};

/* Encodes a cycle's entries (sorted by sid) as XORs against prev_bits[sid]
 * (updated in place; nprev entries); returns a malloc'd buffer, *len set. */
uint8_t *journal_encode(const struct journal_entry *e, size_t n, uint64_t *prev_bits, size_t nprev,
                        size_t *len);

/* Decodes a journal row into out[] (at most max entries), XOR-ing against and
 * updating prev_bits[]; returns the count, or (size_t)-1 on a malformed row. */
size_t journal_decode(const uint8_t *buf, size_t len, uint64_t *prev_bits, size_t nprev,
                      struct journal_entry *out, size_t max);

#endif
