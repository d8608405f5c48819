import type { JobId } from '@crowdserve/queue';

/**
 * Where a job stands in this process's view of the shared line, from its join to its claim. Own jobs
 * go `deciding` → `accepted` → `waiting` (or straight to `waiting` when the line's `join` event comes
 * before Redis's answer: they come on different connections); other processes' jobs are only ever
 * `waiting` here.
 */
export type Stage =
  /** Own job: the line has not answered its join yet. */
  | { at: 'deciding'; verdict: Promise<void> }
  /** Own job: accepted by the line, its `join` event is on its way. */
  | { at: 'accepted' }
  /** In this process's copy of the line (own or another process's): `owner` holds its client. */
  | { at: 'waiting'; owner: string };

/** The stage of every job between join and claim, one entry per job. */
export class JobStages {
  private readonly stages = new Map<JobId, Stage>();

  get size(): number {
    return this.stages.size;
  }

  get(id: JobId): Stage | undefined {
    return this.stages.get(id);
  }

  /** A job that becomes `waiting` goes to the back: the map's order is the line's. */
  set(id: JobId, stage: Stage): void {
    this.stages.delete(id);
    this.stages.set(id, stage);
  }

  delete(id: JobId): void {
    this.stages.delete(id);
  }

  /** The join's verdict while the line has not answered it. */
  verdict(id: JobId): Promise<void> | null {
    const stage = this.stages.get(id);
    return stage?.at === 'deciding' ? stage.verdict : null;
  }

  /** Whether the job is known here but not in the engine yet (the line has not said `join`). */
  pending(id: JobId): boolean {
    const at = this.stages.get(id)?.at;
    return at === 'deciding' || at === 'accepted';
  }

  /** The owner of a job in this process's copy of the line; `undefined` for any other. */
  ownerOf(id: JobId): string | undefined {
    const stage = this.stages.get(id);
    return stage?.at === 'waiting' ? stage.owner : undefined;
  }

  /** Forgets a waiting job and returns its owner; `undefined` (and nothing forgotten) if it was not waiting. */
  takeWaiting(id: JobId): string | undefined {
    const owner = this.ownerOf(id);
    if (owner !== undefined) this.stages.delete(id);
    return owner;
  }

  /** `owner`'s jobs among the first `count` of this process's copy of the line. */
  *front(count: number, owner: string): Generator<JobId> {
    let seen = 0;
    for (const [id, stage] of this.stages) {
      if (stage.at !== 'waiting') continue;
      if (seen++ >= count) return;
      if (stage.owner === owner) yield id;
    }
  }

  /** The jobs in this process's copy of the line, with their owners. */
  waiting(): [JobId, string][] {
    const jobs: [JobId, string][] = [];
    for (const [id, stage] of this.stages) if (stage.at === 'waiting') jobs.push([id, stage.owner]);
    return jobs;
  }
}
