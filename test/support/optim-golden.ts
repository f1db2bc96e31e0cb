// test/golden/optim.json (written by test/golden/make_optim_golden.py from PyTorch 1.13): its types,
// tensors made from its specs, and a closeness check that reports the first bad elements.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { type DType, type Tensor, tensor } from "../../index";

export interface Spec {
  shape: number[];
  dtype: DType;
  data: number[];
}
export interface OptimRun {
  name: string;
  kind: string;
  dtype: "float32" | "float64";
  options: Record<string, unknown>;
  groups: ({ params: number[] } & Record<string, unknown>)[] | null;
  initial: Spec[];
  steps: { grads: (Spec | null)[]; lr: number[] | null; params: Spec[] }[];
  stateDict: {
    state: Record<string, Record<string, Spec | number | null>>;
    paramGroups: Record<string, unknown>[];
  };
}
export interface SchedulerRun {
  name: string;
  kind: string;
  optimizer: "SGD" | "Adam";
  options: Record<string, unknown>;
  lrs: number[][];
  momenta: number[][] | null;
  lastEpoch: number;
}
export interface PlateauRun {
  name: string;
  options: Record<string, unknown>;
  metrics: number[];
  lrs: number[][];
}
export interface ClipCase {
  fn: "clipGradNorm_" | "clipGradValue_";
  dtype: DType;
  maxNorm?: number;
  normType?: number | "inf";
  clipValue?: number;
  grads: Spec[];
  total?: Spec;
  clipped: Spec[];
}
export const golden: {
  optimizers: OptimRun[];
  schedulers: SchedulerRun[];
  plateau: PlateauRun[];
  clip: ClipCase[];
  errors: { name: string; error: string }[];
} = JSON.parse(readFileSync(join(import.meta.dirname, "../golden/optim.json"), "utf8"));

/** PyTorch's first error line for a named failing call of the fixtures. */
export const goldenError = (name: string): string => {
  const e = golden.errors.find((x) => x.name === name);
  if (!e) throw new Error(`no golden error named ${name}`);
  return e.error;
};

export const make = (s: Spec, requiresGrad = false): Tensor =>
  tensor(s.data, { shape: s.shape, dtype: s.dtype, requiresGrad });

/** |a - b| <= atol + rtol |b| elementwise, same shape and dtype; reports the first 5 bad elements. */
export function expectClose(t: Tensor, want: Spec, rtol: number, atol: number): void {
  expect(t.shape).toEqual(want.shape);
  expect(t.dtype).toEqual(want.dtype);
  const got = t.values();
  const bad = got
    .map((v, i) => [i, v, want.data[i]] as const)
    .filter(([, v, w]) => !(Math.abs(v - w) <= atol + rtol * Math.abs(w)));
  expect(bad.slice(0, 5)).toEqual([]);
}
