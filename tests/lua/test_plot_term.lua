-- test_plot_term.lua: show() in the terminal: terminal detection from the
-- environment (chafa's database plus the variables terminals set), tmux
-- passthrough wrapping, the escape sequences each protocol emits (run in a
-- child tensh with the mode forced, and in a pseudo-terminal through
-- script(1)), the file fallback, and that nothing waits for the terminal.
local T = require("testlib")
local C = require("tensh.canvas")

local tensh = arg[-1]

local function sh_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- Runs a chunk in a child tensh with the given environment; returns its
-- stdout and whether it exited cleanly. `timeout` guards against a hang.
local function run(env, code)
  -- the parent's terminal must not leak into the child's detection
  local parts = {"timeout 60 env -u COLORTERM -u TMUX -u KITTY_WINDOW_ID -u TERM_PROGRAM -u LC_TERMINAL " ..
    "-u TENSH_PLOT -u WEZTERM_PANE -u VTE_VERSION"}
  for k, v in pairs(env) do parts[#parts + 1] = k .. "=" .. sh_quote(v) end
  parts[#parts + 1] = sh_quote(tensh) .. " -e " .. sh_quote(code) .. " 2>&1"
  local p = io.popen(table.concat(parts, " "))
  local out = p:read("a")
  local ok = p:close()
  return out, ok
end

local figure_code = "plot.plot({1, 3, 2, 4}, {label='a'}); plot.title('hi'); plot.legend(); plot.show()"

T.test("terminal detection from the environment", function()
  local function mode(env) return C.term_detect(env).mode end
  T.eq(mode({TERM = "xterm-kitty"}), "kitty")
  T.eq(mode({TERM = "xterm-256color", KITTY_WINDOW_ID = "3"}), "kitty")
  T.eq(mode({TERM = "foot"}), "sixel")
  T.eq(mode({TERM = "mlterm"}), "sixel")
  T.eq(mode({TERM = "xterm-256color", LC_TERMINAL = "iTerm2"}), "iterm")
  T.check(mode({TERM = "xterm-256color", TERM_PROGRAM = "WezTerm"}) ~= "symbols", "WezTerm draws images")
  T.eq(mode({TERM = "xterm-256color"}), "symbols")
  T.eq(mode({TERM = "linux"}), "symbols")
  T.eq(mode({}), "symbols")
  -- inside tmux the outer terminal's own variables decide, and graphics get wrapped
  local t = C.term_detect({TERM = "tmux-256color", TMUX = "/tmp/tmux-0/default,1,0", TERM_PROGRAM = "tmux",
    KITTY_WINDOW_ID = "1"})
  T.eq(t.mode, "kitty")
  T.eq(t.tmux, true)
  t = C.term_detect({TERM = "screen-256color", TMUX = "x"})
  T.eq(t.mode, "symbols")
  T.eq(t.tmux, true)
  T.eq(C.term_detect({TERM = "xterm-256color", COLORTERM = "truecolor"}).colors, "truecolor")
  T.eq(C.term_detect({TERM = "screen-256color"}).colors, "256")
  T.eq(C.term_detect({TERM = "linux"}).colors, "16")
end)

T.test("tmux passthrough: each graphics sequence wrapped, ESC doubled", function()
  T.eq(C.tmux_wrap("a\27_Gxyz\27\\b"), "a\27Ptmux;\27\27_Gxyz\27\27\\\27\\b")
  T.eq(C.tmux_wrap("\27]1337;File=x\7"), "\27Ptmux;\27\27]1337;File=x\7\27\\")
  T.eq(C.tmux_wrap("\27Pq#0\27\\"), "\27Ptmux;\27\27Pq#0\27\27\\\27\\")
  -- ordinary colour sequences pass untouched
  T.eq(C.tmux_wrap("\27[31mred\27[0m"), "\27[31mred\27[0m")
end)

T.test("symbols: coloured Unicode blocks sized to the terminal", function()
  local out, ok = run({TENSH_PLOT = "symbols", COLUMNS = "40", LINES = "20", TERM = "xterm-256color",
    COLORTERM = "truecolor"}, figure_code)
  T.check(ok, out)
  T.check(out:find("\27[38;2;", 1, true), "truecolor foreground sequences")
  T.eq(out:sub(-5), "\27[0m\n", "ends with a reset and a newline")
  local lines = 0
  for line in out:gmatch("[^\n]*\n") do
    lines = lines + 1
    -- at most 40 cells per line: count characters outside escape sequences
    local visible = line:gsub("\27%[[%d;]*m", ""):gsub("\n", "")
    T.check(utf8.len(visible) <= 40, "line wider than the terminal: " .. utf8.len(visible))
  end
  T.check(lines >= 8 and lines <= 18, "rows: " .. lines)
  -- block elements (U+2580..U+259F, UTF-8 E2 96 xx) carry the picture
  T.check(out:find("\226\150", 1, true), "block characters")
  -- 256 colours when the terminal has no truecolor
  out = run({TENSH_PLOT = "symbols", COLUMNS = "40", LINES = "20", TERM = "screen-256color"}, figure_code)
  T.check(out:find("\27[38;5;", 1, true) and not out:find("\27[38;2;", 1, true), "256-colour sequences")
end)

T.test("kitty, iTerm2 and sixel sequences, wrapped inside tmux", function()
  local env = {COLUMNS = "80", LINES = "30", TERM = "xterm-256color"}
  env.TENSH_PLOT = "kitty"
  local out = run(env, figure_code)
  T.check(out:find("\27_Ga=T,f=32", 1, true), "kitty image sequence")
  T.check(out:find("\27\\", 1, true), "string terminator")
  env.TMUX = "/tmp/tmux-0/default,1,0"
  out = run(env, figure_code)
  T.check(out:find("\27Ptmux;\27\27_Ga=T", 1, true), "kitty inside tmux passthrough")
  env.TMUX = nil
  env.TENSH_PLOT = "iterm"
  out = run(env, figure_code)
  T.check(out:find("\27]1337;File=inline=1", 1, true), "iTerm2 inline image")
  env.TENSH_PLOT = "sixel"
  out = run(env, figure_code)
  T.check(out:find("\27P[%d;]*q"), "sixel introducer")
end)

T.test("a pseudo-terminal: auto mode draws inline, sized by TIOCGWINSZ", function()
  local probe = io.popen("command -v script")
  local script = probe:read("l")
  probe:close()
  if not script then
    io.stderr:write("note: script(1) not found; skipping the pseudo-terminal check\n")
    return
  end
  local inner = "stty cols 50 rows 24; TERM=xterm-256color COLORTERM=truecolor " .. sh_quote(tensh) ..
    " -e " .. sh_quote("print(require('tensh.canvas').term_size()); " .. figure_code)
  local p = io.popen("timeout 60 script -qfec " .. sh_quote(inner) .. " /dev/null 2>&1")
  local out = p:read("a")
  p:close()
  T.check(out:find("50\t24", 1, true), "terminal size seen by the child: " .. out:sub(1, 80))
  T.check(out:find("\27[38;2;", 1, true), "inline truecolor symbols on a tty")
  T.check(not out:find("saved to", 1, true), "no file fallback on a tty")
end)

T.test("outside a terminal, or with TENSH_PLOT=file: a PNG and its path", function()
  for _, env in ipairs({{}, {TENSH_PLOT = "file"}}) do
    env.TMPDIR = os.getenv("TMPDIR") or "/tmp"
    local out, ok = run(env, figure_code .. "; print(plot.gcf().number)")
    T.check(ok, out)
    local path = out:match("saved to (%S+%.png)")
    T.check(path, "no path printed: " .. out)
    local px = plot._read_png(path)
    T.eq(px:size(1), 480)
    os.remove(path)
    -- show() closed the figure: the next one is number 1 again
    T.check(out:find("\n1\n$"), out)
  end
  local out, ok = run({TENSH_PLOT = "bogus"}, figure_code)
  T.check(not ok and out:find("TENSH_PLOT='bogus' is not a mode", 1, true), out)
end)

T.test("show of one figure keeps the others open", function()
  local out = run({TENSH_PLOT = "file"},
    "local a = plot.figure(); plot.plot({1,2}); local b = plot.figure(); plot.plot({2,1}); " ..
    "plot.show(a); print(plot.gcf() == b, #(plot.gcf().axes))")
  T.check(out:find("true\t1", 1, true), out)
  for path in out:gmatch("saved to (%S+%.png)") do os.remove(path) end
end)

T.done()
