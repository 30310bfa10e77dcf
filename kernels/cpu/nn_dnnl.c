/* cpu/nn_dnnl.c: float32 convolution forward and backwards through oneDNN
 * (and its sgemm, which cpu/linalg.c routes products to)
 * (libdnnl, its OpenMP build, so it shares our thread pool). oneDNN's JIT
 * kernels want blocked layouts (nChw16c and the like): each primitive picks
 * its own, and reorders move the tensors' plain NCHW data in and out. That
 * still beats im2col + GEMM by 2-5x on LeNet's shapes. Primitives, reorders
 * and the blocked buffers are cached per shape (a small LRU), because
 * creating them costs far more than running them. Not here: the fallback
 * (nn_conv.c), which runs whenever this returns TSH_ERR_NOTIMPL. */
#include <stdlib.h>
#include <string.h>

#include "iter.h"
#include "nn.h"

#ifndef TSH_HAVE_DNNL

tsh_status tsh_dnnl_conv(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    (void)a;
    return TSH_ERR_NOTIMPL;
}

int64_t tsh_dnnl_conv_calls(void) { return -1; }

bool tsh_dnnl_sgemm(bool col, bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float *A,
                    int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    (void)col, (void)ta, (void)tb, (void)m, (void)n, (void)k, (void)alpha, (void)A, (void)lda, (void)B, (void)ldb;
    (void)beta, (void)C, (void)ldc;
    return false;
}

#else

#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>

#define MAX_ARGS 5
#define CACHE_SIZE 16
#define KEY_LEN 18

/* One argument of a primitive: the user's plain memory (its handle set to
 * the tensor's data on each call) and, when the primitive wants another
 * layout, its own buffer and the reorder between the two. */
typedef struct {
    int tag;                  /* DNNL_ARG_* */
    bool is_out;
    dnnl_memory_t user, inner;
    dnnl_primitive_t reorder; /* NULL: inner == user */
} dn_arg;

typedef struct {
    int64_t key[KEY_LEN];
    uint64_t stamp; /* last use, for LRU; 0: empty slot */
    dnnl_primitive_t prim;
    int nargs;
    dn_arg args[MAX_ARGS];
} dn_entry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static dnnl_engine_t engine;
static dnnl_stream_t stream;
static int broken; /* the engine could not be made: never try again */
static dn_entry cache[CACHE_SIZE];
static uint64_t clock_;
static int64_t calls;

int64_t tsh_dnnl_conv_calls(void) { return calls; }

static void entry_free(dn_entry *e)
{
    for (int k = 0; k < e->nargs; k++) {
        dn_arg *g = &e->args[k];
        if (g->reorder) {
            dnnl_primitive_destroy(g->reorder);
            dnnl_memory_destroy(g->inner);
        }
        dnnl_memory_destroy(g->user);
    }
    if (e->prim) dnnl_primitive_destroy(e->prim);
    memset(e, 0, sizeof *e);
}

/* The plain (user) layout of each tensor. */
static void plain_md(dnnl_memory_desc_t *md, const tsh_tensor *t, int64_t groups, bool weights)
{
    dnnl_dims_t d = {0};
    if (weights && groups > 1) {
        d[0] = groups, d[1] = t->shape[0] / groups;
        for (int k = 1; k < 4; k++) d[k + 1] = t->shape[k];
        dnnl_memory_desc_init_by_tag(md, 5, d, dnnl_f32, dnnl_goihw);
        return;
    }
    for (int k = 0; k < t->ndim; k++) d[k] = t->shape[k];
    dnnl_format_tag_t tag = t->ndim == 1 ? dnnl_x : weights ? dnnl_oihw : dnnl_nchw;
    dnnl_memory_desc_init_by_tag(md, t->ndim, d, dnnl_f32, tag);
}

static void any_md(dnnl_memory_desc_t *md, const dnnl_memory_desc_t *plain)
{
    dnnl_memory_desc_init_by_tag(md, plain->ndims, plain->dims, dnnl_f32, dnnl_format_tag_any);
}

/* what/index: the query for the layout the primitive wants (a bias is
 * weights index 1). */
static dnnl_status_t add_arg(dn_entry *e, int tag, bool is_out, const dnnl_memory_desc_t *plain,
                             const_dnnl_primitive_desc_t pd, dnnl_query_t what, int index)
{
    dn_arg *g = &e->args[e->nargs++];
    g->tag = tag;
    g->is_out = is_out;
    dnnl_status_t s = dnnl_memory_create(&g->user, plain, engine, DNNL_MEMORY_NONE);
    if (s != dnnl_success) return s;
    g->inner = g->user;
    const dnnl_memory_desc_t *want = dnnl_primitive_desc_query_md(pd, what, index);
    if (!want || dnnl_memory_desc_equal(want, plain)) return dnnl_success;
    dnnl_primitive_desc_t rpd = NULL;
    s = dnnl_memory_create(&g->inner, want, engine, DNNL_MEMORY_ALLOCATE);
    if (s != dnnl_success) {
        g->inner = g->user;
        return s;
    }
    s = is_out ? dnnl_reorder_primitive_desc_create(&rpd, want, engine, plain, engine, NULL)
               : dnnl_reorder_primitive_desc_create(&rpd, plain, engine, want, engine, NULL);
    if (s == dnnl_success) s = dnnl_primitive_create(&g->reorder, rpd);
    dnnl_primitive_desc_destroy(rpd);
    if (s != dnnl_success) {
        dnnl_memory_destroy(g->inner);
        g->inner = g->user;
        g->reorder = NULL;
    }
    return s;
}

/* Builds the primitive for op with the tensors of a (their shapes only). */
static dnnl_status_t build(dn_entry *e, tsh_op op, const tsh_kargs *a)
{
    bool fwd = op == TSH_OP_CONV2D, bdata = op == TSH_OP_CONV2D_BWD_DATA;
    const tsh_tensor *x = fwd ? a->in[0] : bdata ? a->out : a->in[1];
    const tsh_tensor *w = fwd || bdata ? a->in[1] : a->out;
    const tsh_tensor *y = fwd ? a->out : a->in[0];
    const tsh_tensor *b = fwd ? a->in[2] : bdata ? NULL : a->out2;
    int64_t groups = a->i[3];
    dnnl_dims_t strides = {tsh_hw_h(a->i[0]), tsh_hw_w(a->i[0])};
    dnnl_dims_t dil = {tsh_hw_h(a->i[2]) - 1, tsh_hw_w(a->i[2]) - 1};
    dnnl_dims_t pad_l = {tsh_hw_h(a->i[1]), tsh_hw_w(a->i[1])}, pad_r = {0};
    for (int k = 0; k < 2; k++) /* the right padding that makes the output size exact */
        pad_r[k] = (y->shape[2 + k] - 1) * strides[k] + dil[k] * (w->shape[2 + k] - 1) + w->shape[2 + k] -
                   x->shape[2 + k] - pad_l[k];
    if (pad_r[0] < 0 || pad_r[1] < 0) return dnnl_unimplemented; /* rows the stride skips */
    dnnl_memory_desc_t px, pw, py, pb, ax, aw, ay;
    plain_md(&px, x, 1, false);
    plain_md(&pw, w, groups, true);
    plain_md(&py, y, 1, false);
    if (b) plain_md(&pb, b, 1, false);
    any_md(&ax, &px);
    any_md(&aw, &pw);
    any_md(&ay, &py);
    if (!fwd && !bdata && x->shape[1] / groups < 16) {
        /* With under 16 input channels per group, oneDNN 2.6 picks an AVX2
         * weight-gradient kernel on blocked layouts; on channels-last ones
         * it has an AVX-512 kernel 1.6-3x faster, reorders included
         * (batch 64, 14x14, 5x5: 280 -> 127 us for LeNet's 6 -> 16). */
        dnnl_memory_desc_init_by_tag(&ax, 4, px.dims, dnnl_f32, dnnl_nhwc);
        dnnl_memory_desc_init_by_tag(&ay, 4, py.dims, dnnl_f32, dnnl_nhwc);
    }
    dnnl_convolution_desc_t fd, bd;
    dnnl_primitive_desc_t fpd = NULL, pd = NULL;
    dnnl_status_t s = dnnl_dilated_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct,
                                                                 &ax, &aw, b ? &pb : NULL, &ay, strides, dil,
                                                                 pad_l, pad_r);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&fpd, &fd, NULL, engine, NULL);
    if (s != dnnl_success) return s;
    if (fwd) {
        pd = fpd;
        fpd = NULL;
    } else {
        if (bdata)
            s = dnnl_dilated_convolution_backward_data_desc_init(&bd, dnnl_convolution_direct, &ax, &aw, &ay,
                                                                 strides, dil, pad_l, pad_r);
        else
            s = dnnl_dilated_convolution_backward_weights_desc_init(&bd, dnnl_convolution_direct, &ax, &aw,
                                                                    b ? &pb : NULL, &ay, strides, dil, pad_l, pad_r);
        if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &bd, NULL, engine, fpd);
        dnnl_primitive_desc_destroy(fpd);
        if (s != dnnl_success) return s;
    }
    s = dnnl_primitive_create(&e->prim, pd);
    if (s == dnnl_success) {
        if (fwd) {
            s = add_arg(e, DNNL_ARG_SRC, false, &px, pd, dnnl_query_src_md, 0);
            if (s == dnnl_success) s = add_arg(e, DNNL_ARG_WEIGHTS, false, &pw, pd, dnnl_query_weights_md, 0);
            if (s == dnnl_success && b) s = add_arg(e, DNNL_ARG_BIAS, false, &pb, pd, dnnl_query_weights_md, 1);
            if (s == dnnl_success) s = add_arg(e, DNNL_ARG_DST, true, &py, pd, dnnl_query_dst_md, 0);
        } else if (bdata) {
            s = add_arg(e, DNNL_ARG_DIFF_DST, false, &py, pd, dnnl_query_diff_dst_md, 0);
            if (s == dnnl_success) s = add_arg(e, DNNL_ARG_WEIGHTS, false, &pw, pd, dnnl_query_weights_md, 0);
            if (s == dnnl_success) s = add_arg(e, DNNL_ARG_DIFF_SRC, true, &px, pd, dnnl_query_diff_src_md, 0);
        } else {
            s = add_arg(e, DNNL_ARG_SRC, false, &px, pd, dnnl_query_src_md, 0);
            if (s == dnnl_success) s = add_arg(e, DNNL_ARG_DIFF_DST, false, &py, pd, dnnl_query_diff_dst_md, 0);
            if (s == dnnl_success) s = add_arg(e, DNNL_ARG_DIFF_WEIGHTS, true, &pw, pd, dnnl_query_diff_weights_md, 0);
            if (s == dnnl_success && b) s = add_arg(e, DNNL_ARG_DIFF_BIAS, true, &pb, pd, dnnl_query_diff_weights_md, 1);
        }
    }
    dnnl_primitive_desc_destroy(pd);
    return s;
}

static void key_of(tsh_op op, const tsh_kargs *a, int64_t *key)
{
    const tsh_tensor *t[3] = {a->out, a->in[0], a->in[1]};
    int k = 0;
    key[k++] = op;
    for (int j = 0; j < 3; j++)
        for (int d = 0; d < 4; d++) key[k++] = t[j]->shape[d];
    for (int j = 0; j < 4; j++) key[k++] = a->i[j];
    /* bias (forward) or bias gradient (backward weight) */
    key[k] = op == TSH_OP_CONV2D ? a->in[2] != NULL : a->out2 != NULL;
}

/* The cached entry for this call, built on a miss (evicting the least
 * recently used). NULL with *st set when there is none. */
static dn_entry *lookup(tsh_op op, const tsh_kargs *a, dnnl_status_t *st)
{
    int64_t key[KEY_LEN];
    key_of(op, a, key);
    dn_entry *victim = &cache[0];
    for (int k = 0; k < CACHE_SIZE; k++) {
        dn_entry *e = &cache[k];
        if (e->stamp && memcmp(e->key, key, sizeof key) == 0) {
            e->stamp = ++clock_;
            return e;
        }
        if (e->stamp < victim->stamp) victim = e;
    }
    entry_free(victim);
    *st = build(victim, op, a);
    if (*st != dnnl_success) {
        entry_free(victim);
        return NULL;
    }
    memcpy(victim->key, key, sizeof key);
    victim->stamp = ++clock_;
    return victim;
}

static const tsh_tensor *tensor_for(tsh_op op, const tsh_kargs *a, int tag)
{
    switch (tag) {
    case DNNL_ARG_SRC: return op == TSH_OP_CONV2D ? a->in[0] : a->in[1];
    case DNNL_ARG_WEIGHTS: return a->in[1];
    case DNNL_ARG_BIAS: return a->in[2];
    case DNNL_ARG_DST: return a->out;
    case DNNL_ARG_DIFF_DST: return a->in[0];
    case DNNL_ARG_DIFF_SRC:
    case DNNL_ARG_DIFF_WEIGHTS: return a->out;
    default: return a->out2; /* DNNL_ARG_DIFF_BIAS */
    }
}

static dnnl_status_t run(dn_entry *e, tsh_op op, const tsh_kargs *a)
{
    dnnl_exec_arg_t args[MAX_ARGS];
    dnnl_status_t s = dnnl_success;
    for (int k = 0; k < e->nargs && s == dnnl_success; k++) {
        dn_arg *g = &e->args[k];
        s = dnnl_memory_set_data_handle(g->user, tsh_data(tensor_for(op, a, g->tag)));
        args[k] = (dnnl_exec_arg_t){g->tag, g->inner};
        if (s == dnnl_success && g->reorder && !g->is_out) {
            dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, g->user}, {DNNL_ARG_TO, g->inner}};
            s = dnnl_primitive_execute(g->reorder, stream, 2, r);
        }
    }
    if (s == dnnl_success) s = dnnl_primitive_execute(e->prim, stream, e->nargs, args);
    for (int k = 0; k < e->nargs && s == dnnl_success; k++) {
        dn_arg *g = &e->args[k];
        if (!g->reorder || !g->is_out) continue;
        dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, g->inner}, {DNNL_ARG_TO, g->user}};
        s = dnnl_primitive_execute(g->reorder, stream, 2, r);
    }
    if (s == dnnl_success) s = dnnl_stream_wait(stream);
    return s;
}

tsh_status tsh_dnnl_conv(tsh_op op, const tsh_kargs *a)
{
    if (tsh_env_off("TENSH_DNNL")) return TSH_ERR_NOTIMPL;
    /* oneDNN 2.6's backward-data for few input channels per group (a first
     * layer's: 1 or 3) runs 1.4-10x slower than im2col + GEMM here (batch 64:
     * 4.3 vs 0.44 ms for 1 -> 6 channels 5x5 on 28x28, 6.4 vs 4.7 ms for 3);
     * from about 5 channels on it is as fast or faster. */
    if (op == TSH_OP_CONV2D_BWD_DATA && a->in[1]->shape[1] < 5) return TSH_ERR_NOTIMPL;
    pthread_mutex_lock(&lock);
    dnnl_status_t s = dnnl_success;
    if (!engine && !broken) {
        s = dnnl_engine_create(&engine, dnnl_cpu, 0);
        if (s == dnnl_success) s = dnnl_stream_create(&stream, engine, dnnl_stream_default_flags);
        if (s != dnnl_success) broken = 1;
    }
    dn_entry *e = broken ? NULL : lookup(op, a, &s);
    if (e) s = run(e, op, a);
    if (e && s == dnnl_success) calls++;
    pthread_mutex_unlock(&lock);
    if (s == dnnl_success) return TSH_OK;
    if (s == dnnl_out_of_memory) return tsh_fail(TSH_ERR_OOM, "%s: out of memory in oneDNN", tsh_op_infos[op].name);
    if (!e) return TSH_ERR_NOTIMPL; /* oneDNN does not take this case: im2col + GEMM will */
    return tsh_fail(TSH_ERR_ARG, "%s: oneDNN failed (status %d)", tsh_op_infos[op].name, (int)s);
}

/* oneDNN's sgemm is row-major only: a column-major C is computed as its
 * transpose, C^T = op(B)^T op(A)^T. It is thread-safe and keeps no state of
 * ours, so it needs neither the lock nor the cache above. */
bool tsh_dnnl_sgemm(bool col, bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float *A,
                    int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    if (tsh_env_off("TENSH_DNNL")) return false;
    dnnl_status_t s = col ? dnnl_sgemm(tb ? 'T' : 'N', ta ? 'T' : 'N', n, m, k, alpha, B, ldb, A, lda, beta, C, ldc)
                          : dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
    return s == dnnl_success;
}

#endif
