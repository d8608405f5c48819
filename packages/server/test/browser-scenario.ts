// The status scenarios' server side, shared by the remote server (Node, browser-setup.ts) and
// the in-page one: the same endpoint, the same queue options, a gate that the test opens.
import type { EndpointDefinition } from '../src/endpoint.js';
import type { LocalServerOptions } from '../src/browser/local-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Chromium binary the browser project launches (vitest.config.ts). */
    chromiumPath: string;
    /** The remote server of each scenario queue, by name: its base URL. */
    remoteQueues: Record<ScenarioQueue, string>;
    /** `POST {gateControl}/{queue}` releases one run on that remote server. */
    gateControl: string;
  }
}

/** The queue options of each scenario: one slot, unbounded or with room for one waiting job. */
export const SCENARIO_QUEUES = {
  line: { concurrencyCount: 1, maxSize: null },
  full: { concurrencyCount: 1, maxSize: 1 },
  // The client's sse_v3 browser test (packages/client/src/sse.browser.test.ts) has this one to itself.
  sseClient: { concurrencyCount: 1, maxSize: null },
} as const satisfies Record<string, Omit<LocalServerOptions, 'endpoints'>>;

export type ScenarioQueue = keyof typeof SCENARIO_QUEUES;

/**
 * Holds each run until the test releases one, so the test, not the clock, decides when a job
 * ends. A release with nobody waiting is kept for the next run.
 */
export class Gate {
  #credits = 0;
  readonly #waiting: (() => void)[] = [];

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#credits++;
  }

  wait(signal: AbortSignal): Promise<void> {
    if (this.#credits > 0) {
      this.#credits--;
      return Promise.resolve();
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const open = () => {
        signal.removeEventListener('abort', abort);
        resolve();
      };
      const abort = () => {
        this.#waiting.splice(this.#waiting.indexOf(open), 1);
        reject(signal.reason);
      };
      this.#waiting.push(open);
      signal.addEventListener('abort', abort, { once: true });
    });
  }
}

/** `/hold`: upper-cases its text once the gate lets it through; honours cancel while held. */
export function heldEndpoints(gate: Gate): Record<string, EndpointDefinition> {
  return {
    '/hold': {
      inputs: [{ label: 'text', type: 'string' }],
      outputs: [{ label: 'shout', type: 'string' }],
      // An ETA from the first job on, before the server has timings of its own.
      expectedDurationMs: 200,
      fn: async ([text], { signal }) => {
        await gate.wait(signal);
        return [String(text).toUpperCase()];
      },
    },
  };
}
