/*
 * Human formatting of numbers shared by the panes and every writer, so a
 * value reads the same on screen and in a report. An unknown value (NAN)
 * formats as the given placeholder, never as zero.
 */
#ifndef SCALETOP_FMT_H
#define SCALETOP_FMT_H

#include "backend/snapshot.h"

#include <stddef.h>

#define FMT_UNKNOWN "-"

/* 1536 -> "1.5 KiB", 68719476736 -> "64 GiB". */
const char *fmt_bytes(char *buf, size_t n, double bytes);
/* Bytes per second as "1.5 MiB/s"; NAN stays the unknown mark. Returns buf. */
const char *fmt_bytes_rate(char *buf, size_t n, double bytes_per_s);
/* `yes` for TRI_TRUE, `no` for TRI_FALSE, the unknown mark otherwise. */
const char *fmt_tri(enum tri t, const char *yes, const char *no);
/* Seconds as "45s", "3m12s", "2h05m", "3d04h". */
const char *fmt_duration(char *buf, size_t n, double seconds);
/* Milliseconds as "0.42ms", "12ms", "1.3s". */
const char *fmt_ms(char *buf, size_t n, double ms);
/* A plain number with up to `decimals` decimals, trailing zeros dropped;
 * large counts as "12.3k", "4.5M". */
const char *fmt_num(char *buf, size_t n, double v, int decimals);
/* A fraction 0..1 as a percentage "42%" ("0.5%" below 1%). */
const char *fmt_pct(char *buf, size_t n, double fraction);
/* Unix time as "2026-11-27 03:12:05" (UTC when utc, else local time), or
 * RFC 3339 UTC ("2026-11-27T03:12:05Z") when rfc3339 is set. */
const char *fmt_time(char *buf, size_t n, double t, int utc, int rfc3339);

#endif
