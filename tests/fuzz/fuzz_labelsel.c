/*
 * libFuzzer target for label selectors (backend/labelsel.h), which come
 * from the config file. Checks: a rejected text leaves nothing behind; an
 * accepted one holds at most the documented number of requirements and
 * values, and matching it against a fixed pod's labels gives the same answer
 * twice (no state, no crash).
 */
#include "backend/labelsel.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *get(void *ctx, const char *key)
{
    (void)ctx;
    static const char *const kv[][2] = {
        {"app.kubernetes.io/name", "coder"}, {"com.coder.workspace.id", "8f1c"}, {"tier", ""}};
    for (size_t i = 0; i < sizeof kv / sizeof *kv; i++) {
        if (strcmp(kv[i][0], key) == 0) {
            return kv[i][1];
        }
    }
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1024) {
        return 0;
    }
    char s[1025];
    memcpy(s, data, size);
    s[size] = '\0';
    struct labelsel sel;
    struct err e = {""};
    if (labelsel_parse(&sel, s, &e) != 0) {
        if (sel.n != 0 || !e.msg[0]) {
            abort();
        }
        return 0;
    }
    if (sel.n > LABELSEL_MAX_REQS) {
        abort();
    }
    for (size_t i = 0; i < sel.n; i++) {
        if (!sel.reqs[i].key || sel.reqs[i].nvalues > LABELSEL_MAX_VALUES) {
            abort();
        }
    }
    bool a = labelsel_match(&sel, get, NULL), b = labelsel_match(&sel, get, NULL);
    if (a != b || (sel.none && a)) {
        abort();
    }
    labelsel_fini(&sel);
    return 0;
}
