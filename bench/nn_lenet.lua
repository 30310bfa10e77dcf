-- bench/nn_lenet.lua: the tensh half of bench/nn_lenet.sh (nn_lenet.py is
-- the PyTorch half, case for case): LeNet-5's layers on a Fashion-MNIST
-- batch of 64, forward and forward+backward, and the whole network. Prints
-- "case<TAB>milliseconds" (the median of the repetitions); asserts nothing.
-- Usage: tensh bench/nn_lenet.lua [THREADS] [REPS]
local F = require("nn.functional")
local threads, reps = tonumber(arg[1]) or 2, tonumber(arg[2]) or 50
tensor.set_num_threads(threads)
tensor.manual_seed(0)
local clock = tensor.perf_counter

local function median(fn)
  for _ = 1, 5 do fn() end
  local t = {}
  for i = 1, reps do
    local s = clock()
    fn()
    t[i] = clock() - s
  end
  table.sort(t)
  return t[(reps + 1) // 2] * 1e3
end

local function emit(case, ms) print(string.format("%s\t%.4f", case, ms)) end

local function param(...) return tensor.randn({...}, {requires_grad = true}) * 0.1 end
local function leaf(...) return (tensor.randn({...}) * 0.1):requires_grad_() end

-- one conv layer: forward, and forward + backward (input grad when asked)
local function conv_case(name, x, w, b, opts)
  local g = F.conv2d(x, w, b, opts):detach():clone():fill_(1)
  emit(name .. " fwd", median(function() return F.conv2d(x, w, b, opts) end))
  emit(name .. " fwd+bwd", median(function() F.conv2d(x, w, b, opts):backward(g) end))
end

conv_case("conv1 1->6 5x5 pad2 28x28", tensor.randn({64, 1, 28, 28}), leaf(6, 1, 5, 5), leaf(6), {padding = 2})
conv_case("conv2 6->16 5x5 14x14", tensor.randn({64, 6, 14, 14}):requires_grad_(), leaf(16, 6, 5, 5), leaf(16))
local px = tensor.randn({64, 6, 28, 28}):requires_grad_()
local pg = tensor.ones({64, 6, 14, 14})
emit("maxpool 2x2 6x28x28 fwd", median(function() return F.max_pool2d(px, 2) end))
emit("maxpool 2x2 6x28x28 fwd+bwd", median(function() F.max_pool2d(px, 2):backward(pg) end))
local logits, target = tensor.randn({64, 10}):requires_grad_(), tensor.randint(1, 11, {64})
emit("cross_entropy 64x10 fwd", median(function() return F.cross_entropy(logits, target) end))
emit("cross_entropy 64x10 fwd+bwd", median(function() F.cross_entropy(logits, target):backward() end))

-- LeNet-5 as in scripts/train_fmnist.lua
local P = {c1w = leaf(6, 1, 5, 5), c1b = leaf(6), c2w = leaf(16, 6, 5, 5), c2b = leaf(16),
  f1w = leaf(120, 400), f1b = leaf(120), f2w = leaf(84, 120), f2b = leaf(84), f3w = leaf(10, 84), f3b = leaf(10)}
-- flatten's gradient: a view's rule, which this build may not have yet; then
-- the network runs as two graphs joined by hand (the same kernels, and
-- flatten's backward is only a view of the gradient)
local view_grad = tensor.ones({2, 2}, {requires_grad = true}):view(-1).requires_grad
local function features(x)
  x = F.max_pool2d(F.relu(F.conv2d(x, P.c1w, P.c1b, {padding = 2})), 2)
  return F.max_pool2d(F.relu(F.conv2d(x, P.c2w, P.c2b)), 2)
end
local function classifier(h)
  h = F.relu(F.linear(h, P.f1w, P.f1b))
  h = F.relu(F.linear(h, P.f2w, P.f2b))
  return F.linear(h, P.f3w, P.f3b)
end
local images = tensor.randn({64, 1, 28, 28})
local function step()
  for _, p in pairs(P) do p.grad = nil end
  local h = features(images)
  if view_grad then
    F.cross_entropy(classifier(F.flatten(h, 2)), target):backward()
  else
    local flat = h:detach():view(64, 400):requires_grad_()
    F.cross_entropy(classifier(flat), target):backward()
    h:backward(flat.grad:view(64, 16, 5, 5))
  end
end
emit("LeNet fwd", median(function() return tensor.no_grad(function() return classifier(features(images):view(64, 400)) end) end))
emit("LeNet fwd+bwd", median(step))
