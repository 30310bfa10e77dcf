-- test_optim.lua: optim.SGD, Adam, AdamW and RMSprop: updates against the
-- formulas written out here in plain Lua numbers (float64 tensors, tight
-- tolerance), against torch 1.13's numbers (tests/fixtures/optim_expected.lua,
-- made by make_optim_expected.py; float32), parameter groups, zero_grad,
-- step(closure), state_dict round trips through tensor.save, help texts and
-- bad calls. Gradients are set by hand (p.grad = ...), not by backward().
local T = require("testlib")
local here = arg[0]:match("^(.*)/[^/]*$") or "."
local expected = dofile(here .. "/../fixtures/optim_expected.lua")

-- The problem of make_optim_expected.py: two parameters and four steps of
-- gradients (nil: .grad left unset, so the parameter is skipped).
local P0 = {{{0.5, -1.0}, {1.5, 2.0}}, {0.1, -0.2, 0.3}}
local GRADS = {
  {{{0.3, -0.6}, {0.9, -1.2}}, {0.5, 0.25, -0.75}},
  {{{-0.2, 0.4}, {0.1, 0.05}}, nil},
  {{{0.01, -0.02}, {0.03, -0.04}}, {-0.1, 0.2, 0.05}},
  {{{0.7, 0.1}, {-0.3, 0.2}}, {0.3, -0.3, 0.6}},
}

local function flatlist(x)
  if type(x) ~= "table" then return {x} end
  local out = {}
  local function walk(t)
    for _, v in ipairs(t) do
      if type(v) == "table" then walk(v) else out[#out + 1] = v end
    end
  end
  walk(x)
  return out
end

local function params(dtype)
  return {tensor(P0[1], {dtype = dtype, requires_grad = true}), tensor(P0[2], {dtype = dtype, requires_grad = true})}
end

local function set_grads(ps, k, dtype)
  for i, p in ipairs(ps) do
    local g = GRADS[k][i]
    p.grad = g and tensor(g, {dtype = dtype}) or nil
  end
end

local function values(ps)
  local out = {}
  for i, p in ipairs(ps) do out[i] = p:detach():reshape(-1):totable() end
  return out
end

-- ---------------------------------------------------------------- the formulas, in plain Lua
-- Each reference keeps its own state per parameter and updates the flat
-- list p in place from the flat list g, element by element, as PyTorch's
-- documentation writes the algorithm.

local function ref_sgd(h, p, g, st)
  local first = st.b == nil
  st.b = st.b or {}
  for i = 1, #p do
    local d = g[i]
    if h.maximize then d = -d end
    d = d + (h.weight_decay or 0) * p[i]
    local m = h.momentum or 0
    if m ~= 0 then
      if first then st.b[i] = d else st.b[i] = m * st.b[i] + (1 - (h.dampening or 0)) * d end
      if h.nesterov then d = d + m * st.b[i] else d = st.b[i] end
    end
    p[i] = p[i] - h.lr * d
  end
end

local function ref_adam(h, p, g, st, decoupled)
  st.t = (st.t or 0) + 1
  st.m, st.v, st.vmax = st.m or {}, st.v or {}, st.vmax or {}
  local b1, b2 = h.betas[1], h.betas[2]
  local bc1, bc2 = 1 - b1 ^ st.t, 1 - b2 ^ st.t
  for i = 1, #p do
    local d = g[i]
    if h.maximize then d = -d end
    if decoupled then p[i] = p[i] * (1 - h.lr * h.weight_decay) else d = d + h.weight_decay * p[i] end
    st.m[i] = b1 * (st.m[i] or 0) + (1 - b1) * d
    st.v[i] = b2 * (st.v[i] or 0) + (1 - b2) * d * d
    local v = st.v[i]
    if h.amsgrad then
      st.vmax[i] = math.max(st.vmax[i] or 0, v)
      v = st.vmax[i]
    end
    p[i] = p[i] - h.lr / bc1 * st.m[i] / (math.sqrt(v) / math.sqrt(bc2) + h.eps)
  end
end

local function ref_rmsprop(h, p, g, st)
  st.v, st.a, st.b = st.v or {}, st.a or {}, st.b or {}
  for i = 1, #p do
    local d = g[i]
    if h.maximize then d = -d end
    d = d + h.weight_decay * p[i]
    st.v[i] = h.alpha * (st.v[i] or 0) + (1 - h.alpha) * d * d
    local denom
    if h.centered then
      st.a[i] = h.alpha * (st.a[i] or 0) + (1 - h.alpha) * d
      denom = math.sqrt(st.v[i] - st.a[i] * st.a[i]) + h.eps
    else
      denom = math.sqrt(st.v[i]) + h.eps
    end
    if h.momentum > 0 then
      st.b[i] = h.momentum * (st.b[i] or 0) + d / denom
      p[i] = p[i] - h.lr * st.b[i]
    else
      p[i] = p[i] - h.lr * d / denom
    end
  end
end

-- The reference run: {step k -> {flat p1, flat p2}}.
local function ref_run(ref, h, decoupled)
  local p = {flatlist(P0[1]), flatlist(P0[2])}
  local st = {{}, {}}
  local out = {}
  for k = 1, #GRADS do
    for i = 1, 2 do
      if GRADS[k][i] then ref(h, p[i], flatlist(GRADS[k][i]), st[i], decoupled) end
    end
    out[k] = {table.move(p[1], 1, #p[1], 1, {}), table.move(p[2], 1, #p[2], 1, {})}
  end
  return out
end

local function tensh_run(make, dtype)
  local ps = params(dtype)
  local opt = make(ps)
  local out = {}
  for k = 1, #GRADS do
    set_grads(ps, k, dtype)
    opt:step()
    out[k] = values(ps)
  end
  return out, opt, ps
end

local cases = {
  {"sgd_plain", "SGD", ref_sgd, {lr = 0.1}},
  {"sgd_momentum", "SGD", ref_sgd, {lr = 0.1, momentum = 0.9, dampening = 0.1, weight_decay = 0.01}},
  {"sgd_nesterov", "SGD", ref_sgd, {lr = 0.05, momentum = 0.9, nesterov = true, weight_decay = 0.01}},
  {"sgd_maximize", "SGD", ref_sgd, {lr = 0.1, momentum = 0.5, weight_decay = 0.1, maximize = true}},
  {"adam", "Adam", ref_adam, {lr = 0.01}, {betas = {0.9, 0.999}, eps = 1e-8, weight_decay = 0}},
  {"adam_amsgrad", "Adam", ref_adam, {lr = 0.05, betas = {0.8, 0.9}, eps = 1e-6, weight_decay = 0.1, amsgrad = true}},
  {"adam_maximize", "Adam", ref_adam, {lr = 0.01, maximize = true, weight_decay = 0.05}, {betas = {0.9, 0.999}, eps = 1e-8}},
  {"adamw", "AdamW", ref_adam, {lr = 0.01}, {betas = {0.9, 0.999}, eps = 1e-8, weight_decay = 1e-2}, true},
  {"adamw_amsgrad", "AdamW", ref_adam, {lr = 0.05, betas = {0.5, 0.7}, weight_decay = 0.2, amsgrad = true},
   {eps = 1e-8}, true},
  {"rmsprop", "RMSprop", ref_rmsprop, {lr = 0.01}, {alpha = 0.99, eps = 1e-8, weight_decay = 0, momentum = 0}},
  {"rmsprop_full", "RMSprop", ref_rmsprop,
   {lr = 0.01, alpha = 0.9, eps = 1e-6, weight_decay = 0.1, momentum = 0.9, centered = true}},
  {"rmsprop_maximize", "RMSprop", ref_rmsprop, {lr = 0.02, momentum = 0.5, maximize = true},
   {alpha = 0.99, eps = 1e-8, weight_decay = 0}},
}

for _, c in ipairs(cases) do
  local name, cls, ref, opts, defaults, decoupled = c[1], c[2], c[3], c[4], c[5] or {}, c[6]
  local h = {}
  for k, v in pairs(defaults) do h[k] = v end
  for k, v in pairs(opts) do h[k] = v end

  T.test(name .. ": float64 steps match the formulas in plain Lua", function()
    local got = tensh_run(function(ps) return optim[cls](ps, opts) end, "float64")
    local want = ref_run(ref, h, decoupled)
    for k = 1, #GRADS do T.close(got[k], want[k], 1e-12, name .. " step " .. k) end
  end)

  T.test(name .. ": float32 steps match torch 1.13", function()
    local got = tensh_run(function(ps) return optim[cls](ps, opts) end, "float32")
    local want = expected.optimizers[name]
    T.check(want, "no torch numbers for " .. name)
    for k = 1, #GRADS do T.close(got[k], want[k], 2e-6, name .. " step " .. k) end
  end)
end

-- SGD's fused kernel has one loop per option case; the cases above all use
-- weight decay with momentum, so the loops without it are checked here (in
-- float64 against the formulas, in float32 against the composed tensor ops
-- the optimizer falls back to for a non-contiguous parameter).
local function transposed_params(dtype)
  -- the same values as params(), held in transposed (non-contiguous) leaves
  local a = tensor(P0[1], {dtype = dtype}):t():contiguous():t():requires_grad_()
  return {a, tensor(P0[2], {dtype = dtype, requires_grad = true})}
end

for _, c in ipairs({
  {"sgd_momentum_only", {lr = 0.1, momentum = 0.9}},
  {"sgd_nesterov_only", {lr = 0.05, momentum = 0.8, nesterov = true}},
  {"sgd_dampening_maximize", {lr = 0.1, momentum = 0.7, dampening = 0.3, maximize = true}},
  {"sgd_first_step_nesterov_decay", {lr = 0.1, momentum = 0.9, nesterov = true, weight_decay = 0.5}},
}) do
  local name, opts = c[1], c[2]
  local h = {momentum = 0, dampening = 0, weight_decay = 0}
  for k, v in pairs(opts) do h[k] = v end
  T.test(name .. ": float64 fused steps match the formulas in plain Lua", function()
    local got = tensh_run(function(ps) return optim.SGD(ps, opts) end, "float64")
    local want = ref_run(ref_sgd, h)
    for k = 1, #GRADS do T.close(got[k], want[k], 1e-12, name .. " step " .. k) end
  end)
  T.test(name .. ": float32 fused steps match the composed ops", function()
    local got = tensh_run(function(ps) return optim.SGD(ps, opts) end, "float32")
    local ps = transposed_params("float32")
    T.check(not ps[1]:is_contiguous(), "the transposed leaf takes the composed path")
    local opt = optim.SGD(ps, opts)
    for k = 1, #GRADS do
      set_grads(ps, k, "float32")
      opt:step()
      T.close(values(ps), got[k], 1e-6, name .. " step " .. k)
    end
  end)
end

T.test("optimf.sgd_update: bad calls name what was expected", function()
  local F = require("tensh.optimf")
  local p = tensor.ones(2, 3)
  T.checkerr(function() F.sgd_update(p, tensor.ones(3, 2), nil, {lr = 0.1}) end, "the gradient has shape 3x2, the parameter 2x3")
  T.checkerr(function() F.sgd_update(p, tensor.ones(2, 3, {dtype = "float64"}), nil, {lr = 0.1}) end,
             "the gradient is float64, the parameter float32")
  T.checkerr(function() F.sgd_update(p, tensor.ones(2, 3), tensor.ones(6), {lr = 0.1}) end,
             "the momentum buffer has shape 6")
  T.checkerr(function() F.sgd_update(p:t(), tensor.ones(3, 2), nil, {lr = 0.1}) end, "must be contiguous")
  T.checkerr(function() F.sgd_update(tensor.ones(2, {dtype = "int64"}), tensor.ones(2, {dtype = "int64"}), nil, {lr = 1}) end,
             "float32 or float64 parameters only, got int64")
  T.checkerr(function() F.sgd_update(p, tensor.ones(2, 3), nil, {lr = 0.1, momentun = 0.9}) end, "momentun")
  T.checkerr(function() F.sgd_update(p, tensor.ones(2, 3), p, {lr = 0.1}) end, "shares the parameter's storage")
  T.close(p:reshape(-1):totable(), {1, 1, 1, 1, 1, 1}, 0, "no failed call changed the parameter")
end)

-- A few steps worked out by hand, to the digit.
T.test("SGD momentum: two steps by hand", function()
  local w = tensor({1.0, 2.0}, {dtype = "float64", requires_grad = true})
  local opt = optim.SGD({w}, {lr = 0.1, momentum = 0.9})
  w.grad = tensor({1.0, -1.0}, {dtype = "float64"})
  opt:step()                              -- b = g = {1, -1};  w = {1 - 0.1, 2 + 0.1}
  T.close(w:detach(), {0.9, 2.1}, 1e-15)
  opt:step()                              -- b = 0.9 b + g = {1.9, -1.9}; w = {0.9 - 0.19, 2.1 + 0.19}
  T.close(w:detach(), {0.71, 2.29}, 1e-15)
  T.close(opt.state[w].momentum_buffer, {1.9, -1.9}, 1e-15)
end)

T.test("Adam: the first step moves each element by lr against the gradient's sign", function()
  -- m1 = (1-b1) g, v1 = (1-b2) g^2: m1/(1-b1) / (sqrt(v1)/sqrt(1-b2) + eps) = g / (|g| + eps)
  local w = tensor({1.0, 2.0, 3.0}, {dtype = "float64", requires_grad = true})
  local opt = optim.Adam({w}, {lr = 0.5})
  w.grad = tensor({4.0, -0.25, 0.0}, {dtype = "float64"})
  opt:step()
  T.close(w:detach(), {1 - 0.5 * 4 / (4 + 1e-8), 2 + 0.5 * 0.25 / (0.25 + 1e-8), 3}, 1e-14)
  T.eq(opt.state[w].step, 1)
end)

T.test("AdamW: weight decay is decoupled (applied to p even when the gradient is zero)", function()
  local w = tensor({2.0}, {dtype = "float64", requires_grad = true})
  local opt = optim.AdamW({w}, {lr = 0.1, weight_decay = 0.5})
  w.grad = tensor({0.0}, {dtype = "float64"})
  opt:step()
  T.close(w:detach(), {2 * (1 - 0.1 * 0.5)}, 1e-15)
  local a = tensor({2.0}, {dtype = "float64", requires_grad = true})
  local adam = optim.Adam({a}, {lr = 0.1, weight_decay = 0.5}) -- Adam: decay goes through the moments
  a.grad = tensor({0.0}, {dtype = "float64"})
  adam:step()
  T.close(a:detach(), {2 - 0.1 * 1 / (1 + 1e-8)}, 1e-14)
end)

T.test("defaults are PyTorch's", function()
  local w = tensor.zeros(2):requires_grad_()
  local d = optim.SGD({w}, {lr = 0.1}).defaults
  T.eq(d.momentum, 0); T.eq(d.dampening, 0); T.eq(d.weight_decay, 0); T.eq(d.nesterov, false); T.eq(d.maximize, false)
  d = optim.Adam({w}).defaults
  T.eq(d.lr, 1e-3); T.eq(d.betas[1], 0.9); T.eq(d.betas[2], 0.999); T.eq(d.eps, 1e-8); T.eq(d.weight_decay, 0)
  T.eq(d.amsgrad, false)
  T.eq(optim.AdamW({w}).defaults.weight_decay, 1e-2)
  d = optim.RMSprop({w}).defaults
  T.eq(d.lr, 1e-2); T.eq(d.alpha, 0.99); T.eq(d.eps, 1e-8); T.eq(d.momentum, 0); T.eq(d.centered, false)
end)

-- ---------------------------------------------------------------- groups

T.test("parameter groups with their own lr and momentum match torch", function()
  local ps = params("float32")
  local opt = optim.SGD({{params = {ps[1]}, lr = 0.5}, {params = {ps[2]}, lr = 0.01, momentum = 0.9}}, {lr = 0.1})
  T.eq(#opt.param_groups, 2)
  T.eq(opt.param_groups[1].lr, 0.5)
  T.eq(opt.param_groups[1].momentum, 0) -- filled from the defaults
  T.eq(opt.param_groups[2].momentum, 0.9)
  for k = 1, #GRADS do
    set_grads(ps, k, "float32")
    opt:step()
    T.close(values(ps), expected.optimizers.sgd_groups[k], 2e-6, "step " .. k)
  end
end)

T.test("param_groups are live: a changed lr takes effect at the next step", function()
  local w = tensor({1.0}, {dtype = "float64", requires_grad = true})
  local opt = optim.SGD({w}, {lr = 0.1})
  w.grad = tensor({1.0}, {dtype = "float64"})
  opt:step()
  opt.param_groups[1].lr = 0.25
  opt:step()
  T.close(w:detach(), {1 - 0.1 - 0.25}, 1e-15)
end)

T.test("add_param_group: defaults fill the rest; the new group steps", function()
  local a = tensor({1.0}, {dtype = "float64", requires_grad = true})
  local b = tensor({1.0}, {dtype = "float64", requires_grad = true})
  local opt = optim.Adam({a}, {lr = 0.1, betas = {0.5, 0.6}})
  opt:add_param_group({params = {b}, lr = 0.2})
  local g = opt.param_groups[2]
  T.eq(g.lr, 0.2); T.eq(g.betas[1], 0.5); T.eq(g.eps, 1e-8)
  T.check(g.betas ~= opt.param_groups[1].betas, "each group has a betas table of its own")
  a.grad = tensor({1.0}, {dtype = "float64"}); b.grad = tensor({1.0}, {dtype = "float64"})
  opt:step()
  T.close(a:detach(), {1 - 0.1 / (1 + 1e-8)}, 1e-14)
  T.close(b:detach(), {1 - 0.2 / (1 + 1e-8)}, 1e-14)
end)

T.test("a group's params may be a single tensor; an iterator works as params", function()
  local a, b = tensor.ones(2):requires_grad_(), tensor.ones(3):requires_grad_()
  local opt = optim.SGD({{params = a}, {params = b, lr = 1}}, {lr = 0.5})
  T.eq(#opt.param_groups[1].params, 1)
  local list = {a, b}
  local i = 0
  local opt2 = optim.SGD(function() i = i + 1; return list[i] end, {lr = 0.5})
  T.eq(#opt2.param_groups[1].params, 2)
end)

T.test("a parameter without .grad is skipped and gets no state", function()
  local ps = params("float64")
  local opt = optim.Adam(ps, {lr = 0.1})
  ps[1].grad = tensor({{1.0, 1.0}, {1.0, 1.0}}, {dtype = "float64"})
  opt:step()
  T.close(values(ps)[2], P0[2], 0)
  T.check(opt.state[ps[2]] == nil, "no state for a skipped parameter")
  T.check(opt.state[ps[1]] ~= nil, "state for the stepped parameter")
end)

-- ---------------------------------------------------------------- zero_grad, step(closure)

T.test("zero_grad: nil by default, zeros with set_to_none=false", function()
  local w = tensor.ones(3):requires_grad_()
  local opt = optim.SGD({w}, {lr = 0.1})
  w.grad = tensor{1.0, 2.0, 3.0}
  opt:zero_grad()
  T.check(w.grad == nil, "grad is nil")
  w.grad = tensor{1.0, 2.0, 3.0}
  opt:zero_grad({set_to_none = false})
  T.close(w.grad, {0, 0, 0}, 0)
  opt:zero_grad({set_to_none = false}) -- a nil grad stays nil, no error
  w.grad = nil
  opt:zero_grad({set_to_none = false})
  T.check(w.grad == nil, "still nil")
end)

T.test("zero_grad(set_to_none=false) cuts a gradient that has a graph from it", function()
  local w = tensor.ones(2):requires_grad_()
  local x = tensor({1.0, 2.0}, {requires_grad = true})
  local opt = optim.SGD({w}, {lr = 0.1})
  w.grad = x * 2
  T.check(w.grad.grad_fn ~= nil, "the gradient has a grad_fn")
  opt:zero_grad({set_to_none = false})
  T.close(w.grad, {0, 0}, 0)
  T.check(w.grad.grad_fn == nil, "detached")
  T.close(x:detach(), {1, 2}, 0)
end)

T.test("step(closure) returns the closure's loss, computed with grad enabled", function()
  local w = tensor({3.0}, {requires_grad = true})
  local opt = optim.SGD({w}, {lr = 0.5})
  local calls = 0
  local loss = tensor.no_grad(function()
    return opt:step(function()
      calls = calls + 1
      T.check(tensor.is_grad_enabled(), "closure runs with grad on")
      w.grad = tensor{2.0}
      return 42
    end)
  end)
  T.eq(loss, 42); T.eq(calls, 1)
  T.close(w:detach(), {2.0}, 1e-7)
  T.check(w.requires_grad, "still a parameter")
  T.eq(opt:step(), nil)
end)

T.test("step runs under no_grad: parameters stay leaves", function()
  local w = tensor({1.0, 2.0}, {requires_grad = true})
  local opt = optim.RMSprop({w}, {momentum = 0.5, centered = true})
  w.grad = tensor{0.1, 0.2}
  opt:step()
  T.check(w.is_leaf and w.grad_fn == nil, "w is a leaf without grad_fn")
  T.check(tensor.is_grad_enabled(), "grad mode restored")
end)

-- ---------------------------------------------------------------- state_dict

local function round_trip_case(cls, opts)
  return function()
    local path = os.tmpname() .. ".safetensors"
    local ps = params("float32")
    local opt = optim[cls](ps, opts)
    for k = 1, 2 do set_grads(ps, k, "float32"); opt:step() end
    tensor.save(path, optim.flatten(opt:state_dict()))
    -- a second run from the same point: fresh parameters with the same
    -- values, a fresh optimizer with other options, then the loaded state
    local qs = {ps[1]:detach():clone():requires_grad_(), ps[2]:detach():clone():requires_grad_()}
    local opt2 = optim[cls](qs, {lr = 123})
    opt2:load_state_dict(tensor.load(path))
    os.remove(path)
    T.eq(opt2.param_groups[1].lr, opt.param_groups[1].lr)
    for k = 3, 4 do
      set_grads(ps, k, "float32"); opt:step()
      set_grads(qs, k, "float32"); opt2:step()
      T.close(values(qs), values(ps), 0, "step " .. k)
    end
  end
end

T.test("state_dict round trip through tensor.save: SGD momentum", round_trip_case("SGD",
  {lr = 0.1, momentum = 0.9, dampening = 0.1, nesterov = false, weight_decay = 0.01}))
T.test("state_dict round trip through tensor.save: Adam amsgrad", round_trip_case("Adam",
  {lr = 0.05, betas = {0.8, 0.9}, amsgrad = true}))
T.test("state_dict round trip through tensor.save: AdamW", round_trip_case("AdamW", {lr = 0.05}))
T.test("state_dict round trip through tensor.save: RMSprop centered", round_trip_case("RMSprop",
  {lr = 0.01, momentum = 0.9, centered = true, weight_decay = 0.1}))

T.test("state_dict layout is PyTorch's: state by index across groups, groups with params indices", function()
  local a, b, c = tensor.ones(2):requires_grad_(), tensor.ones(3):requires_grad_(), tensor.ones(1):requires_grad_()
  local opt = optim.SGD({{params = {a, b}}, {params = {c}, lr = 0.5}}, {lr = 0.1, momentum = 0.9})
  b.grad = tensor{1.0, 1.0, 1.0}; c.grad = tensor{2.0}
  opt:step()
  local sd = opt:state_dict()
  T.eq(#sd.param_groups, 2)
  T.eq(table.concat(sd.param_groups[1].params, ","), "1,2")
  T.eq(table.concat(sd.param_groups[2].params, ","), "3")
  T.eq(sd.param_groups[2].lr, 0.5)
  T.check(sd.state[1] == nil, "a never had a gradient")
  T.close(sd.state[2].momentum_buffer, {1, 1, 1}, 0)
  T.close(sd.state[3].momentum_buffer, {2}, 0)
  -- the flat form, as documented
  local f = optim.flatten(sd)
  T.close(f["state.3.momentum_buffer"], {2}, 0)
  T.eq(f["param_groups.2.lr:lua"]:dtype(), "float64")
  T.eq(f["param_groups.2.lr:lua"]:item(), 0.5)
  T.eq(f["param_groups.1.params:lua"]:dtype(), "int64")
  T.eq(f["param_groups.1.nesterov:lua"]:dtype(), "bool")
  local back = optim.unflatten(f)
  T.eq(back.param_groups[2].lr, 0.5)
  T.eq(math.type(back.param_groups[1].params[2]), "integer")
  T.eq(back.param_groups[1].nesterov, false)
  -- in memory, loading copies the state
  local opt2 = optim.SGD({{params = {a, b}}, {params = {c}}}, {lr = 1})
  opt2:load_state_dict(sd)
  T.eq(opt2.param_groups[2].lr, 0.5)
  opt2.state[b].momentum_buffer:fill_(7)
  T.close(opt.state[b].momentum_buffer, {1, 1, 1}, 0)
end)

T.test("flatten with a prefix shares a file with a model's state dict", function()
  local w = tensor.ones(2):requires_grad_()
  local opt = optim.Adam({w}, {lr = 0.01})
  w.grad = tensor{1.0, -1.0}
  opt:step()
  local ckpt = optim.flatten(opt:state_dict(), "optim.")
  ckpt["fc.weight"] = w:detach()
  local path = os.tmpname() .. ".safetensors"
  tensor.save(path, ckpt)
  local loaded = tensor.load(path)
  os.remove(path)
  local sd = optim.unflatten(loaded, "optim.")
  T.eq(sd.state[1].step, 1)
  T.eq(sd.param_groups[1].betas[2], 0.999)
  local opt2 = optim.Adam({w})
  opt2:load_state_dict(sd)
  T.close(opt2.state[w].exp_avg, opt.state[w].exp_avg, 0)
end)

T.test("flatten: strings, empty tables and nested tables survive tensor.save", function()
  local sd = {name = "cos", empty = {}, nested = {{a = 1, b = "x"}, {a = 2.5, b = ""}}, flags = {true, false}}
  local path = os.tmpname() .. ".safetensors"
  tensor.save(path, optim.flatten(sd))
  local back = optim.unflatten(tensor.load(path))
  os.remove(path)
  T.eq(back.name, "cos"); T.eq(next(back.empty), nil)
  T.eq(back.nested[1].a, 1); T.eq(math.type(back.nested[1].a), "integer")
  T.eq(back.nested[2].a, 2.5); T.eq(back.nested[1].b, "x"); T.eq(back.nested[2].b, "")
  T.eq(back.flags[1], true); T.eq(back.flags[2], false)
end)

T.test("load_state_dict casts state to the parameter's dtype", function()
  local w = tensor.ones(2):requires_grad_()
  local opt = optim.SGD({w}, {lr = 0.1, momentum = 0.9})
  local sd = {state = {[1] = {momentum_buffer = tensor({0.5, 0.25}, {dtype = "float64"})}},
              param_groups = {{lr = 0.1, momentum = 0.9, dampening = 0, weight_decay = 0, nesterov = false,
                               maximize = false, params = {1}}}}
  opt:load_state_dict(sd)
  T.eq(opt.state[w].momentum_buffer:dtype(), "float32")
end)

-- ---------------------------------------------------------------- printing and help

T.test("tostring shows the groups as PyTorch does", function()
  local s = tostring(optim.SGD({tensor.ones(1):requires_grad_()}, {lr = 0.1, momentum = 0.9}))
  T.check(s:find("^SGD %(\nParameter Group 1\n"), s)
  T.check(s:find("    momentum: 0.9\n", 1, true), s)
  T.check(s:find("    lr: 0.1\n", 1, true), s)
  local a = tostring(optim.Adam({tensor.ones(1):requires_grad_()}))
  T.check(a:find("betas: {0.9, 0.999}", 1, true), a)
end)

T.test("every function and method has help; help(optim) lists the module", function()
  for _, name in ipairs({"SGD", "Adam", "AdamW", "RMSprop", "flatten", "unflatten", "is_optimizer"}) do
    local h = tensor.gethelp(optim[name])
    T.check(h and h:find("^optim%." .. name), "help for optim." .. name)
  end
  local opt = optim.SGD({tensor.ones(1):requires_grad_()}, {lr = 0.1})
  for _, m in ipairs({"step", "zero_grad", "state_dict", "load_state_dict", "add_param_group"}) do
    local h = tensor.gethelp(opt[m])
    T.check(h and h:find("^opt:" .. m), "help for opt:" .. m)
  end
  T.check(tensor.gethelp(optim):find("^optim: "), "module help")
  T.check(tensor.gethelp("optim.SGD"):find("momentum", 1, true), "help by name")
end)

-- ---------------------------------------------------------------- per-step cost (a figure, not a test of speed)

T.test("per-step cost for LeNet-sized parameters is printed", function()
  local shapes = {{6, 1, 5, 5}, {6}, {16, 6, 5, 5}, {16}, {120, 400}, {120}, {84, 120}, {84}, {10, 84}, {10}}
  local ps = {}
  for i, s in ipairs(shapes) do
    ps[i] = tensor.zeros(s):requires_grad_()
    ps[i].grad = tensor.full(s, 1e-3)
  end
  local opt = optim.SGD(ps, {lr = 0.01, momentum = 0.9})
  opt:step()
  local n = 50
  local t0 = tensor.perf_counter()
  for _ = 1, n do opt:step() end
  local dt = (tensor.perf_counter() - t0) / n
  print(string.format("(SGD momentum step, LeNet's 10 parameters: %.1f us)", dt * 1e6))
  local want, buf = 0, nil
  for _ = 1, n + 1 do
    buf = buf and 0.9 * buf + 1e-3 or 1e-3
    want = want - 0.01 * buf
  end
  T.close(ps[5]:detach():reshape(-1)[1]:item(), want, 1e-4)
end)

-- ---------------------------------------------------------------- bad calls

T.test("bad calls raise clear errors", function()
  local w = tensor.ones(2):requires_grad_()
  local v = tensor.ones(3):requires_grad_()
  T.checkerr(function() optim.SGD({w}) end, "SGD: option 'lr' is required")
  T.checkerr(function() optim.SGD({w}, {lr = -0.1}) end, "SGD: invalid lr: -0.1 (must be >= 0)")
  T.checkerr(function() optim.SGD({w}, {lr = 0 / 0}) end, "SGD: invalid lr: nan")
  T.checkerr(function() optim.SGD({w}, {lr = "0.1"}) end, "SGD: option 'lr' must be a number, got string")
  T.checkerr(function() optim.SGD({w}, {lr = 0.1, momentum = -0.5}) end, "invalid momentum: -0.5")
  T.checkerr(function() optim.SGD({w}, {lr = 0.1, weight_decay = -1}) end, "invalid weight_decay: -1")
  T.checkerr(function() optim.SGD({w}, {lr = 0.1, nesterov = true}) end,
             "Nesterov momentum requires a momentum and zero dampening")
  T.checkerr(function() optim.SGD({w}, {lr = 0.1, nesterov = true, momentum = 0.9, dampening = 0.1}) end,
             "Nesterov momentum requires a momentum and zero dampening")
  T.checkerr(function() optim.SGD({w}, {lr = 0.1, nesterov = 1}) end, "option 'nesterov' must be a boolean")
  T.checkerr(function() optim.SGD({w}, {lr = 0.1, momentun = 0.9}) end, "SGD: unknown option 'momentun'")
  T.checkerr(function() optim.SGD({w}, 0.1) end, "SGD: options table expected, got number")
  T.checkerr(function() optim.Adam({w}, {betas = {1.0, 0.999}}) end, "invalid beta parameter at index 1: 1")
  T.checkerr(function() optim.Adam({w}, {betas = {0.9, -0.1}}) end, "invalid beta parameter at index 2: -0.1")
  T.checkerr(function() optim.Adam({w}, {betas = 0.9}) end, "option 'betas' must be a table of two numbers")
  T.checkerr(function() optim.Adam({w}, {eps = -1e-8}) end, "Adam: invalid eps")
  T.checkerr(function() optim.Adam({w}, {foreach = true}) end, "Adam: unknown option 'foreach'")
  T.checkerr(function() optim.AdamW({w}, {weight_decay = -0.1}) end, "AdamW: invalid weight_decay: -0.1")
  T.checkerr(function() optim.RMSprop({w}, {alpha = -0.5}) end, "RMSprop: invalid alpha: -0.5")
  T.checkerr(function() optim.RMSprop({w}, {centered = "yes"}) end, "option 'centered' must be a boolean")
  T.checkerr(function() optim.SGD({}, {lr = 0.1}) end, "SGD: optimizer got an empty parameter list")
  T.checkerr(function() optim.SGD(nil, {lr = 0.1}) end, "SGD: params expected")
  T.checkerr(function() optim.SGD(42, {lr = 0.1}) end, "params must be a list of tensors, got number")
  T.checkerr(function() optim.SGD({w, 3}, {lr = 0.1}) end, "params[2] is a number; the optimizer can only optimize tensors")
  T.checkerr(function() optim.SGD({tensor{1, 2}}, {lr = 0.1}) end, "params[1] is a int64 tensor; only floating point")
  T.checkerr(function() optim.SGD({w * 2}, {lr = 0.1}) end, "can't optimize a non-leaf tensor")
  T.checkerr(function() optim.SGD({w, w}, {lr = 0.1}) end, "params[2] appears twice in the group")
  T.checkerr(function() optim.SGD({{params = {w}}, {params = {w, v}}}, {lr = 0.1}) end,
             "some parameters appear in more than one parameter group")
  T.checkerr(function() optim.SGD({{params = {w}}, {lr = 0.1}}, {lr = 0.1}) end, "param group 2: the group has no 'params'")
  T.checkerr(function() optim.SGD({{params = {w}, lrr = 0.1}}, {lr = 0.1}) end, "unknown option 'lrr'")
  T.checkerr(function() optim.SGD({{params = {w}, lr = -1}}, {lr = 0.1}) end, "param group 1: invalid lr: -1")
  T.checkerr(function() optim.SGD({{params = {w}}, v}, {lr = 0.1}) end, "not both")
  T.checkerr(function() optim.Adam({{params = {w}, betas = {0.9}}}) end, "must be a table of two numbers")
  local opt = optim.SGD({w}, {lr = 0.1, momentum = 0.9})
  T.checkerr(function() opt:add_param_group(3) end, "add_param_group: a parameter group (a table with params=) expected")
  T.checkerr(function() opt:add_param_group({params = {w}}) end, "some parameters appear in more than one parameter group")
  T.checkerr(function() opt:step("x") end, "SGD:step: closure must be a function, got string")
  T.checkerr(function() opt:zero_grad({set_to_none = 1}) end, "option 'set_to_none' must be a boolean")
  T.checkerr(function() opt:zero_grad({to_none = true}) end, "zero_grad: unknown option 'to_none'")
  T.checkerr(function() opt:load_state_dict(5) end, "SGD:load_state_dict: a state dict (table) expected, got number")
  T.checkerr(function() opt:load_state_dict({}) end, "needs 'state' and 'param_groups'")
  local two = optim.SGD({{params = {v}}, {params = {tensor.ones(1):requires_grad_()}}}, {lr = 0.1})
  T.checkerr(function() opt:load_state_dict(two:state_dict()) end, "different number of parameter groups (2, the optimizer has 1)")
  local big = optim.SGD({v, tensor.ones(1):requires_grad_()}, {lr = 0.1})
  T.checkerr(function() opt:load_state_dict(big:state_dict()) end, "doesn't match the size of optimizer's group")
  local other = optim.SGD({v}, {lr = 0.1, momentum = 0.9})
  v.grad = tensor{1.0, 1.0, 1.0}
  other:step()
  T.checkerr(function() opt:load_state_dict(other:state_dict()) end, "state[1].momentum_buffer has shape Size{3}")
  T.checkerr(function() optim.flatten(5) end, "flatten: a state dict (table) expected")
  T.checkerr(function() optim.flatten({a = {["x.y"] = 1}}) end, "key 'x.y' at 'a' cannot be encoded")
  T.checkerr(function() optim.flatten({f = io.stdout}) end, "a userdata at 'f' cannot be encoded")
  T.checkerr(function() optim.unflatten({["a:zzz"] = tensor{1}}) end, "unknown tag ':zzz'")
  T.checkerr(function() optim.unflatten({["a:lua"] = tensor{1.0}}) end, "should be float64, int64 or bool")
  T.checkerr(function() optim.unflatten({["a"] = 3}) end, "'a' is a number, expected a tensor")
  -- found by fuzz_api.lua: a function that is no iterator looped forever
  T.checkerr(function() optim.SGD(function() return 1 end, {lr = 0.1}) end, "SGD: params[1] is a number")
  T.checkerr(function() opt.step() end, "step: call it as opt:step(...), with a colon")
  T.checkerr(function() opt.zero_grad() end, "zero_grad: call it as opt:zero_grad(...), with a colon")
  T.checkerr(function() opt.load_state_dict({}) end, "call it as opt:load_state_dict(sd), with a colon")
  opt.param_groups[1].lr = "fast"
  w.grad = tensor{1.0, 1.0}
  T.checkerr(function() opt:step() end, "SGD:step: group lr must be a number, got string")
  T.check(T.errors_checked >= 25, "at least 25 bad calls checked")
end)

T.test("the interpreter still works after the errors", function()
  local w = tensor({1.0}, {requires_grad = true})
  local opt = optim.SGD({w}, {lr = 1})
  w.grad = tensor{0.5}
  opt:step()
  T.close(w:detach(), {0.5}, 0)
  T.check(tensor.is_grad_enabled(), "grad mode on")
end)

T.done()
