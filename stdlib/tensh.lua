-- tensh.lua: the Lua half of tensh, loaded at start-up before any script.
-- It only arranges lazy loading: nn, optim, vision, plot and cuda are
-- globals that load their module on first use, so `tensh -e ''` pays for
-- none of them. A module lives in stdlib/<name>.lua or stdlib/<name>/init.lua.
local lazy = {nn = "nn", optim = "optim", vision = "vision", plot = "plot", cuda = "cuda", data = "data",
  autograd = "autograd"}

-- The names of the lazy modules, for the REPL's completion and help().
package.loaded["tensh.lazy"] = lazy

-- Where this file, and so every module of tensh's own, lives.
local stdlib = debug.getinfo(1, "S").source:match("^@(.+)/[^/]+$")
local stdpath = stdlib and (stdlib .. "/?.lua;" .. stdlib .. "/?/init.lua")

-- The globals are always tensh's modules. require() still searches the
-- script's directory first, as in any Lua, so a script's own nn.lua stays
-- loadable with require("nn"); but the global nn then comes from the stdlib
-- by its path, not through require, which would load the script's file
-- instead (and, for an nn.lua that uses nn itself, load it again and again
-- until the C stack overflowed).
setmetatable(_G, {
  __index = function(g, name)
    local modname = lazy[name]
    if modname == nil then return nil end
    local file = stdpath and package.searchpath(modname, stdpath)
    if not file then return nil end -- a module not written yet reads as an absent global
    local ok, found
    if package.searchpath(modname, package.path) == file then
      ok, found = pcall(require, modname)
    else
      local chunk, err = loadfile(file)
      if chunk then ok, found = pcall(chunk, modname, file) else ok, found = false, err end
    end
    if not ok then error(found, 2) end
    rawset(g, name, found)
    return found
  end,
})
