-- test_reduce.lua: reductions and ops along a dim, checked against values
-- worked out by hand, PyTorch's dtype rules, 1-based indices, empty and
-- 0-dim tensors, NaN, and many bad calls that must raise clear errors.
local T = require("testlib")
local test, check, eq, close, checkerr = T.test, T.check, T.eq, T.close, T.checkerr

local nan, inf = 0 / 0, math.huge
local function isnan(v) return v ~= v end

local m = tensor{{1, 2, 3}, {4, 5, 6}}           -- int64
local f = tensor{{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}} -- float32

test("sum: full, dims, keepdim, both conventions", function()
  local s = m:sum()
  eq(s:dim(), 0); eq(s:item(), 21); eq(s:dtype(), "int64")
  close(m:sum(1), {5, 7, 9}); close(m:sum(2), {6, 15}); close(m:sum(-1), {6, 15})
  eq(m:sum(2, true):size(), tensor.zeros(2, 1):size())
  eq(m:sum(1, {keepdim = true}):size(), tensor.zeros(1, 3):size())
  close(m:sum(2, true), {{6}, {15}})
  close(m:sum({1, 2}), 21); eq(m:sum({2, 1}):dim(), 0)
  eq(m:sum({1, 2}, true):size(), tensor.zeros(1, 1):size())
  close(tensor.sum(m, 1), {5, 7, 9})
  close(f:sum(1), {5, 7, 9}); eq(f:sum():dtype(), "float32")
  eq(m:sum({keepdim = true}):size(), tensor.zeros(1, 1):size())
end)

test("sum over non-adjacent dims and of views", function()
  local x = tensor{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}} -- 2x2x2
  close(x:sum({1, 3}), {1 + 2 + 5 + 6, 3 + 4 + 7 + 8})
  close(x:sum({1, 3}, true), {{{14}, {22}}})
  close(x:sum(2), {{4, 6}, {12, 14}})
  close(m:t():sum(1), {6, 15})                -- a transposed view
  close(m:t():sum(2), {5, 7, 9})
  close(tensor.ones(3, 1):expand(3, 4):sum(2), {4, 4, 4}) -- stride 0
end)

test("sum dtypes: bool and integers give int64, dtype= casts first", function()
  local b = tensor{true, false, true}
  eq(b:sum():dtype(), "int64"); eq(b:sum():item(), 2)
  local i32 = tensor({1, 2, 3}, {dtype = "int32"})
  eq(i32:sum():dtype(), "int64"); eq(i32:sum({dtype = "int32"}):dtype(), "int32")
  local s = m:sum({dtype = "float64"})
  eq(s:dtype(), "float64"); eq(s:item(), 21.0)
  eq(tensor({1.5, 2.5}, {dtype = "float16"}):sum():dtype(), "float16")
  close(tensor({1.5, 2.5}, {dtype = "float16"}):sum():item(), 4.0)
  eq(tensor({1.7, 2.6}):sum({dtype = "int64"}):item(), 3) -- cast, then sum
  eq(tensor({200, 100}, {dtype = "uint8"}):sum():item(), 300) -- no uint8 wrap
end)

test("sum and prod of empty and 0-dim tensors", function()
  local e = tensor.zeros(0, 3)
  eq(e:sum():item(), 0.0); close(e:sum(1), {0, 0, 0}); eq(e:sum(2):numel(), 0)
  eq(e:prod():item(), 1.0); close(e:prod(1), {1, 1, 1})
  local z = tensor(5)
  eq(z:sum():item(), 5); eq(z:sum(1):item(), 5); eq(z:sum(-1):dim(), 0)
  eq(z:prod():item(), 5)
end)

test("prod", function()
  eq(tensor{1, 2, 3, 4}:prod():item(), 24)
  close(m:prod(1), {4, 10, 18}); close(m:prod(2, true), {{6}, {120}})
  eq(tensor{true, true}:prod():dtype(), "int64")
  close(f:prod(2), {6, 120})
  eq(tensor.full({64}, 2):prod():item(), 0) -- 2^64 wraps to 0 in int64, as torch
end)

test("mean", function()
  eq(f:mean():item(), 3.5)
  close(f:mean(1), {2.5, 3.5, 4.5}); close(f:mean(2, true), {{2}, {5}})
  eq(m:mean({dtype = "float64"}):item(), 3.5)
  eq(m:mean({dtype = "float64"}):dtype(), "float64")
  check(isnan(tensor.zeros(0):mean():item()), "mean of empty is nan")
  eq(tensor({1, 2}, {dtype = "bfloat16"}):mean():dtype(), "bfloat16")
end)

test("var and std", function()
  local v = tensor{1.0, 2.0, 3.0, 4.0}
  close(v:var():item(), 5 / 3); close(v:var({unbiased = false}):item(), 1.25)
  close(v:var({correction = 0}):item(), 1.25); close(v:var({correction = 2}):item(), 2.5)
  close(v:std():item(), math.sqrt(5 / 3)); close(v:std({unbiased = false}):item(), math.sqrt(1.25))
  close(f:var(1), {4.5, 4.5, 4.5}); close(f:var(2, true), {{1}, {1}})
  close(f:std(2, {keepdim = true, correction = 0}), {{math.sqrt(2 / 3)}, {math.sqrt(2 / 3)}})
  check(isnan(tensor{3.0}:var():item()), "var of one element is nan (N - 1 = 0)")
  eq(tensor{3.0}:var({correction = 0}):item(), 0.0)
  check(isnan(tensor.zeros(0):var():item()), "var of empty is nan")
  close(tensor({1e8 + 1, 1e8 + 2, 1e8 + 3}, {dtype = "float64"}):var():item(), 1.0, 1e-9)
end)

test("norm", function()
  local v = tensor{3.0, -4.0}
  eq(v:norm():item(), 5.0); eq(v:norm(2):item(), 5.0); eq(v:norm("fro"):item(), 5.0)
  eq(v:norm(1):item(), 7.0); eq(v:norm(inf):item(), 4.0); eq(v:norm(-inf):item(), 3.0)
  eq(tensor{0.0, 2.0, 0.0, -1.0}:norm(0):item(), 2.0)
  close(v:norm(3):item(), (27 + 64) ^ (1 / 3))
  close(f:norm(2, 2), {math.sqrt(14), math.sqrt(77)})
  close(f:norm(1, 1, true), {{5, 7, 9}})
  close(f:norm(2, {1, 2}):item(), math.sqrt(91))
  eq(tensor.zeros(0):norm():item(), 0.0)
  check(isnan(tensor{1.0, nan}:norm(inf):item()), "inf-norm propagates nan")
end)

test("logsumexp", function()
  close(tensor{0.0, 0.0}:logsumexp(1):item(), math.log(2))
  close(tensor{1000.0, 1000.0}:logsumexp(1):item(), 1000 + math.log(2), 1e-6) -- no overflow
  close(tensor{-1000.0, -1000.0}:logsumexp():item(), -1000 + math.log(2), 1e-6)
  eq(tensor{-inf, -inf}:logsumexp(1):item(), -inf); eq(tensor{inf, 1.0}:logsumexp():item(), inf)
  eq(tensor.zeros(0):logsumexp():item(), -inf)
  local li = tensor{1, 2, 3}:logsumexp(1)
  eq(li:dtype(), "float32"); close(li:item(), math.log(math.exp(1) + math.exp(2) + math.exp(3)))
  close(f:logsumexp(2, true), {{math.log(math.exp(1) + math.exp(2) + math.exp(3))},
                               {math.log(math.exp(4) + math.exp(5) + math.exp(6))}}, 1e-6)
end)

test("any and all", function()
  eq(tensor{0, 0, 3}:any():item(), true); eq(tensor{0, 0}:any():item(), false)
  eq(tensor{1, 0}:all():item(), false); eq(tensor{1.5, -2}:all():item(), true)
  eq(tensor{0.0, nan}:any():item(), true) -- nan is nonzero
  local b = tensor{{true, false}, {false, false}}
  close(b:any(1), {true, false}); close(b:all(2), {false, false})
  eq(b:any(2, true):size(), tensor.zeros(2, 1):size())
  eq(tensor.zeros(0):any():item(), false); eq(tensor.zeros(0):all():item(), true)
  eq(b:any():dtype(), "bool")
  local u = tensor({1, 0}, {dtype = "uint8"})
  eq(u:any():dtype(), "uint8"); eq(u:all():item(), 0) -- uint8 stays uint8, as torch
end)

test("max and min", function()
  eq(f:max():item(), 6.0); eq(f:min():item(), 1.0); eq(f:max():dim(), 0)
  local v, i = tensor{{1, 5}, {7, 2}}:max(2)
  close(v, {5, 7}); close(i, {2, 1}); eq(i:dtype(), "int64")
  v, i = tensor{{1, 5}, {7, 2}}:min(1, true)
  close(v, {{1, 2}}); close(i, {{1, 2}})
  v, i = tensor{3, 1, 1, 3}:min(1)                  -- ties: the first
  eq(v:item(), 1); eq(i:item(), 2)
  v, i = tensor{3, 1, 1, 3}:max(1); eq(i:item(), 1)
  v, i = tensor{1.0, nan, 5.0, nan}:max(1)          -- NaN propagates, first NaN
  check(isnan(v:item())); eq(i:item(), 2)
  check(isnan(tensor{1.0, nan}:min():item()), "min propagates nan")
  eq(tensor{true, false}:max():item(), true)
  eq(tensor({-7, 3}, {dtype = "int32"}):min():dtype(), "int32")
  local z = tensor(4.5)
  v, i = z:max(1); eq(v:item(), 4.5); eq(i:item(), 1)
  v, i = tensor.zeros(0, 3):max(2); eq(v:numel(), 0)
  eq(tensor.max(f):item(), 6.0)
end)

test("argmax and argmin", function()
  local x = tensor{{1, 9}, {8, 2}}
  eq(x:argmax():item(), 2); eq(x:argmin():item(), 1); eq(x:argmax():dim(), 0)
  close(x:argmax(1), {2, 1}); close(x:argmin(2, true), {{1}, {2}})
  eq(tensor{4, 1, 1}:argmin():item(), 2)             -- ties: the first
  eq(tensor{2.0, 7.0, 7.0}:argmax():item(), 2)
  eq(tensor{1.0, nan, 3.0}:argmax():item(), 2)        -- NaN wins
  eq(tensor(3):argmax():item(), 1)
  eq(x:argmax(nil, true):size(), tensor.zeros(1, 1):size())
  eq(x:argmax({keepdim = true}):item(), 2)
  eq(tensor.argmax(x, 2):dtype(), "int64")
end)

test("cumsum and cumprod", function()
  close(tensor{1, 2, 3}:cumsum(1), {1, 3, 6})
  close(m:cumsum(1), {{1, 2, 3}, {5, 7, 9}}); close(m:cumsum(-1), {{1, 3, 6}, {4, 9, 15}})
  close(tensor{1, 2, 3, 4}:cumprod(1), {1, 2, 6, 24})
  eq(tensor{true, true}:cumsum(1):dtype(), "int64")
  eq(tensor({1, 2}, {dtype = "int32"}):cumsum(1):dtype(), "int64")
  eq(m:cumsum(1, {dtype = "float64"}):dtype(), "float64")
  close(f:cumprod(2), {{1, 2, 6}, {4, 20, 120}})
  eq(tensor(3.0):cumsum(1):item(), 3.0)
  eq(tensor.zeros(0):cumsum(1):numel(), 0)
end)

test("cumsum_ and cumprod_ work in place and keep the dtype", function()
  local t = tensor({{1, 2, 3}, {4, 5, 6}}, {dtype = "int32"})
  eq(t:cumsum_(2), t)
  eq(t:dtype(), "int32")
  close(t, {{1, 3, 6}, {4, 9, 15}})
  local h = tensor({1.5, 2, 4}, {dtype = "float16"})
  h:cumprod_(1)
  eq(h:dtype(), "float16")
  close(h, {1.5, 3, 12})
  local v = tensor{{1.0, 2.0}, {3.0, 4.0}}
  v:select(2, 2):cumsum_(1)          -- through a strided view
  close(v, {{1, 2}, {3, 6}})
  local u = tensor({200, 100}, {dtype = "uint8"})
  close(u:cumsum_(1), {200, 44})     -- wraps in uint8, as torch
  checkerr(function() return tensor{true, false}:cumsum_(1) end,
           "cumsum_: expected an integer or floating point tensor, got bool")
  checkerr(function() return tensor{1.0}:cumsum_() end, "dim is required")
end)

test("softmax and log_softmax", function()
  local e1, e2, e3 = math.exp(1), math.exp(2), math.exp(3)
  local s = e1 + e2 + e3
  close(tensor{1.0, 2.0, 3.0}:softmax(1), {e1 / s, e2 / s, e3 / s})
  close(tensor{1.0, 2.0, 3.0}:log_softmax(-1), {1 - math.log(s), 2 - math.log(s), 3 - math.log(s)}, 1e-6)
  close(tensor{1000.0, 1000.0}:softmax(1), {0.5, 0.5})  -- stable: no overflow
  close(tensor{-1000.0, 0.0}:softmax(1), {0.0, 1.0})
  close(tensor{-inf, 0.0}:softmax(1), {0.0, 1.0})
  close(f:softmax(1), {{1 / (1 + math.exp(3)), 1 / (1 + math.exp(3)), 1 / (1 + math.exp(3))},
                       {1 / (1 + math.exp(-3)), 1 / (1 + math.exp(-3)), 1 / (1 + math.exp(-3))}})
  local r = f:softmax(2):sum(2); close(r, {1, 1})
  eq(m:softmax(2, {dtype = "float32"}):dtype(), "float32")
  eq(tensor({1, 2}, {dtype = "float64"}):log_softmax(1):dtype(), "float64")
  local h = tensor({1, 2}, {dtype = "float16"}):softmax(1)
  eq(h:dtype(), "float16"); close(h, {1 / (1 + math.exp(1)), 1 / (1 + math.exp(-1))}, 2e-3)
  check(isnan(tensor{1.0, nan}:softmax(1):totable()[1]), "nan row gives nan")
end)

test("sort: values and stable 1-based indices", function()
  local v, i = tensor{3, 1, 2, 1}:sort()
  close(v, {1, 1, 2, 3}); close(i, {2, 4, 3, 1}); eq(i:dtype(), "int64")
  v, i = tensor{3, 1, 2, 1}:sort(1, true)
  close(v, {3, 2, 1, 1}); close(i, {1, 3, 2, 4})    -- ties keep their order
  v, i = tensor{3, 1, 2, 1}:sort({descending = true, stable = true})
  close(i, {1, 3, 2, 4})
  v, i = tensor{2.0, nan, -inf, 1.0}:sort()
  close(v, {-inf, 1.0, 2.0, nan}); close(i, {3, 4, 1, 2}) -- NaN last
  v, i = tensor{2.0, nan, 1.0}:sort(-1, true)
  close(i, {2, 1, 3})                                   -- NaN first descending
  v, i = tensor{{3, 1}, {1, 2}}:sort(1)
  close(v, {{1, 1}, {3, 2}}); close(i, {{2, 1}, {1, 2}})
  v, i = tensor{{3, 1}, {1, 2}}:sort({dim = 2})
  close(i, {{2, 1}, {1, 2}})
  v, i = tensor{true, false, true}:sort(); close(i, {2, 1, 3})
  v, i = tensor(7):sort(); eq(v:item(), 7); eq(i:item(), 1)
  v, i = tensor.sort(tensor{2, 1}); close(v, {1, 2})
end)

test("topk", function()
  local v, i = tensor{1, 5, 3, 5}:topk(2)
  close(v, {5, 5}); close(i, {2, 4})
  v, i = tensor{1, 5, 3, 5}:topk(2, 1, false); close(v, {1, 3}); close(i, {1, 3})
  v, i = tensor{1, 5, 3, 5}:topk(3, {largest = false, sorted = true}); close(v, {1, 3, 5}); close(i, {1, 3, 2})
  v, i = tensor{{1, 9}, {8, 2}}:topk(1, 1); close(v, {{8, 9}}); close(i, {{2, 1}})
  v, i = tensor{1.0, nan, 2.0}:topk(1); check(isnan(v:item())); eq(i:item(), 2)
  v, i = tensor{1, 2}:topk(0); eq(v:numel(), 0); eq(i:numel(), 0)
  v = tensor{4, 6}:topk(2, -1, true, true); close(v, {6, 4})
  local big = {}
  for k = 1, 300 do big[k] = (k * 37) % 301 end  -- a permutation of 1..300
  v, i = tensor(big):topk(3)
  close(v, {300, 299, 298})
  for k = 1, 3 do eq(big[i:totable()[k]], v:totable()[k]) end
end)

test("help text for every function", function()
  for _, name in ipairs{"sum", "prod", "mean", "var", "std", "norm", "logsumexp", "any", "all",
                        "max", "min", "argmax", "argmin", "cumsum", "cumprod", "softmax",
                        "log_softmax", "sort", "topk"} do
    check(type(tensor[name]) == "function", name .. " is in the module")
    check(f[name] == tensor[name], name .. " is a method")
  end
end)

test("bad calls raise clear errors", function()
  checkerr(function() return m:mean() end, "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: Long")
  checkerr(function() return m:mean({dtype = "int32"}) end, "Optional dtype must be either a floating point")
  checkerr(function() return m:var() end, "std and var only support floating point")
  checkerr(function() return m:std(1) end, "std(): std and var")
  checkerr(function() return m:norm() end, "norm(): expected a floating point tensor, got int64")
  checkerr(function() return m:softmax(1) end, "softmax(): expected a floating point tensor, got int64")
  checkerr(function() return m:log_softmax(1, {dtype = "int32"}) end, "dtype must be a floating point dtype")
  checkerr(function() return tensor.zeros(0):max() end, "max(): expected a non-empty tensor")
  checkerr(function() return tensor.zeros(0, 3):min() end, "min(): expected a non-empty tensor")
  checkerr(function() return tensor.zeros(0, 3):max(1) end, "dim 1 of shape 0x3 has size 0")
  checkerr(function() return tensor.zeros(0):argmax() end, "argmax(): expected a non-empty tensor")
  checkerr(function() return tensor{true}:argmax() end, "argmax(): expected an integer or floating point tensor, got bool")
  checkerr(function() return tensor{true}:topk(1) end, "topk(): expected an integer or floating point tensor, got bool")
  checkerr(function() return m:sum(3) end, "dim 3 is out of range for a 2-d tensor")
  checkerr(function() return m:sum(0) end, "dim 0 is not valid: dims are 1-based")
  checkerr(function() return m:sum(-3) end, "out of range")
  checkerr(function() return m:sum(1.5) end, "dim must be an integer")
  checkerr(function() return m:sum({1, 1}) end, "dim 1 appears more than once")
  checkerr(function() return m:sum({1, "a"}) end, "dims must be integers, got string")
  checkerr(function() return m:sum("x") end, "got string")
  checkerr(function() return m:sum(1, {keepdimm = true}) end, "sum: unknown option 'keepdimm'")
  checkerr(function() return m:sum(1, true, {keepdim = true}) end, "keepdim given twice")
  checkerr(function() return m:sum(1, {keepdim = 1}) end, "option 'keepdim' must be a boolean")
  checkerr(function() return m:sum({dtype = "int7"}) end, "dtype expected")
  checkerr(function() return m:sum(1, true, {}, 5) end, "unexpected number after the options")
  checkerr(function() return f:var({correction = 1, unbiased = true}) end, "give correction or unbiased, not both")
  checkerr(function() return f:var({correction = -1}) end, "correction must be >= 0")
  checkerr(function() return f:var({ddof = 1}) end, "var: unknown option 'ddof'")
  checkerr(function() return f:norm("nuc") end, "p must be a number, math.huge or 'fro', got 'nuc'")
  checkerr(function() return f:norm(true) end, "p must be a number")
  checkerr(function() return tensor.zeros(0):norm(inf) end, "cannot compute the inf-norm of an empty tensor")
  checkerr(function() return f:max({1, 2}) end, "expected one dim (an integer)")
  checkerr(function() return f:max({keepdim = true}) end, "keepdim needs a dim")
  checkerr(function() return f:argmin(1, {dtype = "float64"}) end, "argmin: unknown option 'dtype'")
  checkerr(function() return f:cumsum() end, "dim is required (for example t:cumsum(-1))")
  checkerr(function() return f:softmax() end, "dim is required (for example t:softmax(-1))")
  checkerr(function() return f:softmax(3) end, "dim 3 is out of range")
  checkerr(function() return f:cumprod(1, {keepdim = true}) end, "cumprod: unknown option 'keepdim'")
  checkerr(function() return f:sort(1, true, {descending = 1}) end, "option 'descending' must be a boolean")
  checkerr(function() return f:sort({order = "up"}) end, "sort: unknown option 'order'")
  checkerr(function() return f:topk(4) end, "topk(): k (4) is out of range for dim 2 of size 3")
  checkerr(function() return f:topk(-1) end, "out of range")
  checkerr(function() return f:topk() end, "number expected")
  checkerr(function() return f:topk(1, 3) end, "dim 3 is out of range")
  checkerr(function() return tensor.sum("t") end, "tensor expected, got string")
  checkerr(function() return tensor.softmax(nil, 1) end, "tensor expected, got nil")
  check(T.errors_checked >= 25, "at least 25 distinct bad calls")
end)

test("the interpreter still works after the errors", function()
  eq(tensor.ones(2, 3):sum():item(), 6.0)
  local v, i = tensor{2, 9, 4}:max(1)
  eq(v:item(), 9); eq(i:item(), 2)
end)

T.done()
