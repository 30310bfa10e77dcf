/* repl.c: a minimal interactive loop; the full readline REPL is issue 4. */
#include "repl.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "core/status.h"

static lua_State *active;

static void lstop(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    luaL_error(L, "interrupted!");
}

static void on_sigint(int sig)
{
    signal(sig, SIG_DFL);
    tsh_interrupt_flag = 1;
    if (active) lua_sethook(active, lstop, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

void tsh_repl_arm_interrupt(lua_State *L)
{
    active = L;
    tsh_interrupt_flag = 0;
    signal(SIGINT, on_sigint);
}

void tsh_repl_disarm_interrupt(lua_State *L)
{
    (void)L;
    signal(SIGINT, SIG_DFL);
    active = NULL;
}

void tsh_repl_print_version(void)
{
    printf("tensh %s (%s)\n", TENSH_VERSION, LUA_RELEASE);
}

void tsh_repl_run(lua_State *L, int quiet)
{
    char line[4096];
    if (!quiet) tsh_repl_print_version();
    for (;;) {
        fputs("> ", stdout);
        fflush(stdout);
        if (!fgets(line, sizeof line, stdin)) break;
        lua_pushfstring(L, "return %s", line);
        if (luaL_loadbuffer(L, lua_tostring(L, -1), lua_rawlen(L, -1), "=stdin") != LUA_OK) {
            lua_pop(L, 2);
            if (luaL_loadbuffer(L, line, strlen(line), "=stdin") != LUA_OK) {
                fprintf(stderr, "%s\n", lua_tostring(L, -1));
                lua_pop(L, 1);
                continue;
            }
        } else {
            lua_remove(L, -2);
        }
        int base = lua_gettop(L);
        if (tsh_docall(L, 0, LUA_MULTRET) != LUA_OK) {
            fprintf(stderr, "%s\n", lua_tostring(L, -1));
            lua_pop(L, 1);
            continue;
        }
        int n = lua_gettop(L) - base + 1;
        if (n > 0) {
            lua_getglobal(L, "print");
            lua_insert(L, -(n + 1));
            lua_pcall(L, n, 0, 0);
        }
    }
    fputs("\n", stdout);
}
