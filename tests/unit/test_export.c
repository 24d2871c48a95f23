/* Exports from a recorded history (tests/lib/fixhist.h): golden renders of
 * snapshot --at and export in every format, hostile strings made harmless,
 * --redact leaving no original name, diff listing exactly the changes made
 * between two recorded frames, and no token anywhere. With SCALETOP_FIXHIST
 * set, export_fixture_history writes the history there for the shell suite. */
#include "backend/diff.h"
#include "backend/escape.h"
#include "backend/redact.h"
#include "backend/snapshot_json.h"
#include "backend/store.h"
#include "tests/lib/fixhist.h"
#include "tests/lib/fixsnap.h"
#include "tests/lib/test.h"
#include "tui/doc.h"
#include "tui/report.h"
#include "tui/textrender.h"
#include "tui/writers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A fresh history file in a scratch directory; caller frees and cleans up. */
static char *make_history(int hostile)
{
    char tmpl[] = "/tmp/scaletop-export.XXXXXX";
    char *dir = mkdtemp(tmpl);
    if (!dir) {
        return NULL;
    }
    char *path = malloc(strlen(dir) + 20);
    sprintf(path, "%s/history.db", dir);
    struct err e = {{0}};
    if (fixhist_write(path, hostile, &e) < 0) {
        test_fail(__FILE__, __LINE__, "fixhist_write: %s", e.msg);
    }
    return path;
}

static void remove_history(char *path)
{
    char buf[512];
    snprintf(buf, sizeof buf, "rm -rf '%.*s'", (int)(strrchr(path, '/') - path), path);
    if (system(buf) != 0) {
        test_fail(__FILE__, __LINE__, "cleanup failed");
    }
    free(path);
}

TEST(export_fixture_history)
{
    const char *to = getenv("SCALETOP_FIXHIST");
    if (to) {
        struct err e = {{0}};
        CHECK(fixhist_write(to, getenv("SCALETOP_FIXHIST_HOSTILE") != NULL, &e) == 0);
        return;
    }
    char *path = make_history(0);
    struct err e = {{0}};
    struct store *st = store_open(path, STORE_VIEW, NULL, &e);
    CHECK(st != NULL);
    double *t = NULL;
    size_t n = 0;
    CHECK(store_frame_times(st, 0, 4e9, &t, &n, &e) == 0);
    CHECK_INT(n, FIXHIST_FRAMES);
    CHECK_NEAR(t[0], FIXHIST_FRAME(0), 1e-3);
    CHECK_NEAR(t[n - 1], FIXSNAP_TIME, 1e-3);
    free(t);
    struct store_marker *m = NULL;
    CHECK(store_markers(st, 0, 4e9, &m, &n, &e) == 0);
    CHECK_INT(n, 2);
    store_markers_free(m, n);
    store_close(st);
    remove_history(path);
}
