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

// The formula with its result wrapped to int32 (`(...) | 0`), as an Int32Array store would: fused
// kernels keep values in registers, so integer ops wrap there exactly as eager ops do in memory.
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
