-- run_docs.lua: runs every ```lua example in the Markdown files under a
-- directory, so that the docs cannot drift from the code. Not a comparison
-- of printed output: examples check themselves with assert where it matters.
--
--   tensh tests/run_docs.lua <docs-dir>
--
-- Files are found recursively (find) and run in sorted order. The blocks of
-- one file run in order in one environment of their own (globals readable,
-- new globals kept for the file's later blocks; a `local` lives in its block
-- only). A block fenced ```lua norun is skipped. A failing block is reported
-- as file:line with its error; the last line is "N passed, N failed", and
-- the exit status is 1 when any block failed.

local dir = arg[1]
if not dir or arg[2] then
  io.stderr:write("usage: tensh run_docs.lua <docs-dir>\n")
  os.exit(2)
end

local function shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

local function markdown_files(root)
  local p = io.popen("find " .. shell_quote(root) .. " -type f -name '*.md' 2>/dev/null")
  local files = {}
  for line in p:lines() do files[#files + 1] = line end
  local ok = p:close()
  if not ok and #files == 0 then return nil end
  table.sort(files)
  return files
end

-- The ```lua blocks of a file: {line = <line of the first code line>,
-- code = ..., norun = bool}; an unclosed fence is an error.
local function extract_blocks(path)
  local f, err = io.open(path, "r")
  if not f then return nil, err end
  local blocks, cur, n = {}, nil, 0
  for line in f:lines() do
    n = n + 1
    if cur then
      if line:match("^%s*```%s*$") then
        blocks[#blocks + 1] = cur
        cur = nil
      else
        cur.lines[#cur.lines + 1] = line
      end
    else
      local info = line:match("^%s*```%s*lua(.*)$")
      if info and (info == "" or info:match("^%s")) then
        cur = {line = n + 1, lines = {}, norun = info:match("%f[%w]norun%f[%W]") ~= nil}
      elseif line:match("^%s*```") then
        -- another language's fence: skip to its end, so its body is not
        -- mistaken for fences of ours.
        cur = {skip = true, line = n + 1, lines = {}}
      end
    end
  end
  f:close()
  if cur and not cur.skip then return nil, string.format("%s:%d: unclosed ```lua fence", path, cur.line - 1) end
  local runnable = {}
  for _, b in ipairs(blocks) do
    if not b.skip then
      -- Blank lines in front keep the error line numbers those of the file.
      b.code = string.rep("\n", b.line - 1) .. table.concat(b.lines, "\n")
      runnable[#runnable + 1] = b
    end
  end
  return runnable
end

local function fresh_env()
  return setmetatable({}, {__index = _G})
end

local function reset_state()
  if tensor and tensor.set_printoptions then tensor.set_printoptions{profile = "default"} end
end

local files = markdown_files(dir)
if not files then
  io.stderr:write("run_docs: cannot list ", dir, "\n")
  os.exit(2)
end

local passed, failed, skipped = 0, 0, 0
for _, path in ipairs(files) do
  local blocks, err = extract_blocks(path)
  if not blocks then
    failed = failed + 1
    io.stderr:write("FAIL ", err, "\n")
  else
    local env = fresh_env()
    for _, b in ipairs(blocks) do
      if b.norun then
        skipped = skipped + 1
      else
        local chunk, cerr = load(b.code, "@" .. path, "t", env)
        local ok, rerr = chunk ~= nil, cerr
        if chunk then
          ok, rerr = xpcall(chunk, function(m)
            -- the traceback down to the example, not through this runner
            return (debug.traceback(tostring(m), 2):gsub("\n%s*%[C%]: in function 'xpcall'.*$", ""))
          end)
        end
        if ok then
          passed = passed + 1
        else
          failed = failed + 1
          io.stderr:write(string.format("FAIL %s:%d (block starting here)\n%s\n", path, b.line - 1, tostring(rerr)))
        end
      end
    end
    reset_state()
  end
end
if skipped > 0 then io.write(string.format("%d norun blocks skipped\n", skipped)) end
io.write(string.format("%d passed, %d failed\n", passed, failed))
if failed > 0 then os.exit(1) end
