-- fuzz_api.lua: calls every function of the tensor module, every Tensor
-- method, nn.functional, the nn constructors, optim, autograd and the
-- operators many times with arguments drawn from a pool of valid and invalid
-- values, each through pcall. tensh must never crash, abort, trip a
-- sanitizer or hang on them, and every failure must be a Lua error string
-- that says what went wrong. Not a correctness test: results are not checked.
--   tensh fuzz_api.lua [seed [calls]]     (FUZZ_VERBOSE=1 logs each call)
-- Deterministic for a seed: choices come from Lua's generator, values from
-- tensor.manual_seed. Run it from a scratch directory: tensor.save and the
-- like are called with the pool's strings as file names.
local script_dir = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = script_dir .. "/?.lua;" .. package.path
local T = require("testlib")

local SEED = math.tointeger(tonumber(arg[1])) or 1
local CALLS = math.tointeger(tonumber(arg[2])) or 20000
local VERBOSE = os.getenv("FUZZ_VERBOSE")
math.randomseed(SEED)
local rnd = math.random

local function choose(list) return list[rnd(#list)] end

-- ---------------------------------------------------------------- the pool

local DTYPES = {"float32", "float64", "int32", "int64", "uint8", "bool", "float16", "bfloat16"}
-- Small shapes of every class the core special-cases; nothing here may
-- grow past a few thousand elements whatever an op does with it.
local SHAPES = {{}, {0}, {1}, {3}, {2, 3}, {3, 2}, {2, 0, 3}, {1, 1}, {2, 3, 4, 4}, {1, 2, 1, 1, 1, 2, 1, 1}}

-- A tensor of shape s and dtype dt holding small values (ints 1..3 often,
-- so that index arguments are sometimes valid).
local function make(s, dt)
  local x = #s == 0 and tensor.randn({dtype = "float64"}) or tensor.randn(s, {dtype = "float64"})
  if rnd(2) == 1 then x = (x:abs() * 3):floor():clamp(0, 2) + 1 else x = x * 2 end
  return x:to(dt)
end

local NUMBERS = {0, 1, 2, 3, -1, -2, 7, 0.5, 1.0, 2.0, -0.0, 1e-300, 1e308, 1 / 0, -1 / 0, 0 / 0,
                 2 ^ 53, 2 ^ 40, 1 << 40, 1 << 53, 1 << 62, math.mininteger, math.maxinteger}
local STRINGS = {"", "x", "float32", "int64", "bool", "float16", "bfloat16", "cpu", "cuda", "cuda:1", "mean",
                 "sum", "none", "add", "multiply", "fro", "nan", "1", "-1", "a\0b", "%s%n%d", string.rep("z", 300)}

-- Files for load and read_idx: good ones of each format, and copies with
-- bytes flipped, windows overwritten with 0xff or cut short. Written to the
-- working directory; their names join the pool's strings.
-- Fixtures are copied in, never named by their path: the pool's strings
-- are written to by tensor.save.
local FIXTURES = {"deflated.npz", "f4_bigendian.npy", "f8_fortran.npy", "state_dict.safetensors", "empty.npy"}
local GOOD_FILES = {"good.safetensors", "good1.safetensors", "good.npy", "good.npz", "good.idx"}
for _, f in ipairs(FIXTURES) do GOOD_FILES[#GOOD_FILES + 1] = "fixture_" .. f end
local NBAD = 16
for _, f in ipairs(GOOD_FILES) do STRINGS[#STRINGS + 1] = f end
for i = 1, NBAD do STRINGS[#STRINGS + 1] = "bad" .. i end
STRINGS[#STRINGS + 1] = "/nonexistent/dir/f.safetensors"
STRINGS[#STRINGS + 1] = "."

local function be32(n) return string.pack(">I4", n) end

local function mutate(bytes)
  local r = rnd(4)
  if r == 1 or #bytes == 0 then return bytes:sub(1, rnd(0, #bytes)) end
  local b = {string.byte(bytes, 1, -1)}
  if r == 2 then
    for _ = 1, rnd(1, 8) do b[rnd(#b)] = rnd(0, 255) end
  elseif r == 3 then
    local at = rnd(math.min(#b, 64))
    for k = at, math.min(#b, at + 7) do b[k] = 255 end
  else
    local at = rnd(math.min(#b, 64))
    for k = at, math.min(#b, at + 3) do b[k] = rnd(0, 255) end
    for _ = 1, rnd(0, 16) do b[#b + 1] = rnd(0, 255) end
  end
  local out = {}
  for i = 1, #b, 4096 do out[#out + 1] = string.char(table.unpack(b, i, math.min(#b, i + 4095))) end
  return table.concat(out)
end

local function make_files()
  tensor.save("good.safetensors", {a = tensor.randn(2, 3), b = tensor{1, 2}, c = tensor.ones(0, 2):half()})
  tensor.save("good1.safetensors", tensor.randn(3))
  tensor.save("good.npy", tensor.randn(2, 2, {dtype = "float64"}))
  tensor.save("good.npz", {x = tensor{1, 2, 3}, y = tensor.ones(2, 2):bool()})
  T.write("good.idx", "\0\0\8\2" .. be32(2) .. be32(3) .. "abcdef") -- uint8, 2x3
  for _, f in ipairs(FIXTURES) do T.write("fixture_" .. f, T.slurp(script_dir .. "/../fixtures/" .. f)) end
  for i = 1, NBAD do T.write("bad" .. i, mutate(T.slurp(choose(GOOD_FILES)))) end
end

local function noop() end
local FUNCTIONS = {noop, function() error("boom") end, function(...) return ... end,
                   function() return tensor.ones(2, 3, {requires_grad = true}):sum() end,
                   function() return 1 << 62 end, function() error({}) end}

local pool -- rebuilt every REBUILD calls: in-place ops change its tensors
local REBUILD = 150

local function odd_tables()
  local cyc = {}
  cyc[1] = cyc
  local deep = {1}
  for _ = 1, 300 do deep = {deep} end
  local errs = setmetatable({}, {__index = function() error("index trap") end,
                                 __len = function() return 1 << 62 end})
  local huge_len = setmetatable({1, 2}, {__len = function() return 1 << 40 end})
  return {{}, {1}, {2, 3}, {3, 2}, {-1}, {-1, 3}, {0}, {0, 3}, {1 << 40}, {1 << 62, 1 << 62}, {2 ^ 62},
          {1.5}, {1, "a"}, {{1, 2}, {3}}, {{1, 2}, {3, 4}}, {{{1}}}, {true, false}, {1, nil, 3},
          {[1] = 1, [3] = 3}, {n = 1}, cyc, deep, errs, huge_len, {0 / 0, 1 / 0}, {math.mininteger},
          {dtype = "float64"}, {dtype = "nope"}, {dtype = 5}, {dtyp = "float32"}, {requires_grad = true},
          {requires_grad = "yes"}, {dim = 1}, {dim = 1 << 62}, {keepdim = true}, {keepdim = "x"},
          {reduction = "sum"}, {reduction = "bad"}, {padding = 1}, {padding = -1}, {stride = 0},
          {stride = 1 << 62}, {kernel_size = 1 << 40}, {lr = 0.1}, {lr = -1}, {lr = 0 / 0}, {momentum = 2},
          {betas = {0.9}}, {weight_decay = "x"}, {ignore_index = 1 << 62}, {p = 2}, {p = 1.5}, {eps = -1},
          {min = 1, max = 0}, {device = "cuda"}, {precision = 1 << 62}, {threshold = -1},
          {linewidth = 0}, {edgeitems = 1 << 40}, {alpha = 0 / 0}, {value = {}}}
end

local function build_pool()
  tensor.manual_seed(SEED)
  local tensors, by_shape = {}, {}
  for si, s in ipairs(SHAPES) do
    by_shape[si] = {}
    for _, dt in ipairs(DTYPES) do
      local t = make(s, dt)
      tensors[#tensors + 1] = t
      by_shape[si][#by_shape[si] + 1] = t
    end
  end
  local base = tensor.randn(3, 4)
  local extra = {
    base:t(), base[{{}, {2, 3}}], base:narrow(2, 2, 2):t(), tensor.ones(3):expand(2, 3),
    tensor{1, 2}:expand(4, 1, 2), tensor(5):expand(3, 3), tensor{1, 2}, tensor{{1}, {2}}, tensor{{1, 2, 3}},
    tensor{true, false, true}, tensor.ones(2, 3):bool(), tensor.randn(2, 3, {requires_grad = true}),
    tensor.randn(3, {dtype = "float64", requires_grad = true}), tensor{0 / 0, 1 / 0, -1 / 0},
    tensor{math.mininteger, math.maxinteger}, tensor{-1, 0, 4}, tensor.randn(2, 3, 5),
    tensor.randn(1, 3, 5, 5, {requires_grad = true}), tensor.randn(4, 3), tensor.ones(3, 3), tensor.zeros(2, 2, 2):transpose(1, 3),
  }
  local g = tensor.randn(2, 2, {requires_grad = true})
  g:sum():backward()
  extra[#extra + 1] = g
  extra[#extra + 1] = g:sum() -- a non-leaf 0-dim
  for _, s in ipairs(SHAPES) do -- leaves for the backward rules
    for _, dt in ipairs({"float32", "float64"}) do extra[#extra + 1] = make(s, dt):requires_grad_() end
  end
  for _, t in ipairs(extra) do tensors[#tensors + 1] = t end
  local nn = _G.nn
  -- (nil is drawn apart: in a list it would end it)
  local others = {true, false, coroutine.create(noop), io.stdout, tensor, nn.Linear(3, 2), nn.ReLU(),
                  base:size(), string, setmetatable({}, {__name = "tensh.Tensor"})}
  pool = {tensors = tensors, by_shape = by_shape, tables = odd_tables(), others = others}
end

-- Results of earlier calls (small ones) are drawn too, so that ops chain:
-- the outputs of sort, nonzero, views of views, non-leaf tensors.
local recent, RECENT = {}, 64
local function remember(v)
  if not tensor.is_tensor(v) or v:numel() > 4096 then return end
  if #recent < RECENT then recent[#recent + 1] = v else recent[rnd(RECENT)] = v end
end

local function pick_tensor()
  if #recent > 0 and rnd(4) == 1 then return choose(recent) end
  return choose(pool.tensors)
end
-- A tensor of the same shape as t (another dtype), often what an op wants.
local function pick_like(t)
  for _, group in ipairs(pool.by_shape) do
    if group[1]:dim() == t:dim() and group[1]:numel() == t:numel() then return choose(group) end
  end
  return pick_tensor()
end

-- Wild draws: anything in the pool.
local function pick_wild(prev)
  local r = rnd(100)
  if r <= 22 then return pick_tensor()
  elseif r <= 32 then return tensor.is_tensor(prev) and pick_like(prev) or pick_tensor()
  elseif r <= 52 then return choose(NUMBERS)
  elseif r <= 55 then return rnd(1, 4) -- a small valid size or index
  elseif r <= 70 then return choose(pool.tables)
  elseif r <= 78 then return choose(STRINGS)
  elseif r <= 82 then return nil
  elseif r <= 90 then return choose(pool.others)
  else return choose(FUNCTIONS) end
end

-- Plausible draws: what a working call is made of, so that calls get past
-- the argument checks into the front end and the kernels.
local PLAUSIBLE_NUMBERS = {0.5, 2.0, 0, 1e-3}
local GOOD_OPTS = {{keepdim = true}, {dim = 1}, {dtype = "float64"}, {dtype = "int64"}, {}, {dim = -1}}
local function pick_plausible(prev, self)
  local r = rnd(100)
  if r <= 35 then return tensor.is_tensor(self) and pick_like(self) or pick_tensor()
  elseif r <= 45 then return pick_tensor()
  elseif r <= 70 then return rnd(1, 3)
  elseif r <= 75 then return -1
  elseif r <= 82 then return choose(PLAUSIBLE_NUMBERS)
  elseif r <= 88 then return choose(GOOD_OPTS)
  elseif r <= 92 then return {rnd(1, 3), rnd(1, 3)}
  elseif r <= 95 then return nil
  else return pick_wild(prev) end
end

-- n arguments (n may be 0); some nils in the middle, as users leave them.
local function args(first)
  local plausible = rnd(2) == 1
  local n = plausible and rnd(0, 3) or rnd(0, 5)
  local a, prev = {n = n}, first
  for i = 1, n do
    a[i] = plausible and pick_plausible(prev, first) or pick_wild(prev)
    prev = a[i]
  end
  return a
end

-- ---------------------------------------------------------------- recipes

-- Ops whose arguments must fit together (matrix products, indices, conv)
-- seldom meet a valid call by chance; a recipe builds one, then the draws
-- below bend it: a size, an index or a dtype is off now and then, and
-- tensors come in every layout (0-size dims, transposed, expanded).
local function vi(lo, hi) -- an integer in lo..hi, or an edge now and then
  if rnd(8) > 1 then return rnd(lo, hi) end
  return choose({0, -1, hi + 1, lo - 1, 1 << 62, math.maxinteger, math.mininteger})
end
local function sz() return rnd(8) == 1 and 0 or rnd(1, 3) end
local function near(k) return rnd(8) > 1 and k or choose({0, k + 1}) end -- a size that may not fit
local function dt()
  if rnd(5) > 2 then return rnd(2) == 1 and "float32" or "float64" end
  return choose(DTYPES)
end

-- A tensor of shape s: contiguous, or transposed from a larger one, or a
-- stride-0 expansion of a size-1 dim.
local function rt(s, dtype)
  dtype = dtype or dt()
  local r = rnd(6)
  if r == 1 and #s >= 2 then
    local u = {table.unpack(s)}
    u[1], u[#u] = u[#u], u[1]
    return make(u, dtype):transpose(1, #u)
  elseif r == 2 and #s >= 1 and s[1] > 0 then
    local u = {table.unpack(s)}
    u[1] = 1
    return make(u, dtype):expand(s)
  end
  return make(s, dtype)
end

-- An int64 tensor of shape s of positions base..n (base 1 unless told; an
-- edge or another dtype sometimes).
local function idx(s, n, base)
  local x = #s == 0 and tensor.rand({dtype = "float64"}) or tensor.rand(s, {dtype = "float64"})
  x = (x * math.max(n, 1)):floor():long() + (base or 1)
  if rnd(6) == 1 and x:numel() > 0 then x:view(-1)[1] = choose({0, -1, n + 1, 1 << 62}) end
  if rnd(10) == 1 then x = x:to(choose(DTYPES)) end
  return x
end

local function matmul_args()
  local m, k, n, b = sz(), sz(), sz(), sz()
  local forms = {{{k}, {k}}, {{m, k}, {k}}, {{k}, {k, n}}, {{m, k}, {k, n}}, {{b, m, k}, {k, n}},
                 {{b, m, k}, {b, k, n}}, {{1, m, k}, {b, k, n}}, {{m, k}, {b, k, n}}}
  local f = choose(forms)
  if rnd(8) == 1 then f[2][1] = f[2][1] + 1 end -- sizes that do not fit
  return rt(f[1]), rt(f[2])
end

local function shape(nd)
  local s = {}
  for i = 1, nd do s[i] = sz() end
  return s
end

local function index_args(with_src)
  local s = shape(rnd(1, 3))
  local t = rt(s)
  local d = vi(1, #s)
  local dd = math.max(1, math.min(#s, d))
  local len = sz()
  local i = idx({len}, s[dd])
  if not with_src then return t, d, i end
  local ss = {table.unpack(s)}
  ss[dd] = len
  return t, d, i, rt(ss, rnd(3) == 1 and dt() or t:dtype())
end

local function gather_args(src)
  local s = shape(rnd(1, 3))
  local t = rt(s)
  local d = vi(1, #s)
  local dd = math.max(1, math.min(#s, d))
  local is = {}
  for k = 1, #s do is[k] = rnd(0, s[k]) end
  is[dd] = rnd(0, 3)
  local i = idx(is, s[dd])
  if src then return t, d, i, rt(is, rnd(3) == 1 and dt() or t:dtype()) end
  return t, d, i
end

local function image(n, c, h, w) return rt({n or sz(), c or sz(), h or rnd(0, 5), w or rnd(0, 5)}) end

local function conv_args()
  local c, g = sz(), choose({1, 1, 2, 3})
  local o = sz() * (rnd(4) == 1 and 1 or g)
  local kk = rnd(1, 3)
  local opts = {stride = vi(1, 2), padding = vi(0, 2), dilation = vi(1, 2), groups = g}
  return image(nil, c * g), rt({o, c, kk, kk}), rnd(2) == 1 and rt({o}) or nil, opts
end

local function pool_opts()
  return {stride = rnd(2) == 1 and vi(1, 3) or nil, padding = vi(0, 1), ceil_mode = rnd(2) == 1}
end

local function nll_args()
  local n, c = sz(), sz()
  local input = rnd(4) == 1 and rt({n, c, rnd(1, 2), rnd(1, 2)}) or rt({n, c})
  local ts = input:dim() == 4 and {n, input:size(3), input:size(4)} or {n}
  local target = idx(ts, c, rnd(0, 1)) -- 1-based, or off by one
  local opts = {reduction = choose({"mean", "sum", "none"}), ignore_index = rnd(3) == 1 and vi(0, c) or nil,
                weight = rnd(4) == 1 and rt({c}) or nil}
  return input, target, opts
end

-- Each scheduler's own options, values bent now and then.
local SCHED_OPTS = {
  StepLR = function() return {step_size = vi(1, 3), gamma = choose({0.5, 0.1, 0, -1, 0 / 0})} end,
  MultiStepLR = function() return {milestones = {vi(1, 3), vi(1, 5)}, gamma = choose({0.5, 2})} end,
  ExponentialLR = function() return {gamma = choose({0.9, 0, -1, 1 / 0})} end,
  CosineAnnealingLR = function() return {T_max = vi(1, 5), eta_min = choose({0, 0.01, -1})} end,
  LambdaLR = function()
    return {lr_lambda = choose({function(e) return 0.9 ^ e end, function() return 0 / 0 end,
                                function() error("boom") end, function() return "x" end})}
  end,
  OneCycleLR = function() return {max_lr = choose({0.1, 1, 0 / 0}), total_steps = vi(1, 5)} end,
}

local function with_opt(...)
  local p = tensor.randn(2, {requires_grad = true})
  return optim.SGD({p}, {lr = 0.1}), ...
end

local RECIPES = {
  mm = function() local m, k, n = sz(), sz(), sz() return rt({m, k}), rt({near(k), n}) end,
  bmm = function() local b, m, k, n = sz(), sz(), sz(), sz() return rt({b, m, k}), rt({near(b), k, n}) end,
  matmul = matmul_args,
  addmm = function()
    local m, k, n = sz(), sz(), sz()
    return rt({rnd(2) == 1 and m or 1, n}), rt({m, k}), rt({k, n}), {beta = choose({0, 1, 0.5}), alpha = choose({1, 2.0})}
  end,
  dot = function() local k = sz() return rt({k}), rt({near(k)}) end,
  mv = function() local m, k = sz(), sz() return rt({m, k}), rt({near(k)}) end,
  outer = function() return rt({sz()}), rt({sz()}) end,
  gather = function() return gather_args(false) end,
  take_along_dim = function() local t, d, i = gather_args(false) return t, i, d end,
  scatter = function()
    local t, d, i, src = gather_args(true)
    return t, d, i, rnd(3) == 1 and 2.5 or src, rnd(3) == 1 and {reduce = choose({"add", "multiply"})} or nil
  end,
  scatter_add = function() return gather_args(true) end,
  index_select = function() return index_args(false) end,
  index_add = function() return index_args(true) end,
  index_copy = function() return index_args(true) end,
  index_fill = function() local t, d, i = index_args(false) return t, d, i, choose({0, 1.5, true, 1 << 62}) end,
  masked_scatter = function()
    local s = shape(rnd(1, 3))
    return rt(s), rt(s, "bool"), rt({rnd(0, 30)})
  end,
  cat = function()
    local s = shape(rnd(1, 3))
    local u = {table.unpack(s)}
    local d = rnd(1, #s)
    u[d] = sz()
    return {rt(s), rt(u), rnd(2) == 1 and rt(s) or nil}, vi(1, #s)
  end,
  stack = function() local s = shape(rnd(0, 3)) return {rt(s), rt(s)}, vi(1, #s + 1) end,
  narrow = function() local s = shape(rnd(1, 3)) return rt(s), vi(1, #s), vi(1, 3), vi(0, 3) end,
  select = function() local s = shape(rnd(1, 3)) return rt(s), vi(1, #s), vi(1, 3) end,
  unfold = function() local s = shape(rnd(1, 3)) return rt(s), vi(1, #s), vi(0, 3), vi(1, 2) end,
  cumsum = function() local s = shape(rnd(0, 3)) return rt(s), vi(1, math.max(1, #s)) end,
  softmax = function() local s = shape(rnd(0, 3)) return rt(s), vi(1, math.max(1, #s)) end,
  full = function() return shape(rnd(0, 3)), choose({1, 2.5, true, 0 / 0, 1 << 62}), {dtype = dt()} end,
  randint = function() return vi(0, 2), vi(3, 5), shape(rnd(1, 3)), {dtype = dt()} end,
  normal = function() return choose({0, 1.5, rt({2})}), choose({1, 0, -1, rt({2})}), shape(rnd(1, 2)) end,
  logspace = function() return vi(-2, 2), vi(-2, 2), vi(0, 5), choose({10, 2, 0, -1}), {dtype = dt()} end,
  conv2d = conv_args,
  max_pool2d = function() return image(), vi(1, 3), pool_opts() end,
  avg_pool2d = function() return image(), vi(1, 3), pool_opts() end,
  batch_norm = function()
    local c = sz()
    return image(nil, c), rt({c}), rt({near(c)}), {weight = rnd(2) == 1 and rt({c}) or nil, training = rnd(2) == 1}
  end,
  cross_entropy = nll_args,
  nll_loss = nll_args,
  embedding = function() local n = rnd(1, 4) return idx(shape(rnd(1, 2)), n), rt({n, sz()}) end,
  gradcheck = function()
    local x = rt({sz()}, "float64"):detach():requires_grad_()
    return choose({function(a) return a:sin() end, function(a) return a:sum() end, function() return 1 end}), {x}
  end,
  calculate_gain = function() return choose({"relu", "leaky_relu", "tanh", "selu", "linear"}), choose({0.2, -1, nil}) end,
  linear = function()
    local i, o = sz(), sz()
    return rt({sz(), i}), rt({o, near(i)}), rnd(2) == 1 and rt({near(o)}) or nil
  end,
  layer_norm = function()
    local s = shape(rnd(1, 3))
    local ns = {s[#s]}
    return rt(s), rnd(4) == 1 and {near(s[#s])} or ns, {weight = rnd(2) == 1 and rt(ns) or nil,
                                                         bias = rnd(2) == 1 and rt(ns) or nil, eps = choose({1e-5, 0})}
  end,
  log_softmax = function() local s = shape(rnd(0, 3)) return rt(s), vi(1, math.max(1, #s)) end,
  binary_cross_entropy_with_logits = function()
    local s = shape(rnd(0, 2))
    return rt(s), rt(s), {reduction = choose({"mean", "sum", "none"}), pos_weight = rnd(3) == 1 and rt({1}) or nil}
  end,
  ger = function() return rt({sz()}), rt({sz()}) end,
  backward = function()
    local x = rt(shape(rnd(0, 2)), choose({"float32", "float64"})):detach():requires_grad_()
    local y = choose({x:sin(), x:sum(), x * 2, x:t()})
    return y, rnd(2) == 1 and rt(y:size()) or nil
  end,
  unflatten = function() return optim.flatten({a = {b = tensor{1.0}, c = 2, d = true}, e = "x"}) end,
  StepLR = function() return with_opt(SCHED_OPTS.StepLR()) end,
  MultiStepLR = function() return with_opt(SCHED_OPTS.MultiStepLR()) end,
  ExponentialLR = function() return with_opt(SCHED_OPTS.ExponentialLR()) end,
  CosineAnnealingLR = function() return with_opt(SCHED_OPTS.CosineAnnealingLR()) end,
  LambdaLR = function() return with_opt(SCHED_OPTS.LambdaLR()) end,
  OneCycleLR = function() return with_opt(SCHED_OPTS.OneCycleLR()) end,
}
for _, k in ipairs({"index_add_", "index_copy_", "index_fill_", "scatter_", "scatter_add_", "masked_scatter_"}) do
  RECIPES[k] = RECIPES[k:sub(1, -2)]
end
RECIPES.concat = RECIPES.cat

-- The recipe's arguments, with one of them replaced by a wild draw now and then.
local function recipe_args(r)
  local ok, a = pcall(function() return table.pack(r()) end)
  if not ok then error("a recipe failed: " .. tostring(a)) end
  if rnd(4) == 1 and a.n > 0 then a[rnd(a.n)] = pick_wild() end
  return a
end

-- ---------------------------------------------------------------- checks

-- A loop in Lua (the stdlib's, or one the pool's values send it into) is
-- stopped by an instruction budget: 2*10^7 instructions, ten times what the
-- most expensive call here takes, so a hang becomes a failure that names
-- its call instead of a test killed by ctest's timeout.
local HOOK_EVERY, BUDGET = 1000000, 20
local HANG = "fuzz: the call ran past its instruction budget"
local budget
local function count_hook()
  budget = budget - 1
  if budget < 0 then error(HANG, 2) end
end

local stats = {calls = 0, ok = 0, errors = 0}
local bad = {}     -- message -> first call that made it
local nbad = 0

-- A message is bad when it is not a string, is empty, is a Lua run-time
-- error from inside tensh ("attempt to index a nil value"), or neither
-- names the function (or the op it runs, for an alias: view_as says
-- "view: ...") nor says what was expected.
local RAW = {"^%(null%)", "^Success", "^Invalid argument", "^No such file", "^$", "^nil$",
             "attempt to ", "C stack overflow", "stack overflow", "not enough memory"}
local SAYS = {"expected", "must", "got", "bad argument"}
local LUA_OWN = {"attempt to ", "bad argument #%d+ to 'for iterator'"} -- Lua's own, for the operator calls

local function names_something(msg, fname)
  if fname and msg:find(fname, 1, true) then return true end
  if msg:find("^[%w_.]+: ") or msg:find("^[%w_.]+%(%): ") then return true end
  for _, w in ipairs(SAYS) do if msg:find(w, 1, true) then return true end end
  return false
end

local function describe_call(what, a)
  local parts = {}
  for i = 1, a.n do
    local v = a[i]
    if tensor.is_tensor(v) then
      local s = {}
      for d = 1, v:dim() do s[d] = v:size(d) end
      parts[i] = string.format("<%s %s%s>", v:dtype(), table.concat(s, "x"), v:is_contiguous() and "" or " nc")
    elseif type(v) == "string" then parts[i] = string.format("%q", v)
    else parts[i] = tostring(v) end
  end
  return what .. "(" .. table.concat(parts, ", ") .. ")"
end

local function judge(what, fname, a, ok, err, lua_own)
  stats.calls = stats.calls + 1
  if ok then stats.ok = stats.ok + 1 return end
  stats.errors = stats.errors + 1
  local why
  if type(err) ~= "string" then
    -- a user function of the pool may raise a table; anything else is ours
    if not (type(err) == "table" and next(err) == nil) then why = "error is a " .. type(err) end
  else
    local msg = err:gsub("^[^:\n]*:%d+: ", ""):gsub("%%s%%n%%d", "<fmt>") -- (the pool's format string)
    if lua_own then
      for _, p in ipairs(LUA_OWN) do if msg:find(p) then return end end
    end
    if msg:find(HANG, 1, true) then why = "hang" end
    if msg:find("boom$") or msg:find("index trap$") then return end -- raised by the pool's own values
    for _, p in ipairs(RAW) do if msg:find(p) then why = "raw message" break end end
    if not why and fname and not names_something(msg, fname) then why = "names nothing: " .. tostring(fname) end
  end
  if why then
    local key = tostring(err):gsub("%d+", "N")
    if not bad[key] then
      nbad = nbad + 1
      bad[key] = string.format("%s: %s\n    from %s", why, tostring(err), describe_call(what, a))
    end
  end
end

local function after_call(what)
  if not tensor.is_grad_enabled() and what ~= "tensor.set_grad_enabled" then
    local key = "grad mode left off"
    if not bad[key] then
      nbad = nbad + 1
      bad[key] = "grad mode left off after " .. what
    end
  end
  tensor.set_grad_enabled(true)
  if tensor.get_num_threads() ~= 1 then tensor.set_num_threads(1) end
end

-- ---------------------------------------------------------------- callers

-- Calls compiled as a user writes them, so that messages name the function
-- as they do in a session (t:sum(...), tensor.zeros(...), F.relu(...)).
local compiled = {}
local function caller(src)
  local f = compiled[src]
  if not f then
    f = assert(load("local tensor, nn, optim, autograd, M = ... return function(s, ...) " .. src .. " end"))(
      tensor, nn, optim, autograd, debug.getregistry()["tensh.methods"])
    compiled[src] = f
  end
  return f
end

-- A call that takes longer than this is reported (not failed: tests never
-- assert on time): nothing in the pool is big enough to need it, so it
-- means work proportional to an absurd size.
local SLOW = 1.0
local clock = tensor.perf_counter
local spent = {} -- seconds per target, for FUZZ_VERBOSE's summary
local succeeded = {} -- targets that returned at least once

local function run(what, fname, f, a, lua_own, self)
  if VERBOSE then
    io.stderr:write(stats.calls + 1, " ", describe_call(what, a), "\n")
    io.stderr:flush()
  end
  local t = clock()
  budget = BUDGET
  debug.sethook(count_hook, "", HOOK_EVERY)
  local ok, err = pcall(f, self, table.unpack(a, 1, a.n))
  debug.sethook()
  t = clock() - t
  spent[what] = (spent[what] or 0) + t
  if ok then succeeded[what] = true end
  if t > SLOW then
    io.stderr:write(string.format("SLOW %.2f s: %s\n", t, describe_call(what, a)))
  end
  judge(what, fname, a, ok, err, lua_own)
  after_call(what)
  return ok, err
end

-- tensor.seed reseeds from the clock: a run would depend on the time.
-- (set_num_threads is fuzzed, and reset after each call.)
local SKIP = {seed = true}

local function sorted_keys(t, filter)
  local ks = {}
  for k, v in pairs(t) do if type(k) == "string" and (not filter or filter(v)) then ks[#ks + 1] = k end end
  table.sort(ks)
  return ks
end

local is_fn = function(v) return type(v) == "function" end
local targets = {}
for _, name in ipairs(sorted_keys(tensor, is_fn)) do
  if not SKIP[name] then targets[#targets + 1] = {"tensor." .. name, name, "return tensor['" .. name .. "'](...)"} end
end
targets[#targets + 1] = {"tensor", "tensor", "return tensor(...)"}
local methods = debug.getregistry()["tensh.methods"]
for _, name in ipairs(sorted_keys(methods, is_fn)) do
  local call = name == "repeat" and 's["repeat"](s, ...)' or "s:" .. name .. "(...)"
  targets[#targets + 1] = {"t:" .. name, name, "return " .. call, method = true,
                           direct = "return M['" .. name .. "'](s, ...)"}
end
local F = nn.functional
for _, name in ipairs(sorted_keys(F, is_fn)) do
  targets[#targets + 1] = {"F." .. name, name, "return nn.functional." .. name .. "(...)"}
end
for _, name in ipairs(sorted_keys(nn.init, is_fn)) do
  targets[#targets + 1] = {"nn.init." .. name, name, "return nn.init." .. name .. "(...)"}
end
for _, name in ipairs({"Parameter", "is_module", "is_parameter", "isinstance"}) do
  targets[#targets + 1] = {"nn." .. name, name, "return nn." .. name .. "(...)"}
end
targets[#targets + 1] = {"autograd.gradcheck", "gradcheck", "return autograd.gradcheck(...)"}
for _, name in ipairs(sorted_keys(optim, is_fn)) do
  targets[#targets + 1] = {"optim." .. name, name, "return optim." .. name .. "(...)", optim = true}
end
for _, name in ipairs(sorted_keys(optim.lr_scheduler, is_fn)) do
  targets[#targets + 1] = {"lr_scheduler." .. name, name, "return optim.lr_scheduler." .. name .. "(...)",
                           sched = true}
end
local NN_CLASSES = sorted_keys(nn, function(v) return nn.is_module ~= v and type(v) == "table" and v.__name end)
for _, name in ipairs(NN_CLASSES) do
  if name ~= "Module" then targets[#targets + 1] = {"nn." .. name, name, "return nn." .. name .. "(...)", nn = true} end
end

-- The operators and indexing, with Lua's own messages allowed (t < t).
local OPS = {"s + a", "s - a", "s * a", "s / a", "s // a", "s % a", "s ^ a", "a + s", "a - s", "a * s", "a / s",
             "a // s", "a % s", "a ^ s", "-s", "s == a", "s < a", "s <= a", "s .. a", "#s", "tostring(s)",
             "s(a)", "s[a]", "s[a] = b", "s[{a, b}]", "s[{a, b}] = c", "s[a][b]", "s[{a, {b, c}}]", "s.x = a"}
for _, op in ipairs(OPS) do
  local body = "local a, b, c = ... " .. (op:find("[%]x] = ") and op or ("return " .. op))
  targets[#targets + 1] = {"op " .. op, nil, body, method = true, lua_own = true}
end

-- What a constructed nn module, optimizer or scheduler is then asked to do.
local MODULE_CALLS = {"return s(...)", "return s:forward(...)", "return s:parameters(...)", "return s:train(...)",
                      "return s:eval(...)", "return s:state_dict(...)", "return s:load_state_dict(...)",
                      "return s:to(...)", "return s:zero_grad(...)", "return tostring(s)", "return s:apply(...)",
                      "return s:named_parameters(...)", "return s:add_module(...)", "return s:double(...)"}
local OPTIM_CALLS = {"return s:step(...)", "return s:zero_grad(...)", "return s:state_dict(...)",
                     "return s:load_state_dict(...)", "return s:add_param_group(...)"}
local SCHED_CALLS = {"return s:step(...)", "return s:get_last_lr(...)", "return s:state_dict(...)",
                     "return s:load_state_dict(...)"}

local function follow_up(tgt, obj)
  local list = tgt.nn and MODULE_CALLS or tgt.optim and OPTIM_CALLS or SCHED_CALLS
  for _ = 1, 3 do
    local src = choose(list)
    local a = args()
    if tgt.nn and src == "return s(...)" and rnd(2) == 1 then a = {n = 1, pick_tensor()} end
    run(tgt[1] .. " then " .. src, tgt[2], caller(src), a, false, obj)
  end
end

-- Valid-looking arguments for the constructors, so that the follow-up calls
-- get an object often enough.
local function params_args()
  local p = {tensor.randn(3, {requires_grad = true}), tensor.randn(2, 2, {requires_grad = true})}
  local a = {n = 2, p, choose({{lr = 0.1}, {lr = 0.01, momentum = 0.9}, {}, choose(pool.tables)})}
  if rnd(3) == 1 then p[1]:sum():backward() end
  return a
end

local function fuzz_one()
  local tgt = choose(targets)
  local f = caller(tgt[3])
  local self, a
  local r = RECIPES[tgt[2]]
  if r and rnd(3) > 1 then
    a = recipe_args(r)
    -- a method gets the recipe's first argument as self
    if tgt.method and not tgt.lua_own then
      self = a[1]
      a = table.pack(table.unpack(a, 2, a.n))
      if not tensor.is_tensor(self) then f = caller(tgt.direct) end
    end
  elseif tgt.method then
    self = rnd(10) <= 9 and pick_tensor() or pick_wild()
    -- a method on a non-tensor: the method itself, as t.sum(x) would call it
    if tgt.direct and not tensor.is_tensor(self) then f = caller(tgt.direct) end
    a = args(self)
  elseif tgt.optim and rnd(2) == 1 then
    a = params_args()
  elseif tgt.sched and rnd(2) == 1 then
    local p = tensor.randn(2, {requires_grad = true})
    local o = optim.SGD({p}, {lr = 0.1})
    a = args()
    table.insert(a, 1, o)
    a.n = math.min(a.n + 1, 5)
  else
    a = args()
    if tgt.nn and rnd(2) == 1 then
      for i = 1, a.n do if rnd(2) == 1 then a[i] = rnd(1, 4) end end
    end
  end
  local ok, obj = run(tgt[1], tgt[2], f, a, tgt.lua_own, self)
  if ok then
    remember(obj)
    -- through the op's backward rule, when it has one
    if tensor.is_tensor(obj) and obj.requires_grad and rnd(2) == 1 then
      run(tgt[1] .. " then backward", "backward", caller("return s:sum():backward(...)"), {n = 0}, false, obj)
    end
  end
  if ok and (tgt.nn and nn.is_module(obj) or tgt.optim and optim.is_optimizer(obj)
             or tgt.sched and type(obj) == "table" and obj.step) then
    follow_up(tgt, obj)
  end
end

-- Every damaged file through every reader.
local function load_files()
  for k = 1, NBAD do
    local a = {n = 1, "bad" .. k}
    run("tensor.load", "load", caller("return tensor.load(...)"), a, false)
    run("tensor.read_idx", "read_idx", caller("return tensor.read_idx(...)"), a, false)
  end
end

-- ---------------------------------------------------------------- main

tensor.set_num_threads(1)
make_files()
build_pool()
local t0 = clock()
for i = 1, CALLS do
  if i % REBUILD == 0 then
    build_pool()
    recent = {}
    if i % (REBUILD * 2) == 0 then
      make_files()
      load_files()
    end
    collectgarbage()
  end
  fuzz_one()
end

if VERBOSE then
  local ks = sorted_keys(spent)
  table.sort(ks, function(x, y) return spent[x] > spent[y] end)
  for i = 1, math.min(10, #ks) do io.stderr:write(string.format("TIME %.2f s %s\n", spent[ks[i]], ks[i])) end
  local never = {}
  for _, tgt in ipairs(targets) do if not succeeded[tgt[1]] then never[#never + 1] = tgt[1] end end
  io.stderr:write("NEVER OK (", #never, "): ", table.concat(never, " "), "\n")
end
-- What the calls may have written: a file for each string and number.
for _, name in ipairs(STRINGS) do os.remove(name) end
for _, x in ipairs(NUMBERS) do os.remove(tostring(x)) end
for _, x in ipairs(PLAUSIBLE_NUMBERS) do os.remove(tostring(x)) end
for i = -1, 4 do os.remove(tostring(i)) end

local names = sorted_keys(bad)
for _, k in ipairs(names) do io.stderr:write("BAD ", bad[k], "\n") end
io.write(string.format("fuzz seed %d: %d calls (%d ok, %d errors) over %d targets in %.1f s; %d bad messages\n",
                       SEED, stats.calls, stats.ok, stats.errors, #targets, clock() - t0, nbad))
T.test("no bad messages", function() T.eq(nbad, 0, "bad messages") end)
-- the interpreter is still usable after all that
T.test("still usable", function() T.eq(tensor.ones(2, 3):sum():item(), 6.0) end)
T.done()
