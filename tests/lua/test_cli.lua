-- test_cli.lua: every command-line mode of tensh and its exit status, run as
-- child processes of the tensh that runs this file (arg[-1]): scripts with
-- arguments, -e, -l, -i, -, -v, -h, -E, -W, --, stdin that is not a
-- terminal, errors with tracebacks, os.exit, Ctrl-C (SIGINT) in a script,
-- and TENSH_DEBUG. The REPL itself is tested on a terminal in tests/repl.
local T = require("testlib")

local i = -1
while arg[i - 1] do i = i - 1 end -- the interpreter comes first: arg[-n]
local tensh = arg[i]
if tensh:sub(1, 1) ~= "/" then tensh = os.getenv("PWD") .. "/" .. tensh end

local tmp = os.tmpname()
os.remove(tmp)
assert(os.execute("mkdir -p " .. tmp))

local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function write(name, text)
  local path = tmp .. "/" .. name
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end

local function slurp(path)
  local f = io.open(path)
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

-- run(args [, stdin text [, env prefix]]) -> stdout, stderr, exit status
local function run(args, input, env)
  local inpath = write("stdin.txt", input or "")
  local out, err = tmp .. "/out.txt", tmp .. "/err.txt"
  local cmd = string.format("cd %s && %s %s %s <%s >%s 2>%s", q(tmp), env or "", q(tensh), args,
                            q(inpath), q(out), q(err))
  local ok, how, code = os.execute(cmd)
  if how ~= "exit" then code = -1 end
  return slurp(out), slurp(err), code, ok
end

T.test("-e runs a chunk; exit status 0", function()
  local out, err, code = run("-e 'print(1 + 1)'")
  T.eq(out, "2\n")
  T.eq(err, "")
  T.eq(code, 0)
end)

T.test("several -e run in order, with the tensor module", function()
  local out, _, code = run("-e 'x = tensor.ones(2, 3)' -e 'print(x:numel())'")
  T.eq(out, "6\n")
  T.eq(code, 0)
end)

T.test("a script gets its arguments in arg and ...", function()
  local s = write("args.lua", "print(arg[0], arg[1], arg[2], #arg, select('#', ...), ...)\n")
  local out, _, code = run(q(s) .. " one two")
  T.eq(out, s .. "\tone\ttwo\t2\t2\tone\ttwo\n")
  T.eq(code, 0)
  out = run("-e 'y = 1' " .. q(s) .. " a")
  T.eq(out, s .. "\ta\tnil\t1\t1\ta\n")
end)

T.test("arg holds the interpreter and options at negative indices", function()
  local s = write("neg.lua", "print(arg[-1], arg[-2] == nil)\n")
  local out = run("-q " .. q(s))
  T.eq(out, "-q\tfalse\n")
end)

T.test("an error in a script: traceback on stderr, status 1", function()
  local s = write("boom.lua", "local function f()\n  error('boom')\nend\nf()\n")
  local out, err, code = run(q(s))
  T.eq(out, "")
  T.eq(code, 1)
  T.check(err:find("boom.lua:2: boom", 1, true), err)
  T.check(err:find("stack traceback:", 1, true), err)
  T.check(err:find("in local 'f'", 1, true) or err:find("in function 'f'", 1, true), err)
end)

T.test("a syntax error in a script: status 1", function()
  local s = write("syntax.lua", "x = = 1\n")
  local _, err, code = run(q(s))
  T.eq(code, 1)
  T.check(err:find("syntax.lua:1:", 1, true), err)
end)

T.test("a tensor error in a script names the op", function()
  local s = write("terr.lua", "tensor.zeros(2, 3):view(4)\n")
  local _, err, code = run(q(s))
  T.eq(code, 1)
  T.check(err:find("view", 1, true), err)
  T.check(err:find("stack traceback:", 1, true), err)
end)

T.test("an error object that is not a string", function()
  local _, err, code = run("-e 'error({})'")
  T.eq(code, 1)
  T.check(err:find("error object is a table value", 1, true), err)
  _, err, code = run("-e 'error(setmetatable({}, {__tostring = function() return \"mine\" end}))'")
  T.eq(code, 1)
  T.check(err:find("mine", 1, true), err)
end)

T.test("a missing script: status 1", function()
  local _, err, code = run("no_such_script.lua")
  T.eq(code, 1)
  T.check(err:find("cannot open no_such_script.lua", 1, true), err)
end)

T.test("an error in -e stops what follows", function()
  local s = write("never.lua", "print('ran')\n")
  local out, err, code = run("-e 'error(\"first\")' " .. q(s))
  T.eq(out, "")
  T.eq(code, 1)
  T.check(err:find("first", 1, true), err)
end)

T.test("os.exit(n) gives status n", function()
  local _, _, code = run("-e 'os.exit(3)'")
  T.eq(code, 3)
  _, _, code = run("-e 'os.exit(true)'")
  T.eq(code, 0)
  _, _, code = run("-e 'os.exit(false)'")
  T.eq(code, 1)
  local s = write("exit7.lua", "io.write('before ') os.exit(7, true)\n")
  local out
  out, _, code = run(q(s))
  T.eq(code, 7)
  T.eq(out, "before ")
end)

T.test("- runs stdin with the arguments after it", function()
  local out, _, code = run("- a b", "print('stdin', arg[0], ...)\n")
  T.eq(out, "stdin\t-\ta\tb\n")
  T.eq(code, 0)
end)

T.test("stdin that is not a terminal runs as a script, silently", function()
  local out, err, code = run("", "print('quiet')\nx = 1 + 1\n")
  T.eq(out, "quiet\n")
  T.eq(err, "")
  T.eq(code, 0)
  out, err, code = run("", "error('from stdin')\n")
  T.eq(out, "")
  T.eq(code, 1)
  T.check(err:find("stdin:1: from stdin", 1, true), err)
end)

T.test("-i with stdin not a terminal: a REPL without readline", function()
  local out, err, code = run("-q -i -e 'x = 20'", "x + 1\nfunction f()\nreturn 5\nend\nf()\nerror('e1')\nx\n")
  T.eq(code, 0)
  T.eq(out, "> 21\n> .. .. > 5\n> > 20\n> \n")
  T.check(err:find("stdin:1: e1", 1, true), err)
  out = run("-i", "")
  T.check(out:find("no CUDA device", 1, true), out) -- the banner without -q
end)

T.test("-v prints the version; -v with a script runs it", function()
  local out, _, code = run("-v")
  T.check(out:match("^tensh %d+%.%d+%.%d+ %(Lua 5%.4"), out)
  T.eq(code, 0)
  local s = write("v.lua", "print('script')\n")
  out = run("-v " .. q(s))
  T.check(out:match("^tensh .-\nscript\n$"), out)
end)

T.test("-h prints usage to stdout, status 0", function()
  local out, err, code = run("-h")
  T.check(out:find("usage:", 1, true), out)
  T.check(out:find("-e chunk", 1, true), out)
  T.eq(err, "")
  T.eq(code, 0)
end)

T.test("a bad option: message, usage on stderr, status 1", function()
  local out, err, code = run("-x")
  T.eq(out, "")
  T.eq(code, 1)
  T.check(err:find("unrecognized option '-x'", 1, true), err)
  T.check(err:find("usage:", 1, true), err)
  _, err, code = run("-e")
  T.eq(code, 1)
  T.check(err:find("'-e' needs argument", 1, true), err)
  _, err, code = run("-l")
  T.eq(code, 1)
  T.check(err:find("'-l' needs argument", 1, true), err)
  _, err, code = run("-qx")
  T.eq(code, 1)
  T.check(err:find("unrecognized option '-qx'", 1, true), err)
end)

T.test("-l mod and -l g=mod", function()
  write("climod.lua", "return {value = 'loaded'}\n")
  local out, _, code = run("-l climod -e 'print(climod.value)'")
  T.eq(out, "loaded\n")
  T.eq(code, 0)
  out = run("-l m=climod -e 'print(m.value, climod)'")
  T.eq(out, "loaded\tnil\n")
  local _, err
  _, err, code = run("-l no_such_module")
  T.eq(code, 1)
  T.check(err:find("module 'no_such_module' not found", 1, true), err)
end)

T.test("a script requires modules next to it, from any directory", function()
  assert(os.execute("mkdir -p " .. q(tmp .. "/proj/sub")))
  write("proj/sub/near.lua", "return 'near'\n")
  local s = write("proj/sub/main.lua", "print((require('near')))\n")
  local out, err, code = run(q(s))
  T.eq(out, "near\n", err)
  T.eq(code, 0)
end)

T.test("-- ends the options", function()
  local s = write("dash.lua", "print('dash', ...)\n")
  local out, _, code = run("-- " .. q(s) .. " -x")
  T.eq(out, "dash\t-x\n")
  T.eq(code, 0)
end)

T.test("-E ignores LUA_PATH; without it LUA_PATH counts", function()
  local out = run("-e 'print(package.path:find(\"/nowhere/\", 1, true) ~= nil)'", nil, "LUA_PATH='/nowhere/?.lua' ")
  T.eq(out, "true\n")
  out = run("-E -e 'print(package.path:find(\"/nowhere/\", 1, true) ~= nil)'", nil, "LUA_PATH='/nowhere/?.lua' ")
  T.eq(out, "false\n")
end)

T.test("-W turns warnings on", function()
  local _, err = run("-W -e 'warn(\"careful\")'")
  T.check(err:find("Lua warning: careful", 1, true), err)
  _, err = run("-e 'warn(\"careful\")'")
  T.eq(err, "")
end)

T.test("SIGINT stops a running script with 'interrupted', status 1", function()
  local out, err = tmp .. "/int_out.txt", tmp .. "/int_err.txt"
  local loop = write("loop.lua", "io.write('ready\\n') io.stdout:flush() while true do end\n")
  -- sh's $$ becomes tensh's pid after exec; wait for 'ready', then SIGINT
  local script = string.format([[
sh -c 'echo $$ > %s/pid; exec %s %s' >%s 2>%s &
i=0
until grep -q ready %s 2>/dev/null; do sleep 0.05; i=$((i+1)); [ $i -gt 400 ] && break; done
kill -INT $(cat %s/pid)
wait $!
exit $?
]], tmp, tensh, loop, out, err, out, tmp)
  local ok, how, code = os.execute(script)
  T.eq(how, "exit")
  T.eq(code, 1)
  T.check(slurp(err):find("interrupted", 1, true), slurp(err))
end)

T.test("TENSH_DEBUG=1 logs each op with shapes, dtypes and time", function()
  local _, err, code = run("-e 'local x = tensor.zeros(2, 3) local y = x:t():contiguous()'", nil,
                           "TENSH_DEBUG=1 ")
  T.eq(code, 0)
  T.check(err:find("[tensh] fill", 1, true), err)
  T.check(err:find("out=f32[2x3]", 1, true), err)
  T.check(err:find("[tensh] copy", 1, true), err)
  T.check(err:find("a=f32[3x2]", 1, true), err)
  T.check(err:find("%d+%.%dus"), err)
  _, err = run("-e 'local x = tensor.zeros(2, 3)'", nil, "TENSH_DEBUG=0 ")
  T.eq(err, "")
end)

T.test("a script named like a module: the global is still tensh's, require finds the script's", function()
  -- nn.lua uses the global nn; it once loaded itself as nn until the C stack overflowed
  assert(os.execute("mkdir -p " .. q(tmp .. "/shadow")))
  local s = write("shadow/nn.lua", "local m = nn.Linear(3, 2) print('layer', m.weight:size(1), m.weight:size(2))\n")
  local out, err, code = run(q(s))
  T.eq(code, 0, err)
  T.eq(out, "layer\t2\t3\n")
  write("shadow/data.lua", "return {mine = true}\n")
  s = write("shadow/main.lua", "print(require('data').mine, data.DataLoader ~= nil, nn.Linear ~= nil)\n")
  out, err, code = run(q(s))
  T.eq(code, 0, err)
  T.eq(out, "true\ttrue\ttrue\n")
end)

T.test("help works outside the REPL", function()
  -- (help's own texts are tested in test_help.lua)
  local out, _, code = run("-e 'help(tensor.zeros)'")
  T.eq(code, 0)
  T.check(out:find("tensor.zeros(size", 1, true), out)
  out = run("-e 'help()'")
  T.check(out:find("Modules:", 1, true), out)
  out = run("-e 'help(\"ones\")'")
  T.check(out:find("tensor.ones(", 1, true), out)
end)

os.execute("rm -rf " .. q(tmp))
T.done()
