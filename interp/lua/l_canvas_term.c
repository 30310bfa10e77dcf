/* l_canvas_term.c: the terminal half of "tensh.canvas": what the terminal
 * can draw (from the environment), its size (TIOCGWINSZ), and an image
 * canvas encoded for it through chafa. plot.show() decides sizes and falls
 * back to a file; nothing here reads from the terminal. */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "l_canvas.h"
#include "lt.h"
#include "plot/plot.h"

extern char **environ;

static const char *const mode_names[] = {"symbols", "sixel", "kitty", "iterm", NULL};
static const char *const color_names[] = {"truecolor", "256", "16", "mono", NULL};

/* term_detect([env]) -> {mode=, colors=, tmux=}; env is a table NAME -> value
 * standing in for the process environment (tests). */
static int c_term_detect(lua_State *L)
{
    tsh_plot_term t;
    if (lua_istable(L, 1)) {
        /* "NAME=value" strings in a table on the stack keep them alive */
        lua_newtable(L);
        int list = lua_gettop(L), k = 0;
        lua_pushnil(L);
        while (lua_next(L, 1)) {
            if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
                lua_pushfstring(L, "%s=%s", lua_tostring(L, -2), lua_tostring(L, -1));
                lua_rawseti(L, list, ++k);
            }
            lua_pop(L, 1);
        }
        char **envp = lua_newuserdatauv(L, sizeof *envp * (size_t)(k + 1), 0);
        for (int i = 0; i < k; i++) {
            lua_rawgeti(L, list, i + 1);
            envp[i] = (char *)lua_tostring(L, -1);
            lua_pop(L, 1);
        }
        envp[k] = NULL;
        tsh_plot_term_detect(envp, &t);
    } else {
        tsh_plot_term_detect(environ, &t);
    }
    lua_createtable(L, 0, 3);
    lua_pushstring(L, mode_names[t.mode]);
    lua_setfield(L, -2, "mode");
    lua_pushstring(L, color_names[t.colors]);
    lua_setfield(L, -2, "colors");
    lua_pushboolean(L, t.tmux);
    lua_setfield(L, -2, "tmux");
    return 1;
}

/* term_size() -> cols, rows, xpixels, ypixels of stdout's terminal, or nil */
static int c_term_size(lua_State *L)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) return 0;
    lua_pushinteger(L, ws.ws_col);
    lua_pushinteger(L, ws.ws_row);
    lua_pushinteger(L, ws.ws_xpixel);
    lua_pushinteger(L, ws.ws_ypixel);
    return 4;
}

static int c_isatty(lua_State *L)
{
    lua_pushboolean(L, isatty((int)luaL_optinteger(L, 1, STDOUT_FILENO)));
    return 1;
}

/* term_encode(canvas, {mode=, colors=, tmux=, cols=, rows=, cell_w=, cell_h=}) -> string */
static int c_term_encode(lua_State *L)
{
    tsh_plot_canvas **p = luaL_checkudata(L, 1, TSHL_CANVAS);
    if (!*p || (*p)->kind != TSH_PLOT_MEMORY) return luaL_argerror(L, 1, "an open image canvas expected");
    luaL_checktype(L, 2, LUA_TTABLE);
    tsh_plot_term t;
    lua_getfield(L, 2, "mode");
    t.mode = (tsh_plot_term_mode)luaL_checkoption(L, -1, "symbols", mode_names);
    lua_getfield(L, 2, "colors");
    t.colors = (tsh_plot_term_colors)luaL_checkoption(L, -1, "truecolor", color_names);
    lua_getfield(L, 2, "tmux");
    t.tmux = lua_toboolean(L, -1);
    int dims[4];
    static const char *const keys[] = {"cols", "rows", "cell_w", "cell_h"};
    for (int i = 0; i < 4; i++) {
        lua_getfield(L, 2, keys[i]);
        lua_Integer v = luaL_checkinteger(L, -1);
        if (v < 1 || v > 10000) return luaL_error(L, "show: %s = %I is out of range", keys[i], v);
        dims[i] = (int)v;
    }
    cairo_surface_t *s = (*p)->surface;
    cairo_surface_flush(s);
    char *out;
    size_t len;
    TSHL_TRY(L, tsh_plot_term_encode(&t, cairo_image_surface_get_data(s), cairo_image_surface_get_width(s),
                                     cairo_image_surface_get_height(s), cairo_image_surface_get_stride(s),
                                     dims[0], dims[1], dims[2], dims[3], &out, &len));
    lua_pushlstring(L, out, len);
    free(out);
    return 1;
}

static int c_tmux_wrap(lua_State *L)
{
    size_t n, m;
    const char *s = luaL_checklstring(L, 1, &n);
    char *w = tsh_plot_tmux_wrap(s, n, &m);
    if (!w) return luaL_error(L, "show: out of memory");
    lua_pushlstring(L, w, m);
    free(w);
    return 1;
}

static int c_getpid(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)getpid());
    return 1;
}

void tshL_canvas_open_term(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"term_detect", c_term_detect}, {"term_size", c_term_size}, {"isatty", c_isatty},
        {"term_encode", c_term_encode}, {"tmux_wrap", c_tmux_wrap}, {"getpid", c_getpid},
        {NULL, NULL},
    };
    luaL_setfuncs(L, funcs, 0);
}
