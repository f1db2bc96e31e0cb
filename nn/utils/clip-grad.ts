// torch.nn.utils.clip_grad_norm_ / clip_grad_value_: rescale or clamp the .grad of parameters in
// place (PyTorch 1.13's formulas: the total norm is the norm of the per-gradient norms, the scale
// max_norm / (total + 1e-6) clamped to 1 and applied even when it is 1).
import { promote } from "../../ir/dtype";
import * as arg from "../../runtime/args";
import { noGrad } from "../../runtime/autograd";
import { full, stack, tensor } from "../../runtime/create";
import { Tensor } from "../../runtime/tensor";

/** Options of `clipGradNorm_` (also accepted as its third argument). */
export interface ClipGradNormOptions {
  /** The p of the p-norm (Infinity or "inf" for the max norm). Default 2. */
  normType?: number | "inf";
  /** Throw when the total norm is NaN or infinite instead of scaling by it. Default false. */
  errorIfNonfinite?: boolean;
}

// a tensor or an iterable of tensors, each checked; only those with a grad
function gradsOf(parameters: unknown, fn: string): Tensor[] {
  let list: unknown[];
  if (Tensor.isTensor(parameters)) list = [parameters];
  else if (
    parameters !== null &&
    typeof parameters === "object" &&
    typeof (parameters as Partial<Iterable<unknown>>)[Symbol.iterator] === "function"
  )
    list = [...(parameters as Iterable<unknown>)];
  else
    throw new TypeError(
      `${fn}(): parameters must be a Tensor or an iterable of Tensors, not ${arg.typeName(parameters)}`,
    );
  return list
    .map((p, i) => {
      if (!Tensor.isTensor(p))
        throw new TypeError(`${fn}(): parameters[${i}] must be a Tensor, not ${arg.typeName(p)}`);
      return p.grad;
    })
    .filter((g): g is Tensor => g !== null);
}

/**
 * Scales the gradients of `parameters` in place so that their total `normType`-norm is at most
 * `maxNorm`; returns the total norm before clipping (a 0-d tensor). As torch's
 * `clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False)`.
 */
export function clipGradNorm_(
  parameters: Tensor | Iterable<Tensor>,
  maxNorm: number,
  normType: number | "inf" | ClipGradNormOptions = 2,
  errorIfNonfinite?: boolean,
): Tensor {
  const fn = "clipGradNorm_";
  let p: unknown = normType,
    strict: unknown = errorIfNonfinite ?? false;
  if (normType !== null && typeof normType === "object") {
    // a fourth argument next to the options object would otherwise be dropped without a word
    if (errorIfNonfinite !== undefined)
      throw new TypeError(
        `${fn}(): errorIfNonfinite given both as an argument and with the options object; pass it in the options`,
      );
    const o = arg.options(normType, fn, ["normType", "errorIfNonfinite"]);
    p = o.normType ?? 2;
    strict = o.errorIfNonfinite ?? false;
  }
  const grads = gradsOf(parameters, fn);
  const max = arg.number(maxNorm, fn, "maxNorm", 2);
  if (!(max >= 0)) throw new Error(`${fn}(): maxNorm must be a non-negative number, got ${max}`);
  const q = p === "inf" ? Infinity : arg.number(p, fn, "normType", 3);
  const check = arg.bool(strict, fn, "errorIfNonfinite", 4);
  if (grads.length === 0) return tensor(0);
  return noGrad(() => {
    const dtype = grads.map((g) => g.dtype).reduce(promote);
    const norms = grads.map((g) => g.detach().norm(q).to(dtype));
    const total = norms.length === 1 ? norms[0] : stack(norms).norm(q);
    if (check && !Number.isFinite(total.item() as number))
      throw new Error(
        `The total norm of order ${q === Infinity ? "inf" : Number.isInteger(q) ? q.toFixed(1) : q} for gradients from \`parameters\` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set \`error_if_nonfinite=False\``,
      );
    const coef = full([], max, { dtype }).div(total.add(1e-6)).clamp(null, 1);
    for (const g of grads) g.mul_(coef);
    return total;
  });
}

/** Clamps the gradients of `parameters` in place to [-clipValue, clipValue] (clip_grad_value_). */
export function clipGradValue_(parameters: Tensor | Iterable<Tensor>, clipValue: number): void {
  const fn = "clipGradValue_";
  const grads = gradsOf(parameters, fn);
  const v = arg.number(clipValue, fn, "clipValue", 2);
  noGrad(() => {
    for (const g of grads) g.copy_(g.clamp(-v, v));
  });
}
