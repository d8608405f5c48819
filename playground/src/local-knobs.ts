import { h } from './dom.js';
import {
  BACKEND_LABELS,
  MODEL_LABELS,
  NUMBER_KNOBS,
  type Backend,
  type LocalModel,
  type LocalSettings,
} from './local-settings.js';

/** The in-browser panel's knobs; `onChange` after each edit that parses (the panel restarts its server). */
export function createKnobs(settings: LocalSettings, onChange: () => void): HTMLElement {
  const select = <T extends string>(
    id: string,
    label: string,
    labels: Record<T, string>,
    get: () => T,
    set: (v: T) => void,
  ) => {
    const input = h(
      'select',
      { id },
      ...(Object.keys(labels) as T[]).map((value) => h('option', { value }, labels[value])),
    );
    input.value = get();
    input.addEventListener('change', () => {
      set(input.value as T);
      onChange();
    });
    return h('span', { class: 'knob' }, h('label', { for: id }, label), input);
  };
  const number = (id: string, label: string, key: keyof typeof NUMBER_KNOBS) => {
    const { min, max } = NUMBER_KNOBS[key];
    const input = h('input', { id, type: 'number', min, max, value: String(settings[key]) });
    input.addEventListener('change', () => {
      const value = Number(input.value);
      if (!Number.isInteger(value) || value < min || value > max) {
        input.setCustomValidity(`expected a whole number from ${min} to ${max}`);
        input.reportValidity();
        return;
      }
      input.setCustomValidity('');
      settings[key] = value;
      onChange();
    });
    return h('span', { class: 'knob' }, h('label', { for: id }, label), input);
  };
  const batching = h('input', { id: 'local-batching', type: 'checkbox', checked: settings.batching });
  batching.addEventListener('change', () => {
    settings.batching = batching.checked;
    onChange();
  });
  return h(
    'div',
    { class: 'knobs', 'aria-label': 'in-page server settings' },
    select<LocalModel>(
      'local-model',
      'Model',
      MODEL_LABELS,
      () => settings.model,
      (v) => (settings.model = v),
    ),
    select<Backend>(
      'local-backend',
      'Backend',
      BACKEND_LABELS,
      () => settings.backend,
      (v) => (settings.backend = v),
    ),
    number('local-workers', 'Workers', 'workers'),
    h('label', { class: 'knob', for: batching.id }, batching, 'Batching'),
    number('local-batch-size', 'Max batch', 'maxBatchSize'),
    number('local-max-size', 'Max queue', 'maxSize'),
  );
}
