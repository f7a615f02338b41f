"""PyTorch peer for `npm run bench`: the same workloads, timed the same way.

Usage: /usr/bin/python3 bench/peers/torch_peer.py <mnist folder> <threads> <repeats> [--quick]
Prints one JSON object: {"torch", "threads", "blas", "w0_us_per_step", "w1_samples_per_s",
"w2_samples_per_s", "w3_samples_per_s", "gemm_gflops": {"512": ..., "1024": ...}, "peak_rss_mb"}.
Timed loop = gather batch + forward + backward + Adam step, float32, data in memory; W1, W2
and W3 report the best of `repeats` epochs, as adam-lab's side does (the machine is shared).
The caller sets OMP_NUM_THREADS / OPENBLAS_NUM_THREADS to `threads` too, so that a BLAS
with its own thread pool does not oversubscribe the cores.
"""
import json
import os
import resource
import sys
import time

import torch

folder, threads, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
quick = '--quick' in sys.argv
torch.set_num_threads(threads)
torch.manual_seed(0)


def blas_library():
    """The BLAS shared library this process actually mapped (reference libblas or OpenBLAS)."""
    torch.mm(torch.ones(8, 8), torch.ones(8, 8))
    with open('/proc/self/maps') as maps:
        paths = {line.split()[-1] for line in maps if 'blas' in line.lower() and line.split()[-1].startswith('/')}
    real = sorted({os.path.realpath(p) for p in paths})
    return ', '.join(real) if real else 'none mapped'


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


def mlp(limit, hidden, batch):
    """MNIST MLP 784→hidden…→10 ReLU, cross entropy, Adam 1e-3, shuffled epochs; best epoch's samples/s."""
    layers, width = [], 784
    for h in hidden:
        layers += [torch.nn.Linear(width, h), torch.nn.ReLU()]
        width = h
    return train_mnist(torch.nn.Sequential(*layers, torch.nn.Linear(width, 10)), limit, batch, (784,))


def cnn(limit):
    """MNIST CNN (configs/mnist-cnn-small.yaml): conv(1→8,3,p1) relu pool2 conv(8→16,3,p1) relu pool2 linear(784→10), batch 64."""
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(784, 10))
    return train_mnist(model, limit, 64, (1, 28, 28))


def train_mnist(model, limit, batch, shape):
    """Shuffled epochs of `model` on MNIST, Adam 1e-3, cross entropy; best epoch's samples/s."""
    images = read_idx(os.path.join(folder, 'train-images-idx3-ubyte'))[:limit].reshape(-1, *shape)
    labels = read_idx(os.path.join(folder, 'train-labels-idx1-ubyte'))[:limit].long()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    best = 0.0
    for _ in range(repeats):
        order = torch.randperm(len(images))
        start = time.perf_counter()
        for i in range(0, len(images), batch):
            idx = order[i:i + batch]
            x = images[idx].float() / 255
            opt.zero_grad()
            loss_fn(model(x), labels[idx]).backward()
            opt.step()
        best = max(best, len(images) / (time.perf_counter() - start))
    return best


def gemm(size):
    """torch.mm(A, B) into a preallocated C, n×n float32; best of several runs, in GFLOP/s."""
    a, b, c = torch.rand(size, size), torch.rand(size, size), torch.empty(size, size)
    torch.mm(a, b, out=c)
    best = float('inf')
    for _ in range(3 if quick else 10):
        start = time.perf_counter()
        torch.mm(a, b, out=c)
        best = min(best, time.perf_counter() - start)
    return 2 * size ** 3 / best / 1e9


print(json.dumps({
    'torch': torch.__version__,
    'threads': threads,
    'blas': blas_library(),
    'w0_us_per_step': w0(2000 if quick else 20000),
    'w1_samples_per_s': mlp(6000 if quick else 60000, [128], 64),
    'w2_samples_per_s': mlp(6000 if quick else 60000, [256, 256], 128),
    'w3_samples_per_s': cnn(6000 if quick else 60000),
    'gemm_gflops': {str(s): gemm(s) for s in (512, 1024)},
    'peak_rss_mb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
}))
