/**
 * Parameter groups, as torch.optim's param_groups: each group takes the tensors its glob
 * patterns select — the first group that matches a tensor takes it — and may set any option of
 * the optimizer; tensors no group takes form the default group, which uses the top-level
 * options and is listed last. A frozen group is not optimized at all (requires_grad=False): no
 * update, no state, no part of the gradient norm.
 *
 * The optimizer sees the model only as named tensor views (name, shape, offset, length) into one
 * flat parameter vector and one flat gradient vector. A group's adjacent tensors are stepped as
 * one segment (one pass of each kernel), which gives the bits a per-tensor pass would, in fewer
 * calls; an optimizer that needs a tensor's shape or norm (LAMB, Adafactor, Muon) takes the views.
 */
import { globToRegExp } from '../core/glob.js';
import type { Range } from './transform.js';

/** A parameter tensor as the optimizer sees it: a name, a shape and its place in the flat vectors. */
export interface TensorView extends Range {
  /** As in model.safetensors: "0.weight", "3.bias". */
  readonly name: string;
  readonly shape: readonly number[];
}

/**
 * One entry of optimizer.param_groups in a config: patterns, and options over the top-level ones;
 * or, with `optimizer`, another optimizer and its own options for these tensors (Muon's AdamW group).
 */
export interface ParamGroupConfig {
  readonly params: readonly string[];
  readonly frozen?: boolean;
  readonly optimizer?: string;
  readonly [option: string]: unknown;
}

/** A group resolved against the model: its tensors and its full options. */
export interface ResolvedGroup {
  /** The group's index in param_groups, or null for the default group. */
  readonly index: number | null;
  readonly frozen: boolean;
  /** The optimizer the group names (param_groups[i].optimizer), or null for the config's own. */
  readonly optimizer: string | null;
  readonly options: Readonly<Record<string, unknown>>;
  readonly tensors: readonly TensorView[];
}

/** The keys of a param_groups entry that are not optimizer options. */
const GROUP_KEYS = ['params', 'frozen', 'optimizer'];

/** Which group (index into `groups`, or null for the default group) takes a tensor of this name. */
export function groupOf(name: string, groups: readonly ParamGroupConfig[]): number | null {
  const index = groups.findIndex((g) => g.params.some((pattern) => globToRegExp(pattern).test(name)));
  return index < 0 ? null : index;
}

/** The patterns that select no tensor, as [group index, pattern index] pairs. */
export function unmatchedPatterns(names: readonly string[], groups: readonly ParamGroupConfig[]): [number, number][] {
  return groups.flatMap((g, gi) => g.params.flatMap((pattern, pi): [number, number][] => (names.some((n) => globToRegExp(pattern).test(n)) ? [] : [[gi, pi]])));
}

/**
 * A group's own options (everything but params, frozen and optimizer), over the top-level options —
 * or alone when the group names another optimizer, whose options the top level's are not: as a
 * second torch optimizer over those tensors, it takes its own defaults.
 */
export function groupOptions(topLevel: Readonly<Record<string, unknown>>, group: ParamGroupConfig): Record<string, unknown> {
  const options: Record<string, unknown> = group.optimizer === undefined ? { ...topLevel } : {};
  for (const [key, value] of Object.entries(group)) if (!GROUP_KEYS.includes(key)) options[key] = value;
  return options;
}

/** The config's groups with their tensors, then the default group (possibly empty), as torch lists them. */
export function resolveGroups(tensors: readonly TensorView[], topLevel: Readonly<Record<string, unknown>>, groups: readonly ParamGroupConfig[]): ResolvedGroup[] {
  const taken = tensors.map((t) => groupOf(t.name, groups));
  return [
    ...groups.map((g, index) => ({ index, frozen: g.frozen === true, optimizer: g.optimizer ?? null, options: groupOptions(topLevel, g), tensors: tensors.filter((_, i) => taken[i] === index) })),
    { index: null, frozen: false, optimizer: null, options: topLevel, tensors: tensors.filter((_, i) => taken[i] === null) },
  ];
}

/** A group's tensors merged into ranges where they are adjacent in the flat vectors. */
export function segmentsOf(tensors: readonly TensorView[]): Range[] {
  const segments: Range[] = [];
  for (const t of tensors) {
    const last = segments.at(-1);
    if (last !== undefined && last.offset + last.length === t.offset) segments[segments.length - 1] = { offset: last.offset, length: last.length + t.length };
    else segments.push({ offset: t.offset, length: t.length });
  }
  return segments;
}
