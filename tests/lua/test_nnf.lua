-- test_nnf.lua: nn.functional. Values against hand-computed results and
-- against PyTorch 1.13 (tests/fixtures/nnf_expected.lua, written by
-- tests/fixtures/make_nnf_expected.py: outputs and input gradients of the
-- same float64 problems), gradients of every function by
-- autograd.gradcheck in float64, PyTorch's dtype and shape rules, and bad
-- calls with their messages. Targets and indices are 1-based.
local T = require("testlib")
local F = require("nn.functional")
local test, check, eq, close, checkerr = T.test, T.check, T.eq, T.close, T.checkerr

local here = arg[0]:match("^(.*)/[^/]*$") or "."
local expected = dofile(here .. "/../fixtures/nnf_expected.lua")

local f64 = {dtype = "float64"}

-- The fixtures' inputs: sin(0.37 k + off) reshaped, float64.
local function inp(shape, off, grad)
  local n = 1
  for _, s in ipairs(shape) do n = n * s end
  local t = (tensor.arange(n, f64) * 0.37 + (off or 0)):sin():view(shape)
  if grad ~= false then t:requires_grad_() end
  return t
end

-- Backward of sum(y * cos(0.53 k)), as the fixture script does.
local function back(y)
  local w = (tensor.arange(y:numel(), f64) * 0.53):cos():view(y:size())
  ;(y * w):sum():backward()
end

local TOL = 1e-10

-- ------------------------------------------------------------ hand-computed

test("linear by hand", function()
  local x = tensor{{1.0, 2.0}, {3.0, 4.0}}
  local w = tensor{{1.0, 0.0}, {0.0, 1.0}, {1.0, 1.0}}
  close(F.linear(x, w, tensor{0.5, -0.5, 0.0}), {{1.5, 1.5, 3}, {3.5, 3.5, 7}})
  close(F.linear(x, w), {{1, 2, 3}, {3, 4, 7}})
  close(F.linear(tensor{1.0, 2.0}, w), {1, 2, 3}) -- 1-d input
  eq(F.linear(tensor.zeros({2, 3, 2}), w):size(), tensor.zeros({2, 3, 3}):size())
end)

test("conv2d by hand", function()
  local x = tensor.arange(1, 10):float():view(1, 1, 3, 3) -- 1..9
  local ones = tensor.ones({1, 1, 2, 2})
  close(F.conv2d(x, ones), {{{{12, 16}, {24, 28}}}})
  close(F.conv2d(x, ones, tensor{1.0}), {{{{13, 17}, {25, 29}}}})
  -- padding 1, stride 2: windows at -1 and 1 in each dim
  close(F.conv2d(x, ones, nil, {padding = 1, stride = 2}), {{{{1, 5}, {11, 28}}}})
  -- dilation 2: the 2x2 kernel touches the four corners
  close(F.conv2d(x, ones, nil, {dilation = 2}), {{{{20}}}})
  -- groups: each of two channels with its own 1x1 kernel
  local x2 = tensor{{{{1.0, 2.0}}, {{3.0, 4.0}}}}
  close(F.conv2d(x2, tensor{{{{10.0}}}, {{{-1.0}}}}, nil, {groups = 2}), {{{{10, 20}}, {{-3, -4}}}})
  -- unbatched input gives an unbatched output; 'same' keeps the size
  eq(F.conv2d(tensor.ones({1, 3, 3}), ones, nil, {padding = 'valid'}):size(), tensor.zeros({1, 2, 2}):size())
  eq(F.conv2d(tensor.ones({1, 5, 5}), tensor.ones({1, 1, 3, 3}), nil, {padding = 'same'}):size(),
     tensor.zeros({1, 5, 5}):size())
end)

test("conv2d gradients by hand", function()
  local x = tensor.arange(1, 10):double():view(1, 1, 3, 3):requires_grad_()
  local w = tensor.ones({1, 1, 2, 2}, f64):requires_grad_()
  local b = tensor.zeros({1}, f64):requires_grad_()
  F.conv2d(x, w, b):sum():backward()
  -- each input counts once per window it is in
  close(x.grad, {{{{1, 2, 1}, {2, 4, 2}, {1, 2, 1}}}})
  close(w.grad, {{{{12, 16}, {24, 28}}}}) -- the sums of each shifted 2x2 block
  close(b.grad, {4})
end)

test("max_pool2d by hand", function()
  local x = tensor{{{3.0, 1.0, 2.0, 8.0}, {4.0, 9.0, 0.0, 5.0}}}
  local y, ix = F.max_pool2d(x, 2, {return_indices = true})
  close(y, {{{9, 8}}})
  eq(ix:dtype(), "int64")
  close(ix, {{{6, 4}}}) -- 1-based positions in the 2x4 plane
  -- padding never wins: all-negative input with padding
  close(F.max_pool2d(-tensor.ones({1, 1, 2, 2}), 2, {padding = 1}), {{{{-1, -1}, {-1, -1}}}})
  -- ceil_mode keeps the last partial window
  eq(F.max_pool2d(tensor.zeros({1, 5, 5}), 2):size(), tensor.zeros({1, 2, 2}):size())
  eq(F.max_pool2d(tensor.zeros({1, 5, 5}), 2, {ceil_mode = true}):size(), tensor.zeros({1, 3, 3}):size())
  -- NaN wins, ties pick the first
  local nx = tensor{{{1.0, 0 / 0}, {7.0, 7.0}}}
  local ny, nix = F.max_pool2d(nx, 2, {return_indices = true})
  check(ny[1][1][1]:item() ~= ny[1][1][1]:item(), "NaN wins")
  eq(nix[1][1][1]:item(), 2)
  local _, tix = F.max_pool2d(tensor{{{7.0, 7.0}}}, {1, 2}, {return_indices = true})
  eq(tix[1][1][1]:item(), 1)
  -- the gradient goes to the max
  local g = tensor{{{3.0, 1.0}, {4.0, 9.0}}}:requires_grad_()
  F.max_pool2d(g, 2):sum():backward()
  close(g.grad, {{{0, 0}, {0, 1}}})
end)

test("avg_pool2d and adaptive_avg_pool2d by hand", function()
  local x = tensor{{{1.0, 2.0}, {3.0, 4.0}}}
  close(F.avg_pool2d(x, 2), {{{2.5}}})
  -- padding 1, stride 2 on 2x2: each window holds one real element
  close(F.avg_pool2d(x, 2, {padding = 1}), {{{0.25, 0.5}, {0.75, 1}}})
  close(F.avg_pool2d(x, 2, {padding = 1, count_include_pad = false}), {{{1, 2}, {3, 4}}})
  -- adaptive 1x5 -> 1x3: windows [1,2], [2,4], [4,5]
  local r = tensor{{{1.0, 2.0, 3.0, 4.0, 5.0}}}
  close(F.adaptive_avg_pool2d(r, {1, 3}), {{{1.5, 3, 4.5}}})
  close(F.adaptive_avg_pool2d(r, {nil, 1}), {{{3}}})
  close(F.adaptive_avg_pool2d(x, 1), {{{2.5}}})
  local g = tensor{{{1.0, 2.0}, {3.0, 4.0}}}:requires_grad_()
  F.avg_pool2d(g, 2):sum():backward()
  close(g.grad, {{{0.25, 0.25}, {0.25, 0.25}}})
end)

test("batch_norm by hand", function()
  local x = tensor{{1.0, 2.0}, {3.0, 6.0}}
  local rm, rv = tensor.zeros({2}), tensor.ones({2})
  local y = F.batch_norm(x, rm, rv, {training = true, eps = 0})
  close(y, {{-1, -1}, {1, 1}}, 1e-6)
  -- running stats: 0.9 * old + 0.1 * batch mean / unbiased var (2 and 8)
  close(rm, {0.2, 0.4}, 1e-6)
  close(rv, {1.1, 1.7}, 1e-6)
  -- eval uses them: (x - 0.2) / sqrt(1.1)
  close(F.batch_norm(tensor{{1.2, 0.4}}, rm, rv, {eps = 0}), {{1 / math.sqrt(1.1), 0}}, 1e-6)
  -- affine
  close(F.batch_norm(x, nil, nil, {training = true, eps = 0, weight = tensor{2.0, 1.0}, bias = tensor{0.0, 5.0}}),
    {{-2, 4}, {2, 6}}, 1e-6)
end)

test("layer_norm, embedding by hand", function()
  local s = math.sqrt(1.5)
  close(F.layer_norm(tensor{{1.0, 2.0, 3.0}}, 3, {eps = 0}), {{-s, 0, s}}, 1e-6)
  close(F.layer_norm(tensor{{1.0, 3.0}}, {2}, {eps = 0, weight = tensor{2.0, 2.0}, bias = tensor{1.0, 0.0}}),
    {{-1, 2}}, 1e-6)
  local w = tensor{{0.0, 1.0}, {2.0, 3.0}, {4.0, 5.0}}
  close(F.embedding(tensor{{3, 1}}, w), {{{4, 5}, {0, 1}}})
  local wg = w:clone():requires_grad_()
  F.embedding(tensor{1, 1, 3, 2}, wg, {padding_idx = 2}):sum():backward()
  close(wg.grad, {{2, 2}, {0, 0}, {1, 1}}) -- row 1 twice, the padding row none
  wg.grad = nil
  F.embedding(tensor{3, 3}, wg, {padding_idx = -1}):sum():backward() -- -1: the last row
  close(wg.grad, {{0, 0}, {0, 0}, {0, 0}})
end)

test("dropout", function()
  local x = tensor.ones({1000})
  tensor.manual_seed(3)
  local y = F.dropout(x, {p = 0.25})
  local kept = y:ne(0):sum():item()
  check(kept > 650 and kept < 850, "about 3/4 kept, got " .. kept)
  close(y:max(), 1 / 0.75, 1e-6)
  tensor.manual_seed(3)
  close(F.dropout(x, {p = 0.25}), y) -- reproducible
  -- not training, or p = 0: the input itself (writing through it shows the same data)
  F.dropout(x, {training = false})[1] = 7
  F.dropout(x, {p = 0})[2] = 8
  close(x[{{1, 3}}], {7, 8, 1})
  x[{{1, 2}}] = 1
  close(F.dropout(x, {p = 1}), tensor.zeros({1000}))
  local g = tensor.ones({6}, f64):requires_grad_()
  tensor.manual_seed(5)
  local out = F.dropout(g, {p = 0.5})
  out:sum():backward()
  close(g.grad, out:detach()) -- the gradient is the mask, scaled
end)

test("losses by hand", function()
  -- equal logits: log C
  close(F.cross_entropy(tensor.zeros({2, 4}), tensor{1, 4}), math.log(4), 1e-6)
  -- p = {1/4, 1/4, 1/2} for logits {0, 0, log 2}
  local lg = tensor{{0.0, 0.0, math.log(2)}}
  close(F.cross_entropy(lg, tensor{3}), math.log(2), 1e-6)
  close(F.cross_entropy(lg, tensor{1}), math.log(4), 1e-6)
  -- weights: mean divides by the targets' weights
  local two = tensor{{0.0, 0.0, math.log(2)}, {0.0, 0.0, math.log(2)}}
  close(F.cross_entropy(two, tensor{3, 1}, {weight = tensor{1.0, 1.0, 3.0}}), (3 * math.log(2) + math.log(4)) / 4, 1e-6)
  -- ignore_index: that sample neither counts nor divides
  close(F.cross_entropy(two, tensor{3, 0}, {ignore_index = 0}), math.log(2), 1e-6)
  close(F.cross_entropy(two, tensor{3, 0}, {ignore_index = 0, reduction = 'none'}), {math.log(2), 0}, 1e-6)
  -- label smoothing 0.3: 0.7 * nll + 0.1 * sum of -logp
  close(F.cross_entropy(lg, tensor{3}, {label_smoothing = 0.3}),
    0.7 * math.log(2) + 0.1 * (2 * math.log(4) + math.log(2)), 1e-6)
  -- probabilities
  close(F.cross_entropy(lg, tensor{{0.0, 0.5, 0.5}}), 0.5 * math.log(4) + 0.5 * math.log(2), 1e-6)
  -- gradient: softmax - onehot, over the batch
  local g = lg:clone():requires_grad_()
  F.cross_entropy(g, tensor{3}):backward()
  close(g.grad, {{0.25, 0.25, -0.5}}, 1e-6)
  -- nll of log-probabilities; sum and none
  close(F.nll_loss(tensor{{-1.0, -2.0}, {-3.0, -4.0}}, tensor{2, 1}), 2.5)
  close(F.nll_loss(tensor{{-1.0, -2.0}, {-3.0, -4.0}}, tensor{2, 1}, {reduction = 'sum'}), 5)
  close(F.mse_loss(tensor{1.0, 2.0}, tensor{1.5, 0.0}), 2.125)
  close(F.mse_loss(tensor{1.0, 2.0}, tensor{1.5, 0.0}, {reduction = 'none'}), {0.25, 4})
  close(F.l1_loss(tensor{1.0, 2.0}, tensor{1.5, 0.0}, {reduction = 'sum'}), 2.5)
  -- at x = 0 the loss is log 2 whatever the target; pos_weight scales the positive part
  close(F.binary_cross_entropy_with_logits(tensor{0.0, 0.0}, tensor{1.0, 0.0}), math.log(2), 1e-6)
  close(F.binary_cross_entropy_with_logits(tensor{0.0}, tensor{1.0}, {pos_weight = tensor{3.0}}), 3 * math.log(2), 1e-6)
  -- stable for large logits
  close(F.binary_cross_entropy_with_logits(tensor{100.0, -100.0}, tensor{0.0, 1.0}, {reduction = 'none'}), {100, 100})
  eq(F.cross_entropy(tensor.zeros({2, 3}, f64), tensor{1, 2}):dtype(), "float64")
  eq(F.cross_entropy(tensor.zeros({2, 3}, f64), tensor{1, 2}).grad_fn, nil)
end)

test("activation wrappers", function()
  close(F.relu(tensor{-1.0, 2.0}), {0, 2})
  close(F.gelu(tensor{1.0}), {0.8413447460685429}, 1e-6)
  close(F.gelu(tensor{1.0}, {approximate = 'tanh'}), {0.8411919906082768}, 1e-6)
  close(F.silu(tensor{1.0}), {1 / (1 + math.exp(-1))}, 1e-6)
  close(F.tanh(tensor{0.5}), {math.tanh and math.tanh(0.5) or 0.46211715726000974}, 1e-6)
  close(F.sigmoid(tensor{0.0}), {0.5})
  close(F.softmax(tensor{{0.0, math.log(3)}}, 2), {{0.25, 0.75}}, 1e-6)
  close(F.log_softmax(tensor{{0.0, math.log(3)}}, -1), {{math.log(0.25), math.log(0.75)}}, 1e-6)
  eq(F.flatten(tensor.zeros({2, 3, 4}), 2):size(), tensor.zeros({2, 12}):size())
  eq(F.flatten(tensor.zeros({2, 3, 4})):size(), tensor.zeros({24}):size())
  local x = tensor{-1.0, 3.0}
  close(F.relu(x, {inplace = true}), {0, 3})
  close(x, {0, 3}) -- written in place
end)

-- ------------------------------------------------------------ PyTorch fixtures

local function fx(name) return expected[name] end

test("conv2d against torch", function()
  local e = fx("conv_groups")
  local x, w, b = inp({2, 4, 7, 6}), inp({6, 2, 3, 2}, 1.0), inp({6}, 2.0)
  local y = F.conv2d(x, w, b, {stride = {2, 1}, padding = {1, 2}, dilation = {2, 1}, groups = 2})
  back(y)
  close(y, e.y, TOL); close(x.grad, e.gx, TOL); close(w.grad, e.gw, TOL); close(b.grad, e.gb, TOL)
  e = fx("conv_unbatched")
  x, w = inp({3, 5, 5}), inp({2, 3, 3, 3}, 1.0)
  y = F.conv2d(x, w, {padding = 1})
  back(y)
  close(y, e.y, TOL); close(x.grad, e.gx, TOL); close(w.grad, e.gw, TOL)
end)

test("pooling against torch", function()
  local e = fx("max_pool")
  local x = inp({2, 3, 7, 8})
  local y, ix = F.max_pool2d(x, {3, 2}, {stride = {2, 3}, padding = {1, 1}, dilation = {1, 2}, ceil_mode = true,
    return_indices = true})
  back(y)
  close(y, e.y, TOL); close(ix, e.ix); close(x.grad, e.gx, TOL)
  for _, incl in ipairs{false, true} do
    e = fx(incl and "avg_pool_incl" or "avg_pool")
    x = inp({2, 2, 7, 5})
    y = F.avg_pool2d(x, 3, {stride = 2, padding = 1, ceil_mode = true, count_include_pad = incl})
    back(y)
    close(y, e.y, TOL); close(x.grad, e.gx, TOL)
  end
  e = fx("adaptive")
  x = inp({2, 3, 5, 7})
  y = F.adaptive_avg_pool2d(x, {3, 4})
  back(y)
  close(y, e.y, TOL); close(x.grad, e.gx, TOL)
end)

test("batch_norm and layer_norm against torch", function()
  local e = fx("batch_norm_train")
  local x, w, b = inp({4, 3, 2, 2}), inp({3}, 1.0), inp({3}, 2.0)
  local rm, rv = tensor({0.1, -0.2, 0.3}, f64), tensor({1.5, 0.5, 2.0}, f64)
  local y = F.batch_norm(x, rm, rv, {weight = w, bias = b, training = true, momentum = 0.2, eps = 1e-3})
  back(y)
  close(y, e.y, TOL); close(rm, e.rm, TOL); close(rv, e.rv, TOL)
  close(x.grad, e.gx, 1e-9); close(w.grad, e.gw, TOL); close(b.grad, e.gb, TOL)
  e = fx("batch_norm_eval")
  x, w, b = inp({4, 3, 2, 2}), inp({3}, 1.0), inp({3}, 2.0)
  y = F.batch_norm(x, rm, rv, {weight = w, bias = b, eps = 1e-3})
  back(y)
  close(y, e.y, TOL); close(x.grad, e.gx, TOL); close(w.grad, e.gw, TOL); close(b.grad, e.gb, TOL)
  e = fx("layer_norm")
  x, w, b = inp({3, 2, 4}), inp({2, 4}, 1.0), inp({2, 4}, 2.0)
  y = F.layer_norm(x, {2, 4}, {weight = w, bias = b, eps = 1e-4})
  back(y)
  close(y, e.y, TOL); close(x.grad, e.gx, 1e-9); close(w.grad, e.gw, TOL); close(b.grad, e.gb, TOL)
end)

test("embedding against torch", function()
  local e = fx("embedding")
  local w = inp({5, 3})
  local y = F.embedding(tensor{{1, 3}, {2, 5}, {2, 2}}, w, {padding_idx = 2}) -- torch's 0-based + 1
  back(y)
  close(y, e.y, TOL); close(w.grad, e.gw, TOL)
end)

test("class losses against torch", function()
  local target = tensor{2, 1, 4, -100, 3} -- torch's {1, 0, 3, -100, 2} + 1; -100 ignored
  local cw = tensor({0.5, 1.0, 2.0, 1.5}, f64)
  for _, red in ipairs{"mean", "sum", "none"} do
    local e = fx("ce_" .. red)
    local x = inp({5, 4})
    local y = F.cross_entropy(x, target, {weight = cw, reduction = red, label_smoothing = 0.15})
    back(y)
    close(y, e.y, TOL); close(x.grad, e.gx, TOL)
  end
  local t2 = tensor{{1, 3, 2, 2}, {3, 1, 1, 2}}
  local e = fx("ce_kdim")
  local x = inp({2, 3, 4})
  local y = F.cross_entropy(x, t2, {reduction = 'none'})
  back(y)
  close(y, e.y, TOL); close(x.grad, e.gx, TOL)
  e = fx("ce_kdim_mean")
  x = inp({2, 3, 4})
  y = F.cross_entropy(x, t2)
  back(y)
  close(y, e.y, TOL); close(x.grad, e.gx, TOL)
  e = fx("ce_probs")
  x = inp({3, 5})
  local q = tensor(e.q, f64):requires_grad_()
  y = F.cross_entropy(x, q, {weight = tensor({1.0, 0.5, 2.0, 1.0, 0.25}, f64), label_smoothing = 0.1})
  back(y)
  close(y, e.y, TOL); close(x.grad, e.gx, TOL); close(q.grad, e.gq, TOL)
  e = fx("nll")
  x = inp({5, 4})
  y = F.nll_loss(x:log_softmax(2), target, {weight = cw})
  back(y)
  close(y, e.y, TOL); close(x.grad, e.gx, TOL)
  e = fx("nll_raw_sum")
  x = inp({5, 4})
  y = F.nll_loss(x, target, {reduction = 'sum'})
  back(y)
  close(y, e.y, TOL); close(x.grad, e.gx, TOL)
end)

test("regression losses against torch", function()
  local e = fx("mse")
  local a, b = inp({3, 4}), inp({4}, 1.0)
  local y = F.mse_loss(a, b) -- broadcast, as torch's (with its warning) on b expanded
  back(y)
  close(y, e.y, TOL); close(a.grad, e.ga, TOL); close(b.grad, e.gb, TOL)
  e = fx("l1")
  a, b = inp({3, 4}), inp({4}, 1.0)
  y = F.l1_loss(a, b, {reduction = 'sum'})
  back(y)
  close(y, e.y, TOL); close(a.grad, e.ga, TOL); close(b.grad, e.gb, TOL)
  e = fx("bce")
  local x = inp({3, 4})
  local t = tensor(e.t, f64):requires_grad_()
  y = F.binary_cross_entropy_with_logits(x * 3, t, {weight = tensor({1.0, 0.5, 2.0, 1.5}, f64),
    pos_weight = tensor({2.0, 1.0, 0.5, 3.0}, f64)})
  back(y)
  close(y, e.y, TOL); close(x.grad, e.gx, TOL); close(t.grad, e.gt, TOL)
  e = fx("bce_none")
  x = inp({3, 4})
  t = tensor(e.t or fx("bce").t, f64):requires_grad_()
  y = F.binary_cross_entropy_with_logits(x * 3, t, {reduction = 'none'})
  back(y)
  close(y, e.y, TOL); close(x.grad, e.gx, TOL); close(t.grad, e.gt, TOL)
end)

-- ------------------------------------------------------------ dtypes, autograd nodes

test("dtypes and grad_fn names", function()
  local h = tensor.randn({1, 2, 4, 4}):half()
  local y = F.conv2d(h, tensor.randn({3, 2, 3, 3}):half())
  eq(y:dtype(), "float16")
  eq(F.max_pool2d(h, 2):dtype(), "float16")
  eq(F.avg_pool2d(h:bfloat16(), 2):dtype(), "bfloat16")
  eq(F.cross_entropy(tensor.randn({2, 3}):half(), tensor{1, 2}):dtype(), "float16")
  local x = tensor.randn({1, 1, 4, 4}, {requires_grad = true})
  local w = tensor.randn({2, 1, 3, 3}, {requires_grad = true})
  eq(F.conv2d(x, w).grad_fn.name, "ConvolutionBackward0")
  eq(F.max_pool2d(x, 2).grad_fn.name, "MaxPool2DWithIndicesBackward0")
  eq(F.avg_pool2d(x, 2).grad_fn.name, "AvgPool2DBackward0")
  eq(F.adaptive_avg_pool2d(x, 2).grad_fn.name, "AdaptiveAvgPool2DBackward0")
  eq(F.linear(tensor.randn({2, 3}), tensor.randn({4, 3}, {requires_grad = true})).grad_fn.name, "MmBackward0")
  eq(F.cross_entropy(tensor.randn({2, 3}, {requires_grad = true}), tensor{1, 2}).grad_fn.name,
     "CrossEntropyLossBackward0")
  eq(F.nll_loss(tensor.randn({2, 3}, {requires_grad = true}), tensor{1, 2}).grad_fn.name, "NllLossBackward0")
  eq(F.conv2d(x:detach(), w:detach()).grad_fn, nil)
  -- float16 gradients come back in float16
  local hx = tensor.randn({1, 1, 4, 4}):half():requires_grad_()
  F.max_pool2d(hx, 2):sum():backward()
  eq(hx.grad:dtype(), "float16")
  -- a saved input changed in place is refused at backward
  local xi = tensor.randn({1, 1, 4, 4}, {requires_grad = true})
  local wi = tensor.randn({1, 1, 2, 2})
  local yi = F.conv2d(xi * 1, wi:requires_grad_())
  wi.requires_grad = false
  wi:add_(1)
  checkerr(function() yi:sum():backward() end, "modified by an in-place operation")
end)

-- ------------------------------------------------------------ gradcheck (float64)

local gradcheck = autograd.gradcheck
local function r(shape) return tensor.randn(shape, {dtype = "float64", requires_grad = true}) end

test("gradcheck layers", function()
  tensor.manual_seed(11)
  gradcheck(F.linear, {r({3, 4}), r({2, 4}), r({2})})
  gradcheck(F.linear, {r({2, 3, 4}), r({5, 4})})
  gradcheck(function(x, w, b) return F.conv2d(x, w, b, {stride = {2, 1}, padding = {1, 0}, dilation = {1, 2}, groups = 2}) end,
    {r({2, 4, 5, 6}), r({4, 2, 2, 2}), r({4})})
  gradcheck(function(x, w) return F.conv2d(x, w, nil, {padding = 1}) end, {r({2, 4, 4}), r({3, 2, 3, 3})})
  gradcheck(function(x) return F.max_pool2d(x, 3, {stride = 2, padding = 1, dilation = {1, 2}, ceil_mode = true}) end,
    {r({2, 2, 6, 7})})
  gradcheck(function(x) return F.max_pool2d(x, 2) end, {r({1, 2, 6, 4})})
  gradcheck(function(x) return F.avg_pool2d(x, {2, 3}, {stride = 2, padding = 1, ceil_mode = true,
    count_include_pad = false}) end, {r({2, 2, 5, 6})})
  gradcheck(function(x) return F.adaptive_avg_pool2d(x, {3, 2}) end, {r({2, 5, 7})})
end)

test("gradcheck normalisation, embedding, dropout", function()
  tensor.manual_seed(12)
  for _, training in ipairs{true, false} do
    gradcheck(function(x, w, b)
      return F.batch_norm(x, tensor.zeros({3}, f64), tensor.ones({3}, f64), {weight = w, bias = b, training = training})
    end, {r({4, 3, 2}), r({3}), r({3})})
  end
  gradcheck(function(x) return F.batch_norm(x, nil, nil, {training = true}) end, {r({5, 2})})
  gradcheck(function(x, w, b) return F.layer_norm(x, {2, 3}, {weight = w, bias = b}) end, {r({4, 2, 3}), r({2, 3}), r({2, 3})})
  gradcheck(function(x) return F.layer_norm(x, 3) end, {r({2, 3})})
  -- (row 2, the padding row, is not used: its gradient is zero by definition, not by difference)
  gradcheck(function(w) return F.embedding(tensor{{1, 4}, {4, 3}}, w, {padding_idx = 2}) end, {r({4, 3})})
  gradcheck(function(x)
    tensor.manual_seed(99) -- the same mask on every call
    return F.dropout(x, {p = 0.3})
  end, {r({3, 4})})
end)

test("gradcheck losses", function()
  tensor.manual_seed(13)
  local t = tensor{3, 1, 2, 2}
  for _, red in ipairs{"mean", "sum", "none"} do
    gradcheck(function(x) return F.cross_entropy(x, t, {reduction = red}) end, {r({4, 3})})
    gradcheck(function(x) return F.nll_loss(x, t, {reduction = red, weight = tensor({1.0, 2.0, 0.5}, f64)}) end,
      {r({4, 3})})
  end
  gradcheck(function(x) return F.cross_entropy(x, tensor{3, 0, 2, 1}, {ignore_index = 0, label_smoothing = 0.2,
    weight = tensor({1.0, 2.0, 0.5}, f64)}) end, {r({4, 3})})
  gradcheck(function(x) return F.cross_entropy(x, tensor{{1, 3}, {2, 2}}) end, {r({2, 3, 2})})
  gradcheck(function(x) return F.cross_entropy(x, tensor(2)) end, {r({3})})
  local q = tensor.rand({2, 4}, f64):requires_grad_()
  gradcheck(function(x, p) return F.cross_entropy(x, p, {label_smoothing = 0.1}) end, {r({2, 4}), q})
  for _, red in ipairs{"mean", "sum", "none"} do
    gradcheck(function(a, b) return F.mse_loss(a, b, {reduction = red}) end, {r({3, 4}), r({4})})
    gradcheck(function(a, b) return F.l1_loss(a, b, {reduction = red}) end, {r({3, 4}), r({3, 4})})
    gradcheck(function(x, y) return F.binary_cross_entropy_with_logits(x, y, {reduction = red,
      pos_weight = tensor({2.0, 0.5, 1.0}, f64), weight = tensor({1.0, 3.0, 0.5}, f64)}) end,
      {r({2, 3}), tensor.rand({2, 3}, f64):requires_grad_()})
  end
  gradcheck(function(x, y) return F.binary_cross_entropy_with_logits(x, y) end,
    {r({4}), tensor.rand({4}, f64):requires_grad_()})
end)

-- ------------------------------------------------------------ bad calls

test("bad calls", function()
  local x4, w = tensor.randn({1, 2, 5, 5}), tensor.randn({3, 2, 3, 3})
  -- linear
  checkerr(function() F.linear(tensor.randn({2, 3}), tensor.randn({4, 5})) end, "in_features = 5")
  checkerr(function() F.linear(tensor.randn({2, 3}), tensor.randn({3})) end, "weight must be 2-d")
  checkerr(function() F.linear(tensor.randn({2, 3}), tensor.randn({4, 3}), tensor.randn({5})) end, "bias must have shape 4")
  checkerr(function() F.linear(tensor{{1, 2}}, tensor{{1, 2}}) end, "must be a floating point tensor, got int64")
  checkerr(function() F.linear(tensor.randn({2, 3}), tensor.randn({4, 3}, f64)) end, "must have the input's dtype float32")
  -- conv2d
  checkerr(function() F.conv2d(tensor.randn({5, 5}), w) end, "expected a 3-d (C, H, W) or 4-d (N, C, H, W) input")
  checkerr(function() F.conv2d(tensor.randn({1, 3, 5, 5}), w) end, "to have 2 channels")
  checkerr(function() F.conv2d(tensor.randn({1, 2, 2, 2}), w) end, "can't be greater than the padded input")
  checkerr(function() F.conv2d(x4, w, nil, {groups = 2}) end, "must be divisible by groups")
  checkerr(function() F.conv2d(x4, w, nil, {stride = 0}) end, "stride must be positive")
  checkerr(function() F.conv2d(x4, w, nil, {padding = -1}) end, "padding must be non-negative")
  checkerr(function() F.conv2d(x4, w, nil, {dilation = {1, 0}}) end, "dilation must be positive")
  checkerr(function() F.conv2d(x4, w, nil, {strides = 2}) end, "unknown option 'strides'")
  checkerr(function() F.conv2d(x4, w, nil, {stride = 1.5}) end, "stride must be an integer or a table of two integers")
  checkerr(function() F.conv2d(x4, w, nil, {padding = 'full'}) end, "padding must be a number, {h, w}, 'valid' or 'same'")
  checkerr(function() F.conv2d(x4, w, nil, {padding = 'same', stride = 2}) end, "not supported for strided")
  checkerr(function() F.conv2d(x4, w, tensor.randn({2})) end, "bias must have shape 3")
  checkerr(function() F.conv2d(x4, tensor.randn({3, 2, 3})) end, "weight must be 4-d")
  checkerr(function() F.conv2d(x4, w, "bias") end, "options table expected")
  -- pooling
  checkerr(function() F.max_pool2d(tensor.randn({4, 4}), 2) end, "expected a 3-d (C, H, W) or 4-d")
  checkerr(function() F.max_pool2d(x4, 2, {padding = 2}) end, "padding should be between 0 and half of the kernel size")
  checkerr(function() F.max_pool2d(x4, 6) end, "is too small for kernel size 6x6")
  checkerr(function() F.max_pool2d(x4, 0) end, "kernel_size must be positive")
  checkerr(function() F.max_pool2d(x4, {2, 2, 2}) end, "kernel_size must be an integer or a table of two integers")
  checkerr(function() F.max_pool2d(x4, 2, {count_include_pad = true}) end, "unknown option 'count_include_pad'")
  checkerr(function() F.max_pool2d(tensor{{{1, 2}, {3, 4}}}, 2) end, "must be a floating point tensor, got int64")
  checkerr(function() F.avg_pool2d(x4, 2, {dilation = 2}) end, "unknown option 'dilation'")
  checkerr(function() F.avg_pool2d(x4, 2, {stride = -1}) end, "stride must be positive")
  checkerr(function() F.adaptive_avg_pool2d(x4, "3") end, "output_size must be an integer or {h, w}")
  checkerr(function() F.adaptive_avg_pool2d(x4, -3) end, "output_size must be non-negative")
  checkerr(function() F.adaptive_avg_pool2d(tensor.randn({1, 0, 4}), 2) end, "non-zero height and width")
  -- normalisation
  checkerr(function() F.batch_norm(tensor.randn({4}), nil, nil, {training = true}) end, "2 or more dims")
  checkerr(function() F.batch_norm(tensor.randn({4, 3}), tensor.zeros({2}), tensor.ones({3})) end,
    "running_mean must have shape 3")
  checkerr(function() F.batch_norm(tensor.randn({4, 3}), nil, nil) end, "running_mean and running_var are needed")
  checkerr(function() F.batch_norm(tensor.randn({1, 3}), nil, nil, {training = true}) end,
    "expected more than 1 value per channel when training")
  checkerr(function() F.batch_norm(tensor.randn({4, 3}), nil, nil, {training = 1}) end, "option 'training' must be a boolean")
  checkerr(function() F.batch_norm(tensor.randn({4, 3}), nil, nil, {trainig = true}) end, "unknown option 'trainig'")
  checkerr(function() F.layer_norm(tensor.randn({2, 3}), 4) end, "does not end with normalized_shape 4")
  checkerr(function() F.layer_norm(tensor.randn({2, 3}), 3, {weight = tensor.ones({2})}) end,
    "weight must have normalized_shape 3")
  checkerr(function() F.layer_norm(tensor.randn({2, 3}), "3") end, "normalized_shape must be an integer or a table")
  -- embedding
  checkerr(function() F.embedding(tensor{1, 6}, tensor.randn({5, 2})) end, "index 6 is out of range for 5 embeddings")
  checkerr(function() F.embedding(tensor{0}, tensor.randn({5, 2})) end, "(indices are 1-based: 1..5)")
  checkerr(function() F.embedding(tensor{1.0}, tensor.randn({5, 2})) end, "indices must be int64 or int32, got float32")
  checkerr(function() F.embedding(tensor{1}, tensor.randn({5})) end, "weight must be 2-d")
  checkerr(function() F.embedding(tensor{1}, tensor.randn({5, 2}), {padding_idx = 6}) end, "padding_idx must be within 1..5")
  -- dropout
  checkerr(function() F.dropout(tensor.ones({3}), {p = 1.5}) end, "probability has to be between 0 and 1, but got 1.5")
  checkerr(function() F.dropout(tensor.ones({3}), {p = 'half'}) end, "option 'p' must be a number")
  checkerr(function() F.dropout(tensor{1, 2}) end, "must be a floating point tensor, got int64")
  -- losses
  local logits = tensor.randn({3, 4})
  checkerr(function() F.cross_entropy(logits, tensor{1, 5, 2}) end, "target 5 is out of bounds for 4 classes")
  checkerr(function() F.cross_entropy(logits, tensor{0, 1, 2}) end, "(class indices are 1-based: 1..4)")
  checkerr(function() F.cross_entropy(logits, tensor{1.0, 2.0, 3.0}) end, "target must hold int64 class indices")
  checkerr(function() F.cross_entropy(logits, tensor{1, 2}) end, "expected a target of shape 3 (class indices) or 3x4")
  checkerr(function() F.cross_entropy(logits, tensor.zeros({3, 4}, {dtype = "int64"})) end,
    "holds class probabilities and must be floating point, got int64")
  checkerr(function() F.cross_entropy(logits, tensor{1, 2, 3}, {reduction = 'avg'}) end,
    "reduction must be 'none', 'mean' or 'sum', got 'avg'")
  checkerr(function() F.cross_entropy(logits, tensor{1, 2, 3}, {label_smoothing = 2}) end,
    "label_smoothing must be between 0 and 1")
  checkerr(function() F.cross_entropy(logits, tensor{1, 2, 3}, {weight = tensor.ones({3})}) end,
    "weight must have one value per class (4)")
  checkerr(function() F.cross_entropy(logits, tensor{1, 2, 3}, {ignore = 0}) end, "unknown option 'ignore'")
  checkerr(function() F.cross_entropy(logits, tensor.rand({3, 4}), {ignore_index = 1}) end,
    "ignore_index is not supported for probability targets")
  checkerr(function() F.cross_entropy(tensor.randn({3, 4}, {requires_grad = true}), tensor{1, 2, 3},
    {weight = tensor.ones({4}, {requires_grad = true})}) end, "the derivative for 'weight' is not implemented")
  checkerr(function() F.cross_entropy(tensor(1.0), tensor(1)) end, "got a scalar")
  checkerr(function() F.nll_loss(logits, tensor.rand({3, 4})) end, "expected a target of shape 3, got 3x4")
  checkerr(function() F.nll_loss(logits, tensor{1, 2, 3}, {label_smoothing = 0.1}) end, "unknown option 'label_smoothing'")
  checkerr(function() F.mse_loss(tensor.randn({3}), tensor.randn({4})) end, "mse_loss")
  checkerr(function() F.mse_loss(tensor{1, 2}, tensor{1, 2}) end, "expected floating point inputs")
  checkerr(function() F.l1_loss(tensor.randn({3}), 1) end, "tensor expected, got number")
  checkerr(function() F.binary_cross_entropy_with_logits(tensor.randn({3}), tensor.rand({4})) end,
    "target size 4 must be the same as input size 3")
  checkerr(function() F.binary_cross_entropy_with_logits(tensor.randn({2, 3}), tensor.rand({2, 3}),
    {pos_weight = tensor.ones({2})}) end, "binary_cross_entropy_with_logits")
  checkerr(function() F.binary_cross_entropy_with_logits(tensor.randn({3}), tensor.rand({3}), {reduction = 1}) end,
    "reduction must be 'none', 'mean' or 'sum'")
  -- wrappers
  checkerr(function() F.relu(3) end, "relu: input must be a tensor, got number")
  checkerr(function() F.relu(tensor.ones({2}), {in_place = true}) end, "relu: unknown option 'in_place'")
  checkerr(function() F.softmax(tensor.ones({2})) end, "softmax: dim is required")
  check((T.errors_checked or 0) >= 25, "25+ bad calls")
end)

test("help for every function", function()
  local n = 0
  for name, fn in pairs(F) do
    local h = tensor.gethelp(fn)
    check(h and h:find("F." .. name .. "(", 1, true) == 1, "help of F." .. name)
    n = n + 1
  end
  check(n >= 22, "22 functions, got " .. n)
end)

test("the interpreter still works after errors", function()
  local y = F.conv2d(tensor.ones({1, 1, 3, 3}), tensor.ones({1, 1, 2, 2}))
  close(y, {{{{4, 4}, {4, 4}}}})
  eq(F.cross_entropy(tensor.zeros({1, 2}), tensor{2}):item() > 0, true)
end)

T.done()
