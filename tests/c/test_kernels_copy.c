/* test_kernels_copy.c: the fast copy kernels against the reference ones, bit
 * for bit: every dtype pair of a conversion over values that reach each
 * branch (NaN with payloads, signalling NaN, inf, -0, denormals, rounding
 * ties, overflow to inf, out of an integer's range), every float16 and
 * bfloat16 pattern, lengths past the vector bodies and staging blocks with
 * tails, strided and broadcast operands on either side; transposing copies
 * of odd sizes around the tile edges, batched, into transposed views; flip
 * of long last dims. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kcheck.h"
#include "shape.h"

static const tsh_dtype all_dts[] = {TSH_BOOL, TSH_U8, TSH_I32, TSH_I64, TSH_F16, TSH_BF16, TSH_F32, TSH_F64};

/* float32 patterns at the edges of the half and integer conversions */
static const uint32_t f32_special[] = {
    0x00000000, 0x80000000, 0x7f800000, 0xff800000, /* +-0, +-inf */
    0x7fc00000, 0xffc00000, 0x7f800001, 0xff812345, 0x7fc01fff, 0x7fffe000, /* NaNs, payloads */
    0x00000001, 0x807fffff, 0x00400000,             /* float32 denormals */
    0x33800000, 0x33000000, 0x33400000, 0x33c00000, /* 2^-24 (half's least), 2^-25 (tie to 0), 1.5*2^-25, 1.5*2^-24 */
    0x387fe000, 0x387ff000, 0x38800000,             /* about the least normal half */
    0x3f801000, 0x3f803000, 0x3f801001,             /* 1 + 2^-11 (tie to even), 1 + 3*2^-11, just past */
    0x3f808000, 0x3f818000, 0x3f808001,             /* the same for bfloat16 */
    0x477fe000, 0x477fefff, 0x477ff000, 0x477fffff, 0x47800000, /* 65504, under 65520, 65520 (to inf), past */
    0x7f7fffff, 0xff7fffff,                         /* float max: bfloat16 rounds it to inf */
    0x4effffff, 0x4f000000, 0xcf000000, 0xcf000001, /* about 2^31 */
    0x5effffff, 0x5f000000, 0xdf000000, 0xdf000001, /* about 2^63 */
    0x437f0000, 0x43800000, 0xbf800000, 0xc3010000, /* 255, 256, -1, -129 for uint8's wrap */
    0x3f000000, 0xbf400000,                         /* 0.5, -0.75 */
};

static double rand_magnitude(void)
{
    /* 2^-30 .. 2^70: half denormals and underflow, every integer range, saturation */
    double v = ldexp(1 + kc_uniform(), (int)kc_randint(-30, 70));
    return kc_uniform() < 0.5 ? -v : v;
}

/* One value of dtype dt at p, often one of the edge cases. */
static void rand_value(tsh_dtype dt, char *p)
{
    bool special = kc_uniform() < 0.3;
    switch (dt) {
    case TSH_BOOL: *(uint8_t *)p = kc_uniform() < 0.5; break;
    case TSH_U8: *(uint8_t *)p = (uint8_t)kc_randint(0, 255); break;
    case TSH_I32: *(int32_t *)p = special ? (kc_uniform() < 0.5 ? INT32_MAX : INT32_MIN) : (int32_t)kc_randint(-(1 << 30), 1 << 30); break;
    case TSH_I64: /* within 2^53, where double is exact (int64 to float32 rounds once on both sides) */
        *(int64_t *)p = special ? (kc_uniform() < 0.5 ? INT64_MAX : INT64_MIN) : kc_randint(-((int64_t)1 << 53), (int64_t)1 << 53);
        break;
    case TSH_F16:
    case TSH_BF16: *(uint16_t *)p = (uint16_t)kc_randint(0, 0xffff); break; /* any pattern */
    case TSH_F32:
        if (special) {
            memcpy(p, &f32_special[kc_randint(0, sizeof f32_special / sizeof f32_special[0] - 1)], 4);
        } else {
            float f = (float)rand_magnitude();
            memcpy(p, &f, 4);
        }
        break;
    case TSH_F64: {
        double v;
        if (special) {
            float f;
            memcpy(&f, &f32_special[kc_randint(0, sizeof f32_special / sizeof f32_special[0] - 1)], 4);
            v = f;
            if (kc_uniform() < 0.3) v = kc_uniform() < 0.5 ? 1e300 : 1e-300; /* past float's range */
            if (kc_uniform() < 0.2) v = nextafter(v, 0);                   /* double rounding */
        } else {
            v = rand_magnitude();
        }
        memcpy(p, &v, 8);
        break;
    }
    default: break;
    }
}

/* Byte offset of logical element i of t from its first element. */
static int64_t elem_offset(const tsh_tensor *t, int64_t i)
{
    int64_t off = 0;
    for (int d = t->ndim - 1; d >= 0; d--) {
        off += (i % t->shape[d]) * t->stride[d];
        i /= t->shape[d];
    }
    return off * (int64_t)tsh_dtype_size(t->dtype);
}

static char *elem(const tsh_tensor *t, int64_t i) { return tsh_data(t) + elem_offset(t, i); }

/* Whether a and b (one shape and dtype) hold the same bits; prints the
 * first difference. Any two NaNs are alike here: the reference goes through
 * double, which quiets a signalling NaN and may drop a payload; the bits of
 * NaNs are checked against dtype.c in test_half_exhaustive. */
static int same_bits(const char *what, const tsh_tensor *a, const tsh_tensor *b)
{
    size_t es = tsh_dtype_size(a->dtype);
    for (int64_t i = 0; i < tsh_numel(a); i++) {
        if (memcmp(elem(a, i), elem(b, i), es) == 0) continue;
        if (tsh_dtype_is_float(a->dtype) && isnan(tsh_load_f64(a->dtype, elem(a, i))) &&
            isnan(tsh_load_f64(b->dtype, elem(b, i))))
            continue;
        uint64_t x = 0, y = 0;
        memcpy(&x, elem(a, i), es);
        memcpy(&y, elem(b, i), es);
        fprintf(stderr, "%s: element %lld: 0x%llx, want 0x%llx\n", what, (long long)i, (unsigned long long)x,
                (unsigned long long)y);
        return 0;
    }
    return 1;
}

/* A tensor of the given layout whose elements are edge-case values. */
static tsh_tensor *edge_tensor(int nd, const int64_t *shape, tsh_dtype dt, kc_layout lay)
{
    tsh_tensor *t = kc_tensor(nd, shape, dt, lay, 0, 1);
    for (int64_t i = 0; t && i < tsh_numel(t); i++) rand_value(dt, elem(t, i));
    return t;
}

/* src converted to dst's dtype by both backends, into fresh outputs and into
 * views of the given layout (the scatter side). */
static void check_convert(tsh_tensor *x, tsh_dtype dt, kc_layout out_lay)
{
    char what[128], sh[64];
    snprintf(what, sizeof what, "%s -> %s %s", tsh_dtype_name(x->dtype), tsh_dtype_name(dt),
             tsh_shape_str(sh, sizeof sh, x->ndim, x->shape));
    tsh_tensor *want = kc_tensor(x->ndim, x->shape, dt, out_lay, 0, 0);
    tsh_tensor *got = kc_tensor(x->ndim, x->shape, dt, out_lay, 0, 0);
    kc_use_ref(1);
    tsh_status s1 = tsh_copy_(want, x);
    kc_use_ref(0);
    tsh_status s2 = tsh_copy_(got, x);
    KC_CHECK(s1 == TSH_OK && s2 == TSH_OK && same_bits(what, got, want), "%s (out layout %d): %s", what, out_lay,
             tsh_errmsg());
    tsh_tensor_release(want);
    tsh_tensor_release(got);
}

static void test_convert_pairs(void)
{
    for (int iter = 0; iter < 64 * 12; iter++) {
        tsh_dtype src = all_dts[iter % 8], dst = all_dts[(iter / 8) % 8];
        if (src == dst) continue;
        int64_t shape[TSH_MAX_DIMS];
        int nd;
        if (iter % 3 == 0) { /* long and 1-d: vector bodies, staging blocks, tails */
            nd = 1;
            shape[0] = kc_randint(1, 1400);
        } else {
            nd = kc_rand_shape(3, 13, 1, shape);
        }
        kc_layout in_lay = (kc_layout)kc_randint(0, KC_LAYOUT_COUNT - 1);
        kc_layout out_lay = kc_uniform() < 0.7 ? KC_CONTIG : (kc_layout)kc_randint(0, KC_LAYOUT_COUNT - 1);
        tsh_tensor *x = edge_tensor(nd, shape, src, in_lay);
        check_convert(x, dst, out_lay);
        if (nd >= 1 && shape[nd - 1] > 1) { /* broadcast: stride 0 along the last dim */
            tsh_tensor *one = NULL, *b = NULL;
            int64_t s1[TSH_MAX_DIMS];
            memcpy(s1, shape, sizeof s1);
            s1[nd - 1] = 1;
            tsh_narrow(x, nd - 1, 0, 1, &one);
            if (one && tsh_expand(one, nd, shape, &b) == TSH_OK) check_convert(b, dst, out_lay);
            tsh_tensor_release(b);
            tsh_tensor_release(one);
        }
        tsh_tensor_release(x);
    }
}

/* Every float16 and bfloat16 pattern to float32, and back again (NaN and
 * signalling NaN included); random float32 patterns to both. Bit for bit
 * against dtype.c's scalar conversions, which the reference backend uses. */
static void test_half_exhaustive(void)
{
    int64_t n = 65536;
    for (int bf = 0; bf < 2; bf++) {
        tsh_dtype ht = bf ? TSH_BF16 : TSH_F16;
        tsh_tensor *h = NULL, *f = NULL, *back = NULL;
        tsh_tensor_empty(1, &n, ht, tsh_cpu_device(), &h);
        for (int64_t i = 0; i < n; i++) ((uint16_t *)tsh_data(h))[i] = (uint16_t)i;
        kc_use_ref(0);
        tsh_status st = tsh_to_dtype(h, TSH_F32, &f);
        int bad = 0;
        for (int64_t i = 0; st == TSH_OK && i < n && !bad; i++) {
            float want = bf ? tsh_bf16_to_f32((uint16_t)i) : tsh_f16_to_f32((uint16_t)i);
            if (memcmp(&want, (float *)tsh_data(f) + i, 4) != 0) bad = 1;
            if (bad) fprintf(stderr, "%s 0x%04llx -> float32 differs\n", tsh_dtype_name(ht), (long long)i);
        }
        KC_CHECK(st == TSH_OK && !bad, "every %s to float32", tsh_dtype_name(ht));
        st = st == TSH_OK ? tsh_to_dtype(f, ht, &back) : st;
        bad = 0;
        for (int64_t i = 0; st == TSH_OK && i < n && !bad; i++) {
            float v = ((float *)tsh_data(f))[i];
            uint16_t want = bf ? tsh_f32_to_bf16(v) : tsh_f32_to_f16(v);
            if (((uint16_t *)tsh_data(back))[i] != want) bad = 1;
            if (bad) fprintf(stderr, "%s 0x%04llx -> float32 -> back differs\n", tsh_dtype_name(ht), (long long)i);
        }
        KC_CHECK(st == TSH_OK && !bad, "every %s through float32 and back", tsh_dtype_name(ht));
        tsh_tensor_release(h), tsh_tensor_release(f), tsh_tensor_release(back);
    }
    int64_t m = 1 << 20;
    tsh_tensor *f = NULL;
    tsh_tensor_empty(1, &m, TSH_F32, tsh_cpu_device(), &f);
    uint32_t *u = (uint32_t *)tsh_data(f);
    for (int64_t i = 0; i < m; i++) u[i] = (uint32_t)kc_randint(0, 0xffffffffll);
    for (size_t i = 0; i < sizeof f32_special / sizeof f32_special[0]; i++) u[i * 37] = f32_special[i];
    for (int bf = 0; bf < 2; bf++) {
        tsh_tensor *h = NULL;
        tsh_status st = tsh_to_dtype(f, bf ? TSH_BF16 : TSH_F16, &h);
        int bad = 0;
        for (int64_t i = 0; st == TSH_OK && i < m && !bad; i++) {
            float v;
            memcpy(&v, u + i, 4);
            uint16_t want = bf ? tsh_f32_to_bf16(v) : tsh_f32_to_f16(v);
            if (((uint16_t *)tsh_data(h))[i] != want) {
                bad = 1;
                fprintf(stderr, "float32 0x%08x -> %s: 0x%04x, want 0x%04x\n", u[i], bf ? "bfloat16" : "float16",
                        ((uint16_t *)tsh_data(h))[i], want);
            }
        }
        KC_CHECK(st == TSH_OK && !bad, "random float32 patterns to %s", bf ? "bfloat16" : "float16");
        tsh_tensor_release(h);
    }
    tsh_tensor_release(f);
}

/* Same-dtype copies that transpose: the last two dims swapped, a 3-d permute,
 * a batch of transposes, and copies into a transposed view. Sizes straddle
 * the 32-element tiles. */
static void test_transpose_copies(void)
{
    for (int iter = 0; iter < 96; iter++) {
        tsh_dtype dt = all_dts[iter % 8];
        int64_t shape[3] = {kc_randint(1, 3), kc_randint(14, 100), kc_randint(14, 100)};
        if (iter % 5 == 0) shape[1] = 32, shape[2] = 64;
        int nd = iter % 2 ? 3 : 2;
        const int64_t *sh = nd == 3 ? shape : shape + 1;
        tsh_tensor *x = edge_tensor(nd, sh, dt, KC_CONTIG), *v = NULL;
        int perm[3] = {2, 0, 1};
        if (iter % 4 == 3) tsh_permute(x, perm, &v);
        else tsh_transpose(x, nd - 2, nd - 1, &v);
        char what[128], s[64];
        snprintf(what, sizeof what, "transposing copy %s %s (%s)", tsh_dtype_name(dt),
                 tsh_shape_str(s, sizeof s, v->ndim, v->shape), iter % 4 == 3 ? "permute" : "transpose");
        tsh_tensor *want = NULL, *got = NULL;
        kc_use_ref(1);
        tsh_status s1 = tsh_clone(v, &want);
        kc_use_ref(0);
        tsh_status s2 = tsh_clone(v, &got);
        KC_CHECK(s1 == TSH_OK && s2 == TSH_OK && same_bits(what, got, want), "%s: %s", what, tsh_errmsg());
        /* and back: a contiguous source into a transposed destination */
        tsh_tensor *dst = NULL, *dv = NULL;
        tsh_tensor_empty(nd, sh, dt, tsh_cpu_device(), &dst);
        if (iter % 4 == 3) tsh_permute(dst, perm, &dv);
        else tsh_transpose(dst, nd - 2, nd - 1, &dv);
        s2 = tsh_copy_(dv, got);
        KC_CHECK(s2 == TSH_OK && same_bits(what, dst, x), "%s into a transposed view: %s", what, tsh_errmsg());
        tsh_tensor_release(dv), tsh_tensor_release(dst);
        tsh_tensor_release(want), tsh_tensor_release(got), tsh_tensor_release(v), tsh_tensor_release(x);
        /* a column broadcast along the rows (stride 0 in the inner dim) also
         * counts as a transpose: its elements step one at a time down dim 1 */
        int64_t col[2] = {shape[1], 1}, wide[2] = {shape[1], shape[2]};
        tsh_tensor *c = edge_tensor(2, col, dt, KC_CONTIG), *e = NULL;
        want = got = NULL;
        tsh_expand(c, 2, wide, &e);
        kc_use_ref(1);
        s1 = tsh_clone(e, &want);
        kc_use_ref(0);
        s2 = tsh_clone(e, &got);
        KC_CHECK(s1 == TSH_OK && s2 == TSH_OK && same_bits("expanded column", got, want), "expanded column %s: %s",
                 tsh_dtype_name(dt), tsh_errmsg());
        tsh_tensor_release(want), tsh_tensor_release(got), tsh_tensor_release(e), tsh_tensor_release(c);
    }
}

/* flip along long dims, so that the reversing loops run their vector bodies and tails */
static void test_flip_long(void)
{
    for (int iter = 0; iter < 48; iter++) {
        tsh_dtype dt = all_dts[iter % 8];
        int64_t shape[2] = {kc_randint(1, 5), kc_randint(1, 300)};
        tsh_tensor *x = edge_tensor(2, shape, dt, (kc_layout)kc_randint(0, KC_LAYOUT_COUNT - 1));
        int dims[2] = {1, 0}, n = iter % 3 == 2 ? 2 : 1;
        if (iter % 3 == 1) dims[0] = 0;
        tsh_tensor *want = NULL, *got = NULL;
        kc_use_ref(1);
        tsh_status s1 = tsh_flip(x, n, dims, &want);
        kc_use_ref(0);
        tsh_status s2 = tsh_flip(x, n, dims, &got);
        char what[128], s[64];
        snprintf(what, sizeof what, "flip %s %s dims %d", tsh_dtype_name(dt), tsh_shape_str(s, sizeof s, 2, shape),
                 iter % 3);
        KC_CHECK(s1 == TSH_OK && s2 == TSH_OK && same_bits(what, got, want), "%s: %s", what, tsh_errmsg());
        tsh_tensor_release(want), tsh_tensor_release(got), tsh_tensor_release(x);
    }
}

int main(void)
{
    tsh_backends_init();
    kc_seed(11);
    test_convert_pairs();
    test_half_exhaustive();
    test_transpose_copies();
    test_flip_long();
    return kc_finish();
}
