import { VAD_FRAME_SAMPLES, VAD_SAMPLE_RATE } from './vad-frames.js';

/** A stretch of speech, in seconds from the clip's start. */
export interface SpeechSegment {
  start: number;
  end: number;
}

export interface SpeechSegmentOptions {
  /** A frame at or above this probability is speech. @default 0.5 */
  threshold?: number;
  /** Speech ends only below this one (hysteresis). @default threshold - 0.15 */
  negativeThreshold?: number;
  /** Shorter speech is dropped. @default 250 */
  minSpeechMs?: number;
  /** Shorter silences inside speech do not split it. @default 100 */
  minSilenceMs?: number;
}

export const DEFAULT_SPEECH_SEGMENT_OPTIONS = {
  threshold: 0.5,
  minSpeechMs: 250,
  minSilenceMs: 100,
} as const;

const FRAME_MS = (VAD_FRAME_SAMPLES / VAD_SAMPLE_RATE) * 1000;

/**
 * Speech segments from per-frame speech probabilities, as silero-vad's `get_speech_timestamps`
 * finds them (without its padding): speech starts at `threshold`, ends after `minSilenceMs` below
 * `negativeThreshold`, and segments shorter than `minSpeechMs` are dropped.
 */
export function speechSegments(probabilities: readonly number[], options: SpeechSegmentOptions = {}): SpeechSegment[] {
  const threshold = options.threshold ?? DEFAULT_SPEECH_SEGMENT_OPTIONS.threshold;
  const negativeThreshold = options.negativeThreshold ?? Math.max(0, threshold - 0.15);
  const minSpeechMs = options.minSpeechMs ?? DEFAULT_SPEECH_SEGMENT_OPTIONS.minSpeechMs;
  const minSilenceMs = options.minSilenceMs ?? DEFAULT_SPEECH_SEGMENT_OPTIONS.minSilenceMs;
  const segments: SpeechSegment[] = [];
  const close = (start: number, end: number) => {
    if ((end - start) * FRAME_MS >= minSpeechMs) segments.push({ start: seconds(start), end: seconds(end) });
  };
  let start: number | null = null;
  let silenceStart: number | null = null;
  probabilities.forEach((p, i) => {
    if (p >= threshold) {
      start ??= i;
      silenceStart = null;
      return;
    }
    if (start === null || p >= negativeThreshold) return;
    silenceStart ??= i;
    if ((i + 1 - silenceStart) * FRAME_MS >= minSilenceMs) {
      close(start, silenceStart);
      start = null;
      silenceStart = null;
    }
  });
  if (start !== null) close(start, silenceStart ?? probabilities.length);
  return segments;
}

/** Frame index to seconds: whole milliseconds over 1000, so 3 frames read 0.096, not 0.096000…01. */
function seconds(frame: number): number {
  return (frame * FRAME_MS) / 1000;
}
