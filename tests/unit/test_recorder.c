/*
 * The recorder loop with a synthetic source: records every snapshot, stops
 * cleanly on end of input and on SIGTERM (status 0, the frames are in the
 * file), refuses a second recorder with a clear message, logs with times.
 */
#include "backend/recorder.h"
#include "tests/lib/snapgen.h"
#include "tests/lib/test.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct source {
    unsigned i, n, raise_at;
};

static struct snapshot *next_snapshot(void *ctx)
{
    static const struct snapgen_shape shape = {2, 4, 2, 1, 1, 1, 2};
    struct source *src = ctx;
    if (src->i >= src->n) {
        return NULL;
    }
    if (src->raise_at && src->i == src->raise_at) {
        raise(SIGTERM);
    }
    unsigned i = src->i++;
    return snapgen_make(&shape, 1767225600.0 + 10.0 * i, i, 5);
}

static char *tmp_db(char *dir, size_t n)
{
    char tmpl[] = "/tmp/scaletop-rec.XXXXXX";
    char *d = mkdtemp(tmpl);
    snprintf(dir, n, "%s", d ? d : "/tmp");
    char *p = malloc(strlen(dir) + 8);
    sprintf(p, "%s/h.db", dir);
    return p;
}

static void cleanup(const char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot remove %s\n", dir);
    }
}

static long frames_in(const char *path)
{
    struct err e;
    struct store *st = store_open(path, STORE_VIEW, NULL, &e);
    if (!st) {
        return -1;
    }
    double *t = NULL;
    size_t n = 0;
    long r = store_frame_times(st, 0, 4e9, &t, &n, &e) == 0 ? (long)n : -1;
    free(t);
    store_close(st);
    return r;
}

TEST(recorder_records_until_end_of_input)
{
    char dir[64];
    char *path = tmp_db(dir, sizeof dir);
    char *logbuf = NULL;
    size_t loglen = 0;
    FILE *log = open_memstream(&logbuf, &loglen);
    struct recorder_options o;
    recorder_options_defaults(&o);
    o.db_path = path;
    o.interval_s = 0;
    o.progress_every = 20;
    o.log = log;
    struct source src = {0, 50, 0};
    struct err e = {""};
    CHECK(recorder_run(&o, next_snapshot, &src, &e) == 0);
    fclose(log);
    CHECK_INT(frames_in(path), 50);
    CHECK(strstr(logbuf, "scaletop record: recording into") != NULL);
    CHECK(strstr(logbuf, "40 frames recorded") != NULL);
    CHECK(strstr(logbuf, "stopped (end of input): 50 frames recorded, 0 failed") != NULL);
    CHECK(logbuf[4] == '-' && strstr(logbuf, "Z scaletop record") != NULL);
    free(logbuf);
    free(path);
    cleanup(dir);
}

TEST(recorder_stops_on_sigterm)
{
    char dir[64];
    char *path = tmp_db(dir, sizeof dir);
    char *logbuf = NULL;
    size_t loglen = 0;
    FILE *log = open_memstream(&logbuf, &loglen);
    struct recorder_options o;
    recorder_options_defaults(&o);
    o.db_path = path;
    o.interval_s = 0.001;
    o.log = log;
    struct source src = {0, 1000, 10};
    struct err e = {""};
    CHECK(recorder_run(&o, next_snapshot, &src, &e) == 0);
    fclose(log);
    long n = frames_in(path);
    CHECK(n == 10 || n == 11);
    CHECK(strstr(logbuf, "stopped (SIGTERM)") != NULL);
    /* the signal was consumed, not left pending */
    sigset_t pending;
    sigpending(&pending);
    CHECK(!sigismember(&pending, SIGTERM));
    free(logbuf);
    free(path);
    cleanup(dir);
}

TEST(recorder_refuses_second_recorder)
{
    char dir[64];
    char *path = tmp_db(dir, sizeof dir);
    struct err e = {""};
    struct store *first = store_open(path, STORE_RECORD, NULL, &e);
    CHECK(first != NULL);
    struct recorder_options o;
    recorder_options_defaults(&o);
    o.db_path = path;
    o.log = NULL;
    struct source src = {0, 5, 0};
    CHECK(recorder_run(&o, next_snapshot, &src, &e) < 0);
    CHECK(strstr(e.msg, "already being recorded by another scaletop") != NULL);
    CHECK_INT(src.i, 0);
    store_close(first);
    free(path);
    cleanup(dir);
}
