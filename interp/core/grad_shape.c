/* grad_shape.c: backward rules of cat, stack, repeat/tile, flip, tril/triu
 * and roll. Gradients are views of g where the op only placed blocks
 * (cat, stack), sums over the copies (repeat), or the inverse
 * rearrangement (flip, roll). Rules run with grad mode off. */
#include "grad_shape.h"

#include <stdlib.h>
#include <string.h>

#include "reduce.h"
#include "shape.h"

static tsh_status record_fail(tsh_tensor **out, tsh_status st)
{
    tsh_tensor_release(*out);
    *out = NULL;
    return st;
}

/* ---- cat and stack ----
 * A node has at most TSH_NODE_MAX_IN inputs, so a long list becomes a
 * chain: each node takes three tensors and passes the rest of g (a narrow
 * along dim) to a node for the remaining ones. Per input k: i[2 + 2k] is
 * where it starts along dim and i[3 + 2k] its length, -1 for a stacked
 * tensor (a select), -2 for a skipped empty 1-d tensor of cat. */

static tsh_status cat_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    int dim = (int)n->i[0];
    for (int k = 0; k < n->n_in; k++) {
        if (!n->next[k]) continue;
        int64_t start = n->i[2 + 2 * k], len = n->i[3 + 2 * k];
        if (len == -2) continue;
        TSH_TRY(len == -1 ? tsh_select(g, dim, start, &grads[k]) : tsh_narrow(g, dim, start, len, &grads[k]));
    }
    return TSH_OK;
}

static bool legacy_empty(const tsh_tensor *t) { return t->ndim == 1 && t->shape[0] == 0; }

/* The node for ts[0..n), whose output (or part of it) has shape `shape`. */
static tsh_status cat_node(int n, tsh_tensor *const *ts, int dim, bool stack, const tsh_tensor *out,
                           const int64_t *shape, tsh_node **node)
{
    const char *name = stack ? "StackBackward0" : "CatBackward0";
    int direct = n <= TSH_NODE_MAX_IN ? n : TSH_NODE_MAX_IN - 1;
    tsh_tensor *ins[TSH_NODE_MAX_IN] = {NULL};
    for (int k = 0; k < direct; k++) ins[k] = ts[k];
    tsh_node *nd;
    TSH_TRY(tsh_node_new(name, cat_backward, direct < n ? direct + 1 : n, ins, &nd));
    nd->i[0] = dim;
    int64_t pos = 0;
    for (int k = 0; k < direct; k++) {
        bool skip = !stack && legacy_empty(ts[k]);
        int64_t len = stack ? 1 : skip ? 0 : ts[k]->shape[dim];
        nd->i[2 + 2 * k] = pos;
        nd->i[3 + 2 * k] = stack ? -1 : skip ? -2 : len;
        pos += len;
    }
    if (direct < n && tsh_ag_needed(n - direct, ts + direct)) {
        int64_t rest[TSH_MAX_DIMS];
        memcpy(rest, shape, sizeof rest);
        rest[dim] = shape[dim] - pos;
        tsh_node *sub;
        tsh_status st = cat_node(n - direct, ts + direct, dim, stack, out, rest, &sub);
        if (st != TSH_OK) {
            tsh_node_release(nd);
            return st;
        }
        nd->next[direct] = sub;
        nd->in_ndim[direct] = out->ndim;
        memcpy(nd->in_shape[direct], rest, sizeof rest);
        nd->in_dtype[direct] = out->dtype;
        nd->i[2 + 2 * direct] = pos;
        nd->i[3 + 2 * direct] = rest[dim];
    }
    *node = nd;
    return TSH_OK;
}

tsh_status tsh_grad_cat(int n, tsh_tensor *const *ts, int dim, bool stack, tsh_tensor **out)
{
    tsh_node *nd;
    if (dim >= (*out)->ndim) dim = 0; /* every tensor was a skipped empty one */
    tsh_status st = cat_node(n, ts, dim, stack, *out, (*out)->shape, &nd);
    if (st == TSH_OK) st = tsh_node_attach(nd, *out);
    return st == TSH_OK ? st : record_fail(out, st);
}

/* ---- repeat ----
 * i[0..n) the counts; the input seen with leading 1s (xs) has n dims. Each
 * repeated dim d of g is viewed as (before, count, xs[d] * after) and
 * summed over the counts. */
static tsh_status repeat_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    int nd = (int)n->i[TSH_MAX_DIMS], lead = nd - n->in_ndim[0];
    int64_t xs[TSH_MAX_DIMS], cur[TSH_MAX_DIMS];
    for (int d = 0; d < nd; d++) xs[d] = d < lead ? 1 : n->in_shape[0][d - lead];
    memcpy(cur, g->shape, sizeof(int64_t) * (size_t)nd);
    tsh_tensor *c = tsh_tensor_retain(g);
    tsh_status st = TSH_OK;
    for (int d = 0; d < nd && st == TSH_OK; d++) {
        int64_t reps = n->i[d];
        if (reps == 1) continue;
        int64_t three[3] = {tsh_shape_numel(d, cur), reps, xs[d] * tsh_shape_numel(nd - d - 1, cur + d + 1)};
        tsh_reduce_spec r = {1u << 1, false, -1};
        tsh_tensor *v = NULL, *s = NULL;
        st = tsh_reshape(c, 3, three, &v);
        if (st == TSH_OK) st = tsh_sum(v, &r, &s);
        cur[d] = xs[d];
        tsh_tensor_release(c);
        c = NULL;
        if (st == TSH_OK) st = tsh_reshape(s, nd, cur, &c);
        tsh_tensor_release(v);
        tsh_tensor_release(s);
    }
    if (st == TSH_OK) st = tsh_reshape(c, n->in_ndim[0], n->in_shape[0], &grads[0]);
    tsh_tensor_release(c);
    return st;
}

tsh_status tsh_grad_repeat(tsh_tensor *t, int n, const int64_t *reps, tsh_tensor **out)
{
    tsh_node *nd;
    tsh_status st = tsh_node_new("RepeatBackward0", repeat_backward, 1, &t, &nd);
    if (st == TSH_OK) {
        for (int d = 0; d < n; d++) nd->i[d] = reps[d];
        nd->i[TSH_MAX_DIMS] = n;
        st = tsh_node_attach(nd, *out);
    }
    return st == TSH_OK ? st : record_fail(out, st);
}

/* ---- flip, tril/triu ---- */

static tsh_status flip_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    int dims[TSH_MAX_DIMS], m = 0;
    for (int d = 0; d < TSH_MAX_DIMS; d++)
        if (n->i[0] & ((int64_t)1 << d)) dims[m++] = d;
    return tsh_flip(g, m, dims, &grads[0]);
}

tsh_status tsh_grad_flip(tsh_tensor *t, int64_t mask, tsh_tensor **out)
{
    tsh_node *nd;
    tsh_status st = tsh_node_new("FlipBackward0", flip_backward, 1, &t, &nd);
    if (st == TSH_OK) {
        nd->i[0] = mask;
        st = tsh_node_attach(nd, *out);
    }
    return st == TSH_OK ? st : record_fail(out, st);
}

static tsh_status tri_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    return n->i[1] ? tsh_triu(g, n->i[0], &grads[0]) : tsh_tril(g, n->i[0], &grads[0]);
}

tsh_status tsh_grad_tri(bool upper, tsh_tensor *t, int64_t k, tsh_tensor **out, tsh_node **node)
{
    tsh_node *nd;
    tsh_status st = tsh_node_new(upper ? "TriuBackward0" : "TrilBackward0", tri_backward, 1, &t, &nd);
    if (st == TSH_OK) {
        nd->i[0] = k;
        nd->i[1] = upper;
        if (!out) {
            *node = nd;
            return TSH_OK;
        }
        st = tsh_node_attach(nd, *out);
    }
    if (!out) return st;
    return st == TSH_OK ? st : record_fail(out, st);
}

/* ---- roll: the same roll backwards ---- */

typedef struct roll_args {
    int n_shifts, n_dims;
    int64_t *shifts; /* negated */
    int *dims;
} roll_args;

static void roll_free(void *p)
{
    roll_args *r = p;
    free(r->shifts);
    free(r->dims);
    free(r);
}

static tsh_status roll_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    roll_args *r = n->ctx;
    return tsh_roll(g, r->n_shifts, r->shifts, r->n_dims, r->dims, &grads[0]);
}

tsh_status tsh_grad_roll(tsh_tensor *t, int n_shifts, const int64_t *shifts, int n_dims, const int *dims,
                         tsh_tensor **out)
{
    roll_args *r = calloc(1, sizeof *r);
    if (r) {
        r->shifts = malloc(sizeof *r->shifts * (size_t)(n_shifts ? n_shifts : 1));
        r->dims = malloc(sizeof *r->dims * (size_t)(n_dims ? n_dims : 1));
    }
    if (!r || !r->shifts || !r->dims) {
        if (r) roll_free(r);
        return record_fail(out, tsh_fail(TSH_ERR_OOM, "out of memory"));
    }
    r->n_shifts = n_shifts;
    r->n_dims = n_dims;
    /* a shift is reduced mod the size in the forward; negating first keeps
     * INT64_MIN out of it */
    for (int k = 0; k < n_shifts; k++) {
        int64_t size = n_dims ? t->shape[dims[k]] : tsh_numel(t);
        int64_t s = size ? shifts[k] % size : 0;
        r->shifts[k] = -s;
    }
    for (int k = 0; k < n_dims; k++) r->dims[k] = dims[k];
    tsh_node *nd;
    tsh_status st = tsh_node_new("RollBackward0", roll_backward, 1, &t, &nd);
    if (st != TSH_OK) {
        roll_free(r);
        return record_fail(out, st);
    }
    nd->ctx = r;
    nd->ctx_free = roll_free;
    st = tsh_node_attach(nd, *out);
    return st == TSH_OK ? st : record_fail(out, st);
}
