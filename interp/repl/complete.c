/* complete.c: Tab completion over the live Lua state: globals and keywords,
 * then fields along a dotted chain (`tensor.ze`, `nn.Con`, `string.up`),
 * methods after a colon (`x:resh`, `s:up`) found through metatables, and
 * for tensors the methods table in the registry plus the fields that
 * Tensor's __index answers (`x.sh` -> shape). Inside a string literal it
 * falls back to readline's file names. It evaluates only name lookups,
 * never calls, and runs them protected with an instruction budget. */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <readline/readline.h>

#include "internal.h"

static lua_State *CL;

static const char *const keywords[] = {
    "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if",
    "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while", NULL,
};

/* Fields a Tensor's __index computes rather than finds in the methods
 * table; each is probed, so names the core lacks today simply don't show. */
static const char *const tensor_fields[] = {
    "shape", "ndim", "T", "mT", "grad", "requires_grad", "is_leaf", "grad_fn", "data", "is_cuda", NULL,
};

static const char *const magics[] = {"time", "timeit", NULL};

static int is_ident_start(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_ident(int c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }

static int is_keyword(const char *s)
{
    for (int i = 0; keywords[i]; i++)
        if (strcmp(s, keywords[i]) == 0) return 1;
    return 0;
}

static int is_name(const char *s)
{
    if (!is_ident_start((unsigned char)*s)) return 0;
    for (const char *p = s + 1; *p; p++)
        if (!is_ident((unsigned char)*p)) return 0;
    return !is_keyword(s);
}

/* Adds name to the result set at index `set` when it starts with text.
 * Names with a leading underscore show only when text starts with one. */
static void add(lua_State *L, int set, const char *name, const char *text)
{
    size_t n = strlen(text);
    if (strncmp(name, text, n) != 0) return;
    if (name[0] == '_' && text[0] != '_') return;
    lua_pushboolean(L, 1);
    lua_setfield(L, set, name);
}

/* The string keys of the table at idx (values that are functions only,
 * when `methods` is set: after a colon). */
static void add_keys(lua_State *L, int set, int idx, const char *text, int methods)
{
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) == LUA_TSTRING && (!methods || lua_type(L, -1) == LUA_TFUNCTION)) {
            const char *k = lua_tostring(L, -2);
            if (is_name(k)) add(L, set, k, text);
        }
        lua_pop(L, 1);
    }
}

static int probe_field(lua_State *L) /* (value, name) -> value[name] */
{
    lua_gettable(L, 1);
    return 1;
}

/* Everything reachable from the value at idx with `.` or `:`: its own
 * keys, then along its metatables' __index tables (classes), with the
 * Tensor and string special cases. */
static void add_members(lua_State *L, int set, int idx, const char *text, int methods)
{
    idx = lua_absindex(L, idx);
    if (luaL_testudata(L, idx, "tensh.Tensor")) {
        lua_getfield(L, LUA_REGISTRYINDEX, "tensh.methods");
        if (lua_istable(L, -1)) add_keys(L, set, -1, text, 1);
        lua_pop(L, 1);
        if (methods) return;
        for (int i = 0; tensor_fields[i]; i++) {
            if (strncmp(tensor_fields[i], text, strlen(text)) != 0) continue;
            lua_pushcfunction(L, probe_field);
            lua_pushvalue(L, idx);
            lua_pushstring(L, tensor_fields[i]);
            if (lua_pcall(L, 2, 1, 0) == LUA_OK && !lua_isnil(L, -1)) add(L, set, tensor_fields[i], text);
            lua_pop(L, 1);
        }
        return;
    }
    lua_pushvalue(L, idx);
    for (int depth = 0; depth < 8; depth++) {
        if (lua_istable(L, -1)) add_keys(L, set, -1, text, methods);
        if (!lua_getmetatable(L, -1)) break;
        lua_getfield(L, -1, "__index");
        lua_remove(L, -2); /* the metatable */
        lua_remove(L, -2); /* the previous value */
        if (!lua_istable(L, -1)) break;
    }
    lua_pop(L, 1);
}

/* Finds the chain of names ending at the end of `prefix` with `.` or `:`
 * (`a.b.c:`), pushes the value it names and returns the separator; returns
 * 0 (nothing pushed) when the prefix does not end in such a chain. */
static int push_chain(lua_State *L, const char *prefix)
{
    size_t n = strlen(prefix);
    if (n < 2 || (prefix[n - 1] != '.' && prefix[n - 1] != ':')) return 0;
    char sep = prefix[n - 1];
    if (prefix[n - 2] == '.') return 0; /* `a..b`: concatenation */
    size_t b = n - 1;
    while (b > 0 && (is_ident((unsigned char)prefix[b - 1]) || prefix[b - 1] == '.')) b--;
    if (b > 0 && strchr(")]}\"'", prefix[b - 1])) return 0; /* f().x, t[1].x: not evaluated */
    if (b > 0 && prefix[b - 1] == ':') return 0;
    if (!is_ident_start((unsigned char)prefix[b]) || b == n - 1) return 0;
    lua_pushglobaltable(L);
    size_t i = b;
    while (i < n - 1) {
        size_t j = i;
        while (j < n - 1 && prefix[j] != '.') j++;
        if (j == i) { lua_pop(L, 1); return 0; } /* `a..` inside the chain */
        lua_pushcfunction(L, probe_field);
        lua_insert(L, -2);
        lua_pushlstring(L, prefix + i, j - i);
        if (lua_pcall(L, 2, 1, 0) != LUA_OK || lua_isnil(L, -1)) { lua_pop(L, 1); return 0; }
        i = j + 1;
    }
    return sep;
}

/* The lazy globals of stdlib/tensh.lua (nn, optim, ...) are not in _G
 * until first used; they complete when their module file exists. */
static void add_lazy_globals(lua_State *L, int set, const char *text)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    if (lua_getfield(L, -1, "tensh.lazy") == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING &&
                strncmp(lua_tostring(L, -2), text, strlen(text)) == 0) {
                lua_getglobal(L, "package");
                lua_getfield(L, -1, "searchpath");
                lua_pushvalue(L, -3);
                lua_getfield(L, -3, "path");
                if (lua_pcall(L, 2, 1, 0) == LUA_OK && lua_isstring(L, -1)) add(L, set, lua_tostring(L, -4), text);
                lua_pop(L, 2);
            }
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 2);
}

/* collect(prefix, text) -> set of candidate names. */
static int collect(lua_State *L)
{
    const char *prefix = luaL_checkstring(L, 1);
    const char *text = luaL_checkstring(L, 2);
    lua_newtable(L);
    int set = lua_gettop(L);
    int sep = push_chain(L, prefix);
    if (sep) {
        add_members(L, set, -1, text, sep == ':');
        lua_pop(L, 1);
        return 1;
    }
    size_t n = strlen(prefix);
    if (n > 0 && (prefix[n - 1] == '.' || prefix[n - 1] == ':') && !(n > 1 && prefix[n - 2] == '.'))
        return 1; /* a member of something we do not evaluate */
    const char *p = prefix;
    while (*p == ' ' || *p == '\t') p++;
    if (p[0] == '%' && p[1] == '\0') {
        for (int i = 0; magics[i]; i++) add(L, set, magics[i], text);
        return 1;
    }
    lua_pushglobaltable(L);
    add_members(L, set, -1, text, 0);
    lua_pop(L, 1);
    add_lazy_globals(L, set, text);
    for (int i = 0; keywords[i]; i++) add(L, set, keywords[i], text);
    return 1;
}

static void budget_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    luaL_error(L, "completion took too long");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **tsh_complete_candidates(lua_State *L, const char *prefix, const char *text)
{
    int top = lua_gettop(L);
    lua_Hook old = lua_gethook(L);
    int oldmask = lua_gethookmask(L), oldcount = lua_gethookcount(L);
    /* An __index that loops forever must not hang the prompt. */
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, 10000000);
    lua_pushcfunction(L, collect);
    lua_pushstring(L, prefix);
    lua_pushstring(L, text);
    int st = lua_pcall(L, 2, 1, 0);
    lua_sethook(L, old, oldmask, oldcount);
    char **out = NULL;
    if (st == LUA_OK) {
        size_t n = 0, cap = 16;
        out = malloc(cap * sizeof *out);
        lua_pushnil(L);
        while (out && lua_next(L, -2)) {
            if (n + 1 >= cap) {
                char **grown = realloc(out, (cap *= 2) * sizeof *out);
                if (!grown) break;
                out = grown;
            }
            char *s = strdup(lua_tostring(L, -2));
            if (s) out[n++] = s;
            lua_pop(L, 1);
        }
        if (out) {
            out[n] = NULL;
            qsort(out, n, sizeof *out, cmp_str);
            if (n == 0) { free(out); out = NULL; }
        }
    }
    lua_settop(L, top);
    return out;
}

/* -- readline glue ------------------------------------------------------ */

static char **pending;
static size_t pending_at;

static char *next_match(const char *text, int state)
{
    (void)text;
    if (state == 0) pending_at = 0;
    if (!pending || !pending[pending_at]) return NULL;
    return pending[pending_at++]; /* readline frees it */
}

static char **attempt(const char *text, int start, int end)
{
    (void)end;
    rl_completion_append_character = '\0';
    if (rl_completion_quote_character) return NULL; /* in a string: file names */
    rl_attempted_completion_over = 1;
    char *prefix = strndup(rl_line_buffer, (size_t)start);
    if (!prefix) return NULL;
    pending = tsh_complete_candidates(CL, prefix, text);
    free(prefix);
    if (!pending) return NULL;
    char **m = rl_completion_matches(text, next_match);
    free(pending); /* the strings now belong to readline */
    pending = NULL;
    return m;
}

void tsh_complete_open(lua_State *L)
{
    CL = L;
    rl_attempted_completion_function = attempt;
    rl_basic_word_break_characters = " \t\n\"'`@$><=;|&{}()[]+-*/%^~#,.:";
    rl_completer_word_break_characters = rl_basic_word_break_characters;
    rl_completer_quote_characters = "\"'";
}
