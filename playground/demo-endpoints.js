// @ts-check
// The demo server's endpoints: two text ones (instant to start) and two real ONNX models in worker threads.
import { setTimeout as sleep } from 'node:timers/promises';
import { ocrEndpoint, vadEndpoint } from '@crowdserve/onnx/node';

const POSITIVE = new Set(['good', 'great', 'love', 'happy', 'fast', 'nice', 'excellent', 'fun', 'like', 'best']);
const NEGATIVE = new Set(['bad', 'sad', 'hate', 'slow', 'awful', 'terrible', 'worst', 'boring', 'broken', 'angry']);

/** @param {string} text */
function sentiment(text) {
  let score = 0;
  for (const word of text.toLowerCase().split(/\W+/)) score += POSITIVE.has(word) ? 1 : NEGATIVE.has(word) ? -1 : 0;
  return score > 0 ? 'positive' : score < 0 ? 'negative' : 'neutral';
}

/**
 * @param {{ models?: boolean, predictMs?: number, servedBy?: string }} [options] `models: false` leaves out the
 *   ONNX endpoints (quicker start, for tests of the text ones); `predictMs`: how long a /predict call takes;
 *   `servedBy`: the name of this process, which /predict's answer then ends with (several processes
 *   sharing one queue: who served each job)
 * @returns {Promise<Record<string, import('@crowdserve/server/node').EndpointDefinition>>}
 */
export async function demoEndpoints({ models = true, predictMs = 400, servedBy } = {}) {
  /** @type {Record<string, import('@crowdserve/server/node').EndpointDefinition>} */
  const onnx = models
    ? {
        // PP-OCRv4 text recognizer: an image of one line of text → [text, confidence].
        '/ocr': ocrEndpoint({ maxBatchSize: 8, expectedDurationMs: 60 }),
        // Silero VAD v6: 16 kHz mono samples → [per-frame speech probabilities, speech segments].
        '/vad': vadEndpoint({ maxBatchSize: 32, expectedDurationMs: 30 }),
      }
    : {};
  return {
    // A text endpoint that takes a moment, so a crowd visibly queues.
    '/predict': {
      inputs: [{ label: 'text', type: 'string' }],
      outputs: [{ label: 'shout', type: 'string' }],
      expectedDurationMs: predictMs,
      fn: async ([text], { signal, progress }) => {
        for (let step = 1; step <= 4; step++) {
          await sleep(predictMs / 4, undefined, { signal });
          progress({ index: step, length: 4, unit: 'steps' });
        }
        const shout = String(text).toUpperCase();
        return [servedBy === undefined ? shout : `${shout} (served by ${servedBy})`];
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
    ...onnx,
  };
}
