/* l_canvas.c: binds interp/plot to Lua as the module "tensh.canvas": a
 * Canvas userdata with Cairo's drawing primitives and the tensor-heavy
 * calls (polylines, markers, images, histograms) that stdlib/plot uses.
 * It is the plot module's engine room, not a user API: checks here guard
 * memory safety; friendly argument errors are raised by stdlib/plot. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <fontconfig/fontconfig.h>

#include "l_canvas.h"
#include "lt.h"
#include "plot/plot.h"

#define CANVAS_MT TSHL_CANVAS

extern char **environ;

static tsh_plot_canvas *check_canvas(lua_State *L, int idx)
{
    tsh_plot_canvas **p = luaL_checkudata(L, idx, CANVAS_MT);
    if (!*p || !(*p)->cr) luaL_error(L, "plot: the canvas is closed");
    return *p;
}

static cairo_t *check_cr(lua_State *L) { return check_canvas(L, 1)->cr; }

/* Pushes a contiguous float64 copy (or view) of the tensor at idx and
 * returns its data; the pushed tensor keeps it alive until the call ends. */
static const double *check_f64(lua_State *L, int idx, int64_t *n, tsh_tensor **out)
{
    tsh_tensor *t = tshL_check(L, idx), *f = NULL, *c = NULL;
    if (t->storage->device.type != TSH_CPU)
        luaL_argerror(L, idx, "plot data must be on the cpu (use t:cpu())");
    TSHL_TRY(L, tsh_to_dtype(t, TSH_F64, &f));
    tsh_status st = tsh_contiguous(f, &c);
    tsh_tensor_release(f);
    if (st != TSH_OK) tshL_error(L);
    tshL_push(L, c);
    if (n) *n = tsh_numel(c);
    if (out) *out = c;
    return (const double *)tsh_data(c);
}

static const double *opt_f64(lua_State *L, int idx, int64_t n, const char *what)
{
    if (lua_isnoneornil(L, idx)) return NULL;
    int64_t m;
    const double *d = check_f64(L, idx, &m, NULL);
    if (m != n) luaL_error(L, "plot: %s has %I values, expected %I", what, (lua_Integer)m, (lua_Integer)n);
    return d;
}

/* The x and y tensors at idx and idx + 1 as float64 data (pushed, as
 * check_f64 does), which must hold as many values; returns that count. */
static int64_t check_xy(lua_State *L, int idx, const char *yname, const double **x, const double **y)
{
    int64_t n, m;
    *x = check_f64(L, idx, &n, NULL);
    *y = check_f64(L, idx + 1, &m, NULL);
    if (n != m) luaL_error(L, "plot: x has %I values and %s has %I", (lua_Integer)n, yname, (lua_Integer)m);
    return n;
}

static double field_num(lua_State *L, int idx, const char *k, double def)
{
    lua_getfield(L, idx, k);
    double v = lua_isnil(L, -1) ? def : luaL_checknumber(L, -1);
    lua_pop(L, 1);
    return v;
}

static int field_bool(lua_State *L, int idx, const char *k)
{
    lua_getfield(L, idx, k);
    int v = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

/* Reads n numbers from the table field k of the table at idx (or idx itself when k is NULL). */
static void field_nums(lua_State *L, int idx, const char *k, double *out, int n, const double *def)
{
    idx = lua_absindex(L, idx);
    if (k) lua_getfield(L, idx, k);
    else lua_pushvalue(L, idx);
    if (lua_isnil(L, -1) && def) {
        memcpy(out, def, sizeof *out * (size_t)n);
    } else {
        luaL_checktype(L, -1, LUA_TTABLE);
        for (int i = 0; i < n; i++) {
            lua_rawgeti(L, -1, i + 1);
            out[i] = lua_isnil(L, -1) && def ? def[i] : luaL_checknumber(L, -1);
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
}

static void check_tf(lua_State *L, int idx, tsh_plot_tf *tf)
{
    luaL_checktype(L, idx, LUA_TTABLE);
    tf->ax = field_num(L, idx, "ax", 1), tf->bx = field_num(L, idx, "bx", 0);
    tf->ay = field_num(L, idx, "ay", 1), tf->by = field_num(L, idx, "by", 0);
    tf->logx = field_bool(L, idx, "logx"), tf->logy = field_bool(L, idx, "logy");
    static const double noclip[4] = {-1e7, -1e7, 1e7, 1e7};
    field_nums(L, idx, "clip", tf->clip, 4, noclip);
}

/* ---- creation and files ----------------------------------------------------- */

static tsh_plot_canvas **new_ud(lua_State *L)
{
    tsh_plot_canvas **p = lua_newuserdatauv(L, sizeof *p, 0);
    *p = NULL;
    luaL_setmetatable(L, CANVAS_MT);
    return p;
}

static int c_memory(lua_State *L)
{
    int w = (int)luaL_checkinteger(L, 1), h = (int)luaL_checkinteger(L, 2);
    double scale = luaL_optnumber(L, 3, 1);
    tsh_plot_canvas **p = new_ud(L);
    TSHL_TRY(L, tsh_plot_canvas_memory(w, h, scale, p));
    return 1;
}

static int c_file(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    static const char *const kinds[] = {"png", "svg", "pdf", NULL};
    static const tsh_plot_kind kv[] = {TSH_PLOT_PNG, TSH_PLOT_SVG, TSH_PLOT_PDF};
    int k = luaL_checkoption(L, 2, NULL, kinds);
    double w = luaL_checknumber(L, 3), h = luaL_checknumber(L, 4), dpi = luaL_optnumber(L, 5, 100);
    tsh_plot_canvas **p = new_ud(L);
    TSHL_TRY(L, tsh_plot_canvas_file(path, kv[k], w, h, dpi, p));
    return 1;
}

static int c_finish(lua_State *L)
{
    tsh_plot_canvas *c = check_canvas(L, 1);
    TSHL_TRY(L, tsh_plot_canvas_finish(c));
    return 0;
}

static int c_abort(lua_State *L)
{
    tsh_plot_canvas **p = luaL_checkudata(L, 1, CANVAS_MT);
    if (*p) tsh_plot_canvas_abort(*p);
    return 0;
}

static int c_gc(lua_State *L)
{
    tsh_plot_canvas **p = luaL_checkudata(L, 1, CANVAS_MT);
    tsh_plot_canvas_free(*p);
    *p = NULL;
    return 0;
}

static int c_next_page(lua_State *L)
{
    tsh_plot_canvas *c = check_canvas(L, 1);
    TSHL_TRY(L, tsh_plot_canvas_next_page(c, luaL_checknumber(L, 2), luaL_checknumber(L, 3)));
    return 0;
}

static int c_fail_writes(lua_State *L)
{
    check_canvas(L, 1)->fail_writes = 1;
    return 0;
}

static int c_size(lua_State *L)
{
    tsh_plot_canvas *c = check_canvas(L, 1);
    lua_pushnumber(L, c->width);
    lua_pushnumber(L, c->height);
    lua_pushnumber(L, c->scale);
    return 3;
}

/* The pixels of an image canvas as an H x W x 4 uint8 RGBA tensor. */
static int c_rgba(lua_State *L)
{
    tsh_plot_canvas *c = check_canvas(L, 1);
    if (c->kind != TSH_PLOT_MEMORY && c->kind != TSH_PLOT_PNG)
        return luaL_error(L, "plot: only an image canvas has pixels");
    cairo_surface_flush(c->surface);
    int w = cairo_image_surface_get_width(c->surface), h = cairo_image_surface_get_height(c->surface);
    int stride = cairo_image_surface_get_stride(c->surface);
    const uint8_t *src = cairo_image_surface_get_data(c->surface);
    int64_t shape[3] = {h, w, 4};
    tsh_tensor *t = NULL;
    TSHL_TRY(L, tsh_tensor_empty(3, shape, TSH_U8, tsh_cpu_device(), &t));
    uint8_t *dst = (uint8_t *)tsh_data(t);
    for (int r = 0; r < h; r++) {
        const uint32_t *row = (const uint32_t *)(src + (size_t)r * stride);
        for (int k = 0; k < w; k++) {
            uint32_t p = row[k];
            unsigned a = p >> 24, rgb[3] = {(p >> 16) & 255, (p >> 8) & 255, p & 255};
            uint8_t *o = dst + ((size_t)r * w + k) * 4;
            for (int j = 0; j < 3; j++) o[j] = (uint8_t)(a ? (rgb[j] * 255 + a / 2) / a : 0);
            o[3] = (uint8_t)a;
        }
    }
    tshL_push(L, t);
    return 1;
}

static int c_read_png(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    int w, h;
    uint8_t *rgba;
    TSHL_TRY(L, tsh_plot_read_png(path, &w, &h, &rgba));
    int64_t shape[3] = {h, w, 4};
    tsh_tensor *t = NULL;
    tsh_status st = tsh_tensor_empty(3, shape, TSH_U8, tsh_cpu_device(), &t);
    if (st == TSH_OK) memcpy(tsh_data(t), rgba, (size_t)w * h * 4);
    free(rgba);
    if (st != TSH_OK) return tshL_error(L);
    tshL_push(L, t);
    return 1;
}

/* ---- primitives ------------------------------------------------------------- */

static int c_save(lua_State *L) { cairo_save(check_cr(L)); return 0; }
static int c_restore(lua_State *L) { cairo_restore(check_cr(L)); return 0; }
static int c_new_path(lua_State *L) { cairo_new_path(check_cr(L)); return 0; }
static int c_close_path(lua_State *L) { cairo_close_path(check_cr(L)); return 0; }
static int c_clip(lua_State *L) { cairo_clip(check_cr(L)); return 0; }
static int c_reset_clip(lua_State *L) { cairo_reset_clip(check_cr(L)); return 0; }

static int c_set_color(lua_State *L)
{
    cairo_set_source_rgba(check_cr(L), luaL_checknumber(L, 2), luaL_checknumber(L, 3),
                          luaL_checknumber(L, 4), luaL_optnumber(L, 5, 1));
    return 0;
}

/* set_line(width [, cap, join, dashes, offset]): cap "butt"|"round"|"square",
 * join "miter"|"round"|"bevel", dashes a table of lengths in points. */
static int c_set_line(lua_State *L)
{
    cairo_t *cr = check_cr(L);
    static const char *const caps[] = {"butt", "round", "square", NULL};
    static const char *const joins[] = {"miter", "round", "bevel", NULL};
    cairo_set_line_width(cr, luaL_checknumber(L, 2));
    cairo_set_line_cap(cr, (cairo_line_cap_t)luaL_checkoption(L, 3, "butt", caps));
    cairo_set_line_join(cr, (cairo_line_join_t)luaL_checkoption(L, 4, "miter", joins));
    double dashes[16];
    int n = 0;
    if (lua_istable(L, 5)) {
        n = (int)luaL_len(L, 5);
        if (n > 16) n = 16;
        for (int i = 0; i < n; i++) {
            lua_rawgeti(L, 5, i + 1);
            dashes[i] = luaL_checknumber(L, -1);
            if (!(dashes[i] >= 0)) return luaL_error(L, "plot: dash lengths must be >= 0");
            lua_pop(L, 1);
        }
    }
    cairo_set_dash(cr, dashes, n, luaL_optnumber(L, 6, 0));
    return 0;
}

static int c_move_to(lua_State *L)
{
    cairo_move_to(check_cr(L), luaL_checknumber(L, 2), luaL_checknumber(L, 3));
    return 0;
}

static int c_line_to(lua_State *L)
{
    cairo_line_to(check_cr(L), luaL_checknumber(L, 2), luaL_checknumber(L, 3));
    return 0;
}

static int c_rectangle(lua_State *L)
{
    cairo_rectangle(check_cr(L), luaL_checknumber(L, 2), luaL_checknumber(L, 3), luaL_checknumber(L, 4),
                    luaL_checknumber(L, 5));
    return 0;
}

static int c_arc(lua_State *L)
{
    cairo_arc(check_cr(L), luaL_checknumber(L, 2), luaL_checknumber(L, 3), luaL_checknumber(L, 4),
              luaL_checknumber(L, 5), luaL_checknumber(L, 6));
    return 0;
}

static int c_fill(lua_State *L)
{
    cairo_t *cr = check_cr(L);
    if (lua_toboolean(L, 2)) cairo_fill_preserve(cr);
    else cairo_fill(cr);
    return 0;
}

static int c_stroke(lua_State *L)
{
    cairo_t *cr = check_cr(L);
    if (lua_toboolean(L, 2)) cairo_stroke_preserve(cr);
    else cairo_stroke(cr);
    return 0;
}

/* text(s, x, y, {size=, bold=, ha=0..1, va=, rotation=, anchor=, draw=}) -> x0, y0, x1, y1 */
static int c_text(lua_State *L)
{
    cairo_t *cr = check_cr(L);
    const char *s = luaL_checkstring(L, 2);
    double x = luaL_checknumber(L, 3), y = luaL_checknumber(L, 4);
    tsh_plot_text o = {.size = 10, .draw = 1};
    static const char *const vas[] = {"baseline", "top", "center", "bottom", "center_baseline", NULL};
    if (lua_istable(L, 5)) {
        o.size = field_num(L, 5, "size", 10);
        o.bold = field_bool(L, 5, "bold");
        o.ha = field_num(L, 5, "ha", 0);
        o.rotation = field_num(L, 5, "rotation", 0);
        o.anchor = field_bool(L, 5, "anchor");
        lua_getfield(L, 5, "draw");
        o.draw = lua_isnil(L, -1) || lua_toboolean(L, -1);
        lua_pop(L, 1);
        lua_getfield(L, 5, "va");
        o.va = lua_isnil(L, -1) ? 0 : luaL_checkoption(L, -1, NULL, vas);
        lua_pop(L, 1);
    }
    if (!(o.size > 0 && o.size < 1e4)) return luaL_error(L, "plot: font size %f is out of range", o.size);
    double box[4];
    tsh_plot_text_draw(cr, s, x, y, &o, box);
    for (int i = 0; i < 4; i++) lua_pushnumber(L, box[i]);
    return 4;
}

/* ---- data ------------------------------------------------------------------- */

/* polyline(x, y, tf [, simplify]) -> vertices emitted */
static int c_polyline(lua_State *L)
{
    lua_settop(L, 5); /* converted tensors are pushed above the arguments */
    cairo_t *cr = check_cr(L);
    const double *x, *y;
    int64_t n = check_xy(L, 2, "y", &x, &y);
    tsh_plot_tf tf;
    check_tf(L, 4, &tf);
    int simplify = lua_isnoneornil(L, 5) || lua_toboolean(L, 5);
    lua_pushinteger(L, tsh_plot_polyline(cr, x, y, n, &tf, simplify));
    return 1;
}

/* stroke_polyline(x, y, tf) -> vertices: builds and strokes a line */
static int c_stroke_polyline(lua_State *L)
{
    lua_settop(L, 4); /* converted tensors are pushed above the arguments */
    cairo_t *cr = check_cr(L);
    const double *x, *y;
    int64_t n = check_xy(L, 2, "y", &x, &y);
    tsh_plot_tf tf;
    check_tf(L, 4, &tf);
    lua_pushinteger(L, tsh_plot_polyline_stroke(cr, x, y, n, &tf));
    return 1;
}

/* band(x, y1, y2 or number, tf [, horizontal]): fill_between's polygon */
static int c_band(lua_State *L)
{
    lua_settop(L, 6); /* converted tensors are pushed above the arguments */
    cairo_t *cr = check_cr(L);
    const double *x, *y1, *y2 = NULL;
    int64_t n = check_xy(L, 2, "y1", &x, &y1);
    double y2c = 0;
    if (lua_type(L, 4) == LUA_TNUMBER) y2c = lua_tonumber(L, 4);
    else y2 = opt_f64(L, 4, n, "y2");
    tsh_plot_tf tf;
    check_tf(L, 5, &tf);
    tsh_plot_band(cr, x, y1, y2, y2c, n, &tf, lua_toboolean(L, 6));
    return 0;
}

/* segments(x0, y0, x1, y1, tf): independent segments (error bars) */
static int c_segments(lua_State *L)
{
    lua_settop(L, 6); /* converted tensors are pushed above the arguments */
    cairo_t *cr = check_cr(L);
    int64_t n;
    const double *x0 = check_f64(L, 2, &n, NULL);
    const double *y0 = opt_f64(L, 3, n, "y0"), *x1 = opt_f64(L, 4, n, "x1"), *y1 = opt_f64(L, 5, n, "y1");
    if (!y0 || !x1 || !y1) return luaL_error(L, "plot: segments needs four tensors");
    tsh_plot_tf tf;
    check_tf(L, 6, &tf);
    tsh_plot_segments(cr, x0, y0, x1, y1, n, &tf);
    return 0;
}

/* shift(t, u, sign) -> float64 tensor t + sign * u (u a tensor like t, or a
 * number): error-bar ends without needing tensor arithmetic */
static int c_shift(lua_State *L)
{
    lua_settop(L, 3); /* converted tensors are pushed above the arguments */
    int64_t n;
    tsh_tensor *src;
    const double *t = check_f64(L, 1, &n, &src);
    double sign = luaL_checknumber(L, 3), k = 0;
    const double *u = NULL;
    if (lua_type(L, 2) == LUA_TNUMBER) k = lua_tonumber(L, 2);
    else u = opt_f64(L, 2, n, "error");
    tsh_tensor *out = NULL;
    TSHL_TRY(L, tsh_tensor_empty(src->ndim, src->shape, TSH_F64, tsh_cpu_device(), &out));
    double *o = (double *)tsh_data(out);
    for (int64_t i = 0; i < n; i++) o[i] = t[i] + sign * (u ? u[i] : k);
    tshL_push(L, out);
    return 1;
}

static const char *const marker_names[] = {
    "o", ".", ",", "s", "D", "d", "^", "v", "<", ">", "*", "p", "h", "P", "X", "+", "x", "|", "_", NULL};

static const uint8_t *check_lut(lua_State *L, int idx)
{
    size_t len;
    const char *s = luaL_checklstring(L, idx, &len);
    if (len != 768) luaL_error(L, "plot: a colour map table is 768 bytes, got %d", (int)len);
    return (const uint8_t *)s;
}

/* markers(x, y, tf, {shape=, size=, areas=, face=, edge=, edgewidth=,
 *   edge_is_face=, values=, lut=, vmin=, vmax=, alpha=, rgba=}) -> count */
static int c_markers(lua_State *L)
{
    lua_settop(L, 5); /* converted tensors are pushed above the arguments */
    cairo_t *cr = check_cr(L);
    const double *x, *y;
    int64_t n = check_xy(L, 2, "y", &x, &y);
    tsh_plot_tf tf;
    check_tf(L, 4, &tf);
    luaL_checktype(L, 5, LUA_TTABLE);
    tsh_plot_markers mk = {0};
    lua_getfield(L, 5, "shape");
    mk.shape = (tsh_plot_marker)luaL_checkoption(L, -1, "o", marker_names);
    lua_pop(L, 1);
    mk.size = field_num(L, 5, "size", 6);
    static const double none[4] = {0, 0, 0, 0};
    field_nums(L, 5, "face", mk.face, 4, none);
    field_nums(L, 5, "edge", mk.edge, 4, none);
    mk.edgewidth = field_num(L, 5, "edgewidth", 1);
    mk.edge_is_face = field_bool(L, 5, "edge_is_face");
    lua_getfield(L, 5, "areas");
    mk.areas = opt_f64(L, lua_gettop(L), n, "sizes");
    lua_getfield(L, 5, "values");
    mk.values = opt_f64(L, lua_gettop(L), n, "colour values");
    if (mk.values) {
        lua_getfield(L, 5, "lut");
        mk.lut = check_lut(L, -1);
        mk.vmin = field_num(L, 5, "vmin", 0);
        mk.vmax = field_num(L, 5, "vmax", 1);
        mk.alpha = field_num(L, 5, "alpha", 1);
    }
    lua_getfield(L, 5, "rgba");
    mk.rgba = opt_f64(L, lua_gettop(L), 4 * n, "colours");
    lua_pushinteger(L, tsh_plot_markers_draw(cr, x, y, n, &tf, &mk));
    return 1;
}

/* image(t, x0, y0, x1, y1, {lut=, vmin=, vmax=, alpha=, interp=, bytes=}) */
static int c_image(lua_State *L)
{
    lua_settop(L, 7); /* converted tensors are pushed above the arguments */
    cairo_t *cr = check_cr(L);
    tsh_tensor *t = tshL_check(L, 2), *c;
    if (t->ndim != 2 && !(t->ndim == 3 && (t->shape[2] == 3 || t->shape[2] == 4)))
        return luaL_argerror(L, 2, "image must be H x W or H x W x 3|4");
    tsh_plot_image im = {.h = (int)t->shape[0], .w = (int)t->shape[1], .c = t->ndim == 3 ? (int)t->shape[2] : 1};
    if (t->shape[0] > 32767 || t->shape[1] > 32767)
        return luaL_error(L, "imshow: an image of %I x %I pixels is too large (at most 32767 a side)",
                          (lua_Integer)t->shape[0], (lua_Integer)t->shape[1]);
    im.data = check_f64(L, 2, NULL, &c);
    double x0 = luaL_checknumber(L, 3), y0 = luaL_checknumber(L, 4);
    double x1 = luaL_checknumber(L, 5), y1 = luaL_checknumber(L, 6);
    luaL_checktype(L, 7, LUA_TTABLE);
    if (im.c == 1) {
        lua_getfield(L, 7, "lut");
        im.lut = check_lut(L, -1);
    }
    im.vmin = field_num(L, 7, "vmin", 0);
    im.vmax = field_num(L, 7, "vmax", 1);
    im.alpha = field_num(L, 7, "alpha", 1);
    im.bytes = field_bool(L, 7, "bytes");
    static const char *const interps[] = {"antialiased", "nearest", "bilinear", NULL};
    lua_getfield(L, 7, "interp");
    im.interp = (tsh_plot_interp)luaL_checkoption(L, -1, "antialiased", interps);
    TSHL_TRY(L, tsh_plot_image_draw(cr, &im, x0, y0, x1, y1));
    return 0;
}

/* count_in_rects(x, y, tf, rects, lines) -> {badness per rect} */
static int c_count_in_rects(lua_State *L)
{
    lua_settop(L, 5); /* converted tensors are pushed above the arguments */
    const double *x, *y;
    int64_t n = check_xy(L, 1, "y", &x, &y);
    tsh_plot_tf tf;
    check_tf(L, 3, &tf);
    luaL_checktype(L, 4, LUA_TTABLE);
    int nr = (int)(luaL_len(L, 4) / 4);
    if (nr > 64) nr = 64;
    double rects[64 * 4], bad[64] = {0};
    field_nums(L, 4, NULL, rects, nr * 4, NULL);
    tsh_plot_count_in_rects(x, y, n, &tf, lua_toboolean(L, 5), nr, rects, bad);
    lua_createtable(L, nr, 0);
    for (int r = 0; r < nr; r++) {
        lua_pushnumber(L, bad[r]);
        lua_rawseti(L, -2, r + 1);
    }
    return 1;
}

/* minmax(t [, positive]) -> lo, hi (finite values only), or nothing */
static int c_minmax(lua_State *L)
{
    lua_settop(L, 2); /* converted tensors are pushed above the arguments */
    int64_t n;
    const double *v = check_f64(L, 1, &n, NULL);
    double lo, hi;
    if (!tsh_plot_minmax(v, n, lua_toboolean(L, 2), &lo, &hi)) return 0;
    lua_pushnumber(L, lo);
    lua_pushnumber(L, hi);
    return 2;
}

/* histogram(t, edges [, weights]) -> float64 counts (#edges - 1) */
static int c_histogram(lua_State *L)
{
    lua_settop(L, 3); /* converted tensors are pushed above the arguments */
    int64_t n, ne;
    const double *v = check_f64(L, 1, &n, NULL), *edges = check_f64(L, 2, &ne, NULL);
    if (ne < 2 || ne > (1 << 24)) return luaL_error(L, "hist: need 2 to 16777216 bin edges, got %I", (lua_Integer)ne);
    for (int64_t i = 1; i < ne; i++)
        if (!(edges[i] > edges[i - 1])) return luaL_error(L, "hist: bin edges must increase");
    const double *w = opt_f64(L, 3, n, "weights");
    int64_t shape[1] = {ne - 1};
    tsh_tensor *t = NULL;
    TSHL_TRY(L, tsh_tensor_empty(1, shape, TSH_F64, tsh_cpu_device(), &t));
    tsh_plot_histogram(v, w, n, edges, (int)(ne - 1), (double *)tsh_data(t));
    tshL_push(L, t);
    return 1;
}

static const luaL_Reg canvas_methods[] = {
    {"finish", c_finish}, {"abort", c_abort}, {"next_page", c_next_page},
    {"_fail_writes", c_fail_writes}, {"size", c_size}, {"rgba", c_rgba},
    {"save", c_save}, {"restore", c_restore}, {"new_path", c_new_path},
    {"close_path", c_close_path}, {"clip", c_clip}, {"reset_clip", c_reset_clip},
    {"set_color", c_set_color}, {"set_line", c_set_line}, {"move_to", c_move_to},
    {"line_to", c_line_to}, {"rectangle", c_rectangle}, {"arc", c_arc}, {"fill", c_fill},
    {"stroke", c_stroke}, {"text", c_text}, {"polyline", c_polyline}, {"stroke_polyline", c_stroke_polyline}, {"band", c_band},
    {"markers", c_markers}, {"image", c_image}, {"segments", c_segments}, {NULL, NULL},
};

static const luaL_Reg canvas_metamethods[] = {{"__gc", c_gc}, {"__close", c_gc}, {NULL, NULL}};

static const luaL_Reg canvas_funcs[] = {
    {"memory", c_memory}, {"file", c_file}, {"read_png", c_read_png}, {"minmax", c_minmax},
    {"histogram", c_histogram}, {"count_in_rects", c_count_in_rects}, {"shift", c_shift},
    {NULL, NULL},
};

/* At lua_close, after every canvas (made later, so finalized earlier) is
 * gone: hands back Cairo's and fontconfig's caches, so leak checkers see a
 * clean exit. */
static int release_static(lua_State *L)
{
    (void)L;
    cairo_debug_reset_static_data();
    FcFini();
    return 0;
}

static int luaopen_canvas(lua_State *L)
{
    lua_newuserdatauv(L, 1, 0);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, release_static);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, "tensh.canvas.static");

    luaL_newmetatable(L, CANVAS_MT);
    luaL_newlib(L, canvas_methods);
    lua_setfield(L, -2, "__index");
    luaL_setfuncs(L, canvas_metamethods, 0);
    lua_pop(L, 1);
    luaL_newlib(L, canvas_funcs);
    tshL_canvas_open_term(L);
    tshL_sethelp(L, -1, "tensh.canvas: the C drawing layer under plot (Cairo and chafa); "
                        "use the plot module instead.");
    return 1;
}

void tshL_open_canvas(lua_State *L)
{
    tshL_preload(L, "tensh.canvas", luaopen_canvas);
}
