-- test_linalg.lua: matmul and its special cases, addmm, outer, diag and
-- trace, against values worked out by hand; PyTorch's dtype rules; and the
-- errors for bad calls, after which the interpreter must still work.
local T = require("testlib")
local test, eq, close, checkerr = T.test, T.eq, T.close, T.checkerr

local A = tensor{{1, 2, 3}, {4, 5, 6}}           -- 2x3
local B = tensor{{7, 8}, {9, 10}, {11, 12}}      -- 3x2
local AB = {{58, 64}, {139, 154}}
local X = tensor{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}}  -- 2x2x2

test("mm of int64 matrices", function()
  local c = tensor.mm(A, B)
  eq(c:dtype(), "int64")
  close(c, AB, 0)
  close(A:mm(B), AB, 0)
end)

test("mm keeps float32, float64 and int32", function()
  local c = A:float():mm(B:float())
  eq(c:dtype(), "float32")
  close(c, AB)
  eq(A:double():mm(B:double()):dtype(), "float64")
  close(A:int():mm(B:int()), AB, 0)
  eq(A:int():mm(B:int()):dtype(), "int32")
end)

test("float16 and bfloat16 compute in float32 and keep their dtype", function()
  local c = A:half():mm(B:half())
  eq(c:dtype(), "float16")
  close(c, AB, 0)
  local d = tensor{{1, 2}, {3, 4}}:bfloat16():matmul(tensor{{1, 0}, {0, 1}}:bfloat16())
  eq(d:dtype(), "bfloat16")
  close(d, {{1, 2}, {3, 4}}, 0)
end)

test("uint8 products wrap around, as in PyTorch", function()
  local c = tensor({{200}}, {dtype = "uint8"}):mm(tensor({{2}}, {dtype = "uint8"}))
  eq(c:dtype(), "uint8")
  eq(c:totable()[1][1], 144)  -- 400 mod 256
end)

test("transposed and strided views give the same product", function()
  local bt = tensor{{7, 9, 11}, {8, 10, 12}}:t()       -- B as a transposed view
  eq(bt:is_contiguous(), false)
  close(A:float():mm(bt:float()), AB)
  local at = tensor{{1, 4}, {2, 5}, {3, 6}}:t()
  close(tensor.mm(at:double(), bt:double()), AB)
  local wide = tensor{{7, 0, 8}, {9, 0, 10}, {11, 0, 12}}  -- every other column
  local bs = wide:float():narrow(2, 1, 3):unfold(2, 1, 2):squeeze(3)
  eq(bs:is_contiguous(), false)
  close(A:float():mm(bs), AB)
end)

test("matmul 1-d x 1-d is a 0-dim dot product", function()
  local d = tensor.matmul(tensor{1, 2, 3}, tensor{4, 5, 6})
  eq(d:dim(), 0)
  eq(d:item(), 32)
  eq(tensor{1.5, 2}:dot(tensor{2.0, 4}):item(), 11.0)
  eq(tensor.dot(tensor{1, 2, 3}:int(), tensor{4, 5, 6}:int()):dtype(), "int32")
end)

test("matmul 2-d x 1-d and 1-d x 2-d", function()
  local v = tensor{1, 1, 1}
  local r = A:matmul(v)
  eq(r:dim(), 1)
  close(r, {6, 15}, 0)
  close(A:mv(v), {6, 15}, 0)
  local l = tensor{1, 1}:matmul(A)
  close(l, {5, 7, 9}, 0)
  eq(l:size(), tensor.zeros(3):size())
end)

test("matmul with batches: folded, broadcast and 1-d operands", function()
  close(X:matmul(tensor{{1}, {1}}), {{{3}, {7}}, {{11}, {15}}}, 0)
  close(X:matmul(tensor{1, 1}), {{3, 7}, {11, 15}}, 0)
  close(tensor{1, 1}:matmul(X), {{4, 6}, {12, 14}}, 0)
  close(X:matmul(X), {{{7, 10}, {15, 22}}, {{67, 78}, {91, 106}}}, 0)
  close(tensor.bmm(X, X), {{{7, 10}, {15, 22}}, {{67, 78}, {91, 106}}}, 0)
  -- batch dims broadcast: (2,1,3,4) @ (5,4,2) -> (2,5,3,2), each entry 4
  local r = tensor.ones(2, 1, 3, 4):matmul(tensor.ones(5, 4, 2))
  eq(tostring(r:size()), "Size{2, 5, 3, 2}")
  eq(r:totable()[2][5][3][2], 4.0)
  -- a 2-d left operand against a batch: X[b] on the right
  close(tensor{{1, 0}, {1, 1}}:matmul(X), {{{1, 2}, {4, 6}}, {{5, 6}, {12, 14}}}, 0)
  -- an expanded operand (batch stride 0)
  local e = tensor{{1, 0}, {0, 2}}:view(1, 2, 2):expand(2, 2, 2)
  close(e:bmm(X), {{{1, 2}, {6, 8}}, {{5, 6}, {14, 16}}}, 0)
end)

test("empty products: k = 0 gives zeros, m = 0 gives an empty result", function()
  local z = tensor.ones(2, 0):mm(tensor.ones(0, 3))
  close(z, {{0, 0, 0}, {0, 0, 0}}, 0)
  local d = tensor.zeros(0):matmul(tensor.zeros(0))
  eq(d:dim(), 0)
  eq(d:item(), 0.0)
  eq(tensor.ones(0, 4):mm(tensor.ones(4, 3)):numel(), 0)
  eq(tostring(tensor.ones(3, 0, 4):matmul(tensor.ones(4, 2)):size()), "Size{3, 0, 2}")
end)

test("outer and ger promote dtypes; bool is logical and", function()
  local o = tensor{1, 2}:outer(tensor{1, 10, 100})
  eq(o:dtype(), "int64")
  close(o, {{1, 10, 100}, {2, 20, 200}}, 0)
  local f = tensor.outer(tensor{1, 2}, tensor{0.5})
  eq(f:dtype(), "float32")
  close(f, {{0.5}, {1.0}})
  close(tensor.ger(tensor{1, 2}, tensor{3, 4}), {{3, 4}, {6, 8}}, 0)
  local b = tensor{true, false}:outer(tensor{true, true})
  eq(b:dtype(), "bool")
  eq(b:totable()[1][2], true)
  eq(b:totable()[2][1], false)
end)

test("addmm: beta * input + alpha * m1 @ m2", function()
  local m1, m2 = tensor{{1.0, 2}, {3, 4}}, tensor{{1.0, 0}, {0, 1}}
  close(tensor.addmm(tensor{1.0, 2}, m1, m2, {beta = 0.5, alpha = 2}), {{2.5, 5}, {6.5, 9}})
  close(tensor.addmm(tensor{{10.0}, {20}}, m1, m2), {{11, 12}, {23, 24}})
  close(tensor{1.0, 2}:addmm(m1, m2), {{2, 4}, {4, 6}})
  -- beta = 0 ignores input, NaN included
  local r = tensor.addmm(tensor.full({2}, 0 / 0), m1, m2, {beta = 0})
  close(r, {{1, 2}, {3, 4}})
  -- integers: alpha and beta truncate, as PyTorch does
  local i = tensor.addmm(tensor{1, 1, 1}, tensor.ones(2, 3):long(), tensor.ones(3, 3):long(), {beta = 2, alpha = 3})
  eq(i:dtype(), "int64")
  close(i, {{11, 11, 11}, {11, 11, 11}}, 0)
  close(tensor.addmm(tensor{1}, tensor{{1}}, tensor{{1}}, {beta = 2.5}), {{3}}, 0)
end)

test("diag and trace", function()
  close(tensor{1, 2}:diag(), {{1, 0}, {0, 2}}, 0)
  close(tensor{1, 2, 3}:diag(-1), {{0, 0, 0, 0}, {1, 0, 0, 0}, {0, 2, 0, 0}, {0, 0, 3, 0}}, 0)
  local m = tensor{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}
  close(m:diag(), {1, 5, 9}, 0)
  close(m:diag(1), {2, 6}, 0)
  close(tensor.diag(m, -2), {7}, 0)
  eq(m:diag(5):numel(), 0)
  eq(m:trace():item(), 15)
  eq(m:trace():dtype(), "int64")
  eq(m:int():trace():dtype(), "int64")
  eq(tensor{{1.5, 2}, {3, 4}}:trace():item(), 5.5)
  eq(tensor{{1, 2, 3}, {4, 5, 6}}:t():trace():item(), 6)
end)

test("a big product matches a known answer", function()
  -- ones(64, 100) @ ones(100, 50) is all 100, across the BLAS path
  local r = tensor.ones(64, 100):matmul(tensor.ones(100, 50))
  eq(r:totable()[64][50], 100.0)
  eq(r:totable()[1][1], 100.0)
  local s = tensor.full({3, 40, 70}, 2.0):matmul(tensor.full({70, 30}, 0.5):double():float())
  eq(s:totable()[3][40][30], 70.0)
end)

-- Bad calls: each names what was expected and what was given.
test("bad calls raise clear errors", function()
  local m34, m56 = tensor.ones(3, 4), tensor.ones(5, 6)
  checkerr(function() return tensor.matmul(m34, m56) end, "matmul: shapes 3x4 and 5x6 cannot be multiplied (4 != 5)")
  checkerr(function() return m34:mm(m56) end, "mm: shapes 3x4 and 5x6 cannot be multiplied (4 != 5)")
  checkerr(function() return tensor.mm(tensor.ones(2, 2), tensor.ones(2, 2):double()) end,
           "expected both to have the same dtype, got float32 and float64")
  checkerr(function() return tensor.matmul(tensor.ones(2), tensor.ones(2):double()) end,
           "matmul: expected both to have the same dtype")
  checkerr(function() return tensor.mm(tensor.ones(3), m56) end, "mm: expected two 2-d tensors, got shapes 3 and 5x6")
  checkerr(function() return tensor.matmul(tensor.ones(3), tensor.ones(4)) end, "matmul: shapes 3 and 4 cannot be multiplied (3 != 4)")
  checkerr(function() return tensor.matmul(tensor.ones(2, 3, 4), tensor.ones(5)) end, "(4 != 5)")
  checkerr(function() return tensor.matmul(tensor.ones(3), tensor.ones(2, 4, 5)) end, "(3 != 4)")
  checkerr(function() return tensor.matmul(tensor(1.0), tensor.ones(3)) end, "need at least 1 dimension, got shapes scalar and 3")
  checkerr(function() return tensor.matmul(tensor.ones(2, 3, 4), tensor.ones(3, 4, 5)) end,
           "cannot be broadcast (size 2 vs 3 at batch dim 1)")
  checkerr(function() return tensor.bmm(tensor.ones(2, 3, 4), tensor.ones(3, 4, 5)) end, "bmm: batch sizes of shapes 2x3x4 and 3x4x5 differ (2 != 3)")
  checkerr(function() return tensor.bmm(tensor.ones(3, 4), tensor.ones(2, 4, 5)) end, "bmm: expected two 3-d tensors")
  checkerr(function() return tensor.bmm(tensor.ones(2, 3, 4), tensor.ones(2, 5, 5)) end, "bmm: shapes 2x3x4 and 2x5x5 cannot be multiplied (4 != 5)")
  checkerr(function() return tensor.mv(tensor.ones(2, 3), tensor.ones(2)) end, "mv: shapes 2x3 and 2 cannot be multiplied (3 != 2)")
  checkerr(function() return tensor.mv(tensor.ones(2, 3), tensor.ones(3, 1)) end, "mv: expected a 2-d matrix and a 1-d vector")
  checkerr(function() return tensor.dot(tensor.ones(2, 2), tensor.ones(3)) end, "dot: expected two 1-d tensors, got shapes 2x2 and 3")
  checkerr(function() return tensor.dot(tensor.ones(2), tensor.ones(3)) end, "dot: shapes 2 and 3 cannot be multiplied (2 != 3)")
  checkerr(function() return tensor.dot(tensor{true}, tensor{true}) end, "dot: expected integer or floating point tensors, got bool")
  checkerr(function() return tensor.mm(tensor{{true}}, tensor{{false}}) end, "mm: expected integer or floating point tensors, got bool")
  checkerr(function() return tensor.outer(tensor.ones(3, 1), tensor.ones(2)) end, "outer: expected two 1-d tensors, got shapes 3x1 and 2")
  checkerr(function() return tensor.addmm(tensor.ones(4, 3), tensor.ones(2, 3), tensor.ones(3, 3)) end,
           "addmm: input of shape 4x3 cannot be broadcast to the result shape 2x3")
  checkerr(function() return tensor.addmm(tensor.ones(3):double(), tensor.ones(2, 3), tensor.ones(3, 3)) end,
           "addmm: expected input, mat1 and mat2 to have the same dtype, got float64, float32 and float32")
  checkerr(function() return tensor.addmm(tensor.ones(3), tensor.ones(2, 3), tensor.ones(3, 3), {betta = 2}) end,
           "addmm: unknown option 'betta'")
  checkerr(function() return tensor.addmm(tensor.ones(3), tensor.ones(2, 3), tensor.ones(3, 3), {beta = "x"}) end,
           "option 'beta' must be a number")
  checkerr(function() return tensor.addmm(tensor.ones(3), tensor.ones(3), tensor.ones(3, 3)) end, "addmm: expected 2-d mat1 and mat2")
  checkerr(function() return tensor.addmm(tensor.ones(3), tensor.ones(2, 4), tensor.ones(3, 3)) end, "addmm: shapes 2x4 and 3x3 cannot be multiplied (4 != 3)")
  checkerr(function() return m34:matmul(2) end, "tensor expected, got number")
  checkerr(function() return tensor.matmul(m34) end, "tensor expected, got no value")
  checkerr(function() return m34:mm(m34:t(), m34) end, "mm: unexpected argument #3")
  checkerr(function() return tensor.diag(tensor.ones(2, 2, 2)) end, "diag: expected a 1-d or 2-d tensor, got shape 2x2x2")
  checkerr(function() return tensor.diag(tensor.ones(2), 1.5) end, "number has no integer representation")
  checkerr(function() return tensor.trace(tensor.ones(3)) end, "trace: expected a 2-d tensor, got shape 3")
  checkerr(function() return tensor.trace(tensor{{true}}) end, "trace: expected an integer or floating point tensor, got bool")
end)

test("the interpreter still works after the errors", function()
  eq(tensor{{1, 2}, {3, 4}}:mm(tensor{{1}, {1}}):totable()[2][1], 7)
end)

T.done()
