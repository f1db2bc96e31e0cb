// Movement primitives: a strided view where strides can express the result, and an index map
// (with a mask for pad) that kernels read their operand through.
import { broadcastMap, reshapeSplit, throughPad, throughReshape } from "../index-map";
import { movement, type NoParams, type OpDef, shapeOf } from "../op-def";
import { reshapeStrides } from "../shape";

const inversePerm = (perm: number[]) => perm.map((_, i) => perm.indexOf(i));

export const movementOps = {
  reshape: movement<{ shape: number[] }>(
    "ViewBackward0",
    (_, p) => [...p.shape],
    (v, p) => {
      const s = reshapeStrides(v.shape, v.strides, p.shape);
      return s && { shape: [...p.shape], strides: s, offset: v.offset };
    },
    (m, _, x, out, loops) => throughReshape(x, out, m, loops),
    (g, ctx) => [g.reshape(shapeOf(ctx, 0))],
    (m, _, x, out, loops) => reshapeSplit(x, out, m, loops),
  ),
  permute: movement<{ perm: number[] }>(
    "PermuteBackward0",
    ([x], p) => p.perm.map((d) => x.shape[d]),
    (v, p) => ({
      shape: p.perm.map((d) => v.shape[d]),
      strides: p.perm.map((d) => v.strides[d]),
      offset: v.offset,
    }),
    (m, p) => {
      const rows: number[][] = [],
        off: number[] = [];
      p.perm.forEach((d, i) => {
        rows[d] = m.rows[i];
        off[d] = m.off[i];
      });
      return { rows, off, mask: m.mask };
    },
    (g, { params }) => [g.permute(inversePerm(params.perm))],
  ),
  // expand's gradient is the identity: summing back to the operand's shape happens for every op.
  expand: movement<{ shape: number[] }>(
    "ExpandBackward0",
    (_, p) => [...p.shape],
    (v, p) => {
      const lead = p.shape.length - v.shape.length;
      return {
        shape: [...p.shape],
        strides: p.shape.map((n, d) =>
          d < lead || (v.shape[d - lead] === 1 && n !== 1) ? 0 : v.strides[d - lead],
        ),
        offset: v.offset,
      };
    },
    (m, _, x, out) => broadcastMap(m, x, out),
    (g) => [g],
  ),
  shrink: movement<{ starts: number[]; ends: number[] }>(
    "SliceBackward0",
    (_, p) => p.starts.map((s, d) => p.ends[d] - s),
    (v, p) => ({
      shape: p.starts.map((s, d) => p.ends[d] - s),
      strides: [...v.strides],
      offset: v.offset + p.starts.reduce((o, s, d) => o + s * v.strides[d], 0),
    }),
    (m, p) => ({ rows: m.rows, off: m.off.map((o, d) => o + p.starts[d]), mask: m.mask }),
    (g, ctx) => [
      g.pad(
        ctx.params.starts,
        shapeOf(ctx, 0).map((n, d) => n - ctx.params.ends[d]),
      ),
    ],
  ),
  detach: movement<NoParams>(
    "",
    ([x]) => [...x.shape],
    (v) => v,
    (m) => m,
    null,
  ),
  // pad with zeros: no strided view (eager copies through the index map); in kernels a masked
  // index map, so pad, cat and slicing compositions fuse into their consumers
  pad: movement<{ before: number[]; after: number[] }>(
    "ConstantPadNdBackward0",
    ([x], p) => x.shape.map((n, d) => p.before[d] + n + p.after[d]),
    () => null,
    (m, p, x) => throughPad(m, p.before, p.after, x),
    (g, ctx) => [
      g.shrink(
        ctx.params.before,
        ctx.params.before.map((b, d) => b + shapeOf(ctx, 0)[d]),
      ),
    ],
  ),
  // flip: reverse the listed dims. No strided view (strides are non-negative here), so eager copies
  // through the index map; in kernels index n-1-i, so a flip fuses into its consumer.
  flip: movement<{ dims: number[] }>(
    "FlipBackward0",
    ([x]) => [...x.shape],
    () => null,
    (m, p, x) => ({
      rows: m.rows.map((r, d) => (p.dims.includes(d) ? r.map((c) => -c) : r)),
      off: m.off.map((o, d) => (p.dims.includes(d) ? x[d] - 1 - o : o)),
      mask: m.mask,
    }),
    (g, { params }) => [g.flip(params.dims)],
  ),
} satisfies Record<string, OpDef<never>>;
