// A custom autograd Function's output inside a traced graph (runtime/function.ts): the value its
// forward computed (operand 0), tied to the call's tensor arguments (the other operands), so the
// graph's autodiff runs the user's backward at this value (compiler/autodiff.ts, by the call id)
// instead of differentiating the forward's ops: JAX's custom_vjp. Once differentiated it is the
// identity on operand 0, and simplify replaces it by that, so it never reaches code generation.
import { kernel, type OpDef } from "../op-def";

export interface CustomParams {
  call: number; // the call's id in its graph (one call, many outputs)
  output: number; // which of the call's differentiable outputs
}

export const customOps = {
  custom: kernel<CustomParams>({
    operands: "strided",
    epilogue: false,
    grad: "",
    dtype: ([y]) => y.dtype,
    shape: ([y]) => [...y.shape],
    vjp: () => {
      throw new Error("internal: a custom Function's value is differentiated by its call");
    },
  }),
} satisfies Record<string, OpDef<never>>;
