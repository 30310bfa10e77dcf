-- testlib.lua: the tiny harness every Lua test file uses.
-- test(name, fn) runs fn and records a pass or a failure with its message;
-- checkerr(fn, pattern) asserts that fn raises an error whose message
-- matches pattern (a plain substring); done() prints "N passed, N failed"
-- as the last line and exits non-zero when anything failed, after removing
-- the scratch files that tmp() and tmpdir() handed out. Below the harness:
-- helpers that several test files share (random float64 leaves for the
-- gradient checks, scratch files and whole-file reads and writes).
local M = {passed = 0, failed = 0}
local scratch = {} -- paths from tmp() and tmpdir(), removed by done()

function M.test(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    M.passed = M.passed + 1
  else
    M.failed = M.failed + 1
    io.stderr:write("FAIL ", name, ": ", tostring(err), "\n")
  end
end

function M.check(cond, msg, level)
  if not cond then error(msg or "check failed", (level or 1) + 1) end
end

function M.eq(a, b, msg)
  if a ~= b then
    error(string.format("%sexpected %s, got %s", msg and (msg .. ": ") or "", tostring(b), tostring(a)), 2)
  end
end

-- Numbers, or nested tables of numbers, equal within tol (absolute + relative).
local function close(a, b, tol, path)
  if type(a) == "table" and type(b) == "table" then
    if #a ~= #b then return false, path .. ": length " .. #a .. " vs " .. #b end
    for i = 1, #a do
      local ok, where = close(a[i], b[i], tol, path .. "[" .. i .. "]")
      if not ok then return false, where end
    end
    return true
  end
  if type(a) == "number" and type(b) == "number" then
    if a ~= a and b ~= b then return true end
    if a == b then return true end
    if math.abs(a - b) <= tol * (1 + math.abs(b)) then return true end
    return false, string.format("%s: %.17g vs %.17g", path, a, b)
  end
  if a == b then return true end
  return false, path .. ": " .. tostring(a) .. " vs " .. tostring(b)
end

-- close(got, expected[, tol]): got may be a tensor (compared through totable).
function M.close(got, expected, tol, msg)
  if tensor.is_tensor(got) then got = got:totable() end
  if tensor.is_tensor(expected) then expected = expected:totable() end
  local ok, where = close(got, expected, tol or 1e-6, "value")
  if not ok then error((msg and (msg .. ": ") or "") .. where, 2) end
end

function M.checkerr(fn, pattern, msg)
  local ok, err = pcall(fn)
  if ok then error((msg or "expected an error") .. " matching '" .. pattern .. "', but the call succeeded", 2) end
  err = tostring(err)
  if not err:find(pattern, 1, true) then
    error(string.format("error message '%s' does not contain '%s'", err, pattern), 2)
  end
  M.errors_checked = (M.errors_checked or 0) + 1
end

function M.done()
  if #scratch > 0 then
    local quoted = {}
    for i, p in ipairs(scratch) do quoted[i] = "'" .. p .. "'" end
    os.execute("rm -rf " .. table.concat(quoted, " "))
  end
  io.write(string.format("%d passed, %d failed\n", M.passed, M.failed))
  io.stdout:flush()
  if M.failed > 0 then os.exit(1) end
end

-- ------------------------------------------- helpers for test_grad_*.lua

M.F64 = {dtype = "float64"}

-- Seeds tensor's generator and Lua's (random shapes) alike.
function M.seed(n)
  tensor.manual_seed(n)
  math.randomseed(n)
end

-- A random shape of nd dims, each in lo..hi (1..4 unless told).
function M.rshape(nd, lo, hi)
  local s = {}
  for i = 1, nd do s[i] = math.random(lo or 1, hi or 4) end
  return s
end

-- A float64 leaf that requires grad; `f` maps the random values first.
function M.leaf(shape, f)
  local x = #shape == 0 and tensor.randn(M.F64) or tensor.randn(shape, M.F64) -- {} would read as options
  if f then x = f(x) end
  return x:detach():requires_grad_()
end

function M.trials(n, fn) for _ = 1, n do fn() end end

-- ------------------------------------------- scratch files

-- A fresh path in the temp directory ending in ext (nothing is there yet).
function M.tmp(ext)
  local p = os.tmpname()
  os.remove(p)
  p = p .. (ext or "")
  scratch[#scratch + 1] = p
  return p
end

-- A fresh, empty directory.
function M.tmpdir()
  local p = os.tmpname()
  os.remove(p)
  assert(os.execute("mkdir -p '" .. p .. "'"))
  scratch[#scratch + 1] = p
  return p
end

-- The whole file, as bytes; and a file made of bytes.
function M.slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

function M.write(path, bytes)
  local f = assert(io.open(path, "wb"))
  f:write(bytes)
  f:close()
end

return M
