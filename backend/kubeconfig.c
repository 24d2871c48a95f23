/*
 * kubeconfig and in-cluster credentials. Files are parsed into libyaml's
 * document tree, looked up, copied into struct kubeconfig_auth, and the
 * documents deleted before returning: nothing of libyaml outlives a call.
 * Merging several files follows kubectl: current-context and each named
 * context/cluster/user come from the first file that defines them, and
 * relative paths are relative to the file that holds them.
 * Invariant: secrets (token, key data) are never copied into messages, and
 * are wiped when freed.
 */
#include "backend/kubeconfig.h"

#include "backend/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define KC_MAX_FILES      16
#define KC_MAX_FILE_BYTES (4u << 20)
#define KC_MAX_TOKEN      (64u << 10)

struct kc_file {
    char *path;
    char *dir;
    yaml_document_t doc;
    bool loaded;
};

static void kc_wipe_free(char *p, size_t n)
{
    if (p) {
        explicit_bzero(p, n);
        free(p);
    }
}

void kubeconfig_fini(struct kubeconfig_auth *a)
{
    if (!a) {
        return;
    }
    free(a->server);
    free(a->origin);
    free(a->context);
    free(a->namespace);
    free(a->ca_file);
    free(a->ca_data);
    free(a->proxy_url);
    kc_wipe_free(a->token, a->token ? strlen(a->token) : 0);
    free(a->token_file);
    free(a->cert_file);
    free(a->key_file);
    free(a->cert_data);
    kc_wipe_free(a->key_data, a->key_data_len);
    memset(a, 0, sizeof *a);
}

/* Reads a whole small file; NULL with e on failure. */
static char *kc_read_file(const char *path, size_t cap, size_t *len, struct err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_set(e, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = xmalloc(cap + 1);
    size_t n = fread(buf, 1, cap + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        err_set(e, "%s: read error", path);
        return NULL;
    }
    if (n > cap) {
        kc_wipe_free(buf, cap + 1);
        err_set(e, "%s: larger than %zu bytes", path, cap);
        return NULL;
    }
    buf[n] = '\0';
    if (len) {
        *len = n;
    }
    return buf;
}

/* Value of one base64 character, -1 if not in the alphabet. */
static int kc_b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

int kubeconfig_base64_decode(const char *in, char **out, size_t *out_len)
{
    size_t n = strlen(in);
    char *buf = xmalloc(n / 4 * 3 + 4);
    size_t len = 0;
    unsigned acc = 0;
    int bits = 0, pad = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            continue;
        }
        if (c == '=') {
            pad++;
            continue;
        }
        int v = kc_b64_value(c);
        if (pad || v < 0) {
            free(buf);
            return -1;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[len++] = (char)((acc >> bits) & 0xff);
        }
    }
    if (bits >= 6 || pad > 2) {
        free(buf);
        return -1;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return 0;
}

/* --- YAML tree helpers ---------------------------------------------------- */

static const char *kc_scalar(yaml_document_t *d, yaml_node_t *n)
{
    (void)d;
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *kc_get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE) {
        return NULL;
    }
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const char *k = kc_scalar(d, yaml_document_get_node(d, p->key));
        if (k && strcmp(k, key) == 0) {
            return yaml_document_get_node(d, p->value);
        }
    }
    return NULL;
}

static const char *kc_get_str(yaml_document_t *d, yaml_node_t *map, const char *key)
{
    const char *s = kc_scalar(d, kc_get(d, map, key));
    return s && *s ? s : NULL;
}

/* In list `listkey` of the root, the `inner` map of the entry named `name`. */
static yaml_node_t *kc_named(yaml_document_t *d, const char *listkey, const char *name,
                             const char *inner, bool *found)
{
    yaml_node_t *list = kc_get(d, yaml_document_get_root_node(d), listkey);
    *found = false;
    if (!list || list->type != YAML_SEQUENCE_NODE) {
        return NULL;
    }
    for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top;
         it++) {
        yaml_node_t *entry = yaml_document_get_node(d, *it);
        const char *n = kc_scalar(d, kc_get(d, entry, "name"));
        if (n && strcmp(n, name) == 0) {
            *found = true;
            return kc_get(d, entry, inner);
        }
    }
    return NULL;
}

static int kc_load_one(struct kc_file *f, struct err *e)
{
    size_t len;
    char *text = kc_read_file(f->path, KC_MAX_FILE_BYTES, &len, e);
    if (!text) {
        return -1;
    }
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        free(text);
        return err_set(e, "%s: cannot initialise the YAML parser", f->path);
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int rc = 0;
    if (!yaml_parser_load(&p, &f->doc)) {
        rc = err_set(e, "%s:%zu: YAML error: %s", f->path, p.problem_mark.line + 1,
                     p.problem ? p.problem : "unknown");
    } else {
        f->loaded = true;
    }
    yaml_parser_delete(&p);
    kc_wipe_free(text, len);
    return rc;
}

static char *kc_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        return xstrdup(".");
    }
    if (slash == path) {
        return xstrdup("/");
    }
    return xstrndup(path, (size_t)(slash - path));
}

static char *kc_resolve_path(const struct kc_file *f, const char *p)
{
    if (p[0] == '/') {
        return xstrdup(p);
    }
    return xasprintf("%s/%s", f->dir, p);
}

static int kc_decode_field(const struct kc_file *f, const char *what, const char *b64, char **out,
                           size_t *len, struct err *e)
{
    if (kubeconfig_base64_decode(b64, out, len) != 0) {
        return err_set(e, "%s: %s is not valid base64", f->path, what);
    }
    return 0;
}

static int kc_fill_cluster(struct kc_file *f, yaml_node_t *c, const char *name,
                           struct kubeconfig_auth *a, struct err *e)
{
    yaml_document_t *d = &f->doc;
    const char *server = kc_get_str(d, c, "server");
    if (!server) {
        return err_set(e, "%s: cluster \"%s\" has no server", f->path, name);
    }
    size_t sl = strlen(server);
    while (sl > 0 && server[sl - 1] == '/') {
        sl--;
    }
    a->server = xstrndup(server, sl);
    const char *s;
    if ((s = kc_get_str(d, c, "certificate-authority-data"))) {
        if (kc_decode_field(f, "certificate-authority-data", s, &a->ca_data, &a->ca_data_len, e)) {
            return -1;
        }
    } else if ((s = kc_get_str(d, c, "certificate-authority"))) {
        a->ca_file = kc_resolve_path(f, s);
    }
    s = kc_get_str(d, c, "insecure-skip-tls-verify");
    a->insecure_skip_verify = s && strcmp(s, "true") == 0;
    if ((s = kc_get_str(d, c, "proxy-url"))) {
        a->proxy_url = xstrdup(s);
    }
    return 0;
}

static int kc_fill_user(struct kc_file *f, yaml_node_t *u, const char *name,
                        struct kubeconfig_auth *a, struct err *e)
{
    yaml_document_t *d = &f->doc;
    if (kc_get(d, u, "exec")) {
        const char *cmd = kc_get_str(d, kc_get(d, u, "exec"), "command");
        return err_set(e,
                       "%s: user \"%s\" authenticates with an exec plugin (%s), which scaletop "
                       "does not run; give it a token or a client certificate (see "
                       "docs/kubernetes.md)",
                       f->path, name, cmd ? cmd : "command");
    }
    if (kc_get(d, u, "auth-provider")) {
        return err_set(e,
                       "%s: user \"%s\" uses an auth-provider plugin, which scaletop does not "
                       "support; give it a token or a client certificate",
                       f->path, name);
    }
    const char *s;
    if ((s = kc_get_str(d, u, "token"))) {
        a->token = xstrdup(s);
    } else if ((s = kc_get_str(d, u, "tokenFile"))) {
        a->token_file = kc_resolve_path(f, s);
    }
    if ((s = kc_get_str(d, u, "client-certificate-data"))) {
        if (kc_decode_field(f, "client-certificate-data", s, &a->cert_data, &a->cert_data_len, e)) {
            return -1;
        }
    } else if ((s = kc_get_str(d, u, "client-certificate"))) {
        a->cert_file = kc_resolve_path(f, s);
    }
    if ((s = kc_get_str(d, u, "client-key-data"))) {
        if (kc_decode_field(f, "client-key-data", s, &a->key_data, &a->key_data_len, e)) {
            return -1;
        }
    } else if ((s = kc_get_str(d, u, "client-key"))) {
        a->key_file = kc_resolve_path(f, s);
    }
    bool cert = a->cert_data || a->cert_file, key = a->key_data || a->key_file;
    if (cert != key) {
        return err_set(e, "%s: user \"%s\" has a client %s without a %s", f->path, name,
                       cert ? "certificate" : "key", cert ? "key" : "certificate");
    }
    if (!a->token && !a->token_file && !cert &&
        (kc_get(d, u, "username") || kc_get(d, u, "password"))) {
        return err_set(e,
                       "%s: user \"%s\" uses basic auth (username/password), which scaletop "
                       "does not support; give it a token or a client certificate",
                       f->path, name);
    }
    return 0;
}

int kubeconfig_load(const char *paths, const char *context, struct kubeconfig_auth *out,
                    struct err *e)
{
    struct kc_file files[KC_MAX_FILES];
    size_t nfiles = 0;
    struct kubeconfig_auth a = {0};
    int rc = -1;
    memset(files, 0, sizeof files);

    /* Collect the existing files; a single path must exist. */
    bool list = strchr(paths, ':') != NULL;
    char *copy = xstrdup(paths), *save = NULL;
    for (char *p = strtok_r(copy, ":", &save); p && nfiles < KC_MAX_FILES;
         p = strtok_r(NULL, ":", &save)) {
        struct stat st;
        if (stat(p, &st) != 0) {
            if (!list) {
                err_set(e, "kubeconfig %s: %s", p, strerror(errno));
                free(copy);
                return -1;
            }
            continue;
        }
        files[nfiles].path = xstrdup(p);
        files[nfiles].dir = kc_dirname(p);
        nfiles++;
    }
    free(copy);
    if (nfiles == 0) {
        err_set(e, "kubeconfig: none of the files in \"%s\" exists", paths);
        return -1;
    }
    for (size_t i = 0; i < nfiles; i++) {
        if (kc_load_one(&files[i], e) != 0) {
            goto out;
        }
    }

    const char *ctx = context;
    for (size_t i = 0; !ctx && i < nfiles; i++) {
        ctx = kc_get_str(&files[i].doc, yaml_document_get_root_node(&files[i].doc),
                         "current-context");
    }
    if (!ctx) {
        err_set(e, "%s: no current-context set (run `kubectl config use-context NAME`)",
                files[0].path);
        goto out;
    }
    yaml_node_t *cn = NULL;
    struct kc_file *cf = NULL;
    for (size_t i = 0; i < nfiles && !cf; i++) {
        bool found;
        cn = kc_named(&files[i].doc, "contexts", ctx, "context", &found);
        cf = found ? &files[i] : NULL;
    }
    if (!cf) {
        err_set(e, "%s: context \"%s\" not found", files[0].path, ctx);
        goto out;
    }
    a.context = xstrdup(ctx);
    a.origin = xasprintf("kubeconfig %s, context %s", cf->path, ctx);
    const char *cluster = kc_get_str(&cf->doc, cn, "cluster");
    const char *user = kc_get_str(&cf->doc, cn, "user");
    const char *ns = kc_get_str(&cf->doc, cn, "namespace");
    a.namespace = ns ? xstrdup(ns) : NULL;
    if (!cluster) {
        err_set(e, "%s: context \"%s\" names no cluster", cf->path, ctx);
        goto out;
    }
    bool found = false;
    for (size_t i = 0; i < nfiles && !found; i++) {
        yaml_node_t *c = kc_named(&files[i].doc, "clusters", cluster, "cluster", &found);
        if (found && kc_fill_cluster(&files[i], c, cluster, &a, e) != 0) {
            goto out;
        }
    }
    if (!found) {
        err_set(e, "%s: cluster \"%s\" (of context \"%s\") not found", cf->path, cluster, ctx);
        goto out;
    }
    if (user) {
        found = false;
        for (size_t i = 0; i < nfiles && !found; i++) {
            yaml_node_t *u = kc_named(&files[i].doc, "users", user, "user", &found);
            if (found && kc_fill_user(&files[i], u, user, &a, e) != 0) {
                goto out;
            }
        }
        if (!found) {
            err_set(e, "%s: user \"%s\" (of context \"%s\") not found", cf->path, user, ctx);
            goto out;
        }
    }
    *out = a;
    memset(&a, 0, sizeof a);
    rc = 0;
out:
    kubeconfig_fini(&a);
    for (size_t i = 0; i < nfiles; i++) {
        if (files[i].loaded) {
            yaml_document_delete(&files[i].doc);
        }
        free(files[i].path);
        free(files[i].dir);
    }
    return rc;
}

int kubeconfig_in_cluster(const char *sa_dir, const char *host, const char *port,
                          struct kubeconfig_auth *out, struct err *e)
{
    if (!host || !*host) {
        return err_set(e, "in-cluster: KUBERNETES_SERVICE_HOST is not set");
    }
    if (!sa_dir) {
        sa_dir = KUBECONFIG_SA_DIR;
    }
    struct kubeconfig_auth a = {0};
    a.token_file = xasprintf("%s/token", sa_dir);
    if (access(a.token_file, R_OK) != 0) {
        err_set(e, "in-cluster: service account token %s: %s", a.token_file, strerror(errno));
        kubeconfig_fini(&a);
        return -1;
    }
    const char *p = port && *port ? port : "443";
    a.server = strchr(host, ':') ? xasprintf("https://[%s]:%s", host, p)
                                 : xasprintf("https://%s:%s", host, p);
    char *ca = xasprintf("%s/ca.crt", sa_dir);
    if (access(ca, R_OK) == 0) {
        a.ca_file = ca;
    } else {
        free(ca);
    }
    char *nsfile = xasprintf("%s/namespace", sa_dir);
    char *ns = kc_read_file(nsfile, 256, NULL, NULL);
    free(nsfile);
    if (ns) {
        ns[strcspn(ns, " \t\r\n")] = '\0';
        a.namespace = *ns ? xstrdup(ns) : NULL;
        free(ns);
    }
    a.origin = xasprintf("in-cluster service account (%s)", sa_dir);
    *out = a;
    return 0;
}

void kubeconfig_opts_from_env(struct kubeconfig_opts *o, const char *path, bool in_cluster)
{
    memset(o, 0, sizeof *o);
    o->path = path;
    o->env_kubeconfig = getenv("KUBECONFIG");
    o->in_cluster = in_cluster;
    o->service_host = getenv("KUBERNETES_SERVICE_HOST");
    o->service_port = getenv("KUBERNETES_SERVICE_PORT");
    o->sa_dir = KUBECONFIG_SA_DIR;
    o->home = getenv("HOME");
}

int kubeconfig_resolve(const struct kubeconfig_opts *o, struct kubeconfig_auth *a, struct err *e)
{
    if (o->path && *o->path) {
        return kubeconfig_load(o->path, NULL, a, e) == 0 ? 1 : -1;
    }
    if (o->env_kubeconfig && *o->env_kubeconfig) {
        if (kubeconfig_load(o->env_kubeconfig, NULL, a, e) != 0) {
            return err_prefix(e, "KUBECONFIG");
        }
        return 1;
    }
    if (o->in_cluster || (o->service_host && *o->service_host)) {
        return kubeconfig_in_cluster(o->sa_dir, o->service_host, o->service_port, a, e) == 0 ? 1
                                                                                             : -1;
    }
    if (o->home && *o->home) {
        char *p = xasprintf("%s/.kube/config", o->home);
        struct stat st;
        int rc = 0;
        if (stat(p, &st) == 0) {
            rc = kubeconfig_load(p, NULL, a, e) == 0 ? 1 : -1;
        }
        free(p);
        return rc;
    }
    return 0;
}

int kubeconfig_token(const struct kubeconfig_auth *a, char **token, struct err *e)
{
    *token = NULL;
    char *t = NULL;
    size_t len = 0;
    if (a->token_file) {
        t = kc_read_file(a->token_file, KC_MAX_TOKEN, &len, e);
        if (!t) {
            return err_prefix(e, "token file");
        }
    } else if (a->token) {
        t = xstrdup(a->token);
        len = strlen(t);
    } else {
        return 0;
    }
    while (len > 0 &&
           (t[len - 1] == '\n' || t[len - 1] == '\r' || t[len - 1] == ' ' || t[len - 1] == '\t')) {
        t[--len] = '\0';
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c < 0x21 || c == 0x7f) {
            kc_wipe_free(t, len);
            return err_set(e, "%s: the token contains whitespace or control characters",
                           a->token_file ? a->token_file : "kubeconfig");
        }
    }
    if (len == 0) {
        kc_wipe_free(t, len);
        return err_set(e, "%s: the token is empty", a->token_file ? a->token_file : "kubeconfig");
    }
    *token = t;
    return 0;
}
