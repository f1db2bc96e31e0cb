// The nn namespace: modules, layers, initializers (nn.init) and the functional API (nn.functional).
export { Module, parameter, buffer, isParameter } from "./module";
export type { StateDict, TensorData } from "./module";
export { Linear, ReLU, Tanh, Sigmoid, Identity, GELU, Dropout, Sequential } from "./layers";
export type { LinearOptions } from "./layers";
export * as init from "./init";
export * as functional from "./functional";
