/* main.c: the tensh command line, compatible with lua.c's: run a script
 * with its arguments in `arg`, chunks from -e, modules from -l, stdin with
 * `-` (or when stdin is not a terminal), or the interactive REPL
 * (interp/repl). Errors print a traceback to stderr and give exit status 1.
 * Startup stays lean: nothing here loads more than the tensor module. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "lua/lt.h"
#include "repl/repl.h"

static const char *progname = "tensh";

static void print_usage(FILE *f)
{
    fprintf(f,
            "usage: %s [options] [script [args]]\n"
            "Available options are:\n"
            "  -e chunk   run the Lua chunk\n"
            "  -i         enter the REPL after running the script or chunks\n"
            "  -l mod     require mod into global mod (-l g=mod: into global g)\n"
            "  -q         no banner in the REPL\n"
            "  -v         show version information\n"
            "  -E         ignore the environment variables LUA_PATH and LUA_CPATH\n"
            "  -W         turn Lua warnings on\n"
            "  -h         show this help\n"
            "  --         stop handling options\n"
            "  -          run stdin and stop handling options\n"
            "With no script and no -e, tensh runs the REPL on a terminal and reads\n"
            "a script from stdin otherwise.\n",
            progname);
}

/* Prints an error from the stack top to stderr, prefixed with the program
 * name, as lua.c does. */
static int report(lua_State *L, int status)
{
    if (status != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        fprintf(stderr, "%s: %s\n", progname, msg ? msg : "(error object is not a string)");
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

/* -l mod requires mod into the global mod; -l g=mod into the global g. */
static int dolibrary(lua_State *L, const char *spec)
{
    const char *eq = strchr(spec, '=');
    const char *mod = eq ? eq + 1 : spec;
    lua_getglobal(L, "require");
    lua_pushstring(L, mod);
    int status = tsh_docall(L, 1, 1);
    if (status == LUA_OK) {
        if (eq) {
            lua_pushlstring(L, spec, (size_t)(eq - spec));
            lua_insert(L, -2);
            lua_setglobal(L, lua_tostring(L, -2));
            lua_pop(L, 1);
        } else {
            lua_setglobal(L, mod);
        }
    }
    return report(L, status);
}

/* Pushes arg[1..n] for the script, returns n. */
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

/* arg[0] is the script, arg[1..] its arguments, arg[-k] what came before
 * (the interpreter and its options), as with lua. */
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

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Where the Lua half of tensh lives: $TENSH_STDLIB, else next to the
 * binary as installed (<prefix>/bin/tensh -> <prefix>/share/tensh/stdlib,
 * whatever prefix `cmake --install` was given), else the source tree of a
 * build, else the configured install prefix. */
static const char *find_stdlib(char *buf, size_t n)
{
    const char *env = getenv("TENSH_STDLIB");
    if (env && *env) return env;
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(buf, n, "%s/../share/tensh/stdlib", exe);
            if (is_dir(buf)) return buf;
        }
    }
    if (is_dir(TENSH_SOURCE_STDLIB)) return TENSH_SOURCE_STDLIB;
    return TENSH_INSTALL_STDLIB;
}

/* package.path: the script's own directory first (so it can require the
 * modules next to it), then the stdlib, then Lua's default. */
static void set_paths(lua_State *L, const char *script)
{
    char buf[4200];
    const char *dir = find_stdlib(buf, sizeof buf);
    lua_getglobal(L, "package");
    int n = 0;
    const char *slash = script && strcmp(script, "-") != 0 ? strrchr(script, '/') : NULL;
    if (slash) {
        lua_pushlstring(L, script, (size_t)(slash - script + 1));
        const char *d = lua_tostring(L, -1);
        lua_pushfstring(L, "%s?.lua;%s?/init.lua;", d, d);
        lua_remove(L, -2);
        n++;
    }
    lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;", dir, dir);
    lua_getfield(L, -(n + 2), "path");
    lua_concat(L, n + 2);
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
    char path[4200];
    snprintf(path, sizeof path, "%s/tensh.lua", dir ? dir : ".");
    lua_pop(L, 1);
    if (access(path, R_OK) != 0) return LUA_OK;
    return dochunk(L, luaL_loadfile(L, path));
}

struct args {
    int argc;
    char **argv;
    int script; /* index of the script in argv, argc when none */
    int has_e, has_i, has_v, has_q, has_E, has_W;
    int bad;         /* index of a bad option; -1 for -h */
    int missing_arg; /* the bad option lacks its argument */
};

static void collect_args(struct args *a)
{
    char **argv = a->argv;
    a->script = a->argc;
    for (int i = 1; argv[i]; i++) {
        const char *o = argv[i];
        if (o[0] != '-') {
            a->script = i;
            return;
        }
        if (strcmp(o, "--") == 0) {
            a->script = argv[i + 1] ? i + 1 : a->argc;
            return;
        }
        if (strcmp(o, "-") == 0) {
            a->script = i;
            return;
        }
        if (o[1] == 'e' || o[1] == 'l') {
            if (o[1] == 'e') a->has_e = 1;
            if (o[2] == '\0') {
                if (!argv[i + 1] || argv[i + 1][0] == '-') {
                    a->bad = i;
                    a->missing_arg = 1;
                    return;
                }
                i++;
            }
            continue;
        }
        if (o[2] != '\0') {
            a->bad = i;
            return;
        }
        switch (o[1]) {
        case 'i': a->has_i = 1; break;
        case 'v': a->has_v = 1; break;
        case 'q': a->has_q = 1; break;
        case 'E': a->has_E = 1; break;
        case 'W': a->has_W = 1; break;
        case 'h': a->bad = -1; return;
        default: a->bad = i; return;
        }
    }
}

/* Runs -e and -l in the order given; 0 when one failed. */
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
    if (a->has_E) {
        lua_pushboolean(L, 1);
        lua_setfield(L, LUA_REGISTRYINDEX, "LUA_NOENV");
    }
    luaL_openlibs(L);
    luaopen_tensh(L);
    createargtable(L, a->argv, a->argc, a->script);
    if (a->has_W) lua_warning(L, "@on", 0);
    set_paths(L, a->script < a->argc ? a->argv[a->script] : NULL);
    if (a->has_v) tsh_repl_print_version();
    if (load_stdlib(L) != LUA_OK) return 0;
    tshL_warm_up_ops(L);
    if (!run_args(L, a)) return 0;
    if (a->script < a->argc && handle_script(L, a->argv + a->script) != LUA_OK) return 0;
    if (a->has_i) {
        tsh_repl_run(L, a->has_q || a->has_v);
    } else if (a->script == a->argc && !a->has_e && !a->has_v) {
        if (isatty(STDIN_FILENO)) {
            tsh_repl_run(L, a->has_q);
        } else if (dochunk(L, luaL_loadfile(L, NULL)) != LUA_OK) { /* a script on stdin */
            return 0;
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
    if (a.bad == -1) {
        print_usage(stdout);
        return 0;
    }
    if (a.bad) {
        if (a.missing_arg) fprintf(stderr, "%s: '%s' needs argument\n", progname, argv[a.bad]);
        else fprintf(stderr, "%s: unrecognized option '%s'\n", progname, argv[a.bad]);
        print_usage(stderr);
        return 1;
    }
    lua_State *L = luaL_newstate();
    if (!L) {
        fprintf(stderr, "%s: cannot create state: not enough memory\n", progname);
        return 1;
    }
    tshL_use_allocator(L);
    lua_gc(L, LUA_GCGEN, 0, 0);
    lua_pushcfunction(L, pmain);
    lua_pushlightuserdata(L, &a);
    int status = lua_pcall(L, 1, 1, 0);
    int ok = lua_toboolean(L, -1);
    report(L, status);
    lua_close(L);
    int code = (ok && status == LUA_OK) ? 0 : 1;
    tsh_warm_up_exit(code);
    return code;
}
