// Injection fuzzing: every op's parameters, inside compile() (where values used to reach generated
// code) and eagerly, receive hostile values: code in strings (newlines, U+2028, comment ends),
// objects whose toString/valueOf change between calls, Proxies, Symbols, BigInts, "process" as a
// size, { dtype: "constructor" }, and a polluted Object.prototype. Nothing may run (globalThis.pwned
// stays undefined) and every call must fail with a clear error from the API's checks (no raw
// TypeError from deep inside, no stack overflow).
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  arange,
  CompileError,
  cat,
  compile,
  eye,
  F,
  full,
  linspace,
  nn,
  ones,
  randn,
  stack,
  type Tensor,
  tensor,
  where,
  zeros,
  zerosLike,
} from "../../index";

const g = globalThis as { pwned?: unknown };
afterEach(() => {
  expect(g.pwned).toBeUndefined();
  delete g.pwned;
});

// ---- hostile values ----
const PAYLOADS = [
  "\n;globalThis.pwned=1//",
  "\u2028globalThis.pwned=1",
  "\u2029globalThis.pwned=1",
  "*/globalThis.pwned=1/*",
  "1;globalThis.pwned=1",
  "(globalThis.pwned=1)",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a payload for generated code, not a template
  "`${globalThis.pwned=1}`",
  "process",
  "constructor",
  "__proto__",
  "0",
  "",
];
// an object that is harmless on its first read and a payload afterwards
function shapeShifter(first: unknown): object {
  let reads = 0;
  const next = () => (reads++ === 0 ? first : "\n;globalThis.pwned=1//");
  return { valueOf: next, toString: next, [Symbol.toPrimitive]: next };
}
// a list that is [first] on its first element read and a payload afterwards
function shiftingList(first: unknown): unknown[] {
  let reads = 0;
  const list = new Proxy([first], {
    get(target, key, receiver) {
      if (key === "0") return reads++ === 0 ? first : "globalThis.pwned=1";
      return Reflect.get(target, key, receiver);
    },
  });
  readOnceValid.add(list);
  return list;
}
const hostile = (): [string, unknown][] => [
  ...PAYLOADS.map((p): [string, unknown] => [JSON.stringify(p), p]),
  ...PAYLOADS.slice(0, 3).map((p): [string, unknown] => [`[${JSON.stringify(p)}]`, [p]]),
  ["shape-shifting object (0 first)", shapeShifter(0)],
  ["shape-shifting object (true first)", shapeShifter(true)],
  ["shifting list", shiftingList(0)],
  ["Proxy of an object answering every property", new Proxy({}, { get: () => () => 1 })],
  ["Proxy of a tensor", new Proxy(ones([3, 4]), {})],
  ["Symbol", Symbol("globalThis.pwned=1")],
  ["BigInt", 1n],
  ["{ dtype: 'constructor' }", { dtype: "constructor" }],
  ["{ toString: payload }", { toString: () => "globalThis.pwned=1" }],
  ["NaN", Number.NaN],
  ["undefined-ish null", null],
  [
    "a function",
    () => {
      g.pwned = 1;
      return 1;
    },
  ],
];

// ---- every op, one parameter slot at a time ----
type Slot = (x: Tensor, v: never) => unknown;
const labels = () => tensor([0, 1, 2], { dtype: "int32" });
const SLOTS: [string, Slot, boolean?][] = [
  // reductions
  ["sum dim", (x, v) => x.sum(v)],
  ["sum keepdim", (x, v) => x.sum(0, v)],
  ["mean dim", (x, v) => x.mean(v)],
  ["mean keepdim", (x, v) => x.mean(0, v)],
  ["max dim", (x, v) => x.max(v)],
  ["max keepdim", (x, v) => x.max(1, v)],
  ["min keepdim", (x, v) => x.min(1, v)],
  ["norm p", (x, v) => x.norm(v)],
  ["norm dim", (x, v) => x.norm(2, v)],
  ["norm keepdim", (x, v) => x.norm(2, 0, v)],
  ["softmax dim", (x, v) => x.softmax(v)],
  ["logSoftmax dim", (x, v) => x.logSoftmax(v)],
  // movement
  ["reshape shape", (x, v) => x.reshape(v)],
  ["reshape element", (x, v) => x.reshape([v, -1])],
  ["view element", (x, v) => x.view(3, v)],
  ["expand element", (x, v) => x.expand(v, 3, 4)],
  ["expand list", (x, v) => x.expand(v)],
  ["permute", (x, v) => x.permute(1, v)],
  ["transpose dim0", (x, v) => x.transpose(v, 1)],
  ["transpose dim1", (x, v) => x.transpose(0, v)],
  ["unsqueeze", (x, v) => x.unsqueeze(v)],
  ["squeeze", (x, v) => x.squeeze(v)],
  ["flatten start", (x, v) => x.flatten(v)],
  ["flatten end", (x, v) => x.flatten(0, v)],
  ["narrow dim", (x, v) => x.narrow(v, 0, 1)],
  ["narrow start", (x, v) => x.narrow(0, v, 1)],
  ["narrow length", (x, v) => x.narrow(0, 0, v)],
  ["slice start", (x, v) => x.slice(0, v)],
  ["slice end", (x, v) => x.slice(0, 0, v)],
  ["select index", (x, v) => x.select(0, v)],
  ["shrink starts", (x, v) => x.shrink(v, [1, 1])],
  ["shrink element", (x, v) => x.shrink([0, v], [1, 1])],
  ["pad before", (x, v) => x.pad(v, [0, 0])],
  ["pad element", (x, v) => x.pad([0, 0], [v, 0])],
  // dtypes
  ["to dtype", (x, v) => x.to(v)],
  ["div roundingMode", (x, v) => x.div(2, { roundingMode: v })],
  ["div options", (x, v) => x.div(2, v)],
  // operands
  ...(
    [
      "add",
      "sub",
      "mul",
      "div",
      "pow",
      "maximum",
      "minimum",
      "eq",
      "ne",
      "lt",
      "le",
      "gt",
      "ge",
      "logicalOr",
    ] as const
  ).map((op): [string, Slot] => [`${op} other`, (x, v) => (x[op] as (o: unknown) => Tensor)(v)]),
  ["add alpha", (x, v) => x.add(1, v)],
  ["sub alpha", (x, v) => x.sub(x, v)],
  ["where cond", (x, v) => x.where(v, 0)],
  ["where other", (x, v) => x.where(x.gt(0), v)],
  ["matmul", (x, v) => x.matmul(v)],
  ["mm", (x, v) => x.mm(v)],
  ["expandAs", (x, v) => x.expandAs(v)],
  // in-place (compiled under noGrad: write-backs of a clone)
  ["add_ other", (x, v) => x.clone().add_(v)],
  ["mul_ other", (x, v) => x.clone().mul_(v)],
  ["fill_ value", (x, v) => x.clone().fill_(v)],
  ["copy_ src", (x, v) => x.clone().copy_(v)],
  // creation inside the function
  ["zeros size", (_, v) => zeros(v)],
  ["ones size element", (_, v) => ones([v])],
  ["full size", (_, v) => full(v, 1)],
  ["full value", (_, v) => full([2], v)],
  ["zeros options", (_, v) => zeros([2], v)],
  ["zeros dtype", (_, v) => zeros([2], { dtype: v })],
  ["arange end", (_, v) => arange(v)],
  ["linspace steps", (_, v) => linspace(0, 1, v)],
  ["eye n", (_, v) => eye(v)],
  ["tensor data", (_, v) => tensor([v])],
  ["tensor options", (_, v) => tensor([1], v)],
  ["zerosLike input", (_, v) => zerosLike(v)],
  ["zerosLike dtype", (x, v) => zerosLike(x, { dtype: v })],
  ["cat element", (x, v) => cat([x, v])],
  ["cat dim", (x, v) => cat([x, x], v)],
  ["stack dim", (x, v) => stack([x, x], v)],
  ["where() cond", (x, v) => where(v, x, 0)],
  ["where() other", (x, v) => where(x.gt(0), x, v)],
  // F
  ["F.softmax dim", (x, v) => F.softmax(x, v)],
  ["F.gelu approximate", (x, v) => F.gelu(x, { approximate: v })],
  ["F.dropout p", (x, v) => F.dropout(x, v)],
  ["F.dropout training", (x, v) => F.dropout(x, 0.5, v)],
  ["F.linear weight", (x, v) => F.linear(x, v)],
  ["F.mseLoss reduction", (x, v) => F.mseLoss(x, x, { reduction: v })],
  [
    "F.crossEntropy labelSmoothing",
    (x, v) => F.crossEntropy(x.narrow(0, 0, 3), labels(), { labelSmoothing: v }),
  ],
  ["F.crossEntropy weight", (x, v) => F.crossEntropy(x.narrow(0, 0, 3), labels(), { weight: v })],
  [
    "F.crossEntropy ignoreIndex",
    (x, v) => F.crossEntropy(x.narrow(0, 0, 3), labels(), { ignoreIndex: v }),
  ],
  ["F.nllLoss reduction", (x, v) => F.nllLoss(x.narrow(0, 0, 3), labels(), { reduction: v })],
  ["F.nllLoss target", (x, v) => F.nllLoss(x, v)],
  ["F.gelu options", (x, v) => F.gelu(x, v)],
  // modules and flags
  ["nn.Linear in_features", (x, v) => new nn.Linear(v, 2).forward(x)],
  ["nn.Linear options", (x, v) => new nn.Linear(4, 2, v).forward(x)],
  ["nn.Dropout p", (x, v) => new nn.Dropout(v).forward(x)],
  ["nn.GELU options", (x, v) => new nn.GELU(v).forward(x)],
  ["requiresGrad_ flag", (x, v) => x.clone().requiresGrad_(v)],
  ["train mode", (x, v) => new nn.ReLU().train(v).forward(x)],
  // scans and indexing
  ["cumsum dim", (x, v) => x.cumsum(v)],
  ["newZeros shape", (x, v) => x.newZeros(v)],
  ["newZeros element", (x, v) => x.newZeros([v, 2])],
  ["gather dim", (x, v) => x.gather(v, zeros([3, 4], { dtype: "int32" }))],
  ["gather index", (x, v) => x.gather(0, v)],
  ["scatterAdd dim", (x, v) => x.scatterAdd(v, zeros([3, 4], { dtype: "int32" }), x)],
  ["scatterAdd index", (x, v) => x.scatterAdd(0, v, x)],
  ["scatterAdd src", (x, v) => x.scatterAdd(0, zeros([3, 4], { dtype: "int32" }), v)],
];

// Errors a user can read: our own checks' classes, never an engine error from deep inside.
const RAW =
  /Cannot read prop|Cannot set prop|is not a function|is not iterable|is not a constructor|Cannot convert|Cannot mix BigInt|Invalid array length|Invalid typed array|Maximum call stack|Unexpected token|is not defined|undefined|null \(reading/;
function expectClearError(run: () => unknown): void {
  let thrown: unknown;
  try {
    run();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, "expected a clear error").toBeInstanceOf(Error);
  const e = thrown as Error;
  expect([TypeError, Error, CompileError]).toContain(e.constructor);
  expect(e.message.replace(/not (undefined|null)|got (undefined|null)|, null/g, "")).not.toMatch(
    RAW,
  );
}

// Values that are legitimate in some slots once read: NaN is a number (x.add(NaN) is fine), null is
// PyTorch's None (div's roundingMode), a Proxy with no own keys is an empty options object, and the
// shifting list is [0] when read once (it is copied, so the later payload is never seen). Such a
// call may succeed; it still must not run anything.
const readOnceValid = new WeakSet<object>();
const mayAccept = (v: unknown) =>
  typeof v === "number" ||
  v === null ||
  (typeof v === "object" && (readOnceValid.has(v) || Object.keys(v).length === 0));

describe("hostile parameters inside compile()", () => {
  for (const [slot, f] of SLOTS) {
    it(`${slot}: every hostile value is refused with a clear error, nothing runs`, () => {
      for (const [, v] of hostile()) {
        const x = randn([3, 4]);
        const run = () => compile((t: Tensor) => f(t, v as never) as Tensor)(x);
        if (mayAccept(v)) {
          try {
            run();
          } catch {
            // refused or accepted: either way nothing may run
          }
        } else expectClearError(run);
        expect(g.pwned).toBeUndefined();
      }
    });
  }
});

describe("hostile parameters eagerly", () => {
  it("every slot and value: refused with a clear error, nothing runs", () => {
    for (const [, f] of SLOTS) {
      for (const [, v] of hostile()) {
        const x = randn([3, 4]);
        if (mayAccept(v)) {
          try {
            f(x, v as never);
          } catch {
            // either way
          }
        } else expectClearError(() => f(x, v as never));
        expect(g.pwned).toBeUndefined();
      }
    }
  });
});

describe("fuzzed parameters (fast-check)", () => {
  it("random strings, objects and nestings through random slots: clear errors, nothing runs", () => {
    const value = fc.oneof(
      fc.string(),
      fc.constantFrom(...PAYLOADS),
      fc.string().map((s) => `\n;globalThis.pwned=1//${s}`),
      fc.array(fc.string(), { minLength: 1, maxLength: 3 }),
      fc.object(),
      fc.constantFrom<unknown>(null, undefined, 1n, Symbol("s")),
      fc.string().map((s) => shapeShifter(s.length % 2 ? 0 : true)),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: SLOTS.length - 1 }),
        value,
        fc.boolean(),
        (i, v, compiled) => {
          const [, f] = SLOTS[i];
          const x = randn([3, 4]);
          // an empty object is a valid options object for the option slots, and undefined an absent argument
          const run = compiled
            ? () => compile((t: Tensor) => f(t, v as never) as Tensor)(x)
            : () => f(x, v as never);
          try {
            run();
          } catch (e) {
            expect([TypeError, Error, CompileError]).toContain((e as Error).constructor);
            expect((e as Error).message).not.toMatch(
              /Cannot read prop|is not a function|is not iterable|Maximum call stack|Unexpected token/,
            );
          }
          expect(g.pwned).toBeUndefined();
        },
      ),
      { numRuns: 400, seed: 16 },
    );
  });
});

describe("a polluted Object.prototype", () => {
  const KEYS = [
    "keepdim",
    "dtype",
    "roundingMode",
    "retainGraph",
    "approximate",
    "reduction",
    "weight",
    "labelSmoothing",
    "ignoreIndex",
    "shape",
    "requiresGrad",
    "cacheLimit",
    "argnums",
    "float32",
    "sum",
    "0",
  ];
  it("changes no result and runs nothing, compiled or eager", () => {
    const x = randn([3, 4]);
    const y = labels();
    const program = (t: Tensor, l: Tensor) =>
      F.crossEntropy(t.narrow(0, 0, 3), l)
        .add(t.sum(0).amax(0))
        .add(t.norm())
        .add(F.gelu(t).mean())
        .add(zeros([1]).sum())
        .add(cat([t, t]).softmax(1).sum());
    const want = program(x, y).item();
    const proto = Object.prototype as Record<string, unknown>;
    try {
      for (const k of KEYS) proto[k] = "\n;globalThis.pwned=1//";
      expect(program(x, y).item()).toBeCloseTo(want, 4);
      expect(compile(program)(x, y).item()).toBeCloseTo(want, 4);
    } finally {
      for (const k of KEYS) delete proto[k];
    }
    expect(g.pwned).toBeUndefined();
  });
});
