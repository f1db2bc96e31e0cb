// A float32 matrix transposed in WebAssembly: what eager autograd does with a weight's gradient
// (x^T g, viewed as its transpose, made contiguous as the parameter is), which a strided JS copy
// does column by column, a cache line per element. Here 4 x 4 blocks are loaded as four rows,
// transposed with shuffles and stored as four rows; the edges move element by element.
import type { Strided } from "../backend";
import type { FuncSpec, Instr } from "./assembler";
import { address, bump, forLoop, get, i32, set } from "./instructions";
import { heap, specialized } from "./module";
import { storeTransposed4x4 } from "./pack";

// dst[i, j] (row stride ldd) = src[j, i] (row stride lds), for j < rows, i < cols of src
function transposeKernel(name: string): FuncSpec {
  const block: Instr[] = [
    // four rows of src at (j0 + q, i0..i0 + 3)
    ...[0, 1, 2, 3].flatMap((q): Instr[] => [
      ...address("$src", [
        get("$j0"),
        i32(q),
        ["i32.add"],
        get("$lds"),
        ["i32.mul"],
        get("$i0"),
        ["i32.add"],
      ]),
      ["v128.load"],
      set(`$x${q}`),
    ]),
    // ... stored as four rows of dst at (i0 + q, j0..j0 + 3)
    ...address("$dst", [get("$i0"), get("$ldd"), ["i32.mul"], get("$j0"), ["i32.add"]]),
    set("$d"),
    ...storeTransposed4x4("$ldd4"),
  ];
  // dst[i, j] = src[j, i] for i in [from, cols)
  const rest = (j: Instr[], from: Instr[]): Instr[] => [
    ...from,
    set("$i0"),
    ["block", "$i_done"],
    ["loop", "$i_next"],
    get("$i0"),
    get("$cols"),
    ["i32.ge_s"],
    ["br_if", "$i_done"],
    ...address("$dst", [get("$i0"), get("$ldd"), ["i32.mul"], ...j, ["i32.add"]]),
    ...address("$src", [...j, get("$lds"), ["i32.mul"], get("$i0"), ["i32.add"]]),
    ["f32.load"],
    ["f32.store"],
    ...bump("$i0", 1),
    ["br", "$i_next"],
    ["end"],
    ["end"],
  ];
  const i32s = (names: string[]) => names.map((n) => [n, "i32"] as [string, "i32"]);
  return {
    name,
    params: i32s(["$src", "$rows", "$cols", "$lds", "$dst", "$ldd"]),
    results: [],
    locals: [
      ...i32s(["$j0", "$i0", "$j", "$d", "$ldd4", "$rows4", "$cols4"]),
      ...["$x0", "$x1", "$x2", "$x3", "$y0", "$y1", "$y2", "$y3"].map(
        (n) => [n, "v128"] as [string, "v128"],
      ),
    ],
    body: [
      get("$ldd"),
      i32(2),
      ["i32.shl"],
      set("$ldd4"),
      get("$rows"),
      i32(-4),
      ["i32.and"],
      set("$rows4"),
      get("$cols"),
      i32(-4),
      ["i32.and"],
      set("$cols4"),
      ...forLoop("$j0", [get("$rows4")], 4, [
        ...forLoop("$i0", [get("$cols4")], 4, block),
        // the columns past the last block, for these four rows
        ...forLoop("$j", [i32(4)], 1, rest([get("$j0"), get("$j"), ["i32.add"]], [get("$cols4")])),
      ]),
      // the rows past the last block
      ...forLoop("$j", [get("$rows"), get("$rows4"), ["i32.sub"]], 1, [
        ...rest([get("$rows4"), get("$j"), ["i32.add"]], [i32(0)]),
      ]),
    ],
  };
}

let kernel: ((...args: number[]) => void) | undefined;
// below this many elements the JS copy is as fast (the copies in and out dominate)
const MIN = 1 << 14;

// out (contiguous [r, c]) = src when src is a transposed float32 matrix (element (i, j) at
// offset + i + j * ld): true when it ran here.
export function transposeCopy(src: Strided, out: Strided): boolean {
  if (!(src.storage instanceof Float32Array) || !(out.storage instanceof Float32Array))
    return false;
  if (src.shape.length !== 2 || out.shape.length !== 2) return false;
  const [r, c] = out.shape,
    ld = src.strides[1];
  if (r * c < MIN || src.shape[0] !== r || src.shape[1] !== c) return false;
  if (out.strides[0] !== c || out.strides[1] !== 1 || src.strides[0] !== 1 || ld < r) return false;
  // src as c rows of r (row stride ld), copied in; dst [r, c] after it
  const span = (c - 1) * ld + r,
    at = Math.ceil(span / 4) * 4;
  const H = heap(at + r * c);
  H.set(src.storage.subarray(src.offset, src.offset + span), 0);
  kernel ??= specialized(transposeKernel("transpose_f32")).run;
  kernel(0, c, r, ld, 4 * at, c);
  out.storage.set(H.subarray(at, at + r * c), out.offset);
  return true;
}
