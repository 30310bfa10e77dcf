/* batch.h: the batching step of data loading, in C so that a DataLoader
 * does no per-sample work in Lua: gather whole rows of a dataset tensor by
 * a 1-based index tensor, converting the dtype and applying a per-channel
 * affine map (ToTensor's /255 and Normalize folded into x * scale + shift)
 * in the same pass. Host (CPU) tensors only: datasets live in host memory,
 * and the batch is moved to a device afterwards. Not a device op, so it is
 * not in the op table. */
#ifndef TSH_BATCH_H
#define TSH_BATCH_H

#include "front.h"

/* out[k, ...] = src[idx[k] - 1, ...] (idx: 1-d int64/int32, 1-based; NULL
 * takes every row in order), converted to dt. With nchan > 0 each value is
 * then x * scale[c] + shift[c], computed in dt (which must be floating; at most 64 channels),
 * where c is the position along out's dim -3 (nchan 1: one pair for all).
 * Fails naming the op on a bad index, dtype, device or channel count. */
tsh_status tsh_take_rows(tsh_tensor *src, tsh_tensor *idx, tsh_dtype dt, int nchan, const double *scale,
                         const double *shift, tsh_tensor **out);

#endif
