"""bench/load_torch.py: the PyTorch half of bench/load.sh, step for step as
bench/load_tensh.lua. Prints the mean seconds per step; asserts nothing.
Usage: python3 bench/load_torch.py SECONDS THREADS"""
import sys
import time

import torch

secs = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
if len(sys.argv) > 2:
    torch.set_num_threads(int(sys.argv[2]))
torch.manual_seed(0)
a, b = torch.randn(4 << 20), torch.randn(4 << 20)
x, m, r = torch.randn(1024, 1000), torch.randn(256, 256), torch.randn(1 << 20)


def step():
    a + b
    x.softmax(1)
    m.matmul(m)
    r.relu()


for _ in range(3):
    step()
t0, n = time.perf_counter(), 0
while time.perf_counter() - t0 < secs:
    step()
    n += 1
print("%.9f" % ((time.perf_counter() - t0) / n))
