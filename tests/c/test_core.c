/* test_core.c: the core's own invariants: the op table, views, copies
 * (every dtype pair, every layout) against the reference kernels, promotion. */
#include <math.h>
#include <string.h>

#include "kcheck.h"

static void test_op_table(void)
{
    for (int op = 0; op < TSH_OP_COUNT; op++) {
        KC_CHECK(tsh_op_infos[op].name != NULL, "op %d has no info entry", op);
        if (tsh_op_infos[op].name)
            KC_CHECK(tsh_op_from_name(tsh_op_infos[op].name) == (tsh_op)op, "op name %s not unique",
                     tsh_op_infos[op].name);
    }
}

static void test_copy_all_pairs(void)
{
    for (int iter = 0; iter < 40; iter++) {
        int64_t shape[TSH_MAX_DIMS];
        int nd = kc_rand_shape(4, 6, 1, shape);
        for (int s = 0; s < TSH_DTYPE_COUNT; s++)
            for (int d = 0; d < TSH_DTYPE_COUNT; d++) {
                kc_layout lay = (kc_layout)(iter % KC_LAYOUT_COUNT);
                tsh_tensor *src = kc_tensor(nd, shape, (tsh_dtype)s, lay, -50, 50);
                tsh_tensor *a, *b;
                kc_use_ref(1);
                tsh_status st1 = tsh_to_dtype(src, (tsh_dtype)d, &a);
                kc_use_ref(0);
                tsh_status st2 = tsh_clone(src, &b);
                tsh_tensor *c = NULL;
                if (st2 == TSH_OK) st2 = tsh_to_dtype(b, (tsh_dtype)d, &c);
                char what[64];
                snprintf(what, sizeof what, "copy %s->%s", tsh_dtype_name((tsh_dtype)s), tsh_dtype_name((tsh_dtype)d));
                KC_CHECK(st1 == TSH_OK && st2 == TSH_OK && kc_compare(what, c, a, 0, 0), "%s", what);
                tsh_tensor_release(a);
                tsh_tensor_release(b);
                tsh_tensor_release(c);
                tsh_tensor_release(src);
            }
    }
}

static void test_promotion(void)
{
    tsh_tensor *f32, *i64, *i32s, *wf, *wi, *b;
    int64_t sh[1] = {3};
    tsh_tensor_empty(1, sh, TSH_F32, tsh_cpu_device(), &f32);
    tsh_tensor_empty(1, sh, TSH_I64, tsh_cpu_device(), &i64);
    tsh_tensor_empty(1, sh, TSH_BOOL, tsh_cpu_device(), &b);
    tsh_scalar_i64(1, TSH_I32, false, &i32s);
    tsh_scalar_f64(1.5, TSH_F64, true, &wf);
    tsh_scalar_i64(2, TSH_I64, true, &wi);
    tsh_tensor *t1[] = {i64, wf}, *t2[] = {f32, wf}, *t3[] = {i32s, wi}, *t4[] = {b, wi}, *t5[] = {f32, i64};
    tsh_tensor *t6[] = {i32s, i64};
    KC_CHECK(tsh_result_type(2, t1) == TSH_F32, "int64 + 1.5 -> float32");
    KC_CHECK(tsh_result_type(2, t2) == TSH_F32, "float32 + 1.5 -> float32");
    KC_CHECK(tsh_result_type(2, t3) == TSH_I32, "int32 scalar tensor + 2 -> int32");
    KC_CHECK(tsh_result_type(2, t4) == TSH_I64, "bool + 2 -> int64");
    KC_CHECK(tsh_result_type(2, t5) == TSH_F32, "float32 + int64 -> float32");
    KC_CHECK(tsh_result_type(2, t6) == TSH_I64, "int32 0-dim + int64 1-d -> int64");
    KC_CHECK(tsh_promote(TSH_F16, TSH_BF16) == TSH_F32, "f16 + bf16 -> f32");
    KC_CHECK(tsh_promote(TSH_U8, TSH_I32) == TSH_I32, "u8 + i32 -> i32");
    tsh_tensor_release(f32); tsh_tensor_release(i64); tsh_tensor_release(b);
    tsh_tensor_release(i32s); tsh_tensor_release(wf); tsh_tensor_release(wi);
}

static void test_views(void)
{
    int64_t sh[3] = {2, 3, 4}, nsh[2] = {6, 4}, bad[2] = {5, 5};
    tsh_tensor *t, *v, *tr, *w = NULL;
    tsh_tensor_empty(3, sh, TSH_F32, tsh_cpu_device(), &t);
    KC_CHECK(tsh_view(t, 2, nsh, &v) == TSH_OK && v->storage == t->storage, "view shares storage");
    KC_CHECK(tsh_view(t, 2, bad, &w) == TSH_ERR_SHAPE && strstr(tsh_errmsg(), "invalid"), "bad view: %s", tsh_errmsg());
    tsh_transpose(t, 0, 2, &tr);
    KC_CHECK(!tsh_is_contiguous(tr), "transpose is not contiguous");
    KC_CHECK(tsh_view(tr, 2, nsh, &w) == TSH_ERR_SHAPE, "view of a transpose fails");
    tsh_tensor *r;
    KC_CHECK(tsh_reshape(tr, 2, nsh, &r) == TSH_OK && r->storage != t->storage, "reshape copies");
    tsh_tensor_release(r);
    int64_t big[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    KC_CHECK(tsh_tensor_empty(9, big, TSH_F32, tsh_cpu_device(), &w) == TSH_ERR_SHAPE, "9 dims refused");
    tsh_tensor_release(v); tsh_tensor_release(tr); tsh_tensor_release(t);
}

static void test_half(void)
{
    float vals[] = {0.0f, 1.0f, -2.5f, 65504.0f, 1e-7f, 3.14159f, 1e6f};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        float h = tsh_f16_to_f32(tsh_f32_to_f16(vals[i]));
        float expect = vals[i] > 65504.0f ? INFINITY : vals[i];
        KC_CHECK(h == expect || fabsf(h - expect) <= fabsf(expect) * 1e-3f + 6e-8f, "f16 round trip %g -> %g", vals[i], h);
        float bf = tsh_bf16_to_f32(tsh_f32_to_bf16(vals[i]));
        KC_CHECK(fabsf(bf - vals[i]) <= fabsf(vals[i]) * 8e-3f, "bf16 round trip %g -> %g", vals[i], bf);
    }
}

int main(void)
{
    tsh_backends_init();
    kc_seed(1);
    test_op_table();
    test_copy_all_pairs();
    test_promotion();
    test_views();
    test_half();
    return kc_finish();
}
