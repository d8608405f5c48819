import type { EndpointDefinition } from '@crowdserve/server/browser';
import type { LocalSettings } from './local-settings.js';

/** Resolves after `ms`, or rejects when `signal` fires: a handler that honours cancel. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = window.setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        window.clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

const POSITIVE = /\b(good|great|love|happy|fast|nice|excellent|fun|like|best)\b/gi;
const NEGATIVE = /\b(bad|sad|hate|slow|awful|terrible|worst|boring|broken|angry)\b/gi;

function sentiment(text: string): string {
  const score = (text.match(POSITIVE)?.length ?? 0) - (text.match(NEGATIVE)?.length ?? 0);
  return score > 0 ? 'positive' : score < 0 ? 'negative' : 'neutral';
}

/**
 * Plain JavaScript endpoints, the twins of the demo server's: they run in the page itself and
 * need no model, so the panel works everywhere.
 */
export function plainEndpoints(settings: LocalSettings): Record<string, EndpointDefinition> {
  const classifyCost = (n: number) => 200 + 10 * n;
  return {
    '/predict': {
      inputs: [{ label: 'text', type: 'string' }],
      outputs: [{ label: 'shout', type: 'string' }],
      expectedDurationMs: 400,
      fn: async ([text], { signal, progress }) => {
        for (let step = 1; step <= 4; step++) {
          await sleep(100, signal);
          progress({ index: step, length: 4, unit: 'steps' });
        }
        return [String(text).toUpperCase()];
      },
    },
    '/classify': settings.batching
      ? {
          batch: true,
          maxBatchSize: settings.maxBatchSize,
          inputs: [{ label: 'text', type: 'string' }],
          outputs: [{ label: 'sentiment', type: 'string' }],
          expectedDurationMs: 250,
          fn: async (requests, { signal }) => {
            await sleep(classifyCost(requests.length), signal);
            return requests.map(([text]) => [sentiment(String(text))]);
          },
        }
      : {
          inputs: [{ label: 'text', type: 'string' }],
          outputs: [{ label: 'sentiment', type: 'string' }],
          expectedDurationMs: 210,
          fn: async ([text], { signal }) => {
            await sleep(classifyCost(1), signal);
            return [sentiment(String(text))];
          },
        },
  };
}
