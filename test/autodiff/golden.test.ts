// Every op case of the PyTorch golden fixtures (test/golden/ops.json), wrapped in compile():
// forward values and backward(upstream) gradients against PyTorch's, and against eager jitgrad.
// Each case is called twice before either backward runs (the second call is a cache hit), so
// the two calls' saved values must not share buffers.
import { describe, expect, it } from "vitest";
import { compile, type Tensor } from "../../index";
import { caseFunction, expectClose, make, opCases } from "./helpers";

describe("compiled ops against PyTorch golden fixtures", () => {
  it("has the fixtures", () => {
    expect(opCases.filter((c) => c.upstream).length).toBeGreaterThan(300);
  });

  for (const c of opCases) {
    it(c.name, () => {
      const { fn, inputs } = caseFunction(c);
      const f = compile(fn);
      const runs = [inputs(), inputs()].map((xs) => ({ xs, out: f(...xs) }));
      expect(f.stats.compiles).toBe(1);
      // eager reference
      const eagerXs = inputs(),
        eagerOut = fn(...eagerXs);
      if (c.upstream) eagerOut.backward(make(c.upstream));

      for (const [k, { out }] of runs.entries()) {
        const what = `call ${k}`;
        expectClose(out, c.out, `${what} out vs PyTorch`);
        expectClose(out, eagerOut, `${what} out vs eager`);
        if (!c.upstream) {
          expect(out.requiresGrad, `${what} requiresGrad`).toBe(false);
          expect(out.gradFn, `${what} gradFn`).toBeNull();
          continue;
        }
        expect(out.gradFn?.name, `${what} gradFn`).toBe("CompiledFunctionBackward");
        expect(out.requiresGrad).toBe(true);
        expect(out.isLeaf).toBe(false);
      }
      if (!c.upstream) return;
      for (const [k, { xs, out }] of runs.entries()) {
        out.backward(make(c.upstream));
        xs.forEach((t: Tensor, i) => {
          const want = c.grads[i],
            what = `call ${k} grad of input ${i}`;
          if (want === null) {
            expect(t.grad, what).toBeNull();
            expect(eagerXs[i].grad, `eager ${what}`).toBeNull();
          } else {
            expectClose(t.grad, want, `${what} vs PyTorch`);
            expectClose(t.grad, eagerXs[i].grad!, `${what} vs eager`);
          }
        });
      }
    });
  }
});
