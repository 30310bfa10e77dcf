/* repl.h: what main.c needs from interp/repl: the interactive loop, the
 * version line, and protected calls with Ctrl-C armed. The REPL's files
 * share more through internal.h. */
#ifndef TSH_REPL_H
#define TSH_REPL_H

#include <lua.h>

/* Runs the REPL until Ctrl-D; `quiet` skips the banner. */
void tsh_repl_run(lua_State *L, int quiet);
void tsh_repl_print_version(void);
/* Around a protected call: SIGINT stops Lua (a hook) and C kernels (the
 * core's tsh_interrupt_flag, which arming clears). */
void tsh_repl_arm_interrupt(lua_State *L);
void tsh_repl_disarm_interrupt(lua_State *L);
/* True when Ctrl-C was pressed during the last armed call. */
int tsh_repl_interrupted(void);
/* Calls the function below its narg arguments with a traceback handler
 * and Ctrl-C armed (lua.c's docall). */
int tsh_docall(lua_State *L, int narg, int nres);

#endif
