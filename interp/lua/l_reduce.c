/* l_reduce.c: Lua bindings of reductions (sum ... all, max/min with
 * indices) and ops along a dim (cumsum, softmax, sort, topk). Arguments
 * follow one convention: t:f([dim | {dims}], [keepdim], [{options}]),
 * dims 1-based or negative; indices returned are 1-based. No math here. */
#include <string.h>

#include "core/reduce.h"
#include "lt.h"

/* Parsed trailing arguments of a reduction. */
typedef struct rargs {
    tsh_reduce_spec spec;
    int ndims;     /* dims named (0: all) */
    int dim;       /* the first dim named, 0-based */
    int opt;       /* stack index of the options table, or 0 */
} rargs;

static int opt_dtype(lua_State *L, int opt)
{
    if (!opt) return -1;
    lua_getfield(L, opt, "dtype");
    bool absent = lua_isnil(L, -1);
    lua_pop(L, 1);
    return absent ? -1 : (int)tshL_opt_dtype(L, opt, "dtype", TSH_F32);
}

/* Reads [dim | {dims}] [keepdim] [{options}] from stack index `a` on.
 * allowed: the option names this function takes ("keepdim" among them). */
static void parse_reduce(lua_State *L, int a, const char *fname, const tsh_tensor *t,
                         const char *const *allowed, bool dims_ok, rargs *r)
{
    memset(r, 0, sizeof *r);
    r->spec.dtype = -1;
    int nd = t->ndim;
    if (lua_isinteger(L, a)) {
        r->dim = tshL_checkdim(L, a, nd);
        r->spec.dims = 1u << r->dim;
        r->ndims = 1;
        a++;
    } else if (lua_type(L, a) == LUA_TTABLE && !tshL_test(L, a) && !tshL_is_options(L, a)) {
        if (!dims_ok)
            luaL_argerror(L, a, "expected one dim (an integer), got a table of dims");
        int n = (int)luaL_len(L, a);
        for (int k = 1; k <= n; k++) {
            lua_rawgeti(L, a, k);
            if (!lua_isinteger(L, -1))
                luaL_argerror(L, a, lua_pushfstring(L, "dims must be integers, got %s at position %d",
                                                    lua_type(L, -1) == LUA_TNUMBER ? "a float"
                                                                                   : luaL_typename(L, -1), k));
            int d = tshL_todim(L, lua_tointeger(L, -1), nd, a);
            lua_pop(L, 1);
            if (r->spec.dims & (1u << d))
                luaL_argerror(L, a, lua_pushfstring(L, "dim %d appears more than once in the list "
                                                       "of dims", d + 1));
            if (!r->ndims) r->dim = d;
            r->spec.dims |= 1u << d;
            r->ndims++;
        }
        a++;
    } else if (lua_type(L, a) == LUA_TNUMBER) {
        luaL_argerror(L, a, "dim must be an integer");
    } else if (lua_isnil(L, a) && !lua_isnone(L, a)) {
        a++; /* an explicit nil: no dim */
    } else if (!lua_isnone(L, a) && !lua_isboolean(L, a) && lua_type(L, a) != LUA_TTABLE) {
        luaL_argerror(L, a, lua_pushfstring(L, "dim (integer), dims (table), keepdim (boolean) or "
                                               "options (table) expected, got %s", luaL_typename(L, a)));
    }
    int keep_arg = 0;
    if (lua_isboolean(L, a)) {
        r->spec.keepdim = lua_toboolean(L, a);
        keep_arg = a++;
    }
    if (!lua_isnoneornil(L, a)) {
        if (lua_type(L, a) != LUA_TTABLE || tshL_test(L, a) || !tshL_is_options(L, a))
            luaL_argerror(L, a, lua_pushfstring(L, "options table expected, got %s",
                                                luaL_typename(L, a)));
        tshL_check_options(L, a, fname, allowed);
        r->opt = a;
        lua_getfield(L, a, "keepdim");
        bool has_keep = !lua_isnil(L, -1);
        lua_pop(L, 1);
        if (has_keep && keep_arg)
            luaL_argerror(L, a, "keepdim given twice (as a boolean and as an option)");
        r->spec.keepdim = tshL_opt_bool(L, a, "keepdim", r->spec.keepdim);
        r->spec.dtype = opt_dtype(L, a);
        a++;
    }
    if (!lua_isnone(L, a))
        luaL_argerror(L, a, lua_pushfstring(L, "unexpected %s after the options", luaL_typename(L, a)));
}

static const char *const opts_keep[] = {"keepdim", NULL};
static const char *const opts_keep_dtype[] = {"keepdim", "dtype", NULL};

typedef tsh_status (*reduce_fn)(tsh_tensor *, const tsh_reduce_spec *, tsh_tensor **);

static int reduce_simple(lua_State *L, const char *fname, reduce_fn fn, const char *const *allowed)
{
    tsh_tensor *t = tshL_check(L, 1), *o;
    rargs r;
    parse_reduce(L, 2, fname, t, allowed, true, &r);
    TSHL_TRY(L, fn(t, &r.spec, &o));
    tshL_push(L, o);
    return 1;
}

static int l_sum(lua_State *L) { return reduce_simple(L, "sum", tsh_sum, opts_keep_dtype); }
static int l_prod(lua_State *L) { return reduce_simple(L, "prod", tsh_prod, opts_keep_dtype); }
static int l_mean(lua_State *L) { return reduce_simple(L, "mean", tsh_mean, opts_keep_dtype); }
static int l_logsumexp(lua_State *L) { return reduce_simple(L, "logsumexp", tsh_logsumexp, opts_keep); }
static int l_any(lua_State *L) { return reduce_simple(L, "any", tsh_any, opts_keep); }
static int l_all(lua_State *L) { return reduce_simple(L, "all", tsh_all, opts_keep); }

static int var_std(lua_State *L, bool std)
{
    static const char *const allowed[] = {"keepdim", "correction", "unbiased", NULL};
    const char *fname = std ? "std" : "var";
    tsh_tensor *t = tshL_check(L, 1), *o;
    rargs r;
    parse_reduce(L, 2, fname, t, allowed, true, &r);
    double correction = 1;
    if (r.opt) {
        lua_getfield(L, r.opt, "correction");
        bool has_corr = !lua_isnil(L, -1);
        lua_getfield(L, r.opt, "unbiased");
        bool has_unb = !lua_isnil(L, -1);
        lua_pop(L, 2);
        if (has_corr && has_unb)
            return luaL_error(L, "%s: give correction or unbiased, not both", fname);
        correction = tshL_opt_number(L, r.opt, "correction", 1);
        if (has_unb) correction = tshL_opt_bool(L, r.opt, "unbiased", 1) ? 1 : 0;
    }
    TSHL_TRY(L, tsh_var(t, &r.spec, correction, std, &o));
    tshL_push(L, o);
    return 1;
}

static int l_var(lua_State *L) { return var_std(L, false); }
static int l_std(lua_State *L) { return var_std(L, true); }

static int l_norm(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1), *o;
    double p = 2;
    int a = 2;
    if (lua_type(L, 2) == LUA_TNUMBER) {
        p = lua_tonumber(L, 2);
        a++;
    } else if (lua_type(L, 2) == LUA_TSTRING) {
        if (strcmp(lua_tostring(L, 2), "fro") != 0)
            return luaL_argerror(L, 2, lua_pushfstring(L, "p must be a number, math.huge or 'fro', "
                                                          "got '%s'", lua_tostring(L, 2)));
        a++;
    } else if (lua_isnil(L, 2) && !lua_isnone(L, 2)) {
        a++;
    } else if (!lua_isnone(L, 2) && lua_type(L, 2) != LUA_TTABLE) {
        return luaL_argerror(L, 2, lua_pushfstring(L, "p must be a number, math.huge or 'fro', "
                                                      "got %s", luaL_typename(L, 2)));
    }
    rargs r;
    parse_reduce(L, a, "norm", t, opts_keep, true, &r);
    TSHL_TRY(L, tsh_norm(t, &r.spec, p, &o));
    tshL_push(L, o);
    return 1;
}

/* max/min: t:max() -> 0-dim; t:max(dim[, keepdim]) -> values, indices;
 * t:max(other) -> tensor.maximum(t, other) when that exists. */
static int extreme(lua_State *L, bool max)
{
    const char *fname = max ? "max" : "min";
    tsh_tensor *t = tshL_check(L, 1), *v, *idx;
    if (tshL_test(L, 2)) {
        tshL_push_module(L);
        if (lua_getfield(L, -1, max ? "maximum" : "minimum") != LUA_TFUNCTION)
            return luaL_error(L, "%s: tensor.%s (the elementwise form) is not available", fname,
                              max ? "maximum" : "minimum");
        lua_pushvalue(L, 1);
        lua_pushvalue(L, 2);
        lua_call(L, 2, 1);
        return 1;
    }
    rargs r;
    parse_reduce(L, 2, fname, t, opts_keep, false, &r);
    if (!r.ndims) {
        if (r.spec.keepdim)
            return luaL_error(L, "%s: keepdim needs a dim (t:%s(dim, true))", fname, fname);
        TSHL_TRY(L, max ? tsh_max(t, &v) : tsh_min(t, &v));
        tshL_push(L, v);
        return 1;
    }
    TSHL_TRY(L, max ? tsh_max_dim(t, r.dim, r.spec.keepdim, &v, &idx)
                    : tsh_min_dim(t, r.dim, r.spec.keepdim, &v, &idx));
    tshL_push(L, v);
    tshL_push(L, idx);
    return 2;
}

static int l_max(lua_State *L) { return extreme(L, true); }
static int l_min(lua_State *L) { return extreme(L, false); }

static int arg_extreme(lua_State *L, bool max)
{
    tsh_tensor *t = tshL_check(L, 1), *o;
    rargs r;
    parse_reduce(L, 2, max ? "argmax" : "argmin", t, opts_keep, false, &r);
    int dim = r.ndims ? r.dim : -1;
    TSHL_TRY(L, max ? tsh_argmax(t, dim, r.spec.keepdim, &o) : tsh_argmin(t, dim, r.spec.keepdim, &o));
    tshL_push(L, o);
    return 1;
}

static int l_argmax(lua_State *L) { return arg_extreme(L, true); }
static int l_argmin(lua_State *L) { return arg_extreme(L, false); }

/* cumsum/cumprod/softmax/log_softmax: t:f(dim[, {dtype=}]) */
typedef tsh_status (*dimwise_fn)(tsh_tensor *, int, int, tsh_tensor **);

static int dimwise(lua_State *L, const char *fname, dimwise_fn fn)
{
    static const char *const allowed[] = {"dtype", NULL};
    tsh_tensor *t = tshL_check(L, 1), *o;
    if (lua_isnoneornil(L, 2))
        return luaL_argerror(L, 2, lua_pushfstring(L, "dim is required (for example t:%s(-1))", fname));
    int dim = tshL_checkdim(L, 2, t->ndim);
    tshL_check_options(L, 3, fname, allowed);
    if (!lua_isnone(L, 4))
        return luaL_argerror(L, 4, lua_pushfstring(L, "unexpected %s after the options", luaL_typename(L, 4)));
    TSHL_TRY(L, fn(t, dim, opt_dtype(L, lua_isnoneornil(L, 3) ? 0 : 3), &o));
    tshL_push(L, o);
    return 1;
}

static int l_cumsum(lua_State *L) { return dimwise(L, "cumsum", tsh_cumsum); }
static int l_cumprod(lua_State *L) { return dimwise(L, "cumprod", tsh_cumprod); }

/* cumsum_/cumprod_: t:f_(dim) -> t */
static int dimwise_(lua_State *L, const char *fname, tsh_status (*fn)(tsh_tensor *, int))
{
    tsh_tensor *t = tshL_check(L, 1);
    if (lua_isnoneornil(L, 2))
        return luaL_argerror(L, 2, lua_pushfstring(L, "dim is required (for example t:%s(-1))", fname));
    int dim = tshL_checkdim(L, 2, t->ndim);
    if (!lua_isnone(L, 3))
        return luaL_argerror(L, 3, lua_pushfstring(L, "unexpected %s after dim", luaL_typename(L, 3)));
    TSHL_TRY(L, fn(t, dim));
    lua_settop(L, 1);
    return 1;
}

static int l_cumsum_(lua_State *L) { return dimwise_(L, "cumsum_", tsh_cumsum_); }
static int l_cumprod_(lua_State *L) { return dimwise_(L, "cumprod_", tsh_cumprod_); }
static int l_softmax(lua_State *L) { return dimwise(L, "softmax", tsh_softmax); }
static int l_log_softmax(lua_State *L) { return dimwise(L, "log_softmax", tsh_log_softmax); }

/* Reads a positional boolean at *a (advancing) or leaves def. */
static int opt_flag(lua_State *L, int *a, int def)
{
    if (lua_isboolean(L, *a)) return lua_toboolean(L, (*a)++);
    if (lua_isnil(L, *a) && !lua_isnone(L, *a)) (*a)++;
    return def;
}

/* The options table at a (or none), then nothing after it. */
static int trailing_options(lua_State *L, int a, const char *fname, const char *const *allowed)
{
    if (lua_isnoneornil(L, a)) return 0;
    if (lua_type(L, a) != LUA_TTABLE || tshL_test(L, a) || !tshL_is_options(L, a))
        luaL_argerror(L, a, lua_pushfstring(L, "options table expected, got %s", luaL_typename(L, a)));
    tshL_check_options(L, a, fname, allowed);
    if (!lua_isnone(L, a + 1))
        luaL_argerror(L, a + 1, lua_pushfstring(L, "unexpected %s after the options",
                                                luaL_typename(L, a + 1)));
    return a;
}

static int l_sort(lua_State *L)
{
    static const char *const allowed[] = {"descending", "stable", "dim", NULL};
    tsh_tensor *t = tshL_check(L, 1), *v, *idx;
    int a = 2, dim = t->ndim ? t->ndim - 1 : 0;
    if (lua_type(L, a) == LUA_TNUMBER) dim = tshL_checkdim(L, a++, t->ndim);
    else if (lua_isnil(L, a) && !lua_isnone(L, a)) a++;
    int desc = opt_flag(L, &a, 0);
    int opt = trailing_options(L, a, "sort", allowed);
    if (opt) {
        lua_getfield(L, opt, "dim");
        if (!lua_isnil(L, -1)) dim = tshL_checkdim(L, lua_gettop(L), t->ndim);
        lua_pop(L, 1);
        desc = tshL_opt_bool(L, opt, "descending", desc);
        tshL_opt_bool(L, opt, "stable", 1); /* always stable; the flag is checked */
    }
    TSHL_TRY(L, tsh_sort(t, dim, desc, &v, &idx));
    tshL_push(L, v);
    tshL_push(L, idx);
    return 2;
}

static int l_topk(lua_State *L)
{
    static const char *const allowed[] = {"largest", "sorted", "dim", NULL};
    tsh_tensor *t = tshL_check(L, 1), *v, *idx;
    lua_Integer k = luaL_checkinteger(L, 2);
    int a = 3, dim = t->ndim ? t->ndim - 1 : 0;
    if (lua_type(L, a) == LUA_TNUMBER) dim = tshL_checkdim(L, a++, t->ndim);
    else if (lua_isnil(L, a) && !lua_isnone(L, a)) a++;
    int largest = opt_flag(L, &a, 1);
    opt_flag(L, &a, 1); /* sorted: results are always sorted */
    int opt = trailing_options(L, a, "topk", allowed);
    if (opt) {
        lua_getfield(L, opt, "dim");
        if (!lua_isnil(L, -1)) dim = tshL_checkdim(L, lua_gettop(L), t->ndim);
        lua_pop(L, 1);
        largest = tshL_opt_bool(L, opt, "largest", largest);
        tshL_opt_bool(L, opt, "sorted", 1);
    }
    TSHL_TRY(L, tsh_topk(t, k, dim, largest, &v, &idx));
    tshL_push(L, v);
    tshL_push(L, idx);
    return 2;
}

static const tshL_Reg regs[] = {
    {"sum", l_sum, TSHL_BOTH,
     "t:sum([dim | {dims}], [keepdim], {keepdim=, dtype=}) -> Tensor\n"
     "Sum of all elements (a 0-dim tensor) or along dims (1-based, negative from the end).\n"
     "bool and integer tensors sum to int64; dtype= casts the input first.\n"
     "  tensor{{1, 2}, {3, 4}}:sum(1)  --> tensor{4, 6}"},
    {"prod", l_prod, TSHL_BOTH,
     "t:prod([dim | {dims}], [keepdim], {keepdim=, dtype=}) -> Tensor\n"
     "Product of all elements or along dims; bool and integers give int64 (wrapping on overflow).\n"
     "  tensor{1, 2, 3, 4}:prod():item()  --> 24"},
    {"mean", l_mean, TSHL_BOTH,
     "t:mean([dim | {dims}], [keepdim], {keepdim=, dtype=}) -> Tensor\n"
     "Arithmetic mean; needs a float tensor or a float dtype= (as torch). Empty gives nan.\n"
     "  tensor{1.0, 2.0, 6.0}:mean():item()  --> 3.0"},
    {"var", l_var, TSHL_BOTH,
     "t:var([dim | {dims}], [keepdim], {keepdim=, correction=1, unbiased=}) -> Tensor\n"
     "Variance, dividing by N - correction (unbiased=false means correction=0).\n"
     "  tensor{1.0, 2.0, 3.0, 4.0}:var():item()  --> 1.6667"},
    {"std", l_std, TSHL_BOTH,
     "t:std([dim | {dims}], [keepdim], {keepdim=, correction=1, unbiased=}) -> Tensor\n"
     "Standard deviation: the square root of var with the same arguments.\n"
     "  tensor{2.0, 4.0}:std({correction=0}):item()  --> 1.0"},
    {"norm", l_norm, TSHL_BOTH,
     "t:norm([p=2], [dim | {dims}], [keepdim], {keepdim=}) -> Tensor\n"
     "Vector p-norm over all elements or dims: p a number, math.huge (max |x|), -math.huge,\n"
     "0 (count of nonzeros) or 'fro' (= 2).\n"
     "  tensor{3.0, 4.0}:norm():item()  --> 5.0"},
    {"logsumexp", l_logsumexp, TSHL_BOTH,
     "t:logsumexp([dim | {dims}], [keepdim], {keepdim=}) -> Tensor\n"
     "log(sum(exp(t))) computed without overflow; integers compute as float32.\n"
     "  tensor{0.0, 0.0}:logsumexp(1):item()  --> 0.6931"},
    {"any", l_any, TSHL_BOTH,
     "t:any([dim | {dims}], [keepdim], {keepdim=}) -> Tensor (bool)\n"
     "True where any element is nonzero (uint8 in, uint8 out, as torch). Empty gives false.\n"
     "  tensor{0, 0, 3}:any():item()  --> true"},
    {"all", l_all, TSHL_BOTH,
     "t:all([dim | {dims}], [keepdim], {keepdim=}) -> Tensor (bool)\n"
     "True where every element is nonzero. Empty gives true.\n"
     "  tensor{1, 0}:all():item()  --> false"},
    {"max", l_max, TSHL_BOTH,
     "t:max() -> Tensor  |  t:max(dim, [keepdim], {keepdim=}) -> values, indices\n"
     "The largest element (0-dim), or along dim with 1-based int64 indices of the first maximum.\n"
     "NaN propagates. t:max(other) is tensor.maximum(t, other).\n"
     "  local v, i = tensor{{1, 5}, {7, 2}}:max(2)  --> tensor{5, 7}, tensor{2, 1}"},
    {"min", l_min, TSHL_BOTH,
     "t:min() -> Tensor  |  t:min(dim, [keepdim], {keepdim=}) -> values, indices\n"
     "The smallest element (0-dim), or along dim with 1-based int64 indices of the first minimum.\n"
     "  local v, i = tensor{3, 1, 1}:min(1)  --> tensor(1), tensor(2)"},
    {"argmax", l_argmax, TSHL_BOTH,
     "t:argmax([dim], [keepdim], {keepdim=}) -> Tensor (int64)\n"
     "1-based index of the first maximum, along dim or into the flattened tensor.\n"
     "  tensor{{1, 9}, {8, 2}}:argmax():item()  --> 2"},
    {"argmin", l_argmin, TSHL_BOTH,
     "t:argmin([dim], [keepdim], {keepdim=}) -> Tensor (int64)\n"
     "1-based index of the first minimum, along dim or into the flattened tensor.\n"
     "  tensor{4, 1, 1}:argmin():item()  --> 2"},
    {"cumsum", l_cumsum, TSHL_BOTH,
     "t:cumsum(dim, {dtype=}) -> Tensor\n"
     "Running sum along dim; bool and integers give int64.\n"
     "  tensor{1, 2, 3}:cumsum(1)  --> tensor{1, 3, 6}"},
    {"cumprod", l_cumprod, TSHL_BOTH,
     "t:cumprod(dim, {dtype=}) -> Tensor\n"
     "Running product along dim; bool and integers give int64.\n"
     "  tensor{1, 2, 3}:cumprod(1)  --> tensor{1, 2, 6}"},
    {"cumsum_", l_cumsum_, TSHL_METHOD,
     "t:cumsum_(dim) -> t\n"
     "In-place cumsum in t's dtype (integers wrap there); bool tensors are refused.\n"
     "  local t = tensor{1, 2, 3}; t:cumsum_(1)  --> t is tensor{1, 3, 6}"},
    {"cumprod_", l_cumprod_, TSHL_METHOD,
     "t:cumprod_(dim) -> t\n"
     "In-place cumprod in t's dtype (integers wrap there); bool tensors are refused.\n"
     "  local t = tensor{1, 2, 3}; t:cumprod_(1)  --> t is tensor{1, 2, 6}"},
    {"softmax", l_softmax, TSHL_BOTH,
     "t:softmax(dim, {dtype=}) -> Tensor\n"
     "exp(t) / sum(exp(t)) along dim, computed stably; needs a float tensor or dtype=.\n"
     "  tensor{1.0, 2.0, 3.0}:softmax(1)"},
    {"log_softmax", l_log_softmax, TSHL_BOTH,
     "t:log_softmax(dim, {dtype=}) -> Tensor\n"
     "log(softmax(t, dim)) computed stably; needs a float tensor or dtype=.\n"
     "  tensor{1.0, 2.0, 3.0}:log_softmax(-1)"},
    {"sort", l_sort, TSHL_BOTH,
     "t:sort([dim=-1], [descending], {descending=, stable=, dim=}) -> values, indices\n"
     "Stable sort along dim; indices are 1-based int64. NaN sorts above +inf.\n"
     "  local v, i = tensor{3, 1, 2}:sort()  --> tensor{1, 2, 3}, tensor{2, 3, 1}"},
    {"topk", l_topk, TSHL_BOTH,
     "t:topk(k, [dim=-1], [largest=true], [sorted=true], {largest=, sorted=, dim=}) -> values, indices\n"
     "The k largest (or smallest) elements along dim, sorted, with 1-based int64 indices.\n"
     "  local v, i = tensor{1, 5, 3}:topk(2)  --> tensor{5, 3}, tensor{2, 3}"},
    {NULL, NULL, 0, NULL},
};

void tshL_open_reduce(lua_State *L) { tshL_register(L, regs); }
