-- optim/lr_scheduler.lua: learning-rate schedules that change the lr of an
-- optimizer's parameter groups, as torch.optim.lr_scheduler: StepLR,
-- MultiStepLR, ExponentialLR, CosineAnnealingLR, LambdaLR, OneCycleLR.
-- Each computes PyTorch's recursive ("chainable") form, so its lr sequence
-- is PyTorch's to the last bit. Not here: ReduceLROnPlateau, CyclicLR, the
-- deprecated step(epoch).
local Optimizer = require("optim.optimizer")
local flat = require("optim.flat")

local fail, guard = Optimizer.fail, Optimizer.guard
local cos, pi = math.cos, math.pi

local sched = {}

local Scheduler = {}
Scheduler.__index = Scheduler

local function sethelp(f, text)
  if tensor.sethelp then tensor.sethelp(f, text) end
  return f
end

-- ------------------------------------------------------------ option checks

local function check_opts(name, opts, allowed)
  if opts == nil then return {} end
  if type(opts) ~= "table" then fail("%s: options table expected, got %s", name, type(opts)) end
  for k in pairs(opts) do
    if not allowed[k] then
      local names = {}
      for n in pairs(allowed) do names[#names + 1] = n end
      table.sort(names)
      fail("%s: unknown option '%s' (expected %s)", name, tostring(k), table.concat(names, ", "))
    end
  end
  return opts
end

local function opt_number(name, opts, key, default)
  local v = opts[key]
  if v == nil then
    if default == nil then fail("%s: option '%s' is required", name, key) end
    return default
  end
  if type(v) ~= "number" or v ~= v then fail("%s: option '%s' must be a number, got %s", name, key, type(v)) end
  return v
end

local function opt_integer(name, opts, key, default, min)
  local v = opts[key]
  if v == nil then
    if default == nil then fail("%s: option '%s' is required", name, key) end
    return default
  end
  if math.type(v) ~= "integer" then
    fail("%s: option '%s' must be an integer, got %s", name, key, math.type(v) and tostring(v) or type(v))
  end
  if v < min then fail("%s: option '%s' must be >= %d, got %d", name, key, min, v) end
  return v
end

local function opt_boolean(name, opts, key, default)
  local v = opts[key]
  if v == nil then return default end
  if type(v) ~= "boolean" then fail("%s: option '%s' must be a boolean, got %s", name, key, type(v)) end
  return v
end

local function allowed(...)
  local t = {last_epoch = true, verbose = true}
  for _, k in ipairs({...}) do t[k] = true end
  return t
end

-- ------------------------------------------------------------ the base

local function check_optimizer(name, opt)
  if not Optimizer.is_optimizer(opt) then
    fail("%s: an optimizer (optim.SGD(...), ...) expected as argument 1, got %s", name, type(opt))
  end
end

local function init(self, name, opt, opts)
  check_optimizer(name, opt)
  self.optimizer = opt
  local last_epoch = opt_integer(name, opts, "last_epoch", -1, -1)
  self.verbose = opt_boolean(name, opts, "verbose", false)
  if last_epoch == -1 then
    for _, group in ipairs(opt.param_groups) do
      if group.initial_lr == nil then group.initial_lr = group.lr end
    end
  else
    for i, group in ipairs(opt.param_groups) do
      if group.initial_lr == nil then
        fail("%s: param 'initial_lr' is not specified in param_groups[%d] when resuming an optimizer", name, i)
      end
    end
  end
  self.base_lrs = {}
  for i, group in ipairs(opt.param_groups) do self.base_lrs[i] = group.initial_lr end
  self.last_epoch = last_epoch
  self._step_count = 0
  self:step()
  return self
end

local function class(name)
  local cls = setmetatable({}, {__index = Scheduler})
  cls.__index = cls
  cls.__name = name
  cls.__tostring = function(self)
    return string.format("%s(last_epoch=%d, lr=%s)", name, self.last_epoch,
                         table.concat((function()
                           local s = {}
                           for i, v in ipairs(self._last_lr) do s[i] = string.format("%.6g", v) end
                           return s
                         end)(), ", "))
  end
  return cls
end

local function check_self(self, method)
  if type(self) ~= "table" or not self.optimizer then
    error(string.format("%s: call it as sched:%s(...), with a colon", method, method), 3)
  end
end

function Scheduler:step(epoch)
  check_self(self, "step")
  if epoch ~= nil then
    error(getmetatable(self).__name .. ":step: takes no epoch argument (PyTorch deprecated step(epoch)); "
          .. "call step() once per epoch or batch", 2)
  end
  self._step_count = self._step_count + 1
  self.last_epoch = self.last_epoch + 1
  local values = self:_get_lr()
  local last = {}
  for i, group in ipairs(self.optimizer.param_groups) do
    local lr = values[i]
    if lr ~= nil then -- nil: a group added after the scheduler was made, which it leaves alone (as PyTorch's zip)
      group.lr = lr
      if self.verbose then print(string.format("Adjusting learning rate of group %d to %.4e.", i, lr)) end
    end
    last[i] = group.lr
  end
  self._last_lr = last
end

function Scheduler:get_last_lr()
  check_self(self, "get_last_lr")
  local out = {}
  for i, v in ipairs(self._last_lr) do out[i] = v end
  return out
end

local function copy(v)
  if type(v) ~= "table" then return v end
  local c = {}
  for k, x in pairs(v) do c[k] = copy(x) end
  return c
end

-- Everything but the optimizer and functions (a LambdaLR's lambdas are
-- code, not state, as PyTorch leaves plain functions out too).
function Scheduler:state_dict()
  local sd = {}
  for k, v in pairs(self) do
    if k ~= "optimizer" and k ~= "lr_lambdas" and type(v) ~= "function" then sd[k] = copy(v) end
  end
  return sd
end

Scheduler.load_state_dict = guard(function(self, sd)
  local name = getmetatable(self).__name .. ":load_state_dict"
  if type(sd) ~= "table" then fail("%s: a state dict (table) expected, got %s", name, type(sd)) end
  if flat.is_flat(sd) then sd = flat.unflatten(sd) end
  local mine = self:state_dict()
  for k, v in pairs(sd) do
    if mine[k] == nil then fail("%s: unknown key '%s' (not a %s field)", name, tostring(k), getmetatable(self).__name) end
    if type(v) ~= type(mine[k]) then
      fail("%s: '%s' must be a %s, got %s", name, tostring(k), type(mine[k]), type(v))
    end
  end
  for k, v in pairs(sd) do self[k] = copy(v) end
end)

local function group_lrs(self)
  local out = {}
  for i, group in ipairs(self.optimizer.param_groups) do out[i] = group.lr end
  return out
end

-- Every group's lr times factor (StepLR, MultiStepLR, ExponentialLR).
local function scaled_lrs(self, factor)
  local out = {}
  for i, group in ipairs(self.optimizer.param_groups) do out[i] = group.lr * factor end
  return out
end

-- ------------------------------------------------------------ StepLR

local StepLR = class("StepLR")
local steplr_opts = allowed("step_size", "gamma")

function StepLR:_get_lr()
  if self.last_epoch == 0 or self.last_epoch % self.step_size ~= 0 then return group_lrs(self) end
  return scaled_lrs(self, self.gamma)
end

-- ------------------------------------------------------------ MultiStepLR

local MultiStepLR = class("MultiStepLR")
local multistep_opts = allowed("milestones", "gamma")

function MultiStepLR:_get_lr()
  local count = 0
  for _, m in ipairs(self.milestones) do
    if m == self.last_epoch then count = count + 1 end
  end
  if count == 0 then return group_lrs(self) end
  return scaled_lrs(self, self.gamma ^ count)
end

-- ------------------------------------------------------------ ExponentialLR

local ExponentialLR = class("ExponentialLR")
local exp_opts = allowed("gamma")

function ExponentialLR:_get_lr()
  if self.last_epoch == 0 then return group_lrs(self) end
  return scaled_lrs(self, self.gamma)
end

-- ------------------------------------------------------------ CosineAnnealingLR

local CosineAnnealingLR = class("CosineAnnealingLR")
local cosine_opts = allowed("T_max", "eta_min")

-- PyTorch's recursive form: lr_t from lr_{t-1}, so that a change made to
-- the lr from outside carries on; it equals the closed form
-- eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2 when only
-- this scheduler changes the lr.
function CosineAnnealingLR:_get_lr()
  local e, T, eta_min = self.last_epoch, self.T_max, self.eta_min
  local groups = self.optimizer.param_groups
  local out = {}
  if e == 0 then return group_lrs(self) end
  if self._step_count == 1 and e > 0 then
    for i, base in ipairs(self.base_lrs) do out[i] = eta_min + (base - eta_min) * (1 + cos(e * pi / T)) / 2 end
  elseif (e - 1 - T) % (2 * T) == 0 then
    for i, base in ipairs(self.base_lrs) do out[i] = groups[i].lr + (base - eta_min) * (1 - cos(pi / T)) / 2 end
  else
    for i, group in ipairs(groups) do
      out[i] = (1 + cos(pi * e / T)) / (1 + cos(pi * (e - 1) / T)) * (group.lr - eta_min) + eta_min
    end
  end
  return out
end

-- ------------------------------------------------------------ LambdaLR

local LambdaLR = class("LambdaLR")
local lambda_opts = allowed("lr_lambda")

function LambdaLR:_get_lr()
  local out = {}
  for i, base in ipairs(self.base_lrs) do
    local f = self.lr_lambdas[i]
    local factor = f(self.last_epoch)
    if type(factor) ~= "number" then
      error(string.format("LambdaLR: lr_lambda for group %d returned a %s, expected a number", i, type(factor)), 0)
    end
    out[i] = base * factor
  end
  return out
end

-- ------------------------------------------------------------ OneCycleLR

local OneCycleLR = class("OneCycleLR")
local onecycle_opts = allowed("max_lr", "total_steps", "epochs", "steps_per_epoch", "pct_start", "anneal_strategy",
                              "cycle_momentum", "base_momentum", "max_momentum", "div_factor", "final_div_factor",
                              "three_phase")

local function anneal(strategy, start, stop, pct)
  if strategy == "cos" then return stop + (start - stop) / 2.0 * (cos(pi * pct) + 1) end
  return (stop - start) * pct + start
end

function OneCycleLR:_get_lr()
  local step_num = self.last_epoch
  if step_num > self.total_steps then
    error(string.format("OneCycleLR: tried to step %d times; the specified number of total steps is %d",
                        step_num + 1, self.total_steps), 0)
  end
  local phases = self._schedule_phases
  local out = {}
  for gi, group in ipairs(self.optimizer.param_groups) do
    local start_step = 0
    local lr, momentum
    for i, phase in ipairs(phases) do
      local end_step = phase.end_step
      if step_num <= end_step or i == #phases then
        local pct = (step_num - start_step) / (end_step - start_step)
        lr = anneal(self.anneal_strategy, group[phase.start_lr], group[phase.end_lr], pct)
        if self.cycle_momentum then
          momentum = anneal(self.anneal_strategy, group[phase.start_momentum], group[phase.end_momentum], pct)
        end
        break
      end
      start_step = phase.end_step
    end
    out[gi] = lr
    if self.cycle_momentum then
      if self.use_beta1 then group.betas[1] = momentum else group.momentum = momentum end
    end
  end
  return out
end

-- A number for every group, from a number or a list of them.
local function per_group(name, opt, key, v)
  local n = #opt.param_groups
  if type(v) == "table" then
    if #v ~= n then fail("%s: expected %d values for %s, got %d", name, n, key, #v) end
    for i = 1, n do
      if type(v[i]) ~= "number" then fail("%s: %s[%d] must be a number, got %s", name, key, i, type(v[i])) end
    end
    return v
  end
  if type(v) ~= "number" then fail("%s: option '%s' must be a number or a list of numbers, got %s", name, key, type(v)) end
  local out = {}
  for i = 1, n do out[i] = v end
  return out
end

-- ------------------------------------------------------------ constructors

function sched.new_StepLR(opt, opts)
  local name = "StepLR"
  opts = check_opts(name, opts, steplr_opts)
  local self = setmetatable({}, StepLR)
  self.step_size = opt_integer(name, opts, "step_size", nil, 1)
  self.gamma = opt_number(name, opts, "gamma", 0.1)
  return init(self, name, opt, opts)
end

function sched.new_MultiStepLR(opt, opts)
  local name = "MultiStepLR"
  opts = check_opts(name, opts, multistep_opts)
  local self = setmetatable({}, MultiStepLR)
  local ms = opts.milestones
  if type(ms) ~= "table" then fail("%s: option 'milestones' must be a list of integers, got %s", name, type(ms)) end
  self.milestones = {}
  for i, m in ipairs(ms) do
    if math.type(m) ~= "integer" then fail("%s: milestones[%d] must be an integer, got %s", name, i, tostring(m)) end
    self.milestones[i] = m
  end
  table.sort(self.milestones)
  self.gamma = opt_number(name, opts, "gamma", 0.1)
  return init(self, name, opt, opts)
end

function sched.new_ExponentialLR(opt, opts)
  local name = "ExponentialLR"
  opts = check_opts(name, opts, exp_opts)
  local self = setmetatable({}, ExponentialLR)
  self.gamma = opt_number(name, opts, "gamma", nil)
  return init(self, name, opt, opts)
end

function sched.new_CosineAnnealingLR(opt, opts)
  local name = "CosineAnnealingLR"
  opts = check_opts(name, opts, cosine_opts)
  local self = setmetatable({}, CosineAnnealingLR)
  self.T_max = opt_number(name, opts, "T_max", nil)
  if self.T_max <= 0 then fail("%s: option 'T_max' must be > 0, got %s", name, tostring(self.T_max)) end
  self.eta_min = opt_number(name, opts, "eta_min", 0)
  return init(self, name, opt, opts)
end

function sched.new_LambdaLR(opt, opts)
  local name = "LambdaLR"
  opts = check_opts(name, opts, lambda_opts)
  local self = setmetatable({}, LambdaLR)
  local f = opts.lr_lambda
  check_optimizer(name, opt)
  local n = #opt.param_groups
  self.lr_lambdas = {}
  if type(f) == "function" then
    for i = 1, n do self.lr_lambdas[i] = f end
  elseif type(f) == "table" then
    if #f ~= n then fail("%s: expected %d lr_lambdas (one per group), but got %d", name, n, #f) end
    for i = 1, n do
      if type(f[i]) ~= "function" then fail("%s: lr_lambda[%d] must be a function, got %s", name, i, type(f[i])) end
      self.lr_lambdas[i] = f[i]
    end
  else
    fail("%s: option 'lr_lambda' must be a function or a list of functions, got %s", name, type(f))
  end
  return init(self, name, opt, opts)
end

function sched.new_OneCycleLR(opt, opts)
  local name = "OneCycleLR"
  opts = check_opts(name, opts, onecycle_opts)
  check_optimizer(name, opt)
  local self = setmetatable({}, OneCycleLR)
  if opts.total_steps == nil and opts.epochs == nil and opts.steps_per_epoch == nil then
    fail("%s: you must define either total_steps OR (epochs AND steps_per_epoch)", name)
  elseif opts.total_steps ~= nil then
    self.total_steps = opt_integer(name, opts, "total_steps", nil, 1)
  else
    local epochs = opt_integer(name, opts, "epochs", nil, 1)
    local spe = opt_integer(name, opts, "steps_per_epoch", nil, 1)
    self.total_steps = epochs * spe
  end
  local pct = opt_number(name, opts, "pct_start", 0.3)
  if pct < 0 or pct > 1 then fail("%s: expected pct_start between 0 and 1, got %s", name, tostring(pct)) end
  local three = opt_boolean(name, opts, "three_phase", false)
  local T = self.total_steps
  if three then
    self._schedule_phases = {
      {end_step = pct * T - 1, start_lr = "initial_lr", end_lr = "max_lr",
       start_momentum = "max_momentum", end_momentum = "base_momentum"},
      {end_step = 2 * pct * T - 2, start_lr = "max_lr", end_lr = "initial_lr",
       start_momentum = "base_momentum", end_momentum = "max_momentum"},
      {end_step = T - 1, start_lr = "initial_lr", end_lr = "min_lr",
       start_momentum = "max_momentum", end_momentum = "max_momentum"},
    }
  else
    self._schedule_phases = {
      {end_step = pct * T - 1, start_lr = "initial_lr", end_lr = "max_lr",
       start_momentum = "max_momentum", end_momentum = "base_momentum"},
      {end_step = T - 1, start_lr = "max_lr", end_lr = "min_lr",
       start_momentum = "base_momentum", end_momentum = "max_momentum"},
    }
  end
  for _, ph in ipairs(self._schedule_phases) do ph.end_step = ph.end_step + 0.0 end -- floats, as PyTorch's
  local strategy = opts.anneal_strategy or "cos"
  if strategy ~= "cos" and strategy ~= "linear" then
    fail("%s: anneal_strategy must be one of 'cos' or 'linear', got %s", name, tostring(strategy))
  end
  self.anneal_strategy = strategy
  local div = opt_number(name, opts, "div_factor", 25.0)
  local final_div = opt_number(name, opts, "final_div_factor", 1e4)
  if opts.max_lr == nil then fail("%s: option 'max_lr' is required", name) end
  local max_lrs = per_group(name, opt, "max_lr", opts.max_lr)
  local last_epoch = opt_integer(name, opts, "last_epoch", -1, -1)
  self.cycle_momentum = opt_boolean(name, opts, "cycle_momentum", true)
  local maxm, basem
  if self.cycle_momentum then
    local d = opt.defaults
    if d.momentum == nil and d.betas == nil then
      fail("%s: optimizer must support momentum with `cycle_momentum` option enabled", name)
    end
    self.use_beta1 = d.betas ~= nil
    maxm = per_group(name, opt, "max_momentum", opts.max_momentum == nil and 0.95 or opts.max_momentum)
    basem = per_group(name, opt, "base_momentum", opts.base_momentum == nil and 0.85 or opts.base_momentum)
  else
    self.use_beta1 = false
  end
  -- everything checked: now the groups get their bounds, as PyTorch's
  if last_epoch == -1 then
    for i, group in ipairs(opt.param_groups) do
      group.initial_lr = max_lrs[i] / div
      group.max_lr = max_lrs[i]
      group.min_lr = group.initial_lr / final_div
      if maxm then
        if self.use_beta1 then group.betas[1] = maxm[i] else group.momentum = maxm[i] end
        group.max_momentum = maxm[i]
        group.base_momentum = basem[i]
      end
    end
  end
  return init(self, name, opt, opts)
end

local constructors = {}
for _, n in ipairs({"StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR", "OneCycleLR"}) do
  constructors[n] = guard(sched["new_" .. n])
end

-- ------------------------------------------------------------ help

local H = {
  StepLR = "optim.lr_scheduler.StepLR(opt, {step_size=, gamma=0.1, last_epoch=-1, verbose=false})\n"
    .. "Multiplies each group's lr by gamma every step_size calls of step().\n"
    .. "  local s = optim.lr_scheduler.StepLR(opt, {step_size=30, gamma=0.1})  -- s:step() once per epoch",
  MultiStepLR = "optim.lr_scheduler.MultiStepLR(opt, {milestones={...}, gamma=0.1, last_epoch=-1, verbose=false})\n"
    .. "Multiplies each group's lr by gamma when the epoch count reaches a milestone.\n"
    .. "  local s = optim.lr_scheduler.MultiStepLR(opt, {milestones={30, 80}})",
  ExponentialLR = "optim.lr_scheduler.ExponentialLR(opt, {gamma=, last_epoch=-1, verbose=false})\n"
    .. "Multiplies each group's lr by gamma at every step().\n"
    .. "  local s = optim.lr_scheduler.ExponentialLR(opt, {gamma=0.95})",
  CosineAnnealingLR = "optim.lr_scheduler.CosineAnnealingLR(opt, {T_max=, eta_min=0, last_epoch=-1, verbose=false})\n"
    .. "Anneals each group's lr from its initial value to eta_min along half a cosine over T_max steps\n"
    .. "(then back up, as PyTorch's does past T_max).\n"
    .. "  local s = optim.lr_scheduler.CosineAnnealingLR(opt, {T_max=100})",
  LambdaLR = "optim.lr_scheduler.LambdaLR(opt, {lr_lambda=fn or {fn, ...}, last_epoch=-1, verbose=false})\n"
    .. "Sets each group's lr to its initial lr times lr_lambda(epoch) (one function, or one per group).\n"
    .. "  local s = optim.lr_scheduler.LambdaLR(opt, {lr_lambda=function(e) return 0.95 ^ e end})",
  OneCycleLR = "optim.lr_scheduler.OneCycleLR(opt, {max_lr=, total_steps= or epochs= and steps_per_epoch=, ...})\n"
    .. "  options: pct_start=0.3, anneal_strategy='cos', cycle_momentum=true, base_momentum=0.85, max_momentum=0.95,\n"
    .. "  div_factor=25, final_div_factor=1e4, three_phase=false, last_epoch=-1, verbose=false\n"
    .. "The 1cycle policy: lr rises from max_lr/div_factor to max_lr over pct_start of the steps, then falls\n"
    .. "to max_lr/div_factor/final_div_factor (momentum, or Adam's beta1, moves the other way). Call\n"
    .. "step() after every batch.\n"
    .. "  local s = optim.lr_scheduler.OneCycleLR(opt, {max_lr=0.1, epochs=3, steps_per_epoch=#loader})",
}
for n, f in pairs(constructors) do sethelp(f, H[n]) end

sethelp(Scheduler.step, "sched:step()\n"
  .. "Advances the schedule by one epoch (or batch, for OneCycleLR) and sets each group's lr.\n"
  .. "Call it after opt:step().\n"
  .. "  opt:step(); sched:step()")
sethelp(Scheduler.get_last_lr, "sched:get_last_lr() -> {lr, ...}\n"
  .. "The lrs the last step() set, one per parameter group.\n"
  .. "  print(sched:get_last_lr()[1])")
sethelp(Scheduler.state_dict, "sched:state_dict() -> table\n"
  .. "The scheduler's state (its counters and settings; not the optimizer, not lr_lambda functions).\n"
  .. "optim.flatten(sd) makes it savable with tensor.save.\n"
  .. "  local sd = sched:state_dict()")
sethelp(Scheduler.load_state_dict, "sched:load_state_dict(sd)\n"
  .. "Restores a state from sched:state_dict() (or its flat form, optim.flatten(sd)).\n"
  .. "  sched:load_state_dict(sd)")
sethelp(constructors, "optim.lr_scheduler: learning-rate schedules (PyTorch's torch.optim.lr_scheduler).\n"
  .. "A scheduler changes the lr of an optimizer's param_groups each time you call its step().\n"
  .. "  local s = optim.lr_scheduler.StepLR(opt, {step_size=10}); for epoch = 1, 30 do train(); s:step() end")

return constructors
