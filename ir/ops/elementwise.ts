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
