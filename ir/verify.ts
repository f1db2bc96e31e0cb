// The IR verifier: checks that a graph is well formed SSA and that every value is typed as the op
// table types it. The compiler runs it after every pipeline stage when JITGRAD_VERIFY=1 (always in
// the tests), so a pass that breaks the IR is named at the stage that broke it.
//
// Checked: ids are unique; every operand is a value of the graph defined earlier in `values`;
// `inputs` are exactly the graph's "input" values, each at its slot; outputs are values of the
// graph; constants are 0-d numbers with no operands; each op is in the op table, has its operand
// count, and its shape and dtype are what the table's rules give for its operands and params
// (plus a few invariants the rules take for granted: a reshape keeps the element count, a permute
// is a permutation, a slice or pad stays in bounds, reduced dims exist).
//
// One rule is re-derived with a choice: dtype promotion treats a JS number (a "wrapped" 0-d tensor)
// more weakly than a 0-d tensor, and the graph does not record which a constant was. A constant
// traced from a JS number was wrapped; the seed cotangent of grad() (traced into the VJP rules as a
// tensor) and a constant folded from a 0-d computation were 0-d tensors. So a value with constant
// operands must match the dtype rule with each constant read as wrapped or as a 0-d tensor (one of
// at most 2^3 readings). With today's dtypes the readings differ only for a float64 constant next
// to a 0-d float32 operand (wrapped: float32, tensor: float64), which only grad()'s seed gives, e.g.
// grad((x) => x.double().mul(x)) of a 0-d float32 x: its %4 = mul %3, %0 with %3 = const 1 : f64[]
// and %0 : f32[] is f64[]. Dtypes added later (int64, float16) may make the choice matter more.
import { type DType, short } from "./dtype";
import type { Graph, Value } from "./graph";
import { defOf, type OpDef, type Operand, type OpName, ops, paramsOf, reduceParams } from "./ops";
import { printValue } from "./print";
import { arg, type Scalar } from "./scalar";
import { numel, sameShape } from "./shape";

export class VerifyError extends Error {
  override name = "VerifyError";
}

const typeText = (shape: readonly number[], dtype: DType) => `${short[dtype]}[${shape.join(",")}]`;

// How many operands an op takes: an elementwise op as many as its scalar formula reads; a
// reduction, movement or scan one; a gather its source and index; a kernel op as listed here (the
// table does not say: a new kernel op is reported until it is added).
// (cat: any number, one or more; -1 below)
const KERNEL_OPERANDS: Partial<Record<OpName, number>> = {
  matmul: 2,
  scatterAdd: 3,
  scatter: 3,
  scatterReduce: 3,
  argsort: 1,
  cat: -1,
  conv: 2,
  convTranspose: 2,
  convWeight: 2,
  maxPool: 1,
  maxPoolBackward: 2,
  maxPoolSelect: 2,
  custom: -1,
  maxPoolIndices: 1,
  col2im: 1,
};
const arities = new Map<string, number>();
function arityOf(op: OpName, def: OpDef, v: Value): number | undefined {
  if (def.kind === "kernel") return KERNEL_OPERANDS[op];
  if (def.kind === "gather") return 2;
  if (def.kind !== "elementwise") return 1;
  let n = arities.get(op);
  if (n === undefined) {
    let most = 0;
    const visit = (e: Scalar) => {
      if (e.op === "arg") most = Math.max(most, e.index + 1);
      else if (e.op !== "num") e.args.forEach(visit);
    };
    visit(def.scalar([arg(0), arg(1), arg(2), arg(3)], v.params));
    n = most;
    arities.set(op, n);
  }
  return n;
}

// Invariants of params that the shape rules assume rather than check.
function paramsProblem(v: Value): string | null {
  const x = v.inputs[0],
    rank = x.shape.length;
  const inRange = (ds: readonly number[], n: number) =>
    ds.every((d) => Number.isInteger(d) && d >= 0 && d < n);
  const dimOk = (dim: number) => inRange([dim], Math.max(rank, 1));
  switch (v.op) {
    case "reshape":
      return numel(paramsOf(v, "reshape").shape) === numel(x.shape)
        ? null
        : "a reshape changes the element count";
    case "expand": {
      const s = paramsOf(v, "expand").shape,
        lead = s.length - rank;
      return lead >= 0 && x.shape.every((n, d) => n === 1 || n === s[lead + d])
        ? null
        : `expand of [${x.shape}] to [${s}]`;
    }
    case "permute": {
      const { perm } = paramsOf(v, "permute");
      return perm.length === rank && inRange(perm, rank) && new Set(perm).size === rank
        ? null
        : `perm [${perm}] is not a permutation of ${rank} dims`;
    }
    case "shrink": {
      const { starts, ends } = paramsOf(v, "shrink");
      return starts.length === rank &&
        ends.length === rank &&
        starts.every((s, d) => s >= 0 && s <= ends[d] && ends[d] <= x.shape[d])
        ? null
        : `shrink [${starts}]..[${ends}] out of the bounds of [${x.shape}]`;
    }
    case "pad": {
      const { before, after } = paramsOf(v, "pad");
      return before.length === rank &&
        after.length === rank &&
        [...before, ...after].every((n) => Number.isInteger(n) && n >= 0)
        ? null
        : `pad before [${before}] after [${after}] of a rank-${rank} operand`;
    }
    case "flip": {
      const { dims } = paramsOf(v, "flip");
      return inRange(dims, rank) && new Set(dims).size === dims.length
        ? null
        : `flip dims [${dims}] of a rank-${rank} operand`;
    }
    case "sum":
    case "prod":
    case "max":
    case "min": {
      const { dims } = reduceParams(v);
      return inRange(dims, rank) && new Set(dims).size === dims.length
        ? null
        : `dims [${dims}] of a rank-${rank} operand`;
    }
    case "argsort":
      return dimOk(paramsOf(v, "argsort").dim) ? null : `dim of a rank-${rank} operand`;
    case "cumsum":
    case "cumprod":
    case "cummax":
    case "cummin":
    case "logcumsumexp":
      return dimOk(paramsOf(v, v.op).dim) ? null : `dim of a rank-${rank} operand`;
    case "gather":
    case "scatterAdd":
    case "scatter":
    case "scatterReduce": {
      const dim = paramsOf(v, v.op).dim,
        index = v.inputs[1];
      if (!dimOk(dim)) return `dim ${dim} of a rank-${rank} operand`;
      if (index.dtype !== "int32") return `an index of dtype ${index.dtype}`;
      return index.shape.length === rank ? null : `an index of rank ${index.shape.length}`;
    }
  }
  return null;
}

// The dtypes the op table gives for v's operands: one per reading of its constants (see the top).
function dtypesFor(def: OpDef, v: Value): DType[] {
  const consts = v.inputs.flatMap((x, i) => (x.op === "const" ? [i] : []));
  const out = new Set<DType>();
  for (let mask = 0; mask < 1 << consts.length; mask++) {
    const operands: Operand[] = v.inputs.map((x) => ({ shape: x.shape, dtype: x.dtype }));
    consts.forEach((i, k) => {
      if (mask & (1 << k)) operands[i].wrapped = true;
    });
    out.add(def.dtype(operands, v.params));
  }
  return [...out];
}

// Throws a VerifyError naming the first malformed value; `stage` names the pipeline stage that
// produced the graph ("verify after simplify: ...").
export function verify(g: Graph, stage = "?"): void {
  function fail(what: string): never {
    throw new VerifyError(`verify after ${stage}: ${what}`);
  }
  const defined = new Set<Value>(),
    ids = new Set<number>();
  for (const v of g.values) {
    const line = () => printValue(v);
    if (ids.has(v.id)) fail(`%${v.id} is defined twice`);
    ids.add(v.id);
    for (const x of v.inputs)
      if (!defined.has(x))
        fail(
          `${line()} reads %${x.id}, which is ${g.values.includes(x) ? "defined later" : "not a value of this graph"}`,
        );
    if (!v.shape.every((n) => Number.isInteger(n) && n >= 0))
      fail(`${line()} has a malformed shape`);
    if (v.op === "input") {
      if (v.inputs.length || g.inputs[v.slot ?? -1] !== v)
        fail(`${line()} is not the graph's input ${v.slot}`);
    } else if (v.op === "const") {
      if (v.inputs.length || v.shape.length || typeof v.constant !== "number")
        fail(`${line()}: a constant is a 0-d number with no operands`);
    } else {
      if (!Object.hasOwn(ops, v.op)) fail(`${line()}: ${v.op} is not in the op table`);
      const def = defOf(v.op);
      const n = arityOf(v.op, def, v);
      if (n === undefined)
        fail(`${line()}: the verifier does not know how many operands ${v.op} takes`);
      if (n === -1 ? v.inputs.length === 0 : v.inputs.length !== n)
        fail(
          `${line()} has ${v.inputs.length} operands; ${v.op} takes ${n === -1 ? "one or more" : n}`,
        );
      const problem = paramsProblem(v);
      if (problem) fail(`${line()}: ${problem}`);
      let shape: number[] = [];
      try {
        shape = def.shape(v.inputs, v.params);
      } catch (e) {
        fail(`${line()} but the op table's shape rule fails: ${(e as Error).message}`);
      }
      const dtypes = dtypesFor(def, v);
      if (!sameShape(shape, v.shape) || !dtypes.includes(v.dtype))
        fail(
          `${line()} but the op table gives ${dtypes.map((d) => typeText(shape, d)).join(" or ")}`,
        );
    }
    defined.add(v);
  }
  g.inputs.forEach((v, i) => {
    if (v.op !== "input" || v.slot !== i || !defined.has(v))
      fail(`input ${i} (%${v.id}) is not an input value of the graph at slot ${i}`);
  });
  g.outputs.forEach((v, i) => {
    if (!defined.has(v)) fail(`output ${i} (%${v.id}) is not a value of the graph`);
  });
}
