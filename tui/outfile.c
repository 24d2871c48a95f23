/*
 * Report and snapshot files (see outfile.h). mkstemp creates the temporary
 * file 0600 whatever the umask; rename replaces the target in one step.
 */
#include "tui/outfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int outfile_write(const char *path, const char *text, size_t len, struct err *e)
{
    char *tmp = malloc(strlen(path) + 16);
    if (!tmp) {
        return err_set(e, "out of memory");
    }
    sprintf(tmp, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp); /* created 0600 */
    if (fd < 0) {
        err_set(e, "%s: %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    size_t off = 0;
    int rc = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            rc = err_set(e, "%s: %s", path, w < 0 ? strerror(errno) : "short write");
            break;
        }
        off += (size_t)w;
    }
    if (rc == 0 && fsync(fd) != 0) {
        rc = err_set(e, "%s: %s", path, strerror(errno));
    }
    if (close(fd) != 0 && rc == 0) {
        rc = err_set(e, "%s: %s", path, strerror(errno));
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = err_set(e, "%s: %s", path, strerror(errno));
    }
    if (rc != 0) {
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

int outfile_emit(const char *path, const char *text, const char *what, struct err *e)
{
    if (path && strcmp(path, "-") != 0) {
        if (outfile_write(path, text, strlen(text), e) < 0) {
            return -1;
        }
        fprintf(stderr, "scaletop: %s written to %s\n", what, path);
        return 0;
    }
    if (fputs(text, stdout) == EOF || fflush(stdout) != 0) {
        return err_set(e, "standard output: %s", strerror(errno));
    }
    return 0;
}
