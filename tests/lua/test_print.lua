-- test_print.lua: tostring(t) against PyTorch 1.13's repr, print options,
-- t:summary() digests, and bad calls. The expected strings in CASES were
-- printed by torch 1.13 (python3-torch) for the same values, with the two
-- deliberate differences applied by hand: dtype names lose "torch." and
-- booleans print as Lua's true/false.
local T = require("testlib")

-- Data the two sides build alike: integers 0..n-1 (or f(i)), and
-- sin(i) * scale through libm on both sides.
function ints(n, f)
  local t = {}
  for i = 0, n - 1 do t[#t + 1] = f and f(i) or i end
  return t
end
function sines(n, scale)
  local t = {}
  for i = 0, n - 1 do t[#t + 1] = math.sin(i) * (scale or 3) end
  return tensor(t)
end

-- {Lua expression, print options, what torch printed}
local CASES = {
  {"tensor{1, 2}", {},
   "tensor([1, 2])"},
  {"tensor({{1, 2}}, {dtype='int32'})", {},
   "tensor([[1, 2]], dtype=int32)"},
  {"tensor{-5, 100, 7}", {},
   "tensor([ -5, 100,   7])"},
  {"tensor({0, 255, 3}, {dtype='uint8'})", {},
   "tensor([  0, 255,   3], dtype=uint8)"},
  {"tensor{{{1, 2}, {3, 4}}, {{5, 6}, {7, -8}}}", {},
   "tensor([[[ 1,  2],\n         [ 3,  4]],\n\n        [[ 5,  6],\n         [ 7, -8]]])"},
  {"tensor{1.5, 2.0}", {},
   "tensor([1.5000, 2.0000])"},
  {"tensor{1.0, 2.0}", {},
   "tensor([1., 2.])"},
  {"tensor{1e-5, 1e5}", {},
   "tensor([1.0000e-05, 1.0000e+05])"},
  {"tensor{1.0, 1e4}", {},
   "tensor([1.0000e+00, 1.0000e+04])"},
  {"tensor{1.0, 999.0}", {},
   "tensor([  1., 999.])"},
  {"tensor{1.5, 1e9}", {},
   "tensor([1.5000e+00, 1.0000e+09])"},
  {"tensor{0.5, 1e-4}", {},
   "tensor([5.0000e-01, 1.0000e-04])"},
  {"tensor{0.5, 2e-4}", {},
   "tensor([5.0000e-01, 2.0000e-04])"},
  {"tensor{-1.5, 2.25, -0.125}", {},
   "tensor([-1.5000,  2.2500, -0.1250])"},
  {"tensor{-0.0, 1.0}", {},
   "tensor([-0., 1.])"},
  {"tensor{0.0, 0.0}", {},
   "tensor([0., 0.])"},
  {"tensor{{1.25, -2.5}, {100.0, 0.001}}", {},
   "tensor([[ 1.2500e+00, -2.5000e+00],\n        [ 1.0000e+02,  1.0000e-03]])"},
  {"tensor{0/0, 1/0, -1/0, 1.5}", {},
   "tensor([   nan,    inf,   -inf, 1.5000])"},
  {"tensor{0/0}", {},
   "tensor([nan])"},
  {"tensor{1/0, -2.0, 3.0}", {},
   "tensor([inf, -2.,  3.])"},
  {"tensor{0/0, 1e-5, 1.0}", {},
   "tensor([       nan, 1.0000e-05, 1.0000e+00])"},
  {"tensor(3.5)", {},
   "tensor(3.5000)"},
  {"tensor(3)", {},
   "tensor(3)"},
  {"tensor(true)", {},
   "tensor(true)"},
  {"tensor(3.0)", {},
   "tensor(3.)"},
  {"tensor(0/0)", {},
   "tensor(nan)"},
  {"tensor(1e-7)", {},
   "tensor(1.0000e-07)"},
  {"tensor(5, {dtype='int32'})", {},
   "tensor(5, dtype=int32)"},
  {"tensor(2.5, {dtype='float64'})", {},
   "tensor(2.5000, dtype=float64)"},
  {"tensor(0.1, {dtype='float16'})", {},
   "tensor(0.1000, dtype=float16)"},
  {"tensor.zeros(0)", {},
   "tensor([])"},
  {"tensor.zeros(0, 3)", {},
   "tensor([], size=(0, 3))"},
  {"tensor.zeros(2, 0, 4)", {},
   "tensor([], size=(2, 0, 4))"},
  {"tensor.zeros({0}, {dtype='int64'})", {},
   "tensor([], dtype=int64)"},
  {"tensor.zeros({0, 2}, {dtype='bool'})", {},
   "tensor([], size=(0, 2), dtype=bool)"},
  {"tensor.zeros({0}, {dtype='float64'})", {},
   "tensor([], dtype=float64)"},
  {"tensor{true, false}", {},
   "tensor([ true, false])"},
  {"tensor{{true, false, true}, {false, false, true}}", {},
   "tensor([[ true, false,  true],\n        [false, false,  true]])"},
  {"tensor({1/3, 2/3}, {dtype='float64'})", {},
   "tensor([0.3333, 0.6667], dtype=float64)"},
  {"tensor({0.1, 1000.5}, {dtype='float16'})", {},
   "tensor([9.9976e-02, 1.0005e+03], dtype=float16)"},
  {"tensor({0.1, 3.0}, {dtype='bfloat16'})", {},
   "tensor([0.1001, 3.0000], dtype=bfloat16)"},
  {"tensor({{1, 2}, {3, 4}}, {dtype='float16'})", {},
   "tensor([[1., 2.],\n        [3., 4.]], dtype=float16)"},
  {"sines(30)", {},
   "tensor([ 0.0000,  2.5244,  2.7279,  0.4234, -2.2704, -2.8768, -0.8382,  1.9710,\n         2.9681,  1.2364, -1.6321, -3.0000, -1.6097,  1.2605,  2.9718,  1.9509,\n        -0.8637, -2.8842, -2.2530,  0.4496,  2.7388,  2.5100, -0.0266, -2.5387,\n        -2.7167, -0.3971,  2.2877,  2.8691,  0.8127, -1.9909])"},
  {"tensor(ints(40, function(i) return i * 37 % 2001 - 1000 end))", {},
   "tensor([-1000,  -963,  -926,  -889,  -852,  -815,  -778,  -741,  -704,  -667,\n         -630,  -593,  -556,  -519,  -482,  -445,  -408,  -371,  -334,  -297,\n         -260,  -223,  -186,  -149,  -112,   -75,   -38,    -1,    36,    73,\n          110,   147,   184,   221,   258,   295,   332,   369,   406,   443])"},
  {"sines(60):view(2, 30)", {},
   "tensor([[ 0.0000,  2.5244,  2.7279,  0.4234, -2.2704, -2.8768, -0.8382,  1.9710,\n          2.9681,  1.2364, -1.6321, -3.0000, -1.6097,  1.2605,  2.9718,  1.9509,\n         -0.8637, -2.8842, -2.2530,  0.4496,  2.7388,  2.5100, -0.0266, -2.5387,\n         -2.7167, -0.3971,  2.2877,  2.8691,  0.8127, -1.9909],\n        [-2.9641, -1.2121,  1.6543,  2.9997,  1.5872, -1.2845, -2.9753, -1.9306,\n          0.8891,  2.8914,  2.2353, -0.4759, -2.7496, -2.4953,  0.0531,  2.5527,\n          2.7054,  0.3707, -2.3048, -2.8613, -0.7871,  2.0107,  2.9599,  1.1878,\n         -1.6764, -2.9993, -1.5647,  1.3085,  2.9786,  1.9102]])"},
  {"sines(60):view(2, 2, 15)", {},
   "tensor([[[ 0.0000,  2.5244,  2.7279,  0.4234, -2.2704, -2.8768, -0.8382,\n           1.9710,  2.9681,  1.2364, -1.6321, -3.0000, -1.6097,  1.2605,\n           2.9718],\n         [ 1.9509, -0.8637, -2.8842, -2.2530,  0.4496,  2.7388,  2.5100,\n          -0.0266, -2.5387, -2.7167, -0.3971,  2.2877,  2.8691,  0.8127,\n          -1.9909]],\n\n        [[-2.9641, -1.2121,  1.6543,  2.9997,  1.5872, -1.2845, -2.9753,\n          -1.9306,  0.8891,  2.8914,  2.2353, -0.4759, -2.7496, -2.4953,\n           0.0531],\n         [ 2.5527,  2.7054,  0.3707, -2.3048, -2.8613, -0.7871,  2.0107,\n           2.9599,  1.1878, -1.6764, -2.9993, -1.5647,  1.3085,  2.9786,\n           1.9102]]])"},
  {"sines(20, 1e6)", {},
   "tensor([      0.0000,  841471.0000,  909297.4375,  141120.0156, -756802.5000,\n        -958924.2500, -279415.5000,  656986.6250,  989358.2500,  412118.5000,\n        -544021.1250, -999990.1875, -536572.9375,  420167.0312,  990607.3750,\n         650287.8125, -287903.3125, -961397.5000, -750987.2500,  149877.2031])"},
  {"tensor(ints(2000))", {},
   "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"},
  {"tensor(ints(1100, function(i) return i * 0.5 end))", {},
   "tensor([0.0000e+00, 5.0000e-01, 1.0000e+00,  ..., 5.4850e+02, 5.4900e+02,\n        5.4950e+02])"},
  {"sines(1600):view(40, 40)", {},
   "tensor([[ 0.0000,  2.5244,  2.7279,  ..., -1.9306,  0.8891,  2.8914],\n        [ 2.2353, -0.4759, -2.7496,  ...,  2.9986,  1.5419, -1.3323],\n        [-2.9817, -1.8897,  0.9397,  ..., -2.0691, -2.9459, -1.1142],\n        ...,\n        [-0.9148, -2.8984, -2.2173,  ...,  1.1385, -1.7204, -2.9976],\n        [-1.5188,  1.3564,  2.9845,  ..., -2.8274, -0.6838,  2.0885],\n        [ 2.9406,  1.0892, -1.7637,  ...,  2.6329,  2.6326,  0.2118]])"},
  {"sines(1728):view(12, 12, 12)", {},
   "tensor([[[ 0.0000,  2.5244,  2.7279,  ...,  1.2364, -1.6321, -3.0000],\n         [-1.6097,  1.2605,  2.9718,  ...,  2.5100, -0.0266, -2.5387],\n         [-2.7167, -0.3971,  2.2877,  ...,  2.9997,  1.5872, -1.2845],\n         ...,\n         [ 2.7805,  2.4502, -0.1327,  ..., -2.0691, -2.9459, -1.1142],\n         [ 1.7418,  2.9964,  1.4961,  ..., -0.5804, -2.7903, -2.4348],\n         [ 0.1593,  2.6069,  2.6578,  ...,  1.0895, -1.7634, -2.9950]],\n\n        [[-1.4731,  1.4032,  2.9894,  ...,  2.4192, -0.1858, -2.6199],\n         [-2.6454, -0.2386,  2.3875,  ...,  2.9934,  1.4499, -1.4267],\n         [-2.9915, -1.8060,  1.0399,  ...,  2.6328,  2.6327,  0.2122],\n         ...,\n         [ 1.8690,  2.9845,  1.3560,  ..., -0.7358, -2.8449, -2.3383],\n         [ 0.3181,  2.6820,  2.5802,  ...,  0.9396, -1.8897, -2.9817],\n         [-1.3323,  1.5420,  2.9986,  ...,  2.3216, -0.3444, -2.6938]],\n\n        [[-2.5665, -0.0796,  2.4805,  ...,  2.9786,  1.3084, -1.5647],\n         [-2.9993, -1.6763,  1.1879,  ...,  2.7054,  2.5527,  0.0530],\n         [-2.4954, -2.7495, -0.4758,  ...,  1.5873,  2.9997,  1.6542],\n         ...,\n         [ 0.4760,  2.7496,  2.4953,  ...,  0.7870, -2.0108, -2.9599],\n         [-1.1877,  1.6764,  2.9993,  ...,  2.2175, -0.5022, -2.7601],\n         [-2.4804,  0.0797,  2.5666,  ...,  2.9554,  1.1633, -1.6984]],\n\n        ...,\n\n        [[ 2.9870,  1.3794, -1.4965,  ..., -2.8364, -2.3547,  0.2919],\n         [ 2.6702,  2.5935,  0.1324,  ..., -1.8692, -2.9844, -1.3558],\n         [ 1.5194,  2.9976,  1.7198,  ..., -0.3183, -2.6822, -2.5800],\n         ...,\n         [ 0.8634, -1.9511, -2.9718,  ..., -1.9707,  0.8386,  2.8769],\n         [ 2.2702, -0.4237, -2.7280,  ..., -2.8767, -0.8379,  1.9712],\n         [ 2.9680,  1.2360, -1.6324,  ..., -2.8843, -2.2527,  0.4500]],\n\n        [[ 2.7390,  2.5098, -0.0269,  ..., -1.9912, -2.9640, -1.2118],\n         [ 1.6546,  2.9997,  1.5869,  ..., -0.4762, -2.7497, -2.4951],\n         [ 0.0535,  2.5529,  2.7052,  ...,  1.1874, -1.6767, -2.9993],\n         ...,\n         [ 2.1629, -0.5808, -2.7905,  ..., -2.8274, -0.6838,  2.0885],\n         [ 2.9406,  1.0892, -1.7637,  ..., -2.9240, -2.1444,  0.6068],\n         [ 2.8001,  2.4190, -0.1861,  ..., -2.1075, -2.9353, -1.0644]],\n\n        [[ 1.7851,  2.9934,  1.4496,  ..., -0.6328, -2.8095, -2.4032],\n         [ 0.2126,  2.6329,  2.6326,  ...,  1.0395, -1.8064, -2.9915],\n         [-1.4263,  1.4503,  2.9934,  ...,  2.3872, -0.2391, -2.6456],\n         ...,\n         [ 2.9050,  0.9393, -1.8900,  ..., -2.9555, -2.0300,  0.7619],\n         [ 2.8533,  2.3214, -0.3448,  ..., -2.2178, -2.8982, -0.9140],\n         [ 1.9106,  2.9786,  1.3081,  ..., -0.7876, -2.8614, -2.3045]]])"},
  {"sines(1200):view(1200, 1)", {},
   "tensor([[ 0.0000],\n        [ 2.5244],\n        [ 2.7279],\n        ...,\n        [-0.1595],\n        [-2.6070],\n        [-2.6576]])"},
  {"tensor(ints(2000)):view(2, 1000)", {},
   "tensor([[   0,    1,    2,  ...,  997,  998,  999],\n        [1000, 1001, 1002,  ..., 1997, 1998, 1999]])"},
  {"sines(2048, 1e-5):view(2, 4, 4, 64)", {},
   "tensor([[[[ 0.0000e+00,  8.4147e-06,  9.0930e-06,  ..., -9.6612e-06,\n           -7.3918e-06,  1.6736e-06],\n          [ 9.2003e-06,  8.2683e-06, -2.6551e-07,  ..., -6.1604e-06,\n            3.2999e-06,  9.7263e-06],\n          [ 7.2104e-06, -1.9347e-06, -9.3011e-06,  ...,  4.8332e-06,\n            9.9780e-06,  5.9491e-06],\n          [-3.5494e-06, -9.7846e-06, -7.0239e-06,  ...,  9.9482e-06,\n            4.5200e-06, -5.0639e-06]],\n\n         [[-9.9921e-06, -5.7336e-06,  3.7964e-06,  ...,  2.9634e-06,\n           -6.4356e-06, -9.9177e-06],\n          [-4.2816e-06,  5.2911e-06,  9.9991e-06,  ..., -7.6258e-06,\n           -9.5637e-06, -2.7088e-06],\n          [ 6.6366e-06,  9.8803e-06,  4.0401e-06,  ..., -8.9398e-06,\n           -1.0596e-06,  7.7948e-06],\n          [ 9.4827e-06,  2.4522e-06, -6.8328e-06,  ...,  6.1950e-07,\n            8.7333e-06,  8.8177e-06]],\n\n         [[ 7.9518e-07, -7.9584e-06, -9.3951e-06,  ...,  9.4253e-06,\n            7.9040e-06, -8.8429e-07],\n          [-8.8595e-06, -8.6894e-06, -5.3023e-07,  ...,  6.7673e-06,\n           -2.5388e-06, -9.5107e-06],\n          [-7.7385e-06,  1.1484e-06,  8.9795e-06,  ..., -4.1217e-06,\n           -9.8937e-06, -6.5694e-06],\n          [ 2.7947e-06,  9.5894e-06,  7.5676e-06,  ..., -9.9975e-06,\n           -5.2150e-06,  4.3622e-06]],\n\n         [[ 9.9288e-06,  6.3669e-06, -3.0487e-06,  ..., -3.7135e-06,\n            5.8066e-06,  9.9881e-06],\n          [ 4.9866e-06, -4.5996e-06, -9.9569e-06,  ...,  7.0872e-06,\n            9.7657e-06,  3.4656e-06],\n          [-6.0207e-06, -9.9717e-06, -4.7547e-06,  ...,  9.2678e-06,\n            1.8469e-06, -7.2720e-06],\n          [-9.7051e-06, -3.2154e-06,  6.2306e-06,  ...,  1.7612e-07,\n           -8.3182e-06, -9.1649e-06]]],\n\n\n        [[[-1.5853e-06,  7.4517e-06,  9.6377e-06,  ..., -9.1298e-06,\n           -8.3661e-06,  8.9417e-08],\n          [ 8.4627e-06,  9.0554e-06,  1.3226e-06,  ..., -7.3313e-06,\n            1.7616e-06,  9.2349e-06],\n          [ 8.2177e-06, -3.5489e-07, -8.6012e-06,  ...,  3.3842e-06,\n            9.7467e-06,  7.1481e-06],\n          [-2.0224e-06, -9.3335e-06, -8.0635e-06,  ...,  9.9835e-06,\n            5.8770e-06, -3.6328e-06]],\n\n         [[-9.8026e-06, -6.9599e-06,  2.2817e-06,  ...,  4.4400e-06,\n           -5.1408e-06, -9.9952e-06],\n          [-5.6601e-06,  3.8789e-06,  9.8517e-06,  ..., -6.5038e-06,\n           -9.9059e-06, -4.2006e-06],\n          [ 5.3667e-06,  9.9999e-06,  5.4392e-06,  ..., -9.5372e-06,\n           -2.6226e-06,  6.7032e-06],\n          [ 9.8661e-06,  3.9581e-06, -5.5889e-06,  ..., -9.7062e-07,\n            7.8506e-06,  9.4540e-06]],\n\n         [[ 2.3654e-06, -6.8979e-06, -9.8193e-06,  ...,  8.7765e-06,\n            8.7752e-06,  7.0602e-07],\n          [-8.0122e-06, -9.3641e-06, -2.1066e-06,  ...,  7.8489e-06,\n           -9.7332e-07, -8.9006e-06],\n          [-8.6448e-06, -4.4092e-07,  8.1683e-06,  ..., -2.6252e-06,\n           -9.5380e-06, -7.6816e-06],\n          [ 1.2372e-06,  9.0185e-06,  8.5082e-06,  ..., -9.9063e-06,\n           -6.5017e-06,  2.8805e-06]],\n\n         [[ 9.6144e-06,  7.5089e-06, -1.5003e-06,  ..., -5.1385e-06,\n            4.4425e-06,  9.9391e-06],\n          [ 6.2977e-06, -3.1337e-06, -9.6840e-06,  ...,  5.8792e-06,\n            9.9834e-06,  4.9089e-06],\n          [-4.6788e-06, -9.9648e-06, -6.0892e-06,  ...,  9.7461e-06,\n            3.3816e-06, -6.0919e-06],\n          [-9.9645e-06, -4.6759e-06,  4.9118e-06,  ...,  1.7590e-06,\n           -7.3331e-06, -9.6832e-06]]]])"},
  {"tensor{1.12345, 2.5}", {precision = 2},
   "tensor([1.12, 2.50])"},
  {"tensor(ints(10))", {threshold = 5},
   "tensor([0, 1, 2,  ..., 7, 8, 9])"},
  {"tensor{1.5, 2.0}", {sci_mode = true},
   "tensor([1.5000e+00, 2.0000e+00])"},
  {"tensor{1e-5, 1e5}", {sci_mode = false},
   "tensor([    0.0000, 100000.0000])"},
  {"sines(30)", {linewidth = 40},
   "tensor([ 0.0000,  2.5244,  2.7279,\n         0.4234, -2.2704, -2.8768,\n        -0.8382,  1.9710,  2.9681,\n         1.2364, -1.6321, -3.0000,\n        -1.6097,  1.2605,  2.9718,\n         1.9509, -0.8637, -2.8842,\n        -2.2530,  0.4496,  2.7388,\n         2.5100, -0.0266, -2.5387,\n        -2.7167, -0.3971,  2.2877,\n         2.8691,  0.8127, -1.9909])"},
  {"sines(100):view(10, 10)", {threshold = 50, edgeitems = 2},
   "tensor([[ 0.0000,  2.5244,  ...,  2.9681,  1.2364],\n        [-1.6321, -3.0000,  ..., -2.2530,  0.4496],\n        ...,\n        [-2.9817, -1.8897,  ...,  0.1062,  2.5802],\n        [ 2.6820,  0.3180,  ..., -1.7201, -2.9976]])"},
  {"sines(100):view(10, 10)", {threshold = 50, edgeitems = 1},
   "tensor([[ 0.0000,  ...,  1.2364],\n        ...,\n        [ 2.6820,  ..., -2.9976]])"},
  {"tensor{1.5, 2.5, 3.25}", {precision = 0},
   "tensor([2, 2, 3])"},
  {"tensor{1.123456789}", {precision = 8},
   "tensor([1.12345684])"},
  {"tensor(ints(2000))", {profile = "short"},
   "tensor([   0,    1,  ..., 1998, 1999])"},
  {"sines(12):view(3, 4)", {linewidth = 10},
   "tensor([[ 0.0000,\n          2.5244,\n          2.7279,\n          0.4234],\n        [-2.2704,\n         -2.8768,\n         -0.8382,\n          1.9710],\n        [ 2.9681,\n          1.2364,\n         -1.6321,\n         -3.0000]])"},
  {"tensor{0.0, 0.0}", {sci_mode = true},
   "tensor([0., 0.])"},
  {"tensor{{1, 2, 3}, {4, 5, 6}}:t()", {},
   "tensor([[1, 4],\n        [2, 5],\n        [3, 6]])"},
  {"sines(12):view(3, 4):narrow(2, 2, 2)", {},
   "tensor([[ 2.5244,  2.7279],\n        [-2.8768, -0.8382],\n        [ 1.2364, -1.6321]])"},
  {"tensor{{1.5}, {2.5}}:expand(2, 3)", {},
   "tensor([[1.5000, 1.5000, 1.5000],\n        [2.5000, 2.5000, 2.5000]])"},
  {"tensor(ints(24)):view(2, 3, 4):permute(3, 1, 2)", {},
   "tensor([[[ 0,  4,  8],\n         [12, 16, 20]],\n\n        [[ 1,  5,  9],\n         [13, 17, 21]],\n\n        [[ 2,  6, 10],\n         [14, 18, 22]],\n\n        [[ 3,  7, 11],\n         [15, 19, 23]]])"},
  {"sines(12):view(3, 4):select(1, 2)", {},
   "tensor([-2.2704, -2.8768, -0.8382,  1.9710])"},
  {"tensor(ints(18, function(i) return 10 + i * 5 end), {dtype='int32'})", {},
   "tensor([10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95],\n       dtype=int32)"},
  {"sines(10):double()", {},
   "tensor([ 0.0000,  2.5244,  2.7279,  0.4234, -2.2704, -2.8768, -0.8382,  1.9710,\n         2.9681,  1.2364], dtype=float64)"},
}

for i, c in ipairs(CASES) do
  T.test(string.format("case %d: %s %s", i, c[1], next(c[2]) and "(options)" or ""), function()
    tensor.set_printoptions{profile = "default"}
    tensor.set_printoptions(c[2])
    local t = assert(load("return " .. c[1]))()
    local got = tostring(t)
    tensor.set_printoptions{profile = "default"}
    if got ~= c[3] then error("\ngot:\n" .. got .. "\nexpected:\n" .. c[3]) end
  end)
end

T.test("print and tostring agree, and print works", function()
  local t = tensor{{1, 2}, {3, 4}}
  T.eq(tostring(t), "tensor([[1, 2],\n        [3, 4]])")
  print(t)
end)

-- Suffixes wrap by the length of the text we print: "dtype=int32" is 6
-- characters shorter than torch's "dtype=torch.int32", so it can stay on a
-- line where torch would break (worked out by hand from _add_suffixes).
T.test("dtype suffix fits by our own length", function()
  local t = tensor(ints(14, function(i) return 10 + i end), {dtype = "int32"})
  T.eq(tostring(t), "tensor([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23], dtype=int32)")
  t = tensor(ints(16, function(i) return 10 + i end), {dtype = "int32"})
  T.eq(tostring(t), "tensor([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25],\n       dtype=int32)")
end)

T.test("booleans print as Lua literals, as totable gives them", function()
  local t = tensor{true, false}
  T.eq(tostring(t), "tensor([ true, false])")
  T.eq(t:totable()[1], true)
  T.eq(tostring(tensor(false)), "tensor(false)")
end)

T.test("threshold: profile full and math.huge never summarise", function()
  local t = tensor(ints(1001))
  T.check(tostring(t):find("...", 1, true), "default summarises 1001 elements")
  tensor.set_printoptions{profile = "full"}
  local s = tostring(t)
  T.check(not s:find("...", 1, true) and s:find("1000])", 1, true), "full prints every element")
  T.eq(tensor.get_printoptions().threshold, math.huge)
  tensor.set_printoptions{threshold = math.huge}
  T.check(not tostring(t):find("...", 1, true))
  tensor.set_printoptions{threshold = 1001}
  T.check(not tostring(t):find("...", 1, true), "numel must exceed the threshold")
  tensor.set_printoptions{threshold = 1000}
  T.check(tostring(t):find("...", 1, true))
  tensor.set_printoptions{profile = "default"}
end)

T.test("get_printoptions: defaults, round trip, reset", function()
  tensor.set_printoptions{profile = "default"}
  local o = tensor.get_printoptions()
  T.eq(o.precision, 4); T.eq(o.threshold, 1000); T.eq(o.edgeitems, 3); T.eq(o.linewidth, 80)
  T.eq(o.sci_mode, nil)
  tensor.set_printoptions{precision = 2, linewidth = 60, sci_mode = true}
  local saved = tensor.get_printoptions()
  T.eq(saved.precision, 2); T.eq(saved.sci_mode, true)
  tensor.set_printoptions{profile = "default"}
  T.eq(tensor.get_printoptions().precision, 4)
  tensor.set_printoptions(saved)
  T.eq(tostring(tensor{1.5}), "tensor([1.50e+00])")
  tensor.set_printoptions{profile = "short"}
  o = tensor.get_printoptions()
  T.eq(o.precision, 2); T.eq(o.edgeitems, 2); T.eq(o.linewidth, 80)
  tensor.set_printoptions{profile = "default"}
end)

T.test("sci_mode left out means automatic again, as in PyTorch", function()
  tensor.set_printoptions{sci_mode = false}
  T.eq(tostring(tensor{1e-5, 1e5}), "tensor([    0.0000, 100000.0000])")
  tensor.set_printoptions{precision = 4}
  T.eq(tostring(tensor{1e-5, 1e5}), "tensor([1.0000e-05, 1.0000e+05])")
  tensor.set_printoptions{sci_mode = true}
  tensor.set_printoptions()
  T.eq(tensor.get_printoptions().sci_mode, nil)
  tensor.set_printoptions{profile = "default"}
end)

T.test("profile applies before the other options of the call", function()
  tensor.set_printoptions{profile = "short", precision = 3}
  local o = tensor.get_printoptions()
  T.eq(o.precision, 3); T.eq(o.edgeitems, 2)
  tensor.set_printoptions{profile = "default"}
end)

T.test("summary: digests worked out by hand", function()
  T.eq(tensor{{1.5, 2}, {0, 4}}:summary(), "tensor[2,2] f32 n=4 16B x∈[0.0,4.0] μ=1.875 σ=1.652")
  T.eq(tensor.zeros(64, 1, 28, 28):summary(), "tensor[64,1,28,28] f32 n=50176 196KiB all_zeros")
  T.eq(tensor{0/0, 1, 2, 1/0, -1/0, 0/0}:summary(), "tensor[6] f32 24B x∈[1.0,2.0] μ=1.5 σ=0.707 NaN!2 +Inf!1 -Inf!1")
  T.eq(tensor{1, 2, 3}:summary(), "tensor[3] i64 24B x∈[1,3] μ=2.0 σ=1.0")
  T.eq(tensor({-7, 9}, {dtype = "int32"}):summary(), "tensor[2] i32 8B x∈[-7,9] μ=1.0 σ=11.314")
  T.eq(tensor{true, false, true}:summary(), "tensor[3] bool 3B true=2 false=1")
  T.eq(tensor.zeros(0, 3):summary(), "tensor[0,3] f32 n=0 0B empty")
  T.eq(tensor(3.5):summary(), "tensor[] f32 4B x=3.5")
  T.eq(tensor(7):summary(), "tensor[] i64 8B x=7")
  T.eq(tensor{0/0}:summary(), "tensor[1] f32 4B NaN!1")
  T.eq(tensor({1e6, 3e6}, {dtype = "float64"}):summary(), "tensor[2] f64 16B x∈[1.00e+06,3.00e+06] μ=2.00e+06 σ=1.41e+06")
  T.eq(tensor{0.0001, 0.0003}:summary(), "tensor[2] f32 8B x∈[1.00e-04,3.00e-04] μ=2.00e-04 σ=1.41e-04")
  T.eq(tensor.ones(512, 1024, {dtype = "float64"}):summary(), "tensor[512,1024] f64 n=524288 4MiB x∈[1.0,1.0] μ=1.0 σ=0.0")
  T.eq(tensor.ones(3, 100):summary(), "tensor[3,100] f32 n=300 1.2KiB x∈[1.0,1.0] μ=1.0 σ=0.0")
  T.eq(tensor.summary(tensor{2.0, 4.0}), "tensor[2] f32 8B x∈[2.0,4.0] μ=3.0 σ=1.414")
end)

T.test("summary of a view reads its own elements", function()
  local base = tensor{{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}
  T.eq(base:t():summary(), "tensor[3,2] f32 n=6 24B x∈[1.0,6.0] μ=3.5 σ=1.871")
  T.eq(base:narrow(2, 2, 2):summary(), "tensor[2,2] f32 n=4 16B x∈[2.0,6.0] μ=4.0 σ=1.826")
  T.eq(base:select(2, 3):summary(), "tensor[2] f32 8B x∈[3.0,6.0] μ=4.5 σ=2.121")
  T.eq(tensor{{5.0}}:expand(2, 4):summary(), "tensor[2,4] f32 n=8 32B x∈[5.0,5.0] μ=5.0 σ=0.0")
end)

-- ---- bad calls ----
local sp = tensor.set_printoptions
local bad = {
  {function() sp{precison = 2} end, "set_printoptions: unknown option 'precison'"},
  {function() sp{precision = -1} end, "precision must be an integer from 0 to 50, got -1"},
  {function() sp{precision = 51} end, "precision must be an integer from 0 to 50, got 51"},
  {function() sp{precision = 1.5} end, "precision must be an integer from 0 to 50, got a float"},
  {function() sp{precision = "4"} end, "precision must be an integer from 0 to 50, got string"},
  {function() sp{precision = 1e100} end, "got a float"},
  {function() sp{threshold = -1} end, "threshold must be a number >= 0"},
  {function() sp{threshold = "big"} end, "threshold must be a number >= 0 (math.huge: never summarise), got string"},
  {function() sp{threshold = 0/0} end, "threshold must be a number >= 0"},
  {function() sp{threshold = true} end, "got boolean"},
  {function() sp{edgeitems = 0} end, "edgeitems must be an integer from 1 to"},
  {function() sp{edgeitems = 2.5} end, "edgeitems must be an integer from 1 to 2147483647, got a float"},
  {function() sp{linewidth = 0} end, "linewidth must be an integer from 1 to 2147483647, got 0"},
  {function() sp{linewidth = true} end, "linewidth must be an integer from 1 to 2147483647, got boolean"},
  {function() sp{linewidth = 1 << 40} end, "linewidth must be an integer from 1 to 2147483647, got 1099511627776"},
  {function() sp{sci_mode = 1} end, "sci_mode must be true, false or nil, got number"},
  {function() sp{sci_mode = "yes"} end, "sci_mode must be true, false or nil, got string"},
  {function() sp{profile = "long"} end, "profile must be 'default', 'short' or 'full', got long"},
  {function() sp{profile = 1} end, "profile must be 'default', 'short' or 'full', got number"},
  {function() sp(5) end, "options table expected, got number"},
  {function() sp("default") end, "options table expected, got string"},
  {function() sp{4} end, "set_printoptions: unknown option '1'"},
  {function() sp{precision = 2, foo = 1} end, "unknown option 'foo' (expected precision, threshold, edgeitems"},
  {function() tensor.summary(5) end, "tensor expected, got number"},
  {function() tensor.summary() end, "tensor expected, got no value"},
  {function() tensor.summary({1, 2}) end, "tensor expected, got table"},
  {function() getmetatable(tensor{1}).__tostring({}) end, "tensor expected, got table"},
  {function() tensor{1}.summary("x") end, "tensor expected, got string"},
}
for i, b in ipairs(bad) do
  T.test("bad call " .. i, function() T.checkerr(b[1], b[2]) end)
end

T.test("a bad call changes nothing, and printing still works", function()
  tensor.set_printoptions{profile = "default"}
  T.checkerr(function() sp{precision = 2, edgeitems = 0} end, "edgeitems")
  T.checkerr(function() sp{profile = "short", linewidth = -3} end, "linewidth")
  local o = tensor.get_printoptions()
  T.eq(o.precision, 4); T.eq(o.edgeitems, 3); T.eq(o.linewidth, 80)
  T.eq(tostring(tensor{1.25, 2}), "tensor([1.2500, 2.0000])")
  T.eq(tensor{1.25, 2}:summary(), "tensor[2] f32 8B x∈[1.25,2.0] μ=1.625 σ=0.53")
end)

T.done()
