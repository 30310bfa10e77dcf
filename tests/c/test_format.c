/* test_format.c: the formatting engine (interp/core/format.c) from C: the
 * statistics against a naive element walk over every dtype and layout, the
 * repr's independence from layout, the digest text, and the device hook
 * that prints a tensor living off the host. Exact repr layouts against
 * PyTorch are checked from Lua (tests/lua/test_print.lua). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "kcheck.h"

/* The oracle: every element through tsh_load_f64 by recursive indexing. */
static void naive_walk(const tsh_tensor *t, int d, const char *p, double *acc, int pass, double mean)
{
    if (d == t->ndim) {
        double v = tsh_load_f64(t->dtype, p);
        if (!isfinite(v)) return;
        if (pass == 1) {
            acc[0] += 1;
            acc[1] += v;
            acc[2] = acc[0] == 1 ? v : fmin(acc[2], v);
            acc[3] = acc[0] == 1 ? v : fmax(acc[3], v);
        } else {
            acc[4] += (v - mean) * (v - mean);
        }
        return;
    }
    for (int64_t i = 0; i < t->shape[d]; i++)
        naive_walk(t, d + 1, p + i * t->stride[d] * (int64_t)tsh_dtype_size(t->dtype), acc, pass, mean);
}

static void test_stats_layouts(void)
{
    for (int iter = 0; iter < 200; iter++) {
        int64_t shape[TSH_MAX_DIMS];
        int nd = kc_rand_shape(4, 7, 1, shape);
        tsh_dtype dt = (tsh_dtype)(iter % TSH_DTYPE_COUNT);
        kc_layout lay = (kc_layout)(iter / TSH_DTYPE_COUNT % KC_LAYOUT_COUNT);
        tsh_tensor *t = kc_tensor(nd, shape, dt, lay, -20, 30);
        tsh_stats s;
        KC_CHECK(tsh_tensor_stats(t, &s) == TSH_OK, "stats: %s", tsh_errmsg());
        double acc[5] = {0};
        if (tsh_numel(t)) naive_walk(t, 0, tsh_data(t), acc, 1, 0);
        double mean = acc[0] ? acc[1] / acc[0] : NAN;
        if (tsh_numel(t)) naive_walk(t, 0, tsh_data(t), acc, 2, mean);
        char sh[64];
        tsh_shape_str(sh, sizeof sh, t->ndim, t->shape);
        KC_CHECK(s.n == tsh_numel(t) && s.finite == (int64_t)acc[0], "count %s %s", sh, tsh_dtype_name(dt));
        if (acc[0] > 0) {
            KC_CHECK(s.min == acc[2] && s.max == acc[3], "min/max %s %s: %g %g vs %g %g", sh,
                     tsh_dtype_name(dt), s.min, s.max, acc[2], acc[3]);
            KC_CHECK(fabs(s.mean - mean) <= 1e-9 * (1 + fabs(mean)), "mean %s %s", sh, tsh_dtype_name(dt));
        }
        if (acc[0] > 1) {
            double sd = sqrt(acc[4] / (acc[0] - 1));
            KC_CHECK(fabs(s.std - sd) <= 1e-9 * (1 + sd), "std %s %s: %g vs %g", sh, tsh_dtype_name(dt), s.std, sd);
        } else {
            KC_CHECK(isnan(s.std), "std of fewer than 2 values is nan");
        }
        tsh_tensor_release(t);
    }
}

static char *repr(const tsh_tensor *t, const tsh_printopts *o)
{
    char *s = NULL;
    if (tsh_format_tensor(t, o, NULL, &s, NULL) != TSH_OK) return NULL;
    return s;
}

/* A view prints exactly as its contiguous copy, summarised or not. */
static void test_repr_layouts(void)
{
    tsh_printopts o = tsh_print_options, small = o;
    small.threshold = 20;
    small.edgeitems = 2;
    for (int iter = 0; iter < 160; iter++) {
        int64_t shape[TSH_MAX_DIMS];
        int nd = kc_rand_shape(4, 9, 1, shape);
        tsh_dtype dt = (tsh_dtype)(iter % TSH_DTYPE_COUNT);
        kc_layout lay = (kc_layout)(1 + iter % (KC_LAYOUT_COUNT - 1));
        tsh_tensor *t = kc_tensor(nd, shape, dt, lay, -1000, 1000), *c;
        KC_CHECK(tsh_clone(t, &c) == TSH_OK, "clone");
        const tsh_printopts *op = iter % 2 ? &small : &o;
        char *a = repr(t, op), *b = repr(c, op);
        KC_CHECK(a && b && strcmp(a, b) == 0, "layout changed the text:\n%s\n%s", a ? a : "?", b ? b : "?");
        free(a);
        free(b);
        tsh_tensor_release(t);
        tsh_tensor_release(c);
    }
}

static tsh_tensor *from(int n, const double *v, tsh_dtype dt)
{
    int64_t sh[1] = {n};
    tsh_tensor *t;
    tsh_tensor_empty(1, sh, dt, tsh_cpu_device(), &t);
    for (int i = 0; i < n; i++) tsh_store_f64(dt, tsh_data(t) + i * (int64_t)tsh_dtype_size(dt), v[i]);
    return t;
}

static void expect_summary(const tsh_tensor *t, const char *want)
{
    char *s = NULL;
    KC_CHECK(tsh_format_summary(t, &s) == TSH_OK && strcmp(s, want) == 0, "summary: got '%s', want '%s'",
             s ? s : tsh_errmsg(), want);
    free(s);
}

static void test_summary(void)
{
    double a[] = {1.5, NAN, 2.5, INFINITY, -INFINITY, NAN, 3.5};
    tsh_tensor *t = from(7, a, TSH_F32);
    expect_summary(t, "tensor[7] f32 28B x∈[1.5,3.5] μ=2.5 σ=1.0 NaN!2 +Inf!1 -Inf!1");
    tsh_tensor_release(t);
    double b[] = {NAN, INFINITY};
    t = from(2, b, TSH_F64);
    expect_summary(t, "tensor[2] f64 16B NaN!1 +Inf!1");
    tsh_tensor_release(t);
    double c[] = {0, 255, 3, 2};
    t = from(4, c, TSH_U8);
    expect_summary(t, "tensor[4] u8 4B x∈[0,255] μ=65.0 σ=126.673");
    tsh_tensor_release(t);
    double d[] = {1e6, -2e-5};
    t = from(2, d, TSH_F64);
    expect_summary(t, "tensor[2] f64 16B x∈[-2.00e-05,1.00e+06] μ=5.00e+05 σ=7.07e+05");
    tsh_tensor_release(t);
    int64_t sh[3] = {1024, 1024, 2};
    tsh_tensor_empty(3, sh, TSH_F16, tsh_cpu_device(), &t);
    tsh_fill_(t, 0);
    expect_summary(t, "tensor[1024,1024,2] f16 n=2097152 4MiB all_zeros");
    tsh_tensor_release(t);
    tsh_scalar_i64(1, TSH_BOOL, false, &t);
    expect_summary(t, "tensor[] bool 1B x=true");
    tsh_tensor_release(t);
}

/* A stand-in for a device: storage marked cuda:1 whose bytes are host
 * memory, and a to-host hook that copies them into a CPU tensor. */
static int hook_calls;
static tsh_status fake_to_host(const tsh_tensor *t, tsh_tensor **out)
{
    hook_calls++;
    tsh_tensor *h;
    TSH_TRY(tsh_tensor_empty(t->ndim, t->shape, t->dtype, tsh_cpu_device(), &h));
    memcpy(tsh_data(h), tsh_data(t), (size_t)tsh_numel(t) * tsh_dtype_size(t->dtype));
    *out = h;
    return TSH_OK;
}

static void test_device_hook(void)
{
    double v[] = {1, 2, 3};
    tsh_tensor *t = from(3, v, TSH_I32);
    t->storage->device = (tsh_device){TSH_CUDA, 1};
    char *s = NULL;
    tsh_status st = tsh_format_tensor(t, &tsh_print_options, NULL, &s, NULL);
    KC_CHECK(st == TSH_ERR_DEVICE && strstr(tsh_errmsg(), "cuda:1"), "no hook: a clear error naming the device");
    tsh_format_to_host = fake_to_host;
    st = tsh_format_tensor(t, &tsh_print_options, NULL, &s, NULL);
    KC_CHECK(st == TSH_OK && strcmp(s, "tensor([1, 2, 3], device='cuda:1', dtype=int32)") == 0, "device suffix: %s",
             s ? s : tsh_errmsg());
    free(s);
    s = NULL;
    const char *extra[] = {"requires_grad=true", NULL};
    st = tsh_format_tensor(t, &tsh_print_options, extra, &s, NULL);
    KC_CHECK(st == TSH_OK && strcmp(s, "tensor([1, 2, 3], device='cuda:1', dtype=int32, requires_grad=true)") == 0,
             "extra suffix: %s", s ? s : tsh_errmsg());
    free(s);
    expect_summary(t, "tensor[3] i32 12B x∈[1,3] μ=2.0 σ=1.0 cuda:1");
    KC_CHECK(hook_calls == 3, "hook called once per print (%d)", hook_calls);
    tsh_format_to_host = NULL;
    t->storage->device = tsh_cpu_device();
    tsh_tensor_release(t);
}

static void test_interrupt(void)
{
    int64_t sh[2] = {300, 3}; /* rows of 1 after a transpose: many rows */
    tsh_tensor *t, *v;
    tsh_tensor_empty(2, sh, TSH_F32, tsh_cpu_device(), &t);
    tsh_fill_(t, 1);
    tsh_transpose(t, 0, 1, &v);
    tsh_stats s;
    tsh_interrupt_flag = 1;
    KC_CHECK(tsh_tensor_stats(v, &s) == TSH_ERR_INTERRUPT, "stats stop on Ctrl-C");
    char *text = NULL;
    tsh_printopts full = tsh_print_options;
    tsh_printopts_profile("full", &full);
    KC_CHECK(tsh_format_tensor(v, &full, NULL, &text, NULL) == TSH_ERR_INTERRUPT && !text,
             "printing stops on Ctrl-C");
    tsh_interrupt_flag = 0;
    KC_CHECK(tsh_tensor_stats(v, &s) == TSH_OK && s.mean == 1, "and work again after");
    KC_CHECK(tsh_format_tensor(v, &full, NULL, &text, NULL) == TSH_OK && strlen(text) > 1800, "print again");
    free(text);
    tsh_tensor_release(v);
    tsh_tensor_release(t);
}

int main(void)
{
    tsh_backends_init();
    kc_seed(3);
    test_stats_layouts();
    test_repr_layouts();
    test_summary();
    test_device_hook();
    test_interrupt();
    return kc_finish();
}
