-- plot/axes.lua: the Axes object and its plotting calls (plot, scatter,
-- hist, bar, barh, imshow, errorbar, fill_between, axhline/axvline, text,
-- annotate): each checks its arguments, resolves its style (the colour
-- cycle, format strings, defaults) and adds an artist. Decorations and
-- limits are in plot/axes_set.lua; layout and drawing in plot/axes_draw.lua.
local C = require("tensh.canvas")
local U = require("plot.util")
local S = require("plot.style")
local colors = require("plot.colors")
local A = require("plot.artists")

local Axes = {}
Axes.__index = Axes
Axes.__name = "Axes"
Axes.__tostring = function(self)
  return string.format("Axes(%s)", self.title and ("title=" .. string.format("%q", self.title.text)) or
    (#self.artists .. " artists"))
end

-- Methods are registered with help text in which {P} stands for the
-- receiver: "ax:" here, "plot." for the pyplot-style wrappers.
Axes.help = {}
Axes.order = {}
local function method(name, help, fn)
  Axes[name] = fn
  Axes.help[name] = help
  Axes.order[#Axes.order + 1] = name
  tensor.sethelp(fn, (help:gsub("{P}", "ax:")))
end
Axes.method = method

function Axes.new(fig, spec)
  return setmetatable({
    fig = fig, spec = spec, artists = {}, cycle = 0, patch_cycle = 0,
    xscale = "linear", yscale = "linear", aspect = "auto", axis_on = true,
    grid_on = false, facecolor = {1, 1, 1, 1},
  }, Axes)
end

function Axes:add(artist)
  artist.order = #self.artists + 1
  self.artists[#self.artists + 1] = artist
  self.fig.stale = true
  return artist
end

-- Lines (plot, errorbar, hist) and patches (bar, scatter, fill_between)
-- take colours from two cycles, as in matplotlib.
function Axes:next_color()
  self.cycle = self.cycle + 1
  return colors.cycle_color(self.cycle)
end

function Axes:next_patch_color()
  self.patch_cycle = self.patch_cycle + 1
  return colors.cycle_color(self.patch_cycle)
end

local function is_options(v)
  return type(v) == "table" and not tensor.is_tensor(v) and v[1] == nil and getmetatable(v) == nil
end
Axes.is_options = is_options

-- Splits the trailing options table off a vararg list.
local function split_opts(...)
  local args = table.pack(...)
  local opts
  if args.n > 0 and is_options(args[args.n]) then
    opts = args[args.n]
    args[args.n] = nil
    args.n = args.n - 1
  end
  return args, opts
end

local function color_opt(fname, v, alpha)
  if v == nil then return nil end
  return colors.rgba(v, alpha, fname)
end

local function positive_number(fname, key, v, default)
  if v == nil then return default end
  U.check_opt(fname, key, v, "number")
  if not (v >= 0) then U.fail(string.format("%s: option '%s' must be >= 0, got %s", fname, key, tostring(v))) end
  return v
end

local function label_opt(fname, v)
  if v == nil then return nil end
  if type(v) ~= "string" and type(v) ~= "number" then
    U.fail(string.format("%s: option 'label' must be a string, got %s", fname, U.typename(v)))
  end
  return tostring(v)
end

-- ---- plot ----

local plot_opts = U.set({"color", "c", "linestyle", "ls", "linewidth", "lw", "marker", "markersize", "ms",
  "markerfacecolor", "mfc", "markeredgecolor", "mec", "markeredgewidth", "mew", "label", "alpha", "zorder"})

local function line_style(fname, o, fmt)
  local f = fmt and S.parse_fmt(fmt, fname) or {}
  local st = {}
  st.alpha = o.alpha and U.check_opt(fname, "alpha", o.alpha, "number")
  local c = o.color or o.c
  st.color = c and colors.rgba(c, nil, fname) or f.color and colors.rgba(f.color, nil, fname)
  st.linestyle = S.linestyle(o.linestyle or o.ls, fname) or f.linestyle or "-"
  st.linewidth = positive_number(fname, "linewidth", o.linewidth or o.lw, S.rc.linewidth)
  st.marker = S.marker(o.marker, fname) or f.marker
  st.markersize = positive_number(fname, "markersize", o.markersize or o.ms, S.rc.markersize)
  st.markerfacecolor = color_opt(fname, o.markerfacecolor or o.mfc)
  st.markeredgecolor = color_opt(fname, o.markeredgecolor or o.mec)
  st.markeredgewidth = positive_number(fname, "markeredgewidth", o.markeredgewidth or o.mew, S.rc.markeredgewidth)
  st.label = label_opt(fname, o.label)
  st.zorder = o.zorder and U.check_opt(fname, "zorder", o.zorder, "number") or 2
  return st
end

method("plot", [[
{P}plot([x,] y [, fmt] [, opts]) -> Line2D, ...
Draws y against x as lines and/or markers (x defaults to 1..#y). x, y: tensors of any dtype or
tables; a 2-d y draws one line per column. fmt: "ro--" style (colour, marker, line). opts: color,
linestyle ('-', '--', '-.', ':', 'none'), linewidth, marker (o . s ^ v < > D d * p h + x | _),
markersize, markerfacecolor, markeredgecolor, markeredgewidth, label, alpha, zorder.
  {P}plot(epochs, loss, {label="train", color="C0", linestyle="--", marker="o"})]],
function(self, ...)
  local fname = "plot"
  local args, opts = split_opts(...)
  local fmt
  if args.n > 0 and type(args[args.n]) == "string" then
    fmt = args[args.n]
    args.n = args.n - 1
  end
  local o = U.options(fname, opts, plot_opts)
  local x, y
  if args.n == 1 then
    y = args[1]
  elseif args.n == 2 then
    x, y = args[1], args[2]
  elseif args.n == 0 then
    U.fail("plot: y is missing (plot([x,] y [, fmt] [, opts]))")
  else
    U.fail(string.format("plot: expected ([x,] y [, fmt] [, opts]), got %d data arguments", args.n))
  end
  local st = line_style(fname, o, fmt)
  local yt = U.data(fname, "y", y, {1, 2})
  local columns = {}
  if yt:dim() == 2 then
    for j = 1, yt:size(2) do columns[j] = yt:select(2, j) end
  else
    columns[1] = yt
  end
  local n = columns[1]:numel()
  local xt = x ~= nil and U.series(fname, "x", x) or U.range(n)
  if xt:numel() ~= n then
    U.fail(string.format("plot: x and y must have the same length, got %d and %d", xt:numel(), n))
  end
  local lines = {}
  for j, col in ipairs(columns) do
    local l = U.copy(st)
    l.x, l.y = xt, col
    l.color = st.color or self:next_color()
    if j > 1 and st.label then l.label = st.label .. " " .. j end
    lines[j] = self:add(A.Line.new(l))
  end
  return table.unpack(lines)
end)

-- ---- scatter ----

local scatter_opts = U.set({"s", "c", "color", "cmap", "vmin", "vmax", "marker", "alpha", "edgecolors",
  "edgecolor", "linewidths", "linewidth", "label", "zorder"})

method("scatter", [[
{P}scatter(x, y [, opts]) -> PathCollection
Markers at (x, y). opts: s (area in points^2: a number, or one per point), c (a colour, or one
number per point mapped through cmap), color, cmap ('viridis', 'magma', ...), vmin, vmax, marker,
alpha, edgecolors ('face', 'none' or a colour), linewidths, label, zorder.
  {P}scatter(x, y, {s=sizes, c=labels, cmap="viridis"})]],
function(self, x, y, opts)
  local fname = "scatter"
  local o = U.options(fname, opts, scatter_opts)
  if x == nil or y == nil then U.fail("scatter: x and y are required (scatter(x, y [, opts]))") end
  local xt, yt = U.series(fname, "x", x), U.series(fname, "y", y)
  U.check_same_len(fname, xt, "x", yt, "y")
  local n = xt:numel()
  local sc = {x = xt, y = yt, label = label_opt(fname, o.label), zorder = o.zorder or 1}
  sc.alpha = o.alpha and U.check_opt(fname, "alpha", o.alpha, "number")
  sc.marker = S.marker(o.marker, fname) or "o"
  sc.linewidth = positive_number(fname, "linewidths", o.linewidths or o.linewidth, 1)
  if type(o.s) == "number" or o.s == nil then
    sc.size = math.sqrt(positive_number(fname, "s", o.s, S.rc.markersize ^ 2))
  else
    sc.areas = U.series(fname, "s", o.s)
    if sc.areas:numel() ~= n then
      U.fail(string.format("scatter: s must be a number or have one value per point (%d), got %d", n,
        sc.areas:numel()))
    end
    sc.size = math.sqrt(S.rc.markersize ^ 2)
  end
  local c = o.c
  if c ~= nil and o.color ~= nil then U.fail("scatter: give c or color, not both") end
  if c == nil then c = o.color end
  local numeric = tensor.is_tensor(c) or (type(c) == "table" and type(c[1]) == "number" and #c ~= 3 and #c ~= 4)
    or (type(c) == "table" and type(c[1]) == "number" and n ~= 1 and #c == n)
  if numeric then
    sc.values = U.series(fname, "c", c)
    if sc.values:numel() ~= n then
      U.fail(string.format("scatter: c must be a colour or have one value per point (%d), got %d", n,
        sc.values:numel()))
    end
    sc.cmap = o.cmap or S.rc.image_cmap
    colors.lut(sc.cmap, fname)
    local lo, hi = C.minmax(sc.values)
    sc.vmin = o.vmin or lo or 0
    sc.vmax = o.vmax or hi or 1
  elseif type(c) == "table" and type(c[1]) == "string" then
    if #c ~= n then
      U.fail(string.format("scatter: c has %d colours for %d points", #c, n))
    end
    local flat = {}
    for i = 1, n do
      local rgba = colors.rgba(c[i], nil, fname)
      for k = 1, 4 do flat[#flat + 1] = rgba[k] end
    end
    sc.rgba = tensor.tensor(flat, {dtype = "float64"})
    sc.color = colors.rgba(c[1], nil, fname)
  else
    sc.color = c ~= nil and colors.rgba(c, nil, fname) or self:next_patch_color()
    if o.cmap then colors.lut(o.cmap, fname) end
  end
  local ec = o.edgecolors or o.edgecolor
  if ec == nil or ec == "face" then sc.edgecolor = "face"
  elseif ec == "none" then sc.edgecolor = nil
  else sc.edgecolor = colors.rgba(ec, nil, fname) end
  return self:add(A.Scatter.new(sc))
end)

-- ---- bar, barh ----

local bar_opts = U.set({"width", "height", "bottom", "left", "align", "color", "edgecolor", "linewidth",
  "label", "tick_label", "alpha", "zorder"})

-- A number or a list broadcast to n values.
local function per_bar(fname, key, v, n, default)
  if v == nil then v = default end
  local t = U.numbers(fname, key, v)
  if #t == 1 then
    for i = 2, n do t[i] = t[1] end
  elseif #t ~= n then
    U.fail(string.format("%s: %s must be a number or have one value per bar (%d), got %d", fname, key, n, #t))
  end
  return t
end

local function bars(self, fname, horizontal, pos, len, opts)
  local o = U.options(fname, opts, bar_opts)
  if pos == nil or len == nil then
    U.fail(string.format("%s: positions and %s are required", fname, horizontal and "widths" or "heights"))
  end
  local labels
  if type(pos) == "table" and type(pos[1]) == "string" then
    labels = pos
    local p = {}
    for i = 1, #labels do p[i] = i end
    pos = p
  end
  local at = U.numbers(fname, horizontal and "y" or "x", pos)
  local n = #at
  local lens = per_bar(fname, horizontal and "width" or "height", len, n)
  local thick = per_bar(fname, horizontal and "height" or "width", horizontal and o.height or o.width, n, S.rc.bar_width)
  local base = per_bar(fname, horizontal and "left" or "bottom", horizontal and o.left or o.bottom, n, 0)
  U.check_opt(fname, "align", o.align, "string", {center = true, edge = true})
  local rects = {}
  for i = 1, n do
    local a0 = o.align == "edge" and at[i] or at[i] - thick[i] / 2
    local b0, b1 = base[i], base[i] + lens[i]
    if horizontal then rects[i] = {b0, b1, a0, a0 + thick[i]}
    else rects[i] = {a0, a0 + thick[i], b0, b1} end
  end
  local b = {rects = rects, horizontal = horizontal, label = label_opt(fname, o.label), zorder = o.zorder or 1}
  b.alpha = o.alpha and U.check_opt(fname, "alpha", o.alpha, "number")
  if type(o.color) == "table" and type(o.color[1]) == "string" then
    b.colors = {}
    for i = 1, n do b.colors[i] = colors.rgba(o.color[(i - 1) % #o.color + 1], nil, fname) end
    b.color = b.colors[1]
  else
    b.color = o.color and colors.rgba(o.color, nil, fname) or self:next_patch_color()
  end
  b.edgecolor = color_opt(fname, o.edgecolor)
  b.linewidth = positive_number(fname, "linewidth", o.linewidth, b.edgecolor and 1 or 0)
  local sticky = {}
  for i = 1, n do sticky[i] = base[i] end
  b.sticky = sticky
  local tl = o.tick_label or labels
  if tl then
    if type(tl) ~= "table" or #tl ~= n then
      U.fail(string.format("%s: tick_label must be a table of %d labels", fname, n))
    end
    local names = {}
    for i = 1, n do names[i] = tostring(tl[i]) end
    if horizontal then self:set_yticks(at, names) else self:set_xticks(at, names) end
  end
  return self:add(A.Bars.new(b))
end

method("bar", [[
{P}bar(x, height [, opts]) -> BarContainer
Vertical bars centred at x (numbers, or category names placed at 1..n) with the given heights.
opts: width (0.8), bottom (0), align ('center' or 'edge'), color (one, or a list cycled over the
bars), edgecolor, linewidth, label, tick_label, alpha, zorder.
  {P}bar({"T-shirt", "Trouser", "Pullover"}, {6000, 6000, 6000}, {color="C2"})]],
function(self, x, height, opts) return bars(self, "bar", false, x, height, opts) end)

method("barh", [[
{P}barh(y, width [, opts]) -> BarContainer
Horizontal bars centred at y (numbers or category names) with the given widths (lengths).
opts: height (0.8), left (0), align, color, edgecolor, linewidth, label, tick_label, alpha, zorder.
  {P}barh({"cat", "dog"}, {0.91, 0.87})]],
function(self, y, width, opts) return bars(self, "barh", true, y, width, opts) end)

-- ---- hist ----

local hist_opts = U.set({"bins", "range", "density", "weights", "histtype", "color", "alpha", "label",
  "orientation", "rwidth", "cumulative", "edgecolor", "linewidth", "bottom", "zorder"})

method("hist", [[
{P}hist(x [, opts]) -> counts, edges, container
A histogram of all values of x (any shape; NaN and inf skipped). opts: bins (10, or the edges),
range ({lo, hi}), density (area 1), weights, cumulative, histtype ('bar', 'step', 'stepfilled'),
orientation ('vertical', 'horizontal'), rwidth, bottom, color, edgecolor, linewidth, alpha, label.
  local counts, edges = {P}hist(weights, {bins=50, density=true})]],
function(self, x, opts)
  local fname = "hist"
  local o = U.options(fname, opts, hist_opts)
  if x == nil then U.fail("hist: data is missing (hist(x [, opts]))") end
  local xt = U.data(fname, "x", x, {1, 2, 3, 4, 5, 6, 7, 8})
  if xt:dim() > 1 then xt = xt:reshape(xt:numel()) end
  U.check_opt(fname, "histtype", o.histtype, "string", {bar = true, step = true, stepfilled = true})
  U.check_opt(fname, "orientation", o.orientation, "string", {vertical = true, horizontal = true})
  U.check_opt(fname, "density", o.density, "boolean")
  U.check_opt(fname, "cumulative", o.cumulative, "boolean")
  local edges
  local bins = o.bins == nil and S.rc.hist_bins or o.bins
  if type(bins) == "number" then
    if bins ~= math.floor(bins) or bins < 1 or bins > 1e6 then
      U.fail(string.format("hist: bins must be a whole number from 1 to 1000000, got %s", tostring(bins)))
    end
    local lo, hi
    if o.range ~= nil then
      if type(o.range) ~= "table" or type(o.range[1]) ~= "number" or type(o.range[2]) ~= "number" then
        U.fail("hist: range must be {lo, hi}")
      end
      lo, hi = o.range[1], o.range[2]
      if not (hi >= lo) then U.fail(string.format("hist: range must have lo <= hi, got {%g, %g}", lo, hi)) end
    else
      lo, hi = C.minmax(xt)
      lo, hi = lo or 0, hi or 1
    end
    if lo == hi then lo, hi = lo - 0.5, hi + 0.5 end
    edges = {}
    for i = 0, bins do edges[i + 1] = lo + (hi - lo) * i / bins end
    edges[bins + 1] = hi
  else
    edges = U.numbers(fname, "bins", bins)
    if #edges < 2 then U.fail("hist: bins as edges needs at least 2 values") end
    for i = 2, #edges do
      if not (edges[i] > edges[i - 1]) then U.fail("hist: bin edges must increase") end
    end
  end
  local et = tensor.tensor(edges, {dtype = "float64"})
  local wt
  if o.weights ~= nil then
    wt = U.data(fname, "weights", o.weights, {1, 2, 3, 4, 5, 6, 7, 8})
    if wt:numel() ~= xt:numel() then
      U.fail(string.format("hist: weights must match x in size, got %d and %d", wt:numel(), xt:numel()))
    end
    if wt:dim() > 1 then wt = wt:reshape(wt:numel()) end
  end
  local counts = C.histogram(xt, et, wt):totable()
  local nb = #counts
  if o.density then
    local total = 0
    for i = 1, nb do total = total + counts[i] end
    if total > 0 then
      for i = 1, nb do counts[i] = counts[i] / total / (edges[i + 1] - edges[i]) end
    end
  end
  if o.cumulative then
    -- a cumulative density sums density x width, so it ends at 1 (matplotlib)
    if o.density then
      for i = 1, nb do counts[i] = counts[i] * (edges[i + 1] - edges[i]) end
    end
    for i = 2, nb do counts[i] = counts[i] + counts[i - 1] end
  end
  local horizontal = o.orientation == "horizontal"
  local histtype = o.histtype or "bar"
  local color = o.color and colors.rgba(o.color, nil, fname) or self:next_color()
  local alpha = o.alpha and U.check_opt(fname, "alpha", o.alpha, "number")
  local bottom = o.bottom or 0
  U.check_opt(fname, "bottom", bottom, "number")
  local container
  if histtype == "bar" then
    local rw = o.rwidth or 1
    U.check_opt(fname, "rwidth", rw, "number")
    local rects = {}
    for i = 1, nb do
      local w = edges[i + 1] - edges[i]
      local a0 = edges[i] + (1 - rw) * w / 2
      if horizontal then rects[i] = {bottom, bottom + counts[i], a0, a0 + rw * w}
      else rects[i] = {a0, a0 + rw * w, bottom, bottom + counts[i]} end
    end
    local ec = color_opt(fname, o.edgecolor)
    container = A.Bars.new({rects = rects, horizontal = horizontal, color = color, alpha = alpha,
      edgecolor = ec, linewidth = positive_number(fname, "linewidth", o.linewidth, ec and 1 or 0),
      label = label_opt(fname, o.label), zorder = o.zorder or 1, sticky = {bottom}})
  else
    -- the outline: up and across each bin, down at the ends
    local px, py = {edges[1]}, {bottom}
    for i = 1, nb do
      px[#px + 1], py[#py + 1] = edges[i], bottom + counts[i]
      px[#px + 1], py[#py + 1] = edges[i + 1], bottom + counts[i]
    end
    px[#px + 1], py[#py + 1] = edges[nb + 1], bottom
    container = A.Step.new({x = tensor.tensor(px, {dtype = "float64"}), y = tensor.tensor(py, {dtype = "float64"}),
      filled = histtype == "stepfilled", horizontal = horizontal, color = color, alpha = alpha,
      linewidth = positive_number(fname, "linewidth", o.linewidth, S.rc.linewidth),
      label = label_opt(fname, o.label), zorder = o.zorder or 1})
    if horizontal then container.x, container.y = container.y, container.x end
    local lim = container:limits()
    if horizontal then lim.xsticky = {bottom} else lim.ysticky = {bottom} end
  end
  self:add(container)
  return tensor.tensor(counts, {dtype = "float64"}), et, container
end)

-- ---- errorbar ----

local errorbar_opts = U.set({"yerr", "xerr", "fmt", "color", "ecolor", "elinewidth", "capsize", "capthick",
  "label", "marker", "markersize", "ms", "linestyle", "ls", "linewidth", "lw", "alpha", "zorder"})

-- The lower and upper error of n points: a number, n values, or {lower, upper}.
local function error_ends(fname, key, v, center)
  local n = center:numel()
  if type(v) == "number" then
    if not (v >= 0) then U.fail(string.format("%s: %s must be >= 0", fname, key)) end
    return C.shift(center, v, -1), C.shift(center, v, 1)
  end
  local lo, hi
  if type(v) == "table" and not tensor.is_tensor(v) and (type(v[1]) == "table" or tensor.is_tensor(v[1])) then
    if #v ~= 2 then U.fail(string.format("%s: %s as a pair must be {lower, upper}", fname, key)) end
    lo, hi = U.series(fname, key, v[1]), U.series(fname, key, v[2])
  else
    local t = U.data(fname, key, v, {1, 2})
    if t:dim() == 2 then
      if t:size(1) ~= 2 then
        U.fail(string.format("%s: %s as a 2-d tensor must be 2 x N (lower, upper), got %s", fname, key, U.shape(t)))
      end
      lo, hi = t:select(1, 1), t:select(1, 2)
    else
      lo, hi = t, t
    end
  end
  if lo:numel() ~= n or hi:numel() ~= n then
    U.fail(string.format("%s: %s must have one value per point (%d), got %d", fname, key, n, lo:numel()))
  end
  local mn = C.minmax(lo)
  local mn2 = C.minmax(hi)
  if (mn and mn < 0) or (mn2 and mn2 < 0) then U.fail(string.format("%s: %s must be >= 0", fname, key)) end
  return C.shift(center, lo, -1), C.shift(center, hi, 1)
end

method("errorbar", [[
{P}errorbar(x, y [, opts]) -> {line=Line2D, bars=ErrorbarContainer}
y (and/or x) with error bars. opts: yerr, xerr (a number, one value per point, or {lower, upper}),
fmt ('' line, 'o' markers only, 'o-' both...), color, ecolor, elinewidth, capsize (points),
capthick, marker, markersize, linestyle, linewidth, label, alpha, zorder.
  {P}errorbar(epochs, mean, {yerr=std, fmt="o-", capsize=3})]],
function(self, x, y, opts)
  local fname = "errorbar"
  local o = U.options(fname, opts, errorbar_opts)
  if x == nil or y == nil then U.fail("errorbar: x and y are required (errorbar(x, y [, opts]))") end
  local xt, yt = U.series(fname, "x", x), U.series(fname, "y", y)
  U.check_same_len(fname, xt, "x", yt, "y")
  local lo = {color = o.color, linestyle = o.linestyle, ls = o.ls, linewidth = o.linewidth, lw = o.lw,
    marker = o.marker, markersize = o.markersize, ms = o.ms, label = o.label, alpha = o.alpha, zorder = o.zorder}
  if o.fmt ~= nil then U.check_opt(fname, "fmt", o.fmt, "string") end
  local st = line_style(fname, lo, o.fmt ~= "" and o.fmt or nil)
  if o.fmt == "none" then st.linestyle, st.marker = "none", nil end
  local line = U.copy(st)
  line.x, line.y = xt, yt
  line.color = st.color or self:next_color()
  local e = {x = xt, y = yt, alpha = st.alpha, zorder = (st.zorder or 2) - 0.01}
  e.color = o.ecolor and colors.rgba(o.ecolor, nil, fname) or line.color
  e.linewidth = positive_number(fname, "elinewidth", o.elinewidth, st.linewidth)
  e.capsize = positive_number(fname, "capsize", o.capsize, 0)
  e.capthick = positive_number(fname, "capthick", o.capthick, e.linewidth)
  if o.yerr ~= nil then e.ylo, e.yhi = error_ends(fname, "yerr", o.yerr, yt) end
  if o.xerr ~= nil then e.xlo, e.xhi = error_ends(fname, "xerr", o.xerr, xt) end
  local bars_artist = A.Errorbars.new(e)
  local l = A.Line.new(line)
  l.errorbar_child = true
  bars_artist.line = l
  self:add(bars_artist)
  self:add(l)
  -- one legend entry for the pair, drawn as the line with its bar
  bars_artist.label, l.label = l.label, nil
  return {line = l, bars = bars_artist}
end)

-- ---- fill_between ----

local fill_opts = U.set({"color", "alpha", "label", "edgecolor", "linewidth", "zorder"})

local function fill(self, fname, horizontal, x, y1, y2, opts)
  local o = U.options(fname, opts, fill_opts)
  if x == nil or y1 == nil then U.fail(string.format("%s: the positions and a first curve are required", fname)) end
  local xt, t1 = U.series(fname, horizontal and "y" or "x", x), U.series(fname, horizontal and "x1" or "y1", y1)
  U.check_same_len(fname, xt, horizontal and "y" or "x", t1, horizontal and "x1" or "y1")
  local t2 = 0
  if y2 ~= nil and type(y2) ~= "number" then
    t2 = U.series(fname, horizontal and "x2" or "y2", y2)
    U.check_same_len(fname, xt, horizontal and "y" or "x", t2, horizontal and "x2" or "y2")
  elseif type(y2) == "number" then
    t2 = y2
  end
  local b = {x = xt, y1 = t1, y2 = t2, horizontal = horizontal, label = label_opt(fname, o.label), zorder = o.zorder or 1}
  b.alpha = o.alpha and U.check_opt(fname, "alpha", o.alpha, "number")
  b.color = o.color and colors.rgba(o.color, nil, fname) or self:next_patch_color()
  b.edgecolor = color_opt(fname, o.edgecolor)
  b.linewidth = positive_number(fname, "linewidth", o.linewidth, b.edgecolor and 1 or 0)
  return self:add(A.Band.new(b))
end

method("fill_between", [[
{P}fill_between(x, y1 [, y2] [, opts]) -> PolyCollection
Fills the area between the curves y1 and y2 (a curve or a number; 0 by default) over x.
opts: color, alpha, edgecolor, linewidth, label, zorder.
  {P}fill_between(epochs, mean - std, mean + std, {alpha=0.3})]],
function(self, x, y1, y2, opts)
  if is_options(y2) then y2, opts = nil, y2 end
  return fill(self, "fill_between", false, x, y1, y2, opts)
end)

method("fill_betweenx", [[
{P}fill_betweenx(y, x1 [, x2] [, opts]) -> PolyCollection
Fills horizontally between the curves x1 and x2 (0 by default) over y; opts as fill_between.
  {P}fill_betweenx(depth, lo, hi, {color="C1", alpha=0.4})]],
function(self, y, x1, x2, opts)
  if is_options(x2) then x2, opts = nil, x2 end
  return fill(self, "fill_betweenx", true, y, x1, x2, opts)
end)

-- ---- axhline, axvline ----

local axline_opts = U.set({"xmin", "xmax", "ymin", "ymax", "color", "c", "linestyle", "ls", "linewidth", "lw",
  "label", "alpha", "zorder"})

local function axline(self, fname, vertical, v, opts)
  if is_options(v) then v, opts = nil, v end
  local o = U.options(fname, opts, axline_opts)
  if vertical and (o.xmin or o.xmax) or not vertical and (o.ymin or o.ymax) then
    U.fail(string.format("%s: use %s to limit the line's extent", fname, vertical and "ymin/ymax" or "xmin/xmax"))
  end
  v = v or 0
  if type(v) ~= "number" then U.fail(string.format("%s: position must be a number, got %s", fname, U.typename(v))) end
  local st = line_style(fname, {color = o.color or o.c or "C0", linestyle = o.linestyle, ls = o.ls,
    linewidth = o.linewidth, lw = o.lw, label = o.label, alpha = o.alpha, zorder = o.zorder})
  local a0 = vertical and (o.ymin or 0) or (o.xmin or 0)
  local a1 = vertical and (o.ymax or 1) or (o.xmax or 1)
  U.check_opt(fname, "min", a0, "number")
  U.check_opt(fname, "max", a1, "number")
  local span = tensor.tensor({a0, a1}, {dtype = "float64"})
  local at = tensor.tensor({v, v}, {dtype = "float64"})
  if vertical then st.x, st.y, st.yaxes = at, span, true
  else st.x, st.y, st.xaxes = span, at, true end
  return self:add(A.Line.new(st))
end

method("axhline", [[
{P}axhline([y] [, opts]) -> Line2D
A horizontal line across the axes at y (0 by default). opts: xmin, xmax (fractions of the
width, 0 and 1), color ('C0'), linestyle, linewidth, label, alpha, zorder.
  {P}axhline(0.9, {color="gray", linestyle="--"})]],
function(self, y, opts) return axline(self, "axhline", false, y, opts) end)

method("axvline", [[
{P}axvline([x] [, opts]) -> Line2D
A vertical line across the axes at x (0 by default). opts: ymin, ymax (fractions of the
height), color ('C0'), linestyle, linewidth, label, alpha, zorder.
  {P}axvline(best_epoch, {color="red", linestyle=":"})]],
function(self, x, opts) return axline(self, "axvline", true, x, opts) end)

return Axes
