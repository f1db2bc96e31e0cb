// Argument validation at the public API's edge. Every converter takes `unknown` and returns a
// plain number, boolean, known enum string or a fresh array of numbers, or throws a TypeError
// (PyTorch's wording where it has one: "sum(): argument 'keepdim' (position 2) must be bool, not
// str"). The rule: convert first, then check, then use only the converted value. Each user value
// is read once (an object whose valueOf or toString changes between reads, a getter, a Proxy or
// an array mutated later cannot pass a check and then deliver something else), and lookups use
// prototype-free tables (a polluted Object.prototype adds no dtype, option or enum value).
//
// Internal code calls the same tensor methods, so these checks run on internal calls too: each is
// a typeof test or two, never a property lookup on a prototype.
import { type DType, isFloat, scalarTypeName } from "../ir/dtype";
import { Tensor } from "./tensor";

// ---- typed arrays, by their internal slots (not by properties a caller could redefine or fake
// with Symbol.toStringTag); these work for arrays made in another realm (a worker) too ----
const typedArrayProto = Object.getPrototypeOf(Int8Array.prototype);
const intrinsic = (name: PropertyKey) =>
  Object.getOwnPropertyDescriptor(typedArrayProto, name)!.get! as (this: unknown) => unknown;
const tagGetter = intrinsic(Symbol.toStringTag),
  lengthGetter = intrinsic("length");
/** "Float32Array", ... for a real typed array, undefined for anything else (a DataView too). */
export const typedArrayName = (v: unknown): string | undefined =>
  tagGetter.call(v) as string | undefined;
/** The length of a real typed array (check typedArrayName first). */
export const typedArrayLength = (v: unknown): number => lengthGetter.call(v) as number;

// ---- describing a bad value (never calls its toString/valueOf, never reads its properties) ----
export function typeName(v: unknown): string {
  switch (typeof v) {
    case "string":
      return "str";
    case "number":
      return Number.isInteger(v) ? "int" : "float";
    case "boolean":
      return "bool";
    case "undefined":
      return "undefined";
    case "bigint":
      return "bigint";
    case "symbol":
      return "symbol";
    case "function":
      return "function";
  }
  if (v === null) return "null";
  if (Array.isArray(v)) return "list";
  if (Tensor.isTensor(v)) return "Tensor";
  if (ArrayBuffer.isView(v)) return "typed array";
  return "object";
}

const where = (fn: string, name: string, pos?: number) =>
  `${fn}(): argument '${name}'${pos === undefined ? "" : ` (position ${pos})`}`;
const typeError = (fn: string, name: string, pos: number | undefined, want: string, v: unknown) =>
  new TypeError(`${where(fn, name, pos)} must be ${want}, not ${typeName(v)}`);

// ---- scalars ----
export function bool(v: unknown, fn: string, name: string, pos?: number): boolean {
  if (typeof v === "boolean") return v;
  throw typeError(fn, name, pos, "bool", v);
}
export function int(v: unknown, fn: string, name: string, pos?: number): number {
  if (typeof v === "number" && Number.isInteger(v)) return v;
  throw typeError(fn, name, pos, "int", v);
}
/** An int that is >= 0 ("n must be greater or equal to 0, got -1" as PyTorch's eye). */
export function count(v: unknown, fn: string, name: string, pos?: number): number {
  const n = int(v, fn, name, pos);
  if (n < 0) throw new Error(`${name} must be greater or equal to 0, got ${n}`);
  return n;
}
/** A JS number (any value, NaN and infinities included); booleans are refused. */
export function number(v: unknown, fn: string, name: string, pos?: number): number {
  if (typeof v === "number") return v;
  throw typeError(fn, name, pos, "a number", v);
}
/** PyTorch's Number: a number or a boolean (a fill value). */
export function scalarValue(v: unknown, fn: string, name: string, pos?: number): number | boolean {
  if (typeof v === "number" || typeof v === "boolean") return v;
  throw typeError(fn, name, pos, "Number", v);
}
/** A tensor operand: a Tensor, a number or a boolean (PyTorch calls the expected type "Tensor"). */
export function operand(
  v: unknown,
  fn: string,
  name = "other",
  pos = 1,
): Tensor | number | boolean {
  if (typeof v === "number" || typeof v === "boolean" || Tensor.isTensor(v)) return v;
  throw typeError(fn, name, pos, "Tensor", v);
}
export function tensorArg(v: unknown, fn: string, name = "other", pos = 1): Tensor {
  if (Tensor.isTensor(v)) return v;
  throw typeError(fn, name, pos, "Tensor", v);
}
/** One of a few strings; `none` names the absent value in the message (PyTorch's None). */
export function oneOf<S extends string>(
  v: unknown,
  fn: string,
  name: string,
  values: readonly S[],
): S {
  if (typeof v === "string") for (const s of values) if (v === s) return s;
  const got = typeof v === "string" ? `'${v}'` : typeName(v);
  throw new (typeof v === "string" ? Error : TypeError)(
    `${fn}(): ${name} must be one of ${values.map((s) => `'${s}'`).join(", ")}, but got ${got}`,
  );
}

// ---- lists ----
/**
 * A fresh array of ints from a JS array (or one int, when `single` allows it). Reads the length
 * once and each element once; holes and non-integers are refused with PyTorch's wording.
 */
export function intList(
  v: unknown,
  fn: string,
  name: string,
  pos?: number,
  single = false,
): number[] {
  if (single && typeof v === "number") return [int(v, fn, name, pos)];
  if (!Array.isArray(v)) throw typeError(fn, name, pos, "tuple of ints", v);
  const n = v.length;
  if (!(Number.isSafeInteger(n) && n >= 0 && n <= MAX_NDIM))
    throw new Error(`${where(fn, name, pos)} has ${n} entries; tensors have at most ${MAX_NDIM}`);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    if (!Object.hasOwn(v, i))
      throw new TypeError(
        `${where(fn, name)} must be tuple of ints, but has a hole at pos ${i + 1}`,
      );
    const x: unknown = v[i];
    if (typeof x !== "number" || !Number.isInteger(x))
      throw new TypeError(
        `${where(fn, name)} must be tuple of ints, but found element of type ${typeName(x)} at pos ${i + 1}`,
      );
    out[i] = x;
  }
  return out;
}
/** Tensors have at most this many dims (PyTorch's limit is 64 too). */
export const MAX_NDIM = 64;

/** A size: a fresh array of non-negative ints, PyTorch's error for a negative one. */
export function size(v: unknown, fn: string, name = "size", pos = 1): number[] {
  const s = intList(v, fn, name, pos, true);
  for (const n of s)
    if (n < 0)
      throw new Error(`Trying to create tensor with negative dimension ${n}: [${s.join(", ")}]`);
  return s;
}

/**
 * A size given as varargs or as one array (`zeros(2, 3)` or `zeros([2, 3])`), optionally followed
 * by an options object. Returns the size and the (unchecked) options value.
 */
export function sizeArgs(args: readonly unknown[], fn: string): { size: number[]; opts: unknown } {
  let n = args.length,
    opts: unknown;
  const last = args[n - 1];
  if (n > 0 && last !== null && typeof last === "object" && !Array.isArray(last)) {
    opts = last;
    n--;
  }
  if (n === 1 && Array.isArray(args[0])) return { size: size(args[0], fn), opts };
  const list = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = args[i];
    if (typeof x !== "number" || !Number.isInteger(x)) {
      throw n === 1
        ? typeError(fn, "size", 1, "tuple of ints", x)
        : new TypeError(
            `${fn}(): argument 'size' must be tuple of ints, but found element of type ${typeName(x)} at pos ${i + 1}`,
          );
    }
    list[i] = x;
  }
  return { size: size(list, fn), opts };
}

/** A dim or list of dims (not normalized: normDims does that with PyTorch's range errors). */
export function dims(v: unknown, fn: string, name = "dim", pos = 1): number | number[] {
  if (typeof v === "number") return int(v, fn, name, pos);
  if (Array.isArray(v)) return intList(v, fn, name, pos);
  throw typeError(fn, name, pos, "int or tuple of ints", v);
}

/** A fresh array of tensors (cat, stack), with PyTorch's wording for a bad element. */
export function tensorList(v: unknown, fn: string, name = "tensors"): Tensor[] {
  if (!Array.isArray(v)) throw typeError(fn, name, 1, "tuple of Tensors", v);
  const n = v.length;
  const out = new Array<Tensor>(n);
  for (let i = 0; i < n; i++) {
    const x: unknown = Object.hasOwn(v, i) ? v[i] : undefined;
    if (!Tensor.isTensor(x))
      throw new TypeError(`expected Tensor as element ${i} in argument 0, but got ${typeName(x)}`);
    out[i] = x;
  }
  return out;
}

// ---- dtypes ----
const DTYPES = new Map<string, DType>([
  ["float32", "float32"],
  ["float64", "float64"],
  ["int32", "int32"],
  ["bool", "bool"],
]);
const KNOWN = '"float32", "float64", "int32" or "bool"';
const HINTS = new Map<string, string>([
  ["int64", ': jitgrad\'s "int32" plays the part of PyTorch\'s default int64; use "int32"'],
  ["long", ': jitgrad\'s "int32" plays the part of PyTorch\'s default int64; use "int32"'],
  ["float", ': use "float32"'],
  ["float16", ": jitgrad has no half precision"],
  ["double", ': use "float64"'],
  ["int", ': use "int32"'],
  ["uint8", ': jitgrad has no uint8 dtype; use "bool" for masks or "int32" for small integers'],
]);
/** A dtype name, from a prototype-free table; `undefined` stays undefined (the default applies). */
export function dtype(v: unknown, fn: string): DType | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string")
    throw new TypeError(`${fn}(): dtype must be one of ${KNOWN}, not ${typeName(v)}`);
  const d = DTYPES.get(v);
  if (d) return d;
  throw new TypeError(
    `${fn}(): unknown dtype ${JSON.stringify(v)}; jitgrad's dtypes are ${KNOWN}${HINTS.get(v) ?? ""}`,
  );
}

// ---- option objects ----
/**
 * Reads an options object: its own enumerable string keys (Object.keys), each of which must be one
 * of `known`; inherited properties are never read. Returns a prototype-free copy holding each
 * known key's value, read once. `undefined` means no options.
 */
export function options<K extends string>(
  v: unknown,
  fn: string,
  known: readonly K[],
): { [P in K]?: unknown } {
  const out = Object.create(null) as { [P in K]?: unknown };
  if (v === undefined) return out;
  if (v === null || typeof v !== "object" || Array.isArray(v) || Tensor.isTensor(v))
    throw new TypeError(`${fn}(): options must be an object, not ${typeName(v)}`);
  for (const key of Object.keys(v)) {
    let k: K | undefined;
    for (const name of known) if (name === key) k = name;
    if (k === undefined) {
      throw new TypeError(
        `${fn}(): unknown option ${JSON.stringify(key)}; the options are ${known.length ? known.join(", ") : "none"}`,
      );
    }
    out[k] = (v as Record<string, unknown>)[key];
  }
  return out;
}

// ---- dtypes PyTorch has no kernel for ----
/** Throws PyTorch's error for a kernel it lacks for `dtype` ("\"gelu\" not implemented for 'Long'"). */
export function noKernel(kernel: string, dtype: DType): never {
  throw new Error(`"${kernel}" not implemented for '${scalarTypeName(dtype)}'`);
}
/** PyTorch's `kernel` runs on floats only: integers and bools are refused with its words. */
export function floatKernel(dtype: DType, kernel: string): void {
  if (!isFloat(dtype)) noKernel(kernel, dtype);
}
/** A kernel that promotes nothing: `found` must be `expected`'s dtype ("expected scalar type Float but found Double"). */
export function sameScalarType(expected: DType, found: DType): void {
  if (found !== expected)
    throw new Error(
      `expected scalar type ${scalarTypeName(expected)} but found ${scalarTypeName(found)}`,
    );
}
