// Element types, their storage, and PyTorch's promotion rules.
/** Element types: float32 (the default), float64, int32 (PyTorch's int64 role) and bool. */
export type DType = "float32" | "float64" | "int32" | "bool";
export type Storage = Float32Array | Float64Array | Int32Array | Uint8Array;

// Zero-filled storage for n elements. A switch, not a table: a dtype that is not one of the four
// (user input reaches here only after runtime/args.ts checked it) cannot fall through to
// Object.prototype. A size the engine cannot allocate is an error naming it, never a raw RangeError.
// While more than one thread is asked for (backend/threads calls shareStorages), storages of
// SHARED_MIN elements or more live on a SharedArrayBuffer where the platform has one (Node;
// browsers only when cross-origin isolated), so worker threads can run kernels on them; they are
// ordinary typed arrays, collected like any other (see `ballast` for what that takes). These are
// the storages made once and read call after call: tensors from factories (randn, zeros, data),
// parameters, a compiled program's own buffers. Results use allocateResult.
export function allocate(dtype: DType, n: number): Storage {
  if (n > SMALL || !(n >= 0)) return allocateLarge(dtype, n);
  return n >= SHARED_MIN && shared ? sharedArray(dtype, n) : array(dtype, n);
}
// A result an op or a compiled call computes: always an ordinary typed array, whatever the thread
// count. Results are fresh at every call and mostly short-lived, and a fresh SharedArrayBuffer
// is the dearest memory there is here: fresh mmap'ed pages to fault in, or (with the ballast
// below, which keeps their total bounded) collections on V8's helper threads. Measured with 2
// threads on the W3 gradient (4 MB a call): ~2.7 ms of GC-thread CPU a call with the ballast, ~1000
// page faults a call without, against neither for ordinary arrays. Workers write their part of a
// result through a reused staging buffer instead (backend/threads/staging.ts).
export function allocateResult(dtype: DType, n: number): Storage {
  if (n > SMALL || !(n >= 0)) return allocateLarge(dtype, n, false);
  return array(dtype, n);
}
// A result its kernel writes whole (every element, before anything reads it: compiler/program.ts
// and runtime/dispatch.ts decide): from UNFILLED_MIN elements on, in Node, uninitialized memory
// (Buffer.allocUnsafeSlow, a malloc). A zeroed array is calloc, which clears reused memory or faults in fresh pages:
// measured, allocating and writing a 4 MB result took 560-1030 us that way against 280-320 us
// unfilled, and that time sits on the calling thread before a split kernel's workers can start.
// Under JITGRAD_POISON_UNFILLED=1 (the test suite sets it) every such buffer, whatever its size,
// is filled with NaN (or -1 for int32 and bool), so an element a kernel fails to write shows up in
// whichever test reads it instead of passing as zero or stale data.
const UNFILLED_MIN = 1 << 16;
let poison: boolean | undefined;
export function allocateUnfilled(dtype: DType, n: number): Storage {
  poison ??= isOn(nodeEnv("JITGRAD_POISON_UNFILLED"));
  if (n < (poison ? 1 : UNFILLED_MIN) || n > SMALL || !(n >= 0) || !unzeroedBuffer())
    return allocateResult(dtype, n);
  const s = view(dtype, (unzeroed!.allocUnsafeSlow(n * BYTES[dtype]) as Uint8Array).buffer);
  if (poison) s.fill(dtype === "float32" || dtype === "float64" ? Number.NaN : -1);
  return s;
}
function array(dtype: DType, n: number): Storage {
  switch (dtype) {
    case "float32":
      return new Float32Array(n);
    case "float64":
      return new Float64Array(n);
    case "int32":
      return new Int32Array(n);
    case "bool":
      return new Uint8Array(n);
  }
  throw new TypeError(`unknown dtype ${String(dtype)}`);
}
function sharedArray(dtype: DType, n: number): Storage {
  const buffer = new SharedArrayBuffer(n * BYTES[dtype]);
  const s = view(dtype, buffer);
  ballasts.set(s, ballast(buffer.byteLength));
  return s;
}
function view(dtype: DType, buffer: ArrayBufferLike): Storage {
  switch (dtype) {
    case "float32":
      return new Float32Array(buffer);
    case "float64":
      return new Float64Array(buffer);
    case "int32":
      return new Int32Array(buffer);
    case "bool":
      return new Uint8Array(buffer);
  }
  throw new TypeError(`unknown dtype ${String(dtype)}`);
}
// V8 (Node 20) does not count SharedArrayBuffer memory toward any isolate's GC pressure (its
// backing-store accounting skips shared stores), so garbage shared storages are freed only when
// a GC happens for other reasons: measured here, a loop allocating and filling one 4 MB
// SharedArrayBuffer per iteration held 1.5 GB after 400 iterations (ArrayBuffers: flat at 80 MB),
// and every new one is fresh mmap'ed memory (about 1000 page faults per 4 MB). Each shared
// storage therefore keeps an ordinary buffer of its size alive beside it, which V8 does count:
// Node's uninitialized Buffer.allocUnsafeSlow, a malloc whose pages are never touched (no RSS, no
// page faults). With it the same loop stays at ~140 MB. (Workers do the same for the shared
// buffers they are sent: worker-source.ts.)
// (A zeroed `new ArrayBuffer` would do, but calloc clears reused memory: 535 us per 4 MB, against
// 25 us.) Node's Buffer is reached through process.getBuiltinModule, as backend/threads reaches
// worker_threads, so bundles never see a Node global.
const ballasts = new WeakMap<Storage, unknown>();
type Unzeroed = { allocUnsafeSlow(n: number): unknown };
let unzeroed: Unzeroed | null | undefined;
type NodeProcess = {
  getBuiltinModule?: (id: string) => { Buffer?: Unzeroed };
  env?: Record<string, string | undefined>;
};
const nodeProcess = (globalThis as { process?: NodeProcess }).process;
const nodeEnv = (name: string) => nodeProcess?.env?.[name];
const isOn = (v: string | undefined) => v !== undefined && v !== "" && v !== "0";
function unzeroedBuffer(): Unzeroed | null {
  if (unzeroed === undefined) {
    try {
      unzeroed = nodeProcess?.getBuiltinModule?.("node:buffer")?.Buffer ?? null;
    } catch {
      unzeroed = null;
    }
  }
  return unzeroed;
}
function ballast(bytes: number): unknown {
  const u = unzeroedBuffer();
  return u ? u.allocUnsafeSlow(bytes) : new ArrayBuffer(bytes);
}
const SMALL = 1 << 24;
// Below this, a kernel is never split across threads (the cost model in backend/js/parallel.ts
// wants far more work than that), and an ordinary ArrayBuffer is cheaper to allocate.
export const SHARED_MIN = 1 << 14;
const sharable =
  typeof SharedArrayBuffer === "function" &&
  (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
let shared = false;
/** Whether new large storages go on a SharedArrayBuffer (set by the thread count). */
export function shareStorages(on: boolean): void {
  shared = on && sharable;
}
const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };
function allocateLarge(dtype: DType, n: number, share = shared): Storage {
  const fail = (why: string) =>
    new Error(
      `can't allocate memory for a ${dtype} tensor of ${n} elements (${n * BYTES[dtype]} bytes): ${why}`,
    );
  if (!Number.isSafeInteger(n) || n < 0) throw fail("not a valid element count");
  try {
    return share ? sharedArray(dtype, n) : array(dtype, n);
  } catch (e) {
    if (e instanceof RangeError) throw fail(`the JavaScript engine refused (${e.message})`);
    throw e;
  }
}

export const isFloat = (d: DType) => d === "float32" || d === "float64";
export const short: Record<DType, string> = {
  float32: "f32",
  float64: "f64",
  int32: "i32",
  bool: "bool",
};

// PyTorch's legacy type names, used in its error messages ("torch.FloatTensor [2, 2]"). jitgrad's
// int32 plays the role of PyTorch's default int64, so it is named as int64 is (as format.ts prints it).
export const torchTypeName: Record<DType, string> = {
  float32: "torch.FloatTensor",
  float64: "torch.DoubleTensor",
  int32: "torch.LongTensor",
  bool: "torch.BoolTensor",
};

const rank: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };
export const promote = (a: DType, b: DType): DType => (rank[a] >= rank[b] ? a : b);

// PyTorch's scalar type names for error messages (jitgrad's int32 plays int64's part: "Long").
export const scalarTypeName = (dtype: DType) => torchTypeName[dtype].slice(6, -6);
// and the C type names some of its messages use ("expected dtype float for `end` but got dtype
// long int")
const cTypeNames: Record<DType, string> = {
  float32: "float",
  float64: "double",
  int32: "long int",
  bool: "bool",
};
export const cTypeName = (dtype: DType) => cTypeNames[dtype];
