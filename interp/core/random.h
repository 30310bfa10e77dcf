/* random.h: the random number generator: Philox 4x32-10 (Salmon et al.,
 * "Parallel random numbers: as easy as 1, 2, 3", SC 2011), the map from an
 * element of a draw to its Philox counter, and the transforms from random
 * bits to values. Header-only and free of globals, so that the reference
 * kernels, the fast kernels and (later) a CUDA kernel share one definition
 * and produce the same bits. The generator's state lives in random.c.
 *
 * The state is a 64-bit seed, used as the Philox key (k0 = low word, k1 =
 * high word), and a 64-bit offset counting 128-bit Philox blocks already
 * handed out. A draw of n elements reserves tsh_rand_blocks() blocks from
 * the offset; block b of the draw is Philox(counter = {lo32(base + b),
 * hi32(base + b), 0, 0}, key). Element k of the draw (row-major order over
 * the output) always takes the same bits of the same block, whatever the
 * thread count or chunking:
 *
 *   32-bit layout (4 elements a block): element k is word k%4 of block k/4.
 *   64-bit layout (2 a block): element k is words 2(k%2) (low half) and
 *                              2(k%2)+1 (high half) of block k/2.
 *   128-bit layout (1 a block): element k is block k, words 0..3 from the
 *                               least significant.
 *
 * Which op uses which layout (tsh_rand_per_block):
 *   RAND_UNIFORM float32: 32-bit, u = (x >> (32-b)) * 2^-b, b random bits
 *       in [0, 1): b = 24, or the mantissa digits of float16 (11) and
 *       bfloat16 (8) when those are computed in float32, so that u is exact
 *       in them and rand stays below 1 after the cast, as in PyTorch.
 *   RAND_UNIFORM float64: 64-bit, u = (x >> 11) * 2^-53.
 *       A value is lo + (hi - lo) * u in double, rounded to the dtype, and
 *       moved just below hi should the rounding reach it.
 *   RAND_NORMAL (any float dtype): one Box-Muller pair per block: elements
 *       2j and 2j+1 use block j; u1 = 53-bit uniform of words 0-1, u2 of
 *       words 2-3; r = sqrt(-2 log(1 - u1)), z = r cos(2 pi u2) for the even
 *       element and r sin(2 pi u2) for the odd one; value mean + std * z,
 *       all in double, rounded to the dtype once.
 *   RANDINT over a range r = high - low: r <= 2^32: 64-bit layout, value
 *       low + floor(x * r / 2^64); r > 2^32: 128-bit layout, value
 *       low + floor(X * r / 2^128). Multiply-shift, no rejection, so each
 *       element has fixed bits; the relative bias of any value is below
 *       r / 2^64 <= 2^-32 (resp. r / 2^128 <= 2^-64): negligible.
 *   BERNOULLI: 64-bit layout, u = 53-bit uniform, out = (u < p).
 *
 * A CUDA port must compute the double expressions without fused
 * multiply-add (__dmul_rn/__dadd_rn) to stay bit-identical. Uniform, randint
 * and bernoulli use only exact integer and IEEE operations, so they match
 * bit for bit on any device; normal goes through log, sin and cos, which
 * differ by an ulp or a few between implementations: glibc's scalar libm
 * (the reference kernel), its vector libmvec (the fast CPU kernel, whose
 * SSE, AVX2 and AVX-512 forms may differ among themselves) and CUDA's.
 * float32 normals then agree except in rare roundings, float64 ones to a
 * few ulps. On one machine every value is the same for any thread count. */
#ifndef TSH_RANDOM_H
#define TSH_RANDOM_H

#include <math.h>
#include <stdint.h>

#include "ops.h"

#define TSH_PHILOX_M0 0xD2511F53u
#define TSH_PHILOX_M1 0xCD9E8D57u
#define TSH_PHILOX_W0 0x9E3779B9u /* golden ratio */
#define TSH_PHILOX_W1 0xBB67AE85u /* sqrt(3) - 1 */

/* Philox 4x32 with 10 rounds: out = bijection of ctr under key. */
static inline void tsh_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int r = 0; r < 10; r++) {
        if (r) {
            k0 += TSH_PHILOX_W0;
            k1 += TSH_PHILOX_W1;
        }
        uint64_t p0 = (uint64_t)TSH_PHILOX_M0 * c0, p1 = (uint64_t)TSH_PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

/* Block `block` of the stream of `seed`. */
static inline void tsh_philox_block(uint64_t seed, uint64_t block, uint32_t out[4])
{
    const uint32_t ctr[4] = {(uint32_t)block, (uint32_t)(block >> 32), 0, 0};
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    tsh_philox4x32_10(ctr, key, out);
}

/* tsh_philox_block in the form a loop over blocks vectorises (the fast CPU
 * kernels call it one lane per block): the 32-bit words are held in 64-bit
 * lanes, so that each product is one 32x32->64 multiply (pmuludq) rather
 * than a 64-bit one. Words 0-1 and 2-3 come back as two 64-bit values. */
typedef struct { uint64_t w01, w23; } tsh_philox_words;
static inline __attribute__((always_inline)) tsh_philox_words tsh_philox_lane(uint64_t seed, uint64_t block)
{
    const uint64_t lo = 0xffffffffu;
    uint64_t c0 = block & lo, c1 = block >> 32, c2 = 0, c3 = 0;
    uint64_t k0 = seed & lo, k1 = seed >> 32;
    for (int r = 0; r < 10; r++) {
        uint64_t p0 = (c0 & lo) * TSH_PHILOX_M0, p1 = (c2 & lo) * TSH_PHILOX_M1;
        uint64_t n0 = (p1 >> 32) ^ c1 ^ k0, n2 = (p0 >> 32) ^ c3 ^ k1;
        c1 = p1 & lo;
        c3 = p0 & lo;
        c0 = n0 & lo;
        c2 = n2 & lo;
        k0 = (k0 + TSH_PHILOX_W0) & lo;
        k1 = (k1 + TSH_PHILOX_W1) & lo;
    }
    return (tsh_philox_words){c0 | c1 << 32, c2 | c3 << 32};
}

/* Elements of a draw one block serves (see the table above); `range` is
 * RANDINT's high - low taken as unsigned (0 stands for 2^64). */
static inline int tsh_rand_per_block(tsh_op op, tsh_dtype dt, uint64_t range)
{
    switch (op) {
    case TSH_OP_RAND_UNIFORM: return dt == TSH_F64 ? 2 : 4;
    case TSH_OP_RANDINT: return range != 0 && range <= ((uint64_t)1 << 32) ? 2 : 1;
    case TSH_OP_RAND_NORMAL:
    case TSH_OP_BERNOULLI: return 2;
    default: return 1;
    }
}

/* Blocks a draw of n elements consumes: the amount the offset advances. */
static inline uint64_t tsh_rand_blocks(tsh_op op, tsh_dtype dt, uint64_t range, int64_t n)
{
    uint64_t per = (uint64_t)tsh_rand_per_block(op, dt, range);
    return n <= 0 ? 0 : ((uint64_t)n + per - 1) / per;
}

/* ---- element accessors (what the reference kernels use) ---- */

static inline uint32_t tsh_rand_bits32(uint64_t seed, uint64_t base, int64_t k)
{
    uint32_t w[4];
    tsh_philox_block(seed, base + (uint64_t)k / 4, w);
    return w[k % 4];
}

static inline uint64_t tsh_rand_words64(const uint32_t *w) { return (uint64_t)w[0] | (uint64_t)w[1] << 32; }

static inline uint64_t tsh_rand_bits64(uint64_t seed, uint64_t base, int64_t k)
{
    uint32_t w[4];
    tsh_philox_block(seed, base + (uint64_t)k / 2, w);
    return tsh_rand_words64(w + 2 * (k % 2));
}

/* ---- transforms ---- */

/* bits in 1..24 (0 means 24) */
static inline float tsh_rand_unit_f32(uint32_t x, int bits)
{
    if (bits <= 0 || bits > 24) bits = 24;
    return (float)(x >> (32 - bits)) * (1.0f / (float)(1u << bits));
}
static inline double tsh_rand_unit_f64(uint64_t x) { return (double)(x >> 11) * 0x1.0p-53; }

static inline float tsh_rand_uniform_f32(float u, double lo, double hi)
{
    float v = (float)(lo + (hi - lo) * (double)u), top = (float)hi;
    return v >= top && lo < hi ? nextafterf(top, -INFINITY) : v;
}

static inline double tsh_rand_uniform_f64(double u, double lo, double hi)
{
    double v = lo + (hi - lo) * u;
    return v >= hi && lo < hi ? nextafter(hi, -INFINITY) : v;
}

/* The two normals of one block (Box-Muller). */
static inline void tsh_rand_normal_pair(const uint32_t w[4], double *z0, double *z1)
{
    double u1 = tsh_rand_unit_f64(tsh_rand_words64(w)), u2 = tsh_rand_unit_f64(tsh_rand_words64(w + 2));
    double r = sqrt(-2.0 * log(1.0 - u1)), th = 6.283185307179586476925 * u2;
    *z0 = r * cos(th);
    *z1 = r * sin(th);
}

/* floor(x * r / 2^64): x's 64 bits mapped onto [0, r). */
static inline uint64_t tsh_rand_below64(uint64_t x, uint64_t r)
{
    return (uint64_t)(((unsigned __int128)x * r) >> 64);
}

/* floor(X * r / 2^128) for the 128-bit X of a block (r = 0 means 2^64). */
static inline uint64_t tsh_rand_below128(const uint32_t w[4], uint64_t r)
{
    uint64_t lo = tsh_rand_words64(w), hi = tsh_rand_words64(w + 2);
    if (r == 0) return hi;
    unsigned __int128 a = (unsigned __int128)hi * r, b = (unsigned __int128)lo * r;
    return (uint64_t)((a + (b >> 64)) >> 64);
}

#endif
