-- test_autograd.lua: the autograd engine's semantics, as PyTorch has them:
-- accumulation, the errors of backward, retain_graph, saved tensors changed
-- in place, grad mode (no_grad / enable_grad / set_grad_enabled), detach,
-- retain_grad, leaves and grad_fn, the tape freed after backward, deep
-- graphs, and autograd.gradcheck itself. Per-op rules: test_grad_*.lua.
local T = require("testlib")
local test, check, eq, close, checkerr = T.test, T.check, T.eq, T.close, T.checkerr
local autograd = require("autograd")

local function fresh() return tensor({1.0, 2.0, 3.0}, {requires_grad = true}) end

test("leaves, requires_grad, is_leaf, grad_fn", function()
  local x = fresh()
  check(x.requires_grad and x.is_leaf); eq(x.grad_fn, nil); eq(x.grad, nil)
  local y = x * 2
  check(y.requires_grad and not y.is_leaf)
  eq(y.grad_fn.name, "MulBackward0")
  local nf = y.grad_fn.next_functions
  eq(#nf, 2); eq(nf[1].name, "AccumulateGrad"); eq(nf[2], false) -- the number needs no grad
  local p = tensor{1.0, 2.0}
  check(not p.requires_grad and p.is_leaf)
  check(not (p * 2).requires_grad)
  p.requires_grad = true
  check(p.requires_grad)
  p:requires_grad_(false)
  check(not p.requires_grad)
  local r = tensor.randn({2}, {requires_grad = true})
  check(r.requires_grad)
end)

test("gradients accumulate across backward calls", function()
  local x = fresh()
  ;(x * x):sum():backward()
  close(x.grad, {2, 4, 6})
  local held = x.grad
  ;(x * x):sum():backward()
  close(x.grad, {4, 8, 12})
  close(held, {4, 8, 12}) -- accumulated in place, as PyTorch: holders see the sum
  x.grad = nil
  ;(x * 3):sum():backward()
  close(x.grad, {3, 3, 3})
  close(held, {4, 8, 12}) -- a new .grad after it was cleared
end)

test("a leaf used twice gets the sum of both paths", function()
  local x = fresh()
  ;(x * x + x):sum():backward()
  close(x.grad, {3, 5, 7})
  local w = tensor({2.0}, {requires_grad = true})
  local y = w * 3
  ;(y * y + y * w):sum():backward() -- 9w^2 + 3w^2 -> 24w
  close(w.grad, {48})
end)

test("backward's errors", function()
  local x = fresh()
  checkerr(function() (x * 2):backward() end, "grad can be implicitly created only for scalar outputs")
  checkerr(function() tensor{1.0}:backward() end, "does not require grad")
  checkerr(function() (x * 2):backward(tensor{1.0, 1.0}) end, "does not match the tensor's shape")
  checkerr(function() (x * 2):backward(tensor{1.0, 1.0, 1.0}, {retain = true}) end, "retain")
  checkerr(function() (x * 2):backward(3) end, "gradient tensor or options expected")
  -- with a gradient, a non-scalar output is fine
  ;(x * 2):backward(tensor{1.0, 0.0, -1.0})
  close(x.grad, {2, 0, -2})
  -- a one-element output needs no gradient even with dims
  x.grad = nil
  x:sum(1, true):backward()
  close(x.grad, {1, 1, 1})
  checkerr(function() x.grad = tensor{1.0} end, "does not match")
  checkerr(function() (x * 2):requires_grad_(false) end, "only change requires_grad of leaf")
  checkerr(function() tensor{1, 2}:requires_grad_() end, "only floating point tensors can require gradients")
  checkerr(function() tensor({1, 2}, {requires_grad = true}) end, "only floating point")
  checkerr(function() tensor({true}):requires_grad_() end, "got bool")
end)

test("a second backward needs retain_graph the first time", function()
  local x = fresh()
  local z = (x * x):sum()
  z:backward()
  checkerr(function() z:backward() end, "backward through the graph a second time")
  local z2 = (x * x):sum()
  x.grad = nil
  z2:backward({retain_graph = true})
  z2:backward({retain_graph = true})
  close(x.grad, {4, 8, 12})
  z2:backward()
  checkerr(function() z2:backward() end, "retain_graph=true")
  -- a graph that saved nothing can be walked again, as in PyTorch
  x.grad = nil
  local s = (x + 1):sum()
  s:backward(); s:backward()
  close(x.grad, {2, 2, 2})
end)

test("a saved tensor changed in place fails at backward", function()
  local x = fresh()
  local h = x * 1
  local z = (h * h):sum()
  h:add_(1)
  checkerr(function() z:backward() end, "has been modified by an in-place operation")
  -- changing a tensor the graph did not save is fine
  local a = x * 1
  local b = (a + 1):sum()
  a:zero_()
  b:backward()
  close(x.grad, {1, 1, 1})
end)

test("no_grad, enable_grad and set_grad_enabled nest and restore", function()
  local x = fresh()
  check(tensor.is_grad_enabled())
  local r1, r2 = tensor.no_grad(function(a, b)
    check(not tensor.is_grad_enabled())
    check(not (x * 2).requires_grad)
    tensor.enable_grad(function()
      check(tensor.is_grad_enabled())
      check((x * 2).requires_grad)
      tensor.no_grad(function() check(not tensor.is_grad_enabled()) end)
      check(tensor.is_grad_enabled())
    end)
    check(not tensor.is_grad_enabled())
    return a + b, "two"
  end, 1, 2)
  eq(r1, 3); eq(r2, "two")
  check(tensor.is_grad_enabled())
  -- an error inside restores the mode
  local ok, err = pcall(tensor.no_grad, function() error("boom") end)
  check(not ok and tostring(err):find("boom"))
  check(tensor.is_grad_enabled())
  tensor.no_grad(function()
    pcall(tensor.enable_grad, function() error("inner") end)
    check(not tensor.is_grad_enabled())
  end)
  eq(tensor.set_grad_enabled(false), true)
  check(not (x * 2).requires_grad)
  eq(tensor.set_grad_enabled(true), false)
  check((x * 2).requires_grad)
  checkerr(function() tensor.no_grad(42) end, "function expected")
  checkerr(function() tensor.set_grad_enabled("yes") end, "boolean expected")
end)

test("detach shares data and leaves the graph", function()
  local x = fresh()
  local y = x * 2
  local d = y:detach()
  check(not d.requires_grad and d.is_leaf)
  d[1] = 100
  eq(y[1]:item(), 100) -- the same storage
  local dx = x:detach()
  tensor.no_grad(function() dx[2] = 7 end)
  eq(x[2]:item(), 7)
  -- detach_ takes a tensor itself out of the graph
  local z = x * 3
  z:detach_()
  check(not z.requires_grad); eq(z.grad_fn, nil)
end)

test("retain_grad keeps a non-leaf's gradient", function()
  local x = fresh()
  local y = x * 2
  y:retain_grad()
  local z = (y * y):sum()
  z:backward({retain_graph = true})
  close(y.grad, {4, 8, 12})
  eq((x * 5).grad, nil) -- others do not keep theirs
  z:backward()
  close(y.grad, {8, 16, 24}) -- accumulates like a leaf's
  local w = fresh()
  local v = w * 1
  v:retain_grad()
  v:mul_(3)               -- the retained gradient follows the in-place op
  v:sum():backward()
  close(v.grad, {1, 1, 1}); close(w.grad, {3, 3, 3})
  -- detach_ on a retained tensor the graph still needs: nothing dangles
  local u = w * 2
  u:retain_grad()
  local s = (u * u):sum()
  u:detach_()
  u = nil
  collectgarbage(); collectgarbage()
  w.grad = nil
  s:backward()
  close(w.grad, {8, 16, 24})
  w:retain_grad() -- a leaf: nothing to do
  checkerr(function() tensor{1.0}:retain_grad() end, "requires_grad=false")
end)

test("the tape is freed after backward", function()
  collectgarbage(); collectgarbage()
  local base = tensor.memory_stats().allocated
  local x = tensor.randn({1000}, {requires_grad = true}) -- 4000 bytes
  local y = x
  for _ = 1, 200 do y = y:tanh() end -- every node keeps its output for backward
  collectgarbage(); collectgarbage()
  local held = tensor.memory_stats().allocated - base
  check(held >= 200 * 4000, "the forward pass holds its outputs: " .. held)
  y:sum():backward()
  collectgarbage(); collectgarbage()
  local after = tensor.memory_stats().allocated - base
  -- what is left: x, x.grad, y and a few scalars
  check(after < 10 * 4000, "after backward: " .. after)
  eq(x.grad:size(1), 1000)
  y = nil
  collectgarbage(); collectgarbage()
  check(tensor.memory_stats().allocated - base < 4 * 4000)
end)

test("deep graphs: 100k ops in a chain", function()
  -- w * y puts the chain on the second input, saved tensors hold the
  -- previous outputs: releasing and walking must not recurse
  local w = tensor({1.0}, {requires_grad = true})
  local y = w * 1
  for _ = 1, 100000 do y = w * y end
  y:sum():backward()
  close(w.grad, {100001})
  local x = tensor({0.5}, {dtype = "float64", requires_grad = true})
  local z = x
  for _ = 1, 100000 do z = z:sin():add(0) end
  z:backward()
  check(x.grad:item() > 0 and x.grad:item() < 1)
  y, z = nil, nil
  collectgarbage(); collectgarbage()
  -- and a chain dropped without backward
  local u = w * 1
  for _ = 1, 100000 do u = u * w end
  u = nil
  collectgarbage(); collectgarbage()
  check(true)
end)

test("gradcheck itself", function()
  local x = tensor.randn({3}, {dtype = "float64", requires_grad = true})
  eq(autograd.gradcheck(function(t) return t * t end, {x}), true)
  -- a wrong gradient (the detached factor hides half of it) is caught
  local ok, msg = autograd.gradcheck(function(t) return t:detach() * t end, {x}, {raise = false})
  check(not ok and msg:find("backward gave", 1, true), tostring(msg))
  checkerr(function() autograd.gradcheck(function(t) return t:detach() * t end, {x}) end, "central differences")
  checkerr(function() autograd.gradcheck(function(t) return t end, {tensor.randn({2}, {requires_grad = true})}) end,
    "should be float64")
  checkerr(function() autograd.gradcheck(function(t) return t end, {tensor.randn({2}, {dtype = "float64"})}) end,
    "no input requires grad")
  checkerr(function() autograd.gradcheck(function(t) return t end, {x}, {tol = 1}) end, "unknown option 'tol'")
  checkerr(function() autograd.gradcheck(42, {x}) end, "function expected")
  -- found by fuzz_api.lua: a list whose __len lies looped 2^40 times
  local liar = setmetatable({x}, {__len = function() return 1 << 40 end})
  checkerr(function() autograd.gradcheck(function(t) return t end, liar) end,
           "gradcheck: the inputs cannot be passed to fn: too many results to unpack")
  -- several inputs and outputs at once
  local a = tensor.randn({2, 3}, {dtype = "float64", requires_grad = true})
  local b = tensor.randn({3}, {dtype = "float64", requires_grad = true})
  eq(autograd.gradcheck(function(p, q) return p * q, (p - q):exp() end, {a, b}), true)
  eq(a.grad, nil) -- gradcheck leaves no gradients behind
end)

test("the interpreter works after the errors", function()
  local x = fresh()
  ;(x:exp():sum() * 0 + x:sum()):backward()
  close(x.grad, {1, 1, 1})
end)

test("relu's backward reuses the gradient only when nothing else holds it", function()
  -- y.grad is retained: relu's rule must not mask it in place
  local x = tensor({-1.0, 2.0, -3.0, 4.0}, {requires_grad = true})
  local y = x:relu()
  y:retain_grad()
  ;(y * tensor{1.0, 2.0, 3.0, 4.0}):sum():backward()
  close(y.grad, {1, 2, 3, 4})
  close(x.grad, {0, 2, 0, 4})
  -- a gradient given to backward belongs to the caller: left as it was
  local x2 = tensor({-1.0, 2.0}, {requires_grad = true})
  local g = tensor{5.0, 6.0}
  x2:relu():backward(g)
  close(g, {5, 6})
  close(x2.grad, {0, 6})
end)

T.done()
