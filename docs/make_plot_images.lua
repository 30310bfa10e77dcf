-- docs/make_plot_images.lua: makes the pictures in docs/img/ by running the
-- ```lua examples of docs/plot.md with out(name) pointing at
-- docs/img/plot_<name>.png, at 72 dpi to keep the files small. The docs test
-- runs the same examples into temporary files and does not need this.
--   build/tensh docs/make_plot_images.lua      (from the repository root)
local doc = arg[1] or "docs/plot.md"
local dir = doc:match("^(.*)/[^/]*$") or "."
local f = assert(io.open(doc, "r"))
local text = f:read("a")
f:close()

require("plot.style").rc.dpi = 72
local env = setmetatable({}, {__index = _G})
env.out = function(name)
  local path = dir .. "/img/plot_" .. name .. ".png"
  print(path)
  return path
end
env.saved = {}
os.execute("mkdir -p '" .. dir .. "/img'")
local n = 0
for info, code in text:gmatch("\n```lua([^\n]*)\n(.-)\n```") do
  if not info:find("norun", 1, true) then
    n = n + 1
    assert(load(code, "=" .. doc .. " block " .. n, "t", env))()
  end
end
print(n .. " examples run")
