"""Golden data for runtime/random.ts: exact torch outputs after manual_seed.

Run with Debian's torch 1.13 (x86-64, AVX2 kernels):
    /usr/bin/python3 test/golden/make_random_golden.py
Writes test/golden/random.json. Each case is a seed plus a sequence of calls made on the
global generator; values are the exact tensor values as Python floats (float32 -> float is
exact, and json's repr round-trips). Large outputs are stored as a sha256 of the raw
little-endian bytes instead of values.
"""

import hashlib
import json
import os

import torch

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def run(op, n, dtype, generator=None):
    kw = {"dtype": DTYPES.get(dtype), "generator": generator}
    if op == "randn":
        return torch.randn(n, **kw)
    if op == "rand":
        return torch.rand(n, **kw)
    if op == "uint32":
        # randint with range 2^32-1 (< 2^32) takes one raw 32-bit draw per element:
        # value = draw % (2^32 - 1). The test compares randomUint32() % (2^32 - 1).
        return torch.randint(0, 2**32 - 1, (n,), dtype=torch.int64, generator=generator)
    raise ValueError(op)


def record(op, n, dtype, t, digest=False):
    call = {"op": op, "n": n, "dtype": dtype}
    if digest:
        call["sha256"] = hashlib.sha256(t.numpy().tobytes()).hexdigest()
    else:
        call["values"] = t.tolist()
    return call


def case(name, seed, calls):
    """calls: list of (op, n, dtype[, "sha256"]); seed None = fresh torch.Generator()."""
    gen = None
    if seed is None:
        gen = torch.Generator()  # starts at c10's default_rng_seed_val = 67280421310721
        assert gen.initial_seed() == 67280421310721
    else:
        torch.manual_seed(seed)
    out = []
    for c in calls:
        op, n, dtype = c[:3]
        if op == "reseed":
            torch.manual_seed(n)
            out.append({"op": "reseed", "seed": n})
            continue
        out.append(record(op, n, dtype, run(op, n, dtype, gen), digest=len(c) > 3))
    return {"name": name, "seed": seed, "calls": out}


f32, f64 = "float32", "float64"
SIZES = [1, 2, 3, 5, 15, 16, 17, 31, 32, 33, 48, 100, 1000]

cases = [
    case("default seed (fresh torch.Generator)", None,
         [("rand", 5, f32), ("randn", 20, f32), ("randn", 3, f64), ("rand", 3, f64)]),
    case("brief example", 0, [("randn", 3, f32), ("randn", 20, f32), ("rand", 5, f32)]),
    case("randn float32 sizes", 0, [("randn", n, f32) for n in SIZES]),
    case("randn float64 sizes", 0, [("randn", n, f64) for n in SIZES]),
    case("rand sizes", 1, [("rand", n, d) for n in [1, 7, 16, 17, 100] for d in (f32, f64)]),
    case("mixed sequence", 42,
         [("rand", 7, f64), ("randn", 1, f64), ("randn", 1, f32), ("rand", 3, f32),
          ("randn", 16, f64), ("randn", 37, f64), ("randn", 2, f32), ("rand", 1000, f32),
          ("rand", 1000, f64), ("randn", 5, f32), ("randn", 640, f32)]),
    # The cached sine sample of the scalar path survives normal_fill calls in between.
    case("normal cache across fill", 5,
         [("randn", 1, f32), ("randn", 16, f32), ("randn", 40, f64), ("randn", 1, f64),
          ("randn", 1, f64)]),
    # manual_seed clears the cached sample: the second randn(2) equals a fresh one.
    case("reseed clears cache", 0,
         [("randn", 1, f64), ("reseed", 0, None), ("randn", 2, f64)]),
    case("raw draws", 0, [("uint32", 1000, None), ("randn", 3, f32), ("uint32", 10, None)]),
    case("seed 7", 7, [("rand", 4, f32), ("randn", 4, f32)]),
    case("seed 2^32+7 (only low 32 bits matter)", 2**32 + 7, [("rand", 4, f32), ("randn", 4, f32)]),
    case("seed -1 (wraps to 2^64-1)", -1, [("rand", 4, f32), ("randn", 17, f32)]),
    case("seed 2^53-1", 2**53 - 1, [("rand", 4, f64), ("randn", 4, f64)]),
    case("seed 123456789", 123456789, [("randn", 4099, f32), ("randn", 2051, f64)]),
    case("large", 0,
         [("randn", 1_000_000, f32, "sha256"), ("rand", 1_000_000, f32, "sha256"),
          ("rand", 1_000_000, f64, "sha256"), ("randn", 100_003, f32, "sha256"),
          ("randn", 5_000, f64)]),
]

meta = {
    "torch": torch.__version__,
    "cpu_capability": next((l.split(":", 1)[1].strip() for l in torch.__config__.show().splitlines()
                            if "CPU capability usage" in l), "unknown"),
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "random.json")
with open(path, "w") as f:
    json.dump({"meta": meta, "cases": cases}, f, separators=(",", ":"))
print("wrote", path, os.path.getsize(path), "bytes", meta)
