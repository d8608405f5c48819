/**
 * Renews a process's lease on the shared line three times per lease, one renewal at a time (a slow
 * Redis never stacks them up). A renewal that fails goes to `failed`; the next one tries again.
 */
export class LeaseHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private beating = false;
  private stopped = false;

  constructor(
    private readonly renew: () => Promise<unknown>,
    private readonly failed: (error: unknown) => void,
  ) {}

  start(leaseMs: number): void {
    this.timer = setInterval(() => void this.beat(), Math.max(1, Math.floor(leaseMs / 3)));
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  private async beat(): Promise<void> {
    if (this.beating || this.stopped) return;
    this.beating = true;
    try {
      await this.renew();
    } catch (error) {
      this.failed(error);
    } finally {
      this.beating = false;
    }
  }
}
