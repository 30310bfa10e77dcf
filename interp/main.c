/* main.c: the tensh command line, modelled on lua.c: run a script with its
 * arguments in `arg`, a chunk from -e, stdin with `-`, or the interactive
 * REPL (interp/repl). Errors print a traceback and give exit status 1. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "lua/lt.h"
#include "repl/repl.h"

static const char *progname = "tensh";

static void print_usage(void)
{
    fprintf(stderr,
            "usage: %s [options] [script [args]]\n"
            "  -e chunk   run the Lua chunk\n"
            "  -l mod     require mod into global mod\n"
            "  -i         enter the REPL after running the script or chunks\n"
            "  -q         no banner in the REPL\n"
            "  -v         show version\n"
            "  -h         show this help\n"
            "  -          run stdin and stop handling options\n",
            progname);
}

static int msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int tsh_docall(lua_State *L, int narg, int nres)
{
    int base = lua_gettop(L) - narg;
    lua_pushcfunction(L, msghandler);
    lua_insert(L, base);
    tsh_repl_arm_interrupt(L);
    int status = lua_pcall(L, narg, nres, base);
    tsh_repl_disarm_interrupt(L);
    lua_remove(L, base);
    return status;
}

static int report(lua_State *L, int status)
{
    if (status != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        fprintf(stderr, "%s: %s\n", progname, msg ? msg : "(error)");
        fflush(stderr);
        lua_pop(L, 1);
    }
    return status;
}

static int dochunk(lua_State *L, int status)
{
    if (status == LUA_OK) status = tsh_docall(L, 0, 0);
    return report(L, status);
}

static int dostring(lua_State *L, const char *s, const char *name)
{
    return dochunk(L, luaL_loadbuffer(L, s, strlen(s), name));
}

static int dolibrary(lua_State *L, const char *name)
{
    lua_getglobal(L, "require");
    lua_pushstring(L, name);
    int status = tsh_docall(L, 1, 1);
    if (status == LUA_OK) lua_setglobal(L, name);
    return report(L, status);
}

static int pushargs(lua_State *L)
{
    if (lua_getglobal(L, "arg") != LUA_TTABLE) luaL_error(L, "'arg' is not a table");
    int n = (int)luaL_len(L, -1);
    luaL_checkstack(L, n + 3, "too many arguments to script");
    int i;
    for (i = 1; i <= n; i++) lua_rawgeti(L, -i, i);
    lua_remove(L, -i);
    return n;
}

static int handle_script(lua_State *L, char **argv)
{
    const char *fname = argv[0];
    if (strcmp(fname, "-") == 0 && strcmp(argv[-1], "--") != 0) fname = NULL; /* stdin */
    int status = luaL_loadfile(L, fname);
    if (status == LUA_OK) {
        int n = pushargs(L);
        status = tsh_docall(L, n, LUA_MULTRET);
    }
    return report(L, status);
}

static void createargtable(lua_State *L, char **argv, int argc, int script)
{
    if (script == argc) script = 0;
    int narg = argc - (script + 1);
    lua_createtable(L, narg, script + 1);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - script);
    }
    lua_setglobal(L, "arg");
}

/* Adds the stdlib directory (build tree first, then the install prefix) and
 * the script's own directory to package.path. */
static void set_paths(lua_State *L, const char *script)
{
    const char *env = getenv("TENSH_STDLIB");
    const char *dir = env;
    if (!dir) dir = access(TENSH_SOURCE_STDLIB, R_OK) == 0 ? TENSH_SOURCE_STDLIB : TENSH_INSTALL_STDLIB;
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "path");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    if (script && strcmp(script, "-") != 0) {
        const char *slash = strrchr(script, '/');
        if (slash) {
            luaL_addlstring(&b, script, (size_t)(slash - script + 1));
            luaL_addstring(&b, "?.lua;");
        }
    }
    lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;", dir, dir);
    luaL_addvalue(&b);
    luaL_addvalue(&b); /* the old path, moved under the buffer */
    luaL_pushresult(&b);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
    lua_pushstring(L, dir);
    lua_setfield(L, LUA_REGISTRYINDEX, "tensh.stdlib");
}

/* Loads stdlib/tensh.lua if it exists: the Lua half of the library. */
static int load_stdlib(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, "tensh.stdlib");
    const char *dir = lua_tostring(L, -1);
    char path[4096];
    snprintf(path, sizeof path, "%s/tensh.lua", dir);
    lua_pop(L, 1);
    if (access(path, R_OK) != 0) return LUA_OK;
    return dochunk(L, luaL_loadfile(L, path));
}

struct args {
    int argc;
    char **argv;
    int script, has_e, has_i, has_v, has_q, bad;
};

static void collect_args(struct args *a)
{
    char **argv = a->argv;
    a->script = a->argc;
    for (int i = 1; argv[i]; i++) {
        if (argv[i][0] != '-') { a->script = i; return; }
        const char *o = argv[i];
        if (strcmp(o, "--") == 0) {
            a->script = argv[i + 1] ? i + 1 : a->argc;
            return;
        }
        if (strcmp(o, "-") == 0) { a->script = i; return; }
        if (strcmp(o, "-i") == 0) a->has_i = 1;
        else if (strcmp(o, "-v") == 0) a->has_v = 1;
        else if (strcmp(o, "-q") == 0) a->has_q = 1;
        else if (strcmp(o, "-h") == 0) { a->bad = -1; return; }
        else if (strcmp(o, "-e") == 0 || strcmp(o, "-l") == 0) {
            if (o[1] == 'e') a->has_e = 1;
            if (!argv[i + 1]) { a->bad = i; return; }
            i++;
        } else if ((o[1] == 'e' || o[1] == 'l') && o[2]) {
            if (o[1] == 'e') a->has_e = 1;
        } else { a->bad = i; return; }
    }
}

static int run_args(lua_State *L, struct args *a)
{
    for (int i = 1; i < a->script; i++) {
        const char *o = a->argv[i];
        if (o[0] != '-' || (o[1] != 'e' && o[1] != 'l')) continue;
        const char *v = o[2] ? o + 2 : a->argv[++i];
        int st = o[1] == 'e' ? dostring(L, v, "=(command line)") : dolibrary(L, v);
        if (st != LUA_OK) return 0;
    }
    return 1;
}

static int pmain(lua_State *L)
{
    struct args *a = lua_touserdata(L, 1);
    luaL_openlibs(L);
    luaopen_tensh(L);
    createargtable(L, a->argv, a->argc, a->script);
    set_paths(L, a->script < a->argc ? a->argv[a->script] : NULL);
    if (a->has_v) tsh_repl_print_version();
    if (load_stdlib(L) != LUA_OK) return 0;
    if (!run_args(L, a)) return 0;
    if (a->script < a->argc && handle_script(L, a->argv + a->script) != LUA_OK) return 0;
    if (a->has_i) {
        tsh_repl_run(L, a->has_q);
    } else if (a->script == a->argc && !a->has_e && !a->has_v) {
        if (isatty(0)) {
            tsh_repl_run(L, a->has_q);
        } else {
            char *fake[] = {"-", "-", NULL};
            if (handle_script(L, fake + 1) != LUA_OK) return 0;
        }
    }
    lua_pushboolean(L, 1);
    return 1;
}

int main(int argc, char **argv)
{
    struct args a = {.argc = argc, .argv = argv};
    if (argv[0] && argv[0][0]) progname = argv[0];
    collect_args(&a);
    if (a.bad) {
        if (a.bad > 0) fprintf(stderr, "%s: unrecognized option '%s'\n", progname, argv[a.bad]);
        print_usage();
        return a.bad > 0 ? 1 : 0;
    }
    lua_State *L = luaL_newstate();
    if (!L) {
        fprintf(stderr, "%s: cannot create state: not enough memory\n", progname);
        return 1;
    }
    lua_gc(L, LUA_GCGEN, 0, 0);
    lua_pushcfunction(L, pmain);
    lua_pushlightuserdata(L, &a);
    int status = lua_pcall(L, 1, 1, 0);
    int ok = lua_toboolean(L, -1);
    report(L, status);
    lua_close(L);
    return (ok && status == LUA_OK) ? 0 : 1;
}
