// F.scaledDotProductAttention: PyTorch 2's formula as a composition (1.13 has no such function).
import { isFloat, scalarTypeName } from "../../ir/dtype";
import { fmtShape } from "../../ir/shape";
import * as arg from "../../runtime/args";
import { tensor } from "../../runtime/create";
import type { Tensor } from "../../runtime/tensor";
import { optionalTensor } from "./norm";

/** Options of `scaledDotProductAttention`. */
export interface AttentionOptions {
  /** Only 0 is supported. */
  dropoutP?: number;
  /** a lower-triangular mask (query i attends to keys 0..i) */
  isCausal?: boolean;
  /** Default 1 / sqrt(E). */
  scale?: number | null;
}
/**
 * PyTorch 2's scaled_dot_product_attention (its math formula): softmax(q k^T * scale + mask) v,
 * for q [..., L, E], k [..., S, E], v [..., S, Ev]; `attnMask`: bool (true: attend) or float
 * (added to the scores), broadcast to [..., L, S]. A composition: the scores, the softmax and the
 * products fuse as matmul epilogues and softmax's kernels do.
 */
export function scaledDotProductAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  attnMask?: Tensor | null,
  opts?: AttentionOptions,
): Tensor {
  const fn = "scaled_dot_product_attention";
  const q = arg.tensorArg(query, fn, "query", 1),
    k = arg.tensorArg(key, fn, "key", 2),
    v = arg.tensorArg(value, fn, "value", 3);
  const mask = optionalTensor(attnMask, fn, "attn_mask", 4);
  const o = arg.options(opts, fn, ["dropoutP", "isCausal", "scale"]);
  const dropoutP = o.dropoutP === undefined ? 0 : arg.number(o.dropoutP, fn, "dropout_p");
  const causal = o.isCausal === undefined ? false : arg.bool(o.isCausal, fn, "is_causal");
  if (dropoutP !== 0) throw new Error(`${fn}(): dropoutP other than 0 is not supported`);
  if (mask && causal)
    throw new Error(
      "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True",
    );
  if (q.ndim < 2 || k.ndim < 2 || v.ndim < 2)
    throw new Error(`${fn}(): query, key and value must have at least 2 dims`);
  const E = q.shape[q.ndim - 1],
    L = q.shape[q.ndim - 2],
    S = k.shape[k.ndim - 2];
  if (k.shape[k.ndim - 1] !== E || v.shape[v.ndim - 2] !== S)
    throw new Error(
      `${fn}(): expected key [..., S, ${E}] and value [..., S, Ev], got key ${fmtShape(k.shape)} and value ${fmtShape(v.shape)}`,
    );
  const scale =
    o.scale === undefined || o.scale === null ? 1 / Math.sqrt(E) : arg.number(o.scale, fn, "scale");
  if (mask && mask.dtype !== "bool" && !isFloat(mask.dtype))
    throw new Error(`${fn}(): attn_mask must be bool or float, got ${scalarTypeName(mask.dtype)}`);
  let scores = q.matmul(k.mT).mul(scale);
  if (causal) {
    const tril = Array.from({ length: L * S }, (_, i) => Math.floor(i / S) >= i % S);
    scores = scores.where(tensor(tril, { dtype: "bool" }).reshape([L, S]), -Infinity);
  } else if (mask)
    scores = mask.dtype === "bool" ? scores.where(mask, -Infinity) : scores.add(mask);
  return scores.softmax(-1).matmul(v);
}

/** The functional API as one object, as `torch.nn.functional` is usually imported (`F`). */
