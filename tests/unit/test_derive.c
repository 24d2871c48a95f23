/* derive: counter rates and histogram_quantile with Prometheus semantics. */
#include "backend/derive.h"
#include "tests/lib/test.h"

#include <math.h>

static double quantile(double q, const double *le, const double *cnt, size_t n)
{
    struct derive_bucket b[16];
    for (size_t i = 0; i < n; i++) {
        b[i].le = le[i];
        b[i].count = cnt[i];
    }
    return derive_histogram_quantile(q, b, n);
}

static const double LE4[] = {0.1, 0.5, 1, INFINITY};
static const double CNT4[] = {10, 60, 90, 100};

TEST(derive_quantile_hand_computed)
{
    /* rank 50 falls in (0.1, 0.5]: 0.1 + 0.4 * (50-10)/(60-10) */
    CHECK_NEAR(quantile(0.5, LE4, CNT4, 4), 0.42, 1e-12);
    /* rank 5 in the first bucket, which starts at 0 */
    CHECK_NEAR(quantile(0.05, LE4, CNT4, 4), 0.05, 1e-12);
    /* rank 90 exactly at a bound */
    CHECK_NEAR(quantile(0.9, LE4, CNT4, 4), 1.0, 1e-12);
    /* rank 95 lands in +Inf: the highest finite bound */
    CHECK_NEAR(quantile(0.95, LE4, CNT4, 4), 1.0, 1e-12);
    CHECK_NEAR(quantile(0, LE4, CNT4, 4), 0.0, 1e-12);
}

TEST(derive_quantile_unsorted_input_sorted)
{
    const double le[] = {INFINITY, 1, 0.1, 0.5};
    const double cnt[] = {100, 90, 10, 60};
    CHECK_NEAR(quantile(0.5, le, cnt, 4), 0.42, 1e-12);
}

TEST(derive_quantile_edge_cases_like_prometheus)
{
    const double no_inf_le[] = {0.1, 1};
    const double no_inf_cnt[] = {5, 10};
    CHECK(isnan(quantile(0.5, no_inf_le, no_inf_cnt, 2))); /* no +Inf bucket */
    const double zero[] = {0, 0, 0, 0};
    CHECK(isnan(quantile(0.5, LE4, zero, 4))); /* no observations */
    const double only_inf_le[] = {INFINITY};
    const double only_inf_cnt[] = {7};
    CHECK(isnan(quantile(0.5, only_inf_le, only_inf_cnt, 1))); /* fewer than two buckets */
    double q = quantile(-0.1, LE4, CNT4, 4);
    CHECK(isinf(q) && q < 0);
    q = quantile(1.1, LE4, CNT4, 4);
    CHECK(isinf(q) && q > 0);
    CHECK(isnan(quantile(NAN, LE4, CNT4, 4)));
    /* a first bucket with a bound <= 0 answers that bound */
    const double neg_le[] = {-1, INFINITY};
    const double neg_cnt[] = {5, 10};
    CHECK_NEAR(quantile(0.25, neg_le, neg_cnt, 2), -1, 1e-12);
}

TEST(derive_quantile_monotonicity_fixed)
{
    /* the 2 bucket went down (scrape race): treated as 10 */
    const double le[] = {1, 2, 3, INFINITY};
    const double cnt[] = {10, 8, 20, 20};
    CHECK_NEAR(quantile(0.5, le, cnt, 4), 1.0, 1e-12);
    CHECK_NEAR(quantile(0.75, le, cnt, 4), 2.5, 1e-12);
}

TEST(derive_hist_same_le_written_differently_is_one_bucket)
{
    struct derive_hist h;
    derive_hist_init(&h);
    /* le="1e+06" and le="1000000" parse to the same double */
    derive_hist_add(&h, 1e6, 4);
    derive_hist_add(&h, 1000000.0, 6);
    derive_hist_add(&h, INFINITY, 10);
    CHECK_INT(h.n, 2);
    CHECK_NEAR(derive_hist_quantile(&h, 0.5), 5e5, 1e-6);
}

TEST(derive_counter_increase_and_reset)
{
    CHECK_NEAR(derive_increase(100, 130), 30, 0);
    /* a drop is a restart: the new value is the increase */
    CHECK_NEAR(derive_increase(100, 20), 20, 0);
    CHECK(isnan(derive_increase(NAN, 5)));
    CHECK(isnan(derive_increase(5, NAN)));
    CHECK_NEAR(derive_rate(100, 130, 10), 3, 1e-12);
    CHECK_NEAR(derive_rate(100, 20, 10), 2, 1e-12);
    CHECK(isnan(derive_rate(1, 2, 0)));
    CHECK(isnan(derive_rate(1, 2, -5)));
}

TEST(derive_series_generations)
{
    struct derive_series *t = derive_series_new(16);
    uint64_t k1 = derive_hash("a", 1, DERIVE_HASH_SEED), k2 = derive_hash("b", 1, DERIVE_HASH_SEED);
    CHECK(!derive_series_has_prev(t));
    CHECK(isnan(derive_series_increase(t, k1, 100))); /* first scrape: no rate */
    derive_series_commit(t);
    CHECK(derive_series_has_prev(t));
    CHECK_NEAR(derive_series_increase(t, k1, 150), 50, 0);
    CHECK_NEAR(derive_series_increase(t, k2, 7), 7, 0); /* created since: counts from 0 */
    derive_series_commit(t);
    CHECK_NEAR(derive_series_increase(t, k1, 10), 10, 0);  /* reset */
    derive_series_abort(t);                                /* that scrape failed */
    CHECK_NEAR(derive_series_increase(t, k1, 160), 10, 0); /* still against 150 */
    derive_series_free(t);
}

TEST(derive_series_capacity_is_fixed)
{
    struct derive_series *t = derive_series_new(4);
    for (int i = 0; i < 4; i++) {
        (void)derive_series_increase(t, (uint64_t)(i + 10), 1);
    }
    derive_series_commit(t);
    CHECK_NEAR(derive_series_increase(t, 10, 3), 2, 0);
    for (int i = 1; i < 4; i++) {
        (void)derive_series_increase(t, (uint64_t)(i + 10), 1);
    }
    CHECK(isnan(derive_series_increase(t, 99, 5))); /* over the cap: ignored */
    derive_series_free(t);
}

/* The quantile of a window is computed from bucket increases, not from the
 * totals since the process started. */
TEST(derive_windowed_quantile_sees_only_the_window)
{
    struct derive_series *t = derive_series_new(64);
    const double le[] = {0.1, 1, INFINITY};
    const double before[] = {1000, 1000, 1000}; /* a fast past */
    const double after[] = {1000, 1000, 1100};  /* 100 slow requests now */
    struct derive_hist abs, win;
    derive_hist_init(&abs);
    derive_hist_init(&win);
    for (int i = 0; i < 3; i++) {
        (void)derive_series_increase(t, (uint64_t)(i + 1), before[i]);
    }
    derive_series_commit(t);
    for (int i = 0; i < 3; i++) {
        derive_hist_add(&win, le[i], derive_series_increase(t, (uint64_t)(i + 1), after[i]));
        derive_hist_add(&abs, le[i], after[i]);
    }
    CHECK_NEAR(derive_hist_quantile(&abs, 0.5), 0.055, 1e-12); /* 0.1 * 550/1000 */
    CHECK_NEAR(derive_hist_quantile(&win, 0.5), 1.0, 1e-12);   /* all in +Inf: top bound */
    derive_series_free(t);
}

/* One series restarting must not cancel the growth of another: increases
 * are taken per series, then summed. */
TEST(derive_reset_of_one_series_kept_apart)
{
    struct derive_series *t = derive_series_new(64);
    (void)derive_series_increase(t, 1, 100);
    (void)derive_series_increase(t, 2, 50);
    derive_series_commit(t);
    double sum = derive_series_increase(t, 1, 5) + derive_series_increase(t, 2, 70);
    CHECK_NEAR(sum, 25, 0);
    derive_series_free(t);
}

TEST(derive_aggregate_across_replicas_sums_by_le)
{
    struct derive_hist a, b, all;
    derive_hist_init(&a);
    derive_hist_init(&b);
    derive_hist_init(&all);
    derive_hist_add(&a, 0.1, 10);
    derive_hist_add(&a, 0.5, 10);
    derive_hist_add(&a, INFINITY, 10);
    derive_hist_add(&b, INFINITY, 90);
    derive_hist_add(&b, 0.5, 90);
    derive_hist_add(&b, 0.1, 0);
    CHECK_NEAR(derive_hist_quantile(&a, 0.5), 0.05, 1e-12);
    CHECK_NEAR(derive_hist_quantile(&b, 0.5), 0.3, 1e-12);
    derive_hist_merge(&all, &a);
    derive_hist_merge(&all, &b);
    /* merged: 0.1:10, 0.5:100, +Inf:100 -> 0.1 + 0.4 * 40/90 */
    CHECK_NEAR(derive_hist_quantile(&all, 0.5), 0.1 + 0.4 * 40.0 / 90.0, 1e-12);
    CHECK(isnan(derive_hist_quantile(&(struct derive_hist){0}, 0.5)));
}

TEST(derive_series_grows_to_many_series)
{
    struct derive_series *t = derive_series_new(100000);
    for (uint64_t k = 1; k <= 20000; k++) {
        (void)derive_series_increase(t, k * 0x9e3779b97f4a7c15ULL, (double)k);
    }
    derive_series_commit(t);
    int bad = 0;
    for (uint64_t k = 1; k <= 20000; k++) {
        double inc = derive_series_increase(t, k * 0x9e3779b97f4a7c15ULL, (double)k + 3);
        bad += inc != 3;
    }
    CHECK_INT(bad, 0);
    derive_series_free(t);
}
