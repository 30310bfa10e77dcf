-- optim/optimizer.lua: what every optimizer shares, as PyTorch's
-- torch.optim.Optimizer: parameter groups with their own options, the
-- per-parameter state, zero_grad, step (the update itself is each
-- optimizer's own, in sgd.lua, adam.lua, rmsprop.lua), state_dict and
-- load_state_dict, add_param_group, and the option checks. Not here: the
-- schedulers (lr_scheduler.lua) and the flat encoding (flat.lua).
local flat = require("optim.flat")

local Optimizer = {}
Optimizer.__index = Optimizer

-- Errors inside are raised without a position (level 0); the public entry
-- points re-raise them at their caller's line (see guard).
local function fail(fmt, ...) error(string.format(fmt, ...), 0) end
Optimizer.fail = fail

-- fn(...) with errors re-raised at the line that called the returned function.
local function guard(fn)
  return function(...)
    local r = table.pack(pcall(fn, ...))
    if not r[1] then error(r[2], 2) end
    return table.unpack(r, 2, r.n)
  end
end
Optimizer.guard = guard

local function fmtnum(v)
  if math.type(v) == "float" then return string.format("%.10g", v) end
  return tostring(v)
end

-- ------------------------------------------------------------ option checks
-- A check is check(where, key, value) -> value (or raises).

local check = {}
Optimizer.check = check

local function number(where, key, v)
  if type(v) ~= "number" then fail("%s: option '%s' must be a number, got %s", where, key, type(v)) end
  if v ~= v then fail("%s: invalid %s: nan", where, key) end
  return v
end

function check.number(where, key, v) return number(where, key, v) end

function check.nonneg(where, key, v)
  number(where, key, v)
  if v < 0 then fail("%s: invalid %s: %s (must be >= 0)", where, key, fmtnum(v)) end
  return v
end

function check.boolean(where, key, v)
  if type(v) ~= "boolean" then fail("%s: option '%s' must be a boolean, got %s", where, key, type(v)) end
  return v
end

function check.betas(where, key, v)
  if type(v) ~= "table" or #v ~= 2 then
    fail("%s: option '%s' must be a table of two numbers {beta1, beta2}, got %s", where, key,
         type(v) == "table" and ("a table of " .. #v) or type(v))
  end
  for i = 1, 2 do
    if type(v[i]) ~= "number" then fail("%s: %s[%d] must be a number, got %s", where, key, i, type(v[i])) end
    if not (v[i] >= 0 and v[i] < 1) then
      fail("%s: invalid beta parameter at index %d: %s (must be in [0, 1))", where, i, fmtnum(v[i]))
    end
  end
  return {v[1], v[2]} -- a copy of its own: a scheduler may change betas[1] in place
end

-- Keys a scheduler keeps in a group (as PyTorch's do); allowed in any group.
local scheduler_keys = {initial_lr = true, max_lr = true, min_lr = true, max_momentum = true, base_momentum = true}

local function option_names(cls)
  local names = {}
  for _, o in ipairs(cls._options) do names[#names + 1] = o[1] end
  return table.concat(names, ", ")
end

-- ------------------------------------------------------------ groups

-- What the optimizer can hold: a floating point leaf tensor, once per group
-- (mine: the group's tensors so far).
local function check_param(where, i, p, mine)
  if not tensor.is_tensor(p) then
    fail("%s: params[%d] is a %s; the optimizer can only optimize tensors", where, i, type(p))
  end
  if not p:is_floating_point() then
    fail("%s: params[%d] is a %s tensor; only floating point tensors can be optimized", where, i, p:dtype())
  end
  if not p.is_leaf then fail("%s: params[%d]: can't optimize a non-leaf tensor", where, i) end
  if mine[p] then fail("%s: params[%d] appears twice in the group", where, i) end
  mine[p] = true
end

-- The tensors of params (a tensor, a list, or an iterator such as
-- model:parameters()), each checked as it is read: a function that is no
-- iterator (one that never returns nil), or a table whose __len lies, then
-- fails on its first bad entry instead of looping until memory runs out.
-- Returns the list and the set of its tensors.
local function param_list(where, params, what)
  if tensor.is_tensor(params) then
    check_param(where, 1, params, {})
    return {params}, {[params] = true}
  end
  local list, mine = {}, {}
  if type(params) == "function" then
    for p in params do
      check_param(where, #list + 1, p, mine)
      list[#list + 1] = p
    end
    return list, mine
  end
  if type(params) ~= "table" then
    fail("%s: %s must be a list of tensors, got %s", where, what, type(params))
  end
  for i = 1, #params do
    check_param(where, i, params[i], mine)
    list[i] = params[i]
  end
  return list, mine
end

-- Checks the options of a group (or of the defaults, when defaults is nil)
-- and fills in what is missing; returns a new table.
local function check_options(cls, where, given, defaults, is_group)
  local out = {}
  local specs = cls._spec_by_name
  for k, v in pairs(given) do
    if k == "params" and is_group then
      out.params = v
    elseif specs[k] then
      out[k] = specs[k][3](where, k, v)
    elseif is_group and scheduler_keys[k] then
      out[k] = type(v) == "table" and {table.unpack(v)} or v
    else
      fail("%s: unknown option '%s' (expected %s%s)", where, tostring(k), is_group and "params, " or "",
           option_names(cls))
    end
  end
  for _, o in ipairs(cls._options) do
    local k = o[1]
    if out[k] == nil then
      local d
      if defaults then d = defaults[k] else d = o[2] end
      if d == nil then fail("%s: option '%s' is required", where, k) end
      out[k] = type(d) == "table" and {table.unpack(d)} or d
    end
  end
  if cls._check_group then cls._check_group(where, out) end
  return out
end

-- ------------------------------------------------------------ construction

-- A new optimizer of class cls over params (a list of tensors or of groups).
function Optimizer.new(cls, params, opts)
  local name = cls.__name
  if opts ~= nil and type(opts) ~= "table" then fail("%s: options table expected, got %s", name, type(opts)) end
  if params == nil then fail("%s: params expected (a list of tensors or of parameter groups), got nil", name) end
  local defaults = check_options(cls, name, opts or {}, nil, false)
  local self = setmetatable({defaults = defaults, param_groups = {}, state = {}}, cls)
  local list
  if type(params) == "table" and not tensor.is_tensor(params) and type(params[1]) == "table"
     and not tensor.is_tensor(params[1]) then
    list = params -- parameter groups
  else
    list = {{params = param_list(name, params, "params")}}
  end
  if #list == 0 or (#list == 1 and type(list[1].params) == "table" and #list[1].params == 0
                    and not tensor.is_tensor(list[1].params)) then
    fail("%s: optimizer got an empty parameter list", name)
  end
  for i, g in ipairs(list) do
    if type(g) ~= "table" or tensor.is_tensor(g) then
      fail("%s: params[%d] is a %s; give a list of tensors or a list of parameter groups, not both", name, i,
           tensor.is_tensor(g) and "tensor" or type(g))
    end
    Optimizer._add_group(self, g, string.format("%s: param group %d", name, i))
  end
  return self
end

function Optimizer._add_group(self, group, where)
  if type(group) ~= "table" or tensor.is_tensor(group) then
    fail("%s: a parameter group (a table with params=) expected, got %s", where,
         tensor.is_tensor(group) and "a tensor" or type(group))
  end
  if group.params == nil then fail("%s: the group has no 'params'", where) end
  local g = check_options(getmetatable(self), where, group, self.defaults, true)
  local ps, mine = param_list(where, group.params, "params")
  if #ps == 0 then fail("%s: the group's params list is empty", where) end
  for _, other in ipairs(self.param_groups) do
    for _, p in ipairs(other.params) do
      if mine[p] then fail("%s: some parameters appear in more than one parameter group", where) end
    end
  end
  g.params = ps
  self.param_groups[#self.param_groups + 1] = g
end

Optimizer.add_param_group = guard(function(self, group)
  if type(self) ~= "table" or not self.param_groups then
    fail("add_param_group: call it as opt:add_param_group(group), with a colon")
  end
  Optimizer._add_group(self, group, getmetatable(self).__name .. ":add_param_group")
end)

-- ------------------------------------------------------------ zero_grad, step

local zero_opts = {set_to_none = true}

-- A method called with a dot (opt.step()) gets no self: say so.
local function check_self(self, method)
  if type(self) ~= "table" or not self.param_groups then
    error(string.format("%s: call it as opt:%s(...), with a colon", method, method), 3)
  end
end

function Optimizer:zero_grad(opts)
  check_self(self, "zero_grad")
  local to_none = true
  if opts ~= nil then
    if type(opts) ~= "table" then error("zero_grad: options table expected, got " .. type(opts), 2) end
    for k in pairs(opts) do
      if not zero_opts[k] then error("zero_grad: unknown option '" .. tostring(k) .. "' (expected set_to_none)", 2) end
    end
    if opts.set_to_none ~= nil then
      if type(opts.set_to_none) ~= "boolean" then
        error("zero_grad: option 'set_to_none' must be a boolean, got " .. type(opts.set_to_none), 2)
      end
      to_none = opts.set_to_none
    end
  end
  for _, group in ipairs(self.param_groups) do
    local ps = group.params
    for i = 1, #ps do
      local p = ps[i]
      if to_none then
        p.grad = nil
      else
        local g = p.grad
        if g ~= nil then
          if g.grad_fn ~= nil then -- a gradient made with create_graph: cut it from its graph first
            g = g:detach()
            p.grad = g
          end
          tensor.no_grad(g.zero_, g)
        end
      end
    end
  end
end

local function update_all(self)
  local update = self._update
  local groups = self.param_groups
  for i = 1, #groups do update(self, groups[i]) end
end

function Optimizer:step(closure)
  check_self(self, "step")
  local loss
  if closure ~= nil then
    if type(closure) ~= "function" then
      error(getmetatable(self).__name .. ":step: closure must be a function, got " .. type(closure), 2)
    end
    loss = tensor.enable_grad(closure)
  end
  tensor.no_grad(update_all, self)
  return loss
end

-- ------------------------------------------------------------ state_dict

local function copy_value(v)
  if type(v) == "table" and not tensor.is_tensor(v) then
    local c = {}
    for k, x in pairs(v) do c[k] = copy_value(x) end
    return c
  end
  return v
end

function Optimizer:state_dict()
  check_self(self, "state_dict")
  local state, groups, index = {}, {}, 0
  for gi, group in ipairs(self.param_groups) do
    local g = {}
    for k, v in pairs(group) do
      if k ~= "params" then g[k] = copy_value(v) end
    end
    g.params = {}
    for _, p in ipairs(group.params) do
      index = index + 1
      g.params[#g.params + 1] = index
      local st = self.state[p]
      if st then
        local s = {}
        for k, v in pairs(st) do s[k] = v end -- tensors by reference, as PyTorch's state_dict
        state[index] = s
      end
    end
    groups[gi] = g
  end
  return {state = state, param_groups = groups}
end

local function load(self, sd)
  if type(self) ~= "table" or not self.param_groups then
    fail("load_state_dict: call it as opt:load_state_dict(sd), with a colon")
  end
  local name = getmetatable(self).__name .. ":load_state_dict"
  if type(sd) ~= "table" then fail("%s: a state dict (table) expected, got %s", name, type(sd)) end
  if sd.param_groups == nil and flat.is_flat(sd) then sd = flat.unflatten(sd) end
  if type(sd.param_groups) ~= "table" or type(sd.state) ~= "table" then
    fail("%s: the state dict needs 'state' and 'param_groups' tables (as opt:state_dict() gives)", name)
  end
  local saved = sd.param_groups
  if #saved ~= #self.param_groups then
    fail("%s: loaded state dict has a different number of parameter groups (%d, the optimizer has %d)", name,
         #saved, #self.param_groups)
  end
  -- Saved indices -> our parameters, group by group, in order.
  local by_index = {}
  for gi, group in ipairs(self.param_groups) do
    local sg = saved[gi]
    if type(sg) ~= "table" or type(sg.params) ~= "table" then
      fail("%s: param_groups[%d] has no params list", name, gi)
    end
    if #sg.params ~= #group.params then
      fail("%s: loaded state dict contains a parameter group that doesn't match the size of optimizer's group "
           .. "(group %d: %d parameters saved, %d here)", name, gi, #sg.params, #group.params)
    end
    for i, id in ipairs(sg.params) do
      if math.type(id) ~= "integer" then fail("%s: param_groups[%d].params[%d] must be an integer index", name, gi, i) end
      by_index[id] = group.params[i]
    end
  end
  -- Build everything first, so that a bad state dict changes nothing.
  local new_groups = {}
  for gi, group in ipairs(self.param_groups) do
    local g = {}
    for k, v in pairs(saved[gi]) do
      if k ~= "params" then g[k] = copy_value(v) end
    end
    g = check_options(getmetatable(self), string.format("%s: param_groups[%d]", name, gi), g, self.defaults, true)
    g.params = group.params
    new_groups[gi] = g
  end
  local new_state = {}
  for id, st in pairs(sd.state) do
    local p = by_index[id]
    if p == nil then fail("%s: state for parameter %s, which no group holds", name, tostring(id)) end
    if type(st) ~= "table" then fail("%s: state[%s] must be a table, got %s", name, tostring(id), type(st)) end
    local s = {}
    for k, v in pairs(st) do
      if tensor.is_tensor(v) then
        if k == "step" then
          v = v:item()
        else
          if v:size() ~= p:size() then
            fail("%s: state[%d].%s has shape %s but the parameter has shape %s", name, id, tostring(k),
                 tostring(v:size()), tostring(p:size()))
          end
          v = v:is_floating_point() and v:to(p:dtype()) or v
          v = v:clone()
        end
      else
        v = copy_value(v)
      end
      s[k] = v
    end
    new_state[p] = s
  end
  for gi, g in ipairs(new_groups) do
    local group = self.param_groups[gi] -- kept, so that references to it stay valid
    for k in pairs(group) do group[k] = nil end
    for k, v in pairs(g) do group[k] = v end
  end
  self.state = new_state
end

Optimizer.load_state_dict = guard(load)

-- ------------------------------------------------------------ printing

function Optimizer.__tostring(self)
  local lines = {getmetatable(self).__name .. " ("}
  for i, group in ipairs(self.param_groups) do
    lines[#lines + 1] = "Parameter Group " .. i
    local keys = {}
    for k in pairs(group) do
      if k ~= "params" then keys[#keys + 1] = k end
    end
    table.sort(keys)
    for _, k in ipairs(keys) do
      local v = group[k]
      local s
      if type(v) == "table" then
        local parts = {}
        for j, x in ipairs(v) do parts[j] = fmtnum(x) end
        s = "{" .. table.concat(parts, ", ") .. "}"
      else
        s = fmtnum(v)
      end
      lines[#lines + 1] = "    " .. k .. ": " .. s
    end
  end
  lines[#lines + 1] = ")"
  return table.concat(lines, "\n")
end

-- ------------------------------------------------------------ classes

-- A new optimizer class: options is a list of {name, default (nil:
-- required), check}; update(self, group) runs one step on a group, under
-- no_grad; check_group(where, group) checks options that depend on each
-- other. Returns the class and its constructor.
function Optimizer.class(name, options, update, check_group)
  local cls = setmetatable({}, {__index = Optimizer})
  cls.__index = cls
  cls.__name = name
  cls.__tostring = Optimizer.__tostring
  cls.__is_optimizer = true
  cls._options = options
  cls._spec_by_name = {}
  for _, o in ipairs(options) do cls._spec_by_name[o[1]] = o end
  cls._update = update
  cls._check_group = check_group
  local ctor = guard(function(params, opts) return Optimizer.new(cls, params, opts) end)
  return cls, ctor
end

-- Whether x is an optimizer made here.
function Optimizer.is_optimizer(x)
  local mt = type(x) == "table" and getmetatable(x)
  return type(mt) == "table" and rawget(mt, "__is_optimizer") == true
end

return Optimizer
