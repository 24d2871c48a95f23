/*
 * The PostgreSQL poller (postgres_source_ops in backend/source.h): one
 * persistent, read-only libpq session that fills snapshot->postgres and the
 * "postgres" source state. The helpers below are exported for tests.
 */
#ifndef SCALETOP_PGPROBE_H
#define SCALETOP_PGPROBE_H

#include "backend/config.h"
#include "backend/snapshot.h"

#include <stddef.h>

struct pgprobe;

/* Creates a probe for `conninfo` (a libpq key=value string or URI; NULL or ""
 * means libpq's own PG* environment, service file and ~/.pgpass) with the
 * cadence and timeouts of cfg (cfg may be NULL for defaults). Nothing is
 * connected until the first poll. Caller frees with pgprobe_free. Never fails. */
struct pgprobe *pgprobe_new(const char *conninfo, const struct config *cfg);

/* Closes the connection and frees the probe, wiping the secrets it held; NULL allowed. */
void pgprobe_free(struct pgprobe *p);

/* One poll into snap at Unix time `now`: adds the "postgres" source and fills
 * snap->postgres. Returns within the connect plus request timeouts whatever the
 * server does. Rates come from the previous poll. One thread at a time. */
void pgprobe_poll(struct pgprobe *p, struct snapshot *snap, double now);

/* The server process id of the probe's own session, or 0 when not connected. */
int pgprobe_backend_pid(const struct pgprobe *p);

/* Copies libpq's message `msg` into out (outsz bytes) with whitespace runs
 * folded to one space, every occurrence of each of the n secrets replaced by
 * "***", and, when `redact_quoted` is set, the text inside double quotes
 * replaced too (libpq quotes fragments of a malformed connection string, which
 * may be a password). Any thread. */
void pgprobe_scrub(const char *msg, const char *const *secrets, size_t n, int redact_quoted,
                   char *out, size_t outsz);

#endif
