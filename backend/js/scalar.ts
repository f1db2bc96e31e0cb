// The JS backend's one table for the scalar vocabulary (ir/scalar.ts): each named op rendered as
// an ESTree expression for generated kernels (`js`), and run directly on numbers (`run`: constant
// folding, and the kernels' interpreted fallback). The two columns sit side by side so they agree;
// a test checks them against each other.
import type * as E from "estree";
import type { DType } from "../../ir/dtype";
import type { Scalar, ScalarOp } from "../../ir/scalar";
import { erf, erfc, erfinv } from "./erf";
import { bin, call, id, num } from "./estree";
import { roundEven } from "./round";
import { tanhf } from "./tanhf";

interface Row {
  js: (a: E.Expression[], dtype: DType) => E.Expression;
  run: (a: number[], dtype: DType) => number;
}

const math = (name: string) => (a: E.Expression[]) =>
  call(
    {
      type: "MemberExpression",
      object: id("Math"),
      property: id(name),
      computed: false,
      optional: false,
    },
    a,
  );
const infix =
  (op: E.BinaryOperator | E.LogicalOperator) =>
  ([a, b]: E.Expression[]) =>
    op === "||" || op === "&&"
      ? ({ type: "LogicalExpression", operator: op, left: a, right: b } as E.Expression)
      : bin(op as E.BinaryOperator, a, b);
const prefix =
  (operator: "-" | "!") =>
  ([x]: E.Expression[]): E.Expression => ({
    type: "UnaryExpression",
    operator,
    prefix: true,
    argument: x,
  });

// float32 tanh runs as tanhf (a rational approximation within 3 float32 ulps, several times faster
// than V8's Math.tanh); float64 keeps Math.tanh.
const table: { [K in ScalarOp]: Row } = {
  neg: { js: prefix("-"), run: ([x]) => -x },
  add: { js: infix("+"), run: ([a, b]) => a + b },
  sub: { js: infix("-"), run: ([a, b]) => a - b },
  mul: { js: infix("*"), run: ([a, b]) => a * b },
  div: { js: infix("/"), run: ([a, b]) => a / b },
  pow: { js: math("pow"), run: ([a, b]) => a ** b },
  exp: { js: math("exp"), run: ([x]) => Math.exp(x) },
  log: { js: math("log"), run: ([x]) => Math.log(x) },
  sqrt: { js: math("sqrt"), run: ([x]) => Math.sqrt(x) },
  abs: { js: math("abs"), run: ([x]) => Math.abs(x) },
  tanh: {
    js: (a, d) => (d === "float32" ? call(id("tanhf"), a) : math("tanh")(a)),
    run: ([x], d) => (d === "float32" ? tanhf(x) : Math.tanh(x)),
  },
  sin: { js: math("sin"), run: ([x]) => Math.sin(x) },
  cos: { js: math("cos"), run: ([x]) => Math.cos(x) },
  erf: { js: (a) => call(id("erf"), a), run: ([x]) => erf(x) },
  erfc: { js: (a) => call(id("erfc"), a), run: ([x]) => erfc(x) },
  erfinv: { js: (a) => call(id("erfinv"), a), run: ([x]) => erfinv(x) },
  floor: { js: math("floor"), run: ([x]) => Math.floor(x) },
  ceil: { js: math("ceil"), run: ([x]) => Math.ceil(x) },
  trunc: { js: math("trunc"), run: ([x]) => Math.trunc(x) },
  roundEven: { js: (a) => call(id("roundEven"), a), run: ([x]) => roundEven(x) },
  log1p: { js: math("log1p"), run: ([x]) => Math.log1p(x) },
  expm1: { js: math("expm1"), run: ([x]) => Math.expm1(x) },
  log2: { js: math("log2"), run: ([x]) => Math.log2(x) },
  log10: { js: math("log10"), run: ([x]) => Math.log10(x) },
  tan: { js: math("tan"), run: ([x]) => Math.tan(x) },
  asin: { js: math("asin"), run: ([x]) => Math.asin(x) },
  acos: { js: math("acos"), run: ([x]) => Math.acos(x) },
  atan: { js: math("atan"), run: ([x]) => Math.atan(x) },
  sinh: { js: math("sinh"), run: ([x]) => Math.sinh(x) },
  cosh: { js: math("cosh"), run: ([x]) => Math.cosh(x) },
  asinh: { js: math("asinh"), run: ([x]) => Math.asinh(x) },
  acosh: { js: math("acosh"), run: ([x]) => Math.acosh(x) },
  atanh: { js: math("atanh"), run: ([x]) => Math.atanh(x) },
  atan2: { js: math("atan2"), run: ([a, b]) => Math.atan2(a, b) },
  hypot: { js: math("hypot"), run: ([a, b]) => Math.hypot(a, b) },
  fmod: { js: infix("%"), run: ([a, b]) => a % b },
  bitAnd: { js: infix("&"), run: ([a, b]) => a & b },
  bitOr: { js: infix("|"), run: ([a, b]) => a | b },
  bitXor: { js: infix("^"), run: ([a, b]) => a ^ b },
  bitNot: {
    js: ([x]) => ({ type: "UnaryExpression", operator: "~", prefix: true, argument: x }),
    run: ([x]) => ~x,
  },
  shl: { js: infix("<<"), run: ([a, b]) => a << b },
  shr: { js: infix(">>"), run: ([a, b]) => a >> b },
  max: { js: math("max"), run: ([a, b]) => Math.max(a, b) },
  min: { js: math("min"), run: ([a, b]) => Math.min(a, b) },
  eq: { js: infix("==="), run: ([a, b]) => +(a === b) },
  ne: { js: infix("!=="), run: ([a, b]) => +(a !== b) },
  lt: { js: infix("<"), run: ([a, b]) => +(a < b) },
  le: { js: infix("<="), run: ([a, b]) => +(a <= b) },
  gt: { js: infix(">"), run: ([a, b]) => +(a > b) },
  ge: { js: infix(">="), run: ([a, b]) => +(a >= b) },
  and: { js: infix("&&"), run: ([a, b]) => a && b },
  or: { js: infix("||"), run: ([a, b]) => a || b },
  not: { js: prefix("!"), run: ([x]) => +!x },
  // loose != compares booleans as 0/1 too (a fused comparison's result is a JS boolean)
  nonzero: { js: ([x]) => bin("!=", x, num(0)), run: ([x]) => +(x !== 0) },
  select: {
    js: ([c, a, b]) => ({ type: "ConditionalExpression", test: c, consequent: a, alternate: b }),
    run: ([c, a, b]) => (c ? a : b),
  },
  roundF32: { js: math("fround"), run: ([x]) => Math.fround(x) },
  wrapI32: { js: ([x]) => bin("|", x, num(0)), run: ([x]) => x | 0 },
};

// The expression for `e` with its arguments bound to `args` (identifiers, loads, ...).
export function render(e: Scalar, args: readonly E.Expression[], dtype: DType): E.Expression {
  if (e.op === "arg") return args[e.index];
  if (e.op === "num") return num(e.value);
  return table[e.op].js(
    e.args.map((a) => render(a, args, dtype)),
    dtype,
  );
}

// The value of `e` at the given argument values, exactly as a kernel rendering it computes it.
export function evaluate(e: Scalar, args: readonly number[], dtype: DType): number {
  if (e.op === "arg") return args[e.index];
  if (e.op === "num") return e.value;
  return table[e.op].run(
    e.args.map((a) => evaluate(a, args, dtype)),
    dtype,
  );
}
