// Packing in WebAssembly: a strided matrix already copied into Wasm memory (one bulk `set` of the
// span it covers) rearranged into the micro-kernel's panels: rows [i0, i0 + w) of the source as
// one panel, contiguous along k (element (row, p) at p * w + row - i0), rows past the edge zero.
// The source is walked along its smaller stride (`$byRow` = 1: along k within a row), so reads
// stay in cache lines whichever operand is transposed.
import type { FuncSpec, Instr } from "./assembler";
import { address, bump, forLoop, get, i32, min, set } from "./instructions";

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
    ...forLoop("$r", [get("$full")], 1, move(4, "$rs4")),
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
    ...byRow,
    ["else"],
    ...byColumn,
    ["end"],
  ];
  const i32s = (names: string[]) => names.map((n) => [n, "i32"] as [string, "i32"]);
  return {
    name,
    params: i32s(["$src", "$rs", "$cs", "$rows", "$k", "$w", "$dst", "$byRow"]),
    results: [],
    locals: i32s(["$i0", "$r", "$p", "$q", "$s", "$d", "$base", "$full", "$w4", "$rs4", "$cs4"]),
    body: [
      ...[
        ["$w4", "$w"],
        ["$rs4", "$rs"],
        ["$cs4", "$cs"],
      ].flatMap(([to, from]): Instr[] => [get(from), i32(2), ["i32.shl"], set(to)]),
      ...forLoop("$i0", [get("$rows")], "$w", panel),
    ],
  };
}
