/* lt.c: argument checking, tensor userdata, options and help registration. */
#include "lt.h"

#include <string.h>

#include "core/alloc.h"

#define REG_MODULE "tensh.module"
#define REG_METHODS "tensh.methods"
#define REG_HELP "tensh.help"
#define GC_STEP_BYTES ((int64_t)1 << 20)

/* The Tensor metatable, kept under an integer key (a lookup by name costs
 * a string compare), and its address, so that recognising a tensor is one
 * pointer compare: this runs for every operand of every op. */
static int mt_ref = LUA_NOREF;
static const void *mt_ptr;

static void push_metatable(lua_State *L)
{
    if (mt_ref == LUA_NOREF) {
        luaL_getmetatable(L, TSHL_TENSOR);
        mt_ptr = lua_topointer(L, -1);
        lua_pushvalue(L, -1);
        mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
        return;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, mt_ref);
}

tsh_tensor *tshL_test(lua_State *L, int idx)
{
    void *p = lua_touserdata(L, idx);
    if (!p || !lua_getmetatable(L, idx)) return NULL;
    if (!mt_ptr) {
        push_metatable(L);
        lua_pop(L, 1);
    }
    int ok = lua_topointer(L, -1) == mt_ptr;
    lua_pop(L, 1);
    return ok ? *(tsh_tensor **)p : NULL;
}

tsh_tensor *tshL_check(lua_State *L, int idx)
{
    tsh_tensor *t = tshL_test(L, idx);
    if (!t) {
        const char *got = luaL_typename(L, idx);
        luaL_argerror(L, idx, lua_pushfstring(L, "tensor expected, got %s", got));
    }
    return t;
}

void tshL_reclaim(lua_State *L)
{
    lua_gc(L, LUA_GCCOLLECT, 0);
    tsh_host_empty_cache();
}

/* Tells the collector about tensor memory it cannot see, the way Torch7's
 * heap tracking did: a step of GC work per MiB of new tensor storage.
 * In generational mode a step is a minor collection, which never frees a
 * tensor that has grown old (one held across two steps, such as the previous
 * `c` in `c = a + b`, still in its register while __add runs); so once the
 * new tensor bytes since the last full collection pass what was live after
 * it (and at least FULL_GC_MIN_BYTES), run a full one.
 *
 * The step a new tensor pays for does not run when it is pushed but just
 * before the next op allocates (TSHL_TRY calls tshL_gc_pay): by then the
 * previous result of `y = f(x)` in a loop is dead, so its block goes back
 * to the allocator's cache and the new result takes that same block. Run at
 * the push, the collection sees the previous result still live and frees it
 * one op later, and three 16 MiB blocks take turns where one would do: on
 * the development VM a relu of 4M floats took 1.37 ms that way against 1.17
 * ms (torch: 1.17) reusing one block. Pushes with no op after them still
 * pay once GC_DEFER_MAX bytes are pending. */
#define FULL_GC_MIN_BYTES ((int64_t)256 << 20)
#define GC_DEFER_MAX ((int64_t)64 << 20)
bool tshL_gc_due;
static int64_t pending, since_full, full_at = FULL_GC_MIN_BYTES;

void tshL_gc_pay(lua_State *L)
{
    tshL_gc_due = false;
    if (since_full >= full_at) {
        pending = since_full = 0;
        lua_gc(L, LUA_GCCOLLECT, 0);
        int64_t live = tsh_host_mem_stats().allocated;
        full_at = live > FULL_GC_MIN_BYTES ? live : FULL_GC_MIN_BYTES;
    } else if (pending >= GC_STEP_BYTES) {
        int kb = (int)(pending >> 10);
        pending = 0;
        lua_gc(L, LUA_GCSTEP, kb);
    }
}

static void account(lua_State *L)
{
    int64_t fresh = tsh_take_new_bytes();
    pending += fresh;
    since_full += fresh;
    if (pending >= GC_STEP_BYTES || since_full >= full_at) {
        tshL_gc_due = true;
        if (pending >= GC_DEFER_MAX) tshL_gc_pay(L);
    }
}

void tshL_push(lua_State *L, tsh_tensor *t)
{
    if (!t) {
        lua_pushnil(L);
        return;
    }
    tsh_tensor **p = lua_newuserdatauv(L, sizeof *p, 0);
    *p = t;
    push_metatable(L);
    lua_setmetatable(L, -2);
    account(L);
}

int tshL_push_new(lua_State *L, tsh_tensor *t, int opts)
{
    tshL_push(L, t);
    tshL_apply_requires_grad(L, opts, t);
    return 1;
}

/* The length of the op's name that msg starts with ("matmul: ...",
 * "std(): ...", "ReluBackward0: ..."), or 0. */
static size_t op_named(const char *msg)
{
    size_t n = strspn(msg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.");
    return n > 0 && (strncmp(msg + n, ": ", 2) == 0 || strncmp(msg + n, "(): ", 4) == 0) ? n : 0;
}

/* Whether a message naming the op msg[0..n) already names `called`: the
 * same name, in place or not (add_ and "add: ...", or "add_: ..."). */
static bool same_op(const char *msg, size_t n, const char *called)
{
    size_t c = strlen(called);
    if (c > 0 && called[c - 1] == '_') c--;
    if (n > 0 && msg[n - 1] == '_') n--;
    return n == c && strncmp(msg, called, n) == 0;
}

/* The name the user called goes in front of a core message (as
 * luaL_argerror does) when the message names no op, as from a step that
 * many functions share (allocating, checking a new shape, an index), or
 * names another one, as an alias or a composite op's step does ("copy_:
 * expand: ..." rather than a bare "expand: ..." the user never called).
 * Not for a metamethod, whose name the user never wrote (t[i] = v fails
 * with "index ... is out of range"). */
int tshL_error(lua_State *L)
{
    const char *msg = tsh_errmsg();
    lua_Debug ar;
    size_t n = op_named(msg);
    /* ("?": Lua knows no name, as for x[name](x)) */
    if (lua_getstack(L, 0, &ar) && lua_getinfo(L, "n", &ar) && ar.name && strcmp(ar.name, "?") != 0 &&
        strcmp(ar.namewhat, "metamethod") != 0 && (n == 0 || !same_op(msg, n, ar.name)))
        return luaL_error(L, "%s: %s", ar.name, msg);
    return luaL_error(L, "%s", msg);
}

static tsh_tensor *number_tensor(lua_State *L, int idx, tsh_dtype fdt, tsh_dtype idt, bool wrapped)
{
    tsh_tensor *t = NULL;
    tsh_status st;
    if (lua_isboolean(L, idx)) st = tsh_scalar_i64(lua_toboolean(L, idx), TSH_BOOL, wrapped, &t);
    else if (lua_isinteger(L, idx)) st = tsh_scalar_i64(lua_tointeger(L, idx), idt, wrapped, &t);
    else st = tsh_scalar_f64(lua_tonumber(L, idx), fdt, wrapped, &t);
    if (st != TSH_OK) tshL_error(L);
    return t;
}

tsh_tensor *tshL_check_operand(lua_State *L, int idx)
{
    tsh_tensor *t = tshL_test(L, idx);
    if (t) return tsh_tensor_retain(t);
    int ty = lua_type(L, idx);
    if (ty != LUA_TNUMBER && ty != LUA_TBOOLEAN)
        luaL_argerror(L, idx, lua_pushfstring(L, "tensor or number expected, got %s",
                                              luaL_typename(L, idx)));
    /* Lua floats are kept in double here; promotion treats them as the
     * default float type, as PyTorch does with Python floats. */
    return number_tensor(L, idx, TSH_F64, TSH_I64, true);
}

tsh_tensor *tshL_to_tensor_like(lua_State *L, int idx, const tsh_tensor *like)
{
    tsh_tensor *t = tshL_test(L, idx);
    if (t) return tsh_tensor_retain(t);
    int ty = lua_type(L, idx);
    if (ty != LUA_TNUMBER && ty != LUA_TBOOLEAN)
        luaL_argerror(L, idx, lua_pushfstring(L, "tensor or number expected, got %s",
                                              luaL_typename(L, idx)));
    return number_tensor(L, idx, like->dtype, like->dtype, false);
}

int tshL_todim(lua_State *L, lua_Integer d, int ndim, int arg)
{
    int n = ndim ? ndim : 1;
    if (d >= 1 && d <= n) return (int)d - 1;
    if (d <= -1 && d >= -n) return (int)(n + d);
    if (d == 0)
        return luaL_argerror(L, arg, lua_pushfstring(L, "dim 0 is not valid: dims are 1-based "
                                                        "(1..%d, or -%d..-1 from the end)", n, n));
    return luaL_argerror(L, arg, lua_pushfstring(L, "dim %d is out of range for a %d-d tensor "
                                                    "(expected 1..%d or -%d..-1)",
                                                 (int)d, ndim, n, n));
}

int tshL_checkdim(lua_State *L, int arg, int ndim)
{
    if (!lua_isinteger(L, arg)) {
        if (lua_type(L, arg) == LUA_TNUMBER)
            luaL_argerror(L, arg, "dim must be an integer");
        luaL_argerror(L, arg, lua_pushfstring(L, "dim (integer) expected, got %s", luaL_typename(L, arg)));
    }
    return tshL_todim(L, lua_tointeger(L, arg), ndim, arg);
}

int tshL_optdim(lua_State *L, int arg, int ndim, int def)
{
    return lua_isnoneornil(L, arg) ? def : tshL_checkdim(L, arg, ndim);
}

int tshL_is_options(lua_State *L, int idx)
{
    if (lua_type(L, idx) != LUA_TTABLE || luaL_testudata(L, idx, TSHL_TENSOR)) return 0;
    if (luaL_getmetafield(L, idx, "__name") != LUA_TNIL) { /* a Size is a shape */
        lua_pop(L, 1);
        return 0;
    }
    int has1 = lua_rawgeti(L, idx, 1) != LUA_TNIL;
    lua_pop(L, 1);
    return !has1;
}

static int64_t shape_entry(lua_State *L, int arg, int idx, int k)
{
    if (!lua_isinteger(L, idx))
        luaL_argerror(L, arg, lua_pushfstring(L, "size %d must be an integer, got %s", k,
                                              lua_type(L, idx) == LUA_TNUMBER ? "a float" : luaL_typename(L, idx)));
    lua_Integer v = lua_tointeger(L, idx);
    if (v < -1)
        luaL_argerror(L, arg, lua_pushfstring(L, "size %d must be >= 0, got %d", k, (int)v));
    return v;
}

int tshL_check_shape(lua_State *L, int idx, int *ndim, int64_t *shape)
{
    int nd = 0;
    if (lua_type(L, idx) == LUA_TTABLE && !tshL_is_options(L, idx)) {
        int n = (int)luaL_len(L, idx);
        if (n > TSH_MAX_DIMS)
            luaL_argerror(L, idx, lua_pushfstring(L, "at most %d dimensions, got %d", TSH_MAX_DIMS, n));
        for (int k = 1; k <= n; k++) {
            lua_rawgeti(L, idx, k);
            shape[nd++] = shape_entry(L, idx, -1, k);
            lua_pop(L, 1);
        }
        *ndim = nd;
        return idx + 1;
    }
    while (lua_type(L, idx) == LUA_TNUMBER) {
        if (nd == TSH_MAX_DIMS)
            luaL_argerror(L, idx, lua_pushfstring(L, "at most %d dimensions", TSH_MAX_DIMS));
        shape[nd] = shape_entry(L, idx, idx, nd + 1);
        nd++;
        idx++;
    }
    *ndim = nd;
    return idx;
}

void tshL_check_options(lua_State *L, int idx, const char *fname, const char *const *allowed)
{
    if (lua_isnoneornil(L, idx)) return;
    if (lua_type(L, idx) != LUA_TTABLE)
        luaL_argerror(L, idx, lua_pushfstring(L, "options table expected, got %s", luaL_typename(L, idx)));
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        int ok = 0;
        if (lua_type(L, -1) == LUA_TSTRING) {
            const char *k = lua_tostring(L, -1);
            for (int i = 0; allowed[i] && !ok; i++) ok = strcmp(k, allowed[i]) == 0;
        }
        if (!ok) {
            luaL_Buffer b;
            luaL_buffinit(L, &b);
            for (int i = 0; allowed[i]; i++) {
                if (i) luaL_addstring(&b, ", ");
                luaL_addstring(&b, allowed[i]);
            }
            luaL_pushresult(&b);
            const char *list = lua_tostring(L, -1);
            lua_pushvalue(L, -2);
            const char *key = luaL_tolstring(L, -1, NULL);
            luaL_error(L, "%s: unknown option '%s' (expected %s)", fname, key,
                       allowed[0] ? list : "no options");
        }
    }
}

static int getopt_field(lua_State *L, int idx, const char *key)
{
    if (idx == 0 || lua_type(L, idx) != LUA_TTABLE) return 0;
    if (lua_getfield(L, idx, key) == LUA_TNIL) {
        lua_pop(L, 1);
        return 0;
    }
    return 1;
}

tsh_dtype tshL_check_dtype(lua_State *L, int arg)
{
    /* lua_tostring only on strings: on a number it would convert in place */
    const char *s = lua_type(L, arg) == LUA_TSTRING ? lua_tostring(L, arg) : NULL;
    tsh_dtype dt;
    if (!s || !tsh_dtype_from_name(s, &dt))
        luaL_argerror(L, arg, lua_pushfstring(L, "dtype expected (float32, float64, float16, bfloat16, "
                                                 "int64, int32, uint8 or bool), got %s",
                                              lua_type(L, arg) == LUA_TSTRING ? s : luaL_typename(L, arg)));
    return dt;
}

tsh_device tshL_check_device(lua_State *L, int arg)
{
    const char *s = lua_type(L, arg) == LUA_TSTRING ? lua_tostring(L, arg) : NULL;
    if (s) {
        if (strcmp(s, "cpu") == 0) return (tsh_device){TSH_CPU, 0};
        if (strcmp(s, "cuda") == 0) return (tsh_device){TSH_CUDA, 0};
        int n;
        if (sscanf(s, "cuda:%d", &n) == 1 && n >= 0) return (tsh_device){TSH_CUDA, n};
    }
    luaL_argerror(L, arg, lua_pushfstring(L, "device expected ('cpu', 'cuda' or 'cuda:N'), got %s",
                                          lua_type(L, arg) == LUA_TSTRING ? s : luaL_typename(L, arg)));
    return (tsh_device){TSH_CPU, 0};
}

tsh_dtype tshL_opt_dtype(lua_State *L, int idx, const char *key, tsh_dtype def)
{
    if (!getopt_field(L, idx, key)) return def;
    tsh_dtype dt;
    if (lua_type(L, -1) != LUA_TSTRING || !tsh_dtype_from_name(lua_tostring(L, -1), &dt))
        luaL_error(L, "option '%s': dtype expected (float32, float64, float16, bfloat16, int64, "
                      "int32, uint8 or bool), got %s", key,
                   lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : luaL_typename(L, -1));
    lua_pop(L, 1);
    return dt;
}

tsh_device tshL_opt_device(lua_State *L, int idx, const char *key, tsh_device def)
{
    if (!getopt_field(L, idx, key)) return def;
    if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "option '%s': device expected ('cpu', 'cuda' or 'cuda:N'), got %s", key,
                   luaL_typename(L, -1));
    tsh_device d = tshL_check_device(L, lua_gettop(L));
    lua_pop(L, 1);
    return d;
}

lua_Number tshL_opt_number(lua_State *L, int idx, const char *key, lua_Number def)
{
    if (!getopt_field(L, idx, key)) return def;
    if (lua_type(L, -1) != LUA_TNUMBER)
        luaL_error(L, "option '%s' must be a number, got %s", key, luaL_typename(L, -1));
    lua_Number v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return v;
}

lua_Integer tshL_opt_integer(lua_State *L, int idx, const char *key, lua_Integer def)
{
    if (!getopt_field(L, idx, key)) return def;
    if (!lua_isinteger(L, -1))
        luaL_error(L, "option '%s' must be an integer, got %s", key,
                   lua_type(L, -1) == LUA_TNUMBER ? "a float" : luaL_typename(L, -1));
    lua_Integer v = lua_tointeger(L, -1);
    lua_pop(L, 1);
    return v;
}

int tshL_opt_bool(lua_State *L, int idx, const char *key, int def)
{
    if (!getopt_field(L, idx, key)) return def;
    if (!lua_isboolean(L, -1))
        luaL_error(L, "option '%s' must be a boolean, got %s", key, luaL_typename(L, -1));
    int v = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

static int size_tostring(lua_State *L)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "Size{");
    int n = (int)luaL_len(L, 1);
    for (int k = 1; k <= n; k++) {
        lua_rawgeti(L, 1, k);
        lua_pushfstring(L, k > 1 ? ", %I" : "%I", lua_tointeger(L, -1));
        luaL_addvalue(&b);
        lua_pop(L, 1);
    }
    luaL_addstring(&b, "}");
    luaL_pushresult(&b);
    return 1;
}

static int size_eq(lua_State *L)
{
    int n = (int)luaL_len(L, 1);
    if (lua_type(L, 2) != LUA_TTABLE || luaL_len(L, 2) != n) {
        lua_pushboolean(L, 0);
        return 1;
    }
    for (int k = 1; k <= n; k++) {
        lua_rawgeti(L, 1, k);
        lua_rawgeti(L, 2, k);
        int eq = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
        if (!eq) {
            lua_pushboolean(L, 0);
            return 1;
        }
    }
    lua_pushboolean(L, 1);
    return 1;
}

void tshL_push_size(lua_State *L, int ndim, const int64_t *shape)
{
    lua_createtable(L, ndim, 0);
    for (int d = 0; d < ndim; d++) {
        lua_pushinteger(L, shape[d]);
        lua_rawseti(L, -2, d + 1);
    }
    static const luaL_Reg size_metamethods[] = {{"__tostring", size_tostring}, {"__eq", size_eq}, {NULL, NULL}};
    if (luaL_newmetatable(L, "tensh.Size")) luaL_setfuncs(L, size_metamethods, 0);
    lua_setmetatable(L, -2);
}

void tshL_push_module(lua_State *L) { lua_getfield(L, LUA_REGISTRYINDEX, REG_MODULE); }
void tshL_push_methods(lua_State *L) { lua_getfield(L, LUA_REGISTRYINDEX, REG_METHODS); }

static void push_helptable(lua_State *L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, REG_HELP) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, REG_HELP);
    }
}

void tshL_sethelp(lua_State *L, int idx, const char *text)
{
    idx = lua_absindex(L, idx);
    push_helptable(L);
    lua_pushvalue(L, idx);
    lua_pushstring(L, text);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

void tshL_gethelp(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    push_helptable(L);
    lua_pushvalue(L, idx);
    lua_rawget(L, -2);
    lua_remove(L, -2);
}

void tshL_register(lua_State *L, const tshL_Reg *regs)
{
    tshL_push_module(L);
    tshL_push_methods(L);
    for (; regs->name; regs++) {
        /* A closure, not a light function: one C function registered under
         * two names (view, view_as) must be two values to carry two helps. */
        lua_pushstring(L, regs->name);
        lua_pushcclosure(L, regs->fn, 1);
        if (regs->help) tshL_sethelp(L, -1, regs->help);
        if (regs->where & TSHL_FUNC) {
            lua_pushvalue(L, -1);
            lua_setfield(L, -4, regs->name);
        }
        if (regs->where & TSHL_METHOD) {
            lua_pushvalue(L, -1);
            lua_setfield(L, -3, regs->name);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
}

/* Creates the module and methods tables; called first by luaopen_tensh. */
void tshL_init_tables(lua_State *L);
void tshL_init_tables(lua_State *L)
{
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_MODULE);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_METHODS);
}

void tshL_preload(lua_State *L, const char *name, lua_CFunction open)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, open);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
}
