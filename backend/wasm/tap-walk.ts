// The tap-table walk the im2col gather (im2col.ts) and col2im scatter (col2im.ts) kernels share:
// one place for the quad-table dispatch and the row stepping, so the two cannot drift apart.
// Both kernels declare the i32 locals these name: $t $o $b $end $tr $qr $qn $qp $qend $tap.
import type { Instr } from "./assembler";
import { bump, get, i32, set, times4 } from "./instructions";

// $o = the tap table entry at $t, $t on to the next
export const nextEntry: Instr[] = [get("$t"), ["i32.load"], set("$o"), ...bump("$t", 4)];
// base + 4 * o: the byte address of tap offset $o (base: the sample's $b unless given)
export const tapAddress = (base: Instr[] = [get("$b")]): Instr[] => [
  ...base,
  get("$o"),
  ...times4,
  ["i32.add"],
];
// the f32 at tap offset $o from `base`, 0 where $o < 0 (padding: o = -1 reads the float before
// the base, which select drops)
export const tapValueOrZero = (base: Instr[]): Instr[] => [
  ...tapAddress(base),
  ["f32.load"],
  ["f32.const", 0],
  get("$o"),
  i32(0),
  ["i32.ge_s"],
  ["select"],
];

// One sample of a row: from tap table entry $tr to $end (bytes), through the row's quad table
// ($qr, $qn quads; only when $qt is not 0) four entries at a time, then the rest value by value.
// A quad's entry: >= 0 a run of the source starting at that offset (`run`, $o holding it), -1 all
// padding (`padding`; empty: nothing to do, no else branch), else (-2) its four entries by `element` (which steps $t);
// `afterQuad` follows a run or padding quad, once $t is past its four entries.
export function walkSample(
  run: Instr[],
  padding: Instr[],
  afterQuad: Instr[],
  element: Instr[],
): Instr[] {
  const quads: Instr[] = [
    get("$qr"),
    set("$qp"),
    get("$qr"),
    get("$qn"),
    ...times4,
    ["i32.add"],
    set("$qend"),
    ["block", "$quads_done"],
    ["loop", "$quad_next"],
    get("$qp"),
    get("$qend"),
    ["i32.ge_u"],
    ["br_if", "$quads_done"],
    get("$qp"),
    ["i32.load"],
    set("$o"),
    ...bump("$qp", 4),
    ["block", "$handled"],
    ["block", "$by_one"],
    get("$o"),
    i32(-1),
    ["i32.lt_s"],
    ["br_if", "$by_one"],
    get("$o"),
    i32(0),
    ["i32.ge_s"],
    ["if", "$run"],
    ...run,
    ...(padding.length ? [["else"] as Instr, ...padding] : []),
    ["end"],
    ...bump("$t", 16),
    ...afterQuad,
    ["br", "$handled"],
    ["end"],
    ...element,
    ...element,
    ...element,
    ...element,
    ["end"],
    ["br", "$quad_next"],
    ["end"],
    ["end"],
  ];
  return [
    get("$tr"),
    set("$t"),
    get("$qt"),
    ["if", "$has_quads"],
    ...quads,
    ["end"],
    ["block", "$rest_done"],
    ["loop", "$rest_next"],
    get("$t"),
    get("$end"),
    ["i32.ge_u"],
    ["br_if", "$rest_done"],
    ...element,
    ["br", "$rest_next"],
    ["end"],
    ["end"],
  ];
}

// On to the next row's tap: its tap table row ($tr += tableStep) and quad table row; after the
// last of T taps back to the first, and `nextChannel` (the next channel's base).
export const nextTap = (tableStep: string, nextChannel: Instr[]): Instr[] => [
  ...bump("$tr", tableStep),
  get("$qr"),
  get("$qn"),
  ...times4,
  ["i32.add"],
  set("$qr"),
  ...bump("$tap", 1),
  get("$tap"),
  get("$T"),
  ["i32.eq"],
  ["if", "$channel"],
  i32(0),
  set("$tap"),
  get("$tab"),
  set("$tr"),
  get("$qt"),
  set("$qr"),
  ...nextChannel,
  ["end"],
];

// Before the first row: a table row's byte length (tableStep = 4 * count entries), its quad count
// ($qn = count / 4, rounded down) and the first tap's table rows ($tr, $qr).
export const startTaps = (count: string, tableStep: string): Instr[] => [
  get(count),
  ...times4,
  set(tableStep),
  get(count),
  i32(2),
  ["i32.shr_s"],
  set("$qn"),
  get("$tab"),
  set("$tr"),
  get("$qt"),
  set("$qr"),
];
