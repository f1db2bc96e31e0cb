// The helpers generated kernels call, chosen by measurement: every kernel is instantiated with
// them in scope (as parameters of the function that creates it), so V8 inlines them into the loop.
import { erf } from "./erf";
import { packPanels } from "./gemm";
import { tanhf } from "./tanhf";

const lib = { tanhf, erf, packPanels };
const names = Object.keys(lib),
  impls = Object.values(lib);

// Creates the function named `name` defined by the generated `source`, with the helpers in scope.
// Each gets a unique first line: V8 shares type feedback between functions made from identical
// source text, which would make kernels for different array types polymorphic (measured 2x slower).
let made = 0;
export function instantiate<F>(source: string, name: string): F {
  if (!/^[A-Za-z_$][\w$]*$/.test(name))
    throw new Error("internal: a kernel name must be an identifier");
  return new Function(...names, `// instance ${++made}\n${source}\nreturn ${name};`)(...impls) as F;
}
