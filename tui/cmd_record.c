/*
 * `scaletop record`: the headless recorder. Loads the common options with
 * config_load (flags, environment, config file), then either polls the
 * deployment through the collector every cfg.interval_s, or, with
 * `--from-json FILE` (snapshot JSON documents, one per line, "-" for stdin:
 * imports and tests), records those documents. backend/recorder appends each
 * snapshot in one transaction, logs to stderr with time stamps and stops with
 * status 0 on SIGTERM/SIGINT.
 * Invariants: SIGTERM/SIGINT are blocked before any thread exists, so every
 * poller thread inherits the mask and the recorder alone collects them;
 * the log carries only cleaned snapshot text (source names and errors),
 * never the token or a conninfo.
 */
#include "backend/collect.h"
#include "backend/config.h"
#include "backend/recorder.h"
#include "backend/snapshot_json.h"
#include "backend/sources.h"
#include "backend/store.h"
#include "backend/store_views.h"
#include "tui/commands.h"

#include <math.h>
#include <signal.h>
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

#define LIVE_MAX_TRACKED 64

/* The live source: one collector cycle per call, source status changes logged. */
struct live {
    struct collect *c;
    struct advisor_history hist;
    FILE *log;
    struct {
        char *name;
        enum source_status status;
        char *error;
    } seen[LIVE_MAX_TRACKED];
    size_t nseen;
};

static void live_opened(void *ctx, struct store *st)
{
    struct live *l = ctx;
    l->hist = store_advisor_history(st);
    collect_set_history(l->c, &l->hist);
}

static int same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Logs a source whose status or error changed since the previous cycle. */
static void live_track(struct live *l, const struct source_state *src)
{
    size_t i = 0;
    while (i < l->nseen && strcmp(l->seen[i].name, src->name) != 0) {
        i++;
    }
    if (i == l->nseen) {
        if (l->nseen == LIVE_MAX_TRACKED) {
            return;
        }
        l->seen[i].name = strdup(src->name);
        l->seen[i].status = SOURCE_NEVER;
        l->seen[i].error = NULL;
        l->nseen++;
    }
    const char *error = src->status == SOURCE_OK ? NULL : src->error;
    if (l->seen[i].status == src->status && same_text(l->seen[i].error, error)) {
        return;
    }
    if (src->status == SOURCE_OK) {
        recorder_log(l->log, "source %s: ok%s", src->name,
                     l->seen[i].status == SOURCE_NEVER ? "" : " again");
    } else if (src->status != SOURCE_DISABLED || l->seen[i].status != SOURCE_NEVER) {
        recorder_log(l->log, "source %s: %s%s%s", src->name, source_status_name(src->status),
                     error ? ": " : "", error ? error : "");
    }
    l->seen[i].status = src->status;
    free(l->seen[i].error);
    l->seen[i].error = error ? strdup(error) : NULL;
}

static struct snapshot *next_live(void *ctx)
{
    struct live *l = ctx;
    struct snapshot *s = collect_cycle(l->c);
    for (size_t i = 0; s && i < s->nsources; i++) {
        live_track(l, &s->sources[i]);
    }
    return s;
}

static void live_fini(struct live *l)
{
    for (size_t i = 0; i < l->nseen; i++) {
        free(l->seen[i].name);
        free(l->seen[i].error);
    }
}

static int parse_seconds(const char *flag, const char *v, double *out)
{
    char *end;
    double d = strtod(v ? v : "", &end);
    if (!v || end == v || *end || !(d >= 0)) {
        return cmd_usage_error("%s needs a number of seconds, not '%s'", flag, v ? v : "");
    }
    *out = d;
    return 0;
}

static void record_usage(FILE *f)
{
    fputs("Usage: scaletop record [--db FILE] [--interval SECONDS] [--from-json FILE|-]\n"
          "                       [--raw-retention S] [--minute-retention S]\n"
          "                       [--hour-retention S] [--max-bytes N] [common options]\n"
          "Polls the deployment every --interval seconds and appends each cycle to the\n"
          "history file; logs to standard error; SIGTERM or SIGINT stop it (exit 0).\n"
          "See 'scaletop --help' for the options that say where the deployment is.\n",
          f);
}

int cmd_record(int argc, char **argv)
{
    static const char *const extra[] = {
        "--from-json=",      "--raw-retention=", "--minute-retention=",
        "--hour-retention=", "--max-bytes=",     NULL};
    struct config cfg;
    struct err e = {""};
    char **rest = NULL;
    int nrest = 0, status = 2;
    const char *input = NULL;
    int interval_given = 0;
    char *db = NULL;

    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--interval", 10) == 0 && (!argv[i][10] || argv[i][10] == '=')) {
            interval_given = 1;
        }
    }
    config_defaults(&cfg);
    if (config_load(&cfg, argc, argv, extra, &rest, &nrest, &e) < 0) {
        cmd_usage_error("%s", e.msg);
        goto out;
    }
    struct recorder_options o;
    recorder_options_defaults(&o);
    o.interval_s = cfg.interval_s;
    o.store.raw_retention_s = cfg.raw_retention_s;
    o.store.minute_retention_s = cfg.minute_retention_s;
    o.store.hour_retention_s = cfg.hour_retention_s;
    o.store.max_bytes = cfg.db_max_bytes;
    for (int i = 0; i < nrest; i++) {
        const char *a = rest[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            record_usage(stdout);
            status = 0;
            goto out;
        }
        /* every other option here takes a value (config_load split "--x=y") */
        const char *v = i + 1 < nrest ? rest[++i] : NULL;
        int rc = 0;
        if (strcmp(a, "--from-json") == 0 && v) {
            input = v;
        } else if (strcmp(a, "--raw-retention") == 0) {
            rc = parse_seconds(a, v, &o.store.raw_retention_s);
        } else if (strcmp(a, "--minute-retention") == 0) {
            rc = parse_seconds(a, v, &o.store.minute_retention_s);
        } else if (strcmp(a, "--hour-retention") == 0) {
            rc = parse_seconds(a, v, &o.store.hour_retention_s);
        } else if (strcmp(a, "--max-bytes") == 0) {
            rc = parse_seconds(a, v, &o.store.max_bytes);
        } else {
            rc = cmd_usage_error("record: unexpected argument '%s'", a);
        }
        if (rc) {
            status = rc;
            goto out;
        }
    }
    if (input && !interval_given) {
        o.interval_s = 0; /* an import goes as fast as the disk */
    }
    if (!input && !(o.interval_s > 0)) {
        status = cmd_usage_error("record: --interval must be more than 0 seconds");
        goto out;
    }
    db = cfg.db_path ? strdup(cfg.db_path) : store_default_path();
    o.db_path = db;
    if (store_prepare_dir(o.db_path, &e) < 0) {
        fprintf(stderr, "scaletop: record: %s\n", e.msg);
        status = 1;
        goto out;
    }

    /* Before any thread: pollers inherit the mask, the recorder collects. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    status = 0;
    if (input) {
        struct json_lines j = {NULL, NULL, 0, 0, o.log};
        j.f = strcmp(input, "-") == 0 ? stdin : fopen(input, "r");
        if (!j.f) {
            fprintf(stderr, "scaletop: record: cannot open %s\n", input);
            status = 1;
        } else if (recorder_run(&o, next_json, &j, &e) < 0) {
            fprintf(stderr, "scaletop: record: %s\n", e.msg);
            status = 1;
        }
        if (j.f && j.f != stdin) {
            fclose(j.f);
        }
        free(j.line);
    } else {
        struct live l = {0};
        l.log = o.log;
        l.c = collect_new(&cfg, sources_list, sources_count());
        o.opened = live_opened;
        if (recorder_run(&o, next_live, &l, &e) < 0) {
            fprintf(stderr, "scaletop: record: %s\n", e.msg);
            status = 1;
        }
        collect_free(l.c);
        live_fini(&l);
    }
out:
    free(db);
    free(rest);
    config_fini(&cfg);
    return status;
}
