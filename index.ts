// jitgrad's public API.

export type { Compiled, CompileOptions, Explanation, GradOptions, Stats } from "./compiler/compile";
export { compile, grad, valueAndGrad } from "./compiler/compile";
export * as data from "./data/index";
export type { DType } from "./ir/dtype";
export { F } from "./nn/functional";
export * as nn from "./nn/index";
export * as optim from "./nn/optim";
export { enableGrad, isGradEnabled, noGrad } from "./runtime/autograd";
export * as autograd from "./runtime/autograd-api";
export type { SaveSafetensorsOptions } from "./runtime/checkpoint";
export {
  load,
  loadSafetensors,
  safetensorsMetadata,
  save,
  saveSafetensors,
} from "./runtime/checkpoint";
export type { TensorOptions } from "./runtime/create";
export {
  arange,
  cat,
  einsum,
  eye,
  full,
  fullLike,
  linspace,
  meshgrid,
  ones,
  onesLike,
  rand,
  randn,
  stack,
  tensor,
  where,
  zeros,
  zerosLike,
} from "./runtime/create";
export { CompileError } from "./runtime/errors";
export { Generator, manualSeed } from "./runtime/random";
export type { RandpermOptions } from "./runtime/randperm";
export { randperm } from "./runtime/randperm";
export type { SerializedTensor, SerializeOptions } from "./runtime/serialize";
export { deserialize, serialize } from "./runtime/serialize";

export type { ValuesIndices } from "./runtime/tensor";

import { PublicTensor, type Tensor as TensorClass } from "./runtime/tensor";
// the class, with its constructor checking user arguments (see runtime/tensor.ts)
export type Tensor = TensorClass;
export const Tensor = PublicTensor;
export type { BackendName } from "./backend/index";
export { getBackend, setBackend } from "./backend/index";
