// Instruction-list helpers the kernel generators share: locals, constants, loops, addresses.
import type { Instr } from "./assembler";

export const get = (x: string): Instr => ["local.get", x];
export const set = (x: string): Instr => ["local.set", x];
export const i32 = (n: number): Instr => ["i32.const", n];
// i32 locals or parameters by name
export const i32s = (names: string[]) => names.map((n) => [n, "i32"] as [string, "i32"]);
// x * 4 on the stack (an f32 element index as bytes)
export const times4: Instr[] = [i32(2), ["i32.shl"]];
// x = x + n (n a constant or a local)
export const bump = (x: string, n: number | string): Instr[] => [
  get(x),
  typeof n === "number" ? i32(n) : get(n),
  ["i32.add"],
  set(x),
];
// x * 4 + base: an f32 element's byte address
export const address = (base: string, element: Instr[]): Instr[] => [
  get(base),
  ...element,
  i32(2),
  ["i32.shl"],
  ["i32.add"],
];
// for (x = 0; x < limit; x += step) body, with labels $x_done / $x_next
export const forLoop = (
  x: string,
  limit: Instr[],
  step: number | string,
  body: Instr[],
): Instr[] => [
  i32(0),
  set(x),
  ["block", `${x}_done`],
  ["loop", `${x}_next`],
  get(x),
  ...limit,
  ["i32.ge_s"],
  ["br_if", `${x}_done`],
  ...body,
  ...bump(x, step),
  ["br", `${x}_next`],
  ["end"],
  ["end"],
];
export const min = (a: Instr[], b: Instr[]): Instr[] => [
  ...a,
  ...b,
  ...a,
  ...b,
  ["i32.lt_s"],
  ["select"],
];
