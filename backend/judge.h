/*
 * Judgements shared by the console's panes and the report writers, so that
 * a cell is coloured the same on screen and in a report, with the same
 * thresholds as the advisor: the freshness of a section from the states of
 * the sources behind it, and the severity of a value against a threshold
 * pair. No terminal, no I/O.
 */
#ifndef SCALETOP_JUDGE_H
#define SCALETOP_JUDGE_H

#include "backend/advisor.h"
#include "backend/snapshot.h"

#include <stdbool.h>
#include <stddef.h>

#define JUDGE_TEXT_MAX 640

/* The freshness of a section (a pane, a report section). */
struct judge_freshness {
    /* The worst status among the section's sources that are not disabled;
     * SOURCE_DISABLED when every one of them is disabled (or there are none). */
    enum source_status status;
    bool no_permission; /* the worst source lacks permission (403/404) */
    bool none;          /* no source of the section is known at all */
    size_t ndisabled;   /* sources of the section that are disabled */
    /* "ok, as of 2s ago", "stale (last good 1m35s ago): ...", "error: ...",
     * "disabled: set X to enable", "no permission: ...", "needs a Premium
     * licence: ...", plus "; NAME disabled: HINT" (or "NAME no permission:
     * ...") for a disabled source beside working ones. */
    char text[JUDGE_TEXT_MAX];
};

/* The source-name/kind prefixes behind a section ("overview", "servers",
 * "provisioners", "postgres", "proxies", "capacity"); NULL-terminated,
 * static. An unknown section gets an empty list. */
const char *const *judge_section_prefixes(const char *section);

/* Judges the freshness of the sources of snapshot s whose kind or name
 * starts with one of prefixes (NULL-terminated); fills out. */
void judge_sources(const struct snapshot *s, const char *const *prefixes,
                   struct judge_freshness *out);

/* True when the section has numbers worth showing: some source is ok,
 * stale or never answered (never: shown as unknown). */
bool judge_has_data(const struct judge_freshness *f);

/* SEV_CRIT when v >= crit, SEV_WARN when v >= warn, else SEV_OK (NAN: SEV_OK). */
enum severity judge_level(double v, double warn, double crit);

/* The advisor's capacity judgement: SEV_CRIT when the fraction left of total
 * is at most headroom_crit, SEV_WARN at most headroom_warn; SEV_OK when
 * unknown. */
enum severity judge_headroom(const struct advisor_thresholds *t, double used, double total);

#endif
