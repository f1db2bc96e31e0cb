// The cache shared by every entry point: one compiled entry per guard signature (shapes, dtypes and
// requiresGrad of tensor arguments, number arguments, grad mode), least recently used dropped.
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

// What a cached call checks before anything else: the arguments of the last signature, compared
// field by field (no key string built on a hit), and the grad mode.
interface Spec {
  grad: boolean;
  args: (
    | { kind: "number"; value: number }
    | { kind: "tensor"; shape: number[]; dtype: string; requiresGrad: boolean }
    | { kind: "same"; first: number }
  )[];
}
function specOf(args: Arg[]): Spec {
  return {
    grad: isGradEnabled(),
    args: args.map((a, i) => {
      if (!(a instanceof Tensor)) return { kind: "number", value: a };
      const first = args.indexOf(a);
      if (first < i) return { kind: "same", first };
      return { kind: "tensor", shape: [...a.shape], dtype: a.dtype, requiresGrad: a.requiresGrad };
    }),
  };
}
// Ordered by how often each check fails in a training loop: grad mode (eval loops), then per
// argument the kind, shape, dtype and requiresGrad.
function matches(spec: Spec, args: Arg[]): boolean {
  const want = spec.args;
  if (spec.grad !== isGradEnabled() || want.length !== args.length) return false;
  for (let i = 0; i < want.length; i++) {
    const w = want[i],
      a = args[i];
    if (w.kind === "same") {
      if (a !== args[w.first]) return false;
    } else if (w.kind === "number") {
      if (!Object.is(a, w.value)) return false;
    } else {
      if (!(a instanceof Tensor) || a.dtype !== w.dtype || a.requiresGrad !== w.requiresGrad)
        return false;
      const shape = a.shape;
      if (shape.length !== w.shape.length) return false;
      for (let d = 0; d < shape.length; d++) if (shape[d] !== w.shape[d]) return false;
      for (let j = 0; j < i; j++) if (args[j] === a) return false; // would be "same"
    }
  }
  return true;
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
  // the most recently used entry, its key and argument spec: a repeated signature is one compare
  let last: Entry | null = null,
    lastKey = "",
    lastSpec: Spec | null = null;
  const entryFor = (args: Arg[]): Entry => {
    if (last && matches(lastSpec!, args)) {
      if (!last.valid || last.valid()) {
        stats.cacheHits++;
        return last;
      }
    }
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
    } else {
      e = build(args); // a throw here caches nothing
      stats.compiles++;
      cache.set(key, e);
      const log = logRequests();
      if (log.has("ir")) console.error(`[jitgrad] IR\n${e.explain.ir}`);
      if (log.has("code")) console.error(`[jitgrad] code\n${e.explain.code}`);
      if (cache.size > limit) {
        const oldest = cache.keys().next().value!;
        if (oldest === lastKey) last = null;
        cache.delete(oldest);
        if (++evictions >= limit && !warned) {
          warned = true;
          console.warn(
            `jitgrad: a compiled function hit its cache limit (${limit}) ${evictions} times and is being recompiled for many signatures; raise { cacheLimit } or keep input shapes stable.`,
          );
        }
      }
    }
    last = e;
    lastKey = key;
    lastSpec = specOf(args);
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

// The guard: shapes, dtypes and requiresGrad of tensor arguments, number arguments, grad mode.
export function signature(args: Arg[]): string {
  let key = isGradEnabled() ? "G" : "N";
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
