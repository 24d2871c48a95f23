/*
 * Writing a report or snapshot file: created 0600 (exports may hold
 * deployment details), replaced atomically (temporary file, fsync, rename)
 * so a reader never sees half a file.
 */
#ifndef SCALETOP_OUTFILE_H
#define SCALETOP_OUTFILE_H

#include "backend/err.h"

#include <stddef.h>

/* Writes len bytes of text to path; -1 and e ("PATH: reason") on failure,
 * leaving no temporary file behind. */
int outfile_write(const char *path, const char *text, size_t len, struct err *e) WARN_UNUSED;

/* Writes text to path, or to standard output when path is NULL or "-";
 * on success tells on stderr where a file went ("WHAT written to PATH"). */
int outfile_emit(const char *path, const char *text, const char *what, struct err *e) WARN_UNUSED;

#endif
