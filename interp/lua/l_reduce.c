/* l_reduce.c: placeholder until this family's bindings land. */
#include "lt.h"

void tshL_open_reduce(lua_State *L) { (void)L; }
