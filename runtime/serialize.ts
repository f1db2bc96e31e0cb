// The transfer form of a tensor, for postMessage to a worker_threads Worker or a Web Worker: a
// plain object that the structured clone algorithm copies (or moves, with a transfer list) intact.
// A Tensor posted as it is arrives as a plain object without methods; serialize it instead.
import type { DType, Storage } from "../ir/dtype";
import { contiguousStrides, fmtShape, numel } from "../ir/shape";
import * as arg from "./args";
import { Tensor } from "./tensor";

/**
 * A tensor's values in a form that `postMessage` can send: its dtype, its shape and its elements in
 * row-major order, one typed array (`Float32Array` for float32, `Float64Array` for float64,
 * `Int32Array` for int32, `Uint8Array` of 0 and 1 for bool). Autograd state (`requiresGrad`, `grad`,
 * `gradFn`) is not part of it.
 */
export interface SerializedTensor {
  /** The element type. */
  dtype: DType;
  /** The sizes of the dims. */
  shape: number[];
  /** The elements in row-major order, in the typed array of the dtype. */
  data:
    | Float32Array<ArrayBuffer>
    | Float64Array<ArrayBuffer>
    | Int32Array<ArrayBuffer>
    | Uint8Array<ArrayBuffer>;
}

/** Options of {@link serialize}. */
export interface SerializeOptions {
  /**
   * Always copy the elements. By default a contiguous tensor that owns its whole storage hands over
   * that storage itself, so `postMessage(s, [s.data.buffer])` moves it without a copy, after which
   * the tensor (and any view of it) is empty in the sender.
   */
  copy?: boolean;
}

const DTYPES = new Map<string, DType>([
  ["float32", "float32"],
  ["float64", "float64"],
  ["int32", "int32"],
  ["bool", "bool"],
]);
const arrayName: Record<DType, string> = {
  float32: "Float32Array",
  float64: "Float64Array",
  int32: "Int32Array",
  bool: "Uint8Array",
};

/**
 * The transfer form of `t`: `{ dtype, shape, data }`. Send it with
 * `worker.postMessage(s, [s.data.buffer])` to move the buffer (zero-copy), or
 * `worker.postMessage(s)` to copy it, and rebuild the tensor on the other side with
 * {@link deserialize}.
 *
 * The data is `t`'s own storage when `t` is contiguous and uses all of it (unless `opts.copy`),
 * otherwise a contiguous copy of its elements.
 */
export function serialize(t: Tensor, options?: SerializeOptions): SerializedTensor {
  if (!Tensor.isTensor(t)) throw new TypeError("serialize: expected a Tensor");
  const c = arg.options(options, "serialize", ["copy"]).copy;
  const opts = { copy: c === undefined ? false : arg.bool(c, "serialize", "copy") };
  const storage = t.storage;
  if (!storage)
    throw new TypeError("serialize: cannot serialize a tensor being traced inside compile()");
  const n = t.numel();
  let data: Storage;
  if (t.isContiguous()) {
    const whole = t.offset === 0 && storage.length === n;
    data = whole && !opts.copy ? storage : storage.slice(t.offset, t.offset + n);
  } else {
    data = t.contiguous().storage!; // a fresh storage of its own
  }
  // large storages live in shared memory (ir/dtype.ts), which postMessage cannot move: the
  // transfer form is always over an ordinary ArrayBuffer (slice() makes one)
  if (typeof SharedArrayBuffer === "function" && data.buffer instanceof SharedArrayBuffer)
    data = data.slice();
  return { dtype: t.dtype, shape: [...t.shape], data } as SerializedTensor;
}

/**
 * Rebuilds a tensor from the form {@link serialize} made (after `postMessage`, or from any source of
 * `{ dtype, shape, data }` with the typed array that matches the dtype). The tensor uses `data` as
 * its storage, without a copy. `opts.requiresGrad` makes it a leaf that requires gradients.
 * Throws a `TypeError` on an unknown dtype, a shape that is not a list of non-negative integers,
 * a `data` of the wrong array type, or a length that does not match the shape.
 */
export function deserialize(obj: SerializedTensor, opts?: { requiresGrad?: boolean }): Tensor {
  if (typeof obj !== "object" || obj === null)
    throw new TypeError("deserialize: expected an object { dtype, shape, data }");
  const o = arg.options(opts, "deserialize", ["requiresGrad"]);
  const requiresGrad =
    o.requiresGrad === undefined ? false : arg.bool(o.requiresGrad, "deserialize", "requiresGrad");
  // each field read once (own properties only), converted, then checked
  const field = (k: string): unknown =>
    Object.hasOwn(obj, k) ? (obj as unknown as Record<string, unknown>)[k] : undefined;
  const dtypeField = field("dtype");
  const dtype = typeof dtypeField === "string" ? DTYPES.get(dtypeField) : undefined;
  if (dtype === undefined)
    throw new TypeError(
      `deserialize: dtype must be one of ${[...DTYPES.keys()].join(", ")}; got ${typeof dtypeField === "string" ? JSON.stringify(dtypeField) : arg.typeName(dtypeField)}`,
    );
  const shapeField = field("shape");
  // a fresh copy, read once, then checked
  const shape: unknown[] = Array.isArray(shapeField) ? Array.from(shapeField) : [];
  if (!Array.isArray(shapeField) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0))
    throw new TypeError(
      `deserialize: shape must be an array of non-negative integers; got ${Array.isArray(shapeField) ? `[${shape.map((d) => (typeof d === "number" ? d : arg.typeName(d))).join(", ")}]` : typeof shapeField}`,
    );
  const want = arrayName[dtype],
    data = field("data");
  // compared by the typed array's internal slot, not instanceof (an array made in another realm,
  // a worker or an iframe, is fine) nor Symbol.toStringTag (which any object can fake)
  const tag = arg.typedArrayName(data);
  if (tag !== want)
    throw new TypeError(
      `deserialize: data of a ${dtype} tensor must be a ${want}; got ${tag ?? (Array.isArray(data) ? "Array" : arg.typeName(data))}`,
    );
  const storage = data as Storage,
    length = arg.typedArrayLength(data),
    sizes = shape as number[];
  if (length !== numel(sizes))
    throw new TypeError(
      `deserialize: data has ${length} elements, but shape ${fmtShape(sizes)} needs ${numel(sizes)}`,
    );
  if (dtype === "bool")
    for (let i = 0; i < length; i++)
      if (storage[i] > 1)
        throw new TypeError(
          `deserialize: bool data must hold 0 and 1 only; element ${i} is ${storage[i]}`,
        );
  const t = new Tensor(storage, sizes, contiguousStrides(sizes), 0, dtype);
  if (requiresGrad) t.requiresGrad_(true);
  return t;
}
