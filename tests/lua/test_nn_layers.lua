-- test_nn_layers.lua: what the layers compute, against values worked out
-- by hand: Linear, Conv2d (stride, padding, dilation, groups), pooling,
-- BatchNorm (running statistics, momentum, train/eval), LayerNorm,
-- Dropout, Embedding, the activations and the losses; nn.init statistics
-- and PyTorch's default initialisations; gradient checks of the layers;
-- a state_dict round trip of a conv net through a file; and training
-- smoke tests with hand-written SGD.
local T = require("testlib")

local function set(t, values) tensor.no_grad(function() t:copy_(tensor(values)) end) end
local function maxdiff(a, b) return (a - b):abs():max():item() end

-- ------------------------------------------------------------ Linear

T.test("Linear computes x W^T + b over the last dim", function()
  local fc = nn.Linear(2, 2)
  set(fc.weight, {{1.0, 2.0}, {3.0, 4.0}})
  set(fc.bias, {0.5, -1.0})
  T.close(fc(tensor{{1.0, 1.0}, {2.0, -1.0}}), {{3.5, 6.0}, {0.5, 1.0}})
  -- leading batch dims are kept
  local y = fc(tensor.ones(4, 3, 2))
  T.eq(tostring(y:size()), "Size{4, 3, 2}")
  T.close(y[1][1], {3.5, 6.0})
  local nob = nn.Linear(2, 1, {bias = false})
  set(nob.weight, {{2.0, -1.0}})
  T.close(nob(tensor{{3.0, 1.0}}), {{5.0}})
  T.eq(nn.Linear(3, 2, {dtype = "float64"}).weight:dtype(), "float64")
end)

-- ------------------------------------------------------------ init

local function stats(t)
  local n = t:numel()
  local mean = t:sum():item() / n
  local var = ((t - mean) * (t - mean)):sum():item() / n
  return mean, math.sqrt(var), t:min():item(), t:max():item()
end

T.test("default initialisation of Linear and Conv2d is PyTorch's", function()
  tensor.manual_seed(0)
  local fc = nn.Linear(784, 256)
  local bound = 1 / math.sqrt(784)
  local mean, std, lo, hi = stats(fc.weight)
  T.check(lo >= -bound and hi <= bound, "weight within 1/sqrt(fan_in)")
  T.check(lo < -0.99 * bound and hi > 0.99 * bound, "weight fills its bound")
  T.check(math.abs(mean) < 0.01 * bound and math.abs(std - bound / math.sqrt(3)) < 0.01 * bound, "uniform stats")
  mean, std, lo, hi = stats(fc.bias)
  T.check(lo >= -bound and hi <= bound and hi > 0.9 * bound and lo < -0.9 * bound, "bias within 1/sqrt(fan_in)")
  local conv = nn.Conv2d(6, 16, 5)
  local cb = 1 / math.sqrt(6 * 25)
  mean, std, lo, hi = stats(conv.weight)
  T.check(lo >= -cb and hi <= cb and hi > 0.99 * cb, "conv weight bound 1/sqrt(in * kh * kw)")
  _, _, lo, hi = stats(conv.bias)
  T.check(lo >= -cb and hi <= cb, "conv bias bound")
  local grouped = nn.Conv2d(4, 4, 3, {groups = 4})
  local gb = 1 / math.sqrt(9) -- fan_in counts in_channels / groups
  _, _, lo, hi = stats(grouped.weight)
  T.check(lo >= -gb and hi <= gb and hi > 0.9 * gb, "grouped conv bound")
  -- parameters come out as leaves, without history
  T.check(fc.weight.is_leaf and fc.weight.grad_fn == nil and fc.weight.requires_grad)
  -- the norms and embeddings
  T.close(nn.BatchNorm2d(3).weight, {1, 1, 1})
  T.close(nn.LayerNorm(2).bias, {0, 0})
  local emb = nn.Embedding(1000, 8, {padding_idx = 3})
  T.close(emb.weight[3], {0, 0, 0, 0, 0, 0, 0, 0})
  mean, std = stats(emb.weight)
  T.check(math.abs(mean) < 0.05 and math.abs(std - 1) < 0.05, "embedding N(0, 1)")
end)

T.test("nn.init: bounds and spreads of kaiming and xavier", function()
  tensor.manual_seed(3)
  local w = tensor.empty(512, 256)
  local fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(w)
  T.eq(fan_in, 256)
  T.eq(fan_out, 512)
  T.close({nn.init._calculate_fan_in_and_fan_out(tensor.empty(16, 6, 5, 5))}, {150, 400})
  -- kaiming_uniform_, relu: bound sqrt(2) * sqrt(3 / fan_in)
  local bound = math.sqrt(6 / 256)
  T.eq(nn.init.kaiming_uniform_(w, {nonlinearity = "relu"}), w)
  local mean, std, lo, hi = stats(w)
  T.check(lo >= -bound and hi <= bound and lo < -0.99 * bound and hi > 0.99 * bound, "kaiming_uniform_ bound")
  T.check(math.abs(std - bound / math.sqrt(3)) < 0.01 * bound)
  -- a = sqrt(5), leaky_relu: bound 1/sqrt(fan_in)
  nn.init.kaiming_uniform_(w, {a = math.sqrt(5)})
  _, _, lo, hi = stats(w)
  T.check(hi <= 1 / 16 and hi > 0.99 / 16, "a = sqrt(5) gives 1/sqrt(fan_in)")
  nn.init.kaiming_uniform_(w, math.sqrt(5)) -- a as a number
  _, _, lo, hi = stats(w)
  T.check(hi <= 1 / 16 and hi > 0.99 / 16)
  -- fan_out mode
  nn.init.kaiming_uniform_(w, {mode = "fan_out", nonlinearity = "relu"})
  _, _, lo, hi = stats(w)
  T.check(hi <= math.sqrt(6 / 512) and hi > 0.99 * math.sqrt(6 / 512), "fan_out")
  nn.init.kaiming_normal_(w, {nonlinearity = "relu"})
  mean, std = stats(w)
  T.check(math.abs(mean) < 0.005 and math.abs(std - math.sqrt(2 / 256)) < 0.02 * math.sqrt(2 / 256), "kaiming_normal_")
  local xb = math.sqrt(6 / (256 + 512))
  nn.init.xavier_uniform_(w)
  mean, std, lo, hi = stats(w)
  T.check(lo >= -xb and hi <= xb and hi > 0.99 * xb, "xavier_uniform_")
  nn.init.xavier_uniform_(w, {gain = 2})
  _, _, lo, hi = stats(w)
  T.check(hi <= 2 * xb and hi > 1.98 * xb, "xavier_uniform_ gain")
  nn.init.xavier_normal_(w, 0.5)
  mean, std = stats(w)
  T.check(math.abs(std - 0.5 * math.sqrt(2 / 768)) < 0.02 * math.sqrt(2 / 768), "xavier_normal_")
  nn.init.uniform_(w, 2, 3)
  _, _, lo, hi = stats(w)
  T.check(lo >= 2 and hi <= 3 and lo < 2.01 and hi > 2.99)
  nn.init.normal_(w, 5, 0.1)
  mean, std = stats(w)
  T.check(math.abs(mean - 5) < 0.002 and math.abs(std - 0.1) < 0.002)
  T.close(nn.init.constant_(tensor.empty(3), 2.5), {2.5, 2.5, 2.5})
  T.close(nn.init.zeros_(tensor.ones(2)), {0, 0})
  T.close(nn.init.ones_(tensor.zeros(2)), {1, 1})
  -- on a parameter: runs under no_grad, leaves no history
  local p = nn.Parameter(tensor.empty(3, 4))
  nn.init.xavier_uniform_(p)
  T.check(p.is_leaf and p.grad_fn == nil and p.requires_grad)
  -- gains
  T.close(nn.init.calculate_gain("relu"), math.sqrt(2))
  T.close(nn.init.calculate_gain("tanh"), 5 / 3)
  T.close(nn.init.calculate_gain("leaky_relu"), math.sqrt(2 / (1 + 0.01 ^ 2)))
  T.close(nn.init.calculate_gain("leaky_relu", 0.2), math.sqrt(2 / 1.04))
  T.close(nn.init.calculate_gain("conv2d"), 1)
  T.close(nn.init.calculate_gain("selu"), 0.75)
end)

-- ------------------------------------------------------------ activations

T.test("activations", function()
  local x = tensor{-1.0, 0.0, 2.0}
  T.close(nn.ReLU()(x), {0, 0, 2})
  T.close(nn.Sigmoid()(tensor{0.0}), {0.5})
  T.close(nn.Tanh()(tensor{0.5}), {math.tanh(0.5)}, 1e-6)
  T.close(nn.SiLU()(tensor{1.0}), {1 / (1 + math.exp(-1))}, 1e-6)
  T.close(nn.GELU()(tensor{1.0}), {0.8413447}, 1e-6)
  T.close(nn.GELU({approximate = "tanh"})(tensor{1.0}), {0.8411920}, 1e-6)
  local z = tensor{{1.0, 2.0, 3.0}, {0.0, 0.0, 0.0}}
  T.close(nn.Softmax(2)(z), {{0.09003057, 0.24472847, 0.66524096}, {1 / 3, 1 / 3, 1 / 3}}, 1e-6)
  T.close(nn.Softmax(-1)(z), nn.Softmax(2)(z))
  T.close(nn.Softmax(1)(z)[1], {1 / (1 + math.exp(-1)), 1 / (1 + math.exp(-2)), 1 / (1 + math.exp(-3))}, 1e-6)
  T.close(nn.LogSoftmax(2)(z)[1], {-2.40760596, -1.40760596, -0.40760596}, 1e-6)
  T.eq(tostring(nn.Flatten()(tensor.zeros(2, 3, 4, 5)):size()), "Size{2, 60}")
  T.eq(tostring(nn.Flatten(2, 3)(tensor.zeros(2, 3, 4, 5)):size()), "Size{2, 12, 5}")
  T.eq(tostring(nn.Flatten(1)(tensor.zeros(2, 3)):size()), "Size{6}")
  local id = tensor{1.0}
  T.eq(nn.Identity(54, "ignored")(id), id)
end)

-- ------------------------------------------------------------ Dropout

T.test("Dropout: scaled mask in training, identity in eval", function()
  tensor.manual_seed(5)
  local drop = nn.Dropout(0.5)
  local x = tensor.ones(100000)
  local y = drop(x)
  local zeros = y:eq(0):sum():item()
  T.check(math.abs(zeros / 100000 - 0.5) < 0.01, "about half dropped: " .. zeros)
  T.eq(y:eq(2):sum():item() + zeros, 100000) -- survivors scaled by 1 / (1 - p)
  local d2 = nn.Dropout(0.2)(x)
  T.check(math.abs(d2:eq(0):sum():item() / 100000 - 0.2) < 0.01)
  T.close(d2:max(), 1.25)
  drop:eval()
  T.eq(drop(x), x)
  T.eq(nn.Dropout(0)(x), x)
  drop:train()
  T.check(drop(x):eq(0):sum():item() > 0)
end)

-- ------------------------------------------------------------ Embedding

T.test("Embedding picks rows by 1-based index", function()
  local emb = nn.Embedding(4, 2)
  set(emb.weight, {{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}, {7.0, 8.0}})
  local y = emb(tensor{{1, 3}, {4, 1}})
  T.eq(tostring(y:size()), "Size{2, 2, 2}")
  T.close(y, {{{1, 2}, {5, 6}}, {{7, 8}, {1, 2}}})
  local pre = nn.Embedding.from_pretrained(tensor{{1.0, 0.0}, {0.0, 1.0}})
  T.check(not pre.weight.requires_grad)
  T.close(pre(tensor{2}), {{0, 1}})
  T.check(nn.Embedding.from_pretrained(tensor{{1.0}}, {freeze = false}).weight.requires_grad)
end)

-- ------------------------------------------------------------ Conv2d

T.test("Conv2d: values with stride, padding, dilation, groups", function()
  local x = tensor.arange(1, 10):float():view(1, 1, 3, 3) -- 1..9
  local conv = nn.Conv2d(1, 1, 2)
  set(conv.weight, {{{{1.0, 1.0}, {1.0, 1.0}}}})
  set(conv.bias, {0.0})
  T.close(conv(x), {{{{12, 16}, {24, 28}}}})
  set(conv.bias, {1.0})
  T.close(conv(x), {{{{13, 17}, {25, 29}}}})
  -- unbatched C x H x W input
  T.close(conv(x[1]), {{{13, 17}, {25, 29}}})
  local padded = nn.Conv2d(1, 1, 2, {stride = 2, padding = 1, bias = false})
  set(padded.weight, {{{{1.0, 1.0}, {1.0, 1.0}}}})
  T.close(padded(x), {{{{1, 5}, {11, 28}}}})
  local dilated = nn.Conv2d(1, 1, 2, {dilation = 2, bias = false})
  set(dilated.weight, {{{{1.0, 1.0}, {1.0, 1.0}}}})
  T.close(dilated(x), {{{{20}}}}) -- the four corners: 1 + 3 + 7 + 9
  local grouped = nn.Conv2d(2, 2, 2, {groups = 2, bias = false})
  T.eq(tostring(grouped.weight:size()), "Size{2, 1, 2, 2}")
  set(grouped.weight, {{{{1.0, 1.0}, {1.0, 1.0}}}, {{{2.0, 2.0}, {2.0, 2.0}}}})
  local two = tensor.cat({x, tensor.ones(1, 1, 3, 3)}, 2)
  T.close(grouped(two), {{{{12, 16}, {24, 28}}, {{8, 8}, {8, 8}}}})
  local same = nn.Conv2d(1, 1, 3, {padding = "same"})
  T.eq(tostring(same(x):size()), "Size{1, 1, 3, 3}")
  local valid = nn.Conv2d(1, 1, 3, {padding = "valid"})
  T.eq(tostring(valid(x):size()), "Size{1, 1, 1, 1}")
  local rect = nn.Conv2d(3, 8, {3, 1}, {padding = {1, 0}})
  T.eq(tostring(rect(tensor.randn(2, 3, 5, 4)):size()), "Size{2, 8, 5, 4}")
end)

-- ------------------------------------------------------------ pooling

T.test("MaxPool2d, AvgPool2d, AdaptiveAvgPool2d", function()
  local x = tensor.arange(1, 17):float():view(1, 1, 4, 4)
  T.close(nn.MaxPool2d(2)(x), {{{{6, 8}, {14, 16}}}})
  T.close(nn.AvgPool2d(2)(x), {{{{3.5, 5.5}, {11.5, 13.5}}}})
  T.close(nn.MaxPool2d(2, {stride = 1})(x)[1][1][1], {6, 7, 8})
  T.close(nn.AdaptiveAvgPool2d(1)(x), {{{{8.5}}}})
  T.close(nn.AdaptiveAvgPool2d({2, 2})(x), {{{{3.5, 5.5}, {11.5, 13.5}}}})
  T.close(nn.MaxPool2d(2)(x[1]), {{{6, 8}, {14, 16}}}) -- unbatched
  local y, idx = nn.MaxPool2d(2, {return_indices = true})(x)
  T.close(y, {{{{6, 8}, {14, 16}}}})
  T.eq(tostring(idx:size()), "Size{1, 1, 2, 2}")
  T.close(x:view(1, 1, 16):gather(3, idx:view(1, 1, 4)), {{{6, 8, 14, 16}}}) -- 1-based positions
  -- padding: the padded average counts the zeros unless count_include_pad=false
  local ones = tensor.ones(1, 1, 2, 2)
  T.close(nn.AvgPool2d(2, {stride = 2, padding = 1})(ones), {{{{0.25, 0.25}, {0.25, 0.25}}}})
  T.close(nn.AvgPool2d(2, {stride = 2, padding = 1, count_include_pad = false})(ones), {{{{1, 1}, {1, 1}}}})
  T.eq(tostring(nn.MaxPool2d(2, {ceil_mode = true})(tensor.randn(1, 1, 5, 5)):size()), "Size{1, 1, 3, 3}")
  T.eq(tostring(nn.MaxPool2d(2)(tensor.randn(1, 1, 5, 5)):size()), "Size{1, 1, 2, 2}")
end)

-- ------------------------------------------------------------ BatchNorm, LayerNorm

T.test("BatchNorm1d: batch statistics, running statistics, eval", function()
  local bn = nn.BatchNorm1d(2)
  local x = tensor{{1.0, 2.0}, {3.0, 6.0}} -- channel means 2, 4; biased vars 1, 4; unbiased 2, 8
  local y = bn(x)
  T.close(y, {{-1, -1}, {1, 1}}, 1e-4)
  T.close(bn.running_mean, {0.2, 0.4}, 1e-6)
  T.close(bn.running_var, {0.9 + 0.1 * 2, 0.9 + 0.1 * 8}, 1e-6)
  T.eq(bn.num_batches_tracked:item(), 1)
  bn:eval()
  T.close(bn(tensor{{1.0, 2.0}}), {{0.8 / math.sqrt(1.1 + 1e-5), 1.6 / math.sqrt(1.7 + 1e-5)}}, 1e-5)
  T.eq(bn.num_batches_tracked:item(), 1) -- eval leaves the statistics alone
  T.close(bn.running_mean, {0.2, 0.4}, 1e-6)
  -- weight and bias scale and shift
  bn:train()
  set(bn.weight, {2.0, 1.0})
  set(bn.bias, {0.0, 10.0})
  T.close(bn(x), {{-2, 9}, {2, 11}}, 1e-4)
  -- momentum=false: a cumulative average of the batch means
  local cum = nn.BatchNorm1d(2, {momentum = false})
  cum(x)
  cum(tensor{{3.0, 4.0}, {5.0, 8.0}})
  T.close(cum.running_mean, {3, 5}, 1e-6)
  T.eq(cum.num_batches_tracked:item(), 2)
  -- a 3-d input N x C x L
  local bn3 = nn.BatchNorm1d(3)
  T.eq(tostring(bn3(tensor.randn(4, 3, 5)):size()), "Size{4, 3, 5}")
end)

T.test("BatchNorm2d: per-channel normalisation; options", function()
  tensor.manual_seed(2)
  local bn = nn.BatchNorm2d(3)
  local x = tensor.randn(8, 3, 4, 4) * tensor{1.0, 5.0, 0.5}:view(1, 3, 1, 1) + tensor{0.0, 3.0, -2.0}:view(1, 3, 1, 1)
  local y = bn(x)
  local per = y:transpose(1, 2):reshape(3, -1)
  T.close(per:mean(2), {0, 0, 0}, 1e-5)
  T.close(per:var(2, {correction = 0}), {1, 1, 1}, 1e-3)
  local xm = x:transpose(1, 2):reshape(3, -1):mean(2)
  T.close(bn.running_mean, xm * 0.1, 1e-5)
  -- eval output differs from training output (running vs batch statistics)
  bn:eval()
  T.check(maxdiff(bn(x), y) > 0.1)
  -- no running statistics: batch statistics in eval too, no buffers
  local free = nn.BatchNorm2d(3, {track_running_stats = false})
  T.eq(free.running_mean, nil)
  T.eq(#free:buffers(), 0)
  free:eval()
  T.close(free(x), y, 1e-5)
  local plain = nn.BatchNorm2d(3, {affine = false})
  T.eq(#plain:parameters(), 0)
  T.close(plain(x), y, 1e-5)
end)

T.test("LayerNorm normalises the trailing dims", function()
  local ln = nn.LayerNorm(4)
  local s = math.sqrt(1.25 + 1e-5)
  T.close(ln(tensor{{1.0, 2.0, 3.0, 4.0}}), {{-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s}}, 1e-5)
  set(ln.weight, {1.0, 1.0, 2.0, 2.0})
  set(ln.bias, {0.0, 0.0, 0.0, 1.0})
  T.close(ln(tensor{{1.0, 2.0, 3.0, 4.0}}), {{-1.5 / s, -0.5 / s, 1 / s, 3 / s + 1}}, 1e-5)
  local ln2 = nn.LayerNorm({2, 2}, {elementwise_affine = false})
  T.eq(#ln2:parameters(), 0)
  T.close(ln2(tensor{{{1.0, 2.0}, {3.0, 4.0}}}), {{{-1.5 / s, -0.5 / s}, {0.5 / s, 1.5 / s}}}, 1e-5)
  T.eq(#nn.LayerNorm(3, {bias = false}):parameters(), 1)
end)

-- ------------------------------------------------------------ losses

T.test("losses against hand-computed values", function()
  local a, b = tensor{1.0, 2.0, 3.0}, tensor{1.0, 0.0, 0.0}
  T.close(nn.MSELoss()(a, b), 13 / 3, 1e-6)
  T.close(nn.MSELoss({reduction = "sum"})(a, b), 13, 1e-6)
  T.close(nn.MSELoss({reduction = "none"})(a, b), {0, 4, 9})
  T.close(nn.L1Loss()(a, b), 5 / 3, 1e-6)
  T.close(nn.L1Loss({reduction = "sum"})(a, b), 5, 1e-6)
  local logits = tensor{{1.0, 2.0, 3.0}, {1.0, 2.0, 3.0}}
  local ce = nn.CrossEntropyLoss()
  T.close(ce(logits, tensor{3, 1}), (0.40760596 + 2.40760596) / 2, 1e-6)
  T.close(nn.CrossEntropyLoss({reduction = "none"})(logits, tensor{3, 1}), {0.40760596, 2.40760596}, 1e-6)
  T.close(nn.CrossEntropyLoss({reduction = "sum"})(logits, tensor{3, 1}), 2.81521192, 1e-6)
  T.close(nn.CrossEntropyLoss({weight = tensor{1.0, 1.0, 2.0}})(logits, tensor{3, 1}),
          (2 * 0.40760596 + 2.40760596) / 3, 1e-6)
  T.close(nn.CrossEntropyLoss({ignore_index = 1})(logits, tensor{3, 1}), 0.40760596, 1e-6)
  T.close(nn.CrossEntropyLoss({label_smoothing = 0.1})(logits[{{1, 1}}], tensor{3}),
          0.9 * 0.40760596 + 0.1 * 1.40760596, 1e-6)
  -- class probabilities as targets
  T.close(ce(logits[{{1, 1}}], tensor{{0.0, 0.0, 1.0}}), 0.40760596, 1e-6)
  T.close(ce(logits[{{1, 1}}], tensor{{0.5, 0.0, 0.5}}), (2.40760596 + 0.40760596) / 2, 1e-6)
  local logp = nn.LogSoftmax(2)(logits)
  T.close(nn.NLLLoss()(logp, tensor{3, 1}), (0.40760596 + 2.40760596) / 2, 1e-6)
  T.close(nn.NLLLoss({reduction = "none"})(logp, tensor{2, 2}), {1.40760596, 1.40760596}, 1e-6)
  local bce = nn.BCEWithLogitsLoss()
  T.close(bce(tensor{0.0, 2.0}, tensor{1.0, 0.0}), (math.log(2) + math.log(1 + math.exp(2))) / 2, 1e-6)
  T.close(nn.BCEWithLogitsLoss({pos_weight = tensor{3.0}})(tensor{0.0}, tensor{1.0}), 3 * math.log(2), 1e-6)
  T.close(nn.BCEWithLogitsLoss({reduction = "none", weight = tensor{2.0, 1.0}})(tensor{0.0, 0.0}, tensor{1.0, 0.0}),
          {2 * math.log(2), math.log(2)}, 1e-6)
  -- large logits stay finite
  T.close(bce(tensor{100.0}, tensor{0.0}), 100, 1e-5)
  -- a loss's weight is a buffer: it follows to() and shows in state_dict
  local wl = nn.CrossEntropyLoss({weight = tensor{1.0, 2.0}})
  T.check(wl:state_dict().weight ~= nil)
  wl:double()
  T.eq(wl.weight:dtype(), "float64")
end)

-- ------------------------------------------------------------ gradients

T.test("gradients of Linear by hand", function()
  local fc = nn.Linear(3, 2)
  local x = tensor{{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}
  fc(x):sum():backward()
  T.close(fc.weight.grad, {{5, 7, 9}, {5, 7, 9}}) -- column sums of x, per output
  T.close(fc.bias.grad, {2, 2})
  fc(x):sum():backward() -- accumulates
  T.close(fc.bias.grad, {4, 4})
  fc:zero_grad()
  T.eq(fc.weight.grad, nil)
end)

T.test("gradient checks of the layers (float64, parameters included)", function()
  tensor.manual_seed(4)
  local function check(m, x)
    m:double()
    x = x:double():requires_grad_()
    local inputs = {x}
    for _, p in ipairs(m:parameters()) do inputs[#inputs + 1] = p end
    T.check(autograd.gradcheck(function(xx) return m(xx) end, inputs), m.__name)
  end
  check(nn.Linear(3, 2), tensor.randn(4, 3))
  check(nn.Conv2d(2, 3, 3, {padding = 1, stride = 2}), tensor.randn(2, 2, 5, 5))
  check(nn.Conv2d(4, 2, 2, {groups = 2, dilation = 2}), tensor.randn(1, 4, 5, 5))
  check(nn.MaxPool2d(2), tensor.randn(1, 2, 4, 4))
  check(nn.AvgPool2d(3, {stride = 2, padding = 1}), tensor.randn(1, 2, 5, 5))
  check(nn.AdaptiveAvgPool2d({2, 3}), tensor.randn(2, 2, 5, 7))
  check(nn.BatchNorm2d(3), tensor.randn(4, 3, 2, 2))
  check(nn.BatchNorm1d(3):eval(), tensor.randn(4, 3))
  check(nn.LayerNorm(5), tensor.randn(3, 5))
  check(nn.GELU(), tensor.randn(6))
  check(nn.SiLU(), tensor.randn(6))
  check(nn.Tanh(), tensor.randn(6))
  check(nn.Sigmoid(), tensor.randn(6))
  check(nn.Softmax(2), tensor.randn(3, 4))
  check(nn.LogSoftmax(2), tensor.randn(3, 4))
  check(nn.Flatten(), tensor.randn(2, 3, 2))
  check(nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)), tensor.randn(5, 4))
  local emb = nn.Embedding(5, 3):double()
  T.check(autograd.gradcheck(function() return emb(tensor{{1, 2}, {5, 1}}) end, {emb.weight}), "Embedding")
  local target = tensor{1, 3, 2}
  local ce = nn.CrossEntropyLoss({label_smoothing = 0.1})
  T.check(autograd.gradcheck(function(z) return ce(z, target) end, {tensor.randn(3, 4, {dtype = "float64"}):requires_grad_()}))
  local mse = nn.MSELoss()
  local y = tensor.randn(5, {dtype = "float64"})
  T.check(autograd.gradcheck(function(z) return mse(z, y) end, {tensor.randn(5, {dtype = "float64"}):requires_grad_()}))
end)

T.test("the padding_idx row of an Embedding gets no gradient", function()
  local emb = nn.Embedding(4, 2, {padding_idx = 1})
  emb(tensor{1, 2, 1, 3}):sum():backward()
  T.close(emb.weight.grad, {{0, 0}, {1, 1}, {1, 1}, {0, 0}})
end)

-- ------------------------------------------------------------ a conv net, saved and trained

local function small_convnet()
  return nn.Sequential(
    nn.Conv2d(1, 4, 3, {padding = 1}), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(4, 8, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    nn.Dropout(0.3), nn.Linear(8, 3))
end

T.test("state_dict round trip of a conv net through a file gives identical outputs", function()
  tensor.manual_seed(7)
  local path = os.tmpname()
  os.remove(path)
  path = path .. ".safetensors"
  local a = small_convnet()
  local x = tensor.randn(5, 1, 8, 8)
  a(x) -- one training step moves the running statistics
  a:eval()
  local ya = a(x)
  T.check(a[2].num_batches_tracked:item() == 1)
  tensor.save(path, a:state_dict())
  local b = small_convnet():eval()
  T.check(maxdiff(b(x), ya) > 0)
  b:load_state_dict(tensor.load(path))
  T.eq(maxdiff(b(x), ya), 0)
  T.eq(b[2].num_batches_tracked:item(), 1)
  T.close(b[2].running_var, a[2].running_var, 0)
  os.remove(path)
end)

T.test("train and eval switch Dropout and BatchNorm in a whole model", function()
  tensor.manual_seed(8)
  local m = small_convnet()
  local x = tensor.randn(4, 1, 8, 8)
  m:eval()
  local y1, y2 = m(x), m(x)
  T.eq(maxdiff(y1, y2), 0) -- deterministic in eval
  m:train()
  T.check(maxdiff(m(x), y1) > 0)
end)

-- Fits model to (x, y) for `steps` steps of hand-written SGD at lr 0.1,
-- the loop PyTorch's docs start with; returns the first and last losses.
local function fit(model, loss_fn, x, y, steps)
  local first, last
  for step = 1, steps do
    local loss = loss_fn(model(x), y)
    model:zero_grad()
    loss:backward()
    tensor.no_grad(function()
      for _, p in ipairs(model:parameters()) do
        if p.grad then p:sub_(p.grad * 0.1) end
      end
    end)
    if step == 1 then first = loss:item() end
    last = loss:item()
  end
  return first, last
end

T.test("training an MLP on a synthetic problem makes the loss fall", function()
  tensor.manual_seed(0)
  -- three Gaussian blobs in 2-d, 1-based labels
  local n = 300
  local centers = tensor{{2.0, 0.0}, {-1.0, 1.7}, {-1.0, -1.7}}
  local y = tensor.randint(1, 4, {n})
  local x = centers:index_select(1, y) + tensor.randn(n, 2) * 0.5
  local model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
  local first, last = fit(model, nn.CrossEntropyLoss(), x, y, 200)
  T.check(last < 0.3 * first and last < 0.2, string.format("loss %.4f -> %.4f", first, last))
  local acc = model(x):argmax(2):eq(y):float():mean():item()
  T.check(acc > 0.95, "accuracy " .. acc)
end)

T.test("a conv net fits a fixed batch (conv, pooling, batchnorm backward)", function()
  tensor.manual_seed(1)
  local model = small_convnet()
  local x = tensor.randn(12, 1, 8, 8)
  local y = tensor{1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3}
  local first, last = fit(model, nn.CrossEntropyLoss(), x, y, 60)
  T.check(last < 0.5 * first, string.format("loss %.4f -> %.4f", first, last))
end)

T.test("a user-defined module trains like a built-in one", function()
  tensor.manual_seed(2)
  local Affine = nn.Module:extend("Affine")
  function Affine:__init(n)
    self.w = nn.Parameter(tensor.zeros(n))
    self.b = nn.Parameter(tensor.zeros(1))
  end
  function Affine:forward(x) return (x * self.w):sum(2) + self.b end
  local model = Affine(3)
  local x = tensor.randn(64, 3)
  local target = x:matmul(tensor{1.0, -2.0, 0.5}) + 0.3
  fit(model, nn.MSELoss(), x, target, 300)
  T.close(model.w, {1.0, -2.0, 0.5}, 1e-3)
  T.close(model.b, {0.3}, 1e-3)
end)

T.done()
