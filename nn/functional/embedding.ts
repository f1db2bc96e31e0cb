// F.embedding and F.oneHot: reads at computed positions (gather), bounds-checked in the kernel.
import { IndexError } from "../../ir/ops";
import * as arg from "../../runtime/args";
import { composite } from "../../runtime/composite";
import { arange } from "../../runtime/create";
import { activeTrace } from "../../runtime/dispatch";
import { CompileError } from "../../runtime/errors";
import { checkedIndex } from "../../runtime/index-ops";
import type { Tensor } from "../../runtime/tensor";

const checkedClasses = (idx: Tensor, n: number) =>
  checkedIndex(idx, n, 0, IndexError.oneHot, false);

export interface EmbeddingOptions {
  paddingIdx?: number | null;
  maxNorm?: number | null;
  normType?: number;
  scaleGradByFreq?: boolean;
  sparse?: boolean;
}
/**
 * The rows of `weight` ([num, dim]) that `input` (int32, any shape) picks: [...input.shape, dim].
 * paddingIdx: that row gets no gradient. maxNorm, scaleGradByFreq and sparse are not supported
 * (an error when set).
 */
export function embedding(input: Tensor, weightArg: Tensor, opts?: EmbeddingOptions): Tensor {
  const idx = arg.tensorArg(input, "embedding", "input", 1),
    weight = arg.tensorArg(weightArg, "embedding", "weight", 2);
  const o = arg.options(opts, "embedding", [
    "paddingIdx",
    "maxNorm",
    "normType",
    "scaleGradByFreq",
    "sparse",
  ]);
  if (o.maxNorm !== undefined && o.maxNorm !== null)
    throw new Error("embedding(): maxNorm is not supported (it renormalizes weight in place)");
  if (o.normType !== undefined && arg.number(o.normType, "embedding", "normType") !== 2)
    throw new Error("embedding(): normType is only used with maxNorm, which is not supported");
  if (
    o.scaleGradByFreq !== undefined &&
    arg.bool(o.scaleGradByFreq, "embedding", "scaleGradByFreq")
  )
    throw new Error("embedding(): scaleGradByFreq is not supported");
  if (o.sparse !== undefined && arg.bool(o.sparse, "embedding", "sparse"))
    throw new Error("embedding(): sparse gradients are not supported");
  if (idx.dtype !== "int32")
    throw new Error(
      `Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got ${torchTensorType(idx)} instead (while checking arguments for embedding)`,
    );
  if (weight.ndim !== 2) throw new Error("'weight' must be 2-D");
  const num = weight.shape[0];
  let pad: number | null = null;
  if (o.paddingIdx !== undefined && o.paddingIdx !== null) {
    pad = arg.int(o.paddingIdx, "embedding", "paddingIdx");
    if (pad >= num || pad < -num) throw new Error("Padding_idx must be within num_embeddings");
    if (pad < 0) pad += num;
  }
  const padding = pad;
  return composite("EmbeddingBackward0", [weight], (w) => {
    const rows = w.indexSelect(0, idx.reshape([-1])).reshape([...idx.shape, w.shape[1]]);
    if (padding === null) return rows;
    // the padding row's value, without a gradient
    return rows.where(idx.ne(padding).unsqueeze(-1), rows.detach());
  });
}
const torchTensorType = (t: Tensor) =>
  ({
    float32: "torch.FloatTensor",
    float64: "torch.DoubleTensor",
    int32: "torch.LongTensor",
    bool: "CPUBoolType", // (PyTorch 1.13's name for a bool tensor here)
  })[t.dtype];

/**
 * One-hot encoding of an int32 tensor: [...input.shape, numClasses] of 0 and 1 (int32).
 * numClasses -1 (default): one more than the largest value (eager only: it reads the values).
 */
export function oneHot(input: Tensor, numClasses = -1): Tensor {
  const idx = arg.tensorArg(input, "one_hot", "input", 1);
  let n = arg.int(numClasses, "one_hot", "num_classes", 2);
  if (idx.dtype !== "int32") throw new Error("one_hot is only applicable to index tensor.");
  if (n === -1) {
    if (activeTrace())
      throw new CompileError(
        "oneHot() with numClasses -1 reads the values to find the number of classes, which compile() cannot trace; pass numClasses",
      );
    if (idx.numel() === 0)
      throw new Error("Can not infer total number of classes from empty tensor.");
    n = Math.max(...idx.values()) + 1;
  } else if (n < -1) throw new Error("num_classes should be positive");
  return checkedClasses(idx, n).unsqueeze(-1).eq(arange(n)).int();
}
