-- tests/run_docs.lua: runs every ```lua block of every .md file under a docs
-- directory, in order, one shared environment per file, so the examples in
-- the docs stay true. Not a place for tests of its own: the docs assert.
-- Usage: tensh tests/run_docs.lua DOCS_DIR   (last line: "N passed, N failed")

local dir = arg[1] or "docs"
local passed, failed = 0, 0

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function md_files(root)
  local files = {}
  local p = io.popen("find " .. quote(root) .. " -name '*.md' -type f | LC_ALL=C sort")
  for line in p:lines() do files[#files + 1] = line end
  p:close()
  return files
end

-- Returns the blocks of one file as {line = first code line, code = text};
-- only fences whose info string is exactly "lua" count.
local function lua_blocks(path)
  local blocks, cur, n = {}, nil, 0
  for line in io.lines(path) do
    n = n + 1
    if cur then
      if line:match("^%s*```%s*$") then
        blocks[#blocks + 1] = cur
        cur = nil
      else
        cur.code[#cur.code + 1] = line
      end
    elseif line:match("^%s*```lua%s*$") then
      cur = {line = n + 1, code = {}}
    end
  end
  if cur then blocks[#blocks + 1] = {line = cur.line, code = {"error('unclosed ```lua block')"}} end
  return blocks
end

if not os.execute("test -d " .. quote(dir)) then
  io.stderr:write("run_docs: no directory ", dir, "\n")
  os.exit(1)
end

for _, path in ipairs(md_files(dir)) do
  local env = setmetatable({}, {__index = _G})
  for _, b in ipairs(lua_blocks(path)) do
    local name = ("%s:%d"):format(path, b.line)
    -- Blank lines up to the block keep error line numbers true to the file.
    local code = ("\n"):rep(b.line - 1) .. table.concat(b.code, "\n")
    local fn, err = load(code, "@" .. path, "t", env)
    local ok = fn ~= nil
    if ok then ok, err = xpcall(fn, debug.traceback) end
    if ok then
      passed = passed + 1
    else
      failed = failed + 1
      io.stderr:write("FAIL ", name, ": ", tostring(err), "\n")
    end
  end
end

print(("%d passed, %d failed"):format(passed, failed))
if failed > 0 then os.exit(1) end
