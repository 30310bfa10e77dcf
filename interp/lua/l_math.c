/* l_math.c: Lua bindings for elementwise math: tensor.add(a, b) and
 * a:add(b) for every binary, comparison, logical and unary op, their
 * in-place forms (a:add_(b)), clamp, and the Tensor operators + - * / // % ^
 * and unary minus. Argument checking and options live here; dtype rules
 * and broadcasting are in interp/core/mathops.c.
 * Lua numbers become wrapped 0-dim tensors held in this C frame
 * (tsh_stack_scalar): `t * 2` allocates nothing for the 2, and nothing can
 * leak when a later argument check raises. */
#include <string.h>

#include "core/mathops.h"
#include "lt.h"

/* A tensor (borrowed: the Lua stack keeps it alive) or a number/boolean
 * made into a wrapped scalar in *buf; *is_num tells which. */
static tsh_tensor *operand(lua_State *L, int idx, tsh_stack_scalar *buf, int *is_num)
{
    tsh_tensor *t = tshL_test(L, idx);
    if (is_num) *is_num = !t;
    if (t) return t;
    tsh_scalar v = {TSH_SCALAR_INT, 0, 0};
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) v.i = lua_tointeger(L, idx);
        else v.kind = TSH_SCALAR_FLOAT, v.f = lua_tonumber(L, idx);
        break;
    case LUA_TBOOLEAN: v.kind = TSH_SCALAR_BOOL, v.i = lua_toboolean(L, idx); break;
    default:
        luaL_argerror(L, idx, lua_pushfstring(L, "tensor or number expected, got %s", luaL_typename(L, idx)));
    }
    return tsh_stack_scalar_init(buf, &v);
}

static const char *const no_opts[] = {NULL};
static const char *const alpha_opts[] = {"alpha", NULL};
static const char *const div_opts[] = {"rounding_mode", NULL};

/* Reads {alpha=} keeping Lua's integer/float/boolean distinction. */
static bool opt_alpha(lua_State *L, int idx, tsh_scalar *v)
{
    if (lua_type(L, idx) != LUA_TTABLE) return false;
    int ty = lua_getfield(L, idx, "alpha");
    bool set = true;
    if (ty == LUA_TNIL) set = false;
    else if (ty == LUA_TBOOLEAN) *v = (tsh_scalar){TSH_SCALAR_BOOL, lua_toboolean(L, -1), 0};
    else if (lua_isinteger(L, -1)) *v = (tsh_scalar){TSH_SCALAR_INT, lua_tointeger(L, -1), 0};
    else if (ty == LUA_TNUMBER) *v = (tsh_scalar){TSH_SCALAR_FLOAT, 0, lua_tonumber(L, -1)};
    else luaL_error(L, "option 'alpha' must be a number, got %s", luaL_typename(L, -1));
    lua_pop(L, 1);
    return set;
}

/* Returns the result of an op: the tensor itself (self) for the in-place
 * form, whose result is a new reference to it, else the new tensor. */
static int push_result(lua_State *L, tsh_tensor *res, bool inplace)
{
    if (inplace) {
        tsh_tensor_release(res);
        lua_settop(L, 1);
        return 1;
    }
    tshL_push(L, res);
    return 1;
}

/* a OP b for binary and comparison ops; `inplace` writes into a (arg 1). */
static int binary(lua_State *L, tsh_op op, bool inplace)
{
    const char *name = tsh_op_infos[op].name;
    const char *const *allowed = op == TSH_OP_ADD || op == TSH_OP_SUB ? alpha_opts
                                 : op == TSH_OP_DIV ? div_opts : no_opts;
    if (!lua_isnoneornil(L, 3)) tshL_check_options(L, 3, name, allowed);
    tsh_stack_scalar sa, sb;
    int na = 0, nb;
    tsh_tensor *a = inplace ? tshL_check(L, 1) : operand(L, 1, &sa, &na);
    if (lua_isnone(L, 2)) return luaL_argerror(L, 2, "tensor or number expected, got no value");
    tsh_tensor *b = operand(L, 2, &sb, &nb);
    if (na && nb) return luaL_error(L, "%s: expected at least one tensor, got two numbers", name);
    tsh_scalar alpha;
    bool has_alpha = opt_alpha(L, 3, &alpha);
    const char *mode = NULL;
    if (op == TSH_OP_DIV && lua_type(L, 3) == LUA_TTABLE) {
        if (lua_getfield(L, 3, "rounding_mode") != LUA_TNIL && lua_type(L, -1) != LUA_TSTRING)
            return luaL_error(L, "div: option 'rounding_mode' must be 'trunc' or 'floor', got %s",
                              luaL_typename(L, -1));
        mode = lua_tostring(L, -1); /* stays on the stack, so stays valid */
    }
    tsh_tensor *res;
    if (mode) TSHL_TRY(L, tsh_div_mode(a, b, mode, inplace ? a : NULL, &res));
    else TSHL_TRY(L, tsh_binary(op, a, b, has_alpha ? &alpha : NULL, inplace ? a : NULL, &res));
    return push_result(L, res, inplace);
}

static const char *const round_opts[] = {"decimals", NULL};
static const char *const gelu_opts[] = {"approximate", NULL};

static int unary(lua_State *L, tsh_op op, bool inplace)
{
    tsh_tensor *a = tshL_check(L, 1);
    const char *name = tsh_op_infos[op].name;
    int64_t param = 0;
    if (op == TSH_OP_ROUND) {
        tshL_check_options(L, 2, name, round_opts);
        param = tshL_opt_integer(L, 2, "decimals", 0);
    } else if (op == TSH_OP_GELU) {
        tshL_check_options(L, 2, name, gelu_opts);
        if (lua_type(L, 2) == LUA_TTABLE && lua_getfield(L, 2, "approximate") != LUA_TNIL) {
            const char *s = lua_tostring(L, -1);
            if (lua_type(L, -1) != LUA_TSTRING || (strcmp(s, "none") != 0 && strcmp(s, "tanh") != 0))
                return luaL_error(L, "gelu: approximate must be 'none' or 'tanh', got %s",
                                  lua_type(L, -1) == LUA_TSTRING ? s : luaL_typename(L, -1));
            param = strcmp(s, "tanh") == 0;
        }
    } else if (!lua_isnone(L, 2)) {
        tshL_check_options(L, 2, name, no_opts);
    }
    tsh_tensor *res;
    TSHL_TRY(L, tsh_unary(op, a, param, inplace ? a : NULL, &res));
    return push_result(L, res, inplace);
}

/* A clamp bound at idx: nil (none), a number or a tensor. */
static tsh_tensor *clamp_bound(lua_State *L, int idx, tsh_stack_scalar *buf, const char *what)
{
    if (lua_isnil(L, idx)) return NULL;
    int ty = lua_type(L, idx);
    if (ty != LUA_TNUMBER && ty != LUA_TBOOLEAN && !tshL_test(L, idx))
        luaL_error(L, "clamp: %s must be a number, a tensor or nil, got %s", what, luaL_typename(L, idx));
    return operand(L, idx, buf, NULL);
}

static const char *const clamp_opts[] = {"min", "max", NULL};

/* which: 0 clamp(min, max), 1 clamp_min(v), 2 clamp_max(v) */
static int clamp(lua_State *L, int which, bool inplace)
{
    tsh_tensor *a = tshL_check(L, 1);
    tsh_stack_scalar smin, smax;
    tsh_tensor *lo = NULL, *hi = NULL;
    if (which == 0 && tshL_is_options(L, 2)) {
        tshL_check_options(L, 2, "clamp", clamp_opts);
        lua_settop(L, 2);
        lua_getfield(L, 2, "min");
        lua_getfield(L, 2, "max");
        lo = clamp_bound(L, 3, &smin, "min");
        hi = clamp_bound(L, 4, &smax, "max");
    } else if (which == 0) {
        if (lua_gettop(L) > 3)
            return luaL_error(L, "clamp: expected at most two bounds (min, max), got %d arguments",
                              lua_gettop(L) - 1);
        lua_settop(L, 3);
        lo = clamp_bound(L, 2, &smin, "min");
        hi = clamp_bound(L, 3, &smax, "max");
    } else {
        const char *name = which == 1 ? "clamp_min" : "clamp_max";
        if (lua_isnoneornil(L, 2))
            return luaL_error(L, "%s: a bound (number or tensor) is required", name);
        if (!lua_isnone(L, 3)) return luaL_error(L, "%s: expected one bound, got %d arguments", name, lua_gettop(L) - 1);
        tsh_tensor *v = clamp_bound(L, 2, &smin, which == 1 ? "min" : "max");
        if (which == 1) lo = v;
        else hi = v;
    }
    tsh_tensor *res;
    TSHL_TRY(L, tsh_clamp(a, lo, hi, inplace ? a : NULL, &res));
    return push_result(L, res, inplace);
}

/* One C function per op and form (tshL_Reg holds plain functions). */
#define BIN_FN(name, OP) \
    static int mf_##name(lua_State *L) { return binary(L, OP, false); }
#define BIN_FNS(name, OP) \
    BIN_FN(name, OP)      \
    static int mf_##name##_(lua_State *L) { return binary(L, OP, true); }
#define UN_FNS(name, OP)                                                   \
    static int mf_##name(lua_State *L) { return unary(L, OP, false); }      \
    static int mf_##name##_(lua_State *L) { return unary(L, OP, true); }

BIN_FNS(add, TSH_OP_ADD)
BIN_FNS(sub, TSH_OP_SUB)
BIN_FNS(mul, TSH_OP_MUL)
BIN_FNS(div, TSH_OP_DIV)
BIN_FNS(floor_divide, TSH_OP_FLOOR_DIVIDE)
BIN_FNS(remainder, TSH_OP_REMAINDER)
BIN_FNS(fmod, TSH_OP_FMOD)
BIN_FNS(pow, TSH_OP_POW)
BIN_FN(maximum, TSH_OP_MAXIMUM)
BIN_FN(minimum, TSH_OP_MINIMUM)
BIN_FNS(atan2, TSH_OP_ATAN2)
BIN_FNS(eq, TSH_OP_EQ)
BIN_FNS(ne, TSH_OP_NE)
BIN_FNS(lt, TSH_OP_LT)
BIN_FNS(le, TSH_OP_LE)
BIN_FNS(gt, TSH_OP_GT)
BIN_FNS(ge, TSH_OP_GE)
BIN_FNS(logical_and, TSH_OP_LOGICAL_AND)
BIN_FNS(logical_or, TSH_OP_LOGICAL_OR)
BIN_FNS(logical_xor, TSH_OP_LOGICAL_XOR)
UN_FNS(neg, TSH_OP_NEG)
UN_FNS(abs, TSH_OP_ABS)
UN_FNS(sign, TSH_OP_SIGN)
UN_FNS(exp, TSH_OP_EXP)
UN_FNS(log, TSH_OP_LOG)
UN_FNS(log1p, TSH_OP_LOG1P)
UN_FNS(expm1, TSH_OP_EXPM1)
UN_FNS(sqrt, TSH_OP_SQRT)
UN_FNS(rsqrt, TSH_OP_RSQRT)
UN_FNS(sin, TSH_OP_SIN)
UN_FNS(cos, TSH_OP_COS)
UN_FNS(tan, TSH_OP_TAN)
UN_FNS(tanh, TSH_OP_TANH)
UN_FNS(sigmoid, TSH_OP_SIGMOID)
UN_FNS(relu, TSH_OP_RELU)
UN_FNS(gelu, TSH_OP_GELU)
UN_FNS(silu, TSH_OP_SILU)
UN_FNS(floor, TSH_OP_FLOOR)
UN_FNS(ceil, TSH_OP_CEIL)
UN_FNS(round, TSH_OP_ROUND)
UN_FNS(trunc, TSH_OP_TRUNC)
UN_FNS(reciprocal, TSH_OP_RECIPROCAL)
UN_FNS(square, TSH_OP_SQUARE)
UN_FNS(logical_not, TSH_OP_LOGICAL_NOT)

static int mf_clamp(lua_State *L) { return clamp(L, 0, false); }
static int mf_clamp_(lua_State *L) { return clamp(L, 0, true); }
static int mf_clamp_min(lua_State *L) { return clamp(L, 1, false); }
static int mf_clamp_min_(lua_State *L) { return clamp(L, 1, true); }
static int mf_clamp_max(lua_State *L) { return clamp(L, 2, false); }
static int mf_clamp_max_(lua_State *L) { return clamp(L, 2, true); }

/* Operators: Lua passes both operands, a number on either side. */
static int mf_unm(lua_State *L)
{
    lua_settop(L, 1);
    return unary(L, TSH_OP_NEG, false);
}

/* ---- registration ---- */

typedef struct math_fn {
    const char *name;
    lua_CFunction fn, fn_; /* the function and its in-place form (or NULL) */
    const char *help;      /* call line, what it does, an example */
    const char *sig_;      /* the in-place call line */
    const char *ex_;       /* and its example */
} math_fn;

#define PROMO "Broadcasts, with PyTorch's type promotion (a Lua number is a wrapped scalar)."
#define UFLOAT "Integer and bool inputs give float32."

static const math_fn fns[] = {
    {"add", mf_add, mf_add_,
     "tensor.add(a, b, {alpha=1}) -> Tensor\na + alpha * b elementwise; also a:add(b) and a + b. " PROMO "\n"
     "  tensor.add(tensor{1, 2}, tensor{10, 20}, {alpha=2})  --> tensor{21, 42}", "t:add_(other, {alpha=1})", "tensor{1, 2}:add_(1)  --> tensor{2, 3}"},
    {"sub", mf_sub, mf_sub_,
     "tensor.sub(a, b, {alpha=1}) -> Tensor\na - alpha * b elementwise; also a:sub(b) and a - b. " PROMO
     "\nBool tensors are refused (use logical_xor / logical_not).\n  tensor{5, 7} - 2  --> tensor{3, 5}",
     "t:sub_(other, {alpha=1})", "tensor{1, 2}:sub_(1)  --> tensor{0, 1}"},
    {"subtract", mf_sub, mf_sub_, "tensor.subtract(a, b, {alpha=1}) -> Tensor\nAlias of tensor.sub.\n  tensor.subtract(tensor{3}, 1)  --> tensor{2}",
     "t:subtract_(other, {alpha=1})", "tensor{1, 2}:subtract_(1)  --> tensor{0, 1}"},
    {"mul", mf_mul, mf_mul_,
     "tensor.mul(a, b) -> Tensor\na * b elementwise (not a matrix product: see matmul); also a * b. " PROMO "\n"
     "  2 * tensor{1, 2}  --> tensor{2, 4}", "t:mul_(other)", "tensor{1, 2}:mul_(3)  --> tensor{3, 6}"},
    {"multiply", mf_mul, mf_mul_, "tensor.multiply(a, b) -> Tensor\nAlias of tensor.mul.\n  tensor.multiply(tensor{3}, 2)  --> tensor{6}",
     "t:multiply_(other)", "tensor{1, 2}:multiply_(3)  --> tensor{3, 6}"},
    {"div", mf_div, mf_div_,
     "tensor.div(a, b, {rounding_mode=}) -> Tensor\nTrue division a / b: integers give float32. rounding_mode 'trunc' "
     "rounds toward zero, 'floor' down (both keep integer dtypes).\n  tensor.div(tensor{7, -7}, 2, {rounding_mode='trunc'})  --> tensor{3, -3}",
     "t:div_(other, {rounding_mode=})", "tensor{1.0, 2.0}:div_(2)  --> tensor{0.5, 1.0}"},
    {"divide", mf_div, mf_div_, "tensor.divide(a, b, {rounding_mode=}) -> Tensor\nAlias of tensor.div.\n  tensor.divide(tensor{1}, 4)  --> tensor{0.25}",
     "t:divide_(other, {rounding_mode=})", "tensor{1.0, 2.0}:divide_(2)  --> tensor{0.5, 1.0}"},
    {"true_divide", mf_div, mf_div_, "tensor.true_divide(a, b) -> Tensor\nAlias of tensor.div.\n  tensor.true_divide(tensor{1}, 2)  --> tensor{0.5}",
     "t:true_divide_(other)", "tensor{1.0}:true_divide_(4)  --> tensor{0.25}"},
    {"floor_divide", mf_floor_divide, mf_floor_divide_,
     "tensor.floor_divide(a, b) -> Tensor\nDivision rounded down, as a // b. Integer division by zero is an error.\n"
     "  tensor{7, -7} // 2  --> tensor{3, -4}", "t:floor_divide_(other)", "tensor{7, -7}:floor_divide_(2)  --> tensor{3, -4}"},
    {"remainder", mf_remainder, mf_remainder_,
     "tensor.remainder(a, b) -> Tensor\nRemainder with the sign of the divisor, as a % b (and Lua's %).\n"
     "  tensor{7, -7} % 3  --> tensor{1, 2}", "t:remainder_(other)", "tensor{7, -7}:remainder_(3)  --> tensor{1, 2}"},
    {"fmod", mf_fmod, mf_fmod_,
     "tensor.fmod(a, b) -> Tensor\nRemainder with the sign of the dividend, as C's fmod.\n"
     "  tensor.fmod(tensor{7, -7}, 3)  --> tensor{1, -1}", "t:fmod_(other)", "tensor{7, -7}:fmod_(3)  --> tensor{1, -1}"},
    {"pow", mf_pow, mf_pow_,
     "tensor.pow(a, b) -> Tensor\na raised to b elementwise, as a ^ b; either may be a number. Integer tensors "
     "refuse a negative integer exponent.\n  tensor{1, 2, 3} ^ 2  --> tensor{1, 4, 9}", "t:pow_(exponent)", "tensor{2, 3}:pow_(2)  --> tensor{4, 9}"},
    {"maximum", mf_maximum, NULL,
     "tensor.maximum(a, b) -> Tensor\nThe larger of a and b elementwise; NaN propagates.\n"
     "  tensor.maximum(tensor{1, 5}, tensor{3, 2})  --> tensor{3, 5}", NULL, NULL},
    {"minimum", mf_minimum, NULL,
     "tensor.minimum(a, b) -> Tensor\nThe smaller of a and b elementwise; NaN propagates.\n"
     "  tensor.minimum(tensor{1, 5}, tensor{3, 2})  --> tensor{1, 2}", NULL, NULL},
    {"atan2", mf_atan2, mf_atan2_,
     "tensor.atan2(a, b) -> Tensor\nThe angle of the point (b, a), in (-pi, pi]. " UFLOAT "\n"
     "  tensor.atan2(tensor{1.0}, tensor{1.0})  --> tensor{0.7854}", "t:atan2_(other)", "tensor{0.0}:atan2_(1)  --> tensor{0.0}"},
    {"eq", mf_eq, mf_eq_, "tensor.eq(a, b) -> Tensor\na == b elementwise, as a bool tensor (== on tensors is Lua's "
     "identity test). " PROMO "\n  tensor{1, 2}:eq(2)  --> tensor{false, true}", "t:eq_(other)", "tensor{1.0, 2.0}:eq_(2)  -- t holds 0/1 in its own dtype"},
    {"ne", mf_ne, mf_ne_, "tensor.ne(a, b) -> Tensor\na ~= b elementwise, as a bool tensor.\n"
     "  tensor{1, 2}:ne(2)  --> tensor{true, false}", "t:ne_(other)", "tensor{1.0, 2.0}:ne_(2)  -- t holds 0/1 in its own dtype"},
    {"not_equal", mf_ne, mf_ne_, "tensor.not_equal(a, b) -> Tensor\nAlias of tensor.ne.\n  tensor{1}:not_equal(1)  --> tensor{false}", "t:not_equal_(other)", "tensor{1.0, 2.0}:not_equal_(2)  -- t holds 0/1 in its own dtype"},
    {"lt", mf_lt, mf_lt_, "tensor.lt(a, b) -> Tensor\na < b elementwise, as a bool tensor.\n"
     "  tensor{1, 2}:lt(2)  --> tensor{true, false}", "t:lt_(other)", "tensor{1.0, 2.0}:lt_(2)  -- t holds 0/1 in its own dtype"},
    {"less", mf_lt, mf_lt_, "tensor.less(a, b) -> Tensor\nAlias of tensor.lt.\n  tensor{1}:less(2)  --> tensor{true}", "t:less_(other)", "tensor{1.0, 2.0}:less_(2)  -- t holds 0/1 in its own dtype"},
    {"le", mf_le, mf_le_, "tensor.le(a, b) -> Tensor\na <= b elementwise, as a bool tensor.\n"
     "  tensor{1, 3}:le(2)  --> tensor{true, false}", "t:le_(other)", "tensor{1.0, 2.0}:le_(2)  -- t holds 0/1 in its own dtype"},
    {"less_equal", mf_le, mf_le_, "tensor.less_equal(a, b) -> Tensor\nAlias of tensor.le.\n  tensor{2}:less_equal(2)  --> tensor{true}", "t:less_equal_(other)", "tensor{1.0, 2.0}:less_equal_(2)  -- t holds 0/1 in its own dtype"},
    {"gt", mf_gt, mf_gt_, "tensor.gt(a, b) -> Tensor\na > b elementwise, as a bool tensor.\n"
     "  tensor{1, 3}:gt(2)  --> tensor{false, true}", "t:gt_(other)", "tensor{1.0, 2.0}:gt_(2)  -- t holds 0/1 in its own dtype"},
    {"greater", mf_gt, mf_gt_, "tensor.greater(a, b) -> Tensor\nAlias of tensor.gt.\n  tensor{3}:greater(2)  --> tensor{true}", "t:greater_(other)", "tensor{1.0, 2.0}:greater_(2)  -- t holds 0/1 in its own dtype"},
    {"ge", mf_ge, mf_ge_, "tensor.ge(a, b) -> Tensor\na >= b elementwise, as a bool tensor.\n"
     "  tensor{1, 2}:ge(2)  --> tensor{false, true}", "t:ge_(other)", "tensor{1.0, 2.0}:ge_(2)  -- t holds 0/1 in its own dtype"},
    {"greater_equal", mf_ge, mf_ge_, "tensor.greater_equal(a, b) -> Tensor\nAlias of tensor.ge.\n  tensor{2}:greater_equal(2)  --> tensor{true}", "t:greater_equal_(other)", "tensor{1.0, 2.0}:greater_equal_(2)  -- t holds 0/1 in its own dtype"},
    {"logical_and", mf_logical_and, mf_logical_and_,
     "tensor.logical_and(a, b) -> Tensor\nBoth nonzero, elementwise, as a bool tensor (any dtypes).\n"
     "  tensor{1, 0, 2}:logical_and(tensor{true, true, false})  --> tensor{true, false, false}", "t:logical_and_(other)", "tensor{1, 0}:logical_and_(tensor{1, 1})  -- t holds 0/1"},
    {"logical_or", mf_logical_or, mf_logical_or_,
     "tensor.logical_or(a, b) -> Tensor\nEither nonzero, elementwise, as a bool tensor.\n"
     "  tensor{1, 0, 0}:logical_or(tensor{0, 0, 3})  --> tensor{true, false, true}", "t:logical_or_(other)", "tensor{1, 0}:logical_or_(tensor{1, 1})  -- t holds 0/1"},
    {"logical_xor", mf_logical_xor, mf_logical_xor_,
     "tensor.logical_xor(a, b) -> Tensor\nExactly one nonzero, elementwise, as a bool tensor.\n"
     "  tensor{1, 1}:logical_xor(tensor{0, 1})  --> tensor{true, false}", "t:logical_xor_(other)", "tensor{1, 0}:logical_xor_(tensor{1, 1})  -- t holds 0/1"},
    {"logical_not", mf_logical_not, mf_logical_not_,
     "tensor.logical_not(t) -> Tensor\nTrue where t is zero, as a bool tensor.\n"
     "  tensor{0, 3}:logical_not()  --> tensor{true, false}", "t:logical_not_()", "tensor{0, 3}:logical_not_()  --> tensor{1, 0}"},
    {"neg", mf_neg, mf_neg_, "tensor.neg(t) -> Tensor\n-t elementwise, also -t. Bool tensors are refused (use logical_not).\n"
     "  -tensor{1, -2}  --> tensor{-1, 2}", "t:neg_()", "t:neg_()  -- t is overwritten"},
    {"negative", mf_neg, mf_neg_, "tensor.negative(t) -> Tensor\nAlias of tensor.neg.\n  tensor{1}:negative()  --> tensor{-1}", "t:negative_()", "t:negative_()  -- t is overwritten"},
    {"abs", mf_abs, mf_abs_, "tensor.abs(t) -> Tensor\n|t| elementwise, in t's dtype (bool refused).\n"
     "  tensor{-1, 2}:abs()  --> tensor{1, 2}", "t:abs_()", "t:abs_()  -- t is overwritten"},
    {"absolute", mf_abs, mf_abs_, "tensor.absolute(t) -> Tensor\nAlias of tensor.abs.\n  tensor{-3}:absolute()  --> tensor{3}", "t:absolute_()", "t:absolute_()  -- t is overwritten"},
    {"sign", mf_sign, mf_sign_, "tensor.sign(t) -> Tensor\n-1, 0 or 1 by the sign of each element, in t's dtype.\n"
     "  tensor{-2.5, 0, 4}:sign()  --> tensor{-1.0, 0.0, 1.0}", "t:sign_()", "t:sign_()  -- t is overwritten"},
    {"exp", mf_exp, mf_exp_, "tensor.exp(t) -> Tensor\ne^t elementwise. " UFLOAT "\n  tensor{0, 1}:exp()  --> tensor{1.0, 2.7183}", "t:exp_()", "t:exp_()  -- t is overwritten"},
    {"log", mf_log, mf_log_, "tensor.log(t) -> Tensor\nNatural logarithm; negative inputs give NaN, 0 gives -inf. " UFLOAT "\n"
     "  tensor{1, 4}:log()  --> tensor{0.0, 1.3863}", "t:log_()", "t:log_()  -- t is overwritten"},
    {"log1p", mf_log1p, mf_log1p_, "tensor.log1p(t) -> Tensor\nlog(1 + t), accurate for small t. " UFLOAT "\n"
     "  tensor{1e-10}:log1p()  --> tensor{1e-10}", "t:log1p_()", "t:log1p_()  -- t is overwritten"},
    {"expm1", mf_expm1, mf_expm1_, "tensor.expm1(t) -> Tensor\nexp(t) - 1, accurate for small t. " UFLOAT "\n"
     "  tensor{1e-10}:expm1()  --> tensor{1e-10}", "t:expm1_()", "t:expm1_()  -- t is overwritten"},
    {"sqrt", mf_sqrt, mf_sqrt_, "tensor.sqrt(t) -> Tensor\nSquare root; negative inputs give NaN. " UFLOAT "\n"
     "  tensor{4, 9}:sqrt()  --> tensor{2.0, 3.0}", "t:sqrt_()", "t:sqrt_()  -- t is overwritten"},
    {"rsqrt", mf_rsqrt, mf_rsqrt_, "tensor.rsqrt(t) -> Tensor\n1 / sqrt(t). " UFLOAT "\n  tensor{4.0}:rsqrt()  --> tensor{0.5}", "t:rsqrt_()", "t:rsqrt_()  -- t is overwritten"},
    {"sin", mf_sin, mf_sin_, "tensor.sin(t) -> Tensor\nSine (radians). " UFLOAT "\n  tensor{0.0}:sin()  --> tensor{0.0}", "t:sin_()", "t:sin_()  -- t is overwritten"},
    {"cos", mf_cos, mf_cos_, "tensor.cos(t) -> Tensor\nCosine (radians). " UFLOAT "\n  tensor{0.0}:cos()  --> tensor{1.0}", "t:cos_()", "t:cos_()  -- t is overwritten"},
    {"tan", mf_tan, mf_tan_, "tensor.tan(t) -> Tensor\nTangent (radians). " UFLOAT "\n  tensor{0.0}:tan()  --> tensor{0.0}", "t:tan_()", "t:tan_()  -- t is overwritten"},
    {"tanh", mf_tanh, mf_tanh_, "tensor.tanh(t) -> Tensor\nHyperbolic tangent. " UFLOAT "\n  tensor{0.0}:tanh()  --> tensor{0.0}", "t:tanh_()", "t:tanh_()  -- t is overwritten"},
    {"sigmoid", mf_sigmoid, mf_sigmoid_, "tensor.sigmoid(t) -> Tensor\n1 / (1 + exp(-t)). " UFLOAT "\n"
     "  tensor{0.0}:sigmoid()  --> tensor{0.5}", "t:sigmoid_()", "t:sigmoid_()  -- t is overwritten"},
    {"relu", mf_relu, mf_relu_, "tensor.relu(t) -> Tensor\nmax(t, 0) elementwise, in t's dtype (bool refused).\n"
     "  tensor{-1, 2}:relu()  --> tensor{0, 2}", "t:relu_()", "t:relu_()  -- t is overwritten"},
    {"gelu", mf_gelu, mf_gelu_, "tensor.gelu(t, {approximate='none'}) -> Tensor\nt * Phi(t) with the exact erf form, or "
     "approximate='tanh' for the tanh form. " UFLOAT "\n  tensor{0.0, 1.0}:gelu()  --> tensor{0.0, 0.8413}",
     "t:gelu_({approximate='none'})", "t:gelu_()  -- t is overwritten"},
    {"silu", mf_silu, mf_silu_, "tensor.silu(t) -> Tensor\nt * sigmoid(t) (swish). " UFLOAT "\n"
     "  tensor{0.0}:silu()  --> tensor{0.0}", "t:silu_()", "t:silu_()  -- t is overwritten"},
    {"floor", mf_floor, mf_floor_, "tensor.floor(t) -> Tensor\nRounds down; integers are returned as a copy.\n"
     "  tensor{1.5, -1.5}:floor()  --> tensor{1.0, -2.0}", "t:floor_()", "t:floor_()  -- t is overwritten"},
    {"ceil", mf_ceil, mf_ceil_, "tensor.ceil(t) -> Tensor\nRounds up; integers are returned as a copy.\n"
     "  tensor{1.5, -1.5}:ceil()  --> tensor{2.0, -1.0}", "t:ceil_()", "t:ceil_()  -- t is overwritten"},
    {"round", mf_round, mf_round_, "tensor.round(t, {decimals=0}) -> Tensor\nRounds half to even (as torch.round), to "
     "`decimals` places if given (floats only).\n  tensor{0.5, 1.5, 2.5}:round()  --> tensor{0.0, 2.0, 2.0}",
     "t:round_({decimals=0})", "t:round_()  -- t is overwritten"},
    {"trunc", mf_trunc, mf_trunc_, "tensor.trunc(t) -> Tensor\nRounds toward zero; integers are returned as a copy.\n"
     "  tensor{1.5, -1.5}:trunc()  --> tensor{1.0, -1.0}", "t:trunc_()", "t:trunc_()  -- t is overwritten"},
    {"reciprocal", mf_reciprocal, mf_reciprocal_, "tensor.reciprocal(t) -> Tensor\n1 / t. " UFLOAT "\n"
     "  tensor{2, 4}:reciprocal()  --> tensor{0.5, 0.25}", "t:reciprocal_()", "t:reciprocal_()  -- t is overwritten"},
    {"square", mf_square, mf_square_, "tensor.square(t) -> Tensor\nt * t, in t's dtype (bool gives int64).\n"
     "  tensor{-3, 2}:square()  --> tensor{9, 4}", "t:square_()", "t:square_()  -- t is overwritten"},
    {"clamp", mf_clamp, mf_clamp_,
     "tensor.clamp(t, min, max) -> Tensor\nLimits t to [min, max]; either bound may be nil (not both), a number or "
     "a tensor that broadcasts. Also t:clamp{min=, max=}. If min > max every element becomes max.\n"
     "  tensor{-2, 0, 5}:clamp(-1, 3)  --> tensor{-1, 0, 3}", "t:clamp_(min, max)", "tensor{-2, 5}:clamp_(0, 3)  --> tensor{0, 3}"},
    {"clip", mf_clamp, mf_clamp_, "tensor.clip(t, min, max) -> Tensor\nAlias of tensor.clamp.\n"
     "  tensor{5}:clip(nil, 3)  --> tensor{3}", "t:clip_(min, max)", "tensor{-2, 5}:clip_(0, 3)  --> tensor{0, 3}"},
    {"clamp_min", mf_clamp_min, mf_clamp_min_, "tensor.clamp_min(t, min) -> Tensor\nclamp(t, min, nil).\n"
     "  tensor{-2, 3}:clamp_min(0)  --> tensor{0, 3}", "t:clamp_min_(min)", "tensor{-2, 5}:clamp_min_(0)  --> tensor{0, 5}"},
    {"clamp_max", mf_clamp_max, mf_clamp_max_, "tensor.clamp_max(t, max) -> Tensor\nclamp(t, nil, max).\n"
     "  tensor{-2, 3}:clamp_max(0)  --> tensor{-2, 0}", "t:clamp_max_(max)", "tensor{-2, 5}:clamp_max_(0)  --> tensor{-2, 0}"},
};

/* The operators. A string operand comes through the string library's own
 * arithmetic metamethod, which calls ours from C, so Lua has no name for the
 * call and the argument error would say "bad argument #1 to '?'": say what
 * happened instead. */
static void no_string_operand(lua_State *L, const char *sym)
{
    if (lua_type(L, 1) == LUA_TSTRING || lua_type(L, 2) == LUA_TSTRING)
        luaL_error(L, "attempt to perform arithmetic (%s) on a string and a tensor (tonumber converts the string)", sym);
}

#define OPERATOR(name, sym, fn) \
    static int mm_##name(lua_State *L) { no_string_operand(L, sym); return fn(L); }
OPERATOR(add, "+", mf_add)
OPERATOR(sub, "-", mf_sub)
OPERATOR(mul, "*", mf_mul)
OPERATOR(div, "/", mf_div)
OPERATOR(idiv, "//", mf_floor_divide)
OPERATOR(mod, "%", mf_remainder)
OPERATOR(pow, "^", mf_pow)

/* Lua turns what __lt and __le return into one boolean, so t < x cannot be
 * PyTorch's elementwise comparison: it is refused with the way to write it,
 * rather than left to Lua's "attempt to compare". (__eq is left alone: Lua
 * calls it for two tensors only, and t1 == t2 stays identity, which code
 * that looks for a tensor in a list relies on.) */
static int refuse_order(lua_State *L, const char *sym, const char *method)
{
    return luaL_error(L, "a %s b on tensors would be one boolean in Lua: compare elementwise with a:%s(b) (or lt, "
                         "le, gt, ge, eq, ne), as PyTorch's a %s b does", sym, method, sym);
}

static int mm_lt(lua_State *L) { return refuse_order(L, "<", "lt"); }
static int mm_le(lua_State *L) { return refuse_order(L, "<=", "le"); }

static const luaL_Reg operators[] = {
    {"__add", mm_add}, {"__sub", mm_sub}, {"__mul", mm_mul}, {"__div", mm_div},
    {"__idiv", mm_idiv}, {"__mod", mm_mod}, {"__pow", mm_pow}, {"__unm", mf_unm},
    {"__lt", mm_lt}, {"__le", mm_le},
    {NULL, NULL},
};

void tshL_open_math(lua_State *L)
{
    for (size_t k = 0; k < sizeof fns / sizeof fns[0]; k++) {
        const math_fn *f = &fns[k];
        tshL_Reg regs[3] = {{f->name, f->fn, TSHL_BOTH, f->help}, {NULL, NULL, 0, NULL}, {NULL, NULL, 0, NULL}};
        char name_[64], help_[512];
        if (f->fn_) {
            snprintf(name_, sizeof name_, "%s_", f->name);
            snprintf(help_, sizeof help_,
                     "%s -> t\nIn-place tensor.%s: writes the result into t and returns t. Other operands "
                     "broadcast to t's shape; the result dtype must cast to t's (an int tensor cannot take a "
                     "float result).\n  %s",
                     f->sig_, f->name, f->ex_);
            regs[1] = (tshL_Reg){name_, f->fn_, TSHL_METHOD, help_};
        }
        tshL_register(L, regs);
    }
    luaL_getmetatable(L, TSHL_TENSOR);
    luaL_setfuncs(L, operators, 0);
    lua_pop(L, 1);
}
