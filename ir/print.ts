// The IR as text, one line per value: `%4 = mul %2, %3 : f32[128,256]`.
import { short } from "./dtype";
import type { Graph, Value } from "./graph";

const type = (v: Value) => `${short[v.dtype]}[${v.shape.join(",")}]`;
function params(v: Value): string {
  const p = Object.entries(v.params).filter(([, x]) => x !== undefined);
  return p.length
    ? ` {${p.map(([k, x]) => `${k}=${Array.isArray(x) ? `[${x.join(",")}]` : x}`).join(", ")}}`
    : "";
}

export function printValue(v: Value): string {
  const rhs =
    v.op === "input"
      ? `input ${v.slot}`
      : v.op === "const"
        ? `const ${v.constant}`
        : `${v.op} ${v.inputs.map((i) => `%${i.id}`).join(", ")}${params(v)}`;
  return `%${v.id} = ${rhs} : ${type(v)}`;
}

export function printGraph(g: Graph, notes: Map<Value, string> = new Map()): string {
  const lines = g.values.map((v) => printValue(v) + (notes.has(v) ? `  // ${notes.get(v)}` : ""));
  lines.push(`return ${g.outputs.map((v) => `%${v.id}`).join(", ")}`);
  return lines.join("\n");
}
