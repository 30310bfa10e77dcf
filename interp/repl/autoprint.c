/* autoprint.c: how the REPL shows the values of an expression. Tensors
 * print through tostring, led by t:summary() when they are past the print
 * threshold and the method exists; tables print as nested listings, cut at
 * a depth and an item count, with cycles marked; strings at the top level
 * print raw (as lua.c does), quoted inside tables. Not for print(): that is
 * Lua's own and stays untouched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <lauxlib.h>

#include "internal.h"
#include "lua/lt.h"
#include "repl.h"

enum {
    MAX_DEPTH = 3,       /* nested tables shown; deeper ones are {...} */
    MAX_ITEMS = 100,     /* entries shown per table */
    MAX_SORT = 10000,    /* tables with more keys are shown unsorted */
    DEFAULT_THRESHOLD = 1000,
};

int tsh_terminal_width(void)
{
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    return 80;
}

static void push_quoted(lua_State *L, const char *s, size_t len)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addchar(&b, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': luaL_addstring(&b, "\\\""); break;
        case '\\': luaL_addstring(&b, "\\\\"); break;
        case '\n': luaL_addstring(&b, "\\n"); break;
        case '\t': luaL_addstring(&b, "\\t"); break;
        case '\r': luaL_addstring(&b, "\\r"); break;
        default:
            if (c < 32 || c == 127) {
                char esc[8];
                snprintf(esc, sizeof esc, "\\%d", c);
                luaL_addstring(&b, esc);
            } else {
                luaL_addchar(&b, (char)c);
            }
        }
    }
    luaL_addchar(&b, '"');
    luaL_pushresult(&b);
}

static int is_name(const char *s)
{
    static const char *const kw[] = {"and", "break", "do", "else", "elseif", "end", "false",
                                     "for", "function", "goto", "if", "in", "local", "nil",
                                     "not", "or", "repeat", "return", "then", "true", "until",
                                     "while", NULL};
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    for (int i = 0; kw[i]; i++)
        if (strcmp(s, kw[i]) == 0) return 0;
    return 1;
}

/* Key order for listings: numbers, then strings, then the rest. */
static int type_rank(int t) { return t == LUA_TNUMBER ? 0 : t == LUA_TSTRING ? 1 : 2; }

static int key_less(lua_State *L, int a, int b)
{
    int ta = lua_type(L, a), tb = lua_type(L, b);
    if (ta != tb || (ta != LUA_TNUMBER && ta != LUA_TSTRING))
        return type_rank(ta) != type_rank(tb) ? type_rank(ta) < type_rank(tb)
                                              : lua_topointer(L, a) < lua_topointer(L, b);
    if (ta == LUA_TNUMBER) return lua_compare(L, a, b, LUA_OPLT);
    return strcmp(lua_tostring(L, a), lua_tostring(L, b)) < 0;
}

/* Sorts keys[1..n] (a Lua table at index `keys`) by insertion into a
 * merge sort over positions; n is at most MAX_SORT. */
static void sort_keys(lua_State *L, int keys, int n)
{
    for (int width = 1; width < n; width *= 2) {
        lua_createtable(L, n, 0);
        int out = lua_gettop(L), w = 1;
        for (int lo = 1; lo <= n; lo += 2 * width) {
            int mid = lo + width < n + 1 ? lo + width : n + 1;
            int hi = lo + 2 * width < n + 1 ? lo + 2 * width : n + 1;
            int i = lo, j = mid;
            while (i < mid || j < hi) {
                int take_i;
                if (i >= mid) take_i = 0;
                else if (j >= hi) take_i = 1;
                else {
                    lua_rawgeti(L, keys, i);
                    lua_rawgeti(L, keys, j);
                    take_i = !key_less(L, -1, -2);
                    lua_pop(L, 2);
                }
                lua_rawgeti(L, keys, take_i ? i++ : j++);
                lua_rawseti(L, out, w++);
            }
        }
        for (int k = 1; k <= n; k++) {
            lua_rawgeti(L, out, k);
            lua_rawseti(L, keys, k);
        }
        lua_pop(L, 1);
    }
}

/* Joins the n strings on top of the stack into one listing: on one line
 * when they fit and none has a newline, else one per line, indented. */
static void push_listing(lua_State *L, int n, int more, int width)
{
    if (n == 0 && more == 0) {
        lua_pushliteral(L, "{}");
        return;
    }
    int first = lua_gettop(L) - n + 1, oneline = 1;
    size_t total = 2;
    for (int i = first; i < first + n; i++) {
        size_t len;
        const char *s = lua_tolstring(L, i, &len);
        total += len + 2;
        if (memchr(s, '\n', len)) oneline = 0;
    }
    if (more) total += 24;
    if ((int)total > width) oneline = 0;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, oneline ? "{" : "{\n");
    for (int i = first; i < first + n; i++) {
        size_t len;
        const char *s = lua_tolstring(L, i, &len);
        if (oneline) {
            if (i > first) luaL_addstring(&b, ", ");
            luaL_addlstring(&b, s, len);
            continue;
        }
        luaL_addstring(&b, "  ");
        for (size_t k = 0; k < len; k++) {
            luaL_addchar(&b, s[k]);
            if (s[k] == '\n') luaL_addstring(&b, "  ");
        }
        luaL_addstring(&b, ",\n");
    }
    if (more) {
        char tail[48];
        snprintf(tail, sizeof tail, "%s... (%d more)%s", oneline ? (n ? ", " : "") : "  ", more,
                 oneline ? "" : "\n");
        luaL_addstring(&b, tail);
    }
    luaL_addchar(&b, '}');
    luaL_pushresult(&b);
    lua_replace(L, first);
    lua_settop(L, first);
}

static void format(lua_State *L, int idx, int depth, int seen, int width, int top);

/* One "key = value" (or just the value for array items). */
static void push_entry(lua_State *L, int key, int val, int depth, int seen, int width, int array)
{
    if (array) {
        format(L, val, depth + 1, seen, width - 2, 0);
        return;
    }
    if (lua_type(L, key) == LUA_TSTRING && is_name(lua_tostring(L, key))) {
        lua_pushfstring(L, "%s = ", lua_tostring(L, key));
    } else {
        lua_pushliteral(L, "[");
        format(L, key, MAX_DEPTH, seen, width, 0); /* keys never expand */
        lua_pushliteral(L, "] = ");
        lua_concat(L, 3);
    }
    format(L, val, depth + 1, seen, width - 2, 0);
    /* A multi-line value (a tensor) keeps its columns under the key; a
     * nested listing is indented by the listing itself. */
    size_t klen, vlen;
    lua_tolstring(L, -2, &klen);
    const char *v = lua_tolstring(L, -1, &vlen);
    int listing = lua_type(L, val) == LUA_TTABLE && vlen > 0 && v[0] == '{';
    if (!listing && memchr(v, '\n', vlen)) {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        for (size_t i = 0; i < vlen; i++) {
            luaL_addchar(&b, v[i]);
            if (v[i] == '\n')
                for (size_t k = 0; k < klen; k++) luaL_addchar(&b, ' ');
        }
        luaL_pushresult(&b);
        lua_replace(L, -2);
    }
    lua_concat(L, 2);
}

static int table_is_empty(lua_State *L, int t)
{
    lua_pushnil(L);
    if (!lua_next(L, t)) return 1;
    lua_pop(L, 2);
    return 0;
}

static void format_table(lua_State *L, int t, int depth, int seen, int width)
{
    lua_pushvalue(L, t);
    if (lua_rawget(L, seen) != LUA_TNIL) {
        lua_pop(L, 1);
        lua_pushliteral(L, "<cycle>");
        return;
    }
    lua_pop(L, 1);
    if (depth > MAX_DEPTH) {
        lua_pushstring(L, table_is_empty(L, t) ? "{}" : "{...}");
        return;
    }
    lua_pushvalue(L, t);
    lua_pushboolean(L, 1);
    lua_rawset(L, seen);
    luaL_checkstack(L, MAX_ITEMS + 20, "table listing");

    lua_Integer alen = 0; /* the array part: 1..alen without holes */
    while (lua_rawgeti(L, t, alen + 1) != LUA_TNIL) {
        lua_pop(L, 1);
        alen++;
    }
    lua_pop(L, 1);
    lua_newtable(L); /* the other keys, sorted; the entries go above it */
    int keys = lua_gettop(L), nkeys = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1 && lua_tointeger(L, -1) <= alen) continue;
        lua_pushvalue(L, -1);
        lua_rawseti(L, keys, ++nkeys);
    }
    if (nkeys <= MAX_SORT) sort_keys(L, keys, nkeys);
    int shown = 0, more = 0;
    for (lua_Integer i = 1; i <= alen; i++) {
        if (shown == MAX_ITEMS) { more += (int)(alen - i + 1); break; }
        lua_rawgeti(L, t, i);
        push_entry(L, 0, lua_gettop(L), depth, seen, width, 1);
        lua_remove(L, -2);
        shown++;
    }
    for (int k = 1; k <= nkeys; k++) {
        if (shown == MAX_ITEMS) { more += nkeys - k + 1; break; }
        lua_rawgeti(L, keys, k);
        lua_pushvalue(L, -1);
        lua_rawget(L, t);
        push_entry(L, lua_gettop(L) - 1, lua_gettop(L), depth, seen, width, 0);
        lua_replace(L, -3);
        lua_pop(L, 1);
        shown++;
    }
    lua_remove(L, keys);
    push_listing(L, shown, more, width);

    lua_pushvalue(L, t);
    lua_pushnil(L);
    lua_rawset(L, seen); /* only the current path counts as a cycle */
}

static void format(lua_State *L, int idx, int depth, int seen, int width, int top)
{
    idx = lua_absindex(L, idx);
    switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        if (top) lua_pushvalue(L, idx);
        else push_quoted(L, s, len);
        return;
    }
    case LUA_TTABLE:
        if (luaL_getmetafield(L, idx, "__tostring") != LUA_TNIL) {
            lua_pop(L, 1);
            break;
        }
        format_table(L, idx, depth, seen, width);
        return;
    default:
        break;
    }
    luaL_tolstring(L, idx, NULL);
}

void tsh_format_value(lua_State *L, int idx, int width)
{
    idx = lua_absindex(L, idx);
    lua_newtable(L);
    format(L, idx, 1, lua_gettop(L), width, 1);
    lua_remove(L, -2);
}

/* The lead line of a big tensor: t:summary() when the method exists (it
 * comes with the printing family) and the tensor is past the print
 * threshold. Pushes the line and returns 1, or pushes nothing. */
static int push_summary(lua_State *L, int idx)
{
    tsh_tensor *t = tshL_test(L, idx);
    if (!t) return 0;
    lua_getfield(L, LUA_REGISTRYINDEX, "tensh.methods");
    if (!lua_istable(L, -1) || lua_getfield(L, -1, "summary") != LUA_TFUNCTION) {
        lua_pop(L, 2);
        return 0;
    }
    lua_remove(L, -2);
    lua_Integer threshold = DEFAULT_THRESHOLD;
    tshL_push_module(L);
    if (lua_istable(L, -1) && lua_getfield(L, -1, "get_printoptions") == LUA_TFUNCTION) {
        if (lua_pcall(L, 0, 1, 0) == LUA_OK && lua_istable(L, -1)) {
            lua_getfield(L, -1, "threshold");
            if (lua_isinteger(L, -1)) {
                threshold = lua_tointeger(L, -1);
            } else if (lua_isnumber(L, -1)) { /* math.huge: never summarised */
                double d = lua_tonumber(L, -1);
                threshold = d >= 9.2e18 ? LUA_MAXINTEGER : d <= 0 ? 0 : (lua_Integer)d;
            }
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 2);
    if (tsh_numel(t) <= threshold) {
        lua_pop(L, 1);
        return 0;
    }
    lua_pushvalue(L, idx);
    lua_call(L, 1, 1);
    if (!lua_isstring(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    return 1;
}

/* print_values(...): the protected half of tsh_autoprint. */
static int print_values(lua_State *L)
{
    int n = lua_gettop(L);
    if (n == 0 || (n == 1 && lua_isnil(L, 1))) return 0;
    lua_pushvalue(L, 1);
    lua_setglobal(L, "_");
    int width = tsh_terminal_width(), multiline = 0;
    luaL_checkstack(L, n + 8, "too many results to print");
    for (int i = 1; i <= n; i++) {
        int lead = push_summary(L, i);
        tsh_format_value(L, i, width);
        if (lead) {
            lua_pushliteral(L, "\n");
            lua_insert(L, -2);
            lua_concat(L, 3);
        }
        if (strchr(lua_tostring(L, -1), '\n')) multiline = 1;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = n + 1; i <= 2 * n; i++) {
        if (i > n + 1) luaL_addchar(&b, multiline ? '\n' : '\t');
        lua_pushvalue(L, i);
        luaL_addvalue(&b);
    }
    luaL_addchar(&b, '\n');
    luaL_pushresult(&b);
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    fwrite(s, 1, len, stdout);
    fflush(stdout);
    return 0;
}

void tsh_autoprint(lua_State *L, int n)
{
    lua_pushcfunction(L, print_values);
    lua_insert(L, -(n + 1));
    if (tsh_docall(L, n, 0) != LUA_OK) tsh_repl_report(L);
}
