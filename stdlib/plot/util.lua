-- plot/util.lua: argument handling shared by the plot module: errors that
-- point at the user's line, options tables checked against the allowed
-- keys, and inputs (tensors of any dtype, Lua tables, numbers) turned into
-- tensors for the C layer. It draws nothing.
local U = {}

local function in_plot_code(src)
  return src:find("stdlib/plot/", 1, true) or src:find("stdlib/vision/", 1, true)
end

-- Raises msg at the first stack level outside stdlib/plot, so the message
-- names the user's file and line rather than ours.
function U.fail(msg)
  local level = 2
  while true do
    local info = debug.getinfo(level, "S")
    if not info then return error(msg, 0) end
    if info.what ~= "C" and not in_plot_code(info.source) then return error(msg, level) end
    level = level + 1
  end
end

local function sorted_keys(set)
  local keys = {}
  for k in pairs(set) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

-- Checks an options table: nil is fine; unknown keys raise naming the key
-- and listing the allowed ones. `allowed` is a set {name = true}.
function U.options(fname, opts, allowed)
  if opts == nil then return {} end
  if type(opts) ~= "table" or tensor.is_tensor(opts) then
    U.fail(string.format("%s: options table expected, got %s", fname, U.typename(opts)))
  end
  for k in pairs(opts) do
    if type(k) ~= "string" or not allowed[k] then
      U.fail(string.format("%s: unknown option '%s' (expected %s)", fname, tostring(k),
        table.concat(sorted_keys(allowed), ", ")))
    end
  end
  return opts
end

function U.set(list)
  local s = {}
  for _, k in ipairs(list) do s[k] = true end
  return s
end

function U.typename(v)
  if tensor.is_tensor(v) then return "a " .. v:dim() .. "-d tensor" end
  return type(v)
end

-- Checks an option's type (and for strings, its value among `choices`).
function U.check_opt(fname, key, v, kind, choices)
  if v == nil then return nil end
  if kind == "number" and type(v) ~= "number" then
    U.fail(string.format("%s: option '%s' must be a number, got %s", fname, key, U.typename(v)))
  elseif kind == "string" and type(v) ~= "string" then
    U.fail(string.format("%s: option '%s' must be a string, got %s", fname, key, U.typename(v)))
  elseif kind == "boolean" and type(v) ~= "boolean" then
    U.fail(string.format("%s: option '%s' must be true or false, got %s", fname, key, U.typename(v)))
  end
  if choices and not choices[v] then
    U.fail(string.format("%s: option '%s' must be one of %s, got '%s'", fname, key,
      table.concat(sorted_keys(choices), ", "), tostring(v)))
  end
  return v
end

local function is_num_table(t)
  for i = 1, #t do
    if type(t[i]) ~= "number" then return false, i end
  end
  return true
end

-- A tensor on the cpu from a tensor, a table of numbers or a number; any
-- dtype (the C layer reads it as float64). dims: the allowed numbers of
-- dimensions (default {1}, with 0-d tensors and numbers taken as 1 value).
function U.data(fname, what, v, dims)
  dims = dims or {1}
  local t
  if tensor.is_tensor(v) then
    t = v
    if t:device() ~= "cpu" then t = t:to("cpu") end
  elseif type(v) == "number" then
    t = tensor.tensor({v}, {dtype = "float64"})
  elseif type(v) == "table" then
    if type(v[1]) == "table" then
      local ok, res = pcall(tensor.tensor, v, {dtype = "float64"})
      if not ok then U.fail(string.format("%s: %s must be a rectangular table of numbers", fname, what)) end
      t = res
    else
      local ok, bad = is_num_table(v)
      if not ok then
        U.fail(string.format("%s: %s[%d] must be a number, got %s", fname, what, bad, U.typename(v[bad])))
      end
      t = #v == 0 and tensor.zeros(0, {dtype = "float64"}) or tensor.tensor(v, {dtype = "float64"})
    end
  else
    U.fail(string.format("%s: %s must be a tensor or a table of numbers, got %s", fname, what, U.typename(v)))
  end
  local nd = t:dim()
  if nd == 0 then t = t:reshape(1); nd = 1 end
  for _, d in ipairs(dims) do
    if d == nd then return t end
  end
  local want = {}
  for i, d in ipairs(dims) do want[i] = d .. "-d" end
  U.fail(string.format("%s: %s must be %s, got a %d-d tensor of shape %s", fname, what,
    table.concat(want, " or "), nd, U.shape(t)))
end

function U.shape(t)
  local s = {}
  for i = 1, t:dim() do s[i] = tostring(t:size(i)) end
  return #s == 0 and "scalar" or table.concat(s, "x")
end

-- A 1-d series: tensors of any shape with one non-trivial dim are accepted.
function U.series(fname, what, v)
  local t = U.data(fname, what, v, {1, 2, 3, 4, 5, 6, 7, 8})
  if t:dim() > 1 then
    local big = 0
    for i = 1, t:dim() do if t:size(i) > 1 then big = big + 1 end end
    if big > 1 then
      U.fail(string.format("%s: %s must be 1-d, got a tensor of shape %s", fname, what, U.shape(t)))
    end
    t = t:reshape(t:numel())
  end
  return t
end

-- Numbers as a Lua table (small data only: bar heights, tick positions).
function U.numbers(fname, what, v)
  if type(v) == "number" then return {v} end
  local t = U.series(fname, what, v)
  return t:to("float64"):totable()
end

-- 1..n as a float64 tensor (the x of plot(y): Lua counts from 1).
function U.range(n)
  if n == 0 then return tensor.zeros(0, {dtype = "float64"}) end
  return tensor.arange(1, n + 1, {dtype = "float64"})
end

function U.check_same_len(fname, a, an, b, bn)
  if a:numel() ~= b:numel() then
    U.fail(string.format("%s: %s and %s must have the same length, got %d and %d", fname, an, bn,
      a:numel(), b:numel()))
  end
end

-- Shallow copy of a table.
function U.copy(t)
  local c = {}
  for k, v in pairs(t or {}) do c[k] = v end
  return c
end

return U
