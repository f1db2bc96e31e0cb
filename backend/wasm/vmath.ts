// float32 transcendental functions on f32x4 lanes for Wasm kernels: exp, log, tanh, erf (sigmoid
// is its formula, 1 / (1 + exp(-x))). Branch-free, in the manner of XNNPACK's and Sleef's vector
// math: a range reduction, a polynomial (coefficients fitted here by least squares on Chebyshev
// nodes in float64, then rounded to float32), the exponent put back by integer lane arithmetic,
// and special inputs (NaN, +-inf, 0, denormals) patched in by lane selects. Wasm has no fused
// multiply-add, so every step rounds; measured against float64 on millions of points
// (test/backend/wasm-chains.test.ts) the errors stay within CHAIN_ULPS float32 ulps:
// exp 1, log 0.8, tanh 2.5, erf 2.5 (and sigmoid, as its formula, 2.5) on 2^21 points.
import type { Instr, V128 } from "./assembler";

export const CHAIN_ULPS = 3;

// Where the instructions go, fresh v128 locals, and v128 constants (loaded once, before the loop).
export interface VecCtx {
  code: Instr[];
  local(): string;
  constant(lanes: V128): string;
}
const f = (x: number): V128 => ({ f32x4: [x, x, x, x] });
const bits = (x: number): V128 => ({ i32x4: [x, x, x, x] });

// out = op(a, b) into a fresh local (a, b: locals)
function op(c: VecCtx, name: string, ...args: string[]): string {
  const out = c.local();
  c.code.push(...args.map((a): Instr => ["local.get", a]), [name], ["local.set", out]);
  return out;
}
const num = (c: VecCtx, x: number) => c.constant(f(x));
const mul = (c: VecCtx, a: string, b: string) => op(c, "f32x4.mul", a, b);
const add = (c: VecCtx, a: string, b: string) => op(c, "f32x4.add", a, b);
const sub = (c: VecCtx, a: string, b: string) => op(c, "f32x4.sub", a, b);
// where mask: a, else b
const pick = (c: VecCtx, a: string, b: string, mask: string) => op(c, "v128.bitselect", a, b, mask);

// |x| and -x as one bitwise op with a constant mask (kept in a local; V8 rebuilds the mask of
// f32x4.abs and f32x4.neg at every use); the same bits as those instructions
export const vabs = (c: VecCtx, x: string) => op(c, "v128.and", x, c.constant(bits(0x7fffffff)));
export const vneg = (c: VecCtx, x: string) => op(c, "v128.xor", x, c.constant(f(-0)));

// c[0] + x (c[1] + x (c[2] + ...))
function horner(c: VecCtx, x: string, coefs: readonly number[]): string {
  let acc = num(c, coefs.at(-1)!);
  for (let i = coefs.length - 2; i >= 0; i--) acc = add(c, mul(c, acc, x), num(c, coefs[i]));
  return acc;
}

// ---- exp ----
// e^r - 1 - r = r^2 q(r) on [-ln2/2, ln2/2]
const EXP_Q = [
  0.5, 0.16666516661643982, 0.04166626185178757, 0.008369151502847672, 1.3946446124464273e-3,
];
// ln 2 split so that n * LN2_HI is exact for the n that occur (Cody and Waite)
const LN2_HI = 0.693145751953125,
  LN2_LO = 1.428606765330187e-6,
  LOG2E = Math.LOG2E;

// 1.5 * 2^23: adding it rounds |y| < 2^22 to an integer n (ties to even) held in the low mantissa
// bits, so the bit pattern minus MAGIC's is n as an int32 (cheaper than nearest + trunc_sat)
const MAGIC = 12582912,
  MAGIC_BITS = 0x4b400000;
// x = n ln2 + r, |r| <= ln2/2 (|x| < 2^21): n as a float, k = n as int32 lanes, p = e^r - 1
function reduce(c: VecCtx, x: string): { k: string; p: string } {
  const v = add(c, mul(c, x, num(c, LOG2E)), num(c, MAGIC));
  const n = sub(c, v, num(c, MAGIC));
  const k = op(c, "i32x4.sub", v, c.constant(bits(MAGIC_BITS)));
  const r = sub(c, sub(c, x, mul(c, n, num(c, LN2_HI))), mul(c, n, num(c, LN2_LO)));
  const p = add(c, r, mul(c, mul(c, r, r), horner(c, r, EXP_Q)));
  return { k, p };
}
// 2^k for integer lanes k in [-126, 127]: the exponent field
const pow2 = (c: VecCtx, k: string) => {
  const biased = op(c, "i32x4.add", k, c.constant(bits(127)));
  c.code.push(["local.get", biased], ["i32.const", 23], ["i32x4.shl"], ["local.set", biased]);
  return biased;
};

export function vexp(c: VecCtx, x: string): string {
  // past 89 the result overflows to inf, below -104 it underflows to 0 (NaN stays NaN)
  // (pmax/pmin keep a NaN x: the comparison fails and x is taken)
  const xc = op(c, "f32x4.pmin", op(c, "f32x4.pmax", x, num(c, -104)), num(c, 89));
  const { k, p } = reduce(c, xc);
  // 2^n as 2^n1 2^n2 (n1 = n >> 1), both normal even where 2^n is a denormal or overflows
  const k1 = c.local();
  c.code.push(["local.get", k], ["i32.const", 1], ["i32x4.shr_s"], ["local.set", k1]);
  const s1 = pow2(c, k1),
    s2 = pow2(c, op(c, "i32x4.sub", k, k1));
  return mul(c, add(c, mul(c, p, s1), s1), s2);
}

// ---- tanh ----
// tanh|x| = -m / (m + 2) with m = e^(-2|x|) - 1 = 2^n p + (2^n - 1), the sign put back; |x| is
// capped at 9.01, past which float32 tanh is 1 (XNNPACK's expm1minus scheme)
export function vtanh(c: VecCtx, x: string): string {
  const z = op(c, "f32x4.pmin", vabs(c, x), num(c, 9.01));
  const { k, p } = reduce(c, mul(c, z, num(c, -2)));
  const s = pow2(c, k);
  const m = add(c, mul(c, s, p), sub(c, s, num(c, 1)));
  const t = op(c, "f32x4.div", vneg(c, m), add(c, m, num(c, 2)));
  // (|t|: at x = +0, -m / (m + 2) is -0)
  return op(c, "v128.or", vabs(c, t), op(c, "v128.and", x, c.constant(f(-0))));
}

// ---- log ----
// log(1 + g) = g - g^2/2 + g^3 P(g) for g in [sqrt(1/2) - 1, sqrt(2) - 1]
const LOG_P = [
  0.3333336412906647, -0.25001105666160583, 0.1999974548816681, -0.16613943874835968,
  0.1422044187784195, -0.13257159292697906, 0.12697939574718475, -0.0733518898487091,
];
// x = 2^e m, m in [sqrt(1/2), sqrt(2)): log x = e ln2 + log m
export function vlog(c: VecCtx, x: string): string {
  // denormals scaled into the normal range first (by 2^23, taken off the exponent after)
  const tiny = op(c, "f32x4.lt", x, num(c, 1.1754943508222875e-38));
  const xs = pick(c, mul(c, x, num(c, 8388608)), x, tiny);
  const e = c.local();
  c.code.push(["local.get", xs], ["i32.const", 23], ["i32x4.shr_s"], ["local.set", e]);
  const mant = op(
    c,
    "v128.or",
    op(c, "v128.and", xs, c.constant(bits(0x7fffff))),
    c.constant(f(1)),
  );
  const high = op(c, "f32x4.gt", mant, num(c, Math.SQRT2));
  const m = pick(c, mul(c, mant, num(c, 0.5)), mant, high);
  // e - 127 (+1 where m was halved: the mask is -1)
  const k = op(c, "i32x4.sub", op(c, "i32x4.sub", e, c.constant(bits(127))), high);
  const ef = sub(c, op(c, "f32x4.convert_i32x4_s", k), pick(c, num(c, 23), c.constant(f(0)), tiny));
  const g = sub(c, m, num(c, 1));
  const g2 = mul(c, g, g);
  let y = mul(c, mul(c, g2, g), horner(c, g, LOG_P));
  y = add(c, y, mul(c, ef, num(c, LN2_LO)));
  y = sub(c, y, mul(c, g2, num(c, 0.5)));
  y = add(c, add(c, g, y), mul(c, ef, num(c, LN2_HI)));
  // log 0 = -inf, log of a negative = NaN, log inf = inf, log NaN = NaN
  y = pick(c, num(c, -Infinity), y, op(c, "f32x4.eq", x, c.constant(f(0))));
  y = pick(c, num(c, Number.NaN), y, op(c, "f32x4.lt", x, c.constant(f(0))));
  const passes = op(c, "v128.not", op(c, "f32x4.lt", x, num(c, Infinity)));
  return pick(c, x, y, passes);
}

// ---- erf ----
// |x| < 1: x S(x^2); 1 <= |x|: a degree-13 polynomial in |x| - 2.46 on [1, 3.92] (float32 erf
// is 1 beyond), capped at 1, with x's sign
const ERF_S = [
  1.1283791065216064, -0.37612611055374146, 0.11283461004495621, -0.02684955671429634,
  0.0051812538877129555, -7.953780586831272e-4, 7.680844282731414e-5,
];
const ERF_D = [
  0.9994966983795166, 0.0026562369894236326, -0.006535748485475779, 0.009832456707954407,
  -0.009904964827001095, 0.006799545604735613, -0.002963119884952903, 4.5933123328723013e-4,
  3.906787314917892e-4, -2.9961674590595067e-4, 5.1896404329454526e-5, 2.4706278054509312e-5,
  -9.166920790448785e-6, 9.4817231399702e-8,
];
export function verf(c: VecCtx, x: string): string {
  const a = vabs(c, x);
  const small = mul(c, x, horner(c, mul(c, x, x), ERF_S));
  const t = sub(c, op(c, "f32x4.pmin", a, num(c, 3.92)), num(c, 2.46));
  const big = op(c, "f32x4.pmin", horner(c, t, ERF_D), num(c, 1));
  const signed = op(c, "v128.or", big, op(c, "v128.and", x, c.constant(f(-0))));
  return pick(c, small, signed, op(c, "f32x4.lt", a, num(c, 1)));
}
