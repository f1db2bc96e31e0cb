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
import type { Scalar } from "../../ir/scalar";
import type { Kernel, Strided } from "../backend";
import { type Access, coalesce, type LoopKernel } from "../plan";
import { chainKernel } from "./chain-kernel";

// the conv ops whose result is contiguous over the plan's space
const CONVS = new Set(["conv", "convTranspose"]);

type Gemm = (
  ins: Strided[],
  outShape: readonly number[],
  p: Params,
  bias?: Strided,
) => Float32Array;

// A conv's per-channel bias: an add of the product and a load that varies along the channel dim
// (dim 1 of the output space) only, the product read nowhere else. The GEMM adds it as one more k
// step (js/conv.ts), so what is left of the epilogue (a relu, ...) is often one flat loop; the JS
// loop it replaces branched on the sign of every point (a forward conv + bias + relu was the
// digits CNN's costliest kernel). The add is float32, as the JS epilogue's rounded add.
function channelBias(plan: LoopKernel) {
  const acc = plan.kernel!.acc;
  const uses = (name: string) =>
    plan.temps.filter((t) => t.expr.kind === "apply" && t.expr.args.includes(name)).length +
    plan.stores.filter((s) => s.value === name).length;
  if (uses(acc) !== 1) return undefined;
  const add = plan.temps.find((t) => t.expr.kind === "apply" && t.expr.args.includes(acc));
  if (add?.expr.kind !== "apply" || add.expr.dtype !== "float32") return undefined;
  const { args } = add.expr;
  // (a float32 add is the double add rounded to float32)
  let scalar = add.expr.scalar;
  if (scalar.op === "roundF32" && "args" in scalar) scalar = scalar.args[0];
  const isArg = (e: Scalar, i: number) => e.op === "arg" && e.index === i;
  if (scalar.op !== "add" || args.length !== 2) return undefined;
  if (!("args" in scalar) || scalar.args.length !== 2) return undefined;
  const [x, y] = scalar.args;
  if (!((isArg(x, 0) && isArg(y, 1)) || (isArg(x, 1) && isArg(y, 0)))) return undefined;
  const other = args[0] === acc ? args[1] : args[0];
  if (other === acc) return undefined;
  const load = plan.temps.find((t) => t.name === other);
  if (load?.expr.kind !== "load" || load.expr.guard !== undefined) return undefined;
  const a = load.expr.access;
  if (a.at || typeof a.offset !== "number" || plan.sizes.length < 2) return undefined;
  if (!a.strides.every((x, d) => typeof x === "number" && (d === 1 || x === 0))) return undefined;
  const temps = plan.temps.filter((t) => t !== add && (t !== load || uses(other) > 1));
  return {
    bias: { buf: a.buf, offset: a.offset, stride: a.strides[1] as number },
    result: add.name,
    temps,
  };
}

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
  const folded = call.op === "conv" ? channelBias(plan) : undefined;
  // the temps after the GEMM: the plan's, or without the bias add (then its name is the product's)
  const planTemps = folded?.temps ?? plan.temps;
  const product = folded?.result ?? call.acc;
  // a bare copy of the result gains nothing from the extra trip through Wasm memory
  if (!planTemps.some((t) => t.expr.kind === "apply")) return undefined;
  const sizes = plan.sizes;
  if (!sizes.every((n): n is number => typeof n === "number")) return undefined;
  const accesses: Access[] = [];
  for (const t of planTemps) {
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
  const temps = planTemps.map((t) =>
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
        name: product,
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
  const biasAt = folded ? slot(folded.bias.buf) : -1;
  if (folded && biasAt < 0) return undefined;
  const channels = sizes[1] as number;
  const run: Kernel = (...bufs: Storage[]) => {
    if (!bufs.every((b) => b instanceof Float32Array)) {
      fallback()(...bufs);
      return;
    }
    const S = gemm(
      operands.map((o) => ({ storage: bufs[o.at], ...o.view })),
      sizes,
      call.params,
      folded && {
        storage: bufs[biasAt],
        shape: [channels],
        strides: [folded.bias.stride],
        offset: folded.bias.offset,
      },
    );
    chain.run(...bufs, S);
  };
  const source = [
    ...plan.comments.map((c) => `// ${c}`),
    `// ${plan.name}: the Wasm ${call.op} (its contiguous float32 result, ${result}${folded ? `, plus ${folded.bias.buf} along the channels as one more k step of the GEMM` : ""}), then the epilogue:`,
    chain.source,
  ].join("\n");
  return { run, source };
}
