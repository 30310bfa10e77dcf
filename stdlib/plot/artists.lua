-- plot/artists.lua: the things drawn inside axes (lines, scatter markers,
-- bars, images, bands, error bars, text) as small objects that know their
-- data limits, how to draw themselves on a canvas through the axes'
-- transform, and how their legend handle looks. Arguments were checked and
-- styles resolved by plot/axes.lua; per-point work goes to the C canvas.
local C = require("tensh.canvas")
local S = require("plot.style")
local colors = require("plot.colors")

local A = {}

local function class(name)
  local k = {}
  k.__index = k
  k.__name = name
  k.__tostring = function(self)
    return self.label and string.format("%s(label=%q)", name, self.label) or name .. "()"
  end
  return k
end

local function set_rgba(cv, c, alpha)
  cv:set_color(c[1], c[2], c[3], (c[4] or 1) * (alpha or 1))
end

-- Data range of a tensor: lo, hi, and the smallest positive (for log axes).
local function range(t)
  local lo, hi = C.minmax(t)
  local plo = C.minmax(t, true)
  return lo, hi, plo
end

local function clip_to_axes(cv, ax)
  local b = ax.box
  cv:save()
  cv:new_path()
  cv:rectangle(b[1], b[2], b[3] - b[1], b[4] - b[2])
  cv:clip()
end

-- ---- Line2D: plot(), axhline/axvline, and the line of errorbar ----

A.Line = class("Line2D")

function A.Line.new(t) return setmetatable(t, A.Line) end

function A.Line:limits()
  if self._lim then return self._lim end
  local l = {}
  if self.xaxes then l.no_x = true else l.xlo, l.xhi, l.xpos = range(self.x) end
  if self.yaxes then l.no_y = true else l.ylo, l.yhi, l.ypos = range(self.y) end
  self._lim = l
  return l
end

-- The transform for this line: axhline's x (and axvline's y) are fractions
-- of the axes, not data.
function A.Line:transform(ax)
  if not (self.xaxes or self.yaxes) then return ax.tf end
  local tf, b = {}, ax.box
  for k, v in pairs(ax.tf) do tf[k] = v end
  if self.xaxes then tf.ax, tf.bx, tf.logx = b[3] - b[1], b[1], false end
  if self.yaxes then tf.ay, tf.by, tf.logy = b[2] - b[4], b[4], false end
  return tf
end

local function stroke_style(cv, self)
  local dashes = S.dashes(self.linestyle, self.linewidth)
  -- matplotlib: solid lines end square ("projecting"), dashes end flat
  cv:set_line(self.linewidth, dashes and "butt" or "square", "round", dashes)
end

function A.Line:draw(cv, ax)
  local tf = self:transform(ax)
  clip_to_axes(cv, ax)
  if self.linestyle ~= "none" and self.linewidth > 0 then
    stroke_style(cv, self)
    set_rgba(cv, self.color, self.alpha)
    cv:stroke_polyline(self.x, self.y, tf)
  end
  if self.marker then
    cv:markers(self.x, self.y, tf, self:marker_style())
  end
  cv:restore()
end

function A.Line:marker_style(scale)
  local a = self.alpha or 1
  local face, edge = self.markerfacecolor or self.color, self.markeredgecolor or self.color
  return {shape = self.marker, size = self.markersize * (scale or 1),
          face = {face[1], face[2], face[3], face[4] * a}, edge = {edge[1], edge[2], edge[3], edge[4] * a},
          edgewidth = self.markeredgewidth}
end

function A.Line:legend_draw(cv, x, y, w)
  if self.linestyle ~= "none" and self.linewidth > 0 then
    cv:new_path()
    cv:move_to(x, y)
    cv:line_to(x + w, y)
    stroke_style(cv, self)
    set_rgba(cv, self.color, self.alpha)
    cv:stroke()
  end
  if self.marker then
    local m = self:marker_style()
    local one = tensor.tensor({0}, {dtype = "float64"})
    cv:markers(one, one, {ax = 1, bx = x + w / 2, ay = 1, by = y}, m)
  end
end

function A.Line:legend_data(ax)
  return {{x = self.x, y = self.y, tf = self:transform(ax), lines = self.linestyle ~= "none"}}
end

-- ---- Scatter: markers with per-point sizes and colours ----

A.Scatter = class("PathCollection")

function A.Scatter.new(t) return setmetatable(t, A.Scatter) end

function A.Scatter:limits()
  if not self._lim then
    local l = {}
    l.xlo, l.xhi, l.xpos = range(self.x)
    l.ylo, l.yhi, l.ypos = range(self.y)
    self._lim = l
  end
  return self._lim
end

function A.Scatter:style(legend)
  local m = {shape = self.marker, size = self.size, edgewidth = self.linewidth}
  local a = self.alpha or 1
  if not legend then
    m.areas = self.areas
    if self.values then
      m.values, m.lut, m.vmin, m.vmax, m.alpha = self.values, colors.lut(self.cmap), self.vmin, self.vmax, a
    end
    m.rgba = self.rgba
  end
  local face = self.color or (legend and self.values and colors.cmap_rgba(self.cmap, 0.5)) or {0, 0, 0, 1}
  m.face = {face[1], face[2], face[3], face[4] * a}
  if self.edgecolor == "face" then
    m.edge_is_face = true
    m.edge = m.face
  elseif self.edgecolor then
    local e = self.edgecolor
    m.edge = {e[1], e[2], e[3], e[4] * a}
  end
  return m
end

function A.Scatter:draw(cv, ax)
  clip_to_axes(cv, ax)
  cv:markers(self.x, self.y, ax.tf, self:style(false))
  cv:restore()
end

function A.Scatter:legend_draw(cv, x, y, w)
  local one = tensor.tensor({0}, {dtype = "float64"})
  cv:markers(one, one, {ax = 1, bx = x + w / 2, ay = 1, by = y}, self:style(true))
end

function A.Scatter:legend_data(ax)
  return {{x = self.x, y = self.y, tf = ax.tf, lines = false}}
end

-- The colour-mapped range, for colorbar().
function A.Scatter:mappable()
  if self.values then return {cmap = self.cmap, vmin = self.vmin, vmax = self.vmax, alpha = self.alpha} end
end

-- ---- Bars: bar(), barh(), hist() as bars ----

A.Bars = class("BarContainer")

function A.Bars.new(t) return setmetatable(t, A.Bars) end

-- rects: {x0, x1, y0, y1} in data coordinates
function A.Bars:limits()
  if self._lim then return self._lim end
  local l = {xlo = math.huge, xhi = -math.huge, ylo = math.huge, yhi = -math.huge,
             xpos = math.huge, ypos = math.huge}
  for _, r in ipairs(self.rects) do
    for k = 1, 2 do
      local vx, vy = r[k], r[k + 2]
      if vx == vx then
        l.xlo, l.xhi = math.min(l.xlo, vx), math.max(l.xhi, vx)
        if vx > 0 then l.xpos = math.min(l.xpos, vx) end
      end
      if vy == vy then
        l.ylo, l.yhi = math.min(l.ylo, vy), math.max(l.yhi, vy)
        if vy > 0 then l.ypos = math.min(l.ypos, vy) end
      end
    end
  end
  if l.xlo > l.xhi then l.xlo, l.xhi = nil, nil end
  if l.ylo > l.yhi then l.ylo, l.yhi = nil, nil end
  if l.xpos == math.huge then l.xpos = nil end
  if l.ypos == math.huge then l.ypos = nil end
  -- bars grow from a baseline: the margin does not pass it
  if self.horizontal then l.xsticky = self.sticky else l.ysticky = self.sticky end
  self._lim = l
  return l
end

local function data_to_pt(tf, x, y)
  if tf.logx then x = x > 0 and math.log(x, 10) or -1e300 end
  if tf.logy then y = y > 0 and math.log(y, 10) or -1e300 end
  local X, Y = tf.ax * x + tf.bx, tf.ay * y + tf.by
  local cl = tf.clip
  return math.max(cl[1], math.min(cl[3], X)), math.max(cl[2], math.min(cl[4], Y))
end
A.data_to_pt = data_to_pt

function A.Bars:draw(cv, ax)
  clip_to_axes(cv, ax)
  local tf = ax.tf
  for i, r in ipairs(self.rects) do
    local x0, y0 = data_to_pt(tf, r[1], r[3])
    local x1, y1 = data_to_pt(tf, r[2], r[4])
    if x0 == x0 and y0 == y0 and x1 == x1 and y1 == y1 then
      x0, x1, y0, y1 = ax:snap_edge(x0), ax:snap_edge(x1), ax:snap_edge(y0), ax:snap_edge(y1)
      cv:new_path()
      cv:rectangle(math.min(x0, x1), math.min(y0, y1), math.abs(x1 - x0), math.abs(y1 - y0))
      local c = self.colors and self.colors[i] or self.color
      if c[4] > 0 then
        set_rgba(cv, c, self.alpha)
        cv:fill(true)
      end
      if self.edgecolor and self.linewidth > 0 then
        cv:set_line(self.linewidth, "butt", "miter")
        set_rgba(cv, self.edgecolor, self.alpha)
        cv:stroke(true)
      end
    end
  end
  cv:new_path()
  cv:restore()
end

function A.Bars:legend_draw(cv, x, y, w, h)
  cv:new_path()
  cv:rectangle(x, y - h / 2, w, h)
  local c = self.colors and self.colors[1] or self.color
  set_rgba(cv, c, self.alpha)
  cv:fill(true)
  if self.edgecolor and self.linewidth > 0 then
    cv:set_line(self.linewidth, "butt", "miter")
    set_rgba(cv, self.edgecolor, self.alpha)
    cv:stroke(true)
  end
  cv:new_path()
end

function A.Bars:legend_data(ax)
  local boxes = {}
  for _, r in ipairs(self.rects) do
    local x0, y0 = data_to_pt(ax.tf, r[1], r[3])
    local x1, y1 = data_to_pt(ax.tf, r[2], r[4])
    boxes[#boxes + 1] = {math.min(x0, x1), math.min(y0, y1), math.max(x0, x1), math.max(y0, y1)}
  end
  return {{boxes = boxes}}
end

-- ---- Step outlines of hist(histtype="step"/"stepfilled") ----

A.Step = class("Polygon")

function A.Step.new(t) return setmetatable(t, A.Step) end

A.Step.limits = A.Line.limits

function A.Step:draw(cv, ax)
  clip_to_axes(cv, ax)
  cv:new_path()
  if self.filled then
    cv:band(self.x, self.y, 0, ax.tf, self.horizontal)
    set_rgba(cv, self.color, self.alpha)
    cv:fill()
  else
    if self.horizontal then cv:polyline(self.y, self.x, ax.tf) else cv:polyline(self.x, self.y, ax.tf) end
    cv:set_line(self.linewidth, "butt", "miter")
    set_rgba(cv, self.color, self.alpha)
    cv:stroke()
  end
  cv:restore()
end

function A.Step:legend_draw(cv, x, y, w, h)
  cv:new_path()
  cv:rectangle(x, y - h / 2, w, h)
  set_rgba(cv, self.color, self.alpha)
  if self.filled then
    cv:fill()
  else
    cv:set_line(self.linewidth, "butt", "miter")
    cv:stroke()
  end
end

function A.Step:legend_data(ax)
  if self.horizontal then return {{x = self.y, y = self.x, tf = ax.tf, lines = true}} end
  return {{x = self.x, y = self.y, tf = ax.tf, lines = true}}
end

-- ---- Band: fill_between / fill_betweenx ----

A.Band = class("PolyCollection")

function A.Band.new(t) return setmetatable(t, A.Band) end

function A.Band:limits()
  if self._lim then return self._lim end
  local l = {}
  local xlo, xhi, xpos = range(self.x)
  local alo, ahi, apos = range(self.y1)
  local blo, bhi, bpos
  if type(self.y2) == "number" then
    blo, bhi, bpos = self.y2, self.y2, self.y2 > 0 and self.y2 or nil
  else
    blo, bhi, bpos = range(self.y2)
  end
  local function mn(a, b) if a == nil then return b elseif b == nil then return a end return math.min(a, b) end
  local function mx(a, b) if a == nil then return b elseif b == nil then return a end return math.max(a, b) end
  local vlo, vhi, vpos = mn(alo, blo), mx(ahi, bhi), mn(apos, bpos)
  if self.horizontal then
    l.ylo, l.yhi, l.ypos, l.xlo, l.xhi, l.xpos = xlo, xhi, xpos, vlo, vhi, vpos
  else
    l.xlo, l.xhi, l.xpos, l.ylo, l.yhi, l.ypos = xlo, xhi, xpos, vlo, vhi, vpos
  end
  self._lim = l
  return l
end

function A.Band:draw(cv, ax)
  clip_to_axes(cv, ax)
  cv:new_path()
  cv:band(self.x, self.y1, self.y2, ax.tf, self.horizontal)
  if self.color[4] > 0 then
    set_rgba(cv, self.color, self.alpha)
    cv:fill(true)
  end
  if self.edgecolor and self.linewidth > 0 then
    cv:set_line(self.linewidth, "butt", "round")
    set_rgba(cv, self.edgecolor, self.alpha)
    cv:stroke(true)
  end
  cv:new_path()
  cv:restore()
end

A.Band.legend_draw = function(self, cv, x, y, w, h)
  cv:new_path()
  cv:rectangle(x, y - h / 2, w, h)
  set_rgba(cv, self.color, self.alpha)
  cv:fill()
end

function A.Band:legend_data() return {} end

-- ---- Error bars (the bars only; the data line is a Line) ----

A.Errorbars = class("ErrorbarContainer")

function A.Errorbars.new(t) return setmetatable(t, A.Errorbars) end

function A.Errorbars:limits()
  if self._lim then return self._lim end
  local l = {}
  l.xlo, l.xhi, l.xpos = range(self.x)
  l.ylo, l.yhi, l.ypos = range(self.y)
  if self.ylo then
    local a, b = C.minmax(self.ylo)
    local c, d = C.minmax(self.yhi)
    l.ylo, l.yhi = math.min(l.ylo or a, a), math.max(l.yhi or d, d)
    local p = C.minmax(self.ylo, true)
    if p then l.ypos = math.min(l.ypos or p, p) end
    if b == nil or c == nil then l.ylo, l.yhi = nil, nil end
  end
  if self.xlo then
    local a = C.minmax(self.xlo)
    local _, d = C.minmax(self.xhi)
    if a and d then l.xlo, l.xhi = math.min(l.xlo or a, a), math.max(l.xhi or d, d) end
    local p = C.minmax(self.xlo, true)
    if p then l.xpos = math.min(l.xpos or p, p) end
  end
  self._lim = l
  return l
end

function A.Errorbars:draw(cv, ax)
  clip_to_axes(cv, ax)
  set_rgba(cv, self.color, self.alpha)
  cv:set_line(self.linewidth, "butt", "round")
  cv:new_path()
  if self.ylo then cv:segments(self.x, self.ylo, self.x, self.yhi, ax.tf) end
  if self.xlo then cv:segments(self.xlo, self.y, self.xhi, self.y, ax.tf) end
  cv:stroke()
  if self.capsize > 0 then
    local m = {shape = "_", size = 2 * self.capsize, face = self.color, edgewidth = self.capthick}
    if self.ylo then
      cv:markers(self.x, self.ylo, ax.tf, m)
      cv:markers(self.x, self.yhi, ax.tf, m)
    end
    if self.xlo then
      m.shape = "|"
      cv:markers(self.xlo, self.y, ax.tf, m)
      cv:markers(self.xhi, self.y, ax.tf, m)
    end
  end
  cv:restore()
end

function A.Errorbars:legend_draw(cv, x, y, w, h)
  set_rgba(cv, self.color, self.alpha)
  cv:set_line(self.linewidth, "butt", "round")
  cv:new_path()
  if self.ylo then
    cv:move_to(x + w / 2, y - h)
    cv:line_to(x + w / 2, y + h)
  end
  if self.xlo then
    cv:move_to(x + w / 4, y)
    cv:line_to(x + 3 * w / 4, y)
  end
  cv:stroke()
  if self.line then self.line:legend_draw(cv, x, y, w, h) end
end

function A.Errorbars:legend_data() return {} end

-- ---- Image ----

A.Image = class("AxesImage")

function A.Image.new(t) return setmetatable(t, A.Image) end

function A.Image:limits()
  local e = self.extent -- left, right, bottom, top
  local l = {xlo = math.min(e[1], e[2]), xhi = math.max(e[1], e[2]), ylo = math.min(e[3], e[4]),
             yhi = math.max(e[3], e[4])}
  l.xpos, l.ypos = l.xlo > 0 and l.xlo or nil, l.ylo > 0 and l.ylo or nil
  l.xsticky = {l.xlo, l.xhi}
  l.ysticky = {l.ylo, l.yhi}
  return l
end

function A.Image:draw(cv, ax)
  local e = self.extent
  -- the first row lies at the top edge for origin "upper", else at the bottom
  local first_y = self.origin == "upper" and e[4] or e[3]
  local last_y = self.origin == "upper" and e[3] or e[4]
  local x0, y0 = data_to_pt(ax.tf, e[1], first_y)
  local x1, y1 = data_to_pt(ax.tf, e[2], last_y)
  clip_to_axes(cv, ax)
  local o = {alpha = self.alpha or 1, interp = self.interpolation, bytes = self.bytes}
  if self.cmap then o.lut, o.vmin, o.vmax = colors.lut(self.cmap), self.vmin, self.vmax end
  cv:image(self.data, x0, y0, x1, y1, o)
  cv:restore()
end

function A.Image:mappable()
  if self.cmap then return {cmap = self.cmap, vmin = self.vmin, vmax = self.vmax, alpha = self.alpha} end
end

function A.Image:legend_data() return {} end

-- ---- Text and annotations ----

A.Text = class("Text")

function A.Text.new(t) return setmetatable(t, A.Text) end

function A.Text:limits() return {no_x = true, no_y = true} end

-- The text's anchor in points.
function A.Text:anchor(ax, xy, coords)
  local b = ax.box
  if coords == "axes fraction" or coords == "axes" then
    return b[1] + xy[1] * (b[3] - b[1]), b[4] + xy[2] * (b[2] - b[4])
  elseif coords == "figure fraction" or coords == "figure" then
    return xy[1] * ax.fig_w, (1 - xy[2]) * ax.fig_h
  end
  if ax.tf.logx and xy[1] <= 0 or ax.tf.logy and xy[2] <= 0 then return nil end
  return data_to_pt(ax.tf, xy[1], xy[2])
end

local function text_opts(self, draw)
  return {size = self.fontsize, ha = S.ha[self.ha], va = self.va, rotation = self.rotation,
          bold = self.fontweight == "bold", draw = draw}
end

local function draw_text_box(cv, self, x, y)
  local x0, y0, x1, y1 = cv:text(self.text, x, y, text_opts(self, false))
  if self.bbox then
    local pad = (self.bbox.pad or 0.3) * self.fontsize
    cv:new_path()
    cv:rectangle(x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad)
    set_rgba(cv, self.bbox.facecolor, self.bbox.alpha)
    cv:fill(true)
    if self.bbox.edgecolor then
      cv:set_line(1, "butt", "miter")
      set_rgba(cv, self.bbox.edgecolor, self.bbox.alpha)
      cv:stroke(true)
    end
    cv:new_path()
  end
  set_rgba(cv, self.color, self.alpha)
  return cv:text(self.text, x, y, text_opts(self, true))
end

-- Draws `a -> b` with a head at b (and at a for "<->"): matplotlib's
-- FancyArrowPatch styles "-", "->", "-|>", "<-", "<->", "<|-".
local function arrow(cv, ax0, ay0, bx, by, style, lw, color, alpha)
  local dx, dy = bx - ax0, by - ay0
  local len = math.sqrt(dx * dx + dy * dy)
  if len < 1e-6 then return end
  local ux, uy = dx / len, dy / len
  set_rgba(cv, color, alpha)
  cv:set_line(lw, "butt", "miter")
  local hl, hw = 4 * math.max(1, lw / 1.5) + 1, 2 * math.max(1, lw / 1.5) + 0.5
  local function head(px, py, vx, vy, filled)
    cv:new_path()
    cv:move_to(px - vx * hl - vy * hw, py - vy * hl + vx * hw)
    cv:line_to(px, py)
    cv:line_to(px - vx * hl + vy * hw, py - vy * hl - vx * hw)
    if filled then
      cv:close_path()
      cv:fill(true)
    end
    cv:stroke()
  end
  local filled = style:find("|", 1, true) ~= nil
  local at_b = style:sub(-1) == ">"
  local at_a = style:sub(1, 1) == "<"
  cv:new_path()
  local sx, sy, ex, ey = ax0, ay0, bx, by
  if filled and at_b then ex, ey = bx - ux * hl, by - uy * hl end
  if filled and at_a then sx, sy = ax0 + ux * hl, ay0 + uy * hl end
  cv:move_to(sx, sy)
  cv:line_to(ex, ey)
  cv:stroke()
  if at_b then head(bx, by, ux, uy, filled) end
  if at_a then head(ax0, ay0, -ux, -uy, filled) end
end

function A.Text:draw(cv, ax)
  local x, y = self:anchor(ax, self.xy, self.coords)
  if not x then return end
  if self.xytext then
    local tx, ty
    if self.textcoords == "offset points" then
      tx, ty = x + self.xytext[1], y - self.xytext[2]
    else
      tx, ty = self:anchor(ax, self.xytext, self.textcoords)
    end
    if not tx then return end
    local x0, y0, x1, y1 = draw_text_box(cv, self, tx, ty)
    if self.arrow then
      -- from the edge of the text's box (2 points out) to 2 points short of xy
      local cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
      local dx, dy = x - cx, y - cy
      local len = math.sqrt(dx * dx + dy * dy)
      if len > 1e-9 then
        local hx, hy = (x1 - x0) / 2 + 2, (y1 - y0) / 2 + 2
        local t = math.min(hx / math.max(math.abs(dx), 1e-12), hy / math.max(math.abs(dy), 1e-12))
        if t < 1 then
          local ux, uy = dx / len, dy / len
          arrow(cv, cx + t * dx, cy + t * dy, x - 2 * ux, y - 2 * uy, self.arrow.style,
            self.arrow.linewidth, self.arrow.color, self.arrow.alpha)
        end
      end
    end
  else
    draw_text_box(cv, self, x, y)
  end
end

function A.Text:legend_data() return {} end

return A
