// col2im's library routine: out [..., H, W] = 0, then every element of x [..., kh, kw, oh, ow]
// added at (a*sh + i*dh, b*sw + j*dw) of its plane (the adjoint of the windows view).
import type { Strided } from "../backend";

export function col2im(
  out: Strided,
  x: Strided,
  kh: number,
  kw: number,
  dh: number,
  dw: number,
  sh: number,
  sw: number,
): void {
  const o = out.storage!,
    xs = x.storage!;
  const r = out.shape.length,
    lead = out.shape.slice(0, r - 2);
  const [H, W] = out.shape.slice(r - 2),
    [oh, ow] = x.shape.slice(r + 2 - 2);
  const [oH, oW] = out.strides.slice(r - 2),
    [xi, xj, xa, xb] = x.strides.slice(r - 2);
  const planes = lead.reduce((a, b) => a * b, 1),
    pos = new Array<number>(lead.length).fill(0);
  for (let p = 0; p < planes; p++) {
    let to = out.offset,
      from = x.offset;
    lead.forEach((_, d) => {
      to += pos[d] * out.strides[d];
      from += pos[d] * x.strides[d];
    });
    for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) o[to + h * oH + w * oW] = 0;
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++)
        for (let a = 0; a < oh; a++)
          for (let b = 0; b < ow; b++)
            o[to + (a * sh + i * dh) * oH + (b * sw + j * dw) * oW] +=
              xs[from + i * xi + j * xj + a * xa + b * xb];
    for (let d = lead.length - 1; d >= 0 && ++pos[d] === lead[d]; d--) pos[d] = 0;
  }
}
