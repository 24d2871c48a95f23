/* Formatting: the same value reads the same everywhere; unknown is never 0. */
#include "backend/fmt.h"
#include "tests/lib/test.h"

#include <math.h>

TEST(fmt_unknown_is_placeholder)
{
    char b[32];
    CHECK_STR(fmt_bytes(b, sizeof b, NAN), "-");
    CHECK_STR(fmt_duration(b, sizeof b, NAN), "-");
    CHECK_STR(fmt_ms(b, sizeof b, NAN), "-");
    CHECK_STR(fmt_num(b, sizeof b, NAN, 2), "-");
    CHECK_STR(fmt_pct(b, sizeof b, NAN), "-");
    CHECK_STR(fmt_time(b, sizeof b, NAN, 1, 0), "-");
}

TEST(fmt_values)
{
    char b[64];
    CHECK_STR(fmt_bytes(b, sizeof b, 1536), "1.5 KiB");
    CHECK_STR(fmt_bytes(b, sizeof b, 68719476736.0), "64 GiB");
    CHECK_STR(fmt_bytes_rate(b, sizeof b, 1536), "1.5 KiB/s");
    CHECK_STR(fmt_bytes_rate(b, sizeof b, NAN), "-"); /* unknown has no unit */
    CHECK_STR(fmt_tri(TRI_FALSE, "ok", "failing"), "failing");
    CHECK_STR(fmt_tri(TRI_UNKNOWN, "ok", "failing"), "-"); /* never a verdict it lacks */
    CHECK_STR(fmt_bytes(b, sizeof b, 12), "12 B");
    CHECK_STR(fmt_duration(b, sizeof b, 45), "45s");
    CHECK_STR(fmt_duration(b, sizeof b, 192), "3m12s");
    CHECK_STR(fmt_duration(b, sizeof b, 7500), "2h05m");
    CHECK_STR(fmt_duration(b, sizeof b, 3 * 86400 + 4 * 3600), "3d04h");
    CHECK_STR(fmt_ms(b, sizeof b, 0.42), "0.42ms");
    CHECK_STR(fmt_ms(b, sizeof b, 14.5), "14ms");
    CHECK_STR(fmt_ms(b, sizeof b, 1300), "1.3s");
    CHECK_STR(fmt_num(b, sizeof b, 2.50, 2), "2.5");
    CHECK_STR(fmt_num(b, sizeof b, 0, 2), "0");
    CHECK_STR(fmt_num(b, sizeof b, 4500000, 0), "4.5M");
    CHECK_STR(fmt_pct(b, sizeof b, 0.423), "42%");
    CHECK_STR(fmt_pct(b, sizeof b, 0.004), "0.4%");
    CHECK_STR(fmt_time(b, sizeof b, 1795000325, 1, 1), "2026-11-18T11:12:05Z");
    CHECK_STR(fmt_time(b, sizeof b, 1795000325, 1, 0), "2026-11-18 11:12:05");
}
