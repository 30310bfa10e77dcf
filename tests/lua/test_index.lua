-- test_index.lua: indexing and selection from Lua: the t[...] syntax (views,
-- ranges, masks, index tensors, assignment), index_select, gather, scatter,
-- index_add/copy/fill, masked ops, where, nonzero, take_along_dim. Values are
-- hand-computed; then bad calls, each with the words its message must hold.
local T = require("testlib")
local test, eq, close, checkerr = T.test, T.eq, T.close, T.checkerr

-- {{1, 2, ..., m}, {m+1, ...}, ...}: an n x m int64 tensor counting from 1.
local function counting(n, m)
  local rows = {}
  for i = 1, n do
    rows[i] = {}
    for j = 1, m do rows[i][j] = (i - 1) * m + j end
  end
  return tensor(rows)
end

-- ---- reading: t[i], t[{...}] ----

test("t[i] selects along dim 1 and is a view", function()
  local t = counting(3, 4)
  close(t[2], {5, 6, 7, 8})
  close(t[-1], {9, 10, 11, 12})
  eq(t[2][3]:item(), 7)
  eq(t[2][3]:dim(), 0, "an element of a 2-d tensor is 0-d")
  eq(t[-1][-2]:item(), 11)
  t[3]:fill_(0)
  close(t[3], {0, 0, 0, 0}, 0, "writing through t[3] changes t")
  local v = tensor{10, 20, 30}
  eq(v[3]:item(), 30)
  eq(v[-3]:item(), 10)
  eq(v[2.0]:item(), 20, "a float with an integer value is an index")
end)

test("t[{...}] with integers, ranges, {} and steps", function()
  local t = counting(4, 5)
  close(t[{2, 3}], 8)
  close(t[{{2, 3}}], {{6, 7, 8, 9, 10}, {11, 12, 13, 14, 15}})
  close(t[{{}, 2}], {2, 7, 12, 17})
  close(t[{{2}, {}}], {{6, 7, 8, 9, 10}}, 0, "{a} keeps the dim")
  eq(#t[{{2}, {}}]:size(), 2)
  close(t[{{-2, -1}, {4, -1}}], {{14, 15}, {19, 20}})
  close(t[{{1, 4, 2}, {1, 5, 3}}], {{1, 4}, {11, 14}})
  close(t[{3}], {11, 12, 13, 14, 15}, 0, "fewer entries than dims")
  close(t[{}], t:totable(), 0, "an empty key is the whole tensor")
  eq(t[{{3, 2}}]:size(1), 0, "a range ending just before its start is empty")
  eq(t[{{5, 4}}]:size(1), 0, "an empty range at the end")
  close(t[{{2, -1, math.maxinteger}, 1}], {6}, 0, "a step past the range takes its first position")
end)

test("t[{...}] views share storage", function()
  local t = counting(3, 3)
  local row = t[{2, {}}]
  row:fill_(-1)
  close(t, {{1, 2, 3}, {-1, -1, -1}, {7, 8, 9}})
  local col = t[{{}, {3}}]
  col:fill_(0)
  close(t, {{1, 2, 0}, {-1, -1, 0}, {7, 8, 0}})
  local sub = t:transpose(1, 2)[{{1, 2}, 3}]
  close(sub, {7, 8}, 0, "indexing a transposed view")
  sub:fill_(5)
  close(t[3], {5, 5, 0})
end)

test("t[mask] selects with a bool mask (a copy)", function()
  local t = tensor{{1, 2, 3}, {4, 5, 6}}
  local m = tensor{{true, false, true}, {false, true, false}}
  close(t[m], {1, 3, 5})
  eq(t[m]:dim(), 1)
  local rows = tensor{false, true}
  close(t[rows], {{4, 5, 6}}, 0, "a mask over the leading dim keeps the rest")
  local sel = t[m]
  sel:fill_(0)
  eq(t[1][1]:item(), 1, "t[mask] is a copy")
  eq(t[tensor{{false, false, false}, {false, false, false}}]:numel(), 0)
end)

test("t[idx] with an int64 tensor is index_select along dim 1", function()
  local t = counting(3, 2)
  close(t[tensor{3, 1, 3}], {{5, 6}, {1, 2}, {5, 6}})
  close(t[tensor{{1, 2}, {3, 3}}], {{{1, 2}, {3, 4}}, {{5, 6}, {5, 6}}}, 0, "a 2-d index adds its dims")
  close(t[{{}, tensor{2, 1}}], {{2, 1}, {4, 3}, {6, 5}}, 0, "an index tensor inside a table")
  close(t[{2, tensor{2, 2}}], {4, 4})
  close(t[tensor{2, 3}:int()], {{3, 4}, {5, 6}}, 0, "int32 indices are accepted")
  local c = t[tensor{1}]
  c:fill_(0)
  eq(t[1][1]:item(), 1, "t[idx] is a copy")
end)

-- ---- assignment ----

test("t[i] = v and t[{...}] = v", function()
  local t = tensor.zeros(2, 3)
  t[1] = 5
  close(t, {{5, 5, 5}, {0, 0, 0}})
  t[{2, 3}] = 7.5
  close(t, {{5, 5, 5}, {0, 0, 7.5}})
  t[{{}, 1}] = tensor{1, 2}
  close(t, {{1, 5, 5}, {2, 0, 7.5}})
  t[{{}, {2, 3}}] = tensor{{8, 9}}
  close(t, {{1, 8, 9}, {2, 8, 9}}, 0, "a tensor broadcast into the view")
  local i = tensor.zeros(3, {dtype = "int64"})
  i[2] = 2.9
  eq(i[2]:item(), 2, "a float number is converted to the tensor's dtype")
  i[{{1, 3}}] = tensor{1.5, -2.5, 3.9}
  close(i, {1, -2, 3}, 0, "a float tensor is converted too (toward zero)")
  local b = tensor{false, false}
  b[1] = true
  b[2] = 3
  close(b, {true, true})
  local v = tensor{1, 2, 3}
  v[-1] = 0
  close(v, {1, 2, 0})
end)

test("t[mask] = v: masked_fill_ for numbers, masked_scatter for tensors", function()
  local t = tensor{{1, 2, 3}, {4, 5, 6}}
  local m = tensor{{true, false, true}, {false, true, false}}
  t[m] = 0
  close(t, {{0, 2, 0}, {4, 0, 6}})
  t[m] = tensor{7, 8, 9}
  close(t, {{7, 2, 8}, {4, 9, 6}})
  t[tensor{true, false}] = tensor{-1, -2, -3}
  close(t, {{-1, -2, -3}, {4, 9, 6}}, 0, "a leading-dim mask with a row value")
  t[tensor{false, true}] = tensor{{1.9, 1.9, 1.9}}
  close(t, {{-1, -2, -3}, {1, 1, 1}})
end)

test("t[idx] = v: index_fill_ and index_copy_ along dim 1", function()
  local t = tensor.zeros(3, 2)
  t[tensor{1, 3}] = 4
  close(t, {{4, 4}, {0, 0}, {4, 4}})
  t[tensor{2, 1}] = tensor{{1, 2}, {3, 4}}
  close(t, {{3, 4}, {1, 2}, {4, 4}})
  t[{{}, tensor{2}}] = tensor{{9}, {8}, {7}}
  close(t, {{3, 9}, {1, 8}, {4, 7}})
  t[tensor{3, 3}] = tensor{{5, 5}, {6, 6}}
  close(t[3], {6, 6}, 0, "duplicates: the last write wins")
end)

-- ---- functions and methods ----

test("index_select", function()
  local t = counting(3, 4)
  close(t:index_select(1, tensor{3, 1}), {{9, 10, 11, 12}, {1, 2, 3, 4}})
  close(tensor.index_select(t, 2, tensor{4, 4, 1}), {{4, 4, 1}, {8, 8, 5}, {12, 12, 9}})
  close(t:index_select(-1, tensor{2}), {{2}, {6}, {10}})
  close(t:transpose(1, 2):index_select(1, tensor{3}), {{3, 7, 11}})
  eq(t:index_select(1, tensor{}:long()):size(1), 0)
  eq(t:float():index_select(1, tensor{1}):dtype(), "float32")
  local s = tensor(5):index_select(1, tensor{1})
  eq(s:dim(), 0)
  eq(s:item(), 5)
end)

test("gather and take_along_dim", function()
  local t = tensor{{1, 2}, {3, 4}}
  close(t:gather(2, tensor{{2, 1}, {1, 1}}), {{2, 1}, {3, 3}})
  close(t:gather(1, tensor{{2, 1}, {1, 2}}), {{3, 2}, {1, 4}})
  close(tensor.gather(t, 1, tensor{{2}}), {{3}}, 0, "an index smaller than the input")
  local scores = tensor{{0.1, 0.7, 0.2}, {0.5, 0.3, 0.9}}
  close(scores:gather(2, tensor{{2}, {3}}), {{0.7}, {0.9}})
  close(scores:take_along_dim(tensor{{2}, {3}}, 2), {{0.7}, {0.9}})
  close(scores:take_along_dim(tensor{6, 1}), {0.9, 0.1}, 1e-6, "without dim: flattened")
  close(t:take_along_dim(tensor{{2, 1}}, 2), {{2, 1}, {4, 3}}, 0, "index broadcast off dim")
end)

test("scatter, scatter_ and scatter_add", function()
  close(tensor.zeros(2, 3):scatter(2, tensor{{3}, {1}}, 1.0), {{0, 0, 1}, {1, 0, 0}})
  local src = tensor{{1, 2, 3}, {4, 5, 6}}
  close(tensor.zeros(3, 3, {dtype = "int64"}):scatter(1, tensor{{1, 2, 3}, {3, 1, 2}}, src),
        {{1, 5, 0}, {0, 2, 6}, {4, 0, 3}})
  close(tensor.zeros(3):scatter_add(1, tensor{1, 1, 3}, tensor{1.0, 2.0, 5.0}), {3, 0, 5})
  close(tensor.ones(3):scatter(1, tensor{2, 2}, tensor{3.0, 4.0}, {reduce = "multiply"}), {1, 12, 1})
  close(tensor.ones(3):scatter(1, tensor{3, 3}, 2.0, {reduce = "add"}), {1, 1, 5})
  local z = tensor.zeros(4)
  z:scatter_(1, tensor{4, 1}, tensor{9.0, 8.0, 7.0})
  close(z, {8, 0, 0, 9}, 0, "src may be larger than the index")
  z:scatter_add_(1, tensor{4}, tensor{1.0})
  eq(z[4]:item(), 10.0)
  close(tensor.zeros(3):scatter(1, tensor{1, 1}, tensor{5.0, 7.0}), {7, 0, 0}, 0, "duplicates: last wins")
  close(tensor{false, false}:scatter_add(1, tensor{2, 2}, tensor{true, false}), {false, true}, 0, "bool adds as or")
  close(tensor.zeros(2, {dtype = "float16"}):scatter_add(1, tensor{2, 2}, tensor{0.5, 0.25}:half()), {0, 0.75})
end)

test("gather then scatter round trip", function()
  local t = tensor{{10, 20, 30}, {40, 50, 60}}
  local perm = tensor{{3, 1, 2}, {2, 3, 1}}
  local g = t:gather(2, perm)
  close(g, {{30, 10, 20}, {50, 60, 40}})
  close(tensor.zeros(2, 3, {dtype = "int64"}):scatter(2, perm, g), t:totable(), 0,
        "scattering a gather through a permutation restores the input")
end)

test("index_add_, index_copy_, index_fill_", function()
  local t = tensor.zeros(3, 2)
  t:index_add_(1, tensor{1, 3, 1}, tensor{{1.0, 1.0}, {2.0, 2.0}, {3.0, 3.0}})
  close(t, {{4, 4}, {0, 0}, {2, 2}}, 0, "duplicates accumulate")
  t:index_add_(2, tensor{2}, tensor{{1.0}, {1.0}, {1.0}}, {alpha = 2})
  close(t, {{4, 6}, {0, 2}, {2, 4}})
  local i = tensor.zeros(2, {dtype = "int64"}):index_add(1, tensor{2}, tensor{5}, {alpha = 3})
  close(i, {0, 15})
  local c = tensor.zeros(3, 2):index_copy(1, tensor{3, 1}, tensor{{7.0, 8.0}, {1.0, 2.0}})
  close(c, {{1, 2}, {0, 0}, {7, 8}})
  local f = tensor.zeros(2, 3):index_fill_(2, tensor{1, 3}, -1)
  close(f, {{-1, 0, -1}, {-1, 0, -1}})
  close(tensor.index_fill(tensor{1, 2, 3}, 1, tensor{2}, tensor(9)), {1, 9, 3}, 0, "a 0-d tensor value")
end)

test("masked_fill, masked_select, masked_scatter", function()
  local t = tensor{1, 2, 3}
  local m = tensor{true, false, true}
  close(t:masked_fill(m, 0), {0, 2, 0})
  close(t, {1, 2, 3}, 0, "masked_fill is out of place")
  eq(t:masked_fill(m, 2.7):dtype(), "int64", "the tensor's dtype is kept")
  close(t:masked_fill(m, 2.7), {2, 2, 2})
  t:masked_fill_(m, -1)
  close(t, {-1, 2, -1})
  local g = tensor{{1, 2, 3}, {4, 5, 6}}
  close(g:masked_fill(tensor{true, false, false}, 0), {{0, 2, 3}, {0, 5, 6}}, 0, "a broadcast mask")
  close(tensor{1.0, 2.0}:masked_fill(tensor{{true, false}, {false, true}}, 0),
        {{0, 2}, {1, 0}}, 0, "out of place broadcasts t with the mask")
  close(g:masked_select(tensor{{true, false, true}, {false, false, true}}), {1, 3, 6})
  close(g:masked_select(tensor{false, true, false}), {2, 5}, 0, "mask broadcast over rows")
  close(tensor.zeros(4):masked_scatter_(tensor{false, true, false, true}, tensor{1.0, 2.0, 3.0}), {0, 1, 0, 2})
  close(tensor.masked_scatter(tensor.zeros(2, 2), tensor{true, false}, tensor{{5.0, 6.0}, {7.0, 8.0}}),
        {{5, 0}, {6, 0}})
end)

test("where: broadcasting and promotion", function()
  local c = tensor{true, false, true}
  close(tensor.where(c, tensor{1, 2, 3}, 0), {1, 0, 3})
  eq(tensor.where(c, tensor{1, 2, 3}, 0):dtype(), "int64")
  eq(tensor.where(c, tensor{1, 2, 3}, 0.5):dtype(), "float32", "a float number promotes int64")
  eq(tensor.where(c, 1, 2):dtype(), "int64")
  eq(tensor.where(c, tensor{1, 2, 3}:int(), tensor{1, 2, 3}):dtype(), "int64")
  eq(tensor.where(c, tensor{1.0, 2.0, 3.0}:double(), 1.5):dtype(), "float64")
  close(tensor.where(tensor{{true}, {false}}, tensor{1, 2, 3}, tensor{-1}),
        {{1, 2, 3}, {-1, -1, -1}}, 0, "three shapes broadcast together")
  close(tensor{1, 2}:where(tensor{false, true}, -1), {-1, 2}, 0, "t:where(cond, other)")
  local r, col = tensor.where(tensor{{false, true}, {true, true}})
  close(r, {1, 2, 2})
  close(col, {2, 1, 2})
end)

test("nonzero", function()
  close(tensor{{0, 5}, {7, 0}}:nonzero(), {{1, 2}, {2, 1}})
  close(tensor{0.0, 0.5, -1.0}:nonzero(), {{2}, {3}})
  eq(tensor.nonzero(tensor.zeros(2, 2)):size(1), 0)
  eq(tensor.nonzero(tensor.zeros(2, 2)):size(2), 2)
  eq(tensor{1, 0}:nonzero():dtype(), "int64")
  local a, b = tensor{{0, 1}, {1, 0}}:nonzero({as_tuple = true})
  close(a, {1, 2})
  close(b, {2, 1})
  eq(tensor(3):nonzero():size(1), 1, "a nonzero 0-d tensor: one row of no columns")
end)

test("help text for every function", function()
  for _, name in ipairs{"index_select", "gather", "scatter", "scatter_add", "index_add", "index_copy",
                        "index_fill", "masked_fill", "masked_select", "masked_scatter", "where",
                        "nonzero", "take_along_dim"} do
    T.check(tensor[name], "tensor." .. name .. " exists")
  end
  local t = tensor.zeros(1)
  for _, name in ipairs{"scatter_", "scatter_add_", "index_add_", "index_copy_", "index_fill_",
                        "masked_fill_", "masked_scatter_", "where"} do
    T.check(t[name], "t:" .. name .. " exists")
  end
end)

-- ---- bad calls ----

test("bad calls raise clear errors", function()
  local t = counting(10, 3)
  local f = tensor.zeros(2, 3)
  checkerr(function() return t[11] end, "index 11 is out of range for dim 1 of size 10")
  checkerr(function() return t[0] end, "indices are 1-based")
  checkerr(function() return t[-11] end, "index -11 is out of range for dim 1 of size 10")
  checkerr(function() return t[{1, 4}] end, "index 4 is out of range for dim 2 of size 3")
  checkerr(function() return t[1.5] end, "must be an integer, got 1.5")
  checkerr(function() return t[{1, 2, 3}] end, "too many indices for a 2-d tensor: got 3")
  checkerr(function() return t[{{1, 11}}] end, "range 1..11 is out of range for dim 1 of size 10")
  checkerr(function() return t[{{5, 2}}] end, "runs backwards")
  checkerr(function() return t[{{1, 3, 0}}] end, "range step must be positive, got 0")
  checkerr(function() return t[{{1, 2, 1, 1}}] end, "a range is {first, last[, step]}")
  checkerr(function() return t[{{11}}] end, "index 11 is out of range for dim 1 of size 10")
  checkerr(function() return t[{"a"}] end, "index entry 1 must be an integer, a {first, last} range")
  checkerr(function() return t[{{1, "x"}}] end, "a range end must be an integer")
  checkerr(function() return t[true] end, "a boolean is not a valid tensor index")
  checkerr(function() return t[nil] end, "tensor index is nil")
  checkerr(function() return t[{1, dim = 2}] end, "found other keys")
  checkerr(function() return tensor(5)[1] end, "cannot index a 0-d tensor")
  checkerr(function() return t[tensor{1.5}] end, "index must be an int64 tensor of 1-based positions, got float32")
  checkerr(function() return t[tensor{0}] end, "index 0 is out of range for dim 1 of size 10 (indices are 1-based)")
  checkerr(function() return t[tensor{2, 11}] end, "index 11 is out of range for dim 1 of size 10")
  checkerr(function() return t[{{}, tensor{4}}] end, "index 4 is out of range for dim 2 of size 3")
  checkerr(function() return t[tensor{1, 0}:byte()] end, "a mask must be a bool tensor")
  checkerr(function() return f[tensor{true, false, true}] end, "mask of shape 3 does not match the indexed tensor's shape 2x3")
  checkerr(function() return t[{tensor{1}, tensor{1}}] end, "only one index tensor per index")
  checkerr(function() return f[{tensor{true, false}, 1}] end, "a bool mask must be the only index")
  checkerr(function() t[1] = "x" end, "cannot assign a string to a tensor index")
  checkerr(function() f[1] = tensor{1, 2} end, "cannot assign a tensor of shape 2 to an index of shape 3")
  checkerr(function() f[tensor{true, false}] = tensor{1, 2} end, "cannot assign a tensor of shape 2 to an index of shape 1x3")
  checkerr(function() t[tensor{1}] = 0 / 0 end, "cannot fill an int64 tensor with nan")
  checkerr(function() t[11] = 1 end, "index 11 is out of range for dim 1 of size 10")
  checkerr(function() t:index_select(3, tensor{1}) end, "dim 3 is out of range for a 2-d tensor")
  checkerr(function() t:index_select(1, tensor{{1}}) end, "index_select: index must be 1-d, got shape 1x1")
  checkerr(function() t:index_select(1, {1, 2}) end, "index tensor expected, got table")
  checkerr(function() t:index_select(2, tensor{0}) end, "index_select: index 0 is out of range for dim 2 of size 3 (indices are 1-based)")
  checkerr(function() tensor(1):index_select(1, tensor{1, 1}) end, "a 0-d input takes exactly one index, got 2")
  checkerr(function() f:gather(1, tensor{1}) end, "gather: index must have as many dims as the input (2), got 1")
  checkerr(function() f:gather(1, tensor{{1, 1, 1, 1}}) end, "gather: index of shape 1x4 is larger than the input (2x3) at dim 2")
  checkerr(function() f:gather(2, tensor{{4}}) end, "gather: index 4 is out of range for dim 2 of size 3")
  checkerr(function() f:gather(2, tensor{{1.0}}) end, "gather: index must be an int64 tensor")
  checkerr(function() f:scatter(2, tensor{{1}}, tensor{{1}}) end, "scatter: src must have the input's dtype float32, got int64")
  checkerr(function() f:scatter(2, tensor{{1, 2}}, tensor{{1.0}}) end, "scatter: index of shape 1x2 is larger than the src (1x1) at dim 2")
  checkerr(function() f:scatter(2, tensor{{1}}, 1.0, {reduce = "sum"}) end, "reduce must be 'add' or 'multiply', got sum")
  checkerr(function() f:scatter(2, tensor{{1}}, 1.0, {reduc = "add"}) end, "unknown option 'reduc'")
  checkerr(function() f:scatter_add(2, tensor{{1}}, 1.0) end, "src tensor expected, got number")
  checkerr(function() f:scatter_(2, tensor{{1}}, "x") end, "tensor or number expected, got string")
  checkerr(function() t:index_add_(1, tensor{1}, tensor{{1, 1, 1}}, {alpha = 1.5}) end, "index_add: alpha must be an integer for a int64 tensor")
  checkerr(function() f:index_add_(1, tensor{1, 2}, tensor.ones(3, 3)) end, "index_add: the index has 2 entries but the source has 3 along dim 1")
  checkerr(function() f:index_add_(1, tensor{1}, tensor.ones(1, 2)) end, "source of shape 1x2 does not match the input's shape 2x3 at dim 2")
  checkerr(function() f:index_add_(1, tensor{1}, tensor{{1, 1, 1}}) end, "index_add: source must have the input's dtype float32, got int64")
  checkerr(function() f:index_add_(1, tensor{1}, tensor.ones(1, 3), {beta = 1}) end, "unknown option 'beta'")
  checkerr(function() f:index_copy_(1, tensor{1}, tensor.ones(3)) end, "index_copy: source must have as many dims as the input (2), got 1")
  checkerr(function() f:index_copy_(1, tensor{3}, tensor.ones(1, 3)) end, "index_copy: index 3 is out of range for dim 1 of size 2")
  checkerr(function() f:index_fill_(1, tensor{1}, tensor{1.0, 2.0}) end, "index_fill: value must be a number or a 0-d tensor, got shape 2")
  checkerr(function() f:index_fill_(1, tensor{1}, {}) end, "value (number) expected, got table")
  checkerr(function() f:index_fill_(1, tensor{1}, 0, {}) end, "unexpected argument")
  checkerr(function() f:masked_fill(tensor{1, 0, 1}, 0) end, "masked_fill: mask must be a bool tensor, got int64")
  checkerr(function() f:masked_fill_(tensor{true, false}, 0) end, "masked_fill: mask of shape 2 does not broadcast to the input's shape 2x3")
  checkerr(function() f:masked_fill(tensor{true, false, true}, "x") end, "value (number) expected, got string")
  checkerr(function() f:masked_select(tensor{true, false}) end, "masked_select: shapes")
  checkerr(function() f:masked_scatter_(tensor{true, false, true}, tensor{1.0}) end, "masked_scatter: source has 1 elements but the mask selects 4")
  checkerr(function() f:masked_scatter_(tensor{true, false, true}, tensor{1, 2, 3, 4}) end, "masked_scatter: source must have the input's dtype float32, got int64")
  checkerr(function() tensor.where(tensor{1, 0}, 1, 2) end, "where: condition must be a bool tensor, got int64")
  checkerr(function() tensor.where(tensor{true, false}, tensor{1, 2, 3}, 0) end, "where: shapes")
  checkerr(function() tensor.where(tensor{true, false}, 1) end, "a value for where the condition is false expected")
  checkerr(function() tensor.where(tensor{true}, 1, "x") end, "tensor or number expected, got string")
  checkerr(function() f:nonzero({as_tupel = true}) end, "unknown option 'as_tupel'")
  checkerr(function() f:take_along_dim(tensor{1}, 1) end, "take_along_dim: index must have as many dims as the input (2), got 1")
  checkerr(function() f:take_along_dim(tensor{{1, 1}}, 1) end, "cannot be broadcast at dim 2")
end)

test("the interpreter still works after the errors", function()
  local t = counting(2, 2)
  t[{1, 1}] = 9
  close(t:index_select(1, tensor{1}), {{9, 2}})
  eq(t[2][2]:item(), 4)
end)

print(string.format("(%d bad calls checked)", T.errors_checked or 0))
T.done()
