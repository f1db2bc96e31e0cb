// The conv product's move from [o, (n, q)] (one GEMM over a chunk of samples) to the output's
// [n, o, q] in WebAssembly (backend/js/im2col.ts copyBlocks, same arguments as byte addresses):
// rows x N blocks of Q floats, four at a time then one at a time. The JS loop it replaces cost
// more than the small layers' GEMMs.
import type { FuncSpec, Instr } from "./assembler";
import { bump, forLoop, get, i32, i32s, set, times4 } from "./instructions";

export function blocksKernel(name: string): FuncSpec {
  const copy = (vector: boolean): Instr[] => [
    get("$d"),
    get("$s"),
    [vector ? "v128.load" : "f32.load"],
    [vector ? "v128.store" : "f32.store"],
    ...bump("$s", vector ? 16 : 4),
    ...bump("$d", vector ? 16 : 4),
  ];
  const block: Instr[] = [
    // s, d: this block's start; e4: where the last whole vector starts + 16; e: the end
    get("$src"),
    get("$o"),
    get("$srs"),
    ["i32.mul"],
    ["i32.add"],
    get("$n"),
    get("$ssn"),
    ["i32.mul"],
    ["i32.add"],
    set("$s"),
    get("$dst"),
    get("$o"),
    get("$drs"),
    ["i32.mul"],
    ["i32.add"],
    get("$n"),
    get("$dsn"),
    ["i32.mul"],
    ["i32.add"],
    set("$d"),
    get("$s"),
    get("$Q"),
    ...times4,
    ["i32.add"],
    set("$e"),
    get("$s"),
    get("$Q"),
    i32(-4),
    ["i32.and"],
    ...times4,
    ["i32.add"],
    set("$e4"),
    ["block", "$v_done"],
    ["loop", "$v_next"],
    get("$s"),
    get("$e4"),
    ["i32.ge_s"],
    ["br_if", "$v_done"],
    ...copy(true),
    ["br", "$v_next"],
    ["end"],
    ["end"],
    ["block", "$f_done"],
    ["loop", "$f_next"],
    get("$s"),
    get("$e"),
    ["i32.ge_s"],
    ["br_if", "$f_done"],
    ...copy(false),
    ["br", "$f_next"],
    ["end"],
    ["end"],
  ];
  return {
    name,
    params: i32s(["$src", "$srs", "$ssn", "$dst", "$drs", "$dsn", "$rows", "$N", "$Q"]),
    results: [],
    locals: i32s(["$o", "$n", "$s", "$d", "$e", "$e4"]),
    body: [...forLoop("$o", [get("$rows")], 1, forLoop("$n", [get("$N")], 1, block))],
  };
}
