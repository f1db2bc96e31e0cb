// nn, F and optim against PyTorch 1.13 (test/golden/nn.json, written by
// test/golden/make_nn_golden.py), plus compiled-vs-eager training and bad-input behaviour.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CompileError,
  compile,
  F,
  manualSeed,
  nn,
  noGrad,
  optim,
  randn,
  type Tensor,
  tensor,
} from "../../index";
import { uniformValues } from "../../nn/init";
import { expectClose, fromSpec as make, type Spec } from "../support/spec";

type State = Record<string, Spec>;
const golden = JSON.parse(readFileSync(join(import.meta.dirname, "../golden/nn.json"), "utf8"));

function expectStateClose(m: nn.Module, want: State, atol: number): void {
  const got = m.stateDict();
  expect(Object.keys(got)).toEqual(Object.keys(want));
  for (const k of Object.keys(want)) expectClose(make(got[k]), want[k], 0, atol);
}

function build(ctor: {
  kind: string;
  args?: number[];
  bias?: boolean;
  approximate?: "none" | "tanh";
  p?: number;
  eval?: boolean;
}): nn.Module {
  switch (ctor.kind) {
    case "Linear":
      return new nn.Linear(ctor.args![0], ctor.args![1], { bias: ctor.bias ?? true });
    case "ReLU":
      return new nn.ReLU();
    case "Tanh":
      return new nn.Tanh();
    case "GELU":
      return new nn.GELU({ approximate: ctor.approximate ?? "none" });
    case "Dropout": {
      const d = new nn.Dropout(ctor.p);
      return ctor.eval ? d.eval() : d;
    }
    case "MLP":
      return new nn.Sequential(
        new nn.Linear(3, 8),
        new nn.GELU(),
        new nn.Linear(8, 8),
        new nn.Tanh(),
        new nn.Linear(8, 2),
      );
    default:
      throw new Error(ctor.kind);
  }
}
// The model of the optimizer fixtures: Linear(4, 8), Tanh, Linear(8, 3)
const smallMlp = () => new nn.Sequential(new nn.Linear(4, 8), new nn.Tanh(), new nn.Linear(8, 3));

const fnName: Record<string, string> = {
  cross_entropy: "crossEntropy",
  nll_loss: "nllLoss",
  mse_loss: "mseLoss",
  log_softmax: "logSoftmax",
};
const jsKw = (kw: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(kw).map(([k, v]) => [k.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()), v]),
  );
type Fn = (...args: unknown[]) => Tensor;
const Ff = F as unknown as Record<string, Fn>;

describe("initialization matches torch.manual_seed draw for draw", () => {
  for (const c of golden.init) {
    it(`seed ${c.seed}: ${c.modules.map((m: { kind: string; args: unknown }) => `${m.kind}(${JSON.stringify(m.args)})`).join(", ")}`, () => {
      manualSeed(c.seed);
      for (const m of c.modules) {
        const mod =
          m.kind === "Linear"
            ? new nn.Linear(m.args[0], m.args[1], { bias: m.kw.bias ?? true })
            : new nn.Sequential(
                ...(m.args as number[][]).flatMap(([a, b], i, all) =>
                  i < all.length - 1 ? [new nn.Linear(a, b), new nn.ReLU()] : [new nn.Linear(a, b)],
                ),
              );
        const sd = mod.stateDict();
        expect(Object.keys(sd)).toEqual(Object.keys(m.state));
        for (const k of Object.keys(sd)) expect(sd[k]).toEqual(m.state[k]); // bit-exact
      }
    });
  }
  for (const c of golden.uniform) {
    it(`uniform_(${c.a}, ${c.b}) ${c.values.dtype}, seed ${c.seed}`, () => {
      manualSeed(c.seed);
      expect(Array.from(uniformValues(c.values.data.length, c.a, c.b, c.values.dtype))).toEqual(
        c.values.data,
      );
    });
  }
  for (const c of golden.dropout) {
    it(`F.dropout p=${c.p} ${c.x.dtype} [${c.x.shape}], seed ${c.seed}`, () => {
      manualSeed(c.seed);
      const y = F.dropout(make(c.x), c.p, true);
      expect(y.shape).toEqual(c.out.shape);
      expect(y.values()).toEqual(c.out.data);
    });
  }
});

describe("modules against PyTorch", () => {
  for (const c of golden.modules) {
    it(c.name, () => {
      const m = build(c.ctor);
      m.loadStateDict(c.state);
      const x = make(c.x, true);
      const y = m.forward(x);
      expectClose(y, c.out);
      expect(y.gradFn?.name ?? null).toBe(c.gradFn);
      y.mul(make(c.upstream)).sum().backward();
      expectClose(x.grad, c.gradX);
      const params = Object.fromEntries(m.namedParameters());
      expect(Object.keys(params)).toEqual(Object.keys(c.grads));
      for (const [k, g] of Object.entries(c.grads)) expectClose(params[k].grad, g as Spec);
      expect(String(m)).toBe(c.repr);
    });
  }
  for (const c of golden.functions) {
    it(`F.${fnName[c.fn] ?? c.fn} ${c.name}`, () => {
      const x = make(c.x, true);
      const kw = jsKw(c.kw);
      const y = "dim" in kw ? Ff[fnName[c.fn] ?? c.fn](x, kw.dim) : Ff[c.fn](x, kw);
      expectClose(y, c.out);
      expect(y.gradFn?.name).toBe(c.gradFn);
      y.mul(make(c.upstream)).sum().backward();
      // gelu tanh: where tanh saturates, PyTorch's vectorized tanhf gives exactly -1 and a zero
      // gradient; the correctly rounded -0.99999994 gives the true gradient, about -1e-6
      expectClose(x.grad, c.gradX, 1e-5, c.name === "gelu tanh" ? 3e-6 : 2e-6);
    });
  }
});

describe("losses against PyTorch", () => {
  for (const c of golden.losses) {
    it(c.name, () => {
      const x = make(c.input, true);
      const y = Ff[fnName[c.fn]](x, make(c.target), jsKw(c.kw));
      expectClose(y, c.out);
      expect(y.gradFn?.name).toBe(c.gradFn);
      y.mul(make(c.upstream)).sum().backward();
      expectClose(x.grad, c.gradInput);
    });
    it(`${c.name}, compiled`, () => {
      const f = compile((x: Tensor, t: Tensor) => Ff[fnName[c.fn]](x, t, jsKw(c.kw)));
      const x = make(c.input, true);
      const y = f(x, make(c.target));
      expectClose(y, c.out);
      y.mul(make(c.upstream)).sum().backward();
      expectClose(x.grad, c.gradInput);
    });
  }
});

describe("bad input: PyTorch's errors, nothing changed", () => {
  for (const c of golden.errors) {
    it(c.name, () => {
      const x = make(c.input, true),
        t = make(c.target);
      const before = [x.values(), t.values()];
      expect(() => Ff[fnName[c.fn]](x, t, jsKw(c.kw))).toThrow(c.error);
      expect([x.values(), t.values()]).toEqual(before);
      expect(x.grad).toBeNull();
    });
  }
  const ctor: Record<string, () => unknown> = {
    "non-leaf tensor": () =>
      new optim.SGD([randn([3], { requiresGrad: true }).mul(2)], { lr: 0.1 }),
    "empty parameter list": () => new optim.Adam([], { lr: 0.1 }),
    "negative lr": () => new optim.SGD([randn([3], { requiresGrad: true })], { lr: -0.5 }),
    "bad beta": () =>
      new optim.Adam([randn([3], { requiresGrad: true })], { lr: 0.1, betas: [1.0, 0.999] }),
    "nesterov without momentum": () =>
      new optim.SGD([randn([3], { requiresGrad: true })], { lr: 0.1, nesterov: true }),
  };
  for (const c of golden.optimErrors)
    it(`optimizer: ${c.name}`, () => expect(ctor[c.name]).toThrow(c.error));

  it("optimizer given a tensor that does not require grad (PyTorch 1.13 accepts it silently; jitgrad refuses)", () => {
    expect(() => new optim.SGD([randn([3])], { lr: 0.1 })).toThrow(
      "optimizing a parameter that doesn't require gradients",
    );
  });

  it("a training step with bad labels throws before anything is updated", () => {
    manualSeed(0);
    const model = smallMlp(),
      opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const x = randn([6, 4]),
      before = JSON.stringify(model.stateDict());
    for (const labels of [
      tensor([0, 1, 2, 3, 0, 1], { dtype: "int32" }),
      tensor([0, 1, 2, 0, 1, 2]),
      tensor([0, 1, 2], { dtype: "int32" }),
    ]) {
      expect(() => {
        opt.zeroGrad();
        const loss = F.crossEntropy(model.forward(x), labels);
        loss.backward();
        opt.step();
      }).toThrow();
      expect(JSON.stringify(model.stateDict())).toBe(before);
      expect(opt.momentumBuffers.every((b) => b === null)).toBe(true);
    }
  });

  it("a wrongly shaped input to a Linear layer: PyTorch's matmul error", () => {
    const l = new nn.Linear(4, 3);
    expect(() => l.forward(randn([5, 3]))).toThrow(
      "mat1 and mat2 shapes cannot be multiplied (5x3 and 4x3)",
    );
  });

  it("compiled: an out-of-range label raises PyTorch's error from inside the kernel, as eager does", () => {
    const f = compile((x: Tensor, t: Tensor) => F.crossEntropy(x, t));
    const x = randn([4, 3]);
    expect(f(x, tensor([0, 1, 2, 1], { dtype: "int32" })).item()).not.toBeNaN();
    expect(() => F.crossEntropy(x, tensor([0, 1, 3, 1], { dtype: "int32" }))).toThrow(
      "Target 3 is out of bounds.",
    );
    expect(() => f(x, tensor([0, 1, 3, 1], { dtype: "int32" }))).toThrow(
      "Target 3 is out of bounds.",
    );
    // labels captured from outside the function (not arguments) are checked the same way
    const captured = tensor([0, 1, 3, 1], { dtype: "int32" });
    expect(() => compile((y: Tensor) => F.crossEntropy(y, captured))(x)).toThrow(
      "Target 3 is out of bounds.",
    );
    expect(f(x, tensor([0, -100, 2, 1], { dtype: "int32" })).item()).not.toBeNaN(); // ignoreIndex
    expect(() => f(x, tensor([0, 1, 2, 1]))).toThrow("expected scalar type Long but found Float"); // dtype and shapes are known
  });

  it("dropout in training mode inside compile() is refused, eval mode compiles", () => {
    const d = new nn.Dropout(0.5);
    const f = compile((x: Tensor) => d.forward(x));
    expect(() => f(randn([3]))).toThrow(CompileError);
    d.eval();
    const x = randn([3]);
    expect(compile((y: Tensor) => d.forward(y))(x).values()).toEqual(x.values());
  });

  it("loadStateDict: PyTorch's errors, and a failed load changes nothing", () => {
    const m = smallMlp(),
      before = m.stateDict();
    const bad = {
      ...before,
      "2.weight": { ...before["2.weight"], shape: [8, 3] },
      extra: before["0.bias"],
    };
    delete (bad as Record<string, unknown>)["0.bias"];
    expect(() => m.loadStateDict(bad)).toThrow(
      'Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: "0.bias". \n\tUnexpected key(s) in state_dict: "extra". \n\t' +
        "size mismatch for 2.weight: copying a param with shape torch.Size([8, 3]) from checkpoint, the shape in current model is torch.Size([3, 8]).",
    );
    expect(m.stateDict()).toEqual(before);
  });
});

describe("optimizers against PyTorch: weights after each step", () => {
  const { initial, runs } = golden.optim;
  const x = make(golden.optim.x),
    y = make(golden.optim.y);
  for (const run of runs) {
    for (const mode of ["compiled step", "eager step", "compiled loss and step"] as const) {
      it(`${run.name} (${mode})`, () => {
        const model = smallMlp();
        model.loadStateDict(initial);
        const kw = { ...jsKw(run.kw), compiled: mode !== "eager step" };
        const opt =
          run.kind === "SGD"
            ? new optim.SGD(model.parameters(), kw as optim.SGDOptions)
            : new optim.Adam(model.parameters(), kw as optim.AdamOptions);
        const lossFn =
          mode === "compiled loss and step"
            ? compile((a: Tensor, b: Tensor) => F.crossEntropy(model.forward(a), b))
            : (a: Tensor, b: Tensor) => F.crossEntropy(model.forward(a), b);
        for (const step of run.steps) {
          opt.zeroGrad();
          const loss = lossFn(x, y);
          expect(Math.abs(loss.item() - step.loss)).toBeLessThan(1e-5);
          loss.backward();
          opt.step();
          expectStateClose(model, step.state, 1e-5);
        }
      });
    }
  }

  it("the update of all parameters is a few fused kernels (one per parameter), not one per op", () => {
    const model = new nn.Sequential(
      new nn.Linear(4, 8),
      new nn.ReLU(),
      new nn.Linear(8, 8),
      new nn.ReLU(),
      new nn.Linear(8, 3),
    );
    for (const opt of [
      new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 }),
      new optim.Adam(model.parameters(), { lr: 0.01, weightDecay: 1e-4 }),
    ]) {
      model.zeroGrad();
      F.crossEntropy(
        model.forward(randn([5, 4])),
        tensor([0, 1, 2, 0, 1], { dtype: "int32" }),
      ).backward();
      opt.step();
      const e = opt.explain();
      expect(e.forwardKernels).toBeLessThanOrEqual(model.parameters().length);
      expect(e.forwardKernels).toBeGreaterThan(0);
    }
  });

  it("a parameter without a grad is skipped; its state starts when it first gets one", () => {
    const a = randn([3], { requiresGrad: true }),
      b = randn([2], { requiresGrad: true });
    const a0 = a.values(),
      b0 = b.values();
    const opt = new optim.Adam([a, b], { lr: 0.1 });
    a.mul(a).sum().backward();
    opt.step();
    expect(b.values()).toEqual(b0);
    expect(a.values()).not.toEqual(a0);
    opt.zeroGrad();
    a.mul(b.sum()).sum().backward();
    opt.step(); // a at step 2, b at step 1: two groups with their own bias corrections
    expect(opt.steps).toEqual([2, 1]);
    // Adam's first step moves each element by lr (times the sign of its grad)
    const gb = 1; // b's grad is sum(a) per element; its sign decides the direction
    expect(b.values().map((v, i) => Math.abs(v - b0[i]))).toEqual(
      [0.1, 0.1].map((v) => expect.closeTo(v * gb, 5)),
    );
  });
});

describe("compiled training equals eager training", () => {
  it("crossEntropy(model(x), y) + SGD momentum: same losses and weights over 8 steps", () => {
    manualSeed(3);
    const make2 = () =>
      new nn.Sequential(
        new nn.Linear(2, 32),
        new nn.ReLU(),
        new nn.Linear(32, 32),
        new nn.GELU(),
        new nn.Linear(32, 4),
      );
    const eagerModel = make2(),
      compiledModel = make2();
    compiledModel.loadStateDict(eagerModel.stateDict());
    const x = randn([64, 2]),
      y = tensor(
        Array.from({ length: 64 }, (_, i) => (i * 7) % 4),
        { dtype: "int32" },
      );
    const eagerOpt = new optim.SGD(eagerModel.parameters(), {
      lr: 0.1,
      momentum: 0.9,
      weightDecay: 1e-3,
      compiled: false,
    });
    const compiledOpt = new optim.SGD(compiledModel.parameters(), {
      lr: 0.1,
      momentum: 0.9,
      weightDecay: 1e-3,
    });
    const step = compile((a: Tensor, b: Tensor) => F.crossEntropy(compiledModel.forward(a), b));
    for (let s = 0; s < 8; s++) {
      eagerOpt.zeroGrad();
      compiledOpt.zeroGrad();
      const le = F.crossEntropy(eagerModel.forward(x), y),
        lc = step(x, y);
      expect(lc.item()).toBeCloseTo(le.item(), 5);
      le.backward();
      lc.backward();
      eagerOpt.step();
      compiledOpt.step();
    }
    expect(step.stats.compiles).toBe(1);
    const e = eagerModel.stateDict(),
      c = compiledModel.stateDict();
    for (const k of Object.keys(e)) expectClose(make(c[k]), e[k], 1e-4, 1e-5);
  });

  it("Adam, with grads from the compiled loss, matches the eager loop", () => {
    manualSeed(4);
    const a = smallMlp(),
      b = smallMlp();
    b.loadStateDict(a.stateDict());
    const x = randn([10, 4]),
      y = tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0], { dtype: "int32" });
    const oa = new optim.Adam(a.parameters(), { lr: 0.01, compiled: false }),
      ob = new optim.Adam(b.parameters(), { lr: 0.01 });
    const lossB = compile((u: Tensor, v: Tensor) => F.crossEntropy(b.forward(u), v));
    for (let s = 0; s < 6; s++) {
      oa.zeroGrad();
      ob.zeroGrad();
      const la = F.crossEntropy(a.forward(x), y),
        lb = lossB(x, y);
      expect(lb.item()).toBeCloseTo(la.item(), 5);
      la.backward();
      lb.backward();
      oa.step();
      ob.step();
    }
  });
});

describe("Module", () => {
  it("stateDict is plain JSON data that round-trips exactly", () => {
    const m = smallMlp(),
      copy = smallMlp();
    copy.loadStateDict(JSON.parse(JSON.stringify(m.stateDict())));
    expect(copy.stateDict()).toEqual(m.stateDict());
  });
  it("zeroGrad sets grads to null; train()/eval() reach every submodule", () => {
    const m = new nn.Sequential(new nn.Linear(2, 2), new nn.Sequential(new nn.Dropout(0.5)));
    m.forward(randn([3, 2]))
      .sum()
      .backward();
    expect(m.parameters().every((p) => p.grad !== null)).toBe(true);
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
    m.eval();
    expect(m.modules().every((x) => !x.training)).toBe(true);
    m.train();
    expect(m.modules().every((x) => x.training)).toBe(true);
  });
  it("parameters are leaves that require grad; custom modules register them with nn.parameter", () => {
    class Affine extends nn.Module {
      scale = nn.parameter(tensor([2]));
      inner = new nn.Linear(1, 1);
      forward(x: Tensor) {
        return this.inner.forward(x).mul(this.scale);
      }
    }
    const m = new Affine();
    expect(m.namedParameters().map(([n]) => n)).toEqual(["scale", "inner.weight", "inner.bias"]);
    expect(m.parameters().every((p) => p.isLeaf && p.requiresGrad)).toBe(true);
    expect(String(m)).toBe(
      "Affine(\n  (inner): Linear(in_features=1, out_features=1, bias=True)\n)",
    );
  });
  it("Dropout in eval mode is the identity, in train mode keeps about 1 - p", () => {
    const x = randn([2000]);
    const d = new nn.Dropout(0.25);
    const kept =
      d
        .forward(x)
        .values()
        .filter((v) => v !== 0).length / 2000;
    expect(kept).toBeGreaterThan(0.7);
    expect(kept).toBeLessThan(0.8);
    expect(d.eval().forward(x)).toBe(x);
  });
  it("erf: exact to double precision, gradient 2/sqrt(pi) exp(-x^2)", () => {
    const x = tensor([-3, -0.5, 0, 0.2, 1, 2.5], { dtype: "float64", requiresGrad: true });
    const want = [
      -0.9999779095030014, -0.5204998778130465, 0, 0.22270258921047845, 0.8427007929497149,
      0.999593047982555,
    ];
    const y = x.erf();
    y.values().forEach((v, i) => expect(v).toBeCloseTo(want[i], 15));
    y.sum().backward();
    x.grad!.values().forEach((g, i) =>
      expect(g).toBeCloseTo((2 / Math.sqrt(Math.PI)) * Math.exp(-(x.values()[i] ** 2)), 14),
    );
    noGrad(() => expect(compile((t: Tensor) => t.erf())(x).values()).toEqual(y.values()));
  });
});

describe("core fixes found while building nn", () => {
  it("copy_ raises PyTorch's error for shapes that do not broadcast, and changes nothing", () => {
    const z = tensor([[1, 2, 3, 4]])
      .expand(8, 4)
      .contiguous();
    const before = z.values();
    expect(() => z.copy_(tensor(new Float32Array(32)))).toThrow(
      "The size of tensor a (4) must match the size of tensor b (32) at non-singleton dimension 1",
    );
    expect(z.values()).toEqual(before);
  });
  it("a broadcasting copy_ inside compile() writes the broadcast value back", () => {
    const f = compile((a: Tensor, b: Tensor) => {
      a.copy_(b);
      return a.mul(1);
    });
    const a = tensor(new Float32Array(6), { shape: [2, 3] });
    expect(noGrad(() => f(a, tensor([5, 6, 7]))).values()).toEqual([5, 6, 7, 5, 6, 7]);
    expect(a.values()).toEqual([5, 6, 7, 5, 6, 7]);
  });
  it("tensor(array, { shape }) uses the shape (it was ignored for JS arrays)", () => {
    expect(tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3] }).shape).toEqual([2, 3]);
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow(
      "shape '[2, 2]' is invalid for input of size 3",
    );
  });
});
