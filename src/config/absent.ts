/**
 * Names a PyTorch user writes that adam-lab leaves out on purpose, with why. An edit-distance
 * guess would send them to the wrong key ("in_features" → "out_features"); the reason is the help.
 */

/** Keys of a layer's options that adam-lab infers. */
export const INFERRED_KEYS: Readonly<Record<string, string>> = {
  in_features: 'input sizes are inferred from the layer before (or the dataset); give only out_features',
  in_channels: 'input sizes are inferred from the layer before (or the dataset); give only out_channels',
  num_features: 'the feature count is inferred from the layer before; write batchnorm1d or batchnorm2d alone',
};

/** Layers adam-lab has no use for, and what to write instead. */
export const ABSENT_LAYERS: Readonly<Record<string, string>> = {
  softmax: 'cross_entropy takes logits and applies log-softmax itself (as torch.nn.CrossEntropyLoss does): end the model with its last linear layer',
  log_softmax: 'cross_entropy takes logits and applies log-softmax itself (as torch.nn.CrossEntropyLoss does): end the model with its last linear layer',
};
