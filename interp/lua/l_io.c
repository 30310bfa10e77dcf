/* l_io.c: Lua bindings for files and data loading: tensor.save and
 * tensor.load (safetensors, .npy, .npz), tensor.read_idx (MNIST's IDX) and
 * tensor.take_rows (the DataLoader's batching step). Argument checking,
 * table walking and help only: the formats are interp/core/serialize*.c
 * and the batching is interp/core/batch.c. */
#include <stdlib.h>
#include <string.h>

#include "core/batch.h"
#include "core/serialize.h"
#include "lt.h"

/* Marks a safetensors file that holds one tensor saved on its own, so that
 * load gives back the tensor rather than a table. */
#define SINGLE_KEY "tensor"
#define KIND_META "tensh.kind"

static const char *const save_opts[] = {"format", "metadata", NULL};
static const char *const load_opts[] = {"format", NULL};

static tsh_file_format check_format(lua_State *L, int opt, const char *fname, tsh_file_format def)
{
    if (lua_type(L, opt) != LUA_TTABLE) return def;
    if (lua_getfield(L, opt, "format") == LUA_TNIL) {
        lua_pop(L, 1);
        return def;
    }
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    tsh_file_format f = !s ? TSH_FMT_AUTO
                        : strcmp(s, "safetensors") == 0 ? TSH_FMT_SAFETENSORS
                        : strcmp(s, "npy") == 0 ? TSH_FMT_NPY
                        : strcmp(s, "npz") == 0 ? TSH_FMT_NPZ : TSH_FMT_AUTO;
    if (f == TSH_FMT_AUTO)
        luaL_error(L, "%s: option 'format' must be 'safetensors', 'npy' or 'npz', got %s", fname,
                   s ? s : luaL_typename(L, -1));
    lua_pop(L, 1);
    return f;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts the list by name, so that files do not depend on table order. */
static void sort_list(tsh_tensor_list *l)
{
    /* Sort an index of pointers, then permute both arrays alike. */
    char **names = l->names;
    tsh_tensor **ts = l->ts;
    int n = l->n;
    if (n < 2) return;
    char **sorted = malloc((size_t)(n ? n : 1) * sizeof *sorted);
    tsh_tensor **sts = malloc((size_t)(n ? n : 1) * sizeof *sts);
    if (!sorted || !sts) { free(sorted); free(sts); return; } /* unsorted is still correct */
    memcpy(sorted, names, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_names);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++)
            if (names[k] == sorted[i]) { sts[i] = ts[k]; break; }
    memcpy(names, sorted, (size_t)n * sizeof *names);
    memcpy(ts, sts, (size_t)n * sizeof *ts);
    free(sorted);
    free(sts);
}

/* Checks the table at idx (string keys, tensor values) before anything is
 * allocated, so that a bad entry raises without leaking and before any
 * file is touched. */
static void check_dict(lua_State *L, int idx)
{
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            const char *ty = luaL_typename(L, -2);
            lua_pushvalue(L, -2);
            const char *k = luaL_tolstring(L, -1, NULL);
            luaL_error(L, "tensor.save: key %s is a %s; tables of tensors need string keys (like '0.weight')",
                       k, ty);
        }
        if (!tshL_test(L, -1))
            luaL_error(L, "tensor.save: value at key '%s' is a %s, expected a tensor%s", lua_tostring(L, -2),
                       luaL_typename(L, -1),
                       lua_type(L, -1) == LUA_TTABLE ? " (nested tables are not supported: use flat keys like 'fc1.weight')" : "");
        lua_pop(L, 1);
    }
}

static void check_metadata(lua_State *L, int opt)
{
    if (lua_type(L, opt) != LUA_TTABLE) return;
    if (lua_getfield(L, opt, "metadata") == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    if (lua_type(L, -1) != LUA_TTABLE)
        luaL_error(L, "tensor.save: option 'metadata' must be a table of strings, got %s", luaL_typename(L, -1));
    int m = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, m)) {
        if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "tensor.save: metadata must map strings to strings (got a %s key with a %s value)",
                       luaL_typename(L, -2), luaL_typename(L, -1));
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* Fills l from the (checked) table at idx and the metadata option; no
 * raising calls in here, so the caller can free l on any path. */
static tsh_status build_list(lua_State *L, int idx, int opt, tsh_tensor_list *l)
{
    tsh_status st = TSH_OK;
    if (tshL_test(L, idx)) {
        st = tsh_tensor_list_add(l, SINGLE_KEY, tshL_test(L, idx));
    } else {
        lua_pushnil(L);
        while (st == TSH_OK && lua_next(L, idx)) {
            st = tsh_tensor_list_add(l, lua_tostring(L, -2), tshL_test(L, -1));
            lua_pop(L, 1);
        }
        if (st != TSH_OK) lua_pop(L, 1);
        sort_list(l);
    }
    if (st == TSH_OK && lua_type(L, opt) == LUA_TTABLE && lua_getfield(L, opt, "metadata") == LUA_TTABLE) {
        int m = lua_gettop(L);
        lua_pushnil(L);
        while (st == TSH_OK && lua_next(L, m)) {
            st = tsh_tensor_list_add_meta(l, lua_tostring(L, -2), lua_tostring(L, -1));
            lua_pop(L, 1);
        }
        if (st != TSH_OK) lua_pop(L, 1);
        lua_pop(L, 1);
    } else if (st == TSH_OK && lua_type(L, opt) == LUA_TTABLE) {
        lua_pop(L, 1);
    }
    return st;
}

static int l_save(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    int is_tensor = tshL_test(L, 2) != NULL;
    if (!is_tensor && lua_type(L, 2) != LUA_TTABLE)
        return luaL_argerror(L, 2, lua_pushfstring(L, "tensor or table of tensors expected, got %s",
                                                   luaL_typename(L, 2)));
    tshL_check_options(L, 3, "tensor.save", save_opts);
    tsh_file_format fmt = check_format(L, 3, "tensor.save", tsh_format_from_path(path));
    if (!is_tensor) check_dict(L, 2);
    check_metadata(L, 3);
    int has_meta = 0;
    if (lua_type(L, 3) == LUA_TTABLE) {
        has_meta = lua_getfield(L, 3, "metadata") != LUA_TNIL;
        lua_pop(L, 1);
    }
    if (fmt == TSH_FMT_NPY && !is_tensor)
        return luaL_error(L, "tensor.save: a .npy file holds one tensor; save a table as .npz or .safetensors");
    if (fmt != TSH_FMT_SAFETENSORS && has_meta)
        return luaL_error(L, "tensor.save: metadata is kept only by safetensors files");
    if (fmt == TSH_FMT_NPY) {
        if (tsh_save_npy(path, tshL_test(L, 2)) != TSH_OK) return luaL_error(L, "tensor.%s", tsh_errmsg());
        return 0;
    }
    tsh_tensor_list l;
    tsh_tensor_list_init(&l);
    tsh_status st = build_list(L, 2, 3, &l);
    if (st == TSH_OK && is_tensor && fmt == TSH_FMT_NPZ) { /* numpy's name for a lone array */
        free(l.names[0]);
        l.names[0] = strdup("arr_0");
        if (!l.names[0]) st = tsh_fail(TSH_ERR_OOM, "out of memory");
    }
    if (st == TSH_OK && fmt == TSH_FMT_SAFETENSORS) {
        st = tsh_tensor_list_add_meta(&l, "format", "pt"); /* what PyTorch's safetensors writer puts */
        if (st != TSH_OK) st = tsh_fail(TSH_ERR_ARG, "tensor.save: metadata key 'format' is reserved");
        if (st == TSH_OK && is_tensor) st = tsh_tensor_list_add_meta(&l, KIND_META, "tensor");
    }
    if (st == TSH_OK) st = fmt == TSH_FMT_NPZ ? tsh_save_npz(path, &l) : tsh_save_safetensors(path, &l);
    tsh_tensor_list_free(&l);
    if (st != TSH_OK) {
        if (strncmp(tsh_errmsg(), "save:", 5) == 0) return luaL_error(L, "tensor.%s", tsh_errmsg());
        return luaL_error(L, "tensor.save: %s", tsh_errmsg());
    }
    return 0;
}

/* Pushes the list as a table (and the metadata as a second value, or nil). */
static int push_list(lua_State *L, tsh_tensor_list *l)
{
    const char *kind = NULL;
    for (int i = 0; i < l->nmeta; i++)
        if (strcmp(l->meta_keys[i], KIND_META) == 0) kind = l->meta_vals[i];
    if (kind && strcmp(kind, "tensor") == 0 && l->n == 1) {
        tshL_push(L, tsh_tensor_retain(l->ts[0]));
    } else {
        lua_createtable(L, 0, l->n);
        for (int i = 0; i < l->n; i++) {
            tshL_push(L, tsh_tensor_retain(l->ts[i]));
            lua_setfield(L, -2, l->names[i]);
        }
    }
    lua_createtable(L, 0, l->nmeta);
    for (int i = 0; i < l->nmeta; i++) {
        lua_pushstring(L, l->meta_vals[i]);
        lua_setfield(L, -2, l->meta_keys[i]);
    }
    return 2;
}

static int l_load(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    tshL_check_options(L, 2, "tensor.load", load_opts);
    tsh_file_format fmt = check_format(L, 2, "tensor.load", TSH_FMT_AUTO);
    if (fmt == TSH_FMT_AUTO) fmt = tsh_format_sniff(path);
    if (fmt == TSH_FMT_AUTO) fmt = tsh_format_from_path(path);
    tsh_status st;
    if (fmt == TSH_FMT_NPY) {
        tsh_tensor *t = NULL;
        st = tsh_load_npy(path, &t);
        if (st != TSH_OK) return luaL_error(L, "tensor.%s", tsh_errmsg());
        tshL_push(L, t);
        return 1;
    }
    tsh_tensor_list l;
    st = fmt == TSH_FMT_NPZ ? tsh_load_npz(path, &l) : tsh_load_safetensors(path, &l);
    if (st != TSH_OK) {
        if (strncmp(tsh_errmsg(), "load:", 5) == 0) return luaL_error(L, "tensor.%s", tsh_errmsg());
        return luaL_error(L, "tensor.load: %s", tsh_errmsg());
    }
    int n = push_list(L, &l);
    tsh_tensor_list_free(&l);
    if (fmt == TSH_FMT_NPZ) {
        lua_pop(L, 1);
        return 1;
    }
    return n;
}

static int l_read_idx(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    tsh_tensor *t;
    if (tsh_load_idx(path, &t) != TSH_OK) return luaL_error(L, "tensor.%s", tsh_errmsg());
    tshL_push(L, t);
    return 1;
}

static const char *const take_opts[] = {"dtype", "scale", "shift", NULL};

/* A number or a list of numbers (per channel) from option `key`. */
static int opt_values(lua_State *L, int opt, const char *key, double *v, int cap)
{
    if (lua_type(L, opt) != LUA_TTABLE || lua_getfield(L, opt, key) == LUA_TNIL) {
        if (lua_type(L, opt) == LUA_TTABLE) lua_pop(L, 1);
        return 0;
    }
    int n = 0;
    if (lua_type(L, -1) == LUA_TNUMBER) {
        v[n++] = lua_tonumber(L, -1);
    } else if (lua_type(L, -1) == LUA_TTABLE) {
        lua_Integer len = luaL_len(L, -1);
        if (len < 1 || len > cap)
            luaL_error(L, "tensor.take_rows: option '%s' must hold 1 to %d numbers, got %I", key, cap, len);
        for (lua_Integer i = 1; i <= len; i++) {
            if (lua_rawgeti(L, -1, i) != LUA_TNUMBER)
                luaL_error(L, "tensor.take_rows: option '%s' must hold numbers, got a %s at %I", key,
                           luaL_typename(L, -1), i);
            v[n++] = lua_tonumber(L, -1);
            lua_pop(L, 1);
        }
    } else {
        luaL_error(L, "tensor.take_rows: option '%s' must be a number or a table of numbers, got %s", key,
                   luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    return n;
}

static int l_take_rows(lua_State *L)
{
    tsh_tensor *src = tshL_check(L, 1);
    tsh_tensor *idx = lua_isnil(L, 2) ? NULL : tshL_check(L, 2);
    tshL_check_options(L, 3, "tensor.take_rows", take_opts);
    double scale[64], shift[64];
    int ns = opt_values(L, 3, "scale", scale, 64), nb = opt_values(L, 3, "shift", shift, 64);
    int n = ns > nb ? ns : nb;
    if (ns && nb && ns != nb && ns != 1 && nb != 1)
        return luaL_error(L, "tensor.take_rows: scale has %d values and shift %d; they must match (or one be 1)", ns, nb);
    for (int i = 0; i < n; i++) { /* a missing map is the identity; a single value is repeated */
        if (ns == 0) scale[i] = 1;
        else if (ns == 1) scale[i] = scale[0];
        if (nb == 0) shift[i] = 0;
        else if (nb == 1) shift[i] = shift[0];
    }
    tsh_dtype def = n ? (tsh_dtype_is_float(src->dtype) ? src->dtype : TSH_DEFAULT_DTYPE) : src->dtype;
    tsh_dtype dt = tshL_opt_dtype(L, 3, "dtype", def);
    tsh_tensor *o;
    TSHL_TRY(L, tsh_take_rows(src, idx, dt, n, scale, shift, &o));
    tshL_push(L, o);
    return 1;
}

static const tshL_Reg regs[] = {
    {"save", l_save, TSHL_FUNC,
     "tensor.save(path, obj, {format=, metadata=})\n"
     "Writes a tensor or a table of tensors with string keys (a state_dict) to a file, atomically: a\n"
     "temporary file is written, synced and renamed, so a failed save leaves the old file as it was.\n"
     "The format follows the extension: .npy (one tensor), .npz (a table), else safetensors; or\n"
     "format='safetensors'|'npy'|'npz'. metadata: string pairs kept in a safetensors header.\n"
     "  tensor.save('model.safetensors', {['fc.weight'] = w, ['fc.bias'] = b})"},
    {"load", l_load, TSHL_FUNC,
     "tensor.load(path, {format=}) -> tensor or table [, metadata]\n"
     "Reads a safetensors, .npy or .npz file (recognised by its first bytes). A .npy gives a tensor,\n"
     "an .npz a table; a safetensors file gives a table and its metadata (or the tensor, when tensh\n"
     "saved a lone tensor). Malformed files raise an error naming what is wrong.\n"
     "  local sd, meta = tensor.load('model.safetensors')"},
    {"read_idx", l_read_idx, TSHL_FUNC,
     "tensor.read_idx(path) -> Tensor\n"
     "Reads an IDX file (the MNIST format), gzipped or not, as a tensor of its type and shape\n"
     "(ubyte -> uint8, int -> int32, float -> float32, double -> float64).\n"
     "  local labels = tensor.read_idx('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz')"},
    {"take_rows", l_take_rows, TSHL_FUNC,
     "tensor.take_rows(src, index, {dtype=, scale=, shift=}) -> Tensor\n"
     "Rows src[index[k]] (index: 1-d int64, 1-based; nil for all rows) gathered into a new tensor,\n"
     "converted to dtype and mapped x * scale + shift in one pass (scale/shift: a number, or one per\n"
     "channel along dim -3). The DataLoader's batching step: ToTensor and Normalize fold into it.\n"
     "  tensor.take_rows(images, tensor{3, 1}, {scale = 1/255})  -- two images as float32 in [0, 1]"},
    {NULL, NULL, 0, NULL},
};

void tshL_open_io(lua_State *L) { tshL_register(L, regs); }
