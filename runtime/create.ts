// Creation functions: tensor(), zeros, ones, full, rand, randn, arange, linspace, eye, *Like, and
// the functions over several tensors (where, cat, stack). Every argument goes through
// runtime/args.ts first; only the converted values are used.
import { backend } from "../backend/index";
import { allocate, type DType, isFloat, promote, type Storage } from "../ir/dtype";
import { contiguousStrides, fmtShape, normDim, numel } from "../ir/shape";
import * as arg from "./args";
import { isGradEnabled, Node } from "./autograd";
import { composite } from "./composite";
import { activeTrace, bind, empty } from "./dispatch";
import { randnValues, randValues } from "./random";
import { Tensor, whereCheck } from "./tensor";

/** Options of the creation functions: the dtype (default float32) and whether it requires grad. */
export interface TensorOptions {
  /** Make a leaf that requires gradients (floating-point dtypes only). Default false. */
  requiresGrad?: boolean;
  /** The element type. Default float32 (or what the data implies, for `tensor`). */
  dtype?: DType;
}
type Nested = number | boolean | Nested[];

const CREATE_OPTIONS = ["dtype", "requiresGrad"] as const;
// The options every creation function takes, checked; `dtype` defaults to `fallback`.
function creationOptions(
  v: unknown,
  fn: string,
  fallback: DType = "float32",
): { dtype: DType; requiresGrad: boolean } {
  const o = arg.options(v, fn, CREATE_OPTIONS);
  return {
    dtype: arg.dtype(o.dtype, fn) ?? fallback,
    requiresGrad:
      o.requiresGrad === undefined ? false : arg.bool(o.requiresGrad, fn, "requiresGrad"),
  };
}

function make(storage: Storage, shape: number[], dtype: DType, requiresGrad: boolean): Tensor {
  const t = new Tensor(storage, shape, contiguousStrides(shape), 0, dtype);
  if (requiresGrad) t.requiresGrad_(true);
  return t;
}

// ---- storing JS values in a dtype ----
const INT32_OVERFLOW = "value cannot be converted to type int32 without overflow";
/** v as stored in a tensor of `dtype`: int32 truncates (an out-of-range value is an error, not a wrap), bool is v != 0. */
function converter(dtype: DType): (v: number | boolean) => number {
  switch (dtype) {
    case "int32":
      return (v) => {
        const x = Math.trunc(+v);
        if (!(x >= -2147483648 && x <= 2147483647)) throw new Error(INT32_OVERFLOW);
        return x;
      };
    case "bool":
      return (v) => (v === false || v === 0 ? 0 : 1); // NaN is true, as bool(nan) in Python
    default:
      return (v) => +v;
  }
}

// ---- tensor(data) ----
const NATIVE = new Map<string, DType>([
  ["Float32Array", "float32"],
  ["Float64Array", "float64"],
  ["Int32Array", "int32"],
]);
const CONVERTIBLE = new Set([
  "Uint8Array",
  "Int8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Uint32Array",
]);

function fromTypedArray(
  data: ArrayBufferView,
  dtypeOpt: DType | undefined,
  shapeOpt: number[] | undefined,
  requiresGrad: boolean,
): Tensor {
  const tag = arg.typedArrayName(data); // undefined for a DataView
  const native = tag === undefined ? undefined : NATIVE.get(tag);
  if (!native && !(tag !== undefined && CONVERTIBLE.has(tag) && dtypeOpt)) {
    const hint =
      tag === "Uint8Array"
        ? ': jitgrad has no uint8 dtype; pass { dtype: "bool" } for a mask (nonzero is true) or { dtype: "int32" }, or convert with Int32Array.from(data)'
        : tag !== undefined && CONVERTIBLE.has(tag)
          ? `: pass a dtype ("float32", "float64", "int32" or "bool") to convert it`
          : "";
    throw new TypeError(
      `tensor(): ${tag ?? "DataView"} data is not supported (Float32Array, Float64Array and Int32Array are)${hint}`,
    );
  }
  const arr = data as unknown as ArrayLike<number>,
    n = arg.typedArrayLength(data);
  const shape = shapeOpt ?? [n];
  if (numel(shape) !== n)
    throw new Error(`shape '${fmtShape(shape)}' is invalid for input of size ${n}`);
  const dtype = dtypeOpt ?? native!,
    s = allocate(dtype, n);
  if (dtype === native || (dtype === "float64" && native === "float32")) s.set(arr);
  else {
    const conv = converter(dtype);
    for (let i = 0; i < n; i++) s[i] = conv(arr[i]);
  }
  return make(s, shape, dtype, requiresGrad);
}

// Shape of nested arrays: the first element at each level, at most MAX_NDIM deep.
function inferShape(data: unknown): number[] {
  const shape: number[] = [];
  let x = data;
  while (Array.isArray(x)) {
    if (shape.length === arg.MAX_NDIM)
      throw new Error(
        `tensor(): data nested more than ${arg.MAX_NDIM} levels deep; tensors have at most ${arg.MAX_NDIM} dims`,
      );
    const n = x.length;
    shape.push(n);
    if (n === 0) break;
    x = Object.hasOwn(x, 0) ? x[0] : undefined;
  }
  return shape;
}
// Checks nested data against the shape (PyTorch's errors for ragged data) and collects its values,
// each element read once: holes and non-numbers are refused.
function collect(data: unknown, shape: number[]): (number | boolean)[] {
  const flat: (number | boolean)[] = [];
  const visit = (x: unknown, dim: number) => {
    if (dim === shape.length) {
      if (typeof x === "number" || typeof x === "boolean") flat.push(x);
      else if (Array.isArray(x))
        throw new Error(`expected a number at dim ${dim}, got a nested array`);
      else throw new TypeError(`Could not infer dtype of ${arg.typeName(x)}`);
      return;
    }
    if (!Array.isArray(x))
      throw new Error(
        `expected sequence of length ${shape[dim]} at dim ${dim} (got ${arg.typeName(x)})`,
      );
    const n = x.length;
    if (n !== shape[dim])
      throw new Error(`expected sequence of length ${shape[dim]} at dim ${dim} (got ${n})`);
    for (let i = 0; i < n; i++) {
      if (!Object.hasOwn(x, i))
        throw new TypeError(
          `tensor(): the array at dim ${dim} has a hole at index ${i} (an empty slot, as in [1, , 3])`,
        );
      visit(x[i], dim + 1);
    }
  };
  visit(data, 0);
  return flat;
}

/**
 * A tensor from nested arrays of numbers or booleans (shape inferred; booleans give bool, numbers
 * float32) or from a typed array (Float32Array, Float64Array, Int32Array: dtype from its type;
 * others need a dtype; `shape` optional).
 */
export function tensor(
  data: Nested | ArrayLike<number>,
  opts?: TensorOptions & { shape?: number[] },
): Tensor {
  const o = arg.options(opts, "tensor", ["dtype", "requiresGrad", "shape"]);
  const dtypeOpt = arg.dtype(o.dtype, "tensor"),
    requiresGrad =
      o.requiresGrad === undefined ? false : arg.bool(o.requiresGrad, "tensor", "requiresGrad"),
    shapeOpt = o.shape === undefined ? undefined : arg.size(o.shape, "tensor", "shape");
  if (ArrayBuffer.isView(data)) return fromTypedArray(data, dtypeOpt, shapeOpt, requiresGrad);
  const shape = inferShape(data),
    flat = collect(data, shape);
  const dtype =
    dtypeOpt ?? (flat.length && flat.every((v) => typeof v === "boolean") ? "bool" : "float32");
  const s = allocate(dtype, flat.length),
    conv = converter(dtype);
  for (let i = 0; i < flat.length; i++) s[i] = conv(flat[i]);
  // { shape } lays the flattened values out in that shape, as for typed arrays
  if (shapeOpt && numel(shapeOpt) !== flat.length)
    throw new Error(`shape '${fmtShape(shapeOpt)}' is invalid for input of size ${flat.length}`);
  return make(s, shapeOpt ?? shape, dtype, requiresGrad);
}

// ---- filled and random tensors ----
function filled(shape: number[], value: number | boolean, dtype: DType, requiresGrad: boolean) {
  const v = converter(dtype)(value),
    s = allocate(dtype, numel(shape));
  if (v !== 0) s.fill(v);
  return make(s, shape, dtype, requiresGrad);
}
/** A tensor of `shape` filled with `value`. */
export function full(size: number | number[], value: number | boolean, opts?: TensorOptions) {
  const shape = arg.size(size, "full", "size", 1),
    v = arg.scalarValue(value, "full", "fill_value", 2),
    o = creationOptions(opts, "full");
  return filled(shape, v, o.dtype, o.requiresGrad);
}
type SizeArgs = number[] | [number[]] | [...number[], TensorOptions] | [number[], TensorOptions];
/** A tensor of `shape` filled with 0: zeros([2, 3]), zeros(2, 3), zeros([2, 3], { dtype }), zeros(2, 3, { dtype }). */
export function zeros(...args: SizeArgs): Tensor {
  const { size, opts } = arg.sizeArgs(args, "zeros"),
    o = creationOptions(opts, "zeros");
  return filled(size, 0, o.dtype, o.requiresGrad);
}
/** A tensor of `shape` filled with 1 (the forms of `zeros`). */
export function ones(...args: SizeArgs): Tensor {
  const { size, opts } = arg.sizeArgs(args, "ones"),
    o = creationOptions(opts, "ones");
  return filled(size, 1, o.dtype, o.requiresGrad);
}
function like(t: unknown, opts: unknown, fn: string, value: number | boolean): Tensor {
  const x = arg.tensorArg(t, fn, "input", 1),
    o = creationOptions(opts, fn, x.dtype);
  return filled([...x.shape], value, o.dtype, o.requiresGrad);
}
/** Zeros of `t`'s shape and dtype. */
export const zerosLike = (t: Tensor, opts?: TensorOptions) => like(t, opts, "zeros_like", 0);
/** Ones of `t`'s shape and dtype. */
export const onesLike = (t: Tensor, opts?: TensorOptions) => like(t, opts, "ones_like", 1);
/** `value` in `t`'s shape and dtype (converted to it: 2.7 in an int32 tensor is 2). */
export const fullLike = (t: Tensor, value: number | boolean, opts?: TensorOptions) =>
  like(t, opts, "full_like", arg.scalarValue(value, "full_like", "fill_value", 2));

function random(args: unknown[], fn: string, sample: typeof randValues): Tensor {
  const { size, opts } = arg.sizeArgs(args, fn),
    { dtype, requiresGrad } = creationOptions(opts, fn);
  if (!isFloat(dtype))
    throw new Error(
      `"normal_kernel_cpu" not implemented for '${dtype === "int32" ? "Int" : "Bool"}'`,
    );
  return make(sample(numel(size), dtype), size, dtype, requiresGrad);
}
/**
 * Uniform samples in [0, 1) from the global generator (the same values as PyTorch after
 * `manualSeed`).
 */
export const rand = (...args: SizeArgs) => random(args, "rand", randValues);
/**
 * Standard normal samples from the global generator (the same values as PyTorch after
 * `manualSeed`).
 */
export const randn = (...args: SizeArgs) => random(args, "randn", randnValues);

// Trailing options after a few numbers: arange(5, { dtype }), eye(3, { dtype }).
function splitOptions(args: unknown[]): { nums: unknown[]; opts: unknown } {
  const last = args[args.length - 1];
  if (args.length && last !== null && typeof last === "object" && !Array.isArray(last))
    return { nums: args.slice(0, -1), opts: last };
  return { nums: args, opts: undefined };
}

/**
 * `arange(end)` or `arange(start, end, step)`: values from start to end (exclusive); int32 when all
 * arguments are integers.
 */
export function arange(
  ...args: [number, ...(number | TensorOptions | undefined)[]] | number[]
): Tensor {
  const { nums, opts } = splitOptions(args);
  while (nums.length > 1 && nums[nums.length - 1] === undefined) nums.pop(); // arange(0, 5, undefined)
  if (nums.length < 1 || nums.length > 3)
    throw new TypeError(
      `arange(): expected 1 to 3 numbers (end, or start, end, step), got ${nums.length}`,
    );
  const names = nums.length === 1 ? ["end"] : ["start", "end", "step"];
  const v = nums.map((x, i) => arg.number(x, "arange", names[i], i + 1));
  const [start, end, step] = v.length === 1 ? [0, v[0], 1] : [v[0], v[1], v[2] ?? 1];
  if (!Number.isFinite(start) || !Number.isFinite(end))
    throw new Error(`unsupported range: ${start} -> ${end}`);
  if (step === 0 || !Number.isFinite(step)) throw new Error("step must be nonzero");
  if ((end - start) / step < 0)
    throw new Error("upper bound and larger bound inconsistent with step sign");
  const o = creationOptions(
    opts,
    "arange",
    [start, end, step].every(Number.isInteger) ? "int32" : "float32",
  );
  const n = Math.ceil((end - start) / step),
    s = allocate(o.dtype, n),
    conv = converter(o.dtype);
  for (let i = 0; i < n; i++) s[i] = conv(start + i * step);
  return make(s, [n], o.dtype, o.requiresGrad);
}

/** `steps` evenly spaced values from `start` to `end` inclusive. */
export function linspace(start: number, end: number, steps: number, opts?: TensorOptions): Tensor {
  const a = arg.number(start, "linspace", "start", 1),
    b = arg.number(end, "linspace", "end", 2),
    n = arg.int(steps, "linspace", "steps", 3);
  if (n < 0) throw new Error("number of steps must be non-negative");
  const o = creationOptions(opts, "linspace"),
    s = allocate(o.dtype, n),
    conv = converter(o.dtype),
    step = n > 1 ? (b - a) / (n - 1) : 0;
  // PyTorch fills the first half from start and the second half from end, for symmetry
  const half = Math.floor(n / 2);
  for (let i = 0; i < n; i++)
    s[i] = conv(i < half || n === 1 ? a + step * i : b - step * (n - 1 - i));
  return make(s, [n], o.dtype, o.requiresGrad);
}

/** An n x m matrix with ones on the diagonal. */
export function eye(...args: [number, number?, TensorOptions?] | [number, TensorOptions]): Tensor {
  const { nums, opts } = splitOptions(args);
  if (nums.length === 2 && nums[1] === undefined) nums.pop();
  if (nums.length < 1 || nums.length > 2)
    throw new TypeError(`eye(): expected n, or n and m, got ${nums.length} numbers`);
  const n = arg.count(nums[0], "eye", "n", 1),
    m = nums.length === 2 ? arg.count(nums[1], "eye", "m", 2) : n;
  const o = creationOptions(opts, "eye"),
    s = allocate(o.dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) s[i * m + i] = 1;
  return make(s, [n, m], o.dtype, o.requiresGrad);
}

// ---- functions over several tensors ----
/** Elements of `a` where `cond` holds, of `b` elsewhere, broadcast. */
export function where(cond: Tensor, a: Tensor | number | boolean, b: Tensor | number | boolean) {
  const c = arg.tensorArg(cond, "where", "condition", 1),
    x = arg.operand(a, "where", "input", 2),
    y = arg.operand(b, "where", "other", 3);
  whereCheck(c);
  return bind("where", [c, x, y]);
}

/** The tensors joined along an existing dim. */
export function cat(tensors: Tensor[], dim = 0): Tensor {
  const ts = arg.tensorList(tensors, "cat"),
    dimArg = arg.int(dim, "cat", "dim", 2);
  if (ts.length === 0) throw new Error("torch.cat(): expected a non-empty list of Tensors");
  const first = ts[0];
  ts.forEach((t, i) => {
    if (t.ndim === 0)
      throw new Error(`zero-dimensional tensor (at position ${i}) cannot be concatenated`);
  });
  const d = normDim(dimArg, first.ndim);
  let total = 0;
  ts.forEach((t, i) => {
    if (t.ndim !== first.ndim)
      throw new Error(
        `Tensors must have same number of dimensions: got ${first.ndim} and ${t.ndim}`,
      );
    t.shape.forEach((n, k) => {
      if (k !== d && n !== first.shape[k]) {
        throw new Error(
          `Sizes of tensors must match except in dimension ${d}. Expected size ${first.shape[k]} but got size ${n} for tensor number ${i} in the list.`,
        );
      }
    });
    total += t.shape[d];
  });
  if (!activeTrace()) return join(ts, d, false, "CatBackward0");
  // compiled: each piece padded into place along d, then summed (one primitive, pad, whose VJP is a slice)
  return composite("CatBackward0", ts, (...xs) => {
    let at = 0;
    return xs
      .map((x) => {
        const before = x.shape.map((_, k) => (k === d ? at : 0)),
          after = x.shape.map((_, k) => (k === d ? total - at - x.shape[d] : 0));
        at += x.shape[d];
        return x.pad(before, after);
      })
      .reduce((a, b) => a.add(b));
  });
}

/** The tensors (of one shape) joined along a new dim. */
export function stack(tensors: Tensor[], dim = 0): Tensor {
  const ts = arg.tensorList(tensors, "stack"),
    dimArg = arg.int(dim, "stack", "dim", 2);
  if (ts.length === 0) throw new Error("stack expects a non-empty TensorList");
  ts.forEach((t, i) => {
    if (t.shape.join() !== ts[0].shape.join()) {
      throw new Error(
        `stack expects each tensor to be equal size, but got [${ts[0].shape.join(", ")}] at entry 0 and [${t.shape.join(", ")}] at entry ${i}`,
      );
    }
  });
  const d = normDim(dimArg, ts[0].ndim + 1);
  if (!activeTrace()) return join(ts, d, true, "StackBackward0");
  return composite("StackBackward0", ts, (...xs) =>
    cat(
      xs.map((x) => x.unsqueeze(d)),
      d,
    ),
  );
}

// Eager cat/stack: one output, each piece copied once into its slice (linear in the output's
// size whatever the number of pieces); the gradient of piece i is the matching slice of g.
function join(ts: Tensor[], d: number, stacked: boolean, name: string): Tensor {
  const first = ts[0];
  let dtype = first.dtype,
    total = 0;
  for (const t of ts) {
    dtype = promote(dtype, t.dtype);
    total += stacked ? 1 : t.shape[d];
  }
  const shape = stacked
    ? [...first.shape.slice(0, d), ts.length, ...first.shape.slice(d)]
    : first.shape.map((n, k) => (k === d ? total : n));
  const out = empty(shape, dtype),
    strides = stacked ? out.strides.filter((_, k) => k !== d) : out.strides;
  const starts: number[] = new Array(ts.length);
  let at = 0;
  ts.forEach((t, i) => {
    starts[i] = at;
    if (t.numel() > 0) {
      const slice = { storage: out.storage, shape: t.shape, strides, offset: at * out.strides[d] };
      backend.copy(t, slice);
    }
    at += stacked ? 1 : t.shape[d];
  });
  if (isGradEnabled() && isFloat(dtype) && ts.some((t) => t.requiresGrad)) {
    out.gradFn = new Node(
      name,
      ts.map((t) => (t.requiresGrad ? t.gradEdge() : null)),
      ts.map((t) => ({ shape: t.shape, dtype: t.dtype })),
      (g) =>
        ts.map((t, i) =>
          !t.requiresGrad ? null : stacked ? g.select(d, i) : g.narrow(d, starts[i], t.shape[d]),
        ),
    );
  }
  return out;
}
