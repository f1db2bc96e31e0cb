// A convolution kernel's epilogue (the bias, the relu mask of the backward, ...) as a Wasm SIMD
// chain over the GEMM's contiguous float32 result, in place of the JS loop over it: branch-free
// (a relu mask on random data mispredicts in JS) and four points an instruction. Taken when every
// access of the epilogue walks the whole space contiguously (or is one scalar), so the plan is one
// flat loop that chain.ts renders with the result as one more streamed operand; the rest keep the
// JS loop. Arithmetic runs in float32 lanes, one rounding per op, as eager does (the JS loop keeps
// double intermediates and rounds at stores: the two agree to float32 rounding, and bit for bit
// where the JS loop rounds per op).
import type { Storage } from "../../ir/dtype";
import type { Params } from "../../ir/ops";
import type { Kernel, Strided } from "../backend";
import { type Access, coalesce, type LoopKernel } from "../plan";
import { chainKernel } from "./chain-kernel";

// the conv ops whose result is contiguous over the plan's space
const CONVS = new Set(["conv", "convTranspose"]);

type Gemm = (ins: Strided[], outShape: readonly number[], p: Params) => Float32Array;

// The plan as the GEMM then a Wasm chain over its result, or undefined (the JS epilogue).
// `js`: the JS kernel, for calls whose buffers are not all float32.
export function convChain(
  plan: LoopKernel,
  gemm: Gemm,
  js: () => Kernel,
): { run: Kernel; source: string } | undefined {
  const call = plan.kernel;
  if (!call || !CONVS.has(call.op) || call.dtype !== "float32") return undefined;
  if (plan.reduced || plan.reductions.length || plan.siblings?.length) return undefined;
  // a bare copy of the result gains nothing from the extra trip through Wasm memory
  if (!plan.temps.some((t) => t.expr.kind === "apply")) return undefined;
  const sizes = plan.sizes;
  if (!sizes.every((n): n is number => typeof n === "number")) return undefined;
  const accesses: Access[] = [];
  for (const t of plan.temps) {
    if (t.expr.kind === "valid") return undefined;
    if (t.expr.kind === "load") {
      if (t.expr.guard !== undefined) return undefined;
      accesses.push(t.expr.access);
    }
    if (t.expr.kind === "apply" && t.expr.dtype !== "float32" && t.expr.dtype !== "bool")
      return undefined;
  }
  for (const s of plan.stores) accesses.push(s.access);
  if (accesses.some((a) => a.at || typeof a.offset !== "number")) return undefined;
  if (accesses.some((a) => !a.strides.every((x) => typeof x === "number"))) return undefined;
  if (plan.stores.some((s) => s.access.buf === call.acc)) return undefined;
  const points = sizes.reduce((a, b) => a * b, 1);
  const contiguous = sizes.map((_, d) => sizes.slice(d + 1).reduce((a, b) => a * b, 1));
  const merged = coalesce(sizes, [contiguous, ...accesses.map((a) => a.strides as number[])]);
  // one flat loop: every access contiguous (or a scalar) over the whole space
  if (merged.sizes.length !== 1 || merged.sizes[0] !== points) return undefined;
  // the result streams in as a buffer of its own (a name no parameter has)
  let result = `${call.acc}_result`;
  while (plan.params.includes(result)) result += "_";
  const flat = (a: Access, i: number): Access => ({
    buf: a.buf,
    offset: a.offset,
    strides: [merged.strides[i + 1][0]],
  });
  let i = 0;
  const temps = plan.temps.map((t) =>
    t.expr.kind === "load" ? { ...t, expr: { ...t.expr, access: flat(t.expr.access, i++) } } : t,
  );
  const stores = plan.stores.map((s) => ({ ...s, access: flat(s.access, i++) }));
  const chainPlan: LoopKernel = {
    name: `${plan.name}_epilogue`,
    comments: [],
    params: [...plan.params, result],
    sizes: [points],
    reduced: 0,
    temps: [
      {
        name: call.acc,
        expr: { kind: "load", access: { buf: result, offset: 0, strides: [1] } },
        phase: "inner",
      },
      ...temps,
    ],
    reductions: [],
    stores,
  };
  let jsKernel: Kernel | undefined;
  const fallback = () => (jsKernel ??= js());
  const chain = chainKernel(chainPlan, fallback, true);
  if (!chain) return undefined;
  const slot = (buf: string) => plan.params.indexOf(buf);
  const operands = call.operands.map((o) => ({ at: slot(o.buf), view: o.view }));
  if (operands.some((o) => o.at < 0)) return undefined;
  const run: Kernel = (...bufs: Storage[]) => {
    if (!bufs.every((b) => b instanceof Float32Array)) {
      fallback()(...bufs);
      return;
    }
    const S = gemm(
      operands.map((o) => ({ storage: bufs[o.at], ...o.view })),
      sizes,
      call.params,
    );
    chain.run(...bufs, S);
  };
  const source = [
    ...plan.comments.map((c) => `// ${c}`),
    `// ${plan.name}: the Wasm ${call.op} (its contiguous float32 result, ${result}), then the epilogue:`,
    chain.source,
  ].join("\n");
  return { run, source };
}
