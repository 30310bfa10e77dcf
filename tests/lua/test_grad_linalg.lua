-- test_grad_linalg.lua: gradients of the matrix products (matmul in every
-- rank combination with broadcast batch dims, mm, bmm, mv, dot, outer,
-- addmm with beta and alpha), diag and trace: gradcheck in float64 over
-- random sizes and layouts (transposed and sliced operands), values worked
-- out by hand, node names, and what must not get a gradient.
local T = require("testlib")
local test, check, eq, close, checkerr = T.test, T.check, T.eq, T.close, T.checkerr
local gradcheck = require("autograd").gradcheck

T.seed(2)

local F64, leaf, trials = T.F64, T.leaf, T.trials

-- A leaf for an operand of `shape` and the map to it: 1 as is, 2 stored
-- transposed (the product reads a transposed view), 3 every other row of a
-- bigger tensor.
local function operand(shape, kind)
  local nd = #shape
  if kind == 2 and nd >= 2 then
    local s = {table.unpack(shape)}
    s[nd - 1], s[nd] = s[nd], s[nd - 1]
    return leaf(s), function(x) return x:transpose(-1, -2) end
  elseif kind == 3 then
    local s = {table.unpack(shape)}
    s[1] = 2 * s[1]
    return leaf(s), function(x) return x[{{1, -1, 2}}] end
  end
  return leaf(shape), function(x) return x end
end

local function check_product(f, sa, sb)
  for ka = 1, 3 do
    local kb = math.random(3)
    local a, la = operand(sa, ka)
    local b, lb = operand(sb, kb)
    gradcheck(function(x, y) return f(la(x), lb(y)) end, {a, b})
  end
end

local function mm(a, b) return a:matmul(b) end

-- ------------------------------------------------------------ gradchecks

test("gradcheck: matmul in every rank combination", function()
  trials(2, function()
    local m, k, n, b = math.random(1, 3), math.random(1, 4), math.random(1, 3), math.random(2, 3)
    check_product(mm, {k}, {k})                   -- dot
    check_product(mm, {m, k}, {k})                -- matrix-vector
    check_product(mm, {k}, {k, n})                -- vector-matrix
    check_product(mm, {m, k}, {k, n})             -- mm
    check_product(mm, {b, m, k}, {k, n})          -- batch folded into rows
    check_product(mm, {b, m, k}, {k})
    check_product(mm, {k}, {b, k, n})
    check_product(mm, {m, k}, {b, k, n})          -- the 2-d side broadcast
    check_product(mm, {b, m, k}, {b, k, n})
    check_product(mm, {2, 1, m, k}, {b, k, n})    -- batch dims broadcast both ways
    check_product(mm, {1, m, k}, {2, b, k, n})
  end)
end)

test("gradcheck: mm, bmm, mv, dot, outer", function()
  trials(2, function()
    local m, k, n, b = math.random(1, 3), math.random(1, 4), math.random(1, 3), math.random(1, 3)
    check_product(tensor.mm, {m, k}, {k, n})
    check_product(tensor.bmm, {b, m, k}, {b, k, n})
    check_product(tensor.mv, {m, k}, {k})
    check_product(tensor.dot, {k}, {k})
    check_product(tensor.outer, {m}, {n})
    check_product(function(x, y) return x:mm(y):mm(y:t()) end, {m, k}, {k, n})
  end)
end)

test("gradcheck: addmm with beta and alpha, input broadcast", function()
  trials(2, function()
    local m, k, n = math.random(1, 3), math.random(1, 4), math.random(2, 3)
    for _, bi in ipairs({{m, n}, {n}, {1, n}, {m, 1}, {}}) do
      local i, a, b = leaf(bi), leaf({m, k}), leaf({k, n})
      gradcheck(function(x, y, z) return tensor.addmm(x, y, z) end, {i, a, b})
      gradcheck(function(x, y, z) return tensor.addmm(x, y, z, {beta = 0.5, alpha = -2}) end, {i, a, b})
      gradcheck(function(x, y, z) return x:addmm(y:t():t(), z, {beta = 0, alpha = 3}) end, {i, a, b})
    end
  end)
end)

test("gradcheck: diag both ways, trace", function()
  for _, k in ipairs({0, 1, -2, 5}) do
    gradcheck(function(x) return tensor.diag(x, k) end, {leaf({3})})
    gradcheck(function(x) return tensor.diag(x, k) end, {leaf({3, 4})})
    gradcheck(function(x) return x:t():diag(k) end, {leaf({3, 4})})
  end
  gradcheck(function(x) return tensor.trace(x) end, {leaf({3, 4})})
  gradcheck(function(x) return x:narrow(2, 2, 3):trace() * x end, {leaf({4, 4})})
end)

-- ------------------------------------------------------------ values

test("hand-computed gradients of products", function()
  local a = tensor({{1.0, 2.0}, {3.0, 4.0}}, {requires_grad = true})
  local b = tensor({{5.0, 6.0}, {7.0, 8.0}}, {requires_grad = true})
  -- d(sum(a @ b)) / da = ones @ b^T, / db = a^T @ ones
  a:matmul(b):sum():backward()
  close(a.grad, {{11, 15}, {11, 15}})
  close(b.grad, {{4, 4}, {6, 6}})
  -- dot: each gets the other
  local u = tensor({1.0, 2.0, 3.0}, {requires_grad = true})
  local v = tensor({4.0, 5.0, 6.0}, {requires_grad = true})
  tensor.dot(u, v):backward()
  close(u.grad, {4, 5, 6}); close(v.grad, {1, 2, 3})
  -- mv with a weighted output
  u.grad = nil
  a.grad = nil
  tensor.mv(a, u:narrow(1, 1, 2)):backward(tensor{1.0, 10.0})
  close(a.grad, {{1, 2}, {10, 20}}); close(u.grad, {31, 42, 0})
  -- a batched product against one matrix: b's gradient sums over the batch
  local x = tensor({{{1.0, 0.0}}, {{0.0, 2.0}}, {{3.0, 3.0}}}, {requires_grad = true}) -- 3x1x2
  local w = tensor({{1.0}, {1.0}}, {requires_grad = true})                              -- 2x1
  x:matmul(w):sum():backward()
  close(w.grad, {{4}, {5}}); close(x.grad, {{{1, 1}}, {{1, 1}}, {{1, 1}}})
  -- outer, addmm's scalars, trace
  local p = tensor({1.0, 2.0}, {requires_grad = true})
  local q = tensor({3.0, 4.0, 5.0}, {requires_grad = true})
  tensor.outer(p, q):sum():backward()
  close(p.grad, {12, 12}); close(q.grad, {3, 3, 3})
  local i = tensor({1.0, 1.0}, {requires_grad = true})
  a.grad, b.grad = nil, nil
  tensor.addmm(i, a, b, {beta = 3, alpha = 0.5}):sum():backward()
  close(i.grad, {6, 6}); close(a.grad, {{5.5, 7.5}, {5.5, 7.5}}); close(b.grad, {{2, 2}, {3, 3}})
  a.grad = nil
  a:trace():backward()
  close(a.grad, {{1, 0}, {0, 1}})
  a.grad = nil
  tensor.diag(a, 1):backward(tensor{7.0})
  close(a.grad, {{0, 7}, {0, 0}})
end)

test("mixed precision: outer promotes, each operand gets its own dtype back", function()
  local p = tensor({1.0, 2.0}, {requires_grad = true})                    -- float32
  local q = tensor({3.0, 4.0}, {dtype = "float64", requires_grad = true})
  local o = tensor.outer(p, q)
  eq(o:dtype(), "float64")
  o:sum():backward()
  eq(p.grad:dtype(), "float32"); eq(q.grad:dtype(), "float64")
  close(p.grad, {7, 7}); close(q.grad, {3, 3})
  local h = tensor({{1.0, 2.0}}, {dtype = "float16", requires_grad = true})
  h:matmul(h:t()):sum():backward()
  eq(h.grad:dtype(), "float16"); close(h.grad, {{2, 4}})
end)

test("a weight used transposed gets a contiguous gradient (no copy)", function()
  local x = tensor.randn({5, 4}, F64)
  local w = tensor.randn({3, 4}, F64):requires_grad_()
  local b = tensor.randn({3}, F64):requires_grad_()
  x:matmul(w:t()):backward(tensor.ones(5, 3, F64))
  check(w.grad:is_contiguous(), "matmul")
  close(w.grad, tensor.ones(3, 5, F64):mm(x))
  w.grad = nil
  tensor.addmm(b, x, w:t()):sum():backward()
  check(w.grad:is_contiguous(), "addmm")
  close(w.grad, tensor.ones(3, 5, F64):mm(x))
  close(b.grad, {5, 5, 5})
  local bw = tensor.randn({2, 3, 4}, F64):requires_grad_()
  tensor.bmm(tensor.randn({2, 5, 4}, F64), bw:transpose(2, 3)):sum():backward()
  check(bw.grad:is_contiguous(), "bmm")
end)

test("node names, and inputs that need no gradient get none", function()
  local a, b = leaf({2, 3}), leaf({3, 2})
  local v, w = leaf({3}), leaf({3})
  local names = {
    {a:matmul(b), "MmBackward0"}, {a:matmul(v), "MvBackward0"}, {v:matmul(w), "DotBackward0"},
    {v:matmul(b), "MatmulBackward0"}, {a:unsqueeze(1):matmul(b), "MatmulBackward0"},
    {tensor.mm(a, b), "MmBackward0"}, {tensor.bmm(a:unsqueeze(1), b:unsqueeze(1)), "BmmBackward0"},
    {tensor.mv(a, v), "MvBackward0"}, {tensor.dot(v, w), "DotBackward0"},
    {tensor.outer(v, w), "OuterBackward0"}, {tensor.addmm(leaf({2}), a, b), "AddmmBackward0"},
    {tensor.diag(v), "DiagBackward0"}, {a:trace(), "TraceBackward0"},
  }
  for _, p in ipairs(names) do eq(p[1].grad_fn.name, p[2]) end
  local c = tensor.randn({3, 2}, F64)
  a:matmul(c):sum():backward()
  check(a.grad ~= nil and c.grad == nil, "only the input that requires grad")
  check(not tensor.no_grad(function() return a:matmul(b) end).requires_grad, "no_grad")
  local ints = tensor({{1, 2}, {3, 4}})
  check(not ints:matmul(ints).requires_grad, "integers")
end)

test("errors: saved operands changed in place, products that do not fit", function()
  local w = tensor.randn({3, 2}, F64):requires_grad_()
  local x = tensor.randn({4, 3}, F64)
  local y = x:matmul(w)
  tensor.no_grad(function() x:mul_(2) end) -- the gradient of w reads x
  checkerr(function() y:sum():backward() end, "modified by an in-place operation")
  local z = x:matmul(w)
  z:sum():backward()
  checkerr(function() z:sum():backward() end, "backward through the graph a second time")
  checkerr(function() w:matmul(w) end, "cannot be multiplied (2 != 3)")
  checkerr(function() tensor.addmm(tensor.zeros(5, F64), x, w) end, "cannot be broadcast")
  checkerr(function() tensor.bmm(w, w) end, "expected two 3-d tensors")
  checkerr(function() w:trace():backward(tensor.ones(2)) end, "does not match")
  local ok = x:matmul(w)
  ok:sum():backward()
  check(w.grad ~= nil, "still works")
end)

T.done()
