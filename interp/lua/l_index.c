/* l_index.c: placeholder until indexing lands. */
#include "lt.h"

int tshL_index_get(lua_State *L) { return luaL_error(L, "indexing is not implemented yet"); }
int tshL_index_set(lua_State *L) { return luaL_error(L, "indexing is not implemented yet"); }
void tshL_open_index(lua_State *L) { (void)L; }
