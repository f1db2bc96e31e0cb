// Packing in WebAssembly: a strided matrix already copied into Wasm memory (one bulk `set` of the
// span it covers) rearranged into the micro-kernel's panels: rows [i0, i0 + w) of the source as
// one panel, contiguous along k (element (row, p) at p * w + row - i0), rows past the edge zero.
// The source is walked along its smaller stride (`$byRow` = 1: along k within a row), so reads
// stay in cache lines whichever operand is transposed. Whole panels (w a multiple of 4) move four
// floats at a time: along k within rows, 4 x 4 blocks transposed with shuffles; along rows, one
// f32x4 per four rows.
import type { FuncSpec, Instr } from "./assembler";
import { address, bump, forLoop, get, i32, min, set } from "./instructions";

// f32 lanes as i8x16.shuffle's byte indices (lanes 4..7 are the second operand's)
export const lanes = (...f: number[]) => ({
  i8x16: f.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]),
});
const pair = (x: string, y: string, f: number[]): Instr[] => [
  get(x),
  get(y),
  ["i8x16.shuffle", lanes(...f)],
];
// The 4 x 4 block held as four rows in $x0..$x3, stored transposed: its four columns as rows at
// $d, $d stepping by `step` bytes after each ($y0..$y3 hold the interleaved halves)
export const storeTransposed4x4 = (step: string): Instr[] => [
  ...pair("$x0", "$x1", [0, 4, 1, 5]),
  set("$y0"),
  ...pair("$x2", "$x3", [0, 4, 1, 5]),
  set("$y1"),
  ...pair("$x0", "$x1", [2, 6, 3, 7]),
  set("$y2"),
  ...pair("$x2", "$x3", [2, 6, 3, 7]),
  set("$y3"),
  ...(
    [
      ["$y0", "$y1", [0, 1, 4, 5]],
      ["$y0", "$y1", [2, 3, 6, 7]],
      ["$y2", "$y3", [0, 1, 4, 5]],
      ["$y2", "$y3", [2, 3, 6, 7]],
    ] as [string, string, number[]][]
  ).flatMap(([x, y, f]): Instr[] => [
    get("$d"),
    ...pair(x, y, f),
    ["v128.store"],
    ...bump("$d", step),
  ]),
];

export function packKernel(name: string): FuncSpec {
  // f32 copy: dst <- src, then both pointers step
  const move = (dStep: number | string, sStep: string): Instr[] => [
    get("$d"),
    get("$s"),
    ["f32.load"],
    ["f32.store"],
    ...bump("$d", dStep),
    ...bump("$s", sStep),
  ];
  const byRow: Instr[] = forLoop("$r", [get("$full")], 1, [
    // s = src + (i0 + r) * rs * 4, d = base + r * 4
    ...address("$src", [get("$i0"), get("$r"), ["i32.add"], get("$rs"), ["i32.mul"]]),
    set("$s"),
    ...address("$base", [get("$r")]),
    set("$d"),
    ...forLoop("$p", [get("$k")], 1, move("$w4", "$cs4")),
  ]);
  // a whole panel with cs = 1: for each group of 4 rows and each 4 k steps, the 4 x 4 block
  // (rows x k) loaded, transposed and stored as 4 k steps of 4 rows; the k % 4 rest by element
  const rowsFast: Instr[] = [
    ...forLoop("$g", [get("$w")], 4, [
      ...address("$src", [get("$i0"), get("$g"), ["i32.add"], get("$rs"), ["i32.mul"]]),
      set("$s"),
      ...address("$base", [get("$g")]),
      set("$d"),
      ...forLoop("$p", [get("$k4")], 4, [
        ...[0, 1, 2, 3].flatMap((q): Instr[] => [
          get("$s"),
          ...(q ? [get(q === 1 ? "$rs4" : q === 2 ? "$rs8" : "$rs12"), ["i32.add"] as Instr] : []),
          ["v128.load"],
          set(`$x${q}`),
        ]),
        ...storeTransposed4x4("$w4"),
        ...bump("$s", 16),
      ]),
    ]),
    // the last k % 4 steps
    ...forLoop("$r", [get("$w")], 1, [
      ...address("$src", [
        get("$i0"),
        get("$r"),
        ["i32.add"],
        get("$rs"),
        ["i32.mul"],
        get("$k4"),
        ["i32.add"],
      ]),
      set("$s"),
      ...address("$base", [get("$k4"), get("$w"), ["i32.mul"], get("$r"), ["i32.add"]]),
      set("$d"),
      ...forLoop("$p", [get("$k"), get("$k4"), ["i32.sub"]], 1, move("$w4", "$cs4")),
    ]),
  ];
  const byColumn: Instr[] = forLoop("$p", [get("$k")], 1, [
    // s = src + (i0 * rs + p * cs) * 4, d = base + p * w * 4
    ...address("$src", [
      get("$i0"),
      get("$rs"),
      ["i32.mul"],
      get("$p"),
      get("$cs"),
      ["i32.mul"],
      ["i32.add"],
    ]),
    set("$s"),
    ...address("$base", [get("$p"), get("$w"), ["i32.mul"]]),
    set("$d"),
    // a whole panel with rs = 1: four rows at a time
    get("$full"),
    get("$w"),
    ["i32.eq"],
    get("$rs"),
    i32(1),
    ["i32.eq"],
    ["i32.and"],
    ["if", "$contiguous"],
    ...forLoop("$r", [get("$w")], 4, [
      get("$d"),
      get("$s"),
      ["v128.load"],
      ["v128.store"],
      ...bump("$d", 16),
      ...bump("$s", 16),
    ]),
    ["else"],
    ...forLoop("$r", [get("$full")], 1, move(4, "$rs4")),
    ["end"],
  ]);
  const panel: Instr[] = [
    ...address("$dst", [get("$i0"), get("$k"), ["i32.mul"]]),
    set("$base"),
    ...min([get("$rows"), get("$i0"), ["i32.sub"]], [get("$w")]),
    set("$full"),
    // a ragged panel: zeros first
    get("$full"),
    get("$w"),
    ["i32.lt_s"],
    ["if", "$ragged"],
    ...forLoop("$q", [get("$w"), get("$k"), ["i32.mul"]], 1, [
      ...address("$base", [get("$q")]),
      ["f32.const", 0],
      ["f32.store"],
    ]),
    ["end"],
    get("$byRow"),
    ["if", "$order"],
    // whole panels of 4k rows along contiguous rows: the 4 x 4 transposes
    get("$full"),
    get("$w"),
    ["i32.eq"],
    get("$cs"),
    i32(1),
    ["i32.eq"],
    ["i32.and"],
    get("$w"),
    i32(3),
    ["i32.and"],
    ["i32.eqz"],
    ["i32.and"],
    ["if", "$transpose"],
    ...rowsFast,
    ["else"],
    ...byRow,
    ["end"],
    ["else"],
    ...byColumn,
    ["end"],
  ];
  const i32s = (names: string[]) => names.map((n) => [n, "i32"] as [string, "i32"]);
  return {
    name,
    params: i32s(["$src", "$rs", "$cs", "$rows", "$k", "$w", "$dst", "$byRow"]),
    results: [],
    locals: [
      ...i32s(["$i0", "$r", "$p", "$q", "$g", "$s", "$d", "$base", "$full", "$k4"]),
      ...i32s(["$w4", "$rs4", "$rs8", "$rs12", "$cs4"]),
      ...["$x0", "$x1", "$x2", "$x3", "$y0", "$y1", "$y2", "$y3"].map(
        (n) => [n, "v128"] as [string, "v128"],
      ),
    ],
    body: [
      ...[
        ["$w4", "$w"],
        ["$rs4", "$rs"],
        ["$cs4", "$cs"],
      ].flatMap(([to, from]): Instr[] => [get(from), i32(2), ["i32.shl"], set(to)]),
      get("$rs4"),
      i32(1),
      ["i32.shl"],
      set("$rs8"),
      get("$rs8"),
      get("$rs4"),
      ["i32.add"],
      set("$rs12"),
      get("$k"),
      i32(-4),
      ["i32.and"],
      set("$k4"),
      ...forLoop("$i0", [get("$rows")], "$w", panel),
    ],
  };
}
