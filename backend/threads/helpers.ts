// The kernel helpers a worker has: the prelude's functions that are self-contained (no module
// state, no free names but globals), shipped as their own source text. A kernel that calls any
// other helper runs on the calling thread only (parallel.ts checks its source).
import { roundEven } from "../js/round";
import { tanhf } from "../js/tanhf";

const portable: Record<string, (...a: number[]) => number> = { tanhf, roundEven };

export const portableHelpers = new Set(Object.keys(portable));
export const helperSources = () =>
  Object.entries(portable).map(([name, f]) => ({ name, source: f.toString() }));
