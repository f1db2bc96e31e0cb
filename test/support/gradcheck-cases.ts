// The eager gradcheck cases as data: every differentiable op (and the Tensor methods built on them)
// with the shapes, broadcasts and params worth checking, in groups. test/eager/gradcheck.test.ts
// checks each with backward() against finite differences; test/coverage.test.ts reads them to
// check that every op of the op table is gradchecked. `make` draws from the global generator (the
// tests call manualSeed(0) before each case).
import {
  autograd,
  cat,
  einsum,
  F,
  rand,
  randn,
  stack,
  type Tensor,
  tensor,
  where,
} from "../../index";
import { f64, pos } from "./gradcheck";

export interface GradcheckCase {
  name: string;
  make: () => { fn: (...xs: Tensor[]) => Tensor; inputs: Tensor[] };
}
export const gradcheckGroups: Record<string, GradcheckCase[]> = {};

let current: GradcheckCase[] = [];
const group = (name: string, cases: () => void) => {
  current = gradcheckGroups[name] = [];
  cases();
};
const check = (name: string, fn: (...xs: Tensor[]) => Tensor, make: () => Tensor[]) =>
  current.push({ name, make: () => ({ fn, inputs: make() }) });
const custom = (name: string, make: GradcheckCase["make"]) => current.push({ name, make });

const mask = (shape: number[]) => rand(shape, { dtype: "float64" }).gt(0.5);

group("elementwise", () => {
  const unary: [string, (x: Tensor) => Tensor, (s: number[]) => Tensor][] = [
    ["neg", (x) => x.neg(), f64],
    ["exp", (x) => x.exp(), f64],
    ["log", (x) => x.log(), pos],
    ["sqrt", (x) => x.sqrt(), pos],
    ["abs", (x) => x.abs(), f64],
    ["tanh", (x) => x.tanh(), f64],
    ["sigmoid", (x) => x.sigmoid(), f64],
    ["relu", (x) => x.relu(), f64],
    ["sin", (x) => x.sin(), f64],
    ["cos", (x) => x.cos(), f64],
    ["square", (x) => x.square(), f64],
    ["sign", (x) => x.sign(), f64], // zero gradients (no input is within eps of 0)
    ["erf", (x) => x.erf(), f64],
  ];
  for (const [name, f, make] of unary) {
    check(name, f, () => [make([2, 3])]);
    check(`${name} 0-d`, f, () => [make([])]);
  }

  const binary: [string, (a: Tensor, b: Tensor | number) => Tensor, (s: number[]) => Tensor][] = [
    ["add", (a, b) => a.add(b), f64],
    ["sub", (a, b) => a.sub(b), f64],
    ["mul", (a, b) => a.mul(b), f64],
    ["div", (a, b) => a.div(b), pos],
    ["pow", (a, b) => a.pow(b), pos],
    ["maximum", (a, b) => a.maximum(b as Tensor), f64],
    ["minimum", (a, b) => a.minimum(b as Tensor), f64],
  ];
  const shapes: [number[], number[]][] = [
    [
      [2, 3],
      [2, 3],
    ],
    [
      [3, 1],
      [1, 4],
    ],
    [[2, 3, 4], [4]],
    [[4], [2, 3, 4]],
    [[2, 3], []],
    [[], [2, 3]],
    [
      [2, 1, 3],
      [4, 1],
    ],
    [[1], [3]],
  ];
  for (const [name, f, make] of binary) {
    for (const [a, b] of shapes) check(`${name} [${a}] with [${b}]`, f, () => [make(a), make(b)]);
    check(`${name} only one input requires grad`, f, () => [make([2, 3]), make([3]).detach()]);
    if (name !== "maximum" && name !== "minimum") {
      check(
        `${name} scalar`,
        (a) => f(a, 1.7),
        () => [make([2, 3])],
      );
    }
  }
  check(
    "add alpha",
    (a, b) => a.add(b, -2.5),
    () => [f64([2, 3]), f64([3])],
  );
  check(
    "sub alpha",
    (a, b) => a.sub(b, 0.5),
    () => [f64([3, 1]), f64([1, 2])],
  );
  check(
    "pow integer scalar exponent on negative base",
    (a) => a.pow(3),
    () => [f64([5])],
  );
  check(
    "pow negative exponent",
    (a) => a.pow(-1.5),
    () => [pos([4])],
  );
  custom("where", () => {
    const c = mask([2, 3]);
    return { fn: (a, b) => where(c, a, b), inputs: [f64([2, 3]), f64([2, 3])] };
  });
  custom("where broadcast", () => {
    const c = mask([3, 1]);
    return { fn: (a, b) => where(c, a, b), inputs: [f64([1, 4]), f64([])] };
  });
  custom("where scalar other", () => {
    const c = mask([2, 3]);
    return { fn: (a) => where(c, a, 0.5), inputs: [f64([2, 3])] };
  });
  custom("where method", () => {
    const c = mask([3]);
    return { fn: (a, b) => a.where(c, b), inputs: [f64([2, 3]), f64([2, 1])] };
  });
});

group("reductions", () => {
  for (const op of ["sum", "mean", "max", "min", "amax", "amin"] as const) {
    check(
      `${op} all`,
      (x) => x[op](),
      () => [f64([2, 3])],
    );
    check(
      `${op} 0-d`,
      (x) => x[op](),
      () => [f64([])],
    );
    if (op === "max" || op === "min") continue; // over dims: amax/amin (max(dim) below)
    for (const dim of [0, 1, -1, [0, 2], [2, 0], [0, 1, 2]]) {
      for (const keepdim of [false, true]) {
        check(
          `${op} dim ${JSON.stringify(dim)} keepdim ${keepdim}`,
          (x) => x[op](dim, keepdim),
          () => [f64([2, 3, 4])],
        );
      }
    }
  }
  for (const op of ["max", "min"] as const) {
    for (const [dim, keepdim] of [
      [1, false],
      [0, true],
      [-1, false],
    ] as const) {
      check(
        `${op}(dim ${dim}, keepdim ${keepdim}).values`,
        (x) => x[op](dim, keepdim).values,
        () => [f64([2, 3, 4])],
      );
    }
    check(
      `${op}(dim) of 0-d`,
      (x) => x[op](0).values,
      () => [f64([])],
    );
  }
  // sort/topk/kthvalue: the values' gradient goes back to where each came from (random inputs:
  // no ties, which finite differences would straddle)
  for (const dim of [1, -1]) {
    check(
      `sort(dim ${dim}).values`,
      (x) => x.sort(dim).values,
      () => [f64([2, 3, 4])],
    );
    check(
      `sort(dim ${dim}, descending).values`,
      (x) => x.sort(dim, { descending: true }).values,
      () => [f64([2, 3, 4])],
    );
    check(
      `topk(2, dim ${dim}).values`,
      (x) => x.topk(2, dim).values,
      () => [f64([2, 3, 4])],
    );
  }
  check(
    "topk(3, smallest) of a transposed view",
    (x) => x.mT.topk(3, 0, { largest: false }).values,
    () => [f64([4, 5])],
  );
  check(
    "sort of 0-d",
    (x) => x.sort().values,
    () => [f64([])],
  );
  // (median's ties: the golden cases; finite differences see no change at a tie)
  check(
    "median all",
    (x) => x.median(),
    () => [f64([3, 5])],
  );
  check(
    "median(dim 1).values",
    (x) => x.median(1).values,
    () => [f64([3, 4])],
  );
  check(
    "kthvalue(2, dim 0, keepdim)",
    (x) => x.kthvalue(2, 0, true).values,
    () => [f64([3, 4])],
  );
  // prod's gradient with zeros: one zero (the others' product there), two (none), and none
  check(
    "prod all",
    (x) => x.prod(),
    () => [f64([2, 3])],
  );
  check(
    "prod dim 1 keepdim",
    (x) => x.prod(1, true),
    () => [f64([2, 3, 4])],
  );
  const zeros = (rows: number[][]) => () => [
    tensor(rows, { dtype: "float64", requiresGrad: true }),
  ];
  check(
    "prod dim 1 with one and two zeros",
    (x) => x.prod(1),
    zeros([
      [1.5, 0, -2],
      [0, 0.5, 0],
      [0.7, 1.2, -0.3],
    ]),
  );
  check(
    "prod all with one zero",
    (x) => x.prod(),
    zeros([
      [1.5, 0],
      [-2, 0.5],
    ]),
  );
  for (const op of ["var", "std"] as const) {
    check(
      `${op} all`,
      (x) => x[op](),
      () => [f64([2, 3])],
    );
    check(
      `${op} dims keepdim correction 0`,
      (x) => x[op]([0, 2], { correction: 0, keepdim: true }),
      () => [f64([2, 3, 4])],
    );
    check(
      `${op}Mean dim 1, both`,
      (x) => {
        const [a, m] = op === "var" ? x.varMean(1) : x.stdMean(1);
        return a.mul(m);
      },
      () => [f64([3, 4])],
    );
  }
  check(
    "logsumexp dim 1",
    (x) => x.logsumexp(1),
    () => [f64([3, 4])],
  );
  check(
    "logsumexp dims keepdim, shifted far",
    (x) => x.add(500).logsumexp([0, 2], true),
    () => [f64([2, 3, 4])],
  );
  check(
    "cumprod dim 1",
    (x) => x.cumprod(1),
    () => [f64([3, 4])],
  );
  check(
    "cumprod with zeros (one, two, at the start)",
    (x) => x.cumprod(1),
    zeros([
      [1.5, 0, -2, 0.5],
      [0, 0.5, 0, 2],
      [0.7, 1.2, -0.3, 0],
    ]),
  );
  check(
    "norm",
    (x) => x.norm(),
    () => [f64([2, 3])],
  );
  check(
    "sum of broadcast result over dims",
    (a, b) => a.add(b).sum([0, 2]),
    () => [f64([2, 1, 4]), f64([3, 1])],
  );
  check(
    "mean of a product, keepdim",
    (a, b) => a.mul(b).mean(-1, true),
    () => [f64([3, 4]), f64([4])],
  );
});

group("convolution", () => {
  check(
    "conv2d with bias",
    (x, w, b) => F.conv2d(x, w, b),
    () => [f64([2, 3, 5, 4]), f64([4, 3, 3, 2]), f64([4])],
  );
  check(
    "conv2d stride, padding, dilation, groups",
    (x, w, b) =>
      F.conv2d(x, w, b, { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2 }),
    () => [f64([2, 4, 6, 5]), f64([6, 2, 3, 2]), f64([6])],
  );
  check(
    "conv2d padding same (odd total), no bias",
    (x, w) => F.conv2d(x, w, null, { padding: "same" }),
    () => [f64([1, 2, 4, 5]), f64([3, 2, 2, 3])],
  );
  check(
    "conv2d only the weight requires grad",
    (x, w) => F.conv2d(x, w, null, { stride: 2 }),
    () => [f64([2, 2, 5, 5]).detach(), f64([3, 2, 3, 3])],
  );
  check(
    "conv1d unbatched",
    (x, w, b) => F.conv1d(x, w, b, { padding: 1, stride: 2 }),
    () => [f64([3, 7]), f64([2, 3, 3]), f64([2])],
  );
  check(
    "convTranspose2d stride, outputPadding, groups, dilation",
    (x, w, b) =>
      F.convTranspose2d(x, w, b, {
        stride: [2, 1],
        padding: 1,
        outputPadding: [1, 0],
        groups: 2,
        dilation: [1, 2],
      }),
    () => [f64([2, 4, 3, 3]), f64([4, 2, 3, 2]), f64([4])],
  );
  check(
    "conv3d stride, padding, dilation, groups, bias",
    (x, w, b) =>
      F.conv3d(x, w, b, { stride: [2, 1, 1], padding: [1, 0, 1], dilation: [1, 1, 2], groups: 2 }),
    () => [f64([1, 4, 4, 3, 4]), f64([2, 2, 2, 2, 2]), f64([2])],
  );
  check(
    "conv3d unbatched, padding same (odd total)",
    (x, w) => F.conv3d(x, w, null, { padding: "same" }),
    () => [f64([2, 3, 3, 2]), f64([2, 2, 2, 1, 2])],
  );
  check(
    "convTranspose3d stride, outputPadding, groups, dilation",
    (x, w, b) =>
      F.convTranspose3d(x, w, b, {
        stride: [2, 1, 2],
        padding: [1, 0, 0],
        outputPadding: [1, 0, 1],
        groups: 2,
        dilation: [1, 2, 1],
      }),
    () => [f64([1, 4, 2, 3, 2]), f64([4, 1, 2, 2, 2]), f64([2])],
  );
  check(
    "convTranspose1d unbatched",
    (x, w, b) => F.convTranspose1d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }),
    () => [f64([3, 4]), f64([3, 2, 3]), f64([2])],
  );
  // the weight gradient's own VJP (double backward of a convolution)
  check(
    "convWeight (conv2d's weight gradient)",
    (x, g) =>
      x.convWeight(g, {
        stride: [2, 1],
        padding: [1, 0],
        dilation: [1, 2],
        groups: 2,
        kernel: [3, 2],
      }),
    () => [f64([2, 4, 5, 5]), f64([2, 6, 3, 3])],
  );
});

group("normalization", () => {
  check(
    "layerNorm with weight and bias",
    (x, w, b) => F.layerNorm(x, [4], w, b),
    () => [f64([3, 2, 4]), f64([4]), f64([4])],
  );
  check(
    "layerNorm over two dims",
    (x) => F.layerNorm(x, [2, 4], null, null, 0.1),
    () => [f64([3, 2, 4])],
  );
  check(
    "batchNorm training",
    (x, w, b) => F.batchNorm(x, null, null, w, b, true),
    () => [f64([4, 3, 2, 2]), f64([3]), f64([3])],
  );
  check(
    "batchNorm eval",
    (x, m, v, w) => F.batchNorm(x, m, v.abs().add(0.5), w),
    () => [f64([4, 3, 2]), f64([3]), f64([3]), f64([3])],
  );
  check(
    "groupNorm",
    (x, w, b) => F.groupNorm(x, 2, w, b),
    () => [f64([2, 4, 3]), f64([4]), f64([4])],
  );
  check(
    "instanceNorm",
    (x, w) => F.instanceNorm(x, null, null, w),
    () => [f64([2, 3, 2, 3]), f64([3])],
  );
  check(
    "normalize p=2 and p=3",
    (x) => F.normalize(x).add(F.normalize(x, 3, -1)),
    () => [f64([3, 4])],
  );
});

group("pooling", () => {
  check(
    "maxPool2d stride, padding, ceilMode",
    (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }),
    () => [f64([2, 2, 5, 6])],
  );
  check(
    "maxPool1d dilated",
    (x) => F.maxPool1d(x, 2, { dilation: 2, stride: 1 }),
    () => [f64([2, 7])],
  );
  check(
    "avgPool2d countIncludePad false, ceilMode",
    (x) =>
      F.avgPool2d(x, [3, 2], { stride: 2, padding: 1, countIncludePad: false, ceilMode: true }),
    () => [f64([1, 2, 5, 6])],
  );
  check(
    "maxPool3d stride, padding, dilation, ceilMode",
    (x) =>
      F.maxPool3d(x, [2, 3, 2], { stride: 2, padding: 1, dilation: [1, 1, 2], ceilMode: true }),
    () => [f64([1, 2, 4, 5, 6])],
  );
  check(
    "avgPool3d countIncludePad false, ceilMode; divisorOverride",
    (x) =>
      F.avgPool3d(x, [2, 3, 2], { stride: 2, padding: 1, countIncludePad: false, ceilMode: true })
        .sum()
        .add(F.avgPool3d(x, 2, { divisorOverride: 3 }).sum()),
    () => [f64([1, 2, 4, 5, 6])],
  );
  check(
    "avgPool1d",
    (x) => F.avgPool1d(x, 3, { stride: 2 }),
    () => [f64([2, 3, 7])],
  );
  check(
    "adaptiveAvgPool2d",
    (x) => F.adaptiveAvgPool2d(x, [3, 2]),
    () => [f64([2, 2, 7, 5])],
  );
  check(
    "adaptiveMaxPool2d even and uneven",
    (x) =>
      F.adaptiveMaxPool2d(x, [2, 3])
        .sum()
        .add(F.adaptiveMaxPool2d(x, [3, 4]).sum()),
    () => [f64([1, 2, 4, 6])],
  );
});

group("attention", () => {
  check(
    "scaledDotProductAttention causal",
    (q, k, v) => F.scaledDotProductAttention(q, k, v, null, { isCausal: true }),
    () => [f64([2, 4, 3]), f64([2, 4, 3]), f64([2, 4, 2])],
  );
  check(
    "scaledDotProductAttention float mask (differentiated too), scale",
    (q, k, v, m) => F.scaledDotProductAttention(q, k, v, m, { scale: 0.5 }),
    () => [f64([3, 2]), f64([4, 2]), f64([4, 3]), f64([3, 4])],
  );
});

group("matmul", () => {
  const ranks: [number[], number[]][] = [
    [[3], [3]],
    [[2, 3], [3]],
    [[3], [3, 4]],
    [
      [2, 3],
      [3, 4],
    ],
    [
      [2, 2, 3],
      [2, 3, 4],
    ],
    [
      [2, 2, 3],
      [3, 4],
    ],
    [
      [2, 3],
      [2, 3, 4],
    ],
    [[3], [2, 3, 4]],
    [[2, 2, 3], [3]],
    [
      [2, 1, 2, 3],
      [3, 3, 4],
    ],
    [
      [2, 2, 3],
      [1, 3, 4],
    ],
    [
      [1, 2, 3],
      [2, 3, 4],
    ],
    [
      [2, 1, 2, 3],
      [1, 2, 3, 4],
    ],
    [
      [1, 3],
      [2, 3, 1],
    ],
    [[1], [1, 4]],
    [[5, 2, 2, 3], [3]],
    [[3], [5, 2, 3, 4]],
  ];
  for (const [a, b] of ranks)
    check(
      `matmul [${a}] @ [${b}]`,
      (x, y) => x.matmul(y),
      () => [f64(a), f64(b)],
    );
  check(
    "matmul only left requires grad",
    (x, y) => x.matmul(y),
    () => [f64([2, 2, 3]), f64([3, 4]).detach()],
  );
  check(
    "matmul only right requires grad",
    (x, y) => x.matmul(y),
    () => [f64([3]).detach(), f64([2, 3, 4])],
  );
  check(
    "matmul x @ x",
    (x) => x.matmul(x),
    () => [f64([3, 3])],
  );
  check(
    "matmul of transposed",
    (x, y) => x.T.matmul(y.mT),
    () => [f64([3, 2]), f64([2, 4, 3])],
  );
  check(
    "mm",
    (x, y) => x.mm(y),
    () => [f64([2, 3]), f64([3, 2])],
  );
});

group("movement", () => {
  check(
    "reshape",
    (x) => x.reshape([3, 2]),
    () => [f64([2, 3])],
  );
  check(
    "reshape -1 of a transpose (copies)",
    (x) => x.T.reshape(-1),
    () => [f64([2, 3])],
  );
  check(
    "view",
    (x) => x.view([4, 6]),
    () => [f64([2, 3, 4])],
  );
  check(
    "transpose",
    (x) => x.transpose(0, 2),
    () => [f64([2, 3, 4])],
  );
  check(
    "permute",
    (x) => x.permute([2, 0, 1]),
    () => [f64([2, 3, 4])],
  );
  check(
    "T",
    (x) => x.T,
    () => [f64([2, 3])],
  );
  check(
    "mT",
    (x) => x.mT,
    () => [f64([2, 3, 4])],
  );
  check(
    "unsqueeze",
    (x) => x.unsqueeze(1),
    () => [f64([2, 3])],
  );
  check(
    "squeeze",
    (x) => x.squeeze(),
    () => [f64([1, 3, 1])],
  );
  check(
    "squeeze dim",
    (x) => x.squeeze(-1),
    () => [f64([3, 1])],
  );
  check(
    "expand",
    (x) => x.expand([2, 3, 4]),
    () => [f64([3, 1])],
  );
  check(
    "expand 0-d",
    (x) => x.expand([2, 2]),
    () => [f64([])],
  );
  check(
    "expandAs",
    (x, y) => x.expandAs(y).mul(y),
    () => [f64([1, 3]), f64([2, 3])],
  );
  check(
    "flatten",
    (x) => x.flatten(1),
    () => [f64([2, 3, 4])],
  );
  check(
    "narrow",
    (x) => x.narrow(1, 1, 2),
    () => [f64([3, 4])],
  );
  check(
    "narrow negative start",
    (x) => x.narrow(0, -2, 2),
    () => [f64([4, 2])],
  );
  check(
    "select",
    (x) => x.select(1, -1),
    () => [f64([3, 4])],
  );
  check(
    "select 1-d",
    (x) => x.select(0, 2),
    () => [f64([4])],
  );
  check(
    "slice",
    (x) => x.slice(0, 1, 3),
    () => [f64([4, 3])],
  );
  check(
    "slice negative",
    (x) => x.slice(1, -3, -1),
    () => [f64([2, 5])],
  );
  check(
    "cat dim 0",
    (a, b, c) => cat([a, b, c], 0),
    () => [f64([2, 3]), f64([1, 3]), f64([3, 3])],
  );
  check(
    "cat dim -1",
    (a, b) => cat([a, b], -1),
    () => [f64([2, 3, 1]), f64([2, 3, 2])],
  );
  check(
    "cat with one input not requiring grad",
    (a, b) => cat([a, b], 0),
    () => [f64([2]), f64([3]).detach()],
  );
  check(
    "cat same tensor twice",
    (a) => cat([a, a], 1),
    () => [f64([2, 2])],
  );
  check(
    "stack dim 0",
    (a, b) => stack([a, b]),
    () => [f64([2, 3]), f64([2, 3])],
  );
  check(
    "stack dim -1",
    (a, b, c) => stack([a, b, c], -1),
    () => [f64([2, 3]), f64([2, 3]), f64([2, 3])],
  );
  check(
    "clone",
    (x) => x.clone(),
    () => [f64([2, 3])],
  );
  check(
    "contiguous of a transpose",
    (x) => x.T.contiguous(),
    () => [f64([2, 3])],
  );
  check(
    "float64 -> float64 cast",
    (x) => x.double(),
    () => [f64([3])],
  );
});

group("softmax", () => {
  for (const dim of [0, 1, -1]) {
    check(
      `softmax dim ${dim}`,
      (x) => x.softmax(dim),
      () => [f64([2, 3])],
    );
    check(
      `logSoftmax dim ${dim}`,
      (x) => x.logSoftmax(dim),
      () => [f64([2, 3])],
    );
  }
  check(
    "softmax 3-d middle dim",
    (x) => x.softmax(1),
    () => [f64([2, 3, 4])],
  );
  check(
    "logSoftmax 3-d",
    (x) => x.logSoftmax(-2),
    () => [f64([2, 3, 4])],
  );
  check(
    "softmax 1-d",
    (x) => x.softmax(0),
    () => [f64([5])],
  );
  check(
    "softmax of large values",
    (x) => x.mul(100).softmax(0),
    () => [tensor([0.1, 0.12, 0.11], { dtype: "float64", requiresGrad: true })],
  );
});

// issue 11: indexing and shape ops (compositions of gather, scatterAdd, flip, pad and slices)
group("indexing and shape", () => {
  const ix = (v: number[] | number[][]) => tensor(v, { dtype: "int32" });
  const bools = (v: number[]) => tensor(v, { dtype: "bool" });
  check(
    "indexSelect dim 0, repeated",
    (x) => x.indexSelect(0, ix([2, 0, 2])),
    () => [f64([3, 4])],
  );
  check(
    "indexSelect dim -1",
    (x) => x.indexSelect(-1, ix([3, 1])),
    () => [f64([2, 3, 4])],
  );
  check(
    "take, negative index",
    (x) =>
      x.take(
        ix([
          [0, 11],
          [5, -1],
        ]),
      ),
    () => [f64([3, 4])],
  );
  check(
    "maskedFill",
    (x) => x.maskedFill(bools([1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]).reshape(3, 4), -2),
    () => [f64([3, 4])],
  );
  check(
    "maskedFill 0-d tensor value",
    (x, v) => x.maskedFill(bools([0, 1, 1, 0]), v),
    () => [f64([3, 4]), f64([])],
  );
  check(
    "indexAdd",
    (x, s) => x.indexAdd(1, ix([3, 0, 3]), s, { alpha: 2 }),
    () => [f64([2, 4]), f64([2, 3])],
  );
  check(
    "index rows and cols",
    (x) => x.index([ix([2, 0, -1]), ix([[1], [3]])]),
    () => [f64([3, 4, 2])],
  );
  check(
    "index null then cols",
    (x) => x.index([null, ix([2, 2, 0])]),
    () => [f64([2, 3, 4])],
  );
  check(
    // (not with paddingIdx: the padding row's zero gradient is a convention, not the derivative)
    "embedding",
    (w) =>
      F.embedding(
        ix([
          [1, 3],
          [0, 1],
        ]),
        w,
      ),
    () => [f64([4, 3])],
  );
  check(
    "flip dims 0 and 2",
    (x) => x.flip([0, 2]),
    () => [f64([2, 3, 4])],
  );
  check(
    "flip then exp (fused)",
    (x) => x.flip(1).exp(),
    () => [f64([3, 4])],
  );
  check(
    "roll two dims",
    (x) => x.roll([1, -3], [0, 1]),
    () => [f64([3, 4])],
  );
  check(
    "roll flattened",
    (x) => x.roll(5),
    () => [f64([3, 4])],
  );
  check(
    "repeat",
    (x) => x.repeat(2, 1, 3),
    () => [f64([2, 3])],
  );
  check(
    "tile",
    (x) => x.tile(2),
    () => [f64([2, 3])],
  );
  check(
    "repeatInterleave",
    (x) => x.repeatInterleave(3, 1),
    () => [f64([2, 3])],
  );
  check(
    "split pieces recombined",
    (x) => {
      const [a, b, c] = x.split([1, 2, 2], 1);
      return a.mul(2).add(b.sum(1, true)).mul(c.exp());
    },
    () => [f64([3, 5])],
  );
  check(
    "chunk and unbind",
    (x) => {
      const [a, b] = x.chunk(2, 0);
      return a.sum(0).mul(b.unbind(0)[1]);
    },
    () => [f64([4, 3])],
  );
  check(
    "movedim",
    (x) => x.movedim([0, 1], [2, 0]).exp(),
    () => [f64([2, 3, 4])],
  );
  check(
    "triu and tril",
    (x) => x.triu(1).add(x.tril(-1).mul(3)),
    () => [f64([2, 3, 4])],
  );
  check(
    "diagonal offset -1 of dims 2 and 0",
    (x) => x.diagonal(-1, 2, 0),
    () => [f64([3, 2, 4])],
  );
  check(
    "diag of a vector and of a matrix",
    (v, m) => v.diag(1).add(m.diag().sum()),
    () => [f64([3]), f64([3, 4])],
  );
  check(
    "trace",
    (x) => x.trace(),
    () => [f64([3, 4])],
  );
  check(
    "outer and dot",
    (a, b) => a.outer(b).mul(a.dot(a)),
    () => [f64([3]), f64([3])],
  );
  check(
    "t and unflatten",
    (x) => x.t().unflatten(1, [2, -1]),
    () => [f64([4, 3])],
  );
  for (const mode of ["constant", "reflect", "replicate", "circular"] as const)
    check(
      `F.pad ${mode}, two dims`,
      (x) => F.pad(x, [1, 2, 2, 0], mode === "constant" ? { value: 0.5 } : { mode }),
      () => [f64([1, 3, 4])],
    );
  const einsums: [string, number[][]][] = [
    [
      "bij,bjk->bik",
      [
        [2, 2, 3],
        [2, 3, 2],
      ],
    ],
    ["ii->i", [[3, 3]]],
    ["i,j->ij", [[3], [2]]],
    [
      "ij,ij->j",
      [
        [2, 3],
        [2, 3],
      ],
    ],
    [
      "ijk,ikl,lm->jm",
      [
        [2, 3, 2],
        [2, 2, 3],
        [3, 2],
      ],
    ],
  ];
  for (const [eq, shapes] of einsums)
    check(
      `einsum ${eq}`,
      (...xs) => einsum(eq, ...xs),
      () => shapes.map(f64),
    );
  // (distinct positions: with repeated ones only the last write's src has a derivative)
  check(
    "scatter src into base, both differentiated",
    (x, s) =>
      x.scatter(
        1,
        ix([
          [2, 0],
          [1, 3],
        ]),
        s,
      ),
    () => [f64([2, 4]), f64([2, 2])],
  );
  check(
    "scatter a value",
    (x) => x.scatter(0, ix([[1, 0, 2]]), 0.5),
    () => [f64([3, 3])],
  );
  check(
    "F.interpolate nearest",
    (x) => F.interpolate(x, { scaleFactor: 1.5 }),
    () => [f64([1, 2, 2, 3])],
  );
  for (const alignCorners of [false, true])
    check(
      `F.interpolate bilinear, alignCorners ${alignCorners}`,
      (x) => F.interpolate(x, { size: [3, 5], mode: "bilinear", alignCorners }),
      () => [f64([1, 2, 2, 3])],
    );
  check(
    "bmm",
    (a, b) => a.bmm(b),
    () => [f64([2, 3, 4]), f64([2, 4, 2])],
  );
  check(
    "baddbmm with beta and alpha",
    (x, a, b) => x.baddbmm(a, b, { beta: 0.5, alpha: -2 }),
    () => [f64([3, 2]), f64([2, 3, 4]), f64([2, 4, 2])],
  );
});

// issue 11: elementwise math (rounding ops have zero gradients: no input is within eps of a jump)
const unit = (shape: number[]) =>
  rand(shape, { dtype: "float64" }).mul(1.6).sub(0.8).detach().requiresGrad_();
const aboveOne = (shape: number[]) =>
  rand(shape, { dtype: "float64" }).add(1.2).detach().requiresGrad_();
const wide = (shape: number[]) =>
  randn(shape, { dtype: "float64" }).mul(3).detach().requiresGrad_();
group("elementwise math (issue 11)", () => {
  const unary: [string, (x: Tensor) => Tensor, (s: number[]) => Tensor][] = [
    ["floor", (x) => x.floor(), wide],
    ["ceil", (x) => x.ceil(), wide],
    ["round", (x) => x.round(), wide],
    ["trunc", (x) => x.trunc(), wide],
    ["frac", (x) => x.frac(), wide],
    ["log1p", (x) => x.log1p(), pos],
    ["expm1", (x) => x.expm1(), f64],
    ["log2", (x) => x.log2(), pos],
    ["log10", (x) => x.log10(), pos],
    ["exp2", (x) => x.exp2(), f64],
    ["rsqrt", (x) => x.rsqrt(), pos],
    ["reciprocal", (x) => x.reciprocal(), pos],
    ["tan", (x) => x.tan(), unit],
    ["asin", (x) => x.asin(), unit],
    ["acos", (x) => x.acos(), unit],
    ["atan", (x) => x.atan(), f64],
    ["sinh", (x) => x.sinh(), f64],
    ["cosh", (x) => x.cosh(), f64],
    ["asinh", (x) => x.asinh(), f64],
    ["acosh", (x) => x.acosh(), aboveOne],
    ["atanh", (x) => x.atanh(), unit],
    ["erfc", (x) => x.erfc(), wide],
    ["clamp", (x) => x.clamp(-0.5, 0.7), f64],
    ["clamp min", (x) => x.clamp(0.1), f64],
    ["clamp max", (x) => x.clamp(null, 0.1), f64],
  ];
  for (const [name, f, make] of unary) {
    check(name, f, () => [make([2, 3])]);
    check(`${name} 0-d`, f, () => [make([])]);
  }
  const binary: [string, (a: Tensor, b: Tensor) => Tensor, (s: number[]) => Tensor][] = [
    ["atan2", (a, b) => a.atan2(b), f64],
    ["fmod", (a, b) => a.fmod(b), wide],
    ["remainder", (a, b) => a.remainder(b), wide],
    ["clamp tensor bounds", (a, b) => a.clamp(b, b.add(0.8)), f64],
    ["div floor (zero gradient)", (a, b) => a.div(b, { roundingMode: "floor" }), wide],
  ];
  for (const [name, f, make] of binary) {
    check(name, f, () => [make([2, 3]), make([2, 3])]);
    check(`${name} broadcast`, f, () => [make([2, 3]), make([3])]);
  }
  check(
    "fmod by a number",
    (a) => a.fmod(-1.3),
    () => [wide([2, 3])],
  );
  check(
    "remainder by a number",
    (a) => a.remainder(1.3),
    () => [wide([2, 3])],
  );
});

// issue 11: activations and losses of F (compositions), in float64
const probs = (shape: number[]) =>
  rand(shape, { dtype: "float64" }).mul(0.9).add(0.05).detach().requiresGrad_();
group("activations and losses (issue 11)", () => {
  const act: [string, (x: Tensor) => Tensor][] = [
    ["softplus", (x) => F.softplus(x)],
    ["softplus beta threshold", (x) => F.softplus(x, { beta: 2, threshold: 1 })],
    ["silu", (x) => F.silu(x)],
    ["mish", (x) => F.mish(x)],
    ["elu", (x) => F.elu(x, { alpha: 0.7 })],
    ["selu", (x) => F.selu(x)],
    ["celu", (x) => F.celu(x, { alpha: 2 })],
    ["leakyRelu", (x) => F.leakyRelu(x, { negativeSlope: 0.1 })],
    ["hardtanh", (x) => F.hardtanh(x, { minVal: -0.5, maxVal: 0.8 })],
    ["relu6", (x) => F.relu6(x.mul(4))],
    ["hardsigmoid", (x) => F.hardsigmoid(x.mul(2))],
    ["hardswish", (x) => F.hardswish(x.mul(2))],
    ["logsigmoid", (x) => F.logsigmoid(x)],
    ["softsign", (x) => F.softsign(x)],
    ["tanhshrink", (x) => F.tanhshrink(x)],
    ["glu", (x) => F.glu(x, 1)],
    ["softmin", (x) => F.softmin(x, 1)],
  ];
  for (const [name, f] of act) check(name, f, () => [wide([2, 4])]);
  check(
    "prelu per channel",
    (x, w) => F.prelu(x, w),
    () => [wide([2, 3, 2]), pos([3])],
  );
  for (const reduction of ["mean", "sum", "none"] as const) {
    check(
      `l1Loss ${reduction}`,
      (x, y) => F.l1Loss(x, y, { reduction }),
      () => [f64([2, 3]), f64([2, 3])],
    );
    check(
      `smoothL1Loss ${reduction}`,
      (x, y) => F.smoothL1Loss(x, y, { reduction, beta: 0.7 }),
      () => [f64([2, 3]), f64([2, 3])],
    );
    check(
      `huberLoss ${reduction}`,
      (x, y) => F.huberLoss(x, y, { reduction, delta: 0.6 }),
      () => [f64([2, 3]), f64([2, 3])],
    );
    check(
      `binaryCrossEntropy ${reduction}`,
      (x, t) => F.binaryCrossEntropy(x, t, { reduction }),
      () => [probs([2, 3]), probs([2, 3])],
    );
    check(
      `binaryCrossEntropyWithLogits ${reduction}`,
      (x, t) => F.binaryCrossEntropyWithLogits(x, t, { reduction }),
      () => [wide([2, 3]), probs([2, 3])],
    );
    check(
      `klDiv ${reduction}`,
      (x, t) => F.klDiv(x, t, { reduction }),
      () => [f64([2, 3]), probs([2, 3])],
    );
  }
  custom("binaryCrossEntropyWithLogits weight posWeight", () => {
    const w = rand([2, 3], { dtype: "float64" }),
      pw = rand([3], { dtype: "float64" }).add(0.5);
    return {
      fn: (x, t) => F.binaryCrossEntropyWithLogits(x, t, { weight: w, posWeight: pw }),
      inputs: [wide([2, 3]), probs([2, 3])],
    };
  });
  custom("binaryCrossEntropy weight", () => {
    const w = rand([3], { dtype: "float64" });
    return {
      fn: (x, t) => F.binaryCrossEntropy(x, t, { weight: w, reduction: "sum" }),
      inputs: [probs([2, 3]), probs([2, 3])],
    };
  });
  check(
    "klDiv batchmean logTarget",
    (x, t) => F.klDiv(x, t, { reduction: "batchmean", logTarget: true }),
    () => [f64([2, 3]), f64([2, 3])],
  );
});

group("elementwise compositions (issue 11)", () => {
  const cases: [string, (a: Tensor, b: Tensor, c: Tensor) => Tensor][] = [
    ["lerp scalar weight", (a, b) => a.lerp(b, 0.3)],
    ["lerp scalar weight above a half", (a, b) => a.lerp(b, 0.7)],
    ["lerp tensor weight", (a, b, c) => a.lerp(b, c)],
    ["addcmul", (a, b, c) => a.addcmul(b, c, { value: -1.5 })],
    ["addcdiv", (a, b, c) => a.addcdiv(b, c.abs().add(0.5), { value: 0.5 })],
    ["hypot", (a, b) => a.hypot(b)],
    ["logaddexp", (a, b) => a.logaddexp(b)],
    ["copysign", (a, b) => a.copysign(b)],
    ["nanToNum", (a) => a.nanToNum()],
  ];
  for (const [name, f] of cases) {
    check(name, f, () => [f64([2, 3]), f64([2, 3]), f64([3])].slice(0, f.length));
  }
});

// a custom autograd Function (inside compile, the `custom` value that runs its backward)
class SinCos extends autograd.Function {
  static forward(ctx: autograd.FunctionCtx, x: Tensor, y: Tensor) {
    ctx.saveForBackward(x, y);
    return x.sin().mul(y.cos());
  }
  static backward(ctx: autograd.FunctionCtx, g: Tensor) {
    const [x, y] = ctx.savedTensors;
    return [g.mul(x!.cos()).mul(y!.cos()), g.mul(x!.sin()).mul(y!.sin()).neg()];
  }
}
group("custom autograd Functions", () => {
  check(
    "sin(x) cos(y), y broadcast",
    (x, y) => SinCos.apply(x, y),
    () => [f64([2, 3]), f64([3])],
  );
});

group("scans, indexing, unfold and pooling with indices (issue 11, the rest)", () => {
  check(
    "cummax values dim 1",
    (x) => x.cummax(1).values,
    () => [f64([3, 5])],
  );
  check(
    "cummin values dim 0, with its indices gathered",
    (x) => {
      const { values, indices } = x.cummin(0);
      return values.add(x.gather(0, indices).mul(2));
    },
    () => [f64([4, 3])],
  );
  check(
    "erfinv of 0.9 tanh(x)",
    (x) => x.tanh().mul(0.9).erfinv(),
    () => [f64([2, 3])],
  );
  for (const reduce of ["sum", "prod", "mean", "amax", "amin"] as const)
    for (const includeSelf of [true, false])
      check(
        `scatterReduce ${reduce}${includeSelf ? "" : " without self"}`,
        (x, s) =>
          x.scatterReduce(
            0,
            tensor(
              [
                [0, 1, 0, 2],
                [2, 2, 0, 1],
                [0, 1, 1, 1],
              ],
              { dtype: "int32" },
            ),
            s,
            reduce,
            { includeSelf },
          ),
        () => [f64([3, 4]), f64([3, 4])],
      );
  check(
    "maxPool2d returnIndices, then maxUnpool2d",
    (x) => {
      const [y, at] = F.maxPool2d(x, 2, { returnIndices: true });
      return F.maxUnpool2d(y.mul(y), at, 2, { outputSize: [4, 5] });
    },
    () => [f64([1, 2, 4, 5])],
  );
  check(
    "maxPool3d returnIndices, then maxUnpool3d",
    (x) => {
      const [y, at] = F.maxPool3d(x, 2, { returnIndices: true });
      return F.maxUnpool3d(y.mul(y), at, 2, { outputSize: [3, 4, 5] });
    },
    () => [f64([2, 3, 4, 5])],
  );
  check(
    "maxPool1d returnIndices, then maxUnpool1d with an outputSize",
    (x) => {
      const [y, at] = F.maxPool1d(x, 2, { returnIndices: true });
      return F.maxUnpool1d(y, at, 2, { outputSize: [7] });
    },
    () => [f64([2, 7])],
  );
  check(
    "unfold with dilation, padding and stride",
    (x) => F.unfold(x, [2, 3], { dilation: [1, 2], padding: 1, stride: [2, 1] }),
    () => [f64([2, 2, 4, 5])],
  );
  check(
    "fold of overlapping blocks, unbatched",
    (x) => F.fold(x, [3, 4], 2, { stride: 1, padding: [1, 0] }),
    () => [f64([8, 12])],
  );
  check(
    "logcumsumexp dim 1",
    (x) => x.logcumsumexp(1),
    () => [f64([3, 4])],
  );
  check(
    "logcumsumexp dim 0, shifted far",
    (x) => x.add(800).logcumsumexp(0),
    () => [f64([4, 2])],
  );
});
