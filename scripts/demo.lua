-- scripts/demo.lua: a short tour of the tensor module, run by `make run`
-- (the main job until training lands). Not a test: it shows things. A part
-- whose functions are not in this build yet says so and is skipped; once they
-- exist, an error in them stops the demo with a traceback.

local probe = tensor.zeros(1)

-- True when tensor.<name>, the method t:<name>(), the metamethod or ("[]")
-- indexing exists.
local function has(name)
  if name == "[]" then return (pcall(function() return tensor{1, 2}[1] end)) end
  if name:sub(1, 2) == "__" then return getmetatable(probe)[name] ~= nil end
  if tensor[name] ~= nil then return true end
  local ok, v = pcall(function() return probe[name] end)
  return ok and v ~= nil
end

local function part(title, needs, fn)
  print("\n-- " .. title)
  for _, name in ipairs(needs) do
    if not has(name) then
      print(("   (skipped: %s is not in this build yet)"):format(name))
      return
    end
  end
  fn()
end

print(("tensh demo: %d threads"):format(tensor.get_num_threads()))

part("construction: Lua integers make int64, Lua floats float32", {}, function()
  local a = tensor{{1, 2, 3}, {4, 5, 6}}
  print(a, a:dtype(), a:size())
  print(tensor{1.5, 2}:dtype(), tensor.zeros(2, 3):dtype(), tensor.full({2}, 7):dtype())
end)

part("views share storage", {}, function()
  local a = tensor{{1, 2, 3}, {4, 5, 6}}
  local t = a:t()
  print("a:t() has size", t:size(), "and is contiguous:", t:is_contiguous())
  a:view(6):fill_(9)
  print("after a:view(6):fill_(9), a[2][3] =", a:totable()[2][3])
end)

part("random numbers, broadcasting, method chaining", {"manual_seed", "randn", "__add", "relu", "sum"},
  function()
    tensor.manual_seed(0)
    local a = tensor.randn(3, 4)
    local b = tensor{{1, 2, 3, 4}}
    print((a + b):relu():sum(2))
  end)

part("1-based indexing, inclusive slices, assignment through an index", {"[]"}, function()
  local a = tensor{{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}}
  print(a[2][3]:item(), a[{2, {1, 3}}], a[-1])
  a[{{}, 1}] = 0
  print(a)
end)

part("reductions and softmax", {"arange", "softmax", "max"}, function()
  local x = tensor.arange(0, 6):float():view(2, 3)
  local p = x:softmax(-1)
  print(p, p:sum(-1))
  local values, indices = x:max(2)
  print(values, indices)
end)

part("matrix product, timed", {"randn", "matmul"}, function()
  local n = 512
  local a, b = tensor.randn(n, n), tensor.randn(n, n)
  a:matmul(b)
  local t0 = tensor.perf_counter()
  local c = a:matmul(b)
  local dt = tensor.perf_counter() - t0
  print(("%dx%d matmul: %.2f ms, %.1f GFLOP/s, c:size() = %s"):format(
    n, n, dt * 1e3, 2 * n ^ 3 / dt / 1e9, tostring(c:size())))
end)

part("help for every function", {}, function()
  help(tensor.ones)
end)

print("\ndemo done")
