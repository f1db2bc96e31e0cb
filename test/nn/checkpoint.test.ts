// Checkpoints in the safetensors format: files PyTorch wrote (test/golden/make_safetensors_golden.py
// follows the format's specification) load into the same model and reproduce PyTorch's outputs;
// jitgrad's files round-trip and keep the format's layout rules; loadStateDict takes Tensors.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  arange,
  load,
  loadSafetensors,
  nn,
  randn,
  safetensorsMetadata,
  save,
  saveSafetensors,
  type Tensor,
  tensor,
} from "jitgrad";
import { describe, expect, it } from "vitest";
import golden from "../golden/safetensors.json";

const GOLDEN = join(__dirname, "../golden");
const mlp = () => new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 3));
const f32 = (xs: number[]) => Array.from(Float32Array.from(xs));

/** The JSON header of safetensors bytes and where the data starts. */
function header(bytes: Uint8Array): { json: Record<string, unknown>; n: number } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { json: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))), n };
}

describe("a safetensors file written from PyTorch", () => {
  it("loads into the same model and gives PyTorch's outputs", () => {
    const model = mlp();
    const state = load(join(GOLDEN, "mlp.safetensors"));
    expect(Object.keys(state)).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]);
    expect(model.loadStateDict(state)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    for (const [k, v] of Object.entries(golden.state))
      expect(model.stateDict()[k].data).toEqual(f32((v as number[][]).flat()));
    const out = model.forward(tensor(golden.x)).values() as number[];
    const want = golden.out.flat();
    out.forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
  });
  it("decodes every dtype jitgrad reads, and the metadata", () => {
    const bytes = readFileSync(join(GOLDEN, "dtypes.safetensors"));
    const t = loadSafetensors(bytes);
    const dtypes: Record<string, string> = {
      f64: "float64",
      f32: "float32",
      f16: "float32",
      bf16: "float32",
      i64: "int32",
      i32: "int32",
      i16: "int32",
      i8: "int32",
      u8: "int32",
      mask: "bool",
      empty: "float32",
    };
    for (const [k, want] of Object.entries(golden.dtypes)) {
      expect(t[k].dtype).toBe(dtypes[k]);
      expect(t[k].shape).toEqual(want.shape);
      const values = t[k].values().map(Number);
      const expected = want.values.map(Number); // "Infinity" is stored as a string in JSON
      expect(values).toEqual(t[k].dtype === "float32" ? expected.map(Math.fround) : expected);
    }
    expect({ ...safetensorsMetadata(bytes) }).toEqual({ format: "pt", note: "jitgrad golden" });
  });
});

describe("saveSafetensors / loadSafetensors", () => {
  it("round-trips every dtype, views included, in the format's layout", () => {
    const x = randn([3, 5]);
    const tensors = {
      w: x.t(), // not contiguous
      d: tensor([1.5, -0, 1e300], { dtype: "float64" }),
      i: tensor([-(2 ** 31), -1, 0, 2 ** 31 - 1], { dtype: "int32" }),
      b: tensor([true, false]),
      s: tensor(3),
      e: randn([0, 2]),
    };
    const bytes = saveSafetensors(tensors, { metadata: { epoch: "3" } });
    const { json, n } = header(bytes);
    expect(n % 8).toBe(0);
    expect(bytes[8]).toBe("{".charCodeAt(0));
    expect(json.__metadata__).toEqual({ epoch: "3" });
    expect(json.i).toMatchObject({ dtype: "I64", shape: [4] });
    expect(json.w).toMatchObject({ dtype: "F32", shape: [5, 3] });
    expect(json.b).toMatchObject({ dtype: "BOOL" });
    const spans = Object.entries(json)
      .filter(([k]) => k !== "__metadata__")
      .map(([, v]) => (v as { data_offsets: number[] }).data_offsets)
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let at = 0;
    for (const [b, e] of spans) {
      expect(b).toBe(at);
      at = e;
    }
    expect(8 + n + at).toBe(bytes.length);
    const back = loadSafetensors(bytes);
    for (const [k, t] of Object.entries(tensors)) {
      expect(back[k].dtype).toBe(t.dtype);
      expect(back[k].shape).toEqual(t.shape);
      expect(back[k].values()).toEqual(t.values());
    }
    expect(Object.is(back.d.values()[1], -0)).toBe(true);
    // an ArrayBuffer and a Uint8Array over part of a larger buffer read the same
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(loadSafetensors(shifted.subarray(3)).w.values()).toEqual(x.t().values());
    expect(loadSafetensors(bytes.slice().buffer).i.values()).toEqual(tensors.i.values());
  });
  it("refuses broken files with what is wrong", () => {
    const good = saveSafetensors({ a: arange(4), b: tensor([1, 2]) });
    expect(() => loadSafetensors(good.subarray(0, 5))).toThrow("fewer than the 8");
    expect(() => loadSafetensors(good.subarray(0, good.length - 1))).toThrow("do not hold");
    const extra = new Uint8Array(good.length + 4);
    extra.set(good);
    expect(() => loadSafetensors(extra)).toThrow("4 bytes after the last tensor");
    const make = (h: object, data = new Uint8Array(0)) => {
      const js = new TextEncoder().encode(JSON.stringify(h));
      const out = new Uint8Array(8 + js.length + data.length);
      new DataView(out.buffer).setBigUint64(0, BigInt(js.length), true);
      out.set(js, 8);
      out.set(data, 8 + js.length);
      return out;
    };
    expect(() =>
      loadSafetensors(
        make({ a: { dtype: "F8_E4M3", shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
      ),
    ).toThrow('dtype "F8_E4M3", which jitgrad cannot read');
    expect(() =>
      loadSafetensors(
        make(
          {
            a: { dtype: "U8", shape: [2], data_offsets: [0, 2] },
            b: { dtype: "U8", shape: [2], data_offsets: [1, 3] },
          },
          new Uint8Array(3),
        ),
      ),
    ).toThrow("overlaps another or leaves a hole");
    const big = new Uint8Array(8);
    new DataView(big.buffer).setBigInt64(0, 2n ** 40n, true);
    expect(() =>
      loadSafetensors(make({ a: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, big)),
    ).toThrow("holds 1099511627776 at element 0, which does not fit jitgrad's int32");
    expect(() =>
      loadSafetensors(
        make({ a: { dtype: "BOOL", shape: [1], data_offsets: [0, 1] } }, new Uint8Array([2])),
      ),
    ).toThrow("holds 2 at element 0");
    expect(() => loadSafetensors(make({ __metadata__: { a: 1 } }))).toThrow("is not a string");
    expect(() => loadSafetensors([1, 2] as unknown as Uint8Array)).toThrow(
      "expected a Uint8Array or an ArrayBuffer",
    );
    expect(() => saveSafetensors({ a: 3 } as unknown as Record<string, Tensor>)).toThrow(
      '"a" must be a Tensor or {shape, dtype, data}',
    );
    expect(() => saveSafetensors({ __metadata__: arange(2) })).toThrow("reserved");
  });
});

describe("save / load: nested checkpoints", () => {
  it("a state dict alone is a plain safetensors file", () => {
    const model = mlp();
    const bytes = save(model.stateDict());
    const { json } = header(bytes);
    expect(json.__metadata__).toBeUndefined();
    expect(Object.keys(json)).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]);
    const copy = mlp();
    copy.loadStateDict(load(bytes));
    expect(copy.stateDict()).toEqual(model.stateDict());
  });
  it("model, optimizer state and epoch: tensors by dotted path, the rest as JSON metadata", () => {
    const model = mlp();
    const momentum = randn([8, 4]);
    const checkpoint = {
      model: model.stateDict(),
      optimizer: {
        state: { 0: { momentumBuffer: momentum, step: 7 } },
        paramGroups: [{ lr: 0.1, betas: [0.9, 0.999], nesterov: false, params: [0, 1, 2, 3] }],
      },
      epoch: 3,
      note: "resumed",
      best: null,
    };
    const bytes = save(checkpoint);
    expect(Object.keys(loadSafetensors(bytes)).sort()).toEqual(
      [
        "model.0.weight",
        "model.0.bias",
        "model.2.weight",
        "model.2.bias",
        "optimizer.state.0.momentumBuffer",
      ].sort(),
    );
    expect(Object.keys(safetensorsMetadata(bytes))).toEqual(["jitgrad.checkpoint"]);
    const back = load<typeof checkpoint & { model: Record<string, Tensor> }>(bytes);
    expect(back.epoch).toBe(3);
    expect(back.note).toBe("resumed");
    expect(back.best).toBe(null);
    expect(back.optimizer.paramGroups).toEqual(checkpoint.optimizer.paramGroups);
    expect(back.optimizer.state[0].step).toBe(7);
    expect(back.optimizer.state[0].momentumBuffer.values()).toEqual(momentum.values());
    const copy = mlp();
    copy.loadStateDict(back.model);
    expect(copy.stateDict()).toEqual(model.stateDict());
  });
  it("writes and reads files in Node", () => {
    const dir = mkdtempSync(join(tmpdir(), "jitgrad-ckpt-"));
    try {
      const path = join(dir, "model.safetensors");
      const model = mlp();
      expect(save({ model: model.stateDict(), epoch: 1 }, path)).toBeUndefined();
      const back = load(path);
      expect(back.epoch).toBe(1);
      const copy = mlp();
      copy.loadStateDict(back.model);
      expect(copy.stateDict()).toEqual(model.stateDict());
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
  it("without Node's fs, a path is an error that points to the bytes", () => {
    const proc = process as { getBuiltinModule?: unknown };
    const original = proc.getBuiltinModule;
    proc.getBuiltinModule = undefined;
    try {
      expect(() => save({ a: arange(2) }, "x.safetensors")).toThrow(
        "save(path) reads and writes files with Node.js's fs",
      );
      expect(() => load("x.safetensors")).toThrow("use the bytes: save(obj) returns them");
    } finally {
      proc.getBuiltinModule = original;
    }
  });
  it("refuses what it cannot store", () => {
    expect(() => save({ epoch: Number.NaN, t: arange(2) })).toThrow("save(): epoch is NaN");
    expect(() => save({ f: () => 1 })).toThrow("save(): f is a function");
    expect(() => save({ m: new Map() })).toThrow("save(): m is a Map");
    expect(() => save({ a: { $tensor: "x" }, b: 1 })).toThrow('the key "$tensor" is reserved');
    expect(() => save({ "a.b": arange(2), a: { b: arange(2) }, c: 1 })).toThrow(
      'two tensors would both be stored as "a.b"',
    );
    expect(() => save({ a: arange(2) }, 5 as unknown as string)).toThrow("'path' must be a string");
  });
});

describe("loadStateDict with Tensors", () => {
  it("copies Tensors (converting the dtype), checks shapes, changes nothing when it refuses", () => {
    const model = mlp();
    const before = model.stateDict();
    const other = mlp();
    const tensors = Object.fromEntries(
      Object.entries(load(save(other.stateDict()))).map(([k, t]) => [k, (t as Tensor).double()]),
    );
    const bad = { ...tensors, "2.weight": randn([8, 3]), extra: randn([1]) };
    expect(() => model.loadStateDict(bad)).toThrow(
      'Error(s) in loading state_dict for Sequential:\n\tUnexpected key(s) in state_dict: "extra". \n\t' +
        "size mismatch for 2.weight: copying a param with shape torch.Size([8, 3]) from checkpoint, the shape in current model is torch.Size([3, 8]).",
    );
    expect(model.stateDict()).toEqual(before);
    expect(() => model.loadStateDict({ ...tensors, "0.bias": 3 as unknown as Tensor })).toThrow(
      'While copying the parameter named "0.bias", expected torch.Tensor or Tensor-like object from checkpoint but received int',
    );
    expect(model.stateDict()).toEqual(before);
    const { "0.bias": _, ...partial } = tensors;
    expect(model.loadStateDict({ ...partial, extra: randn([1]) }, { strict: false })).toEqual({
      missingKeys: ["0.bias"],
      unexpectedKeys: ["extra"],
    });
    expect(model.stateDict()["0.bias"]).toEqual(before["0.bias"]);
    expect(model.stateDict()["2.weight"]).toEqual(other.stateDict()["2.weight"]);
    expect(model.stateDict()["2.weight"].dtype).toBe("float32");
  });
});
