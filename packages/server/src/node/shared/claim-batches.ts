import type { JobId } from '@crowdserve/queue';
import type { SharedLine } from './shared-line.js';

interface Pending {
  id: JobId;
  settle: (won: boolean) => void;
  fail: (error: unknown) => void;
}

/**
 * Claims the jobs this process's engine picked, all those of one turn of the event loop in one round
 * trip (a batch's members are picked together). `won` hears each job this process won, with the data
 * its owner stashed (before the engine hears it won, so the data is there when it is asked).
 */
export class ClaimBatches {
  private readonly pending: Pending[] = [];

  constructor(
    private readonly line: Pick<SharedLine, 'claim'>,
    private readonly won: (id: JobId, data: unknown[] | undefined) => void,
  ) {}

  get size(): number {
    return this.pending.length;
  }

  claim(id: JobId): Promise<boolean> {
    return new Promise((settle, fail) => {
      this.pending.push({ id, settle, fail });
      if (this.pending.length === 1) queueMicrotask(() => this.flush());
    });
  }

  private flush(): void {
    const claims = this.pending.splice(0);
    this.line.claim(claims.map((claim) => claim.id)).then(
      (won) => {
        const winners = new Map(won.map((job) => [job.id, job.data]));
        for (const claim of claims) {
          if (winners.has(claim.id)) this.won(claim.id, winners.get(claim.id));
          claim.settle(winners.has(claim.id));
        }
      },
      (error: unknown) => {
        for (const claim of claims) claim.fail(error);
      },
    );
  }
}
