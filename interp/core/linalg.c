/* linalg.c: matrix products on top of the one batched GEMM kernel. Each
 * function checks shapes, dtypes and devices, allocates a contiguous result
 * and hands the kernel 3-d strided views (batch stride 0 for 2-d operands),
 * so that transposed inputs reach BLAS uncopied. diag and trace are views
 * plus a copy or a dot product. */
#include "linalg.h"

#include <string.h>

#include "grad_linalg.h"

#define SHAPE(buf, t) tsh_shape_str(buf, sizeof buf, (t)->ndim, (t)->shape)

/* The element count of a shape, or -1 when it overflows what a tensor can
 * hold: results of broadcasting or repeating can be far bigger than their
 * inputs, and tsh_tensor_empty would multiply past INT64_MAX. */
static int64_t checked_numel(int nd, const int64_t *shape)
{
    int64_t n = 1;
    for (int d = 0; d < nd; d++)
        if (__builtin_mul_overflow(n, shape[d], &n) || n > ((int64_t)1 << 60)) return -1;
    return n;
}

static tsh_status too_big(const char *op, int nd, const int64_t *shape)
{
    char s[160];
    return tsh_fail(TSH_ERR_OOM, "%s: a result of shape %s is too large", op,
                    tsh_shape_str(s, sizeof s, nd, shape));
}

static tsh_status mismatch(const char *op, const tsh_tensor *a, const tsh_tensor *b, int64_t ka,
                           int64_t kb)
{
    char x[128], y[128];
    return tsh_fail(TSH_ERR_SHAPE, "%s: shapes %s and %s cannot be multiplied (%lld != %lld)", op,
                    SHAPE(x, a), SHAPE(y, b), (long long)ka, (long long)kb);
}

/* Same device, same dtype, and not bool: PyTorch's CPU matmul refuses bool
 * ("addmm_impl_cpu_ not implemented for 'Bool'"), so we do too. */
static tsh_status check_pair(const char *op, tsh_tensor *a, tsh_tensor *b)
{
    tsh_tensor *ts[2] = {a, b};
    TSH_TRY(tsh_check_same_device(op, 2, ts));
    if (a->dtype != b->dtype)
        return tsh_fail(TSH_ERR_DTYPE, "%s: expected both to have the same dtype, got %s and %s", op,
                        tsh_dtype_name(a->dtype), tsh_dtype_name(b->dtype));
    if (a->dtype == TSH_BOOL)
        return tsh_fail(TSH_ERR_DTYPE,
                        "%s: expected integer or floating point tensors, got bool, as PyTorch's CPU does "
                        "(convert with :long() or :float())",
                        op);
    return TSH_OK;
}

/* A 3-d view of t with the given shape and strides (storage shared). */
static tsh_status view3(tsh_tensor *t, int64_t b, int64_t r, int64_t c, int64_t sb, int64_t sr,
                        int64_t sc, tsh_tensor **out)
{
    int64_t shape[3] = {b, r, c}, stride[3] = {sb, sr, sc};
    return tsh_tensor_view(t, 3, shape, stride, t->offset, out);
}

tsh_status tsh_gemm_(tsh_tensor *out, tsh_tensor *a, tsh_tensor *b, double alpha, double beta)
{
    tsh_dtype dt = out->dtype, ct = tsh_dtype_compute(dt);
    if (dt == ct) {
        tsh_kargs k = {.out = out, .in = {a, b}, .f = {alpha, beta}};
        return tsh_dispatch(TSH_OP_GEMM, &k);
    }
    /* float16/bfloat16 are storage types: compute in float32, cast back. */
    tsh_tensor *a32 = NULL, *b32 = NULL, *o32 = NULL;
    tsh_status st = tsh_to_dtype(a, ct, &a32);
    if (st == TSH_OK) st = tsh_to_dtype(b, ct, &b32);
    if (st == TSH_OK)
        st = beta != 0 ? tsh_to_dtype(out, ct, &o32) : tsh_tensor_empty_like(out, ct, &o32);
    if (st == TSH_OK) {
        tsh_kargs k = {.out = o32, .in = {a32, b32}, .f = {alpha, beta}};
        st = tsh_dispatch(TSH_OP_GEMM, &k);
    }
    if (st == TSH_OK) st = tsh_copy_(out, o32);
    tsh_tensor_release(a32);
    tsh_tensor_release(b32);
    tsh_tensor_release(o32);
    return st;
}

/* Runs out3 = a3 @ b3 and, on success, hands over `res` as the result. */
static tsh_status run_product(tsh_tensor *res, tsh_tensor *out3, tsh_tensor *a3, tsh_tensor *b3,
                              tsh_tensor **out)
{
    tsh_status st = tsh_gemm_(out3, a3, b3, 1.0, 0.0);
    tsh_tensor_release(out3);
    tsh_tensor_release(a3);
    tsh_tensor_release(b3);
    if (st != TSH_OK) {
        tsh_tensor_release(res);
        return st;
    }
    *out = res;
    return TSH_OK;
}

/* Allocates a result of shape `shape` with a's dtype and device, and the
 * three views the kernel sees. On failure everything is released. */
typedef struct {
    int64_t b, m, n, k;
    int64_t sa[3], sb[3];
} product;

static tsh_status setup_product(tsh_tensor *a, tsh_tensor *b, const product *p, int nd,
                                const int64_t *shape, tsh_tensor **res, tsh_tensor **o3,
                                tsh_tensor **a3, tsh_tensor **b3)
{
    *res = *o3 = *a3 = *b3 = NULL;
    tsh_status st = tsh_tensor_empty(nd, shape, a->dtype, a->storage->device, res);
    if (st == TSH_OK) st = view3(*res, p->b, p->m, p->n, p->m * p->n, p->n, 1, o3);
    if (st == TSH_OK) st = view3(a, p->b, p->m, p->k, p->sa[0], p->sa[1], p->sa[2], a3);
    if (st == TSH_OK) st = view3(b, p->b, p->k, p->n, p->sb[0], p->sb[1], p->sb[2], b3);
    if (st != TSH_OK) {
        tsh_tensor_release(*res);
        tsh_tensor_release(*o3);
        tsh_tensor_release(*a3);
        tsh_tensor_release(*b3);
    }
    return st;
}

static tsh_status product_into(tsh_tensor *a, tsh_tensor *b, const product *p, int nd,
                               const int64_t *shape, tsh_tensor **out)
{
    tsh_tensor *res, *o3, *a3, *b3;
    TSH_TRY(setup_product(a, b, p, nd, shape, &res, &o3, &a3, &b3));
    return run_product(res, o3, a3, b3, out);
}

static tsh_status dot_impl(const char *op, tsh_tensor *a, tsh_tensor *b, tsh_tensor **out)
{
    if (a->ndim != 1 || b->ndim != 1) {
        char x[128], y[128];
        return tsh_fail(TSH_ERR_SHAPE, "%s: expected two 1-d tensors, got shapes %s and %s", op,
                        SHAPE(x, a), SHAPE(y, b));
    }
    if (a->shape[0] != b->shape[0]) return mismatch(op, a, b, a->shape[0], b->shape[0]);
    TSH_TRY(check_pair(op, a, b));
    product p = {1, 1, 1, a->shape[0], {0, 0, a->stride[0]}, {0, b->stride[0], 0}};
    return product_into(a, b, &p, 0, NULL, out);
}

static tsh_status dot_fwd(tsh_tensor *a, tsh_tensor *b, tsh_tensor **out)
{
    return dot_impl("dot", a, b, out);
}

static tsh_status mv_impl(const char *op, tsh_tensor *a, tsh_tensor *v, tsh_tensor **out)
{
    if (a->ndim != 2 || v->ndim != 1) {
        char x[128], y[128];
        return tsh_fail(TSH_ERR_SHAPE, "%s: expected a 2-d matrix and a 1-d vector, got shapes %s and %s",
                        op, SHAPE(x, a), SHAPE(y, v));
    }
    if (a->shape[1] != v->shape[0]) return mismatch(op, a, v, a->shape[1], v->shape[0]);
    TSH_TRY(check_pair(op, a, v));
    product p = {1, a->shape[0], 1, a->shape[1], {0, a->stride[0], a->stride[1]}, {0, v->stride[0], 0}};
    return product_into(a, v, &p, 1, &a->shape[0], out);
}

static tsh_status mv_fwd(tsh_tensor *a, tsh_tensor *v, tsh_tensor **out)
{
    return mv_impl("mv", a, v, out);
}

static tsh_status mm_impl(const char *op, tsh_tensor *a, tsh_tensor *b, tsh_tensor **out)
{
    if (a->ndim != 2 || b->ndim != 2) {
        char x[128], y[128];
        return tsh_fail(TSH_ERR_SHAPE, "%s: expected two 2-d tensors, got shapes %s and %s", op,
                        SHAPE(x, a), SHAPE(y, b));
    }
    if (a->shape[1] != b->shape[0]) return mismatch(op, a, b, a->shape[1], b->shape[0]);
    TSH_TRY(check_pair(op, a, b));
    product p = {1, a->shape[0], b->shape[1], a->shape[1], {0, a->stride[0], a->stride[1]},
                 {0, b->stride[0], b->stride[1]}};
    int64_t shape[2] = {p.m, p.n};
    return product_into(a, b, &p, 2, shape, out);
}

static tsh_status mm_fwd(tsh_tensor *a, tsh_tensor *b, tsh_tensor **out)
{
    return mm_impl("mm", a, b, out);
}

static tsh_status bmm_fwd(tsh_tensor *a, tsh_tensor *b, tsh_tensor **out)
{
    char x[128], y[128];
    if (a->ndim != 3 || b->ndim != 3)
        return tsh_fail(TSH_ERR_SHAPE, "bmm: expected two 3-d tensors, got shapes %s and %s",
                        SHAPE(x, a), SHAPE(y, b));
    if (a->shape[0] != b->shape[0])
        return tsh_fail(TSH_ERR_SHAPE, "bmm: batch sizes of shapes %s and %s differ (%lld != %lld)",
                        SHAPE(x, a), SHAPE(y, b), (long long)a->shape[0], (long long)b->shape[0]);
    if (a->shape[2] != b->shape[1]) return mismatch("bmm", a, b, a->shape[2], b->shape[1]);
    TSH_TRY(check_pair("bmm", a, b));
    product p = {a->shape[0], a->shape[1], b->shape[2], a->shape[2],
                 {a->stride[0], a->stride[1], a->stride[2]}, {b->stride[0], b->stride[1], b->stride[2]}};
    int64_t shape[3] = {p.b, p.m, p.n};
    return product_into(a, b, &p, 3, shape, out);
}

/* (..., m, k) @ (k, n) or (k): the batch dims fold into the rows, so one big
 * GEMM runs instead of many small ones (PyTorch does the same). reshape
 * copies only when the batch dims of a cannot be merged as a view. */
static tsh_status matmul_fold(tsh_tensor *a, tsh_tensor *b, tsh_tensor **out)
{
    int na = a->ndim;
    int64_t k = a->shape[na - 1], rows = 1;
    for (int d = 0; d < na - 1; d++) rows *= a->shape[d];
    int64_t n = b->ndim == 2 ? b->shape[1] : 1;
    int64_t shape[TSH_MAX_DIMS], shape2[2] = {rows, k};
    int nd = 0;
    for (int d = 0; d < na - 1; d++) shape[nd++] = a->shape[d];
    if (b->ndim == 2) shape[nd++] = n;
    if (checked_numel(nd, shape) < 0) return too_big("matmul", nd, shape);
    tsh_tensor *a2;
    TSH_TRY(tsh_reshape(a, 2, shape2, &a2));
    product p = {1, rows, n, k, {0, a2->stride[0], a2->stride[1]},
                 {0, b->stride[0], b->ndim == 2 ? b->stride[1] : 0}};
    tsh_status st = product_into(a2, b, &p, nd, shape, out);
    tsh_tensor_release(a2);
    return st;
}

/* The general case: 1-d operands become a row (a) or a column (b), batch
 * dims broadcast, each operand is expanded and reshaped to (batch, rows,
 * cols) (a copy only when the expanded dims cannot be merged), and the
 * dims added for 1-d operands are dropped from the result. */
static tsh_status matmul_batched(tsh_tensor *a, tsh_tensor *b, tsh_tensor **out)
{
    int na = a->ndim, nb = b->ndim;
    int64_t m = na > 1 ? a->shape[na - 2] : 1, k = a->shape[na - 1];
    int64_t n = nb > 1 ? b->shape[nb - 1] : 1;
    int ba = na > 2 ? na - 2 : 0, bb = nb > 2 ? nb - 2 : 0, nbatch = ba > bb ? ba : bb;
    int64_t batch[TSH_MAX_DIMS], nbtot = 1;
    for (int d = 0; d < nbatch; d++) {
        int da = d - (nbatch - ba), db = d - (nbatch - bb);
        int64_t sa = da >= 0 ? a->shape[da] : 1, sb = db >= 0 ? b->shape[db] : 1;
        if (sa != sb && sa != 1 && sb != 1) {
            char x[128], y[128];
            return tsh_fail(TSH_ERR_SHAPE,
                            "matmul: the batch dims of shapes %s and %s cannot be broadcast "
                            "(size %lld vs %lld at batch dim %d)",
                            SHAPE(x, a), SHAPE(y, b), (long long)sa, (long long)sb, d + 1);
        }
        batch[d] = sa == 1 ? sb : sa;
        nbtot *= batch[d];
    }
    int64_t shape[TSH_MAX_DIMS], ea[TSH_MAX_DIMS], eb[TSH_MAX_DIMS];
    int nd = 0;
    memcpy(shape, batch, sizeof(int64_t) * (size_t)nbatch);
    nd = nbatch;
    if (na > 1) shape[nd++] = m;
    if (nb > 1) shape[nd++] = n;
    if (checked_numel(nd, shape) < 0 || checked_numel(nbatch, batch) < 0 ||
        checked_numel(3, (int64_t[]){nbtot, m, k}) < 0 || checked_numel(3, (int64_t[]){nbtot, k, n}) < 0)
        return too_big("matmul", nd, shape);
    memcpy(ea, batch, sizeof(int64_t) * (size_t)nbatch);
    memcpy(eb, batch, sizeof(int64_t) * (size_t)nbatch);
    ea[nbatch] = m, ea[nbatch + 1] = k;
    eb[nbatch] = k, eb[nbatch + 1] = n;
    /* a 1-d a is a 1 x k row; a 1-d b a k x 1 column */
    tsh_tensor *a2 = NULL, *b2 = NULL, *ax = NULL, *bx = NULL, *a3 = NULL, *b3 = NULL;
    int64_t row[2] = {1, k}, col[2] = {k, 1};
    tsh_status st = na == 1 ? tsh_view(a, 2, row, &a2) : (a2 = tsh_tensor_retain(a), TSH_OK);
    if (st == TSH_OK) st = nb == 1 ? tsh_view(b, 2, col, &b2) : (b2 = tsh_tensor_retain(b), TSH_OK);
    if (st == TSH_OK) st = tsh_expand(a2, nbatch + 2, ea, &ax);
    if (st == TSH_OK) st = tsh_expand(b2, nbatch + 2, eb, &bx);
    int64_t sa3[3] = {nbtot, m, k}, sb3[3] = {nbtot, k, n};
    if (st == TSH_OK) st = tsh_reshape(ax, 3, sa3, &a3);
    if (st == TSH_OK) st = tsh_reshape(bx, 3, sb3, &b3);
    if (st == TSH_OK) {
        product p = {nbtot, m, n, k, {a3->stride[0], a3->stride[1], a3->stride[2]},
                     {b3->stride[0], b3->stride[1], b3->stride[2]}};
        st = product_into(a3, b3, &p, nd, shape, out);
    }
    tsh_tensor_release(a2);
    tsh_tensor_release(b2);
    tsh_tensor_release(ax);
    tsh_tensor_release(bx);
    tsh_tensor_release(a3);
    tsh_tensor_release(b3);
    return st;
}

static tsh_status matmul_fwd(tsh_tensor *a, tsh_tensor *b, tsh_tensor **out)
{
    char x[128], y[128];
    int na = a->ndim, nb = b->ndim;
    if (na == 0 || nb == 0)
        return tsh_fail(TSH_ERR_SHAPE,
                        "matmul: both arguments need at least 1 dimension, got shapes %s and %s",
                        SHAPE(x, a), SHAPE(y, b));
    if (na == 1 && nb == 1) return dot_impl("matmul", a, b, out);
    int64_t ka = a->shape[na - 1], kb = nb == 1 ? b->shape[0] : b->shape[nb - 2];
    if (ka != kb) return mismatch("matmul", a, b, ka, kb);
    TSH_TRY(check_pair("matmul", a, b));
    if (na == 2 && nb == 1) return mv_impl("matmul", a, b, out);
    if (na == 2 && nb == 2) return mm_impl("matmul", a, b, out);
    if (na >= 3 && nb <= 2) return matmul_fold(a, b, out);
    return matmul_batched(a, b, out);
}

static tsh_status outer_fwd(tsh_tensor *a, tsh_tensor *b, tsh_tensor **out)
{
    if (a->ndim != 1 || b->ndim != 1) {
        char x[128], y[128];
        return tsh_fail(TSH_ERR_SHAPE, "outer: expected two 1-d tensors, got shapes %s and %s",
                        SHAPE(x, a), SHAPE(y, b));
    }
    tsh_tensor *ts[2] = {a, b};
    TSH_TRY(tsh_check_same_device("outer", 2, ts));
    /* outer is a[:, None] * b[None, :] in PyTorch, so the dtypes promote and
     * bool works (the kernel's bool product is "and"); a k = 1 product. */
    tsh_dtype dt = tsh_result_type(2, ts);
    tsh_tensor *ac = NULL, *bc = NULL;
    tsh_status st = tsh_to_dtype(a, dt, &ac);
    if (st == TSH_OK) st = tsh_to_dtype(b, dt, &bc);
    if (st == TSH_OK) {
        product p = {1, a->shape[0], b->shape[0], 1, {0, ac->stride[0], 0}, {0, 0, bc->stride[0]}};
        int64_t shape[2] = {p.m, p.n};
        st = product_into(ac, bc, &p, 2, shape, out);
    }
    tsh_tensor_release(ac);
    tsh_tensor_release(bc);
    return st;
}

static tsh_status addmm_fwd(tsh_tensor *input, tsh_tensor *m1, tsh_tensor *m2, double beta,
                            double alpha, tsh_tensor **out)
{
    char x[128], y[128];
    if (m1->ndim != 2 || m2->ndim != 2)
        return tsh_fail(TSH_ERR_SHAPE, "addmm: expected 2-d mat1 and mat2, got shapes %s and %s",
                        SHAPE(x, m1), SHAPE(y, m2));
    if (m1->shape[1] != m2->shape[0]) return mismatch("addmm", m1, m2, m1->shape[1], m2->shape[0]);
    tsh_tensor *ts[3] = {input, m1, m2};
    TSH_TRY(tsh_check_same_device("addmm", 3, ts));
    if (input->dtype != m1->dtype || m1->dtype != m2->dtype)
        return tsh_fail(TSH_ERR_DTYPE,
                        "addmm: expected input, mat1 and mat2 to have the same dtype, got %s, %s and %s",
                        tsh_dtype_name(input->dtype), tsh_dtype_name(m1->dtype),
                        tsh_dtype_name(m2->dtype));
    TSH_TRY(check_pair("addmm", m1, m2));
    int64_t shape[2] = {m1->shape[0], m2->shape[1]};
    bool fits = input->ndim <= 2;
    for (int d = 0; d < input->ndim && fits; d++) {
        int64_t s = input->shape[d], r = shape[2 - input->ndim + d];
        fits = s == r || s == 1;
    }
    if (!fits) {
        char r[64];
        return tsh_fail(TSH_ERR_SHAPE, "addmm: input of shape %s cannot be broadcast to the result shape %s",
                        SHAPE(x, input), tsh_shape_str(r, sizeof r, 2, shape));
    }
    product p = {1, shape[0], shape[1], m1->shape[1], {0, m1->stride[0], m1->stride[1]},
                 {0, m2->stride[0], m2->stride[1]}};
    tsh_tensor *res, *o3, *a3, *b3;
    TSH_TRY(setup_product(m1, m2, &p, 2, shape, &res, &o3, &a3, &b3));
    /* beta 0 means input is ignored, NaN included (PyTorch's rule) */
    tsh_status st = beta != 0 ? tsh_copy_(res, input) : TSH_OK;
    if (st == TSH_OK) st = tsh_gemm_(o3, a3, b3, alpha, beta);
    tsh_tensor_release(o3);
    tsh_tensor_release(a3);
    tsh_tensor_release(b3);
    if (st != TSH_OK) {
        tsh_tensor_release(res);
        return st;
    }
    *out = res;
    return TSH_OK;
}

static tsh_status diag_fwd(tsh_tensor *t, int64_t k, tsh_tensor **out)
{
    char x[128];
    if (t->ndim != 1 && t->ndim != 2)
        return tsh_fail(TSH_ERR_SHAPE, "diag: expected a 1-d or 2-d tensor, got shape %s", SHAPE(x, t));
    if (k > ((int64_t)1 << 40) || k < -((int64_t)1 << 40))
        return tsh_fail(TSH_ERR_ARG, "diag: diagonal %lld is out of range", (long long)k);
    int64_t ak = k < 0 ? -k : k;
    if (t->ndim == 1) {
        int64_t n = t->shape[0] + ak, shape[2] = {n, n};
        if (checked_numel(2, shape) < 0) return too_big("diag", 2, shape);
        tsh_tensor *res, *d = NULL;
        TSH_TRY(tsh_full(2, shape, 0, t->dtype, t->storage->device, &res));
        int64_t len = t->shape[0], stride = n + 1;
        tsh_status st = tsh_tensor_view(res, 1, &len, &stride, k >= 0 ? k : ak * n, &d);
        if (st == TSH_OK) st = tsh_copy_(d, t);
        tsh_tensor_release(d);
        if (st != TSH_OK) {
            tsh_tensor_release(res);
            return st;
        }
        *out = res;
        return TSH_OK;
    }
    int64_t r = t->shape[0], c = t->shape[1];
    int64_t len = k >= 0 ? (c - k < r ? c - k : r) : (r + k < c ? r + k : c);
    if (len < 0) len = 0;
    int64_t stride = t->stride[0] + t->stride[1];
    int64_t off = t->offset + (len == 0 ? 0 : k >= 0 ? k * t->stride[1] : ak * t->stride[0]);
    tsh_tensor *d;
    TSH_TRY(tsh_tensor_view(t, 1, &len, &stride, off, &d));
    tsh_status st = tsh_clone(d, out);
    tsh_tensor_release(d);
    return st;
}

static tsh_status trace_fwd(tsh_tensor *t, tsh_tensor **out)
{
    char x[128];
    if (t->ndim != 2)
        return tsh_fail(TSH_ERR_SHAPE, "trace: expected a 2-d tensor, got shape %s", SHAPE(x, t));
    if (t->dtype == TSH_BOOL)
        return tsh_fail(TSH_ERR_DTYPE, "trace: expected an integer or floating point tensor, got bool, as "
                        "PyTorch does (convert with :long())");
    /* the diagonal dotted with ones; integers accumulate as int64 (as sum) */
    tsh_dtype dt = tsh_dtype_is_float(t->dtype) ? t->dtype : TSH_I64;
    int64_t len = t->shape[0] < t->shape[1] ? t->shape[0] : t->shape[1];
    int64_t stride = t->stride[0] + t->stride[1];
    tsh_tensor *d = NULL, *dc = NULL, *ones = NULL;
    tsh_status st = tsh_tensor_view(t, 1, &len, &stride, t->offset, &d);
    if (st == TSH_OK) st = tsh_to_dtype(d, dt, &dc);
    if (st == TSH_OK) st = tsh_full(1, &len, 1, dt, t->storage->device, &ones);
    if (st == TSH_OK) st = dot_impl("trace", dc, ones, out);
    tsh_tensor_release(d);
    tsh_tensor_release(dc);
    tsh_tensor_release(ones);
    return st;
}

/* ---- the entry points: the forward runs with grad mode off (its inner
 * reshapes and casts are no concern of autograd), then one node is
 * recorded when an input requires grad (grad_linalg.c) ---- */

typedef tsh_status (*pair_fn)(tsh_tensor *, tsh_tensor *, tsh_tensor **);

static tsh_status pair(pair_fn fwd, tsh_product_kind kind, tsh_tensor *a, tsh_tensor *b, tsh_tensor **out)
{
    tsh_tensor *ab[2] = {a, b};
    bool ag = tsh_ag_needed(2, ab), was = tsh_grad_pause();
    tsh_status st = fwd(a, b, out);
    tsh_set_grad_enabled(was);
    return st == TSH_OK && ag ? tsh_grad_product(kind, a, b, out) : st;
}

tsh_status tsh_matmul(tsh_tensor *a, tsh_tensor *b, tsh_tensor **out)
{
    return pair(matmul_fwd, TSH_PRODUCT_MATMUL, a, b, out);
}
tsh_status tsh_mm(tsh_tensor *a, tsh_tensor *b, tsh_tensor **out) { return pair(mm_fwd, TSH_PRODUCT_MM, a, b, out); }
tsh_status tsh_bmm(tsh_tensor *a, tsh_tensor *b, tsh_tensor **out) { return pair(bmm_fwd, TSH_PRODUCT_BMM, a, b, out); }
tsh_status tsh_mv(tsh_tensor *a, tsh_tensor *v, tsh_tensor **out) { return pair(mv_fwd, TSH_PRODUCT_MV, a, v, out); }
tsh_status tsh_dot(tsh_tensor *a, tsh_tensor *b, tsh_tensor **out) { return pair(dot_fwd, TSH_PRODUCT_DOT, a, b, out); }
tsh_status tsh_outer(tsh_tensor *a, tsh_tensor *b, tsh_tensor **out)
{
    return pair(outer_fwd, TSH_PRODUCT_OUTER, a, b, out);
}

tsh_status tsh_addmm(tsh_tensor *input, tsh_tensor *m1, tsh_tensor *m2, double beta,
                     double alpha, tsh_tensor **out)
{
    tsh_tensor *ts[3] = {input, m1, m2};
    bool ag = tsh_ag_needed(3, ts), was = tsh_grad_pause();
    tsh_status st = addmm_fwd(input, m1, m2, beta, alpha, out);
    tsh_set_grad_enabled(was);
    return st == TSH_OK && ag ? tsh_grad_addmm(input, m1, m2, beta, alpha, out) : st;
}

tsh_status tsh_diag(tsh_tensor *t, int64_t k, tsh_tensor **out)
{
    bool ag = tsh_ag_needed(1, &t), was = tsh_grad_pause();
    tsh_status st = diag_fwd(t, k, out);
    tsh_set_grad_enabled(was);
    return st == TSH_OK && ag ? tsh_grad_diag(t, k, out) : st;
}

tsh_status tsh_trace(tsh_tensor *t, tsh_tensor **out)
{
    bool ag = tsh_ag_needed(1, &t), was = tsh_grad_pause();
    tsh_status st = trace_fwd(t, out);
    tsh_set_grad_enabled(was);
    return st == TSH_OK && ag ? tsh_grad_trace(t, out) : st;
}
