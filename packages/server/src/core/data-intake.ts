import type { ResolvedEndpoint } from './endpoints.js';
import { errorMessage } from './handler-output.js';
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

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
