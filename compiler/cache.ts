// The cache shared by every entry point: compiled entries per guard signature (shapes, dtypes and
// requiresGrad of tensor arguments, number arguments, grad mode, backend), one per state read while
// tracing (module training flags), least recently used dropped.

import { type BackendName, getBackend } from "../backend/index";
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

// What a cached call checks before anything else: the arguments of the last signature, compared
// field by field (no key string built on a hit), the grad mode and the backend.
interface Spec {
  grad: boolean;
  backend: BackendName;
  args: (
    | { kind: "number"; value: number }
    | { kind: "tensor"; shape: number[]; dtype: string; requiresGrad: boolean }
    | { kind: "same"; first: number }
  )[];
}
function specOf(args: Arg[]): Spec {
  return {
    grad: isGradEnabled(),
    backend: getBackend(),
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
  if (spec.backend !== getBackend()) return false; // setBackend() between calls
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
  // per signature, its entries most recently used first: several when state read while tracing
  // (a module's training flag) differs, so that train()/eval() switches find their trace again;
  // keys in insertion order = least recently used first
  const cache = new Map<string, Entry[]>();
  const stats: Stats = { calls: 0, compiles: 0, cacheHits: 0 };
  let size = 0,
    evictions = 0,
    warned = false;
  // the most recently used entry and its argument spec: a repeated signature is one compare (and
  // its valid(), which finds a train()/eval() switch); on a miss, the entries of the signature
  let last: Entry | null = null,
    lastSpec: Spec | null = null;
  const use = (e: Entry, args: Arg[]): Entry => {
    last = e;
    lastSpec = specOf(args);
    return e;
  };
  const entryFor = (args: Arg[]): Entry => {
    if (last && matches(lastSpec!, args) && (!last.valid || last.valid())) {
      stats.cacheHits++;
      return last;
    }
    const key = signature(args);
    const list = cache.get(key) ?? [];
    cache.delete(key);
    // valid(): the guards of what was read while tracing (captured tensors' requiresGrad, flags)
    const hit = list.find((e) => !e.valid || e.valid());
    if (hit) {
      stats.cacheHits++;
      cache.set(key, [hit, ...list.filter((e) => e !== hit)]);
      return use(hit, args);
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
      entries.pop(); // never e: e leads its list, and a list of one is not over the limit
      if (!entries.length) cache.delete(oldest);
      size--;
      if (++evictions >= limit && !warned) {
        warned = true;
        console.warn(
          `jitgrad: a compiled function hit its cache limit (${limit}) ${evictions} times and is being recompiled for many signatures; raise { cacheLimit } or keep input shapes stable.`,
        );
      }
    }
    return use(e, args);
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
