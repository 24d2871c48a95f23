/*
 * history_dump: a test tool reading a history file through the store's own
 * API, so shell suites can compare what was recorded with what the store
 * rebuilds (store_snapshot_at), without depending on `snapshot --at`.
 *   history_dump DB times        frame times, one per line (Unix seconds)
 *   history_dump DB at T         the snapshot JSON rebuilt at Unix time T
 *   history_dump DB check        opens as a viewer, rebuilds the newest
 *                                frame; exit 0 when both work
 * Built by tests/lib/tools.sh against build/libscaletop.a; not installed.
 */
#include "backend/snapshot_json.h"
#include "backend/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: history_dump DB times|at T|check\n");
        return 2;
    }
    struct err e = {""};
    struct store *st = store_open(argv[1], STORE_VIEW, NULL, &e);
    if (!st) {
        fprintf(stderr, "history_dump: %s\n", e.msg);
        return 1;
    }
    int rc = 0;
    if (strcmp(argv[2], "times") == 0) {
        double *t = NULL;
        size_t n = 0;
        if (store_frame_times(st, 0, 1e12, &t, &n, &e) < 0) {
            fprintf(stderr, "history_dump: %s\n", e.msg);
            rc = 1;
        }
        for (size_t i = 0; i < n; i++) {
            printf("%.3f\n", t[i]);
        }
        free(t);
    } else if ((strcmp(argv[2], "at") == 0 && argc > 3) || strcmp(argv[2], "check") == 0) {
        double t;
        if (argc > 3) {
            t = strtod(argv[3], NULL);
        } else if (store_latest_time(st, &t, &e) < 0) {
            fprintf(stderr, "history_dump: %s\n", e.msg);
            store_close(st);
            return 1;
        }
        struct snapshot *s = store_snapshot_at(st, t, &e);
        if (!s) {
            fprintf(stderr, "history_dump: %s\n", e.msg);
            rc = 1;
        } else {
            if (argc > 3) {
                char *j = snapshot_json_dump(s, 0);
                puts(j);
                free(j);
            }
            snapshot_unref(s);
        }
    } else {
        fprintf(stderr, "history_dump: unknown request '%s'\n", argv[2]);
        rc = 2;
    }
    store_close(st);
    return rc;
}
