// Raised while tracing when the function does something a compiled graph cannot express.
/**
 * Thrown while tracing when the function does something a compiled graph cannot express (reading
 * values, in-place updates of views, ...).
 */
export class CompileError extends Error {
  override name = "CompileError";
}
