// Optimizers against PyTorch 1.13 (test/golden/optim.json): parameters after each step for every
// optimizer and option combination, float32 and float64, compiled and eager; parameter groups,
// lr changes, parameters without grads; state dicts (PyTorch's contents, round trips, refusals);
// the update's compilation (one call for all groups, call-time hyper-parameters).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { manualSeed, noGrad, optim, randn, type Tensor, tensor } from "../../index";
import {
  expectClose,
  golden,
  goldenError,
  make,
  type OptimRun,
  type Spec,
} from "../support/optim-golden";

type AnyOptimizer = optim.Optimizer<Record<string, unknown>>;
const ctors = optim as unknown as Record<
  string,
  new (
    params: unknown,
    options?: unknown,
  ) => AnyOptimizer
>;
const tol = (dtype: string) => (dtype === "float32" ? [2e-5, 2e-6] : [1e-10, 1e-12]);

function build(run: OptimRun, compiled: boolean) {
  const ps = run.initial.map((s) => make(s, true));
  const groups =
    run.groups === null
      ? ps
      : run.groups.map(({ params, ...g }) => ({ params: params.map((i) => ps[i]), ...g }));
  return { ps, opt: new ctors[run.kind](groups, { ...run.options, compiled }) };
}
function takeStep(run: OptimRun, ps: Tensor[], opt: AnyOptimizer, s: number): void {
  const step = run.steps[s];
  if (step.lr) step.lr.forEach((lr, i) => (opt.paramGroups[i].lr = lr));
  step.grads.forEach((g, i) => (ps[i].grad = g === null ? null : make(g)));
  opt.step();
}
// a state dict with plain data instead of tensors, through JSON (what a file would hold)
const plain = (sd: unknown) =>
  JSON.parse(
    JSON.stringify(sd, (_, v) =>
      v !== null && typeof v === "object" && "storage" in v
        ? { shape: v.shape, dtype: v.dtype, data: (v as Tensor).values() }
        : v,
    ),
  );

describe("optimizers against PyTorch 1.13: parameters after each step", () => {
  for (const run of golden.optimizers) {
    for (const compiled of [true, false]) {
      it(`${run.kind}: ${run.name}, ${run.dtype} (${compiled ? "compiled" : "eager"})`, () => {
        const { ps, opt } = build(run, compiled);
        const [rtol, atol] = tol(run.dtype);
        run.steps.forEach((step, s) => {
          takeStep(run, ps, opt, s);
          step.params.forEach((want, i) => expectClose(ps[i], want, rtol, atol));
        });
        if (compiled) expect(opt.stats.calls).toBe(run.steps.length); // one call per step
      });
    }
  }
});

describe("state dicts", () => {
  for (const run of golden.optimizers.filter((r) => r.dtype === "float64")) {
    it(`${run.kind}: ${run.name}: PyTorch's state and groups (camelCase)`, () => {
      const { ps, opt } = build(run, true);
      run.steps.forEach((_, s) => takeStep(run, ps, opt, s));
      const sd = opt.stateDict(),
        want = run.stateDict;
      expect(sd.paramGroups).toEqual(want.paramGroups);
      expect(Object.keys(sd.state)).toEqual(Object.keys(want.state));
      for (const [id, ws] of Object.entries(want.state)) {
        const got = sd.state[id];
        // PyTorch's SGD keeps a None buffer without momentum
        const wanted = Object.entries(ws).filter(
          (e): e is [string, Spec | number] => e[1] !== null,
        );
        expect(Object.keys(got).sort()).toEqual(wanted.map(([k]) => k).sort());
        for (const [k, v] of wanted) {
          if (typeof v === "number") expect(got[k]).toBe(v);
          else expectClose(got[k] as Tensor, v, 1e-10, 1e-12);
        }
      }
    });
  }

  for (const run of golden.optimizers.filter((r) => r.dtype === "float32")) {
    it(`${run.kind}: ${run.name}: save after 2 steps, load into a new optimizer, same next steps`, () => {
      const a = build(run, true);
      for (const s of [0, 1]) takeStep(run, a.ps, a.opt, s);
      const saved = plain(a.opt.stateDict());
      const b = build(run, true);
      b.ps.forEach((p, i) => p.data.copy_(a.ps[i]));
      b.opt.loadStateDict(saved);
      expect(plain(b.opt.stateDict())).toEqual(saved);
      for (let s = 2; s < run.steps.length; s++) {
        takeStep(run, a.ps, a.opt, s);
        takeStep(run, b.ps, b.opt, s);
        b.ps.forEach((p, i) => expect(p.values()).toEqual(a.ps[i].values()));
      }
    });
  }

  const twoGroups = () => {
    const ps = [0, 1, 2].map(() => randn([3], { requiresGrad: true }));
    const opt = new optim.Adam([{ params: [ps[0], ps[1]] }, { params: [ps[2]], lr: 0.1 }]);
    for (const p of ps) p.grad = randn([3]);
    opt.step();
    return { ps, opt };
  };
  it("a refused load changes nothing (PyTorch's errors for group count and sizes)", () => {
    const { opt } = twoGroups();
    const before = plain(opt.stateDict());
    const refuse = (sd: unknown, message: string) => {
      expect(() => opt.loadStateDict(sd as optim.SavedState)).toThrow(message);
      expect(plain(opt.stateDict())).toEqual(before);
    };
    const edit = (f: (sd: ReturnType<typeof plain>) => void) => {
      const sd = plain(opt.stateDict());
      f(sd);
      return sd;
    };
    refuse(
      edit((sd) => sd.paramGroups.pop()),
      goldenError("load: group count"),
    );
    refuse(
      edit((sd) => sd.paramGroups[1].params.push(3)),
      goldenError("load: group size"),
    );
    refuse(
      edit((sd) => (sd.state[0].expAvg = { shape: [4], dtype: "float32", data: [1, 2, 3, 4] })),
      "state[0].expAvg has shape [4], but its parameter has shape [3]",
    );
    refuse(
      edit((sd) => (sd.state[0].momentumBuffer = sd.state[0].expAvg)),
      'unknown option "momentumBuffer"',
    );
    refuse(
      edit((sd) => (sd.state[7] = sd.state[0])),
      "state for parameter 7, which is in no parameter group",
    );
    refuse(
      edit((sd) => (sd.paramGroups[1].lr = -1)),
      "Invalid learning rate: -1",
    );
    refuse(
      edit((sd) => (sd.paramGroups[0].foreach = true)),
      'unknown option "foreach"',
    );
    refuse(null, "expected a state dict ({ state, paramGroups }), got null");
  });
  it("loads PyTorch 1.13's step counts saved as 0-d tensors, and casts state to the parameter dtype", () => {
    const { opt } = twoGroups();
    const sd = opt.stateDict();
    sd.state[0].step = tensor(5);
    sd.state[1].expAvg = tensor([1, 2, 3], { dtype: "float64" });
    opt.loadStateDict(sd);
    expect(opt.state.get(opt.params[0])?.step).toBe(5);
    expect((opt.state.get(opt.params[1])?.expAvg as Tensor | undefined)?.dtype).toBe("float32");
  });
});

describe("parameter groups and call-time hyper-parameters", () => {
  const setup = () => {
    const ps = [randn([4], { requiresGrad: true }), randn([2, 2], { requiresGrad: true })];
    const grads = () => ps.forEach((p) => (p.grad = randn(p.shape)));
    return { ps, grads };
  };
  it("lr and momentum changed every step (a scheduler) never recompile; structure recompiles once", () => {
    const { ps, grads } = setup();
    const opt = new optim.SGD([{ params: [ps[0]] }, { params: [ps[1]], lr: 0.5 }], {
      lr: 0.1,
      momentum: 0.9,
    });
    for (let s = 0; s < 6; s++) {
      grads();
      opt.paramGroups[0].lr = 0.1 / (s + 1);
      opt.paramGroups[1].momentum = 0.5 + s / 20;
      opt.step();
    }
    // the first step (buffers start as the gradient) and the later ones are two structures
    expect(opt.stats).toMatchObject({ calls: 6, compiles: 2 });
    opt.paramGroups[0].nesterov = true;
    grads();
    opt.step();
    grads();
    opt.step();
    expect(opt.stats).toMatchObject({ calls: 8, compiles: 3 });
  });
  it("a changed lr is honoured by the next step (compiled equals eager with the same changes)", () => {
    const { ps } = setup();
    const qs = ps.map((p) => p.detach().clone().requiresGrad_());
    const a = new optim.Adam(ps, { lr: 0.1 }),
      b = new optim.Adam(qs, { lr: 0.1, compiled: false });
    for (let s = 0; s < 4; s++) {
      const gs = ps.map((p) => randn(p.shape));
      ps.forEach((p, i) => (p.grad = gs[i]));
      qs.forEach((q, i) => (q.grad = gs[i].clone()));
      a.paramGroups[0].lr = b.paramGroups[0].lr = 0.1 * 0.5 ** s;
      a.step();
      b.step();
    }
    ps.forEach((p, i) => expectClose(p, { ...qs[i], data: qs[i].values() }, 1e-6, 1e-7));
  });
  it("addParamGroup: the new group's options, checked; its parameters join the same update call", () => {
    const { ps, grads } = setup();
    const opt = new optim.RMSprop([ps[0]], { lr: 0.01 });
    expect(() => opt.addParamGroup({ params: [ps[0]] })).toThrow(
      goldenError("duplicate parameter in two groups"),
    );
    expect(() => opt.addParamGroup({ params: [ps[1]], alpha: -1 })).toThrow(
      "Invalid alpha value: -1",
    );
    expect(() => opt.addParamGroup({ params: [ps[1]], beta: 1 } as never)).toThrow(
      'RMSprop.addParamGroup(): unknown option "beta"',
    );
    expect(() => opt.addParamGroup({ params: new Set([ps[1]]) })).toThrow(
      "the ordering of tensors in sets will change between runs",
    );
    expect(opt.paramGroups.length).toBe(1);
    opt.addParamGroup({ params: ps[1], centered: true });
    expect(opt.paramGroups[1]).toMatchObject({ lr: 0.01, alpha: 0.99, centered: true });
    grads();
    opt.step();
    expect(opt.stats.calls).toBe(1);
  });
  it("a bad option written into a group is refused at the next step, nothing updated", () => {
    const { ps, grads } = setup();
    const opt = new optim.AdamW(ps);
    grads();
    const before = ps.map((p) => p.values());
    opt.paramGroups[0].betas = [0.9, 1.5];
    expect(() => opt.step()).toThrow(goldenError("Adamax beta"));
    opt.paramGroups[0].betas = [0.9, 0.999];
    opt.paramGroups[0].eps = "1e-8" as never;
    expect(() => opt.step()).toThrow(
      "AdamW.step(): argument 'paramGroups[0].eps' must be a number, not str",
    );
    expect(ps.map((p) => p.values())).toEqual(before);
    expect(opt.state.size).toBe(0);
  });
  it("the update of all parameters of all groups is a few fused kernels, one call", () => {
    const ps = [randn([8, 4]), randn([8]), randn([3, 8]), randn([3])].map((p) => p.requiresGrad_());
    for (const opt of [
      new optim.NAdam([{ params: ps.slice(0, 2) }, { params: ps.slice(2), lr: 0.1 }]),
      new optim.RMSprop([{ params: ps.slice(0, 2), centered: true }, { params: ps.slice(2) }], {
        momentum: 0.9,
      }),
      new optim.Adagrad(ps, { weightDecay: 0.1 }),
      new optim.Adadelta(ps),
      new optim.Adamax(ps),
    ]) {
      for (const p of ps) p.grad = randn(p.shape);
      const e = opt.explain();
      expect(e.forwardKernels).toBeGreaterThan(0);
      expect(e.forwardKernels).toBeLessThanOrEqual(ps.length);
    }
  });
});

describe("bad options (PyTorch's messages)", () => {
  const p = () => randn([3], { requiresGrad: true });
  const cases: [string, () => unknown][] = [
    ["SGD negative lr", () => new optim.SGD([p()], { lr: -1 })],
    [
      "SGD nesterov dampening",
      () => new optim.SGD([p()], { lr: 0.1, momentum: 0.9, nesterov: true, dampening: 0.1 }),
    ],
    ["RMSprop alpha", () => new optim.RMSprop([p()], { alpha: -0.5 })],
    ["RMSprop momentum", () => new optim.RMSprop([p()], { momentum: -0.5 })],
    ["Adagrad lr decay", () => new optim.Adagrad([p()], { lrDecay: -0.5 })],
    [
      "Adagrad initial accumulator",
      () => new optim.Adagrad([p()], { initialAccumulatorValue: -0.5 }),
    ],
    ["Adadelta rho", () => new optim.Adadelta([p()], { rho: 1.5 })],
    ["Adamax beta", () => new optim.Adamax([p()], { betas: [0.9, 1.5] })],
    ["NAdam momentum decay", () => new optim.NAdam([p()], { momentumDecay: -0.5 })],
    ["AdamW eps", () => new optim.AdamW([p()], { eps: -0.5 })],
    [
      "duplicate parameter in two groups",
      () => {
        const q = p();
        return new optim.SGD([{ params: [q] }, { params: [q] }], { lr: 0.1 });
      },
    ],
  ];
  for (const [name, make] of cases) it(name, () => expect(make).toThrow(goldenError(name)));
  it("options jitgrad does not implement are refused, not ignored", () => {
    expect(() => new optim.NAdam([p()], { maximize: true } as never)).toThrow(
      'NAdam(): unknown option "maximize"',
    );
    expect(() => new optim.Adam([p()], { foreach: true } as never)).toThrow(
      'Adam(): unknown option "foreach"',
    );
    expect(() => new optim.SGD([{ params: [p()], lr: 0.1, fused: true } as never], {})).toThrow(
      'SGD.addParamGroup(): unknown option "fused"',
    );
  });
  it("a group without lr and no default: PyTorch's error", () => {
    expect(() => new optim.SGD([{ params: [p()] }, { params: [p()], lr: 0.1 }], {})).toThrow(
      "parameter group didn't specify a value of required optimization parameter lr",
    );
    const opt = new optim.SGD([{ params: [p()], lr: 0.1 }], {});
    expect(opt.paramGroups[0].lr).toBe(0.1);
  });
});

describe("the compiled update equals the eager formula (random options, dtypes, gradients)", () => {
  const rate = fc.double({ min: 1e-3, max: 0.3, noNaN: true });
  const maybe = (x: fc.Arbitrary<number>) => fc.oneof(fc.constant(0), x);
  const common = { lr: rate, weightDecay: maybe(rate), maximize: fc.boolean() };
  const betas = fc.tuple(
    fc.double({ min: 0, max: 0.95, noNaN: true }),
    fc.double({ min: 0.5, max: 0.999, noNaN: true }),
  );
  const kinds: [string, fc.Arbitrary<Record<string, unknown>>][] = [
    [
      "SGD",
      fc
        .record({
          ...common,
          momentum: maybe(rate),
          dampening: maybe(rate),
          nesterov: fc.boolean(),
        })
        .map((o) => (o.nesterov ? { ...o, momentum: 0.9, dampening: 0 } : o)),
    ],
    ["Adam", fc.record({ ...common, betas, amsgrad: fc.boolean() })],
    ["AdamW", fc.record({ ...common, betas, amsgrad: fc.boolean() })],
    [
      "RMSprop",
      fc.record({
        ...common,
        alpha: fc.double({ min: 0.5, max: 0.99, noNaN: true }),
        momentum: maybe(rate),
        centered: fc.boolean(),
      }),
    ],
    [
      "Adagrad",
      fc.record({ ...common, lrDecay: maybe(rate), initialAccumulatorValue: maybe(rate) }),
    ],
    ["Adadelta", fc.record({ ...common, rho: fc.double({ min: 0.5, max: 0.99, noNaN: true }) })],
    ["Adamax", fc.record({ ...common, betas })],
    ["NAdam", fc.record({ lr: rate, weightDecay: maybe(rate), betas, momentumDecay: maybe(rate) })],
  ];
  for (const [kind, options] of kinds) {
    it(kind, () => {
      fc.assert(
        fc.property(
          options,
          fc.constantFrom("float32", "float64"),
          fc.nat(1000),
          (o, dtype, seed) => {
            manualSeed(seed);
            const a = [randn([5, 3], { dtype }), randn([4], { dtype })].map((p) =>
              p.requiresGrad_(),
            );
            const b = a.map((p) => p.detach().clone().requiresGrad_());
            const oa = new ctors[kind](a, { ...o, compiled: true }),
              ob = new ctors[kind](b, { ...o, compiled: false });
            for (let s = 0; s < 3; s++) {
              a.forEach((p, i) => {
                p.grad = randn(p.shape, { dtype });
                b[i].grad = p.grad.clone();
              });
              oa.step();
              ob.step();
            }
            const [rtol, atol] = dtype === "float32" ? [1e-4, 1e-5] : [1e-10, 1e-12];
            a.forEach((p, i) => expectClose(p, { ...b[i], data: b[i].values() }, rtol, atol));
          },
        ),
        { numRuns: 25 },
      );
    });
  }
});

describe("SGD and Adam as before groups existed", () => {
  it("options on the optimizer: the first group's, and setting one sets every group's", () => {
    const ps = [randn([2], { requiresGrad: true }), randn([2], { requiresGrad: true })];
    const sgd = new optim.SGD([{ params: [ps[0]] }, { params: [ps[1]], momentum: 0.5 }], {
      lr: 0.1,
      momentum: 0.9,
    });
    expect([sgd.lr, sgd.momentum, sgd.dampening, sgd.weightDecay, sgd.nesterov]).toEqual([
      0.1,
      0.9,
      0,
      0,
      false,
    ]);
    sgd.lr = 0.5;
    sgd.momentum = 0.8;
    expect(sgd.paramGroups.map((g) => [g.lr, g.momentum])).toEqual([
      [0.5, 0.8],
      [0.5, 0.8],
    ]);
    const adam = new optim.Adam(ps, { betas: [0.8, 0.9] });
    const b = adam.betas;
    b[0] = 0; // a copy
    expect([adam.betas, adam.eps, adam.weightDecay]).toEqual([[0.8, 0.9], 1e-8, 0]);
    adam.eps = 1e-6;
    expect(adam.paramGroups[0].eps).toBe(1e-6);
  });
});

describe("step(closure), zeroGrad(setToNone)", () => {
  it("the closure runs first with gradients enabled; its loss is returned", () => {
    const p = tensor([1, 2], { requiresGrad: true });
    const opt = new optim.SGD([p], { lr: 0.5 });
    const loss = noGrad(() =>
      opt.step(() => {
        opt.zeroGrad();
        const l = p.mul(p).sum();
        l.backward();
        return l;
      }),
    );
    expect(loss?.item()).toBe(5);
    expect(p.tolist()).toEqual([0, 0]); // p - 0.5 * 2p
    expect(() => opt.step(5 as never)).toThrow("SGD.step(): closure must be a function, not int");
  });
  it("zeroGrad(false) zeros the grads in place, zeroGrad() drops them", () => {
    const p = tensor([1, 2], { requiresGrad: true });
    const opt = new optim.Adam([p]);
    p.grad = tensor([3, 4]);
    const g = p.grad;
    opt.zeroGrad(false);
    expect(p.grad).toBe(g);
    expect(g.tolist()).toEqual([0, 0]);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
    expect(() => opt.zeroGrad("no" as never)).toThrow("must be bool, not str");
  });
});

describe("parameters of mixed dtypes and layouts", () => {
  it("float32 and float64 parameters, a transposed (non-contiguous) one: compiled equals eager", () => {
    manualSeed(9);
    const make = () => [
      randn([3, 4]).requiresGrad_(),
      randn([5], { dtype: "float64" }).requiresGrad_(),
      randn([4, 2]).t().requiresGrad_(),
    ];
    const a = make();
    const b = a.map((p) => p.detach().clone().requiresGrad_());
    const oa = new optim.RMSprop(a, { momentum: 0.9, centered: true, weightDecay: 0.1 }),
      ob = new optim.RMSprop(b, {
        momentum: 0.9,
        centered: true,
        weightDecay: 0.1,
        compiled: false,
      });
    for (let s = 0; s < 3; s++) {
      a.forEach((p, i) => {
        p.grad = randn(p.shape, { dtype: p.dtype });
        b[i].grad = p.grad.clone();
      });
      oa.step();
      ob.step();
    }
    expect(oa.stats.calls).toBe(3);
    a.forEach((p, i) => {
      expect(p.dtype).toBe(b[i].dtype);
      expectClose(p, { ...b[i], data: b[i].values() }, 1e-5, 1e-6);
    });
    expect(a[2].isContiguous()).toBe(false);
  });
});

describe("a user's own rule runs on the same machinery", () => {
  it("signSGD: p -= lr * sign(g), one compiled call, groups and state dicts for free", () => {
    const signSGD: optim.Rule = {
      name: "SignSGD",
      options: [{ name: "lr", kind: "number", default: 0.01 }],
      host: { step: 0 },
      advance: (_, s) => ({ step: (s.step as number) + 1 }),
      flagNames: [],
      flags: () => ({}),
      stateNames: () => [],
      scalarNames: ["lr"],
      scalars: (h) => ({ lr: h.lr as number }),
      update: ({ p, g, k }) => void p.sub_(g.sign().mul(k.lr)),
    };
    const a = tensor([1, 2, 3], { requiresGrad: true }),
      b = tensor([4, 5], { requiresGrad: true });
    const opt = new optim.Optimizer<{ lr: number }>(
      [{ params: [a] }, { params: [b], lr: 0.5 }],
      {},
      signSGD,
    );
    a.grad = tensor([3, -2, 0]);
    b.grad = tensor([-1, 1]);
    opt.step();
    expect(a.tolist()).toEqual([0.99, 2.01, 3].map(Math.fround));
    expect(b.tolist()).toEqual([4.5, 4.5]);
    expect(opt.stats.calls).toBe(1);
    expect(opt.stateDict()).toEqual({
      state: { 0: { step: 1 }, 1: { step: 1 } },
      paramGroups: [
        { lr: 0.01, params: [0] },
        { lr: 0.5, params: [1] },
      ],
    });
  });
});
