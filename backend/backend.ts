// What a backend offers the layers above: kernel plans rendered and made runnable, a driver that
// launches a program's kernels in order, scalar formulas evaluated on numbers (constant folding),
// and the eager kernels the runtime calls op by op.
import type { DType, Storage } from "../ir/dtype";
import type { IndexMap } from "../ir/index-map";
import type { IndexError, KernelOpName, Params, ScanOpName } from "../ir/ops";
import type { Scalar } from "../ir/scalar";
import type { LoopKernel } from "./plan";

export type Kernel = (...bufs: Storage[]) => void;
// A strided view of a storage: what eager kernels read and write.
export interface Strided {
  storage: Storage | null;
  shape: readonly number[];
  strides: readonly number[];
  offset: number;
}
// One kernel launch of a program: which kernel, and the program's buffer slots it takes.
export interface Launch {
  kernel: number;
  args: number[];
}
export interface Combine {
  combine: Scalar; // of (accumulator, value)
  init: number;
  dtype: DType;
}

export interface Backend {
  readonly name: string;
  // false where code generation is refused (strict CSP): eager plans are then interpreted, and
  // compile() runs functions eagerly
  readonly generates: boolean;
  // A plan as a runnable kernel, and its source for explain()
  kernel(plan: LoopKernel): { run: Kernel; source: string };
  // runs `launches` in order over the program's buffers
  driver(launches: Launch[]): (buffers: Storage[], kernels: Kernel[]) => void;
  evaluate(f: Scalar, args: readonly number[], dtype: DType): number;
  // eager: out = f(ins...) elementwise; out = combine over dims; a kernel op; out[i] = src at the
  // index map's position (0 where its mask fails); out = x read at index along a dim; a copy
  pointwise(f: Scalar, dtype: DType, ins: Strided[], out: Strided): void;
  reduce(r: Combine, x: Strided, dims: number[], out: Strided): void;
  kernelOp(op: KernelOpName, ins: Strided[], out: Strided, p: Params): void;
  remap(src: Strided, map: IndexMap, out: Strided): void;
  gather(x: Strided, index: Strided, along: { dim: number; error: IndexError }, out: Strided): void;
  copy(src: Strided, out: Strided): void;
  scan(op: ScanOpName, dim: number, dtype: DType, x: Strided, out: Strided): void;
}
