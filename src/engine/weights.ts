/**
 * Moving a model's state (parameters and buffers) to and from safetensors, under
 * nn.Sequential's names ("<layer index>.weight", "<layer index>.running_mean", ...) and in
 * PyTorch's layouts, so that torch.nn.Sequential(...).load_state_dict(safetensors.torch.load_file(f))
 * reads our files and our `model.init.from` reads theirs.
 */
import { DataError, UnreadableFileError } from '../core/errors.js';
import { readFileBounded } from '../core/read-file.js';
import { plannedState, type Model, type ModelPlan } from './model.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from './safetensors.js';
import { globToRegExp } from '../core/glob.js';
import { formatShape } from '../core/shape.js';

export function encodeModelWeights(model: Model): Uint8Array {
  const values = stateValues(model);
  return encodeSafetensors(
    plannedState(model.plan).map((entry) => ({ name: entry.fullName, shape: entry.shape, dtype: entry.dtype, data: values.get(entry.fullName)! })),
    { format: 'pt' },
  );
}

/** A way in which a weights file does not fit a model; `layer` is null for an extra tensor. */
export interface StateMismatch {
  readonly layer: number | null;
  readonly problem: string;
}

/**
 * How model.init.from is read, as torch's load_state_dict: `strict` (the default) needs the file
 * to hold exactly the model's tensors; `strict: false` loads the tensors the file has and leaves
 * the others to their fresh init, ignoring the file's extra ones. Either way a tensor present
 * under the same name with another shape is an error, as in torch ("size mismatch" is raised
 * even with strict=False). `exclude` (glob patterns) drops tensors of the file before matching,
 * as filtering the state dict before load_state_dict: with `strict: false` the model's tensors of
 * those names keep their fresh init (a new head of the old head's shape).
 */
export interface InitOptions {
  readonly strict?: boolean;
  readonly exclude?: readonly string[];
}

/** What loading a file into a model does, tensor by tensor (state names, in the model's order). */
export interface StateMatch {
  readonly loaded: readonly string[];
  /** The model's tensors the file does not provide: they keep their fresh init. */
  readonly fresh: readonly string[];
  /** The file's tensors that are not loaded (excluded, or not in the model), in the file's order. */
  readonly ignored: readonly string[];
  readonly problems: readonly StateMismatch[];
}

/** Matches the state a plan expects against the tensors of a file: what loads, what stays fresh, what does not fit. */
export function matchState(plan: ModelPlan, tensors: readonly NamedTensor[], options: InitOptions = {}): StateMatch {
  const strict = options.strict ?? true;
  const patterns = (options.exclude ?? []).map(globToRegExp);
  const excluded = new Set(tensors.filter((t) => patterns.some((p) => p.test(t.name))).map((t) => t.name));
  const byName = new Map(tensors.filter((t) => !excluded.has(t.name)).map((t) => [t.name, t]));
  const expected = plannedState(plan);
  const loaded: string[] = [];
  const fresh: string[] = [];
  const problems: StateMismatch[] = [];
  for (const entry of expected) {
    const t = byName.get(entry.fullName);
    const where = entry.fullName;
    if (t === undefined) {
      if (!strict) fresh.push(where);
      else if (excluded.has(where)) problems.push({ layer: entry.layer, problem: `"${where}" is excluded (model.init.exclude), and strict loading needs every tensor: set model.init.strict: false to initialise it fresh` });
      else problems.push({ layer: entry.layer, problem: `the file has no "${where}" (shape ${formatShape(entry.shape)})` });
    } else if (formatShape(t.shape) !== formatShape(entry.shape)) {
      problems.push({ layer: entry.layer, problem: `"${where}" has shape ${formatShape(t.shape)} in the file but ${formatShape(entry.shape)} in the config` });
    } else if ((t.dtype ?? 'F32') !== entry.dtype) {
      problems.push({ layer: entry.layer, problem: `"${where}" is ${t.dtype ?? 'F32'} in the file, expected ${entry.dtype}` });
    } else loaded.push(where);
  }
  const names = new Set(expected.map((e) => e.fullName));
  const ignored: string[] = [];
  for (const t of tensors) {
    if (excluded.has(t.name) || (!strict && !names.has(t.name))) ignored.push(t.name);
    else if (!names.has(t.name)) problems.push({ layer: null, problem: `the file has "${t.name}", which the model does not` });
  }
  return { loaded, fresh, ignored, problems };
}

/**
 * Loads the model's parameters and buffers from `bytes` as `options` say (every one by default,
 * names and shapes matching exactly); returns what was loaded and what kept its fresh init.
 */
export function loadModelWeights(model: Model, bytes: Uint8Array, file: string, options: InitOptions = {}): StateMatch {
  const tensors = decodeSafetensors(bytes, file);
  const match = matchState(model.plan, tensors, options);
  if (match.problems.length > 0) {
    throw new DataError(file, `does not match the model: ${match.problems.map((p) => p.problem).join('; ')}`, 'check model.layers against the network that wrote the file');
  }
  const values = stateValues(model);
  const loaded = new Set(match.loaded);
  for (const t of tensors) if (loaded.has(t.name)) values.get(t.name)!.set(t.data);
  return match;
}

function stateValues(model: Model): Map<string, Float32Array | Float64Array> {
  return new Map<string, Float32Array | Float64Array>([
    ...model.parameters.map((p) => [p.fullName, p.value] as const),
    ...model.buffers.map((b) => [b.fullName, b.value] as const),
  ]);
}

/** The bytes of a weights file (model.init.from), or a DataError saying why not. */
export function readWeightsFile(file: string): Uint8Array {
  try {
    return readFileBounded(file);
  } catch (error) {
    if (!(error instanceof UnreadableFileError)) throw error;
    switch (error.reason) {
      case 'missing':
        throw new DataError(file, 'weights file not found (model.init.from)');
      case 'directory':
      case 'special':
        throw new DataError(file, 'is not a regular file (model.init.from): point it at a .safetensors file');
      default:
        throw new DataError(file, error.problem);
    }
  }
}
