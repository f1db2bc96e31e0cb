// Max pooling with indices at NaN (golden fixtures hold finite values only), eagerly and compiled;
// unpooling's index check. Values from PyTorch 1.13.
import { describe, expect, it } from "vitest";
import { compile, F, type Tensor, tensor } from "../../index";

describe("maxPool2d returnIndices, maxUnpool2d (issue 11)", () => {
  const x = () =>
    tensor(
      [
        [
          [
            [Number.NaN, 1, 3],
            [Number.NaN, 2, 3],
          ],
        ],
      ],
      { requiresGrad: true },
    );
  const pool = (t: Tensor) => F.maxPool2d(t, 2, { stride: 1, returnIndices: true });
  it("a window with NaN: the last NaN's index, and the gradient goes there (as PyTorch)", () => {
    for (const f of [pool, compile(pool)]) {
      const t = x();
      const [out, indices] = f(t);
      expect(indices.tolist()).toEqual([[[[3, 2]]]]);
      expect(out.tolist()).toEqual([[[[Number.NaN, 3]]]]);
      out.sum().backward();
      expect(t.grad!.tolist()).toEqual([
        [
          [
            [0, 0, 1],
            [1, 0, 0],
          ],
        ],
      ]);
    }
  });
  it("unpools compiled as eagerly; an index outside the output is an error in both", () => {
    const y = tensor([[[[1.5, -2]]]]);
    const unpool = (v: Tensor, at: Tensor) => F.maxUnpool2d(v, at, 2, { outputSize: [2, 3] });
    const at = tensor([[[[4, 2]]]], { dtype: "int32" });
    const want = [
      [
        [
          [0, 0, -2],
          [0, 1.5, 0],
        ],
      ],
    ];
    expect(unpool(y, at).tolist()).toEqual(want);
    expect(compile(unpool)(y, at).tolist()).toEqual(want);
    const bad = tensor([[[[6, 2]]]], { dtype: "int32" });
    expect(() => unpool(y, bad)).toThrow(
      "Found an invalid max index: 6 (output volumes are of size 2x3",
    );
    expect(() => compile(unpool)(y, bad)).toThrow("index 6 is out of bounds");
  });
});
