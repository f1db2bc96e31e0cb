// Elementwise primitives: one scalar formula each (ir/scalar.ts), broadcast over their operands.
import type { DType } from "../dtype";
import {
  binary,
  broadcastAll,
  compare,
  costly,
  elementwise,
  type NoParams,
  type OpDef,
  promoteAll,
  unary,
} from "../op-def";
import { S, storeAs } from "../scalar";

export const elementwiseOps = {
  neg: unary("NegBackward0", S.neg, (g) => [g.neg()], "same"),
  exp: costly(unary("ExpBackward0", S.exp, (g, { out }) => [g.mul(out)])),
  log: costly(unary("LogBackward0", S.log, (g, { ins: [x] }) => [g.div(x)])),
  sqrt: unary("SqrtBackward0", S.sqrt, (g, { out }) => [g.div(out.mul(2))]),
  abs: unary("AbsBackward0", S.abs, (g, { ins: [x] }) => [g.mul(x.sign())], "same"),
  // sign(NaN) is 0 and sign(-0) is +0 in PyTorch 1.13
  sign: unary(
    "SignBackward0",
    (x) => S.select(S.gt(x, 0), 1, S.select(S.lt(x, 0), -1, 0)),
    (g) => [g.mul(0)],
    "same",
  ),
  // a backend may compute float32 tanh faster, accurate to float32 (backend/js: a rational tanhf)
  tanh: costly(unary("TanhBackward0", S.tanh, (g, { out }) => [g.mul(out.mul(out).neg().add(1))])),
  sigmoid: costly(
    unary(
      "SigmoidBackward0",
      (x) => S.div(1, S.add(1, S.exp(S.neg(x)))),
      (g, { out }) => [g.mul(out).mul(out.neg().add(1))],
    ),
  ),
  relu: unary(
    "ReluBackward0",
    (x) => S.select(S.lt(x, 0), 0, x), // NaN and -0 pass through, as in PyTorch
    (g, { out }) => [g.where(out.gt(0), 0)],
    "same",
  ),
  sin: costly(unary("SinBackward0", S.sin, (g, { ins: [x] }) => [g.mul(x.cos())])),
  cos: costly(unary("CosBackward0", S.cos, (g, { ins: [x] }) => [g.mul(x.sin()).neg()])),
  // erf(x): a scalar helper (backend/js/erf.ts); d/dx erf(x) = 2/sqrt(pi) exp(-x^2)
  erf: costly(
    unary("ErfBackward0", S.erf, (g, { ins: [x] }) => [
      g.mul(
        x
          .mul(x)
          .neg()
          .exp()
          .mul(2 / Math.sqrt(Math.PI)),
      ),
    ]),
  ),

  // rounding: the same dtype (integers are already whole), and a zero gradient, as PyTorch
  floor: unary("FloorBackward0", S.floor, (g) => [g.mul(0)], "same"),
  ceil: unary("CeilBackward0", S.ceil, (g) => [g.mul(0)], "same"),
  trunc: unary("TruncBackward0", S.trunc, (g) => [g.mul(0)], "same"),
  round: unary("RoundBackward0", S.roundEven, (g) => [g.mul(0)], "same"), // halves to even
  log1p: costly(unary("Log1PBackward0", S.log1p, (g, { ins: [x] }) => [g.div(x.add(1))])),
  expm1: costly(unary("Expm1Backward0", S.expm1, (g, { out }) => [g.mul(out.add(1))])),
  log2: costly(unary("Log2Backward0", S.log2, (g, { ins: [x] }) => [g.div(x.mul(Math.LN2))])),
  log10: costly(unary("Log10Backward0", S.log10, (g, { ins: [x] }) => [g.div(x.mul(Math.LN10))])),
  tan: costly(unary("TanBackward0", S.tan, (g, { out }) => [g.mul(out.mul(out).add(1))])),
  // d asin = 1 / sqrt(1 - x^2), d acos = -1 / sqrt(1 - x^2), d atan = 1 / (1 + x^2)
  asin: costly(
    unary("AsinBackward0", S.asin, (g, { ins: [x] }) => [g.div(x.mul(x).neg().add(1).sqrt())]),
  ),
  acos: costly(
    unary("AcosBackward0", S.acos, (g, { ins: [x] }) => [
      g.div(x.mul(x).neg().add(1).sqrt()).neg(),
    ]),
  ),
  atan: costly(unary("AtanBackward0", S.atan, (g, { ins: [x] }) => [g.div(x.mul(x).add(1))])),
  sinh: costly(unary("SinhBackward0", S.sinh, (g, { ins: [x] }) => [g.mul(x.cosh())])),
  cosh: costly(unary("CoshBackward0", S.cosh, (g, { ins: [x] }) => [g.mul(x.sinh())])),
  asinh: costly(
    unary("AsinhBackward0", S.asinh, (g, { ins: [x] }) => [g.div(x.mul(x).add(1).sqrt())]),
  ),
  acosh: costly(
    unary("AcoshBackward0", S.acosh, (g, { ins: [x] }) => [g.div(x.mul(x).sub(1).sqrt())]),
  ),
  atanh: costly(
    unary("AtanhBackward0", S.atanh, (g, { ins: [x] }) => [g.div(x.mul(x).neg().add(1))]),
  ),
  // erfinv(y): PyTorch's calc_erfinv (backend/js/erf.ts); d/dy erfinv(y) = sqrt(pi)/2 exp(erfinv(y)^2)
  erfinv: costly(
    unary("ErfinvBackward0", S.erfinv, (g, { out }) => [
      g.mul(
        out
          .mul(out)
          .exp()
          .mul(Math.sqrt(Math.PI) / 2),
      ),
    ]),
  ),
  // d/dx erfc(x) = -2/sqrt(pi) exp(-x^2)
  erfc: costly(
    unary("ErfcBackward0", S.erfc, (g, { ins: [x] }) => [
      g.mul(
        x
          .mul(x)
          .neg()
          .exp()
          .mul(-2 / Math.sqrt(Math.PI)),
      ),
    ]),
  ),

  add: binary("AddBackward0", S.add, (g) => [g, g]),
  sub: binary("SubBackward0", S.sub, (g) => [g, g.neg()]),
  // each gradient reads only the saved tensor it needs, so an in-place change of the other is fine
  mul: binary("MulBackward0", S.mul, (g, { ins, needs }) => [
    needs[0] ? g.mul(ins[1]) : null,
    needs[1] ? g.mul(ins[0]) : null,
  ]),
  div: binary(
    "DivBackward0",
    S.div,
    (
      g,
      ctx, // ctx.out is read only when needed
    ) => [
      ctx.needs[0] ? g.div(ctx.ins[1]) : null,
      ctx.needs[1] ? g.div(ctx.ins[1]).mul(ctx.out).neg() : null,
    ],
    "float",
  ),
  // d/da a^b = b a^(b-1) (0 where b == 0); d/db a^b = a^b log a (0 where a == 0 and b >= 0)
  pow: costly(
    binary(
      (ins) => (ins[1].wrapped ? "PowBackward0" : "PowBackward1"),
      S.pow,
      (g, { ins: [a, b], out, needs }) => [
        needs[0]
          ? g
              .mul(b)
              .mul(a.pow(b.sub(1)))
              .where(b.ne(0), 0)
          : null,
        needs[1]
          ? g
              .mul(out)
              .mul(a.log())
              .where(a.ne(0).logicalOr(b.lt(0)), 0)
          : null,
      ],
      "promote",
    ),
  ),
  // d/da atan2(a, b) = b / (a^2 + b^2), d/db = -a / (a^2 + b^2)
  atan2: costly(
    binary(
      "Atan2Backward0",
      S.atan2,
      (g, { ins: [a, b], needs }) => {
        const r = g.div(a.mul(a).add(b.mul(b)));
        return [needs[0] ? r.mul(b) : null, needs[1] ? r.mul(a).neg() : null];
      },
      "float",
    ),
  ),
  hypot: costly(
    binary(
      "HypotBackward0",
      S.hypot,
      (g, { ins: [a, b], out, needs }) => {
        const r = g.div(out);
        return [needs[0] ? r.mul(a) : null, needs[1] ? r.mul(b) : null];
      },
      "float",
    ),
  ),
  // C's fmod (the dividend's sign) and Python's remainder (the divisor's sign); gradients:
  // g to the dividend, -g trunc(a / b) (fmod) or -g floor(a / b) (remainder) to the divisor
  fmod: binary(
    (ins) => (ins[1].wrapped ? "FmodBackward0" : "FmodBackward1"),
    S.fmod,
    (g, { ins: [a, b], needs }) => [
      needs[0] ? g : null,
      needs[1] ? g.mul(a.div(b).trunc()).neg() : null,
    ],
  ),
  remainder: binary(
    (ins) => (ins[1].wrapped ? "RemainderBackward0" : "RemainderBackward1"),
    (a, b) => {
      const m = S.fmod(a, b);
      return S.select(S.and(S.ne(m, 0), S.ne(S.lt(m, 0), S.lt(b, 0))), S.add(m, b), m);
    },
    (g, { ins: [a, b], needs }) => [
      needs[0] ? g : null,
      needs[1] ? g.mul(a.div(b).floor()).neg() : null,
    ],
  ),
  // a / b rounded down, as PyTorch's div_floor: from the exact remainder (fmod) rather than
  // floor(a / b), which rounds up to an integer too early (and a zero keeps the quotient's sign);
  // a zero gradient (rounding)
  divFloor: binary(
    "DivBackward2",
    (a, b) => {
      const m = S.fmod(a, b),
        d0 = S.div(S.sub(a, m), b);
      const d = S.select(S.and(S.ne(m, 0), S.ne(S.lt(b, 0), S.lt(m, 0))), S.sub(d0, 1), d0);
      const f = S.floor(d),
        q = S.div(a, b);
      const zero = S.select(S.or(S.lt(q, 0), S.lt(S.div(1, q), 0)), -0, 0);
      const rounded = S.select(S.ne(d, 0), S.select(S.gt(S.sub(d, f), 0.5), S.add(f, 1), f), zero);
      return S.select(S.eq(b, 0), q, rounded);
    },
    (g, { needs }) => [needs[0] ? g.mul(0) : null, needs[1] ? g.mul(0) : null],
  ),
  maximum: binary("MaximumBackward0", S.max, (g, { ins: [a, b] }) => {
    const shared = g.where(a.ne(b), g.mul(0.5)); // ties split the gradient, as PyTorch does
    return [shared.where(a.ge(b), 0), shared.where(b.ge(a), 0)];
  }),
  minimum: binary("MinimumBackward0", S.min, (g, { ins: [a, b] }) => {
    const shared = g.where(a.ne(b), g.mul(0.5));
    return [shared.where(a.le(b), 0), shared.where(b.le(a), 0)];
  }),
  eq: compare(S.eq),
  ne: compare(S.ne),
  lt: compare(S.lt),
  le: compare(S.le),
  gt: compare(S.gt),
  ge: compare(S.ge),
  logicalOr: compare((a, b) => S.or(S.nonzero(a), S.nonzero(b))),
  // bitwise ops on int32 and bool (checked at the API edge); not differentiable. Shift counts
  // outside [0, 32) give 0 (a right shift of a negative value: -1), as a shift past the width
  bitwiseAnd: binary("", S.bitAnd, null),
  bitwiseOr: binary("", S.bitOr, null),
  bitwiseXor: binary("", S.bitXor, null),
  bitwiseNot: elementwise<NoParams>({
    grad: "",
    scalar: ([x]) => S.bitNot(x),
    shape: ([x]) => [...x.shape],
    dtype: ([x]) => x.dtype,
    vjp: null,
  }),
  bitwiseLeftShift: binary(
    "",
    (a, b) => S.select(S.and(S.ge(b, 0), S.lt(b, 32)), S.shl(a, b), 0),
    null,
  ),
  bitwiseRightShift: binary(
    "",
    (a, b) => S.select(S.and(S.ge(b, 0), S.lt(b, 32)), S.shr(a, b), S.select(S.lt(a, 0), -1, 0)),
    null,
  ),
  where: elementwise<NoParams>({
    grad: "WhereBackward0",
    scalar: ([c, a, b]) => S.select(c, a, b),
    shape: broadcastAll,
    dtype: (ins) => promoteAll(ins.slice(1)),
    vjp: (g, { ins: [c] }) => [null, g.where(c, 0), g.where(c.logicalNot(), 0)],
  }),
  logicalNot: elementwise<NoParams>({
    grad: "",
    scalar: ([x]) => S.not(S.nonzero(x)),
    shape: ([x]) => [...x.shape],
    dtype: () => "bool",
    vjp: null,
  }),
  cast: elementwise<{ dtype: DType }>({
    grad: "ToCopyBackward0",
    shape: ([x]) => [...x.shape],
    dtype: (_, p) => p.dtype,
    scalar: ([x], p) => storeAs(p.dtype, x),
    vjp: (g, { needs }) => [needs[0] ? g : null],
  }), // the engine casts it to the input's dtype
} satisfies Record<string, OpDef<never>>;
