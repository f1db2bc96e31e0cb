"""Golden fixtures for jitgrad's nn, nn.functional (F) and optim, from PyTorch 1.13.

Run with: /usr/bin/python3 test/golden/make_nn_golden.py  (writes test/golden/nn.json)
test/nn/nn.test.ts checks jitgrad against it.

Tensors are {"shape", "dtype", "data": flat row-major values}; float32 values are exact as Python
floats. jitgrad's int32 plays the role of torch's int64 (labels are "int32" here). Sections:

  init      after torch.manual_seed(seed), the parameters of freshly built modules (state dicts),
            raw uniform_ draws (float32 and float64) and dropout outputs
  modules   a module (built from given weights) applied to x: output, and the grads of
            sum(out * upstream) for x and every parameter
  losses    F.<fn>(input, target, **kw): value and input grad (of value * upstream for "none")
  errors    F.<fn> / optimizer calls that raise: the first line of PyTorch's message
  optim     from fixed initial weights and fixed data, several optimizer steps on
            cross_entropy(model(x), y): the loss before each step and the weights after it
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

DT = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int32", torch.bool: "bool"}


def spec(t):
    t = t.detach()
    return {"shape": list(t.shape), "dtype": DT[t.dtype], "data": t.reshape(-1).tolist()}


def state(m):
    return {k: spec(v) for k, v in m.state_dict().items()}


out = {"torch": torch.__version__}

# ---------------------------------------------------------------- init
init = []
for seed, builds in [
    (0, [("Linear", [3, 2], {})]),
    (1, [("Linear", [20, 7], {}), ("Linear", [7, 5], {"bias": False}), ("Linear", [1, 1], {})]),
    (42, [("Sequential", [[2, 16], [16, 16], [16, 3]], {})]),
    (2024, [("Linear", [784, 4], {})]),
]:
    torch.manual_seed(seed)
    mods = []
    for kind, args, kw in builds:
        if kind == "Linear":
            m = nn.Linear(*args, **kw)
        else:  # Linear, ReLU, Linear, ReLU, ..., Linear
            layers = []
            for i, (a, b) in enumerate(args):
                layers.append(nn.Linear(a, b))
                if i < len(args) - 1:
                    layers.append(nn.ReLU())
            m = nn.Sequential(*layers)
        mods.append({"kind": kind, "args": args, "kw": kw, "state": state(m)})
    init.append({"seed": seed, "modules": mods})
out["init"] = init

uniform = []
for seed, n, a, b, dtype in [(0, 1000, -0.5, 0.5, torch.float32), (7, 1000, -1 / math.sqrt(3), 1 / math.sqrt(3), torch.float32),
                             (3, 200, 2.0, 5.5, torch.float32), (5, 300, -0.3, 0.7, torch.float64)]:
    torch.manual_seed(seed)
    uniform.append({"seed": seed, "a": a, "b": b, "values": spec(torch.empty(n, dtype=dtype).uniform_(a, b))})
out["uniform"] = uniform

dropout = []
for seed, p, shape, dtype in [(3, 0.3, [5, 8], torch.float32), (4, 0.5, [40], torch.float32), (5, 0.1, [3, 7], torch.float64), (6, 1.0, [4], torch.float32)]:
    g = torch.Generator().manual_seed(100 + seed)
    x = torch.randn(*shape, generator=g, dtype=dtype)
    torch.manual_seed(seed)
    dropout.append({"seed": seed, "p": p, "x": spec(x), "out": spec(F.dropout(x, p, True))})
out["dropout"] = dropout

# ---------------------------------------------------------------- modules and functions
g = torch.Generator().manual_seed(1)


def rnd(*shape, scale=1.0):
    return torch.randn(*shape, generator=g) * scale


modules = []


def module_case(name, m, x, ctor):
    x = x.clone().requires_grad_(True)
    for p in m.parameters():
        p.grad = None
    y = m(x)
    up = rnd(*y.shape)
    (y * up).sum().backward()
    modules.append({"name": name, "ctor": ctor, "state": state(m), "x": spec(x), "out": spec(y), "upstream": spec(up),
                    "gradX": spec(x.grad), "grads": {k: spec(p.grad) for k, p in m.named_parameters()},
                    "gradFn": type(y.grad_fn).__name__ if y.grad_fn else None, "repr": repr(m)})


torch.manual_seed(11)
module_case("Linear", nn.Linear(4, 3), rnd(5, 4), {"kind": "Linear", "args": [4, 3]})
module_case("Linear no bias", nn.Linear(4, 3, bias=False), rnd(5, 4), {"kind": "Linear", "args": [4, 3], "bias": False})
module_case("Linear 3-D input", nn.Linear(4, 2), rnd(2, 3, 4), {"kind": "Linear", "args": [4, 2]})
module_case("Linear 1-D input", nn.Linear(4, 2), rnd(4), {"kind": "Linear", "args": [4, 2]})
module_case("ReLU", nn.ReLU(), rnd(3, 5), {"kind": "ReLU"})
module_case("Tanh", nn.Tanh(), rnd(3, 5), {"kind": "Tanh"})
module_case("GELU", nn.GELU(), rnd(4, 6, scale=3), {"kind": "GELU"})
module_case("GELU tanh", nn.GELU(approximate="tanh"), rnd(4, 6, scale=3), {"kind": "GELU", "approximate": "tanh"})
module_case("Dropout eval", nn.Dropout(0.4).eval(), rnd(3, 4), {"kind": "Dropout", "p": 0.4, "eval": True})
torch.manual_seed(12)
mlp = nn.Sequential(nn.Linear(3, 8), nn.GELU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 2))
module_case("Sequential MLP", mlp, rnd(6, 3), {"kind": "MLP"})

functions = []
for name, fn, kw, x in [
    ("softmax dim 1", "softmax", {"dim": 1}, rnd(4, 5, scale=3)),
    ("softmax dim 0", "softmax", {"dim": 0}, rnd(4, 5, scale=3)),
    ("softmax dim -1 3-D", "softmax", {"dim": -1}, rnd(2, 3, 4)),
    ("logSoftmax dim 1", "log_softmax", {"dim": 1}, rnd(4, 5, scale=3)),
    ("logSoftmax dim 0", "log_softmax", {"dim": 0}, rnd(4, 5, scale=3)),
    ("relu", "relu", {}, rnd(3, 4)),
    ("gelu", "gelu", {}, rnd(50, scale=4)),
    ("gelu tanh", "gelu", {"approximate": "tanh"}, rnd(50, scale=4)),
]:
    x = x.clone().requires_grad_(True)
    y = getattr(F, fn)(x, **kw)
    up = rnd(*y.shape)
    (y * up).sum().backward()
    functions.append({"name": name, "fn": fn, "kw": kw, "x": spec(x), "out": spec(y), "upstream": spec(up), "gradX": spec(x.grad),
                      "gradFn": type(y.grad_fn).__name__})
out["modules"] = modules
out["functions"] = functions

# ---------------------------------------------------------------- losses
losses = []


def loss_case(name, fn, x, target, **kw):
    x = x.clone().requires_grad_(True)
    y = getattr(F, fn)(x, target, **kw)
    up = rnd(*y.shape) if y.dim() else torch.tensor(1.0)
    (y * up).sum().backward()
    losses.append({"name": name, "fn": fn, "kw": kw, "input": spec(x), "target": spec(target), "out": spec(y), "upstream": spec(up),
                   "gradInput": spec(x.grad), "gradFn": type(y.grad_fn).__name__})


labels = torch.tensor([0, 3, 1, 1, 2, 3])
logits = rnd(6, 4, scale=2)
loss_case("crossEntropy mean", "cross_entropy", logits, labels)
loss_case("crossEntropy sum", "cross_entropy", logits, labels, reduction="sum")
loss_case("crossEntropy none", "cross_entropy", logits, labels, reduction="none")
loss_case("crossEntropy large logits", "cross_entropy", rnd(6, 4, scale=40), labels)
loss_case("crossEntropy ignore_index -100", "cross_entropy", logits, torch.tensor([0, -100, 1, 1, -100, 3]))
loss_case("crossEntropy ignore_index 1", "cross_entropy", logits, labels, ignore_index=1)
loss_case("crossEntropy ignore_index none", "cross_entropy", logits, torch.tensor([0, -100, 1, 1, -100, 3]), reduction="none")
loss_case("crossEntropy 1-D input", "cross_entropy", rnd(5), torch.tensor(2))
loss_case("crossEntropy 3-D input", "cross_entropy", rnd(2, 3, 4), torch.tensor([[0, 1, 2, 2], [1, 1, 0, 2]]))
loss_case("crossEntropy probabilities", "cross_entropy", logits, F.softmax(rnd(6, 4), 1))
loss_case("nllLoss mean", "nll_loss", F.log_softmax(logits, 1), labels)
loss_case("nllLoss sum", "nll_loss", rnd(6, 4), labels, reduction="sum")
loss_case("nllLoss none", "nll_loss", rnd(6, 4), labels, reduction="none")
loss_case("mseLoss mean", "mse_loss", rnd(3, 4), rnd(3, 4))
loss_case("mseLoss sum", "mse_loss", rnd(3, 4), rnd(3, 4), reduction="sum")
loss_case("mseLoss none", "mse_loss", rnd(3, 4), rnd(3, 4), reduction="none")
out["losses"] = losses

# ---------------------------------------------------------------- errors
errors = []


def error_case(name, fn, x, target, **kw):
    try:
        getattr(F, fn)(x, target, **kw)
    except Exception as e:  # noqa: BLE001
        errors.append({"name": name, "fn": fn, "kw": kw, "input": spec(x), "target": spec(target), "error": str(e).split("\n")[0]})
        return
    raise AssertionError(name + " did not raise")


for fn in ["cross_entropy", "nll_loss"]:
    error_case(fn + " label out of range", fn, logits, torch.tensor([0, 3, 1, 5, 2, 3]))
    error_case(fn + " negative label", fn, logits, torch.tensor([0, 3, -1, 1, 2, 3]))
    error_case(fn + " float labels", fn, logits, labels.float())
    error_case(fn + " bool labels", fn, logits, labels > 1)
    error_case(fn + " batch size mismatch", fn, logits, labels[:4])
    error_case(fn + " 2-D labels", fn, logits, labels.reshape(6, 1).expand(6, 2).contiguous())
    error_case(fn + " 1-D input with 1-D labels", fn, rnd(4), torch.tensor([1]))
    error_case(fn + " 0-d labels for a batch", fn, logits, torch.tensor(1))
    error_case(fn + " 1-D input label out of range", fn, rnd(4), torch.tensor(4))
    error_case(fn + " 3-D input with wrong labels", fn, rnd(2, 3, 4), torch.tensor([0, 1]))
error_case("cross_entropy probabilities of int dtype", "cross_entropy", torch.tensor(1.0), torch.tensor(1))
error_case("nll_loss 0-d input", "nll_loss", torch.tensor(1.0), torch.tensor(1))
error_case("mse_loss shapes that do not broadcast", "mse_loss", rnd(4, 3), rnd(4, 2))

optim_errors = []
for name, make in [
    ("non-leaf tensor", lambda: torch.optim.SGD([torch.zeros(3, requires_grad=True) * 2], lr=0.1)),
    ("empty parameter list", lambda: torch.optim.Adam([], lr=0.1)),
    ("negative lr", lambda: torch.optim.SGD([torch.zeros(3, requires_grad=True)], lr=-0.5)),
    ("bad beta", lambda: torch.optim.Adam([torch.zeros(3, requires_grad=True)], lr=0.1, betas=(1.0, 0.999))),
    ("nesterov without momentum", lambda: torch.optim.SGD([torch.zeros(3, requires_grad=True)], lr=0.1, nesterov=True)),
]:
    try:
        make()
    except Exception as e:  # noqa: BLE001
        optim_errors.append({"name": name, "error": str(e).split("\n")[0]})
        continue
    raise AssertionError(name)
out["errors"] = errors
out["optimErrors"] = optim_errors

# ---------------------------------------------------------------- optimizers
torch.manual_seed(5)
base = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
initial = state(base)
data_x = rnd(16, 4)
data_y = torch.tensor([i % 3 for i in range(16)])
runs = []
for name, kind, kw in [
    ("SGD", "SGD", {"lr": 0.1}),
    ("SGD momentum", "SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD momentum weight decay", "SGD", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01}),
    ("SGD nesterov dampening 0", "SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    ("SGD momentum dampening", "SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    ("Adam", "Adam", {"lr": 0.01}),
    ("Adam betas eps weight decay", "Adam", {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.01}),
]:
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    model.load_state_dict(base.state_dict())
    opt = getattr(torch.optim, kind)(model.parameters(), **kw)
    steps = []
    for _ in range(6):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(data_x), data_y)
        loss.backward()
        opt.step()
        steps.append({"loss": loss.item(), "state": state(model)})
    runs.append({"name": name, "kind": kind, "kw": {k: list(v) if isinstance(v, tuple) else v for k, v in kw.items()}, "steps": steps})
out["optim"] = {"initial": initial, "x": spec(data_x), "y": spec(data_y), "runs": runs}

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nn.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
print(f"wrote {path}: {len(init)} init seeds, {len(modules)} modules, {len(functions)} functions, {len(losses)} losses, "
      f"{len(errors) + len(optim_errors)} errors, {len(runs)} optimizer runs")
