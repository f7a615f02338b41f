"""PyTorch peer for `npm run bench`: the same workloads, timed the same way.

Usage: /usr/bin/python3 bench/peers/torch_peer.py <mnist folder> <threads> [--quick]
Prints one JSON object: {"torch": version, "threads": n, "w0_us_per_step": ..., "w1_samples_per_s": ...}.
Timed loop = gather batch + forward + backward + Adam step, float32, data in memory.
"""
import json
import os
import sys
import time

import torch

folder, threads = sys.argv[1], int(sys.argv[2])
quick = '--quick' in sys.argv
torch.set_num_threads(threads)
torch.manual_seed(0)


def read_idx(path):
    with open(path, 'rb') as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(rank)]
    return torch.frombuffer(bytearray(data[4 + 4 * rank:]), dtype=torch.uint8).reshape(dims)


def w0(steps):
    """Seed toy: Linear(2,4) ReLU Linear(4,1) Sigmoid, BCE, Adam, a fresh random batch of 100 per step."""
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1), torch.nn.Sigmoid())
    opt = torch.optim.Adam(model.parameters())
    loss_fn = torch.nn.BCELoss()

    def step():
        x, y = torch.rand(100, 2), torch.rand(100, 1)
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    for _ in range(200):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps * 1e6


def w1(limit):
    """MNIST MLP 784→128→10 ReLU, cross entropy, Adam 1e-3, batch 64, one shuffled epoch."""
    images = read_idx(os.path.join(folder, 'train-images-idx3-ubyte'))[:limit].reshape(-1, 784)
    labels = read_idx(os.path.join(folder, 'train-labels-idx1-ubyte'))[:limit].long()
    model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    order = torch.randperm(len(images))
    start = time.perf_counter()
    for i in range(0, len(images), 64):
        idx = order[i:i + 64]
        x = images[idx].float() / 255
        opt.zero_grad()
        loss_fn(model(x), labels[idx]).backward()
        opt.step()
    return len(images) / (time.perf_counter() - start)


print(json.dumps({
    'torch': torch.__version__,
    'threads': threads,
    'w0_us_per_step': w0(2000 if quick else 20000),
    'w1_samples_per_s': w1(6000 if quick else 60000),
}))
