/*
 * Format escaping. Invariants: escape_html output contains no raw < > & " ';
 * escape_md output contains no unescaped | and cannot open markup;
 * escape_csv output is one RFC 4180 field that a spreadsheet shows as text.
 */
#include "backend/escape.h"

#include "backend/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void strbuf_add(struct strbuf *b, const char *s, size_t n)
{
    b->s = xgrow(b->s, &b->cap, b->len + n + 1, 1);
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void strbuf_puts(struct strbuf *b, const char *s)
{
    if (s) {
        strbuf_add(b, s, strlen(s));
    }
}

void strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0) {
        return;
    }
    b->s = xgrow(b->s, &b->cap, b->len + (size_t)n + 1, 1);
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *strbuf_take(struct strbuf *b)
{
    char *s = b->s ? b->s : xstrdup("");
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

void escape_html(struct strbuf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            strbuf_puts(b, "&amp;");
            break;
        case '<':
            strbuf_puts(b, "&lt;");
            break;
        case '>':
            strbuf_puts(b, "&gt;");
            break;
        case '"':
            strbuf_puts(b, "&quot;");
            break;
        case '\'':
            strbuf_puts(b, "&#39;");
            break;
        default:
            strbuf_add(b, s, 1);
        }
    }
}

void escape_md(struct strbuf *b, const char *s)
{
    for (; s && *s; s++) {
        if (strchr("|\\`*_[]<>#~", *s)) {
            strbuf_add(b, "\\", 1);
        }
        if (*s == '\n' || *s == '\r') {
            strbuf_add(b, " ", 1);
        } else {
            strbuf_add(b, s, 1);
        }
    }
}

void escape_csv(struct strbuf *b, const char *s)
{
    if (!s) {
        return;
    }
    int formula = strchr("=+-@", *s) != NULL && *s != '\0';
    int quote = formula || strpbrk(s, ",\"\r\n") != NULL;
    if (quote) {
        strbuf_add(b, "\"", 1);
    }
    if (formula) {
        strbuf_add(b, "'", 1);
    }
    for (; *s; s++) {
        if (*s == '"') {
            strbuf_add(b, "\"\"", 2);
        } else {
            strbuf_add(b, s, 1);
        }
    }
    if (quote) {
        strbuf_add(b, "\"", 1);
    }
}
