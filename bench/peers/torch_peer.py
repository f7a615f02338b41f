"""PyTorch peer for `npm run bench`: the same workloads as adam-lab's side, timed the same way.

Usage: /usr/bin/python3 bench/peers/torch_peer.py <mnist folder> <samples> <repeats> <workload>... [--quick]
A workload is named as in bench/workloads.ts: `toy` (W0), `mlp:<widths>:<batch>` (e.g.
`mlp:256-256:128`), `cnn:<channels>:<batch>` (e.g. `cnn:8-16:64`) or `gemm`.
Prints one JSON object: {"torch", "omp_threads", "blas", "blas_core", "blas_threads",
"results": {workload: figure}, "gemm_gflops": {"512", "1024"}, "peak_rss_mb"}; a figure is µs
per step for `toy`, the best of `repeats` epochs' samples/s otherwise.

The caller chooses the configuration through the environment: OMP_NUM_THREADS (torch's own
threads), OPENBLAS_NUM_THREADS, OPENBLAS_CORETYPE (unset: OpenBLAS picks its kernels for this
CPU) and GLIBC_TUNABLES (a high malloc mmap/trim threshold keeps the step's short-lived
tensors off mmap, which otherwise faults fresh pages in on every step).

The images are scaled to float32 [0, 1] once at load (adam-lab's side keeps them as bytes and
scales each batch as it gathers it: more work there, not less), and every step gathers its
shuffled batch's rows (`images[idx]`) + forward + backward + Adam step.
"""
import ctypes
import json
import os
import resource
import sys
import time

import torch

folder, samples, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
workloads = [a for a in sys.argv[4:] if not a.startswith('--')]
quick = '--quick' in sys.argv
torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', '1')))
torch.manual_seed(0)


def blas_libraries():
    """The BLAS shared libraries this process actually mapped (reference libblas or OpenBLAS)."""
    torch.mm(torch.ones(8, 8), torch.ones(8, 8))
    with open('/proc/self/maps') as maps:
        paths = {line.split()[-1] for line in maps if 'blas' in line.lower() and line.split()[-1].startswith('/')}
    return sorted({os.path.realpath(p) for p in paths})


def openblas_core(libraries):
    """OpenBLAS's own name for the kernels it chose (e.g. Haswell, SkylakeX) and its thread count; None without OpenBLAS."""
    for path in sorted(libraries, key=lambda p: 'libopenblas' not in p):
        if 'openblas' not in path:
            continue
        library = ctypes.CDLL(path)
        library.openblas_get_corename.restype = ctypes.c_char_p
        return library.openblas_get_corename().decode(), library.openblas_get_num_threads()
    return None, None


def read_idx(path):
    with open(path, 'rb') as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(rank)]
    return torch.frombuffer(bytearray(data[4 + 4 * rank:]), dtype=torch.uint8).reshape(dims)


def toy(steps):
    """W0 seed toy: Linear(2,4) ReLU Linear(4,1) Sigmoid, BCE, Adam, a fresh random batch of 100 per step; µs per step."""
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


def mlp(widths):
    """784→widths…→10 with ReLU between."""
    layers, width = [], 784
    for h in widths:
        layers += [torch.nn.Linear(width, h), torch.nn.ReLU()]
        width = h
    return torch.nn.Sequential(*layers, torch.nn.Linear(width, 10))


def cnn(channels):
    """conv(1→c1,3,p1) relu pool2 conv(c1→c2,3,p1) relu pool2 linear(c2·7·7→10): configs/mnist-cnn-small.yaml at 8/16."""
    c1, c2 = channels
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, c1, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(c1, c2, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(c2 * 49, 10))


def train_mnist(model, images, labels, batch):
    """Shuffled epochs of `model`, Adam 1e-3, cross entropy; the best epoch's samples/s."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    best = 0.0
    for _ in range(repeats):
        order = torch.randperm(len(images))
        start = time.perf_counter()
        for i in range(0, len(images), batch):
            idx = order[i:i + batch]
            opt.zero_grad()
            loss_fn(model(images[idx]), labels[idx]).backward()
            opt.step()
        best = max(best, len(images) / (time.perf_counter() - start))
    return best


def gemm(size):
    """torch.mm(A, B) into a preallocated C, n×n float32; best of 10 runs, in GFLOP/s."""
    a, b, c = torch.rand(size, size), torch.rand(size, size), torch.empty(size, size)
    torch.mm(a, b, out=c)
    best = float('inf')
    for _ in range(10):
        start = time.perf_counter()
        torch.mm(a, b, out=c)
        best = min(best, time.perf_counter() - start)
    return 2 * size ** 3 / best / 1e9


def figure(workload, images, labels):
    kind, *rest = workload.split(':')
    if kind == 'toy':
        return toy(2000 if quick else 20000)
    sizes, batch = [int(s) for s in rest[0].split('-')], int(rest[1])
    if kind == 'mlp':
        return train_mnist(mlp(sizes), images.reshape(-1, 784), labels, batch)
    return train_mnist(cnn(sizes), images.reshape(-1, 1, 28, 28), labels, batch)


images = read_idx(os.path.join(folder, 'train-images-idx3-ubyte'))[:samples].float().div_(255)
labels = read_idx(os.path.join(folder, 'train-labels-idx1-ubyte'))[:samples].long()
libraries = blas_libraries()
core, blas_threads = openblas_core(libraries)
print(json.dumps({
    'torch': torch.__version__,
    'omp_threads': torch.get_num_threads(),
    'blas': ', '.join(libraries) if libraries else 'none mapped',
    'blas_core': core,
    'blas_threads': blas_threads,
    'results': {w: figure(w, images, labels) for w in workloads if w != 'gemm'},
    'gemm_gflops': {str(s): gemm(s) for s in (512, 1024)} if 'gemm' in workloads else None,
    'peak_rss_mb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
}))
