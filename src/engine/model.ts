/**
 * A Sequential model (torch.nn.Sequential) over flat buffers.
 *
 * All parameters live in one flat Float32Array and all gradients in another; each layer's
 * weight and bias are views into them. Optimizers therefore see one vector, and a global
 * gradient norm is one loop. Activations are one buffer per layer boundary, sized for the
 * largest batch at construction: acts[0] is the input batch, acts[i+1] is layer i's output,
 * and grads[i] = ∂loss/∂acts[i]. A step (forward + backward) allocates nothing.
 */
import { layerName, planLayer, type LayerConfig } from './layers/registry.js';
import { ShapeMismatch, type Layer, type LayerPlan, type Mode, type ModelBuffer, type Parameter } from './layer.js';
import { Rng } from '../core/rng.js';
import { sizeOf, type Shape } from '../core/shape.js';
import { allocFloat32 } from '../kernels/arena.js';

export interface PlannedLayer {
  readonly config: LayerConfig;
  readonly inShape: Shape;
  readonly plan: LayerPlan;
}

export interface ModelPlan {
  readonly inputShape: Shape;
  readonly outShape: Shape;
  readonly layers: readonly PlannedLayer[];
  readonly parameterCount: number;
  /** 'sequential' (the default): tensors named "<layer index>.<name>" as nn.Sequential; 'bare': by their own name (an objective's `x`). */
  readonly naming?: 'sequential' | 'bare';
}

/** A parameter's or buffer's state_dict name in the plan's naming. */
function stateName(plan: ModelPlan, layer: number, name: string): string {
  return plan.naming === 'bare' ? name : `${layer}.${name}`;
}

/** A layer whose shapes do not fit, with its index in the config's layer list. */
export class LayerShapeError extends Error {
  constructor(
    readonly index: number,
    readonly problem: string,
  ) {
    super(`layer ${index}: ${problem}`);
  }
}

/** Shape inference through the whole stack, without allocating anything. */
export function planModel(configs: readonly LayerConfig[], inputShape: Shape): ModelPlan {
  const layers: PlannedLayer[] = [];
  let shape = inputShape;
  let parameterCount = 0;
  configs.forEach((config, index) => {
    let plan: LayerPlan;
    try {
      plan = planLayer(config, shape);
    } catch (error) {
      if (error instanceof ShapeMismatch) throw new LayerShapeError(index, error.problem);
      throw error;
    }
    layers.push({ config, inShape: shape, plan });
    for (const p of plan.parameters) parameterCount += sizeOf(p.shape);
    shape = plan.outShape;
  });
  return { inputShape, outShape: shape, layers, parameterCount };
}

/** One entry of the model's state_dict: a parameter or a buffer, with its safetensors name. */
export interface StateEntry {
  readonly fullName: string;
  readonly shape: Shape;
  readonly dtype: 'F32' | 'I64';
  /** Index of the layer in the config's list. */
  readonly layer: number;
}

/** The state_dict a plan will have, in torch's order (per layer: parameters, then buffers). */
export function plannedState(plan: ModelPlan): StateEntry[] {
  return plan.layers.flatMap(({ plan: layerPlan }, layer) => [
    ...layerPlan.parameters.map((p) => ({ fullName: stateName(plan, layer, p.name), shape: p.shape, dtype: 'F32' as const, layer })),
    ...(layerPlan.buffers ?? []).map((b) => ({ fullName: stateName(plan, layer, b.name), shape: b.shape, dtype: b.dtype, layer })),
  ]);
}

/** The names of the plan's parameters (not its buffers), in the model's order. */
export function parameterNames(plan: ModelPlan): string[] {
  return plan.layers.flatMap(({ plan: layerPlan }, layer) => layerPlan.parameters.map((p) => stateName(plan, layer, p.name)));
}

/** A parameter with its safetensors name, "<layer index>.<name>" as nn.Sequential names it. */
export interface NamedParameter extends Parameter {
  readonly fullName: string;
}

/** A buffer (running statistics) with its safetensors name. */
export interface NamedBuffer extends ModelBuffer {
  readonly fullName: string;
}

export class Model {
  readonly values: Float32Array;
  readonly grads: Float32Array;
  readonly parameters: readonly NamedParameter[];
  readonly buffers: readonly NamedBuffer[];
  readonly outputWidth: number;
  /** The stream every dropout layer draws its masks from; a checkpoint saves and restores its state. */
  readonly dropoutRng: Rng;
  private readonly layers: readonly Layer[];
  private readonly acts: readonly Float32Array[];
  private readonly actGrads: readonly Float32Array[];

  constructor(
    readonly plan: ModelPlan,
    readonly maxBatch: number,
    seed: number,
  ) {
    this.values = allocFloat32(plan.parameterCount);
    this.grads = allocFloat32(plan.parameterCount);
    const parameters: NamedParameter[] = [];
    const buffers: NamedBuffer[] = [];
    const dropoutRng = new Rng(seed, 'dropout');
    this.dropoutRng = dropoutRng;
    let offset = 0;
    this.layers = plan.layers.map(({ plan: layerPlan }, index) => {
      const bound = layerPlan.parameters.map((spec) => {
        const size = sizeOf(spec.shape);
        const parameter: NamedParameter = {
          ...spec,
          fullName: stateName(plan, index, spec.name),
          value: this.values.subarray(offset, offset + size),
          grad: this.grads.subarray(offset, offset + size),
        };
        offset += size;
        parameters.push(parameter);
        return parameter;
      });
      const state = (layerPlan.buffers ?? []).map((spec) => {
        const size = sizeOf(spec.shape);
        const buffer: NamedBuffer = { ...spec, fullName: stateName(plan, index, spec.name), value: spec.dtype === 'I64' ? new Float64Array(size) : allocFloat32(size) };
        buffers.push(buffer);
        return buffer;
      });
      return layerPlan.build(bound, { maxBatch, rng: dropoutRng }, state);
    });
    this.parameters = parameters;
    this.buffers = buffers;
    const shapes = [plan.inputShape, ...plan.layers.map((l) => l.plan.outShape)];
    this.acts = shapes.map((s) => allocFloat32(maxBatch * sizeOf(s)));
    this.actGrads = shapes.map((s, i) => (i === 0 ? allocFloat32(0) : allocFloat32(maxBatch * sizeOf(s))));
    this.outputWidth = sizeOf(plan.outShape);
    this.initialize(seed);
  }

  /** Where the caller writes the input batch, [maxBatch, input size]. */
  get input(): Float32Array {
    return this.acts[0];
  }

  /** Where the caller writes ∂loss/∂output before calling backward. */
  get outputGrad(): Float32Array {
    return this.actGrads[this.actGrads.length - 1];
  }

  forward(batch: number, mode: Mode): Float32Array {
    this.checkBatch(batch);
    for (let i = 0; i < this.layers.length; i++) this.layers[i].forward(this.acts[i], this.acts[i + 1], batch, mode);
    return this.acts[this.acts.length - 1];
  }

  /** Backpropagates outputGrad through the stack; fills `grads`. Call after forward(batch, 'train'). */
  backward(batch: number): void {
    this.checkBatch(batch);
    for (let i = this.layers.length - 1; i >= 0; i--) {
      this.layers[i].backward(this.acts[i], this.acts[i + 1], this.actGrads[i + 1], i === 0 ? null : this.actGrads[i], batch);
    }
  }

  /** Puts every parameter that has an allowed set back onto it; called after each optimizer step. */
  project(): void {
    for (const layer of this.layers) layer.project?.();
  }

  /** Fresh parameters drawn as torch's defaults draw them, from the seed's init stream; buffers reset. */
  initialize(seed: number): void {
    const rng = new Rng(seed, 'init');
    for (const p of this.parameters) {
      const init = p.init;
      if (init.kind === 'constant') p.value.fill(init.value);
      else if (init.kind === 'normal') for (let i = 0; i < p.value.length; i++) p.value[i] = init.std * rng.normal();
      else if (init.kind === 'values') p.value.set(init.values);
      else for (let i = 0; i < p.value.length; i++) p.value[i] = rng.uniformIn(-init.bound, init.bound);
    }
    for (const b of this.buffers) b.value.fill(b.fill);
  }

  private checkBatch(batch: number): void {
    if (!(batch >= 1 && batch <= this.maxBatch)) throw new RangeError(`batch ${batch} outside 1..${this.maxBatch}`);
  }
}

/** One row of a model summary (Keras's model.summary()): what a layer is, gives and holds. */
export interface LayerSummary {
  /** "<index> <layer name>", as the config lists it. */
  readonly layer: string;
  /** One sample's output shape (the batch dimension left out). */
  readonly outShape: Shape;
  readonly parameters: number;
}

export function summarizeModel(plan: ModelPlan): LayerSummary[] {
  return plan.layers.map(({ config, plan: layerPlan }, index) => ({
    layer: `${index} ${layerName(config)}`,
    outShape: layerPlan.outShape,
    parameters: layerPlan.parameters.reduce((n, p) => n + sizeOf(p.shape), 0),
  }));
}
