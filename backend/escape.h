/*
 * Escaping for the formats scaletop writes: HTML, Markdown table cells and
 * CSV fields. Input is already cleaned text (text_clean); these make it inert
 * in the target format. Each appends to a growable buffer.
 */
#ifndef SCALETOP_ESCAPE_H
#define SCALETOP_ESCAPE_H

#include <stddef.h>

/* A growable string; start zeroed; free(buf.s) when done. */
struct strbuf {
    char *s;
    size_t len, cap;
};

/* Appends n bytes / a NUL-terminated string / printf output. */
void strbuf_add(struct strbuf *b, const char *s, size_t n);
void strbuf_puts(struct strbuf *b, const char *s);
void strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the string (never NULL) and leaves the buffer empty; caller frees. */
char *strbuf_take(struct strbuf *b);

/* &, <, >, " and ' become entities. NULL appends nothing. */
void escape_html(struct strbuf *b, const char *s);
/* A Markdown table cell: | and \ escaped, markup characters (` * _ [ ] < >)
 * backslash-escaped, so the cell renders as the literal text. */
void escape_md(struct strbuf *b, const char *s);
/* An RFC 4180 CSV field: quoted when it holds a comma, quote, CR or LF, with
 * quotes doubled; a leading = + - @ is prefixed with ' so spreadsheets do not
 * run it as a formula. */
void escape_csv(struct strbuf *b, const char *s);

#endif
