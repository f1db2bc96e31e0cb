// Bad input to nn modules and F functions, and the options they used to ignore (nllLoss and
// crossEntropy's weight and labelSmoothing), against PyTorch 1.13 (test/golden/validation.json,
// written by test/golden/make_validation_golden.py).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { compile, F, nn, randn, type Tensor, tensor, zeros } from "../../index";
import { expectClose as close, fromSpec as make, type Spec } from "../support/spec";
import { refuses } from "./support";

const expectClose = (t: Tensor | null, want: Spec, tol = 2e-5) => close(t, want, tol, tol);
const golden = JSON.parse(
  readFileSync(join(import.meta.dirname, "../golden/validation.json"), "utf8"),
);
const bad = (v: unknown) => v as never;

describe("nllLoss and crossEntropy options, against PyTorch", () => {
  interface LossCase {
    name: string;
    fn: "nll_loss" | "cross_entropy";
    kw: Record<string, unknown>;
    input: Spec;
    target: Spec;
    out: Spec;
    upstream: Spec;
    gradInput: Spec;
    gradFn: string;
  }
  const opts = (kw: Record<string, unknown>) => ({
    ...(kw.weight ? { weight: make(kw.weight as Spec) } : {}),
    ...(kw.label_smoothing !== undefined ? { labelSmoothing: kw.label_smoothing as number } : {}),
    ...(kw.ignore_index !== undefined ? { ignoreIndex: kw.ignore_index as number } : {}),
    ...(kw.reduction ? { reduction: kw.reduction as "mean" | "sum" | "none" } : {}),
  });
  const run = (c: LossCase, x: Tensor, t: Tensor) =>
    c.fn === "nll_loss" ? F.nllLoss(x, t, opts(c.kw)) : F.crossEntropy(x, t, opts(c.kw));
  it.each((golden.losses as LossCase[]).map((c) => [c.name, c] as [string, LossCase]))(
    "%s",
    (_, c: LossCase) => {
      const x = make(c.input, true),
        t = make(c.target);
      const y = run(c, x, t);
      expectClose(y, c.out);
      expect(y.gradFn!.name).toBe(c.gradFn);
      y.mul(make(c.upstream)).sum().backward();
      expectClose(x.grad, c.gradInput);
      // compiled: the same values
      const compiled = compile((a: Tensor, b: Tensor) => run(c, a, b));
      expectClose(compiled(make(c.input), t), c.out);
    },
  );
});

describe("norm(p, dim, keepdim), against PyTorch", () => {
  interface NormCase {
    p: number | string;
    dim: number | number[] | null;
    keepdim: boolean;
    x: Spec;
    out: Spec;
    upstream: Spec;
    grad: Spec | null;
    gradFn: string;
  }
  const pOf = (p: number | string) =>
    p === "Infinity" ? Infinity : p === "-Infinity" ? -Infinity : (p as number | "fro");
  it.each(
    (golden.norms as NormCase[]).map(
      (c) => [`p=${c.p} dim=${c.dim} keepdim=${c.keepdim}`, c] as [string, NormCase],
    ),
  )("%s", (_, c: NormCase) => {
    const x = make(c.x, true);
    const y = c.dim === null ? x.norm(pOf(c.p)) : x.norm(pOf(c.p), c.dim, c.keepdim);
    expectClose(y, c.out);
    expect(y.gradFn!.name).toBe(c.gradFn);
    y.mul(make(c.upstream)).sum().backward();
    if (c.grad) expectClose(x.grad, c.grad);
    else expect(x.grad === null || x.grad.values().every((v) => v === 0)).toBe(true);
  });
  it("bad p, dim and keepdim", () => {
    const x = randn([3, 4]);
    refuses(() => x.norm(bad("nuc")), Error, "norm(): p must be one of 'fro', but got 'nuc'", x);
    refuses(
      () => x.norm(bad(null)),
      TypeError,
      "norm(): argument 'p' (position 1) must be a number, not null",
    );
    refuses(
      () => x.norm(2, bad("0")),
      TypeError,
      "norm(): argument 'dim' (position 2) must be int or tuple of ints, not str",
    );
    refuses(
      () => x.norm(2, 0, bad("yes")),
      TypeError,
      "norm(): argument 'keepdim' (position 3) must be bool, not str",
    );
    refuses(
      () => x.norm(2, 2),
      Error,
      "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
    );
    refuses(() => x.norm(Number.NaN), Error, "p must be a number, got NaN");
    refuses(
      () => zeros([2], { dtype: "int32" }).norm(),
      Error,
      "norm(): input dtype should be either floating point or complex. Got Long instead.",
    );
  });
});

describe("loss options", () => {
  const x = randn([3, 4], { requiresGrad: true }),
    labels = tensor([0, 1, 2], { dtype: "int32" });
  it("weight: a 1-D tensor with one value per class, of the input's dtype", () => {
    refuses(
      () => F.nllLoss(x, labels, { weight: tensor([1, 1, 1]) }),
      Error,
      "weight tensor should be defined either for all 4 classes or no classes but got weight tensor of shape: [3]",
      x,
    );
    refuses(
      () => F.crossEntropy(x, labels, { weight: zeros([2, 2]) }),
      Error,
      "got weight tensor of shape: [2, 2]",
    );
    refuses(
      () => F.nllLoss(x, labels, { weight: zeros([4], { dtype: "float64" }) }),
      Error,
      "expected scalar type Float but found Double",
    );
    refuses(
      () => F.nllLoss(x, labels, { weight: bad([1, 1, 1, 1]) }),
      TypeError,
      "nll_loss(): argument 'weight' (position 3) must be Tensor, not list",
    );
  });
  it("labelSmoothing in [0, 1], a number", () => {
    refuses(
      () => F.crossEntropy(x, labels, { labelSmoothing: 1.5 }),
      Error,
      "label_smoothing must be between 0.0 and 1.0. Got: 1.5",
      x,
    );
    refuses(() => F.crossEntropy(x, labels, { labelSmoothing: -0.1 }), Error, "Got: -0.1");
    refuses(() => F.crossEntropy(x, labels, { labelSmoothing: Number.NaN }), Error, "Got: NaN");
    refuses(
      () => F.crossEntropy(x, labels, { labelSmoothing: bad("0.1") }),
      TypeError,
      "cross_entropy(): argument 'labelSmoothing' must be a number, not str",
    );
    refuses(
      () => F.nllLoss(x, labels, bad({ labelSmoothing: 0.1 })),
      TypeError,
      'nll_loss(): unknown option "labelSmoothing"; the options are reduction, ignoreIndex, weight',
    );
  });
  it("reductions and unknown keys", () => {
    refuses(
      () => F.mseLoss(x, x, bad({ reduction: "avg" })),
      Error,
      "avg is not a valid value for reduction",
      x,
    );
    refuses(
      () => F.nllLoss(x, labels, bad({ reduction: "elementwise_mean" })),
      Error,
      "elementwise_mean is not a valid value for reduction",
    );
    refuses(
      () => F.crossEntropy(x, labels, bad({ reduction: 1 })),
      TypeError,
      "reduction must be 'mean', 'sum' or 'none', not int",
    );
    refuses(
      () => F.mseLoss(x, x, bad({ size_average: true })),
      TypeError,
      'mse_loss(): unknown option "size_average"; the options are reduction',
    );
    refuses(
      () => F.crossEntropy(x, labels, bad({ ignore_index: 1 })),
      TypeError,
      'unknown option "ignore_index"',
    );
    refuses(
      () => F.nllLoss(x, labels, { ignoreIndex: bad("1") }),
      TypeError,
      "argument 'ignoreIndex' must be int, not str",
    );
  });
  it("inputs must be tensors", () => {
    refuses(
      () => F.mseLoss(bad([1, 2]), x),
      TypeError,
      "mse_loss(): argument 'input' (position 1) must be Tensor, not list",
    );
    refuses(
      () => F.crossEntropy(x, bad(1)),
      TypeError,
      "cross_entropy(): argument 'target' (position 2) must be Tensor, not int",
    );
    refuses(() => F.nllLoss(bad(undefined), labels), TypeError, "must be Tensor, not undefined");
    refuses(
      () => F.relu(bad(1)),
      TypeError,
      "relu(): argument 'input' (position 1) must be Tensor, not int",
    );
    refuses(
      () => F.linear(x, bad("w")),
      TypeError,
      "linear(): argument 'weight' (position 2) must be Tensor, not str",
    );
    refuses(
      () => F.linear(x, randn([2, 4]), bad(0)),
      TypeError,
      "argument 'bias' (position 3) must be Tensor, not int",
    );
  });
});

describe("mseLoss of shapes that broadcast differently", () => {
  afterEach(() => vi.restoreAllMocks());
  it("warns with PyTorch's UserWarning once per pair of shapes, and still computes (as PyTorch)", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const a = zeros([4, 1]),
      b = tensor([1, 2, 3, 4]);
    const v = F.mseLoss(a, b);
    expect(v.item()).toBeCloseTo(7.5, 5);
    F.mseLoss(a, b);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toBe(
      "UserWarning: Using a target size (torch.Size([4])) that is different to the input size (torch.Size([4, 1])). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.",
    );
    F.mseLoss(b, b);
    expect(warn).toHaveBeenCalledTimes(1);
  });
});

describe("softmax needs a dim; other F functions check their arguments", () => {
  const x = randn([2, 3]);
  it("softmax/logSoftmax without dim: a TypeError saying the dim is required", () => {
    refuses(
      () => (F.softmax as (t: Tensor) => Tensor)(x),
      TypeError,
      "softmax(): the dim argument is required",
      x,
    );
    refuses(
      () => (F.logSoftmax as (t: Tensor) => Tensor)(x),
      TypeError,
      "log_softmax(): the dim argument is required",
    );
    refuses(
      () => (x.softmax.bind(x) as () => Tensor)(),
      TypeError,
      "softmax(): the dim argument is required",
    );
    refuses(
      () => x.logSoftmax(bad("1")),
      TypeError,
      "log_softmax(): argument 'dim' (position 1) must be int, not str",
    );
    refuses(
      () => F.softmax(x, 0.5),
      TypeError,
      "softmax(): argument 'dim' (position 2) must be int, not float",
    );
    expect(
      F.softmax(x, -1)
        .sum(-1)
        .values()
        .map((v) => Math.round(v * 1e5)),
    ).toEqual([1e5, 1e5]);
  });
  it("gelu, dropout", () => {
    refuses(
      () => F.gelu(x, bad({ approximate: "fast" })),
      Error,
      "gelu(): approximate must be one of 'none', 'tanh', but got 'fast'",
    );
    refuses(() => F.gelu(x, bad({ approx: "tanh" })), TypeError, 'gelu(): unknown option "approx"');
    refuses(
      () => F.dropout(x, bad("0.5")),
      TypeError,
      "dropout(): argument 'p' (position 2) must be a number, not str",
    );
    refuses(
      () => F.dropout(x, 1.5),
      Error,
      "dropout probability has to be between 0 and 1, but got 1.5",
    );
    refuses(
      () => F.dropout(x, 0.5, bad(0)),
      TypeError,
      "dropout(): argument 'training' (position 3) must be bool, not int",
    );
  });
  // Tensor options (weights) are out of the golden runner's reach: PyTorch 1.13's values here
  it("loss weights of another dtype: the dtype PyTorch gives", () => {
    const x = tensor([0.2, 0.7, 0.9]),
      t = tensor([0, 1, 0.5]),
      w = tensor([0.5, 2, 1.5], { dtype: "float64" });
    // binary_cross_entropy and its logits form multiply by weight in place: the input's dtype
    const bce = F.binaryCrossEntropy(x, t, { weight: w });
    expect(bce.dtype).toBe("float32");
    expect(bce.item()).toBeCloseTo(0.876960277557373, 6);
    const logits = F.binaryCrossEntropyWithLogits(tensor([-1, 0.5, 2]), t, {
      weight: w,
      posWeight: w,
    });
    expect(logits.dtype).toBe("float32");
    expect(logits.item()).toBeCloseTo(1.2636429071426392, 6);
    // cross_entropy with class probabilities multiplies by weight out of place: promoted (labels:
    // the weight must have the input's dtype, above)
    const ce = F.crossEntropy(
      tensor([
        [0.1, 0.2, 0.3],
        [1, -1, 0],
      ]),
      tensor([
        [0.2, 0.3, 0.5],
        [1, 0, 0],
      ]),
      { weight: w },
    );
    expect(ce.dtype).toBe("float64");
    expect(ce.item()).toBeCloseTo(0.8683101199567318, 6);
  });
  it("a bool posWeight is refused as PyTorch's pos_weight - 1", () => {
    const x = randn([3]),
      t = tensor([0, 1, 1]),
      pw = tensor([true, false, true]);
    refuses(
      () => F.binaryCrossEntropyWithLogits(x, t, { posWeight: pw }),
      Error,
      "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
      x,
      t,
      pw,
    );
  });
  // The other operand mixes are golden error cases (test/golden/ops.json). PyTorch 1.13 casts a
  // bias of another float type on some of its convolution backends (small conv1d and conv3d) and
  // refuses it on others; jitgrad refuses it always, rather than convert it silently.
  it("conv1d: a bias of another float type, as conv2d", () => {
    const w = randn([3, 2, 2]),
      b = randn([3], { dtype: "float64" }),
      input = randn([1, 2, 5]);
    refuses(
      () => F.conv1d(input, w, b),
      Error,
      "Input type (float) and bias type (double) should be the same",
      input,
      w,
      b,
    );
  });
});

describe("modules", () => {
  it("Linear: sizes and options checked", () => {
    refuses(
      () => new nn.Linear(bad("a"), 2),
      TypeError,
      "must be tuple of ints, but found element of type str at pos 2",
    );
    refuses(
      () => new nn.Linear(3, -1),
      Error,
      "Trying to create tensor with negative dimension -1: [-1, 3]",
    );
    refuses(() => new nn.Linear(2.5, 2), TypeError, "found element of type float at pos 2");
    refuses(
      () => new nn.Linear(3, 2, bad({ bias: "no" })),
      TypeError,
      "Linear(): argument 'bias' must be bool, not str",
    );
    refuses(() => new nn.Linear(3, 2, bad({ dtype: "int64" })), TypeError, 'use "int32"');
    refuses(
      () => new nn.Linear(3, 2, bad({ device: "cpu" })),
      TypeError,
      'Linear(): unknown option "device"; the options are bias, dtype',
    );
    const lin = new nn.Linear(3, 2, { bias: false, dtype: "float64" });
    expect(lin.bias).toBeNull();
    expect(lin.weight.dtype).toBe("float64");
  });
  it("GELU, Dropout, Sequential, train", () => {
    refuses(
      () => new nn.GELU(bad({ approximate: "fast" })),
      Error,
      "approximate argument must be either none or tanh.",
    );
    refuses(
      () => new nn.GELU(bad({ approx: "tanh" })),
      TypeError,
      'GELU(): unknown option "approx"',
    );
    refuses(
      () => new nn.Dropout(bad("0.5")),
      TypeError,
      "Dropout(): argument 'p' (position 1) must be a number, not str",
    );
    refuses(
      () => new nn.Dropout(2),
      Error,
      "dropout probability has to be between 0 and 1, but got 2",
    );
    refuses(
      () => new nn.Sequential(new nn.ReLU(), bad(5)),
      TypeError,
      "Sequential(): argument 1 is not a Module (got int)",
    );
    refuses(
      () => new nn.ReLU().forward(bad(1)),
      TypeError,
      "ReLU.forward(): argument 'input' (position 1) must be Tensor, not int",
    );
    refuses(
      () => new nn.Identity().forward(bad("x")),
      TypeError,
      "Identity.forward(): argument 'input' (position 1) must be Tensor, not str",
    );
    refuses(
      () => new nn.Linear(2, 2).forward(bad([1, 2])),
      TypeError,
      "linear(): argument 'input' (position 1) must be Tensor, not list",
    );
    const m = new nn.Sequential(new nn.Linear(2, 2), new nn.Dropout(0.5));
    refuses(
      () => m.train(bad("false")),
      TypeError,
      "train(): argument 'mode' (position 1) must be bool, not str",
    );
    expect(m.training).toBe(true);
  });
  it("loadStateDict: options, inherited keys and bad values refused, the module unchanged", () => {
    const lin = new nn.Linear(2, 1);
    const state = lin.stateDict();
    refuses(
      () => lin.loadStateDict(state, bad({ strict: "no" })),
      TypeError,
      "load_state_dict(): argument 'strict' must be bool, not str",
      lin.weight,
    );
    refuses(
      () => lin.loadStateDict(state, bad({ Strict: false })),
      TypeError,
      'unknown option "Strict"',
    );
    refuses(() => lin.loadStateDict(bad(null)), TypeError, "expected a state dict");
    refuses(
      () =>
        lin.loadStateDict({
          ...state,
          weight: { shape: [1, 2], dtype: "float32", data: [1, bad("x")] },
        }),
      Error,
      'While copying the parameter named "weight": Could not infer dtype of str',
      lin.weight,
      lin.bias!,
    );
    refuses(
      () =>
        lin.loadStateDict({ ...state, bias: { shape: [1], dtype: bad("constructor"), data: [1] } }),
      Error,
      'unknown dtype "constructor"',
      lin.bias!,
    );
    const proto = Object.prototype as Record<string, unknown>;
    try {
      proto.bias = { shape: [1], dtype: "float32", data: [42] };
      const { bias: _, ...withoutBias } = state;
      refuses(
        () => lin.loadStateDict(withoutBias),
        Error,
        'Missing key(s) in state_dict: "bias"',
        lin.bias!,
      );
    } finally {
      delete proto.bias;
    }
  });
});
