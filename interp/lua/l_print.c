/* l_print.c: placeholder until printing lands. */
#include "lt.h"

int tshL_tostring(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1);
    char b[128];
    lua_pushfstring(L, "tensor(shape=%s, dtype=%s)", tsh_shape_str(b, sizeof b, t->ndim, t->shape),
                    tsh_dtype_name(t->dtype));
    return 1;
}
void tshL_open_print(lua_State *L) { (void)L; }
