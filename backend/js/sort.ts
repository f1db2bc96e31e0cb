// argsort's library routine: each line of x along dim sorted, its positions written as int32 into
// the output view. NaN sorts as the largest value; ties keep their original order (stable), as
// PyTorch's CPU sort does.
import { numel } from "../../ir/shape";
import type { Strided } from "../backend";

export function argsortLines(out: Strided, x: Strided, dim: number, descending: number): void {
  const n = x.shape[dim],
    xs = x.storage!,
    o = out.storage!;
  const lines = n === 0 ? 0 : numel(x.shape) / n;
  const rank = x.shape.length,
    pos = new Array<number>(rank).fill(0);
  const order = new Array<number>(n),
    vals = new Array<number>(n);
  const cmp = (i: number, j: number) => {
    const a = vals[i],
      b = vals[j];
    const na = Number.isNaN(a),
      nb = Number.isNaN(b);
    let c: number;
    if (na || nb) c = na === nb ? 0 : na ? 1 : -1;
    else c = a < b ? -1 : a > b ? 1 : 0;
    if (descending) c = -c;
    return c !== 0 ? c : i - j;
  };
  for (let line = 0; line < lines; line++) {
    let from = x.offset,
      to = out.offset;
    for (let d = 0; d < rank; d++)
      if (d !== dim) {
        from += pos[d] * x.strides[d];
        to += pos[d] * out.strides[d];
      }
    for (let i = 0; i < n; i++) {
      order[i] = i;
      vals[i] = Number(xs[from + i * x.strides[dim]]);
    }
    order.sort(cmp);
    for (let i = 0; i < n; i++) o[to + i * out.strides[dim]] = order[i];
    // the next line: row-major over the dims other than dim
    for (let d = rank - 1; d >= 0; d--) {
      if (d === dim) continue;
      if (++pos[d] < x.shape[d]) break;
      pos[d] = 0;
    }
  }
}
