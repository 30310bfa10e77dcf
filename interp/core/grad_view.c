/* grad_view.c: backward rules of the view ops and of clone/to/copy_/fill_,
 * and the in-place machinery (CopySlices, stale views) every family's
 * in-place ops share. The view ops in view.c and the copies in front.c call
 * in here; rules use front-end ops only and run with grad mode off. */
#include "grad_view.h"

#include <stdlib.h>
#include <string.h>

#include "front.h"
#include "mathops.h"

tsh_status tsh_grad_zeros(const tsh_tensor *g, int ndim, const int64_t *shape, tsh_tensor **out)
{
    return tsh_full(ndim, shape, 0, g->dtype, g->storage->device, out);
}

/* ---- rules of the view ops ---- */

static tsh_status reshape_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    return tsh_reshape(g, n->in_ndim[0], n->in_shape[0], &grads[0]);
}

static tsh_status transpose_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    if (g->ndim == 0) {
        grads[0] = tsh_tensor_retain(g);
        return TSH_OK;
    }
    return tsh_transpose(g, (int)n->i[0], (int)n->i[1], &grads[0]);
}

static tsh_status permute_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    int inv[TSH_MAX_DIMS];
    for (int d = 0; d < g->ndim; d++) inv[n->i[d]] = d;
    return tsh_permute(g, inv, &grads[0]);
}

/* zeros of the input's shape with g written into the part the view saw */
static tsh_status slice_like(tsh_node *n, tsh_tensor *g, bool select, tsh_tensor **grads)
{
    tsh_tensor *z, *v = NULL;
    TSH_TRY(tsh_grad_zeros(g, n->in_ndim[0], n->in_shape[0], &z));
    tsh_status st = select ? tsh_select(z, (int)n->i[0], n->i[1], &v)
                           : tsh_slice(z, (int)n->i[0], n->i[1], n->i[2], n->i[3], &v);
    if (st == TSH_OK) st = tsh_copy_(v, g);
    tsh_tensor_release(v);
    if (st != TSH_OK) {
        tsh_tensor_release(z);
        return st;
    }
    grads[0] = z;
    return TSH_OK;
}

static tsh_status slice_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    return slice_like(n, g, false, grads);
}

static tsh_status select_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    return slice_like(n, g, true, grads);
}

/* The engine sums g down to the input's shape. */
static tsh_status expand_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    (void)n;
    grads[0] = tsh_tensor_retain(g);
    return TSH_OK;
}

/* Windows overlap when step < size, so the input's gradient is a sum: for
 * each position j inside a window, the j-th elements of all windows are
 * one strided slice of the input (size adds, not one per window). */
static tsh_status unfold_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    int dim = (int)n->i[0];
    int64_t size = n->i[1], step = n->i[2];
    int nd = n->in_ndim[0] ? n->in_ndim[0] : 1;
    int64_t shape[TSH_MAX_DIMS], one = 1;
    if (n->in_ndim[0]) memcpy(shape, n->in_shape[0], sizeof(int64_t) * (size_t)nd);
    else shape[0] = one;
    int64_t nwin = g->shape[dim];
    tsh_tensor *z;
    TSH_TRY(tsh_grad_zeros(g, nd, shape, &z));
    tsh_status st = TSH_OK;
    for (int64_t j = 0; j < size && nwin > 0 && st == TSH_OK; j++) {
        tsh_tensor *dst = NULL, *src = NULL;
        st = tsh_slice(z, dim, j, j + (nwin - 1) * step + 1, step, &dst);
        if (st == TSH_OK) st = tsh_select(g, g->ndim - 1, j, &src);
        if (st == TSH_OK) st = tsh_binary(TSH_OP_ADD, dst, src, NULL, dst, NULL);
        tsh_tensor_release(dst);
        tsh_tensor_release(src);
    }
    if (st == TSH_OK && !n->in_ndim[0]) {
        tsh_tensor *r;
        st = tsh_reshape(z, 0, NULL, &r);
        tsh_tensor_release(z);
        z = st == TSH_OK ? r : NULL;
    }
    if (st != TSH_OK) {
        tsh_tensor_release(z);
        return st;
    }
    grads[0] = z;
    return TSH_OK;
}

static tsh_tensor *root_of(tsh_tensor *t) { return t->ag && t->ag->base ? t->ag->base : t; }

/* Links view o to the base of `in`. */
static tsh_status track_base(tsh_tensor *o, tsh_tensor *in)
{
    tsh_autograd *ag = tsh_ag_state(o);
    if (!ag) return tsh_fail(TSH_ERR_OOM, "out of memory");
    tsh_tensor *b = root_of(in);
    ag->base = tsh_tensor_retain(b);
    ag->base_fn = b->ag ? b->ag->grad_fn : NULL;
    if (ag->base_fn) ag->base_fn->refcount++;
    return TSH_OK;
}

tsh_status tsh_grad_view(tsh_view_kind kind, tsh_tensor *in, tsh_tensor **out, const int64_t *p)
{
    /* Under no_grad only views of tensors with autograd state link to their
     * base (a write through them keeps the base's stamp, tsh_ag_written);
     * views of plain tensors there, the gradients in a backward pass among
     * them, stay plain. */
    if (!tsh_dtype_is_float(in->dtype) || (!in->ag && !tsh_grad_enabled())) return TSH_OK;
    tsh_tensor *o = *out;
    tsh_status st = TSH_OK;
    if (tsh_ag_needed(1, &in)) {
        static const char *const names[] = {
            "ViewBackward0", "UnsafeViewBackward0", "TransposeBackward0", "PermuteBackward0",
            "SliceBackward0", "SelectBackward0", "ExpandBackward0", "SqueezeBackward0",
            "UnsqueezeBackward0", "UnfoldBackward0"};
        tsh_backward_fn bw = reshape_backward;
        const char *name = names[kind];
        int np = 0;
        switch (kind) {
        case TSH_VIEW_TRANSPOSE: bw = transpose_backward, np = 2; break;
        case TSH_VIEW_PERMUTE: bw = permute_backward, np = in->ndim; break;
        case TSH_VIEW_SLICE: bw = slice_backward, np = 4; break;
        case TSH_VIEW_SELECT: bw = select_backward, np = 2; break;
        case TSH_VIEW_EXPAND: bw = expand_backward; break;
        case TSH_VIEW_SQUEEZE: if (p[0] >= 0) name = "SqueezeBackward1"; break;
        case TSH_VIEW_UNFOLD: bw = unfold_backward, np = 3; break;
        default: break;
        }
        tsh_node *n = NULL;
        st = tsh_node_new_unchecked(name, bw, 1, &in, &n); /* reads no values */
        if (st == TSH_OK) {
            for (int k = 0; k < np; k++) n->i[k] = p[k];
            st = tsh_node_attach(n, o);
        }
    }
    if (st == TSH_OK && kind != TSH_VIEW_COPY) st = track_base(o, in);
    if (st != TSH_OK) {
        tsh_tensor_release(o);
        *out = NULL;
    }
    return st;
}

static tsh_status identity_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    (void)n;
    grads[0] = tsh_tensor_retain(g);
    return TSH_OK;
}

tsh_status tsh_grad_identity(const char *name, tsh_tensor *in, tsh_tensor **out)
{
    if (!tsh_dtype_is_float((*out)->dtype) || !tsh_ag_needed(1, &in)) return TSH_OK;
    tsh_node *n;
    tsh_status st = tsh_node_new(name, identity_backward, 1, &in, &n);
    if (st == TSH_OK) st = tsh_node_attach(n, *out);
    if (st != TSH_OK) {
        tsh_tensor_release(*out);
        *out = NULL;
    }
    return st;
}

/* ---- where a view sits in its base ---- */

typedef struct view_geom {
    int bnd, vnd;
    int64_t bshape[TSH_MAX_DIMS], bstride[TSH_MAX_DIMS];
    int64_t vshape[TSH_MAX_DIMS], vstride[TSH_MAX_DIMS];
    int64_t voff; /* the view's offset from the base's */
} view_geom;

static void geom_of(view_geom *gm, const tsh_tensor *b, const tsh_tensor *v)
{
    memset(gm, 0, sizeof *gm);
    gm->bnd = b->ndim;
    gm->vnd = v->ndim;
    memcpy(gm->bshape, b->shape, sizeof gm->bshape);
    memcpy(gm->bstride, b->stride, sizeof gm->bstride);
    memcpy(gm->vshape, v->shape, sizeof gm->vshape);
    memcpy(gm->vstride, v->stride, sizeof gm->vstride);
    gm->voff = tsh_numel(v) ? v->offset - b->offset : 0;
}

/* Elements of t that share memory (stride 0, overlapping windows)? */
static bool overlaps(int nd, const int64_t *shape, const int64_t *stride)
{
    int order[TSH_MAX_DIMS], m = 0;
    for (int d = 0; d < nd; d++) {
        if (shape[d] == 0) return false;
        if (shape[d] > 1) order[m++] = d;
    }
    for (int a = 1; a < m; a++) /* by stride, a handful of dims */
        for (int c = a; c > 0 && stride[order[c]] < stride[order[c - 1]]; c--) {
            int x = order[c];
            order[c] = order[c - 1];
            order[c - 1] = x;
        }
    int64_t extent = 1; /* one past the furthest element of the dims so far */
    for (int k = 0; k < m; k++) {
        int d = order[k];
        if (stride[d] < extent) return true;
        extent += (shape[d] - 1) * stride[d];
    }
    return false;
}

/* A buffer laid out as the base (its shape and strides), and the view's
 * region in it; zeroed when asked. */
static tsh_status geom_alloc(const view_geom *gm, const tsh_tensor *like, bool zero, tsh_tensor **base,
                             tsh_tensor **region)
{
    int64_t extent = 1, vend = gm->voff + 1;
    for (int d = 0; d < gm->bnd; d++) extent += (gm->bshape[d] - 1) * gm->bstride[d];
    for (int d = 0; d < gm->vnd; d++) vend += (gm->vshape[d] - 1) * gm->vstride[d];
    if (tsh_shape_numel(gm->bnd, gm->bshape) == 0) extent = 0;
    if (vend > extent) extent = vend;
    tsh_tensor *flat;
    *base = *region = NULL;
    TSH_TRY(zero ? tsh_grad_zeros(like, 1, &extent, &flat)
                 : tsh_tensor_empty(1, &extent, like->dtype, like->storage->device, &flat));
    tsh_status st = tsh_tensor_view(flat, gm->bnd, gm->bshape, gm->bstride, 0, base);
    if (st == TSH_OK) st = tsh_tensor_view(flat, gm->vnd, gm->vshape, gm->vstride, gm->voff, region);
    tsh_tensor_release(flat);
    if (st != TSH_OK) {
        tsh_tensor_release(*base);
        *base = NULL;
    }
    return st;
}

/* ---- stale views: AsStridedBackward0 ---- */

/* The view's gradient lands in its place in a zero base-shaped gradient. */
static tsh_status as_strided_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    const view_geom *gm = n->ctx;
    if (overlaps(gm->vnd, gm->vshape, gm->vstride))
        return tsh_fail(TSH_ERR_NOTIMPL, "backward: an expanded or unfolded view of a tensor that was "
                                         "later changed in place cannot pass gradients; make the view "
                                         "after the in-place change");
    tsh_tensor *b, *r;
    TSH_TRY(geom_alloc(gm, g, true, &b, &r));
    tsh_status st = tsh_copy_(r, g);
    tsh_tensor_release(r);
    if (st != TSH_OK) {
        tsh_tensor_release(b);
        return st;
    }
    grads[0] = b;
    return TSH_OK;
}

tsh_status tsh_view_refresh(tsh_tensor *t)
{
    tsh_autograd *ag = t->ag;
    tsh_tensor *b = ag->base;
    tsh_node *bfn = b->ag ? b->ag->grad_fn : NULL;
    if (tsh_requires_grad(b)) {
        view_geom *gm = malloc(sizeof *gm);
        if (!gm) return tsh_fail(TSH_ERR_OOM, "out of memory");
        geom_of(gm, b, t);
        tsh_node *n;
        tsh_status st = tsh_node_new_unchecked("AsStridedBackward0", as_strided_backward, 1, &b, &n);
        if (st != TSH_OK) {
            free(gm);
            return st;
        }
        n->ctx = gm;
        n->ctx_free = free;
        TSH_TRY(tsh_node_attach(n, t));
    } else if (ag->grad_fn) { /* the base left the graph (detach_) */
        tsh_node_release(ag->grad_fn);
        ag->grad_fn = NULL;
        ag->requires_grad = false;
    }
    if (bfn) bfn->refcount++;
    tsh_node_release(ag->base_fn);
    ag->base_fn = bfn;
    return TSH_OK;
}

/* ---- in-place writes ---- */

tsh_status tsh_grad_inplace_begin(const char *op, tsh_tensor *t, int n, tsh_tensor *const *inputs,
                                  bool *record)
{
    *record = false;
    if (!tsh_grad_enabled() || !tsh_dtype_is_float(t->dtype)) return TSH_OK;
    if (!tsh_ag_needed(1, &t) && !tsh_ag_needed(n, inputs)) return TSH_OK;
    TSH_TRY(tsh_ag_check_inplace(t, op));
    tsh_tensor *b = root_of(t);
    if (overlaps(t->ndim, t->shape, t->stride) || (b != t && overlaps(b->ndim, b->shape, b->stride)))
        return tsh_fail(TSH_ERR_ARG, "%s: more than one element of the tensor written in place refers "
                                     "to a single memory location (an expanded or unfolded view); "
                                     "clone() it first", op);
    *record = true;
    return TSH_OK;
}

typedef struct copy_slices {
    tsh_node *inner; /* the in-place op's node, as if on the view alone */
    view_geom gm;
} copy_slices;

static void copy_slices_free(void *p)
{
    copy_slices *c = p;
    tsh_node_release(c->inner);
    free(c);
}

/* The base's gradient g: outside the view it passes to the base's old
 * history as is; inside, the in-place op's rule maps it to the view's old
 * values (placed back in the region) and to the op's other inputs. */
static tsh_status copy_slices_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    copy_slices *c = n->ctx;
    tsh_node *inner = c->inner;
    tsh_tensor *unused;
    TSH_TRY(tsh_node_saved(n, 0, &unused)); /* refuses a second backward */
    tsh_tensor *res, *region, *gi = NULL, *ig[TSH_NODE_MAX_IN] = {NULL}, *r0 = NULL;
    TSH_TRY(geom_alloc(&c->gm, g, false, &res, &region));
    tsh_status st = tsh_copy_(res, g);
    /* a copy: rules may return their gradient itself, and the region is
     * overwritten below */
    if (st == TSH_OK) st = tsh_clone(region, &gi);
    if (st == TSH_OK) st = inner->backward(inner, gi, ig);
    if (st == TSH_OK) {
        if (ig[0]) {
            st = tsh_sum_to_shape(ig[0], inner->in_ndim[0], inner->in_shape[0], &r0);
            if (st == TSH_OK) st = tsh_copy_(region, r0);
        } else {
            st = tsh_fill_(region, 0);
        }
    }
    for (int k = 1; k < TSH_NODE_MAX_IN; k++) {
        grads[k] = st == TSH_OK ? ig[k] : NULL;
        if (st != TSH_OK) tsh_tensor_release(ig[k]);
    }
    tsh_tensor_release(ig[0]);
    tsh_tensor_release(r0);
    tsh_tensor_release(gi);
    tsh_tensor_release(region);
    if (st != TSH_OK) {
        tsh_tensor_release(res);
        return st;
    }
    grads[0] = res;
    return TSH_OK;
}

tsh_status tsh_grad_inplace_commit(tsh_tensor *t, tsh_node *node)
{
    if (!t->ag || !t->ag->base) return tsh_node_attach(node, t);
    /* the node of the op saves its output (the view), as attaching it would */
    if (node->save_output) {
        tsh_tensor *alias = NULL;
        int slot = node->save_output - 1;
        tsh_status st = tsh_detach(t, &alias);
        if (st != TSH_OK) {
            tsh_node_release(node);
            return st;
        }
        tsh_tensor_release(node->saved[slot]);
        node->saved[slot] = alias;
        node->saved_version[slot] = t->storage->version;
        node->save_output = 0;
    }
    tsh_tensor *b = t->ag->base;
    copy_slices *c = malloc(sizeof *c);
    if (!c) {
        tsh_node_release(node);
        return tsh_fail(TSH_ERR_OOM, "out of memory");
    }
    c->inner = node;
    geom_of(&c->gm, b, t);
    tsh_tensor *ins[TSH_NODE_MAX_IN] = {b};
    tsh_node *cs;
    /* the base's stamp is behind by this very write: the op's node, made
     * before it, checked that nothing else wrote there */
    tsh_status st = tsh_node_new_unchecked("CopySlices", copy_slices_backward, node->n_in, ins, &cs);
    if (st != TSH_OK) {
        copy_slices_free(c);
        return st;
    }
    cs->ctx = c;
    cs->ctx_free = copy_slices_free;
    for (int k = 1; k < node->n_in; k++) {
        cs->next[k] = node->next[k];
        if (cs->next[k]) cs->next[k]->refcount++;
        cs->in_ndim[k] = node->in_ndim[k];
        memcpy(cs->in_shape[k], node->in_shape[k], sizeof cs->in_shape[k]);
        cs->in_dtype[k] = node->in_dtype[k];
    }
    /* t itself is now stale: its next use rebuilds its grad_fn from cs */
    return tsh_node_attach(cs, b);
}

/* ---- copy_ and fill_ ---- */

/* the old values are overwritten: no gradient; src gets g (the engine sums
 * it to src's shape and casts it to src's dtype) */
static tsh_status copy_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    if (n->n_in > 1 && n->next[1]) grads[1] = tsh_tensor_retain(g);
    return TSH_OK;
}

static tsh_status write_recorded(const char *opname, tsh_tensor *t, int n, tsh_tensor *const *ins,
                                 const char *name,
                                 tsh_status (*write)(tsh_tensor *, tsh_tensor *, tsh_op, const tsh_kargs *),
                                 tsh_tensor *src, tsh_op op, const tsh_kargs *a)
{
    bool rec;
    TSH_TRY(tsh_grad_inplace_begin(opname, t, n - 1, ins + 1, &rec));
    tsh_node *node = NULL;
    /* unrecorded writes still may not touch a leaf (or a view of one) */
    if (!rec) TSH_TRY(tsh_ag_check_inplace(t, opname));
    else TSH_TRY(tsh_node_new(name, copy_backward, n, ins, &node));
    bool was = tsh_grad_pause();
    tsh_status st = write(t, src, op, a);
    tsh_set_grad_enabled(was);
    if (!rec) return st;
    if (st != TSH_OK) {
        tsh_node_release(node);
        return st;
    }
    return tsh_grad_inplace_commit(t, node);
}

static tsh_status do_copy(tsh_tensor *t, tsh_tensor *src, tsh_op op, const tsh_kargs *a)
{
    (void)op, (void)a;
    return tsh_copy_(t, src);
}

static tsh_status do_dispatch(tsh_tensor *t, tsh_tensor *src, tsh_op op, const tsh_kargs *a)
{
    (void)t, (void)src;
    return tsh_dispatch(op, a);
}

tsh_status tsh_grad_copy_(tsh_tensor *dst, tsh_tensor *src)
{
    tsh_tensor *ins[2] = {dst, src};
    return write_recorded("copy_", dst, 2, ins, "CopyBackwards", do_copy, src, TSH_OP_COPY, NULL);
}

tsh_status tsh_grad_overwrite_(const char *opname, const char *name, tsh_op op, const tsh_kargs *a)
{
    tsh_tensor *t = a->out;
    return write_recorded(opname, t, 1, &t, name, do_dispatch, NULL, op, a);
}
