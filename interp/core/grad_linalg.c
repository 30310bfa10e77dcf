/* grad_linalg.c: backward rules of the matrix products (matmul in every
 * rank combination, mm, bmm, mv, dot, outer, addmm), diag and trace.
 * A product's backward is two products with transposed views, so BLAS
 * reads the saved operands in place; batch dims that were broadcast are
 * summed by the engine (tsh_sum_to_shape). Rules run with grad mode off. */
#include "grad_linalg.h"

#include "linalg.h"
#include "mathops.h"

/* t with its last two dims swapped (a view). */
static tsh_status tr(tsh_tensor *t, tsh_tensor **out)
{
    return tsh_transpose(t, t->ndim - 2, t->ndim - 1, out);
}

/* op(x, tr(y)) or op(tr(x), y), as asked */
static tsh_status with_tr(tsh_status (*op)(tsh_tensor *, tsh_tensor *, tsh_tensor **), tsh_tensor *x,
                          bool tx, tsh_tensor *y, bool ty, tsh_tensor **out)
{
    tsh_tensor *xt = NULL, *yt = NULL;
    tsh_status st = tx ? tr(x, &xt) : TSH_OK;
    if (st == TSH_OK && ty) st = tr(y, &yt);
    if (st == TSH_OK) st = op(xt ? xt : x, yt ? yt : y, out);
    tsh_tensor_release(xt);
    tsh_tensor_release(yt);
    return st;
}

/* A matrix (or batch of them) stored transposed: a weight used as w:t(). */
static bool transposed_layout(const tsh_tensor *t)
{
    int nd = t->ndim;
    if (nd < 2 || tsh_is_contiguous(t)) return false;
    int64_t expect = 1;
    for (int d = nd - 1; d >= 0; d--) {
        int e = d == nd - 1 ? nd - 2 : d == nd - 2 ? nd - 1 : d; /* the dims in memory order */
        if (t->shape[e] != 1 && t->stride[e] != expect) return false;
        expect *= t->shape[e];
    }
    return true;
}

/* op(x', y') with x' = x^T when tx (y' likewise); for the gradient of an
 * operand stored transposed (transposed_layout, noted at record time) the
 * product is computed transposed,
 * (y'^T x'^T)^T, so that its gradient needs no copy to match its layout
 * (the same GEMM either way). */
static tsh_status prod_like(tsh_status (*op)(tsh_tensor *, tsh_tensor *, tsh_tensor **), tsh_tensor *x,
                            bool tx, tsh_tensor *y, bool ty, bool transposed, tsh_tensor **out)
{
    if (!transposed) return with_tr(op, x, tx, y, ty, out);
    tsh_tensor *r;
    TSH_TRY(with_tr(op, y, !ty, x, !tx, &r));
    tsh_status st = tr(r, out);
    tsh_tensor_release(r);
    return st;
}

static tsh_status scale_(tsh_tensor *t, double s)
{
    if (s == 1) return TSH_OK;
    tsh_stack_scalar sc;
    tsh_scalar v = {.kind = TSH_SCALAR_FLOAT, .f = s};
    return tsh_binary(TSH_OP_MUL, t, tsh_stack_scalar_init(&sc, &v), NULL, t, NULL);
}

/* x in g's dtype (outer promotes its operands; the gradient is in the result's dtype) */
static tsh_status as_dtype_of(tsh_tensor *x, const tsh_tensor *g, tsh_tensor **out)
{
    return tsh_to_dtype(x, g->dtype, out);
}

/* (..., m, k) @ (k, n) or (k): batch dims were folded into rows, so b's
 * gradient is one GEMM of the folded a and g. */
static tsh_status fold_grad_b(tsh_tensor *a, tsh_tensor *g, int nb, bool bt, tsh_tensor **gb)
{
    int64_t k = a->shape[a->ndim - 1], rows = tsh_shape_numel(a->ndim - 1, a->shape);
    int64_t n = nb == 2 ? g->shape[g->ndim - 1] : 1;
    int64_t as[2] = {rows, k}, gs[2] = {rows, n};
    tsh_tensor *a2 = NULL, *g2 = NULL, *r = NULL;
    tsh_status st = tsh_reshape(a, 2, as, &a2);
    if (st == TSH_OK) st = tsh_reshape(g, 2, gs, &g2);
    if (st == TSH_OK) st = prod_like(tsh_mm, a2, true, g2, false, bt && nb == 2, &r);
    if (st == TSH_OK && nb == 1) {
        tsh_tensor *v;
        st = tsh_reshape(r, 1, &k, &v);
        tsh_tensor_release(r);
        r = st == TSH_OK ? v : NULL;
    }
    tsh_tensor_release(a2);
    tsh_tensor_release(g2);
    if (st == TSH_OK) *gb = r;
    return st;
}

/* Any ranks: 1-d operands become a row (a) or a column (b), g gets the
 * dims the result dropped back, and the two products broadcast as the
 * forward did; the engine sums the batch dims an operand did not have. */
static tsh_status matmul_backward(tsh_node *n, tsh_tensor *a, tsh_tensor *b, tsh_tensor *g, tsh_tensor **grads)
{
    int na = n->in_ndim[0], nb = n->in_ndim[1];
    int64_t k = n->in_shape[0][na - 1];
    int nbatch = g->ndim - (na > 1) - (nb > 1);
    tsh_tensor *g2 = tsh_tensor_retain(g), *a2 = NULL, *b2 = NULL, *t = NULL;
    tsh_status st = TSH_OK;
    if (na == 1) {
        st = tsh_unsqueeze(g2, nbatch, &t);
        tsh_tensor_release(g2);
        g2 = t;
    }
    if (st == TSH_OK && nb == 1) {
        st = tsh_unsqueeze(g2, g2->ndim, &t);
        tsh_tensor_release(g2);
        g2 = t;
    }
    if (st == TSH_OK && a) st = na == 1 ? tsh_view(a, 2, (int64_t[]){1, k}, &a2) : (a2 = tsh_tensor_retain(a), TSH_OK);
    if (st == TSH_OK && b) st = nb == 1 ? tsh_view(b, 2, (int64_t[]){k, 1}, &b2) : (b2 = tsh_tensor_retain(b), TSH_OK);
    if (st == TSH_OK && b2) { /* grad of a = g @ b^T */
        st = with_tr(tsh_matmul, g2, false, b2, true, &grads[0]);
        if (st == TSH_OK && na == 1) {
            st = tsh_squeeze(grads[0], grads[0]->ndim - 2, &t);
            tsh_tensor_release(grads[0]);
            grads[0] = t;
        }
    }
    if (st == TSH_OK && a2) { /* grad of b = a^T @ g */
        if (na >= 3 && nb <= 2) {
            st = fold_grad_b(a, g2, nb, n->i[2] != 0, &grads[1]);
        } else {
            st = with_tr(tsh_matmul, a2, true, g2, false, &grads[1]);
            if (st == TSH_OK && nb == 1) {
                st = tsh_squeeze(grads[1], grads[1]->ndim - 1, &t);
                tsh_tensor_release(grads[1]);
                grads[1] = t;
            }
        }
    }
    tsh_tensor_release(g2);
    tsh_tensor_release(a2);
    tsh_tensor_release(b2);
    return st;
}

static tsh_status product_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    /* a is saved when b needs a gradient, b when a does */
    tsh_tensor *a = NULL, *b = NULL, *x = NULL;
    TSH_TRY(tsh_node_saved(n, 0, &a));
    TSH_TRY(tsh_node_saved(n, 1, &b));
    bool ga = n->next[0] != NULL, gb = n->next[1] != NULL;
    tsh_status st = TSH_OK;
    switch ((tsh_product_kind)n->i[0]) {
    case TSH_PRODUCT_DOT: /* g is 0-dim */
        if (ga) st = tsh_binary(TSH_OP_MUL, g, b, NULL, NULL, &grads[0]);
        if (st == TSH_OK && gb) st = tsh_binary(TSH_OP_MUL, g, a, NULL, NULL, &grads[1]);
        return st;
    case TSH_PRODUCT_MV:
        if (ga) st = tsh_outer(g, b, &grads[0]);
        if (st == TSH_OK && gb) st = with_tr(tsh_mv, a, true, g, false, &grads[1]);
        return st;
    case TSH_PRODUCT_MM:
        if (ga) st = prod_like(tsh_mm, g, false, b, true, n->i[1] != 0, &grads[0]);
        if (st == TSH_OK && gb) st = prod_like(tsh_mm, a, true, g, false, n->i[2] != 0, &grads[1]);
        return st;
    case TSH_PRODUCT_BMM:
        if (ga) st = prod_like(tsh_bmm, g, false, b, true, n->i[1] != 0, &grads[0]);
        if (st == TSH_OK && gb) st = prod_like(tsh_bmm, a, true, g, false, n->i[2] != 0, &grads[1]);
        return st;
    case TSH_PRODUCT_OUTER:
        if (ga) {
            st = as_dtype_of(b, g, &x);
            if (st == TSH_OK) st = tsh_mv(g, x, &grads[0]);
            tsh_tensor_release(x);
        }
        if (st == TSH_OK && gb) {
            x = NULL;
            st = as_dtype_of(a, g, &x);
            if (st == TSH_OK) st = with_tr(tsh_mv, g, true, x, false, &grads[1]);
            tsh_tensor_release(x);
        }
        return st;
    case TSH_PRODUCT_MATMUL: return matmul_backward(n, gb ? a : NULL, ga ? b : NULL, g, grads);
    }
    return tsh_fail(TSH_ERR_ARG, "product_backward: unknown kind");
}

tsh_status tsh_grad_product(tsh_product_kind kind, tsh_tensor *a, tsh_tensor *b, tsh_tensor **out)
{
    static const char *const names[] = {"MatmulBackward0", "MmBackward0", "BmmBackward0",
                                        "MvBackward0", "DotBackward0", "OuterBackward0"};
    /* matmul of these ranks is exactly one of the special products */
    if (kind == TSH_PRODUCT_MATMUL) {
        if (a->ndim == 1 && b->ndim == 1) kind = TSH_PRODUCT_DOT;
        else if (a->ndim == 2 && b->ndim == 1) kind = TSH_PRODUCT_MV;
        else if (a->ndim == 2 && b->ndim == 2) kind = TSH_PRODUCT_MM;
    }
    tsh_tensor *ins[2] = {a, b};
    tsh_node *n;
    tsh_status st = tsh_node_new(names[kind], product_backward, 2, ins, &n);
    if (st == TSH_OK) {
        n->i[0] = kind;
        n->i[1] = transposed_layout(a);
        n->i[2] = transposed_layout(b);
        if (n->next[1]) st = tsh_node_save(n, 0, a);
        if (st == TSH_OK && n->next[0]) st = tsh_node_save(n, 1, b);
        if (st == TSH_OK) st = tsh_node_attach(n, *out);
        else tsh_node_release(n);
    }
    if (st != TSH_OK) {
        tsh_tensor_release(*out);
        *out = NULL;
    }
    return st;
}

/* beta * input + alpha * m1 @ m2 */
static tsh_status addmm_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    tsh_tensor *m1, *m2;
    double beta = n->f[0], alpha = n->f[1];
    TSH_TRY(tsh_node_saved(n, 0, &m1));
    TSH_TRY(tsh_node_saved(n, 1, &m2));
    tsh_status st = TSH_OK;
    if (n->next[0]) {
        if (beta == 1) {
            grads[0] = tsh_tensor_retain(g);
        } else {
            st = tsh_clone(g, &grads[0]);
            if (st == TSH_OK) st = scale_(grads[0], beta);
        }
    }
    if (st == TSH_OK && n->next[1]) {
        st = prod_like(tsh_mm, g, false, m2, true, n->i[1] != 0, &grads[1]);
        if (st == TSH_OK) st = scale_(grads[1], alpha);
    }
    if (st == TSH_OK && n->next[2]) {
        st = prod_like(tsh_mm, m1, true, g, false, n->i[2] != 0, &grads[2]);
        if (st == TSH_OK) st = scale_(grads[2], alpha);
    }
    return st;
}

tsh_status tsh_grad_addmm(tsh_tensor *input, tsh_tensor *m1, tsh_tensor *m2, double beta, double alpha,
                          tsh_tensor **out)
{
    tsh_tensor *ins[3] = {input, m1, m2};
    tsh_node *n;
    tsh_status st = tsh_node_new("AddmmBackward0", addmm_backward, 3, ins, &n);
    if (st == TSH_OK) {
        n->f[0] = beta;
        n->f[1] = alpha;
        n->i[1] = transposed_layout(m1);
        n->i[2] = transposed_layout(m2);
        if (n->next[2]) st = tsh_node_save(n, 0, m1);
        if (st == TSH_OK && n->next[1]) st = tsh_node_save(n, 1, m2);
        if (st == TSH_OK) st = tsh_node_attach(n, *out);
        else tsh_node_release(n);
    }
    if (st != TSH_OK) {
        tsh_tensor_release(*out);
        *out = NULL;
    }
    return st;
}

/* Zeros of the 2-d input's shape with `src` (1-d, or 0-dim broadcast)
 * written on diagonal k. */
static tsh_status onto_diagonal(tsh_node *n, tsh_tensor *g, tsh_tensor *src, int64_t k, tsh_tensor **out)
{
    int64_t r = n->in_shape[0][0], c = n->in_shape[0][1];
    int64_t len = k >= 0 ? (c - k < r ? c - k : r) : (r + k < c ? r + k : c);
    if (len < 0) len = 0;
    int64_t stride = c + 1, off = len == 0 ? 0 : k >= 0 ? k : -k * c;
    tsh_tensor *z, *d = NULL;
    TSH_TRY(tsh_grad_zeros(g, 2, n->in_shape[0], &z));
    tsh_status st = tsh_tensor_view(z, 1, &len, &stride, off, &d);
    if (st == TSH_OK && len > 0) st = tsh_copy_(d, src);
    tsh_tensor_release(d);
    if (st != TSH_OK) {
        tsh_tensor_release(z);
        return st;
    }
    *out = z;
    return TSH_OK;
}

static tsh_status diag_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    int64_t k = n->i[0];
    if (n->in_ndim[0] == 1) return tsh_diag(g, k, &grads[0]); /* the diagonal it was put on */
    return onto_diagonal(n, g, g, k, &grads[0]);
}

static tsh_status trace_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    return onto_diagonal(n, g, g, 0, &grads[0]);
}

static tsh_status record_unary(const char *name, tsh_backward_fn bw, tsh_tensor *t, int64_t k,
                               tsh_tensor **out)
{
    tsh_node *n;
    tsh_status st = tsh_node_new(name, bw, 1, &t, &n);
    if (st == TSH_OK) {
        n->i[0] = k;
        st = tsh_node_attach(n, *out);
    }
    if (st != TSH_OK) {
        tsh_tensor_release(*out);
        *out = NULL;
    }
    return st;
}

tsh_status tsh_grad_diag(tsh_tensor *t, int64_t k, tsh_tensor **out)
{
    return record_unary("DiagBackward0", diag_backward, t, k, out);
}

tsh_status tsh_grad_trace(tsh_tensor *t, tsh_tensor **out)
{
    return record_unary("TraceBackward0", trace_backward, t, 0, out);
}
