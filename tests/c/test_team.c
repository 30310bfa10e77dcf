/* test_team.c: the CPU thread team under load (kernels/cpu/threads.c). The
 * policy is driven with made-up times, so nothing here depends on how busy
 * the machine is; then the real team is shrunk by hand, to check what a user
 * and the kernels see meanwhile, and that ops still give right answers. */
#include <omp.h>

#include "cpu/iter.h"
#include "kcheck.h"
#include "reduce.h"

/* A region that began at t0, whose first thread was done after `share`
 * seconds and whose last thread `gap` seconds after that. */
static bool region(tsh_team *w, double t0, double share, double gap)
{
    return tsh_team_note(w, t0, t0 + share, t0 + share + gap);
}

static void test_policy(void)
{
    tsh_team w = {0};
    KC_CHECK(!region(&w, 0, 0.001, 0.0001), "an even region shrinks nothing");
    KC_CHECK(!region(&w, 1, 0.005, 0.0055), "a gap the share explains (5.5 ms after 5 ms) is not late");
    KC_CHECK(!region(&w, 2, 0.0002, 0.004), "one late region alone does not shrink the team");
    KC_CHECK(!region(&w, 3, 0.0002, 0.0001), "an even region in between...");
    KC_CHECK(!region(&w, 4, 0.0002, 0.004), "...starts the count again");
    KC_CHECK(w.until == 0, "no shrink yet, until %g", w.until);

    KC_CHECK(region(&w, 5, 0.0002, 0.004), "the second late region in a row shrinks the team");
    double end = 5 + 0.0002 + 0.004;
    KC_CHECK(w.until == end + 0.02, "the first shrink lasts 20 ms (until %g, want %g)", w.until, end + 0.02);
    KC_CHECK(!tsh_team_expired(&w, end + 0.019), "still shrunk at 19 ms");
    KC_CHECK(tsh_team_expired(&w, end + 0.02), "over at 20 ms");
    KC_CHECK(w.until == 0 && !tsh_team_expired(&w, end + 1), "over once");

    /* the load lasts: each shrink soon after the last one lasts twice as
     * long, up to 1 s; an even region between does not change that */
    double want[] = {0.04, 0.08, 0.16, 0.32, 0.64, 1.0, 1.0};
    double t = end + 0.5;
    for (int i = 0; i < 7; i++) {
        KC_CHECK(!region(&w, t, 0.0002, 0.0001), "an even region");
        region(&w, t + 0.01, 0.0002, 0.004);
        KC_CHECK(region(&w, t + 0.02, 0.0002, 0.004), "shrink %d", i + 2);
        double last = t + 0.02 + 0.0002 + 0.004;
        KC_CHECK(w.until > last + want[i] - 1e-9 && w.until < last + want[i] + 1e-9, "shrink %d lasts %g s, want %g",
                 i + 2, w.until - last, want[i]);
        double until = w.until;
        KC_CHECK(tsh_team_expired(&w, until), "shrink %d ends", i + 2);
        t = until + 0.5; /* 0.5 s whole: the load is still there */
    }

    /* the load is gone: 2 s whole, and the next shrink is 20 ms again */
    t += 2;
    region(&w, t, 0.0002, 0.004);
    KC_CHECK(region(&w, t + 0.01, 0.0002, 0.004), "late again");
    double last = t + 0.01 + 0.0002 + 0.004;
    KC_CHECK(w.until > last + 0.02 - 1e-9 && w.until < last + 0.02 + 1e-9, "back to 20 ms, got %g", w.until - last);
}

/* The process's own team, shrunk by two reported late regions that end 10 s
 * from now (so that the shrink outlasts the test). */
static void test_shrunk_team(void)
{
    tsh_set_num_threads(2);
    KC_CHECK(tsh_get_num_threads() == 2 && omp_get_max_threads() == 2, "2 threads to begin with");
    double now = tsh_team_clock();
    tsh_team_report(now, now + 0.001, now + 10);
    KC_CHECK(omp_get_max_threads() == 2, "one late region leaves the team whole");
    tsh_team_report(now, now + 0.001, now + 10);
    KC_CHECK(omp_get_max_threads() == 1, "two shrink it: OpenMP's count is %d", omp_get_max_threads());
    KC_CHECK(tsh_team_threads() == 1, "regions run on one thread meanwhile");
    KC_CHECK(tsh_get_num_threads() == 2, "the user's count is still 2, got %d", tsh_get_num_threads());
    tsh_set_num_threads(3);
    KC_CHECK(tsh_get_num_threads() == 3 && omp_get_max_threads() == 1,
             "set_num_threads while shrunk is remembered (%d) and waits (%d)", tsh_get_num_threads(),
             omp_get_max_threads());

    /* ops on the shrunk team: a sum over many chunks, on one thread */
    int64_t n = 1 << 20;
    tsh_tensor *x, *s;
    KC_CHECK(tsh_full(1, &n, 0.5, TSH_F64, (tsh_device){TSH_CPU, 0}, &x) == TSH_OK, "full");
    KC_CHECK(tsh_sum(x, &TSH_REDUCE_ALL, &s) == TSH_OK && tsh_load_f64(TSH_F64, tsh_data(s)) == 0.5 * (double)n,
             "the sum is right on the shrunk team");
    tsh_tensor_release(s);
    tsh_tensor_release(x);
}

int main(void)
{
    tsh_backends_init();
    test_policy();
    test_shrunk_team();
    return kc_finish();
}
