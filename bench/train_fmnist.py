# bench/train_fmnist.py: the PyTorch side of bench/train.sh. The same
# training as scripts/train_fmnist.lua (model, data, normalisation, batch,
# optimizer, seed), written the fast PyTorch way: the data set in memory as
# tensors and batches cut with a random permutation (torch's DataLoader
# costs more per sample). Prints "epoch<TAB>seconds<TAB>test accuracy".
import gzip, sys, time
import numpy as np
import torch
import torch.nn as nn

model_name, epochs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(0)
root = "/usr/share/datasets/fashion-mnist/"

def idx(name, offset):
    with gzip.open(root + name) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)

def images(name):
    return torch.from_numpy(idx(name, 16).reshape(-1, 1, 28, 28).copy()).float().div_(255).sub_(0.2860).div_(0.3530)

xtr, ytr = images("train-images-idx3-ubyte.gz"), torch.from_numpy(idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64))
xte, yte = images("t10k-images-idx3-ubyte.gz"), torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64))

if model_name == "lenet":
    model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
else:
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
crit = nn.CrossEntropyLoss()
for epoch in range(1, epochs + 1):
    model.train()
    t0 = time.perf_counter()
    perm = torch.randperm(xtr.shape[0])
    for i in range(0, xtr.shape[0], 64):
        j = perm[i:i + 64]
        x, y = xtr[j], ytr[j]
        opt.zero_grad()
        loss = crit(model(x), y)
        loss.backward()
        opt.step()
    dt = time.perf_counter() - t0
    model.eval()
    with torch.no_grad():
        acc = sum((model(xte[i:i + 1000]).argmax(1) == yte[i:i + 1000]).sum().item()
                  for i in range(0, 10000, 1000)) / 10000
    print(f"{epoch}\t{dt:.3f}\t{acc:.4f}", flush=True)
