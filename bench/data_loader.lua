-- bench/data_loader.lua: what a Fashion-MNIST DataLoader epoch costs on its
-- own (batch 64, shuffled, ToTensor + Normalize), to set against a training
-- epoch. A benchmark, not a test: it prints figures and asserts nothing.
--   build/tensh bench/data_loader.lua [threads]
local threads = tonumber(arg[1])
if threads then tensor.set_num_threads(threads) end
local T = vision.transforms
local t0 = tensor.perf_counter()
local train = vision.datasets.FashionMNIST{}
print(string.format("reading the gzipped IDX files: %.0f ms", (tensor.perf_counter() - t0) * 1e3))
local loader = data.DataLoader(train, {batch_size = 64, shuffle = true, seed = 0,
  transform = T.Compose{T.ToTensor(), T.Normalize(0.2860, 0.3530)}})
local times = {}
for e = 1, 7 do
  local s = tensor.perf_counter()
  for _ in loader:iter() do end
  times[e] = tensor.perf_counter() - s
end
table.sort(times)
print(string.format("DataLoader epoch (%d batches, %d threads): median %.1f ms, best %.1f ms (%.1f us/batch)",
                    #loader, tensor.get_num_threads(), times[4] * 1e3, times[1] * 1e3, times[4] * 1e6 / #loader))
