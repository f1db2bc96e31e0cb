"""Golden fixtures for jitgrad's optimizers, lr schedulers and gradient clipping, from PyTorch 1.13.

Run with: /usr/bin/python3 test/golden/make_optim_golden.py  (writes test/golden/optim.json)
test/nn/optim.test.ts and test/nn/lr-scheduler.test.ts check jitgrad against it.

Tensors are {"shape", "dtype", "data"} (flat row-major; float32 values exact as Python floats).
Option and state names are written in jitgrad's camelCase (weight_decay -> weightDecay).
Sections:

  optimizers  three parameters (optionally in two groups) from fixed values; at each step the
              gradients PyTorch was given (computed from the current parameters by a fixed loss,
              some None), an optional lr change of a group, and the parameters after step();
              the optimizer's state_dict at the end
  schedulers  an SGD with two groups (lr 0.1 and 0.05, momentum 0.9) and a scheduler: the
              lr of each group (and momentum / beta1 when cycled) after construction and after
              each step(); ReduceLROnPlateau steps on a given list of metrics
  clip        clip_grad_norm_ / clip_grad_value_ on given grads: total norm and clipped grads
"""
import json
import math
import os
import re
import warnings

import torch

warnings.filterwarnings("ignore")  # the schedulers' notes about step order and the epoch argument

DT = {torch.float32: "float32", torch.float64: "float64"}


def spec(t):
    t = t.detach()
    return {"shape": list(t.shape), "dtype": DT[t.dtype], "data": t.reshape(-1).tolist()}


def camel(name):
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


def plain(v):
    if isinstance(v, tuple):
        return list(v)
    if isinstance(v, torch.Tensor):
        return spec(v) if v.dim() > 0 else v.item()
    return v


def initial_params(dtype):
    g = torch.Generator().manual_seed(7)
    shapes = [(3, 4), (5,), (2, 3)]
    return [torch.randn(s, generator=g, dtype=torch.float64).to(dtype).requires_grad_() for s in shapes]


def loss_of(ps):
    # a fixed smooth loss with gradients of mixed signs and sizes
    total = 0
    for k, p in enumerate(ps):
        total = total + ((p - 0.3 * (k + 1)) ** 2).sum() * (k + 1) + torch.sin(3 * p).sum()
    return total


# name, optimizer, options, groups (None: one group of all; else [(param indices, options)]),
# per-step: which params get no grad, lr changes {step: [lr per group]}
OPT_RUNS = [
    ("SGD", "SGD", {"lr": 0.1}, None),
    ("SGD momentum dampening weight decay", "SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.01}, None),
    ("SGD nesterov maximize", "SGD", {"lr": 0.02, "momentum": 0.8, "nesterov": True, "maximize": True}, None),
    ("Adam", "Adam", {"lr": 0.01}, None),
    ("Adam amsgrad weight decay", "Adam", {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.05, "amsgrad": True}, None),
    ("Adam maximize", "Adam", {"lr": 0.01, "maximize": True}, None),
    ("AdamW", "AdamW", {"lr": 0.01}, None),
    ("AdamW amsgrad", "AdamW", {"lr": 0.03, "betas": (0.85, 0.95), "weight_decay": 0.1, "amsgrad": True}, None),
    ("RMSprop", "RMSprop", {"lr": 0.01}, None),
    ("RMSprop centered momentum weight decay", "RMSprop", {"lr": 0.005, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.02, "momentum": 0.7, "centered": True}, None),
    ("RMSprop momentum maximize", "RMSprop", {"lr": 0.01, "momentum": 0.5, "maximize": True}, None),
    ("Adagrad", "Adagrad", {"lr": 0.1}, None),
    ("Adagrad lr decay accumulator weight decay", "Adagrad", {"lr": 0.2, "lr_decay": 0.1, "initial_accumulator_value": 0.5, "weight_decay": 0.01, "eps": 1e-8}, None),
    ("Adadelta", "Adadelta", {}, None),
    ("Adadelta rho weight decay maximize", "Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-5, "weight_decay": 0.03, "maximize": True}, None),
    ("Adamax", "Adamax", {}, None),
    ("Adamax betas weight decay", "Adamax", {"lr": 0.01, "betas": (0.7, 0.9), "eps": 1e-6, "weight_decay": 0.02}, None),
    ("NAdam", "NAdam", {}, None),
    ("NAdam momentum decay weight decay", "NAdam", {"lr": 0.01, "betas": (0.85, 0.98), "momentum_decay": 0.01, "weight_decay": 0.02}, None),
    # parameter groups with their own options, a parameter without grad on some steps (its state
    # starts later: Adam's per-parameter step counts differ), lr changed between steps
    ("SGD groups", "SGD", {"lr": 0.1, "momentum": 0.9},
     [([0, 1], {}), ([2], {"lr": 0.01, "momentum": 0.5, "nesterov": True, "weight_decay": 0.1})]),
    ("Adam groups", "Adam", {"lr": 0.01},
     [([0], {"betas": (0.5, 0.9)}), ([1, 2], {"lr": 0.05, "amsgrad": True, "weight_decay": 0.01})]),
    ("RMSprop groups", "RMSprop", {"lr": 0.01},
     [([0, 2], {"centered": True}), ([1], {"momentum": 0.9, "lr": 0.001})]),
    ("NAdam groups", "NAdam", {"lr": 0.01}, [([1], {}), ([0, 2], {"momentum_decay": 0.02})]),
]
NO_GRAD = {1: [2], 2: [2]}  # step -> params without grad (used by the "groups" runs)
LR_CHANGE = {3: [0.03, 0.002]}  # step -> new lr per group (used by the "groups" runs)
STEPS = 5

optimizers = []
for dtype in (torch.float32, torch.float64):
    for name, kind, kw, groups in OPT_RUNS:
        ps = initial_params(dtype)
        init = [spec(p) for p in ps]
        if groups is None:
            opt = getattr(torch.optim, kind)(ps, **kw)
        else:
            opt = getattr(torch.optim, kind)([dict(params=[ps[i] for i in idx], **gkw) for idx, gkw in groups], **kw)
        steps = []
        for s in range(STEPS):
            lrs = LR_CHANGE.get(s) if groups is not None else None
            if lrs:
                for g, lr in zip(opt.param_groups, lrs):
                    g["lr"] = lr
            for p in ps:
                p.grad = None
            loss_of(ps).backward()
            skip = NO_GRAD.get(s, []) if groups is not None else []
            for i in skip:
                ps[i].grad = None
            grads = [None if p.grad is None else spec(p.grad) for p in ps]
            opt.step()
            steps.append({"grads": grads, "lr": lrs, "params": [spec(p) for p in ps]})
        sd = opt.state_dict()
        state = {str(i): {camel(k): plain(v) for k, v in st.items()} for i, st in sd["state"].items()}
        param_groups = [{camel(k): plain(v) for k, v in g.items() if k not in ("foreach", "differentiable", "capturable", "fused")}
                        for g in sd["param_groups"]]
        optimizers.append({
            "name": name, "kind": kind, "dtype": DT[dtype],
            "options": {camel(k): plain(v) for k, v in kw.items()},
            "groups": None if groups is None else [{"params": idx, **{camel(k): plain(v) for k, v in g.items()}} for idx, g in groups],
            "initial": init, "steps": steps,
            "stateDict": {"state": state, "paramGroups": param_groups},
        })

# ---------------------------------------------------------------- schedulers
SCHED_RUNS = [
    ("StepLR", "StepLR", {"step_size": 3, "gamma": 0.5}, 10),
    ("MultiStepLR", "MultiStepLR", {"milestones": [2, 5, 5, 8], "gamma": 0.3}, 10),
    ("ExponentialLR", "ExponentialLR", {"gamma": 0.9}, 8),
    ("CosineAnnealingLR", "CosineAnnealingLR", {"T_max": 5, "eta_min": 0.001}, 16),
    ("CosineAnnealingLR eta_min 0", "CosineAnnealingLR", {"T_max": 4}, 10),
    ("LinearLR", "LinearLR", {"start_factor": 0.25, "end_factor": 0.9, "total_iters": 4}, 8),
    ("LinearLR defaults", "LinearLR", {}, 7),
    ("ConstantLR", "ConstantLR", {"factor": 0.5, "total_iters": 3}, 6),
    ("LambdaLR", "LambdaLR", {"lr_lambda": "0.95 ** epoch"}, 6),
    ("LambdaLR per group", "LambdaLR", {"lr_lambda": ["1 / (epoch + 1)", "epoch % 3 + 1"]}, 6),
    ("MultiplicativeLR", "MultiplicativeLR", {"lr_lambda": "0.95 ** epoch"}, 6),
    ("PolynomialLR", "PolynomialLR", {"total_iters": 4, "power": 2.0}, 7),
    ("PolynomialLR defaults", "PolynomialLR", {}, 7),
    ("OneCycleLR", "OneCycleLR", {"max_lr": 1.0, "total_steps": 10}, 9),
    ("OneCycleLR linear three phase", "OneCycleLR", {"max_lr": [0.5, 0.2], "epochs": 3, "steps_per_epoch": 4, "pct_start": 0.25, "anneal_strategy": "linear", "three_phase": True, "div_factor": 10.0, "final_div_factor": 100.0}, 11),
    ("OneCycleLR Adam betas", "OneCycleLR", {"max_lr": 0.3, "total_steps": 6, "base_momentum": 0.8, "max_momentum": 0.9}, 5),
    ("OneCycleLR no momentum", "OneCycleLR", {"max_lr": 0.3, "total_steps": 6, "cycle_momentum": False}, 5),
]
LAMBDAS = {"0.95 ** epoch": lambda epoch: 0.95 ** epoch, "1 / (epoch + 1)": lambda epoch: 1 / (epoch + 1),
           "epoch % 3 + 1": lambda epoch: epoch % 3 + 1}


def sched_optimizer(adam=False):
    ps = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    if adam:
        return torch.optim.Adam([{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.05}], lr=0.1)
    return torch.optim.SGD([{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.05}], lr=0.1, momentum=0.9)


def momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


schedulers = []
for name, kind, kw, n in SCHED_RUNS:
    opt = sched_optimizer(adam="Adam" in name)
    args = dict(kw)
    if kind in ("LambdaLR", "MultiplicativeLR"):
        f = args["lr_lambda"]
        args["lr_lambda"] = [LAMBDAS[x] for x in f] if isinstance(f, list) else LAMBDAS[f]
    sched = getattr(torch.optim.lr_scheduler, kind)(opt, **args)
    lrs, moms = [sched.get_last_lr()], [momenta(opt)]
    for _ in range(n):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
        moms.append(momenta(opt))
    schedulers.append({"name": name, "kind": kind, "optimizer": "Adam" if "Adam" in name else "SGD",
                       "options": {camel(k): v for k, v in kw.items()}, "lrs": lrs, "momenta": moms,
                       "lastEpoch": sched.last_epoch})

# SequentialLR: ConstantLR then ExponentialLR (the milestone step uses the closed form)
opt = sched_optimizer()
s1 = torch.optim.lr_scheduler.ConstantLR(opt, factor=0.1, total_iters=2)
s2 = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
seq = torch.optim.lr_scheduler.SequentialLR(opt, schedulers=[s1, s2], milestones=[3])
lrs = [seq.get_last_lr()]
for _ in range(8):
    opt.step()
    seq.step()
    lrs.append(seq.get_last_lr())
schedulers.append({"name": "SequentialLR", "kind": "SequentialLR", "optimizer": "SGD", "options": {}, "lrs": lrs,
                   "momenta": None, "lastEpoch": seq.last_epoch})

plateau = []
METRICS = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]
for name, kw in [
    ("min rel", {"patience": 2, "factor": 0.5}),
    ("min abs cooldown", {"patience": 1, "factor": 0.2, "threshold": 0.02, "threshold_mode": "abs", "cooldown": 2}),
    ("max rel min_lr", {"mode": "max", "patience": 0, "factor": 0.5, "min_lr": [0.02, 0.01]}),
    ("eps", {"patience": 0, "factor": 0.9, "eps": 0.005}),
]:
    opt = sched_optimizer()
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
    lrs = []
    for m in METRICS:
        opt.step()
        sched.step(m)
        lrs.append([g["lr"] for g in opt.param_groups])
    plateau.append({"name": name, "options": {camel(k): v for k, v in kw.items()}, "metrics": METRICS, "lrs": lrs})

# ---------------------------------------------------------------- clip
clip = []
for dtype in (torch.float32, torch.float64):
    g = torch.Generator().manual_seed(11)
    grads = [torch.randn(s, generator=g, dtype=torch.float64).to(dtype) * 3 for s in [(4, 3), (6,), (2, 2)]]
    for max_norm, norm_type in [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (2.0, math.inf), (1.5, 3.0), (0.0, 2.0)]:
        ps = [torch.zeros_like(x, requires_grad=True) for x in grads]
        for p, x in zip(ps, grads):
            p.grad = x.clone()
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type)
        clip.append({"fn": "clipGradNorm_", "dtype": DT[dtype], "maxNorm": max_norm,
                     "normType": "inf" if norm_type == math.inf else norm_type,
                     "grads": [spec(x) for x in grads], "total": spec(total), "clipped": [spec(p.grad) for p in ps]})
    for value in [0.5, 2.0]:
        ps = [torch.zeros_like(x, requires_grad=True) for x in grads]
        for p, x in zip(ps, grads):
            p.grad = x.clone()
        torch.nn.utils.clip_grad_value_(ps, value)
        clip.append({"fn": "clipGradValue_", "dtype": DT[dtype], "clipValue": value,
                     "grads": [spec(x) for x in grads], "clipped": [spec(p.grad) for p in ps]})

errors = []
p0 = torch.zeros(3, requires_grad=True)
for name, make in [
    ("SGD negative lr", lambda: torch.optim.SGD([p0], lr=-1)),
    ("SGD nesterov dampening", lambda: torch.optim.SGD([p0], lr=0.1, momentum=0.9, nesterov=True, dampening=0.1)),
    ("RMSprop alpha", lambda: torch.optim.RMSprop([p0], alpha=-0.5)),
    ("RMSprop momentum", lambda: torch.optim.RMSprop([p0], momentum=-0.5)),
    ("Adagrad lr decay", lambda: torch.optim.Adagrad([p0], lr_decay=-0.5)),
    ("Adagrad initial accumulator", lambda: torch.optim.Adagrad([p0], initial_accumulator_value=-0.5)),
    ("Adadelta rho", lambda: torch.optim.Adadelta([p0], rho=1.5)),
    ("Adamax beta", lambda: torch.optim.Adamax([p0], betas=(0.9, 1.5))),
    ("NAdam momentum decay", lambda: torch.optim.NAdam([p0], momentum_decay=-0.5)),
    ("AdamW eps", lambda: torch.optim.AdamW([p0], eps=-0.5)),
    ("duplicate parameter in two groups", lambda: torch.optim.SGD([{"params": [p0]}, {"params": [p0]}], lr=0.1)),
    ("load: group count", lambda: torch.optim.SGD([p0], lr=0.1).load_state_dict(
        torch.optim.SGD([{"params": [p0]}, {"params": [torch.zeros(1, requires_grad=True)]}], lr=0.1).state_dict())),
    ("load: group size", lambda: torch.optim.SGD([p0], lr=0.1).load_state_dict(
        torch.optim.SGD([p0, torch.zeros(1, requires_grad=True)], lr=0.1).state_dict())),
    ("LinearLR start factor", lambda: torch.optim.lr_scheduler.LinearLR(torch.optim.SGD([p0], lr=0.1), start_factor=1.5)),
    ("ConstantLR factor", lambda: torch.optim.lr_scheduler.ConstantLR(torch.optim.SGD([p0], lr=0.1), factor=1.5)),
    ("ReduceLROnPlateau factor", lambda: torch.optim.lr_scheduler.ReduceLROnPlateau(torch.optim.SGD([p0], lr=0.1), factor=1.0)),
    ("ReduceLROnPlateau mode", lambda: torch.optim.lr_scheduler.ReduceLROnPlateau(torch.optim.SGD([p0], lr=0.1), mode="avg")),
    ("OneCycleLR total steps", lambda: torch.optim.lr_scheduler.OneCycleLR(torch.optim.SGD([p0], lr=0.1), max_lr=1.0)),
    ("OneCycleLR momentum", lambda: torch.optim.lr_scheduler.OneCycleLR(torch.optim.Adagrad([p0], lr=0.1), max_lr=1.0, total_steps=5)),
    ("LambdaLR count", lambda: torch.optim.lr_scheduler.LambdaLR(torch.optim.SGD([p0], lr=0.1), lr_lambda=[lambda e: 1, lambda e: 1])),
]:
    try:
        make()
    except Exception as e:  # noqa: BLE001
        errors.append({"name": name, "error": str(e).split("\n")[0]})
        continue
    raise AssertionError(name)


def onecycle_overstep():
    opt = torch.optim.SGD([p0], lr=0.1, momentum=0.9)
    s = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=2)
    for _ in range(3):
        s.step()


try:
    onecycle_overstep()
    raise AssertionError("overstep")
except ValueError as e:
    errors.append({"name": "OneCycleLR overstep", "error": str(e)})

try:
    ps = [torch.zeros(2, requires_grad=True)]
    ps[0].grad = torch.tensor([float("inf"), 1.0])
    torch.nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    raise AssertionError("nonfinite")
except RuntimeError as e:
    errors.append({"name": "clip nonfinite", "error": str(e)})

out = {"torch": torch.__version__, "optimizers": optimizers, "schedulers": schedulers, "plateau": plateau,
       "clip": clip, "errors": errors}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optim.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
print(f"wrote {path}: {len(optimizers)} optimizer runs, {len(schedulers)} + {len(plateau)} scheduler runs, "
      f"{len(clip)} clip cases, {len(errors)} errors")
