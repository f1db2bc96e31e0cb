// Scalar formulas: an op's JS snippet, e.g. "(a, b) => a * b", parsed once with acorn and
// instantiated by substituting ESTree expressions for its parameters. The snippet comes from the
// op table (compiler-owned text), never from a user.
import { parseExpressionAt } from "acorn";
import type { Expression, Node, Pattern } from "estree";

export interface Formula {
  params: string[];
  body: Expression;
  source: string;
}

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

// Rewritten formulas, made once per (rewrite, formula): `rewrite` maps the body to a new body.
function rewriter(name: string, rewrite: (f: Formula) => Expression): (f: Formula) => Formula {
  const made = new Map<Formula, Formula>();
  return (f) => {
    let w = made.get(f);
    if (!w) {
      w = { params: f.params, source: `${name}(${f.source})`, body: rewrite(f) };
      made.set(f, w);
    }
    return w;
  };
}
const fround = (e: Expression): Expression => ({
  type: "CallExpression",
  optional: false,
  arguments: [e],
  callee: {
    type: "MemberExpression",
    computed: false,
    optional: false,
    object: { type: "Identifier", name: "Math" },
    property: { type: "Identifier", name: "fround" },
  },
});

// Fused kernels keep values in registers as doubles and round only when storing, so a float32
// value recomputed in one kernel can differ in its last bits from the copy another kernel stored.
// Arithmetic tolerates that; an exact comparison does not (x == max(x) must hold at the maximum):
// comparisons of float32 values compare them rounded, as eager compares stored values, and values
// whose exact bits matter (see exactValues in fuse.ts) are rounded at every step.
export const onFloat32 = rewriter("float32 args", (f) =>
  instantiate(
    f,
    f.params.map((p) => fround({ type: "Identifier", name: p })),
  ),
);
export const toFloat32 = rewriter("float32", (f) => fround(f.body));
// int32 ops wrap (`| 0`) in registers exactly as an Int32Array store would wrap them.
export const toInt32 = rewriter("int32", (f) => ({
  type: "BinaryExpression",
  operator: "|",
  left: f.body,
  right: { type: "Literal", value: 0 },
}));

// The formula's body with each parameter replaced by the given expression (a fresh tree).
export function instantiate(f: Formula, args: Expression[]): Expression {
  const byName = new Map(f.params.map((p, i) => [p, args[i]]));
  const visit = (n: unknown, isKey = false): unknown => {
    if (Array.isArray(n)) return n.map((c) => visit(c));
    if (!n || typeof n !== "object") return n;
    const node = n as Record<string, unknown>;
    if (node.type === "Identifier" && !isKey && byName.has(node.name as string))
      return byName.get(node.name as string);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      // a.b: "b" is a property name, not a variable
      const key =
        (node.type === "MemberExpression" && k === "property" && !node.computed) ||
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
  for (const [k, v] of Object.entries(n))
    if (k !== "start" && k !== "end" && k !== "raw") out[k] = strip(v);
  return out;
}
