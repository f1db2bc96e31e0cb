"""Golden fixtures for higher-order gradients and custom autograd Functions, from PyTorch 1.13.

Run with: /usr/bin/python3 test/golden/make_autograd_golden.py  (writes test/golden/autograd.json;
reads test/golden/ops.json, so run make_golden.py first when the op cases change)
test/autograd/golden.test.ts replays them.

Schema: {"torch": version, "second": [...], "functions": [...], "programs": [...]}

- "second": one entry per differentiable op case of ops.json (same "name"): the op's output is
  differentiated with autograd.grad(out, inputs, upstream, create_graph=True) (the inputs that
  require grad), then s = sum_i (g_i * u_i).sum() is differentiated again:
  {"name", "u": [spec or null per input that requires grad], "gg": [out or null per such input],
  "nonFinite": true when PyTorch's gg holds inf or NaN (not compared), "constant": true when no g_i depends on the inputs (a linear op: PyTorch has no graph to
  differentiate; gg is then all null), "error": first line of PyTorch's error, if it raised}.
- "functions": custom autograd.Function cases, by name (test/autograd/golden.test.ts defines the
  same Functions): {"name", "inputs": [spec], "outs": [out], "reprs": [repr], "gradFn",
  "upstream": [spec], "grads": [out or null]} or {"name", "inputs", "error"}.
- "programs": higher-order programs by name (gradient penalty, Hessian-vector product, ...):
  {"name", "inputs": [spec], "results": [out]}.
"""
import json
import os

import torch

here = os.path.dirname(os.path.abspath(__file__))
# make_golden.py's translation of a case's call into torch (everything above its cases section)
with open(os.path.join(here, "make_golden.py")) as f:
    source = f.read()
exec(source[: source.index("# ---------------------------------------------------------------- cases")])

torch.manual_seed(0)
u_gen = torch.Generator().manual_seed(2)


def out_of(t):
    t = torch.zeros(t.shape, dtype=t.dtype).add(t.detach())  # (a ZeroTensor has no storage to read)
    return {"data": values_of(t), "shape": list(t.shape), "dtype": DTYPES[t.dtype]}


def first(e):
    return str(e).split("\n")[0]


# ---------------------------------------------------------------- second derivatives of every op


def second(case):
    inputs, s, args = materialize(case.get("self"), case["args"])
    for step in case.get("pre") or []:
        s = torch_call(step["fn"], s, list(step.get("args", [])))
    out = torch_call(case["fn"], s, args)
    field = case.get("field")
    if field is not None:
        out = out[field] if isinstance(field, int) else getattr(out, field)
    wrt = [t for t in inputs if t.requires_grad]
    entry = {"name": case["name"]}
    up = build(case["upstream"])
    try:
        gs = torch.autograd.grad(out, wrt, up, create_graph=True, allow_unused=True)
        us = [torch.randn(g.shape, generator=u_gen).to(g.dtype) if g is not None else None for g in gs]
        entry["u"] = [spec_of(u) if u is not None else None for u in us]
        terms = [(g * u).sum() for g, u in zip(gs, us) if g is not None and g.requires_grad]
        if not terms:
            entry["constant"] = True
            entry["gg"] = [None for _ in wrt]
            return entry
        ggs = torch.autograd.grad(sum(terms), wrt, allow_unused=True)
        if any(g is not None and not torch.isfinite(g).all() for g in ggs):
            entry["nonFinite"] = True  # (0 * inf at a kink): not compared
            return entry
        entry["gg"] = [out_of(g) if g is not None else None for g in ggs]
    except RuntimeError as e:
        entry["error"] = first(e)
    return entry


with open(os.path.join(here, "ops.json")) as f:
    op_cases = [c for c in json.load(f)["cases"] if c["kind"] == "op" and c["upstream"]]
seconds = [second(c) for c in op_cases]

# ---------------------------------------------------------------- custom Functions


class Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        r = x.exp()
        ctx.save_for_backward(r)
        return r

    @staticmethod
    def backward(ctx, g):
        (r,) = ctx.saved_tensors
        return g * r


class ScaledExp(torch.autograd.Function):  # a number argument and a saved input
    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        ctx.save_for_backward(x)
        return x.exp() * k

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.exp() * ctx.k, None


class MulAdd(torch.autograd.Function):  # two tensors, broadcast, two outputs
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b, a + b

    @staticmethod
    def backward(ctx, g1, g2):
        a, b = ctx.saved_tensors
        ga = g1 * b + g2 if ctx.needs_input_grad[0] else None
        gb = (g1 * a + g2).sum(0) if ctx.needs_input_grad[1] else None
        return ga, gb


class ArgMaxPair(torch.autograd.Function):  # a non-differentiable output
    @staticmethod
    def forward(ctx, x):
        idx = x.argmax()
        ctx.mark_non_differentiable(idx)
        ctx.save_for_backward(x)
        return x * 2, idx

    @staticmethod
    def backward(ctx, g, gi):
        return g * 2


class Cube(torch.autograd.Function):  # a backward made of differentiable ops (double backward)
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


class Clamp01(torch.autograd.Function):  # a straight-through estimator: not the forward's gradient
    @staticmethod
    def forward(ctx, x):
        return x.clamp(0, 1)

    @staticmethod
    def backward(ctx, g):
        return g


class TwoGrads(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g, g


class Shrink(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g[:1]


class NumberGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return 3


FUNCTIONS = {
    "Exp": (Exp, lambda: [T([3])]),
    "ScaledExp": (ScaledExp, lambda: [T([2, 3]), 2.5]),
    "MulAdd": (MulAdd, lambda: [T([2, 3]), T([3])]),
    "MulAddNoGradB": (MulAdd, lambda: [T([2, 3]), T([3], grad=False)]),
    "ArgMaxPair": (ArgMaxPair, lambda: [T([4])]),
    "Cube": (Cube, lambda: [T([3], "float64")]),
    "Clamp01": (Clamp01, lambda: [T([5])]),
    "TwoGrads": (TwoGrads, lambda: [T([2])]),
    "Shrink": (Shrink, lambda: [T([2])]),
    "NumberGrad": (NumberGrad, lambda: [T([2])]),
}


def function_case(name, cls, make):
    specs = make()
    args = [build(a) if is_spec(a) else a for a in specs]
    tensors = [a for a in args if isinstance(a, torch.Tensor)]
    entry = {"name": name, "inputs": specs}
    try:
        res = cls.apply(*args)
        outs = list(res) if isinstance(res, tuple) else [res]
        entry["outs"] = [out_of(o) for o in outs]
        entry["reprs"] = [repr(o) for o in outs]
        entry["gradFn"] = type(outs[0].grad_fn).__name__
        diff = [o for o in outs if o.requires_grad]
        ups = [torch.randn(o.shape, generator=u_gen).to(o.dtype) for o in diff]
        entry["upstream"] = [spec_of(u) for u in ups]
        torch.autograd.backward(diff, ups)
        entry["grads"] = [out_of(t.grad) if t.grad is not None else None for t in tensors]
    except RuntimeError as e:
        entry["error"] = first(e)
    return entry


functions = [function_case(n, c, m) for n, (c, m) in FUNCTIONS.items()]

# ---------------------------------------------------------------- higher-order programs


def program(name, make, run):
    specs = make()
    results = run(*[build(s) for s in specs])
    return {"name": name, "inputs": specs, "results": [out_of(r.detach()) for r in results]}


def gradient_penalty(x, w1, w2):
    # WGAN-GP: a critic D(x) = tanh(x @ w1) @ w2, penalty (||dD/dx||_2 - 1)^2 per sample, mean;
    # the result: the penalty and its gradients with respect to the critic's weights
    d = torch.tanh(x @ w1) @ w2
    (gx,) = torch.autograd.grad(d.sum(), x, create_graph=True)
    penalty = ((gx.norm(2, dim=1) - 1) ** 2).mean()
    gw1, gw2 = torch.autograd.grad(penalty, [w1, w2])
    return [penalty, gw1, gw2]


def hvp(x, v):
    # the Hessian of f(x) = sum(sin(x) * x^2) + (x.sum())^3 times v, by double backward
    f = (torch.sin(x) * x * x).sum() + x.sum() ** 3
    (g,) = torch.autograd.grad(f, x, create_graph=True)
    (hv,) = torch.autograd.grad(g, x, v)
    return [f, g, hv]


def third(x):
    # d^3/dx^3 of sum(exp(x) * tanh(x)) by three nested autograd.grad calls
    f = (x.exp() * x.tanh()).sum()
    (g1,) = torch.autograd.grad(f, x, create_graph=True)
    (g2,) = torch.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = torch.autograd.grad(g2.sum(), x)
    return [g1, g2, g3]


def backward_create_graph(x):
    # backward(create_graph=True) leaves a .grad with a graph; its own backward accumulates
    y = (x ** 3).sum()
    y.backward(create_graph=True)
    g = x.grad.clone()
    x.grad.sum().backward()
    return [g, x.grad]


def mlp_double(x, w1, w2):
    # a second derivative through matmul, softmax, log_softmax and mean
    h = torch.nn.functional.softmax(x @ w1, dim=1)
    loss = torch.nn.functional.log_softmax(h @ w2, dim=1).mean()
    (gw1,) = torch.autograd.grad(loss, w1, create_graph=True)
    (gg,) = torch.autograd.grad((gw1 ** 2).sum(), w2)
    return [gw1, gg]


programs = [
    program("gradientPenalty", lambda: [T([4, 3], "float64"), T([3, 5], "float64"), T([5, 1], "float64")], gradient_penalty),
    program("hvp", lambda: [T([5], "float64"), T([5], "float64", grad=False)], hvp),
    program("third", lambda: [T([4], "float64")], third),
    program("backwardCreateGraph", lambda: [T([3], "float64")], backward_create_graph),
    program("mlpDouble", lambda: [T([3, 4], "float64", grad=False), T([4, 5], "float64"), T([5, 2], "float64")], mlp_double),
]

out_path = os.path.join(here, "autograd.json")
with open(out_path, "w") as f:
    json.dump({"torch": torch.__version__, "second": seconds, "functions": functions, "programs": programs}, f, separators=(",", ":"))
print(f"wrote {out_path}: {len(seconds)} second-derivative cases, {len(functions)} functions, {len(programs)} programs")
