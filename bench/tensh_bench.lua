-- bench/tensh_bench.lua: the tensh half of bench/run.sh (torch_bench.py is the
-- other half, case for case). Prints machine-readable lines
-- "case<TAB>key<TAB>value" for bench/report.lua; asserts nothing about time.
-- Usage: tensh bench/tensh_bench.lua THREADS [first]
-- With "first", each case makes its inputs and times its first call only
-- (run.sh runs that in several fresh processes and takes the median).
-- A case whose op is not in this build prints "case<TAB>na<TAB>why" instead.

local threads = tonumber(arg[1]) or tensor.get_num_threads()
local first_only = arg[2] == "first"
tensor.set_num_threads(threads)
local clock = tensor.perf_counter

local function emit(case, key, value) print(case .. "\t" .. key .. "\t" .. tostring(value)) end

emit("meta", "threads", tensor.get_num_threads())
-- Which BLAS this process loaded (CMake links the OpenMP build by path).
local maps = io.open("/proc/self/maps")
if maps then
  for line in maps:lines() do
    local lib = line:match("(/%S*openblas[^/]*/)") or line:match("(/%S*libblas%S*)")
    if lib then emit("meta", "blas", lib); break end
  end
  maps:close()
end

-- Random float32 input of the given shape; falls back to rand, then to a
-- constant, while the random family is not in the build (values do not
-- change the cost of these ops).
local function input(...)
  if tensor.randn then return tensor.randn(...) end
  if tensor.rand then return tensor.rand(...) end
  return tensor.full({...}, 0.5)
end

local function median(xs)
  table.sort(xs)
  local n = #xs
  return n % 2 == 1 and xs[(n + 1) // 2] or (xs[n // 2] + xs[n // 2 + 1]) / 2
end

-- Times one case. setup() makes the inputs and returns run(n), which calls
-- the op n times and drops the results as a user's loop would (the garbage
-- collector frees them). Reports seconds per call: the very first call in
-- this process, then the median and min over `reps` loops of `inner` calls,
-- after `warm` untimed calls. A full collection runs between loops, outside
-- the timing, to bound memory.
local function run_case(name, setup, reps, inner, warm, flops)
  local ok, err = pcall(function()
    local run = setup()
    local t0 = clock()
    run(1)
    local first = clock() - t0
    if first_only then return emit(name, "first", first) end
    run(warm)
    local per = {}
    for r = 1, reps do
      collectgarbage()
      t0 = clock()
      run(inner)
      per[r] = (clock() - t0) / inner
    end
    local mid = median(per)
    emit(name, "first", first)
    emit(name, "median", mid)
    emit(name, "min", per[1])
    if flops then emit(name, "rate", flops / mid) end
  end)
  if not ok then emit(name, "na", (tostring(err):gsub("^[^:]*:%d+: ", ""):gsub("[\r\n\t].*", ""))) end
  collectgarbage()
end

local M16 = 16 * 1024 * 1024
local N = 1024

run_case("tiny_add", function()
  local a, b = input(2), input(2)
  return function(n) for _ = 1, n do local _ = a + b end end
end, 7, 50000, 1000)

run_case("add_alloc", function()
  local a, b = input(M16), input(M16)
  return function(n) for _ = 1, n do local _ = a + b end end
end, 7, 5, 2)

run_case("add_inplace", function()
  local a, b = input(M16), input(M16)
  return function(n) for _ = 1, n do a:add_(b) end end
end, 7, 5, 2)

run_case("softmax", function()
  local x = input(4096, 1000)
  return function(n) for _ = 1, n do local _ = x:softmax(-1) end end
end, 7, 20, 3)

run_case("matmul", function()
  local a, b = input(N, N), input(N, N)
  return function(n) for _ = 1, n do local _ = a:matmul(b) end end
end, 7, 5, 2, 2 * N * N * N)
