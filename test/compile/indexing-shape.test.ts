// Issue 11, indexing and shape ops: what the golden fixtures cannot hold (list outputs, null
// entries in index lists, eager-only ops), the CompileErrors of data-dependent ops, and how many
// kernels the main ops become (they fuse into their consumers). Values from PyTorch 1.13.
import { describe, expect, it } from "vitest";
import {
  arange,
  CompileError,
  compile,
  einsum,
  F,
  meshgrid,
  randn,
  type Tensor,
  tensor,
} from "../../index";

type Fn = (...xs: Tensor[]) => Tensor;
const ix = (v: number[] | number[][]) => tensor(v, { dtype: "int32" });

// forward and backward kernel counts of fn, whose compiled result must agree with eager
function kernels(fn: Fn, ...args: Tensor[]) {
  const f = compile(fn),
    e = f.explain(...args);
  const got = f(...args),
    want = fn(...args);
  expect(got.shape).toEqual(want.shape);
  got.values().forEach((v, i) => expect(v).toBeCloseTo(want.values()[i], 5));
  const g = compile((...xs: Tensor[]) => fn(...xs).sum()).explain(
    ...args.map((x) => x.detach().requiresGrad_()),
  );
  return [e.forwardKernels, g.backwardKernels];
}

describe("indexing and shape ops", () => {
  it("index with null entries: kept dims, indices' dims in place or first", () => {
    const x = arange(24).float().reshape(2, 3, 4);
    const a = x.index([
      null,
      ix([
        [2, 0],
        [1, 1],
      ]),
    ]);
    expect(a.shape).toEqual([2, 2, 2, 4]);
    expect(a.values()).toEqual([
      8, 9, 10, 11, 0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 16, 17, 18,
      19, 16, 17, 18, 19,
    ]);
    const y = arange(24).float().reshape(3, 2, 4).requiresGrad_();
    const b = y.index([ix([2, 0]), null, ix([1, 3])]);
    expect(b.shape).toEqual([2, 2]);
    expect(b.values()).toEqual([17, 21, 3, 7]);
    expect(b.gradFn?.name).toBe("IndexBackward0");
    b.sum().backward();
    expect(y.grad!.sum().item()).toBe(4);
    expect(y.grad!.values()[17]).toBe(1);
    const c = compile((t: Tensor) => t.index([ix([2, 0]), null, ix([1, 3])]));
    expect(c(y.detach()).values()).toEqual([17, 21, 3, 7]);
  });

  it("index errors are PyTorch's, also inside compiled kernels", () => {
    const x = randn([3, 4]);
    const f = compile((t: Tensor, i: Tensor, j: Tensor) => t.index([i, j]));
    expect(() => f(x, ix([0]), ix([4]))).toThrow(
      "index 4 is out of bounds for dimension 1 with size 4",
    );
    expect(() => f(x, ix([-5]), ix([0]))).toThrow(
      "index -5 is out of bounds for dimension 0 with size 3",
    );
    const t = compile((a: Tensor, i: Tensor) => a.take(i));
    expect(() => t(x, ix([12]))).toThrow(
      "out of range: tried to access index 12 on a tensor of 12 elements.",
    );
    expect(() => x.index([ix([0]).bool()])).toThrow("bool mask indices are not supported");
    expect(() => x.maskedFill(ix([1, 0, 1, 0]), 1)).toThrow(
      "masked_fill_ only supports boolean masks, but got mask with dtype int32",
    );
  });

  it("nonzero and maskedSelect: eager only", () => {
    const x = tensor([
      [0, 1.5, 0],
      [2, 0, 3],
    ]);
    expect(x.nonzero().tolist()).toEqual([
      [0, 1],
      [1, 0],
      [1, 2],
    ]);
    const y = arange(6).float().reshape(2, 3).requiresGrad_();
    const s = y.maskedSelect(tensor([true, false, true]));
    expect(s.values()).toEqual([0, 2, 3, 5]);
    expect(s.gradFn?.name).toBe("MaskedSelectBackward0");
    s.sum().backward();
    expect(y.grad!.values()).toEqual([1, 0, 1, 1, 0, 1]);
    expect(() => compile((t: Tensor) => t.nonzero())(x)).toThrow(CompileError);
    expect(() => compile((t: Tensor) => t.maskedSelect(t.gt(0)))(x)).toThrow(CompileError);
    expect(() => compile((t: Tensor) => F.oneHot(t))(ix([1]))).toThrow(CompileError);
  });

  it("oneHot infers the class count eagerly; embedding refuses options it lacks", () => {
    expect(
      F.oneHot(
        ix([
          [1, 0],
          [3, 1],
        ]),
      ).tolist(),
    ).toEqual([
      [
        [0, 1, 0, 0],
        [1, 0, 0, 0],
      ],
      [
        [0, 0, 0, 1],
        [0, 1, 0, 0],
      ],
    ]);
    const w = randn([4, 2]);
    expect(() => F.embedding(ix([0]), w, { maxNorm: 1 })).toThrow("maxNorm is not supported");
    expect(() => F.embedding(ix([0]), w, { paddingIdx: 4 })).toThrow(
      "Padding_idx must be within num_embeddings",
    );
    expect(() => F.embedding(ix([0]), w, { bogus: 1 } as object)).toThrow('unknown option "bogus"');
  });

  it("split, chunk, unbind and meshgrid return lists of pieces", () => {
    const x = arange(7).float().requiresGrad_();
    const pieces = x.chunk(3);
    expect(pieces.map((p) => p.values())).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(pieces[0].gradFn?.name).toBe("SplitBackward0");
    expect(x.split([2, 5])[1].gradFn?.name).toBe("SplitWithSizesBackward0");
    pieces[2].mul(3).add(pieces[0].sum()).backward();
    expect(x.grad!.values()).toEqual([1, 1, 1, 0, 0, 0, 3]);
    const u = randn([3, 5]).unbind(1);
    expect(u.length).toBe(5);
    expect(u[4].shape).toEqual([3]);
    const [a, b] = meshgrid([tensor([1, 2, 3]), tensor([4, 5])], { indexing: "xy" });
    expect(a.shape).toEqual([2, 3]);
    expect(a.values()).toEqual([1, 2, 3, 1, 2, 3]);
    expect(b.values()).toEqual([4, 4, 4, 5, 5, 5]);
    expect(meshgrid([tensor([1, 2, 3]), tensor([4, 5])])[0].shape).toEqual([3, 2]);
    expect(() => meshgrid([tensor([1])], { indexing: "yx" as "xy" })).toThrow(
      "indexing must be one of 'ij', 'xy'",
    );
  });

  it("kernel counts: gathers and flips fuse into their consumers", () => {
    const x = randn([3, 4]);
    // a gather from the source's buffer, its consumers in the same kernel; backward: zeros and
    // a scatterAdd kernel
    expect(
      kernels(
        (t) =>
          t
            .indexSelect(0, ix([2, 0, 1]))
            .exp()
            .mul(2),
        x,
      ),
    ).toEqual([1, 2]);
    // index wraps negative entries and checks them (a fused probe); its backward's scatterAdd
    // reads that index from a buffer of its own
    expect(kernels((t) => t.index([ix([2, 0])]).exp(), x)).toEqual([1, 4]);
    expect(kernels((w) => F.embedding(ix([0, 2, 1]), w).relu(), randn([4, 3]))).toEqual([1, 3]);
    // movement and masks: one kernel each way
    expect(kernels((t) => t.flip(0).exp(), x)).toEqual([1, 1]);
    expect(kernels((t) => t.roll(1, 1).exp(), x)).toEqual([1, 1]);
    expect(kernels((t) => t.triu().exp(), x)).toEqual([1, 1]);
    expect(kernels((t) => t.maskedFill(t.gt(0), 0).exp(), x)).toEqual([1, 1]);
    // F.pad's modes are slices, flips and cat (pads): they fuse too; replicate's backward sums
    // the gradient of each border into its edge (reductions: kernels of their own)
    const img = randn([1, 3, 4]);
    const pad = (mode: "constant" | "reflect" | "replicate" | "circular") =>
      kernels((t) => F.pad(t, [1, 2, 2, 1], { mode }).exp(), img);
    expect(pad("constant")).toEqual([1, 1]);
    expect(pad("reflect")).toEqual([1, 1]);
    expect(pad("circular")).toEqual([1, 1]);
    expect(pad("replicate")).toEqual([1, 3]);
    // einsum contracting two operands: one batched matmul (transposes are read strided)
    expect(
      kernels((a, b) => einsum("bij,bkj->bik", a, b), randn([2, 3, 4]), randn([2, 5, 4])),
    ).toEqual([1, 2]);
    expect(() => einsum("...ij->ij", x)).toThrow("ellipsis");
    // scatter: its own kernel (the src expression fused into it is read from a buffer)
    expect(kernels((t, s) => t.scatter(1, ix([[2], [0], [1]]), s.exp()), x, randn([3, 1]))).toEqual(
      [2, 3],
    );
    // nearest: one gather per spatial dim (the second reads the first's buffer); backward: a
    // zeros and a scatterAdd per dim, and the first gradient's buffer
    expect(kernels((t) => F.interpolate(t, { size: [5, 6] }).exp(), randn([1, 2, 3, 4]))).toEqual([
      2, 5,
    ]);
    // a gather from a reshaped input: the reshape is copied into a buffer first (the compiler
    // reads gather sources from buffers, not views)
    expect(kernels((t) => t.take(ix([0, 5, -1])).exp(), x)).toEqual([2, 4]);
    expect(kernels((t) => t.diagonal().exp(), x)).toEqual([2, 4]);
  });
});
