-- plot/ticker.lua: where ticks go and what they say, and the automatic view
-- limits, following matplotlib's defaults: "nice" steps (1, 2, 2.5, 5 times a
-- power of ten), at most 9 intervals and fewer on short axes, labels with just
-- enough decimals, scientific notation ("1e6" at the axis end) outside
-- 1e-5..1e6 and an offset for narrow ranges far from zero; decades on log
-- axes. Pure functions over numbers: no drawing, no figures.
local T = {}

local MINUS = "\u{2212}" -- matplotlib's unicode minus

local function floor_div(a, b) return math.floor(a / b) end

-- matplotlib's nonsingular: widens an empty or degenerate interval.
function T.nonsingular(lo, hi, expander)
  expander = expander or 0.05
  if not (lo == lo and hi == hi) or lo == math.huge or hi == -math.huge then return -expander, expander end
  local swapped = false
  if hi < lo then lo, hi, swapped = hi, lo, true end
  local maxabs = math.max(math.abs(lo), math.abs(hi))
  if maxabs < 1e-300 then
    lo, hi = -expander, expander
  elseif hi - lo <= maxabs * 1e-13 then
    if hi == 0 and lo == 0 then lo, hi = -expander, expander
    else
      lo = lo - expander * math.abs(lo)
      hi = hi + expander * math.abs(hi)
    end
  end
  if swapped then lo, hi = hi, lo end
  return lo, hi
end

local steps = {0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20}

local function scale_range(lo, hi, n)
  local dv = math.abs(hi - lo)
  local meanv = (hi + lo) / 2
  local offset = 0
  if dv > 0 and math.abs(meanv) / dv >= 100 then
    offset = (meanv < 0 and -1 or 1) * 10 ^ math.floor(math.log(math.abs(meanv), 10))
  end
  local scale = 10 ^ math.floor(math.log(dv / n, 10))
  return scale, offset
end

local function closeto(ms, edge, step, offset)
  local tol = 1e-10
  if offset > 0 then
    local digits = math.log(offset / step, 10)
    tol = math.max(1e-10, 10 ^ (digits - 12))
    tol = math.min(0.4999, tol)
  end
  return math.abs(ms - edge) < tol
end

-- Tick positions for the interval lo..hi with at most nbins intervals
-- (MaxNLocator with steps 1, 2, 2.5, 5, 10); may extend past the interval.
function T.nice_ticks(lo, hi, nbins)
  nbins = nbins or 9
  if hi < lo then lo, hi = hi, lo end
  lo, hi = T.nonsingular(lo, hi, 1e-13)
  local scale, offset = scale_range(lo, hi, nbins)
  local _lo, _hi = lo - offset, hi - offset
  local raw = (_hi - _lo) / nbins
  local istep = #steps
  for i, s in ipairs(steps) do
    if s * scale >= raw then istep = i break end
  end
  local ticks
  for i = istep, 1, -1 do
    local step = steps[i] * scale
    local best = floor_div(_lo, step) * step
    local function le(x)
      local d = math.floor(x / step)
      local m = x - d * step
      if closeto(m / step, 1, step, offset) then return d + 1 end
      return d
    end
    local function ge(x)
      local d = math.floor(x / step)
      local m = x - d * step
      if closeto(m / step, 0, step, offset) then return d end
      return d + 1
    end
    local low, high = le(_lo - best), ge(_hi - best)
    ticks = {}
    local inside = 0
    for k = low, high do
      local t = k * step + best
      ticks[#ticks + 1] = t + offset
      if t <= _hi and t >= _lo then inside = inside + 1 end
    end
    if inside >= 2 then break end
  end
  return ticks
end

-- The ticks of nice_ticks that lie in the view lo..hi (either order).
function T.in_view(ticks, lo, hi)
  if hi < lo then lo, hi = hi, lo end
  local eps = (hi - lo) * 1e-10
  local out = {}
  for _, t in ipairs(ticks) do
    if t >= lo - eps and t <= hi + eps then out[#out + 1] = t end
  end
  return out
end

-- How many intervals fit on an axis of `length` points (matplotlib's
-- get_tick_space: a label needs 3 font sizes across, 2 up).
function T.nbins_for(length, fontsize, vertical)
  local size = fontsize * (vertical and 2 or 3)
  local n = math.floor(length / size)
  return math.max(1, math.min(9, n))
end

-- ---- limits ----

-- The view interval for data lo..hi: widened by `margin` of its span on
-- each side (on log axes in log space), except where a sticky edge (the 0
-- under bars, an image's border) stops it.
function T.auto_limits(lo, hi, margin, sticky, log)
  if lo == nil then
    if log then return 1, 10 end
    return 0, 1
  end
  local f = log and function(v) return math.log(v, 10) end or function(v) return v end
  local g = log and function(v) return 10 ^ v end or function(v) return v end
  local a, b = f(lo), f(hi)
  if b - a <= math.max(math.abs(a), math.abs(b)) * 1e-13 then
    if log then return g(a - 1), g(b + 1) end
    return T.nonsingular(lo, hi)
  end
  local span = b - a
  local na, nb = a - margin * span, b + margin * span
  for _, s in ipairs(sticky or {}) do
    local fs = (not log or s > 0) and f(s) or nil
    if fs then
      if fs <= a + 1e-12 * math.abs(span) and fs > na then na = math.max(na, fs) end
      if fs >= b - 1e-12 * math.abs(span) and fs < nb then nb = math.min(nb, fs) end
    end
  end
  return g(na), g(nb)
end

-- ---- labels ----

local function fix_minus(s)
  return (s:gsub("^%-", MINUS):gsub("e%-", "e" .. MINUS))
end

local function ptp(v)
  local lo, hi = math.huge, -math.huge
  for _, x in ipairs(v) do lo = math.min(lo, x); hi = math.max(hi, x) end
  return hi - lo, lo, hi
end

local function round_to(x, decimals)
  local m = 10 ^ decimals
  local r = x * m
  r = r >= 0 and math.floor(r + 0.5) or -math.floor(-r + 0.5)
  return r / m
end

-- matplotlib's ScalarFormatter offset: when the ticks share leading digits
-- (1000000.1, 1000000.2 ...) they are shown relative to a round offset.
local function compute_offset(locs, lo, hi)
  local inview = T.in_view(locs, lo, hi)
  if #inview == 0 then return 0 end
  local lmin, lmax = math.huge, -math.huge
  for _, l in ipairs(inview) do lmin = math.min(lmin, l); lmax = math.max(lmax, l) end
  if #inview < 2 then lmin, lmax = math.min(lo, hi), math.max(lo, hi) end
  if lmin == lmax or (lmin <= 0 and lmax >= 0) then return 0 end
  local abs_min, abs_max = math.abs(lmin), math.abs(lmax)
  if abs_min > abs_max then abs_min, abs_max = abs_max, abs_min end
  local sign = lmin < 0 and -1 or 1
  local oom_max = math.ceil(math.log(abs_max, 10))
  local oom
  for o = oom_max, oom_max - 400, -1 do
    if floor_div(abs_min, 10 ^ o) ~= floor_div(abs_max, 10 ^ o) then oom = o + 1 break end
  end
  if not oom then return 0 end
  if (abs_max - abs_min) / 10 ^ oom <= 1e-2 then
    for o = oom_max, oom_max - 400, -1 do
      if floor_div(abs_max, 10 ^ o) - floor_div(abs_min, 10 ^ o) > 1 then oom = o + 1 break end
    end
  end
  local n = 3 -- offset_threshold 4, less one
  if floor_div(abs_max, 10 ^ oom) >= 10 ^ n then
    return sign * floor_div(abs_max, 10 ^ oom) * 10 ^ oom
  end
  return 0
end

-- The offset in matplotlib's short scientific form: 1e6, 1.5e3, -2e-4.
local function format_sci(v)
  local m, e = string.format("%.10e", v):match("^(.-)e(.*)$")
  m = m:gsub("0+$", ""):gsub("%.$", "")
  return m .. "e" .. tostring(math.tointeger(tonumber(e)))
end

-- Labels for linear ticks in the view lo..hi: returns labels (one per
-- tick in locs) and the offset text ("1e6", "+1e3", "" when none).
function T.format_ticks(locs, lo, hi)
  local offset = compute_offset(locs, lo, hi)
  -- order of magnitude for scientific notation (limits -5, 6)
  local oom = 0
  local inview = T.in_view(locs, lo, hi)
  if #inview > 0 then
    local val
    if offset ~= 0 then
      val = math.abs(hi - lo)
    else
      val = 0
      for _, l in ipairs(inview) do val = math.max(val, math.abs(l)) end
    end
    if val > 0 then
      local o = math.floor(math.log(val, 10) + 1e-12)
      if o <= -5 or o >= 6 then oom = o end
    end
  end
  local scaled = {}
  local src = #locs >= 2 and locs or {locs[1], lo, hi}
  for i, l in ipairs(src) do scaled[i] = (l - offset) / 10 ^ oom end
  local range = ptp(scaled)
  if range == 0 then
    range = 0
    for _, s in ipairs(scaled) do range = math.max(range, math.abs(s)) end
  end
  if range == 0 then range = 1 end
  local range_oom = math.floor(math.log(range, 10))
  local sig = math.max(0, 3 - range_oom)
  local thresh = 1e-3 * 10 ^ range_oom
  while sig >= 0 do
    local worst = 0
    for _, s in ipairs(scaled) do worst = math.max(worst, math.abs(s - round_to(s, sig))) end
    if worst < thresh then sig = sig - 1 else break end
  end
  sig = sig + 1
  local labels = {}
  for i, l in ipairs(locs) do
    local v = (l - offset) / 10 ^ oom
    local s = string.format("%." .. sig .. "f", v)
    if tonumber(s) == 0 then s = s:gsub("^%-", "") end
    labels[i] = fix_minus(s)
  end
  local text = ""
  if offset ~= 0 then
    local o = format_sci(offset)
    text = (offset > 0 and "+" or "") .. o
  end
  if oom ~= 0 then text = text .. "1e" .. oom end
  return labels, fix_minus(text)
end

-- ---- log axes ----

-- Major (decades) and minor (2..9 x decade) ticks for a log axis over lo..hi.
function T.log_ticks(lo, hi, numticks)
  if hi < lo then lo, hi = hi, lo end
  numticks = math.max(2, math.min(9, numticks or 9))
  local llo, lhi = math.log(lo, 10), math.log(hi, 10)
  local numdec = math.floor(lhi) - math.ceil(llo)
  local stride = math.max(math.ceil(numdec / (numticks - 1)), 1)
  local majors, minors = {}, {}
  local first = math.floor(llo) - stride
  for d = first, math.ceil(lhi) + 2 * stride, stride do
    majors[#majors + 1] = 10 ^ d
    if stride == 1 and numdec <= 10 then
      for s = 2, 9 do minors[#minors + 1] = s * 10 ^ d end
    end
  end
  return majors, minors
end

local function exponent(v)
  local e = math.floor(math.log(v, 10) + 0.5)
  return e, math.abs(v / 10 ^ e - 1) < 1e-9
end

-- A log tick's label as {text=..., sup=...}: 10 raised to the decade; with
-- `minor`, non-decade ticks get "2×10^k" (used when no decade is in view).
function T.log_label(v, minor)
  local e, decade = exponent(v)
  local es = (e < 0 and MINUS or "") .. tostring(math.abs(e))
  if decade then return {text = "10", sup = es} end
  if not minor then return nil end
  local k = math.floor(math.log(v, 10) + 1e-9)
  local m = v / 10 ^ k
  es = (k < 0 and MINUS or "") .. tostring(math.abs(k))
  return {text = string.format("%d\u{00d7}10", math.floor(m + 0.5)), sup = es}
end

return T
