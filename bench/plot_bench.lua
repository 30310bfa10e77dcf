-- bench/plot_bench.lua: the tensh side of bench/plot_bench.sh. Renders and
-- saves one workload to PNG and prints "<name> import_s render_save_s" (the
-- shell measures the whole process, start-up included). Not a test.
--   tensh bench/plot_bench.lua line|grid OUT.png
local which, out = arg[1], arg[2]
local t0 = tensor.perf_counter()
local _ = plot.figure -- loads the plot module (it is lazy)
local t1 = tensor.perf_counter()
tensor.manual_seed(0)
if which == "line" then
  -- 100k points of noise: the worst case for drawing a long path
  local y = tensor.randn(100000)
  plot.figure()
  plot.plot(y, {linewidth = 1})
  plot.title("100k points")
  plot.savefig(out)
elseif which == "grid" then
  -- 64 images of 28 x 28, tiled 8 x 8 with 2 pixels of padding
  local x = tensor.rand(64, 1, 28, 28)
  plot.figure()
  plot.imshow(vision.make_grid(x), {cmap = "gray"})
  plot.axis("off")
  plot.savefig(out)
else
  error("usage: plot_bench.lua line|grid OUT.png")
end
local t2 = tensor.perf_counter()
print(string.format("%s %.4f %.4f", which, t1 - t0, t2 - t1))
