/* dtype.c: dtype tables, promotion and half-precision conversion. */
#include "dtype.h"

#include <math.h>
#include <string.h>

static const struct {
    const char *name, *shortname;
    size_t size;
} info[] = {
    [TSH_BOOL] = {"bool", "bool", 1},
    [TSH_U8] = {"uint8", "u8", 1},
    [TSH_I32] = {"int32", "i32", 4},
    [TSH_I64] = {"int64", "i64", 8},
    [TSH_F16] = {"float16", "f16", 2},
    [TSH_BF16] = {"bfloat16", "bf16", 2},
    [TSH_F32] = {"float32", "f32", 4},
    [TSH_F64] = {"float64", "f64", 8},
};
_Static_assert(sizeof info / sizeof info[0] == TSH_DTYPE_COUNT, "dtype table out of step");

size_t tsh_dtype_size(tsh_dtype dt) { return info[dt].size; }
const char *tsh_dtype_name(tsh_dtype dt) { return info[dt].name; }
const char *tsh_dtype_short(tsh_dtype dt) { return info[dt].shortname; }

bool tsh_dtype_from_name(const char *name, tsh_dtype *out)
{
    static const struct { const char *alias; tsh_dtype dt; } aliases[] = {
        {"float", TSH_F32}, {"double", TSH_F64}, {"half", TSH_F16},
        {"long", TSH_I64}, {"int", TSH_I32}, {"byte", TSH_U8},
        {"f32", TSH_F32}, {"f64", TSH_F64}, {"f16", TSH_F16}, {"bf16", TSH_BF16},
        {"i64", TSH_I64}, {"i32", TSH_I32}, {"u8", TSH_U8},
    };
    for (int i = 0; i < TSH_DTYPE_COUNT; i++)
        if (strcmp(name, info[i].name) == 0) { *out = (tsh_dtype)i; return true; }
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(name, aliases[i].alias) == 0) { *out = aliases[i].dt; return true; }
    return false;
}

bool tsh_dtype_is_float(tsh_dtype dt) { return dt >= TSH_F16; }
bool tsh_dtype_is_half(tsh_dtype dt) { return dt == TSH_F16 || dt == TSH_BF16; }
bool tsh_dtype_is_int(tsh_dtype dt) { return dt == TSH_U8 || dt == TSH_I32 || dt == TSH_I64; }

int tsh_dtype_category(tsh_dtype dt)
{
    return dt == TSH_BOOL ? 0 : tsh_dtype_is_float(dt) ? 2 : 1;
}

tsh_dtype tsh_promote(tsh_dtype a, tsh_dtype b)
{
    if (a == b) return a;
    /* float16 with bfloat16 has no common 16-bit type: float32, as in torch. */
    if ((a == TSH_F16 && b == TSH_BF16) || (a == TSH_BF16 && b == TSH_F16)) return TSH_F32;
    /* Otherwise the enum is ordered so that the larger one wins. */
    return a > b ? a : b;
}

tsh_dtype tsh_dtype_compute(tsh_dtype dt)
{
    return tsh_dtype_is_half(dt) ? TSH_F32 : dt;
}

/* IEEE half conversion with round-to-nearest-even, NaN and Inf kept. */
uint16_t tsh_f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) /* Inf or NaN */
        return (uint16_t)(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0));
    if (absx >= 0x477ff000u) /* rounds to >= 65520: overflow to Inf */
        return (uint16_t)(sign | 0x7c00u);
    if (absx < 0x38800000u) { /* subnormal half or zero */
        float a;
        memcpy(&a, &absx, 4);
        /* scale so the half subnormal unit (2^-24) becomes 1, round to even */
        float scaled = a * 16777216.0f;
        uint32_t m = (uint32_t)nearbyintf(scaled);
        return (uint16_t)(sign | m);
    }
    uint32_t mant = absx & 0x7fffffu;
    uint32_t exp = (absx >> 23) - 127 + 15;
    uint32_t h = (exp << 10) | (mant >> 13);
    uint32_t rest = mant & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;
    return (uint16_t)(sign | h);
}

float tsh_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu, x;
    if (exp == 0) {
        float f = ldexpf((float)mant, -24);
        return sign ? -f : f;
    } else if (exp == 31) {
        x = sign | 0x7f800000u | (mant << 13);
    } else {
        x = sign | ((exp - 15 + 127) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &x, 4);
    return f;
}

float tsh_bf16_to_f32(uint16_t h)
{
    uint32_t x = (uint32_t)h << 16;
    float f;
    memcpy(&f, &x, 4);
    return f;
}

double tsh_load_f64(tsh_dtype dt, const void *p)
{
    switch (dt) {
    case TSH_BOOL: return *(const uint8_t *)p ? 1.0 : 0.0;
    case TSH_U8: return *(const uint8_t *)p;
    case TSH_I32: return *(const int32_t *)p;
    case TSH_I64: return (double)*(const int64_t *)p;
    case TSH_F16: return tsh_f16_to_f32(*(const uint16_t *)p);
    case TSH_BF16: return tsh_bf16_to_f32(*(const uint16_t *)p);
    case TSH_F32: return *(const float *)p;
    case TSH_F64: return *(const double *)p;
    default: return 0;
    }
}

int64_t tsh_load_i64(tsh_dtype dt, const void *p)
{
    switch (dt) {
    case TSH_BOOL: return *(const uint8_t *)p ? 1 : 0;
    case TSH_U8: return *(const uint8_t *)p;
    case TSH_I32: return *(const int32_t *)p;
    case TSH_I64: return *(const int64_t *)p;
    default: return tsh_f64_to_i64_sat(tsh_load_f64(dt, p));
    }
}

void tsh_store_f64(tsh_dtype dt, void *p, double v)
{
    switch (dt) {
    case TSH_BOOL: *(uint8_t *)p = v != 0; break;
    case TSH_U8: *(uint8_t *)p = (uint8_t)tsh_f64_to_i64_sat(v); break;
    case TSH_I32: *(int32_t *)p = (int32_t)tsh_f64_to_i64_sat(v); break;
    case TSH_I64: *(int64_t *)p = tsh_f64_to_i64_sat(v); break;
    case TSH_F16: *(uint16_t *)p = tsh_f32_to_f16((float)v); break;
    case TSH_BF16: *(uint16_t *)p = tsh_f32_to_bf16((float)v); break;
    case TSH_F32: *(float *)p = (float)v; break;
    case TSH_F64: *(double *)p = v; break;
    default: break;
    }
}

void tsh_store_i64(tsh_dtype dt, void *p, int64_t v)
{
    switch (dt) {
    case TSH_BOOL: *(uint8_t *)p = v != 0; break;
    case TSH_U8: *(uint8_t *)p = (uint8_t)v; break;
    case TSH_I32: *(int32_t *)p = (int32_t)v; break;
    case TSH_I64: *(int64_t *)p = v; break;
    default: tsh_store_f64(dt, p, (double)v); break;
    }
}
