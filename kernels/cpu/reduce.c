/* cpu/reduce.c: fast reductions: the parallel driver, then sum, mean, prod,
 * var/std, norm, logsumexp, any and all. Floats accumulate in double (in
 * lanes that vectorise), so a float32 sum of millions of elements keeps
 * float32 accuracy; integers accumulate in wrapping int64. max/min live in
 * reduce_extreme.c, the ops along a dim in reduce_dim.c and reduce_sort.c. */
#include <omp.h>
#include <stdlib.h>

#include "half.h"
#include "reduce_impl.h"

/* ---- the driver ---- */

#define RB 64                /* rows per block call when inner == 1 */
#define SPLIT_OUT 64         /* at most this many outputs: split the reduced dim */
#define SPLIT_MIN 16384      /* ... when it has at least twice this many positions */
#define SPLIT_MAX_CHUNKS 64
#define JB_WIDE 1024         /* columns of a msum block (col_block) */
#define SPLIT_ROW 8192       /* columns of one row narrower than this, in bytes, */
#define SPLIT_TASKS 4        /* ... split their rows in this many chunks */

typedef struct drv { tsh_rjob *job; int64_t nb, jb; tsh_rstate *part; int64_t chunk; } drv;

static void run_rows(void *vctx, int64_t begin, int64_t end)
{
    const drv *d = vctx;
    tsh_rstate st[RB];
    for (int64_t o = begin; o < end; o += RB) {
        int64_t o1 = o + RB < end ? o + RB : end;
        d->job->fn->block(d->job, o, o1, 0, 1, 0, d->job->g.red, st);
        d->job->fn->finish(d->job, st, o, o1 - o);
    }
}

/* Short rows: a block of rows transposed, then reduced as columns by a
 * copy of the job that points at the buffer. */
static void run_short_rows(void *vctx, int64_t begin, int64_t end)
{
    const drv *d = vctx;
    tsh_rjob t = *d->job;
    size_t es = tsh_dtype_size(t.dt);
    uint64_t buf[TSH_SHORT_RED * TSH_RED_JB]; /* uint64_t: aligned for every dtype */
    tsh_rstate st[TSH_RED_JB];
    t.x = (const char *)buf;
    t.g.outer = 1;
    for (int64_t o = begin; o < end; o += TSH_RED_JB) {
        int64_t w = end - o < TSH_RED_JB ? end - o : TSH_RED_JB;
        t.g.inner = w;
        tsh_rows_to_cols(d->job->x + o * t.g.red * (int64_t)es, (char *)buf, w, t.g.red, es);
        d->job->fn->block(&t, 0, 1, 0, w, 0, t.g.red, st);
        d->job->fn->finish(d->job, st, o, w);
    }
}

static void run_cols(void *vctx, int64_t begin, int64_t end)
{
    const drv *d = vctx;
    const tsh_rgeom g = d->job->g;
    tsh_rstate st[JB_WIDE];
    for (int64_t t = begin; t < end; t++) {
        int64_t o = t / d->nb, j0 = (t % d->nb) * d->jb;
        int64_t j1 = j0 + d->jb < g.inner ? j0 + d->jb : g.inner;
        d->job->fn->block(d->job, o, o + 1, j0, j1, 0, g.red, st);
        d->job->fn->finish(d->job, st, o * g.inner + j0, j1 - j0);
    }
}

static void run_split(void *vctx, int64_t begin, int64_t end)
{
    const drv *d = vctx;
    const tsh_rgeom g = d->job->g;
    int64_t nout = g.outer * g.inner;
    for (int64_t c = begin; c < end; c++) {
        int64_t r0 = c * d->chunk, r1 = r0 + d->chunk < g.red ? r0 + d->chunk : g.red;
        tsh_rstate *st = d->part + c * nout;
        if (g.inner == 1) d->job->fn->block(d->job, 0, g.outer, 0, 1, r0, r1, st);
        else
            for (int64_t o = 0; o < g.outer; o++)
                for (int64_t j0 = 0; j0 < g.inner; j0 += d->jb) {
                    int64_t j1 = j0 + d->jb < g.inner ? j0 + d->jb : g.inner;
                    d->job->fn->block(d->job, o, o + 1, j0, j1, r0, r1, st + o * g.inner + j0);
                }
    }
}

/* Column blocks of the one-pass sums (sum, mean, norm: msum_block) span
 * whole rows of up to 4 KiB of float32 where they can. A block walks the
 * reduced dim a row at a time; tsh_red_jb's narrow blocks, which keep a
 * block in L2 for the ops that pass over it twice, read 128 bytes per
 * 4 KiB row of a (4096, 1024) float32 sum(1): 1.0 ms, one thread; 256
 * columns took 0.85-0.94, whole rows 0.57-0.72 (torch 0.68-0.79), as the
 * hardware prefetchers follow a row within its page. */
static void msum_block(const tsh_rjob *job, int64_t o0, int64_t o1, int64_t j0, int64_t j1,
                       int64_t r0, int64_t r1, tsh_rstate *st);

static int64_t col_block(const tsh_rjob *job)
{
    return job->fn->block == msum_block ? JB_WIDE : tsh_red_jb(job->g.red > 0 ? job->g.red : 1);
}

/* How many chunks the reduced dim is cut into, each reduced on its own and
 * the partial states combined in order (1: no split). It depends only on
 * the sizes, never on the thread count, so results are the same however
 * many threads run. Few outputs: chunks of SPLIT_MIN positions or more.
 * Columns of one row narrower than two pages (SPLIT_ROW), which two
 * threads cannot share a page each: SPLIT_TASKS chunks of rows, each over
 * the whole row. Two threads of a (4096, 1024) float32 sum(1) took
 * 300 us so (the full sum: 293; torch 390-410), and 330-460 us splitting
 * the columns, each thread reading half of every 4 KiB row. Wider rows
 * split their columns: a (4096, 1024) float64 sum(1) took 500-510 us in
 * two halves of a page a row, 585 in chunks of rows. */
static int64_t split_chunks(const tsh_rgeom g, int64_t jb, int64_t es)
{
    int64_t n = 1;
    if (g.outer * g.inner <= SPLIT_OUT) {
        if (g.red >= 2 * SPLIT_MIN) n = g.red / SPLIT_MIN < SPLIT_MAX_CHUNKS ? g.red / SPLIT_MIN : SPLIT_MAX_CHUNKS;
    } else if (g.outer == 1 && g.inner * es < SPLIT_ROW) {
        n = g.red / (SPLIT_MIN / (g.inner < jb ? g.inner : jb) + 1); /* chunks over SPLIT_MIN */
        if (n > SPLIT_TASKS) n = SPLIT_TASKS;
    }
    return n > 1 ? n : 1;
}

static tsh_status reduce_split(tsh_rjob *job, drv *d, int64_t nchunk)
{
    const tsh_rgeom g = job->g;
    int64_t nout = g.outer * g.inner;
    d->chunk = (g.red + nchunk - 1) / nchunk;
    nchunk = (g.red + d->chunk - 1) / d->chunk;
    /* few outputs: one block of all the columns; in tsh_red_jb's blocks of
     * 16 a (100000, 32) float32 max(1) took 395 us at two threads, not 252 */
    _Static_assert(SPLIT_OUT <= TSH_RED_JB, "a block of SPLIT_OUT columns fits every block kernel");
    if (nout <= SPLIT_OUT) d->jb = g.inner;
    d->part = malloc(sizeof(tsh_rstate) * (size_t)(nchunk * nout));
    if (!d->part) return tsh_fail(TSH_ERR_OOM, "%s: out of memory", tsh_op_infos[job->op].name);
    tsh_status st = tsh_parallel_for(nchunk, 1, run_split, d);
    if (st == TSH_OK) {
        for (int64_t c = 1; c < nchunk; c++) job->fn->combine(job, d->part, d->part + c * nout, nout);
        job->fn->finish(job, d->part, 0, nout);
    }
    free(d->part);
    return st;
}

tsh_status tsh_reduce_run(tsh_rjob *job)
{
    const tsh_rgeom g = job->g;
    int64_t red = g.red > 0 ? g.red : 1;
    drv d = {.job = job, .jb = col_block(job)};
    int64_t nchunk = split_chunks(g, d.jb, (int64_t)tsh_dtype_size(job->dt));
    if (nchunk > 1) return reduce_split(job, &d, nchunk);
    if (g.inner == 1) {
        int64_t grain = TSH_GRAIN / red;
        bool shrt = g.red > 0 && g.red <= TSH_SHORT_RED && g.outer >= 64;
        return tsh_parallel_for(g.outer, grain > 0 ? grain : 1, shrt ? run_short_rows : run_rows, &d);
    }
    /* narrower column blocks while there are fewer than threads; each
     * column is still summed in row order whatever the width */
    int64_t nt = omp_get_max_threads();
    while (d.jb > TSH_RED_JB && g.outer * ((g.inner + d.jb - 1) / d.jb) < nt) d.jb /= 2;
    d.nb = (g.inner + d.jb - 1) / d.jb;
    int64_t grain = TSH_GRAIN / (red * (g.inner < d.jb ? g.inner : d.jb));
    return tsh_parallel_for(g.outer * d.nb, grain > 0 ? grain : 1, run_cols, &d);
}

void tsh_rjob_init(tsh_rjob *job, tsh_op op, const tsh_kargs *a, const tsh_rop *fn, int mode)
{
    job->a = a;
    job->op = op;
    job->g = (tsh_rgeom){a->i[0], a->i[1], a->i[2]};
    job->dt = a->in[0]->dtype;
    job->x = tsh_data(a->in[0]);
    job->fn = fn;
    job->mode = mode;
    job->half512 = false;
}

/* Stores v (floats) or iv (integers and bool) into element k of p, the
 * data of an output of dtype dt. Inline, with the data pointer fetched once
 * per finish call: one output per row of 1024 floats made the out-of-line
 * version 3-4% of a (4096, 1024) float32 sum(2). */
static inline void store_out(tsh_dtype dt, char *p, int64_t k, double v, int64_t iv)
{
    switch (dt) {
    case TSH_F32: ((float *)p)[k] = (float)v; break;
    case TSH_F64: ((double *)p)[k] = v; break;
    case TSH_I64: ((int64_t *)p)[k] = iv; break;
    default: tsh_store_i64(dt, p + k * (int64_t)tsh_dtype_size(dt), iv); break;
    }
}

/* ---- float map-sums: sum, mean, norm (p = 1, 2, 0, other), var ---- */


#define LANES 16
#define ROW_BLOCK 4096 /* each lane sums at most 256 terms; block totals add in double */

/* acc[k] = acc[k] OP EXPR(v) for v = LOAD(p, q, i), i in [0, n), on lane
 * k = i mod LANES, p = src and q = src2 (NULL where LOAD reads one run);
 * T the element type, ID the identity of OP (0 for +, 1 for *).
 * Two sets of lanes take alternate runs of LANES and meet at the end: with
 * one, each vector lane waited on its previous add (4 cycles), about 48
 * GB/s of float32 at 3 GHz, less than a thread's share of the L3 when two
 * threads sum rows: a (4096, 1024) float32 sum(2) at 2 threads took 330 us
 * that way, 303 with two sets (torch 303). */
#define ROW_ACC2(T, src, src2, n, acc, OP, ID, LOAD, EXPR)                              \
    do {                                                                                \
        const T *p_ = (const T *)(src), *q_ = (const T *)(src2);                        \
        (void)q_;                                                                       \
        double acc2_[LANES];                                                            \
        for (int k_ = 0; k_ < LANES; k_++) acc2_[k_] = (ID);                            \
        int64_t i_ = 0;                                                                 \
        for (; i_ + 2 * LANES <= (n); i_ += 2 * LANES) {                                \
            _Pragma("omp simd") for (int k_ = 0; k_ < LANES; k_++) {                    \
                double v = LOAD(p_, q_, i_ + k_);                                       \
                acc[k_] = acc[k_] OP (EXPR);                                            \
            }                                                                           \
            _Pragma("omp simd") for (int k_ = 0; k_ < LANES; k_++) {                    \
                double v = LOAD(p_, q_, i_ + LANES + k_);                               \
                acc2_[k_] = acc2_[k_] OP (EXPR);                                        \
            }                                                                           \
        }                                                                               \
        for (int k_ = 0; k_ < LANES; k_++) acc[k_] = acc[k_] OP acc2_[k_];              \
        for (; i_ < (n); i_++) {                                                        \
            double v = LOAD(p_, q_, i_);                                                \
            acc[0] = acc[0] OP (EXPR);                                                  \
        }                                                                               \
    } while (0)
#define LOAD_ONE(p, q, i) ((double)(p)[i])
#define LOAD_DIFF(p, q, i) ((double)(p)[i] - (double)(q)[i]) /* exact for float32 */
#define ROW_ACC(T, src, n, acc, OP, ID, EXPR) ROW_ACC2(T, src, NULL, n, acc, OP, ID, LOAD_ONE, EXPR)

/* acc[0] + ... + acc[LANES - 1] (or the product), pairwise. Stages of
 * constant length, so that they unroll and stay in registers: the loop
 * over halving lengths that this replaced went through the stack and took
 * 8-10% of a (4096, 1024) float32 sum(2), one such fold per row (and the
 * product's serial chain of 15 multiplies, 3% of prod(2)). */
static inline double lanes_fold(double *acc, bool prod)
{
    _Static_assert(LANES == 16, "lanes_fold folds 16 lanes");
    for (int k = 0; k < 8; k++) acc[k] = prod ? acc[k] * acc[k + 8] : acc[k] + acc[k + 8];
    for (int k = 0; k < 4; k++) acc[k] = prod ? acc[k] * acc[k + 4] : acc[k] + acc[k + 4];
    for (int k = 0; k < 2; k++) acc[k] = prod ? acc[k] * acc[k + 2] : acc[k] + acc[k + 2];
    return prod ? acc[0] * acc[1] : acc[0] + acc[1];
}

/* float16/bfloat16 a ROW_BLOCK at a time through the float32 sum: the
 * same blocks, so the same result as summing a float32 copy, which the
 * front end used to make. */
static double row_msum_half(tsh_dtype dt, const char *src, int64_t n, int map, double sh, double pw)
{
    float buf[ROW_BLOCK];
    double total = 0;
    for (int64_t b = 0; b < n; b += ROW_BLOCK) {
        int64_t m = n - b < ROW_BLOCK ? n - b : ROW_BLOCK;
        tsh_cpu_half_to_f32(dt, buf, (const uint16_t *)src + b, m);
        total += tsh_cpu_row_msum(TSH_F32, (const char *)buf, m, map, sh, pw);
    }
    return total;
}

TSH_MULTIVERSION
double tsh_cpu_row_msum(tsh_dtype dt, const char *src, int64_t n, int map, double sh, double pw)
{
    if (tsh_dtype_is_half(dt)) return row_msum_half(dt, src, n, map, sh, pw);
    double total = 0;
    int64_t es = dt == TSH_F32 ? 4 : 8;
    for (int64_t b = 0; b < n; b += ROW_BLOCK) {
        int64_t m = n - b < ROW_BLOCK ? n - b : ROW_BLOCK;
        const char *s = src + b * es;
        double acc[LANES] = {0};
        if (dt == TSH_F32) {
            switch (map) {
            case MAP_ID: ROW_ACC(float, s, m, acc, +, 0, v); break;
            case MAP_ABS: ROW_ACC(float, s, m, acc, +, 0, fabs(v)); break;
            case MAP_SQ: ROW_ACC(float, s, m, acc, +, 0, v * v); break;
            case MAP_NZ: ROW_ACC(float, s, m, acc, +, 0, v != 0); break;
            case MAP_SQDEV: ROW_ACC(float, s, m, acc, +, 0, (v - sh) * (v - sh)); break;
            default: ROW_ACC(float, s, m, acc, +, 0, pow(fabs(v), pw)); break;
            }
        } else {
            switch (map) {
            case MAP_ID: ROW_ACC(double, s, m, acc, +, 0, v); break;
            case MAP_ABS: ROW_ACC(double, s, m, acc, +, 0, fabs(v)); break;
            case MAP_SQ: ROW_ACC(double, s, m, acc, +, 0, v * v); break;
            case MAP_NZ: ROW_ACC(double, s, m, acc, +, 0, v != 0); break;
            case MAP_SQDEV: ROW_ACC(double, s, m, acc, +, 0, (v - sh) * (v - sh)); break;
            default: ROW_ACC(double, s, m, acc, +, 0, pow(fabs(v), pw)); break;
            }
        }
        total += lanes_fold(acc, false);
    }
    return total;
}

/* The sum of map(a - b) (MAP_SQ or MAP_ABS) over contiguous runs a and b
 * of n float32 or float64, in double, the same lanes and blocks as
 * tsh_cpu_row_msum: mse_loss and l1_loss in one pass (cpu/nn_loss.c). */
TSH_MULTIVERSION
double tsh_cpu_row_dmsum(tsh_dtype dt, const char *a, const char *b, int64_t n, int map)
{
    double total = 0;
    int64_t es = dt == TSH_F32 ? 4 : 8;
    for (int64_t k = 0; k < n; k += ROW_BLOCK) {
        int64_t m = n - k < ROW_BLOCK ? n - k : ROW_BLOCK;
        const char *s = a + k * es, *t = b + k * es;
        double acc[LANES] = {0};
        if (dt == TSH_F32 && map == MAP_SQ) ROW_ACC2(float, s, t, m, acc, +, 0, LOAD_DIFF, v * v);
        else if (dt == TSH_F32) ROW_ACC2(float, s, t, m, acc, +, 0, LOAD_DIFF, fabs(v));
        else if (map == MAP_SQ) ROW_ACC2(double, s, t, m, acc, +, 0, LOAD_DIFF, v * v);
        else ROW_ACC2(double, s, t, m, acc, +, 0, LOAD_DIFF, fabs(v));
        total += lanes_fold(acc, false);
    }
    return total;
}

/* acc[j] += EXPR(v) for v = column j of rows [r0, r1), j in [0, m): four
 * rows at a time, added pairwise before they reach acc[j]. With a load and
 * a store of acc[j] per row, the loop ran at 32 GB/s from L2 on one core
 * (4 rows: 48, as fast as a row sum), about the memory's speed: two threads
 * of a (4096, 1024) float32 sum(1) were bound by it. */
#define COL_ACC(T, base, stride, r0, r1, m, acc, EXPR)                                  \
    do {                                                                                \
        int64_t r_ = (r0);                                                              \
        for (; r_ + 4 <= (r1); r_ += 4) {                                               \
            const T *p_ = (const T *)(base) + r_ * (stride);                             \
            _Pragma("omp simd") for (int64_t j = 0; j < (m); j++) {                     \
                double v = (double)p_[j];                                               \
                double e0 = (EXPR);                                                     \
                v = (double)p_[(stride) + j];                                           \
                double e1 = (EXPR);                                                     \
                v = (double)p_[2 * (stride) + j];                                       \
                double e2 = (EXPR);                                                     \
                v = (double)p_[3 * (stride) + j];                                       \
                acc[j] += (e0 + e1) + (e2 + (EXPR));                                    \
            }                                                                           \
        }                                                                               \
        for (; r_ < (r1); r_++) {                                                       \
            const T *p_ = (const T *)(base) + r_ * (stride);                             \
            _Pragma("omp simd") for (int64_t j = 0; j < (m); j++) {                     \
                double v = (double)p_[j];                                               \
                acc[j] += (EXPR);                                                       \
            }                                                                           \
        }                                                                               \
    } while (0)

/* acc[j] += the column sums of map(x), m <= JB_WIDE adjacent columns. */
TSH_MULTIVERSION
static void col_msum_add(tsh_dtype dt, const char *base, int64_t stride, int64_t r0, int64_t r1, int64_t m,
                         int map, const double *sh, double pw, double *acc)
{
    if (dt == TSH_F32) {
        switch (map) {
        case MAP_ID: COL_ACC(float, base, stride, r0, r1, m, acc, v); break;
        case MAP_ABS: COL_ACC(float, base, stride, r0, r1, m, acc, fabs(v)); break;
        case MAP_SQ: COL_ACC(float, base, stride, r0, r1, m, acc, v * v); break;
        case MAP_NZ: COL_ACC(float, base, stride, r0, r1, m, acc, v != 0); break;
        case MAP_SQDEV: COL_ACC(float, base, stride, r0, r1, m, acc, (v - sh[j]) * (v - sh[j])); break;
        default: COL_ACC(float, base, stride, r0, r1, m, acc, pow(fabs(v), pw)); break;
        }
    } else {
        switch (map) {
        case MAP_ID: COL_ACC(double, base, stride, r0, r1, m, acc, v); break;
        case MAP_ABS: COL_ACC(double, base, stride, r0, r1, m, acc, fabs(v)); break;
        case MAP_SQ: COL_ACC(double, base, stride, r0, r1, m, acc, v * v); break;
        case MAP_NZ: COL_ACC(double, base, stride, r0, r1, m, acc, v != 0); break;
        case MAP_SQDEV: COL_ACC(double, base, stride, r0, r1, m, acc, (v - sh[j]) * (v - sh[j])); break;
        default: COL_ACC(double, base, stride, r0, r1, m, acc, pow(fabs(v), pw)); break;
        }
    }
}

/* The column sums of map(x) for m <= JB_WIDE adjacent columns. Halves are
 * widened four rows at a time, the rows COL_ACC adds together, so the sums
 * are those of a float32 copy. */
static void col_msum(tsh_dtype dt, const char *base, int64_t stride, int64_t r0, int64_t r1, int64_t m,
                     int map, const double *sh, double pw, double *acc)
{
    for (int64_t j = 0; j < m; j++) acc[j] = 0;
    if (!tsh_dtype_is_half(dt)) {
        col_msum_add(dt, base, stride, r0, r1, m, map, sh, pw, acc);
        return;
    }
    float buf[4 * JB_WIDE];
    for (int64_t r = r0; r < r1; r += 4) {
        int64_t k = r1 - r < 4 ? r1 - r : 4;
        for (int64_t q = 0; q < k; q++)
            tsh_cpu_half_to_f32(dt, buf + q * m, (const uint16_t *)base + (r + q) * stride, m);
        col_msum_add(TSH_F32, (const char *)buf, m, 0, k, m, map, sh, pw, acc);
    }
}

/* Start of (o, r0, j0) in bytes. */
static const char *job_at(const tsh_rjob *job, int64_t o, int64_t r, int64_t j)
{
    return job->x + ((o * job->g.red + r) * job->g.inner + j) * (int64_t)tsh_dtype_size(job->dt);
}

/* State: v = the sum of map(x); mode = the map. */
static void msum_block(const tsh_rjob *job, int64_t o0, int64_t o1, int64_t j0, int64_t j1,
                       int64_t r0, int64_t r1, tsh_rstate *st)
{
    double pw = job->a->f[0];
    if (job->g.inner == 1 && job->half512) {
        for (int64_t o = o0; o < o1; o++)
            st[o - o0].v = tsh_cpu_half_sum512(job->dt, (const uint16_t *)job_at(job, o, r0, 0), r1 - r0);
        return;
    }
    if (job->g.inner == 1) {
        for (int64_t o = o0; o < o1; o++)
            st[o - o0].v = tsh_cpu_row_msum(job->dt, job_at(job, o, r0, 0), r1 - r0, job->mode, 0, pw);
        return;
    }
    double acc[JB_WIDE];
    col_msum(job->dt, job_at(job, o0, 0, j0), job->g.inner, r0, r1, j1 - j0, job->mode, NULL, pw, acc);
    for (int64_t j = 0; j < j1 - j0; j++) st[j].v = acc[j];
}

static void sum_combine(const tsh_rjob *job, tsh_rstate *acc, const tsh_rstate *part, int64_t n)
{
    (void)job;
    for (int64_t k = 0; k < n; k++) {
        acc[k].v += part[k].v;
        acc[k].i = (int64_t)((uint64_t)acc[k].i + (uint64_t)part[k].i);
    }
}

static void msum_finish(const tsh_rjob *job, const tsh_rstate *st, int64_t k0, int64_t n)
{
    const tsh_tensor *out = job->a->out;
    char *dst = tsh_data(out);
    double p = job->a->f[0];
    for (int64_t k = 0; k < n; k++) {
        double v = st[k].v;
        if (job->op == TSH_OP_MEAN) v /= (double)job->g.red;
        else if (job->op == TSH_OP_NORM && job->mode == MAP_SQ) v = sqrt(v);
        else if (job->op == TSH_OP_NORM && job->mode == MAP_POW) v = pow(v, 1 / p);
        store_out(out->dtype, dst, k0 + k, v, 0);
    }
}

static const tsh_rop msum_fn = {msum_block, sum_combine, msum_finish};

/* ---- var/std: two passes per block, blocks merged by Chan's formula ---- */

/* State: v = mean, s = sum of squared deviations, i = count. */
static void var_block(const tsh_rjob *job, int64_t o0, int64_t o1, int64_t j0, int64_t j1,
                      int64_t r0, int64_t r1, tsh_rstate *st)
{
    int64_t n = r1 - r0;
    if (job->g.inner == 1) {
        for (int64_t o = o0; o < o1; o++) {
            const char *p = job_at(job, o, r0, 0);
            double mean = n ? tsh_cpu_row_msum(job->dt, p, n, MAP_ID, 0, 0) / (double)n : 0;
            double m2 = n ? tsh_cpu_row_msum(job->dt, p, n, MAP_SQDEV, mean, 0) : 0;
            st[o - o0] = (tsh_rstate){.v = mean, .s = m2, .i = n};
        }
        return;
    }
    double mean[TSH_RED_JB], m2[TSH_RED_JB];
    int64_t m = j1 - j0;
    const char *base = job_at(job, o0, 0, j0);
    col_msum(job->dt, base, job->g.inner, r0, r1, m, MAP_ID, NULL, 0, mean);
    for (int64_t j = 0; j < m; j++) mean[j] = n ? mean[j] / (double)n : 0;
    col_msum(job->dt, base, job->g.inner, r0, r1, m, MAP_SQDEV, mean, 0, m2);
    for (int64_t j = 0; j < m; j++) st[j] = (tsh_rstate){.v = mean[j], .s = m2[j], .i = n};
}

static void chan_merge(tsh_rstate *acc, const tsh_rstate *part)
{
    if (part->i == 0) return;
    if (acc->i == 0) {
        *acc = *part;
        return;
    }
    double na = (double)acc->i, nb = (double)part->i, n = na + nb, delta = part->v - acc->v;
    acc->v += delta * nb / n;
    acc->s += part->s + delta * delta * na * nb / n;
    acc->i += part->i;
}

static void var_combine(const tsh_rjob *job, tsh_rstate *acc, const tsh_rstate *part, int64_t n)
{
    (void)job;
    for (int64_t k = 0; k < n; k++) chan_merge(&acc[k], &part[k]);
}

static void var_finish(const tsh_rjob *job, const tsh_rstate *st, int64_t k0, int64_t n)
{
    const tsh_tensor *out = job->a->out;
    char *dst = tsh_data(out);
    double corr = job->a->f[0];
    for (int64_t k = 0; k < n; k++) {
        double v = st[k].s / fmax(0.0, (double)st[k].i - corr);
        store_out(out->dtype, dst, k0 + k, job->a->i[3] ? sqrt(v) : v, 0);
    }
}

static const tsh_rop var_fn = {var_block, var_combine, var_finish};

/* ---- NaN-propagating max/min of |x| (inf norms) and of x (logsumexp) ---- */

enum { EXT_MAX, EXT_MIN, EXT_MAXABS, EXT_MINABS };

/* Body for one element x of lane k: extreme in m[k], NaN seen in nan[k]. */
#define EXT_BODY(MODE)                                                               \
    do {                                                                             \
        double a = (MODE) >= EXT_MAXABS ? fabs((double)x) : (double)x;               \
        nan[k] |= a != a;                                                            \
        m[k] = ((MODE) & 1) ? (a < m[k] ? a : m[k]) : (a > m[k] ? a : m[k]);         \
    } while (0)

#define ROW_LOOP(T, src, n, BODY)                                                    \
    do {                                                                             \
        const T *p_ = (const T *)(src);                                              \
        int64_t i_ = 0;                                                              \
        for (; i_ + LANES <= (n); i_ += LANES) {                                     \
            _Pragma("omp simd") for (int k = 0; k < LANES; k++) {                    \
                T x = p_[i_ + k];                                                    \
                BODY;                                                                \
            }                                                                        \
        }                                                                            \
        for (; i_ < (n); i_++) {                                                     \
            const int k = 0;                                                         \
            T x = p_[i_];                                                            \
            BODY;                                                                    \
        }                                                                            \
    } while (0)

/* The extreme of a contiguous run of floats; NaN if any is NaN. */
TSH_MULTIVERSION
static double row_extreme(tsh_dtype dt, const char *src, int64_t n, int mode)
{
    double m[LANES];
    int nan[LANES] = {0};
    for (int k = 0; k < LANES; k++) m[k] = (mode & 1) ? INFINITY : mode == EXT_MAX ? -INFINITY : 0;
    if (dt == TSH_F32) {
        switch (mode) {
        case EXT_MAX: ROW_LOOP(float, src, n, EXT_BODY(EXT_MAX)); break;
        case EXT_MIN: ROW_LOOP(float, src, n, EXT_BODY(EXT_MIN)); break;
        case EXT_MAXABS: ROW_LOOP(float, src, n, EXT_BODY(EXT_MAXABS)); break;
        default: ROW_LOOP(float, src, n, EXT_BODY(EXT_MINABS)); break;
        }
    } else {
        switch (mode) {
        case EXT_MAX: ROW_LOOP(double, src, n, EXT_BODY(EXT_MAX)); break;
        case EXT_MIN: ROW_LOOP(double, src, n, EXT_BODY(EXT_MIN)); break;
        case EXT_MAXABS: ROW_LOOP(double, src, n, EXT_BODY(EXT_MAXABS)); break;
        default: ROW_LOOP(double, src, n, EXT_BODY(EXT_MINABS)); break;
        }
    }
    double r = m[0];
    int any_nan = nan[0];
    for (int k = 1; k < LANES; k++) {
        any_nan |= nan[k];
        r = (mode & 1) ? (m[k] < r ? m[k] : r) : (m[k] > r ? m[k] : r);
    }
    return any_nan ? NAN : r;
}

/* Column extremes, NaN-propagating, of rows [r0, r1) of m columns. */
TSH_MULTIVERSION
static void col_extreme(tsh_dtype dt, const char *base, int64_t stride, int64_t r0, int64_t r1,
                        int64_t w, int mode, double *m)
{
    int nan[TSH_RED_JB];
    for (int64_t j = 0; j < w; j++) {
        m[j] = (mode & 1) ? INFINITY : mode == EXT_MAX ? -INFINITY : 0;
        nan[j] = 0;
    }
#define COLX(T, MODE)                                                                \
    for (int64_t r = r0; r < r1; r++) {                                              \
        const T *p_ = (const T *)base + r * stride;                                  \
        _Pragma("omp simd") for (int64_t k = 0; k < w; k++) {                        \
            T x = p_[k];                                                             \
            EXT_BODY(MODE);                                                          \
        }                                                                            \
    }
    if (dt == TSH_F32) {
        switch (mode) {
        case EXT_MAX: COLX(float, EXT_MAX); break;
        case EXT_MIN: COLX(float, EXT_MIN); break;
        case EXT_MAXABS: COLX(float, EXT_MAXABS); break;
        default: COLX(float, EXT_MINABS); break;
        }
    } else {
        switch (mode) {
        case EXT_MAX: COLX(double, EXT_MAX); break;
        case EXT_MIN: COLX(double, EXT_MIN); break;
        case EXT_MAXABS: COLX(double, EXT_MAXABS); break;
        default: COLX(double, EXT_MINABS); break;
        }
    }
#undef COLX
    for (int64_t j = 0; j < w; j++)
        if (nan[j]) m[j] = NAN;
}

/* State: v = the extreme (NaN if any). mode = EXT_*. */
static void ext_block(const tsh_rjob *job, int64_t o0, int64_t o1, int64_t j0, int64_t j1,
                      int64_t r0, int64_t r1, tsh_rstate *st)
{
    if (job->g.inner == 1) {
        for (int64_t o = o0; o < o1; o++)
            st[o - o0].v = row_extreme(job->dt, job_at(job, o, r0, 0), r1 - r0, job->mode);
        return;
    }
    double e[TSH_RED_JB];
    col_extreme(job->dt, job_at(job, o0, 0, j0), job->g.inner, r0, r1, j1 - j0, job->mode, e);
    for (int64_t j = 0; j < j1 - j0; j++) st[j].v = e[j];
}

static double nan_extreme(double a, double b, int mode)
{
    if (a != a || b != b) return NAN;
    return (mode & 1) ? fmin(a, b) : fmax(a, b);
}

static void ext_combine(const tsh_rjob *job, tsh_rstate *acc, const tsh_rstate *part, int64_t n)
{
    for (int64_t k = 0; k < n; k++) acc[k].v = nan_extreme(acc[k].v, part[k].v, job->mode);
}

static void ext_finish(const tsh_rjob *job, const tsh_rstate *st, int64_t k0, int64_t n)
{
    const tsh_tensor *out = job->a->out;
    char *dst = tsh_data(out);
    for (int64_t k = 0; k < n; k++) store_out(out->dtype, dst, k0 + k, st[k].v, 0);
}

static const tsh_rop ext_fn = {ext_block, ext_combine, ext_finish};

/* ---- logsumexp: the max, then sum exp(x - max) ---- */

TSH_MULTIVERSION
double tsh_cpu_row_expsum(tsh_dtype dt, const char *src, int64_t n, double m)
{
    double total = 0;
    for (int64_t b = 0; b < n; b += 1024) {
        int64_t len = n - b < 1024 ? n - b : 1024;
        if (dt == TSH_F32) { /* float lanes within a block, blocks in double */
            const float *p = (const float *)src + b;
            float mf = (float)m, s = 0;
#pragma omp simd reduction(+:s)
            for (int64_t i = 0; i < len; i++) s += tsh_exp_neg(p[i] - mf);
            total += s;
        } else {
            const double *p = (const double *)src + b;
            for (int64_t i = 0; i < len; i++) total += exp(p[i] - m);
        }
    }
    return total;
}

/* s[j] += sum over rows [r0, r1) of exp(x - m[j]): float sums over 256
 * rows at a time (they vectorise), gathered in double. */
TSH_MULTIVERSION
static void col_expsum_f32(const float *base, int64_t stride, int64_t r0, int64_t r1, int64_t w,
                           const double *m, double *s)
{
    float mf[TSH_RED_JB], fs[TSH_RED_JB];
    for (int64_t j = 0; j < w; j++) mf[j] = (float)m[j];
    for (int64_t c = r0; c < r1; c += 256) {
        int64_t c1 = c + 256 < r1 ? c + 256 : r1;
        for (int64_t j = 0; j < w; j++) fs[j] = 0;
        for (int64_t r = c; r < c1; r++) {
            const float *p = base + r * stride;
#pragma omp simd
            for (int64_t j = 0; j < w; j++) fs[j] += tsh_exp_neg(p[j] - mf[j]);
        }
        for (int64_t j = 0; j < w; j++) s[j] += fs[j];
    }
}

/* State: v = max (NaN if any), s = sum of exp(x - v) when v is finite. */
static void lse_block(const tsh_rjob *job, int64_t o0, int64_t o1, int64_t j0, int64_t j1,
                      int64_t r0, int64_t r1, tsh_rstate *st)
{
    if (job->g.inner == 1) {
        for (int64_t o = o0; o < o1; o++) {
            const char *p = job_at(job, o, r0, 0);
            double m = row_extreme(job->dt, p, r1 - r0, EXT_MAX);
            st[o - o0] = (tsh_rstate){.v = m, .s = isfinite(m) ? tsh_cpu_row_expsum(job->dt, p, r1 - r0, m) : 0};
        }
        return;
    }
    double m[TSH_RED_JB], sh[TSH_RED_JB], s[TSH_RED_JB];
    int64_t w = j1 - j0, stride = job->g.inner;
    const char *base = job_at(job, o0, 0, j0);
    col_extreme(job->dt, base, stride, r0, r1, w, EXT_MAX, m);
    /* columns whose max is not finite ignore s (see lse_finish) */
    for (int64_t j = 0; j < w; j++) s[j] = 0, sh[j] = isfinite(m[j]) ? m[j] : 0;
    if (job->dt == TSH_F32) col_expsum_f32((const float *)base, stride, r0, r1, w, sh, s);
    else
        for (int64_t r = r0; r < r1; r++) {
            const double *p = (const double *)base + r * stride;
            for (int64_t j = 0; j < w; j++) s[j] += exp(p[j] - sh[j]);
        }
    for (int64_t j = 0; j < w; j++) st[j] = (tsh_rstate){.v = m[j], .s = s[j]};
}

static void lse_merge(tsh_rstate *acc, const tsh_rstate *part)
{
    double m = nan_extreme(acc->v, part->v, EXT_MAX);
    if (isfinite(m)) {
        double s = 0;
        if (isfinite(acc->v) && acc->s > 0) s += acc->s * exp(acc->v - m);
        if (isfinite(part->v) && part->s > 0) s += part->s * exp(part->v - m);
        acc->s = s;
    }
    acc->v = m;
}

static void lse_combine(const tsh_rjob *job, tsh_rstate *acc, const tsh_rstate *part, int64_t n)
{
    (void)job;
    for (int64_t k = 0; k < n; k++) lse_merge(&acc[k], &part[k]);
}

static void lse_finish(const tsh_rjob *job, const tsh_rstate *st, int64_t k0, int64_t n)
{
    const tsh_tensor *out = job->a->out;
    char *dst = tsh_data(out);
    for (int64_t k = 0; k < n; k++) {
        double m = st[k].v;
        /* all -inf (or nothing) gives -inf, any +inf gives +inf, as torch */
        store_out(out->dtype, dst, k0 + k, isfinite(m) ? log(st[k].s) + m : m, 0);
    }
}

static const tsh_rop lse_fn = {lse_block, lse_combine, lse_finish};

/* ---- integer sum and prod, float prod (wrapping int64, double) ---- */

/* Sum (mode 0) or product (mode 1) of a run of integers as wrapping int64. */
TSH_MULTIVERSION
static uint64_t row_iacc(tsh_dtype dt, const char *src, int64_t n, int prod)
{
    uint64_t acc[LANES];
    for (int k = 0; k < LANES; k++) acc[k] = (uint64_t)prod;
#define IACC(T)                                                                      \
    do {                                                                             \
        if (prod) ROW_LOOP(T, src, n, acc[k] *= (uint64_t)(int64_t)x);               \
        else ROW_LOOP(T, src, n, acc[k] += (uint64_t)(int64_t)x);                    \
    } while (0)
    switch (dt) {
    case TSH_I32: IACC(int32_t); break;
    case TSH_I64: IACC(int64_t); break;
    default: IACC(uint8_t); break; /* bool, uint8 */
    }
#undef IACC
    for (int k = 1; k < LANES; k++) acc[0] = prod ? acc[0] * acc[k] : acc[0] + acc[k];
    return acc[0];
}

/* Product of a run of floats, in double. */
TSH_MULTIVERSION
static double row_fprod(tsh_dtype dt, const char *src, int64_t n)
{
    double acc[LANES];
    for (int k = 0; k < LANES; k++) acc[k] = 1;
    if (dt == TSH_F32) ROW_ACC(float, src, n, acc, *, 1, v);
    else ROW_ACC(double, src, n, acc, *, 1, v);
    return lanes_fold(acc, true);
}

/* State: i = integer sum/product, v = float product. mode 1: product. */
static void acc_block(const tsh_rjob *job, int64_t o0, int64_t o1, int64_t j0, int64_t j1,
                      int64_t r0, int64_t r1, tsh_rstate *st)
{
    bool isint = !tsh_dtype_is_float(job->dt), prod = job->mode;
    if (job->g.inner == 1) {
        for (int64_t o = o0; o < o1; o++) {
            const char *p = job_at(job, o, r0, 0);
            if (isint) st[o - o0].i = (int64_t)row_iacc(job->dt, p, r1 - r0, prod);
            else st[o - o0].v = row_fprod(job->dt, p, r1 - r0);
        }
        return;
    }
    int64_t w = j1 - j0, stride = job->g.inner;
    const char *base = job_at(job, o0, 0, j0);
    if (!isint) {
        double acc[TSH_RED_JB];
        for (int64_t j = 0; j < w; j++) acc[j] = 1;
        for (int64_t r = r0; r < r1; r++)
            for (int64_t j = 0; j < w; j++)
                acc[j] *= job->dt == TSH_F32 ? ((const float *)base)[r * stride + j]
                                             : ((const double *)base)[r * stride + j];
        for (int64_t j = 0; j < w; j++) st[j].v = acc[j];
        return;
    }
    uint64_t acc[TSH_RED_JB];
    for (int64_t j = 0; j < w; j++) acc[j] = (uint64_t)prod;
#define ICOL(T)                                                                      \
    for (int64_t r = r0; r < r1; r++) {                                              \
        const T *p = (const T *)base + r * stride;                                   \
        if (prod) for (int64_t j = 0; j < w; j++) acc[j] *= (uint64_t)(int64_t)p[j]; \
        else for (int64_t j = 0; j < w; j++) acc[j] += (uint64_t)(int64_t)p[j];      \
    }
    switch (job->dt) {
    case TSH_I32: ICOL(int32_t); break;
    case TSH_I64: ICOL(int64_t); break;
    default: ICOL(uint8_t); break;
    }
#undef ICOL
    for (int64_t j = 0; j < w; j++) st[j].i = (int64_t)acc[j];
}

static void acc_combine(const tsh_rjob *job, tsh_rstate *acc, const tsh_rstate *part, int64_t n)
{
    if (!job->mode) {
        sum_combine(job, acc, part, n);
        return;
    }
    for (int64_t k = 0; k < n; k++) {
        acc[k].v *= part[k].v;
        acc[k].i = (int64_t)((uint64_t)acc[k].i * (uint64_t)part[k].i);
    }
}

static void acc_finish(const tsh_rjob *job, const tsh_rstate *st, int64_t k0, int64_t n)
{
    const tsh_tensor *out = job->a->out;
    char *dst = tsh_data(out);
    for (int64_t k = 0; k < n; k++) store_out(out->dtype, dst, k0 + k, st[k].v, st[k].i);
}

static const tsh_rop acc_fn = {acc_block, acc_combine, acc_finish};

/* ---- any, all ---- */

/* Does a run hold a nonzero (mode 0: any) or a zero (mode 1: all)? Stops
 * at the first block that decides. */
static bool row_find(tsh_dtype dt, const char *src, int64_t n, bool want_zero)
{
    size_t es = tsh_dtype_size(dt);
    for (int64_t b = 0; b < n; b += 256) {
        int64_t len = n - b < 256 ? n - b : 256, hits = 0;
        const char *s = src + b * (int64_t)es;
#define FIND(T)                                                                      \
    do {                                                                             \
        const T *p = (const T *)s;                                                   \
        _Pragma("omp simd reduction(+:hits)") for (int64_t i = 0; i < len; i++)      \
            hits += (p[i] != 0) != want_zero;                                        \
    } while (0)
        switch (dt) {
        case TSH_I32: FIND(int32_t); break;
        case TSH_I64: FIND(int64_t); break;
        case TSH_F32: FIND(float); break;
        case TSH_F64: FIND(double); break;
        default: FIND(uint8_t); break;
        }
#undef FIND
        if (hits) return true;
    }
    return false;
}

/* Column any/all over rows [r0, r1) of w columns, into st[j].i. */
TSH_MULTIVERSION
static void col_anyall(tsh_dtype dt, const char *base, int64_t stride, int64_t r0, int64_t r1,
                       int64_t w, bool all, tsh_rstate *st)
{
    uint8_t acc[TSH_RED_JB];
    for (int64_t j = 0; j < w; j++) acc[j] = all;
#define COLNZ(T)                                                                     \
    for (int64_t r = r0; r < r1; r++) {                                              \
        const T *p = (const T *)base + r * stride;                                   \
        if (all) _Pragma("omp simd") for (int64_t j = 0; j < w; j++) acc[j] &= p[j] != 0; \
        else _Pragma("omp simd") for (int64_t j = 0; j < w; j++) acc[j] |= p[j] != 0;     \
    }
    switch (dt) {
    case TSH_I32: COLNZ(int32_t); break;
    case TSH_I64: COLNZ(int64_t); break;
    case TSH_F32: COLNZ(float); break;
    case TSH_F64: COLNZ(double); break;
    default: COLNZ(uint8_t); break;
    }
#undef COLNZ
    for (int64_t j = 0; j < w; j++) st[j].i = acc[j];
}

/* State: i = 1 when the answer is true. mode 0: any, 1: all. */
static void anyall_block(const tsh_rjob *job, int64_t o0, int64_t o1, int64_t j0, int64_t j1,
                         int64_t r0, int64_t r1, tsh_rstate *st)
{
    bool all = job->mode;
    if (job->g.inner == 1) {
        for (int64_t o = o0; o < o1; o++)
            st[o - o0].i = row_find(job->dt, job_at(job, o, r0, 0), r1 - r0, all) != all;
        return;
    }
    col_anyall(job->dt, job_at(job, o0, 0, j0), job->g.inner, r0, r1, j1 - j0, all, st);
}

static void anyall_combine(const tsh_rjob *job, tsh_rstate *acc, const tsh_rstate *part, int64_t n)
{
    for (int64_t k = 0; k < n; k++) acc[k].i = job->mode ? acc[k].i && part[k].i : acc[k].i || part[k].i;
}

static void anyall_finish(const tsh_rjob *job, const tsh_rstate *st, int64_t k0, int64_t n)
{
    uint8_t *o = (uint8_t *)tsh_data(job->a->out); /* bool or uint8 */
    for (int64_t k = 0; k < n; k++) o[k0 + k] = st[k].i != 0;
}

static const tsh_rop anyall_fn = {anyall_block, anyall_combine, anyall_finish};

/* ---- kernels ---- */

static tsh_status run(tsh_op op, const tsh_kargs *a, const tsh_rop *fn, int mode)
{
    tsh_rjob job;
    tsh_rjob_init(&job, op, a, fn, mode);
    return tsh_reduce_run(&job);
}

static tsh_status cpu_sum(tsh_op op, const tsh_kargs *a)
{
    if (!tsh_dtype_is_float(a->in[0]->dtype)) return run(op, a, &acc_fn, 0);
    tsh_rjob job;
    tsh_rjob_init(&job, op, a, &msum_fn, MAP_ID);
    job.half512 = tsh_dtype_is_half(job.dt) && tsh_cpu_half512();
    return tsh_reduce_run(&job);
}

static tsh_status cpu_prod(tsh_op op, const tsh_kargs *a) { return run(op, a, &acc_fn, 1); }
static tsh_status cpu_var(tsh_op op, const tsh_kargs *a) { return run(op, a, &var_fn, 0); }
static tsh_status cpu_logsumexp(tsh_op op, const tsh_kargs *a) { return run(op, a, &lse_fn, 0); }
static tsh_status cpu_any_all(tsh_op op, const tsh_kargs *a) { return run(op, a, &anyall_fn, op == TSH_OP_ALL); }

static tsh_status cpu_norm(tsh_op op, const tsh_kargs *a)
{
    double p = a->f[0];
    if (p == INFINITY) return run(op, a, &ext_fn, EXT_MAXABS);
    if (p == -INFINITY) return run(op, a, &ext_fn, EXT_MINABS);
    return run(op, a, &msum_fn, p == 0 ? MAP_NZ : p == 1 ? MAP_ABS : p == 2 ? MAP_SQ : MAP_POW);
}

void tsh_cpu_register_reduce(tsh_kernel_fn *k)
{
    k[TSH_OP_SUM] = cpu_sum;
    k[TSH_OP_MEAN] = cpu_sum;
    k[TSH_OP_PROD] = cpu_prod;
    k[TSH_OP_VAR] = cpu_var;
    k[TSH_OP_NORM] = cpu_norm;
    k[TSH_OP_LOGSUMEXP] = cpu_logsumexp;
    k[TSH_OP_ANY] = cpu_any_all;
    k[TSH_OP_ALL] = cpu_any_all;
    tsh_cpu_register_reduce_extreme(k);
    tsh_cpu_register_reduce_dim(k);
}
