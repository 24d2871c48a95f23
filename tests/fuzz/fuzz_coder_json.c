/*
 * libFuzzer target for the Coder API JSON-to-model conversions (backend/
 * coder.h). The first byte picks the parser, the rest is the body. Besides
 * crashes and sanitizer reports it checks the model's promises: whatever a
 * parser accepted dumps to snapshot JSON that parses back, and no string in
 * the model carries a control character (snapshot_str cleans every one).
 */
#include "backend/coder.h"
#include "backend/snapshot_json.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* True when the dumped JSON holds an escaped C0/C1 control or a bidi override. */
static int has_control(const char *json)
{
    for (const char *p = strstr(json, "\\u"); p; p = strstr(p + 2, "\\u")) {
        unsigned v = (unsigned)strtoul((char[5]){p[2], p[3], p[4], p[5], 0}, NULL, 16);
        if (v < 0x20 || (v >= 0x7f && v < 0xa0) || (v >= 0x202a && v <= 0x202e) ||
            (v >= 0x2066 && v <= 0x2069)) {
            return 1;
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    uint8_t mode = data[0] % 14;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    struct snapshot *s = snapshot_new(1795749120.0);
    struct err e = {""};
    int rc = 0;
    switch (mode) {
    case 0:
        rc = coder_parse_buildinfo(s, body, len, &e);
        break;
    case 1: {
        enum tri a, b, c;
        rc = coder_parse_entitlements(body, len, &a, &b, &c, &e);
        break;
    }
    case 2: {
        struct coder_org orgs[8];
        size_t n = 0;
        rc = coder_parse_organizations(body, len, orgs, 8, &n, &e);
        if (rc == 0 && n > 8) {
            abort();
        }
        break;
    }
    case 3:
        rc = coder_parse_replicas(s, body, len, &e);
        break;
    case 4:
        rc = coder_parse_proxies(s, body, len, &e);
        break;
    case 5:
        rc = coder_parse_daemons(s, "coder", body, len, &e);
        break;
    case 6: {
        size_t nl = 0;
        rc = coder_parse_jobs(s, "coder", body, len, 1795749120.0, 50, &nl, &e);
        break;
    }
    case 7: {
        double t;
        rc = coder_parse_health(s, body, len, &t, &e);
        break;
    }
    case 8:
        rc = coder_parse_deployment_stats(s, body, len, &e);
        break;
    case 9: {
        double n;
        rc = coder_parse_count(body, len, &n, &e);
        break;
    }
    case 10:
        rc = coder_parse_quota(s, "alice", "coder", body, len, &e);
        break;
    case 12: {
        /* cost control: a running-list page, then the groups against it */
        struct cost_tally t;
        cost_tally_init(&t, 1795749000.0);
        size_t nl = 0;
        double count;
        rc = coder_parse_running_page(body, len, 1795749000.0, &t, &nl, &count, &e);
        if (t.running > (double)nl || t.off_peak > t.running || t.without_autostop > t.running) {
            abort();
        }
        cost_tally_finish(&t);
        cost_tally_emit(&t, s, 1795749000.0);
        cost_tally_fini(&t);
        break;
    }
    case 13: {
        struct cost_tally t;
        cost_tally_init(&t, NAN);
        cost_tally_add(&t, 1.7e9, NAN, true, 3, "3e5a8c8b-7b6e-4d6a-9c53-2f0d6a1b9e11",
                       "a7e2c9b4-1d3f-4e5a-8b6c-9d0e1f2a3b4c");
        cost_tally_finish(&t);
        rc = coder_parse_cost_groups(s, "coder", body, len, &t, 64, &e);
        if (s->cost.ngroups > 64) {
            abort();
        }
        cost_tally_fini(&t);
        break;
    }
    default: {
        char msg[256];
        (void)coder_error_reason(400 + (long)(size % 200), body, len, msg, sizeof msg);
        break;
    }
    }
    (void)rc;
    if (memchr(e.msg, 0, sizeof e.msg) == NULL) {
        abort(); /* an error message must stay terminated */
    }
    char *json = snapshot_json_dump(s, 0);
    if (has_control(json)) {
        abort();
    }
    struct err pe = {""};
    struct snapshot *back = snapshot_json_parse(json, strlen(json), &pe);
    if (!back) {
        abort();
    }
    snapshot_unref(back);
    free(json);
    snapshot_unref(s);
    return 0;
}
