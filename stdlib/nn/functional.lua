-- nn/functional.lua: nn.functional (F), PyTorch's torch.nn.functional for
-- tensh. The layers and losses are C functions with their own autograd
-- nodes (the "tensh.nnf" module, interp/lua/l_nnf.c); the activations,
-- softmax and flatten are thin wrappers of tensor methods, so they share
-- their gradients. Class targets and embedding indices are 1-based. Not
-- here: modules (nn.Conv2d, ...), which call these.
local C = require("tensh.nnf")

local F = {}
for name, fn in pairs(C) do F[name] = fn end

local function sethelp(f, text)
  if tensor.sethelp then tensor.sethelp(f, text) end
  return f
end

-- Options of the wrappers: a table with only the named keys (or nil).
local function options(fname, opts, allowed)
  if opts == nil then return {} end
  if type(opts) ~= "table" or tensor.is_tensor(opts) then
    error(string.format("%s: options table expected, got %s", fname, tensor.is_tensor(opts) and "a tensor"
      or type(opts)), 3)
  end
  for k in pairs(opts) do
    local ok = false
    for _, a in ipairs(allowed) do ok = ok or k == a end
    if not ok then
      error(string.format("%s: unknown option '%s' (expected %s)", fname, tostring(k),
        #allowed > 0 and table.concat(allowed, ", ") or "no options"), 3)
    end
  end
  return opts
end

local function checked(fname, x)
  if not tensor.is_tensor(x) then
    error(string.format("%s: input must be a tensor, got %s", fname, type(x)), 3)
  end
  return x
end

-- relu/silu take {inplace=}, as torch's inplace=False argument.
local function activation(name, help)
  local inplace = name .. "_"
  return sethelp(function(x, opts)
    checked(name, x)
    if options(name, opts, {"inplace"}).inplace then return x[inplace](x) end
    return x[name](x)
  end, help)
end

F.relu = activation("relu", "F.relu(x, {inplace=false}) -> tensor\nmax(x, 0) elementwise (x:relu()).\n"
  .. "  F.relu(tensor{-1.0, 2.0})  -- {0, 2}")
F.silu = activation("silu", "F.silu(x, {inplace=false}) -> tensor\nx * sigmoid(x) elementwise (x:silu()).\n"
  .. "  F.silu(tensor{0.0, 1.0})")

F.gelu = sethelp(function(x, opts)
  checked("gelu", x)
  options("gelu", opts, {"approximate"})
  return x:gelu(opts)
end, "F.gelu(x, {approximate='none'}) -> tensor\nx * Phi(x) (the erf form; approximate='tanh' for the "
  .. "tanh form).\n  F.gelu(tensor{0.0, 1.0})")

F.tanh = sethelp(function(x) return checked("tanh", x):tanh() end,
  "F.tanh(x) -> tensor\nHyperbolic tangent elementwise.\n  F.tanh(tensor{0.0, 1.0})")
F.sigmoid = sethelp(function(x) return checked("sigmoid", x):sigmoid() end,
  "F.sigmoid(x) -> tensor\n1 / (1 + exp(-x)) elementwise.\n  F.sigmoid(tensor{0.0})  -- {0.5}")

F.softmax = sethelp(function(x, dim, opts)
  checked("softmax", x)
  if dim == nil then error("softmax: dim is required (1-based, or negative from the end)", 2) end
  return tensor.softmax(x, dim, opts)
end, "F.softmax(x, dim[, {dtype=}]) -> tensor\nexp(x) normalised to sum to 1 along dim.\n"
  .. "  F.softmax(tensor{{1.0, 2.0}}, 2)")

F.log_softmax = sethelp(function(x, dim, opts)
  checked("log_softmax", x)
  if dim == nil then error("log_softmax: dim is required (1-based, or negative from the end)", 2) end
  return tensor.log_softmax(x, dim, opts)
end, "F.log_softmax(x, dim[, {dtype=}]) -> tensor\nlog(softmax(x, dim)), computed stably.\n"
  .. "  F.log_softmax(tensor{{1.0, 2.0}}, 2)")

F.flatten = sethelp(function(x, start_dim, end_dim)
  return checked("flatten", x):flatten(start_dim or 1, end_dim or -1)
end, "F.flatten(x, start_dim=1, end_dim=-1) -> tensor\nMerges dims start_dim..end_dim (1-based, inclusive) "
  .. "into one.\n  F.flatten(tensor.zeros({2, 3, 4}), 2)  -- 2x12")

sethelp(F, "nn.functional (F): PyTorch's functional layers and losses.\n"
  .. "  linear, conv2d, max_pool2d, avg_pool2d, adaptive_avg_pool2d, batch_norm, layer_norm,\n"
  .. "  embedding, dropout, cross_entropy, nll_loss, mse_loss, l1_loss,\n"
  .. "  binary_cross_entropy_with_logits, relu, gelu, silu, tanh, sigmoid, softmax, log_softmax, flatten.\n"
  .. "  local F = require('nn.functional'); F.cross_entropy(logits, targets)")

return F
