/* cpu/reduce_sort.c: fast sort and topk along a dim. Each line's values
 * become unsigned keys whose integer order is torch's order (NaN above
 * +inf, -0.0 equal to 0.0; descending flips the bits), paired with their
 * positions; a stable merge sort orders them, or for a small k a bounded
 * heap picks them first. The values are then gathered by position. */
#include <stdlib.h>

#include "reduce_impl.h"

typedef struct kv { uint64_t key; int64_t pos; } kv;

#define SIGN_BIT 0x8000000000000000ull

static inline uint64_t key_float(double d)
{
    if (d != d) d = __builtin_nan(""); /* every NaN alike, and above +inf */
    if (d == 0) d = 0.0;               /* -0.0 sorts as 0.0 */
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return (b & SIGN_BIT) ? ~b : b | SIGN_BIT;
}

static inline uint64_t key_int(int64_t v) { return (uint64_t)v ^ SIGN_BIT; }

/* Order by key, then position: a total order, so the sort is stable. */
static inline bool kv_lt(kv a, kv b) { return a.key < b.key || (a.key == b.key && a.pos < b.pos); }

/* Bottom-up merge sort of a[0..n) using tmp[0..n); result in a. */
static void kv_sort(kv *a, kv *tmp, int64_t n)
{
    const int64_t run = 16;
    for (int64_t s = 0; s < n; s += run) {
        int64_t e = s + run < n ? s + run : n;
        for (int64_t i = s + 1; i < e; i++) {
            kv v = a[i];
            int64_t j = i;
            for (; j > s && kv_lt(v, a[j - 1]); j--) a[j] = a[j - 1];
            a[j] = v;
        }
    }
    kv *src = a, *dst = tmp;
    for (int64_t w = run; w < n; w *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * w) {
            int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            int64_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) dst[k++] = kv_lt(src[j], src[i]) ? src[j++] : src[i++];
            while (i < mid) dst[k++] = src[i++];
            while (j < hi) dst[k++] = src[j++];
        }
        kv *t = src;
        src = dst;
        dst = t;
    }
    if (src != a) memcpy(a, src, sizeof(kv) * (size_t)n);
}

/* The k smallest of a[0..n) into a[0..k), sorted: a max-heap of k items
 * that each later item must beat. */
static void kv_select(kv *a, kv *tmp, int64_t n, int64_t k)
{
    for (int64_t i = 0; i < n; i++) {
        kv v = a[i];
        int64_t c;
        if (i < k) { /* sift up */
            for (c = i; c > 0 && kv_lt(a[(c - 1) / 2], v); c = (c - 1) / 2) a[c] = a[(c - 1) / 2];
            a[c] = v;
            continue;
        }
        if (!kv_lt(v, a[0])) continue;
        for (c = 0;;) { /* sift down from the root */
            int64_t l = 2 * c + 1, big;
            if (l >= k) break;
            big = l + 1 < k && kv_lt(a[l], a[l + 1]) ? l + 1 : l;
            if (!kv_lt(v, a[big])) break;
            a[c] = a[big];
            c = big;
        }
        a[c] = v;
    }
    kv_sort(a, tmp, k);
}

static void sort_lines(tsh_djob *job, int64_t o0, int64_t o1, int64_t j0, int64_t j1)
{
    const tsh_rgeom g = job->g;
    const tsh_tensor *in = job->a->in[0];
    bool topk = job->op == TSH_OP_TOPK;
    bool desc = topk ? job->a->i[4] != 0 : job->a->i[3] != 0;
    int64_t k = topk ? job->a->i[3] : g.red;
    uint64_t flip = desc ? ~0ull : 0;
    int64_t es = (int64_t)tsh_dtype_size(in->dtype);
    kv *buf = malloc(sizeof(kv) * (size_t)(2 * g.red + 1));
    if (!buf) {
        job->failed = 1;
        return;
    }
    kv *tmp = buf + g.red;
    const char *x = tsh_data(in);
    char *y = tsh_data(job->a->out);
    int64_t *yi = (int64_t *)tsh_data(job->a->out2);
    for (int64_t o = o0; o < o1; o++)
        for (int64_t j = j0; j < j1; j++) {
            int64_t base = o * g.red * g.inner + j;
#define KEYS(T, KEYF)                                                                 \
    for (int64_t r = 0; r < g.red; r++)                                               \
        buf[r] = (kv){KEYF(((const T *)x)[base + r * g.inner]) ^ flip, r};
            switch (in->dtype) {
            case TSH_F32: KEYS(float, key_float); break;
            case TSH_F64: KEYS(double, key_float); break;
            case TSH_I32: KEYS(int32_t, key_int); break;
            case TSH_I64: KEYS(int64_t, key_int); break;
            default: KEYS(uint8_t, key_int); break;
            }
#undef KEYS
            if (topk && k * 16 <= g.red) kv_select(buf, tmp, g.red, k);
            else kv_sort(buf, tmp, g.red);
            int64_t obase = o * k * g.inner + j;
            for (int64_t r = 0; r < k; r++) {
                const char *src = x + (base + buf[r].pos * g.inner) * es;
                char *dst = y + (obase + r * g.inner) * es;
                switch (es) {
                case 1: *(uint8_t *)dst = *(const uint8_t *)src; break;
                case 4: memcpy(dst, src, 4); break;
                default: memcpy(dst, src, 8); break;
                }
                yi[obase + r * g.inner] = buf[r].pos + 1;
            }
        }
    free(buf);
}

static tsh_status cpu_sort(tsh_op op, const tsh_kargs *a)
{
    tsh_djob job = {.a = a, .op = op, .g = {a->i[0], a->i[1], a->i[2]}, .lines = sort_lines};
    return tsh_dim_run(&job);
}

void tsh_cpu_register_reduce_sort(tsh_kernel_fn *k)
{
    k[TSH_OP_SORT] = cpu_sort;
    k[TSH_OP_TOPK] = cpu_sort;
}
