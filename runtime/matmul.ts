// Eager matmul: out[..., m, n] = a[..., m, k] @ b[..., k, n], batch dims already broadcast into the
// operands' strides. Rows accumulate in float64 scratch, then round once into `out`.
import type { Strided } from "./eager";

export function matmul(a: Strided, b: Strided, out: Strided): void {
  const r = out.shape.length, m = out.shape[r - 2], n = out.shape[r - 1], k = a.shape[r - 1];
  const [am, ak] = a.strides.slice(-2), [bk, bn] = b.strides.slice(-2);
  const batch = out.shape.slice(0, -2), row = new Float64Array(n);
  const A = a.storage!, B = b.storage!, O = out.storage!;
  const count = batch.reduce((x, y) => x * y, 1);
  for (let t = 0; t < count; t++) {
    let aOff = a.offset, bOff = b.offset, rest = t;
    for (let d = batch.length - 1; d >= 0; d--) {
      const i = rest % batch[d]; rest = (rest - i) / batch[d];
      aOff += i * a.strides[d]; bOff += i * b.strides[d];
    }
    const oOff = out.offset + t * m * n;
    for (let i = 0; i < m; i++) {
      row.fill(0);
      for (let p = 0; p < k; p++) {
        const av = A[aOff + i * am + p * ak], bRow = bOff + p * bk;
        for (let j = 0; j < n; j++) row[j] += av * B[bRow + j * bn];
      }
      for (let j = 0; j < n; j++) O[oOff + i * n + j] = row[j];
    }
  }
}
