// What an op-table entry is: the shape/dtype rule, scalar formula (elementwise and reduce ops),
// view and index rules (movement ops) and VJP rule of one primitive, and the builders the family
// tables (ir/ops/*.ts) declare entries with. VJP rules use ordinary Tensor methods (the
// `Differentiable` interface), so they run on eager tensors and on tracers.
import { type DType, isFloat, promote } from "./dtype";
import type { IndexMap } from "./index-map";
import type { Params } from "./ops";
import type { ConvParams, ConvTransposeParams, ConvWeightParams } from "./ops/conv";
import type { ScatterReduction } from "./ops/indexing";
import type { PoolParams } from "./ops/pool";
import type { Col2imParams, WindowParams } from "./ops/window";
import type { Scalar } from "./scalar";
import { broadcastShapes, reducedShape, type Shape } from "./shape";

export interface Operand {
  shape: Shape;
  dtype: DType;
  wrapped?: boolean;
}
// Each op's parameters (plain numbers, booleans and dtype names, checked at the API edge); ops
// not listed take none. A graph value carries its op's params; rules see their own op's type.
export interface ReduceParams {
  dims: number[]; // sorted, normalized
  keepdim: boolean;
}
export type NoParams = Record<string, never>;

export interface View {
  shape: number[];
  strides: number[];
  offset: number;
}
// What VJP rules may call: the Tensor methods they are written with (the runtime's Tensor and the
// compiler's tracers are both Tensors; ir/ only names the interface, so it imports nothing above it).
type Other<T> = T | number;
export interface Differentiable<T> {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly mT: T;
  neg(): T;
  exp(): T;
  log(): T;
  sin(): T;
  cos(): T;
  sign(): T;
  sqrt(): T;
  sinh(): T;
  cosh(): T;
  floor(): T;
  trunc(): T;
  logicalNot(): T;
  add(o: Other<T>): T;
  sub(o: Other<T>): T;
  mul(o: Other<T>): T;
  div(o: Other<T>): T;
  pow(o: Other<T>): T;
  eq(o: Other<T>): T;
  ne(o: Other<T>): T;
  lt(o: Other<T>): T;
  le(o: Other<T>): T;
  gt(o: Other<T>): T;
  ge(o: Other<T>): T;
  logicalOr(o: T): T;
  where(cond: T, other: Other<T>): T;
  sum(dims: number[] | undefined, keepdim: boolean): T;
  prod(dims: number[] | undefined, keepdim: boolean): T;
  reshape(shape: number[]): T;
  expand(shape: number[]): T;
  permute(perm: number[]): T;
  pad(before: number[], after: number[]): T;
  shrink(starts: number[], ends: number[]): T;
  flip(dims: number[]): T;
  matmul(o: T): T;
  newZeros(shape: number[]): T;
  gather(dim: number, index: T): T;
  scatterAdd(dim: number, index: T, src: T): T;
  scatter(dim: number, index: T, src: T | number): T;
  scatterReduce(
    dim: number,
    index: T,
    src: T,
    reduce: ScatterReduction,
    opts: { includeSelf: boolean },
  ): T;
  cumsum(dim: number): T;
  conv(w: T, p: ConvParams): T;
  convTranspose(w: T, p: ConvTransposeParams): T;
  convWeight(g: T, p: ConvWeightParams): T;
  maxPoolBackward(g: T, p: PoolParams): T;
  maxPoolSelect(v: T, p: PoolParams): T;
  cumprod(dim: number): T;
  abs(): T;
  logcumsumexp(dim: number): T;
  cumExtreme(op: "cummax" | "cummin", dim: number): T;
  windows(p: WindowParams): T;
  col2im(p: Col2imParams): T;
}
// shapes: the inputs' shapes, for rules that need nothing else of an input (PyTorch saves only the
// sizes then, so such a graph can run backward twice); absent, they are read from `ins`.
export interface VjpContext<T, P = Params> {
  ins: T[];
  out: T;
  params: P;
  needs: boolean[];
  shapes?: readonly (readonly number[])[];
}
export type Vjp<P = Params> = <T extends Differentiable<T>>(
  g: T,
  ctx: VjpContext<T, P>,
) => (T | null)[];

interface Common<P> {
  grad: string | ((ins: Operand[]) => string); // PyTorch's grad_fn name
  shape: (ins: Operand[], p: P) => number[];
  dtype: (ins: Operand[], p: P) => DType;
  vjp: Vjp<P> | null; // null: not differentiable (comparisons, detach)
}
// scalar: the value at one point, from the operands' values there.
// costly: a transcendental function, ~10-20 ns an element here against ~1 ns for arithmetic or for
// writing and re-reading a float (so the backward reads such a value rather than recomputing it).
export interface Elementwise<P = Params> extends Common<P> {
  kind: "elementwise";
  scalar: (ins: Scalar[], p: P) => Scalar;
  costly?: boolean;
}
export interface Reduce<P = ReduceParams> extends Common<P> {
  kind: "reduce";
  combine: (acc: Scalar, x: Scalar) => Scalar;
  init: number;
}
// view: the result as a strided view of the operand's storage, or null when no strides express it
// (eager then copies through the index map). index: the operand's index map given the result's
// (null when not affine: a reshape that splits a dim, which needs its operand materialized).
// `loops`: the sizes of the loops m is over, where known (a kernel's), which may make more maps
// affine; split: where index is null at those loops, a loop whose split into [n / q, q] makes it
// affine (a kernel then runs that loop as two: group norm's channels as groups x channels).
export interface Movement<P = Params> extends Common<P> {
  kind: "movement";
  view: (v: View, p: P) => View | null;
  index: (m: IndexMap, p: P, x: Shape, out: Shape, loops?: Shape) => IndexMap | null;
  split?: (
    m: IndexMap,
    p: P,
    x: Shape,
    out: Shape,
    loops: Shape,
  ) => { loop: number; factors: [number, number] } | null;
}
// An op that needs a kernel of its own (matmul today; conv, pooling, gather later): each backend
// has an emitter for it. operands "strided": each operand is read through a strided view of a
// buffer (transposed or sliced operands need no copy). epilogue: elementwise ops consuming the
// result may run on each result element inside the kernel (bias add, relu) instead of a pass.
export interface KernelDef<P = Params> extends Common<P> {
  kind: "kernel";
  operands: "strided";
  epilogue: boolean;
}
// A read at a position an operand computes: out[..., i, ...] = x[..., index[..., i, ...], ...]
// along one dim of x. The index operand fuses like an elementwise operand; x is read from a
// buffer, and an index out of range raises the op's error (also inside generated kernels).
export interface GatherDef<P = Params> extends Common<P> {
  kind: "gather";
  along: (p: P) => { dim: number; error: IndexError };
}
// A scan along one dim (cumsum and friends): out[..., j, ...] = combine over x[..., 0..j, ...],
// from `init`. It runs as its own kernel (sequential along the dim); consumers of its result may
// run on each element inside it (the epilogue), as after a kernel op.
export interface ScanDef<P = Params> extends Common<P> {
  kind: "scan";
  combine: (acc: Scalar, x: Scalar) => Scalar;
  init: number;
  along: (p: P) => number;
}

// The errors an out-of-range index raises, by id (generated code passes the id, a number).
export const indexErrors = [
  (i: number, n: number, dim: number) =>
    `index ${i} is out of bounds for dimension ${dim} with size ${n}`,
  (i: number) => `Target ${i} is out of bounds.`,
  () => "index out of range in self",
  (i: number, n: number) =>
    `out of range: tried to access index ${i} on a tensor of ${n} elements.`,
  (i: number) =>
    i < 0 ? "Class values must be non-negative." : "Class values must be smaller than num_classes.",
] as const;
export const IndexError = { gather: 0, target: 1, select: 2, take: 3, oneHot: 4 } as const;
export type IndexError = (typeof IndexError)[keyof typeof IndexError];

export type OpDef<P = Params> =
  | Elementwise<P>
  | Reduce<P>
  | Movement<P>
  | KernelDef<P>
  | GatherDef<P>
  | ScanDef<P>;

// Ops that run as a kernel of their own, whose result elements may run an elementwise epilogue.
export const ownKernel = (d: OpDef): d is KernelDef | ScanDef =>
  d.kind === "kernel" || d.kind === "scan";
export const allowsEpilogue = (d: KernelDef | ScanDef) => d.kind === "scan" || d.epilogue;

export const floatOf = (d: DType): DType => (isFloat(d) ? d : "float32");
export const broadcastAll = (ins: Operand[]) =>
  ins.reduce<number[]>((a, x) => broadcastShapes(a, x.shape), []);
// PyTorch's result_type: tensors with dims, then 0-d tensors, then wrapped numbers (a wrapped float
// is float32); a later tier only counts when it is of a higher category (bool < integer < float),
// so float32 + 0-d float64 is float32, int + 2.5 is float32 and bool + 1 is int.
// (module-level helpers, not closures: this runs for every eager op)
const TIERS = [
  (x: Operand) => !x.wrapped && x.shape.length > 0,
  (x: Operand) => !x.wrapped && x.shape.length === 0,
  (x: Operand) => !!x.wrapped,
];
function tierDtype(ins: Operand[], keep: (x: Operand) => boolean): DType | null {
  let d: DType | null = null;
  for (const x of ins) if (keep(x)) d = d ? promote(d, x.dtype) : x.dtype;
  return d;
}
const combineTiers = (hi: DType | null, lo: DType | null): DType | null =>
  !hi ? lo : !lo || isFloat(hi) ? hi : hi === "bool" || isFloat(lo) ? promote(hi, lo) : hi;
export const promoteAll = (ins: Operand[]): DType =>
  combineTiers(
    tierDtype(ins, TIERS[0]),
    combineTiers(tierDtype(ins, TIERS[1]), tierDtype(ins, TIERS[2])),
  )!;

// Entries written out in full, typed by their params (so the table can read them back).
export const elementwise = <P>(d: Omit<Elementwise<P>, "kind">): Elementwise<P> => ({
  kind: "elementwise",
  ...d,
});
export const kernel = <P>(d: Omit<KernelDef<P>, "kind">): KernelDef<P> => ({
  kind: "kernel",
  ...d,
});
export const costly = <P>(d: Elementwise<P>): Elementwise<P> => ({ ...d, costly: true });
export function unary(
  grad: string,
  f: (x: Scalar) => Scalar,
  vjp: Vjp<NoParams>,
  dtype: "float" | "same" = "float",
): Elementwise<NoParams> {
  return {
    kind: "elementwise",
    grad,
    scalar: ([x]) => f(x),
    vjp,
    shape: ([x]) => [...x.shape],
    dtype: ([x]) => (dtype === "float" ? floatOf(x.dtype) : x.dtype),
  };
}
export function binary(
  grad: string | ((ins: Operand[]) => string),
  f: (a: Scalar, b: Scalar) => Scalar,
  vjp: Vjp<NoParams> | null,
  dtype: "promote" | "float" | "bool" = "promote",
): Elementwise<NoParams> {
  return {
    kind: "elementwise",
    grad,
    scalar: ([a, b]) => f(a, b),
    vjp,
    shape: broadcastAll,
    dtype: (ins) =>
      dtype === "bool" ? "bool" : dtype === "float" ? floatOf(promoteAll(ins)) : promoteAll(ins),
  };
}
export const compare = (f: (a: Scalar, b: Scalar) => Scalar) => binary("", f, null, "bool");
export function reduce(
  grad: string | ((ins: Operand[]) => string),
  combine: Reduce["combine"],
  init: number,
  vjp: Vjp<ReduceParams>,
): Reduce {
  return {
    kind: "reduce",
    grad,
    combine,
    init,
    vjp,
    shape: ([x], p) => reducedShape(x.shape, p.dims, p.keepdim),
    dtype: ([x]) => x.dtype,
  };
}
export function movement<P>(
  grad: string,
  shape: Common<P>["shape"],
  view: Movement<P>["view"],
  index: Movement<P>["index"],
  vjp: Vjp<P> | null,
  split?: Movement<P>["split"],
): Movement<P> {
  const def: Movement<P> = {
    kind: "movement",
    grad,
    shape,
    view,
    index,
    vjp,
    dtype: ([x]) => x.dtype,
  };
  if (split) def.split = split;
  return def;
}

export const shapeOf = <T extends Differentiable<T>, P>(
  ctx: VjpContext<T, P>,
  i: number,
): number[] => [...(ctx.shapes?.[i] ?? ctx.ins[i].shape)];
