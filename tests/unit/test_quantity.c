/* quantity_parse: every notation of reference/postgres-k8s.md §B3 and the
 * fixture README's spot checks, plus the inputs the API server rejects. */
#include "backend/quantity.h"
#include "tests/lib/test.h"

#include <math.h>

static double q(const char *s)
{
    double v = NAN;
    struct err e = {{0}};
    if (quantity_parse(s, &v, &e) != 0) {
        test_fail(__FILE__, __LINE__, "\"%s\" rejected: %s", s, e.msg);
        return NAN;
    }
    return v;
}

static int rejected(const char *s, const char *want_in_msg)
{
    double v = 42;
    struct err e = {{0}};
    if (quantity_parse(s, &v, &e) == 0) {
        return 0;
    }
    return v == 42 && strstr(e.msg, "malformed quantity") && strstr(e.msg, want_in_msg);
}

TEST(quantity_fixture_spot_checks)
{
    CHECK(q("500m") == 0.5);
    CHECK(q("64Gi") == 68719476736.0);
    CHECK(q("2e3") == 2000.0);
    CHECK(q("0.1") == 0.1);
    CHECK(q("1.5Gi") == 1610612736.0);
    CHECK(q("100Mi") == 104857600.0);
    CHECK(q("1.5") == 1.5);
    CHECK(q("1E") == 1e18); /* exa, not an exponent */
    CHECK(q("1e3") == 1000.0);
}

TEST(quantity_real_node_values)
{
    CHECK(q("8063156Ki") == 8256671744.0);
    CHECK(q("8163684Ki") == 8359612416.0);
    CHECK(q("16954240Ki") == 17361141760.0);
    CHECK(q("15625027559") == 15625027559.0);
    CHECK(q("110") == 110.0);
    CHECK(q("4") == 4.0);
    CHECK(q("333Mi") == 333.0 * 1048576);
    CHECK(q("333m") == 0.333);
}

TEST(quantity_binary_suffixes)
{
    CHECK(q("1Ki") == 1024.0);
    CHECK(q("1Mi") == 1048576.0);
    CHECK(q("1Gi") == 1073741824.0);
    CHECK(q("1Ti") == 1099511627776.0);
    CHECK(q("1Pi") == 1125899906842624.0);
    CHECK(q("1Ei") == 1152921504606846976.0);
    CHECK(q("0.5Ki") == 512.0);
}

TEST(quantity_decimal_suffixes)
{
    CHECK(q("1n") == 1e-9);
    CHECK(q("1u") == 1e-6);
    CHECK(q("1m") == 0.001);
    CHECK(q("1k") == 1000.0);
    CHECK(q("1M") == 1e6);
    CHECK(q("1G") == 1e9);
    CHECK(q("1T") == 1e12);
    CHECK(q("1P") == 1e15);
    CHECK(q("1k") != q("1Ki"));
    CHECK(q("250000000n") == 0.25);
}

TEST(quantity_exponents_and_signs)
{
    CHECK(q("1E-3") == 0.001);
    CHECK(q("1e+3") == 1000.0);
    CHECK(q("5E3") == 5000.0);
    CHECK(q("-500m") == -0.5);
    CHECK(q("+2") == 2.0);
    CHECK(q("-1.5Gi") == -1610612736.0);
    CHECK(q("1.5e2") == 150.0);
}

TEST(quantity_number_forms)
{
    CHECK(q("1.") == 1.0); /* accepted by the API server today */
    CHECK(q(".5") == 0.5);
    CHECK(q("0") == 0.0);
    CHECK(q("0Gi") == 0.0);
    CHECK(q("007") == 7.0);
    CHECK(q("0.000") == 0.0);
}

TEST(quantity_rounds_up_to_nano)
{
    CHECK_NEAR(q("0.00000012345"), 124e-9, 1e-18);
    CHECK_NEAR(q("-0.00000012345"), -124e-9, 1e-18);
    CHECK_NEAR(q("0.1n"), 1e-9, 1e-18);
    CHECK_NEAR(q("0.0000000019999"), 2e-9, 1e-18);
    CHECK_NEAR(q("0.9999999999"), 1.0, 1e-15);
}

TEST(quantity_large_values_kept)
{
    CHECK(q("1.0000000000000000001E") == 1e18);
    CHECK(q("8Ei") == 9223372036854775808.0);
}

TEST(quantity_malformed_rejected)
{
    CHECK(rejected("", "empty"));
    CHECK(rejected("1K", "kilo is \"k\""));
    CHECK(rejected("1e", "unknown suffix"));
    CHECK(rejected("1e+", "exponent without digits"));
    CHECK(rejected("1e3.5", "bad exponent"));
    CHECK(rejected("abc", "no digits"));
    CHECK(rejected(".", "no digits"));
    CHECK(rejected("-", "no digits"));
    CHECK(rejected("1.2.3", "unknown suffix"));
    CHECK(rejected("1 Gi", "unknown suffix"));
    CHECK(rejected(" 1", "no digits"));
    CHECK(rejected("1Gi ", "unknown suffix"));
    CHECK(rejected("1GiB", "unknown suffix"));
    CHECK(rejected("1gi", "unknown suffix"));
    CHECK(rejected("1mi", "unknown suffix"));
    CHECK(rejected("1x", "unknown suffix"));
    CHECK(rejected("--1", "no digits"));
    CHECK(rejected("1e99999", "out of range"));
    CHECK(rejected("1\x1b[31m", "unknown suffix"));
}

TEST(quantity_error_names_the_input_safely)
{
    double v;
    struct err e = {{0}};
    CHECK(quantity_parse("12\x1bZZ", &v, &e) != 0);
    CHECK(strstr(e.msg, "\"12?ZZ\"") != NULL);
    char longq[300];
    memset(longq, '9', sizeof longq - 1);
    longq[sizeof longq - 1] = '\0';
    CHECK(quantity_parse(longq, &v, &e) != 0);
    CHECK(strstr(e.msg, "too long") != NULL);
}

TEST(quantity_parsen_respects_length)
{
    double v = 0;
    struct err e = {{0}};
    CHECK(quantity_parsen("500mXYZ", 4, &v, &e) == 0);
    CHECK(v == 0.5);
}
