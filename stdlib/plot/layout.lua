-- plot/layout.lua: tight_layout: measures how far each subplot's tick
-- labels, axis labels and title reach past its grid cell (by drawing the
-- decorations onto a scratch canvas) and moves the subplot edges and gaps
-- so that nothing leaves the figure or overlaps its neighbour.
local C = require("tensh.canvas")

local M = {}

local function overflow(ax, W, H, fig)
  -- the cell in points, before a colour bar or an aspect shrinks the box
  local saved = ax.colorbar_room
  ax.colorbar_room = nil
  local p = ax:position()
  ax.colorbar_room = saved
  local cell = {p[1] * W, (1 - p[2] - p[4]) * H, (p[1] + p[3]) * W, (1 - p[2]) * H}
  local e = {ax.extent[1], ax.extent[2], ax.extent[3], ax.extent[4]}
  for _, cb in ipairs(fig.axes) do
    if cb.is_colorbar and cb.parent == ax and cb.extent then
      e[3] = math.max(e[3], cb.extent[3])
    end
  end
  return math.max(0, cell[1] - e[1]), math.max(0, cell[2] - e[2]), math.max(0, e[3] - cell[3]),
    math.max(0, e[4] - cell[4])
end

function M.tight(fig, pad)
  local W, H = fig.size[1] * 72, fig.size[2] * 72
  local padpt = pad * 10
  local grid = {}
  local rows, cols = 1, 1
  for _, ax in ipairs(fig.axes) do
    if ax.spec then
      grid[#grid + 1] = ax
      rows, cols = math.max(rows, ax.spec.rows), math.max(cols, ax.spec.cols)
    end
  end
  if #grid == 0 then return end
  for _ = 1, 3 do
    local cv = C.memory(1, 1, 1)
    fig:draw(cv, false, true)
    local left, right, top, bottom = 0, 0, 0, 0
    -- gaps: [k] what sticks out after column/row k, [-k] before column/row k + 1
    local hgap, vgap = {}, {}
    for _, ax in ipairs(grid) do
      local s = ax.spec
      -- scale a subplot of another grid to this one's cells
      local c0 = math.floor((s.col0 - 1) * cols / s.cols) + 1
      local c1 = math.floor(s.col1 * cols / s.cols)
      local r0 = math.floor((s.row0 - 1) * rows / s.rows) + 1
      local r1 = math.floor(s.row1 * rows / s.rows)
      local l, t, r, b = overflow(ax, W, H, fig)
      if c0 == 1 then left = math.max(left, l) end
      if c1 == cols then right = math.max(right, r) end
      if r0 == 1 then top = math.max(top, t) end
      if r1 == rows then bottom = math.max(bottom, b) end
      if c0 > 1 then hgap[-(c0 - 1)] = math.max(hgap[-(c0 - 1)] or 0, l) end
      if c1 < cols then hgap[c1] = math.max(hgap[c1] or 0, r) end
      if r0 > 1 then vgap[-(r0 - 1)] = math.max(vgap[-(r0 - 1)] or 0, t) end
      if r1 < rows then vgap[r1] = math.max(vgap[r1] or 0, b) end
    end
    -- the suptitle takes a band at the top, above the subplots' own titles
    if fig.sup then top = top + (1 - fig.sup.y) * H + fig.sup.fontsize * 1.3 end
    local sp = fig.subplotpars
    sp.left = math.min(0.45, (left + padpt) / W)
    sp.right = math.max(0.55, 1 - (right + padpt) / W)
    sp.top = math.max(0.55, 1 - (top + padpt) / H)
    sp.bottom = math.min(0.45, (bottom + padpt) / H)
    local gw, gh = 0, 0
    for c = 1, cols - 1 do gw = math.max(gw, (hgap[c] or 0) + (hgap[-c] or 0) + padpt) end
    for r = 1, rows - 1 do gh = math.max(gh, (vgap[r] or 0) + (vgap[-r] or 0) + padpt) end
    local tw, th = (sp.right - sp.left) * W, (sp.top - sp.bottom) * H
    local cw = (tw - (cols - 1) * gw) / cols
    local ch = (th - (rows - 1) * gh) / rows
    sp.wspace = cols > 1 and cw > 0 and gw / cw or 0.2
    sp.hspace = rows > 1 and ch > 0 and gh / ch or 0.2
  end
  fig.stale = true
end

return M
