/* l_index.c: Lua bindings for indexing and selection: the t[...] syntax
 * (read and assignment), index_select, gather, scatter, index_add/copy/
 * fill, masked fill/select/scatter, where, nonzero, take_along_dim.
 * It parses arguments and keys; all checking of shapes and index values
 * happens in the core (interp/core/index.c), which words the messages. */
#include <string.h>

#include "core/index.h"
#include "lt.h"

/* ---- the indexing syntax ---- */

static int64_t check_int(lua_State *L, int idx, const char *what, int entry)
{
    int ok = 0;
    lua_Integer v = lua_type(L, idx) == LUA_TNUMBER ? lua_tointegerx(L, idx, &ok) : 0;
    if (ok) return v;
    if (lua_type(L, idx) == LUA_TNUMBER)
        luaL_error(L, "%s must be an integer, got %f", what, lua_tonumber(L, idx));
    if (entry) luaL_error(L, "index entry %d: %s must be an integer, got %s", entry, what, luaL_typename(L, idx));
    luaL_error(L, "%s must be an integer, got %s", what, luaL_typename(L, idx));
    return 0;
}

/* One entry of an index table: n, {}, {a}, {a, b}, {a, b, step} or a tensor. */
static void parse_entry(lua_State *L, int i, int k, tsh_index_spec *s)
{
    tsh_tensor *x = tshL_test(L, i);
    memset(s, 0, sizeof *s);
    s->step = 1;
    if (x) {
        s->kind = TSH_INDEX_TENSOR;
        s->idx = x;
    } else if (lua_type(L, i) == LUA_TNUMBER) {
        s->kind = TSH_INDEX_AT;
        s->start = check_int(L, i, "an index", k);
    } else if (lua_type(L, i) == LUA_TTABLE) {
        int m = (int)lua_rawlen(L, i);
        if (m > 3)
            luaL_error(L, "index entry %d: a range is {first, last[, step]}, got %d numbers", k, m);
        s->kind = m == 0 ? TSH_INDEX_ALL : TSH_INDEX_RANGE;
        const char *what[3] = {"a range start", "a range end", "a range step"};
        int64_t v[3] = {0, 0, 1};
        for (int j = 1; j <= m; j++) {
            lua_rawgeti(L, i, j);
            v[j - 1] = check_int(L, lua_gettop(L), what[j - 1], k);
            lua_pop(L, 1);
        }
        s->start = v[0];
        s->end = m >= 2 ? v[1] : v[0];
        s->step = v[2];
    } else {
        luaL_error(L, "index entry %d must be an integer, a {first, last} range, {} or an index tensor, got %s",
                   k, luaL_typename(L, i));
    }
}

/* Reads the key at idx into s and returns the entry count. Index tensors
 * stay referenced by the key, which is on the stack for the whole call. */
static int parse_key(lua_State *L, int idx, const tsh_tensor *t, tsh_index_spec *s)
{
    int ty = lua_type(L, idx);
    if (ty == LUA_TNUMBER || tshL_test(L, idx)) {
        parse_entry(L, idx, 1, s);
        return 1;
    }
    if (ty == LUA_TTABLE) {
        int n = (int)lua_rawlen(L, idx), keys = 0;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            keys++;
            lua_pop(L, 1);
        }
        if (keys != n) luaL_error(L, "an index table holds one entry per dim, 1..n (found other keys)");
        if (n > t->ndim)
            luaL_error(L, t->ndim ? "too many indices for a %d-d tensor: got %d"
                                  : "cannot index a 0-d tensor (item() gives its value)", t->ndim, n);
        for (int k = 1; k <= n; k++) {
            lua_rawgeti(L, idx, k);
            parse_entry(L, lua_gettop(L), k, &s[k - 1]);
            lua_pop(L, 1);
        }
        return n;
    }
    if (ty == LUA_TNIL) luaL_error(L, "tensor index is nil");
    if (ty == LUA_TBOOLEAN) luaL_error(L, "a boolean is not a valid tensor index (use a bool tensor as a mask)");
    return luaL_error(L, "a %s is not a valid tensor index", luaL_typename(L, idx));
}

int tshL_index_get(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1), *o;
    tsh_index_spec s[TSH_MAX_DIMS];
    int n = parse_key(L, 2, t, s);
    TSHL_TRY(L, tsh_index_get(t, n, s, &o));
    tshL_push(L, o);
    return 1;
}

int tshL_index_set(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1);
    tsh_index_spec s[TSH_MAX_DIMS];
    int n = parse_key(L, 2, t, s);
    int ty = lua_type(L, 3);
    if (!tshL_test(L, 3) && ty != LUA_TNUMBER && ty != LUA_TBOOLEAN)
        return luaL_error(L, "cannot assign a %s to a tensor index (expected a number, boolean or tensor)",
                          luaL_typename(L, 3));
    tsh_tensor *v = tshL_check_operand(L, 3);
    tsh_status st = tsh_index_set(t, n, s, v);
    tsh_tensor_release(v);
    return st == TSH_OK ? 0 : tshL_error(L);
}

/* ---- functions and methods ---- */

static tsh_tensor *check_index(lua_State *L, int arg)
{
    tsh_tensor *x = tshL_test(L, arg);
    if (!x)
        luaL_argerror(L, arg, lua_pushfstring(L, "index tensor expected, got %s", luaL_typename(L, arg)));
    return x;
}

/* A clone of the tensor at 1 pushed on the stack (owned by Lua, so a raise
 * later frees it): the out-of-place variants work on it in place. */
static tsh_tensor *push_clone(lua_State *L)
{
    tsh_tensor *o;
    TSHL_TRY(L, tsh_clone(tshL_check(L, 1), &o));
    tshL_push(L, o);
    return o;
}

/* index_select and gather: t:f(dim, index). */
typedef tsh_status (*dim_index_fn)(tsh_tensor *, int, tsh_tensor *, tsh_tensor **);

static int dim_index(lua_State *L, dim_index_fn f)
{
    tsh_tensor *t = tshL_check(L, 1), *o;
    int dim = tshL_checkdim(L, 2, t->ndim);
    TSHL_TRY(L, f(t, dim, check_index(L, 3), &o));
    tshL_push(L, o);
    return 1;
}

static int l_index_select(lua_State *L) { return dim_index(L, tsh_index_select); }
static int l_gather(lua_State *L) { return dim_index(L, tsh_gather); }

static int l_take_along_dim(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1), *o;
    tsh_tensor *idx = check_index(L, 2);
    int dim = lua_isnoneornil(L, 3) ? -1 : tshL_checkdim(L, 3, t->ndim);
    TSHL_TRY(L, tsh_take_along_dim(t, idx, dim, &o));
    tshL_push(L, o);
    return 1;
}

static const char *const scatter_opts[] = {"reduce", NULL};

/* t:scatter_(dim, idx, src or value, {reduce=}) on `target`; which: 0
 * scatter_, 1 scatter, 2 scatter_add (either form). */
static void do_scatter(lua_State *L, tsh_tensor *target, int which)
{
    static const char *names[] = {"scatter_", "scatter", "scatter_add"};
    const char *fname = names[which];
    tsh_scatter_mode mode = which == 2 ? TSH_SCATTER_ADD : TSH_SCATTER_SET;
    int dim = tshL_checkdim(L, 2, target->ndim);
    tsh_tensor *idx = check_index(L, 3);
    if (mode == TSH_SCATTER_SET) {
        tshL_check_options(L, 5, fname, scatter_opts);
        if (lua_type(L, 5) == LUA_TTABLE && lua_getfield(L, 5, "reduce") != LUA_TNIL) {
            const char *r = lua_tostring(L, -1);
            if (lua_type(L, -1) == LUA_TSTRING && strcmp(r, "add") == 0) mode = TSH_SCATTER_ADD;
            else if (lua_type(L, -1) == LUA_TSTRING && strcmp(r, "multiply") == 0) mode = TSH_SCATTER_MULTIPLY;
            else luaL_error(L, "%s: reduce must be 'add' or 'multiply', got %s", fname,
                            lua_type(L, -1) == LUA_TSTRING ? r : luaL_typename(L, -1));
            lua_pop(L, 1);
        }
    } else if (!lua_isnoneornil(L, 5)) {
        luaL_argerror(L, 5, "unexpected argument (scatter_add takes dim, index, src)");
    }
    tsh_tensor *src = tshL_test(L, 4);
    tsh_status st;
    if (src && src->ndim > 0) {
        st = tsh_scatter_(target, dim, idx, src, mode);
    } else {
        if (which == 2 && !src && lua_type(L, 4) == LUA_TNUMBER)
            luaL_argerror(L, 4, "src tensor expected, got number (use scatter(dim, index, value, {reduce='add'}))");
        tsh_tensor *v = tshL_check_operand(L, 4);
        st = tsh_scatter_value_(target, dim, idx, v, mode);
        tsh_tensor_release(v);
    }
    if (st != TSH_OK) tshL_error(L);
}

/* The scatter and index_put families: `put` writes into t itself (the
 * in-place form, which returns t) or into a clone of t (which it returns). */
typedef void (*put_fn)(lua_State *L, tsh_tensor *target, int which);

static int put_inplace(lua_State *L, put_fn put, int which)
{
    lua_settop(L, 5);
    put(L, tshL_check(L, 1), which);
    lua_settop(L, 1);
    return 1;
}

static int put_copy(lua_State *L, put_fn put, int which)
{
    lua_settop(L, 5);
    tshL_checkdim(L, 2, tshL_check(L, 1)->ndim);
    put(L, push_clone(L), which);
    return 1;
}

static int l_scatter_(lua_State *L) { return put_inplace(L, do_scatter, 0); }
static int l_scatter(lua_State *L) { return put_copy(L, do_scatter, 1); }
static int l_scatter_add_(lua_State *L) { return put_inplace(L, do_scatter, 2); }
static int l_scatter_add(lua_State *L) { return put_copy(L, do_scatter, 2); }

static const char *const index_add_opts[] = {"alpha", NULL};

/* index_add_/index_copy_/index_fill_ on `target`; which: 0 add, 1 copy, 2 fill. */
static void do_index_put(lua_State *L, tsh_tensor *target, int which)
{
    static const char *names[] = {"index_add", "index_copy", "index_fill"};
    int dim = tshL_checkdim(L, 2, target->ndim);
    tsh_tensor *idx = check_index(L, 3), *alpha = NULL;
    tsh_status st;
    if (which == 2) {
        int ty = lua_type(L, 4);
        if (!tshL_test(L, 4) && ty != LUA_TNUMBER && ty != LUA_TBOOLEAN)
            luaL_argerror(L, 4, lua_pushfstring(L, "value (number) expected, got %s", luaL_typename(L, 4)));
        if (!lua_isnoneornil(L, 5)) luaL_argerror(L, 5, "unexpected argument");
        tsh_tensor *v = tshL_check_operand(L, 4);
        st = tsh_index_fill_(target, dim, idx, v);
        tsh_tensor_release(v);
    } else {
        tsh_tensor *src = tshL_test(L, 4);
        if (!src) luaL_argerror(L, 4, lua_pushfstring(L, "source tensor expected, got %s", luaL_typename(L, 4)));
        if (which == 0) {
            tshL_check_options(L, 5, names[0], index_add_opts);
            if (lua_type(L, 5) == LUA_TTABLE && lua_getfield(L, 5, "alpha") != LUA_TNIL) {
                if (lua_type(L, -1) != LUA_TNUMBER)
                    luaL_error(L, "index_add: option 'alpha' must be a number, got %s", luaL_typename(L, -1));
                alpha = tshL_check_operand(L, lua_gettop(L));
                lua_pop(L, 1);
            }
            st = tsh_index_add_(target, dim, idx, src, alpha);
            tsh_tensor_release(alpha);
        } else {
            if (!lua_isnoneornil(L, 5)) luaL_argerror(L, 5, "unexpected argument");
            st = tsh_index_copy_(target, dim, idx, src);
        }
    }
    if (st != TSH_OK) tshL_error(L);
}

static int l_index_add_(lua_State *L) { return put_inplace(L, do_index_put, 0); }
static int l_index_add(lua_State *L) { return put_copy(L, do_index_put, 0); }
static int l_index_copy_(lua_State *L) { return put_inplace(L, do_index_put, 1); }
static int l_index_copy(lua_State *L) { return put_copy(L, do_index_put, 1); }
static int l_index_fill_(lua_State *L) { return put_inplace(L, do_index_put, 2); }
static int l_index_fill(lua_State *L) { return put_copy(L, do_index_put, 2); }

static tsh_tensor *check_value(lua_State *L, int arg)
{
    int ty = lua_type(L, arg);
    if (!tshL_test(L, arg) && ty != LUA_TNUMBER && ty != LUA_TBOOLEAN)
        luaL_argerror(L, arg, lua_pushfstring(L, "value (number) expected, got %s", luaL_typename(L, arg)));
    return tshL_check_operand(L, arg);
}

static int l_masked_fill_(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1), *mask = tshL_check(L, 2), *v = check_value(L, 3);
    tsh_status st = tsh_masked_fill_(t, mask, v);
    tsh_tensor_release(v);
    if (st != TSH_OK) return tshL_error(L);
    lua_settop(L, 1);
    return 1;
}

static int l_masked_fill(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1), *mask = tshL_check(L, 2), *v = check_value(L, 3), *o = NULL;
    tsh_status st = tsh_masked_fill(t, mask, v, &o);
    tsh_tensor_release(v);
    if (st != TSH_OK) return tshL_error(L);
    tshL_push(L, o);
    return 1;
}

static int l_masked_select(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1), *mask = tshL_check(L, 2), *o;
    TSHL_TRY(L, tsh_masked_select(t, mask, &o));
    tshL_push(L, o);
    return 1;
}

static int l_masked_scatter_(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1);
    TSHL_TRY(L, tsh_masked_scatter_(t, tshL_check(L, 2), tshL_check(L, 3)));
    lua_settop(L, 1);
    return 1;
}

static int l_masked_scatter(lua_State *L)
{
    tsh_tensor *mask = tshL_check(L, 2), *src = tshL_check(L, 3);
    lua_settop(L, 3);
    TSHL_TRY(L, tsh_masked_scatter_(push_clone(L), mask, src));
    return 1;
}

static const char *const nonzero_opts[] = {"as_tuple", NULL};

/* nonzero's result, or with as_tuple its columns as separate 1-d tensors. */
static int push_nonzero(lua_State *L, tsh_tensor *t, int as_tuple)
{
    tsh_tensor *nz;
    TSHL_TRY(L, tsh_nonzero(t, &nz));
    tshL_push(L, nz);
    if (!as_tuple) return 1;
    int nd = t->ndim ? t->ndim : 1;
    luaL_checkstack(L, nd, "nonzero");
    for (int d = 0; d < nd; d++) {
        tsh_tensor *col, *c;
        if (t->ndim == 0) {
            TSHL_TRY(L, tsh_tensor_empty(1, &nz->shape[0], TSH_I64, nz->storage->device, &c));
            tshL_push(L, c);
            if (nz->shape[0]) TSHL_TRY(L, tsh_fill_int_(c, 1));
            continue;
        }
        TSHL_TRY(L, tsh_select(nz, 1, d, &col));
        tsh_status st = tsh_clone(col, &c);
        tsh_tensor_release(col);
        if (st != TSH_OK) return tshL_error(L);
        tshL_push(L, c);
    }
    return nd;
}

static int l_nonzero(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1);
    tshL_check_options(L, 2, "nonzero", nonzero_opts);
    int as_tuple = tshL_opt_bool(L, 2, "as_tuple", 0);
    lua_settop(L, 2);
    return push_nonzero(L, t, as_tuple);
}

/* tensor.where(cond, a, b), or tensor.where(cond) = nonzero(cond, {as_tuple=true}). */
static int l_where(lua_State *L)
{
    tsh_tensor *cond = tshL_check(L, 1), *o = NULL;
    if (lua_gettop(L) == 1) return push_nonzero(L, cond, 1);
    tsh_tensor *a = tshL_check_operand(L, 2);
    if (lua_isnone(L, 3)) {
        tsh_tensor_release(a);
        return luaL_argerror(L, 3, "a value for where the condition is false expected");
    }
    int ty = lua_type(L, 3);
    if (!tshL_test(L, 3) && ty != LUA_TNUMBER && ty != LUA_TBOOLEAN) {
        tsh_tensor_release(a);
        return luaL_argerror(L, 3, lua_pushfstring(L, "tensor or number expected, got %s", luaL_typename(L, 3)));
    }
    tsh_tensor *b = tshL_check_operand(L, 3);
    tsh_status st = tsh_where(cond, a, b, &o);
    tsh_tensor_release(a);
    tsh_tensor_release(b);
    if (st != TSH_OK) return tshL_error(L);
    tshL_push(L, o);
    return 1;
}

/* t:where(cond, other) = tensor.where(cond, t, other) */
static int l_where_method(lua_State *L)
{
    tshL_check(L, 1);
    tshL_check(L, 2);
    lua_settop(L, 3);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 3);
    lua_replace(L, 3);
    lua_replace(L, 2);
    lua_replace(L, 1);
    if (lua_isnil(L, 3)) return luaL_argerror(L, 3, "other (tensor or number) expected, got no value");
    return l_where(L);
}

static const tshL_Reg regs[] = {
    {"index_select", l_index_select, TSHL_BOTH,
     "t:index_select(dim, index) -> Tensor\n"
     "The slices of t along dim at the 1-based positions in index (a 1-d int64 tensor), as a copy.\n"
     "  tensor{{1, 2}, {3, 4}, {5, 6}}:index_select(1, tensor{3, 1})  --> {{5, 6}, {1, 2}}"},
    {"gather", l_gather, TSHL_BOTH,
     "t:gather(dim, index) -> Tensor\n"
     "out[i][j] = t[index[i][j]][j] for dim 1 (t[i][index[i][j]] for dim 2); index is int64, 1-based,\n"
     "with t's number of dims; out has index's shape.\n"
     "  tensor{{1, 2}, {3, 4}}:gather(2, tensor{{2, 1}, {1, 1}})  --> {{2, 1}, {3, 3}}"},
    {"take_along_dim", l_take_along_dim, TSHL_BOTH,
     "t:take_along_dim(index [, dim]) -> Tensor\n"
     "gather with t and index broadcast off dim; without dim, both are flattened first.\n"
     "  tensor{{1, 5}, {7, 2}}:take_along_dim(tensor{{2}, {1}}, 2)  --> {{5}, {7}}"},
    {"scatter", l_scatter, TSHL_BOTH,
     "t:scatter(dim, index, src or value [, {reduce='add'|'multiply'}]) -> Tensor\n"
     "A copy of t with out[index[i][j]][j] = src[i][j] for dim 1 (1-based indices); a number writes\n"
     "itself everywhere; reduce combines instead of overwriting. Duplicates apply in index order.\n"
     "  tensor.zeros(2, 3):scatter(2, tensor{{3}, {1}}, 1.0)  --> one-hot rows {{0, 0, 1}, {1, 0, 0}}"},
    {"scatter_", l_scatter_, TSHL_METHOD,
     "t:scatter_(dim, index, src or value [, {reduce='add'|'multiply'}]) -> t\nIn-place scatter.\n"
     "  t:scatter_(1, tensor{2, 2}, 5.0, {reduce='add'})  -- adds 10 to t[2]"},
    {"scatter_add", l_scatter_add, TSHL_BOTH,
     "t:scatter_add(dim, index, src) -> Tensor\n"
     "A copy of t with src[i][j] added at out[index[i][j]][j] (dim 1); duplicates accumulate.\n"
     "  tensor.zeros(3):scatter_add(1, tensor{1, 1, 3}, tensor{1.0, 2.0, 5.0})  --> {3, 0, 5}"},
    {"scatter_add_", l_scatter_add_, TSHL_METHOD, "t:scatter_add_(dim, index, src) -> t\nIn-place scatter_add.\n"
     "  counts:scatter_add_(1, labels, tensor.ones(labels:size(1)))"},
    {"index_add_", l_index_add_, TSHL_METHOD,
     "t:index_add_(dim, index, src [, {alpha=}]) -> t\n"
     "Adds alpha * src's slice k along dim to t's slice index[k] (1-based); duplicates accumulate.\n"
     "  tensor.zeros(3, 2):index_add_(1, tensor{1, 3}, tensor.ones(2, 2))"},
    {"index_add", l_index_add, TSHL_BOTH, "t:index_add(dim, index, src [, {alpha=}]) -> Tensor\nOut-of-place index_add_.\n"
     "  tensor.zeros(3):index_add(1, tensor{2, 2}, tensor{1.0, 2.0}, {alpha=2})  --> {0, 6, 0}"},
    {"index_copy_", l_index_copy_, TSHL_METHOD,
     "t:index_copy_(dim, index, src) -> t\n"
     "Copies src's slice k along dim into t's slice index[k] (1-based).\n"
     "  tensor.zeros(3, 2):index_copy_(1, tensor{3}, tensor{{7.0, 8.0}})"},
    {"index_copy", l_index_copy, TSHL_BOTH, "t:index_copy(dim, index, src) -> Tensor\nOut-of-place index_copy_.\n"
     "  tensor.zeros(3):index_copy(1, tensor{3, 1}, tensor{5.0, 6.0})  --> {6, 0, 5}"},
    {"index_fill_", l_index_fill_, TSHL_METHOD,
     "t:index_fill_(dim, index, value) -> t\n"
     "Sets t's slices along dim at the 1-based positions in index to value.\n"
     "  tensor.zeros(2, 3):index_fill_(2, tensor{1, 3}, -1)"},
    {"index_fill", l_index_fill, TSHL_BOTH, "t:index_fill(dim, index, value) -> Tensor\nOut-of-place index_fill_.\n"
     "  tensor{1, 2, 3}:index_fill(1, tensor{2}, 0)  --> {1, 0, 3}"},
    {"masked_fill", l_masked_fill, TSHL_BOTH,
     "t:masked_fill(mask, value) -> Tensor\n"
     "A copy of t with value where the bool mask (broadcast with t) is true; t's dtype is kept.\n"
     "  tensor{1, 2, 3}:masked_fill(tensor{true, false, true}, 0)  --> {0, 2, 0}"},
    {"masked_fill_", l_masked_fill_, TSHL_METHOD,
     "t:masked_fill_(mask, value) -> t\nIn place; mask must broadcast to t's shape.\n"
     "  t:masked_fill_(t:lt(0), 0)  -- a relu in place"},
    {"masked_select", l_masked_select, TSHL_BOTH,
     "t:masked_select(mask) -> Tensor\n"
     "The elements of t where the bool mask (broadcast with t) is true, as a 1-d copy in row-major order.\n"
     "  tensor{{1, 2}, {3, 4}}:masked_select(tensor{{true, false}, {false, true}})  --> {1, 4}"},
    {"masked_scatter_", l_masked_scatter_, TSHL_METHOD,
     "t:masked_scatter_(mask, src) -> t\n"
     "Writes src's elements, in order, to the positions where mask is true (src needs at least that many).\n"
     "  tensor.zeros(4):masked_scatter_(tensor{false, true, false, true}, tensor{1.0, 2.0})  --> {0, 1, 0, 2}"},
    {"masked_scatter", l_masked_scatter, TSHL_BOTH, "t:masked_scatter(mask, src) -> Tensor\nOut-of-place masked_scatter_.\n"
     "  tensor.zeros(3):masked_scatter(tensor{true, false, true}, tensor{1.0, 2.0})  --> {1, 0, 2}"},
    {"where", l_where, TSHL_FUNC,
     "tensor.where(cond, a, b) -> Tensor   or   tensor.where(cond) -> index tensors\n"
     "a where the bool cond is true, else b; all broadcast, a and b (tensors or numbers) promoted.\n"
     "With only cond: nonzero(cond, {as_tuple=true}).\n"
     "  tensor.where(tensor{true, false}, tensor{1, 2}, 0)  --> {1, 0}"},
    {"where", l_where_method, TSHL_METHOD,
     "t:where(cond, other) -> Tensor\ntensor.where(cond, t, other).\n"
     "  tensor{1, 2}:where(tensor{false, true}, -1)  --> {-1, 2}"},
    {"nonzero", l_nonzero, TSHL_BOTH,
     "t:nonzero([{as_tuple=false}]) -> Tensor\n"
     "The 1-based coordinates of the nonzero elements, one row each (count x ndim int64); with\n"
     "as_tuple, one 1-d tensor per dim as multiple results.\n"
     "  tensor{{0, 5}, {7, 0}}:nonzero()  --> {{1, 2}, {2, 1}}"},
    {NULL, NULL, 0, NULL},
};

void tshL_open_index(lua_State *L) { tshL_register(L, regs); }
