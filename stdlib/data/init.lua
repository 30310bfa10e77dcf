-- data: datasets and the DataLoader (the `data` global, loaded lazily).
-- A dataset that holds whole tensors (TensorDataset, the vision datasets:
-- anything with a `tensors` list) is batched in C by tensor.take_rows: one
-- call per tensor per batch, with ToTensor/Normalize folded in, so a loop
-- does no per-sample work in Lua. Any other dataset (#ds and ds[i]) works
-- too, sample by sample. Not here: image files, prefetch threads.
local transforms = require("data.transforms")

local data = {transforms = transforms}

local function fail(level, fmt, ...) error(string.format(fmt, ...), level + 1) end

local function check_options(fname, opts, allowed)
  if opts == nil then return {} end
  if type(opts) ~= "table" then fail(3, "%s: options table expected, got %s", fname, type(opts)) end
  for k in pairs(opts) do
    if not allowed[k] then
      local names = {}
      for n in pairs(allowed) do names[#names + 1] = n end
      table.sort(names)
      fail(3, "%s: unknown option '%s' (expected %s)", fname, tostring(k), table.concat(names, ", "))
    end
  end
  return opts
end

-- ------------------------------------------------------------ TensorDataset

local TensorDataset = {}
TensorDataset.__name = "TensorDataset"

--- data.TensorDataset(x, y, ...): samples are rows (dim 1) of the tensors.
function data.TensorDataset(...)
  local ts = table.pack(...)
  if ts.n == 0 then fail(2, "TensorDataset: at least one tensor expected") end
  local n
  local held = {}
  for i = 1, ts.n do
    local t = ts[i]
    if not tensor.is_tensor(t) then fail(2, "TensorDataset: argument %d is a %s, expected a tensor", i, type(t)) end
    if t:dim() == 0 then fail(2, "TensorDataset: tensor %d is 0-d; samples are rows of dim 1", i) end
    if n and t:size(1) ~= n then
      fail(2, "TensorDataset: tensors must have the same size in dim 1 (tensor 1 has %d, tensor %d has %d)", n, i, t:size(1))
    end
    n = t:size(1)
    held[i] = t:contiguous() -- once here, so batches never copy the whole tensor
  end
  return setmetatable({tensors = held, n = n}, TensorDataset)
end

function TensorDataset.__len(self) return self.n end

local function row(ds, i)
  if math.type(i) ~= "integer" then fail(3, "%s: index must be an integer, got %s", getmetatable(ds).__name,
                                        math.type(i) or type(i)) end
  if i < 0 then i = i + ds.n + 1 end
  if i < 1 or i > ds.n then fail(3, "%s: index %d is out of range (1..%d)", getmetatable(ds).__name, i, ds.n) end
  return i
end

function TensorDataset.get(self, i)
  i = row(self, i)
  local out = {}
  for k, t in ipairs(self.tensors) do out[k] = t:select(1, i) end
  return table.unpack(out, 1, #self.tensors)
end

-- ds[i] is a table {x_i, y_i, ...} (Lua's __index gives one value, so the
-- tuple is a table); ds:get(i) returns the values themselves.
TensorDataset.__index = function(self, k)
  if type(k) == "number" then return {TensorDataset.get(self, k)} end
  return TensorDataset[k]
end

function TensorDataset.__tostring(self)
  local shapes = {}
  for i, t in ipairs(self.tensors) do shapes[i] = tostring(t:size()) .. " " .. t:dtype() end
  return string.format("TensorDataset(%d samples: %s)", self.n, table.concat(shapes, ", "))
end

data.TensorDataset_mt = TensorDataset

-- ------------------------------------------------------------ Generator

local Generator = {}
Generator.__index = Generator
Generator.__name = "Generator"

--- data.Generator(seed): a random stream of its own for shuffling, so that a
--- loader's order does not depend on (or disturb) the global generator.
function data.Generator(seed)
  if math.type(seed) ~= "integer" then fail(2, "Generator: integer seed expected, got %s", math.type(seed) or type(seed)) end
  return setmetatable({seed = seed, offset = 0}, Generator)
end

-- Runs fn with the global generator switched to this one's stream.
function Generator:run(fn, ...)
  local saved = tensor.get_rng_state()
  tensor.set_rng_state({self.seed, self.offset})
  local ok, r = pcall(fn, ...)
  local st = tensor.get_rng_state():totable()
  self.offset = st[2]
  tensor.set_rng_state(saved)
  if not ok then error(r, 0) end
  return r
end

function Generator:manual_seed(seed)
  self.seed, self.offset = seed, 0
  return self
end

-- ------------------------------------------------------------ DataLoader

local DataLoader = {}
DataLoader.__index = DataLoader
DataLoader.__name = "DataLoader"

local loader_opts = {batch_size = true, shuffle = true, drop_last = true, seed = true, generator = true,
                     transform = true, target_transform = true}

local function check_transform(name, t)
  if t == nil or type(t) == "function" then return t end
  if type(t) == "table" and getmetatable(t) and getmetatable(t).__call then return t end
  fail(4, "DataLoader: option '%s' must be a transform or a function, got %s", name, type(t))
end

--- data.DataLoader(ds, {batch_size=1, shuffle=false, drop_last=false, seed=, generator=,
---                       transform=, target_transform=})
function data.DataLoader(ds, opts)
  if type(ds) ~= "table" then fail(2, "DataLoader: a dataset expected, got %s", type(ds)) end
  opts = check_options("DataLoader", opts, loader_opts)
  local bs = opts.batch_size or 1
  if math.type(bs) ~= "integer" or bs < 1 then
    fail(2, "DataLoader: option 'batch_size' must be an integer >= 1, got %s", tostring(bs))
  end
  for _, k in ipairs{"shuffle", "drop_last"} do
    if opts[k] ~= nil and type(opts[k]) ~= "boolean" then
      fail(2, "DataLoader: option '%s' must be a boolean, got %s", k, type(opts[k]))
    end
  end
  local gen = opts.generator
  if opts.seed ~= nil then
    if gen then fail(2, "DataLoader: give seed or generator, not both") end
    if math.type(opts.seed) ~= "integer" then
      fail(2, "DataLoader: option 'seed' must be an integer, got %s", math.type(opts.seed) or type(opts.seed))
    end
    gen = data.Generator(opts.seed)
  elseif gen ~= nil and getmetatable(gen) ~= Generator then
    fail(2, "DataLoader: option 'generator' must be a data.Generator, got %s", type(gen))
  end
  local n = #ds
  if math.type(n) ~= "integer" then fail(2, "DataLoader: #dataset must be an integer") end
  local self = setmetatable({
    dataset = ds, n = n, batch_size = bs, shuffle = opts.shuffle or false, drop_last = opts.drop_last or false,
    generator = gen, transform = check_transform("transform", opts.transform),
    target_transform = check_transform("target_transform", opts.target_transform),
  }, DataLoader)
  if type(ds.tensors) == "table" and #ds.tensors > 0 then
    -- the fast path: the transform of each tensor folded once, for its dtype
    self.tensors = ds.tensors
    self.plans = {}
    for i, t in ipairs(ds.tensors) do
      if not tensor.is_tensor(t) or t:dim() == 0 or t:size(1) ~= n then
        fail(2, "DataLoader: dataset.tensors[%d] must be a tensor with %d rows", i, n)
      end
      local tr = i == 1 and self.transform or i == 2 and self.target_transform or nil
      local o, rest = transforms.plan(tr, t:dtype())
      self.plans[i] = {opts = o, rest = rest}
    end
  end
  return self
end

--- #loader: the number of batches in an epoch.
function DataLoader.__len(self)
  if self.drop_last then return self.n // self.batch_size end
  return (self.n + self.batch_size - 1) // self.batch_size
end

function DataLoader.__tostring(self)
  return string.format("DataLoader(%d samples, batch_size=%d, shuffle=%s, drop_last=%s: %d batches)", self.n,
                       self.batch_size, tostring(self.shuffle), tostring(self.drop_last), #self)
end

-- The epoch's order: a 1-based int64 permutation, or nil for 1..n in order.
function DataLoader:_order()
  if not self.shuffle then return nil end
  if self.generator then return self.generator:run(tensor.randperm, self.n) end
  return tensor.randperm(self.n)
end

local function apply(fns, x)
  for _, fn in ipairs(fns) do x = fn(x) end
  return x
end

-- One batch of a dataset without tensors: sample by sample, then stacked.
local function stack(samples, k)
  local first = samples[1][k]
  if tensor.is_tensor(first) then
    local shape = {#samples}
    for d = 1, first:dim() do shape[d + 1] = first:size(d) end
    local out = tensor.empty(shape, {dtype = first:dtype()})
    for i, s in ipairs(samples) do out:select(1, i):copy_(s[k]) end
    return out
  end
  local vals = {}
  for i, s in ipairs(samples) do vals[i] = s[k] end
  return tensor(vals)
end

--- loader:iter() -> iterator over (x, y, ...) batches of one epoch (reshuffled each call).
function DataLoader:iter()
  local order, bs, n, nb = self:_order(), self.batch_size, self.n, #self
  local b = 0
  if self.tensors then
    local ts, plans, nt = self.tensors, self.plans, #self.tensors
    local take = tensor.take_rows
    if nt == 2 then -- the common (x, y) case without a table per batch
      local t1, t2, p1, p2 = ts[1], ts[2], plans[1], plans[2]
      return function()
        b = b + 1
        if b > nb then return nil end
        local start = (b - 1) * bs + 1
        local len = math.min(bs, n - start + 1)
        local x, y
        if order then
          local idx = order:narrow(1, start, len)
          x, y = take(t1, idx, p1.opts), take(t2, idx, p2.opts)
        else
          x, y = take(t1:narrow(1, start, len), nil, p1.opts), take(t2:narrow(1, start, len), nil, p2.opts)
        end
        if #p1.rest > 0 then x = apply(p1.rest, x) end
        if #p2.rest > 0 then y = apply(p2.rest, y) end
        return x, y
      end
    end
    return function()
      b = b + 1
      if b > nb then return nil end
      local start = (b - 1) * bs + 1
      local len = math.min(bs, n - start + 1)
      local idx = order and order:narrow(1, start, len)
      local out = {}
      for i = 1, nt do
        local t = idx and take(ts[i], idx, plans[i].opts) or take(ts[i]:narrow(1, start, len), nil, plans[i].opts)
        out[i] = apply(plans[i].rest, t)
      end
      return table.unpack(out, 1, nt)
    end
  end
  local ds = self.dataset
  local ord = order and order:totable()
  -- a sample: ds:get(i) when the dataset has it, else ds[i] (a table of
  -- values, or one value)
  local get = type(ds.get) == "function" and ds.get
  local function sample(i)
    if get then return table.pack(get(ds, i)) end
    local v = ds[i]
    if type(v) == "table" and not tensor.is_tensor(v) then return table.pack(table.unpack(v)) end
    return table.pack(v)
  end
  return function()
    b = b + 1
    if b > nb then return nil end
    local start = (b - 1) * bs + 1
    local len = math.min(bs, n - start + 1)
    local samples = {}
    for k = 1, len do
      local i = ord and ord[start + k - 1] or start + k - 1
      samples[k] = sample(i)
    end
    local out = {}
    for k = 1, samples[1].n do out[k] = stack(samples, k) end
    if self.transform and out[1] ~= nil then out[1] = self.transform(out[1]) end
    if self.target_transform and out[2] ~= nil then out[2] = self.target_transform(out[2]) end
    return table.unpack(out, 1, samples[1].n)
  end
end

--- loader() is loader:iter(): `for x, y in loader() do ... end`.
DataLoader.__call = DataLoader.iter

data.DataLoader_mt = DataLoader
data.Generator_mt = Generator

-- help(): first line the call, then what it does, then an example.
local help = tensor.sethelp
help(data, "data: datasets and the DataLoader (docs/data.md).\n" ..
  "  data.TensorDataset(x, y, ...), data.DataLoader(ds, {...}), data.Generator(seed), data.transforms")
help(data.TensorDataset, "data.TensorDataset(x, y, ...) -> dataset\n" ..
  "Samples are the rows (dim 1) of tensors that share their first size; #ds, ds:get(i) -> x_i, y_i, ds[i] -> {x_i, y_i}.\n" ..
  "  local ds = data.TensorDataset(tensor.randn(100, 3), tensor.arange(1, 101))")
help(data.DataLoader, "data.DataLoader(ds, {batch_size=1, shuffle=false, drop_last=false, seed=, generator=, transform=, target_transform=})\n" ..
  "Batches of a dataset, made in C for datasets of tensors; reshuffled every epoch; #loader is the batch count.\n" ..
  "Iterate with `for x, y in loader:iter() do` (or `loader()`).\n" ..
  "  for x, y in data.DataLoader(ds, {batch_size = 64, shuffle = true}):iter() do ... end")
help(data.Generator, "data.Generator(seed) -> generator\n" ..
  "A shuffling stream of its own for DataLoader{generator=}; gen:manual_seed(n) restarts it.\n" ..
  "  local loader = data.DataLoader(ds, {shuffle = true, generator = data.Generator(0)})")

return data
