// The GEMM micro-kernel in WebAssembly SIMD: C[m, n] (+)= A[m, kc] . B[kc, n] over packed panels,
// A as panels of MR rows and B as panels of NR columns, both contiguous along k (element (row, p)
// of a panel at p * width + row). An MR x NR tile of C lives in MR * NR / 4 f32x4 locals while
// the k loop walks the panels: per step NR / 4 vector loads of B, MR broadcast loads of A and
// MR * NR / 4 multiply-adds. The column panel stays in L1 while every row panel streams past it.
// Tiles that cross C's right or bottom edge are stored into the scratch tile `$t` and copied out
// element by element. `$add` = 1 adds the tile to C instead of storing it: the caller blocks k
// (cache blocking, and blocked summation: a sum over k is kc-long runs added together).
import type { FuncSpec, Instr } from "./assembler";
import { address, bump, forLoop, get, i32, min, set } from "./instructions";

export const MR = 4, // rows of A per panel
  NR = 8; // columns of B per panel: two f32x4

const H = NR / 4; // f32x4 vectors per tile row
const acc = (r: number, h: number) => `$c${r}_${h}`;
const tile = [...Array(MR).keys()].flatMap((r) => [...Array(H).keys()].map((h) => [r, h]));

export function gemmKernel(name: string): FuncSpec {
  const dot: Instr[] = [
    // the k loop over one row panel and one column panel
    ["loop", "$k_next"],
    ...[...Array(H).keys()].flatMap((h): Instr[] => [
      get("$pb"),
      ["v128.load", { offset: 16 * h }],
      set(`$b${h}`),
    ]),
    ...[...Array(MR).keys()].flatMap((r): Instr[] => [
      get("$pa"),
      ["v128.load32_splat", { offset: 4 * r }],
      set("$av"),
      ...[...Array(H).keys()].flatMap((h): Instr[] => [
        get(acc(r, h)),
        get("$av"),
        get(`$b${h}`),
        ["f32x4.mul"],
        ["f32x4.add"],
        set(acc(r, h)),
      ]),
    ]),
    ...bump("$pa", 4 * MR),
    ...bump("$pb", 4 * NR),
    get("$pa"),
    get("$end"),
    ["i32.lt_u"],
    ["br_if", "$k_next"],
    ["end"],
  ];
  // the tile's first element in C: c + (i0 * ldc + j0) * 4
  const corner = address("$c", [get("$i0"), get("$ldc"), ["i32.mul"], get("$j0"), ["i32.add"]]);
  const wholeTile: Instr[] = [
    ...corner,
    set("$o"),
    ...[...Array(MR).keys()].flatMap((r): Instr[] => [
      get("$add"),
      ["if", "$accumulate"],
      ...[...Array(H).keys()].flatMap((h): Instr[] => [
        get("$o"),
        ["v128.load", { offset: 16 * h }],
        get(acc(r, h)),
        ["f32x4.add"],
        set(acc(r, h)),
      ]),
      ["end"],
      ...[...Array(H).keys()].flatMap((h): Instr[] => [
        get("$o"),
        get(acc(r, h)),
        ["v128.store", { offset: 16 * h }],
      ]),
      ...bump("$o", "$ldc4"),
    ]),
  ];
  // the scratch tile, then its elements inside C one by one
  const ragged: Instr[] = [
    ...tile.flatMap(([r, h]): Instr[] => [
      get("$t"),
      get(acc(r, h)),
      ["v128.store", { offset: 16 * (r * H + h) }],
    ]),
    ...forLoop("$r", min([get("$m"), get("$i0"), ["i32.sub"]], [i32(MR)]), 1, [
      ...forLoop("$q", min([get("$n"), get("$j0"), ["i32.sub"]], [i32(NR)]), 1, [
        ...address("$c", [
          get("$i0"),
          get("$r"),
          ["i32.add"],
          get("$ldc"),
          ["i32.mul"],
          get("$j0"),
          ["i32.add"],
          get("$q"),
          ["i32.add"],
        ]),
        set("$o"),
        ...address("$t", [get("$r"), i32(NR), ["i32.mul"], get("$q"), ["i32.add"]]),
        ["f32.load"],
        set("$v"),
        get("$add"),
        ["if", "$accumulate"],
        get("$v"),
        get("$o"),
        ["f32.load"],
        ["f32.add"],
        set("$v"),
        ["end"],
        get("$o"),
        get("$v"),
        ["f32.store"],
      ]),
    ]),
  ];
  const rowPanel: Instr[] = [
    // pa = a + i0 * k * 4, end = pa + kc * MR * 4, pb = the column panel
    ...address("$a", [get("$i0"), get("$k"), ["i32.mul"]]),
    set("$pa"),
    get("$pa"),
    get("$kc"),
    i32(4 * MR),
    ["i32.mul"],
    ["i32.add"],
    set("$end"),
    get("$bp"),
    set("$pb"),
    ...tile.flatMap(([r, h]): Instr[] => [get("$zero"), set(acc(r, h))]),
    ...dot,
    // whole tile: i0 + MR <= m and j0 + NR <= n
    get("$i0"),
    i32(MR),
    ["i32.add"],
    get("$m"),
    ["i32.le_s"],
    get("$j0"),
    i32(NR),
    ["i32.add"],
    get("$n"),
    ["i32.le_s"],
    ["i32.and"],
    ["if", "$whole"],
    ...wholeTile,
    ["else"],
    ...ragged,
    ["end"],
  ];
  const body: Instr[] = [
    ["f32.const", 0],
    ["f32x4.splat"],
    set("$zero"),
    get("$ldc"),
    i32(2),
    ["i32.shl"],
    set("$ldc4"),
    ...forLoop("$j0", [get("$n")], NR, [
      ...address("$b", [get("$j0"), get("$k"), ["i32.mul"]]),
      set("$bp"),
      ...forLoop("$i0", [get("$m")], MR, rowPanel),
    ]),
  ];
  const i32s = (names: string[]) => names.map((n) => [n, "i32"] as [string, "i32"]);
  return {
    name,
    params: i32s(["$a", "$b", "$c", "$t", "$m", "$n", "$k", "$kc", "$ldc", "$add"]),
    results: [],
    locals: [
      ...i32s(["$i0", "$j0", "$pa", "$pb", "$bp", "$end", "$o", "$ldc4", "$r", "$q"]),
      ...tile.map(([r, h]) => [acc(r, h), "v128"] as [string, "v128"]),
      ...[...Array(H).keys()].map((h) => [`$b${h}`, "v128"] as [string, "v128"]),
      ["$v", "f32"],
      ["$av", "v128"],
      ["$zero", "v128"],
    ],
    body,
  };
}
