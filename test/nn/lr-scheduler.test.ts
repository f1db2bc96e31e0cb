// lr schedulers against PyTorch 1.13 (test/golden/optim.json): the lr of each group (and momentum or
// beta1 where OneCycleLR cycles it) after construction and after every step, 1.13's recursive
// values; state dicts; bad options with PyTorch's messages.
import { describe, expect, it } from "vitest";
import { optim, type Tensor, tensor, zeros } from "../../index";
import { golden, goldenError } from "../support/optim-golden";

const { lrScheduler } = optim;
type Sched = { step(): void; getLastLr(): number[] };
const ctors = lrScheduler as unknown as Record<string, new (o: unknown, opts?: unknown) => Sched>;

const LAMBDAS: Record<string, (e: number) => number> = {
  "0.95 ** epoch": (e) => 0.95 ** e,
  "1 / (epoch + 1)": (e) => 1 / (e + 1),
  "epoch % 3 + 1": (e) => (e % 3) + 1,
};
// two groups, lr 0.1 and 0.05 (SGD with momentum 0.9, or Adam), as the fixtures' optimizer
function twoGroups(kind: "SGD" | "Adam" = "SGD") {
  const ps = [zeros([2], { requiresGrad: true }), zeros([3], { requiresGrad: true })];
  const groups = [{ params: [ps[0]] }, { params: [ps[1]], lr: 0.05 }];
  return kind === "Adam"
    ? new optim.Adam(groups, { lr: 0.1 })
    : new optim.SGD(groups, { lr: 0.1, momentum: 0.9 });
}
const momenta = (opt: optim.Optimizer<object>) =>
  opt.paramGroups.map((g) => {
    const o = g as { betas?: number[]; momentum?: number };
    return o.betas ? o.betas[0] : o.momentum;
  });
function expectUlps(got: number[][], want: number[][]): void {
  expect(got.length).toBe(want.length);
  got.forEach((l, i) =>
    l.forEach((v, g) => expect(Math.abs(v - want[i][g])).toBeLessThanOrEqual(1e-15 * want[i][g])),
  );
}
function schedulerOptions(kind: string, options: Record<string, unknown>) {
  const o: Record<string, unknown> = { ...options };
  if ("TMax" in o) {
    o.tMax = o.TMax;
    delete o.TMax;
  }
  if (kind === "LambdaLR" || kind === "MultiplicativeLR") {
    const f = o.lrLambda as string | string[];
    o.lrLambda = Array.isArray(f) ? f.map((x) => LAMBDAS[x]) : LAMBDAS[f];
  }
  return o;
}

describe("lr sequences against PyTorch 1.13", () => {
  for (const run of golden.schedulers.filter((r) => r.kind !== "SequentialLR")) {
    it(`${run.kind}: ${run.name}`, () => {
      const opt = twoGroups(run.optimizer);
      const s = new ctors[run.kind](opt, schedulerOptions(run.kind, run.options));
      const lrs = [s.getLastLr()],
        moms = [momenta(opt)];
      for (let i = 1; i < run.lrs.length; i++) {
        opt.step(); // no grads: nothing to update, as PyTorch's loop calls it
        s.step();
        lrs.push(s.getLastLr());
        moms.push(momenta(opt));
      }
      // 1.13's recursive formulas in the same order: equal (StepLR, LinearLR, ...), but for V8's
      // Math.cos and glibc's cos differing in the last bit (cos(6 pi / 5)), a difference the
      // recursive CosineAnnealingLR carries on: a few ulps
      expectUlps(lrs, run.lrs);
      if (run.kind === "OneCycleLR") expectUlps(moms as number[][], run.momenta!);
      expect((s as unknown as { lastEpoch: number }).lastEpoch).toBe(run.lastEpoch);
      expect(opt.paramGroups.map((g) => g.lr)).toEqual(s.getLastLr());
    });
  }
  it("SequentialLR: ConstantLR then ExponentialLR (closed form at the milestone)", () => {
    const run = golden.schedulers.find((r) => r.kind === "SequentialLR")!;
    const opt = twoGroups();
    const s1 = new lrScheduler.ConstantLR(opt, { factor: 0.1, totalIters: 2 });
    const s2 = new lrScheduler.ExponentialLR(opt, { gamma: 0.9 });
    const seq = new lrScheduler.SequentialLR(opt, { schedulers: [s1, s2], milestones: [3] });
    const lrs = [seq.getLastLr()];
    for (let i = 1; i < run.lrs.length; i++) {
      seq.step();
      lrs.push(seq.getLastLr());
    }
    lrs.forEach((l, i) => l.forEach((v, g) => expect(v).toBe(run.lrs[i][g])));
  });
  for (const run of golden.plateau) {
    it(`ReduceLROnPlateau: ${run.name}`, () => {
      const opt = twoGroups();
      const s = new lrScheduler.ReduceLROnPlateau(opt, run.options as never);
      run.metrics.forEach((m, i) => {
        s.step(i % 2 ? m : tensor(m, { dtype: "float64" }));
        expect(opt.paramGroups.map((g) => g.lr)).toEqual(run.lrs[i]);
      });
      expect(s.getLastLr()).toEqual(run.lrs.at(-1));
    });
  }
});

describe("schedulers drive the compiled update without recompiling", () => {
  it("OneCycleLR on SGD: lr and momentum change every step, one compile after the first step", () => {
    const p = zeros([4], { requiresGrad: true });
    const opt = new optim.SGD([p], { lr: 0.1, momentum: 0.9 });
    const s = new lrScheduler.OneCycleLR(opt, { maxLr: 1, totalSteps: 8 });
    for (let i = 0; i < 8; i++) {
      p.grad = tensor([1, -1, 2, 0.5]);
      opt.step();
      s.step();
    }
    expect(opt.stats).toMatchObject({ calls: 8, compiles: 2 }); // first momentum step, then the rest
  });
});

describe("state dicts", () => {
  it("StepLR, CosineAnnealingLR, OneCycleLR, ReduceLROnPlateau: save mid-way, load, same lrs", () => {
    const makers: [string, (o: optim.Optimizer<object>) => Sched & { stateDict(): object }][] = [
      ["StepLR", (o) => new lrScheduler.StepLR(o, { stepSize: 2, gamma: 0.5 })],
      ["CosineAnnealingLR", (o) => new lrScheduler.CosineAnnealingLR(o, { tMax: 3 })],
      ["OneCycleLR", (o) => new lrScheduler.OneCycleLR(o, { maxLr: 0.5, totalSteps: 12 })],
      ["MultiStepLR", (o) => new lrScheduler.MultiStepLR(o, { milestones: [1, 4] })],
    ];
    for (const [, make] of makers) {
      const a = twoGroups(),
        sa = make(a);
      for (let i = 0; i < 4; i++) sa.step();
      const savedOpt = JSON.parse(JSON.stringify(a.stateDict())),
        saved = JSON.parse(JSON.stringify(sa.stateDict()));
      const b = twoGroups(),
        sb = make(b);
      b.loadStateDict(savedOpt);
      (sb as unknown as { loadStateDict(s: object): void }).loadStateDict(saved);
      for (let i = 0; i < 5; i++) {
        sa.step();
        sb.step();
        expect(sb.getLastLr()).toEqual(sa.getLastLr());
        expect(momenta(b)).toEqual(momenta(a));
      }
    }
    const a = twoGroups();
    const pa = new lrScheduler.ReduceLROnPlateau(a, { patience: 1 });
    for (const m of [3, 2, 2, 2]) pa.step(m);
    const state = JSON.parse(JSON.stringify(pa.stateDict()));
    const b = twoGroups();
    b.loadStateDict(a.stateDict());
    const pb = new lrScheduler.ReduceLROnPlateau(b, { patience: 1 });
    pb.loadStateDict(state);
    for (const m of [2, 2, 1, 1, 1]) {
      pa.step(m);
      pb.step(m);
      expect(pb.getLastLr()).toEqual(pa.getLastLr());
    }
  });
  it("a refused scheduler load changes nothing", () => {
    const opt = twoGroups();
    const s = new lrScheduler.StepLR(opt, { stepSize: 2 });
    s.step();
    const before = s.stateDict();
    expect(() => s.loadStateDict({ ...before, stepSize: 0 })).toThrow(
      "stepSize must be a positive integer, got 0",
    );
    expect(() => s.loadStateDict({ ...before, baseLrs: [0.1] })).toThrow(
      "baseLrs has 1 values for 2 groups",
    );
    expect(() => s.loadStateDict({ ...before, verbose: true })).toThrow('unknown option "verbose"');
    expect(s.stateDict()).toEqual(before);
  });
  it("resuming with lastEpoch needs initialLr in the groups (PyTorch's KeyError)", () => {
    expect(() => new lrScheduler.ExponentialLR(twoGroups(), { gamma: 0.9, lastEpoch: 3 })).toThrow(
      "param 'initialLr' is not specified in paramGroups[0] when resuming an optimizer",
    );
  });
});

describe("bad options (PyTorch's messages)", () => {
  const p = () => zeros([3], { requiresGrad: true });
  const sgd = () => new optim.SGD([p()], { lr: 0.1, momentum: 0.9 });
  const cases: [string, () => unknown][] = [
    ["LinearLR start factor", () => new lrScheduler.LinearLR(sgd(), { startFactor: 1.5 })],
    ["ConstantLR factor", () => new lrScheduler.ConstantLR(sgd(), { factor: 1.5 })],
    ["ReduceLROnPlateau factor", () => new lrScheduler.ReduceLROnPlateau(sgd(), { factor: 1 })],
    [
      "ReduceLROnPlateau mode",
      () => new lrScheduler.ReduceLROnPlateau(sgd(), { mode: "avg" as never }),
    ],
    ["OneCycleLR total steps", () => new lrScheduler.OneCycleLR(sgd(), { maxLr: 1 })],
    [
      "OneCycleLR momentum",
      () => new lrScheduler.OneCycleLR(new optim.Adagrad([p()]), { maxLr: 1, totalSteps: 5 }),
    ],
    ["LambdaLR count", () => new lrScheduler.LambdaLR(sgd(), [() => 1, () => 1])],
  ];
  for (const [name, make] of cases) it(name, () => expect(make).toThrow(goldenError(name)));
  it("OneCycleLR stepped past totalSteps: PyTorch's error, nothing changed", () => {
    const opt = sgd();
    const s = new lrScheduler.OneCycleLR(opt, { maxLr: 1, totalSteps: 2 });
    s.step();
    s.step();
    const lr = opt.paramGroups[0].lr;
    expect(() => s.step()).toThrow(goldenError("OneCycleLR overstep"));
    expect(opt.paramGroups[0].lr).toBe(lr);
    expect(s.lastEpoch).toBe(2);
  });
  it("not an optimizer, unknown and mistyped options", () => {
    expect(() => new lrScheduler.StepLR(5 as never, { stepSize: 1 })).toThrow(
      "int is not an Optimizer",
    );
    expect(() => new lrScheduler.StepLR(sgd(), { stepSize: 1, verbose: true } as never)).toThrow(
      'StepLR(): unknown option "verbose"',
    );
    expect(() => new lrScheduler.StepLR(sgd(), { stepSize: 1.5 })).toThrow(
      "StepLR(): argument 'stepSize' must be int",
    );
    expect(() => new lrScheduler.CosineAnnealingLR(sgd(), {} as never)).toThrow(
      "CosineAnnealingLR(): argument 'tMax' must be int, not undefined",
    );
    expect(() => new lrScheduler.LambdaLR(sgd(), { lrLambda: 3 as never })).toThrow(
      "lrLambda must be a function, not int",
    );
    expect(() => new lrScheduler.StepLR(sgd(), { stepSize: 1 }).step(3 as never)).toThrow(
      "StepLR.step() takes no epoch (deprecated in PyTorch); use stepTo(epoch)",
    );
    const s = new lrScheduler.ReduceLROnPlateau(sgd());
    expect(() => s.step(1, 4 as never)).toThrow("takes the metric only");
    expect(() => s.step("0.5" as never)).toThrow("argument 'metrics' must be a number, not str");
    expect(() => s.step(tensor([1, 2]) as Tensor)).toThrow();
  });
});
