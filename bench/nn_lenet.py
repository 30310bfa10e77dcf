# bench/nn_lenet.py: the PyTorch half of bench/nn_lenet.sh, case for case the
# same as bench/nn_lenet.lua. Prints "case<TAB>milliseconds" (medians).
# Usage: /usr/bin/python3 bench/nn_lenet.py [THREADS] [REPS]
import sys
import time

import torch
import torch.nn.functional as F

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 50
torch.set_num_threads(threads)
torch.manual_seed(0)


def median(fn):
    for _ in range(5):
        fn()
    t = []
    for _ in range(reps):
        s = time.perf_counter()
        fn()
        t.append(time.perf_counter() - s)
    t.sort()
    return t[(reps + 1) // 2 - 1] * 1e3


def emit(case, ms):
    print(f"{case}\t{ms:.4f}", flush=True)


def leaf(*shape):
    return (torch.randn(*shape) * 0.1).requires_grad_()


def conv_case(name, x, w, b, **opts):
    g = torch.ones_like(F.conv2d(x, w, b, **opts))
    emit(name + " fwd", median(lambda: F.conv2d(x, w, b, **opts)))
    emit(name + " fwd+bwd", median(lambda: F.conv2d(x, w, b, **opts).backward(g)))


conv_case("conv1 1->6 5x5 pad2 28x28", torch.randn(64, 1, 28, 28), leaf(6, 1, 5, 5), leaf(6), padding=2)
conv_case("conv2 6->16 5x5 14x14", torch.randn(64, 6, 14, 14).requires_grad_(), leaf(16, 6, 5, 5), leaf(16))
px = torch.randn(64, 6, 28, 28).requires_grad_()
pg = torch.ones(64, 6, 14, 14)
emit("maxpool 2x2 6x28x28 fwd", median(lambda: F.max_pool2d(px, 2)))
emit("maxpool 2x2 6x28x28 fwd+bwd", median(lambda: F.max_pool2d(px, 2).backward(pg)))
logits, target = torch.randn(64, 10).requires_grad_(), torch.randint(0, 10, (64,))
emit("cross_entropy 64x10 fwd", median(lambda: F.cross_entropy(logits, target)))
emit("cross_entropy 64x10 fwd+bwd", median(lambda: F.cross_entropy(logits, target).backward()))

P = dict(c1w=leaf(6, 1, 5, 5), c1b=leaf(6), c2w=leaf(16, 6, 5, 5), c2b=leaf(16), f1w=leaf(120, 400), f1b=leaf(120),
         f2w=leaf(84, 120), f2b=leaf(84), f3w=leaf(10, 84), f3b=leaf(10))


def net(x):
    x = F.max_pool2d(F.relu(F.conv2d(x, P["c1w"], P["c1b"], padding=2)), 2)
    x = F.max_pool2d(F.relu(F.conv2d(x, P["c2w"], P["c2b"])), 2)
    x = F.relu(F.linear(torch.flatten(x, 1), P["f1w"], P["f1b"]))
    x = F.relu(F.linear(x, P["f2w"], P["f2b"]))
    return F.linear(x, P["f3w"], P["f3b"])


images = torch.randn(64, 1, 28, 28)


def step():
    for p in P.values():
        p.grad = None
    F.cross_entropy(net(images), target).backward()


def fwd():
    with torch.no_grad():
        return net(images)


emit("LeNet fwd", median(fwd))
emit("LeNet fwd+bwd", median(step))
