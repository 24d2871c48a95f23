/*
 * Cleaning untrusted text from a deployment before it is stored anywhere:
 * invalid UTF-8 becomes U+FFFD, control characters (C0, DEL, C1), escape
 * sequences and bidirectional overrides are dropped, and the length is capped.
 * Output layers still escape for their own format; this is the first line.
 */
#ifndef SCALETOP_TEXT_H
#define SCALETOP_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define TEXT_MAX_BYTES 4096

/* Cleans `len` bytes of `in` into a new malloc'd string (caller frees); the
 * result is at most TEXT_MAX_BYTES plus an ellipsis. Any thread. */
char *text_clean(const char *in, size_t len);

/* Decodes one UTF-8 code point at s (n bytes available); returns the number
 * of bytes consumed (>= 1) and stores the code point, or U+FFFD for an
 * invalid or truncated sequence (consuming one byte). */
size_t text_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Encodes cp as UTF-8 into out (4 bytes room); returns the length. */
size_t text_utf8_encode(uint32_t cp, char *out);

/* True for code points that must never reach a terminal or a report:
 * C0 and C1 controls, DEL, bidi embeddings/overrides/isolates, and other
 * invisible format characters. Tab and newline included. */
int text_is_unsafe(uint32_t cp);

#endif
