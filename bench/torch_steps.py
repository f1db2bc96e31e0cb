"""PyTorch 1.13's single-thread time per training step of the issue-11 workloads (W5 digits CNN,
W6 LeNet-5), the same steps as bench/workloads.ts: synthetic data, SGD lr 0.01.
Run with: /usr/bin/python3 bench/torch_steps.py  (prints ms per step, median of 7 runs of 50)
"""
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)


def timed(step, n=50, runs=7):
    for _ in range(10):
        step()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        for _ in range(n):
            step()
        times.append((time.perf_counter() - t) / n * 1e3)
    return sorted(times)[runs // 2]


def trainer(loss, params):
    def step():
        for p in params:
            p.grad = None
        loss().backward()
        with torch.no_grad():
            for p in params:
                p.sub_(p.grad * 0.01)
    return step


def param(*shape, fan_in):
    return (torch.randn(*shape) / fan_in ** 0.5).requires_grad_()


# W5: batch 64, 8x8, conv 1->16->16->10 (3x3, stride 2, pad 1), relu
x5, y5 = torch.randn(64, 1, 8, 8), torch.randint(0, 10, (64,))
p5 = [param(16, 1, 3, 3, fan_in=9), param(16, fan_in=1e4), param(16, 16, 3, 3, fan_in=144), param(16, fan_in=1e4),
      param(10, 16, 3, 3, fan_in=144), param(10, fan_in=1e4)]


def w5():
    c = lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1)
    h = c(c(x5, p5[0], p5[1]).relu(), p5[2], p5[3]).relu()
    return F.cross_entropy(c(h, p5[4], p5[5]).reshape(64, 10), y5)


# W6: LeNet-5, batch 32, 1x32x32
x6, y6 = torch.randn(32, 1, 32, 32), torch.randint(0, 10, (32,))
p6 = [param(6, 1, 5, 5, fan_in=25), param(6, fan_in=25), param(16, 6, 5, 5, fan_in=150), param(16, fan_in=150),
      param(120, 400, fan_in=400), param(120, fan_in=400), param(84, 120, fan_in=120), param(84, fan_in=120),
      param(10, 84, fan_in=84), param(10, fan_in=84)]


def w6():
    h = F.max_pool2d(F.conv2d(x6, p6[0], p6[1]).relu(), 2)
    h = F.max_pool2d(F.conv2d(h, p6[2], p6[3]).relu(), 2).reshape(32, 400)
    h = F.linear(F.linear(h, p6[4], p6[5]).relu(), p6[6], p6[7]).relu()
    return F.cross_entropy(F.linear(h, p6[8], p6[9]), y6)


print("torch {} (1 thread)".format(torch.__version__))
print("W5 digits CNN step: {:.3f} ms".format(timed(trainer(w5, p5))))
print("W6 LeNet-5 step:    {:.3f} ms".format(timed(trainer(w6, p6))))
