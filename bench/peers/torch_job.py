"""PyTorch's whole job for `npm run bench`, the counterpart of `adam-lab train
configs/mnist-mlp-adam.yaml --set train.epochs=1`: start, load MNIST (train and test, scaled
to float32 [0, 1]), train 784→128→10 ReLU with Adam 1e-3, batch 64, one shuffled epoch, then
evaluate on the test set. The caller times the process from start to exit.

Usage: /usr/bin/python3 bench/peers/torch_job.py <mnist folder>
Prints one JSON object: {"test_accuracy", "peak_rss_mb"}.
"""
import json
import os
import resource
import sys

import torch

folder = sys.argv[1]
torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', '1')))
torch.manual_seed(0)


def read_idx(name):
    with open(os.path.join(folder, name), 'rb') as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(rank)]
    return torch.frombuffer(bytearray(data[4 + 4 * rank:]), dtype=torch.uint8).reshape(dims)


train_x = read_idx('train-images-idx3-ubyte').reshape(-1, 784).float().div_(255)
train_y = read_idx('train-labels-idx1-ubyte').long()
test_x = read_idx('t10k-images-idx3-ubyte').reshape(-1, 784).float().div_(255)
test_y = read_idx('t10k-labels-idx1-ubyte').long()
model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = torch.nn.CrossEntropyLoss()
order = torch.randperm(len(train_x))
for i in range(0, len(train_x), 64):
    idx = order[i:i + 64]
    opt.zero_grad()
    loss_fn(model(train_x[idx]), train_y[idx]).backward()
    opt.step()
with torch.no_grad():
    accuracy = (model(test_x).argmax(1) == test_y).float().mean().item()
print(json.dumps({'test_accuracy': accuracy, 'peak_rss_mb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
