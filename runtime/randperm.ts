// randperm: a random permutation of 0..n-1 in PyTorch 1.13's CPU order for the same seed.
import { allocate } from "../ir/dtype";
import * as arg from "./args";
import { fillRandperm, Generator, withGenerator } from "./random";
import { Tensor } from "./tensor";

/** Options of {@link randperm}. */
export interface RandpermOptions {
  /** The generator to draw from; default the global one (`manualSeed`). */
  generator?: Generator;
  /** `"int32"` (default; jitgrad's int32 plays PyTorch's int64), `"float32"` or `"float64"`. */
  dtype?: "int32" | "float32" | "float64";
  /** Make a leaf that requires gradients (floating-point dtypes only). Default false. */
  requiresGrad?: boolean;
}

/** The `generator` option of a sampler: undefined (the global generator) or a `Generator`. */
export function generatorArg(v: unknown, fn: string): Generator | undefined {
  if (v === undefined || v instanceof Generator) return v;
  throw new TypeError(
    `${fn}(): argument 'generator' must be torch.Generator, not ${arg.typeName(v)}`,
  );
}

/**
 * A random permutation of the integers 0..n-1 (PyTorch's `torch.randperm`): after the same seed it
 * is the permutation PyTorch 1.13 gives on the CPU (ATen's Fisher-Yates over mt19937 draws), and it
 * advances the generator by n - 1 draws as PyTorch does.
 */
export function randperm(n: number, options?: RandpermOptions): Tensor {
  const size = arg.int(n, "randperm", "n", 1);
  const o = arg.options(options, "randperm", ["generator", "dtype", "requiresGrad"]);
  const generator = generatorArg(o.generator, "randperm");
  const dtype = arg.dtype(o.dtype, "randperm") ?? "int32";
  const requiresGrad =
    o.requiresGrad === undefined ? false : arg.bool(o.requiresGrad, "randperm", "requiresGrad");
  if (size < 0)
    throw new RangeError(`Trying to create tensor with negative dimension ${size}: [${size}]`);
  if (dtype === "bool") throw new TypeError(`"randperm" not implemented for 'Bool'`);
  if (dtype === "float32" && size > 2 ** 24 + 1)
    throw new RangeError("n cannot be greater than 2^24+1 for Float type.");
  if (size > 2 ** 31)
    throw new RangeError(`randperm(): n = ${size} does not fit jitgrad's int32 indices`);
  if (requiresGrad && dtype === "int32")
    throw new Error("Only Tensors of floating point and complex dtype can require gradients");
  const out = allocate(dtype, size) as Int32Array | Float32Array | Float64Array;
  withGenerator(generator, () => fillRandperm(out));
  const t = new Tensor(out, [size], [1], 0, dtype);
  if (requiresGrad) t.requiresGrad_(true);
  return t;
}
