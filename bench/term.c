/*
 * Terminal benchmark (DESIGN.md §9: first complete frame <= 50 ms from
 * exec; <= 600 B per refresh at 80x24, <= 2 KB at 200x60, 0 when nothing
 * changed; self CPU <= 1 % of a core; resident memory). Runs a command on a
 * pseudo-terminal of a given size (TERM=xterm-256color, a UTF-8 locale),
 * the way reference/performance.md §4.3 measured htop, btop and atop, and
 * optionally a peer (htop) the same way, printing the ratio.
 *
 * - First frame: from just before exec to the last byte of the first burst
 *   of output (a burst ends after FRAME_GAP_MS of silence); median of
 *   TERM_FIRST_RUNS runs (default 5).
 * - Steady state: over TERM_SECONDS (default 15) the output is cut into
 *   refreshes at REFRESH_GAP_MS of silence; the first refresh (the first
 *   frame) is left out; bytes per refresh is the mean over the rest (with
 *   the median and the largest), and bytes per second over the span. The
 *   child's CPU (utime+stime from /proc/PID/stat) and peak resident set
 *   (VmHWM) are read just before it is stopped.
 *
 * Environment (bench/run.sh sets it; without TERM_CMD it prints nothing):
 *   TERM_CMD      command for /bin/sh -c (exec'd), TERM_LABEL what it is
 *   TERM_PEER     the peer's command (optional), TERM_PEER_LABEL its name
 *   TERM_SIZE     "80x24" (default) or any WxH
 *   TERM_MODE     "first", "steady" or "both" (default)
 *   TERM_WHAT     words for the steady line ("steady state", "nothing changed")
 *   TERM_GOAL_B   goal for bytes per refresh (omitted when unset)
 *   TERM_CPU_GOAL goal for CPU % (prints a self-CPU line when set)
 *   TERM_MEM_GOAL goal for resident MB (prints a memory line when set)
 */
#include "tests/lib/test.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FRAME_GAP_MS   150
#define REFRESH_GAP_MS 300
#define MAX_READS      200000

struct reads {
    double t[MAX_READS]; /* seconds since exec */
    size_t n[MAX_READS];
    size_t count;
};

struct run {
    double first_ms;    /* end of the first burst, NAN if none */
    double bytes_total; /* after the first refresh */
    double per_refresh; /* mean, after the first refresh */
    double median, max; /* per refresh */
    double refreshes;   /* counted after the first */
    double bytes_per_s; /* after the first refresh */
    double cpu_pct, hwm_mb;
    double first_bytes; /* size of the first frame */
    bool exited_early;  /* the child exited before the span ended */
    int status;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double proc_cpu_s(pid_t pid)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        return NAN;
    }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (!p) {
        return NAN;
    }
    unsigned long ut = 0, st = 0;
    /* fields after ")": state(3) ... utime(14) stime(15) */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) {
        return NAN;
    }
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double proc_hwm_mb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    double v = NAN;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            v = strtod(line + 6, NULL) / 1024.0;
        }
    }
    if (f) {
        fclose(f);
    }
    return v;
}

/* Runs cmd on a w x h pty for `seconds` (stopping early after the first
 * frame when first_only); fills r. Returns -1 if it could not start. */
static int run_pty(const char *cmd, int w, int h, double seconds, bool first_only, struct reads *rd,
                   struct run *r)
{
    memset(r, 0, sizeof *r);
    r->first_ms = NAN;
    rd->count = 0;
    struct winsize ws = {(unsigned short)h, (unsigned short)w, 0, 0};
    int master;
    double t0 = now_s();
    pid_t pid = forkpty(&master, NULL, NULL, &ws);
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        setenv("TERM", "xterm-256color", 1);
        setenv("LC_ALL", "C.UTF-8", 1);
        unsetenv("TMUX");
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    fcntl(master, F_SETFL, O_NONBLOCK);
    double cpu0 = NAN, tcpu0 = 0;
    bool done = false;
    char buf[65536];
    while (!done) {
        double t = now_s() - t0;
        if (t >= seconds) {
            break;
        }
        if (first_only && rd->count > 0 && t - rd->t[rd->count - 1] > FRAME_GAP_MS / 1000.0) {
            break;
        }
        struct pollfd p = {master, POLLIN, 0};
        int rc = poll(&p, 1, 20);
        if (rc > 0) {
            ssize_t n = read(master, buf, sizeof buf);
            if (n > 0) {
                if (rd->count < MAX_READS) {
                    rd->t[rd->count] = now_s() - t0;
                    rd->n[rd->count] = (size_t)n;
                    rd->count++;
                }
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                done = true; /* EIO: the child closed the terminal */
            }
        }
        /* CPU counted from the end of the first frame on */
        if (isnan(cpu0) && rd->count > 0 && t - rd->t[rd->count - 1] > FRAME_GAP_MS / 1000.0) {
            cpu0 = proc_cpu_s(pid);
            tcpu0 = now_s() - t0;
        }
    }
    int status = 0;
    pid_t w0 = waitpid(pid, &status, WNOHANG);
    r->exited_early = w0 == pid;
    double span = now_s() - t0 - tcpu0;
    if (!r->exited_early) {
        double cpu1 = proc_cpu_s(pid);
        r->cpu_pct = !isnan(cpu0) && span > 0 ? (cpu1 - cpu0) / span * 100 : NAN;
        r->hwm_mb = proc_hwm_mb(pid);
        kill(pid, SIGTERM);
        for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; i++) {
            /* drain so that a child blocked on a full pty can exit */
            while (read(master, buf, sizeof buf) > 0) {
            }
            struct timespec ts = {0, 10 * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (waitpid(pid, &status, WNOHANG) == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
        }
    } else {
        r->cpu_pct = NAN;
        r->hwm_mb = NAN;
    }
    r->status = status;
    close(master);

    /* cut into bursts */
    static double sizes[MAX_READS];
    size_t nb = 0;
    double cur = 0, first_end = NAN, first_bytes = 0, last_t = -1, start_steady = NAN;
    double gap = first_only ? FRAME_GAP_MS / 1000.0 : REFRESH_GAP_MS / 1000.0;
    for (size_t i = 0; i < rd->count; i++) {
        if (last_t >= 0 && rd->t[i] - last_t > gap) {
            if (isnan(first_end)) {
                first_end = last_t;
                first_bytes = cur;
            } else {
                sizes[nb++] = cur;
            }
            if (isnan(start_steady)) {
                start_steady = last_t;
            }
            cur = 0;
        }
        cur += (double)rd->n[i];
        last_t = rd->t[i];
    }
    if (rd->count) {
        if (isnan(first_end)) {
            first_end = last_t;
            first_bytes = cur;
        } else if (!first_only) {
            sizes[nb++] = cur;
        }
    }
    r->first_ms = first_end * 1000;
    r->first_bytes = first_bytes;
    double total = 0;
    for (size_t i = 0; i < nb; i++) {
        total += sizes[i];
    }
    r->refreshes = (double)nb;
    r->bytes_total = total;
    r->per_refresh = nb ? total / (double)nb : 0;
    if (nb) {
        qsort(sizes, nb, sizeof sizes[0], cmp_double);
        r->median = sizes[nb / 2];
        r->max = sizes[nb - 1];
    }
    double steady_span = seconds - (isnan(start_steady) ? seconds : start_steady);
    r->bytes_per_s = steady_span > 0 ? total / steady_span : NAN;
    return 0;
}

/* Median first-frame time and size over runs. */
static double first_frame(const char *cmd, int w, int h, int runs, struct reads *rd, double *bytes,
                          bool *ok)
{
    double t[16], b[16];
    int n = 0;
    *ok = true;
    for (int i = 0; i < runs && i < 16; i++) {
        struct run r;
        if (run_pty(cmd, w, h, 5, true, rd, &r) < 0 || isnan(r.first_ms)) {
            *ok = false;
            continue;
        }
        t[n] = r.first_ms;
        b[n] = r.first_bytes;
        n++;
    }
    if (n == 0) {
        *ok = false;
        return NAN;
    }
    qsort(t, (size_t)n, sizeof t[0], cmp_double);
    qsort(b, (size_t)n, sizeof b[0], cmp_double);
    *bytes = b[n / 2];
    return t[n / 2];
}

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

TEST(term)
{
    const char *cmd = getenv("TERM_CMD");
    if (!cmd || !*cmd) {
        return; /* bench/run.sh says what to run */
    }
    static struct reads rd;
    const char *label = env_or("TERM_LABEL", "scaletop");
    const char *peer = getenv("TERM_PEER");
    const char *peer_label = env_or("TERM_PEER_LABEL", "htop");
    const char *mode = env_or("TERM_MODE", "both");
    const char *what = env_or("TERM_WHAT", "steady state");
    const char *goal_b = getenv("TERM_GOAL_B");
    const char *cpu_goal = getenv("TERM_CPU_GOAL");
    const char *mem_goal = getenv("TERM_MEM_GOAL");
    int w = 80, h = 24;
    sscanf(env_or("TERM_SIZE", "80x24"), "%dx%d", &w, &h);
    double seconds = atof(env_or("TERM_SECONDS", "15"));
    int runs = atoi(env_or("TERM_FIRST_RUNS", "5"));

    if (strcmp(mode, "first") == 0 || strcmp(mode, "both") == 0) {
        bool ok, pok = false;
        double bytes = 0, pbytes = 0, pt = NAN;
        double t = first_frame(cmd, w, h, runs, &rd, &bytes, &ok);
        if (peer && *peer) {
            pt = first_frame(peer, w, h, runs, &rd, &pbytes, &pok);
        }
        if (isnan(t)) {
            printf("bench: first complete frame, %s could not run (no output)\n", label);
        } else {
            printf("bench: first complete frame, %s at %dx%d = %.1f ms (goal <= 50 ms)", label, w,
                   h, t);
            if (pok && !isnan(pt) && pt > 0) {
                printf("   [ratio vs %s = %.2f]", peer_label, t / pt);
            }
            printf("   [exec to the last byte of the first burst, median of %d; %.0f B", runs,
                   bytes);
            if (pok) {
                printf("; %s %.1f ms, %.0f B", peer_label, pt, pbytes);
            }
            printf("]\n");
        }
    }
    if (strcmp(mode, "steady") == 0 || strcmp(mode, "both") == 0) {
        struct run r, pr;
        bool have_peer = false;
        if (run_pty(cmd, w, h, seconds, false, &rd, &r) < 0 || r.exited_early) {
            printf("bench: bytes to the terminal per refresh, %s could not run (exited, status "
                   "%d)\n",
                   label, WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1);
            return;
        }
        if (peer && *peer && run_pty(peer, w, h, seconds, false, &rd, &pr) == 0 &&
            !pr.exited_early) {
            have_peer = true;
        }
        printf("bench: bytes to the terminal per refresh, %s, %s at %dx%d = %.0f B", label, what, w,
               h, r.per_refresh);
        if (goal_b && *goal_b) {
            printf(" (goal <= %s B)", goal_b);
        }
        if (have_peer && pr.per_refresh > 0) {
            printf("   [ratio vs %s = %.2f]", peer_label, r.per_refresh / pr.per_refresh);
        }
        printf("   [mean of %.0f refreshes over %.0f s, median %.0f B, max %.0f B, %.0f B/s; "
               "first frame %.0f B",
               r.refreshes, seconds, r.median, r.max, r.bytes_per_s, r.first_bytes);
        if (have_peer) {
            printf("; %s %.0f B/refresh (median %.0f, %.0f refreshes), %.0f B/s", peer_label,
                   pr.per_refresh, pr.median, pr.refreshes, pr.bytes_per_s);
        }
        printf("]\n");
        if (cpu_goal && *cpu_goal) {
            printf("bench: self CPU of the console, %s = %.2f %% of one core (goal <= %s %%)", what,
                   r.cpu_pct, cpu_goal);
            if (have_peer && pr.cpu_pct > 0) {
                printf("   [ratio vs %s = %.2f]", peer_label, r.cpu_pct / pr.cpu_pct);
            }
            printf("   [utime+stime over %.0f s after the first frame, %s at %dx%d", seconds, label,
                   w, h);
            if (have_peer) {
                printf("; %s %.2f %%", peer_label, pr.cpu_pct);
            }
            printf("]\n");
        }
        if (mem_goal && *mem_goal) {
            printf("bench: resident memory of the console, %s = %.1f MB (goal <= %s MB)", what,
                   r.hwm_mb, mem_goal);
            if (have_peer && pr.hwm_mb > 0) {
                printf("   [ratio vs %s = %.2f]", peer_label, r.hwm_mb / pr.hwm_mb);
            }
            printf("   [VmHWM");
            if (have_peer) {
                printf("; %s %.1f MB", peer_label, pr.hwm_mb);
            }
            printf("]\n");
        }
    }
}
