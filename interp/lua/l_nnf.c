/* l_nnf.c: Lua bindings of the neural-network functions, the C half of
 * nn.functional: a module registered in package.preload as "tensh.nnf"
 * (stdlib/nn/functional.lua adds the activation wrappers). Arguments follow
 * PyTorch's F.* with a trailing options table; class targets, embedding
 * indices and max-pool indices are 1-based. No math here: interp/core/nn*.c. */
#include <string.h>

#include "core/nn.h"
#include "lt.h"

/* ---- argument helpers ---- */

/* The tensor at idx, or NULL for nil/none; anything else is an error. */
static tsh_tensor *opt_tensor_arg(lua_State *L, int idx, const char *fname, const char *what)
{
    if (lua_isnoneornil(L, idx)) return NULL;
    tsh_tensor *t = tshL_test(L, idx);
    if (!t) luaL_error(L, "%s: %s must be a tensor or nil, got %s", fname, what, luaL_typename(L, idx));
    return t;
}

/* opts[key] as a tensor or NULL. */
static tsh_tensor *opt_tensor(lua_State *L, int opts, const char *key, const char *fname)
{
    if (!opts) return NULL;
    lua_getfield(L, opts, key);
    tsh_tensor *t = lua_isnil(L, -1) ? NULL : tshL_test(L, -1);
    if (!t && !lua_isnil(L, -1))
        luaL_error(L, "%s: option '%s' must be a tensor, got %s", fname, key, luaL_typename(L, -1));
    lua_pop(L, 1);
    return t; /* still referenced by the options table */
}

/* An integer or a table of two integers at stack index idx, into v[2]. */
static void check_pair_at(lua_State *L, int idx, const char *fname, const char *what, int64_t *v)
{
    if (lua_isinteger(L, idx)) {
        v[0] = v[1] = lua_tointeger(L, idx);
        return;
    }
    if (lua_type(L, idx) == LUA_TTABLE && !tshL_test(L, idx) && luaL_len(L, idx) == 2) {
        for (int k = 0; k < 2; k++) {
            lua_rawgeti(L, idx, k + 1);
            if (!lua_isinteger(L, -1))
                luaL_error(L, "%s: %s must hold two integers, got %s at position %d", fname, what,
                           lua_type(L, -1) == LUA_TNUMBER ? "a float" : luaL_typename(L, -1), k + 1);
            v[k] = lua_tointeger(L, -1);
            lua_pop(L, 1);
        }
        return;
    }
    luaL_error(L, "%s: %s must be an integer or a table of two integers {h, w}, got %s", fname, what,
               lua_type(L, idx) == LUA_TNUMBER ? "a float" : luaL_typename(L, idx));
}

static void opt_pair(lua_State *L, int opts, const char *key, const char *fname, int64_t def, int64_t *v)
{
    v[0] = v[1] = def;
    if (!opts) return;
    lua_getfield(L, opts, key);
    if (!lua_isnil(L, -1)) check_pair_at(L, lua_gettop(L), fname, key, v);
    lua_pop(L, 1);
}

static double opt_num(lua_State *L, int opts, const char *key, const char *fname, double def)
{
    if (!opts) return def;
    lua_getfield(L, opts, key);
    if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TNUMBER)
        luaL_error(L, "%s: option '%s' must be a number, got %s", fname, key, luaL_typename(L, -1));
    double v = lua_isnil(L, -1) ? def : lua_tonumber(L, -1);
    lua_pop(L, 1);
    return v;
}

static int64_t opt_int(lua_State *L, int opts, const char *key, const char *fname, int64_t def)
{
    if (!opts) return def;
    lua_getfield(L, opts, key);
    if (!lua_isnil(L, -1) && !lua_isinteger(L, -1))
        luaL_error(L, "%s: option '%s' must be an integer, got %s", fname, key,
                   lua_type(L, -1) == LUA_TNUMBER ? "a float" : luaL_typename(L, -1));
    int64_t v = lua_isnil(L, -1) ? def : lua_tointeger(L, -1);
    lua_pop(L, 1);
    return v;
}

static bool opt_bool(lua_State *L, int opts, const char *key, const char *fname, bool def)
{
    if (!opts) return def;
    lua_getfield(L, opts, key);
    if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
        luaL_error(L, "%s: option '%s' must be a boolean, got %s", fname, key, luaL_typename(L, -1));
    bool v = lua_isnil(L, -1) ? def : lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

static tsh_reduction opt_reduction(lua_State *L, int opts, const char *fname)
{
    if (!opts) return TSH_REDUCTION_MEAN;
    lua_getfield(L, opts, "reduction");
    tsh_reduction r = TSH_REDUCTION_MEAN;
    if (!lua_isnil(L, -1)) {
        const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        if (s && strcmp(s, "none") == 0) r = TSH_REDUCTION_NONE;
        else if (s && strcmp(s, "sum") == 0) r = TSH_REDUCTION_SUM;
        else if (!s || strcmp(s, "mean") != 0)
            luaL_error(L, "%s: reduction must be 'none', 'mean' or 'sum', got %s", fname,
                       s ? lua_pushfstring(L, "'%s'", s) : luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    return r;
}

/* The options table at idx (validated), or 0 when it is absent. */
static int options_at(lua_State *L, int idx, const char *fname, const char *const *allowed)
{
    if (lua_isnoneornil(L, idx)) return 0;
    if (lua_type(L, idx) != LUA_TTABLE || tshL_test(L, idx))
        luaL_error(L, "%s: options table expected as argument %d, got %s", fname, idx,
                   tshL_test(L, idx) ? "a tensor" : luaL_typename(L, idx));
    tshL_check_options(L, idx, fname, allowed);
    return lua_absindex(L, idx);
}

/* ---- layers ---- */

static int f_linear(lua_State *L)
{
    tsh_tensor *x = tshL_check(L, 1), *w = tshL_check(L, 2);
    tsh_tensor *b = opt_tensor_arg(L, 3, "linear", "bias");
    if (!lua_isnone(L, 4)) luaL_error(L, "linear: expected (input, weight[, bias]), got %d arguments", lua_gettop(L));
    tsh_tensor *y;
    TSHL_TRY(L, tsh_linear(x, w, b, &y));
    tshL_push(L, y);
    return 1;
}

static const char *const conv_opts[] = {"stride", "padding", "dilation", "groups", NULL};

/* padding='valid' is 0; 'same' keeps the size (stride 1, even total pad). */
static void conv_padding(lua_State *L, int opts, tsh_tensor *w, tsh_conv_opts *o)
{
    lua_getfield(L, opts, "padding");
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    lua_pop(L, 1);
    if (!s) {
        opt_pair(L, opts, "padding", "conv2d", 0, o->padding);
        return;
    }
    o->padding[0] = o->padding[1] = 0;
    if (strcmp(s, "valid") == 0) return;
    if (strcmp(s, "same") != 0) luaL_error(L, "conv2d: padding must be a number, {h, w}, 'valid' or 'same', got '%s'", s);
    if (o->stride[0] != 1 || o->stride[1] != 1)
        luaL_error(L, "conv2d: padding='same' is not supported for strided convolutions");
    for (int k = 0; k < 2; k++) {
        int64_t total = w->ndim == 4 ? o->dilation[k] * (w->shape[2 + k] - 1) : 0;
        if (total % 2)
            luaL_error(L, "conv2d: padding='same' would need uneven padding for this kernel and dilation "
                          "(give padding explicitly)");
        o->padding[k] = total / 2;
    }
}

static int f_conv2d(lua_State *L)
{
    tsh_tensor *x = tshL_check(L, 1), *w = tshL_check(L, 2), *b = NULL;
    int oi = 3;
    if (tshL_test(L, 3) || lua_isnil(L, 3)) {
        b = opt_tensor_arg(L, 3, "conv2d", "bias");
        oi = 4;
    }
    int opts = options_at(L, oi, "conv2d", conv_opts);
    tsh_conv_opts o;
    opt_pair(L, opts, "stride", "conv2d", 1, o.stride);
    opt_pair(L, opts, "dilation", "conv2d", 1, o.dilation);
    if (opts) conv_padding(L, opts, w, &o);
    else o.padding[0] = o.padding[1] = 0;
    o.groups = opt_int(L, opts, "groups", "conv2d", 1);
    tsh_tensor *y;
    TSHL_TRY(L, tsh_conv2d(x, w, b, &o, &y));
    tshL_push(L, y);
    return 1;
}

/* kernel_size (argument 2), stride (default: the kernel), padding, ceil_mode. */
static void pool_common(lua_State *L, const char *fname, int opts, tsh_pool_opts *o)
{
    check_pair_at(L, 2, fname, "kernel_size", o->kernel);
    bool given = false;
    if (opts) {
        lua_getfield(L, opts, "stride");
        given = !lua_isnil(L, -1);
        lua_pop(L, 1);
    }
    if (given) opt_pair(L, opts, "stride", fname, 1, o->stride);
    else o->stride[0] = o->kernel[0], o->stride[1] = o->kernel[1];
    opt_pair(L, opts, "padding", fname, 0, o->padding);
    o->ceil_mode = opt_bool(L, opts, "ceil_mode", fname, false);
}

static const char *const max_pool_opts[] = {"stride", "padding", "dilation", "ceil_mode", "return_indices", NULL};

static int f_max_pool2d(lua_State *L)
{
    tsh_tensor *x = tshL_check(L, 1);
    int opts = options_at(L, 3, "max_pool2d", max_pool_opts);
    tsh_pool_opts o;
    pool_common(L, "max_pool2d", opts, &o);
    opt_pair(L, opts, "dilation", "max_pool2d", 1, o.dilation);
    o.count_include_pad = false;
    bool want = opt_bool(L, opts, "return_indices", "max_pool2d", false);
    tsh_tensor *y, *ix = NULL;
    TSHL_TRY(L, tsh_max_pool2d(x, &o, &y, want ? &ix : NULL));
    tshL_push(L, y);
    if (!want) return 1;
    tshL_push(L, ix);
    return 2;
}

static const char *const avg_pool_opts[] = {"stride", "padding", "ceil_mode", "count_include_pad", NULL};

static int f_avg_pool2d(lua_State *L)
{
    tsh_tensor *x = tshL_check(L, 1);
    int opts = options_at(L, 3, "avg_pool2d", avg_pool_opts);
    tsh_pool_opts o;
    pool_common(L, "avg_pool2d", opts, &o);
    o.dilation[0] = o.dilation[1] = 1;
    o.count_include_pad = opt_bool(L, opts, "count_include_pad", "avg_pool2d", true);
    tsh_tensor *y;
    TSHL_TRY(L, tsh_avg_pool2d(x, &o, &y));
    tshL_push(L, y);
    return 1;
}

static int f_adaptive_avg_pool2d(lua_State *L)
{
    tsh_tensor *x = tshL_check(L, 1);
    int64_t size[2];
    if (lua_type(L, 2) == LUA_TTABLE && !tshL_test(L, 2)) {
        for (int k = 0; k < 2; k++) { /* {nil, w} keeps the input's height, as torch's None */
            lua_rawgeti(L, 2, k + 1);
            if (!lua_isnil(L, -1) && !lua_isinteger(L, -1))
                luaL_error(L, "adaptive_avg_pool2d: output_size must hold integers (or nil), got %s",
                           luaL_typename(L, -1));
            size[k] = lua_isnil(L, -1) ? -1 : lua_tointeger(L, -1);
            if (size[k] < -1) size[k] = -2;
            lua_pop(L, 1);
        }
    } else if (lua_isinteger(L, 2)) {
        size[0] = size[1] = lua_tointeger(L, 2) < 0 ? -2 : lua_tointeger(L, 2);
    } else {
        return luaL_error(L, "adaptive_avg_pool2d: output_size must be an integer or {h, w}, got %s",
                          lua_type(L, 2) == LUA_TNUMBER ? "a float" : luaL_typename(L, 2));
    }
    tsh_tensor *y;
    TSHL_TRY(L, tsh_adaptive_avg_pool2d(x, size, &y));
    tshL_push(L, y);
    return 1;
}

/* ---- normalisation, embedding, dropout ---- */

static const char *const bn_opts[] = {"weight", "bias", "training", "momentum", "eps", NULL};

static int f_batch_norm(lua_State *L)
{
    tsh_tensor *x = tshL_check(L, 1);
    tsh_tensor *rm = opt_tensor_arg(L, 2, "batch_norm", "running_mean");
    tsh_tensor *rv = opt_tensor_arg(L, 3, "batch_norm", "running_var");
    int opts = options_at(L, 4, "batch_norm", bn_opts);
    tsh_tensor *w = opt_tensor(L, opts, "weight", "batch_norm"), *b = opt_tensor(L, opts, "bias", "batch_norm");
    bool training = opt_bool(L, opts, "training", "batch_norm", false);
    double momentum = opt_num(L, opts, "momentum", "batch_norm", 0.1), eps = opt_num(L, opts, "eps", "batch_norm", 1e-5);
    tsh_tensor *y;
    TSHL_TRY(L, tsh_batch_norm(x, rm, rv, w, b, training, momentum, eps, &y));
    tshL_push(L, y);
    return 1;
}

static const char *const ln_opts[] = {"weight", "bias", "eps", NULL};

static int f_layer_norm(lua_State *L)
{
    tsh_tensor *x = tshL_check(L, 1);
    int nd = 0;
    int64_t shape[TSH_MAX_DIMS];
    if (lua_isinteger(L, 2)) {
        nd = 1;
        shape[0] = lua_tointeger(L, 2);
    } else if (lua_type(L, 2) == LUA_TTABLE && !tshL_test(L, 2)) {
        nd = (int)luaL_len(L, 2);
        if (nd < 1 || nd > TSH_MAX_DIMS)
            luaL_error(L, "layer_norm: normalized_shape must have 1 to %d sizes, got %d", TSH_MAX_DIMS, nd);
        for (int k = 0; k < nd; k++) {
            lua_rawgeti(L, 2, k + 1);
            if (!lua_isinteger(L, -1))
                luaL_error(L, "layer_norm: normalized_shape must hold integers, got %s", luaL_typename(L, -1));
            shape[k] = lua_tointeger(L, -1);
            lua_pop(L, 1);
        }
    } else {
        return luaL_error(L, "layer_norm: normalized_shape must be an integer or a table of sizes, got %s",
                          luaL_typename(L, 2));
    }
    int opts = options_at(L, 3, "layer_norm", ln_opts);
    tsh_tensor *w = opt_tensor(L, opts, "weight", "layer_norm"), *b = opt_tensor(L, opts, "bias", "layer_norm");
    double eps = opt_num(L, opts, "eps", "layer_norm", 1e-5);
    tsh_tensor *y;
    TSHL_TRY(L, tsh_layer_norm(x, nd, shape, w, b, eps, &y));
    tshL_push(L, y);
    return 1;
}

static const char *const emb_opts[] = {"padding_idx", NULL};

static int f_embedding(lua_State *L)
{
    tsh_tensor *idx = tshL_check(L, 1), *w = tshL_check(L, 2);
    int opts = options_at(L, 3, "embedding", emb_opts);
    int64_t pad = opt_int(L, opts, "padding_idx", "embedding", 0), row = -1;
    if (pad != 0 && w->ndim == 2) {
        /* 1-based, or negative from the end as torch's (-1: the last row) */
        int64_t num = w->shape[0];
        if (pad > num || pad < -num)
            luaL_error(L, "embedding: padding_idx must be within 1..%I or -%I..-1, got %I", (lua_Integer)num,
                       (lua_Integer)num, (lua_Integer)pad);
        row = pad > 0 ? pad - 1 : num + pad;
    }
    tsh_tensor *y;
    TSHL_TRY(L, tsh_embedding(idx, w, row, &y));
    tshL_push(L, y);
    return 1;
}

static const char *const dropout_opts[] = {"p", "training", NULL};

static int f_dropout(lua_State *L)
{
    tsh_tensor *x = tshL_check(L, 1);
    int opts = options_at(L, 2, "dropout", dropout_opts);
    double p = opt_num(L, opts, "p", "dropout", 0.5);
    bool training = opt_bool(L, opts, "training", "dropout", true);
    tsh_tensor *y;
    TSHL_TRY(L, tsh_dropout(x, p, training, &y));
    tshL_push(L, y);
    return 1;
}

/* ---- losses ---- */

static const char *const ce_opts[] = {"weight", "ignore_index", "reduction", "label_smoothing", NULL};
static const char *const nll_opts[] = {"weight", "ignore_index", "reduction", NULL};

static int f_cross_entropy(lua_State *L)
{
    tsh_tensor *x = tshL_check(L, 1), *t = tshL_check(L, 2);
    int opts = options_at(L, 3, "cross_entropy", ce_opts);
    tsh_tensor *w = opt_tensor(L, opts, "weight", "cross_entropy");
    int64_t ignore = opt_int(L, opts, "ignore_index", "cross_entropy", -100);
    tsh_reduction r = opt_reduction(L, opts, "cross_entropy");
    double eps = opt_num(L, opts, "label_smoothing", "cross_entropy", 0);
    tsh_tensor *y;
    TSHL_TRY(L, tsh_cross_entropy(x, t, w, ignore, r, eps, &y));
    tshL_push(L, y);
    return 1;
}

static int f_nll_loss(lua_State *L)
{
    tsh_tensor *x = tshL_check(L, 1), *t = tshL_check(L, 2);
    int opts = options_at(L, 3, "nll_loss", nll_opts);
    tsh_tensor *w = opt_tensor(L, opts, "weight", "nll_loss");
    int64_t ignore = opt_int(L, opts, "ignore_index", "nll_loss", -100);
    tsh_reduction r = opt_reduction(L, opts, "nll_loss");
    tsh_tensor *y;
    TSHL_TRY(L, tsh_nll_loss(x, t, w, ignore, r, &y));
    tshL_push(L, y);
    return 1;
}

static const char *const red_opts[] = {"reduction", NULL};

static int pointwise(lua_State *L, const char *fname, bool mse)
{
    tsh_tensor *a = tshL_check(L, 1), *b = tshL_check(L, 2);
    int opts = options_at(L, 3, fname, red_opts);
    tsh_reduction r = opt_reduction(L, opts, fname);
    tsh_tensor *y;
    TSHL_TRY(L, mse ? tsh_mse_loss(a, b, r, &y) : tsh_l1_loss(a, b, r, &y));
    tshL_push(L, y);
    return 1;
}

static int f_mse_loss(lua_State *L) { return pointwise(L, "mse_loss", true); }
static int f_l1_loss(lua_State *L) { return pointwise(L, "l1_loss", false); }

static const char *const bce_opts[] = {"weight", "pos_weight", "reduction", NULL};

static int f_bce_with_logits(lua_State *L)
{
    const char *fname = "binary_cross_entropy_with_logits";
    tsh_tensor *x = tshL_check(L, 1), *t = tshL_check(L, 2);
    int opts = options_at(L, 3, fname, bce_opts);
    tsh_tensor *w = opt_tensor(L, opts, "weight", fname), *pw = opt_tensor(L, opts, "pos_weight", fname);
    tsh_reduction r = opt_reduction(L, opts, fname);
    tsh_tensor *y;
    TSHL_TRY(L, tsh_bce_with_logits(x, t, w, pw, r, &y));
    tshL_push(L, y);
    return 1;
}

/* ---- registration ---- */

typedef struct {
    const char *name;
    lua_CFunction fn;
    const char *help;
} nnf_reg;

static const nnf_reg regs[] = {
    {"linear", f_linear,
     "F.linear(input, weight[, bias]) -> tensor\n"
     "y = input @ weight^T + bias: input (..., in), weight (out, in), bias (out).\n"
     "  F.linear(tensor.randn({2, 3}), tensor.randn({4, 3}), tensor.zeros({4}))  -- 2x4"},
    {"conv2d", f_conv2d,
     "F.conv2d(input, weight[, bias], {stride=1, padding=0, dilation=1, groups=1}) -> tensor\n"
     "2-d cross-correlation of (N, C, H, W) or (C, H, W) input with weight (out, C/groups, kH, kW).\n"
     "stride, padding, dilation: a number or {h, w}; padding may also be 'valid' or 'same'.\n"
     "  F.conv2d(tensor.randn({1, 1, 28, 28}), tensor.randn({6, 1, 5, 5}), nil, {padding=2})  -- 1x6x28x28"},
    {"max_pool2d", f_max_pool2d,
     "F.max_pool2d(input, kernel_size, {stride=kernel_size, padding=0, dilation=1, ceil_mode=false, "
     "return_indices=false}) -> tensor[, indices]\n"
     "Maximum over each window of (N, C, H, W) or (C, H, W) input; indices are 1-based positions in\n"
     "each input plane (h*W + w + 1).\n"
     "  F.max_pool2d(tensor.randn({1, 6, 28, 28}), 2)  -- 1x6x14x14"},
    {"avg_pool2d", f_avg_pool2d,
     "F.avg_pool2d(input, kernel_size, {stride=kernel_size, padding=0, ceil_mode=false, "
     "count_include_pad=true}) -> tensor\n"
     "Average over each window of (N, C, H, W) or (C, H, W) input.\n"
     "  F.avg_pool2d(tensor.randn({1, 3, 8, 8}), 2)  -- 1x3x4x4"},
    {"adaptive_avg_pool2d", f_adaptive_avg_pool2d,
     "F.adaptive_avg_pool2d(input, output_size) -> tensor\n"
     "Averages (N, C, H, W) or (C, H, W) input down to output_size (a number or {h, w}; nil keeps a dim).\n"
     "  F.adaptive_avg_pool2d(tensor.randn({1, 3, 7, 9}), 1)  -- 1x3x1x1"},
    {"batch_norm", f_batch_norm,
     "F.batch_norm(input, running_mean, running_var, {weight=, bias=, training=false, momentum=0.1, eps=1e-5}) "
     "-> tensor\n"
     "Normalises (N, C, ...) input per channel: with the batch's statistics when training (updating\n"
     "running_mean/var in place), else with the running ones.\n"
     "  F.batch_norm(tensor.randn({4, 3}), tensor.zeros({3}), tensor.ones({3}), {training=true})"},
    {"layer_norm", f_layer_norm,
     "F.layer_norm(input, normalized_shape, {weight=, bias=, eps=1e-5}) -> tensor\n"
     "Normalises over the last dims (normalized_shape: a number or a table of sizes).\n"
     "  F.layer_norm(tensor.randn({2, 5}), 5)"},
    {"embedding", f_embedding,
     "F.embedding(indices, weight, {padding_idx=}) -> tensor\n"
     "Rows of weight (num, dim) at the 1-based indices: indices' shape + (dim). The row padding_idx\n"
     "(1-based, or negative from the end) gets no gradient.\n"
     "  F.embedding(tensor{{1, 3}, {2, 2}}, tensor.randn({5, 4}))  -- 2x2x4"},
    {"dropout", f_dropout,
     "F.dropout(input, {p=0.5, training=true}) -> tensor\n"
     "Zeroes each element with probability p and scales the rest by 1/(1-p) (tensor.manual_seed\n"
     "makes it reproducible); returns input itself when not training.\n"
     "  F.dropout(tensor.ones({8}), {p=0.25})"},
    {"cross_entropy", f_cross_entropy,
     "F.cross_entropy(input, target, {weight=, ignore_index=-100, reduction='mean', label_smoothing=0}) -> tensor\n"
     "log_softmax + nll in one kernel. input (N, C), (C) or (N, C, d1, ...) logits; target int64 class\n"
     "indices 1..C (input's shape without the class dim) or probabilities of input's shape.\n"
     "  F.cross_entropy(tensor.randn({3, 5}), tensor{1, 5, 2})"},
    {"nll_loss", f_nll_loss,
     "F.nll_loss(input, target, {weight=, ignore_index=-100, reduction='mean'}) -> tensor\n"
     "Negative log-likelihood of log-probabilities input (N, C, ...) at the 1-based class targets.\n"
     "  F.nll_loss(tensor.randn({3, 5}):log_softmax(2), tensor{1, 5, 2})"},
    {"mse_loss", f_mse_loss,
     "F.mse_loss(input, target, {reduction='mean'}) -> tensor\n"
     "Mean (or sum, or elementwise) squared difference; the two broadcast together.\n"
     "  F.mse_loss(tensor{1.0, 2.0}, tensor{1.5, 0.0})  -- 2.125"},
    {"l1_loss", f_l1_loss,
     "F.l1_loss(input, target, {reduction='mean'}) -> tensor\n"
     "Mean (or sum, or elementwise) absolute difference.\n"
     "  F.l1_loss(tensor{1.0, 2.0}, tensor{1.5, 0.0})  -- 1.25"},
    {"binary_cross_entropy_with_logits", f_bce_with_logits,
     "F.binary_cross_entropy_with_logits(input, target, {weight=, pos_weight=, reduction='mean'}) -> tensor\n"
     "Sigmoid + binary cross entropy in the stable form; pos_weight weighs the positive term per class.\n"
     "  F.binary_cross_entropy_with_logits(tensor{0.5, -1.0}, tensor{1.0, 0.0})"},
};

static int open_nnf(lua_State *L)
{
    int n = (int)(sizeof regs / sizeof regs[0]);
    lua_createtable(L, 0, n);
    for (int k = 0; k < n; k++) {
        lua_pushcfunction(L, regs[k].fn);
        tshL_sethelp(L, -1, regs[k].help);
        lua_setfield(L, -2, regs[k].name);
    }
    return 1;
}

void tshL_open_nnf(lua_State *L)
{
    tshL_preload(L, "tensh.nnf", open_nnf);
}
