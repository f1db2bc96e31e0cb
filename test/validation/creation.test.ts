// Bad input to creation functions: tensor, zeros, ones, full, rand, randn, arange, linspace, eye,
// zerosLike, onesLike, where, cat, stack, and the exported Tensor constructor.
import { describe, expect, it } from "vitest";
import {
  arange,
  cat,
  deserialize,
  eye,
  full,
  linspace,
  manualSeed,
  ones,
  onesLike,
  rand,
  randn,
  serialize,
  stack,
  Tensor,
  tensor,
  where,
  zeros,
  zerosLike,
} from "../../index";
import { refuses } from "./support";

const bad = (v: unknown) => v as never;
// [1, <empty>, 3]: an array with a hole at index 1
const holey = (a: number, b: number) => {
  const list = [a, 0, b];
  delete list[1];
  return list;
};
const INT_FOR_INT64 = `jitgrad's "int32" plays the part of PyTorch's default int64; use "int32"`;

describe("sizes", () => {
  const fns = { zeros, ones, rand, randn } as const;
  for (const [name, fn] of Object.entries(fns)) {
    it(`${name}: a size element that is not an int is named with its position`, () => {
      refuses(
        () => fn(bad(["2"])),
        TypeError,
        `${name}(): argument 'size' must be tuple of ints, but found element of type str at pos 1`,
      );
      refuses(
        () => fn(bad([2, 2.5])),
        TypeError,
        "must be tuple of ints, but found element of type float at pos 2",
      );
      refuses(() => fn(bad([true])), TypeError, "found element of type bool at pos 1");
      refuses(() => fn(bad([2n])), TypeError, "found element of type bigint at pos 1");
    });
    it(`${name}: a size that is not a list`, () => {
      refuses(
        () => fn(bad("abc")),
        TypeError,
        `${name}(): argument 'size' (position 1) must be tuple of ints, not str`,
      );
      refuses(() => fn(bad("process")), TypeError, "must be tuple of ints, not str");
      refuses(() => fn(bad(null)), TypeError, "must be tuple of ints, not null");
      refuses(() => fn(bad({ length: 2 })), TypeError, 'unknown option "length"');
    });
    it(`${name}: negative sizes, PyTorch's message`, () => {
      refuses(
        () => fn([2, -3]),
        Error,
        "Trying to create tensor with negative dimension -3: [2, -3]",
      );
      refuses(() => fn(-1), Error, "Trying to create tensor with negative dimension -1: [-1]");
    });
  }
  it("the varargs form is accepted, as in PyTorch", () => {
    expect(zeros(2, 3).shape).toEqual([2, 3]);
    expect(ones(4).tolist()).toEqual([1, 1, 1, 1]);
    expect(randn(2, 3).shape).toEqual([2, 3]);
    expect(rand(2, 3, { dtype: "float64" }).dtype).toBe("float64");
    expect(zeros([2, 3], { dtype: "int32" }).dtype).toBe("int32");
    expect(zeros().shape).toEqual([]);
  });
  it("a holey size list and a varargs element that is not an int", () => {
    refuses(() => zeros(bad(holey(2, 3))), TypeError, "has a hole at pos 2");
    refuses(
      () => zeros(2, bad("3")),
      TypeError,
      "zeros(): argument 'size' must be tuple of ints, but found element of type str at pos 2",
    );
  });
  it("a size list is copied once: an element whose valueOf changes cannot pass", () => {
    let n = 0;
    const sneaky = { valueOf: () => (n++ ? "process" : 2) };
    refuses(() => zeros(bad([sneaky])), TypeError, "found element of type object at pos 1");
    // a getter is read once; the tensor has the value that was read
    let reads = 0;
    const list = [2, 3];
    Object.defineProperty(list, 1, { get: () => (reads++ ? -1 : 3), enumerable: true });
    expect(zeros(list).shape).toEqual([2, 3]);
    expect(reads).toBe(1);
  });
  it("huge allocations: an error naming the size, never a raw RangeError", () => {
    refuses(
      () => zeros([2 ** 33]),
      Error,
      "can't allocate memory for a float32 tensor of 8589934592 elements (34359738368 bytes)",
    );
    refuses(() => ones([2 ** 20, 2 ** 20]), Error, "1099511627776 elements");
    refuses(() => randn([2 ** 40]), Error, "can't allocate memory for a float32 tensor");
    refuses(() => zeros([2 ** 30, 2 ** 30, 2 ** 30]), Error, "not a valid element count");
  });
});

describe("dtypes and options", () => {
  it("unknown dtype names, from a prototype-free table, with the known ones listed", () => {
    refuses(() => zeros([2], bad({ dtype: "int64" })), TypeError, INT_FOR_INT64);
    refuses(
      () => zeros([2], bad({ dtype: "constructor" })),
      TypeError,
      'zeros(): unknown dtype "constructor"; jitgrad\'s dtypes are "float32", "float64", "int32" or "bool"',
    );
    refuses(() => ones([2], bad({ dtype: "__proto__" })), TypeError, 'unknown dtype "__proto__"');
    refuses(() => tensor([1], bad({ dtype: "toString" })), TypeError, 'unknown dtype "toString"');
    refuses(() => full([1], 1, bad({ dtype: "uint8" })), TypeError, "jitgrad has no uint8 dtype");
    refuses(() => rand([1], bad({ dtype: 32 })), TypeError, "dtype must be one of");
    refuses(() => eye(2, bad({ dtype: { toString: () => "float32" } })), TypeError, "not object");
  });
  it("unknown option keys are errors naming the key and the known ones", () => {
    refuses(
      () => zeros([2], bad({ dtyp: "float32" })),
      TypeError,
      'zeros(): unknown option "dtyp"; the options are dtype, requiresGrad',
    );
    refuses(
      () => tensor([1], bad({ requires_grad: true })),
      TypeError,
      'tensor(): unknown option "requires_grad"; the options are dtype, requiresGrad, shape',
    );
    refuses(() => arange(3, bad({ device: "cpu" })), TypeError, 'unknown option "device"');
  });
  it("requiresGrad must be a boolean", () => {
    refuses(
      () => zeros([2], bad({ requiresGrad: "yes" })),
      TypeError,
      "zeros(): argument 'requiresGrad' must be bool, not str",
    );
    refuses(() => randn([2], bad({ requiresGrad: 1 })), TypeError, "must be bool, not int");
    refuses(
      () => zeros([2], { dtype: "int32", requiresGrad: true }),
      Error,
      "only Tensors of floating point dtype can require gradients",
    );
  });
  it("inherited option values (a polluted Object.prototype) are never read", () => {
    const proto = Object.prototype as Record<string, unknown>;
    try {
      proto.dtype = "int32";
      proto.requiresGrad = true;
      const t = zeros([2]);
      expect(t.dtype).toBe("float32");
      expect(t.requiresGrad).toBe(false);
      expect(tensor([1, 2]).dtype).toBe("float32");
    } finally {
      delete proto.dtype;
      delete proto.requiresGrad;
    }
  });
  it("options that are not an object", () => {
    refuses(
      () => tensor([1], bad("float64")),
      TypeError,
      "tensor(): options must be an object, not str",
    );
    refuses(() => zerosLike(zeros([1]), bad(5)), TypeError, "options must be an object, not int");
  });
});

describe("tensor(data)", () => {
  it("holes, ragged nesting and values that are not numbers", () => {
    refuses(() => tensor(bad(holey(1, 3))), TypeError, "has a hole at index 1");
    refuses(
      () => tensor(bad([[1, 2], [3]])),
      Error,
      "expected sequence of length 2 at dim 1 (got 1)",
    );
    refuses(
      () => tensor(bad([[1, 2], 3])),
      Error,
      "expected sequence of length 2 at dim 1 (got int)",
    );
    refuses(() => tensor(bad([1, [2]])), Error, "expected a number at dim 1, got a nested array");
    refuses(() => tensor(bad(["a"])), TypeError, "Could not infer dtype of str");
    refuses(() => tensor(bad([1, null])), TypeError, "Could not infer dtype of null");
    refuses(() => tensor(bad([1, undefined])), TypeError, "Could not infer dtype of undefined");
    refuses(() => tensor(bad([1n])), TypeError, "Could not infer dtype of bigint");
    refuses(() => tensor(bad("abc")), TypeError, "Could not infer dtype of str");
    refuses(
      () => tensor(bad([{ valueOf: () => 1 }])),
      TypeError,
      "Could not infer dtype of object",
    );
  });
  it("a hole does not read a polluted Array.prototype", () => {
    const proto = Array.prototype as unknown as Record<number, unknown>;
    try {
      proto[1] = 7;
      refuses(() => tensor(bad(holey(1, 3))), TypeError, "has a hole at index 1");
    } finally {
      delete proto[1];
    }
  });
  it("data nested 10,000 deep: a clear error, no stack overflow", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    refuses(() => tensor(bad(deep)), Error, "data nested more than 64 levels deep");
    let ok: unknown = 1;
    for (let i = 0; i < 8; i++) ok = [ok];
    expect(tensor(bad(ok)).shape).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });
  it("int32 overflow is PyTorch's error, not a wrap; floats truncate as in PyTorch", () => {
    refuses(
      () => tensor([2 ** 31], { dtype: "int32" }),
      Error,
      "value cannot be converted to type int32 without overflow",
    );
    refuses(() => tensor([-(2 ** 31) - 1], { dtype: "int32" }), Error, "without overflow");
    refuses(() => tensor([Number.NaN], { dtype: "int32" }), Error, "without overflow");
    refuses(() => tensor(Float64Array.of(1e10), { dtype: "int32" }), Error, "without overflow");
    expect(tensor([1.5, -2.7, 2 ** 31 - 1], { dtype: "int32" }).tolist()).toEqual([
      1,
      -2,
      2 ** 31 - 1,
    ]);
  });
  it("bool storage holds 0 and 1 only (nonzero and NaN are true)", () => {
    const b = tensor([0, 2, -1, Number.NaN], { dtype: "bool" });
    expect(b.tolist()).toEqual([false, true, true, true]);
    expect([...b.storage!]).toEqual([0, 1, 1, 1]);
    const m = tensor(Uint8Array.of(0, 2, 255), { dtype: "bool" });
    expect([...m.storage!]).toEqual([0, 1, 1]);
    expect(tensor(Float32Array.of(0.5, 0), { dtype: "bool" }).tolist()).toEqual([true, false]);
  });
  it("a Uint8Array without a dtype is refused (no uint8 dtype), with how to convert", () => {
    refuses(
      () => tensor(Uint8Array.of(1, 2, 255)),
      TypeError,
      'tensor(): Uint8Array data is not supported (Float32Array, Float64Array and Int32Array are): jitgrad has no uint8 dtype; pass { dtype: "bool" }',
    );
    refuses(() => tensor(Int16Array.of(1)), TypeError, "Int16Array data is not supported");
    refuses(
      () => tensor(bad(BigInt64Array.of(1n))),
      TypeError,
      "BigInt64Array data is not supported",
    );
    refuses(() => tensor(bad(new DataView(new ArrayBuffer(4)))), TypeError, "DataView data");
    expect(tensor(Uint8Array.of(1, 2, 255), { dtype: "int32" }).tolist()).toEqual([1, 2, 255]);
  });
  it("{ shape } must be a size matching the data", () => {
    refuses(
      () => tensor([1, 2, 3], { shape: [2, 2] }),
      Error,
      "shape '[2, 2]' is invalid for input of size 3",
    );
    refuses(
      () => tensor(Float32Array.of(1, 2), { shape: [3] }),
      Error,
      "invalid for input of size 2",
    );
    refuses(
      () => tensor([1, 2], bad({ shape: ["2"] })),
      TypeError,
      "found element of type str at pos 1",
    );
    refuses(() => tensor([1, 2], { shape: [-2, -1] }), Error, "negative dimension -2");
  });
});

describe("full, arange, linspace, eye", () => {
  it("fill values must be numbers or booleans", () => {
    refuses(
      () => full([2], bad("abc")),
      TypeError,
      "full(): argument 'fill_value' (position 2) must be Number, not str",
    );
    refuses(() => full([2], bad(null)), TypeError, "must be Number, not null");
    refuses(() => full([2], bad(undefined)), TypeError, "must be Number, not undefined");
    refuses(() => full([2], bad([1])), TypeError, "must be Number, not list");
    refuses(() => full([2], 2 ** 31, { dtype: "int32" }), Error, "without overflow");
    expect(full([2], true).tolist()).toEqual([1, 1]);
    expect(full([2], 3, { dtype: "bool" }).tolist()).toEqual([true, true]);
  });
  it("arange: numbers, finite bounds, nonzero step, int32 range", () => {
    refuses(
      () => arange(bad("a")),
      TypeError,
      "arange(): argument 'end' (position 1) must be a number, not str",
    );
    refuses(
      () => arange(0, bad("5")),
      TypeError,
      "argument 'end' (position 2) must be a number, not str",
    );
    refuses(() => arange(0, Number.NaN), Error, "unsupported range: 0 -> NaN");
    refuses(() => arange(0, Number.POSITIVE_INFINITY), Error, "unsupported range: 0 -> Infinity");
    refuses(() => arange(0, 5, 0), Error, "step must be nonzero");
    refuses(
      () => arange(5, 0, 1),
      Error,
      "upper bound and larger bound inconsistent with step sign",
    );
    refuses(
      () => arange(2 ** 31 - 2, 2 ** 31 + 1),
      Error,
      "value cannot be converted to type int32 without overflow",
    );
    refuses(() => arange(0, 2 ** 40), Error, "can't allocate memory for a int32 tensor");
    refuses(() => arange(1, 2, 3, 4 as never), TypeError, "expected 1 to 3 numbers");
    expect(arange(2 ** 31 - 3, 2 ** 31 - 1).tolist()).toEqual([2 ** 31 - 3, 2 ** 31 - 2]);
    expect(arange(3, { dtype: "float64" }).dtype).toBe("float64");
    expect(arange(0, 1, 0.5).tolist()).toEqual([0, 0.5]);
  });
  it("linspace: integer steps >= 0", () => {
    refuses(() => linspace(0, 1, -1), Error, "number of steps must be non-negative");
    refuses(
      () => linspace(0, 1, 2.5),
      TypeError,
      "linspace(): argument 'steps' (position 3) must be int, not float",
    );
    refuses(
      () => linspace(bad("0"), 1, 2),
      TypeError,
      "argument 'start' (position 1) must be a number",
    );
  });
  it("eye: n and m are counts", () => {
    refuses(() => eye(-1), Error, "n must be greater or equal to 0, got -1");
    refuses(() => eye(2, -1), Error, "m must be greater or equal to 0, got -1");
    refuses(
      () => eye(bad("3")),
      TypeError,
      "eye(): argument 'n' (position 1) must be int, not str",
    );
    refuses(() => eye(2.5), TypeError, "must be int, not float");
    expect(eye(2, 3).tolist()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
  });
});

describe("zerosLike, onesLike, where", () => {
  it("zerosLike/onesLike need a tensor", () => {
    refuses(
      () => zerosLike(bad(5)),
      TypeError,
      "zeros_like(): argument 'input' (position 1) must be Tensor, not int",
    );
    refuses(
      () => onesLike(bad([1, 2])),
      TypeError,
      "ones_like(): argument 'input' (position 1) must be Tensor, not list",
    );
    expect(onesLike(zeros([2], { dtype: "int32" })).dtype).toBe("int32");
  });
  it("where: the condition must be a bool tensor; the message names what it got", () => {
    refuses(
      () => where(bad(5), 1, 0),
      TypeError,
      "where(): argument 'condition' (position 1) must be Tensor, not int",
    );
    const x = randn([3]);
    refuses(
      () => where(x, 1, 0),
      Error,
      "where expected condition to be a boolean tensor, but got a tensor with dtype Float",
      x,
    );
    refuses(
      () => where(tensor([1, 2], { dtype: "int32" }), 1, 0),
      Error,
      "but got a tensor with dtype Long",
    );
    refuses(
      () => where(x.gt(0), bad("a"), 0),
      TypeError,
      "where(): argument 'input' (position 2) must be Tensor, not str",
    );
    refuses(
      () => where(x.gt(0), 1, bad(null)),
      TypeError,
      "argument 'other' (position 3) must be Tensor, not null",
    );
  });
});

describe("cat and stack", () => {
  it("lists of tensors only, int dims", () => {
    const x = randn([2, 3]);
    refuses(
      () => cat(bad([x, 5])),
      TypeError,
      "expected Tensor as element 1 in argument 0, but got int",
      x,
    );
    refuses(
      () => stack(bad([x, "a"])),
      TypeError,
      "expected Tensor as element 1 in argument 0, but got str",
    );
    refuses(
      () => cat(bad(x)),
      TypeError,
      "cat(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor",
    );
    refuses(
      () => cat([x, x], bad("a")),
      TypeError,
      "cat(): argument 'dim' (position 2) must be int, not str",
    );
    refuses(
      () => stack([x, x], 0.5),
      TypeError,
      "stack(): argument 'dim' (position 2) must be int, not float",
    );
    refuses(() => cat([]), Error, "torch.cat(): expected a non-empty list of Tensors");
    refuses(() => stack([]), Error, "stack expects a non-empty TensorList");
    refuses(
      () => cat([tensor(1), tensor(2)]),
      Error,
      "zero-dimensional tensor (at position 0) cannot be concatenated",
    );
    refuses(
      () => cat([x, randn([3, 3])], 1),
      Error,
      "Sizes of tensors must match except in dimension 1",
    );
    refuses(
      () => cat([x, x], 2),
      Error,
      "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
    );
  });
  it("cat and stack values and dtypes follow PyTorch (promotion across pieces)", () => {
    const a = tensor([[1, 2]]),
      b = tensor([[3, 4]], { dtype: "int32" });
    expect(cat([a, b]).tolist()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(cat([a, b]).dtype).toBe("float32");
    expect(cat([a, a.double()], 1).dtype).toBe("float64");
    expect(cat([tensor([true]), tensor([2], { dtype: "int32" })]).tolist()).toEqual([1, 2]);
    expect(stack([tensor([1, 2]), tensor([3, 4])], 1).tolist()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(stack([tensor([1, 2]), tensor([3, 4])], -1).shape).toEqual([2, 2]);
  });
  it("10,000 pieces: one output, one CatBackward0 node over all pieces, gradients by slicing", () => {
    manualSeed(0);
    const pieces = Array.from({ length: 10_000 }, (_, i) =>
      full([10], i % 7, { requiresGrad: i % 2 === 0 }),
    );
    const out = cat(pieces);
    expect(out.shape).toEqual([100_000]);
    expect(out.gradFn!.name).toBe("CatBackward0");
    expect(out.gradFn!.nextFunctions.length).toBe(10_000);
    expect(out.gradFn!.nextFunctions[0][0]!.name).toBe("AccumulateGrad");
    expect(out.gradFn!.nextFunctions[1][0]).toBeNull();
    const v = out.values();
    expect(v.slice(0, 12)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    expect(v[99_999]).toBe(9_999 % 7);
    const w = arange(100_000, { dtype: "float32" });
    out.mul(w).sum().backward();
    expect(pieces[2].grad!.tolist()).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
    expect(pieces[1].grad).toBeNull();
    const s = stack(pieces.slice(0, 5_000), 1);
    expect(s.shape).toEqual([10, 5_000]);
    expect(s.gradFn!.name).toBe("StackBackward0");
    expect(s.select(1, 3).tolist()).toEqual(Array(10).fill(3));
  });
});

describe("the exported Tensor constructor", () => {
  const f4 = () => new Float32Array(4);
  it("checks storage, shape, strides, offset and dtype", () => {
    refuses(
      () => new Tensor(new Float32Array(2), [3], [1], 0, "float32"),
      Error,
      "Tensor(): shape [3] with strides [1] and offset 0 reads element 2, but the storage holds 2",
    );
    refuses(() => new Tensor(f4(), [2, 2], [2, 1], 1, "float32"), Error, "reads element 4");
    refuses(
      () => new Tensor(f4(), bad(["process"]), [1], 0, "float32"),
      TypeError,
      "found element of type str at pos 1",
    );
    refuses(
      () => new Tensor(f4(), [4], [1], 0, bad("constructor")),
      TypeError,
      'unknown dtype "constructor"',
    );
    refuses(
      () => new Tensor(f4(), [4], [1], 0, "float64"),
      TypeError,
      "a float64 tensor's storage must be a Float64Array",
    );
    refuses(
      () => new Tensor(bad([1, 2, 3, 4]), [4], [1], 0, "float32"),
      TypeError,
      "must be a Float32Array, not list",
    );
    refuses(
      () => new Tensor(null, [4], [1], 0, "float32"),
      TypeError,
      "must be a Float32Array, not null",
    );
    refuses(() => new Tensor(f4(), [4], [1, 1], 0, "float32"), Error, "one entry per dimension");
    refuses(() => new Tensor(f4(), [4], [-1], 3, "float32"), Error, "must be non-negative");
    refuses(() => new Tensor(f4(), [4], [1], 0, "float32", bad({ n: 0 })), TypeError, "internal");
  });
  it("an object whose valueOf changes between reads cannot pass the check", () => {
    let n = 0;
    const evil = { valueOf: () => (n++ ? "process" : 2), toString: () => (n++ ? "process" : "2") };
    refuses(
      () => new Tensor(f4(), bad([evil]), [1], 0, "float32"),
      TypeError,
      "element of type object",
    );
    const proxy = new Proxy([2, 2], {});
    const t = new Tensor(f4(), proxy, [2, 1], 0, "float32");
    expect(Array.isArray(t.shape) && t.shape !== (proxy as unknown)).toBe(true);
  });
  it("a valid call gives a working tensor; instanceof and subclassing still work", () => {
    const t = new Tensor(Float32Array.of(1, 2, 3, 4), [2, 2], [1, 2], 0, "float32");
    expect(t.tolist()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(t).toBeInstanceOf(Tensor);
    expect(zeros([1])).toBeInstanceOf(Tensor);
    class Named extends Tensor {}
    expect(new Named(f4(), [4], [1], 0, "float32")).toBeInstanceOf(Tensor);
    refuses(() => new Named(f4(), [5], [1], 0, "float32"), Error, "reads element 4");
  });
});

describe("deserialize (the transfer form from postMessage)", () => {
  it("fields read once as own properties; fakes of typed arrays refused; bool data 0/1", () => {
    const fake = { [Symbol.toStringTag]: "Float32Array", length: 2, 0: 1, 1: 2 };
    refuses(
      () => deserialize(bad({ dtype: "float32", shape: [2], data: fake })),
      TypeError,
      "deserialize: data of a float32 tensor must be a Float32Array; got object",
    );
    refuses(
      () => deserialize(bad({ dtype: "constructor", shape: [1], data: new Float32Array(1) })),
      TypeError,
      'deserialize: dtype must be one of float32, float64, int32, bool; got "constructor"',
    );
    refuses(
      () => deserialize(bad({ dtype: "bool", shape: [2], data: Uint8Array.of(1, 7) })),
      TypeError,
      "deserialize: bool data must hold 0 and 1 only; element 1 is 7",
    );
    refuses(
      () =>
        deserialize(
          { dtype: "float32", shape: [2], data: new Float32Array(2) },
          bad({ requires_grad: true }),
        ),
      TypeError,
      'deserialize(): unknown option "requires_grad"',
    );
    refuses(
      () => serialize(bad(new Proxy(zeros([1]), {}))),
      TypeError,
      "serialize: expected a Tensor",
    );
    refuses(
      () => serialize(zeros([1]), bad({ copy: "yes" })),
      TypeError,
      "serialize(): argument 'copy' must be bool, not str",
    );
    refuses(
      () => serialize(zeros([1]), bad({ clone: true })),
      TypeError,
      'serialize(): unknown option "clone"',
    );
    let reads = 0;
    const shape = [2];
    Object.defineProperty(shape, 0, { get: () => (reads++ ? "process" : 2), enumerable: true });
    const t = deserialize({ dtype: "float32", shape, data: Float32Array.of(1, 2) });
    expect(t.shape).toEqual([2]);
    expect(reads).toBe(1);
    const proto = Object.prototype as Record<string, unknown>;
    try {
      proto.dtype = "float32";
      refuses(
        () => deserialize(bad({ shape: [1], data: new Float32Array(1) })),
        TypeError,
        "got undefined",
      );
    } finally {
      delete proto.dtype;
    }
  });
});
