/*
 * backend/judge: what a section's sources mean (the freshness line the
 * panes and the reports both show) and the threshold judgements, which
 * must be the advisor's. Also checks that a report section and the pane
 * for it say the same thing, and that thresholds given to the panes change
 * their colours (nothing is hard-coded).
 */
#include "backend/judge.h"
#include "panels/panel.h"
#include "tests/lib/fixsnap.h"
#include "tests/lib/test.h"
#include "tui/doc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static struct source_state *src(struct snapshot *s, const char *name, const char *kind,
                                enum source_status st, double age, const char *error,
                                const char *hint)
{
    struct source_state *x = snapshot_add_source(s, name, kind);
    x->status = st;
    x->last_ok = isnan(age) ? NAN : s->time - age;
    x->error = snapshot_str(s, error);
    x->hint = snapshot_str(s, hint);
    return x;
}

TEST(judge_worst_source_decides_and_disabled_ones_are_named)
{
    struct snapshot *s = snapshot_new(1000);
    src(s, "coder-api", "coder", SOURCE_OK, 2, NULL, NULL);
    src(s, "coder-replicas", "coder", SOURCE_OK, 7, NULL, NULL);
    src(s, "metrics", "metrics", SOURCE_DISABLED, NAN, NULL, "set --metrics URL to enable");
    src(s, "postgres", "postgres", SOURCE_STALE, 95, "timeout", NULL);
    struct judge_freshness f;
    judge_sources(s, judge_section_prefixes("servers"), &f);
    CHECK_INT(f.status, SOURCE_OK);
    CHECK_INT(f.ndisabled, 1);
    /* The oldest of the ok sources, and the disabled one with its hint. */
    CHECK_STR(f.text, "ok, as of 7s ago; metrics disabled: set --metrics URL to enable");
    CHECK(judge_has_data(&f));
    judge_sources(s, judge_section_prefixes("postgres"), &f);
    CHECK_STR(f.text, "stale (last good 1m35s ago): timeout");
    judge_sources(s, judge_section_prefixes("capacity"), &f);
    CHECK(f.none);
    CHECK_STR(f.text, "no source configured");
    CHECK(!judge_has_data(&f));
    judge_sources(s, judge_section_prefixes("overview"), &f);
    CHECK_INT(f.status, SOURCE_STALE);
    judge_sources(s, judge_section_prefixes("nonsense"), &f);
    CHECK(f.none);
    snapshot_unref(s);
}

TEST(judge_all_disabled_lists_every_hint)
{
    struct snapshot *s = snapshot_new(1000);
    src(s, "coder-api", "coder", SOURCE_DISABLED, NAN, NULL, "set --coder-url URL");
    src(s, "coder-proxies", "coder", SOURCE_DISABLED, NAN, NULL, NULL);
    src(s, "proxy-health", "proxy-health", SOURCE_DISABLED, NAN, NULL, "needs the API");
    struct judge_freshness f;
    judge_sources(s, judge_section_prefixes("proxies"), &f);
    CHECK_INT(f.status, SOURCE_DISABLED);
    CHECK(!judge_has_data(&f));
    CHECK_STR(f.text, "disabled: set --coder-url URL; coder-proxies disabled: not configured; "
                      "proxy-health disabled: needs the API");
    snapshot_unref(s);
}

TEST(judge_error_and_no_permission)
{
    struct snapshot *s = snapshot_new(1000);
    src(s, "kubernetes", "kubernetes", SOURCE_ERROR, NAN, "GET /api/v1/nodes: 403", NULL)->reason =
        REASON_NO_PERMISSION;
    src(s, "postgres", "postgres", SOURCE_ERROR, NAN, "connection refused", NULL);
    src(s, "coder-api", "coder", SOURCE_NEVER, NAN, NULL, NULL);
    struct judge_freshness f;
    judge_sources(s, judge_section_prefixes("capacity"), &f);
    CHECK(f.no_permission);
    CHECK_STR(f.text, "no permission: GET /api/v1/nodes: 403");
    judge_sources(s, judge_section_prefixes("postgres"), &f);
    CHECK_STR(f.text, "error: connection refused");
    judge_sources(s, judge_section_prefixes("provisioners"), &f);
    CHECK_STR(f.text, "waiting for the first answer from coder-api");
    /* A source switched off for want of a licence or a permission says so. */
    src(s, "coder-proxies", "coder", SOURCE_DISABLED, NAN, "404 for this token", NULL)->reason =
        REASON_NO_PERMISSION;
    src(s, "proxy-health", "proxy-health", SOURCE_DISABLED, NAN, NULL, "an Enterprise feature")
        ->reason = REASON_NEEDS_PREMIUM;
    judge_sources(s, judge_section_prefixes("proxies"), &f);
    CHECK_STR(f.text, "waiting for the first answer from coder-api; coder-proxies no permission: "
                      "404 for this token; proxy-health needs a Premium licence: an Enterprise "
                      "feature");
    snapshot_unref(s);
}

TEST(judge_levels_are_the_advisors)
{
    struct advisor_thresholds t;
    advisor_thresholds_default(&t);
    CHECK_INT(judge_level(NAN, 1, 2), SEV_OK);
    CHECK_INT(judge_level(t.db_latency_warn_ms - 0.01, t.db_latency_warn_ms, t.db_latency_crit_ms),
              SEV_OK);
    CHECK_INT(judge_level(t.db_latency_warn_ms, t.db_latency_warn_ms, t.db_latency_crit_ms),
              SEV_WARN);
    CHECK_INT(judge_level(t.db_latency_crit_ms, t.db_latency_warn_ms, t.db_latency_crit_ms),
              SEV_CRIT);
    /* Headroom: warn when at most headroom_warn is left, crit at headroom_crit. */
    CHECK_INT(judge_headroom(&t, 100 * (1 - t.headroom_warn) - 1, 100), SEV_OK);
    CHECK_INT(judge_headroom(&t, 100 * (1 - t.headroom_warn), 100), SEV_WARN);
    CHECK_INT(judge_headroom(&t, 100 * (1 - t.headroom_crit) + 0.5, 100), SEV_CRIT);
    CHECK_INT(judge_headroom(&t, NAN, 100), SEV_OK);
    CHECK_INT(judge_headroom(&t, 5, 0), SEV_OK);
}

/* The status line of the report's section equals the pane's freshness. */
TEST(judge_reports_and_panes_agree)
{
    struct snapshot *snaps[] = {fixsnap_incident(0), fixsnap_steady()};
    static const char *const sections[][2] = {{"Servers", "servers"},
                                              {"Provisioners", "provisioners"},
                                              {"Postgres", "postgres"},
                                              {"Proxies", "proxies"},
                                              {"Capacity", "capacity"}};
    for (int k = 0; k < 2; k++) {
        struct doc *d = doc_from_snapshot(snaps[k], 1);
        for (size_t i = 0; i < sizeof sections / sizeof *sections; i++) {
            const struct doc_section *sec = NULL;
            for (size_t j = 0; j < d->nsections; j++) {
                if (strcmp(d->sections[j].title, sections[i][0]) == 0) {
                    sec = &d->sections[j];
                }
            }
            struct panel_fresh f;
            panel_freshness(snaps[k], sections[i][1], &f);
            CHECK(sec != NULL);
            if (sec) {
                CHECK_STR(sec->status, f.text);
            }
        }
        doc_free(d);
        snapshot_unref(snaps[k]);
    }
}

/* Thresholds handed to the panes decide the colours: with the advisor's
 * defaults coder-2's p95 (840 ms) is a warning; with a warning threshold
 * of 1 s it is not. */
TEST(judge_pane_colours_follow_the_thresholds)
{
    struct snapshot *s = fixsnap_incident(0);
    struct advisor_thresholds t;
    advisor_thresholds_default(&t);
    struct pane_view pv = {.zoomed = true, .selected = -1};
    struct pane_ctx ctx = {.thresholds = &t};
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            t.api_p95_warn_ms = 1000;
        }
        struct canvas *c = canvas_new(200, 10, false);
        pane_servers.draw(c, canvas_bounds(c), s, &pv, &ctx);
        char *text = canvas_dump_text(c), *roles = canvas_dump_roles(c);
        /* Row 5 is coder-2 (frame, freshness, header, coder-0, coder-1). */
        const char *line = text, *rl = roles;
        for (int i = 0; i < 5; i++) {
            line = strchr(line, '\n') + 1;
            rl = strchr(rl, '\n') + 1;
        }
        CHECK(strncmp(strstr(line, "coder-2") ? "coder-2" : "", "coder-2", 7) == 0);
        const char *p95 = strstr(line, "840ms");
        CHECK(p95 != NULL);
        if (p95) {
            /* The text is ASCII up to here after the frame's first character
             * (3 bytes in UTF-8, one cell). */
            size_t col = (size_t)(p95 - line) - 2;
            CHECK_INT(rl[col], pass == 0 ? 'w' : '.');
        }
        free(text);
        free(roles);
        canvas_free(c);
    }
    snapshot_unref(s);
}
