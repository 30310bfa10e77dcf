/* reduce.c: front end of the reduction and dim-wise families. It picks the
 * dtypes PyTorch would, lays the input out as (outer, red, inner) for the
 * kernel (a view when the reduced dims are adjacent, else one permuted
 * copy), allocates outputs and dispatches. Kernels do the arithmetic. */
#include "reduce.h"

#include "grad_reduce.h"

#include <math.h>
#include <string.h>

/* The dtype names torch prints in its messages ("Got: Long"). */
static const char *torch_name(tsh_dtype dt)
{
    static const char *const names[] = {
        [TSH_BOOL] = "Bool", [TSH_U8] = "Byte",  [TSH_I32] = "Int",   [TSH_I64] = "Long",
        [TSH_F16] = "Half",  [TSH_BF16] = "BFloat16", [TSH_F32] = "Float", [TSH_F64] = "Double",
    };
    return names[dt];
}

/* How the kernel sees the input, and the output's shape. */
typedef struct plan {
    tsh_tensor *x; /* contiguous, in the kernel's dtype (a new reference) */
    int64_t outer, red, inner;
    int ondim;
    int64_t oshape[TSH_MAX_DIMS];
} plan;

static tsh_status check_dims(const char *name, const tsh_tensor *t, uint32_t dims)
{
    int nd = t->ndim ? t->ndim : 1;
    for (int d = nd; d < 32; d++)
        if (dims & (1u << d))
            return tsh_fail(TSH_ERR_INDEX, "%s(): dim %d is out of range for a %d-d tensor", name,
                            d + 1, t->ndim);
    return TSH_OK;
}

/* Lays t out for a reduction over `dims` (0: all), cast to `dt`. Adjacent
 * reduced dims of a contiguous tensor need no copy; scattered ones are
 * permuted behind the kept ones and copied once (with the cast, if any). */
static tsh_status plan_reduce(const char *name, tsh_tensor *t, uint32_t dims, bool keepdim,
                              tsh_dtype dt, plan *p)
{
    TSH_TRY(check_dims(name, t, dims));
    int nd = t->ndim;
    uint32_t all = nd ? (uint32_t)((1ull << nd) - 1) : 0;
    dims = dims ? dims & all : all;
    if (nd == 0) dims = 0;
    memset(p, 0, sizeof *p);
    int perm[TSH_MAX_DIMS], k = 0, lo = -1, hi = -1;
    for (int d = 0; d < nd; d++) {
        if (dims & (1u << d)) {
            if (lo < 0) lo = d;
            hi = d;
        }
    }
    bool adjacent = lo < 0 || dims == (uint32_t)(((1ull << (hi + 1)) - 1) & ~((1ull << lo) - 1));
    tsh_tensor *v;
    if (adjacent) {
        v = tsh_tensor_retain(t);
    } else {
        for (int d = 0; d < nd; d++)
            if (!(dims & (1u << d))) perm[k++] = d;
        lo = k;
        for (int d = 0; d < nd; d++)
            if (dims & (1u << d)) perm[k++] = d;
        hi = nd - 1;
        TSH_TRY(tsh_permute(t, perm, &v));
    }
    p->outer = p->red = p->inner = 1;
    for (int d = 0; d < nd; d++) {
        int64_t s = v->shape[d];
        if (lo < 0 || d < lo) p->outer *= s;
        else if (d <= hi) p->red *= s;
        else p->inner *= s;
    }
    for (int d = 0; d < nd; d++) {
        if (!(dims & (1u << d))) p->oshape[p->ondim++] = t->shape[d];
        else if (keepdim) p->oshape[p->ondim++] = 1;
    }
    tsh_status st = v->dtype == dt ? tsh_contiguous(v, &p->x) : tsh_to_dtype(v, dt, &p->x);
    tsh_tensor_release(v);
    return st;
}

/* The shared end of run_reduce and run_dimwise: allocate out (and int64
 * indices when out2 is asked for) with the given shape, dispatch on the
 * planned input, then cast the result to `final` if it differs. Takes over
 * p->x. */
static tsh_status run_plan(tsh_op op, plan *p, int ndim, const int64_t *shape, tsh_device dev,
                           tsh_dtype out_dt, tsh_dtype final, const tsh_kargs *extra,
                           tsh_tensor **out, tsh_tensor **out2)
{
    tsh_tensor *o = NULL, *o2 = NULL;
    tsh_status st = tsh_tensor_empty(ndim, shape, out_dt, dev, &o);
    if (st == TSH_OK && out2) st = tsh_tensor_empty(ndim, shape, TSH_I64, dev, &o2);
    if (st == TSH_OK && tsh_numel(o) > 0) {
        tsh_kargs a = extra ? *extra : (tsh_kargs){0};
        a.out = o, a.out2 = o2, a.in[0] = p->x;
        a.i[0] = p->outer, a.i[1] = p->red, a.i[2] = p->inner;
        st = tsh_dispatch(op, &a);
    }
    tsh_tensor_release(p->x);
    p->x = NULL;
    if (st == TSH_OK && final != out_dt) {
        tsh_tensor *c;
        st = tsh_to_dtype(o, final, &c);
        tsh_tensor_release(o);
        o = st == TSH_OK ? c : NULL;
    }
    if (st != TSH_OK) {
        tsh_tensor_release(o);
        tsh_tensor_release(o2);
        return st;
    }
    *out = o;
    if (out2) *out2 = o2;
    return TSH_OK;
}

/* Runs a reduction: plan, allocate out (and int64 indices when out2 is
 * asked for), dispatch, then cast the result to `final` if it differs. */
static tsh_status run_reduce(tsh_op op, tsh_tensor *t, uint32_t dims, bool keepdim, tsh_dtype in_dt,
                             tsh_dtype out_dt, tsh_dtype final, const tsh_kargs *extra,
                             tsh_tensor **out, tsh_tensor **out2)
{
    const char *name = tsh_op_infos[op].name;
    plan p;
    TSH_TRY(plan_reduce(name, t, dims, keepdim, in_dt, &p));
    return run_plan(op, &p, p.ondim, p.oshape, t->storage->device, out_dt, final, extra, out, out2);
}

/* Whether op's kernels read float16/bfloat16 input as it is (into a
 * float32 output, then rounded to the half type): sum and mean do, which
 * saves a float32 copy of the input (bfloat16 sum() of 4M, one thread:
 * 1.44 -> 0.30 ms). The other reductions are handed a float32 copy. */
static bool half_read(tsh_op op, tsh_dtype dt)
{
    return tsh_dtype_is_half(dt) && (op == TSH_OP_SUM || op == TSH_OP_MEAN);
}

/* sum, prod, cumsum, cumprod: integers accumulate into int64 unless a
 * dtype is given; a given dtype casts the input first. */
typedef struct dtypes { tsh_dtype in, out, final; } dtypes;

static dtypes accumulate_dtypes(tsh_op op, const tsh_tensor *t, int dtype)
{
    if (dtype >= 0) {
        tsh_dtype c = tsh_dtype_compute((tsh_dtype)dtype);
        return (dtypes){c, c, (tsh_dtype)dtype};
    }
    if (tsh_dtype_is_float(t->dtype)) {
        tsh_dtype c = tsh_dtype_compute(t->dtype);
        return (dtypes){half_read(op, t->dtype) ? t->dtype : c, c, t->dtype};
    }
    return (dtypes){t->dtype, TSH_I64, TSH_I64};
}

static tsh_status accumulate(tsh_op op, tsh_tensor *t, const tsh_reduce_spec *r, tsh_tensor **out)
{
    dtypes d = accumulate_dtypes(op, t, r->dtype);
    return run_reduce(op, t, r->dims, r->keepdim, d.in, d.out, d.final, NULL, out, NULL);
}

tsh_status tsh_sum(tsh_tensor *t, const tsh_reduce_spec *r, tsh_tensor **out)
{
    TSH_TRY(accumulate(TSH_OP_SUM, t, r, out));
    return tsh_grad_reduce(TSH_OP_SUM, t, r, 0, false, out);
}

tsh_status tsh_prod(tsh_tensor *t, const tsh_reduce_spec *r, tsh_tensor **out)
{
    TSH_TRY(accumulate(TSH_OP_PROD, t, r, out));
    return tsh_grad_reduce(TSH_OP_PROD, t, r, 0, false, out);
}

tsh_status tsh_mean(tsh_tensor *t, const tsh_reduce_spec *r, tsh_tensor **out)
{
    tsh_dtype dt = r->dtype >= 0 ? (tsh_dtype)r->dtype : t->dtype;
    if (!tsh_dtype_is_float(dt))
        return tsh_fail(TSH_ERR_DTYPE,
                        "mean(): could not infer output dtype. %s dtype must be either a floating "
                        "point or complex dtype. Got: %s (%s); pass {dtype='float32'} to convert",
                        r->dtype >= 0 ? "Optional" : "Input", torch_name(dt), tsh_dtype_name(dt));
    tsh_dtype c = tsh_dtype_compute(dt);
    tsh_dtype in = dt == t->dtype && half_read(TSH_OP_MEAN, dt) ? dt : c;
    TSH_TRY(run_reduce(TSH_OP_MEAN, t, r->dims, r->keepdim, in, c, dt, NULL, out, NULL));
    return tsh_grad_reduce(TSH_OP_MEAN, t, r, 0, false, out);
}

/* var, std, norm: floating tensors only, as torch. */
static tsh_status float_only(tsh_tensor *t, tsh_op op, const char *name, tsh_dtype *c)
{
    if (!tsh_dtype_is_float(t->dtype)) {
        if (op == TSH_OP_VAR)
            return tsh_fail(TSH_ERR_DTYPE, "%s(): std and var only support floating point dtypes, "
                                           "got %s", name, tsh_dtype_name(t->dtype));
        return tsh_fail(TSH_ERR_DTYPE, "%s(): expected a floating point tensor, got %s "
                                       "(convert it with :float())", name, tsh_dtype_name(t->dtype));
    }
    *c = tsh_dtype_compute(t->dtype);
    return TSH_OK;
}

tsh_status tsh_var(tsh_tensor *t, const tsh_reduce_spec *r, double correction, bool std,
                   tsh_tensor **out)
{
    tsh_dtype c = TSH_F32;
    TSH_TRY(float_only(t, TSH_OP_VAR, std ? "std" : "var", &c));
    if (!(correction == correction) || correction < 0)
        return tsh_fail(TSH_ERR_ARG, "%s(): correction must be >= 0, got %g", std ? "std" : "var",
                        correction);
    tsh_kargs a = {.f = {correction}, .i = {0, 0, 0, std}};
    TSH_TRY(run_reduce(TSH_OP_VAR, t, r->dims, r->keepdim, c, c, t->dtype, &a, out, NULL));
    return tsh_grad_reduce(TSH_OP_VAR, t, r, correction, std, out);
}

/* Elements that go into each output of a reduction over `dims` (0: all). */
static int64_t reduced_numel(const tsh_tensor *t, uint32_t dims)
{
    int64_t n = 1;
    for (int d = 0; d < t->ndim; d++)
        if (!dims || (dims & (1u << d))) n *= t->shape[d];
    return n;
}

tsh_status tsh_norm(tsh_tensor *t, const tsh_reduce_spec *r, double p, tsh_tensor **out)
{
    tsh_dtype c = TSH_F32;
    TSH_TRY(float_only(t, TSH_OP_NORM, "norm", &c));
    TSH_TRY(check_dims("norm", t, r->dims));
    if (p != p) return tsh_fail(TSH_ERR_ARG, "norm(): p must be a number, got nan");
    /* max and min have no identity: torch refuses these norms of nothing */
    if ((p < 0 || isinf(p)) && reduced_numel(t, r->dims) == 0)
        return tsh_fail(TSH_ERR_SHAPE, "norm(): cannot compute the %g-norm of an empty tensor "
                                       "(it has no identity)", p);
    tsh_kargs a = {.f = {p}};
    TSH_TRY(run_reduce(TSH_OP_NORM, t, r->dims, r->keepdim, c, c, t->dtype, &a, out, NULL));
    return tsh_grad_reduce(TSH_OP_NORM, t, r, p, false, out);
}

tsh_status tsh_logsumexp(tsh_tensor *t, const tsh_reduce_spec *r, tsh_tensor **out)
{
    /* torch casts integral inputs to the default float type */
    tsh_dtype final = tsh_dtype_is_float(t->dtype) ? t->dtype : TSH_DEFAULT_DTYPE;
    tsh_dtype c = tsh_dtype_compute(final);
    TSH_TRY(run_reduce(TSH_OP_LOGSUMEXP, t, r->dims, r->keepdim, c, c, final, NULL, out, NULL));
    return tsh_grad_reduce(TSH_OP_LOGSUMEXP, t, r, 0, false, out);
}

static tsh_status any_all(tsh_op op, tsh_tensor *t, const tsh_reduce_spec *r, tsh_tensor **out)
{
    tsh_dtype o = t->dtype == TSH_U8 ? TSH_U8 : TSH_BOOL;
    return run_reduce(op, t, r->dims, r->keepdim, tsh_dtype_compute(t->dtype), o, o, NULL, out, NULL);
}

tsh_status tsh_any(tsh_tensor *t, const tsh_reduce_spec *r, tsh_tensor **out)
{
    return any_all(TSH_OP_ANY, t, r, out);
}

tsh_status tsh_all(tsh_tensor *t, const tsh_reduce_spec *r, tsh_tensor **out)
{
    return any_all(TSH_OP_ALL, t, r, out);
}

/* ---- max, min, argmax, argmin ---- */

static tsh_status check_dim(const char *name, const tsh_tensor *t, int dim)
{
    if (dim < 0 || dim >= (t->ndim ? t->ndim : 1))
        return tsh_fail(TSH_ERR_INDEX, "%s(): dim %d is out of range for a %d-d tensor", name,
                        dim + 1, t->ndim);
    return TSH_OK;
}

static int64_t dim_size(const tsh_tensor *t, int dim) { return t->ndim ? t->shape[dim] : 1; }

static tsh_status check_nonempty(const char *name, const tsh_tensor *t, int dim)
{
    char b[128];
    if (dim < 0 && tsh_numel(t) == 0)
        return tsh_fail(TSH_ERR_SHAPE, "%s(): expected a non-empty tensor, got shape %s (give a "
                                       "dim of nonzero size to reduce along instead)",
                        name, tsh_shape_str(b, sizeof b, t->ndim, t->shape));
    if (dim >= 0 && dim_size(t, dim) == 0)
        return tsh_fail(TSH_ERR_SHAPE, "%s(): expected a non-empty dim to reduce, but dim %d of "
                                       "shape %s has size 0",
                        name, dim + 1, tsh_shape_str(b, sizeof b, t->ndim, t->shape));
    return TSH_OK;
}

static tsh_status extreme(tsh_op op, tsh_tensor *t, int dim, bool keepdim, tsh_tensor **values,
                          tsh_tensor **indices)
{
    const char *name = tsh_op_infos[op].name;
    if (dim >= 0) TSH_TRY(check_dim(name, t, dim));
    TSH_TRY(check_nonempty(name, t, dim));
    tsh_dtype c = tsh_dtype_compute(t->dtype);
    uint32_t dims = dim >= 0 ? 1u << dim : 0;
    /* a full max() or min() of halves reads them as they are (4M bfloat16,
     * one thread: 1.44 -> 0.30 ms, torch 0.51); with indices, a float32 copy */
    tsh_dtype in = dim < 0 && !indices && tsh_dtype_is_half(t->dtype) ? t->dtype : c;
    return run_reduce(op, t, dims, keepdim, in, c, t->dtype, NULL, values, indices);
}

tsh_status tsh_max(tsh_tensor *t, tsh_tensor **out)
{
    TSH_TRY(extreme(TSH_OP_MAX, t, -1, false, out, NULL));
    return tsh_grad_reduce(TSH_OP_MAX, t, NULL, 0, false, out);
}

tsh_status tsh_min(tsh_tensor *t, tsh_tensor **out)
{
    TSH_TRY(extreme(TSH_OP_MIN, t, -1, false, out, NULL));
    return tsh_grad_reduce(TSH_OP_MIN, t, NULL, 0, false, out);
}

tsh_status tsh_max_dim(tsh_tensor *t, int dim, bool keepdim, tsh_tensor **values,
                       tsh_tensor **indices)
{
    TSH_TRY(extreme(TSH_OP_MAX, t, dim, keepdim, values, indices));
    return tsh_grad_select(TSH_OP_MAX, t, dim, keepdim, values, indices);
}

tsh_status tsh_min_dim(tsh_tensor *t, int dim, bool keepdim, tsh_tensor **values,
                       tsh_tensor **indices)
{
    TSH_TRY(extreme(TSH_OP_MIN, t, dim, keepdim, values, indices));
    return tsh_grad_select(TSH_OP_MIN, t, dim, keepdim, values, indices);
}

static tsh_status arg_extreme(tsh_op op, tsh_tensor *t, int dim, bool keepdim, tsh_tensor **out)
{
    const char *name = tsh_op_infos[op].name;
    if (t->dtype == TSH_BOOL)
        return tsh_fail(TSH_ERR_DTYPE, "%s(): expected an integer or floating point tensor, got bool, "
                                       "as PyTorch does (convert with :long() first)", name);
    if (dim >= 0) TSH_TRY(check_dim(name, t, dim));
    TSH_TRY(check_nonempty(name, t, dim));
    uint32_t dims = dim >= 0 ? 1u << dim : 0;
    return run_reduce(op, t, dims, keepdim, tsh_dtype_compute(t->dtype), TSH_I64,
                      TSH_I64, NULL, out, NULL);
}

tsh_status tsh_argmax(tsh_tensor *t, int dim, bool keepdim, tsh_tensor **out)
{
    return arg_extreme(TSH_OP_ARGMAX, t, dim, keepdim, out);
}

tsh_status tsh_argmin(tsh_tensor *t, int dim, bool keepdim, tsh_tensor **out)
{
    return arg_extreme(TSH_OP_ARGMIN, t, dim, keepdim, out);
}

/* ---- along one dim ---- */

/* Runs a dim-wise op: out (and int64 out2) shaped like t, except that dim
 * has size `k` when k >= 0 (topk). */
static tsh_status run_dimwise(tsh_op op, tsh_tensor *t, int dim, tsh_dtype in_dt, tsh_dtype out_dt,
                              tsh_dtype final, const tsh_kargs *extra, int64_t k,
                              tsh_tensor **out, tsh_tensor **out2)
{
    const char *name = tsh_op_infos[op].name;
    TSH_TRY(check_dim(name, t, dim));
    plan p;
    TSH_TRY(plan_reduce(name, t, t->ndim ? 1u << dim : 0, true, in_dt, &p));
    int64_t shape[TSH_MAX_DIMS];
    memcpy(shape, t->shape, sizeof shape);
    if (k >= 0 && t->ndim) shape[dim] = k;
    return run_plan(op, &p, t->ndim, shape, t->storage->device, out_dt, final, extra, out, out2);
}

tsh_status tsh_cumsum(tsh_tensor *t, int dim, int dtype, tsh_tensor **out)
{
    dtypes d = accumulate_dtypes(TSH_OP_CUMSUM, t, dtype);
    TSH_TRY(run_dimwise(TSH_OP_CUMSUM, t, dim, d.in, d.out, d.final, NULL, -1, out, NULL));
    return tsh_grad_dimwise(TSH_OP_CUMSUM, t, dim, out);
}

tsh_status tsh_cumprod(tsh_tensor *t, int dim, int dtype, tsh_tensor **out)
{
    dtypes d = accumulate_dtypes(TSH_OP_CUMPROD, t, dtype);
    TSH_TRY(run_dimwise(TSH_OP_CUMPROD, t, dim, d.in, d.out, d.final, NULL, -1, out, NULL));
    return tsh_grad_dimwise(TSH_OP_CUMPROD, t, dim, out);
}

/* cumsum_/cumprod_: computed in t's own dtype (integers wrap there, as
 * torch's do), then written back through t's strides. */
static tsh_status dimwise_inplace(tsh_op op, tsh_tensor *t, int dim)
{
    if (t->dtype == TSH_BOOL)
        return tsh_fail(TSH_ERR_DTYPE, "%s_: expected an integer or floating point tensor, got bool "
                        "(the running %s of a bool tensor is int64: use %s)", tsh_op_infos[op].name,
                        op == TSH_OP_CUMSUM ? "sum" : "product", tsh_op_infos[op].name);
    tsh_tensor *r = NULL;
    TSH_TRY(op == TSH_OP_CUMSUM ? tsh_cumsum(t, dim, t->dtype, &r) : tsh_cumprod(t, dim, t->dtype, &r));
    tsh_status st = tsh_copy_(t, r);
    tsh_tensor_release(r);
    return st;
}

tsh_status tsh_cumsum_(tsh_tensor *t, int dim) { return dimwise_inplace(TSH_OP_CUMSUM, t, dim); }
tsh_status tsh_cumprod_(tsh_tensor *t, int dim) { return dimwise_inplace(TSH_OP_CUMPROD, t, dim); }

static tsh_status softmax_like(tsh_op op, tsh_tensor *t, int dim, int dtype, tsh_tensor **out)
{
    const char *name = tsh_op_infos[op].name;
    if (dtype >= 0 && !tsh_dtype_is_float((tsh_dtype)dtype))
        return tsh_fail(TSH_ERR_DTYPE, "%s(): dtype must be a floating point dtype, got %s", name,
                        tsh_dtype_name((tsh_dtype)dtype));
    tsh_dtype dt = dtype >= 0 ? (tsh_dtype)dtype : t->dtype;
    if (!tsh_dtype_is_float(dt))
        return tsh_fail(TSH_ERR_DTYPE, "%s(): expected a floating point tensor, got %s (pass "
                                       "{dtype='float32'} to convert)", name, tsh_dtype_name(dt));
    tsh_dtype c = tsh_dtype_compute(dt);
    TSH_TRY(run_dimwise(op, t, dim, c, c, dt, NULL, -1, out, NULL));
    return tsh_grad_dimwise(op, t, dim, out);
}

tsh_status tsh_softmax(tsh_tensor *t, int dim, int dtype, tsh_tensor **out)
{
    return softmax_like(TSH_OP_SOFTMAX, t, dim, dtype, out);
}

tsh_status tsh_log_softmax(tsh_tensor *t, int dim, int dtype, tsh_tensor **out)
{
    return softmax_like(TSH_OP_LOG_SOFTMAX, t, dim, dtype, out);
}

tsh_status tsh_sort(tsh_tensor *t, int dim, bool descending, tsh_tensor **values,
                    tsh_tensor **indices)
{
    tsh_dtype c = tsh_dtype_compute(t->dtype);
    tsh_kargs a = {.i = {0, 0, 0, descending}};
    TSH_TRY(run_dimwise(TSH_OP_SORT, t, dim, c, c, t->dtype, &a, -1, values, indices));
    return tsh_grad_select(TSH_OP_SORT, t, dim, true, values, indices);
}

tsh_status tsh_topk(tsh_tensor *t, int64_t k, int dim, bool largest, tsh_tensor **values,
                    tsh_tensor **indices)
{
    if (t->dtype == TSH_BOOL)
        return tsh_fail(TSH_ERR_DTYPE, "topk(): expected an integer or floating point tensor, got bool, "
                                       "as PyTorch does (convert with :long() first)");
    TSH_TRY(check_dim("topk", t, dim));
    int64_t n = dim_size(t, dim);
    int64_t lo = t->ndim ? 0 : 1; /* a 0-dim tensor has exactly one element to give */
    if (k < lo || k > n)
        return tsh_fail(TSH_ERR_INDEX, "topk(): k (%lld) is out of range for dim %d of size %lld "
                                       "(expected %lld..%lld)",
                        (long long)k, dim + 1, (long long)n, (long long)lo, (long long)n);
    tsh_dtype c = tsh_dtype_compute(t->dtype);
    tsh_kargs a = {.i = {0, 0, 0, k, largest}};
    TSH_TRY(run_dimwise(TSH_OP_TOPK, t, dim, c, c, t->dtype, &a, k, values, indices));
    return tsh_grad_select(TSH_OP_TOPK, t, dim, true, values, indices);
}
