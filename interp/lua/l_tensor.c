/* l_tensor.c: the Tensor userdata, its metatable, and the methods that
 * describe, view, copy and convert tensors; plus construction from Lua
 * tables and the simple constructors (zeros, ones, full, empty, *_like). */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "lt.h"

static int t_gc(lua_State *L)
{
    tsh_tensor **p = luaL_checkudata(L, 1, TSHL_TENSOR);
    tsh_tensor_release(*p);
    *p = NULL;
    return 0;
}

static int t_index(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TSTRING) {
        lua_pushvalue(L, 2);
        if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
        const char *k = lua_tostring(L, 2);
        tsh_tensor *t = tshL_check(L, 1);
        if (strcmp(k, "shape") == 0) {
            tshL_push_size(L, t->ndim, t->shape);
            return 1;
        }
        if (strcmp(k, "ndim") == 0) {
            lua_pushinteger(L, t->ndim);
            return 1;
        }
        if (tshL_autograd_get(L, t, k)) return 1;
        return luaL_error(L, "Tensor has no method or field '%s'", k);
    }
    return tshL_index_get(L);
}

static int t_newindex(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TSTRING) {
        if (tshL_autograd_set(L, tshL_check(L, 1), lua_tostring(L, 2))) return 0;
        return luaL_error(L, "cannot set field '%s' on a Tensor (settable: grad, requires_grad)",
                          lua_tostring(L, 2));
    }
    return tshL_index_set(L);
}

static int t_len(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1);
    if (t->ndim == 0) return luaL_error(L, "len() of a 0-d tensor");
    lua_pushinteger(L, t->shape[0]);
    return 1;
}

/* ---- description ---- */

/* t:size([dim]) and t:stride([dim]): the whole Size, or one dim's entry. */
static int size_or_stride(lua_State *L, bool stride)
{
    tsh_tensor *t = tshL_check(L, 1);
    const int64_t *v = stride ? t->stride : t->shape;
    if (lua_isnoneornil(L, 2)) {
        tshL_push_size(L, t->ndim, v);
        return 1;
    }
    lua_pushinteger(L, t->ndim ? v[tshL_checkdim(L, 2, t->ndim)] : 1);
    return 1;
}

static int t_size(lua_State *L) { return size_or_stride(L, false); }
static int t_stride(lua_State *L) { return size_or_stride(L, true); }

static int t_dim(lua_State *L)
{
    lua_pushinteger(L, tshL_check(L, 1)->ndim);
    return 1;
}

static int t_numel(lua_State *L)
{
    lua_pushinteger(L, tsh_numel(tshL_check(L, 1)));
    return 1;
}

static int t_dtype(lua_State *L)
{
    lua_pushstring(L, tsh_dtype_name(tshL_check(L, 1)->dtype));
    return 1;
}

static int t_device(lua_State *L)
{
    char b[32];
    lua_pushstring(L, tsh_device_str(tshL_check(L, 1)->storage->device, b, sizeof b));
    return 1;
}

static int t_is_contiguous(lua_State *L)
{
    lua_pushboolean(L, tsh_is_contiguous(tshL_check(L, 1)));
    return 1;
}

static int t_is_floating_point(lua_State *L)
{
    lua_pushboolean(L, tsh_dtype_is_float(tshL_check(L, 1)->dtype));
    return 1;
}

static int t_storage_offset(lua_State *L)
{
    lua_pushinteger(L, tshL_check(L, 1)->offset);
    return 1;
}

static int t_item(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1);
    if (tsh_dtype_is_float(t->dtype)) {
        double v;
        TSHL_TRY(L, tsh_item_f64(t, &v));
        lua_pushnumber(L, v);
    } else {
        int64_t v;
        TSHL_TRY(L, tsh_item_i64(t, &v));
        if (t->dtype == TSH_BOOL) lua_pushboolean(L, v != 0);
        else lua_pushinteger(L, v);
    }
    return 1;
}

static int is_tensor(lua_State *L)
{
    lua_pushboolean(L, tshL_test(L, 1) != NULL);
    return 1;
}

/* ---- views ---- */

/* view, reshape and expand: t and a new shape, given as sizes or as a
 * tensor whose shape to take (the *_as forms). */
typedef tsh_status (*shape_fn)(tsh_tensor *, int, const int64_t *, tsh_tensor **);

static int with_shape(lua_State *L, shape_fn f)
{
    tsh_tensor *t = tshL_check(L, 1), *like = tshL_test(L, 2), *o;
    int nd;
    int64_t shape[TSH_MAX_DIMS];
    if (like) {
        nd = like->ndim;
        memcpy(shape, like->shape, sizeof shape);
    } else {
        tshL_check_shape(L, 2, &nd, shape);
    }
    TSHL_TRY(L, f(t, nd, shape, &o));
    tshL_push(L, o);
    return 1;
}

static int t_view(lua_State *L) { return with_shape(L, tsh_view); }
static int t_reshape(lua_State *L) { return with_shape(L, tsh_reshape); }
static int t_expand(lua_State *L) { return with_shape(L, tsh_expand_shape); }

static int t_flatten(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1), *o;
    int s = tshL_optdim(L, 2, t->ndim, 0);
    int e = tshL_optdim(L, 3, t->ndim, t->ndim ? t->ndim - 1 : 0);
    TSHL_TRY(L, tsh_flatten(t, s, e, &o));
    tshL_push(L, o);
    return 1;
}

static int t_transpose(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1), *o;
    int d0 = tshL_checkdim(L, 2, t->ndim), d1 = tshL_checkdim(L, 3, t->ndim);
    TSHL_TRY(L, tsh_transpose(t, d0, d1, &o));
    tshL_push(L, o);
    return 1;
}

static int t_t(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1), *o;
    if (t->ndim > 2)
        return luaL_error(L, "t: expects a tensor with <= 2 dimensions, got %d (use transpose)", t->ndim);
    TSHL_TRY(L, tsh_transpose(t, 0, t->ndim == 2 ? 1 : 0, &o));
    tshL_push(L, o);
    return 1;
}

static int t_permute(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1), *o;
    int dims[TSH_MAX_DIMS], n = 0;
    if (lua_type(L, 2) == LUA_TTABLE) {
        n = (int)luaL_len(L, 2);
        for (int k = 1; k <= n && k <= TSH_MAX_DIMS; k++) {
            lua_rawgeti(L, 2, k);
            if (!lua_isinteger(L, -1)) luaL_argerror(L, 2, "dims must be integers");
            dims[k - 1] = tshL_todim(L, lua_tointeger(L, -1), t->ndim, 2);
            lua_pop(L, 1);
        }
    } else {
        for (int a = 2; !lua_isnone(L, a); a++) {
            if (n == TSH_MAX_DIMS) luaL_argerror(L, a, "too many dims");
            dims[n++] = tshL_checkdim(L, a, t->ndim);
        }
    }
    if (n != t->ndim)
        return luaL_error(L, "permute: expected %d dims for a %d-d tensor, got %d", t->ndim, t->ndim, n);
    TSHL_TRY(L, tsh_permute(t, dims, &o));
    tshL_push(L, o);
    return 1;
}

static int t_narrow(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1), *o;
    int d = tshL_checkdim(L, 2, t->ndim);
    lua_Integer start = luaL_checkinteger(L, 3), len = luaL_checkinteger(L, 4);
    if (t->ndim && start < 0) start += t->shape[d] + 1;
    if (start < 1)
        return luaL_argerror(L, 3, lua_pushfstring(L, "start must be >= 1, got %I", luaL_checkinteger(L, 3)));
    TSHL_TRY(L, tsh_narrow(t, d, start - 1, len, &o));
    tshL_push(L, o);
    return 1;
}

static int t_select(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1), *o;
    int d = tshL_checkdim(L, 2, t->ndim);
    lua_Integer i = luaL_checkinteger(L, 3);
    if (t->ndim && i < 0) i += t->shape[d] + 1;
    if (i < 1 && t->ndim)
        return luaL_error(L, "select: index %I is out of range for dim %d of size %I",
                          luaL_checkinteger(L, 3), d + 1, (lua_Integer)t->shape[d]);
    TSHL_TRY(L, tsh_select(t, d, i - 1, &o));
    tshL_push(L, o);
    return 1;
}

static int t_squeeze(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1), *o;
    int d = tshL_optdim(L, 2, t->ndim, -1);
    TSHL_TRY(L, tsh_squeeze(t, d, &o));
    tshL_push(L, o);
    return 1;
}

static int t_unsqueeze(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1), *o;
    lua_Integer d = luaL_checkinteger(L, 2);
    int n = t->ndim + 1;
    if (d < 0) d += n + 1;
    if (d < 1 || d > n)
        return luaL_argerror(L, 2, lua_pushfstring(L, "dim %I is out of range for unsqueeze of a "
                                                      "%d-d tensor (expected 1..%d or -%d..-1)",
                                                   luaL_checkinteger(L, 2), t->ndim, n, n));
    TSHL_TRY(L, tsh_unsqueeze(t, (int)d - 1, &o));
    tshL_push(L, o);
    return 1;
}

static int t_unfold(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1), *o;
    int d = tshL_checkdim(L, 2, t->ndim);
    lua_Integer size = luaL_checkinteger(L, 3), step = luaL_checkinteger(L, 4);
    TSHL_TRY(L, tsh_unfold(t, d, size, step, &o));
    tshL_push(L, o);
    return 1;
}

/* ---- copies and conversions ---- */

static int t_contiguous(lua_State *L)
{
    tsh_tensor *o;
    TSHL_TRY(L, tsh_contiguous(tshL_check(L, 1), &o));
    tshL_push(L, o);
    return 1;
}

static int t_clone(lua_State *L)
{
    tsh_tensor *o;
    TSHL_TRY(L, tsh_clone(tshL_check(L, 1), &o));
    tshL_push(L, o);
    return 1;
}

static int t_copy_(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1), *src = tshL_check(L, 2);
    TSHL_TRY(L, tsh_copy_(t, src));
    lua_settop(L, 1);
    return 1;
}

/* Fills t with the Lua value at idx: booleans, and integers into an
 * integer dtype, exactly (an int64 past 2^53 survives); else as a double. */
static void fill_with(lua_State *L, tsh_tensor *t, int idx)
{
    if (lua_isboolean(L, idx)) TSHL_TRY(L, tsh_fill_int_(t, lua_toboolean(L, idx)));
    else if (lua_isinteger(L, idx) && !tsh_dtype_is_float(t->dtype)) TSHL_TRY(L, tsh_fill_int_(t, lua_tointeger(L, idx)));
    else TSHL_TRY(L, tsh_fill_(t, luaL_checknumber(L, idx)));
}

static int t_fill_(lua_State *L)
{
    fill_with(L, tshL_check(L, 1), 2);
    lua_settop(L, 1);
    return 1;
}

static int t_zero_(lua_State *L)
{
    TSHL_TRY(L, tsh_fill_int_(tshL_check(L, 1), 0));
    lua_settop(L, 1);
    return 1;
}

static int convert_to(lua_State *L, tsh_dtype dt)
{
    tsh_tensor *o;
    TSHL_TRY(L, tsh_to_dtype(tshL_check(L, 1), dt, &o));
    tshL_push(L, o);
    return 1;
}

static int t_to(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1);
    if (tshL_test(L, 2)) return convert_to(L, tshL_test(L, 2)->dtype);
    tsh_dtype dt;
    const char *s = lua_tostring(L, 2);
    if (lua_type(L, 2) == LUA_TSTRING && tsh_dtype_from_name(s, &dt)) return convert_to(L, dt);
    tsh_device dev = tshL_check_device(L, 2);
    if (!tsh_device_eq(dev, t->storage->device))
        return luaL_error(L, "to: device %s is not available in this build", s);
    lua_settop(L, 1);
    return 1;
}

static int t_float(lua_State *L) { return convert_to(L, TSH_F32); }
static int t_double(lua_State *L) { return convert_to(L, TSH_F64); }
static int t_half(lua_State *L) { return convert_to(L, TSH_F16); }
static int t_bfloat16(lua_State *L) { return convert_to(L, TSH_BF16); }
static int t_long(lua_State *L) { return convert_to(L, TSH_I64); }
static int t_int(lua_State *L) { return convert_to(L, TSH_I32); }
static int t_byte(lua_State *L) { return convert_to(L, TSH_U8); }
static int t_bool(lua_State *L) { return convert_to(L, TSH_BOOL); }

static int t_type(lua_State *L)
{
    if (lua_isnoneornil(L, 2)) return t_dtype(L);
    return convert_to(L, tshL_check_dtype(L, 2));
}

/* ---- totable ---- */

static void push_elem(lua_State *L, const tsh_tensor *t, const char *p)
{
    if (tsh_dtype_is_float(t->dtype)) lua_pushnumber(L, tsh_load_f64(t->dtype, p));
    else if (t->dtype == TSH_BOOL) lua_pushboolean(L, *p != 0);
    else lua_pushinteger(L, tsh_load_i64(t->dtype, p));
}

static void totable_rec(lua_State *L, const tsh_tensor *t, int d, const char *p)
{
    size_t es = tsh_dtype_size(t->dtype);
    lua_createtable(L, (int)t->shape[d], 0);
    for (int64_t i = 0; i < t->shape[d]; i++) {
        const char *q = p + i * t->stride[d] * (int64_t)es;
        if (d == t->ndim - 1) push_elem(L, t, q);
        else totable_rec(L, t, d + 1, q);
        lua_rawseti(L, -2, i + 1);
    }
}

static int t_totable(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1);
    luaL_checkstack(L, t->ndim + 4, "totable");
    if (t->ndim == 0) push_elem(L, t, tsh_data(t));
    else totable_rec(L, t, 0, tsh_data(t));
    return 1;
}

/* ---- construction ---- */

typedef struct {
    int ndim;
    int64_t shape[TSH_MAX_DIMS];
    int has_float, has_bool, has_int;
} table_info;

static void scan_table(lua_State *L, int idx, int d, table_info *ti, int arg)
{
    int64_t n = (int64_t)lua_rawlen(L, idx);
    if (d >= TSH_MAX_DIMS) luaL_argerror(L, arg, "nested too deep (at most 8 dimensions)");
    if (d >= ti->ndim) {
        ti->ndim = d + 1;
        ti->shape[d] = n;
    } else if (ti->shape[d] != n) {
        luaL_argerror(L, arg, lua_pushfstring(L, "ragged nested table: dim %d has lengths %I and %I",
                                              d + 1, (lua_Integer)ti->shape[d], (lua_Integer)n));
    }
    for (int64_t i = 1; i <= n; i++) {
        int ty = lua_rawgeti(L, idx, i);
        if (ty == LUA_TTABLE) {
            if (d + 1 < ti->ndim && i == 1 && ti->ndim == d + 1)
                luaL_argerror(L, arg, "ragged nested table");
            scan_table(L, lua_gettop(L), d + 1, ti, arg);
        } else {
            if (ti->ndim > d + 1)
                luaL_argerror(L, arg, lua_pushfstring(L, "ragged nested table: a %s where a table was expected at dim %d",
                                                      luaL_typename(L, -1), d + 2));
            if (ty == LUA_TNUMBER) {
                if (lua_isinteger(L, -1)) ti->has_int = 1;
                else ti->has_float = 1;
            } else if (ty == LUA_TBOOLEAN) {
                ti->has_bool = 1;
            } else {
                luaL_argerror(L, arg, lua_pushfstring(L, "numbers or booleans expected in the table, got %s",
                                                      luaL_typename(L, -1)));
            }
        }
        lua_pop(L, 1);
    }
}

static void fill_table(lua_State *L, int idx, int d, const tsh_tensor *t, int64_t *pos, int arg)
{
    int64_t n = (int64_t)lua_rawlen(L, idx);
    if (n != t->shape[d])
        luaL_argerror(L, arg, "ragged nested table");
    char *base = tsh_data(t);
    size_t es = tsh_dtype_size(t->dtype);
    for (int64_t i = 1; i <= n; i++) {
        int ty = lua_rawgeti(L, idx, i);
        if (d < t->ndim - 1) {
            if (ty != LUA_TTABLE) luaL_argerror(L, arg, "ragged nested table");
            fill_table(L, lua_gettop(L), d + 1, t, pos, arg);
        } else {
            if (ty == LUA_TTABLE) luaL_argerror(L, arg, "ragged nested table");
            char *p = base + (*pos)++ * (int64_t)es;
            if (ty == LUA_TBOOLEAN) tsh_store_i64(t->dtype, p, lua_toboolean(L, -1));
            else if (lua_isinteger(L, -1)) tsh_store_i64(t->dtype, p, lua_tointeger(L, -1));
            else tsh_store_f64(t->dtype, p, lua_tonumber(L, -1));
        }
        lua_pop(L, 1);
    }
}

static const char *const create_opts[] = {"dtype", "device", "requires_grad", NULL};

static int tensor_from(lua_State *L)
{
    int opt = 2;
    tshL_check_options(L, opt, "tensor", create_opts);
    tsh_dtype dt;
    tsh_tensor *t;
    if (lua_type(L, 1) == LUA_TNUMBER || lua_type(L, 1) == LUA_TBOOLEAN) {
        dt = lua_isboolean(L, 1) ? TSH_BOOL : lua_isinteger(L, 1) ? TSH_I64 : TSH_DEFAULT_DTYPE;
        dt = tshL_opt_dtype(L, opt, "dtype", dt);
        if (lua_isboolean(L, 1) || lua_isinteger(L, 1))
            TSHL_TRY(L, tsh_scalar_i64(lua_isboolean(L, 1) ? lua_toboolean(L, 1) : lua_tointeger(L, 1), dt, false, &t));
        else
            TSHL_TRY(L, tsh_scalar_f64(lua_tonumber(L, 1), dt, false, &t));
        return tshL_push_new(L, t, opt);
    }
    tsh_tensor *src = tshL_test(L, 1);
    if (src) {
        dt = tshL_opt_dtype(L, opt, "dtype", src->dtype);
        TSHL_TRY(L, tsh_tensor_empty_like(src, dt, &t));
        tsh_status st = tsh_copy_(t, src);
        if (st != TSH_OK) { tsh_tensor_release(t); return tshL_error(L); }
        return tshL_push_new(L, t, opt);
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    table_info ti = {0};
    scan_table(L, 1, 0, &ti, 1);
    dt = ti.has_float ? TSH_DEFAULT_DTYPE : ti.has_int ? TSH_I64 : ti.has_bool ? TSH_BOOL : TSH_DEFAULT_DTYPE;
    dt = tshL_opt_dtype(L, opt, "dtype", dt);
    tsh_device dev = tshL_opt_device(L, opt, "device", tsh_cpu_device());
    if (dev.type != TSH_CPU) return luaL_error(L, "tensor: device %s is not available in this build", "cuda");
    TSHL_TRY(L, tsh_tensor_empty(ti.ndim, ti.shape, dt, dev, &t));
    tshL_push(L, t); /* owned by Lua now, so a raise below does not leak */
    int64_t pos = 0;
    if (tsh_numel(t) > 0) fill_table(L, 1, 0, t, &pos, 1);
    tshL_apply_requires_grad(L, opt, t);
    return 1;
}

static int module_call(lua_State *L)
{
    lua_remove(L, 1); /* the module table */
    return tensor_from(L);
}

/* zeros/ones/empty/full(size..., [value], {dtype=, device=}) */
static int make_filled(lua_State *L, const char *fname, int mode)
{
    int nd;
    int64_t shape[TSH_MAX_DIMS];
    if (mode == 3 && (lua_type(L, 1) != LUA_TTABLE || tshL_is_options(L, 1)) && !lua_isinteger(L, 1))
        return luaL_argerror(L, 1, lua_pushfstring(L, "size table expected, got %s (e.g. tensor.full({2, 3}, 7))",
                                                   luaL_typename(L, 1)));
    if (mode == 3 && lua_type(L, 1) != LUA_TTABLE)
        return luaL_argerror(L, 1, "size must be a table, as in tensor.full({2, 3}, 7)");
    int next = tshL_check_shape(L, 1, &nd, shape);
    tsh_dtype def = TSH_DEFAULT_DTYPE;
    if (mode == 3) { /* full: the value follows the shape, and sets the default dtype */
        if (lua_isboolean(L, next)) def = TSH_BOOL;
        else if (lua_isinteger(L, next)) def = TSH_I64;
        else luaL_checknumber(L, next);
        next++;
    }
    tshL_check_options(L, next, fname, create_opts);
    tsh_dtype dt = tshL_opt_dtype(L, next, "dtype", def);
    tsh_device dev = tshL_opt_device(L, next, "device", tsh_cpu_device());
    if (!lua_isnoneornil(L, next + 1))
        return luaL_argerror(L, next + 1, lua_pushfstring(L, "unexpected %s after the options", luaL_typename(L, next + 1)));
    tsh_tensor *t;
    TSHL_TRY(L, tsh_tensor_empty(nd, shape, dt, dev, &t));
    tshL_push(L, t);
    if (mode == 3) fill_with(L, t, next - 1);
    else if (mode != 2) TSHL_TRY(L, tsh_fill_(t, mode == 1 ? 1 : 0));
    tshL_apply_requires_grad(L, next, t);
    return 1;
}

static int zeros(lua_State *L) { return make_filled(L, "zeros", 0); }
static int ones(lua_State *L) { return make_filled(L, "ones", 1); }
static int empty(lua_State *L) { return make_filled(L, "empty", 2); }
static int full(lua_State *L) { return make_filled(L, "full", 3); }

static int make_like(lua_State *L, const char *fname, int mode)
{
    tsh_tensor *like = tshL_check(L, 1), *t;
    int opt = mode == 3 ? 3 : 2;
    if (mode == 3) luaL_checknumber(L, 2);
    tshL_check_options(L, opt, fname, create_opts);
    tsh_dtype dt = tshL_opt_dtype(L, opt, "dtype", like->dtype);
    TSHL_TRY(L, tsh_tensor_empty_like(like, dt, &t));
    tshL_push(L, t);
    if (mode == 3) fill_with(L, t, 2);
    else if (mode != 2) TSHL_TRY(L, tsh_fill_(t, mode == 1 ? 1 : 0));
    tshL_apply_requires_grad(L, opt, t);
    return 1;
}

static int zeros_like(lua_State *L) { return make_like(L, "zeros_like", 0); }
static int ones_like(lua_State *L) { return make_like(L, "ones_like", 1); }
static int empty_like(lua_State *L) { return make_like(L, "empty_like", 2); }
static int full_like(lua_State *L) { return make_like(L, "full_like", 3); }

/* ---- runtime ---- */

static int memory_stats(lua_State *L)
{
    tsh_mem_stats s = tsh_host_mem_stats();
    lua_createtable(L, 0, 6);
    lua_pushinteger(L, s.allocated); lua_setfield(L, -2, "allocated");
    lua_pushinteger(L, s.peak_allocated); lua_setfield(L, -2, "peak_allocated");
    lua_pushinteger(L, s.cached); lua_setfield(L, -2, "cached");
    lua_pushinteger(L, s.n_alloc); lua_setfield(L, -2, "num_allocs");
    lua_pushinteger(L, s.n_cache_hit); lua_setfield(L, -2, "cache_hits");
    lua_pushinteger(L, s.n_system); lua_setfield(L, -2, "system_allocs");
    return 1;
}

static int empty_cache(lua_State *L)
{
    (void)L;
    tsh_host_empty_cache();
    return 0;
}

static int set_num_threads(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    if (n < 1) return luaL_argerror(L, 1, lua_pushfstring(L, "thread count must be >= 1, got %I", n));
    tsh_set_num_threads((int)n);
    return 0;
}

static int get_num_threads(lua_State *L)
{
    lua_pushinteger(L, tsh_get_num_threads());
    return 1;
}

static int perf_counter(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushnumber(L, (double)ts.tv_sec + ts.tv_nsec * 1e-9);
    return 1;
}

static int isatty_fn(lua_State *L)
{
    lua_Integer fd = luaL_optinteger(L, 1, 1);
    lua_pushboolean(L, fd >= 0 && fd <= 1024 && isatty((int)fd));
    return 1;
}

static const tshL_Reg regs[] = {
    {"size", t_size, TSHL_METHOD,
     "t:size([dim]) -> Size or integer\n"
     "The shape as a Size (a table of integers), or the size of one dim (1-based).\n"
     "  tensor.zeros(2, 3):size()   --> Size{2, 3}\n  tensor.zeros(2, 3):size(2)  --> 3"},
    {"stride", t_stride, TSHL_METHOD,
     "t:stride([dim]) -> Size or integer\nThe strides in elements, or the stride of one dim."},
    {"dim", t_dim, TSHL_METHOD, "t:dim() -> integer\nThe number of dimensions (0 for a scalar tensor)."},
    {"ndimension", t_dim, TSHL_METHOD, "t:ndimension() -> integer\nSame as t:dim()."},
    {"numel", t_numel, TSHL_BOTH, "t:numel() -> integer\nThe number of elements."},
    {"nelement", t_numel, TSHL_METHOD, "t:nelement() -> integer\nSame as t:numel()."},
    {"dtype", t_dtype, TSHL_METHOD,
     "t:dtype() -> string\nThe element type: float32, float64, float16, bfloat16, int64, int32, uint8 or bool."},
    {"device", t_device, TSHL_METHOD, "t:device() -> string\nWhere the data lives: 'cpu' or 'cuda:N'."},
    {"is_contiguous", t_is_contiguous, TSHL_METHOD,
     "t:is_contiguous() -> boolean\nTrue when the elements are laid out densely in row-major order."},
    {"is_floating_point", t_is_floating_point, TSHL_BOTH,
     "t:is_floating_point() -> boolean\nTrue for float16, bfloat16, float32 and float64."},
    {"storage_offset", t_storage_offset, TSHL_METHOD,
     "t:storage_offset() -> integer\nOffset of the first element in the shared storage (0-based, in elements)."},
    {"item", t_item, TSHL_METHOD,
     "t:item() -> number or boolean\nThe value of a one-element tensor as a Lua value.\n"
     "  tensor.ones(2, 3):sum():item()  --> 6.0"},
    {"is_tensor", is_tensor, TSHL_FUNC, "tensor.is_tensor(x) -> boolean\nTrue when x is a Tensor."},
    {"view", t_view, TSHL_BOTH,
     "t:view(size...) -> Tensor\nThe same data with a new shape, sharing storage. One size may be -1 "
     "(inferred). Fails when the strides do not allow it: use reshape.\n"
     "  tensor.arange(6):view(2, 3)"},
    {"view_as", t_view, TSHL_METHOD, "t:view_as(other) -> Tensor\nt:view(other:size())."},
    {"reshape", t_reshape, TSHL_BOTH,
     "t:reshape(size...) -> Tensor\nLike view, but copies when the data cannot be viewed with the new shape.\n"
     "  tensor.arange(6):reshape(3, -1)"},
    {"reshape_as", t_reshape, TSHL_METHOD, "t:reshape_as(other) -> Tensor\nt:reshape(other:size())."},
    {"flatten", t_flatten, TSHL_BOTH,
     "t:flatten([start_dim=1 [, end_dim=-1]]) -> Tensor\nMerges dims start_dim..end_dim (inclusive) into one."},
    {"transpose", t_transpose, TSHL_BOTH,
     "t:transpose(dim1, dim2) -> Tensor\nA view with two dims swapped.\n  tensor.zeros(2, 3):transpose(1, 2):size()  --> Size{3, 2}"},
    {"t", t_t, TSHL_BOTH, "t:t() -> Tensor\nTranspose of a 2-d tensor (1-d and 0-d are returned as views)."},
    {"permute", t_permute, TSHL_BOTH,
     "t:permute(dims...) -> Tensor\nA view with the dims reordered (1-based).\n"
     "  tensor.zeros(2, 3, 4):permute(3, 1, 2):size()  --> Size{4, 2, 3}"},
    {"narrow", t_narrow, TSHL_BOTH,
     "t:narrow(dim, start, length) -> Tensor\nA view of `length` elements along dim from `start` (1-based)."},
    {"select", t_select, TSHL_BOTH,
     "t:select(dim, index) -> Tensor\nA view at one index of dim, with that dim removed (index 1-based, negative from the end)."},
    {"expand", t_expand, TSHL_METHOD,
     "t:expand(size...) -> Tensor\nA view repeating size-1 dims (stride 0) to a larger shape; -1 keeps a size.\n"
     "  tensor.ones(3, 1):expand(3, 4)"},
    {"expand_as", t_expand, TSHL_METHOD, "t:expand_as(other) -> Tensor\nt:expand(other:size())."},
    {"squeeze", t_squeeze, TSHL_BOTH,
     "t:squeeze([dim]) -> Tensor\nRemoves dims of size 1 (all of them, or only dim)."},
    {"unsqueeze", t_unsqueeze, TSHL_BOTH,
     "t:unsqueeze(dim) -> Tensor\nInserts a dim of size 1 at position dim (1..ndim+1, or negative)."},
    {"unfold", t_unfold, TSHL_METHOD,
     "t:unfold(dim, size, step) -> Tensor\nA view of all windows of `size` along dim, `step` apart, as a new last dim."},
    {"contiguous", t_contiguous, TSHL_METHOD,
     "t:contiguous() -> Tensor\nt itself when contiguous, else a contiguous copy."},
    {"clone", t_clone, TSHL_BOTH, "t:clone() -> Tensor\nA copy with its own storage."},
    {"copy_", t_copy_, TSHL_METHOD,
     "t:copy_(src) -> t\nCopies src into t in place, broadcasting src and converting its dtype."},
    {"fill_", t_fill_, TSHL_METHOD, "t:fill_(value) -> t\nSets every element to value."},
    {"zero_", t_zero_, TSHL_METHOD, "t:zero_() -> t\nSets every element to 0."},
    {"to", t_to, TSHL_METHOD,
     "t:to(dtype or device or tensor) -> Tensor\nConverts to a dtype ('float64', ...) or moves to a device ('cpu', 'cuda').\n"
     "  tensor{1, 2}:to('float64')"},
    {"type", t_type, TSHL_METHOD, "t:type([dtype]) -> string or Tensor\nThe dtype name, or a conversion to dtype."},
    {"float", t_float, TSHL_METHOD, "t:float() -> Tensor\nConverts to float32."},
    {"double", t_double, TSHL_METHOD, "t:double() -> Tensor\nConverts to float64."},
    {"half", t_half, TSHL_METHOD, "t:half() -> Tensor\nConverts to float16."},
    {"bfloat16", t_bfloat16, TSHL_METHOD, "t:bfloat16() -> Tensor\nConverts to bfloat16."},
    {"long", t_long, TSHL_METHOD, "t:long() -> Tensor\nConverts to int64 (floats truncate toward zero)."},
    {"int", t_int, TSHL_METHOD, "t:int() -> Tensor\nConverts to int32."},
    {"byte", t_byte, TSHL_METHOD, "t:byte() -> Tensor\nConverts to uint8."},
    {"bool", t_bool, TSHL_METHOD, "t:bool() -> Tensor\nConverts to bool (nonzero is true)."},
    {"totable", t_totable, TSHL_METHOD,
     "t:totable() -> table or value\nThe elements as nested Lua tables (a plain value for a 0-d tensor).\n"
     "  tensor{{1, 2}, {3, 4}}:totable()  --> {{1, 2}, {3, 4}}"},
    {"tensor", tensor_from, TSHL_FUNC,
     "tensor.tensor(data, {dtype=, device=}) -> Tensor  (also tensor(data))\n"
     "A tensor from a number or nested Lua tables. Lua integers make int64, floats float32, booleans bool.\n"
     "  tensor{{1, 2}, {3, 4}}         -- int64\n  tensor({1.5, 2}, {dtype='float64'})"},
    {"zeros", zeros, TSHL_FUNC,
     "tensor.zeros(size..., {dtype=, device=}) -> Tensor\nA tensor of zeros. size is integers or a table.\n  tensor.zeros(2, 3)"},
    {"ones", ones, TSHL_FUNC, "tensor.ones(size..., {dtype=, device=}) -> Tensor\nA tensor of ones.\n  tensor.ones({2, 3}, {dtype='int64'})"},
    {"empty", empty, TSHL_FUNC, "tensor.empty(size..., {dtype=, device=}) -> Tensor\nA tensor with uninitialised values."},
    {"full", full, TSHL_FUNC,
     "tensor.full(size..., value, {dtype=, device=}) -> Tensor\nA tensor filled with value (dtype follows value, as in PyTorch).\n"
     "  tensor.full({2, 2}, 7)"},
    {"zeros_like", zeros_like, TSHL_FUNC, "tensor.zeros_like(t, {dtype=}) -> Tensor\nZeros with t's shape, dtype and device."},
    {"ones_like", ones_like, TSHL_FUNC, "tensor.ones_like(t, {dtype=}) -> Tensor\nOnes with t's shape, dtype and device."},
    {"empty_like", empty_like, TSHL_FUNC, "tensor.empty_like(t, {dtype=}) -> Tensor\nUninitialised, with t's shape, dtype and device."},
    {"full_like", full_like, TSHL_FUNC, "tensor.full_like(t, value, {dtype=}) -> Tensor\nFilled with value, with t's shape, dtype and device."},
    {"memory_stats", memory_stats, TSHL_FUNC,
     "tensor.memory_stats() -> table\nHost allocator figures: allocated, peak_allocated, cached (bytes), "
     "num_allocs, cache_hits, system_allocs."},
    {"empty_cache", empty_cache, TSHL_FUNC, "tensor.empty_cache()\nReturns cached free blocks to the system."},
    {"set_num_threads", set_num_threads, TSHL_FUNC,
     "tensor.set_num_threads(n)\nThreads used by CPU kernels and BLAS (one shared OpenMP pool)."},
    {"isatty", isatty_fn, TSHL_FUNC,
     "tensor.isatty([fd=1]) -> boolean\nWhether file descriptor fd (1: stdout, 2: stderr) is a terminal, "
     "e.g. to draw progress bars only there."},
    {"perf_counter", perf_counter, TSHL_FUNC,
     "tensor.perf_counter() -> number\nA monotonic wall clock in seconds, for timing (like Python's time.perf_counter)."},
    {"get_num_threads", get_num_threads, TSHL_FUNC, "tensor.get_num_threads() -> integer\nThreads used by CPU kernels and BLAS."},
    {NULL, NULL, 0, NULL},
};

static const luaL_Reg metamethods[] = {
    {"__gc", t_gc}, {"__newindex", t_newindex}, {"__len", t_len}, {"__tostring", tshL_tostring}, {NULL, NULL},
};

void tshL_open_tensor(lua_State *L)
{
    tshL_register(L, regs);
    luaL_newmetatable(L, TSHL_TENSOR);
    luaL_setfuncs(L, metamethods, 0);
    tshL_push_methods(L); /* __index looks up methods first, then fields */
    lua_pushcclosure(L, t_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    tshL_push_module(L);
    static const char *const names[] = {"float32", "float64", "float16", "bfloat16", "int64",
                                        "int32", "uint8", "bool", "float", "double", "half", "long", "int", "byte"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        tsh_dtype dt;
        tsh_dtype_from_name(names[i], &dt);
        lua_pushstring(L, tsh_dtype_name(dt));
        lua_setfield(L, -2, names[i]);
    }
    lua_newtable(L); /* the module is callable: tensor{...} */
    lua_pushcfunction(L, module_call);
    lua_setfield(L, -2, "__call");
    lua_setmetatable(L, -2);
    lua_pop(L, 1);
}
