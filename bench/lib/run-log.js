// @ts-check
// What a bench server that sleeps like a model shares: its record of the runs it did ({ start, end }
// in epoch ms, the load generator's clock).

const epochMs = () => performance.timeOrigin + performance.now();

/** A model that sleeps: `sleep(ms, size)` resolves after `ms` and records the run. */
export function runLog() {
  /** @type {{ start: number, end: number, size: number }[]} */
  const runs = [];
  return {
    runs,
    /** @param {number} ms @param {number} [size] the batch's size */
    async sleep(ms, size = 1) {
      const start = epochMs();
      await new Promise((resolve) => setTimeout(resolve, ms));
      runs.push({ start, end: epochMs(), size });
    },
  };
}
