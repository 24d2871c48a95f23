/* text_clean: what reaches storage from a deployment is always harmless. */
#include "backend/text.h"
#include "tests/lib/test.h"

#include <stdlib.h>

static char *clean(const char *s)
{
    return text_clean(s, strlen(s));
}

static int has_byte_below_space(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return 1;
        }
    }
    return 0;
}

TEST(text_plain_passes)
{
    char *o = clean("coder-7f9c-2 eu-west ü 日本");
    CHECK_STR(o, "coder-7f9c-2 eu-west ü 日本");
    free(o);
}

TEST(text_csi_removed_whole)
{
    char *o = clean("host\x1b[31;1mRED\x1b[0m");
    CHECK_STR(o, "hostRED");
    free(o);
}

TEST(text_osc52_clipboard_removed)
{
    char *o = clean("a\x1b]52;c;ZWNobyBwd25lZA==\x07"
                    "b\x1b]0;title\x1b\\c");
    CHECK_STR(o, "abc");
    free(o);
}

TEST(text_c1_and_bel_removed)
{
    char *o = clean("x\x07y\xc2\x9b"
                    "31mz\xc2\x85w");
    CHECK_STR(o, "xyzw");
    CHECK(!has_byte_below_space(o));
    free(o);
}

TEST(text_bidi_override_removed)
{
    char *o = clean("admin\xe2\x80\xae"
                    "gpj.exe\xe2\x81\xa6");
    CHECK_STR(o, "admingpj.exe");
    free(o);
}

TEST(text_invalid_utf8_replaced)
{
    char *o = clean("a\xff\xfe"
                    "b\xc3");
    CHECK_STR(o, "a\xef\xbf\xbd\xef\xbf\xbd"
                 "b\xef\xbf\xbd");
    free(o);
    o = clean("\xed\xa0\x80"); /* a UTF-16 surrogate is not UTF-8 */
    CHECK(strstr(o, "\xed\xa0\x80") == NULL);
    free(o);
    o = clean("\xc0\xaf"); /* overlong '/' */
    CHECK(strchr(o, '/') == NULL);
    free(o);
}

TEST(text_newlines_become_spaces)
{
    char *o = clean("line1\nline2\r\tend");
    CHECK_STR(o, "line1 line2  end");
    free(o);
}

TEST(text_long_value_capped_with_ellipsis)
{
    size_t n = 100000;
    char *big = malloc(n + 1);
    memset(big, 'a', n);
    big[n] = '\0';
    char *o = text_clean(big, n);
    CHECK(strlen(o) <= TEXT_MAX_BYTES + 3);
    CHECK(strstr(o, "\xe2\x80\xa6") != NULL);
    free(o);
    /* All-invalid input expands 3x per byte and must still fit. */
    memset(big, 0xff, n);
    o = text_clean(big, n);
    CHECK(strlen(o) <= TEXT_MAX_BYTES + 3);
    free(o);
    free(big);
}

TEST(text_truncated_escape_at_end)
{
    char *o = clean("ok\x1b[12;");
    CHECK_STR(o, "ok");
    free(o);
    o = clean("ok\x1b]52;c;AAAA");
    CHECK_STR(o, "ok");
    free(o);
}
