/* l_print.c: tostring(t) (Tensor.__tostring), t:summary() and the print
 * options (tensor.set_printoptions / get_printoptions). The layout itself is
 * in interp/core/format.c, which the REPL shares; this file only checks
 * arguments and moves strings between C and Lua. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/autograd.h"
#include "core/format.h"
#include "lt.h"

int tshL_tostring(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1);
    char *s, suffix[96];
    size_t n;
    const char *extra[2] = {NULL, NULL};
    /* as PyTorch: a non-leaf names its grad_fn, a leaf says it requires grad */
    tsh_node *fn = tsh_grad_fn(t);
    if (fn) {
        snprintf(suffix, sizeof suffix, "grad_fn=<%s>", fn->name);
        extra[0] = suffix;
    } else if (tsh_requires_grad(t)) {
        extra[0] = "requires_grad=true";
    }
    TSHL_TRY(L, tsh_format_tensor(t, &tsh_print_options, extra, &s, &n));
    lua_pushlstring(L, s, n);
    free(s);
    return 1;
}

static int t_summary(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1);
    char *s;
    TSHL_TRY(L, tsh_format_summary(t, &s));
    lua_pushstring(L, s);
    free(s);
    return 1;
}

/* ---- print options ---- */

#define PRECISION_MAX 50

static const char *const printopt_keys[] = {"precision", "threshold", "edgeitems", "linewidth",
                                            "sci_mode", "profile", NULL};

/* Pushes field `key` of the options table at 1; false (nothing pushed) if absent. */
static int field(lua_State *L, const char *key)
{
    if (lua_type(L, 1) != LUA_TTABLE) return 0;
    if (lua_getfield(L, 1, key) != LUA_TNIL) return 1;
    lua_pop(L, 1);
    return 0;
}

static int int_field(lua_State *L, const char *key, lua_Integer lo, lua_Integer hi, int def)
{
    if (!field(L, key)) return def;
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < lo || lua_tointeger(L, -1) > hi) {
        const char *got = lua_isinteger(L, -1) ? lua_tostring(L, -1)
                          : lua_type(L, -1) == LUA_TNUMBER ? "a float" : luaL_typename(L, -1);
        return luaL_error(L, "set_printoptions: %s must be an integer from %I to %I, got %s", key, lo,
                          hi, got);
    }
    int v = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    return v;
}

static int set_printoptions(lua_State *L)
{
    tshL_check_options(L, 1, "set_printoptions", printopt_keys);
    /* Everything is checked before anything changes: a bad call leaves the
     * options as they were. */
    tsh_printopts o = tsh_print_options;
    if (field(L, "profile")) {
        int is_str = lua_type(L, -1) == LUA_TSTRING; /* before lua_tostring converts a number */
        const char *p = is_str ? lua_tostring(L, -1) : luaL_typename(L, -1);
        if (!is_str || !tsh_printopts_profile(p, &o))
            return luaL_error(L, "set_printoptions: profile must be 'default', 'short' or 'full', got %s", p);
        lua_pop(L, 1);
    }
    o.precision = int_field(L, "precision", 0, PRECISION_MAX, o.precision);
    o.edgeitems = int_field(L, "edgeitems", 1, INT32_MAX, o.edgeitems);
    o.linewidth = int_field(L, "linewidth", 1, INT32_MAX, o.linewidth);
    if (field(L, "threshold")) {
        if (lua_type(L, -1) != LUA_TNUMBER || !(lua_tonumber(L, -1) >= 0))
            return luaL_error(L, "set_printoptions: threshold must be a number >= 0 (math.huge: never "
                                 "summarise), got %s",
                              lua_type(L, -1) == LUA_TNUMBER ? lua_tostring(L, -1) : luaL_typename(L, -1));
        o.threshold = lua_tonumber(L, -1);
        lua_pop(L, 1);
    }
    /* As in PyTorch, sci_mode left out means "chosen per tensor": in Lua a
     * nil field is no field, so this is also how it is switched back. */
    o.sci_mode = -1;
    if (field(L, "sci_mode")) {
        if (!lua_isboolean(L, -1))
            return luaL_error(L, "set_printoptions: sci_mode must be true, false or nil, got %s",
                              luaL_typename(L, -1));
        o.sci_mode = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    tsh_print_options = o;
    return 0;
}

static int get_printoptions(lua_State *L)
{
    const tsh_printopts *o = &tsh_print_options;
    lua_createtable(L, 0, 5);
    lua_pushinteger(L, o->precision);
    lua_setfield(L, -2, "precision");
    if (isfinite(o->threshold) && o->threshold == floor(o->threshold) && fabs(o->threshold) < 0x1p62)
        lua_pushinteger(L, (lua_Integer)o->threshold);
    else
        lua_pushnumber(L, o->threshold);
    lua_setfield(L, -2, "threshold");
    lua_pushinteger(L, o->edgeitems);
    lua_setfield(L, -2, "edgeitems");
    lua_pushinteger(L, o->linewidth);
    lua_setfield(L, -2, "linewidth");
    if (o->sci_mode >= 0) {
        lua_pushboolean(L, o->sci_mode);
        lua_setfield(L, -2, "sci_mode");
    }
    return 1;
}

static const tshL_Reg regs[] = {
    {"summary", t_summary, TSHL_BOTH,
     "t:summary() -> string\n"
     "A one-line digest: shape, dtype, element count, bytes, range, mean and std of the finite\n"
     "values, and counts of NaN and infinities (NaN!3 +Inf!1), in the style of lovely-tensors.\n"
     "  tensor{{1.5, 2}, {0, 4}}:summary()  --> tensor[2,2] f32 n=4 16B x∈[0.0,4.0] μ=1.875 σ=1.652"},
    {"set_printoptions", set_printoptions, TSHL_FUNC,
     "tensor.set_printoptions{precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=nil,\n"
     "                        profile='default'}\n"
     "Sets how tensors print, as torch.set_printoptions: digits after the point, the element count\n"
     "past which only edgeitems per dim are shown, the line width, and scientific notation (true,\n"
     "false, or nil: chosen per tensor; left out means nil). profile ('default', 'short', 'full')\n"
     "sets the first four before the others apply; profile='default' restores the defaults.\n"
     "  tensor.set_printoptions{precision=2}   tensor.set_printoptions{profile='default'}"},
    {"get_printoptions", get_printoptions, TSHL_FUNC,
     "tensor.get_printoptions() -> table\n"
     "The current print options {precision=, threshold=, edgeitems=, linewidth=, sci_mode=}\n"
     "(sci_mode absent when it is chosen per tensor).\n"
     "  local saved = tensor.get_printoptions(); tensor.set_printoptions(saved)"},
    {NULL, NULL, 0, NULL},
};

void tshL_open_print(lua_State *L)
{
    tshL_register(L, regs);
    /* tostring(t) has a help entry of its own, found by help("t:__tostring"). */
    lua_pushcfunction(L, tshL_tostring);
    tshL_sethelp(L, -1,
                 "tostring(t) -> string  (print(t) uses it)\n"
                 "The tensor as PyTorch prints it, e.g. tensor([[1, 2]], dtype=int32); see\n"
                 "tensor.set_printoptions and docs/tensor/printing.md.\n"
                 "  print(tensor{1.5, 2})  --> tensor([1.5000, 2.0000])");
    lua_pop(L, 1);
}
