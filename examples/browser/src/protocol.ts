// Messages between the page and the training worker.
export interface Setup {
  type: "setup";
  points: Float32Array; // [n, 2], every point of the data set
  labels: Int32Array;
  grid: number; // the decision regions are predicted on grid x grid points over [-1.1, 1.1]^2
  kernels: string; // the generated JavaScript of the training step (loss + backward, Adam)
  kernelCounts: { lossForward: number; lossBackward: number; optimizer: number };
}
export interface Progress {
  type: "progress";
  step: number;
  epoch: number;
  loss: number; // mean training loss since the last report
  testAccuracy: number; // on the held-out points
  regions: Uint8Array; // predicted class per grid point, row-major from the top left
  stepsPerSecond: number;
  done: boolean;
}
export type FromWorker = Setup | Progress;
