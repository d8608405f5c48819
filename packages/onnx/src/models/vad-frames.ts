/** Silero VAD v5/v6 take 16 kHz mono audio. */
export const VAD_SAMPLE_RATE = 16_000;
/** Samples per frame: one speech probability per 32 ms. */
export const VAD_FRAME_SAMPLES = 512;
/** The tail of the previous frame the model sees before each frame (silero-vad's `OnnxWrapper` does the same). */
export const VAD_CONTEXT_SAMPLES = 64;
/** The recurrent state: `[2, batch, 128]`. */
export const VAD_STATE_DIMS = [2, 1, 128] as const;
export const VAD_STATE_SIZE = 2 * 128;

/** How many frames a clip of `samples` samples makes: the last partial frame counts, zero-padded. */
export function vadFrameCount(samples: number): number {
  return Math.ceil(samples / VAD_FRAME_SAMPLES);
}

/**
 * Frame `index` as the model's input: the 64 samples before it (zeros before the clip starts)
 * followed by its 512 samples (zeros past the clip's end), 576 in all.
 */
export function vadFrameInput(samples: Float32Array, index: number): Float32Array {
  const frame = new Float32Array(VAD_CONTEXT_SAMPLES + VAD_FRAME_SAMPLES);
  writeFrame(samples, index, frame, 0);
  return frame;
}

/**
 * Every frame of a clip as the model's inputs, one after another: `vadFrameCount × 576` samples,
 * written into `into` (zeros, that many elements) when given.
 */
export function vadFrames(samples: Float32Array, into?: Float32Array): Float32Array {
  const size = VAD_CONTEXT_SAMPLES + VAD_FRAME_SAMPLES;
  const count = vadFrameCount(samples.length);
  const frames = into ?? new Float32Array(count * size);
  if (frames.length !== count * size) {
    throw new RangeError(`vadFrames: expected room for ${count * size} samples, got ${frames.length}`);
  }
  for (let t = 0; t < count; t++) writeFrame(samples, t, frames, t * size);
  return frames;
}

/** Writes frame `index` (see `vadFrameInput`) into `target` at `at`, whose 576 elements are zeros. */
function writeFrame(samples: Float32Array, index: number, target: Float32Array, at: number): void {
  const from = index * VAD_FRAME_SAMPLES - VAD_CONTEXT_SAMPLES;
  const start = Math.max(0, from);
  const end = Math.min(samples.length, from + VAD_CONTEXT_SAMPLES + VAD_FRAME_SAMPLES);
  if (end > start) target.set(samples.subarray(start, end), at + start - from);
}
