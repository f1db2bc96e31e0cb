// Creation functions: tensor(), zeros, ones, full, rand, randn, arange, linspace, eye, *Like.
import { allocate, type DType, isFloat, type Storage } from "../ir/dtype";
import { contiguousStrides, normDim, numel } from "../ir/shape";
import { composite } from "./composite";
import { bind } from "./dispatch";
import { randnValues, randValues } from "./random";
import { Tensor } from "./tensor";

/** Options of the creation functions: the dtype (default float32) and whether it requires grad. */
export interface TensorOptions {
  requiresGrad?: boolean;
  dtype?: DType;
}
type Nested = number | boolean | Nested[];

function make(storage: Storage, shape: number[], dtype: DType, opts: TensorOptions): Tensor {
  for (const n of shape)
    if (!Number.isInteger(n) || n < 0)
      throw new Error(
        `Trying to create tensor with negative dimension ${n}: [${shape.join(", ")}]`,
      );
  const t = new Tensor(storage, shape, contiguousStrides(shape), 0, dtype);
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}
const filled = (shape: number[], dtype: DType, fill: number) =>
  allocate(dtype, numel(shape)).fill(fill);

// Shape of nested arrays, with PyTorch's error for ragged ones.
function shapeOf(data: Nested): number[] {
  if (!Array.isArray(data)) return [];
  const inner = data.length ? shapeOf(data[0]) : [];
  const check = (x: Nested, dim: number, want: number[]) => {
    if (want.length === 0) {
      if (Array.isArray(x)) throw new Error(`expected a number at dim ${dim}, got a nested array`);
      return;
    }
    if (!Array.isArray(x))
      throw new Error(`expected sequence of length ${want[0]} at dim ${dim} (got a number)`);
    if (x.length !== want[0])
      throw new Error(`expected sequence of length ${want[0]} at dim ${dim} (got ${x.length})`);
    x.forEach((y) => check(y, dim + 1, want.slice(1)));
  };
  data.forEach((x) => check(x, 1, inner));
  return [data.length, ...inner];
}

const typedDtype = (a: ArrayLike<number>): DType =>
  a instanceof Float64Array
    ? "float64"
    : a instanceof Int32Array
      ? "int32"
      : a instanceof Uint8Array
        ? "bool"
        : "float32";

/**
 * A tensor from nested arrays of numbers or booleans (shape inferred; booleans give bool, numbers
 * float32) or from a typed array (dtype from its type, `shape` optional).
 */
export function tensor(
  data: Nested | ArrayLike<number>,
  opts: TensorOptions & { shape?: number[] } = {},
): Tensor {
  if (ArrayBuffer.isView(data)) {
    const arr = data as unknown as ArrayLike<number>,
      shape = opts.shape ?? [arr.length];
    if (numel(shape) !== arr.length)
      throw new Error(`shape '[${shape.join(", ")}]' is invalid for input of size ${arr.length}`);
    const dtype = opts.dtype ?? typedDtype(arr),
      s = allocate(dtype, arr.length);
    s.set(arr as ArrayLike<number>);
    return make(s, [...shape], dtype, opts);
  }
  const shape = shapeOf(data as Nested);
  const flat: (number | boolean)[] = [];
  const walk = (x: Nested) => (Array.isArray(x) ? x.forEach(walk) : flat.push(x));
  walk(data as Nested);
  for (const v of flat)
    if (typeof v !== "number" && typeof v !== "boolean")
      throw new Error(`Could not infer dtype of ${typeof v}`);
  const dtype =
    opts.dtype ?? (flat.length && flat.every((v) => typeof v === "boolean") ? "bool" : "float32");
  const s = allocate(dtype, flat.length);
  flat.forEach((v, i) => {
    s[i] = +v;
  });
  // { shape } lays the flattened values out in that shape, as for typed arrays (it was ignored)
  if (opts.shape && numel(opts.shape) !== flat.length)
    throw new Error(
      `shape '[${opts.shape.join(", ")}]' is invalid for input of size ${flat.length}`,
    );
  return make(s, opts.shape ? [...opts.shape] : shape, dtype, opts);
}

const dt = (opts: TensorOptions) => opts.dtype ?? "float32";
/** A tensor of `shape` filled with `value`. */
export const full = (shape: number[], value: number, opts: TensorOptions = {}) =>
  make(filled(shape, dt(opts), value), [...shape], dt(opts), opts);
/** A tensor of `shape` filled with 0. */
export const zeros = (shape: number[], opts: TensorOptions = {}) => full(shape, 0, opts);
/** A tensor of `shape` filled with 1. */
export const ones = (shape: number[], opts: TensorOptions = {}) => full(shape, 1, opts);
/** Zeros of `t`'s shape and dtype. */
export const zerosLike = (t: Tensor, opts: TensorOptions = {}) =>
  zeros(t.shape, { dtype: t.dtype, ...opts });
/** Ones of `t`'s shape and dtype. */
export const onesLike = (t: Tensor, opts: TensorOptions = {}) =>
  ones(t.shape, { dtype: t.dtype, ...opts });

function random(sample: typeof randValues, shape: number[], opts: TensorOptions): Tensor {
  const dtype = dt(opts);
  if (!isFloat(dtype))
    throw new Error(
      `"normal_kernel_cpu" not implemented for '${dtype === "int32" ? "Int" : "Bool"}'`,
    );
  return make(sample(numel(shape), dtype), [...shape], dtype, opts);
}
/**
 * Uniform samples in [0, 1) from the global generator (the same values as PyTorch after
 * `manualSeed`).
 */
export const rand = (shape: number[], opts: TensorOptions = {}) => random(randValues, shape, opts);
/**
 * Standard normal samples from the global generator (the same values as PyTorch after
 * `manualSeed`).
 */
export const randn = (shape: number[], opts: TensorOptions = {}) =>
  random(randnValues, shape, opts);

// arange(end) or arange(start, end, step); all-integer arguments give int32 (PyTorch gives int64).
/**
 * `arange(end)` or `arange(start, end, step)`: values from start to end (exclusive); int32 when all
 * arguments are integers.
 */
export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (step === 0) throw new Error("step must be nonzero");
  if ((end - start) / step < 0)
    throw new Error("upper bound and larger bound inconsistent with step sign");
  const dtype = opts.dtype ?? ([start, end, step].every(Number.isInteger) ? "int32" : "float32");
  const n = Math.ceil((end - start) / step),
    s = allocate(dtype, n);
  for (let i = 0; i < n; i++) s[i] = start + i * step;
  return make(s, [n], dtype, opts);
}

/** `steps` evenly spaced values from `start` to `end` inclusive. */
export function linspace(
  start: number,
  end: number,
  steps: number,
  opts: TensorOptions = {},
): Tensor {
  const dtype = dt(opts),
    s = allocate(dtype, steps),
    step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // PyTorch fills the first half from start and the second half from end, for symmetry
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++)
    s[i] = i < half || steps === 1 ? start + step * i : end - step * (steps - 1 - i);
  return make(s, [steps], dtype, opts);
}

/** An n x m matrix with ones on the diagonal. */
export function eye(n: number, m = n, opts: TensorOptions = {}): Tensor {
  const dtype = dt(opts),
    s = allocate(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) s[i * m + i] = 1;
  return make(s, [n, m], dtype, opts);
}

// ---- functions over several tensors ----
/** Elements of `a` where `cond` holds, of `b` elsewhere, broadcast. */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  if (cond.dtype !== "bool")
    throw new Error(
      `where expected condition to be a boolean tensor, but got a tensor with dtype ${cond.dtype === "int32" ? "Int" : "Float"}`,
    );
  return bind("where", [cond, a, b]);
}

/** The tensors joined along an existing dim. */
export function cat(tensors: Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new Error("torch.cat(): expected a non-empty list of Tensors");
  const first = tensors[0],
    d = normDim(dim, first.ndim);
  tensors.forEach((t, i) => {
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
  });
  const total = tensors.reduce((n, t) => n + t.shape[d], 0);
  // each piece padded into place along d, then summed: one primitive (pad) whose VJP is a slice
  return composite("CatBackward0", tensors, (...xs) => {
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
  if (tensors.length === 0) throw new Error("stack expects a non-empty TensorList");
  tensors.forEach((t, i) => {
    if (t.shape.join() !== tensors[0].shape.join()) {
      throw new Error(
        `stack expects each tensor to be equal size, but got [${tensors[0].shape.join(", ")}] at entry 0 and [${t.shape.join(", ")}] at entry ${i}`,
      );
    }
  });
  const d = normDim(dim, tensors[0].ndim + 1);
  return composite("StackBackward0", tensors, (...xs) =>
    cat(
      xs.map((x) => x.unsqueeze(d)),
      d,
    ),
  );
}
