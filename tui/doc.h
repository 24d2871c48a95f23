/*
 * A snapshot as a document: titled sections of key/value lines and tables
 * of already-formatted cells, each cell with a semantic role. The Markdown
 * and HTML writers render the same document, so a report says exactly what
 * the other formats say. Cells hold cleaned text; writers escape it.
 */
#ifndef SCALETOP_DOC_H
#define SCALETOP_DOC_H

#include "backend/snapshot.h"

#include <stddef.h>

enum doc_role { DOC_NORMAL = 0, DOC_OK, DOC_INFO, DOC_WARN, DOC_CRIT, DOC_DIM };

struct doc_cell {
    char *text;
    enum doc_role role;
    char *series; /* history series behind a number, for sparklines; NULL if none */
};

struct doc_table {
    char *title; /* NULL for the section's main table */
    char **header;
    size_t ncols;
    struct doc_cell *cells; /* nrows * ncols */
    size_t nrows, cap;
};

struct doc_section {
    char *title;
    char *status; /* freshness line: "ok, 3s ago" / "error: ..." / "disabled: ..." */
    enum doc_role status_role;
    struct doc_table *tables;
    size_t ntables;
};

struct doc {
    char *title;
    double time;
    int replay;
    struct doc_section *sections;
    size_t nsections;
};

/* Builds the document of a snapshot (times shown in UTC when utc is set);
 * caller frees with doc_free. */
struct doc *doc_from_snapshot(const struct snapshot *s, int utc);
void doc_free(struct doc *d);

/* The role that a severity maps to. */
enum doc_role doc_role_of_severity(enum severity sev);

#endif
