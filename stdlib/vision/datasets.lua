-- vision/datasets.lua: Fashion-MNIST and MNIST read from local IDX files
-- (gzipped or not) through tensor.read_idx; never a download. Fashion-MNIST
-- comes from Debian's dataset-fashion-mnist package. A dataset holds two
-- whole tensors, so the DataLoader batches it in C:
--   ds.data     uint8, N x 1 x 28 x 28 (the channel dim is there already, so
--               batches go straight into Conv2d; flatten them for an MLP)
--   ds.targets  int64, N, labels 1..10 (1-based: classes[y] names a label)
-- Not here: CIFAR or image folders.
local M = {}

local DEFAULT_ROOT = {
  FashionMNIST = "/usr/share/datasets/fashion-mnist",
  MNIST = "/usr/share/datasets/mnist",
}

local CLASSES = {
  FashionMNIST = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                  "Ankle boot"},
  MNIST = {"0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
           "8 - eight", "9 - nine"},
}

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

-- The path of an IDX file in root (or in torchvision's root/<Name>/raw),
-- gzipped or not; nil when absent.
local function find(root, name, base)
  for _, dir in ipairs{root, root .. "/" .. name .. "/raw"} do
    for _, ext in ipairs{".gz", ""} do
      local p = dir .. "/" .. base .. ext
      if exists(p) then return p end
    end
  end
end

local function missing(name, root, base, user_root)
  local how
  if name == "FashionMNIST" then
    how = "install Debian's package: apt-get install dataset-fashion-mnist"
    if user_root then how = how .. " (it puts the files in " .. DEFAULT_ROOT.FashionMNIST .. ")" end
  else
    how = "Debian has no MNIST package: pass root= a directory holding the four IDX files " ..
          "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-...)"
  end
  error(string.format("%s: '%s' not found in %s; %s", name, base .. "[.gz]", root, how), 4)
end

local Dataset = {}
Dataset.__name = "VisionDataset"

local function load(name, opts)
  if opts ~= nil and type(opts) ~= "table" then
    error(string.format("%s: options table expected, got %s", name, type(opts)), 3)
  end
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "root" and k ~= "train" and k ~= "download" then
      error(string.format("%s: unknown option '%s' (expected download, root, train)", name, tostring(k)), 3)
    end
  end
  if opts.download then
    error(string.format("%s: tensh never downloads data sets; %s", name, name == "FashionMNIST"
      and "apt-get install dataset-fashion-mnist" or "put the IDX files in a directory and pass root="), 3)
  end
  local root = opts.root or DEFAULT_ROOT[name]
  if type(root) ~= "string" then error(string.format("%s: option 'root' must be a string, got %s", name, type(root)), 3) end
  local train = opts.train
  if train == nil then train = true end
  if type(train) ~= "boolean" then
    error(string.format("%s: option 'train' must be a boolean, got %s", name, type(train)), 3)
  end
  local prefix = train and "train" or "t10k"
  local ipath = find(root, name, prefix .. "-images-idx3-ubyte") or missing(name, root, prefix .. "-images-idx3-ubyte", opts.root)
  local lpath = find(root, name, prefix .. "-labels-idx1-ubyte") or missing(name, root, prefix .. "-labels-idx1-ubyte", opts.root)
  local images = tensor.read_idx(ipath)
  local labels = tensor.read_idx(lpath)
  -- IDX magic numbers 2051 (uint8, 3 dims) and 2049 (uint8, 1 dim)
  if images:dtype() ~= "uint8" or images:dim() ~= 3 then
    error(string.format("%s: '%s' is not an IDX image file (expected uint8 N x H x W, magic 2051; got %s %s)",
                        name, ipath, images:dtype(), tostring(images:size())), 3)
  end
  if labels:dtype() ~= "uint8" or labels:dim() ~= 1 then
    error(string.format("%s: '%s' is not an IDX label file (expected uint8 N, magic 2049; got %s %s)",
                        name, lpath, labels:dtype(), tostring(labels:size())), 3)
  end
  if images:size(1) ~= labels:size(1) then
    error(string.format("%s: %d images in '%s' but %d labels in '%s'", name, images:size(1), ipath,
                        labels:size(1), lpath), 3)
  end
  local raw = labels:totable()
  for i = 1, #raw do
    if raw[i] > 9 then
      error(string.format("%s: label %d of '%s' is %d; labels must be 0..9", name, i, lpath, raw[i]), 3)
    end
  end
  local n, h, w = images:size(1), images:size(2), images:size(3)
  -- labels 0..9 in the file become 1..10 (int64), as every index in tensh
  local targets = tensor.take_rows(labels, nil, {dtype = "float64", shift = 1}):long()
  local ds = {
    name = name, root = root, train = train, classes = CLASSES[name],
    data = images:view(n, 1, h, w), targets = targets, n = n,
  }
  ds.tensors = {ds.data, ds.targets}
  return setmetatable(ds, Dataset)
end

function Dataset.__len(self) return self.n end

--- ds:get(i) -> image (1 x 28 x 28 uint8 view), label (integer 1..10); ds[i] -> {image, label}
function Dataset.get(self, i)
  if math.type(i) ~= "integer" then
    error(string.format("%s: index must be an integer, got %s", self.name, math.type(i) or type(i)), 2)
  end
  if i < 0 then i = i + self.n + 1 end
  if i < 1 or i > self.n then error(string.format("%s: index %d is out of range (1..%d)", self.name, i, self.n), 2) end
  return self.data:select(1, i), self.targets:select(1, i):item()
end

-- ds[i] is the pair as a table {image, label}: __index yields one value.
Dataset.__index = function(self, k)
  if type(k) == "number" then return {Dataset.get(self, k)} end
  return Dataset[k]
end

function Dataset.__tostring(self)
  return string.format("%s(%s, %d samples of %s, root=%s)", self.name, self.train and "train" or "test", self.n,
                       tostring(self.data:size()):gsub("^Size{%d+, ", "{"), self.root)
end

--- vision.datasets.FashionMNIST{root=, train=true}
function M.FashionMNIST(opts) return load("FashionMNIST", opts) end
--- vision.datasets.MNIST{root=, train=true}
function M.MNIST(opts) return load("MNIST", opts) end

M.DEFAULT_ROOT = DEFAULT_ROOT

local help = tensor.sethelp
help(M, "vision.datasets: FashionMNIST and MNIST from local IDX files (docs/data.md).")
help(M.FashionMNIST, "vision.datasets.FashionMNIST{root=, train=true} -> dataset\n" ..
  "Fashion-MNIST from Debian's dataset-fashion-mnist: ds.data uint8 N x 1 x 28 x 28, ds.targets int64 1..10,\n" ..
  "ds.classes; #ds, ds:get(i) -> image, label. Batch it with data.DataLoader.\n" ..
  "  local train = vision.datasets.FashionMNIST{}")
help(M.MNIST, "vision.datasets.MNIST{root=, train=true} -> dataset\n" ..
  "MNIST from a directory of IDX files (Debian has no package), laid out like FashionMNIST.\n" ..
  "  local train = vision.datasets.MNIST{root = '/data/mnist'}")
return M
