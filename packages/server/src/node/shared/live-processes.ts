import type { LineProcess } from './line-types.js';

/**
 * The processes this one counts as alive, from the line's `processes` events. Just after a resync
 * (Redis restarted: everyone registers again, one by one) a process missing from the live set may
 * still come back: it counts as gone only if it is still missing one lease later.
 */
export class LiveProcesses {
  private live = new Map<string, number>();
  private graceUntil = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private last: LineProcess[] = [];

  constructor(
    private readonly me: string,
    private readonly leaseMs: number,
    /** The live set changed: the other processes' slots in all, and those now gone. */
    private readonly changed: (peerSlots: number, gone: string[]) => void,
  ) {}

  /** How many processes count as alive, this one included. */
  get size(): number {
    return this.live.size;
  }

  has(id: string): boolean {
    return this.live.has(id);
  }

  /** The line resynced: missing processes get one lease to register again. */
  resynced(): void {
    this.graceUntil = performance.now() + this.leaseMs;
  }

  update(processes: LineProcess[]): void {
    this.last = processes;
    const next = new Map(processes.map((p) => [p.id, p.slots]));
    let gone = [...this.live.keys()].filter((id) => !next.has(id) && id !== this.me);
    const wait = this.graceUntil - performance.now();
    if (wait > 0 && gone.length > 0) {
      for (const id of gone) next.set(id, this.live.get(id) ?? 0);
      gone = [];
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.update(this.last);
      }, wait);
    }
    this.live = next;
    let peerSlots = 0;
    for (const [id, slots] of next) if (id !== this.me) peerSlots += slots;
    this.changed(peerSlots, gone);
  }

  close(): void {
    clearTimeout(this.timer);
  }
}
