/*
 * `scaletop diff --from TIME --to TIME [--format text|md|json] [--redact]
 * [-o FILE]`: what changed between two recorded moments (backend/diff.h),
 * each moment being the latest frame at or before its TIME. With --redact
 * both snapshots go through one redactor before they are compared, so an
 * entity keeps one pseudonym on both sides. Exit 0 when written; 1 when the
 * history cannot be read or has nothing by a TIME; 2 for usage errors.
 */
#include "backend/config.h"
#include "backend/diff.h"
#include "backend/redact.h"
#include "tui/commands.h"
#include "tui/outfile.h"
#include "tui/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void diff_usage(FILE *f)
{
    fputs("Usage: scaletop diff --from TIME --to TIME [--format text|md|json] [--redact]\n"
          "                     [-o FILE] [--db FILE] [--utc]\n"
          "What changed between two recorded moments: replicas that joined or left,\n"
          "daemons and proxies whose state changed, queue and Postgres numbers with\n"
          "their deltas, findings that started or ended. Each TIME selects the latest\n"
          "recorded frame at or before it.\n",
          f);
}

int cmd_diff(int argc, char **argv)
{
    static const char *const extra[] = {
        "--format=", "-o=", "--output=", "--from=", "--to=", "--redact", NULL};
    struct config cfg;
    struct err e = {{0}};
    char **rest = NULL;
    int nrest = 0, rc = 2;
    const char *format = "text", *out = NULL, *from_s = NULL, *to_s = NULL;
    bool redact = false;

    config_defaults(&cfg);
    if (config_load(&cfg, argc, argv, extra, &rest, &nrest, &e) < 0) {
        config_fini(&cfg);
        return cmd_usage_error("%s", e.msg);
    }
    for (int i = 0; i < nrest; i++) {
        const char *a = rest[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            diff_usage(stdout);
            rc = 0;
            goto out;
        }
        if (strcmp(a, "--redact") == 0) {
            redact = true;
        } else if (strcmp(a, "--format") == 0) {
            format = rest[++i];
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            out = rest[++i];
        } else if (strcmp(a, "--from") == 0) {
            from_s = rest[++i];
        } else if (strcmp(a, "--to") == 0) {
            to_s = rest[++i];
        } else {
            rc = cmd_usage_error("diff: unexpected argument '%s'", a);
            goto out;
        }
    }
    enum diff_format fmt;
    if (strcmp(format, "text") == 0) {
        fmt = DIFF_TEXT;
    } else if (strcmp(format, "md") == 0) {
        fmt = DIFF_MD;
    } else if (strcmp(format, "json") == 0) {
        fmt = DIFF_JSON;
    } else {
        rc = cmd_usage_error("diff: unknown format '%s' (text, md or json)", format);
        goto out;
    }
    double from, to;
    if (report_parse_window(from_s, to_s, cfg.utc, &from, &to, &e) < 0) {
        rc = cmd_usage_error("diff: %s", e.msg);
        goto out;
    }
    struct store *st = report_open_history(cfg.db_path, &e);
    struct snapshot *a = NULL, *b = NULL;
    if (st) {
        a = store_snapshot_at(st, from, &e);
        if (!a) {
            err_prefix(&e, "--from %s", from_s);
        } else if (!(b = store_snapshot_at(st, to, &e))) {
            err_prefix(&e, "--to %s", to_s);
        }
    }
    store_close(st);
    if (!a || !b) {
        fprintf(stderr, "scaletop: diff: %s\n", e.msg);
        snapshot_unref(a);
        rc = 1;
        goto out;
    }
    if (redact) {
        struct redact *red = redact_new();
        redact_snapshot(red, a);
        redact_snapshot(red, b);
        redact_free(red);
    }
    struct diff *d = diff_snapshots(a, b);
    char *text = diff_render(d, fmt, cfg.utc);
    diff_free(d);
    snapshot_unref(a);
    snapshot_unref(b);
    rc = outfile_emit(out, text, "diff", &e) < 0 ? 1 : 0;
    if (rc != 0) {
        fprintf(stderr, "scaletop: diff: %s\n", e.msg);
    }
    free(text);
out:
    free(rest);
    config_fini(&cfg);
    return rc;
}
