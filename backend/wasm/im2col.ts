// The convolutions' data movement in WebAssembly (backend/js/im2col.ts's two loops, same
// arguments as byte addresses): packing one patch row into GEMM panels through a tap table, and
// col2im's scatter-add of one row of a transposed convolution's columns. In JavaScript these
// loops took most of a small CNN's training step (the digits CNN: 34% of its CPU profile against
// 7% for the GEMM itself).
import type { FuncSpec, Instr } from "./assembler";
import { bump, forLoop, get, i32, set } from "./instructions";

const i32s = (names: string[]) => names.map((n) => [n, "i32"] as [string, "i32"]);
// x * 4 on the stack
const times4: Instr[] = [i32(2), ["i32.shl"]];

// for (n < N) { for (q < Q) { o = tab[q]; dst[pb + jj] = o < 0 ? 0 : src[b + o]; jj += small;
// if (jj == wrap) { jj = 0; pb += big } } b += xn }   (addresses in bytes; the q loop walks a
// pointer into the table and tests at its end, the fewest instructions per value)
export function gatherKernel(name: string): FuncSpec {
  const element: Instr[] = [
    get("$t"),
    ["i32.load"],
    set("$o"),
    ...bump("$t", 4),
    get("$pb"),
    get("$jj"),
    ["i32.add"],
    // src[b + o] (o = -1 reads the float before b, which select drops)
    get("$b"),
    get("$o"),
    ...times4,
    ["i32.add"],
    ["f32.load"],
    ["f32.const", 0],
    get("$o"),
    i32(0),
    ["i32.ge_s"],
    ["select"],
    ["f32.store"],
    ...bump("$jj", "$small"),
    get("$jj"),
    get("$wrap"),
    ["i32.eq"],
    ["if", "$wraps"],
    i32(0),
    set("$jj"),
    ...bump("$pb", "$big"),
    ["end"],
  ];
  const row: Instr[] = [
    get("$tab"),
    set("$t"),
    ["loop", "$q_next"],
    ...element,
    get("$t"),
    get("$end"),
    ["i32.lt_u"],
    ["br_if", "$q_next"],
    ["end"],
    ...bump("$b", "$xn"),
  ];
  return {
    name,
    params: i32s(["$src", "$xn", "$N", "$tab", "$Q", "$dst", "$per", "$small", "$big"]),
    results: [],
    locals: i32s(["$n", "$t", "$end", "$o", "$b", "$pb", "$jj", "$wrap"]),
    body: [
      get("$per"),
      get("$small"),
      ["i32.mul"],
      set("$wrap"),
      get("$dst"),
      set("$pb"),
      i32(0),
      set("$jj"),
      get("$src"),
      set("$b"),
      get("$tab"),
      get("$Q"),
      ...times4,
      ["i32.add"],
      set("$end"),
      // Q = 0: nothing to do (the row loop runs its body at least once)
      get("$Q"),
      i32(0),
      ["i32.gt_s"],
      ["if", "$any"],
      ...forLoop("$n", [get("$N")], 1, row),
      ["end"],
    ],
  };
}

// for (n < N) { for (i < I) { o = tab[i]; if (o >= 0) out[b + o] += cols[s]; s++ } b += on }
export function scatterKernel(name: string): FuncSpec {
  const element: Instr[] = [
    get("$tab"),
    get("$i"),
    ...times4,
    ["i32.add"],
    ["i32.load"],
    set("$o"),
    get("$o"),
    i32(0),
    ["i32.ge_s"],
    ["if", "$inside"],
    get("$b"),
    get("$o"),
    ...times4,
    ["i32.add"],
    set("$at"),
    get("$at"),
    get("$at"),
    ["f32.load"],
    get("$s"),
    ["f32.load"],
    ["f32.add"],
    ["f32.store"],
    ["end"],
    ...bump("$s", 4),
  ];
  return {
    name,
    params: i32s(["$cols", "$N", "$I", "$tab", "$out", "$on"]),
    results: [],
    locals: i32s(["$n", "$i", "$o", "$b", "$s", "$at"]),
    body: [
      get("$cols"),
      set("$s"),
      get("$out"),
      set("$b"),
      ...forLoop("$n", [get("$N")], 1, [
        ...forLoop("$i", [get("$I")], 1, element),
        ...bump("$b", "$on"),
      ]),
    ],
  };
}
