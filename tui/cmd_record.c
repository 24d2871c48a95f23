/*
 * `scaletop record`: the headless recorder. Builds the recorder options from
 * its flags, picks the snapshot source and hands both to backend/recorder,
 * which logs to stderr and stops with status 0 on SIGTERM/SIGINT.
 * Sources: `--from-json FILE` (snapshot JSON documents, one per line, "-" for
 * stdin: imports and tests). Live polling is wired here once the collector
 * lands: a recorder_next_fn that runs one collector cycle and returns its
 * snapshot, passed to recorder_run() where the "no --from-json" branch is.
 */
#include "backend/recorder.h"
#include "backend/snapshot_json.h"
#include "backend/store.h"
#include "tui/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct json_lines {
    FILE *f;
    char *line;
    size_t cap;
    long lineno;
    FILE *log;
};

static struct snapshot *next_json(void *ctx)
{
    struct json_lines *j = ctx;
    ssize_t n;
    while ((n = getline(&j->line, &j->cap, j->f)) >= 0) {
        j->lineno++;
        if (n <= 1) {
            continue;
        }
        struct err e = {""};
        struct snapshot *s = snapshot_json_parse(j->line, (size_t)n, &e);
        if (s) {
            return s;
        }
        recorder_log(j->log, "input line %ld skipped: %s", j->lineno, e.msg);
    }
    return NULL;
}

static int parse_seconds(const char *flag, const char *v, double *out)
{
    char *end;
    double d = strtod(v ? v : "", &end);
    if (!v || end == v || *end || d < 0) {
        return cmd_usage_error("%s needs a number of seconds, not '%s'", flag, v ? v : "");
    }
    *out = d;
    return 0;
}

int cmd_record(int argc, char **argv)
{
    struct recorder_options o;
    recorder_options_defaults(&o);
    char *db = NULL;
    const char *input = NULL;
    int interval_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (strcmp(a, "--db") == 0 && v) {
            free(db);
            db = strdup(v);
            i++;
        } else if (strcmp(a, "--from-json") == 0 && v) {
            input = v;
            i++;
        } else if (strcmp(a, "--interval") == 0) {
            rc = parse_seconds(a, v, &o.interval_s);
            interval_given = 1;
            i++;
        } else if (strcmp(a, "--raw-retention") == 0) {
            rc = parse_seconds(a, v, &o.store.raw_retention_s);
            i++;
        } else if (strcmp(a, "--minute-retention") == 0) {
            rc = parse_seconds(a, v, &o.store.minute_retention_s);
            i++;
        } else if (strcmp(a, "--hour-retention") == 0) {
            rc = parse_seconds(a, v, &o.store.hour_retention_s);
            i++;
        } else if (strcmp(a, "--max-bytes") == 0) {
            rc = parse_seconds(a, v, &o.store.max_bytes);
            i++;
        } else {
            free(db);
            return cmd_usage_error("record: unknown option '%s'", a);
        }
        if (rc) {
            free(db);
            return rc;
        }
    }
    if (!input) {
        free(db);
        fprintf(stderr, "scaletop: record: live polling needs the collector, which is not in "
                        "this build yet; record from snapshot JSON with --from-json FILE\n");
        return 2;
    }
    if (!interval_given) {
        o.interval_s = 0; /* an import goes as fast as the disk */
    }
    if (!db) {
        db = store_default_path();
    }
    o.db_path = db;
    struct err e = {""};
    struct json_lines j = {NULL, NULL, 0, 0, o.log};
    j.f = strcmp(input, "-") == 0 ? stdin : fopen(input, "r");
    int status = 0;
    if (!j.f) {
        fprintf(stderr, "scaletop: record: cannot open %s\n", input);
        status = 1;
    } else if (store_prepare_dir(o.db_path, &e) < 0 || recorder_run(&o, next_json, &j, &e) < 0) {
        fprintf(stderr, "scaletop: record: %s\n", e.msg);
        status = 1;
    }
    if (j.f && j.f != stdin) {
        fclose(j.f);
    }
    free(j.line);
    free(db);
    return status;
}
