-- nn/initializers.lua: nn.init, PyTorch's torch.nn.init: filling parameters
-- in place (kaiming/xavier uniform and normal, uniform, normal, constant)
-- under tensor.no_grad, and calculate_gain. Named initializers.lua so that
-- require("nn.init") keeps meaning the nn module itself.
-- Not here: which initialisation each layer uses (its reset_parameters).
local U = require("nn.util")

local init = {}

local function check_tensor(fname, t)
  if not tensor.is_tensor(t) then U.fail("nn.init.%s: tensor expected, got %s", fname, U.describe(t)) end
  if not t:is_floating_point() then
    U.fail("nn.init.%s: a floating point tensor expected, got %s", fname, t:dtype())
  end
end

local function fill(t, method, ...)
  local args = table.pack(...)
  tensor.no_grad(function() t[method](t, table.unpack(args, 1, args.n)) end)
  return t
end

local linear_like = {linear = true, conv1d = true, conv2d = true, conv3d = true, conv_transpose1d = true,
                     conv_transpose2d = true, conv_transpose3d = true, sigmoid = true}

function init.calculate_gain(nonlinearity, param)
  if type(nonlinearity) ~= "string" then
    U.fail("nn.init.calculate_gain: the nonlinearity's name (a string) expected, got %s", U.describe(nonlinearity))
  end
  if linear_like[nonlinearity] then return 1.0 end
  if nonlinearity == "tanh" then return 5.0 / 3 end
  if nonlinearity == "relu" then return math.sqrt(2.0) end
  if nonlinearity == "selu" then return 3.0 / 4 end
  if nonlinearity == "leaky_relu" then
    local slope = param
    if slope == nil then slope = 0.01 end
    if type(slope) ~= "number" then
      U.fail("nn.init.calculate_gain: negative_slope must be a number, got %s", U.describe(slope))
    end
    return math.sqrt(2.0 / (1 + slope * slope))
  end
  U.fail("nn.init.calculate_gain: unsupported nonlinearity '%s' (linear, conv2d, sigmoid, tanh, relu, leaky_relu, selu)",
         nonlinearity)
end

-- fan_in = size(2) * receptive field, fan_out = size(1) * receptive field,
-- as PyTorch computes them for a weight of shape out x in x k...
-- (fname: the initialiser whose message it is; t is a tensor already.)
local function fans(t, fname)
  local d = t:dim()
  if d < 2 then
    U.fail("nn.init.%s: fan in and fan out cannot be computed for a tensor with fewer than 2 dims (shape %s)",
           fname, U.shape(t))
  end
  local receptive = 1
  for i = 3, d do receptive = receptive * t:size(i) end
  return t:size(2) * receptive, t:size(1) * receptive
end

function init._calculate_fan_in_and_fan_out(t)
  if not tensor.is_tensor(t) then
    U.fail("nn.init._calculate_fan_in_and_fan_out: tensor expected, got %s", U.describe(t))
  end
  return fans(t, "_calculate_fan_in_and_fan_out")
end

local function fan_of(fname, t, mode)
  local fan_in, fan_out = fans(t, fname)
  if mode == "fan_in" then return fan_in end
  if mode == "fan_out" then return fan_out end
  U.fail("nn.init.%s: mode must be 'fan_in' or 'fan_out', got %s", fname, U.describe(mode))
end

-- kaiming_*(t, {a=0, mode='fan_in', nonlinearity='leaky_relu'}) or kaiming_*(t, a).
local function kaiming_std(fname, t, opts)
  check_tensor(fname, t)
  if math.type(opts) then opts = {a = opts} end
  opts = U.options("nn.init." .. fname, opts, {"a", "mode", "nonlinearity"})
  local a = opts.a == nil and 0 or U.number("nn.init." .. fname, "a", opts.a)
  local fan = fan_of(fname, t, opts.mode or "fan_in")
  local gain = init.calculate_gain(opts.nonlinearity or "leaky_relu", a)
  if fan == 0 then return nil end
  return gain / math.sqrt(fan)
end

function init.kaiming_uniform_(t, opts)
  local std = kaiming_std("kaiming_uniform_", t, opts)
  if not std then return t end -- a zero-element tensor: nothing to fill
  local bound = math.sqrt(3.0) * std
  return fill(t, "uniform_", -bound, bound)
end

function init.kaiming_normal_(t, opts)
  local std = kaiming_std("kaiming_normal_", t, opts)
  if not std then return t end
  return fill(t, "normal_", 0, std)
end

-- xavier_*(t, {gain=1}) or xavier_*(t, gain).
local function xavier_std(fname, t, opts)
  check_tensor(fname, t)
  if math.type(opts) then opts = {gain = opts} end
  opts = U.options("nn.init." .. fname, opts, {"gain"})
  local gain = opts.gain == nil and 1 or U.number("nn.init." .. fname, "gain", opts.gain)
  local fan_in, fan_out = fans(t, fname)
  if fan_in + fan_out == 0 then return nil end
  return gain * math.sqrt(2.0 / (fan_in + fan_out))
end

function init.xavier_uniform_(t, opts)
  local std = xavier_std("xavier_uniform_", t, opts)
  if not std then return t end
  local a = math.sqrt(3.0) * std
  return fill(t, "uniform_", -a, a)
end

function init.xavier_normal_(t, opts)
  local std = xavier_std("xavier_normal_", t, opts)
  if not std then return t end
  return fill(t, "normal_", 0, std)
end

function init.uniform_(t, a, b)
  check_tensor("uniform_", t)
  a = a == nil and 0 or U.number("nn.init.uniform_", "a", a)
  b = b == nil and 1 or U.number("nn.init.uniform_", "b", b)
  if a > b then U.fail("nn.init.uniform_: a (%s) must not exceed b (%s)", tostring(a), tostring(b)) end
  return fill(t, "uniform_", a, b)
end

function init.normal_(t, mean, std)
  check_tensor("normal_", t)
  mean = mean == nil and 0 or U.number("nn.init.normal_", "mean", mean)
  std = std == nil and 1 or U.number("nn.init.normal_", "std", std)
  if std < 0 then U.fail("nn.init.normal_: std must not be negative, got %s", tostring(std)) end
  return fill(t, "normal_", mean, std)
end

function init.constant_(t, val)
  if not tensor.is_tensor(t) then U.fail("nn.init.constant_: tensor expected, got %s", U.describe(t)) end
  U.number("nn.init.constant_", "val", val)
  return fill(t, "fill_", val)
end

function init.zeros_(t)
  if not tensor.is_tensor(t) then U.fail("nn.init.zeros_: tensor expected, got %s", U.describe(t)) end
  return fill(t, "zero_")
end

function init.ones_(t)
  if not tensor.is_tensor(t) then U.fail("nn.init.ones_: tensor expected, got %s", U.describe(t)) end
  return fill(t, "fill_", 1)
end

-- ---------------------------------------------------------------- help

local help = tensor.sethelp
help(init, "nn.init: fill tensors (parameters) in place with PyTorch's initialisations, under tensor.no_grad.\n" ..
  "  nn.init.kaiming_uniform_(w, {a = math.sqrt(5)})   nn.init.zeros_(b)   nn.init.calculate_gain('relu')")
help(init.calculate_gain, "nn.init.calculate_gain(nonlinearity [, param]) -> number\n" ..
  "The recommended gain for a nonlinearity: 1 for linear/conv/sigmoid, 5/3 tanh, sqrt(2) relu,\n" ..
  "sqrt(2 / (1 + slope^2)) leaky_relu (param = negative slope, default 0.01), 3/4 selu.\n" ..
  "  nn.init.calculate_gain('relu')  --> 1.4142...")
help(init._calculate_fan_in_and_fan_out, "nn.init._calculate_fan_in_and_fan_out(t) -> fan_in, fan_out\n" ..
  "For a weight out x in x k...: fan_in = in * prod(k), fan_out = out * prod(k); needs 2 or more dims.\n" ..
  "  nn.init._calculate_fan_in_and_fan_out(tensor.empty(6, 1, 5, 5))  --> 25, 150")
help(init.kaiming_uniform_, "nn.init.kaiming_uniform_(t, {a=0, mode='fan_in', nonlinearity='leaky_relu'}) -> t\n" ..
  "Fills t from U(-bound, bound), bound = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a)\n" ..
  "(He et al. 2015). A number instead of the table is a. Linear and Conv2d start with a = sqrt(5).\n" ..
  "  nn.init.kaiming_uniform_(tensor.empty(256, 784), {nonlinearity = 'relu'})")
help(init.kaiming_normal_, "nn.init.kaiming_normal_(t, {a=0, mode='fan_in', nonlinearity='leaky_relu'}) -> t\n" ..
  "Fills t from N(0, std^2), std = gain / sqrt(fan) (He et al. 2015).\n" ..
  "  nn.init.kaiming_normal_(conv.weight, {mode = 'fan_out', nonlinearity = 'relu'})")
help(init.xavier_uniform_, "nn.init.xavier_uniform_(t, {gain=1}) -> t\n" ..
  "Fills t from U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio 2010).\n" ..
  "  nn.init.xavier_uniform_(tensor.empty(3, 5), {gain = nn.init.calculate_gain('tanh')})")
help(init.xavier_normal_, "nn.init.xavier_normal_(t, {gain=1}) -> t\n" ..
  "Fills t from N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)).\n" ..
  "  nn.init.xavier_normal_(tensor.empty(3, 5))")
help(init.uniform_, "nn.init.uniform_(t [, a=0 [, b=1]]) -> t\n" ..
  "Fills t in place from the uniform distribution U(a, b).\n" ..
  "  nn.init.uniform_(tensor.empty(3), -0.1, 0.1)")
help(init.normal_, "nn.init.normal_(t [, mean=0 [, std=1]]) -> t\n" ..
  "Fills t in place from the normal distribution N(mean, std^2).\n" ..
  "  nn.init.normal_(emb.weight, 0, 0.02)")
help(init.constant_, "nn.init.constant_(t, val) -> t\nFills t in place with val.\n" ..
  "  nn.init.constant_(bn.weight, 0.5)")
help(init.zeros_, "nn.init.zeros_(t) -> t\nFills t in place with zeros.\n  nn.init.zeros_(linear.bias)")
help(init.ones_, "nn.init.ones_(t) -> t\nFills t in place with ones.\n  nn.init.ones_(ln.weight)")

return init
