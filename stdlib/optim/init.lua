-- optim: optimizers and learning-rate schedulers with PyTorch's semantics
-- (the `optim` global, loaded on first use). This file assembles the module
-- and holds its help texts; the shared machinery is optimizer.lua, the
-- updates are sgd.lua, adam.lua and rmsprop.lua, the schedules
-- lr_scheduler.lua and the savable state-dict encoding flat.lua.
local Optimizer = require("optim.optimizer")
local flat = require("optim.flat")
local sgd = require("optim.sgd")
local adam = require("optim.adam")
local rmsprop = require("optim.rmsprop")
local lr_scheduler = require("optim.lr_scheduler")

local function sethelp(f, text)
  if tensor.sethelp then tensor.sethelp(f, text) end
  return f
end

local optim = {
  SGD = sgd.new,
  Adam = adam.new_adam,
  AdamW = adam.new_adamw,
  RMSprop = rmsprop.new,
  lr_scheduler = lr_scheduler,
  flatten = Optimizer.guard(flat.flatten),
  unflatten = Optimizer.guard(flat.unflatten),
}

-- Whether x is an optimizer (any of optim's classes).
optim.is_optimizer = Optimizer.is_optimizer

local PARAMS = "params is a list of tensors, or of parameter groups {params={...}, lr=...} with their own options.\n"

sethelp(optim.SGD,
  "optim.SGD(params, {lr=, momentum=0, dampening=0, weight_decay=0, nesterov=false, maximize=false}) -> optimizer\n"
  .. "Stochastic gradient descent, with (Nesterov) momentum and weight decay, as torch.optim.SGD.\n" .. PARAMS
  .. "  local opt = optim.SGD(model:parameters(), {lr=0.01, momentum=0.9})")
sethelp(optim.Adam,
  "optim.Adam(params, {lr=1e-3, betas={0.9, 0.999}, eps=1e-8, weight_decay=0, amsgrad=false, maximize=false})"
  .. " -> optimizer\nAdam, as torch.optim.Adam (weight decay added to the gradient).\n" .. PARAMS
  .. "  local opt = optim.Adam(model:parameters(), {lr=1e-3})")
sethelp(optim.AdamW,
  "optim.AdamW(params, {lr=1e-3, betas={0.9, 0.999}, eps=1e-8, weight_decay=1e-2, amsgrad=false, maximize=false})"
  .. " -> optimizer\nAdam with decoupled weight decay (p <- p * (1 - lr * weight_decay) each step), as torch.optim.AdamW.\n"
  .. PARAMS .. "  local opt = optim.AdamW(model:parameters(), {lr=1e-3, weight_decay=0.05})")
sethelp(optim.RMSprop,
  "optim.RMSprop(params, {lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=false,"
  .. " maximize=false}) -> optimizer\nRMSprop, as torch.optim.RMSprop.\n" .. PARAMS
  .. "  local opt = optim.RMSprop(model:parameters(), {lr=1e-3, momentum=0.9})")
sethelp(optim.flatten,
  "optim.flatten(state_dict[, prefix]) -> table of tensors\n"
  .. "Encodes an optimizer's or scheduler's state dict as a flat, string-keyed table of tensors, which\n"
  .. "tensor.save can write: tensors under dotted keys ('state.1.exp_avg'), Lua numbers, booleans and\n"
  .. "lists of them as float64/int64/bool tensors under key..':lua', strings as uint8 under key..':str'.\n"
  .. "  tensor.save('opt.safetensors', optim.flatten(opt:state_dict()))")
sethelp(optim.unflatten,
  "optim.unflatten(flat[, prefix]) -> state_dict\n"
  .. "Decodes what optim.flatten made (only the keys starting with prefix). load_state_dict does it by itself\n"
  .. "for an unprefixed flat table.\n"
  .. "  opt:load_state_dict(optim.unflatten(tensor.load('ckpt.safetensors'), 'optim.'))")
sethelp(optim.is_optimizer,
  "optim.is_optimizer(x) -> boolean\nWhether x is an optimizer made by optim.\n  optim.is_optimizer(opt)  --> true")

sethelp(Optimizer.step,
  "opt:step([closure]) -> closure's loss or nil\n"
  .. "Updates every parameter that has a .grad, in place (under tensor.no_grad); parameters whose .grad is\n"
  .. "nil are skipped. A closure, if given, is called first with gradients on and its result returned.\n"
  .. "  loss:backward(); opt:step()")
sethelp(Optimizer.zero_grad,
  "opt:zero_grad({set_to_none=true})\n"
  .. "Clears the gradients of all parameters: sets .grad to nil (the default, as PyTorch 2), or fills it\n"
  .. "with zeros with set_to_none=false (PyTorch 1.13's default).\n"
  .. "  opt:zero_grad(); loss:backward(); opt:step()")
sethelp(Optimizer.state_dict,
  "opt:state_dict() -> {state={[i]={...}}, param_groups={{lr=..., params={i, ...}}, ...}}\n"
  .. "The optimizer's state as PyTorch lays it out: per-parameter state keyed by the parameter's index\n"
  .. "(1, 2, ... across the groups in order) and the groups' options. State tensors are shared, not copied.\n"
  .. "  tensor.save('opt.safetensors', optim.flatten(opt:state_dict()))")
sethelp(Optimizer.load_state_dict,
  "opt:load_state_dict(sd)\n"
  .. "Restores options and state from opt:state_dict() of an optimizer over the same parameters (or from its\n"
  .. "flat form, optim.flatten(sd)). State tensors are copied, cast to each parameter's dtype.\n"
  .. "  opt:load_state_dict(tensor.load('opt.safetensors'))")
sethelp(Optimizer.add_param_group,
  "opt:add_param_group({params={...}, lr=..., ...})\n"
  .. "Adds a group of parameters with its own options (the optimizer's defaults fill the rest).\n"
  .. "  opt:add_param_group({params=head:parameters(), lr=1e-3})")

sethelp(optim,
  "optim: optimizers (SGD, Adam, AdamW, RMSprop) and optim.lr_scheduler, with PyTorch's semantics.\n"
  .. "An optimizer holds parameter groups (opt.param_groups, each with its lr and options) and per-parameter\n"
  .. "state; opt:zero_grad(), opt:step([closure]), opt:state_dict(), opt:load_state_dict(sd),\n"
  .. "opt:add_param_group(group). optim.lr_scheduler has StepLR, MultiStepLR, ExponentialLR,\n"
  .. "CosineAnnealingLR, LambdaLR and OneCycleLR. docs/optim.md explains it all.\n"
  .. "  local opt = optim.SGD(model:parameters(), {lr=0.01, momentum=0.9})")

return optim
