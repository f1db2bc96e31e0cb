// The backend the runtime and compiler use: JavaScript for everything, with the WebAssembly
// backend taking the kernels it renders better (float32 GEMMs of some size), chosen per kernel.
// `setBackend("js")` (or JITGRAD_BACKEND=js in the environment) keeps everything in JS; where
// WebAssembly SIMD is unavailable everything runs in JS anyway.
import type { Backend } from "./backend";
import { js } from "./js/index";
import { wasmKernel, wasmKernelOp } from "./wasm/index";
import { simdAvailable } from "./wasm/module";
import { wasmPointwise } from "./wasm/pointwise";
import { transposeCopy } from "./wasm/transpose";

/** Which backend renders the compute-bound kernels: `"js"` for everything, or `"wasm"`. */
export type BackendName = "js" | "wasm";
let useWasm: boolean | undefined;

function wasmOn(): boolean {
  if (useWasm === undefined) {
    // process.env where there is one (never read `process` bare: browsers have none)
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
    const asked = env?.env?.JITGRAD_BACKEND;
    if (asked !== undefined && asked !== "js" && asked !== "wasm")
      console.warn(`jitgrad: JITGRAD_BACKEND: unknown backend ${asked} (known: js, wasm)`);
    useWasm = asked !== "js" && simdAvailable();
  }
  return useWasm;
}

/**
 * Chooses the backend for the compute-bound kernels (float32 matmul and convolution): `"wasm"`
 * runs them on WebAssembly SIMD (the default where it is available), `"js"` keeps everything in
 * JavaScript. Eager ops switch at once, compiled functions at their next call. Throws a
 * `TypeError` for another name, an `Error` for `"wasm"` where WebAssembly SIMD is unavailable.
 */
export function setBackend(name: BackendName): void {
  if (name !== "js" && name !== "wasm")
    throw new TypeError(`setBackend(): expected "js" or "wasm", got ${describe(name)}`);
  if (name === "wasm" && !simdAvailable())
    throw new Error("setBackend(): WebAssembly SIMD is not available here");
  useWasm = name === "wasm";
}
/** The backend in use: `"wasm"` or `"js"` (see `setBackend`). */
export const getBackend = (): BackendName => (wasmOn() ? "wasm" : "js");
const describe = (x: unknown) => (typeof x === "string" ? JSON.stringify(x) : typeof x);

export const backend: Backend = {
  ...js,
  name: "js+wasm",
  get generates() {
    return js.generates;
  },
  kernel: (plan) => (wasmOn() && js.generates && wasmKernel(plan)) || js.kernel(plan),
  pointwise: (f, dtype, ins, out) => {
    if (!(wasmOn() && js.generates && wasmPointwise(f, dtype, ins, out)))
      js.pointwise(f, dtype, ins, out);
  },
  kernelOp: (op, ins, out, p) => {
    if (!(wasmOn() && wasmKernelOp(op, ins, out, p))) js.kernelOp(op, ins, out, p);
  },
  copy: (src, out) => {
    if (!(wasmOn() && transposeCopy(src, out))) js.copy(src, out);
  },
};
export type { Backend, Combine, Kernel, Launch, Strided } from "./backend";
