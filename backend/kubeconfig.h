/*
 * Where the Kubernetes API is and how to authenticate to it: a kubeconfig
 * file (YAML, read with libyaml) or the in-cluster service account, found in
 * the order of DESIGN.md §6 (--kubeconfig, $KUBECONFIG, in-cluster,
 * ~/.kube/config). Exec and auth-provider plugins are not run.
 */
#ifndef SCALETOP_KUBECONFIG_H
#define SCALETOP_KUBECONFIG_H

#include "backend/err.h"

#include <stdbool.h>
#include <stddef.h>

#define KUBECONFIG_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* Credentials and endpoint; every pointer is owned (kubeconfig_fini frees and
 * wipes the secrets). Secrets are never part of `origin`. */
struct kubeconfig_auth {
    char *server; /* "https://host:port", no trailing slash */
    char
        *origin; /* for messages: "kubeconfig FILE, context NAME" or "in-cluster service account" */
    char *context;   /* context name, NULL in-cluster */
    char *namespace; /* the context's or the service account's namespace, NULL if none */
    char *ca_file;   /* PEM file, NULL if none */
    char *ca_data;   /* decoded PEM bytes, NULL if none */
    size_t ca_data_len;
    bool insecure_skip_verify;
    char *proxy_url;  /* the cluster's proxy-url, NULL for none (the environment's proxy then) */
    char *token;      /* static bearer token */
    char *token_file; /* re-read on every request batch (rotating tokens) */
    char *cert_file, *key_file;
    char *cert_data, *key_data; /* decoded PEM bytes */
    size_t cert_data_len, key_data_len;
};

/* Inputs of the search, so that tests can point it anywhere. */
struct kubeconfig_opts {
    const char *path;           /* --kubeconfig (one file), NULL if not given */
    const char *env_kubeconfig; /* $KUBECONFIG: files separated by ':' */
    bool in_cluster;            /* prefer the service account even without the env */
    const char *service_host;   /* $KUBERNETES_SERVICE_HOST */
    const char *service_port;   /* $KUBERNETES_SERVICE_PORT */
    const char *sa_dir;         /* service account directory, default KUBECONFIG_SA_DIR */
    const char *home;           /* $HOME, for ~/.kube/config */
};

/* Fills o from the process environment, with `path` as --kubeconfig. */
void kubeconfig_opts_from_env(struct kubeconfig_opts *o, const char *path, bool in_cluster);

/* Finds the credentials in the documented order. Returns 1 and fills a,
 * 0 when nothing is configured (a untouched), or -1 with e saying which file
 * or setting is wrong. Any thread. */
int kubeconfig_resolve(const struct kubeconfig_opts *o, struct kubeconfig_auth *a,
                       struct err *e) WARN_UNUSED;

/* Reads kubeconfig files (`paths` separated by ':'; missing files skipped
 * unless none exists) and resolves `context` (NULL: current-context), merged
 * the kubectl way: the first file that sets a value wins. 0 or -1 with e. */
int kubeconfig_load(const char *paths, const char *context, struct kubeconfig_auth *a,
                    struct err *e) WARN_UNUSED;

/* The in-cluster service account under sa_dir for the API at host:port.
 * 0 or -1 with e (token unreadable, host missing). */
int kubeconfig_in_cluster(const char *sa_dir, const char *host, const char *port,
                          struct kubeconfig_auth *a, struct err *e) WARN_UNUSED;

/* The bearer token to send now: re-reads token_file when set, else copies
 * token. *token is NULL when the credentials carry none; caller frees it
 * after wiping. 0, or -1 with e when the file cannot be read or is invalid. */
int kubeconfig_token(const struct kubeconfig_auth *a, char **token, struct err *e) WARN_UNUSED;

/* Frees every field (wiping secrets) and zeroes a; NULL allowed. */
void kubeconfig_fini(struct kubeconfig_auth *a);

/* Decodes standard base64 (whitespace ignored) into a new buffer (caller
 * frees) and its length; -1 on an invalid character or length. */
int kubeconfig_base64_decode(const char *in, char **out, size_t *out_len) WARN_UNUSED;

#endif
