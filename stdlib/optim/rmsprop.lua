-- optim/rmsprop.lua: RMSprop with momentum, centering, weight decay and
-- maximize, as torch.optim.RMSprop. Only the update is here; groups, state
-- and state dicts are in optimizer.lua.
--
-- For each parameter p with gradient g:
--   g <- -g if maximize;  g <- g + weight_decay * p
--   v <- alpha * v + (1 - alpha) * g^2
--   centered: a <- alpha * a + (1 - alpha) * g;  d = sqrt(v - a^2) + eps,  else d = sqrt(v) + eps
--   momentum > 0: b <- momentum * b + g / d;  p <- p - lr * b
--   else          p <- p - lr * g / d
local Optimizer = require("optim.optimizer")
local check = Optimizer.check

local options = {
  {"lr", 1e-2, check.nonneg},
  {"alpha", 0.99, check.nonneg},
  {"eps", 1e-8, check.nonneg},
  {"weight_decay", 0, check.nonneg},
  {"momentum", 0, check.nonneg},
  {"centered", false, check.boolean},
  {"maximize", false, check.boolean},
}

local function update(self, group)
  local lr, alpha, eps, wd, momentum = group.lr, group.alpha, group.eps, group.weight_decay, group.momentum
  if type(lr) ~= "number" then error("RMSprop:step: group lr must be a number, got " .. type(lr), 0) end
  local centered, maximize = group.centered, group.maximize
  local lr_opts = {alpha = -lr}
  local avg_opts = {alpha = 1 - alpha}
  local wd_opts = wd ~= 0 and {alpha = wd} or nil
  local state = self.state
  local ps = group.params
  for i = 1, #ps do
    local p = ps[i]
    local g = p.grad
    if g ~= nil then
      if maximize then g = -g end
      local st = state[p]
      if st == nil then
        st = {step = 0, square_avg = tensor.zeros_like(p)}
        state[p] = st
      end
      st.step = st.step + 1
      if wd_opts then g = g:add(p, wd_opts) end
      local v = st.square_avg
      v:mul_(alpha):add_(g * g, avg_opts)
      local d
      if centered then
        local a = st.grad_avg
        if a == nil then
          a = tensor.zeros_like(p)
          st.grad_avg = a
        end
        a:mul_(alpha):add_(g, avg_opts)
        d = (v - a * a):sqrt_()
      else
        d = v:sqrt()
      end
      d:add_(eps)
      if momentum > 0 then
        local buf = st.momentum_buffer
        if buf == nil then
          buf = tensor.zeros_like(p)
          st.momentum_buffer = buf
        end
        buf:mul_(momentum):add_(g / d)
        p:add_(buf, lr_opts)
      else
        p:add_(g / d, lr_opts)
      end
    end
  end
end

local RMSprop, new = Optimizer.class("RMSprop", options, update)
return {class = RMSprop, new = new}
