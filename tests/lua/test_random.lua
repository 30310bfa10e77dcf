-- test_random.lua: the Philox generator seen from Lua. Known values derived
-- by hand from Random123's published block (seed 0, counter 0), seeding and
-- state round trips, the same numbers on 1 and 2 threads, statistics of large
-- draws, permutations, and bad calls with their messages.
local T = require("testlib")
local test, eq, close, check, checkerr = T.test, T.eq, T.close, T.check, T.checkerr

-- Philox4x32-10 of counter 0 and key 0 (Random123 kat_vectors).
local W = {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}

local function flat(t) return t:numel() == 0 and {} or t:reshape(-1):totable() end

local function moments(v)
  local n, s, s2, lo, hi = #v, 0, 0, math.huge, -math.huge
  for i = 1, n do
    local x = v[i]
    s = s + x; s2 = s2 + x * x
    if x < lo then lo = x end
    if x > hi then hi = x end
  end
  local mean = s / n
  return mean, math.sqrt(s2 / n - mean * mean), lo, hi
end

local function same_values(a, b, what)
  eq(#a, #b, what .. " length")
  for i = 1, #a do
    if a[i] ~= b[i] then error(string.format("%s differ at %d: %s vs %s", what, i, a[i], b[i]), 2) end
  end
end

test("known values: seed 0 reads Random123's block 0", function()
  tensor.manual_seed(0)
  local want = {}
  for k = 1, 4 do want[k] = (W[k] >> 8) / 2 ^ 24 end -- 24-bit float32 uniforms
  same_values(tensor.rand(4):totable(), want, "rand")
  tensor.manual_seed(0)
  -- float64: 53 bits of words 1-2 and 3-4 (low word first)
  local x1, x2 = W[1] | W[2] << 32, W[3] | W[4] << 32
  same_values(tensor.rand(2, {dtype = "float64"}):totable(), {(x1 >> 11) * 2.0 ^ -53, (x2 >> 11) * 2.0 ^ -53}, "rand f64")
  tensor.manual_seed(0)
  -- randint over 2^32: floor(x * 2^32 / 2^64) is the high word
  same_values(tensor.randint(0, 1 << 32, {2}):totable(), {W[2], W[4]}, "randint")
  tensor.manual_seed(0)
  -- the uniforms are 0.88 and 0.61: only the second is below 0.7
  same_values(tensor.bernoulli(tensor.full({2}, 0.7)):totable(), {0.0, 1.0}, "bernoulli")
  tensor.manual_seed(0)
  local u1, u2 = (x1 >> 11) * 2.0 ^ -53, (x2 >> 11) * 2.0 ^ -53
  local r = math.sqrt(-2 * math.log(1 - u1))
  close(tensor.randn(2, {dtype = "float64"}), {r * math.cos(2 * math.pi * u2), r * math.sin(2 * math.pi * u2)}, 1e-14)
end)

test("manual_seed repeats, different seeds differ, draws move on", function()
  tensor.manual_seed(123)
  local a = tensor.randn(100):totable()
  local a2 = tensor.randn(100):totable()
  tensor.manual_seed(123)
  same_values(tensor.randn(100):totable(), a, "reseeded")
  tensor.manual_seed(124)
  local b = tensor.randn(100):totable()
  local differ = 0
  for i = 1, 100 do if a[i] ~= b[i] then differ = differ + 1 end end
  check(differ > 95, "seed 124 differs from 123")
  differ = 0
  for i = 1, 100 do if a[i] ~= a2[i] then differ = differ + 1 end end
  check(differ > 95, "the second draw differs from the first")
  eq(tensor.initial_seed(), 124)
  tensor.manual_seed(-5) -- any Lua integer, kept as its 64 bits
  eq(tensor.initial_seed(), -5)
end)

test("the stream is counter-based: two draws of 4 are one draw of 8", function()
  tensor.manual_seed(9)
  local whole = tensor.rand(8):totable()
  tensor.manual_seed(9)
  local p1, p2 = tensor.rand(4):totable(), tensor.rand(4):totable()
  same_values({p1[1], p1[2], p1[3], p1[4], p2[1], p2[2], p2[3], p2[4]}, whole, "split draw")
end)

test("offsets advance by the Philox blocks a draw uses", function()
  tensor.manual_seed(1)
  local function off() return tensor.get_rng_state():totable()[2] end
  eq(off(), 0)
  tensor.rand(10); eq(off(), 3)                          -- 4 float32 a block
  tensor.rand(3, {dtype = "float64"}); eq(off(), 5)      -- 2 float64 a block
  tensor.randn(5); eq(off(), 8)                          -- one Box-Muller pair a block
  tensor.randint(0, 10, {5}); eq(off(), 11)              -- 64 bits each
  tensor.randint(0, 1 << 40, {5}); eq(off(), 16)         -- 128 bits each past 2^32
  tensor.rand(0); eq(off(), 16)                          -- nothing drawn
  tensor.randperm(7); eq(off(), 19)                      -- 6 swaps, 64 bits each
  eq(tensor.get_rng_state():totable()[1], 1)
end)

test("get_rng_state / set_rng_state", function()
  tensor.manual_seed(77)
  tensor.rand(5)
  local s = tensor.get_rng_state()
  eq(s:dtype(), "int64")
  local a = tensor.randn(50):totable()
  tensor.rand(3)
  tensor.set_rng_state(s)
  same_values(tensor.randn(50):totable(), a, "restored")
  local st = s:totable()
  tensor.manual_seed(1)
  tensor.set_rng_state({st[1], st[2]})
  same_values(tensor.randn(50):totable(), a, "restored from a table")
end)

test("seed() picks a seed and reports it", function()
  local s = tensor.seed()
  eq(math.type(s), "integer")
  check(s >= 0)
  eq(tensor.initial_seed(), s)
  local a = tensor.rand(3):totable()
  tensor.manual_seed(s)
  same_values(tensor.rand(3):totable(), a, "seed() then manual_seed(seed)")
end)

test("the same numbers on 1 and 2 threads", function()
  local n0 = tensor.get_num_threads()
  local makers = {
    rand = function() return tensor.rand(200003) end,
    randn = function() return tensor.randn(100001, {dtype = "float64"}) end,
    randint = function() return tensor.randint(-7, 1000, {150001}) end,
    bernoulli = function() return tensor.empty(120001):bernoulli_(0.3) end,
    uniform_ = function() return tensor.zeros(300, 700):t():uniform_(-2, 2) end,
  }
  for name, make in pairs(makers) do
    tensor.set_num_threads(1)
    tensor.manual_seed(2024)
    local a = flat(make())
    tensor.set_num_threads(2)
    tensor.manual_seed(2024)
    same_values(flat(make()), a, name)
  end
  tensor.set_num_threads(n0)
end)

test("randn: 1M normals have mean 0 and std 1", function()
  tensor.manual_seed(31)
  local v = tensor.randn(1000000):totable()
  local mean, std = moments(v)
  check(math.abs(mean) < 0.005, "mean " .. mean)          -- 5 standard errors
  check(math.abs(std - 1) < 0.005, "std " .. std)
  local within = 0
  for i = 1, #v do if math.abs(v[i]) < 1 then within = within + 1 end end
  close(within / #v, 0.682689, 0.003, "fraction within one sigma")
  tensor.manual_seed(32)
  mean, std = moments(tensor.normal(10, 2, {100000}):totable())
  check(math.abs(mean - 10) < 0.03 and math.abs(std - 2) < 0.03, "normal(10, 2): " .. mean .. ", " .. std)
  mean, std = moments(tensor.empty(100000, {dtype = "float64"}):normal_(-3, 0.5):totable())
  check(math.abs(mean + 3) < 0.008 and math.abs(std - 0.5) < 0.008, "normal_(-3, 0.5): " .. mean .. ", " .. std)
  eq(tensor.randn(2, 3):dtype(), "float32")
  eq(tostring(tensor.randn({2, 3}):size()), "Size{2, 3}")
end)

test("rand: 1M uniforms fill [0, 1) evenly", function()
  tensor.manual_seed(5)
  local v = tensor.rand(1000, 1000):view(-1):totable()
  local mean, std, lo, hi = moments(v)
  check(lo >= 0 and hi < 1, "range")
  check(math.abs(mean - 0.5) < 0.002, "mean " .. mean)
  check(math.abs(std - math.sqrt(1 / 12)) < 0.002, "std " .. std)
  local bins = {}
  for i = 1, 10 do bins[i] = 0 end
  for i = 1, #v do local b = math.floor(v[i] * 10) + 1; bins[b] = bins[b] + 1 end
  for i = 1, 10 do close(bins[i] / #v, 0.1, 0.0015, "bin " .. i) end
  mean, std, lo, hi = moments(tensor.empty(100000, {dtype = "float64"}):uniform_(-3, 5):totable())
  check(lo >= -3 and hi < 5 and math.abs(mean - 1) < 0.05, "uniform_(-3, 5) mean " .. mean)
  for _, dt in ipairs({"float16", "bfloat16"}) do
    local _, _, l, h = moments(tensor.rand(100000, {dtype = dt}):totable())
    check(l >= 0 and h < 1, dt .. " stays below 1")
  end
end)

test("randint: the whole range, never high, evenly", function()
  tensor.manual_seed(8)
  local t = tensor.randint(0, 10, {100000})
  eq(t:dtype(), "int64")
  local counts = {}
  for _, x in ipairs(t:totable()) do
    eq(math.type(x), "integer")
    check(x >= 0 and x < 10, "value " .. x)
    counts[x] = (counts[x] or 0) + 1
  end
  for k = 0, 9 do close(counts[k] / 100000, 0.1, 0.005, "frequency of " .. k) end
  local mean, _, lo, hi = moments(tensor.randint(-5, 5, {20000}):totable())
  check(lo == -5 and hi == 4 and math.abs(mean + 0.5) < 0.1, "randint(-5, 5)")
  _, _, lo, hi = moments(tensor.randint(3, {1000}):totable())
  check(lo == 0 and hi == 2, "randint(high, size)")
  local f = tensor.randint(1, 7, {50}, {dtype = "float32"})
  eq(f:dtype(), "float32")
  for _, x in ipairs(f:totable()) do check(x == math.floor(x) and x >= 1 and x <= 6) end
  _, _, lo, hi = moments(tensor.randint(0, 2, {200}, {dtype = "bool"}):int():totable())
  check(lo == 0 and hi == 1, "bool randint")
  local big = tensor.randint(math.mininteger, math.maxinteger, {1000}):totable()
  local neg = 0
  for _, x in ipairs(big) do if x < 0 then neg = neg + 1 end end
  check(neg > 400 and neg < 600, "full int64 range: " .. neg .. " negatives")
end)

test("randperm: a permutation of 1..n, each order equally likely", function()
  for _, n in ipairs({0, 1, 2, 10, 1000}) do
    local p = tensor.randperm(n)
    eq(p:dtype(), "int64")
    local seen = {}
    for _, x in ipairs(flat(p)) do
      check(x >= 1 and x <= n and not seen[x], "value " .. x)
      seen[x] = true
    end
    eq(p:numel(), n)
  end
  eq(tensor.randperm(5, {dtype = "float32"}):dtype(), "float32")
  tensor.manual_seed(4)
  local counts = {}
  for _ = 1, 6000 do
    local key = table.concat(tensor.randperm(3):totable(), "")
    counts[key] = (counts[key] or 0) + 1
  end
  local kinds = 0
  for key, c in pairs(counts) do
    kinds = kinds + 1
    check(c > 856 and c < 1144, "order " .. key .. " seen " .. c .. " times of 6000")
  end
  eq(kinds, 6)
end)

test("bernoulli", function()
  tensor.manual_seed(12)
  local p = tensor.full({100000}, 0.3)
  local b = tensor.bernoulli(p)
  eq(b:dtype(), "float32")
  local mean, _, lo, hi = moments(b:totable())
  check(lo == 0 and hi == 1 and math.abs(mean - 0.3) < 0.007, "mean " .. mean)
  eq(p:bernoulli():dtype(), "float32")
  eq(tensor.bernoulli(tensor.full({3}, 0.5, {dtype = "float64"})):dtype(), "float64")
  close(tensor.bernoulli(tensor.zeros(50)), tensor.zeros(50):totable(), 0)
  close(tensor.bernoulli(tensor.ones(50)), tensor.ones(50):totable(), 0)
  mean = moments(tensor.zeros(20000, {dtype = "int64"}):bernoulli(0.2):totable())
  check(math.abs(mean - 0.2) < 0.015, "t:bernoulli(0.2) mean " .. mean)
  mean = moments(tensor.empty(20000):bernoulli_():totable())
  check(math.abs(mean - 0.5) < 0.015, "bernoulli_() mean " .. mean)
  -- probabilities broadcast along the rows: column 1 never, column 2 always
  local t = tensor.empty(1000, 2):bernoulli_(tensor{{0.0, 1.0}}):totable()
  for i = 1, 1000 do check(t[i][1] == 0 and t[i][2] == 1) end
  local bo = tensor.empty(10, {dtype = "bool"}):bernoulli_(1.0):totable()
  for i = 1, 10 do eq(bo[i], true) end
end)

test("in-place fills on views, and the *_like forms", function()
  local base = tensor.zeros(4, 6)
  local v = base:narrow(2, 2, 3)
  check(v:uniform_(1, 2) == v, "uniform_ returns its tensor")
  local rows = base:totable()
  for i = 1, 4 do
    check(rows[i][1] == 0 and rows[i][5] == 0 and rows[i][6] == 0, "outside the view untouched")
    for j = 2, 4 do check(rows[i][j] >= 1 and rows[i][j] < 2) end
  end
  local r = tensor.zeros(3, 5, {dtype = "int32"}):t():random_(10, 20)
  for _, x in ipairs(flat(r)) do check(x >= 10 and x < 20) end
  for _, x in ipairs(flat(tensor.zeros(50):random_(3))) do check(x >= 0 and x < 3 and x == math.floor(x)) end
  local like = tensor.zeros(2, 3, {dtype = "float64"})
  eq(tensor.rand_like(like):dtype(), "float64")
  eq(tostring(tensor.randn_like(like):size()), "Size{2, 3}")
  eq(tensor.rand_like(tensor.zeros(2, {dtype = "int64"}), {dtype = "float32"}):dtype(), "float32")
  local ri = tensor.randint_like(tensor.zeros(100, {dtype = "int32"}), 5, 8)
  eq(ri:dtype(), "int32")
  for _, x in ipairs(ri:totable()) do check(x >= 5 and x < 8) end
  for _, x in ipairs(tensor.randint_like(like, 4):view(-1):totable()) do check(x >= 0 and x < 4) end
  eq(tensor.rand():dim(), 0)
  eq(tensor.rand(0, 3):numel(), 0)
end)

test("bad calls", function()
  local z = tensor.zeros(3)
  checkerr(function() tensor.rand(-1) end, "rand: size of dimension 1 must be non-negative, got -1")
  checkerr(function() tensor.rand(2, -3) end, "size 2 must be >= 0, got -3")
  checkerr(function() tensor.rand(2.5) end, "size 1 must be an integer, got a float")
  checkerr(function() tensor.rand(2, 3, {dtype = "int64"}) end, "rand: dtype int64 is not supported")
  checkerr(function() tensor.randn({dtype = "int32"}) end, "randn: dtype int32 is not supported")
  checkerr(function() tensor.rand(2, {foo = 1}) end, "rand: unknown option 'foo'")
  checkerr(function() tensor.rand(2, {dtype = "float32"}, 5) end, "unexpected extra argument")
  checkerr(function() tensor.randn(2, {device = "cuda"}) end, "not available")
  checkerr(function() tensor.randint(5, 5, {3}) end, "randint: expected low < high, got low = 5 and high = 5")
  checkerr(function() tensor.randint(5, 2, {3}) end, "expected low < high")
  checkerr(function() tensor.randint(0, {3}) end, "got low = 0 and high = 0")
  checkerr(function() tensor.randint(0, 10, 3) end, "size table expected, got number")
  checkerr(function() tensor.randint(0, 10) end, "size table expected, got no value")
  checkerr(function() tensor.randint(0, 10, {dtype = "int32"}) end, "size table expected, got an options table")
  checkerr(function() tensor.randint(0, 300, {3}, {dtype = "uint8"}) end, "values in [0, 300) do not all fit in dtype uint8")
  checkerr(function() tensor.randint(0, 3, {3}, {dtype = "bool"}) end, "do not all fit in dtype bool")
  checkerr(function() tensor.randint(0.5, 10, {3}) end, "number has no integer representation")
  checkerr(function() tensor.randint(0, 10, {-1}) end, "randint: size of dimension 1 must be non-negative")
  checkerr(function() tensor.randperm(-1) end, "randperm: n must be non-negative, got -1")
  checkerr(function() tensor.randperm(300, {dtype = "uint8"}) end, "randperm: dtype uint8 cannot hold the values 1..300")
  checkerr(function() tensor.randperm(3, {dtype = "bool"}) end, "dtype bool cannot hold")
  checkerr(function() tensor.normal(0, -1, {3}) end, "normal: expected std >= 0, got -1")
  checkerr(function() tensor.normal(0, 1) end, "size expected, as in tensor.normal(0, 1, {2, 3})")
  checkerr(function() tensor.normal(tensor.zeros(2), 1, {2}) end, "mean must be a number, got a tensor")
  checkerr(function() tensor.bernoulli(tensor{0.5, 1.5}) end, "bernoulli: probabilities must be in [0, 1], found 1.5")
  checkerr(function() tensor.bernoulli(tensor{1, 0}) end, "bernoulli: probabilities must be a float tensor, got int64")
  checkerr(function() tensor.bernoulli(tensor{0 / 0}) end, "must be in [0, 1], found")
  checkerr(function() z:bernoulli_(2) end, "bernoulli_: p must be in [0, 1], got 2")
  checkerr(function() z:bernoulli_(-0.1) end, "p must be in [0, 1], got -0.1")
  checkerr(function() z:bernoulli_(0 / 0) end, "p must be in [0, 1]")
  checkerr(function() tensor.zeros(2):bernoulli_(tensor.rand(3)) end, "bernoulli_: probabilities of shape 3 cannot be broadcast to shape 2")
  checkerr(function() z:bernoulli_("x") end, "p (a number or a tensor) must be a number, got string")
  checkerr(function() tensor.zeros(3, {dtype = "int64"}):uniform_() end, "uniform_: dtype int64 is not supported")
  checkerr(function() z:uniform_(1, 0) end, "uniform_: expected from <= to, got from = 1 and to = 0")
  checkerr(function() z:uniform_(0, math.huge) end, "uniform_: from and to must be finite")
  checkerr(function() z:uniform_(0, 1, 2) end, "unexpected extra argument")
  checkerr(function() z:normal_(0, -1) end, "normal_: expected std >= 0, got -1")
  checkerr(function() tensor.zeros(2, {dtype = "bool"}):normal_() end, "normal_: dtype bool is not supported")
  checkerr(function() z:random_(5, 5) end, "random_: expected low < high")
  checkerr(function() tensor.zeros(1):expand(4):uniform_() end, "uniform_: cannot fill a tensor whose elements share memory (dim 1 is expanded)")
  checkerr(function() tensor.zeros(3, 1):expand(3, 2):bernoulli_(0.5) end, "bernoulli_: cannot fill")
  checkerr(function() z:random_(0, 1 << 25) end, "do not all fit in dtype float32")
  checkerr(function() z:random_() end, "number expected, got no value")
  checkerr(function() tensor.rand_like(tensor.zeros(2, {dtype = "int64"})) end, "rand_like: dtype int64 is not supported")
  checkerr(function() tensor.randn_like(z, {dtype = "uint8"}) end, "randn_like: dtype uint8 is not supported")
  checkerr(function() tensor.randint_like(z, 3, 3) end, "randint: expected low < high")
  checkerr(function() tensor.rand_like(3) end, "tensor expected, got number")
  checkerr(function() tensor.manual_seed("x") end, "number expected, got string")
  checkerr(function() tensor.manual_seed(1.5) end, "number has no integer representation")
  checkerr(function() tensor.set_rng_state(tensor{1.0, 2.0}) end, "expected a cpu int64 tensor of 2 elements (seed, offset), got float32 of shape 2")
  checkerr(function() tensor.set_rng_state({1}) end, "expected the state from get_rng_state() or a table {seed, offset}")
  checkerr(function() tensor.set_rng_state({1, 2.5}) end, "state[2] must be an integer")
  check(T.errors_checked >= 25, "at least 25 bad calls checked")
end)

test("a failed call draws nothing; the interpreter still works", function()
  tensor.manual_seed(3)
  local before = tensor.get_rng_state():totable()
  pcall(tensor.randint, 0, 300, {3}, {dtype = "uint8"})
  pcall(function() tensor.zeros(2):bernoulli_(tensor{0.5, 2}) end)
  local after = tensor.get_rng_state():totable()
  eq(after[2], before[2])
  eq(tensor.rand(2):numel(), 2)
  eq(tensor.randperm(4):numel(), 4)
end)

T.done()
