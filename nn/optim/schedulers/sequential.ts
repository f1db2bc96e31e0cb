// SequentialLR: schedulers one after the other, switching at milestones.
import * as arg from "../../../runtime/args";
import {
  type AnyOptimizer,
  bisectRight,
  checkOptimizer,
  groupsOf,
  LRScheduler,
  lastEpochOf,
  numberList,
  type SchedulerState,
} from "./base";

/** Options of `SequentialLR`. */
export interface SequentialLROptions {
  /** The schedulers, each used until the next milestone. */
  schedulers: LRScheduler[];
  /** The epochs at which to switch to the next scheduler (one fewer than schedulers). */
  milestones: number[];
  /** The index of the last epoch when resuming. Default -1. */
  lastEpoch?: number;
}
/** Runs schedulers one after the other, switching at the milestones. */
export class SequentialLR {
  readonly optimizer: AnyOptimizer;
  lastEpoch: number;
  private readonly schedulers: LRScheduler[];
  private readonly milestones: number[];
  private lastLr: number[];
  constructor(optimizer: AnyOptimizer, options: SequentialLROptions) {
    const opt = checkOptimizer(optimizer),
      fn = "SequentialLR";
    const o = arg.options(options, fn, ["schedulers", "milestones", "lastEpoch"]);
    if (!Array.isArray(o.schedulers) || o.schedulers.length === 0)
      throw new TypeError(`${fn}(): schedulers must be a non-empty list of schedulers`);
    const schedulers = [...o.schedulers] as LRScheduler[];
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler))
        throw new TypeError(`${fn}(): schedulers[${i}] is ${arg.typeName(s)}, not a scheduler`);
      if (s.optimizer !== opt)
        throw new Error(
          `Sequential Schedulers expects all schedulers to belong to the same optimizer, but got schedulers at index ${i} to be different than the optimizer passed in.`,
        );
    });
    const milestones = arg.intList(o.milestones, fn, "milestones");
    if (milestones.length !== schedulers.length - 1)
      throw new Error(
        `Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers ${schedulers.length} and the number of milestones to be equal to ${milestones.length}`,
      );
    this.optimizer = opt;
    this.schedulers = schedulers;
    this.milestones = milestones;
    this.lastEpoch = lastEpochOf(o.lastEpoch, fn) + 1;
    // as PyTorch: back to the initial lrs, the other schedulers' initial steps undone
    for (const g of groupsOf(opt)) g.lr = g.initialLr ?? g.lr;
    for (const s of schedulers) s.lastEpoch -= 1;
    const first = schedulers[0] as unknown as { initialStep(): void };
    first.initialStep();
    this.lastLr = schedulers[0].getLastLr();
  }
  /** Advances one epoch with the scheduler of that epoch. */
  step(...args: never[]): void {
    if (args.length) throw new TypeError("SequentialLR.step() takes no arguments");
    const epoch = this.lastEpoch + 1;
    const idx = bisectRight(this.milestones, epoch),
      s = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === epoch) s.stepTo(0);
    else s.step();
    this.lastEpoch = epoch;
    this.lastLr = s.getLastLr();
  }
  /** The lrs set by the last step. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }
  /** lastEpoch, lastLr and each scheduler's state. */
  stateDict(): SchedulerState {
    return {
      lastEpoch: this.lastEpoch,
      lastLr: [...this.lastLr],
      milestones: [...this.milestones],
      schedulers: this.schedulers.map((s) => s.stateDict()),
    };
  }
  /** Restores a state from `stateDict()`. */
  loadStateDict(state: SchedulerState): void {
    const fn = "SequentialLR.loadStateDict";
    const o = arg.options(state, fn, ["lastEpoch", "lastLr", "milestones", "schedulers"]);
    const list = o.schedulers;
    if (!Array.isArray(list) || list.length !== this.schedulers.length)
      throw new Error(`${fn}(): expected the states of ${this.schedulers.length} schedulers`);
    const lastEpoch = arg.int(o.lastEpoch, fn, "lastEpoch"),
      lastLr = numberList(o.lastLr, fn, "lastLr");
    // each scheduler checks its own state; a refusal part-way leaves the earlier ones loaded, so
    // check them all on copies first
    const before = this.schedulers.map((s) => s.stateDict());
    try {
      this.schedulers.forEach((s, i) => s.loadStateDict(list[i]));
    } catch (e) {
      this.schedulers.forEach((s, i) => s.loadStateDict(before[i]));
      throw e;
    }
    this.lastEpoch = lastEpoch;
    this.lastLr = lastLr;
  }
}
