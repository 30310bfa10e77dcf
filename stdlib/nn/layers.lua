-- nn/layers.lua: the basic layers: Linear, Identity, Flatten, Dropout,
-- Embedding and the activations (ReLU, GELU, SiLU, Tanh, Sigmoid, Softmax,
-- LogSoftmax). Each checks its arguments when built and its input's shape
-- when called, then calls nn.functional or a tensor method.
-- Not here: convolution and pooling (conv.lua), normalisation (norm.lua).
local U = require("nn.util")
local M = require("nn.module")
local init = require("nn.initializers")

local Module, Parameter = M.Module, M.Parameter
local F = U.F
local L = {}

local function factory(opts)
  return {dtype = opts.dtype, device = opts.device}
end

-- ------------------------------------------------------------- Linear

local Linear = Module:extend("Linear")
L.Linear = Linear

function Linear:__init(in_features, out_features, opts, ...)
  U.trailing("Linear", 2, "{bias = false}", opts, ...)
  in_features = U.int("Linear", "in_features", in_features, 0)
  out_features = U.int("Linear", "out_features", out_features, 0)
  opts = U.options("Linear", opts, {"bias", "dtype", "device"})
  local bias = U.bool("Linear", "bias", opts.bias, true)
  self.in_features, self.out_features = in_features, out_features
  self.weight = Parameter(tensor.empty(out_features, in_features, factory(opts)))
  if bias then self.bias = Parameter(tensor.empty(out_features, factory(opts))) end
  self:reset_parameters()
end

-- PyTorch's default: kaiming_uniform_ with a = sqrt(5), which makes the
-- weight bound 1/sqrt(fan_in), and the bias uniform in the same bound.
local function default_init(weight, bias)
  init.kaiming_uniform_(weight, {a = math.sqrt(5)})
  if bias then
    local fan_in = init._calculate_fan_in_and_fan_out(weight)
    local bound = fan_in > 0 and 1 / math.sqrt(fan_in) or 0
    init.uniform_(bias, -bound, bound)
  end
end
L.default_init = default_init

function Linear:reset_parameters() default_init(self.weight, self.bias) end

function Linear:forward(x)
  U.check_tensor("Linear", "input", x)
  if x:dim() == 0 or x:size(-1) ~= self.in_features then
    U.fail("Linear: the input's last dim must have in_features=%d elements, got input of shape %s",
           self.in_features, U.shape(x))
  end
  return F.linear(x, self.weight, self.bias)
end

function Linear:extra_repr()
  return string.format("in_features=%d, out_features=%d, bias=%s", self.in_features, self.out_features,
                       tostring(self.bias ~= nil))
end

-- ------------------------------------------------------------- Identity

local Identity = Module:extend("Identity")
L.Identity = Identity

function Identity:__init() end -- takes and ignores arguments, as PyTorch's does
function Identity:forward(x) return x end

-- ------------------------------------------------------------- Flatten

local Flatten = Module:extend("Flatten")
L.Flatten = Flatten

-- Dims are 1-based: the default start_dim=2 keeps the batch dim, as
-- PyTorch's start_dim=1 does.
function Flatten:__init(start_dim, end_dim, ...)
  U.no_extra("Flatten", 2, "nn.Flatten(2, -1)", ...)
  self.start_dim = start_dim == nil and 2 or U.int("Flatten", "start_dim", start_dim)
  self.end_dim = end_dim == nil and -1 or U.int("Flatten", "end_dim", end_dim)
  if self.start_dim == 0 or self.end_dim == 0 then
    U.fail("Flatten: dims are 1-based (or negative from the end); 0 is not a dim")
  end
end

function Flatten:forward(x)
  U.check_tensor("Flatten", "input", x)
  return x:flatten(self.start_dim, self.end_dim)
end

function Flatten:extra_repr() return string.format("start_dim=%d, end_dim=%d", self.start_dim, self.end_dim) end

-- ------------------------------------------------------------- Dropout

local Dropout = Module:extend("Dropout")
L.Dropout = Dropout

function Dropout:__init(p, ...)
  U.no_extra("Dropout", 1, "nn.Dropout(0.5)", ...)
  if p == nil then p = 0.5 end
  if type(p) ~= "number" or p < 0 or p > 1 then
    U.fail("Dropout: probability p must be a number between 0 and 1, got %s", U.describe(p))
  end
  self.p = p
end

function Dropout:forward(x)
  U.check_tensor("Dropout", "input", x)
  if not self.training or self.p == 0 then return x end
  return F.dropout(x, {p = self.p, training = true})
end

function Dropout:extra_repr() return "p=" .. tostring(self.p) end

-- ------------------------------------------------------------- Embedding

local Embedding = Module:extend("Embedding")
L.Embedding = Embedding

-- Indices are 1-based (1..num_embeddings), so padding_idx is too; a
-- negative padding_idx counts from the end (-1 is the last row).
local function padding_index(fname, p, num)
  if p == nil then return nil end
  p = U.int(fname, "padding_idx", p)
  if p < 0 then p = p + num + 1 end
  if p < 1 or p > num then
    U.fail("%s: padding_idx must be an index in 1..%d (or -%d..-1), got %d", fname, num, num, p)
  end
  return p
end

function Embedding:__init(num_embeddings, embedding_dim, opts, ...)
  U.trailing("Embedding", 2, "{padding_idx = 1}", opts, ...)
  num_embeddings = U.int("Embedding", "num_embeddings", num_embeddings, 1)
  embedding_dim = U.int("Embedding", "embedding_dim", embedding_dim, 1)
  opts = U.options("Embedding", opts, {"padding_idx", "dtype", "device", "_weight", "_freeze"})
  self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
  self.padding_idx = padding_index("Embedding", opts.padding_idx, num_embeddings)
  if opts._weight then
    self.weight = Parameter(opts._weight, not opts._freeze)
  else
    self.weight = Parameter(tensor.empty(num_embeddings, embedding_dim, factory(opts)))
    self:reset_parameters()
  end
end

function Embedding:reset_parameters()
  init.normal_(self.weight)
  if self.padding_idx then tensor.no_grad(function() self.weight[self.padding_idx]:zero_() end) end
end

function Embedding:forward(idx)
  U.check_tensor("Embedding", "input", idx)
  return F.embedding(idx, self.weight, {padding_idx = self.padding_idx})
end

function Embedding:extra_repr()
  local s = string.format("%d, %d", self.num_embeddings, self.embedding_dim)
  if self.padding_idx then s = s .. ", padding_idx=" .. self.padding_idx end
  return s
end

-- nn.Embedding.from_pretrained(weight, {freeze=true, padding_idx=})
function Embedding.from_pretrained(weight, opts, ...)
  U.trailing("Embedding.from_pretrained", 1, "{freeze = false}", opts, ...)
  U.check_tensor("Embedding.from_pretrained", "weight", weight)
  if weight:dim() ~= 2 then
    U.fail("Embedding.from_pretrained: weight must be 2-d (num_embeddings x embedding_dim), got shape %s",
           U.shape(weight))
  end
  opts = U.options("Embedding.from_pretrained", opts, {"freeze", "padding_idx"})
  local freeze = U.bool("Embedding.from_pretrained", "freeze", opts.freeze, true)
  return Embedding(weight:size(1), weight:size(2), {_weight = weight, _freeze = freeze, padding_idx = opts.padding_idx})
end

-- ------------------------------------------------------------- activations

-- An activation with no settings: forward is one tensor method.
local function simple(name, method)
  local cls = Module:extend(name)
  function cls:__init(...)
    if select("#", ...) > 0 then
      U.fail("%s: takes no arguments, got %s (in-place variants are not offered)", name, U.describe((...)))
    end
  end
  cls.forward = function(_, x)
    if not tensor.is_tensor(x) then U.fail("%s: input must be a tensor, got %s", name, U.describe(x)) end
    return x[method](x)
  end
  L[name] = cls
  return cls
end

simple("ReLU", "relu")
simple("SiLU", "silu")
simple("Tanh", "tanh")
simple("Sigmoid", "sigmoid")

local GELU = Module:extend("GELU")
L.GELU = GELU

function GELU:__init(opts, ...)
  U.trailing("GELU", 0, "{approximate = 'tanh'}", opts, ...)
  opts = U.options("GELU", opts, {"approximate"})
  local a = opts.approximate or "none"
  if a ~= "none" and a ~= "tanh" then U.fail("GELU: approximate must be 'none' or 'tanh', got %s", U.describe(a)) end
  self.approximate = a
end

function GELU:forward(x)
  U.check_tensor("GELU", "input", x)
  if self.approximate == "none" then return x:gelu() end
  return x:gelu({approximate = self.approximate})
end

function GELU:extra_repr() return "approximate='" .. self.approximate .. "'" end

-- Softmax and LogSoftmax need their dim (1-based; -1 is the last), as
-- PyTorch's implicit choice is deprecated.
local function softmax_like(name, method)
  local cls = Module:extend(name)
  function cls:__init(dim, ...)
    U.no_extra(name, 1, "nn." .. name .. "(2)", ...)
    if dim == nil then U.fail("%s: dim is required (e.g. nn.%s(2) for the classes of a batch x classes input)", name, name) end
    self.dim = U.int(name, "dim", dim)
    if self.dim == 0 then U.fail("%s: dims are 1-based (or negative from the end); 0 is not a dim", name) end
  end
  cls.forward = function(self, x)
    if not tensor.is_tensor(x) then U.fail("%s: input must be a tensor, got %s", name, U.describe(x)) end
    return x[method](x, self.dim)
  end
  function cls:extra_repr() return "dim=" .. self.dim end
  L[name] = cls
  return cls
end

softmax_like("Softmax", "softmax")
softmax_like("LogSoftmax", "log_softmax")

-- ------------------------------------------------------------- help

local doc = U.document
doc(Linear, "nn.Linear(in_features, out_features, {bias=true, dtype=, device=}) -> Linear\n" ..
  "y = x W^T + b over the last dim of x. weight is out_features x in_features, initialised as PyTorch does\n" ..
  "(kaiming_uniform_ with a = sqrt(5): U(-1/sqrt(in), 1/sqrt(in))), and so is bias.\n" ..
  "  local fc = nn.Linear(784, 256); local y = fc(tensor.randn(64, 784))  -- 64x256")
doc(Identity, "nn.Identity(...) -> Identity\nReturns its input unchanged (a placeholder); ignores its arguments.\n" ..
  "  model.fc = nn.Identity()")
doc(Flatten, "nn.Flatten([start_dim=2 [, end_dim=-1]]) -> Flatten\n" ..
  "Merges dims start_dim..end_dim (1-based, inclusive): by default every dim but the batch dim.\n" ..
  "  nn.Flatten()(tensor.zeros(64, 16, 5, 5)):size()  --> Size{64, 400}")
doc(Dropout, "nn.Dropout([p=0.5]) -> Dropout\n" ..
  "In training mode zeroes each element with probability p and scales the rest by 1/(1-p); in eval mode\n" ..
  "returns its input.\n  local drop = nn.Dropout(0.2)")
doc(Embedding, "nn.Embedding(num_embeddings, embedding_dim, {padding_idx=, dtype=, device=}) -> Embedding\n" ..
  "A lookup table: indices 1..num_embeddings (an integer tensor) pick rows of weight (initialised N(0, 1));\n" ..
  "the padding_idx row starts at zero and gets no gradient. Embedding.from_pretrained(w, {freeze=true}).\n" ..
  "  local emb = nn.Embedding(10, 3); local v = emb(tensor{{1, 2}, {4, 10}})  -- 2x2x3",
  {from_pretrained = "nn.Embedding.from_pretrained(weight, {freeze=true, padding_idx=}) -> Embedding\n" ..
    "An Embedding whose weight is the given num x dim tensor (shared); frozen unless freeze=false.\n" ..
    "  local emb = nn.Embedding.from_pretrained(tensor.randn(5, 3))"})
local acts = {
  ReLU = "max(0, x) elementwise.", SiLU = "x * sigmoid(x) elementwise (swish).", Tanh = "tanh(x) elementwise.",
  Sigmoid = "1 / (1 + exp(-x)) elementwise.",
}
for name, what in pairs(acts) do
  doc(L[name], string.format("nn.%s() -> %s\n%s\n  local act = nn.%s(); local y = act(tensor.randn(3))", name, name, what, name))
end
doc(GELU, "nn.GELU({approximate='none'}) -> GELU\n" ..
  "x * Phi(x) (Phi the normal CDF), or its tanh approximation with approximate='tanh'.\n" ..
  "  local act = nn.GELU()")
doc(L.Softmax, "nn.Softmax(dim) -> Softmax\n" ..
  "exp(x) / sum(exp(x)) along dim (1-based, negative from the end): each slice sums to 1.\n" ..
  "  nn.Softmax(2)(tensor.randn(4, 10)):sum(2)  -- all ones")
doc(L.LogSoftmax, "nn.LogSoftmax(dim) -> LogSoftmax\n" ..
  "log(softmax(x)) along dim, computed stably; pairs with nn.NLLLoss.\n" ..
  "  local logp = nn.LogSoftmax(2)(tensor.randn(4, 10))")

return L
