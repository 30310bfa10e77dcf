/* help.c: the global help(). It shows the help text registered with a
 * function (tshL_Reg entries, tshL_sethelp), lists a module's functions by
 * their signature lines, a tensor's methods, looks names up ("zeros",
 * "tensor.ones"), and prints an overview for help(). It only finds and
 * shows texts; writing them is each binding file's job. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lt.h"

static void out(const char *s) { lua_writestring(s, strlen(s)); }

static void outf(lua_State *L, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *s = lua_pushvfstring(L, fmt, ap);
    va_end(ap);
    out(s);
    lua_pop(L, 1);
}

/* The global name of the table at idx (`tensor`, `string`), or NULL. */
static const char *global_name(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    lua_pushglobaltable(L);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        if (lua_type(L, -2) == LUA_TSTRING && lua_rawequal(L, -1, idx)) {
            const char *name = lua_tostring(L, -2);
            lua_pop(L, 3); /* value, key, globals: the name stays alive in _G */
            return name;
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return NULL;
}

/* `module.name` for a function found in a loaded module (Lua's own
 * builtins have no help text, but their name tells where to read). */
static int push_builtin_name(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        if (lua_istable(L, -1) && lua_type(L, -2) == LUA_TSTRING) {
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                if (lua_type(L, -2) == LUA_TSTRING && lua_rawequal(L, -1, idx)) {
                    const char *mod = lua_tostring(L, -4);
                    if (strcmp(mod, "_G") == 0) lua_pushstring(L, lua_tostring(L, -2));
                    else lua_pushfstring(L, "%s.%s", mod, lua_tostring(L, -2));
                    lua_replace(L, -6);
                    lua_pop(L, 4);
                    return 1;
                }
                lua_pop(L, 1);
            }
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return 0;
}

/* Names (the keys of the set table at idx, sorted) in columns. */
static void print_columns(lua_State *L, int list, int n)
{
    size_t w = 0;
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, list, i);
        size_t l = lua_rawlen(L, -1);
        if (l > w) w = l;
        lua_pop(L, 1);
    }
    int cols = (int)(78 / (w + 2));
    if (cols < 1) cols = 1;
    int rows = (n + cols - 1) / cols;
    for (int r = 0; r < rows; r++) {
        out("  ");
        for (int c = 0; c < cols; c++) {
            int i = c * rows + r + 1;
            if (i > n) break;
            lua_rawgeti(L, list, i);
            const char *s = lua_tostring(L, -1);
            char cell[256];
            snprintf(cell, sizeof cell, "%-*s", (int)(c + 1 < cols && i + rows <= n ? w + 2 : 0), s);
            out(cell);
            lua_pop(L, 1);
        }
        out("\n");
    }
}

/* Pushes a sorted array of the string keys of the table at idx whose
 * values are functions (`functions`) or anything; returns its length. */
static int sorted_keys(lua_State *L, int idx, int functions)
{
    idx = lua_absindex(L, idx);
    lua_getglobal(L, "table");
    lua_getfield(L, -1, "sort");
    lua_remove(L, -2);
    lua_newtable(L);
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) == LUA_TSTRING && (!functions || lua_isfunction(L, -1))) {
            lua_pushvalue(L, -2);
            lua_rawseti(L, -4, ++n);
        }
        lua_pop(L, 1);
    }
    if (lua_isfunction(L, -2)) {
        lua_pushvalue(L, -1);
        lua_insert(L, -3);
        lua_call(L, 1, 0);
    } else {
        lua_remove(L, -2);
    }
    return n;
}

/* The first line of the help text of the value at idx, pushed (or nil). */
static void push_first_line(lua_State *L, int idx)
{
    tshL_gethelp(L, idx);
    if (lua_isnil(L, -1)) return;
    const char *s = lua_tostring(L, -1), *nl = strchr(s, '\n');
    if (nl) {
        lua_pushlstring(L, s, (size_t)(nl - s));
        lua_remove(L, -2);
    }
}

static void help_table(lua_State *L, int idx)
{
    const char *name = global_name(L, idx);
    int list = lua_gettop(L) + 1;
    int n = sorted_keys(L, idx, 1);
    int with_help = 0;
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, list, i);
        lua_rawget(L, idx);
        tshL_gethelp(L, -1);
        with_help += !lua_isnil(L, -1);
        lua_pop(L, 2);
    }
    outf(L, "%s: a table with %d function%s%s\n", name ? name : "this", n, n == 1 ? "" : "s",
         n ? (with_help ? "; help(f) shows one in full:" : ":") : "");
    if (!with_help) {
        print_columns(L, list, n);
    } else {
        for (int i = 1; i <= n; i++) {
            lua_rawgeti(L, list, i);
            lua_pushvalue(L, -1);
            lua_rawget(L, idx);
            push_first_line(L, -1);
            if (lua_isnil(L, -1)) outf(L, "  %s%s%s\n", name ? name : "", name ? "." : "", lua_tostring(L, -3));
            else outf(L, "  %s\n", lua_tostring(L, -1));
            lua_pop(L, 3);
        }
    }
    lua_settop(L, list - 1);
}

static void help_tensor(lua_State *L, int idx)
{
    tsh_tensor *t = tshL_check(L, idx);
    char shape[128];
    tsh_shape_str(shape, sizeof shape, t->ndim, t->shape);
    outf(L, "a Tensor of shape %s and dtype %s; its methods (help(t.name) or ?t:name for one):\n",
         t->ndim ? shape : "() (a scalar)", tsh_dtype_name(t->dtype));
    tshL_push_methods(L);
    int list = lua_gettop(L) + 1;
    int n = sorted_keys(L, -1, 1);
    print_columns(L, list, n);
    lua_pop(L, 2);
}

static void overview(lua_State *L)
{
    out("tensh: tensors in Lua with PyTorch semantics.\n\n"
        "  help(f)          the help text of a function: help(tensor.zeros)\n"
        "  help(module)     its functions, a line each: help(tensor)\n"
        "  help(t)          what a tensor is, and its methods\n"
        "  help \"name\"      by name: a tensor function or method, or a global\n"
        "  ?x               the same at the prompt: ?tensor.zeros  ?t:reshape\n\n");
    static const char *const mods[] = {"tensor", "nn", "optim", "vision", "plot", "cuda", NULL};
    out("Modules:");
    for (int i = 0; mods[i]; i++) {
        if (lua_getglobal(L, mods[i]) == LUA_TTABLE) {
            int n = 0;
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                n += lua_isfunction(L, -1);
                lua_pop(L, 1);
            }
            outf(L, " %s (%d functions)", mods[i], n);
        }
        lua_pop(L, 1);
    }
    out(".\n\nAt the prompt: an expression prints its value, and _ holds the last one;\n"
        "Tab completes names, fields and methods; an unfinished chunk continues on\n"
        "a .. line (an empty line cancels it); %time stmt and %timeit stmt time\n"
        "code; !cmd runs a shell command; Ctrl-C interrupts; Ctrl-D exits.\n"
        "The guide is docs/repl.md.\n");
}

/* help "name": a tensor function, a tensor method, or a dotted global. */
static int push_by_name(lua_State *L, const char *name)
{
    tshL_push_module(L);
    if (lua_getfield(L, -1, name) != LUA_TNIL) {
        lua_remove(L, -2);
        return 1;
    }
    lua_pop(L, 2);
    tshL_push_methods(L);
    if (lua_getfield(L, -1, name) != LUA_TNIL) {
        lua_remove(L, -2);
        return 1;
    }
    lua_pop(L, 2);
    lua_pushglobaltable(L);
    const char *p = name;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (!lua_istable(L, -1)) break;
        lua_pushlstring(L, p, len);
        lua_rawget(L, -2);
        lua_remove(L, -2);
        p += len + (dot != NULL);
        if (!dot) return !lua_isnil(L, -1) ? 1 : (lua_pop(L, 1), 0);
    }
    lua_pop(L, 1);
    return 0;
}

static int help(lua_State *L)
{
    if (lua_gettop(L) == 0) {
        overview(L);
        return 0;
    }
    lua_settop(L, 1);
    if (lua_type(L, 1) == LUA_TSTRING) {
        const char *name = lua_tostring(L, 1);
        if (!push_by_name(L, name)) {
            outf(L, "no help for '%s': it names no tensor function, method or global\n", name);
            return 0;
        }
        lua_replace(L, 1);
    }
    tshL_gethelp(L, 1);
    if (!lua_isnil(L, -1)) {
        out(lua_tostring(L, -1));
        out("\n");
        return 0;
    }
    lua_pop(L, 1);
    if (tshL_test(L, 1)) {
        help_tensor(L, 1);
    } else if (lua_istable(L, 1) && !luaL_getmetafield(L, 1, "__tostring")) {
        help_table(L, 1);
    } else if (lua_iscfunction(L, 1)) {
        if (push_builtin_name(L, 1))
            outf(L, "%s: a Lua builtin; the Lua 5.4 reference manual describes it\n", lua_tostring(L, -1));
        else
            out("a builtin function with no help text\n");
    } else if (lua_isfunction(L, 1)) {
        lua_Debug ar;
        lua_pushvalue(L, 1);
        lua_getinfo(L, ">S", &ar);
        outf(L, "a Lua function defined at %s:%d, with no help text\n", ar.short_src, ar.linedefined);
    } else if (lua_isnil(L, 1)) {
        out("help: the value is nil (help \"name\" looks a name up)\n");
    } else {
        lua_settop(L, 1);
        outf(L, "a %s value, with no help text\n", luaL_typename(L, 1));
    }
    return 0;
}

void tshL_open_help(lua_State *L)
{
    lua_pushcfunction(L, help);
    tshL_sethelp(L, -1,
                 "help([x])\nThe help text of a function, the functions of a module, a tensor's methods,\n"
                 "or with no argument an overview; help \"name\" looks a name up.\n  help(tensor.zeros)");
    lua_setglobal(L, "help");
}
