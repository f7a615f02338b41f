/** What the benchmark scripts (and the peers they start) share. */
import { availableParallelism, cpus, loadavg } from 'node:os';

/** A goal's verdict, as the results files state it. */
export function verdict(met: boolean): string {
  return met ? 'met' : 'NOT met';
}

/** This process's peak resident set size so far, in MB: worker threads included, as they share the process. */
export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/**
 * The machine the figures were measured on, with its 1-minute load average before the run and
 * now: above ~0, other work shared its cores, and the figures are lower bounds (unevenly so).
 */
export function machineLine(loadBefore: number): string {
  return `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, node ${process.version}, 1-minute load average ${loadBefore.toFixed(1)} before the run and ${loadavg()[0].toFixed(1)} after it (other work on the machine when above ~0)`;
}
