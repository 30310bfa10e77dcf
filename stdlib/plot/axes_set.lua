-- plot/axes_set.lua: what decorates axes and fixes their view: titles and
-- labels, limits, log scales, ticks, grid, legend requests, aspect, axis
-- on/off, and text/annotate. Each call validates and records; nothing is
-- laid out until the figure is drawn (plot/axes_draw.lua).
local U = require("plot.util")
local S = require("plot.style")
local colors = require("plot.colors")
local A = require("plot.artists")
local Axes = require("plot.axes")
local method = Axes.method
local is_options = Axes.is_options

local function text_arg(fname, s)
  if type(s) == "number" then return tostring(s) end
  if type(s) ~= "string" then U.fail(string.format("%s: text (a string) expected, got %s", fname, U.typename(s))) end
  return s
end

local function font_opts(fname, o, default_size)
  local f = {}
  f.fontsize = o.fontsize == nil and default_size or o.fontsize
  U.check_opt(fname, "fontsize", f.fontsize, "number")
  if not (f.fontsize > 0 and f.fontsize < 1000) then
    U.fail(string.format("%s: option 'fontsize' must be between 0 and 1000, got %s", fname, tostring(f.fontsize)))
  end
  f.color = o.color and colors.rgba(o.color, nil, fname) or {0, 0, 0, 1}
  U.check_opt(fname, "fontweight", o.fontweight, "string", {normal = true, bold = true})
  f.fontweight = o.fontweight
  return f
end

local title_opts = U.set({"fontsize", "loc", "color", "fontweight", "pad"})

method("set_title", [[
{P}set_title(text [, opts])
The axes' title, above it. opts: fontsize (12), loc ('center', 'left', 'right'), color,
fontweight ('normal', 'bold'), pad (points above the axes, 6).
  {P}set_title("Fashion-MNIST")]],
function(self, s, opts)
  local fname = "set_title"
  local o = U.options(fname, opts, title_opts)
  local t = font_opts(fname, o, S.rc.title_size)
  t.text = text_arg(fname, s)
  t.loc = U.check_opt(fname, "loc", o.loc, "string", {center = true, left = true, right = true}) or "center"
  t.pad = U.check_opt(fname, "pad", o.pad, "number") or S.rc.title_pad
  self.title = t
  self.fig.stale = true
end)

local label_opts = U.set({"fontsize", "color", "fontweight", "labelpad"})

local function set_label(self, fname, which, s, opts)
  local o = U.options(fname, opts, label_opts)
  local t = font_opts(fname, o, S.rc.font_size)
  t.text = text_arg(fname, s)
  t.pad = U.check_opt(fname, "labelpad", o.labelpad, "number") or S.rc.label_pad
  self[which] = t
end

method("set_xlabel", [[
{P}set_xlabel(text [, opts])
The label under the x axis. opts: fontsize (10), color, fontweight, labelpad (points, 4).
  {P}set_xlabel("epoch")]],
function(self, s, opts) set_label(self, "set_xlabel", "xlabel", s, opts) end)

method("set_ylabel", [[
{P}set_ylabel(text [, opts])
The label left of the y axis, turned to read upwards. opts: fontsize, color, fontweight, labelpad.
  {P}set_ylabel("loss")]],
function(self, s, opts) set_label(self, "set_ylabel", "ylabel", s, opts) end)

-- ---- limits and scales ----

local function set_lim(self, fname, which, lo, hi)
  if type(lo) == "table" and not tensor.is_tensor(lo) then lo, hi = lo[1], lo[2] end
  if lo ~= nil and type(lo) ~= "number" or hi ~= nil and type(hi) ~= "number" then
    U.fail(string.format("%s: limits must be numbers, got %s and %s", fname, U.typename(lo), U.typename(hi)))
  end
  if lo ~= nil and lo ~= lo or hi ~= nil and hi ~= hi or lo == math.huge or lo == -math.huge or
     hi == math.huge or hi == -math.huge then
    U.fail(string.format("%s: limits must be finite, got %s and %s", fname, tostring(lo), tostring(hi)))
  end
  if lo ~= nil and hi ~= nil and lo == hi then
    U.fail(string.format("%s: the limits must differ, got %g twice", fname, lo))
  end
  local scale = which == "x" and self.xscale or self.yscale
  if scale == "log" and (lo ~= nil and lo <= 0 or hi ~= nil and hi <= 0) then
    U.fail(string.format("%s: a log axis needs positive limits, got %s and %s", fname, tostring(lo), tostring(hi)))
  end
  self[which .. "lim_user"] = (lo ~= nil or hi ~= nil) and {lo, hi} or nil
  self[which .. "inverted"] = false
  self.fig.stale = true
end

method("set_xlim", [[
{P}set_xlim(lo, hi) or {P}set_xlim({lo, hi})
Fixes the x view to lo..hi (either may be nil to keep it automatic; hi < lo flips the axis).
  {P}set_xlim(1, 20)]],
function(self, lo, hi) set_lim(self, "set_xlim", "x", lo, hi) end)

method("set_ylim", [[
{P}set_ylim(lo, hi) or {P}set_ylim({lo, hi})
Fixes the y view to lo..hi (either may be nil to keep it automatic; hi < lo flips the axis).
  {P}set_ylim(0, 1)]],
function(self, lo, hi) set_lim(self, "set_ylim", "y", lo, hi) end)

method("get_xlim", [[
{P}get_xlim() -> lo, hi
The x view as it would be drawn now (automatic limits included).
  local lo, hi = {P}get_xlim()]],
function(self)
  local l = self:compute_limits()
  return l.x[1], l.x[2]
end)

method("get_ylim", [[
{P}get_ylim() -> lo, hi
The y view as it would be drawn now (automatic limits included).
  local lo, hi = {P}get_ylim()]],
function(self)
  local l = self:compute_limits()
  return l.y[1], l.y[2]
end)

local scales = {linear = true, log = true}

local function set_scale(self, fname, which, s)
  U.check_opt(fname, "scale", s, "string", scales)
  if s == nil then U.fail(string.format("%s: 'linear' or 'log' expected", fname)) end
  self[which .. "scale"] = s
  local lim = self[which .. "lim_user"]
  if s == "log" and lim and (lim[1] and lim[1] <= 0 or lim[2] and lim[2] <= 0) then self[which .. "lim_user"] = nil end
  self.fig.stale = true
end

method("set_xscale", [[
{P}set_xscale(scale)
'linear' or 'log' (base 10; values <= 0 are left out).
  {P}set_xscale("log")]],
function(self, s) set_scale(self, "set_xscale", "x", s) end)

method("set_yscale", [[
{P}set_yscale(scale)
'linear' or 'log' (base 10; values <= 0 are left out, so a loss curve reads in decades).
  {P}set_yscale("log")]],
function(self, s) set_scale(self, "set_yscale", "y", s) end)

method("invert_xaxis", [[
{P}invert_xaxis()
Flips the x axis (high values on the left).
  {P}invert_xaxis()]],
function(self) self.xinverted = not self.xinverted end)

method("invert_yaxis", [[
{P}invert_yaxis()
Flips the y axis (high values at the bottom).
  {P}invert_yaxis()]],
function(self) self.yinverted = not self.yinverted end)

-- ---- ticks ----

local tick_opts = U.set({"rotation", "fontsize"})

local function set_ticks(self, fname, which, locs, labels, opts)
  if is_options(labels) then labels, opts = nil, labels end
  local o = U.options(fname, opts, tick_opts)
  U.check_opt(fname, "rotation", o.rotation, "number")
  U.check_opt(fname, "fontsize", o.fontsize, "number")
  local t = {rotation = o.rotation, fontsize = o.fontsize}
  if locs ~= nil then
    t.locs = U.numbers(fname, "ticks", locs)
    if labels ~= nil then
      if type(labels) ~= "table" or #labels ~= #t.locs then
        U.fail(string.format("%s: labels must be a table with one label per tick (%d)", fname, #t.locs))
      end
      t.labels = {}
      for i, l in ipairs(labels) do t.labels[i] = tostring(l) end
    end
  elseif labels ~= nil then
    U.fail(string.format("%s: labels need tick positions", fname))
  end
  local old = self[which .. "ticks_user"]
  if locs == nil and old then t.locs, t.labels = old.locs, old.labels end
  self[which .. "ticks_user"] = t
  self.fig.stale = true
end

method("set_xticks", [[
{P}set_xticks(locs [, labels] [, opts])
Puts x ticks at locs (a table or tensor; {} for none), labelled with labels (strings) or
numbers. opts: rotation (degrees), fontsize.
  {P}set_xticks({1, 2, 3}, {"a", "b", "c"}, {rotation=45})]],
function(self, locs, labels, opts) set_ticks(self, "set_xticks", "x", locs, labels, opts) end)

method("set_yticks", [[
{P}set_yticks(locs [, labels] [, opts])
Puts y ticks at locs, labelled with labels or numbers. opts: rotation, fontsize.
  {P}set_yticks({0, 0.5, 1})]],
function(self, locs, labels, opts) set_ticks(self, "set_yticks", "y", locs, labels, opts) end)

-- ---- grid, aspect, axis ----

local grid_opts = U.set({"which", "axis", "color", "linestyle", "ls", "linewidth", "lw", "alpha"})

method("grid", [[
{P}grid([on] [, opts])
Grid lines at the major ticks, under the data (toggles with no arguments). opts: axis ('both',
'x', 'y'), color ('#b0b0b0'), linestyle, linewidth (0.8), alpha, which ('major').
  {P}grid(true, {alpha=0.5})]],
function(self, on, opts)
  local fname = "grid"
  if is_options(on) then on, opts = nil, on end
  if on ~= nil and type(on) ~= "boolean" then
    U.fail(string.format("%s: on must be true or false, got %s", fname, U.typename(on)))
  end
  local o = U.options(fname, opts, grid_opts)
  U.check_opt(fname, "which", o.which, "string", {major = true, minor = true, both = true})
  U.check_opt(fname, "axis", o.axis, "string", {both = true, x = true, y = true})
  local g = {axis = o.axis or "both"}
  g.color = colors.rgba(o.color or S.rc.grid_color, nil, fname)
  g.linestyle = S.linestyle(o.linestyle or o.ls, fname) or "-"
  g.linewidth = U.check_opt(fname, "linewidth", o.linewidth or o.lw, "number") or S.rc.grid_linewidth
  g.alpha = U.check_opt(fname, "alpha", o.alpha, "number")
  if on == nil then
    if opts == nil then on = not self.grid_on else on = true end
  end
  self.grid_on = on
  self.grid_style = g
  self.fig.stale = true
end)

method("set_aspect", [[
{P}set_aspect(aspect)
'auto' (fill the axes), 'equal' (one x unit as long as one y unit) or a number (y units per x
unit as drawn); the axes box shrinks to fit, as imshow does.
  {P}set_aspect("equal")]],
function(self, a)
  if a ~= "auto" and a ~= "equal" and not (type(a) == "number" and a > 0) then
    U.fail(string.format("set_aspect: 'auto', 'equal' or a positive number expected, got %s",
      type(a) == "string" and ("'" .. a .. "'") or U.typename(a)))
  end
  self.aspect = a
  self.adjustable = "box"
  self.fig.stale = true
end)

local axis_modes = {on = true, off = true, equal = true, tight = true, auto = true, image = true, scaled = true}

method("axis", [[
{P}axis(mode)
'off' hides spines, ticks and labels (images); 'on' shows them; 'equal' makes units equal by
widening the limits; 'scaled' by shrinking the box; 'tight' drops the margins; 'image' is
'scaled' and 'tight'; 'auto' undoes them.
  {P}axis("off")]],
function(self, mode)
  U.check_opt("axis", "mode", mode, "string", axis_modes)
  if mode == nil then U.fail("axis: a mode ('on', 'off', 'equal', 'scaled', 'tight', 'image', 'auto') is required") end
  if mode == "off" then self.axis_on = false
  elseif mode == "on" then self.axis_on = true
  elseif mode == "equal" then self.aspect, self.adjustable = "equal", "datalim"
  elseif mode == "scaled" then self.aspect, self.adjustable = "equal", "box"
  elseif mode == "tight" then self.tight = true
  elseif mode == "image" then self.aspect, self.adjustable, self.tight = "equal", "box", true
  elseif mode == "auto" then self.aspect, self.tight = "auto", false end
  self.fig.stale = true
end)

-- ---- legend ----

local legend_opts = U.set({"loc", "fontsize", "frameon", "title", "ncol", "framealpha"})
local locs = {best = 0, ["upper right"] = 1, ["upper left"] = 2, ["lower left"] = 3, ["lower right"] = 4,
  right = 5, ["center left"] = 6, ["center right"] = 7, ["lower center"] = 8, ["upper center"] = 9, center = 10}

method("legend", [[
{P}legend([labels] [, opts])
A legend of the labelled lines, markers and patches (labels given here replace theirs, in order).
Placed where it hides the least data unless opts.loc says: 'best', 'upper right', 'upper left',
'lower left', 'lower right', 'right', 'center left', 'center right', 'lower center',
'upper center', 'center'. opts: fontsize (10), frameon, framealpha (0.8), title, ncol.
  {P}legend({loc="lower right"})]],
function(self, labels, opts)
  local fname = "legend"
  if is_options(labels) then labels, opts = nil, labels end
  local o = U.options(fname, opts, legend_opts)
  local loc = o.loc == nil and 0 or (type(o.loc) == "number" and o.loc or locs[o.loc])
  if loc == nil or type(loc) ~= "number" or loc < 0 or loc > 10 or loc ~= math.floor(loc) then
    U.fail(string.format("legend: unknown loc %s (expected 'best', 'upper right', 'upper left', 'lower left', " ..
      "'lower right', 'right', 'center left', 'center right', 'lower center', 'upper center', 'center' or 0..10)",
      type(o.loc) == "string" and ("'" .. o.loc .. "'") or tostring(o.loc)))
  end
  if labels ~= nil and type(labels) ~= "table" then
    U.fail(string.format("legend: labels must be a table of strings, got %s", U.typename(labels)))
  end
  local spec = {loc = loc, labels = labels}
  spec.fontsize = U.check_opt(fname, "fontsize", o.fontsize, "number") or S.rc.legend.fontsize
  spec.frameon = o.frameon == nil and true or U.check_opt(fname, "frameon", o.frameon, "boolean")
  spec.framealpha = U.check_opt(fname, "framealpha", o.framealpha, "number") or S.rc.legend.framealpha
  spec.title = o.title ~= nil and text_arg(fname, o.title) or nil
  spec.ncol = U.check_opt(fname, "ncol", o.ncol, "number") or 1
  if spec.ncol < 1 or spec.ncol ~= math.floor(spec.ncol) then U.fail("legend: ncol must be a whole number >= 1") end
  self.legend_spec = spec
  self.fig.stale = true
end)

-- ---- text, annotate ----

local text_opts = U.set({"fontsize", "color", "ha", "va", "horizontalalignment", "verticalalignment",
  "rotation", "transform", "fontweight", "bbox", "alpha", "zorder"})
local coords_names = {data = true, axes = true, figure = true}

local function text_style(fname, o)
  local t = font_opts(fname, o, S.rc.font_size)
  t.ha = o.ha or o.horizontalalignment or "left"
  t.va = o.va or o.verticalalignment or "baseline"
  if not S.ha[t.ha] then U.fail(string.format("%s: ha must be 'left', 'center' or 'right', got '%s'", fname, tostring(t.ha))) end
  if not S.va[t.va] then
    U.fail(string.format("%s: va must be 'top', 'center', 'bottom', 'baseline' or 'center_baseline', got '%s'",
      fname, tostring(t.va)))
  end
  t.rotation = U.check_opt(fname, "rotation", o.rotation, "number") or 0
  t.alpha = U.check_opt(fname, "alpha", o.alpha, "number")
  t.zorder = o.zorder or 3
  if o.bbox ~= nil then
    if type(o.bbox) ~= "table" then U.fail(fname .. ": bbox must be a table {facecolor=, edgecolor=, alpha=, pad=}") end
    local b = U.options(fname .. " bbox", o.bbox, U.set({"facecolor", "edgecolor", "alpha", "pad", "boxstyle"}))
    t.bbox = {facecolor = colors.rgba(b.facecolor or "white", nil, fname),
      edgecolor = b.edgecolor ~= "none" and colors.rgba(b.edgecolor or "black", nil, fname) or nil,
      alpha = b.alpha, pad = b.pad}
  end
  return t
end

method("text", [[
{P}text(x, y, s [, opts]) -> Text
Writes s at (x, y) in data coordinates (or fractions of the axes with transform='axes').
opts: fontsize, color, ha ('left', 'center', 'right'), va ('baseline', 'top', 'center',
'bottom'), rotation (degrees), fontweight, bbox ({facecolor=, edgecolor=, alpha=, pad=}),
transform ('data', 'axes', 'figure'), alpha, zorder.
  {P}text(0.05, 0.95, "lr = 0.01", {transform="axes", va="top"})]],
function(self, x, y, s, opts)
  local fname = "text"
  if type(x) ~= "number" or type(y) ~= "number" then
    U.fail(string.format("text: x and y must be numbers, got %s and %s", U.typename(x), U.typename(y)))
  end
  local o = U.options(fname, opts, text_opts)
  U.check_opt(fname, "transform", o.transform, "string", coords_names)
  local t = text_style(fname, o)
  t.text = text_arg(fname, s)
  t.xy = {x, y}
  t.coords = o.transform or "data"
  return self:add(A.Text.new(t))
end)

local annotate_opts = U.set({"xytext", "xycoords", "textcoords", "arrowprops", "fontsize", "color", "ha", "va",
  "horizontalalignment", "verticalalignment", "rotation", "fontweight", "bbox", "alpha", "zorder"})
local acoords = {data = true, ["axes fraction"] = true, ["figure fraction"] = true, ["offset points"] = true}
local arrowstyles = {["-"] = true, ["->"] = true, ["-|>"] = true, ["<-"] = true, ["<|-"] = true,
  ["<->"] = true, ["<|-|>"] = true}

local function point(fname, key, v)
  if type(v) ~= "table" or type(v[1]) ~= "number" or type(v[2]) ~= "number" then
    U.fail(string.format("%s: %s must be {x, y}, got %s", fname, key, U.typename(v)))
  end
  return {v[1], v[2]}
end

method("annotate", [[
{P}annotate(s, xy [, opts]) -> Text
Writes s at xy (or at opts.xytext with an arrow pointing to xy). opts: xytext, xycoords and
textcoords ('data', 'axes fraction', 'figure fraction', 'offset points'), arrowprops
({arrowstyle='->' | '-|>' | '-' | '<->', color=, linewidth=}), and text's fontsize, color, ha, va...
  {P}annotate("best", {12, 0.91}, {xytext={8, 0.8}, arrowprops={arrowstyle="->"}})]],
function(self, s, xy, opts)
  local fname = "annotate"
  local o = U.options(fname, opts, annotate_opts)
  local t = text_style(fname, o)
  t.text = text_arg(fname, s)
  t.xy = point(fname, "xy", xy)
  t.coords = U.check_opt(fname, "xycoords", o.xycoords, "string", acoords) or "data"
  if t.coords == "offset points" then U.fail("annotate: xycoords cannot be 'offset points'") end
  if o.xytext ~= nil then
    t.xytext = point(fname, "xytext", o.xytext)
    t.textcoords = U.check_opt(fname, "textcoords", o.textcoords, "string", acoords) or t.coords
  end
  if o.arrowprops ~= nil then
    if t.xytext == nil then U.fail("annotate: arrowprops needs xytext (where the text and the arrow's tail go)") end
    local ap = U.options(fname .. " arrowprops", o.arrowprops,
      U.set({"arrowstyle", "color", "linewidth", "lw", "alpha", "facecolor", "edgecolor", "shrink", "width"}))
    local style = ap.arrowstyle or "-|>"
    if not arrowstyles[style] then
      U.fail(string.format("annotate: unknown arrowstyle '%s' (expected -, ->, -|>, <-, <|-, <->)", tostring(style)))
    end
    t.arrow = {style = style, color = colors.rgba(ap.color or ap.facecolor or ap.edgecolor or "black", nil, fname),
      linewidth = ap.linewidth or ap.lw or 1, alpha = ap.alpha}
  end
  return self:add(A.Text.new(t))
end)

method("cla", [[
{P}cla()
Clears the axes: data, labels, limits, legend.
  {P}cla()]],
function(self)
  local fresh = Axes.new(self.fig, self.spec)
  for k in pairs(self) do self[k] = nil end
  for k, v in pairs(fresh) do self[k] = v end
  self.fig.stale = true
end)

return Axes
