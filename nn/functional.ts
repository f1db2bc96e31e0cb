// torch.nn.functional for jitgrad: compositions of tensor ops and a few kernel ops (conv, pooling),
// so every function runs eagerly, traces into compile(), and differentiates through the
// primitives' VJPs. One file per family in nn/functional/; F gathers them.
import {
  celu,
  elu,
  gelu,
  glu,
  hardsigmoid,
  hardswish,
  hardtanh,
  leakyRelu,
  logSoftmax,
  logsigmoid,
  mish,
  prelu,
  relu,
  relu6,
  selu,
  sigmoid,
  silu,
  softmax,
  softmin,
  softplus,
  softsign,
  tanh,
  tanhshrink,
} from "./functional/activations";
import { scaledDotProductAttention } from "./functional/attention";
import {
  conv1d,
  conv2d,
  conv3d,
  convTranspose1d,
  convTranspose2d,
  convTranspose3d,
} from "./functional/conv";
import { embedding, oneHot } from "./functional/embedding";
import { fold, unfold } from "./functional/fold";
import { dropout, dropout1d, dropout2d, linear } from "./functional/linear";
import {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  crossEntropy,
  huberLoss,
  klDiv,
  l1Loss,
  mseLoss,
  nllLoss,
  smoothL1Loss,
} from "./functional/losses";
import { batchNorm, groupNorm, instanceNorm, layerNorm, normalize } from "./functional/norm";
import {
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  avgPool1d,
  avgPool2d,
  avgPool3d,
  maxPool1d,
  maxPool2d,
  maxPool3d,
  maxUnpool1d,
  maxUnpool2d,
  maxUnpool3d,
} from "./functional/pool";
import { interpolate, pad } from "./functional/resample";

export * from "./functional/activations";
export * from "./functional/attention";
export * from "./functional/conv";
export * from "./functional/embedding";
export * from "./functional/fold";
export * from "./functional/linear";
export * from "./functional/losses";
export * from "./functional/norm";
export * from "./functional/pool";
export * from "./functional/resample";

export const F = {
  softplus,
  silu,
  mish,
  elu,
  selu,
  celu,
  leakyRelu,
  hardtanh,
  relu6,
  hardsigmoid,
  hardswish,
  logsigmoid,
  softsign,
  tanhshrink,
  glu,
  softmin,
  prelu,
  relu,
  tanh,
  sigmoid,
  gelu,
  softmax,
  logSoftmax,
  linear,
  dropout,
  dropout1d,
  dropout2d,
  embedding,
  oneHot,
  pad,
  interpolate,
  nllLoss,
  crossEntropy,
  mseLoss,
  conv1d,
  conv2d,
  conv3d,
  convTranspose1d,
  convTranspose2d,
  convTranspose3d,
  layerNorm,
  batchNorm,
  groupNorm,
  instanceNorm,
  normalize,
  maxPool1d,
  maxPool2d,
  maxPool3d,
  maxUnpool1d,
  maxUnpool2d,
  maxUnpool3d,
  unfold,
  fold,
  avgPool1d,
  avgPool2d,
  avgPool3d,
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  scaledDotProductAttention,

  l1Loss,
  smoothL1Loss,
  huberLoss,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  klDiv,
};
