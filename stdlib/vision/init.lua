-- vision: data sets and image helpers (the `vision` global, loaded lazily).
-- Each part lives in its own file; this one only gathers them, so parts can
-- be added side by side. datasets: Fashion-MNIST and MNIST; transforms:
-- shared with data.transforms; make_grid: in grid.lua, when present.
local vision = {}

vision.datasets = require("vision.datasets")
vision.transforms = require("data.transforms")

-- grid.lua is written separately; a missing file is fine, a broken one is not.
local ok, grid = pcall(require, "vision.grid")
if ok then
  if type(grid) == "function" then
    vision.make_grid = grid
  elseif type(grid) == "table" then
    for k, v in pairs(grid) do vision[k] = v end
  end
elseif not tostring(grid):find("module 'vision.grid' not found", 1, true) then
  error(grid, 0)
end

tensor.sethelp(vision, "vision: data sets (vision.datasets), transforms (vision.transforms) and image helpers.")
return vision
