// The cached call path (issue 15): a repeated signature is matched field by field against the last
// one, captured tensors are re-checked only when the state epoch moved, and nothing of a call is
// kept by the entry. These check that the shortcuts never reuse a trace they should not.
import { describe, expect, it } from "vitest";
import { compile, manualSeed, nn, noGrad, randn, type Tensor, tensor } from "../../index";

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
