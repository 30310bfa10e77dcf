-- test_data.lua: data.TensorDataset, data.DataLoader (every sample once
-- per epoch, batch sizes, shuffles that differ per epoch and repeat per
-- seed), transforms folded into the batching step, tensor.take_rows, the
-- IDX reader and vision.datasets (Fashion-MNIST values checked once with
-- Python, malformed IDX files), and bad calls.
local T = require("testlib")

local tmpdir, write = T.tmpdir, T.write

-- a dataset whose samples say who they are: x[i] = {i, -i}, y[i] = i
local function numbered(n)
  local xs, ys = {}, {}
  for i = 1, n do xs[i] = {i * 1.0, -i * 1.0}; ys[i] = i end
  return data.TensorDataset(tensor(xs), tensor(ys))
end

-- Runs one epoch; checks each batch and returns the ids seen in order.
local function epoch(loader, n, bs, drop_last)
  local seen, nb = {}, 0
  for x, y in loader:iter() do
    nb = nb + 1
    local ids, rows = y:totable(), x:totable()
    T.eq(x:dim(), 2)
    T.eq(y:dtype(), "int64")
    T.check(#ids == bs or (not drop_last and nb == #loader and #ids == n % bs), "batch size " .. #ids)
    for k, id in ipairs(ids) do
      T.eq(rows[k][1], id * 1.0, "x row matches y")
      T.eq(rows[k][2], -id * 1.0)
      seen[#seen + 1] = id
    end
  end
  T.eq(nb, #loader, "#loader batches")
  return seen
end

local function check_cover(seen, n, bs, drop_last)
  local count = {}
  for _, id in ipairs(seen) do
    T.check(id >= 1 and id <= n, "id in range")
    count[id] = (count[id] or 0) + 1
    T.eq(count[id], 1, "sample " .. id .. " seen twice")
  end
  T.eq(#seen, drop_last and n - n % bs or n, "samples per epoch")
end

T.test("DataLoader covers every sample exactly once per epoch", function()
  for _, n in ipairs{1, 10, 103} do
    local ds = numbered(n)
    for _, bs in ipairs{1, 3, 4, 10, 64, 200} do
      for _, shuffle in ipairs{false, true} do
        for _, drop_last in ipairs{false, true} do
          local loader = data.DataLoader(ds, {batch_size = bs, shuffle = shuffle, drop_last = drop_last})
          T.eq(#loader, drop_last and n // bs or (n + bs - 1) // bs)
          for _ = 1, 2 do
            local seen = epoch(loader, n, bs, drop_last)
            check_cover(seen, n, bs, drop_last)
            if not shuffle then
              for i, id in ipairs(seen) do T.eq(id, i, "in order without shuffle") end
            end
          end
        end
      end
    end
  end
end)

local function order(loader)
  local ids = {}
  for _, y in loader:iter() do
    for _, v in ipairs(y:totable()) do ids[#ids + 1] = v end
  end
  return table.concat(ids, ",")
end

T.test("shuffles differ across epochs and repeat with the same seed", function()
  local ds = numbered(50)
  local a = data.DataLoader(ds, {batch_size = 8, shuffle = true, seed = 7})
  local e1, e2, e3 = order(a), order(a), order(a)
  T.check(e1 ~= e2 and e2 ~= e3 and e1 ~= e3, "epochs differ")
  local b = data.DataLoader(ds, {batch_size = 8, shuffle = true, seed = 7})
  T.eq(order(b), e1)
  T.eq(order(b), e2)
  local c = data.DataLoader(ds, {batch_size = 8, shuffle = true, seed = 8})
  T.check(order(c) ~= e1, "another seed, another order")
  -- a loader with its own generator leaves the global one alone
  tensor.manual_seed(3)
  local r1 = tensor.rand(4):totable()
  tensor.manual_seed(3)
  order(b)
  T.close(tensor.rand(4), r1)
  -- the global generator: tensor.manual_seed makes it repeat
  local g = data.DataLoader(ds, {batch_size = 8, shuffle = true})
  tensor.manual_seed(42)
  local g1, g2 = order(g), order(g)
  tensor.manual_seed(42)
  T.eq(order(g), g1)
  T.eq(order(g), g2)
  T.check(g1 ~= g2)
  -- a shared data.Generator goes on where it stopped; re-seeding restarts it
  local gen = data.Generator(7)
  local s = data.DataLoader(ds, {batch_size = 8, shuffle = true, generator = gen})
  T.eq(order(s), e1)
  T.eq(order(s), e2)
  gen:manual_seed(7)
  T.eq(order(s), e1)
end)

T.test("loader() is loader:iter(); batches of more than two tensors", function()
  local ds = data.TensorDataset(tensor{1, 2, 3}, tensor{4, 5, 6}, tensor{{1, 1}, {2, 2}, {3, 3}})
  local n = 0
  for a, b, c in data.DataLoader(ds, {batch_size = 2})() do
    n = n + 1
    T.eq(c:size(2), 2)
    T.eq(b:totable()[1], a:totable()[1] + 3)
  end
  T.eq(n, 2)
  local one = data.TensorDataset(tensor{5, 6, 7})
  local got = {}
  for x in data.DataLoader(one, {batch_size = 2}):iter() do got[#got + 1] = #x:totable() end
  T.eq(table.concat(got, ","), "2,1")
end)

T.test("TensorDataset: #ds, ds[i], ds:get(i)", function()
  local ds = numbered(5)
  T.eq(#ds, 5)
  local x, y = ds:get(2)
  T.close(x, {2, -2})
  T.eq(y:item(), 2)
  local pair = ds[3]
  T.close(pair[1], {3, -3})
  T.eq(pair[2]:item(), 3)
  T.eq(select(2, ds:get(-1)):item(), 5)
  T.check(tostring(ds):find("TensorDataset(5 samples", 1, true))
end)

T.test("a dataset without tensors is loaded sample by sample", function()
  local mt = {__len = function() return 7 end,
              __index = function(_, i)
                if type(i) ~= "number" then return nil end -- the loader asks for .tensors and .get
                return {tensor{i, 2 * i}, i}
              end}
  local ds = setmetatable({}, mt)
  local loader = data.DataLoader(ds, {batch_size = 3, shuffle = true, seed = 1,
                                      transform = function(x) return x:float() end})
  local seen = {}
  for x, y in loader:iter() do
    T.eq(x:dtype(), "float32")
    for k, id in ipairs(y:totable()) do
      T.eq(x:totable()[k][2], 2.0 * id)
      seen[#seen + 1] = id
    end
  end
  check_cover(seen, 7, 3, false)
  local getds = {get = function(_, i) return tensor{i}, i * 10 end}
  setmetatable(getds, {__len = function() return 4 end})
  local n = 0
  for x, y in data.DataLoader(getds, {batch_size = 4}):iter() do
    n = n + 1
    T.close(y, {10, 20, 30, 40})
    T.eq(tostring(x:size()), "Size{4, 1}")
  end
  T.eq(n, 1)
end)

-- ---------------------------------------------------------------- transforms

local TR = data.transforms

T.test("ToTensor and Normalize: values by hand, per channel, folded into batching", function()
  local x = tensor({0, 255, 51}, {dtype = "uint8"})
  T.close(TR.ToTensor()(x), {0, 1, 0.2})
  local t = TR.Compose{TR.ToTensor(), TR.Normalize(0.5, 0.25)}
  T.close(t(x), {-2, 2, -1.2}, 1e-6)
  T.eq(t(x):dtype(), "float32")
  T.eq(tostring(t), "Compose{ToTensor(), Normalize(0.5, 0.25)}")
  -- 2 images x 3 channels x 1 x 2: channel c is (x/255 - m[c]) / s[c]
  local img = tensor({{{{0, 255}}, {{255, 0}}, {{51, 102}}}, {{{255, 255}}, {{0, 0}}, {{0, 255}}}}, {dtype = "uint8"})
  local pc = TR.Compose{TR.ToTensor(), TR.Normalize({0.5, 0, 1}, {0.5, 1, 2})}
  T.close(pc(img), {{{{-1, 1}}, {{1, 0}}, {{-0.4, -0.3}}}, {{{1, 1}}, {{0, 0}}, {{-0.5, 0}}}}, 1e-6)
  -- one image C x H x W: channel is dim 1
  T.close(pc(img:select(1, 1)), {{{-1, 1}}, {{1, 0}}, {{-0.4, -0.3}}}, 1e-6)
  -- through a loader: the same numbers, batch by batch
  local ds = data.TensorDataset(img, tensor{1, 2})
  local loader = data.DataLoader(ds, {batch_size = 1, transform = pc})
  local xs = {}
  for bx in loader:iter() do xs[#xs + 1] = bx:totable()[1] end
  T.close(xs, pc(img):totable(), 1e-6)
  -- float inputs are not scaled by ToTensor; float64 stays float64 through Normalize
  T.close(TR.ToTensor()(tensor{0.5, 2.0}), {0.5, 2.0})
  local d = TR.Normalize(1, 2)(tensor({3, 5}, {dtype = "float64"}))
  T.eq(d:dtype(), "float64")
  T.close(d, {1, 2})
end)

T.test("function transforms run per batch after the folded ones; target_transform", function()
  local calls = 0
  local ds = data.TensorDataset(tensor({{10}, {20}, {30}}, {dtype = "uint8"}), tensor{1, 2, 3})
  local loader = data.DataLoader(ds, {batch_size = 2,
    transform = TR.Compose{TR.ToTensor(), TR.Lambda(function(x) calls = calls + 1; return x:double() end)},
    target_transform = function(y) return y:float() end})
  for x, y in loader:iter() do
    T.eq(x:dtype(), "float64")
    T.eq(y:dtype(), "float32")
  end
  T.eq(calls, 2, "once per batch")
  local opts, rest = TR.plan(TR.Compose{TR.ToTensor(), TR.Normalize(0.2860, 0.3530)}, "uint8")
  T.close(opts.scale, 1 / 255 / 0.3530, 1e-12)
  T.close(opts.shift, -0.2860 / 0.3530, 1e-12)
  T.eq(opts.dtype, "float32")
  T.eq(#rest, 0)
end)

T.test("take_rows gathers, converts and maps in one pass", function()
  local src = tensor({{1, 2}, {3, 4}, {5, 6}}, {dtype = "int32"})
  T.close(tensor.take_rows(src, tensor{3, 1, 3}), {{5, 6}, {1, 2}, {5, 6}})
  T.eq(tensor.take_rows(src, tensor{2}):dtype(), "int32")
  T.close(tensor.take_rows(src, tensor({2}, {dtype = "int32"}), {scale = 2, shift = 1}), {{7, 9}})
  T.eq(tensor.take_rows(src, nil, {scale = 1}):dtype(), "float32")
  T.eq(tensor.take_rows(src, tensor{1}, {dtype = "float64"}):dtype(), "float64")
  T.close(tensor.take_rows(src:t(), tensor{2}), {{2, 4, 6}}, 0, "non-contiguous source")
  T.close(tensor.take_rows(tensor{1.5, 2.5}, tensor{2, 2}, {shift = -0.5}), {2, 2})
  T.eq(tensor.take_rows(src, tensor({}, {dtype = "int64"})):size(1), 0)
  local big = tensor.randint(0, 256, {200, 784}, {dtype = "uint8"})
  local idx = tensor.randperm(200)
  local got = tensor.take_rows(big, idx, {scale = 0.5, shift = 1}):totable()
  local want = tensor.take_rows(big, idx):totable()
  for r = 1, 200, 37 do
    for c = 1, 784, 97 do T.eq(got[r][c], want[r][c] * 0.5 + 1) end
  end
end)

-- ---------------------------------------------------------------- IDX and vision

local FMNIST = "/usr/share/datasets/fashion-mnist"

T.test("Fashion-MNIST: sizes, dtypes and values checked once with Python", function()
  -- The values below were read with numpy from the gzipped IDX files of
  -- Debian's dataset-fashion-mnist (0-based there): train labels start
  -- 9 0 0 3 0 2 7 2 5 5 and end 3 0 5; the first image's pixels sum to 76247,
  -- row 15 (1-based) has 0 0 237 226 217 223 at columns 11..16; the last
  -- sums to 16684. Test labels start 9 2 1 1 6 1 4 6 5 7; first image sums
  -- to 33456. Every class has 6000 train / 1000 test samples.
  local ds = vision.datasets.FashionMNIST{}
  T.eq(#ds, 60000)
  T.eq(tostring(ds.data:size()), "Size{60000, 1, 28, 28}")
  T.eq(ds.data:dtype(), "uint8")
  T.eq(ds.targets:dtype(), "int64")
  T.eq(table.concat(ds.targets:narrow(1, 1, 10):totable(), " "), "10 1 1 4 1 3 8 3 6 6")
  T.eq(table.concat(ds.targets:narrow(1, 59998, 3):totable(), " "), "4 1 6")
  local function sum(img)
    local s = 0
    for _, row in ipairs(img:view(784):totable()) do s = s + row end
    return s
  end
  local img, label = ds:get(1)
  T.eq(label, 10)
  T.eq(ds.classes[label], "Ankle boot")
  T.eq(sum(img), 76247)
  T.eq(table.concat(img:select(1, 1):select(1, 15):narrow(1, 11, 6):totable(), " "), "0 0 237 226 217 223")
  T.eq(sum(ds[-1][1]), 16684)
  local counts = {}
  for _, v in ipairs(ds.targets:totable()) do counts[v] = (counts[v] or 0) + 1 end
  for c = 1, 10 do T.eq(counts[c], 6000) end
  local test = vision.datasets.FashionMNIST{train = false}
  T.eq(#test, 10000)
  T.eq(table.concat(test.targets:narrow(1, 1, 10):totable(), " "), "10 3 2 2 7 2 5 7 6 8")
  T.eq(sum(test:get(1)), 33456)
  T.check(tostring(test):find("FashionMNIST(test, 10000 samples", 1, true))
end)

T.test("a Fashion-MNIST epoch: 938 batches of 1x28x28, normalised, all samples once", function()
  local ds = vision.datasets.FashionMNIST{}
  local loader = data.DataLoader(ds, {batch_size = 64, shuffle = true, seed = 0,
    transform = TR.Compose{TR.ToTensor(), TR.Normalize(0.2860, 0.3530)}})
  T.eq(#loader, 938)
  local nb, total, per_class = 0, 0, {}
  local first
  for x, y in loader:iter() do
    nb = nb + 1
    if nb == 1 then first = x end
    total = total + y:size(1)
    for _, v in ipairs(y:totable()) do per_class[v] = (per_class[v] or 0) + 1 end
  end
  T.eq(nb, 938)
  T.eq(total, 60000)
  for c = 1, 10 do T.eq(per_class[c], 6000) end
  T.eq(tostring(first:size()), "Size{64, 1, 28, 28}")
  T.eq(first:dtype(), "float32")
  local lo = (0 - 0.2860) / 0.3530
  local v = first:view(-1):totable()
  local mn, mx = math.huge, -math.huge
  for _, e in ipairs(v) do mn = math.min(mn, e); mx = math.max(mx, e) end
  T.close(mn, lo, 1e-5)
  T.check(mx <= (1 - 0.2860) / 0.3530 + 1e-5 and mx > 1, "max " .. mx)
end)

local function idx_bytes(code, dims, payload)
  local h = string.char(0, 0, code, #dims)
  for _, d in ipairs(dims) do h = h .. string.pack(">I4", d) end
  return h .. payload
end

T.test("IDX files: plain and gzipped, every supported type", function()
  local d = tmpdir()
  write(d .. "/u8", idx_bytes(0x08, {2, 3}, "\1\2\3\4\5\255"))
  T.close(tensor.read_idx(d .. "/u8"), {{1, 2, 3}, {4, 5, 255}})
  os.execute("gzip -k '" .. d .. "/u8'")
  T.close(tensor.read_idx(d .. "/u8.gz"), {{1, 2, 3}, {4, 5, 255}})
  write(d .. "/i32", idx_bytes(0x0C, {2}, string.pack(">i4>i4", -5, 70000)))
  local t = tensor.read_idx(d .. "/i32")
  T.eq(t:dtype(), "int32")
  T.close(t, {-5, 70000})
  write(d .. "/f32", idx_bytes(0x0D, {1}, string.pack(">f", 1.5)))
  T.close(tensor.read_idx(d .. "/f32"), {1.5})
  write(d .. "/f64", idx_bytes(0x0E, {1, 1}, string.pack(">d", -2.25)))
  T.close(tensor.read_idx(d .. "/f64"), {{-2.25}})
  write(d .. "/empty", idx_bytes(0x08, {0, 28}, ""))
  T.eq(tensor.read_idx(d .. "/empty"):numel(), 0)
end)

T.test("malformed IDX files give clear errors, without huge allocations", function()
  local d = tmpdir()
  local function bad(bytes, pattern)
    write(d .. "/bad", bytes)
    T.checkerr(function() tensor.read_idx(d .. "/bad") end, pattern)
  end
  bad("", "is not an IDX file (bad magic number)")
  bad("\1\0\8\1\0\0\0\1x", "bad magic number")
  bad("\0\0\7\1\0\0\0\1x", "unknown type code 0x07")
  bad("\0\0\9\1\0\0\0\1x", "IDX type 0x09 (signed byte) is not supported")
  bad("\0\0\11\1\0\0\0\1xx", "IDX type 0x0B (short) is not supported")
  bad("\0\0\8\0", "0 dimensions in the header (expected 1..8)")
  bad("\0\0\8\9", "9 dimensions in the header")
  bad("\0\0\8\3\0\0\0\2\0\0", "is truncated in its header")
  bad(idx_bytes(0x08, {2, 3}, "\1\2\3"), "the header declares 2x3 uint8 (6 bytes of data) but the file holds 3 bytes")
  bad(idx_bytes(0x08, {2, 3}, "\1\2\3\4\5\6\7"), "but the file holds more than 6 bytes")
  bad(idx_bytes(0x08, {4000000000, 4000000000}, "x"), "shape is too large")
  -- a plausible header that lies: 1e9 images of 28x28 in a few bytes; the
  -- reader grows its buffer with the data, so this fails fast and small
  bad(idx_bytes(0x08, {1000000000, 28, 28}, "abc"), "but the file holds 3 bytes")
  os.execute("printf 'not gzip at all' | gzip -c | head -c 12 > '" .. d .. "/trunc.gz'")
  T.checkerr(function() tensor.read_idx(d .. "/trunc.gz") end, "read_idx")
  T.checkerr(function() tensor.read_idx(d .. "/nope") end, "cannot open")
end)

-- A small MNIST-format directory: 5 images of 28x28 and their labels.
local function mini_mnist(dir, opts)
  opts = opts or {}
  local imgs = {}
  for i = 1, 5 * 784 do imgs[i] = string.char((i * 7) % 256) end
  write(dir .. "/train-images-idx3-ubyte", idx_bytes(0x08, opts.idims or {5, 28, 28}, table.concat(imgs)))
  write(dir .. "/train-labels-idx1-ubyte", idx_bytes(0x08, {opts.nlabels or 5}, opts.labels or "\0\1\2\9\3"))
end

T.test("MNIST from a directory of IDX files; errors name the file and the fix", function()
  local d = tmpdir()
  mini_mnist(d)
  local ds = vision.datasets.MNIST{root = d}
  T.eq(#ds, 5)
  T.eq(table.concat(ds.targets:totable(), " "), "1 2 3 10 4")
  T.eq(ds.classes[10], "9 - nine")
  T.eq(ds.data:view(-1):totable()[2], 14)
  T.checkerr(function() vision.datasets.MNIST{root = d, train = false} end,
             "MNIST: 't10k-images-idx3-ubyte[.gz]' not found in " .. d .. "; Debian has no MNIST package")
  T.checkerr(function() vision.datasets.FashionMNIST{root = d .. "/none"} end,
             "apt-get install dataset-fashion-mnist")
  local e = tmpdir()
  mini_mnist(e, {nlabels = 4, labels = "\0\1\2\3"})
  T.checkerr(function() vision.datasets.MNIST{root = e} end, "5 images in")
  mini_mnist(e, {labels = "\0\1\2\3\12"})
  T.checkerr(function() vision.datasets.MNIST{root = e} end, "label 5 of")
  mini_mnist(e, {idims = {5, 784}})
  T.checkerr(function() vision.datasets.MNIST{root = e} end, "is not an IDX image file (expected uint8 N x H x W, magic 2051")
  mini_mnist(e)
  write(e .. "/train-labels-idx1-ubyte", idx_bytes(0x08, {5, 1}, "\0\1\2\3\4"))
  T.checkerr(function() vision.datasets.MNIST{root = e} end, "is not an IDX label file")
end)

-- ---------------------------------------------------------------- bad calls

T.test("bad calls name what is wrong", function()
  local ds = numbered(4)
  local DL = data.DataLoader
  T.checkerr(function() DL() end, "DataLoader: a dataset expected, got nil")
  T.checkerr(function() DL(ds, {batchsize = 2}) end, "DataLoader: unknown option 'batchsize'")
  T.checkerr(function() DL(ds, 5) end, "options table expected, got number")
  T.checkerr(function() DL(ds, {batch_size = 0}) end, "'batch_size' must be an integer >= 1, got 0")
  T.checkerr(function() DL(ds, {batch_size = 2.5}) end, "'batch_size' must be an integer >= 1, got 2.5")
  T.checkerr(function() DL(ds, {shuffle = 1}) end, "option 'shuffle' must be a boolean")
  T.checkerr(function() DL(ds, {drop_last = "yes"}) end, "option 'drop_last' must be a boolean")
  T.checkerr(function() DL(ds, {seed = 1.5}) end, "option 'seed' must be an integer, got float")
  T.checkerr(function() DL(ds, {seed = 1, generator = data.Generator(1)}) end, "give seed or generator, not both")
  T.checkerr(function() DL(ds, {generator = 3}) end, "option 'generator' must be a data.Generator")
  T.checkerr(function() DL(ds, {transform = 3}) end, "option 'transform' must be a transform or a function")
  T.checkerr(function() DL(setmetatable({}, {__len = function() return 2.5 end})) end, "#dataset must be an integer")
  T.checkerr(function() DL({tensors = {tensor{1, 2}}}) end, "dataset.tensors[1] must be a tensor with 0 rows")
  T.checkerr(function() data.Generator("x") end, "Generator: integer seed expected, got string")
  T.checkerr(function() data.TensorDataset() end, "TensorDataset: at least one tensor expected")
  T.checkerr(function() data.TensorDataset(tensor{1}, {1}) end, "argument 2 is a table, expected a tensor")
  T.checkerr(function() data.TensorDataset(tensor{1, 2}, tensor{1}) end,
             "tensors must have the same size in dim 1 (tensor 1 has 2, tensor 2 has 1)")
  T.checkerr(function() data.TensorDataset(tensor(1)) end, "tensor 1 is 0-d")
  T.checkerr(function() return ds[5] end, "TensorDataset: index 5 is out of range (1..4)")
  T.checkerr(function() return ds[0] end, "index 0 is out of range")
  T.checkerr(function() return ds:get(1.5) end, "index must be an integer, got float")
  T.checkerr(function() TR.Normalize(0.5, 0) end, "Normalize: std[1] is 0")
  T.checkerr(function() TR.Normalize({1, 2}, {1, 2, 3}) end, "mean has 2 values and std 3")
  T.checkerr(function() TR.Normalize("a", 1) end, "mean must be a number or a table of numbers, got string")
  T.checkerr(function() TR.Normalize({1, "b"}, 1) end, "mean[2] must be a number")
  T.checkerr(function() TR.Compose(3) end, "Compose: a table of transforms expected")
  T.checkerr(function() TR.Compose{TR.ToTensor(), 5} end, "item 2 is a number")
  T.checkerr(function() TR.Lambda(1) end, "Lambda: a function expected")
  T.checkerr(function() TR.ToTensor()("x") end, "ToTensor(): a tensor expected, got string")
  T.checkerr(function() TR.Normalize({0, 0}, {1, 1})(tensor.zeros(3, 2, 2)) end, "2 per-channel values need rows")
  local F = vision.datasets.FashionMNIST
  T.checkerr(function() F{rot = "/tmp"} end, "FashionMNIST: unknown option 'rot'")
  T.checkerr(function() F{download = true} end, "tensh never downloads data sets; apt-get install dataset-fashion-mnist")
  T.checkerr(function() F{train = "yes"} end, "option 'train' must be a boolean")
  T.checkerr(function() F{root = 5} end, "option 'root' must be a string")
  T.checkerr(function() F(5) end, "options table expected, got number")
  local src = tensor({{1, 2}, {3, 4}})
  local take = tensor.take_rows
  T.checkerr(function() take(src, tensor{0}) end, "take_rows: index 0 is out of range for 2 rows (indices are 1-based)")
  T.checkerr(function() take(src, tensor{3}) end, "index 3 is out of range for 2 rows")
  T.checkerr(function() take(src, tensor{{1}}) end, "index must be 1-d, got 2 dims")
  T.checkerr(function() take(src, tensor{1.0}) end, "index must be int64 or int32, got float32")
  T.checkerr(function() take(src, tensor{1}, {dtype = "int64", scale = 2}) end, "need a floating output dtype, got int64")
  T.checkerr(function() take(src, tensor{1}, {scale = {1, 2}}) end, "2 per-channel values need rows of shape Cx...xHxW")
  T.checkerr(function() take(src, tensor{1}, {scale = {1, 2}, shift = {1, 2, 3}}) end, "scale has 2 values and shift 3")
  T.checkerr(function() take(src, tensor{1}, {scale = "x"}) end, "option 'scale' must be a number or a table of numbers")
  T.checkerr(function() take(src, tensor{1}, {scale = {}}) end, "option 'scale' must hold 1 to 64 numbers, got 0")
  T.checkerr(function() take(src, tensor{1}, {shift = {1, "a"}}) end, "option 'shift' must hold numbers, got a string at 2")
  T.checkerr(function() take(src, tensor{1}, {offset = 1}) end, "unknown option 'offset'")
  T.checkerr(function() take(tensor(1), nil) end, "the source must have at least 1 dim")
  T.checkerr(function() take("x", nil) end, "tensor expected, got string")
  T.checkerr(function() tensor.read_idx() end, "bad argument #1 to 'read_idx'")
end)

T.test("the interpreter still works after all those errors", function()
  local loader = data.DataLoader(numbered(3), {batch_size = 2})
  T.eq(#loader, 2)
  T.check(tostring(loader):find("DataLoader(3 samples, batch_size=2", 1, true))
end)

T.done()
