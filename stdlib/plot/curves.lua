-- plot/curves.lua: training_curves, the picture a training script ends
-- with: losses per epoch on the left, accuracies on the right, train and
-- test in the same colours on both. It only arranges ordinary plot calls.
local U = require("plot.util")

local M = {}

local function kind(key)
  local k = key:lower()
  if k:find("loss", 1, true) then return "loss" end
  if k:find("acc", 1, true) then return "acc" end
  return nil
end

-- Series by name from either {name = values} or {{name = v, ...}, ...}.
local function series(history)
  if type(history) ~= "table" or tensor.is_tensor(history) then
    U.fail(string.format("training_curves: history must be a table, got %s", U.typename(history)))
  end
  local out, names = {}, {}
  if history[1] ~= nil then
    for i, rec in ipairs(history) do
      if type(rec) ~= "table" then
        U.fail(string.format("training_curves: history[%d] must be a table of numbers by name", i))
      end
      for k, v in pairs(rec) do
        if type(k) == "string" and k ~= "epoch" then
          if not out[k] then out[k] = {}; names[#names + 1] = k end
          if type(v) ~= "number" then
            U.fail(string.format("training_curves: history[%d].%s must be a number, got %s", i, k, U.typename(v)))
          end
          out[k][i] = v
        end
      end
    end
    for _, k in ipairs(names) do
      for i = 1, #history do out[k][i] = out[k][i] or (0 / 0) end
    end
  else
    for k, v in pairs(history) do
      if type(k) ~= "string" then U.fail("training_curves: history keys must be names like train_loss") end
      out[k] = U.numbers("training_curves", k, v)
      names[#names + 1] = k
    end
  end
  -- train before test before anything else, then by name
  local function rank(k)
    local l = k:lower()
    return l:find("train", 1, true) and 1 or (l:find("test", 1, true) or l:find("val", 1, true)) and 2 or 3
  end
  table.sort(names, function(a, b)
    if rank(a) ~= rank(b) then return rank(a) < rank(b) end
    return a < b
  end)
  return out, names
end

local function color_of(key)
  local k = key:lower()
  if k:find("train", 1, true) then return "C0" end
  if k:find("test", 1, true) or k:find("val", 1, true) then return "C1" end
  return nil
end

function M.training_curves(plot, history, path, opts)
  if type(path) == "table" then path, opts = nil, path end
  local o = U.options("training_curves", opts, U.set({"title", "show", "size", "dpi"}))
  U.check_opt("training_curves", "title", o.title, "string")
  U.check_opt("training_curves", "show", o.show, "boolean")
  if path ~= nil and type(path) ~= "string" then
    U.fail(string.format("training_curves: path must be a string, got %s", U.typename(path)))
  end
  local data, names = series(history)
  local panels = {loss = {}, acc = {}}
  for _, k in ipairs(names) do
    local p = kind(k)
    if not p then
      U.fail(string.format("training_curves: cannot tell whether '%s' is a loss or an accuracy " ..
        "(name it *loss* or *acc*)", k))
    end
    panels[p][#panels[p] + 1] = k
  end
  if #names == 0 then U.fail("training_curves: history is empty") end
  local both = #panels.loss > 0 and #panels.acc > 0
  local fig, axes = plot.subplots(1, both and 2 or 1, {size = o.size or (both and {11, 4.2} or {6.4, 4.2}),
    dpi = o.dpi})
  if not both then axes = {axes} end
  local i = 0
  for _, p in ipairs({"loss", "acc"}) do
    if #panels[p] > 0 then
      i = i + 1
      local ax = axes[i]
      for _, k in ipairs(panels[p]) do
        local y = data[k]
        local x = {}
        for e = 1, #y do x[e] = e end
        ax:plot(x, y, {label = (k:gsub("_", " ")), color = color_of(k), marker = #y <= 30 and "o" or nil,
          markersize = 4})
      end
      ax:set_xlabel("epoch")
      ax:set_ylabel(p == "loss" and "loss" or "accuracy")
      ax:set_title(p == "loss" and "Loss" or "Accuracy")
      ax:grid(true, {alpha = 0.4})
      ax:legend()
      local n = #data[panels[p][1]]
      if n <= 12 then
        local t = {}
        for e = 1, n do t[e] = e end
        ax:set_xticks(t)
      end
    end
  end
  if o.title then fig:suptitle(o.title) end
  fig:tight_layout()
  if path then fig:savefig(path) end
  if o.show then plot.show(fig) end
  return fig
end

return M
