# A PyTorch peer for the small-model rows of bench/small.ts: reads the model sizes, the data and the
# initial weights as JSON on stdin, runs one Adam training step (zero_grad, cross-entropy, backward,
# step) to report the loss and gradients (checked against jitgrad's eager step), then times further
# steps on one thread and prints JSON. Run by the harness with /usr/bin/python3 (PyTorch 1.13).
import json
import sys
import time

import torch

torch.set_num_threads(1)
spec = json.load(sys.stdin)
sizes, batch = spec["sizes"], spec["batch"]
x = torch.tensor(spec["x"], dtype=torch.float32).reshape(batch, sizes[0])
y = torch.tensor(spec["y"], dtype=torch.int64)
layers = []
for i in range(len(sizes) - 1):
    layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
    if i < len(sizes) - 2:
        layers.append(torch.nn.ReLU())
model = torch.nn.Sequential(*layers)
params = list(model.parameters())
with torch.no_grad():
    for p, v in zip(params, spec["params"]):
        p.copy_(torch.tensor(v, dtype=torch.float32).reshape(p.shape))
opt = torch.optim.Adam(params, lr=spec["lr"])


def step():
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss


value = step().item()
grads = [p.grad.reshape(-1).tolist() for p in params]
for _ in range(200):
    step()
# rounds of k steps, each round at least ~50 ms
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
rme = 100 * 1.96 * sd / (n**0.5) / mean
s = sorted(samples)
json.dump(
    {
        "value": value,
        "grads": grads,
        "mean": mean,
        "rme": rme,
        "samples": n,
        "median": s[n // 2],
        "min": s[0],
        "threads": torch.get_num_threads(),
        "version": torch.__version__,
    },
    sys.stdout,
)
