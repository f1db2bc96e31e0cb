// The kernel helpers a worker has: the prelude's functions that need no module state but the few
// names declared in `preamble` (gemm.ts's panel width, packing scratch and packRows, declared again here for
// the worker's own copy), shipped as their source text and created in one scope. A kernel that
// calls any other helper runs on the calling thread only (parallel.ts checks its source); a test
// rebuilds them from this text and compares them with the originals.
import { edges, PANEL, packPanels, tiles } from "../js/gemm";
import { roundEven } from "../js/round";
import { tanhf } from "../js/tanhf";
import { pack } from "../pack";

// biome-ignore lint/complexity/noBannedTypes: functions of any signature, shipped as text
const portable: Record<string, Function> = { tanhf, roundEven, packPanels, pack, tiles, edges };
const preamble = `const MR = ${PANEL}, NR = ${PANEL};
const scratch = [new Float64Array(0), new Float64Array(0)];
const packRows = ${pack.name};`;

export const portableHelpers = new Set(Object.keys(portable));
// names: what kernels call them; source: their declarations, then `return [...]` of them under the
// names they were declared with (a bundler may have renamed one, e.g. to pack2: its callers' text
// says pack2 as well)
export const helperSource = () => {
  const fns = Object.values(portable);
  return {
    names: Object.keys(portable),
    source: [
      preamble,
      ...fns.map((f) => f.toString()),
      `return [${fns.map((f) => f.name).join(", ")}];`,
    ].join("\n"),
  };
};
// the helpers made from that text, as a worker makes them
export const rebuildHelpers = (h: ReturnType<typeof helperSource>): unknown[] =>
  new Function(h.source)();
