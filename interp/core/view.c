/* view.c: ops that make a new view over the same storage. None copies
 * except reshape, which copies only when no view can express the shape. */
#include "front.h"

#include <string.h>

#include "grad_view.h"

static tsh_status check_dim(const char *op, int dim, int ndim)
{
    if (dim < 0 || dim >= (ndim ? ndim : 1))
        return tsh_fail(TSH_ERR_INDEX, "%s: dim %d is out of range for a %d-d tensor", op,
                        dim + 1, ndim);
    return TSH_OK;
}

static tsh_status shape_mismatch(const char *op, const tsh_tensor *t, int ndim, const int64_t *in)
{
    char a[TSH_MAX_DIMS * 21 + 8], b[TSH_MAX_DIMS * 21 + 8];
    return tsh_fail(TSH_ERR_SHAPE, "%s: shape %s is invalid for input of shape %s (%lld elements)", op,
                    tsh_shape_str(a, sizeof a, ndim, in), tsh_shape_str(b, sizeof b, t->ndim, t->shape),
                    (long long)tsh_numel(t));
}

/* Resolves one -1 entry and checks the element count. */
static tsh_status infer_shape(const char *op, const tsh_tensor *t, int ndim, const int64_t *in,
                              int64_t *shape)
{
    int infer = -1;
    int64_t known = 1;
    if (ndim > TSH_MAX_DIMS)
        return tsh_fail(TSH_ERR_SHAPE, "%s: at most %d dimensions, got %d", op, TSH_MAX_DIMS, ndim);
    for (int d = 0; d < ndim; d++) {
        shape[d] = in[d];
        if (in[d] == -1) {
            if (infer >= 0) return tsh_fail(TSH_ERR_SHAPE, "%s: only one dimension can be -1", op);
            infer = d;
        } else if (in[d] < 0) {
            return tsh_fail(TSH_ERR_SHAPE, "%s: invalid size %lld", op, (long long)in[d]);
        } else if (__builtin_mul_overflow(known, in[d], &known)) {
            return shape_mismatch(op, t, ndim, in); /* no tensor has that many elements */
        }
    }
    int64_t n = tsh_numel(t);
    if (infer >= 0) {
        char a[TSH_MAX_DIMS * 21 + 8];
        if (known == 0 || n % known != 0)
            return tsh_fail(TSH_ERR_SHAPE, "%s: shape %s is invalid for input of size %lld", op,
                            tsh_shape_str(a, sizeof a, ndim, in), (long long)n);
        shape[infer] = n / known;
    } else if (known != n) {
        return shape_mismatch(op, t, ndim, in);
    }
    return TSH_OK;
}

/* PyTorch's computeStride: walk the old dims in contiguous chunks and check
 * that each chunk maps onto a run of new dims. */
bool tsh_view_strides(const tsh_tensor *t, int ndim, const int64_t *shape, int64_t *stride)
{
    int64_t n = tsh_numel(t);
    if (n == 0 || t->ndim == 0) {
        tsh_contiguous_strides(ndim, shape, stride);
        return true;
    }
    int view_d = ndim - 1;
    int64_t chunk_base = t->stride[t->ndim - 1], tensor_numel = 1, view_numel = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        tensor_numel *= t->shape[d];
        if (d == 0 || (t->shape[d - 1] != 1 && t->stride[d - 1] != tensor_numel * chunk_base)) {
            while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
                stride[view_d] = view_numel * chunk_base;
                view_numel *= shape[view_d];
                view_d--;
            }
            if (view_numel != tensor_numel) return false;
            if (d > 0) {
                chunk_base = t->stride[d - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    return view_d == -1;
}

tsh_status tsh_view(tsh_tensor *t, int ndim, const int64_t *in, tsh_tensor **out)
{
    int64_t shape[TSH_MAX_DIMS], stride[TSH_MAX_DIMS];
    TSH_TRY(infer_shape("view", t, ndim, in, shape));
    if (!tsh_view_strides(t, ndim, shape, stride))
        return tsh_fail(TSH_ERR_SHAPE,
                        "view: the tensor's strides do not allow this shape without a copy; "
                        "use reshape() or contiguous() first");
    TSH_TRY(tsh_tensor_view(t, ndim, shape, stride, t->offset, out));
    return tsh_grad_view(TSH_VIEW_RESHAPE, t, out, NULL);
}

tsh_status tsh_reshape(tsh_tensor *t, int ndim, const int64_t *in, tsh_tensor **out)
{
    int64_t shape[TSH_MAX_DIMS], stride[TSH_MAX_DIMS];
    TSH_TRY(infer_shape("reshape", t, ndim, in, shape));
    if (tsh_view_strides(t, ndim, shape, stride)) {
        TSH_TRY(tsh_tensor_view(t, ndim, shape, stride, t->offset, out));
        return tsh_grad_view(TSH_VIEW_RESHAPE, t, out, NULL);
    }
    tsh_tensor *c;
    bool was = tsh_grad_pause(); /* one node for the whole reshape */
    tsh_status st = tsh_clone(t, &c);
    tsh_set_grad_enabled(was);
    if (st != TSH_OK) return st;
    tsh_contiguous_strides(ndim, shape, stride);
    st = tsh_tensor_view(c, ndim, shape, stride, 0, out);
    tsh_tensor_release(c);
    return st == TSH_OK ? tsh_grad_view(TSH_VIEW_COPY, t, out, NULL) : st;
}

tsh_status tsh_flatten(tsh_tensor *t, int start, int end, tsh_tensor **out)
{
    if (t->ndim == 0) {
        int64_t one = 1;
        return tsh_reshape(t, 1, &one, out);
    }
    TSH_TRY(check_dim("flatten", start, t->ndim));
    TSH_TRY(check_dim("flatten", end, t->ndim));
    if (start > end)
        return tsh_fail(TSH_ERR_ARG, "flatten: start dim %d comes after end dim %d", start + 1,
                        end + 1);
    int64_t shape[TSH_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < start; d++) shape[nd++] = t->shape[d];
    int64_t m = 1;
    for (int d = start; d <= end; d++) m *= t->shape[d];
    shape[nd++] = m;
    for (int d = end + 1; d < t->ndim; d++) shape[nd++] = t->shape[d];
    return tsh_reshape(t, nd, shape, out);
}

tsh_status tsh_transpose(tsh_tensor *t, int d0, int d1, tsh_tensor **out)
{
    int64_t p[2] = {d0, d1};
    if (t->ndim == 0) {
        TSH_TRY(tsh_tensor_view(t, 0, NULL, NULL, t->offset, out));
        return tsh_grad_view(TSH_VIEW_TRANSPOSE, t, out, p);
    }
    TSH_TRY(check_dim("transpose", d0, t->ndim));
    TSH_TRY(check_dim("transpose", d1, t->ndim));
    int64_t shape[TSH_MAX_DIMS], stride[TSH_MAX_DIMS];
    memcpy(shape, t->shape, sizeof shape);
    memcpy(stride, t->stride, sizeof stride);
    shape[d0] = t->shape[d1], shape[d1] = t->shape[d0];
    stride[d0] = t->stride[d1], stride[d1] = t->stride[d0];
    TSH_TRY(tsh_tensor_view(t, t->ndim, shape, stride, t->offset, out));
    return tsh_grad_view(TSH_VIEW_TRANSPOSE, t, out, p);
}

tsh_status tsh_permute(tsh_tensor *t, const int *dims, tsh_tensor **out)
{
    int64_t shape[TSH_MAX_DIMS], stride[TSH_MAX_DIMS];
    bool seen[TSH_MAX_DIMS] = {false};
    int64_t p[TSH_MAX_DIMS];
    for (int d = 0; d < t->ndim; d++) {
        p[d] = dims[d];
        TSH_TRY(check_dim("permute", dims[d], t->ndim));
        if (seen[dims[d]])
            return tsh_fail(TSH_ERR_ARG, "permute: dim %d appears twice", dims[d] + 1);
        seen[dims[d]] = true;
        shape[d] = t->shape[dims[d]];
        stride[d] = t->stride[dims[d]];
    }
    TSH_TRY(tsh_tensor_view(t, t->ndim, shape, stride, t->offset, out));
    return tsh_grad_view(TSH_VIEW_PERMUTE, t, out, p);
}

tsh_status tsh_slice(tsh_tensor *t, int dim, int64_t start, int64_t end, int64_t step,
                     tsh_tensor **out)
{
    TSH_TRY(check_dim("slice", dim, t->ndim));
    if (step <= 0) return tsh_fail(TSH_ERR_ARG, "slice: step must be positive, got %lld", (long long)step);
    int64_t size = t->shape[dim];
    if (start < 0 || start > size || end < start || end > size)
        return tsh_fail(TSH_ERR_INDEX, "slice: range %lld..%lld is out of bounds for dim %d of size %lld",
                        (long long)start + 1, (long long)end, dim + 1, (long long)size);
    int64_t shape[TSH_MAX_DIMS], stride[TSH_MAX_DIMS];
    memcpy(shape, t->shape, sizeof shape);
    memcpy(stride, t->stride, sizeof stride);
    /* Both overflow-free for a step near 2^63: a slice of one element
     * never uses its stride. */
    shape[dim] = end == start ? 0 : (end - start - 1) / step + 1;
    stride[dim] = t->stride[dim] * (shape[dim] > 1 ? step : 1);
    int64_t off = t->offset + (shape[dim] ? start * t->stride[dim] : 0);
    TSH_TRY(tsh_tensor_view(t, t->ndim, shape, stride, off, out));
    return tsh_grad_view(TSH_VIEW_SLICE, t, out, (int64_t[]){dim, start, end, step});
}

tsh_status tsh_narrow(tsh_tensor *t, int dim, int64_t start, int64_t len, tsh_tensor **out)
{
    TSH_TRY(check_dim("narrow", dim, t->ndim));
    if (t->ndim == 0) return tsh_fail(TSH_ERR_SHAPE, "narrow: cannot narrow a 0-d tensor");
    if (start < 0 || len < 0 || start > t->shape[dim] || len > t->shape[dim] - start)
        return tsh_fail(TSH_ERR_INDEX,
                        "narrow: start %lld with length %lld exceeds dim %d of size %lld",
                        (long long)start + 1, (long long)len, dim + 1, (long long)t->shape[dim]);
    return tsh_slice(t, dim, start, start + len, 1, out);
}

tsh_status tsh_select(tsh_tensor *t, int dim, int64_t index, tsh_tensor **out)
{
    if (t->ndim == 0) return tsh_fail(TSH_ERR_INDEX, "select: cannot index a 0-d tensor");
    TSH_TRY(check_dim("select", dim, t->ndim));
    if (index < 0 || index >= t->shape[dim])
        return tsh_fail(TSH_ERR_INDEX, "index %lld is out of range for dim %d of size %lld",
                        (long long)index + 1, dim + 1, (long long)t->shape[dim]);
    int64_t shape[TSH_MAX_DIMS], stride[TSH_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < t->ndim; d++) {
        if (d == dim) continue;
        shape[nd] = t->shape[d];
        stride[nd++] = t->stride[d];
    }
    TSH_TRY(tsh_tensor_view(t, nd, shape, stride, t->offset + index * t->stride[dim], out));
    return tsh_grad_view(TSH_VIEW_SELECT, t, out, (int64_t[]){dim, index});
}

tsh_status tsh_expand_shape(tsh_tensor *t, int ndim, const int64_t *in, tsh_tensor **out)
{
    int64_t shape[TSH_MAX_DIMS];
    if (ndim < t->ndim || ndim > TSH_MAX_DIMS) {
        char a[128], b[128];
        return tsh_fail(TSH_ERR_SHAPE, "expand: shape %s has fewer dimensions than the tensor (%s)",
                        tsh_shape_str(a, sizeof a, ndim, in),
                        tsh_shape_str(b, sizeof b, t->ndim, t->shape));
    }
    for (int d = 0; d < ndim; d++) {
        int sd = d - (ndim - t->ndim);
        if (in[d] == -1) {
            if (sd < 0) return tsh_fail(TSH_ERR_SHAPE, "expand: -1 is not allowed for a new leading dim %d", d + 1);
            shape[d] = t->shape[sd];
        } else {
            shape[d] = in[d];
        }
    }
    TSH_TRY(tsh_expand(t, ndim, shape, out));
    return tsh_grad_view(TSH_VIEW_EXPAND, t, out, NULL);
}

tsh_status tsh_squeeze(tsh_tensor *t, int dim, tsh_tensor **out)
{
    int64_t shape[TSH_MAX_DIMS], stride[TSH_MAX_DIMS];
    int nd = 0;
    if (dim >= 0 && t->ndim > 0) TSH_TRY(check_dim("squeeze", dim, t->ndim));
    for (int d = 0; d < t->ndim; d++) {
        bool drop = t->shape[d] == 1 && (dim < 0 || d == dim);
        if (drop) continue;
        shape[nd] = t->shape[d];
        stride[nd++] = t->stride[d];
    }
    TSH_TRY(tsh_tensor_view(t, nd, shape, stride, t->offset, out));
    return tsh_grad_view(TSH_VIEW_SQUEEZE, t, out, (int64_t[]){dim});
}

tsh_status tsh_unsqueeze(tsh_tensor *t, int dim, tsh_tensor **out)
{
    if (dim < 0 || dim > t->ndim)
        return tsh_fail(TSH_ERR_INDEX, "unsqueeze: dim %d is out of range for a %d-d tensor (1..%d)",
                        dim + 1, t->ndim, t->ndim + 1);
    if (t->ndim >= TSH_MAX_DIMS)
        return tsh_fail(TSH_ERR_SHAPE, "unsqueeze: tensors have at most %d dimensions", TSH_MAX_DIMS);
    int64_t shape[TSH_MAX_DIMS], stride[TSH_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d <= t->ndim; d++) {
        if (d == dim) {
            shape[nd] = 1;
            stride[nd++] = d < t->ndim ? t->stride[d] * t->shape[d] : 1;
        }
        if (d < t->ndim) {
            shape[nd] = t->shape[d];
            stride[nd++] = t->stride[d];
        }
    }
    TSH_TRY(tsh_tensor_view(t, nd, shape, stride, t->offset, out));
    return tsh_grad_view(TSH_VIEW_UNSQUEEZE, t, out, NULL);
}

tsh_status tsh_unfold(tsh_tensor *t, int dim, int64_t size, int64_t step, tsh_tensor **out)
{
    int64_t shape[TSH_MAX_DIMS], stride[TSH_MAX_DIMS];
    int64_t dsize = t->ndim ? t->shape[dim] : 1, dstride = t->ndim ? t->stride[dim] : 1;
    if (t->ndim) TSH_TRY(check_dim("unfold", dim, t->ndim));
    if (t->ndim >= TSH_MAX_DIMS)
        return tsh_fail(TSH_ERR_SHAPE, "unfold: tensors have at most %d dimensions", TSH_MAX_DIMS);
    if (step <= 0) return tsh_fail(TSH_ERR_ARG, "unfold: step must be positive, got %lld", (long long)step);
    if (size < 0 || size > dsize)
        return tsh_fail(TSH_ERR_SHAPE, "unfold: size %lld exceeds dim %d of size %lld",
                        (long long)size, dim + 1, (long long)dsize);
    int nd = t->ndim ? t->ndim : 1;
    memcpy(shape, t->shape, sizeof shape);
    memcpy(stride, t->stride, sizeof stride);
    if (!t->ndim) shape[0] = 1, stride[0] = 1;
    shape[dim] = (dsize - size) / step + 1;
    /* One window's stride is never used: step may be past the dim (2^62),
     * where dstride * step would overflow. */
    stride[dim] = dstride * (shape[dim] > 1 ? step : 1);
    shape[nd] = size;
    stride[nd] = dstride;
    TSH_TRY(tsh_tensor_view(t, nd + 1, shape, stride, t->offset, out));
    return tsh_grad_view(TSH_VIEW_UNFOLD, t, out, (int64_t[]){t->ndim ? dim : 0, size, step});
}
