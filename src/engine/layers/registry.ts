/**
 * The layer registry: config name → option schema (torch's defaults), the shorthand option, a
 * one-line summary, and the planner. Config validation, `adam-lab schema` and the model
 * builder all read this one table, as the optimizer registry (optim/registry.ts) and the loss
 * registry (losses/registry.ts) are read.
 *
 * In a config a layer is written as torch.nn.Sequential would list it:
 *   - relu                          a layer without options, or with all options defaulted
 *   - linear: 128                   the shorthand sets the layer's main option (out_features)
 *   - linear: {out_features: 128, bias: false}
 *
 * Unlike optimizerKinds, the table is typed Record<string, LayerKind>, not narrowed to its
 * keys: the config schema looks layers up by a name it has validated as a string.
 */
import { z } from 'zod';
import { ShapeMismatch, type LayerPlan } from '../layer.js';
import type { Shape } from '../../core/shape.js';
import { gelu, leakyRelu, leakyReluOptions, relu, sigmoid, tanh } from './activations.js';
import { batchNormOptions, planBatchNorm } from './batchnorm.js';
import { causalSelfAttentionOptions, planCausalSelfAttention } from './causal-self-attention.js';
import { conv2dOptions, planConv2d } from './conv2d.js';
import { dropoutOptions, planDropout, planDropout2d } from './dropout.js';
import { planElementwise } from './elementwise.js';
import { embeddingOptions, planEmbedding } from './embedding.js';
import { planFlatten } from './flatten.js';
import { planGlobalAvgPool } from './global-avg-pool.js';
import { gruCell } from './gru.js';
import { layerNormOptions, planLayerNorm } from './layernorm.js';
import { linearOptions, planLinear } from './linear.js';
import { lstmCell } from './lstm.js';
import { planResidual, residualOptions } from './residual.js';
import { avgPool2dOptions, maxPool2dOptions, planAvgPool2d, planMaxPool2d } from './pool2d.js';
import { planPositionEmbedding, positionEmbeddingOptions } from './position-embedding.js';
import { planRecurrent, recurrentOptions } from './recurrent.js';

export interface LayerKind {
  /** Options object schema, or null for a layer that takes none. */
  readonly options: z.ZodType<Record<string, unknown>> | null;
  /** The option a bare scalar sets (`linear: 128`), if the layer has such a main option. */
  readonly shorthand: string | null;
  readonly summary: string;
  plan(options: Record<string, unknown>, inShape: Shape): LayerPlan;
}

function withOptions<S extends z.ZodType<Record<string, unknown>>>(
  options: S,
  shorthand: string | null,
  summary: string,
  plan: (options: z.output<S>, inShape: Shape) => LayerPlan,
): LayerKind {
  return { options, shorthand, summary, plan: (o, s) => plan(o as z.output<S>, s) };
}

function withoutOptions(summary: string, plan: (inShape: Shape) => LayerPlan): LayerKind {
  return { options: null, shorthand: null, summary, plan: (_o, s) => plan(s) };
}

export const layerKinds: Readonly<Record<string, LayerKind>> = {
  linear: withOptions(linearOptions, 'out_features', 'y = x·Wᵀ + b (over the last dimension of a sequence [T, C]; flattens any other input)', planLinear),
  relu: withoutOptions('max(0, x)', (s) => planElementwise(relu, s)),
  leaky_relu: withOptions(leakyReluOptions, 'negative_slope', 'x if x > 0 else negative_slope·x', (o, s) =>
    planElementwise(leakyRelu(o), s),
  ),
  sigmoid: withoutOptions('1 / (1 + e^(−x))', (s) => planElementwise(sigmoid, s)),
  tanh: withoutOptions('tanh(x)', (s) => planElementwise(tanh, s)),
  gelu: withoutOptions('x·Φ(x), exact erf form', (s) => planElementwise(gelu, s)),
  flatten: withoutOptions('[C, H, W] → [C·H·W]', planFlatten),
  dropout: withOptions(dropoutOptions, 'p', 'zero each element with probability p in training, scale by 1/(1−p)', (o, s) => planDropout(o, s)),
  conv2d: withOptions(conv2dOptions, null, 'NCHW convolution (out_channels, kernel_size, stride, padding, dilation, groups, bias)', planConv2d),
  maxpool2d: withOptions(maxPool2dOptions, 'kernel_size', 'maximum over each window (kernel_size, stride, padding)', planMaxPool2d),
  avgpool2d: withOptions(avgPool2dOptions, 'kernel_size', 'mean over each window (kernel_size, stride, padding, count_include_pad)', planAvgPool2d),
  batchnorm1d: withOptions(batchNormOptions, null, 'normalize each feature over the batch (eps, momentum, affine, track_running_stats)', (o, s) =>
    planBatchNorm('batchnorm1d', o, s),
  ),
  batchnorm2d: withOptions(batchNormOptions, null, 'normalize each channel over batch and positions', (o, s) => planBatchNorm('batchnorm2d', o, s)),
  dropout2d: withOptions(dropoutOptions, 'p', 'zero whole channels with probability p in training', planDropout2d),
  causal_self_attention: withOptions(
    causalSelfAttentionOptions,
    'num_heads',
    'masked multi-head self-attention over a sequence [T, C] (num_heads, dropout, bias), stored as nn.MultiheadAttention',
    planCausalSelfAttention,
  ),
  residual: withOptions(residualOptions, 'layers', 'x + f(x), f being its own list of layers (names <index>.<inner index>.weight)', (o, s) =>
    planResidual(
      (o.layers as LayerConfig[]).map((inner) => (shape: Shape) => {
        if (tiedEmbedding(inner) !== undefined) throw new ShapeMismatch('tie_weight ties a layer of model.layers itself, not one inside a residual block');
        return planLayer(inner, shape);
      }),
      s,
    ),
  ),
  global_avg_pool: withoutOptions('[C, H, W] → [C, 1, 1], the mean of each channel (AdaptiveAvgPool2d(1))', planGlobalAvgPool),
  embedding: withOptions(embeddingOptions, null, 'token ids [T] → rows of a learned table [T, embedding_dim] (nn.Embedding)', planEmbedding),
  position_embedding: withOptions(positionEmbeddingOptions, 'block_size', 'x[t] + a learned vector per position t (GPT-2 wpe)', planPositionEmbedding),
  layernorm: withOptions(layerNormOptions, null, 'normalize each row of the last dimension, then scale and shift (nn.LayerNorm)', planLayerNorm),
  lstm: withOptions(recurrentOptions, 'hidden_size', 'sequence [T, I] → h_t of the last layer at every step [T, hidden_size] (nn.LSTM, batch_first)', (o, s) =>
    planRecurrent(lstmCell, o, s),
  ),
  gru: withOptions(recurrentOptions, 'hidden_size', 'sequence [T, I] → h_t of the last layer at every step [T, hidden_size] (nn.GRU, batch_first)', (o, s) =>
    planRecurrent(gruCell, o, s),
  ),
};

export const layerNames = Object.keys(layerKinds);

/**
 * A layer as the validated config holds it: a bare name for a layer without options,
 * otherwise a one-key object `{ name: options }` with every default filled in.
 */
export type LayerConfig = string | Readonly<Record<string, Record<string, unknown>>>;

export function layerName(config: LayerConfig): string {
  return typeof config === 'string' ? config : Object.keys(config)[0];
}

/** The plan of one configured layer (its options already validated by the config schema). */
export function planLayer(config: LayerConfig, inShape: Shape): LayerPlan {
  const name = layerName(config);
  const kind = layerKinds[name];
  const options = typeof config === 'string' ? (kind.options?.parse({}) ?? {}) : config[name];
  return kind.plan(options, inShape);
}

/** The index of the embedding whose weight a linear layer shares (`tie_weight`), if it has one. */
export function tiedEmbedding(config: LayerConfig): number | undefined {
  if (typeof config === 'string' || layerName(config) !== 'linear') return undefined;
  return config.linear.tie_weight as number | undefined;
}
