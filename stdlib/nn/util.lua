-- nn/util.lua: small helpers shared by the nn files: raising errors at the
-- user's line, checking trailing options tables and arguments, and writing
-- values the way PyTorch's module printing does. Not part of the public API.
local U = {}

-- The directory of the nn files: errors skip the frames in it, so that the
-- position names the user's line however deep inside nn the check is.
local nn_dir = debug.getinfo(1, "S").source:match("^@(.*/)[^/]*$") or "\0"

-- Raises msg at the first frame outside stdlib/nn (and outside C).
function U.raise(msg)
  local level = 2
  while true do
    local info = debug.getinfo(level, "S")
    if not info then return error(msg, 0) end
    local src = info.source
    local inside = info.what == "C" or (src:sub(1, 1) == "@" and src:sub(2, #nn_dir + 1) == nn_dir)
    if not inside then return error(msg, level) end
    level = level + 1
  end
end

function U.fail(fmt, ...) U.raise(string.format(fmt, ...)) end

-- Calls f(...) (a C function of nn.functional) and re-raises its error at
-- the user's line instead of the nn file that made the call.
local function rethrow(ok, ...)
  if ok then return ... end
  local msg = ...
  if type(msg) == "string" then
    local src = msg:match("^(.-):%d+: ")
    if src and (nn_dir ~= "\0" and src:sub(1, #nn_dir) == nn_dir) then msg = msg:gsub("^.-:%d+: ", "", 1) end
    U.raise(msg)
  end
  error(msg, 0)
end
function U.call(f, ...) return rethrow(pcall(f, ...)) end

-- What a value is, for messages: a tensor's dtype and shape, a module's
-- class name, else Lua's type.
function U.describe(v)
  if tensor.is_tensor(v) then return "a " .. v:dtype() .. " tensor of shape " .. U.shape(v) end
  local mt = getmetatable(v)
  if type(v) == "table" and type(mt) == "table" and rawget(v, "_attrs") and mt.__name then
    return "a " .. mt.__name .. " module"
  end
  if math.type(v) then return "the number " .. tostring(v) end
  if type(v) == "string" then return string.format("the string %q", v) end
  return "a " .. type(v)
end

-- "2x3" as the core writes shapes in its messages; "scalar" for 0-d.
function U.shape(t)
  local s = t:size()
  if #s == 0 then return "[] (0-d)" end
  local parts = {}
  for i = 1, #s do parts[i] = tostring(s[i]) end
  return table.concat(parts, "x")
end

function U.shape_of(list)
  local parts = {}
  for i = 1, #list do parts[i] = tostring(list[i]) end
  return table.concat(parts, "x")
end

-- Bounded edit distance, for "did you mean" in option errors.
local function distance(a, b)
  if #a > 40 or #b > 40 then return 99 end
  local row = {}
  for j = 0, #b do row[j] = j end
  for i = 1, #a do
    local diag = row[0]
    row[0] = i
    for j = 1, #b do
      local up = row[j]
      local best = diag + (a:byte(i) == b:byte(j) and 0 or 1)
      if up + 1 < best then best = up + 1 end
      if row[j - 1] + 1 < best then best = row[j - 1] + 1 end
      row[j] = best
      diag = up
    end
  end
  return row[#b]
end

-- Checks a trailing options table against the allowed names (a list, in the
-- order the message should give them); returns the table, or {} for nil.
function U.options(fname, opts, allowed)
  if opts == nil then return {} end
  if type(opts) ~= "table" or tensor.is_tensor(opts) or rawget(opts, "_attrs") then
    U.fail("%s: options table expected as the last argument, got %s", fname, U.describe(opts))
  end
  local ok = {}
  for _, n in ipairs(allowed) do ok[n] = true end
  for k in pairs(opts) do
    if not ok[k] then
      local hint = ""
      if type(k) == "string" then
        for _, n in ipairs(allowed) do
          if distance(k, n) <= 2 then hint = " Did you mean '" .. n .. "'?" break end
        end
      end
      if math.type(k) then
        U.fail("%s: options are named (e.g. {%s=...}), got a positional value in the options table", fname,
               allowed[1] or "name")
      end
      U.fail("%s: unknown option '%s' (expected %s).%s", fname, tostring(k),
             #allowed > 0 and table.concat(allowed, ", ") or "none", hint)
    end
  end
  return opts
end

-- An options table is the last argument: anything else after the required
-- arguments is a mistake worth naming (PyTorch takes these positionally).
function U.no_extra(fname, n, example, ...)
  if select("#", ...) > 0 then
    U.fail("%s: takes %d arguments and an options table; got an extra %s (options go in a table, e.g. %s)",
           fname, n, U.describe((...)), example)
  end
end

-- The same where the last argument is an options table: a value in its
-- place followed by more is PyTorch's positional style.
function U.trailing(fname, n, example, opts, ...)
  if select("#", ...) > 0 and (type(opts) ~= "table" or tensor.is_tensor(opts)) then
    U.fail("%s: options table expected as the last argument, got %s (options go in a table, e.g. %s)", fname,
           U.describe(opts), example)
  end
  U.no_extra(fname, n, example, ...)
end

function U.int(fname, what, v, min)
  if math.type(v) ~= "integer" then
    if math.type(v) == "float" and v == math.floor(v) and v == v and math.abs(v) < 2^53 then
      v = math.tointeger(v)
    else
      U.fail("%s: %s must be an integer, got %s", fname, what, U.describe(v))
    end
  end
  if min and v < min then U.fail("%s: %s must be at least %d, got %d", fname, what, min, v) end
  return v
end

function U.number(fname, what, v)
  if type(v) ~= "number" then U.fail("%s: %s must be a number, got %s", fname, what, U.describe(v)) end
  return v
end

function U.bool(fname, what, v, default)
  if v == nil then return default end
  if type(v) ~= "boolean" then U.fail("%s: %s must be true or false, got %s", fname, what, U.describe(v)) end
  return v
end

-- A size given as a number or a pair {h, w}: returns {h, w}.
function U.pair(fname, what, v, min)
  if type(v) == "table" and not tensor.is_tensor(v) then
    if #v ~= 2 then U.fail("%s: %s must be a number or a pair {h, w}, got a table of %d values", fname, what, #v) end
    return {U.int(fname, what, v[1], min), U.int(fname, what, v[2], min)}
  end
  if math.type(v) == nil then U.fail("%s: %s must be a number or a pair {h, w}, got %s", fname, what, U.describe(v)) end
  local n = U.int(fname, what, v, min)
  return {n, n}
end

-- The layers call nn.functional through this proxy, which loads it on
-- first use: nn itself loads even where nn.functional could not.
U.F = setmetatable({}, {__index = function(proxy, k)
  local F = require("nn.functional")
  setmetatable(proxy, {__index = F})
  return F[k]
end})

function U.check_tensor(fname, what, x)
  if not tensor.is_tensor(x) then U.fail("%s: %s must be a tensor, got %s", fname, what, U.describe(x)) end
  return x
end

-- ---- printing the way PyTorch's extra_repr does ----

-- A value as Python would show it in a repr (tuples as (a, b)); Lua's own
-- true/false, since those are what a Lua user types.
function U.repr(v)
  if type(v) == "table" then
    local parts = {}
    for i = 1, #v do parts[i] = U.repr(v[i]) end
    if #v == 1 then return "(" .. parts[1] .. ",)" end
    return "(" .. table.concat(parts, ", ") .. ")"
  end
  if type(v) == "string" then return "'" .. v .. "'" end
  return tostring(v)
end

-- ---- help texts ----

local generic = {
  forward = "%s:forward(...) -> Tensor\nThe module's computation; call the module itself, m(x), rather than forward.\n"
    .. "  local y = m(x)",
  extra_repr = "m:extra_repr() -> string\nThe settings shown between the parentheses when the module prints.\n"
    .. "  print(m:extra_repr())",
  reset_parameters = "m:reset_parameters()\nInitialises the parameters again, as the constructor does (PyTorch's defaults).\n"
    .. "  m:reset_parameters()",
}

-- Help for a class (text: call, what it does, example) and for each of its
-- own functions: `methods` gives texts by name, __init gets the class's
-- text, forward/extra_repr/reset_parameters a generic one.
function U.document(cls, text, methods)
  tensor.sethelp(cls, text)
  for k, v in pairs(cls) do
    if type(v) == "function" then
      local h = methods and methods[k]
      if not h and k == "__init" then h = text end
      if not h and generic[k] then h = string.format(generic[k], cls.__name) end
      if h then tensor.sethelp(v, h) end
    end
  end
end

return U
