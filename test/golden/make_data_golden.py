#!/usr/bin/python3
"""PyTorch 1.13 orders for jitgrad's randperm, Generator, DataLoader and random_split -> data.json.

Run with /usr/bin/python3 (torch 1.13, CPU). Large permutations are stored as their first and
last values plus a checksum (sum of (i+1)*p[i] mod 1e9+7, accumulated mod 1e9+7)."""
import json, os
import torch
from torch.utils.data import DataLoader, TensorDataset, random_split

M = 1_000_000_007


def summary(p):
    acc = 0
    for i, v in enumerate(p):
        acc = (acc + (i + 1) * v) % M
    return {"head": p[:20], "tail": p[-20:], "checksum": acc}


def after():
    # the next draws of the global generator, to check how far a call advanced it
    return torch.rand(2).tolist()


out = {"randperm": [], "generator": [], "loader": [], "split": []}

for seed in [0, 1, 42, 2**32 + 7, -5]:
    for n in [0, 1, 2, 5, 17, 100, 1000]:
        torch.manual_seed(seed)
        p = torch.randperm(n).tolist()
        out["randperm"].append({"seed": seed, "n": n, "perm": p, "after": after()})
for seed, n in [(0, 100_000), (3, 3_000_000)]:
    torch.manual_seed(seed)
    p = torch.randperm(n).tolist()
    out["randperm"].append({"seed": seed, "n": n, "summary": summary(p), "after": after()})
for dtype in ["float32", "float64"]:
    torch.manual_seed(9)
    p = torch.randperm(12, dtype=getattr(torch, dtype)).tolist()
    out["randperm"].append({"seed": 9, "n": 12, "dtype": dtype, "perm": p, "after": after()})

# private generators: the global one is untouched; consecutive calls continue the stream
for seed in [None, 0, 7, 2**40 + 3]:
    torch.manual_seed(123)
    g = torch.Generator()
    if seed is not None:
        g.manual_seed(seed)
    perms = [torch.randperm(n, generator=g).tolist() for n in [10, 33]]
    out["generator"].append({"seed": seed, "perms": perms, "after": after()})


def epochs(loader, k):
    return [[b[0].tolist() for b in loader] for _ in range(k)]


n = 10
x = torch.arange(n)
ds = TensorDataset(x, x * 10)
for kw in [
    {"batch_size": 3, "shuffle": True, "gen": 0},
    {"batch_size": 3, "shuffle": True, "gen": 42, "drop_last": True},
    {"batch_size": 4, "shuffle": True, "global": 5},
    {"batch_size": 4, "shuffle": False, "global": 5},
    {"batch_size": 1, "shuffle": True, "global": 11, "drop_last": True},
]:
    torch.manual_seed(kw.get("global", 77))
    args = {k: v for k, v in kw.items() if k not in ("gen", "global")}
    if "gen" in kw:
        args["generator"] = torch.Generator().manual_seed(kw["gen"])
    loader = DataLoader(ds, **args)
    out["loader"].append({"n": n, "options": kw, "length": len(loader), "epochs": epochs(loader, 3), "after": after()})

# an epoch left after two batches draws no more (RandomSampler's trailing randperm never runs)
torch.manual_seed(5)
g = torch.Generator().manual_seed(3)
loader = DataLoader(ds, batch_size=3, shuffle=True, generator=g)
partial = []
for b in loader:
    partial.append(b[0].tolist())
    if len(partial) == 2:
        break
out["partial"] = {"seed": 3, "first": partial, "next": epochs(loader, 1), "after": after()}

for size, lengths, seed in [
    (10, [3, 7], 42),
    (30, [0.3, 0.3, 0.4], 42),
    (11, [0.5, 0.5], 0),
    (7, [0.1, 0.2, 0.7], 3),
    (12, [4, 4, 4], None),
]:
    torch.manual_seed(99)
    kwargs = {} if seed is None else {"generator": torch.Generator().manual_seed(seed)}
    parts = random_split(range(size), lengths, **kwargs)
    out["split"].append(
        {"size": size, "lengths": lengths, "seed": seed, "parts": [list(p.indices) for p in parts], "after": after()}
    )

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
print("wrote", path)
