/* cpu/linalg.c: the fast batched GEMM. float32/float64 go to OpenBLAS
 * (cblas_sgemm/dgemm; float32 products past a small size to oneDNN's sgemm,
 * faster there) with the transposes read off the strides, so that
 * transposed views cost no copy; an operand is packed into a contiguous
 * buffer only when neither a row- nor a column-major reading fits it.
 * Integer and bool dtypes use a plain loop (as PyTorch's CPU does). Not here:
 * shape checks and float16/bfloat16, which the front end computes as float32. */
#include <cblas.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels.h"
#include "iter.h"
#include "nn.h"

/* Below this many multiply-adds per matrix, a batch runs one matrix per
 * thread (OpenBLAS runs single-threaded inside an OpenMP region) instead of
 * letting OpenBLAS split each small product across threads. */
#define SMALL_GEMM (96 * 96 * 96)

/* One matrix operand of a product: rows x cols with element strides. */
typedef struct {
    const char *p;
    int64_t rows, cols, rs, cs;
} mat;

/* How BLAS reads a matrix: as row-major (unit column stride) or as
 * column-major (unit row stride), with its leading dimension. Size-1 dims
 * have meaningless strides, so they never disqualify a reading. */
typedef struct {
    bool col;
    blasint ld;
} blas_view;

static bool fits_int(int64_t v) { return v >= 1 && v <= INT_MAX; }

static bool read_as(const mat *a, bool col, blas_view *v)
{
    int64_t inner = col ? a->rows : a->cols, outer = col ? a->cols : a->rows;
    int64_t is = col ? a->rs : a->cs, os = col ? a->cs : a->rs;
    int64_t minld = inner > 1 ? inner : 1;
    if (inner > 1 && is != 1) return false;
    int64_t ld = outer > 1 ? os : minld;
    if (ld < minld || !fits_int(ld)) return false;
    v->col = col;
    v->ld = (blasint)ld;
    return true;
}

/* Prefers the reading `pref`, then the other one. */
static bool blas_layout(const mat *a, bool pref, blas_view *v)
{
    return read_as(a, pref, v) || read_as(a, !pref, v);
}

/* Copies a strided matrix into a dense row-major buffer. */
static void pack(size_t es, const mat *a, char *dst)
{
    for (int64_t i = 0; i < a->rows; i++)
        for (int64_t j = 0; j < a->cols; j++) {
            const char *s = a->p + (i * a->rs + j * a->cs) * (int64_t)es;
            memcpy(dst + (i * a->cols + j) * (int64_t)es, s, es);
        }
}

static void scale(tsh_dtype dt, const mat *c, double beta)
{
    for (int64_t i = 0; i < c->rows; i++)
        for (int64_t j = 0; j < c->cols; j++) {
            int64_t off = i * c->rs + j * c->cs;
            if (dt == TSH_F32) {
                float *p = (float *)c->p + off;
                *p = beta == 0 ? 0.0f : (float)beta * *p;
            } else {
                double *p = (double *)c->p + off;
                *p = beta == 0 ? 0.0 : beta * *p;
            }
        }
}

/* float32 products of at least this many multiply-adds go to oneDNN's
 * sgemm where it is built in: on this machine 1.4-2.5x faster than
 * OpenBLAS from 80x80x80 up to 1024^3 (LeNet's and the MLP's layers: 24 vs
 * 52 us, 97 vs 147 us), slower below (a call costs it 0.3-0.7 us more):
 * 64x64x64 3.5 us through OpenBLAS against 4.2, 64x256x10 2.8 against 5.1
 * (torch: 4.0 for the first). */
#define DNNL_GEMM_MIN (72 * 72 * 72)

/* ---- products with a dimension of 1: dot, mv, outer ----
 *
 * A general GEMM routine is the wrong tool when m, n or k is 1: oneDNN's
 * sgemm ran a 4M-element dot in 8.4 ms (one thread; torch 1.1 ms) and
 * mv of 4096x1024 in 0.58 ms (torch 0.29). Level-1/2 BLAS streams the
 * operands once. BLAS reads a vector with a positive stride only (a
 * negative one walks it backwards, 0 is not portable), so a stride-0
 * (expanded) operand takes the general path. */

static bool vec_inc(int64_t len, int64_t stride, blasint *inc)
{
    int64_t s = len > 1 ? stride : 1;
    if (!fits_int(s)) return false;
    *inc = (blasint)s;
    return true;
}

/* C = alpha * dot(a, b) + beta * C for one element. */
static bool dot_path(tsh_dtype dt, const mat *A, const mat *B, const mat *C, double alpha, double beta)
{
    int64_t k = A->cols;
    blasint ia, ib;
    if (!vec_inc(k, A->cs, &ia) || !vec_inc(k, B->rs, &ib)) return false;
    if (dt == TSH_F32) {
        float *c = (float *)C->p, d = cblas_sdot((blasint)k, (const float *)A->p, ia, (const float *)B->p, ib);
        *c = beta == 0 ? (float)alpha * d : (float)alpha * d + (float)beta * *c;
    } else {
        double *c = (double *)C->p, d = cblas_ddot((blasint)k, (const double *)A->p, ia, (const double *)B->p, ib);
        *c = beta == 0 ? alpha * d : alpha * d + beta * *c;
    }
    return true;
}

/* y = alpha op(M) x + beta y, where y is C's one row or column: n == 1 is
 * A (m x k) times the column B; m == 1 is the row A times B (k x n), that
 * is B^T times A^T. BLAS's beta = 0 may scale (0 * NaN) the uninitialised
 * output, so y is zeroed first. */
static bool mv_path(tsh_dtype dt, const mat *A, const mat *B, const mat *C, double alpha, double beta)
{
    bool col = C->cols == 1;
    const mat *M = col ? A : B, *x = col ? B : A;
    int64_t len = col ? C->rows : C->cols, ys = col ? C->rs : C->cs;
    int64_t xlen = col ? x->rows : x->cols, xs = col ? x->rs : x->cs;
    blas_view v;
    blasint ix, iy;
    if (!vec_inc(xlen, xs, &ix) || !vec_inc(len, ys, &iy) || !blas_layout(M, false, &v)) return false;
    enum CBLAS_TRANSPOSE t = col ? CblasNoTrans : CblasTrans; /* y = M x or M^T x */
    enum CBLAS_ORDER order = v.col ? CblasColMajor : CblasRowMajor;
    blasint rows = (blasint)M->rows, cols = (blasint)M->cols;
    if (dt == TSH_F32) {
        float *y = (float *)C->p;
        if (beta == 0)
            for (int64_t i = 0; i < len; i++) y[i * iy] = 0;
        cblas_sgemv(order, t, rows, cols, (float)alpha, (const float *)M->p, v.ld, (const float *)x->p, ix,
                    (float)beta, y, iy);
    } else {
        double *y = (double *)C->p;
        if (beta == 0)
            for (int64_t i = 0; i < len; i++) y[i * iy] = 0;
        cblas_dgemv(order, t, rows, cols, alpha, (const double *)M->p, v.ld, (const double *)x->p, ix, beta, y, iy);
    }
    return true;
}

/* k == 1: C = alpha a b^T + beta C, row by row (a plain loop that
 * vectorises over a unit-stride row; BLAS's ger would need C zeroed first). */
typedef struct {
    tsh_dtype dt;
    const mat *A, *B, *C;
    double alpha, beta;
} outer_ctx;

#define OUTER_ROWS(T)                                                                  \
    do {                                                                               \
        const T *a = (const T *)c->A->p, *b = (const T *)c->B->p;                      \
        const T beta = (T)c->beta;                                                     \
        int64_t n = c->C->cols, bs = c->B->cs, cs = c->C->cs;                          \
        for (int64_t i = begin; i < end; i++) {                                        \
            T ai = (T)c->alpha * a[i * c->A->rs], *y = (T *)c->C->p + i * c->C->rs;    \
            if (bs == 1 && cs == 1 && beta == 0) {                                     \
                _Pragma("omp simd") for (int64_t j = 0; j < n; j++) y[j] = ai * b[j];  \
            } else if (beta == 0) {                                                    \
                for (int64_t j = 0; j < n; j++) y[j * cs] = ai * b[j * bs];            \
            } else {                                                                   \
                for (int64_t j = 0; j < n; j++) y[j * cs] = ai * b[j * bs] + beta * y[j * cs]; \
            }                                                                          \
        }                                                                              \
    } while (0)

TSH_MULTIVERSION
static void outer_rows(void *vctx, int64_t begin, int64_t end)
{
    const outer_ctx *c = vctx;
    if (c->dt == TSH_F32) OUTER_ROWS(float);
    else OUTER_ROWS(double);
}
#undef OUTER_ROWS

static tsh_status outer_path(tsh_dtype dt, const mat *A, const mat *B, const mat *C, double alpha, double beta)
{
    outer_ctx c = {dt, A, B, C, alpha, beta};
    int64_t grain = TSH_GRAIN / C->cols;
    return tsh_parallel_for(C->rows, grain > 0 ? grain : 1, outer_rows, &c);
}

/* C = alpha A B + beta C for one float matrix triple. Packs what BLAS cannot
 * read; a C that BLAS cannot write is computed into a buffer and merged. */
static tsh_status gemm_float(tsh_dtype dt, mat A, mat B, mat C, double alpha, double beta)
{
    size_t es = tsh_dtype_size(dt);
    int64_t m = C.rows, n = C.cols, k = A.cols;
    if (m == 0 || n == 0) return TSH_OK;
    if (k == 0 || alpha == 0) {
        scale(dt, &C, beta);
        return TSH_OK;
    }
    if (m > INT_MAX || n > INT_MAX || k > INT_MAX)
        return tsh_fail(TSH_ERR_ARG, "matmul: dimensions past %d are not supported by BLAS", INT_MAX);
    if (m == 1 && n == 1 && dot_path(dt, &A, &B, &C, alpha, beta)) return TSH_OK;
    if ((m == 1 || n == 1) && mv_path(dt, &A, &B, &C, alpha, beta)) return TSH_OK;
    if (k == 1) return outer_path(dt, &A, &B, &C, alpha, beta);
    char *bufs[3] = {NULL, NULL, NULL};
    tsh_status st = TSH_OK;
    blas_view vc, va, vb;
    mat Cw = C;
    bool merge = !blas_layout(&C, false, &vc);
    if (merge) { /* write into a dense buffer, then C = buf + beta C */
        bufs[2] = malloc((size_t)(m * n) * es);
        if (!bufs[2]) goto oom;
        Cw = (mat){bufs[2], m, n, n, 1};
        read_as(&Cw, false, &vc);
    }
    mat *ops[2] = {&A, &B};
    blas_view *views[2] = {&va, &vb};
    for (int q = 0; q < 2; q++) {
        if (blas_layout(ops[q], vc.col, views[q])) continue;
        mat *x = ops[q];
        bufs[q] = malloc((size_t)(x->rows * x->cols) * es);
        if (!bufs[q]) goto oom;
        pack(es, x, bufs[q]);
        *x = (mat){bufs[q], x->rows, x->cols, x->cols, 1};
        read_as(x, false, views[q]);
    }
    {
        enum CBLAS_ORDER order = vc.col ? CblasColMajor : CblasRowMajor;
        enum CBLAS_TRANSPOSE ta = va.col == vc.col ? CblasNoTrans : CblasTrans;
        enum CBLAS_TRANSPOSE tb = vb.col == vc.col ? CblasNoTrans : CblasTrans;
        double b0 = merge ? 0.0 : beta;
        bool dnnl = dt == TSH_F32 && (double)m * (double)n * (double)k >= DNNL_GEMM_MIN &&
                    tsh_dnnl_sgemm(vc.col, ta == CblasTrans, tb == CblasTrans, m, n, k, (float)alpha,
                                   (const float *)A.p, va.ld, (const float *)B.p, vb.ld, (float)b0,
                                   (float *)Cw.p, vc.ld);
        if (dnnl) {
            /* done by oneDNN */
        } else if (dt == TSH_F32)
            cblas_sgemm(order, ta, tb, (blasint)m, (blasint)n, (blasint)k, (float)alpha,
                        (const float *)A.p, va.ld, (const float *)B.p, vb.ld, (float)b0,
                        (float *)Cw.p, vc.ld);
        else
            cblas_dgemm(order, ta, tb, (blasint)m, (blasint)n, (blasint)k, alpha,
                        (const double *)A.p, va.ld, (const double *)B.p, vb.ld, b0,
                        (double *)Cw.p, vc.ld);
    }
    if (merge) {
        scale(dt, &C, beta);
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                int64_t off = i * C.rs + j * C.cs, boff = i * n + j;
                if (dt == TSH_F32) ((float *)C.p)[off] += ((const float *)bufs[2])[boff];
                else ((double *)C.p)[off] += ((const double *)bufs[2])[boff];
            }
    }
    goto done;
oom:
    st = tsh_fail(TSH_ERR_OOM, "matmul: out of memory for a packing buffer");
done:
    for (int q = 0; q < 3; q++) free(bufs[q]);
    return st;
}

/* A failure inside an OpenMP worker leaves its message in that thread's
 * buffer; the first one is kept here and re-raised by the calling thread. */
typedef struct {
    tsh_status st;
    char msg[256];
} fail_box;

static void box_fail(fail_box *f, tsh_status st)
{
#pragma omp critical(tsh_gemm_fail)
    if (f->st == TSH_OK) {
        f->st = st;
        snprintf(f->msg, sizeof f->msg, "%s", tsh_errmsg());
    }
}

static tsh_status box_status(const fail_box *f, tsh_status st)
{
    if (f->st != TSH_OK) return tsh_fail(f->st, "%s", f->msg);
    return st;
}

/* Integer GEMM: row i of C accumulates a[i,p] * B[p,:] in wrapping 64-bit
 * arithmetic (a running row of sums, so B is read along its rows), then
 * stores alpha * sum + beta * C truncated to the dtype. Bool is uint8 whose
 * stored value is "sum != 0". */
typedef struct {
    tsh_dtype dt;
    mat A, B, C;
    uint64_t alpha, beta;
    fail_box fail;
} int_ctx;

#define INT_ROWS(T)                                                              \
    do {                                                                         \
        for (int64_t i = begin; i < end; i++) {                                  \
            memset(acc, 0, (size_t)n * sizeof *acc);                             \
            for (int64_t p = 0; p < k; p++) {                                    \
                uint64_t av = (uint64_t)*(const T *)(A->p + (i * A->rs + p * A->cs) * es); \
                if (!av) continue;                                               \
                const char *brow = B->p + p * B->rs * es;                        \
                for (int64_t j = 0; j < n; j++)                                  \
                    acc[j] += av * (uint64_t)*(const T *)(brow + j * B->cs * es); \
            }                                                                    \
            for (int64_t j = 0; j < n; j++) {                                    \
                T *pc = (T *)(C->p + (i * C->rs + j * C->cs) * es);              \
                uint64_t v = c->alpha * acc[j];                                  \
                if (c->beta) v += c->beta * (uint64_t)*pc;                       \
                *pc = c->dt == TSH_BOOL ? (T)(v != 0) : (T)v;                    \
            }                                                                    \
        }                                                                        \
    } while (0)

static void int_rows(void *vctx, int64_t begin, int64_t end)
{
    int_ctx *c = vctx;
    const mat *A = &c->A, *B = &c->B, *C = &c->C;
    int64_t n = C->cols, k = c->alpha ? A->cols : 0, es = (int64_t)tsh_dtype_size(c->dt);
    uint64_t *acc = malloc((size_t)n * sizeof *acc);
    if (!acc) {
        box_fail(&c->fail, tsh_fail(TSH_ERR_OOM, "matmul: out of memory for an accumulator row"));
        return;
    }
    switch (c->dt) {
    case TSH_BOOL:
    case TSH_U8: INT_ROWS(uint8_t); break;
    case TSH_I32: INT_ROWS(int32_t); break;
    default: INT_ROWS(int64_t); break;
    }
    free(acc);
}

/* Rows in parallel when the product is big enough; inside a batch-parallel
 * region the nested loop runs on the calling thread. */
static tsh_status gemm_int(tsh_dtype dt, mat A, mat B, mat C, int64_t alpha, int64_t beta)
{
    if (C.rows == 0 || C.cols == 0) return TSH_OK;
    int_ctx c = {dt, A, B, C, (uint64_t)alpha, (uint64_t)beta, {TSH_OK, ""}};
    int64_t row_work = C.cols * (A.cols > 0 ? A.cols : 1);
    int64_t grain = TSH_GRAIN / row_work;
    tsh_status st = tsh_parallel_for(C.rows, grain > 0 ? grain : 1, int_rows, &c);
    return box_status(&c.fail, st);
}

typedef struct {
    const tsh_kargs *a;
    int64_t ialpha, ibeta;
    fail_box fail;
} gemm_ctx;

static mat batch_mat(const tsh_tensor *t, int64_t b)
{
    size_t es = tsh_dtype_size(t->dtype);
    return (mat){tsh_data(t) + b * t->stride[0] * (int64_t)es, t->shape[1], t->shape[2],
                 t->stride[1], t->stride[2]};
}

static tsh_status gemm_batch(gemm_ctx *c, int64_t b)
{
    const tsh_kargs *a = c->a;
    mat A = batch_mat(a->in[0], b), B = batch_mat(a->in[1], b), C = batch_mat(a->out, b);
    tsh_dtype dt = a->out->dtype;
    if (dt == TSH_F32 || dt == TSH_F64) return gemm_float(dt, A, B, C, a->f[0], a->f[1]);
    return gemm_int(dt, A, B, C, c->ialpha, c->ibeta);
}

static void gemm_range(void *vctx, int64_t begin, int64_t end)
{
    gemm_ctx *c = vctx;
    for (int64_t b = begin; b < end && !tsh_interrupt_flag; b++) {
        tsh_status st = gemm_batch(c, b);
        if (st != TSH_OK) {
            box_fail(&c->fail, st);
            return;
        }
    }
}

/* Batches of big products run one after another, each using every thread
 * (OpenBLAS, or the integer row loop); batches of small products run one
 * matrix per thread (OpenBLAS stays single-threaded inside an OpenMP region). */
static tsh_status cpu_gemm(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    const tsh_tensor *o = a->out;
    int64_t nb = o->shape[0], k = a->in[0]->shape[2];
    int64_t work = o->shape[1] * o->shape[2] * (k > 0 ? k : 1);
    /* saturating double -> int64 (a plain cast is undefined out of range) */
    gemm_ctx c = {a, tsh_load_i64(TSH_F64, &a->f[0]), tsh_load_i64(TSH_F64, &a->f[1]), {TSH_OK, ""}};
    if (nb > 1 && work < SMALL_GEMM) {
        int64_t grain = work > 0 ? SMALL_GEMM / work : nb;
        tsh_status st = tsh_parallel_for(nb, grain > 0 ? grain : 1, gemm_range, &c);
        return box_status(&c.fail, st);
    }
    for (int64_t b = 0; b < nb; b++) {
        TSH_TRY(tsh_check_interrupt());
        TSH_TRY(gemm_batch(&c, b));
    }
    return TSH_OK;
}

void tsh_cpu_register_linalg(tsh_kernel_fn *k)
{
    k[TSH_OP_GEMM] = cpu_gemm;
}
