/* init.c: opens the tensh modules into a Lua state. The order matters only
 * in that the Tensor metatable (l_tensor.c) exists before the families add
 * methods to it; each family registers its own functions and help. */
#include "l_canvas.h"
#include "lt.h"

void tshL_init_tables(lua_State *L);

/* os.exit, through the startup warm-up's exit (backend.h): os.exit's
 * status argument, true (the default) 0, false 1, or a number. */
static int os_exit(lua_State *L)
{
    int code = lua_isboolean(L, 1) ? (lua_toboolean(L, 1) ? 0 : 1) : (int)luaL_optinteger(L, 1, 0);
    tsh_warm_up_exit(code);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 0);
    return 0;
}

static void wrap_os_exit(lua_State *L)
{
    if (lua_getglobal(L, "os") == LUA_TTABLE && lua_getfield(L, -1, "exit") == LUA_TFUNCTION) {
        lua_pushcclosure(L, os_exit, 1);
        lua_setfield(L, -2, "exit");
    } else {
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

int luaopen_tensh(lua_State *L)
{
    tsh_backends_init();
    tshL_init_tables(L);
    tshL_open_tensor(L);
    tshL_open_create(L);
    tshL_open_math(L);
    tshL_open_reduce(L);
    tshL_open_linalg(L);
    tshL_open_index(L);
    tshL_open_print(L);
    tshL_open_io(L);
    tshL_open_help(L);
    tshL_open_autograd(L);
    tshL_open_nnf(L);
    tshL_open_optimf(L);
    tshL_open_canvas(L); /* package.preload["tensh.canvas"], for stdlib/plot */
    tshL_push_module(L);
    /* In package.loaded too, so require "tensor" works and luaL_argerror
     * names functions "tensor.zeros" even when called through pcall. */
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "tensor");
    lua_pop(L, 1);
    lua_setglobal(L, "tensor");
    tsh_warm_up(); /* the thread pool and BLAS */
    wrap_os_exit(L);
    return 0;
}

/* The first op in a process also faults in the code and data of the
 * binding, front end, dispatch and kernel, and of the clock (about 7 µs for
 * a + b on two numbers, against 0.3 µs after): pay that once, for the
 * arithmetic operators, just before the user's code runs (after the
 * standard library has loaded, so that its loading does not cool them
 * again). */
void tshL_warm_up_ops(lua_State *L)
{
    if (luaL_dostring(L, "local t = tensor.perf_counter() local a, b = tensor.ones(2), tensor.ones(2) "
                         "local _ = a + b, a - b, a * b, a / b, a:sum(), -a, tensor.perf_counter() - t") != LUA_OK)
        lua_pop(L, 1); /* a warm-up that fails costs nothing but its time */
    lua_gc(L, LUA_GCCOLLECT); /* its tensors go back to the allocator's cache */
}
