-- bench/report.lua: prints bench/run.sh's table from the "case<TAB>key<TAB>value"
-- lines that the two halves wrote (OUT/tensh.txt, OUT/torch.txt, OUT/startup.txt).
-- It compares and prints; it judges nothing and always exits 0.
-- Usage: tensh bench/report.lua OUT

local out = arg[1] or "bench/out"

local function load(file)
  local r = setmetatable({}, {__index = function(t, k) local v = {}; rawset(t, k, v); return v end})
  local f = io.open(out .. "/" .. file)
  if not f then return r end
  for line in f:lines() do
    local case, key, value = line:match("^([^\t]+)\t([^\t]+)\t(.*)$")
    if case then r[case][key] = tonumber(value) or value end
  end
  f:close()
  return r
end

local T, P, S = load("tensh.txt"), load("torch.txt"), load("startup.txt")
local have_torch = P.meta.threads ~= nil
local notes = {}

-- A usable figure: a finite number (a zero divisor or NaN would print noise).
local function num(x) return type(x) == "number" and x == x and x > 0 and x < math.huge and x or nil end

-- Formats seconds in the unit given ("ms" or "us"); nil prints "n/a".
local function fmt_time(s, unit)
  if not num(s) then return "n/a" end
  if unit == "us" then return ("%.2f µs"):format(s * 1e6) end
  if s * 1e3 >= 100 then return ("%.0f ms"):format(s * 1e3) end
  return ("%.2f ms"):format(s * 1e3)
end

local function fmt_ratio(x) return num(x) and ("%.3fx"):format(x) or "n/a" end
local function ratio_of(a, b) return num(a) and num(b) and a / b or nil end

-- Pads to a display width: µs and ≤ are one column but several bytes.
local function pad(s, w, right)
  local n = utf8.len(s) or #s
  local fill = (" "):rep(math.max(0, w - n))
  return right and (fill .. s) or (s .. fill)
end

local function row(cols, widths)
  local parts = {}
  for i, c in ipairs(cols) do parts[i] = pad(c, widths[i], i > 1) end
  print((table.concat(parts, "  "):gsub("%s+$", "")))
end

local function why(side, case, r)
  if r[case].na then notes[#notes + 1] = ("  %s %s: %s"):format(side, case, r[case].na) end
end

-- Header.
local blas_t = T.meta.blas and T.meta.blas:match("([^/]+)/?$") or "?"
print(("tensh %s: %s threads, BLAS %s"):format(S.meta.tensh_version or "?", tostring(T.meta.threads or "?"), blas_t))
if have_torch then
  local blas_p = P.meta.blas and P.meta.blas:match("([^/]+)/?$") or "?"
  print(("torch %s: %s threads, BLAS %s (%s)"):format(P.meta.version or "?", tostring(P.meta.threads), blas_p,
    P.meta.python or "?"))
else
  print("torch: not available (" .. tostring(P.meta.na or "python3-torch is not installed") .. "); tensh's figures only")
end
print(("machine: %s; startup timed with %s"):format(S.meta.machine or "?", S.meta.tool or "?"))
print()

-- Main table: steady-state figures (median per call; startup min / median).
local W = {34, 17, 17, 9, 9, 4}
row({"case", "tensh", "torch", "ratio", "target", "met"}, W)
row({("-"):rep(34), ("-"):rep(17), ("-"):rep(17), ("-"):rep(9), ("-"):rep(9), "---"}, W)

local function met(ok) if ok == nil then return "" end return ok and "yes" or "no" end

do -- startup
  local t, p = S.tensh, S.torch
  local tcol = num(t.min) and (fmt_time(t.min):gsub(" ms", "") .. " / " .. fmt_time(t.median)) or "n/a"
  local pcol = num(p.min) and (fmt_time(p.min):gsub(" ms", "") .. " / " .. fmt_time(p.median)) or "n/a"
  local ratio = ratio_of(t.median, p.median)
  row({"startup: tensh -e '' | import torch", tcol, pcol, fmt_ratio(ratio), "≤ 10 ms",
       met(num(t.median) and t.median <= 0.010)}, W)
  print(pad("", W[1]) .. "  (min / median per run; the target is tensh's own time)")
end

local cases = {
  {"tiny_add", "tiny op: a + b, 2 x float32", "us", 0.5},
  {"add_alloc", "c = a + b, 16M float32", "ms", 0.4},
  {"add_inplace", "a:add_(b), 16M float32", "ms", nil},
  {"softmax", "softmax (4096, 1000), dim -1", "ms", 1.0},
}
for _, c in ipairs(cases) do
  local key, label, unit, target = c[1], c[2], c[3], c[4]
  local t, p = T[key].median, P[key].median
  local ratio = ratio_of(t, p)
  row({label, fmt_time(t, unit), have_torch and fmt_time(p, unit) or "n/a", fmt_ratio(ratio),
       target and ("≤ %.1fx"):format(target) or "-", target and ratio and met(ratio <= target) or ""}, W)
  why("tensh", key, T); why("torch", key, P)
end

do -- matmul: a rate, so the ratio is tensh's rate over torch's
  local t, p = T.matmul.rate, P.matmul.rate
  local ratio = ratio_of(t, p)
  local g = function(x) return num(x) and ("%.1f GFLOP/s"):format(x / 1e9) or "n/a" end
  row({"sgemm 1024x1024 (rate)", g(t), g(p), fmt_ratio(ratio), "≥ 0.95x", ratio and met(ratio >= 0.95) or ""}, W)
  why("tensh", "matmul", T); why("torch", "matmul", P)
end
print(pad("", W[1]) .. "  (median per call; ratio = tensh / torch, for sgemm the rates)")

-- First call against steady state, per side.
print()
print(("first call vs steady state (first call in a fresh process, median of %s processes / median; target ≤ 2x)")
  :format(T.meta.first_runs or 1))
local W2 = {14, 11, 11, 8, 11, 11, 8}
row({"op", "tensh 1st", "steady", "x", "torch 1st", "steady", "x"}, W2)
row({("-"):rep(14), ("-"):rep(11), ("-"):rep(11), ("-"):rep(8), ("-"):rep(11), ("-"):rep(11), ("-"):rep(8)}, W2)
for _, c in ipairs({{"tiny_add", "us"}, {"add_alloc", "ms"}, {"add_inplace", "ms"}, {"softmax", "ms"}, {"matmul", "ms"}}) do
  local key, unit = c[1], c[2]
  local function cols(r)
    local f, m = r[key].first, r[key].median
    local x = ratio_of(f, m)
    return fmt_time(f, unit), fmt_time(m, unit), x and ("%.1fx%s"):format(x, x > 2 and "!" or "") or "n/a"
  end
  local a1, a2, a3 = cols(T)
  local b1, b2, b3 = cols(P)
  row({key, a1, a2, a3, b1, b2, b3}, W2)
end
print(pad("", W2[1]) .. "  (! marks a first call over 2x its steady state)")

if #notes > 0 then
  print()
  print("n/a rows:")
  for _, n in ipairs(notes) do print(n) end
end
