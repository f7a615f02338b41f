/**
 * A Sequential model's plan (torch.nn.Sequential's shapes and names), made before any memory:
 * shape inference through the stack, the state_dict it will have, weight tying's checks and the
 * model summary. model.ts builds the model from it; a batch shard's replica (shard-replica.ts)
 * builds its own layers from the same plan.
 */
import { layerName, planLayer, tiedEmbedding, type LayerConfig } from './layers/registry.js';
import { ShapeMismatch, type LayerPlan, type ModelBuffer, type Parameter, type ParameterSpec } from './layer.js';
import { sizeOf, type Shape } from '../core/shape.js';

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
export function stateName(plan: ModelPlan, layer: number, name: string): string {
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
