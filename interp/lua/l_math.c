/* l_math.c: placeholder until this family's bindings land. */
#include "lt.h"

void tshL_open_math(lua_State *L) { (void)L; }
