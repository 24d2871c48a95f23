/*
 * The unit-test runner behind tests/lib/test.h. Cases run in registration
 * order; argv[1], if given, runs only the cases whose name contains it. The
 * exit status is 1 when any case failed.
 */
#include "tests/lib/test.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>

#define TEST_MAX 1024

struct test_case {
    const char *name;
    test_fn fn;
};

static struct test_case cases[TEST_MAX];
static int ncases;
static int current_failures;
static const char *current_name;

void test_register(const char *name, test_fn fn)
{
    if (ncases < TEST_MAX) {
        cases[ncases].name = name;
        cases[ncases].fn = fn;
        ncases++;
    }
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    if (current_failures++ > 5) {
        return;
    }
    printf("FAIL %s: %s:%d: ", current_name, file, line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

const char *test_shared_path(const char *rel)
{
    static char buf[4096];
    const char *shared = getenv("SHARED");
    snprintf(buf, sizeof buf, "%s/%s", shared && *shared ? shared : "../shared", rel);
    return buf;
}

char *test_read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (!f) {
        return NULL;
    }
    for (;;) {
        if (len + 65536 + 1 > cap) {
            cap = cap ? cap * 2 : 131072;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0) {
            break;
        }
    }
    fclose(f);
    buf[len] = '\0';
    if (len_out) {
        *len_out = len;
    }
    return buf;
}

static void mkdirs_for(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
                return;
            }
            *p = '/';
        }
    }
}

int test_golden(const char *file, int line, const char *name, const char *actual)
{
    char path[4096];
    snprintf(path, sizeof path, "tests/golden/%s", name);
    const char *upd = getenv("SCALETOP_GOLDEN_UPDATE");
    if (upd && *upd == '1') {
        mkdirs_for(path);
        FILE *f = fopen(path, "wb");
        if (!f) {
            test_fail(file, line, "cannot write golden %s", path);
            return 0;
        }
        fputs(actual, f);
        fclose(f);
        return 1;
    }
    char *want = test_read_file(path, NULL);
    if (!want) {
        test_fail(file, line, "golden %s missing (make golden-update)", path);
        return 0;
    }
    int same = strcmp(want, actual) == 0;
    if (!same) {
        /* Point at the first differing line so the log says what changed. */
        const char *a = actual, *w = want;
        int ln = 1;
        while (*a && *a == *w) {
            if (*a == '\n') {
                ln++;
            }
            a++;
            w++;
        }
        test_fail(file, line, "golden %s differs at line %d", path, ln);
    }
    free(want);
    return same;
}

int main(int argc, char **argv)
{
    int failed = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 0; i < ncases; i++) {
        if (argc > 1 && !strstr(cases[i].name, argv[1])) {
            continue;
        }
        current_name = cases[i].name;
        current_failures = 0;
        cases[i].fn();
        if (current_failures) {
            failed++;
        } else {
            printf("ok %s\n", cases[i].name);
        }
    }
    return failed ? 1 : 0;
}
