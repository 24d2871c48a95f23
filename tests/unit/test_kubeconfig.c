/* kubeconfig: real YAML files in a temporary directory, read the way kubectl
 * reads them; the in-cluster service account from a fake secrets directory. */
#include "backend/kubeconfig.h"
#include "tests/lib/test.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

struct tmpdir {
    char path[64];
    char files[16][128];
    int n;
};

static void tmp_open(struct tmpdir *t)
{
    snprintf(t->path, sizeof t->path, "/tmp/scaletop-kc-XXXXXX");
    t->n = 0;
    if (!mkdtemp(t->path)) {
        test_fail(__FILE__, __LINE__, "mkdtemp failed");
    }
}

/* Writes NAME in the directory and returns its full path (static per slot). */
static const char *tmp_write(struct tmpdir *t, const char *name, const char *text)
{
    int slot = -1;
    char full[128];
    snprintf(full, sizeof full, "%s/%s", t->path, name);
    for (int i = 0; i < t->n; i++) {
        if (strcmp(t->files[i], full) == 0) {
            slot = i;
        }
    }
    if (slot < 0 && t->n < 16) {
        slot = t->n++;
        snprintf(t->files[slot], sizeof t->files[slot], "%s", full);
    }
    FILE *f = fopen(full, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return slot >= 0 ? t->files[slot] : "";
}

static void tmp_close(struct tmpdir *t)
{
    for (int i = 0; i < t->n; i++) {
        unlink(t->files[i]);
    }
    rmdir(t->path);
}

/* "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" */
#define CA_PEM  "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
#define CA_B64  "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="
#define KEY_PEM "-----BEGIN EC PRIVATE KEY-----\nabc\n-----END EC PRIVATE KEY-----\n"

static const char *kc_two_contexts = "apiVersion: v1\n"
                                     "kind: Config\n"
                                     "current-context: prod\n"
                                     "clusters:\n"
                                     "- name: dev-cluster\n"
                                     "  cluster:\n"
                                     "    server: https://dev.example:6443\n"
                                     "- name: prod-cluster\n"
                                     "  cluster:\n"
                                     "    server: https://10.0.0.1:6443/\n"
                                     "    certificate-authority-data: " CA_B64 "\n"
                                     "contexts:\n"
                                     "- name: dev\n"
                                     "  context: {cluster: dev-cluster, user: dev-user}\n"
                                     "- name: prod\n"
                                     "  context:\n"
                                     "    cluster: prod-cluster\n"
                                     "    user: prod-user\n"
                                     "    namespace: coder\n"
                                     "users:\n"
                                     "- name: dev-user\n"
                                     "  user:\n"
                                     "    token: dev-token\n"
                                     "- name: prod-user\n"
                                     "  user:\n"
                                     "    token: \"prod-token-123\"\n";

TEST(kubeconfig_current_context_token_and_ca_data)
{
    struct tmpdir t;
    tmp_open(&t);
    const char *p = tmp_write(&t, "config", kc_two_contexts);
    struct kubeconfig_auth a;
    struct err e = {{0}};
    CHECK(kubeconfig_load(p, NULL, &a, &e) == 0);
    CHECK_STR(a.server, "https://10.0.0.1:6443");
    CHECK_STR(a.context, "prod");
    CHECK_STR(a.namespace, "coder");
    CHECK_STR(a.token, "prod-token-123");
    CHECK(a.ca_data && a.ca_data_len == strlen(CA_PEM) &&
          memcmp(a.ca_data, CA_PEM, a.ca_data_len) == 0);
    CHECK(!a.insecure_skip_verify);
    CHECK(a.origin && strstr(a.origin, "context prod") && !strstr(a.origin, "prod-token"));
    char *tok = NULL;
    CHECK(kubeconfig_token(&a, &tok, &e) == 0);
    CHECK_STR(tok, "prod-token-123");
    free(tok);
    kubeconfig_fini(&a);

    CHECK(kubeconfig_load(p, "dev", &a, &e) == 0);
    CHECK_STR(a.server, "https://dev.example:6443");
    CHECK_STR(a.token, "dev-token");
    CHECK(a.namespace == NULL && a.ca_data == NULL);
    kubeconfig_fini(&a);
    tmp_close(&t);
}

TEST(kubeconfig_client_certificate_data)
{
    struct tmpdir t;
    tmp_open(&t);
    const char *p = tmp_write(&t, "config",
                              "current-context: c\n"
                              "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
                              "clusters: [{name: k, cluster: {server: 'https://k:443', "
                              "insecure-skip-tls-verify: true, proxy-url: "
                              "'socks5://127.0.0.1:1080'}}]\n"
                              "users:\n"
                              "- name: u\n"
                              "  user:\n"
                              "    client-certificate-data: " CA_B64 "\n"
                              "    client-key-data: "
                              "LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCmFiYwotLS0tLUVORCBFQyBQUklW"
                              "QVRFIEtFWS0tLS0tCg==\n");
    struct kubeconfig_auth a;
    struct err e = {{0}};
    CHECK(kubeconfig_load(p, NULL, &a, &e) == 0);
    CHECK(a.insecure_skip_verify);
    CHECK_STR(a.proxy_url, "socks5://127.0.0.1:1080");
    CHECK(a.cert_data && a.cert_data_len == strlen(CA_PEM) &&
          memcmp(a.cert_data, CA_PEM, a.cert_data_len) == 0);
    CHECK(a.key_data && a.key_data_len == strlen(KEY_PEM) &&
          memcmp(a.key_data, KEY_PEM, a.key_data_len) == 0);
    char *tok = (char *)1;
    CHECK(kubeconfig_token(&a, &tok, &e) == 0);
    CHECK(tok == NULL);
    kubeconfig_fini(&a);
    tmp_close(&t);
}

TEST(kubeconfig_relative_files_and_rotating_token_file)
{
    struct tmpdir t;
    tmp_open(&t);
    tmp_write(&t, "ca.pem", CA_PEM);
    tmp_write(&t, "tok", "first-token\n");
    const char *p = tmp_write(
        &t, "config",
        "current-context: c\n"
        "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
        "clusters: [{name: k, cluster: {server: 'https://k', certificate-authority: ca.pem}}]\n"
        "users: [{name: u, user: {tokenFile: tok, client-certificate: /abs/c.pem, client-key: "
        "k.pem}}]\n");
    struct kubeconfig_auth a;
    struct err e = {{0}};
    CHECK(kubeconfig_load(p, NULL, &a, &e) == 0);
    char want[160];
    snprintf(want, sizeof want, "%s/ca.pem", t.path);
    CHECK_STR(a.ca_file, want);
    snprintf(want, sizeof want, "%s/k.pem", t.path);
    CHECK_STR(a.key_file, want);
    CHECK_STR(a.cert_file, "/abs/c.pem");
    char *tok = NULL;
    CHECK(kubeconfig_token(&a, &tok, &e) == 0);
    CHECK_STR(tok, "first-token");
    free(tok);
    tmp_write(&t, "tok", "rotated-token");
    CHECK(kubeconfig_token(&a, &tok, &e) == 0);
    CHECK_STR(tok, "rotated-token");
    free(tok);
    tmp_write(&t, "tok", "bad token\n");
    CHECK(kubeconfig_token(&a, &tok, &e) != 0);
    CHECK(strstr(e.msg, "whitespace") != NULL && !strstr(e.msg, "bad token"));
    kubeconfig_fini(&a);
    tmp_close(&t);
}

TEST(kubeconfig_exec_plugin_refused_clearly)
{
    struct tmpdir t;
    tmp_open(&t);
    const char *p = tmp_write(&t, "config",
                              "current-context: eks\n"
                              "contexts: [{name: eks, context: {cluster: k, user: u}}]\n"
                              "clusters: [{name: k, cluster: {server: 'https://k'}}]\n"
                              "users:\n"
                              "- name: u\n"
                              "  user:\n"
                              "    exec:\n"
                              "      apiVersion: client.authentication.k8s.io/v1beta1\n"
                              "      command: aws\n"
                              "      args: [eks, get-token]\n");
    struct kubeconfig_auth a;
    struct err e = {{0}};
    CHECK(kubeconfig_load(p, NULL, &a, &e) != 0);
    CHECK(strstr(e.msg, "exec plugin") && strstr(e.msg, "(aws)") && strstr(e.msg, "token"));
    tmp_close(&t);
}

TEST(kubeconfig_errors_name_file_and_problem)
{
    struct tmpdir t;
    tmp_open(&t);
    struct kubeconfig_auth a;
    struct err e = {{0}};
    const char *p = tmp_write(&t, "bad", "current-context: x\nclusters: [\n  - {name: a\n");
    CHECK(kubeconfig_load(p, NULL, &a, &e) != 0);
    CHECK(strstr(e.msg, p) && strstr(e.msg, "YAML error"));

    p = tmp_write(&t, "noctx", "clusters: []\n");
    CHECK(kubeconfig_load(p, NULL, &a, &e) != 0);
    CHECK(strstr(e.msg, "no current-context") != NULL);

    p = tmp_write(&t, "missing", "current-context: gone\ncontexts: []\n");
    CHECK(kubeconfig_load(p, NULL, &a, &e) != 0);
    CHECK(strstr(e.msg, "context \"gone\" not found") != NULL);

    p = tmp_write(
        &t, "b64",
        "current-context: c\n"
        "contexts: [{name: c, context: {cluster: k}}]\n"
        "clusters: [{name: k, cluster: {server: s, certificate-authority-data: '!!!'}}]\n");
    CHECK(kubeconfig_load(p, NULL, &a, &e) != 0);
    CHECK(strstr(e.msg, "not valid base64") != NULL);

    CHECK(kubeconfig_load("/nonexistent/kubeconfig", NULL, &a, &e) != 0);
    CHECK(strstr(e.msg, "/nonexistent/kubeconfig") != NULL);
    tmp_close(&t);
}

TEST(kubeconfig_env_list_merges_first_wins)
{
    struct tmpdir t;
    tmp_open(&t);
    const char *p1 = tmp_write(&t, "a",
                               "current-context: prod\n"
                               "users: [{name: prod-user, user: {token: from-a}}]\n");
    const char *p2 = tmp_write(&t, "b", kc_two_contexts);
    char list[400];
    snprintf(list, sizeof list, "%s/does-not-exist:%s:%s", t.path, p1, p2);
    struct kubeconfig_auth a;
    struct err e = {{0}};
    CHECK(kubeconfig_load(list, NULL, &a, &e) == 0);
    CHECK_STR(a.server, "https://10.0.0.1:6443");
    CHECK_STR(a.token, "from-a");
    kubeconfig_fini(&a);
    tmp_close(&t);
}

TEST(kubeconfig_in_cluster_service_account)
{
    struct tmpdir t;
    tmp_open(&t);
    tmp_write(&t, "token", "sa-token-1\n");
    tmp_write(&t, "ca.crt", CA_PEM);
    tmp_write(&t, "namespace", "coder\n");
    struct kubeconfig_auth a;
    struct err e = {{0}};
    CHECK(kubeconfig_in_cluster(t.path, "10.96.0.1", "443", &a, &e) == 0);
    CHECK_STR(a.server, "https://10.96.0.1:443");
    CHECK_STR(a.namespace, "coder");
    char want[160];
    snprintf(want, sizeof want, "%s/ca.crt", t.path);
    CHECK_STR(a.ca_file, want);
    char *tok = NULL;
    CHECK(kubeconfig_token(&a, &tok, &e) == 0);
    CHECK_STR(tok, "sa-token-1");
    free(tok);
    /* The kubelet rotates the projected token: the next poll sees the new one. */
    tmp_write(&t, "token", "sa-token-2");
    CHECK(kubeconfig_token(&a, &tok, &e) == 0);
    CHECK_STR(tok, "sa-token-2");
    free(tok);
    kubeconfig_fini(&a);

    CHECK(kubeconfig_in_cluster(t.path, "fd00::1", "6443", &a, &e) == 0);
    CHECK_STR(a.server, "https://[fd00::1]:6443");
    kubeconfig_fini(&a);

    CHECK(kubeconfig_in_cluster("/nonexistent-sa", "10.96.0.1", "443", &a, &e) != 0);
    CHECK(strstr(e.msg, "/nonexistent-sa/token") != NULL);
    tmp_close(&t);
}

TEST(kubeconfig_resolve_order)
{
    struct tmpdir t;
    tmp_open(&t);
    const char *flagfile = tmp_write(&t, "flag", kc_two_contexts);
    const char *envfile = tmp_write(&t, "env",
                                    "current-context: e\n"
                                    "contexts: [{name: e, context: {cluster: k, user: u}}]\n"
                                    "clusters: [{name: k, cluster: {server: 'https://env'}}]\n"
                                    "users: [{name: u, user: {token: t}}]\n");
    tmp_write(&t, "token", "sa");
    struct kubeconfig_opts o = {0};
    struct kubeconfig_auth a;
    struct err e = {{0}};
    o.path = flagfile;
    o.env_kubeconfig = envfile;
    o.service_host = "10.96.0.1";
    o.service_port = "443";
    o.sa_dir = t.path;
    o.home = "/nonexistent-home";
    CHECK_INT(kubeconfig_resolve(&o, &a, &e), 1);
    CHECK_STR(a.server, "https://10.0.0.1:6443");
    kubeconfig_fini(&a);
    o.path = NULL;
    CHECK_INT(kubeconfig_resolve(&o, &a, &e), 1);
    CHECK_STR(a.server, "https://env");
    kubeconfig_fini(&a);
    o.env_kubeconfig = NULL;
    CHECK_INT(kubeconfig_resolve(&o, &a, &e), 1);
    CHECK_STR(a.server, "https://10.96.0.1:443");
    kubeconfig_fini(&a);
    o.service_host = NULL;
    CHECK_INT(kubeconfig_resolve(&o, &a, &e), 0);
    o.path = "/nonexistent/flag-kubeconfig";
    CHECK_INT(kubeconfig_resolve(&o, &a, &e), -1);
    tmp_close(&t);
}

TEST(kubeconfig_home_fallback)
{
    char home[64] = "/tmp/scaletop-home-XXXXXX";
    CHECK(mkdtemp(home) != NULL);
    char dir[128], file[160];
    snprintf(dir, sizeof dir, "%s/.kube", home);
    snprintf(file, sizeof file, "%s/config", dir);
    mkdir(dir, 0700);
    FILE *f = fopen(file, "w");
    if (f) {
        fputs(kc_two_contexts, f);
        fclose(f);
    }
    struct kubeconfig_opts o = {0};
    o.home = home;
    struct kubeconfig_auth a;
    struct err e = {{0}};
    CHECK_INT(kubeconfig_resolve(&o, &a, &e), 1);
    CHECK_STR(a.server, "https://10.0.0.1:6443");
    kubeconfig_fini(&a);
    unlink(file);
    rmdir(dir);
    rmdir(home);
}

TEST(kubeconfig_base64)
{
    char *out;
    size_t n;
    CHECK(kubeconfig_base64_decode("aGVs\nbG8=", &out, &n) == 0);
    CHECK(n == 5 && memcmp(out, "hello", 5) == 0);
    free(out);
    CHECK(kubeconfig_base64_decode("aGVsbG8", &out, &n) == 0); /* unpadded */
    CHECK(n == 5);
    free(out);
    CHECK(kubeconfig_base64_decode("a=b", &out, &n) != 0);
    CHECK(kubeconfig_base64_decode("a", &out, &n) != 0);
    CHECK(kubeconfig_base64_decode("ab$c", &out, &n) != 0);
}
