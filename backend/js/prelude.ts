// The helpers generated kernels call, chosen by measurement: every kernel is instantiated with
// them in scope (as parameters of the function that creates it), so V8 inlines them into the loop.
import { indexErrors } from "../../ir/ops";
import { pack } from "../pack";
import { col2im } from "./col2im";
import { concat } from "./concat";
import { convolve } from "./conv";
import { copyFloats } from "./copy";
import { erf, erfc, erfinv } from "./erf";
import { gemmScratch, panels, tiles } from "./gemm";
import { pool } from "./pool";
import { roundEven } from "./round";
import { scatter, scatterAdd, scatterReduce } from "./scatter";
import { argsortLines } from "./sort";
import { tanhf } from "./tanhf";

// i if 0 <= i < n, else the op's error (ir's indexErrors): bounds checks inside kernels
function checkIndex(i: number, n: number, dim: number, error: number): number {
  if (i >= 0 && i < n) return i;
  throw new Error(indexErrors[error](i, n, dim));
}

const lib = {
  tanhf,
  copyFloats,
  erf,
  erfc,
  erfinv,
  roundEven,
  pack,
  panels,
  gemmScratch, // a value, not a function: this thread's packing scratch
  tiles,
  checkIndex,
  scatterAdd,
  scatter,
  scatterReduce,
  argsortLines,
  concat,
  col2im,
  convolve,
  pool,
};
const names = Object.keys(lib),
  impls = Object.values(lib);
export const helperNames: readonly string[] = names;

// Whether this page may create functions from source: a Content-Security-Policy without
// 'unsafe-eval' refuses `new Function` (then plans are interpreted: interpret.ts). Asked once.
let allowed: boolean | undefined;
// (tests turn generation off to run the interpreted path in Node)
export const refuseCodegenForTests = () => {
  allowed = false;
};
export function codegenAllowed(): boolean {
  if (allowed === undefined) {
    try {
      allowed = new Function("return true")() === true;
    } catch {
      allowed = false;
    }
  }
  return allowed;
}

// Creates the function named `name` defined by the generated `source`, with the helpers in scope.
// Each gets a unique first line: V8 shares type feedback between functions made from identical
// source text, which would make kernels for different array types polymorphic (measured 2x slower).
// `extra`: more helpers in scope (another backend's routines the kernel calls, e.g. a Wasm GEMM).
let made = 0;
export function instantiate<F>(
  source: string,
  name: string,
  extra: Record<string, unknown> = {},
): F {
  if (!/^[A-Za-z_$][\w$]*$/.test(name))
    throw new Error("internal: a kernel name must be an identifier");
  return new Function(
    ...names,
    ...Object.keys(extra),
    `// instance ${++made}\n${source}\nreturn ${name};`,
  )(...impls, ...Object.values(extra)) as F;
}
