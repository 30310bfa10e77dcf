/* cpu/nn_direct.c: direct float32 convolution (forward and weight gradient)
 * for stride-1 layers with few input channels and rows of 12 to 32 outputs:
 * a network's first layer, such as LeNet's 1 -> 6 5x5 on 28x28. oneDNN pads
 * the 6 output channels to 16 vector lanes there and runs at a third of its
 * speed; here the lanes run along the output row instead (two AVX-512
 * vectors), eight output channels at a time in registers, over a
 * zero-padded copy of each input plane. AVX-512 machines only (checked at
 * run time); everything else, and every other shape, goes to oneDNN or
 * im2col (nn_conv.c). Weight-gradient partials are summed per chunk in a
 * fixed order, so results do not depend on scheduling. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "iter.h"
#include "nn.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)

#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512vl,fma")))
#define OCB 8    /* output channels per register block */
#define LANES 16 /* floats per vector */

typedef float v16 __attribute__((vector_size(64)));

typedef struct {
    const tsh_kargs *a;
    const float *x, *dy, *bias;
    float *y;
    int64_t N, C, H, W, O, KH, KW, OH, OW, ph, pw, G, cin_g, cout_g, K, Hp, Wp, nblk;
    int nv;          /* vectors per output row: 1 or 2 */
    float *wpack;    /* forward: [g][block][k][OCB], zero past cout_g */
    float *partials; /* weight gradient: (O*K + O) per chunk */
    int64_t grain;
    int failed;
} dctx;

static void fail_chunk(dctx *c)
{
#pragma omp atomic write
    c->failed = 1;
}

static inline TARGET v16 load16(const float *p)
{
    v16 v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* dst[0, n) = src[0, n) for a short row, in masked vector moves: memcpy's
 * call costs more than the copy at these widths (10k rows a batch). */
static inline TARGET void copy_row(float *dst, const float *src, int64_t n)
{
    for (int64_t k = 0; k < n; k += LANES) {
        __mmask16 m = n - k >= LANES ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - k)) - 1);
        _mm512_mask_storeu_ps(dst + k, m, _mm512_maskz_loadu_ps(m, src + k));
    }
}

/* The planes of image n, group grp, zero-padded, with 2*LANES floats of
 * slack on each row's right so that full-vector loads stay inside. */
TARGET static void pad_planes(const dctx *c, int64_t n, int64_t grp, float *xp)
{
    memset(xp, 0, sizeof(float) * (size_t)(c->cin_g * c->Hp * c->Wp));
    for (int64_t ic = 0; ic < c->cin_g; ic++) {
        const float *src = c->x + ((n * c->C + grp * c->cin_g + ic) * c->H) * c->W;
        for (int64_t h = 0; h < c->H; h++)
            copy_row(xp + (ic * c->Hp + h + c->ph) * c->Wp + c->pw, src + h * c->W, c->W);
    }
}

/* One output row of OB channels (OB <= OCB, the rest of the block's
 * weights unused): acc[o][v] = bias + sum over (ic, kh, kw) of w[o][k] *
 * xp[ic][oh + kh][kw + LANES*v ...]. NV and OB are constants at each call,
 * so the accumulators live in registers and no lane works for a channel
 * that is not there (LeNet's 6). */
static inline __attribute__((always_inline)) TARGET void fwd_row(const dctx *c, const float *xp, const float *wb,
                                                                const float *bias8, int64_t oh, float *out,
                                                                int64_t no, const int NV, const int OB)
{
    v16 acc[OCB][2];
    _Pragma("GCC unroll 8")
    for (int o = 0; o < OB; o++)
        _Pragma("GCC unroll 2")
        for (int v = 0; v < NV; v++) acc[o][v] = (v16){0} + bias8[o];
    int64_t k = 0;
    for (int64_t ic = 0; ic < c->cin_g; ic++)
        for (int64_t kh = 0; kh < c->KH; kh++) {
            const float *xr = xp + (ic * c->Hp + oh + kh) * c->Wp;
            for (int64_t kw = 0; kw < c->KW; kw++, k++) {
                v16 xv[2];
                _Pragma("GCC unroll 2")
                for (int v = 0; v < NV; v++) xv[v] = load16(xr + kw + LANES * v);
                const float *wk = wb + k * OCB;
                _Pragma("GCC unroll 8")
                for (int o = 0; o < OB; o++)
                    _Pragma("GCC unroll 2")
                    for (int v = 0; v < NV; v++) acc[o][v] += wk[o] * xv[v];
            }
        }
    /* straight into y: OW lanes of each of the no channels (planes OH*OW apart) */
    __mmask16 last = (__mmask16)((1u << (c->OW - LANES * (NV - 1))) - 1);
    _Pragma("GCC unroll 8")
    for (int o = 0; o < OB; o++) {
        if (o >= no) break;
        float *r = out + o * c->OH * c->OW;
        if (NV == 2) _mm512_storeu_ps(r, (__m512)acc[o][0]);
        _mm512_mask_storeu_ps(r + LANES * (NV - 1), last, (__m512)acc[o][NV - 1]);
    }
}

/* fwd_row for a block of no channels: 6 (LeNet's, and 3 times 2) or 4 as
 * such, anything else as the whole block of OCB. */
static TARGET void fwd_rows(const dctx *c, const float *xp, const float *wb, const float *bias8, float *y,
                            int64_t no)
{
    for (int64_t oh = 0; oh < c->OH; oh++) {
        float *out = y + oh * c->OW;
        if (c->nv == 1 && no == 6) fwd_row(c, xp, wb, bias8, oh, out, no, 1, 6);
        else if (no == 6) fwd_row(c, xp, wb, bias8, oh, out, no, 2, 6);
        else if (c->nv == 1 && no <= 4) fwd_row(c, xp, wb, bias8, oh, out, no, 1, 4);
        else if (no <= 4) fwd_row(c, xp, wb, bias8, oh, out, no, 2, 4);
        else if (c->nv == 1) fwd_row(c, xp, wb, bias8, oh, out, no, 1, OCB);
        else fwd_row(c, xp, wb, bias8, oh, out, no, 2, OCB);
    }
}

TARGET static void fwd_range(void *vc, int64_t begin, int64_t end)
{
    dctx *c = vc;
    float *xp = malloc(sizeof(float) * (size_t)(c->cin_g * c->Hp * c->Wp));
    if (!xp) {
        fail_chunk(c);
        return;
    }
    for (int64_t n = begin; n < end && !tsh_interrupt_flag; n++)
        for (int64_t g = 0; g < c->G; g++) {
            pad_planes(c, n, g, xp);
            for (int64_t b = 0; b < c->nblk; b++) {
                const float *wb = c->wpack + (g * c->nblk + b) * c->K * OCB;
                int64_t o0 = g * c->cout_g + b * OCB, no = c->cout_g - b * OCB < OCB ? c->cout_g - b * OCB : OCB;
                float bias8[OCB] = {0};
                for (int64_t o = 0; o < no && c->bias; o++) bias8[o] = c->bias[o0 + o];
                fwd_rows(c, xp, wb, bias8, c->y + (n * c->O + o0) * c->OH * c->OW, no);
            }
        }
    free(xp);
}

static inline TARGET float hsum(v16 v)
{
    float s = 0;
    for (int i = 0; i < LANES; i++) s += v[i];
    return s;
}

/* dwv[o][k] += the lanes of sum over oh of dy[o][oh][:] * xp[ic][oh + kh][kw:],
 * the rows of dy copied into a zero-padded block first (dyb[o][oh][2*LANES])
 * so that the lanes past OW add nothing; the lanes are summed once per chunk. */
static inline __attribute__((always_inline)) TARGET void bwd_block(const dctx *c, const float *xp, const float *dyb,
                                                                  v16 *dwv, const int NV)
{
    int64_t k = 0;
    for (int64_t ic = 0; ic < c->cin_g; ic++)
        for (int64_t kh = 0; kh < c->KH; kh++)
            for (int64_t kw = 0; kw < c->KW; kw++, k++) {
                v16 acc[OCB][2];
                _Pragma("GCC unroll 8")
                for (int o = 0; o < OCB; o++)
                    _Pragma("GCC unroll 2")
                    for (int v = 0; v < NV; v++) acc[o][v] = (v16){0};
                for (int64_t oh = 0; oh < c->OH; oh++) {
                    const float *xr = xp + (ic * c->Hp + oh + kh) * c->Wp + kw;
                    v16 xv[2];
                    _Pragma("GCC unroll 2")
                    for (int v = 0; v < NV; v++) xv[v] = load16(xr + LANES * v);
                    _Pragma("GCC unroll 8")
                    for (int o = 0; o < OCB; o++)
                        _Pragma("GCC unroll 2")
                        for (int v = 0; v < NV; v++)
                            acc[o][v] += load16(dyb + (o * c->OH + oh) * LANES * 2 + LANES * v) * xv[v];
                }
                _Pragma("GCC unroll 8")
                for (int o = 0; o < OCB; o++) dwv[o * c->K + k] += NV == 2 ? acc[o][0] + acc[o][1] : acc[o][0];
            }
}

/* The same sums for a kernel row width KWC known at compile time, OB output
 * channels at a time: a row of dy (in registers) meets the KWC shifted rows
 * of x, so each load feeds OB or KWC multiply-adds instead of one (about 3x
 * faster than bwd_block on LeNet's first layer). Lanes of both vectors of a
 * row add into one accumulator; they are summed per chunk anyway. Channels
 * at or past no are zero rows of dyb and are not stored. */
#define BWD_ROWS(OB, KWC, NV)                                                                              \
    static TARGET void bwd_rows_##OB##_##KWC##_##NV(const dctx *c, const float *xp, const float *dyb, v16 *dwv, \
                                                    int64_t no)                                               \
    {                                                                                                      \
        for (int64_t o0 = 0; o0 < no; o0 += OB)                                                            \
            for (int64_t ic = 0; ic < c->cin_g; ic++)                                                      \
                for (int64_t kh = 0; kh < c->KH; kh++) {                                                   \
                    v16 acc[OB][KWC];                                                                      \
                    _Pragma("GCC unroll 8") for (int o = 0; o < OB; o++)                                   \
                        _Pragma("GCC unroll 8") for (int kw = 0; kw < KWC; kw++) acc[o][kw] = (v16){0};    \
                    for (int64_t oh = 0; oh < c->OH; oh++) {                                               \
                        const float *xr = xp + (ic * c->Hp + oh + kh) * c->Wp;                             \
                        const float *dr = dyb + (o0 * c->OH + oh) * LANES * 2;                             \
                        _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++) {                             \
                            v16 d[OB];                                                                     \
                            _Pragma("GCC unroll 8") for (int o = 0; o < OB; o++)                           \
                                d[o] = load16(dr + o * c->OH * LANES * 2 + LANES * v);                     \
                            _Pragma("GCC unroll 8") for (int kw = 0; kw < KWC; kw++) {                     \
                                v16 xv = load16(xr + kw + LANES * v);                                      \
                                __asm__("" : "+v"(xv)); /* one (line-splitting) load, not OB */           \
                                _Pragma("GCC unroll 8") for (int o = 0; o < OB; o++) acc[o][kw] += d[o] * xv; \
                            }                                                                              \
                        }                                                                                  \
                    }                                                                                      \
                    v16 *dst = dwv + o0 * c->K + (ic * c->KH + kh) * KWC;                                  \
                    _Pragma("GCC unroll 8") for (int o = 0; o < OB; o++)                                   \
                        if (o0 + o < no)                                                                   \
                            _Pragma("GCC unroll 8") for (int kw = 0; kw < KWC; kw++)                       \
                                dst[o * c->K + kw] += acc[o][kw];                                          \
                }                                                                                          \
    }
BWD_ROWS(6, 3, 1)
BWD_ROWS(6, 3, 2)
BWD_ROWS(3, 5, 1)
BWD_ROWS(3, 5, 2)
BWD_ROWS(3, 7, 1)
BWD_ROWS(3, 7, 2)

/* bwd_rows for the common widths, bwd_block for the rest. */
static TARGET void bwd_dispatch(const dctx *c, const float *xp, const float *dyb, v16 *dwv, int64_t no)
{
    if (c->KW == 3 && c->nv == 1) bwd_rows_6_3_1(c, xp, dyb, dwv, no);
    else if (c->KW == 3) bwd_rows_6_3_2(c, xp, dyb, dwv, no);
    else if (c->KW == 5 && c->nv == 1) bwd_rows_3_5_1(c, xp, dyb, dwv, no);
    else if (c->KW == 5) bwd_rows_3_5_2(c, xp, dyb, dwv, no);
    else if (c->KW == 7 && c->nv == 1) bwd_rows_3_7_1(c, xp, dyb, dwv, no);
    else if (c->KW == 7) bwd_rows_3_7_2(c, xp, dyb, dwv, no);
    else if (c->nv == 1) bwd_block(c, xp, dyb, dwv, 1);
    else bwd_block(c, xp, dyb, dwv, 2);
}

TARGET static void bwd_range(void *vc, int64_t begin, int64_t end)
{
    dctx *c = vc;
    float *part = c->partials + (begin / c->grain) * (c->O * c->K + c->O);
    float *xp = malloc(sizeof(float) * (size_t)(c->cin_g * c->Hp * c->Wp));
    float *dyb = calloc((size_t)(2 * OCB * c->OH * LANES * 2), sizeof(float)); /* rows past OCB stay 0 */
    /* vector partials of this chunk: dw [block][o][k] and dbias [block][o] */
    v16 *dwv = aligned_alloc(64, sizeof(v16) * (size_t)(c->G * c->nblk * OCB * (c->K + 1)));
    if (!xp || !dyb || !dwv) {
        free(xp);
        free(dyb);
        free(dwv);
        fail_chunk(c);
        return;
    }
    memset(dwv, 0, sizeof(v16) * (size_t)(c->G * c->nblk * OCB * (c->K + 1)));
    for (int64_t n = begin; n < end && !tsh_interrupt_flag; n++)
        for (int64_t g = 0; g < c->G; g++) {
            pad_planes(c, n, g, xp);
            for (int64_t b = 0; b < c->nblk; b++) {
                int64_t o0 = g * c->cout_g + b * OCB, no = c->cout_g - b * OCB < OCB ? c->cout_g - b * OCB : OCB;
                v16 *blk = dwv + (g * c->nblk + b) * OCB * (c->K + 1), *bias = blk + OCB * c->K;
                /* lanes past OW stay zero from calloc; rows past no are
                 * stale or zero, and no result of theirs is read */
                for (int64_t o = 0; o < no; o++)
                    for (int64_t oh = 0; oh < c->OH; oh++)
                        copy_row(dyb + (o * c->OH + oh) * LANES * 2, c->dy + ((n * c->O + o0 + o) * c->OH + oh) * c->OW,
                                 c->OW);
                /* read back only once all rows are written: a vector load of
                 * a row just stored in pieces would stall on forwarding */
                for (int64_t o = 0; o < no; o++)
                    for (int64_t oh = 0; oh < c->OH; oh++) {
                        const float *d = dyb + (o * c->OH + oh) * LANES * 2;
                        bias[o] += load16(d) + load16(d + LANES);
                    }
                bwd_dispatch(c, xp, dyb, blk, no);
            }
        }
    for (int64_t g = 0; g < c->G; g++)
        for (int64_t b = 0; b < c->nblk; b++) {
            int64_t o0 = g * c->cout_g + b * OCB, no = c->cout_g - b * OCB < OCB ? c->cout_g - b * OCB : OCB;
            const v16 *blk = dwv + (g * c->nblk + b) * OCB * (c->K + 1);
            for (int64_t o = 0; o < no; o++) {
                for (int64_t k = 0; k < c->K; k++) part[(o0 + o) * c->K + k] = hsum(blk[o * c->K + k]);
                part[c->O * c->K + o0 + o] = hsum(blk[OCB * c->K + o]);
            }
        }
    free(xp);
    free(dyb);
    free(dwv);
}

static int cpu_ok = -1;
static int64_t calls;

int64_t tsh_direct_conv_calls(void) { return cpu_ok == 1 ? calls : cpu_ok == 0 ? -1 : 0; }

static bool direct_ok(tsh_op op, const tsh_kargs *a)
{
    if (op == TSH_OP_CONV2D_BWD_DATA || a->out->dtype != TSH_F32) return false;
    if (tsh_env_off("TENSH_CONV_DIRECT")) return false;
    if (cpu_ok < 0) cpu_ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") ? 1 : 0;
    const tsh_tensor *w = op == TSH_OP_CONV2D ? a->in[1] : a->out, *y = op == TSH_OP_CONV2D ? a->out : a->in[0];
    int64_t ow = y->shape[3], k = w->shape[1] * w->shape[2] * w->shape[3];
    return cpu_ok && a->i[0] == tsh_hw_pack(1, 1) && a->i[2] == tsh_hw_pack(1, 1) && ow >= 12 && ow <= 2 * LANES &&
           k <= 75;
}

tsh_status tsh_direct_conv(tsh_op op, const tsh_kargs *a)
{
    if (!direct_ok(op, a)) return TSH_ERR_NOTIMPL;
    bool fwd = op == TSH_OP_CONV2D;
    const tsh_tensor *x = fwd ? a->in[0] : a->in[1], *w = fwd ? a->in[1] : a->out, *y = fwd ? a->out : a->in[0];
    dctx c = {.a = a, .x = (const float *)tsh_data(x)};
    c.N = x->shape[0], c.C = x->shape[1], c.H = x->shape[2], c.W = x->shape[3];
    c.O = w->shape[0], c.KH = w->shape[2], c.KW = w->shape[3], c.OH = y->shape[2], c.OW = y->shape[3];
    c.ph = tsh_hw_h(a->i[1]), c.pw = tsh_hw_w(a->i[1]), c.G = a->i[3];
    c.cin_g = w->shape[1], c.cout_g = c.O / c.G, c.K = c.cin_g * c.KH * c.KW;
    c.Hp = c.H + 2 * c.ph, c.Wp = c.W + 2 * c.pw + 2 * LANES;
    c.nblk = (c.cout_g + OCB - 1) / OCB;
    c.nv = c.OW > LANES ? 2 : 1;
    int nt = omp_get_max_threads();
    c.grain = c.N <= 1 || nt <= 1 ? (c.N > 0 ? c.N : 1) : (c.N + nt - 1) / nt;
    int64_t nchunk = c.N > 0 ? (c.N + c.grain - 1) / c.grain : 0;
    tsh_status st = TSH_OK;
    if (fwd) {
        c.y = (float *)tsh_data(y);
        c.bias = a->in[2] ? (const float *)tsh_data(a->in[2]) : NULL;
        c.wpack = calloc((size_t)(c.G * c.nblk * c.K * OCB), sizeof(float));
        if (!c.wpack) return tsh_fail(TSH_ERR_OOM, "conv2d: out of memory");
        const float *wt = (const float *)tsh_data(w);
        for (int64_t o = 0; o < c.O; o++) {
            int64_t g = o / c.cout_g, b = (o % c.cout_g) / OCB, j = (o % c.cout_g) % OCB;
            for (int64_t k = 0; k < c.K; k++) c.wpack[((g * c.nblk + b) * c.K + k) * OCB + j] = wt[o * c.K + k];
        }
        st = tsh_parallel_for(c.N, c.grain, fwd_range, &c);
        free(c.wpack);
    } else {
        c.dy = (const float *)tsh_data(y);
        int64_t len = c.O * c.K + c.O;
        c.partials = calloc((size_t)((nchunk > 0 ? nchunk : 1) * len), sizeof(float));
        if (!c.partials) return tsh_fail(TSH_ERR_OOM, "conv2d: out of memory for the weight gradient");
        st = tsh_parallel_for(c.N, c.grain, bwd_range, &c);
        /* partials summed in chunk order: the same result whatever the schedule */
        for (int64_t j = 0; st == TSH_OK && j < len; j++) {
            double s = 0;
            for (int64_t q = 0; q < nchunk; q++) s += c.partials[q * len + j];
            if (j < c.O * c.K) ((float *)tsh_data(a->out))[j] = (float)s;
            else if (a->out2) ((float *)tsh_data(a->out2))[j - c.O * c.K] = (float)s;
        }
        free(c.partials);
    }
    if (st == TSH_OK && c.failed) st = tsh_fail(TSH_ERR_OOM, "conv2d: out of memory for a padded input");
    if (st == TSH_OK) calls++;
    return st;
}

#else

int64_t tsh_direct_conv_calls(void) { return -1; }

tsh_status tsh_direct_conv(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    (void)a;
    return TSH_ERR_NOTIMPL;
}

#endif
