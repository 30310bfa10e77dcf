-- autograd.lua: tools around the autograd engine (which is in C: see
-- requires_grad, backward and tensor.no_grad). gradcheck compares the
-- gradients backward() computes with central differences, as PyTorch's
-- torch.autograd.gradcheck does; use float64 inputs.
local autograd = {}

local function sethelp(f, text)
  if tensor.sethelp then tensor.sethelp(f, text) end
  return f
end

-- The inputs that are tensors requiring grad, in order.
local function grad_inputs(inputs)
  local list = {}
  for i = 1, inputs.n do
    local x = inputs[i]
    if tensor.is_tensor(x) and x.requires_grad then list[#list + 1] = x end
  end
  return list
end

local function outputs_of(fn, inputs)
  local out = table.pack(fn(table.unpack(inputs, 1, inputs.n)))
  local list = {}
  for i = 1, out.n do
    if tensor.is_tensor(out[i]) and out[i]:is_floating_point() then list[#list + 1] = out[i] end
  end
  return list
end

-- L = sum over outputs of sum(out * w): one random projection of the
-- Jacobian, which checks every input gradient at once.
local function projected(outs, weights)
  local total = 0
  for i, o in ipairs(outs) do
    total = total + (o:double() * weights[i]):sum():item()
  end
  return total
end

function autograd.gradcheck(fn, inputs, opts)
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "eps" and k ~= "atol" and k ~= "rtol" and k ~= "raise" then
      error("gradcheck: unknown option '" .. tostring(k) .. "' (expected eps, atol, rtol, raise)", 2)
    end
  end
  if type(fn) ~= "function" then error("gradcheck: function expected, got " .. type(fn), 2) end
  if type(inputs) ~= "table" then error("gradcheck: a table of inputs expected, got " .. type(inputs), 2) end
  local eps, atol, rtol = opts.eps or 1e-6, opts.atol or 1e-5, opts.rtol or 1e-3
  local raise = opts.raise ~= false
  -- One copy of the list, taken as fn's arguments are: a table whose __len
  -- is past what a call can take fails here, not in a 2^40-step loop.
  local ok, args = pcall(function() return table.pack(table.unpack(inputs, 1, #inputs)) end)
  if not ok then error("gradcheck: the inputs cannot be passed to fn: " .. tostring(args):gsub("^.-:%d+: ", ""), 2) end
  inputs = args
  local xs = grad_inputs(inputs)
  if #xs == 0 then error("gradcheck: no input requires grad", 2) end
  for _, x in ipairs(xs) do
    if x:dtype() ~= "float64" then
      error("gradcheck: inputs should be float64 for accurate differences, got " .. x:dtype(), 2)
    end
    x.grad = nil
  end
  local outs = outputs_of(fn, inputs)
  if #outs == 0 then error("gradcheck: fn returned no floating point tensor", 2) end
  local weights = {}
  for i, o in ipairs(outs) do weights[i] = tensor.randn(o:size(), {dtype = "float64"}) end
  local loss
  for i, o in ipairs(outs) do
    if not o.requires_grad then error("gradcheck: output " .. i .. " does not require grad", 2) end
    local term = (o:double() * weights[i]):sum()
    loss = loss and loss + term or term
  end
  loss:backward()
  for k, x in ipairs(xs) do
    local analytic = x.grad and x.grad:clone() or tensor.zeros_like(x)
    local flat = x:detach():view(-1)
    local n = flat:numel()
    for j = 1, n do
      local v = flat[j]:item()
      local lp, lm
      tensor.no_grad(function()
        flat[j] = v + eps
        lp = projected(outputs_of(fn, inputs), weights)
        flat[j] = v - eps
        lm = projected(outputs_of(fn, inputs), weights)
        flat[j] = v
      end)
      local numeric = (lp - lm) / (2 * eps)
      local a = analytic:view(-1)[j]:item()
      if math.abs(a - numeric) > atol + rtol * math.abs(numeric) then
        local msg = string.format("gradcheck: input %d element %d: backward gave %.10g, "
          .. "central differences %.10g", k, j, a, numeric)
        if raise then error(msg, 2) end
        return false, msg
      end
    end
  end
  for _, x in ipairs(xs) do x.grad = nil end
  return true
end

sethelp(autograd.gradcheck,
  "autograd.gradcheck(fn, inputs, {eps=1e-6, atol=1e-5, rtol=1e-3, raise=true}) -> true\n"
  .. "Checks the gradients backward() gives for fn(table.unpack(inputs)) against central\n"
  .. "differences, for every input tensor that requires grad (use float64). Raises on a\n"
  .. "mismatch (or returns false, message with raise=false).\n"
  .. "  autograd.gradcheck(function(x) return x:exp() end, {tensor.randn({3}, {dtype='float64', requires_grad=true})})")
sethelp(autograd, "autograd: tools for gradients; the engine is in tensor (requires_grad, backward, no_grad).\n"
  .. "  autograd.gradcheck(fn, inputs) checks backward against central differences.")

return autograd
