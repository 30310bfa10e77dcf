-- vision/init.lua: the `vision` module: images for tensh. Each part lives in
-- its own file and is gathered here; data sets, loaders and transforms join
-- it later. This file only assembles the module table.
local vision = {}

vision.make_grid = require("vision.grid").make_grid

tensor.sethelp(vision, [[
vision: images: make_grid to tile a batch into one picture (for plot.imshow).
  plot.imshow(vision.make_grid(x:narrow(1, 1, 64)))]])

return vision
