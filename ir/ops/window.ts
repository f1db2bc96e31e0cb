// Sliding windows over the last two dims (im2col without a copy) and their adjoint (col2im):
// windows is a movement op, a strided view of its operand, so F.unfold is a view plus one copy and
// fuses into its consumer; col2im sums each window element back where it came from (a kernel op),
// F.fold and the gradient of windows. Each is the other's gradient.
import type { IndexMap } from "../index-map";
import { kernel, movement, type OpDef } from "../op-def";

export interface WindowParams {
  kernel: number[]; // [kh, kw]
  dilation: number[];
  stride: number[];
  blocks: number[]; // [oh, ow]: the windows along each dim
  size: number[]; // [H, W]: windows' operand, col2im's result
}
export type Col2imParams = WindowParams;

// [..., H, W] -> [..., kh, kw, oh, ow]: out[..., i, j, a, b] = x[..., a*sh + i*dh, b*sw + j*dw]
const windowShape = (lead: readonly number[], p: WindowParams) => [
  ...lead,
  ...p.kernel,
  ...p.blocks,
];

export const windowOps = {
  windows: movement<WindowParams>(
    "UnfoldBackward0",
    ([x], p) => windowShape(x.shape.slice(0, -2), p),
    (v, p) => {
      const r = v.shape.length,
        [sh, sw] = v.strides.slice(r - 2);
      return {
        shape: windowShape(v.shape.slice(0, -2), p),
        strides: [
          ...v.strides.slice(0, -2),
          p.dilation[0] * sh,
          p.dilation[1] * sw,
          p.stride[0] * sh,
          p.stride[1] * sw,
        ],
        offset: v.offset,
      };
    },
    (m, p, x): IndexMap => {
      const lead = x.length - 2;
      const spatial = (k: 0 | 1) =>
        m.rows[lead + k].map((c, j) => c * p.dilation[k] + m.rows[lead + 2 + k][j] * p.stride[k]);
      const shift = (k: 0 | 1) =>
        m.off[lead + k] * p.dilation[k] + m.off[lead + 2 + k] * p.stride[k];
      return {
        rows: [...m.rows.slice(0, lead), spatial(0), spatial(1)],
        off: [...m.off.slice(0, lead), shift(0), shift(1)],
        mask: m.mask,
      };
    },
    (g, { params }) => [g.col2im(params)],
  ),
  // [..., kh, kw, oh, ow] -> [..., H, W]: each element added at the position windows read it from
  col2im: kernel<Col2imParams>({
    operands: "strided",
    epilogue: false,
    grad: "Col2ImBackward0",
    dtype: ([x]) => x.dtype,
    shape: ([x], p) => [...x.shape.slice(0, -4), ...p.size],
    vjp: (g, { params }) => [g.windows(params)],
  }),
} satisfies Record<string, OpDef<never>>;
