// Index maps: how a value's multi-index depends on a kernel's loop indices. Movement ops rewrite
// these maps (each op's `index` rule in the op table), which is how permute, expand, slice,
// reshape and pad become index arithmetic inside kernels instead of copies. A map may carry a
// mask: bounds on the loop indices outside which the value is not read (pad's border, where the
// padded value is 0).
import { contiguousStrides } from "./shape";

// index[d] = sum_j rows[d][j] * loop[j] + off[d]; valid where every bound holds
export interface IndexMap {
  rows: number[][];
  off: number[];
  mask: Bound[];
}
// 0 <= sum_j row[j] * loop[j] + off < size
export interface Bound {
  row: number[];
  off: number;
  size: number;
}

export const unit = (n: number, j: number) => {
  const r = new Array<number>(n).fill(0);
  r[j] = 1;
  return r;
};
export const identity = (rank: number, loops: number, first = 0): IndexMap => ({
  rows: [...Array(rank).keys()].map((d) => unit(loops, first + d)),
  off: new Array(rank).fill(0),
  mask: [],
});
const boundKey = (b: Bound) => `${b.row.join(",")}+${b.off}<${b.size}`;
export const maskKey = (mask: Bound[]) => mask.map(boundKey).join("&");
export const mapKey = (m: IndexMap) =>
  `${m.rows.map((r) => r.join(",")).join(";")}+${m.off.join(",")}${m.mask.length ? `|${maskKey(m.mask)}` : ""}`;

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
  return { rows: [row], off: [m.off.reduce((o, x, d) => o + x * cs[d], 0)], mask: m.mask };
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
  const gone = (n: number, d: number) => n === 1 && to[d + lead] !== 1;
  return {
    rows: from.map((n, d) => (gone(n, d) ? zero : m.rows[d + lead])),
    off: from.map((n, d) => (gone(n, d) ? 0 : m.off[d + lead])),
    mask: m.mask,
  };
}

// reshape: the map of the source x (shape xs) given the map of v = reshape(x) (shape vs). Each of
// x's dims must be a merge of consecutive dims of v (ignoring size 1); otherwise null (not affine).
export function throughReshape(
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
  return { rows, off, mask: m.mask };
}

// pad: x's index is v's shifted back by `before`; where a dim grew, x is read only where that
// index is in range (elsewhere the padded value is 0).
export function throughPad(
  m: IndexMap,
  before: readonly number[],
  after: readonly number[],
  xs: readonly number[],
): IndexMap {
  const off = m.off.map((o, d) => o - before[d]);
  const mask = [...m.mask];
  m.rows.forEach((row, d) => {
    if (before[d] > 0 || after[d] > 0) mask.push({ row, off: off[d], size: xs[d] });
  });
  return { rows: m.rows, off, mask };
}
