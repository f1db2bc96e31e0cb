"""Golden fixtures for jitgrad's nn modules (nn/modules/), from PyTorch 1.13.

Run with: /usr/bin/python3 test/golden/make_modules_golden.py  (writes test/golden/modules.json)
test/nn/modules.test.ts checks jitgrad against it.

Tensors are {"shape", "dtype", "data"} (int64 labels as "int32"). Sections:

  modules   one module per case, built as jitgrad builds it from "ctor" ({kind, args, opts}: the
            constructor's positional arguments and options object in jitgrad's camelCase; a tensor
            option is a tensor spec) right after torch.manual_seed(seed): its state dict then
            (default initialization, draw for draw), its repr, and, in the mode given ("train" or
            "eval"; "warm": one training forward on `warm` first, then eval), the output for the
            inputs, the grads of sum(out * upstream) for the float inputs and every parameter, and
            the state dict after the forward (running statistics)
  trees     printed module trees (PyTorch's Module.__repr__) of nested models
  names     the qualified names of Block's parameters, buffers, modules, children and state dict
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


g = torch.Generator().manual_seed(2024)


def rnd(*shape, scale=1.0):
    return torch.randn(shape, generator=g) * scale


def labels(n, classes, *shape):
    return torch.randint(0, classes, (n, *shape), generator=g)


cases = []


def case(name, kind, args, opts, build, inputs, mode="train", seed=0, warm=None, field=None):
    """build(): the torch module; inputs: tensors (float ones get gradients); field: the element
    of a tuple output the case checks (MaxPool2d with return_indices: 0 the output, 1 the indices)."""
    torch.manual_seed(seed)
    m = build()
    init = state(m)
    if warm is not None:
        m.train()
        with torch.no_grad():
            m(warm)
        m.eval()
    elif mode == "eval":
        m.eval()
    ins = [t.clone().requires_grad_(t.is_floating_point()) for t in inputs]
    y = m(*ins)
    if field is not None:
        y = y[field]
    up = rnd(*y.shape).to(y.dtype) if y.is_floating_point() else None
    grads = {}
    if y.requires_grad:
        (y * up).sum().backward()
        grads = {k: spec(p.grad) for k, p in m.named_parameters() if p.grad is not None}
    jsopts = {k: spec(v) if isinstance(v, torch.Tensor) else v for k, v in opts.items()}
    cases.append({
        "name": name, "seed": seed, "ctor": {"kind": kind, "args": args, "opts": jsopts},
        "mode": "warm" if warm is not None else mode, "warm": spec(warm) if warm is not None else None,
        "init": init, "repr": repr(m), "inputs": [spec(t) for t in ins], "out": spec(y),
        "upstream": spec(up) if up is not None else None, "gradInputs": [spec(t.grad) if t.grad is not None else None for t in ins],
        "grads": grads, "after": state(m), "gradFn": type(y.grad_fn).__name__ if y.grad_fn else None,
        **({"field": field} if field is not None else {}),
    })


# ---- linear and shape
case("Linear", "Linear", [4, 3], {}, lambda: nn.Linear(4, 3), [rnd(2, 4)], seed=1)
case("Identity", "Identity", [], {}, lambda: nn.Identity(), [rnd(2, 3)])
case("Flatten", "Flatten", [], {}, lambda: nn.Flatten(), [rnd(2, 3, 4)])
case("Flatten(0, 1)", "Flatten", [0, 1], {}, lambda: nn.Flatten(0, 1), [rnd(2, 3, 4)])
case("Unflatten", "Unflatten", [1, [2, 3]], {}, lambda: nn.Unflatten(1, (2, 3)), [rnd(4, 6)])

# ---- convolution
case("Conv1d", "Conv1d", [2, 3, 3], {}, lambda: nn.Conv1d(2, 3, 3), [rnd(2, 2, 7)], seed=2)
case("Conv1d strided, dilated, grouped, no bias", "Conv1d", [4, 2, 3],
     {"stride": 2, "padding": 1, "dilation": 2, "groups": 2, "bias": False},
     lambda: nn.Conv1d(4, 2, 3, stride=2, padding=1, dilation=2, groups=2, bias=False), [rnd(2, 4, 9)], seed=3)
case("Conv1d same, reflect", "Conv1d", [2, 2, 4], {"padding": "same", "paddingMode": "reflect"},
     lambda: nn.Conv1d(2, 2, 4, padding="same", padding_mode="reflect"), [rnd(2, 2, 6)], seed=4)
case("Conv2d LeNet", "Conv2d", [1, 6, 5], {}, lambda: nn.Conv2d(1, 6, 5), [rnd(2, 1, 10, 10)], seed=5)
case("Conv2d strided, padded, dilated, grouped", "Conv2d", [4, 6, [3, 2]],
     {"stride": [2, 1], "padding": [1, 0], "dilation": [1, 2], "groups": 2},
     lambda: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2), [rnd(2, 4, 7, 8)], seed=6)
case("Conv2d circular", "Conv2d", [2, 3, 3], {"padding": 1, "paddingMode": "circular"},
     lambda: nn.Conv2d(2, 3, 3, padding=1, padding_mode="circular"), [rnd(2, 2, 5, 5)], seed=7)
case("Conv2d same, replicate, unbatched", "Conv2d", [2, 2, [2, 3]], {"padding": "same", "paddingMode": "replicate"},
     lambda: nn.Conv2d(2, 2, (2, 3), padding="same", padding_mode="replicate"), [rnd(2, 5, 4)], seed=8)
case("Conv2d valid, no bias", "Conv2d", [3, 2, 2], {"padding": "valid", "bias": False},
     lambda: nn.Conv2d(3, 2, 2, padding="valid", bias=False), [rnd(1, 3, 4, 4)], seed=9)
case("Conv2d float64", "Conv2d", [2, 3, 3], {"dtype": "float64"},
     lambda: nn.Conv2d(2, 3, 3, dtype=torch.float64), [rnd(2, 2, 5, 5).double()], seed=10)
case("ConvTranspose2d", "ConvTranspose2d", [2, 3, 3], {"stride": 2, "outputPadding": 1},
     lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, output_padding=1), [rnd(2, 2, 4, 4)], seed=11)
case("ConvTranspose2d grouped, padded, dilated, no bias", "ConvTranspose2d", [4, 2, [3, 2]],
     {"stride": [2, 1], "padding": [1, 0], "groups": 2, "bias": False, "dilation": [1, 2]},
     lambda: nn.ConvTranspose2d(4, 2, (3, 2), stride=(2, 1), padding=(1, 0), groups=2, bias=False, dilation=(1, 2)),
     [rnd(2, 4, 3, 3)], seed=12)

# ---- pooling
case("MaxPool2d", "MaxPool2d", [2], {}, lambda: nn.MaxPool2d(2), [rnd(2, 3, 6, 6)])
case("MaxPool2d tuple kernel, ceil mode", "MaxPool2d", [[2, 3]], {"stride": 1, "padding": 1, "dilation": 2, "ceilMode": True},
     lambda: nn.MaxPool2d((2, 3), stride=1, padding=1, dilation=2, ceil_mode=True), [rnd(2, 2, 7, 7)])
case("MaxPool1d", "MaxPool1d", [3], {"stride": 2}, lambda: nn.MaxPool1d(3, stride=2), [rnd(2, 3, 10)])
case("AvgPool2d", "AvgPool2d", [2], {}, lambda: nn.AvgPool2d(2), [rnd(2, 3, 6, 6)])
case("AvgPool2d padded, ceil, exclude pad", "AvgPool2d", [3], {"stride": 2, "padding": 1, "ceilMode": True, "countIncludePad": False},
     lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), [rnd(2, 2, 6, 7)])
case("AvgPool2d divisor override", "AvgPool2d", [2], {"divisorOverride": 3},
     lambda: nn.AvgPool2d(2, divisor_override=3), [rnd(1, 2, 4, 4)])
case("AvgPool1d", "AvgPool1d", [3], {"stride": 2, "padding": 1}, lambda: nn.AvgPool1d(3, stride=2, padding=1), [rnd(2, 3, 9)])
case("AdaptiveAvgPool2d (3, None)", "AdaptiveAvgPool2d", [[3, None]], {}, lambda: nn.AdaptiveAvgPool2d((3, None)), [rnd(2, 3, 7, 5)])
case("AdaptiveAvgPool2d 1", "AdaptiveAvgPool2d", [1], {}, lambda: nn.AdaptiveAvgPool2d(1), [rnd(2, 3, 4, 4)])
case("AdaptiveMaxPool2d uneven", "AdaptiveMaxPool2d", [2], {}, lambda: nn.AdaptiveMaxPool2d(2), [rnd(2, 2, 5, 7)])
case("AdaptiveMaxPool2d even", "AdaptiveMaxPool2d", [[3, 2]], {}, lambda: nn.AdaptiveMaxPool2d((3, 2)), [rnd(2, 2, 6, 4)])

# ---- normalization
case("BatchNorm1d train", "BatchNorm1d", [3], {}, lambda: nn.BatchNorm1d(3), [rnd(5, 3, scale=2) + 1])
case("BatchNorm1d train 3-D", "BatchNorm1d", [3], {"momentum": 0.3}, lambda: nn.BatchNorm1d(3, momentum=0.3), [rnd(4, 3, 5)])
case("BatchNorm2d train", "BatchNorm2d", [4], {}, lambda: nn.BatchNorm2d(4), [rnd(3, 4, 5, 5, scale=3) - 1])
case("BatchNorm2d eval after a training step", "BatchNorm2d", [4], {}, lambda: nn.BatchNorm2d(4), [rnd(3, 4, 3, 3)],
     warm=rnd(6, 4, 3, 3, scale=2) + 0.5)
case("BatchNorm2d cumulative (momentum None), no affine", "BatchNorm2d", [2], {"momentum": None, "affine": False},
     lambda: nn.BatchNorm2d(2, momentum=None, affine=False), [rnd(3, 2, 4, 4)])
case("BatchNorm2d without running stats, eval", "BatchNorm2d", [2], {"trackRunningStats": False, "eps": 1e-3},
     lambda: nn.BatchNorm2d(2, track_running_stats=False, eps=1e-3), [rnd(3, 2, 4, 4)], mode="eval")
case("LayerNorm", "LayerNorm", [5], {}, lambda: nn.LayerNorm(5), [rnd(3, 5, scale=2)])
case("LayerNorm 2 dims, no affine", "LayerNorm", [[2, 3]], {"eps": 1e-6, "elementwiseAffine": False},
     lambda: nn.LayerNorm([2, 3], eps=1e-6, elementwise_affine=False), [rnd(2, 4, 2, 3)])
case("GroupNorm", "GroupNorm", [2, 4], {}, lambda: nn.GroupNorm(2, 4), [rnd(2, 4, 3, 3)])
case("GroupNorm no affine", "GroupNorm", [3, 6], {"affine": False, "eps": 1e-4},
     lambda: nn.GroupNorm(3, 6, affine=False, eps=1e-4), [rnd(2, 6, 5)])
case("InstanceNorm1d", "InstanceNorm1d", [3], {}, lambda: nn.InstanceNorm1d(3), [rnd(2, 3, 6)])
case("InstanceNorm1d unbatched", "InstanceNorm1d", [3], {}, lambda: nn.InstanceNorm1d(3), [rnd(3, 6)])
case("InstanceNorm2d affine", "InstanceNorm2d", [3], {"affine": True}, lambda: nn.InstanceNorm2d(3, affine=True),
     [rnd(2, 3, 4, 4)])

# ---- padding and upsampling
case("ZeroPad2d", "ZeroPad2d", [1], {}, lambda: nn.ZeroPad2d(1), [rnd(2, 2, 3, 3)])
case("ZeroPad2d tuple", "ZeroPad2d", [[1, 2, 0, 1]], {}, lambda: nn.ZeroPad2d((1, 2, 0, 1)), [rnd(2, 3, 3)])
case("ConstantPad1d", "ConstantPad1d", [2, 3.5], {}, lambda: nn.ConstantPad1d(2, 3.5), [rnd(2, 3, 4)])
case("ConstantPad2d", "ConstantPad2d", [[1, 0, 2, 1], -1], {}, lambda: nn.ConstantPad2d((1, 0, 2, 1), -1), [rnd(1, 2, 3, 3)])
case("ReflectionPad1d", "ReflectionPad1d", [2], {}, lambda: nn.ReflectionPad1d(2), [rnd(2, 3, 5)])
case("ReflectionPad2d", "ReflectionPad2d", [[1, 1, 2, 0]], {}, lambda: nn.ReflectionPad2d((1, 1, 2, 0)), [rnd(1, 2, 4, 4)])
case("ReplicationPad1d", "ReplicationPad1d", [[1, 2]], {}, lambda: nn.ReplicationPad1d((1, 2)), [rnd(2, 3, 4)])
case("ReplicationPad2d", "ReplicationPad2d", [1], {}, lambda: nn.ReplicationPad2d(1), [rnd(1, 2, 3, 4)])
case("Upsample nearest", "Upsample", [], {"scaleFactor": 2}, lambda: nn.Upsample(scale_factor=2), [rnd(1, 2, 3, 3)])
case("Upsample bilinear size", "Upsample", [], {"size": [4, 5], "mode": "bilinear"},
     lambda: nn.Upsample(size=(4, 5), mode="bilinear"), [rnd(2, 2, 3, 3)])
case("Upsample bilinear align corners", "Upsample", [], {"scaleFactor": 1.5, "mode": "bilinear", "alignCorners": True},
     lambda: nn.Upsample(scale_factor=1.5, mode="bilinear", align_corners=True), [rnd(1, 2, 4, 4)])
case("UpsamplingNearest2d", "UpsamplingNearest2d", [], {"scaleFactor": 2}, lambda: nn.UpsamplingNearest2d(scale_factor=2),
     [rnd(1, 2, 2, 3)])
case("UpsamplingBilinear2d", "UpsamplingBilinear2d", [], {"size": 3}, lambda: nn.UpsamplingBilinear2d(size=3), [rnd(1, 2, 2, 2)])

# ---- embedding
case("Embedding", "Embedding", [10, 3], {}, lambda: nn.Embedding(10, 3), [labels(2, 10, 4)], seed=13)
case("Embedding paddingIdx", "Embedding", [10, 3], {"paddingIdx": 0}, lambda: nn.Embedding(10, 3, padding_idx=0),
     [torch.tensor([[0, 2, 0, 5], [1, 0, 9, 2]])], seed=14)
case("Embedding negative paddingIdx", "Embedding", [20, 4], {"paddingIdx": -1},
     lambda: nn.Embedding(20, 4, padding_idx=-1), [torch.tensor([19, 3, 19, 0])], seed=15)

# ---- dropout (training mode draws the torch generator after the module is built)
case("Dropout", "Dropout", [0.3], {}, lambda: nn.Dropout(0.3), [rnd(4, 5)], seed=16)
case("Dropout eval", "Dropout", [0.3], {}, lambda: nn.Dropout(0.3), [rnd(4, 5)], mode="eval", seed=16)
case("Dropout2d", "Dropout2d", [0.5], {}, lambda: nn.Dropout2d(0.5), [rnd(3, 4, 2, 2)], seed=17)
case("Dropout2d 3-D input", "Dropout2d", [0.25], {}, lambda: nn.Dropout2d(0.25), [rnd(2, 5, 3)], seed=18)
case("Dropout1d", "Dropout1d", [0.4], {}, lambda: nn.Dropout1d(0.4), [rnd(3, 4, 5)], seed=19)
case("Dropout1d unbatched", "Dropout1d", [0.4], {}, lambda: nn.Dropout1d(0.4), [rnd(6, 5)], seed=20)

# ---- activations
for kind, args, opts, build in [
    ("ReLU", [], {}, lambda: nn.ReLU()),
    ("ReLU6", [], {}, lambda: nn.ReLU6()),
    ("Sigmoid", [], {}, lambda: nn.Sigmoid()),
    ("Tanh", [], {}, lambda: nn.Tanh()),
    ("LeakyReLU", [], {}, lambda: nn.LeakyReLU()),
    ("LeakyReLU", [], {"negativeSlope": 0.2}, lambda: nn.LeakyReLU(0.2)),
    ("ELU", [], {}, lambda: nn.ELU()),
    ("ELU", [], {"alpha": 0.5}, lambda: nn.ELU(0.5)),
    ("SELU", [], {}, lambda: nn.SELU()),
    ("CELU", [], {}, lambda: nn.CELU()),
    ("CELU", [], {"alpha": 2.5}, lambda: nn.CELU(2.5)),
    ("SiLU", [], {}, lambda: nn.SiLU()),
    ("Mish", [], {}, lambda: nn.Mish()),
    ("Softplus", [], {}, lambda: nn.Softplus()),
    ("Softplus", [], {"beta": 2, "threshold": 3}, lambda: nn.Softplus(2, 3)),
    ("Hardtanh", [], {}, lambda: nn.Hardtanh()),
    ("Hardtanh", [], {"minVal": -2.0, "maxVal": 0.5}, lambda: nn.Hardtanh(-2.0, 0.5)),
    ("Hardsigmoid", [], {}, lambda: nn.Hardsigmoid()),
    ("Hardswish", [], {}, lambda: nn.Hardswish()),
    ("LogSigmoid", [], {}, lambda: nn.LogSigmoid()),
    ("Softsign", [], {}, lambda: nn.Softsign()),
    ("Tanhshrink", [], {}, lambda: nn.Tanhshrink()),
    ("GELU", [], {}, lambda: nn.GELU()),
    ("GELU", [], {"approximate": "tanh"}, lambda: nn.GELU(approximate="tanh")),
    ("GLU", [], {}, lambda: nn.GLU()),
    ("GLU", [0], {}, lambda: nn.GLU(0)),
    ("Softmax", [1], {}, lambda: nn.Softmax(1)),
    ("Softmin", [0], {}, lambda: nn.Softmin(0)),
    ("LogSoftmax", [-1], {}, lambda: nn.LogSoftmax(-1)),
    ("PReLU", [], {}, lambda: nn.PReLU()),
]:
    label = kind + ("" if not (args or opts) else " " + json.dumps(args or opts))
    case(label, kind, args, opts, build, [rnd(4, 6, scale=3)])
case("PReLU per channel", "PReLU", [], {"numParameters": 3, "init": 0.1}, lambda: nn.PReLU(3, 0.1), [rnd(2, 3, 4, scale=2)])

# ---- losses (forward(input, target))
logits = rnd(4, 5, scale=2)
case("MSELoss", "MSELoss", [], {}, lambda: nn.MSELoss(), [rnd(3, 4), rnd(3, 4)])
case("MSELoss sum", "MSELoss", [], {"reduction": "sum"}, lambda: nn.MSELoss(reduction="sum"), [rnd(3, 4), rnd(3, 4)])
case("L1Loss", "L1Loss", [], {}, lambda: nn.L1Loss(), [rnd(3, 4), rnd(3, 4)])
case("L1Loss none", "L1Loss", [], {"reduction": "none"}, lambda: nn.L1Loss(reduction="none"), [rnd(3, 4), rnd(3, 4)])
case("CrossEntropyLoss", "CrossEntropyLoss", [], {}, lambda: nn.CrossEntropyLoss(), [logits, labels(4, 5)])
wce = torch.rand(5, generator=g) + 0.5
case("CrossEntropyLoss weight, ignoreIndex, labelSmoothing", "CrossEntropyLoss", [],
     {"weight": wce, "ignoreIndex": 1, "labelSmoothing": 0.1},
     lambda: nn.CrossEntropyLoss(weight=wce, ignore_index=1, label_smoothing=0.1),
     [rnd(6, 5, scale=2), torch.tensor([0, 1, 2, 3, 4, 1])])
case("NLLLoss", "NLLLoss", [], {}, lambda: nn.NLLLoss(), [F.log_softmax(rnd(4, 5), 1), labels(4, 5)])
case("NLLLoss weight sum", "NLLLoss", [], {"weight": wce, "reduction": "sum"},
     lambda: nn.NLLLoss(weight=wce, reduction="sum"), [F.log_softmax(rnd(4, 5), 1), labels(4, 5)])
wb = torch.rand(3, generator=g) + 0.5
case("BCELoss", "BCELoss", [], {}, lambda: nn.BCELoss(), [torch.sigmoid(rnd(4, 3)), torch.rand(4, 3, generator=g)])
case("BCELoss weight", "BCELoss", [], {"weight": wb}, lambda: nn.BCELoss(weight=wb),
     [torch.sigmoid(rnd(4, 3)), torch.rand(4, 3, generator=g)])
case("BCEWithLogitsLoss", "BCEWithLogitsLoss", [], {}, lambda: nn.BCEWithLogitsLoss(),
     [rnd(4, 3, scale=2), torch.rand(4, 3, generator=g)])
case("BCEWithLogitsLoss posWeight", "BCEWithLogitsLoss", [], {"posWeight": wb, "reduction": "sum"},
     lambda: nn.BCEWithLogitsLoss(pos_weight=wb, reduction="sum"), [rnd(4, 3, scale=2), torch.rand(4, 3, generator=g)])
case("SmoothL1Loss", "SmoothL1Loss", [], {"beta": 0.5}, lambda: nn.SmoothL1Loss(beta=0.5), [rnd(3, 4), rnd(3, 4)])
case("HuberLoss", "HuberLoss", [], {"delta": 2.0}, lambda: nn.HuberLoss(delta=2.0), [rnd(3, 4, scale=2), rnd(3, 4)])
case("KLDivLoss batchmean", "KLDivLoss", [], {"reduction": "batchmean"}, lambda: nn.KLDivLoss(reduction="batchmean"),
     [F.log_softmax(rnd(3, 4), 1), F.softmax(rnd(3, 4), 1)])
case("KLDivLoss logTarget", "KLDivLoss", [], {"reduction": "sum", "logTarget": True},
     lambda: nn.KLDivLoss(reduction="sum", log_target=True), [F.log_softmax(rnd(3, 4), 1), F.log_softmax(rnd(3, 4), 1)])


# ---- issue 11: 3-d convolution and pooling, max pooling with indices, max unpooling
case("Conv3d", "Conv3d", [2, 3, 3], {}, lambda: nn.Conv3d(2, 3, 3), [rnd(2, 2, 4, 5, 4)], seed=21)
case("Conv3d strided, padded, dilated, grouped, no bias", "Conv3d", [4, 2, [2, 3, 2]],
     {"stride": [2, 1, 1], "padding": [1, 0, 1], "dilation": [1, 2, 1], "groups": 2, "bias": False},
     lambda: nn.Conv3d(4, 2, (2, 3, 2), stride=(2, 1, 1), padding=(1, 0, 1), dilation=(1, 2, 1), groups=2, bias=False),
     [rnd(1, 4, 5, 6, 5)], seed=22)
case("Conv3d same, circular", "Conv3d", [2, 2, [2, 3, 1]], {"padding": "same", "paddingMode": "circular"},
     lambda: nn.Conv3d(2, 2, (2, 3, 1), padding="same", padding_mode="circular"), [rnd(1, 2, 4, 5, 3)], seed=23)
case("Conv3d replicate, unbatched", "Conv3d", [2, 3, 2], {"padding": 1, "paddingMode": "replicate"},
     lambda: nn.Conv3d(2, 3, 2, padding=1, padding_mode="replicate"), [rnd(2, 3, 3, 3)], seed=24)
case("Conv3d reflect, valid stride float64", "Conv3d", [1, 2, 3], {"padding": 1, "paddingMode": "reflect", "stride": 2, "dtype": "float64"},
     lambda: nn.Conv3d(1, 2, 3, padding=1, padding_mode="reflect", stride=2, dtype=torch.float64), [rnd(1, 1, 3, 4, 5).double()], seed=25)
case("AvgPool3d", "AvgPool3d", [2], {}, lambda: nn.AvgPool3d(2), [rnd(2, 3, 4, 4, 6)])
case("AvgPool3d padded, ceil, exclude pad", "AvgPool3d", [[1, 2, 3]], {"stride": [1, 1, 2], "padding": [0, 1, 1], "ceilMode": True, "countIncludePad": False},
     lambda: nn.AvgPool3d((1, 2, 3), stride=(1, 1, 2), padding=(0, 1, 1), ceil_mode=True, count_include_pad=False), [rnd(2, 2, 3, 5, 6)])
case("AvgPool3d divisor override", "AvgPool3d", [2], {"divisorOverride": 3}, lambda: nn.AvgPool3d(2, divisor_override=3), [rnd(1, 2, 4, 4, 4)])
case("MaxPool3d", "MaxPool3d", [2], {}, lambda: nn.MaxPool3d(2), [rnd(2, 2, 4, 4, 6)])
case("MaxPool3d tuple kernel, ceil mode, dilation", "MaxPool3d", [[2, 2, 3]], {"stride": 1, "padding": 1, "dilation": [1, 2, 1], "ceilMode": True},
     lambda: nn.MaxPool3d((2, 2, 3), stride=1, padding=1, dilation=(1, 2, 1), ceil_mode=True), [rnd(1, 2, 4, 6, 5)])
case("MaxPool2d returnIndices output", "MaxPool2d", [2], {"returnIndices": True},
     lambda: nn.MaxPool2d(2, return_indices=True), [rnd(2, 3, 6, 5)], field=0)
case("MaxPool2d returnIndices indices", "MaxPool2d", [3], {"stride": 2, "padding": 1, "returnIndices": True},
     lambda: nn.MaxPool2d(3, stride=2, padding=1, return_indices=True), [rnd(2, 2, 6, 7)], field=1)
case("MaxPool1d returnIndices indices", "MaxPool1d", [2], {"returnIndices": True},
     lambda: nn.MaxPool1d(2, return_indices=True), [rnd(2, 3, 7)], field=1)
case("MaxPool3d returnIndices indices", "MaxPool3d", [2], {"returnIndices": True},
     lambda: nn.MaxPool3d(2, return_indices=True), [rnd(1, 2, 4, 5, 4)], field=1)
case("MaxPool3d returnIndices output", "MaxPool3d", [[2, 1, 2]], {"stride": 1, "returnIndices": True},
     lambda: nn.MaxPool3d((2, 1, 2), stride=1, return_indices=True), [rnd(2, 3, 3, 4)], field=0)
y, i = F.max_pool2d(rnd(2, 3, 4, 6), 2, return_indices=True)
case("MaxUnpool2d", "MaxUnpool2d", [2], {}, lambda: nn.MaxUnpool2d(2), [y, i])
y, i = F.max_pool2d(rnd(1, 2, 5, 5), 3, stride=2, padding=1, return_indices=True)
case("MaxUnpool2d stride, padding", "MaxUnpool2d", [3], {"stride": 2, "padding": 1},
     lambda: nn.MaxUnpool2d(3, stride=2, padding=1), [y, i])
y, i = F.max_pool1d(rnd(2, 3, 8), 2, return_indices=True)
case("MaxUnpool1d", "MaxUnpool1d", [2], {}, lambda: nn.MaxUnpool1d(2), [y, i])
y, i = F.max_pool3d(rnd(1, 2, 4, 4, 6), [2, 2, 3], return_indices=True)
case("MaxUnpool3d", "MaxUnpool3d", [[2, 2, 3]], {}, lambda: nn.MaxUnpool3d((2, 2, 3)), [y, i])

case("ConvTranspose3d", "ConvTranspose3d", [2, 3, 2], {"stride": 2}, lambda: nn.ConvTranspose3d(2, 3, 2, stride=2), [rnd(2, 2, 2, 3, 2)], seed=26)
case("ConvTranspose3d grouped, padded, output padding, no bias", "ConvTranspose3d", [4, 2, [2, 3, 2]],
     {"stride": [2, 1, 2], "padding": [1, 0, 1], "outputPadding": [1, 0, 0], "groups": 2, "bias": False},
     lambda: nn.ConvTranspose3d(4, 2, (2, 3, 2), stride=(2, 1, 2), padding=(1, 0, 1), output_padding=(1, 0, 0), groups=2, bias=False),
     [rnd(1, 4, 2, 3, 3)], seed=27)
case("ConvTranspose1d", "ConvTranspose1d", [2, 3, 3], {"stride": 2, "outputPadding": 1}, lambda: nn.ConvTranspose1d(2, 3, 3, stride=2, output_padding=1), [rnd(2, 2, 5)], seed=28)
case("ConvTranspose1d unbatched float64", "ConvTranspose1d", [2, 2, 2], {"dilation": 2, "dtype": "float64"},
     lambda: nn.ConvTranspose1d(2, 2, 2, dilation=2, dtype=torch.float64), [rnd(2, 4).double()], seed=29)

# ---- printed trees
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2))
        self.heads = nn.ModuleDict({"cls": nn.Linear(8, 10), "box": nn.Sequential(nn.Flatten(), nn.Linear(8, 4))})
        self.layers = nn.ModuleList([nn.LayerNorm(8), nn.Dropout(0.1), nn.GELU(approximate="tanh")])
        self.loss = nn.CrossEntropyLoss()


from collections import OrderedDict
trees = {
    "Net": repr(Net()),
    "Block": repr(Block()),
    "named Sequential": repr(nn.Sequential(OrderedDict([("conv", nn.Conv1d(1, 2, 3)), ("act", nn.LeakyReLU(0.1)),
                                                        ("10", nn.Identity()), ("2", nn.Softmax(dim=1))]))),
    "empty": repr(nn.Sequential()) + "|" + repr(nn.ModuleList()) + "|" + repr(nn.ModuleDict()),
}

block = Block()
names = {
    "parameters": [k for k, _ in block.named_parameters()],
    "buffers": [k for k, _ in block.named_buffers()],
    "modules": [k for k, _ in block.named_modules()],
    "children": [k for k, _ in block.named_children()],
    "state": list(block.state_dict().keys()),
}
out = {"torch": torch.__version__, "modules": cases, "trees": trees, "names": names}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "modules.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
print(f"wrote {path}: {len(cases)} module cases")
