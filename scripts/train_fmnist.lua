-- train_fmnist.lua: the main job. Trains LeNet-5 (or an MLP) on
-- Fashion-MNIST, read offline from Debian's dataset-fashion-mnist package,
-- the way a PyTorch user would write it. Prints a progress bar per epoch,
-- the train loss, test accuracy and time of each epoch, saves the model as
-- safetensors and draws the curves to a PNG.
--   tensh scripts/train_fmnist.lua [--model lenet|mlp] [--epochs 3] ...
-- Run with --help for every option.

local defaults = {
  model = "lenet", epochs = 3, ["batch-size"] = 64, lr = 0.01, momentum = 0.9,
  optimizer = "sgd", seed = 0, threads = 0, save = "train_fmnist.safetensors",
  data = nil, plot = "train_fmnist.png", show = false, limit = 0,
}

local usage = [[
usage: tensh scripts/train_fmnist.lua [options]
  --model lenet|mlp     the network (default lenet: LeNet-5; mlp: 784-256-10)
  --epochs N            passes over the training set (3)
  --batch-size N        samples per step (64)
  --lr X                learning rate (0.01)
  --momentum X          SGD momentum (0.9)
  --optimizer sgd|adam  the optimizer (sgd)
  --seed N              seed for initialisation and shuffling (0)
  --threads N           CPU threads (default: all cores)
  --save PATH           where to save the trained weights (train_fmnist.safetensors; '' skips)
  --data DIR            Fashion-MNIST directory (default: the Debian package's)
  --plot PATH           where to draw loss and accuracy per epoch (train_fmnist.png; '' skips)
  --show                also draw the plot in the terminal at the end
  --limit N             use only the first N training samples (quick runs; 0: all)
  --help                this text]]

local function parse(argv)
  local o = {}
  for k, v in pairs(defaults) do o[k] = v end
  local i = 1
  while i <= #argv do
    local a = argv[i]
    if a == "--help" or a == "-h" then print(usage); os.exit(0) end
    local key, val = a:match("^%-%-([%w-]+)=(.*)$")
    if not key then key = a:match("^%-%-([%w-]+)$") end
    if not key or defaults[key] == nil and key ~= "data" then
      io.stderr:write("train_fmnist: unknown argument '", a, "'\n", usage, "\n")
      os.exit(2)
    end
    if key == "show" then
      o.show = true
    else
      if val == nil then
        i = i + 1
        val = argv[i]
        if val == nil then
          io.stderr:write("train_fmnist: --", key, " needs a value\n")
          os.exit(2)
        end
      end
      if type(defaults[key]) == "number" then
        local n = tonumber(val)
        if not n then
          io.stderr:write("train_fmnist: --", key, " expects a number, got '", val, "'\n")
          os.exit(2)
        end
        val = n
      end
      o[key] = val
    end
    i = i + 1
  end
  if o.model ~= "lenet" and o.model ~= "mlp" then
    io.stderr:write("train_fmnist: --model must be lenet or mlp, got '", o.model, "'\n"); os.exit(2)
  end
  if o.optimizer ~= "sgd" and o.optimizer ~= "adam" then
    io.stderr:write("train_fmnist: --optimizer must be sgd or adam, got '", o.optimizer, "'\n"); os.exit(2)
  end
  if o.epochs < 1 or o["batch-size"] < 1 or math.type(o.epochs) ~= "integer" then
    io.stderr:write("train_fmnist: --epochs and --batch-size must be positive integers\n"); os.exit(2)
  end
  return o
end

local opt = parse(arg)
if opt.threads > 0 then tensor.set_num_threads(math.tointeger(opt.threads)) end
tensor.manual_seed(math.tointeger(opt.seed))

-- Data: uint8 N x 1 x 28 x 28 images, labels 1..10, normalised per batch in C.
local T = vision.transforms
local transform = T.Compose{T.ToTensor(), T.Normalize(0.2860, 0.3530)}
local train_set = vision.datasets.FashionMNIST{root = opt.data, train = true}
local test_set = vision.datasets.FashionMNIST{root = opt.data, train = false}
if opt.limit > 0 and opt.limit < #train_set then
  local n = math.tointeger(opt.limit)
  train_set = data.TensorDataset(train_set.data:narrow(1, 1, n), train_set.targets:narrow(1, 1, n))
end
local batch = math.tointeger(opt["batch-size"])
local train_loader = data.DataLoader(train_set, {batch_size = batch, shuffle = true,
                                                 seed = math.tointeger(opt.seed), transform = transform})
local test_loader = data.DataLoader(test_set, {batch_size = 1000, transform = transform})

-- Models, as in the reference PyTorch setup.
local model
if opt.model == "lenet" then
  model = nn.Sequential(
    nn.Conv2d(1, 6, 5, {padding = 2}), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(400, 120), nn.ReLU(),
    nn.Linear(120, 84), nn.ReLU(),
    nn.Linear(84, 10))
else
  model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
end
local criterion = nn.CrossEntropyLoss()
local optimizer
if opt.optimizer == "sgd" then
  optimizer = optim.SGD(model:parameters(), {lr = opt.lr, momentum = opt.momentum})
else
  optimizer = optim.Adam(model:parameters(), {lr = opt.lr})
end

print(string.format("tensh train_fmnist: %s, %d train / %d test samples, batch %d, %s lr %g%s, %d threads",
  opt.model, #train_set, #test_set, batch, opt.optimizer, opt.lr,
  opt.optimizer == "sgd" and string.format(" momentum %g", opt.momentum) or "",
  tensor.get_num_threads()))

-- Progress: a bar redrawn in place on a terminal, a few plain lines otherwise.
local tty = tensor.isatty(1)
local function fmt_time(s)
  if s >= 60 then return string.format("%dm%02ds", s // 60, math.floor(s % 60)) end
  return string.format("%.1fs", s)
end
local function progress(epoch, k, n, loss, t0, final)
  local el = tensor.perf_counter() - t0
  local rate = k * batch / math.max(el, 1e-9)
  local eta = (n - k) * el / math.max(k, 1)
  if tty then
    local width = 24
    local fill = math.floor(width * k / n)
    local bar = string.rep("=", fill) .. (fill < width and ">" or "") .. string.rep(" ", width - fill - 1)
    io.write(string.format("\repoch %d/%d [%s] %d/%d loss %.4f %6.0f samples/s ETA %s   ",
      epoch, opt.epochs, bar, k, n, loss, rate, fmt_time(eta)))
    if final then io.write("\n") end
    io.flush()
  elseif final or k % math.max(1, n // 4) == 0 then
    print(string.format("epoch %d/%d batch %d/%d loss %.4f %.0f samples/s ETA %s",
      epoch, opt.epochs, k, n, loss, rate, fmt_time(eta)))
  end
end

local function evaluate()
  model:eval()
  local correct, total = 0, 0
  tensor.no_grad(function()
    for x, y in test_loader:iter() do
      local pred = model(x):argmax(2)
      correct = correct + pred:eq(y):sum():item()
      total = total + y:size(1)
    end
  end)
  return correct / total
end

local history = {epoch = {}, train_loss = {}, test_acc = {}, time = {}}
local nbatches = #train_loader
for epoch = 1, opt.epochs do
  model:train()
  local t0 = tensor.perf_counter()
  local sum, count, last_draw = 0, 0, 0
  local k = 0
  for x, y in train_loader:iter() do
    k = k + 1
    optimizer:zero_grad()
    local loss = criterion(model(x), y)
    loss:backward()
    optimizer:step()
    local l = loss:item()
    sum, count = sum + l * y:size(1), count + y:size(1)
    local now = tensor.perf_counter()
    if not tty or now - last_draw > 0.1 or k == nbatches then
      progress(epoch, k, nbatches, sum / count, t0, k == nbatches)
      last_draw = now
    end
  end
  local train_time = tensor.perf_counter() - t0
  local acc = evaluate()
  history.epoch[epoch] = epoch
  history.train_loss[epoch] = sum / count
  history.test_acc[epoch] = acc
  history.time[epoch] = train_time
  print(string.format("epoch %d: train loss %.4f, test accuracy %.2f%%, epoch time %.2fs",
    epoch, sum / count, 100 * acc, train_time))
end

if opt.save ~= "" then
  tensor.save(opt.save, model:state_dict())
  print("saved the model to " .. opt.save)
end

if opt.plot ~= "" then
  plot.training_curves({train_loss = history.train_loss, test_acc = history.test_acc}, opt.plot,
                       {title = "Fashion-MNIST, " .. opt.model, show = opt.show})
  print("wrote " .. opt.plot)
end
