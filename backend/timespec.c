/*
 * TIME and duration grammars (DESIGN.md §6). Everything is computed from the
 * caller's `now`, never from the clock, so replay, tests and goldens agree.
 * Wall-clock forms without a zone go through mktime (local, TZ honoured) or
 * timegm (utc); forms with a zone are absolute. Input is validated field by
 * field: a bad month, day or trailing garbage is an error, never a guess.
 */
#include "backend/timespec.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Reads exactly `n` digits at *p; advances and returns the value, or -1. */
static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) {
            return -1;
        }
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return v;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

struct clock {
    int hour, min, sec;
    double frac;
};

/* Parses "HH:MM[:SS[.frac]]" at *p. */
static int parse_clock(const char **p, struct clock *c)
{
    const char *q = *p;
    c->sec = 0;
    c->frac = 0;
    if ((c->hour = digits(&q, 2)) < 0 || *q++ != ':' || (c->min = digits(&q, 2)) < 0) {
        return -1;
    }
    if (*q == ':') {
        q++;
        if ((c->sec = digits(&q, 2)) < 0) {
            return -1;
        }
        if (*q == '.' || *q == ',') {
            q++;
            double scale = 0.1;
            if (!isdigit((unsigned char)*q)) {
                return -1;
            }
            while (isdigit((unsigned char)*q)) {
                c->frac += (*q++ - '0') * scale;
                scale /= 10;
            }
        }
    }
    if (c->hour > 23 || c->min > 59 || c->sec > 60) {
        return -1;
    }
    *p = q;
    return 0;
}

/* Wall-clock fields to Unix seconds, local or UTC. */
static double wall_to_unix(struct tm *tm, bool utc)
{
    tm->tm_isdst = -1;
    time_t t = utc ? timegm(tm) : mktime(tm);
    return (double)t;
}

static const char *const grammar =
    "use RFC 3339, 'YYYY-MM-DD HH:MM[:SS]', 'HH:MM[:SS]', 'now' or '-15m', '-2h', '-1d'";

int timespec_parse_duration(const char *s, double *out_s, struct err *e)
{
    const char *p = s;
    double total = 0;
    int parts = 0;
    if (!s || !*s) {
        return err_set(e, "empty duration");
    }
    while (*p) {
        if (!isdigit((unsigned char)*p) && *p != '.') {
            return err_set(e, "bad duration '%s': expected a number at '%s'", s, p);
        }
        double v = 0, scale = 0;
        bool any = false;
        for (; isdigit((unsigned char)*p) || *p == '.'; p++) {
            if (*p == '.') {
                if (scale != 0) {
                    return err_set(e, "bad duration '%s'", s);
                }
                scale = 1;
                continue;
            }
            any = true;
            if (scale != 0) {
                scale /= 10;
                v += (*p - '0') * scale;
            } else {
                v = v * 10 + (*p - '0');
            }
        }
        if (!any || v > 1e12) {
            return err_set(e, "bad duration '%s'", s);
        }
        double unit;
        if (strncmp(p, "ms", 2) == 0) {
            unit = 0.001;
            p += 2;
        } else if (*p == 's') {
            unit = 1;
            p++;
        } else if (*p == 'm') {
            unit = 60;
            p++;
        } else if (*p == 'h') {
            unit = 3600;
            p++;
        } else if (*p == 'd') {
            unit = 86400;
            p++;
        } else if (*p == 'w') {
            unit = 7 * 86400;
            p++;
        } else if (*p == '\0' && parts == 0) {
            unit = 1; /* a bare number is seconds */
        } else {
            return err_set(e, "bad duration '%s': unit must be ms, s, m, h, d or w", s);
        }
        total += v * unit;
        parts++;
    }
    *out_s = total;
    return 0;
}

int timespec_parse(const char *s, double now, bool utc, double *out, struct err *e)
{
    if (!s) {
        return err_set(e, "missing TIME: %s", grammar);
    }
    while (isspace((unsigned char)*s)) {
        s++;
    }
    size_t len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1])) {
        len--;
    }
    char buf[64];
    if (len == 0 || len >= sizeof buf) {
        return err_set(e, "bad TIME '%.40s': %s", s, grammar);
    }
    memcpy(buf, s, len);
    buf[len] = '\0';

    if (strcmp(buf, "now") == 0) {
        *out = now;
        return 0;
    }
    if (buf[0] == '-' || buf[0] == '+') {
        double d;
        if (timespec_parse_duration(buf + 1, &d, NULL) < 0) {
            return err_set(e, "bad relative TIME '%s': use e.g. -30s, -15m, -2h, -1d, -1w, -1h30m",
                           buf);
        }
        *out = buf[0] == '-' ? now - d : now + d;
        return 0;
    }

    const char *p = buf;
    struct tm tm = {0};
    struct clock c = {0, 0, 0, 0};
    bool has_date = false;
    if (len >= 10 && buf[4] == '-') {
        int y = digits(&p, 4), mo = -1, d = -1;
        if (y >= 0 && *p++ == '-' && (mo = digits(&p, 2)) >= 0 && *p++ == '-') {
            d = digits(&p, 2);
        }
        if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) {
            return err_set(e, "bad date in TIME '%s': %s", buf, grammar);
        }
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        has_date = true;
        if (*p == 'T' || *p == 't' || *p == ' ') {
            p++;
            if (parse_clock(&p, &c) < 0) {
                return err_set(e, "bad time of day in TIME '%s': %s", buf, grammar);
            }
        } else if (*p != '\0') {
            return err_set(e, "bad TIME '%s': %s", buf, grammar);
        }
    } else if (parse_clock(&p, &c) < 0) {
        return err_set(e, "bad TIME '%s': %s", buf, grammar);
    }

    /* Zone: Z, or +HH:MM / -HH:MM / +HHMM; absolute whatever `utc` says. */
    bool zoned = false;
    int offset_s = 0;
    if (*p == 'Z' || *p == 'z') {
        zoned = true;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1;
        int oh = digits(&p, 2), om;
        if (*p == ':') {
            p++;
        }
        om = digits(&p, 2);
        if (oh < 0 || om < 0 || oh > 23 || om > 59) {
            return err_set(e, "bad zone offset in TIME '%s'", buf);
        }
        zoned = true;
        offset_s = sign * (oh * 3600 + om * 60);
    }
    if (*p != '\0') {
        return err_set(e, "unexpected '%s' in TIME '%s': %s", p, buf, grammar);
    }
    if (zoned && !has_date) {
        return err_set(e, "TIME '%s' has a zone but no date: %s", buf, grammar);
    }

    if (!has_date) {
        time_t t = (time_t)floor(now);
        if (utc) {
            gmtime_r(&t, &tm);
        } else {
            localtime_r(&t, &tm);
        }
    }
    tm.tm_hour = c.hour;
    tm.tm_min = c.min;
    tm.tm_sec = c.sec;
    double t;
    if (zoned) {
        tm.tm_isdst = 0;
        t = (double)timegm(&tm) - offset_s;
    } else {
        t = wall_to_unix(&tm, utc);
    }
    *out = t + c.frac;
    return 0;
}

double timespec_parse_rfc3339(const char *s)
{
    int y, mo, d, h, mi, n = 0;
    double sec;
    if (sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%lf%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
        mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec < 0 || sec >= 61) {
        return NAN;
    }
    const char *z = s + n;
    double off = 0;
    if (*z == 'Z' || *z == 'z') {
        z++;
    } else if (*z == '+' || *z == '-') {
        int oh, om;
        if (sscanf(z + 1, "%2d:%2d", &oh, &om) != 2) {
            return NAN;
        }
        off = (oh * 3600 + om * 60) * (*z == '-' ? -1 : 1);
        z += 6;
    } else {
        return NAN;
    }
    if (*z) {
        return NAN;
    }
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    double t = (double)timegm(&tm) + sec - off;
    return round(t * 1000.0) / 1000.0;
}

char *timespec_format_rfc3339(double t, char *buf, size_t n)
{
    if (n == 0) {
        return buf;
    }
    buf[0] = '\0';
    if (isnan(t) || isinf(t)) {
        return buf;
    }
    double whole = floor(t);
    long ms = lround((t - whole) * 1000);
    if (ms >= 1000) {
        whole += 1;
        ms = 0;
    }
    time_t tt = (time_t)whole;
    struct tm tm;
    if (!gmtime_r(&tt, &tm)) {
        return buf;
    }
    if (ms == 0) {
        snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    } else {
        snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
    }
    return buf;
}

char *timespec_format_short(double t, bool utc, char *buf, size_t n)
{
    if (n == 0) {
        return buf;
    }
    buf[0] = '\0';
    if (isnan(t) || isinf(t)) {
        return buf;
    }
    time_t tt = (time_t)floor(t);
    struct tm tm;
    if (!(utc ? gmtime_r(&tt, &tm) : localtime_r(&tt, &tm))) {
        return buf;
    }
    snprintf(buf, n, "%04d-%02d-%02d %02d:%02d:%02d%s", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, utc ? " UTC" : "");
    return buf;
}
