// The GEMM micro-kernel in WebAssembly SIMD: C[m, n] (+)= A[m, kc] . B[kc, n]. An MR x NR tile of
// C lives in MR * NR / 4 f32x4 locals while the k loop walks A and B: per step NR / 4 vector loads
// of B, MR broadcast loads of A and MR * NR / 4 multiply-adds. Both operands are read through
// strides, so either may sit in Wasm memory as packed panels or as it is where its layout already
// fits: A's MR rows at one k contiguous (packed panels, or A^T's columns), row panel i0 at
// a + i0 * ai and k step sa bytes; B's NR columns at one k contiguous (packed panels, or a
// row-major B's rows), column panel j0 at b + j0 * bj and k step sb bytes. The column panel's
// k-slice stays in L1 while every row panel streams past it.
// Tiles that cross C's right or bottom edge are stored into the scratch tile `$t` and copied out
// element by element. `$add` = 1 adds the tile to C instead of storing it: the caller blocks k
// (cache blocking, and blocked summation: a sum over k is kc-long runs added together).
// A kernel made with an epilogue (a compiled kernel's bias, activation, ...: epilogue.ts) runs it
// on each finished tile while it is still in registers, on the last k block (`$epi` = 1), and
// stores its results instead of C.
//
// Why 4x8 (and not XNNPACK's 6x8 or a 4x16): V8 on x64 allocates 15 of the 16 xmm registers
// (xmm15 is its scratch) and, without relaxed SIMD's fused multiply-add, needs a temporary for
// each product: 8 accumulators + 2 B vectors + the broadcast A + the product = 12 fit; 6x8 needs
// 16 and 4x16 18, which spill. The loop is bound by the vector ports (8 f32x4.mul + 8 f32x4.add
// per k step), not by loads, so wider tiles would not gain here even without spills.
import type { FuncSpec, Instr, ValType } from "./assembler";
import { address, bump, forLoop, get, i32, min, set } from "./instructions";

export const MR = 4, // rows of A per panel
  NR = 8; // columns of B per panel: two f32x4

const H = NR / 4; // f32x4 vectors per tile row
const SHORT = 2; // rows of the short tile (below)
export const acc = (r: number, h: number) => `$c${r}_${h}`;
export const tile = [...Array(MR).keys()].flatMap((r) =>
  [...Array(H).keys()].map((h) => [r, h] as const),
);

// What a kernel with an epilogue adds: its i32 parameters (after the GEMM's and `$epi`), locals,
// code run once per call, and the code run on a finished tile (`whole`: its results stored in
// place; else into scratch tiles at $t + (s + 1) * MR * NR floats, copied out by the kernel).
export interface TileEpilogue {
  params: string[];
  locals: [string, ValType][];
  setup: Instr[];
  tile(whole: boolean): Instr[];
  stores: string[]; // the store regions' parameters, [m, n] contiguous (row stride $ldc)
}

// for (r < rows left, q < columns left) body: the tile's elements inside C
const edgeLoop = (body: Instr[]): Instr[] =>
  forLoop("$r", min([get("$m"), get("$i0"), ["i32.sub"]], [i32(MR)]), 1, [
    ...forLoop("$q", min([get("$n"), get("$j0"), ["i32.sub"]], [i32(NR)]), 1, body),
  ]);
// element (i0 + r, j0 + q) of a [m, ldc] region, and element (r, q) of scratch tile `s`
const inRegion = (base: string) =>
  address(base, [
    get("$i0"),
    get("$r"),
    ["i32.add"],
    get("$ldc"),
    ["i32.mul"],
    get("$j0"),
    ["i32.add"],
    get("$q"),
    ["i32.add"],
  ]);
const inScratch = (s: number): Instr[] => [
  ...address("$t", [get("$r"), i32(NR), ["i32.mul"], get("$q"), ["i32.add"]]),
  ...(s ? [i32(4 * s * MR * NR), ["i32.add"] as Instr] : []),
];
const tileTo = (base: string, offset = 0): Instr[] =>
  tile.flatMap(([r, h]): Instr[] => [
    get(base),
    get(acc(r, h)),
    ["v128.store", { offset: offset + 16 * (r * H + h) }],
  ]);
const tileFrom = (base: string): Instr[] =>
  tile.flatMap(([r, h]): Instr[] => [
    get(base),
    ["v128.load", { offset: 16 * (r * H + h) }],
    set(acc(r, h)),
  ]);

// Whether the tile at (i0, j0) is whole: `rows` rows from i0 against m (by `cmp`: within, or
// exactly to the end) and NR columns within n.
const fits = (rows: number, cmp: "i32.le_s" | "i32.eq"): Instr[] => [
  get("$i0"),
  i32(rows),
  ["i32.add"],
  get("$m"),
  [cmp],
  get("$j0"),
  i32(NR),
  ["i32.add"],
  get("$n"),
  ["i32.le_s"],
  ["i32.and"],
];

export function gemmKernel(name: string, epi?: TileEpilogue): FuncSpec {
  const dotOf = (rows: number): Instr[] => [
    // the k loop over one row panel and one column panel
    ["loop", "$k_next"],
    ...[...Array(H).keys()].flatMap((h): Instr[] => [
      get("$pb"),
      ["v128.load", { offset: 16 * h }],
      set(`$b${h}`),
    ]),
    ...[...Array(rows).keys()].flatMap((r): Instr[] => [
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
    ...bump("$pa", "$sa"),
    ...bump("$pb", "$sb"),
    get("$pa"),
    get("$end"),
    ["i32.lt_u"],
    ["br_if", "$k_next"],
    ["end"],
  ];
  const dot = dotOf(MR);
  // the tile's first element in C: c + (i0 * ldc + j0) * 4
  const corner = [
    ...address("$c", [get("$i0"), get("$ldc"), ["i32.mul"], get("$j0"), ["i32.add"]]),
    set("$o"),
  ];
  // per row of the tile: acc += C (when `accumulate`), C = acc (when `store`)
  const rows = (accumulate: boolean, store: boolean, count = MR): Instr[] =>
    [...Array(count).keys()].flatMap((r): Instr[] => [
      ...(accumulate
        ? [
            get("$add"),
            ["if", "$accumulate"] as Instr,
            ...[...Array(H).keys()].flatMap((h): Instr[] => [
              get("$o"),
              ["v128.load", { offset: 16 * h }],
              get(acc(r, h)),
              ["f32x4.add"],
              set(acc(r, h)),
            ]),
            ["end"] as Instr,
          ]
        : []),
      ...(store
        ? [...Array(H).keys()].flatMap((h): Instr[] => [
            get("$o"),
            get(acc(r, h)),
            ["v128.store", { offset: 16 * h }],
          ])
        : []),
      ...bump("$o", "$ldc4"),
    ]);
  const wholeTile: Instr[] = epi
    ? [
        ...corner,
        ...rows(true, false),
        get("$epi"),
        ["if", "$epilogue"],
        ...epi.tile(true),
        ["else"],
        ...corner,
        ...rows(false, true),
        ["end"],
      ]
    : [...corner, ...rows(true, true)];
  // C[i0 + r, j0 + q] (+)= the scratch tile's element (r, q)
  const raggedToC: Instr[] = edgeLoop([
    ...inRegion("$c"),
    set("$o"),
    ...inScratch(0),
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
  ]);
  const ragged: Instr[] = [...tileTo("$t")];
  if (!epi) ragged.push(...raggedToC);
  else
    ragged.push(
      get("$epi"),
      ["if", "$epilogue"],
      // the finished tile: the partial sums in C added to the scratch tile, then the epilogue
      get("$add"),
      ["if", "$accumulate"],
      ...edgeLoop([
        ...inScratch(0),
        set("$o"),
        get("$o"),
        get("$o"),
        ["f32.load"],
        ...inRegion("$c"),
        ["f32.load"],
        ["f32.add"],
        ["f32.store"],
      ]),
      ["end"],
      ...tileFrom("$t"),
      ...epi.tile(false),
      ...epi.stores.flatMap((s, k) =>
        edgeLoop([...inRegion(s), ...inScratch(k + 1), ["f32.load"], ["f32.store"]]),
      ),
      ["else"],
      ...raggedToC,
      ["end"],
    );
  // pa = a + i0 * ai, end = pa + kc * sa, pb = the column panel
  const panelStart: Instr[] = [
    get("$a"),
    get("$i0"),
    get("$ai"),
    ["i32.mul"],
    ["i32.add"],
    set("$pa"),
    get("$pa"),
    get("$kc"),
    get("$sa"),
    ["i32.mul"],
    ["i32.add"],
    set("$end"),
    get("$bp"),
    set("$pb"),
  ];
  const rowPanel: Instr[] = [
    ...panelStart,
    ...tile.flatMap(([r, h]): Instr[] => [get("$zero"), set(acc(r, h))]),
    ...dot,
    // whole tile: i0 + MR <= m and j0 + NR <= n
    ...fits(MR, "i32.le_s"),
    ["if", "$whole"],
    ...wholeTile,
    ["else"],
    ...ragged,
    ["end"],
  ];
  // Without an epilogue, a last row panel of at most SHORT rows (a 6-row product's second panel)
  // runs a SHORT x NR tile: half the multiply-adds of the full tile, none of them on the panel's
  // zero rows. (Kernels with an epilogue keep the full tile their epilogue is written for.)
  const short = tile.filter(([r]) => r < SHORT);
  const shortPanel: Instr[] = [
    ...panelStart,
    ...short.flatMap(([r, h]): Instr[] => [get("$zero"), set(acc(r, h))]),
    ...dotOf(SHORT),
    // whole: exactly SHORT rows left and j0 + NR <= n
    ...fits(SHORT, "i32.eq"),
    ["if", "$whole"],
    ...corner,
    ...rows(true, true, SHORT),
    ["else"],
    ...short.flatMap(([r, h]): Instr[] => [
      get("$t"),
      get(acc(r, h)),
      ["v128.store", { offset: 16 * (r * H + h) }],
    ]),
    ...raggedToC,
    ["end"],
  ];
  const panels: Instr[] = epi
    ? rowPanel
    : [
        get("$m"),
        get("$i0"),
        ["i32.sub"],
        i32(SHORT),
        ["i32.le_s"],
        ["if", "$short"],
        ...shortPanel,
        ["else"],
        ...rowPanel,
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
    ...(epi?.setup ?? []),
    ...forLoop("$j0", [get("$n")], NR, [
      get("$b"),
      get("$j0"),
      get("$bj"),
      ["i32.mul"],
      ["i32.add"],
      set("$bp"),
      ...forLoop("$i0", [get("$m")], MR, panels),
    ]),
  ];
  const i32s = (names: string[]) => names.map((n) => [n, "i32"] as [string, "i32"]);
  return {
    name,
    params: i32s([...GEMM_PARAMS, ...(epi ? ["$epi", ...epi.params] : [])]),
    results: [],
    locals: [
      ...i32s(["$i0", "$j0", "$pa", "$pb", "$bp", "$end", "$o", "$ldc4", "$r", "$q"]),
      ...tile.map(([r, h]) => [acc(r, h), "v128"] as [string, "v128"]),
      ...[...Array(H).keys()].map((h) => [`$b${h}`, "v128"] as [string, "v128"]),
      ["$v", "f32"],
      ["$av", "v128"],
      ["$zero", "v128"],
      ...(epi?.locals ?? []),
    ],
    body,
  };
}
// a, b, c, t: byte addresses; ai, sa, bj, sb: the operands' layouts in bytes (see above)
const GEMM_PARAMS = [
  "$a",
  "$b",
  "$c",
  "$t",
  "$m",
  "$n",
  "$kc",
  "$ldc",
  "$add",
  "$ai",
  "$sa",
  "$bj",
  "$sb",
];
