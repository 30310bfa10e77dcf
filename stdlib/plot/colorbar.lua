-- plot/colorbar.lua: the colour bar beside an axes: a narrow box (20 times
-- as tall as wide, as matplotlib's) filled with the colour map from vmin at
-- the bottom to vmax at the top, with ticks and an optional label on the
-- right. It takes its room from the parent axes (see Axes:position).
local S = require("plot.style")
local T = require("plot.ticker")
local colors = require("plot.colors")
local U = require("plot.util")

local Colorbar = {}
Colorbar.__index = Colorbar
Colorbar.__name = "Colorbar"
Colorbar.__tostring = function(self) return string.format("Colorbar(%s, %g..%g)", self.cmap, self.vmin, self.vmax) end

local ramp -- 256 x 1 values 255..0: row 1 (top) is the top of the map

function Colorbar.new(fig, parent, m, label, shrink)
  if not ramp then
    local v = {}
    for i = 1, 256 do v[i] = {256 - i} end
    ramp = tensor.tensor(v, {dtype = "float64"})
  end
  local vmin, vmax = m.vmin, m.vmax
  if not (vmax > vmin) then vmin, vmax = T.nonsingular(vmin, vmax) end
  return setmetatable({fig = fig, parent = parent, cmap = m.cmap, vmin = vmin, vmax = vmax,
    label = label, shrink = shrink, alpha = m.alpha, is_colorbar = true, artists = {}}, Colorbar)
end

function Colorbar:set_label(s)
  if type(s) ~= "string" and type(s) ~= "number" then
    U.fail(string.format("set_label: text (a string) expected, got %s", U.typename(s)))
  end
  self.label = tostring(s)
end
tensor.sethelp(Colorbar.set_label, "cb:set_label(text)\nThe colour bar's label, on its right, reading upwards.\n" ..
  "  cb:set_label(\"probability\")")

function Colorbar:layout(W, H)
  local r = self.parent.cbar_region
  local pb = self.parent.box
  -- the bar is as tall as the parent's box (images shrink it) times shrink
  local h = (pb[4] - pb[2]) * self.shrink
  local w = math.min(r[3] * W, h / 20)
  local x0 = r[1] * W
  local y0 = (pb[2] + pb[4]) / 2 - h / 2
  self.box = {x0, y0, x0 + w, y0 + h}
end

function Colorbar:draw(cv, snap_scale)
  local b = self.box
  local function snap(v, lw)
    if not snap_scale then return v end
    local px = math.max(1, math.floor(lw * snap_scale + 0.5))
    local d = v * snap_scale
    if px % 2 == 1 then d = math.floor(d) + 0.5 else d = math.floor(d + 0.5) end
    return d / snap_scale
  end
  cv:image(ramp, b[1], b[2], b[3], b[4], {lut = colors.lut(self.cmap), vmin = 0, vmax = 255, interp = "nearest",
    alpha = self.alpha or 1})
  local rc = S.rc
  cv:set_color(0, 0, 0, 1)
  cv:set_line(rc.axes_linewidth, "square", "miter")
  cv:new_path()
  local x0, x1 = snap(b[1], rc.axes_linewidth), snap(b[3], rc.axes_linewidth)
  local y0, y1 = snap(b[2], rc.axes_linewidth), snap(b[4], rc.axes_linewidth)
  cv:rectangle(x0, y0, x1 - x0, y1 - y0)
  cv:stroke()
  -- ticks on the right, as a y axis over vmin..vmax
  local nbins = T.nbins_for(b[4] - b[2], rc.font_size, true)
  local majors = T.in_view(T.nice_ticks(self.vmin, self.vmax, nbins), self.vmin, self.vmax)
  local labels, offset = T.format_ticks(majors, self.vmin, self.vmax)
  cv:set_line(rc.tick_width, "butt", "miter")
  cv:new_path()
  local function y_of(v) return b[4] - (v - self.vmin) / (self.vmax - self.vmin) * (b[4] - b[2]) end
  for _, v in ipairs(majors) do
    local Y = snap(y_of(v), rc.tick_width)
    cv:move_to(b[3], Y)
    cv:line_to(b[3] + rc.tick_size, Y)
  end
  cv:stroke()
  local edge = b[3] + rc.tick_size + rc.tick_pad
  self.extent = {b[1], b[2], b[3], b[4]}
  for i, v in ipairs(majors) do
    local _, _, ex = cv:text(labels[i], b[3] + rc.tick_size + rc.tick_pad, y_of(v),
      {size = rc.font_size, ha = 0, va = "center_baseline"})
    edge = math.max(edge, ex)
  end
  if offset ~= "" then cv:text(offset, b[1], b[2] - 4, {size = rc.font_size, ha = 0}) end
  self.extent[3] = math.max(self.extent[3], edge)
  if self.label then
    local _, _, ex = cv:text(self.label, edge + rc.label_pad, (b[2] + b[4]) / 2,
      {size = rc.font_size, ha = 0.5, va = "top", rotation = 90, anchor = true})
    self.extent[3] = math.max(self.extent[3], ex)
  end
end

return Colorbar
