-- test_grad_index.lua: gradients of indexing: index_select, gather,
-- take_along_dim, scatter/scatter_add (to src and to self), index_add,
-- index_copy, index_fill, masked_fill/select/scatter, where, and the t[...]
-- syntax with index tensors and masks, read and assigned. gradcheck in
-- float64 over random shapes and layouts, duplicate indices, values worked
-- out by hand; index tensors and masks never get a gradient.
local T = require("testlib")
local test, check, eq, close, checkerr = T.test, T.check, T.eq, T.close, T.checkerr
local gradcheck = require("autograd").gradcheck

T.seed(4)

local F64, leaf, trials = T.F64, T.leaf, T.trials

-- n random 1-based positions in 1..size (repeats allowed unless `distinct`)
local function positions(n, size, distinct)
  if distinct then
    local p = tensor.randperm(size):narrow(1, 1, n)
    return p
  end
  return tensor.randint(1, size + 1, {n})
end

-- an index for gather/scatter along dim: idx's shape, values in 1..size;
-- distinct along dim (a permutation's head per column) when asked
local function along(shape, dim, size, distinct)
  if not distinct then return tensor.randint(1, size + 1, shape) end
  local idx = tensor.zeros(shape, {dtype = "int64"})
  local other = dim == 1 and 2 or 1
  for j = 1, shape[other] do
    local p = tensor.randperm(size):narrow(1, 1, shape[dim])
    if dim == 1 then idx[{{}, j}] = p else idx[j] = p end
  end
  return idx
end

-- ------------------------------------------------------------ reading

test("gradcheck: index_select (repeats add up), gather, take_along_dim", function()
  trials(3, function()
    local r, c = math.random(2, 4), math.random(2, 4)
    local x = leaf({r, c})
    for dim = 1, 2 do
      local size = dim == 1 and r or c
      local idx = positions(math.random(1, 5), size)
      gradcheck(function(t) return t:index_select(dim, idx) end, {x})
      gradcheck(function(t) return t:t():t():index_select(dim, idx:int()) end, {x})
      local shape = {r, c}
      shape[dim] = math.random(1, 4)
      local gi = along(shape, dim, size)
      gradcheck(function(t) return t:gather(dim, gi) end, {x})
      gradcheck(function(t) return t:take_along_dim(gi, dim) end, {x})
    end
    local flat = positions(4, r * c)
    gradcheck(function(t) return t:take_along_dim(flat) end, {x})
    -- take_along_dim broadcasts the input
    local col = leaf({r, 1})
    local bi = along({1, 3}, 1, r)
    gradcheck(function(t) return t:take_along_dim(bi, 1) end, {col})
  end)
  gradcheck(function(t) return t:index_select(1, tensor{1}) end, {leaf({})})
end)

test("gradcheck: t[idx], t[{i, idx}], t[{{}, idx}], t[mask]", function()
  local x = leaf({3, 4, 2})
  gradcheck(function(t) return t[tensor{3, 1, 3}] end, {x})
  gradcheck(function(t) return t[{2, tensor{{4, 1}, {2, 2}}}] end, {x})
  gradcheck(function(t) return t[{{}, tensor{4, 1}, 2}] end, {x})
  gradcheck(function(t) return t:transpose(1, 3)[{{}, tensor{4, 4}}] end, {x})
  gradcheck(function(t) return t[tensor{true, false, true}] end, {x})
  gradcheck(function(t) return t[tensor{{true, false, true, true}, {false, false, true, false}, {true, true, true, true}}] end, {x})
  gradcheck(function(t) return t[t:detach():gt(0)] end, {x})
  gradcheck(function(t) return t:masked_select(t:detach():lt(0.5)) end, {x})
  gradcheck(function(t) return t:masked_select(tensor{true, false}) end, {x}) -- broadcast mask
  gradcheck(function(t) return t[2]:masked_select(tensor{{true}, {false}, {true}, {true}}) end, {x})
end)

test("gradcheck: where, with broadcasting and numbers", function()
  trials(3, function()
    local a, b = leaf({2, 3}), leaf({3})
    local cond = tensor.rand(2, 3):lt(0.5)
    gradcheck(function(x, y) return tensor.where(cond, x, y) end, {a, b})
    gradcheck(function(x, y) return tensor.where(cond[1], x, y:view(1, 3)) end, {a, b})
    gradcheck(function(x) return tensor.where(cond, x, 0) end, {a})
    gradcheck(function(y) return tensor.where(cond, 2.5, y) end, {b})
    gradcheck(function(x) return x:where(cond, -1) end, {a})
  end)
end)

-- ------------------------------------------------------------ writing

test("gradcheck: scatter, scatter_add, scatter with a value: src and self", function()
  trials(3, function()
    local r, c = math.random(2, 4), math.random(2, 4)
    local x = leaf({r, c})
    for dim = 1, 2 do
      local size = dim == 1 and r or c
      local shape = {r, c}
      shape[dim] = math.random(1, size)
      -- scatter writes once per position: distinct indices along dim
      local si = along(shape, dim, size, true)
      local src = leaf({shape[1] + 1, shape[2]}) -- src may be larger than the index
      gradcheck(function(t, s) return t:scatter(dim, si, s) end, {x, src})
      gradcheck(function(t, s) return (t * 1):scatter_(dim, si, s) end, {x, src})
      gradcheck(function(t) return t:scatter(dim, si, 0.5) end, {x})
      local ai = along(shape, dim, size) -- repeats accumulate
      gradcheck(function(t, s) return t:scatter_add(dim, ai, s) end, {x, src})
      gradcheck(function(t, s) return t:scatter(dim, ai, s, {reduce = "add"}) end, {x, src})
      gradcheck(function(t) return t:scatter(dim, ai, 2, {reduce = "add"}) end, {x})
    end
  end)
end)

test("gradcheck: index_add (alpha), index_copy, index_fill", function()
  trials(3, function()
    local r, c = math.random(2, 4), math.random(2, 4)
    local x = leaf({r, c})
    for dim = 1, 2 do
      local size = dim == 1 and r or c
      local n = math.random(1, size)
      local shape = {r, c}
      shape[dim] = n
      local s = leaf(shape)
      local rep = positions(n, size)
      local dis = positions(n, size, true)
      gradcheck(function(t, u) return t:index_add(dim, rep, u) end, {x, s})
      gradcheck(function(t, u) return t:index_add(dim, rep, u, {alpha = -1.5}) end, {x, s})
      gradcheck(function(t, u) return t:index_copy(dim, dis, u) end, {x, s})
      gradcheck(function(t) return t:index_fill(dim, rep, -2) end, {x})
      gradcheck(function(t, u) return t:t():t():index_copy(dim, dis, u:t():t()) end, {x, s})
    end
  end)
end)

test("gradcheck: masked_fill (a number or a 0-d tensor), masked_scatter", function()
  trials(3, function()
    local x = leaf({3, 4})
    local m = tensor.rand(3, 4):lt(0.5)
    local v = leaf({})
    gradcheck(function(t) return t:masked_fill(m, 7) end, {x})
    gradcheck(function(t, w) return t:masked_fill(m, w) end, {x, v})
    gradcheck(function(t) return t:masked_fill(m[1], 0) end, {x}) -- broadcast mask
    gradcheck(function(t) return t[1]:masked_fill(tensor{{true}, {false}}, 1) end, {x}) -- broadcast input
    gradcheck(function(t) return (t * 1):masked_fill_(m, 7) end, {x})
    local src = leaf({13})
    gradcheck(function(t, s) return t:masked_scatter(m, s) end, {x, src})
    gradcheck(function(t, s) return (t * 2):masked_scatter_(m[2], s) end, {x, src})
  end)
end)

test("gradcheck: t[idx] = v, t[{i, idx}] = v, t[mask] = v", function()
  local x = leaf({3, 4})
  local row, col, one = leaf({4}), leaf({3, 1}), leaf({})
  gradcheck(function(t, v) local h = t * 1; h[tensor{3, 1}] = v; return h end, {x, row})
  gradcheck(function(t, v) local h = t * 1; h[{{}, tensor{4, 2}}] = v; return h end, {x, col})
  gradcheck(function(t, v) local h = t * 1; h[{2, tensor{3, 1}}] = v; return h end, {x, one})
  gradcheck(function(t) local h = t * 1; h[{2, tensor{3, 1}}] = 7; return h end, {x})
  gradcheck(function(t, v) local h = t * 1; h[tensor{true, false, true}] = v; return h end, {x, row})
  gradcheck(function(t, v) local h = t * 1; h[t:detach():gt(0)] = v; return h end, {x, one})
  gradcheck(function(t) local h = t * 1; h[t:detach():gt(0)] = 0; return h end, {x})
  -- into a buffer that does not require grad
  gradcheck(function(v) local h = tensor.zeros(3, 4, F64); h[tensor{2}] = v; return h end, {row})
  -- through a view of a non-leaf
  gradcheck(function(t, v) local h = t * 1; h:t()[tensor{4}] = v:view(1, 3); return h end, {x, col})
  gradcheck(function(t, s) local h = t * 2; h[2]:index_add_(1, tensor{1, 1}, s:narrow(1, 1, 2)); return h end, {x, row})
end)

-- ------------------------------------------------------------ values

test("hand-computed gradients", function()
  local x = tensor({10.0, 20.0, 30.0}, {requires_grad = true})
  x:index_select(1, tensor{3, 1, 3}):backward(tensor{1.0, 2.0, 4.0})
  close(x.grad, {2, 0, 5})
  x.grad = nil
  x[tensor{2, 2}]:backward(tensor{1.0, 1.0})
  close(x.grad, {0, 2, 0})
  local m = tensor({{1.0, 2.0}, {3.0, 4.0}}, {requires_grad = true})
  m:gather(2, tensor{{2, 2}, {1, 2}}):backward(tensor({{1.0, 10.0}, {100.0, 1000.0}}))
  close(m.grad, {{0, 11}, {100, 1000}})
  m.grad = nil
  local s = tensor({5.0, 6.0}, {requires_grad = true})
  m:scatter(1, tensor{{2, 1}}, s:view(1, 2)):backward(tensor({{1.0, 2.0}, {3.0, 4.0}}))
  close(m.grad, {{1, 0}, {0, 4}}); close(s.grad, {3, 2})
  m.grad, s.grad = nil, nil
  m:index_add(2, tensor{1, 1}, s:view(1, 2):expand(2, 2), {alpha = 3}):backward(tensor({{1.0, 2.0}, {3.0, 4.0}}))
  close(m.grad, {{1, 2}, {3, 4}}); close(s.grad, {12, 12})
  m.grad = nil
  local v = tensor(2.0, {requires_grad = true})
  m:masked_fill(tensor{{true, false}, {true, true}}, v):backward(tensor({{1.0, 2.0}, {3.0, 4.0}}))
  close(m.grad, {{0, 2}, {0, 0}}); close(v.grad, 8)
  local a = tensor({1.0, 2.0}, {requires_grad = true})
  local b = tensor({3.0, 4.0}, {requires_grad = true})
  tensor.where(tensor{true, false}, a, b):backward(tensor{5.0, 6.0})
  close(a.grad, {5, 0}); close(b.grad, {0, 6})
  local src = tensor({1.0, 2.0, 3.0}, {requires_grad = true})
  local z = tensor.zeros(3):masked_scatter(tensor{false, true, true}, src)
  z:backward(tensor{7.0, 8.0, 9.0})
  close(src.grad, {8, 9, 0})
end)

test("names; index tensors and masks get no gradient", function()
  local x = leaf({3, 3})
  local i = tensor{1, 3}
  local m = tensor{true, false, true}
  local names = {
    {x:index_select(1, i), "IndexSelectBackward0"}, {x:gather(1, tensor{{1, 2, 3}}), "GatherBackward0"},
    {x:take_along_dim(tensor{{1}, {2}, {3}}, 2), "GatherBackward0"},
    {x:scatter(1, tensor{{2, 1, 1}}, x), "ScatterBackward0"}, {x:scatter(1, tensor{{2, 1, 1}}, 1), "ScatterBackward1"},
    {x:scatter_add(1, tensor{{2, 1, 1}}, x), "ScatterAddBackward0"},
    {x:index_add(1, i, x:narrow(1, 1, 2)), "IndexAddBackward0"},
    {x:index_copy(1, i, x:narrow(1, 1, 2)), "IndexCopyBackward0"}, {x:index_fill(1, i, 0), "IndexFillBackward0"},
    {x:masked_fill(m, 0), "MaskedFillBackward0"}, {x:masked_select(m), "MaskedSelectBackward0"},
    {x:masked_scatter(m, x), "MaskedScatterBackward0"}, {tensor.where(m, x, 0), "WhereBackward0"},
    {x[i], "IndexBackward0"}, {x[m], "IndexBackward0"}, {x[2], "SelectBackward0"},
  }
  for _, p in ipairs(names) do eq(p[1].grad_fn.name, p[2]) end
  local h = x * 1
  h[i] = 0
  eq(h.grad_fn.name, "IndexPutBackward0")
  check(not i.requires_grad and not m.requires_grad, "indices stay plain")
  local c = tensor.randn({3, 3}, F64)
  tensor.where(m, c, x):sum():backward()
  check(c.grad == nil, "the constant branch")
  check(not tensor.no_grad(function() return x:gather(1, tensor{{1, 2, 3}}) end).requires_grad, "no_grad")
end)

-- ------------------------------------------------------------ refusals

test("refusals and errors", function()
  local x = tensor({{1.0, 2.0}, {3.0, 4.0}}, {requires_grad = true})
  local i = tensor{2}
  checkerr(function() x:index_fill_(1, i, 0) end, "index_fill: a leaf tensor that requires grad")
  checkerr(function() x:index_add_(1, i, x:narrow(1, 1, 1)) end, "index_add: a leaf tensor")
  checkerr(function() x:scatter_(1, tensor{{1, 2}}, 0) end, "a leaf tensor that requires grad")
  checkerr(function() x:masked_fill_(tensor{true, false}, 0) end, "masked_fill_: a leaf tensor")
  checkerr(function() x[i] = 5 end, "a leaf tensor that requires grad")
  checkerr(function() x[tensor{true, false}] = 5 end, "a leaf tensor that requires grad")
  checkerr(function() x[1]:masked_scatter_(tensor{true, true}, tensor{0.0, 0.0}) end, "a view of a leaf tensor")
  local h = x * 1
  checkerr(function() h:scatter_(1, tensor{{1, 2}}, x, {reduce = "multiply"}) end,
    "gradients of reduce='multiply' are not supported")
  checkerr(function() h:scatter(1, tensor{{1, 2}}, 2, {reduce = "multiply"}) end, "reduce='multiply'")
  checkerr(function() h:index_fill_(1, i, tensor(1.0, {requires_grad = true})) end,
    "a fill value that requires grad is not supported")
  checkerr(function() h:scatter_(1, tensor{{1, 2}}, tensor(1.0, {requires_grad = true})) end,
    "a fill value that requires grad")
  -- an index changed in place after it was saved
  local idx = tensor{1, 2}
  local y = x:index_select(1, idx)
  idx[1] = 2
  checkerr(function() y:sum():backward() end, "modified by an in-place operation")
  -- the ordinary checks come first
  checkerr(function() x:index_select(1, tensor{3}) end, "index 3 is out of range")
  checkerr(function() x:gather(1, tensor{1, 2}) end, "as many dims")
  checkerr(function() h:scatter_(1, tensor{{1, 2}}, tensor{{1, 2}}) end, "src must have the input's dtype")
  checkerr(function() h[tensor{true}] = 1 end, "mask of shape 1 does not match")
  -- and afterwards everything works
  local z = x:index_select(1, tensor{2, 2})
  z:sum():backward()
  close(x.grad, {{0, 0}, {2, 2}})
end)

T.done()
