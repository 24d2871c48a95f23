/*
 * `scaletop check [--format text|json] [--window S] [-o FILE]`: one live
 * snapshot (two polls, so rates exist), the advisor's findings printed, and
 * an exit status for cron, CI or a pager: 0 ok (nothing above info), 1 warn,
 * 2 crit, 3 could not check (no source answered). With `--at TIME` the
 * snapshot is the one recorded at TIME in the history file, evaluated again
 * with today's thresholds and the history up to then (no request to the
 * deployment).
 */
#include "backend/advisor.h"
#include "backend/collect.h"
#include "backend/config.h"
#include "backend/escape.h"
#include "backend/fmt.h"
#include "backend/sources.h"
#include "backend/store.h"
#include "backend/store_views.h"
#include "backend/timespec.h"
#include "tui/commands.h"
#include "tui/outfile.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void check_usage(FILE *f)
{
    fputs("Usage: scaletop check [--at TIME] [--format text|json] [--window SECONDS]\n"
          "                      [-o FILE] [common options]\n"
          "Evaluate the Scale Coder guide's recommendations against the deployment\n"
          "(or, with --at, against the history file as it was at TIME).\n"
          "Exit status: 0 ok, 1 warn, 2 crit, 3 could not check (no source answered).\n"
          "Rules and thresholds: docs/rules.md; change them under [thresholds].\n",
          f);
}

/* True when at least one source gave data this time (ok or stale). */
static int anything_reachable(const struct snapshot *s)
{
    for (size_t i = 0; i < s->nsources; i++) {
        if (s->sources[i].status == SOURCE_OK || s->sources[i].status == SOURCE_STALE) {
            return 1;
        }
    }
    return 0;
}

static int exit_status(const struct snapshot *s)
{
    if (!anything_reachable(s)) {
        return 3;
    }
    enum severity worst = advisor_worst(s);
    return worst == SEV_CRIT ? 2 : worst == SEV_WARN ? 1 : 0;
}

static const char *verdict(int status)
{
    static const char *const names[] = {"OK", "WARN", "CRIT", "UNKNOWN"};
    return names[status];
}

static char *render_text(const struct snapshot *s, int status, int utc)
{
    struct strbuf b = {0};
    char t[64];
    size_t count[4] = {0};
    for (size_t i = 0; i < s->nfindings; i++) {
        count[s->findings[i].severity]++;
    }
    strbuf_printf(&b, "scaletop check %s: %s (%zu crit, %zu warn, %zu info)\n",
                  fmt_time(t, sizeof t, s->time, utc, 0), verdict(status), count[SEV_CRIT],
                  count[SEV_WARN], count[SEV_INFO]);
    for (size_t i = 0; i < s->nfindings; i++) {
        const struct finding *f = &s->findings[i];
        char sev[8];
        snprintf(sev, sizeof sev, "%s", severity_name(f->severity));
        for (char *p = sev; *p; p++) {
            *p = (char)(*p - ('a' - 'A'));
        }
        strbuf_printf(&b, "%-4s  %s  %s\n      %s\n", sev, f->rule, f->entity ? f->entity : "",
                      f->message);
        if (f->evidence) {
            strbuf_printf(&b, "      evidence: %s\n", f->evidence);
        }
    }
    strbuf_puts(&b, "sources:");
    for (size_t i = 0; i < s->nsources; i++) {
        const struct source_state *src = &s->sources[i];
        strbuf_printf(&b, "\n  %-28s %s", src->name, source_status_name(src->status));
        if (src->status != SOURCE_OK && (src->error || src->hint)) {
            strbuf_printf(&b, ": %s", src->error ? src->error : src->hint);
        }
    }
    strbuf_puts(&b, "\n");
    if (status == 3) {
        strbuf_puts(&b, "could not check: no source answered (see above)\n");
    }
    return strbuf_take(&b);
}

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

static char *render_json(const struct snapshot *s, int status)
{
    char t[64];
    json_t *root = json_object();
    json_object_set_new(root, "time", json_string(fmt_time(t, sizeof t, s->time, 1, 1)));
    json_object_set_new(root, "status",
                        json_string(status == 3   ? "unknown"
                                    : status == 2 ? "crit"
                                    : status == 1 ? "warn"
                                                  : "ok"));
    json_object_set_new(root, "exit", json_integer(status));
    json_t *arr = json_array();
    for (size_t i = 0; i < s->nfindings; i++) {
        const struct finding *f = &s->findings[i];
        json_t *o = json_object();
        json_object_set_new(o, "rule", jstr(f->rule));
        json_object_set_new(o, "severity", json_string(severity_name(f->severity)));
        json_object_set_new(o, "entity", jstr(f->entity));
        json_object_set_new(o, "message", jstr(f->message));
        json_object_set_new(o, "evidence", jstr(f->evidence));
        json_array_append_new(arr, o);
    }
    json_object_set_new(root, "findings", arr);
    arr = json_array();
    for (size_t i = 0; i < s->nsources; i++) {
        const struct source_state *src = &s->sources[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", jstr(src->name));
        json_object_set_new(o, "status", json_string(source_status_name(src->status)));
        json_object_set_new(o, "error", jstr(src->error ? src->error : src->hint));
        json_array_append_new(arr, o);
    }
    json_object_set_new(root, "sources", arr);
    char *out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    struct strbuf b = {0};
    strbuf_puts(&b, out);
    strbuf_puts(&b, "\n");
    free(out);
    return strbuf_take(&b);
}

/* The snapshot recorded at TIME `at`, with findings evaluated afresh with
 * thresholds t and the history; NULL after printing why (the caller exits 3). */
static struct snapshot *recorded_snapshot(const struct config *cfg,
                                          const struct advisor_thresholds *t, const char *at)
{
    struct err e = {""};
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    double when;
    if (timespec_parse(at, (double)now.tv_sec + now.tv_nsec / 1e9, cfg->utc, &when, &e) < 0) {
        cmd_usage_error("check: --at: %s", e.msg);
        return NULL;
    }
    char *db = cfg->db_path ? strdup(cfg->db_path) : store_default_path();
    struct store *st = store_open(db, STORE_VIEW, NULL, &e);
    struct snapshot *snap = st ? store_snapshot_at(st, when, &e) : NULL;
    if (!snap) {
        fprintf(stderr, "scaletop: check: %s\n", e.msg);
    } else {
        struct advisor_history h = store_advisor_history(st);
        struct advisor *a = advisor_new(t);
        snap->nfindings = 0; /* judged again with today's thresholds */
        advisor_evaluate(a, snap, &h);
        advisor_free(a);
    }
    store_close(st);
    free(db);
    return snap;
}

int cmd_check(int argc, char **argv)
{
    static const char *const extra[] = {"--format=", "-o=", "--output=", "--at=", NULL};
    struct config cfg;
    struct err e = {{0}};
    char **rest = NULL;
    int nrest = 0, rc = 3;
    const char *format = "text", *out = NULL, *at = NULL;

    config_defaults(&cfg);
    if (config_load(&cfg, argc, argv, extra, &rest, &nrest, &e) < 0) {
        config_fini(&cfg);
        free(rest);
        cmd_usage_error("%s", e.msg);
        return 3;
    }
    for (int i = 0; i < nrest; i++) {
        if (strcmp(rest[i], "--help") == 0 || strcmp(rest[i], "-h") == 0) {
            check_usage(stdout);
            rc = 0;
            goto out;
        }
        if (strcmp(rest[i], "--format") == 0) {
            format = rest[++i];
        } else if (strcmp(rest[i], "-o") == 0 || strcmp(rest[i], "--output") == 0) {
            out = rest[++i];
        } else if (strcmp(rest[i], "--at") == 0) {
            at = rest[++i];
        } else {
            cmd_usage_error("check: unexpected argument '%s'", rest[i]);
            goto out;
        }
    }
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0) {
        cmd_usage_error("check: unknown format '%s' (text or json)", format);
        goto out;
    }
    struct advisor_thresholds t;
    if (advisor_thresholds_from_config(&t, &cfg, &e) < 0) {
        fprintf(stderr, "scaletop: %s\n", e.msg);
        goto out;
    }

    struct snapshot *snap;
    if (at) {
        snap = recorded_snapshot(&cfg, &t, at);
        if (!snap) {
            goto out;
        }
    } else {
        struct collect *c = collect_new(&cfg, sources_list, sources_count());
        snap = collect_once(c, cfg.window_s);
        collect_free(c);
    }
    int status = exit_status(snap);
    char *text = strcmp(format, "json") == 0 ? render_json(snap, status)
                                             : render_text(snap, status, cfg.utc);
    if (outfile_emit(out, text, "check report", &e) < 0) {
        fprintf(stderr, "scaletop: %s\n", e.msg);
        status = 3;
    }
    free(text);
    snapshot_unref(snap);
    rc = status;
out:
    free(rest);
    config_fini(&cfg);
    return rc;
}
