// col2im in WebAssembly (backend/js/im2col.ts's scatterBlock, same arguments as byte addresses):
// the scatter-add of a transposed convolution's columns into its output.
import type { FuncSpec, Instr } from "./assembler";
import { bump, forLoop, get, i32, i32s, set } from "./instructions";
import { nextEntry, nextTap, startTaps, tapAddress, walkSample } from "./tap-walk";

// col2im for a block of `rows` rows of the column matrix (im2col.ts scatterBlock): row m is tap
// m % T of output channel m / T: for (n < N) { for (i < I) { o = tab[i]; if (o >= 0) out[b + o]
// += cols[s]; s++ } b += on }. With a quad table (`$qt` not 0, as the gathers'), four entries at a
// time where they are a run of the output (a stride-1 transposed convolution away from the
// borders): one f32x4 add of four columns into four outputs (a tap reaches distinct outputs, and
// the rows keep their order: the same sums as one at a time), skipped where all four are -1.
// (One call per row was 2400 calls a LeNet step.)
export function scatterKernel(name: string): FuncSpec {
  // out[b + o] += cols[s], four lanes (v128) or one value (f32) at a time
  const addInto = (load: string, add: string, store: string): Instr[] => [
    ...tapAddress(),
    set("$at"),
    get("$at"),
    get("$at"),
    [load],
    get("$s"),
    [load],
    [add],
    [store],
  ];
  const element: Instr[] = [
    ...nextEntry,
    get("$o"),
    i32(0),
    ["i32.ge_s"],
    ["if", "$inside"],
    ...addInto("f32.load", "f32.add", "f32.store"),
    ["end"],
    ...bump("$s", 4),
  ];
  // a run adds four columns into four outputs; padding quads add nothing
  const run = addInto("v128.load", "f32x4.add", "v128.store");
  const sample: Instr[] = [...walkSample(run, [], bump("$s", 16), element), ...bump("$b", "$on")];
  const row: Instr[] = [
    get("$crow"),
    set("$s"),
    get("$brow"),
    set("$b"),
    get("$tr"),
    get("$ib"),
    ["i32.add"],
    set("$end"),
    ...forLoop("$n", [get("$N")], 1, sample),
    ...bump("$crow", "$colStep"),
    ...nextTap("$ib", bump("$brow", "$oStep")),
  ];
  return {
    name,
    params: i32s([
      "$cols",
      "$N",
      "$I",
      "$tab",
      "$out",
      "$on",
      "$rows",
      "$T",
      "$colStep",
      "$oStep",
      "$qt",
    ]),
    results: [],
    locals: [
      ...i32s(["$n", "$m", "$t", "$end", "$o", "$b", "$s", "$at"]),
      ...i32s(["$tap", "$tr", "$ib", "$crow", "$brow", "$qn", "$qr", "$qp", "$qend"]),
    ],
    body: [
      ...startTaps("$I", "$ib"),
      get("$cols"),
      set("$crow"),
      get("$out"),
      set("$brow"),
      ...forLoop("$m", [get("$rows")], 1, row),
    ],
  };
}
