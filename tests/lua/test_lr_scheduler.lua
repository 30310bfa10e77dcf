-- test_lr_scheduler.lua: optim.lr_scheduler: the lr sequences of StepLR,
-- MultiStepLR, ExponentialLR, CosineAnnealingLR, LambdaLR and OneCycleLR
-- against torch 1.13's (tests/fixtures/optim_expected.lua, made by
-- make_optim_expected.py: float64, compared to the last bit) and against the
-- closed forms written out here, the lr an optimizer then uses, state_dict
-- round trips, help texts and bad calls.
local T = require("testlib")
local here = arg[0]:match("^(.*)/[^/]*$") or "."
local expected = dofile(here .. "/../fixtures/optim_expected.lua").schedules
local S = optim.lr_scheduler

-- The optimizer of make_optim_expected.py: two groups, lr 0.1 and 0.05.
local function sgd(extra)
  local a, b = tensor.zeros(1):requires_grad_(), tensor.zeros(1):requires_grad_()
  local opts = {lr = 0.1}
  for k, v in pairs(extra or {}) do opts[k] = v end
  return optim.SGD({{params = {a}}, {params = {b}, lr = 0.05}}, opts)
end

-- get_last_lr() (and extra(opt)) before each of n steps, as the fixture records them.
local function sequence(opt, sched, n, extra)
  local seq = {}
  for k = 1, n do
    local row = sched:get_last_lr()
    if extra then row[#row + 1] = extra(opt) end
    seq[k] = row
    if k < n then
      opt:step()
      sched:step()
    end
  end
  return seq
end

local function exact(got, want, what)
  T.eq(#got, #want, what .. ": length")
  for k = 1, #want do
    T.eq(#got[k], #want[k], what .. " row " .. k)
    for i = 1, #want[k] do
      if got[k][i] ~= want[k][i] then
        error(string.format("%s step %d value %d: %.17g, torch %.17g", what, k, i, got[k][i], want[k][i]), 2)
      end
    end
  end
end

-- ---------------------------------------------------------------- against torch, bit for bit

-- test name, scheduler and its options, steps, the expected.lua entry
local plain = {
  {"StepLR matches torch", "StepLR", {step_size = 3, gamma = 0.5}, 10, "steplr"},
  {"MultiStepLR matches torch (a repeated milestone applies gamma twice)", "MultiStepLR",
   {milestones = {2, 5, 5}, gamma = 0.3}, 8, "multisteplr"},
  {"ExponentialLR matches torch", "ExponentialLR", {gamma = 0.9}, 6, "exponentiallr"},
  {"CosineAnnealingLR matches torch, past T_max too", "CosineAnnealingLR", {T_max = 5, eta_min = 0.001}, 16,
   "cosine"},
  {"LambdaLR with one function per group matches torch", "LambdaLR",
   {lr_lambda = {function(e) return 1 / (e + 1) end, function(e) return 0.95 ^ e end}}, 6, "lambdalr"},
}
for _, c in ipairs(plain) do
  local title, name, opts, steps, key = table.unpack(c)
  T.test(title, function()
    local opt = sgd()
    exact(sequence(opt, S[name](opt, opts), steps), expected[key], name)
  end)
end

T.test("OneCycleLR (cos, per-group max_lr) matches torch, momentum too", function()
  local opt = sgd({momentum = 0.9})
  local s = S.OneCycleLR(opt, {max_lr = {0.1, 0.2}, total_steps = 10})
  exact(sequence(opt, s, 11, function(o) return o.param_groups[1].momentum end), expected.onecycle_cos, "OneCycle")
end)

T.test("OneCycleLR (linear, three phases, Adam's beta1) matches torch", function()
  local a, b = tensor.zeros(1):requires_grad_(), tensor.zeros(1):requires_grad_()
  local opt = optim.Adam({a, b}, {lr = 1e-3})
  local s = S.OneCycleLR(opt, {max_lr = 0.01, epochs = 3, steps_per_epoch = 4, pct_start = 0.25,
                               anneal_strategy = "linear", three_phase = true, div_factor = 10,
                               final_div_factor = 100})
  exact(sequence(opt, s, 12, function(o) return o.param_groups[1].betas[1] end), expected.onecycle_linear3,
        "OneCycle linear")
end)

-- ---------------------------------------------------------------- against closed forms written out here

T.test("StepLR: lr = base * gamma^floor(epoch / step_size)", function()
  local opt = sgd()
  local s = S.StepLR(opt, {step_size = 2, gamma = 0.1})
  for e = 0, 7 do
    T.close(opt.param_groups[1].lr, 0.1 * 0.1 ^ (e // 2), 1e-14, "epoch " .. e)
    T.close(opt.param_groups[2].lr, 0.05 * 0.1 ^ (e // 2), 1e-14, "epoch " .. e)
    opt:step(); s:step()
  end
end)

T.test("CosineAnnealingLR: lr = eta_min + (base - eta_min)(1 + cos(pi e / T_max)) / 2 up to T_max", function()
  local opt = sgd()
  local s = S.CosineAnnealingLR(opt, {T_max = 10, eta_min = 0.01})
  for e = 0, 10 do
    local want = 0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * e / 10)) / 2
    T.close(s:get_last_lr()[1], want, 1e-13, "epoch " .. e)
    opt:step(); s:step()
  end
end)

T.test("OneCycleLR: starts at max_lr/div_factor, peaks at max_lr, ends at initial/final_div_factor", function()
  local w = tensor.zeros(1):requires_grad_()
  local opt = optim.SGD({w}, {lr = 1, momentum = 0.9})
  local s = S.OneCycleLR(opt, {max_lr = 1.0, total_steps = 100, pct_start = 0.3})
  local lrs = {}
  for k = 1, 100 do
    lrs[k] = s:get_last_lr()[1]
    if k < 100 then s:step() end
  end
  T.close(lrs[1], 1 / 25, 1e-15)
  T.close(lrs[30], 1.0, 1e-15)                 -- step 29 = pct_start * 100 - 1
  T.close(lrs[100], 1 / 25 / 1e4, 1e-15)
  T.close(opt.param_groups[1].momentum, 0.95, 1e-15)
  -- cos annealing at the middle of the first phase: (start + end) / 2
  local mid = 1 / 25 + (1 - 1 / 25) * (1 - math.cos(math.pi * 14.5 / 29)) / 2
  T.check(math.abs(lrs[15] - (1 / 25 + (1 - 1 / 25) * (1 - math.cos(math.pi * 14 / 29)) / 2)) < 1e-14, "lr at step 14")
  T.check(mid > lrs[15] and mid < lrs[16], "monotone rise")
end)

T.test("LambdaLR with one function for all groups", function()
  local opt = sgd()
  local s = S.LambdaLR(opt, {lr_lambda = function(e) return e + 1 end})
  s:step(); s:step()
  T.close(s:get_last_lr(), {0.3, 0.15}, 1e-15)
end)

-- ---------------------------------------------------------------- with the optimizer

T.test("the optimizer steps with the lr the scheduler set", function()
  local w = tensor({1.0}, {dtype = "float64", requires_grad = true})
  local opt = optim.SGD({w}, {lr = 1})
  local s = S.StepLR(opt, {step_size = 1, gamma = 0.5})
  local want = 1.0
  for e = 0, 3 do
    w.grad = tensor({1.0}, {dtype = "float64"})
    opt:step()
    want = want - 0.5 ^ e
    s:step()
  end
  T.close(w:detach(), {want}, 1e-15)
  T.eq(opt.param_groups[1].initial_lr, 1)
end)

T.test("a second scheduler on the same optimizer starts from initial_lr", function()
  local opt = sgd()
  local s1 = S.ExponentialLR(opt, {gamma = 0.5})
  s1:step()
  local s2 = S.ExponentialLR(opt, {gamma = 0.5})
  T.close(s2.base_lrs, {0.1, 0.05}, 0)
  T.close(s2:get_last_lr(), {0.05, 0.025}, 0)
end)

T.test("resuming with last_epoch needs initial_lr, and follows the closed form", function()
  local opt = sgd()
  S.CosineAnnealingLR(opt, {T_max = 10}) -- sets initial_lr
  local s = S.CosineAnnealingLR(opt, {T_max = 10, last_epoch = 4})
  T.close(s:get_last_lr()[1], 0.1 * (1 + math.cos(math.pi * 5 / 10)) / 2, 1e-15)
end)

T.test("verbose prints each group's new lr", function()
  local opt = sgd()
  local printed = {}
  local old = print
  print = function(...) printed[#printed + 1] = table.concat({...}, " ") end
  local ok, err = pcall(function()
    local s = S.StepLR(opt, {step_size = 1, verbose = true})
    s:step()
  end)
  print = old
  assert(ok, err)
  T.eq(printed[1], "Adjusting learning rate of group 1 to 1.0000e-01.")
  T.eq(printed[4], "Adjusting learning rate of group 2 to 5.0000e-03.")
end)

-- ---------------------------------------------------------------- state_dict

T.test("state_dict round trip through tensor.save continues the same sequence", function()
  for _, make in ipairs({
    function(o) return S.CosineAnnealingLR(o, {T_max = 5, eta_min = 0.001}) end,
    function(o) return S.OneCycleLR(o, {max_lr = 0.1, total_steps = 12, three_phase = true}) end,
    function(o) return S.StepLR(o, {step_size = 2}) end,
  }) do
    local opt = sgd({momentum = 0.9})
    local s = make(opt)
    for _ = 1, 4 do opt:step(); s:step() end
    local path = os.tmpname() .. ".safetensors"
    tensor.save(path, optim.flatten(s:state_dict(), "sched."))
    local osd = opt:state_dict()
    local rest = {}
    for _ = 1, 4 do opt:step(); s:step(); rest[#rest + 1] = s:get_last_lr() end
    -- a fresh optimizer and scheduler, then both states loaded
    local opt2 = sgd({momentum = 0.9})
    local s2 = make(opt2)
    opt2:load_state_dict(osd)
    s2:load_state_dict(optim.unflatten(tensor.load(path), "sched."))
    os.remove(path)
    local again = {}
    for _ = 1, 4 do opt2:step(); s2:step(); again[#again + 1] = s2:get_last_lr() end
    exact(again, rest, getmetatable(s).__name)
  end
end)

T.test("LambdaLR's state_dict leaves the functions out", function()
  local opt = sgd()
  local s = S.LambdaLR(opt, {lr_lambda = function(e) return 1 / (e + 1) end})
  s:step()
  local sd = s:state_dict()
  T.eq(sd.lr_lambdas, nil)
  T.eq(sd.last_epoch, 1)
  T.eq(sd.optimizer, nil)
end)

-- ---------------------------------------------------------------- help

T.test("every scheduler and method has help", function()
  for _, n in ipairs({"StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR", "OneCycleLR"}) do
    local h = tensor.gethelp(S[n])
    T.check(h and h:find("^optim%.lr_scheduler%." .. n .. "%("), "help for " .. n)
  end
  local s = S.StepLR(sgd(), {step_size = 1})
  for _, m in ipairs({"step", "get_last_lr", "state_dict", "load_state_dict"}) do
    T.check((tensor.gethelp(s[m]) or ""):find("^sched:" .. m), "help for sched:" .. m)
  end
  T.check(tensor.gethelp(S):find("^optim%.lr_scheduler: "), "module help")
end)

-- ---------------------------------------------------------------- bad calls

T.test("bad calls raise clear errors", function()
  local opt = sgd()
  T.checkerr(function() S.StepLR(nil, {step_size = 1}) end, "StepLR: an optimizer (optim.SGD(...), ...) expected as argument 1, got nil")
  T.checkerr(function() S.StepLR({param_groups = {}}, {step_size = 1}) end, "StepLR: an optimizer")
  T.checkerr(function() S.StepLR(opt) end, "StepLR: option 'step_size' is required")
  T.checkerr(function() S.StepLR(opt, {step_size = 0}) end, "StepLR: option 'step_size' must be >= 1, got 0")
  T.checkerr(function() S.StepLR(opt, {step_size = 1.5}) end, "option 'step_size' must be an integer, got 1.5")
  T.checkerr(function() S.StepLR(opt, {step_size = 2, gama = 0.1}) end, "StepLR: unknown option 'gama'")
  T.checkerr(function() S.StepLR(opt, {step_size = 2, gamma = "x"}) end, "option 'gamma' must be a number")
  T.checkerr(function() S.StepLR(opt, 3) end, "StepLR: options table expected, got number")
  T.checkerr(function() S.MultiStepLR(opt, {milestones = 3}) end, "option 'milestones' must be a list of integers")
  T.checkerr(function() S.MultiStepLR(opt, {milestones = {1, 2.5}}) end, "milestones[2] must be an integer")
  T.checkerr(function() S.ExponentialLR(opt) end, "ExponentialLR: option 'gamma' is required")
  T.checkerr(function() S.CosineAnnealingLR(opt, {T_max = 0}) end, "option 'T_max' must be > 0")
  T.checkerr(function() S.CosineAnnealingLR(opt, {eta_min = 0}) end, "option 'T_max' is required")
  T.checkerr(function() S.LambdaLR(opt, {lr_lambda = 3}) end, "option 'lr_lambda' must be a function or a list")
  T.checkerr(function() S.LambdaLR(opt, {lr_lambda = {function() return 1 end}}) end,
             "expected 2 lr_lambdas (one per group), but got 1")
  T.checkerr(function() S.LambdaLR(opt, {lr_lambda = function() return "x" end}) end,
             "LambdaLR: lr_lambda for group 1 returned a string, expected a number")
  T.checkerr(function() S.OneCycleLR(opt, {max_lr = 0.1}) end, "you must define either total_steps OR (epochs AND steps_per_epoch)")
  T.checkerr(function() S.OneCycleLR(opt, {total_steps = 10}) end, "OneCycleLR: option 'max_lr' is required")
  T.checkerr(function() S.OneCycleLR(opt, {max_lr = 0.1, total_steps = 0}) end, "option 'total_steps' must be >= 1")
  T.checkerr(function() S.OneCycleLR(opt, {max_lr = 0.1, epochs = 2}) end, "option 'steps_per_epoch' is required")
  T.checkerr(function() S.OneCycleLR(opt, {max_lr = 0.1, total_steps = 10, pct_start = 1.5}) end,
             "expected pct_start between 0 and 1, got 1.5")
  T.checkerr(function() S.OneCycleLR(opt, {max_lr = 0.1, total_steps = 10, anneal_strategy = "exp"}) end,
             "anneal_strategy must be one of 'cos' or 'linear', got exp")
  T.checkerr(function() S.OneCycleLR(opt, {max_lr = {0.1}, total_steps = 10}) end, "expected 2 values for max_lr, got 1")
  T.checkerr(function() S.OneCycleLR(opt, {max_lr = 0.1, total_steps = 10, three_phase = 1}) end,
             "option 'three_phase' must be a boolean")
  local oc = S.OneCycleLR(sgd(), {max_lr = 0.1, total_steps = 2})
  oc:step(); oc:step()
  T.checkerr(function() oc:step() end, "OneCycleLR: tried to step 4 times; the specified number of total steps is 2")
  local s = S.StepLR(opt, {step_size = 2})
  T.checkerr(function() s:step(3) end, "StepLR:step: takes no epoch argument")
  T.checkerr(function() S.StepLR(sgd(), {step_size = 2, last_epoch = 5}) end,
             "param 'initial_lr' is not specified in param_groups[1] when resuming an optimizer")
  T.checkerr(function() S.StepLR(opt, {step_size = 2, last_epoch = -2}) end, "option 'last_epoch' must be >= -1")
  T.checkerr(function() s:load_state_dict({foo = 1}) end, "StepLR:load_state_dict: unknown key 'foo'")
  T.checkerr(function() s:load_state_dict({last_epoch = "x"}) end, "'last_epoch' must be a number, got string")
  T.checkerr(function() s:load_state_dict(7) end, "a state dict (table) expected, got number")
  T.checkerr(function() s.step() end, "step: call it as sched:step(...), with a colon")
  T.check(T.errors_checked >= 25, "at least 25 bad calls checked")
  -- and the scheduler still works
  s:step(); s:step()
  T.close(opt.param_groups[1].lr, 0.01, 1e-15)
end)

T.done()
