import { VAD_SAMPLE_RATE } from '@crowdserve/onnx/browser';

/** Silero VAD listens at 16 kHz mono. */
export const SAMPLE_RATE = VAD_SAMPLE_RATE;

export type SampleName = 'voice' | 'tone' | 'noise' | 'silence';

export const SAMPLE_LABELS: Record<SampleName, string> = {
  voice: 'voice-like (synthetic vowels)',
  tone: 'steady tone (440 Hz)',
  noise: 'white noise',
  silence: 'silence',
};

/**
 * A generated clip, `seconds` long: no recording needed to try the model. `random` is injected
 * so a clip can be the same every time.
 */
export function generateSample(name: SampleName, seconds = 2, random: () => number = Math.random): Float32Array {
  const samples = new Float32Array(Math.round(seconds * SAMPLE_RATE));
  for (let i = 0; i < samples.length; i++) {
    const t = i / SAMPLE_RATE;
    samples[i] = sampleAt(name, t, seconds, random);
  }
  return samples;
}

function sampleAt(name: SampleName, t: number, seconds: number, random: () => number): number {
  switch (name) {
    case 'silence':
      return 0;
    case 'noise':
      return (random() * 2 - 1) * 0.3;
    case 'tone':
      return 0.3 * Math.sin(2 * Math.PI * 440 * t);
    case 'voice': {
      // Quiet for the first and last quarter, "speaking" in between.
      if (t < seconds / 4 || t > (3 * seconds) / 4) return (random() * 2 - 1) * 0.003;
      // A gliding pitch with a few harmonics, shaped by two formant-like peaks and syllable-rate bursts.
      const pitch = 130 + 30 * Math.sin(2 * Math.PI * 1.5 * t);
      let value = 0;
      for (let k = 1; k <= 12; k++) {
        const f = k * pitch;
        const gain = Math.exp(-(((f - 700) / 250) ** 2)) + 0.6 * Math.exp(-(((f - 1200) / 300) ** 2)) + 0.05;
        value += (gain / k) * Math.sin(2 * Math.PI * f * t);
      }
      const envelope = 0.5 - 0.5 * Math.cos(2 * Math.PI * 4 * (t - seconds / 4));
      return 0.5 * value * envelope;
    }
  }
}
