"""The timing shared by the PyTorch peers (torch_step.py, torch_cnn_step.py): one step's loss and
gradients (checked against jitgrad's eager step), warm-up, then rounds of k steps (each round at
least ~50 ms) for spec["seconds"], printed as JSON on stdout."""
import json
import sys
import time

import torch


def report(step, params, spec, warmup):
    value = step().item()
    grads = [p.grad.reshape(-1).tolist() for p in params]
    for _ in range(warmup):
        step()
    k = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(k):
            step()
        if time.perf_counter() - t0 >= 0.05:
            break
        k *= 2
    samples = []
    deadline = time.perf_counter() + spec.get("seconds", 2.0)
    while len(samples) < 5 or time.perf_counter() < deadline:
        t0 = time.perf_counter()
        for _ in range(k):
            step()
        samples.append((time.perf_counter() - t0) / k)
    n = len(samples)
    mean = sum(samples) / n
    sd = (sum((s - mean) ** 2 for s in samples) / max(n - 1, 1)) ** 0.5
    s = sorted(samples)
    json.dump(
        {
            "value": value,
            "grads": grads,
            "mean": mean,
            "rme": 100 * 1.96 * sd / (n**0.5) / mean,
            "samples": n,
            "median": s[n // 2],
            "min": s[0],
            "threads": torch.get_num_threads(),
            "version": torch.__version__,
        },
        sys.stdout,
    )
