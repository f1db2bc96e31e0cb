// Bad input to Tensor methods: operands, reductions, movement ops (views), casts, in-place ops.
// Every refused call leaves the tensors it was given unchanged.
import { describe, expect, it } from "vitest";
import { ones, randn, type Tensor, tensor, zeros } from "../../index";
import { refuses } from "./support";

const bad = (v: unknown) => v as never;

describe("operands: a Tensor, a number or a boolean, nothing else", () => {
  const ops = [
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
  ] as const;
  const values: [string, unknown, string][] = [
    ["a string", "abc", "str"],
    ["a numeric string", "1", "str"],
    ["an array", [1, 2], "list"],
    ["an object", {}, "object"],
    ["an object with valueOf", { valueOf: () => 1 }, "object"],
    ["undefined", undefined, "undefined"],
    ["null", null, "null"],
    ["a BigInt", 1n, "bigint"],
    ["a Symbol", Symbol("s"), "symbol"],
    ["a function", () => 1, "function"],
    ["a typed array", Float32Array.of(1), "typed array"],
  ];
  for (const op of ops) {
    it.each(values)(`${op}: %s is refused`, (_, v, type) => {
      const x = randn([3]);
      refuses(
        () => (x[op] as (o: unknown) => Tensor)(v),
        TypeError,
        `${op}(): argument 'other' (position 1) must be Tensor, not ${type}`,
        x,
      );
    });
  }
  it("a Proxy or look-alike of a tensor is not a tensor", () => {
    const x = randn([3]);
    refuses(() => x.add(bad(new Proxy(x, {}))), TypeError, "must be Tensor, not object", x);
    const fake = Object.create(Object.getPrototypeOf(x));
    refuses(() => x.mul(fake), TypeError, "must be Tensor, not object", x);
    refuses(
      () => x.matmul(bad(new Proxy(randn([3, 3]), {}))),
      TypeError,
      "matmul(): argument 'other' (position 1) must be Tensor, not object",
    );
  });
  it("alpha must be a number", () => {
    const x = randn([3]);
    refuses(
      () => x.add(1, bad("2")),
      TypeError,
      "add(): argument 'alpha' must be a number, not str",
      x,
    );
    refuses(
      () => x.sub(x, bad(null)),
      TypeError,
      "sub(): argument 'alpha' must be a number, not null",
      x,
    );
    expect(
      tensor([1, 2])
        .add(tensor([1, 1]), 3)
        .tolist(),
    ).toEqual([4, 5]);
  });
  it("matmul, mm, where, expandAs, copy_ need tensors", () => {
    const x = randn([2, 2]);
    refuses(
      () => x.matmul(bad(5)),
      TypeError,
      "matmul(): argument 'other' (position 1) must be Tensor, not int",
      x,
    );
    refuses(
      () => x.mm(bad([[1]])),
      TypeError,
      "mm(): argument 'mat2' (position 1) must be Tensor, not list",
    );
    refuses(
      () => x.where(bad(true), 0),
      TypeError,
      "where(): argument 'condition' (position 1) must be Tensor, not bool",
    );
    refuses(
      () => x.where(x, 0),
      Error,
      "where expected condition to be a boolean tensor, but got a tensor with dtype Float",
    );
    refuses(
      () => x.where(x.gt(0), bad("0")),
      TypeError,
      "where(): argument 'other' (position 2) must be Tensor, not str",
    );
    refuses(
      () => x.expandAs(bad([2, 2])),
      TypeError,
      "expand_as(): argument 'other' (position 1) must be Tensor, not list",
    );
    refuses(
      () => x.copy_(bad(1)),
      TypeError,
      "copy_(): argument 'src' (position 1) must be Tensor, not int",
      x,
    );
  });
});

describe("reductions", () => {
  const x = randn([3, 4]);
  // (max(dim)/min(dim) take one int dim and return { values, indices }: test/eager/reductions.test.ts)
  for (const op of ["sum", "amax", "amin", "mean"] as const) {
    it(`${op}: dim and keepdim are checked`, () => {
      const f = x[op].bind(x) as (d?: unknown, k?: unknown) => Tensor;
      refuses(
        () => f(0, "\n;globalThis.pwned=1//"),
        TypeError,
        `${op}(): argument 'keepdim' (position 2) must be bool, not str`,
        x,
      );
      refuses(() => f(0, 1), TypeError, "must be bool, not int");
      refuses(() => f(0, null), TypeError, "must be bool, not null");
      refuses(
        () => f("0"),
        TypeError,
        `${op}(): argument 'dim' (position 1) must be int or tuple of ints, not str`,
      );
      refuses(() => f(0.5), TypeError, "must be int, not float");
      refuses(() => f({ dtype: "float64" }), TypeError, "must be int or tuple of ints, not object");
      refuses(
        () => f(["0"]),
        TypeError,
        "must be tuple of ints, but found element of type str at pos 1",
      );
      refuses(
        () => f(2),
        Error,
        "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
      );
      refuses(() => f([0, 0]), Error, "dim 0 appears multiple times in the list of dims");
      expect(f(1, true).shape).toEqual([3, 1]);
    });
  }
  it("keepdim strings never count as true (it used to be truthy)", () => {
    refuses(() => x.sum(0, bad("false")), TypeError, "must be bool, not str", x);
  });
});

describe("movement ops (views)", () => {
  it("reshape/view: ints only, one -1, the empty-tensor ambiguity", () => {
    const x = randn([2, 3]);
    refuses(
      () => x.reshape(bad("process")),
      TypeError,
      "reshape(): argument 'shape' must be tuple of ints, but found element of type str at pos 1",
      x,
    );
    refuses(() => x.reshape(bad([2, "3"])), TypeError, "found element of type str at pos 2");
    refuses(
      () => x.view(2.5, 2),
      TypeError,
      "view(): argument 'size' must be tuple of ints, but found element of type float at pos 1",
    );
    refuses(() => x.reshape(-2, -3), Error, "invalid shape dimension -2");
    refuses(() => x.view(-1, -1), Error, "only one dimension can be inferred");
    refuses(() => x.reshape(4, 2), Error, "shape '[4, 2]' is invalid for input of size 6");
    refuses(
      () => zeros([0]).reshape([0, -1]),
      Error,
      "cannot reshape tensor of 0 elements into shape [0, -1] because the unspecified dimension size -1 can be any value and is ambiguous",
    );
    expect(zeros([0, 3]).reshape(-1, 3).shape).toEqual([0, 3]);
    expect(zeros([0]).reshape(-1).shape).toEqual([0]);
  });
  it("permute, transpose, unsqueeze, squeeze, flatten", () => {
    const x = randn([2, 3]);
    refuses(
      () => x.permute(bad("a"), 1),
      TypeError,
      "permute(): argument 'dims' must be tuple of ints, but found element of type str at pos 1",
      x,
    );
    refuses(() => x.permute(0, 0), Error, "permute(): duplicate dims are not allowed.");
    refuses(
      () => x.transpose(bad("a"), 1),
      TypeError,
      "transpose(): argument 'dim0' (position 1) must be int, not str",
    );
    refuses(
      () => x.transpose(0, 1.5),
      TypeError,
      "transpose(): argument 'dim1' (position 2) must be int, not float",
    );
    refuses(
      () => x.unsqueeze(0.5),
      TypeError,
      "unsqueeze(): argument 'dim' (position 1) must be int, not float",
    );
    refuses(
      () => x.unsqueeze(3),
      Error,
      "Dimension out of range (expected to be in range of [-3, 2], but got 3)",
    );
    refuses(
      () => x.squeeze(bad("a")),
      TypeError,
      "squeeze(): argument 'dim' (position 1) must be int, not str",
    );
    refuses(
      () => x.flatten(bad("a")),
      TypeError,
      "flatten(): argument 'start_dim' (position 1) must be int, not str",
    );
    refuses(
      () => x.flatten(0, bad(null)),
      TypeError,
      "flatten(): argument 'end_dim' (position 2) must be int, not null",
    );
    refuses(
      () => x.flatten(1, 0),
      Error,
      "flatten() has invalid args: start_dim cannot come after end_dim",
    );
  });
  it("expand: ints, negative sizes", () => {
    const x = randn([3, 1]);
    refuses(
      () => x.expand(bad(["3", 2])),
      TypeError,
      "expand(): argument 'size' must be tuple of ints, but found element of type str at pos 1",
      x,
    );
    refuses(
      () => x.expand(-2, 4),
      Error,
      "The expanded size of the tensor (-2) must match the existing size (3) at non-singleton dimension 0.  Target sizes: [-2, 4].  Tensor sizes: [3, 1]",
    );
    refuses(
      () => x.expand(3, -3),
      Error,
      "The expanded size of the tensor (-3) must match the existing size (1) at non-singleton dimension 1",
    );
    refuses(
      () => x.expand(-1, 3, 1),
      Error,
      "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension 0",
    );
  });
  it("narrow, slice, select: ints and bounds", () => {
    const x = randn([3, 4]);
    refuses(
      () => x.narrow(0, 2, 5),
      Error,
      "start (2) + length (5) exceeds dimension size (3).",
      x,
    );
    refuses(() => x.narrow(0, 0, -1), Error, "start (0) + length (-1) exceeds dimension size (3).");
    refuses(
      () => x.narrow(0, 5, 0),
      Error,
      "start out of range (expected to be in range of [-3, 3], but got 5)",
    );
    refuses(
      () => x.narrow(0, -5, 0),
      Error,
      "start out of range (expected to be in range of [-3, 3], but got -5)",
    );
    refuses(
      () => x.narrow(bad("0"), 0, 1),
      TypeError,
      "narrow(): argument 'dim' (position 1) must be int, not str",
    );
    refuses(
      () => x.narrow(0, 0.5, 1),
      TypeError,
      "narrow(): argument 'start' (position 2) must be int, not float",
    );
    refuses(
      () => x.narrow(0, 0, bad("1")),
      TypeError,
      "narrow(): argument 'length' (position 3) must be int, not str",
    );
    refuses(
      () => tensor(1).narrow(0, 0, 1),
      Error,
      "narrow() cannot be applied to a 0-dim tensor.",
    );
    refuses(
      () => x.select(0, 3),
      Error,
      "select(): index 3 out of range for tensor of size [3, 4] at dimension 0",
    );
    refuses(
      () => x.select(0, bad("a")),
      TypeError,
      "select(): argument 'index' (position 2) must be int, not str",
    );
    refuses(
      () => x.slice(0, bad("1")),
      TypeError,
      "slice(): argument 'start' (position 2) must be a number, not str",
    );
    refuses(
      () => x.slice(0, 0.5),
      TypeError,
      "slice(): argument 'start' (position 2) must be int, not float",
    );
    expect(x.slice(0, -Infinity, Infinity).shape).toEqual([3, 4]);
    expect(x.slice(1, 1, 100).shape).toEqual([3, 3]);
  });
  it("shrink: one range per dim, within the tensor (a view never reads past it into its base)", () => {
    const base = tensor([1, 2, 3, 4, 5, 6]);
    const v = base.narrow(0, 1, 2); // [2, 3]
    refuses(
      () => v.shrink([0], [4]),
      Error,
      "shrink(): the range [0, 4) at dimension 0 is not within [0, 2] (tensor of size [2])",
      base,
    );
    refuses(() => v.shrink([-1], [1]), Error, "the range [-1, 1) at dimension 0");
    refuses(() => v.shrink([2], [1]), Error, "the range [2, 1) at dimension 0");
    refuses(
      () => v.shrink([0, 0], [1, 1]),
      Error,
      "shrink(): 'starts' needs one entry per dimension (1), got 2",
    );
    refuses(
      () => v.shrink(bad(["0"]), [1]),
      TypeError,
      "shrink(): argument 'starts' must be tuple of ints, but found element of type str at pos 1",
    );
    refuses(
      () => v.shrink(bad(0), [1]),
      TypeError,
      "shrink(): argument 'starts' (position 1) must be tuple of ints, not int",
    );
    expect(v.shrink([1], [2]).tolist()).toEqual([3]);
  });
  it("pad: one non-negative entry per dim (a short list gave shape [4, NaN])", () => {
    const x = randn([2, 3]);
    refuses(
      () => x.pad([1], [1]),
      Error,
      "pad(): 'before' needs one entry per dimension (2), got 1",
      x,
    );
    refuses(
      () => x.pad([1, 1], [1]),
      Error,
      "pad(): 'after' needs one entry per dimension (2), got 1",
    );
    refuses(() => x.pad([-1, 0], [0, 0]), Error, "pad(): pads must be non-negative, got -1");
    refuses(() => x.pad(bad([1, "1"]), [0, 0]), TypeError, "found element of type str at pos 2");
    expect(x.pad([1, 0], [0, 2]).shape).toEqual([3, 5]);
  });
});

describe("dtypes and casts", () => {
  const x = randn([2]);
  it("to() takes a known dtype name only", () => {
    refuses(
      () => x.to(bad("uint8")),
      TypeError,
      'to(): unknown dtype "uint8"; jitgrad\'s dtypes are "float32", "float64", "int32" or "bool": jitgrad has no uint8 dtype',
      x,
    );
    refuses(
      () => x.to(bad("int64")),
      TypeError,
      "jitgrad's \"int32\" plays the part of PyTorch's default int64",
    );
    refuses(() => x.to(bad("constructor")), TypeError, 'unknown dtype "constructor"');
    refuses(() => x.to(bad("__proto__")), TypeError, 'unknown dtype "__proto__"');
    refuses(() => x.to(bad(undefined)), TypeError, "to(): expected a dtype, got undefined");
    refuses(() => x.to(bad({ dtype: "float64" })), TypeError, "to(): dtype must be one of");
  });
  it("div's roundingMode: 'trunc' and 'floor' round, anything else is refused", () => {
    expect(tensor([3.5, -3.5]).div(2, { roundingMode: "floor" }).tolist()).toEqual([1, -2]);
    expect(tensor([3.5, -3.5]).div(2, { roundingMode: "trunc" }).tolist()).toEqual([1, -1]);
    expect(tensor([7, -7], { dtype: "int32" }).div(2, { roundingMode: "floor" }).tolist()).toEqual([
      3, -4,
    ]);
    refuses(
      () => x.div(2, bad({ roundingMode: "round" })),
      Error,
      "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'round'",
    );
    refuses(
      () => x.div(2, bad({ rounding_mode: "floor" })),
      TypeError,
      'div(): unknown option "rounding_mode"; the options are roundingMode',
    );
    const y = tensor([3.5, -3.5]);
    y.div_(2, { roundingMode: "floor" });
    expect(y.tolist()).toEqual([1, -2]);
    expect(tensor([3]).div(2, { roundingMode: null }).tolist()).toEqual([1.5]);
  });
  it("requiresGrad flags are booleans", () => {
    const t = randn([2]);
    refuses(
      () => t.requiresGrad_(bad("yes")),
      TypeError,
      "requires_grad_(): argument 'requires_grad' (position 1) must be bool, not str",
      t,
    );
    refuses(() => t.requiresGrad_(bad(1)), TypeError, "must be bool, not int", t);
    refuses(
      () => {
        t.requiresGrad = bad("true");
      },
      TypeError,
      "argument 'requires_grad' must be bool, not str",
      t,
    );
  });
});

describe("in-place ops check their arguments before writing", () => {
  it("add_, sub_, mul_, div_, fill_, copy_", () => {
    const x = ones([3]);
    refuses(
      () => x.add_(bad("abc")),
      TypeError,
      "add_(): argument 'other' (position 1) must be Tensor, not str",
      x,
    );
    refuses(
      () => x.add_(1, bad("2")),
      TypeError,
      "add_(): argument 'alpha' must be a number, not str",
      x,
    );
    refuses(
      () => x.sub_(bad(null)),
      TypeError,
      "sub_(): argument 'other' (position 1) must be Tensor, not null",
      x,
    );
    refuses(
      () => x.mul_(bad([2])),
      TypeError,
      "mul_(): argument 'other' (position 1) must be Tensor, not list",
      x,
    );
    refuses(
      () => x.div_(bad(undefined)),
      TypeError,
      "div_(): argument 'other' (position 1) must be Tensor, not undefined",
      x,
    );
    refuses(
      () => x.fill_(bad("abc")),
      TypeError,
      "fill_(): argument 'value' must be Number, not str",
      x,
    );
    refuses(() => x.fill_(bad(1n)), TypeError, "must be Number, not bigint", x);
    refuses(
      () => x.copy_(bad([1, 2, 3])),
      TypeError,
      "copy_(): argument 'src' (position 1) must be Tensor, not list",
      x,
    );
    refuses(
      () => tensor([1], { dtype: "int32" }).fill_(2 ** 31),
      Error,
      "value cannot be converted to type int32 without overflow",
    );
    expect(x.tolist()).toEqual([1, 1, 1]);
    expect(x.fill_(true).tolist()).toEqual([1, 1, 1]);
  });
});

describe("scans and indexing", () => {
  it("cumsum, newZeros, gather, scatterAdd check their arguments", () => {
    const x = randn([3, 4]);
    const idx = zeros([3, 4], { dtype: "int32" });
    refuses(
      () => x.cumsum(bad("0")),
      TypeError,
      "cumsum(): argument 'dim' (position 1) must be int, not str",
      x,
    );
    refuses(
      () => x.cumsum(bad(undefined)),
      TypeError,
      "cumsum(): argument 'dim' (position 1) must be int, not undefined",
    );
    refuses(
      () => x.cumsum(2),
      Error,
      "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
    );
    refuses(
      () => x.newZeros(bad(["2"])),
      TypeError,
      "new_zeros(): argument 'size' must be tuple of ints, but found element of type str at pos 1",
    );
    refuses(
      () => x.newZeros([-1]),
      Error,
      "Trying to create tensor with negative dimension -1: [-1]",
    );
    refuses(
      () => x.gather(bad("0"), idx),
      TypeError,
      "gather(): argument 'dim' (position 1) must be int, not str",
      x,
    );
    refuses(
      () => x.gather(0, bad([[0]])),
      TypeError,
      "gather(): argument 'index' (position 2) must be Tensor, not list",
      x,
    );
    refuses(
      () => x.scatterAdd(0, idx, bad(1)),
      TypeError,
      "scatter_add(): argument 'src' (position 3) must be Tensor, not int",
      x,
    );
    refuses(
      () => x.scatterAdd(0, bad(null), x),
      TypeError,
      "scatter_add(): argument 'index' (position 2) must be Tensor, not null",
      x,
    );
  });
});
