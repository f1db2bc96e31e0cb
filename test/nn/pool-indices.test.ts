// Max pooling with indices at NaN (golden fixtures hold finite values only), eagerly and compiled;
// unpooling's index check. Values from PyTorch 1.13.
import { describe, expect, it } from "vitest";
import { compile, F, manualSeed, nn, randn, type Tensor, tensor } from "../../index";

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
  it("the modules: MaxPool2d with returnIndices returns [output, indices], MaxUnpool2d inverts it", () => {
    manualSeed(0);
    const pool = new nn.MaxPool2d(2, { returnIndices: true }),
      unpool = new nn.MaxUnpool2d(2);
    const step = (t: Tensor) => {
      const [y, at] = pool.forward(t);
      return unpool.forward(y, at, [5, 5]);
    };
    const t = randn([2, 3, 5, 5]);
    const [y, at] = pool.forward(t);
    expect(at.dtype).toBe("int32");
    expect(y.tolist()).toEqual(F.maxPool2d(t, 2).tolist());
    const back = step(t);
    expect(back.shape).toEqual([2, 3, 5, 5]);
    // every pooled maximum is back where it was, zeros elsewhere
    expect(back.amax([2, 3]).tolist()).toEqual(y.amax([2, 3]).tolist());
    expect(back.ne(0).sum().item()).toBe(2 * 3 * 4);
    expect(compile(step)(t).tolist()).toEqual(back.tolist());
    // the output size is checked as F checks it
    expect(() => unpool.forward(y, at, [9, 9])).toThrow("invalid output_size");
  });
});
