// copyFloats (backend/js/copy.ts): the same result as TypedArray.prototype.set for every mix of
// shared and ordinary ends at every alignment, whether it goes through the scratch or not.
import { afterEach, describe, expect, it } from "vitest";
import { copyFloats } from "../../backend/js/copy";
import { helperSource, rebuildHelpers } from "../../backend/threads/helpers";
import { compile, getNumThreads, randn, setNumThreads, type Tensor } from "../../index";

const initial = getNumThreads();
afterEach(() => setNumThreads(initial));

const floats = (n: number, shared: boolean) => {
  const a = new Float32Array(shared ? new SharedArrayBuffer(4 * n) : new ArrayBuffer(4 * n));
  for (let i = 0; i < n; i++) a[i] = i * 0.5 - 7;
  return a;
};

describe("copyFloats", () => {
  it("copies as set() does, shared or not, at any offsets and lengths", () => {
    const scratch = new Float32Array(2000);
    for (const [srcShared, dstShared] of [
      [true, false],
      [false, true],
      [true, true],
      [false, false],
    ])
      for (const from of [0, 1, 2, 3])
        for (const at of [0, 1, 2, 3])
          for (const n of [0, 5, 63, 64, 65, 1000, 1999, 2000]) {
            const src = floats(2100, srcShared).subarray(from, from + n);
            const got = floats(2100, dstShared).fill(-1),
              want = new Float32Array(2100).fill(-1);
            copyFloats(got, at, src, scratch);
            want.set(src, at);
            expect(Array.from(got)).toEqual(Array.from(want));
          }
  });

  it("is self-contained: the copy a worker rebuilds from its text behaves the same", () => {
    const h = helperSource(),
      rebuilt = rebuildHelpers(h)[h.names.indexOf("copyFloats")] as typeof copyFloats;
    const src = floats(300, true).subarray(1, 201),
      got = new Float32Array(300);
    rebuilt(got, 4, src, new Float32Array(256));
    const want = new Float32Array(300);
    want.set(src, 4);
    expect(Array.from(got)).toEqual(Array.from(want));
  });

  it("a Wasm chain over shared views at odd offsets gives eager's values, on 1 and 2 threads", () => {
    setNumThreads(2);
    const x = randn([200_001]),
      y = randn([200_003]);
    expect(x.storage!.buffer).toBeInstanceOf(SharedArrayBuffer);
    const f = (a: Tensor, b: Tensor) =>
      a
        .narrow(0, 1, 200_000)
        .mul(2)
        .add(b.narrow(0, 3, 200_000));
    const cf = compile(f);
    expect(cf.explain(x, y).code).toContain("a Wasm SIMD kernel");
    const want = f(x, y).values();
    for (const t of [1, 2]) {
      setNumThreads(t);
      expect(cf(x, y).values()).toEqual(want);
    }
  });
});
