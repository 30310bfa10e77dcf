-- test_plot_api.lua: the plot module as users call it: the pyplot state
-- machine and the object form, subplots' shapes, inputs of every dtype and
-- layout, help texts, training_curves, vision.make_grid, and many bad
-- calls that must give clear Lua errors (and leave the interpreter working).
local T = require("testlib")

local function png_of(fig)
  local p = T.tmp(".png")
  fig:savefig(p)
  local px = plot._read_png(p)
  os.remove(p)
  return px
end

local function same_pixels(a, b)
  if a:numel() ~= b:numel() then return false end
  local ta, tb = a:reshape(a:numel()):totable(), b:reshape(b:numel()):totable()
  for i = 1, #ta do
    if ta[i] ~= tb[i] then return false end
  end
  return true
end

T.test("pyplot state: figures, current axes, subplot, close", function()
  plot.close("all")
  local f1 = plot.figure()
  T.eq(f1.number, 1)
  local a = plot.subplot(2, 1, 1)
  T.eq(plot.gca(), a)
  local b = plot.subplot(212)
  T.eq(plot.gca(), b)
  T.eq(plot.subplot(2, 1, 1), a) -- the existing one
  local f2 = plot.figure()
  T.eq(f2.number, 2)
  T.eq(plot.gcf(), f2)
  T.eq(plot.figure(1), f1)
  T.eq(plot.gcf(), f1)
  plot.close()
  T.eq(plot.gcf(), f2)
  plot.close(2)
  local f3 = plot.gcf() -- a fresh figure
  T.eq(f3.number, 1)
  plot.plot({1, 2})
  plot.clf()
  T.eq(#f3.axes, 0)
  plot.close("all")
end)

T.test("subplots: one Axes, a list, or rows of axes", function()
  local fig, ax = plot.subplots()
  T.eq(getmetatable(ax), plot._Axes)
  T.eq(#fig.axes, 1)
  fig, ax = plot.subplots(1, 3)
  T.eq(#ax, 3)
  T.eq(getmetatable(ax[3]), plot._Axes)
  fig, ax = plot.subplots(3, 1)
  T.eq(#ax, 3)
  fig, ax = plot.subplots(2, 2, {size = {8, 6}, dpi = 50})
  T.eq(#ax, 2)
  T.eq(#ax[1], 2)
  T.eq(fig.size[1], 8)
  T.eq(fig.dpi, 50)
  ax[2][1]:plot({1, 2, 3})
  T.eq(#ax[2][1].artists, 1)
  local px = png_of(fig)
  T.eq(px:size(1), 300)
  fig, ax = plot.subplots(1, 1, {squeeze = false})
  T.eq(getmetatable(ax[1][1]), plot._Axes)
  plot.close("all")
end)

T.test("pyplot calls and the object form draw the same picture", function()
  local x = {1, 2, 3, 4}
  local y = {2, 1, 4, 3}
  local f1 = plot.figure()
  plot.plot(x, y, "o--", {label = "a"})
  plot.bar(x, y, {alpha = 0.3})
  plot.title("T"); plot.xlabel("x"); plot.ylabel("y"); plot.grid(true); plot.legend()
  plot.xlim(0, 5); plot.ylim(0, 5)
  local fig, ax = plot.subplots()
  ax:plot(x, y, "o--", {label = "a"})
  ax:bar(x, y, {alpha = 0.3})
  ax:set_title("T"); ax:set_xlabel("x"); ax:set_ylabel("y"); ax:grid(true); ax:legend()
  ax:set_xlim(0, 5); ax:set_ylim(0, 5)
  T.check(same_pixels(png_of(f1), png_of(fig)), "pyplot and object form differ")
  T.close({plot.xlim()}, {0, 5}, 0)
  plot.close("all")
end)

T.test("inputs: tensors of any dtype and layout, tables, 2-d y", function()
  local function picture(x, y)
    local fig = plot.figure{size = {2, 2}, dpi = 50}
    plot.plot(x, y, {marker = "o"})
    local px = png_of(fig)
    plot.close(fig)
    return px
  end
  local ref = picture({1, 2, 3, 4}, {0, 3, 1, 2})
  for _, dt in ipairs({"float32", "float64", "int64", "int32", "uint8", "float16", "bfloat16"}) do
    local y = tensor.tensor({0, 3, 1, 2}, {dtype = dt})
    T.check(same_pixels(picture(tensor.tensor({1, 2, 3, 4}, {dtype = dt}), y), ref), dt)
  end
  -- a strided view and a column of a matrix
  local m = tensor.tensor{{1, 0}, {2, 3}, {3, 1}, {4, 2}}
  T.check(same_pixels(picture(m:select(2, 1), m:select(2, 2)), ref), "views")
  -- x defaults to 1..n
  T.check(same_pixels(picture(nil, {0, 3, 1, 2}), picture({1, 2, 3, 4}, {0, 3, 1, 2})), "default x")
  -- a 2-d y draws one line per column, in cycle colours
  local fig, ax = plot.subplots()
  local l1, l2 = ax:plot({1, 2, 3}, tensor.tensor{{1, 2}, {2, 3}, {3, 1}}, {label = "c"})
  T.eq(l2.label, "c 2")
  T.check(l1.color[3] > l1.color[1] and l2.color[1] > l2.color[3], "C0 then C1")
  -- booleans and 0-d tensors
  ax:plot(tensor.tensor{true, false, true})
  ax:scatter(tensor.tensor(1.5), tensor.tensor(2))
  png_of(fig)
  plot.close("all")
end)

T.test("every kind returns its artist and saves", function()
  local fig, axes = plot.subplots(2, 3, {size = {12, 7}})
  local x = tensor.linspace(0, 10, 50)
  local y = {}
  for i = 1, 50 do y[i] = math.sin(i / 5) end
  T.eq(tostring(axes[1][1]:plot(x, y, {label = "sin"})), 'Line2D(label="sin")')
  T.check(tostring(axes[1][2]:scatter(x, y, {c = y, cmap = "coolwarm"})):find("PathCollection"))
  local counts, edges = axes[1][3]:hist(tensor.randn(1000), {bins = 20, range = {-3, 3}})
  T.eq(counts:numel(), 20)
  T.eq(edges:numel(), 21)
  T.close(edges[1]:item(), -3, 1e-12)
  axes[2][1]:errorbar({1, 2, 3}, {1, 2, 3}, {yerr = {{0.1, 0.2, 0.3}, {0.3, 0.2, 0.1}}, xerr = 0.2, capsize = 2})
  axes[2][1]:fill_betweenx({1, 2, 3}, {0, 0, 0}, {1, 2, 1})
  local im = axes[2][2]:imshow(tensor.rand(8, 8), {cmap = "magma"})
  fig:colorbar(im, {ax = axes[2][2], label = "v"})
  axes[2][3]:barh({"a", "b"}, {1, 2})
  axes[2][3]:text(0.5, 0.5, "centre", {transform = "axes", ha = "center", va = "center",
    bbox = {facecolor = "wheat", alpha = 0.5}})
  axes[2][3]:annotate("here", {2, 2}, {xytext = {1, 1.5}, arrowprops = {arrowstyle = "<->"}})
  fig:suptitle("all kinds")
  fig:tight_layout()
  T.eq(png_of(fig):size(2), 1200)
  -- density: the bars' area is 1
  local c2, e2 = plot.hist(tensor.randn(5000), {bins = 30, density = true})
  local area = 0
  local ct, et = c2:totable(), e2:totable()
  for i = 1, 30 do area = area + ct[i] * (et[i + 1] - et[i]) end
  T.close(area, 1, 1e-9)
  -- cumulative density ends at 1
  c2 = plot.hist({1, 2, 2, 3}, {bins = 3, density = true, cumulative = true})
  T.close(c2:totable()[3], 1, 1e-12)
  -- weights
  c2 = plot.hist({1, 2, 2, 3}, {bins = {0.5, 1.5, 2.5, 3.5}, weights = {1, 0.5, 0.5, 2}})
  T.close(c2, {1, 1, 2}, 1e-12)
  T.eq(#plot.colormaps() >= 8, true)
  plot.close("all")
end)

T.test("help: the module lists its functions, each has a call line and an example", function()
  local h = tensor.gethelp(plot)
  T.check(h and h:sub(1, 6) == "plot: ", "module help")
  local names = {"plot", "scatter", "hist", "bar", "barh", "imshow", "errorbar", "fill_between", "axhline",
    "axvline", "text", "annotate", "colorbar", "figure", "subplot", "subplots", "close", "savefig", "show",
    "pdf_pages", "xlabel", "ylabel", "title", "xlim", "ylim", "xscale", "yscale", "grid", "legend",
    "xticks", "yticks", "training_curves", "tight_layout", "suptitle", "axis"}
  for _, n in ipairs(names) do
    T.check(type(plot[n]) == "function", "plot." .. n .. " missing")
    local t = tensor.gethelp(plot[n])
    T.check(t, "no help for plot." .. n)
    T.check(t:match("^plot%." .. n .. "%("), "help of plot." .. n .. " starts with its call: " .. t:sub(1, 40))
    T.check(select(2, t:gsub("\n", "")) >= 2, "help of plot." .. n .. " is one line")
  end
  for k, v in pairs(plot) do
    if type(v) == "function" and k:sub(1, 1) ~= "_" then T.check(tensor.gethelp(v), "no help: plot." .. k) end
  end
  local _, ax = plot.subplots()
  T.check(tensor.gethelp(ax.plot):match("^ax:plot%("), "method help")
  T.check(tensor.gethelp(ax.set_xlabel):match("^ax:set_xlabel%("), "method help")
  T.check(tensor.gethelp(plot.gcf().savefig):match("^fig:savefig%("), "figure method help")
  T.check(tensor.gethelp(vision.make_grid):match("^vision%.make_grid%("), "make_grid help")
  -- help(plot) prints the list
  local p = io.popen(string.format("%s -e 'help(plot)' 2>&1", arg[-1]))
  local out = p:read("a")
  p:close()
  T.check(out:find("plot.scatter(x, y [, opts])", 1, true), out:sub(1, 200))
  T.check(out:find("Functions:", 1, true), "lists functions")
  plot.close("all")
end)

T.test("training_curves: both history shapes, panels by name", function()
  local path = T.tmp(".png")
  local fig = plot.training_curves({train_loss = {0.9, 0.6, 0.45, 0.4}, test_loss = {0.8, 0.6, 0.5, 0.48},
    test_acc = {0.7, 0.8, 0.84, 0.86}}, path, {title = "Fashion-MNIST"})
  T.eq(#fig.axes, 2)
  T.eq(#fig.axes[1].artists, 2)
  T.eq(#fig.axes[2].artists, 1)
  T.eq(fig.axes[2].artists[1].label, "test acc")
  local px = plot._read_png(path)
  T.eq(px:size(2), 1100)
  local fig2 = plot.training_curves({{epoch = 1, train_loss = 1.0, test_acc = 0.5}, {epoch = 2, train_loss = 0.5,
    test_acc = 0.7}})
  T.eq(#fig2.axes, 2)
  T.close({fig2.axes[1]:get_xlim()}, {0.95, 2.05}, 1e-12)
  local fig3 = plot.training_curves({loss = {3, 2, 1}})
  T.eq(#fig3.axes, 1)
  os.remove(path)
  plot.close("all")
end)

T.test("vision.make_grid tiles like torchvision", function()
  local x = tensor.zeros(5, 1, 2, 3)
  for i = 1, 5 do x:select(1, i):fill_(i) end
  local g = vision.make_grid(x, {nrow = 2, padding = 1, pad_value = -1})
  T.eq(tostring(g:size()), "Size{3, 10, 9}")
  local c = g:select(1, 1)
  T.close(c:select(1, 1):totable(), {-1, -1, -1, -1, -1, -1, -1, -1, -1}, 0)
  T.close(c:select(1, 2):totable(), {-1, 1, 1, 1, -1, 2, 2, 2, -1}, 0)
  T.close(c:select(1, 8):totable(), {-1, 5, 5, 5, -1, -1, -1, -1, -1}, 0)
  -- channels are repeated to 3
  T.close(g:select(1, 3):totable(), c:totable(), 0)
  -- 64 Fashion-MNIST-sized images: 8 x 8 tiles of 30 pixels, plus 2
  local big = vision.make_grid(tensor.rand(64, 1, 28, 28))
  T.eq(tostring(big:size()), "Size{3, 242, 242}")
  -- one image comes back as it is; a list of images works too
  T.eq(tostring(vision.make_grid(tensor.rand(1, 3, 4, 4)):size()), "Size{3, 4, 4}")
  T.eq(tostring(vision.make_grid({tensor.rand(3, 4, 4), tensor.rand(3, 4, 4)}, {padding = 0}):size()),
    "Size{3, 4, 8}")
  -- and it shows
  local fig = plot.figure()
  plot.imshow(big)
  plot.axis("off")
  T.eq(png_of(fig):size(1), 480)
  plot.close("all")
  -- normalize needs min/max and clamp, which arrive with the math and reduction families
  if tensor.clamp ~= nil and tensor.min ~= nil then
    local n = vision.make_grid(tensor.tensor{{{{0, 2}}}, {{{4, 8}}}}, {normalize = true, padding = 0})
    T.close(n:select(1, 1):totable(), {{0, 0.25, 0.5, 1}}, 1e-4)
  end
end)

T.test("bad calls give clear errors", function()
  local img = tensor.rand(4, 4)
  local cases = {
    {function() plot.plot() end, "plot: y is missing"},
    {function() plot.plot({1, 2}, {1, 2, 3}) end, "x and y must have the same length, got 2 and 3"},
    {function() plot.plot({1, 2}, {color = "blu"}) end, "unknown colour 'blu'"},
    {function() plot.plot({1, 2}, {colour = "red"}) end, "plot: unknown option 'colour'"},
    {function() plot.plot({1, 2}, "q") end, "format string 'q'"},
    {function() plot.plot({1, 2}, {linestyle = "~"}) end, "unknown linestyle '~'"},
    {function() plot.plot({1, 2}, {marker = "Q"}) end, "unknown marker 'Q'"},
    {function() plot.plot(true) end, "y must be a tensor or a table of numbers, got boolean"},
    {function() plot.plot("abc") end, "plot: y is missing"},
    {function() plot.plot({1, "a"}) end, "y[2] must be a number, got string"},
    {function() plot.plot({1, 2}, {linewidth = -1}) end, "'linewidth' must be >= 0"},
    {function() plot.plot(tensor.zeros(2, 2, 2)) end, "y must be 1-d or 2-d"},
    {function() plot.imshow(tensor.zeros(2, 1, 28, 28)) end, "4-d tensor of shape 2x1x28x28"},
    {function() plot.imshow(tensor.zeros(5, 6, 7)) end, "needs 1, 3 or 4 channels"},
    {function() plot.imshow(img, {cmap = "viridiss"}) end, "unknown colour map 'viridiss'"},
    {function() plot.imshow(img, {origin = "top"}) end, "'origin' must be one of lower, upper"},
    {function() plot.imshow(img, {extent = {1, 2}}) end, "extent must be {left, right, bottom, top}"},
    {function() plot.imshow() end, "imshow: image is missing"},
    {function() plot.scatter({1, 2}, {1}) end, "scatter: x and y must have the same length"},
    {function() plot.scatter({1, 2}, {1, 2}, {s = {1, 2, 3}}) end, "one value per point (2), got 3"},
    {function() plot.scatter({1, 2}, {1, 2}, {c = "red", color = "blue"}) end, "give c or color, not both"},
    {function() plot.hist({1, 2}, {bins = 0}) end, "bins must be a whole number"},
    {function() plot.hist({1, 2}, {bins = {3, 2, 1}}) end, "bin edges must increase"},
    {function() plot.hist({1, 2}, {histtype = "bars"}) end, "'histtype' must be one of"},
    {function() plot.hist({1, 2}, {range = {2, 1}}) end, "range must have lo <= hi"},
    {function() plot.hist({1, 2}, {weights = {1}}) end, "weights must match x"},
    {function() plot.bar({1, 2}, {1, 2, 3}) end, "height must be a number or have one value per bar (2), got 3"},
    {function() plot.bar({1, 2}, {1, 2}, {align = "left"}) end, "'align' must be one of center, edge"},
    {function() plot.xlim(1, 1) end, "the limits must differ"},
    {function() plot.xlim("a") end, "limits must be numbers"},
    {function() plot.xscale("loglog") end, "'scale' must be one of linear, log"},
    {function() plot.yscale("log"); plot.ylim(-1, 1) end, "a log axis needs positive limits"},
    {function() plot.legend({loc = "top"}) end, "unknown loc 'top'"},
    {function() plot.legend({ncol = 0}) end, "ncol must be a whole number"},
    {function() plot.subplot(2, 2, 5) end, "index must be 1..4 for a 2x2 grid, got 5"},
    {function() plot.subplots(0, 1) end, "rows and cols must be whole numbers"},
    {function() plot.figure{size = {0, 1}} end, "size must be {width, height} in inches"},
    {function() plot.figure{dpi = -5} end, "dpi must be a number"},
    {function() plot.figure{sise = {1, 1}} end, "figure: unknown option 'sise'"},
    {function() plot.errorbar({1, 2}, {1, 2}, {yerr = {1, 2, 3}}) end, "yerr must have one value per point (2)"},
    {function() plot.errorbar({1, 2}, {1, 2}, {yerr = -1}) end, "yerr must be >= 0"},
    {function() plot.errorbar({1, 2}, {1, 2}, {yerr = tensor.zeros(3, 2)}) end, "must be 2 x N"},
    {function() plot.text("a", 1, "s") end, "text: x and y must be numbers"},
    {function() plot.text(1, 1, {}) end, "text (a string) expected"},
    {function() plot.text(1, 1, "s", {ha = "middle"}) end, "ha must be 'left', 'center' or 'right'"},
    {function() plot.annotate("s", {1}) end, "xy must be {x, y}"},
    {function() plot.annotate("s", {1, 1}, {arrowprops = {}}) end, "arrowprops needs xytext"},
    {function() plot.annotate("s", {1, 1}, {xytext = {0, 0}, arrowprops = {arrowstyle = "=>"}}) end,
      "unknown arrowstyle '=>'"},
    {function() plot.close("all"); plot.colorbar() end, "nothing colour-mapped to describe"},
    {function() plot.axis("sideways") end, "'mode' must be one of"},
    {function() plot.gca():set_aspect("square") end, "'auto', 'equal' or a positive number expected"},
    {function() plot.fill_between({1, 2}, {1, 2}, {1}) end, "x and y2 must have the same length"},
    {function() plot.savefig(42) end, "a file path (string) expected"},
    {function() plot.grid("yes") end, "on must be true or false"},
    {function() plot.close({}) end, "a Figure, a figure number or 'all' expected"},
    {function() plot.training_curves({lr = {1, 2}}) end, "cannot tell whether 'lr' is a loss or an accuracy"},
    {function() plot.training_curves(5) end, "history must be a table"},
    {function() plot.pdf_pages(nil) end, "a file path (string) expected"},
    {function() plot.xticks({1, 2}, {"a"}) end, "one label per tick (2)"},
    {function() plot.axhline("a") end, "position must be a number"},
    {function() plot.axhline(1, {ymin = 0}) end, "use xmin/xmax"},
    {function() plot.sca(5) end, "an Axes expected"},
    {function() plot.show(5) end, "a Figure expected"},
    {function() vision.make_grid(tensor.zeros(2, 2, 2, 2, 2)) end, "5-d tensor"},
    {function() vision.make_grid(tensor.zeros(2, 1, 2, 2), {nrows = 8}) end, "unknown option 'nrows'"},
    {function() vision.make_grid(tensor.zeros(2, 2, 2, 2)) end, "need 1, 3 or 4 channels"},
    {function() vision.make_grid("x") end, "a tensor (B x C x H x W) or a list of images expected"},
    {function() vision.make_grid(tensor.zeros(2, 1, 2, 2), {padding = -1}) end, "'padding' must be a whole number"},
  }
  for i, c in ipairs(cases) do
    local ok, err = pcall(T.checkerr, c[1], c[2])
    if not ok then error(string.format("case %d: %s", i, err), 0) end
  end
  T.check(#cases >= 60)
  -- errors point at the caller's line
  local ok, err = pcall(function() plot.plot({1}, {colour = "r"}) end)
  T.check(not ok and err:find("test_plot_api.lua:%d+: plot: unknown option"), err)
  plot.close("all")
  -- the interpreter and the module still work
  local fig = plot.figure()
  plot.plot({1, 2, 3})
  T.eq(png_of(fig):size(1), 480)
  plot.close("all")
end)

T.done()
