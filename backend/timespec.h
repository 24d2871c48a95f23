/*
 * The TIME grammar of DESIGN.md §6 and the duration grammar of the config
 * file: parsing into Unix seconds relative to a given `now`, and formatting
 * back. Pure functions: no clock, no globals; local time follows TZ.
 */
#ifndef SCALETOP_TIMESPEC_H
#define SCALETOP_TIMESPEC_H

#include "backend/err.h"

#include <stdbool.h>
#include <stddef.h>

/* Room for any string the formatters produce. */
#define TIMESPEC_BUF 40

/* Parses TIME (RFC 3339, "YYYY-MM-DD HH:MM[:SS]", "YYYY-MM-DD", "HH:MM[:SS]"
 * today, "now", relative "-15m", "-1h30m", "-2d", "-1w") against `now` (Unix
 * seconds); forms without a zone are local time unless `utc`. Stores Unix
 * seconds in *out and returns 0, or fills e and returns -1. Any thread. */
int timespec_parse(const char *s, double now, bool utc, double *out, struct err *e) WARN_UNUSED;

/* Parses a duration: "90" (seconds), "500ms", "30s", "15m", "2h", "1d", "1w",
 * combinations such as "1h30m"; stores seconds (>= 0) in *out_s and returns 0,
 * or fills e and returns -1. Any thread. */
int timespec_parse_duration(const char *s, double *out_s, struct err *e) WARN_UNUSED;

/* Formats t as RFC 3339 in UTC ("2026-11-27T22:47:31Z", with milliseconds
 * when t is not whole) into buf (n >= TIMESPEC_BUF); returns buf. NAN gives "". */
char *timespec_format_rfc3339(double t, char *buf, size_t n);

/* A strict RFC 3339 timestamp with a zone ("2026-11-27T03:12:05.250Z",
 * "...+02:00") to Unix seconds (millisecond precision); NAN for anything
 * else. For machine-written times (snapshot JSON, the store). */
double timespec_parse_rfc3339(const char *s);

/* Formats t in the short form "2026-11-27 22:47:31", local time unless utc
 * (then suffixed " UTC"); returns buf (n >= TIMESPEC_BUF). NAN gives "". */
char *timespec_format_short(double t, bool utc, char *buf, size_t n);

#endif
