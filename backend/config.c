/*
 * Settings loading (DESIGN.md §6 "Where it finds the deployment").
 * Order of precedence, per setting: flag > environment > config file >
 * conventions of the tools operators already use (the coder CLI's login,
 * libpq's PG* variables, KUBECONFIG and ~/.kube/config, XDG directories).
 * Flags are parsed first into a separate layer (they also name the config
 * file); then the file is read into cfg, the environment overrides it, the
 * flag layer overrides that, and conventions fill what is still unset.
 * Invariants: the token is read only from a file or CODER_SESSION_TOKEN and
 * is never printed; every error names the flag or "FILE:LINE"; the config
 * file is parsed by libinih, with line numbers counted by our own reader.
 */
#include "backend/config.h"

#include "backend/labelsel.h"
#include "backend/timespec.h"
#include "backend/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_FILE_MAX (1024 * 1024)
#define SECRET_FILE_MAX (64 * 1024)

void config_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->raw_retention_s = 48 * 3600.0;
    cfg->minute_retention_s = 90 * 86400.0;
    cfg->hour_retention_s = 400 * 86400.0;
    cfg->db_max_bytes = 1024.0 * 1024 * 1024;
    cfg->interval_s = 10;
    cfg->window_s = 3;
    cfg->connect_timeout_s = 3;
    cfg->request_timeout_s = 10;
    cfg->max_body_bytes = 64 * 1024 * 1024;
    cfg->prometheus_rate_window_s = 300;
    cfg->cost_interval_s = 900;
    cfg->off_peak_start_h = 19;
    cfg->off_peak_end_h = 7;
    cfg->off_peak_weekends = true;
}

static void set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = xstrdup(v);
}

static void free_list(char **list, size_t *n)
{
    for (size_t i = 0; i < *n; i++) {
        free(list[i]);
        list[i] = NULL;
    }
    *n = 0;
}

void config_fini(struct config *cfg)
{
    char **strs[] = {&cfg->coder_url,
                     &cfg->token,
                     &cfg->token_file,
                     &cfg->prometheus_url,
                     &cfg->prometheus_bearer_token,
                     &cfg->prometheus_basic_auth,
                     &cfg->pg_conninfo,
                     &cfg->kubeconfig,
                     &cfg->k8s_namespace,
                     &cfg->workspace_label_selector,
                     &cfg->db_path,
                     &cfg->ca_file,
                     &cfg->config_path,
                     &cfg->token_origin,
                     &cfg->pg_origin,
                     &cfg->coderd_label_selector,
                     &cfg->postgres_label_selector,
                     &cfg->proxy_label_selector,
                     &cfg->provisioner_label_selector};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
        if (*strs[i] && strs[i] == &cfg->token) {
            explicit_bzero(*strs[i], strlen(*strs[i])); /* do not leave the token in freed memory */
        }
        free(*strs[i]);
        *strs[i] = NULL;
    }
    free_list(cfg->metrics_urls, &cfg->nmetrics_urls);
    free_list(cfg->provisioner_metrics_urls, &cfg->nprovisioner_metrics_urls);
    free_list(cfg->proxy_metrics_urls, &cfg->nproxy_metrics_urls);
    for (size_t i = 0; i < cfg->nsoft_limits; i++) {
        free(cfg->soft_limits[i].name);
        free(cfg->soft_limits[i].resource);
    }
    cfg->nsoft_limits = 0;
    for (size_t i = 0; i < cfg->nentries; i++) {
        free(cfg->entries[i].section);
        free(cfg->entries[i].key);
        free(cfg->entries[i].value);
        free(cfg->entries[i].file);
    }
    free(cfg->entries);
    cfg->entries = NULL;
    cfg->nentries = 0;
}

/* ---- value grammars ---------------------------------------------------- */

static int parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

/* "1GiB", "512MiB", "10MB", "1e9", "64Ki": bytes (KiB = 1024, KB = k = 1000). */
static int parse_size(const char *v, double *out)
{
    char *end;
    errno = 0;
    double n = strtod(v, &end);
    if (end == v || errno || !(n >= 0) || isinf(n)) {
        return -1;
    }
    while (*end == ' ') {
        end++;
    }
    static const struct {
        const char *suffix;
        double mult;
    } units[] = {{"", 1},
                 {"B", 1},
                 {"k", 1e3},
                 {"K", 1e3},
                 {"KB", 1e3},
                 {"kB", 1e3},
                 {"M", 1e6},
                 {"MB", 1e6},
                 {"G", 1e9},
                 {"GB", 1e9},
                 {"T", 1e12},
                 {"TB", 1e12},
                 {"Ki", 1024.0},
                 {"KiB", 1024.0},
                 {"Mi", 1048576.0},
                 {"MiB", 1048576.0},
                 {"Gi", 1073741824.0},
                 {"GiB", 1073741824.0},
                 {"Ti", 1099511627776.0},
                 {"TiB", 1099511627776.0}};
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        if (strcmp(end, units[i].suffix) == 0) {
            *out = n * units[i].mult;
            return 0;
        }
    }
    return -1;
}

/* A soft limit: a plain number or a Kubernetes-style quantity ("500m", "64Gi"). */
static int parse_limit(const char *v, double *out)
{
    size_t n = strlen(v);
    if (n > 1 && v[n - 1] == 'm' && isdigit((unsigned char)v[n - 2])) {
        char *end;
        double x = strtod(v, &end);
        if (end == v + n - 1 && x >= 0) {
            *out = x / 1000;
            return 0;
        }
        return -1;
    }
    return parse_size(v, out);
}

static int parse_seconds(const char *v, double *out)
{
    double d;
    if (timespec_parse_duration(v, &d, NULL) < 0) {
        return -1;
    }
    *out = d;
    return 0;
}

static int check_url(const char *v)
{
    return strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0 ? 0 : -1;
}

/* A --proxy-metrics value: "NAME=URL" or a bare URL; the URL must be http(s). */
static int check_proxy_metrics(const char *v)
{
    const char *eq = strchr(v, '=');
    const char *sch = strstr(v, "://");
    return check_url(eq && (!sch || eq < sch) ? eq + 1 : v);
}

static char *dup_url(const char *v)
{
    char *u = xstrdup(v);
    size_t n = strlen(u);
    while (n > 0 && u[n - 1] == '/' && strstr(u, "://") + 3 < u + n - 1) {
        u[--n] = '\0';
    }
    return u;
}

/* "~/x" to "$HOME/x"; anything else unchanged. Caller frees. */
static char *expand_home(const char *v)
{
    const char *home = getenv("HOME");
    if (v[0] == '~' && v[1] == '/' && home && *home) {
        return xasprintf("%s%s", home, v + 1);
    }
    return xstrdup(v);
}

/* Reads a small secret file, trimmed; NULL and e filled on failure. */
static char *read_secret(const char *path, struct err *e)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        err_set(e, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = xmalloc(SECRET_FILE_MAX + 1);
    size_t n = fread(buf, 1, SECRET_FILE_MAX + 1, f);
    int rerr = ferror(f);
    fclose(f);
    if (rerr || n > SECRET_FILE_MAX) {
        err_set(e, "%s: %s", path, rerr ? "read error" : "too large for a token file");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    char *s = buf;
    while (*s && isspace((unsigned char)*s)) {
        s++;
    }
    size_t len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1])) {
        len--;
    }
    if (len == 0) {
        err_set(e, "%s: empty", path);
        free(buf);
        return NULL;
    }
    char *out = xstrndup(s, len);
    explicit_bzero(buf, n);
    free(buf);
    return out;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* $VAR if set to an absolute path, else $HOME/fallback; NULL without HOME. */
static char *xdg_dir(const char *var, const char *fallback)
{
    const char *v = getenv(var);
    if (v && v[0] == '/') {
        return xstrdup(v);
    }
    const char *home = getenv("HOME");
    return home && *home ? xasprintf("%s/%s", home, fallback) : NULL;
}

/* ---- the config file --------------------------------------------------- */

struct file_parse {
    struct config *cfg;
    const char *path;
    const char *text;
    size_t pos, len;
    int line;
    int err_line;
    char err[ERR_MSG_MAX];
    int soft_line[16];
    bool metrics_seen, prov_seen;
};

static const char *const passthrough_sections[] = {"thresholds", "advisor"};

/* The ini_reader: hands libinih one line at a time and counts lines, since
 * Debian's libinih is built without line numbers in the handler. */
static char *file_reader(char *str, int num, void *stream)
{
    struct file_parse *fp = stream;
    if (fp->pos >= fp->len || num < 2) {
        return NULL;
    }
    const char *start = fp->text + fp->pos;
    const char *nl = memchr(start, '\n', fp->len - fp->pos);
    size_t linelen = nl ? (size_t)(nl - start) + 1 : fp->len - fp->pos;
    fp->line++;
    fp->pos += linelen;
    if (linelen > (size_t)num - 2 && !fp->err_line) {
        fp->err_line = fp->line;
        snprintf(fp->err, sizeof fp->err, "line too long (at most %d bytes)", num - 3);
    }
    size_t copy = linelen < (size_t)num - 1 ? linelen : (size_t)num - 2;
    memcpy(str, start, copy);
    if (copy < linelen) {
        str[copy++] = '\n';
    }
    str[copy] = '\0';
    return str;
}

__attribute__((format(printf, 2, 3))) static int file_error(struct file_parse *fp, const char *fmt,
                                                            ...)
{
    if (!fp->err_line) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(fp->err, sizeof fp->err, fmt, ap);
        va_end(ap);
        fp->err_line = fp->line;
    }
    return 0;
}

static void add_entry(struct file_parse *fp, const char *section, const char *key,
                      const char *value)
{
    struct config *cfg = fp->cfg;
    cfg->entries = xrealloc(cfg->entries, (cfg->nentries + 1) * sizeof *cfg->entries);
    struct config_entry *en = &cfg->entries[cfg->nentries++];
    en->section = xstrdup(section);
    en->key = xstrdup(key);
    en->value = xstrdup(value);
    en->file = xstrdup(fp->path);
    en->line = fp->line;
}

static int file_soft_limit(struct file_parse *fp, const char *name, const char *key,
                           const char *value)
{
    struct config *cfg = fp->cfg;
    size_t i;
    for (i = 0; i < cfg->nsoft_limits; i++) {
        if (strcmp(cfg->soft_limits[i].name, name) == 0) {
            break;
        }
    }
    if (i == cfg->nsoft_limits) {
        if (i == sizeof cfg->soft_limits / sizeof *cfg->soft_limits) {
            return file_error(fp, "too many [soft_limit] sections (at most %zu)", i);
        }
        cfg->soft_limits[i].name = xstrdup(name);
        cfg->soft_limits[i].resource = NULL;
        cfg->soft_limits[i].limit = NAN;
        fp->soft_line[i] = fp->line;
        cfg->nsoft_limits++;
    }
    if (strcmp(key, "resource") == 0) {
        set_str(&cfg->soft_limits[i].resource, value);
    } else if (strcmp(key, "limit") == 0) {
        if (parse_limit(value, &cfg->soft_limits[i].limit) < 0) {
            return file_error(fp, "bad limit '%s' (a number, or a quantity like 500m, 64Gi)",
                              value);
        }
    } else {
        return file_error(fp, "unknown key '%s' in [soft_limit %s] (resource, limit)", key, name);
    }
    return 1;
}

static int file_path_value(struct file_parse *fp, char **dst, const char *value)
{
    (void)fp;
    free(*dst);
    *dst = expand_home(value);
    return 1;
}

static int file_duration(struct file_parse *fp, const char *section, const char *key,
                         const char *value, double *dst, bool positive)
{
    double d;
    if (parse_seconds(value, &d) < 0 || (positive && d <= 0)) {
        return file_error(fp, "bad duration '%s' for %s.%s (e.g. 10, 30s, 48h, 90d)", value,
                          section, key);
    }
    *dst = d;
    return 1;
}

static int file_handler(void *user, const char *section, const char *key, const char *rawvalue)
{
    struct file_parse *fp = user;
    struct config *cfg = fp->cfg;
    char value[1024];
    size_t vlen = strlen(rawvalue);
    /* Allow "quoted" values; libinih keeps quotes. */
    if (vlen >= 2 && rawvalue[0] == '"' && rawvalue[vlen - 1] == '"') {
        rawvalue++;
        vlen -= 2;
    }
    if (vlen >= sizeof value) {
        return file_error(fp, "value too long for %s", key);
    }
    memcpy(value, rawvalue, vlen);
    value[vlen] = '\0';

    if (!*section) {
        return file_error(fp, "'%s' outside any [section]", key);
    }
    for (size_t i = 0; i < sizeof passthrough_sections / sizeof *passthrough_sections; i++) {
        if (strcmp(section, passthrough_sections[i]) == 0) {
            add_entry(fp, section, key, value);
            return 1;
        }
    }
    if (strncmp(section, "soft_limit", 10) == 0 && (section[10] == ' ' || section[10] == '\0')) {
        const char *name = section + 10;
        while (*name == ' ') {
            name++;
        }
        if (!*name) {
            return file_error(fp, "[soft_limit] needs a name: [soft_limit NAME]");
        }
        if (!*value) {
            return file_error(fp, "empty value for %s", key);
        }
        return file_soft_limit(fp, name, key, value);
    }
    if (!*value && strcmp(section, "coder") != 0) {
        return file_error(fp, "empty value for %s.%s", section, key);
    }
#define IS(s, k) (strcmp(section, s) == 0 && strcmp(key, k) == 0)
    if (IS("coder", "url")) {
        if (!*value) {
            free(cfg->coder_url);
            cfg->coder_url = NULL;
            return 1;
        }
        if (check_url(value) < 0) {
            return file_error(fp, "coder.url must start with http:// or https://");
        }
        free(cfg->coder_url);
        cfg->coder_url = dup_url(value);
        return 1;
    }
    if (IS("coder", "token_file")) {
        if (!*value) {
            return file_error(fp, "empty value for coder.token_file");
        }
        free(cfg->token_origin);
        cfg->token_origin = xasprintf("%s:%d", fp->path, fp->line);
        return file_path_value(fp, &cfg->token_file, value);
    }
    if (IS("coder", "token")) {
        return file_error(fp, "put the token in a file and name it with token_file "
                              "(the config file is not a place for secrets)");
    }
    if (IS("metrics", "url") || IS("metrics", "provisioner_url")) {
        bool prov = key[0] == 'p';
        char **list = prov ? cfg->provisioner_metrics_urls : cfg->metrics_urls;
        size_t *n = prov ? &cfg->nprovisioner_metrics_urls : &cfg->nmetrics_urls;
        if (check_url(value) < 0) {
            return file_error(fp, "metrics.%s must start with http:// or https://", key);
        }
        if (*n >= CONFIG_MAX_URLS) {
            return file_error(fp, "too many metrics.%s (at most %d)", key, CONFIG_MAX_URLS);
        }
        list[(*n)++] = dup_url(value);
        return 1;
    }
    if (IS("metrics", "proxy_url")) {
        if (check_proxy_metrics(value) < 0 || !*value) {
            return file_error(fp, "metrics.proxy_url must be NAME=URL or a URL (http:// or "
                                  "https://)");
        }
        if (cfg->nproxy_metrics_urls >= CONFIG_MAX_URLS) {
            return file_error(fp, "too many metrics.proxy_url (at most %d)", CONFIG_MAX_URLS);
        }
        cfg->proxy_metrics_urls[cfg->nproxy_metrics_urls++] = dup_url(value);
        return 1;
    }
    if (IS("coder", "derp_expvar")) {
        if (parse_bool(value, &cfg->derp_expvar) < 0) {
            return file_error(fp, "coder.derp_expvar must be true or false");
        }
        return 1;
    }
    if (IS("metrics", "prometheus")) {
        if (check_url(value) < 0) {
            return file_error(fp, "metrics.prometheus must start with http:// or https://");
        }
        free(cfg->prometheus_url);
        cfg->prometheus_url = dup_url(value);
        return 1;
    }
    if (IS("prometheus", "url")) {
        if (check_url(value) < 0) {
            return file_error(fp, "prometheus.url must start with http:// or https://");
        }
        free(cfg->prometheus_url);
        cfg->prometheus_url = dup_url(value);
        return 1;
    }
    if (IS("prometheus", "rate_window")) {
        return file_duration(fp, section, key, value, &cfg->prometheus_rate_window_s, true);
    }
    if (IS("metrics", "prometheus_bearer_token_file") ||
        IS("metrics", "prometheus_basic_auth_file") || IS("prometheus", "bearer_token_file") ||
        IS("prometheus", "basic_auth_file")) {
        struct err e;
        char *path = expand_home(value);
        char *secret = read_secret(path, &e);
        free(path);
        if (!secret) {
            return file_error(fp, "%s", e.msg);
        }
        char **dst = strstr(key, "bearer_token_file") ? &cfg->prometheus_bearer_token
                                                      : &cfg->prometheus_basic_auth;
        free(*dst);
        *dst = secret;
        return 1;
    }
    if (IS("postgres", "conninfo")) {
        set_str(&cfg->pg_conninfo, value);
        free(cfg->pg_origin);
        cfg->pg_origin = xasprintf("%s:%d", fp->path, fp->line);
        return 1;
    }
    if (IS("kubernetes", "kubeconfig")) {
        return file_path_value(fp, &cfg->kubeconfig, value);
    }
    if (IS("kubernetes", "namespace")) {
        set_str(&cfg->k8s_namespace, value);
        return 1;
    }
    if (strcmp(section, "kubernetes") == 0 && strstr(key, "_label_selector")) {
        char **dst = strcmp(key, "workspace_label_selector") == 0  ? &cfg->workspace_label_selector
                     : strcmp(key, "coderd_label_selector") == 0   ? &cfg->coderd_label_selector
                     : strcmp(key, "postgres_label_selector") == 0 ? &cfg->postgres_label_selector
                     : strcmp(key, "proxy_label_selector") == 0    ? &cfg->proxy_label_selector
                     : strcmp(key, "provisioner_label_selector") == 0
                         ? &cfg->provisioner_label_selector
                         : NULL;
        if (dst) {
            struct labelsel sel;
            struct err e;
            if (labelsel_parse(&sel, value, &e) != 0) {
                return file_error(fp, "kubernetes.%s: %s", key, e.msg);
            }
            labelsel_fini(&sel);
            set_str(dst, value);
            return 1;
        }
    }
    if (IS("kubernetes", "in_cluster")) {
        if (parse_bool(value, &cfg->k8s_in_cluster) < 0) {
            return file_error(fp, "kubernetes.in_cluster must be true or false");
        }
        return 1;
    }
    if (IS("history", "db")) {
        return file_path_value(fp, &cfg->db_path, value);
    }
    if (IS("history", "raw_retention")) {
        return file_duration(fp, section, key, value, &cfg->raw_retention_s, true);
    }
    if (IS("history", "minute_retention")) {
        return file_duration(fp, section, key, value, &cfg->minute_retention_s, true);
    }
    if (IS("history", "hour_retention")) {
        return file_duration(fp, section, key, value, &cfg->hour_retention_s, true);
    }
    if (IS("history", "max_size")) {
        if (parse_size(value, &cfg->db_max_bytes) < 0 || cfg->db_max_bytes <= 0) {
            return file_error(fp, "bad size '%s' for history.max_size (e.g. 1GiB, 500MB)", value);
        }
        return 1;
    }
    if (IS("tls", "ca_file")) {
        return file_path_value(fp, &cfg->ca_file, value);
    }
    if (IS("tls", "insecure_skip_verify")) {
        if (parse_bool(value, &cfg->insecure_skip_verify) < 0) {
            return file_error(fp, "tls.insecure_skip_verify must be true or false");
        }
        return 1;
    }
    if (IS("poll", "interval")) {
        return file_duration(fp, section, key, value, &cfg->interval_s, true);
    }
    if (IS("poll", "timeout")) {
        return file_duration(fp, section, key, value, &cfg->request_timeout_s, true);
    }
    if (IS("poll", "connect_timeout")) {
        return file_duration(fp, section, key, value, &cfg->connect_timeout_s, true);
    }
    if (IS("poll", "window")) {
        return file_duration(fp, section, key, value, &cfg->window_s, true);
    }
    if (IS("poll", "max_body")) {
        double b;
        if (parse_size(value, &b) < 0 || b < 1024) {
            return file_error(fp, "bad size '%s' for poll.max_body (e.g. 64MiB)", value);
        }
        cfg->max_body_bytes = (size_t)b;
        return 1;
    }
    if (IS("cost", "interval")) {
        return file_duration(fp, section, key, value, &cfg->cost_interval_s, true);
    }
    if (IS("cost", "off_peak_hours")) {
        int a, b, used = 0;
        if (strcmp(value, "none") == 0) {
            cfg->off_peak_start_h = cfg->off_peak_end_h = 0;
            return 1;
        }
        if (sscanf(value, "%d-%d%n", &a, &b, &used) != 2 || value[used] != '\0' || a < 0 ||
            a > 23 || b < 0 || b > 23) {
            return file_error(fp,
                              "bad cost.off_peak_hours '%s' (e.g. 19-7: from 19:00 to 07:00, "
                              "or none)",
                              value);
        }
        cfg->off_peak_start_h = a;
        cfg->off_peak_end_h = b;
        return 1;
    }
    if (IS("cost", "off_peak_weekends")) {
        if (parse_bool(value, &cfg->off_peak_weekends) < 0) {
            return file_error(fp, "cost.off_peak_weekends must be true or false");
        }
        return 1;
    }
    if (strcmp(section, "display") == 0) {
        bool *dst = strcmp(key, "utc") == 0        ? &cfg->utc
                    : strcmp(key, "ascii") == 0    ? &cfg->ascii
                    : strcmp(key, "no_color") == 0 ? &cfg->no_color
                                                   : NULL;
        if (!dst) {
            return file_error(fp, "unknown key '%s' in [display] (utc, ascii, no_color)", key);
        }
        if (parse_bool(value, dst) < 0) {
            return file_error(fp, "display.%s must be true or false", key);
        }
        return 1;
    }
#undef IS
    static const char *const known[] = {"coder", "metrics", "postgres",   "kubernetes", "history",
                                        "tls",   "poll",    "prometheus", "cost"};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
        if (strcmp(section, known[i]) == 0) {
            return file_error(fp, "unknown key '%s' in [%s]", key, section);
        }
    }
    return file_error(fp, "unknown section [%s]", section);
}

/* Reads the config file into cfg; a missing file is an error only if the
 * user named it (`required`). */
static int load_file(struct config *cfg, const char *path, bool required, struct err *e)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT && !required) {
            return 0;
        }
        return err_set(e, "%s: %s", path, strerror(errno));
    }
    char *text = xmalloc(CONFIG_FILE_MAX + 1);
    size_t len = fread(text, 1, CONFIG_FILE_MAX + 1, f);
    int rerr = ferror(f);
    fclose(f);
    if (rerr || len > CONFIG_FILE_MAX) {
        free(text);
        return err_set(e, "%s: %s", path, rerr ? "read error" : "larger than 1 MiB");
    }
    text[len] = '\0';
    set_str(&cfg->config_path, path);

    struct file_parse fp = {.cfg = cfg, .path = path, .text = text, .len = len};
    int rc = ini_parse_stream(file_reader, &fp, file_handler, &fp);
    free(text);
    if (fp.err_line) {
        return err_set(e, "%s:%d: %s", path, fp.err_line, fp.err);
    }
    if (rc > 0) {
        return err_set(e, "%s:%d: syntax error (expected '[section]' or 'key = value')", path, rc);
    }
    if (rc < 0) {
        return err_set(e, "%s: cannot parse", path);
    }
    for (size_t i = 0; i < cfg->nsoft_limits; i++) {
        if (!cfg->soft_limits[i].resource || isnan(cfg->soft_limits[i].limit)) {
            return err_set(e, "%s:%d: [soft_limit %s] needs both resource and limit", path,
                           fp.soft_line[i], cfg->soft_limits[i].name);
        }
    }
    return 0;
}

/* ---- flags ------------------------------------------------------------- */

enum flag_id {
    F_CODER_URL,
    F_TOKEN_FILE,
    F_METRICS,
    F_PROV_METRICS,
    F_PROMETHEUS,
    F_PG,
    F_KUBECONFIG,
    F_NAMESPACE,
    F_DB,
    F_CONFIG,
    F_CA_FILE,
    F_INSECURE,
    F_INTERVAL,
    F_WINDOW,
    F_TIMEOUT,
    F_UTC,
    F_ASCII,
    F_NO_COLOR,
    F_PROM_BEARER,
    F_PROM_BASIC,
    F_PROM_WINDOW,
    F_PROXY_METRICS,
    F_DERP_EXPVAR,
};

static const struct {
    const char *name;
    enum flag_id id;
    bool takes_value;
} flags[] = {
    {"--coder-url", F_CODER_URL, true},
    {"--token-file", F_TOKEN_FILE, true},
    {"--metrics", F_METRICS, true},
    {"--provisioner-metrics", F_PROV_METRICS, true},
    {"--prometheus", F_PROMETHEUS, true},
    {"--pg", F_PG, true},
    {"--kubeconfig", F_KUBECONFIG, true},
    {"--namespace", F_NAMESPACE, true},
    {"--db", F_DB, true},
    {"--config", F_CONFIG, true},
    {"--ca-file", F_CA_FILE, true},
    {"--insecure-skip-tls-verify", F_INSECURE, false},
    {"--interval", F_INTERVAL, true},
    {"--window", F_WINDOW, true},
    {"--timeout", F_TIMEOUT, true},
    {"--utc", F_UTC, false},
    {"--ascii", F_ASCII, false},
    {"--no-color", F_NO_COLOR, false},
    {"--prometheus-bearer-token-file", F_PROM_BEARER, true},
    {"--prometheus-basic-auth-file", F_PROM_BASIC, true},
    {"--prometheus-rate-window", F_PROM_WINDOW, true},
    {"--proxy-metrics", F_PROXY_METRICS, true},
    {"--derp-expvar", F_DERP_EXPVAR, false},
};

/* What the flags said; NULL / NAN / false means "not given". */
struct flag_layer {
    const char *coder_url, *token_file, *prometheus, *pg, *kubeconfig, *namespace, *db, *config,
        *ca_file;
    const char *metrics[CONFIG_MAX_URLS];
    size_t nmetrics;
    const char *prov[CONFIG_MAX_URLS];
    size_t nprov;
    double interval_s, window_s, timeout_s;
    bool insecure, utc, ascii, no_color;
    const char *prom_bearer_file, *prom_basic_file;
    double prom_window_s;
    const char *proxy_metrics[CONFIG_MAX_URLS];
    size_t nproxy_metrics;
    bool derp_expvar;
};

static int flag_seconds(const char *name, const char *v, double *dst, struct err *e)
{
    if (parse_seconds(v, dst) < 0 || *dst <= 0) {
        return err_set(e, "%s: bad value '%s' (seconds, or a duration such as 30s, 5m)", name, v);
    }
    return 0;
}

static int apply_flag(struct flag_layer *fl, enum flag_id id, const char *name, const char *v,
                      struct err *e)
{
    switch (id) {
    case F_CODER_URL:
    case F_METRICS:
    case F_PROV_METRICS:
    case F_PROMETHEUS:
        if (check_url(v) < 0) {
            return err_set(e, "%s: '%s' must start with http:// or https://", name, v);
        }
        if (id == F_CODER_URL) {
            fl->coder_url = v;
        } else if (id == F_PROMETHEUS) {
            fl->prometheus = v;
        } else {
            const char **list = id == F_METRICS ? fl->metrics : fl->prov;
            size_t *n = id == F_METRICS ? &fl->nmetrics : &fl->nprov;
            if (*n >= CONFIG_MAX_URLS) {
                return err_set(e, "%s: at most %d", name, CONFIG_MAX_URLS);
            }
            list[(*n)++] = v;
        }
        return 0;
    case F_TOKEN_FILE:
        fl->token_file = v;
        return 0;
    case F_PG:
        fl->pg = v;
        return 0;
    case F_KUBECONFIG:
        fl->kubeconfig = v;
        return 0;
    case F_NAMESPACE:
        fl->namespace = v;
        return 0;
    case F_DB:
        fl->db = v;
        return 0;
    case F_CONFIG:
        fl->config = v;
        return 0;
    case F_CA_FILE:
        fl->ca_file = v;
        return 0;
    case F_INSECURE:
        fl->insecure = true;
        return 0;
    case F_INTERVAL:
        return flag_seconds(name, v, &fl->interval_s, e);
    case F_WINDOW:
        return flag_seconds(name, v, &fl->window_s, e);
    case F_TIMEOUT:
        return flag_seconds(name, v, &fl->timeout_s, e);
    case F_UTC:
        fl->utc = true;
        return 0;
    case F_ASCII:
        fl->ascii = true;
        return 0;
    case F_PROM_BEARER:
        fl->prom_bearer_file = v;
        return 0;
    case F_PROM_BASIC:
        fl->prom_basic_file = v;
        return 0;
    case F_PROM_WINDOW:
        return flag_seconds(name, v, &fl->prom_window_s, e);
    case F_NO_COLOR:
        fl->no_color = true;
        return 0;
    case F_PROXY_METRICS:
        if (check_proxy_metrics(v) < 0) {
            return err_set(e, "%s: '%s' must be NAME=URL or a URL (http:// or https://)", name, v);
        }
        if (fl->nproxy_metrics >= CONFIG_MAX_URLS) {
            return err_set(e, "%s: at most %d", name, CONFIG_MAX_URLS);
        }
        fl->proxy_metrics[fl->nproxy_metrics++] = v;
        return 0;
    case F_DERP_EXPVAR:
        fl->derp_expvar = true;
        return 0;
    }
    return err_set(e, "%s: unhandled", name);
}

/* Is `arg` (name part) one of the command's extras? Sets *takes_value. */
static bool is_extra(const char *const *extra, const char *arg, size_t namelen, bool *takes_value)
{
    for (size_t i = 0; extra && extra[i]; i++) {
        size_t n = strlen(extra[i]);
        bool val = n > 0 && extra[i][n - 1] == '=';
        if (val) {
            n--;
        }
        if (n == namelen && strncmp(extra[i], arg, n) == 0) {
            *takes_value = val;
            return true;
        }
    }
    return false;
}

static int parse_flags(struct flag_layer *fl, int argc, char **argv, const char *const *extra,
                       char **rest, int *nrest, struct err *e)
{
    bool only_positional = false;
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (only_positional || arg[0] != '-' || arg[1] == '\0') {
            rest[(*nrest)++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_positional = true;
            continue;
        }
        char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
        size_t namelen = eq ? (size_t)(eq - arg) : strlen(arg);
        bool takes_value = false;
        if (is_extra(extra, arg, namelen, &takes_value) || strcmp(arg, "--help") == 0 ||
            strcmp(arg, "-h") == 0) {
            if (eq && !takes_value) {
                return err_set(e, "option '%.*s' takes no value", (int)namelen, arg);
            }
            if (eq) {
                *eq = '\0'; /* split "--at=X" in place into "--at" "X" */
                rest[(*nrest)++] = arg;
                rest[(*nrest)++] = eq + 1;
            } else {
                rest[(*nrest)++] = arg;
                if (takes_value) {
                    if (i + 1 >= argc) {
                        return err_set(e, "option '%s' needs a value", arg);
                    }
                    rest[(*nrest)++] = argv[++i];
                }
            }
            continue;
        }
        size_t f;
        for (f = 0; f < sizeof flags / sizeof *flags; f++) {
            if (strlen(flags[f].name) == namelen && strncmp(flags[f].name, arg, namelen) == 0) {
                break;
            }
        }
        if (f == sizeof flags / sizeof *flags) {
            return err_set(e, "unknown option '%.*s'", (int)namelen, arg);
        }
        const char *value = NULL;
        if (flags[f].takes_value) {
            if (eq) {
                value = eq + 1;
            } else if (i + 1 < argc) {
                value = argv[++i];
            } else {
                return err_set(e, "option '%s' needs a value", flags[f].name);
            }
            if (!*value) {
                return err_set(e, "option '%s' needs a non-empty value", flags[f].name);
            }
        } else if (eq) {
            return err_set(e, "option '%s' takes no value", flags[f].name);
        }
        if (apply_flag(fl, flags[f].id, flags[f].name, value, e) < 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- conventions ------------------------------------------------------- */

/* The coder CLI's config directory: $CODER_CONFIG_DIR, else
 * $XDG_CONFIG_HOME/coderv2, else ~/.config/coderv2. */
static char *coder_cli_dir(void)
{
    const char *d = getenv("CODER_CONFIG_DIR");
    if (d && *d) {
        return xstrdup(d);
    }
    char *base = xdg_dir("XDG_CONFIG_HOME", ".config");
    if (!base) {
        return NULL;
    }
    char *dir = xasprintf("%s/coderv2", base);
    free(base);
    return dir;
}

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static int resolve_coder(struct config *cfg, const struct flag_layer *fl, struct err *e)
{
    char *clidir = coder_cli_dir();
    /* URL */
    const char *env_url = env_nonempty("CODER_URL");
    if (fl->coder_url) {
        free(cfg->coder_url);
        cfg->coder_url = dup_url(fl->coder_url);
    } else if (env_url) {
        if (check_url(env_url) < 0) {
            free(clidir);
            return err_set(e, "CODER_URL: '%s' must start with http:// or https://", env_url);
        }
        free(cfg->coder_url);
        cfg->coder_url = dup_url(env_url);
    } else if (!cfg->coder_url && clidir) {
        char *path = xasprintf("%s/url", clidir);
        char *url = file_exists(path) ? read_secret(path, NULL) : NULL;
        if (url && check_url(url) == 0) {
            cfg->coder_url = dup_url(url);
        }
        free(url);
        free(path);
    }
    /* Token */
    const char *env_tok = env_nonempty("CODER_SESSION_TOKEN");
    char *path = NULL;
    bool required = true;
    if (fl->token_file) {
        path = xstrdup(fl->token_file);
    } else if (env_tok) {
        cfg->token = xstrdup(env_tok);
        set_str(&cfg->token_origin, "CODER_SESSION_TOKEN");
        free(cfg->token_file);
        cfg->token_file = NULL;
    } else if (cfg->token_file) {
        path = xstrdup(cfg->token_file);
    } else if (clidir) {
        path = xasprintf("%s/session", clidir);
        required = false;
    }
    free(clidir);
    if (path) {
        struct err te;
        if (!required && !file_exists(path)) {
            free(path);
            return 0;
        }
        char *tok = read_secret(path, &te);
        if (!tok) {
            free(path);
            if (!required) {
                return 0;
            }
            if (fl->token_file) {
                return err_set(e, "--token-file: %s", te.msg);
            }
            return err_set(e, "%s: token_file: %s",
                           cfg->token_origin ? cfg->token_origin : "config", te.msg);
        }
        cfg->token = tok;
        set_str(&cfg->token_file, path);
        set_str(&cfg->token_origin, path);
        free(path);
    }
    return 0;
}

static void resolve_postgres(struct config *cfg, const struct flag_layer *fl)
{
    if (fl->pg) {
        set_str(&cfg->pg_conninfo, fl->pg);
        set_str(&cfg->pg_origin, "--pg");
        return;
    }
    if (cfg->pg_conninfo) {
        return; /* from the file; libpq still applies PG* for what it leaves out */
    }
    if (env_nonempty("PGHOST") || env_nonempty("PGHOSTADDR") || env_nonempty("PGSERVICE") ||
        env_nonempty("PGDATABASE")) {
        /* An empty conninfo makes libpq take everything from PG* and ~/.pgpass. */
        set_str(&cfg->pg_conninfo, "");
        set_str(&cfg->pg_origin, "PG* environment");
    }
}

static void resolve_kubernetes(struct config *cfg, const struct flag_layer *fl)
{
    const char *env = env_nonempty("KUBECONFIG");
    if (fl->kubeconfig) {
        set_str(&cfg->kubeconfig, fl->kubeconfig);
    } else if (env) {
        /* A list: take the first file that exists (no merging). */
        char *list = xstrdup(env), *save = NULL;
        for (char *p = strtok_r(list, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
            if (file_exists(p)) {
                set_str(&cfg->kubeconfig, p);
                break;
            }
        }
        free(list);
    }
    if (fl->namespace) {
        set_str(&cfg->k8s_namespace, fl->namespace);
    }
    if (cfg->kubeconfig || cfg->k8s_in_cluster) {
        return;
    }
    if (env_nonempty("KUBERNETES_SERVICE_HOST") &&
        file_exists("/var/run/secrets/kubernetes.io/serviceaccount/token")) {
        cfg->k8s_in_cluster = true;
        return;
    }
    const char *home = getenv("HOME");
    if (home && *home) {
        char *p = xasprintf("%s/.kube/config", home);
        if (file_exists(p)) {
            cfg->kubeconfig = p;
        } else {
            free(p);
        }
    }
}

static void resolve_db(struct config *cfg, const struct flag_layer *fl)
{
    const char *env = env_nonempty("SCALETOP_DB");
    if (fl->db) {
        set_str(&cfg->db_path, fl->db);
    } else if (env) {
        set_str(&cfg->db_path, env);
    } else if (!cfg->db_path) {
        char *state = xdg_dir("XDG_STATE_HOME", ".local/state");
        cfg->db_path = state ? xasprintf("%s/scaletop/history.db", state) : NULL;
        free(state);
    }
}

int config_load(struct config *cfg, int argc, char **argv, const char *const *extra, char ***rest,
                int *nrest, struct err *e)
{
    struct flag_layer fl = {
        .interval_s = NAN, .window_s = NAN, .timeout_s = NAN, .prom_window_s = NAN};
    char **r = xcalloc((size_t)(argc > 0 ? argc : 1) + 1, sizeof *r);
    int nr = 0;
    if (parse_flags(&fl, argc, argv, extra, r, &nr, e) < 0) {
        free(r);
        return -1;
    }

    /* The file: named by flag or SCALETOP_CONFIG (must exist), else the XDG default. */
    const char *env_cfg = env_nonempty("SCALETOP_CONFIG");
    int rc;
    if (fl.config || env_cfg) {
        rc = load_file(cfg, fl.config ? fl.config : env_cfg, true, e);
    } else {
        char *dir = xdg_dir("XDG_CONFIG_HOME", ".config");
        char *path = dir ? xasprintf("%s/scaletop/config", dir) : NULL;
        rc = path ? load_file(cfg, path, false, e) : 0;
        free(path);
        free(dir);
    }
    if (rc < 0) {
        free(r);
        return -1;
    }

    if (resolve_coder(cfg, &fl, e) < 0) {
        free(r);
        return -1;
    }
    if (fl.nmetrics > 0) {
        free_list(cfg->metrics_urls, &cfg->nmetrics_urls);
        for (size_t i = 0; i < fl.nmetrics; i++) {
            cfg->metrics_urls[cfg->nmetrics_urls++] = dup_url(fl.metrics[i]);
        }
    }
    if (fl.nprov > 0) {
        free_list(cfg->provisioner_metrics_urls, &cfg->nprovisioner_metrics_urls);
        for (size_t i = 0; i < fl.nprov; i++) {
            cfg->provisioner_metrics_urls[cfg->nprovisioner_metrics_urls++] = dup_url(fl.prov[i]);
        }
    }
    if (fl.nproxy_metrics > 0) {
        free_list(cfg->proxy_metrics_urls, &cfg->nproxy_metrics_urls);
        for (size_t i = 0; i < fl.nproxy_metrics; i++) {
            cfg->proxy_metrics_urls[cfg->nproxy_metrics_urls++] = dup_url(fl.proxy_metrics[i]);
        }
    }
    cfg->derp_expvar |= fl.derp_expvar;
    if (fl.prometheus) {
        free(cfg->prometheus_url);
        cfg->prometheus_url = dup_url(fl.prometheus);
    }
    resolve_postgres(cfg, &fl);
    resolve_kubernetes(cfg, &fl);
    resolve_db(cfg, &fl);
    if (fl.ca_file) {
        set_str(&cfg->ca_file, fl.ca_file);
    }
    cfg->insecure_skip_verify |= fl.insecure;
    cfg->utc |= fl.utc;
    cfg->ascii |= fl.ascii;
    cfg->no_color |= fl.no_color || env_nonempty("NO_COLOR") != NULL;
    if (!isnan(fl.interval_s)) {
        cfg->interval_s = fl.interval_s;
    }
    if (!isnan(fl.window_s)) {
        cfg->window_s = fl.window_s;
    }
    if (!isnan(fl.timeout_s)) {
        cfg->request_timeout_s = fl.timeout_s;
    }
    if (cfg->connect_timeout_s > cfg->request_timeout_s) {
        cfg->connect_timeout_s = cfg->request_timeout_s;
    }
    if (!isnan(fl.prom_window_s)) {
        cfg->prometheus_rate_window_s = fl.prom_window_s;
    }
    const char *secret_files[2] = {fl.prom_bearer_file, fl.prom_basic_file};
    char **secret_dst[2] = {&cfg->prometheus_bearer_token, &cfg->prometheus_basic_auth};
    for (int i = 0; i < 2; i++) {
        if (!secret_files[i]) {
            continue;
        }
        char *path = expand_home(secret_files[i]);
        char *secret = read_secret(path, e);
        free(path);
        if (!secret) {
            free(r);
            return err_prefix(
                e, "%s: ", i ? "--prometheus-basic-auth-file" : "--prometheus-bearer-token-file");
        }
        free(*secret_dst[i]);
        *secret_dst[i] = secret;
    }

    r[nr] = NULL;
    if (rest) {
        *rest = r;
    } else {
        free(r);
    }
    if (nrest) {
        *nrest = nr;
    }
    return 0;
}

/* ---- describe ---------------------------------------------------------- */

/* Prints a URL with any "user:password@" replaced by "***@". */
static void put_url(FILE *f, const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : url;
    const char *slash = strchr(host, '/');
    const char *at = strchr(host, '@');
    if (at && (!slash || at < slash)) {
        fprintf(f, "%.*s***%s", (int)(host - url), url, at);
    } else {
        fputs(url, f);
    }
}

static void put_duration(FILE *f, double s)
{
    if (s >= 86400 && fmod(s, 86400) == 0) {
        fprintf(f, "%.0fd", s / 86400);
    } else if (s >= 3600 && fmod(s, 3600) == 0) {
        fprintf(f, "%.0fh", s / 3600);
    } else if (s >= 60 && fmod(s, 60) == 0) {
        fprintf(f, "%.0fm", s / 60);
    } else {
        fprintf(f, "%gs", s);
    }
}

void config_describe(const struct config *cfg, FILE *f)
{
    fprintf(f, "config file          %s\n", cfg->config_path ? cfg->config_path : "(none read)");
    fputs("coder url            ", f);
    if (cfg->coder_url) {
        put_url(f, cfg->coder_url);
        fputc('\n', f);
    } else {
        fputs("(not set: --coder-url, CODER_URL or `coder login`)\n", f);
    }
    if (cfg->token) {
        fprintf(f, "coder token          (set, from %s)\n",
                cfg->token_origin ? cfg->token_origin : "?");
    } else {
        fputs("coder token          (not set)\n", f);
    }
    for (size_t i = 0; i < cfg->nmetrics_urls; i++) {
        fputs("coderd metrics       ", f);
        put_url(f, cfg->metrics_urls[i]);
        fputc('\n', f);
    }
    for (size_t i = 0; i < cfg->nprovisioner_metrics_urls; i++) {
        fputs("provisioner metrics  ", f);
        put_url(f, cfg->provisioner_metrics_urls[i]);
        fputc('\n', f);
    }
    for (size_t i = 0; i < cfg->nproxy_metrics_urls; i++) {
        const char *u = cfg->proxy_metrics_urls[i];
        const char *eq = strchr(u, '='), *sch = strstr(u, "://");
        bool named = eq && (!sch || eq < sch);
        fprintf(f, "proxy metrics        %.*s%s", named ? (int)(eq - u) : 0, u, named ? " " : "");
        put_url(f, named ? eq + 1 : u);
        fputc('\n', f);
    }
    if (cfg->derp_expvar) {
        fputs("derp expvar          on (owner token sent to each replica's relay address)\n", f);
    }
    if (cfg->prometheus_url) {
        fputs("prometheus           ", f);
        put_url(f, cfg->prometheus_url);
        fprintf(f, "%s\n",
                cfg->prometheus_bearer_token || cfg->prometheus_basic_auth ? " (credentials set)"
                                                                           : "");
    }
    /* A conninfo may carry a password: only say where it came from. */
    if (cfg->pg_conninfo) {
        fprintf(f, "postgres             (set, from %s)\n", cfg->pg_origin ? cfg->pg_origin : "?");
    } else {
        fputs("postgres             (not set: --pg CONNINFO or PGHOST)\n", f);
    }
    if (cfg->kubeconfig) {
        fprintf(f, "kubernetes           %s\n", cfg->kubeconfig);
    } else if (cfg->k8s_in_cluster) {
        fputs("kubernetes           in-cluster service account\n", f);
    } else {
        fputs("kubernetes           (not set: --kubeconfig or KUBECONFIG)\n", f);
    }
    if (cfg->k8s_namespace) {
        fprintf(f, "kubernetes namespace %s\n", cfg->k8s_namespace);
    }
    fprintf(f, "history db           %s\n", cfg->db_path ? cfg->db_path : "(none)");
    fputs("retention            raw ", f);
    put_duration(f, cfg->raw_retention_s);
    fputs(", 1-minute ", f);
    put_duration(f, cfg->minute_retention_s);
    fputs(", 1-hour ", f);
    put_duration(f, cfg->hour_retention_s);
    fprintf(f, ", at most %.0f MiB\n", cfg->db_max_bytes / 1048576);
    fprintf(f, "tls                  %s%s%s\n",
            cfg->insecure_skip_verify ? "VERIFICATION OFF" : "verify",
            cfg->ca_file ? ", CA file " : "", cfg->ca_file ? cfg->ca_file : "");
    fprintf(f, "poll                 every %gs, window %gs, timeout %gs (connect %gs)\n",
            cfg->interval_s, cfg->window_s, cfg->request_timeout_s, cfg->connect_timeout_s);
    fprintf(f, "cost                 running workspaces listed every %gs, off-peak ",
            cfg->cost_interval_s);
    if (cfg->off_peak_start_h != cfg->off_peak_end_h) {
        fprintf(f, "%02d:00-%02d:00%s\n", cfg->off_peak_start_h, cfg->off_peak_end_h,
                cfg->off_peak_weekends ? " and weekends" : "");
    } else {
        fprintf(f, "%s\n", cfg->off_peak_weekends ? "weekends" : "never");
    }
    for (size_t i = 0; i < cfg->nsoft_limits; i++) {
        fprintf(f, "soft limit           %s: %s <= %g\n", cfg->soft_limits[i].name,
                cfg->soft_limits[i].resource, cfg->soft_limits[i].limit);
    }
    for (size_t i = 0; i < cfg->nentries; i++) {
        fprintf(f, "%-20s %s = %s\n", cfg->entries[i].section, cfg->entries[i].key,
                cfg->entries[i].value);
    }
}

const struct config_entry *config_entry_get(const struct config *cfg, const char *section,
                                            const char *key)
{
    for (size_t i = cfg->nentries; i-- > 0;) {
        if (strcmp(cfg->entries[i].section, section) == 0 &&
            strcmp(cfg->entries[i].key, key) == 0) {
            return &cfg->entries[i];
        }
    }
    return NULL;
}
