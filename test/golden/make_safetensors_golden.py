#!/usr/bin/python3
"""safetensors files written by PyTorch 1.13 for jitgrad's checkpoint tests (python's `safetensors`
package is not installed, so the files are written by following the format's specification:
8-byte little-endian header length, JSON header padded with spaces, raw little-endian data).

  mlp.safetensors     a Linear(4, 8)-ReLU-Linear(8, 3) trained a few SGD steps, as PyTorch names it
  dtypes.safetensors  one tensor per dtype jitgrad reads (F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL),
                      with __metadata__
  safetensors.json    the MLP's input and PyTorch's outputs, and the dtypes file's values

  make_safetensors_golden.py --check FILE   reads FILE (e.g. one jitgrad wrote) by the specification,
                      checks the layout rules, loads it into the same MLP and prints its outputs.
"""
import json, math, os, struct, sys
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
NAMES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}
DTYPES = {v: k for k, v in NAMES.items()}


def write(path, tensors, metadata=None):
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        raw = t.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    js = json.dumps(header).encode()
    js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)) + js + b"".join(chunks))


def read(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    assert data[8:9] == b"{", "header must start with {"
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    buf = data[8 + n :]
    meta = header.pop("__metadata__", {})
    assert all(isinstance(v, str) for v in meta.values()), "metadata values must be strings"
    spans = sorted((info["data_offsets"], name) for name, info in header.items())
    pos = 0
    for (b, e), name in spans:
        assert b == pos, f"hole or overlap before {name}"
        pos = e
    assert pos == len(buf), "bytes after the last tensor"
    out = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        dt = DTYPES[info["dtype"]]
        t = torch.frombuffer(bytearray(buf[b:e]), dtype=torch.uint8).view(dt) if e > b else torch.empty(0, dtype=dt)
        out[name] = t.reshape(info["shape"])
    return out, meta


def mlp():
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))


if len(sys.argv) == 3 and sys.argv[1] == "--check":
    tensors, meta = read(sys.argv[2])
    for k, t in tensors.items():
        print(k, t.dtype, list(t.shape), t.reshape(-1)[:3].tolist())
    print("metadata", meta)
    golden = json.load(open(os.path.join(HERE, "safetensors.json")))
    model = mlp().double()
    # a flat state dict, or jitgrad's nested checkpoint {model: ..., ...} (keys "model.0.weight")
    weights = {k.removeprefix("model."): v for k, v in tensors.items()}
    model.load_state_dict({k: v for k, v in weights.items() if k[0].isdigit()})
    x = torch.tensor(golden["x"], dtype=torch.float64)
    print("outputs", model(x).tolist())
    sys.exit(0)

torch.manual_seed(0)
model = mlp()
x = torch.randn(5, 4)
y = torch.randn(5, 3)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for _ in range(3):
    opt.zero_grad()
    torch.nn.functional.mse_loss(model(x), y).backward()
    opt.step()
write(os.path.join(HERE, "mlp.safetensors"), model.state_dict())

dtypes = {
    "f64": torch.tensor([[1.5, -2.25, 1e300], [0.1, -0.0, 3.0]], dtype=torch.float64),
    "f32": torch.tensor(0.1, dtype=torch.float32),
    "f16": torch.tensor([1.0, -2.5, 65504.0, 6e-8, float("inf"), 0.1], dtype=torch.float16),
    "bf16": torch.tensor([1.0, -3.140625, 1e38, 0.1], dtype=torch.bfloat16),
    "i64": torch.tensor([0, -1, 2**31 - 1, -(2**31)], dtype=torch.int64),
    "i32": torch.tensor([7, -7], dtype=torch.int32),
    "i16": torch.tensor([-32768, 32767], dtype=torch.int16),
    "i8": torch.tensor([-128, 5], dtype=torch.int8),
    "u8": torch.tensor([[0, 255]], dtype=torch.uint8),
    "mask": torch.tensor([True, False, True]),
    "empty": torch.zeros(0, 3),
}
write(os.path.join(HERE, "dtypes.safetensors"), dtypes, {"format": "pt", "note": "jitgrad golden"})

with torch.no_grad():
    out = {
        "x": x.tolist(),
        "out": model(x).tolist(),
        "state": {k: v.tolist() for k, v in model.state_dict().items()},
        "dtypes": {k: {"shape": list(t.shape), "values": [v if math.isfinite(v) else str(v).replace("inf", "Infinity") for v in t.double().reshape(-1).tolist()]} for k, t in dtypes.items()},
    }
with open(os.path.join(HERE, "safetensors.json"), "w") as f:
    json.dump(out, f)
print("wrote mlp.safetensors, dtypes.safetensors, safetensors.json")
