-- nn/containers.lua: Sequential, ModuleList and ModuleDict. Their children
-- keep PyTorch's names ("0", "1", ... for state_dict keys such as
-- "0.weight") while Lua code indexes them 1-based: seq[1] is child "0".
-- Not here: the layers themselves.
local U = require("nn.util")
local M = require("nn.module")

local Module, is_module = M.Module, M.is_module
local C = {}

-- The i-th child (1-based; negative counts from the end), shared by the
-- indexed containers.
local function position(self, fname, i)
  local names = rawget(self, "_modules")
  local n = #names
  if i < 0 then i = i + n + 1 end
  if i < 1 or i > n then
    U.fail("%s: index %d is out of range (%s)", fname, i, n == 0 and "it is empty" or ("1.." .. n))
  end
  return names[i]
end

-- Reading past the end gives nil, as for a Lua list (ipairs stops there).
local function getitem(self, i)
  local names = rawget(self, "_modules")
  if i < 0 then i = i + #names + 1 end
  local name = names[i]
  return name and rawget(self, "_attrs")[name]
end

-- seq[i] = m replaces child i (keeping its name); seq[#seq + 1] = m appends.
local function setitem(self, i, m)
  local cls = getmetatable(self).__name
  if not is_module(m) then U.fail("%s: only modules can be stored, got %s", cls, U.describe(m)) end
  local n = #rawget(self, "_modules")
  if i == n + 1 then return self:append(m) end
  self:add_module(position(self, cls, i), m)
end

local function len(self) return #rawget(self, "_modules") end

local function append(self, m)
  local cls = getmetatable(self).__name
  if not is_module(m) then U.fail("%s.append: a module expected, got %s", cls, U.describe(m)) end
  self:add_module(tostring(#rawget(self, "_modules")), m)
  return self
end

-- ---------------------------------------------------------- Sequential

local Sequential = Module:extend("Sequential")
C.Sequential = Sequential

-- nn.Sequential(m1, m2, ...) or with names: nn.Sequential({"conv", m1}, {"relu", m2}).
function Sequential:__init(...)
  for i = 1, select("#", ...) do
    local a = select(i, ...)
    if is_module(a) then
      self:add_module(tostring(i - 1), a)
    elseif type(a) == "table" and type(a[1]) == "string" and is_module(a[2]) and a[3] == nil then
      self:add_module(a[1], a[2])
    else
      U.fail("Sequential: argument %d must be a module or a {name, module} pair, got %s", i, U.describe(a))
    end
  end
end

Sequential.__getitem = getitem
Sequential.__setitem = setitem
Sequential.__len = len
Sequential.append = append
Sequential.add = append -- Torch7's name

function Sequential:insert(i, m)
  if not is_module(m) then U.fail("Sequential.insert: a module expected, got %s", U.describe(m)) end
  local names = rawget(self, "_modules")
  local n = #names
  i = U.int("Sequential.insert", "index", i)
  if i < 0 then i = i + n + 2 end
  if i < 1 or i > n + 1 then U.fail("Sequential.insert: index %d is out of range (1..%d)", i, n + 1) end
  -- PyTorch renumbers: children are named by position
  local mods = self:children()
  table.insert(mods, i, m)
  for _, name in ipairs({table.unpack(names)}) do self:add_module(name, nil) end
  for k, mod in ipairs(mods) do self:add_module(tostring(k - 1), mod) end
  return self
end

function Sequential:forward(x, ...)
  if select("#", ...) > 0 then
    U.fail("Sequential: forward takes one input (got %d); a model with several inputs is a Module of its own",
           select("#", ...) + 1)
  end
  local attrs = rawget(self, "_attrs")
  for _, name in ipairs(rawget(self, "_modules")) do x = attrs[name](x) end
  return x
end

-- ---------------------------------------------------------- ModuleList

local ModuleList = Module:extend("ModuleList")
C.ModuleList = ModuleList

-- nn.ModuleList({m1, m2, ...})
function ModuleList:__init(list, ...)
  U.no_extra("ModuleList", 1, "nn.ModuleList({m1, m2})", ...)
  if list == nil then return end
  if type(list) ~= "table" or is_module(list) then
    U.fail("ModuleList: a list of modules expected ({m1, m2, ...}), got %s", U.describe(list))
  end
  for i, m in ipairs(list) do
    if not is_module(m) then U.fail("ModuleList: element %d must be a module, got %s", i, U.describe(m)) end
    self:add_module(tostring(i - 1), m)
  end
end

ModuleList.__getitem = getitem
ModuleList.__setitem = setitem
ModuleList.__len = len
ModuleList.append = append
ModuleList.insert = Sequential.insert

function ModuleList:forward()
  U.fail("ModuleList: it has no forward; call its modules in your own forward (for _, m in ipairs(self.layers) do ...)")
end

-- ---------------------------------------------------------- ModuleDict

local ModuleDict = Module:extend("ModuleDict")
C.ModuleDict = ModuleDict

-- nn.ModuleDict({{"conv", m1}, {"pool", m2}}) (pairs keep their order) or
-- nn.ModuleDict({conv = m1, pool = m2}) (names sorted, as a Lua table has no order).
function ModuleDict:__init(entries, ...)
  U.no_extra("ModuleDict", 1, "nn.ModuleDict({{'conv', m1}})", ...)
  if entries == nil then return end
  if type(entries) ~= "table" or is_module(entries) then
    U.fail("ModuleDict: a table of modules expected, got %s", U.describe(entries))
  end
  if #entries > 0 then
    for i, e in ipairs(entries) do
      if type(e) ~= "table" or type(e[1]) ~= "string" or not is_module(e[2]) then
        U.fail("ModuleDict: entry %d must be a {name, module} pair, got %s", i, U.describe(e))
      end
      self:add_module(e[1], e[2])
    end
    return
  end
  local names = {}
  for k, m in pairs(entries) do
    if type(k) ~= "string" then U.fail("ModuleDict: keys must be strings, got %s", U.describe(k)) end
    if not is_module(m) then U.fail("ModuleDict: '%s' must be a module, got %s", k, U.describe(m)) end
    names[#names + 1] = k
  end
  table.sort(names)
  for _, k in ipairs(names) do self:add_module(k, entries[k]) end
end

ModuleDict.__len = len

function ModuleDict:keys()
  return {table.unpack(rawget(self, "_modules"))}
end

function ModuleDict:items() return self:named_children() end

function ModuleDict:forward()
  U.fail("ModuleDict: it has no forward; call its modules in your own forward (self.layers.conv(x))")
end

-- ---------------------------------------------------------- help

local doc = U.document
doc(Sequential, "nn.Sequential(m1, m2, ...) or nn.Sequential({name, m1}, {name, m2}, ...) -> Sequential\n" ..
  "Runs its modules in order, each on the previous one's output. Children are named '0', '1', ... (state_dict keys\n" ..
  "'0.weight') unless named; seq[i] is the i-th (1-based), #seq their number; seq:append(m), seq:insert(i, m).\n" ..
  "  local mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))",
  {__getitem = "seq[i] -> module or nil\nThe i-th child (1-based; negative from the end).\n  local first = seq[1]",
   __setitem = "seq[i] = m\nReplaces the i-th child (keeping its name); seq[#seq + 1] = m appends.\n" ..
     "  seq[1] = nn.Linear(784, 128)",
   __len = "#seq -> integer\nThe number of children.\n  for i = 1, #seq do print(seq[i]) end",
   append = "seq:append(m) -> seq\nAdds m at the end, named by its position ('3').\n  seq:append(nn.ReLU())",
   insert = "seq:insert(i, m) -> seq\nInserts m at position i (1-based); the children are renamed '0', '1', ... in" ..
     " order.\n  seq:insert(1, nn.Flatten())",
   forward = "Sequential:forward(x) -> Tensor\nRuns the children in order on x; call the module, seq(x).\n" ..
     "  local y = seq(x)"})
doc(ModuleList, "nn.ModuleList([{m1, m2, ...}]) -> ModuleList\n" ..
  "A list of modules, registered (parameters(), state_dict, to()) but not called for you: iterate it in your forward.\n" ..
  "list[i] (1-based), #list, ipairs(list), list:append(m), list:insert(i, m).\n" ..
  "  self.blocks = nn.ModuleList(); for i = 1, 3 do self.blocks:append(nn.Linear(8, 8)) end",
  {forward = "ModuleList:forward()\nNot defined: a ModuleList only holds modules; call them in your own forward.\n" ..
     "  for _, m in ipairs(self.blocks) do x = m(x) end"})
doc(ModuleDict, "nn.ModuleDict({{name, m}, ...} or {name = m, ...}) -> ModuleDict\n" ..
  "Modules by name, registered in order (pairs keep theirs; a name-keyed table is sorted): d.name, d:keys(), #d.\n" ..
  "  self.heads = nn.ModuleDict({{'cls', nn.Linear(64, 10)}, {'box', nn.Linear(64, 4)}})",
  {keys = "d:keys() -> list\nThe names, in order.\n  for _, k in ipairs(d:keys()) do print(k) end",
   items = "d:items() -> iterator of name, module\nThe modules with their names, in order.\n" ..
     "  for name, m in d:items() do print(name, m) end",
   forward = "ModuleDict:forward()\nNot defined: call its modules in your own forward.\n  self.heads.cls(x)"})

return C
