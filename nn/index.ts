// The nn namespace: modules, layers, initializers (nn.init) and the functional API (nn.functional).

export * as functional from "./functional";
export * as init from "./init";
export type { LinearOptions } from "./layers";
export { Dropout, GELU, Identity, Linear, ReLU, Sequential, Sigmoid, Tanh } from "./layers";
export type { StateDict, TensorData } from "./module";
export { buffer, isParameter, Module, parameter } from "./module";
export * as utils from "./utils";
