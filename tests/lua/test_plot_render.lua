-- test_plot_render.lua: draws known shapes into PNG files and reads the
-- pixels back (plot._read_png, Cairo's PNG loader): lines on the rows they
-- should be on at several DPIs, imshow blocks of the expected colours,
-- markers, bars, bands, the colour cycle, dashes, log axes, legend
-- placement and a decorated figure's text.
local T = require("testlib")

-- A figure whose single axes fills it, without decorations: data maps
-- straight onto the pixels. size in inches, at dpi.
local function bare(size, dpi, xlim, ylim)
  local fig = plot.figure{size = {size, size}, dpi = dpi}
  local ax = fig:add_axes({0, 0, 1, 1})
  ax:axis("off")
  ax:set_xlim(xlim[1], xlim[2])
  ax:set_ylim(ylim[1], ylim[2])
  return fig, ax
end

local function render(fig)
  local path = T.tmp(".png")
  fig:savefig(path)
  local px = plot._read_png(path)
  os.remove(path)
  plot.close(fig)
  return px
end

-- {r, g, b, a} of the pixel in column x, row y (1-based).
local function pixel(px, x, y)
  return px:select(1, y):select(1, x):totable()
end

local function near(c, rgb, tol, msg)
  tol = tol or 2
  for i = 1, 3 do
    if math.abs(c[i] - rgb[i]) > tol then
      error(string.format("%scolour {%d, %d, %d}, expected {%d, %d, %d}", msg and (msg .. ": ") or "",
        c[1], c[2], c[3], rgb[1], rgb[2], rgb[3]), 2)
    end
  end
end

local WHITE, RED, BLACK = {255, 255, 255}, {255, 0, 0}, {0, 0, 0}

T.test("a horizontal line at y=0 lands on the middle rows", function()
  local fig, ax = bare(2, 100, {0, 10}, {-1, 1})
  ax:plot({0, 10}, {0, 0}, {color = "red", linewidth = 2})
  local px = render(fig)
  T.eq(px:size(1), 200)
  T.eq(px:size(2), 200)
  -- 2 points = 2.78 pixels centred on the boundary between rows 100 and 101
  near(pixel(px, 100, 100), RED, 2, "row 100")
  near(pixel(px, 100, 101), RED, 2, "row 101")
  near(pixel(px, 100, 96), WHITE, 0, "row 96")
  near(pixel(px, 100, 105), WHITE, 0, "row 105")
  near(pixel(px, 3, 100), RED, 2, "left end")
end)

T.test("the same line at other DPIs lands on the same fraction of the height", function()
  for _, dpi in ipairs({50, 72, 150, 300}) do
    local fig, ax = bare(2, dpi, {0, 1}, {0, 1})
    ax:plot({0, 1}, {0.25, 0.25}, {color = "black", linewidth = 3})
    local px = render(fig)
    local h = 2 * dpi
    T.eq(px:size(1), h)
    local row = math.floor(0.75 * h) -- y = 0.25 is 3/4 of the way down
    near(pixel(px, h // 2, row), BLACK, 3, "dpi " .. dpi)
    near(pixel(px, h // 2, row - math.ceil(3 * dpi / 72)), WHITE, 3, "above, dpi " .. dpi)
  end
end)

T.test("vertical lines: axvline at x = 2.5 of 0..10", function()
  local fig, ax = bare(2, 100, {0, 10}, {0, 1})
  ax:axvline(2.5, {color = "red", linewidth = 2})
  local px = render(fig)
  near(pixel(px, 50, 20), RED, 2)
  near(pixel(px, 51, 180), RED, 2)
  near(pixel(px, 46, 100), WHITE, 0)
end)

T.test("imshow of a 2x2 tensor gives four blocks of the expected grey", function()
  local fig = plot.figure{size = {2, 2}, dpi = 100}
  local ax = fig:add_axes({0, 0, 1, 1})
  ax:axis("off")
  ax:imshow(tensor.tensor{{0, 1}, {2, 3}}, {cmap = "gray"})
  local px = render(fig)
  near(pixel(px, 50, 50), {0, 0, 0})
  near(pixel(px, 150, 50), {85, 85, 85})
  near(pixel(px, 50, 150), {170, 170, 170})
  near(pixel(px, 150, 150), {255, 255, 255})
  -- sharp edges: nearest pixels when magnified
  near(pixel(px, 99, 50), {0, 0, 0})
  near(pixel(px, 102, 50), {85, 85, 85})
end)

T.test("imshow: viridis ends, vmin/vmax, origin lower", function()
  local fig = plot.figure{size = {2, 1}, dpi = 100}
  local ax = fig:add_axes({0, 0, 1, 1})
  ax:axis("off")
  ax:imshow(tensor.tensor{{0, 10}}, {vmin = 0, vmax = 10})
  local px = render(fig)
  near(pixel(px, 50, 50), {0x44, 0x01, 0x54})
  near(pixel(px, 150, 50), {0xfd, 0xe7, 0x25})
  fig = plot.figure{size = {1, 2}, dpi = 100}
  ax = fig:add_axes({0, 0, 1, 1})
  ax:axis("off")
  ax:imshow(tensor.tensor{{0}, {1}}, {cmap = "gray", origin = "lower"})
  px = render(fig)
  near(pixel(px, 50, 150), BLACK) -- row 1 at the bottom
  near(pixel(px, 50, 50), WHITE)
end)

T.test("imshow RGB: H x W x 3 uint8, C x H x W float, RGBA", function()
  local function check(img)
    local fig = plot.figure{size = {2, 1}, dpi = 100}
    local ax = fig:add_axes({0, 0, 1, 1})
    ax:axis("off")
    ax:imshow(img)
    local px = render(fig)
    near(pixel(px, 50, 50), RED)
    near(pixel(px, 150, 50), {0, 0, 255})
  end
  check(tensor.tensor({{{255, 0, 0}, {0, 0, 255}}}, {dtype = "uint8"}))
  check(tensor.tensor{{{1.0, 0.0}}, {{0.0, 0.0}}, {{0.0, 1.0}}}) -- 3 x 1 x 2
  check(tensor.tensor{{{1.0, 0.0, 0.0, 1.0}, {0.0, 0.0, 1.0, 1.0}}})
  -- values outside 0..1 are clipped
  check(tensor.tensor{{{2.0, -1.0, 0.0}, {0.0, 0.0, 5.0}}})
end)

T.test("markers: a square of 20 points at the centre", function()
  local fig, ax = bare(2, 72, {0, 2}, {0, 2}) -- 1 pixel per point
  ax:plot({1}, {1}, {marker = "s", markersize = 20, color = "red", linestyle = "none"})
  local px = render(fig)
  near(pixel(px, 72, 72), RED)
  near(pixel(px, 72 - 9, 72 + 9), RED)
  near(pixel(px, 72 - 13, 72), WHITE)
  near(pixel(px, 72, 72 + 13), WHITE)
end)

T.test("scatter: sizes (area in points^2) and per-point colours through a map", function()
  local fig, ax = bare(2, 72, {0, 4}, {0, 2})
  ax:scatter({1, 3}, {1, 1}, {s = {400, 16}, c = {0, 1}, cmap = "gray"})
  local px = render(fig)
  near(pixel(px, 36, 72), BLACK) -- value 0: black, radius 10
  near(pixel(px, 36 + 8, 72), BLACK)
  near(pixel(px, 108, 72), WHITE) -- value 1: white on white
  fig, ax = bare(2, 72, {0, 4}, {0, 2})
  ax:scatter({1, 3}, {1, 1}, {s = {400, 16}, color = "red"})
  px = render(fig)
  near(pixel(px, 36 + 8, 72), RED)
  near(pixel(px, 108 + 6, 72), WHITE) -- the small one has radius 2
end)

T.test("bars, barh and hist fill the expected rectangles", function()
  local fig, ax = bare(2, 100, {0, 4}, {0, 2})
  ax:bar({1, 3}, {1, 2}, {width = 1, color = "red"})
  local px = render(fig)
  near(pixel(px, 50, 150), RED)  -- bar 1: x 0.5..1.5, y 0..1
  near(pixel(px, 50, 60), WHITE) -- above it
  near(pixel(px, 150, 20), RED)  -- bar 2 reaches y = 2
  near(pixel(px, 100, 150), WHITE) -- the gap between them
  fig, ax = bare(2, 100, {0, 2}, {0, 4})
  ax:barh({1, 3}, {1, 2}, {height = 1, color = "black"})
  px = render(fig)
  near(pixel(px, 50, 150), BLACK)
  near(pixel(px, 150, 150), WHITE)
  near(pixel(px, 150, 50), BLACK)
  fig, ax = bare(2, 100, {0, 4}, {0, 4})
  local counts = ax:hist({0.5, 1.5, 1.5, 2.5, 2.5, 2.5}, {bins = {0, 1, 2, 3}, color = "black"})
  T.close(counts, {1, 2, 3}, 0)
  px = render(fig)
  near(pixel(px, 12, 180), BLACK)
  near(pixel(px, 12, 120), WHITE)
  near(pixel(px, 62, 120), BLACK)
  near(pixel(px, 125, 60), BLACK)
  near(pixel(px, 180, 60), WHITE)
end)

T.test("fill_between fills between the curves only", function()
  local fig, ax = bare(2, 100, {0, 1}, {0, 1})
  ax:fill_between({0, 1}, {0.25, 0.25}, {0.75, 0.75}, {color = "red"})
  local px = render(fig)
  near(pixel(px, 100, 100), RED)
  near(pixel(px, 100, 20), WHITE)
  near(pixel(px, 100, 180), WHITE)
end)

T.test("the colour cycle: C0, C1 for lines; patches have their own", function()
  local fig, ax = bare(2, 100, {0, 1}, {0, 1})
  ax:plot({0, 1}, {0.25, 0.25}, {linewidth = 4})
  ax:plot({0, 1}, {0.75, 0.75}, {linewidth = 4})
  ax:bar({0.5}, {0.1}, {width = 1})
  local px = render(fig)
  near(pixel(px, 100, 150), {0x1f, 0x77, 0xb4}, 3, "C0")
  near(pixel(px, 100, 50), {0xff, 0x7f, 0x0e}, 3, "C1")
  near(pixel(px, 100, 195), {0x1f, 0x77, 0xb4}, 3, "first patch is C0")
end)

T.test("dashed lines have gaps; solid lines do not", function()
  local fig, ax = bare(2, 72, {0, 1}, {0, 1})
  ax:plot({0, 1}, {0.5, 0.5}, {color = "black", linestyle = "--", linewidth = 2})
  local px = render(fig)
  local row = px:select(1, 72):select(2, 1):totable()
  local dark, light = 0, 0
  for x = 5, 140 do
    if row[x] < 60 then dark = dark + 1 elseif row[x] > 200 then light = light + 1 end
  end
  T.check(dark > 60 and light > 25, string.format("dashes: %d dark, %d light pixels", dark, light))
end)

T.test("log axes: decades are evenly spaced", function()
  local fig, ax = bare(2, 100, {0, 1}, {1, 1000})
  ax:set_yscale("log")
  ax:axhline(10, {color = "black", linewidth = 2})
  ax:axhline(100, {color = "red", linewidth = 2})
  local px = render(fig)
  -- 1..1000 spans 3 decades over 200 rows: 10 at 2/3 down, 100 at 1/3
  near(pixel(px, 100, 134), BLACK, 3)
  near(pixel(px, 100, 67), RED, 3)
end)

T.test("legend 'best' avoids the data", function()
  local fig, ax = plot.subplots()
  local x, y = {}, {}
  for i = 1, 50 do x[i] = i; y[i] = i end -- a rising diagonal: upper left and lower right are free
  ax:plot(x, y, {label = "rising"})
  ax:legend()
  fig:savefig(T.tmp(".png"))
  T.check(ax.legend_loc == 2 or ax.legend_loc == 4, "legend at loc " .. tostring(ax.legend_loc))
  ax:cla()
  local y2 = {}
  for i = 1, 50 do y2[i] = 51 - i end -- falling: upper right is free
  ax:plot(x, y2, {label = "falling"})
  ax:legend()
  fig:savefig(T.tmp(".png"))
  T.eq(ax.legend_loc, 1)
  ax:legend({loc = "lower left"})
  fig:savefig(T.tmp(".png"))
  T.eq(ax.legend_loc, 3)
  plot.close(fig)
end)

T.test("a decorated figure: frame, ticks and text where matplotlib puts them", function()
  local fig = plot.figure() -- 6.4 x 4.8 in at 100 dpi
  plot.plot({1, 2, 3}, {1, 4, 9})
  plot.title("Title")
  plot.xlabel("x label")
  plot.ylabel("y label")
  local px = render(fig)
  T.eq(px:size(1), 480)
  T.eq(px:size(2), 640)
  -- the axes box: left 0.125, right 0.9, bottom 0.11, top 0.88
  near(pixel(px, 81, 240), BLACK, 40, "left spine")
  near(pixel(px, 577, 240), BLACK, 40, "right spine")
  near(pixel(px, 300, 58), BLACK, 40, "top spine")
  near(pixel(px, 300, 428), BLACK, 40, "bottom spine")
  -- some dark text in the title band, the x label band and the y label band
  local function dark_in(x0, x1, y0, y1)
    for y = y0, y1 do
      local row = px:select(1, y):select(2, 1):totable()
      for x = x0, x1 do
        if row[x] < 100 then return true end
      end
    end
    return false
  end
  T.check(dark_in(300, 360, 35, 52), "title")
  T.check(dark_in(300, 360, 455, 470), "x label")
  T.check(dark_in(40, 56, 200, 280), "y label")
  T.check(not dark_in(200, 400, 2, 30), "nothing above the title")
end)

T.done()
