// compile() over a whole training step: a function that calls loss.backward(), reads .grad, calls
// optimizer.step() / zeroGrad() and updates tensors in place under noGrad. Tracing runs the
// autograd engine on tracers (runtime/dispatch.ts records nodes on them), so the backward lands in
// the same graph as the forward and the update, and all three fuse; the gradients an update
// consumes never become tensors. What such a function does besides its graph (trace.ts: WholeStep)
// runs around each call: call-time scalars refreshed before, .grad assignments and the optimizer's
// bookkeeping after, in eager's order.
//
// The hooks below are how the optimizer (nn/optim/optimizer.ts) takes part: outside a trace they
// act at once, as eager.
import { Node, SECOND_BACKWARD } from "../runtime/autograd";
import { activeTrace } from "../runtime/dispatch";
import type { Entry } from "./cache";
import type { Explanation } from "./compile";
import type { Compilation } from "./pipeline";
import { type Binder, inPlaceTargets, resultMaker, writeBack } from "./run";
import { Recorder, type WholeStep } from "./trace";

const recorder = (): Recorder | null => {
  const t = activeTrace();
  return t instanceof Recorder && t.autograd ? t : null;
};

/** Whether a compiled function is being traced (its effects are then deferred to each call). */
export const tracingStep = (): boolean => recorder() !== null;

/** While tracing, runs `effect` before every call of the compiled function (nothing otherwise). */
export function beforeCall(effect: () => void): void {
  recorder()?.before.push(effect);
}

/** Runs `effect` now, or, while tracing, after every call of the compiled function. */
export function afterCall(effect: () => void): void {
  const rec = recorder();
  if (rec) rec.after.push(effect);
  else effect();
}

/** While tracing: `check` must hold before every call, else the function is traced again. */
export function guardEveryCall(check: () => boolean): void {
  recorder()?.guard(check, true);
}

// The result of a compiled step keeps the name of its traced gradFn, but no graph: backward()
// on it fails as on an eager loss whose graph was freed.
const freed = (): never => {
  throw new Error(
    `${SECOND_BACKWARD} (A compiled function that calls backward() keeps no graph after the call.)`,
  );
};

export function stepEntry(s: Compilation, binder: Binder, explain: Explanation): Entry {
  const traced = s.traced!,
    step = traced.step!,
    program = s.forward!,
    outputs = s.graph!.outputs,
    nOut = s.nOut!,
    nMut = traced.mutations.length,
    mutSlots = traced.mutations.map(([slot]) => slot),
    { before, gradOuts, outNodes } = step;
  // user outputs and new .grad tensors: fresh buffers each (copies where one repeats another)
  const make = resultMaker([...outputs.slice(0, nOut), ...outputs.slice(nOut + nMut)]);
  const inPlace = inPlaceTargets(program, nOut, mutSlots);
  return {
    explain,
    run(args) {
      binder.bind(args);
      if (nMut && binder.sharesUpdated(mutSlots)) {
        binder.release();
        return s.fn(...args); // see Binder.sharesUpdated
      }
      for (let k = 0; k < before.length; k++) before[k]();
      const primals = binder.primals,
        outs = program.run(binder.storages, inPlace.into(binder));
      inPlace.clear();
      for (let k = 0; k < nMut; k++) writeBack(primals[mutSlots[k]], outs[nOut + k]);
      const ts = make([...outs.slice(0, nOut), ...outs.slice(nOut + nMut)], primals);
      binder.release();
      for (let k = 0; k < gradOuts.length; k++) gradOuts[k][0].grad = ts[nOut + k];
      afterStep(step);
      const user = ts.slice(0, nOut);
      for (let k = 0; k < nOut; k++) {
        const name = outNodes[k];
        if (name) user[k].gradFn = new Node(name, [], [], freed);
      }
      return traced.rebuild(user);
    },
  };
}

// After a run: .grad set to what the function left there, then the optimizer's bookkeeping.
export function afterStep(step: WholeStep): void {
  for (let k = 0; k < step.gradSets.length; k++) step.gradSets[k][0].grad = step.gradSets[k][1];
  for (let k = 0; k < step.after.length; k++) step.after[k]();
}
