// The data namespace (PyTorch's torch.utils.data): datasets, DataLoader, randomSplit.

export type { Collated } from "./collate";
export { defaultCollate } from "./collate";
export type { DataLoaderOptions } from "./dataloader";
export { DataLoader } from "./dataloader";
export type { DatasetLike } from "./dataset";
export { Dataset, Subset, TensorDataset } from "./dataset";
export { randomSplit } from "./split";
