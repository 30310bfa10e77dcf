-- plot/init.lua: the `plot` module as users see it: matplotlib's pyplot
-- state machine (a current figure and axes that plot.plot, plot.title...
-- act on), figure/subplot/subplots/close, savefig/show, and the object
-- form underneath (fig:..., ax:...). Drawing lives in the other plot/ files
-- and the C canvas; this file only keeps state and registers help.
local U = require("plot.util")
local colors = require("plot.colors")
local Axes = require("plot.axes")
local Figure = require("plot.figure")
local show = require("plot.show")
local curves = require("plot.curves")

local plot = {}

local figures = {}   -- open figures in the order they were made
local current        -- the current figure

local function def(name, help, fn)
  plot[name] = fn
  tensor.sethelp(fn, help)
end

local function find(num)
  for i, f in ipairs(figures) do
    if f.number == num then return f, i end
  end
end

local function next_number()
  local n = 1
  while find(n) do n = n + 1 end
  return n
end

local function new_figure(num, opts, fname)
  local fig = Figure.new(num or next_number(), opts, fname)
  figures[#figures + 1] = fig
  current = fig
  return fig
end

local function gcf()
  if not current then new_figure(nil, nil, "gcf") end
  return current
end

local function gca()
  local fig = gcf()
  if not fig.current_axes then fig.current_axes = fig:add_subplot(1, 1, 1) end
  return fig.current_axes
end

show.current_figure = gcf

def("figure", [[
plot.figure([num] [, opts]) -> Figure
Makes a new figure the current one (or makes figure `num` current, creating it if needed).
opts: size ({width, height} in inches, {6.4, 4.8}), dpi (100), facecolor.
  local fig = plot.figure{size={8, 3}, dpi=120}]],
function(num, opts)
  if Axes.is_options(num) then num, opts = nil, num end
  if num ~= nil and (type(num) ~= "number" or num < 1 or num ~= math.floor(num)) then
    U.fail(string.format("figure: num must be a whole number >= 1, got %s", U.typename(num)))
  end
  if num ~= nil then
    local f = find(num)
    if f then
      current = f
      if opts ~= nil then U.options("figure", opts, {}) end
      return f
    end
  end
  return new_figure(num, opts, "figure")
end)

def("gcf", [[
plot.gcf() -> Figure
The current figure (made if there is none).
  plot.gcf():savefig("out.png")]], gcf)

def("gca", [[
plot.gca() -> Axes
The current axes of the current figure (made if there are none).
  plot.gca():set_xlim(0, 10)]], gca)

def("sca", [[
plot.sca(ax)
Makes ax (and its figure) current, so plot.* calls draw into it.
  plot.sca(axes[2])]],
function(ax)
  if getmetatable(ax) ~= Axes then U.fail(string.format("sca: an Axes expected, got %s", U.typename(ax))) end
  if not find(ax.fig.number) then figures[#figures + 1] = ax.fig end
  current = ax.fig
  ax.fig.current_axes = ax
end)

def("subplot", [[
plot.subplot(rows, cols, index) -> Axes
Makes the axes in cell index (1-based, row by row) of a rows x cols grid in the current figure
current, creating it if needed; subplot(221) is subplot(2, 2, 1).
  plot.subplot(1, 2, 1); plot.plot(loss); plot.subplot(1, 2, 2); plot.plot(acc)]],
function(rows, cols, index)
  local fig = gcf()
  local ax = fig:add_subplot(rows, cols, index)
  fig.current_axes = ax
  return ax
end)

local subplots_opts = U.set({"size", "figsize", "dpi", "facecolor", "squeeze"})

def("subplots", [[
plot.subplots([rows, cols] [, opts]) -> Figure, axes
A new figure with a rows x cols grid of axes: one Axes for 1x1, a list for one row or column,
else axes[row][col] (squeeze=false always gives the 2-level table). opts: size, dpi,
facecolor, squeeze.
  local fig, axes = plot.subplots(2, 2); axes[1][2]:plot(x, y)]],
function(rows, cols, opts)
  if Axes.is_options(rows) then rows, cols, opts = nil, nil, rows end
  if Axes.is_options(cols) then cols, opts = nil, cols end
  rows, cols = rows or 1, cols or 1
  for _, v in ipairs({rows, cols}) do
    if type(v) ~= "number" or v < 1 or v ~= math.floor(v) or v > 100 then
      U.fail(string.format("subplots: rows and cols must be whole numbers from 1 to 100, got %s", tostring(v)))
    end
  end
  local o = U.options("subplots", opts, subplots_opts)
  U.check_opt("subplots", "squeeze", o.squeeze, "boolean")
  local fig = new_figure(nil, {size = o.size or o.figsize, dpi = o.dpi, facecolor = o.facecolor}, "subplots")
  local grid = {}
  for r = 1, rows do
    grid[r] = {}
    for c = 1, cols do grid[r][c] = fig:add_subplot(rows, cols, (r - 1) * cols + c) end
  end
  fig.current_axes = grid[1][1]
  if o.squeeze == false then return fig, grid end
  if rows == 1 and cols == 1 then return fig, grid[1][1] end
  if rows == 1 then return fig, grid[1] end
  if cols == 1 then
    local col = {}
    for r = 1, rows do col[r] = grid[r][1] end
    return fig, col
  end
  return fig, grid
end)

local function close_figs(list)
  for _, f in ipairs(list) do
    local _, i = find(f.number)
    if i and figures[i] == f then table.remove(figures, i) end
    if current == f then current = figures[#figures] end
  end
end

def("close", [[
plot.close([fig])
Closes the current figure, a given Figure or figure number, or every figure with "all".
  plot.close("all")]],
function(which)
  if which == "all" then
    figures, current = {}, nil
    return
  end
  local fig
  if which == nil then fig = current
  elseif getmetatable(which) == Figure then fig = which
  elseif type(which) == "number" then fig = find(which)
  else U.fail(string.format("close: a Figure, a figure number or 'all' expected, got %s", U.typename(which))) end
  if fig then close_figs({fig}) end
end)

def("clf", [[
plot.clf()
Clears the current figure: removes its axes.
  plot.clf()]],
function()
  local fig = gcf()
  fig.axes, fig.current_axes, fig.sup = {}, nil, nil
end)

def("cla", [[
plot.cla()
Clears the current axes.
  plot.cla()]], function() gca():cla() end)

def("savefig", [[
plot.savefig(path [, opts])
Writes the current figure to path (.png, .svg or .pdf), atomically: a failed save leaves any
old file whole. opts: dpi, format, facecolor, transparent.
  plot.savefig("loss.png")]],
function(path, opts) return gcf():savefig(path, opts) end)

def("show", [[
plot.show([fig])
Draws the open figures (or fig) in the terminal: kitty, iTerm2 or sixel graphics where the
terminal has them, else coloured Unicode blocks, sized to the window; when stdout is not a
terminal, or TENSH_PLOT=file, saves PNGs in $TMPDIR and prints their paths. TENSH_PLOT=symbols,
sixel, kitty or iterm forces a protocol. Shown figures are closed, as in matplotlib.
  plot.plot({1, 3, 2}); plot.show()]],
function(fig)
  local list
  if fig ~= nil then
    if getmetatable(fig) ~= Figure then U.fail(string.format("show: a Figure expected, got %s", U.typename(fig))) end
    list = {fig}
  else
    list = {}
    for i, f in ipairs(figures) do list[i] = f end
  end
  return show.show(list, close_figs)
end)

def("pdf_pages", [[
plot.pdf_pages(path) -> PdfPages
A multi-page PDF: pp:savefig([fig]) adds a page, pp:close() writes the file (atomically).
Also closes itself as a to-be-closed variable.
  local pp <close> = plot.pdf_pages("report.pdf"); pp:savefig(fig1); pp:savefig(fig2)]],
function(path) return show.pdf_pages(path) end)

-- ---- pyplot wrappers of Axes methods ----

for _, name in ipairs(Axes.order) do
  local wrapped = {set_title = "title", set_xlabel = "xlabel", set_ylabel = "ylabel", set_xscale = "xscale",
    set_yscale = "yscale", cla = false, get_xlim = false, get_ylim = false, set_xlim = false, set_ylim = false,
    set_xticks = "xticks", set_yticks = "yticks", set_aspect = false, invert_xaxis = false,
    invert_yaxis = false}
  local pname = wrapped[name]
  if pname == nil then pname = name end
  if pname then
    local help = Axes.help[name]:gsub("{P}" .. name, "plot." .. pname):gsub("{P}", "plot.")
    def(pname, help, function(...) return gca()[name](gca(), ...) end)
  end
end

local function lim(name, which)
  def(name, string.format([[
plot.%s([lo, hi]) -> lo, hi
With arguments, fixes the %s view to lo..hi (either may be nil); always returns the view.
  plot.%s(0, 1)]], name, which, name),
  function(...)
    local ax = gca()
    if select("#", ...) > 0 then ax["set_" .. name](ax, ...) end
    return ax["get_" .. name](ax)
  end)
end
lim("xlim", "x")
lim("ylim", "y")

def("suptitle", [[
plot.suptitle(text [, opts])
A title centred over the whole current figure. opts: fontsize, color, fontweight, y.
  plot.suptitle("Fashion-MNIST samples")]],
function(s, opts) return gcf():suptitle(s, opts) end)

def("colorbar", [[
plot.colorbar([mappable] [, opts]) -> Colorbar
A colour bar for an image or colour-mapped scatter (the last in the current axes by default).
opts: ax, label, fraction, pad, shrink.
  local im = plot.imshow(img); plot.colorbar(im, {label="value"})]],
function(m, opts) return gcf():colorbar(m, opts) end)

def("tight_layout", [[
plot.tight_layout([opts])
Fits the current figure's subplots so their labels neither overlap nor leave the figure.
opts: pad (in font sizes, 1.08).
  plot.tight_layout()]],
function(opts) return gcf():tight_layout(opts) end)

def("colormaps", [[
plot.colormaps() -> {names}
The colour map names imshow, scatter and colorbar take (each also reversed with '_r').
  for _, name in ipairs(plot.colormaps()) do print(name) end]],
function() return colors.cmap_names() end)

def("training_curves", [[
plot.training_curves(history [, path] [, opts]) -> Figure
The end-of-training picture: losses per epoch on the left, accuracies on the right (keys named
*loss* and *acc*), train in C0 and test in C1. history: {train_loss={...}, test_acc={...}} or a
list of per-epoch tables {{train_loss=0.5, test_acc=0.85}, ...}. Saves to path when given.
opts: title, show (draw it in the terminal too), size, dpi.
  plot.training_curves(history, "train_fmnist.png", {title="Fashion-MNIST", show=true})]],
function(history, path, opts) return curves.training_curves(plot, history, path, opts) end)

tensor.sethelp(plot, [[
plot: matplotlib-style figures (PNG, SVG, PDF) drawn with Cairo, and shown in the terminal.
pyplot's state machine (plot.plot, plot.xlabel, ... act on the current axes) and the object form
(local fig, ax = plot.subplots(); ax:plot(x, y)). Inputs are tensors of any dtype or Lua tables;
x positions and image pixels count from 1. docs/plot.md shows every kind with its picture.
  plot.plot(x, y, {label="train"}); plot.legend(); plot.savefig("loss.png"); plot.show()]])

-- Help for the methods of figures and axes, under their object names.
for _, name in ipairs(Figure.order) do
  tensor.sethelp(Figure[name], (Figure.help[name]:gsub("{F}", "fig:")))
end

-- For tests: the PNG reader and the hook savefig calls with the canvas.
plot._read_png = require("tensh.canvas").read_png
tensor.sethelp(plot._read_png, "plot._read_png(path) -> Tensor\nA PNG file's pixels as an H x W x 4 " ..
  "uint8 RGBA tensor (for tests).\n  local px = plot._read_png(path)")
plot._Figure, plot._Axes = Figure, Axes

return plot
