-- test_help.lua: every tensor function and Tensor method has help whose
-- first line names it (this walks the live tables, so each family that lands
-- is held to it), help() by value and by name, tensor.sethelp for Lua code,
-- and the docs runner (tests/run_docs.lua) on a directory made here.
local T = require("testlib")

local here = arg[0]:match("^(.*)/[^/]*$") or "."
local tensh = arg[-1]
local methods = debug.getregistry()["tensh.methods"]

-- Does the line name `name` as a call: "tensor.name(", "t:name(", "name(",
-- or the name followed by a non-word character?
local function names_it(line, name)
  return line:find("[%.:]" .. name .. "%f[^%w_]") ~= nil or line:find("^" .. name .. "%f[^%w_]") ~= nil
end

local function first_line(s) return s:match("^[^\n]*") end

local function check_help(fn, name)
  local h = tensor.gethelp(fn)
  T.check(type(h) == "string" and #h > 0, "no help text for " .. name)
  T.check(names_it(first_line(h), name), "first line of help does not name " .. name .. ": " .. first_line(h))
  T.check(h:find("\n", 1, true), "help of " .. name .. " has only one line (call, then what it does)")
end

local nfunc, nmeth = 0, 0
for name, v in pairs(tensor) do
  if type(v) == "function" then
    nfunc = nfunc + 1
    T.test("help of tensor." .. name, function() check_help(v, name) end)
  end
end
for name, v in pairs(methods) do
  if type(v) == "function" then
    nmeth = nmeth + 1
    T.test("help of t:" .. name, function() check_help(v, name) end)
  end
end
T.test("the tables are not empty", function()
  T.check(nfunc >= 20 and nmeth >= 30, string.format("%d functions, %d methods", nfunc, nmeth))
end)

T.test("aliases of one C function keep their own help", function()
  T.eq(first_line(tensor.gethelp(methods.view_as)):match("^t:view_as"), "t:view_as")
  T.eq(first_line(tensor.gethelp(methods.view)):match("^t:view"), "t:view")
  T.check(tensor.gethelp(methods.numel) ~= tensor.gethelp(methods.nelement))
end)

T.test("gethelp finds by name as help does", function()
  local z = tensor.gethelp(tensor.zeros)
  T.eq(tensor.gethelp("zeros"), z)
  T.eq(tensor.gethelp("tensor.zeros"), z)
  T.eq(tensor.gethelp("t:view"), tensor.gethelp(methods.view))
  T.eq(tensor.gethelp("Tensor:view"), tensor.gethelp(methods.view))
  T.eq(tensor.gethelp("view_as"), tensor.gethelp(methods.view_as))
  T.check(tensor.gethelp("tensor"):find("^tensor: "), "a global module wins over tensor.tensor")
  T.eq(tensor.gethelp("no_such_thing"), nil)
  T.eq(tensor.gethelp("a.b.c"), nil)
  T.eq(tensor.gethelp(print), nil)
  T.eq(tensor.gethelp(42), nil)
  T.check(tensor.gethelp(help):find("^help%("))
  T.check(tensor.gethelp(getmetatable(tensor{1}).__tostring):find("^tostring%(t%)"))
end)

T.test("sethelp on Lua functions and module tables", function()
  local f = function(x) return x end
  T.eq(tensor.sethelp(f, "f(x) -> x\nReturns x."), f)
  T.eq(tensor.gethelp(f), "f(x) -> x\nReturns x.")
  local mod = {g = f}
  tensor.sethelp(mod, "mymod: a test module")
  T.eq(tensor.gethelp(mod), "mymod: a test module")
  tensor.sethelp(f, "f(x) -> x\nChanged.")
  T.eq(tensor.gethelp(f), "f(x) -> x\nChanged.")
end)

-- ---- help() output, through a child tensh so stdout can be read ----
local function run(chunk)
  local p = io.popen(string.format("%q -e %q 2>&1", tensh, chunk))
  local out = p:read("a")
  local ok, how, code = p:close()
  return out, ok and 0 or code
end

-- Checks that out holds each string (plain text, not a pattern).
local function contains(out, ...)
  for _, want in ipairs({...}) do
    T.check(out:find(want, 1, true), "no '" .. want .. "' in:\n" .. out, 2)
  end
end

T.test("help(f) prints its text", function()
  local out, rc = run("help(tensor.zeros)")
  T.eq(rc, 0)
  T.eq(out, tensor.gethelp(tensor.zeros) .. "\n")
  T.eq(run("help('zeros')"), out)
  T.eq(run("help('tensor.zeros')"), out)
  T.check(run("help('t:view')"):find("t:view(size...)", 1, true))
end)

T.test("help(tensor) prints the description and every function", function()
  local out = run("help(tensor)")
  T.check(out:find("^tensor: "), out:sub(1, 80))
  contains(out, "\n  tensor.zeros(", "\n  tensor.set_printoptions{")
  T.check(out:find("Values:.* float32"), "dtype names listed")
  T.eq(select(2, out:match("\nFunctions:(\n.*)$"):gsub("\n  ", "")), nfunc)
end)

T.test("help(t) lists the Tensor methods", function()
  local out = run("help(tensor{1.5, 2})")
  T.check(out:find("^A Tensor: tensor%[2%] f32"), out:sub(1, 80))
  contains(out, "\n  t:view(size...)", "\n  t:summary()")
  T.eq(select(2, out:gsub("\n  ", "")), nmeth)
end)

T.test("help() gives an overview", function()
  local out = run("help()")
  contains(out, "Modules:\n  tensor", "help(tensor.zeros)", "Docs: ")
  out = run("mymod = tensor.sethelp({f = print}, 'mymod: my own module') help()")
  T.check(out:find("  mymod    my own module", 1, true), out)
end)

T.test("help of things without help prints one clear line and no error", function()
  local cases = {
    {"help(nil)", "the value is nil"},
    {"help(5)", "no help for a number value"},
    {"help(print)", "no help text for this function"},
    {"help({})", "no help for this table"},
    {"help(io.stdout)", "no help for a userdata value"},
    {"help('zeroes')", "nothing is named 'zeroes'. Close names: tensor.zeros"},
    {"help('nn.Linear')", "nothing is named 'nn.Linear'"},
    {"help('t:nothing')", "nothing is named 't:nothing'"},
    {"help('')", "nothing is named ''"},
    {"help({f = print})", "A table without help text; its functions:\n  f  (no help)"},
    {"help(tensor.nope)", "the value is nil"},
  }
  for _, c in ipairs(cases) do
    local out, rc = run(c[1] .. " print('still here')")
    T.eq(rc, 0, c[1])
    T.check(out:find(c[2], 1, true), c[1] .. " printed: " .. out)
    T.check(out:find("still here\n$"), c[1] .. " did not go on")
  end
end)

T.test("a Lua module's help shows through help()", function()
  local out = run([[
    local m = {}
    m.add = tensor.sethelp(function(a, b) return a + b end, "m.add(a, b) -> number\nThe sum.")
    m.raw = function() end
    tensor.sethelp(m, "m: a module made in Lua")
    help(m) help(m.add)]])
  T.check(out:find("^m: a module made in Lua\n\nFunctions:\n  m.add%(a, b%) %-> number\n  raw  %(no help%)\n"), out)
  T.check(out:find("\nm.add(a, b) -> number\nThe sum.\n", 1, true), out)
end)

-- ---- bad calls ----
local bad = {
  {function() tensor.sethelp(1, "x") end, "function or table expected, got number"},
  {function() tensor.sethelp(nil, "x") end, "function or table expected, got nil"},
  {function() tensor.sethelp("zeros", "x") end, "function or table expected, got string"},
  {function() tensor.sethelp(print, 5) end, "help text (string) expected, got number"},
  {function() tensor.sethelp(print) end, "help text (string) expected, got no value"},
  {function() tensor.sethelp(print, "") end, "help text must not be empty"},
  {function() tensor.sethelp(tensor{1}, "x") end, "function or table expected, got userdata"},
  {function() tensor.gethelp() end, "value expected"},
}
for i, b in ipairs(bad) do
  T.test("bad call " .. i, function() T.checkerr(b[1], b[2]) end)
end
T.test("print's help is untouched by the bad calls", function() T.eq(tensor.gethelp(print), nil) end)

-- ---- the docs runner ----
-- run_docs.lua over dir in a child tensh: its output and exit status
local function run_docs(dir)
  local p = io.popen(string.format("%q %q %q 2>&1", tensh, here .. "/../run_docs.lua", dir))
  local out = p:read("a")
  local _, _, code = p:close()
  return out, code
end

T.test("run_docs: blocks, environments, norun, failures with file:line", function()
  local dir = T.tmpdir()
  T.check(os.execute("mkdir -p '" .. dir .. "/sub'"))
  local function write(name, text) T.write(dir .. "/" .. name, text) end
  write("a.md", table.concat({
    "# A", "```lua", "x = 41", "local hidden = 1", "```", "text",
    "```lua", "assert(x == 41 and hidden == nil)", "```",
    "```python", "not lua at all", "```",
    "```lua norun", "error('never run')", "```", ""}, "\n"))
  write("sub/b.md", table.concat({
    "b", "```lua", "assert(x == nil, 'a fresh environment per file')", "```", "",
    "```lua", "local y = 1", "error('boom')", "```", ""}, "\n"))
  write("sub/notes.txt", "```lua\nerror('not markdown')\n```\n")
  write("c.md", "```lua\ntensor.set_printoptions{precision = 1}\n```\n")
  write("d.md", "```lua\nassert(tensor.get_printoptions().precision == 4, 'options reset between files')\n```\n")
  local out, code = run_docs(dir)
  T.eq(code, 1, "exit status")
  contains(out, dir .. "/sub/b.md:6 (block starting here)", dir .. "/sub/b.md:8: boom", "1 norun blocks skipped")
  T.check(out:find("5 passed, 1 failed\n$"), out)
end)

T.test("run_docs: an unclosed fence fails, a missing dir is an error", function()
  local dir = T.tmpdir()
  T.write(dir .. "/u.md", "x\n```lua\nprint(1)\n")
  local out, code = run_docs(dir)
  T.eq(code, 1)
  contains(out, "u.md:2: unclosed ```lua fence")
  T.check(out:find("0 passed, 1 failed\n$"), out)
  out, code = run_docs(dir .. "/nope")
  T.eq(code, 2)
  contains(out, "cannot list")
end)

T.test("the interpreter still works", function()
  T.eq(tensor.zeros(2):numel(), 2)
  T.check(tensor.gethelp(tensor.zeros))
end)

T.done()
