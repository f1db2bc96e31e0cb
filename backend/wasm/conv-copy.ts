// A Wasm kernel op's plan whose epilogue is a bare store of the result into a contiguous output (a
// pooling's maxima, its backward, a transposed convolution without a bias): one block copy out of
// Wasm memory instead of the JS loop over every element with its index arithmetic (that loop was
// 5% of LeNet's training step).
import type { Storage } from "../../ir/dtype";
import type { Params } from "../../ir/ops";
import type { Kernel, Strided } from "../backend";
import type { LoopKernel } from "../plan";

type Run = (ins: Strided[], outShape: readonly number[], p: Params) => Float32Array;

// The plan as the op then `set`, or undefined when its epilogue computes anything or its store is
// not contiguous. `js`: the JS kernel (and its source), for calls whose buffers are not all
// float32.
export function copyKernel(
  plan: LoopKernel,
  run: Run,
  js: () => Kernel,
  jsSource: string,
): { run: Kernel; source: string } | undefined {
  const call = plan.kernel;
  if (call?.dtype !== "float32") return undefined;
  if (plan.reduced || plan.reductions.length || plan.siblings?.length || plan.temps.length)
    return undefined;
  if (plan.stores.length !== 1) return undefined;
  const [store] = plan.stores;
  const sizes = plan.sizes;
  if (store.value !== call.acc || !sizes.every((n): n is number => typeof n === "number"))
    return undefined;
  const { access } = store;
  if (access.at || typeof access.offset !== "number") return undefined;
  let step = 1;
  for (let d = sizes.length - 1; d >= 0; d--) {
    if (sizes[d] !== 1 && access.strides[d] !== step) return undefined;
    step *= sizes[d];
  }
  const slot = (buf: string) => plan.params.indexOf(buf);
  const to = slot(access.buf),
    offset = access.offset;
  const operands = call.operands.map((o) => ({ at: slot(o.buf), view: o.view }));
  if (to < 0 || operands.some((o) => o.at < 0)) return undefined;
  let jsKernel: Kernel | undefined;
  const kernel: Kernel = (...bufs: Storage[]) => {
    if (!bufs.every((b) => b instanceof Float32Array)) {
      jsKernel ??= js();
      jsKernel(...bufs);
      return;
    }
    const S = run(
      operands.map((o) => ({ storage: bufs[o.at], ...o.view })),
      sizes,
      call.params,
    );
    (bufs[to] as Float32Array).set(S, offset);
  };
  const source = [
    ...plan.comments.map((c) => `// ${c}`),
    `// ${plan.name}: the Wasm ${call.op}, its contiguous float32 result copied into ${access.buf} at ${offset}`,
    "// (calls with other buffers run the JS kernel:)",
    jsSource,
  ].join("\n");
  return { run: kernel, source };
}
