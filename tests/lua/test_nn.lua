-- test_nn.lua: nn.Module itself: registration order and names, traversal,
-- train/eval, zero_grad, to, apply, state_dict and load_state_dict (round
-- trip through a file, errors), printing, user-defined classes, the
-- containers and parameter counts, and help texts. Forward passes here use
-- tensor methods only; the layers' computations are in test_nn_layers.lua.
local T = require("testlib")

local function names_of(iter)
  local out = {}
  for name in iter do out[#out + 1] = name end
  return out
end

local function count(model)
  local n = 0
  for _, p in ipairs(model:parameters()) do n = n + p:numel() end
  return n
end

-- A model of our own, used throughout: a 2-layer MLP on tensor methods.
local Net = nn.Module:extend("Net")
function Net:__init(n_in, n_hidden, n_out)
  self.fc1 = nn.Linear(n_in, n_hidden)
  self.act = nn.ReLU()
  self.fc2 = nn.Linear(n_hidden, n_out, {bias = false})
  self.scale = nn.Parameter(tensor.ones(1))
  self:register_buffer("calls", tensor.zeros(1))
  self.note = "plain attribute"
end
function Net:forward(x)
  local h = x:matmul(self.fc1.weight:t()) + self.fc1.bias
  return h:relu():matmul(self.fc2.weight:t()) * self.scale
end

T.test("registration order and PyTorch names", function()
  local m = Net(4, 3, 2)
  T.close(names_of(m:named_parameters()), {"scale", "fc1.weight", "fc1.bias", "fc2.weight"})
  T.close(names_of(m:named_children()), {"fc1", "act", "fc2"})
  T.close(names_of(m:named_modules()), {"", "fc1", "act", "fc2"})
  T.close(names_of(m:named_buffers()), {"calls"})
  T.eq(#m:parameters(), 4)
  T.eq(#m:children(), 3)
  T.eq(#m:modules(), 4)
  T.eq(m:modules()[1], m)
  T.eq(m.note, "plain attribute")
  T.eq(m.fc2.bias, nil)
  T.check(nn.is_parameter(m.scale) and m.scale.requires_grad and m.scale.is_leaf)
  T.check(not nn.is_parameter(m.calls) and not m.calls.requires_grad)
  -- parameters() are the very tensors the fields hold
  T.eq(m:parameters()[2], m.fc1.weight)
  T.close(names_of(m:named_parameters({prefix = "model", recurse = false})), {"model.scale"})
  T.eq(#m:parameters({recurse = false}), 1)
end)

T.test("reassignment keeps the position; a module replaces a plain attribute", function()
  local m = Net(4, 3, 2)
  m.fc1 = nn.Linear(4, 3)
  T.close(names_of(m:named_children()), {"fc1", "act", "fc2"})
  m.note = nn.Tanh() -- was a plain value: now a registered child
  T.close(names_of(m:named_children()), {"fc1", "act", "fc2", "note"})
  m.act = nil
  T.close(names_of(m:named_children()), {"fc1", "fc2", "note"})
  m.scale = nil
  T.close(names_of(m:named_parameters()), {"fc1.weight", "fc1.bias", "fc2.weight"})
  m:register_parameter("extra", nn.Parameter(tensor.zeros(2)))
  m:add_module("head", nn.Identity())
  T.close(names_of(m:named_parameters()), {"extra", "fc1.weight", "fc1.bias", "fc2.weight"})
  T.close(names_of(m:named_children()), {"fc1", "fc2", "note", "head"})
  -- a plain tensor is a plain attribute, not a parameter (as in PyTorch)
  m.plain = tensor.zeros(3)
  T.eq(#m:parameters(), 4)
  m.calls = tensor.ones(2) -- assigning to a buffer replaces it
  T.close(m:buffers()[1], {1, 1})
end)

T.test("shared modules and parameters are listed once", function()
  local fc = nn.Linear(2, 2)
  local seq = nn.Sequential(fc, nn.ReLU(), fc)
  T.eq(#seq:parameters(), 2)
  T.eq(#seq:children(), 2)
  T.close(names_of(seq:named_parameters()), {"0.weight", "0.bias"})
  -- state_dict keeps every name, as PyTorch's does
  local keys = {}
  for k in pairs(seq:state_dict()) do keys[#keys + 1] = k end
  T.close(keys, {"0.weight", "0.bias", "2.weight", "2.bias"})
  -- tied weights: one parameter in two modules
  local a, b = nn.Linear(3, 3), nn.Linear(3, 3)
  b.weight = a.weight
  T.eq(#nn.Sequential(a, b):parameters(), 3)
end)

T.test("parameter counts: MLP 784-256-10 and LeNet-5", function()
  local mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
  T.eq(count(mlp), 784 * 256 + 256 + 256 * 10 + 10)
  T.eq(count(mlp), 203530)
  local lenet = nn.Sequential(
    nn.Conv2d(1, 6, 5, {padding = 2}), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
  T.eq(count(lenet), (6 * 25 + 6) + (16 * 6 * 25 + 16) + (400 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10))
  T.eq(count(lenet), 61706)
  local shapes = {}
  for name, p in lenet:named_parameters() do shapes[#shapes + 1] = name .. "=" .. tostring(p:size()) end
  T.close(shapes, {"0.weight=Size{6, 1, 5, 5}", "0.bias=Size{6}", "3.weight=Size{16, 6, 5, 5}", "3.bias=Size{16}",
                   "7.weight=Size{120, 400}", "7.bias=Size{120}", "9.weight=Size{84, 120}", "9.bias=Size{84}",
                   "11.weight=Size{10, 84}", "11.bias=Size{10}"})
end)

T.test("Sequential: 1-based indexing over PyTorch's names, #, append, insert, named pairs", function()
  local a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
  local seq = nn.Sequential(a, b)
  T.eq(#seq, 2)
  T.eq(seq[1], a)
  T.eq(seq[2], b)
  T.eq(seq[-1], b)
  T.eq(seq["0"], a) -- the child's name
  seq:append(c)
  T.eq(#seq, 3)
  T.eq(seq[3], c)
  local d = nn.Tanh()
  seq:insert(2, d)
  T.eq(seq[2], d)
  T.eq(seq[3], b)
  T.close(names_of(seq:named_children()), {"0", "1", "2", "3"})
  seq[4] = nn.Identity()
  T.eq(seq[4].__name, "Identity")
  seq[#seq + 1] = nn.Sigmoid()
  T.eq(#seq, 5)
  local seen = 0
  for i, m in ipairs(seq) do
    seen = seen + 1
    T.eq(m, seq[i])
  end
  T.eq(seen, 5)
  local s2 = nn.Sequential()
  T.eq(s2:add(a), s2) -- Torch7's add, returning the container
  T.eq(#s2, 1)
  local named = nn.Sequential({"conv", nn.Conv2d(1, 2, 3)}, {"relu", nn.ReLU()})
  T.close(names_of(named:named_parameters()), {"conv.weight", "conv.bias"})
  T.eq(named[2].__name, "ReLU")
  T.eq(named.conv, named[1])
end)

T.test("Sequential forward runs its children in order", function()
  local Double = nn.Module:extend("Double")
  function Double:forward(x) return x * 2 end
  local AddOne = nn.Module:extend("AddOne")
  function AddOne:forward(x) return x + 1 end
  local seq = nn.Sequential(Double(), AddOne(), Double())
  T.close(seq(tensor{1.0, 2.0}), {6, 10}) -- (x*2 + 1) * 2
  T.close(nn.Sequential()(tensor{3.0}), {3})
end)

T.test("ModuleList and ModuleDict", function()
  local list = nn.ModuleList({nn.Linear(2, 2), nn.Linear(2, 2)})
  T.eq(#list, 2)
  list:append(nn.ReLU())
  T.eq(#list, 3)
  T.close(names_of(list:named_parameters()), {"0.weight", "0.bias", "1.weight", "1.bias"})
  local Stack = nn.Module:extend("Stack")
  function Stack:__init(n)
    self.layers = nn.ModuleList()
    for i = 1, n do self.layers:append(nn.Linear(2, 2)) end
  end
  local s = Stack(3)
  T.eq(#s:parameters(), 6)
  T.eq(select(1, s:named_parameters()()), "layers.0.weight")
  local d = nn.ModuleDict({{"b", nn.ReLU()}, {"a", nn.Tanh()}})
  T.close(d:keys(), {"b", "a"})
  T.eq(d.a.__name, "Tanh")
  T.eq(#d, 2)
  local sorted = nn.ModuleDict({z = nn.ReLU(), y = nn.ReLU()})
  T.close(sorted:keys(), {"y", "z"})
end)

T.test("train and eval reach every submodule", function()
  local m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5), nn.BatchNorm1d(2)))
  T.eq(m.training, true)
  T.eq(m:eval(), m)
  for _, sub in ipairs(m:modules()) do T.eq(sub.training, false) end
  m:train()
  for _, sub in ipairs(m:modules()) do T.eq(sub.training, true) end
  m:train(false)
  T.eq(m[2][1].training, false)
end)

T.test("zero_grad sets grads to nil, or zeroes them", function()
  local m = Net(3, 2, 1)
  for _, p in ipairs(m:parameters()) do
    local g = tensor.ones(p:size())
    p.grad = g
  end
  m:zero_grad({set_to_none = false})
  for _, p in ipairs(m:parameters()) do
    T.check(p.grad ~= nil)
    T.eq(p.grad:abs():sum():item(), 0)
  end
  m:zero_grad()
  for _, p in ipairs(m:parameters()) do T.eq(p.grad, nil) end
end)

T.test("requires_grad_ freezes and unfreezes", function()
  local m = nn.Linear(2, 2)
  m:requires_grad_(false)
  T.check(not m.weight.requires_grad and not m.bias.requires_grad)
  m:requires_grad_()
  T.check(m.weight.requires_grad)
end)

T.test("to(dtype) converts parameters and floating buffers only", function()
  local m = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
  local w = m[1].weight:clone()
  T.eq(m:to("float64"), m)
  T.eq(m[1].weight:dtype(), "float64")
  T.eq(m[2].running_mean:dtype(), "float64")
  T.eq(m[2].num_batches_tracked:dtype(), "int64")
  T.check(nn.is_parameter(m[1].weight) and m[1].weight.requires_grad)
  T.close(m[1].weight, w, 1e-7)
  T.close(names_of(m:named_parameters()), {"0.weight", "0.bias", "1.weight", "1.bias"})
  m:float()
  T.eq(m[1].bias:dtype(), "float32")
  m:to(tensor.zeros(1, {dtype = "float64"}))
  T.eq(m[1].bias:dtype(), "float64")
  m:to("cpu")
  T.eq(m[1].bias:device(), "cpu")
  -- a tied weight stays tied
  local a, b = nn.Linear(2, 2), nn.Linear(2, 2)
  b.weight = a.weight
  nn.Sequential(a, b):double()
  T.eq(a.weight, b.weight)
end)

T.test("apply visits children first, then the module", function()
  local order = {}
  local m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Tanh()))
  T.eq(m:apply(function(x) order[#order + 1] = x.__name end), m)
  T.close(order, {"Linear", "ReLU", "Tanh", "Sequential", "Sequential"})
  m:apply(function(x) if nn.isinstance(x, nn.Linear) then nn.init.zeros_(x.weight) end end)
  T.eq(m[1].weight:abs():sum():item(), 0)
end)

T.test("isinstance and is_module follow the class chain", function()
  local Base = nn.Module:extend("Base")
  local Derived = Base:extend("Derived")
  local d = Derived()
  T.check(nn.isinstance(d, Derived) and nn.isinstance(d, Base) and nn.isinstance(d, nn.Module))
  T.check(not nn.isinstance(d, nn.Linear))
  T.check(nn.isinstance(nn.BatchNorm2d(3), nn.Module))
  T.check(nn.is_module(d) and not nn.is_module({}) and not nn.is_module(tensor.zeros(1)) and not nn.is_module(Derived))
  T.eq(d.__name, "Derived")
  T.eq(tostring(Derived), "class Derived")
end)

T.test("user-defined subclasses inherit and override", function()
  local Scaled = nn.Linear:extend("ScaledLinear")
  function Scaled:__init(n_in, n_out, factor)
    nn.Linear.__init(self, n_in, n_out) -- the parent's constructor
    self.factor = factor
  end
  function Scaled:forward(x) return x:matmul(self.weight:t()) * self.factor end
  function Scaled:extra_repr() return nn.Linear.extra_repr(self) .. ", factor=" .. self.factor end
  local s = Scaled(2, 1, 10)
  tensor.no_grad(function() s.weight:copy_(tensor{{1.0, 2.0}}) end)
  T.close(s(tensor{{3.0, 4.0}}), {{110}}) -- (3 + 8) * 10
  T.eq(tostring(s), "ScaledLinear(in_features=2, out_features=1, bias=true, factor=10)")
  T.check(nn.isinstance(s, nn.Linear))
  T.eq(#s:parameters(), 2)
  -- the class's metamethods are its own: a custom __tostring
  local Named = nn.Module:extend("Named")
  function Named:__tostring() return "<named>" end
  T.eq(tostring(Named()), "<named>")
end)

T.test("printing matches PyTorch's structure", function()
  local mlp = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
  T.eq(tostring(mlp), "Sequential(\n" ..
    "  (0): Linear(in_features=784, out_features=256, bias=true)\n" ..
    "  (1): ReLU()\n" ..
    "  (2): Linear(in_features=256, out_features=10, bias=true)\n" ..
    ")")
  local m = Net(4, 3, 2)
  T.eq(tostring(m), "Net(\n" ..
    "  (fc1): Linear(in_features=4, out_features=3, bias=true)\n" ..
    "  (act): ReLU()\n" ..
    "  (fc2): Linear(in_features=3, out_features=2, bias=false)\n" ..
    ")")
  local nested = nn.Sequential(nn.Sequential(nn.Conv2d(1, 6, 5, {padding = 2}), nn.ReLU()), nn.Flatten())
  T.eq(tostring(nested), "Sequential(\n" ..
    "  (0): Sequential(\n" ..
    "    (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))\n" ..
    "    (1): ReLU()\n" ..
    "  )\n" ..
    "  (1): Flatten(start_dim=2, end_dim=-1)\n" ..
    ")")
  T.eq(tostring(nn.Module()), "Module()")
  -- extra_repr with children: the settings come first
  local WithExtra = nn.Module:extend("WithExtra")
  function WithExtra:__init() self.inner = nn.Identity() end
  function WithExtra:extra_repr() return "k=1" end
  T.eq(tostring(WithExtra()), "WithExtra(\n  k=1\n  (inner): Identity()\n)")
end)

T.test("printing of every layer's settings", function()
  local cases = {
    {nn.Linear(3, 4, {bias = false}), "Linear(in_features=3, out_features=4, bias=false)"},
    {nn.Conv2d(3, 8, {3, 5}, {stride = 2, padding = {1, 2}, dilation = 2, groups = 1, bias = false}),
     "Conv2d(3, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 2), dilation=(2, 2), bias=false)"},
    {nn.Conv2d(4, 8, 3, {groups = 2, padding = "same"}),
     "Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), padding='same', groups=2)"},
    {nn.MaxPool2d(2), "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=false)"},
    {nn.MaxPool2d({3, 2}, {stride = 1, ceil_mode = true}),
     "MaxPool2d(kernel_size=(3, 2), stride=1, padding=0, dilation=1, ceil_mode=true)"},
    {nn.AvgPool2d(3, {stride = 2, padding = 1}), "AvgPool2d(kernel_size=3, stride=2, padding=1)"},
    {nn.AdaptiveAvgPool2d(1), "AdaptiveAvgPool2d(output_size=1)"},
    {nn.AdaptiveAvgPool2d({5, 7}), "AdaptiveAvgPool2d(output_size=(5, 7))"},
    {nn.BatchNorm2d(16), "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=true, track_running_stats=true)"},
    {nn.BatchNorm1d(4, {momentum = 0.01, affine = false}),
     "BatchNorm1d(4, eps=1e-05, momentum=0.01, affine=false, track_running_stats=true)"},
    {nn.LayerNorm(10), "LayerNorm((10,), eps=1e-05, elementwise_affine=true)"},
    {nn.LayerNorm({4, 5}, {eps = 1e-6}), "LayerNorm((4, 5), eps=1e-06, elementwise_affine=true)"},
    {nn.Dropout(0.25), "Dropout(p=0.25)"},
    {nn.Embedding(10, 3), "Embedding(10, 3)"},
    {nn.Embedding(10, 3, {padding_idx = -1}), "Embedding(10, 3, padding_idx=10)"},
    {nn.Flatten(1), "Flatten(start_dim=1, end_dim=-1)"},
    {nn.Identity(), "Identity()"},
    {nn.ReLU(), "ReLU()"}, {nn.SiLU(), "SiLU()"}, {nn.Tanh(), "Tanh()"}, {nn.Sigmoid(), "Sigmoid()"},
    {nn.GELU({approximate = "tanh"}), "GELU(approximate='tanh')"},
    {nn.Softmax(-1), "Softmax(dim=-1)"}, {nn.LogSoftmax(2), "LogSoftmax(dim=2)"},
    {nn.CrossEntropyLoss({label_smoothing = 0.1}), "CrossEntropyLoss()"},
    {nn.NLLLoss(), "NLLLoss()"}, {nn.MSELoss(), "MSELoss()"}, {nn.L1Loss(), "L1Loss()"},
    {nn.BCEWithLogitsLoss(), "BCEWithLogitsLoss()"},
  }
  for _, c in ipairs(cases) do T.eq(tostring(c[1]), c[2]) end
end)

T.test("state_dict: names, order, detached tensors sharing storage", function()
  local m = Net(4, 3, 2)
  local sd = m:state_dict()
  local keys = {}
  for k, v in pairs(sd) do
    keys[#keys + 1] = k
    T.check(tensor.is_tensor(v) and not v.requires_grad, k .. " is detached")
  end
  T.close(keys, {"scale", "calls", "fc1.weight", "fc1.bias", "fc2.weight"})
  -- shares storage, as PyTorch's does
  tensor.no_grad(function() m.scale:fill_(7) end)
  T.close(sd.scale, {7})
  T.check(m:state_dict({keep_vars = true}).scale.requires_grad)
  local pre = {}
  for k in pairs(m.fc1:state_dict({prefix = "fc1."})) do pre[#pre + 1] = k end
  T.close(pre, {"fc1.weight", "fc1.bias"})
  -- non-persistent buffers are left out; batchnorm's buffers are in
  m:register_buffer("tmp", tensor.zeros(1), {persistent = false})
  T.eq(m:state_dict().tmp, nil)
  T.eq(#m:buffers(), 2)
  local bn = {}
  for k in pairs(nn.BatchNorm2d(3):state_dict()) do bn[#bn + 1] = k end
  T.close(bn, {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"})
end)

T.test("state_dict round trip through a file gives identical outputs", function()
  local path = os.tmpname() .. ".safetensors"
  tensor.manual_seed(1)
  local a = Net(5, 4, 3)
  tensor.no_grad(function() a.scale:fill_(1.5) end)
  local x = tensor.randn(6, 5)
  local ya = a(x)
  tensor.save(path, a:state_dict())
  local b = Net(5, 4, 3)
  T.check(b(x):sub(ya):abs():max():item() > 0, "a fresh model differs")
  local r = b:load_state_dict(tensor.load(path))
  T.eq(#r.missing_keys, 0)
  T.eq(#r.unexpected_keys, 0)
  T.eq(b(x):sub(ya):abs():max():item(), 0)
  -- loading copies: b does not share a's storage
  tensor.no_grad(function() a.fc1.weight:zero_() end)
  T.eq(b(x):sub(ya):abs():max():item(), 0)
  os.remove(path)
  os.remove(path:sub(1, -13))
end)

T.test("load_state_dict: strict=false reports keys; a failed load changes nothing", function()
  local m = nn.Linear(2, 2)
  local w = m.weight:clone()
  local r = m:load_state_dict({weight = tensor.ones(2, 2), extra = tensor.ones(1)}, {strict = false})
  T.close(r.missing_keys, {"bias"})
  T.close(r.unexpected_keys, {"extra"})
  T.close(m.weight, {{1, 1}, {1, 1}})
  tensor.no_grad(function() m.weight:copy_(w) end)
  local ok = pcall(m.load_state_dict, m, {weight = tensor.zeros(2, 2), bias = tensor.zeros(3)})
  T.check(not ok)
  T.close(m.weight, w) -- untouched, though weight itself was fine
  -- dtypes convert on load (the model keeps its own)
  m:load_state_dict({weight = tensor.ones(2, 2, {dtype = "float64"}), bias = tensor.zeros(2, {dtype = "float64"})})
  T.eq(m.weight:dtype(), "float32")
  T.close(m.weight, {{1, 1}, {1, 1}})
end)

T.test("help: nn, every class, every method and function", function()
  local h = tensor.gethelp(nn)
  T.check(h and h:find("^nn: "), "help(nn)")
  for _, name in ipairs({"Linear", "Conv2d", "Sequential", "CrossEntropyLoss", "BatchNorm2d", "Embedding"}) do
    T.check(h:find(name, 1, true), "help(nn) lists " .. name)
  end
  local function check_fn(f, what)
    local t = tensor.gethelp(f)
    T.check(type(t) == "string" and t:find("\n", 1, true), "help of " .. what)
  end
  local nclasses, nfuncs = 0, 0
  for name, v in pairs(nn) do
    if type(v) == "table" then
      T.check(tensor.gethelp(v), "help of nn." .. name)
      nclasses = nclasses + 1
      for k, f in pairs(v) do
        if type(f) == "function" then
          check_fn(f, "nn." .. name .. "." .. k)
          nfuncs = nfuncs + 1
        end
      end
    elseif type(v) == "function" then
      check_fn(v, "nn." .. name)
      nfuncs = nfuncs + 1
    end
  end
  T.check(nclasses >= 29 and nfuncs >= 100, nclasses .. " classes, " .. nfuncs .. " functions")
  local out = io.popen(string.format("%q -e %q 2>&1", arg[-1], "help(nn.Linear)")):read("a")
  T.check(out:find("nn.Linear(in_features, out_features", 1, true), out)
end)

T.done()
