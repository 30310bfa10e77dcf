/* help.c: the global help(), and tensor.sethelp / tensor.gethelp through
 * which Lua modules (nn, optim, user code) attach help text to their own
 * functions and tables. The texts live in the registry table that
 * tshL_sethelp fills (lt.c); this file finds them by value or by name and
 * prints them. It never raises on what it is asked about. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/format.h"
#include "lt.h"

#define MAX_SUGGEST 8

static const char module_help[] =
    "tensor: n-dimensional arrays with PyTorch's semantics and Lua's conventions.\n"
    "A Tensor holds numbers of one dtype (float32 by default; float64, float16, bfloat16, int64,\n"
    "int32, uint8, bool) on one device (cpu). Dims and indices are 1-based, ranges inclusive;\n"
    "views share storage. Functions are called as tensor.f(t, ...) or, where PyTorch has a\n"
    "method, as t:f(...). help(t) lists the Tensor methods; docs/tensor.md explains it all.\n"
    "  local t = tensor{{1, 2}, {3, 4}}   print(t:view(4))";

static void out(const char *s, size_t n) { fwrite(s, 1, n, stdout); }
static void outs(const char *s) { out(s, strlen(s)); }

static size_t first_line_len(const char *s)
{
    const char *nl = strchr(s, '\n');
    return nl ? (size_t)(nl - s) : strlen(s);
}

/* ---- listing a table of functions ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The string keys of the table at idx whose values satisfy `want`, sorted.
 * The array is a userdata pushed on the stack (so an error cannot leak it);
 * the strings stay alive as keys of the table. */
static const char **sorted_keys(lua_State *L, int idx, int (*want)(lua_State *L, int vidx), int *count)
{
    idx = lua_absindex(L, idx);
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        n += lua_type(L, -2) == LUA_TSTRING && want(L, -1);
        lua_pop(L, 1);
    }
    const char **names = lua_newuserdatauv(L, sizeof *names * (size_t)(n ? n : 1), 0);
    int k = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) == LUA_TSTRING && want(L, -1) && k < n) names[k++] = lua_tostring(L, -2);
        lua_pop(L, 1);
    }
    qsort(names, (size_t)k, sizeof *names, cmp_str);
    *count = k;
    return names;
}

static int is_function(lua_State *L, int vidx) { return lua_isfunction(L, vidx); }
static int is_plain_value(lua_State *L, int vidx)
{
    int ty = lua_type(L, vidx);
    return ty == LUA_TSTRING || ty == LUA_TNUMBER || ty == LUA_TBOOLEAN;
}

/* Prints "  <first line of help>" for every function in the table at idx;
 * `prefix` names those without help ("tensor." or "t:"). */
static void list_functions(lua_State *L, int idx, const char *prefix)
{
    idx = lua_absindex(L, idx);
    int n;
    const char **names = sorted_keys(L, idx, is_function, &n);
    for (int i = 0; i < n; i++) {
        lua_getfield(L, idx, names[i]);
        tshL_gethelp(L, -1);
        outs("  ");
        if (lua_isstring(L, -1)) {
            const char *h = lua_tostring(L, -1);
            out(h, first_line_len(h));
        } else {
            outs(prefix);
            outs(names[i]);
            outs("  (no help)");
        }
        outs("\n");
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
}

static void list_values(lua_State *L, int idx)
{
    int n;
    const char **names = sorted_keys(L, idx, is_plain_value, &n);
    if (n) outs("Values:");
    for (int i = 0; i < n; i++) {
        outs(" ");
        outs(names[i]);
    }
    if (n) outs("\n");
    lua_pop(L, 1);
}

static int count_functions(lua_State *L, int idx)
{
    int n;
    sorted_keys(L, idx, is_function, &n);
    lua_pop(L, 1);
    return n;
}

/* ---- finding a value by name ---- */

/* Pushes what a dotted path ("tensor.zeros", "nn.Linear") names, or nil. */
static void push_path(lua_State *L, const char *name)
{
    lua_pushglobaltable(L);
    const char *p = name;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (!lua_istable(L, -1)) {
            lua_pop(L, 1);
            lua_pushnil(L);
            return;
        }
        lua_pushlstring(L, p, len);
        lua_rawget(L, -2);
        lua_remove(L, -2);
        if (!dot) return;
        p = dot + 1;
    }
}

/* Pushes the value `name` refers to, or nil:
 *   "t:view" (any word before the colon)  a Tensor method;
 *   "tensor.zeros", "nn.Linear"           a path from the globals;
 *   "zeros"                               a global table (a module), else a
 *                                         tensor function, a Tensor method,
 *                                         any other global. */
static void push_named(lua_State *L, const char *name)
{
    const char *colon = strchr(name, ':');
    if (colon) {
        tshL_push_methods(L);
        lua_getfield(L, -1, colon + 1);
        lua_remove(L, -2);
        return;
    }
    if (strchr(name, '.')) {
        push_path(L, name);
        return;
    }
    if (lua_getglobal(L, name) == LUA_TTABLE) return;
    lua_pop(L, 1);
    tshL_push_module(L);
    if (lua_getfield(L, -1, name) != LUA_TNIL) {
        lua_remove(L, -2);
        return;
    }
    lua_pop(L, 2);
    tshL_push_methods(L);
    if (lua_getfield(L, -1, name) != LUA_TNIL) {
        lua_remove(L, -2);
        return;
    }
    lua_pop(L, 2);
    lua_getglobal(L, name);
}

/* Edit distance, bounded: enough to suggest "zeros" for "zeroes". */
static int distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40) return 99;
    int row[41];
    for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* Prints the names in the table at idx close to `word` (a near spelling,
 * or containing it), counting them in *shown, up to MAX_SUGGEST in all;
 * names also in the table at `skip` (if nonzero) were shown already. */
static void suggest_from(lua_State *L, int idx, int skip, const char *word, const char *prefix, int *shown)
{
    int n;
    const char **names = sorted_keys(L, idx, is_function, &n);
    size_t wl = strlen(word);
    for (int i = 0; i < n && *shown < MAX_SUGGEST; i++) {
        if (skip && lua_getfield(L, skip, names[i]) != LUA_TNIL) { /* already named as tensor.x */
            lua_pop(L, 1);
            continue;
        }
        if (skip) lua_pop(L, 1);
        int near = distance(word, names[i]) <= (wl < 4 ? 1 : 2) || (wl >= 3 && strstr(names[i], word));
        if (!near) continue;
        outs(*shown ? ", " : "");
        outs(prefix);
        outs(names[i]);
        ++*shown;
    }
    lua_pop(L, 1);
}

static void not_found(lua_State *L, const char *name)
{
    printf("help: nothing is named '%s'.", name);
    const char *word = strrchr(name, ':');
    if (!word) word = strrchr(name, '.');
    word = word ? word + 1 : name;
    if (*word) {
        outs(" Close names: ");
        int k = 0;
        tshL_push_module(L);
        int module = lua_gettop(L);
        suggest_from(L, module, 0, word, "tensor.", &k);
        tshL_push_methods(L);
        suggest_from(L, -1, module, word, "t:", &k);
        lua_pop(L, 2);
        if (!k) outs("none");
        outs(".");
    }
    outs(" help() gives an overview.\n");
}

/* ---- what help() prints ---- */

static void docs_dir(lua_State *L)
{
    /* The docs sit beside the stdlib in a source tree. */
    lua_getfield(L, LUA_REGISTRYINDEX, "tensh.stdlib");
    const char *stdlib = lua_tostring(L, -1);
    const char *slash = stdlib ? strrchr(stdlib, '/') : NULL;
    if (slash) {
        lua_pushfstring(L, "%s/docs", lua_pushlstring(L, stdlib, (size_t)(slash - stdlib)));
        if (access(lua_tostring(L, -1), R_OK) == 0) {
            printf("Docs: %s (start with tensor.md)\n", lua_tostring(L, -1));
            lua_pop(L, 3);
            return;
        }
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    outs("Docs: docs/ in the tensh source tree (start with docs/tensor.md).\n");
}

static int has_help(lua_State *L, int vidx)
{
    if (!lua_istable(L, vidx)) return 0;
    tshL_gethelp(L, vidx);
    int h = lua_isstring(L, -1);
    lua_pop(L, 1);
    return h;
}

static void overview(lua_State *L)
{
    outs("tensh: tensors in Lua, with PyTorch's semantics and Lua's conventions (1-based).\n\n"
         "Modules:\n");
    lua_pushglobaltable(L);
    int n;
    const char **names = sorted_keys(L, -1, has_help, &n);
    for (int i = 0; i < n; i++) {
        lua_getglobal(L, names[i]);
        tshL_gethelp(L, -1);
        const char *h = lua_tostring(L, -1);
        size_t nl = strlen(names[i]);
        if (strncmp(h, names[i], nl) == 0 && strncmp(h + nl, ": ", 2) == 0) h += nl + 2;
        printf("  %-8s ", names[i]);
        out(h, first_line_len(h));
        outs("\n");
        lua_pop(L, 2);
    }
    lua_pop(L, 2);
    outs("\nGetting help:\n"
         "  help(tensor)            a module: what it is, and its functions\n"
         "  help(tensor.zeros)      a function: how to call it, what it does, an example\n"
         "  help(t)                 a tensor: the Tensor methods\n"
         "  help(\"zeros\"), help(\"tensor.zeros\"), help(\"t:view\")   the same, by name\n"
         "  ?x                      in the REPL, the same as help(x)\n"
         "  tensor.sethelp(f, text) attaches help to your own function or module table\n");
    docs_dir(L);
}

static void help_tensor(lua_State *L, tsh_tensor *t)
{
    char *s;
    if (tsh_format_summary(t, &s) == TSH_OK) {
        printf("A Tensor: %s\n", s);
        free(s);
    }
    outs("Tensor methods, called as t:name(...) (help(\"t:name\") for one):\n");
    tshL_push_methods(L);
    list_functions(L, -1, "t:");
    lua_pop(L, 1);
}

/* help(x) for the value at idx. */
/* Prints the help of the class of the object at idx: its metatable, or the
 * metatable's __index table, as Lua classes are usually built. Returns 0
 * when neither has help. */
static int print_top_help(lua_State *L)
{
    tshL_gethelp(L, -1);
    int ok = lua_isstring(L, -1);
    if (ok) {
        outs(lua_tostring(L, -1));
        outs("\n");
    }
    lua_pop(L, 1);
    return ok;
}

static int class_help(lua_State *L, int idx)
{
    if (!lua_getmetatable(L, idx)) return 0;            /* mt */
    if (print_top_help(L)) {
        lua_pop(L, 1);
        return 1;
    }
    if (lua_getfield(L, -1, "__index") == LUA_TTABLE) { /* mt, class */
        if (print_top_help(L)) {
            lua_pop(L, 2);
            return 1;
        }
        lua_remove(L, -2);                              /* class */
    } else {
        lua_pop(L, 1);                                  /* mt */
    }
    /* no help text: name the class and list its methods (the __index
     * table's functions, and its parent's through its own metatable) */
    int shown = 0;
    const char *name = NULL;
    if (lua_getfield(L, -1, "__name") == LUA_TSTRING) name = lua_tostring(L, -1);
    lua_pop(L, 1);
    for (int depth = 0; depth < 4 && lua_istable(L, -1); depth++) {
        int n;
        const char **names = sorted_keys(L, -1, is_function, &n);
        for (int i = 0; i < n; i++) {
            if (names[i][0] == '_') continue; /* internals and metamethods */
            lua_getfield(L, -2, names[i]);
            tshL_gethelp(L, -1);
            if (lua_isstring(L, -1)) {
                if (!shown) printf("An object of class %s; its methods:\n", name ? name : "(unnamed)");
                shown = 1;
                const char *h = lua_tostring(L, -1);
                outs("  ");
                out(h, first_line_len(h));
                outs("\n");
            }
            lua_pop(L, 2);
        }
        lua_pop(L, 1); /* the names */
        if (!lua_getmetatable(L, -1)) break;
        lua_getfield(L, -1, "__index");
        lua_remove(L, -2);
        lua_remove(L, -2);
    }
    lua_pop(L, 1);
    return shown;
}

static void help_value(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    tshL_gethelp(L, idx);
    const char *h = lua_tostring(L, -1);
    tsh_tensor *t = tshL_test(L, idx);
    if (!h && !t && lua_istable(L, idx) && class_help(L, idx)) {
        /* an object of a Lua class (an nn module, an optimizer): its class's help */
        lua_pop(L, 1);
        return;
    }
    if (t) {
        help_tensor(L, t);
    } else if (lua_istable(L, idx)) {
        int nf = count_functions(L, idx);
        if (h) {
            outs(h);
            outs("\n");
        } else if (!nf) {
            outs("help: no help for this table, and it holds no functions.\n");
        }
        if (nf) {
            outs(h ? "\nFunctions:\n" : "A table without help text; its functions:\n");
            tshL_push_module(L);
            int is_module = lua_rawequal(L, -1, idx);
            lua_pop(L, 1);
            list_functions(L, idx, is_module ? "tensor." : "");
            if (is_module) list_values(L, idx);
        }
    } else if (h) {
        outs(h);
        outs("\n");
    } else if (lua_isfunction(L, idx)) {
        outs("help: no help text for this function (Lua code can attach some with "
             "tensor.sethelp(fn, text)).\n");
    } else if (lua_isnil(L, idx)) {
        outs("help: the value is nil, so there is no help for it (check the name, or use "
             "help(\"name\")); help() gives an overview.\n");
    } else {
        printf("help: no help for a %s value; help() gives an overview.\n", luaL_typename(L, idx));
    }
    lua_pop(L, 1);
}

static int help(lua_State *L)
{
    if (lua_gettop(L) == 0) {
        overview(L);
    } else if (lua_type(L, 1) == LUA_TSTRING) {
        const char *name = lua_tostring(L, 1);
        push_named(L, name);
        if (lua_isnil(L, -1)) not_found(L, name);
        else help_value(L, -1);
        lua_pop(L, 1);
    } else {
        help_value(L, 1);
    }
    fflush(stdout);
    return 0;
}

static int sethelp(lua_State *L)
{
    int ty = lua_type(L, 1);
    if (ty != LUA_TFUNCTION && ty != LUA_TTABLE)
        return luaL_argerror(L, 1, lua_pushfstring(L, "function or table expected, got %s",
                                                   luaL_typename(L, 1)));
    if (lua_type(L, 2) != LUA_TSTRING)
        return luaL_argerror(L, 2, lua_pushfstring(L, "help text (string) expected, got %s",
                                                   luaL_typename(L, 2)));
    if (lua_rawlen(L, 2) == 0) return luaL_argerror(L, 2, "help text must not be empty");
    tshL_sethelp(L, 1, lua_tostring(L, 2));
    lua_settop(L, 1);
    return 1;
}

static int gethelp(lua_State *L)
{
    luaL_checkany(L, 1);
    if (lua_type(L, 1) == LUA_TSTRING) {
        push_named(L, lua_tostring(L, 1));
        lua_replace(L, 1);
    }
    tshL_gethelp(L, 1);
    return 1;
}

static const tshL_Reg regs[] = {
    {"sethelp", sethelp, TSHL_FUNC,
     "tensor.sethelp(fn_or_table, text) -> fn_or_table\n"
     "Attaches help text to a Lua function or module table, shown by help(). Write the call on\n"
     "the first line, then what it does, then an example; for a module, a one-line description first.\n"
     "  local sq = tensor.sethelp(function(x) return x * x end, 'sq(x) -> number\\nThe square of x.')"},
    {"gethelp", gethelp, TSHL_FUNC,
     "tensor.gethelp(x) -> string or nil\n"
     "The help text of a function, module table or name (as help() finds it), or nil.\n"
     "  tensor.gethelp(tensor.zeros):match('^[^\\n]*')  --> tensor.zeros(size..., ...) -> Tensor"},
    {NULL, NULL, 0, NULL},
};

void tshL_open_help(lua_State *L)
{
    tshL_register(L, regs);
    tshL_push_module(L);
    tshL_sethelp(L, -1, module_help);
    lua_pop(L, 1);
    lua_pushcfunction(L, help);
    tshL_sethelp(L, -1,
                 "help([x])\n"
                 "Prints the help of a function, module table, tensor (its methods) or name\n"
                 "(\"zeros\", \"tensor.zeros\", \"t:view\"); help() prints an overview.\n"
                 "  help(tensor.zeros)   help(\"t:view\")   help()");
    lua_setglobal(L, "help");
}
