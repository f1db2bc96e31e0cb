// runtime/random.ts against torch 1.13 (test/golden/make_random_golden.py -> golden/random.json).
// float32 results and all uniforms must be bit-identical. float64 randn goes through libm
// log/sin/cos, where V8 and glibc disagree in the last bits, so it is checked to a few ulps.
import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import { manualSeed, randnValues, randomUint32, randValues } from "../../runtime/random";
import golden from "../golden/random.json";

type Call =
  | { op: "reseed"; seed: number }
  | {
      op: "rand" | "randn" | "uint32";
      n: number;
      dtype: "float32" | "float64" | null;
      values?: number[];
      sha256?: string;
    };
interface Case {
  name: string;
  seed: number | null;
  calls: Call[];
}
const cases = golden.cases as Case[];

/** Max float64 ulp distance accepted for randn float64 (observed max over 1e6 values: 3). */
const F64_RANDN_ULPS = 4;

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);
/** Distance in units in the last place between two doubles of the same sign. */
function ulps(a: number, b: number): number {
  f64[0] = a;
  const ia = i64[0];
  f64[0] = b;
  return Math.abs(Number(ia - i64[0]));
}

const stats = { f64Values: 0, f64Inexact: 0, maxUlps: 0 };

function check(call: Exclude<Call, { op: "reseed" }>): void {
  const where = `${call.op}(${call.n}, ${call.dtype})`;
  if (call.op === "uint32") {
    // torch.randint(0, 2^32-1) = raw draw % (2^32-1)
    const got = Array.from({ length: call.n }, () => randomUint32() % 4294967295);
    expect(got, where).toEqual(call.values);
    return;
  }
  const dtype = call.dtype!;
  const got = call.op === "rand" ? randValues(call.n, dtype) : randnValues(call.n, dtype);
  expect(got).toBeInstanceOf(dtype === "float32" ? Float32Array : Float64Array);
  expect(got.length).toBe(call.n);
  if (call.sha256 !== undefined) {
    const digest = createHash("sha256")
      .update(new Uint8Array(got.buffer, got.byteOffset, got.byteLength))
      .digest("hex");
    expect(digest, where).toBe(call.sha256);
    return;
  }
  const want = call.values!;
  if (dtype === "float64" && call.op === "randn") {
    for (let i = 0; i < want.length; i++) {
      const d = ulps(got[i], want[i]);
      if (d > F64_RANDN_ULPS) expect(got[i], `${where}[${i}]`).toBe(want[i]);
      stats.f64Values++;
      if (d !== 0) stats.f64Inexact++;
      stats.maxUlps = Math.max(stats.maxUlps, d);
    }
    return;
  }
  // Bit-exact (Object.is also distinguishes -0 from +0).
  for (let i = 0; i < want.length; i++)
    if (!Object.is(got[i], want[i])) expect(got[i], `${where}[${i}]`).toBe(want[i]);
}

describe("random (torch 1.13 CPU generator)", () => {
  // Must run first: the module seeds itself with PyTorch's default seed on load.
  test.each(cases.filter((c) => c.seed === null).map((c) => [c.name, c] as const))("%s", (_, c) => {
    for (const call of c.calls) if (call.op !== "reseed") check(call);
  });

  test.each(cases.filter((c) => c.seed !== null).map((c) => [c.name, c] as const))("%s", (_, c) => {
    manualSeed(c.seed!);
    for (const call of c.calls) {
      if (call.op === "reseed") manualSeed(call.seed);
      else check(call);
    }
  });

  test("mt19937 reference value: 10000th draw for seed 5489 is 4123659995", () => {
    manualSeed(5489);
    for (let i = 0; i < 9999; i++) randomUint32();
    expect(randomUint32()).toBe(4123659995);
  });

  test("float64 randn: share of values not bit-identical to torch stays small", () => {
    expect(stats.f64Values).toBeGreaterThan(5000);
    // Observed ~6% (V8's fdlibm log/sin/cos vs glibc); a wrong algorithm would be far off.
    expect(stats.f64Inexact / stats.f64Values).toBeLessThan(0.12);
    expect(stats.maxUlps).toBeLessThanOrEqual(F64_RANDN_ULPS);
  });
});
