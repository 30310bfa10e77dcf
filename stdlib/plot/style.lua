-- plot/style.lua: matplotlib's default look as numbers (rc), and the small
-- languages of styles: format strings ("ro--"), line styles and their dash
-- patterns, marker names. All sizes are in points, so figures keep their
-- proportions at any DPI. It parses and validates; it never draws.
local U = require("plot.util")

local S = {}

S.rc = {
  figsize = {6.4, 4.8}, dpi = 100,
  subplot = {left = 0.125, right = 0.9, bottom = 0.11, top = 0.88, wspace = 0.2, hspace = 0.2},
  font_size = 10, title_size = 12, suptitle_size = 12,
  linewidth = 1.5, markersize = 6, markeredgewidth = 1,
  axes_linewidth = 0.8, tick_size = 3.5, tick_width = 0.8, tick_pad = 3.5,
  minor_tick_size = 2, minor_tick_width = 0.6,
  label_pad = 4, title_pad = 6, margin = 0.05,
  grid_color = {0.690, 0.690, 0.690, 1}, grid_linewidth = 0.8,
  legend = {fontsize = 10, borderpad = 0.4, labelspacing = 0.5, handlelength = 2.0, handleheight = 0.7,
            handletextpad = 0.8, borderaxespad = 0.5, framealpha = 0.8, edgecolor = {0.8, 0.8, 0.8}},
  bar_width = 0.8, hist_bins = 10, image_cmap = "viridis",
  dashed = {3.7, 1.6}, dashdot = {6.4, 1.6, 1, 1.6}, dotted = {1, 1.65},
}

-- Line styles: name -> canonical; "" and "none" draw no line.
local linestyles = {
  ["-"] = "-", solid = "-", ["--"] = "--", dashed = "--", ["-."] = "-.", dashdot = "-.",
  [":"] = ":", dotted = ":", [""] = "none", [" "] = "none", none = "none", None = "none",
}
S.linestyle_names = linestyles

S.markers = U.set({"o", ".", ",", "s", "D", "d", "^", "v", "<", ">", "*", "p", "h", "P", "X", "+", "x", "|", "_"})
S.line_markers = U.set({"+", "x", "|", "_", ","})

function S.linestyle(ls, fname)
  if ls == nil then return nil end
  local c = type(ls) == "string" and linestyles[ls]
  if not c then
    U.fail(string.format("%s: unknown linestyle %s (expected '-', '--', '-.', ':', 'none' or their " ..
      "names solid, dashed, dashdot, dotted)", fname, type(ls) == "string" and ("'" .. ls .. "'") or U.typename(ls)))
  end
  return c
end

function S.marker(m, fname)
  if m == nil or m == "" or m == "none" or m == "None" then return nil end
  if type(m) ~= "string" or not S.markers[m] then
    U.fail(string.format("%s: unknown marker %s (expected one of o . , s D d ^ v < > * p h P X + x | _)",
      fname, type(m) == "string" and ("'" .. m .. "'") or U.typename(m)))
  end
  return m
end

-- Dash lengths in points for a canonical style at a line width (matplotlib
-- scales its patterns by the width), or nil for solid.
function S.dashes(ls, lw)
  local p = ls == "--" and S.rc.dashed or ls == "-." and S.rc.dashdot or ls == ":" and S.rc.dotted
  if not p then return nil end
  local d = {}
  for i, v in ipairs(p) do d[i] = v * math.max(lw, 0.1) end
  return d
end

-- A matplotlib format string: [colour][marker][line], any order, e.g.
-- "ro", "k--", "C2-.", "s:". Returns {color=, marker=, linestyle=}.
function S.parse_fmt(fmt, fname)
  local out = {}
  local i, n = 1, #fmt
  local function bad()
    U.fail(string.format("%s: cannot read the format string '%s' (a colour b g r c m y k w or C0..C9, " ..
      "a marker like o s ^ x, a line - -- -. :)", fname, fmt))
  end
  while i <= n do
    local two = fmt:sub(i, i + 1)
    local one = fmt:sub(i, i)
    if two == "--" or two == "-." then
      if out.linestyle then bad() end
      out.linestyle, i = two, i + 2
    elseif one == "-" or one == ":" then
      if out.linestyle then bad() end
      out.linestyle, i = one, i + 1
    elseif one == "C" and fmt:sub(i + 1, i + 1):match("%d") then
      if out.color then bad() end
      out.color, i = "C" .. fmt:sub(i + 1, i + 1), i + 2
    elseif one:match("[bgrcmykw]") then
      if out.color then bad() end
      out.color, i = one, i + 1
    elseif S.markers[one] then
      if out.marker then bad() end
      out.marker, i = one, i + 1
    else
      bad()
    end
  end
  -- a marker alone means no line, as in matplotlib
  if out.marker and not out.linestyle then out.linestyle = "none" end
  return out
end

-- Horizontal / vertical alignment words to the C layer's terms.
S.ha = {left = 0, center = 0.5, centre = 0.5, right = 1}
S.va = U.set({"top", "bottom", "center", "baseline", "center_baseline"})

return S
