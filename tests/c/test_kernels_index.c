/* test_kernels_index.c: the fast indexing kernels against the reference
 * ones, through the front end: every op, every dtype, random shapes in every
 * layout, broadcast masks and operands, empty and 0-d tensors, random
 * (duplicated) indices, and sizes past one chunk so the parallel paths run.
 * Values are not checked here (tests/lua/test_index.lua does that by hand):
 * only that both backends agree. */
#include <stdlib.h>
#include <string.h>

#include "index.h"
#include "kcheck.h"

enum {
    OP_INDEX_SELECT, OP_GATHER, OP_TAKE, OP_SCATTER, OP_SCATTER_VALUE, OP_INDEX_ADD, OP_INDEX_COPY,
    OP_INDEX_FILL, OP_MASKED_FILL_, OP_MASKED_FILL, OP_MASKED_SELECT, OP_MASKED_SCATTER, OP_WHERE,
    OP_NONZERO, OP_INDEX_GET, OP_INDEX_SET, OP_NCASES
};
static const char *names[] = {"index_select", "gather", "take_along_dim", "scatter", "scatter value",
                              "index_add", "index_copy", "index_fill", "masked_fill_", "masked_fill",
                              "masked_select", "masked_scatter", "where", "nonzero", "index get",
                              "index set"};

typedef struct {
    int op, dim, mode;
    kc_layout lay;
    tsh_tensor *t, *idx, *src, *mask, *val, *b;
    tsh_index_spec spec[3];
    int nspec;
} tcase;

/* A fresh tensor with t's values in the same layout, for in-place ops. */
static tsh_status same_layout(const tcase *c, tsh_tensor **out)
{
    tsh_tensor *x = kc_tensor(c->t->ndim, c->t->shape, c->t->dtype, c->lay, 0, 0);
    if (!x) return tsh_fail(TSH_ERR_OOM, "kc_tensor");
    tsh_status st = tsh_copy_(x, c->t);
    if (st != TSH_OK) { tsh_tensor_release(x); return st; }
    *out = x;
    return TSH_OK;
}

static tsh_status run_case(const tcase *c, tsh_tensor **out)
{
    tsh_tensor *x = NULL;
    tsh_status st = TSH_OK;
    switch (c->op) {
    case OP_INDEX_SELECT: return tsh_index_select(c->t, c->dim, c->idx, out);
    case OP_GATHER: return tsh_gather(c->t, c->dim, c->idx, out);
    case OP_TAKE: return tsh_take_along_dim(c->t, c->idx, c->dim, out);
    case OP_MASKED_FILL: return tsh_masked_fill(c->t, c->mask, c->val, out);
    case OP_MASKED_SELECT: return tsh_masked_select(c->t, c->mask, out);
    case OP_WHERE: return tsh_where(c->mask, c->t, c->b, out);
    case OP_NONZERO: return tsh_nonzero(c->t, out);
    case OP_INDEX_GET: return tsh_index_get(c->t, c->nspec, c->spec, out);
    default: break;
    }
    TSH_TRY(same_layout(c, &x));
    switch (c->op) {
    case OP_SCATTER: st = tsh_scatter_(x, c->dim, c->idx, c->src, (tsh_scatter_mode)c->mode); break;
    case OP_SCATTER_VALUE: st = tsh_scatter_value_(x, c->dim, c->idx, c->val, (tsh_scatter_mode)c->mode); break;
    case OP_INDEX_ADD: st = tsh_index_add_(x, c->dim, c->idx, c->src, c->val); break;
    case OP_INDEX_COPY: st = tsh_index_copy_(x, c->dim, c->idx, c->src); break;
    case OP_INDEX_FILL: st = tsh_index_fill_(x, c->dim, c->idx, c->val); break;
    case OP_MASKED_FILL_: st = tsh_masked_fill_(x, c->mask, c->val); break;
    case OP_MASKED_SCATTER: st = tsh_masked_scatter_(x, c->mask, c->src); break;
    case OP_INDEX_SET: st = tsh_index_set(x, c->nspec, c->spec, c->val); break;
    default: st = tsh_fail(TSH_ERR_ARG, "unknown case");
    }
    if (st != TSH_OK) { tsh_tensor_release(x); return st; }
    *out = x;
    return TSH_OK;
}

static int checked[OP_NCASES];

static void check_case(tcase *c, double rtol)
{
    tsh_tensor *want = NULL, *got = NULL;
    char what[160], sh[64];
    snprintf(what, sizeof what, "%s %s %s dim %d mode %d layout %d", names[c->op], tsh_dtype_name(c->t->dtype),
             tsh_shape_str(sh, sizeof sh, c->t->ndim, c->t->shape), c->dim + 1, c->mode, (int)c->lay);
    kc_use_ref(1);
    tsh_status s1 = run_case(c, &want);
    char msg1[256];
    snprintf(msg1, sizeof msg1, "%s", s1 == TSH_OK ? "" : tsh_errmsg());
    kc_use_ref(0);
    tsh_status s2 = run_case(c, &got);
    KC_CHECK(s1 == TSH_OK && s2 == TSH_OK, "%s: ref %s / cpu %s", what, msg1, s2 == TSH_OK ? "" : tsh_errmsg());
    if (s1 == TSH_OK && s2 == TSH_OK) KC_CHECK(kc_compare(what, got, want, rtol, rtol), "%s", what);
    checked[c->op]++;
    tsh_tensor_release(want);
    tsh_tensor_release(got);
    tsh_tensor *all[] = {c->t, c->idx, c->src, c->mask, c->val, c->b};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) tsh_tensor_release(all[i]);
    for (int k = 0; k < c->nspec; k++) tsh_tensor_release(c->spec[k].idx);
    memset(c, 0, sizeof *c);
}

static kc_layout rand_layout(void) { return (kc_layout)kc_randint(0, KC_LAYOUT_COUNT - 1); }

/* Random values for dtype dt (small integers so products stay readable). */
static tsh_tensor *rand_tensor(int nd, const int64_t *shape, tsh_dtype dt, kc_layout lay)
{
    return kc_tensor(nd, shape, dt, lay, tsh_dtype_is_float(dt) ? -50 : -5, tsh_dtype_is_float(dt) ? 50 : 9);
}

static tsh_tensor *rand_index(int nd, const int64_t *shape, int64_t size)
{
    return kc_tensor(nd, shape, TSH_I64, rand_layout(), 1, size > 0 ? (double)size : 1);
}

static tsh_tensor *scalar_for(tsh_dtype dt)
{
    tsh_tensor *v = NULL;
    if (tsh_dtype_is_float(dt)) tsh_scalar_f64(kc_uniform() * 10 - 5, TSH_F64, true, &v);
    else tsh_scalar_i64(kc_randint(-3, 7), TSH_I64, true, &v);
    return v;
}

/* An index shape for gather/scatter on `limit`: <= limit off dim. */
static void index_shape(int nd, const int64_t *limit, int dim, int64_t *shape)
{
    for (int d = 0; d < nd; d++)
        shape[d] = d == dim ? (limit[d] ? kc_randint(0, 5) : 0) : (limit[d] ? kc_randint(1, limit[d]) : 0);
}

static void test_dim_ops(int iters, int max_ndim, int64_t max_size)
{
    for (int it = 0; it < iters; it++) {
        for (int dti = 0; dti < TSH_DTYPE_COUNT; dti++) {
            tsh_dtype dt = (tsh_dtype)dti;
            int64_t shape[TSH_MAX_DIMS], ishape[TSH_MAX_DIMS];
            int nd = kc_rand_shape(max_ndim, max_size, 1, shape);
            int dim = nd ? (int)kc_randint(0, nd - 1) : 0;
            int64_t size = nd ? shape[dim] : 1;
            int n1 = nd ? nd : 1;
            int64_t one = 1;
            const int64_t *tshape = nd ? shape : &one;
            tcase c = {0};

            /* index_select: a 1-d index, possibly strided (or 0-d) */
            c = (tcase){.op = OP_INDEX_SELECT, .dim = dim, .t = rand_tensor(nd, shape, dt, rand_layout())};
            int64_t k = nd == 0 ? 1 : size ? kc_randint(0, 7) : 0;
            c.idx = kc_tensor(kc_uniform() < 0.2 && k == 1 ? 0 : 1, &k, TSH_I64, rand_layout(), 1, size ? (double)size : 1);
            check_case(&c, 0);

            /* gather and take_along_dim */
            index_shape(n1, tshape, dim, ishape);
            c = (tcase){.op = OP_GATHER, .dim = dim, .t = rand_tensor(nd, shape, dt, rand_layout())};
            c.idx = rand_index(nd ? nd : (kc_uniform() < 0.5 ? 0 : 1), ishape, size);
            if (nd == 0 && c.idx->ndim == 1 && c.idx->shape[0] > 1) { /* a 0-d input takes 0/1 indices */
                tsh_tensor_release(c.idx);
                c.idx = rand_index(0, ishape, 1);
            }
            check_case(&c, 0);
            if (nd >= 1) {
                int64_t bshape[TSH_MAX_DIMS];
                for (int d = 0; d < nd; d++) bshape[d] = d == dim ? kc_randint(0, 4) : (kc_uniform() < 0.3 ? 1 : shape[d]);
                c = (tcase){.op = OP_TAKE, .dim = kc_uniform() < 0.2 ? -1 : dim, .t = rand_tensor(nd, shape, dt, rand_layout())};
                if (c.dim < 0) {
                    int64_t nflat = kc_randint(0, 6), numel = tsh_numel(c.t);
                    c.idx = rand_index(1, &nflat, numel);
                    if (numel == 0 && nflat) { tsh_tensor_release(c.idx); nflat = 0; c.idx = rand_index(1, &nflat, 1); }
                } else {
                    if (size == 0) bshape[dim] = 0;
                    c.idx = rand_index(nd, bshape, size);
                }
                check_case(&c, 0);
            }

            /* scatter: src larger than the index, duplicates, every mode */
            for (int mode = 0; mode < 3; mode++) {
                index_shape(n1, tshape, dim, ishape);
                int64_t sshape[TSH_MAX_DIMS];
                for (int d = 0; d < n1; d++) sshape[d] = ishape[d] + kc_randint(0, 2);
                c = (tcase){.op = OP_SCATTER, .dim = dim, .mode = mode, .lay = rand_layout(),
                            .t = rand_tensor(nd, shape, dt, KC_CONTIG)};
                c.idx = rand_index(nd, ishape, size);
                c.src = rand_tensor(nd, sshape, dt, rand_layout());
                check_case(&c, 0);
                c = (tcase){.op = OP_SCATTER_VALUE, .dim = dim, .mode = mode, .lay = rand_layout(),
                            .t = rand_tensor(nd, shape, dt, KC_CONTIG), .val = scalar_for(dt)};
                c.idx = rand_index(nd, ishape, size);
                check_case(&c, 0);
            }

            /* index_add_/copy_/fill_: a 1-d index, src with k slices at dim */
            int64_t sshape[TSH_MAX_DIMS];
            memcpy(sshape, shape, sizeof sshape);
            k = nd == 0 ? 1 : size ? kc_randint(0, 7) : 0;
            if (nd) sshape[dim] = k;
            for (int alpha = 0; alpha < 2; alpha++) {
                c = (tcase){.op = OP_INDEX_ADD, .dim = dim, .lay = rand_layout(), .t = rand_tensor(nd, shape, dt, KC_CONTIG)};
                c.idx = rand_index(nd || kc_uniform() < 0.5 ? 1 : 0, &k, size);
                c.src = rand_tensor(nd, sshape, dt, rand_layout());
                if (alpha) {
                    if (tsh_dtype_is_float(dt)) tsh_scalar_f64(2.5, TSH_F64, true, &c.val);
                    else tsh_scalar_i64(3, TSH_I64, true, &c.val);
                }
                check_case(&c, kc_rtol(dt));
            }
            c = (tcase){.op = OP_INDEX_COPY, .dim = dim, .lay = rand_layout(), .t = rand_tensor(nd, shape, dt, KC_CONTIG)};
            c.idx = rand_index(1, &k, size);
            c.src = rand_tensor(nd, sshape, dt, rand_layout());
            check_case(&c, 0);
            c = (tcase){.op = OP_INDEX_FILL, .dim = dim, .lay = rand_layout(), .t = rand_tensor(nd, shape, dt, KC_CONTIG),
                        .val = scalar_for(dt)};
            c.idx = rand_index(1, &k, size);
            check_case(&c, 0);
        }
    }
}

/* A bool mask of a shape that broadcasts to shape (some dims 1 or dropped). */
static tsh_tensor *rand_mask(int nd, const int64_t *shape, int allow_drop)
{
    int64_t ms[TSH_MAX_DIMS];
    int drop = allow_drop && nd ? (int)kc_randint(0, nd) : 0, mnd = nd - drop;
    for (int d = 0; d < mnd; d++) ms[d] = kc_uniform() < 0.25 ? 1 : shape[drop + d];
    return kc_tensor(mnd, ms, TSH_BOOL, rand_layout(), 0, 1);
}

static void test_mask_ops(int iters, int max_ndim, int64_t max_size)
{
    for (int it = 0; it < iters; it++) {
        for (int dti = 0; dti < TSH_DTYPE_COUNT; dti++) {
            tsh_dtype dt = (tsh_dtype)dti;
            int64_t shape[TSH_MAX_DIMS];
            int nd = kc_rand_shape(max_ndim, max_size, 1, shape);
            tcase c;
            c = (tcase){.op = OP_MASKED_FILL_, .lay = rand_layout(), .t = rand_tensor(nd, shape, dt, KC_CONTIG),
                        .mask = rand_mask(nd, shape, 1), .val = scalar_for(dt)};
            check_case(&c, 0);
            /* out of place: t itself may be the smaller operand */
            c = (tcase){.op = OP_MASKED_FILL, .mask = kc_tensor(nd, shape, TSH_BOOL, rand_layout(), 0, 1), .val = scalar_for(dt)};
            tsh_tensor *m = rand_mask(nd, shape, 1);
            c.t = rand_tensor(m->ndim, m->shape, dt, rand_layout());
            tsh_tensor_release(m);
            check_case(&c, 0);
            c = (tcase){.op = OP_MASKED_SELECT, .t = rand_tensor(nd, shape, dt, rand_layout()), .mask = rand_mask(nd, shape, 1)};
            if (kc_uniform() < 0.5) { /* swap roles: the mask is the larger one */
                tsh_tensor *small = rand_mask(nd, shape, 1);
                tsh_tensor_release(c.t);
                tsh_tensor_release(c.mask);
                c.t = rand_tensor(small->ndim, small->shape, dt, rand_layout());
                c.mask = kc_tensor(nd, shape, TSH_BOOL, rand_layout(), 0, 1);
                tsh_tensor_release(small);
            }
            check_case(&c, 0);
            int64_t n = tsh_shape_numel(nd, shape) + kc_randint(0, 3);
            c = (tcase){.op = OP_MASKED_SCATTER, .lay = rand_layout(), .t = rand_tensor(nd, shape, dt, KC_CONTIG),
                        .mask = rand_mask(nd, shape, 1), .src = rand_tensor(1, &n, dt, rand_layout())};
            check_case(&c, 0);
            c = (tcase){.op = OP_NONZERO, .t = rand_tensor(nd, shape, dt, rand_layout())};
            check_case(&c, 0);
            /* where: operands of other dtypes (promotion) and wrapped numbers */
            tsh_dtype other = (tsh_dtype)kc_randint(0, TSH_DTYPE_COUNT - 1);
            c = (tcase){.op = OP_WHERE, .mask = rand_mask(nd, shape, 1)};
            tsh_tensor *ms = rand_mask(nd, shape, 1);
            c.t = kc_uniform() < 0.2 ? scalar_for(dt) : rand_tensor(ms->ndim, ms->shape, dt, rand_layout());
            tsh_tensor_release(ms);
            c.b = kc_uniform() < 0.2 ? scalar_for(other) : rand_tensor(nd, shape, other, rand_layout());
            check_case(&c, 0);
        }
    }
}

/* The t[...] syntax: views, an index tensor and masks, read and written. */
static void test_syntax(int iters)
{
    for (int it = 0; it < iters; it++) {
        tsh_dtype dt = (tsh_dtype)kc_randint(0, TSH_DTYPE_COUNT - 1);
        int64_t shape[TSH_MAX_DIMS];
        int nd = kc_rand_shape(3, 6, 0, shape);
        if (nd == 0) continue;
        for (int set = 0; set < 2; set++) {
            tcase c = {.op = set ? OP_INDEX_SET : OP_INDEX_GET, .lay = rand_layout(),
                       .t = rand_tensor(nd, shape, dt, rand_layout())};
            if (kc_uniform() < 0.3) { /* a mask over the leading dims */
                int mnd = (int)kc_randint(1, nd);
                c.spec[0] = (tsh_index_spec){TSH_INDEX_TENSOR, 0, 0, 1, kc_tensor(mnd, shape, TSH_BOOL, rand_layout(), 0, 1)};
                c.nspec = 1;
            } else {
                c.nspec = (int)kc_randint(1, nd);
                int tensor_at = (int)kc_randint(0, c.nspec);
                for (int k = 0; k < c.nspec; k++) {
                    int64_t s = shape[k], a = kc_randint(1, s), b = kc_randint(a, s);
                    if (k == tensor_at) {
                        int64_t ish[2] = {kc_randint(1, 4), kc_randint(1, 3)};
                        c.spec[k] = (tsh_index_spec){TSH_INDEX_TENSOR, 0, 0, 1, rand_index((int)kc_randint(0, 2), ish, s)};
                    } else {
                        int kind = (int)kc_randint(0, 2);
                        c.spec[k] = (tsh_index_spec){(tsh_index_kind)kind, kc_uniform() < 0.3 ? a - s - 1 : a, b,
                                                     kc_randint(1, 2), NULL};
                    }
                }
            }
            if (set) {
                tsh_tensor *view = NULL;
                kc_use_ref(1);
                KC_CHECK(tsh_index_get(c.t, c.nspec, c.spec, &view) == TSH_OK, "index get: %s", tsh_errmsg());
                /* a value of the selected shape, or broadcast along its first dim, or a number */
                double r = kc_uniform();
                if (r < 0.3 || !view || view->ndim == 0) c.val = scalar_for(dt);
                else c.val = rand_tensor(view->ndim - (r < 0.6), view->shape + (r < 0.6),
                                         (tsh_dtype)kc_randint(0, TSH_DTYPE_COUNT - 1), rand_layout());
                tsh_tensor_release(view);
            }
            check_case(&c, 0);
        }
    }
}

/* Fixed large shapes that take each parallel path of the fast kernels:
 * row copies, split index_add rows, permuted scatter, two-pass compaction. */
static void test_big(void)
{
    const tsh_dtype dts[] = {TSH_F32, TSH_F64, TSH_I64, TSH_I32, TSH_U8, TSH_BOOL, TSH_F16};
    for (size_t i = 0; i < sizeof dts / sizeof dts[0]; i++) {
        tsh_dtype dt = dts[i];
        int64_t sh[2] = {300, 250}, wide[2] = {3, 40000}, k = 400;
        for (int dim = 0; dim < 2; dim++) {
            kc_layout lay = dim ? KC_TRANSPOSED : KC_CONTIG;
            tcase c = {.op = OP_INDEX_SELECT, .dim = dim, .t = rand_tensor(2, sh, dt, lay)};
            c.idx = rand_index(1, &k, sh[dim]);
            check_case(&c, 0);
            c = (tcase){.op = OP_GATHER, .dim = dim, .t = rand_tensor(2, sh, dt, lay), .idx = rand_index(2, sh, sh[dim])};
            check_case(&c, 0);
            for (int mode = 0; mode < 2; mode++) {
                c = (tcase){.op = OP_SCATTER, .dim = dim, .mode = mode, .lay = lay, .t = rand_tensor(2, wide, dt, KC_CONTIG),
                            .idx = rand_index(2, wide, dim ? 50 : 3), .src = rand_tensor(2, wide, dt, KC_CONTIG)};
                check_case(&c, 0);
            }
            int64_t ash[2] = {dim ? 40000 : 7, dim ? 3 : 5000}, src[2] = {ash[0], ash[1]};
            src[dim] = 9;
            c = (tcase){.op = OP_INDEX_ADD, .dim = dim, .lay = KC_CONTIG, .t = rand_tensor(2, ash, dt, KC_CONTIG),
                        .idx = rand_index(1, &src[dim], ash[dim]), .src = rand_tensor(2, src, dt, KC_CONTIG)};
            check_case(&c, kc_rtol(dt));
            c = (tcase){.op = OP_INDEX_ADD, .dim = dim, .lay = KC_STRIDED, .t = rand_tensor(2, ash, dt, KC_CONTIG),
                        .idx = rand_index(1, &src[dim], ash[dim]), .src = rand_tensor(2, src, dt, KC_TRANSPOSED)};
            check_case(&c, kc_rtol(dt));
        }
        int64_t col[2] = {300, 1};
        tcase c = {.op = OP_MASKED_SELECT, .t = rand_tensor(2, sh, dt, KC_TRANSPOSED), .mask = kc_tensor(2, sh, TSH_BOOL, KC_CONTIG, 0, 1)};
        check_case(&c, 0);
        c = (tcase){.op = OP_MASKED_SELECT, .t = rand_tensor(2, sh, dt, KC_CONTIG), .mask = kc_tensor(2, col, TSH_BOOL, KC_CONTIG, 0, 1)};
        check_case(&c, 0);
        int64_t n = 300 * 250;
        c = (tcase){.op = OP_MASKED_SCATTER, .lay = KC_STRIDED, .t = rand_tensor(2, sh, dt, KC_CONTIG),
                    .mask = kc_tensor(2, sh, TSH_BOOL, KC_OFFSET, 0, 1), .src = rand_tensor(1, &n, dt, KC_CONTIG)};
        check_case(&c, 0);
        c = (tcase){.op = OP_NONZERO, .t = rand_tensor(2, sh, dt, KC_TRANSPOSED)};
        check_case(&c, 0);
        c = (tcase){.op = OP_MASKED_FILL_, .lay = KC_TRANSPOSED, .t = rand_tensor(2, sh, dt, KC_CONTIG),
                    .mask = kc_tensor(2, col, TSH_BOOL, KC_CONTIG, 0, 1), .val = scalar_for(dt)};
        check_case(&c, 0);
        c = (tcase){.op = OP_WHERE, .mask = kc_tensor(2, sh, TSH_BOOL, KC_CONTIG, 0, 1), .t = rand_tensor(2, sh, dt, KC_CONTIG),
                    .b = rand_tensor(2, col, dt, KC_CONTIG)};
        check_case(&c, 0);
    }
}

/* Gather and scatter along a dense last dim, in rows longer than a vector
 * with a ragged tail, take the hardware gather/scatter paths (4- and 8-byte
 * elements) and the typed loops (1 and 2 bytes); a transposed or strided
 * operand takes the general loop. Scatter targets few positions, so that
 * one vector's lanes repeat a target: the last write must win. Both with
 * the AVX-512 forms and without (AVX2's gather). Then bad
 * indices, which must be refused with the index named and nothing written. */
static void test_dense_rows(void)
{
    const tsh_dtype dts[] = {TSH_F32, TSH_F64, TSH_I64, TSH_I32, TSH_U8, TSH_BOOL, TSH_F16};
    for (int w = 0; w < 2 * 4 * 7; w++) {
        int avx512 = w / 28, v = w / 7 % 4;
        tsh_dtype dt = dts[w % 7];
        setenv("TENSH_INDEX_AVX512", avx512 ? "1" : "0", 1);
        int64_t sh[2] = {37, 1003}, ish[2] = {37, v == 3 ? 5 : 1003 - v};
        kc_layout lay = v == 2 ? KC_STRIDED : KC_CONTIG, ilay = v == 1 ? KC_TRANSPOSED : KC_CONTIG;
        tcase c = {.op = OP_GATHER, .dim = 1, .t = rand_tensor(2, sh, dt, lay)};
        c.idx = kc_tensor(2, ish, TSH_I64, ilay, 1, (double)sh[1]);
        check_case(&c, 0);
        for (int mode = 0; mode < 2; mode++) {
            c = (tcase){.op = OP_SCATTER, .dim = 1, .mode = mode, .lay = lay, .t = rand_tensor(2, sh, dt, KC_CONTIG),
                        .idx = kc_tensor(2, ish, TSH_I64, ilay, 1, v == 0 ? 3 : (double)sh[1]),
                        .src = rand_tensor(2, ish, dt, lay)};
            check_case(&c, 0);
        }
    }
    unsetenv("TENSH_INDEX_AVX512");
    /* a target that is also the source, or (int64) its own index: read one
     * element at a time after the writes before it, as the reference does */
    int64_t rows[2] = {5, 300};
    for (int self_index = 0; self_index < 2; self_index++) {
        tsh_tensor *t = kc_tensor(2, rows, TSH_I64, KC_CONTIG, 1, 300), *got[2], *src = NULL;
        if (self_index) tsh_clone(t, &src);
        for (int ref = 0; ref < 2; ref++) {
            kc_use_ref(ref);
            tsh_clone(t, &got[ref]);
            tsh_status st = self_index ? tsh_scatter_(got[ref], 1, got[ref], src, TSH_SCATTER_SET)
                                       : tsh_scatter_(got[ref], 1, t, got[ref], TSH_SCATTER_SET);
            KC_CHECK(st == TSH_OK, "scatter into its own %s: %s", self_index ? "index" : "source", tsh_errmsg());
        }
        kc_use_ref(0);
        KC_CHECK(kc_compare("scatter into itself", got[0], got[1], 0, 0), "scatter into its own %s differs from the reference",
                 self_index ? "index" : "source");
        tsh_tensor_release(got[0]);
        tsh_tensor_release(got[1]);
        tsh_tensor_release(src);
        tsh_tensor_release(t);
    }
    int64_t sh[2] = {4, 100};
    static const int64_t bad[] = {0, -1, 101, INT64_MIN, INT64_MAX};
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        tsh_tensor *x = kc_tensor(2, sh, TSH_F32, KC_CONTIG, -1, 1), *x0, *o = NULL;
        tsh_tensor *idx = kc_tensor(2, sh, TSH_I64, KC_CONTIG, 1, 100);
        tsh_clone(x, &x0);
        ((int64_t *)tsh_data(idx))[3 * 100 + 57] = bad[b];
        char want[64];
        snprintf(want, sizeof want, "index %lld is out of range", (long long)bad[b]);
        KC_CHECK(tsh_gather(x, 1, idx, &o) == TSH_ERR_INDEX && strstr(tsh_errmsg(), want), "gather with index %lld: %s",
                 (long long)bad[b], tsh_errmsg());
        KC_CHECK(tsh_scatter_(x, 1, idx, x0, TSH_SCATTER_SET) == TSH_ERR_INDEX && strstr(tsh_errmsg(), want),
                 "scatter with index %lld: %s", (long long)bad[b], tsh_errmsg());
        KC_CHECK(kc_compare("scatter refused", x, x0, 0, 0), "a refused scatter wrote into its target");
        tsh_tensor_release(o);
        tsh_tensor_release(x);
        tsh_tensor_release(x0);
        tsh_tensor_release(idx);
    }
}

/* Scatter with many duplicates must give the same result on any thread
 * count: the fast kernel keeps each output element on one thread. */
static void test_determinism(void)
{
    int64_t shape[2] = {3, 40000}, ish[2] = {3, 40000};
    tsh_tensor *t = kc_tensor(2, shape, TSH_F32, KC_CONTIG, -1, 1);
    tsh_tensor *src = kc_tensor(2, ish, TSH_F32, KC_CONTIG, -1, 1);
    tsh_tensor *idx = kc_tensor(2, ish, TSH_I64, KC_CONTIG, 1, 8); /* 8 targets per row: many duplicates */
    tsh_tensor *a = NULL, *b = NULL;
    kc_use_ref(0);
    for (int dim = 0; dim < 2; dim++) {
        tsh_clone(t, &a);
        tsh_clone(t, &b);
        tsh_tensor *ix = idx;
        if (dim == 0) {
            int64_t small[2] = {3, 40000};
            ix = kc_tensor(2, small, TSH_I64, KC_CONTIG, 1, 3);
        }
        tsh_set_num_threads(1);
        tsh_status s1 = tsh_scatter_(a, dim, ix, src, TSH_SCATTER_ADD);
        tsh_set_num_threads(2);
        tsh_status s2 = tsh_scatter_(b, dim, ix, src, TSH_SCATTER_ADD);
        KC_CHECK(s1 == TSH_OK && s2 == TSH_OK && kc_compare("scatter_add 1 vs 2 threads", b, a, 0, 0),
                 "scatter_add dim %d differs across thread counts", dim + 1);
        if (ix != idx) tsh_tensor_release(ix);
        tsh_tensor_release(a);
        tsh_tensor_release(b);
    }
    tsh_tensor_release(t);
    tsh_tensor_release(src);
    tsh_tensor_release(idx);
}

int main(void)
{
    tsh_backends_init();
    kc_seed(7);
    test_dim_ops(30, 4, 6);
    test_mask_ops(30, 4, 6);
    test_syntax(200);
    /* past one chunk (TSH_GRAIN elements), so the parallel paths run */
    test_dim_ops(3, 3, 60);
    test_mask_ops(3, 3, 60);
    test_big();
    test_dense_rows();
    test_determinism();
    for (int op = 0; op < OP_NCASES; op++)
        KC_CHECK(checked[op] > 0, "no case of %s ran", names[op]);
    printf("cases per op:");
    for (int op = 0; op < OP_NCASES; op++) printf(" %s=%d", names[op], checked[op]);
    printf("\n");
    return kc_finish();
}
