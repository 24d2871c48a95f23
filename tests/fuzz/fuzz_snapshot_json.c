/*
 * libFuzzer target for the snapshot JSON reader (imports, `record
 * --from-json`, the store's rebuild). Checks: a document the reader accepts
 * dumps and reads back to the same dump (the reader and writer agree), and
 * nothing it keeps carries a control character.
 */
#include "backend/snapshot_json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err e = {""};
    struct snapshot *s = snapshot_json_parse((const char *)data, size, &e);
    if (!s) {
        if (!memchr(e.msg, 0, sizeof e.msg) || !e.msg[0]) {
            abort(); /* a refusal always says why */
        }
        return 0;
    }
    char *a = snapshot_json_dump(s, 0);
    struct snapshot *t = snapshot_json_parse(a, strlen(a), &e);
    if (!t) {
        abort();
    }
    char *b = snapshot_json_dump(t, 0);
    if (strcmp(a, b) != 0) {
        abort();
    }
    for (const char *p = a; *p; p++) {
        if ((unsigned char)*p < 0x20) {
            abort(); /* compact JSON: a raw control byte can only be a leak */
        }
    }
    free(a);
    free(b);
    snapshot_unref(t);
    snapshot_unref(s);
    return 0;
}
