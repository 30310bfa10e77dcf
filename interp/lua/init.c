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
    return 0;
}
