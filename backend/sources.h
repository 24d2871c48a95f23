/*
 * The poller kinds linked into this build, in poll order: one list in one
 * place (backend/sources.c). Adding a source kind is one file and one line.
 */
#ifndef SCALETOP_SOURCES_H
#define SCALETOP_SOURCES_H

#include "backend/source.h"

#include <stddef.h>

/* The linked ops in poll order, NULL-terminated. */
extern const struct source_ops *const sources_list[];

/* Number of entries in sources_list before the NULL. */
size_t sources_count(void);

#endif
