// Raised while tracing when the function does something a compiled graph cannot express.
export class CompileError extends Error {
  override name = "CompileError";
}
