/**
 * The optimizer internals (DESIGN.md; train.internals: {every: K}): at steps K, 2K, ... one
 * internals.csv row per trainable tensor — ‖θ‖ before the step, ‖∂loss/∂θ‖ as backward left it
 * (before clipping and weight decay), ‖Δθ‖ of the step and ‖Δθ‖/‖θ‖, then the quantiles of the
 * optimizer's per-element step sizes (optim/internals.ts). Norms are accumulated in float64.
 *
 * A step that records nothing costs one comparison and allocates nothing; a recording step
 * copies θ into a buffer of the parameter count, allocated once, to measure Δθ whatever the
 * optimizer does (decoupled decay, clipping, momentum); on the MNIST MLP's 100 000 parameters
 * it costs about a tenth of ten training steps (bench/internals.ts).
 */
import type { Model } from '../engine/model.js';
import { allocFloat32 } from '../kernels/arena.js';
import { addScaledWasm, sumOfSquares } from '../kernels/optimizer-kernels.js';
import type { TensorView } from '../optim/groups.js';
import { stepSizeColumns, stepSizeQuantiles, stepSizeScratch, STEP_SIZE_COLUMNS, type StepSizeScratch } from '../optim/internals.js';
import { groupOptimizer, optimizerGroups, type OptimizerConfig, type OptimizerName } from '../optim/registry.js';
import { addScaledReference, type Optimizer } from '../optim/transform.js';
import { formatFloat32 } from '../runs/numbers.js';
import type { InternalsRow } from '../runs/run-writer.js';
import { groupName, tensorViews } from './build.js';
import type { StepObserver } from './step.js';

/** A trainable tensor as recorded: its views of θ, of θ before the step and of its gradient, and its group. */
interface RecordedTensor {
  readonly view: TensorView;
  readonly group: string;
  /** Its group's place in Optimizer.hypers. */
  readonly groupIndex: number;
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * The optimizer whose step sizes it has (a group may name another: Muon's AdamW group), or null
   * when the file has no step-size columns or that optimizer has none: its columns stay empty.
   */
  readonly stepSizes: OptimizerName | null;
  readonly values: Float32Array;
  readonly before: Float32Array;
  readonly grads: Float32Array;
}

export class InternalsRecorder implements StepObserver {
  private pending: InternalsRow[] = [];
  private due = false;
  private readonly tensors: readonly RecordedTensor[];
  private readonly gradNorms: Float64Array;
  private readonly paramNorms: Float64Array;
  /** Where the step sizes' quantiles are computed, one tensor at a time. */
  private readonly scratch: StepSizeScratch;
  private readonly quantiles: number[] = [];

  constructor(
    private readonly every: number,
    config: OptimizerConfig,
    private readonly optimizer: Optimizer,
    model: Model,
  ) {
    // In the engine memory, where the SIMD kernels reach it.
    const before = allocFloat32(model.values.length);
    const slice = (array: Float32Array, view: TensorView): Float32Array => array.subarray(view.offset, view.offset + view.length);
    const tensors = optimizerGroups(config, tensorViews(model)).flatMap((group, groupIndex) =>
      group.frozen
        ? []
        : group.tensors.map((view) => ({
            view,
            group: groupName(group.index),
            groupIndex,
            options: group.options,
            stepSizes: stepSizesOf(config, groupOptimizer(config, group)),
            values: slice(model.values, view),
            before: slice(before, view),
            grads: slice(model.grads, view),
          })),
    );
    // Rows in the model's order (model.safetensors'), whatever the groups' order.
    this.tensors = tensors.sort((a, b) => a.view.offset - b.view.offset);
    this.gradNorms = new Float64Array(this.tensors.length);
    this.paramNorms = new Float64Array(this.tensors.length);
    this.scratch = stepSizeScratch(Math.max(0, ...this.tensors.map((t) => t.view.length)));
  }

  beforeUpdate(): void {
    this.due = (this.optimizer.step + 1) % this.every === 0;
    if (!this.due) return;
    this.tensors.forEach((t, i) => {
      t.before.set(t.values);
      this.paramNorms[i] = Math.sqrt(sumOfSquares(t.values));
      this.gradNorms[i] = Math.sqrt(sumOfSquares(t.grads));
    });
  }

  afterUpdate(): void {
    if (!this.due) return;
    const step = this.optimizer.step;
    this.tensors.forEach((t, i) => {
      const paramNorm = this.paramNorms[i];
      // before ← before − after = −Δθ, each difference rounded once to float32 (exact wherever
      // the update is under half the weight, Sterbenz), then its norm on the SIMD kernel.
      if (!addScaledWasm(t.before, t.values, -1)) addScaledReference(t.before, t.values, -1);
      const updateNorm = Math.sqrt(sumOfSquares(t.before));
      const row: InternalsRow = {
        step: String(step),
        tensor: t.view.name,
        group: t.group,
        param_norm: formatFloat32(paramNorm),
        grad_norm: formatFloat32(this.gradNorms[i]),
        update_norm: formatFloat32(updateNorm),
        update_ratio: formatFloat32(updateNorm / paramNorm),
      };
      const input = { options: t.options, hyper: this.optimizer.hypers[t.groupIndex], step, state: this.optimizer.tensorState(t.view) };
      this.quantiles.length = 0;
      if (t.stepSizes !== null) stepSizeQuantiles(t.stepSizes, input, this.scratch, this.quantiles);
      this.quantiles.forEach((q, k) => (row[STEP_SIZE_COLUMNS[k]] = formatFloat32(q)));
      this.pending.push(row);
    });
  }

  /** The rows recorded since the last call. */
  take(): InternalsRow[] {
    const rows = this.pending;
    this.pending = [];
    return rows;
  }
}

/** The optimizer whose step sizes a group's rows carry, when both the file (the config's optimizer) and it have them. */
function stepSizesOf(config: OptimizerConfig, kind: OptimizerName): OptimizerName | null {
  return stepSizeColumns(config.name).length > 0 && stepSizeColumns(kind).length > 0 ? kind : null;
}
