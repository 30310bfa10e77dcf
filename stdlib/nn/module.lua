-- nn/module.lua: nn.Module, the base class of every layer, container, loss
-- and user model, with PyTorch's semantics: parameters, buffers and
-- submodules registered on assignment in order, train/eval, state_dict
-- with PyTorch's key names, printing like PyTorch's repr. Classes are Lua
-- tables made by Module:extend(name); instances are called as model(x).
-- Not here: the layers (layers.lua, conv.lua, norm.lua, ...), the
-- initialisers (initializers.lua), the help texts (init.lua).
local U = require("nn.util")

local Module = {}

-- Tensors marked by nn.Parameter (weak: a parameter dropped by every module
-- is collected as usual). A tensor cannot carry a Lua flag, so this set is
-- what makes `self.w = nn.Parameter(t)` register a parameter.
local is_param = setmetatable({}, {__mode = "k"})
-- Every class made by extend, to tell classes from other tables.
local is_class = setmetatable({}, {__mode = "k"})
-- Instances do not use their class as metatable: each class gets an
-- instance metatable holding __index/__newindex and the class's
-- metamethods, so that class tables hold only methods (what help() lists).
local class_of = setmetatable({}, {__mode = "k"}) -- instance metatable -> class
local imt_of = setmetatable({}, {__mode = "k"})   -- class -> instance metatable

local function is_module(v)
  return type(v) == "table" and class_of[getmetatable(v)] ~= nil
end

local function classof(v) return class_of[getmetatable(v)] end

local function Parameter(t, requires_grad)
  if not tensor.is_tensor(t) then U.fail("Parameter: tensor expected, got %s", U.describe(t)) end
  if requires_grad ~= nil and type(requires_grad) ~= "boolean" then
    U.fail("Parameter: requires_grad must be true or false, got %s", U.describe(requires_grad))
  end
  requires_grad = requires_grad ~= false
  if requires_grad and not t:is_floating_point() then
    U.fail("Parameter: only floating point tensors can require gradients, got %s (pass false as the second argument)",
           t:dtype())
  end
  -- A new leaf sharing t's data, as torch.nn.Parameter(t) is.
  local p = t:detach()
  if requires_grad then p:requires_grad_(true) end
  is_param[p] = true
  return p
end

-- ---------------------------------------------------------------- helpers

local function class_name(self)
  local cls = classof(self)
  return cls and cls.__name or "Module"
end

-- Methods are called with a colon; a dot call or a call on a class gets a
-- message that says so instead of "attempt to index a nil value".
local function check_self(self, method)
  if not is_module(self) then
    if is_class[self] then
      U.fail("%s: call it on a module instance (model:%s(...)), not on the class %s", method, method, self.__name)
    end
    U.fail("%s: call it as a method, model:%s(...) (with a colon); got %s as self", method, method, U.describe(self))
  end
end

local function list_remove(list, name)
  for i = 1, #list do
    if list[i] == name then
      table.remove(list, i)
      return
    end
  end
end

-- Drops name from whichever registry holds it.
local function forget(self, name)
  local kind = rawget(self, "_kind")
  local k = kind[name]
  if k == "param" then list_remove(rawget(self, "_params"), name)
  elseif k == "buffer" then list_remove(rawget(self, "_buffers"), name)
  elseif k == "module" then list_remove(rawget(self, "_modules"), name) end
  kind[name] = nil
  rawget(self, "_nonpersistent")[name] = nil
end

local function register(self, name, kind, value)
  local kinds = rawget(self, "_kind")
  if kinds[name] ~= kind then
    forget(self, name)
    local list = rawget(self, kind == "param" and "_params" or kind == "buffer" and "_buffers" or "_modules")
    list[#list + 1] = name
    kinds[name] = kind
  end
  rawget(self, "_attrs")[name] = value
end

local function check_name(self, fname, name, kind)
  if type(name) ~= "string" then U.fail("%s: name must be a string, got %s", fname, U.describe(name)) end
  if name == "" then U.fail("%s: name must not be empty", fname) end
  if name:find(".", 1, true) then U.fail("%s: name '%s' must not contain '.'", fname, name) end
  local k = rawget(self, "_kind")[name]
  if k ~= kind and rawget(self, "_attrs")[name] ~= nil then
    local what = {param = "a parameter", buffer = "a buffer", module = "a module"}
    U.fail("%s: attribute '%s' already exists (as %s)", fname, name, what[k] or "a plain attribute")
  end
  if classof(self)[name] ~= nil then
    U.fail("%s: '%s' is the name of a method of %s", fname, name, class_name(self))
  end
end

-- ------------------------------------------------- attribute access

-- Every attribute lives in self._attrs, so that every assignment reaches
-- __newindex: a module or parameter assigned to a name that held something
-- else is still registered. Lookup: attributes, then the class's methods.
local function make_index(cls)
  return function(self, k)
    local v = rawget(self, "_attrs")[k]
    if v ~= nil then return v end
    if math.type(k) == "integer" then
      local get = cls.__getitem
      if get then return get(self, k) end
      return nil
    end
    return cls[k]
  end
end

local function newindex(self, k, v)
  local cls = classof(self)
  if math.type(k) == "integer" then
    local set = cls.__setitem
    if set then return set(self, k, v) end
    U.fail("%s: cannot assign to index %d (only containers such as Sequential are indexed)", cls.__name, k)
  end
  if type(k) ~= "string" then
    U.fail("%s: attribute names are strings, got %s", cls.__name, U.describe(k))
  end
  local kind = rawget(self, "_kind")[k]
  if is_module(v) then
    register(self, k, "module", v)
  elseif is_param[v] then
    register(self, k, "param", v)
  elseif kind == "param" then
    if v ~= nil then
      U.fail("%s: cannot assign %s to parameter '%s' (wrap it: nn.Parameter(t); or nil to remove it)",
             cls.__name, U.describe(v), k)
    end
    forget(self, k)
    rawget(self, "_attrs")[k] = nil
  elseif kind == "module" then
    if v ~= nil then
      U.fail("%s: cannot assign %s to submodule '%s' (a module or nil expected)", cls.__name, U.describe(v), k)
    end
    forget(self, k)
    rawget(self, "_attrs")[k] = nil
  elseif kind == "buffer" then
    if v ~= nil and not tensor.is_tensor(v) then
      U.fail("%s: cannot assign %s to buffer '%s' (a tensor or nil expected)", cls.__name, U.describe(v), k)
    end
    if v == nil then forget(self, k) end
    rawget(self, "_attrs")[k] = v
  else
    rawget(self, "_attrs")[k] = v
  end
end

-- -------------------------------------------------------- classes

-- Lua looks metamethods up raw in the metatable, so the instance metatable
-- copies those the class has (own or inherited) when its first instance is
-- made.
local metamethods = {"__call", "__tostring", "__len", "__eq", "__lt", "__le", "__concat", "__close",
                     "__add", "__sub", "__mul", "__div", "__unm"}

local function instance_mt(cls)
  local imt = imt_of[cls]
  if imt then return imt end
  imt = {__index = make_index(cls), __newindex = newindex, __name = cls.__name}
  for _, mm in ipairs(metamethods) do imt[mm] = cls[mm] end
  imt_of[cls] = imt
  class_of[imt] = cls
  return imt
end

local function construct(cls, ...)
  local self = setmetatable({
    _attrs = {training = true}, -- every attribute (see make_index)
    _kind = {},                 -- name -> "param" | "buffer" | "module"
    _params = {},               -- names, in registration order
    _buffers = {},
    _modules = {},
    _nonpersistent = {},        -- buffers left out of state_dict
  }, instance_mt(cls))
  cls.__init(self, ...)
  return self
end

local function class_tostring(cls) return "class " .. tostring(rawget(cls, "__name")) end

function Module.extend(parent, name)
  if not is_class[parent] then
    if is_module(parent) then
      U.fail("extend: call it on a class (nn.Module:extend(\"Net\")), not on a module instance")
    end
    U.fail("extend: call it as Class:extend(\"Name\") (with a colon), got %s as the class", U.describe(parent))
  end
  if type(name) ~= "string" or not name:match("^[%a_][%w_]*$") then
    U.fail("extend: the class needs a name (an identifier string, shown when it prints), got %s", U.describe(name))
  end
  local cls = {__name = name, super = parent}
  is_class[cls] = true
  return setmetatable(cls, {__index = parent, __call = construct, __tostring = class_tostring})
end

Module.__name = "Module"
is_class[Module] = true
setmetatable(Module, {__call = construct, __tostring = class_tostring})

-- isinstance(m, cls): m's class is cls or derives from it.
local function isinstance(v, cls)
  if not is_module(v) then return false end
  local c = classof(v)
  while c do
    if c == cls then return true end
    c = rawget(c, "super")
  end
  return false
end

function Module:__init() end

function Module:forward()
  U.fail("%s: forward is not defined (define function %s:forward(x) ... end)", class_name(self), class_name(self))
end

function Module:__call(...) return self:forward(...) end

function Module:extra_repr() return "" end

-- ------------------------------------------------- registration

function Module:register_parameter(name, p)
  check_self(self, "register_parameter")
  check_name(self, "register_parameter", name, "param")
  if p ~= nil and not is_param[p] then
    U.fail("register_parameter: '%s' must be an nn.Parameter or nil, got %s (wrap it: nn.Parameter(t))",
           name, U.describe(p))
  end
  if p == nil then
    if rawget(self, "_kind")[name] then forget(self, name) end
    rawget(self, "_attrs")[name] = nil
  else
    register(self, name, "param", p)
  end
end

function Module:register_buffer(name, t, opts)
  check_self(self, "register_buffer")
  check_name(self, "register_buffer", name, "buffer")
  opts = U.options("register_buffer", opts, {"persistent"})
  if t ~= nil and not tensor.is_tensor(t) then
    U.fail("register_buffer: '%s' must be a tensor or nil, got %s", name, U.describe(t))
  end
  register(self, name, "buffer", t)
  rawget(self, "_nonpersistent")[name] = (U.bool("register_buffer", "persistent", opts.persistent, true) == false)
    or nil
end

function Module:add_module(name, m)
  check_self(self, "add_module")
  check_name(self, "add_module", name, "module")
  if m ~= nil and not is_module(m) then U.fail("add_module: '%s' must be a module or nil, got %s", name, U.describe(m)) end
  if m == nil then
    if rawget(self, "_kind")[name] then forget(self, name) end
    rawget(self, "_attrs")[name] = nil
  else
    register(self, name, "module", m)
  end
  return m
end
Module.register_module = Module.add_module

-- ------------------------------------------------- traversal

local function join(prefix, name) return prefix == "" and name or prefix .. "." .. name end

-- The list of {name, module} of self and its descendants, pre-order, each
-- module once.
local function named_modules(self, prefix, out, seen)
  if seen[self] then return out end
  seen[self] = true
  out[#out + 1] = {prefix, self}
  local attrs = rawget(self, "_attrs")
  for _, name in ipairs(rawget(self, "_modules")) do
    named_modules(attrs[name], join(prefix, name), out, seen)
  end
  return out
end

-- {name, tensor} of the parameters or buffers (list = "_params" or
-- "_buffers") of self (and descendants when recurse), each tensor once.
local function named_members(self, list, prefix, recurse)
  local mods = recurse and named_modules(self, prefix, {}, {}) or {{prefix, self}}
  local out, seen = {}, {}
  for _, e in ipairs(mods) do
    local attrs = rawget(e[2], "_attrs")
    for _, name in ipairs(rawget(e[2], list)) do
      local v = attrs[name]
      if v ~= nil and not seen[v] then
        seen[v] = true
        out[#out + 1] = {join(e[1], name), v}
      end
    end
  end
  return out
end

-- The same without names, for parameters() and buffers(), which a training
-- loop calls every step (through zero_grad): no strings are built.
local function walk_members(m, list, recurse, out, seen)
  if seen[m] then return end
  seen[m] = true
  local attrs = rawget(m, "_attrs")
  local names = rawget(m, list)
  for i = 1, #names do
    local v = attrs[names[i]]
    if v ~= nil and not seen[v] then
      seen[v] = true
      out[#out + 1] = v
    end
  end
  if recurse then
    local mods = rawget(m, "_modules")
    for i = 1, #mods do walk_members(attrs[mods[i]], list, true, out, seen) end
  end
end

local function members(self, list, recurse)
  local out = {}
  walk_members(self, list, recurse, out, {})
  return out
end

-- A Lua iterator over {name, value} pairs: `for name, p in m:named_parameters() do`.
local function iter_pairs(list)
  local i = 0
  return function()
    i = i + 1
    local e = list[i]
    if e then return e[1], e[2] end
  end
end

local function seconds(list)
  local out = {}
  for i, e in ipairs(list) do out[i] = e[2] end
  return out
end

local function traversal_opts(fname, opts)
  opts = U.options(fname, opts, {"recurse", "prefix"})
  local recurse = U.bool(fname, "recurse", opts.recurse, true)
  local prefix = opts.prefix or ""
  if type(prefix) ~= "string" then U.fail("%s: prefix must be a string, got %s", fname, U.describe(prefix)) end
  return recurse, prefix
end

function Module:parameters(opts)
  check_self(self, "parameters")
  if opts == nil then return members(self, "_params", true) end
  return members(self, "_params", (traversal_opts("parameters", opts)))
end

function Module:named_parameters(opts)
  check_self(self, "named_parameters")
  local recurse, prefix = traversal_opts("named_parameters", opts)
  return iter_pairs(named_members(self, "_params", prefix, recurse))
end

function Module:buffers(opts)
  check_self(self, "buffers")
  return members(self, "_buffers", (traversal_opts("buffers", opts)))
end

function Module:named_buffers(opts)
  check_self(self, "named_buffers")
  local recurse, prefix = traversal_opts("named_buffers", opts)
  return iter_pairs(named_members(self, "_buffers", prefix, recurse))
end

local function named_children(self)
  local out, seen = {}, {}
  local attrs = rawget(self, "_attrs")
  for _, name in ipairs(rawget(self, "_modules")) do
    local m = attrs[name]
    if not seen[m] then
      seen[m] = true
      out[#out + 1] = {name, m}
    end
  end
  return out
end

function Module:children()
  check_self(self, "children")
  return seconds(named_children(self))
end

function Module:named_children()
  check_self(self, "named_children")
  return iter_pairs(named_children(self))
end

function Module:modules()
  check_self(self, "modules")
  return seconds(named_modules(self, "", {}, {}))
end

function Module:named_modules(opts)
  check_self(self, "named_modules")
  opts = U.options("named_modules", opts, {"prefix"})
  local prefix = opts.prefix or ""
  if type(prefix) ~= "string" then U.fail("named_modules: prefix must be a string, got %s", U.describe(prefix)) end
  return iter_pairs(named_modules(self, prefix, {}, {}))
end

-- model:get_submodule("features.0"): the module a dotted name leads to.
function Module:get_submodule(target)
  check_self(self, "get_submodule")
  if type(target) ~= "string" then U.fail("get_submodule: a dotted name expected, got %s", U.describe(target)) end
  local m, path = self, ""
  if target == "" then return self end
  for part in (target .. "."):gmatch("([^.]*)%.") do
    local child = rawget(m, "_kind")[part] == "module" and rawget(m, "_attrs")[part] or nil
    if child == nil then
      U.fail("get_submodule: %s has no submodule '%s'%s", class_name(m), part, path ~= "" and (" (in " .. path .. ")") or "")
    end
    path = join(path, part)
    m = child
  end
  return m
end

-- ------------------------------------------------- modes and gradients

function Module:train(mode)
  check_self(self, "train")
  if mode == nil then mode = true end
  if type(mode) ~= "boolean" then U.fail("train: mode must be true or false, got %s", U.describe(mode)) end
  for _, m in ipairs(named_modules(self, "", {}, {})) do rawget(m[2], "_attrs").training = mode end
  return self
end

function Module:eval()
  check_self(self, "eval")
  return self:train(false)
end

function Module:requires_grad_(on)
  check_self(self, "requires_grad_")
  if on == nil then on = true end
  if type(on) ~= "boolean" then U.fail("requires_grad_: true or false expected, got %s", U.describe(on)) end
  for _, p in ipairs(self:parameters()) do p.requires_grad = on end
  return self
end

function Module:zero_grad(opts)
  check_self(self, "zero_grad")
  opts = U.options("zero_grad", opts, {"set_to_none"})
  local to_none = U.bool("zero_grad", "set_to_none", opts.set_to_none, true)
  for _, p in ipairs(self:parameters()) do
    local g = p.grad
    if g ~= nil then
      if to_none then p.grad = nil else tensor.no_grad(g.zero_, g) end
    end
  end
end

-- apply(fn): fn(m) for every submodule, children first, then self.
function Module:apply(fn)
  check_self(self, "apply")
  if type(fn) ~= "function" then U.fail("apply: function expected, got %s", U.describe(fn)) end
  for _, m in ipairs(self:children()) do m:apply(fn) end
  fn(self)
  return self
end

-- ------------------------------------------------- dtype and device

local dtypes = {float32 = true, float64 = true, float16 = true, bfloat16 = true, float = "float32",
                double = "float64", half = "float16", int64 = false, int32 = false, uint8 = false, bool = false,
                long = false, int = false}

-- The dtype and device a to() call asks for.
local function to_target(fname, ...)
  local dtype, device
  for i = 1, select("#", ...) do
    local a = select(i, ...)
    if tensor.is_tensor(a) then
      dtype, device = a:dtype(), a:device()
    elseif type(a) == "string" then
      local d = dtypes[a]
      if d == nil then
        if a:match("^cpu") or a:match("^cuda") then
          device = a
        else
          U.fail("%s: unknown dtype or device '%s' (a floating dtype such as 'float64', or 'cpu', 'cuda')", fname, a)
        end
      elseif d == false then
        U.fail("%s: modules only convert to floating point dtypes (float32, float64, float16, bfloat16), got %s",
               fname, a)
      else
        dtype = d == true and a or d
      end
    else
      U.fail("%s: a dtype, device or tensor expected, got %s", fname, U.describe(a))
    end
  end
  if not dtype and not device then U.fail("%s: a dtype, device or tensor expected", fname) end
  return dtype, device
end

local function convert(t, dtype, device)
  local out = t
  if device and out:device() ~= device then out = out:to(device) end
  -- dtypes apply to floating tensors only (num_batches_tracked stays int64)
  if dtype and out:is_floating_point() and out:dtype() ~= dtype then out = out:to(dtype) end
  return out
end

-- Converts parameters and floating buffers. A parameter that changes is a
-- new tensor (a tensor cannot change dtype in place), so make optimizers
-- after to(), as PyTorch's docs advise for cuda().
function Module:to(...)
  check_self(self, "to")
  local dtype, device = to_target("to", ...)
  local done = {}
  tensor.no_grad(function()
    for _, e in ipairs(named_modules(self, "", {}, {})) do
      local m = e[2]
      local attrs = rawget(m, "_attrs")
      for _, name in ipairs(rawget(m, "_params")) do
        local p = attrs[name]
        if done[p] then
          attrs[name] = done[p]
        else
          local q = convert(p:detach(), dtype, device)
          if q ~= p and (q:dtype() ~= p:dtype() or q:device() ~= p:device()) then
            local np = Parameter(q, p.requires_grad)
            local g = p.grad
            if g ~= nil then np.grad = convert(g, dtype, device) end
            done[p] = np
            attrs[name] = np
          else
            done[p] = p
          end
        end
      end
      for _, name in ipairs(rawget(m, "_buffers")) do
        local b = attrs[name]
        if b ~= nil then attrs[name] = convert(b, dtype, device) end
      end
    end
  end)
  return self
end

function Module:float() check_self(self, "float") return self:to("float32") end
function Module:double() check_self(self, "double") return self:to("float64") end
function Module:half() check_self(self, "half") return self:to("float16") end
function Module:bfloat16() check_self(self, "bfloat16") return self:to("bfloat16") end
function Module:cpu() check_self(self, "cpu") return self:to("cpu") end
function Module:cuda() check_self(self, "cuda") return self:to("cuda") end

-- ------------------------------------------------- state_dict

-- state_dict tables iterate in registration order with pairs(), as
-- PyTorch's OrderedDict does (tensor.save and load see a plain table).
local function ordered(keys, tbl)
  return setmetatable(tbl, {__pairs = function(t)
    local i = 0
    return function()
      i = i + 1
      local k = keys[i]
      while k ~= nil and rawget(t, k) == nil do
        i = i + 1
        k = keys[i]
      end
      if k ~= nil then return k, rawget(t, k) end
    end, t, nil
  end})
end

-- Every persistent entry, in order, as {key, tensor, module, name, kind}.
-- Not deduplicated: a shared tensor appears under each of its names.
local function state_entries(self, prefix, out)
  local attrs = rawget(self, "_attrs")
  for _, name in ipairs(rawget(self, "_params")) do
    out[#out + 1] = {prefix .. name, attrs[name], self, name, "param"}
  end
  local np = rawget(self, "_nonpersistent")
  for _, name in ipairs(rawget(self, "_buffers")) do
    if attrs[name] ~= nil and not np[name] then out[#out + 1] = {prefix .. name, attrs[name], self, name, "buffer"} end
  end
  for _, name in ipairs(rawget(self, "_modules")) do state_entries(attrs[name], prefix .. name .. ".", out) end
  return out
end

function Module:state_dict(opts)
  check_self(self, "state_dict")
  opts = U.options("state_dict", opts, {"prefix", "keep_vars"})
  local prefix = opts.prefix or ""
  if type(prefix) ~= "string" then U.fail("state_dict: prefix must be a string, got %s", U.describe(prefix)) end
  local keep = U.bool("state_dict", "keep_vars", opts.keep_vars, false)
  local sd, keys = {}, {}
  for _, e in ipairs(state_entries(self, prefix, {})) do
    keys[#keys + 1] = e[1]
    sd[e[1]] = keep and e[2] or e[2]:detach()
  end
  return ordered(keys, sd)
end

local function quoted(list)
  local q = {}
  for i, k in ipairs(list) do q[i] = '"' .. k .. '"' end
  return table.concat(q, ", ")
end

-- Checks everything first and copies only when all is well, so a failed
-- load leaves the model as it was.
function Module:load_state_dict(sd, opts)
  check_self(self, "load_state_dict")
  if type(sd) ~= "table" or is_module(sd) then
    U.fail("load_state_dict: a table of tensors (a state_dict) expected, got %s%s", U.describe(sd),
           is_module(sd) and " (pass other:state_dict())" or "")
  end
  -- model:load_state_dict(tensor.load(path)) passes the file's metadata (a
  -- table of strings) too: that is not an options table.
  if type(opts) == "table" and opts.strict == nil and next(opts) ~= nil then
    local metadata = true
    for _, v in pairs(opts) do metadata = metadata and type(v) == "string" end
    if metadata then opts = nil end
  end
  opts = U.options("load_state_dict", opts, {"strict"})
  local strict = U.bool("load_state_dict", "strict", opts.strict, true)
  local entries = state_entries(self, "", {})
  local errors, missing, unexpected, expected = {}, {}, {}, {}
  for _, e in ipairs(entries) do
    local key, cur = e[1], e[2]
    expected[key] = true
    local v = rawget(sd, key)
    if v == nil then
      missing[#missing + 1] = key
    elseif not tensor.is_tensor(v) then
      errors[#errors + 1] = string.format("value for %s is %s, expected a tensor", key, U.describe(v))
    elseif #v:size() ~= #cur:size() or U.shape(v) ~= U.shape(cur) then
      errors[#errors + 1] = string.format("size mismatch for %s: copying a tensor of shape %s from the state_dict, "
        .. "the shape in the current model is %s", key, U.shape(v), U.shape(cur))
    end
  end
  for k in next, sd do
    if not expected[k] then unexpected[#unexpected + 1] = tostring(k) end
  end
  table.sort(unexpected)
  if strict then
    if #unexpected > 0 then table.insert(errors, 1, "Unexpected key(s) in state_dict: " .. quoted(unexpected) .. ".") end
    if #missing > 0 then table.insert(errors, 1, "Missing key(s) in state_dict: " .. quoted(missing) .. ".") end
  end
  if #errors > 0 then
    U.fail("load_state_dict: Error(s) in loading state_dict for %s:\n\t%s", class_name(self), table.concat(errors, "\n\t"))
  end
  tensor.no_grad(function()
    for _, e in ipairs(entries) do
      local v = rawget(sd, e[1])
      if v ~= nil and v ~= e[2] then e[2]:copy_(v) end
    end
  end)
  return {missing_keys = missing, unexpected_keys = unexpected}
end

-- ------------------------------------------------- printing

-- Indents every line after the first, as PyTorch's _addindent.
local function addindent(s, n)
  local pad = string.rep(" ", n)
  return (s:gsub("\n", "\n" .. pad))
end

function Module:__tostring()
  local lines = {}
  local extra = self:extra_repr()
  if type(extra) ~= "string" then extra = tostring(extra) end
  if extra ~= "" then
    for line in (extra .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = line end
  end
  local nextra = #lines
  local attrs = rawget(self, "_attrs")
  for _, name in ipairs(rawget(self, "_modules")) do
    lines[#lines + 1] = "(" .. name .. "): " .. addindent(tostring(attrs[name]), 2)
  end
  local s = class_name(self) .. "("
  if #lines == 1 and nextra == 1 then
    s = s .. lines[1]
  elseif #lines > 0 then
    s = s .. "\n  " .. table.concat(lines, "\n  ") .. "\n"
  end
  return s .. ")"
end

return {
  Module = Module,
  Parameter = Parameter,
  is_module = is_module,
  is_parameter = function(v) return is_param[v] == true end,
  isinstance = isinstance,
}
