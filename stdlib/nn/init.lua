-- nn/init.lua: the `nn` module (a lazy global; see stdlib/tensh.lua): it
-- gathers nn.Module and nn.Parameter (module.lua), the containers, layers,
-- losses and nn.init from the files beside it, and exposes nn.functional
-- (also nn.F, require "nn.functional"), loaded on first use.
-- Not here: nn.functional itself and the kernels behind it.
local M = require("nn.module")

local nn = {
  Module = M.Module,
  Parameter = M.Parameter,
  is_module = M.is_module,
  is_parameter = M.is_parameter,
  isinstance = M.isinstance,
  init = require("nn.initializers"),
}

local groups = {
  {"Containers", require("nn.containers")},
  {"Layers", require("nn.layers")},
  {"Convolution and pooling", require("nn.conv")},
  {"Normalisation", require("nn.norm")},
  {"Losses", require("nn.loss")},
}
local layers = groups[2][2]
layers.default_init = nil -- shared with conv.lua, not public

for _, g in ipairs(groups) do
  for name, cls in pairs(g[2]) do nn[name] = cls end
end

setmetatable(nn, {__index = function(t, k)
  if k == "functional" or k == "F" then
    local F = require("nn.functional")
    rawset(t, "functional", F)
    rawset(t, "F", F)
    return F
  end
end})

-- ---------------------------------------------------------------- help

local help = tensor.sethelp
local U = require("nn.util")

-- help(nn) lists the classes too (help() itself lists only functions).
local function listing()
  local lines = {}
  for _, g in ipairs(groups) do
    local names = {}
    for name in pairs(g[2]) do names[#names + 1] = name end
    table.sort(names)
    lines[#lines + 1] = g[1] .. ": " .. table.concat(names, ", ")
  end
  return table.concat(lines, "\n")
end

help(nn, "nn: neural network modules, losses and initialisation, with PyTorch's semantics (docs/nn.md).\n" ..
  "Define a model: local Net = nn.Module:extend('Net'); function Net:__init() self.fc = nn.Linear(4, 2) end;\n" ..
  "function Net:forward(x) return self.fc(x) end; local model = Net(); local y = model(x).\n" ..
  "help(nn.Linear) and the like show each class; nn.init holds initialisers, nn.functional (nn.F) the functions.\n" ..
  listing() .. "\n" ..
  "Also: nn.Module, nn.Parameter, nn.init, nn.functional, nn.is_module, nn.is_parameter, nn.isinstance.")

local Module = M.Module
U.document(Module, "nn.Module: the base class of every layer and model.\n" ..
  "Make a class with nn.Module:extend(name), give it __init (create submodules, nn.Parameter's and buffers by\n" ..
  "assigning them to self: they are registered in that order) and forward; call instances as model(x).\n" ..
  "  local Net = nn.Module:extend('Net'); function Net:__init() self.fc = nn.Linear(2, 1) end\n" ..
  "  function Net:forward(x) return self.fc(x) end",
  {
    __init = "Module:__init(...)\nSets up a new instance (called by Class(...)); define it in your class.\n" ..
      "  function Net:__init(n) self.fc = nn.Linear(n, 1) end",
    __call = "model(...) -> forward's results\nCalling a module runs its forward.\n  local y = model(x)",
    __tostring = "tostring(model) -> string\nThe module's structure as PyTorch prints it: class, settings, children.\n" ..
      "  print(model)",
    extend = "Class:extend(name) -> class\nA subclass with the given name (shown when instances print).\n" ..
      "  local Net = nn.Module:extend('Net')",
    forward = "model:forward(...) -> Tensor\nThe computation; define it in your class, and call model(x) to run it.\n" ..
      "  function Net:forward(x) return self.fc(x) end",
    register_parameter = "model:register_parameter(name, p)\nRegisters nn.Parameter p (or removes name with nil);" ..
      " the same as self.name = p.\n  self:register_parameter('scale', nn.Parameter(tensor.ones(1)))",
    register_buffer = "model:register_buffer(name, t, {persistent=true})\nRegisters a tensor that is state but not a" ..
      " parameter (saved in state_dict unless persistent=false; follows to()).\n" ..
      "  self:register_buffer('running_mean', tensor.zeros(10))",
    add_module = "model:add_module(name, m) -> m\nRegisters submodule m under name (as self.name = m does, but any" ..
      " name, such as '0').\n  seq:add_module('relu', nn.ReLU())",
    parameters = "model:parameters({recurse=true}) -> list\nThe parameters (each once), in registration order, for an" ..
      " optimizer.\n  local n = 0; for _, p in ipairs(model:parameters()) do n = n + p:numel() end",
    named_parameters = "model:named_parameters({prefix='', recurse=true}) -> iterator of name, parameter\n" ..
      "Names as PyTorch's: '0.weight', 'fc1.bias'.\n  for name, p in model:named_parameters() do print(name, p:size()) end",
    buffers = "model:buffers({recurse=true}) -> list\nThe buffers (running statistics and the like).\n" ..
      "  local bufs = model:buffers()",
    named_buffers = "model:named_buffers({prefix='', recurse=true}) -> iterator of name, buffer\n" ..
      "Buffers with their dotted names.\n  for name, b in model:named_buffers() do print(name) end",
    children = "model:children() -> list\nThe direct submodules, in order.\n  local first = model:children()[1]",
    named_children = "model:named_children() -> iterator of name, module\nThe direct submodules with their names.\n" ..
      "  for name, m in model:named_children() do print(name, m) end",
    modules = "model:modules() -> list\nThe model itself and every module inside it, depth first.\n" ..
      "  for _, m in ipairs(model:modules()) do print(m.__name) end",
    named_modules = "model:named_modules({prefix=''}) -> iterator of name, module\nEvery module with its dotted" ..
      " name ('' for the model itself).\n  for name, m in model:named_modules() do print(name) end",
    get_submodule = "model:get_submodule(name) -> module\nThe module a dotted name leads to ('features.0').\n" ..
      "  local conv = model:get_submodule('features.0')",
    train = "model:train([mode=true]) -> model\nSets training mode (self.training) in the model and every submodule:\n" ..
      "Dropout drops, BatchNorm uses and updates batch statistics.\n  model:train()",
    eval = "model:eval() -> model\nSets evaluation mode (train(false)): Dropout passes through, BatchNorm uses" ..
      " its running statistics.\n  model:eval()",
    requires_grad_ = "model:requires_grad_([on=true]) -> model\nSets requires_grad on every parameter (false" ..
      " freezes them).\n  backbone:requires_grad_(false)",
    zero_grad = "model:zero_grad({set_to_none=true})\nClears the parameters' gradients: sets .grad to nil, or" ..
      " zeroes it with set_to_none=false.\n  model:zero_grad()",
    apply = "model:apply(fn) -> model\nCalls fn(m) on every submodule (children first) and on the model.\n" ..
      "  model:apply(function(m) if nn.isinstance(m, nn.Linear) then nn.init.zeros_(m.bias) end end)",
    to = "model:to(dtype or device or tensor) -> model\nConverts parameters and floating buffers to a floating" ..
      " dtype and/or moves them to a device.\nParameters become new tensors: make the optimizer after to().\n" ..
      "  model:to('float64')",
    float = "model:float() -> model\nmodel:to('float32').\n  model:float()",
    double = "model:double() -> model\nmodel:to('float64').\n  model:double()",
    half = "model:half() -> model\nmodel:to('float16').\n  model:half()",
    bfloat16 = "model:bfloat16() -> model\nmodel:to('bfloat16').\n  model:bfloat16()",
    cpu = "model:cpu() -> model\nmodel:to('cpu').\n  model:cpu()",
    cuda = "model:cuda() -> model\nmodel:to('cuda').\n  model:cuda()",
    state_dict = "model:state_dict({prefix='', keep_vars=false}) -> table\nParameters and persistent buffers by" ..
      " PyTorch's names ('0.weight'), detached; pairs() visits them in order.\n" ..
      "  tensor.save('model.safetensors', model:state_dict())",
    load_state_dict = "model:load_state_dict(sd, {strict=true}) -> {missing_keys=, unexpected_keys=}\n" ..
      "Copies the tensors of sd into the parameters and buffers; with strict, missing or unexpected keys are an\n" ..
      "error; a shape mismatch always is. Nothing is copied when it fails.\n" ..
      "  model:load_state_dict(tensor.load('model.safetensors'))",
  })

help(M.Parameter, "nn.Parameter(t [, requires_grad=true]) -> Tensor\n" ..
  "Marks a tensor as a parameter: assigned to a module field, it is registered (parameters(), state_dict).\n" ..
  "It is a new leaf sharing t's data, requiring grad.\n" ..
  "  self.scale = nn.Parameter(tensor.ones(1))")
help(M.is_module, "nn.is_module(x) -> boolean\nWhether x is a module (an instance of an nn.Module class).\n" ..
  "  nn.is_module(nn.Linear(2, 2))  --> true")
help(M.is_parameter, "nn.is_parameter(x) -> boolean\nWhether x is a tensor made by nn.Parameter.\n" ..
  "  nn.is_parameter(nn.Linear(2, 2).weight)  --> true")
help(M.isinstance, "nn.isinstance(m, class) -> boolean\nWhether module m is of the class or a subclass of it.\n" ..
  "  nn.isinstance(nn.BatchNorm2d(3), nn.Module)  --> true")

return nn
