-- nn/loss.lua: the loss modules: CrossEntropyLoss, NLLLoss, MSELoss,
-- L1Loss, BCEWithLogitsLoss. Each holds its options (weights as buffers,
-- as PyTorch's do, so they follow to() and appear in state_dict) and calls
-- the matching nn.functional loss. Class targets are 1-based.
-- Not here: the loss computations (nn.functional).
local U = require("nn.util")
local M = require("nn.module")

local Module = M.Module
local F = U.F
local Loss = {}

local reductions = {mean = true, sum = true, none = true}

local function reduction_of(name, r)
  if r == nil then return "mean" end
  if not reductions[r] then U.fail("%s: reduction must be 'mean', 'sum' or 'none', got %s", name, U.describe(r)) end
  return r
end

local function weight_of(name, what, w)
  if w == nil then return nil end
  U.check_tensor(name, what, w)
  if not w:is_floating_point() then U.fail("%s: %s must be a floating point tensor, got %s", name, what, w:dtype()) end
  return w
end

-- input and target must both be given, as tensors.
local function check_pair(name, input, target, extra)
  U.check_tensor(name, "input", input)
  if target == nil then U.fail("%s: the target is missing: call it as loss(input, target)", name) end
  U.check_tensor(name, "target", target)
  if extra ~= nil then U.fail("%s: takes (input, target), got a third argument %s", name, U.describe(extra)) end
end

local function same_shape(name, input, target)
  if U.shape(input) ~= U.shape(target) then
    U.fail("%s: input and target must have the same shape, got %s and %s", name, U.shape(input), U.shape(target))
  end
end

-- ------------------------------------------------------- CrossEntropyLoss

local CrossEntropyLoss = Module:extend("CrossEntropyLoss")
Loss.CrossEntropyLoss = CrossEntropyLoss

local function ignore_index_of(name, v)
  if v == nil then return -100 end
  return U.int(name, "ignore_index", v)
end

function CrossEntropyLoss:__init(opts, ...)
  U.trailing("CrossEntropyLoss", 0, "{label_smoothing = 0.1}", opts, ...)
  opts = U.options("CrossEntropyLoss", opts, {"weight", "ignore_index", "reduction", "label_smoothing"})
  self:register_buffer("weight", weight_of("CrossEntropyLoss", "weight", opts.weight))
  self.ignore_index = ignore_index_of("CrossEntropyLoss", opts.ignore_index)
  self.reduction = reduction_of("CrossEntropyLoss", opts.reduction)
  local ls = opts.label_smoothing == nil and 0.0 or U.number("CrossEntropyLoss", "label_smoothing", opts.label_smoothing)
  if ls < 0 or ls > 1 then U.fail("CrossEntropyLoss: label_smoothing must be in [0, 1], got %s", tostring(ls)) end
  self.label_smoothing = ls
end

function CrossEntropyLoss:forward(input, target, extra)
  check_pair("CrossEntropyLoss", input, target, extra)
  return U.call(F.cross_entropy, input, target, {weight = self.weight, ignore_index = self.ignore_index,
                                         reduction = self.reduction, label_smoothing = self.label_smoothing})
end

-- ------------------------------------------------------- NLLLoss

local NLLLoss = Module:extend("NLLLoss")
Loss.NLLLoss = NLLLoss

function NLLLoss:__init(opts, ...)
  U.trailing("NLLLoss", 0, "{reduction = 'sum'}", opts, ...)
  opts = U.options("NLLLoss", opts, {"weight", "ignore_index", "reduction"})
  self:register_buffer("weight", weight_of("NLLLoss", "weight", opts.weight))
  self.ignore_index = ignore_index_of("NLLLoss", opts.ignore_index)
  self.reduction = reduction_of("NLLLoss", opts.reduction)
end

function NLLLoss:forward(input, target, extra)
  check_pair("NLLLoss", input, target, extra)
  return U.call(F.nll_loss, input, target, {weight = self.weight, ignore_index = self.ignore_index, reduction = self.reduction})
end

-- ------------------------------------------------------- MSELoss, L1Loss

local function regression(name, fname)
  local cls = Module:extend(name)
  function cls:__init(opts, ...)
    U.trailing(name, 0, "{reduction = 'sum'}", opts, ...)
    opts = U.options(name, opts, {"reduction"})
    self.reduction = reduction_of(name, opts.reduction)
  end
  cls.forward = function(self, input, target, extra)
    check_pair(name, input, target, extra)
    return F[fname](input, target, {reduction = self.reduction})
  end
  Loss[name] = cls
  return cls
end

regression("MSELoss", "mse_loss")
regression("L1Loss", "l1_loss")

-- ------------------------------------------------------- BCEWithLogitsLoss

local BCEWithLogitsLoss = Module:extend("BCEWithLogitsLoss")
Loss.BCEWithLogitsLoss = BCEWithLogitsLoss

function BCEWithLogitsLoss:__init(opts, ...)
  U.trailing("BCEWithLogitsLoss", 0, "{pos_weight = w}", opts, ...)
  opts = U.options("BCEWithLogitsLoss", opts, {"weight", "pos_weight", "reduction"})
  self:register_buffer("weight", weight_of("BCEWithLogitsLoss", "weight", opts.weight))
  self:register_buffer("pos_weight", weight_of("BCEWithLogitsLoss", "pos_weight", opts.pos_weight))
  self.reduction = reduction_of("BCEWithLogitsLoss", opts.reduction)
end

function BCEWithLogitsLoss:forward(input, target, extra)
  check_pair("BCEWithLogitsLoss", input, target, extra)
  same_shape("BCEWithLogitsLoss", input, target)
  return U.call(F.binary_cross_entropy_with_logits, input, target, {weight = self.weight, pos_weight = self.pos_weight,
                                                            reduction = self.reduction})
end

-- ------------------------------------------------------- help

local doc = U.document
doc(CrossEntropyLoss, "nn.CrossEntropyLoss({weight=, ignore_index=-100, reduction='mean', label_smoothing=0})" ..
  " -> CrossEntropyLoss\n" ..
  "loss(logits, target): log_softmax over the classes (dim 2 of N x C) then the negative log likelihood of the\n" ..
  "targets: int64 class indices 1..C (ignore_index skipped), or class probabilities of logits' shape.\n" ..
  "  local loss = nn.CrossEntropyLoss()(model(x), y)   -- y: int64, 1..C")
doc(NLLLoss, "nn.NLLLoss({weight=, ignore_index=-100, reduction='mean'}) -> NLLLoss\n" ..
  "loss(logp, target): minus logp at each target class (1..C), weighted and reduced; logp from LogSoftmax.\n" ..
  "  local loss = nn.NLLLoss()(nn.LogSoftmax(2)(logits), y)")
doc(Loss.MSELoss, "nn.MSELoss({reduction='mean'}) -> MSELoss\n" ..
  "loss(input, target): (input - target)^2, averaged ('mean'), summed ('sum') or elementwise ('none').\n" ..
  "  local loss = nn.MSELoss()(pred, y)")
doc(Loss.L1Loss, "nn.L1Loss({reduction='mean'}) -> L1Loss\n" ..
  "loss(input, target): |input - target|, averaged ('mean'), summed ('sum') or elementwise ('none').\n" ..
  "  local loss = nn.L1Loss()(pred, y)")
doc(BCEWithLogitsLoss, "nn.BCEWithLogitsLoss({weight=, pos_weight=, reduction='mean'}) -> BCEWithLogitsLoss\n" ..
  "loss(logits, target): binary cross-entropy of sigmoid(logits) against targets in [0, 1], computed stably;\n" ..
  "pos_weight scales the positive term per class.\n" ..
  "  local loss = nn.BCEWithLogitsLoss()(logits, y:float())")

return Loss
