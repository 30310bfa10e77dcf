/* cpu/nn_pool.c: fast max, average and adaptive-average 2-d pooling and
 * their backwards. Every op works plane by plane (one (n, c) image), planes
 * in parallel, so backward scatters never race. Max pooling with a 2x2
 * window, stride 2 and no padding (LeNet's and most CNNs') has its own
 * forward loop, and for float32 on AVX-512 machines its own forward and
 * backward (nn_pool512.c); adaptive average pooling to one column sums
 * whole rows at once; everything else takes the general ones. Not
 * here: shape and window checks, and the output size (front end, nn_pool.c
 * in interp/core). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "iter.h"
#include "nn.h"
#include "reduce_impl.h" /* the reductions' row sum */

/* (The portable 2x2 loop is compiled for AVX-512, AVX2 and the baseline,
 * picked at load time: TSH_MULTIVERSION, cpu/iter.h.) */

/* Which loop a max pooling op takes. */
typedef enum { MAXPATH_GENERAL, MAXPATH_2X2, MAXPATH_2X2_AVX512 } max_path;

typedef struct {
    const tsh_kargs *a;
    int64_t sh, sw, ph, pw, dh, dw, kh, kw;
    int64_t H, W, OH, OW;
    bool include_pad;
    max_path path;
} pool_ctx;

static pool_ctx pool_of(const tsh_kargs *a, const tsh_tensor *x, const tsh_tensor *y)
{
    return (pool_ctx){a, tsh_hw_h(a->i[0]), tsh_hw_w(a->i[0]), tsh_hw_h(a->i[1]), tsh_hw_w(a->i[1]),
                      tsh_hw_h(a->i[2]), tsh_hw_w(a->i[2]), tsh_hw_h(a->i[3]), tsh_hw_w(a->i[3]),
                      x->shape[2], x->shape[3], y->shape[2], y->shape[3], (a->i[4] & 1) != 0, MAXPATH_GENERAL};
}

/* Planes per chunk: about TSH_GRAIN elements of work, in a number of
 * equal chunks that the threads divide evenly (OpenMP's static schedule
 * gives each thread a run of whole chunks: 4 chunks of 327, 327, 327 and 43
 * planes would leave one of two threads idle for a third of the time). */
static int64_t plane_grain(int64_t planes, int64_t work)
{
    int64_t g = TSH_GRAIN / (work > 0 ? work : 1), nt = omp_get_max_threads();
    g = g > 0 ? g : 1;
    int64_t chunks = (planes + g - 1) / g;
    if (chunks <= 1) return g;
    chunks = (chunks + nt - 1) / nt * nt;
    return (planes + chunks - 1) / chunks;
}

/* ---- max ---- */

/* The update rule of ops.h: the first element, then anything larger or a
 * NaN, but nothing replaces a NaN (the first NaN wins). */
#define MAX_TAKE(v, best, have) (!(have) || (!isnan(best) && ((v) > (best) || isnan(v))))

/* One output row of 2x2, stride-2 max pooling (input rows r0 and r0 + W)
 * and its 1-based indices from base. The max of random data defeats branch
 * prediction, so the loop has none: plain "larger wins" selects, which
 * vectorise. They would let a NaN lose, so a row whose inputs hold NaN (or
 * inf, whose inf - inf also flags it) is redone with the exact rule. */
#define MAX2X2_ROW(T, IX)                                                                    \
    do {                                                                                     \
        const T *r1 = r0 + W;                                                                \
        T nan_probe = 0;                                                                     \
        for (int64_t ow = 0; ow < OW; ow++) {                                                \
            T a0 = r0[2 * ow], a1 = r0[2 * ow + 1], a2 = r1[2 * ow], a3 = r1[2 * ow + 1];    \
            nan_probe += (a0 - a0) + (a1 - a1) + (a2 - a2) + (a3 - a3);                      \
            T b = a0;                                                                        \
            b = a1 > b ? a1 : b;                                                             \
            b = a2 > b ? a2 : b;                                                             \
            y[ow] = a3 > b ? a3 : b;                                                         \
        }                                                                                    \
        if (nan_probe == 0) {                                                                \
            /* the first position holding the max, in the window's row-major order */       \
            for (int64_t ow = 0; IX && ow < OW; ow++) {                                      \
                T b = y[ow];                                                                 \
                int32_t k = r1[2 * ow] == b ? (int32_t)W : (int32_t)W + 1;                   \
                k = r0[2 * ow + 1] == b ? 1 : k;                                             \
                k = r0[2 * ow] == b ? 0 : k;                                                 \
                ix[ow] = base + 2 * ow + k;                                                  \
            }                                                                                \
            break;                                                                           \
        }                                                                                    \
        for (int64_t ow = 0; ow < OW; ow++) {                                                \
            const T v[4] = {r0[2 * ow], r0[2 * ow + 1], r1[2 * ow], r1[2 * ow + 1]};         \
            const int64_t at[4] = {0, 1, W, W + 1};                                          \
            T b = v[0];                                                                      \
            int64_t k = 0;                                                                   \
            for (int j = 1; j < 4; j++)                                                      \
                if (MAX_TAKE(v[j], b, 1)) b = v[j], k = at[j];                               \
            y[ow] = b;                                                                       \
            if (IX) ix[ow] = base + 2 * ow + k;                                              \
        }                                                                                    \
    } while (0)

/* (IX is a constant, so each version is a loop without a branch; the
 * indices are 32-bit inside a row, since W < 2^31 there.) */
TSH_MULTIVERSION static void max2x2_float(const float *restrict r0, int64_t W, float *restrict y, int64_t *restrict ix,
                                     int64_t OW, int64_t base)
{
    if (ix) MAX2X2_ROW(float, 1);
    else MAX2X2_ROW(float, 0);
}

TSH_MULTIVERSION static void max2x2_double(const double *restrict r0, int64_t W, double *restrict y,
                                      int64_t *restrict ix, int64_t OW, int64_t base)
{
    if (ix) MAX2X2_ROW(double, 1);
    else MAX2X2_ROW(double, 0);
}

#define MAX_PLANE(T)                                                                          \
    do {                                                                                      \
        const T *x = (const T *)xp;                                                           \
        T *y = (T *)yp;                                                                       \
        if (c->path != MAXPATH_GENERAL) {                                                     \
            for (int64_t oh = 0; oh < c->OH; oh++)                                            \
                max2x2_##T(x + 2 * oh * c->W, c->W, y + oh * c->OW, ix ? ix + oh * c->OW : NULL, \
                           c->OW, 2 * oh * c->W + 1);                                         \
            break;                                                                            \
        }                                                                                     \
        for (int64_t oh = 0; oh < c->OH; oh++)                                                \
            for (int64_t ow = 0; ow < c->OW; ow++) {                                          \
                T best = 0;                                                                   \
                int64_t where = -1;                                                           \
                for (int64_t kh = 0; kh < c->kh; kh++) {                                      \
                    int64_t ih = oh * c->sh - c->ph + kh * c->dh;                             \
                    if (ih < 0 || ih >= c->H) continue;                                       \
                    for (int64_t kw = 0; kw < c->kw; kw++) {                                  \
                        int64_t iw = ow * c->sw - c->pw + kw * c->dw;                         \
                        if (iw < 0 || iw >= c->W) continue;                                   \
                        T v = x[ih * c->W + iw];                                              \
                        if (MAX_TAKE(v, best, where >= 0)) best = v, where = ih * c->W + iw;  \
                    }                                                                         \
                }                                                                             \
                y[oh * c->OW + ow] = best;                                                    \
                if (ix) ix[oh * c->OW + ow] = where + 1;                                      \
            }                                                                                 \
    } while (0)

static void max_range(void *vc, int64_t begin, int64_t end)
{
    const pool_ctx *c = vc;
    const tsh_tensor *xt = c->a->in[0], *it = c->a->out2;
    size_t es = tsh_dtype_size(xt->dtype);
    /* (the data pointers once per range: LeNet's second pooling spends only
     * ~15 ns a plane) */
    const char *x0 = tsh_data(xt);
    char *y0 = tsh_data(c->a->out);
    int64_t *i0 = it ? (int64_t *)tsh_data(it) : NULL;
    if (c->path == MAXPATH_2X2_AVX512) { /* the whole run in one call */
        tsh_pool_dims d = {c->H, c->W, c->OH, c->OW};
        tsh_pool512_max2x2((const float *)x0 + begin * c->H * c->W, &d, end - begin,
                           (float *)y0 + begin * c->OH * c->OW, i0 ? i0 + begin * c->OH * c->OW : NULL);
        return;
    }
    for (int64_t p = begin; p < end; p++) {
        const char *xp = x0 + (size_t)(p * c->H * c->W) * es;
        char *yp = y0 + (size_t)(p * c->OH * c->OW) * es;
        int64_t *ix = i0 ? i0 + p * c->OH * c->OW : NULL;
        if (xt->dtype == TSH_F32) MAX_PLANE(float);
        else MAX_PLANE(double);
    }
}

static int64_t avx512_calls;

int64_t tsh_pool512_calls(void) { return tsh_pool512_ok() ? avx512_calls : -1; }

/* The 2x2 loops take windows that tile the input from its corner, 2x2
 * apart, with at most a last row or column left over (ceil_mode's partial
 * windows take the general loop). The AVX-512 ones compute positions in
 * 32-bit lanes, so a plane's must fit with room to spare. */
static max_path max_path_of(const pool_ctx *c, tsh_dtype dt)
{
    if (c->kh != 2 || c->kw != 2 || c->sh != 2 || c->sw != 2 || c->ph || c->pw || c->dh != 1 || c->dw != 1 ||
        2 * c->OH > c->H || 2 * c->OW > c->W || c->W > INT32_MAX)
        return MAXPATH_GENERAL;
    if (dt != TSH_F32 || c->H * c->W >= ((int64_t)1 << 30) || tsh_env_off("TENSH_POOL_AVX512") || !tsh_pool512_ok())
        return MAXPATH_2X2;
    avx512_calls++;
    return MAXPATH_2X2_AVX512;
}

static tsh_status cpu_max_pool(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    pool_ctx c = pool_of(a, a->in[0], a->out);
    c.path = max_path_of(&c, a->in[0]->dtype);
    int64_t planes = a->out->shape[0] * a->out->shape[1];
    return tsh_parallel_for(planes, plane_grain(planes, c.OH * c.OW * c.kh * c.kw), max_range, &c);
}

/* The AVX-512 2x2 backward writes the windows' rows and columns; this
 * zeroes the rest of a plane (an odd H's last row, an odd W's last column). */
static void zero_uncovered(const pool_ctx *c, float *dx)
{
    for (int64_t h = 0; c->W > 2 * c->OW && h < 2 * c->OH; h++)
        memset(dx + h * c->W + 2 * c->OW, 0, sizeof(float) * (size_t)(c->W - 2 * c->OW));
    if (c->H > 2 * c->OH) memset(dx + 2 * c->OH * c->W, 0, sizeof(float) * (size_t)((c->H - 2 * c->OH) * c->W));
}

/* The AVX-512 2x2 backward of the planes [begin, end); false if an index
 * was not in its window. (Other CPUs and float64 keep the general loop: a
 * portable window-by-window write was several times slower than its
 * zeroing and scatter on LeNet's shapes, its selects compiled to branches
 * on where each maximum was.) */
static bool max2x2_bwd(const pool_ctx *c, float *dx, const float *dy, const int64_t *ix, int64_t begin, int64_t end)
{
    int64_t in = c->H * c->W, out = c->OH * c->OW;
    tsh_pool_dims d = {c->H, c->W, c->OH, c->OW};
    if (!tsh_pool512_max2x2_bwd(dx + begin * in, &d, end - begin, dy + begin * out, ix + begin * out)) return false;
    if (c->H > 2 * c->OH || c->W > 2 * c->OW)
        for (int64_t p = begin; p < end; p++) zero_uncovered(c, dx + p * in);
    return true;
}

#define MAX_BWD_PLANE(T)                                                          \
    do {                                                                          \
        T *dx = (T *)dxp;                                                         \
        const T *dy = (const T *)dyp;                                             \
        memset(dx, 0, sizeof(T) * (size_t)(c->H * c->W));                         \
        for (int64_t k = 0; k < c->OH * c->OW; k++) dx[ix[k] - 1] += dy[k];       \
    } while (0)

static void max_bwd_range(void *vc, int64_t begin, int64_t end)
{
    const pool_ctx *c = vc;
    tsh_dtype dt = c->a->out->dtype;
    size_t es = tsh_dtype_size(dt);
    char *dx0 = tsh_data(c->a->out);
    const char *dy0 = tsh_data(c->a->in[0]);
    const int64_t *i0 = (const int64_t *)tsh_data(c->a->in[1]);
    if (c->path == MAXPATH_2X2_AVX512 && max2x2_bwd(c, (float *)dx0, (const float *)dy0, i0, begin, end)) return;
    for (int64_t p = begin; p < end; p++) {
        char *dxp = dx0 + (size_t)(p * c->H * c->W) * es;
        const char *dyp = dy0 + (size_t)(p * c->OH * c->OW) * es;
        const int64_t *ix = i0 + p * c->OH * c->OW;
        if (dt == TSH_F32) MAX_BWD_PLANE(float);
        else MAX_BWD_PLANE(double);
    }
}

static tsh_status cpu_max_pool_bwd(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    pool_ctx c = pool_of(a, a->out, a->in[0]);
    c.path = max_path_of(&c, a->out->dtype);
    int64_t planes = a->out->shape[0] * a->out->shape[1];
    return tsh_parallel_for(planes, plane_grain(planes, c.H * c.W + c.OH * c.OW), max_bwd_range, &c);
}

/* ---- average ---- */

/* One window: its rows [*h0, *h1) and columns [*w0, *w1) inside the input,
 * and torch's divisor (see ref/nn.c). */
static double avg_window(const pool_ctx *c, int64_t oh, int64_t ow, int64_t *h0, int64_t *h1, int64_t *w0,
                         int64_t *w1)
{
    int64_t hs = oh * c->sh - c->ph, ws = ow * c->sw - c->pw;
    int64_t he = hs + c->kh < c->H + c->ph ? hs + c->kh : c->H + c->ph;
    int64_t we = ws + c->kw < c->W + c->pw ? ws + c->kw : c->W + c->pw;
    int64_t padded = (he - hs) * (we - ws);
    *h0 = hs > 0 ? hs : 0, *w0 = ws > 0 ? ws : 0;
    *h1 = he < c->H ? he : c->H, *w1 = we < c->W ? we : c->W;
    return (double)(c->include_pad ? padded : (*h1 - *h0) * (*w1 - *w0));
}

/* The adaptive window of output oh: [floor(oh*H/OH), ceil((oh+1)*H/OH)). */
static double adaptive_window(const pool_ctx *c, int64_t oh, int64_t ow, int64_t *h0, int64_t *h1, int64_t *w0,
                              int64_t *w1)
{
    *h0 = oh * c->H / c->OH, *h1 = ((oh + 1) * c->H + c->OH - 1) / c->OH;
    *w0 = ow * c->W / c->OW, *w1 = ((ow + 1) * c->W + c->OW - 1) / c->OW;
    return (double)((*h1 - *h0) * (*w1 - *w0));
}

typedef double (*window_fn)(const pool_ctx *, int64_t, int64_t, int64_t *, int64_t *, int64_t *, int64_t *);

typedef struct {
    pool_ctx p;
    window_fn win;
    bool bwd;
    bool rows; /* a forward whose windows are whole rows (avg_rows_plane) */
} avg_ctx;

/* Forward sums each window (in T, as torch; a window row of 16 or more in
 * vector lanes: adaptive_avg_pool2d to 1x1 of (64, 32, 32, 32) took 1.20
 * ms at 1 thread with one chain of adds, 0.34 so, torch 0.31) and divides;
 * backward zeroes the plane and spreads dy / divisor over each window. */
#define AVG_PLANE(T, ROW_SUM)                                                              \
    do {                                                                                   \
        T *x = (T *)xp, *y = (T *)yp;                                                      \
        if (c->bwd) memset(x, 0, sizeof(T) * (size_t)(p->H * p->W));                       \
        for (int64_t oh = 0; oh < p->OH; oh++)                                             \
            for (int64_t ow = 0; ow < p->OW; ow++) {                                       \
                int64_t h0, h1, w0, w1;                                                    \
                T div = (T)c->win(p, oh, ow, &h0, &h1, &w0, &w1);                          \
                if (c->bwd) {                                                              \
                    T g = y[oh * p->OW + ow] / div;                                        \
                    for (int64_t ih = h0; ih < h1; ih++)                                   \
                        for (int64_t iw = w0; iw < w1; iw++) x[ih * p->W + iw] += g;       \
                } else {                                                                   \
                    T s = 0;                                                               \
                    for (int64_t ih = h0; ih < h1; ih++) ROW_SUM;                          \
                    y[oh * p->OW + ow] = s / div;                                          \
                }                                                                          \
            }                                                                              \
    } while (0)

/* The sum of window row ih into s: a plain loop for narrow windows, in
 * vector lanes for rows of 16 or more (decided per call, not per window:
 * a test per row made 2x2 pooling 28% slower). */
#define NARROW_SUM(T)                                                                      \
    do {                                                                                   \
        for (int64_t iw = w0; iw < w1; iw++) s += x[ih * p->W + iw];                       \
    } while (0)
#define WIDE_SUM(T)                                                                        \
    do {                                                                                   \
        const T *r_ = x + ih * p->W;                                                       \
        _Pragma("omp simd reduction(+:s)") for (int64_t iw = w0; iw < w1; iw++) s += r_[iw]; \
    } while (0)

/* Adaptive pooling to one column: each window is whole rows, one run of
 * the plane, summed in double lanes by the reductions' row sum. To 1x1 of
 * (64, 32, 32, 32) float32 at 1 thread, WIDE_SUM's float lanes, folded at
 * each 32-float row, took 0.33-0.38 ms (torch 0.32). */
static void avg_rows_plane(const avg_ctx *c, tsh_dtype dt, const char *xp, char *yp)
{
    const pool_ctx *p = &c->p;
    size_t es = tsh_dtype_size(dt);
    for (int64_t oh = 0; oh < p->OH; oh++) {
        int64_t h0, h1, w0, w1;
        double div = c->win(p, oh, 0, &h0, &h1, &w0, &w1);
        double s = tsh_cpu_row_msum(dt, xp + (size_t)(h0 * p->W) * es, (h1 - h0) * p->W, MAP_ID, 0, 0);
        if (dt == TSH_F32) ((float *)yp)[oh] = (float)(s / div);
        else ((double *)yp)[oh] = s / div;
    }
}

static void avg_range(void *vc, int64_t begin, int64_t end)
{
    const avg_ctx *c = vc;
    const pool_ctx *p = &c->p;
    const tsh_tensor *xt = c->bwd ? p->a->out : p->a->in[0], *yt = c->bwd ? p->a->in[0] : p->a->out;
    size_t es = tsh_dtype_size(xt->dtype);
    for (int64_t q = begin; q < end; q++) {
        char *xp = tsh_data(xt) + (size_t)(q * p->H * p->W) * es;
        char *yp = tsh_data(yt) + (size_t)(q * p->OH * p->OW) * es;
        if (c->rows) {
            avg_rows_plane(c, xt->dtype, xp, yp);
        } else if (p->kw < 16) {
            if (xt->dtype == TSH_F32) AVG_PLANE(float, NARROW_SUM(float));
            else AVG_PLANE(double, NARROW_SUM(double));
        } else {
            if (xt->dtype == TSH_F32) AVG_PLANE(float, WIDE_SUM(float));
            else AVG_PLANE(double, WIDE_SUM(double));
        }
    }
}

static tsh_status cpu_avg_pool(tsh_op op, const tsh_kargs *a)
{
    bool bwd = op == TSH_OP_AVG_POOL2D_BWD || op == TSH_OP_ADAPTIVE_AVG_POOL2D_BWD;
    bool adaptive = op == TSH_OP_ADAPTIVE_AVG_POOL2D || op == TSH_OP_ADAPTIVE_AVG_POOL2D_BWD;
    const tsh_tensor *x = bwd ? a->out : a->in[0], *y = bwd ? a->in[0] : a->out;
    avg_ctx c = {pool_of(a, x, y), adaptive ? adaptive_window : avg_window, bwd, adaptive && !bwd && y->shape[3] == 1};
    if (adaptive) { /* windows up to ceil(H/OH) + 1 rows */
        c.p.kh = c.p.H / c.p.OH + 2;
        c.p.kw = c.p.W / c.p.OW + 2;
    }
    int64_t planes = y->shape[0] * y->shape[1];
    return tsh_parallel_for(planes, plane_grain(planes, c.p.OH * c.p.OW * c.p.kh * c.p.kw + c.p.H * c.p.W), avg_range,
                            &c);
}

void tsh_cpu_register_nn_pool(tsh_kernel_fn *k)
{
    k[TSH_OP_MAX_POOL2D] = cpu_max_pool;
    k[TSH_OP_MAX_POOL2D_BWD] = cpu_max_pool_bwd;
    k[TSH_OP_AVG_POOL2D] = cpu_avg_pool;
    k[TSH_OP_AVG_POOL2D_BWD] = cpu_avg_pool;
    k[TSH_OP_ADAPTIVE_AVG_POOL2D] = cpu_avg_pool;
    k[TSH_OP_ADAPTIVE_AVG_POOL2D_BWD] = cpu_avg_pool;
}
