import { describeValue } from '@crowdserve/protocol';
import { InputError, OnnxOptionsError } from '../onnx/errors.js';
import type { OnnxEndpointOptions } from '../onnx/onnx-options.js';
import { columnNumbers } from '../onnx/packed.js';
import type { StepPlan } from '../onnx/step-plan.js';
import { tensor } from '../onnx/tensors.js';
import type { Feeds } from '../onnx/tensors.js';
import {
  VAD_CONTEXT_SAMPLES,
  VAD_FRAME_SAMPLES,
  VAD_SAMPLE_RATE,
  VAD_STATE_DIMS,
  VAD_STATE_SIZE,
  vadFrameCount,
  vadFrames,
} from './vad-frames.js';
import { DEFAULT_SPEECH_SEGMENT_OPTIONS, speechSegments } from './vad-segments.js';
import type { SpeechSegmentOptions } from './vad-segments.js';
import { withoutUndefined } from './model-endpoint.js';
import { encodeBase64, decodeBase64 } from './base64.js';
import { vadBatch } from './vad-batch.js';

/** Options of `vadEndpoint()` besides the endpoint's own (batch, maxBatchSize, timeoutMs, …). */
export interface VadOptions extends SpeechSegmentOptions {
  /** Longest clip accepted, in samples at 16 kHz. @default 480000 (30 s) */
  maxSamples?: number;
}

export const DEFAULT_VAD_OPTIONS = {
  ...DEFAULT_SPEECH_SEGMENT_OPTIONS,
  maxSamples: 30 * VAD_SAMPLE_RATE,
} as const;

/** Endpoint defaults of the VAD model: batched, since a batch of clips steps through time together. */
export const DEFAULT_VAD_ENDPOINT_OPTIONS = {
  batch: true,
  maxBatchSize: 32,
  maxBatchDelayMs: 0,
  timeoutMs: 30_000,
} as const;

/** The VAD option keys, to tell them from the endpoint's own options. */
export const VAD_OPTION_KEYS = ['threshold', 'negativeThreshold', 'minSpeechMs', 'minSilenceMs', 'maxSamples'] as const;

/**
 * A clip's frames step through the model inside the worker, its state carried from frame to
 * frame, starting from zeros made there (a batch does not send them). Only the probabilities are
 * read: the final state stays in the worker.
 */
const VAD_STEPS: StepPlan = {
  stepInputs: ['input'],
  carry: { stateN: 'state' },
  returnCarried: false,
  zeros: { state: { type: 'float32', dims: VAD_STATE_DIMS } },
};

/**
 * Silero VAD v6 as an endpoint, minus where the model file is. Request `data`:
 * `[samples]` (16 kHz mono, numbers in [-1, 1]; a Float32Array in the browser). Output `data`:
 * `[probabilities, segments]`: one speech probability per 32 ms frame, and the speech segments
 * (`{ start, end }` in seconds) found in them.
 */
export function vadModel(options: VadOptions = {}): Omit<OnnxEndpointOptions<Float32Array, number[]>, 'model'> {
  const resolved = validateVadOptions(options);
  return {
    ...DEFAULT_VAD_ENDPOINT_OPTIONS,
    // Numbers or a base64 float32 string: both are checked by parseVadSamples.
    inputs: [{ label: 'samples', type: 'any' }],
    outputs: [
      { label: 'probabilities', type: 'array' },
      { label: 'segments', type: 'array' },
    ],
    // The recurrent state is [2, batch, 128]; the sample rate is one scalar for everyone.
    inputBatchAxes: { state: 1, sr: null },
    outputBatchAxes: { stateN: 1 },
    steps: VAD_STEPS,
    warmup: [new Array<number>(VAD_FRAME_SAMPLES).fill(0)],
    // A request becomes its clip's frames (a copy: the samples need not be one); the batch is
    // encoded whole, its sample rate made once and its state left to the worker (see `vadBatch`),
    // and its results read straight into each clip's probabilities.
    preprocess: (data) => vadFrames(checkedVadSamples(data, resolved.maxSamples)),
    infer: async (frames, session) => {
      const { wire, buffers } = vadBatch(frames);
      return columnNumbers(await session.runStepsEncoded(wire, VAD_STEPS, buffers), 'output');
    },
    postprocess: (probabilities) => [probabilities, speechSegments(probabilities, resolved)],
    // postprocess reads only the result: a waiting clip holds its frames, not its base64 text.
    releaseData: true,
  };
}

/**
 * A clip as the model's feeds for `runSteps`: its frames (`[frames, 1, 576]`, a step axis in
 * front), a zero initial state `[2, 1, 128]`, and the sample rate. (The endpoint encodes a batch
 * of clips whole instead, see `vadBatch`.)
 */
export function vadFeeds(samples: Float32Array): Feeds {
  const frameSize = VAD_CONTEXT_SAMPLES + VAD_FRAME_SAMPLES;
  return {
    input: tensor('float32', vadFrames(samples), [vadFrameCount(samples.length), 1, frameSize]),
    state: tensor('float32', new Float32Array(VAD_STATE_SIZE), VAD_STATE_DIMS),
    sr: tensor('int64', BigInt64Array.of(BigInt(VAD_SAMPLE_RATE)), []),
  };
}

/**
 * A clip in its compact wire form: the samples as little-endian 32-bit floats, base64. A 1 s clip is
 * 85 kB instead of ~330 kB of JSON numbers, and the server decodes it ~15× faster.
 */
export function encodeVadSamples(samples: Float32Array): string {
  const bytes = new Uint8Array(samples.length * 4);
  const view = new DataView(bytes.buffer);
  samples.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return encodeBase64(bytes);
}

function decodeVadSamples(text: string, maxSamples: number): Float32Array {
  const bytes = decodeBase64(text);
  if (bytes === null || bytes.length % 4 !== 0) {
    throw new InputError(
      'VAD: expected [samples] as numbers or as base64 little-endian float32, got a string that is neither',
    );
  }
  if (bytes.length / 4 > maxSamples) {
    throw new InputError(
      `VAD: expected at most ${maxSamples} samples (${maxSamples / VAD_SAMPLE_RATE} s), got ${bytes.length / 4}`,
    );
  }
  let result: Float32Array;
  if (LITTLE_ENDIAN) {
    // The bytes are this machine's own float32s: one copy, no per-sample reads.
    result = new Float32Array(bytes.length / 4);
    new Uint8Array(result.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    result = Float32Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
  }
  checkFinite(result, String);
  return result;
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function checkFinite(samples: Float32Array, describe: (value: number) => string): void {
  // v · 0 is ±0 for every finite v and NaN for NaN and ±Infinity, so the sum stays 0 only when all
  // are finite: a loop without a branch per sample (16,000 samples: ~16 µs, against ~31 with a test
  // per sample). Only a clip that fails is walked again, for the first bad sample's index.
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += (samples[i] as number) * 0;
  if (sum === 0) return;
  for (let i = 0; i < samples.length; i++) {
    const value = samples[i] as number;
    if (value - value !== 0) {
      throw new InputError(`VAD: sample ${i}: expected a finite number, got ${describe(value)}`);
    }
  }
}

/**
 * A request's samples, checked: `[samples]` (16 kHz mono) as finite numbers, or as a base64 string of
 * little-endian float32 (see {@link encodeVadSamples}); at most `maxSamples` of them.
 */
export function parseVadSamples(data: unknown[], maxSamples: number = DEFAULT_VAD_OPTIONS.maxSamples): Float32Array {
  const samples = checkedVadSamples(data, maxSamples);
  return samples === data[0] ? samples.slice() : samples;
}

/** As {@link parseVadSamples}, but a Float32Array given is checked and returned as it is, not copied. */
function checkedVadSamples(data: unknown[], maxSamples: number): Float32Array {
  const samples = data[0];
  if (typeof samples === 'string') return decodeVadSamples(samples, maxSamples);
  const isArray = Array.isArray(samples) || samples instanceof Float32Array || samples instanceof Float64Array;
  if (!isArray) {
    throw new InputError(
      `VAD: expected [samples] (16 kHz mono numbers or base64 float32), got ${describeValue(samples)}`,
    );
  }
  if (samples.length > maxSamples) {
    throw new InputError(
      `VAD: expected at most ${maxSamples} samples (${maxSamples / VAD_SAMPLE_RATE} s), got ${samples.length}`,
    );
  }
  if (samples instanceof Float32Array) {
    checkFinite(samples, describeValue);
    return samples;
  }
  const result = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const value: unknown = samples[i];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new InputError(`VAD: sample ${i}: expected a finite number, got ${describeValue(value)}`);
    }
    result[i] = value;
  }
  return result;
}

function validateVadOptions(options: VadOptions): Required<Omit<VadOptions, 'negativeThreshold'>> & VadOptions {
  const resolved = { ...DEFAULT_VAD_OPTIONS, ...withoutUndefined(options) };
  const probability = (v: unknown) => typeof v === 'number' && v > 0 && v < 1;
  if (!probability(resolved.threshold)) fail('threshold', 'a number between 0 and 1', resolved.threshold);
  const negative = resolved.negativeThreshold;
  if (negative !== undefined && !(typeof negative === 'number' && negative >= 0 && negative <= resolved.threshold)) {
    fail('negativeThreshold', `a number between 0 and threshold (${resolved.threshold})`, negative);
  }
  for (const key of ['minSpeechMs', 'minSilenceMs'] as const) {
    const v = resolved[key];
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) fail(key, 'a number ≥ 0', v);
  }
  if (!(Number.isInteger(resolved.maxSamples) && resolved.maxSamples >= 1)) {
    fail('maxSamples', 'an integer ≥ 1', resolved.maxSamples);
  }
  return resolved;
}

function fail(name: string, expected: string, got: unknown): never {
  throw new OnnxOptionsError(`vadEndpoint: ${name}: expected ${expected}, got ${describeValue(got)}`);
}
