/**
 * A Sequential model (torch.nn.Sequential) over flat buffers.
 *
 * All parameters live in one flat Float32Array and all gradients in another; each layer's
 * weight and bias are views into them. Optimizers therefore see one vector, and a global
 * gradient norm is one loop. Activations are one buffer per layer boundary, sized for the
 * largest batch at construction: acts[0] is the input batch, acts[i+1] is layer i's output,
 * and grads[i] = ∂loss/∂acts[i]. A step (forward + backward) allocates nothing.
 *
 * Weight tying (a head's `tie_weight: <embedding index>`): the head's weight is the embedding's
 * weight, one tensor in `values` under the embedding's name, as torch's parameters() yields a
 * tied tensor once. Its gradient is the sum of both uses; since every layer's backward *writes*
 * its gradients, the head writes into a scratch buffer of its own, which backward adds to the
 * embedding's gradient once the whole stack is through.
 */
import { layerName, planLayer, tiedEmbedding, type LayerConfig } from './layers/registry.js';
import { ShapeMismatch, type Layer, type LayerPlan, type Mode, type ModelBuffer, type Parameter, type ParameterSpec } from './layer.js';
import { Rng } from '../core/rng.js';
import { sizeOf, type Shape } from '../core/shape.js';
import { allocFloat32 } from '../kernels/arena.js';

export interface PlannedLayer {
  readonly config: LayerConfig;
  readonly inShape: Shape;
  readonly plan: LayerPlan;
  /** The index of the embedding whose weight this head shares (`tie_weight`). */
  readonly tiedTo?: number;
}

/** A layer's parameters that the model holds itself: all but a tied head's weight, which is its embedding's. */
export function ownParameters(layer: PlannedLayer): readonly ParameterSpec[] {
  return layer.tiedTo === undefined ? layer.plan.parameters : layer.plan.parameters.filter((p) => p.name !== 'weight');
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
    /** The option at fault, below the layer (e.g. ['linear', 'tie_weight']); empty for the layer as a whole. */
    readonly at: readonly string[] = [],
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
    const tiedTo = tiedEmbedding(config);
    if (tiedTo !== undefined) checkTie(layers, tiedTo, index, plan);
    const planned: PlannedLayer = tiedTo === undefined ? { config, inShape: shape, plan } : { config, inShape: shape, plan, tiedTo };
    layers.push(planned);
    for (const p of ownParameters(planned)) parameterCount += sizeOf(p.shape);
    shape = plan.outShape;
  });
  return { inputShape, outShape: shape, layers, parameterCount };
}

/** A head may share the weight of an earlier embedding of the same shape ([num_embeddings, embedding_dim] = [out_features, in]). */
function checkTie(layers: readonly PlannedLayer[], tiedTo: number, index: number, head: LayerPlan): void {
  const fail = (problem: string): never => {
    throw new LayerShapeError(index, problem, ['linear', 'tie_weight']);
  };
  if (tiedTo >= index) fail(`is ${tiedTo}: it must name an embedding before this layer (index < ${index})`);
  const embedding = layers[tiedTo];
  if (layerName(embedding.config) !== 'embedding') fail(`is ${tiedTo}, a ${layerName(embedding.config)} layer: it must name an embedding`);
  const [vocabulary, width] = embedding.plan.parameters[0].shape;
  const [out, inFeatures] = head.parameters[0].shape;
  if (out !== vocabulary || inFeatures !== width) {
    fail(`ties a weight [${out}, ${inFeatures}] to embedding ${tiedTo}'s [${vocabulary}, ${width}]: out_features must be its num_embeddings and this layer's input width its embedding_dim`);
  }
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
  return plan.layers.flatMap((planned, layer) => [
    ...ownParameters(planned).map((p) => ({ fullName: stateName(plan, layer, p.name), shape: p.shape, dtype: 'F32' as const, layer })),
    ...(planned.plan.buffers ?? []).map((b) => ({ fullName: stateName(plan, layer, b.name), shape: b.shape, dtype: b.dtype, layer })),
  ]);
}

/** The names of the plan's parameters (not its buffers), in the model's order. */
export function parameterNames(plan: ModelPlan): string[] {
  return plan.layers.flatMap((planned, layer) => ownParameters(planned).map((p) => stateName(plan, layer, p.name)));
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
  /** Per tied head: the embedding's gradient and the head's own scratch gradient, added to it after backward. */
  private readonly ties: readonly { readonly shared: Float32Array; readonly own: Float32Array }[];

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
    const boundByLayer: NamedParameter[][] = [];
    const ties: { shared: Float32Array; own: Float32Array }[] = [];
    this.layers = plan.layers.map(({ plan: layerPlan, tiedTo }, index) => {
      const bound = layerPlan.parameters.map((spec) => {
        const size = sizeOf(spec.shape);
        if (tiedTo !== undefined && spec.name === 'weight') {
          const embedding = boundByLayer[tiedTo][0];
          const own = allocFloat32(size);
          ties.push({ shared: embedding.grad, own });
          return { ...spec, fullName: embedding.fullName, value: embedding.value, grad: own };
        }
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
      boundByLayer.push(bound);
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
    this.ties = ties;
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
    for (const { shared, own } of this.ties) for (let j = 0; j < own.length; j++) shared[j] += own[j];
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
  return plan.layers.map((planned, index) => ({
    layer: `${index} ${layerName(planned.config)}`,
    outShape: planned.plan.outShape,
    parameters: ownParameters(planned).reduce((n, p) => n + sizeOf(p.shape), 0),
  }));
}
