# bench/plot_bench.py: the matplotlib side of bench/plot_bench.sh, the same
# workloads as plot_bench.lua with matplotlib's defaults (Agg, PNG). Prints
# "<name> import_s render_save_s". Not a test.
#   python3 bench/plot_bench.py line|grid OUT.png
import sys
import time

which, out = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
import numpy as np
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
t1 = time.perf_counter()
rng = np.random.default_rng(0)
if which == "line":
    y = rng.standard_normal(100000).astype(np.float32)
    plt.figure()
    plt.plot(np.arange(1, 100001), y, linewidth=1)
    plt.title("100k points")
    plt.savefig(out)
elif which == "grid":
    x = rng.random((64, 1, 28, 28), dtype=np.float32)
    # make_grid: 8 x 8 tiles with 2 pixels of padding, 3 channels as torchvision
    pad, n = 2, 8
    grid = np.zeros((3, n * (28 + pad) + pad, n * (28 + pad) + pad), np.float32)
    for k in range(64):
        r, c = divmod(k, n)
        grid[:, r * 30 + pad:r * 30 + pad + 28, c * 30 + pad:c * 30 + pad + 28] = x[k]
    plt.figure()
    plt.imshow(grid.transpose(1, 2, 0), cmap="gray")
    plt.axis("off")
    plt.savefig(out)
else:
    sys.exit("usage: plot_bench.py line|grid OUT.png")
t2 = time.perf_counter()
print("%s %.4f %.4f" % (which, t1 - t0, t2 - t1))
