/*
 * Section freshness and threshold judgements (see judge.h). Invariant: the
 * panes and tui/doc.c call these and nothing else to decide what a source
 * state means and when a number is a warning, so the two never disagree,
 * and the numbers come from the advisor's thresholds, never from here.
 */
#include "backend/judge.h"

#include "backend/fmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const p_overview[] = {"", NULL};
/* coder-api is behind every Coder section: when it is off or failing, so
 * are the lists that come from the API. */
static const char *const p_servers[] = {"coder-api", "coder-replicas", "metrics", NULL};
static const char *const p_provisioners[] = {"coder-api", "coder-provisioners",
                                             "provisioner-metrics", NULL};
static const char *const p_postgres[] = {"postgres", NULL};
static const char *const p_proxies[] = {"coder-api", "coder-proxies", "proxy-health", NULL};
static const char *const p_capacity[] = {"kubernetes", NULL};
static const char *const p_none[] = {NULL};

const char *const *judge_section_prefixes(const char *section)
{
    static const struct {
        const char *name;
        const char *const *prefixes;
    } map[] = {{"overview", p_overview}, {"servers", p_servers}, {"provisioners", p_provisioners},
               {"postgres", p_postgres}, {"proxies", p_proxies}, {"capacity", p_capacity}};
    for (size_t i = 0; section && i < sizeof map / sizeof *map; i++) {
        if (strcmp(map[i].name, section) == 0) {
            return map[i].prefixes;
        }
    }
    return p_none;
}

static bool matches(const struct source_state *src, const char *const *prefixes)
{
    for (const char *const *p = prefixes; *p; p++) {
        size_t n = strlen(*p);
        if ((src->kind && strncmp(src->kind, *p, n) == 0) ||
            (src->name && strncmp(src->name, *p, n) == 0)) {
            return true;
        }
    }
    return false;
}

static int rank(enum source_status st)
{
    switch (st) {
    case SOURCE_OK:
        return 0;
    case SOURCE_NEVER:
        return 1;
    case SOURCE_STALE:
        return 2;
    case SOURCE_ERROR:
        return 4;
    default:
        return 3;
    }
}

/* What a disabled source lacks: a licence, a permission, or configuration. */
static const char *disabled_word(const struct source_state *src)
{
    switch (src->reason) {
    case REASON_NO_PERMISSION:
        return "no permission";
    case REASON_NEEDS_PREMIUM:
        return "needs a Premium licence";
    default:
        return "disabled";
    }
}

/* Appends "; NAME disabled: HINT" to buf. */
static void append_disabled(char *buf, size_t n, const struct source_state *src)
{
    size_t o = strlen(buf);
    if (o < n) {
        snprintf(buf + o, n - o, "; %s %s: %s", src->name ? src->name : "?", disabled_word(src),
                 src->hint    ? src->hint
                 : src->error ? src->error
                              : "not configured");
    }
}

void judge_sources(const struct snapshot *s, const char *const *prefixes,
                   struct judge_freshness *out)
{
    memset(out, 0, sizeof *out);
    const struct source_state *worst = NULL, *first_disabled = NULL;
    size_t nmatch = 0;
    for (size_t i = 0; s && i < s->nsources; i++) {
        const struct source_state *src = &s->sources[i];
        if (!matches(src, prefixes)) {
            continue;
        }
        nmatch++;
        if (src->status == SOURCE_DISABLED) {
            out->ndisabled++;
            first_disabled = first_disabled ? first_disabled : src;
            continue;
        }
        /* The worst status decides; among equals the oldest data. */
        if (!worst || rank(src->status) > rank(worst->status) ||
            (rank(src->status) == rank(worst->status) && src->last_ok < worst->last_ok)) {
            worst = src;
        }
    }
    char ago[32];
    if (!nmatch) {
        out->none = true;
        out->status = SOURCE_DISABLED;
        snprintf(out->text, sizeof out->text, "no source configured");
        return;
    }
    if (!worst) {
        /* Every source is disabled: say what would enable the first. */
        worst = first_disabled;
        out->status = SOURCE_DISABLED;
        out->no_permission = worst->reason == REASON_NO_PERMISSION;
        snprintf(out->text, sizeof out->text, "%s: %s", disabled_word(worst),
                 worst->hint    ? worst->hint
                 : worst->error ? worst->error
                                : "not configured");
        for (size_t i = 0; s && i < s->nsources; i++) {
            const struct source_state *src = &s->sources[i];
            if (src != worst && src->status == SOURCE_DISABLED && matches(src, prefixes)) {
                append_disabled(out->text, sizeof out->text, src);
            }
        }
        return;
    }
    out->status = worst->status;
    out->no_permission = worst->reason == REASON_NO_PERMISSION;
    switch (worst->status) {
    case SOURCE_OK:
        snprintf(out->text, sizeof out->text, "ok, as of %s ago",
                 fmt_duration(ago, sizeof ago, s->time - worst->last_ok));
        break;
    case SOURCE_NEVER:
        snprintf(out->text, sizeof out->text, "waiting for the first answer from %s",
                 worst->name ? worst->name : "?");
        break;
    case SOURCE_STALE:
        snprintf(out->text, sizeof out->text, "stale (last good %s ago): %s",
                 fmt_duration(ago, sizeof ago, s->time - worst->last_ok),
                 worst->error ? worst->error : "no fresh data");
        break;
    default:
        snprintf(out->text, sizeof out->text, "%s: %s",
                 out->no_permission ? "no permission" : "error",
                 worst->error ? worst->error : "unknown");
    }
    for (size_t i = 0; s && i < s->nsources; i++) {
        const struct source_state *src = &s->sources[i];
        if (src->status == SOURCE_DISABLED && matches(src, prefixes)) {
            append_disabled(out->text, sizeof out->text, src);
        }
    }
}

bool judge_has_data(const struct judge_freshness *f)
{
    return f->status == SOURCE_OK || f->status == SOURCE_STALE || f->status == SOURCE_NEVER;
}

enum severity judge_level(double v, double warn, double crit)
{
    if (isnan(v)) {
        return SEV_OK;
    }
    return v >= crit ? SEV_CRIT : v >= warn ? SEV_WARN : SEV_OK;
}

enum severity judge_headroom(const struct advisor_thresholds *t, double used, double total)
{
    if (isnan(used) || isnan(total) || total <= 0) {
        return SEV_OK;
    }
    double left = 1.0 - used / total;
    return left <= t->headroom_crit ? SEV_CRIT : left <= t->headroom_warn ? SEV_WARN : SEV_OK;
}
