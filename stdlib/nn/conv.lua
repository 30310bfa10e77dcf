-- nn/conv.lua: Conv2d and the 2-d pooling layers (MaxPool2d, AvgPool2d,
-- AdaptiveAvgPool2d). They check their settings when built and the input's
-- rank and channels when called, then call nn.functional, where the
-- kernels are. Sizes are numbers or pairs {h, w}.
-- Not here: the convolution and pooling kernels (nn.functional, C).
local U = require("nn.util")
local M = require("nn.module")
local layers = require("nn.layers")

local Module, Parameter = M.Module, M.Parameter
local default_init = layers.default_init
local F = U.F
local C = {}

-- An input of rank 4 (N x C x H x W), or 3 (C x H x W: one sample, as
-- PyTorch accepts); returns the batched input and whether it was unbatched.
local function batched(fname, x)
  U.check_tensor(fname, "input", x)
  local d = x:dim()
  if d == 4 then return x, false end
  if d == 3 then return x:unsqueeze(1), true end
  U.fail("%s: expected a 3-d (C x H x W) or 4-d (N x C x H x W) input, got shape %s", fname, U.shape(x))
end

-- ------------------------------------------------------------- Conv2d

local Conv2d = Module:extend("Conv2d")
C.Conv2d = Conv2d

local conv_options = {"stride", "padding", "dilation", "groups", "bias", "padding_mode", "dtype", "device"}

function Conv2d:__init(in_channels, out_channels, kernel_size, opts, ...)
  U.trailing("Conv2d", 3, "{stride = 2, padding = 1}", opts, ...)
  in_channels = U.int("Conv2d", "in_channels", in_channels, 1)
  out_channels = U.int("Conv2d", "out_channels", out_channels, 1)
  if kernel_size == nil then U.fail("Conv2d: kernel_size is required (a number or a pair {h, w})") end
  local k = U.pair("Conv2d", "kernel_size", kernel_size, 1)
  opts = U.options("Conv2d", opts, conv_options)
  local stride = U.pair("Conv2d", "stride", opts.stride or 1, 1)
  local dilation = U.pair("Conv2d", "dilation", opts.dilation or 1, 1)
  local groups = U.int("Conv2d", "groups", opts.groups or 1, 1)
  local bias = U.bool("Conv2d", "bias", opts.bias, true)
  local mode = opts.padding_mode or "zeros"
  if mode ~= "zeros" then
    U.fail("Conv2d: padding_mode %s is not supported (only 'zeros')", U.describe(mode))
  end
  if in_channels % groups ~= 0 then
    U.fail("Conv2d: in_channels (%d) must be divisible by groups (%d)", in_channels, groups)
  end
  if out_channels % groups ~= 0 then
    U.fail("Conv2d: out_channels (%d) must be divisible by groups (%d)", out_channels, groups)
  end
  local padding = opts.padding or 0
  local pad
  if padding == "valid" then
    pad = {0, 0}
  elseif padding == "same" then
    if stride[1] ~= 1 or stride[2] ~= 1 then
      U.fail("Conv2d: padding='same' is not supported for strided convolutions (stride %s)", U.repr(stride))
    end
    pad = {}
    for i = 1, 2 do
      local total = dilation[i] * (k[i] - 1)
      if total % 2 ~= 0 then
        U.fail("Conv2d: padding='same' needs an odd effective kernel size here (dilation * (kernel_size - 1) = %d " ..
               "is odd); pad explicitly instead", total)
      end
      pad[i] = total // 2
    end
  elseif type(padding) == "string" then
    U.fail("Conv2d: padding must be a number, a pair {h, w}, 'valid' or 'same', got %s", U.describe(padding))
  else
    pad = U.pair("Conv2d", "padding", padding, 0)
  end
  self.in_channels, self.out_channels = in_channels, out_channels
  self.kernel_size, self.stride, self.padding, self.dilation = k, stride, type(padding) == "string" and padding or pad,
    dilation
  self._pad = pad
  self.groups = groups
  self.padding_mode = mode
  local f = {dtype = opts.dtype, device = opts.device}
  self.weight = Parameter(tensor.empty(out_channels, in_channels // groups, k[1], k[2], f))
  if bias then self.bias = Parameter(tensor.empty(out_channels, f)) end
  self:reset_parameters()
end

function Conv2d:reset_parameters() default_init(self.weight, self.bias) end

function Conv2d:forward(x)
  local xb, unbatched = batched("Conv2d", x)
  if xb:size(2) ~= self.in_channels then
    U.fail("Conv2d: expected an input with %d channels (dim %d), got %d (input shape %s)", self.in_channels,
           unbatched and 1 or 2, xb:size(2), U.shape(x))
  end
  local y = F.conv2d(xb, self.weight, self.bias,
                     {stride = self.stride, padding = self._pad, dilation = self.dilation, groups = self.groups})
  if unbatched then y = y:squeeze(1) end
  return y
end

function Conv2d:extra_repr()
  local s = string.format("%d, %d, kernel_size=%s, stride=%s", self.in_channels, self.out_channels,
                          U.repr(self.kernel_size), U.repr(self.stride))
  local p = self.padding
  if type(p) == "string" then s = s .. ", padding=" .. U.repr(p)
  elseif p[1] ~= 0 or p[2] ~= 0 then s = s .. ", padding=" .. U.repr(p) end
  if self.dilation[1] ~= 1 or self.dilation[2] ~= 1 then s = s .. ", dilation=" .. U.repr(self.dilation) end
  if self.groups ~= 1 then s = s .. ", groups=" .. self.groups end
  if self.bias == nil then s = s .. ", bias=false" end
  return s
end

-- ------------------------------------------------------------- pooling

-- Sizes as given (a number prints as a number, a pair as (h, w)), and the
-- pair the functional form gets.
local function size_opt(fname, what, v, min)
  local pair = U.pair(fname, what, v, min)
  return math.type(v) and v or pair, pair
end

local function check_pad(fname, pad, k, dilation)
  for i = 1, 2 do
    local half = ((dilation and dilation[i] or 1) * (k[i] - 1) + 1) // 2
    if pad[i] > half then
      U.fail("%s: padding %d must be at most half of the kernel size %d", fname, pad[i],
             (dilation and dilation[i] or 1) * (k[i] - 1) + 1)
    end
  end
end

local MaxPool2d = Module:extend("MaxPool2d")
C.MaxPool2d = MaxPool2d

function MaxPool2d:__init(kernel_size, opts, ...)
  U.trailing("MaxPool2d", 1, "{stride = 2}", opts, ...)
  if kernel_size == nil then U.fail("MaxPool2d: kernel_size is required (a number or a pair {h, w})") end
  opts = U.options("MaxPool2d", opts, {"stride", "padding", "dilation", "ceil_mode", "return_indices"})
  self.kernel_size, self._k = size_opt("MaxPool2d", "kernel_size", kernel_size, 1)
  self.stride, self._stride = size_opt("MaxPool2d", "stride", opts.stride or kernel_size, 1)
  self.padding, self._pad = size_opt("MaxPool2d", "padding", opts.padding or 0, 0)
  self.dilation, self._dilation = size_opt("MaxPool2d", "dilation", opts.dilation or 1, 1)
  self.ceil_mode = U.bool("MaxPool2d", "ceil_mode", opts.ceil_mode, false)
  self.return_indices = U.bool("MaxPool2d", "return_indices", opts.return_indices, false)
  check_pad("MaxPool2d", self._pad, self._k, self._dilation)
end

function MaxPool2d:forward(x)
  local xb, unbatched = batched("MaxPool2d", x)
  local y, idx = F.max_pool2d(xb, self._k, {stride = self._stride, padding = self._pad, dilation = self._dilation,
                                            ceil_mode = self.ceil_mode, return_indices = self.return_indices})
  if unbatched then
    y = y:squeeze(1)
    if idx then idx = idx:squeeze(1) end
  end
  if self.return_indices then return y, idx end
  return y
end

function MaxPool2d:extra_repr()
  return string.format("kernel_size=%s, stride=%s, padding=%s, dilation=%s, ceil_mode=%s", U.repr(self.kernel_size),
                       U.repr(self.stride), U.repr(self.padding), U.repr(self.dilation), tostring(self.ceil_mode))
end

local AvgPool2d = Module:extend("AvgPool2d")
C.AvgPool2d = AvgPool2d

function AvgPool2d:__init(kernel_size, opts, ...)
  U.trailing("AvgPool2d", 1, "{stride = 2}", opts, ...)
  if kernel_size == nil then U.fail("AvgPool2d: kernel_size is required (a number or a pair {h, w})") end
  opts = U.options("AvgPool2d", opts, {"stride", "padding", "ceil_mode", "count_include_pad"})
  self.kernel_size, self._k = size_opt("AvgPool2d", "kernel_size", kernel_size, 1)
  self.stride, self._stride = size_opt("AvgPool2d", "stride", opts.stride or kernel_size, 1)
  self.padding, self._pad = size_opt("AvgPool2d", "padding", opts.padding or 0, 0)
  self.ceil_mode = U.bool("AvgPool2d", "ceil_mode", opts.ceil_mode, false)
  self.count_include_pad = U.bool("AvgPool2d", "count_include_pad", opts.count_include_pad, true)
  check_pad("AvgPool2d", self._pad, self._k)
end

function AvgPool2d:forward(x)
  local xb, unbatched = batched("AvgPool2d", x)
  local y = F.avg_pool2d(xb, self._k, {stride = self._stride, padding = self._pad, ceil_mode = self.ceil_mode,
                                       count_include_pad = self.count_include_pad})
  if unbatched then y = y:squeeze(1) end
  return y
end

function AvgPool2d:extra_repr()
  return string.format("kernel_size=%s, stride=%s, padding=%s", U.repr(self.kernel_size), U.repr(self.stride),
                       U.repr(self.padding))
end

local AdaptiveAvgPool2d = Module:extend("AdaptiveAvgPool2d")
C.AdaptiveAvgPool2d = AdaptiveAvgPool2d

function AdaptiveAvgPool2d:__init(output_size, ...)
  U.no_extra("AdaptiveAvgPool2d", 1, "nn.AdaptiveAvgPool2d({7, 7})", ...)
  if output_size == nil then U.fail("AdaptiveAvgPool2d: output_size is required (a number or a pair {h, w})") end
  self.output_size, self._size = size_opt("AdaptiveAvgPool2d", "output_size", output_size, 1)
end

function AdaptiveAvgPool2d:forward(x)
  local xb, unbatched = batched("AdaptiveAvgPool2d", x)
  local y = F.adaptive_avg_pool2d(xb, self._size)
  if unbatched then y = y:squeeze(1) end
  return y
end

function AdaptiveAvgPool2d:extra_repr() return "output_size=" .. U.repr(self.output_size) end

-- ------------------------------------------------------------- help

local doc = U.document
doc(Conv2d, "nn.Conv2d(in_channels, out_channels, kernel_size, {stride=1, padding=0, dilation=1, groups=1, bias=true,\n" ..
  "  padding_mode='zeros', dtype=, device=}) -> Conv2d\n" ..
  "2-d convolution of an N x C x H x W (or C x H x W) input; sizes are numbers or pairs {h, w}; padding may also be\n" ..
  "'valid' or 'same'. weight is out x in/groups x kh x kw, initialised as PyTorch does (kaiming_uniform_, a = sqrt(5)).\n" ..
  "  local conv = nn.Conv2d(1, 6, 5, {padding = 2})   -- 28x28 in, 28x28 out")
doc(MaxPool2d, "nn.MaxPool2d(kernel_size, {stride=kernel_size, padding=0, dilation=1, ceil_mode=false,\n" ..
  "  return_indices=false}) -> MaxPool2d\n" ..
  "The maximum of each kernel_size window; with return_indices it also returns where the maxima are.\n" ..
  "  nn.MaxPool2d(2)(tensor.randn(1, 6, 28, 28)):size()  --> Size{1, 6, 14, 14}")
doc(AvgPool2d, "nn.AvgPool2d(kernel_size, {stride=kernel_size, padding=0, ceil_mode=false, count_include_pad=true})" ..
  " -> AvgPool2d\n" ..
  "The mean of each kernel_size window (padding zeros counted unless count_include_pad=false).\n" ..
  "  nn.AvgPool2d(2)(tensor.randn(1, 6, 28, 28)):size()  --> Size{1, 6, 14, 14}")
doc(AdaptiveAvgPool2d, "nn.AdaptiveAvgPool2d(output_size) -> AdaptiveAvgPool2d\n" ..
  "Averages over windows chosen so that the output is output_size (a number or {h, w}) whatever the input size.\n" ..
  "  nn.AdaptiveAvgPool2d(1)(tensor.randn(8, 64, 7, 7)):size()  --> Size{8, 64, 1, 1}")

return C
