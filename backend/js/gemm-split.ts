// Eager matmul split across threads by row panels: b is packed once (shared memory, gemm.ts), and
// each chunk of a's rows packs its own rows and computes its rows of out. Every output element is
// one dot product in k order whoever computes it, so the split never changes a bit.
import { type RangeArg, type RangeTask, runRanges } from "../threads/pool";
import type { TaskAccess } from "../threads/staging";
import { PANEL, type RowsRunner } from "./gemm";
import { CHUNK_WORK, MAC_UNITS, PARALLEL_MIN_WORK } from "./parallel";
import { codegenAllowed, instantiate } from "./prelude";

// Rows [lo, hi) of out = a @ b, b given as packed panels B. Source text, as generated kernels are:
// workers create it with their helpers (panels, pack, tiles: backend/threads/helpers.ts) in scope.
const source = `function gemmRows(chunk, lo, hi, a, aOff, ars, acs, B, O, oOff, ors, ocs, n, k) {
  const A = panels(gemmScratch, 0, hi - lo, k);
  pack(a, aOff + lo * ars, ars, acs, hi - lo, k, ${PANEL}, A);
  tiles(A, B, O, oOff + lo * ors, ors, ocs, hi - lo, n, k);
}`;
let task: RangeTask | undefined;
const gemmTask = () => {
  task ??= {
    key: "gemmRows",
    name: "gemmRows",
    source,
    run: instantiate(source, "gemmRows"),
    access: rowsWritten,
  };
  return task;
};

// out's rows, written whole when they are contiguous (threads/staging.ts); a and B are only read
function rowsWritten(args: RangeArg[]): TaskAccess | null {
  const [oOff, ors, ocs, n] = args.slice(6, 10) as number[];
  if (ocs !== 1 || ors !== n) return null;
  return { writes: [{ arg: 5, read: false, range: (lo, hi) => [oOff + lo * n, oOff + hi * n] }] };
}

export const rowsInParallel: RowsRunner = (a, aOff, ars, acs, B, O, oOff, ors, ocs, m, n, k) => {
  const work = m * n * k * MAC_UNITS;
  if (work < PARALLEL_MIN_WORK || !codegenAllowed()) return false;
  // whole panels per chunk, about CHUNK_WORK each
  const perRow = n * k * MAC_UNITS,
    grain = Math.max(PANEL, Math.ceil(CHUNK_WORK / perRow / PANEL) * PANEL);
  const edges: number[] = [];
  for (let i = 0; i < m; i += grain) edges.push(i);
  edges.push(m);
  if (edges.length < 3) return false;
  runRanges(gemmTask(), [a, aOff, ars, acs, B, O, oOff, ors, ocs, n, k], edges);
  return true;
};
