/* l_canvas.h: the "tensh.canvas" module, the C drawing layer under
 * stdlib/plot (interp/plot/ does the work; l_canvas*.c bind it). */
#ifndef TSH_L_CANVAS_H
#define TSH_L_CANVAS_H

#include <lua.h>

#define TSHL_CANVAS "tensh.Canvas" /* the Canvas userdata's metatable */

/* Puts luaopen for "tensh.canvas" into package.preload. */
void tshL_open_canvas(lua_State *L);
/* Adds the terminal functions (l_canvas_term.c) to the module table on top. */
void tshL_canvas_open_term(lua_State *L);

#endif
