/* help.c: placeholder for the global help(). */
#include "lt.h"

static int help(lua_State *L)
{
    tshL_gethelp(L, 1);
    if (lua_isnil(L, -1)) lua_pushstring(L, "no help for this value");
    lua_writestring(lua_tostring(L, -1), lua_rawlen(L, -1));
    lua_writeline();
    return 0;
}
void tshL_open_help(lua_State *L)
{
    lua_pushcfunction(L, help);
    lua_setglobal(L, "help");
}
