// The data movement of the convolutions' GEMMs (conv.ts): one row of the patch matrix packed
// straight into GEMM panels (im2col without the intermediate matrix), and the scatter-add of a
// transposed convolution's columns into its output (col2im). Both go through a per-tap table of
// spatial offsets (-1 outside), so the inner loops are a table read, a test and a copy: in
// JavaScript that beat walking runs with bounds computed per row (2.0 vs 2.7 ns a value for
// LeNet's first layer, 2.1 vs 5.2 for the digits CNN's 2x2 second one).
import type { Panels } from "./conv";
import { three } from "./spatial";

// For tap t = (kd, kh, kw) and position q = (od, oh, ow) of an output grid `out`: the offset
// id * xd + ih * xh + iw * xw of the input position i = o * s + k * d - p along each spatial dim
// (1-3 of them, walked as three: spatial.ts), or -1 outside the input `size`, at [t * Q + q]. A
// transposed convolution's col2im uses the same table with the roles of input and output swapped.
export function tapTable(
  kernel: readonly number[],
  out: readonly number[],
  size: readonly number[],
  strides: readonly number[],
  stride: readonly number[],
  padding: readonly number[],
  dilation: readonly number[],
): Int32Array {
  const [KD, KH, KW] = three(kernel, 1),
    [OD, OH, OW] = three(out, 1),
    [D, H, W] = three(size, 1),
    [xd, xh, xw] = three(strides, 0),
    [sd, sh, sw] = three(stride, 1),
    [pd, ph, pw] = three(padding, 0),
    [dd, dh, dw] = three(dilation, 1);
  const t = new Int32Array(KD * KH * KW * OD * OH * OW);
  // the input position along one dim that output o reads through tap k, or -1 outside
  const at = (o: number, k: number, s: number, p: number, d: number, n: number) => {
    const i = o * s + k * d - p;
    return i >= 0 && i < n ? i : -1;
  };
  let i = 0;
  for (let kd = 0; kd < KD; kd++)
    for (let kh = 0; kh < KH; kh++)
      for (let kw = 0; kw < KW; kw++)
        for (let od = 0; od < OD; od++) {
          const id = at(od, kd, sd, pd, dd, D);
          for (let oh = 0; oh < OH; oh++) {
            const ih = at(oh, kh, sh, ph, dh, H);
            for (let ow = 0; ow < OW; ow++, i++) {
              const iw = at(ow, kw, sw, pw, dw, W);
              t[i] = id < 0 || ih < 0 || iw < 0 ? -1 : id * xd + ih * xh + iw * xw;
            }
          }
        }
  return t;
}

// One patch row: for (n, q) in row-major order over [N, Q], the value src[base + n * xn +
// tab[t0 + q]] (0 where that is -1). The j-th value lands at dst[at + floor(j / per) * big +
// (j % per) * small]: `per` = the panel width for a row of B's panels (k = this row), or 0 (never
// wraps) for a row of A's panels walked along k.
export function gatherRow(
  src: ArrayLike<number>,
  base: number,
  xn: number,
  N: number,
  tab: Int32Array,
  t0: number,
  Q: number,
  dst: Panels,
  at: number,
  per: number,
  small: number,
  big: number,
): void {
  const wrap = per * small;
  let pb = at,
    jj = 0;
  for (let n = 0, b = base; n < N; n++, b += xn) {
    for (let q = t0, end = t0 + Q; q < end; q++) {
      const o = tab[q];
      dst[pb + jj] = o < 0 ? 0 : src[b + o];
      jj += small;
      if (jj === wrap) {
        jj = 0;
        pb += big;
      }
    }
  }
}

// A block of `rows` patch rows in one call: row r is tap r % T of channel r / T (source base +
// floor(r / T) * xc, table from t0 + (r % T) * Q), gathered as gatherRow to dst at +
// floor(r / w) * panelStep + (r % w) * rowStep. `align` (per > 0): each sample's values start a
// panel of their own (sample n at column n * ceil(Q / per) * per), so a GEMM can take one sample's
// columns alone and store its product in place.
export function gatherBlock(
  src: ArrayLike<number>,
  base: number,
  xn: number,
  N: number,
  tab: Int32Array,
  t0: number,
  Q: number,
  dst: Panels,
  at: number,
  per: number,
  small: number,
  big: number,
  rows: number,
  T: number,
  xc: number,
  w: number,
  rowStep: number,
  panelStep: number,
  align: boolean,
): void {
  const sample = align && per > 0 ? Math.ceil(Q / per) * big : 0;
  for (let r = 0; r < rows; r++) {
    const c = Math.floor(r / T),
      from = base + c * xc,
      t = t0 + (r - c * T) * Q,
      to = at + Math.floor(r / w) * panelStep + (r % w) * rowStep;
    if (!sample) gatherRow(src, from, xn, N, tab, t, Q, dst, to, per, small, big);
    else
      for (let n = 0; n < N; n++)
        gatherRow(src, from + n * xn, xn, 1, tab, t, Q, dst, to + n * sample, per, small, big);
  }
}

// col2im for one row of the column matrix (one output channel's tap): out[base + n * on +
// tab[t0 + i]] += cols[c + n * I + i] for the I input positions i of each of N samples, where the
// table is not -1.
export function scatterRow(
  cols: Panels,
  c: number,
  N: number,
  I: number,
  tab: Int32Array,
  t0: number,
  out: Panels,
  base: number,
  on: number,
): void {
  for (let n = 0, s = c, b = base; n < N; n++, b += on) {
    for (let i = t0, end = t0 + I; i < end; i++, s++) {
      const o = tab[i];
      if (o >= 0) out[b + o] += cols[s];
    }
  }
}

// col2im for a block of `rows` rows: row m is tap m % T of output channel m / T (columns from c +
// m * colStep, table from t0 + (m % T) * I, output base + floor(m / T) * oStep), as scatterRow.
export function scatterBlock(
  cols: Panels,
  c: number,
  N: number,
  I: number,
  tab: Int32Array,
  t0: number,
  out: Panels,
  base: number,
  on: number,
  rows: number,
  T: number,
  colStep: number,
  oStep: number,
): void {
  for (let m = 0; m < rows; m++) {
    const o = Math.floor(m / T);
    scatterRow(cols, c + m * colStep, N, I, tab, t0 + (m - o * T) * I, out, base + o * oStep, on);
  }
}

// Blocks of Q values moved within C: for o < rows, n < N, C[from + o * srs + n * ssn + q] to
// C[to + o * drs + n * dsn + q] (a conv's product from [o, (n, q)] order to its output's [n, o, q];
// the two regions do not overlap).
export function copyBlocks(
  C: Panels,
  from: number,
  srs: number,
  ssn: number,
  to: number,
  drs: number,
  dsn: number,
  rows: number,
  N: number,
  Q: number,
): void {
  for (let o = 0; o < rows; o++)
    for (let n = 0; n < N; n++) {
      const f = from + o * srs + n * ssn,
        t = to + o * drs + n * dsn;
      for (let q = 0; q < Q; q++) C[t + q] = C[f + q];
    }
}

// Where the loops above run: here, or (the Wasm GEMM's) in WebAssembly, on copies of the source
// and the tables staged into its memory. `source` and `table` put src[lo, hi) and a table (rows
// of Q entries) at dst[at] when staged and return the shift to add to indices into them (0 here:
// read in place); `tableSize`: the floats a staged table takes.
export interface Movement {
  staged: boolean;
  source(dst: Panels, at: number, src: ArrayLike<number>, lo: number, hi: number): number;
  table(dst: Panels, at: number, tab: Int32Array, Q: number): number;
  tableSize(tab: Int32Array, Q: number): number;
  gather: typeof gatherBlock;
  scatter: typeof scatterBlock;
  blocks: typeof copyBlocks;
}
export const jsMovement: Movement = {
  staged: false,
  source: () => 0,
  table: () => 0,
  tableSize: () => 0,
  gather: gatherBlock,
  scatter: scatterBlock,
  blocks: copyBlocks,
};
