import { SAMPLE_RATE } from './audio-samples.js';

/**
 * Records `seconds` of the microphone and returns it as 16 kHz mono samples. Rejects with a
 * message a person can act on when there is no microphone or no permission.
 */
export async function recordMicrophone(seconds: number, signal?: AbortSignal): Promise<Float32Array> {
  if (navigator.mediaDevices?.getUserMedia === undefined) {
    throw new Error('This page cannot use a microphone here (it needs https or localhost).');
  }
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1 } });
  } catch (error) {
    const name = (error as { name?: string }).name;
    throw new Error(
      name === 'NotAllowedError'
        ? 'Microphone permission was refused.'
        : name === 'NotFoundError'
          ? 'No microphone was found.'
          : `Could not open the microphone: ${String(error)}`,
      { cause: error },
    );
  }
  try {
    const recorder = new MediaRecorder(stream);
    const chunks: Blob[] = [];
    recorder.addEventListener('dataavailable', (event) => chunks.push(event.data));
    const stopped = new Promise<void>((resolve) => recorder.addEventListener('stop', () => resolve()));
    recorder.start();
    const stop = () => recorder.state !== 'inactive' && recorder.stop();
    const timer = window.setTimeout(stop, seconds * 1000);
    signal?.addEventListener('abort', stop, { once: true });
    await stopped;
    window.clearTimeout(timer);
    // Decoding in a 16 kHz context resamples to the rate the model expects.
    const context = new AudioContext({ sampleRate: SAMPLE_RATE });
    try {
      const audio = await context.decodeAudioData(await new Blob(chunks).arrayBuffer());
      return audio.getChannelData(0).slice();
    } finally {
      await context.close();
    }
  } finally {
    for (const track of stream.getTracks()) track.stop();
  }
}
