// Tiny ESTree builders: generated kernels are trees printed by astring, never concatenated strings.

import { generate } from "astring";
import type * as E from "estree";

// Identifiers are compiler-made names only (checked here, where every one is built).
export function id(name: string): E.Identifier {
  if (typeof name !== "string" || !/^[A-Za-z_$][\w$]*$/.test(name))
    throw new Error("internal: an identifier in generated code must be a plain name");
  return { type: "Identifier", name };
}

// Numbers the compiler computed; non-finite and negative values get their own node shapes.
export function num(v: number): E.Expression {
  if (typeof v !== "number") throw new Error("internal: generated code takes numbers only");
  if (Number.isNaN(v)) return id("NaN");
  if (!Number.isFinite(v)) return v > 0 ? id("Infinity") : neg(id("Infinity"));
  if (v < 0 || Object.is(v, -0)) return neg(num(-v));
  return { type: "Literal", value: v };
}
export const neg = (e: E.Expression): E.Expression => ({
  type: "UnaryExpression",
  operator: "-",
  prefix: true,
  argument: e,
});
export const bin = (
  operator: E.BinaryOperator,
  left: E.Expression,
  right: E.Expression,
): E.Expression => ({ type: "BinaryExpression", operator, left, right });
export const index = (object: E.Expression, property: E.Expression): E.MemberExpression => ({
  type: "MemberExpression",
  object,
  property,
  computed: true,
  optional: false,
});
export const call = (callee: E.Expression, args: E.Expression[]): E.Expression => ({
  type: "CallExpression",
  callee,
  arguments: args,
  optional: false,
});
export const assign = (
  left: E.Pattern,
  right: E.Expression,
  operator: E.AssignmentOperator = "=",
): E.Statement => ({
  type: "ExpressionStatement",
  expression: { type: "AssignmentExpression", operator, left, right },
});
export const decl = (
  kind: "let" | "const",
  name: string,
  init: E.Expression,
): E.VariableDeclaration => ({
  type: "VariableDeclaration",
  kind,
  declarations: [{ type: "VariableDeclarator", id: id(name), init }],
});
export const block = (body: E.Statement[]): E.BlockStatement => ({ type: "BlockStatement", body });

// for (let v = from; v < bound; v += step) body
export function loop(
  v: string,
  bound: E.Expression,
  body: E.Statement[],
  from: E.Expression = num(0),
  step = 1,
): E.Statement {
  return {
    type: "ForStatement",
    init: decl("let", v, from),
    test: bin("<", id(v), bound),
    update:
      step === 1
        ? { type: "UpdateExpression", operator: "++", prefix: false, argument: id(v) }
        : { type: "AssignmentExpression", operator: "+=", left: id(v), right: num(step) },
    body: block(body),
  };
}

// Sum of terms, folding literal zeros and unit factors: offset + i0 * s0 + i1 * s1.
export function linear(
  terms: [E.Expression, number | string][],
  offset: number | string,
): E.Expression {
  let out: E.Expression | null = typeof offset === "number" && offset === 0 ? null : sym(offset);
  for (const [v, s] of terms) {
    if (s === 0) continue;
    const t = s === 1 ? v : bin("*", v, sym(s));
    out = out ? bin("+", out, t) : t;
  }
  return out ?? num(0);
}
// A size or stride: a number, or the name of a kernel argument the compiler made (checked, so no
// other text can reach generated code).
// (eager kernels take sizes n0.., offsets o0.. and strides s0_1.. as arguments; a chunk of a kernel
// split across threads its index `chunk`, where its partial result goes).
export function sym(s: number | string): E.Expression {
  if (typeof s === "number") {
    if (!Number.isFinite(s))
      throw new Error(`internal: a loop size or stride must be a finite number, got ${s}`);
    return num(s);
  }
  if (typeof s !== "string" || !/^([nos]\d+(_\d+)?|chunk)$/.test(s))
    throw new Error("internal: a kernel argument name must be one the compiler made");
  return id(s);
}

export function functionDecl(
  name: string,
  params: string[],
  body: E.Statement[],
  comments: string[],
): E.Program {
  const fn: E.FunctionDeclaration = {
    type: "FunctionDeclaration",
    id: id(name),
    params: params.map(id),
    body: block(body),
  };
  (fn as { comments?: unknown[] }).comments = comments.map((value) => ({
    type: "Line",
    value: ` ${escapeComment(value)}`,
  }));
  return { type: "Program", sourceType: "script", body: [fn] };
}

export const print = (program: E.Node): string => generate(program, { comments: true });

// A line comment ends at any line terminator: they are written as escapes, so no text can leave it.
const escapeComment = (text: string) =>
  String(text).replace(
    /[\n\r\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
