-- test_plot_files.lua: what savefig writes: PNG (signature, size by dpi),
-- SVG that is well-formed XML (checked by a small parser here, no tools
-- needed), PDF with the expected page count (savefig and pdf_pages), and
-- atomic saves: a failing save leaves the previous file whole and no
-- temporary file behind; an unwritable path is a clear error.
local T = require("testlib")

local tmp, slurp, write = T.tmp, T.slurp, T.write

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

-- The files in dir whose names start with prefix.
local function listing(dir, prefix)
  local p = io.popen("ls -a '" .. dir .. "'")
  local out = {}
  for name in p:lines() do
    if name:sub(1, #prefix) == prefix then out[#out + 1] = name end
  end
  p:close()
  return out
end

-- A minimal XML well-formedness check: one root element, properly nested
-- and closed tags, quoted attributes, known entities, and the prolog,
-- comments, CDATA and processing instructions skipped.
local function check_xml(s)
  local stack, pos, roots = {}, 1, 0
  local n = #s
  local function fail(msg) error(string.format("XML at byte %d: %s", pos, msg), 2) end
  local function check_text(t)
    for ent in t:gmatch("&([^;]*);") do
      if not (ent == "amp" or ent == "lt" or ent == "gt" or ent == "quot" or ent == "apos" or
              ent:match("^#%d+$") or ent:match("^#x%x+$")) then fail("unknown entity &" .. ent .. ";") end
    end
    if t:find("&[^;]*$") or t:find("&[^;]*[%s<]") then fail("bare &") end
    if t:find("<", 1, true) then fail("bare <") end
  end
  while pos <= n do
    local lt = s:find("<", pos, true)
    if not lt then
      if not s:sub(pos):match("^%s*$") and #stack == 0 then fail("text after the root") end
      check_text(s:sub(pos))
      break
    end
    local text = s:sub(pos, lt - 1)
    if #stack == 0 and not text:match("^%s*$") then fail("text outside the root") end
    check_text(text)
    pos = lt
    if s:sub(pos, pos + 3) == "<!--" then
      local e = s:find("-->", pos + 4, true) or fail("unclosed comment")
      pos = e + 3
    elseif s:sub(pos, pos + 8) == "<![CDATA[" then
      local e = s:find("]]>", pos + 9, true) or fail("unclosed CDATA")
      pos = e + 3
    elseif s:sub(pos, pos + 1) == "<?" then
      local e = s:find("?>", pos + 2, true) or fail("unclosed processing instruction")
      pos = e + 2
    elseif s:sub(pos, pos + 1) == "<!" then
      local e = s:find(">", pos + 2, true) or fail("unclosed declaration")
      pos = e + 1
    else
      local e = s:find(">", pos + 1, true) or fail("unclosed tag")
      local tag = s:sub(pos + 1, e - 1)
      if tag:sub(1, 1) == "/" then
        local name = tag:match("^/([%w_:%-%.]+)%s*$") or fail("bad end tag")
        if stack[#stack] ~= name then fail("</" .. name .. "> closes <" .. tostring(stack[#stack]) .. ">") end
        stack[#stack] = nil
      else
        local self_closing = tag:sub(-1) == "/"
        if self_closing then tag = tag:sub(1, -2) end
        local name, rest = tag:match("^([%a_][%w_:%-%.]*)(.*)$")
        if not name then fail("bad tag name") end
        -- attributes: name="value" or name='value', nothing else
        local r = rest
        while true do
          r = r:gsub("^%s+", "")
          if r == "" then break end
          local a, q, v, after = r:match("^([%a_][%w_:%-%.]*)%s*=%s*([\"'])(.-)%2(.*)$")
          if not a then fail("bad attribute in <" .. name .. ">: " .. r:sub(1, 30)) end
          check_text(v)
          if q == "\"" and v:find("\"", 1, true) then fail("quote in attribute") end
          r = after
        end
        if #stack == 0 then roots = roots + 1 end
        if not self_closing then stack[#stack + 1] = name end
      end
      pos = e + 1
    end
  end
  if #stack > 0 then error("XML: unclosed <" .. stack[#stack] .. ">") end
  if roots ~= 1 then error("XML: " .. roots .. " root elements") end
  return true
end

local function pdf_pages_in(s)
  local pages = 0
  for after in s:gmatch("/Type%s*/Page(.)") do
    if after ~= "s" then pages = pages + 1 end
  end
  return pages
end

local function sample_figure()
  local fig = plot.figure()
  plot.plot({1, 2, 3}, {3, 1, 2}, {label = "a <b> & 'c'", marker = "o"})
  plot.scatter({1, 2}, {2, 3}, {c = {0, 1}})
  plot.imshow(tensor.rand(4, 4), {extent = {1, 2, 1, 2}, aspect = "auto"})
  plot.title("\"quotes\" & <angles>")
  plot.legend()
  return fig
end

T.test("the XML checker itself rejects broken documents", function()
  check_xml('<?xml version="1.0"?><svg a="1"><g/><text>a &amp; b</text><!-- c --></svg>')
  T.checkerr(function() check_xml("<svg><g></svg>") end, "closes")
  T.checkerr(function() check_xml("<svg a=1></svg>") end, "bad attribute")
  T.checkerr(function() check_xml("<svg>a & b</svg>") end, "bare &")
  T.checkerr(function() check_xml("<svg></svg><svg></svg>") end, "2 root")
  T.checkerr(function() check_xml("<svg>") end, "unclosed <svg>")
end)

T.test("PNG: signature, size from figure size and dpi", function()
  local fig = sample_figure()
  local path = tmp(".png")
  fig:savefig(path)
  T.eq(slurp(path):sub(1, 8), "\137PNG\r\n\26\n")
  local px = plot._read_png(path)
  T.eq(px:size(1), 480)
  T.eq(px:size(2), 640)
  fig:savefig(path, {dpi = 50})
  px = plot._read_png(path)
  T.eq(px:size(1), 240)
  T.eq(px:size(2), 320)
  -- transparent background
  fig:savefig(path, {transparent = true})
  px = plot._read_png(path)
  T.eq(px:select(1, 1):select(1, 1):totable()[4], 0)
  os.remove(path)
  plot.close(fig)
end)

T.test("SVG: well-formed XML with the figure's size, escaping text", function()
  local fig = sample_figure()
  local path = tmp(".svg")
  fig:savefig(path)
  local s = slurp(path)
  check_xml(s)
  T.check(s:find('width="460.8pt"', 1, true), "svg width")
  T.check(s:find('height="345.6pt"', 1, true), "svg height")
  T.check(s:find("<image", 1, true) or s:find("<use", 1, true), "has content")
  os.remove(path)
  plot.close(fig)
end)

T.test("PDF: savefig writes one page, pdf_pages as many as added", function()
  local fig = sample_figure()
  local path = tmp(".pdf")
  fig:savefig(path)
  local s = slurp(path)
  T.eq(s:sub(1, 5), "%PDF-")
  T.check(s:find("%%EOF"), "PDF trailer")
  T.eq(pdf_pages_in(s), 1)
  local pp = plot.pdf_pages(path)
  for i = 1, 3 do
    local f = plot.figure{size = {4 + i, 3}}
    plot.plot({1, 2, 3}, {i, 1, 2})
    pp:savefig(f)
    plot.close(f)
  end
  pp:savefig(fig)
  T.eq(pp:close(), true)
  s = slurp(path)
  T.eq(pdf_pages_in(s), 4)
  T.check(s:find("/Count 4", 1, true), "page tree count")
  -- a to-be-closed variable writes it at the end of the block
  do
    local pp2 <close> = plot.pdf_pages(path)
    pp2:savefig(fig)
    pp2:savefig(fig)
  end
  T.eq(pdf_pages_in(slurp(path)), 2)
  -- nothing added: nothing written, the old file stays
  local empty = plot.pdf_pages(path)
  T.eq(empty:close(), false)
  T.eq(pdf_pages_in(slurp(path)), 2)
  T.checkerr(function() empty:savefig(fig) end, "closed")
  os.remove(path)
  plot.close(fig)
end)

T.test("a failing save leaves the previous file whole and no temp file", function()
  local dir = os.tmpname()
  os.remove(dir)
  os.execute("mkdir -p '" .. dir .. "'")
  local path = dir .. "/keep.png"
  write(path, "previous contents")
  local fig = sample_figure()
  local F = plot._Figure
  -- the disk "fills up": every write fails
  F.save_hook = function(cv) cv:_fail_writes() end
  T.checkerr(function() fig:savefig(path) end, "cannot write")
  T.eq(slurp(path), "previous contents")
  for _, ext in ipairs({".svg", ".pdf"}) do
    local p = dir .. "/keep" .. ext
    write(p, "old " .. ext)
    T.checkerr(function() fig:savefig(p) end, "cannot write")
    T.eq(slurp(p), "old " .. ext)
  end
  -- drawing fails halfway (an error in Lua, as Ctrl-C would raise)
  F.save_hook = function() error("interrupted!") end
  T.checkerr(function() fig:savefig(path) end, "interrupted!")
  T.eq(slurp(path), "previous contents")
  F.save_hook = nil
  T.eq(#listing(dir, ".keep"), 0) -- no temp files left
  -- and a good save replaces it
  fig:savefig(path)
  T.eq(slurp(path):sub(2, 4), "PNG")
  T.eq(#listing(dir, ".keep"), 0)
  -- pdf_pages too: a failing page keeps the old file
  write(dir .. "/book.pdf", "old book")
  local pp = plot.pdf_pages(dir .. "/book.pdf")
  pp:savefig(fig)
  local bad = plot.figure()
  bad.axes[1] = setmetatable({layout = function() error("broken axes") end, draw = function() end}, {})
  T.checkerr(function() pp:savefig(bad) end, "broken axes")
  T.checkerr(function() pp:savefig(fig) end, "earlier page failed")
  T.eq(pp:close(), false)
  T.eq(slurp(dir .. "/book.pdf"), "old book")
  T.eq(#listing(dir, ".book"), 0)
  plot.close("all")
  os.execute("rm -rf '" .. dir .. "'")
end)

T.test("unwritable paths and unknown formats are clear errors", function()
  local fig = sample_figure()
  T.checkerr(function() fig:savefig("/nonexistent-dir/x.png") end,
    "savefig: cannot write '/nonexistent-dir/x.png': No such file or directory")
  T.checkerr(function() plot.savefig("/nonexistent-dir/x.svg") end, "No such file or directory")
  T.checkerr(function() plot.pdf_pages("/nonexistent-dir/x.pdf"):savefig(fig) end, "pdf_pages: cannot write")
  T.checkerr(function() fig:savefig(tmp(".jpg")) end, "cannot tell the format")
  T.checkerr(function() fig:savefig(tmp("")) end, "cannot tell the format")
  T.checkerr(function() fig:savefig(42) end, "a file path (string) expected, got number")
  T.checkerr(function() fig:savefig(tmp(".png"), {dpi = 0}) end, "dpi must be")
  T.checkerr(function() fig:savefig(tmp(".png"), {dpi = 1e5}) end, "dpi must be")
  T.checkerr(function() fig:savefig(tmp(".png"), {quality = 90}) end, "unknown option 'quality'")
  -- the error names the user's line, not the plot module's
  local ok, err = pcall(function() fig:savefig("/nonexistent-dir/x.png") end)
  T.check(not ok and err:find("test_plot_files.lua", 1, true), err)
  -- an explicit format overrides the extension
  local p = tmp(".dat")
  fig:savefig(p, {format = "svg"})
  check_xml(slurp(p))
  os.remove(p)
  plot.close(fig)
  -- the interpreter still works
  T.eq(tensor.tensor{1, 2}:numel(), 2)
end)

T.done()
