// @ts-check
// The demo server's endpoints. Text ones are instant to start; the ONNX models are added by onnx issue work.
import { setTimeout as sleep } from 'node:timers/promises';

const POSITIVE = new Set(['good', 'great', 'love', 'happy', 'fast', 'nice', 'excellent', 'fun', 'like', 'best']);
const NEGATIVE = new Set(['bad', 'sad', 'hate', 'slow', 'awful', 'terrible', 'worst', 'boring', 'broken', 'angry']);

/** @param {string} text */
function sentiment(text) {
  let score = 0;
  for (const word of text.toLowerCase().split(/\W+/)) score += POSITIVE.has(word) ? 1 : NEGATIVE.has(word) ? -1 : 0;
  return score > 0 ? 'positive' : score < 0 ? 'negative' : 'neutral';
}

/** @returns {Promise<Record<string, import('@crowdserve/server/node').EndpointDefinition>>} */
export async function demoEndpoints() {
  return {
    // A text endpoint that takes a moment, so a crowd visibly queues.
    '/predict': {
      inputs: [{ label: 'text', type: 'string' }],
      outputs: [{ label: 'shout', type: 'string' }],
      expectedDurationMs: 400,
      fn: async ([text], { signal, progress }) => {
        for (let step = 1; step <= 4; step++) {
          await sleep(100, undefined, { signal });
          progress({ index: step, length: 4, unit: 'steps' });
        }
        return [String(text).toUpperCase()];
      },
    },
    // A batched endpoint: one call serves up to 8 requests, a fixed cost plus a little per item.
    '/classify': {
      batch: true,
      maxBatchSize: 8,
      maxBatchDelayMs: 20,
      inputs: [{ label: 'text', type: 'string' }],
      outputs: [{ label: 'sentiment', type: 'string' }],
      expectedDurationMs: 250,
      fn: async (requests, { signal }) => {
        await sleep(200 + 10 * requests.length, undefined, { signal });
        return requests.map(([text]) => [sentiment(String(text))]);
      },
    },
  };
}
