/*
 * libFuzzer target for the TIME and duration grammars (backend/timespec.h).
 * Checks: accepted times and durations are finite (durations >= 0), and a
 * formatted time reads back to the same second.
 */
#include "backend/timespec.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 200) {
        return 0;
    }
    char s[201];
    memcpy(s, data, size);
    s[size] = '\0';
    const double now = 1795749120.25;
    struct err e = {""};
    double t;
    for (int utc = 0; utc < 2; utc++) {
        if (timespec_parse(s, now, utc, &t, &e) == 0) {
            if (!isfinite(t)) {
                abort();
            }
            char buf[TIMESPEC_BUF];
            double back;
            if (fabs(t) < 1e11 && t > 0 &&
                (timespec_parse(timespec_format_rfc3339(floor(t), buf, sizeof buf), now, 1, &back,
                                &e) != 0 ||
                 back != floor(t))) {
                abort();
            }
        }
    }
    double d;
    if (timespec_parse_duration(s, &d, &e) == 0 && !(isfinite(d) && d >= 0)) {
        abort();
    }
    return 0;
}
