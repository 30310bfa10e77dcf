/* cpu/copy.c: strided copy with dtype conversion, and fill. Same-dtype
 * copies move bytes; conversions between the common types have typed inner
 * loops that vectorise; the rare pairs go through load/store helpers. */
#include <string.h>

#include "../kernels.h"
#include "iter.h"

typedef struct { tsh_dtype dst, src; } copy_ctx;

static void copy_same(void *vctx, char **p, const int64_t *s, int64_t n)
{
    const copy_ctx *c = vctx;
    size_t es = tsh_dtype_size(c->dst);
    if (s[0] == (int64_t)es && s[1] == (int64_t)es) {
        memcpy(p[0], p[1], (size_t)n * es);
        return;
    }
    char *d = p[0], *x = p[1];
    switch (es) {
    case 1: for (int64_t i = 0; i < n; i++) *(uint8_t *)(d + i * s[0]) = *(uint8_t *)(x + i * s[1]); break;
    case 2: for (int64_t i = 0; i < n; i++) *(uint16_t *)(d + i * s[0]) = *(uint16_t *)(x + i * s[1]); break;
    case 4: for (int64_t i = 0; i < n; i++) *(uint32_t *)(d + i * s[0]) = *(uint32_t *)(x + i * s[1]); break;
    default: for (int64_t i = 0; i < n; i++) *(uint64_t *)(d + i * s[0]) = *(uint64_t *)(x + i * s[1]); break;
    }
}

/* One typed conversion loop; TO/FROM are C types, CONV an expression in v. */
#define CONVERT(TO, FROM, CONV)                                              \
    do {                                                                     \
        if (s[0] == sizeof(TO) && s[1] == sizeof(FROM)) {                    \
            TO *d = (TO *)p[0];                                              \
            const FROM *x = (const FROM *)p[1];                              \
            for (int64_t i = 0; i < n; i++) { FROM v = x[i]; d[i] = (TO)(CONV); } \
        } else {                                                             \
            for (int64_t i = 0; i < n; i++) {                                \
                FROM v = *(const FROM *)(p[1] + i * s[1]);                   \
                *(TO *)(p[0] + i * s[0]) = (TO)(CONV);                       \
            }                                                                \
        }                                                                    \
        return;                                                              \
    } while (0)

#define PAIR(a, b) ((a) * TSH_DTYPE_COUNT + (b))

static void copy_convert(void *vctx, char **p, const int64_t *s, int64_t n)
{
    const copy_ctx *c = vctx;
    switch (PAIR(c->dst, c->src)) {
    case PAIR(TSH_F32, TSH_F64): CONVERT(float, double, v);
    case PAIR(TSH_F64, TSH_F32): CONVERT(double, float, v);
    case PAIR(TSH_F32, TSH_I64): CONVERT(float, int64_t, v);
    case PAIR(TSH_F32, TSH_I32): CONVERT(float, int32_t, v);
    case PAIR(TSH_F32, TSH_U8): CONVERT(float, uint8_t, v);
    case PAIR(TSH_F32, TSH_BOOL): CONVERT(float, uint8_t, v);
    case PAIR(TSH_F64, TSH_I64): CONVERT(double, int64_t, v);
    case PAIR(TSH_F64, TSH_I32): CONVERT(double, int32_t, v);
    case PAIR(TSH_I64, TSH_I32): CONVERT(int64_t, int32_t, v);
    case PAIR(TSH_I64, TSH_U8): CONVERT(int64_t, uint8_t, v);
    case PAIR(TSH_I64, TSH_BOOL): CONVERT(int64_t, uint8_t, v);
    case PAIR(TSH_I32, TSH_I64): CONVERT(int32_t, int64_t, v);
    case PAIR(TSH_BOOL, TSH_F32): CONVERT(uint8_t, float, v != 0);
    case PAIR(TSH_BOOL, TSH_I64): CONVERT(uint8_t, int64_t, v != 0);
    case PAIR(TSH_F32, TSH_F16): CONVERT(float, uint16_t, tsh_f16_to_f32(v));
    case PAIR(TSH_F16, TSH_F32): CONVERT(uint16_t, float, tsh_f32_to_f16(v));
    case PAIR(TSH_F32, TSH_BF16): CONVERT(float, uint16_t, tsh_bf16_to_f32(v));
    case PAIR(TSH_BF16, TSH_F32): CONVERT(uint16_t, float, tsh_f32_to_bf16(v));
    default: break;
    }
    /* Rare pairs: through int64 when both are integral, else double. Float
     * to integer goes through the saturating loader (C's cast is UB there). */
    bool ints = !tsh_dtype_is_float(c->dst) && !tsh_dtype_is_float(c->src);
    for (int64_t i = 0; i < n; i++) {
        char *d = p[0] + i * s[0], *x = p[1] + i * s[1];
        if (ints) tsh_store_i64(c->dst, d, tsh_load_i64(c->src, x));
        else if (c->dst == TSH_BOOL) *(uint8_t *)d = tsh_load_f64(c->src, x) != 0;
        else if (!tsh_dtype_is_float(c->dst)) tsh_store_i64(c->dst, d, tsh_load_i64(c->src, x));
        else tsh_store_f64(c->dst, d, tsh_load_f64(c->src, x));
    }
}

static tsh_status cpu_copy(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    tsh_tensor *ts[2] = {a->out, a->in[0]};
    tsh_iter it;
    tsh_iter_init(&it, 2, ts);
    copy_ctx c = {a->out->dtype, a->in[0]->dtype};
    return tsh_iter_run(&it, 0, c.dst == c.src ? copy_same : copy_convert, &c);
}

typedef struct { tsh_dtype dt; double f; int64_t i; } fill_ctx;

#define FILL(T, V)                                                              \
    do {                                                                        \
        T v = (T)(V);                                                           \
        if (s[0] == sizeof(T)) for (int64_t k = 0; k < n; k++) ((T *)p[0])[k] = v; \
        else for (int64_t k = 0; k < n; k++) *(T *)(p[0] + k * s[0]) = v;       \
    } while (0)

static void fill_loop(void *vctx, char **p, const int64_t *s, int64_t n)
{
    const fill_ctx *c = vctx;
    switch (c->dt) {
    case TSH_BOOL: FILL(uint8_t, c->i != 0); break;
    case TSH_U8: FILL(uint8_t, c->i); break;
    case TSH_I32: FILL(int32_t, c->i); break;
    case TSH_I64: FILL(int64_t, c->i); break;
    case TSH_F16: FILL(uint16_t, tsh_f32_to_f16((float)c->f)); break;
    case TSH_BF16: FILL(uint16_t, tsh_f32_to_bf16((float)c->f)); break;
    case TSH_F32: FILL(float, c->f); break;
    case TSH_F64: FILL(double, c->f); break;
    default: break;
    }
}

static tsh_status cpu_fill(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    tsh_iter it;
    tsh_iter_init(&it, 1, &a->out);
    fill_ctx c = {a->out->dtype, a->f[0], a->i[0]};
    return tsh_iter_run(&it, 0, fill_loop, &c);
}

void tsh_cpu_register_copy(tsh_kernel_fn *k)
{
    k[TSH_OP_COPY] = cpu_copy;
    k[TSH_OP_FILL] = cpu_fill;
}
