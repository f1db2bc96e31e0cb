// The safetensors format (huggingface/safetensors), the format PyTorch users exchange weights in:
//   8 bytes   N, the header's length, unsigned 64-bit little-endian
//   N bytes   a JSON object: name -> { dtype, shape, data_offsets: [begin, end] }, plus an optional
//             "__metadata__" object of strings; may end in spaces (padding)
//   the rest  the tensors' bytes, little-endian, row-major; offsets are relative to its start, and
//             the tensors cover it exactly (no holes, no overlaps)
// Written here with the header padded to a multiple of 8 and the tensors ordered by element size,
// so every tensor starts aligned, as the reference writer does.
import { allocate, type DType, type Storage } from "../ir/dtype";
import { contiguousStrides, numel } from "../ir/shape";
import * as arg from "./args";
import { Tensor } from "./tensor";

/** A safetensors dtype that jitgrad reads, with its size and the jitgrad dtype it becomes. */
interface FileDType {
  bytes: number;
  dtype: DType;
  /** Element `i` of the little-endian bytes as a JS number. */
  read: (view: DataView, i: number) => number;
  /** The bytes are those of the jitgrad storage (on a little-endian host): copied as they are. */
  same?: true;
}
const FILE_DTYPES = new Map<string, FileDType>([
  ["F64", { bytes: 8, dtype: "float64", same: true, read: (v, i) => v.getFloat64(i * 8, true) }],
  ["F32", { bytes: 4, dtype: "float32", same: true, read: (v, i) => v.getFloat32(i * 4, true) }],
  ["F16", { bytes: 2, dtype: "float32", read: (v, i) => half(v.getUint16(i * 2, true)) }],
  ["BF16", { bytes: 2, dtype: "float32", read: (v, i) => bfloat(v.getUint16(i * 2, true)) }],
  ["I64", { bytes: 8, dtype: "int32", read: (v, i) => int64(v, i) }],
  ["U64", { bytes: 8, dtype: "int32", read: (v, i) => Number(v.getBigUint64(i * 8, true)) }],
  ["I32", { bytes: 4, dtype: "int32", same: true, read: (v, i) => v.getInt32(i * 4, true) }],
  ["U32", { bytes: 4, dtype: "int32", read: (v, i) => v.getUint32(i * 4, true) }],
  ["I16", { bytes: 2, dtype: "int32", read: (v, i) => v.getInt16(i * 2, true) }],
  ["U16", { bytes: 2, dtype: "int32", read: (v, i) => v.getUint16(i * 2, true) }],
  ["I8", { bytes: 1, dtype: "int32", read: (v, i) => v.getInt8(i) }],
  ["U8", { bytes: 1, dtype: "int32", read: (v, i) => v.getUint8(i) }],
  ["BOOL", { bytes: 1, dtype: "bool", same: true, read: (v, i) => v.getUint8(i) }],
]);

/** An int64 as a number: exact within +-2^53 (anything larger is refused as out of int32 range). */
function int64(v: DataView, i: number): number {
  return v.getInt32(i * 8 + 4, true) * 2 ** 32 + v.getUint32(i * 8, true);
}
/** IEEE half precision bits -> number (exact). */
function half(h: number): number {
  const exp = (h >> 10) & 0x1f,
    frac = h & 0x3ff,
    sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
const bf16Bits = new Uint32Array(1),
  bf16Float = new Float32Array(bf16Bits.buffer);
/** bfloat16 bits -> number: the top half of a float32. */
function bfloat(h: number): number {
  bf16Bits[0] = h << 16;
  return bf16Float[0];
}

/** What jitgrad writes for each of its dtypes (int32 plays PyTorch's int64, so it is written as I64). */
const WRITE: Record<DType, { name: string; bytes: number }> = {
  float64: { name: "F64", bytes: 8 },
  float32: { name: "F32", bytes: 4 },
  int32: { name: "I64", bytes: 8 },
  bool: { name: "BOOL", bytes: 1 },
};

const MAX_HEADER = 100_000_000; // the reference implementation's limit
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A tensor's elements as little-endian bytes of its safetensors dtype (a contiguous copy).
 */
function tensorBytes(t: Tensor): Uint8Array {
  if (!t.storage)
    throw new TypeError("safetensors: cannot save a tensor being traced inside compile()");
  const c = t.isContiguous() ? t : t.contiguous();
  const n = c.numel(),
    src = c.storage as Storage;
  const view = src.subarray(c.offset, c.offset + n);
  if (t.dtype === "int32") {
    const out = new Int32Array(2 * n); // low word, then the sign extension
    for (let i = 0; i < n; i++) {
      out[2 * i] = view[i];
      out[2 * i + 1] = view[i] < 0 ? -1 : 0;
    }
    return littleEndian(new Uint8Array(out.buffer), 4);
  }
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  return littleEndian(bytes, view.BYTES_PER_ELEMENT);
}

/** On a big-endian host, a copy with every `size`-byte word reversed; else the bytes as they are. */
function littleEndian(bytes: Uint8Array, size: number): Uint8Array {
  if (LITTLE_ENDIAN || size === 1) return bytes;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += size)
    for (let k = 0; k < size; k++) out[i + k] = bytes[i + size - 1 - k];
  return out;
}

/**
 * The safetensors bytes of `tensors` (a flat object of name -> Tensor), with optional string
 * `metadata` stored under `__metadata__`. float32/float64/bool are written as F32/F64/BOOL and
 * int32 as I64 (the integer dtype PyTorch's int64 tensors have), so PyTorch reads them back with
 * the dtypes it would have saved.
 */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, Tensor>,
  metadata?: ReadonlyMap<string, string>,
): Uint8Array {
  const names = [...tensors.keys()];
  if (names.includes("__metadata__"))
    throw new TypeError('safetensors: "__metadata__" is reserved and cannot name a tensor');
  // larger elements first, so each tensor's offset is a multiple of its element size
  const order = names
    .map((name, i) => ({ name, i, t: tensors.get(name) as Tensor }))
    .sort((a, b) => WRITE[b.t.dtype].bytes - WRITE[a.t.dtype].bytes || a.i - b.i);
  const chunks = order.map((e) => tensorBytes(e.t));
  const header: Record<string, unknown> = Object.create(null);
  if (metadata?.size) header.__metadata__ = Object.fromEntries(metadata);
  let offset = 0;
  const begins = new Map<string, number>();
  order.forEach((e, k) => {
    begins.set(e.name, offset);
    offset += chunks[k].length;
  });
  for (const name of names) {
    const t = tensors.get(name) as Tensor,
      begin = begins.get(name) as number;
    const end = begin + chunks[order.findIndex((e) => e.name === name)].length;
    header[name] = { dtype: WRITE[t.dtype].name, shape: [...t.shape], data_offsets: [begin, end] };
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20); // spaces
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A parsed safetensors file: its tensors in header order and its `__metadata__` strings. */
export interface DecodedSafetensors {
  tensors: Map<string, Tensor>;
  metadata: Map<string, string>;
}

const bad = (why: string) => new Error(`safetensors: invalid file: ${why}`);

/**
 * Reads safetensors bytes. F32/F16/BF16 become float32 tensors, F64 float64, BOOL bool and the
 * integer dtypes int32 (values outside int32's range are an error, not a wrap). Every header field
 * is checked against the bytes before it is used.
 */
export function decodeSafetensors(source: Uint8Array | ArrayBuffer): DecodedSafetensors {
  const tag = arg.typedArrayName(source);
  const bytes =
    tag === "Uint8Array"
      ? (source as Uint8Array)
      : source instanceof ArrayBuffer
        ? new Uint8Array(source)
        : undefined;
  if (!bytes)
    throw new TypeError(
      `safetensors: expected a Uint8Array or an ArrayBuffer, not ${tag ?? arg.typeName(source)}`,
    );
  if (bytes.length < 8) throw bad(`${bytes.length} bytes, fewer than the 8 of the header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > MAX_HEADER || n > bytes.length - 8)
    throw bad(`header length ${n} exceeds the file (${bytes.length} bytes) or 100 MB`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw bad(`the header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header))
    throw bad("the header is not a JSON object");
  const data = bytes.subarray(8 + n);
  const metadata = new Map<string, string>();
  const entries: { name: string; type: FileDType; shape: number[]; begin: number; end: number }[] =
    [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (info === null || typeof info !== "object" || Array.isArray(info))
        throw bad("__metadata__ is not an object");
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== "string")
          throw bad(`__metadata__ value of ${JSON.stringify(k)} is not a string`);
        metadata.set(k, v);
      }
      continue;
    }
    const what = `tensor ${JSON.stringify(name)}`;
    if (info === null || typeof info !== "object") throw bad(`${what} is not an object`);
    const field = (k: string): unknown =>
      Object.hasOwn(info, k) ? (info as Record<string, unknown>)[k] : undefined;
    const dtypeName = field("dtype");
    const type = typeof dtypeName === "string" ? FILE_DTYPES.get(dtypeName) : undefined;
    if (!type)
      throw new TypeError(
        `safetensors: ${what} has dtype ${JSON.stringify(dtypeName)}, which jitgrad cannot read (it reads ${[...FILE_DTYPES.keys()].join(", ")})`,
      );
    const shape = field("shape"),
      offsets = field("data_offsets");
    const isUint = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
    if (!Array.isArray(shape) || shape.length > arg.MAX_NDIM || !shape.every(isUint))
      throw bad(`${what} has a bad shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isUint))
      throw bad(`${what} has bad data_offsets`);
    const [begin, end] = offsets as number[];
    const size = numel(shape as number[]) * type.bytes;
    if (!(begin <= end && end <= data.length) || end - begin !== size)
      throw bad(
        `${what}: data_offsets [${begin}, ${end}] do not hold ${size} bytes inside ${data.length}`,
      );
    entries.push({ name, type, shape: [...(shape as number[])], begin, end });
  }
  // the tensors must cover the data exactly: sorted by begin, each ends where the next begins
  const spans = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const e of spans) {
    if (e.begin !== covered)
      throw bad(`tensor ${JSON.stringify(e.name)} overlaps another or leaves a hole`);
    covered = e.end;
  }
  if (covered !== data.length) throw bad(`${data.length - covered} bytes after the last tensor`);
  const tensors = new Map<string, Tensor>();
  for (const e of entries)
    tensors.set(e.name, readTensor(e.name, e.type, e.shape, data.subarray(e.begin, e.end)));
  return { tensors, metadata };
}

function readTensor(name: string, type: FileDType, shape: number[], raw: Uint8Array): Tensor {
  const n = numel(shape);
  const storage = allocate(type.dtype, n);
  if (type.same && LITTLE_ENDIAN) {
    new Uint8Array(storage.buffer).set(raw); // F32, F64, BOOL, I32: the bytes as they are
  } else {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) {
      const v = type.read(view, i);
      if (type.dtype === "int32" && !(v >= -2147483648 && v <= 2147483647))
        throw new RangeError(
          `safetensors: tensor ${JSON.stringify(name)} holds ${v} at element ${i}, which does not fit jitgrad's int32`,
        );
      storage[i] = v;
    }
  }
  if (type.dtype === "bool")
    for (let i = 0; i < n; i++)
      if (storage[i] > 1)
        throw bad(`BOOL tensor ${JSON.stringify(name)} holds ${storage[i]} at element ${i}`);
  return new Tensor(storage, shape, contiguousStrides(shape), 0, type.dtype);
}
