/**
 * A loss turns the model output [B, width] and the targets into the mean loss over the batch
 * (torch's reduction='mean'), and, when asked, writes dOut = ∂loss/∂out (the 1/B included).
 * Targets are float32: a class index per sample for cross_entropy, otherwise [B, width] values.
 */
export interface Loss {
  compute(out: Float32Array, target: Float32Array, batch: number, width: number, dOut: Float32Array | null): number;
}

export interface LossKind {
  readonly loss: Loss;
  /** 'class': targets are class indices; 'values': targets are numbers, one per output. */
  readonly targets: 'class' | 'values';
  /** True when the loss reads probabilities, so the model must end in a sigmoid. */
  readonly expectsProbabilities: boolean;
  /** The output value that separates a predicted 0 from a predicted 1 when targets are binary. */
  readonly threshold: number;
  readonly summary: string;
}
