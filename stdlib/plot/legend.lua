-- plot/legend.lua: the legend box of an axes: its entries (labelled
-- artists), its size from the label text, its place (a named location or
-- "best": of matplotlib's ten candidate spots, the one covering the fewest
-- data points, crossing lines and bars), and its drawing: a rounded,
-- slightly transparent frame with a handle and a label per entry.
local C = require("tensh.canvas")
local S = require("plot.style")

local L = {}

function L.entries(ax)
  local spec = ax.legend_spec
  local out = {}
  if spec.labels then
    -- labels given to legend() go to the artists in order
    local k = 1
    for _, a in ipairs(ax.artists) do
      if k > #spec.labels then break end
      if a.legend_draw and not a.errorbar_child then
        out[#out + 1] = {artist = a, label = tostring(spec.labels[k])}
        k = k + 1
      end
    end
    return out
  end
  for _, a in ipairs(ax.artists) do
    if a.label and a.label ~= "" and a.label:sub(1, 1) ~= "_" and a.legend_draw then
      out[#out + 1] = {artist = a, label = a.label}
    end
  end
  return out
end

-- Anchored box origin (x, y top-left) of a w x h legend for loc 1..10.
local function place(b, loc, w, h, pad)
  local left, right = b[1] + pad, b[3] - pad - w
  local top, bottom = b[2] + pad, b[4] - pad - h
  local cx, cy = (b[1] + b[3] - w) / 2, (b[2] + b[4] - h) / 2
  local spots = {
    {right, top}, {left, top}, {left, bottom}, {right, bottom}, {right, cy},
    {left, cy}, {right, cy}, {cx, bottom}, {cx, top}, {cx, cy},
  }
  return spots[loc][1], spots[loc][2]
end

local function best_loc(ax, w, h, pad)
  local rects = {}
  for loc = 1, 10 do
    local x, y = place(ax.box, loc, w, h, pad)
    local r = #rects
    rects[r + 1], rects[r + 2], rects[r + 3], rects[r + 4] = x, y, x + w, y + h
  end
  local bad = {}
  for i = 1, 10 do bad[i] = 0 end
  for _, a in ipairs(ax.artists) do
    for _, d in ipairs(a:legend_data(ax)) do
      if d.x then
        local counts = C.count_in_rects(d.x, d.y, d.tf, rects, d.lines)
        for i = 1, 10 do bad[i] = bad[i] + counts[i] end
      elseif d.boxes then
        for i = 1, 10 do
          local x0, y0, x1, y1 = rects[4 * i - 3], rects[4 * i - 2], rects[4 * i - 1], rects[4 * i]
          for _, bb in ipairs(d.boxes) do
            if bb[1] < x1 and bb[3] > x0 and bb[2] < y1 and bb[4] > y0 then bad[i] = bad[i] + 1 end
          end
        end
      end
    end
  end
  local best = 1
  for i = 2, 10 do
    if bad[i] < bad[best] then best = i end
  end
  return best
end

local function rounded_rect(cv, x, y, w, h, r)
  cv:new_path()
  cv:move_to(x + r, y)
  cv:line_to(x + w - r, y)
  cv:arc(x + w - r, y + r, r, -math.pi / 2, 0)
  cv:line_to(x + w, y + h - r)
  cv:arc(x + w - r, y + h - r, r, 0, math.pi / 2)
  cv:line_to(x + r, y + h)
  cv:arc(x + r, y + h - r, r, math.pi / 2, math.pi)
  cv:line_to(x, y + r)
  cv:arc(x + r, y + r, r, math.pi, 3 * math.pi / 2)
  cv:close_path()
end

function L.draw(ax, cv)
  local spec = ax.legend_spec
  local entries = L.entries(ax)
  if #entries == 0 then return end
  local R = S.rc.legend
  local fs = spec.fontsize
  -- measure
  local widths, th = {}, 0
  for i, e in ipairs(entries) do
    local x0, y0, x1, y1 = cv:text(e.label, 0, 0, {size = fs, draw = false})
    widths[i] = x1 - x0
    th = math.max(th, y1 - y0)
  end
  local row_h = math.max(th, R.handleheight * fs)
  local ncol = math.min(spec.ncol, #entries)
  local rows = math.ceil(#entries / ncol)
  local colw = {}
  for c = 1, ncol do
    colw[c] = 0
    for r = 1, rows do
      local i = (c - 1) * rows + r
      if widths[i] then colw[c] = math.max(colw[c], widths[i]) end
    end
    colw[c] = colw[c] + (R.handlelength + R.handletextpad) * fs
  end
  local cw = (ncol - 1) * 2.0 * fs
  for c = 1, ncol do cw = cw + colw[c] end
  local ch = rows * row_h + (rows - 1) * R.labelspacing * fs
  local title_h = 0
  if spec.title then
    local tx0, ty0, tx1, ty1 = cv:text(spec.title, 0, 0, {size = fs, draw = false})
    title_h = ty1 - ty0 + R.labelspacing * fs
    cw = math.max(cw, tx1 - tx0)
  end
  local pad = R.borderpad * fs
  local w, h = cw + 2 * pad, ch + title_h + 2 * pad
  local loc = spec.loc
  if loc == 0 then loc = best_loc(ax, w, h, R.borderaxespad * fs) end
  ax.legend_loc = loc -- where it went (tests read it)
  local x, y = place(ax.box, loc, w, h, R.borderaxespad * fs)
  if spec.frameon then
    rounded_rect(cv, x, y, w, h, 0.2 * fs)
    cv:set_color(1, 1, 1, spec.framealpha)
    cv:fill(true)
    cv:set_line(1, "butt", "miter")
    local e = R.edgecolor
    cv:set_color(e[1], e[2], e[3], spec.framealpha)
    cv:stroke()
  end
  local cy = y + pad
  if spec.title then
    cv:set_color(0, 0, 0, 1)
    cv:text(spec.title, x + w / 2, cy, {size = fs, ha = 0.5, va = "top"})
    cy = cy + title_h
  end
  local cx = x + pad
  for c = 1, ncol do
    for r = 1, rows do
      local i = (c - 1) * rows + r
      local e = entries[i]
      if e then
        local mid = cy + (r - 1) * (row_h + R.labelspacing * fs) + row_h / 2
        cv:save()
        e.artist:legend_draw(cv, cx, mid, R.handlelength * fs, R.handleheight * fs)
        cv:restore()
        cv:set_color(0, 0, 0, 1)
        cv:text(e.label, cx + (R.handlelength + R.handletextpad) * fs, mid, {size = fs, va = "center"})
      end
    end
    cx = cx + colw[c] + 2.0 * fs
  end
end

return L
