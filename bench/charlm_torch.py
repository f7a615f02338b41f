"""The PyTorch twin of configs/charlm-transformer.yaml for bench/charlm.ts: the same model
(test/fixtures/torch/seq_model_fixtures.py's modules), AdamW, batches of random blocks of the
same text; prints {"tokens_per_second": ...} for `steps` timed steps after 3 warm-up steps.

    /usr/bin/python3 bench/charlm_torch.py <threads> <steps> <text file>
"""
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'torch'))
from seq_model_fixtures import CausalSelfAttention, PositionEmbedding, Residual  # noqa: E402

VOCAB, BLOCK, WIDTH, HEADS, LAYERS, BATCH = 83, 64, 128, 4, 4, 32


def model():
    blocks = []
    for _ in range(LAYERS):
        blocks.append(Residual(nn.LayerNorm(WIDTH), CausalSelfAttention(WIDTH, HEADS)))
        blocks.append(Residual(nn.LayerNorm(WIDTH), nn.Linear(WIDTH, 4 * WIDTH), nn.GELU(), nn.Linear(4 * WIDTH, WIDTH)))
    return nn.Sequential(nn.Embedding(VOCAB, WIDTH), PositionEmbedding(BLOCK, WIDTH), *blocks, nn.LayerNorm(WIDTH), nn.Linear(WIDTH, VOCAB))


def main():
    threads, steps, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    text = open(path, encoding='utf-8').read()
    chars = sorted(set(text))[:VOCAB]
    ids = torch.tensor([chars.index(c) if c in chars else 0 for c in text[:200_000]])
    m = model()
    optimizer = torch.optim.AdamW(m.parameters(), lr=3e-3, weight_decay=0.1)

    def step():
        starts = torch.randint(0, len(ids) - BLOCK - 1, (BATCH,))
        x = torch.stack([ids[s:s + BLOCK] for s in starts])
        y = torch.stack([ids[s + 1:s + BLOCK + 1] for s in starts])
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(m(x).view(-1, VOCAB), y.view(-1))
        loss.backward()
        optimizer.step()

    for _ in range(3):
        step()
    began = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = time.perf_counter() - began
    print(json.dumps({'threads': threads, 'steps': steps, 'tokens_per_second': steps * BATCH * BLOCK / seconds}))


if __name__ == '__main__':
    main()
