-- test_shape.lua: cat, stack, split, chunk, repeat, tile, flip, tril/triu
-- and roll against values worked out by hand, PyTorch's dtype and empty-
-- tensor rules, and the errors for bad calls.
local T = require("testlib")
local test, eq, close, checkerr = T.test, T.eq, T.close, T.checkerr

local M = tensor{{1, 2, 3}, {4, 5, 6}}   -- 2x3

local function sizes(list, dim)
  local s = {}
  for i, t in ipairs(list) do s[i] = t:size(dim or 1) end
  return table.concat(s, ",")
end

test("cat along dims 1, 2 and -1", function()
  close(tensor.cat({M, tensor{{7, 8, 9}}}), {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}, 0)
  close(tensor.cat({M, tensor{{0}, {0}}}, 2), {{1, 2, 3, 0}, {4, 5, 6, 0}}, 0)
  close(tensor.cat({tensor{1}, tensor{2, 3}, tensor{4}}, -1), {1, 2, 3, 4}, 0)
  close(tensor.concat({M:t(), M:t()}, 2), {{1, 4, 1, 4}, {2, 5, 2, 5}, {3, 6, 3, 6}}, 0)
  close(tensor.cat({M}), {{1, 2, 3}, {4, 5, 6}}, 0)
end)

test("cat promotes to the common dtype", function()
  local r = tensor.cat({tensor{1, 2}, tensor{0.5}})
  eq(r:dtype(), "float32")
  close(r, {1, 2, 0.5})
  eq(tensor.cat({tensor{1}:int(), tensor{2}:byte()}):dtype(), "int32")
  eq(tensor.cat({tensor{true}, tensor{2}:byte()}):dtype(), "uint8")
  eq(tensor.cat({tensor{1}, tensor{1.5}:half()}):dtype(), "float16")
  eq(tensor.cat({tensor{1.5}, tensor{1.5}:double()}):dtype(), "float64")
end)

test("cat skips 1-d empty tensors but promotes with them", function()
  local r = tensor.cat({tensor.zeros(0), M, tensor.zeros(0):double()})
  eq(r:dtype(), "float64")
  close(r, {{1, 2, 3}, {4, 5, 6}}, 0)
  eq(tensor.cat({tensor.zeros(0), tensor.zeros(0)}):numel(), 0)
  local z = tensor.cat({M, tensor.zeros(0, 3):long()})  -- a real empty block
  eq(tostring(z:size()), "Size{2, 3}")
end)

test("stack along a new dim", function()
  local a, b = tensor{{1, 2}, {3, 4}}, tensor{{5, 6}, {7, 8}}
  close(tensor.stack({a, b}), {{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}}, 0)
  close(tensor.stack({a, b}, 2), {{{1, 2}, {5, 6}}, {{3, 4}, {7, 8}}}, 0)
  close(tensor.stack({a, b}, 3), {{{1, 5}, {2, 6}}, {{3, 7}, {4, 8}}}, 0)
  close(tensor.stack({a, b}, -1), {{{1, 5}, {2, 6}}, {{3, 7}, {4, 8}}}, 0)
  local s = tensor.stack({tensor(1), tensor(2.5)})
  eq(s:dtype(), "float32")
  close(s, {1, 2.5})
end)

test("split by size and by sizes gives views", function()
  local v = tensor.zeros(10)
  local parts = v:split(3)
  eq(#parts, 4)
  eq(sizes(parts), "3,3,3,1")
  eq(sizes(v:split({3, 7})), "3,7")
  eq(sizes(v:split(20)), "10")
  parts[2]:fill_(1)                       -- a view: writes reach v
  close(v, {0, 0, 0, 1, 1, 1, 0, 0, 0, 0}, 0)
  local cols = M:split(2, 2)
  eq(#cols, 2)
  close(cols[1], {{1, 2}, {4, 5}}, 0)
  close(cols[2], {{3}, {6}}, 0)
  close(tensor.split(M, {1, 1}, -2)[2], {{4, 5, 6}}, 0)
  eq(#tensor.zeros(0):split(0), 1)
  eq(sizes(M:split({0, 3}, 2), 2), "0,3")
end)

test("chunk follows PyTorch's piece counts", function()
  local v = tensor.zeros(10)
  eq(sizes(v:chunk(3)), "4,4,2")
  eq(sizes(v:chunk(4)), "3,3,3,1")
  eq(sizes(v:chunk(6)), "2,2,2,2,2")       -- fewer than asked
  eq(sizes(tensor.zeros(5):chunk(20)), "1,1,1,1,1")
  eq(sizes(tensor.zeros(0):chunk(3)), "0,0,0")
  close(M:chunk(3, 2)[3], {{3}, {6}}, 0)
end)

test("repeat and tile", function()
  local rep = tensor["repeat"]
  close(rep(M, 2, 1, 2), {{{1, 2, 3, 1, 2, 3}, {4, 5, 6, 4, 5, 6}}, {{1, 2, 3, 1, 2, 3}, {4, 5, 6, 4, 5, 6}}}, 0)
  close(M["repeat"](M, 1, 2), {{1, 2, 3, 1, 2, 3}, {4, 5, 6, 4, 5, 6}}, 0)
  close(tensor{1, 2}["repeat"](tensor{1, 2}, {3}), {1, 2, 1, 2, 1, 2}, 0)
  eq(tostring(rep(M, 0, 1):size()), "Size{0, 3}")
  close(rep(tensor(7), 2), {7, 7}, 0)
  eq(rep(tensor(7)):item(), 7)
  close(tensor{{1.5, 2.5}}:tile(2, 1), {{1.5, 2.5}, {1.5, 2.5}})
  close(M:tile(2), {{1, 2, 3, 1, 2, 3}, {4, 5, 6, 4, 5, 6}}, 0)   -- padded to (1, 2)
  close(tensor{1, 2}:tile({2, 1, 2}), {{{1, 2, 1, 2}}, {{1, 2, 1, 2}}}, 0)
  close(M:tile(), {{1, 2, 3}, {4, 5, 6}}, 0)
  close(tensor{true, false}:tile(3), {true, false, true, false, true, false})
  close(M:t():tile(1, 2), {{1, 4, 1, 4}, {2, 5, 2, 5}, {3, 6, 3, 6}}, 0)
  close(tensor{1}:tile(7), {1, 1, 1, 1, 1, 1, 1}, 0)
  -- one copy through a (repeat, size) view of each dim, or, past 8 such
  -- dims, block doubling: both give every block equal to the input
  for _, dims in ipairs({{2, 3, 2}, {2, 3, 2, 2, 2}}) do
    local z = tensor.randn(table.unpack(dims))
    local reps = {}
    for i = 1, #dims do reps[i] = i == 2 and 3 or 2 end
    local t = z:tile(table.unpack(reps))
    for d = 1, #dims do
      for k = 2, reps[d] do
        eq((t:narrow(d, (k - 1) * dims[d] + 1, dims[d]) - t:narrow(d, 1, dims[d])):abs():max():item(), 0)
      end
    end
    local first = t
    for d = 1, #dims do first = first:narrow(d, 1, dims[d]) end
    eq((first - z):abs():max():item(), 0)
  end
end)

test("flip", function()
  close(M:flip(1), {{4, 5, 6}, {1, 2, 3}}, 0)
  close(M:flip(2), {{3, 2, 1}, {6, 5, 4}}, 0)
  close(M:flip(1, 2), {{6, 5, 4}, {3, 2, 1}}, 0)
  close(M:flip({-1}), {{3, 2, 1}, {6, 5, 4}}, 0)
  close(tensor.flip(M:t(), 1), {{3, 6}, {2, 5}, {1, 4}}, 0)
  close(M:flip({}), {{1, 2, 3}, {4, 5, 6}}, 0)
  close(tensor{true, false}:flip(1), {false, true})
  eq(tensor(3.5):flip(1):item(), 3.5)
  local h = tensor{1.5, 2.5}:half():flip(1)
  eq(h:dtype(), "float16")
  close(h, {2.5, 1.5})
end)

test("tril and triu, in place too", function()
  local S = tensor{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}
  close(S:tril(), {{1, 0, 0}, {4, 5, 0}, {7, 8, 9}}, 0)
  close(S:tril(-1), {{0, 0, 0}, {4, 0, 0}, {7, 8, 0}}, 0)
  close(S:tril(1), {{1, 2, 0}, {4, 5, 6}, {7, 8, 9}}, 0)
  close(S:triu(), {{1, 2, 3}, {0, 5, 6}, {0, 0, 9}}, 0)
  close(S:triu(1), {{0, 2, 3}, {0, 0, 6}, {0, 0, 0}}, 0)
  close(S:triu(-1), {{1, 2, 3}, {4, 5, 6}, {0, 8, 9}}, 0)
  close(S:triu(10), {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}}, 0)
  close(tensor.tril(M), {{1, 0, 0}, {4, 5, 0}}, 0)
  close(M:t():triu(), {{1, 4}, {0, 5}, {0, 0}}, 0)
  local batch = tensor.ones(2, 2, 2):tril()
  close(batch, {{{1, 0}, {1, 1}}, {{1, 0}, {1, 1}}})
  close(tensor{{true, true}, {true, true}}:triu(), {{true, true}, {false, true}})
  local W = tensor{{1.0, 2}, {3, 4}}
  local r = W:tril_()
  close(W, {{1, 0}, {3, 4}})
  eq(rawequal(r, W), true)
  W:triu_(1)
  close(W, {{0, 0}, {0, 0}})
end)

test("roll", function()
  close(tensor{1, 2, 3, 4}:roll(1), {4, 1, 2, 3}, 0)
  close(tensor{1, 2, 3, 4}:roll(-1), {2, 3, 4, 1}, 0)
  close(M:roll(2), {{5, 6, 1}, {2, 3, 4}}, 0)
  close(M:roll(1, 2), {{3, 1, 2}, {6, 4, 5}}, 0)
  close(M:roll(-4, 2), {{2, 3, 1}, {5, 6, 4}}, 0)
  close(tensor.roll(M, {1, -1}, {1, 2}), {{5, 6, 4}, {2, 3, 1}}, 0)
  close(M:t():roll(1, 1), {{3, 6}, {1, 4}, {2, 5}}, 0)
end)

test("bad calls raise clear errors", function()
  checkerr(function() return tensor.cat({}) end, "cat: expected a non-empty list of tensors")
  checkerr(function() return tensor.cat(M, M) end, "cat: expected a table of tensors, got a tensor")
  checkerr(function() return tensor.cat("x") end, "table of tensors expected, got string")
  checkerr(function() return tensor.cat({M, 3}) end, "cat: element 2 of the list is a number, expected a tensor")
  checkerr(function() return tensor.cat({tensor(1.0)}) end, "cat: a zero-dimensional tensor (at position 1) cannot be concatenated")
  checkerr(function() return tensor.cat({M, tensor.ones(2, 4)}) end,
           "cat: sizes of tensors must match except in dim 1, got shapes 2x3 and 2x4")
  checkerr(function() return tensor.cat({M, tensor.ones(2, 3, 4)}) end, "cat: tensors must have the same number of dimensions, got 2 and 3")
  checkerr(function() return tensor.cat({M}, 3) end, "dim 3 is out of range for a 2-d tensor")
  checkerr(function() return tensor.cat({M}, 0) end, "dim 0 is not valid: dims are 1-based")
  checkerr(function() return tensor.cat({M}, 1, 2) end, "cat: unexpected argument #3")
  checkerr(function() return tensor.stack({}) end, "stack: expected a non-empty list of tensors")
  checkerr(function() return tensor.stack({M, M:t()}) end, "stack: expects tensors of equal shape, got 2x3 at entry 1 and 3x2 at entry 2")
  checkerr(function() return tensor.stack({M}, 4) end, "dim 4 is out of range")
  checkerr(function() return tensor.stack({M}, 1.5) end, "dim (integer) expected")
  checkerr(function() return M:split(0) end, "split: split_size can only be 0 if the dim is empty, but dim 1 has size 2")
  checkerr(function() return M:split(-1) end, "split: split_size must be >= 0, got -1")
  checkerr(function() return M:split({1, 2}) end, "split: split sizes must sum to 2 (the size of dim 1), but they sum to 3")
  checkerr(function() return M:split({3, -1}) end, "split: split sizes must be >= 0, got -1 at position 2")
  checkerr(function() return M:split({1, "a"}) end, "split: split sizes must be integers, got string at position 2")
  checkerr(function() return M:split(1.5) end, "split size (integer) or table of sizes expected, got a float")
  checkerr(function() return M:split(1, 3) end, "dim 3 is out of range for a 2-d tensor")
  checkerr(function() return tensor(1):split(1) end, "split: expected a tensor with at least 1 dimension")
  checkerr(function() return M:chunk(0) end, "chunk: chunks must be > 0, got 0")
  checkerr(function() return tensor(1):chunk(2) end, "chunk: expected a tensor with at least 1 dimension")
  checkerr(function() return M["repeat"](M, 2) end, "repeat: 1 repeat counts given for a 2-d tensor; at least 2 are needed")
  checkerr(function() return M["repeat"](M, -1, 1) end, "repeat: repeat counts must be >= 0, got -1 at position 1")
  checkerr(function() return M["repeat"](M, 1, 2.5) end, "repeat: repeat counts must be integers, got a float at position 2")
  checkerr(function() return M:tile(1, 2, 3, 4, 5, 6, 7, 8, 9) end, "tile: at most 8 repeat counts")
  checkerr(function() return M:tile(1 << 40, 1 << 40) end, "tile: a result of shape")
  checkerr(function() return M:flip() end, "flip: expected the dims to flip")
  checkerr(function() return M:flip(1, 1) end, "flip: dim 1 appears more than once")
  checkerr(function() return M:flip(3) end, "dim 3 is out of range for a 2-d tensor")
  checkerr(function() return M:flip("a") end, "flip: dims must be integers, got string at position 1")
  checkerr(function() return tensor{1, 2}:tril() end, "tril: expected a tensor with at least 2 dimensions, got shape 2")
  checkerr(function() return tensor{1, 2}:triu_() end, "triu_: expected a tensor with at least 2 dimensions")
  checkerr(function() return M:tril(0.5) end, "number has no integer representation")
  checkerr(function() return M:roll({1, 1}, {1}) end, "roll: shifts and dims must have the same length, got 2 and 1")
  checkerr(function() return M:roll({1, 1}) end, "roll: without dims, exactly one shift is expected, got 2")
  checkerr(function() return M:roll(1, 3) end, "dim 3 is out of range for a 2-d tensor")
  checkerr(function() return M:roll() end, "roll: expected the shifts")
  checkerr(function() return M:roll(1.5) end, "roll: shifts must be integers, got a float")
  -- found by fuzz_api.lua: these made 2^40 tensors, for hours
  checkerr(function() return tensor.zeros(0):chunk(1 << 40) end, "chunk: 1099511627776 pieces is too many")
  checkerr(function() return tensor.ones(1):expand(1 << 40):split(1) end, "split: 1099511627776 pieces is too many")
  -- found by fuzz_api.lua under UBSan: a step past the dim overflowed the stride
  T.eq(tostring(tensor.arange(3):unfold(1, 2, 1 << 62)), "tensor([[0, 1]])")
  -- found by probing as fuzz_api.lua does: start + length overflowed
  checkerr(function() return tensor.arange(10):narrow(1, 2, math.maxinteger) end,
           "narrow: start 2 with length 9223372036854775807 exceeds dim 1 of size 10")
  T.eq(tostring(tensor.arange(3)[{{1, 3, math.maxinteger}}]), "tensor([0])")
end)

test("the interpreter still works after the errors", function()
  close(tensor.cat({tensor{1}, tensor{2}}), {1, 2}, 0)
  eq(#M:split(1), 2)
end)

T.done()
