"""Golden fixtures for runtime/format.ts: PyTorch's own repr(tensor) for many tensors.

Run with: /usr/bin/python3 test/golden/make_format_golden.py  (writes test/golden/format.json)
Uses PyTorch's default print options (precision 4, linewidth 80, threshold 1000, edgeitems 3).
"""
import json
import math
import os

import numpy as np
import torch

torch.set_printoptions(profile="default")
torch.manual_seed(0)

# jitgrad's int32 plays the role of torch's default int64.
DTYPES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int32", torch.bool: "bool"}
NP_DTYPES = {torch.float32: np.float32, torch.float64: np.float64}

cases = []


def encode(v):
    # JSON has no nan/inf: store them as strings; -0.0 survives as "-0.0".
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def add(name, t):
    flat = t.detach().reshape(-1)
    if t.dtype in NP_DTYPES:
        # numpy float -> python float keeps the exact float32 value as a double.
        values = [float(v) for v in flat.numpy().astype(NP_DTYPES[t.dtype])]
    elif t.dtype == torch.bool:
        values = [1 if v else 0 for v in flat.tolist()]
    else:
        values = flat.tolist()
        assert all(-(2**31) <= v < 2**31 for v in values), name
    extras = []
    if t.grad_fn is not None:
        extras.append("grad_fn=<{}>".format(type(t.grad_fn).__name__))
    elif t.requires_grad:
        extras.append("requires_grad=True")
    cases.append(
        {
            "name": name,
            "shape": list(t.shape),
            "dtype": DTYPES[t.dtype],
            "values": [encode(v) for v in values],
            "extras": extras,
            "repr": repr(t),
        }
    )


T = torch.tensor
nan, inf = float("nan"), float("inf")
f64 = torch.float64

# --- 0-d scalars
add("scalar int-valued float", T(27.0))
add("scalar fraction", T(-2.5))
add("scalar 0.1 float32", T(0.1))
add("scalar float64", T(0.1, dtype=f64))
add("scalar nan", T(nan))
add("scalar -inf", T(-inf))
add("scalar negative zero", T(-0.0))
add("scalar tiny -> sci", T(1e-5))
add("scalar huge int-valued -> sci", T(1e10))
add("scalar int", T(-7))
add("scalar bool", T(True))
add("scalar requires_grad", T(3.0, requires_grad=True))
add("scalar grad_fn", (T(3.0, requires_grad=True) * 2).sum())

# --- 1-d basics
add("1d int-valued floats", T([1.0, 2.0, 3.0]))
add("1d mixed int and fraction", T([1.0, 2.5]))
add("1d negatives", T([-1.5, 2.25, -0.125, 100.0]))
add("1d zeros", torch.zeros(4))
add("1d with negative zero int mode", T([-0.0, 1.0, 2.0]))
add("1d with negative zero fixed mode", T([-0.0, 0.5]))
add("1d float32 0.1 0.2 0.3", T([0.1, 0.2, 0.3]))
add("1d float64", T([0.1, 1.0 / 3.0, 2.0 / 3.0], dtype=f64))
add("1d float64 int-valued", T([1.0, 2.0], dtype=f64))
add("1d ints", T([1, -20, 300]))
add("1d int extremes", T([2147483647, -2147483648, 0]))
add("1d bool", T([True, False, True]))
add("1d bool all true", T([True, True]))
add("1d half-even ties", T([1.03125, 2.0]))
add("1d rounding carry fixed", T([0.99995, 9.99995, 0.5], dtype=f64))

# --- non-finite mixes
add("nan inf int mode", T([1.0, nan, inf, -inf]))
add("nan inf fixed mode", T([1.5, nan, -inf]))
add("nan inf sci mode", T([1e-6, nan, inf, 3.0]))
add("only non-finite", T([nan, inf, -inf]))
add("only nan", T([nan, nan]))
add("nan with zeros", T([0.0, nan]))

# --- scientific notation both ways
add("sci ratio > 1000", T([1.0, 4096.5]))
add("sci int-valued ratio > 1000", T([1.0, 409600.0]))
add("no sci int-valued ratio == 1000", T([1.0, 1000.0]))
add("sci max > 1e8", T([2e8, 3e8]))
add("sci min < 1e-4", T([5e-5, 1e-4]))
add("sci half-even tie", T([1.03125, 1e-5], dtype=f64))
add("sci exponent carry", T([9.99995e5, 1.0, 0.5], dtype=f64))
add("sci float32 max/min", T([3.4028234663852886e38, 1e-45, -1.0]))
add("sci float64 3-digit exponents", T([1e300, 1e-310, -2.5], dtype=f64))
add("sci negatives", T([-1e-8, 2.5e-3, -7.0]))

# --- random normal data of various scales
for scale in [1e-6, 1e-3, 1.0, 1e3, 1e5, 1e10]:
    add("randn 2x4 scale {:g}".format(scale), torch.randn(2, 4) * scale)
add("randn float64 3x3", torch.randn(3, 3, dtype=f64))
add("randn float64 3x3 scale 1e-7", torch.randn(3, 3, dtype=f64) * 1e-7)

# --- higher dims
add("2d int-valued", torch.arange(6.0).reshape(2, 3))
add("2d ints", torch.arange(-6, 6).reshape(3, 4))
add("2d bool", torch.arange(6).reshape(2, 3) % 2 == 0)
add("3d randn", torch.randn(2, 3, 4))
add("4d randn", torch.randn(2, 2, 2, 3))
add("4d ints", torch.arange(24).reshape(2, 3, 2, 2))
add("size-1 dims", torch.randn(1, 1, 3))

# --- wrapping at 80 columns
add("1d wide randn wraps", torch.randn(30))
add("1d wide ints wrap", torch.arange(100))
add("2d wide rows wrap", torch.randn(3, 20))
add("3d wide rows wrap", torch.randn(2, 2, 15) * 100)
add("1d wide sci wraps", torch.randn(12) * 1e-6)
add("1d wide bool wraps", torch.arange(40) % 3 == 0)

# --- summarization (> 1000 elements)
add("1d 2000 floats", torch.arange(2000.0))
add("1d 2000 ints", torch.arange(2000))
add("1d 1001 randn", torch.randn(1001))
add("1d exactly 1000 not summarized", torch.arange(1000))
add("2d 50x50 summarized", torch.randn(50, 50))
add("2d 3x400 summarize cols only", torch.randn(3, 400))
add("2d 400x3 summarize rows only", torch.arange(1200.0).reshape(400, 3))
add("3d 10x10x20 summarized", torch.randn(10, 10, 20))
add("4d 2x3x20x20 summarized", torch.randn(2, 3, 20, 20))
big = torch.ones(2000)
big[1000] = 1e-9  # hidden middle value must not switch the formatter to sci mode
add("summarized hidden tiny value", big)
add("summarized bool", torch.arange(1500) % 2 == 0)

# --- empty tensors
add("empty 1d", torch.zeros(0))
add("empty 2x0", torch.zeros(2, 0))
add("empty 0x3x2", torch.zeros(0, 3, 2))
add("empty float64", torch.zeros(0, dtype=f64))
add("empty int", torch.zeros(0, dtype=torch.int64))
add("empty bool 2d", torch.zeros(0, 2, dtype=torch.bool))
add("empty requires_grad", torch.zeros(2, 0, requires_grad=True))

# --- suffixes
add("1d requires_grad", T([1.0, 2.0, 3.0], requires_grad=True))
add("float64 requires_grad", T([1.5, 2.0], dtype=f64, requires_grad=True))
add("2d requires_grad multi-line", torch.randn(3, 3).requires_grad_())
add("2d grad_fn multi-line", torch.randn(3, 3, requires_grad=True) + 1)
add("float64 grad_fn multi-line", torch.randn(2, 5, dtype=f64, requires_grad=True) * 2)
add("wrapped 1d grad_fn", torch.randn(25, requires_grad=True).exp())
# last line long enough that the suffix is pushed onto its own line
add("long single line grad_fn", (torch.arange(9.0) * 1000.5).requires_grad_() * 1)
add("long single line requires_grad", (torch.arange(8.0) + 0.5).requires_grad_())
add("summarized grad_fn", torch.randn(40, 40, requires_grad=True).tanh())
add("summarized float64 requires_grad", torch.randn(1200, dtype=f64, requires_grad=True))

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "format.json")
with open(out, "w") as f:
    # One case per line keeps the file small and diffs readable.
    f.write("[\n" + ",\n".join(json.dumps(c, allow_nan=False) for c in cases) + "\n]\n")
print("wrote {} cases to {}".format(len(cases), out))
