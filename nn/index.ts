// The nn namespace: modules (by family in nn/modules/), initializers (nn.init) and the functional
// API (nn.functional).

export * as functional from "./functional";
export * as init from "./init";
export type { AnyModule, StateDict, TensorData } from "./module";
export { buffer, isParameter, Module, parameter } from "./module";
export * from "./modules/activation";
export * from "./modules/container";
export * from "./modules/conv";
export * from "./modules/dropout";
export * from "./modules/flatten";
export * from "./modules/linear";
export * from "./modules/loss";
export * from "./modules/norm";
export * from "./modules/padding";
export * from "./modules/pool";
export * from "./modules/sparse";
export * from "./modules/upsampling";
export * as utils from "./utils";
