// The WebAssembly instance every Wasm kernel runs in: its functions assembled at first use, one
// memory owned by JS and grown on demand. Operands are packed into the memory and results copied
// out of it, so tensors keep ordinary typed arrays and nothing needs disposing.
import { assemble, type FuncSpec, listing } from "./assembler";
import { scatterKernel } from "./col2im";
import { blocksKernel } from "./conv-blocks";
import { gatherKernel } from "./im2col";
import { gemmKernel } from "./microkernel";
import { packKernel } from "./pack";
import { argmaxAddKernel, argmaxKernel } from "./pool-kernel";

export const GEMM = "gemm_f32_4x8",
  PACK = "pack_f32_panels",
  GATHER = "im2col_f32_row",
  GATHER_ALONG = "im2col_f32_row_along_k",
  SCATTER = "col2im_f32_row",
  BLOCKS = "copy_blocks_f32",
  ARGMAX = "pool_argmax_f32",
  ARGMAX_ADD = "pool_argmax_add_f32";
const funcs: FuncSpec[] = [
  gemmKernel(GEMM),
  packKernel(PACK),
  gatherKernel(GATHER, true),
  gatherKernel(GATHER_ALONG, false),
  scatterKernel(SCATTER),
  blocksKernel(BLOCKS),
  argmaxKernel(ARGMAX),
  argmaxAddKernel(ARGMAX_ADD),
];

// The part of the WebAssembly JS API used here (the library's types target plain ES2022, which
// does not declare it; engines without WebAssembly leave it undefined).
export interface Memory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (d: { initial: number }) => Memory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}
const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

interface Instance {
  memory: Memory;
  gemm: (...args: number[]) => void;
  pack: (...args: number[]) => void;
  gather: (...args: number[]) => void;
  gatherAlong: (...args: number[]) => void;
  scatter: (...args: number[]) => void;
  blocks: (...args: number[]) => void;
  argmax: (...args: number[]) => void;
  argmaxAdd: (...args: number[]) => void;
}
let made: Instance | undefined;
let simd: boolean | undefined;

// Whether this engine runs WebAssembly with SIMD: a one-function module using f32x4 validates.
export function simdAvailable(): boolean {
  if (simd === undefined) {
    try {
      const probe = assemble([
        {
          name: "probe",
          params: [],
          results: [],
          locals: [],
          body: [["f32.const", 0], ["f32x4.splat"], ["drop"]],
        },
      ]);
      simd = api?.validate(probe) === true;
    } catch {
      simd = false;
    }
  }
  return simd === true;
}

// functions assembled into a module and instantiated over a fresh memory of `pages` 64 KiB pages
// (or over `shared`, a memory other modules use too)
export function load(fs: FuncSpec[], pages = 1, shared?: Memory) {
  return loadModule(compileModule(fs), pages, shared);
}
// the two steps apart: a compiled module can be sent to worker threads (chain-split.ts)
// Modules compiled before, by their bytes: the same functions over another layout (an eager op
// on tensors of a new size: pointwise.ts) are not compiled again (~0.1-0.9 ms a chain).
const modules = new Map<string, object>();
const MAX_MODULES = 256;
export function compileModule(fs: FuncSpec[]): object {
  if (!api) throw new Error("internal: WebAssembly is not available");
  const bytes = assemble(fs);
  let key = "";
  for (let i = 0; i < bytes.length; i += 4096)
    key += String.fromCharCode(...bytes.subarray(i, i + 4096));
  let m = modules.get(key);
  if (!m) {
    if (modules.size >= MAX_MODULES) modules.clear();
    m = new api.Module(bytes) as object;
    modules.set(key, m);
  }
  return m;
}
export function loadModule(module: object, pages = 1, shared?: Memory) {
  if (!api) throw new Error("internal: WebAssembly is not available");
  const memory = shared ?? new api.Memory({ initial: pages });
  return { memory, exports: new api.Instance(module, { env: { memory } }).exports };
}

// The compiled module of these functions, once: worker threads are sent it and instantiate their
// own copy over their own memory (gemm-split.ts).
let compiled: object | undefined;
export function gemmModule(): object {
  if (!api) throw new Error("internal: WebAssembly is not available");
  compiled ??= new api.Module(assemble(funcs));
  return compiled;
}

function instance(): Instance {
  if (!made) {
    const { memory, exports } = load(funcs, 16);
    made = {
      memory,
      gemm: exports[GEMM] as Instance["gemm"],
      pack: exports[PACK] as Instance["pack"],
      gather: exports[GATHER] as Instance["gather"],
      gatherAlong: exports[GATHER_ALONG] as Instance["gatherAlong"],
      scatter: exports[SCATTER] as Instance["scatter"],
      blocks: exports[BLOCKS] as Instance["blocks"],
      argmax: exports[ARGMAX] as Instance["argmax"],
      argmaxAdd: exports[ARGMAX_ADD] as Instance["argmaxAdd"],
    };
  }
  return made;
}

// The memory as float32s, at least `floats` long (a fresh view: growing detaches the old one).
export function heap(floats: number): Float32Array {
  const { memory } = instance();
  const need = Math.ceil((floats * 4) / 65536) - memory.buffer.byteLength / 65536;
  if (need > 0) memory.grow(need);
  return new Float32Array(memory.buffer);
}
export const gemm = () => instance().gemm;
export const packPanels = () => instance().pack;
export const gatherRowWasm = () => instance().gather;
export const gatherAlongWasm = () => instance().gatherAlong;
export const scatterRowWasm = () => instance().scatter;
export const copyBlocksWasm = () => instance().blocks;
export const poolArgmax = () => instance().argmax;
export const poolArgmaxAdd = () => instance().argmaxAdd;

// The module as WAT-like text, for explain()
let text: string | undefined;
export const wat = () => {
  text ??= listing(funcs);
  return text;
};

// A kernel made for one compiled kernel (a GEMM with its epilogue), in its own module over the
// same memory; cached by its listing, so equal kernels share one module.
// (`module`: the compiled module of the one function, which worker threads instantiate too)
interface Specialized {
  run: (...args: number[]) => void;
  text: string;
  module: object;
}
const bySource = new Map<string, Specialized>();
export function specialized(f: FuncSpec): Specialized {
  const text = listing([f]);
  let k = bySource.get(text);
  if (!k) {
    const module = compileModule([f]);
    const { exports } = loadModule(module, 1, instance().memory);
    k = { run: exports[f.name] as (...args: number[]) => void, text, module };
    bySource.set(text, k);
  }
  return k;
}
