import { connect, type App } from '@crowdserve/client';
import { createLocalServer, type LocalServer } from '@crowdserve/server/browser';
import { h, replace, setText } from './dom.js';
import { describeError } from './format.js';
import { createJobForm, type JobForm } from './job-form.js';
import { DEFAULT_LOCAL_SETTINGS, plainEndpoints, type LocalSettings } from './local-endpoints.js';
import { renderSettings } from './settings-view.js';
import { startStampede } from './stampede.js';
import { createStampedeView } from './stampede-view.js';

/** The same queue in this page: `createLocalServer()` and `connect(local)`, with knobs to play with. */
export function createLocalPanel(): HTMLElement {
  const settings: LocalSettings = { ...DEFAULT_LOCAL_SETTINGS };
  const provider = h('span', { class: 'badge', 'data-provider': '' }, 'starting…');
  const notes = h('div', { class: 'notes' });
  const body = h('div', { class: 'panel-body' });
  const knobs = createKnobs(settings, () => void rebuild());
  const element = h(
    'section',
    { class: 'panel', id: 'local', 'aria-labelledby': 'local-title' },
    h('header', {}, h('h2', { id: 'local-title' }, 'In this browser'), provider),
    h(
      'p',
      { class: 'lead' },
      'The same queue engine, in this page: ',
      h('code', {}, 'createLocalServer()'),
      ' runs the endpoints and ',
      h('code', {}, 'connect(local)'),
      ' talks to it with the same client. Changing a knob restarts it.',
    ),
    knobs,
    notes,
    body,
  );

  let local: LocalServer | null = null;
  let form: JobForm | null = null;
  let stopStampede: (() => void) | null = null;
  let generation = 0;

  const show = (app: App, server: LocalServer): void => {
    const reported = Object.values(server.reports).find((r) => typeof r.executionProvider === 'string');
    const ep = typeof reported?.executionProvider === 'string' ? reported.executionProvider : 'js';
    provider.dataset.provider = ep;
    setText(provider, ep === 'js' ? 'plain JS' : ep === 'webgpu' ? 'WebGPU' : ep.toUpperCase());
    const jobs = createJobForm('local', app, '/classify');
    form = jobs;
    const stampede = createStampedeView({
      id: 'local-stampede',
      start: async (count) => startStampede({ app, endpoint: jobs.endpoint(), count, data: (user) => jobs.data(user) }),
      batchSizes: async () => ({ ...(server.queue?.stats().batchSizes ?? {}) }),
    });
    stopStampede = stampede.stop;
    replace(body, renderSettings(app), jobs.element, stampede.element);
  };

  const rebuild = async (): Promise<void> => {
    const mine = ++generation;
    stopStampede?.();
    form?.dispose();
    form = null;
    stopStampede = null;
    replace(notes);
    replace(body, h('p', { class: 'hint' }, 'Starting the in-page server…'));
    provider.dataset.provider = '';
    setText(provider, 'starting…');
    const old = local;
    local = null;
    await old?.close().catch(() => undefined);
    if (mine !== generation) return;
    const server = createLocalServer({
      concurrencyCount: settings.workers,
      maxSize: settings.maxSize,
      endpoints: plainEndpoints(settings),
    });
    local = server;
    try {
      const app = await connect(server);
      if (mine !== generation) return;
      show(app, server);
    } catch (error) {
      if (mine !== generation) return;
      setText(provider, 'failed');
      provider.dataset.provider = 'failed';
      replace(
        body,
        h(
          'div',
          { class: 'banner error', role: 'alert' },
          `The in-page server failed to start: ${describeError(error)}`,
        ),
      );
    }
  };

  void rebuild();
  return element;
}

/** Workers, batching, batch size and queue size; `onChange` after each edit that parses. */
function createKnobs(settings: LocalSettings, onChange: () => void): HTMLElement {
  const number = (id: string, label: string, key: 'workers' | 'maxBatchSize' | 'maxSize', min: number, max: number) => {
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
    return h('label', { class: 'knob', for: id }, label, input);
  };
  const batching = h('input', { id: 'local-batching', type: 'checkbox', checked: settings.batching });
  batching.addEventListener('change', () => {
    settings.batching = batching.checked;
    onChange();
  });
  return h(
    'div',
    { class: 'knobs', 'aria-label': 'in-page server settings' },
    number('local-workers', 'Workers', 'workers', 1, 16),
    h('label', { class: 'knob', for: batching.id }, batching, 'Batching'),
    number('local-batch-size', 'Max batch', 'maxBatchSize', 1, 64),
    number('local-max-size', 'Max queue', 'maxSize', 1, 1000),
  );
}
