import type { ResolvedEndpoint } from './endpoints.js';
import { errorMessage } from './handler-output.js';
import type { JobId } from '@crowdserve/queue';
import type { HostJob } from './host-job.js';
import type { HostJobs } from './host-jobs.js';
import { claimJob } from './shared-claim.js';
import { checkData } from './validate-data.js';

export interface IntakeOutcome {
  /** The data passed the inputs check; `prepare` (if any) has not settled. */
  accepted(data: unknown[]): void;
  /** `prepare` settled (or there is none): the job is ready for its batch. */
  ready(prepared: unknown): void;
  /** The data failed the inputs check or `prepare`: the job ends alone with `message`. */
  refused(message: string): void;
}

/**
 * Checks a job's data against its endpoint's inputs and runs the endpoint's `prepare` on it
 * (DESIGN.md §9.2): `ready` comes only once `prepare` has settled, so a batch never starts with an
 * unprepared member. Either `refused`, or `accepted` then `ready` or `refused`.
 */
export function takeData(endpoint: ResolvedEndpoint | undefined, data: unknown[], outcome: IntakeOutcome): void {
  const problem = endpoint === undefined ? null : checkData(data, endpoint.definition.inputs);
  if (problem !== null) return outcome.refused(problem);
  outcome.accepted(data);
  const prepare = endpoint?.definition.prepare;
  if (prepare === undefined) return outcome.ready(undefined);
  let prepared: unknown;
  try {
    prepared = prepare(data);
  } catch (error) {
    return outcome.refused(errorMessage(error));
  }
  if (!isPromiseLike(prepared)) return outcome.ready(prepared);
  Promise.resolve(prepared).then(
    (value) => outcome.ready(value),
    (error: unknown) => outcome.refused(errorMessage(error)),
  );
}

export interface DataIntakeOptions {
  endpoints: readonly ResolvedEndpoint[];
  jobs: HostJobs;
  /** A shared queue's claim of a picked job (`QueueHostOptions.claim`); absent: this engine alone decides. */
  claim?: ((id: JobId) => Promise<boolean>) | undefined;
  /** The job is ready for its batch: the engine hears `dataReceived`. */
  ready(id: JobId): void;
  /** Another process claimed the job: the engine lets it go (`release`); it stays kept until the line says who. */
  lost(id: JobId): void;
  /** The job ends with the host's own error; `refused`: because its data is bad. */
  fail(id: JobId, message: string, refused?: boolean): void;
}

/**
 * Asks picked jobs for their data (`requestData`: `send_data`, or the data that came with the join) and
 * takes it in: `waiting` → (`claiming` →) `awaiting` → `preparing` → `ready`. An answer for a job that
 * ended meanwhile (its client left, its data timed out, shutdown) is dropped.
 */
export class DataIntake {
  constructor(private readonly options: DataIntakeOptions) {}

  /** The engine's `requestData`: claimed first in a shared queue, then asked. */
  request(id: JobId): void {
    const job = this.options.jobs.get(id);
    if (job?.data.state !== 'waiting') return;
    const { claim, jobs } = this.options;
    if (claim === undefined) return this.ask(job);
    claimJob(job, claim, {
      current: () => jobs.isCurrent(job),
      won: () => this.ask(job),
      lost: () => this.options.lost(id),
      unreachable: (message) => this.options.fail(id, message),
    });
  }

  /** Whether the job was asked for its data and has not sent it yet. */
  isAwaiting(id: JobId): boolean {
    return this.options.jobs.get(id)?.data.state === 'awaiting';
  }

  /** The data of a job that was asked for it; ignored for any other. */
  receive(id: JobId, data: unknown[]): void {
    const { jobs, endpoints } = this.options;
    const job = jobs.get(id);
    if (job?.data.state !== 'awaiting') return;
    const endpoint = endpoints[job.fnIndex];
    takeData(endpoint, data, {
      accepted: (checked) => (job.data = { state: 'preparing', data: checked }),
      ready: (prepared) => {
        if (!jobs.isCurrent(job) || job.data.state !== 'preparing') return;
        // What fn gets in the raw data's place once `prepare` has made what it needs of it (`releaseData`).
        const definition = endpoint?.definition;
        const release = definition?.prepare !== undefined && definition.releaseData === true;
        job.data = { state: 'ready', data: release ? [] : job.data.data, prepared };
        this.options.ready(id);
      },
      refused: (message) => {
        if (jobs.isCurrent(job)) this.options.fail(id, message, true);
      },
    });
  }

  private ask(job: HostJob): void {
    if (job.data.state !== 'waiting') return;
    const preset = job.data.preset;
    job.data = { state: 'awaiting' };
    if (preset !== undefined) this.receive(job.id, preset);
    else job.sink.send({ msg: 'send_data' });
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
