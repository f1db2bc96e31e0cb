// The differential property (compiled vs eager on random programs), shared by
// differential.test.ts and by manual runs, which print the shrunk failing program:
//   npx tsx test/compile/fuzz.ts [seed] [runs]
import fc from "fast-check";
import { compile, type Tensor } from "../../index";
import { build, makeInputs, mismatch, type Program, type Recipe, run, show, type Tolerance } from "./programs";

export const TOL: Tolerance = { rtol: 1e-4, atol: 1e-5 };

const step = fc.record({ op: fc.nat(1000), a: fc.nat(1000), b: fc.nat(1000), p: fc.nat(1000), q: fc.nat(1000), k: fc.boolean() });
export const recipe: fc.Arbitrary<Recipe> = fc.record({
  seed: fc.nat(),
  base: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 3 }), // the broadcast shape
  inputs: fc.array(fc.record({ keep: fc.nat(3), ones: fc.nat(7), f64: fc.nat(7).map((n) => n === 0), transposed: fc.boolean() }), { minLength: 1, maxLength: 3 }),
  steps: fc.array(step, { minLength: 1, maxLength: 12 }),
  extraOut: fc.nat(20),
});

// Compiler bugs already reported (see bugs.test.ts): a failing case that one of these recognizes
// is counted in `skipped`, not reported again. Remove an entry when its bug is fixed. (Empty now:
// B2, B8 and B9 had entries, e.g. for B2
//   { bug: "B2", test: ({ error }) => error instanceof SyntaxError && /already been declared/.test(error.message) },
// and a mismatch can be recognized from the program, or by re-running parts of it.)
interface Failure { error?: Error; program: Program; inputs: Tensor[] }
export const KNOWN: { bug: string; test: (f: Failure) => boolean }[] = [];
export const skipped = new Map<string, number>();

function known(f: Failure): boolean {
  const bug = KNOWN.find((k) => k.test(f))?.bug;
  if (bug) skipped.set(bug, (skipped.get(bug) ?? 0) + 1);
  return !!bug;
}

// Compiles the program and runs it on two sets of inputs (the second call is a cache hit that
// reuses the compiled program's buffers), comparing each result with eager. Throws with a
// reproduction when they differ.
export function check(r: Recipe): void {
  const { program, inputs } = build(r);
  const f = compile((...xs: Tensor[]) => run(program, xs));
  const fail = (what: string): never => { throw new Error(`${what}\nprogram:\n${show(program)}`); };
  for (const xs of [inputs, makeInputs(program, r.seed + 1)]) {
    const want = run(program, xs);
    let got: Tensor[];
    try {
      got = f(...xs);
    } catch (e) {
      if (!known({ error: e as Error, program, inputs: xs })) fail(`compiled call threw ${(e as Error).stack}`);
      return;
    }
    const bad = mismatch(got, want, TOL);
    if (bad) {
      if (!known({ program, inputs: xs })) fail(bad);
      return;
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seed = Number(process.argv[2] ?? 1), numRuns = Number(process.argv[3] ?? 300);
  const t = Date.now();
  const out = fc.check(fc.property(recipe, (r) => { check(r); }), { seed, numRuns });
  console.log(out.failed ? `${fc.defaultReportMessage(out)}\n${(out.errorInstance as Error)?.message}`
    : `ok: ${numRuns} runs in ${Date.now() - t} ms; known bugs hit: ${JSON.stringify(Object.fromEntries(skipped))}`);
}
