/* init.c: opens the tensh modules into a Lua state. The order matters only
 * in that the Tensor metatable (l_tensor.c) exists before the families add
 * methods to it; each family registers its own functions and help. */
#include "l_canvas.h"
#include "lt.h"

void tshL_init_tables(lua_State *L);

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
    /* The first op in a process also faults in the code and data of the
     * binding, front end, dispatch and kernel (about 7 µs for a + b on two
     * numbers, against 0.35 µs after): pay that here, for the arithmetic
     * operators, along with the thread pool and BLAS (tsh_warm_up). */
    tsh_warm_up();
    if (luaL_dostring(L, "local a = tensor.ones(2) local _ = a + a, a - a, a * a, a / a, a:sum(), -a") != LUA_OK)
        lua_pop(L, 1); /* a warm-up that fails costs nothing but its time */
    lua_gc(L, LUA_GCCOLLECT); /* its tensors go back to the allocator's cache */
    return 0;
}
