/* ops.c: the op info table, in step with the enum in ops.h. */
#include "ops.h"

#include <string.h>

#define B TSH_KIND_BINARY
#define C TSH_KIND_COMPARE
#define U TSH_KIND_UNARY
#define R TSH_KIND_REDUCE
#define D TSH_KIND_DIMWISE
#define X TSH_KIND_RANDOM
#define M TSH_KIND_MISC

const tsh_op_info tsh_op_infos[] = {
    [TSH_OP_COPY] = {"copy", M, false},
    [TSH_OP_FILL] = {"fill", M, false},
    [TSH_OP_ARANGE] = {"arange", M, false},
    [TSH_OP_LINSPACE] = {"linspace", M, true},
    [TSH_OP_ADD] = {"add", B, false},
    [TSH_OP_SUB] = {"sub", B, false},
    [TSH_OP_MUL] = {"mul", B, false},
    [TSH_OP_DIV] = {"div", B, true},
    [TSH_OP_FLOOR_DIVIDE] = {"floor_divide", B, false},
    [TSH_OP_REMAINDER] = {"remainder", B, false},
    [TSH_OP_FMOD] = {"fmod", B, false},
    [TSH_OP_POW] = {"pow", B, false},
    [TSH_OP_MAXIMUM] = {"maximum", B, false},
    [TSH_OP_MINIMUM] = {"minimum", B, false},
    [TSH_OP_ATAN2] = {"atan2", B, true},
    [TSH_OP_RELU_BACKWARD] = {"relu_backward", B, false},
    [TSH_OP_EQ] = {"eq", C, false},
    [TSH_OP_NE] = {"ne", C, false},
    [TSH_OP_LT] = {"lt", C, false},
    [TSH_OP_LE] = {"le", C, false},
    [TSH_OP_GT] = {"gt", C, false},
    [TSH_OP_GE] = {"ge", C, false},
    [TSH_OP_LOGICAL_AND] = {"logical_and", C, false},
    [TSH_OP_LOGICAL_OR] = {"logical_or", C, false},
    [TSH_OP_LOGICAL_XOR] = {"logical_xor", C, false},
    [TSH_OP_NEG] = {"neg", U, false},
    [TSH_OP_ABS] = {"abs", U, false},
    [TSH_OP_SIGN] = {"sign", U, false},
    [TSH_OP_EXP] = {"exp", U, true},
    [TSH_OP_LOG] = {"log", U, true},
    [TSH_OP_LOG1P] = {"log1p", U, true},
    [TSH_OP_EXPM1] = {"expm1", U, true},
    [TSH_OP_SQRT] = {"sqrt", U, true},
    [TSH_OP_RSQRT] = {"rsqrt", U, true},
    [TSH_OP_SIN] = {"sin", U, true},
    [TSH_OP_COS] = {"cos", U, true},
    [TSH_OP_TAN] = {"tan", U, true},
    [TSH_OP_TANH] = {"tanh", U, true},
    [TSH_OP_SIGMOID] = {"sigmoid", U, true},
    [TSH_OP_RELU] = {"relu", U, false},
    [TSH_OP_GELU] = {"gelu", U, true},
    [TSH_OP_SILU] = {"silu", U, true},
    [TSH_OP_FLOOR] = {"floor", U, false},
    [TSH_OP_CEIL] = {"ceil", U, false},
    [TSH_OP_ROUND] = {"round", U, false},
    [TSH_OP_TRUNC] = {"trunc", U, false},
    [TSH_OP_RECIPROCAL] = {"reciprocal", U, true},
    [TSH_OP_SQUARE] = {"square", U, false},
    [TSH_OP_LOGICAL_NOT] = {"logical_not", U, false},
    [TSH_OP_CLAMP] = {"clamp", U, false},
    [TSH_OP_SUM] = {"sum", R, false},
    [TSH_OP_MEAN] = {"mean", R, true},
    [TSH_OP_PROD] = {"prod", R, false},
    [TSH_OP_MAX] = {"max", R, false},
    [TSH_OP_MIN] = {"min", R, false},
    [TSH_OP_ARGMAX] = {"argmax", R, false},
    [TSH_OP_ARGMIN] = {"argmin", R, false},
    [TSH_OP_VAR] = {"var", R, true},
    [TSH_OP_NORM] = {"norm", R, true},
    [TSH_OP_LOGSUMEXP] = {"logsumexp", R, true},
    [TSH_OP_ANY] = {"any", R, false},
    [TSH_OP_ALL] = {"all", R, false},
    [TSH_OP_CUMSUM] = {"cumsum", D, false},
    [TSH_OP_CUMPROD] = {"cumprod", D, false},
    [TSH_OP_SOFTMAX] = {"softmax", D, true},
    [TSH_OP_LOG_SOFTMAX] = {"log_softmax", D, true},
    [TSH_OP_SORT] = {"sort", D, false},
    [TSH_OP_TOPK] = {"topk", D, false},
    [TSH_OP_GEMM] = {"gemm", M, false},
    [TSH_OP_INDEX_SELECT] = {"index_select", M, false},
    [TSH_OP_GATHER] = {"gather", M, false},
    [TSH_OP_SCATTER] = {"scatter", M, false},
    [TSH_OP_INDEX_ADD] = {"index_add", M, false},
    [TSH_OP_INDEX_FILL] = {"index_fill", M, false},
    [TSH_OP_MASKED_FILL] = {"masked_fill", M, false},
    [TSH_OP_WHERE] = {"where", M, false},
    [TSH_OP_MASKED_SELECT] = {"masked_select", M, false},
    [TSH_OP_MASKED_SCATTER] = {"masked_scatter", M, false},
    [TSH_OP_NONZERO] = {"nonzero", M, false},
    [TSH_OP_FLIP] = {"flip", M, false},
    [TSH_OP_TRIL] = {"tril", M, false},
    [TSH_OP_TRIU] = {"triu", M, false},
    [TSH_OP_RAND_UNIFORM] = {"rand", X, true},
    [TSH_OP_RAND_NORMAL] = {"randn", X, true},
    [TSH_OP_RANDINT] = {"randint", X, false},
    [TSH_OP_BERNOULLI] = {"bernoulli", X, false},
    [TSH_OP_CONV2D] = {"conv2d", M, false},
    [TSH_OP_CONV2D_BWD_DATA] = {"conv2d_backward_data", M, false},
    [TSH_OP_CONV2D_BWD_WEIGHT] = {"conv2d_backward_weight", M, false},
    [TSH_OP_MAX_POOL2D] = {"max_pool2d", M, false},
    [TSH_OP_MAX_POOL2D_BWD] = {"max_pool2d_backward", M, false},
    [TSH_OP_AVG_POOL2D] = {"avg_pool2d", M, false},
    [TSH_OP_AVG_POOL2D_BWD] = {"avg_pool2d_backward", M, false},
    [TSH_OP_ADAPTIVE_AVG_POOL2D] = {"adaptive_avg_pool2d", M, false},
    [TSH_OP_ADAPTIVE_AVG_POOL2D_BWD] = {"adaptive_avg_pool2d_backward", M, false},
    [TSH_OP_CROSS_ENTROPY] = {"cross_entropy", M, false},
    [TSH_OP_CROSS_ENTROPY_BWD] = {"cross_entropy_backward", M, false},
    [TSH_OP_NLL_LOSS] = {"nll_loss", M, false},
    [TSH_OP_NLL_LOSS_BWD] = {"nll_loss_backward", M, false},
    [TSH_OP_LAYER_NORM] = {"layer_norm", M, false},
    [TSH_OP_REGRESSION_LOSS] = {"regression_loss", M, false},
    [TSH_OP_SGD_UPDATE] = {"sgd_update", M, true},
};

/* Designated initializers leave a forgotten op zeroed; the size check catches
 * an enum grown past the table, and tests/c check every name is set. */
_Static_assert(sizeof tsh_op_infos / sizeof tsh_op_infos[0] == TSH_OP_COUNT,
               "op info table out of step with enum tsh_op");

tsh_op tsh_op_from_name(const char *name)
{
    for (int i = 0; i < TSH_OP_COUNT; i++)
        if (tsh_op_infos[i].name && strcmp(tsh_op_infos[i].name, name) == 0) return (tsh_op)i;
    return TSH_OP_COUNT;
}
