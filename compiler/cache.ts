// The cache shared by every entry point: one compiled entry per guard signature (shapes, dtypes and
// requiresGrad of tensor arguments, number arguments, grad mode, backend), least recently used
// dropped.

import { getBackend } from "../backend/index";
import { isGradEnabled } from "../runtime/autograd";
import { activeTrace } from "../runtime/dispatch";
import { Tensor } from "../runtime/tensor";
import type { Compiled, Explanation, Stats } from "./compile";
import { logRequests } from "./pipeline";
import type { Arg, Result } from "./trace";

// What a signature compiles to.
export interface Entry {
  run(args: Arg[]): Result;
  explain: Explanation;
  valid?: () => boolean; // false: compile again (a captured tensor changed requiresGrad)
}

// inline: how a call made while another function is being traced runs (compile: the function
// itself, so it joins the outer trace; grad: traced and differentiated in the outer trace)
export function cached<A extends Arg[], R>(
  build: (args: Arg[]) => Entry,
  limit: number,
  arity: number,
  inline: (args: Arg[]) => unknown,
): Compiled<A, R> {
  const cache = new Map<string, Entry>(); // insertion order = least recently used first
  const stats: Stats = { calls: 0, compiles: 0, cacheHits: 0 };
  let evictions = 0,
    warned = false;
  const entryFor = (args: Arg[]): Entry => {
    const key = signature(args);
    let e = cache.get(key);
    if (e?.valid && !e.valid()) {
      cache.delete(key);
      e = undefined;
    } // a captured tensor changed requiresGrad
    if (e) {
      stats.cacheHits++;
      cache.delete(key);
      cache.set(key, e);
      return e;
    }
    e = build(args); // a throw here caches nothing
    stats.compiles++;
    cache.set(key, e);
    const log = logRequests();
    if (log.has("ir")) console.error(`[jitgrad] IR\n${e.explain.ir}`);
    if (log.has("code")) console.error(`[jitgrad] code\n${e.explain.code}`);
    if (cache.size > limit) {
      cache.delete(cache.keys().next().value!);
      if (++evictions >= limit && !warned) {
        warned = true;
        console.warn(
          `jitgrad: a compiled function hit its cache limit (${limit}) ${evictions} times and is being recompiled for many signatures; raise { cacheLimit } or keep input shapes stable.`,
        );
      }
    }
    return e;
  };
  const compiled = (...args: A): R => {
    if (args.length < arity)
      throw new TypeError(`compiled function expects ${arity} arguments, got ${args.length}`);
    if (activeTrace()) {
      // called while another compiled function is being traced: part of that trace (running it
      // here would freeze its result into the outer graph as constants)
      return inline(args) as R;
    }
    stats.calls++;
    return entryFor(args).run(args) as R;
  };
  compiled.explain = (...args: A): Explanation => entryFor(args).explain;
  Object.defineProperty(compiled, "stats", { get: () => ({ ...stats }) });
  return compiled as Compiled<A, R>;
}

// The guard: shapes, dtypes and requiresGrad of tensor arguments, number arguments, grad mode, and
// the backend chosen (setBackend), whose kernels the entry holds.
export function signature(args: Arg[]): string {
  let key = `${isGradEnabled() ? "G" : "N"}${getBackend()}`;
  args.forEach((a, i) => {
    const first = a instanceof Tensor ? args.indexOf(a) : i;
    if (first < i)
      key += `|=${first}`; // the same tensor passed again: traced as one input
    else if (a instanceof Tensor)
      key += `|${a.shape.join("x")}:${a.dtype}${a.requiresGrad ? "+" : ""}`;
    else if (typeof a === "number") key += `|#${Object.is(a, -0) ? "-0" : a}`;
    else
      throw new TypeError(
        `compile: argument ${i} is ${a === null ? "null" : Array.isArray(a) ? "an array" : typeof a}; a compiled function takes Tensors and numbers`,
      );
  });
  return key;
}
