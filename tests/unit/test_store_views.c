/* The store behind the series_source and advisor_history interfaces: what
 * the panes' sparklines and the advisor's trend rules read. */
#include "backend/advisor.h"
#include "backend/store_views.h"
#include "tests/lib/fixsnap.h"
#include "tests/lib/test.h"
#include "tui/doc.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

TEST(store_views_series_and_stats)
{
    char dir[] = "/tmp/scaletop-views.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/h.db", dir);
    struct err e = {{0}};
    struct store *st = store_open(path, STORE_RECORD, NULL, &e);
    CHECK(st != NULL);
    if (!st) {
        return;
    }
    /* Cluster CPU requests grow one core a minute for an hour. */
    double t0 = 1795740000;
    for (int i = 0; i <= 60; i++) {
        struct snapshot *s = snapshot_new(t0 + 60.0 * i);
        s->capacity.cluster.cpu_requested_cores = 100 + i;
        s->capacity.cluster.cpu_allocatable_cores = 400;
        CHECK_INT(store_append(st, s, &e), 0);
        snapshot_unref(s);
    }
    struct series_source src = store_series_source(st);
    double v[30];
    size_t n = src.range(src.ctx, "capacity/cluster/cpu_requested_cores", t0, t0 + 3600, 30, v);
    CHECK_INT(n, 30);
    CHECK(v[0] >= 100 && v[0] <= 103);
    CHECK(v[29] >= 157 && v[29] <= 160);
    CHECK_INT(src.range(src.ctx, "cluster/no_such_series", t0, t0 + 3600, 30, v), 0);

    struct advisor_history h = store_advisor_history(st);
    struct advisor_series_stats stt;
    CHECK_INT(h.stats(h.ctx, "capacity/cluster/cpu_requested_cores", t0, t0 + 3600, &stt), 0);
    CHECK_NEAR(stt.max, 160, 1.01);
    CHECK_NEAR(stt.min, 100, 1.01);
    CHECK(stt.last > stt.first);
    CHECK(stt.n > 30);
    /* The trend is about one core a minute. */
    double slope = (stt.last - stt.first) / (stt.last_t - stt.first_t) * 60;
    CHECK_NEAR(slope, 1.0, 0.1);
    CHECK_INT(h.stats(h.ctx, "cluster/no_such_series", t0, t0 + 3600, &stt), -1);
    store_close(st);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
}

/* Every series a report or a pane asks for is one the store records: the
 * names agree (they once did not, and every sparkline was empty). */
TEST(store_views_every_named_series_is_recorded)
{
    char dir[] = "/tmp/scaletop-views.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/h.db", dir);
    struct err e = {{0}};
    struct store *st = store_open(path, STORE_RECORD, NULL, &e);
    CHECK(st != NULL);
    if (!st) {
        return;
    }
    for (int i = 0; i < 5; i++) {
        struct snapshot *s = fixsnap_incident(0);
        s->time += 60.0 * i;
        CHECK_INT(store_append(st, s, &e), 0);
        snapshot_unref(s);
    }
    struct snapshot *s = fixsnap_incident(0);
    s->time += 240;
    struct doc *d = doc_from_snapshot(s, 1);
    struct series_source src = store_series_source(st);
    size_t checked = 0;
    for (size_t i = 0; i < d->nsections; i++) {
        for (size_t j = 0; j < d->sections[i].ntables; j++) {
            const struct doc_table *t = &d->sections[i].tables[j];
            for (size_t k = 0; k < t->nrows * t->ncols; k++) {
                const char *name = t->cells[k].series;
                double v[10];
                if (!name || strcmp(t->cells[k].text, "-") == 0) {
                    continue; /* no series, or unknown in the snapshot */
                }
                checked++;
                if (src.range(src.ctx, name, s->time - 600, s->time + 1, 10, v) == 0) {
                    test_fail(__FILE__, __LINE__, "series '%s' is not recorded", name);
                }
            }
        }
    }
    CHECK(checked >= 10);
    doc_free(d);
    snapshot_unref(s);
    store_close(st);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
}

/* The relay growth rule reads the deployment's recorded relay total under
 * the name the store gives it: two hours at 400 kB/s, then a jump to 2 MB/s
 * (5x) fires network.relay_growth, 1 MB/s (2.5x) does not. */
TEST(store_views_relay_growth_from_recorded_history)
{
    char dir[] = "/tmp/scaletop-views.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/h.db", dir);
    struct err e = {{0}};
    struct store *st = store_open(path, STORE_RECORD, NULL, &e);
    CHECK(st != NULL);
    if (!st) {
        return;
    }
    double t0 = 1795740000;
    for (int i = 0; i <= 120; i++) {
        struct snapshot *s = snapshot_new(t0 + 60.0 * i);
        s->deployment.derp_bytes_per_s = 400e3;
        CHECK_INT(store_append(st, s, &e), 0);
        snapshot_unref(s);
    }
    struct advisor_history h = store_advisor_history(st);
    struct advisor_thresholds t;
    advisor_thresholds_default(&t);
    struct advisor *a = advisor_new(&t);
    static const struct {
        double now;
        bool fires;
    } cases[] = {{2e6, true}, {1e6, false}};
    for (size_t c = 0; c < 2; c++) {
        struct snapshot *s = snapshot_new(t0 + 60.0 * 121);
        s->deployment.derp_bytes_per_s = cases[c].now;
        advisor_evaluate(a, s, &h);
        bool fired = false;
        for (size_t i = 0; i < s->nfindings; i++) {
            fired = fired || strcmp(s->findings[i].rule, "network.relay_growth") == 0;
        }
        if (fired != cases[c].fires) {
            test_fail(__FILE__, __LINE__, "relay %.0f B/s: fired=%d", cases[c].now, fired);
        }
        snapshot_unref(s);
    }
    advisor_free(a);
    store_close(st);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
}
