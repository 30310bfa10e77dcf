-- data/transforms.lua: batch transforms for the DataLoader (ToTensor,
-- Normalize, Compose, Lambda), also reachable as vision.transforms.
-- ToTensor and Normalize are affine maps, so the DataLoader folds a chain
-- of them into one x * scale + shift that tensor.take_rows applies while it
-- gathers a batch (no extra pass, no per-sample work). Not image decoding
-- or augmentation: other transforms are Lua functions run per batch.
local M = {}

local Transform = {}
Transform.__index = Transform
Transform.__call = function(self, x) return self:apply(x) end
Transform.__tostring = function(self) return self.repr end

local function new(kind, fields)
  fields.kind = kind
  return setmetatable(fields, Transform)
end

-- A number or a list of numbers (one per channel), checked.
local function values(fname, what, v)
  if type(v) == "number" then return {v} end
  if type(v) ~= "table" or #v == 0 then
    error(string.format("%s: %s must be a number or a table of numbers, got %s", fname, what, type(v)), 3)
  end
  local out = {}
  for i = 1, #v do
    if type(v[i]) ~= "number" then
      error(string.format("%s: %s[%d] must be a number, got %s", fname, what, i, type(v[i])), 3)
    end
    out[i] = v[i]
  end
  return out
end

--- ToTensor(): uint8 images to float32 in [0, 1] (x / 255); other dtypes
--- become float32 unscaled, as torchvision's ToTensor does for floats.
--- The samples already have their channel dim (N x 1 x 28 x 28).
function M.ToTensor()
  return new("to_tensor", {repr = "ToTensor()"})
end

--- Normalize(mean, std): (x - mean) / std, per channel (dim -3) when given tables.
function M.Normalize(mean, std)
  local m, s = values("Normalize", "mean", mean), values("Normalize", "std", std)
  if #m ~= #s and #m ~= 1 and #s ~= 1 then
    error(string.format("Normalize: mean has %d values and std %d; they must match", #m, #s), 2)
  end
  for i, v in ipairs(s) do
    if v == 0 then error(string.format("Normalize: std[%d] is 0", i), 2) end
  end
  local function fmt(t)
    local p = {}
    for i, v in ipairs(t) do p[i] = string.format("%g", v) end
    return #t == 1 and p[1] or "{" .. table.concat(p, ", ") .. "}"
  end
  return new("normalize", {mean = m, std = s, repr = "Normalize(" .. fmt(m) .. ", " .. fmt(s) .. ")"})
end

--- Compose{t1, t2, ...}: the transforms in order.
function M.Compose(list)
  if type(list) ~= "table" then error("Compose: a table of transforms expected, got " .. type(list), 2) end
  local parts, reprs = {}, {}
  for i, t in ipairs(list) do
    if type(t) ~= "function" and getmetatable(t) ~= Transform then
      error(string.format("Compose: item %d is a %s, expected a transform or a function", i, type(t)), 2)
    end
    parts[i] = t
    reprs[i] = getmetatable(t) == Transform and t.repr or "<function>"
  end
  return new("compose", {list = parts, repr = "Compose{" .. table.concat(reprs, ", ") .. "}"})
end

--- Lambda(fn): any function of the batch tensor (run in Lua, once per batch).
function M.Lambda(fn)
  if type(fn) ~= "function" then error("Lambda: a function expected, got " .. type(fn), 2) end
  return new("lambda", {fn = fn, repr = "Lambda()"})
end

-- The flat list of steps of a transform (Compose unrolled).
local function steps(t, out)
  out = out or {}
  if type(t) == "function" then
    out[#out + 1] = {kind = "lambda", fn = t}
  elseif t.kind == "compose" then
    for _, p in ipairs(t.list) do steps(p, out) end
  else
    out[#out + 1] = t
  end
  return out
end

--- plan(t, dtype) -> {dtype=, scale=, shift=} or nil, rest
--- Folds the leading affine steps of transform t, for inputs of `dtype`, into
--- options for tensor.take_rows; `rest` lists the steps left to run on the
--- batch (functions). Used by the DataLoader; exposed for testing.
function M.plan(t, dtype)
  if t == nil then return nil, {} end
  local list = steps(t)
  local scale, shift, dt, folded = {1}, {0}, dtype, false
  local function expand(n)
    if #scale == 1 and n > 1 then
      for i = 2, n do scale[i], shift[i] = scale[1], shift[1] end
    end
  end
  local i = 1
  while i <= #list do
    local s = list[i]
    if s.kind == "to_tensor" then
      if dt == "uint8" then
        for c = 1, #scale do scale[c], shift[c] = scale[c] / 255, shift[c] / 255 end
      end
      dt = "float32"
      folded = true
    elseif s.kind == "normalize" then
      local n = math.max(#s.mean, #s.std, #scale)
      if #scale > 1 and (#s.mean > 1 and #s.mean ~= #scale or #s.std > 1 and #s.std ~= #scale) then
        error(string.format("Normalize: %d channel values after a %d-channel step", math.max(#s.mean, #s.std), #scale), 3)
      end
      expand(n)
      for c = 1, n do
        local m, sd = s.mean[#s.mean == 1 and 1 or c], s.std[#s.std == 1 and 1 or c]
        scale[c], shift[c] = scale[c] / sd, (shift[c] - m) / sd
      end
      if dt ~= "float64" and dt ~= "float32" then dt = "float32" end
      folded = true
    else
      break
    end
    i = i + 1
  end
  local rest = {}
  for k = i, #list do rest[#rest + 1] = list[k].fn end
  if not folded then return nil, rest end
  return {dtype = dt, scale = #scale == 1 and scale[1] or scale, shift = #shift == 1 and shift[1] or shift}, rest
end

function Transform:apply(x)
  if not tensor.is_tensor(x) then
    error(string.format("%s: a tensor expected, got %s", self.repr, type(x)), 3)
  end
  local opts, rest = M.plan(self, x:dtype())
  if opts then x = tensor.take_rows(x, nil, opts) end
  for _, fn in ipairs(rest) do x = fn(x) end
  return x
end

local help = tensor.sethelp
help(M, "transforms: ToTensor, Normalize, Compose, Lambda; folded into DataLoader batches (docs/data.md).")
help(M.ToTensor, "transforms.ToTensor() -> transform\nuint8 images to float32 in [0, 1] (x / 255); other dtypes to float32 unscaled.\n" ..
  "  transforms.ToTensor()(tensor({0, 255}, {dtype = 'uint8'}))  --> {0, 1}")
help(M.Normalize, "transforms.Normalize(mean, std) -> transform\n(x - mean) / std; tables give one value per channel (dim -3).\n" ..
  "  transforms.Normalize(0.2860, 0.3530)")
help(M.Compose, "transforms.Compose{t1, t2, ...} -> transform\nThe transforms in order.\n" ..
  "  transforms.Compose{transforms.ToTensor(), transforms.Normalize(0.5, 0.5)}")
help(M.Lambda, "transforms.Lambda(fn) -> transform\nAny function of the batch tensor, run once per batch.\n" ..
  "  transforms.Lambda(function(x) return x:view(x:size(1), -1) end)")
help(M.plan, "transforms.plan(t, dtype) -> take_rows options or nil, rest\n" ..
  "The leading ToTensor/Normalize steps of t folded into {dtype=, scale=, shift=} for inputs of dtype.\n" ..
  "  transforms.plan(transforms.ToTensor(), 'uint8')  --> {dtype = 'float32', scale = 1/255, shift = 0}, {}")

return M
