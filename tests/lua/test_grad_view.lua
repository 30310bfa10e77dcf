-- test_grad_view.lua: gradients through views and copies: view, reshape,
-- flatten, transpose, permute, narrow/slice/select and the t[...] syntax,
-- expand, squeeze/unsqueeze, unfold, contiguous/clone, casts; and in-place
-- writes into tensors that require grad and into their views (recorded as
-- PyTorch does, CopySlices on the base) or refused with a clear error.
local T = require("testlib")
local test, check, eq, close, checkerr = T.test, T.check, T.eq, T.close, T.checkerr
local gradcheck = require("autograd").gradcheck

T.seed(1)

local F64, leaf, rshape, trials = T.F64, T.leaf, T.rshape, T.trials

local function ones(t) return tensor.ones_like(t) end

-- A leaf holding `shape` in some layout, and the map that turns it into a
-- tensor of `shape` inside the checked function: 1 contiguous, 2 the last
-- two dims transposed, 3 a strided slice of a bigger tensor.
local function laid_out(shape, kind)
  local nd = #shape
  if kind == 2 and nd >= 2 then
    local s = {table.unpack(shape)}
    s[nd - 1], s[nd] = s[nd], s[nd - 1]
    return leaf(s), function(x) return x:transpose(-1, -2) end
  elseif kind == 3 and nd >= 1 then
    local s = {table.unpack(shape)}
    s[1] = 2 * s[1] + 1
    return leaf(s), function(x) return x[{{2, -1, 2}}] end
  end
  return leaf(shape), function(x) return x end
end

-- ------------------------------------------------------------ gradchecks

test("gradcheck: view, reshape, flatten in every layout", function()
  trials(3, function()
    for kind = 1, 3 do
      local shape = rshape(3)
      local x, lay = laid_out(shape, kind)
      local n = shape[1] * shape[2] * shape[3]
      gradcheck(function(t) return lay(t):reshape(n) end, {x})
      gradcheck(function(t) return lay(t):reshape(shape[1], -1) * 2 end, {x})
      gradcheck(function(t) return lay(t):flatten(2) end, {x})
      gradcheck(function(t) return lay(t):contiguous():view(-1, shape[3]) end, {x})
    end
  end)
end)

test("gradcheck: transpose, t, permute", function()
  trials(3, function()
    local shape = rshape(math.random(2, 4))
    local x = leaf(shape)
    local nd = #shape
    gradcheck(function(t) return t:transpose(1, nd) end, {x})
    gradcheck(function(t) return t:transpose(-1, -2):transpose(1, 2) end, {x})
    local perm = {}
    for i = 1, nd do perm[i] = i end
    for i = nd, 2, -1 do local j = math.random(i); perm[i], perm[j] = perm[j], perm[i] end
    gradcheck(function(t) return t:permute(perm) end, {x})
  end)
  gradcheck(function(t) return t:t() end, {leaf({3, 2})})
  gradcheck(function(t) return t:t() end, {leaf({3})})
end)

test("gradcheck: narrow, slices with steps, select, split and chunk", function()
  trials(3, function()
    for kind = 1, 3 do
      local shape = rshape(2, 2, 5)
      local x, lay = laid_out(shape, kind)
      gradcheck(function(t) return lay(t):narrow(2, 2, shape[2] - 1) end, {x})
      gradcheck(function(t) return lay(t):narrow(1, shape[1], 1) end, {x})
      gradcheck(function(t) return lay(t):select(2, shape[2]) end, {x})
      gradcheck(function(t) return lay(t)[{{}, {1, -1, 2}}] end, {x})
      gradcheck(function(t) return lay(t):split(2, 2)[1] end, {x})
      gradcheck(function(t) local c = lay(t):chunk(2, 1); return c[#c] end, {x})
    end
  end)
end)

test("gradcheck: t[i], t[{2, {1, 3}}] and other index views", function()
  local x = leaf({3, 4, 2})
  gradcheck(function(t) return t[2] end, {x})
  gradcheck(function(t) return t[-1] end, {x})
  gradcheck(function(t) return t[{2, {1, 3}}] end, {x})
  gradcheck(function(t) return t[{{}, 2, {2, 2}}] end, {x})
  gradcheck(function(t) return t[{{2, 3}, {1, 4, 3}, 1}] end, {x})
  gradcheck(function(t) return t[2][3][1] end, {x})
  -- the same element read twice adds up
  gradcheck(function(t) return t[1] * t[{1}] + t[{{1, 2}}][1] end, {x})
end)

test("gradcheck: expand sums back; squeeze and unsqueeze", function()
  trials(3, function()
    local x = leaf({math.random(2, 3), 1, math.random(1, 3)})
    local s = x:size()
    gradcheck(function(t) return t:expand(s[1], 3, s[3]) end, {x})
    gradcheck(function(t) return t:expand(2, s[1], 4, s[3]) end, {x})
    gradcheck(function(t) return t:expand(-1, 2, -1):transpose(1, 2) end, {x})
    gradcheck(function(t) return t:expand_as(tensor.zeros(s[1], 2, s[3])) end, {x})
    gradcheck(function(t) return t:squeeze() end, {x})
    gradcheck(function(t) return t:squeeze(2) end, {x})
    gradcheck(function(t) return t:unsqueeze(1):unsqueeze(-1) end, {x})
  end)
  gradcheck(function(t) return t:expand(3, 2) end, {leaf({})})
end)

test("gradcheck: unfold with and without overlapping windows", function()
  local x = leaf({3, 7})
  gradcheck(function(t) return t:unfold(2, 3, 1) end, {x})
  gradcheck(function(t) return t:unfold(2, 3, 2) end, {x})
  gradcheck(function(t) return t:unfold(2, 2, 3) end, {x})
  gradcheck(function(t) return t:unfold(1, 2, 1) end, {x})
  gradcheck(function(t) return t:t():unfold(1, 4, 3) end, {x})
  gradcheck(function(t) return t:unfold(1, 1, 1) end, {leaf({})})
end)

test("gradcheck: contiguous, clone, casts between float dtypes", function()
  local x = leaf({3, 4})
  gradcheck(function(t) return t:t():contiguous() end, {x})
  gradcheck(function(t) return t:clone() * t end, {x})
  gradcheck(function(t) return tensor.clone(t:narrow(1, 2, 2)) end, {x})
  gradcheck(function(t) return t:to("float64") end, {x})
  -- through float32 the differences are float32's: a looser check
  gradcheck(function(t) return t:float():double() * 2 end, {x}, {eps = 1e-3, atol = 1e-3, rtol = 1e-2})
end)

-- ------------------------------------------------------------ values

test("hand-computed gradients through views", function()
  local x = tensor({{1.0, 2.0}, {3.0, 4.0}}, {requires_grad = true})
  local w = tensor({{1.0, 10.0}, {100.0, 1000.0}})
  ;(x:t() * w):backward(ones(w))
  close(x.grad, {{1, 100}, {10, 1000}})
  x.grad = nil
  ;(x[2] * tensor{5.0, 7.0}):backward(tensor{1.0, 1.0})
  close(x.grad, {{0, 0}, {5, 7}})
  x.grad = nil
  x[{1, {2, 2}}]:backward(tensor{3.0})
  close(x.grad, {{0, 3}, {0, 0}})
  x.grad = nil
  x:view(4):backward(tensor{1.0, 2.0, 3.0, 4.0})
  close(x.grad, {{1, 2}, {3, 4}})
  x.grad = nil
  x:unsqueeze(2):expand(2, 3, 2):backward(tensor.ones(2, 3, 2))
  close(x.grad, {{3, 3}, {3, 3}})
  -- overlapping windows: each element counts once per window it is in
  local v = tensor({1.0, 2.0, 3.0, 4.0}, {requires_grad = true})
  v:unfold(1, 3, 1):backward(tensor.ones(2, 3))
  close(v.grad, {1, 2, 2, 1})
  -- casts: the gradient comes back in the input's dtype
  local h = tensor({1.0, 2.0}, {dtype = "float64", requires_grad = true})
  h:float():backward(tensor{3.0, 4.0})
  eq(h.grad:dtype(), "float64"); close(h.grad, {3, 4})
end)

test("views of a tensor that requires grad require grad, with PyTorch's names", function()
  local x = tensor.randn({2, 3, 1}, F64):requires_grad_()
  local names = {
    {x:view(6), "ViewBackward0"}, {x:reshape(3, 2), "ViewBackward0"},
    {x:transpose(1, 2):reshape(6), "UnsafeViewBackward0"}, {x:flatten(), "ViewBackward0"},
    {x:transpose(1, 2), "TransposeBackward0"}, {x:permute(3, 1, 2), "PermuteBackward0"},
    {x:narrow(2, 1, 2), "SliceBackward0"}, {x[{{}, {1, 2}}], "SliceBackward0"},
    {x:select(1, 2), "SelectBackward0"}, {x[1], "SelectBackward0"},
    {x:expand(2, 3, 4), "ExpandBackward0"}, {x:squeeze(), "SqueezeBackward0"},
    {x:squeeze(3), "SqueezeBackward1"}, {x:unsqueeze(1), "UnsqueezeBackward0"},
    {x:unfold(2, 2, 1), "UnfoldBackward0"}, {x:clone(), "CloneBackward0"},
    {x:transpose(1, 2):contiguous(), "CloneBackward0"}, {x:float(), "ToCopyBackward0"},
  }
  for _, p in ipairs(names) do
    check(p[1].requires_grad, p[2] .. " requires grad")
    check(not p[1].is_leaf, p[2] .. " is not a leaf")
    eq(p[1].grad_fn.name, p[2])
  end
  -- no copy and no node where nothing changes
  check(x:contiguous().is_leaf, "contiguous of a contiguous tensor is itself")
  check(x:double().is_leaf, "a cast to the same dtype is the tensor itself")
  check(tostring(x[1]):find("grad_fn=<SelectBackward0>", 1, true), "printed")
end)

test("casts to integers and bool, detach and no_grad views leave the graph", function()
  local x = tensor({1.5, -2.5}, {requires_grad = true})
  for _, dt in ipairs({"int64", "int32", "uint8", "bool"}) do
    local y = x:to(dt)
    check(not y.requires_grad, dt .. " does not require grad")
    check(y.grad_fn == nil, dt .. " has no grad_fn")
  end
  check(not x:detach():view(2).requires_grad, "a view of a detached tensor")
  local v = tensor.no_grad(function() return x[1] end)
  check(not v.requires_grad, "a view made under no_grad")
  -- the views of a leaf share its storage
  local w = tensor.zeros(3):requires_grad_()
  tensor.no_grad(function() w[2] = 5 end)
  eq(w[2]:item(), 5)
  check(w:narrow(1, 1, 2).requires_grad, "a view of a leaf")
end)

-- ------------------------------------------------------------ in place

test("writing into a view of a non-leaf: y[1] = 0, narrow():fill_, copy_", function()
  local x = tensor({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}}, {requires_grad = true})
  local y = x * 2
  y[1] = 0
  eq(y.grad_fn.name, "CopySlices")
  close(y, {{0, 0}, {6, 8}, {10, 12}})
  y:backward(ones(y))
  close(x.grad, {{0, 0}, {2, 2}, {2, 2}})
  x.grad = nil
  local z = x * 3
  z:narrow(2, 2, 1):fill_(7)
  z:backward(ones(z))
  close(x.grad, {{3, 0}, {3, 0}, {3, 0}})
  -- a tensor written in: its gradient is the region's
  x.grad = nil
  local s = tensor({10.0, 20.0}, {requires_grad = true})
  local u = x * 1
  u[2]:copy_(s)
  u:backward(tensor({{1.0, 1.0}, {5.0, 7.0}, {1.0, 1.0}}))
  close(s.grad, {5, 7}); close(x.grad, {{1, 1}, {0, 0}, {1, 1}})
  -- a number broadcast through t[...] = v, and a tensor broadcast to rows
  x.grad = nil
  local r = tensor({2.0}, {requires_grad = true})
  local q = x * 1
  q[{{}, 1}] = r
  q:backward(ones(q))
  close(r.grad, {3}); close(x.grad, {{0, 1}, {0, 1}, {0, 1}})
end)

test("gradcheck: writes through views (set, fill, copy_, zero_, nested views)", function()
  trials(2, function()
    local x = leaf({3, 4})
    local s = leaf({4})
    local c = leaf({3, 1})
    gradcheck(function(t) local h = t * 2; h[2] = 0; return h end, {x})
    gradcheck(function(t, v) local h = t * 2; h[2] = v; return h * t end, {x, s})
    gradcheck(function(t, v) local h = t:sin(); h[{{}, {2, 3}}] = v:narrow(1, 1, 2); return h end, {x, s})
    gradcheck(function(t, v) local h = t * 1; h[{{}, 4}]:copy_(v:squeeze()); return h end, {x, c})
    gradcheck(function(t, v) local h = t * 1; h:t()[2]:copy_(v:view(3)); return h end, {x, c})
    gradcheck(function(t) local h = t * 1; h:narrow(1, 2, 1):zero_(); return h * t end, {x})
    gradcheck(function(t) local h = t * 1; h[2][{{1, 3}}]:fill_(3); return h end, {x})
    -- a float32 source into a float64 view: cast there, cast back
    gradcheck(function(t) local h = t * 1; h[1]:copy_(t[3]:float()); return h end, {x},
      {eps = 1e-3, atol = 1e-3, rtol = 1e-2})
  end)
end)

test("assigning into a tensor that does not require grad: out[i] = f(x)", function()
  local x = leaf({4})
  -- the RNN-style loop: rows of a buffer filled from the graph
  gradcheck(function(t)
    local out = tensor.zeros(3, 4, F64)
    for i = 1, 3 do out[i] = t * i end
    return out
  end, {x})
  gradcheck(function(t)
    local out = tensor.zeros(2, 4, F64)
    out:narrow(1, 2, 1):copy_(t:view(1, 4))
    return out * 3
  end, {x})
  local out = tensor.zeros(2, 2)
  check(not out.requires_grad, "plain at first")
  out[1] = tensor({1.0, 2.0}, {requires_grad = true})
  check(out.requires_grad and out.grad_fn.name == "CopySlices", "out joined the graph")
  out:copy_(tensor.ones(2, 2))
  eq(out.grad_fn.name, "CopyBackwards")
end)

test("views taken before a write see it when used afterwards", function()
  local x = leaf({3, 2})
  local s = leaf({2})
  -- v overlaps the write; w does not; both must reflect it
  gradcheck(function(t, v)
    local h = t * 1
    local a, b = h[2], h:t()
    h[2] = v
    return a * 3 + b:t()[1]
  end, {x, s})
  local h = x * 1
  local a = h[2]
  h[2] = 0
  eq(a.grad_fn.name, "AsStridedBackward0")
  close(a, {0, 0})
  -- a plain buffer's old view joins the graph with it
  local out = tensor.zeros(2, 2, F64)
  local row = out[1]
  check(not row.requires_grad, "not yet")
  out[1] = s
  check(row.requires_grad, "after the write")
  row:backward(tensor{1.0, 2.0})
  close(s.grad, {1, 2})
end)

test("in-place writes on non-leaves keep gradients right, in no_grad they are not recorded", function()
  local x = tensor({1.0, 2.0, 3.0}, {requires_grad = true})
  local y = x * 2
  y:fill_(1)
  eq(y.grad_fn.name, "FillBackward0")
  y:backward(ones(y))
  check(x.grad == nil or x.grad:eq(0):all():item(), "filled: no gradient to x")
  local z = x * 2
  tensor.no_grad(function() z[1] = 100 end)
  eq(z.grad_fn.name, "MulBackward0")
  eq(z[1]:item(), 100)
end)

-- ------------------------------------------------------------ refusals

test("in-place writes that cannot be recorded are refused", function()
  local x = tensor({{1.0, 2.0}, {3.0, 4.0}}, {requires_grad = true})
  checkerr(function() x:fill_(0) end, "a leaf tensor that requires grad")
  checkerr(function() x:zero_() end, "a leaf tensor that requires grad")
  checkerr(function() x:copy_(tensor.zeros(2, 2)) end, "copy_: a leaf tensor that requires grad")
  checkerr(function() x[1] = 0 end, "a view of a leaf tensor that requires grad")
  checkerr(function() x[{1, 2}] = 5 end, "a view of a leaf tensor that requires grad")
  checkerr(function() x:narrow(1, 1, 1):fill_(0) end, "fill_: a view of a leaf tensor")
  checkerr(function() x:t()[1]:copy_(tensor{1.0, 2.0}) end, "copy_: a view of a leaf tensor")
  checkerr(function() x:view(4):zero_() end, "a view of a leaf tensor")
  checkerr(function() x[2]:unsqueeze(1):fill_(1) end, "a view of a leaf tensor")
  -- expanded views: several elements share one memory location
  local y = x * 1
  checkerr(function() y[1]:unsqueeze(1):expand(3, 2):fill_(1) end, "refers to a single memory location")
  checkerr(function() y:view(4):unfold(1, 2, 1):copy_(tensor.ones(3, 2)) end, "single memory location")
  checkerr(function() y:expand(2, 2, 2):copy_(tensor.ones(2, 2, 2)) end, "clone() it first")
  -- a tensor a node saved, changed in place afterwards
  local z = y * y
  y[1] = 0
  checkerr(function() z:backward(ones(z)) end, "modified by an in-place operation")
  -- the tape is freed after backward, CopySlices included
  local w = x * 2
  w[1] = 0
  w:backward(ones(w))
  checkerr(function() w:backward(ones(w)) end, "backward through the graph a second time")
  -- a view of a view of a leaf, and one made from a leaf only later marked
  local leaf2 = tensor.zeros(3)
  local early = leaf2[1]
  leaf2:requires_grad_()
  checkerr(function() early:fill_(1) end, "a view of a leaf tensor")
  checkerr(function() leaf2:narrow(1, 1, 2)[1]:fill_(1) end, "a view of a leaf tensor")
  -- the ordinary errors still come first
  checkerr(function() x:t():view(4) end, "use reshape() or contiguous() first")
  checkerr(function() y[5] = 1 end, "out of range")
  checkerr(function() y[1] = tensor.ones(3) end, "cannot assign a tensor of shape 3")
end)

test("the interpreter still works after the errors", function()
  local x = tensor({1.0, 2.0}, {requires_grad = true})
  local y = x:view(2, 1):expand(2, 3)
  y:backward(tensor.ones(2, 3))
  close(x.grad, {3, 3})
  eq(tensor.is_grad_enabled(), true)
end)

T.done()
