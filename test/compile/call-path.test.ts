// The cached call path (issue 15): a repeated signature is matched field by field against the last
// one, captured tensors are re-checked only when the state epoch moved, and nothing of a call is
// kept by the entry. These check that the shortcuts never reuse a trace they should not.
import { describe, expect, it } from "vitest";
import { gemmStats } from "../../backend/wasm/gemm";
import {
  compile,
  getBackend,
  manualSeed,
  nn,
  noGrad,
  randn,
  setBackend,
  type Tensor,
  tensor,
} from "../../index";

manualSeed(5);
const vals = (t: Tensor) => t.values();

describe("the cached call path", () => {
  it("tells one tensor passed twice from two tensors of the same shape", () => {
    const f = compile((a: Tensor, b: Tensor) => {
      a.mul_(2); // through a: b sees it when b is a
      return b.add(0);
    });
    const x = tensor([1, 2]),
      y = tensor([1, 2]);
    noGrad(() => {
      expect(vals(f(x, y))).toEqual([1, 2]);
      expect(vals(f(x, x))).toEqual([4, 8]);
      expect(vals(f(y, x))).toEqual([4, 8]);
    });
    expect(f.stats.compiles).toBe(2);
  });

  it("matches number arguments exactly (0 and -0, NaN) and refuses bad arguments after a hit", () => {
    const f = compile((x: Tensor, s: number) => x.mul(s));
    const x = tensor([1, -1]);
    expect(vals(f(x, 0))).toEqual([0, -0]);
    expect(vals(f(x, -0))).toEqual([-0, 0]);
    expect(f(x, Number.NaN).values().every(Number.isNaN)).toBe(true);
    expect(f(x, Number.NaN).values().every(Number.isNaN)).toBe(true);
    expect(f.stats).toEqual({ calls: 4, compiles: 3, cacheHits: 1 });
    expect(() => f(x, "2" as unknown as number)).toThrow(TypeError);
  });

  it("retraces when grad mode, requiresGrad or a dtype change between calls", () => {
    const f = compile((x: Tensor) => x.mul(3).sum());
    const x = randn([3]);
    f(x);
    expect(f(x.requiresGrad_()).requiresGrad).toBe(true);
    expect(noGrad(() => f(x)).requiresGrad).toBe(false);
    expect(f(x.double()).dtype).toBe("float64");
    expect(f.stats.compiles).toBe(4);
  });

  it("sees a captured tensor's requiresGrad and a module's training flag change (state epoch)", () => {
    const w = randn([3]);
    class Twice extends nn.Module {
      forward(x: Tensor) {
        return this.training ? x.mul(2) : x;
      }
    }
    const drop = new Twice();
    const f = compile((x: Tensor) => drop.forward(x.mul(w)).sum());
    const x = randn([3]);
    expect(f(x).requiresGrad).toBe(false);
    expect(f(x).requiresGrad).toBe(false);
    w.requiresGrad_();
    const out = f(x);
    expect(out.requiresGrad).toBe(true);
    drop.eval();
    const ev = f(x);
    expect(ev.item()).toBeCloseTo(x.mul(w).sum().item(), 5);
    w.requiresGrad_(false);
    expect(f(x).requiresGrad).toBe(false);
    expect(f.stats.compiles).toBe(4);
  });

  it("keeps no reference to a call's arguments in the entry", () => {
    const f = compile((x: Tensor) => x.add(1));
    const x = randn([4]);
    const first = f(x);
    const second = f(randn([4]));
    expect(vals(first)).toEqual(vals(x).map((v) => Math.fround(v + 1)));
    expect(second.storage).not.toBe(first.storage);
  });
});

// The shortcut reuses the last entry only while everything its signature and guards name is the
// same: a module switched train()/eval() must find its own trace (several per signature), and a
// setBackend() between calls must not run the other backend's kernels.
describe("the cached call path, per training mode and backend", () => {
  const close = (got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5) => {
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++)
      expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(want[i])));
  };
  const bnModel = () => {
    manualSeed(21);
    return new nn.Sequential(new nn.Linear(6, 16), new nn.BatchNorm1d(16), new nn.ReLU());
  };

  it("train/eval switches with repeated calls: each mode's trace, values and running stats as eager", () => {
    const m = bnModel(),
      ref = bnModel();
    const loss = (mod: nn.Module) => (x: Tensor) => (mod.forward(x) as Tensor).square().mean();
    const f = compile(loss(m)),
      g = loss(ref);
    const x = randn([8, 6]);
    // a scalar loss of a training step that updates running statistics: one pass or two, its
    // gradients come after the updated inputs
    const step = (mode: "train" | "eval") => {
      m[mode]();
      ref[mode]();
      for (const p of [...m.parameters(), ...ref.parameters()]) p.grad = null;
      const a = f(x),
        b = g(x);
      a.backward();
      b.backward();
      close([a.item()], [b.item()]);
      const refParams = ref.parameters();
      m.parameters().forEach((p, k) => close(p.grad!.values(), refParams[k].grad!.values(), 1e-4));
      const want = ref.stateDict();
      for (const [k, s] of Object.entries(m.stateDict())) close(s.data, want[k].data);
    };
    for (const mode of ["train", "train", "eval", "eval", "train", "train", "eval"] as const)
      step(mode);
    expect(f.stats).toEqual({ calls: 7, compiles: 2, cacheHits: 5 });
    expect(m.stateDict()["1.num_batches_tracked"].data).toEqual([4]);
  });

  it("train/eval with nothing else changing between calls (no grad, no .grad writes)", () => {
    const m = bnModel(),
      ref = bnModel();
    const f = compile((x: Tensor) => m.forward(x) as Tensor);
    const x = randn([8, 6]);
    noGrad(() => {
      for (const mode of ["train", "train", "eval", "eval", "train", "eval"] as const) {
        m[mode]();
        ref[mode]();
        close(f(x).values(), (ref.forward(x) as Tensor).values());
      }
    });
    expect(f.stats).toEqual({ calls: 6, compiles: 2, cacheHits: 4 });
    const want = ref.stateDict();
    for (const [k, s] of Object.entries(m.stateDict())) close(s.data, want[k].data);
  });

  it("a training step with running statistics may run one pass (gradients after the updates)", () => {
    manualSeed(22);
    const m = new nn.Sequential(new nn.BatchNorm1d(512));
    manualSeed(22);
    const ref = new nn.Sequential(new nn.BatchNorm1d(512));
    const f = compile((x: Tensor) => (m.forward(x) as Tensor).mul(x).sum());
    const x = randn([2, 512]);
    expect(f.explain(x).onePass).toBeDefined();
    for (let i = 0; i < 3; i++) {
      for (const p of [...m.parameters(), ...ref.parameters()]) p.grad = null;
      f(x).backward();
      (ref.forward(x) as Tensor).mul(x).sum().backward();
      const rp = ref.parameters();
      m.parameters().forEach((p, k) => close(p.grad!.values(), rp[k].grad!.values(), 1e-4));
      const want = ref.stateDict();
      for (const [k, s] of Object.entries(m.stateDict())) close(s.data, want[k].data);
    }
  });

  it("setBackend() between calls of one compiled function: the backend's own trace", () => {
    const was = getBackend();
    try {
      setBackend("wasm");
      const w = randn([64, 96]);
      const f = compile((x: Tensor) => x.matmul(w).relu());
      const x = randn([48, 64]);
      const want = x.double().matmul(w.double()).relu().values();
      const products = () => gemmStats.products;
      close(f(x).values(), want, 1e-4);
      let before = products();
      close(f(x).values(), want, 1e-4); // the shortcut, on Wasm
      expect(products()).toBeGreaterThan(before);
      setBackend("js");
      before = products();
      close(f(x).values(), want, 1e-4);
      close(f(x).values(), want, 1e-4); // the shortcut, on JS
      expect(products()).toBe(before);
      expect(f.explain(x).code).not.toContain("wasmGemm");
      setBackend("wasm");
      before = products();
      close(f(x).values(), want, 1e-4); // Wasm's trace again, from the cache
      expect(products()).toBeGreaterThan(before);
      expect(f.stats).toEqual({ calls: 5, compiles: 2, cacheHits: 4 }); // explain() is a hit too
    } finally {
      setBackend(was);
    }
  });
});
