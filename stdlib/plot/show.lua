-- plot/show.lua: putting figures in front of the user: show() draws them
-- inline in the terminal through chafa (kitty, iTerm2, sixel or coloured
-- Unicode symbols, sized to the window), or saves PNGs and prints their
-- paths when stdout is not a terminal or TENSH_PLOT=file; and pdf_pages()
-- for multi-page PDF files. Never asks the terminal anything.
local C = require("tensh.canvas")
local U = require("plot.util")

local M = {}

local modes = {auto = true, file = true, symbols = true, sixel = true, kitty = true, iterm = true}

local function tmpdir()
  local d = os.getenv("TMPDIR")
  if d and d ~= "" then return (d:gsub("/$", "")) end
  return "/tmp"
end

local saved = 0

-- Cells and pixels for a figure in a cols x rows terminal.
local function geometry(fig, term, cols, rows, xpix, ypix)
  local cell_w, cell_h = 10, 20
  if xpix and xpix > 0 and ypix and ypix > 0 then
    cell_w, cell_h = math.max(1, xpix // cols), math.max(1, ypix // rows)
  end
  local aspect = fig.size[2] / fig.size[1]
  local natural = fig.size[1] * fig.dpi -- pixels across at the figure's dpi
  local wc
  if term.mode == "symbols" then
    wc = math.min(cols, math.ceil(natural / 8))
  else
    wc = math.min(cols, math.ceil(natural * 1.25 / cell_w))
  end
  local hc = math.ceil(wc * cell_w * aspect / cell_h)
  local maxr = math.max(4, rows - 2)
  if hc > maxr then
    hc = maxr
    wc = math.max(1, math.floor(hc * cell_h / (aspect * cell_w)))
  end
  return wc, hc, cell_w, cell_h
end

-- The escape sequences that draw fig in the terminal described by `term`
-- ({mode=, colors=, tmux=}) of cols x rows cells (xpix x ypix pixels if known).
function M.encode(fig, term, cols, rows, xpix, ypix)
  local wc, hc, cell_w, cell_h = geometry(fig, term, cols, rows, xpix, ypix)
  local pw, ph
  if term.mode == "symbols" then
    pw = wc * 8
    ph = math.max(1, math.floor(pw * fig.size[2] / fig.size[1] + 0.5))
  else
    pw, ph = wc * cell_w, hc * cell_h
  end
  local W, H = fig.size[1] * 72, fig.size[2] * 72
  local scale = math.min(pw / W, ph / H)
  local cv = C.memory(pw, ph, scale)
  cv:set_color(1, 1, 1, 1)
  cv:rectangle(0, 0, pw / scale, ph / scale)
  cv:fill()
  fig:draw(cv, true)
  local s = C.term_encode(cv, {mode = term.mode, colors = term.colors, tmux = term.tmux, cols = wc, rows = hc,
    cell_w = cell_w, cell_h = cell_h})
  return s
end

function M.show(figs, close)
  local mode = os.getenv("TENSH_PLOT") or "auto"
  if mode == "" then mode = "auto" end
  if not modes[mode] then
    U.fail(string.format("show: TENSH_PLOT='%s' is not a mode (auto, file, symbols, sixel, kitty, iterm)", mode))
  end
  local tty = C.isatty(1)
  local paths = {}
  if mode == "file" or (mode == "auto" and not tty) then
    for _, fig in ipairs(figs) do
      saved = saved + 1
      local path = string.format("%s/tensh-%d-figure%d.png", tmpdir(), C.getpid(), saved)
      fig:savefig(path)
      io.write(string.format("plot: figure %s saved to %s\n", tostring(fig.number), path))
      paths[#paths + 1] = path
    end
  else
    local term = C.term_detect()
    if mode ~= "auto" then term.mode = mode end
    local cols, rows, xp, yp = C.term_size()
    if not cols then
      cols = tonumber(os.getenv("COLUMNS")) or 80
      rows = tonumber(os.getenv("LINES")) or 24
    end
    for _, fig in ipairs(figs) do
      io.write(M.encode(fig, term, cols, rows, xp, yp))
    end
  end
  io.stdout:flush()
  close(figs)
  return table.unpack(paths)
end

-- ---- multi-page PDF ----

local Pages = {}
Pages.__index = Pages
Pages.__name = "PdfPages"
Pages.__tostring = function(self) return string.format("PdfPages(%q, %d pages)", self.path, self.pages) end

function M.pdf_pages(path)
  if type(path) ~= "string" or path == "" then
    U.fail(string.format("pdf_pages: a file path (string) expected, got %s", U.typename(path)))
  end
  return setmetatable({path = path, pages = 0}, Pages)
end

function Pages:savefig(fig)
  if self.closed then U.fail("pdf_pages: the file is closed") end
  if self.failed then U.fail("pdf_pages: an earlier page failed; the file will not be written") end
  fig = fig or M.current_figure()
  local w, h = fig.size[1] * 72, fig.size[2] * 72
  if not self.cv then
    local ok, cv = pcall(C.file, self.path, "pdf", w, h, 72)
    if not ok then U.fail((tostring(cv):gsub("savefig:", "pdf_pages:"))) end
    self.cv = cv
  else
    self.cv:next_page(w, h)
  end
  local ok, err = pcall(fig.draw, fig, self.cv, false)
  if not ok then
    self.failed = true
    self.cv:abort()
    error(err, 0)
  end
  self.pages = self.pages + 1
end
tensor.sethelp(Pages.savefig, "pp:savefig([fig])\nAdds the figure (the current one by default) as the next page.\n" ..
  "  pp:savefig(fig)")

function Pages:close()
  if self.closed then return self.pages > 0 end
  self.closed = true
  if not self.cv or self.failed then return false end
  local ok, err = pcall(self.cv.finish, self.cv)
  if not ok then
    self.cv:abort()
    U.fail((tostring(err):gsub("savefig:", "pdf_pages:")))
  end
  return true
end
tensor.sethelp(Pages.close, "pp:close() -> boolean\nWrites the PDF (atomically) with the pages added; " ..
  "false when there were none.\n  pp:close()")
Pages.__close = Pages.close

return M
