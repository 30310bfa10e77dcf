/* init.c: opens the tensh modules into a Lua state. The order matters only
 * in that the Tensor metatable (l_tensor.c) exists before the families add
 * methods to it; each family registers its own functions and help. */
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
    tshL_open_help(L);
    tshL_push_module(L);
    lua_setglobal(L, "tensor");
    return 0;
}
