// Index maps: how a value's multi-index depends on a kernel's loop indices. Movement ops only
// rearrange these maps, which is how permute/expand/slice/reshape become index arithmetic
// inside kernels instead of copies.
import type { Value } from "../ir/graph";
import { type Movement, type OpName, ops, type View } from "../ir/ops";
import { contiguousStrides } from "../ir/shape";

// value index[d] = sum_j rows[d][j] * loop[j] + off[d]
export interface IndexMap {
  rows: number[][];
  off: number[];
}

export const identity = (rank: number, loops: number, first = 0): IndexMap => ({
  rows: [...Array(rank).keys()].map((d) => unit(loops, first + d)),
  off: new Array(rank).fill(0),
});
export const unit = (n: number, j: number) => {
  const r = new Array<number>(n).fill(0);
  r[j] = 1;
  return r;
};
export const mapKey = (m: IndexMap) =>
  `${m.rows.map((r) => r.join(",")).join(";")}+${m.off.join(",")}`;

// The same position as a flat index into a contiguous buffer of `shape` (a rank-1 map).
export function flatMap(m: IndexMap, shape: readonly number[]): IndexMap {
  const cs = contiguousStrides(shape),
    loops = m.rows[0]?.length ?? 0;
  const row = new Array<number>(loops).fill(0);
  m.rows.forEach((r, d) =>
    r.forEach((c, j) => {
      row[j] += c * cs[d];
    }),
  );
  return { rows: [row], off: [m.off.reduce((o, x, d) => o + x * cs[d], 0)] };
}

// The map of an operand broadcast into a result of shape `to` (expand, and elementwise inputs).
export function broadcastMap(
  m: IndexMap,
  from: readonly number[],
  to: readonly number[],
): IndexMap {
  const lead = to.length - from.length,
    loops = m.rows[0]?.length ?? 0;
  const zero = new Array<number>(loops).fill(0);
  return {
    rows: from.map((n, d) => (n === 1 && to[d + lead] !== 1 ? zero : m.rows[d + lead])),
    off: from.map((n, d) => (n === 1 && to[d + lead] !== 1 ? 0 : m.off[d + lead])),
  };
}

// The map of x, given the map of v = movement(x); null when it is not affine (a reshape that
// splits one of v's dims across several of x's), in which case x must be materialized.
export function throughMovement(v: Value, m: IndexMap): IndexMap | null {
  const x = v.inputs[0],
    p = v.params;
  switch (v.op) {
    case "permute": {
      const rows: number[][] = [],
        off: number[] = [];
      p.perm!.forEach((d, i) => {
        rows[d] = m.rows[i];
        off[d] = m.off[i];
      });
      return { rows, off };
    }
    case "expand":
      return broadcastMap(m, x.shape, v.shape);
    case "shrink":
      return { rows: m.rows, off: m.off.map((o, d) => o + p.starts![d]) };
    case "detach":
      return m;
    case "reshape":
      return throughReshape(x.shape, v.shape, m);
  }
  return null;
}

// x = reshape target's source: each x dim must be a merge of consecutive v dims (ignoring size 1).
function throughReshape(
  xs: readonly number[],
  vs: readonly number[],
  m: IndexMap,
): IndexMap | null {
  const loops = m.rows[0]?.length ?? 0,
    zero = () => new Array<number>(loops).fill(0);
  const rows: number[][] = xs.map(zero),
    off = xs.map(() => 0);
  let j = 0;
  for (let d = 0; d < xs.length; d++) {
    if (xs[d] === 1) continue;
    while (j < vs.length && vs[j] === 1) j++;
    // collect v dims whose product is xs[d]; x index = their linear index
    const group: number[] = [];
    let prod = 1;
    while (j < vs.length && prod < xs[d]) {
      if (vs[j] !== 1) {
        group.push(j);
        prod *= vs[j];
      }
      j++;
    }
    if (prod !== xs[d]) return null;
    const strides = contiguousStrides(group.map((g) => vs[g]));
    group.forEach((g, k) => {
      m.rows[g].forEach((c, l) => {
        rows[d][l] += c * strides[k];
      });
      off[d] += m.off[g] * strides[k];
    });
  }
  return { rows, off };
}

// x as a strided view of the value it moves (permute, expand, slice, viewable reshape chains).
export function operandView(x: Value): { base: Value; view: View } {
  const chain: Value[] = [];
  let base = x;
  while (
    base.op !== "input" &&
    base.op !== "const" &&
    ops[base.op].kind === "movement" &&
    base.inputs[0].op !== "const"
  ) {
    chain.unshift(base);
    base = base.inputs[0];
  }
  let view: View | null = {
    shape: [...base.shape],
    strides: contiguousStrides(base.shape),
    offset: 0,
  };
  for (const m of chain) view = view && (ops[m.op as OpName] as Movement).view(view, m.params);
  // a chain no strides can express (a reshape of a transpose): x itself gets a buffer
  return view
    ? { base, view }
    : { base: x, view: { shape: [...x.shape], strides: contiguousStrides(x.shape), offset: 0 } };
}
