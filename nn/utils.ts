// nn.utils: gradient clipping (more utilities may join).
export { type ClipGradNormOptions, clipGradNorm_, clipGradValue_ } from "./utils/clip-grad";
