# A PyTorch peer for the CNN rows of bench/workloads.ts (W5 digits CNN, W6 LeNet-5): reads the
# workload's id, the data and the initial weights as JSON on stdin, runs one SGD step (grads set to
# None, cross-entropy, backward, p -= lr * grad) to report the loss and gradients (checked against
# jitgrad's eager step), then times further steps on one thread and prints JSON, as
# bench/torch_step.py does for S1/S2. Run by the harness with /usr/bin/python3 (PyTorch 1.13).
import json
import sys

import torch
from torch_timing import report
import torch.nn.functional as F

torch.set_num_threads(1)
spec = json.load(sys.stdin)
workload, batch, lr = spec["workload"], spec["batch"], spec["lr"]
params = [
    torch.tensor(v, dtype=torch.float32).reshape(shape).requires_grad_()
    for v, shape in zip(spec["params"], spec["shapes"])
]
x = torch.tensor(spec["x"], dtype=torch.float32).reshape(spec["xShape"])
y = torch.tensor(spec["y"], dtype=torch.int64)


def w5(p):
    c = lambda h, w, b: F.conv2d(h, w, b, stride=2, padding=1)
    h = c(c(x, p[0], p[1]).relu(), p[2], p[3]).relu()
    return F.cross_entropy(c(h, p[4], p[5]).reshape(batch, 10), y)


def w6(p):
    h = F.max_pool2d(F.conv2d(x, p[0], p[1]).relu(), 2)
    h = F.max_pool2d(F.conv2d(h, p[2], p[3]).relu(), 2).reshape(batch, 400)
    h = F.linear(F.linear(h, p[4], p[5]).relu(), p[6], p[7]).relu()
    return F.cross_entropy(F.linear(h, p[8], p[9]), y)


loss_of = {"W5": w5, "W6": w6}[workload]


def step():
    for p in params:
        p.grad = None
    loss = loss_of(params)
    loss.backward()
    with torch.no_grad():
        for p in params:
            p.sub_(p.grad * lr)
    return loss


report(step, params, spec, warmup=20)
