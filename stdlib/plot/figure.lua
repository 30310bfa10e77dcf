-- plot/figure.lua: the Figure: its size and DPI, its axes on a grid of
-- subplots, the suptitle, colour bars, and drawing the whole onto a canvas
-- and saving it as PNG, SVG or PDF (atomically, through tensh.canvas).
-- The pyplot-style current figure and axes live in plot/init.lua.
local C = require("tensh.canvas")
local U = require("plot.util")
local S = require("plot.style")
local colors = require("plot.colors")
local Axes = require("plot.axes")
require("plot.axes_set")
require("plot.axes_image")
require("plot.axes_draw")
local Colorbar = require("plot.colorbar")

local Figure = {}
Figure.__index = Figure
Figure.__name = "Figure"
Figure.__tostring = function(self)
  return string.format("Figure(%gx%g in, dpi=%g, %d axes)", self.size[1], self.size[2], self.dpi, #self.axes)
end

Figure.help = {}
Figure.order = {}
local function method(name, help, fn)
  Figure[name] = fn
  Figure.help[name] = help
  Figure.order[#Figure.order + 1] = name
  tensor.sethelp(fn, (help:gsub("{F}", "fig:")))
end

local figure_opts = U.set({"size", "figsize", "dpi", "facecolor"})

function Figure.new(num, opts, fname)
  local o = U.options(fname or "figure", opts, figure_opts)
  local size = o.size or o.figsize or S.rc.figsize
  if type(size) ~= "table" or type(size[1]) ~= "number" or type(size[2]) ~= "number" or
     not (size[1] > 0 and size[2] > 0 and size[1] <= 1000 and size[2] <= 1000) then
    U.fail(string.format("%s: size must be {width, height} in inches (0 to 1000), got %s", fname or "figure",
      U.typename(size)))
  end
  local dpi = o.dpi or S.rc.dpi
  if type(dpi) ~= "number" or not (dpi > 0 and dpi <= 2400) then
    U.fail(string.format("%s: dpi must be a number from 1 to 2400, got %s", fname or "figure", tostring(dpi)))
  end
  local self = setmetatable({
    number = num, size = {size[1], size[2]}, dpi = dpi, axes = {}, stale = true,
    facecolor = o.facecolor and colors.rgba(o.facecolor, nil, fname) or {1, 1, 1, 1},
    subplotpars = U.copy(S.rc.subplot),
  }, Figure)
  return self
end

-- The subplot spec for (rows, cols, index), index 1-based row-major or
-- {first, last} spanning cells.
local function grid_spec(fname, rows, cols, index)
  for _, v in ipairs({rows, cols}) do
    if type(v) ~= "number" or v < 1 or v ~= math.floor(v) or v > 100 then
      U.fail(string.format("%s: rows and cols must be whole numbers from 1 to 100, got %s", fname, tostring(v)))
    end
  end
  local first, last = index, index
  if type(index) == "table" then first, last = index[1], index[2] end
  for _, v in ipairs({first, last}) do
    if type(v) ~= "number" or v < 1 or v > rows * cols or v ~= math.floor(v) then
      U.fail(string.format("%s: index must be 1..%d for a %dx%d grid, got %s", fname, rows * cols, rows, cols,
        tostring(v)))
    end
  end
  local r0, c0 = (first - 1) // cols + 1, (first - 1) % cols + 1
  local r1, c1 = (last - 1) // cols + 1, (last - 1) % cols + 1
  return {rows = rows, cols = cols, row0 = math.min(r0, r1), col0 = math.min(c0, c1), row1 = math.max(r0, r1),
          col1 = math.max(c0, c1), index = first, last = last}
end

local function same_spec(a, b)
  return a and b and a.rows == b.rows and a.cols == b.cols and a.index == b.index and a.last == b.last
end

method("add_subplot", [[
{F}add_subplot(rows, cols, index) -> Axes
The axes in cell `index` (1-based, row by row; {first, last} spans cells) of a rows x cols grid,
made if it does not exist yet. add_subplot(221) is add_subplot(2, 2, 1).
  local ax = {F}add_subplot(2, 1, 2)]],
function(self, rows, cols, index)
  if cols == nil and type(rows) == "number" and rows >= 111 and rows <= 999 then
    rows, cols, index = rows // 100, rows // 10 % 10, rows % 10
  end
  local spec = grid_spec("add_subplot", rows or 1, cols or 1, index or 1)
  for _, ax in ipairs(self.axes) do
    if same_spec(ax.spec, spec) then return ax end
  end
  local ax = Axes.new(self, spec)
  self.axes[#self.axes + 1] = ax
  self.stale = true
  return ax
end)

method("add_axes", [[
{F}add_axes(rect) -> Axes
New axes at rect = {left, bottom, width, height} in fractions of the figure (0..1).
  local inset = {F}add_axes({0.6, 0.6, 0.25, 0.25})]],
function(self, rect)
  if type(rect) ~= "table" or #rect ~= 4 then U.fail("add_axes: rect must be {left, bottom, width, height}") end
  for i = 1, 4 do
    if type(rect[i]) ~= "number" then U.fail("add_axes: rect must hold 4 numbers") end
  end
  if not (rect[3] > 0 and rect[4] > 0) then U.fail("add_axes: width and height must be positive") end
  local ax = Axes.new(self, nil)
  ax.rect = {rect[1], rect[2], rect[3], rect[4]}
  self.axes[#self.axes + 1] = ax
  return ax
end)

local suptitle_opts = U.set({"fontsize", "color", "fontweight", "y"})

method("suptitle", [[
{F}suptitle(text [, opts])
A title for the whole figure, centred at the top. opts: fontsize (12), color, fontweight, y (0.98).
  {F}suptitle("Training")]],
function(self, s, opts)
  local o = U.options("suptitle", opts, suptitle_opts)
  if type(s) ~= "string" and type(s) ~= "number" then
    U.fail(string.format("suptitle: text (a string) expected, got %s", U.typename(s)))
  end
  self.sup = {text = tostring(s), fontsize = o.fontsize or S.rc.suptitle_size,
    color = o.color and colors.rgba(o.color, nil, "suptitle") or {0, 0, 0, 1},
    bold = o.fontweight == "bold", y = o.y or 0.98}
end)

local colorbar_opts = U.set({"ax", "label", "fraction", "pad", "shrink"})

method("colorbar", [[
{F}colorbar([mappable] [, opts]) -> Colorbar
A colour bar beside the axes that shows how values map to colours, for an image or a
colour-mapped scatter (the last one drawn when mappable is nil). opts: ax (the axes to take
room from), label, fraction (0.15), pad (0.05), shrink (1).
  local cb = {F}colorbar(im, {label="intensity"})]],
function(self, mappable, opts)
  local fname = "colorbar"
  if Axes.is_options(mappable) then mappable, opts = nil, mappable end
  local o = U.options(fname, opts, colorbar_opts)
  local ax = o.ax
  if mappable == nil then
    local from = ax or self.current_axes
    for _, a in ipairs(from and from.artists or {}) do
      if a.mappable and a:mappable() then mappable = a end
    end
  end
  if mappable == nil or not (mappable.mappable and mappable:mappable()) then
    U.fail("colorbar: nothing colour-mapped to describe (give an image from imshow or a scatter with c= values)")
  end
  if ax == nil then
    for _, a in ipairs(self.axes) do
      for _, art in ipairs(a.artists) do
        if art == mappable then ax = a end
      end
    end
    ax = ax or self.current_axes
  end
  if getmetatable(ax) ~= Axes then U.fail("colorbar: option 'ax' must be an Axes") end
  ax.colorbar_room = {fraction = o.fraction or 0.15, pad = o.pad or 0.05}
  local cb = Colorbar.new(self, ax, mappable:mappable(), o.label and tostring(o.label), o.shrink or 1)
  self.axes[#self.axes + 1] = cb
  return cb
end)

-- Draws the figure onto a canvas of its size in points; `measure` draws
-- only the decorations, to find their extents (tight_layout).
function Figure:draw(cv, raster, measure)
  local W, H = self.size[1] * 72, self.size[2] * 72
  local _, _, scale = cv:size()
  cv:new_path()
  cv:rectangle(0, 0, W, H)
  local f = self.facecolor
  cv:set_color(f[1], f[2], f[3], f[4])
  cv:fill()
  for _, ax in ipairs(self.axes) do
    if not ax.is_colorbar then ax:layout(W, H) end
  end
  for _, ax in ipairs(self.axes) do
    if ax.is_colorbar then ax:layout(W, H) end
  end
  for _, ax in ipairs(self.axes) do ax:draw(cv, raster and scale or nil, measure) end
  if self.sup then
    local s = self.sup
    cv:set_color(s.color[1], s.color[2], s.color[3], s.color[4])
    cv:text(s.text, W / 2, (1 - s.y) * H, {size = s.fontsize, ha = 0.5, va = "top", bold = s.bold})
  end
  self.stale = false
end

local formats = {png = true, svg = true, pdf = true}
local savefig_opts = U.set({"dpi", "format", "facecolor", "transparent"})

-- A hook for tests: called with the canvas before drawing.
Figure.save_hook = nil

method("savefig", [[
{F}savefig(path [, opts])
Writes the figure to path as PNG, SVG or PDF (from the extension, or opts.format). The file is
written beside path and renamed over it at the end, so a failed save leaves any old file whole.
opts: dpi (the figure's, 100), format ('png', 'svg', 'pdf'), facecolor, transparent.
  {F}savefig("loss.png", {dpi=150})]],
function(self, path, opts)
  local fname = "savefig"
  if type(path) ~= "string" or path == "" then
    U.fail(string.format("savefig: a file path (string) expected, got %s", U.typename(path)))
  end
  local o = U.options(fname, opts, savefig_opts)
  local fmt = o.format or path:match("%.([%a]+)$")
  fmt = fmt and fmt:lower()
  if not formats[fmt] then
    U.fail(string.format("savefig: cannot tell the format of '%s' (use a .png, .svg or .pdf name, or " ..
      "opts.format)", path))
  end
  local dpi = o.dpi or self.dpi
  if type(dpi) ~= "number" or not (dpi > 0 and dpi <= 2400) then
    U.fail(string.format("savefig: dpi must be a number from 1 to 2400, got %s", tostring(dpi)))
  end
  U.check_opt(fname, "transparent", o.transparent, "boolean")
  local ok, cv = pcall(C.file, path, fmt, self.size[1] * 72, self.size[2] * 72, dpi)
  if not ok then U.fail(tostring(cv):gsub("^.-savefig:", "savefig:"):gsub("^[^:]*:%d+: ", "")) end
  local saved = self.facecolor
  if o.transparent then self.facecolor = {0, 0, 0, 0}
  elseif o.facecolor then self.facecolor = colors.rgba(o.facecolor, nil, fname) end
  local drawn, err = pcall(function()
    if Figure.save_hook then Figure.save_hook(cv) end
    self:draw(cv, fmt == "png")
    cv:finish()
  end)
  self.facecolor = saved
  if not drawn then
    cv:abort()
    error(err, 0)
  end
  return path
end)

method("set_size_inches", [[
{F}set_size_inches(w, h)
Resizes the figure to w x h inches.
  {F}set_size_inches(10, 4)]],
function(self, w, h)
  if type(w) == "table" then w, h = w[1], w[2] end
  if type(w) ~= "number" or type(h) ~= "number" or not (w > 0 and h > 0 and w <= 1000 and h <= 1000) then
    U.fail("set_size_inches: width and height in inches (0 to 1000) expected")
  end
  self.size = {w, h}
end)

method("tight_layout", [[
{F}tight_layout([opts])
Moves the subplots' edges so that tick labels, axis labels and titles fit inside the figure
without overlapping. opts: pad (in font sizes, 1.08).
  {F}tight_layout()]],
function(self, opts)
  local o = U.options("tight_layout", opts, U.set({"pad"}))
  require("plot.layout").tight(self, o.pad or 1.08)
end)

return Figure
