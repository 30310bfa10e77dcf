/* ops.h: every kernel-level op, and what a kernel is handed.
 * The enum and the info table in ops.c are kept in step by a static_assert.
 * A backend fills a table of kernels indexed by this enum; a NULL entry means
 * "not implemented here", which the front end reports, never works around.
 * Lua-level functions that are views or compositions (view, cat, split, ...)
 * have no op here: they are built from these in the front end. */
#ifndef TSH_OPS_H
#define TSH_OPS_H

#include "status.h"
#include "tensor.h"

typedef enum tsh_op {
    /* data movement and creation */
    TSH_OP_COPY,          /* out <- in0, any strides, converting dtype */
    TSH_OP_FILL,          /* out <- f[0] (float dtypes) or i[0] (others) */
    TSH_OP_ARANGE,        /* out[k] = f[0] + k*f[1] (float) or i[0] + k*i[1] */
    TSH_OP_LINSPACE,      /* out[k] = f[0] + (f[1]-f[0]) * k/(n-1), symmetric */
    /* (ARANGE, LINSPACE: out is a fresh contiguous 1-d tensor. LINSPACE with
     * i[0] = 1 is logspace: out[k] = f[2] ^ (the value above).) */
    /* elementwise binary: out, in0, in1 broadcast to out's shape, one dtype
     * (float16 and bfloat16 included: computed in float32, rounded once) */
    TSH_OP_ADD,           /* in0 + f[0]*in1 (alpha; i[0] for integer dtypes) */
    TSH_OP_SUB,           /* in0 - f[0]*in1 (alpha; i[0] for integer dtypes) */
    TSH_OP_MUL,
    TSH_OP_DIV,           /* true division: float dtypes only */
    TSH_OP_FLOOR_DIVIDE,
    TSH_OP_REMAINDER,     /* sign of divisor, as Lua's % and torch.remainder */
    TSH_OP_FMOD,          /* sign of dividend, as C fmod */
    TSH_OP_POW,
    TSH_OP_MAXIMUM,
    TSH_OP_MINIMUM,
    TSH_OP_ATAN2,
    TSH_OP_RELU_BACKWARD, /* in1 <= 0 ? 0 : in0 (grad, relu's output): torch's threshold_backward */
    /* comparisons and logic: inputs in one dtype, out bool */
    TSH_OP_EQ,
    TSH_OP_NE,
    TSH_OP_LT,
    TSH_OP_LE,
    TSH_OP_GT,
    TSH_OP_GE,
    TSH_OP_LOGICAL_AND,
    TSH_OP_LOGICAL_OR,
    TSH_OP_LOGICAL_XOR,
    /* elementwise unary: out, in0 of one shape and dtype (LOGICAL_NOT: out bool) */
    TSH_OP_NEG,
    TSH_OP_ABS,
    TSH_OP_SIGN,
    TSH_OP_EXP,
    TSH_OP_LOG,
    TSH_OP_LOG1P,
    TSH_OP_EXPM1,
    TSH_OP_SQRT,
    TSH_OP_RSQRT,
    TSH_OP_SIN,
    TSH_OP_COS,
    TSH_OP_TAN,
    TSH_OP_TANH,
    TSH_OP_SIGMOID,
    TSH_OP_RELU,
    TSH_OP_GELU,          /* exact (erf) form, as torch's default; i[0] = 1: tanh form */
    TSH_OP_SILU,
    TSH_OP_FLOOR,
    TSH_OP_CEIL,
    TSH_OP_ROUND,         /* half to even, as torch.round; i[0] = decimals (floats) */
    TSH_OP_TRUNC,
    TSH_OP_RECIPROCAL,
    TSH_OP_SQUARE,
    TSH_OP_LOGICAL_NOT,
    TSH_OP_CLAMP,         /* i[0] bit 1: has min f[0], bit 2: has max f[1]; the same
                           * bounds as integers in i[1], i[2] (exact past 2^53) */
    /* reductions: in0 contiguous, read as (outer=i[0], red=i[1], inner=i[2]);
     * out contiguous (outer, inner); out2 int64 1-based indices where asked.
     * The front end (interp/core/reduce.c) refines this as follows:
     * - a 0-dim input arrives as (1, 1, 1); several reduced dims arrive
     *   permuted to the end and merged into red (inner = 1);
     * - dtypes: in0 is float16/bfloat16 only for SUM and MEAN, and for
     *   MAX and MIN over every dim without out2, with out float32 (the
     *   others are handed a float32 copy). SUM,
     *   PROD, CUMSUM, CUMPROD: out float with in0 of the same dtype, or out
     *   integer with in0 bool/integer (accumulate in int64, wrap on store).
     *   MAX, MIN, SORT, TOPK: out in0's dtype. MEAN, VAR, NORM, LOGSUMEXP,
     *   SOFTMAX, LOG_SOFTMAX: float32/float64 only, out of in0's dtype.
     *   ANY, ALL: any in0, out bool or uint8 (torch keeps uint8).
     * - red may be 0 (sum 0, prod 1, mean/var nan, norm 0, logsumexp -inf,
     *   any false, all true) except for MAX, MIN, ARGMAX, ARGMIN, which the
     *   front end refuses; outputs with no elements are never dispatched.
     * - ties pick the first index; NaN wins max/min/argmax/argmin (first NaN).
     * - VAR: i[3] 1 gives the standard deviation (sqrt of var); divides by
     *   max(0, red - correction). NORM: f[0] = p: inf, -inf, 0 (count of
     *   nonzeros), 1, 2 or any other p. */
    TSH_OP_SUM,
    TSH_OP_MEAN,
    TSH_OP_PROD,
    TSH_OP_MAX,           /* out values; out2 indices if non-NULL */
    TSH_OP_MIN,
    TSH_OP_ARGMAX,        /* out int64 indices */
    TSH_OP_ARGMIN,
    TSH_OP_VAR,           /* f[0] = correction (1 = unbiased) */
    TSH_OP_NORM,          /* f[0] = p (inf allowed) */
    TSH_OP_LOGSUMEXP,
    TSH_OP_ANY,           /* out bool */
    TSH_OP_ALL,
    /* along one dim: in0 and out contiguous (outer, red, inner); dtypes as
     * above. SORT and TOPK are stable (equal values keep index order) and
     * put NaN above +inf, as torch does; TOPK's out is always sorted. */
    TSH_OP_CUMSUM,
    TSH_OP_CUMPROD,
    TSH_OP_SOFTMAX,
    TSH_OP_LOG_SOFTMAX,
    TSH_OP_SORT,          /* out values, out2 int64 1-based indices; i[3] descending */
    TSH_OP_TOPK,          /* out (outer, k=i[3], inner) values, out2 indices; i[4] largest */
    /* linear algebra */
    TSH_OP_GEMM,          /* out[b] = f[0]*in0[b]@in1[b] + f[1]*out[b], 3-d, any strides */
    /* indexing (indices int64, 1-based, checked by the front end: kernels may
     * assume every index is in range). Any strides, stride 0 included, and
     * ndim >= 1 for the ops along a dim. Ops that only move elements take
     * every dtype; the add/multiply modes take f32/f64/integers/bool (bool
     * adds as "or", multiplies as "and"). Duplicate indices apply in index
     * order, so results are deterministic. */
    TSH_OP_INDEX_SELECT,  /* out = in0 selected along dim i[0] by in1 (1-d); out has in0's
                             shape with len(in1) at dim */
    TSH_OP_GATHER,        /* out[..j..] = in0[..in1[..j..]..] along dim i[0]; out and in1 of one
                             shape, in1 no larger than in0 off dim */
    TSH_OP_SCATTER,       /* out (already a copy of the input) [..in1[..j..]..] = in0[..j..] along
                             dim i[0]; in0 has in1's shape; i[1] 0: set, 1: add, 2: multiply */
    TSH_OP_INDEX_ADD,     /* out along dim i[0] at in1[k] += alpha * in0[..k..], in1 1-d;
                             alpha f[0] (float dtypes) or i[1] (others) */
    TSH_OP_INDEX_FILL,    /* out's slices along dim i[0] at in0 (1-d) <- f[0] (float dtypes) or
                             i[1] (others); each slice one contiguous run (the front end sends
                             other layouts to SCATTER) */
    TSH_OP_MASKED_FILL,   /* out (same shape as in0 bool mask) where mask <- f[0]/i[0] */
    TSH_OP_WHERE,         /* out = in0 (bool) ? in1 : in2, all broadcast to out, in1/in2 in out's dtype */
    TSH_OP_MASKED_SELECT, /* out 1-d = in0[in1 mask], both of one shape; the front end counts */
    TSH_OP_MASKED_SCATTER,/* out where in0 (bool, out's shape) <- the next element of in1 (1-d,
                             contiguous, at least as many as the mask holds), row-major order */
    TSH_OP_NONZERO,       /* out (count x ndim int64, contiguous) = 1-based coordinates of the
                             true elements of in0 (bool, ndim >= 1), row-major order */
    TSH_OP_FLIP,          /* out = in0 flipped along dims set in bitmask i[0] */
    TSH_OP_TRIL,          /* out = lower triangle of in0 (last two dims) from diagonal i[0] */
    TSH_OP_TRIU,
    /* random (Philox 4x32-10, key = seed i[0], counter base i[1]) */
    /* (out is contiguous; which Philox bits element k uses, and how they
     * become a value, is defined once in random.h; in0 of BERNOULLI is
     * contiguous float32/float64 of out's shape.) */
    TSH_OP_RAND_UNIFORM,  /* out in [f[0], f[1]); i[2]: random bits of a float32 value (0 = 24) */
    TSH_OP_RAND_NORMAL,   /* mean f[0], std f[1] */
    TSH_OP_RANDINT,       /* [i[2], i[3]) */
    TSH_OP_BERNOULLI,     /* out = u < p, p = in0 (if given) or f[0] */
    /* neural-network functions (front end: interp/core/nn*.c). float32 and
     * float64 only (float16/bfloat16 are computed as float32 by the front end).
     * 2-d windows (conv, pooling): every tensor contiguous NCHW, 4-d (an
     * unbatched CHW input arrives as N = 1); output sizes are out's shape
     * (the front end computed them, ceil_mode included). Window parameters
     * are (h, w) pairs packed into one int64 by tsh_hw_pack: i[0] stride,
     * i[1] padding, i[2] dilation, i[3] kernel size (pools; a convolution
     * reads its kernel off the weight and has groups in i[3]). */
    TSH_OP_CONV2D,        /* out (N,Cout,OH,OW) = in0 x (N,Cin,H,W) (*) in1 w (Cout,Cin/groups,KH,KW)
                             + in2 bias (Cout) or NULL; cross-correlation, zero padding */
    TSH_OP_CONV2D_BWD_DATA,   /* out dx (N,Cin,H,W) from in0 dy (N,Cout,OH,OW) and in1 w */
    TSH_OP_CONV2D_BWD_WEIGHT, /* out dw (w's shape) from in0 dy and in1 x; out2 dbias (Cout):
                                 dy summed over N, OH, OW, or NULL */
    TSH_OP_MAX_POOL2D,    /* out (N,C,OH,OW) window maxima, padding never wins; out2 int64
                             1-based position of the max in its input plane (h*W + w + 1) or
                             NULL; ties pick the first, NaN wins (the first NaN) */
    TSH_OP_MAX_POOL2D_BWD,/* out dx (N,C,H,W) = in0 dy (N,C,OH,OW) added at in1's positions */
    TSH_OP_AVG_POOL2D,    /* i[4] = 1: count_include_pad. Divisor: the window clipped to the
                             padded input (include) or to the input (exclude), as torch */
    TSH_OP_AVG_POOL2D_BWD,    /* out dx (N,C,H,W) from in0 dy; i[] as AVG_POOL2D */
    TSH_OP_ADAPTIVE_AVG_POOL2D, /* out (N,C,OH,OW): rows [floor(o*H/OH), ceil((o+1)*H/OH)),
                                   columns the same, averaged */
    TSH_OP_ADAPTIVE_AVG_POOL2D_BWD, /* out dx (N,C,H,W) from in0 dy (N,C,OH,OW) */
    /* classification losses: in0 3-d (outer, C, inner) contiguous; in1 the
     * target: int64 (outer, inner) contiguous class indices, 1-based, each in
     * 1..C or equal to i[0] = ignore_index (the front end checked), or (cross
     * entropy only) probabilities of in0's shape and dtype; in2 class weights
     * (C) of in0's dtype or NULL. out (outer, inner) the loss of each sample;
     * out2 (index targets) the weight each sample has in a mean: weight[t]
     * (1 without weights), 0 where ignored. f[0] = label_smoothing. A
     * backward op writes out (outer, C, inner) = d loss[n,k] / d in0[n,:,k],
     * each sample's gradient of its own loss, not scaled by an output grad. */
    TSH_OP_CROSS_ENTROPY, /* log_softmax over C and nll, fused (label smoothing as torch) */
    TSH_OP_CROSS_ENTROPY_BWD, /* softmax - target distribution, weighted */
    TSH_OP_NLL_LOSS,      /* in0 holds log-probabilities: loss = -weight[t] * in0[n,t,k] */
    TSH_OP_NLL_LOSS_BWD,  /* -weight[t] at the target class, 0 elsewhere; in0 unused */
    /* layer_norm over the rows of in0 (rows x D, contiguous, float): out
     * (rows x D) = (x - mean) * invstd * in1 + in2 (in1, in2: D values or
     * NULL), out2 (rows x 2) = mean, invstd = 1/sqrt(biased var + f[0]) */
    TSH_OP_LAYER_NORM,
    /* mse_loss and l1_loss reduced, in one pass: out (0-dim) = f[0] * the
     * sum over elements of (in0 - in1)^2 (i[0] = 2) or |in0 - in1| (i[0] =
     * 1), added in double; in0, in1 contiguous, one shape, float32 or
     * float64, out of their dtype. f[0] = 1 (sum) or 1 / numel (mean). */
    TSH_OP_REGRESSION_LOSS,
    /* optimizer updates, in place, one pass (torch.optim's formulas):
     * out the parameter, in0 its gradient, out2 the momentum buffer or NULL;
     * all contiguous, of one shape and float dtype. f[0] lr, f[1] momentum,
     * f[2] dampening, f[3] weight_decay; i[0] bit 1 nesterov, bit 2
     * maximize, bit 4 first step (the buffer starts as the gradient). */
    TSH_OP_SGD_UPDATE,
    TSH_OP_COUNT
} tsh_op;

typedef enum tsh_op_kind {
    TSH_KIND_MISC,
    TSH_KIND_BINARY,
    TSH_KIND_COMPARE,
    TSH_KIND_UNARY,
    TSH_KIND_REDUCE,
    TSH_KIND_DIMWISE,
    TSH_KIND_RANDOM,
} tsh_op_kind;

typedef struct tsh_op_info {
    const char *name;     /* the Lua/PyTorch name */
    tsh_op_kind kind;
    bool float_only;      /* integer inputs promote to the default float type */
} tsh_op_info;

extern const tsh_op_info tsh_op_infos[];
/* Looks an op up by its name; returns TSH_OP_COUNT when there is none. */
tsh_op tsh_op_from_name(const char *name);

/* What every kernel receives. Unused fields are zero. */
typedef struct tsh_kargs {
    tsh_tensor *out, *out2;
    tsh_tensor *in[3];
    double f[4];
    int64_t i[5];
} tsh_kargs;

typedef tsh_status (*tsh_kernel_fn)(tsh_op op, const tsh_kargs *a);

/* Packs an (h, w) pair of window parameters into one kernel argument (see
 * the 2-d window ops above); both are in [0, 2^31), which the front end
 * checks. */
static inline int64_t tsh_hw_pack(int64_t h, int64_t w)
{
    return (int64_t)(((uint64_t)h << 32) | (uint64_t)(uint32_t)w);
}
static inline int64_t tsh_hw_h(int64_t v) { return (int64_t)((uint64_t)v >> 32); }
static inline int64_t tsh_hw_w(int64_t v) { return (int64_t)(uint32_t)v; }

#endif
