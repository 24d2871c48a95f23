/*
 * Expected failures (network, HTTP status, JSON shape, SQL, config) are
 * reported through a caller-provided struct err with a fixed-size message.
 */
#ifndef SCALETOP_ERR_H
#define SCALETOP_ERR_H

#define ERR_MSG_MAX 256
#define WARN_UNUSED __attribute__((warn_unused_result))

struct err {
    char msg[ERR_MSG_MAX];
};

/* Formats a message into e (NULL allowed) and returns -1, so that a failing
 * function can `return err_set(e, "...")`. */
int err_set(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes an existing message: "PREFIX: old message"; returns -1. */
int err_prefix(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
