-- optim/sgd.lua: stochastic gradient descent with momentum, dampening,
-- Nesterov momentum, weight decay and maximize, as torch.optim.SGD. Only
-- the update is here; groups, state and state dicts are in optimizer.lua.
--
-- For each parameter p with gradient g (PyTorch's documented update):
--   g <- -g if maximize;  g <- g + weight_decay * p
--   if momentum ~= 0:  b <- g (first step), else b <- momentum * b + (1 - dampening) * g
--                      g <- g + momentum * b if nesterov, else g <- b
--   p <- p - lr * g
local Optimizer = require("optim.optimizer")
local check = Optimizer.check

local options = {
  {"lr", nil, check.nonneg},
  {"momentum", 0, check.nonneg},
  {"dampening", 0, check.number},
  {"weight_decay", 0, check.nonneg},
  {"nesterov", false, check.boolean},
  {"maximize", false, check.boolean},
}

local function check_group(where, g)
  if g.nesterov and (g.momentum <= 0 or g.dampening ~= 0) then
    Optimizer.fail("%s: Nesterov momentum requires a momentum and zero dampening (momentum=%s, dampening=%s)",
                   where, tostring(g.momentum), tostring(g.dampening))
  end
end

local fused_update = require("tensh.optimf").sgd_update
local float_dtypes = {float32 = true, float64 = true}

-- The fused kernel takes contiguous float32/float64 parameters with a
-- gradient (and a momentum buffer, if any: a loaded state dict may hold
-- another dtype) of the same dtype: one pass instead of three to five ops.
-- It is a CPU kernel (a device backend adds its own sgd_update, then this
-- test).
local function fusable(p, g, buf)
  local dt = p:dtype()
  return float_dtypes[dt] and g:dtype() == dt and p:is_contiguous() and p:device() == "cpu" and
         (buf == nil or buf:dtype() == dt and buf:is_contiguous())
end

local function update(self, group)
  local lr, momentum, wd = group.lr, group.momentum, group.weight_decay
  if type(lr) ~= "number" then error("SGD:step: group lr must be a number, got " .. type(lr), 0) end
  local nesterov, maximize = group.nesterov, group.maximize
  local lr_opts = {alpha = -lr}
  local wd_opts = wd ~= 0 and {alpha = wd} or nil
  local damp_opts = {alpha = 1 - group.dampening}
  local nest_opts = nesterov and {alpha = momentum} or nil
  local fused_opts = {lr = lr, momentum = momentum, dampening = group.dampening, weight_decay = wd,
                      nesterov = nesterov, maximize = maximize, first = false}
  local state = self.state
  local ps = group.params
  for i = 1, #ps do
    local p = ps[i]
    local g = p.grad
    if g ~= nil then
      local st
      if momentum ~= 0 then
        st = state[p]
        if st == nil then
          st = {}
          state[p] = st
        end
      end
      local buf = st and st.momentum_buffer
      if fusable(p, g, buf) then
        fused_opts.first = st ~= nil and buf == nil
        if fused_opts.first then
          buf = tensor.empty_like(p)
          st.momentum_buffer = buf
        end
        fused_update(p, g, buf, fused_opts)
      else
        if maximize then g = -g end
        if wd_opts then g = g:add(p, wd_opts) end
        if st then
          if buf == nil then
            buf = g:clone()
            st.momentum_buffer = buf
          else
            buf:mul_(momentum):add_(g, damp_opts)
          end
          if nesterov then g = g:add(buf, nest_opts) else g = buf end
        end
        p:add_(g, lr_opts)
      end
    end
  end
end

local SGD, new = Optimizer.class("SGD", options, update, check_group)
return {class = SGD, new = new}
