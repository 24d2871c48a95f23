/*
 * Kubernetes quantity parsing (the grammar of apimachinery quantity.go and
 * suffix.go, re-derived from reference/postgres-k8s.md §B3):
 *
 *   quantity  ::= [+-] number suffix
 *   number    ::= digits | digits "." digits | digits "." | "." digits
 *   suffix    ::= "" | Ki Mi Gi Ti Pi Ei | n u m k M G T P E | (e|E) [+-] digits
 *
 * A single "E" is exa, not an exponent; "e" alone is invalid; "K" is not a
 * suffix (kilo is lower-case "k"). The value is computed from the decimal
 * digit string so that strtod rounds once: "0.1" is the double nearest 0.1
 * and "500m" is exactly 0.5. Binary suffixes multiply by a power of two,
 * which is exact. Decimal values keep at most nine fractional digits,
 * rounded away from zero, as the API server does ("0.00000012345" -> 124n).
 * Invariant: on failure *out is untouched and the message names the input.
 */
#include "backend/quantity.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A printable excerpt of untrusted input for error messages. */
static void quantity_show(const char *s, size_t len, char *buf, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 4 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (len > 0 && n + 4 >= cap) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
}

static int quantity_fail(struct err *e, const char *s, size_t len, const char *why)
{
    char shown[48];
    quantity_show(s, len, shown, sizeof shown);
    return err_set(e, "malformed quantity \"%s\": %s", shown, why);
}

/* Decimal exponent of a one-letter SI suffix; 0 and found=0 when not one. */
static int quantity_decimal_suffix(char c, int *found)
{
    static const char letters[] = "numkMGTPE";
    static const int exps[] = {-9, -6, -3, 3, 6, 9, 12, 15, 18};
    const char *p = c ? strchr(letters, c) : NULL;
    *found = p != NULL;
    return p ? exps[p - letters] : 0;
}

int quantity_parsen(const char *s, size_t len, double *out, struct err *e)
{
    if (!s || len == 0) {
        return err_set(e, "malformed quantity \"\": empty");
    }
    if (len > QUANTITY_MAX_LEN) {
        return quantity_fail(e, s, len, "too long");
    }
    size_t i = 0;
    int neg = 0;
    if (s[i] == '+' || s[i] == '-') {
        neg = s[i] == '-';
        i++;
    }
    /* digits[] holds every mantissa digit without the point; frac counts
     * those after it. */
    char digits[QUANTITY_MAX_LEN + 1];
    size_t nd = 0;
    long frac = 0;
    int point = 0;
    for (; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            digits[nd++] = c;
            frac += point;
        } else if (c == '.' && !point) {
            point = 1;
        } else {
            break;
        }
    }
    if (nd == 0) {
        return quantity_fail(e, s, len, "no digits");
    }
    const char *suf = s + i;
    size_t slen = len - i;
    long exp10 = 0;
    int exp2 = 0;
    if (slen == 0) {
        /* plain number */
    } else if (slen == 2 && suf[1] == 'i' && suf[0] && strchr("KMGTPE", suf[0])) {
        exp2 = 10 * (int)(strchr("KMGTPE", suf[0]) - "KMGTPE" + 1);
    } else if (slen == 1) {
        int found;
        exp10 = quantity_decimal_suffix(suf[0], &found);
        if (!found) {
            return quantity_fail(e, s, len,
                                 suf[0] == 'K' ? "unknown suffix \"K\" (kilo is \"k\", "
                                                 "kibi is \"Ki\")"
                                               : "unknown suffix");
        }
    } else if (suf[0] == 'e' || suf[0] == 'E') {
        size_t j = 1;
        int eneg = 0;
        if (suf[j] == '+' || suf[j] == '-') {
            eneg = suf[j] == '-';
            j++;
        }
        if (j >= slen) {
            return quantity_fail(e, s, len, "exponent without digits");
        }
        long v = 0;
        for (; j < slen; j++) {
            if (suf[j] < '0' || suf[j] > '9') {
                return quantity_fail(e, s, len, "bad exponent");
            }
            if (v < 100000) {
                v = v * 10 + (suf[j] - '0');
            }
        }
        exp10 = eneg ? -v : v;
    } else {
        return quantity_fail(e, s, len, "unknown suffix");
    }

    /* Strip leading zeros; an all-zero mantissa is zero whatever the suffix. */
    size_t lead = 0;
    while (lead < nd && digits[lead] == '0') {
        lead++;
    }
    if (lead == nd) {
        *out = 0.0;
        return 0;
    }
    memmove(digits, digits + lead, nd - lead);
    nd -= lead;
    long dexp = exp10 - frac; /* value = digits × 10^dexp × 2^exp2 */
    if (dexp > 400 || dexp + (long)nd < -400) {
        return quantity_fail(e, s, len, "out of range");
    }
    if (exp2 == 0 && dexp < -9) {
        /* Round away from zero to nano precision. */
        long drop = -9 - dexp;
        int rest = 0;
        if (drop >= (long)nd) {
            digits[0] = '1';
            nd = 1;
        } else {
            for (size_t k = nd - (size_t)drop; k < nd; k++) {
                rest |= digits[k] != '0';
            }
            nd -= (size_t)drop;
            if (rest) {
                size_t k = nd;
                while (k > 0 && digits[k - 1] == '9') {
                    digits[--k] = '0';
                }
                if (k == 0) {
                    memmove(digits + 1, digits, nd);
                    digits[0] = '1';
                    nd++;
                } else {
                    digits[k - 1]++;
                }
            }
        }
        dexp = -9;
    }
    char num[QUANTITY_MAX_LEN + 32];
    snprintf(num, sizeof num, "%s%.*se%ld", neg ? "-" : "", (int)nd, digits, dexp);
    double v = strtod(num, NULL);
    if (exp2) {
        v = ldexp(v, exp2);
    }
    if (!isfinite(v)) {
        return quantity_fail(e, s, len, "out of range");
    }
    *out = v;
    return 0;
}

int quantity_parse(const char *s, double *out, struct err *e)
{
    return quantity_parsen(s, s ? strlen(s) : 0, out, e);
}
