-- optim/adam.lua: Adam and AdamW (decoupled weight decay), with amsgrad and
-- maximize, as torch.optim.Adam and torch.optim.AdamW. Only the updates are
-- here; groups, state and state dicts are in optimizer.lua.
--
-- For each parameter p with gradient g, at step t (counted per parameter):
--   g <- -g if maximize
--   Adam:  g <- g + weight_decay * p          AdamW:  p <- p * (1 - lr * weight_decay)
--   m <- beta1 * m + (1 - beta1) * g;   v <- beta2 * v + (1 - beta2) * g^2
--   amsgrad: vmax <- max(vmax, v) and v' = vmax, else v' = v
--   p <- p - lr / (1 - beta1^t) * m / (sqrt(v') / sqrt(1 - beta2^t) + eps)
-- (PyTorch keeps the running maximum of v itself, not of the bias-corrected
-- v, and adds eps after the bias correction; so does this.)
local Optimizer = require("optim.optimizer")
local check = Optimizer.check

local function options(weight_decay)
  return {
    {"lr", 1e-3, check.nonneg},
    {"betas", {0.9, 0.999}, check.betas},
    {"eps", 1e-8, check.nonneg},
    {"weight_decay", weight_decay, check.nonneg},
    {"amsgrad", false, check.boolean},
    {"maximize", false, check.boolean},
  }
end

local sqrt = math.sqrt

local function make_update(name, decoupled)
  local lr_msg = name .. ":step: group lr must be a number, got "
  return function(self, group)
    local lr, wd, eps, amsgrad = group.lr, group.weight_decay, group.eps, group.amsgrad
    if type(lr) ~= "number" then error(lr_msg .. type(lr), 0) end
    local beta1, beta2 = group.betas[1], group.betas[2]
    local m_opts, v_opts = {alpha = 1 - beta1}, {alpha = 1 - beta2}
    local wd_opts = (wd ~= 0 and not decoupled) and {alpha = wd} or nil
    local shrink = decoupled and wd ~= 0 and 1 - lr * wd or nil
    local maximize = group.maximize
    local state = self.state
    local ps = group.params
    for i = 1, #ps do
      local p = ps[i]
      local g = p.grad
      if g ~= nil then
        if maximize then g = -g end
        local st = state[p]
        if st == nil then
          st = {step = 0, exp_avg = tensor.zeros_like(p), exp_avg_sq = tensor.zeros_like(p)}
          if amsgrad then st.max_exp_avg_sq = tensor.zeros_like(p) end
          state[p] = st
        end
        local t = st.step + 1
        st.step = t
        if shrink then p:mul_(shrink) elseif wd_opts then g = g:add(p, wd_opts) end
        local m, v = st.exp_avg, st.exp_avg_sq
        m:mul_(beta1):add_(g, m_opts)
        v:mul_(beta2):add_(g * g, v_opts)
        local bc1 = 1 - beta1 ^ t
        local bc2_sqrt = sqrt(1 - beta2 ^ t)
        local denom
        if amsgrad then
          local vmax = st.max_exp_avg_sq
          if vmax == nil then -- amsgrad turned on after the first steps
            vmax = tensor.zeros_like(p)
            st.max_exp_avg_sq = vmax
          end
          vmax:copy_(tensor.maximum(vmax, v))
          denom = vmax:sqrt()
        else
          denom = v:sqrt()
        end
        denom:div_(bc2_sqrt):add_(eps)
        p:add_(m / denom, {alpha = -(lr / bc1)})
      end
    end
  end
end

local Adam, new_adam = Optimizer.class("Adam", options(0), make_update("Adam", false))
local AdamW, new_adamw = Optimizer.class("AdamW", options(1e-2), make_update("AdamW", true))
return {Adam = Adam, new_adam = new_adam, AdamW = AdamW, new_adamw = new_adamw}
