import type { JobId } from '@crowdserve/queue';
import type { HostJob } from './host-job.js';

/** How the host applies the shared line's answer to a claim. */
export interface ClaimAnswer {
  /** Whether the job is still there: an answer for one that ended meanwhile is dropped. */
  current(): boolean;
  /** This process took the job: ask it for its data. */
  won(): void;
  /** Another process took it: the engine lets it go; the host keeps it until the line says who (`release`). */
  lost(): void;
  /** The line could not be asked: the job fails with `message`. */
  unreachable(message: string): void;
}

/**
 * A shared queue's claim of a job this engine picked (issue 23): the job is `claiming` until the line
 * answers, then `waiting` again if this process won it.
 */
export function claimJob(job: HostJob, claim: (id: JobId) => Promise<boolean>, answer: ClaimAnswer): void {
  if (job.data.state !== 'waiting') return;
  job.data = { state: 'claiming', preset: job.data.preset };
  claim(job.id).then(
    (won) => {
      if (!answer.current() || job.data.state !== 'claiming') return;
      if (!won) return answer.lost();
      job.data = { state: 'waiting', preset: job.data.preset };
      answer.won();
    },
    (error: unknown) => {
      if (!answer.current()) return;
      answer.unreachable(
        `the shared queue could not be reached: ${error instanceof Error ? error.message : String(error)}`,
      );
    },
  );
}
