-- test_math.lua: elementwise math from Lua: values against hand-computed
-- answers (and Lua's own // and %), PyTorch's dtype results, in-place forms,
-- operators, and bad calls that must raise clear errors.
local T = require("testlib")
local test, eq, close, checkerr, check = T.test, T.eq, T.close, T.checkerr, T.check

local function dt(t) return t:dtype() end

test("add, sub, mul, div with broadcasting", function()
  local a = tensor{{1, 2, 3}, {4, 5, 6}}
  local b = tensor{10, 20, 30}
  eq(dt(a + b), "int64")
  close(a + b, {{11, 22, 33}, {14, 25, 36}})
  close(a - b, {{-9, -18, -27}, {-6, -15, -24}})
  close(a * b, {{10, 40, 90}, {40, 100, 180}})
  close(b / a, {{10, 10, 10}, {2.5, 4, 5}})
  eq(dt(b / a), "float32")
  close(tensor.add(a, b, {alpha = 2}), {{21, 42, 63}, {24, 45, 66}})
  close(a:sub(b, {alpha = -1}), {{11, 22, 33}, {14, 25, 36}})
  close(tensor.add(tensor{1.5}, tensor{2.0}, {alpha = 0.5}), {2.5})
  local col = tensor{{1}, {2}}
  close(col + b, {{11, 21, 31}, {12, 22, 32}}) -- (2x1) + (3) -> 2x3
end)

test("numbers on either side", function()
  local t = tensor{1, 2, 3}
  close(2 * t, {2, 4, 6})
  close(t * 2, {2, 4, 6})
  close(1 - t, {0, -1, -2})
  close(t - 1, {0, 1, 2})
  close(2 ^ t, {2, 4, 8})
  close(t ^ 2, {1, 4, 9})
  close(12 / t, {12, 6, 4})
  close(7 // t, {7, 3, 2})
  close(7 % t, {0, 1, 1})
  close(-t, {-1, -2, -3})
  close(tensor.sub(10, t), {9, 8, 7})
  close(tensor.maximum(2, t), {2, 2, 3})
end)

test("type promotion follows PyTorch", function()
  local i64, f32 = tensor{1, 2}, tensor{1.0, 2.0}
  eq(dt(i64 + 2), "int64")
  eq(dt(i64 + 1.5), "float32")
  eq(dt(f32 + 2.5), "float32")
  eq(dt(f32 + 2), "float32")
  eq(dt(i64:int() * 2), "int32")
  eq(dt(i64:int() * 2.5), "float32")
  eq(dt(i64:byte() + 1), "uint8")
  eq(dt(i64:byte() + i64:int()), "int32")
  eq(dt(i64 + f32), "float32")
  eq(dt(f32:double() + f32), "float64")
  eq(dt(f32:half() + 2.5), "float16")
  eq(dt(f32:half() + f32), "float32")
  eq(dt(f32:half() + f32:bfloat16()), "float32")
  eq(dt(f32:bfloat16() * 3), "bfloat16")
  local b = tensor{true, false}
  eq(dt(b + b), "bool")
  close(b + b, {true, false})
  eq(dt(b + 1), "int64")
  eq(dt(b * 1.5), "float32")
  eq(dt(b + true), "bool")
  -- 0-dim tensors rank below dimensioned ones unless of a higher category
  eq(dt(i64:int() + tensor(5)), "int32")
  eq(dt(f32 + tensor(1.0, {dtype = "float64"})), "float32")
  eq(dt(i64 + tensor(1.5, {dtype = "float64"})), "float64")
  eq(dt(tensor(1, {dtype = "int32"}) + tensor(2)), "int64") -- both 0-dim: promote
  eq(dt(i64 / i64), "float32")
  eq(dt(i64 // i64), "int64")
  eq(dt(i64:atan2(i64)), "float32")
  eq(dt(f32:double():atan2(1)), "float64")
end)

test("float16 and bfloat16 results round the other operands to them first, as torch", function()
  -- torch casts every operand to the common dtype; the kernels then compute
  -- in float32 and round once
  local x = tensor({256.0}, {dtype = "bfloat16"})
  eq((x + 1.0039):item(), 256.0)       -- 256 + bf16(1.0039) = 257, a tie: to even
  eq((x - 1.0039):item(), 255.0)
  eq((1.0039 - x):item(), -255.0)
  eq(x:clone():add_(1.0039):item(), 256.0)
  eq(tensor.add(x, tensor.ones_like(x), {alpha = 1.0039}):item(), 256.0)
  local tenth = tensor.full({2}, 0.1, {dtype = "bfloat16"})
  close(tenth:eq(0.1), {true, true}, 0)
  close(tenth:lt(0.1), {false, false}, 0)
  eq((tensor({-2.5}, {dtype = "bfloat16"}) % 0.3):item(), 0.20703125)  -- % bf16(0.3) = 0.30078125
  local h = tensor({2048.0, 0.0}, {dtype = "float16"})
  close(h + 1.0002, {2048.0, 1.0}, 0)
  close(h:eq(1e6), {false, false}, 0)
  eq(tensor({math.huge}, {dtype = "float16"}):eq(1e6):item(), true)   -- 1e6 is inf in float16
  -- tensors of other dtypes round too: 2049 is 2048 in float16
  close(tensor{2049, 2051} + tensor({0.0, 0.0}, {dtype = "float16"}), {2048.0, 2052.0}, 0)
  eq(tensor{2049}:eq(tensor({2048.0}, {dtype = "float16"})):item(), true)
  -- float32 results keep the number as it is
  eq((tensor{256.0} + 1.0039):item(), tensor(257.0039):item())
end)

test("int64 arithmetic is exact past 2^53 and wraps on overflow", function()
  local big = tensor{math.maxinteger - 1}
  eq((big + 1):item(), math.maxinteger)
  eq((big + 2):item(), math.mininteger)
  eq((tensor{math.mininteger} - 1):item(), math.maxinteger)
  eq((tensor{3037000500} * 3037000500):item(), 3037000500 * 3037000500) -- Lua wraps alike
  eq((-tensor{math.mininteger}):item(), math.mininteger)
  eq((tensor{2 ^ 53 // 1 + 1} * 1):item(), 2 ^ 53 // 1 + 1)
  eq((tensor{100}:byte() + 200):item(), 44) -- uint8 wraps
  eq((tensor{2147483647}:int() + 1):item(), -2147483648)
end)

test("floor_divide, remainder and fmod match Lua and C", function()
  local as, bs = {}, {}
  for _, x in ipairs({7, -7, 6, -6, 0, 13, -13}) do
    for _, y in ipairs({2, -2, 3, -3, 5, -5, 1, -1}) do as[#as + 1], bs[#bs + 1] = x, y end
  end
  local a, b = tensor(as), tensor(bs)
  local fd, rm, fm = (a // b):totable(), (a % b):totable(), tensor.fmod(a, b):totable()
  for k = 1, #as do
    eq(fd[k], as[k] // bs[k], "int // at " .. k)
    eq(rm[k], as[k] % bs[k], "int % at " .. k)
    eq(fm[k], math.fmod(as[k], bs[k]), "fmod at " .. k)
  end
  local af, bf = a:double() * 0.75, b:double() * 0.5
  local fdf, rmf = (af // bf):totable(), (af % bf):totable()
  local av, bv = af:totable(), bf:totable()
  for k = 1, #as do
    eq(fdf[k], av[k] // bv[k], "float // at " .. k)
    eq(rmf[k], av[k] % bv[k], "float % at " .. k)
  end
  close(tensor{7.5, -7.5} % 2, {1.5, 0.5})
  close(tensor.fmod(tensor{7.5, -7.5}, 2), {1.5, -1.5})
end)

test("integer division edges never trap", function()
  eq((tensor{math.mininteger} // -1):item(), math.mininteger)
  eq((tensor{math.mininteger} % -1):item(), 0)
  eq(tensor.fmod(tensor{math.mininteger}, -1):item(), 0)
  eq((tensor{-2147483648}:int() // -1):item(), -2147483648)
  -- float division by zero follows IEEE, as in PyTorch
  local z = (tensor{1.0, -1.0, 0.0} // 0):totable()
  eq(z[1], math.huge)
  eq(z[2], -math.huge)
  check(z[3] ~= z[3], "0 // 0 is nan")
  local r = (tensor{1.0} % 0):item()
  check(r ~= r, "x % 0.0 is nan")
  eq((tensor{1.0} / 0):item(), math.huge)
end)

test("div rounding modes", function()
  close(tensor.div(tensor{7, -7}, 2, {rounding_mode = "trunc"}), {3, -3})
  eq(dt(tensor.div(tensor{7, -7}, 2, {rounding_mode = "trunc"})), "int64")
  close(tensor.div(tensor{7, -7}, 2, {rounding_mode = "floor"}), {3, -4})
  close(tensor.div(tensor{7.5, -7.5}, 2, {rounding_mode = "trunc"}), {3, -3})
  eq(dt(tensor.div(tensor{7.5}, 2, {rounding_mode = "trunc"})), "float32")
  close(tensor{7, -7}:div(2), {3.5, -3.5})
  local t = tensor{9, -9}
  t:div_(4, {rounding_mode = "trunc"})
  close(t, {2, -2})
  eq(dt(t), "int64")
  -- a bool dividend promotes with the divisor first, as torch does
  local q = tensor.div(tensor{true, false, true}, tensor{1, 2, -1}, {rounding_mode = "trunc"})
  close(q, {1, 0, -1})
  eq(dt(q), "int64")
  close(tensor{true, false}:div(2, {rounding_mode = "trunc"}), {0, 0})
end)

test("pow", function()
  close(tensor{1, 2, 3} ^ 2, {1, 4, 9})
  eq(dt(tensor{1, 2} ^ 2), "int64")
  eq(dt(tensor{1, 2} ^ 0.5), "float32")
  close(tensor{4.0, 9.0} ^ 0.5, {2, 3})
  close(tensor{2.0} ^ -1, {0.5})
  close(2 ^ tensor{0, 1, 10}, {1, 2, 1024})
  -- integer tensors to negative integer tensor powers: PyTorch's rule
  close(tensor{2, 1, -1, -1}:pow(tensor{-1, -5, -3, -2}), {0, 1, -1, 1})
  local p = 1
  for _ = 1, 40 do p = p * 3 end -- Lua integers wrap as int64 tensors do
  eq(tensor{3}:pow(tensor{40}):item(), p)
  eq(tensor{3}:pow(40):item(), p)
end)

test("unary math values", function()
  close(tensor{0.0, 1.0}:exp(), {1, math.exp(1)}, 1e-6)
  close(tensor{1.0, math.exp(2)}:log(), {0, 2}, 1e-6)
  close(tensor{1e-8}:log1p(), {1e-8}, 1e-6)
  close(tensor{1e-8}:expm1(), {1e-8}, 1e-6)
  close(tensor{4, 9}:sqrt(), {2, 3})
  close(tensor{4.0, 0.25}:rsqrt(), {0.5, 2})
  close(tensor{0.0, math.pi / 2}:sin(), {0, 1}, 1e-6)
  close(tensor{0.0, math.pi}:cos(), {1, -1}, 1e-6)
  close(tensor{math.pi / 4}:tan(), {1}, 1e-6)
  close(tensor{0.5}:tanh(), {0.46211715726000974}, 1e-6)
  close(tensor{0.0, 2.0}:sigmoid(), {0.5, 1 / (1 + math.exp(-2))}, 1e-6)
  close(tensor{-1.0, 0.0, 2.0}:relu(), {0, 0, 2})
  close(tensor{-3, 4}:relu(), {0, 4})
  eq(dt(tensor{-3, 4}:relu()), "int64")
  close(tensor{1.0, -1.0, 0.0}:gelu(), {0.8413447460685429, -0.15865525393145707, 0}, 1e-6)
  close(tensor{1.0}:gelu{approximate = "tanh"}, {0.8411919906082768}, 1e-6)
  close(tensor{1.0}:gelu{approximate = "none"}, {0.8413447460685429}, 1e-6)
  close(tensor{1.0}:silu(), {0.7310585786300049}, 1e-6)
  close(tensor{-2.5, 0, 3}:sign(), {-1, 0, 1})
  close(tensor{-2, 0, 3}:sign(), {-1, 0, 1})
  close(tensor{true, false}:sign(), {true, false})
  close(tensor{-2.5, 3}:abs(), {2.5, 3})
  close(tensor{2.0, -4.0}:reciprocal(), {0.5, -0.25})
  eq(dt(tensor{2, 4}:reciprocal()), "float32")
  close(tensor{-3, 2}:square(), {9, 4})
  eq(dt(tensor{true}:square()), "int64")
  eq(dt(tensor{1, 2}:exp()), "float32")
  eq(dt(tensor{true}:sqrt()), "float32")
  eq(dt(tensor{1.0}:double():exp()), "float64")
  eq(dt(tensor{1.0}:half():exp()), "float16")
  close(tensor{1.0}:half():exp(), {2.71875})
end)

test("rounding: floor, ceil, trunc, round half to even", function()
  local t = tensor{1.5, -1.5, 2.7, -2.7}
  close(t:floor(), {1, -2, 2, -3})
  close(t:ceil(), {2, -1, 3, -2})
  close(t:trunc(), {1, -1, 2, -2})
  close(tensor{0.5, 1.5, 2.5, -0.5, -1.5, 2.4}:round(), {0, 2, 2, 0, -2, 2})
  close(tensor{1.2345, -2.5551}:double():round{decimals = 2}, {1.23, -2.56})
  close(tensor{1234.5, 1250}:round{decimals = -2}, {1200, 1200})
  local i = tensor{3, -4}
  local r = i:round()
  eq(dt(r), "int64")
  close(r, {3, -4})
  check(r ~= i, "round of an int tensor is a copy")
end)

test("comparisons give bool tensors", function()
  local a = tensor{1, 2, 3}
  eq(dt(a:eq(2)), "bool")
  close(a:eq(2), {false, true, false})
  close(a:ne(2), {true, false, true})
  close(a:lt(2), {true, false, false})
  close(a:le(2), {true, true, false})
  close(a:gt(2), {false, false, true})
  close(a:ge(2), {false, true, true})
  close(a:eq(tensor{1.0, 2.5, 3.0}), {true, false, true}) -- promoted before comparing
  close(a:lt(2.5), {true, true, false})
  close(tensor.gt(2, a), {true, false, false})
  close(a:greater(1), {false, true, true})
  close(a:less_equal(1), {true, false, false})
  close(tensor{0.1}:eq(0.1), {true}) -- the number is cast to float32 first
  local nan = tensor{0 / 0}
  close(nan:eq(nan), {false})
  close(nan:ne(nan), {true})
  eq(getmetatable(a).__eq, nil)
  check(a ~= tensor{1, 2, 3}, "== on tensors is identity")
  -- < and <= would be one boolean in Lua: refused with the way to write them
  checkerr(function() return a < 2 end, "compare elementwise with a:lt(b)")
  checkerr(function() return 2 <= a end, "compare elementwise with a:le(b)")
  checkerr(function() return a < a end, "as PyTorch's a < b does")
end)

test("logical ops treat nonzero as true", function()
  local a, b = tensor{0, 1, 2, 0}, tensor{0.0, 0.0, -3.5, 7}
  close(a:logical_and(b), {false, false, true, false})
  close(a:logical_or(b), {false, true, true, true})
  close(a:logical_xor(b), {false, true, false, true})
  close(a:logical_not(), {true, false, false, true})
  close(tensor{0 / 0}:logical_not(), {false}) -- nan is nonzero
  close(tensor{true, false}:logical_and(true), {true, false})
  eq(dt(a:logical_xor(b)), "bool")
end)

test("maximum and minimum propagate nan", function()
  close(tensor.maximum(tensor{1, 5}, tensor{3, 2}), {3, 5})
  close(tensor.minimum(tensor{1.0, 5.0}, tensor{3, 2}), {1, 2})
  local m = tensor.maximum(tensor{0 / 0, 1.0}, tensor{1.0, 0 / 0}):totable()
  check(m[1] ~= m[1] and m[2] ~= m[2], "nan from either side")
  close(tensor.maximum(tensor{true, false}, tensor{false, false}), {true, false})
end)

test("clamp in all its forms", function()
  local t = tensor{-2, 0, 5}
  close(t:clamp(-1, 3), {-1, 0, 3})
  eq(dt(t:clamp(-1, 3)), "int64")
  close(t:clamp(nil, 1), {-2, 0, 1})
  close(t:clamp(0), {0, 0, 5})
  close(t:clamp{min = 0}, {0, 0, 5})
  close(t:clamp{max = -1}, {-2, -1, -1})
  close(t:clamp{min = -1, max = 1}, {-1, 0, 1})
  close(t:clamp_min(1), {1, 1, 5})
  close(t:clamp_max(1), {-2, 0, 1})
  close(t:clip(0, 1), {0, 0, 1})
  close(t:clamp(4, 1), {1, 1, 1}) -- min > max: everything is max
  close(t:clamp(0.5, 2.5), {0.5, 0.5, 2.5})
  eq(dt(t:clamp(0.5)), "float32") -- promotes, as torch.clamp does
  close(tensor{1.0, 0 / 0}:clamp(0, 0.5):totable()[1], 0.5)
  local n = tensor{1.0, 0 / 0}:clamp(0, 0.5):totable()[2]
  check(n ~= n, "nan stays nan")
  -- tensor bounds broadcast
  local x = tensor{{-5, 0, 5}, {-5, 0, 5}}
  close(x:clamp(tensor{-1, 1, 2}, tensor{{0}, {4}}), {{-1, 0, 0}, {-1, 1, 4}})
  close(x:clamp(tensor{-1, 1, 2}), {{-1, 1, 5}, {-1, 1, 5}})
  close(x:clamp(nil, tensor{0, 0, 0}), {{-5, 0, 0}, {-5, 0, 0}})
  close(tensor{true, false}:clamp(0, 1), {1, 0}) -- bool with integer bounds: int64
  eq(dt(tensor{true, false}:clamp(0, 1)), "int64")
  -- bool with bool tensor bounds stays bool (maximum is "or", minimum "and")
  local bb = tensor{true, false, false}:clamp(tensor{false, true, false}, tensor{true, true, false})
  eq(dt(bb), "bool")
  close(bb:long(), {1, 1, 0})
  close(tensor{true, false}:clamp(tensor{false, true}):long(), {1, 1})
  local u = tensor{0, 100, 255}:byte()
  close(u:clamp(10, 200), {10, 100, 200})
  eq(dt(u:clamp(10, 200)), "uint8")
end)

test("in-place forms write into the tensor and return it", function()
  local t = tensor{1.0, 2.0, 3.0}
  local r = t:add_(1)
  check(rawequal(r, t), "add_ returns self")
  close(t, {2, 3, 4})
  t:mul_(tensor{1, 2, 3}) -- an int tensor into float32 is fine
  close(t, {2, 6, 12})
  t:sub_(2, {alpha = 0.5})
  close(t, {1, 5, 11})
  t:div_(2)
  close(t, {0.5, 2.5, 5.5})
  t:pow_(2):sqrt_():neg_():abs_()
  close(t, {0.5, 2.5, 5.5})
  t:clamp_(1, 5)
  close(t, {1, 2.5, 5})
  t:floor_()
  close(t, {1, 2, 5})
  eq(dt(t), "float32")
  -- the other operand broadcasts to t's shape
  local m = tensor{{1, 2, 3}, {4, 5, 6}}
  m:add_(tensor{10, 20, 30})
  close(m, {{11, 22, 33}, {14, 25, 36}})
  m:remainder_(10)
  close(m, {{1, 2, 3}, {4, 5, 6}})
  -- views share storage, so in-place ops show through
  local row = m:select(1, 2)
  row:mul_(-1)
  close(m, {{1, 2, 3}, {-4, -5, -6}})
  m:t():add_(1) -- a non-contiguous target
  close(m, {{2, 3, 4}, {-3, -4, -5}})
  m:add_(m:t():t()) -- aliasing the same view is fine
  close(m, {{4, 6, 8}, {-6, -8, -10}})
  local sq = tensor{{1, 2}, {3, 4}}
  sq:add_(sq:t()) -- overlapping differently: computed before writing
  close(sq, {{2, 5}, {5, 8}})
  -- results are cast into t's dtype where PyTorch allows it
  local h = tensor{1.0, 2.0}:half()
  h:add_(tensor{0.5, 0.5})
  eq(dt(h), "float16")
  close(h, {1.5, 2.5})
  local i = tensor{5, 6}
  i:eq_(5)
  eq(dt(i), "int64")
  close(i, {1, 0})
  local bb = tensor{true, false}
  bb:logical_not_()
  close(bb, {false, true})
  bb:mul_(true)
  close(bb, {false, true})
  local e = tensor{0.0}
  e:exp_()
  close(e, {1})
end)

test("empty and 0-dim tensors", function()
  local z = tensor.zeros(0, 3) + 1
  eq(z:dim(), 2)
  eq(z:numel(), 0)
  eq(tostring(z:size()), "Size{0, 3}")
  eq((tensor.zeros(0) + tensor.zeros(0)):numel(), 0)
  eq((tensor.zeros(2, 0):exp()):numel(), 0)
  local s = tensor(5) * 2
  eq(s:dim(), 0)
  eq(s:item(), 10)
  eq((tensor(2.0) ^ tensor(3.0)):item(), 8.0)
  eq(tensor(-3):abs():item(), 3)
  close(tensor(2) + tensor{1, 2}, {3, 4})
end)

test("aliases and help", function()
  close(tensor.subtract(tensor{3}, 1), {2})
  close(tensor.multiply(tensor{3}, 2), {6})
  close(tensor.divide(tensor{1}, 4), {0.25})
  close(tensor.true_divide(tensor{1}, 2), {0.5})
  close(tensor{2}:negative(), {-2})
  close(tensor{-2}:absolute(), {2})
  close(tensor{5}:clip(nil, 3), {3})
  for _, name in ipairs({"add", "sub", "mul", "div", "floor_divide", "remainder", "fmod", "pow",
                         "maximum", "minimum", "atan2", "eq", "ne", "lt", "le", "gt", "ge",
                         "logical_and", "logical_or", "logical_xor", "logical_not", "neg", "abs",
                         "sign", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tan",
                         "tanh", "sigmoid", "relu", "gelu", "silu", "floor", "ceil", "round", "trunc",
                         "reciprocal", "square", "clamp", "clamp_min", "clamp_max"}) do
    check(type(tensor[name]) == "function", "tensor." .. name)
    local t = tensor{1.0}
    check(type(t[name]) == "function", "method " .. name)
  end
end)

local bad = 0
local function bad_call(fn, msg) checkerr(fn, msg); bad = bad + 1 end

test("bad calls raise clear errors", function()
  local f, i, b = tensor{1.0, 2.0}, tensor{1, 2}, tensor{true, false}
  bad_call(function() return tensor.add(1, 2) end, "expected at least one tensor")
  -- a string operand arrives through the string library's metamethod, from C
  bad_call(function() return f + "x" end, "attempt to perform arithmetic (+) on a string and a tensor")
  bad_call(function() return "2" * f end, "attempt to perform arithmetic (*) on a string and a tensor")
  bad_call(function() return f * {} end, "tensor or number expected, got table")
  bad_call(function() return f:add() end, "got no value")
  bad_call(function() return f:add(1, {alpah = 1}) end, "unknown option 'alpah'")
  bad_call(function() return f:mul(2, {alpha = 1}) end, "unknown option 'alpha'")
  bad_call(function() return f:add(1, 5) end, "options table expected")
  bad_call(function() return i:add(1, {alpha = 0.5}) end, "alpha must be an integer")
  bad_call(function() return f:add(1, {alpha = "x"}) end, "option 'alpha' must be a number")
  bad_call(function() return f:add(1, {alpha = true}) end, "boolean alpha")
  bad_call(function() return i:div_(2) end, "result type float32 can't be cast to the desired output type int64")
  bad_call(function() return i:add_(1.5) end, "can't be cast")
  bad_call(function() return i:exp_() end, "can't be cast")
  bad_call(function() return b:add_(1) end, "result type int64 can't be cast to the desired output type bool")
  bad_call(function() return tensor{1.0}:add_(tensor{1.0, 2.0}) end, "output with shape 1 doesn't match the broadcast shape 2")
  bad_call(function() return tensor.zeros(2, 3) + tensor.zeros(2) end, "shapes 2x3 and 2 cannot be broadcast")
  bad_call(function() return tensor{1.0}:expand(3):add_(1) end, "expanded view")
  bad_call(function() return i // 0 end, "floor_divide: integer division by zero")
  bad_call(function() return i % 0 end, "remainder: integer division by zero")
  bad_call(function() return tensor.fmod(i, false) end, "fmod: integer division by zero")
  bad_call(function() return i // tensor{3, 0} end, "integer division by zero")
  bad_call(function() return i:int() % tensor{0, 1}:int() end, "integer division by zero")
  bad_call(function() return i ^ -1 end, "integers to negative integer powers are not allowed")
  bad_call(function() return b - b end, "subtraction of two bool tensors")
  bad_call(function() return b - 1 end, "subtraction with a bool tensor")
  bad_call(function() return -b end, "negation of a bool tensor")
  bad_call(function() return b:abs() end, "abs: expected an integer or floating point tensor, got bool")
  bad_call(function() return b:relu() end, "relu: expected an integer or floating point tensor, got bool")
  bad_call(function() return b:floor() end, "floor: expected an integer or floating point tensor, got bool")
  bad_call(function() return b // b end, "floor_divide: expected integer or floating point operands, got two bool")
  bad_call(function() return b ^ b end, "pow: expected integer or floating point operands, got two bool")
  bad_call(function() return tensor.div(b, b, {rounding_mode = "trunc"}) end,
           "rounding_mode='trunc' expects integer or floating point operands, got two bool")
  bad_call(function() return f:clamp() end, "at least one of min and max")
  bad_call(function() return f:clamp(nil, nil) end, "at least one of min and max")
  bad_call(function() return f:clamp("a") end, "min must be a number, a tensor or nil")
  bad_call(function() return f:clamp{mn = 1} end, "unknown option 'mn'")
  bad_call(function() return f:clamp(0, 1, 2) end, "expected at most two bounds")
  bad_call(function() return f:clamp_min() end, "a bound (number or tensor) is required")
  bad_call(function() return f:clamp_max(1, 2) end, "expected one bound")
  bad_call(function() return i:byte():clamp(-5) end, "min -5 is out of range for uint8")
  bad_call(function() return b:clamp(false, true) end,
           "clamp: expected integer or floating point bounds for a bool tensor, got bool")
  bad_call(function() return b:clamp_(0, 1) end, "result type int64 can't be cast to the desired output type bool")
  bad_call(function() return f:round{decimals = 1.5} end, "option 'decimals' must be an integer")
  bad_call(function() return i:round{decimals = 1} end, "decimals is only supported for floating point")
  bad_call(function() return f:gelu{approximate = "fast"} end, "approximate must be 'none' or 'tanh'")
  bad_call(function() return f:div(2, {rounding_mode = "ceil"}) end, "rounding_mode must be 'trunc' or 'floor'")
  bad_call(function() return f:div(2, {rounding_mode = 1}) end, "rounding_mode' must be 'trunc' or 'floor'")
  bad_call(function() return tensor.exp(2) end, "tensor expected, got number")
  bad_call(function() return f:exp(1) end, "options table expected")
  bad_call(function() return f:exp{x = 1} end, "unknown option 'x'")
  bad_call(function() return tensor.maximum(f) end, "got no value")
  bad_call(function() return f.add_(2, f) end, "tensor expected, got number")
  bad_call(function() return b:sub_(b) end, "subtraction of two bool tensors")
  check(bad >= 25, "at least 25 bad calls, got " .. bad)
end)

test("the interpreter still works after errors", function()
  local ok = pcall(function() return tensor{1} // 0 end)
  check(not ok)
  local t = tensor{1.0, 2.0, 3.0}
  close((t * 2 + 1):sigmoid():gt(0.9), {true, true, true})
  close(((t - 2):abs() + t:sqrt():floor()), {2, 1, 2})
end)

T.done()
