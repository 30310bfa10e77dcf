/* iter.c: coalescing and chunked parallel iteration for CPU kernels. */
#include "iter.h"

#include <stdlib.h>
#include <string.h>

void tsh_iter_init(tsh_iter *it, int nops, tsh_tensor *const *ts)
{
    memset(it, 0, sizeof *it);
    it->nops = nops;
    const tsh_tensor *o = ts[0];
    it->numel = tsh_numel(o);
    for (int k = 0; k < nops; k++) it->data[k] = tsh_data(ts[k]);
    /* keep dims of size != 1, outermost first */
    int nd = 0;
    for (int d = 0; d < o->ndim; d++) {
        if (o->shape[d] == 1) continue;
        it->shape[nd] = o->shape[d];
        for (int k = 0; k < nops; k++)
            it->stride[k][nd] = ts[k]->stride[d] * (int64_t)tsh_dtype_size(ts[k]->dtype);
        nd++;
    }
    if (nd == 0) { /* scalar or all ones: one element */
        it->shape[0] = o->ndim && it->numel == 0 ? 0 : 1;
        for (int k = 0; k < nops; k++) it->stride[k][0] = (int64_t)tsh_dtype_size(ts[k]->dtype);
        nd = 1;
    }
    /* merge dim d into d+1 when every operand steps through them as one */
    int w = 0;
    for (int d = 1; d < nd; d++) {
        bool ok = true;
        for (int k = 0; k < nops && ok; k++)
            ok = it->stride[k][w] == it->stride[k][d] * it->shape[d];
        if (ok) {
            it->shape[w] *= it->shape[d];
            for (int k = 0; k < nops; k++) it->stride[k][w] = it->stride[k][d];
        } else {
            w++;
            it->shape[w] = it->shape[d];
            for (int k = 0; k < nops; k++) it->stride[k][w] = it->stride[k][d];
        }
    }
    it->ndim = w + 1;
}

static void run_range(const tsh_iter *it, tsh_loop_fn fn, void *ctx, int64_t begin, int64_t end)
{
    int nd = it->ndim, inner = nd - 1;
    int64_t idx[TSH_MAX_DIMS];
    int64_t rem = begin;
    for (int d = nd - 1; d >= 0; d--) {
        idx[d] = rem % it->shape[d];
        rem /= it->shape[d];
    }
    char *ptr[TSH_ITER_MAXOPS];
    int64_t istride[TSH_ITER_MAXOPS];
    for (int k = 0; k < it->nops; k++) istride[k] = it->stride[k][inner];
    int64_t pos = begin;
    while (pos < end) {
        for (int k = 0; k < it->nops; k++) {
            char *p = it->data[k];
            for (int d = 0; d < nd; d++) p += idx[d] * it->stride[k][d];
            ptr[k] = p;
        }
        int64_t n = it->shape[inner] - idx[inner];
        if (n > end - pos) n = end - pos;
        fn(ctx, ptr, istride, n);
        pos += n;
        idx[inner] += n;
        for (int d = inner; d > 0 && idx[d] >= it->shape[d]; d--) {
            idx[d] = 0;
            idx[d - 1]++;
        }
    }
}

typedef struct iter_job {
    const tsh_iter *it;
    tsh_loop_fn fn;
    void *ctx;
} iter_job;

static void iter_chunk(void *p, int64_t begin, int64_t end)
{
    const iter_job *j = p;
    run_range(j->it, j->fn, j->ctx, begin, end);
}

tsh_status tsh_iter_run(const tsh_iter *it, int64_t grain, tsh_loop_fn fn, void *ctx)
{
    if (it->numel == 0) return TSH_OK;
    if (grain <= 0) grain = TSH_GRAIN;
    if (it->numel <= grain && it->ndim == 1) { /* one run: no index arithmetic (tiny ops) */
        char *ptr[TSH_ITER_MAXOPS];
        int64_t stride[TSH_ITER_MAXOPS];
        for (int k = 0; k < it->nops; k++) ptr[k] = it->data[k], stride[k] = it->stride[k][0];
        fn(ctx, ptr, stride, it->numel);
        return TSH_OK;
    }
    iter_job j = {it, fn, ctx};
    return tsh_parallel_for(it->numel, grain, iter_chunk, &j);
}

static inline int64_t chunk_end(int64_t c, int64_t grain, int64_t n)
{
    return (c + 1) * grain < n ? (c + 1) * grain : n;
}

tsh_status tsh_parallel_for(int64_t n, int64_t grain, tsh_range_fn fn, void *ctx)
{
    if (n <= 0) return TSH_OK;
    if (grain <= 0) grain = 1;
    int64_t nchunk = (n + grain - 1) / grain;
    if (nchunk == 1) {
        fn(ctx, 0, n);
        return TSH_OK;
    }
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < nchunk; c++) {
        if (tsh_interrupt_flag) continue;
        fn(ctx, c * grain, chunk_end(c, grain, n));
    }
    return tsh_check_interrupt();
}

void tsh_iter_run_range(const tsh_iter *it, int64_t begin, int64_t end, tsh_loop_fn fn, void *ctx)
{
    if (begin < end) run_range(it, fn, ctx, begin, end);
}

bool tsh_env_off(const char *name)
{
    const char *v = getenv(name);
    return v && strcmp(v, "0") == 0;
}

#define MOVE_LOOP(T)                                                           \
    do {                                                                       \
        for (int64_t i = 0; i < n; i++)                                        \
            *(T *)(d + i * sd) = *(const T *)(x + i * sx);                     \
    } while (0)

void tsh_move_elems(size_t es, char *d, int64_t sd, const char *x, int64_t sx, int64_t n)
{
    if (sd == (int64_t)es && sx == (int64_t)es) {
        if (d != x) memmove(d, x, (size_t)n * es);
        return;
    }
    switch (es) {
    case 1: MOVE_LOOP(uint8_t); break;
    case 2: MOVE_LOOP(uint16_t); break;
    case 4: MOVE_LOOP(uint32_t); break;
    default: MOVE_LOOP(uint64_t); break;
    }
}
