/*
 * `scaletop demo` (and `make demo`): the console against a simulated
 * deployment, with nothing to set up. Starts scaletop-sim (found next to
 * this binary) with the incident scenario at 30x speed and the 1k preset,
 * a throwaway PostgreSQL with load via tests/pg.sh when the PostgreSQL
 * server binaries exist (otherwise the Postgres pane says how to enable it),
 * a temporary history file, and runs the console against all of it; on exit
 * (q, SIGINT, SIGTERM, SIGHUP) stops the simulator and PostgreSQL and removes
 * the temporary directory. Needs neither root nor network.
 *
 * Invariant: everything started here is stopped by its pid (the simulator)
 * or by pg.sh stop (which ends exactly the processes it started), and the
 * temporary directory is removed, on every way out after it was created.
 * The one file-scope variable is the signal that arrived during setup
 * (before the console's own handlers), as signal handlers need.
 */
#include "tui/commands.h"

#include "backend/config.h"
#include "tui/console.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEMO_MAX_ARGS 200

static volatile sig_atomic_t setup_signal;

static void on_setup_signal(int sig)
{
    setup_signal = sig;
}

struct demo {
    char dir[512];
    char bindir[512];
    pid_t sim;
    bool pg; /* dir/pg holds a running cluster */
    char *argv[DEMO_MAX_ARGS];
    int argc;
    char *owned[DEMO_MAX_ARGS]; /* strings argv points to that we allocated */
    int nowned;
};

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void add_arg(struct demo *d, const char *s)
{
    if (d->argc < DEMO_MAX_ARGS - 1 && d->nowned < DEMO_MAX_ARGS) {
        char *c = strdup(s);
        d->owned[d->nowned++] = c;
        d->argv[d->argc++] = c;
        d->argv[d->argc] = NULL;
    }
}

static char *path_in(const struct demo *d, const char *name)
{
    size_t n = strlen(d->dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", d->dir, name);
    return p;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return -1;
    }
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    close(fd);
    return w == (ssize_t)len ? 0 : -1;
}

/* Runs `sh script cmd dir [arg]` (arg may be NULL) with output to log;
 * returns its exit status. */
static int run_sh(const char *log, const char *script, const char *cmd, const char *dir,
                  const char *arg)
{
    pid_t p = fork();
    if (p < 0) {
        return -1;
    }
    if (p == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
        }
        setpgid(0, 0); /* Ctrl-C on the terminal is the console's, not the helper's */
        execl("/bin/sh", "sh", script, cmd, dir, arg, (char *)NULL);
        _exit(127);
    }
    int st;
    while (waitpid(p, &st, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void stop_all(struct demo *d)
{
    if (d->sim > 0) {
        kill(d->sim, SIGTERM);
        int st;
        for (int i = 0; i < 100 && waitpid(d->sim, &st, WNOHANG) == 0; i++) {
            sleep_ms(50);
        }
        if (waitpid(d->sim, &st, WNOHANG) == 0) {
            kill(d->sim, SIGKILL);
            waitpid(d->sim, &st, 0);
        }
        d->sim = 0;
    }
    if (d->pg) {
        char pgsh[600], pgdir[600], log[600];
        snprintf(pgsh, sizeof pgsh, "%s/../tests/pg.sh", d->bindir);
        snprintf(pgdir, sizeof pgdir, "%s/pg", d->dir);
        snprintf(log, sizeof log, "%s/pg-stop.log", d->dir);
        (void)run_sh(log, pgsh, "stop", pgdir, NULL);
        d->pg = false;
    }
    if (d->dir[0]) {
        nftw(d->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        d->dir[0] = '\0';
    }
    for (int i = 0; i < d->nowned; i++) {
        free(d->owned[i]);
    }
    d->nowned = d->argc = 0;
}

static int start_sim(struct demo *d, const char *manifest)
{
    char sim[600], *log = path_in(d, "sim.log");
    snprintf(sim, sizeof sim, "%s/scaletop-sim", d->bindir);
    if (access(sim, X_OK) != 0) {
        fprintf(stderr, "scaletop: demo: the simulator %s is missing (run `make`)\n", sim);
        free(log);
        return -1;
    }
    d->sim = fork();
    if (d->sim == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
        }
        setpgid(0, 0);
        execl(sim, sim, "--scenario", "incident", "--speed", "30", "--preset", "1k", "--manifest",
              manifest, (char *)NULL);
        _exit(127);
    }
    free(log);
    if (d->sim < 0) {
        d->sim = 0;
        fprintf(stderr, "scaletop: demo: cannot start the simulator: %s\n", strerror(errno));
        return -1;
    }
    struct stat sb;
    for (int i = 0; i < 200 && !setup_signal; i++) {
        int st;
        if (stat(manifest, &sb) == 0 && sb.st_size > 0) {
            sleep_ms(50); /* written at once, but be sure the writer is done */
            return 0;
        }
        if (waitpid(d->sim, &st, WNOHANG) == d->sim) {
            d->sim = 0;
            fprintf(stderr, "scaletop: demo: the simulator exited at start (see its log)\n");
            return -1;
        }
        sleep_ms(50);
    }
    fprintf(stderr, "scaletop: demo: the simulator did not start within 10 s\n");
    return -1;
}

/* Options from the manifest, as tests/lib/sim.sh sim_args builds them. */
static int args_from_manifest(struct demo *d, const char *manifest)
{
    json_error_t je;
    json_t *m = json_load_file(manifest, 0, &je);
    const char *url = json_string_value(json_object_get(m, "coder_url"));
    const char *token = json_string_value(json_object_get(m, "token"));
    json_t *k8s = json_object_get(m, "kubernetes");
    const char *kserver = json_string_value(json_object_get(k8s, "server"));
    const char *ktoken = json_string_value(json_object_get(k8s, "token"));
    if (!url || !token || !kserver || !ktoken) {
        fprintf(stderr, "scaletop: demo: the simulator's manifest is incomplete\n");
        json_decref(m);
        return -1;
    }
    char *tokfile = path_in(d, "token"), *kc = path_in(d, "kubeconfig");
    char kubeconfig[2048];
    snprintf(kubeconfig, sizeof kubeconfig,
             "apiVersion: v1\nkind: Config\n"
             "clusters: [{name: sim, cluster: {server: \"%s\"}}]\n"
             "users: [{name: sim, user: {token: \"%s\"}}]\n"
             "contexts: [{name: sim, context: {cluster: sim, user: sim}}]\n"
             "current-context: sim\n",
             kserver, ktoken);
    int rc = write_file(tokfile, token) < 0 || write_file(kc, kubeconfig) < 0 ? -1 : 0;
    add_arg(d, "--coder-url");
    add_arg(d, url);
    add_arg(d, "--token-file");
    add_arg(d, tokfile);
    add_arg(d, "--kubeconfig");
    add_arg(d, kc);
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(m, "metrics_urls"), i, u)
    {
        add_arg(d, "--metrics");
        add_arg(d, json_string_value(u) ? json_string_value(u) : "");
    }
    json_array_foreach(json_object_get(m, "provisioner_metrics_urls"), i, u)
    {
        add_arg(d, "--provisioner-metrics");
        add_arg(d, json_string_value(u) ? json_string_value(u) : "");
    }
    json_array_foreach(json_object_get(m, "proxies"), i, u)
    {
        /* each proxy's relay load (a real proxy's metrics need this flag) */
        const char *pn = json_string_value(json_object_get(u, "name"));
        const char *pu = json_string_value(json_object_get(u, "metrics_url"));
        char spec[600];
        if (pn && pu && (size_t)snprintf(spec, sizeof spec, "%s=%s", pn, pu) < sizeof spec) {
            add_arg(d, "--proxy-metrics");
            add_arg(d, spec);
        }
    }
    free(tokfile);
    free(kc);
    json_decref(m);
    return rc;
}

/* Starts PostgreSQL with load when tests/pg.sh and the server binaries are
 * there; adds --pg. Silent no-op otherwise (the pane tells how to enable). */
static void start_pg(struct demo *d)
{
    char pgsh[600], pgdir[600], log[600], env[600];
    snprintf(pgsh, sizeof pgsh, "%s/../tests/pg.sh", d->bindir);
    snprintf(pgdir, sizeof pgdir, "%s/pg", d->dir);
    snprintf(log, sizeof log, "%s/pg.log", d->dir);
    snprintf(env, sizeof env, "%s/env", pgdir);
    if (access(pgsh, R_OK) != 0) {
        return;
    }
    fprintf(stderr, "scaletop: demo: starting a throwaway PostgreSQL with load...\n");
    setenv("PG_LIFETIME", "7200", 1); /* its watchdog, should we die without cleaning up */
    d->pg = true;                     /* whatever start left behind, stop cleans */
    if (run_sh(log, pgsh, "start", pgdir, NULL) != 0) {
        fprintf(stderr, "scaletop: demo: no PostgreSQL (see `make deps`); the Postgres pane "
                        "says how to enable it\n");
        return;
    }
    (void)run_sh(log, pgsh, "load", pgdir, "7200");
    FILE *f = fopen(env, "r");
    char line[1024];
    while (f && fgets(line, sizeof line, f)) {
        const char *key = "SCALETOP_PG_CONNINFO='";
        if (strncmp(line, key, strlen(key)) == 0) {
            char *v = line + strlen(key), *q = strrchr(v, '\'');
            if (q) {
                *q = '\0';
                add_arg(d, "--pg");
                add_arg(d, v);
            }
        }
    }
    if (f) {
        fclose(f);
    }
}

static void demo_usage(FILE *f)
{
    fputs("Usage: scaletop demo [--ascii] [--no-color] [--utc]\n"
          "The console against a simulated Coder deployment (incident scenario, 30x speed)\n"
          "and, where PostgreSQL is installed, a throwaway PostgreSQL with load. Everything\n"
          "it starts is stopped and removed when you quit (q).\n",
          f);
}

int cmd_demo(int argc, char **argv)
{
    struct demo d = {.sim = 0, .pg = false, .argc = 0, .nowned = 0};
    d.dir[0] = '\0';
    add_arg(&d, "scaletop");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            demo_usage(stdout);
            stop_all(&d);
            return 0;
        }
        if (strcmp(argv[i], "--ascii") != 0 && strcmp(argv[i], "--no-color") != 0 &&
            strcmp(argv[i], "--utc") != 0) {
            stop_all(&d);
            return cmd_usage_error("demo: unknown option '%s'", argv[i]);
        }
        add_arg(&d, argv[i]);
    }
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        stop_all(&d);
        fprintf(stderr, "scaletop: demo: the console needs a terminal\n");
        return 1;
    }
    char exe[512];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        fprintf(stderr, "scaletop: demo: cannot find my own binary\n");
        stop_all(&d);
        return 1;
    }
    exe[n] = '\0';
    snprintf(d.bindir, sizeof d.bindir, "%s", dirname(exe));
    const char *tmp = getenv("TMPDIR");
    snprintf(d.dir, sizeof d.dir, "%s/scaletop-demo-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(d.dir)) {
        fprintf(stderr, "scaletop: demo: cannot create a temporary directory: %s\n",
                strerror(errno));
        d.dir[0] = '\0';
        stop_all(&d);
        return 1;
    }
    struct sigaction sa, old[3];
    const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_setup_signal;
    for (int i = 0; i < 3; i++) {
        sigaction(sigs[i], &sa, &old[i]);
    }
    int status = 1, sig = 0;
    char *manifest = path_in(&d, "sim.json"), *db = path_in(&d, "history.db"),
         *conf = path_in(&d, "empty.conf");
    fprintf(stderr, "scaletop: demo: starting the simulator (incident scenario, 30x speed)...\n");
    if (write_file(conf, "") == 0 && start_sim(&d, manifest) == 0 &&
        args_from_manifest(&d, manifest) == 0) {
        unsetenv("PGHOST");
        unsetenv("PGSERVICE");
        if (!setup_signal) {
            start_pg(&d);
        }
        add_arg(&d, "--config");
        add_arg(&d, conf);
        add_arg(&d, "--db");
        add_arg(&d, db);
        add_arg(&d, "--interval");
        add_arg(&d, "2");
        struct config cfg;
        struct err e = {{0}};
        char **rest = NULL;
        int nrest = 0;
        config_defaults(&cfg);
        if (setup_signal) {
            sig = setup_signal;
        } else if (config_load(&cfg, d.argc, d.argv, NULL, &rest, &nrest, &e) < 0) {
            fprintf(stderr, "scaletop: demo: %s\n", e.msg);
        } else {
            struct console_opts o = {.replay = false, .start_at = NAN, .window_s = 0};
            status = console_run(&cfg, &o, &sig);
        }
        free(rest);
        config_fini(&cfg);
    }
    sig = sig ? sig : setup_signal;
    free(manifest);
    free(db);
    free(conf);
    stop_all(&d);
    for (int i = 0; i < 3; i++) {
        sigaction(sigs[i], &old[i], NULL);
    }
    console_reraise(sig);
    return status;
}
