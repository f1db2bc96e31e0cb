# A PyTorch peer for the small-model rows of bench/small.ts: reads the model sizes, the data and the
# initial weights as JSON on stdin, runs one Adam training step (zero_grad, cross-entropy, backward,
# step) to report the loss and gradients (checked against jitgrad's eager step), then times further
# steps on one thread and prints JSON. Run by the harness with /usr/bin/python3 (PyTorch 1.13).
import json
import sys

import torch
from torch_timing import report

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


report(step, params, spec, warmup=200)
