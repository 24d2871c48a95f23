/*
 * scaletop-sim: a simulated Coder deployment for scaletop's tests and demo.
 * Parses the options, builds the model, starts every listener on loopback,
 * writes the manifest, then runs the clock until SIGTERM or SIGINT.
 *
 * Invariants: signals are blocked in every thread and taken by sigwait() in
 * main, so shutdown is orderly (listeners stopped, the tick thread joined,
 * exit 0); the manifest appears atomically (written then renamed).
 */
#include "sim.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: scaletop-sim [options]\n"
            "  --preset 1k|2k|3k|10k      scale preset (default 1k)\n"
            "  --seed N                   random seed (default 1)\n"
            "  --scenario steady|incident|undersized (default steady)\n"
            "  --speed N                  simulated clock runs N times real time (default 1)\n"
            "  --start-epoch SECONDS      simulated start time (default: now)\n"
            "  --manifest FILE            write the manifest JSON here\n"
            "  --token TOKEN              owner token (default random)\n"
            "  --member-token TOKEN       member-role token (default random)\n"
            "  --k8s-token TOKEN          Kubernetes bearer token (default random)\n"
            "  --agent-stats on|off       coderd_agentstats_* series (default off)\n"
            "  --db-metrics on|off        coderd_db_query_latencies_seconds (default off)\n"
            "  --metrics-api on|off       metrics.k8s.io node and pod usage (default on;\n"
            "                             off answers 404, as without metrics-server)\n"
            "  --colocate-coderd          one coderd pod on the most crowded workspace node\n"
            "  --packed-nodes             pack the crowded workspace nodes to 97 %% (not 84 %%)\n"
            "  --unlicensed               premium features answer 403\n"
            "  --builtin-provisioners N   built-in daemons per replica (default 0)\n"
            "  --rate-limit N             API requests per minute per endpoint (default 512)\n"
            "  --single-ip                bind every listener on 127.0.0.1 (replicas otherwise\n"
            "                             get 127.0.0.11, .12, … so hosts tell them apart)\n"
            "  --stats-delay SECONDS      /deployment/stats answers 400 \"still processing\"\n"
            "                             for this long (simulated) after start\n"
            "  --health-compute-s SECONDS /debug/health answers 404 \"in progress\" for this\n"
            "                             long into each 10-minute cache window\n"
            "  --port-base N              first port (0 = ephemeral ports, the default)\n"
            "  --derp-expvar-only N       the last N replicas are an older build: no\n"
            "                             coder_derp_server_* metrics, DERP stats only in\n"
            "                             /api/v2/debug/expvar on their relay address\n"
            "  --off-peak-share F         running workspaces left on through the last\n"
            "                             off-peak hours (default 0.3)\n"
            "  --no-autostop-share F      workspaces without TTL or deadline (default 0.25)\n"
            "  --off-peak-hours A-B       UTC off-peak hours, plus weekends (default 19-7)\n"
            "  --off-peak-weekends on|off weekends are off-peak too (default on)\n"
            "  --gpu-cost N               daily cost of a gpu-users member's workspace\n"
            "                             (default 12)\n"
            "  --ws-drift on|off          running count drifts each simulated minute\n"
            "                             (default on)\n");
}

static void random_token(char *out, size_t n, const char *prefix)
{
    static const char al[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char raw[32] = {0};
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd >= 0) {
        if (read(fd, raw, sizeof raw) != (ssize_t)sizeof raw) {
            memset(raw, 7, sizeof raw);
        }
        close(fd);
    }
    char id[11], secret[23];
    for (int i = 0; i < 10; i++) {
        id[i] = al[raw[i] % (sizeof al - 1)];
    }
    id[10] = '\0';
    for (int i = 0; i < 22; i++) {
        secret[i] = al[raw[10 + i] % (sizeof al - 1)];
    }
    secret[22] = '\0';
    snprintf(out, n, "%s%s-%s", prefix, id, secret);
}

static bool on_off(const char *v, bool *out)
{
    if (strcmp(v, "on") == 0 || strcmp(v, "true") == 0) {
        *out = true;
        return true;
    }
    if (strcmp(v, "off") == 0 || strcmp(v, "false") == 0) {
        *out = false;
        return true;
    }
    return false;
}

static int parse(struct sim_opts *o, int argc, char **argv)
{
    snprintf(o->preset, sizeof o->preset, "1k");
    snprintf(o->scenario, sizeof o->scenario, "steady");
    o->seed = 1;
    o->speed = 1;
    o->off_peak_share = 0.3;
    o->no_autostop_share = 0.25;
    o->off_peak_start_h = 19;
    o->off_peak_end_h = 7;
    o->gpu_cost = 12;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    o->start_epoch = (double)ts.tv_sec;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDV                                                                                      \
    do {                                                                                           \
        if (!v) {                                                                                  \
            fprintf(stderr, "scaletop-sim: %s needs a value\n", a);                                \
            return -1;                                                                             \
        }                                                                                          \
        i++;                                                                                       \
    } while (0)
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--preset") == 0) {
            NEEDV;
            if (strcmp(v, "1k") && strcmp(v, "2k") && strcmp(v, "3k") && strcmp(v, "10k")) {
                fprintf(stderr, "scaletop-sim: unknown preset %s\n", v);
                return -1;
            }
            snprintf(o->preset, sizeof o->preset, "%s", v);
        } else if (strcmp(a, "--seed") == 0) {
            NEEDV;
            o->seed = strtoull(v, NULL, 10);
        } else if (strcmp(a, "--scenario") == 0) {
            NEEDV;
            if (strcmp(v, "steady") && strcmp(v, "incident") && strcmp(v, "undersized")) {
                fprintf(stderr, "scaletop-sim: unknown scenario %s\n", v);
                return -1;
            }
            snprintf(o->scenario, sizeof o->scenario, "%s", v);
        } else if (strcmp(a, "--speed") == 0) {
            NEEDV;
            o->speed = strtod(v, NULL);
            if (!(o->speed > 0 && o->speed <= 100000)) {
                fprintf(stderr, "scaletop-sim: --speed must be in (0, 100000]\n");
                return -1;
            }
        } else if (strcmp(a, "--start-epoch") == 0) {
            NEEDV;
            o->start_epoch = strtod(v, NULL);
        } else if (strcmp(a, "--manifest") == 0) {
            NEEDV;
            snprintf(o->manifest, sizeof o->manifest, "%s", v);
        } else if (strcmp(a, "--token") == 0) {
            NEEDV;
            snprintf(o->token, sizeof o->token, "%s", v);
        } else if (strcmp(a, "--member-token") == 0) {
            NEEDV;
            snprintf(o->member_token, sizeof o->member_token, "%s", v);
        } else if (strcmp(a, "--k8s-token") == 0) {
            NEEDV;
            snprintf(o->k8s_token, sizeof o->k8s_token, "%s", v);
        } else if (strcmp(a, "--agent-stats") == 0) {
            NEEDV;
            if (!on_off(v, &o->agent_stats)) {
                return -1;
            }
        } else if (strcmp(a, "--db-metrics") == 0) {
            NEEDV;
            if (!on_off(v, &o->db_metrics)) {
                return -1;
            }
        } else if (strcmp(a, "--metrics-api") == 0) {
            NEEDV;
            bool on = true;
            if (!on_off(v, &on)) {
                return -1;
            }
            o->no_metrics_api = !on;
        } else if (strcmp(a, "--colocate-coderd") == 0) {
            o->colocate_coderd = true;
        } else if (strcmp(a, "--packed-nodes") == 0) {
            o->packed_nodes = true;
        } else if (strcmp(a, "--unlicensed") == 0) {
            o->unlicensed = true;
        } else if (strcmp(a, "--single-ip") == 0) {
            o->single_ip = true;
        } else if (strcmp(a, "--builtin-provisioners") == 0) {
            NEEDV;
            o->builtin_provisioners = atoi(v);
            if (o->builtin_provisioners < 0 || o->builtin_provisioners > 10) {
                fprintf(stderr, "scaletop-sim: --builtin-provisioners must be 0..10\n");
                return -1;
            }
        } else if (strcmp(a, "--rate-limit") == 0) {
            NEEDV;
            o->rate_limit = atoi(v);
        } else if (strcmp(a, "--stats-delay") == 0) {
            NEEDV;
            o->stats_delay_s = strtod(v, NULL);
        } else if (strcmp(a, "--health-compute-s") == 0) {
            NEEDV;
            o->health_compute_s = strtod(v, NULL);
        } else if (strcmp(a, "--derp-expvar-only") == 0) {
            NEEDV;
            o->derp_expvar_only = atoi(v);
            if (o->derp_expvar_only < 0 || o->derp_expvar_only > SIM_MAX_REPLICAS) {
                fprintf(stderr, "scaletop-sim: --derp-expvar-only needs 0..%d\n", SIM_MAX_REPLICAS);
                return -1;
            }
        } else if (strcmp(a, "--off-peak-share") == 0 || strcmp(a, "--no-autostop-share") == 0) {
            NEEDV;
            double f = strtod(v, NULL);
            if (!(f >= 0 && f <= 1)) {
                fprintf(stderr, "scaletop-sim: %s must be in [0, 1]\n", a);
                return -1;
            }
            *(strcmp(a, "--off-peak-share") == 0 ? &o->off_peak_share : &o->no_autostop_share) = f;
        } else if (strcmp(a, "--off-peak-hours") == 0) {
            NEEDV;
            if (sscanf(v, "%d-%d", &o->off_peak_start_h, &o->off_peak_end_h) != 2 ||
                o->off_peak_start_h < 0 || o->off_peak_start_h > 23 || o->off_peak_end_h < 0 ||
                o->off_peak_end_h > 23) {
                fprintf(stderr, "scaletop-sim: --off-peak-hours takes A-B, hours 0..23\n");
                return -1;
            }
        } else if (strcmp(a, "--off-peak-weekends") == 0) {
            NEEDV;
            bool on;
            if (!on_off(v, &on)) {
                return -1;
            }
            o->off_peak_weekdays_only = !on;
        } else if (strcmp(a, "--gpu-cost") == 0) {
            NEEDV;
            o->gpu_cost = atoi(v);
        } else if (strcmp(a, "--ws-drift") == 0) {
            NEEDV;
            bool on;
            if (!on_off(v, &on)) {
                return -1;
            }
            o->no_ws_drift = !on;
        } else if (strcmp(a, "--port-base") == 0) {
            NEEDV;
            o->port_base = atoi(v);
        } else {
            fprintf(stderr, "scaletop-sim: unknown option %s\n", a);
            usage(stderr);
            return -1;
        }
#undef NEEDV
    }
    if (!o->token[0]) {
        random_token(o->token, sizeof o->token, "");
    }
    if (!o->member_token[0]) {
        random_token(o->member_token, sizeof o->member_token, "");
    }
    if (!o->k8s_token[0]) {
        random_token(o->k8s_token, sizeof o->k8s_token, "k8s-");
    }
    return 0;
}

static int write_manifest(struct sim *s)
{
    if (!s->o.manifest[0]) {
        return 0;
    }
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", s->o.manifest);
    json_t *m = sim_manifest(s);
    int rc = json_dump_file(m, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(m);
    if (rc != 0 || rename(tmp, s->o.manifest) != 0) {
        fprintf(stderr, "scaletop-sim: cannot write %s: %s\n", s->o.manifest, strerror(errno));
        return -1;
    }
    return 0;
}

static void *tick_main(void *arg)
{
    struct sim *s = arg;
    double last_render = 0;
    while (!__atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE)) {
        double to = sim_clock_now(s);
        pthread_mutex_lock(&s->mu);
        sim_model_advance(s, to);
        pthread_mutex_unlock(&s->mu);
        double now = sim_mono();
        if (now - last_render >= 1.0) {
            sim_metrics_rebuild(s, false);
            last_render = now;
        }
        usleep(200000);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    struct sim *s = calloc(1, sizeof *s);
    if (!s) {
        return 1;
    }
    if (parse(&s->o, argc, argv) != 0) {
        free(s);
        return 2;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    pthread_mutex_init(&s->mu, NULL);
    s->reqlog = calloc(SIM_MAX_REQLOG, sizeof *s->reqlog);
    if (!s->reqlog) {
        return 1;
    }
    sim_model_init(s);
    if (sim_http_start(s) != 0) {
        sim_http_stop(s);
        return 1;
    }
    s->real_start = sim_mono();
    sim_metrics_rebuild(s, true);
    pthread_t tick;
    if (pthread_create(&tick, NULL, tick_main, s) != 0) {
        sim_http_stop(s);
        return 1;
    }
    int rc = write_manifest(s) == 0 ? 0 : 1;
    if (rc == 0) {
        fprintf(stderr, "scaletop-sim: %s %s on http://127.0.0.1:%d (pid %d)\n", s->o.preset,
                s->o.scenario, s->lis[0].port, (int)getpid());
        int sig = 0;
        sigwait(&set, &sig);
    }
    __atomic_store_n(&s->stopping, 1, __ATOMIC_RELEASE);
    pthread_join(tick, NULL);
    sim_http_stop(s);
    for (int i = 0; i < s->n_replicas; i++) {
        sim_blob_unref(s->rep[i].head);
    }
    for (int i = 0; i < s->n_deploy; i++) {
        sim_blob_unref(s->dep[i].body);
    }
    sim_blob_unref(s->ws_body);
    free(s->daemons);
    free(s->jobs);
    free(s->pl_node);
    free(s->reqlog);
    pthread_mutex_destroy(&s->mu);
    free(s);
    return rc;
}
