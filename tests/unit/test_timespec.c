/* The TIME grammar (DESIGN.md §6) and durations: every form, local vs UTC
 * with TZ set, and the errors a user gets for bad input. */
#include "backend/timespec.h"
#include "tests/lib/test.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

/* 2026-11-27T22:47:31Z, a Friday; New York is at UTC-5 then. */
#define NOW 1795819651.0

static void tz(const char *zone)
{
    setenv("TZ", zone, 1);
    tzset();
}

static double parse_ok(const char *s, bool utc)
{
    double t = NAN;
    struct err e = {{0}};
    if (timespec_parse(s, NOW, utc, &t, &e) < 0) {
        test_fail(__FILE__, __LINE__, "'%s' rejected: %s", s, e.msg);
    }
    return t;
}

static const char *parse_bad(const char *s)
{
    static struct err e;
    double t = 12345;
    e.msg[0] = '\0';
    if (timespec_parse(s, NOW, false, &t, &e) == 0) {
        test_fail(__FILE__, __LINE__, "'%s' accepted as %.3f", s, t);
    }
    return e.msg;
}

TEST(rfc3339_zulu_offset_fraction)
{
    tz("America/New_York");
    CHECK_NEAR(parse_ok("2026-11-27T22:47:31Z", false), NOW, 0);
    CHECK_NEAR(parse_ok("2026-11-27t22:47:31z", true), NOW, 0);
    CHECK_NEAR(parse_ok("2026-11-27T23:47:31+01:00", false), NOW, 0);
    CHECK_NEAR(parse_ok("2026-11-27T17:47:31-05:00", false), NOW, 0);
    CHECK_NEAR(parse_ok("2026-11-27T23:47:31+0100", false), NOW, 0);
    CHECK_NEAR(parse_ok("2026-11-27T22:47:31.250Z", false), NOW + 0.25, 1e-6);
    CHECK_NEAR(parse_ok("2026-11-27 22:47:31Z", false), NOW, 0);
}

TEST(wall_clock_local_vs_utc)
{
    tz("America/New_York");
    /* Local: New York 22:47:31 is 03:47:31Z the next day. */
    CHECK_NEAR(parse_ok("2026-11-27 22:47:31", false), NOW + 5 * 3600, 0);
    CHECK_NEAR(parse_ok("2026-11-27 22:47:31", true), NOW, 0);
    CHECK_NEAR(parse_ok("2026-11-27 22:47", true), NOW - 31, 0);
    CHECK_NEAR(parse_ok("2026-11-27T22:47", true), NOW - 31, 0);
    /* Summer time: 12:00 EDT is 16:00Z. */
    CHECK_NEAR(parse_ok("2026-07-01 12:00", false), 1782921600.0, 0);
    CHECK_NEAR(parse_ok("2026-01-01", true), 1767225600.0, 0);
    tz("UTC");
    CHECK_NEAR(parse_ok("2026-11-27 22:47:31", false), NOW, 0);
}

TEST(time_of_day_is_today)
{
    tz("America/New_York");
    /* UTC today is 2026-11-27. */
    CHECK_NEAR(parse_ok("03:12", true), 1795749120.0, 0);
    /* Local today is 2026-11-27 (17:47 EST): 03:12 EST = 08:12Z. */
    CHECK_NEAR(parse_ok("03:12", false), 1795767120.0, 0);
    CHECK_NEAR(parse_ok("03:12:30", false), 1795767150.0, 0);
    /* In Tokyo it is already the 28th: 12:30 JST on the 28th = 03:30Z. */
    tz("Asia/Tokyo");
    CHECK_NEAR(parse_ok("12:30", false), 1795836600.0, 0);
    tz("UTC");
}

TEST(now_and_relative)
{
    CHECK_NEAR(parse_ok("now", false), NOW, 0);
    CHECK_NEAR(parse_ok("  now ", false), NOW, 0);
    CHECK_NEAR(parse_ok("-30s", false), NOW - 30, 0);
    CHECK_NEAR(parse_ok("-15m", false), NOW - 900, 0);
    CHECK_NEAR(parse_ok("-2h", false), NOW - 7200, 0);
    CHECK_NEAR(parse_ok("-1d", false), NOW - 86400, 0);
    CHECK_NEAR(parse_ok("-1w", false), NOW - 7 * 86400, 0);
    CHECK_NEAR(parse_ok("-1h30m", false), NOW - 5400, 0);
    CHECK_NEAR(parse_ok("+5m", false), NOW + 300, 0);
}

TEST(bad_input_is_rejected_with_a_reason)
{
    tz("UTC");
    CHECK(strstr(parse_bad(""), "RFC 3339") != NULL);
    CHECK(strstr(parse_bad("tomorrow"), "tomorrow") != NULL);
    parse_bad("25:00");
    parse_bad("12:60");
    parse_bad("2026-02-30 10:00");
    parse_bad("2026-13-01");
    parse_bad("2026-11-27 10");
    parse_bad("10:00 pm");
    parse_bad("2026-11-27T10:00:00+25:00");
    CHECK(strstr(parse_bad("12:00Z"), "no date") != NULL);
    CHECK(strstr(parse_bad("-15x"), "-15m") != NULL);
    parse_bad("-");
    parse_bad("-m");
    parse_bad("2026-11-27T10:00:00.Z");
    double t;
    CHECK(timespec_parse(NULL, NOW, false, &t, NULL) < 0);
}

TEST(durations)
{
    double d = -1;
    struct err e;
    CHECK(timespec_parse_duration("48h", &d, &e) == 0);
    CHECK_NEAR(d, 172800, 0);
    CHECK(timespec_parse_duration("90d", &d, &e) == 0);
    CHECK_NEAR(d, 90 * 86400.0, 0);
    CHECK(timespec_parse_duration("1h30m", &d, &e) == 0);
    CHECK_NEAR(d, 5400, 0);
    CHECK(timespec_parse_duration("500ms", &d, &e) == 0);
    CHECK_NEAR(d, 0.5, 1e-12);
    CHECK(timespec_parse_duration("90", &d, &e) == 0);
    CHECK_NEAR(d, 90, 0);
    CHECK(timespec_parse_duration("2.5s", &d, &e) == 0);
    CHECK_NEAR(d, 2.5, 1e-12);
    CHECK(timespec_parse_duration("h", &d, &e) < 0);
    CHECK(timespec_parse_duration("5x", &d, &e) < 0);
    CHECK(strstr(e.msg, "unit") != NULL);
    CHECK(timespec_parse_duration("", &d, &e) < 0);
    CHECK(timespec_parse_duration("1h30", &d, &e) < 0);
    CHECK(timespec_parse_duration("1..5s", &d, &e) < 0);
}

TEST(formatting)
{
    char buf[TIMESPEC_BUF];
    CHECK_STR(timespec_format_rfc3339(NOW, buf, sizeof buf), "2026-11-27T22:47:31Z");
    CHECK_STR(timespec_format_rfc3339(NOW + 0.25, buf, sizeof buf), "2026-11-27T22:47:31.250Z");
    CHECK_STR(timespec_format_rfc3339(NOW + 0.9996, buf, sizeof buf), "2026-11-27T22:47:32Z");
    CHECK_STR(timespec_format_rfc3339(NAN, buf, sizeof buf), "");
    tz("America/New_York");
    CHECK_STR(timespec_format_short(NOW, false, buf, sizeof buf), "2026-11-27 17:47:31");
    CHECK_STR(timespec_format_short(NOW, true, buf, sizeof buf), "2026-11-27 22:47:31 UTC");
    /* What we print, we can read back. */
    double t;
    CHECK(timespec_parse(timespec_format_rfc3339(NOW + 0.5, buf, sizeof buf), 0, false, &t, NULL) ==
          0);
    CHECK_NEAR(t, NOW + 0.5, 1e-6);
    CHECK(timespec_parse(timespec_format_short(NOW, false, buf, sizeof buf), 0, false, &t, NULL) ==
          0);
    CHECK_NEAR(t, NOW, 0);
    tz("UTC");
}

/* Random strings over the grammar's alphabet: never a crash, never a silent
 * garbage value; an error always says what was wrong. */
TEST(random_input_is_accepted_or_explained)
{
    static const char alphabet[] = "0123456789-:T Z+.nowmhdsz";
    unsigned seed = 12345;
    char buf[24];
    int accepted = 0;
    for (int i = 0; i < 20000; i++) {
        size_t n = (size_t)(rand_r(&seed) % 22);
        for (size_t k = 0; k < n; k++) {
            buf[k] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
        }
        buf[n] = '\0';
        double t = NAN;
        struct err e = {{0}};
        if (timespec_parse(buf, NOW, i % 2 == 0, &t, &e) == 0) {
            accepted++;
            if (!isfinite(t)) {
                test_fail(__FILE__, __LINE__, "'%s' gave %f", buf, t);
            }
        } else if (e.msg[0] == '\0') {
            test_fail(__FILE__, __LINE__, "'%s' rejected without a message", buf);
        }
    }
    CHECK(accepted > 0);
}
