// cummax, cummin and logcumsumexp at the values golden fixtures cannot hold (NaN, infinities),
// eagerly and compiled; their kernel counts. Values from PyTorch 1.13.
import { describe, expect, it } from "vitest";
import { compile, type Tensor, tensor } from "../../index";

const { NaN: nan } = Number;
const inf = Infinity;

describe("cummax, cummin, logcumsumexp (issue 11)", () => {
  const x = tensor([
    [1, nan, 3, nan, -1],
    [2, 2, nan, 0, 5],
  ]);
  const extremes = (t: Tensor) => {
    const a = t.cummax(1),
      b = t.cummin(1);
    return [a.values, a.indices, b.values, b.indices];
  };
  it("NaN: the value is NaN from a line's first NaN, the index that of the latest NaN", () => {
    for (const f of [extremes, compile(extremes)]) {
      const [mv, mi, nv, ni] = f(x).map((t) => t.tolist());
      const values = [
        [1, nan, nan, nan, nan],
        [2, 2, nan, nan, nan],
      ];
      expect(mv).toEqual(values);
      expect(nv).toEqual(values);
      expect(mi).toEqual([
        [0, 1, 1, 3, 3],
        [0, 1, 2, 2, 2],
      ]);
      expect(ni).toEqual(mi);
    }
  });
  it("ties take the later index; the gradient goes to the index", () => {
    const z = tensor([[1, 3, 3, 0.5]], { requiresGrad: true });
    const { values, indices } = z.cummax(1);
    expect(indices.tolist()).toEqual([[0, 1, 2, 2]]);
    values.backward(tensor([[1, 2, 3, 4]]));
    expect(z.grad!.tolist()).toEqual([[1, 2, 7, 0]]);
    const f = compile((t: Tensor) =>
      t
        .cummax(1)
        .values.mul(tensor([[1, 2, 3, 4]]))
        .sum(),
    );
    const w = z.detach().requiresGrad_();
    f(w).backward();
    expect(w.grad!.tolist()).toEqual([[1, 2, 7, 0]]);
  });
  it("logcumsumexp of infinities (PyTorch's log_add_exp: equal infinities give themselves)", () => {
    const y = tensor([
      [-inf, 1, -inf, 2],
      [-inf, -inf, -inf, -inf],
      [inf, 1, inf, 0],
    ]);
    const want = [
      [-inf, 1, 1, 2.3132617473602295],
      [-inf, -inf, -inf, -inf],
      [inf, inf, inf, inf],
    ];
    expect(y.logcumsumexp(1).tolist()).toEqual(want);
    expect(compile((t: Tensor) => t.logcumsumexp(1))(y).tolist()).toEqual(want);
  });
  it("each is one scan kernel compiled; cummax's indices one more scan", () => {
    const r = tensor([[0.5, -1, 2]]);
    expect(compile((t: Tensor) => t.logcumsumexp(1).exp()).explain(r).forwardKernels).toBe(1);
    expect(compile((t: Tensor) => t.cummin(1).values).explain(r).forwardKernels).toBe(1);
    expect(compile((t: Tensor) => t.cummax(1).indices).explain(r).forwardKernels).toBe(2);
  });
});
