-- test_grad_reduce.lua: gradients of reductions and of ops along a dim.
-- Every differentiable op goes through autograd.gradcheck in float64 over
-- random shapes, every dim, several dims, keepdim and 0-dim inputs, with
-- points chosen away from ties and kinks; some gradients are checked
-- against values worked out by hand (ties, zeros, NaN) as PyTorch gives them.
local T = require("testlib")
local test, check, eq, close, checkerr = T.test, T.check, T.eq, T.close, T.checkerr
local autograd = require("autograd")
local gradcheck = autograd.gradcheck

T.seed(1)

local F64, leaf, rshape, trials = T.F64, T.leaf, T.rshape, T.trials

-- Values with no two elements within 0.1 of each other (no ties to break).
local function distinct(shape)
  local n = 1
  for _, d in ipairs(shape) do n = n * d end
  local v = tensor.randperm(n):double() * 0.37 + tensor.rand(n, F64) * 0.1
  v = #shape == 0 and v[1] or v:view(shape)
  return v:detach():requires_grad_()
end

-- The argument lists a reduction takes: all, each dim, a set of dims,
-- with and without keepdim (as tables, unpacked after the tensor).
local function reduce_args(nd)
  local list = {{}, {{keepdim = true}}}
  for d = 1, nd do
    list[#list + 1] = {d}
    list[#list + 1] = {-d, true}
  end
  if nd >= 2 then
    list[#list + 1] = {{1, nd}}
    list[#list + 1] = {{nd, 1}, true}
  end
  return list
end

local function each_reduction(fn, make, trials)
  for _ = 1, trials or 2 do
    for nd = 0, 3 do
      local shape = rshape(nd)
      local x = make and make(shape) or leaf(shape)
      for _, args in ipairs(reduce_args(nd)) do
        local ok, err = pcall(gradcheck, function(t) return fn(t, table.unpack(args)) end, {x})
        check(ok, string.format("shape {%s}, args %d: %s", table.concat(shape, ","), #args, tostring(err)))
      end
    end
  end
end

test("gradcheck: sum, mean, prod, logsumexp over all, dims, keepdim", function()
  each_reduction(function(t, ...) return t:sum(...) end)
  each_reduction(function(t, ...) return t:mean(...) end)
  each_reduction(function(t, ...) return t:prod(...) end)
  each_reduction(function(t, ...) return t:logsumexp(...) end)
  gradcheck(function(t) return t:sum({dtype = "float64"}) end, {leaf({2, 3})})
end)

test("gradcheck: prod with zeros in a slice", function()
  local x = tensor({{0.0, 2.0, 3.0}, {1.5, 0.0, 0.0}, {2.0, -1.0, 0.5}}, {dtype = "float64", requires_grad = true})
  gradcheck(function(t) return t:prod() end, {x})
  gradcheck(function(t) return t:prod(1) end, {x})
  gradcheck(function(t) return t:prod(2, true) end, {x})
  gradcheck(function(t) return t:prod({1, 2}) end, {x})
  local y = tensor({0.0}, {dtype = "float64", requires_grad = true})
  gradcheck(function(t) return t:prod() end, {y})
end)

test("gradcheck: var and std with corrections", function()
  for _, c in ipairs({0, 1, 2.5}) do
    each_reduction(function(t, ...)
      local args = table.pack(...)
      local opts = {correction = c}
      if type(args[args.n]) == "table" and not args[args.n][1] then
        opts.keepdim = args[args.n].keepdim
        args.n = args.n - 1
      end
      return t:var(table.unpack(args, 1, args.n), opts)
    end, function(shape)
      -- enough elements in every slice for N > correction
      for i = 1, #shape do shape[i] = math.max(shape[i], 4) end
      return leaf(shape)
    end, 1)
  end
  local x = leaf({3, 4})
  gradcheck(function(t) return t:std() end, {x})
  gradcheck(function(t) return t:std(2) end, {x})
  gradcheck(function(t) return t:std(1, true, {correction = 0}) end, {x})
  gradcheck(function(t) return t:std({unbiased = false}) end, {x})
end)

test("gradcheck: norm for p = 2, 1, inf, -inf, 'fro', 3, 1.5, 0.5, -2", function()
  local away = function(shape) return leaf(shape, function(t) return t + t:sign() * 0.3 end) end
  for _, p in ipairs({2, 1, 3, 1.5, 0.5, -2}) do
    each_reduction(function(t, ...) return t:norm(p, ...) end, away, 1)
  end
  each_reduction(function(t, ...) return t:norm(...) end, away, 1)
  each_reduction(function(t, ...) return t:norm("fro", ...) end, away, 1)
  -- inf norms need one clear largest (smallest) |x|
  for _, p in ipairs({math.huge, -math.huge}) do
    each_reduction(function(t, ...) return t:norm(p, ...) end, distinct, 1)
  end
end)

test("gradcheck: max, min (full and along a dim), sort, topk", function()
  for _ = 1, 2 do
    for nd = 0, 3 do
      local shape = rshape(nd)
      local x = distinct(shape)
      gradcheck(function(t) return t:max() end, {x})
      gradcheck(function(t) return t:min() end, {x})
      for d = 1, math.max(nd, 1) do
        if nd == 0 and d > 1 then break end
        gradcheck(function(t) return t:max(d) end, {x})
        gradcheck(function(t) return t:min(-d, true) end, {x})
        gradcheck(function(t) return t:sort(d) end, {x})
        gradcheck(function(t) return t:sort(d, true) end, {x})
        local k = nd == 0 and 1 or math.random(1, shape[d])
        gradcheck(function(t) return t:topk(k, d) end, {x})
        gradcheck(function(t) return t:topk(k, d, false) end, {x})
      end
    end
  end
end)

test("gradcheck: cumsum, cumprod, softmax, log_softmax along each dim", function()
  for _ = 1, 2 do
    for nd = 0, 3 do
      local shape = rshape(nd)
      local x = leaf(shape)
      for d = 1, math.max(nd, 1) do
        gradcheck(function(t) return t:cumsum(d) end, {x})
        gradcheck(function(t) return t:cumprod(-d) end, {x})
        gradcheck(function(t) return t:softmax(d) end, {x})
        gradcheck(function(t) return t:log_softmax(d) end, {x})
      end
    end
  end
  -- cumprod with zeros: one, two, and at the ends of a row
  local z = tensor({{1.5, 0.0, 2.0, -1.0}, {0.0, 2.0, 0.0, 3.0}, {2.0, 0.5, -1.5, 0.0}},
    {dtype = "float64", requires_grad = true})
  gradcheck(function(t) return t:cumprod(2) end, {z})
  gradcheck(function(t) return t:cumprod(1) end, {z})
  gradcheck(function(t) return t:cumsum(2, {dtype = "float64"}) end, {z})
  gradcheck(function(t) return t:softmax(1, {dtype = "float64"}) end, {z})
end)

test("hand-computed reduction gradients", function()
  local x = tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}, {requires_grad = true})
  x:mean():backward()
  close(x.grad, {{1 / 6, 1 / 6, 1 / 6}, {1 / 6, 1 / 6, 1 / 6}})
  x.grad = nil
  x:sum(2):backward(tensor{10.0, 20.0})
  close(x.grad, {{10, 10, 10}, {20, 20, 20}})
  x.grad = nil
  x:prod(2):backward(tensor{1.0, 1.0})
  close(x.grad, {{6, 3, 2}, {30, 24, 20}})
  x.grad = nil
  x:var(2):backward(tensor{1.0, 1.0}) -- 2 (x - mean) / (3 - 1)
  close(x.grad, {{-1, 0, 1}, {-1, 0, 1}})
  x.grad = nil
  local v = tensor({3.0, 4.0}, {requires_grad = true})
  v:norm():backward()
  close(v.grad, {0.6, 0.8})
  v.grad = nil
  v:norm(1):backward()
  close(v.grad, {1, 1})
  -- logsumexp of equal values: an even split
  local e = tensor({2.0, 2.0, 2.0, 2.0}, {requires_grad = true})
  e:logsumexp(1):backward()
  close(e.grad, {0.25, 0.25, 0.25, 0.25})
  -- softmax gradients of any g sum to zero along the dim
  local s = tensor({{0.1, 0.2, 0.7}}, {dtype = "float64", requires_grad = true})
  s:softmax(2):backward(tensor({{1.0, -2.0, 0.5}}, F64))
  close(s.grad:sum():item(), 0, 1e-12)
  -- cumsum: each input feeds every later output
  local c = tensor({1.0, 2.0, 3.0}, {requires_grad = true})
  c:cumsum(1):sum():backward()
  close(c.grad, {3, 2, 1})
  -- cumprod through a zero: y = (2, 0, 0) for x = (2, 0, 5)
  local p = tensor({2.0, 0.0, 5.0}, {requires_grad = true})
  p:cumprod(1):sum():backward()
  close(p.grad, {1, 2 + 10, 0})
end)

test("ties, zeros and NaN as PyTorch handles them", function()
  -- max/min of everything share the gradient among the tied elements
  local x = tensor({1.0, 3.0, 3.0, 2.0}, {requires_grad = true})
  x:max():backward()
  close(x.grad, {0, 0.5, 0.5, 0})
  x.grad = nil
  x:min():backward()
  close(x.grad, {1, 0, 0, 0})
  -- along a dim only the returned index gets it
  local y = tensor({{1.0, 3.0, 3.0}}, {requires_grad = true})
  local _, idx = y:max(2)
  eq(idx[1]:item(), 2)
  y:max(2):sum():backward()
  close(y.grad, {{0, 1, 0}})
  -- prod with one zero: the product of the others there, 0 elsewhere;
  -- with two zeros: all 0
  local p = tensor({2.0, 0.0, 3.0}, {requires_grad = true})
  p:prod():backward()
  close(p.grad, {0, 6, 0})
  local q = tensor({0.0, 2.0, 0.0}, {requires_grad = true})
  q:prod():backward()
  close(q.grad, {0, 0, 0})
  -- the norm of zeros has a zero gradient, not NaN
  local z = tensor({0.0, 0.0}, {requires_grad = true})
  z:norm():backward()
  close(z.grad, {0, 0})
  -- std of a constant: zero gradient
  local c = tensor({2.0, 2.0, 2.0}, {requires_grad = true})
  c:std():backward()
  close(c.grad, {0, 0, 0})
  -- var with N <= correction: nan at the mean, inf elsewhere (PyTorch)
  local one = tensor({5.0}, {requires_grad = true})
  one:var():backward()
  check(one.grad[1]:item() ~= one.grad[1]:item(), "nan")
  -- max of a tensor holding NaN: the NaNs get the gradient
  local n = tensor({1.0, 0 / 0, 2.0}, {requires_grad = true})
  n:max():backward()
  close(n.grad, {0, 1, 0})
  -- the inf-norm splits among the largest |x|, with their signs
  local m = tensor({-2.0, 2.0, 1.0}, {requires_grad = true})
  m:norm(math.huge):backward()
  close(m.grad, {-0.5, 0.5, 0})
  -- p = 0 counts nonzeros: no gradient
  local k = tensor({1.0, 0.0, 3.0}, {requires_grad = true})
  k:norm(0):backward()
  close(k.grad, {0, 0, 0})
end)

test("node names, and what records nothing", function()
  local x = tensor({{1.0, 2.0}, {3.0, 4.0}}, {requires_grad = true})
  local names = {
    {x:sum(), "SumBackward0"}, {x:sum(1), "SumBackward1"}, {x:mean(), "MeanBackward0"},
    {x:mean(2), "MeanBackward1"}, {x:prod(), "ProdBackward0"}, {x:prod(1), "ProdBackward1"},
    {x:var(), "VarBackward0"}, {x:std(1), "StdBackward0"}, {x:norm(), "LinalgVectorNormBackward0"},
    {x:logsumexp(1), "LogsumexpBackward0"}, {x:max(), "MaxBackward1"}, {(x:max(1)), "MaxBackward0"},
    {x:min(), "MinBackward1"}, {(x:min(2)), "MinBackward0"}, {(x:sort(1)), "SortBackward0"},
    {(x:topk(1)), "TopkBackward0"}, {x:cumsum(1), "CumsumBackward0"}, {x:cumprod(2), "CumprodBackward0"},
    {x:softmax(1), "SoftmaxBackward0"}, {x:log_softmax(2), "LogSoftmaxBackward0"},
  }
  for _, p in ipairs(names) do eq(p[1].grad_fn.name, p[2]) end
  local _, i = x:max(1)
  check(not i.requires_grad, "max indices")
  local _, j = x:sort(2)
  check(not j.requires_grad, "sort indices")
  for _, y in ipairs({x:argmax(), x:argmin(1), x:any(), x:all(2), x:sum({dtype = "int64"})}) do
    check(not y.requires_grad); eq(y.grad_fn, nil)
  end
end)

test("float32 and float16 inputs get gradients of their dtype", function()
  local x = tensor({1.0, 2.0, 3.0}, {requires_grad = true})
  x:sum({dtype = "float64"}):backward()
  eq(x.grad:dtype(), "float32"); close(x.grad, {1, 1, 1})
  local h = tensor({1.0, 2.0}, {dtype = "float16", requires_grad = true})
  h:softmax(1):sum():backward()
  eq(h.grad:dtype(), "float16"); close(h.grad, {0, 0}, 1e-3)
end)

test("reductions of empty tensors", function()
  local e = tensor.zeros({0, 3}, {requires_grad = true})
  e:sum():backward()
  eq(e.grad:numel(), 0); eq(e.grad:size(1), 0)
  local f = tensor.zeros({2, 0}, {requires_grad = true})
  f:sum(2):backward(tensor{1.0, 1.0})
  eq(f.grad:numel(), 0)
end)

test("errors from reductions leave the graph usable", function()
  local x = tensor({1.0, 2.0}, {requires_grad = true})
  checkerr(function() x:sum(3) end, "out of range")
  checkerr(function() (x * 1):backward() end, "implicitly created only for scalar")
  checkerr(function() x:softmax(1):backward() end, "implicitly created only for scalar")
  checkerr(function() tensor.zeros(0, {requires_grad = true}):max() end, "non-empty")
  local y = x:sum()
  y:backward()
  close(x.grad, {1, 1})
end)

T.done()
