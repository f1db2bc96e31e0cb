// The differential property for forward values: random programs (test/support/programs.ts),
// compiled vs eager. Used by differential.test.ts and by manual runs, which print the shrunk
// failing program:
//   npx tsx test/compile/fuzz.ts [seed] [runs]
import { compile, type Tensor } from "../../index";
import {
  build,
  makeInputs,
  outputsMismatch,
  type Program,
  type Recipe,
  run,
  runIfMain,
  show,
  type Tolerance,
} from "../support/programs";

export const TOL: Tolerance = { rtol: 1e-4, atol: 1e-5 };

// Compiler bugs already reported (see test/regressions/compile.test.ts): a failing case that one of
// these recognizes is counted in `skipped`, not reported again. Remove an entry when its bug is
// fixed. (Empty now:
// B2, B8 and B9 had entries, e.g. for B2
//   { bug: "B2", test: ({ error }) => error instanceof SyntaxError && /already been declared/.test(error.message) },
// and a mismatch can be recognized from the program, or by re-running parts of it.)
interface Failure {
  error?: Error;
  program: Program;
  inputs: Tensor[];
}
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
  const program = build(r, "forward");
  const f = compile((...xs: Tensor[]) => run(program, xs));
  const fail = (what: string): never => {
    throw new Error(`${what}\nprogram (seed ${r.seed}):\n${show(program)}`);
  };
  for (const xs of [makeInputs(program, r.seed), makeInputs(program, r.seed + 1)]) {
    const want = run(program, xs);
    let got: Tensor[];
    try {
      got = f(...xs);
    } catch (e) {
      if (!known({ error: e as Error, program, inputs: xs }))
        fail(`compiled call threw ${(e as Error).stack}`);
      return;
    }
    const bad = outputsMismatch(got, want, TOL);
    if (bad) {
      if (!known({ program, inputs: xs })) fail(bad);
      return;
    }
  }
}

runIfMain(
  import.meta,
  check,
  300,
  () => `; known bugs hit: ${JSON.stringify(Object.fromEntries(skipped))}`,
);
