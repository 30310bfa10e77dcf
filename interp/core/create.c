/* create.c: the front end of the deterministic constructors: arange and
 * range, linspace and logspace, eye. It works out lengths and dtypes the
 * way PyTorch (and Torch7, for range) do, refuses what they refuse with a
 * message naming the op, and leaves the values to the ARANGE and LINSPACE
 * kernels. Random constructors are in random.c. */
#include "create.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

bool tsh_dtype_holds_int(tsh_dtype dt, int64_t v)
{
    int64_t lim;
    switch (dt) {
    case TSH_BOOL: return v == 0 || v == 1;
    case TSH_U8: return v >= 0 && v <= 255;
    case TSH_I32: return v >= INT32_MIN && v <= INT32_MAX;
    case TSH_I64: return true;
    case TSH_F16: lim = (int64_t)1 << 11; break;
    case TSH_BF16: lim = (int64_t)1 << 8; break;
    case TSH_F32: lim = (int64_t)1 << 24; break;
    default: lim = (int64_t)1 << 53; break;
    }
    return v >= -lim && v <= lim;
}

static const char *num_str(tsh_num v, char *buf, size_t n)
{
    if (v.is_int) snprintf(buf, n, "%lld", (long long)v.i);
    else if (snprintf(buf, n, "%.15g", v.f), strtod(buf, NULL) != v.f) snprintf(buf, n, "%.17g", v.f);
    return buf;
}

/* The integer value of v for an integer dtype: fails unless v is integral. */
static tsh_status int_arg(const char *op, const char *what, tsh_num v, tsh_dtype dt, int64_t *out)
{
    if (v.is_int) {
        *out = v.i;
        return TSH_OK;
    }
    if (v.f != trunc(v.f) || fabs(v.f) >= 9.2233720368547758e18)
        return tsh_fail(TSH_ERR_ARG, "%s: %s must be an integer for dtype %s, got %.17g", op, what,
                        tsh_dtype_name(dt), v.f);
    *out = (int64_t)v.f;
    return TSH_OK;
}

/* Allocates a 1-d tensor of n elements in dt's compute type, runs the
 * kernel, and casts to dt where that differs (float16/bfloat16). */
static tsh_status run_1d(tsh_op op, tsh_kargs *a, int64_t n, tsh_dtype dt, tsh_device dev,
                         tsh_tensor **out)
{
    tsh_dtype cd = tsh_dtype_compute(dt);
    tsh_tensor *t;
    TSH_TRY(tsh_tensor_empty(1, &n, cd, dev, &t));
    a->out = t;
    tsh_status st = n > 0 ? tsh_dispatch(op, a) : TSH_OK;
    if (st == TSH_OK && cd != dt) {
        tsh_tensor *c;
        st = tsh_to_dtype(t, dt, &c);
        tsh_tensor_release(t);
        t = st == TSH_OK ? c : NULL;
    }
    if (st != TSH_OK) {
        tsh_tensor_release(t);
        return st;
    }
    *out = t;
    return TSH_OK;
}

static tsh_status arange_impl(const char *op, bool inclusive, tsh_num s, tsh_num e, tsh_num step,
                              tsh_dtype dt, tsh_device dev, tsh_tensor **out)
{
    char b1[40], b2[40], b3[40];
    bool all_int = s.is_int && e.is_int && step.is_int;
    if (dt == TSH_DTYPE_AUTO) dt = all_int ? TSH_I64 : TSH_DEFAULT_DTYPE;
    if (dt == TSH_BOOL)
        return tsh_fail(TSH_ERR_DTYPE, "%s: expected an integer or floating point dtype, got bool", op);
    if (!isfinite(s.f) || !isfinite(e.f) || !isfinite(step.f))
        return tsh_fail(TSH_ERR_ARG, "%s: start, end and step must be finite, got %s, %s and %s", op,
                        num_str(s, b1, sizeof b1), num_str(e, b2, sizeof b2), num_str(step, b3, sizeof b3));
    if (step.f == 0) return tsh_fail(TSH_ERR_ARG, "%s: step must be nonzero", op);
    int sgn = step.f > 0 ? 1 : -1;
    int dir = all_int ? (e.i > s.i) - (e.i < s.i) : (e.f > s.f) - (e.f < s.f);
    if (dir != 0 && dir != sgn)
        return tsh_fail(TSH_ERR_ARG, "%s: step %s goes the wrong way from start %s to end %s (it needs a %s step)",
                        op, num_str(step, b3, sizeof b3), num_str(s, b1, sizeof b1),
                        num_str(e, b2, sizeof b2), dir > 0 ? "positive" : "negative");
    int64_t n;
    if (all_int) {
        __int128 d = (__int128)e.i - s.i, q = inclusive ? d / step.i + 1 : (d + step.i - sgn) / step.i;
        if (q > INT64_MAX / 16)
            return tsh_fail(TSH_ERR_ARG, "%s: the range from %lld to %lld has too many elements", op,
                            (long long)s.i, (long long)e.i);
        n = (int64_t)q;
    } else {
        double q = (e.f - s.f) / step.f;
        q = inclusive ? floor(q) + 1 : ceil(q);
        if (!(q <= (double)(INT64_MAX / 16)))
            return tsh_fail(TSH_ERR_ARG, "%s: the range from %s to %s by %s has too many elements (%.3g)", op,
                            num_str(s, b1, sizeof b1), num_str(e, b2, sizeof b2),
                            num_str(step, b3, sizeof b3), q);
        n = (int64_t)q;
    }
    tsh_kargs a = {0};
    if (tsh_dtype_is_float(dt)) {
        a.f[0] = s.f;
        a.f[1] = step.f;
    } else {
        TSH_TRY(int_arg(op, "start", s, dt, &a.i[0]));
        TSH_TRY(int_arg(op, "step", step, dt, &a.i[1]));
        __int128 last = (__int128)a.i[0] + (__int128)(n > 0 ? n - 1 : 0) * a.i[1];
        if (!tsh_dtype_holds_int(dt, a.i[0]) || last < INT64_MIN || last > INT64_MAX ||
            !tsh_dtype_holds_int(dt, (int64_t)last))
            return tsh_fail(TSH_ERR_ARG, "%s: values from %lld to %.17g do not fit in dtype %s", op,
                            (long long)a.i[0], (double)last, tsh_dtype_name(dt));
    }
    return run_1d(TSH_OP_ARANGE, &a, n, dt, dev, out);
}

tsh_status tsh_arange(tsh_num start, tsh_num end, tsh_num step, tsh_dtype dt, tsh_device dev,
                      tsh_tensor **out)
{
    return arange_impl("arange", false, start, end, step, dt, dev, out);
}

tsh_status tsh_range(tsh_num start, tsh_num end, tsh_num step, tsh_dtype dt, tsh_device dev,
                     tsh_tensor **out)
{
    return arange_impl("range", true, start, end, step, dt, dev, out);
}

static tsh_status space_impl(const char *op, double s, double e, int64_t steps, bool log,
                             double base, tsh_dtype dt, tsh_device dev, tsh_tensor **out)
{
    if (dt == TSH_DTYPE_AUTO) dt = TSH_DEFAULT_DTYPE;
    if (dt == TSH_BOOL)
        return tsh_fail(TSH_ERR_DTYPE, "%s: expected an integer or floating point dtype, got bool", op);
    if (steps < 0)
        return tsh_fail(TSH_ERR_ARG, "%s: number of steps must be non-negative, got %lld", op,
                        (long long)steps);
    if (!tsh_dtype_is_float(dt)) {
        /* PyTorch converts start and end to the dtype first: truncation */
        if (!isfinite(s) || !isfinite(e) || fabs(s) >= 9.2233720368547758e18 ||
            fabs(e) >= 9.2233720368547758e18 ||
            (!log && (!tsh_dtype_holds_int(dt, (int64_t)s) || !tsh_dtype_holds_int(dt, (int64_t)e))))
            return tsh_fail(TSH_ERR_ARG, "%s: start %.17g and end %.17g do not fit in dtype %s", op, s,
                            e, tsh_dtype_name(dt));
        s = trunc(s);
        e = trunc(e);
    }
    tsh_kargs a = {.f = {s, e, base}, .i = {log}};
    return run_1d(TSH_OP_LINSPACE, &a, steps, dt, dev, out);
}

tsh_status tsh_linspace(double start, double end, int64_t steps, tsh_dtype dt, tsh_device dev,
                        tsh_tensor **out)
{
    return space_impl("linspace", start, end, steps, false, 0, dt, dev, out);
}

tsh_status tsh_logspace(double start, double end, int64_t steps, double base, tsh_dtype dt,
                        tsh_device dev, tsh_tensor **out)
{
    return space_impl("logspace", start, end, steps, true, base, dt, dev, out);
}

tsh_status tsh_eye(int64_t n, int64_t m, tsh_dtype dt, tsh_device dev, tsh_tensor **out)
{
    if (m < 0) m = n;
    if (n < 0) return tsh_fail(TSH_ERR_ARG, "eye: n must be non-negative, got %lld", (long long)n);
    if (dt == TSH_DTYPE_AUTO) dt = TSH_DEFAULT_DTYPE;
    int64_t shape[2] = {n, m};
    tsh_tensor *t, *diag = NULL;
    TSH_TRY(tsh_full(2, shape, 0, dt, dev, &t));
    /* the diagonal is a strided view: stride m + 1 walks it */
    int64_t k = n < m ? n : m, stride = m + 1;
    tsh_status st = TSH_OK;
    if (k > 0) {
        st = tsh_tensor_view(t, 1, &k, &stride, t->offset, &diag);
        if (st == TSH_OK) st = tsh_fill_(diag, 1);
        tsh_tensor_release(diag);
    }
    if (st != TSH_OK) {
        tsh_tensor_release(t);
        return st;
    }
    *out = t;
    return TSH_OK;
}
