-- vision/grid.lua: make_grid, torchvision's tiling of a batch of images
-- (B x C x H x W) into one C x H' x W' image with padding between tiles,
-- optionally rescaled to 0..1, ready for plot.imshow. Copies whole images
-- with tensor views; it never loops over pixels.
local M = {}

local allowed = {nrow = true, padding = true, normalize = true, value_range = true, scale_each = true,
  pad_value = true}

local function fail(msg) error("make_grid: " .. msg, 3) end

local function shape(t)
  local s = {}
  for i = 1, t:dim() do s[i] = tostring(t:size(i)) end
  return table.concat(s, "x")
end

local function whole(v, key, min)
  if type(v) ~= "number" or v ~= math.floor(v) or v < min then
    fail(string.format("option '%s' must be a whole number >= %d, got %s", key, min, tostring(v)))
  end
  return math.tointeger(v)
end

-- Rescales t in place to 0..1 from lo..hi (given, or t's own range).
local function norm_range(t, range)
  local lo, hi
  if range then
    lo, hi = range[1], range[2]
  else
    lo, hi = t:min():item(), t:max():item()
  end
  t:clamp_(lo, hi)
  t:sub_(lo)
  t:div_(math.max(hi - lo, 1e-5))
end

function M.make_grid(batch, opts)
  opts = opts or {}
  if type(opts) ~= "table" then fail("options table expected, got " .. type(opts)) end
  for k in pairs(opts) do
    if not allowed[k] then
      fail(string.format("unknown option '%s' (expected nrow, padding, normalize, value_range, scale_each, " ..
        "pad_value)", tostring(k)))
    end
  end
  local nrow = whole(opts.nrow or 8, "nrow", 1)
  local padding = whole(opts.padding or 2, "padding", 0)
  local pad_value = opts.pad_value or 0
  if type(pad_value) ~= "number" then fail("option 'pad_value' must be a number") end
  local range = opts.value_range
  if range ~= nil and (type(range) ~= "table" or type(range[1]) ~= "number" or type(range[2]) ~= "number") then
    fail("option 'value_range' must be {lo, hi}")
  end
  local t = batch
  if type(t) == "table" and not tensor.is_tensor(t) then
    if #t == 0 then fail("an empty list of images") end
    for i, img in ipairs(t) do
      if not tensor.is_tensor(img) then fail(string.format("images[%d] is not a tensor", i)) end
    end
    local ok, s = pcall(tensor.stack, t)
    if not ok then fail("the images must all have the same shape") end
    t = s
  end
  if not tensor.is_tensor(t) then fail("a tensor (B x C x H x W) or a list of images expected, got " .. type(t)) end
  if t:dim() == 2 then t = t:unsqueeze(1) end
  if t:dim() == 3 then t = t:unsqueeze(1) end
  if t:dim() ~= 4 then
    fail(string.format("expected images as B x C x H x W (or C x H x W, H x W), got a %d-d tensor of shape %s",
      t:dim(), shape(t)))
  end
  local B, Cn, H, W = t:size(1), t:size(2), t:size(3), t:size(4)
  if B == 0 then fail("the batch is empty (shape " .. shape(t) .. ")") end
  if Cn == 1 then
    t = t:expand(B, 3, H, W)
    Cn = 3
  elseif Cn ~= 3 and Cn ~= 4 then
    fail(string.format("images need 1, 3 or 4 channels (B x C x H x W), got %d in shape %s", Cn, shape(t)))
  end
  if opts.normalize then
    t = t:to(t:is_floating_point() and t:dtype() or "float32"):clone()
    if opts.scale_each then
      for i = 1, B do norm_range(t:select(1, i), range) end
    else
      norm_range(t, range)
    end
  end
  if B == 1 then return t:select(1, 1):contiguous() end
  local xmaps = math.min(nrow, B)
  local ymaps = math.ceil(B / xmaps)
  local h, w = H + padding, W + padding
  local grid = tensor.full({Cn, ymaps * h + padding, xmaps * w + padding}, pad_value, {dtype = t:dtype()})
  local k = 1
  for y = 0, ymaps - 1 do
    for x = 0, xmaps - 1 do
      if k > B then break end
      grid:narrow(2, y * h + padding + 1, H):narrow(3, x * w + padding + 1, W):copy_(t:select(1, k))
      k = k + 1
    end
  end
  return grid
end

tensor.sethelp(M.make_grid, [[
vision.make_grid(batch [, opts]) -> Tensor
Tiles a batch of images (B x C x H x W, a list of C x H x W, or one image) into one C x H' x W'
image, nrow per row with padding around each, as torchvision does; 1-channel images become
3 channels. opts: nrow (8), padding (2), pad_value (0), normalize (rescale to 0..1 by the
batch's range, or value_range={lo, hi}), scale_each (per image).
  plot.imshow(vision.make_grid(x:narrow(1, 1, 64), {normalize=true}))]])

return M
