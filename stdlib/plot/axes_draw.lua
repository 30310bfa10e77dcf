-- plot/axes_draw.lua: lays out and draws one Axes: view limits from the
-- artists' data (margins, sticky edges, log scales, inversion), the box
-- (aspect, colour-bar room), the data-to-canvas transform, ticks and their
-- labels, spines, grid, axis labels and title, then hands the legend to
-- plot/legend.lua. Coordinates are points, y down, as the canvas has them.
local S = require("plot.style")
local T = require("plot.ticker")
local Axes = require("plot.axes")
local legend = require("plot.legend")

local rc = S.rc

local function log10(v) return math.log(v, 10) end

-- The axes' rectangle in figure fractions {left, bottom, width, height}.
function Axes:position()
  local p
  if self.rect then
    p = {self.rect[1], self.rect[2], self.rect[3], self.rect[4]}
  else
    local sp = self.fig.subplotpars
    local rows, cols = self.spec.rows, self.spec.cols
    local cw = (sp.right - sp.left) / (cols + sp.wspace * (cols - 1))
    local ch = (sp.top - sp.bottom) / (rows + sp.hspace * (rows - 1))
    local r0, c0 = self.spec.row0, self.spec.col0
    local r1, c1 = self.spec.row1 or r0, self.spec.col1 or c0
    local left = sp.left + (c0 - 1) * cw * (1 + sp.wspace)
    local right = sp.left + (c1 - 1) * cw * (1 + sp.wspace) + cw
    local top = sp.top - (r0 - 1) * ch * (1 + sp.hspace)
    local bottom = sp.top - (r1 - 1) * ch * (1 + sp.hspace) - ch
    p = {left, bottom, right - left, top - bottom}
  end
  if self.colorbar_room then
    -- matplotlib's make_axes: the parent keeps 1 - fraction - pad of its width
    local f = self.colorbar_room
    self.cbar_region = {p[1] + (1 - f.fraction) * p[3], p[2], f.fraction * p[3], p[4]}
    p[3] = p[3] * (1 - f.fraction - f.pad)
  end
  return p
end

-- ---- limits ----

local function data_limits(self, which)
  local lo, hi, pos = nil, nil, nil
  local sticky = {}
  for _, a in ipairs(self.artists) do
    local l = a:limits()
    if not l["no_" .. which] then
      local alo, ahi, apos = l[which .. "lo"], l[which .. "hi"], l[which .. "pos"]
      if alo then lo = lo and math.min(lo, alo) or alo end
      if ahi then hi = hi and math.max(hi, ahi) or ahi end
      if apos then pos = pos and math.min(pos, apos) or apos end
      for _, s in ipairs(l[which .. "sticky"] or {}) do sticky[#sticky + 1] = s end
    end
  end
  return lo, hi, pos, sticky
end

local function axis_limits(self, which)
  local log = self[which .. "scale"] == "log"
  local user = self[which .. "lim_user"]
  local lo, hi
  if user and user[1] ~= nil and user[2] ~= nil then
    lo, hi = user[1], user[2]
  else
    local dlo, dhi, dpos, sticky = data_limits(self, which)
    if log then dlo = dpos end
    if log and dhi and dhi <= 0 then dlo, dhi = nil, nil end
    lo, hi = T.auto_limits(dlo, dhi, self.tight and 0 or rc.margin, sticky, log)
    if user then
      lo, hi = user[1] or lo, user[2] or hi
      if lo >= hi and user[1] and not user[2] then hi = log and lo * 10 or lo + 1 end
      if lo >= hi and user[2] and not user[1] then lo = log and hi / 10 or hi - 1 end
    end
    if self[which .. "inverted"] then lo, hi = hi, lo end
  end
  return {lo, hi}
end

function Axes:compute_limits()
  return {x = axis_limits(self, "x"), y = axis_limits(self, "y")}
end

-- ---- layout ----

local function tf_axis(lo, hi, p0, p1, log)
  local f = log and log10 or function(v) return v end
  local a = (p1 - p0) / (f(hi) - f(lo))
  return a, p0 - f(lo) * a
end

-- Shrinks the box {x0, y0, x1, y1} to height/width ratio `want`, placing it
-- by anchor ("C" centre, "E" right, "W" left).
local function fit_box(box, want, anchor)
  local w, h = box[3] - box[1], box[4] - box[2]
  if h / w > want then
    local nh = w * want
    local y0 = box[2] + (h - nh) / 2
    return {box[1], y0, box[3], y0 + nh}
  end
  local nw = h / want
  local x0 = box[1] + (w - nw) / 2
  if anchor == "E" then x0 = box[3] - nw elseif anchor == "W" then x0 = box[1] end
  return {x0, box[2], x0 + nw, box[4]}
end

local function span(lim, log)
  if log then return math.abs(log10(lim[2]) - log10(lim[1])) end
  return math.abs(lim[2] - lim[1])
end

-- Widens the limits (around their centre) so that units come out equal
-- in the given box: axis('equal').
local function adjust_datalim(self, lim, box)
  local w, h = box[3] - box[1], box[4] - box[2]
  local a = self.aspect == "equal" and 1 or self.aspect
  local dx, dy = span(lim.x, self.xscale == "log"), span(lim.y, self.yscale == "log")
  if dx == 0 or dy == 0 or self.xscale == "log" or self.yscale == "log" then return end
  local want = h / w / a -- y units per x unit the box shows at equal scale
  local function widen(l, new)
    local c, sgn = (l[1] + l[2]) / 2, l[2] >= l[1] and 1 or -1
    l[1], l[2] = c - sgn * new / 2, c + sgn * new / 2
  end
  if dy / dx < want then widen(lim.y, dx * want) else widen(lim.x, dy / want) end
end

-- Computes self.lim, self.box and self.tf for a figure of W x H points.
function Axes:layout(W, H)
  local p = self:position()
  local box = {p[1] * W, (1 - p[2] - p[4]) * H, (p[1] + p[3]) * W, (1 - p[2]) * H}
  local lim = self:compute_limits()
  if self.aspect ~= "auto" then
    if self.adjustable == "datalim" then
      adjust_datalim(self, lim, box)
    else
      local a = self.aspect == "equal" and 1 or self.aspect
      local dx, dy = span(lim.x, self.xscale == "log"), span(lim.y, self.yscale == "log")
      if dx > 0 and dy > 0 then box = fit_box(box, a * dy / dx, self.colorbar_room and "E" or "C") end
    end
  end
  self.lim, self.box = lim, box
  self.fig_w, self.fig_h = W, H
  local ax, bx = tf_axis(lim.x[1], lim.x[2], box[1], box[3], self.xscale == "log")
  local ay, by = tf_axis(lim.y[1], lim.y[2], box[4], box[2], self.yscale == "log")
  local m = 1000
  self.tf = {ax = ax, bx = bx, ay = ay, by = by, logx = self.xscale == "log", logy = self.yscale == "log",
             clip = {box[1] - m, box[2] - m, box[3] + m, box[4] + m}}
end

-- ---- ticks ----

local function tick_list(self, which)
  local lim = self.lim[which]
  local log = self[which .. "scale"] == "log"
  local box = self.box
  local length = which == "x" and (box[3] - box[1]) or (box[4] - box[2])
  local user = self[which .. "ticks_user"]
  local majors, labels, minors, offset = {}, {}, {}, ""
  if user and user.locs then
    for i, v in ipairs(user.locs) do
      local lo, hi = math.min(lim[1], lim[2]), math.max(lim[1], lim[2])
      if v >= lo - 1e-10 * (hi - lo) and v <= hi + 1e-10 * (hi - lo) then
        majors[#majors + 1] = v
        labels[#labels + 1] = user.labels and user.labels[i] or nil
      end
    end
    if not user.labels then
      if log then
        for i, v in ipairs(majors) do labels[i] = T.log_label(v, true) end
      else
        labels, offset = T.format_ticks(majors, lim[1], lim[2])
      end
    end
  elseif log then
    local all, mins = T.log_ticks(lim[1], lim[2], T.nbins_for(length, rc.font_size, which == "y"))
    majors = T.in_view(all, lim[1], lim[2])
    minors = T.in_view(mins, lim[1], lim[2])
    if #majors < 2 then
      -- less than two decades in view: label the 2..9 ticks too
      for _, v in ipairs(minors) do majors[#majors + 1] = v end
      table.sort(majors)
      minors = {}
    end
    for i, v in ipairs(majors) do labels[i] = T.log_label(v, true) end
  else
    local nbins = T.nbins_for(length, rc.font_size, which == "y")
    majors = T.in_view(T.nice_ticks(lim[1], lim[2], nbins), lim[1], lim[2])
    labels, offset = T.format_ticks(majors, lim[1], lim[2])
  end
  return majors, labels, minors, offset
end

-- ---- drawing helpers ----

-- Rounds a coordinate to the device pixel grid so 1-pixel lines stay
-- sharp, as matplotlib's snapping does (raster output only).
function Axes:snap(v, lw)
  local s = self.snap_scale
  if not s then return v end
  local px = math.max(1, math.floor(lw * s + 0.5))
  local d = v * s
  if px % 2 == 1 then d = math.floor(d) + 0.5 else d = math.floor(d + 0.5) end
  return d / s
end

-- Rounds a rectangle's edge to whole device pixels, so adjacent bars meet
-- without a seam (raster output only).
function Axes:snap_edge(v)
  local s = self.snap_scale
  if not s then return v end
  return math.floor(v * s + 0.5) / s
end

-- Draws (or measures) a tick label: a string, or {text=, sup=} for 10^k.
local function draw_label(cv, lab, x, y, o)
  if type(lab) ~= "table" then return cv:text(lab, x, y, o) end
  local size = o.size
  local measure = {size = size, draw = false}
  local bx0, _, bx1 = cv:text(lab.text, 0, 0, measure)
  local sx0, _, sx1 = cv:text(lab.sup, 0, 0, {size = size * 0.7, draw = false})
  local wb, ws = bx1 - bx0, sx1 - sx0
  local total = wb + ws
  local left = x - (o.ha or 0) * total
  local b = {size = size, ha = 0, va = o.va, draw = o.draw}
  local x0, y0, _, y1 = cv:text(lab.text, left, y, b)
  -- the exponent sits on the base's ascent line
  local _, ty0 = cv:text(lab.text, left, y, {size = size, ha = 0, va = o.va, draw = false})
  local sy = ty0 + size * 0.25
  local _, s0 = cv:text(lab.sup, left + wb, sy, {size = size * 0.7, ha = 0, va = "center", draw = o.draw})
  return x0, math.min(y0, s0), left + total, y1
end
Axes.draw_label = draw_label

local function set_rgba(cv, c, alpha)
  cv:set_color(c[1], c[2], c[3], (c[4] or 1) * (alpha or 1))
end

function Axes:draw_grid(cv)
  local g = self.grid_style
  local b = self.box
  cv:save()
  cv:new_path()
  cv:rectangle(b[1], b[2], b[3] - b[1], b[4] - b[2])
  cv:clip()
  cv:set_line(g.linewidth, "butt", "round", S.dashes(g.linestyle, g.linewidth))
  set_rgba(cv, g.color, g.alpha)
  cv:new_path()
  if g.axis ~= "y" then
    for _, v in ipairs(self.ticks.x.majors) do
      local X = self:snap(self:x_to_pt(v), g.linewidth)
      cv:move_to(X, b[2])
      cv:line_to(X, b[4])
    end
  end
  if g.axis ~= "x" then
    for _, v in ipairs(self.ticks.y.majors) do
      local Y = self:snap(self:y_to_pt(v), g.linewidth)
      cv:move_to(b[1], Y)
      cv:line_to(b[3], Y)
    end
  end
  if g.linestyle ~= "none" then cv:stroke() end
  cv:new_path()
  cv:restore()
end

function Axes:x_to_pt(v)
  local tf = self.tf
  if tf.logx then v = log10(v) end
  return tf.ax * v + tf.bx
end

function Axes:y_to_pt(v)
  local tf = self.tf
  if tf.logy then v = log10(v) end
  return tf.ay * v + tf.by
end

-- Ticks, tick labels and offset text of one axis; returns the outer edge
-- of the labels (bottom for x, left for y) for the axis label.
local function draw_axis(self, cv, which)
  local t = self.ticks[which]
  local b = self.box
  local user = self[which .. "ticks_user"] or {}
  local size = user.fontsize or rc.font_size
  cv:set_color(0, 0, 0, 1)
  cv:set_line(rc.tick_width, "butt", "miter")
  cv:new_path()
  local function tick(v, len, lw)
    if which == "x" then
      local X = self:snap(self:x_to_pt(v), lw)
      cv:move_to(X, b[4])
      cv:line_to(X, b[4] + len)
    else
      local Y = self:snap(self:y_to_pt(v), lw)
      cv:move_to(b[1], Y)
      cv:line_to(b[1] - len, Y)
    end
  end
  for _, v in ipairs(t.majors) do tick(v, rc.tick_size, rc.tick_width) end
  cv:stroke()
  if #t.minors > 0 then
    cv:set_line(rc.minor_tick_width, "butt", "miter")
    for _, v in ipairs(t.minors) do tick(v, rc.minor_tick_size, rc.minor_tick_width) end
    cv:stroke()
  end
  local pad = rc.tick_size + rc.tick_pad
  local edge = which == "x" and b[4] + pad or b[1] - pad
  for i, v in ipairs(t.majors) do
    local lab = t.labels[i]
    if lab and lab ~= "" then
      local x0, y0, x1, y1
      if which == "x" then
        local o = {size = size, ha = 0.5, va = "top", rotation = user.rotation}
        if user.rotation and user.rotation ~= 0 then o.ha = user.rotation > 0 and 1 or 0 end
        x0, y0, x1, y1 = draw_label(cv, lab, self:x_to_pt(v), b[4] + pad, o)
        edge = math.max(edge, y1)
      else
        x0, y0, x1, y1 = draw_label(cv, lab, b[1] - pad, self:y_to_pt(v),
          {size = size, ha = 1, va = "center_baseline", rotation = user.rotation})
        edge = math.min(edge, x0)
      end
      self:grow(x0, y0, x1, y1)
    end
  end
  if t.offset ~= "" then
    if which == "x" then
      local x0, y0, x1, y1 = cv:text(t.offset, b[3], edge + 2, {size = size, ha = 1, va = "top"})
      t.offset_bottom = y1
      self:grow(x0, y0, x1, y1)
    else
      local x0, y0, x1, y1 = cv:text(t.offset, b[1], b[2] - 4, {size = size, ha = 0, va = "baseline"})
      t.offset_top = y0
      self:grow(x0, y0, x1, y1)
    end
  end
  return edge
end

local function draw_title(self, cv, top)
  local t = self.title
  local b = self.box
  local x = t.loc == "left" and b[1] or t.loc == "right" and b[3] or (b[1] + b[3]) / 2
  local ha = t.loc == "left" and 0 or t.loc == "right" and 1 or 0.5
  set_rgba(cv, t.color)
  self:grow(cv:text(t.text, x, top - t.pad, {size = t.fontsize, ha = ha, va = "baseline",
    bold = t.fontweight == "bold"}))
end

-- Widens self.extent (the box and everything drawn around it) to a bbox.
function Axes:grow(x0, y0, x1, y1)
  local e = self.extent
  e[1], e[2], e[3], e[4] = math.min(e[1], x0), math.min(e[2], y0), math.max(e[3], x1), math.max(e[4], y1)
end

-- Draws the axes; snap_scale (device pixels per point) is given for raster
-- canvases, where lines are snapped to the pixel grid.
function Axes:draw(cv, snap_scale, measure)
  self.snap_scale = snap_scale
  local b = self.box
  self.extent = {b[1], b[2], b[3], b[4]}
  if self.axis_on then
    cv:new_path()
    cv:rectangle(b[1], b[2], b[3] - b[1], b[4] - b[2])
    set_rgba(cv, self.facecolor)
    cv:fill()
  end
  local xt = {}
  xt.majors, xt.labels, xt.minors, xt.offset = tick_list(self, "x")
  local yt = {}
  yt.majors, yt.labels, yt.minors, yt.offset = tick_list(self, "y")
  self.ticks = {x = xt, y = yt}
  -- artists by zorder (stable), the grid at 1.5 among them
  local items = {}
  if not measure then
    for i, a in ipairs(self.artists) do items[#items + 1] = {z = a.zorder or 2, i = i, a = a} end
  end
  if self.grid_on and self.axis_on then items[#items + 1] = {z = 1.5, i = 0, grid = true} end
  table.sort(items, function(p, q) if p.z ~= q.z then return p.z < q.z end return p.i < q.i end)
  local spines_done = false
  local function spines()
    if spines_done or not self.axis_on then return end
    spines_done = true
    cv:set_color(0, 0, 0, 1)
    cv:set_line(rc.axes_linewidth, "square", "miter")
    cv:new_path()
    local lw = rc.axes_linewidth
    local x0, x1 = self:snap(b[1], lw), self:snap(b[3], lw)
    local y0, y1 = self:snap(b[2], lw), self:snap(b[4], lw)
    cv:rectangle(x0, y0, x1 - x0, y1 - y0)
    cv:stroke()
  end
  for _, it in ipairs(items) do
    if it.z > 2.5 then spines() end
    if it.grid then self:draw_grid(cv) else it.a:draw(cv, self) end
  end
  spines()
  local top = b[2]
  if self.axis_on then
    local bottom_edge = draw_axis(self, cv, "x")
    local left_edge = draw_axis(self, cv, "y")
    if self.xlabel then
      local l = self.xlabel
      set_rgba(cv, l.color)
      self:grow(cv:text(l.text, (b[1] + b[3]) / 2, bottom_edge + l.pad,
        {size = l.fontsize, ha = 0.5, va = "top", bold = l.fontweight == "bold"}))
    end
    if self.ylabel then
      local l = self.ylabel
      set_rgba(cv, l.color)
      self:grow(cv:text(l.text, left_edge - l.pad, (b[2] + b[4]) / 2,
        {size = l.fontsize, ha = 0.5, va = "bottom", rotation = 90, anchor = true, bold = l.fontweight == "bold"}))
    end
    if self.ticks.y.offset_top then top = math.min(top, self.ticks.y.offset_top - 2) end
  end
  if self.title then draw_title(self, cv, top) end
  if self.legend_spec and not measure then legend.draw(self, cv) end
end

return Axes
