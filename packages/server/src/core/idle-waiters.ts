/** Shutdown's wait for the host to go idle (no batch running), bounded by its grace period. */
export class IdleWaiters {
  private waiters: (() => void)[] = [];

  /** Resolves at the first `notify` that finds the host idle, or after `graceMs`, whichever comes first. */
  async wait(graceMs: number): Promise<void> {
    let grace: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.waiters.push(resolve)),
      new Promise<void>((resolve) => {
        grace = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(grace);
  }

  /** After each round of effects: wakes the waiters if `isIdle()` (asked only while someone waits). */
  notify(isIdle: () => boolean): void {
    if (this.waiters.length > 0 && isIdle()) for (const resolve of this.waiters.splice(0)) resolve();
  }
}
