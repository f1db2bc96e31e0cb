// Scans along one dim: a combine formula and its identity, like a reduction's, kept at every
// position. The backend runs them as one sequential kernel per line.
import type { OpDef, ScanDef } from "../op-def";
import { S } from "../scalar";

export interface ScanParams {
  dim: number; // normalized
}

export const scanOps = {
  // d/dx cumsum(x) = the reversed cumulative sum of g: sum(g) - cumsum(g) + g along the dim
  cumsum: {
    kind: "scan",
    grad: "CumsumBackward0",
    combine: S.add,
    init: 0,
    along: (p) => p.dim,
    shape: ([x]) => [...x.shape],
    dtype: ([x]) => (x.dtype === "bool" ? "int32" : x.dtype),
    vjp: (g, { params: { dim } }) => [g.sum([dim], true).sub(g.cumsum(dim)).add(g)],
  } satisfies ScanDef<ScanParams> as ScanDef<ScanParams>,
} satisfies Record<string, OpDef<never>>;
