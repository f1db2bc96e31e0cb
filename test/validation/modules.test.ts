// Bad input to nn modules: constructors check their settings once (PyTorch's wording where it has
// one) and build nothing; forward checks its input in the module's name.
import { describe, it } from "vitest";
import { nn, randn, type Tensor, tensor } from "../../index";
import { refuses } from "./support";

// a value of the wrong type, passed where TypeScript would refuse it
const bad = <T>(v: unknown) => v as T;

describe("module constructors", () => {
  it("convolutions: channels, groups, padding strings and modes, option types", () => {
    refuses(
      () => new nn.Conv2d(3, 4, 3, { groups: 2 }),
      Error,
      "in_channels must be divisible by groups",
    );
    refuses(
      () => new nn.Conv2d(4, 3, 3, { groups: 2 }),
      Error,
      "out_channels must be divisible by groups",
    );
    refuses(
      () => new nn.Conv2d(4, 4, 3, { groups: 0 }),
      Error,
      "groups must be a positive integer",
    );
    refuses(
      () => new nn.Conv2d(4, 4, 3, { padding: bad("full") }),
      Error,
      "Invalid padding string 'full', should be one of {'valid', 'same'}",
    );
    refuses(
      () => new nn.Conv2d(4, 4, 3, { padding: "same", stride: 2 }),
      Error,
      "padding='same' is not supported for strided convolutions",
    );
    refuses(
      () => new nn.Conv1d(4, 4, 3, { paddingMode: bad("mirror") }),
      Error,
      "padding_mode must be one of {'zeros', 'reflect', 'replicate', 'circular'}, but got padding_mode='mirror'",
    );
    refuses(
      () => new nn.ConvTranspose2d(4, 4, 3, { paddingMode: bad("reflect") }),
      Error,
      'Only "zeros" padding mode is supported for ConvTranspose2d',
    );
    refuses(
      () => new nn.Conv2d(4, 4, [3, 3, 3]),
      Error,
      "expected kernel_size to be a single integer value or a list of 2 values",
    );
    refuses(
      () => new nn.Conv2d(4, bad("4"), 3),
      TypeError,
      "Conv2d(): argument 'out_channels' (position 2) must be int, not str",
    );
    refuses(
      () => new nn.Conv2d(4, 4, 3, { bias: bad(1) }),
      TypeError,
      "Conv2d(): argument 'bias' must be bool, not int",
    );
    refuses(
      () => new nn.Conv2d(4, 4, 3, bad({ strides: 2 })),
      TypeError,
      'Conv2d(): unknown option "strides"',
    );
    refuses(
      () => new nn.Conv2d(4, 4, 3, { dtype: bad("int64") }),
      TypeError,
      'unknown dtype "int64"',
    );
  });
  it("pooling: sizes and options", () => {
    refuses(() => new nn.MaxPool2d(bad("2")), TypeError, "must be tuple of ints, not str");
    refuses(
      () => new nn.MaxPool2d(2, { returnIndices: bad("yes") }),
      TypeError,
      "argument 'return_indices' must be bool, not str",
    );
    refuses(
      () => new nn.MaxUnpool2d(2, bad({ outputSize: [4, 4] })),
      TypeError,
      'MaxUnpool2d(): unknown option "outputSize"',
    );
    refuses(() => new nn.MaxPool3d(bad([2, 2])), Error, "a list of 3 values");
    refuses(
      () => new nn.MaxPool2d(2, { ceilMode: bad("yes") }),
      TypeError,
      "argument 'ceil_mode' must be bool, not str",
    );
    refuses(() => new nn.AvgPool1d(2, { divisorOverride: 2 }), TypeError, "AvgPool1d has none");
    refuses(
      () => new nn.AdaptiveAvgPool2d(bad([1, 2, 3])),
      TypeError,
      "output_size must be an int or a list of 2 ints",
    );
    refuses(() => new nn.AdaptiveMaxPool2d(bad([1, "2"])), TypeError, "must be int, not str");
  });
  it("normalization: sizes, momentum, unsupported running statistics of instance norms", () => {
    refuses(() => new nn.GroupNorm(3, 4), Error, "num_channels must be divisible by num_groups");
    refuses(
      () => new nn.BatchNorm2d(bad(2.5)),
      TypeError,
      "argument 'num_features' (position 1) must be int, not float",
    );
    refuses(
      () => new nn.BatchNorm2d(3, { momentum: bad("0.1") }),
      TypeError,
      "argument 'momentum' must be a number, not str",
    );
    refuses(
      () => new nn.BatchNorm1d(3, bad({ track_running_stats: false })),
      TypeError,
      'unknown option "track_running_stats"',
    );
    refuses(
      () => new nn.InstanceNorm2d(3, { trackRunningStats: true }),
      Error,
      "InstanceNorm2d(): trackRunningStats is not supported",
    );
    refuses(() => new nn.LayerNorm(bad("5")), TypeError, "must be tuple of ints, not str");
    refuses(
      () => new nn.LayerNorm([-1]),
      Error,
      "Trying to create tensor with negative dimension -1",
    );
  });
  it("embedding, dropout, flatten, activations", () => {
    refuses(
      () => new nn.Embedding(5, 2, { paddingIdx: 5 }),
      Error,
      "Padding_idx must be within num_embeddings",
    );
    refuses(
      () => new nn.Embedding(5, 2, bad({ maxNorm: 1 })),
      TypeError,
      'Embedding(): unknown option "maxNorm"',
    );
    refuses(
      () => new nn.Dropout2d(1.5),
      Error,
      "dropout probability has to be between 0 and 1, but got 1.5",
    );
    refuses(
      () => new nn.Dropout1d(bad("0.5")),
      TypeError,
      "Dropout1d(): argument 'p' (position 1) must be a number, not str",
    );
    refuses(
      () => new nn.Flatten(bad("1")),
      TypeError,
      "Flatten(): argument 'start_dim' (position 1) must be int, not str",
    );
    refuses(() => new nn.Unflatten(1, []), Error, "unflatten: sizes must be non-empty");
    refuses(
      () => new nn.Hardtanh({ minVal: 1, maxVal: -1 }),
      Error,
      "maxVal must be greater than minVal",
    );
    refuses(
      () => new nn.LeakyReLU(bad(0.2)),
      TypeError,
      "LeakyReLU(): options must be an object, not float",
    );
    refuses(
      () => new nn.ELU({ alpha: bad("1") }),
      TypeError,
      "ELU(): argument 'alpha' must be a number, not str",
    );
    refuses(
      () => new nn.Softplus(bad({ beta: 1, inplace: true })),
      TypeError,
      'Softplus(): unknown option "inplace"',
    );
    refuses(() => new nn.Softmax(), TypeError, "Softmax(): the dim argument is required");
    refuses(
      () => new nn.GLU(bad(0.5)),
      TypeError,
      "GLU(): argument 'dim' (position 1) must be int, not float",
    );
    refuses(() => new nn.PReLU({ numParameters: 0 }), Error, "numParameters must be at least 1");
  });
  it("padding and upsampling", () => {
    refuses(
      () => new nn.ZeroPad2d([1, 2]),
      Error,
      "ZeroPad2d(): padding must be an int or a list of 4 ints, got 2",
    );
    refuses(
      () => new nn.ConstantPad1d(1, bad("0")),
      TypeError,
      "ConstantPad1d(): argument 'value' (position 2) must be a number, not str",
    );
    refuses(
      () => new nn.ReflectionPad1d(bad(1.5)),
      TypeError,
      "argument 'padding' (position 1) must be int, not float",
    );
    refuses(() => new nn.Upsample(), Error, "either size or scale_factor should be defined");
    refuses(
      () => new nn.Upsample({ size: 2, scaleFactor: 2 }),
      Error,
      "only one of size or scale_factor should be defined",
    );
    refuses(
      () => new nn.Upsample({ scaleFactor: 2, mode: bad("bicubic") }),
      Error,
      "mode must be one of 'nearest', 'bilinear'",
    );
    refuses(
      () => new nn.Upsample({ scaleFactor: 2, alignCorners: true }),
      Error,
      "align_corners option can only be set with the interpolating modes",
    );
    refuses(
      () => new nn.UpsamplingBilinear2d(bad({ size: 2, mode: "nearest" })),
      TypeError,
      'unknown option "mode"',
    );
  });
  it("losses: reductions and ranges checked before any data is seen", () => {
    refuses(
      () => new nn.MSELoss({ reduction: bad("avg") }),
      Error,
      "avg is not a valid value for reduction",
    );
    refuses(
      () => new nn.KLDivLoss({ reduction: bad("avg") }),
      Error,
      "avg is not a valid value for reduction",
    );
    refuses(
      () => new nn.L1Loss({ reduction: bad("batchmean") }),
      Error,
      "batchmean is not a valid value for reduction",
    );
    refuses(
      () => new nn.CrossEntropyLoss({ labelSmoothing: 1.5 }),
      Error,
      "label_smoothing must be between 0.0 and 1.0. Got: 1.5",
    );
    refuses(
      () => new nn.HuberLoss({ delta: 0 }),
      Error,
      "huber_loss does not support non-positive values for delta.",
    );
    refuses(
      () => new nn.SmoothL1Loss({ beta: -1 }),
      Error,
      "smooth_l1_loss does not support negative values for beta.",
    );
    refuses(
      () => new nn.NLLLoss({ ignoreIndex: bad(1.5) }),
      TypeError,
      "argument 'ignore_index' must be int, not float",
    );
    refuses(
      () => new nn.BCELoss({ weight: bad([1, 2]) }),
      TypeError,
      "argument 'weight' must be Tensor, not list",
    );
    refuses(
      () => new nn.BCEWithLogitsLoss(bad({ pos_weight: null })),
      TypeError,
      'unknown option "pos_weight"',
    );
    refuses(
      () => new nn.KLDivLoss({ logTarget: bad(1) }),
      TypeError,
      "argument 'log_target' must be bool, not int",
    );
    refuses(
      () => new nn.MSELoss(bad({ size_average: true })),
      TypeError,
      'MSELoss(): unknown option "size_average"',
    );
  });
});

describe("module forward", () => {
  it("inputs of the wrong rank or type, with the module's name; nothing changes", () => {
    const bn = new nn.BatchNorm2d(3),
      x = randn([2, 3]);
    refuses(() => bn.forward(x), Error, "expected 4D input (got 2D input)", x, bn.runningMean!);
    refuses(
      () => new nn.BatchNorm1d(3).forward(randn([2, 3, 4, 5])),
      Error,
      "expected 2D or 3D input (got 4D input)",
    );
    refuses(
      () => new nn.InstanceNorm1d(3).forward(randn([2, 3, 4, 5])),
      Error,
      "expected 2D or 3D input (got 4D input)",
    );
    refuses(
      () => new nn.InstanceNorm2d(3, { affine: true }).forward(randn([2, 4, 3, 3])),
      Error,
      "expected input's size at dim=1 to match num_features (3), but got: 4.",
    );
    refuses(
      () => new nn.Softsign().forward(bad(1)),
      TypeError,
      "Softsign.forward(): argument 'input' (position 1) must be Tensor, not int",
    );
    refuses(
      () => new nn.LeakyReLU().forward(bad("x")),
      TypeError,
      "LeakyReLU.forward(): argument 'input'",
    );
    refuses(
      () => new nn.Flatten().forward(bad(null)),
      TypeError,
      "Flatten.forward(): argument 'input'",
    );
    refuses(
      () => new nn.Conv2d(2, 3, 3).forward(randn([1, 4, 5, 5])),
      Error,
      "Given groups=1, weight of size [3, 2, 3, 3], expected input[1, 4, 5, 5] to have 2 channels, but got 4 channels instead",
    );
    refuses(
      () => new nn.Unflatten(1, [2, 2]).forward(randn([3, 6])),
      Error,
      "unflatten: Provided sizes [2, 2] don't multiply up to the size of dim 1 (6) in the input tensor",
    );
    const e = new nn.Embedding(4, 2),
      idx = tensor([1, 4], { dtype: "int32" });
    refuses(() => e.forward(idx), Error, /index out of range|out of bounds|4/, e.weight);
    refuses(
      () => new nn.Dropout2d().forward(randn([4])),
      Error,
      "dropout2d: Expected 3D or 4D input",
    );
    refuses(
      () => new nn.MSELoss().forward(randn([2]), bad<Tensor>([1, 2])),
      TypeError,
      "argument 'target' (position 2) must be Tensor, not list",
    );
  });
});
