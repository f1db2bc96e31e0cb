// The differential property for gradients: random differentiable programs
// (test/support/programs.ts, "grad" mode), compiled forward + backward against eager autograd, and
// valueAndGrad against eager. Used by property.test.ts and by manual runs, which print the shrunk
// failing program:
//   npx tsx test/autodiff/fuzz.ts [seed] [runs]
import { compile, noGrad, type Tensor, valueAndGrad } from "../../index";
import {
  build,
  makeInputs,
  mismatch,
  outputsMismatch,
  type Recipe,
  run,
  runIfMain,
  show,
  type Tolerance,
  upstreams,
} from "../support/programs";

export const TOL: Tolerance = { rtol: 2e-3, atol: 2e-4, scaled: true };

// The loss whose gradients are compared: each output weighed by a fixed upstream gradient.
const lossOf = (outs: Tensor[], ups: Tensor[]) =>
  outs.map((o, i) => o.mul(ups[i]).sum()).reduce((a, b) => a.add(b));

// Compiles the program and runs forward and backward (eager ops on the compiled outputs weigh them
// by the upstream gradients) on two sets of fresh leaves (the second call is a cache hit), comparing
// outputs and .grad with eager autograd on the same data; with `functional`, valueAndGrad of the
// same loss too. Throws a reproduction when they differ.
export function check(r: Recipe): void {
  const program = build(r, "grad");
  const fn = (...xs: Tensor[]) => run(program, xs);
  const fail = (what: string): never => {
    throw new Error(`${what}\nprogram (seed ${r.seed}):\n${show(program)}`);
  };
  const f = compile(fn);
  let ups: Tensor[] = [],
    eager: { inputs: Tensor[]; loss: Tensor } | undefined;
  for (const seed of [r.seed, r.seed + 1]) {
    const ex = makeInputs(program, seed),
      eagerOuts = fn(...ex);
    if (!eager)
      ups = upstreams(
        eagerOuts.map((o) => o.shape),
        r.seed,
      );
    const eagerLoss = lossOf(eagerOuts, ups);
    eagerLoss.backward();
    eager ??= { inputs: ex, loss: eagerLoss };

    const xs = makeInputs(program, seed);
    let outs: Tensor[] = [];
    try {
      outs = f(...xs);
      lossOf(outs, ups).backward();
    } catch (e) {
      fail(`compiled forward/backward threw ${(e as Error).stack}`);
    }
    const bad =
      outputsMismatch(outs, eagerOuts, TOL) ??
      xs.map((x, i) => mismatch(`grad of input ${i}`, x.grad, ex[i].grad, TOL)).find((m) => m);
    if (bad) fail(bad);
    outs.forEach((o) => {
      if (o.gradFn?.name !== "CompiledFunctionBackward")
        fail(`an output's gradFn is ${o.gradFn?.name}`);
    });
  }
  if (f.stats.compiles !== 1) fail(`compiled ${f.stats.compiles} times`);

  if (r.functional && eager) {
    const { inputs: ex, loss } = eager;
    const argnums = program.inputs.map((_, i) => i).filter((i) => program.inputs[i].requiresGrad);
    const vg = valueAndGrad((...xs: Tensor[]) => lossOf(run(program, xs), ups), { argnums });
    const xs = makeInputs(program, r.seed);
    let value: Tensor | null = null,
      grads: Tensor[] = [];
    try {
      [value, grads] = vg(...xs) as [Tensor, Tensor[]];
    } catch (e) {
      fail(`valueAndGrad threw ${(e as Error).stack}`);
    }
    // an input the loss does not depend on: JAX gives zeros, eager autograd leaves .grad null
    const zerosIfNone = (n: number) => ex[n].grad ?? noGrad(() => ex[n].mul(0));
    const bad =
      mismatch("valueAndGrad value", value, loss, TOL) ??
      argnums
        .map((n, k) =>
          mismatch(`valueAndGrad gradient of input ${n}`, grads[k], zerosIfNone(n), TOL),
        )
        .find((m) => m);
    if (bad) fail(bad);
    if (xs.some((x) => x.grad !== null)) fail("valueAndGrad touched .grad");
  }
}

runIfMain(import.meta, check, 200);
