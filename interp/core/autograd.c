/* autograd.c: the engine: grad mode, per-tensor state, graph nodes, and the
 * backward pass (topological order, gradient sums per node, accumulation
 * into leaves, tape dropped afterwards). Rules for each op live with the
 * op families (grad_*.c). */
#include "autograd.h"

#include <stdlib.h>
#include <string.h>

#include "front.h"
#include "grad_view.h"
#include "mathops.h"
#include "reduce.h"

static _Thread_local bool grad_disabled;

bool tsh_grad_enabled(void) { return !grad_disabled; }
void tsh_set_grad_enabled(bool on) { grad_disabled = !on; }

static void ag_free(tsh_autograd *ag);

/* Nodes come and go with every recorded op; a per-thread free list keeps
 * malloc off that path and hands back memory that is still in cache. */
#define NODE_CACHE 4096
static _Thread_local tsh_node *free_nodes;
static _Thread_local int n_free_nodes;

static tsh_node *node_alloc(void)
{
    tsh_node *n = free_nodes;
    if (!n) return calloc(1, sizeof *n);
    free_nodes = n->gc_next;
    n_free_nodes--;
    memset(n, 0, sizeof *n);
    return n;
}

static void node_free(tsh_node *n)
{
    if (n_free_nodes >= NODE_CACHE) {
        free(n);
        return;
    }
    n->gc_next = free_nodes;
    free_nodes = n;
    n_free_nodes++;
}

static tsh_autograd *ag_of(tsh_tensor *t)
{
    if (!t->ag) {
        t->ag = calloc(1, sizeof *t->ag);
        tsh_autograd_free_hook = ag_free;
    }
    return t->ag;
}

/* A view whose base's history changed in place gets its grad_fn rebuilt
 * before anyone looks at it (grad_view.c). Failing that (out of memory)
 * leaves the old one. */
static void sync_view(const tsh_tensor *t)
{
    if (t && tsh_view_is_stale(t)) (void)tsh_view_refresh((tsh_tensor *)t);
}

tsh_autograd *tsh_ag_state(tsh_tensor *t) { return ag_of(t); }

bool tsh_requires_grad(const tsh_tensor *t)
{
    sync_view(t);
    return t && t->ag && t->ag->requires_grad;
}
bool tsh_is_leaf(const tsh_tensor *t)
{
    sync_view(t);
    return !t->ag || !t->ag->grad_fn;
}
tsh_tensor *tsh_grad(const tsh_tensor *t) { return t->ag ? t->ag->grad : NULL; }
tsh_node *tsh_grad_fn(const tsh_tensor *t)
{
    sync_view(t);
    return t->ag ? t->ag->grad_fn : NULL;
}

tsh_status tsh_set_requires_grad(tsh_tensor *t, bool on)
{
    if (!tsh_is_leaf(t))
        return tsh_fail(TSH_ERR_ARG, "requires_grad: you can only change requires_grad of leaf "
                                     "tensors (use detach() to get a leaf)");
    if (on && !tsh_dtype_is_float(t->dtype))
        return tsh_fail(TSH_ERR_DTYPE, "requires_grad: only floating point tensors can require "
                                       "gradients, got %s", tsh_dtype_name(t->dtype));
    if (!on && !t->ag) return TSH_OK;
    tsh_autograd *ag = ag_of(t);
    if (!ag) return tsh_fail(TSH_ERR_OOM, "out of memory");
    ag->requires_grad = on;
    return TSH_OK;
}

tsh_status tsh_set_grad(tsh_tensor *t, tsh_tensor *g)
{
    if (g && (!tsh_same_shape(g, t) || g->dtype != t->dtype)) {
        char a[128], b[128];
        return tsh_fail(TSH_ERR_SHAPE, "grad: assigned grad of %s %s does not match the tensor's %s %s",
                        tsh_dtype_name(g->dtype), tsh_shape_str(a, sizeof a, g->ndim, g->shape),
                        tsh_dtype_name(t->dtype), tsh_shape_str(b, sizeof b, t->ndim, t->shape));
    }
    if (!g && !t->ag) return TSH_OK;
    tsh_autograd *ag = ag_of(t);
    if (!ag) return tsh_fail(TSH_ERR_OOM, "out of memory");
    tsh_tensor_retain(g);
    tsh_tensor_release(ag->grad);
    ag->grad = g;
    return TSH_OK;
}

tsh_status tsh_retain_grad(tsh_tensor *t)
{
    sync_view(t);
    if (tsh_is_leaf(t)) {
        if (!tsh_requires_grad(t))
            return tsh_fail(TSH_ERR_ARG, "retain_grad: can't retain_grad on a tensor that has "
                                         "requires_grad=false");
        return TSH_OK; /* leaves keep their grad anyway */
    }
    t->ag->retains_grad = true;
    t->ag->grad_fn->retain = t;
    return TSH_OK;
}

tsh_status tsh_detach(tsh_tensor *t, tsh_tensor **out)
{
    return tsh_tensor_view(t, t->ndim, t->shape, t->stride, t->offset, out);
}

/* Nodes whose count reached zero, freed by the outermost release. Freeing a
 * node releases its saved tensors, which may free their own grad_fn, and so
 * on down a chain of any depth: a worklist instead of recursion keeps long
 * graphs (a training loop without backward) off the C stack. */
static _Thread_local tsh_node *release_list;
static _Thread_local bool releasing;

void tsh_node_release(tsh_node *n)
{
    if (!n || --n->refcount > 0) return;
    n->gc_next = release_list;
    release_list = n;
    if (releasing) return;
    releasing = true;
    while (release_list) {
        n = release_list;
        release_list = n->gc_next;
        for (int k = 0; k < TSH_NODE_MAX_SAVED; k++) tsh_tensor_release(n->saved[k]);
        tsh_tensor_release(n->buffer);
        if (n->leaf) {
            if (n->leaf->ag && n->leaf->ag->acc == n) n->leaf->ag->acc = NULL;
            tsh_tensor_release(n->leaf);
        }
        if (n->ctx_free) n->ctx_free(n->ctx);
        for (int k = 0; k < n->n_in; k++) {
            tsh_node *m = n->next[k];
            if (m && --m->refcount == 0) {
                m->gc_next = release_list;
                release_list = m;
            }
        }
        node_free(n);
    }
    releasing = false;
}

static void ag_free(tsh_autograd *ag)
{
    tsh_tensor_release(ag->grad);
    tsh_tensor_release(ag->base);
    tsh_node_release(ag->base_fn);
    if (ag->grad_fn) {
        if (ag->grad_fn->retain) ag->grad_fn->retain = NULL;
        tsh_node_release(ag->grad_fn);
    }
    free(ag);
}

static void acc_noop(void) {}

/* The node a gradient for input t flows into: its grad_fn, or for a leaf
 * that requires grad its accumulate node (made once, shared); NULL when t
 * needs no gradient. `check`: refuse a non-leaf whose storage was written
 * since its grad_fn was made, by a write no node recorded (its history
 * would describe other values than the ones the op reads). A view answers
 * for its base: every recorded write through any view of the base gives
 * the base a new history and stamp (grad_view.h). */
static tsh_status edge_of(tsh_tensor *t, bool check, const char *opname, tsh_node **out)
{
    *out = NULL;
    sync_view(t);
    if (!t || !t->ag || !t->ag->requires_grad) return TSH_OK;
    if (t->ag->grad_fn) {
        const tsh_tensor *s = t->ag->base ? t->ag->base : t;
        if (check && s->ag && s->ag->grad_fn && s->ag->version != s->storage->version)
            return tsh_fail(TSH_ERR_ARG, "%s: an input that requires grad was modified in place "
                                         "after it was computed, by a write autograd did not record "
                                         "(through another view of its storage, or a detached "
                                         "alias); its gradient would be wrong: compute it again, "
                                         "or clone() it before changing it", opname);
        t->ag->grad_fn->refcount++;
        *out = t->ag->grad_fn;
        return TSH_OK;
    }
    if (t->ag->acc) {
        t->ag->acc->refcount++;
        *out = t->ag->acc;
        return TSH_OK;
    }
    tsh_node *n = node_alloc();
    if (!n) return tsh_fail(TSH_ERR_OOM, "out of memory");
    n->refcount = 1;
    n->name = "AccumulateGrad";
    n->backward = (tsh_backward_fn)(void (*)(void))acc_noop;
    n->leaf = tsh_tensor_retain(t);
    t->ag->acc = n;
    *out = n;
    return TSH_OK;
}

bool tsh_ag_needed(int n, tsh_tensor *const *inputs)
{
    if (grad_disabled) return false;
    for (int k = 0; k < n; k++) {
        tsh_tensor *t = inputs[k];
        if (!t || !t->ag) continue;
        if (t->ag->base) sync_view(t);
        if (t->ag->requires_grad) return true;
    }
    return false;
}

static tsh_status node_new(const char *name, tsh_backward_fn bw, int n, tsh_tensor *const *inputs,
                           bool check, tsh_node **out)
{
    tsh_node *node = node_alloc();
    if (!node) return tsh_fail(TSH_ERR_OOM, "out of memory");
    node->refcount = 1;
    node->name = name;
    node->backward = bw;
    node->n_in = n;
    for (int k = 0; k < n; k++) {
        tsh_tensor *t = inputs[k];
        if (!t) continue;
        tsh_status st = edge_of(t, check, name, &node->next[k]);
        if (st != TSH_OK) {
            tsh_node_release(node);
            return st;
        }
        node->in_ndim[k] = t->ndim;
        memcpy(node->in_shape[k], t->shape, sizeof node->in_shape[k]);
        node->in_dtype[k] = t->dtype;
    }
    *out = node;
    return TSH_OK;
}

tsh_status tsh_node_new(const char *name, tsh_backward_fn bw, int n, tsh_tensor *const *inputs,
                        tsh_node **out)
{
    return node_new(name, bw, n, inputs, true, out);
}

tsh_status tsh_node_new_unchecked(const char *name, tsh_backward_fn bw, int n, tsh_tensor *const *inputs,
                                  tsh_node **out)
{
    return node_new(name, bw, n, inputs, false, out);
}

tsh_status tsh_node_save(tsh_node *n, int slot, tsh_tensor *t)
{
    /* a Lua number may be a tensor on the caller's C stack (mathops.h):
     * keep a copy of it, never a reference */
    if (t && t->wrapped) {
        TSH_TRY(tsh_clone(t, &t));
        t->wrapped = true; /* it still promotes as a number */
    } else {
        tsh_tensor_retain(t);
    }
    n->saved[slot] = t;
    n->saved_version[slot] = t ? t->storage->version : 0;
    return TSH_OK;
}

tsh_status tsh_node_saved(tsh_node *n, int slot, tsh_tensor **t)
{
    if (n->released)
        return tsh_fail(TSH_ERR_ARG, "backward: trying to backward through the graph a second time "
                                     "(or directly access saved tensors after they have already been "
                                     "freed); use backward({retain_graph=true}) the first time");
    tsh_tensor *s = n->saved[slot];
    if (s && s->storage->version != n->saved_version[slot])
        return tsh_fail(TSH_ERR_ARG, "backward: one of the tensors needed for gradient computation "
                                     "(saved by %s) has been modified by an in-place operation",
                        n->name);
    *t = s;
    return TSH_OK;
}

tsh_status tsh_node_attach(tsh_node *n, tsh_tensor *out)
{
    tsh_autograd *ag = ag_of(out);
    if (!ag) {
        tsh_node_release(n);
        return tsh_fail(TSH_ERR_OOM, "out of memory");
    }
    if (n->save_output) {
        /* a detached alias: a reference to out itself would make a cycle
         * (out -> grad_fn -> out) that refcounting never frees */
        tsh_tensor *alias = NULL;
        tsh_status st = tsh_detach(out, &alias);
        if (st != TSH_OK) {
            tsh_node_release(n);
            return st;
        }
        int slot = n->save_output - 1;
        tsh_tensor_release(n->saved[slot]);
        n->saved[slot] = alias;
        n->saved_version[slot] = out->storage->version;
    }
    n->out_ndim = out->ndim;
    memcpy(n->out_shape, out->shape, sizeof n->out_shape);
    n->out_dtype = out->dtype;
    if (ag->grad_fn) {
        /* an in-place op gives out a new history; retain_grad follows it */
        if (ag->grad_fn->retain == out) {
            ag->grad_fn->retain = NULL;
            n->retain = out;
        }
        tsh_node_release(ag->grad_fn);
    }
    ag->grad_fn = n;
    ag->requires_grad = true;
    ag->version = out->storage->version;
    return TSH_OK;
}

void tsh_bump_version(tsh_tensor *t) { t->storage->version++; }

tsh_status tsh_ag_check_inplace(tsh_tensor *t, const char *opname)
{
    if (grad_disabled || !t->ag) return TSH_OK;
    bool rg = tsh_requires_grad(t);
    if (rg && tsh_is_leaf(t))
        return tsh_fail(TSH_ERR_ARG, "%s: a leaf tensor that requires grad is being used in an "
                                     "in-place operation (use tensor.no_grad or detach())",
                        opname);
    /* the view's own node would take the write, but the leaf's .grad would
     * not know its values changed: PyTorch refuses this too */
    tsh_tensor *b = t->ag->base;
    if (b && tsh_requires_grad(b) && tsh_is_leaf(b))
        return tsh_fail(TSH_ERR_ARG, "%s: a view of a leaf tensor that requires grad is being used "
                                     "in an in-place operation (use tensor.no_grad, or clone() the leaf)",
                        opname);
    if (!rg) return TSH_OK;
    /* A view of a leaf reaches the leaf's accumulate node through view
     * nodes (one input each) without leaving the storage; a few steps
     * cover any realistic chain of views. */
    tsh_node *n = t->ag->grad_fn;
    for (int step = 0; n && step < 16; step++) {
        if (n->leaf && n->leaf->storage == t->storage)
            return tsh_fail(TSH_ERR_ARG, "%s: a view of a leaf tensor that requires grad is being "
                                         "used in an in-place operation (wrap it in tensor.no_grad, "
                                         "or clone() the view first)", opname);
        n = n->n_in > 0 ? n->next[0] : NULL;
    }
    return TSH_OK;
}

void tsh_ag_written(tsh_tensor *t)
{
    if (!t->ag) return;
    if (t->ag->grad_fn) t->ag->version = t->storage->version;
    tsh_tensor *b = t->ag->base; /* views answer for their base */
    if (b && b->ag && b->ag->grad_fn) b->ag->version = b->storage->version;
}

tsh_status tsh_sum_to_shape(tsh_tensor *g, int ndim, const int64_t *shape, tsh_tensor **out)
{
    if (g->ndim == ndim && memcmp(g->shape, shape, sizeof(int64_t) * (size_t)ndim) == 0) {
        *out = tsh_tensor_retain(g);
        return TSH_OK;
    }
    /* leading dims g has beyond the target, and dims where the target is 1 */
    int lead = g->ndim - ndim;
    tsh_reduce_spec r = {0, true, -1};
    for (int d = 0; d < g->ndim; d++)
        if (d < lead || (shape[d - lead] == 1 && g->shape[d] != 1)) r.dims |= 1u << d;
    tsh_tensor *s;
    if (r.dims == 0) s = tsh_tensor_retain(g);
    else TSH_TRY(tsh_sum(g, &r, &s));
    tsh_status st = tsh_reshape(s, ndim, shape, out);
    tsh_tensor_release(s);
    return st;
}

/* Adds g into *acc (which may be NULL: then *acc takes g). */
static tsh_status accumulate(tsh_tensor **acc, tsh_tensor *g)
{
    if (!*acc) {
        *acc = tsh_tensor_retain(g);
        return TSH_OK;
    }
    tsh_tensor *sum;
    TSH_TRY(tsh_binary(TSH_OP_ADD, *acc, g, NULL, NULL, &sum));
    tsh_tensor_release(*acc);
    *acc = sum;
    return TSH_OK;
}

/* Depth-first post-order over the graph, iterative. */
typedef struct { tsh_node **v; int n, cap; } node_vec;

static tsh_status push(node_vec *v, tsh_node *n)
{
    if (v->n == v->cap) {
        int cap = v->cap ? v->cap * 2 : 64;
        tsh_node **nv = realloc(v->v, sizeof *nv * (size_t)cap);
        if (!nv) return tsh_fail(TSH_ERR_OOM, "out of memory");
        v->v = nv;
        v->cap = cap;
    }
    v->v[v->n++] = n;
    return TSH_OK;
}

/* Orders the nodes reachable from root so that each comes after every node
 * that sends it a gradient: count incoming edges, then Kahn's algorithm. */
static tsh_status topo_order(tsh_node *root, node_vec *order)
{
    static unsigned walk;
    unsigned mark = ++walk;
    node_vec stack = {0};
    root->mark = mark;
    root->deps = 0;
    tsh_status st = push(&stack, root);
    while (st == TSH_OK && stack.n) {
        tsh_node *n = stack.v[--stack.n];
        for (int k = 0; k < n->n_in && st == TSH_OK; k++) {
            tsh_node *m = n->next[k];
            if (!m) continue;
            if (m->mark != mark) {
                m->mark = mark;
                m->deps = 0;
                st = push(&stack, m);
            }
            m->deps++;
        }
    }
    stack.n = 0;
    if (st == TSH_OK) st = push(&stack, root);
    while (st == TSH_OK && stack.n) {
        tsh_node *n = stack.v[--stack.n];
        st = push(order, n);
        for (int k = 0; k < n->n_in && st == TSH_OK; k++) {
            tsh_node *m = n->next[k];
            if (m && --m->deps == 0) st = push(&stack, m);
        }
    }
    free(stack.v);
    return st;
}

/* A tensor nothing else refers to, which .grad can take over instead of a
 * copy: contiguous, owning all of its storage, no other reference. */
static bool is_private(const tsh_tensor *t)
{
    return t->refcount == 1 && t->storage->refcount == 1 && !t->ag && t->offset == 0 &&
           tsh_is_contiguous(t) &&
           (size_t)tsh_numel(t) * tsh_dtype_size(t->dtype) == t->storage->nbytes;
}

/* Adds g into *grad (a .grad), in place as PyTorch does (whoever holds the
 * old .grad sees the sum), or takes g over when there is none yet. */
static tsh_status accumulate_grad(tsh_tensor **grad, tsh_tensor *g)
{
    tsh_tensor *old = *grad;
    if (!old) {
        if (is_private(g)) {
            *grad = tsh_tensor_retain(g);
            return TSH_OK;
        }
        /* a fresh tensor the user may change in place without changing
         * any other tensor */
        return tsh_clone(g, grad);
    }
    bool expanded = false;
    for (int d = 0; d < old->ndim; d++) expanded |= old->shape[d] > 1 && old->stride[d] == 0;
    if (!expanded) return tsh_binary(TSH_OP_ADD, old, g, NULL, old, NULL);
    tsh_tensor *sum = NULL;
    TSH_TRY(tsh_binary(TSH_OP_ADD, old, g, NULL, NULL, &sum));
    tsh_tensor_release(old);
    *grad = sum;
    return TSH_OK;
}

static void drop_saved(tsh_node *n)
{
    for (int k = 0; k < TSH_NODE_MAX_SAVED; k++) {
        tsh_tensor_release(n->saved[k]);
        n->saved[k] = NULL;
    }
    n->released = true;
}

static tsh_status run_node(tsh_node *n, bool retain_graph)
{
    tsh_tensor *g = n->buffer;
    n->buffer = NULL;
    tsh_status st = TSH_OK;
    if (!g) {
        /* no gradient reached this node: its tape goes all the same */
        if (!retain_graph && !n->leaf) drop_saved(n);
        return TSH_OK;
    }
    if (n->leaf) {
        tsh_tensor *gd = NULL;
        st = tsh_to_dtype(g, n->leaf->dtype, &gd);
        tsh_tensor_release(g);
        if (st == TSH_OK) st = accumulate_grad(&n->leaf->ag->grad, gd);
        tsh_tensor_release(gd);
        return st;
    }
    if (n->retain && n->retain->ag) st = accumulate_grad(&n->retain->ag->grad, g);
    tsh_tensor *grads[TSH_NODE_MAX_IN] = {NULL};
    n->grad_private = is_private(g);
    if (st == TSH_OK) st = n->backward(n, g, grads);
    for (int k = 0; k < n->n_in && st == TSH_OK; k++) {
        if (!grads[k] || !n->next[k]) continue;
        tsh_tensor *r = NULL, *c = NULL;
        st = tsh_sum_to_shape(grads[k], n->in_ndim[k], n->in_shape[k], &r);
        if (st == TSH_OK) st = tsh_to_dtype(r, n->in_dtype[k], &c);
        if (st == TSH_OK) st = accumulate(&n->next[k]->buffer, c);
        tsh_tensor_release(r);
        tsh_tensor_release(c);
    }
    for (int k = 0; k < n->n_in; k++) tsh_tensor_release(grads[k]);
    tsh_tensor_release(g);
    if (!retain_graph) drop_saved(n);
    return st;
}

tsh_status tsh_backward(tsh_tensor *root, tsh_tensor *grad, bool retain_graph)
{
    if (!tsh_requires_grad(root))
        return tsh_fail(TSH_ERR_ARG, "backward: element 0 of tensors does not require grad and "
                                     "does not have a grad_fn");
    tsh_tensor *g = NULL;
    if (grad) {
        if (!tsh_same_shape(grad, root)) {
            char a[128], b[128];
            return tsh_fail(TSH_ERR_SHAPE, "backward: grad of shape %s does not match the tensor's shape %s",
                            tsh_shape_str(a, sizeof a, grad->ndim, grad->shape),
                            tsh_shape_str(b, sizeof b, root->ndim, root->shape));
        }
        g = tsh_tensor_retain(grad);
    } else {
        if (tsh_numel(root) != 1) {
            char a[128];
            return tsh_fail(TSH_ERR_SHAPE, "backward: grad can be implicitly created only for scalar "
                                           "outputs, got shape %s; pass a gradient",
                            tsh_shape_str(a, sizeof a, root->ndim, root->shape));
        }
        TSH_TRY(tsh_full(root->ndim, root->shape, 1.0, root->dtype, root->storage->device, &g));
    }
    bool was = tsh_grad_enabled();
    tsh_set_grad_enabled(false);
    /* a leaf root gets its own accumulate node; the root's own history is
     * used as it is, even if it was changed under no_grad (as PyTorch) */
    tsh_node *start = NULL;
    node_vec order = {0};
    tsh_status st = edge_of(root, false, "backward", &start);
    if (st == TSH_OK) st = topo_order(start, &order);
    if (st == TSH_OK) {
        start->buffer = g;
        g = NULL;
        for (int k = 0; k < order.n && st == TSH_OK; k++) st = run_node(order.v[k], retain_graph);
        if (st == TSH_ERR_INTERRUPT) st = tsh_fail(TSH_ERR_INTERRUPT, "interrupted");
    }
    /* on failure, drop any partial sums so the graph stays usable */
    for (int k = 0; k < order.n; k++) {
        tsh_tensor_release(order.v[k]->buffer);
        order.v[k]->buffer = NULL;
        order.v[k]->deps = 0;
    }
    free(order.v);
    tsh_tensor_release(g);
    tsh_node_release(start);
    tsh_set_grad_enabled(was);
    return st;
}
