// The cache shared by every entry point: compiled entries per guard signature (shapes, dtypes and
// requiresGrad of tensor arguments, number arguments, grad mode), one per state read while tracing
// (module training flags), least recently used dropped.
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
  valid?: () => boolean; // false: not for this call (a captured tensor's requiresGrad or a training flag differs)
}

// inline: how a call made while another function is being traced runs (compile: the function
// itself, so it joins the outer trace; grad: traced and differentiated in the outer trace)
export function cached<A extends Arg[], R>(
  build: (args: Arg[]) => Entry,
  limit: number,
  arity: number,
  inline: (args: Arg[]) => unknown,
): Compiled<A, R> {
  // per signature, its entries most recently used first: several when state read while tracing
  // (a module's training flag) differs, so that train()/eval() switches find their trace again;
  // keys in insertion order = least recently used first
  const cache = new Map<string, Entry[]>();
  const stats: Stats = { calls: 0, compiles: 0, cacheHits: 0 };
  let size = 0,
    evictions = 0,
    warned = false;
  const entryFor = (args: Arg[]): Entry => {
    const key = signature(args);
    const list = cache.get(key) ?? [];
    cache.delete(key);
    // valid(): the guards of what was read while tracing (captured tensors' requiresGrad, flags)
    const hit = list.find((e) => !e.valid || e.valid());
    if (hit) {
      stats.cacheHits++;
      cache.set(key, [hit, ...list.filter((e) => e !== hit)]);
      return hit;
    }
    let e: Entry;
    try {
      e = build(args); // a throw here caches nothing
    } finally {
      if (list.length) cache.set(key, list);
    }
    stats.compiles++;
    cache.set(key, [e, ...list]);
    size++;
    const log = logRequests();
    if (log.has("ir")) console.error(`[jitgrad] IR\n${e.explain.ir}`);
    if (log.has("code")) console.error(`[jitgrad] code\n${e.explain.code}`);
    if (size > limit) {
      // the least recently used entry of the least recently used signature
      const [oldest, entries] = cache.entries().next().value!;
      entries.pop();
      if (!entries.length) cache.delete(oldest);
      size--;
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
