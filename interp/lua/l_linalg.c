/* l_linalg.c: placeholder until this family's bindings land. */
#include "lt.h"

void tshL_open_linalg(lua_State *L) { (void)L; }
