// Checkpoints: state dicts (and anything nested around them: an optimizer's state, the epoch) saved
// in the safetensors format. Tensors go into the file's tensors under their dotted paths; the rest
// of the structure is JSON in `__metadata__`. Bytes everywhere; files where Node's fs exists.
import { allocate, type DType } from "../ir/dtype";
import { contiguousStrides, fmtShape, numel } from "../ir/shape";
import * as arg from "./args";
import { decodeSafetensors, encodeSafetensors } from "./safetensors";
import { Tensor } from "./tensor";

/** One tensor as plain data (a `TensorData` of `Module.stateDict()`). */
interface PlainTensor {
  shape: number[];
  dtype: string;
  data: number[];
}

/** The `__metadata__` key that holds a nested checkpoint's structure. */
const STRUCTURE_KEY = "jitgrad.checkpoint";
/** How the structure refers to a tensor of the file: `{ "$tensor": name }`. */
const TENSOR_REF = "$tensor";

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null &&
  typeof v === "object" &&
  (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/** `{ shape, dtype, data }` with exactly those keys: a state dict entry as plain data. */
function isPlainTensor(v: unknown): v is PlainTensor {
  if (!isPlainObject(v)) return false;
  const keys = Object.keys(v); // own keys first: nothing inherited is read
  return (
    keys.length === 3 &&
    keys.every((k) => k === "shape" || k === "dtype" || k === "data") &&
    Array.isArray(v.shape) &&
    typeof v.dtype === "string" &&
    Array.isArray(v.data)
  );
}

/** A Tensor as it is, plain `{ shape, dtype, data }` made into one (checked), else undefined. */
function asTensor(v: unknown, where: string): Tensor | undefined {
  if (Tensor.isTensor(v)) {
    if (!v.storage)
      throw new TypeError(`${where}: cannot save a tensor being traced inside compile()`);
    return v;
  }
  if (!isPlainTensor(v)) return undefined;
  return fromPlain(v, where);
}

/**
 * `{ shape, dtype, data }` as a Tensor: the dtype and shape checked, every element a number that
 * the dtype holds exactly (an integer in range for int32, 0/1 or a boolean for bool). A direct
 * fill, as `tensor()` would be slow for millions of values.
 */
function fromPlain(v: PlainTensor, where: string): Tensor {
  const dtype = arg.dtype(v.dtype, "save") as DType;
  const shape = arg.size(v.shape, "save", "shape");
  const n = numel(shape),
    data = v.data;
  if (data.length !== n)
    throw new TypeError(`${where}: ${data.length} values for shape ${fmtShape(shape)}`);
  const storage = allocate(dtype, n);
  for (let i = 0; i < n; i++) {
    let x: unknown = data[i];
    if (dtype === "bool" && typeof x === "boolean") x = x ? 1 : 0;
    const ok =
      typeof x === "number" &&
      (dtype === "int32"
        ? Number.isInteger(x) && x >= -2147483648 && x <= 2147483647
        : dtype !== "bool" || x === 0 || x === 1);
    if (!ok) throw new TypeError(`${where}: element ${i} (${String(x)}) is not a ${dtype} value`);
    storage[i] = x as number;
  }
  return new Tensor(storage, shape, contiguousStrides(shape), 0, dtype);
}

function bytesOf(source: unknown, fn: string): Uint8Array | ArrayBuffer {
  if (arg.typedArrayName(source) === "Uint8Array" || source instanceof ArrayBuffer)
    return source as Uint8Array | ArrayBuffer;
  throw new TypeError(
    `${fn}(): expected a Uint8Array or an ArrayBuffer, not ${arg.typeName(source)}`,
  );
}

// ---------------------------------------------------------------- flat safetensors

/** Options of {@link saveSafetensors}. */
export interface SaveSafetensorsOptions {
  /** Strings stored in the file's `__metadata__` (safetensors allows strings only). */
  metadata?: Record<string, string>;
}

/**
 * A flat object of tensors (a state dict: `model.stateDict()`, or name -> Tensor) as safetensors
 * bytes, the file Python's `safetensors.torch.load_file` reads. float32, float64 and bool are
 * stored as F32, F64, BOOL; int32 as I64 (PyTorch's integer dtype, which jitgrad's int32 plays).
 */
export function saveSafetensors(
  tensors: Record<string, Tensor | PlainTensor>,
  options?: SaveSafetensorsOptions,
): Uint8Array {
  const fn = "saveSafetensors";
  if (!isPlainObject(tensors))
    throw new TypeError(`${fn}(): expected an object of tensors, not ${arg.typeName(tensors)}`);
  const m = arg.options(options, fn, ["metadata"]).metadata;
  const metadata = new Map<string, string>();
  if (m !== undefined) {
    if (!isPlainObject(m)) throw new TypeError(`${fn}(): metadata must be an object of strings`);
    for (const [k, v] of Object.entries(m)) {
      // load() reads this key as a nested checkpoint's structure: a flat file carrying it would
      // load as that structure, its tensors silently gone
      if (k === STRUCTURE_KEY)
        throw new TypeError(`${fn}(): metadata key "${STRUCTURE_KEY}" is reserved for save()`);
      if (typeof v !== "string")
        throw new TypeError(
          `${fn}(): metadata ${JSON.stringify(k)} must be a string, not ${arg.typeName(v)}`,
        );
      metadata.set(k, v);
    }
  }
  const map = new Map<string, Tensor>();
  for (const [k, v] of Object.entries(tensors)) {
    const t = asTensor(v, `${fn}(): ${JSON.stringify(k)}`);
    if (!t)
      throw new TypeError(
        `${fn}(): ${JSON.stringify(k)} must be a Tensor or {shape, dtype, data}, not ${arg.typeName(v)}`,
      );
    map.set(k, t);
  }
  return encodeSafetensors(map, metadata);
}

/**
 * The tensors of safetensors bytes (a file written by Python's `safetensors`, or by
 * `saveSafetensors`) by name, in the file's order. F32, F16 and BF16 become float32, F64 float64,
 * BOOL bool and the integer dtypes int32 (a value outside int32's range is an error).
 */
export function loadSafetensors(bytes: Uint8Array | ArrayBuffer): Record<string, Tensor> {
  const { tensors } = decodeSafetensors(bytesOf(bytes, "loadSafetensors"));
  const out = Object.create(null) as Record<string, Tensor>;
  for (const [k, t] of tensors) out[k] = t;
  return out;
}

/** The `__metadata__` strings of safetensors bytes ({} when there are none). */
export function safetensorsMetadata(bytes: Uint8Array | ArrayBuffer): Record<string, string> {
  const { metadata } = decodeSafetensors(bytesOf(bytes, "safetensorsMetadata"));
  const out = Object.create(null) as Record<string, string>;
  for (const [k, v] of metadata) out[k] = v;
  return out;
}

// ---------------------------------------------------------------- nested checkpoints

/**
 * Splits `obj` into its tensors (named by their dotted paths) and a JSON structure that refers to
 * them as `{ "$tensor": name }`.
 */
function flatten(obj: unknown): { tensors: Map<string, Tensor>; structure: string } {
  const tensors = new Map<string, Tensor>();
  // the arrays and objects being walked: one met again inside itself is a cycle, which JSON cannot
  // hold (without this the walk overflows the stack with an error that names nothing)
  const open = new Set<object>();
  const walk = (v: unknown, path: string[]): unknown => {
    if (v !== null && typeof v === "object" && open.has(v))
      throw new TypeError(
        `save(): ${path.join(".")} refers back to an object that contains it; a checkpoint cannot hold a cycle`,
      );
    if (v !== null && typeof v === "object") open.add(v);
    try {
      return walkValue(v, path);
    } finally {
      if (v !== null && typeof v === "object") open.delete(v);
    }
  };
  const walkValue = (v: unknown, path: string[]): unknown => {
    const where = `save(): ${path.length ? path.join(".") : "the checkpoint"}`;
    const t = asTensor(v, where);
    if (t) {
      const name = path.join(".");
      if (tensors.has(name) || name === "__metadata__")
        throw new TypeError(`save(): two tensors would both be stored as ${JSON.stringify(name)}`);
      tensors.set(name, t);
      return { [TENSOR_REF]: name };
    }
    if (v === null || typeof v === "string" || typeof v === "boolean") return v;
    if (typeof v === "number") {
      if (Number.isFinite(v)) return v;
      throw new TypeError(`${where} is ${v}; only finite numbers can be stored outside tensors`);
    }
    if (Array.isArray(v)) return Array.from(v, (x, i) => walk(x, [...path, String(i)]));
    if (isPlainObject(v)) {
      const out = Object.create(null) as Record<string, unknown>;
      for (const [k, x] of Object.entries(v)) {
        if (k === TENSOR_REF) throw new TypeError(`${where}: the key "${TENSOR_REF}" is reserved`);
        if (x !== undefined) out[k] = walk(x, [...path, k]);
      }
      return out;
    }
    throw new TypeError(
      `${where} is a ${kindOf(v)}; a checkpoint holds tensors, numbers, strings, booleans, null, arrays and plain objects`,
    );
  };
  const structure = JSON.stringify(walk(obj, []));
  return { tensors, structure };
}

/** What a value is, for errors: its class's name for objects (Map, Date, ...). */
function kindOf(v: unknown): string {
  if (v === null || typeof v !== "object") return arg.typeName(v);
  const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name ? name : "object";
}

/** A flat object of tensors only: saved as a plain safetensors file, without a structure. */
function isFlatStateDict(obj: unknown): obj is Record<string, Tensor | PlainTensor> {
  return (
    isPlainObject(obj) && Object.values(obj).every((v) => Tensor.isTensor(v) || isPlainTensor(v))
  );
}

/** Node's fs, found without an import a bundler would follow (Node >= 20.16). */
function nodeFs(fn: string): {
  readFileSync(path: string): Uint8Array;
  writeFileSync(path: string, data: Uint8Array): void;
} {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof proc?.getBuiltinModule !== "function")
    throw new Error(
      `${fn}(path) reads and writes files with Node.js's fs (Node >= 20.16); here, use the bytes: save(obj) returns them and load(bytes) reads them`,
    );
  return proc.getBuiltinModule("node:fs") as ReturnType<typeof nodeFs>;
}

/**
 * Saves a checkpoint in the safetensors format: a state dict (`model.stateDict()`, or any flat
 * object of tensors) becomes a plain safetensors file that Python's `safetensors` reads; anything
 * nested (`{ model: model.stateDict(), optimizer: opt.stateDict(), epoch: 3 }`) stores its tensors
 * under their dotted paths (`model.fc.weight`, `optimizer.state.0.exp_avg`) and the rest (numbers,
 * strings, booleans, null, arrays, plain objects) as JSON under `__metadata__["jitgrad.checkpoint"]`.
 * Tensors may be `Tensor`s or `{ shape, dtype, data }`.
 *
 * With a `path`, writes the file (Node.js) and returns nothing; without one, returns the bytes
 * (browsers, workers, or to send them anywhere).
 */
export function save(obj: unknown): Uint8Array;
export function save(obj: unknown, path: string): void;
export function save(obj: unknown, path?: string): Uint8Array | undefined {
  if (path !== undefined && typeof path !== "string")
    throw new TypeError(`save(): argument 'path' must be a string, not ${arg.typeName(path)}`);
  let bytes: Uint8Array;
  if (isFlatStateDict(obj)) bytes = saveSafetensors(obj);
  else {
    const { tensors, structure } = flatten(obj);
    bytes = encodeSafetensors(tensors, new Map([[STRUCTURE_KEY, structure]]));
  }
  if (path === undefined) return bytes;
  nodeFs("save").writeFileSync(path, bytes);
  return undefined;
}

/**
 * Loads what {@link save} saved, from a file path (Node.js) or from bytes: the same structure with
 * every tensor a `Tensor`. A safetensors file without jitgrad's structure (one written by Python)
 * loads as a flat object of name -> Tensor. Pass it to `model.loadStateDict`.
 */
// biome-ignore lint/suspicious/noExplicitAny: the caller states what the checkpoint holds
export function load<T = any>(source: string | Uint8Array | ArrayBuffer): T {
  const bytes =
    typeof source === "string" ? nodeFs("load").readFileSync(source) : bytesOf(source, "load");
  const { tensors, metadata } = decodeSafetensors(bytes);
  const structure = metadata.get(STRUCTURE_KEY);
  if (structure === undefined) {
    const out = Object.create(null) as Record<string, Tensor>;
    for (const [k, t] of tensors) out[k] = t;
    return out as T;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(structure, (_key, v: unknown) => {
      if (!isPlainObject(v) || !Object.hasOwn(v, TENSOR_REF)) return v;
      const name = v[TENSOR_REF];
      const t = typeof name === "string" ? tensors.get(name) : undefined;
      if (!t) throw new Error(`it refers to a tensor ${JSON.stringify(name)} that the file lacks`);
      return t;
    });
  } catch (e) {
    throw new Error(`load(): invalid checkpoint structure: ${(e as Error).message}`);
  }
  return parsed as T;
}
