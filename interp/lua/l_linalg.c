/* l_linalg.c: the Lua face of two families: matrix products (matmul, mm,
 * bmm, mv, dot, outer/ger, addmm, diag, trace) and shape ops (cat, stack,
 * split, chunk, repeat, tile, flip, tril/triu, roll). It reads arguments and
 * maps 1-based dims; the work and the shape checks are in core/linalg.c and
 * core/shape.c. */
#include <limits.h>

#include "core/linalg.h"
#include "core/shape.h"
#include "lt.h"

/* Raises when anything but nil follows the last argument a function takes:
 * a stray argument is far more often a mistake than something to ignore. */
static void check_no_more(lua_State *L, int idx, const char *fname)
{
    if (!lua_isnoneornil(L, idx))
        luaL_error(L, "%s: unexpected argument #%d (%s)", fname, idx, luaL_typename(L, idx));
}

typedef tsh_status (*binary_fn)(tsh_tensor *, tsh_tensor *, tsh_tensor **);

static int binary(lua_State *L, const char *fname, binary_fn f)
{
    tsh_tensor *a = tshL_check(L, 1), *b = tshL_check(L, 2), *o;
    check_no_more(L, 3, fname);
    TSHL_TRY(L, f(a, b, &o));
    tshL_push(L, o);
    return 1;
}

static int l_matmul(lua_State *L) { return binary(L, "matmul", tsh_matmul); }
static int l_mm(lua_State *L) { return binary(L, "mm", tsh_mm); }
static int l_bmm(lua_State *L) { return binary(L, "bmm", tsh_bmm); }
static int l_mv(lua_State *L) { return binary(L, "mv", tsh_mv); }
static int l_dot(lua_State *L) { return binary(L, "dot", tsh_dot); }
static int l_outer(lua_State *L) { return binary(L, "outer", tsh_outer); }

static const char *const addmm_opts[] = {"beta", "alpha", NULL};

static int l_addmm(lua_State *L)
{
    tsh_tensor *in = tshL_check(L, 1), *m1 = tshL_check(L, 2), *m2 = tshL_check(L, 3), *o;
    tshL_check_options(L, 4, "addmm", addmm_opts);
    double beta = tshL_opt_number(L, 4, "beta", 1), alpha = tshL_opt_number(L, 4, "alpha", 1);
    check_no_more(L, 5, "addmm");
    TSHL_TRY(L, tsh_addmm(in, m1, m2, beta, alpha, &o));
    tshL_push(L, o);
    return 1;
}

static int l_diag(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1), *o;
    lua_Integer k = luaL_optinteger(L, 2, 0);
    check_no_more(L, 3, "diag");
    TSHL_TRY(L, tsh_diag(t, k, &o));
    tshL_push(L, o);
    return 1;
}

static int l_trace(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1), *o;
    check_no_more(L, 2, "trace");
    TSHL_TRY(L, tsh_trace(t, &o));
    tshL_push(L, o);
    return 1;
}

/* ---- lists of tensors and of integers ---- */

/* The tensors of the table at arg 1, in a buffer owned by the Lua stack (so
 * a raise cannot leak it); the table keeps the tensors alive. */
static tsh_tensor **check_list(lua_State *L, const char *fname, int *n)
{
    if (tshL_test(L, 1))
        luaL_error(L, "%s: expected a table of tensors, got a tensor (write tensor.%s({a, b}, dim))",
                   fname, fname);
    if (lua_type(L, 1) != LUA_TTABLE)
        luaL_argerror(L, 1, lua_pushfstring(L, "table of tensors expected, got %s", luaL_typename(L, 1)));
    lua_Unsigned len = lua_rawlen(L, 1);
    if (len > INT_MAX / sizeof(tsh_tensor *))
        luaL_error(L, "%s: too many tensors (%I)", fname, (lua_Integer)len);
    tsh_tensor **ts = lua_newuserdatauv(L, (len ? len : 1) * sizeof *ts, 0);
    for (lua_Unsigned i = 1; i <= len; i++) {
        lua_rawgeti(L, 1, (lua_Integer)i);
        ts[i - 1] = tshL_test(L, -1);
        if (!ts[i - 1])
            luaL_error(L, "%s: element %I of the list is a %s, expected a tensor", fname,
                       (lua_Integer)i, luaL_typename(L, -1));
        lua_pop(L, 1);
    }
    *n = (int)len;
    return ts;
}

/* Integers given either as a table at idx or as the arguments idx, idx+1, ...
 * (only idx itself when `single`). Returns how many and sets *next to the
 * first argument after them; `what` names them in errors. */
static int check_ints(lua_State *L, int idx, const char *fname, const char *what, int64_t *out,
                      int max, bool single, int *next)
{
    int n = 0;
    if (lua_type(L, idx) == LUA_TTABLE) {
        lua_Unsigned len = lua_rawlen(L, idx);
        if (len > (lua_Unsigned)max) luaL_error(L, "%s: at most %d %s, got %I", fname, max, what, (lua_Integer)len);
        for (int k = 1; k <= (int)len; k++) {
            lua_rawgeti(L, idx, k);
            if (!lua_isinteger(L, -1))
                luaL_error(L, "%s: %s must be integers, got %s at position %d", fname, what,
                           lua_type(L, -1) == LUA_TNUMBER ? "a float" : luaL_typename(L, -1), k);
            out[n++] = lua_tointeger(L, -1);
            lua_pop(L, 1);
        }
        *next = idx + 1;
        return n;
    }
    for (; !lua_isnone(L, idx) && !(single && n == 1); idx++) {
        if (!lua_isinteger(L, idx))
            luaL_error(L, "%s: %s must be integers, got %s at position %d", fname, what,
                       lua_type(L, idx) == LUA_TNUMBER ? "a float" : luaL_typename(L, idx), n + 1);
        if (n == max) luaL_error(L, "%s: at most %d %s", fname, max, what);
        out[n++] = lua_tointeger(L, idx);
    }
    *next = idx;
    return n;
}

/* ---- cat, stack, split, chunk ---- */

static int cat_impl(lua_State *L, const char *fname)
{
    int n;
    check_no_more(L, 3, fname);
    lua_settop(L, 2); /* the dim stays at 2 when check_list pushes its buffer */
    tsh_tensor **ts = check_list(L, fname, &n), *o;
    int dim = lua_isnoneornil(L, 2) ? 0 : tshL_checkdim(L, 2, tsh_cat_ndim(n, ts));
    TSHL_TRY(L, tsh_cat(n, ts, dim, &o));
    tshL_push(L, o);
    return 1;
}

static int l_cat(lua_State *L) { return cat_impl(L, "cat"); }
static int l_concat(lua_State *L) { return cat_impl(L, "concat"); }

static int l_stack(lua_State *L)
{
    int n;
    check_no_more(L, 3, "stack");
    lua_settop(L, 2); /* the dim stays at 2 when check_list pushes its buffer */
    tsh_tensor **ts = check_list(L, "stack", &n), *o;
    int nd = n > 0 ? ts[0]->ndim : 0, dim = 0;
    if (!lua_isnoneornil(L, 2)) { /* a new dim: 1..ndim+1, or -1 for after the last */
        if (!lua_isinteger(L, 2)) luaL_argerror(L, 2, "dim (integer) expected");
        dim = tshL_todim(L, lua_tointeger(L, 2), nd + 1, 2);
    }
    TSHL_TRY(L, tsh_stack(n, ts, dim, &o));
    tshL_push(L, o);
    return 1;
}

/* Pushes a table of the views t.narrow(dim, start, len) for consecutive
 * pieces: sizes[k] when given, else `size` each (the last one shorter). */
/* Each piece is a view and a userdata, about 330 bytes of memory and 1 µs
 * (4M empty pieces: 1.3 GiB, 4 s). Past this many, a count is a slip (an
 * empty dim chunked 2^40 ways, an expanded view split by 1), which would
 * otherwise run for hours and exhaust memory before Lua's table limit. */
#define MAX_PIECES (1 << 24)

static int push_pieces(lua_State *L, const char *fname, tsh_tensor *t, int dim, int64_t count, int64_t size,
                       const int64_t *sizes)
{
    if (count > MAX_PIECES)
        return luaL_error(L, "%s: %I pieces is too many (at most %d; each is a tensor of its own)", fname,
                          (lua_Integer)count, MAX_PIECES);
    lua_createtable(L, (int)count, 0);
    int64_t total = t->shape[dim], start = 0;
    for (int64_t k = 0; k < count; k++) {
        int64_t len = sizes ? sizes[k] : (total - start < size ? total - start : size);
        tsh_tensor *v;
        TSHL_TRY(L, tsh_narrow(t, dim, start, len, &v));
        tshL_push(L, v);
        lua_rawseti(L, -2, k + 1);
        start += len;
    }
    return 1;
}

static int l_split(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1);
    int dim = tshL_optdim(L, 3, t->ndim, 0);
    check_no_more(L, 4, "split");
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_Unsigned n = lua_rawlen(L, 2);
        if (n > INT_MAX / sizeof(int64_t)) luaL_error(L, "split: too many sizes");
        int64_t *sizes = lua_newuserdatauv(L, (n ? n : 1) * sizeof *sizes, 0);
        for (lua_Unsigned k = 1; k <= n; k++) {
            lua_rawgeti(L, 2, (lua_Integer)k);
            if (!lua_isinteger(L, -1))
                luaL_error(L, "split: split sizes must be integers, got %s at position %I",
                           lua_type(L, -1) == LUA_TNUMBER ? "a float" : luaL_typename(L, -1), (lua_Integer)k);
            sizes[k - 1] = lua_tointeger(L, -1);
            lua_pop(L, 1);
        }
        TSHL_TRY(L, tsh_split_sizes_check(t, dim, (int64_t)n, sizes));
        return push_pieces(L, "split", t, dim, (int64_t)n, 0, sizes);
    }
    if (!lua_isinteger(L, 2))
        luaL_argerror(L, 2, lua_pushfstring(L, "split size (integer) or table of sizes expected, got %s",
                                            lua_type(L, 2) == LUA_TNUMBER ? "a float" : luaL_typename(L, 2)));
    int64_t size = lua_tointeger(L, 2), count;
    TSHL_TRY(L, tsh_split_count(t, dim, size, &count));
    return push_pieces(L, "split", t, dim, count, size, NULL);
}

static int l_chunk(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1);
    lua_Integer chunks = luaL_checkinteger(L, 2);
    int dim = tshL_optdim(L, 3, t->ndim, 0);
    check_no_more(L, 4, "chunk");
    int64_t size, count;
    TSHL_TRY(L, tsh_chunk_plan(t, dim, chunks, &size, &count));
    return push_pieces(L, "chunk", t, dim, count, size, NULL);
}

/* ---- repeat, tile, flip, tril/triu, roll ---- */

typedef tsh_status (*reps_fn)(tsh_tensor *, int, const int64_t *, tsh_tensor **);

static int repeat_like(lua_State *L, const char *fname, reps_fn f)
{
    tsh_tensor *t = tshL_check(L, 1), *o;
    int64_t reps[TSH_MAX_DIMS];
    int next, n = check_ints(L, 2, fname, "repeat counts", reps, TSH_MAX_DIMS, false, &next);
    check_no_more(L, next, fname);
    TSHL_TRY(L, f(t, n, reps, &o));
    tshL_push(L, o);
    return 1;
}

static int l_repeat(lua_State *L) { return repeat_like(L, "repeat", tsh_repeat); }
static int l_tile(lua_State *L) { return repeat_like(L, "tile", tsh_tile); }

static int l_flip(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1), *o;
    if (lua_isnone(L, 2)) luaL_error(L, "flip: expected the dims to flip (e.g. t:flip(1))");
    int64_t raw[TSH_MAX_DIMS];
    int dims[TSH_MAX_DIMS], next, n = check_ints(L, 2, "flip", "dims", raw, TSH_MAX_DIMS, false, &next);
    check_no_more(L, next, "flip");
    for (int i = 0; i < n; i++) dims[i] = tshL_todim(L, raw[i], t->ndim, 2);
    TSHL_TRY(L, tsh_flip(t, n, dims, &o));
    tshL_push(L, o);
    return 1;
}

typedef tsh_status (*tri_fn)(tsh_tensor *, int64_t, tsh_tensor **);
typedef tsh_status (*tri_fn_)(tsh_tensor *, int64_t);

static int tri(lua_State *L, const char *fname, tri_fn f)
{
    tsh_tensor *t = tshL_check(L, 1), *o;
    lua_Integer k = luaL_optinteger(L, 2, 0);
    check_no_more(L, 3, fname);
    TSHL_TRY(L, f(t, k, &o));
    tshL_push(L, o);
    return 1;
}

static int tri_(lua_State *L, const char *fname, tri_fn_ f)
{
    tsh_tensor *t = tshL_check(L, 1);
    lua_Integer k = luaL_optinteger(L, 2, 0);
    check_no_more(L, 3, fname);
    TSHL_TRY(L, f(t, k));
    lua_settop(L, 1);
    return 1;
}

static int l_tril(lua_State *L) { return tri(L, "tril", tsh_tril); }
static int l_triu(lua_State *L) { return tri(L, "triu", tsh_triu); }
static int l_tril_(lua_State *L) { return tri_(L, "tril_", tsh_tril_); }
static int l_triu_(lua_State *L) { return tri_(L, "triu_", tsh_triu_); }

static int l_roll(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1), *o;
    int64_t shifts[TSH_MAX_DIMS], raw[TSH_MAX_DIMS];
    int dims[TSH_MAX_DIMS], next, nd = 0;
    if (lua_isnoneornil(L, 2)) luaL_error(L, "roll: expected the shifts (e.g. t:roll(1))");
    int ns = check_ints(L, 2, "roll", "shifts", shifts, TSH_MAX_DIMS, true, &next);
    if (!lua_isnoneornil(L, 3)) {
        nd = check_ints(L, 3, "roll", "dims", raw, TSH_MAX_DIMS, true, &next);
        for (int i = 0; i < nd; i++) dims[i] = tshL_todim(L, raw[i], t->ndim, 3);
    }
    check_no_more(L, 4, "roll");
    TSHL_TRY(L, tsh_roll(t, ns, shifts, nd, dims, &o));
    tshL_push(L, o);
    return 1;
}

static const tshL_Reg regs[] = {
    {"matmul", l_matmul, TSHL_BOTH,
     "tensor.matmul(a, b) -> Tensor   (also a:matmul(b))\n"
     "Matrix product with PyTorch's rules: 1-d x 1-d is a dot product (0-dim), 2-d x 1-d and\n"
     "1-d x 2-d are matrix-vector products, and more dims make a batched product whose\n"
     "batch dims broadcast. Both operands must have the same dtype.\n"
     "  tensor.ones(2, 3, 4):matmul(tensor.ones(4, 5)):size()  --> Size{2, 3, 5}"},
    {"mm", l_mm, TSHL_BOTH,
     "tensor.mm(a, b) -> Tensor\nProduct of two 2-d tensors: (n x k) @ (k x m) -> n x m.\n"
     "  tensor{{1, 2}, {3, 4}}:mm(tensor{{1}, {1}})  --> tensor([[3], [7]])"},
    {"bmm", l_bmm, TSHL_BOTH,
     "tensor.bmm(a, b) -> Tensor\nBatched product of 3-d tensors with equal batch sizes (no broadcasting):\n"
     "(b x n x k) @ (b x k x m) -> b x n x m.\n  tensor.ones(8, 2, 3):bmm(tensor.ones(8, 3, 4)):size()  --> Size{8, 2, 4}"},
    {"mv", l_mv, TSHL_BOTH,
     "tensor.mv(m, v) -> Tensor\nMatrix-vector product: (n x k) @ (k) -> n.\n"
     "  tensor{{1, 2}, {3, 4}}:mv(tensor{1, 1})  --> tensor([3, 7])"},
    {"dot", l_dot, TSHL_BOTH,
     "tensor.dot(a, b) -> Tensor (0-dim)\nInner product of two 1-d tensors of one length and dtype.\n"
     "  tensor{1, 2, 3}:dot(tensor{4, 5, 6}):item()  --> 32"},
    {"outer", l_outer, TSHL_BOTH,
     "tensor.outer(a, b) -> Tensor\nOuter product of 1-d tensors: result[i][j] = a[i] * b[j] (dtypes promote).\n"
     "  tensor{1, 2}:outer(tensor{1, 10, 100})  --> tensor([[1, 10, 100], [2, 20, 200]])"},
    {"ger", l_outer, TSHL_BOTH, "tensor.ger(a, b) -> Tensor\nSame as tensor.outer(a, b) (the older name).\n"
     "  tensor.ger(tensor{1, 2}, tensor{3, 4})  --> tensor([[3, 4], [6, 8]])"},
    {"addmm", l_addmm, TSHL_BOTH,
     "tensor.addmm(input, m1, m2 [, {beta=1, alpha=1}]) -> Tensor\n"
     "beta * input + alpha * (m1 @ m2); input broadcasts to the result. With beta = 0 input is\n"
     "ignored (NaN included). All three must have the same dtype.\n"
     "  tensor.addmm(tensor.ones(3), tensor.ones(2, 4), tensor.ones(4, 3), {beta=2})  --> all 6"},
    {"diag", l_diag, TSHL_BOTH,
     "tensor.diag(t [, k=0]) -> Tensor\nFor a 1-d t, a square matrix with t on diagonal k; for a 2-d t, a copy\n"
     "of its diagonal k (k > 0 above the main diagonal, k < 0 below).\n"
     "  tensor{1, 2}:diag()  --> tensor([[1, 0], [0, 2]])"},
    {"trace", l_trace, TSHL_BOTH,
     "tensor.trace(t) -> Tensor (0-dim)\nSum of the main diagonal of a 2-d tensor (integers sum as int64).\n"
     "  tensor{{1, 2}, {3, 4}}:trace():item()  --> 5"},
    {"cat", l_cat, TSHL_FUNC,
     "tensor.cat({t1, t2, ...} [, dim=1]) -> Tensor\n"
     "Joins tensors along an existing dim; the other sizes must match. The result has the\n"
     "promoted dtype of all inputs; 1-d empty tensors are skipped, as in PyTorch.\n"
     "  tensor.cat({tensor{{1, 2}}, tensor{{3, 4}}}, 2)  --> tensor([[1, 2, 3, 4]])"},
    {"concat", l_concat, TSHL_FUNC, "tensor.concat({t1, t2, ...} [, dim=1]) -> Tensor\nSame as tensor.cat.\n"
     "  tensor.concat({tensor{1}, tensor{2, 3}})  --> tensor([1, 2, 3])"},
    {"stack", l_stack, TSHL_FUNC,
     "tensor.stack({t1, t2, ...} [, dim=1]) -> Tensor\n"
     "Joins tensors of one shape along a new dim (1..ndim+1, or -1 for last).\n"
     "  tensor.stack({tensor{1, 2}, tensor{3, 4}}, 2)  --> tensor([[1, 3], [2, 4]])"},
    {"split", l_split, TSHL_BOTH,
     "t:split(size or {sizes...} [, dim=1]) -> table of Tensors\n"
     "Views of consecutive pieces along dim: each `size` long (the last may be shorter), or\n"
     "with the given sizes, which must add up to the size of dim.\n"
     "  #tensor.zeros(10):split(3)  --> 4   (sizes 3, 3, 3, 1)"},
    {"chunk", l_chunk, TSHL_BOTH,
     "t:chunk(n [, dim=1]) -> table of Tensors\n"
     "Splits into n views of equal size along dim (the last smaller; fewer than n when the\n"
     "size does not allow n, as in PyTorch).\n  #tensor.zeros(10):chunk(3)  --> 3   (sizes 4, 4, 2)"},
    {"repeat", l_repeat, TSHL_BOTH,
     "t:repeat(reps...) -> Tensor   (repeat is a Lua keyword: write t['repeat'](t, ...))\n"
     "PyTorch's Tensor.repeat: dim i is repeated reps[i] times; there must be at least as many\n"
     "reps as dims (extra ones add leading dims).\n"
     "  tensor{1, 2}['repeat'](tensor{1, 2}, 2, 2)  --> tensor([[1, 2, 1, 2], [1, 2, 1, 2]])"},
    {"tile", l_tile, TSHL_BOTH,
     "t:tile(reps...) -> Tensor\nPyTorch's tile: like repeat, but fewer reps than dims are padded with leading 1s.\n"
     "  tensor{{1, 2}}:tile(2)  --> tensor([[1, 2, 1, 2]])"},
    {"flip", l_flip, TSHL_BOTH,
     "t:flip(dims...) -> Tensor\nA copy with the order of elements reversed along each given dim (1-based).\n"
     "  tensor{{1, 2}, {3, 4}}:flip(2)  --> tensor([[2, 1], [4, 3]])"},
    {"tril", l_tril, TSHL_BOTH,
     "t:tril([diagonal=0]) -> Tensor\nThe lower triangle of the last two dims, on and below diagonal k (k > 0 above the\n"
     "main diagonal); the rest set to 0.\n  tensor.ones(3, 3):tril()"},
    {"triu", l_triu, TSHL_BOTH,
     "t:triu([diagonal=0]) -> Tensor\nThe upper triangle of the last two dims, on and above diagonal k; the rest 0.\n"
     "  tensor.ones(3, 3):triu(1)"},
    {"tril_", l_tril_, TSHL_METHOD, "t:tril_([diagonal=0]) -> t\nIn-place tril: zeroes the elements above diagonal k and returns t.\n"
     "  local m = tensor.ones(2, 2); m:tril_()  --> m is tensor([[1., 0.], [1., 1.]])"},
    {"triu_", l_triu_, TSHL_METHOD, "t:triu_([diagonal=0]) -> t\nIn-place triu: zeroes the elements below diagonal k and returns t.\n"
     "  local m = tensor.ones(2, 2); m:triu_()  --> m is tensor([[1., 1.], [0., 1.]])"},
    {"roll", l_roll, TSHL_BOTH,
     "t:roll(shifts [, dims]) -> Tensor\nShifts elements along dims, wrapping around; shifts and dims are integers or\n"
     "tables of equal length. Without dims the tensor is rolled as if flattened.\n"
     "  tensor{1, 2, 3, 4}:roll(1)  --> tensor([4, 1, 2, 3])"},
    {NULL, NULL, 0, NULL},
};

void tshL_open_linalg(lua_State *L)
{
    tshL_register(L, regs);
}
