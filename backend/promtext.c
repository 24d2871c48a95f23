/*
 * Streaming Prometheus text (0.0.4) / OpenMetrics parser.
 *
 * Invariants:
 * - Memory is fixed after promtext_new: a line buffer and an unescape buffer
 *   of max_line bytes each, a fixed label array, fixed filter entries. A
 *   line longer than max_line is skipped and counted as an error.
 * - Complete lines inside a chunk are parsed in place; only a line split
 *   across chunks is copied (into the line buffer), so feeding the same body
 *   in any chunking yields the same samples, errors and counts.
 * - Lines of unwanted families are skipped after looking at their name only
 *   (one memcmp against the last decision, else a name scan), then memchr to
 *   the next newline. Go's promhttp writes each family as one sorted,
 *   contiguous group, so the one-entry decision cache nearly always hits.
 * - A malformed line is counted (with its line number) and skipped; parsing
 *   goes on with the next line. Nothing here aborts on input.
 * - Numbers are parsed without the C locale (LC_NUMERIC may use a comma).
 */
#include "backend/promtext.h"

#include "backend/xalloc.h"

#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_BYTES 256

struct filter_entry {
    char name[NAME_MAX_BYTES];
    size_t len;
    bool prefix;
    enum promtext_action action;
    size_t count;
};

enum partial_state {
    PARTIAL_NONE = 0,
    PARTIAL_BUFFER, /* a line started in an earlier chunk sits in linebuf */
    PARTIAL_LONG,   /* the current line went over the cap: skip to newline */
};

struct promtext {
    promtext_sample_fn cb;
    void *ud;
    size_t max_line;
    char *linebuf;
    size_t linelen;
    enum partial_state partial;
    char *scratch; /* unescaped label values of the current line */
    size_t scratch_used;
    struct promtext_label labels[PROMTEXT_MAX_LABELS];

    struct filter_entry filters[PROMTEXT_MAX_FILTERS];
    size_t nfilters;
    enum promtext_action otherwise;

    /* the family of the last TYPE line */
    char family[NAME_MAX_BYTES];
    size_t family_len;
    enum promtext_type family_type;

    /* one-entry cache of the last filter decision, keyed by series name */
    char cache_name[NAME_MAX_BYTES];
    size_t cache_len;
    enum promtext_action cache_action;
    int cache_entry;

    locale_t c_locale;
    bool om;
    struct promtext_stats st;
};

/* 1 for bytes allowed in a legacy metric or label name ([a-zA-Z0-9_:]). */
static const unsigned char name_char[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, [':'] = 1, ['_'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1,
    ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
    ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1,
    ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1,
    ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static void set_error(struct promtext *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_error(struct promtext *p, const char *fmt, ...)
{
    p->st.errors++;
    if (p->st.first_error_line) {
        return;
    }
    p->st.first_error_line = p->st.lines;
    int n = snprintf(p->st.first_error, sizeof p->st.first_error, "line %zu: ", p->st.lines);
    if (n < 0 || (size_t)n >= sizeof p->st.first_error) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->st.first_error + n, sizeof p->st.first_error - (size_t)n, fmt, ap);
    va_end(ap);
}

struct promtext *promtext_new(size_t max_line, promtext_sample_fn cb, void *ud)
{
    struct promtext *p = xcalloc(1, sizeof *p);
    p->max_line = max_line ? max_line : PROMTEXT_DEFAULT_MAX_LINE;
    p->linebuf = xmalloc(p->max_line);
    p->scratch = xmalloc(p->max_line);
    p->cb = cb;
    p->ud = ud;
    p->cache_entry = -1;
    p->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    return p;
}

void promtext_free(struct promtext *p)
{
    if (!p) {
        return;
    }
    if (p->c_locale != (locale_t)0) {
        freelocale(p->c_locale);
    }
    free(p->linebuf);
    free(p->scratch);
    free(p);
}

void promtext_set_openmetrics(struct promtext *p, bool om)
{
    p->om = om;
    p->st.openmetrics = om;
}

int promtext_filter_add(struct promtext *p, const char *name, bool prefix,
                        enum promtext_action action)
{
    size_t len = strlen(name);
    if (p->nfilters >= PROMTEXT_MAX_FILTERS || len >= NAME_MAX_BYTES) {
        return -1;
    }
    struct filter_entry *f = &p->filters[p->nfilters];
    memcpy(f->name, name, len + 1);
    f->len = len;
    f->prefix = prefix;
    f->action = action;
    f->count = 0;
    p->cache_len = 0; /* decisions may change */
    p->cache_entry = -1;
    return (int)p->nfilters++;
}

void promtext_filter_otherwise(struct promtext *p, enum promtext_action action)
{
    p->otherwise = action;
    p->cache_len = 0;
    p->cache_entry = -1;
}

size_t promtext_count(const struct promtext *p, int entry)
{
    if (entry < 0 || (size_t)entry >= p->nfilters) {
        return 0;
    }
    return p->filters[entry].count;
}

void promtext_reset(struct promtext *p)
{
    bool om = p->om;
    memset(&p->st, 0, sizeof p->st);
    p->st.openmetrics = om;
    p->linelen = 0;
    p->partial = PARTIAL_NONE;
    p->family_len = 0;
    p->family_type = PROMTEXT_UNTYPED;
    for (size_t i = 0; i < p->nfilters; i++) {
        p->filters[i].count = 0;
    }
}

const struct promtext_stats *promtext_stats(const struct promtext *p)
{
    return &p->st;
}

/* ---- numbers ---- */

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int ascii_ieq(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    if (len != n) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        }
        if (c != lit[i]) {
            return 0;
        }
    }
    return 1;
}

static int parse_double_slow(const char *s, size_t len, double *out, locale_t loc)
{
    char buf[80];
    if (len == 0 || len >= sizeof buf) {
        return -1;
    }
    memcpy(buf, s, len);
    buf[len] = 0;
    /* strtod also takes "nan(...)", "0x..." and leading spaces; Go takes hex
     * floats too, so only spaces and the nan payload form are refused. */
    if (buf[0] == ' ' || buf[0] == '\t' || memchr(buf, '(', len)) {
        return -1;
    }
    char *end = NULL;
    locale_t own = (locale_t)0;
    if (loc == (locale_t)0) {
        own = loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
        if (loc == (locale_t)0) {
            return -1;
        }
    }
    double v = strtod_l(buf, &end, loc);
    if (own != (locale_t)0) {
        freelocale(own);
    }
    if (end != buf + len) {
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_double_loc(const char *s, size_t len, double *out, locale_t loc)
{
    const char *p = s, *e = s + len;
    bool neg = false;
    if (p < e && (*p == '-' || *p == '+')) {
        neg = *p == '-';
        p++;
    }
    if (p < e && (*p == 'N' || *p == 'n' || *p == 'I' || *p == 'i')) {
        size_t rest = (size_t)(e - p);
        if (ascii_ieq(p, rest, "nan")) {
            *out = NAN;
            return 0;
        }
        if (ascii_ieq(p, rest, "inf") || ascii_ieq(p, rest, "infinity")) {
            *out = neg ? -INFINITY : INFINITY;
            return 0;
        }
        return -1;
    }
    /* Exact fast path (Clinger): mantissa below 2^53, |exponent| <= 22. */
    uint64_t m = 0;
    int digits = 0, frac = 0, exp10 = 0;
    bool any = false;
    while (p < e && (unsigned)(*p - '0') < 10) {
        if (digits < 19) {
            m = m * 10 + (uint64_t)(*p - '0');
            if (m) {
                digits++;
            }
        } else {
            return parse_double_slow(s, len, out, loc);
        }
        any = true;
        p++;
    }
    if (p < e && *p == '.') {
        p++;
        while (p < e && (unsigned)(*p - '0') < 10) {
            if (digits < 19) {
                m = m * 10 + (uint64_t)(*p - '0');
                if (m) {
                    digits++;
                }
                frac++;
            } else {
                return parse_double_slow(s, len, out, loc);
            }
            any = true;
            p++;
        }
    }
    if (!any) {
        return parse_double_slow(s, len, out, loc);
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        bool eneg = false;
        if (p < e && (*p == '-' || *p == '+')) {
            eneg = *p == '-';
            p++;
        }
        if (p == e) {
            return -1;
        }
        int ev = 0;
        while (p < e && (unsigned)(*p - '0') < 10) {
            if (ev < 10000) {
                ev = ev * 10 + (*p - '0');
            }
            p++;
        }
        exp10 = eneg ? -ev : ev;
    }
    if (p != e) {
        return parse_double_slow(s, len, out, loc);
    }
    exp10 -= frac;
    if (m >= ((uint64_t)1 << 53) || exp10 > 22 || exp10 < -22) {
        if (m == 0) {
            *out = neg ? -0.0 : 0.0;
            return 0;
        }
        return parse_double_slow(s, len, out, loc);
    }
    double v = (double)m;
    v = exp10 >= 0 ? v * pow10_exact[exp10] : v / pow10_exact[-exp10];
    *out = neg ? -v : v;
    return 0;
}

int promtext_parse_double(const char *s, size_t len, double *out)
{
    return parse_double_loc(s, len, out, (locale_t)0);
}

/* Milliseconds: an int64 in 0.0.4, float seconds in OpenMetrics. Lenient:
 * a float in 0.0.4 is taken as milliseconds too. */
static int parse_timestamp(struct promtext *p, const char *s, size_t len, double *ms)
{
    if (p->om) {
        double sec;
        if (parse_double_loc(s, len, &sec, p->c_locale) != 0 || !isfinite(sec)) {
            return -1;
        }
        *ms = sec * 1000.0;
        return 0;
    }
    const char *q = s, *e = s + len;
    bool neg = false;
    if (q < e && (*q == '-' || *q == '+')) {
        neg = *q == '-';
        q++;
    }
    if (q < e && (size_t)(e - q) <= 18) {
        int64_t v = 0;
        const char *d = q;
        while (d < e && (unsigned)(*d - '0') < 10) {
            v = v * 10 + (*d - '0');
            d++;
        }
        if (d == e) {
            *ms = (double)(neg ? -v : v);
            return 0;
        }
    }
    double v;
    if (parse_double_loc(s, len, &v, p->c_locale) != 0 || !isfinite(v)) {
        return -1;
    }
    *ms = v;
    return 0;
}

/* ---- filter ---- */

/* The suffixes that tie a series name to its family. */
static int family_suffix(const char *s, size_t n)
{
    switch (n) {
    case 4:
        return memcmp(s, "_sum", 4) == 0;
    case 5:
        return memcmp(s, "_info", 5) == 0 || memcmp(s, "_gsum", 5) == 0;
    case 6:
        return memcmp(s, "_count", 6) == 0 || memcmp(s, "_total", 6) == 0;
    case 7:
        return memcmp(s, "_bucket", 7) == 0 || memcmp(s, "_gcount", 7) == 0;
    case 8:
        return memcmp(s, "_created", 8) == 0;
    default:
        return 0;
    }
}

static enum promtext_action decide(struct promtext *p, const char *name, size_t len, int *entry)
{
    *entry = -1;
    if (p->nfilters == 0) {
        return PROMTEXT_PARSE;
    }
    if (p->cache_len && p->cache_len == len && memcmp(p->cache_name, name, len) == 0) {
        *entry = p->cache_entry;
        return p->cache_action;
    }
    enum promtext_action act = p->otherwise;
    int found = -1;
    for (size_t i = 0; i < p->nfilters; i++) {
        const struct filter_entry *f = &p->filters[i];
        if (f->prefix || len < f->len || name[0] != f->name[0] ||
            memcmp(name, f->name, f->len) != 0) {
            continue;
        }
        if (len == f->len || family_suffix(name + f->len, len - f->len)) {
            found = (int)i;
            break;
        }
    }
    if (found < 0) {
        for (size_t i = 0; i < p->nfilters; i++) {
            const struct filter_entry *f = &p->filters[i];
            if (f->prefix && len >= f->len && memcmp(name, f->name, f->len) == 0) {
                found = (int)i;
                break;
            }
        }
    }
    if (found >= 0) {
        act = p->filters[found].action;
    }
    if (len < NAME_MAX_BYTES) {
        memcpy(p->cache_name, name, len);
        p->cache_len = len;
        p->cache_action = act;
        p->cache_entry = found;
    }
    *entry = found;
    return act;
}

/* ---- lines ---- */

static const char *skip_ws(const char *s, const char *e)
{
    while (s < e && (*s == ' ' || *s == '\t')) {
        s++;
    }
    return s;
}

static const char *scan_name(const char *s, const char *e)
{
    while (s < e && name_char[(unsigned char)*s]) {
        s++;
    }
    return s;
}

static enum promtext_type type_from_word(const char *w, size_t n, bool *known)
{
    static const struct {
        const char *word;
        enum promtext_type type;
    } types[] = {
        {"counter", PROMTEXT_COUNTER},
        {"gauge", PROMTEXT_GAUGE},
        {"histogram", PROMTEXT_HISTOGRAM},
        {"summary", PROMTEXT_SUMMARY},
        {"untyped", PROMTEXT_UNTYPED},
        {"unknown", PROMTEXT_UNTYPED},
        {"gaugehistogram", PROMTEXT_GAUGEHISTOGRAM},
        {"info", PROMTEXT_INFO},
        {"stateset", PROMTEXT_STATESET},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (strlen(types[i].word) == n && memcmp(types[i].word, w, n) == 0) {
            *known = true;
            return types[i].type;
        }
    }
    *known = false;
    return PROMTEXT_UNTYPED;
}

static void comment_line(struct promtext *p, const char *s, const char *e)
{
    const char *q = skip_ws(s + 1, e);
    const char *kw = q;
    while (q < e && *q != ' ' && *q != '\t') {
        q++;
    }
    size_t kwlen = (size_t)(q - kw);
    if (kwlen == 3 && memcmp(kw, "EOF", 3) == 0 && skip_ws(q, e) == e) {
        p->st.eof_seen = true;
        return;
    }
    if (kwlen != 4 || memcmp(kw, "TYPE", 4) != 0) {
        return; /* HELP, UNIT and plain comments carry nothing we use */
    }
    q = skip_ws(q, e);
    const char *name = q;
    const char *ne;
    if (q < e && *q == '"') { /* UTF-8 quoted name */
        name = q + 1;
        ne = memchr(name, '"', (size_t)(e - name));
        if (!ne) {
            set_error(p, "unterminated quoted name in TYPE");
            return;
        }
        q = ne + 1;
    } else {
        ne = scan_name(q, e);
        q = ne;
    }
    size_t nlen = (size_t)(ne - name);
    q = skip_ws(q, e);
    const char *w = q;
    while (q < e && *q != ' ' && *q != '\t') {
        q++;
    }
    bool known;
    enum promtext_type t = type_from_word(w, (size_t)(q - w), &known);
    if (nlen == 0 || nlen >= NAME_MAX_BYTES || !known || skip_ws(q, e) != e) {
        set_error(p, "malformed TYPE line");
        p->family_len = 0;
        return;
    }
    if (nlen == p->family_len && memcmp(name, p->family, nlen) == 0) {
        set_error(p, "second TYPE line for %.*s", (int)(nlen > 80 ? 80 : nlen), name);
    }
    memcpy(p->family, name, nlen);
    p->family_len = nlen;
    p->family_type = t;
}

/* 1 for the bytes that end a run inside a quoted string. */
static const unsigned char quote_stop[256] = {['"'] = 1, ['\\'] = 1};

/* Scans a quoted string starting after its opening quote; returns the
 * closing quote or NULL. Sets *esc when a backslash occurs. Label values are
 * short, so a table-driven loop beats two memchr calls here. */
static const char *scan_quoted(const char *s, const char *e, bool *esc)
{
    *esc = false;
    while (s < e) {
        while (s < e && !quote_stop[(unsigned char)*s]) {
            s++;
        }
        if (s >= e) {
            return NULL;
        }
        if (*s == '"') {
            return s;
        }
        *esc = true;
        s += 2; /* a backslash and the byte it escapes */
    }
    return NULL;
}

/* Unescapes \\ \" \n into the scratch buffer; unknown escapes are kept. */
static const char *unescape(struct promtext *p, const char *s, size_t n, size_t *outlen)
{
    char *o = p->scratch + p->scratch_used;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\' && i + 1 < n) {
            char d = s[++i];
            if (d == 'n') {
                o[k++] = '\n';
            } else if (d == '\\' || d == '"') {
                o[k++] = d;
            } else {
                o[k++] = '\\';
                o[k++] = d;
            }
        } else {
            o[k++] = c;
        }
    }
    p->scratch_used += k; /* k <= n <= line length <= max_line */
    *outlen = k;
    return o;
}

static void sample_line(struct promtext *p, const char *s, const char *e)
{
    const char *name = s, *q;
    size_t nlen = 0;
    int entry = -1;
    enum promtext_action act = PROMTEXT_PARSE;
    bool decided = false;

    if (*s != '{') {
        q = scan_name(s, e);
        nlen = (size_t)(q - s);
        if (nlen == 0 || (unsigned)(s[0] - '0') < 10) {
            set_error(p, "expected a metric name");
            return;
        }
        act = decide(p, name, nlen, &entry);
        decided = true;
        if (act != PROMTEXT_PARSE) {
            p->st.skipped_lines++;
            if (act == PROMTEXT_COUNT && entry >= 0) {
                p->filters[entry].count++;
            }
            return;
        }
        q = skip_ws(q, e);
    } else {
        q = s;
    }

    size_t nl = 0;
    p->scratch_used = 0;
    if (q < e && *q == '{') {
        q++;
        for (;;) {
            q = skip_ws(q, e);
            if (q >= e) {
                set_error(p, "unterminated label set");
                return;
            }
            if (*q == '}') {
                q++;
                break;
            }
            const char *ln, *lne;
            bool quoted_name = false, esc = false;
            if (*q == '"') {
                ln = q + 1;
                lne = scan_quoted(ln, e, &esc);
                if (!lne) {
                    set_error(p, "unterminated quoted name");
                    return;
                }
                q = lne + 1;
                quoted_name = true;
            } else {
                ln = q;
                lne = scan_name(q, e);
                q = lne;
            }
            q = skip_ws(q, e);
            if (quoted_name && nlen == 0 && q < e && (*q == ',' || *q == '}')) {
                /* {"metric.name", ...}: the name inside the braces */
                name = ln;
                nlen = (size_t)(lne - ln);
                if (*q == ',') {
                    q++;
                }
                continue;
            }
            if (lne == ln || q >= e || *q != '=') {
                set_error(p, "malformed label");
                return;
            }
            q = skip_ws(q + 1, e);
            if (q >= e || *q != '"') {
                set_error(p, "label value not quoted");
                return;
            }
            const char *v = q + 1;
            const char *ve = scan_quoted(v, e, &esc);
            if (!ve) {
                set_error(p, "unterminated label value");
                return;
            }
            if (nl >= PROMTEXT_MAX_LABELS) {
                set_error(p, "more than %d labels", PROMTEXT_MAX_LABELS);
                return;
            }
            struct promtext_label *L = &p->labels[nl++];
            L->name = ln;
            L->name_len = (size_t)(lne - ln);
            if (esc) {
                L->value = unescape(p, v, (size_t)(ve - v), &L->value_len);
            } else {
                L->value = v;
                L->value_len = (size_t)(ve - v);
            }
            q = skip_ws(ve + 1, e);
            if (q < e && *q == ',') {
                q++;
            } else if (q >= e || *q != '}') {
                set_error(p, "expected , or } after a label");
                return;
            }
        }
        q = skip_ws(q, e);
    }
    if (nlen == 0) {
        set_error(p, "expected a metric name");
        return;
    }
    if (!decided) {
        act = decide(p, name, nlen, &entry);
        if (act != PROMTEXT_PARSE) {
            p->st.skipped_lines++;
            if (act == PROMTEXT_COUNT && entry >= 0) {
                p->filters[entry].count++;
            }
            return;
        }
    }

    const char *vs = q;
    while (q < e && *q != ' ' && *q != '\t') {
        q++;
    }
    struct promtext_sample smp;
    if (vs == q) {
        set_error(p, "missing value");
        return;
    }
    if (parse_double_loc(vs, (size_t)(q - vs), &smp.value, p->c_locale) != 0) {
        set_error(p, "bad value \"%.*s\"", (int)((q - vs) > 40 ? 40 : (q - vs)), vs);
        return;
    }
    smp.has_timestamp = false;
    smp.timestamp_ms = NAN;
    q = skip_ws(q, e);
    if (q < e && *q != '#') {
        const char *ts = q;
        while (q < e && *q != ' ' && *q != '\t') {
            q++;
        }
        if (parse_timestamp(p, ts, (size_t)(q - ts), &smp.timestamp_ms) != 0) {
            set_error(p, "bad timestamp");
            return;
        }
        smp.has_timestamp = true;
        q = skip_ws(q, e);
    }
    if (q < e && *q != '#') {
        set_error(p, "trailing text after the sample");
        return;
    }
    /* q at '#': an exemplar (OpenMetrics); ignored */

    smp.family = name;
    smp.family_len = nlen;
    smp.type = PROMTEXT_UNTYPED;
    if (p->family_len && nlen >= p->family_len && memcmp(name, p->family, p->family_len) == 0) {
        size_t rest = nlen - p->family_len;
        const char *suf = name + p->family_len;
        bool belongs = rest == 0 || family_suffix(suf, rest);
        if (belongs) {
            smp.family = p->family;
            smp.family_len = p->family_len;
            smp.type = p->family_type;
            if (rest == 8 && memcmp(suf, "_created", 8) == 0 && p->family_type != PROMTEXT_GAUGE &&
                p->family_type != PROMTEXT_UNTYPED) {
                return; /* OpenMetrics creation time: metadata, not a sample */
            }
        }
    }
    smp.name = name;
    smp.name_len = nlen;
    smp.labels = p->labels;
    smp.nlabels = nl;
    smp.line = p->st.lines;
    p->st.samples++;
    if (entry >= 0) {
        p->filters[entry].count++;
    }
    if (p->cb) {
        p->cb(p->ud, &smp);
    }
}

/* One complete line without its '\n'. */
static void line(struct promtext *p, const char *s, size_t n)
{
    p->st.lines++;
    if (n > p->max_line) {
        set_error(p, "line longer than %zu bytes skipped", p->max_line);
        return;
    }
    if (n && s[n - 1] == '\r') {
        n--;
    }
    const char *e = s + n;
    if (p->st.eof_seen) {
        if (skip_ws(s, e) != e) {
            set_error(p, "content after # EOF");
        }
        return;
    }
    if (n == 0) {
        return;
    }
    /* fast path: same series name as the last decision */
    if (p->cache_len && p->cache_action != PROMTEXT_PARSE && n > p->cache_len &&
        (s[p->cache_len] == '{' || s[p->cache_len] == ' ') &&
        memcmp(s, p->cache_name, p->cache_len) == 0) {
        p->st.skipped_lines++;
        if (p->cache_action == PROMTEXT_COUNT && p->cache_entry >= 0) {
            p->filters[p->cache_entry].count++;
        }
        return;
    }
    const char *q = skip_ws(s, e);
    if (q == e) {
        return;
    }
    if (*q == '#') {
        comment_line(p, q, e);
        return;
    }
    sample_line(p, q, e);
}

void promtext_feed(struct promtext *p, const char *data, size_t len)
{
    const char *cur = data, *end = data + len;
    p->st.bytes += len;
    if (p->partial != PARTIAL_NONE && cur < end) {
        const char *nl = memchr(cur, '\n', len);
        size_t take = (size_t)((nl ? nl : end) - cur);
        if (p->partial == PARTIAL_BUFFER) {
            if (p->linelen + take > p->max_line) {
                p->partial = PARTIAL_LONG;
            } else {
                memcpy(p->linebuf + p->linelen, cur, take);
                p->linelen += take;
            }
        }
        if (!nl) {
            return;
        }
        if (p->partial == PARTIAL_BUFFER) {
            line(p, p->linebuf, p->linelen);
        } else {
            line(p, cur, p->max_line + 1); /* counted as over-long */
        }
        p->partial = PARTIAL_NONE;
        p->linelen = 0;
        cur = nl + 1;
    }
    while (cur < end) {
        const char *nl = memchr(cur, '\n', (size_t)(end - cur));
        if (!nl) {
            size_t rest = (size_t)(end - cur);
            if (rest > p->max_line) {
                p->partial = PARTIAL_LONG;
            } else {
                memcpy(p->linebuf, cur, rest);
                p->linelen = rest;
                p->partial = PARTIAL_BUFFER;
            }
            return;
        }
        line(p, cur, (size_t)(nl - cur));
        cur = nl + 1;
    }
}

void promtext_finish(struct promtext *p)
{
    if (p->partial == PARTIAL_BUFFER) {
        line(p, p->linebuf, p->linelen);
    } else if (p->partial == PARTIAL_LONG) {
        line(p, p->linebuf, p->max_line + 1);
    }
    p->partial = PARTIAL_NONE;
    p->linelen = 0;
}
