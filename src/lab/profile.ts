/** A performance profile over several workloads' tuned comparisons, in <out>/performance-profile-<id>/. */
import { join } from 'node:path';
import { shortId } from '../core/short-id.js';
import { performanceProfile, profileCsv, profileSpec, type Profile, type WorkloadTimes } from '../report/profile.js';
import { renderSvg } from '../report/plots/render-svg.js';
import { writeFiles } from '../report/write.js';

export async function writePerformanceProfile(files: readonly string[], workloads: readonly WorkloadTimes[], out: string): Promise<{ dir: string; profile: Profile }> {
  const profile = performanceProfile(workloads);
  const dir = join(out, `performance-profile-${shortId(files.join('\n'), 8)}`);
  writeFiles(dir, {
    'performance-profile.csv': profileCsv(profile),
    'plots/performance-profile.svg': await renderSvg(profileSpec(profile, workloads.map((w) => w.workload)), 'profile'),
  });
  return { dir, profile };
}
