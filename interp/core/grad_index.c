/* grad_index.c: backward rules of the indexing ops. What an op reads at an
 * index, its backward adds back at that index (index_add, scatter_add,
 * masked_scatter into zeros); what an op overwrites gets no gradient
 * (index_fill, scatter or masked_fill with 0). Index tensors and masks are
 * saved (their version is checked), never differentiated. Rules run with
 * grad mode off. */
#include "grad_index.h"

#include <string.h>

#include "index.h"
#include "mathops.h"

/* node params: i[0] kind, i[1] dim, i[2] mode, i[3] ndim, i[4..] shape; f[0] alpha */

static tsh_tensor *zero_scalar(tsh_stack_scalar *s)
{
    tsh_scalar v = {.kind = TSH_SCALAR_INT, .i = 0};
    return tsh_stack_scalar_init(s, &v);
}

/* g where the op overwrote t set to 0, by the op's own kind of index */
static tsh_status cleared(tsh_node *n, tsh_tensor *g, tsh_tensor *ix, tsh_tensor **out)
{
    tsh_stack_scalar zs;
    tsh_tensor *z = zero_scalar(&zs), *c = NULL;
    int dim = (int)n->i[1];
    switch ((tsh_index_grad_kind)n->i[0]) {
    case TSH_GI_MASKED_FILL:
    case TSH_GI_MASKED_SCATTER:
    case TSH_GI_MASK_PUT:
        return tsh_masked_fill(g, ix, z, out);
    default: break;
    }
    TSH_TRY(tsh_clone(g, &c));
    tsh_status st = n->i[0] == TSH_GI_SCATTER || n->i[0] == TSH_GI_SCATTER_VALUE
                        ? tsh_scatter_value_(c, dim, ix, z, TSH_SCATTER_SET)
                        : tsh_index_fill_(c, dim, ix, z);
    if (st != TSH_OK) {
        tsh_tensor_release(c);
        return st;
    }
    *out = c;
    return TSH_OK;
}

/* Zeros of shape (nd, shape) with `part` written at its start (part is
 * no larger anywhere): scatter's src may be larger than the index. */
static tsh_status padded(tsh_tensor *part, int nd, const int64_t *shape, tsh_tensor **out)
{
    if (part->ndim == nd && memcmp(part->shape, shape, sizeof(int64_t) * (size_t)nd) == 0) {
        *out = tsh_tensor_retain(part);
        return TSH_OK;
    }
    tsh_tensor *z, *v = NULL;
    TSH_TRY(tsh_grad_zeros(part, nd, shape, &z));
    tsh_status st = tsh_tensor_view(z, part->ndim, part->shape, z->stride, 0, &v);
    if (st == TSH_OK) st = tsh_copy_(v, part);
    tsh_tensor_release(v);
    if (st != TSH_OK) {
        tsh_tensor_release(z);
        return st;
    }
    *out = z;
    return TSH_OK;
}

/* The first count elements of a 1-d s in a tensor of numel(shape) zeros,
 * shaped (masked_scatter's src may hold more than the mask takes). */
static tsh_status padded_flat(tsh_tensor *s, int nd, const int64_t *shape, tsh_tensor **out)
{
    int64_t total = tsh_shape_numel(nd, shape);
    tsh_tensor *flat = NULL;
    tsh_status st = padded(s, 1, &total, &flat);
    if (st == TSH_OK) st = tsh_reshape(flat, nd, shape, out);
    tsh_tensor_release(flat);
    return st;
}

/* The gradient of t for ops that read t at the index (select, gather, t[idx],
 * t[mask], masked_select): zeros with g added back where it was read. */
static tsh_status read_back(tsh_node *n, tsh_tensor *g, tsh_tensor *ix, tsh_tensor **out)
{
    tsh_index_grad_kind kind = (tsh_index_grad_kind)n->i[0];
    int dim = (int)n->i[1];
    tsh_tensor *z, *gg = NULL;
    if (kind == TSH_GI_MASKED_SELECT) TSH_TRY(tsh_grad_zeros(g, (int)n->i[3], &n->i[4], &z));
    else TSH_TRY(tsh_grad_zeros(g, n->in_ndim[0], n->in_shape[0], &z));
    tsh_status st = TSH_OK;
    switch (kind) {
    case TSH_GI_SELECT:
    case TSH_GI_INDEX: {
        /* g as index_select's result: t's shape with the index's length at dim */
        int64_t shape[TSH_MAX_DIMS];
        memcpy(shape, n->in_shape[0], sizeof shape);
        if (n->in_ndim[0]) shape[dim] = tsh_numel(ix);
        st = tsh_reshape(g, n->in_ndim[0], shape, &gg);
        if (st == TSH_OK) st = tsh_index_add_(z, dim, ix, gg, NULL);
        break;
    }
    case TSH_GI_GATHER: st = tsh_scatter_(z, dim, ix, g, TSH_SCATTER_ADD); break;
    default: st = tsh_masked_scatter_(z, ix, g); break; /* masks */
    }
    tsh_tensor_release(gg);
    if (st != TSH_OK) {
        tsh_tensor_release(z);
        return st;
    }
    *out = z;
    return TSH_OK;
}

/* The gradient of src or value: g read where it was written. */
static tsh_status src_grad(tsh_node *n, tsh_tensor *g, tsh_tensor *ix, tsh_tensor **out)
{
    tsh_index_grad_kind kind = (tsh_index_grad_kind)n->i[0];
    int dim = (int)n->i[1], nd = (int)n->i[3];
    tsh_tensor *r = NULL;
    tsh_status st;
    switch (kind) {
    case TSH_GI_SCATTER:
        st = tsh_gather(g, dim, ix, &r);
        if (st == TSH_OK) st = padded(r, n->in_ndim[1], n->in_shape[1], out);
        break;
    case TSH_GI_INDEX_ADD:
        st = tsh_index_select(g, dim, ix, &r);
        if (st == TSH_OK && n->f[0] != 1) {
            tsh_stack_scalar s;
            tsh_scalar v = {.kind = TSH_SCALAR_FLOAT, .f = n->f[0]};
            st = tsh_binary(TSH_OP_MUL, r, tsh_stack_scalar_init(&s, &v), NULL, r, NULL);
        }
        if (st == TSH_OK) *out = tsh_tensor_retain(r);
        break;
    case TSH_GI_INDEX_COPY: return tsh_index_select(g, dim, ix, out);
    case TSH_GI_INDEX_PUT: /* the value was broadcast to what t[..] gives */
        st = tsh_index_select(g, dim, ix, &r);
        if (st == TSH_OK) st = tsh_reshape(r, nd, &n->i[4], out);
        break;
    case TSH_GI_MASKED_SCATTER:
        st = tsh_masked_select(g, ix, &r);
        if (st == TSH_OK) st = padded_flat(r, n->in_ndim[1], n->in_shape[1], out);
        break;
    case TSH_GI_MASK_PUT: /* a tensor value was broadcast to (count, rest...) */
        st = tsh_masked_select(g, ix, &r);
        if (st == TSH_OK && n->in_ndim[1] > 0) st = tsh_reshape(r, nd, &n->i[4], out);
        else if (st == TSH_OK) *out = tsh_tensor_retain(r); /* the engine sums it */
        break;
    case TSH_GI_MASKED_FILL: return tsh_masked_select(g, ix, out); /* summed to the 0-d value */
    default: return tsh_fail(TSH_ERR_ARG, "index backward: no source for this op");
    }
    tsh_tensor_release(r);
    return st;
}

static tsh_status index_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    tsh_tensor *ix;
    TSH_TRY(tsh_node_saved(n, 0, &ix));
    tsh_index_grad_kind kind = (tsh_index_grad_kind)n->i[0];
    tsh_status st = TSH_OK;
    if (kind == TSH_GI_WHERE) {
        tsh_stack_scalar zs;
        tsh_tensor *z = zero_scalar(&zs);
        if (n->next[0]) st = tsh_where(ix, g, z, &grads[0]);
        if (st == TSH_OK && n->next[1]) st = tsh_where(ix, z, g, &grads[1]);
        return st;
    }
    if (n->next[0]) {
        switch (kind) {
        case TSH_GI_SELECT: case TSH_GI_INDEX: case TSH_GI_GATHER:
        case TSH_GI_MASKED_SELECT: case TSH_GI_MASK_GET:
            st = read_back(n, g, ix, &grads[0]);
            break;
        case TSH_GI_INDEX_ADD: grads[0] = tsh_tensor_retain(g); break;
        case TSH_GI_SCATTER:
        case TSH_GI_SCATTER_VALUE:
            if (n->i[2] == TSH_SCATTER_ADD) grads[0] = tsh_tensor_retain(g);
            else st = cleared(n, g, ix, &grads[0]);
            break;
        default: st = cleared(n, g, ix, &grads[0]); break;
        }
    }
    if (st == TSH_OK && n->n_in > 1 && n->next[1]) st = src_grad(n, g, ix, &grads[1]);
    return st;
}

static const char *node_name(const tsh_index_grad *a)
{
    switch (a->kind) {
    case TSH_GI_SELECT: return "IndexSelectBackward0";
    case TSH_GI_INDEX: case TSH_GI_MASK_GET: return "IndexBackward0";
    case TSH_GI_GATHER: return "GatherBackward0";
    case TSH_GI_SCATTER: return a->mode == TSH_SCATTER_ADD ? "ScatterAddBackward0" : "ScatterBackward0";
    case TSH_GI_SCATTER_VALUE: return "ScatterBackward1";
    case TSH_GI_INDEX_ADD: return "IndexAddBackward0";
    case TSH_GI_INDEX_COPY: return "IndexCopyBackward0";
    case TSH_GI_INDEX_FILL: return "IndexFillBackward0";
    case TSH_GI_INDEX_PUT: case TSH_GI_MASK_PUT: return "IndexPutBackward0";
    case TSH_GI_MASKED_FILL: return "MaskedFillBackward0";
    case TSH_GI_MASKED_SELECT: return "MaskedSelectBackward0";
    case TSH_GI_MASKED_SCATTER: return "MaskedScatterBackward0";
    case TSH_GI_WHERE: return "WhereBackward0";
    }
    return "IndexBackward0";
}

/* Whether the op's src/value is an input that can take a gradient. */
static bool src_differentiable(tsh_index_grad_kind k)
{
    return k == TSH_GI_SCATTER || k == TSH_GI_INDEX_ADD || k == TSH_GI_INDEX_COPY || k == TSH_GI_INDEX_PUT ||
           k == TSH_GI_MASKED_FILL || k == TSH_GI_MASKED_SCATTER || k == TSH_GI_MASK_PUT || k == TSH_GI_WHERE;
}

static tsh_status make_node(tsh_tensor *t, const tsh_index_grad *a, tsh_node **out)
{
    tsh_tensor *ins[2] = {t, a->src};
    tsh_node *n;
    TSH_TRY(tsh_node_new(node_name(a), index_backward, src_differentiable(a->kind) && a->src ? 2 : 1, ins, &n));
    n->i[0] = a->kind;
    n->i[1] = a->dim;
    n->i[2] = a->mode;
    n->i[3] = a->ndim;
    memcpy(&n->i[4], a->shape, sizeof(int64_t) * TSH_MAX_DIMS);
    n->f[0] = a->alpha;
    tsh_status st = tsh_node_save(n, 0, a->idx);
    if (st != TSH_OK) {
        tsh_node_release(n);
        return st;
    }
    *out = n;
    return TSH_OK;
}

tsh_status tsh_grad_index_record(tsh_tensor *t, const tsh_index_grad *a, tsh_tensor **out)
{
    tsh_node *n;
    tsh_status st = make_node(t, a, &n);
    if (st == TSH_OK) st = tsh_node_attach(n, *out);
    if (st != TSH_OK) {
        tsh_tensor_release(*out);
        *out = NULL;
    }
    return st;
}

tsh_status tsh_grad_index_begin(const char *op, tsh_tensor *t, const tsh_index_grad *a, tsh_node **node)
{
    *node = NULL;
    tsh_tensor *src = a->src;
    bool rec;
    TSH_TRY(tsh_grad_inplace_begin(op, t, src ? 1 : 0, &src, &rec));
    if (!rec) return TSH_OK;
    if ((a->kind == TSH_GI_SCATTER || a->kind == TSH_GI_SCATTER_VALUE) && a->mode == TSH_SCATTER_MULTIPLY)
        return tsh_fail(TSH_ERR_NOTIMPL, "%s: gradients of reduce='multiply' are not supported "
                                         "(compute the product with ops that have them)", op);
    if (!src_differentiable(a->kind) && src && tsh_requires_grad(src))
        return tsh_fail(TSH_ERR_NOTIMPL, "%s: a fill value that requires grad is not supported "
                                         "(use a number, or a src tensor)", op);
    return make_node(t, a, node);
}

tsh_status tsh_grad_index_end(tsh_tensor *t, tsh_node *node, tsh_status st)
{
    if (!node) return st;
    if (st != TSH_OK) {
        tsh_node_release(node);
        return st;
    }
    return tsh_grad_inplace_commit(t, node);
}
