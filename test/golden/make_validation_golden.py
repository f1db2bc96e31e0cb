"""Golden values for options that jitgrad used to ignore, from PyTorch 1.13.

Run with: /usr/bin/python3 test/golden/make_validation_golden.py  (writes test/golden/validation.json)
test/validation/nn.test.ts and test/validation/tensor.test.ts check jitgrad against it.

Tensors are {"shape", "dtype", "data"} as in make_nn_golden.py (jitgrad's int32 plays torch's int64).
  losses  F.nll_loss / F.cross_entropy with weight, label_smoothing, ignore_index and reductions:
          the value and the input's gradient of sum(value * upstream)
  norms   x.norm(p, dim, keepdim): the value, the gradient of sum(value * upstream) and grad_fn
"""
import json
import math
import os

import torch
import torch.nn.functional as F

DT = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int32", torch.bool: "bool"}


def spec(t):
    t = t.detach()
    return {"shape": list(t.shape), "dtype": DT[t.dtype], "data": t.reshape(-1).tolist()}


def pyval(v):
    if isinstance(v, float) and math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


g = torch.Generator().manual_seed(16)


def rnd(*shape, scale=1.0):
    return torch.randn(*shape, generator=g) * scale


out = {"torch": torch.__version__}

losses = []


def loss_case(name, fn, x, target, **kw):
    x = x.clone().requires_grad_(True)
    y = getattr(F, fn)(x, target, **kw)
    up = rnd(*y.shape) if y.dim() else torch.tensor(1.0)
    (y * up).sum().backward()
    kw_json = {k: (spec(v) if isinstance(v, torch.Tensor) else v) for k, v in kw.items()}
    losses.append({"name": name, "fn": fn, "kw": kw_json, "input": spec(x), "target": spec(target), "out": spec(y),
                   "upstream": spec(up), "gradInput": spec(x.grad), "gradFn": type(y.grad_fn).__name__})


labels = torch.tensor([0, 3, 1, 1, 2, 3])
ignored = torch.tensor([0, -100, 1, 3, -100, 2])
logits = rnd(6, 4, scale=2)
w = torch.tensor([0.5, 2.0, 1.0, 3.0])
probs = F.softmax(rnd(6, 4), 1)
for red in ["mean", "sum", "none"]:
    loss_case(f"nll weight {red}", "nll_loss", F.log_softmax(logits, 1), labels, weight=w, reduction=red)
    loss_case(f"nll weight ignore {red}", "nll_loss", F.log_softmax(logits, 1), ignored, weight=w, reduction=red)
    loss_case(f"ce weight {red}", "cross_entropy", logits, labels, weight=w, reduction=red)
    loss_case(f"ce smoothing {red}", "cross_entropy", logits, labels, label_smoothing=0.1, reduction=red)
    loss_case(f"ce smoothing ignore {red}", "cross_entropy", logits, ignored, label_smoothing=0.25, reduction=red)
    loss_case(f"ce smoothing weight {red}", "cross_entropy", logits, labels, weight=w, label_smoothing=0.2, reduction=red)
    loss_case(f"ce smoothing weight ignore {red}", "cross_entropy", logits, ignored, weight=w, label_smoothing=0.3,
              reduction=red)
    loss_case(f"ce probabilities smoothing weight {red}", "cross_entropy", logits, probs, weight=w, label_smoothing=0.15,
              reduction=red)
loss_case("nll weight ignore_index 1", "nll_loss", F.log_softmax(logits, 1), labels, weight=w, ignore_index=1)
loss_case("ce smoothing 1-D input", "cross_entropy", rnd(5), torch.tensor(2), label_smoothing=0.1)
loss_case("ce smoothing 3-D input weight", "cross_entropy", rnd(2, 3, 4), torch.tensor([[0, 1, 2, 2], [1, 1, 0, 2]]),
          weight=torch.tensor([1.0, 0.5, 2.0]), label_smoothing=0.1)
loss_case("ce smoothing 1.0", "cross_entropy", logits, labels, label_smoothing=1.0)
loss_case("ce probabilities smoothing", "cross_entropy", logits, probs, label_smoothing=0.3)
out["losses"] = losses

norms = []
x = rnd(3, 4, scale=2)
for p, dim, keepdim in [(2, None, False), (1, None, False), (math.inf, None, False), (-math.inf, None, False),
                        (0, None, False), (3, None, False), (0.5, None, False), (2, 1, False), (2, 0, True),
                        (1, [0, 1], False), (math.inf, 1, True), (-math.inf, 0, False), (3, -1, False),
                        ("fro", None, False), ("fro", 1, False)]:
    xr = x.clone().requires_grad_(True)
    y = xr.norm(p, dim, keepdim) if dim is not None else xr.norm(p)
    up = rnd(*y.shape) if y.dim() else torch.tensor(1.0)
    (y * up).sum().backward()
    norms.append({"p": pyval(p), "dim": dim, "keepdim": keepdim, "x": spec(x), "out": spec(y), "upstream": spec(up),
                  "grad": spec(xr.grad) if xr.grad is not None else None, "gradFn": type(y.grad_fn).__name__})
out["norms"] = norms

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "validation.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", path)
