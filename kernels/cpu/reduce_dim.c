/* cpu/reduce_dim.c: fast ops along one dim: cumsum, cumprod, softmax and
 * log_softmax, plus the line driver they share with sort/topk. Running
 * sums of floats are kept in double (as torch does on CPU); softmax over
 * float32 rows uses the vectorised exp of reduce_impl.h. */
#include "reduce_impl.h"

static void run_lines(void *vctx, int64_t begin, int64_t end)
{
    tsh_djob *job = vctx;
    if (job->g.inner == 1) {
        job->lines(job, begin, end, 0, 1);
        return;
    }
    for (int64_t t = begin; t < end; t++) {
        int64_t jb = job->jb, o = t / job->nb, j0 = (t % job->nb) * jb;
        int64_t j1 = j0 + jb < job->g.inner ? j0 + jb : job->g.inner;
        job->lines(job, o, o + 1, j0, j1);
    }
}

tsh_status tsh_dim_run(tsh_djob *job)
{
    const tsh_rgeom g = job->g;
    int64_t red = g.red > 0 ? g.red : 1, grain;
    tsh_status st;
    job->failed = 0;
    if (g.inner == 1) {
        grain = TSH_GRAIN / red;
        st = tsh_parallel_for(g.outer, grain > 0 ? grain : 1, run_lines, job);
    } else {
        int64_t jb = job->one_pass ? TSH_RED_JB : tsh_red_jb(red);
        job->jb = jb;
        job->nb = (g.inner + jb - 1) / jb;
        grain = TSH_GRAIN / (red * (g.inner < jb ? g.inner : jb));
        st = tsh_parallel_for(g.outer * job->nb, grain > 0 ? grain : 1, run_lines, job);
    }
    if (st == TSH_OK && job->failed)
        return tsh_fail(TSH_ERR_OOM, "%s: out of memory", tsh_op_infos[job->op].name);
    return st;
}

/* ---- cumsum, cumprod ---- */

/* One running sum or product per column of m columns, rows [0, red):
 * ACC the accumulator type, TI/TO the input/output element types. */
#define CUMULATE(TI, TO, ACC, INIT, CONV)                                              \
    do {                                                                               \
        ACC acc[TSH_RED_JB];                                                           \
        for (int64_t j = 0; j < m; j++) acc[j] = INIT;                                 \
        for (int64_t r = 0; r < g.red; r++) {                                          \
            const TI *p = (const TI *)x + r * g.inner;                                 \
            TO *q = (TO *)y + r * g.inner;                                             \
            if (prod)                                                                  \
                for (int64_t j = 0; j < m; j++) { acc[j] *= (ACC)CONV(p[j]); q[j] = (TO)acc[j]; } \
            else                                                                       \
                _Pragma("omp simd") for (int64_t j = 0; j < m; j++) {                  \
                    acc[j] += (ACC)CONV(p[j]);                                         \
                    q[j] = (TO)acc[j];                                                 \
                }                                                                      \
        }                                                                              \
    } while (0)
#define SIGNED(v) (int64_t)(v)
#define AS_IS(v) (v)

/* Rows (inner == 1) of int64-out sums and products: eight rows at a time,
 * so eight independent running results hide the latency. (Float rows take
 * cum*_row_*: the eight rows, 4 KiB apart in the benchmark, ran at 15 ms
 * for 4096 x 1024, their loads and stores 4K-aliased.) */
#define CUM_ROWS(TI, TO, ACC, CONV)                                                    \
    do {                                                                               \
        const TI *p = (const TI *)x;                                                   \
        TO *q = (TO *)y;                                                               \
        ACC acc[8];                                                                    \
        for (int64_t b = 0; b < nrows; b += 8) {                                       \
            int64_t w = nrows - b < 8 ? nrows - b : 8;                                 \
            for (int64_t k = 0; k < w; k++) acc[k] = (ACC)prod;                        \
            for (int64_t r = 0; r < red; r++)                                          \
                for (int64_t k = 0; k < w; k++) {                                      \
                    int64_t e = (b + k) * red + r;                                     \
                    acc[k] = prod ? acc[k] * (ACC)CONV(p[e]) : acc[k] + (ACC)CONV(p[e]); \
                    q[e] = (TO)acc[k];                                                 \
                }                                                                      \
        }                                                                              \
    } while (0)

/* The running sum of one float row, eight elements at a time: each block's
 * inclusive prefix sum in double lanes (three shift-and-add steps), plus
 * the total of the blocks before it in every lane. Only that vector add
 * chains one block to the next, where a plain running sum waits one add
 * per element (torch's loop: 2.2-2.5 ms for 4096 rows of 1024, one
 * thread; this: 1.5 ms). Within a block the sum is associated differently
 * from a left-to-right one, a last-bit difference in double before the
 * rounding to float; NaN and infinities spread to the same positions. */
typedef double v8d __attribute__((vector_size(64)));
typedef float v8f __attribute__((vector_size(32)));

/* OP is + or *, ID its identity: cumprod runs the same scan (shift in
 * ones, multiply), 16 -> 2.5 ms for the same rows (torch 5.8). Its
 * products are grouped differently from a left-to-right one too; a 0
 * meeting an inf gives NaN from there on either way. */
#define CUM_ROW(T, VT, OP, ID)                                                         \
    do {                                                                               \
        const v8d z = {ID, ID, ID, ID, ID, ID, ID, ID};                                \
        v8d carry = z;                                                                 \
        int64_t i = 0;                                                                 \
        for (; i + 8 <= n; i += 8) {                                                   \
            VT v;                                                                      \
            memcpy(&v, x + i, sizeof v);                                               \
            v8d t = __builtin_convertvector(v, v8d);                                   \
            t = t OP __builtin_shufflevector(t, z, 8, 0, 1, 2, 3, 4, 5, 6);            \
            t = t OP __builtin_shufflevector(t, z, 8, 8, 0, 1, 2, 3, 4, 5);            \
            t = t OP __builtin_shufflevector(t, z, 8, 8, 8, 8, 0, 1, 2, 3);            \
            v = __builtin_convertvector(t OP carry, VT);                               \
            memcpy(y + i, &v, sizeof v);                                               \
            carry = carry OP __builtin_shufflevector(t, t, 7, 7, 7, 7, 7, 7, 7, 7);    \
        }                                                                              \
        double c = carry[0];                                                           \
        for (; i < n; i++) {                                                           \
            c = c OP x[i];                                                             \
            y[i] = (T)c;                                                               \
        }                                                                              \
    } while (0)

TSH_MULTIVERSION
static void cumsum_row_f32(const float *x, float *y, int64_t n) { CUM_ROW(float, v8f, +, 0.0); }

TSH_MULTIVERSION
static void cumsum_row_f64(const double *x, double *y, int64_t n) { CUM_ROW(double, v8d, +, 0.0); }

TSH_MULTIVERSION
static void cumprod_row_f32(const float *x, float *y, int64_t n) { CUM_ROW(float, v8f, *, 1.0); }

TSH_MULTIVERSION
static void cumprod_row_f64(const double *x, double *y, int64_t n) { CUM_ROW(double, v8d, *, 1.0); }
#undef CUM_ROW

static bool cum_rows(const tsh_tensor *in, const tsh_tensor *out, int64_t o0, int64_t nrows,
                     int64_t red, bool prod)
{
    if (in->dtype == out->dtype && (in->dtype == TSH_F32 || in->dtype == TSH_F64)) {
        size_t es = tsh_dtype_size(in->dtype);
        for (int64_t o = o0; o < o0 + nrows; o++) {
            const char *x = tsh_data(in) + o * red * (int64_t)es;
            char *y = tsh_data(out) + o * red * (int64_t)es;
            if (in->dtype == TSH_F32) (prod ? cumprod_row_f32 : cumsum_row_f32)((const float *)x, (float *)y, red);
            else (prod ? cumprod_row_f64 : cumsum_row_f64)((const double *)x, (double *)y, red);
        }
        return true;
    }
    const char *x = tsh_data(in) + o0 * red * (int64_t)tsh_dtype_size(in->dtype);
    char *y = tsh_data(out) + o0 * red * (int64_t)tsh_dtype_size(out->dtype);
    if (in->dtype == TSH_F32) CUM_ROWS(float, float, double, AS_IS);
    else if (in->dtype == TSH_F64) CUM_ROWS(double, double, double, AS_IS);
    else if (out->dtype != TSH_I64) return false;
    else if (in->dtype == TSH_I64) CUM_ROWS(int64_t, int64_t, uint64_t, SIGNED);
    else if (in->dtype == TSH_I32) CUM_ROWS(int32_t, int64_t, uint64_t, SIGNED);
    else CUM_ROWS(uint8_t, int64_t, uint64_t, SIGNED);
    return true;
}
#undef CUM_ROWS

static void cum_lines(tsh_djob *job, int64_t o0, int64_t o1, int64_t j0, int64_t j1)
{
    const tsh_rgeom g = job->g;
    if (g.inner == 1 && cum_rows(job->a->in[0], job->a->out, o0, o1 - o0, g.red,
                                 job->op == TSH_OP_CUMPROD))
        return;
    const tsh_tensor *in = job->a->in[0], *out = job->a->out;
    bool prod = job->op == TSH_OP_CUMPROD;
    size_t ies = tsh_dtype_size(in->dtype), oes = tsh_dtype_size(out->dtype);
    for (int64_t o = o0; o < o1; o++) {
        /* a row (inner == 1) is one column of stride 1 */
        int64_t m = j1 - j0, off = o * g.red * g.inner + j0;
        const char *x = tsh_data(in) + off * (int64_t)ies;
        char *y = tsh_data(out) + off * (int64_t)oes;
        switch (in->dtype) {
        case TSH_F32: CUMULATE(float, float, double, prod, AS_IS); break;
        case TSH_F64: CUMULATE(double, double, double, prod, AS_IS); break;
        default:
            if (out->dtype == TSH_I64) {
                if (in->dtype == TSH_I64) CUMULATE(int64_t, int64_t, uint64_t, prod, SIGNED);
                else if (in->dtype == TSH_I32) CUMULATE(int32_t, int64_t, uint64_t, prod, SIGNED);
                else CUMULATE(uint8_t, int64_t, uint64_t, prod, SIGNED);
                break;
            }
            /* a narrower integer dtype= asked for: rare, element by element */
            for (int64_t j = 0; j < m; j++) {
                uint64_t acc = prod;
                for (int64_t r = 0; r < g.red; r++) {
                    uint64_t v = (uint64_t)tsh_load_i64(in->dtype, x + (r * g.inner + j) * (int64_t)ies);
                    acc = prod ? acc * v : acc + v;
                    tsh_store_i64(out->dtype, y + (r * g.inner + j) * (int64_t)oes, (int64_t)acc);
                }
            }
            break;
        }
    }
}
#undef CUMULATE
#undef SIGNED
#undef AS_IS

static tsh_status cpu_cumulate(tsh_op op, const tsh_kargs *a)
{
    tsh_djob job = {.a = a, .op = op, .g = {a->i[0], a->i[1], a->i[2]}, .lines = cum_lines,
                    .one_pass = true};
    return tsh_dim_run(&job);
}

/* ---- softmax, log_softmax ---- */

/* A float32 row: max, exp and sum (a float per block, blocks in double),
 * then scale (softmax) or shift (log_softmax). NaN anywhere makes the row
 * NaN through the sum, as in torch. */
TSH_MULTIVERSION
static void softmax_row_f32(const float *x, float *y, int64_t n, bool log_)
{
    float m = -INFINITY;
#pragma omp simd reduction(max:m)
    for (int64_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    double total = 0;
    for (int64_t b = 0; b < n; b += 1024) {
        int64_t len = n - b < 1024 ? n - b : 1024;
        const float *p = x + b;
        float *q = y + b, s = 0;
        if (log_) {
#pragma omp simd reduction(+:s)
            for (int64_t i = 0; i < len; i++) s += tsh_exp_neg(p[i] - m);
        } else {
#pragma omp simd reduction(+:s)
            for (int64_t i = 0; i < len; i++) {
                float e = tsh_exp_neg(p[i] - m);
                q[i] = e;
                s += e;
            }
        }
        total += s;
    }
    if (log_) {
        float shift = m + (float)log(total);
#pragma omp simd
        for (int64_t i = 0; i < n; i++) y[i] = x[i] - shift;
    } else {
        float inv = (float)(1.0 / total);
#pragma omp simd
        for (int64_t i = 0; i < n; i++) y[i] *= inv;
    }
}

static void softmax_row_f64(const double *x, double *y, int64_t n, bool log_)
{
    double m = -INFINITY, s = 0;
    for (int64_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    for (int64_t i = 0; i < n; i++) {
        double e = exp(x[i] - m);
        if (!log_) y[i] = e;
        s += e;
    }
    if (log_) {
        double shift = m + log(s);
        for (int64_t i = 0; i < n; i++) y[i] = x[i] - shift;
    } else {
        double inv = 1 / s;
        for (int64_t i = 0; i < n; i++) y[i] *= inv;
    }
}

/* m columns of stride `inner`: running max, then sums of exp (stored, for
 * softmax), then scale or shift. Sums run in float over 256 rows at a time
 * (that vectorises) and are gathered in double (that stays accurate). */
TSH_MULTIVERSION
static void softmax_cols_f32(const float *x, float *y, int64_t red, int64_t inner, int64_t m, bool log_)
{
    float mx[TSH_RED_JB], k[TSH_RED_JB], fs[TSH_RED_JB];
    double s[TSH_RED_JB];
    for (int64_t j = 0; j < m; j++) mx[j] = -INFINITY, s[j] = 0;
    for (int64_t r = 0; r < red; r++) {
        const float *p = x + r * inner;
#pragma omp simd
        for (int64_t j = 0; j < m; j++) mx[j] = p[j] > mx[j] ? p[j] : mx[j];
    }
    for (int64_t r0 = 0; r0 < red; r0 += 256) {
        int64_t r1 = r0 + 256 < red ? r0 + 256 : red;
        for (int64_t j = 0; j < m; j++) fs[j] = 0;
        for (int64_t r = r0; r < r1; r++) {
            const float *p = x + r * inner;
            float *q = y + r * inner;
            if (log_) {
#pragma omp simd
                for (int64_t j = 0; j < m; j++) fs[j] += tsh_exp_neg(p[j] - mx[j]);
            } else {
#pragma omp simd
                for (int64_t j = 0; j < m; j++) {
                    float e = tsh_exp_neg(p[j] - mx[j]);
                    q[j] = e;
                    fs[j] += e;
                }
            }
        }
        for (int64_t j = 0; j < m; j++) s[j] += fs[j];
    }
    for (int64_t j = 0; j < m; j++) k[j] = (float)(log_ ? mx[j] + log(s[j]) : 1 / s[j]);
    for (int64_t r = 0; r < red; r++) {
        const float *p = x + r * inner;
        float *q = y + r * inner;
        if (log_) {
#pragma omp simd
            for (int64_t j = 0; j < m; j++) q[j] = p[j] - k[j];
        } else {
#pragma omp simd
            for (int64_t j = 0; j < m; j++) q[j] *= k[j];
        }
    }
}

static void softmax_cols_f64(const double *x, double *y, int64_t red, int64_t inner, int64_t m, bool log_)
{
    double mx[TSH_RED_JB], s[TSH_RED_JB];
    for (int64_t j = 0; j < m; j++) mx[j] = -INFINITY, s[j] = 0;
    for (int64_t r = 0; r < red; r++)
        for (int64_t j = 0; j < m; j++) mx[j] = x[r * inner + j] > mx[j] ? x[r * inner + j] : mx[j];
    for (int64_t r = 0; r < red; r++)
        for (int64_t j = 0; j < m; j++) s[j] += exp(x[r * inner + j] - mx[j]);
    for (int64_t j = 0; j < m; j++) s[j] = log_ ? mx[j] + log(s[j]) : 1 / s[j];
    for (int64_t r = 0; r < red; r++)
        for (int64_t j = 0; j < m; j++)
            y[r * inner + j] = log_ ? x[r * inner + j] - s[j] : exp(x[r * inner + j] - mx[j]) * s[j];
}

/* Short rows [o0, o1): blocks of rows transposed, done as columns, and
 * transposed back. */
static void softmax_short_rows(tsh_djob *job, int64_t o0, int64_t o1, bool log_, bool f32)
{
    int64_t red = job->g.red;
    size_t es = f32 ? 4 : 8;
    double bx[TSH_SHORT_RED * TSH_RED_JB], by[TSH_SHORT_RED * TSH_RED_JB];
    for (int64_t o = o0; o < o1; o += TSH_RED_JB) {
        int64_t w = o1 - o < TSH_RED_JB ? o1 - o : TSH_RED_JB, off = o * red * (int64_t)es;
        tsh_rows_to_cols(tsh_data(job->a->in[0]) + off, (char *)bx, w, red, es);
        if (f32) softmax_cols_f32((const float *)bx, (float *)by, red, w, w, log_);
        else softmax_cols_f64(bx, by, red, w, w, log_);
        tsh_cols_to_rows((const char *)by, tsh_data(job->a->out) + off, w, red, es);
    }
}

static void softmax_lines(tsh_djob *job, int64_t o0, int64_t o1, int64_t j0, int64_t j1)
{
    const tsh_rgeom g = job->g;
    bool log_ = job->op == TSH_OP_LOG_SOFTMAX, f32 = job->a->in[0]->dtype == TSH_F32;
    size_t es = f32 ? 4 : 8;
    if (g.inner == 1 && g.red <= TSH_SHORT_RED && o1 - o0 >= 64) {
        softmax_short_rows(job, o0, o1, log_, f32);
        return;
    }
    for (int64_t o = o0; o < o1; o++) {
        int64_t off = (o * g.red * g.inner + j0) * (int64_t)es;
        const char *x = tsh_data(job->a->in[0]) + off;
        char *y = tsh_data(job->a->out) + off;
        if (g.inner == 1 && f32) softmax_row_f32((const float *)x, (float *)y, g.red, log_);
        else if (g.inner == 1) softmax_row_f64((const double *)x, (double *)y, g.red, log_);
        else if (f32) softmax_cols_f32((const float *)x, (float *)y, g.red, g.inner, j1 - j0, log_);
        else softmax_cols_f64((const double *)x, (double *)y, g.red, g.inner, j1 - j0, log_);
    }
}

static tsh_status cpu_softmax(tsh_op op, const tsh_kargs *a)
{
    tsh_djob job = {.a = a, .op = op, .g = {a->i[0], a->i[1], a->i[2]}, .lines = softmax_lines};
    return tsh_dim_run(&job);
}

void tsh_cpu_register_reduce_dim(tsh_kernel_fn *k)
{
    k[TSH_OP_CUMSUM] = cpu_cumulate;
    k[TSH_OP_CUMPROD] = cpu_cumulate;
    k[TSH_OP_SOFTMAX] = cpu_softmax;
    k[TSH_OP_LOG_SOFTMAX] = cpu_softmax;
    tsh_cpu_register_reduce_sort(k);
}
