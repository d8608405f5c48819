// @ts-check
// Gradio 3.x's ETA, as `gradio/queueing.py` (3.50) computes it, so the bench can score it on our traces.

/**
 * Gradio 3's `rank_eta` (seconds), or null before any batch finished. `avgProcessTime` is its one
 * global running mean of `process_events` run times (one sample per finished batch, every endpoint),
 * `finishedCount` how many samples that mean holds, `allBusy` whether every slot holds a batch.
 * `rank·avg/min(c,n) + avg`, plus `avg/min(c,n)` when all slots are busy.
 * @param {{ rank: number, avgProcessTime: number | null, finishedCount: number, concurrencyCount: number, allBusy: boolean }} o
 * @returns {number | null}
 */
export function gradio3RankEta({ rank, avgProcessTime, finishedCount, concurrencyCount, allBusy }) {
  if (avgProcessTime === null || finishedCount <= 0) return null;
  const concurrent = avgProcessTime / Math.min(concurrencyCount, finishedCount);
  return rank * concurrent + avgProcessTime + (allBusy ? concurrent : 0);
}
