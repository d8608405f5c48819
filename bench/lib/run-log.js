// @ts-check
// What a bench server that sleeps like a model shares: its record of the runs it did ({ start, end }
// in epoch ms, the load generator's clock) and its conversation with the bench that started it.

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

/**
 * Tells the parent the server's URL, answers 'report' with `report()` and 'stop' by closing the server,
 * and exits if the parent goes away without stopping it.
 * @param {{ url: string, close(): Promise<void> }} server @param {() => unknown} report
 */
export function answerParent(server, report) {
  process.send?.({ url: server.url });
  process.on('message', (m) => {
    if (m === 'report') process.send?.(report());
    if (m === 'stop') server.close().then(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
}
