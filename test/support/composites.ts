// Composite programs (several ops, the shapes of real models) for gradcheck: test/eager/gradcheck.test.ts
// checks eager backward() on them, test/autodiff/gradcheck.test.ts the compiled backward. `inputs`
// draws from the global generator (the tests call manualSeed first).
import { cat, F, randn, stack, type Tensor, tensor, where } from "../../index";
import { f64, pos } from "./gradcheck";

export interface Composite {
  name: string;
  fn: (...xs: Tensor[]) => Tensor;
  inputs: () => Tensor[];
}

const gelu = (x: Tensor) =>
  x.mul(0.5).mul(
    x
      .pow(3)
      .mul(0.044715)
      .add(x)
      .mul(Math.sqrt(2 / Math.PI))
      .tanh()
      .add(1),
  );
const data = (shape: number[]) => randn(shape, { dtype: "float64" }); // no grad

const c = (name: string, fn: (...xs: Tensor[]) => Tensor, inputs: () => Tensor[]): Composite => ({
  name,
  fn,
  inputs,
});

const index = (rows: number[][]) => tensor(rows, { dtype: "int32" });

export const composites: Composite[] = [
  // convolution: a small CNN (conv, bias and relu fused, strided conv, transposed conv)
  c(
    "conv2d + bias + relu, strided conv2d, convTranspose2d, mean",
    (x, w1, b1, w2, w3) =>
      F.convTranspose2d(
        F.conv2d(F.conv2d(x, w1, b1, { padding: 1 }).relu(), w2, null, { stride: 2 }).tanh(),
        w3,
        null,
        { stride: 2, outputPadding: 1 },
      ).mean(),
    () => [f64([2, 1, 6, 6]), f64([3, 1, 3, 3]), f64([3]), f64([4, 3, 3, 3]), f64([4, 2, 2, 2])],
  ),
  // 3-d convolution and pooling: conv3d + bias + relu, max pooling, a strided conv3d, average
  // pooling (the same kernel ops as 2-d, over three spatial dims)
  c(
    "conv3d + bias + relu, maxPool3d, strided conv3d, avgPool3d, mean",
    (x, w1, b1, w2) =>
      F.avgPool3d(
        F.conv3d(F.maxPool3d(F.conv3d(x, w1, b1, { padding: 1 }).relu(), 2), w2, null, {
          stride: [1, 2, 1],
          padding: 1,
        }).tanh(),
        2,
        { ceilMode: true },
      ).mean(),
    () => [f64([2, 1, 4, 4, 4]), f64([3, 1, 3, 3, 3]), f64([3]), f64([2, 3, 2, 2, 2])],
  ),
  // indexing: gather's gradient is a scatterAdd, scatterAdd's (for src) a gather
  c(
    "gather of exp, then a weighted sum",
    (x) =>
      x
        .exp()
        .gather(
          1,
          index([
            [0, 2, 2],
            [1, 0, 1],
          ]),
        )
        .mul(x.narrow(1, 0, 3))
        .sum(),
    () => [f64([2, 4])],
  ),
  c(
    "scatterAdd into a base, both differentiated",
    (base, src) =>
      base
        .scatterAdd(
          0,
          index([
            [0, 1],
            [2, 0],
            [0, 0],
          ]),
          src.tanh(),
        )
        .square()
        .sum(),
    () => [f64([3, 2]), f64([3, 2])],
  ),
  // cat of more pieces than compile() fuses: the cat kernel op and its sliced gradients
  c(
    "cat of twenty pieces, weighted",
    (...xs) => cat(xs, 1).mul(cat(xs, 1).sin()).sum(),
    () => [...Array(20).keys()].map((i) => f64([2, 1 + (i % 3)])),
  ),
  // scans
  c(
    "cumsum along each dim, squared",
    (x) => x.cumsum(0).mul(x.cumsum(1)).square().sum(),
    () => [f64([3, 4])],
  ),
  c(
    "cumprod along each dim, with zeros, summed",
    (x) => x.mul(x.gt(0.3)).cumprod(1).add(x.cumprod(0)).sum(),
    () => [f64([3, 4])],
  ),
  c(
    "cummax and cummin along each dim, logcumsumexp, summed",
    (x) => x.cummax(1).values.mul(x.cummin(0).values).add(x.mul(3).logcumsumexp(1)).sum(),
    () => [f64([3, 4])],
  ),
  c(
    "scatterReduce of each reduction, summed with weights",
    (x, s) => {
      const index = tensor(
        [
          [1, 0, 1],
          [1, 2, 0],
        ],
        { dtype: "int32" },
      );
      return (["sum", "prod", "mean", "amax", "amin"] as const)
        .map((r, i) =>
          x
            .scatterReduce(1, index, s, r, { includeSelf: i % 2 === 0 })
            .mul(i + 1)
            .sin(),
        )
        .reduce((a, b) => a.add(b))
        .sum();
    },
    () => [f64([2, 3]), f64([2, 3])],
  ),
  c(
    "unfold, a weighting of the columns, fold back",
    (x, w) => F.fold(F.unfold(x, 2, { padding: 1 }).mul(w).sin(), [3, 4], 2, { padding: 1 }),
    () => [f64([2, 2, 3, 4]), f64([8, 1])],
  ),
  // models
  c(
    "seed: y = x+2; z = y*y*3; z.mean()",
    (x) => {
      const y = x.add(2);
      return y.mul(y).mul(3).mean();
    },
    () => [f64([4, 5])],
  ),
  c("tanh-GELU", gelu, () => [f64([3, 4])]),
  c(
    "tanh-GELU + sum",
    (x) => gelu(x).sum(),
    () => [f64([3, 4])],
  ),
  c(
    "linear + bias + relu + sum",
    (x, w, b) => x.matmul(w).add(b).relu().sum(),
    () => [f64([5, 4]), f64([4, 3]), f64([3])],
  ),
  c(
    "linear + tanh + logSoftmax + mean",
    (x, w, b) => x.matmul(w).add(b).tanh().logSoftmax(-1).mean(),
    () => [f64([4, 3]), f64([3, 5]), f64([5])],
  ),
  c(
    "two-layer MLP with relu and mse",
    (x, w1, w2, y) => x.matmul(w1).relu().matmul(w2).sub(y).pow(2).mean(),
    () => [f64([5, 3]), f64([3, 4]), f64([4, 2]), f64([5, 2])],
  ),
  c(
    "softmax cross-entropy by select",
    (x) => x.logSoftmax(1).select(1, 2).neg().mean(),
    () => [f64([4, 3])],
  ),
  c(
    "normalize by norm",
    (x) => x.div(x.norm()),
    () => [f64([4])],
  ),
  c(
    "layer norm over the last dim",
    (x, g, b) => {
      const mu = x.mean(-1, true),
        xc = x.sub(mu);
      return xc.div(xc.mul(xc).mean(-1, true).add(1e-5).sqrt()).mul(g).add(b);
    },
    () => [f64([3, 5]), f64([5]), f64([5])],
  ),
  c(
    "batched attention",
    (q, k, v) => q.matmul(k.mT).div(2).softmax(-1).matmul(v),
    () => [f64([2, 3, 4]), f64([2, 5, 4]), f64([2, 5, 2])],
  ),
  // broadcasting and reductions
  c(
    "centering: x - x.mean(1, keepdim)",
    (x) => x.sub(x.mean(1, true)).exp(),
    () => [f64([3, 4])],
  ),
  c(
    "outer broadcast then reduce over dim 0",
    (a, b) => a.mul(b).sin().sum(0),
    () => [f64([3, 1]), f64([1, 4])],
  ),
  c(
    "broadcast both ways, reduce over [0, 2]",
    (a, b) => a.add(b).tanh().sum([0, 2]),
    () => [f64([2, 1, 4]), f64([3, 1])],
  ),
  c(
    "stack of reductions",
    (x) => stack([x.sum(0), x.amax(0), x.amin(0), x.mean(0), x.sum(0).mul(x.mean(0))]),
    () => [f64([3, 4])],
  ),
  c(
    "softmax then sum over other dim, then logSoftmax of it",
    (x) => x.softmax(0).sum(1).logSoftmax(0),
    () => [f64([4, 3])],
  ),
  c(
    "maximum with a 0-d tensor, sum over a dim",
    (x, t) => x.maximum(t).sum(1),
    () => [f64([3, 4]), f64([])],
  ),
  c(
    "0-d inputs and outputs",
    (a, b) => a.mul(b).add(a.exp()),
    () => [f64([]), f64([])],
  ),
  // movement
  c(
    "sigmoid of cat of slices",
    (x) => cat([x.slice(1, 0, 1), x.narrow(1, 2, 1).mul(2)], 1).sigmoid(),
    () => [f64([3, 3])],
  ),
  c(
    "view chains",
    (x) => x.reshape([2, 6]).T.unsqueeze(0).expand([2, 6, 2]).permute([2, 0, 1]).flatten().sqrt(),
    () => [pos([3, 4])],
  ),
  c(
    "reshape of a transpose (copies)",
    (x) => x.T.reshape(-1).mul(x.reshape(-1)),
    () => [f64([2, 3])],
  ),
  c(
    "matmul 1-D @ batched, then batched @ 1-D",
    (a, b, c) => a.matmul(b).matmul(c),
    () => [f64([3]), f64([2, 3, 4]), f64([4])],
  ),
  c(
    "matmul x @ x.T (one input on both sides)",
    (x) => x.matmul(x.T).tanh(),
    () => [f64([3, 4])],
  ),
  // shared values, domains, what is not differentiated
  c(
    "tensor used twice: y.mul(y)",
    (x) => {
      const y = x.sin();
      return y.mul(y);
    },
    () => [f64([2, 3])],
  ),
  c(
    "x in two branches",
    (x) => x.exp().add(x.mul(3)).div(x.cos().add(2)),
    () => [f64([2, 3])],
  ),
  c(
    "a value used many times",
    (x) => {
      const e = x.exp();
      return e
        .mul(e)
        .add(e.div(x.cos().add(2)))
        .sub(e.sin());
    },
    () => [f64([5])],
  ),
  c(
    "pow with both operands requiring grad",
    (a, b) => a.pow(b),
    () => [pos([3]), f64([3])],
  ),
  c(
    "division by |b| + 1, log of 1 + |a|",
    (a, b) => a.abs().add(1).log().div(b.abs().add(1)),
    () => [f64([2, 3]), f64([3])],
  ),
  c(
    "float32 intermediate is not used: double stays double",
    (x) => x.mul(2).double().sigmoid(),
    () => [f64([3])],
  ),
  c(
    "only one input requires grad",
    (a, b) => a.mul(b).sum(0),
    () => [f64([2, 3]), data([2, 3])],
  ),
  c(
    "a mask computed from the input (comparison) is not differentiated",
    (x) => where(x.gt(0), x.mul(x), x.exp().neg()),
    () => [tensor([0.3, -0.7, 1.2, -0.1], { dtype: "float64", requiresGrad: true })],
  ),
];
