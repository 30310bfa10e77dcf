/* repl.h: the interactive loop and Ctrl-C handling (interp/repl). */
#ifndef TSH_REPL_H
#define TSH_REPL_H

#include <lua.h>

/* Runs the REPL until Ctrl-D; `quiet` skips the banner. */
void tsh_repl_run(lua_State *L, int quiet);
void tsh_repl_print_version(void);
/* Around a protected call: SIGINT stops Lua (hook) and C kernels (flag). */
void tsh_repl_arm_interrupt(lua_State *L);
void tsh_repl_disarm_interrupt(lua_State *L);
/* Runs a function on the stack with a traceback handler (main.c). */
int tsh_docall(lua_State *L, int narg, int nres);

#endif
