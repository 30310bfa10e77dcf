/* l_create.c: placeholder until this family's bindings land. */
#include "lt.h"

void tshL_open_create(lua_State *L) { (void)L; }
