/* l_create.c: Lua bindings for construction (arange, range, linspace,
 * logspace, eye) and random numbers (the generator's seed and state, rand,
 * randn, randint, randperm, normal, bernoulli, the *_like forms and the
 * in-place fills). Argument parsing and help only: the work is in
 * interp/core/create.c and random.c. */
#include "core/create.h"
#include "lt.h"

static const char *const create_opts[] = {"dtype", "device", "requires_grad", NULL};

static tsh_num check_num(lua_State *L, int arg)
{
    if (lua_isinteger(L, arg)) return tsh_num_int(lua_tointeger(L, arg));
    return tsh_num_float(luaL_checknumber(L, arg));
}

static void no_more(lua_State *L, int idx)
{
    if (!lua_isnone(L, idx))
        luaL_argerror(L, idx, lua_pushfstring(L, "unexpected extra argument (a %s)", luaL_typename(L, idx)));
}

/* The options table at idx ({dtype=, device=}, nil is fine), and nothing
 * after it. dtype is TSH_DTYPE_AUTO when not given. */
static void read_opts(lua_State *L, int idx, const char *fname, tsh_dtype *dt, tsh_device *dev)
{
    tshL_check_options(L, idx, fname, create_opts);
    *dt = tshL_opt_dtype(L, idx, "dtype", TSH_DTYPE_AUTO);
    *dev = tshL_opt_device(L, idx, "device", tsh_cpu_device());
    no_more(L, idx + 1);
}

/* ---- arange, range, linspace, logspace, eye ---- */

static int arange_like(lua_State *L, const char *fname, bool inclusive)
{
    int nnum = 0;
    while (nnum < 4 && lua_type(L, nnum + 1) == LUA_TNUMBER) nnum++;
    if (nnum == 0 || (inclusive && nnum == 1))
        return luaL_error(L, "%s: expected %s(start, end [, step]), got %s as argument %d", fname,
                          inclusive ? "" : "(end) or ", luaL_typename(L, nnum + 1), nnum + 1);
    if (nnum > 3) return luaL_argerror(L, 4, "at most start, end and step are numbers; options go in a table");
    tsh_num s = tsh_num_int(0), e, step = tsh_num_int(1);
    if (nnum == 1) {
        e = check_num(L, 1);
    } else {
        s = check_num(L, 1);
        e = check_num(L, 2);
        if (nnum == 3) step = check_num(L, 3);
    }
    tsh_dtype dt;
    tsh_device dev;
    read_opts(L, nnum + 1, fname, &dt, &dev);
    tsh_tensor *o;
    TSHL_TRY(L, inclusive ? tsh_range(s, e, step, dt, dev, &o) : tsh_arange(s, e, step, dt, dev, &o));
    return tshL_push_new(L, o, nnum + 1);
}

static int l_arange(lua_State *L) { return arange_like(L, "arange", false); }
static int l_range(lua_State *L) { return arange_like(L, "range", true); }

static int l_linspace(lua_State *L)
{
    double s = luaL_checknumber(L, 1), e = luaL_checknumber(L, 2);
    lua_Integer steps = luaL_checkinteger(L, 3);
    tsh_dtype dt;
    tsh_device dev;
    read_opts(L, 4, "linspace", &dt, &dev);
    tsh_tensor *o;
    TSHL_TRY(L, tsh_linspace(s, e, steps, dt, dev, &o));
    return tshL_push_new(L, o, 4);
}

static int l_logspace(lua_State *L)
{
    double s = luaL_checknumber(L, 1), e = luaL_checknumber(L, 2);
    lua_Integer steps = luaL_checkinteger(L, 3);
    int opt = 4;
    double base = 10;
    if (lua_type(L, 4) == LUA_TNUMBER) base = lua_tonumber(L, opt++);
    tsh_dtype dt;
    tsh_device dev;
    read_opts(L, opt, "logspace", &dt, &dev);
    tsh_tensor *o;
    TSHL_TRY(L, tsh_logspace(s, e, steps, base, dt, dev, &o));
    return tshL_push_new(L, o, opt);
}

static int l_eye(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1), m = -1;
    int opt = 2;
    if (lua_type(L, 2) == LUA_TNUMBER) {
        m = luaL_checkinteger(L, 2);
        if (m < 0) return luaL_argerror(L, 2, lua_pushfstring(L, "m must be non-negative, got %I", m));
        opt = 3;
    }
    tsh_dtype dt;
    tsh_device dev;
    read_opts(L, opt, "eye", &dt, &dev);
    tsh_tensor *o;
    TSHL_TRY(L, tsh_eye(n, m, dt, dev, &o));
    return tshL_push_new(L, o, opt);
}

/* ---- the generator ---- */

static int l_manual_seed(lua_State *L)
{
    tsh_rng_manual_seed((uint64_t)luaL_checkinteger(L, 1));
    no_more(L, 2);
    return 0;
}

static int l_seed(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)tsh_rng_seed());
    return 1;
}

static int l_initial_seed(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)tsh_rng_initial_seed());
    return 1;
}

static int l_get_rng_state(lua_State *L)
{
    uint64_t seed, offset;
    tsh_rng_get_state(&seed, &offset);
    int64_t two = 2;
    tsh_tensor *t;
    TSHL_TRY(L, tsh_tensor_empty(1, &two, TSH_I64, tsh_cpu_device(), &t));
    ((int64_t *)tsh_data(t))[0] = (int64_t)seed;
    ((int64_t *)tsh_data(t))[1] = (int64_t)offset;
    tshL_push(L, t);
    return 1;
}

static int l_set_rng_state(lua_State *L)
{
    int64_t v[2];
    tsh_tensor *t = tshL_test(L, 1);
    if (t) {
        if (t->dtype != TSH_I64 || t->ndim != 1 || t->shape[0] != 2 || t->storage->device.type != TSH_CPU) {
            char b[64];
            return luaL_argerror(L, 1, lua_pushfstring(L, "expected a cpu int64 tensor of 2 elements "
                                                          "(seed, offset), got %s of shape %s",
                                                       tsh_dtype_name(t->dtype), tsh_shape_str(b, sizeof b, t->ndim, t->shape)));
        }
        for (int k = 0; k < 2; k++) v[k] = *(const int64_t *)(tsh_data(t) + k * t->stride[0] * 8);
    } else if (lua_type(L, 1) == LUA_TTABLE && luaL_len(L, 1) == 2) {
        for (int k = 0; k < 2; k++) {
            lua_rawgeti(L, 1, k + 1);
            if (!lua_isinteger(L, -1))
                return luaL_argerror(L, 1, lua_pushfstring(L, "state[%d] must be an integer, got %s", k + 1,
                                                           luaL_typename(L, -1)));
            v[k] = lua_tointeger(L, -1);
            lua_pop(L, 1);
        }
    } else {
        return luaL_argerror(L, 1, lua_pushfstring(L, "expected the state from get_rng_state() or a table "
                                                      "{seed, offset}, got %s", luaL_typename(L, 1)));
    }
    no_more(L, 2);
    tsh_rng_set_state((uint64_t)v[0], (uint64_t)v[1]);
    return 0;
}

/* ---- random constructors ---- */

static int rand_make(lua_State *L, const char *fname, bool normal)
{
    int nd;
    int64_t shape[TSH_MAX_DIMS];
    int next = tshL_check_shape(L, 1, &nd, shape);
    tsh_dtype dt;
    tsh_device dev;
    read_opts(L, next, fname, &dt, &dev);
    tsh_tensor *o;
    TSHL_TRY(L, normal ? tsh_randn(nd, shape, dt, dev, &o) : tsh_rand(nd, shape, dt, dev, &o));
    return tshL_push_new(L, o, next);
}

static int l_rand(lua_State *L) { return rand_make(L, "rand", false); }
static int l_randn(lua_State *L) { return rand_make(L, "randn", true); }

static double check_plain_number(lua_State *L, int arg, const char *what)
{
    if (lua_type(L, arg) != LUA_TNUMBER)
        luaL_argerror(L, arg, lua_pushfstring(L, "%s must be a number, got %s", what,
                                              tshL_test(L, arg) ? "a tensor" : luaL_typename(L, arg)));
    return lua_tonumber(L, arg);
}

static int l_normal(lua_State *L)
{
    double mean = check_plain_number(L, 1, "mean"), std = check_plain_number(L, 2, "std");
    if (lua_isnoneornil(L, 3) || (lua_type(L, 3) == LUA_TTABLE && tshL_is_options(L, 3)))
        return luaL_argerror(L, 3, "size expected, as in tensor.normal(0, 1, {2, 3})");
    int nd;
    int64_t shape[TSH_MAX_DIMS];
    int next = tshL_check_shape(L, 3, &nd, shape);
    tsh_dtype dt;
    tsh_device dev;
    read_opts(L, next, "normal", &dt, &dev);
    tsh_tensor *o;
    TSHL_TRY(L, tsh_normal(mean, std, nd, shape, dt, dev, &o));
    return tshL_push_new(L, o, next);
}

static int check_size_table(lua_State *L, int arg, int *nd, int64_t *shape)
{
    if (lua_type(L, arg) != LUA_TTABLE || tshL_is_options(L, arg))
        luaL_argerror(L, arg, lua_pushfstring(L, "size table expected, got %s (as in tensor.randint(0, 10, {3}))",
                                              lua_type(L, arg) == LUA_TTABLE ? "an options table" : luaL_typename(L, arg)));
    return tshL_check_shape(L, arg, nd, shape);
}

/* randint(high, size) or randint(low, high, size), then {dtype=, device=} */
static int l_randint(lua_State *L)
{
    lua_Integer low = 0, high;
    int sizearg = 3;
    if (lua_type(L, 2) == LUA_TTABLE) {
        high = luaL_checkinteger(L, 1);
        sizearg = 2;
    } else {
        low = luaL_checkinteger(L, 1);
        high = luaL_checkinteger(L, 2);
    }
    int nd;
    int64_t shape[TSH_MAX_DIMS];
    int next = check_size_table(L, sizearg, &nd, shape);
    tsh_dtype dt;
    tsh_device dev;
    read_opts(L, next, "randint", &dt, &dev);
    tsh_tensor *o;
    TSHL_TRY(L, tsh_randint(low, high, nd, shape, dt, dev, &o));
    return tshL_push_new(L, o, next);
}

static int l_randperm(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    tsh_dtype dt;
    tsh_device dev;
    read_opts(L, 2, "randperm", &dt, &dev);
    tsh_tensor *o;
    TSHL_TRY(L, tsh_randperm(n, dt, dev, &o));
    return tshL_push_new(L, o, 2);
}

/* The *_like forms: like's shape, and its dtype and device unless the
 * options table at opt says otherwise. */
enum { LIKE_RAND, LIKE_RANDN, LIKE_RANDINT };

static int make_like(lua_State *L, int opt, const char *fname, int kind, int64_t low, int64_t high)
{
    tsh_tensor *like = tshL_check(L, 1), *o;
    tshL_check_options(L, opt, fname, create_opts);
    tsh_dtype dt = tshL_opt_dtype(L, opt, "dtype", like->dtype);
    tsh_device dev = tshL_opt_device(L, opt, "device", like->storage->device);
    no_more(L, opt + 1);
    if (kind != LIKE_RANDINT && !tsh_dtype_is_float(dt))
        return luaL_error(L, "%s: dtype %s is not supported (expected a float dtype; pass {dtype='float32'})",
                          fname, tsh_dtype_name(dt));
    if (kind == LIKE_RAND) TSHL_TRY(L, tsh_rand(like->ndim, like->shape, dt, dev, &o));
    else if (kind == LIKE_RANDN) TSHL_TRY(L, tsh_randn(like->ndim, like->shape, dt, dev, &o));
    else TSHL_TRY(L, tsh_randint(low, high, like->ndim, like->shape, dt, dev, &o));
    return tshL_push_new(L, o, opt);
}

static int l_rand_like(lua_State *L) { return make_like(L, 2, "rand_like", LIKE_RAND, 0, 0); }
static int l_randn_like(lua_State *L) { return make_like(L, 2, "randn_like", LIKE_RANDN, 0, 0); }

/* randint_like(t, high) or randint_like(t, low, high) */
static int l_randint_like(lua_State *L)
{
    tshL_check(L, 1);
    lua_Integer low = 0, high = luaL_checkinteger(L, 2);
    int opt = 3;
    if (lua_type(L, 3) == LUA_TNUMBER) {
        low = high;
        high = luaL_checkinteger(L, 3);
        opt = 4;
    }
    return make_like(L, opt, "randint_like", LIKE_RANDINT, low, high);
}

/* bernoulli(p) draws with p's values; bernoulli(t, p_number) with one p. */
static int l_bernoulli(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1), *o;
    if (lua_isnoneornil(L, 2)) {
        TSHL_TRY(L, tsh_bernoulli(t, &o));
        tshL_push(L, o);
        return 1;
    }
    double p = check_plain_number(L, 2, "p");
    no_more(L, 3);
    TSHL_TRY(L, tsh_tensor_empty_like(t, t->dtype, &o));
    tshL_push(L, o);
    TSHL_TRY(L, tsh_bernoulli_(o, NULL, p));
    return 1;
}

/* ---- in-place fills ---- */

/* uniform_([from=0, to=1]) and normal_([mean=0, std=1]) */
static int fill_two_(lua_State *L, tsh_status (*fill)(tsh_tensor *, double, double))
{
    tsh_tensor *t = tshL_check(L, 1);
    double a = luaL_optnumber(L, 2, 0), b = luaL_optnumber(L, 3, 1);
    no_more(L, 4);
    TSHL_TRY(L, fill(t, a, b));
    lua_settop(L, 1);
    return 1;
}

static int l_uniform_(lua_State *L) { return fill_two_(L, tsh_uniform_); }
static int l_normal_(lua_State *L) { return fill_two_(L, tsh_normal_); }

/* random_(to) -> [0, to); random_(from, to) -> [from, to) */
static int l_random_(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1);
    lua_Integer low = 0, high = luaL_checkinteger(L, 2);
    if (!lua_isnoneornil(L, 3)) {
        low = high;
        high = luaL_checkinteger(L, 3);
    }
    no_more(L, 4);
    TSHL_TRY(L, tsh_random_(t, low, high));
    lua_settop(L, 1);
    return 1;
}

static int l_bernoulli_(lua_State *L)
{
    tsh_tensor *t = tshL_check(L, 1), *p = tshL_test(L, 2);
    double pf = p ? 0 : lua_isnoneornil(L, 2) ? 0.5 : check_plain_number(L, 2, "p (a number or a tensor)");
    no_more(L, 3);
    TSHL_TRY(L, tsh_bernoulli_(t, p, pf));
    lua_settop(L, 1);
    return 1;
}

static const tshL_Reg regs[] = {
    {"arange", l_arange, TSHL_FUNC,
     "tensor.arange([start=0,] end [, step=1], {dtype=, device=}) -> Tensor\n"
     "Values start, start+step, ... up to but excluding end (PyTorch's arange); length ceil((end-start)/step).\n"
     "int64 when all arguments are integers, else float32.\n"
     "  tensor.arange(5)             --> 0 1 2 3 4 (int64)\n  tensor.arange(0, 1, 0.25)    --> 0 0.25 0.5 0.75"},
    {"range", l_range, TSHL_FUNC,
     "tensor.range(start, end [, step=1], {dtype=, device=}) -> Tensor\n"
     "Torch7's range: like arange, but end is included when the steps land on it.\n"
     "  tensor.range(1, 4)           --> 1 2 3 4 (int64)"},
    {"linspace", l_linspace, TSHL_FUNC,
     "tensor.linspace(start, end, steps, {dtype=, device=}) -> Tensor\n"
     "steps evenly spaced values from start to end, both included (float32 by default).\n"
     "  tensor.linspace(0, 1, 5)     --> 0 0.25 0.5 0.75 1"},
    {"logspace", l_logspace, TSHL_FUNC,
     "tensor.logspace(start, end, steps [, base=10], {dtype=, device=}) -> Tensor\n"
     "base raised to steps evenly spaced exponents from start to end.\n"
     "  tensor.logspace(0, 3, 4)     --> 1 10 100 1000"},
    {"eye", l_eye, TSHL_FUNC,
     "tensor.eye(n [, m=n], {dtype=, device=}) -> Tensor\n"
     "An n x m matrix with ones on the diagonal and zeros elsewhere (float32 by default).\n"
     "  tensor.eye(3)"},
    {"manual_seed", l_manual_seed, TSHL_FUNC,
     "tensor.manual_seed(n)\n"
     "Seeds the Philox generator and resets its offset, so that the random ops that follow repeat exactly\n"
     "(on any thread count). The default seed at start is PyTorch's, 67280421310721.\n"
     "  tensor.manual_seed(42); local a = tensor.rand(3)"},
    {"seed", l_seed, TSHL_FUNC,
     "tensor.seed() -> integer\nSeeds the generator from the system's entropy and returns the seed used."},
    {"initial_seed", l_initial_seed, TSHL_FUNC,
     "tensor.initial_seed() -> integer\nThe seed the generator was last seeded with."},
    {"get_rng_state", l_get_rng_state, TSHL_FUNC,
     "tensor.get_rng_state() -> Tensor\n"
     "The generator's state as an int64 tensor {seed, offset} (offset counts Philox blocks used).\n"
     "  local s = tensor.get_rng_state(); local a = tensor.rand(2); tensor.set_rng_state(s)"},
    {"set_rng_state", l_set_rng_state, TSHL_FUNC,
     "tensor.set_rng_state(state)\n"
     "Restores a state from get_rng_state() (or a table {seed, offset}): the next draws repeat."},
    {"rand", l_rand, TSHL_FUNC,
     "tensor.rand(size..., {dtype=, device=}) -> Tensor\n"
     "Uniform samples in [0, 1) (float32: 24 random bits; float64: 53). size is integers or a table.\n"
     "  tensor.rand(2, 3)"},
    {"randn", l_randn, TSHL_FUNC,
     "tensor.randn(size..., {dtype=, device=}) -> Tensor\n"
     "Standard normal samples (mean 0, std 1), by Box-Muller.\n  tensor.randn(2, 3)"},
    {"normal", l_normal, TSHL_FUNC,
     "tensor.normal(mean, std, size..., {dtype=, device=}) -> Tensor\n"
     "Normal samples with the given mean and standard deviation (numbers).\n"
     "  tensor.normal(10, 2, {1000})"},
    {"randint", l_randint, TSHL_FUNC,
     "tensor.randint([low=0,] high, size, {dtype=, device=}) -> Tensor\n"
     "Uniform integers in [low, high) (high excluded, as PyTorch), int64 by default. size is a table.\n"
     "  tensor.randint(1, 7, {10})    -- ten dice rolls"},
    {"randperm", l_randperm, TSHL_FUNC,
     "tensor.randperm(n, {dtype=, device=}) -> Tensor\n"
     "A random permutation of 1..n (1-based, like every index in a tensor), int64 by default.\n"
     "  local idx = tensor.randperm(5)"},
    {"rand_like", l_rand_like, TSHL_FUNC,
     "tensor.rand_like(t, {dtype=, device=}) -> Tensor\nrand with t's shape, dtype and device."},
    {"randn_like", l_randn_like, TSHL_FUNC,
     "tensor.randn_like(t, {dtype=, device=}) -> Tensor\nrandn with t's shape, dtype and device."},
    {"randint_like", l_randint_like, TSHL_FUNC,
     "tensor.randint_like(t, [low=0,] high, {dtype=, device=}) -> Tensor\n"
     "randint over [low, high) with t's shape, dtype and device."},
    {"bernoulli", l_bernoulli, TSHL_BOTH,
     "tensor.bernoulli(p [, prob]) -> Tensor  (also p:bernoulli([prob]))\n"
     "0/1 draws: element i is 1 with probability p[i] (p a float tensor with values in [0, 1]),\n"
     "or with probability prob for every element when prob is given. The result has p's shape and dtype.\n"
     "  tensor.bernoulli(tensor.full({4}, 0.5))"},
    {"uniform_", l_uniform_, TSHL_METHOD,
     "t:uniform_([from=0, to=1]) -> t\nFills t in place with uniform samples in [from, to).\n"
     "  tensor.empty(3):uniform_(-1, 1)"},
    {"normal_", l_normal_, TSHL_METHOD,
     "t:normal_([mean=0, std=1]) -> t\nFills t in place with normal samples.\n  tensor.empty(3):normal_(0, 0.01)"},
    {"random_", l_random_, TSHL_METHOD,
     "t:random_([from=0,] to) -> t\nFills t in place with uniform integers in [from, to).\n"
     "  tensor.empty(5, {dtype='int64'}):random_(1, 7)"},
    {"bernoulli_", l_bernoulli_, TSHL_METHOD,
     "t:bernoulli_([p=0.5]) -> t\n"
     "Fills t in place with 0/1 draws, 1 with probability p (a number, or a float tensor broadcast to t).\n"
     "  tensor.empty(8):bernoulli_(0.25)"},
    {NULL, NULL, 0, NULL},
};

void tshL_open_create(lua_State *L) { tshL_register(L, regs); }
