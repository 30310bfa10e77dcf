-- test_grad_shape.lua: gradients of the shape ops: cat and stack (any
-- number of tensors, mixed dtypes, the skipped empty 1-d tensors of cat),
-- split/chunk views, repeat/tile, flip, tril/triu (in place too) and roll:
-- gradcheck in float64 over random shapes and layouts, values worked out by
-- hand, node names and refusals.
local T = require("testlib")
local test, check, eq, close, checkerr = T.test, T.check, T.eq, T.close, T.checkerr
local gradcheck = require("autograd").gradcheck

T.seed(3)

local F64, leaf, rshape, trials = T.F64, T.leaf, T.rshape, T.trials

-- ------------------------------------------------------------ cat, stack

test("gradcheck: cat along each dim, any number of tensors, any layout", function()
  trials(3, function()
    local nd = math.random(1, 3)
    local dim = math.random(nd)
    local count = math.random(2, 7) -- past a node's four inputs
    local xs = {}
    for i = 1, count do
      local s = rshape(nd, 1, 3)
      for d = 1, nd do if d ~= dim then s[d] = (xs[1] and xs[1]:size(d)) or s[d] end end
      xs[i] = leaf(s)
    end
    gradcheck(function(...) return tensor.cat({...}, dim) end, xs)
    -- transposed and sliced pieces
    if nd >= 2 then
      gradcheck(function(a, b) return tensor.cat({a:transpose(1, 2):transpose(1, 2), b[{{1, -1, 1}}]}, dim) end, {xs[1], xs[2]})
    end
    -- some of them constants
    gradcheck(function(a) return tensor.cat({xs[2]:detach(), a, xs[2]:detach()}, dim) end, {xs[1]})
  end)
end)

test("gradcheck: stack, split and chunk", function()
  trials(3, function()
    local s = rshape(2, 1, 3)
    local count = math.random(1, 9)
    local xs = {}
    for i = 1, count do xs[i] = leaf(s) end
    for dim = 1, 3 do
      gradcheck(function(...) return tensor.stack({...}, dim) end, xs)
    end
    local x = leaf(rshape(2, 2, 5))
    gradcheck(function(t) local p = t:split(2, 1); return p[#p] * 2 end, {x})
    gradcheck(function(t) local p = t:split({1, t:size(2) - 1}, 2); return tensor.cat({p[2], p[1]}, 2) end, {x})
    gradcheck(function(t) local p = t:chunk(2, 2); return p[1] end, {x})
  end)
end)

test("cat: mixed dtypes, skipped empty tensors, values", function()
  local a = tensor({{1.0, 2.0}}, {requires_grad = true})                  -- float32
  local b = tensor({{3.0, 4.0}, {5.0, 6.0}}, {dtype = "float64", requires_grad = true})
  local c = tensor.cat({a, tensor.zeros(0), b})
  eq(c:dtype(), "float64")
  c:backward(tensor({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}}, F64))
  eq(a.grad:dtype(), "float32"); close(a.grad, {{1, 2}}); close(b.grad, {{3, 4}, {5, 6}})
  local e = tensor.zeros(0, F64):requires_grad_()
  local x = tensor({1.0, 2.0}, {requires_grad = true})
  tensor.cat({e, x, e}):backward(tensor{7.0, 8.0})
  close(x.grad, {7, 8})
  local s = tensor.stack({x, x * 2, x * 3}, 2)
  x.grad = nil
  s:backward(tensor({{1.0, 1.0, 1.0}, {0.0, 1.0, 0.0}}))
  close(x.grad, {6, 2})
end)

-- ------------------------------------------------------------ repeat .. roll

test("gradcheck: repeat and tile sum over the copies", function()
  trials(3, function()
    local nd = math.random(1, 3)
    local x = leaf(rshape(nd, 1, 3))
    local reps = rshape(nd + math.random(0, 1), 1, 3)
    gradcheck(function(t) return t["repeat"](t, reps) end, {x})
    gradcheck(function(t) local u = t:transpose(1, -1); return u["repeat"](u, reps) end, {x})
    gradcheck(function(t) return t:tile(reps) end, {x})
    gradcheck(function(t) return t:tile({2}) end, {x})
  end)
  local x = tensor({1.0, 2.0}, {requires_grad = true})
  x["repeat"](x, 3, 2):backward(tensor.ones(3, 4))
  close(x.grad, {6, 6})
  x.grad = nil
  local z = x["repeat"](x, 2, 0)
  eq(z:numel(), 0)
  z:backward(tensor.ones(2, 0))
  close(x.grad, {0, 0})
end)

test("gradcheck: flip, tril, triu, roll", function()
  trials(3, function()
    local shape = rshape(3, 2, 4)
    local x = leaf(shape)
    gradcheck(function(t) return t:flip(1) end, {x})
    gradcheck(function(t) return t:flip(1, 3) * t end, {x})
    gradcheck(function(t) return t:t():flip(2) end, {leaf({3, 2})})
    for _, k in ipairs({0, 1, -1, 5, -5}) do
      gradcheck(function(t) return t:tril(k) end, {x})
      gradcheck(function(t) return t:triu(k) end, {x})
    end
    gradcheck(function(t) return t:roll(1, 1) end, {x})
    gradcheck(function(t) return t:roll({-2, 5}, {2, 3}) end, {x})
    gradcheck(function(t) return t:roll(7) end, {x})
    gradcheck(function(t) return t:transpose(1, 3):roll({1, 1}, {1, 1}) end, {x})
  end)
  local x = tensor({1.0, 2.0, 3.0}, {requires_grad = true})
  x:roll(1):backward(tensor{10.0, 20.0, 30.0})
  close(x.grad, {20, 30, 10})
  x.grad = nil
  x:flip(1):backward(tensor{10.0, 20.0, 30.0})
  close(x.grad, {30, 20, 10})
  local m = tensor({{1.0, 2.0}, {3.0, 4.0}}, {requires_grad = true})
  m:triu():backward(tensor({{5.0, 6.0}, {7.0, 8.0}}))
  close(m.grad, {{5, 6}, {0, 8}})
end)

test("tril_ and triu_ in place, through views too", function()
  local x = leaf({3, 4})
  gradcheck(function(t) return (t * 2):tril_(-1) end, {x})
  gradcheck(function(t) local h = t * 1; h[{{2, 3}}]:triu_(1); return h end, {x})
  local h = x * 1
  h:tril_()
  eq(h.grad_fn.name, "TrilBackward0")
  checkerr(function() x:tril_() end, "tril_: a leaf tensor that requires grad")
  checkerr(function() x[{{1, 2}}]:triu_() end, "triu_: a view of a leaf tensor")
end)

test("node names; constants get nothing", function()
  local a, b = leaf({2, 2}), leaf({2, 2})
  local names = {
    {tensor.cat({a, b}), "CatBackward0"}, {tensor.stack({a, b}), "StackBackward0"},
    {a:split(1)[2], "SliceBackward0"}, {a:chunk(2, 2)[1], "SliceBackward0"},
    {a["repeat"](a, 2, 1), "RepeatBackward0"}, {a:tile(2), "RepeatBackward0"},
    {a:flip(1), "FlipBackward0"}, {a:tril(), "TrilBackward0"}, {a:triu(), "TriuBackward0"},
    {a:roll(1, 1), "RollBackward0"},
  }
  for _, p in ipairs(names) do eq(p[1].grad_fn.name, p[2]) end
  local c = tensor.ones(2, 2, F64)
  tensor.cat({c, a}):sum():backward()
  check(c.grad == nil and a.grad ~= nil, "only a")
  local n = tensor.no_grad(function() return tensor.stack({a, b}) end)
  check(not n.requires_grad, "no_grad")
  checkerr(function() tensor.cat({a, leaf({3})}) end, "same number of dimensions")
  checkerr(function() tensor.stack({a, leaf({3})}) end, "expects tensors of equal shape")
  checkerr(function() a["repeat"](a, 2) end, "at least 2 are needed")
  checkerr(function() a:roll({1, 2}, {1}) end, "same length")
  local ok = tensor.cat({a, b}, 2)
  eq(ok:size(2), 4)
end)

T.done()
