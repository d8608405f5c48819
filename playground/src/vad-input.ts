import { generateSample, SAMPLE_LABELS, SAMPLE_RATE, type SampleName } from './audio-samples.js';
import { h, setText } from './dom.js';
import type { InputWidget } from './input-widget.js';
import { recordMicrophone } from './microphone.js';
import { drawWaveform } from './waveform.js';

const RECORD_SECONDS = 3;
/** Clip lengths to pick from: short ones keep slow backends (WebGPU on a CPU adapter) quick. */
const LENGTHS = [0.25, 1, 2, 5];
const DEFAULT_LENGTH = 2;

/** A clip for the VAD model: a generated sample, or a few seconds from the microphone. */
export function createVadInput(id: string): InputWidget {
  const names = Object.keys(SAMPLE_LABELS) as SampleName[];
  const picker = h(
    'select',
    { id },
    ...names.map((name) => h('option', { value: name }, SAMPLE_LABELS[name])),
    h('option', { value: 'recording', disabled: true }, 'your recording'),
  );
  const length = h(
    'select',
    { id: `${id}-length`, 'aria-label': 'clip length' },
    ...LENGTHS.map((seconds) => h('option', { value: seconds }, `${seconds} s`)),
  );
  length.value = String(DEFAULT_LENGTH);
  const record = h('button', { type: 'button', class: 'secondary' }, `Record ${RECORD_SECONDS} s`);
  const note = h('span', { class: 'hint' });
  const canvas = h('canvas', { class: 'waveform', width: 320, height: 48, 'aria-label': 'the clip sent' });
  let clip = generateSample('voice', DEFAULT_LENGTH);
  const generate = (): void => {
    if (picker.value !== 'recording') clip = generateSample(picker.value as SampleName, Number(length.value));
    show();
  };
  let recording: AbortController | null = null;

  const show = (): void => drawWaveform(canvas, clip);
  picker.addEventListener('change', generate);
  length.addEventListener('change', generate);
  record.addEventListener('click', () => {
    if (recording !== null) return recording.abort();
    recording = new AbortController();
    setText(record, 'Stop');
    setText(note, 'Recording…');
    recordMicrophone(RECORD_SECONDS, recording.signal)
      .then(
        (samples) => {
          clip = samples;
          const option = picker.querySelector<HTMLOptionElement>('option[value="recording"]');
          if (option !== null) option.disabled = false;
          picker.value = 'recording';
          setText(note, `Recorded ${(samples.length / SAMPLE_RATE).toFixed(1)} s.`);
          show();
        },
        (error: unknown) => setText(note, error instanceof Error ? error.message : String(error)),
      )
      .finally(() => {
        recording = null;
        setText(record, `Record ${RECORD_SECONDS} s`);
      });
  });
  show();

  const element = h(
    'div',
    { class: 'field' },
    h('label', { for: id }, 'Audio clip (16 kHz)'),
    h('div', { class: 'row' }, picker, length, record),
    note,
    canvas,
  );
  return {
    element,
    // Four decimals are plenty for a 16-bit-ish signal and keep the JSON small.
    data: async () => [Array.from(clip, (v) => Math.round(v * 10_000) / 10_000)],
    dispose: () => recording?.abort(),
  };
}
