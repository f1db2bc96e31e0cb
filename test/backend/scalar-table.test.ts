// The JS backend's scalar table (backend/js/scalar.ts) agrees with itself: for every named scalar
// op (ir/scalar.ts `arity`), the expression kernels are generated with (`render`, compiled with
// `new Function` as kernels are) and the direct evaluation constant folding uses (`evaluate`) give
// the same number, bit for bit (Object.is: -0 is not 0, NaN is NaN), on a few thousand inputs per
// op: NaN, +-0, +-Infinity, huge and tiny (subnormal) values, float32 limits, integers at the int32
// boundaries and random doubles of every magnitude, for float32 and float64 kernels. A rendered
// comparison gives a boolean where evaluate gives 1/0; a kernel stores it or computes with it as a
// number, so booleans are compared as Number(b). The op table's own formulas (each elementwise op,
// stored as its dtype stores it) are checked the same way.
import { describe, expect, it } from "vitest";
import { functionDecl, id, print } from "../../backend/js/estree";
import { instantiate } from "../../backend/js/prelude";
import { evaluate, render } from "../../backend/js/scalar";
import type { DType } from "../../ir/dtype";
import { defOf, type Elementwise, type OpName, ops, type Params } from "../../ir/ops";
import { arg, arity, type Scalar, type ScalarOp, storeAs } from "../../ir/scalar";

const DTYPES: DType[] = ["float32", "float64"];

// A deterministic generator (mulberry32).
function generator(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const F32_MAX = 3.4028234663852886e38;
const special = [
  Number.NaN,
  0,
  -0,
  Infinity,
  -Infinity,
  1,
  -1,
  0.5,
  -0.5,
  2,
  -2,
  3,
  0.1,
  -0.1,
  1 / 3,
  Math.PI,
  -Math.E,
  0.7,
  20,
  -20,
  100,
  710, // exp overflows in float64 past ~709.78
  -746,
  89, // and in float32 past ~88.72
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  1e300,
  F32_MAX,
  -F32_MAX,
  3.5e38, // above float32's largest
  Number.MIN_VALUE, // the smallest subnormal double
  -Number.MIN_VALUE,
  2.2250738585072014e-308, // the smallest normal double
  1.401298464324817e-45, // the smallest subnormal float32
  1.1754943508222875e-38, // the smallest normal float32
  1e-40,
  2 ** 31 - 1,
  -(2 ** 31),
  2 ** 31,
  2 ** 32 + 5,
  -(2 ** 53),
  2 ** 53 + 2,
  1e-8,
];

// Doubles of every magnitude (sign, mantissa, binary exponent), their float32 roundings, and
// moderate values where most functions do their work.
function randomValues(n: number, seed: number): number[] {
  const rnd = generator(seed),
    out: number[] = [];
  while (out.length < n) {
    const kind = out.length % 4,
      sign = rnd() < 0.5 ? -1 : 1;
    if (kind === 0) out.push(sign * (1 + rnd()) * 2 ** Math.floor(rnd() * 2098 - 1074));
    else if (kind === 1)
      out.push(Math.fround(sign * (1 + rnd()) * 2 ** Math.floor(rnd() * 300 - 150)));
    else if (kind === 2) out.push(sign * rnd() * 10);
    else out.push(Math.round(sign * rnd() * 2 ** Math.floor(rnd() * 34)));
  }
  return out;
}

// Operand tuples for an op of `n` operands: every combination of the special values (for three
// operands, of a smaller set), then random ones mixed with specials.
function inputs(n: number): number[][] {
  const rnd = generator(n * 7919),
    random = randomValues(3000, n);
  const any = () =>
    rnd() < 0.3 ? special[Math.floor(rnd() * special.length)] : random[Math.floor(rnd() * 3000)];
  const out: number[][] = [];
  if (n === 1) out.push(...special.map((x) => [x]), ...random.map((x) => [x]));
  else if (n === 2) for (const a of special) for (const b of special) out.push([a, b]);
  else {
    const few = special.slice(0, 12);
    for (const c of few) for (const a of few) for (const b of few) out.push([c, a, b]);
  }
  while (out.length < 5000) out.push(Array.from({ length: n }, any));
  return out;
}

// The rendered expression as a function of its operands, instantiated as kernels are.
function compiled(e: Scalar, n: number, dtype: DType): (...xs: number[]) => unknown {
  const params = Array.from({ length: n }, (_, i) => `x${i}`);
  const body = render(e, params.map(id), dtype);
  const src = print(functionDecl("f", params, [{ type: "ReturnStatement", argument: body }], []));
  return instantiate(src, "f");
}

const fmt = (x: number) => (Object.is(x, -0) ? "-0" : String(x));

// The first operands where rendering and evaluating disagree, as text (none: "").
function disagreement(e: Scalar, n: number, dtype: DType): string {
  const f = compiled(e, n, dtype),
    bad: string[] = [];
  const cases = inputs(n);
  for (let round = 0; round < 2; round++) {
    // twice: the second round runs the function optimized
    for (const xs of cases) {
      const got = Number(f(...xs)),
        want = evaluate(e, xs, dtype);
      if (!Object.is(got, want) && bad.length < 5)
        bad.push(`(${xs.map(fmt).join(", ")}): rendered ${fmt(got)}, evaluated ${fmt(want)}`);
    }
  }
  return bad.join("\n");
}

describe("the JS scalar table: render and evaluate agree", () => {
  for (const op of Object.keys(arity) as ScalarOp[]) {
    const n = arity[op];
    for (const dtype of DTYPES) {
      it(`${op} (${dtype})`, () => {
        const e: Scalar = { op, args: Array.from({ length: n }, (_, i) => arg(i)) };
        expect(disagreement(e, n, dtype)).toBe("");
      });
    }
  }

  describe("the op table's formulas, stored as their dtype", () => {
    const elementwise = (Object.keys(ops) as OpName[]).filter(
      (op) => defOf(op).kind === "elementwise",
    );
    for (const op of elementwise) {
      const def = defOf(op) as Elementwise;
      const n = arityOf(def);
      for (const dtype of DTYPES) {
        it(`${op} (${dtype})`, () => {
          const params = (op === "cast" ? { dtype } : {}) as Params;
          const e = storeAs(
            dtype,
            def.scalar(
              Array.from({ length: n }, (_, i) => arg(i)),
              params,
            ),
          );
          expect(disagreement(e, n, dtype)).toBe("");
        });
      }
    }
  });
});

// The operands an elementwise formula reads.
function arityOf(def: Elementwise): number {
  let most = 0;
  const visit = (e: Scalar) => {
    if (e.op === "arg") most = Math.max(most, e.index + 1);
    else if (e.op !== "num") e.args.forEach(visit);
  };
  visit(def.scalar([arg(0), arg(1), arg(2)], { dtype: "float32" }));
  return most;
}
