-- nn/norm.lua: BatchNorm1d, BatchNorm2d (with running statistics as
-- buffers: running_mean, running_var, num_batches_tracked) and LayerNorm,
-- with PyTorch's options and state_dict names.
-- Not here: the normalisation itself (nn.functional's batch_norm and
-- layer_norm).
local U = require("nn.util")
local M = require("nn.module")
local init = require("nn.initializers")

local Module, Parameter = M.Module, M.Parameter
local F = U.F
local N = {}

-- ------------------------------------------------------------- BatchNorm

local BatchNorm = Module:extend("_BatchNorm")

function BatchNorm:__init(num_features, opts, ...)
  local name = self.__name
  U.trailing(name, 1, "{momentum = 0.01}", opts, ...)
  num_features = U.int(name, "num_features", num_features, 1)
  opts = U.options(name, opts, {"eps", "momentum", "affine", "track_running_stats", "dtype", "device"})
  local eps = opts.eps == nil and 1e-5 or U.number(name, "eps", opts.eps)
  if eps < 0 then U.fail("%s: eps must not be negative, got %s", name, tostring(eps)) end
  -- momentum=false is PyTorch's momentum=None: a cumulative average (a Lua
  -- table cannot hold nil).
  local momentum = opts.momentum
  if momentum == nil then momentum = 0.1 end
  if momentum ~= false and (type(momentum) ~= "number" or momentum < 0 or momentum > 1) then
    U.fail("%s: momentum must be a number in [0, 1] (or false for a cumulative average), got %s", name,
           U.describe(momentum))
  end
  self.num_features, self.eps, self.momentum = num_features, eps, momentum
  self.affine = U.bool(name, "affine", opts.affine, true)
  self.track_running_stats = U.bool(name, "track_running_stats", opts.track_running_stats, true)
  local f = {dtype = opts.dtype, device = opts.device}
  if self.affine then
    self.weight = Parameter(tensor.empty(num_features, f))
    self.bias = Parameter(tensor.empty(num_features, f))
  end
  if self.track_running_stats then
    self:register_buffer("running_mean", tensor.zeros(num_features, f))
    self:register_buffer("running_var", tensor.ones(num_features, f))
    self:register_buffer("num_batches_tracked", tensor.tensor(0, {dtype = "int64", device = opts.device}))
  end
  self:reset_parameters()
end

function BatchNorm:reset_running_stats()
  if self.track_running_stats then
    tensor.no_grad(function()
      self.running_mean:zero_()
      self.running_var:fill_(1)
      self.num_batches_tracked:zero_()
    end)
  end
end

function BatchNorm:reset_parameters()
  self:reset_running_stats()
  if self.affine then
    init.ones_(self.weight)
    init.zeros_(self.bias)
  end
end

function BatchNorm:forward(x)
  local name = self.__name
  U.check_tensor(name, "input", x)
  local d = x:dim()
  if not self._dims[d] then U.fail("%s: expected %s input, got shape %s", name, self._dims.what, U.shape(x)) end
  if x:size(2) ~= self.num_features then
    U.fail("%s: expected %d channels (dim 2), got %d (input shape %s)", name, self.num_features, x:size(2), U.shape(x))
  end
  local factor = self.momentum or 0.0
  if self.training and self.track_running_stats then
    local n = self.num_batches_tracked
    tensor.no_grad(n.add_, n, 1)
    if self.momentum == false then factor = 1.0 / n:item() end
  end
  -- Batch statistics in training, or when there are no running ones.
  local use_batch = self.training or not self.track_running_stats
  if use_batch and x:numel() // x:size(2) <= 1 then
    U.fail("%s: expected more than 1 value per channel when training, got input of shape %s", name, U.shape(x))
  end
  return F.batch_norm(x, self.running_mean, self.running_var,
                      {weight = self.weight, bias = self.bias, training = use_batch, momentum = factor, eps = self.eps})
end

function BatchNorm:extra_repr()
  return string.format("%d, eps=%s, momentum=%s, affine=%s, track_running_stats=%s", self.num_features,
                       tostring(self.eps), tostring(self.momentum), tostring(self.affine),
                       tostring(self.track_running_stats))
end

local BatchNorm1d = BatchNorm:extend("BatchNorm1d")
BatchNorm1d._dims = {[2] = true, [3] = true, what = "a 2-d (N x C) or 3-d (N x C x L)"}
N.BatchNorm1d = BatchNorm1d

local BatchNorm2d = BatchNorm:extend("BatchNorm2d")
BatchNorm2d._dims = {[4] = true, what = "a 4-d (N x C x H x W)"}
N.BatchNorm2d = BatchNorm2d

-- ------------------------------------------------------------- LayerNorm

local LayerNorm = Module:extend("LayerNorm")
N.LayerNorm = LayerNorm

function LayerNorm:__init(normalized_shape, opts, ...)
  U.trailing("LayerNorm", 1, "{eps = 1e-6}", opts, ...)
  local shape = {}
  if math.type(normalized_shape) then
    shape[1] = U.int("LayerNorm", "normalized_shape", normalized_shape, 1)
  elseif type(normalized_shape) == "table" and not tensor.is_tensor(normalized_shape) and #normalized_shape > 0 then
    for i = 1, #normalized_shape do shape[i] = U.int("LayerNorm", "normalized_shape", normalized_shape[i], 1) end
  else
    U.fail("LayerNorm: normalized_shape must be a number or a list of sizes (the trailing dims), got %s",
           U.describe(normalized_shape))
  end
  opts = U.options("LayerNorm", opts, {"eps", "elementwise_affine", "bias", "dtype", "device"})
  self.normalized_shape = shape
  self.eps = opts.eps == nil and 1e-5 or U.number("LayerNorm", "eps", opts.eps)
  self.elementwise_affine = U.bool("LayerNorm", "elementwise_affine", opts.elementwise_affine, true)
  local bias = U.bool("LayerNorm", "bias", opts.bias, true)
  local f = {dtype = opts.dtype, device = opts.device}
  if self.elementwise_affine then
    self.weight = Parameter(tensor.empty(shape, f))
    if bias then self.bias = Parameter(tensor.empty(shape, f)) end
  end
  self:reset_parameters()
end

function LayerNorm:reset_parameters()
  if self.weight then init.ones_(self.weight) end
  if self.bias then init.zeros_(self.bias) end
end

function LayerNorm:forward(x)
  U.check_tensor("LayerNorm", "input", x)
  local shape, d = self.normalized_shape, x:dim()
  local ok = d >= #shape
  for i = 1, #shape do
    if not ok then break end
    ok = x:size(d - #shape + i) == shape[i]
  end
  if not ok then
    U.fail("LayerNorm: the input's trailing dims must be normalized_shape %s, got input of shape %s",
           U.shape_of(shape), U.shape(x))
  end
  return F.layer_norm(x, shape, {weight = self.weight, bias = self.bias, eps = self.eps})
end

function LayerNorm:extra_repr()
  return string.format("%s, eps=%s, elementwise_affine=%s", U.repr(self.normalized_shape), tostring(self.eps),
                       tostring(self.elementwise_affine))
end

-- ------------------------------------------------------------- help

local doc = U.document
local bn_opts = "{eps=1e-5, momentum=0.1, affine=true, track_running_stats=true, dtype=, device=}"
local bn_text = "Normalises each channel (dim 2) by the batch's mean and variance in training, updating the\n" ..
  "running_mean and running_var buffers (momentum; false for a cumulative average), and by those in eval mode.\n"
doc(BatchNorm, "nn._BatchNorm: the shared base of BatchNorm1d and BatchNorm2d.\n" .. bn_text ..
  "  local bn = nn.BatchNorm2d(16)",
  {reset_running_stats = "bn:reset_running_stats()\nSets running_mean to 0, running_var to 1 and " ..
    "num_batches_tracked to 0.\n  bn:reset_running_stats()"})
doc(BatchNorm1d, "nn.BatchNorm1d(num_features, " .. bn_opts .. ") -> BatchNorm1d\n" .. bn_text ..
  "Input N x C or N x C x L.\n  local bn = nn.BatchNorm1d(100); local y = bn(tensor.randn(32, 100))")
doc(BatchNorm2d, "nn.BatchNorm2d(num_features, " .. bn_opts .. ") -> BatchNorm2d\n" .. bn_text ..
  "Input N x C x H x W.\n  local bn = nn.BatchNorm2d(6); local y = bn(tensor.randn(8, 6, 28, 28))")
doc(LayerNorm, "nn.LayerNorm(normalized_shape, {eps=1e-5, elementwise_affine=true, bias=true, dtype=, device=}) -> LayerNorm\n" ..
  "Normalises over the trailing dims given by normalized_shape (a size or a list), then scales by weight and\n" ..
  "adds bias (ones and zeros at first). The same in training and eval.\n" ..
  "  local ln = nn.LayerNorm(64); local y = ln(tensor.randn(8, 10, 64))")

return N
