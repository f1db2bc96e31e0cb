// The optim namespace: optimizers with PyTorch 1.13's update rules, each step one compiled fused
// update of every parameter (nn/optim/optimizer.ts), and the lr schedulers (optim.lrScheduler).
export * from "./optim/adam";
export * from "./optim/adaptive";
export * as lrScheduler from "./optim/lr-scheduler";
export {
  Optimizer,
  type OptimizerOptions,
  type ParamGroup,
  type ParamGroupInput,
  type Params,
  type SchedulerFields,
} from "./optim/optimizer";
export type { Betas, Rule } from "./optim/rule";
export * from "./optim/sgd";
export type { SavedState, SavedTensor } from "./optim/state-dict";
