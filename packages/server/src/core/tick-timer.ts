/** The one timer behind the engine's `scheduleTick` effects: the earliest asked-for time wins. */
export class TickTimer {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private at = Infinity;

  constructor(
    private readonly clock: () => number,
    private readonly onTick: () => void,
  ) {}

  get pending(): boolean {
    return this.timer !== undefined;
  }

  schedule(at: number): void {
    if (at >= this.at) return;
    this.clear();
    this.at = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.at = Infinity;
        this.onTick();
      },
      Math.max(0, at - this.clock()),
    );
    // A pending tick must not keep a Node process alive on its own.
    (this.timer as { unref?: () => void }).unref?.();
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Infinity;
  }
}
