// The backend the runtime and compiler use. One today (JavaScript); the WebAssembly backend will
// take the kernels it renders better, chosen per kernel by the compiler.
import type { Backend } from "./backend";
import { js } from "./js/index";

export const backend: Backend = js;
export type { Backend, Combine, Kernel, Launch, Strided } from "./backend";
