/* kcheck.c: random tensors in many layouts, comparison with tolerance. */
#include "kcheck.h"

#include <math.h>
#include <string.h>

int kc_passed, kc_failed;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

void kc_seed(uint64_t s) { rng_state = s * 0x9e3779b97f4a7c15ull + 1; }

static uint64_t next_u64(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double kc_uniform(void) { return (double)(next_u64() >> 11) * 0x1.0p-53; }
int64_t kc_randint(int64_t lo, int64_t hi) { return lo + (int64_t)(next_u64() % (uint64_t)(hi - lo + 1)); }

int kc_rand_shape(int max_ndim, int64_t max_size, int allow_empty, int64_t *shape)
{
    int nd = (int)kc_randint(0, max_ndim);
    for (int d = 0; d < nd; d++) shape[d] = kc_randint(1, max_size);
    if (allow_empty && nd > 0 && kc_uniform() < 0.1) shape[kc_randint(0, nd - 1)] = 0;
    return nd;
}

static void fill_random(tsh_tensor *t, double lo, double hi)
{
    int64_t n = tsh_numel(t);
    size_t es = tsh_dtype_size(t->dtype);
    char *p = tsh_data(t);
    for (int64_t i = 0; i < n; i++) {
        double v = lo + (hi - lo) * kc_uniform();
        if (t->dtype == TSH_BOOL) tsh_store_i64(t->dtype, p + i * (int64_t)es, kc_uniform() < 0.5);
        else if (!tsh_dtype_is_float(t->dtype)) tsh_store_i64(t->dtype, p + i * (int64_t)es, (int64_t)floor(v + 0.5));
        else tsh_store_f64(t->dtype, p + i * (int64_t)es, v);
    }
}

tsh_tensor *kc_tensor(int ndim, const int64_t *shape, tsh_dtype dt, kc_layout layout, double lo,
                      double hi)
{
    tsh_tensor *base = NULL, *out = NULL;
    int64_t bshape[TSH_MAX_DIMS];
    memcpy(bshape, shape, sizeof(int64_t) * (size_t)ndim);
    if (layout == KC_TRANSPOSED && ndim >= 2) {
        int64_t tmp = bshape[ndim - 1];
        bshape[ndim - 1] = bshape[ndim - 2];
        bshape[ndim - 2] = tmp;
    } else if ((layout == KC_STRIDED || layout == KC_OFFSET) && ndim >= 1) {
        bshape[0] = shape[0] * 2 + 1;
    } else {
        layout = KC_CONTIG;
    }
    if (tsh_tensor_empty(ndim, bshape, dt, tsh_cpu_device(), &base) != TSH_OK) return NULL;
    fill_random(base, lo, hi);
    switch (layout) {
    case KC_TRANSPOSED: tsh_transpose(base, ndim - 2, ndim - 1, &out); break;
    case KC_STRIDED: tsh_slice(base, 0, 1, 1 + 2 * shape[0], 2, &out); break;
    case KC_OFFSET: tsh_narrow(base, 0, 1, shape[0], &out); break;
    default: out = tsh_tensor_retain(base); break;
    }
    tsh_tensor_release(base);
    return out;
}

static void unravel(const tsh_tensor *t, int64_t i, int64_t *idx)
{
    for (int d = t->ndim - 1; d >= 0; d--) {
        idx[d] = t->shape[d] ? i % t->shape[d] : 0;
        i = t->shape[d] ? i / t->shape[d] : 0;
    }
}

static const char *at(const tsh_tensor *t, const int64_t *idx)
{
    int64_t off = 0;
    for (int d = 0; d < t->ndim; d++) off += idx[d] * t->stride[d];
    return tsh_data(t) + off * (int64_t)tsh_dtype_size(t->dtype);
}

int kc_compare(const char *what, const tsh_tensor *got, const tsh_tensor *want, double rtol,
               double atol)
{
    char a[128], b[128];
    if (!tsh_same_shape(got, want) || got->dtype != want->dtype) {
        fprintf(stderr, "FAIL %s: got %s %s, want %s %s\n", what, tsh_dtype_name(got->dtype),
                tsh_shape_str(a, sizeof a, got->ndim, got->shape), tsh_dtype_name(want->dtype),
                tsh_shape_str(b, sizeof b, want->ndim, want->shape));
        return 0;
    }
    int64_t n = tsh_numel(got), idx[TSH_MAX_DIMS];
    for (int64_t i = 0; i < n; i++) {
        unravel(got, i, idx);
        const char *pg = at(got, idx), *pw = at(want, idx);
        int ok;
        double g, w;
        if (!tsh_dtype_is_float(got->dtype)) {
            int64_t gi = tsh_load_i64(got->dtype, pg), wi = tsh_load_i64(want->dtype, pw);
            ok = gi == wi;
            g = (double)gi, w = (double)wi;
        } else {
            g = tsh_load_f64(got->dtype, pg), w = tsh_load_f64(want->dtype, pw);
            ok = (isnan(g) && isnan(w)) || g == w || fabs(g - w) <= atol + rtol * fabs(w);
        }
        if (!ok) {
            fprintf(stderr, "FAIL %s: %s %s element %lld: got %.9g, want %.9g\n", what,
                    tsh_dtype_name(got->dtype), tsh_shape_str(a, sizeof a, got->ndim, got->shape),
                    (long long)i, g, w);
            return 0;
        }
    }
    return 1;
}

void kc_use_ref(int on) { tsh_backend_set(on ? tsh_backend_ref() : tsh_backend_cpu()); }

double kc_rtol(tsh_dtype dt)
{
    switch (dt) {
    case TSH_F64: return 1e-10;
    case TSH_F32: return 1e-5;
    case TSH_F16: return 2e-3;
    case TSH_BF16: return 1.6e-2;
    default: return 0;
    }
}

int kc_finish(void)
{
    printf("%d passed, %d failed\n", kc_passed, kc_failed);
    return kc_failed ? 1 : 0;
}
