/* front.h: the op front end shared by every op family: type promotion,
 * broadcasting, casts, copies and fills. Front-end functions check their
 * arguments, allocate outputs on the operands' device and dispatch to the
 * backend's kernel; they never compute themselves.
 *
 * Conventions for every tsh_* front-end call:
 * - dims are 0-based and already non-negative (the Lua layer maps Lua's
 *   1-based and negative dims); messages print dims 1-based, as users see them;
 * - an output pointer `tsh_tensor **out` receives a new reference;
 * - on failure nothing is leaked and the message is in tsh_errmsg(). */
#ifndef TSH_FRONT_H
#define TSH_FRONT_H

#include "backend.h"
#include "ops.h"
#include "tensor.h"

/* PyTorch's result_type: dimensioned tensors outrank 0-dim tensors, which
 * outrank wrapped Lua numbers, unless the lower group is of a higher
 * category (bool < integer < float). */
tsh_dtype tsh_result_type(int n, tsh_tensor *const *ts);

/* The broadcast shape of n tensors; fails naming the op and both shapes. */
tsh_status tsh_broadcast_shape(const char *opname, int n, tsh_tensor *const *ts, int *ndim,
                               int64_t *shape);
/* All operands on one device, or an error naming both. */
tsh_status tsh_check_same_device(const char *opname, int n, tsh_tensor *const *ts);

/* A view of t expanded (stride 0) to shape; t must broadcast to it. */
tsh_status tsh_expand(tsh_tensor *t, int ndim, const int64_t *shape, tsh_tensor **out);

tsh_status tsh_copy_(tsh_tensor *dst, tsh_tensor *src);   /* dst <- src: broadcasts, casts */
tsh_status tsh_to_dtype(tsh_tensor *t, tsh_dtype dt, tsh_tensor **out); /* t itself if same */
tsh_status tsh_contiguous(tsh_tensor *t, tsh_tensor **out); /* t itself if contiguous */
tsh_status tsh_clone(tsh_tensor *t, tsh_tensor **out);
tsh_status tsh_fill_(tsh_tensor *t, double v);
tsh_status tsh_fill_int_(tsh_tensor *t, int64_t v);
tsh_status tsh_full(int ndim, const int64_t *shape, double v, tsh_dtype dt, tsh_device dev,
                    tsh_tensor **out);
/* 0-dim tensors from numbers; `wrapped` marks a Lua number for promotion. */
tsh_status tsh_scalar_f64(double v, tsh_dtype dt, bool wrapped, tsh_tensor **out);
tsh_status tsh_scalar_i64(int64_t v, tsh_dtype dt, bool wrapped, tsh_tensor **out);
/* Element value of a one-element tensor. */
tsh_status tsh_item_f64(tsh_tensor *t, double *v);
tsh_status tsh_item_i64(tsh_tensor *t, int64_t *v);

tsh_device tsh_cpu_device(void);

/* Views (share storage). shape entries of -1 are inferred (view/reshape) or
 * kept (expand). */
tsh_status tsh_view(tsh_tensor *t, int ndim, const int64_t *shape, tsh_tensor **out);
tsh_status tsh_reshape(tsh_tensor *t, int ndim, const int64_t *shape, tsh_tensor **out);
tsh_status tsh_flatten(tsh_tensor *t, int start, int end, tsh_tensor **out);
tsh_status tsh_transpose(tsh_tensor *t, int d0, int d1, tsh_tensor **out);
tsh_status tsh_permute(tsh_tensor *t, const int *dims, tsh_tensor **out);
tsh_status tsh_narrow(tsh_tensor *t, int dim, int64_t start, int64_t len, tsh_tensor **out);
tsh_status tsh_slice(tsh_tensor *t, int dim, int64_t start, int64_t end, int64_t step,
                     tsh_tensor **out); /* [start, end) by step > 0 */
tsh_status tsh_select(tsh_tensor *t, int dim, int64_t index, tsh_tensor **out); /* drops dim */
tsh_status tsh_expand_shape(tsh_tensor *t, int ndim, const int64_t *shape, tsh_tensor **out);
tsh_status tsh_squeeze(tsh_tensor *t, int dim, tsh_tensor **out); /* dim < 0: all size-1 dims */
tsh_status tsh_unsqueeze(tsh_tensor *t, int dim, tsh_tensor **out);
tsh_status tsh_unfold(tsh_tensor *t, int dim, int64_t size, int64_t step, tsh_tensor **out);
/* Can t be viewed with this shape without a copy? Fills the strides. */
bool tsh_view_strides(const tsh_tensor *t, int ndim, const int64_t *shape, int64_t *stride);

#endif
