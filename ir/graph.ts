// The SSA graph: values appended in order (so the list is topologically sorted), each defined
// once and typed with its shape and dtype. Inserting through `add` hash-conses (op, inputs,
// params), which is common-subexpression elimination for free.
import type { DType } from "./dtype";
import type { OpName, Params } from "./ops";

export type ValueOp = OpName | "input" | "const";
export interface Value {
  id: number;
  op: ValueOp;
  inputs: Value[];
  params: Params;
  shape: number[];
  dtype: DType;
  constant?: number; // op "const": a 0-d literal
  slot?: number; // op "input": its position among the graph's inputs
}

export class Graph {
  values: Value[] = [];
  inputs: Value[] = [];
  outputs: Value[] = [];
  private byKey = new Map<string, Value>();
  private nextId = 0;

  add(
    op: ValueOp,
    inputs: Value[],
    params: Params,
    shape: number[],
    dtype: DType,
    constant?: number,
  ): Value {
    const key =
      op === "input"
        ? null
        : `${op}|${inputs.map((v) => v.id).join(",")}|${JSON.stringify(params)}|${dtype}|${Object.is(constant, -0) ? "-0" : constant}`;
    const hit = key ? this.byKey.get(key) : undefined;
    if (hit) return hit;
    const v: Value = { id: this.nextId++, op, inputs, params, shape, dtype };
    if (constant !== undefined) v.constant = constant;
    if (op === "input") {
      v.slot = this.inputs.length;
      this.inputs.push(v);
    }
    this.values.push(v);
    if (key) this.byKey.set(key, v);
    return v;
  }
  input(shape: number[], dtype: DType) {
    return this.add("input", [], {}, shape, dtype);
  }
  constant(value: number, dtype: DType) {
    return this.add("const", [], {}, [], dtype, value);
  }
}

// Consumers of each value (graph outputs are not counted).
export function users(g: Graph): Map<Value, Value[]> {
  const out = new Map<Value, Value[]>(g.values.map((v) => [v, []]));
  for (const v of g.values) for (const i of v.inputs) out.get(i)!.push(v);
  return out;
}

// The values reachable from `roots` through operands (roots included); where `stop` holds, a value
// is included but not walked through. An explicit stack, so graphs of any depth can be walked.
export function upstream(
  roots: Iterable<Value>,
  stop: (v: Value) => boolean = () => false,
): Set<Value> {
  const seen = new Set<Value>(),
    stack = [...roots];
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    if (!stop(v)) for (const x of v.inputs) stack.push(x);
  }
  return seen;
}
