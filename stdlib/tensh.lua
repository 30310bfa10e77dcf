-- tensh.lua: the Lua half of tensh, loaded at start-up before any script.
-- It only arranges lazy loading: nn, optim, vision, plot and cuda are
-- globals that load their module on first use, so `tensh -e ''` pays for
-- none of them. A module lives in stdlib/<name>.lua or stdlib/<name>/init.lua.
local lazy = {nn = "nn", optim = "optim", vision = "vision", plot = "plot", cuda = "cuda", data = "data",
  autograd = "autograd"}

-- The names of the lazy modules, for the REPL's completion and help().
package.loaded["tensh.lazy"] = lazy

setmetatable(_G, {
  __index = function(g, name)
    local modname = lazy[name]
    if modname == nil then return nil end
    local ok, found = pcall(require, modname)
    if not ok then
      -- a module that is not written yet reads as an absent global
      if tostring(found):find("module '" .. modname .. "' not found", 1, true) then return nil end
      error(found, 2)
    end
    rawset(g, name, found)
    return found
  end,
})
