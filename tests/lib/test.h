/*
 * A small unit-test harness: TEST() registers a case, CHECK*() record failures
 * without stopping the case, and the runner prints one line per case,
 * "ok NAME" or "FAIL NAME: file:line: what", which tests/run.sh totals.
 */
#ifndef SCALETOP_TEST_H
#define SCALETOP_TEST_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef void (*test_fn)(void);

/* Registers a test case; called from the constructor TEST() emits. */
void test_register(const char *name, test_fn fn);

/* Records one failure of the running case with a printf-style message. */
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Path of a file under the shared fixtures (SHARED env var, default ../shared);
 * returns a static buffer overwritten by the next call. */
const char *test_shared_path(const char *rel);

/* Reads a whole file into a NUL-terminated malloc'd buffer (caller frees);
 * NULL if it cannot be read. *len_out may be NULL. */
char *test_read_file(const char *path, size_t *len_out);

/* Compares text with tests/golden/NAME; with SCALETOP_GOLDEN_UPDATE=1 rewrites
 * the file instead. Returns 1 when equal (or updated), 0 and a failure if not. */
int test_golden(const char *file, int line, const char *name, const char *actual);

#define TEST(name)                                                                                 \
    static void test_##name(void);                                                                 \
    __attribute__((constructor)) static void test_reg_##name(void)                                 \
    {                                                                                              \
        test_register(#name, test_##name);                                                         \
    }                                                                                              \
    static void test_##name(void)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            test_fail(__FILE__, __LINE__, "%s", #cond);                                            \
    } while (0)

#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_)                                                                              \
            test_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", #a, a_, b_);                \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                                     \
            test_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)", \
                      b_ ? b_ : "(null)");                                                         \
    } while (0)

#define CHECK_NEAR(a, b, eps)                                                                      \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(a_ - b_ <= (eps) && b_ - a_ <= (eps)))                                               \
            test_fail(__FILE__, __LINE__, "%s == %.9g, expected %.9g", #a, a_, b_);                \
    } while (0)

#define CHECK_GOLDEN(name, text) test_golden(__FILE__, __LINE__, (name), (text))

#endif
