/* cpu/elementwise_compare.c: fast comparisons (eq .. ge) and logical
 * and/or/xor: two inputs of one dtype, broadcast by the front end, and a
 * bool output (bytes of 0 or 1). Same loop shapes as the binary kernels. */
#include "elementwise.h"
#include "iter.h"

#define CMP_LOOP(T, EXPR)                                                          \
    do {                                                                           \
        const int64_t es = sizeof(T);                                              \
        if (s[0] == 1 && s[1] == es && s[2] == es) {                               \
            uint8_t *o = (uint8_t *)p[0];                                          \
            const T *x = (const T *)p[1], *y = (const T *)p[2];                    \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                  \
                T a = x[i], b = y[i];                                              \
                o[i] = (uint8_t)(EXPR);                                            \
            }                                                                      \
        } else if (s[0] == 1 && s[1] == es && s[2] == 0) {                         \
            uint8_t *o = (uint8_t *)p[0];                                          \
            const T *x = (const T *)p[1], b = *(const T *)p[2];                    \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                  \
                T a = x[i];                                                        \
                o[i] = (uint8_t)(EXPR);                                            \
            }                                                                      \
        } else {                                                                   \
            for (int64_t i = 0; i < n; i++) {                                      \
                T a = *(const T *)(p[1] + i * s[1]), b = *(const T *)(p[2] + i * s[2]); \
                *(uint8_t *)(p[0] + i * s[0]) = (uint8_t)(EXPR);                   \
            }                                                                      \
        }                                                                          \
    } while (0)

#define CMP_OPS(T)                                                                 \
    do {                                                                           \
        switch (op) {                                                              \
        case TSH_OP_EQ: CMP_LOOP(T, a == b); break;                                \
        case TSH_OP_NE: CMP_LOOP(T, a != b); break;                                \
        case TSH_OP_LT: CMP_LOOP(T, a < b); break;                                 \
        case TSH_OP_LE: CMP_LOOP(T, a <= b); break;                                \
        case TSH_OP_GT: CMP_LOOP(T, a > b); break;                                 \
        case TSH_OP_GE: CMP_LOOP(T, a >= b); break;                                \
        case TSH_OP_LOGICAL_AND: CMP_LOOP(T, (a != 0) & (b != 0)); break;          \
        case TSH_OP_LOGICAL_OR: CMP_LOOP(T, (a != 0) | (b != 0)); break;           \
        case TSH_OP_LOGICAL_XOR: CMP_LOOP(T, (a != 0) ^ (b != 0)); break;          \
        default: break;                                                            \
        }                                                                          \
    } while (0)

typedef struct { tsh_op op; tsh_dtype dt; } cmp_ctx;

static void cmp_loop(void *vctx, char **p, const int64_t *s, int64_t n)
{
    const cmp_ctx *c = vctx;
    tsh_op op = c->op;
    switch (c->dt) {
    case TSH_F32: CMP_OPS(float); break;
    case TSH_F64: CMP_OPS(double); break;
    case TSH_I64: CMP_OPS(int64_t); break;
    case TSH_I32: CMP_OPS(int32_t); break;
    case TSH_U8: case TSH_BOOL: CMP_OPS(uint8_t); break;
    default: break;
    }
}

tsh_status tsh_cpu_compare(tsh_op op, const tsh_kargs *k)
{
    tsh_tensor *ts[3] = {k->out, k->in[0], k->in[1]};
    tsh_iter it;
    tsh_iter_init(&it, 3, ts);
    cmp_ctx c = {op, k->in[0]->dtype};
    return tsh_iter_run(&it, 0, cmp_loop, &c);
}
