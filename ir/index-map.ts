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

// reshape: the map of the source x (shape xs) given the map of v = reshape(x) (shape vs). Dims
// pair up in blocks (consecutive dims of x and of v with equal products, size 1 ignored). A block
// with one dim of x is a merge: x's index is v's dims' linear index. A block that splits v's dims
// into several of x is affine only where the linear index is a sum of loop terms that each stay
// within one of x's digits (no carry between digits): that needs the loops' sizes (`loops`), and
// otherwise gives null (then `reshapeSplit` says which loop to split).
export function throughReshape(
  xs: readonly number[],
  vs: readonly number[],
  m: IndexMap,
  loops?: readonly number[],
): IndexMap | null {
  const r = reshapeDigits(xs, vs, m, loops);
  return r && "rows" in r ? r : null;
}

// Where throughReshape is null for a split block: a loop whose term spans two of x's digits, and
// its split into [n / q, q] (index q * outer + inner) after which it does not; else null.
export function reshapeSplit(
  xs: readonly number[],
  vs: readonly number[],
  m: IndexMap,
  loops: readonly number[],
): { loop: number; factors: [number, number] } | null {
  const r = reshapeDigits(xs, vs, m, loops);
  return r && "loop" in r ? r : null;
}

function reshapeDigits(
  xs: readonly number[],
  vs: readonly number[],
  m: IndexMap,
  loops?: readonly number[],
): IndexMap | { loop: number; factors: [number, number] } | null {
  const width = m.rows[0]?.length ?? 0,
    zero = () => new Array<number>(width).fill(0);
  const rows: number[][] = xs.map(zero),
    off = xs.map(() => 0);
  let i = 0,
    j = 0;
  const skip = () => {
    while (i < xs.length && xs[i] === 1) i++;
    while (j < vs.length && vs[j] === 1) j++;
  };
  for (skip(); i < xs.length || j < vs.length; skip()) {
    // the next block: dims of x and of v until their products meet
    const xd: number[] = [],
      vd: number[] = [];
    let px = 1,
      pv = 1;
    do {
      if (px <= pv && i < xs.length) {
        if (xs[i] !== 1) {
          xd.push(i);
          px *= xs[i];
        }
        i++;
      } else if (j < vs.length) {
        if (vs[j] !== 1) {
          vd.push(j);
          pv *= vs[j];
        }
        j++;
      } else return null;
    } while (px !== pv || xd.length === 0 || vd.length === 0);
    // the block's linear index over the loops
    const lin = zero();
    let o = 0;
    const vstrides = contiguousStrides(vd.map((d) => vs[d]));
    vd.forEach((d, k) => {
      m.rows[d].forEach((c, l) => {
        lin[l] += c * vstrides[k];
      });
      o += m.off[d] * vstrides[k];
    });
    if (xd.length === 1) {
      rows[xd[0]] = lin;
      off[xd[0]] = o;
      continue;
    }
    if (!loops || m.mask.length || o < 0) return null;
    // digits: x's dims in the block, place values P
    const place = contiguousStrides(xd.map((d) => xs[d]));
    const top = xd.map((d, k) => Math.floor(o / place[k]) % xs[d]); // the largest digit values
    const terms: { l: number; b: number; k: number }[] = [];
    for (let l = 0; l < width; l++) {
      const c = lin[l];
      if (c === 0 || loops[l] === 1) continue;
      if (c < 0) return null;
      const k = place.findIndex((p) => c % p === 0); // the highest digit the term is aligned to
      terms.push({ l, b: c / place[k], k });
      top[k] += (c / place[k]) * (loops[l] - 1);
    }
    const over = top.findIndex((t, k) => t >= xs[xd[k]]);
    if (over >= 0) {
      // split the largest term of the overflowing digit at the digit's edge
      const t = terms.filter((t) => t.k === over).sort((a, b) => b.b - a.b)[0];
      const q = t && xs[xd[over]] / t.b;
      if (!t || !Number.isInteger(q) || q <= 1 || q >= loops[t.l] || loops[t.l] % q !== 0)
        return null;
      return { loop: t.l, factors: [loops[t.l] / q, q] };
    }
    for (const t of terms) rows[xd[t.k]][t.l] = t.b;
    xd.forEach((d, k) => {
      off[d] = Math.floor(o / place[k]) % xs[d];
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
