-- plot/colors.lua: colours and colour maps as matplotlib names them: named
-- colours (CSS4, 'b'..'k', 'tab:blue'), 'C0'..'C9' (the tab10 cycle), hex,
-- grey levels and {r, g, b[, a]} tables; maps as 256-entry tables for the C
-- layer (with '_r' for reversed). It does not decide which colour is next.
local U = require("plot.util")
local data = require("plot.colordata")

local M = {}

-- The default property cycle: matplotlib's tab10.
M.cycle = {"1f77b4", "ff7f0e", "2ca02c", "d62728", "9467bd", "8c564b", "e377c2", "7f7f7f", "bcbd22", "17becf"}

local function hex_rgb(h)
  return tonumber(h:sub(1, 2), 16) / 255, tonumber(h:sub(3, 4), 16) / 255, tonumber(h:sub(5, 6), 16) / 255
end

local function bad_color(fname, c)
  U.fail(string.format("%s: unknown colour %s (use a name like 'blue' or 'tab:blue', 'C0'..'C9', " ..
    "'#1f77b4', a grey level like '0.5', or {r, g, b} in 0..1)",
    fname, type(c) == "string" and ("'" .. c .. "'") or U.typename(c)))
end

-- {r, g, b, a} in 0..1 for a colour spec; alpha (if given) replaces its alpha.
function M.rgba(c, alpha, fname)
  fname = fname or "plot"
  local r, g, b, a
  if type(c) == "string" then
    local s = c:lower()
    local named = data.named[s]
    if named then
      r, g, b = hex_rgb(named)
    elseif s:match("^c%d$") then
      r, g, b = hex_rgb(M.cycle[tonumber(s:sub(2)) + 1])
    elseif s:match("^#%x%x%x%x%x%x$") then
      r, g, b = hex_rgb(s:sub(2))
    elseif s:match("^#%x%x%x%x%x%x%x%x$") then
      r, g, b = hex_rgb(s:sub(2))
      a = tonumber(s:sub(8, 9), 16) / 255
    elseif s:match("^#%x%x%x$") then
      r, g, b = hex_rgb(s:sub(2, 2):rep(2) .. s:sub(3, 3):rep(2) .. s:sub(4, 4):rep(2))
    elseif s == "none" then
      r, g, b, a = 0, 0, 0, 0
    else
      local v = tonumber(s)
      if v and v >= 0 and v <= 1 then r, g, b = v, v, v else bad_color(fname, c) end
    end
  elseif type(c) == "table" and not tensor.is_tensor(c) and (#c == 3 or #c == 4) then
    for i = 1, #c do
      if type(c[i]) ~= "number" or c[i] < 0 or c[i] > 1 then bad_color(fname, c) end
    end
    r, g, b, a = c[1], c[2], c[3], c[4]
  else
    bad_color(fname, c)
  end
  return {r, g, b, alpha or a or 1}
end

function M.cycle_color(i)
  return M.rgba("#" .. M.cycle[(i - 1) % #M.cycle + 1])
end

-- ---- colour maps ----

local luts = {}

local function linear(r0, g0, b0, r1, g1, b1)
  local bytes = {}
  for i = 0, 255 do
    local t = i / 255
    bytes[#bytes + 1] = string.char(math.floor((r0 + (r1 - r0) * t) * 255 + 0.5),
      math.floor((g0 + (g1 - g0) * t) * 255 + 0.5), math.floor((b0 + (b1 - b0) * t) * 255 + 0.5))
  end
  return table.concat(bytes)
end

local function from_hex(s)
  s = s:gsub("%s", "")
  return (s:gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end))
end

local function reverse(lut)
  local parts = {}
  for i = 255, 0, -1 do parts[#parts + 1] = lut:sub(3 * i + 1, 3 * i + 3) end
  return table.concat(parts)
end

local builtin = {
  gray = function() return linear(0, 0, 0, 1, 1, 1) end,
  binary = function() return linear(1, 1, 1, 0, 0, 0) end,
}
builtin.grey = builtin.gray

-- The names of the colour maps, sorted (each also has a reversed '_r' form).
function M.cmap_names()
  local names = {}
  for k in pairs(data.cmaps) do names[#names + 1] = k end
  for k in pairs(builtin) do names[#names + 1] = k end
  table.sort(names)
  return names
end

-- The 768-byte RGB table of a colour map name.
function M.lut(name, fname)
  if type(name) ~= "string" then
    U.fail(string.format("%s: colour map name expected, got %s", fname or "plot", U.typename(name)))
  end
  if luts[name] then return luts[name] end
  local base, rev = name, false
  if name:sub(-2) == "_r" then base, rev = name:sub(1, -3), true end
  local lut
  if data.cmaps[base] then lut = from_hex(data.cmaps[base])
  elseif builtin[base] then lut = builtin[base]()
  else
    U.fail(string.format("%s: unknown colour map '%s' (available: %s, each also reversed with '_r')",
      fname or "plot", name, table.concat(M.cmap_names(), ", ")))
  end
  if rev then lut = reverse(lut) end
  luts[name] = lut
  return lut
end

-- The colour a map gives to t in 0..1, as {r, g, b, 1}.
function M.cmap_rgba(name, t)
  local lut = M.lut(name)
  local k = math.max(0, math.min(255, math.floor(t * 256)))
  return {lut:byte(3 * k + 1) / 255, lut:byte(3 * k + 2) / 255, lut:byte(3 * k + 3) / 255, 1}
end

return M
