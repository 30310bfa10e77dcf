/* ref/reduce.c: reference reductions and dim-wise ops (cumsum, softmax,
 * sort, topk): one element at a time in double or int64, the oracle that
 * the fast kernels are checked against. Layout and dtype rules are in
 * ops.h: input contiguous (outer, red, inner), output contiguous. */
#include <math.h>
#include <stdlib.h>

#include "ref.h"

typedef struct geom { int64_t outer, red, inner; } geom;

static geom geom_of(const tsh_kargs *a) { return (geom){a->i[0], a->i[1], a->i[2]}; }

/* Linear index of element (o, r, i) of the input. */
static int64_t at(geom g, int64_t o, int64_t r, int64_t i) { return (o * g.red + r) * g.inner + i; }

/* The order every op here uses: NaN is above +inf, as torch sorts. */
static bool less_f(double a, double b) { return a < b || (b != b && a == a); }

static tsh_status ref_accumulate(tsh_op op, const tsh_kargs *a)
{
    geom g = geom_of(a);
    const tsh_tensor *x = a->in[0], *out = a->out;
    bool ints = tsh_ref_isint(out->dtype);
    for (int64_t o = 0; o < g.outer; o++)
        for (int64_t i = 0; i < g.inner; i++) {
            /* integers wrap like torch's int64: unsigned arithmetic, no UB */
            uint64_t si = op == TSH_OP_PROD ? 1 : 0;
            double s = op == TSH_OP_PROD ? 1 : 0;
            for (int64_t r = 0; r < g.red; r++) {
                if (ints && op == TSH_OP_PROD) si *= (uint64_t)tsh_ref_geti(x, at(g, o, r, i));
                else if (ints) si += (uint64_t)tsh_ref_geti(x, at(g, o, r, i));
                else if (op == TSH_OP_PROD) s *= tsh_ref_get(x, at(g, o, r, i));
                else s += tsh_ref_get(x, at(g, o, r, i));
            }
            if (op == TSH_OP_MEAN) s /= (double)g.red;
            if (ints) tsh_ref_seti(out, o * g.inner + i, (int64_t)si);
            else tsh_ref_set(out, o * g.inner + i, s);
        }
    return TSH_OK;
}

static tsh_status ref_var(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    geom g = geom_of(a);
    const tsh_tensor *x = a->in[0];
    for (int64_t o = 0; o < g.outer; o++)
        for (int64_t i = 0; i < g.inner; i++) {
            double m = 0, ss = 0;
            for (int64_t r = 0; r < g.red; r++) m += tsh_ref_get(x, at(g, o, r, i));
            m /= (double)g.red;
            for (int64_t r = 0; r < g.red; r++) {
                double d = tsh_ref_get(x, at(g, o, r, i)) - m;
                ss += d * d;
            }
            double v = ss / fmax(0.0, (double)g.red - a->f[0]);
            tsh_ref_set(a->out, o * g.inner + i, a->i[3] ? sqrt(v) : v);
        }
    return TSH_OK;
}

static tsh_status ref_norm(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    geom g = geom_of(a);
    double p = a->f[0];
    for (int64_t o = 0; o < g.outer; o++)
        for (int64_t i = 0; i < g.inner; i++) {
            double s = isinf(p) ? (p > 0 ? 0 : INFINITY) : 0;
            for (int64_t r = 0; r < g.red; r++) {
                double v = fabs(tsh_ref_get(a->in[0], at(g, o, r, i)));
                if (v != v) s = NAN;
                else if (s != s) continue;
                else if (p == INFINITY) s = v > s ? v : s;
                else if (p == -INFINITY) s = v < s ? v : s;
                else if (p == 0) s += v != 0;
                else s += pow(v, p);
            }
            if (!isinf(p) && p != 0) s = pow(s, 1 / p);
            tsh_ref_set(a->out, o * g.inner + i, s);
        }
    return TSH_OK;
}

static tsh_status ref_logsumexp(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    geom g = geom_of(a);
    for (int64_t o = 0; o < g.outer; o++)
        for (int64_t i = 0; i < g.inner; i++) {
            double m = -INFINITY, s = 0;
            for (int64_t r = 0; r < g.red; r++) {
                double v = tsh_ref_get(a->in[0], at(g, o, r, i));
                if (less_f(m, v)) m = v;
            }
            if (isinf(m)) m = 0; /* as torch: all -inf gives -inf, any +inf gives +inf */
            for (int64_t r = 0; r < g.red; r++) s += exp(tsh_ref_get(a->in[0], at(g, o, r, i)) - m);
            tsh_ref_set(a->out, o * g.inner + i, log(s) + m);
        }
    return TSH_OK;
}

static tsh_status ref_any_all(tsh_op op, const tsh_kargs *a)
{
    geom g = geom_of(a);
    bool any = op == TSH_OP_ANY;
    for (int64_t o = 0; o < g.outer; o++)
        for (int64_t i = 0; i < g.inner; i++) {
            bool acc = !any;
            for (int64_t r = 0; r < g.red; r++) {
                bool nz = tsh_ref_get(a->in[0], at(g, o, r, i)) != 0;
                acc = any ? acc || nz : acc && nz;
            }
            tsh_ref_seti(a->out, o * g.inner + i, acc);
        }
    return TSH_OK;
}

/* max, min, argmax, argmin: the first extreme element; NaN wins (first NaN). */
static tsh_status ref_extreme(tsh_op op, const tsh_kargs *a)
{
    geom g = geom_of(a);
    const tsh_tensor *x = a->in[0];
    bool max = op == TSH_OP_MAX || op == TSH_OP_ARGMAX, ints = tsh_ref_isint(x->dtype);
    bool arg = op == TSH_OP_ARGMAX || op == TSH_OP_ARGMIN;
    for (int64_t o = 0; o < g.outer; o++)
        for (int64_t i = 0; i < g.inner; i++) {
            int64_t best = 0;
            for (int64_t r = 1; r < g.red; r++) {
                bool better;
                if (ints) {
                    int64_t v = tsh_ref_geti(x, at(g, o, r, i)), b = tsh_ref_geti(x, at(g, o, best, i));
                    better = max ? v > b : v < b;
                } else {
                    double v = tsh_ref_get(x, at(g, o, r, i)), b = tsh_ref_get(x, at(g, o, best, i));
                    better = b == b && (v != v || (max ? v > b : v < b));
                }
                if (better) best = r;
            }
            int64_t k = o * g.inner + i;
            if (arg) {
                tsh_ref_seti(a->out, k, best + 1);
                continue;
            }
            if (ints) tsh_ref_seti(a->out, k, tsh_ref_geti(x, at(g, o, best, i)));
            else tsh_ref_set(a->out, k, tsh_ref_get(x, at(g, o, best, i)));
            if (a->out2) tsh_ref_seti(a->out2, k, best + 1);
        }
    return TSH_OK;
}

static tsh_status ref_cumulate(tsh_op op, const tsh_kargs *a)
{
    geom g = geom_of(a);
    const tsh_tensor *x = a->in[0], *out = a->out;
    bool ints = tsh_ref_isint(out->dtype), prod = op == TSH_OP_CUMPROD;
    for (int64_t o = 0; o < g.outer; o++)
        for (int64_t i = 0; i < g.inner; i++) {
            uint64_t si = prod ? 1 : 0;
            double s = prod ? 1 : 0;
            for (int64_t r = 0; r < g.red; r++) {
                int64_t k = at(g, o, r, i);
                if (ints) {
                    uint64_t v = (uint64_t)tsh_ref_geti(x, k);
                    si = prod ? si * v : si + v;
                    tsh_ref_seti(out, k, (int64_t)si);
                } else {
                    double v = tsh_ref_get(x, k);
                    s = prod ? s * v : s + v;
                    tsh_ref_set(out, k, s);
                }
            }
        }
    return TSH_OK;
}

static tsh_status ref_softmax(tsh_op op, const tsh_kargs *a)
{
    geom g = geom_of(a);
    const tsh_tensor *x = a->in[0];
    for (int64_t o = 0; o < g.outer; o++)
        for (int64_t i = 0; i < g.inner; i++) {
            double m = -INFINITY, s = 0;
            for (int64_t r = 0; r < g.red; r++) {
                double v = tsh_ref_get(x, at(g, o, r, i));
                if (less_f(m, v)) m = v;
            }
            for (int64_t r = 0; r < g.red; r++) s += exp(tsh_ref_get(x, at(g, o, r, i)) - m);
            for (int64_t r = 0; r < g.red; r++) {
                double d = tsh_ref_get(x, at(g, o, r, i)) - m;
                tsh_ref_set(a->out, at(g, o, r, i),
                            op == TSH_OP_SOFTMAX ? exp(d) / s : d - log(s));
            }
        }
    return TSH_OK;
}

/* Does element r come before element q in the order asked for? Ties keep
 * index order (callers only move r past q when this is strictly true). */
static bool before(const tsh_tensor *x, geom g, int64_t o, int64_t i, int64_t r, int64_t q,
                   bool desc)
{
    if (tsh_ref_isint(x->dtype)) {
        int64_t u = tsh_ref_geti(x, at(g, o, r, i)), v = tsh_ref_geti(x, at(g, o, q, i));
        return desc ? u > v : u < v;
    }
    double u = tsh_ref_get(x, at(g, o, r, i)), v = tsh_ref_get(x, at(g, o, q, i));
    return desc ? less_f(v, u) : less_f(u, v);
}

/* Stable top-down merge sort of positions pos[0..n) of one line. */
typedef struct line { const tsh_tensor *x; geom g; int64_t o, i; bool desc; } line;

static void merge_sort(const line *l, int64_t *pos, int64_t *tmp, int64_t n)
{
    if (n < 2) return;
    int64_t h = n / 2, a = 0, b = h, k = 0;
    merge_sort(l, pos, tmp, h);
    merge_sort(l, pos + h, tmp, n - h);
    /* take from the right half only when strictly before: ties keep order */
    while (a < h && b < n)
        tmp[k++] = before(l->x, l->g, l->o, l->i, pos[b], pos[a], l->desc) ? pos[b++] : pos[a++];
    while (a < h) tmp[k++] = pos[a++];
    while (b < n) tmp[k++] = pos[b++];
    for (k = 0; k < n; k++) pos[k] = tmp[k];
}

/* SORT and TOPK: sort each line's positions, then copy out the first k. */
static tsh_status ref_sort(tsh_op op, const tsh_kargs *a)
{
    geom g = geom_of(a);
    const tsh_tensor *x = a->in[0];
    bool desc = op == TSH_OP_SORT ? a->i[3] != 0 : a->i[4] != 0;
    int64_t k = op == TSH_OP_SORT ? g.red : a->i[3];
    int64_t *pos = malloc(sizeof(int64_t) * (size_t)(2 * g.red + 1));
    if (!pos) return tsh_fail(TSH_ERR_OOM, "%s: out of memory", tsh_op_infos[op].name);
    geom og = {g.outer, k, g.inner};
    for (int64_t o = 0; o < g.outer; o++)
        for (int64_t i = 0; i < g.inner; i++) {
            for (int64_t r = 0; r < g.red; r++) pos[r] = r;
            line l = {x, g, o, i, desc};
            merge_sort(&l, pos, pos + g.red, g.red);
            for (int64_t r = 0; r < k; r++) {
                int64_t src = at(g, o, pos[r], i), dst = at(og, o, r, i);
                if (tsh_ref_isint(x->dtype)) tsh_ref_seti(a->out, dst, tsh_ref_geti(x, src));
                else tsh_ref_set(a->out, dst, tsh_ref_get(x, src));
                tsh_ref_seti(a->out2, dst, pos[r] + 1);
            }
        }
    free(pos);
    return TSH_OK;
}

void tsh_ref_register_reduce(tsh_kernel_fn *k)
{
    k[TSH_OP_SUM] = ref_accumulate;
    k[TSH_OP_MEAN] = ref_accumulate;
    k[TSH_OP_PROD] = ref_accumulate;
    k[TSH_OP_MAX] = ref_extreme;
    k[TSH_OP_MIN] = ref_extreme;
    k[TSH_OP_ARGMAX] = ref_extreme;
    k[TSH_OP_ARGMIN] = ref_extreme;
    k[TSH_OP_VAR] = ref_var;
    k[TSH_OP_NORM] = ref_norm;
    k[TSH_OP_LOGSUMEXP] = ref_logsumexp;
    k[TSH_OP_ANY] = ref_any_all;
    k[TSH_OP_ALL] = ref_any_all;
    k[TSH_OP_CUMSUM] = ref_cumulate;
    k[TSH_OP_CUMPROD] = ref_cumulate;
    k[TSH_OP_SOFTMAX] = ref_softmax;
    k[TSH_OP_LOG_SOFTMAX] = ref_softmax;
    k[TSH_OP_SORT] = ref_sort;
    k[TSH_OP_TOPK] = ref_sort;
}
