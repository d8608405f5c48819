import { EndpointSetupError } from '../errors.js';
import type { EndpointReport } from '../endpoint.js';
import type { ResolvedEndpoint } from './endpoints.js';

/**
 * Runs every endpoint's `setup` in order and collects their reports. If one fails, the ones
 * already set up are disposed and the error names the endpoint.
 */
export async function setUpEndpoints(
  endpoints: ResolvedEndpoint[],
  concurrencyCount: number,
): Promise<Record<string, EndpointReport>> {
  const reports: Record<string, EndpointReport> = {};
  const done: ResolvedEndpoint[] = [];
  try {
    for (const endpoint of endpoints) {
      const report = await endpoint.definition.setup?.({ concurrencyCount, apiName: endpoint.apiName });
      done.push(endpoint);
      if (report) reports[endpoint.apiName] = report;
    }
  } catch (cause) {
    await Promise.allSettled(done.map((e) => e.definition.dispose?.()));
    const failed = endpoints[done.length]?.apiName ?? '?';
    throw new EndpointSetupError(failed, cause);
  }
  return reports;
}

/** Disposes every endpoint; one that fails does not stop the others. */
export async function disposeEndpoints(endpoints: ResolvedEndpoint[]): Promise<void> {
  await Promise.allSettled(endpoints.map((e) => e.definition.dispose?.()));
}
