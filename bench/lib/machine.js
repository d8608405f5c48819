// @ts-check
import { availableParallelism, loadavg } from 'node:os';

/**
 * The machine's cores and load, printed under a section's title: the figures of a benchmark that
 * shares its cores with other work understate what the code can do.
 */
export function machineLoad() {
  const cores = availableParallelism();
  const load = loadavg()[0] ?? 0;
  console.log(`machine: ${cores} cores, load average ${load.toFixed(2)} (1 min)`);
  if (load > cores / 2) {
    console.log(
      `note: load ${load.toFixed(1)} on ${cores} cores: other work (or the section before) shares them; throughputs may understate.`,
    );
  }
  return { cores, loadAverage1m: load };
}
