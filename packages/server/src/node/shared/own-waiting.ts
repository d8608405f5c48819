import type { LineEvent, LineJob, ProcessId } from './line-types.js';

/**
 * This process's waiting jobs as the stream last said, and the highest ticket it has shown: what the
 * process puts back after Redis restarts, past which a restarted Redis's ticket counter starts.
 */
export class OwnWaiting {
  private readonly jobs = new Map<string, LineJob>();
  /** The highest ticket the stream has shown. */
  seenTicket = 0;

  constructor(private readonly processId: ProcessId) {}

  /** Starts over from the whole line, as a resync read it. */
  reset(jobs: readonly LineJob[]): void {
    this.jobs.clear();
    for (const job of jobs) this.see(job);
  }

  /** Follows one event of the stream, in the stream's order. */
  track(event: LineEvent): void {
    if (event.type === 'join') this.see(event.job);
    else if (event.type === 'leave' || event.type === 'claim') this.jobs.delete(event.id);
  }

  /** This process's waiting jobs in ticket order (the line's FIFO order). */
  inTicketOrder(): LineJob[] {
    return [...this.jobs.values()].sort((a, b) => a.ticket - b.ticket);
  }

  private see(job: LineJob): void {
    this.seenTicket = Math.max(this.seenTicket, job.ticket);
    if (job.owner === this.processId) this.jobs.set(job.id, job);
  }
}
