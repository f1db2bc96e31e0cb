// The compiler's pipeline: for each kind of entry, the named stages a function goes through, in
// order, as data. Each stage is a function that advances one Compilation (the state they share).
//
//   forward  (compile, no gradients recorded, or a whole step that ran backward() while tracing,
//            its backward recorded into the same graph by the autograd engine on tracers):
//            trace, fold, simplify, cse, dce, program
//   autograd (compile, outputs need grad):     trace, differentiate (joint forward+backward, the
//            cotangents as inputs), fold, simplify, cse, dce, partition, program (forward, backward;
//            for a scalar loss also the one-pass program with cotangent 1, see one-pass.ts)
//   grad     (grad, valueAndGrad):             trace, differentiate (cotangent 1), fold, simplify,
//            cse, dce, program
//
// compile() cannot know its kind before tracing (it depends on what the traced function reads), so
// it runs the shared `trace` stage first and then resumes the pipeline of the kind it found.
// `program` plans, fuses and emits the kernels (program.ts); the entry points in compile.ts turn
// the finished Compilation into something callable.
//
// Between stages, when the environment asks for it:
//   JITGRAD_VERIFY=1               checks every graph with the IR verifier (ir/verify.ts); the tests
//                                  always set it
//   JITGRAD_LOG=after:simplify,... prints the graph(s) after the named stages (`after:*`: after
//                                  every stage); it combines with `ir` and `code` (compile.ts prints
//                                  the final IR and the generated code), e.g. JITGRAD_LOG=ir,after:trace
import { isFloat } from "../ir/dtype";
import { type Graph, upstream } from "../ir/graph";
import { printGraph } from "../ir/print";
import { verify } from "../ir/verify";
import { enableGrad, isGradEnabled } from "../runtime/autograd";
import { envVar } from "../runtime/env";
import { CompileError } from "../runtime/errors";
import { dependents, differentiate } from "./autodiff";
import { prefersOnePass, scalarLoss, unitCotangent } from "./one-pass";
import { type Partition, partition } from "./partition";
import { cse } from "./passes/cse";
import { dce } from "./passes/dce";
import { fold } from "./passes/fold";
import { simplify } from "./passes/simplify";
import { buildProgram, type Program } from "./program";
import { primalTensors } from "./run";
import { type Arg, type Result, type Traced, trace } from "./trace";

export type EntryKind = "forward" | "autograd" | "grad";
export type PassName = "fold" | "simplify" | "cse" | "dce";
export type StageName = "trace" | "differentiate" | PassName | "partition" | "program";

// What the stages build up, each filling in its part.
export interface Compilation {
  readonly fn: (...args: Arg[]) => Result;
  readonly args: Arg[];
  readonly grad?: { argnums: number[]; withValue: boolean }; // grad() and valueAndGrad()
  ran: Stage[]; // the stages run so far
  traced?: Traced;
  nOut?: number; // the user's outputs: the graph's first outputs (then, in a forward graph, the
  // new values of inputs updated in place, written back after each call)
  graph?: Graph; // the graph the stages transform (until partition splits it)
  joint?: {
    nPrimals: number; // the joint graph's first inputs are the primals, then come the cotangents
    diffOut: number[]; // the outputs that get a cotangent (float outputs that depend on wrt)
    wrtSlots: number[]; // the input slots that get a gradient
  };
  partition?: Partition;
  forward?: Program; // the program a call runs (forward, grad)
  backward?: Program; // autograd: the program CompiledFunctionBackward runs
  // autograd, a scalar loss, when one-pass.ts's rule prefers it: value and gradients for cotangent
  // 1 in one program, run instead of forward (backward() then only scales)
  onePass?: Program;
}

export interface Stage {
  name: StageName;
  run: (s: Compilation) => void;
}

// ---- the stages ----
function traceStage(gradMode: boolean): Stage {
  return {
    name: "trace",
    run(s) {
      // grad() differentiates whatever the grad mode
      const t = gradMode ? enableGrad(() => trace(s.fn, s.args)) : trace(s.fn, s.args);
      s.traced = t;
      s.nOut = t.graph.outputs.length;
      // then the new values of inputs updated in place, then (a whole step) the new .grad values
      t.graph.outputs = [
        ...t.graph.outputs,
        ...t.mutations.map(([, v]) => v),
        ...(t.step?.gradOuts.map(([, v]) => v) ?? []),
      ];
      s.graph = t.graph;
    },
  };
}

// The passes, in order: each a plain function from graph to graph.
export const passes: [PassName, (g: Graph) => Graph][] = [
  ["fold", fold],
  ["simplify", simplify],
  ["cse", cse],
  ["dce", dce],
];
export const optimize = (g: Graph): Graph => passes.reduce((acc, [, pass]) => pass(acc), g);
const passStages: Stage[] = passes.map(([name, pass]) => ({
  name,
  run(s) {
    s.graph = pass(s.graph!);
  },
}));

// Forward and backward in one graph: the cotangents of the outputs become inputs after the primals,
// the gradients outputs after the user's.
const differentiateJoint: Stage = {
  name: "differentiate",
  run(s) {
    const traced = s.traced!,
      primalsAtTrace = primalTensors(traced, s.args);
    // in-place updates of tensors that get no gradient (batch norm's running statistics) are
    // outputs written back after each call, as in a forward graph; updating a tensor that requires
    // grad would change what its gradient is taken of
    if (traced.mutations.some(([slot]) => primalsAtTrace[slot].requiresGrad))
      throw new CompileError(
        "in-place updates of tensors that require grad inside a compiled function that records gradients are not supported; run it under noGrad()",
      );
    if (traced.step?.gradOuts.length)
      throw new CompileError(
        "a compiled function whose result records gradients cannot assign a computed .grad; call backward() inside it, or assign .grad outside",
      );
    const joint = s.graph!,
      nUser = s.nOut!;
    const nPrimals = joint.inputs.length,
      outputs = joint.outputs;
    // outputs get a gradFn only if they depend on an input requiring grad, and inputs get a gradient
    // only if an output depends on them (others keep .grad null), as in eager
    const wanted = primalsAtTrace.flatMap((t, slot) => (t.requiresGrad ? [slot] : []));
    const live = dependents(
      joint,
      wanted.map((slot) => joint.inputs[slot]),
    );
    const diffOut = outputs.flatMap((v, i) =>
      i < nUser && isFloat(v.dtype) && live.has(v) ? [i] : [],
    );
    const cotangents = diffOut.map((i) => joint.input(outputs[i].shape, outputs[i].dtype));
    const reached = upstream(diffOut.map((i) => outputs[i]));
    const wrtSlots = wanted.filter((slot) => reached.has(joint.inputs[slot]));
    const grads = differentiate(
      joint,
      diffOut.map((i) => outputs[i]),
      cotangents,
      wrtSlots.map((slot) => joint.inputs[slot]),
    );
    joint.outputs = [...outputs, ...grads];
    s.joint = { nPrimals, diffOut, wrtSlots };
  },
};

// grad(): the cotangent of the scalar output is the constant 1, known when compiling, so value and
// gradients are one graph and fuse into the same loops.
const differentiateScalar: Stage = {
  name: "differentiate",
  run(s) {
    const traced = s.traced!,
      g = s.graph!,
      { argnums, withValue } = s.grad!;
    if (traced.mutations.length)
      throw new CompileError("grad(): the function must not update tensors in place");
    if (traced.step)
      throw new CompileError(
        "grad(): the function must not call backward(), assign .grad or step an optimizer; use compile() for a whole training step",
      );
    const out = g.outputs[0];
    if (
      g.outputs.length !== 1 ||
      out.shape.reduce((a, b) => a * b, 1) !== 1 ||
      !isFloat(out.dtype)
    ) {
      throw new TypeError(
        `grad requires a function returning one scalar float Tensor; it returned ${
          g.outputs.length === 1
            ? `a ${out.dtype} tensor of shape [${out.shape.join(", ")}]`
            : `${g.outputs.length} tensors`
        }`,
      );
    }
    const one = out.shape.length
      ? g.add("expand", [g.constant(1, out.dtype)], { shape: out.shape }, out.shape, out.dtype)
      : g.constant(1, out.dtype);
    const grads = differentiate(
      g,
      [out],
      [one],
      argnums.map((n) => g.inputs[traced.argSlots[n]!]),
    );
    g.outputs = withValue ? [out, ...grads] : grads;
  },
};

// The joint graph split into the forward a call runs and the backward its node runs.
const partitionStage: Stage = {
  name: "partition",
  run(s) {
    const g = s.graph!,
      { nPrimals } = s.joint!,
      n = s.nOut! + s.traced!.mutations.length; // the user's outputs, then updated inputs
    s.partition = partition(
      g,
      g.inputs.slice(0, nPrimals),
      g.inputs.slice(nPrimals),
      g.outputs.slice(0, n),
      g.outputs.slice(n),
    );
  },
};

// Planning, fusion and emission (program.ts).
const program: Stage = {
  name: "program",
  run(s) {
    if (s.partition) {
      s.forward = buildProgram(s.partition.forward, "k");
      s.backward = buildProgram(s.partition.backward, "kb");
      const { nPrimals, diffOut } = s.joint!;
      if (scalarLoss(s.graph!.outputs, s.nOut!, diffOut)) {
        const g = optimize(unitCotangent(s.graph!, nPrimals));
        if (isOn(envVar("JITGRAD_VERIFY"))) verify(g, "program (one pass)");
        const fused = buildProgram(g, "p");
        if (prefersOnePass(fused, s.forward, s.backward)) s.onePass = fused;
      }
    } else s.forward = buildProgram(s.graph!);
  },
};

// ---- the pipelines ----
const tracing = traceStage(false);
export const pipelines: Record<EntryKind, readonly Stage[]> = {
  forward: [tracing, ...passStages, program],
  autograd: [tracing, differentiateJoint, ...passStages, partitionStage, program],
  grad: [traceStage(true), differentiateScalar, ...passStages, program],
};

export const stageNames: readonly StageName[] = [
  "trace",
  "differentiate",
  ...passes.map(([name]) => name),
  "partition",
  "program",
];

export function start(fn: Compilation["fn"], args: Arg[], grad?: Compilation["grad"]): Compilation {
  return { fn, args, grad, ran: [] };
}

// compile()'s kind, known once traced: autograd when gradients are recorded for a float output.
// A whole step (the function ran backward()) is a forward graph: its gradients are already in it.
// Autograd when gradients are recorded for a float output that depends on an input requiring grad.
export function compileKind(s: Compilation): "forward" | "autograd" {
  if (s.traced!.step?.backward || !isGradEnabled()) return "forward";
  const g = s.graph!,
    primals = primalTensors(s.traced!, s.args);
  const live = dependents(
    g,
    primals.flatMap((t, slot) => (t.requiresGrad ? [g.inputs[slot]] : [])),
  );
  return g.outputs.slice(0, s.nOut).some((v) => isFloat(v.dtype) && live.has(v))
    ? "autograd"
    : "forward";
}

// Runs the stages of `kind` that have not run yet, through `through` (default: to the end); the
// stages already run must be that pipeline's first ones.
export function runPipeline(kind: EntryKind, s: Compilation, through?: StageName): Compilation {
  const stages = pipelines[kind];
  s.ran.forEach((stage, i) => {
    if (stages[i] !== stage)
      throw new Error(
        `internal: the ${kind} pipeline does not begin with ${s.ran.map((r) => r.name).join(", ")}`,
      );
  });
  const verifying = isOn(envVar("JITGRAD_VERIFY")),
    logged = logRequests();
  for (const stage of stages.slice(s.ran.length)) {
    stage.run(s);
    s.ran.push(stage);
    if (verifying) for (const [which, g] of graphsOf(s)) verify(g, stage.name + which);
    if (logged.has(`after:${stage.name}`) || logged.has("after:*"))
      console.error(`[jitgrad] after ${stage.name}\n${printStage(s)}`);
    if (stage.name === through) break;
  }
  return s;
}

const isOn = (v: string | undefined) => !!v && v !== "0" && v.toLowerCase() !== "false";

// The graphs a compilation has: one, or forward and backward once partitioned (named so in
// verifier errors: "verify after partition (backward): ...").
function graphsOf(s: Compilation): [string, Graph][] {
  if (s.partition)
    return [
      [" (forward)", s.partition.forward],
      [" (backward)", s.partition.backward],
    ];
  return s.graph ? [["", s.graph]] : [];
}
function printStage(s: Compilation): string {
  return s.partition ? printPartition(s.partition) : printGraph(s.graph!);
}
export function printPartition(p: Partition): string {
  return `# forward\n${printGraph(p.forward, p.notes.forward)}\n# backward\n${printGraph(p.backward, p.notes.backward)}`;
}

// JITGRAD_LOG's comma-separated requests: ir, code, after:<stage> (after:* for every stage).
let warned = false;
export function logRequests(): Set<string> {
  const out = new Set(
    (envVar("JITGRAD_LOG") ?? "")
      .split(",")
      .map((r) => r.trim())
      .filter(Boolean),
  );
  const unknown = [...out].filter(
    (r) =>
      r !== "ir" &&
      r !== "code" &&
      r !== "after:*" &&
      !stageNames.some((name) => r === `after:${name}`),
  );
  if (unknown.length && !warned) {
    warned = true;
    console.warn(
      `jitgrad: JITGRAD_LOG: unknown request ${unknown.join(", ")} (known: ir, code, after:*, ${stageNames.map((n) => `after:${n}`).join(", ")})`,
    );
  }
  return out;
}
