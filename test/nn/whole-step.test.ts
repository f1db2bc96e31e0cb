// compile() over a whole training step (issue 15, compiler/step.ts): zeroGrad, loss, backward(),
// optimizer.step() and in-place updates traced into one graph. Differential tests against the same
// step run eagerly: losses, parameters, .grad, optimizer state after every call, with and without
// zeroGrad, gradient accumulation over calls, parameters changed between calls, hyperparameters
// read at call time or baked with a guard, and eager's errors.
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

const INPLACE =
  "one of the variables needed for gradient computation has been modified by an inplace operation";
type Opt = optim.Optimizer<object>;
interface Setup {
  model: nn.Sequential;
  params: Tensor[];
  opt: Opt;
}
const make = (opt: (ps: Tensor[]) => Opt): Setup => {
  manualSeed(11);
  const model = new nn.Sequential(new nn.Linear(6, 8), new nn.ReLU(), new nn.Linear(8, 3));
  const params = model.parameters();
  return { model, params, opt: opt(params) };
};
manualSeed(12);
const x = randn([5, 6]),
  y = tensor([0, 1, 2, 1, 0], { dtype: "int32" });
const lossOf = (s: Setup) => F.crossEntropy(s.model.forward(x), y);

// every number of the two setups agree (float32 rounding of fused loops: 1e-5 relative)
function expectSame(e: Setup, c: Setup, what: string): void {
  const close = (a: Tensor | null, b: Tensor | null, name: string) => {
    if (a === null || b === null) {
      expect(b === null, `${what}: ${name} null in one`).toBe(a === null);
      return;
    }
    const av = a.values(),
      bv = b.values();
    av.forEach((v, i) =>
      expect(Math.abs(v - bv[i]), `${what}: ${name}[${i}]`).toBeLessThanOrEqual(
        1e-5 * (1 + Math.abs(v)),
      ),
    );
  };
  e.params.forEach((p, k) => {
    close(p, c.params[k], `param ${k}`);
    close(p.grad, c.params[k].grad, `grad ${k}`);
  });
  expect(c.opt.stepCount, `${what}: stepCount`).toBe(e.opt.stepCount);
  // every parameter's state: host numbers (step counts) equal, state tensors close
  e.params.forEach((p, k) => {
    const es = e.opt.state.get(p) ?? {},
      cs = c.opt.state.get(c.params[k]) ?? {};
    expect(Object.keys(cs).sort(), `${what}: state names ${k}`).toEqual(Object.keys(es).sort());
    for (const [n, v] of Object.entries(es)) {
      if (typeof v === "number") expect(cs[n], `${what}: ${n} ${k}`).toBe(v);
      else close(v, cs[n] as Tensor, `${n} ${k}`);
    }
  });
}

// The same step function, eager and compiled, from the same initial state, `calls` times.
function differential(
  opt: (ps: Tensor[]) => Opt,
  body: (s: Setup) => Tensor,
  calls = 4,
  between?: (s: Setup, i: number) => void,
) {
  const e = make(opt),
    c = make(opt);
  const step = compile(() => body(c));
  for (let i = 0; i < calls; i++) {
    const le = body(e),
      lc = step();
    expect(Math.abs(le.item() - lc.item())).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(le.item())));
    expectSame(e, c, `call ${i}`);
    between?.(e, i);
    between?.(c, i);
  }
  return step;
}

const fullStep = (s: Setup) => {
  s.opt.zeroGrad();
  const l = lossOf(s);
  l.backward();
  s.opt.step();
  return l;
};

describe("compile over a whole training step", () => {
  it("SGD with momentum, dampening and weight decay equals eager", () => {
    const step = differential(
      (ps) => new optim.SGD(ps, { lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }),
      fullStep,
      5,
    );
    // the first step (momentum buffers made) and the later ones: two traces, then cache hits
    expect(step.stats).toEqual({ calls: 5, compiles: 2, cacheHits: 3 });
  });

  it("SGD with Nesterov momentum, and plain SGD, equal eager", () => {
    differential((ps) => new optim.SGD(ps, { lr: 0.05, momentum: 0.8, nesterov: true }), fullStep);
    const step = differential((ps) => new optim.SGD(ps, { lr: 0.05 }), fullStep);
    expect(step.stats.compiles).toBe(1);
  });

  it("Adam (with weight decay) equals eager: moments, step counts, bias corrections", () => {
    differential((ps) => new optim.Adam(ps, { lr: 0.01 }), fullStep, 5);
    differential((ps) => new optim.Adam(ps, { lr: 0.01, weightDecay: 0.1, eps: 1e-6 }), fullStep);
  });

  it("without zeroGrad, gradients accumulate into .grad across calls as in eager", () => {
    const step = differential(
      (ps) => new optim.SGD(ps, { lr: 0.05, momentum: 0.5 }),
      (s) => {
        const l = lossOf(s);
        l.backward();
        s.opt.step();
        return l;
      },
      4,
    );
    // the first call has no .grad, the second a new one, then the same tensors accumulate in place
    expect(step.stats.compiles).toBeLessThanOrEqual(3);
  });

  it("accumulates gradients over two calls, then steps outside", () => {
    const opt = (ps: Tensor[]) => new optim.Adam(ps, { lr: 0.02 });
    const e = make(opt),
      c = make(opt);
    const accumulate = (s: Setup) => {
      const l = lossOf(s).mul(0.5);
      l.backward();
      return l;
    };
    const compiled = compile(() => accumulate(c));
    for (let round = 0; round < 3; round++) {
      for (const s of [e, c]) s.opt.zeroGrad();
      accumulate(e);
      accumulate(e);
      compiled();
      const g1 = c.params[0].grad!;
      compiled();
      expect(c.params[0].grad).toBe(g1); // the second call adds into the same tensor, as eager
      expectSame(e, c, `round ${round} accumulated`);
      e.opt.step();
      c.opt.step();
      expectSame(e, c, `round ${round} stepped`);
    }
  });

  it("sees parameters updated outside the step between calls", () => {
    differential(
      (ps) => new optim.SGD(ps, { lr: 0.1, momentum: 0.9 }),
      fullStep,
      4,
      (s, i) => noGrad(() => s.params[i % s.params.length].mul_(0.5)),
    );
  });

  it("reads hyperparameters at call time; a change of structure retraces", () => {
    const step = differential(
      (ps) => new optim.SGD(ps, { lr: 0.1, momentum: 0.9 }),
      fullStep,
      7,
      (s, i) => {
        const o = s.opt as optim.SGD;
        o.lr *= 0.5; // no retrace
        if (i === 2) o.momentum = 0.5; // no retrace: a 0-d tensor read at each call
        if (i === 4) o.weightDecay = 0.01; // a term more: retraces
      },
    );
    // the first step, the later ones, the later ones with weight decay
    expect(step.stats.compiles).toBe(3);
    const adam = differential(
      (ps) => new optim.Adam(ps, { lr: 0.01 }),
      fullStep,
      6,
      (s, i) => {
        const o = s.opt as optim.Adam,
          group = o.paramGroups[0];
        if (i === 1) o.betas = [0.8, 0.99]; // no retrace
        if (i === 2) group.amsgrad = true; // retraces once: a state tensor more
        if (i === 3) group.lr = 0.005;
      },
    );
    // the first call (its fresh state tensors are the ones later calls read), then amsgrad
    expect(adam.stats.compiles).toBe(2);
  });

  it("AdamW and RMSprop (centered, momentum) equal eager", () => {
    const adamw = differential(
      (ps) => new optim.AdamW(ps, { lr: 0.01, weightDecay: 0.05 }),
      fullStep,
      5,
      (s, i) => {
        if (i === 2) (s.opt as optim.AdamW).lr = 0.003;
      },
    );
    expect(adamw.stats.compiles).toBe(1); // the first step's fresh state is read from then on
    differential((ps) => new optim.AdamW(ps, { lr: 0.01, amsgrad: true }), fullStep, 4);
    differential((ps) => new optim.RMSprop(ps, { lr: 0.01 }), fullStep, 4);
    differential(
      (ps) =>
        new optim.RMSprop(ps, {
          lr: 0.01,
          alpha: 0.9,
          centered: true,
          momentum: 0.5,
          weightDecay: 0.01,
        }),
      fullStep,
      4,
    );
  });

  it("every other optimizer on main equals eager: Adagrad, Adadelta, Adamax, NAdam", () => {
    differential((ps) => new optim.Adagrad(ps, { lr: 0.05, lrDecay: 0.01 }), fullStep, 4);
    differential((ps) => new optim.Adadelta(ps, { lr: 0.5, weightDecay: 0.01 }), fullStep, 4);
    differential((ps) => new optim.Adamax(ps, { lr: 0.01 }), fullStep, 4);
    differential((ps) => new optim.NAdam(ps, { lr: 0.01, momentumDecay: 0.004 }), fullStep, 4);
  });

  it("parameter groups with their own options, and maximize, equal eager", () => {
    differential(
      (ps) =>
        new optim.Adam(
          [{ params: ps.slice(0, 2) }, { params: ps.slice(2), lr: 0.003, maximize: true }],
          { lr: 0.01 },
        ),
      fullStep,
      4,
    );
  });

  it("an lr scheduler stepping between calls never retraces", () => {
    const scheds = new Map<Opt, optim.lrScheduler.CosineAnnealingLR>(); // one per setup
    const step = differential(
      (ps) => new optim.AdamW(ps, { lr: 0.02 }),
      fullStep,
      5,
      (s) => {
        const o = s.opt as optim.AdamW;
        if (!scheds.has(o)) scheds.set(o, new optim.lrScheduler.CosineAnnealingLR(o, { tMax: 4 }));
        scheds.get(o)!.step();
      },
    );
    for (const sc of scheds.values()) expect(sc.getLastLr()[0]).toBeLessThan(0.01);
    expect(step.stats.compiles).toBe(1);
  });

  it("an invalid option set between calls raises eager's error and changes nothing", () => {
    const c = make((ps) => new optim.SGD(ps, { lr: 0.1 }));
    const step = compile(() => fullStep(c));
    step();
    step();
    const before = c.params.map((p) => p.values());
    (c.opt as optim.SGD).lr = -1;
    expect(() => step()).toThrow("Invalid learning rate: -1");
    c.params.forEach((p, k) => expect(p.values()).toEqual(before[k]));
    expect(c.opt.stepCount).toBe(2);
  });

  it("refuses two steps of one optimizer in one compiled function", () => {
    const c = make((ps) => new optim.SGD(ps, { lr: 0.1 }));
    const twice = compile(() => {
      const l = fullStep(c);
      c.opt.step();
      return l;
    });
    expect(() => twice()).toThrow(CompileError);
    expect(() => twice()).toThrow("an optimizer can step only once in a compiled function");
  });

  it("a model's training flag is part of the guard", () => {
    differential(
      (ps) => new optim.SGD(ps, { lr: 0.1 }),
      fullStep,
      4,
      (s, i) => (i % 2 ? s.model.train() : s.model.eval()),
    );
  });

  it("returns the loss with its gradFn name; its graph is not kept after the call", () => {
    const c = make((ps) => new optim.SGD(ps, { lr: 0.1 }));
    const l = compile(() => fullStep(c))();
    expect(l.requiresGrad).toBe(true);
    expect(l.gradFn).not.toBeNull();
    expect(() => l.backward()).toThrow("Trying to backward through the graph a second time");
  });

  it(".grad read inside the step is the new gradient; a step may return it", () => {
    const c = make((ps) => new optim.SGD(ps, { lr: 0.1 }));
    const e = make((ps) => new optim.SGD(ps, { lr: 0.1 }));
    const body = (s: Setup) => {
      s.opt.zeroGrad();
      lossOf(s).backward();
      const g = s.params[0].grad!.mul(1);
      s.opt.step();
      return g;
    };
    const step = compile(() => body(c));
    for (let i = 0; i < 2; i++) {
      const ge = body(e).values(),
        gc = step().values();
      gc.forEach((v, j) => expect(v).toBeCloseTo(ge[j], 5));
      expectSame(e, c, `call ${i}`);
    }
  });

  it("raises eager's error for a saved tensor modified in place, and changes nothing", () => {
    const c = make((ps) => new optim.SGD(ps, { lr: 0.1 }));
    const e = make((ps) => new optim.SGD(ps, { lr: 0.1 }));
    const body = (s: Setup) => {
      s.opt.zeroGrad();
      const l = lossOf(s);
      noGrad(() => s.params[2].add_(1)); // the second layer's weight, saved by its matmul
      l.backward();
      return l;
    };
    expect(() => body(e)).toThrow(INPLACE);
    const before = c.params.map((p) => p.values());
    const versions = c.params.map((p) => p.version.n);
    expect(() => compile(() => body(c))()).toThrow(INPLACE);
    c.params.forEach((p, k) => {
      expect(p.values()).toEqual(before[k]);
      expect(p.version.n).toBe(versions[k]);
      expect(p.grad).toBeNull();
    });
  });

  it("zeroGrad inside a compiled loss, backward() outside, runs as eager", () => {
    const opt = (ps: Tensor[]) => new optim.SGD(ps, { lr: 0.1 });
    const e = make(opt),
      c = make(opt);
    const body = (s: Setup) => {
      s.opt.zeroGrad();
      return lossOf(s);
    };
    const f = compile(() => body(c));
    for (let i = 0; i < 3; i++) {
      body(e).backward();
      e.opt.step();
      f().backward();
      c.opt.step();
      expectSame(e, c, `call ${i}`);
    }
  });

  it("an optimizer step compiled alone reads each new .grad at every call", () => {
    const opt = (ps: Tensor[]) => new optim.Adam(ps, { lr: 0.01 });
    const e = make(opt),
      c = make(opt);
    const step = compile(() => {
      c.opt.step();
      return c.params[0].detach().mul(1);
    });
    for (let i = 0; i < 4; i++) {
      for (const s of [e, c]) {
        s.opt.zeroGrad();
        lossOf(s).backward();
      }
      e.opt.step();
      step();
      expectSame(e, c, `call ${i}`);
    }
    expect(step.stats.compiles).toBe(1); // Adam's state, made by the first step, is read after
  });

  it("refuses an argument that requires grad when the step runs backward()", () => {
    const w = randn([3], { requiresGrad: true });
    const f = compile((a: Tensor) => {
      const l = a.mul(w).sum();
      l.backward();
      return l;
    });
    expect(() => f(randn([3], { requiresGrad: true }))).toThrow(CompileError);
    expect(w.grad).toBeNull();
    f(randn([3])); // a plain argument is fine
    expect(w.grad).not.toBeNull();
  });
});
