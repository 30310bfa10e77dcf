/* l_autograd.c: autograd from Lua: the requires_grad, grad, grad_fn and
 * is_leaf fields, backward/detach/retain_grad, and grad mode (no_grad).
 * The engine and the per-op rules are in interp/core (autograd.c, grad_*.c). */
#include <string.h>

#include "core/autograd.h"
#include "lt.h"

#define TSHL_NODE "tensh.Node"

static int node_gc(lua_State *L)
{
    tsh_node **p = luaL_checkudata(L, 1, TSHL_NODE);
    tsh_node_release(*p);
    *p = NULL;
    return 0;
}

static int node_tostring(lua_State *L)
{
    tsh_node **p = luaL_checkudata(L, 1, TSHL_NODE);
    lua_pushfstring(L, "<%s>", *p ? (*p)->name : "?");
    return 1;
}

static void push_node(lua_State *L, tsh_node *n);

static int node_index(lua_State *L)
{
    tsh_node *n = *(tsh_node **)luaL_checkudata(L, 1, TSHL_NODE);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "name") == 0) {
        lua_pushstring(L, n->name);
        return 1;
    }
    if (strcmp(k, "next_functions") == 0) {
        lua_createtable(L, n->n_in, 0);
        for (int i = 0; i < n->n_in; i++) {
            if (n->next[i]) push_node(L, n->next[i]);
            else lua_pushboolean(L, 0);
            lua_rawseti(L, -2, i + 1);
        }
        return 1;
    }
    return luaL_error(L, "grad_fn has no field '%s' (it has name and next_functions)", k);
}

static const luaL_Reg node_metamethods[] = {
    {"__gc", node_gc}, {"__tostring", node_tostring}, {"__index", node_index}, {NULL, NULL},
};

static void push_node(lua_State *L, tsh_node *n)
{
    tsh_node **p = lua_newuserdatauv(L, sizeof *p, 0);
    n->refcount++;
    *p = n;
    if (luaL_newmetatable(L, TSHL_NODE)) luaL_setfuncs(L, node_metamethods, 0);
    lua_setmetatable(L, -2);
}

int tshL_autograd_get(lua_State *L, tsh_tensor *t, const char *k)
{
    if (strcmp(k, "grad") == 0) {
        tsh_tensor *g = tsh_grad(t);
        tshL_push(L, tsh_tensor_retain(g));
        return 1;
    }
    if (strcmp(k, "requires_grad") == 0) {
        lua_pushboolean(L, tsh_requires_grad(t));
        return 1;
    }
    if (strcmp(k, "is_leaf") == 0) {
        lua_pushboolean(L, tsh_is_leaf(t));
        return 1;
    }
    if (strcmp(k, "grad_fn") == 0) {
        tsh_node *n = tsh_grad_fn(t);
        if (n) push_node(L, n);
        else lua_pushnil(L);
        return 1;
    }
    return 0;
}

int tshL_autograd_set(lua_State *L, tsh_tensor *t, const char *k)
{
    if (strcmp(k, "grad") == 0) {
        tsh_tensor *g = lua_isnil(L, 3) ? NULL : tshL_check(L, 3);
        TSHL_TRY(L, tsh_set_grad(t, g));
        return 1;
    }
    if (strcmp(k, "requires_grad") == 0) {
        luaL_checktype(L, 3, LUA_TBOOLEAN);
        TSHL_TRY(L, tsh_set_requires_grad(t, lua_toboolean(L, 3)));
        return 1;
    }
    return 0;
}

void tshL_apply_requires_grad(lua_State *L, int opts, tsh_tensor *t)
{
    if (tshL_opt_bool(L, opts, "requires_grad", 0)) TSHL_TRY(L, tsh_set_requires_grad(t, true));
}

static int t_requires_grad_(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1);
    int on = 1;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TBOOLEAN);
        on = lua_toboolean(L, 2);
    }
    TSHL_TRY(L, tsh_set_requires_grad(t, on));
    lua_settop(L, 1);
    return 1;
}

static int t_backward(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1), *g = NULL;
    int opts = 0;
    if (tshL_test(L, 2)) {
        g = tshL_test(L, 2);
        opts = 3;
    } else if (lua_istable(L, 2)) {
        opts = 2;
    } else if (!lua_isnoneornil(L, 2)) {
        return luaL_argerror(L, 2, lua_pushfstring(L, "gradient tensor or options expected, got %s",
                                                   luaL_typename(L, 2)));
    }
    static const char *const allowed[] = {"retain_graph", NULL};
    if (opts) tshL_check_options(L, opts, "backward", allowed);
    int retain = opts ? tshL_opt_bool(L, opts, "retain_graph", 0) : 0;
    TSHL_TRY(L, tsh_backward(t, g, retain));
    return 0;
}

static int t_detach(lua_State *L)
{
    tsh_tensor *o;
    TSHL_TRY(L, tsh_detach(tshL_check(L, 1), &o));
    tshL_push(L, o);
    return 1;
}

static int t_detach_(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1);
    if (t->ag) {
        if (t->ag->grad_fn) {
            /* the node may outlive t: it must not point back at it */
            if (t->ag->grad_fn->retain == t) t->ag->grad_fn->retain = NULL;
            tsh_node_release(t->ag->grad_fn);
            t->ag->grad_fn = NULL;
        }
        t->ag->requires_grad = false;
    }
    lua_settop(L, 1);
    return 1;
}

static int t_retain_grad(lua_State *L)
{
    TSHL_TRY(L, tsh_retain_grad(tshL_check(L, 1)));
    return 0;
}

/* Calls the function at 1 with the rest as arguments, with grad mode set to
 * `on`, restoring the previous mode whether it returns or raises. */
static int with_grad_mode(lua_State *L, bool on)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    bool was = tsh_grad_enabled();
    tsh_set_grad_enabled(on);
    int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
    tsh_set_grad_enabled(was);
    if (status != LUA_OK) return lua_error(L);
    return lua_gettop(L);
}

static int no_grad(lua_State *L) { return with_grad_mode(L, false); }
static int enable_grad(lua_State *L) { return with_grad_mode(L, true); }

static int set_grad_enabled(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TBOOLEAN);
    lua_pushboolean(L, tsh_grad_enabled());
    tsh_set_grad_enabled(lua_toboolean(L, 1));
    return 1;
}

static int is_grad_enabled(lua_State *L)
{
    lua_pushboolean(L, tsh_grad_enabled());
    return 1;
}

static const tshL_Reg regs[] = {
    {"requires_grad_", t_requires_grad_, TSHL_METHOD,
     "t:requires_grad_([on=true]) -> t\nMakes a leaf tensor record the ops done on it, so that backward() "
     "fills its .grad. Only floating point tensors can require gradients.\n"
     "  local w = tensor.randn(3):requires_grad_()"},
    {"backward", t_backward, TSHL_METHOD,
     "t:backward([gradient], {retain_graph=false})\nComputes the gradient of t with respect to every leaf "
     "that requires grad and adds it into their .grad. t must have one element unless a gradient of t's "
     "shape is given. The graph is freed afterwards unless retain_graph is true.\n"
     "  local x = tensor({1.0, 2.0}, {requires_grad=true}); (x * x):sum():backward(); print(x.grad)"},
    {"detach", t_detach, TSHL_METHOD,
     "t:detach() -> Tensor\nA tensor sharing t's data that is outside the graph (requires_grad false)."},
    {"detach_", t_detach_, TSHL_METHOD, "t:detach_() -> t\nTakes t itself out of the graph."},
    {"retain_grad", t_retain_grad, TSHL_METHOD,
     "t:retain_grad()\nKeeps the gradient of a non-leaf tensor in its .grad after backward()."},
    {"no_grad", no_grad, TSHL_FUNC,
     "tensor.no_grad(fn, ...) -> fn's results\nRuns fn(...) with gradient recording off (as PyTorch's "
     "torch.no_grad()), for evaluation and for updating parameters in place.\n"
     "  tensor.no_grad(function() w:sub_(0.1 * w.grad) end)"},
    {"enable_grad", enable_grad, TSHL_FUNC,
     "tensor.enable_grad(fn, ...) -> fn's results\nRuns fn(...) with gradient recording on, inside no_grad."},
    {"set_grad_enabled", set_grad_enabled, TSHL_FUNC,
     "tensor.set_grad_enabled(on) -> previous\nTurns gradient recording on or off; returns the old setting."},
    {"is_grad_enabled", is_grad_enabled, TSHL_FUNC,
     "tensor.is_grad_enabled() -> boolean\nWhether ops are recorded for autograd."},
    {NULL, NULL, 0, NULL},
};

void tshL_open_autograd(lua_State *L) { tshL_register(L, regs); }
