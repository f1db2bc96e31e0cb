// The op table: every primitive declared once, in its family's table (ir/ops/*.ts). Its
// shape/dtype rule, scalar formula, view and index rules and VJP rule serve eager mode, tracing,
// symbolic differentiation and codegen alike. Broadcasting's gradient is not here: callers of
// `vjp` sum each gradient back to its operand's shape (see `sumTo`), once for all ops.
import type { OpDef, Operand, ReduceParams } from "./op-def";
import { convOps } from "./ops/conv";
import { customOps } from "./ops/custom";
import { elementwiseOps } from "./ops/elementwise";
import { indexingOps } from "./ops/indexing";
import { kernelOps } from "./ops/kernel";
import { movementOps } from "./ops/movement";
import { poolOps } from "./ops/pool";
import { reduceOps } from "./ops/reduce";
import { scanOps } from "./ops/scan";
import { windowOps } from "./ops/window";

export * from "./op-def";

export const ops = {
  ...elementwiseOps,
  ...reduceOps,
  ...movementOps,
  ...kernelOps,
  ...convOps,
  ...poolOps,
  ...indexingOps,
  ...scanOps,
  ...customOps,
  ...windowOps,
};
export type OpName = keyof typeof ops;
// Each op's params, as its entry declares them (plain numbers, booleans and dtype names, checked
// at the API edge); a graph value carries its op's params.
export type ParamsOf<K extends OpName> = (typeof ops)[K] extends {
  shape: (ins: Operand[], p: infer P) => number[];
}
  ? P
  : never;
export type Params = { [K in OpName]: ParamsOf<K> }[OpName];
// The ops that need a kernel of their own; each backend's emitter table is keyed by these.
export type KernelOpName = {
  [K in OpName]: (typeof ops)[K] extends { kind: "kernel" } ? K : never;
}[OpName];
// Scans: one backend emitter serves them all, from their combine formula.
export type ScanOpName = {
  [K in OpName]: (typeof ops)[K] extends { kind: "scan" } ? K : never;
}[OpName];

export const gradName = (def: OpDef, ins: Operand[]) =>
  typeof def.grad === "string" ? def.grad : def.grad(ins);

// The rules of a graph value's op. A value's params are its op's (graph values are only made
// from the table's own ops and the params their callers typed), so graph-generic code sees every
// rule through the union of params: the one place that widens the table's per-op types.
export const defOf = (op: OpName): OpDef => ops[op] as unknown as OpDef;

// The params of a value whose op has the given kind (checked).
export function reduceParams(v: { op: string; params: Params }): ReduceParams {
  if (v.op !== "sum" && v.op !== "max" && v.op !== "min" && v.op !== "prod")
    throw new Error(`internal: %${v.op} is not a reduction`);
  return v.params as ReduceParams;
}
export function paramsOf<K extends OpName>(v: { op: string; params: Params }, op: K): ParamsOf<K> {
  if (v.op !== op) throw new Error(`internal: expected a ${op} value, got ${v.op}`);
  return v.params as ParamsOf<K>;
}
