-- test_grad_math.lua: gradients of elementwise math. Every differentiable
-- op goes through autograd.gradcheck in float64 (random shapes, broadcast
-- operands, points away from kinks), a few gradients are checked against
-- values worked out by hand, and in-place forms, node names, zero-gradient
-- ops and the refusals are checked as PyTorch has them.
local T = require("testlib")
local test, check, eq, close, checkerr = T.test, T.check, T.eq, T.close, T.checkerr
local autograd = require("autograd")
local gradcheck = autograd.gradcheck

T.seed(0)

local F64, leaf, rshape, trials = T.F64, T.leaf, T.rshape, T.trials

-- Two shapes that broadcast together, each side broadcasting some dims.
local function bshapes()
  local nd = math.random(1, 3)
  local sa, sb = {}, {}
  local lead = math.random(0, nd - 1) -- dims only a has
  for i = 1, nd do
    local n = math.random(2, 3)
    local r = math.random(3)
    sa[i] = r == 2 and 1 or n
    if i > lead then sb[#sb + 1] = r == 3 and 1 or n end
  end
  if math.random(2) == 1 then sa, sb = sb, sa end
  return sa, sb
end

local function away0(x) return x + x:sign() * 0.3 end           -- |x| >= 0.3
local function pos(x) return x:abs() + 0.5 end                   -- x >= 0.5
local function mid(x) return x:floor() + 0.25 + (x - x:floor()) * 0.5 end -- frac in [.25, .75]

-- ---------------------------------------------------------------- binary

test("gradcheck: add, sub (alpha), mul, div with broadcasting", function()
  trials(4, function()
    local sa, sb = bshapes()
    local a, b = leaf(sa), leaf(sb)
    gradcheck(function(x, y) return x + y end, {a, b})
    gradcheck(function(x, y) return tensor.add(x, y, {alpha = 2.5}) end, {a, b})
    gradcheck(function(x, y) return x - y end, {a, b})
    gradcheck(function(x, y) return tensor.sub(x, y, {alpha = -3}) end, {a, b})
    gradcheck(function(x, y) return x * y end, {a, b})
    gradcheck(function(x, y) return x / y end, {a, leaf(sb, away0)})
  end)
end)

test("gradcheck: 0-dim operands with dimensioned ones", function()
  local z, m = leaf({}, away0), leaf({2, 3}, away0)
  gradcheck(function(x, y) return x + y end, {z, m})
  gradcheck(function(x, y) return y * x end, {z, m})
  gradcheck(function(x, y) return x / y end, {z, m})
  gradcheck(function(x, y) return y / x end, {z, m})
  gradcheck(function(x, y) return tensor.maximum(x, y * 0 + 5) end, {z, m})
  gradcheck(function(x) return x * x end, {z})
end)

test("gradcheck: numbers on either side", function()
  local a = leaf(rshape(2), away0)
  gradcheck(function(x) return 2 + x end, {a})
  gradcheck(function(x) return 2 - x end, {a})
  gradcheck(function(x) return x - 0.5 end, {a})
  gradcheck(function(x) return 3 * x end, {a})
  gradcheck(function(x) return x / 4 end, {a})
  gradcheck(function(x) return 1.5 / x end, {a})
end)

test("gradcheck: pow in its three forms", function()
  trials(3, function()
    local sa, sb = bshapes()
    gradcheck(function(x, y) return x ^ y end, {leaf(sa, pos), leaf(sb)})
    local x = leaf(rshape(3), away0)
    for _, e in ipairs({2, 3, 0.5, -1.5, 1, 0}) do
      local base = (e == 0.5 or e == -1.5) and leaf(rshape(2), pos) or x
      gradcheck(function(t) return t ^ e end, {base})
    end
    gradcheck(function(t) return 2.5 ^ t end, {leaf(sb)})
    gradcheck(function(t) return tensor.pow(0.5, t) end, {leaf(sa)})
  end)
end)

test("gradcheck: maximum, minimum, atan2", function()
  trials(3, function()
    local sa, sb = bshapes()
    -- |a| >= 0.3 and |b| <= 0.1: no pair is within 0.2 of a tie
    local a = leaf(sa, away0)
    local b = leaf(sb, function(t) return t:clamp(-1, 1) * 0.1 end)
    gradcheck(function(x, y) return tensor.maximum(x, y) end, {a, b})
    gradcheck(function(x, y) return tensor.minimum(x, y) end, {a, b})
    gradcheck(function(x, y) return x:max(y) end, {a, b})
    gradcheck(function(x, y) return tensor.atan2(x, y) end, {leaf(sa, away0), leaf(sb, away0)})
  end)
end)

test("gradcheck: remainder and fmod away from their jumps", function()
  trials(3, function()
    local sa, sb = bshapes()
    -- b in [1, 2); a = b * (k + 0.25..0.75) keeps a / b off the integers
    local b = leaf(sb, function(t) return t:abs():clamp(0, 0.99) + 1 end)
    local q = tensor.randn(sa, F64) * 3
    local a = tensor.no_grad(function() return (mid(q) * b):detach() end):requires_grad_()
    gradcheck(function(x, y) return x % y end, {a, b})
    gradcheck(function(x, y) return tensor.fmod(x, y) end, {a, b})
    local c = leaf(sa, function(t) return mid(t * 3) * 1.5 end)
    gradcheck(function(x) return x % 1.5 end, {c})
    gradcheck(function(x) return tensor.fmod(x, -1.5) end, {c})
  end)
end)

test("hand-computed binary gradients", function()
  local a = tensor({1.0, 2.0, 3.0}, {requires_grad = true})
  local b = tensor({4.0, -1.0, 0.5}, {requires_grad = true})
  ;(a * b + a / b):sum():backward()
  close(a.grad, {4 + 1 / 4, -1 - 1, 0.5 + 2})
  close(b.grad, {1 - 1 / 16, 2 - 2, 3 - 3 / 0.25})
  local x = tensor({2.0, 3.0}, {requires_grad = true})
  local y = tensor({3.0, 0.5}, {requires_grad = true})
  ;(x ^ y):sum():backward()
  close(x.grad, {3 * 4, 0.5 / math.sqrt(3)}, 1e-6)
  close(y.grad, {8 * math.log(2), math.sqrt(3) * math.log(3)}, 1e-6)
  -- ties in maximum share the gradient, as PyTorch
  local p = tensor({1.0, 2.0, 3.0}, {requires_grad = true})
  local q = tensor({1.0, 5.0, 0.0}, {requires_grad = true})
  tensor.maximum(p, q):sum():backward()
  close(p.grad, {0.5, 0, 1}); close(q.grad, {0.5, 1, 0})
  -- broadcasting sums the gradient back to each input's shape
  local r = tensor({{1.0}, {2.0}}, {requires_grad = true})   -- 2x1
  local c = tensor({10.0, 20.0, 30.0}, {requires_grad = true}) -- 3
  ;(r * c):sum():backward()
  close(r.grad, {{60}, {60}}); close(c.grad, {3, 3, 3})
  -- atan2 at (1, 1): d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2)
  local u = tensor({1.0}, {requires_grad = true})
  local v = tensor({1.0}, {requires_grad = true})
  tensor.atan2(u, v):sum():backward()
  close(u.grad, {0.5}); close(v.grad, {-0.5})
  -- remainder: d/db = -floor(a / b)
  local m = tensor({7.0, -7.0}, {requires_grad = true})
  local d = tensor({2.0, 2.0}, {requires_grad = true})
  tensor.remainder(m, d):sum():backward()
  close(m.grad, {1, 1}); close(d.grad, {-3, 4})
  m.grad = nil; d.grad = nil
  tensor.fmod(m, d):sum():backward()
  close(d.grad, {-3, 3})
end)

test("mixed dtypes: float32 input gets a float32 gradient", function()
  local a = tensor({1.0, 2.0}, {requires_grad = true})          -- float32
  local b = tensor({3.0, 4.0}, {dtype = "float64", requires_grad = true})
  local y = a * b
  eq(y:dtype(), "float64")
  y:sum():backward()
  eq(a.grad:dtype(), "float32"); eq(b.grad:dtype(), "float64")
  close(a.grad, {3, 4}); close(b.grad, {1, 2})
  local h = tensor({1.0, 2.0}, {dtype = "float16", requires_grad = true})
  ;(h * h):sum():backward()
  eq(h.grad:dtype(), "float16"); close(h.grad, {2, 4})
end)

test("node names follow PyTorch", function()
  local x = tensor({1.0, 2.0}, {requires_grad = true})
  local y = tensor({3.0, 4.0}, {requires_grad = true})
  local names = {
    {x + y, "AddBackward0"}, {x - y, "SubBackward0"}, {2 - x, "RsubBackward1"},
    {x * y, "MulBackward0"}, {x / y, "DivBackward0"}, {x ^ 2, "PowBackward0"},
    {x ^ y, "PowBackward1"}, {2 ^ x, "PowBackward2"}, {tensor.maximum(x, y), "MaximumBackward0"},
    {tensor.minimum(x, y), "MinimumBackward0"}, {tensor.atan2(x, y), "Atan2Backward0"},
    {x % 2, "RemainderBackward0"}, {x % y, "RemainderBackward1"}, {tensor.fmod(x, 2), "FmodBackward0"},
    {tensor.fmod(x, y), "FmodBackward1"}, {x // 2, "NotImplemented"},
    {tensor.div(x, y, {rounding_mode = "floor"}), "DivBackward2"},
    {x:exp(), "ExpBackward0"}, {x:relu(), "ReluBackward0"}, {x:square(), "PowBackward0"},
    {x:round({decimals = 1}), "RoundBackward1"}, {x:clamp(0, 1), "ClampBackward1"},
    {x:clamp(y, nil), "ClampBackward0"}, {x:log1p(), "Log1PBackward0"},
  }
  for _, p in ipairs(names) do eq(p[1].grad_fn.name, p[2]) end
  eq(tostring((x * y).grad_fn), "<MulBackward0>")
  check(tostring(x * y):find("grad_fn=<MulBackward0>", 1, true), "printed")
end)

-- ---------------------------------------------------------------- unary

test("gradcheck: every differentiable unary op", function()
  local cases = {
    {"neg", nil}, {"abs", away0}, {"exp", nil}, {"log", pos}, {"log1p", pos},
    {"expm1", nil}, {"sqrt", pos}, {"rsqrt", pos}, {"sin", nil}, {"cos", nil},
    {"tan", function(t) return t:clamp(-1, 1) end}, {"tanh", nil}, {"sigmoid", nil},
    {"relu", away0}, {"gelu", nil}, {"silu", nil}, {"reciprocal", away0}, {"square", nil},
  }
  trials(2, function()
    local shape = rshape(math.random(0, 3))
    for _, c in ipairs(cases) do
      local x = leaf(shape, c[2])
      local ok, err = pcall(gradcheck, function(t) return t[c[1]](t) end, {x})
      check(ok, c[1] .. ": " .. tostring(err))
    end
    local x = leaf(shape)
    gradcheck(function(t) return t:gelu({approximate = "tanh"}) end, {x})
    gradcheck(function(t) return -t end, {x})
  end)
  -- gelu near 0, where its gradient comes from gelu(x) / x
  gradcheck(function(t) return t:gelu() end, {tensor({0.0, 1e-9, -1e-7, 8.0, -8.0}, {dtype = "float64", requires_grad = true})})
end)

test("hand-computed unary gradients", function()
  local function grad_of(name, vals, opts)
    local x = tensor(vals, {dtype = "float64", requires_grad = true})
    x[name](x, opts):sum():backward()
    return x.grad
  end
  close(grad_of("exp", {0.0, 1.0}), {1, math.exp(1)})
  close(grad_of("log", {2.0, 4.0}), {0.5, 0.25})
  close(grad_of("sqrt", {4.0, 9.0}), {0.25, 1 / 6})
  close(grad_of("rsqrt", {4.0}), {-0.5 * 4 ^ -1.5})
  close(grad_of("tanh", {0.0}), {1})
  close(grad_of("sigmoid", {0.0}), {0.25})
  close(grad_of("relu", {-1.0, 0.0, 2.0}), {0, 0, 1})   -- 0 at the kink, as PyTorch
  close(grad_of("abs", {-2.0, 0.0, 3.0}), {-1, 0, 1})
  close(grad_of("silu", {0.0}), {0.5})
  close(grad_of("gelu", {0.0, 1.0}), {0.5, 0.5 * (1 + 0.6826894921370859) + 0.24197072451914337}, 1e-9)
  close(grad_of("gelu", {0.0}, {approximate = "tanh"}), {0.5})
  close(grad_of("reciprocal", {2.0}), {-0.25})
  close(grad_of("square", {-3.0}), {-6})
  close(grad_of("sin", {0.0}), {1})
  close(grad_of("cos", {math.pi / 2}), {-1})
  close(grad_of("tan", {0.0}), {1})
  close(grad_of("log1p", {1.0}), {0.5})
  close(grad_of("expm1", {0.0}), {1})
end)

test("floor, ceil, round, trunc and sign have zero gradients", function()
  for _, name in ipairs({"floor", "ceil", "round", "trunc", "sign"}) do
    local x = tensor({-1.7, 0.3, 2.5}, {dtype = "float64", requires_grad = true})
    local y = x[name](x)
    check(y.requires_grad, name .. " output requires grad")
    ;(y * 3):sum():backward()
    close(x.grad, {0, 0, 0})
    gradcheck(function(t) return t[name](t) end, {leaf({3}, function(t) return mid(t * 4) end)})
  end
  local x = tensor({1.26}, {dtype = "float64", requires_grad = true})
  x:round({decimals = 1}):sum():backward()
  close(x.grad, {0})
end)

test("div with a rounding mode has a zero gradient; floor_divide has none", function()
  local a = tensor({7.0, -7.0}, {requires_grad = true})
  local b = tensor({2.0, 2.0}, {requires_grad = true})
  for _, mode in ipairs({"floor", "trunc"}) do
    a.grad = nil; b.grad = nil
    local q = tensor.div(a, b, {rounding_mode = mode})
    eq(q.grad_fn.name, "DivBackward2")
    q:sum():backward()
    close(a.grad, {0, 0}); close(b.grad, {0, 0})
  end
  -- zero away from the jumps, by central differences too
  local p = tensor({7.3, -6.6, 1.2}, {dtype = "float64", requires_grad = true})
  local d = tensor({2.1, 1.9, -0.7}, {dtype = "float64", requires_grad = true})
  gradcheck(function(x, y) return tensor.div(x, y, {rounding_mode = "floor"}) end, {p, d})
  gradcheck(function(x, y) return tensor.div(x, y, {rounding_mode = "trunc"}) end, {p, d})
  gradcheck(function(x) local y = x * 1; y:div_(2, {rounding_mode = "trunc"}); return y end, {p})
  local f = a // b
  check(f.requires_grad)
  checkerr(function() f:sum():backward() end, "derivative for floor_divide is not implemented")
end)

test("comparisons and logical ops record nothing", function()
  local x = tensor({1.0, 2.0}, {requires_grad = true})
  for _, y in ipairs({x:gt(1), x:eq(x), x:lt(3), x:logical_not(), tensor.logical_and(x, x), x:ne(2)}) do
    check(not y.requires_grad); eq(y.grad_fn, nil)
  end
end)

test("clamp: scalar and tensor bounds", function()
  local x = tensor({-2.0, 0.5, 3.0}, {requires_grad = true})
  x:clamp(-1, 1):sum():backward()
  close(x.grad, {0, 1, 0})
  x.grad = nil
  x:clamp_min(0):sum():backward(); close(x.grad, {0, 1, 1})
  x.grad = nil
  x:clamp{max = 0.5}:sum():backward(); close(x.grad, {1, 1, 0}) -- the bound itself passes
  -- tensor bounds get the gradient where they win
  local lo = tensor({0.0, 0.0, 0.0}, {requires_grad = true})
  local hi = tensor({1.0, 1.0, 1.0}, {requires_grad = true})
  x.grad = nil
  x:clamp(lo, hi):sum():backward()
  close(x.grad, {0, 1, 0}); close(lo.grad, {1, 0, 0}); close(hi.grad, {0, 0, 1})
  -- min > max: every element is max, and max takes the whole gradient
  local lo2 = tensor({2.0}, {requires_grad = true})
  local hi2 = tensor({1.0}, {requires_grad = true})
  local z = tensor({5.0}, {requires_grad = true})
  z:clamp(lo2, hi2):sum():backward()
  close(z.grad, {0}); close(lo2.grad, {0}); close(hi2.grad, {1})
  trials(3, function()
    local sa, sb = bshapes()
    local v = leaf(sa, function(t) return (t * 4):round() + 0.5 end) -- off the integer bounds
    gradcheck(function(t) return t:clamp(-1, 1) end, {v})
    gradcheck(function(t) return t:clamp(nil, 0) end, {v})
    local l = leaf(sb, function(t) return (t * 4):round() - 2 end)
    local h = leaf(sb, function(t) return (t * 4):round() + 2 end)
    gradcheck(function(t, p, q) return t:clamp(p, q) end, {v, l, h})
    gradcheck(function(t, p) return t:clamp(p) end, {v, l})
    gradcheck(function(t, q) return t:clamp(nil, q) end, {v, h})
  end)
  -- a 0-dim bound that requires grad gets its gradient (summed)
  local b0 = tensor(0.0, {dtype = "float64", requires_grad = true})
  local w = tensor({-1.0, -2.0, 3.0}, {dtype = "float64", requires_grad = true})
  w:clamp(b0):sum():backward()
  close(b0.grad, 2); close(w.grad, {0, 0, 1})
end)

-- ---------------------------------------------------------------- in place

test("in-place ops on non-leaves record correctly", function()
  trials(3, function()
    local sa, sb = bshapes()
    local shape = sa
    local b = leaf(sb, away0)
    -- the in-place target must hold the broadcast shape: use a + 0*b as it
    local function target(t, u) return t + u * 0 end
    gradcheck(function(t, u) local y = target(t, u); y:add_(u, {alpha = 2}); return y end, {leaf(shape), b})
    gradcheck(function(t, u) local y = target(t, u); y:mul_(u); return y end, {leaf(shape), b})
    gradcheck(function(t, u) local y = target(t, u); y:div_(u); return y end, {leaf(shape), b})
    gradcheck(function(t, u) local y = target(t, u); y:sub_(u); return y end, {leaf(shape), b})
    gradcheck(function(t, u) local y = target(t, u); y:pow_(2); return y end, {leaf(shape), b})
    gradcheck(function(t) local y = t * 1; y:mul_(y); return y end, {leaf(shape)}) -- reads itself
  end)
  for _, name in ipairs({"relu_", "exp_", "tanh_", "sigmoid_", "sin_", "cos_", "tan_", "gelu_", "silu_",
                         "abs_", "neg_", "sqrt_", "rsqrt_", "log_", "log1p_", "expm1_", "reciprocal_",
                         "square_", "floor_", "ceil_", "round_", "trunc_", "sign_"}) do
    local positive = {sqrt_ = true, rsqrt_ = true, log_ = true, log1p_ = true}
    local f = positive[name] and pos or name == "tan_" and function(t) return t:clamp(-1, 1) end
      or (name == "floor_" or name == "ceil_" or name == "round_" or name == "trunc_") and mid or away0
    gradcheck(function(t) local y = t * 1; y[name](y); return y end, {leaf({2, 3}, f)})
  end
  local p, q = leaf({2, 3}, pos), leaf({3}, function(t) return t:abs():clamp(0, 0.99) + 1 end)
  gradcheck(function(t, u) local y = t * 1; y:pow_(u); return y end, {p, q})
  gradcheck(function(t, u) local y = t * 1; y:atan2_(u); return y end, {p, q})
  local r = tensor.no_grad(function() return (mid(tensor.randn({2, 3}, F64) * 3) * q):detach() end):requires_grad_()
  gradcheck(function(t, u) local y = t * 1; y:remainder_(u); return y end, {r, q})
  gradcheck(function(t, u) local y = t * 1; y:fmod_(u); return y end, {r, q})
  local lo, hi = tensor({-0.3, 0.2, -0.1}, F64):requires_grad_(), tensor({0.4, 0.9, 0.3}, F64):requires_grad_()
  gradcheck(function(t, a, b) local y = t * 1; y:clamp_(a, b); return y end,
    {leaf({2, 3}, function(t) return (t * 4):round() / 4 + 0.125 end), lo, hi})
  gradcheck(function(t) local y = t * 1; y:clamp_(-0.5, 0.5); return y end,
    {leaf({5}, function(t) return (t * 4):round() / 4 + 0.125 end)})
  local x = tensor({-1.0, 2.0}, {requires_grad = true})
  local y = x * 2
  y:relu_()
  eq(y.grad_fn.name, "ReluBackward0")
  eq(y.grad_fn.next_functions[1].name, "MulBackward0")
  y:sum():backward()
  close(x.grad, {0, 2})
end)

test("in place: buffers that require no grad, comparisons, no_grad", function()
  -- an in-place op on a plain tensor with a grad operand records
  local w = tensor({1.0, 2.0}, {requires_grad = true})
  local acc = tensor.zeros(2)
  acc:add_(w * 3)
  check(acc.requires_grad and not acc.is_leaf)
  acc:sum():backward()
  close(w.grad, {3, 3})
  -- a comparison written into a tensor that requires grad gives zeros
  local x = tensor({1.0, 2.0}, {requires_grad = true})
  local y = x * 1
  y:gt_(1.5)
  eq(y.grad_fn.name, "GtBackward0")
  close(y, {0, 1})
  ;(y * 5):sum():backward()
  close(x.grad, {0, 0})
  -- under no_grad an in-place op keeps the tensor's history (PyTorch)
  local a = tensor({1.0, 2.0}, {requires_grad = true})
  local h = a * 2
  tensor.no_grad(function() h:mul_(10) end)
  eq(h.grad_fn.name, "MulBackward0")
  ;(h * 1):sum():backward()
  close(a.grad, {2, 2})
end)

test("in-place refusals", function()
  local x = tensor({1.0, 2.0}, {requires_grad = true})
  checkerr(function() x:add_(1) end, "a leaf tensor that requires grad is being used in an in-place operation")
  checkerr(function() x:relu_() end, "relu_: a leaf tensor")
  checkerr(function() x:clamp_(0, 1) end, "clamp_: a leaf tensor")
  checkerr(function() x:div_(2, {rounding_mode = "floor"}) end, "div_: a leaf tensor")
  checkerr(function() x:gt_(0) end, "gt_: a leaf tensor")
  tensor.no_grad(function() x:mul_(2) end) -- allowed under no_grad
  close(x, {2, 4})
  -- a saved input changed in place: refused when backward reads it
  local a = tensor({1.0, 2.0}, {requires_grad = true})
  local h = a * 1
  local z = (h * h):sum()
  h:add_(1)
  checkerr(function() z:backward() end, "modified by an in-place operation")
  -- exp saves its output: changing the output in place breaks its backward
  local e = a:exp()
  local s = e:sum()
  e:mul_(2)
  checkerr(function() s:backward() end, "saved by ExpBackward0")
  -- a non-leaf changed behind autograd's back (through a detached alias)
  local y = a * 2
  y:detach():add_(1)
  checkerr(function() return y * 3 end, "modified in place after it was computed")
  -- views of a leaf (once views record their history)
  local v = x:view(-1)
  if v.grad_fn then
    checkerr(function() v:mul_(2) end, "a view of a leaf tensor")
  end
end)

test("the interpreter still works after the errors", function()
  local x = tensor({3.0}, {requires_grad = true})
  ;(x * x):sum():backward()
  close(x.grad, {6})
end)

T.done()
