-- bench/load_tensh.lua: the tensh half of bench/load.sh (load_torch.py is the
-- other half, op for op). Runs a mixed step (an allocating add of 4M floats,
-- softmax over (1024, 1000), a 256 matmul, relu of 1M floats) in a loop for
-- SECONDS and prints the mean seconds per step. Asserts nothing about time.
-- Usage: tensh bench/load_tensh.lua SECONDS THREADS
local secs = tonumber(arg[1]) or 3
tensor.set_num_threads(tonumber(arg[2]) or tensor.get_num_threads())
tensor.manual_seed(0)
local a, b = tensor.randn(4 << 20), tensor.randn(4 << 20)
local x, m, r = tensor.randn(1024, 1000), tensor.randn(256, 256), tensor.randn(1 << 20)

local function step()
  local _ = a + b
  _ = x:softmax(2)
  _ = m:matmul(m)
  _ = r:relu()
end

for _ = 1, 3 do step() end
local clock = tensor.perf_counter
local t0, n = clock(), 0
while clock() - t0 < secs do
  step()
  n = n + 1
end
print(string.format("%.9f", (clock() - t0) / n))
