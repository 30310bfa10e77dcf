-- bench/ops_tensh.lua: the tensh half of bench/ops.sh, a broad per-op speed
-- comparison (bench/ops_torch.py is the other half, case for case, with the
-- same names). Prints "case<TAB>seconds" (median per call) or
-- "case<TAB>na<TAB>why"; lines starting with "#" are notes. Asserts nothing.
-- Usage: tensh bench/ops_tensh.lua [THREADS]
--
-- Dims and indices here are 1-based; the torch half uses 0-based ones for the
-- same case (sum(2) here is sum(1) there).

local threads = tonumber(arg[1]) or tensor.get_num_threads()
tensor.set_num_threads(threads)
local clock = tensor.perf_counter
print("# threads\t" .. tensor.get_num_threads())

local function median(xs)
  table.sort(xs)
  local n = #xs
  return n % 2 == 1 and xs[(n + 1) // 2] or (xs[n // 2] + xs[n // 2 + 1]) / 2
end

-- Repetitions adapt to the op, in the same way on both sides: a few warm-up
-- calls, then the number of calls `inner` that fills LOOP seconds, then the
-- median per call over REPS loops of `inner` calls (a full collection between
-- loops, outside the timing). About 0.1-0.3 s per case.
local REPS, LOOP, WARM = 7, 0.025, 2

-- setup() makes the inputs and returns op(), one call of the case.
local function case(name, setup)
  local ok, err = pcall(function()
    local op = setup()
    local function run(n) for _ = 1, n do op() end end
    run(WARM)
    local n, dt = 1, 0
    while true do -- calibrate: double n until a loop is long enough to time
      local t0 = clock()
      run(n)
      dt = clock() - t0
      if dt >= LOOP / 4 or n >= 1 << 24 then break end
      n = n * 2
    end
    local inner = math.max(1, math.floor(LOOP * n / math.max(dt, 1e-9) + 0.5))
    local per = {}
    for r = 1, REPS do
      collectgarbage()
      local t0 = clock()
      run(inner)
      per[r] = (clock() - t0) / inner
    end
    print(("%s\t%.9g"):format(name, median(per)))
  end)
  if not ok then print(name .. "\tna\t" .. (tostring(err):gsub("^[^:]*:%d+: ", ""):gsub("[\r\n\t].*", ""))) end
  io.stdout:flush()
  collectgarbage()
end

local M4 = 4 * 1024 * 1024
local R, C = 4096, 1024

tensor.manual_seed(0)
local x = tensor.randn(M4)
local y = tensor.randn(M4)
local xpos = x:abs() + 0.5        -- positive: pow's base, divisors
local xlog = x:abs() + 1
local xabs = x:abs()
local X = tensor.randn(R, C)
local Y = tensor.randn(R, C)

-- unary on 4M float32
case("unary exp", function() return function() return x:exp() end end)
case("unary log(abs+1)", function() return function() return xlog:log() end end)
case("unary sqrt(abs)", function() return function() return xabs:sqrt() end end)
case("unary sigmoid", function() return function() return x:sigmoid() end end)
case("unary tanh", function() return function() return x:tanh() end end)
case("unary gelu", function() return function() return x:gelu() end end)
case("unary silu", function() return function() return x:silu() end end)
case("unary relu", function() return function() return x:relu() end end)
case("unary abs", function() return function() return x:abs() end end)
case("unary neg", function() return function() return -x end end)
case("unary floor", function() return function() return x:floor() end end)
case("unary round", function() return function() return x:round() end end)
case("unary sin", function() return function() return x:sin() end end)
case("unary clamp(-0.5,0.5)", function() return function() return x:clamp(-0.5, 0.5) end end)

-- binary on 4M float32
case("binary add", function() return function() return x + y end end)
case("binary mul", function() return function() return x * y end end)
case("binary div", function() return function() return x / xpos end end)
case("binary pow(t,2.5)", function() return function() return xpos ^ 2.5 end end)
case("binary pow(t,t)", function() return function() return xpos ^ y end end)
case("binary fmod", function() return function() return x:fmod(xpos) end end)
case("binary remainder", function() return function() return x % xpos end end)
case("binary floor_divide", function() return function() return x // xpos end end)
case("binary eq", function() return function() return x:eq(y) end end)
case("binary lt", function() return function() return x:lt(y) end end)
case("binary where", function()
  local mask = x:gt(0)
  return function() return tensor.where(mask, x, y) end
end)
case("binary masked_fill", function()
  local mask = y:gt(0)
  return function() return x:masked_fill(mask, 0.0) end
end)
case("binary add bcast (4096x1024)+(1024)", function()
  local v = tensor.randn(C)
  return function() return X + v end
end)
case("binary add transposed (4096x1024)", function()
  local Bt = tensor.randn(C, R):t()
  return function() return X + Bt end
end)

-- reductions on (4096, 1024) float32
case("reduce sum", function() return function() return X:sum() end end)
case("reduce sum dim1", function() return function() return X:sum(1) end end)
case("reduce sum dim2", function() return function() return X:sum(2) end end)
case("reduce mean dim2", function() return function() return X:mean(2) end end)
case("reduce max dim2 (values+indices)", function() return function() return X:max(2) end end)
case("reduce argmax dim2", function() return function() return X:argmax(2) end end)
case("reduce var dim2", function() return function() return X:var(2) end end)
case("reduce std", function() return function() return X:std() end end)
case("reduce norm", function() return function() return X:norm() end end)
case("reduce prod dim2", function()
  local P = X * 0.001 + 1           -- near 1: no overflow or underflow
  return function() return P:prod(2) end
end)
case("reduce cumsum dim2", function() return function() return X:cumsum(2) end end)
case("reduce cumprod dim2", function()
  local P = X * 0.001 + 1
  return function() return P:cumprod(2) end
end)
case("reduce logsumexp dim2", function() return function() return X:logsumexp(2) end end)
case("reduce softmax dim1", function() return function() return X:softmax(1) end end)
case("reduce log_softmax dim2", function() return function() return X:log_softmax(2) end end)
-- any over all-false and all over all-true: the answer needs every element.
case("reduce any (bool, all false)", function()
  local B = X:ne(X)
  return function() return B:any() end
end)
case("reduce all (bool, all true)", function()
  local B = X:eq(X)
  return function() return B:all() end
end)

-- shape and copy
case("shape transpose contiguous (4096x1024)", function()
  local T = X:t()
  return function() return T:contiguous() end
end)
case("shape permute(3,1,2) contiguous (64,128,128)", function()
  local T = tensor.randn(64, 128, 128)
  return function() return T:permute(3, 1, 2):contiguous() end
end)
case("shape cat dim1 2x(2048,1024)", function()
  local a, b = tensor.randn(2048, C), tensor.randn(2048, C)
  return function() return tensor.cat({a, b}, 1) end
end)
case("shape cat dim2 2x(2048,1024)", function()
  local a, b = tensor.randn(2048, C), tensor.randn(2048, C)
  return function() return tensor.cat({a, b}, 2) end
end)
case("shape stack 2x(2048,1024)", function()
  local a, b = tensor.randn(2048, C), tensor.randn(2048, C)
  return function() return tensor.stack({a, b}) end
end)
case("shape flip dim2 (4096x1024)", function() return function() return X:flip(2) end end)
case("shape tile(2,2) (1024x1024)", function()
  local T = tensor.randn(1024, 1024)
  return function() return T:tile(2, 2) end
end)
case("shape tril (2048x2048)", function()
  local T = tensor.randn(2048, 2048)
  return function() return T:tril() end
end)
case("shape clone (4096x1024)", function() return function() return X:clone() end end)

-- indexing
case("index index_select rows (1024 of 4096)", function()
  local idx = tensor.randint(1, R + 1, {1024})
  return function() return X:index_select(1, idx) end
end)
case("index gather dim2 (4096x1024)", function()
  local idx = tensor.randint(1, C + 1, {R, C})
  return function() return X:gather(2, idx) end
end)
case("index scatter dim2 (4096x1024)", function()
  local idx = tensor.randint(1, C + 1, {R, C})
  return function() return X:scatter(2, idx, Y) end
end)
case("index masked_select (4096x1024)", function()
  local mask = Y:gt(0)
  return function() return X:masked_select(mask) end
end)
case("index sort dim2 (1024x1024)", function()
  local T = tensor.randn(1024, 1024)
  return function() return T:sort(2) end
end)
case("index topk k=10 dim2 (4096x1024)", function() return function() return X:topk(10, 2) end end)
case("index slice [:,2..512] contiguous", function() return function() return X[{{}, {2, 512}}]:contiguous() end end)

-- random
case("random rand 4M", function() return function() return tensor.rand(M4) end end)
case("random randn 4M", function() return function() return tensor.randn(M4) end end)
case("random randint(0,100) 4M", function() return function() return tensor.randint(0, 100, {M4}) end end)
case("random randperm 1M", function() return function() return tensor.randperm(1024 * 1024) end end)
case("random bernoulli 4M", function()
  local p = tensor.rand(M4)
  return function() return p:bernoulli() end
end)
case("random normal 4M", function() return function() return tensor.normal(0, 1, {M4}) end end)

-- dtype conversion on 4M
case("convert f32->f64", function() return function() return x:double() end end)
case("convert f32->i64", function() return function() return x:long() end end)
case("convert i64->f32", function()
  local l = tensor.randint(-1000, 1000, {M4})
  return function() return l:float() end
end)
case("convert f32->f16", function() return function() return x:half() end end)
case("convert f32->bf16", function() return function() return x:bfloat16() end end)
case("convert f16->f32", function()
  local h = x:half()
  return function() return h:float() end
end)

-- linear algebra
local function mm(n)
  return function()
    local a, b = tensor.randn(n, n), tensor.randn(n, n)
    return function() return a:mm(b) end
  end
end
case("linalg mm 64", mm(64))
case("linalg mm 256", mm(256))
case("linalg bmm (64,128,128)", function()
  local a, b = tensor.randn(64, 128, 128), tensor.randn(64, 128, 128)
  return function() return a:bmm(b) end
end)
case("linalg mv (4096x1024)", function()
  local v = tensor.randn(C)
  return function() return X:mv(v) end
end)
case("linalg dot 4M", function() return function() return x:dot(y) end end)
case("linalg outer 2048", function()
  local a, b = tensor.randn(2048), tensor.randn(2048)
  return function() return tensor.outer(a, b) end
end)
case("linalg addmm 512 (bias 512)", function()
  local bias, a, b = tensor.randn(512), tensor.randn(512, 512), tensor.randn(512, 512)
  return function() return tensor.addmm(bias, a, b) end
end)

-- more indexing, creation and reductions
case("index masked_scatter (4096x1024)", function()
  local mask = X:gt(0)
  return function() return X:masked_scatter(mask, Y) end
end)
case("index nonzero (4096x1024 bool)", function()
  local mask = X:gt(0)
  return function() return mask:nonzero() end
end)
case("index index_fill rows (4096 of 4096)", function()
  local idx = tensor.randint(1, R + 1, {R})
  return function() return X:index_fill(1, idx, 0) end
end)
case("create linspace 4M", function() return function() return tensor.linspace(0, 1, M4) end end)
case("reduce max (full)", function() return function() return X:max() end end)

-- nn.functional (forward)
case("nn cross_entropy (4096x1000)", function()
  local logits, target = tensor.randn(4096, 1000), tensor.randint(1, 1001, {4096})
  return function() return nn.functional.cross_entropy(logits, target) end
end)
case("nn layer_norm (512x1024, weight, bias)", function()
  local h, w, b = tensor.randn(512, 1024), tensor.randn(1024), tensor.randn(1024)
  return function() return nn.functional.layer_norm(h, {1024}, {weight = w, bias = b}) end
end)
case("nn adaptive_avg_pool2d 1x1 (64,32,32,32)", function()
  local a = tensor.randn(64, 32, 32, 32)
  return function() return nn.functional.adaptive_avg_pool2d(a, 1) end
end)
case("nn avg_pool2d 2 (64,32,32,32)", function()
  local a = tensor.randn(64, 32, 32, 32)
  return function() return nn.functional.avg_pool2d(a, 2) end
end)
case("nn mse_loss (4096x1024)", function() return function() return nn.functional.mse_loss(X, Y) end end)

-- per-call overhead on small tensors
case("small a+b (2 elements)", function()
  local a, b = tensor.randn(2), tensor.randn(2)
  return function() return a + b end
end)
case("small sum (100 elements)", function()
  local s = tensor.randn(100)
  return function() return s:sum() end
end)
case("small view (2,3,4)->(6,4)", function()
  local s = tensor.randn(2, 3, 4)
  return function() return s:view(6, 4) end
end)
case("small t[1] (4x4)", function()
  local s = tensor.randn(4, 4)
  return function() return s[1] end
end)

-- The process's CPU time, all threads: bench/ops.sh takes it from the
-- machine's busy time to tell how much other work ran meanwhile.
print("# cpu\t" .. os.clock())
