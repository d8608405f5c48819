import { connect, type App } from '@crowdserve/client';
import { createLocalServer, type EndpointReport, type LocalServer } from '@crowdserve/server/browser';
import { h, replace, setText } from './dom.js';
import { describeError, formatSeconds } from './format.js';
import { createJobForm, type JobForm } from './job-form.js';
import { localEndpoints } from './local-endpoints.js';
import { createLoadProgress } from './local-load-progress.js';
import { createKnobs } from './local-knobs.js';
import { MODEL_LABELS, settingsFromUrl, settingsToSearch, type LocalSettings } from './local-settings.js';
import { renderSettings } from './settings-view.js';
import { startStampede } from './stampede.js';
import { createStampedeView } from './stampede-view.js';

const PROVIDER_NAMES: Record<string, string> = {
  webgpu: 'WebGPU',
  wasm: 'WASM',
  cpu: 'CPU',
  js: 'plain JS',
  starting: 'starting…',
  failed: 'failed',
};

/** The same queue in this page: `createLocalServer()` and `connect(local)`, with knobs to play with. */
export function createLocalPanel(): HTMLElement {
  const settings: LocalSettings = settingsFromUrl(location.search);
  const provider = h('span', { class: 'badge', 'data-provider': '' }, 'starting…');
  const notes = h('div', { class: 'notes' });
  const body = h('div', { class: 'panel-body' });
  const knobs = createKnobs(settings, () => {
    history.replaceState(null, '', settingsToSearch(settings, location.search));
    void rebuild();
  });
  const element = h(
    'section',
    { class: 'panel', id: 'local', 'aria-labelledby': 'local-title' },
    h('header', {}, h('h2', { id: 'local-title' }, 'In this browser'), provider),
    h(
      'p',
      { class: 'lead' },
      'The same queue engine, in this page: ',
      h('code', {}, 'createLocalServer()'),
      ' runs the model in Web Workers and ',
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

  const showProvider = (name: string): void => {
    provider.dataset.provider = name;
    setText(provider, PROVIDER_NAMES[name] ?? name.toUpperCase());
  };

  const show = (app: App, server: LocalServer, loadedIn: number): void => {
    const report = Object.values(server.reports).find((r) => typeof r.executionProvider === 'string');
    showProvider(typeof report?.executionProvider === 'string' ? report.executionProvider : 'js');
    replace(notes, ...fallbackNotes(report));
    const jobs = createJobForm('local', app, settings.model === 'none' ? '/classify' : `/${settings.model}`);
    form = jobs;
    const stampede = createStampedeView({
      id: 'local-stampede',
      start: async (count) => startStampede({ app, endpoint: jobs.endpoint(), count, data: (user) => jobs.data(user) }),
      serverStats: async () => {
        const stats = server.stats();
        return { batchSizes: { ...stats?.batchSizes }, busySlots: stats?.busySlots ?? 0, slots: settings.workers };
      },
    });
    stopStampede = stampede.stop;
    const loaded =
      settings.model === 'none'
        ? null
        : h('p', { class: 'hint' }, `${MODEL_LABELS[settings.model]} loaded in ${formatSeconds(loadedIn / 1000)}.`);
    replace(body, renderSettings(app), loaded, jobs.element, stampede.element);
  };

  const rebuild = async (): Promise<void> => {
    const mine = ++generation;
    stopStampede?.();
    form?.dispose();
    form = null;
    stopStampede = null;
    replace(notes);
    const what = settings.model === 'none' ? 'the in-page server' : `${MODEL_LABELS[settings.model]}`;
    const progress = createLoadProgress(what);
    replace(
      body,
      settings.model === 'none'
        ? h('p', { class: 'hint', role: 'status' }, `Loading ${what} in ${settings.workers} worker(s)…`)
        : progress.element,
    );
    showProvider('starting');
    const old = local;
    local = null;
    await old?.close().catch(() => undefined);
    if (mine !== generation) return;
    const startedAt = performance.now();
    try {
      const server = createLocalServer({
        concurrencyCount: settings.workers,
        maxSize: settings.maxSize,
        endpoints: localEndpoints(settings, (p) => {
          if (mine === generation) progress.update(p);
        }),
      });
      local = server;
      const app = await connect(server);
      if (mine !== generation) return;
      show(app, server, performance.now() - startedAt);
    } catch (error) {
      if (mine !== generation) return;
      showProvider('failed');
      replace(
        body,
        h(
          'div',
          { class: 'banner error', role: 'alert' },
          h('p', {}, `The model failed to load: ${describeError(error)}`),
          h('p', {}, 'Try another backend or model above, or reload the page.'),
        ),
      );
    }
  };

  void rebuild();
  return element;
}

/** "WebGPU unavailable here: running on WASM", from the providers the model passed over. */
function fallbackNotes(report: EndpointReport | undefined): HTMLElement[] {
  const fallbacks = Array.isArray(report?.executionProviderFallbacks)
    ? (report.executionProviderFallbacks as unknown[]).map(String)
    : [];
  if (fallbacks.length === 0 || typeof report?.executionProvider !== 'string') return [];
  const using = PROVIDER_NAMES[report.executionProvider] ?? report.executionProvider;
  return [
    h(
      'div',
      { class: 'banner note', role: 'note' },
      `Fell back to ${using}: ${fallbacks.map((f) => f.replace(/^webgpu:/, 'WebGPU:')).join('; ')}.`,
    ),
  ];
}
