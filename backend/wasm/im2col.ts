// The convolutions' im2col in WebAssembly (backend/js/im2col.ts's gatherBlock, same arguments as
// byte addresses): packing blocks of patch rows into GEMM panels through a tap table (col2im's
// scatter-add is col2im.ts). In JavaScript these loops took most of a small CNN's training step
// (the digits CNN: 34% of its CPU profile against 7% for the GEMM itself).
import type { FuncSpec, Instr } from "./assembler";
import { alongLocals, alongRows } from "./im2col-along";
import { bump, forLoop, get, i32, i32s, set, times4 } from "./instructions";
import { nextEntry, nextTap, startTaps, tapAddress, tapValueOrZero, walkSample } from "./tap-walk";

// for (n < N) { for (q < Q) { o = tab[q]; dst[pb + jj] = o < 0 ? 0 : src[b + o]; jj += small;
// if (jj == wrap) { jj = 0; pb += big } } b += xn }   (addresses in bytes), for each of `rows`
// patch rows (im2col.ts gatherBlock).
// With a quad table (`$qt` not 0: quadTable below, staged beside the tap table) the q loop goes
// four entries at a time: a quad that is a run of the source (every tap of a stride-1 convolution
// away from the borders) is one f32x4 load, a quad of -1s (padding) zeros, and only the others go
// value by value through the tap table. `panel` kernels store a quad with one v128 store (dst
// contiguous: small = 4 bytes, quads starting 16-byte slots of the panel rows: the caller checks),
// the others with four lane stores (per = 0: down a panel along k). The copies are exact, so
// every path gives the same bits. (The table-driven scalar loop was a quarter of LeNet's step.)
export function gatherKernel(name: string, panel: boolean): FuncSpec {
  const element: Instr[] = [
    ...nextEntry,
    get("$pb"),
    get("$jj"),
    ["i32.add"],
    // src[b + o], 0 for padding
    ...tapValueOrZero([get("$b")]),
    ["f32.store"],
    ...advance("$small"),
  ];
  // the quad's four values (in $v) to the destination
  const storeQuad: Instr[] = panel
    ? [get("$pb"), get("$jj"), ["i32.add"], get("$v"), ["v128.store"]]
    : [0, 1, 2, 3].flatMap((l): Instr[] => [
        get("$pb"),
        get("$jj"),
        ["i32.add"],
        ...(l ? [get("$small"), i32(l), ["i32.mul"] as Instr, ["i32.add"] as Instr] : []),
        get("$v"),
        ["f32x4.extract_lane", l],
        ["f32.store"],
      ]);
  // a run: one f32x4 load of the source; padding: zeros
  const run: Instr[] = [...tapAddress(), ["v128.load"], set("$v")];
  const row: Instr[] = [
    ...walkSample(run, [get("$zero"), set("$v")], [...storeQuad, ...advance("$quad")], element),
    ...bump("$b", "$xn"),
    // aligned: the next sample starts a panel of its own
    get("$align"),
    get("$jj"),
    i32(0),
    ["i32.ne"],
    ["i32.and"],
    ["if", "$realign"],
    i32(0),
    set("$jj"),
    ...bump("$pb", "$big"),
    ["end"],
  ];
  // on to the next row: its tap, channel and place in the panels
  const nextRow: Instr[] = [
    ...nextTap("$qb", bump("$srow", "$xc")),
    ...bump("$drow", "$rowStep"),
    ...bump("$lane", 1),
    get("$lane"),
    get("$w"),
    ["i32.eq"],
    ["if", "$panel"],
    i32(0),
    set("$lane"),
    ...bump("$dpanel", "$panelStep"),
    get("$dpanel"),
    set("$drow"),
    ["end"],
  ];
  // one patch row r: tap r % T of channel r / T, to dst row r (see gatherBlock in im2col.ts)
  const patchRow: Instr[] = [
    get("$drow"),
    set("$pb"),
    i32(0),
    set("$jj"),
    get("$srow"),
    set("$b"),
    get("$tr"),
    get("$Q"),
    ...times4,
    ["i32.add"],
    set("$end"),
    ...forLoop("$n", [get("$N")], 1, row),
    ...nextRow,
  ];
  return {
    name,
    params: i32s([
      "$src",
      "$xn",
      "$N",
      "$tab",
      "$Q",
      "$dst",
      "$per",
      "$small",
      "$big",
      "$rows",
      "$T",
      "$xc",
      "$w",
      "$rowStep",
      "$panelStep",
      "$align",
      "$qt",
    ]),
    results: [],
    locals: [
      ...i32s(["$n", "$t", "$end", "$o", "$b", "$pb", "$jj", "$wrap", "$quad"]),
      ...i32s(["$r", "$tap", "$tr", "$qb", "$srow", "$drow", "$dpanel", "$lane"]),
      ...i32s(["$qn", "$qr", "$qp", "$qend"]),
      ["$v", "v128"],
      ["$zero", "v128"],
      ...(panel ? [] : alongLocals),
    ],
    body: [
      get("$per"),
      get("$small"),
      ["i32.mul"],
      set("$wrap"),
      get("$small"),
      i32(2),
      ["i32.shl"],
      set("$quad"),
      i32(0),
      ["i32x4.splat"],
      set("$zero"),
      ...startTaps("$Q", "$qb"),
      get("$src"),
      set("$srow"),
      get("$dst"),
      set("$drow"),
      get("$dst"),
      set("$dpanel"),
      ...(panel ? forLoop("$r", [get("$rows")], 1, patchRow) : alongRows(patchRow, nextRow)),
    ],
  };
}

// Per row of a tap table (rows of Q entries) and per quad of four entries (floor(Q / 4) of them,
// the rest of a row has none): the first offset where the four are consecutive offsets o..o+3 of
// the source (o >= 0), -1 where all four are -1, else -2 (value by value).
export function quadTable(tab: Int32Array, Q: number): Int32Array {
  const rows = Q > 0 ? tab.length / Q : 0,
    per = Q >> 2;
  const out = new Int32Array(rows * per);
  for (let r = 0; r < rows; r++)
    for (let k = 0; k < per; k++) {
      const i = r * Q + 4 * k,
        o = tab[i];
      const run = o >= 0 && tab[i + 1] === o + 1 && tab[i + 2] === o + 2 && tab[i + 3] === o + 3;
      const none = o === -1 && tab[i + 1] === -1 && tab[i + 2] === -1 && tab[i + 3] === -1;
      out[r * per + k] = run ? o : none ? -1 : -2;
    }
  return out;
}
// jj += step (a local: bytes); at the end of a panel row (jj == wrap) on to the next panel
const advance = (step: string): Instr[] => [
  ...bump("$jj", step),
  get("$jj"),
  get("$wrap"),
  ["i32.eq"],
  ["if", "$wraps"],
  i32(0),
  set("$jj"),
  ...bump("$pb", "$big"),
  ["end"],
];
