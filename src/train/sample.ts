/**
 * Generating text from a trained character model (`adam-lab sample`), as nanoGPT's sample.py:
 * the run's config.yaml, vocab.json and model.safetensors rebuild the model; the prompt's
 * characters become ids, and each new character is drawn from the softmax of the last
 * position's scores divided by the temperature (0: always the most likely character), then
 * appended. The context is the last block_size characters.
 *
 * A shorter context is placed at the start of the block and the rest filled with id 0: in a
 * causal model (causal_self_attention, lstm, gru) position i's scores see positions ≤ i only, so
 * the filler never changes them. The draws come from the seed's own 'sample' stream: the same
 * run, prompt, temperature and seed give the same text.
 */
import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import { DataError, UsageError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { loadModelWeights, readWeightsFile } from '../engine/weights.js';
import { Model, planModel } from '../engine/model.js';
import { RUN_FILES } from '../runs/layout.js';
import { readVocabulary } from '../runs/vocabulary.js';

export interface SampleOptions {
  readonly prompt: string;
  /** Characters to generate after the prompt. */
  readonly tokens: number;
  readonly temperature: number;
  readonly seed: number;
}

/** The prompt followed by the generated characters. */
export function sampleText(runDir: string, options: SampleOptions): string {
  const config = loadConfig(join(runDir, RUN_FILES.config));
  const data = config.data;
  if (data?.dataset !== 'text') throw new DataError(join(runDir, RUN_FILES.config), `is a run on ${data === undefined ? 'an objective' : `${data.dataset} data`}; sample generates text from a run of dataset: text`);
  const blockSize = data.block_size;
  const { characters } = readVocabulary(runDir);
  const ids = new Map(characters.map((c, i) => [c, i]));
  const context = Array.from(options.prompt).map((c) => {
    const id = ids.get(c);
    if (id === undefined) throw new UsageError(`--prompt: ${JSON.stringify(c)} is not one of the run's ${characters.length} characters (vocab.json)`);
    return id;
  });
  if (context.length === 0) throw new UsageError('--prompt: give at least one character to start from');
  const model = new Model(planModel(config.model!.layers, [blockSize]), 1, 0);
  const weights = join(runDir, RUN_FILES.weights);
  loadModelWeights(model, readWeightsFile(weights), weights);
  const classes = characters.length;
  if (model.outputWidth !== blockSize * classes) throw new DataError(weights, `gives ${model.outputWidth} scores per sample, not ${blockSize} × ${classes}`);
  const rng = new Rng(options.seed, 'sample');
  const probabilities = new Float64Array(classes);
  let text = options.prompt;
  for (let n = 0; n < options.tokens; n++) {
    const window = context.slice(-blockSize);
    model.input.fill(0, 0, blockSize);
    model.input.set(window);
    const scores = model.forward(1, 'eval');
    const next = draw(scores, (window.length - 1) * classes, classes, options.temperature, probabilities, rng);
    context.push(next);
    text += characters[next];
  }
  return text;
}

/** An id drawn from softmax(scores / temperature) (the arg-max at temperature 0). */
function draw(scores: Float32Array, at: number, classes: number, temperature: number, p: Float64Array, rng: Rng): number {
  let best = 0;
  for (let j = 1; j < classes; j++) if (scores[at + j] > scores[at + best]) best = j;
  if (temperature === 0) return best;
  let sum = 0;
  for (let j = 0; j < classes; j++) {
    p[j] = Math.exp((scores[at + j] - scores[at + best]) / temperature);
    sum += p[j];
  }
  let u = rng.uniform() * sum;
  for (let j = 0; j < classes; j++) {
    u -= p[j];
    if (u < 0) return j;
  }
  return classes - 1;
}
