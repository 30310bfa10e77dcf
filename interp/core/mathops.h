/* mathops.h: the front end of elementwise math: binary ops (add .. atan2),
 * comparisons and logic, unary ops and clamp. It applies PyTorch's rules
 * (type promotion, float-only ops, broadcasting, in-place casting, integer
 * division by zero) and dispatches one kernel; it does not compute, and it
 * knows nothing of Lua. Reductions and matmul live elsewhere.
 *
 * Every entry takes `out`: NULL allocates a new result in *res; a tensor
 * writes into it (the in-place form, a:add_(b), passes a as out): the
 * operands must broadcast to out's shape, not beyond it, and the result
 * dtype must be castable to out's, as PyTorch requires. `res` may be NULL
 * when out is given; otherwise it receives a new reference (to out itself
 * when out is given).
 * (Not named math.h: interp/core is on the include path, and that name would
 * shadow <math.h> for every file in the build.) */
#ifndef TSH_MATHOPS_H
#define TSH_MATHOPS_H

#include "front.h"

/* A number as the user wrote it: Lua integer, float or boolean. */
typedef enum tsh_scalar_kind { TSH_SCALAR_INT, TSH_SCALAR_FLOAT, TSH_SCALAR_BOOL } tsh_scalar_kind;
typedef struct tsh_scalar {
    tsh_scalar_kind kind;
    int64_t i; /* INT and BOOL */
    double f;  /* FLOAT */
} tsh_scalar;

/* A wrapped 0-dim CPU tensor for one number, held in the caller's memory
 * so that `t + 1` allocates nothing for the 1. It is valid while `s` is, and
 * is only ever an operand: no op keeps a reference to it or returns it.
 * Integers make int64, floats float64 (promotion treats wrapped floats as
 * the default float type), booleans bool, as tshL_check_operand does. */
typedef struct tsh_stack_scalar {
    tsh_tensor t;
    tsh_storage s;
    union { double f; int64_t i; uint8_t b; } v;
} tsh_stack_scalar;
tsh_tensor *tsh_stack_scalar_init(tsh_stack_scalar *s, const tsh_scalar *v);

/* op is a TSH_KIND_BINARY or TSH_KIND_COMPARE op. alpha (NULL: 1) scales b
 * for add and sub only. Comparisons and logical_* give bool. */
tsh_status tsh_binary(tsh_op op, tsh_tensor *a, tsh_tensor *b, const tsh_scalar *alpha,
                      tsh_tensor *out, tsh_tensor **res);

/* div with PyTorch's rounding_mode: NULL (true division), "floor" or "trunc". */
tsh_status tsh_div_mode(tsh_tensor *a, tsh_tensor *b, const char *mode, tsh_tensor *out,
                        tsh_tensor **res);

/* op is a TSH_KIND_UNARY op other than clamp. param: decimals for round,
 * 1 for gelu's tanh approximation; 0 otherwise. */
tsh_status tsh_unary(tsh_op op, tsh_tensor *a, int64_t param, tsh_tensor *out, tsh_tensor **res);

/* clamp(a, min, max); min or max may be NULL but not both. 0-dim bounds
 * (Lua numbers) take the scalar kernel; tensor bounds broadcast. */
tsh_status tsh_clamp(tsh_tensor *a, tsh_tensor *min, tsh_tensor *max, tsh_tensor *out,
                     tsh_tensor **res);

/* PyTorch's can_cast: float to integer or bool, and integer to bool, are not. */
bool tsh_can_cast(tsh_dtype from, tsh_dtype to);

#endif
