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
      `note: other work is running (load ${load.toFixed(1)} on ${cores} cores); throughputs here understate.`,
    );
  }
  return { cores, loadAverage1m: load };
}
