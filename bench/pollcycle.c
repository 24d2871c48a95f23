/*
 * Poll-cycle cost benchmark (DESIGN.md §9: <= 2 % of one core at the 10k
 * preset and the default cadence; resident memory <= 24 MB at 1k, <= 48 MB
 * at 10k). bench/run.sh starts the simulator at a preset and hands this
 * program the scaletop flags that point at it (POLL_ARGS, as tests/lib/sim.sh
 * sim_args prints them). It then does what the headless recorder does: the
 * collector over every linked source (backend/sources.h) polling in the
 * background at the configured cadence (the default unless POLL_ARGS says
 * --interval), each snapshot appended to a history file (POLL_DB) by the
 * collector's sink.
 *
 * Measured after the first real cycle (which lists everything once) over
 * POLL_SECONDS of wall time:
 * - CPU of the whole process (every thread, getrusage) per cycle and as a
 *   share of one core; the store appends' own thread CPU is reported apart;
 * - bytes on the loopback per cycle (/proc/net/dev "lo", both directions,
 *   TCP/IP headers included): exact when run.sh put the simulator and this
 *   program in a private network namespace (POLL_NETNS=1), else an upper
 *   bound that includes whatever else the machine sends over loopback;
 * - the process's peak resident set (VmHWM), i.e. the recorder's.
 * Without POLL_ARGS it prints nothing (it needs a simulator). POLL_LABEL names
 * the preset, POLL_NOTE (optional) qualifies it, POLL_MEM_GOAL is the memory
 * goal in MB (no goal printed when unset).
 */
#include "backend/collect.h"
#include "backend/config.h"
#include "backend/sources.h"
#include "backend/store.h"
#include "tests/lib/test.h"

#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 256

#define MAX_CYCLES 256

struct sink {
    double cpu_at[MAX_CYCLES]; /* process CPU at each snapshot, for per-cycle medians */
    unsigned ncpu;
    struct store *st;
    double append_cpu_s; /* thread CPU spent in store_append */
    unsigned appends, failures;
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double now_s(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Received bytes of the loopback interface, or -1. */
static double lo_bytes(void)
{
    FILE *f = fopen("/proc/net/dev", "r");
    char line[512];
    double v = -1;
    while (f && fgets(line, sizeof line, f)) {
        char *p = line;
        while (*p == ' ') {
            p++;
        }
        if (strncmp(p, "lo:", 3) == 0) {
            v = strtod(p + 3, NULL);
        }
    }
    if (f) {
        fclose(f);
    }
    return v;
}

/* A "VmXXX:" field of /proc/self/status in MB, or NAN. */
static double status_mb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double v = NAN;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, field, n) == 0) {
            v = strtod(line + n, NULL) / 1024.0; /* kB */
        }
    }
    if (f) {
        fclose(f);
    }
    return v;
}

static void on_snapshot(void *ctx, struct snapshot *snap)
{
    struct sink *k = ctx;
    if (k->ncpu < MAX_CYCLES) {
        k->cpu_at[k->ncpu++] = cpu_s();
    }
    if (!k->st) {
        return;
    }
    struct err e = {""};
    double t = now_s(CLOCK_THREAD_CPUTIME_ID);
    if (store_append(k->st, snap, &e) < 0) {
        k->failures++;
    }
    k->append_cpu_s += now_s(CLOCK_THREAD_CPUTIME_ID) - t;
    k->appends++;
}

/* Waits (bounded by deadline, monotonic seconds) until at least n cycles are published. */
static int wait_published(struct collect *c, unsigned long n, double deadline)
{
    while (collect_published(c) < n) {
        double left = deadline - now_s(CLOCK_MONOTONIC);
        if (left <= 0) {
            return -1;
        }
        struct pollfd p = {collect_wake_fd(c), POLLIN, 0};
        poll(&p, 1, (int)(fmin(left, 0.5) * 1000) + 1);
        char buf[64];
        while (read(p.fd, buf, sizeof buf) > 0) {
        }
    }
    return 0;
}

TEST(pollcycle)
{
    const char *args = getenv("POLL_ARGS");
    if (!args || !*args) {
        return; /* needs a simulator: bench/run.sh provides one */
    }
    const char *name = getenv("POLL_LABEL") ? getenv("POLL_LABEL") : "sim";
    const char *note = getenv("POLL_NOTE") ? getenv("POLL_NOTE") : "";
    char label[256];
    snprintf(label, sizeof label, "%s preset%s%s", name, *note ? " " : "", note);
    const char *secs = getenv("POLL_SECONDS");
    double span = secs ? atof(secs) : 30;
    const char *goal_mem = getenv("POLL_MEM_GOAL"); /* MB, or unset */
    bool netns = getenv("POLL_NETNS") && strcmp(getenv("POLL_NETNS"), "1") == 0;

    char *copy = strdup(args);
    char prog[] = "scaletop";
    char *argv[MAX_ARGS] = {prog};
    int argc = 1;
    for (char *tok = strtok(copy, " "); tok && argc < MAX_ARGS - 1; tok = strtok(NULL, " ")) {
        argv[argc++] = tok;
    }
    struct config cfg;
    config_defaults(&cfg);
    struct err e = {""};
    char **rest = NULL;
    int nrest = 0;
    if (config_load(&cfg, argc, argv, NULL, &rest, &nrest, &e) < 0) {
        printf("bench: poll cycle, %s could not run: %s\n", label, e.msg);
        free(copy);
        return;
    }
    free(rest);

    struct sink k = {0};
    const char *db = getenv("POLL_DB");
    if (db && *db) {
        k.st = store_open(db, STORE_RECORD, NULL, &e);
        if (!k.st) {
            printf("bench: poll cycle, %s: no history file (%s)\n", label, e.msg);
        }
    }
    struct collect *c = collect_new(&cfg, sources_list, sources_count());
    collect_set_sink(c, on_snapshot, &k);
    double t_start = now_s(CLOCK_MONOTONIC);
    if (collect_start(c, cfg.interval_s, &e) < 0) {
        printf("bench: poll cycle, %s could not run: %s\n", label, e.msg);
        collect_free(c);
        store_close(k.st);
        config_fini(&cfg);
        free(copy);
        return;
    }
    /* the placeholder, then the first real cycle (first contact lists everything) */
    if (wait_published(c, 2, t_start + 60) < 0) {
        printf("bench: poll cycle, %s could not run: no cycle within 60 s\n", label);
        collect_free(c);
        store_close(k.st);
        config_fini(&cfg);
        free(copy);
        return;
    }
    double first_cycle_s = now_s(CLOCK_MONOTONIC) - t_start;
    unsigned long p0 = collect_published(c);
    unsigned k0 = k.ncpu;
    double c0 = cpu_s(), w0 = now_s(CLOCK_MONOTONIC), b0 = lo_bytes(), a0 = k.append_cpu_s;
    /* whole cycles: wait for the last one that starts within the span */
    unsigned long want = p0 + (unsigned long)fmax(1, floor(span / cfg.interval_s));
    wait_published(c, want, w0 + span + cfg.interval_s + 30);
    unsigned long p1 = collect_published(c);
    double c1 = cpu_s(), w1 = now_s(CLOCK_MONOTONIC), b1 = lo_bytes(), a1 = k.append_cpu_s;
    collect_stop(c);

    /* the median of per-cycle CPU: between successive snapshots in the span */
    double per[MAX_CYCLES];
    unsigned np = 0;
    for (unsigned i = k0; i < k.ncpu && k0 > 0; i++) {
        per[np++] = (k.cpu_at[i] - k.cpu_at[i - 1]) * 1000;
    }
    qsort(per, np, sizeof per[0], cmp_double);
    double median_ms = np ? per[np / 2] : NAN;

    double cycles = (double)(p1 - p0);
    double wall = w1 - w0;
    double cpu = c1 - c0;
    double per_cycle_ms = cycles > 0 ? cpu / cycles * 1000 : NAN;
    double append_ms = cycles > 0 ? (a1 - a0) / cycles * 1000 : NAN;
    /* the share of one core at the cadence: CPU over the wall time it covered */
    double share = wall > 0 ? cpu / wall * 100 : NAN;
    printf("bench: poll cycle CPU, %s = %.2f %% of one core (goal <= 2 %%)   "
           "[%.1f ms CPU per cycle (median %.1f ms) incl. %.1f ms history append; %.0f cycles at "
           "the %.0f s default cadence over %.0f s; first cycle after %.1f s]\n",
           label, share, per_cycle_ms, median_ms, append_ms, cycles, cfg.interval_s, wall,
           first_cycle_s);
    if (b0 >= 0 && b1 >= b0 && cycles > 0) {
        printf("bench: bytes transferred per poll cycle, %s = %.2f MB   [loopback, both "
               "directions with TCP/IP headers%s]\n",
               label, (b1 - b0) / cycles / 1e6,
               netns ? ", private network namespace" : ", shared loopback: an upper bound");
    }
    collect_free(c);
    store_close(k.st);
    double hwm = status_mb("VmHWM:");
    if (goal_mem && *goal_mem) {
        printf("bench: resident memory of the recorder, %s = %.1f MB (goal <= %s MB)   "
               "[VmHWM, collector + history store]\n",
               label, hwm, goal_mem);
    } else {
        printf("bench: resident memory of the recorder, %s = %.1f MB   [VmHWM, "
               "collector + history store]\n",
               label, hwm);
    }
    if (k.failures) {
        printf("bench: note: %u of %u history appends failed\n", k.failures, k.appends);
    }
    config_fini(&cfg);
    free(copy);
}
