-- plot/axes_image.lua: imshow, for grayscale (through a colour map) and RGB
-- or RGBA images given as tensors H x W, H x W x C or PyTorch's C x H x W.
-- It decides shape, value range and extent; the C canvas maps the pixels.
local C = require("tensh.canvas")
local U = require("plot.util")
local S = require("plot.style")
local colors = require("plot.colors")
local A = require("plot.artists")
local Axes = require("plot.axes")

local imshow_opts = U.set({"cmap", "vmin", "vmax", "aspect", "interpolation", "extent", "origin", "alpha",
  "zorder", "label"})

-- The image as H x W (mapped) or H x W x C (colour), from any of the layouts.
local function image_data(fname, img)
  if tensor.is_tensor(img) and img:dim() == 4 then
    U.fail(string.format("%s: expected a 2-d (H x W) or 3-d (H x W x C or C x H x W) image, got a 4-d " ..
      "tensor of shape %s (vision.make_grid tiles a batch into one image)", fname, U.shape(img)))
  end
  local t = U.data(fname, "image", img, {2, 3})
  if t:dim() == 3 then
    local first, last = t:size(1), t:size(3)
    if last == 3 or last == 4 then
      -- H x W x C already
    elseif first == 1 then
      t = t:select(1, 1)
    elseif first == 3 or first == 4 then
      t = t:permute(2, 3, 1) -- PyTorch's C x H x W
    elseif last == 1 then
      t = t:select(3, 1)
    else
      U.fail(string.format("%s: a 3-d image needs 1, 3 or 4 channels first (C x H x W) or last " ..
        "(H x W x C), got shape %s", fname, U.shape(t)))
    end
  end
  if t:numel() == 0 then U.fail(string.format("%s: the image is empty (shape %s)", fname, U.shape(t))) end
  if t:size(1) > 32767 or t:size(2) > 32767 then
    U.fail(string.format("%s: an image of %dx%d pixels is too large (at most 32767 a side)", fname, t:size(1), t:size(2)))
  end
  return t
end

Axes.method("imshow", [[
{P}imshow(image [, opts]) -> AxesImage
Shows an image: H x W values through a colour map, or RGB(A) as H x W x 3|4 or C x H x W
(floats in 0..1, uint8 in 0..255). Pixel centres sit at 1..W and 1..H, row 1 on top.
opts: cmap ('viridis', 'gray', 'magma', 'coolwarm', ... '_r' reversed), vmin, vmax, aspect
('equal' or 'auto'), interpolation ('antialiased', 'nearest', 'bilinear'), extent
({left, right, bottom, top}), origin ('upper' or 'lower'), alpha, zorder.
  {P}imshow(vision.make_grid(x:narrow(1, 1, 64)))   {P}imshow(img, {cmap="gray"})]],
function(self, img, opts)
  local fname = "imshow"
  local o = U.options(fname, opts, imshow_opts)
  if img == nil then U.fail("imshow: image is missing (imshow(image [, opts]))") end
  local t = image_data(fname, img)
  U.check_opt(fname, "origin", o.origin, "string", {upper = true, lower = true})
  U.check_opt(fname, "interpolation", o.interpolation, "string",
    {antialiased = true, nearest = true, bilinear = true, none = true})
  U.check_opt(fname, "vmin", o.vmin, "number")
  U.check_opt(fname, "vmax", o.vmax, "number")
  local im = {data = t, origin = o.origin or "upper", alpha = o.alpha, zorder = o.zorder or 0}
  im.interpolation = (o.interpolation == "none" and "nearest") or o.interpolation or "antialiased"
  im.label = o.label and tostring(o.label)
  if t:dim() == 2 then
    im.cmap = o.cmap or S.rc.image_cmap
    colors.lut(im.cmap, fname)
    local lo, hi = C.minmax(t)
    im.vmin = o.vmin or lo or 0
    im.vmax = o.vmax or hi or 1
  else
    if o.cmap ~= nil then colors.lut(o.cmap, fname) end
    local dt = t:dtype()
    im.bytes = dt == "uint8" or dt == "int32" or dt == "int64"
  end
  local h, w = t:size(1), t:size(2)
  if o.extent ~= nil then
    local e = o.extent
    if type(e) ~= "table" or #e ~= 4 then U.fail("imshow: extent must be {left, right, bottom, top}") end
    for i = 1, 4 do
      if type(e[i]) ~= "number" then U.fail("imshow: extent must be {left, right, bottom, top} numbers") end
    end
    im.extent = {e[1], e[2], e[3], e[4]}
  elseif im.origin == "upper" then
    im.extent = {0.5, w + 0.5, h + 0.5, 0.5}
  else
    im.extent = {0.5, w + 0.5, 0.5, h + 0.5}
  end
  if o.aspect ~= nil then
    self:set_aspect(o.aspect)
  else
    self.aspect = "equal"
  end
  -- the axes run the way the extent does: matplotlib's origin "upper" gives
  -- bottom > top, so y grows downwards and row 1 is on top
  local e = im.extent
  if not self.ylim_user then self.yinverted = e[3] > e[4] end
  if not self.xlim_user then self.xinverted = e[1] > e[2] end
  return self:add(A.Image.new(im))
end)

return Axes
