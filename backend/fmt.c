/* Number formatting. Every function writes into the caller's buffer and
 * returns it; NAN becomes FMT_UNKNOWN. */
#include "backend/fmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const char *fmt_bytes(char *buf, size_t n, double bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    if (isnan(bytes)) {
        snprintf(buf, n, FMT_UNKNOWN);
        return buf;
    }
    double v = fabs(bytes);
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof units / sizeof *units) {
        v /= 1024;
        u++;
    }
    if (bytes < 0) {
        v = -v;
    }
    if (u == 0) {
        snprintf(buf, n, "%.0f B", v);
    } else if (fabs(v) < 10 && v != floor(v)) {
        snprintf(buf, n, "%.1f %s", v, units[u]);
    } else {
        snprintf(buf, n, "%.0f %s", v, units[u]);
    }
    return buf;
}

const char *fmt_bytes_rate(char *buf, size_t n, double bytes_per_s)
{
    fmt_bytes(buf, n, bytes_per_s);
    if (!isnan(bytes_per_s)) {
        size_t l = strlen(buf);
        snprintf(buf + l, n > l ? n - l : 0, "/s");
    }
    return buf;
}

const char *fmt_duration(char *buf, size_t n, double seconds)
{
    if (isnan(seconds)) {
        snprintf(buf, n, FMT_UNKNOWN);
        return buf;
    }
    const char *sign = seconds < 0 ? "-" : "";
    double s = fabs(seconds);
    long long t = (long long)floor(s + 0.5);
    if (s < 10 && s != floor(s)) {
        snprintf(buf, n, "%s%.1fs", sign, s);
    } else if (t < 60) {
        snprintf(buf, n, "%s%llds", sign, t);
    } else if (t < 3600) {
        snprintf(buf, n, "%s%lldm%02llds", sign, t / 60, t % 60);
    } else if (t < 86400) {
        snprintf(buf, n, "%s%lldh%02lldm", sign, t / 3600, (t % 3600) / 60);
    } else {
        snprintf(buf, n, "%s%lldd%02lldh", sign, t / 86400, (t % 86400) / 3600);
    }
    return buf;
}

const char *fmt_ms(char *buf, size_t n, double ms)
{
    if (isnan(ms)) {
        snprintf(buf, n, FMT_UNKNOWN);
    } else if (ms < 1) {
        snprintf(buf, n, "%.2fms", ms);
    } else if (ms < 10) {
        snprintf(buf, n, "%.1fms", ms);
    } else if (ms < 1000) {
        snprintf(buf, n, "%.0fms", ms);
    } else {
        snprintf(buf, n, "%.1fs", ms / 1000);
    }
    return buf;
}

const char *fmt_num(char *buf, size_t n, double v, int decimals)
{
    if (isnan(v)) {
        snprintf(buf, n, FMT_UNKNOWN);
        return buf;
    }
    if (isinf(v)) {
        snprintf(buf, n, v > 0 ? "inf" : "-inf");
        return buf;
    }
    double a = fabs(v);
    if (a >= 1e9) {
        snprintf(buf, n, "%.1fG", v / 1e9);
    } else if (a >= 1e6) {
        snprintf(buf, n, "%.1fM", v / 1e6);
    } else if (a >= 1e5) {
        snprintf(buf, n, "%.0fk", v / 1e3);
    } else {
        snprintf(buf, n, "%.*f", decimals, v);
        if (decimals > 0 && strchr(buf, '.')) {
            size_t len = strlen(buf);
            while (len > 0 && buf[len - 1] == '0') {
                buf[--len] = '\0';
            }
            if (len > 0 && buf[len - 1] == '.') {
                buf[--len] = '\0';
            }
        }
        if (strcmp(buf, "-0") == 0) {
            snprintf(buf, n, "0");
        }
    }
    return buf;
}

const char *fmt_pct(char *buf, size_t n, double fraction)
{
    if (isnan(fraction)) {
        snprintf(buf, n, FMT_UNKNOWN);
    } else if (fraction > 0 && fraction < 0.01) {
        snprintf(buf, n, "%.1f%%", fraction * 100);
    } else {
        snprintf(buf, n, "%.0f%%", fraction * 100);
    }
    return buf;
}

const char *fmt_time(char *buf, size_t n, double t, int utc, int rfc3339)
{
    if (isnan(t)) {
        snprintf(buf, n, FMT_UNKNOWN);
        return buf;
    }
    time_t tt = (time_t)floor(t);
    struct tm tm;
    if (rfc3339) {
        gmtime_r(&tt, &tm);
        strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
    } else {
        if (utc) {
            gmtime_r(&tt, &tm);
        } else {
            localtime_r(&tt, &tm);
        }
        strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
    }
    return buf;
}

const char *fmt_tri(enum tri t, const char *yes, const char *no)
{
    return t == TRI_TRUE ? yes : t == TRI_FALSE ? no : FMT_UNKNOWN;
}
