// Learning-rate schedulers (torch.optim.lr_scheduler, PyTorch 1.13): each step() writes new lrs into
// the optimizer's paramGroups, which the next optimizer step reads at call time (no recompiles).
// Values follow 1.13's recursive get_lr (each lr from the group's current lr), which differs from
// the closed forms in the last bits; the closed forms are used where 1.13 uses them
// (SequentialLR's milestone steps).
export { LRScheduler, type SchedulerState } from "./schedulers/base";
export * from "./schedulers/decay";
export * from "./schedulers/one-cycle";
export * from "./schedulers/plateau";
export * from "./schedulers/sequential";
