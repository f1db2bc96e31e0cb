"""PyTorch 1.13's results on special values (NaN, +-inf, +-0) for every elementwise op and the
reductions jitgrad has, as test/golden/special.json. Run with Debian's python3-torch:
    /usr/bin/python3 test/golden/make_special_golden.py
Floats are written as strings ("nan", "-0.0", "inf") so that JSON keeps them; bools as 0/1.
Each case: {"op", "dtype", "args": [[...values]], "out": [...], "outDtype"}. Unary ops see every
special value; binary ops see every pair (broadcast as a column against a row).
"""
import json
import os

import torch

SPECIAL = [float("nan"), float("inf"), float("-inf"), 0.0, -0.0, 1.5, -2.0, 3.0]
DT = {"float32": torch.float32, "float64": torch.float64}
NAME = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int32", torch.int32: "int32",
        torch.bool: "bool"}


def enc(v):
    if isinstance(v, bool):
        return 1 if v else 0
    if isinstance(v, int):
        return v
    return repr(float(v))


UNARY = {
    "neg": torch.neg, "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt, "abs": torch.abs,
    "sign": torch.sign, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
    "sin": torch.sin, "cos": torch.cos, "erf": torch.erf, "logicalNot": torch.logical_not,
    "bool": lambda t: t.bool(),
    # issue 11: elementwise math
    "floor": torch.floor, "ceil": torch.ceil, "round": torch.round, "trunc": torch.trunc,
    "frac": torch.frac, "log1p": torch.log1p, "expm1": torch.expm1, "log2": torch.log2,
    "log10": torch.log10, "exp2": torch.exp2, "rsqrt": torch.rsqrt, "reciprocal": torch.reciprocal,
    "tan": torch.tan, "asin": torch.asin, "acos": torch.acos, "atan": torch.atan, "sinh": torch.sinh,
    "cosh": torch.cosh, "asinh": torch.asinh, "acosh": torch.acosh, "atanh": torch.atanh,
    "isnan": torch.isnan, "isinf": torch.isinf, "isfinite": torch.isfinite,
    "signbit": torch.signbit, "nanToNum": torch.nan_to_num, "erfc": torch.erfc,
    "erfinv": torch.erfinv,
}
BINARY = {
    "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "pow": torch.pow,
    "maximum": torch.maximum, "minimum": torch.minimum, "eq": torch.eq, "ne": torch.ne,
    "lt": torch.lt, "le": torch.le, "gt": torch.gt, "ge": torch.ge, "logicalOr": torch.logical_or,
    # issue 11: elementwise math
    "atan2": torch.atan2, "fmod": torch.fmod, "remainder": torch.remainder,
    "floorDivide": torch.floor_divide, "hypot": torch.hypot, "logaddexp": torch.logaddexp,
    "copysign": torch.copysign,
}
REDUCE = {"sum": torch.sum, "max": torch.amax, "min": torch.amin}

cases = []
for dtype, tdt in DT.items():
    x = torch.tensor(SPECIAL, dtype=tdt)
    for name, fn in UNARY.items():
        out = fn(x)
        cases.append({"op": name, "dtype": dtype, "args": [[enc(v) for v in SPECIAL]],
                      "out": [enc(v) for v in out.tolist()], "outDtype": NAME[out.dtype]})
    a, b = x.reshape(-1, 1), x.reshape(1, -1)
    for name, fn in BINARY.items():
        out = fn(a, b).reshape(-1)
        cases.append({"op": name, "dtype": dtype, "args": [[enc(v) for v in SPECIAL]] * 2,
                      "out": [enc(v) for v in out.tolist()], "outDtype": NAME[out.dtype]})
    for name, fn in REDUCE.items():
        # each row: one special value among ordinary ones
        rows = torch.tensor([[v, 1.0, -1.0] for v in SPECIAL], dtype=tdt)
        out = fn(rows, 1)
        cases.append({"op": name, "dtype": dtype, "args": [[enc(v) for v in SPECIAL]],
                      "out": [enc(v) for v in out.tolist()], "outDtype": NAME[out.dtype]})

path = os.path.join(os.path.dirname(__file__), "special.json")
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, indent=0)
print(f"wrote {len(cases)} cases to {path}")
