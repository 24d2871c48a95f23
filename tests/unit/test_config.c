/* Configuration: precedence flag > environment > file > conventions, each
 * from a scratch HOME; config errors name FILE:LINE; unknown flags are named;
 * the token never appears in config_describe(). */
#include "backend/config.h"
#include "tests/lib/test.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char home[256];

static void write_file(const char *rel, const char *text)
{
    char path[512], dir[512];
    snprintf(path, sizeof path, "%s/%s", home, rel);
    /* mkdir -p the parents */
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + strlen(home) + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0700);
            *p = '/';
        }
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        test_fail(__FILE__, __LINE__, "cannot write %s", path);
        return;
    }
    fputs(text, f);
    fclose(f);
}

static const char *at_home(const char *rel)
{
    static char path[4][512];
    static int i;
    i = (i + 1) % 4;
    snprintf(path[i], sizeof path[i], "%s/%s", home, rel);
    return path[i];
}

/* A fresh HOME and an environment without anything that configures us. */
static void fresh(void)
{
    static const char *const vars[] = {"CODER_URL",        "CODER_SESSION_TOKEN",
                                       "CODER_CONFIG_DIR", "PGHOST",
                                       "PGHOSTADDR",       "PGSERVICE",
                                       "PGDATABASE",       "KUBECONFIG",
                                       "SCALETOP_DB",      "SCALETOP_CONFIG",
                                       "XDG_CONFIG_HOME",  "XDG_STATE_HOME",
                                       "NO_COLOR",         "KUBERNETES_SERVICE_HOST"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        unsetenv(vars[i]);
    }
    if (home[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
        if (system(cmd) != 0) {
            test_fail(__FILE__, __LINE__, "cleanup failed");
        }
    }
    snprintf(home, sizeof home, "%s/scaletop-config-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(home)) {
        test_fail(__FILE__, __LINE__, "mkdtemp");
    }
    setenv("HOME", home, 1);
}

struct loaded {
    struct config cfg;
    int rc;
    struct err e;
    char **rest;
    int nrest;
    char *argv[32];
    int argc;
};

/* Loads with the given flags (NULL-terminated); strings are copied so that
 * config_load may split "--x=y" in place. */
static void load(struct loaded *l, const char *const *extra, ...)
{
    va_list ap;
    memset(l, 0, sizeof *l);
    l->argv[l->argc++] = strdup("cmd");
    va_start(ap, extra);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && l->argc < 31;) {
        l->argv[l->argc++] = strdup(a);
    }
    va_end(ap);
    config_defaults(&l->cfg);
    l->rc = config_load(&l->cfg, l->argc, l->argv, extra, &l->rest, &l->nrest, &l->e);
}

static void unload(struct loaded *l)
{
    config_fini(&l->cfg);
    if (l->rc == 0) {
        free(l->rest);
    }
    for (int i = 0; i < l->argc; i++) {
        free(l->argv[i]);
    }
}

static char *describe(const struct config *cfg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    config_describe(cfg, f);
    fclose(f);
    return buf;
}

TEST(defaults_with_nothing_configured)
{
    struct loaded l;
    fresh();
    load(&l, NULL, NULL);
    CHECK_INT(l.rc, 0);
    CHECK(l.cfg.coder_url == NULL);
    CHECK(l.cfg.token == NULL);
    CHECK(l.cfg.pg_conninfo == NULL);
    CHECK(l.cfg.kubeconfig == NULL && !l.cfg.k8s_in_cluster);
    CHECK_STR(l.cfg.db_path, at_home(".local/state/scaletop/history.db"));
    CHECK_NEAR(l.cfg.window_s, 3, 0);
    CHECK_NEAR(l.cfg.raw_retention_s, 48 * 3600, 0);
    CHECK_NEAR(l.cfg.db_max_bytes, 1073741824.0, 0);
    CHECK(l.cfg.config_path == NULL);
    unload(&l);
    setenv("XDG_STATE_HOME", at_home("state"), 1);
    load(&l, NULL, NULL);
    CHECK_STR(l.cfg.db_path, at_home("state/scaletop/history.db"));
    unload(&l);
}

TEST(coder_cli_login_is_the_fallback)
{
    struct loaded l;
    fresh();
    write_file(".config/coderv2/url", "https://coder.example.com\n");
    write_file(".config/coderv2/session", "cli-session-token\n");
    load(&l, NULL, NULL);
    CHECK_INT(l.rc, 0);
    CHECK_STR(l.cfg.coder_url, "https://coder.example.com");
    CHECK_STR(l.cfg.token, "cli-session-token");
    CHECK_STR(l.cfg.token_origin, at_home(".config/coderv2/session"));
    unload(&l);
    /* CODER_CONFIG_DIR moves the coder CLI's directory, as it does for `coder`. */
    write_file("other/url", "https://other.example.com");
    setenv("CODER_CONFIG_DIR", at_home("other"), 1);
    load(&l, NULL, NULL);
    CHECK_STR(l.cfg.coder_url, "https://other.example.com");
    CHECK(l.cfg.token == NULL);
    unload(&l);
}

TEST(precedence_flag_env_file_convention)
{
    struct loaded l;
    fresh();
    write_file(".config/coderv2/url", "https://convention.example");
    write_file(".config/coderv2/session", "convention-token");
    write_file("file-token", "file-token");
    write_file("flag-token", "flag-token");
    write_file(".config/scaletop/config", "[coder]\nurl = https://file.example/\n"
                                          "token_file = ~/file-token\n");
    load(&l, NULL, NULL);
    CHECK_INT(l.rc, 0);
    CHECK_STR(l.cfg.coder_url, "https://file.example");
    CHECK_STR(l.cfg.token, "file-token");
    CHECK_STR(l.cfg.config_path, at_home(".config/scaletop/config"));
    unload(&l);

    setenv("CODER_URL", "https://env.example", 1);
    setenv("CODER_SESSION_TOKEN", "env-token", 1);
    load(&l, NULL, NULL);
    CHECK_STR(l.cfg.coder_url, "https://env.example");
    CHECK_STR(l.cfg.token, "env-token");
    CHECK_STR(l.cfg.token_origin, "CODER_SESSION_TOKEN");
    unload(&l);

    load(&l, NULL, "--coder-url", "https://flag.example", "--token-file", at_home("flag-token"),
         NULL);
    CHECK_INT(l.rc, 0);
    CHECK_STR(l.cfg.coder_url, "https://flag.example");
    CHECK_STR(l.cfg.token, "flag-token");
    unload(&l);

    load(&l, NULL, "--coder-url=https://eq.example", NULL);
    CHECK_STR(l.cfg.coder_url, "https://eq.example");
    unload(&l);
}

TEST(xdg_config_home_and_scaletop_config)
{
    struct loaded l;
    fresh();
    write_file("xdg/scaletop/config", "[poll]\ninterval = 30s\n");
    write_file("elsewhere.ini", "[poll]\ninterval = 2m\n");
    setenv("XDG_CONFIG_HOME", at_home("xdg"), 1);
    load(&l, NULL, NULL);
    CHECK_NEAR(l.cfg.interval_s, 30, 0);
    unload(&l);
    setenv("SCALETOP_CONFIG", at_home("elsewhere.ini"), 1);
    load(&l, NULL, NULL);
    CHECK_NEAR(l.cfg.interval_s, 120, 0);
    unload(&l);
    load(&l, NULL, "--config", at_home("xdg/scaletop/config"), "--interval", "7", NULL);
    CHECK_NEAR(l.cfg.interval_s, 7, 0);
    unload(&l);
    /* A file the user named must exist. */
    setenv("SCALETOP_CONFIG", at_home("missing.ini"), 1);
    load(&l, NULL, NULL);
    CHECK_INT(l.rc, -1);
    CHECK(strstr(l.e.msg, "missing.ini") != NULL);
    unload(&l);
}

TEST(postgres_from_flag_file_or_pg_environment)
{
    struct loaded l;
    fresh();
    load(&l, NULL, NULL);
    CHECK(l.cfg.pg_conninfo == NULL);
    unload(&l);
    setenv("PGHOST", "/var/run/postgresql", 1);
    load(&l, NULL, NULL);
    CHECK_STR(l.cfg.pg_conninfo, "");
    CHECK_STR(l.cfg.pg_origin, "PG* environment");
    unload(&l);
    unsetenv("PGHOST");
    setenv("PGSERVICE", "coder", 1);
    write_file(".config/scaletop/config", "[postgres]\nconninfo = host=db password=hunter2\n");
    load(&l, NULL, NULL);
    CHECK_STR(l.cfg.pg_conninfo, "host=db password=hunter2");
    char *d = describe(&l.cfg);
    CHECK(strstr(d, "hunter2") == NULL);
    CHECK(strstr(d, "config:2") != NULL);
    free(d);
    unload(&l);
    load(&l, NULL, "--pg", "postgres://scaletop@db/coder", NULL);
    CHECK_STR(l.cfg.pg_conninfo, "postgres://scaletop@db/coder");
    CHECK_STR(l.cfg.pg_origin, "--pg");
    unload(&l);
}

TEST(kubernetes_flag_env_home)
{
    struct loaded l;
    fresh();
    load(&l, NULL, NULL);
    CHECK(l.cfg.kubeconfig == NULL);
    unload(&l);
    write_file(".kube/config", "apiVersion: v1\n");
    load(&l, NULL, NULL);
    CHECK_STR(l.cfg.kubeconfig, at_home(".kube/config"));
    unload(&l);
    write_file("kc", "apiVersion: v1\n");
    char list[600];
    snprintf(list, sizeof list, "%s:%s", at_home("nope"), at_home("kc"));
    setenv("KUBECONFIG", list, 1);
    load(&l, NULL, NULL);
    CHECK_STR(l.cfg.kubeconfig, at_home("kc"));
    unload(&l);
    load(&l, NULL, "--kubeconfig", "/x/y", "--namespace", "coder", NULL);
    CHECK_STR(l.cfg.kubeconfig, "/x/y");
    CHECK_STR(l.cfg.k8s_namespace, "coder");
    unload(&l);
}

TEST(file_settings_all_sections)
{
    struct loaded l;
    fresh();
    write_file("ca.pem", "x");
    write_file("prom-token", "prom-secret\n");
    write_file(".config/scaletop/config", "# scaletop\n"
                                          "[metrics]\n"
                                          "url = http://10.0.0.1:2112/metrics\n"
                                          "url = http://10.0.0.2:2112/metrics\n"
                                          "provisioner_url = http://10.0.1.1:2112/metrics\n"
                                          "prometheus = https://prom.example\n"
                                          "prometheus_bearer_token_file = ~/prom-token\n"
                                          "[history]\n"
                                          "db = ~/hist.db\n"
                                          "raw_retention = 72h\n"
                                          "minute_retention = 30d\n"
                                          "hour_retention = 1w\n"
                                          "max_size = 512MiB\n"
                                          "[tls]\n"
                                          "ca_file = ~/ca.pem\n"
                                          "insecure_skip_verify = yes\n"
                                          "[poll]\n"
                                          "interval = 15\n"
                                          "timeout = 4s\n"
                                          "window = 5\n"
                                          "[soft_limit aws vCPU]\n"
                                          "resource = cpu\n"
                                          "limit = 512\n"
                                          "[soft_limit gpu mem]\n"
                                          "resource = memory ; inline comment\n"
                                          "limit = \"64Gi\"\n"
                                          "[thresholds]\n"
                                          "postgres_connections_warn = 0.8\n"
                                          "[display]\n"
                                          "utc = true\n");
    load(&l, NULL, NULL);
    CHECK_INT(l.rc, 0);
    if (l.rc != 0) {
        printf("# %s\n", l.e.msg);
    }
    CHECK_INT(l.cfg.nmetrics_urls, 2);
    CHECK_STR(l.cfg.metrics_urls[1], "http://10.0.0.2:2112/metrics");
    CHECK_INT(l.cfg.nprovisioner_metrics_urls, 1);
    CHECK_STR(l.cfg.prometheus_url, "https://prom.example");
    CHECK_STR(l.cfg.prometheus_bearer_token, "prom-secret");
    CHECK_STR(l.cfg.db_path, at_home("hist.db"));
    CHECK_NEAR(l.cfg.raw_retention_s, 72 * 3600, 0);
    CHECK_NEAR(l.cfg.minute_retention_s, 30 * 86400, 0);
    CHECK_NEAR(l.cfg.hour_retention_s, 7 * 86400, 0);
    CHECK_NEAR(l.cfg.db_max_bytes, 512.0 * 1048576, 0);
    CHECK_STR(l.cfg.ca_file, at_home("ca.pem"));
    CHECK(l.cfg.insecure_skip_verify);
    CHECK_NEAR(l.cfg.interval_s, 15, 0);
    CHECK_NEAR(l.cfg.request_timeout_s, 4, 0);
    CHECK_NEAR(l.cfg.window_s, 5, 0);
    CHECK_INT(l.cfg.nsoft_limits, 2);
    CHECK_STR(l.cfg.soft_limits[0].name, "aws vCPU");
    CHECK_STR(l.cfg.soft_limits[0].resource, "cpu");
    CHECK_NEAR(l.cfg.soft_limits[0].limit, 512, 0);
    CHECK_STR(l.cfg.soft_limits[1].resource, "memory");
    CHECK_NEAR(l.cfg.soft_limits[1].limit, 64.0 * 1073741824, 0);
    CHECK(l.cfg.utc);
    const struct config_entry *en =
        config_entry_get(&l.cfg, "thresholds", "postgres_connections_warn");
    CHECK(en != NULL);
    if (en) {
        CHECK_STR(en->value, "0.8");
        CHECK_INT(en->line, 28);
        CHECK_STR(en->file, at_home(".config/scaletop/config"));
    }
    char *d = describe(&l.cfg);
    CHECK(strstr(d, "prom-secret") == NULL);
    CHECK(strstr(d, "VERIFICATION OFF") != NULL);
    free(d);
    unload(&l);

    /* A flag list replaces the file's list; it does not add to it. */
    load(&l, NULL, "--metrics", "http://a:2112/metrics", NULL);
    CHECK_INT(l.cfg.nmetrics_urls, 1);
    CHECK_STR(l.cfg.metrics_urls[0], "http://a:2112/metrics");
    unload(&l);
}

/* Writes a config with an error and returns the message. */
static void check_file_error(const char *text, int line, const char *what)
{
    struct loaded l;
    write_file(".config/scaletop/config", text);
    load(&l, NULL, NULL);
    char want[600];
    snprintf(want, sizeof want, "%s:%d: ", at_home(".config/scaletop/config"), line);
    if (l.rc != -1 || strncmp(l.e.msg, want, strlen(want)) != 0 || !strstr(l.e.msg, what)) {
        test_fail(__FILE__, __LINE__, "rc %d, message '%s', wanted '%s...%s'", l.rc, l.e.msg, want,
                  what);
    }
    unload(&l);
}

TEST(config_errors_name_file_and_line)
{
    fresh();
    check_file_error("[coder]\nurl = https://x\n\n[coder]\nurll = https://y\n", 5, "urll");
    check_file_error("[poll]\ninterval = soon\n", 2, "soon");
    check_file_error("; c\n[nonsense]\nx = 1\n", 3, "[nonsense]");
    check_file_error("[history]\nmax_size = lots\n", 2, "max_size");
    check_file_error("[coder]\nurl = ftp://x\n", 2, "http");
    check_file_error("[coder]\ntoken = abc\n", 2, "token_file");
    check_file_error("top = 1\n", 1, "section");
    check_file_error("[poll]\ninterval = 5\nthis line has no equals sign\n", 3, "syntax");
    check_file_error("[soft_limit quota]\nresource = cpu\n", 2, "limit");
    check_file_error("[tls]\ninsecure_skip_verify = maybe\n", 2, "true or false");
    check_file_error("[coder]\ntoken_file = ~/nonexistent\n", 2, "nonexistent");
    char longline[400];
    memset(longline, 'a', sizeof longline);
    memcpy(longline, "[metrics]\nurl = http://", 23);
    longline[sizeof longline - 2] = '\n';
    longline[sizeof longline - 1] = '\0';
    check_file_error(longline, 2, "too long");
}

TEST(flag_errors_name_the_flag)
{
    struct loaded l;
    fresh();
    load(&l, NULL, "--bogus", NULL);
    CHECK_INT(l.rc, -1);
    CHECK(strstr(l.e.msg, "--bogus") != NULL);
    unload(&l);
    load(&l, NULL, "--frobnicate=3", NULL);
    CHECK(strstr(l.e.msg, "'--frobnicate'") != NULL);
    unload(&l);
    load(&l, NULL, "--pg", NULL);
    CHECK_INT(l.rc, -1);
    CHECK(strstr(l.e.msg, "--pg") != NULL && strstr(l.e.msg, "value") != NULL);
    unload(&l);
    load(&l, NULL, "--window", "-3", NULL);
    CHECK_INT(l.rc, -1);
    CHECK(strstr(l.e.msg, "--window") != NULL);
    unload(&l);
    load(&l, NULL, "--coder-url", "coder.example.com", NULL);
    CHECK(strstr(l.e.msg, "--coder-url") != NULL);
    unload(&l);
    load(&l, NULL, "--utc=yes", NULL);
    CHECK(strstr(l.e.msg, "--utc") != NULL);
    unload(&l);
    load(&l, NULL, "--token-file", at_home("absent"), NULL);
    CHECK_INT(l.rc, -1);
    CHECK(strstr(l.e.msg, "--token-file") != NULL);
    unload(&l);
}

TEST(command_options_and_positionals_left_in_rest)
{
    static const char *const extra[] = {"--at=", "--format=", "-o=", "--redact", NULL};
    struct loaded l;
    fresh();
    load(&l, extra, "NOTE here", "--at=03:12", "--utc", "--format", "json", "-o", "out.json",
         "--redact", "--", "--not-an-option", NULL);
    CHECK_INT(l.rc, 0);
    CHECK(l.cfg.utc);
    CHECK_INT(l.nrest, 9);
    if (l.nrest == 9) {
        CHECK_STR(l.rest[0], "NOTE here");
        CHECK_STR(l.rest[1], "--at");
        CHECK_STR(l.rest[2], "03:12");
        CHECK_STR(l.rest[3], "--format");
        CHECK_STR(l.rest[4], "json");
        CHECK_STR(l.rest[5], "-o");
        CHECK_STR(l.rest[6], "out.json");
        CHECK_STR(l.rest[7], "--redact");
        CHECK_STR(l.rest[8], "--not-an-option");
        CHECK(l.rest[9] == NULL);
    }
    unload(&l);
    /* The same option is unknown to a command that did not list it. */
    load(&l, NULL, "--at", "03:12", NULL);
    CHECK_INT(l.rc, -1);
    CHECK(strstr(l.e.msg, "--at") != NULL);
    unload(&l);
    load(&l, extra, "--redact=1", NULL);
    CHECK_INT(l.rc, -1);
    unload(&l);
    load(&l, extra, "--at", "-15m", NULL);
    CHECK_INT(l.rc, 0);
    CHECK_STR(l.rest[1], "-15m");
    unload(&l);
}

TEST(token_never_in_describe)
{
    struct loaded l;
    fresh();
    write_file("tok", "s3cr3t-session-token-value");
    load(&l, NULL, "--coder-url", "https://user:pa55@coder.example", "--token-file", at_home("tok"),
         "--metrics", "http://admin:pw@m:2112/metrics", NULL);
    CHECK_INT(l.rc, 0);
    CHECK_STR(l.cfg.token, "s3cr3t-session-token-value");
    char *d = describe(&l.cfg);
    CHECK(strstr(d, "s3cr3t") == NULL);
    CHECK(strstr(d, "pa55") == NULL);
    CHECK(strstr(d, "admin:pw") == NULL);
    char want[600];
    snprintf(want, sizeof want, "(set, from %s)", at_home("tok"));
    CHECK(strstr(d, want) != NULL);
    CHECK(strstr(d, "coder.example") != NULL);
    free(d);
    unload(&l);
    setenv("CODER_SESSION_TOKEN", "env-s3cr3t", 1);
    load(&l, NULL, NULL);
    d = describe(&l.cfg);
    CHECK(strstr(d, "env-s3cr3t") == NULL);
    CHECK(strstr(d, "(set, from CODER_SESSION_TOKEN)") != NULL);
    free(d);
    unload(&l);
    fresh();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    CHECK(system(cmd) == 0);
}

/* Mutations of a valid file: either it loads, or the message names the file
 * (and, for content errors, the line). Never a crash. */
TEST(mutated_config_files_load_or_name_the_file)
{
    static const char base[] = "[coder]\nurl = https://c.example\n[metrics]\n"
                               "url = http://m:2112/metrics\n[history]\nmax_size = 1GiB\n"
                               "raw_retention = 48h\n[poll]\ninterval = 10\n"
                               "[soft_limit x]\nresource = cpu\nlimit = 8\n[thresholds]\na = 1\n";
    static const char noise[] = "[]=;#\n \"~xyz0159.-hGiB";
    unsigned seed = 99;
    fresh();
    const char *path = at_home(".config/scaletop/config");
    char prefix[600];
    snprintf(prefix, sizeof prefix, "%s", path);
    for (int i = 0; i < 400; i++) {
        char text[sizeof base + 8];
        memcpy(text, base, sizeof base);
        for (int m = 0; m < 3; m++) {
            text[rand_r(&seed) % (sizeof base - 1)] = noise[rand_r(&seed) % (sizeof noise - 1)];
        }
        write_file(".config/scaletop/config", text);
        struct loaded l;
        load(&l, NULL, NULL);
        if (l.rc != 0 && !strstr(l.e.msg, prefix) && !strstr(l.e.msg, "token_file")) {
            test_fail(__FILE__, __LINE__, "error without the file: '%s'", l.e.msg);
        }
        unload(&l);
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    CHECK(system(cmd) == 0);
}

/* The [prometheus] section and the flags naming its credential files. */
TEST(prometheus_section_and_flags)
{
    struct loaded l;
    fresh();
    write_file("bearer", "tok-123\n");
    write_file("basic", "alice:s3cret\n");
    write_file(".config/scaletop/config", "[prometheus]\n"
                                          "url = https://thanos.example/prometheus\n"
                                          "basic_auth_file = ~/basic\n"
                                          "rate_window = 2m\n");
    load(&l, NULL, NULL);
    CHECK_INT(l.rc, 0);
    CHECK_STR(l.cfg.prometheus_url, "https://thanos.example/prometheus");
    CHECK_STR(l.cfg.prometheus_basic_auth, "alice:s3cret");
    CHECK(l.cfg.prometheus_bearer_token == NULL);
    CHECK_NEAR(l.cfg.prometheus_rate_window_s, 120, 0);
    /* the secret is not shown */
    char *d = describe(&l.cfg);
    CHECK(strstr(d, "s3cret") == NULL);
    free(d);
    unload(&l);

    load(&l, NULL, "--prometheus-bearer-token-file", at_home("bearer"), "--prometheus-rate-window",
         "30s", NULL);
    CHECK_INT(l.rc, 0);
    CHECK_STR(l.cfg.prometheus_bearer_token, "tok-123");
    CHECK_NEAR(l.cfg.prometheus_rate_window_s, 30, 0);
    unload(&l);

    load(&l, NULL, "--prometheus-basic-auth-file", at_home("nope"), NULL);
    CHECK_INT(l.rc, -1);
    CHECK(strstr(l.e.msg, "--prometheus-basic-auth-file") != NULL);
    unload(&l);

    /* default window without a setting */
    fresh();
    load(&l, NULL, NULL);
    CHECK_NEAR(l.cfg.prometheus_rate_window_s, 300, 0);
    unload(&l);
}

/* Proxies' metrics (NAME=URL or a bare URL, flags replacing the file's list)
 * and the opt-in expvar reader; bad values name the flag or FILE:LINE. */
TEST(proxy_metrics_and_derp_expvar)
{
    struct loaded l;
    fresh();
    write_file(".config/scaletop/config", "[metrics]\n"
                                          "proxy_url = sydney=http://10.8.0.7:2112/metrics\n"
                                          "proxy_url = http://tokyo-proxy.internal:2112/metrics\n"
                                          "[coder]\n"
                                          "derp_expvar = true\n");
    load(&l, NULL, NULL);
    CHECK_INT(l.rc, 0);
    CHECK_INT((int)l.cfg.nproxy_metrics_urls, 2);
    if (l.cfg.nproxy_metrics_urls == 2) {
        CHECK_STR(l.cfg.proxy_metrics_urls[0], "sydney=http://10.8.0.7:2112/metrics");
        CHECK_STR(l.cfg.proxy_metrics_urls[1], "http://tokyo-proxy.internal:2112/metrics");
    }
    CHECK(l.cfg.derp_expvar);
    char *d = describe(&l.cfg);
    CHECK(strstr(d, "proxy metrics        sydney http://10.8.0.7:2112/metrics") != NULL);
    CHECK(strstr(d, "derp expvar") != NULL);
    free(d);
    unload(&l);

    load(&l, NULL, "--proxy-metrics", "eu=https://10.9.0.1:2112/metrics", NULL);
    CHECK_INT(l.rc, 0);
    CHECK_INT((int)l.cfg.nproxy_metrics_urls, 1); /* the flags replace the file's list */
    CHECK(l.cfg.derp_expvar);                     /* the file's switch stays on */
    unload(&l);

    fresh();
    load(&l, NULL, "--derp-expvar", NULL);
    CHECK_INT(l.rc, 0);
    CHECK(l.cfg.derp_expvar);
    CHECK_INT((int)l.cfg.nproxy_metrics_urls, 0);
    unload(&l);
    load(&l, NULL, NULL);
    CHECK(!l.cfg.derp_expvar); /* off unless asked for */
    unload(&l);

    load(&l, NULL, "--proxy-metrics", "sydney=ftp://x/metrics", NULL);
    CHECK_INT(l.rc, -1);
    CHECK(strstr(l.e.msg, "--proxy-metrics") != NULL);
    unload(&l);
    write_file(".config/scaletop/config", "[metrics]\nproxy_url = sydney\n");
    load(&l, NULL, NULL);
    CHECK_INT(l.rc, -1);
    CHECK(strstr(l.e.msg, "config:2") != NULL);
    unload(&l);
}

TEST(config_cost_section)
{
    fresh();
    struct loaded l;
    load(&l, NULL, NULL);
    CHECK_INT(l.rc, 0);
    CHECK_NEAR(l.cfg.cost_interval_s, 900, 0);
    CHECK_INT(l.cfg.off_peak_start_h, 19);
    CHECK_INT(l.cfg.off_peak_end_h, 7);
    CHECK(l.cfg.off_peak_weekends);
    unload(&l);
    write_file(".config/scaletop/config",
               "[cost]\ninterval = 5m\noff_peak_hours = 20-6\noff_peak_weekends = no\n");
    load(&l, NULL, NULL);
    CHECK_INT(l.rc, 0);
    CHECK_NEAR(l.cfg.cost_interval_s, 300, 0);
    CHECK_INT(l.cfg.off_peak_start_h, 20);
    CHECK_INT(l.cfg.off_peak_end_h, 6);
    CHECK(!l.cfg.off_peak_weekends);
    char *d = describe(&l.cfg);
    CHECK(strstr(d, "listed every 300s, off-peak 20:00-06:00\n") != NULL);
    free(d);
    unload(&l);
    write_file(".config/scaletop/config", "[cost]\noff_peak_hours = none\n");
    load(&l, NULL, NULL);
    CHECK_INT(l.rc, 0);
    CHECK_INT(l.cfg.off_peak_start_h, l.cfg.off_peak_end_h);
    unload(&l);
    check_file_error("[cost]\noff_peak_hours = 7pm-7am\n", 2, "off_peak_hours");
    check_file_error("[cost]\noff_peak_hours = 19-24\n", 2, "off_peak_hours");
    check_file_error("[cost]\ninterval = 0\n", 2, "cost.interval");
    check_file_error("[cost]\noff_peak_weekends = sometimes\n", 2, "true or false");
    check_file_error("[cost]\nlist_all = yes\n", 2, "unknown key 'list_all' in [cost]");
}
