/*
 * libFuzzer target for the Kubernetes quantity parser. Checks: an accepted
 * quantity is a finite number; a refused one says why; the NUL-terminated
 * entry point agrees with the length-bounded one.
 */
#include "backend/quantity.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err e = {""};
    double v = 0;
    int rc = quantity_parsen((const char *)data, size, &v, &e);
    if (rc == 0 && !isfinite(v)) {
        abort();
    }
    if (rc != 0 && (!memchr(e.msg, 0, sizeof e.msg) || !e.msg[0])) {
        abort();
    }
    if (!memchr(data, 0, size) && size < 256) {
        char buf[256];
        memcpy(buf, data, size);
        buf[size] = '\0';
        double w = 0;
        struct err e2 = {""};
        int rc2 = quantity_parse(buf, &w, &e2);
        if (rc2 != rc || (rc == 0 && w != v)) {
            abort();
        }
    }
    return 0;
}
