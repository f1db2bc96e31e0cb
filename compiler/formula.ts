// Scalar formulas: an op's JS snippet, e.g. "(a, b) => a * b", parsed once with acorn and
// instantiated by substituting ESTree expressions for its parameters. The snippet comes from the
// op table (compiler-owned text), never from a user.
import { parseExpressionAt } from "acorn";
import type { Expression, Node, Pattern } from "estree";

export interface Formula { params: string[]; body: Expression; source: string }

const cache = new Map<string, Formula>();

export function formula(source: string): Formula {
  let f = cache.get(source);
  if (!f) {
    const node = parseExpressionAt(source, 0, { ecmaVersion: 2022 }) as unknown as Node;
    if (node.type !== "ArrowFunctionExpression" || node.body.type === "BlockStatement") {
      throw new Error(`formula must be an expression arrow function: ${source}`);
    }
    const params = node.params.map((p: Pattern) => (p.type === "Identifier" ? p.name : "?"));
    f = { params, body: strip(node.body) as Expression, source };
    cache.set(source, f);
  }
  return f;
}

// Fused kernels keep values in registers as doubles and round only when storing, so a float32
// value recomputed in one kernel can differ in its last bits from the copy another kernel stored.
// Arithmetic tolerates that; an exact comparison does not (x == max(x) must hold at the maximum),
// so comparisons of float32 values compare them rounded, as eager compares stored values.
const fround = (e: Expression): Expression => ({ type: "CallExpression", optional: false, arguments: [e],
  callee: { type: "MemberExpression", computed: false, optional: false, object: { type: "Identifier", name: "Math" }, property: { type: "Identifier", name: "fround" } } });
const roundedArgs = new Map<Formula, Formula>();
export function onFloat32(f: Formula): Formula {
  let w = roundedArgs.get(f);
  if (!w) {
    w = { params: f.params, source: `float32 args: ${f.source}`, body: instantiate(f, f.params.map((p) => fround({ type: "Identifier", name: p }))) };
    roundedArgs.set(f, w);
  }
  return w;
}

// The result rounded to float32, for values whose exact bits matter (see exactValues in fuse.ts).
const roundedResults = new Map<Formula, Formula>();
export function toFloat32(f: Formula): Formula {
  let w = roundedResults.get(f);
  if (!w) {
    w = { params: f.params, source: `float32(${f.source})`, body: fround(f.body) };
    roundedResults.set(f, w);
  }
  return w;
}

// int32 ops wrap (`| 0`) in registers exactly as an Int32Array store would wrap them.
const wrapped = new Map<Formula, Formula>();
export function toInt32(f: Formula): Formula {
  let w = wrapped.get(f);
  if (!w) {
    w = { params: f.params, source: `${f.source} | 0`, body: { type: "BinaryExpression", operator: "|", left: f.body, right: { type: "Literal", value: 0 } } };
    wrapped.set(f, w);
  }
  return w;
}

// The formula's body with each parameter replaced by the given expression (a fresh tree).
export function instantiate(f: Formula, args: Expression[]): Expression {
  const byName = new Map(f.params.map((p, i) => [p, args[i]]));
  const visit = (n: unknown, isKey = false): unknown => {
    if (Array.isArray(n)) return n.map((c) => visit(c));
    if (!n || typeof n !== "object") return n;
    const node = n as Record<string, unknown>;
    if (node.type === "Identifier" && !isKey && byName.has(node.name as string)) return byName.get(node.name as string);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      // a.b: "b" is a property name, not a variable
      const key = (node.type === "MemberExpression" && k === "property" && !node.computed) ||
        (node.type === "Property" && k === "key" && !node.computed);
      out[k] = visit(v, key);
    }
    return out;
  };
  return visit(f.body) as Expression;
}

// acorn's positions are noise in generated trees.
function strip(n: unknown): unknown {
  if (Array.isArray(n)) return n.map(strip);
  if (!n || typeof n !== "object") return n;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(n)) if (k !== "start" && k !== "end" && k !== "raw") out[k] = strip(v);
  return out;
}
