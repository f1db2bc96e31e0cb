// jitgrad's public API.
export { Tensor } from "./runtime/tensor";
export { tensor, zeros, ones, full, rand, randn, arange, linspace, eye, zerosLike, onesLike, where, cat, stack } from "./runtime/create";
export type { TensorOptions } from "./runtime/create";
export { manualSeed } from "./runtime/random";
export { noGrad, enableGrad, isGradEnabled } from "./runtime/autograd";
export { CompileError } from "./runtime/errors";
export type { DType } from "./ir/dtype";
export { compile, grad, valueAndGrad } from "./compiler/compile";
export type { CompileOptions, Compiled, Explanation, Stats, GradOptions } from "./compiler/compile";
export * as nn from "./nn/index";
export { F } from "./nn/functional";
export * as optim from "./nn/optim";
