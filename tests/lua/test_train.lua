-- test_train.lua: training end to end on real Fashion-MNIST data: an MLP
-- learns (loss falls, accuracy far above chance) in a few hundred steps,
-- a state_dict saved and loaded reproduces the outputs, and the main job
-- (scripts/train_fmnist.lua) runs, writes its files and rejects bad options.
local T = require("testlib")
local test, check = T.test, T.check

local root = arg[0]:match("^(.*)/tests/lua/[^/]*$") or "../.."
local tensh = (arg[-1] and arg[-1] ~= "" and arg[-1]) or "tensh"
if tensh:find("/", 1, true) and tensh:sub(1, 1) ~= "/" then tensh = os.getenv("PWD") .. "/" .. tensh end
if root:sub(1, 1) ~= "/" then root = os.getenv("PWD") .. "/" .. root end

-- Training real data is far too slow on the reference kernels (naive loops,
-- the oracle for the kernel tests): under TENSH_KERNELS=ref only the
-- command-line checks run; the fast-kernel run of this file does the rest.
local heavy = os.getenv("TENSH_KERNELS") ~= "ref"
local function heavy_test(name, fn) if heavy then test(name, fn) end end

tensor.manual_seed(0)
local Tr = vision.transforms
local train = vision.datasets.FashionMNIST{}
local n_train, n_held = 19200, 2000
local tr = data.TensorDataset(train.data:narrow(1, 1, n_train), train.targets:narrow(1, 1, n_train))
local held_x = Tr.Compose{Tr.ToTensor(), Tr.Normalize(0.2860, 0.3530)}(train.data:narrow(1, 50001, n_held))
local held_y = train.targets:narrow(1, 50001, n_held)

local model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))

local function accuracy()
  return tensor.no_grad(function()
    return model(held_x):argmax(2):eq(held_y):float():mean():item()
  end)
end

heavy_test("an MLP learns Fashion-MNIST in 300 steps", function()
  local crit = nn.CrossEntropyLoss()
  local opt = optim.SGD(model:parameters(), {lr = 0.01, momentum = 0.9})
  local loader = data.DataLoader(tr, {batch_size = 64, shuffle = true, seed = 0,
    transform = Tr.Compose{Tr.ToTensor(), Tr.Normalize(0.2860, 0.3530)}})
  local before = accuracy()
  local first, last, steps = nil, 0, 0
  for x, y in loader:iter() do
    opt:zero_grad()
    local loss = crit(model(x), y)
    loss:backward()
    opt:step()
    steps = steps + 1
    if steps <= 10 then first = (first or 0) + loss:item() / 10 end
    if steps > 290 then last = last + loss:item() / 10 end
  end
  T.eq(steps, 300)
  local after = accuracy()
  check(first > 1.2, "the first losses are those of an untrained net, got " .. first)
  check(last < 0.75, "the loss falls below 0.75 in 300 steps, got " .. last)
  check(before < 0.3, "an untrained net is near chance, got " .. before)
  check(after > 0.75, "held-out accuracy rises far above chance (0.1), got " .. after)
end)

heavy_test("a saved state_dict reloads into a fresh model with identical outputs", function()
  local path = os.tmpname() .. ".safetensors"
  tensor.save(path, model:state_dict())
  local other = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
  other:load_state_dict(tensor.load(path))
  os.remove(path)
  local a = tensor.no_grad(function() return model(held_x) end)
  local b = tensor.no_grad(function() return other(held_x) end)
  T.eq(a:eq(b):all():item(), true)
end)

local function run(args)
  local out = os.tmpname()
  local ok, how, code = os.execute(string.format("cd %q && %q scripts/train_fmnist.lua %s > %q 2>&1",
    root, tensh, args, out))
  local f = io.open(out)
  local text = f:read("a")
  f:close()
  os.remove(out)
  return ok and 0 or code, text
end

heavy_test("the main job runs, reports each epoch and writes its files", function()
  local dir = os.tmpname()
  os.remove(dir)
  local weights, png = dir .. ".safetensors", dir .. ".png"
  local code, text = run(string.format("--model mlp --epochs 1 --limit 3200 --save %q --plot %q", weights, png))
  T.eq(code, 0, text)
  check(text:find("epoch 1/1 batch 50/50", 1, true), "a progress line per quarter when not a terminal:\n" .. text)
  local acc = text:match("epoch 1: train loss [%d.]+, test accuracy ([%d.]+)%%")
  check(acc and tonumber(acc) > 40, "test accuracy reported and above chance:\n" .. text)
  local sd = tensor.load(weights)
  T.eq(tostring(sd["1.weight"]:size()), "Size{256, 784}")
  local f = io.open(png, "rb")
  check(f and f:read(8) == "\137PNG\r\n\26\n", "the curves are a PNG")
  if f then f:close() end
  os.remove(weights)
  os.remove(png)
end)

test("the main job rejects bad options with a clear message", function()
  local code, text = run("--model resnet")
  check(code ~= 0 and text:find("--model must be lenet or mlp", 1, true), text)
  code, text = run("--epochs x")
  check(code ~= 0 and text:find("--epochs expects a number", 1, true), text)
  code, text = run("--frobnicate")
  check(code ~= 0 and text:find("unknown argument '--frobnicate'", 1, true), text)
  code, text = run("--help")
  check(code == 0 and text:find("usage:", 1, true), text)
end)

T.done()
