/**
 * A tuned comparison's own report, at the top of its folder, from its two phases (tuning/ and
 * rerun/, each a sweep folder with its own report): comparison.csv and comparison.md (the fair
 * table and the verdicts), plots/lr-sensitivity.svg, and report.html showing both with the
 * reruns' plots. `compare --protocol tuned` writes it when the reruns are done, and
 * `adam-lab report <tuned folder>` rebuilds it from the trials on disk.
 */
import { join } from 'node:path';
import { Document, visit } from 'yaml';
import type { Distribution } from '../config/lab-schema.js';
import { readSweepManifest, type TunedManifest } from '../runs/sweep-dir.js';
import { inclusionLint, optimizerKind, tuningGains, type OptimizerKind } from './fairness.js';
import { fairComparison, fairCsv, fairTable, verdicts, type FairComparison } from './fair.js';
import { tunedReportHtml } from './tuned-html.js';
import { chooseTuned, type TuningChoice } from './tuning-choice.js';
import { renderSvg } from './plots/render-svg.js';
import type { ReportData } from './report-data.js';
import { sensitivitySpec } from './plots/lr-sensitivity.js';
import { markdownTable } from './summary.js';
import { pngsOf, writeFiles, type WrittenReport } from './write.js';
import { DEFAULT_PLOT_OPTIONS, type PlotOptions } from './options.js';
import { groupNames } from './plots/curves.js';

export interface TunedReport {
  /** The fair-comparison table, header first. */
  readonly table: string[][];
  readonly verdicts: string[];
  /** Search spaces too narrow for an optimizer to reach what it includes (fairness.ts). */
  readonly lint: string[];
}

/** Each variant's best tuning trial, by the protocol the manifest records. */
export function tunedChoices(manifest: TunedManifest, tuning: ReportData): TuningChoice[] {
  const { tune } = manifest.protocol;
  return chooseTuned(tuning, tune.metric, tune.at, tune.space as Record<string, Distribution>);
}

/** Writes the tuned folder's own files from the tuning data, the choices made on it, and the reruns' report. */
export async function writeTunedReport(
  root: string,
  manifest: TunedManifest,
  tuning: ReportData,
  choices: readonly TuningChoice[],
  rerun: WrittenReport,
  defaults: ReportData | null,
  options: PlotOptions = DEFAULT_PLOT_OPTIONS,
): Promise<TunedReport> {
  const { tune, confidence, significance } = manifest.protocol;
  const fair = fairComparison(rerun.data, choices, manifest.targets, confidence, significance);
  const gains = defaults === null ? null : tuningGains(choices, defaults, tune.metric, tune.at);
  const table = fairTable(fair, gains, tune.metric);
  const lines = verdicts(fair);
  const lint = inclusionLint(fair, variantKinds(join(root, 'rerun')));
  // coloured as the reruns' curves on the same page: a variant keeps its colour
  const spec = sensitivitySpec(tuning, tune.metric, tune.at, groupNames(rerun.data));
  const sensitivity = spec === null ? null : await renderSvg(spec, 'sensitivity');
  const description = protocolText(manifest.protocol, fair);
  const space = searchSpaceYaml(tune.space);
  const folder = `tuned-${manifest.id}`;
  writeFiles(root, {
    'comparison.csv': fairCsv(fair, gains),
    'comparison.md': `# Tuned comparison ${manifest.name} (${folder})\n\n${description}\n\n\`\`\`yaml\n${space}\`\`\`\n\n${markdownTable(table)}\n\n${lines.map((v) => `- ${v}`).join('\n')}\n${lint.length === 0 ? '' : `\n## Search spaces\n\n${lint.map((v) => `- ${v}`).join('\n')}\n`}`,
    ...(sensitivity === null ? {} : { 'plots/lr-sensitivity.svg': sensitivity }),
    ...(sensitivity !== null && options.png ? pngsOf(root, [{ file: 'plots/lr-sensitivity.svg', svg: sensitivity }]) : {}),
    'report.html': tunedReportHtml({
      name: manifest.name,
      folder,
      description,
      space,
      table,
      verdicts: lines,
      lint,
      sensitivity,
      rerunPlots: rerun.plots,
    }),
  });
  return { table, verdicts: lines, lint };
}

/** Each rerun variant's optimizer, by Choi et al.'s inclusions, from the configs its trials ran (sweep.json). */
function variantKinds(rerunDir: string): Map<string, OptimizerKind | null> {
  return new Map(readSweepManifest(rerunDir).trials.map((t) => [t.group, optimizerKind(t.config.optimizer)]));
}

function protocolText(protocol: TunedManifest['protocol'], fair: FairComparison): string {
  const { tune, rerun } = protocol;
  return (
    `Each variant was tuned on held-out data (${tune.metric}, ${tune.at} evaluation; the tuning trials never evaluated on the test set) with a ${tune.search} of ${tune.budget} trials over the search space below; ` +
    `its best setting was rerun with ${rerun.seeds} seeds. Defaults → tuned is the tuning score at the variant's own config settings (one trial on the same data) and at its best tuning point: what tuning gained. Ranked by ${fair.metric} (${fair.higherIsBetter ? 'higher' : 'lower'} is better); ` +
    `± is the ${Math.round(fair.confidence * 100)} % confidence interval of the mean; p is Welch's t-test against the best (significant below ${fair.significance}).`
  );
}

/** The search space as the protocol block writes it: one axis a line, its distribution in flow style ("optimizer.lr: {log_uniform: [0.0001, 1]}"). */
export function searchSpaceYaml(space: Readonly<Record<string, unknown>>): string {
  const document = new Document(space);
  visit(document, {
    Map(_, node, path) {
      if (path.length > 1) node.flow = true; // below the axes' own map
    },
    Seq(_, node) {
      node.flow = true;
    },
  });
  return document.toString({ flowCollectionPadding: false });
}
