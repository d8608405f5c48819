/** How many recent joins the arrival rate is measured over. */
export const ARRIVAL_WINDOW = 32;

/**
 * One endpoint's recent arrival rate, for ETAs of batches that are not full yet: jobs that join
 * before such a batch is formed ride along and make it run longer. Measured over the last
 * ARRIVAL_WINDOW joins, so it follows the load's own time scale (a burst, a trickle), and it decays
 * when joins stop: silence since the last join counts as part of the window.
 */
export class ArrivalRate {
  private readonly times: number[] = [];
  private next = 0;

  /** A job joined at clock ms `at`. */
  record(at: number): void {
    if (this.times.length < ARRIVAL_WINDOW) this.times.push(at);
    else {
      this.times[this.next] = at;
      this.next = (this.next + 1) % ARRIVAL_WINDOW;
    }
  }

  /** Expected joins per ms at clock ms `now`; 0 until two joins were seen. */
  perMs(now: number): number {
    const n = this.times.length;
    if (n < 2) return 0;
    const oldest = this.times[n < ARRIVAL_WINDOW ? 0 : this.next] as number;
    // n joins came in (oldest … now]: the first one opens the window, the other n − 1 fall in it.
    const span = now - oldest;
    return span > 0 ? (n - 1) / span : 0;
  }
}
