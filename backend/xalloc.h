/*
 * Allocation that never returns NULL: on exhaustion it runs the registered
 * fatal hook (the console restores the terminal there) and aborts.
 */
#ifndef SCALETOP_XALLOC_H
#define SCALETOP_XALLOC_H

#include <stddef.h>

typedef void (*xalloc_fatal_fn)(void);

/* Sets the hook run before abort() on allocation failure; any thread. */
void xalloc_set_fatal_hook(xalloc_fatal_fn fn);

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* Grows an array to hold at least `need` items of `size`; updates *cap. */
void *xgrow(void *p, size_t *cap, size_t need, size_t size);
/* Copies a string (NULL stays NULL); caller frees. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
