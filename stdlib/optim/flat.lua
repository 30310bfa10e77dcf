-- optim/flat.lua: the flat encoding of optimizer and scheduler state dicts,
-- so that tensor.save (a flat, string-keyed table of tensors) can store them.
-- Not a general serialiser: values are tensors, numbers, booleans, strings
-- and tables of those, with string keys free of '.' and ':'.
--
-- Encoding (docs/optim.md, "Saving"): a nested table becomes dotted keys
-- ("state.1.exp_avg"); integer keys are written in decimal and read back as
-- integers. A tensor is stored under its key as it is. A Lua value is stored
-- as a tensor under key .. ":lua" -- a float as a 0-dim float64, an integer
-- as a 0-dim int64, a boolean as a 0-dim bool, a list of numbers or of
-- booleans as a 1-dim tensor (float64 if any element is a float, else int64;
-- bool for booleans), an empty table as a 1-dim float64 of size 0 -- and a
-- string under key .. ":str" as the uint8 bytes of the string.
local flat = {}

local function fail(fmt, ...) error(string.format(fmt, ...), 0) end

-- A non-empty list of numbers only, or of booleans only: "number",
-- "boolean"; anything else nil.
local function scalar_list_kind(t)
  local n = #t
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  if count ~= n then return nil end
  local kind = type(t[1])
  if kind ~= "number" and kind ~= "boolean" then return nil end
  for i = 2, n do
    if type(t[i]) ~= kind then return nil end
  end
  return kind
end

local function encode_list(t, kind)
  if kind == "boolean" then return tensor(t, {dtype = "bool"}) end
  for i = 1, #t do
    if math.type(t[i]) == "float" then return tensor(t, {dtype = "float64"}) end
  end
  return tensor(t, {dtype = "int64"})
end

-- The key of v[k] inside the table at key.
local function join(key, k)
  local part
  if math.type(k) == "integer" then
    part = tostring(k)
  elseif type(k) == "string" then
    if k == "" or k:find("[.:]") or k:match("^%-?%d+$") then
      fail("flatten: key '%s'%s cannot be encoded (empty, holds '.' or ':', or looks like an integer)",
           k, key == "" and "" or " at '" .. key .. "'")
    end
    part = k
  else
    fail("flatten: a %s key%s cannot be encoded (string or integer keys only)", type(k),
         key == "" and "" or " at '" .. key .. "'")
  end
  return key == "" and part or key .. "." .. part
end

local function encode(out, key, v, seen)
  local ty = type(v)
  if tensor.is_tensor(v) then
    out[key] = v
  elseif ty == "number" then
    out[key .. ":lua"] = tensor(v, {dtype = math.type(v) == "integer" and "int64" or "float64"})
  elseif ty == "boolean" then
    out[key .. ":lua"] = tensor(v, {dtype = "bool"})
  elseif ty == "string" then
    local bytes = {string.byte(v, 1, -1)}
    out[key .. ":str"] = #bytes > 0 and tensor(bytes, {dtype = "uint8"}) or tensor.zeros(0, {dtype = "uint8"})
  elseif ty == "table" then
    if seen[v] then fail("flatten: the table at '%s' contains itself", key) end
    if next(v) == nil then
      out[key .. ":lua"] = tensor.zeros(0, {dtype = "float64"})
      return
    end
    local kind = scalar_list_kind(v)
    if kind then
      out[key .. ":lua"] = encode_list(v, kind)
      return
    end
    seen[v] = true
    for k, x in pairs(v) do encode(out, join(key, k), x, seen) end
    seen[v] = nil
  elseif ty ~= "function" then -- functions (a LambdaLR's lambdas) are not state
    fail("flatten: a %s at '%s' cannot be encoded", ty, key)
  end
end

--- optim.flatten(state_dict[, prefix]) -> flat table of tensors
function flat.flatten(sd, prefix)
  if type(sd) ~= "table" then fail("flatten: a state dict (table) expected, got %s", type(sd)) end
  if prefix ~= nil and type(prefix) ~= "string" then fail("flatten: prefix must be a string, got %s", type(prefix)) end
  local out = {}
  local seen = {[sd] = true}
  local inner = {}
  for k, v in pairs(sd) do encode(inner, join("", k), v, seen) end
  for k, v in pairs(inner) do out[(prefix or "") .. k] = v end
  return out
end

local function decode_value(key, t, tag)
  if tag == "str" then
    if t:dtype() ~= "uint8" or t:dim() ~= 1 then
      fail("unflatten: '%s' should be a 1-dim uint8 tensor (a string), got %s %s", key, t:dtype(), tostring(t:size()))
    end
    local bytes = t:totable()
    local parts = {}
    for i = 1, #bytes, 4096 do parts[#parts + 1] = string.char(table.unpack(bytes, i, math.min(i + 4095, #bytes))) end
    return table.concat(parts)
  end
  local dt = t:dtype()
  if dt ~= "float64" and dt ~= "int64" and dt ~= "bool" then
    fail("unflatten: '%s' should be float64, int64 or bool (a Lua value), got %s", key, dt)
  end
  if t:dim() == 0 then
    local v = t:item()
    if dt == "float64" then v = v + 0.0 end
    return v
  end
  if t:dim() ~= 1 then fail("unflatten: '%s' should be 0-dim or 1-dim (a Lua value), got %s", key, tostring(t:size())) end
  local list = t:totable()
  if dt == "float64" then
    for i = 1, #list do list[i] = list[i] + 0.0 end
  end
  return list
end

--- optim.unflatten(flat[, prefix]) -> state dict
function flat.unflatten(ft, prefix)
  if type(ft) ~= "table" then fail("unflatten: a flat table of tensors expected, got %s", type(ft)) end
  if type(prefix) == "table" then prefix = nil end -- tensor.load's metadata, from unflatten(tensor.load(path))
  if prefix ~= nil and type(prefix) ~= "string" then fail("unflatten: prefix must be a string, got %s", type(prefix)) end
  prefix = prefix or ""
  local root = {}
  local found = false
  for fullkey, t in pairs(ft) do
    if type(fullkey) == "string" and fullkey:sub(1, #prefix) == prefix then
      found = true
      if not tensor.is_tensor(t) then fail("unflatten: '%s' is a %s, expected a tensor", fullkey, type(t)) end
      local key = fullkey:sub(#prefix + 1)
      local path, tag = key:match("^(.*):(%a+)$")
      if tag and tag ~= "lua" and tag ~= "str" then
        fail("unflatten: '%s' has an unknown tag ':%s' (expected :lua or :str)", fullkey, tag)
      end
      path = path or key
      local value = t
      if tag then value = decode_value(fullkey, t, tag) end
      local node = root
      local parts = {}
      for part in (path .. "."):gmatch("([^.]*)%.") do parts[#parts + 1] = part end
      for i, part in ipairs(parts) do
        if part == "" then
          if #parts == 1 then fail("unflatten: '%s' has an empty key", fullkey) end
          fail("unflatten: '%s' has an empty component", fullkey)
        end
        local k = part:match("^%-?%d+$") and math.tointeger(tonumber(part)) or part
        if i == #parts then
          if node[k] ~= nil then fail("unflatten: '%s' is given twice", fullkey) end
          node[k] = value
        else
          if node[k] == nil then node[k] = {} end
          if type(node[k]) ~= "table" then fail("unflatten: '%s' is both a value and a table", fullkey) end
          node = node[k]
        end
      end
    end
  end
  if not found then fail("unflatten: no key starts with '%s'", prefix) end
  return root
end

-- Whether t looks like a flat encoding (some key carries a tag or a dot).
function flat.is_flat(t)
  for k in pairs(t) do
    if type(k) == "string" and (k:find(":lua", 1, true) or k:find(":str", 1, true)) then return true end
  end
  return false
end

return flat
