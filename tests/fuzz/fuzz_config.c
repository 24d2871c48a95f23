/*
 * libFuzzer target for the config file parser: each input is written to a
 * temporary file and loaded with --config. Checks: a refusal names the file
 * and says why; an accepted file gives sane cadences. The environment is
 * emptied of the variables config_load reads, so only the file speaks.
 */
#include "backend/config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) {
        static const char *const vars[] = {
            "CODER_URL", "CODER_SESSION_TOKEN", "KUBECONFIG", "SCALETOP_DB", "SCALETOP_CONFIG",
            "PGHOST",    "PGSERVICE",           NULL};
        for (int i = 0; vars[i]; i++) {
            unsetenv(vars[i]);
        }
        setenv("HOME", "/nonexistent", 1);
        setenv("XDG_CONFIG_HOME", "/nonexistent", 1);
        setenv("XDG_STATE_HOME", "/nonexistent", 1);
        snprintf(path, sizeof path, "/tmp/scaletop-fuzz-config.%d", (int)getpid());
    }
    /* file values that name other files could block on a FIFO or a device */
    if (memmem(data, size, "/dev", 4) || memmem(data, size, "/proc", 5)) {
        return 0;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        return 0;
    }
    fwrite(data, 1, size, f);
    fclose(f);
    char a0[] = "scaletop", a1[] = "--config";
    char *argv[] = {a0, a1, path, NULL};
    struct config cfg;
    config_defaults(&cfg);
    char **rest = NULL;
    int nrest = 0;
    struct err e = {""};
    if (config_load(&cfg, 3, argv, NULL, &rest, &nrest, &e) < 0) {
        if (!memchr(e.msg, 0, sizeof e.msg) || !e.msg[0]) {
            abort();
        }
    } else if (!(cfg.interval_s > 0) || !(cfg.connect_timeout_s > 0)) {
        abort();
    }
    free(rest);
    config_fini(&cfg);
    unlink(path);
    return 0;
}
