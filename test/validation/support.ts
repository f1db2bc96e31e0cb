// The bad-input suite's one assertion: a call is refused with the given error class and message,
// and the tensors it was given (values, shape, dtype, version, grad, requiresGrad) are unchanged.
import { expect } from "vitest";
import type { Tensor } from "../../index";

type ErrorClass = new (...args: never[]) => Error;

function snapshot(t: Tensor) {
  return {
    shape: [...t.shape],
    dtype: t.dtype,
    values: t.storage ? t.values() : null,
    version: t.version.n,
    grad: t.grad ? t.grad.values() : null,
    requiresGrad: t.requiresGrad,
  };
}

/** `run` throws an `error` (exactly that class) whose message contains or matches `message`; `watched` tensors are unchanged. */
export function refuses(
  run: () => unknown,
  error: ErrorClass,
  message: string | RegExp,
  ...watched: Tensor[]
): void {
  const before = watched.map(snapshot);
  let thrown: unknown;
  try {
    run();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, "the call was expected to throw").toBeInstanceOf(error);
  expect((thrown as Error).constructor).toBe(error);
  if (typeof message === "string") expect((thrown as Error).message).toContain(message);
  else expect((thrown as Error).message).toMatch(message);
  expect(watched.map(snapshot)).toEqual(before);
}
