// serialize/deserialize: the transfer form of a tensor for postMessage (workers).
import { describe, expect, it } from "vitest";
import { arange, deserialize, ones, serialize, tensor } from "../../index";

describe("serialize", () => {
  it("hands over a contiguous tensor's own storage, and copies otherwise", () => {
    const t = arange(6).float().reshape(2, 3);
    const s = serialize(t);
    expect(s).toEqual({
      dtype: "float32",
      shape: [2, 3],
      data: new Float32Array([0, 1, 2, 3, 4, 5]),
    });
    expect(s.data).toBe(t.storage); // zero-copy
    expect(serialize(t, { copy: true }).data).not.toBe(t.storage);
    const tt = serialize(t.T); // a transposed view: a contiguous copy in its own order
    expect(tt).toEqual({
      dtype: "float32",
      shape: [3, 2],
      data: new Float32Array([0, 3, 1, 4, 2, 5]),
    });
    expect(tt.data.buffer).not.toBe(t.storage!.buffer);
    const row = serialize(t.select(0, 1)); // contiguous but a part of the storage: only its elements
    expect(row.data).toEqual(new Float32Array([3, 4, 5]));
  });

  it("round-trips every dtype through structuredClone, without a copy on the way in", () => {
    for (const t of [
      tensor([1.5, -2], { dtype: "float64" }),
      tensor([1, 2, 3], { dtype: "int32" }),
      tensor([true, false]),
      ones([0, 3]),
      tensor(7),
    ]) {
      const s = structuredClone(serialize(t));
      const back = deserialize(s);
      expect(back.dtype).toBe(t.dtype);
      expect(back.shape).toEqual(t.shape);
      expect(back.tolist()).toEqual(t.tolist());
      expect(back.storage).toBe(s.data);
    }
  });

  it("moves the buffer with a transfer list", async () => {
    const t = arange(4).float();
    const s = serialize(t);
    const { port1, port2 } = new MessageChannel();
    const got = new Promise<unknown>((resolve) => port2.once("message", resolve));
    port1.postMessage(s, [s.data.buffer]);
    const back = deserialize((await got) as typeof s);
    port1.close();
    port2.close();
    expect(back.tolist()).toEqual([0, 1, 2, 3]);
    expect(t.storage!.length).toBe(0); // moved out of the sender
  });

  it("deserialize({ requiresGrad }) makes a leaf that requires grad", () => {
    const w = deserialize(serialize(tensor([1, 2])), { requiresGrad: true });
    w.mul(w).sum().backward();
    expect(w.grad!.tolist()).toEqual([2, 4]);
  });

  it("refuses what is not the transfer form", () => {
    const data = new Float32Array(2);
    const bad = (obj: unknown) => () => deserialize(obj as never);
    expect(bad(null)).toThrow("deserialize: expected an object { dtype, shape, data }");
    expect(bad({ dtype: "float16", shape: [2], data })).toThrow(
      'deserialize: dtype must be one of float32, float64, int32, bool; got "float16"',
    );
    expect(bad({ dtype: "float32", shape: [2.5], data })).toThrow(
      "deserialize: shape must be an array of non-negative integers; got [2.5]",
    );
    expect(bad({ dtype: "float32", shape: [-2], data })).toThrow("non-negative integers");
    expect(bad({ dtype: "float32", shape: "2", data })).toThrow("got string");
    expect(bad({ dtype: "float64", shape: [2], data })).toThrow(
      "deserialize: data of a float64 tensor must be a Float64Array; got Float32Array",
    );
    expect(bad({ dtype: "float32", shape: [2], data: [1, 2] })).toThrow("got Array");
    expect(bad({ dtype: "float32", shape: [3], data })).toThrow(
      "deserialize: data has 2 elements, but shape [3] needs 3",
    );
    expect(() => serialize({} as never)).toThrow("serialize: expected a Tensor");
  });
});
