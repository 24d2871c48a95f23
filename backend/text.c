/*
 * Untrusted text cleaning. Invariant of the output: valid UTF-8, no code point
 * for which text_is_unsafe() holds, at most TEXT_MAX_BYTES (+ "…").
 * Escape sequences are removed whole (CSI up to its final byte, OSC/DCS/APC/PM
 * up to BEL or ST) so that their parameters do not show up as stray text.
 */
#include "backend/text.h"

#include "backend/xalloc.h"

#include <stdbool.h>
#include <string.h>

size_t text_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    uint32_t c = s[0];
    size_t len;
    uint32_t min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        len = 2;
        min = 0x80;
        c &= 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3;
        min = 0x800;
        c &= 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4;
        min = 0x10000;
        c &= 0x07;
    } else {
        *cp = 0xfffd;
        return 1;
    }
    if (n < len) {
        *cp = 0xfffd;
        return 1;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *cp = 0xfffd;
            return 1;
        }
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        *cp = 0xfffd;
        return 1;
    }
    *cp = c;
    return len;
}

size_t text_utf8_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    } else if (cp < 0x800) {
        o[0] = (unsigned char)(0xc0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    } else if (cp < 0x10000) {
        o[0] = (unsigned char)(0xe0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (unsigned char)(0xf0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

int text_is_unsafe(uint32_t cp)
{
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
        return 1;
    }
    /* Bidi marks, embeddings, overrides and isolates; zero-width and
     * other invisible format characters; line/paragraph separators. */
    if ((cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
        (cp >= 0x2060 && cp <= 0x206f) || cp == 0x061c || cp == 0xfeff ||
        (cp >= 0xfff9 && cp <= 0xfffb)) {
        return 1;
    }
    return 0;
}

/* Skips an escape sequence starting at s[0] == ESC (or a C1 introducer
 * already decoded as `intro`); returns the bytes to skip after the introducer. */
static size_t skip_sequence(const unsigned char *s, size_t n, uint32_t intro)
{
    size_t i = 0;
    bool string_seq =
        intro == 0x90 || intro == 0x9d || intro == 0x9e || intro == 0x9f || intro == 0x98;
    if (intro == 0x1b) {
        if (n == 0) {
            return 0;
        }
        unsigned char c = s[0];
        i = 1;
        if (c == '[') {
            intro = 0x9b;
        } else if (c == ']' || c == 'P' || c == '^' || c == '_' || c == 'X') {
            string_seq = true;
        } else {
            /* Two-character escape (ESC c, ESC 7, ESC ( B ...): skip
             * intermediates then the final byte. */
            while (i <= n && c >= 0x20 && c <= 0x2f) {
                if (i >= n) {
                    return n;
                }
                c = s[i++];
            }
            return i;
        }
    }
    if (intro == 0x9b) {
        /* CSI: parameters and intermediates, then a final byte 0x40..0x7e. */
        while (i < n) {
            unsigned char c = s[i++];
            if (c >= 0x40 && c <= 0x7e) {
                return i;
            }
            if (c < 0x20 || c > 0x3f) {
                return i - 1;
            }
        }
        return i;
    }
    if (string_seq) {
        /* Until BEL, ESC \ (ST) or C1 ST, capped by the input. */
        while (i < n) {
            if (s[i] == 0x07) {
                return i + 1;
            }
            if (s[i] == 0x1b && i + 1 < n && s[i + 1] == '\\') {
                return i + 2;
            }
            if (s[i] == 0xc2 && i + 1 < n && s[i + 1] == 0x9c) {
                return i + 2;
            }
            i++;
        }
        return i;
    }
    return i;
}

char *text_clean(const char *in, size_t len)
{
    const unsigned char *s = (const unsigned char *)in;
    /* An invalid byte becomes a 3-byte U+FFFD: room for 3x, capped. */
    size_t cap = (len < TEXT_MAX_BYTES / 3 ? len * 3 : TEXT_MAX_BYTES) + 8;
    char *out = xmalloc(cap);
    size_t o = 0, i = 0;
    while (i < len) {
        uint32_t cp;
        size_t k = text_utf8_decode(s + i, len - i, &cp);
        i += k;
        if (cp == 0x1b || cp == 0x9b || cp == 0x9d || cp == 0x90 || cp == 0x98 || cp == 0x9e ||
            cp == 0x9f) {
            i += skip_sequence(s + i, len - i, cp);
            continue;
        }
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            cp = ' ';
        } else if (text_is_unsafe(cp)) {
            continue;
        }
        char buf[4];
        size_t e = text_utf8_encode(cp, buf);
        if (o + e > TEXT_MAX_BYTES) {
            memcpy(out + o, "\xe2\x80\xa6", 3); /* … */
            o += 3;
            break;
        }
        memcpy(out + o, buf, e);
        o += e;
    }
    out[o] = '\0';
    return out;
}
