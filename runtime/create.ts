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
// Compiled cat: up to this many pieces are padded into place and summed, which fuses with the
// consumer; more take one copy each in a cat kernel.
const CAT_FUSED_PIECES = 16;
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
  // compiled, many pieces: one kernel copying each once (padding and summing n pieces would cost n
  // operations per output element)
  if (ts.length > CAT_FUSED_PIECES) return bind("cat", ts, { dim: d }, "CatBackward0");
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

/**
 * Coordinate grids from 1-D tensors: output k holds tensors[k] along its dim, expanded to the grid.
 * indexing "ij" (default): the grid is [n0, n1, ...]; "xy": the first two dims swapped.
 */
export function meshgrid(tensors: Tensor[], opts?: { indexing?: "ij" | "xy" }): Tensor[] {
  const ts = arg.tensorList(tensors, "meshgrid");
  const o = arg.options(opts, "meshgrid", ["indexing"]);
  const indexing =
    o.indexing === undefined ? "ij" : arg.oneOf(o.indexing, "meshgrid", "indexing", ["ij", "xy"]);
  if (ts.length === 0) throw new Error("torch.meshgrid expects a non-empty TensorList");
  // PyTorch 1.13 checks the dtypes before the dims
  if (ts.some((t) => t.dtype !== ts[0].dtype))
    throw new Error("meshgrid expects all tensors to have the same dtype");
  ts.forEach((t) => {
    if (t.ndim > 1)
      throw new Error(
        `torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: ${t.toString()}`,
      );
  });
  const swap = indexing === "xy" && ts.length >= 2;
  const order = ts.map((_, k) => k);
  if (swap) [order[0], order[1]] = [order[1], order[0]];
  const sizes = order.map((k) => ts[k].numel());
  return ts.map((t, k) => {
    const at = order.indexOf(k);
    return t.reshape(sizes.map((n, d) => (d === at ? n : 1))).expand(sizes);
  });
}

/**
 * Einstein summation: `einsum("ij,jk->ik", a, b)` (operands as varargs or one array). Subscripts
 * are letters; without "->" the output is the letters that appear once, sorted. A letter repeated
 * in one operand takes its diagonal ("ii->i", "ii->"); letters of no output are summed; two
 * operands contract with one batched matmul. Ellipsis ("...") is not supported (an error).
 */
export function einsum(equation: string, ...operands: (Tensor | Tensor[])[]): Tensor {
  if (typeof equation !== "string")
    throw new TypeError(`einsum(): argument 'equation' must be str, not ${arg.typeName(equation)}`);
  const ts = arg.tensorList(
    operands.length === 1 && Array.isArray(operands[0]) ? operands[0] : operands,
    "einsum",
  );
  const eq = equation.replace(/\s+/g, "");
  if (eq.includes("."))
    throw new Error(
      "einsum(): ellipsis ('...') is not supported by jitgrad yet; write the dims out",
    );
  const [lhs, rhs] = eq.includes("->") ? eq.split("->") : [eq, undefined];
  const subs = lhs.split(",");
  if (subs.length !== ts.length)
    throw new Error("einsum(): more operands were provided than specified in the equation");
  const letter = /^[a-zA-Z]*$/;
  for (const s of [...subs, rhs ?? ""])
    if (!letter.test(s))
      throw new Error(
        `einsum(): invalid subscript given at index ${eq.search(/[^a-zA-Z,>-]/)} in the equation string, subscripts must be in [a-zA-Z]`,
      );
  const sizes = new Map<string, number>();
  const counts = new Map<string, number>();
  let parts = ts.map((t, i) => {
    const s = subs[i];
    if (s.length !== t.ndim)
      throw new Error(
        `einsum(): the number of subscripts in the equation (${s.length}) does not match the number of dimensions (${t.ndim}) for operand ${i} and no ellipsis was given`,
      );
    return { t, s: [...s] };
  });
  for (const { t, s } of parts)
    s.forEach((c, d) => {
      const n = t.shape[d],
        have = sizes.get(c);
      if (have !== undefined && have !== n && have !== 1 && n !== 1)
        throw new Error(
          `einsum(): operands do not broadcast with remapped shapes (original->remapped): subscript ${c} has sizes ${have} and ${n}`,
        );
      sizes.set(c, have === undefined || have === 1 ? n : have);
      counts.set(c, (counts.get(c) ?? 0) + 1);
    });
  const out =
    rhs === undefined ? [...counts.keys()].filter((c) => counts.get(c) === 1).sort() : [...rhs];
  for (const c of out) {
    if (!sizes.has(c))
      throw new Error(
        `einsum(): output subscript ${c} does not appear in the equation for any input operand`,
      );
    if (out.indexOf(c) !== out.lastIndexOf(c))
      throw new Error(`einsum(): output subscript ${c} appears more than once in the output`);
  }
  // a letter repeated within an operand: its diagonal (moved last, so the letter now appears once)
  parts = parts.map(({ t, s }) => {
    for (;;) {
      const c = s.find((x, d) => s.indexOf(x) !== d);
      if (c === undefined) return { t, s };
      const a = s.indexOf(c),
        b = s.lastIndexOf(c);
      t = t.diagonal(0, a, b);
      s = [...s.filter((_, d) => d !== a && d !== b), c];
    }
  });
  // letters needed after operand i: in the output or in a later operand
  const sumOut = (t: Tensor, s: string[], keep: Set<string>) => {
    const gone = s.map((c, d) => (keep.has(c) ? -1 : d)).filter((d) => d >= 0);
    return gone.length ? { t: t.sum(gone), s: s.filter((c) => keep.has(c)) } : { t, s };
  };
  const keepAfter = (i: number) => new Set([...out, ...parts.slice(i + 1).flatMap((p) => p.s)]);
  let acc = sumOut(parts[0].t, parts[0].s, keepAfter(0));
  for (let i = 1; i < parts.length; i++) {
    const keep = keepAfter(i);
    const b = sumOut(parts[i].t, parts[i].s, new Set([...keep, ...acc.s]));
    acc = contract(acc, b, keep, sizes);
  }
  // to the output's order
  const perm = out.map((c) => acc.s.indexOf(c));
  const r =
    perm.every((p, i) => p === i) && perm.length === acc.s.length ? acc.t : acc.t.permute(perm);
  return r;
}

// Two operands (each letter once) contracted over the letters both have and `keep` lacks, with
// one batched matmul: [batch, left, k] @ [batch, k, right].
function contract(
  a: { t: Tensor; s: string[] },
  b: { t: Tensor; s: string[] },
  keep: Set<string>,
  sizes: Map<string, number>,
): { t: Tensor; s: string[] } {
  const inB = new Set(b.s),
    inA = new Set(a.s);
  const batch = a.s.filter((c) => inB.has(c) && keep.has(c));
  const summed = a.s.filter((c) => inB.has(c) && !keep.has(c));
  const left = a.s.filter((c) => !inB.has(c));
  const right = b.s.filter((c) => !inA.has(c));
  const size = (cs: string[]) => cs.reduce((n, c) => n * sizes.get(c)!, 1);
  // broadcast size-1 dims of shared letters to the letter's size
  const full = (x: { t: Tensor; s: string[] }) => {
    const want = x.s.map((c) => sizes.get(c)!);
    return want.every((n, d) => n === x.t.shape[d]) ? x.t : x.t.expand(want);
  };
  const at = full(a).permute([...batch, ...left, ...summed].map((c) => a.s.indexOf(c)));
  const bt = full(b).permute([...batch, ...summed, ...right].map((c) => b.s.indexOf(c)));
  if (summed.length === 0) {
    // nothing to contract: a broadcast product (outer products, elementwise products)
    const dims = (cs: string[], x: { s: string[] }) =>
      cs.map((c) => (x.s.includes(c) ? sizes.get(c)! : 1));
    const order = [...batch, ...left, ...right];
    return {
      t: at.reshape(dims(order, a)).mul(bt.reshape(dims(order, b))),
      s: order,
    };
  }
  const nb = size(batch),
    nl = size(left),
    nk = size(summed),
    nr = size(right);
  const prod = at.reshape([nb, nl, nk]).matmul(bt.reshape([nb, nk, nr]));
  return {
    t: prod.reshape([...batch, ...left, ...right].map((c) => sizes.get(c)!)),
    s: [...batch, ...left, ...right],
  };
}
